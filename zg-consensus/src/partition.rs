//! One partition: Algorithm 1 of "The latest gossip on BFT consensus" (Buchman, Kwon, Milosevic,
//! [arXiv:1807.04938](https://arxiv.org/abs/1807.04938)), line numbers as in the paper.
//!
//! The upon-rules are evaluated to a fixpoint after every input ([`Partition::process`]), as the
//! paper prescribes ("an upon rule is triggered once the message log contains messages such that
//! the condition evaluates to true"). Message counts are stake-weighted and count **verified**
//! votes only (see [`votes`](crate::votes)).
//!
//! Deviations from the pseudo-code, each safe:
//! * **Decision (line 49)** needs 2f+1 `PRECOMMIT`s for `id(v)` in some round but not the proposal
//!   or `valid(v)`: values are opaque ids, and 2f+1 precommits imply at least f+1 correct
//!   processes checked `valid(v)` before precommitting. This is what lets a node decide from a
//!   commit certificate alone (catch-up).
//! * **Round skip (line 55)** counts validators with a verified vote in the higher round, not
//!   proposals; every correct process in a round prevotes, so the rule still fires.
//! * The proposer also schedules `timeoutPropose` (line 20), in case its host never answers
//!   `getValue()`.
//!
//! The paper assumes gossip: whatever one correct process receives, every correct process
//! eventually receives. Without a gossip layer, the partition provides what its rules need:
//! * a **resend** timer re-broadcasts our own messages of the current round (and the proof
//!   behind our `validValue`, see below) every `Config::resend` — messages lost before the
//!   network stabilised still arrive after;
//! * a peer that sends us a vote of an **earlier round** of our height gets the verified votes
//!   we hold of that round (what let us leave it, lines 47/65 or 55) and of our current round;
//! * a proposal that re-proposes `validValue` carries the certificate of its 2f+1 prevotes
//!   (the proof of lock line 28 needs), and nodes re-send that certificate
//!   (`Message::ProofOfLock`); a receiver adopts a newer one as its `validValue`/`validRound`,
//!   which only changes what it would propose — never its lock — so the latest possible
//!   decision value reaches an honest proposer;
//! * a peer still voting at a height we decided gets that height's commit certificate, and a
//!   node two heights behind asks for the certificates it missed.
//!
//! The long seeded runs (`tests/simulation.rs`) found the stalls each of these prevents.

use std::collections::VecDeque;
use std::sync::Arc;

use zg_core::machine::Outbox;
use zg_core::{H256, NodeId, Timestamp};

use crate::Error;
use crate::certificate::Certificate;
use crate::config::Config;
use crate::protocol::{
    Consensus, Event, Message, PartitionSnapshot, Record, Request, TimeoutKind, Timer,
};
use crate::scheme::Scheme;
use crate::staking::StakeLedger;
use crate::types::{
    Height, PartitionId, Proposal, Round, SignedProposal, SignedVote, Slot, ValidatorIndex, Vote,
    VoteKind,
};
use crate::validators::ValidatorSet;
use crate::votes::{Added, Resolved, VoteKeeper, fired};

/// `step_p`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// Waiting for a proposal.
    Propose,
    /// Prevoted; waiting for 2f+1 prevotes.
    Prevote,
    /// Precommitted; waiting for 2f+1 precommits.
    Precommit,
}

/// Answer of the host's `valid(v)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Validity {
    Pending,
    Valid,
    Invalid,
}

/// Counters of expensive work (for benches and reports).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkStats {
    /// Signatures made.
    pub signatures: u64,
    /// Batch verifications of pending votes (including bisection steps).
    pub vote_batches: u64,
    /// Single verifications (proposals, certificates, conflicts).
    pub single_checks: u64,
    /// Votes dropped for bad signatures.
    pub bad_votes: u64,
}

/// What a partition needs from the node for one input.
pub(crate) struct Ctx<'a, S: Scheme> {
    pub(crate) config: &'a Config,
    pub(crate) ledger: &'a StakeLedger<S>,
    pub(crate) secret: Option<&'a S::SecretKey>,
    pub(crate) public: Option<&'a S::PublicKey>,
    pub(crate) out: &'a mut Outbox<Consensus<S>>,
    pub(crate) now: Timestamp,
    pub(crate) decisions: &'a mut u64,
    pub(crate) stats: &'a mut WorkStats,
}

impl<'a, S: Scheme> Ctx<'a, S> {
    /// The validator set that votes at `height`, if its epoch was announced.
    fn set(&self, height: Height) -> Option<&'a ValidatorSet<S>> {
        let ledger: &'a StakeLedger<S> = self.ledger;
        ledger.set(self.config.epoch_of(height)).map(|s| s.as_ref())
    }

    /// Our index in `set` and our secret key, if we are a member.
    fn me(&self, set: &ValidatorSet<S>) -> Option<(ValidatorIndex, &'a S::SecretKey)> {
        let secret: &'a S::SecretKey = self.secret?;
        set.index_of(self.public?).map(|i| (i, secret))
    }
}

/// The state of one partition (one Tendermint instance per height, heights in sequence).
#[derive(Debug)]
pub(crate) struct Partition<S: Scheme> {
    id: PartitionId,
    /// `h_p`.
    height: Height,
    /// `round_p`.
    round: Round,
    /// `step_p`.
    step: Step,
    /// Whether the current height runs (its validator set is known).
    started: bool,
    /// `lockedRound_p`, `lockedValue_p` (`None` = −1, nil).
    locked: Option<(Round, H256)>,
    /// `validRound_p`, `validValue_p`.
    valid: Option<(Round, H256)>,
    started_at: Timestamp,
    votes: VoteKeeper<S>,
    /// Verified proposals from the right proposer, at most one per round.
    proposals: Vec<Arc<SignedProposal<S>>>,
    validity: Vec<(H256, Validity)>,
    own_votes: Vec<SignedVote<S>>,
    own_proposals: Vec<Arc<SignedProposal<S>>>,
    /// Proofs of lock we acted on at this height (persisted; see [`Record::Polka`]).
    polkas: Vec<Arc<Certificate<S>>>,
    value_requested: Option<Round>,
    buffer: Vec<(NodeId, Message<S>)>,
    history: VecDeque<Arc<Certificate<S>>>,
    /// Rate limiting of replies to (and requests of) peers, at most
    /// [`MAX_RATE_LIMITED_PEERS`] of them.
    peers: Vec<PeerLimit>,
    equivocators: Vec<ValidatorIndex>,
}

