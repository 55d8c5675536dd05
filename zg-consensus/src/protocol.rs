//! The machine's vocabulary: messages, timers, commands, requests, events and WAL records.

use core::marker::PhantomData;
use std::sync::Arc;

use zg_core::machine::Protocol;
use zg_core::{Amount, Epoch, H256};

use crate::Error;
use crate::certificate::Certificate;
use crate::evidence::Evidence;
use crate::scheme::Scheme;
use crate::staking::LedgerParts;
use crate::types::{Height, PartitionId, Round, SignedProposal, SignedVote};
use crate::validators::{StakeTable, ValidatorSet};

/// The protocol marker: `Node<S>` implements `Machine<Consensus<S>>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Consensus<S: Scheme>(PhantomData<S>);

impl<S: Scheme> Protocol for Consensus<S> {
    type Message = Message<S>;
    type Timer = Timer;
    type Command = Command<S>;
    type Request = Request;
    type Record = Record<S>;
    type Event = Event<S>;
    type Error = Error;
}

/// A message between validators. Every message names its partition.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Message<S: Scheme> {
    /// `⟨PROPOSAL, h, round, v, validRound⟩`, with a proof of lock when `validRound` is set.
    Proposal(Arc<SignedProposal<S>>),
    /// `⟨PREVOTE|PRECOMMIT, h, round, id(v)⟩`.
    Vote(SignedVote<S>),
    /// A commit certificate, sent to a peer that is still voting on a height we decided.
    Decision(Arc<Certificate<S>>),
    /// 2f+1 prevotes for a value in a round of the current height: the evidence behind our
    /// `validValue`, re-sent with our messages so every correct process learns the latest
    /// possible decision value (the paper's gossip of those prevotes, lines 28 and 36).
    ProofOfLock(Arc<Certificate<S>>),
    /// "I am at height `from` of `partition`; send me what was decided since."
    SyncRequest {
        /// Partition.
        partition: PartitionId,
        /// The requester's current height.
        from: Height,
    },
    /// Consecutive commit certificates of one partition, ascending (catch-up reply).
    Decisions(Arc<Vec<Certificate<S>>>),
}

impl<S: Scheme> Message<S> {
    /// The partition the message belongs to (`None` for an empty catch-up reply).
    pub fn partition(&self) -> Option<PartitionId> {
        match self {
            Message::Proposal(p) => Some(p.proposal.partition),
            Message::Vote(v) => Some(v.vote.partition),
            Message::Decision(c) | Message::ProofOfLock(c) => Some(c.partition),
            Message::SyncRequest { partition, .. } => Some(*partition),
            Message::Decisions(cs) => cs.first().map(|c| c.partition),
        }
    }

    /// The height the message is about (`None` for an empty catch-up reply).
    pub fn height(&self) -> Option<Height> {
        match self {
            Message::Proposal(p) => Some(p.proposal.height),
            Message::Vote(v) => Some(v.vote.height),
            Message::Decision(c) | Message::ProofOfLock(c) => Some(c.height),
            Message::SyncRequest { from, .. } => Some(*from),
            Message::Decisions(cs) => cs.first().map(|c| c.height),
        }
    }
}

/// Which of the paper's three timeouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimeoutKind {
    /// `OnTimeoutPropose` (line 57).
    Propose,
    /// `OnTimeoutPrevote` (line 61).
    Prevote,
    /// `OnTimeoutPrecommit` (line 65).
    Precommit,
    /// Send our messages of the round again (reliable gossip after GST, see the partition
    /// docs).
    Resend,
}

/// A timer: `OnTimeoutX(height, round)` of one partition. Stale timers are ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Timer {
    /// Partition.
    pub partition: PartitionId,
    /// Height it was scheduled in.
    pub height: Height,
    /// Round it was scheduled in.
    pub round: Round,
    /// Which timeout.
    pub kind: TimeoutKind,
}

/// What the node asks of its host; answered by a later [`Command`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Request {
    /// `getValue()` (line 18): a value to propose. Answer with [`Command::ProposeValue`].
    GetValue {
        /// Partition.
        partition: PartitionId,
        /// Height.
        height: Height,
        /// Round.
        round: Round,
    },
    /// `valid(v)`: is this value acceptable at this height? Answer with [`Command::Validity`].
    Validate {
        /// Partition.
        partition: PartitionId,
        /// Height.
        height: Height,
        /// The value id.
        value: H256,
    },
}

