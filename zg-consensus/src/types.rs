//! Protocol vocabulary: partitions, heights, rounds, votes, proposals and what gets signed.
//!
//! Values are opaque 32-byte hashes ([`H256`]): the machine never sees a payload, only its id
//! (`id(v)` in the paper). Every signed object has fixed-size signing bytes that start with a
//! domain tag and the network id, so a signature can never be replayed across message types or
//! networks.

use core::fmt;

use zg_core::{Epoch, H256};

use crate::scheme::Scheme;

/// One of the independent consensus instances that share the validator set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct PartitionId(pub u32);

impl fmt::Display for PartitionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "p{}", self.0)
    }
}

/// A consensus instance number within a partition (`h_p` in the paper).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Height(pub u64);

impl Height {
    /// The next height (saturating; 2^64 heights never happen).
    pub const fn next(self) -> Height {
        Height(self.0.saturating_add(1))
    }
}

impl fmt::Display for Height {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "h{}", self.0)
    }
}

/// A round within a height (`round_p`). The paper's `-1` ("no round") is `Option::<Round>::None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Round(pub u32);

impl Round {
    /// The next round (saturating).
    pub const fn next(self) -> Round {
        Round(self.0.saturating_add(1))
    }
}

impl fmt::Display for Round {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "r{}", self.0)
    }
}

/// A validator's position in one epoch's [`ValidatorSet`](crate::ValidatorSet) (sorted by
/// public key), the bit it occupies in certificate bitmaps. Defined in zg-bls, beside
/// [`SignerBitmap`](crate::SignerBitmap).
pub use zg_bls::ValidatorIndex;

/// The two voting steps of a round.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VoteKind {
    /// `PREVOTE` (first voting step).
    Prevote,
    /// `PRECOMMIT` (second voting step; 2f+1 of them for one value decide it).
    Precommit,
}

impl VoteKind {
    /// Wire tag.
    pub const fn tag(self) -> u8 {
        match self {
            VoteKind::Prevote => 1,
            VoteKind::Precommit => 2,
        }
    }

    /// From a wire tag.
    pub const fn from_tag(tag: u8) -> Option<VoteKind> {
        match tag {
            1 => Some(VoteKind::Prevote),
            2 => Some(VoteKind::Precommit),
            _ => None,
        }
    }

    /// Index 0 for prevotes, 1 for precommits.
    pub(crate) const fn index(self) -> usize {
        match self {
            VoteKind::Prevote => 0,
            VoteKind::Precommit => 1,
        }
    }
}

/// Domain tag of vote signing bytes.
pub const VOTE_DOMAIN: &[u8; 8] = b"zgc/vote";
/// Domain tag of proposal signing bytes.
pub const PROPOSAL_DOMAIN: &[u8; 8] = b"zgc/prop";
/// Length of [`Vote::signing_bytes`].
pub const VOTE_SIGNING_LEN: usize = 8 + 32 + 4 + 8 + 8 + 4 + 1 + 1 + 32;
/// Length of [`Proposal::signing_bytes`].
pub const PROPOSAL_SIGNING_LEN: usize = 8 + 32 + 4 + 8 + 8 + 4 + 4 + 32;

/// Where a vote or proposal belongs: network, partition, epoch and height.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Slot {
    /// The network id (domain separation between networks).
    pub network: H256,
    /// The partition.
    pub partition: PartitionId,
    /// The epoch whose validator set votes at this height.
    pub epoch: Epoch,
    /// The height.
    pub height: Height,
}

/// Signing bytes of a vote: everything but the voter, so every validator voting the same way
/// signs the same message and the votes aggregate into one signature.
///
/// `tag ‖ network ‖ partition:u32 ‖ epoch:u64 ‖ height:u64 ‖ round:u32 ‖ kind:u8 ‖ is_value:u8 ‖
/// value` (big-endian integers; a nil vote has `is_value = 0` and a zero value field).
pub fn vote_signing_bytes(
    slot: &Slot,
    round: Round,
    kind: VoteKind,
    value: Option<H256>,
) -> [u8; VOTE_SIGNING_LEN] {
    let mut out = [0u8; VOTE_SIGNING_LEN];
    let mut w = Writer::new(&mut out);
    w.put(VOTE_DOMAIN);
    w.put(slot.network.as_bytes());
    w.put(&slot.partition.0.to_be_bytes());
    w.put(&slot.epoch.0.to_be_bytes());
    w.put(&slot.height.0.to_be_bytes());
    w.put(&round.0.to_be_bytes());
    w.put(&[kind.tag(), u8::from(value.is_some())]);
    w.put(value.unwrap_or(H256::ZERO).as_bytes());
    out
}

/// A vote: `⟨PREVOTE|PRECOMMIT, h, round, id(v) or nil⟩` from one validator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Vote {
    /// Partition.
    pub partition: PartitionId,
    /// Epoch of the validator set the voter belongs to (fixed by the height).
    pub epoch: Epoch,
    /// Height.
    pub height: Height,
    /// Round.
    pub round: Round,
    /// Prevote or precommit.
    pub kind: VoteKind,
    /// The value id, or `None` for nil.
    pub value: Option<H256>,
    /// The voter's index in the epoch's validator set.
    pub validator: ValidatorIndex,
}

impl Vote {
    /// The vote's slot under `network`.
    pub fn slot(&self, network: H256) -> Slot {
        Slot {
            network,
            partition: self.partition,
            epoch: self.epoch,
            height: self.height,
        }
    }

