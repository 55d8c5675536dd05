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
//!
//! # Aggregate checks prove a set, not each member
//!
//! Two colluders can shift their signatures (`s_B + X`, `s_C − X`): the aggregate of the value
//! verifies while neither vote does alone. Such votes are counted (the aggregate, and every
//! certificate built from it, is valid), but each stored vote remembers how far it was checked
//! ([`Check`]): a vote is used **on its own** — as equivocation evidence, or relayed to a peer —
//! only once its own signature verified. Conflicts pay that check (only under attack or
//! equivocation); relaying pays it once per vote, in one batch.
//!
//! # Bounds
//!
//! Votes are stored sparsely (one entry per vote, no per-validator slot vectors), and the
//! unverified ones are capped: each validator index holds at most [`MAX_PENDING_PER_VALIDATOR`]
//! pending votes per height, whoever sent them. A vote beyond that is verified on arrival and
//! stored only if it verifies. So unverified state is at most `MAX_PENDING_PER_VALIDATOR · n`
//! votes (each with at most one tally of its own) per partition, and verified state at most two
//! votes per validator per round — a validator's own signatures.

use zg_core::H256;

use crate::bitmap::SignerBitmap;
use crate::certificate::Certificate;
use crate::evidence::Evidence;
use crate::scheme::{BatchItem, Scheme};
use crate::types::{Round, SignedVote, Slot, ValidatorIndex, Vote, VoteKind, vote_signing_bytes};
use crate::validators::ValidatorSet;

/// Most unverified votes one validator index may hold in one partition's current height (any
/// rounds and steps together). Further votes claiming that validator are verified on arrival.
/// Two per step covers an honest validator in the current round and the next.
pub const MAX_PENDING_PER_VALIDATOR: usize = 4;

/// How far a stored vote's signature was checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Check {
    /// Not yet: counts toward nothing.
    Pending,
    /// Verified inside an aggregate of several votes: counts, but is not known valid alone.
    Aggregate,
    /// Verified on its own: counts, and may be used on its own.
    Individual,
    /// Verified inside an aggregate but invalid alone (shifted by a colluder): counts, and is
    /// never used on its own.
    AggregateOnly,
}

impl Check {
    fn counted(self) -> bool {
        self != Check::Pending
    }
}

/// A vote as stored: who, value, signature, and how far the signature was checked.
#[derive(Clone, Debug)]
struct Entry<S: Scheme> {
    validator: ValidatorIndex,
    value: Option<H256>,
    signature: S::Signature,
    check: Check,
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

impl<S: Scheme> Tally<S> {
    fn is_empty(&self) -> bool {
        self.verified == 0 && self.pending == 0 && self.certified.is_none()
    }

    fn add_to_aggregate(&mut self, sig: &S::Signature) {
        self.aggregate = match self.aggregate.take() {
            None => Some(sig.clone()),
            Some(a) => S::aggregate_signatures([&a, sig]),
        };
    }

