//! Burn receipts: proof that a partition decided a value committing to a burn event.
//!
//! A partition's decided value is an opaque id; a value that carries burns commits to them as
//!
//! ```text
//! value = keccak256("zgc/value/v1" ‖ payload ‖ burn_root ‖ burn_count:u64)
//! burn_root = 0G Merkle root (pairs of keccak, odd node promoted) over
//!             leaf_i = keccak256("zgc/burn/v1" ‖ encode(event_i))
//! ```
//!
//! so a [`BurnReceipt`] — the event, its Merkle proof, the value's commitment and the commit
//! certificate of the (partition, height) that decided it — convinces anyone holding that
//! epoch's validator set ([`verify_receipt`]): one Merkle path and one pairing equation. The
//! redeem side ([`Redeemer`](crate::Redeemer)) adds "each burn once" and "known epochs only".

use zg_core::tree::{MerkleTree, Proof};
use zg_core::{Amount, H256, keccak256_parts};

use crate::Error;
use crate::certificate::Certificate;
use crate::scheme::Scheme;
use crate::types::{Height, PartitionId, VoteKind};
use crate::validators::ValidatorSet;

/// Tokens destroyed on a partition, to be minted on `destination`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BurnEvent {
    /// Who burned (an address or account id on the partition).
    pub sender: H256,
    /// Who receives on the destination.
    pub recipient: H256,
    /// Destination chain id.
    pub destination: u64,
    /// Token id.
    pub token: H256,
    /// Amount burned, in the token's smallest unit.
    pub amount: Amount,
    /// A nonce the sender chooses to tell identical burns apart.
    pub nonce: u64,
}

/// Bytes of [`BurnEvent::encode`].
pub const BURN_EVENT_LEN: usize = 32 + 32 + 8 + 32 + 16 + 8;

impl BurnEvent {
    /// Canonical bytes: `sender ‖ recipient ‖ destination:u64 ‖ token ‖ amount:u128 ‖
    /// nonce:u64`, integers big-endian.
    pub fn encode(&self) -> [u8; BURN_EVENT_LEN] {
        let mut out = [0u8; BURN_EVENT_LEN];
        out[..32].copy_from_slice(self.sender.as_bytes());
        out[32..64].copy_from_slice(self.recipient.as_bytes());
        out[64..72].copy_from_slice(&self.destination.to_be_bytes());
        out[72..104].copy_from_slice(self.token.as_bytes());
        out[104..120].copy_from_slice(&self.amount.units().to_be_bytes());
        out[120..].copy_from_slice(&self.nonce.to_be_bytes());
        out
    }

    /// Decodes [`BurnEvent::encode`].
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let b: &[u8; BURN_EVENT_LEN] = bytes
            .try_into()
            .map_err(|_| Error::Decode("burn event length"))?;
        let h = |r: core::ops::Range<usize>| H256::from_slice(&b[r]).unwrap_or_default();
        let mut d = [0u8; 8];
        d.copy_from_slice(&b[64..72]);
        let mut a = [0u8; 16];
        a.copy_from_slice(&b[104..120]);
        let mut n = [0u8; 8];
        n.copy_from_slice(&b[120..]);
        Ok(BurnEvent {
            sender: h(0..32),
            recipient: h(32..64),
            destination: u64::from_be_bytes(d),
            token: h(72..104),
            amount: Amount::new(u128::from_be_bytes(a)),
            nonce: u64::from_be_bytes(n),
        })
    }

    /// The Merkle leaf: `keccak256("zgc/burn/v1" ‖ encode(event))`.
    pub fn leaf(&self) -> H256 {
        keccak256_parts(&[b"zgc/burn/v1", &self.encode()])
    }
}

/// What a decided value commits to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ValueCommitment {
    /// The rest of the value (the application's payload root).
    pub payload: H256,
    /// Merkle root of the burn leaves (zero when there are none).
    pub burn_root: H256,
    /// Number of burn leaves.
    pub burn_count: u64,
}