impl<S: Scheme> Partition<S> {
    pub(crate) fn new(id: PartitionId) -> Self {
        Partition {
            id,
            height: Height(0),
            round: Round(0),
            step: Step::Propose,
            started: false,
            locked: None,
            valid: None,
            started_at: Timestamp::ZERO,
            votes: VoteKeeper::default(),
            proposals: Vec::new(),
            validity: Vec::new(),
            own_votes: Vec::new(),
            own_proposals: Vec::new(),
            polkas: Vec::new(),
            value_requested: None,
            buffer: Vec::new(),
            history: VecDeque::new(),
            peers: Vec::new(),
            equivocators: Vec::new(),
        }
    }

    pub(crate) fn height(&self) -> Height {
        self.height
    }
    pub(crate) fn round(&self) -> Round {
        self.round
    }
    pub(crate) fn step(&self) -> Step {
        self.step
    }
    pub(crate) fn is_running(&self) -> bool {
        self.started
    }
    pub(crate) fn locked(&self) -> Option<(Round, H256)> {
        self.locked
    }
    pub(crate) fn valid(&self) -> Option<(Round, H256)> {
        self.valid
    }
    pub(crate) fn own_votes(&self) -> &[SignedVote<S>] {
        &self.own_votes
    }
    pub(crate) fn history(&self) -> impl Iterator<Item = &Arc<Certificate<S>>> {
        self.history.iter()
    }

    /// Unverified votes held at the current height.
    pub(crate) fn pending_votes(&self) -> usize {
        self.votes.pending_votes()
    }

    /// Heap bytes held by this partition (approximate).
    pub(crate) fn heap_bytes(&self) -> usize {
        use core::mem::size_of;
        self.votes.heap_bytes()
            + self.proposals.capacity() * size_of::<Arc<SignedProposal<S>>>()
            + self.proposals.len() * size_of::<SignedProposal<S>>()
            + self.validity.capacity() * size_of::<(H256, Validity)>()
            + self.own_votes.capacity() * size_of::<SignedVote<S>>()
            + self.own_proposals.capacity() * size_of::<Arc<SignedProposal<S>>>()
            + self.polkas.capacity() * size_of::<Arc<Certificate<S>>>()
            + self.buffer.capacity() * size_of::<(NodeId, Message<S>)>()
            + self.history.capacity() * size_of::<Arc<Certificate<S>>>()
            + self.history.len() * (size_of::<Certificate<S>>() + 32)
            + self.peers.capacity() * size_of::<PeerLimit>()
            + self.equivocators.capacity() * size_of::<ValidatorIndex>()
    }

    // ---------------------------------------------------------------------------------------
    // Restore (write-ahead log replay)
    // ---------------------------------------------------------------------------------------

    pub(crate) fn restore_own_vote(&mut self, sv: SignedVote<S>) {
        if sv.vote.height == self.height && !self.own_votes.contains(&sv) {
            self.own_votes.push(sv);
        }
    }

    pub(crate) fn restore_own_proposal(&mut self, sp: Arc<SignedProposal<S>>) {
        if sp.proposal.height == self.height && !self.own_proposals.contains(&sp) {
            self.own_proposals.push(sp);
        }
    }

    pub(crate) fn restore_polka(&mut self, cert: Arc<Certificate<S>>) {
        if cert.height == self.height && !self.polkas.contains(&cert) {
            self.polkas.push(cert);
        }
    }

    pub(crate) fn restore_decided(&mut self, cert: Arc<Certificate<S>>, keep: usize) {
        if cert.height < self.height {
            return;
        }
        self.height = cert.height.next();
        self.own_votes.clear();
        self.own_proposals.clear();
        self.polkas.clear();
        self.push_history(cert, keep);
    }

    pub(crate) fn snapshot(&self) -> PartitionSnapshot<S> {
        PartitionSnapshot {
            height: self.height,
            history: self.history.iter().cloned().collect(),
            own_votes: self.own_votes.clone(),
            own_proposals: self.own_proposals.clone(),
            polkas: self.polkas.clone(),
        }
    }

    pub(crate) fn from_snapshot(id: PartitionId, snap: &PartitionSnapshot<S>) -> Self {
        let mut p = Partition::new(id);
        p.height = snap.height;
        p.history = snap.history.iter().cloned().collect();
        p.own_votes = snap.own_votes.clone();
        p.own_proposals = snap.own_proposals.clone();
        p.polkas = snap.polkas.clone();
        p
    }

    fn push_history(&mut self, cert: Arc<Certificate<S>>, keep: usize) {
        if keep == 0 {
            return;
        }
        while self.history.len() >= keep {
            self.history.pop_front();
        }
        self.history.push_back(cert);
    }

    // ---------------------------------------------------------------------------------------
    // Inputs
    // ---------------------------------------------------------------------------------------

    /// Starts the height if possible and runs the rules (after construction, restore, or a new
    /// epoch announcement).
    pub(crate) fn poke(&mut self, cx: &mut Ctx<'_, S>) {
        self.process(cx);
    }

    /// A message from a peer.
    pub(crate) fn on_message(
        &mut self,
        cx: &mut Ctx<'_, S>,
        from: NodeId,
        message: Message<S>,
    ) -> Result<(), Error> {
        let result = self.ingest(cx, from, message);
        self.process(cx);
        result
    }