/// Instructions from the host: answers to requests, and the staking stream.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Command<S: Scheme> {
    /// The answer to [`Request::GetValue`].
    ProposeValue {
        /// Partition.
        partition: PartitionId,
        /// Height.
        height: Height,
        /// Round.
        round: Round,
        /// The value id to propose.
        value: H256,
    },
    /// The answer to [`Request::Validate`].
    Validity {
        /// Partition.
        partition: PartitionId,
        /// Height.
        height: Height,
        /// The value id.
        value: H256,
        /// Whether it is valid.
        valid: bool,
    },
    /// The next epoch's stake table (staking stream, same order at every node).
    StakeTable(StakeTable<S>),
    /// Equivocation evidence to apply (staking stream, same order at every node).
    ApplyEvidence(Evidence<S>),
    /// A commit certificate the host obtained itself (e.g. from its own block sync).
    ImportDecision(Certificate<S>),
}

/// Reports to the application.
#[derive(Clone, Debug)]
pub enum Event<S: Scheme> {
    /// `decision_p[h] = v` (line 51).
    Decided {
        /// Partition.
        partition: PartitionId,
        /// Height.
        height: Height,
        /// The value decided.
        value: H256,
        /// Round of the deciding precommits.
        round: Round,
        /// Time from the height's first round to the decision, in ms.
        latency_ms: u64,
        /// The commit certificate (for receipts, catch-up and light clients).
        certificate: Arc<Certificate<S>>,
    },
    /// Two conflicting signed votes by one validator were seen. Submit it to the staking chain;
    /// it comes back to every node as [`Command::ApplyEvidence`].
    Equivocation(Arc<Evidence<S>>),
    /// Evidence was applied.
    Slashed {
        /// The offender.
        validator: S::PublicKey,
        /// Stake taken.
        amount: Amount,
        /// First epoch without it.
        excluded_from: Epoch,
    },
    /// An epoch's validator set was sealed.
    EpochAnnounced {
        /// The epoch.
        epoch: Epoch,
        /// Its validators.
        validators: usize,
        /// Their total weight.
        total_weight: u128,
    },
    /// Votes whose signatures failed (found by bisection) were dropped.
    BadSignatures {
        /// Partition.
        partition: PartitionId,
        /// How many.
        count: usize,
    },
}

/// A write-ahead-log record. The host appends each [`Record`] (or replaces everything with a
/// [`Record::Snapshot`]) durably before carrying out any later output, and rebuilds the node from
/// its records with [`Node::restore`](crate::Node::restore).
#[derive(Clone, Debug)]
pub enum Record<S: Scheme> {
    /// A vote we signed (persisted before it is sent).
    Vote(SignedVote<S>),
    /// A proposal we signed (persisted before it is sent).
    Proposal(Arc<SignedProposal<S>>),
    /// The 2f+1 prevotes that made us lock or update our valid value (lines 36–43), persisted
    /// before our precommit is sent: after a restart we can still re-propose the value with its
    /// proof of lock, which others need to accept it (line 28).
    Polka(Arc<Certificate<S>>),
    /// A decision.
    Decided(Arc<Certificate<S>>),
    /// A stake table that was announced.
    StakeTable(StakeTable<S>),
    /// Evidence that was applied.
    Evidence(Arc<Evidence<S>>),
    /// Everything needed to resume (replaces all earlier records).
    Snapshot(Arc<Snapshot<S>>),
}

/// A compact image of a node's durable state.
#[derive(Clone, Debug)]
pub struct Snapshot<S: Scheme> {
    pub(crate) ledger: LedgerParts<S>,
    pub(crate) partitions: Vec<PartitionSnapshot<S>>,
}

impl<S: Scheme> Snapshot<S> {
    /// The validator sets it holds.
    pub fn validator_sets(&self) -> impl Iterator<Item = &Arc<ValidatorSet<S>>> {
        self.ledger.sets.iter()
    }
}

/// One partition inside a [`Snapshot`].
#[derive(Clone, Debug)]
pub(crate) struct PartitionSnapshot<S: Scheme> {
    pub(crate) height: Height,
    pub(crate) history: Vec<Arc<Certificate<S>>>,
    pub(crate) own_votes: Vec<SignedVote<S>>,
    pub(crate) own_proposals: Vec<Arc<SignedProposal<S>>>,
    pub(crate) polkas: Vec<Arc<Certificate<S>>>,
}
