//! The vote keeper of one height: tallies by round, step and value, counted on an optimistic
//! fast path.
//!
//! A vote that arrives is first **pending**: its signature is not checked yet, and it counts
//! toward nothing. When the pending votes of a round and step could complete a threshold that
//! the verified votes alone do not reach (a quorum for one value, a quorum of any values, or the
//! `f + 1` round-skip weight), all pending votes of that round and step are checked at once:
//! one aggregate signature and one aggregate key per distinct value, one multi-pairing for the
//! batch ([`Scheme::verify_batch`]). If the batch fails it is bisected — if the left half passes,
//! the right half is known to fail and is split without re-checking — so `b` bad signatures
//! among `k` cost `O(b log k)` checks, and the bad votes are dropped (their validators' slots are
//! freed so a later genuine vote still counts). Only verified votes ever satisfy a rule.
//!
//! In the good case this verifies each step of a height exactly once: the prevote quorum and the
//! precommit quorum, two aggregate verifications, which is the floor the benches compare with.

use zg_core::H256;

use crate::bitmap::SignerBitmap;
use crate::certificate::Certificate;
use crate::evidence::Evidence;
use crate::scheme::{BatchItem, Scheme};
use crate::types::{Round, SignedVote, Slot, ValidatorIndex, Vote, VoteKind, vote_signing_bytes};
use crate::validators::ValidatorSet;

/// A vote as stored: value, signature, and whether the signature was checked.
#[derive(Clone, Debug)]
struct Entry<S: Scheme> {
    value: Option<H256>,
    signature: S::Signature,
    verified: bool,
}

/// Weight behind one value (or nil) in one round and step.
#[derive(Clone, Debug)]
pub(crate) struct Tally<S: Scheme> {
    value: Option<H256>,
    verified: u128,
    pending: u128,
    signers: SignerBitmap,
    aggregate: Option<S::Signature>,
    /// A verified certificate for this value imported from a peer (a proof of lock).
    certified: Option<Certificate<S>>,
}

#[derive(Clone, Debug)]
struct KindVotes<S: Scheme> {
    slots: Vec<Option<Entry<S>>>,
    tallies: Vec<Tally<S>>,
    verified_any: u128,
    pending_any: u128,
}

impl<S: Scheme> Default for KindVotes<S> {
    fn default() -> Self {
        KindVotes {
            slots: Vec::new(),
            tallies: Vec::new(),
            verified_any: 0,
            pending_any: 0,
        }
    }
}

impl<S: Scheme> KindVotes<S> {
    fn tally_mut(&mut self, value: Option<H256>, n: u16) -> &mut Tally<S> {
        let i = match self.tallies.iter().position(|t| t.value == value) {
            Some(i) => i,
            None => {
                self.tallies.push(Tally {
                    value,
                    verified: 0,
                    pending: 0,
                    signers: SignerBitmap::new(n),
                    aggregate: None,
                    certified: None,
                });
                self.tallies.len() - 1
            }
        };
        &mut self.tallies[i]
    }

    fn tally(&self, value: Option<H256>) -> Option<&Tally<S>> {
        self.tallies.iter().find(|t| t.value == value)
    }
}

/// First-time flags of a round (paper: "for the first time").
pub(crate) mod fired {
    /// Line 34: timeoutPrevote scheduled.
    pub(crate) const L34: u8 = 1;
    /// Line 36: the polka rule ran.
    pub(crate) const L36: u8 = 2;
    /// Line 47: timeoutPrecommit scheduled.
    pub(crate) const L47: u8 = 4;
}

/// Votes of one round.
#[derive(Clone, Debug)]
pub(crate) struct RoundVotes<S: Scheme> {
    round: Round,
    kinds: [KindVotes<S>; 2],
    /// Validators with a verified vote of either step in this round (line 55).
    senders: SignerBitmap,
    sender_weight: u128,
    /// First-time flags (see [`fired`]).
    pub(crate) fired: u8,
}

/// What happened to an incoming vote.
#[derive(Debug)]
pub(crate) enum Added<S: Scheme> {
    /// Stored as pending.
    Pending,
    /// Already had exactly this vote.
    Duplicate,
    /// The validator already has a different vote in this slot: the stored one.
    Conflict(SignedVote<S>),
}