    /// A timer fired: `OnTimeoutPropose`, `OnTimeoutPrevote`, `OnTimeoutPrecommit` (lines
    /// 57–67), or the resend timer.
    pub(crate) fn on_timeout(&mut self, cx: &mut Ctx<'_, S>, timer: Timer) {
        if !self.started || timer.height != self.height {
            return;
        }
        let Some(set) = cx.set(self.height) else {
            return;
        };
        match timer.kind {
            // Line 57: OnTimeoutPropose(h, round): if still proposing, prevote nil (lines 58–60).
            TimeoutKind::Propose if timer.round == self.round && self.step == Step::Propose => {
                self.cast(cx, set, VoteKind::Prevote, None);
                self.step = Step::Prevote;
            }
            // Line 61: OnTimeoutPrevote(h, round): precommit nil (lines 62–64).
            TimeoutKind::Prevote if timer.round == self.round && self.step == Step::Prevote => {
                self.cast(cx, set, VoteKind::Precommit, None);
                self.step = Step::Precommit;
            }
            // Line 65: OnTimeoutPrecommit(h, round): StartRound(round + 1) (lines 66–67).
            TimeoutKind::Precommit if timer.round == self.round => {
                self.start_round(cx, set, self.round.next());
            }
            TimeoutKind::Resend if timer.round == self.round => {
                self.resend(cx);
                self.schedule_resend(cx);
            }
            _ => {}
        }
        self.process(cx);
    }

    /// The host's answer to `getValue()` (line 18): propose it if we still wait for it.
    pub(crate) fn on_value(
        &mut self,
        cx: &mut Ctx<'_, S>,
        height: Height,
        round: Round,
        value: H256,
    ) {
        if !self.started
            || height != self.height
            || round != self.round
            || self.step != Step::Propose
            || self.value_requested != Some(round)
        {
            return;
        }
        self.value_requested = None;
        if let Some(set) = cx.set(self.height) {
            // Line 18-19: proposal ← getValue(); broadcast ⟨PROPOSAL, h, round, proposal, −1⟩.
            self.propose(cx, set, value, None);
        }
        self.process(cx);
    }

    /// The host's answer to `valid(v)`.
    pub(crate) fn on_validity(
        &mut self,
        cx: &mut Ctx<'_, S>,
        height: Height,
        value: H256,
        valid: bool,
    ) {
        if height != self.height {
            return;
        }
        let answer = if valid {
            Validity::Valid
        } else {
            Validity::Invalid
        };
        match self.validity.iter_mut().find(|(v, _)| *v == value) {
            Some(entry) => entry.1 = answer,
            None => self.validity.push((value, answer)),
        }
        self.process(cx);
    }

    /// A commit certificate from the host.
    pub(crate) fn on_import(
        &mut self,
        cx: &mut Ctx<'_, S>,
        cert: Certificate<S>,
    ) -> Result<(), Error> {
        let result = self.accept_certificate(cx, Arc::new(cert));
        self.process(cx);
        result
    }

    // ---------------------------------------------------------------------------------------
    // Ingest: store what arrived, verify what must be verified, run no rules yet.
    // ---------------------------------------------------------------------------------------

    fn ingest(
        &mut self,
        cx: &mut Ctx<'_, S>,
        from: NodeId,
        message: Message<S>,
    ) -> Result<(), Error> {
        let height = match &message {
            Message::SyncRequest { from: h, .. } => {
                self.serve_sync(cx, from, *h);
                return Ok(());
            }
            Message::Decisions(certs) => {
                for cert in certs.iter() {
                    if cert.height == self.height {
                        self.accept_certificate(cx, Arc::new(cert.clone()))?;
                    }
                }
                if certs.last().is_some_and(|c| c.height > self.height) {
                    self.request_sync(cx, from);
                }
                return Ok(());
            }
            Message::Decision(cert) => {
                if cert.height == self.height {
                    return self.accept_certificate(cx, cert.clone());
                }
                if cert.height > self.height {
                    self.request_sync(cx, from);
                }
                return Ok(());
            }
            Message::ProofOfLock(cert) => {
                if cert.height == self.height && self.started {
                    return self.accept_polka(cx, cert.clone());
                }
                return Ok(());
            }
            Message::Proposal(p) => p.proposal.height,
            Message::Vote(v) => v.vote.height,
        };
        if height < self.height {
            // The peer is behind: help it with the commit certificate of that height.
            self.help(cx, from, height);
            return Ok(());
        }
        if height == self.height && self.started {
            return match message {
                Message::Proposal(p) => self.ingest_proposal(cx, p),
                Message::Vote(v) => {
                    let behind = (v.vote.round < self.round).then(|| v.clone());
                    let result = self.ingest_vote(cx, v);
                    if let Some(trigger) = behind
                        && result.is_ok()
                    {
                        self.help_round(cx, from, &trigger);
                    }
                    result
                }
                _ => Ok(()),
            };
        }
        if height <= self.height.next() {
            // Our next height (or this one, before it can start): keep it for later.
            if self.buffer.len() < cx.config.max_buffered {
                self.buffer.push((from, message));
            }
            return Ok(());
        }
        // Two or more heights ahead: we fell behind. Ask that peer.
        self.request_sync(cx, from);
        Ok(())
    }

    fn ingest_proposal(
        &mut self,
        cx: &mut Ctx<'_, S>,
        sp: Arc<SignedProposal<S>>,
    ) -> Result<(), Error> {
        let Some(set) = cx.set(self.height) else {
            return Ok(());
        };
        let p = sp.proposal;
        check_epoch(cx.config, p.height, p.epoch)?;
        if p.round < self.round
            || p.round.0 > self.round.0.saturating_add(cx.config.max_round_lookahead)
        {
            // Old rounds' proposals serve no rule (decisions need precommits only).
            return Ok(());
        }
        if p.proposer != set.proposer(self.id, p.height, p.round) {
            return Err(Error::WrongProposer {
                height: p.height.0,
                round: p.round.0,
            });
        }
        if let Some(first) = self.proposals.iter().find(|q| q.proposal.round == p.round) {
            // One proposal per round: the first verified one stands. Its proof of lock is not
            // under its signature, so a copy stripped of it may have come first; the proof is
            // still taken from the same signed proposal arriving later.
            let same = first.proposal == p && first.signature == sp.signature;
            if same && let (Some(vr), Some(cert)) = (p.valid_round, &sp.proof_of_lock) {
                self.import_proof_of_lock(cx, set, &p, vr, cert)?;
            }
            return Ok(());
        }
        if p.valid_round.is_some_and(|vr| vr >= p.round) {
            return Err(Error::Decode("validRound must be below round"));
        }
        let key = &set
            .get(p.proposer)
            .ok_or(Error::UnknownValidator {
                index: p.proposer.0,
                epoch: p.epoch.0,
            })?
            .public_key;
        cx.stats.single_checks += 1;
        if !S::verify(key, &p.signing_bytes(set.network()), &sp.signature) {
            return Err(Error::InvalidSignature);
        }
        if let (Some(vr), Some(cert)) = (p.valid_round, &sp.proof_of_lock) {
            self.import_proof_of_lock(cx, set, &p, vr, cert)?;
        }
        self.proposals.push(sp);
        self.ask_validity(cx, p.value);
        Ok(())
    }

