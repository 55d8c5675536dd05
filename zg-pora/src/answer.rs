//! The mining context and the answer a miner submits (`MineLib.PoraAnswer`, `IFlow.MineContext`),
//! with the contract's ABI encoding.
//!
//! [`Answer::abi_encode`] writes the argument of `PoraMine.submit(PoraAnswer)` exactly as Solidity
//! ABI-encodes it: one offset word (`0x20`), then the tuple — the nine static fields inline (the
//! range as four words, the 128 sealed words), the offset of `merkleProof` within the tuple
//! (`139 × 32`), its length and its words. [`Answer::abi_decode`] accepts exactly that canonical
//! form and nothing else; numbers above `u64::MAX` are refused (a range, position or offset that
//! large fails the contract's checks anyway).

use core::fmt;

use zg_core::tree::{Flow, MAX_PROOF_DEPTH, SEAL_SIZE, SECTORS_PER_SEAL};
use zg_core::{H256, keccak256};

use crate::pora::{RecallRange, u64_word};
use crate::seal::WORDS_PER_SEAL;

/// An epoch's mining context, as the flow contract publishes it (`MineContext`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct MineContext {
    /// Epoch number (0 before the first epoch closes).
    pub epoch: u64,
    /// The block the epoch's mining starts after.
    pub mine_start: u64,
    /// The flow root at the epoch boundary.
    pub flow_root: H256,
    /// The flow length (sectors) at the epoch boundary.
    pub flow_length: u64,
    /// `blockhash(mine_start)`, or `EMPTY_HASH` when the epoch started too late to read it.
    pub block_digest: H256,
    /// `keccak(abi.encode(block_digest, flow_root, flow_length))`, or `EMPTY_HASH` (no mining).
    pub digest: H256,
}

impl MineContext {
    /// A context whose digest is computed from its parts ([`crate::pora::context_digest`]).
    pub fn new(
        epoch: u64,
        mine_start: u64,
        flow_root: H256,
        flow_length: u64,
        block_digest: H256,
    ) -> Self {
        MineContext {
            epoch,
            mine_start,
            flow_root,
            flow_length,
            block_digest,
            digest: crate::pora::context_digest(&block_digest, &flow_root, flow_length),
        }
    }

    /// Whether this epoch can be mined (its digest is not `EMPTY_HASH`).
    pub fn is_mineable(&self) -> bool {
        self.digest != zg_core::hash::empty_hash()
    }
}

/// What a miner needs to mine now (`WorkerContext.sol`, `PoraMine.computeWorkerContext`): the
/// context, the miner's subtask digest and the target. Outside the miner's subtask window the
/// contract returns a zero subtask digest and a zero target; a zero target also means the epoch
/// already has its submissions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct WorkerContext {
    /// The current mining context.
    pub context: MineContext,
    /// `poraTarget`, or zero when this miner should not mine now.
    pub pora_target: crate::U256,
    /// The miner's subtask digest, or zero outside its window.
    pub subtask_digest: H256,
    /// `maxShards`.
    pub max_shards: u64,
}

impl WorkerContext {
    /// Whether the contract would accept answers now (non-zero target and subtask digest, and a
    /// mineable context).
    pub fn can_mine(&self) -> bool {
        !self.pora_target.is_zero()
            && self.subtask_digest != H256::ZERO
            && self.context.is_mineable()
    }
}

/// The sectors `[start, end)` one epoch's context covers (`Flow.getEpochRange`): data that
/// arrived during that epoch, sealed under its digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct EpochRange {
    /// First sector.
    pub start: u64,
    /// One past the last sector.
    pub end: u64,
}

impl EpochRange {
    /// Whether the seal at `recall_position` lies in this range the way the contract checks it:
    /// `start < recall_position + 16 ≤ end` (the seal's last sector is inside).
    pub fn covers_seal(&self, recall_position: u64) -> bool {
        recall_position
            .checked_add(SECTORS_PER_SEAL)
            .is_some_and(|end| self.start < end && self.end >= end)
    }
}

/// A mining answer (`MineLib.PoraAnswer`).
#[derive(Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(rename_all = "camelCase", deny_unknown_fields)
)]
pub struct Answer {
    /// The context mined ([`MineContext::digest`]).
    pub context_digest: H256,
    /// The nonce.
    pub nonce: H256,
    /// The miner.
    pub miner_id: H256,
    /// The range mined.
    pub range: RecallRange,
    /// First sector of the answering seal.
    pub recall_position: u64,
    /// Index of the seal within its load (0..64 for honest miners).
    pub seal_offset: u64,
    /// The context the seal was sealed under.
    pub sealed_context_digest: H256,
    /// The sealed seal.
    #[cfg_attr(feature = "serde", serde(with = "hex_seal"))]
    pub sealed_data: Box<[u8; SEAL_SIZE]>,
    /// Siblings from the seal's node (height 4) up to the flow root, bottom-up.
    pub merkle_proof: Vec<H256>,
}