/// What a conflict resolved to.
#[derive(Debug)]
pub(crate) enum Resolved<S: Scheme> {
    /// The stored vote was forged; the new one took its place (pending).
    Replaced,
    /// The new vote is forged or a harmless duplicate; dropped.
    Dropped,
    /// Both verify and differ: equivocation.
    Equivocation(Evidence<S>),
}

/// Outcome of verifying pending votes.
#[derive(Debug, Default)]
pub(crate) struct Verified {
    /// Validators whose votes failed verification and were dropped.
    pub(crate) dropped: Vec<ValidatorIndex>,
    /// Batch verifications performed.
    pub(crate) checks: u32,
}

/// The votes of the current height.
#[derive(Clone, Debug)]
pub(crate) struct VoteKeeper<S: Scheme> {
    rounds: Vec<RoundVotes<S>>,
}

impl<S: Scheme> Default for VoteKeeper<S> {
    fn default() -> Self {
        VoteKeeper { rounds: Vec::new() }
    }
}

impl<S: Scheme> VoteKeeper<S> {
    /// Forgets everything (new height).
    pub(crate) fn clear(&mut self) {
        self.rounds = Vec::new();
    }

    /// Heap bytes held (approximate, for memory reports).
    pub(crate) fn heap_bytes(&self) -> usize {
        let mut b = self.rounds.capacity() * core::mem::size_of::<RoundVotes<S>>();
        for r in &self.rounds {
            for k in &r.kinds {
                b += k.slots.capacity() * core::mem::size_of::<Option<Entry<S>>>();
                b += k.tallies.capacity() * core::mem::size_of::<Tally<S>>();
            }
        }
        b
    }

    fn round(&self, round: Round) -> Option<&RoundVotes<S>> {
        self.rounds
            .binary_search_by_key(&round, |r| r.round)
            .ok()
            .map(|i| &self.rounds[i])
    }

    pub(crate) fn round_mut(&mut self, round: Round, n: u16) -> &mut RoundVotes<S> {
        let i = match self.rounds.binary_search_by_key(&round, |r| r.round) {
            Ok(i) => i,
            Err(i) => {
                self.rounds.insert(
                    i,
                    RoundVotes {
                        round,
                        kinds: [KindVotes::default(), KindVotes::default()],
                        senders: SignerBitmap::new(n),
                        sender_weight: 0,
                        fired: 0,
                    },
                );
                i
            }
        };
        &mut self.rounds[i]
    }

    /// Whether a first-time flag is set for a round.
    pub(crate) fn has_fired(&self, round: Round, flag: u8) -> bool {
        self.round(round).is_some_and(|r| r.fired & flag != 0)
    }

    /// Sets a first-time flag.
    pub(crate) fn fire(&mut self, round: Round, flag: u8, n: u16) {
        self.round_mut(round, n).fired |= flag;
    }

    /// Stores an incoming vote as pending (the caller checked the index and the slot).
    pub(crate) fn add(&mut self, set: &ValidatorSet<S>, sv: &SignedVote<S>) -> Added<S> {
        let n = set.len_u16();
        let w = set.weight(sv.vote.validator);
        let kv = &mut self.round_mut(sv.vote.round, n).kinds[sv.vote.kind.index()];
        if kv.slots.is_empty() {
            kv.slots = vec![None; usize::from(n)];
        }
        let Some(slot) = kv.slots.get_mut(sv.vote.validator.get()) else {
            return Added::Duplicate;
        };
        match slot {
            Some(e) if e.value == sv.vote.value && e.signature == sv.signature => Added::Duplicate,
            Some(e) => Added::Conflict(SignedVote {
                vote: Vote {
                    value: e.value,
                    ..sv.vote
                },
                signature: e.signature.clone(),
            }),
            None => {
                *slot = Some(Entry {
                    value: sv.vote.value,
                    signature: sv.signature.clone(),
                    verified: false,
                });
                kv.pending_any += w;
                kv.tally_mut(sv.vote.value, n).pending += w;
                Added::Pending
            }
        }
    }