    /// A proposal's proof of lock: 2f+1 prevotes for its value in its `validRound` (line 28),
    /// verified and imported unless we already hold that quorum.
    fn import_proof_of_lock(
        &mut self,
        cx: &mut Ctx<'_, S>,
        set: &ValidatorSet<S>,
        p: &Proposal,
        vr: Round,
        cert: &Certificate<S>,
    ) -> Result<(), Error> {
        let matches = cert.partition == p.partition
            && cert.height == p.height
            && cert.epoch == p.epoch
            && cert.round == vr
            && cert.kind == VoteKind::Prevote
            && cert.value == p.value;
        if !matches {
            return Err(Error::InvalidCertificate);
        }
        if !self
            .votes
            .has_quorum(set, vr, VoteKind::Prevote, Some(p.value))
        {
            cx.stats.single_checks += 1;
            cert.verify(set)?;
            self.votes.import(set, cert.clone());
        }
        Ok(())
    }

    fn ingest_vote(&mut self, cx: &mut Ctx<'_, S>, sv: SignedVote<S>) -> Result<(), Error> {
        let Some(set) = cx.set(self.height) else {
            return Ok(());
        };
        let v = sv.vote;
        check_epoch(cx.config, v.height, v.epoch)?;
        if set.get(v.validator).is_none() {
            return Err(Error::UnknownValidator {
                index: v.validator.0,
                epoch: v.epoch.0,
            });
        }
        if v.round.0 > self.round.0.saturating_add(cx.config.max_round_lookahead) {
            return Ok(());
        }
        if cx.me(set).is_some_and(|(me, _)| me == v.validator) {
            // Our own votes we know; one we did not sign is ignored (it would take a stolen key).
            return Ok(());
        }
        let slot = self.slot(set);
        match self.votes.add(set, &slot, &sv) {
            Added::Duplicate => {}
            Added::Forged => {
                cx.stats.single_checks += 1;
                cx.stats.bad_votes += 1;
            }
            Added::Verified => {
                cx.stats.single_checks += 1;
                self.verify_if_needed(cx, set, v.round, v.kind);
            }
            Added::Pending => self.verify_if_needed(cx, set, v.round, v.kind),
            Added::Conflict(stored) => {
                if self.equivocators.contains(&v.validator) {
                    return Ok(());
                }
                cx.stats.single_checks += 2;
                match self.votes.resolve_conflict(set, &slot, &stored, &sv) {
                    Resolved::Replaced => self.verify_if_needed(cx, set, v.round, v.kind),
                    Resolved::Dropped => {}
                    Resolved::Equivocation(evidence) => {
                        self.equivocators.push(v.validator);
                        cx.out.event(Event::Equivocation(Arc::new(evidence)));
                    }
                }
            }
        }
        Ok(())
    }

    fn verify_if_needed(
        &mut self,
        cx: &mut Ctx<'_, S>,
        set: &ValidatorSet<S>,
        round: Round,
        kind: VoteKind,
    ) {
        if !self.votes.needs_verification(set, round, kind, self.round) {
            return;
        }
        let slot = self.slot(set);
        let mut kinds = vec![kind];
        if round > self.round {
            // The round-skip weight counts both steps.
            kinds.push(match kind {
                VoteKind::Prevote => VoteKind::Precommit,
                VoteKind::Precommit => VoteKind::Prevote,
            });
        }
        for k in kinds {
            let report = self.votes.verify_pending(set, &slot, round, k);
            cx.stats.vote_batches += u64::from(report.checks);
            if !report.dropped.is_empty() {
                cx.stats.bad_votes += report.dropped.len() as u64;
                cx.out.event(Event::BadSignatures {
                    partition: self.id,
                    count: report.dropped.len(),
                });
            }
        }
    }

    /// A commit certificate for the current height from a peer or the host: verify and decide.
    fn accept_certificate(
        &mut self,
        cx: &mut Ctx<'_, S>,
        cert: Arc<Certificate<S>>,
    ) -> Result<(), Error> {
        if cert.height != self.height || cert.partition != self.id {
            return Ok(());
        }
        let Some(set) = cx.set(self.height) else {
            return Err(Error::UnknownEpoch {
                epoch: cx.config.epoch_of(self.height).0,
            });
        };
        check_epoch(cx.config, cert.height, cert.epoch)?;
        if cert.kind != VoteKind::Precommit {
            return Err(Error::InvalidCertificate);
        }
        cx.stats.single_checks += 1;
        cert.verify(set)?;
        self.commit(cx, cert);
        Ok(())
    }

    /// A peer's proof of lock for the current height: verify it, keep it, and adopt it as our
    /// `validValue`/`validRound` if it is newer. This only changes what we would propose; a
    /// value with 2f+1 prevotes in a round is exactly what line 28 lets correct processes
    /// accept, and locks are untouched.
    fn accept_polka(
        &mut self,
        cx: &mut Ctx<'_, S>,
        cert: Arc<Certificate<S>>,
    ) -> Result<(), Error> {
        let Some(set) = cx.set(self.height) else {
            return Ok(());
        };
        check_epoch(cx.config, cert.height, cert.epoch)?;
        if cert.kind != VoteKind::Prevote || cert.partition != self.id {
            return Err(Error::InvalidCertificate);
        }
        if self.valid.is_some_and(|(vr, _)| vr >= cert.round) {
            return Ok(());
        }
        if !self
            .votes
            .has_quorum(set, cert.round, VoteKind::Prevote, Some(cert.value))
        {
            cx.stats.single_checks += 1;
            cert.verify(set)?;
            self.votes.import(set, (*cert).clone());
        }
        self.valid = Some((cert.round, cert.value));
        cx.out.persist(Record::Polka(cert.clone()));
        self.polkas.push(cert);
        Ok(())
    }