impl ValueCommitment {
    /// The value id consensus orders.
    pub fn value_id(&self) -> H256 {
        keccak256_parts(&[
            b"zgc/value/v1",
            self.payload.as_bytes(),
            self.burn_root.as_bytes(),
            &self.burn_count.to_be_bytes(),
        ])
    }
}

/// The burns of one value, for building the commitment and receipts.
#[derive(Clone, Debug)]
pub struct BurnBatch {
    events: Vec<BurnEvent>,
    tree: Option<MerkleTree>,
    commitment: ValueCommitment,
}

impl BurnBatch {
    /// Commits to `events` alongside `payload`.
    pub fn new(payload: H256, events: Vec<BurnEvent>) -> Self {
        let leaves: Vec<H256> = events.iter().map(BurnEvent::leaf).collect();
        let tree = MerkleTree::from_leaves(leaves).ok();
        let commitment = ValueCommitment {
            payload,
            burn_root: tree.as_ref().map_or(H256::ZERO, MerkleTree::root),
            burn_count: events.len() as u64,
        };
        BurnBatch {
            events,
            tree,
            commitment,
        }
    }

    /// The commitment (and, with [`ValueCommitment::value_id`], the value to propose).
    pub fn commitment(&self) -> ValueCommitment {
        self.commitment
    }

    /// The receipt of event `index`, given the commit certificate of the value.
    pub fn receipt<S: Scheme>(
        &self,
        index: u64,
        certificate: Certificate<S>,
    ) -> Result<BurnReceipt<S>, Error> {
        let i = usize::try_from(index).map_err(|_| Error::InvalidReceipt)?;
        let event = self.events.get(i).cloned().ok_or(Error::InvalidReceipt)?;
        let proof = self
            .tree
            .as_ref()
            .ok_or(Error::InvalidReceipt)?
            .proof(index)
            .map_err(|_| Error::InvalidReceipt)?;
        Ok(BurnReceipt {
            event,
            index,
            proof,
            commitment: self.commitment,
            certificate,
        })
    }
}

/// Proof that `event` was burned: its Merkle proof under the value's commitment and the commit
/// certificate of the (partition, height) that decided the value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BurnReceipt<S: Scheme> {
    /// The burn.
    pub event: BurnEvent,
    /// Its leaf index.
    pub index: u64,
    /// Merkle proof of the leaf under `commitment.burn_root`.
    pub proof: Proof,
    /// The decided value's commitment.
    pub commitment: ValueCommitment,
    /// 2f+1 precommits for `commitment.value_id()` at (partition, height).
    pub certificate: Certificate<S>,
}

impl<S: Scheme> BurnReceipt<S> {
    /// Partition of the burn.
    pub fn partition(&self) -> PartitionId {
        self.certificate.partition
    }

    /// Height of the burn.
    pub fn height(&self) -> Height {
        self.certificate.height
    }
}

/// Verifies a receipt against the validator set of its certificate's epoch: the certificate is a
/// commit certificate for the commitment's value that verifies (one pairing), and the event's
/// leaf is at `index` of the `burn_count` leaves under `burn_root`. Any failure is
/// [`Error::InvalidReceipt`].
pub fn verify_receipt<S: Scheme>(
    receipt: &BurnReceipt<S>,
    set: &ValidatorSet<S>,
) -> Result<(), Error> {
    let c = &receipt.certificate;
    if c.kind != VoteKind::Precommit
        || c.epoch != set.epoch()
        || c.value != receipt.commitment.value_id()
        || receipt.index >= receipt.commitment.burn_count
    {
        return Err(Error::InvalidReceipt);
    }
    receipt
        .proof
        .verify(
            &receipt.commitment.burn_root,
            &receipt.event.leaf(),
            receipt.index,
            receipt.commitment.burn_count,
        )
        .map_err(|_| Error::InvalidReceipt)?;
    c.verify(set).map_err(|_| Error::InvalidReceipt)
}