    /// Stores one of our own votes, already verified (we signed it).
    pub(crate) fn add_own(&mut self, set: &ValidatorSet<S>, sv: &SignedVote<S>) {
        let n = set.len_u16();
        let idx = sv.vote.validator;
        let w = set.weight(idx);
        let rv = self.round_mut(sv.vote.round, n);
        let kv = &mut rv.kinds[sv.vote.kind.index()];
        if kv.slots.is_empty() {
            kv.slots = vec![None; usize::from(n)];
        }
        let Some(old) = kv.slots.get_mut(idx.get()).map(Option::take) else {
            return;
        };
        if let Some(old) = old {
            // Only a forged vote in our name can be here; unwind its weight.
            let t = kv.tally_mut(old.value, n);
            if old.verified {
                t.verified -= w;
                kv.verified_any -= w;
            } else {
                t.pending -= w;
                kv.pending_any -= w;
            }
        }
        if let Some(slot) = kv.slots.get_mut(idx.get()) {
            *slot = Some(Entry {
                value: sv.vote.value,
                signature: sv.signature.clone(),
                verified: true,
            });
        }
        kv.verified_any += w;
        let t = kv.tally_mut(sv.vote.value, n);
        t.verified += w;
        t.signers.insert(idx);
        t.aggregate = match t.aggregate.take() {
            None => Some(sv.signature.clone()),
            Some(a) => S::aggregate_signatures([&a, &sv.signature]),
        };
        if rv.senders.insert(idx) {
            rv.sender_weight += w;
        }
    }

    /// Resolves a conflict between the stored vote of a validator and a new one, checking each
    /// signature on its own (this only happens under attack or equivocation).
    pub(crate) fn resolve_conflict(
        &mut self,
        set: &ValidatorSet<S>,
        slot: &Slot,
        stored: &SignedVote<S>,
        new: &SignedVote<S>,
    ) -> Resolved<S> {
        let Some(validator) = set.get(new.vote.validator) else {
            return Resolved::Dropped;
        };
        let ok = |sv: &SignedVote<S>| {
            let msg = vote_signing_bytes(slot, sv.vote.round, sv.vote.kind, sv.vote.value);
            S::verify(&validator.public_key, &msg, &sv.signature)
        };
        let n = set.len_u16();
        let kv = &mut self.round_mut(new.vote.round, n).kinds[new.vote.kind.index()];
        let idx = new.vote.validator.get();
        let stored_verified = kv
            .slots
            .get(idx)
            .and_then(Option::as_ref)
            .is_some_and(|e| e.verified);
        if !stored_verified && !ok(stored) {
            // The stored vote was forged: free the slot and take the new one as pending.
            let w = set.weight(new.vote.validator);
            if let Some(slot) = kv.slots.get_mut(idx) {
                *slot = Some(Entry {
                    value: new.vote.value,
                    signature: new.signature.clone(),
                    verified: false,
                });
            }
            kv.tally_mut(stored.vote.value, n).pending -= w;
            kv.tally_mut(new.vote.value, n).pending += w;
            return Resolved::Replaced;
        }
        if new.vote.value == stored.vote.value || !ok(new) {
            return Resolved::Dropped;
        }
        match Evidence::new(stored.clone(), new.clone()) {
            Ok(e) => Resolved::Equivocation(e),
            Err(_) => Resolved::Dropped,
        }
    }

    /// Whether pending votes of `(round, kind)` could complete a threshold the verified votes
    /// alone do not reach, so they must be verified now.
    pub(crate) fn needs_verification(
        &self,
        set: &ValidatorSet<S>,
        round: Round,
        kind: VoteKind,
        current: Round,
    ) -> bool {
        let Some(rv) = self.round(round) else {
            return false;
        };
        let q = set.quorum();
        let kv = &rv.kinds[kind.index()];
        if kv.pending_any == 0 {
            return false;
        }
        if kv
            .tallies
            .iter()
            .any(|t| t.pending > 0 && t.verified < q && t.verified + t.pending >= q)
        {
            return true;
        }
        if kv.verified_any < q && kv.verified_any + kv.pending_any >= q {
            return true;
        }
        // Line 55: f + 1 senders in a higher round.
        if round > current && rv.sender_weight < set.skip_threshold() {
            let pending_senders: u128 = (0..set.len_u16())
                .map(ValidatorIndex)
                .filter(|&i| {
                    !rv.senders.contains(i)
                        && rv.kinds.iter().any(|k| {
                            k.slots
                                .get(i.get())
                                .and_then(Option::as_ref)
                                .is_some_and(|e| !e.verified)
                        })
                })
                .map(|i| set.weight(i))
                .sum();
            return rv.sender_weight + pending_senders >= set.skip_threshold();
        }
        false
    }