    // ---------------------------------------------------------------------------------------
    // The upon-rules
    // ---------------------------------------------------------------------------------------

    /// Evaluates the upon-rules until none fires.
    fn process(&mut self, cx: &mut Ctx<'_, S>) {
        loop {
            if !self.begin(cx) {
                return;
            }
            let Some(set) = cx.set(self.height) else {
                return;
            };
            let slot = self.slot(set);

            // Line 49: upon 2f+1 ⟨PRECOMMIT, h_p, r, id(v)⟩ (any round r) while decision_p[h_p]
            // = nil: decide v (lines 51–54). See the module docs on the proposal and valid(v).
            if let Some((r, v)) = self.votes.decision(set)
                && let Some(cert) = self
                    .votes
                    .certificate(set, &slot, r, VoteKind::Precommit, v)
            {
                self.commit(cx, Arc::new(cert));
                continue;
            }

            // Line 55: upon f+1 ⟨∗, h_p, round, ∗, ∗⟩ with round > round_p: StartRound(round).
            if let Some(r) = self.votes.skip_round(set, self.round) {
                self.start_round(cx, set, r);
                continue;
            }

            if self.step == Step::Propose
                && let Some(p) = self.proposal(self.round).map(|p| p.proposal)
                && let Some(valid) = self.validity_of(p.value)
            {
                let v = p.value;
                match p.valid_round {
                    // Line 22: upon ⟨PROPOSAL, h_p, round_p, v, −1⟩ from proposer(h_p, round_p)
                    // while step_p = propose.
                    None => {
                        // Line 23: if valid(v) ∧ (lockedRound_p = −1 ∨ lockedValue_p = v).
                        let accept = valid && self.locked.is_none_or(|(_, lv)| lv == v);
                        // Line 24 (prevote id(v)) or line 26 (prevote nil).
                        self.cast(cx, set, VoteKind::Prevote, accept.then_some(v));
                        // Line 27.
                        self.step = Step::Prevote;
                        continue;
                    }
                    // Line 28: upon ⟨PROPOSAL, h_p, round_p, v, vr⟩ from proposer(h_p, round_p)
                    // AND 2f+1 ⟨PREVOTE, h_p, vr, id(v)⟩ while step_p = propose ∧ 0 ≤ vr <
                    // round_p.
                    Some(vr)
                        if vr < self.round
                            && self.votes.has_quorum(set, vr, VoteKind::Prevote, Some(v)) =>
                    {
                        // Line 29: if valid(v) ∧ (lockedRound_p ≤ vr ∨ lockedValue_p = v).
                        let accept =
                            valid && self.locked.is_none_or(|(lr, lv)| lr <= vr || lv == v);
                        // Line 30 or line 32.
                        self.cast(cx, set, VoteKind::Prevote, accept.then_some(v));
                        // Line 33.
                        self.step = Step::Prevote;
                        continue;
                    }
                    Some(_) => {}
                }
            }

            // Line 34: upon 2f+1 ⟨PREVOTE, h_p, round_p, ∗⟩ while step_p = prevote for the first
            // time: schedule OnTimeoutPrevote (line 35).
            let n = set.len_u16();
            if self.step == Step::Prevote
                && !self.votes.has_fired(self.round, fired::L34)
                && self
                    .votes
                    .has_quorum_any(set, self.round, VoteKind::Prevote)
            {
                self.votes.fire(self.round, fired::L34, n);
                self.schedule(cx, TimeoutKind::Prevote, self.round);
            }

            // Line 36: upon ⟨PROPOSAL, h_p, round_p, v, ∗⟩ from proposer(h_p, round_p) AND 2f+1
            // ⟨PREVOTE, h_p, round_p, id(v)⟩ while valid(v) ∧ step_p ≥ prevote for the first
            // time.
            if self.step >= Step::Prevote
                && !self.votes.has_fired(self.round, fired::L36)
                && let Some(p) = self.proposal(self.round).map(|p| p.proposal)
                && self.validity_of(p.value) == Some(true)
                && self
                    .votes
                    .has_quorum(set, self.round, VoteKind::Prevote, Some(p.value))
            {
                self.votes.fire(self.round, fired::L36, n);
                let v = p.value;
                // Keep the proof of lock across a restart, before our precommit goes out.
                if let Some(cert) =
                    self.votes
                        .certificate(set, &slot, self.round, VoteKind::Prevote, v)
                {
                    let cert = Arc::new(cert);
                    cx.out.persist(Record::Polka(cert.clone()));
                    self.polkas.push(cert);
                }
                // Line 37.
                if self.step == Step::Prevote {
                    // Lines 38–39: lock.
                    self.locked = Some((self.round, v));
                    // Line 40: broadcast ⟨PRECOMMIT, h_p, round_p, id(v)⟩.
                    self.cast(cx, set, VoteKind::Precommit, Some(v));
                    // Line 41.
                    self.step = Step::Precommit;
                }
                // Lines 42–43.
                self.valid = Some((self.round, v));
                continue;
            }

            // Line 44: upon 2f+1 ⟨PREVOTE, h_p, round_p, nil⟩ while step_p = prevote: precommit
            // nil (lines 45–46).
            if self.step == Step::Prevote
                && self
                    .votes
                    .has_quorum(set, self.round, VoteKind::Prevote, None)
            {
                self.cast(cx, set, VoteKind::Precommit, None);
                self.step = Step::Precommit;
                continue;
            }

            // Line 47: upon 2f+1 ⟨PRECOMMIT, h_p, round_p, ∗⟩ for the first time: schedule
            // OnTimeoutPrecommit (line 48).
            if !self.votes.has_fired(self.round, fired::L47)
                && self
                    .votes
                    .has_quorum_any(set, self.round, VoteKind::Precommit)
            {
                self.votes.fire(self.round, fired::L47, n);
                self.schedule(cx, TimeoutKind::Precommit, self.round);
            }
            return;
        }
    }