    /// The bytes the voter signs (see [`vote_signing_bytes`]).
    pub fn signing_bytes(&self, network: H256) -> [u8; VOTE_SIGNING_LEN] {
        vote_signing_bytes(&self.slot(network), self.round, self.kind, self.value)
    }

    /// Whether two votes are by the same validator for the same partition, height, round and
    /// step but for different values: equivocation.
    pub fn conflicts_with(&self, other: &Vote) -> bool {
        self.partition == other.partition
            && self.epoch == other.epoch
            && self.height == other.height
            && self.round == other.round
            && self.kind == other.kind
            && self.validator == other.validator
            && self.value != other.value
    }
}

/// A vote with its signature.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SignedVote<S: Scheme> {
    /// The vote.
    pub vote: Vote,
    /// The voter's signature over [`Vote::signing_bytes`].
    pub signature: S::Signature,
}

/// A proposal: `⟨PROPOSAL, h, round, v, validRound⟩` from the round's proposer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Proposal {
    /// Partition.
    pub partition: PartitionId,
    /// Epoch (fixed by the height).
    pub epoch: Epoch,
    /// Height.
    pub height: Height,
    /// Round.
    pub round: Round,
    /// The proposed value id.
    pub value: H256,
    /// `validRound` of the proposer (`None` is the paper's `-1`).
    pub valid_round: Option<Round>,
    /// The proposer's index.
    pub proposer: ValidatorIndex,
}

impl Proposal {
    /// The proposal's slot under `network`.
    pub fn slot(&self, network: H256) -> Slot {
        Slot {
            network,
            partition: self.partition,
            epoch: self.epoch,
            height: self.height,
        }
    }

    /// The bytes the proposer signs: `tag ‖ network ‖ partition ‖ epoch ‖ height ‖ round ‖
    /// valid_round (u32::MAX for none) ‖ value`.
    pub fn signing_bytes(&self, network: H256) -> [u8; PROPOSAL_SIGNING_LEN] {
        let mut out = [0u8; PROPOSAL_SIGNING_LEN];
        let mut w = Writer::new(&mut out);
        w.put(PROPOSAL_DOMAIN);
        w.put(network.as_bytes());
        w.put(&self.partition.0.to_be_bytes());
        w.put(&self.epoch.0.to_be_bytes());
        w.put(&self.height.0.to_be_bytes());
        w.put(&self.round.0.to_be_bytes());
        w.put(&self.valid_round.map_or(u32::MAX, |r| r.0).to_be_bytes());
        w.put(self.value.as_bytes());
        out
    }
}

/// A proposal with its signature and, when it re-proposes a value from an earlier round, the
/// certificate of 2f+1 prevotes for it in `valid_round` (the proof of lock that lets locked
/// processes accept it, paper line 28).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SignedProposal<S: Scheme> {
    /// The proposal.
    pub proposal: Proposal,
    /// The proposer's signature over [`Proposal::signing_bytes`].
    pub signature: S::Signature,
    /// 2f+1 prevotes for `value` in `valid_round`, when `valid_round` is set.
    pub proof_of_lock: Option<crate::Certificate<S>>,
}

/// Fills a fixed buffer front to back (the buffers are sized exactly by the callers).
struct Writer<'a> {
    buf: &'a mut [u8],
    at: usize,
}

impl<'a> Writer<'a> {
    fn new(buf: &'a mut [u8]) -> Self {
        Writer { buf, at: 0 }
    }

    fn put(&mut self, bytes: &[u8]) {
        let end = self.at + bytes.len();
        if let Some(dst) = self.buf.get_mut(self.at..end) {
            dst.copy_from_slice(bytes);
        }
        self.at = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_bytes_are_fixed_size_and_field_sensitive() {
        let slot = Slot {
            network: H256([1; 32]),
            partition: PartitionId(3),
            epoch: Epoch(4),
            height: Height(5),
        };
        let a = vote_signing_bytes(&slot, Round(6), VoteKind::Prevote, Some(H256([9; 32])));
        assert_eq!(&a[..8], VOTE_DOMAIN);
        assert_eq!(&a[8..40], &[1; 32]);
        assert_eq!(&a[40..44], &3u32.to_be_bytes());
        assert_eq!(&a[44..52], &4u64.to_be_bytes());
        assert_eq!(&a[52..60], &5u64.to_be_bytes());
        assert_eq!(&a[60..64], &6u32.to_be_bytes());
        assert_eq!(a[64], 1);
        assert_eq!(a[65], 1);
        assert_eq!(&a[66..], &[9; 32]);
        let nil = vote_signing_bytes(&slot, Round(6), VoteKind::Prevote, None);
        let zero = vote_signing_bytes(&slot, Round(6), VoteKind::Prevote, Some(H256::ZERO));
        assert_ne!(nil, zero, "nil must differ from the zero value");
        let pc = vote_signing_bytes(&slot, Round(6), VoteKind::Precommit, Some(H256([9; 32])));
        assert_ne!(a, pc);
        let p = Proposal {
            partition: PartitionId(3),
            epoch: Epoch(4),
            height: Height(5),
            round: Round(6),
            value: H256([9; 32]),
            valid_round: None,
            proposer: ValidatorIndex(0),
        };
        let b = p.signing_bytes(slot.network);
        assert_eq!(&b[..8], PROPOSAL_DOMAIN);
        assert_eq!(&b[64..68], &u32::MAX.to_be_bytes());
        let p2 = Proposal {
            valid_round: Some(Round(2)),
            ..p
        };
        assert_ne!(b, p2.signing_bytes(slot.network));
    }
}