    /// Verifies every pending vote of `(round, kind)`, counting the good ones and dropping the
    /// bad ones (bisection).
    pub(crate) fn verify_pending(
        &mut self,
        set: &ValidatorSet<S>,
        slot: &Slot,
        round: Round,
        kind: VoteKind,
    ) -> Verified {
        let n = set.len_u16();
        let rv = self.round_mut(round, n);
        let kv = &mut rv.kinds[kind.index()];
        // Pending votes, grouped by value (sorted so equal values are adjacent).
        let mut items: Vec<(Option<H256>, ValidatorIndex)> = kv
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, e)| {
                let e = e.as_ref()?;
                (!e.verified).then(|| (e.value, ValidatorIndex(u16::try_from(i).unwrap_or(0))))
            })
            .collect();
        items.sort_unstable();
        let mut report = Verified::default();
        let mut good: Vec<(Option<H256>, ValidatorIndex)> = Vec::with_capacity(items.len());
        let mut groups: Vec<(Option<H256>, S::Signature)> = Vec::new();
        bisect(
            set,
            slot,
            round,
            kind,
            &kv.slots,
            &items,
            false,
            &mut good,
            &mut report,
            &mut groups,
        );
        // Count the good votes.
        for &(value, idx) in &good {
            let w = set.weight(idx);
            if let Some(Some(e)) = kv.slots.get_mut(idx.get()) {
                e.verified = true;
            }
            kv.pending_any -= w;
            kv.verified_any += w;
            let t = kv.tally_mut(value, n);
            t.pending -= w;
            t.verified += w;
            t.signers.insert(idx);
            if rv.senders.insert(idx) {
                rv.sender_weight += w;
            }
        }
        for (value, agg) in groups {
            let t = kv.tally_mut(value, n);
            t.aggregate = match t.aggregate.take() {
                None => Some(agg),
                Some(a) => S::aggregate_signatures([&a, &agg]),
            };
        }
        // Drop the bad ones: free the slot so a genuine vote can still arrive.
        for &idx in &report.dropped {
            let w = set.weight(idx);
            if let Some(slot) = kv.slots.get_mut(idx.get())
                && let Some(e) = slot.take()
            {
                kv.pending_any -= w;
                kv.tally_mut(e.value, n).pending -= w;
            }
        }
        report
    }

    /// The verified votes of a round (both steps), as signed by their validators: what a peer
    /// that is still in that round needs to move on (relayed, the paper's gossip assumption).
    pub(crate) fn verified(&self, slot: &Slot, round: Round) -> Vec<SignedVote<S>> {
        let Some(rv) = self.round(round) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (kind, kv) in [VoteKind::Prevote, VoteKind::Precommit]
            .into_iter()
            .zip(&rv.kinds)
        {
            for (i, e) in kv.slots.iter().enumerate() {
                let (Some(e), Ok(i)) = (e, u16::try_from(i)) else {
                    continue;
                };
                if e.verified {
                    out.push(SignedVote {
                        vote: Vote {
                            partition: slot.partition,
                            epoch: slot.epoch,
                            height: slot.height,
                            round,
                            kind,
                            value: e.value,
                            validator: ValidatorIndex(i),
                        },
                        signature: e.signature.clone(),
                    });
                }
            }
        }
        out
    }

    /// Imports a verified certificate for `(round, kind, value)` (a proof of lock).
    pub(crate) fn import(&mut self, set: &ValidatorSet<S>, cert: Certificate<S>) {
        let n = set.len_u16();
        let rv = self.round_mut(cert.round, n);
        let t = rv.kinds[cert.kind.index()].tally_mut(Some(cert.value), n);
        if t.certified.is_none() {
            t.certified = Some(cert);
        }
    }

    /// Whether verified votes (or an imported certificate) give `value` a quorum.
    pub(crate) fn has_quorum(
        &self,
        set: &ValidatorSet<S>,
        round: Round,
        kind: VoteKind,
        value: Option<H256>,
    ) -> bool {
        self.round(round)
            .and_then(|r| r.kinds[kind.index()].tally(value))
            .is_some_and(|t| t.verified >= set.quorum() || t.certified.is_some())
    }

    /// Whether verified votes of any values reach a quorum.
    pub(crate) fn has_quorum_any(
        &self,
        set: &ValidatorSet<S>,
        round: Round,
        kind: VoteKind,
    ) -> bool {
        self.round(round)
            .is_some_and(|r| r.kinds[kind.index()].verified_any >= set.quorum())
    }

    /// The round and value of a verified precommit quorum for a value, if any (line 49).
    pub(crate) fn decision(&self, set: &ValidatorSet<S>) -> Option<(Round, H256)> {
        self.rounds.iter().find_map(|r| {
            r.kinds[VoteKind::Precommit.index()]
                .tallies
                .iter()
                .find(|t| t.verified >= set.quorum())
                .and_then(|t| t.value.map(|v| (r.round, v)))
        })
    }

    /// The highest round above `current` whose verified senders reach `f + 1` (line 55).
    pub(crate) fn skip_round(&self, set: &ValidatorSet<S>, current: Round) -> Option<Round> {
        self.rounds
            .iter()
            .rev()
            .take_while(|r| r.round > current)
            .find(|r| r.sender_weight >= set.skip_threshold())
            .map(|r| r.round)
    }

    /// A certificate for `(round, kind, value)` from verified votes, or the imported one.
    pub(crate) fn certificate(
        &self,
        set: &ValidatorSet<S>,
        slot: &Slot,
        round: Round,
        kind: VoteKind,
        value: H256,
    ) -> Option<Certificate<S>> {
        let t = self.round(round)?.kinds[kind.index()].tally(Some(value))?;
        if t.verified >= set.quorum() {
            return Some(Certificate {
                partition: slot.partition,
                epoch: slot.epoch,
                height: slot.height,
                round,
                kind,
                value,
                signers: t.signers.clone(),
                signature: t.aggregate.clone()?,
            });
        }
        t.certified.clone()
    }
}