    /// Starts the current height when its validator set is known: `StartRound(0)` (line 9 or
    /// 54), or after a restart the round we had reached, with what we signed there standing.
    fn begin(&mut self, cx: &mut Ctx<'_, S>) -> bool {
        if self.started {
            return true;
        }
        let Some(set) = cx.set(self.height) else {
            return false;
        };
        self.started = true;
        self.started_at = cx.now;
        // After a restart: our lock is our highest non-nil precommit (lines 38–40 set it exactly
        // when we precommit a value), and the round resumes where we signed last.
        self.locked = self
            .own_votes
            .iter()
            .filter(|v| v.vote.kind == VoteKind::Precommit)
            .filter_map(|v| v.vote.value.map(|x| (v.vote.round, x)))
            .max_by_key(|(r, _)| *r);
        self.valid = self.locked;
        for cert in self.polkas.clone() {
            self.votes.import(set, (*cert).clone());
            if self.valid.is_none_or(|(vr, _)| vr < cert.round) {
                self.valid = Some((cert.round, cert.value));
            }
        }
        for v in self.own_votes.clone() {
            if set.get(v.vote.validator).is_some() {
                self.votes.add_own(set, &v);
            }
        }
        for v in self.own_votes.clone() {
            self.verify_if_needed(cx, set, v.vote.round, v.vote.kind);
        }
        let resume = self
            .own_votes
            .iter()
            .map(|v| v.vote.round)
            .chain(self.own_proposals.iter().map(|p| p.proposal.round))
            .max()
            .unwrap_or(Round(0));
        self.start_round(cx, set, resume);
        for (from, message) in core::mem::take(&mut self.buffer) {
            // Buffered input was unverified; whatever is wrong with it is dropped here.
            let _ = self.ingest(cx, from, message);
        }
        true
    }

    /// `StartRound(round)` (lines 10–21).
    fn start_round(&mut self, cx: &mut Ctx<'_, S>, set: &ValidatorSet<S>, round: Round) {
        // Lines 11–12.
        self.round = round;
        self.step = Step::Propose;
        self.value_requested = None;
        // After a restart, what we signed in this round stands and is sent again.
        let mut voted = false;
        for kind in [VoteKind::Prevote, VoteKind::Precommit] {
            if let Some(v) = self.own_vote(round, kind).cloned() {
                cx.out.broadcast(Message::Vote(v));
                self.step = match kind {
                    VoteKind::Prevote => Step::Prevote,
                    VoteKind::Precommit => Step::Precommit,
                };
                voted = true;
            }
        }
        if voted {
            self.schedule(cx, TimeoutKind::Prevote, round);
            self.schedule(cx, TimeoutKind::Precommit, round);
        }
        // Line 13: if proposer(h_p, round_p) = p.
        let me = cx.me(set).map(|(i, _)| i);
        if me.is_some() && me == Some(set.proposer(self.id, self.height, round)) {
            if let Some(p) = self.own_proposal(round).cloned() {
                cx.out.broadcast(Message::Proposal(p.clone()));
                if !self.proposals.iter().any(|q| q.proposal.round == round) {
                    self.proposals.push(p);
                }
            } else if !voted {
                match self.valid {
                    // Lines 14–16, 19: propose validValue_p with validRound_p.
                    Some((vr, v)) => self.propose(cx, set, v, Some(vr)),
                    // Lines 17–18: proposal ← getValue(), answered by `on_value`.
                    None => {
                        self.value_requested = Some(round);
                        cx.out.request(Request::GetValue {
                            partition: self.id,
                            height: self.height,
                            round,
                        });
                    }
                }
            }
        }
        // Line 20: schedule OnTimeoutPropose(h_p, round_p) (for the proposer too, see above).
        if self.step == Step::Propose {
            self.schedule(cx, TimeoutKind::Propose, round);
        }
        self.schedule_resend(cx);
    }

    /// Line 19: broadcast ⟨PROPOSAL, h_p, round_p, proposal, validRound_p⟩.
    fn propose(
        &mut self,
        cx: &mut Ctx<'_, S>,
        set: &ValidatorSet<S>,
        value: H256,
        valid_round: Option<Round>,
    ) {
        if self.own_proposal(self.round).is_some() {
            return;
        }
        let Some((index, secret)) = cx.me(set) else {
            return;
        };
        let slot = self.slot(set);
        let proposal = Proposal {
            partition: self.id,
            epoch: slot.epoch,
            height: self.height,
            round: self.round,
            value,
            valid_round,
            proposer: index,
        };
        let proof_of_lock = valid_round.and_then(|vr| {
            self.votes
                .certificate(set, &slot, vr, VoteKind::Prevote, value)
        });
        cx.stats.signatures += 1;
        let signed = Arc::new(SignedProposal {
            signature: S::sign(secret, &proposal.signing_bytes(set.network())),
            proposal,
            proof_of_lock,
        });
        // Persist before sending: after a crash we re-send this proposal, never another.
        self.own_proposals.push(signed.clone());
        cx.out.persist(Record::Proposal(signed.clone()));
        cx.out.broadcast(Message::Proposal(signed.clone()));
        if !self
            .proposals
            .iter()
            .any(|q| q.proposal.round == self.round)
        {
            self.proposals.push(signed);
        }
        self.set_validity(value, Validity::Valid);
    }