    fn heap_bytes(&self) -> usize {
        usize::from(self.signers.len()).div_ceil(64) * 8
    }
}

#[derive(Clone, Debug)]
struct KindVotes<S: Scheme> {
    /// Sorted by validator, at most one per validator.
    entries: Vec<Entry<S>>,
    tallies: Vec<Tally<S>>,
    verified_any: u128,
    pending_any: u128,
}

impl<S: Scheme> Default for KindVotes<S> {
    fn default() -> Self {
        KindVotes {
            entries: Vec::new(),
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

    /// Takes `w` of pending weight off `value`, dropping its tally if nothing is left in it.
    fn unpend(&mut self, value: Option<H256>, w: u128) {
        self.pending_any = self.pending_any.saturating_sub(w);
        if let Some(i) = self.tallies.iter().position(|t| t.value == value) {
            let t = &mut self.tallies[i];
            t.pending = t.pending.saturating_sub(w);
            if t.is_empty() {
                self.tallies.swap_remove(i);
            }
        }
    }

    fn find(&self, validator: ValidatorIndex) -> Result<usize, usize> {
        self.entries
            .binary_search_by_key(&validator, |e| e.validator)
    }

    fn entry(&self, validator: ValidatorIndex) -> Option<&Entry<S>> {
        self.find(validator).ok().map(|i| &self.entries[i])
    }

    /// Counts the verified entry at `pos` in its tally (weight and signer bit), and its
    /// signature into the tally's aggregate unless the caller adds a group aggregate instead.
    fn count(&mut self, pos: usize, w: u128, n: u16, with_signature: bool) {
        let (value, idx) = (self.entries[pos].value, self.entries[pos].validator);
        let sig = with_signature.then(|| self.entries[pos].signature.clone());
        self.verified_any += w;
        let t = self.tally_mut(value, n);
        t.verified += w;
        t.signers.insert(idx);
        if let Some(sig) = sig {
            t.add_to_aggregate(&sig);
        }
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

impl<S: Scheme> RoundVotes<S> {
    fn is_empty(&self) -> bool {
        self.fired == 0
            && self
                .kinds
                .iter()
                .all(|k| k.entries.is_empty() && k.tallies.is_empty())
    }
}

/// Gives back the spare capacity of a vector that shrank (so memory follows what is held, not
/// the most ever held).
fn trim<T>(v: &mut Vec<T>) {
    if v.capacity() > 2 * v.len() + 4 {
        v.shrink_to(v.len() + v.len() / 2);
    }
}

/// What happened to an incoming vote.
#[derive(Debug)]
pub(crate) enum Added<S: Scheme> {
    /// Stored as pending.
    Pending,
    /// Over its validator's pending cap: verified on arrival and stored as verified.
    Verified,
    /// Over its validator's pending cap and its signature failed: dropped.
    Forged,
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
    /// The new vote is forged or a harmless duplicate, or the stored one cannot serve as
    /// evidence on its own; dropped.
    Dropped,
    /// Both verify on their own and differ: equivocation (the evidence verifies).
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
    /// Pending votes per validator index (allocated with the first pending vote).
    pending: Vec<u8>,
}

impl<S: Scheme> Default for VoteKeeper<S> {
    fn default() -> Self {
        VoteKeeper {
            rounds: Vec::new(),
            pending: Vec::new(),
        }
    }
}

/// Whether `sv`'s own signature verifies under its validator's key.
fn verify_alone<S: Scheme>(set: &ValidatorSet<S>, slot: &Slot, sv: &SignedVote<S>) -> bool {
    let Some(validator) = set.get(sv.vote.validator) else {
        return false;
    };
    let msg = vote_signing_bytes(slot, sv.vote.round, sv.vote.kind, sv.vote.value);
    S::verify(&validator.public_key, &msg, &sv.signature)
}

impl<S: Scheme> VoteKeeper<S> {
    /// Forgets everything (new height).
    pub(crate) fn clear(&mut self) {
        self.rounds = Vec::new();
        self.pending = Vec::new();
    }

    /// Heap bytes held (approximate, for memory reports and the flood bounds).
    pub(crate) fn heap_bytes(&self) -> usize {
        let mut b = self.rounds.capacity() * core::mem::size_of::<RoundVotes<S>>()
            + self.pending.capacity();
        for r in &self.rounds {
            b += usize::from(r.senders.len()).div_ceil(64) * 8;
            for k in &r.kinds {
                b += k.entries.capacity() * core::mem::size_of::<Entry<S>>();
                b += k.tallies.capacity() * core::mem::size_of::<Tally<S>>();
                b += k.tallies.iter().map(Tally::heap_bytes).sum::<usize>();
            }
        }
        b
    }

    /// Unverified votes held.
    pub(crate) fn pending_votes(&self) -> usize {
        self.pending.iter().map(|&c| usize::from(c)).sum()
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

    fn pending_of(&self, idx: ValidatorIndex) -> usize {
        self.pending.get(idx.get()).map_or(0, |&c| usize::from(c))
    }

    fn adjust_pending(&mut self, idx: ValidatorIndex, n: u16, up: bool) {
        if self.pending.is_empty() {
            self.pending = vec![0; usize::from(n)];
        }
        if let Some(c) = self.pending.get_mut(idx.get()) {
            *c = if up {
                c.saturating_add(1)
            } else {
                c.saturating_sub(1)
            };
        }
    }

    /// Stores an incoming vote (the caller checked the index and the round window): as pending
    /// while its validator is under [`MAX_PENDING_PER_VALIDATOR`], else verified on arrival.
    pub(crate) fn add(
        &mut self,
        set: &ValidatorSet<S>,
        slot: &Slot,
        sv: &SignedVote<S>,
    ) -> Added<S> {
        let n = set.len_u16();
        let idx = sv.vote.validator;
        let w = set.weight(idx);
        if w == 0 {
            return Added::Duplicate;
        }
        if let Some(e) = self
            .round(sv.vote.round)
            .and_then(|rv| rv.kinds[sv.vote.kind.index()].entry(idx))
        {
            return if e.value == sv.vote.value && e.signature == sv.signature {
                Added::Duplicate
            } else {
                Added::Conflict(SignedVote {
                    vote: Vote {
                        value: e.value,
                        ..sv.vote
                    },
                    signature: e.signature.clone(),
                })
            };
        }
        let check = if self.pending_of(idx) < MAX_PENDING_PER_VALIDATOR {
            Check::Pending
        } else if verify_alone(set, slot, sv) {
            Check::Individual
        } else {
            return Added::Forged;
        };
        let rv = self.round_mut(sv.vote.round, n);
        let kv = &mut rv.kinds[sv.vote.kind.index()];
        let Err(pos) = kv.find(idx) else {
            return Added::Duplicate;
        };
        kv.entries.insert(
            pos,
            Entry {
                validator: idx,
                value: sv.vote.value,
                signature: sv.signature.clone(),
                check,
            },
        );
        if check == Check::Pending {
            kv.pending_any += w;
            kv.tally_mut(sv.vote.value, n).pending += w;
            self.adjust_pending(idx, n, true);
            Added::Pending
        } else {
            kv.count(pos, w, n, true);
            if rv.senders.insert(idx) {
                rv.sender_weight += w;
            }
            Added::Verified
        }
    }

    /// Stores one of our own votes, already verified (we signed it).
    pub(crate) fn add_own(&mut self, set: &ValidatorSet<S>, sv: &SignedVote<S>) {
        let n = set.len_u16();
        let idx = sv.vote.validator;
        let w = set.weight(idx);
        if w == 0 {
            return;
        }
        let mut was_pending = false;
        {
            let rv = self.round_mut(sv.vote.round, n);
            let kv = &mut rv.kinds[sv.vote.kind.index()];
            match kv.find(idx) {
                Ok(pos) if kv.entries[pos].check.counted() => return,
                Ok(pos) => {
                    // Only a forged vote in our name can be pending here; unwind it.
                    let old = kv.entries.remove(pos);
                    kv.unpend(old.value, w);
                    was_pending = true;
                }
                Err(_) => {}
            }
            let Err(pos) = kv.find(idx) else {
                return;
            };
            kv.entries.insert(
                pos,
                Entry {
                    validator: idx,
                    value: sv.vote.value,
                    signature: sv.signature.clone(),
                    check: Check::Individual,
                },
            );
            kv.count(pos, w, n, true);
            if rv.senders.insert(idx) {
                rv.sender_weight += w;
            }
        }
        if was_pending {
            self.adjust_pending(idx, n, false);
        }
    }

    /// Resolves a conflict between the stored vote of a validator and a new one, checking each
    /// signature on its own (this only happens under attack or equivocation). Evidence is only
    /// ever returned after [`Evidence::verify`] accepted it.
    pub(crate) fn resolve_conflict(
        &mut self,
        set: &ValidatorSet<S>,
        slot: &Slot,
        stored: &SignedVote<S>,
        new: &SignedVote<S>,
    ) -> Resolved<S> {
        let n = set.len_u16();
        let idx = new.vote.validator;
        let w = set.weight(idx);
        let Some(check) = self
            .round(new.vote.round)
            .and_then(|rv| rv.kinds[new.vote.kind.index()].entry(idx))
            .map(|e| e.check)
        else {
            return Resolved::Dropped;
        };
        let stored_ok = match check {
            Check::Individual => true,
            Check::AggregateOnly => false,
            Check::Pending | Check::Aggregate => verify_alone(set, slot, stored),
        };
        let rv = self.round_mut(new.vote.round, n);
        let kv = &mut rv.kinds[new.vote.kind.index()];
        let Ok(pos) = kv.find(idx) else {
            return Resolved::Dropped;
        };
        match (check, stored_ok) {
            (Check::Pending, false) => {
                // The stored vote was forged: the new one takes its place, pending.
                let e = &mut kv.entries[pos];
                let old = e.value;
                e.value = new.vote.value;
                e.signature = new.signature.clone();
                kv.unpend(old, w);
                kv.pending_any += w;
                kv.tally_mut(new.vote.value, n).pending += w;
                return Resolved::Replaced;
            }
            (Check::Pending, true) => {
                // Checked alone now: count it.
                kv.entries[pos].check = Check::Individual;
                kv.unpend(stored.vote.value, w);
                kv.count(pos, w, n, true);
                if rv.senders.insert(idx) {
                    rv.sender_weight += w;
                }
                self.adjust_pending(idx, n, false);
            }
            (Check::Aggregate, ok) => {
                kv.entries[pos].check = if ok {
                    Check::Individual
                } else {
                    Check::AggregateOnly
                };
            }
            _ => {}
        }
        if !stored_ok || new.vote.value == stored.vote.value {
            return Resolved::Dropped;
        }
        match Evidence::new(stored.clone(), new.clone()) {
            Ok(e) if e.verify(set).is_ok() => Resolved::Equivocation(e),
            _ => Resolved::Dropped,
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
            let mut pending_senders: Vec<ValidatorIndex> = rv
                .kinds
                .iter()
                .flat_map(|k| k.entries.iter())
                .filter(|e| e.check == Check::Pending && !rv.senders.contains(e.validator))
                .map(|e| e.validator)
                .collect();
            pending_senders.sort_unstable();
            pending_senders.dedup();
            let weight: u128 = pending_senders.iter().map(|&i| set.weight(i)).sum();
            return rv.sender_weight + weight >= set.skip_threshold();
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
            .entries
            .iter()
            .filter(|e| e.check == Check::Pending)
            .map(|e| (e.value, e.validator))
            .collect();
        items.sort_unstable();
        let mut report = Verified::default();
        let mut good: Vec<(ValidatorIndex, Check)> = Vec::with_capacity(items.len());
        let mut groups: Vec<(Option<H256>, S::Signature)> = Vec::new();
        bisect(
            set,
            slot,
            (round, kind),
            &kv.entries,
            &items,
            false,
            &mut good,
            &mut report,
            &mut groups,
        );
        let mut settled = Vec::with_capacity(items.len());
        // Count the good votes.
        for &(idx, check) in &good {
            let w = set.weight(idx);
            let Ok(pos) = kv.find(idx) else {
                continue;
            };
            kv.entries[pos].check = check;
            let value = kv.entries[pos].value;
            kv.unpend(value, w);
            kv.count(pos, w, n, false);
            if rv.senders.insert(idx) {
                rv.sender_weight += w;
            }
            settled.push(idx);
        }
        for (value, agg) in groups {
            kv.tally_mut(value, n).add_to_aggregate(&agg);
        }
        // Drop the bad ones: free the slot so a genuine vote can still arrive.
        for &idx in &report.dropped {
            if let Ok(pos) = kv.find(idx) {
                let e = kv.entries.remove(pos);
                kv.unpend(e.value, set.weight(idx));
                settled.push(idx);
            }
        }
        trim(&mut kv.entries);
        trim(&mut kv.tallies);
        for idx in settled {
            self.adjust_pending(idx, n, false);
        }
        // A round left with nothing (all of it forged) is forgotten.
        if let Ok(i) = self.rounds.binary_search_by_key(&round, |r| r.round)
            && self.rounds[i].is_empty()
        {
            self.rounds.remove(i);
            trim(&mut self.rounds);
        }
        report
    }

    /// The votes of a round (both steps) whose signatures verified **on their own**, as signed
    /// by their validators: what a peer that is still in that round needs to move on (relayed,
    /// the paper's gossip assumption). Votes verified only inside an aggregate are checked alone
    /// first — all of them in one batch, one by one only if that fails — and each vote pays this
    /// at most once; one that fails alone is never relayed. Returns the votes and the number of
    /// verifications made.
    pub(crate) fn relayable(
        &mut self,
        set: &ValidatorSet<S>,
        slot: &Slot,
        round: Round,
    ) -> (Vec<SignedVote<S>>, u64) {
        let n = set.len_u16();
        if self.round(round).is_none() {
            return (Vec::new(), 0);
        }
        let rv = self.round_mut(round, n);
        let mut checks = 0;
        let mut out = Vec::new();
        for (kind, kv) in [VoteKind::Prevote, VoteKind::Precommit]
            .into_iter()
            .zip(rv.kinds.iter_mut())
        {
            checks += settle_alone(set, slot, round, kind, &mut kv.entries);
            for e in kv.entries.iter().filter(|e| e.check == Check::Individual) {
                out.push(SignedVote {
                    vote: Vote {
                        partition: slot.partition,
                        epoch: slot.epoch,
                        height: slot.height,
                        round,
                        kind,
                        value: e.value,
                        validator: e.validator,
                    },
                    signature: e.signature.clone(),
                });
            }
        }
        (out, checks)
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

/// Checks every entry verified only in an aggregate on its own: one batch of separate items
/// (each with its own random weight, so each must hold alone), then one by one if the batch
/// fails. Returns the verifications made.
fn settle_alone<S: Scheme>(
    set: &ValidatorSet<S>,
    slot: &Slot,
    round: Round,
    kind: VoteKind,
    entries: &mut [Entry<S>],
) -> u64 {
    let todo: Vec<usize> = (0..entries.len())
        .filter(|&i| entries[i].check == Check::Aggregate)
        .collect();
    if todo.is_empty() {
        return 0;
    }
    let messages: Vec<_> = todo
        .iter()
        .map(|&i| vote_signing_bytes(slot, round, kind, entries[i].value))
        .collect();
    let alone = |i: usize, m: &[u8]| {
        set.get(entries[i].validator)
            .is_some_and(|v| S::verify(&v.public_key, m, &entries[i].signature))
    };
    let batch: Vec<BatchItem<'_, S>> = todo
        .iter()
        .zip(&messages)
        .filter_map(|(&i, m)| {
            Some(BatchItem {
                message: m,
                public_key: &set.get(entries[i].validator)?.public_key,
                signature: &entries[i].signature,
            })
        })
        .collect();
    let mut checks = 1;
    let verdicts: Vec<bool> = if batch.len() == todo.len() && S::verify_batch(&batch) {
        vec![true; todo.len()]
    } else {
        checks += todo.len() as u64;
        todo.iter()
            .zip(&messages)
            .map(|(&i, m)| alone(i, m))
            .collect()
    };
    drop(batch);
    for (&i, ok) in todo.iter().zip(verdicts) {
        entries[i].check = if ok {
            Check::Individual
        } else {
            Check::AggregateOnly
        };
    }
    checks
}

/// Checks `items` (sorted by value) as one batch; on failure splits them and recurses. Good
/// votes go to `good` with how far they were checked — alone if their value's group in the
/// passing batch had one member (the batch weights every group separately), else in aggregate —
/// and the aggregate signature of each verified group to `groups`.
#[allow(clippy::too_many_arguments)] // a recursive helper over the keeper's borrowed parts
fn bisect<S: Scheme>(
    set: &ValidatorSet<S>,
    slot: &Slot,
    at: (Round, VoteKind),
    entries: &[Entry<S>],
    items: &[(Option<H256>, ValidatorIndex)],
    known_bad: bool,
    good: &mut Vec<(ValidatorIndex, Check)>,
    report: &mut Verified,
    groups: &mut Vec<(Option<H256>, S::Signature)>,
) {
    if items.is_empty() {
        return;
    }
    if !known_bad {
        report.checks += 1;
        if let Some(aggs) = check_batch(set, slot, at, entries, items) {
            accept(items, good);
            groups.extend(aggs);
            return;
        }
    }
    if let [(_, idx)] = items {
        report.dropped.push(*idx);
        return;
    }
    let (left, right) = items.split_at(items.len() / 2);
    report.checks += 1;
    if let Some(aggs) = check_batch(set, slot, at, entries, left) {
        accept(left, good);
        groups.extend(aggs);
        // The whole failed and the left half passed, so the right half must fail.
        bisect(set, slot, at, entries, right, true, good, report, groups);
    } else {
        bisect(set, slot, at, entries, left, true, good, report, groups);
        bisect(set, slot, at, entries, right, false, good, report, groups);
    }
}

/// Records the votes of a passing batch as good.
fn accept(items: &[(Option<H256>, ValidatorIndex)], good: &mut Vec<(ValidatorIndex, Check)>) {
    for group in items.chunk_by(|a, b| a.0 == b.0) {
        let check = if group.len() == 1 {
            Check::Individual
        } else {
            Check::Aggregate
        };
        good.extend(group.iter().map(|&(_, idx)| (idx, check)));
    }
}

/// One batch check of votes grouped by value: per group, the aggregate key and signature over
/// the group's common message. Returns the groups' aggregate signatures when it passes.
fn check_batch<S: Scheme>(
    set: &ValidatorSet<S>,
    slot: &Slot,
    (round, kind): (Round, VoteKind),
    entries: &[Entry<S>],
    items: &[(Option<H256>, ValidatorIndex)],
) -> Option<Vec<(Option<H256>, S::Signature)>> {
    let signature = |i: ValidatorIndex| {
        entries
            .binary_search_by_key(&i, |e| e.validator)
            .ok()
            .map(|p| &entries[p].signature)
    };
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
        let sig = S::aggregate_signatures(group.iter().filter_map(|(_, i)| signature(*i)))?;
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
            assert!(matches!(keeper.add(&set, &slot, &sv), Added::Pending));
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