impl fmt::Debug for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Answer")
            .field("context_digest", &self.context_digest)
            .field("nonce", &self.nonce)
            .field("miner_id", &self.miner_id)
            .field("range", &self.range)
            .field("recall_position", &self.recall_position)
            .field("seal_offset", &self.seal_offset)
            .field("sealed_context_digest", &self.sealed_context_digest)
            .field("sealed_data", &keccak256(&self.sealed_data[..]))
            .field("merkle_proof", &self.merkle_proof.len())
            .finish()
    }
}

/// Words in the static head of the answer tuple: 3 hashes, 4 range words, 2 numbers, 1 hash,
/// 128 sealed words, 1 offset.
const HEAD_WORDS: usize = 3 + 4 + 2 + 1 + WORDS_PER_SEAL + 1;
/// Offset of `merkleProof` within the tuple.
const PROOF_OFFSET: usize = HEAD_WORDS * 32;

/// The canonical Solidity signature of `PoraMine.submit`.
pub const SUBMIT_SIGNATURE: &str = "submit((bytes32,bytes32,bytes32,(uint256,uint256,uint64,uint64),uint256,uint256,bytes32,bytes32[128],bytes32[]))";

/// The 4-byte selector of [`SUBMIT_SIGNATURE`].
pub fn submit_selector() -> [u8; 4] {
    let h = keccak256(SUBMIT_SIGNATURE.as_bytes());
    [h.0[0], h.0[1], h.0[2], h.0[3]]
}

/// Bytes that are not a canonical ABI encoding of an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The byte string has the wrong length for its proof length (or is too short to hold one).
    #[error("encoded answer has the wrong length")]
    Length,
    /// An offset word is not the canonical one.
    #[error("non-canonical offset in encoded answer")]
    Offset,
    /// A number does not fit 64 bits (`uint64` fields must; larger `uint256` fields cannot pass
    /// the contract's checks).
    #[error("field {field} does not fit 64 bits")]
    ValueOutOfRange {
        /// The field.
        field: &'static str,
    },
    /// The proof has more than 64 siblings.
    #[error("merkle proof longer than 64")]
    ProofTooLong,
    /// Calldata does not start with the `submit` selector.
    #[error("calldata is not a call to submit")]
    Selector,
}

impl Answer {
    /// The seal's index in the flow: `recall_position / 16`.
    pub fn seal_index(&self) -> u64 {
        self.recall_position / SECTORS_PER_SEAL
    }

    /// The ABI encoding of the `submit` argument (see the module docs).
    pub fn abi_encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32 + PROOF_OFFSET + 32 * (1 + self.merkle_proof.len()));
        out.extend_from_slice(&u64_word(32));
        for w in [self.context_digest, self.nonce, self.miner_id] {
            out.extend_from_slice(&w.0);
        }
        for v in [
            self.range.start_position,
            self.range.mine_length,
            self.range.shard_id,
            self.range.shard_mask,
            self.recall_position,
            self.seal_offset,
        ] {
            out.extend_from_slice(&u64_word(v));
        }
        out.extend_from_slice(&self.sealed_context_digest.0);
        out.extend_from_slice(&self.sealed_data[..]);
        out.extend_from_slice(&u64_word(PROOF_OFFSET as u64));
        out.extend_from_slice(&u64_word(self.merkle_proof.len() as u64));
        for h in &self.merkle_proof {
            out.extend_from_slice(&h.0);
        }
        out
    }

    /// Decodes [`Answer::abi_encode`]'s output; any other byte string is a [`DecodeError`].
    pub fn abi_decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let (words, rest) = bytes.as_chunks::<32>();
        if !rest.is_empty() || words.len() < 1 + HEAD_WORDS + 1 {
            return Err(DecodeError::Length);
        }
        if read_u64(&words[0], "offset")? != 32 {
            return Err(DecodeError::Offset);
        }
        let t = &words[1..];
        if read_u64(&t[HEAD_WORDS - 1], "offset")? != PROOF_OFFSET as u64 {
            return Err(DecodeError::Offset);
        }
        let n = read_u64(&t[HEAD_WORDS], "merkleProof.length")?;
        if n > MAX_PROOF_DEPTH as u64 {
            return Err(DecodeError::ProofTooLong);
        }
        let proof_words = &t[HEAD_WORDS + 1..];
        if proof_words.len() as u64 != n {
            return Err(DecodeError::Length);
        }
        let mut sealed_data = Box::new([0u8; SEAL_SIZE]);
        for (dst, src) in sealed_data
            .as_chunks_mut::<32>()
            .0
            .iter_mut()
            .zip(&t[10..10 + WORDS_PER_SEAL])
        {
            *dst = *src;
        }
        Ok(Answer {
            context_digest: H256(t[0]),
            nonce: H256(t[1]),
            miner_id: H256(t[2]),
            range: RecallRange {
                start_position: read_u64(&t[3], "range.startPosition")?,
                mine_length: read_u64(&t[4], "range.mineLength")?,
                shard_id: read_u64(&t[5], "range.shardId")?,
                shard_mask: read_u64(&t[6], "range.shardMask")?,
            },
            recall_position: read_u64(&t[7], "recallPosition")?,
            seal_offset: read_u64(&t[8], "sealOffset")?,
            sealed_context_digest: H256(t[9]),
            sealed_data,
            merkle_proof: proof_words.iter().map(|w| H256(*w)).collect(),
        })
    }

    /// Calldata for `PoraMine.submit(answer)`: the selector, then [`Answer::abi_encode`].
    pub fn submit_calldata(&self) -> Vec<u8> {
        let mut out = submit_selector().to_vec();
        out.extend(self.abi_encode());
        out
    }

    /// Decodes [`Answer::submit_calldata`]'s output.
    pub fn from_submit_calldata(calldata: &[u8]) -> Result<Self, DecodeError> {
        match calldata.split_first_chunk::<4>() {
            Some((sel, rest)) if *sel == submit_selector() => Self::abi_decode(rest),
            _ => Err(DecodeError::Selector),
        }
    }
}