    /// Signs and broadcasts our vote of `kind` in the current round, unless we already signed
    /// one there: then the same vote is sent again, and a different one is never signed.
    fn cast(
        &mut self,
        cx: &mut Ctx<'_, S>,
        set: &ValidatorSet<S>,
        kind: VoteKind,
        value: Option<H256>,
    ) {
        if let Some(existing) = self.own_vote(self.round, kind) {
            if existing.vote.value == value {
                cx.out.broadcast(Message::Vote(existing.clone()));
            }
            return;
        }
        let Some((index, secret)) = cx.me(set) else {
            return;
        };
        let slot = self.slot(set);
        let vote = Vote {
            partition: self.id,
            epoch: slot.epoch,
            height: self.height,
            round: self.round,
            kind,
            value,
            validator: index,
        };
        cx.stats.signatures += 1;
        let sv = SignedVote {
            signature: S::sign(secret, &vote.signing_bytes(set.network())),
            vote,
        };
        // Persist before sending (crash safety), then count it and send it.
        self.own_votes.push(sv.clone());
        cx.out.persist(Record::Vote(sv.clone()));
        self.votes.add_own(set, &sv);
        cx.out.broadcast(Message::Vote(sv));
        // Our vote may complete a threshold together with pending votes.
        self.verify_if_needed(cx, set, self.round, kind);
    }

    /// Lines 49–54: decide, move to the next height, reset the round state.
    fn commit(&mut self, cx: &mut Ctx<'_, S>, cert: Arc<Certificate<S>>) {
        // Line 51: decision_p[h_p] = v.
        cx.out.persist(Record::Decided(cert.clone()));
        cx.out.event(Event::Decided {
            partition: self.id,
            height: self.height,
            value: cert.value,
            round: cert.round,
            latency_ms: cx
                .now
                .as_millis()
                .saturating_sub(self.started_at.as_millis()),
            certificate: cert.clone(),
        });
        *cx.decisions += 1;
        self.push_history(cert, cx.config.history);
        // Lines 52–53: h_p ← h_p + 1; reset lockedRound, lockedValue, validRound, validValue
        // and the message log. StartRound(0) (line 54) runs when the height begins.
        self.height = self.height.next();
        self.round = Round(0);
        self.step = Step::Propose;
        self.started = false;
        self.locked = None;
        self.valid = None;
        self.votes.clear();
        self.proposals = Vec::new();
        self.validity = Vec::new();
        self.own_votes = Vec::new();
        self.own_proposals = Vec::new();
        self.polkas = Vec::new();
        self.value_requested = None;
        self.equivocators = Vec::new();
        self.buffer.retain(|(_, m)| m.height() >= Some(self.height));
        if self.buffer.is_empty() {
            self.buffer = Vec::new();
        }
    }

    // ---------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------

    fn slot(&self, set: &ValidatorSet<S>) -> Slot {
        Slot {
            network: set.network(),
            partition: self.id,
            epoch: set.epoch(),
            height: self.height,
        }
    }

    fn proposal(&self, round: Round) -> Option<&SignedProposal<S>> {
        self.proposals
            .iter()
            .find(|p| p.proposal.round == round)
            .map(|p| p.as_ref())
    }

    fn own_vote(&self, round: Round, kind: VoteKind) -> Option<&SignedVote<S>> {
        self.own_votes
            .iter()
            .find(|v| v.vote.round == round && v.vote.kind == kind)
    }

    fn own_proposal(&self, round: Round) -> Option<&Arc<SignedProposal<S>>> {
        self.own_proposals
            .iter()
            .find(|p| p.proposal.round == round)
    }

    /// `Some(valid(v))` once the host answered.
    fn validity_of(&self, value: H256) -> Option<bool> {
        match self.validity.iter().find(|(v, _)| *v == value)?.1 {
            Validity::Pending => None,
            Validity::Valid => Some(true),
            Validity::Invalid => Some(false),
        }
    }

    fn set_validity(&mut self, value: H256, validity: Validity) {
        match self.validity.iter_mut().find(|(v, _)| *v == value) {
            Some(e) => e.1 = validity,
            None => self.validity.push((value, validity)),
        }
    }

    fn ask_validity(&mut self, cx: &mut Ctx<'_, S>, value: H256) {
        if self.validity.iter().any(|(v, _)| *v == value) {
            return;
        }
        self.validity.push((value, Validity::Pending));
        cx.out.request(Request::Validate {
            partition: self.id,
            height: self.height,
            value,
        });
    }

    fn schedule(&self, cx: &mut Ctx<'_, S>, kind: TimeoutKind, round: Round) {
        let ms = match kind {
            TimeoutKind::Propose => cx.config.timeout_propose.at(round),
            TimeoutKind::Prevote => cx.config.timeout_prevote.at(round),
            TimeoutKind::Precommit => cx.config.timeout_precommit.at(round),
            TimeoutKind::Resend => resend_period(cx.config, round),
        };
        cx.out.schedule(
            cx.now.plus_millis(ms),
            Timer {
                partition: self.id,
                height: self.height,
                round,
                kind,
            },
        );
    }

    fn schedule_resend(&self, cx: &mut Ctx<'_, S>) {
        self.schedule(cx, TimeoutKind::Resend, self.round);
    }

    /// Sends our messages of the current round again (standing in for reliable gossip), with
    /// the proof behind our `validValue` if we have one.
    fn resend(&self, cx: &mut Ctx<'_, S>) {
        if let Some((vr, v)) = self.valid
            && let Some(set) = cx.set(self.height)
            && let Some(cert) =
                self.votes
                    .certificate(set, &self.slot(set), vr, VoteKind::Prevote, v)
        {
            cx.out.broadcast(Message::ProofOfLock(Arc::new(cert)));
        }
        if let Some(p) = self.own_proposal(self.round) {
            cx.out.broadcast(Message::Proposal(p.clone()));
        }
        for v in self.own_votes.iter().filter(|v| v.vote.round == self.round) {
            cx.out.broadcast(Message::Vote(v.clone()));
        }
    }