/// Checks `items` (sorted by value) as one batch; on failure bisects them (zg-bls). Good
/// votes go to `good`, and the aggregate signature of each verified group to `groups`.
#[allow(clippy::too_many_arguments)] // a helper over the keeper's borrowed parts
fn bisect<S: Scheme>(
    set: &ValidatorSet<S>,
    slot: &Slot,
    round: Round,
    kind: VoteKind,
    slots: &[Option<Entry<S>>],
    items: &[(Option<H256>, ValidatorIndex)],
    known_bad: bool,
    good: &mut Vec<(Option<H256>, ValidatorIndex)>,
    report: &mut Verified,
    groups: &mut Vec<(Option<H256>, S::Signature)>,
) {
    // zg-bls's bisection: the same splitting and the same order of checks.
    let found = zg_bls::bisect(items, known_bad, |part| {
        check_batch(set, slot, round, kind, slots, part)
    });
    good.extend(found.good);
    groups.extend(found.accepted.into_iter().flatten());
    report.dropped.extend(found.bad.iter().map(|&(_, idx)| idx));
    report.checks += found.checks;
}

/// One batch check of votes grouped by value: per group, the aggregate key and signature over
/// the group's common message. Returns the groups' aggregate signatures when it passes.
fn check_batch<S: Scheme>(
    set: &ValidatorSet<S>,
    slot: &Slot,
    round: Round,
    kind: VoteKind,
    slots: &[Option<Entry<S>>],
    items: &[(Option<H256>, ValidatorIndex)],
) -> Option<Vec<(Option<H256>, S::Signature)>> {
    let mut messages = Vec::new();
    let mut keys = Vec::new();
    let mut sigs = Vec::new();
    let mut values = Vec::new();
    for group in items.chunk_by(|a, b| a.0 == b.0) {
        let value = group[0].0;
        let key = S::aggregate_public_keys(
            group
                .iter()
                .filter_map(|(_, i)| set.get(*i).map(|v| &v.public_key)),
        )?;
        let sig = S::aggregate_signatures(group.iter().filter_map(|(_, i)| {
            slots
                .get(i.get())
                .and_then(Option::as_ref)
                .map(|e| &e.signature)
        }))?;
        messages.push(vote_signing_bytes(slot, round, kind, value));
        keys.push(key);
        sigs.push(sig);
        values.push(value);
    }
    let batch: Vec<BatchItem<'_, S>> = messages
        .iter()
        .zip(&keys)
        .zip(&sigs)
        .map(|((m, k), s)| BatchItem {
            message: m,
            public_key: k,
            signature: s,
        })
        .collect();
    S::verify_batch(&batch).then(|| values.into_iter().zip(sigs).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Bls, InsecureTestScheme, PartitionId};
    use proptest::prelude::*;
    use zg_core::Epoch;

    type Case = (Option<H256>, bool);

    /// Feeds votes (value, forged?) from validators 0..n, verifies, and compares the outcome
    /// with checking every signature on its own (the obviously-correct reference).
    fn run_case<S: Scheme>(cases: &[Case], weights: &[u128]) {
        let n = cases.len();
        let secrets: Vec<S::SecretKey> = (0..n)
            .map(|i| S::secret_key_from_seed(&[i as u8 + 1; 32]))
            .collect();
        let members: Vec<_> = secrets
            .iter()
            .zip(weights)
            .map(|(s, w)| (S::public_key(s), *w))
            .collect();
        let set = ValidatorSet::<S>::new(H256([7; 32]), Epoch(0), members).unwrap();
        let slot = Slot {
            network: set.network(),
            partition: PartitionId(1),
            epoch: Epoch(0),
            height: crate::Height(3),
        };
        let mut keeper = VoteKeeper::<S>::default();
        let mut reference: Vec<(Option<H256>, ValidatorIndex, bool)> = Vec::new();
        for (i, (value, forged)) in cases.iter().enumerate() {
            let key = &secrets[i];
            let idx = set.index_of(&S::public_key(key)).unwrap();
            let vote = Vote {
                partition: slot.partition,
                epoch: slot.epoch,
                height: slot.height,
                round: Round(0),
                kind: VoteKind::Prevote,
                value: *value,
                validator: idx,
            };
            // A forged vote: signed over another round.
            let signed_round = if *forged { Round(9) } else { Round(0) };
            let msg = vote_signing_bytes(&slot, signed_round, VoteKind::Prevote, *value);
            let sv = SignedVote {
                vote,
                signature: S::sign(key, &msg),
            };
            assert!(matches!(keeper.add(&set, &sv), Added::Pending));
            reference.push((*value, idx, !*forged));
        }
        let report = keeper.verify_pending(&set, &slot, Round(0), VoteKind::Prevote);
        let mut dropped = report.dropped.clone();
        dropped.sort();
        let mut expected_bad: Vec<_> = reference.iter().filter(|r| !r.2).map(|r| r.1).collect();
        expected_bad.sort();
        assert_eq!(dropped, expected_bad);
        for value in [None, Some(H256([1; 32])), Some(H256([2; 32]))] {
            let expected: u128 = reference
                .iter()
                .filter(|r| r.0 == value && r.2)
                .map(|r| set.weight(r.1))
                .sum();
            let got = keeper
                .round(Round(0))
                .and_then(|r| r.kinds[0].tally(value))
                .map_or(0, |t| t.verified);
            assert_eq!(got, expected, "value {value:?}");
            if expected >= set.quorum()
                && let Some(v) = value
            {
                let cert = keeper
                    .certificate(&set, &slot, Round(0), VoteKind::Prevote, v)
                    .unwrap();
                cert.verify(&set).unwrap();
            }
        }
        // Bisection cost: at most 1 + 2·bad·ceil(log2 n) checks.
        let bad = expected_bad.len() as u32;
        let log = usize::BITS - n.leading_zeros();
        assert!(
            report.checks <= 1 + 2 * bad * log,
            "{} checks",
            report.checks
        );
    }

    fn case_strategy() -> impl Strategy<Value = Vec<Case>> {
        prop::collection::vec(
            (
                prop_oneof![
                    Just(None),
                    Just(Some(H256([1; 32]))),
                    Just(Some(H256([2; 32])))
                ],
                prop::bool::weighted(0.2),
            ),
            1..40,
        )
    }

    proptest! {
        #[test]
        fn optimistic_counting_matches_individual_checks(cases in case_strategy()) {
            let weights: Vec<u128> = (0..cases.len()).map(|i| 1 + (i as u128 % 5)).collect();
            run_case::<InsecureTestScheme>(&cases, &weights);
        }
    }

    #[test]
    fn bls_bisection_finds_exactly_the_forged_votes() {
        let a = Some(H256([1; 32]));
        let mut cases: Vec<Case> = (0..10).map(|_| (a, false)).collect();
        cases[2].1 = true;
        cases[7].1 = true;
        cases.push((None, false));
        cases.push((None, true));
        run_case::<Bls>(&cases, &[1; 12]);
        // All good: one check.
        let good: Vec<Case> = (0..7).map(|_| (a, false)).collect();
        run_case::<Bls>(&good, &[1; 7]);
    }
}