fn read_u64(word: &[u8; 32], field: &'static str) -> Result<u64, DecodeError> {
    let (high, low) = word.split_at(24);
    if high.iter().any(|&b| b != 0) {
        return Err(DecodeError::ValueOutOfRange { field });
    }
    let mut b = [0u8; 8];
    b.copy_from_slice(low);
    Ok(u64::from_be_bytes(b))
}

/// The answer's Merkle proof for seal `seal_index` of `flow`: the siblings of the seal's node
/// (height 4) up to the root, bottom-up, as the contract folds them.
pub fn seal_proof(flow: &Flow, seal_index: u64) -> Result<Vec<H256>, zg_core::Error> {
    Ok(flow.node_proof(4, seal_index)?.siblings().to_vec())
}

#[cfg(feature = "serde")]
mod hex_seal {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};
    use zg_core::tree::SEAL_SIZE;

    pub(super) fn serialize<S: Serializer>(
        data: &[u8; SEAL_SIZE],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("0x{}", hex::encode(data)))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Box<[u8; SEAL_SIZE]>, D::Error> {
        let s = String::deserialize(d)?;
        let digits = s.strip_prefix("0x").unwrap_or(&s);
        let mut out = Box::new([0u8; SEAL_SIZE]);
        hex::decode_to_slice(digits, &mut out[..])
            .map_err(|_| D::Error::custom("sealedData must be 4096 bytes of hex"))?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(proof: usize) -> Answer {
        Answer {
            context_digest: H256([1; 32]),
            nonce: H256([2; 32]),
            miner_id: H256([3; 32]),
            range: RecallRange {
                start_position: 0,
                mine_length: 1 << 20,
                shard_id: 1,
                shard_mask: !1,
            },
            recall_position: 6320,
            seal_offset: 11,
            sealed_context_digest: H256([4; 32]),
            sealed_data: Box::new(core::array::from_fn(|i| i as u8)),
            merkle_proof: (0..proof).map(|i| H256([i as u8; 32])).collect(),
        }
    }

    #[test]
    fn abi_layout() {
        let a = sample(3);
        let enc = a.abi_encode();
        assert_eq!(enc.len(), 32 + 139 * 32 + 32 + 3 * 32);
        assert_eq!(enc[31], 0x20);
        // merkleProof's offset within the tuple, then its length.
        assert_eq!(enc[32 + 138 * 32 + 30..32 + 139 * 32], [0x11, 0x60]);
        assert_eq!(enc[32 + 139 * 32 + 31], 3);
        assert_eq!(Answer::abi_decode(&enc).unwrap(), a);
        let call = a.submit_calldata();
        assert_eq!(Answer::from_submit_calldata(&call).unwrap(), a);
        assert_eq!(
            Answer::from_submit_calldata(&enc),
            Err(DecodeError::Selector)
        );
    }

    #[test]
    fn decoding_is_strict() {
        let enc = sample(2).abi_encode();
        assert_eq!(
            Answer::abi_decode(&enc[..enc.len() - 1]),
            Err(DecodeError::Length)
        );
        assert_eq!(
            Answer::abi_decode(&enc[..enc.len() - 32]),
            Err(DecodeError::Length)
        );
        let mut dirty = enc.clone();
        dirty[32 + 5 * 32] = 1; // high byte of the range's mineLength
        assert!(matches!(
            Answer::abi_decode(&dirty),
            Err(DecodeError::ValueOutOfRange { .. })
        ));
        let mut off = enc.clone();
        off[31] = 0x40;
        assert_eq!(Answer::abi_decode(&off), Err(DecodeError::Offset));
        let mut long = enc;
        long[32 + 139 * 32 + 31] = 65;
        assert_eq!(Answer::abi_decode(&long), Err(DecodeError::ProofTooLong));
    }

    #[test]
    fn sealed_range_check_is_the_contracts() {
        let r = EpochRange {
            start: 100,
            end: 200,
        };
        assert!(r.covers_seal(84 + 16)); // last sector 115
        assert!(r.covers_seal(184)); // ends exactly at 200
        assert!(!r.covers_seal(185));
        assert!(!r.covers_seal(84)); // last sector 99 belongs to the previous epoch
        assert!(r.covers_seal(85)); // last sector 100
        assert!(!r.covers_seal(u64::MAX - 3));
    }
}