    /// The rate-limit entry of `peer` if it may be sent a `purpose` reply now: at most one per
    /// `Config::resend_interval_ms` and purpose, or sooner when `progress` says the peer asks
    /// for something it was not sent yet. Keyed on the transport's peer only, never on a
    /// height or round the peer chose. When all [`MAX_RATE_LIMITED_PEERS`] entries are in use
    /// and none has expired, a new peer is not served (so no flood of identities resets
    /// anyone's limit).
    fn rate_ok(
        &mut self,
        cx: &Ctx<'_, S>,
        peer: NodeId,
        purpose: Purpose,
        progress: impl Fn(&PeerLimit) -> bool,
    ) -> Option<&mut PeerLimit> {
        let (now, interval) = (cx.now, cx.config.resend_interval_ms);
        let fresh = |t: &Option<Timestamp>| t.is_some_and(|t| now < t.plus_millis(interval));
        let i = match self.peers.iter().position(|e| e.peer == peer) {
            Some(i) => i,
            None => {
                let entry = PeerLimit {
                    peer,
                    last: [None; 4],
                    served_up_to: None,
                    asked_from: None,
                };
                if self.peers.len() < MAX_RATE_LIMITED_PEERS {
                    self.peers.push(entry);
                    self.peers.len() - 1
                } else {
                    let j = self.peers.iter().position(|e| !e.last.iter().any(fresh))?;
                    self.peers[j] = entry;
                    j
                }
            }
        };
        let e = &mut self.peers[i];
        let slot = purpose as usize;
        if fresh(&e.last[slot]) && !progress(e) {
            return None;
        }
        e.last[slot] = Some(now);
        Some(e)
    }

    /// A peer still votes in an earlier round of our height: relay it the votes we hold of that
    /// round (which let us leave it, line 47 or 55) and of our current round (so it can skip to
    /// us, line 55). This is the paper's gossip assumption — what one correct process received,
    /// every correct process eventually receives — done on demand.
    ///
    /// Only for a trigger whose signature verifies (one check, at most one per peer per
    /// interval), and only votes whose own signatures verified (see
    /// [`votes`](crate::votes): a vote counted inside an aggregate may be invalid alone).
    fn help_round(&mut self, cx: &mut Ctx<'_, S>, peer: NodeId, trigger: &SignedVote<S>) {
        let Some(set) = cx.set(self.height) else {
            return;
        };
        if self.rate_ok(cx, peer, Purpose::Round, |_| false).is_none() {
            return;
        }
        let slot = self.slot(set);
        let Some(key) = set.get(trigger.vote.validator).map(|v| &v.public_key) else {
            return;
        };
        cx.stats.single_checks += 1;
        if trigger.vote.height != self.height
            || !S::verify(
                key,
                &trigger.vote.signing_bytes(set.network()),
                &trigger.signature,
            )
        {
            return;
        }
        let round = trigger.vote.round;
        let (mut votes, mut checks) = self.votes.relayable(set, &slot, round);
        if round != self.round {
            let (more, c) = self.votes.relayable(set, &slot, self.round);
            votes.extend(more);
            checks += c;
        }
        cx.stats.single_checks += checks;
        for v in votes {
            cx.out.send(peer, Message::Vote(v));
        }
    }

    /// A peer still votes at a height we decided: send it that height's commit certificate.
    fn help(&mut self, cx: &mut Ctx<'_, S>, peer: NodeId, height: Height) {
        let Some(cert) = self.history.iter().find(|c| c.height == height).cloned() else {
            return;
        };
        if self
            .rate_ok(cx, peer, Purpose::Decision, |_| false)
            .is_some()
        {
            cx.out.send(peer, Message::Decision(cert));
        }
    }

    /// A peer asks for what was decided from `from` on. Served at once when it asks beyond
    /// what it was last sent (a peer catching up), else once per interval: each certificate
    /// goes to a peer at most once per interval, whatever heights it names.
    fn serve_sync(&mut self, cx: &mut Ctx<'_, S>, peer: NodeId, from: Height) {
        let certs: Vec<Certificate<S>> = self
            .history
            .iter()
            .filter(|c| c.height >= from)
            .take(cx.config.sync_batch.max(1))
            .map(|c| (**c).clone())
            .collect();
        let Some(top) = certs.last().map(|c| c.height) else {
            return;
        };
        let progress = |e: &PeerLimit| e.served_up_to.is_some_and(|h| from > h);
        let Some(entry) = self.rate_ok(cx, peer, Purpose::Serve, progress) else {
            return;
        };
        entry.served_up_to = Some(top);
        cx.out.send(peer, Message::Decisions(Arc::new(certs)));
    }

    /// We are behind `peer`: ask it for what we missed (again at once after we progressed).
    fn request_sync(&mut self, cx: &mut Ctx<'_, S>, peer: NodeId) {
        let height = self.height;
        let progress = |e: &PeerLimit| e.asked_from.is_some_and(|h| height > h);
        if let Some(entry) = self.rate_ok(cx, peer, Purpose::Ask, progress) {
            entry.asked_from = Some(height);
            cx.out.send(
                peer,
                Message::SyncRequest {
                    partition: self.id,
                    from: height,
                },
            );
        }
    }
}

/// Most peers one partition tracks for rate limiting (see `Partition::rate_ok`).
pub const MAX_RATE_LIMITED_PEERS: usize = 64;

/// What a rate-limited message is for (an index into [`PeerLimit::last`]).
#[derive(Clone, Copy, Debug)]
enum Purpose {
    /// Votes relayed to a peer in an earlier round.
    Round = 0,
    /// A commit certificate pushed to a peer at a decided height.
    Decision = 1,
    /// A catch-up reply.
    Serve = 2,
    /// A catch-up request of ours.
    Ask = 3,
}

/// Rate-limit state of one peer.
#[derive(Clone, Debug)]
struct PeerLimit {
    peer: NodeId,
    /// When each [`Purpose`] was last sent.
    last: [Option<Timestamp>; 4],
    /// The highest height last sent in a catch-up reply.
    served_up_to: Option<Height>,
    /// The height we last asked this peer from.
    asked_from: Option<Height>,
}

/// How often our own messages of a round are sent again.
fn resend_period(config: &Config, round: Round) -> u64 {
    config.resend.at(round).max(1)
}

fn check_epoch(config: &Config, height: Height, epoch: zg_core::Epoch) -> Result<(), Error> {
    let expected = config.epoch_of(height);
    if expected == epoch {
        Ok(())
    } else {
        Err(Error::EpochMismatch {
            height: height.0,
            expected: expected.0,
            got: epoch.0,
        })
    }
}
