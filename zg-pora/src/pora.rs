//! PoRA mining primitives, version 1 (0G-FORMATS §5; `Mine.sol`, `MineLib.sol`, `RecallRange.sol`).
//!
//! One mining iteration, for a nonce:
//! 1. `rangeDigest = keccak(abi.encode(start, length, shardId, shardMask))` ([`RecallRange::digest`]);
//! 2. `padSeed = BLAKE2b-512(minerId ‖ nonce ‖ subtaskDigest ‖ rangeDigest)` ([`pad_seed`]);
//! 3. the 16 KiB scratchpad: `d = padSeed`, 256 rounds of `d[0..32] = keccak(d); d[32..64] = keccak(d)`,
//!    each round's `d` appended ([`compute_scratch_pad`]);
//! 4. `recallSeed = keccak(final d)`; the load is `start + ((seed mod loads) & shardMask | shardId) × 1024`
//!    ([`RecallRange::recall_chunk`]);
//! 5. for each seal `i` of the load: `mixed = sealed[i] ⊕ scratchpad[(i mod 4) × 4096 ..]`,
//!    `quality = BLAKE2b-512(u256be(i) ‖ padSeed ‖ 32 zero bytes ‖ mixed)[0..32]` ([`compute_pora_hash`]);
//! 6. the seal is an answer when `quality ≤ (poraTarget / scaleX64) << 64` ([`QualityBound`]).

use core::fmt;

use ruint::aliases::U256;
use zg_core::tree::{SEAL_SIZE, SECTORS_PER_SEAL, SECTORS_PER_SEGMENT};
use zg_core::{H256, keccak256};

use crate::error::VerifyError;
use crate::hash::{blake2b_512, keccak_pair};

/// Sectors in a load (256 KiB, a segment): the unit one iteration recalls.
pub const SECTORS_PER_LOAD: u64 = SECTORS_PER_SEGMENT;
/// Bytes in a load.
pub const LOAD_SIZE: usize = 256 * 1024;
/// Seals in a load.
pub const SEALS_PER_LOAD: usize = LOAD_SIZE / SEAL_SIZE;
/// Bytes in the scratchpad.
pub const SCRATCHPAD_SIZE: usize = 16 * 1024;
/// Seals covered by one pass of the scratchpad; seal `i` mixes with part `i mod 4`.
pub const SEALS_PER_PAD: usize = SCRATCHPAD_SIZE / SEAL_SIZE;
/// Scratchpad rounds (64 bytes each) per seal: `BHASHES_PER_SEAL`.
pub const ROUNDS_PER_SEAL: usize = SEAL_SIZE / 64;
/// Sectors in a pricing chunk (8 GiB): the reward pool granularity.
pub const SECTORS_PER_PRICE: u64 = 1 << 25;
/// The longest range one shard mines: 8 TiB.
pub const MAX_MINING_LENGTH: u64 = 1 << 35;
/// The PoRA version these rules implement (`PoraMine.poraVersion()`).
pub const PORA_VERSION: u64 = 1;

/// The 64-byte BLAKE2b pad seed of one iteration.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PadSeed(pub [u8; 64]);

impl fmt::Debug for PadSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PadSeed({self})")
    }
}

impl fmt::Display for PadSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("0x")?;
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// A 32-byte big-endian word holding `v` (Solidity `abi.encode(uint256(v))`).
pub(crate) fn u64_word(v: u64) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[24..].copy_from_slice(&v.to_be_bytes());
    w
}

/// The range of the flow one miner mines (`RecallRange.sol`): `mine_length` sectors from
/// `start_position`, of which the shard `shard_id` under `shard_mask` is recalled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct RecallRange {
    /// First sector; a multiple of [`SECTORS_PER_PRICE`].
    pub start_position: u64,
    /// Sectors in the range.
    pub mine_length: u64,
    /// This miner's shard: the load-offset bits outside the mask.
    pub shard_id: u64,
    /// `!(numShards - 1)`: the load-offset bits chosen by the recall seed.
    pub shard_mask: u64,
}

impl RecallRange {
    /// `keccak(abi.encode(start, length, shardId, shardMask))`: four big-endian words.
    pub fn digest(&self) -> H256 {
        let mut buf = [0u8; 128];
        for (slot, v) in buf.chunks_exact_mut(32).zip([
            self.start_position,
            self.mine_length,
            self.shard_id,
            self.shard_mask,
        ]) {
            slot.copy_from_slice(&u64_word(v));
        }
        keccak256(&buf)
    }

    /// `2^(number of zero bits in shard_mask)`, up to 2^64 (`RecallRangeLib.numShards`).
    pub fn num_shards(&self) -> u128 {
        1u128 << self.shard_mask.count_zeros()
    }

    /// The contract's validity rules for a range in a flow whose mineable end is
    /// `max_end_position` (`flowLength` rounded down to whole loads), in its order:
    /// start aligned to a pricing chunk; `start + length ≤ max_end`; `length ≤ 8 TiB × shards`;
    /// `length ≥ min(max_end, 8 TiB × shards)`; `shard_id & shard_mask == 0`.
    pub fn check(&self, max_end_position: u64) -> Result<(), VerifyError> {
        if !self.start_position.is_multiple_of(SECTORS_PER_PRICE) {
            return Err(VerifyError::StartNotAligned);
        }
        let end = self.start_position.checked_add(self.mine_length);
        if end.is_none_or(|e| e > max_end_position) {
            return Err(VerifyError::RangeOverflow);
        }
        let max_length = u128::from(MAX_MINING_LENGTH) * self.num_shards();
        if u128::from(self.mine_length) > max_length {
            return Err(VerifyError::RangeTooLong);
        }
        if u128::from(self.mine_length) < u128::from(max_end_position).min(max_length) {
            return Err(VerifyError::RangeTooShort);
        }
        if self.shard_id & self.shard_mask != 0 {
            return Err(VerifyError::MaskedBitsSet);
        }
        Ok(())
    }

    /// `scaleX64 = (min(flowLength, 8 TiB) << 64) / min(flowLength / numShards, 8 TiB)`: how much
    /// harder one shard's answer must be (`RecallRangeLib.targetScaleX64`). At least 2^64.
    pub fn target_scale_x64(&self, flow_length: u64) -> Result<u128, VerifyError> {
        let no_shard = u128::from(flow_length.min(MAX_MINING_LENGTH));
        let shard =
            (u128::from(flow_length) / self.num_shards()).min(u128::from(MAX_MINING_LENGTH));
        if shard == 0 {
            return Err(VerifyError::ShardTooSmall);
        }
        // no_shard < 2^36, so the shift stays below 2^100.
        Ok((no_shard << 64) / shard)
    }

    /// The load position (first sector of the recalled load) for `recall_seed`
    /// (`RecallRangeLib.recallChunk`):
    /// `offset = (seed mod (length / 1024)) & shardMask | shardId`, which must satisfy
    /// `offset × 1024 ≤ length`; the position is `start + offset × 1024`.
    pub fn recall_chunk(&self, recall_seed: &H256) -> Result<u64, VerifyError> {
        let loads = self.mine_length / SECTORS_PER_LOAD;
        let origin = recall_seed
            .mod_u64(loads)
            .ok_or(VerifyError::EmptyMiningRange)?;
        let offset = (origin & self.shard_mask) | self.shard_id;
        let sectors = u128::from(offset) * u128::from(SECTORS_PER_LOAD);
        if sectors > u128::from(self.mine_length) {
            return Err(VerifyError::RecallOutOfBound);
        }
        // sectors <= mine_length, and start + mine_length was checked to fit (or fails below).
        u64::try_from(sectors)
            .ok()
            .and_then(|s| self.start_position.checked_add(s))
            .ok_or(VerifyError::RecallOutOfBound)
    }

    /// The range a miner with `shard` mines in a flow of `flow_length` sectors, starting as close
    /// to `preferred_start` as allowed: length `min(maxEnd, 8 TiB × shards)`, start rounded down
    /// to a pricing chunk and kept within the flow. `None` when the flow has no whole load.
    pub fn for_flow(flow_length: u64, shard: ShardConfig, preferred_start: u64) -> Option<Self> {
        let max_end = flow_length / SECTORS_PER_LOAD * SECTORS_PER_LOAD;
        if max_end == 0 {
            return None;
        }
        let max_length = u128::from(MAX_MINING_LENGTH) * u128::from(shard.num_shard);
        let length = u64::try_from(u128::from(max_end).min(max_length)).ok()?;
        let start = preferred_start.min(max_end - length) / SECTORS_PER_PRICE * SECTORS_PER_PRICE;
        Some(RecallRange {
            start_position: start,
            mine_length: length,
            shard_id: shard.shard_id,
            shard_mask: shard.mask(),
        })
    }
}

/// A miner's shard: it keeps (and mines) the loads whose index is `shard_id` modulo `num_shard`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ShardConfig {
    /// This shard, below `num_shard`.
    pub shard_id: u64,
    /// Number of shards: a power of two.
    pub num_shard: u64,
}

impl Default for ShardConfig {
    fn default() -> Self {
        ShardConfig::FULL
    }
}

impl ShardConfig {
    /// One shard holding everything.
    pub const FULL: ShardConfig = ShardConfig {
        shard_id: 0,
        num_shard: 1,
    };

    /// A shard config, checked: `num_shard` a power of two and `shard_id < num_shard`.
    pub fn new(shard_id: u64, num_shard: u64) -> Option<Self> {
        (num_shard.is_power_of_two() && shard_id < num_shard).then_some(ShardConfig {
            shard_id,
            num_shard,
        })
    }

    /// Whether the config is valid (see [`ShardConfig::new`]).
    pub fn is_valid(&self) -> bool {
        Self::new(self.shard_id, self.num_shard).is_some()
    }

    /// The miner's shard mask `!(num_shard - 1)` (0G-FORMATS §3).
    pub fn mask(&self) -> u64 {
        !self.num_shard.saturating_sub(1)
    }
}

/// `padSeed = BLAKE2b-512(minerId ‖ nonce ‖ subtaskDigest ‖ rangeDigest)`.
pub fn pad_seed(
    miner_id: &H256,
    nonce: &H256,
    subtask_digest: &H256,
    range_digest: &H256,
) -> PadSeed {
    PadSeed(blake2b_512(&[
        &miner_id.0,
        &nonce.0,
        &subtask_digest.0,
        &range_digest.0,
    ]))
}

/// Fills the 16 KiB scratchpad from `seed` and returns the recall seed `keccak(final d)`
/// (`MineLib.computeScratchPadAndMix`, with the mixing left to [`compute_pora_hash`]'s caller).
pub fn compute_scratch_pad(seed: &PadSeed, pad: &mut [u8; SCRATCHPAD_SIZE]) -> H256 {
    let (mut lo, mut hi) = split_seed(seed);
    for round in pad.as_chunks_mut::<64>().0 {
        lo = keccak_pair(&lo, &hi);
        hi = keccak_pair(&lo, &hi);
        round[..32].copy_from_slice(&lo);
        round[32..].copy_from_slice(&hi);
    }
    H256(keccak_pair(&lo, &hi))
}

fn split_seed(seed: &PadSeed) -> ([u8; 32], [u8; 32]) {
    let (lo, hi) = seed.0.split_at(32);
    let mut a = [0u8; 32];
    let mut b = [0u8; 32];
    a.copy_from_slice(lo);
    b.copy_from_slice(hi);
    (a, b)
}

/// A filled scratchpad with its seeds: the state of one mining iteration before any data is read.
#[derive(Clone)]
pub struct Scratchpad {
    /// The pad seed it grew from.
    pub pad_seed: PadSeed,
    /// `keccak(final d)`: chooses the load.
    pub recall_seed: H256,
    pad: Box<[u8; SCRATCHPAD_SIZE]>,
}

impl fmt::Debug for Scratchpad {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scratchpad")
            .field("pad_seed", &self.pad_seed)
            .field("recall_seed", &self.recall_seed)
            .finish_non_exhaustive()
    }
}

impl Scratchpad {
    /// Grows the scratchpad of `pad_seed`.
    pub fn new(pad_seed: PadSeed) -> Self {
        let mut pad = Box::new([0u8; SCRATCHPAD_SIZE]);
        let recall_seed = compute_scratch_pad(&pad_seed, &mut pad);
        Scratchpad {
            pad_seed,
            recall_seed,
            pad,
        }
    }

    /// The 16 KiB.
    pub fn bytes(&self) -> &[u8; SCRATCHPAD_SIZE] {
        &self.pad
    }

    /// The 4 KiB part seal `seal_offset` mixes with: part `seal_offset mod 4`.
    pub fn part(&self, seal_offset: u64) -> &[u8; SEAL_SIZE] {
        pad_part(&self.pad, seal_offset)
    }

    /// The quality of sealed seal `seal_offset` of the recalled load (mix, then hash).
    pub fn quality(&self, seal_offset: u64, sealed: &[u8; SEAL_SIZE]) -> H256 {
        let mut mixed = *sealed;
        mix(&mut mixed, self.part(seal_offset));
        compute_pora_hash(seal_offset, &self.pad_seed, &mixed)
    }
}

/// The 4 KiB of `pad` that seal `seal_offset` mixes with.
pub(crate) fn pad_part(pad: &[u8; SCRATCHPAD_SIZE], seal_offset: u64) -> &[u8; SEAL_SIZE] {
    // `seal_offset % 4` is below 4: the cast cannot truncate.
    #[allow(clippy::cast_possible_truncation)]
    let part = (seal_offset % SEALS_PER_PAD as u64) as usize;
    let (parts, _) = pad.as_chunks::<SEAL_SIZE>();
    &parts[part]
}

/// `data ^= pad`, eight bytes at a time.
#[inline]
pub(crate) fn mix(data: &mut [u8; SEAL_SIZE], pad: &[u8; SEAL_SIZE]) {
    let (d, _) = data.as_chunks_mut::<8>();
    let (p, _) = pad.as_chunks::<8>();
    for (d, p) in d.iter_mut().zip(p) {
        *d = (u64::from_ne_bytes(*d) ^ u64::from_ne_bytes(*p)).to_ne_bytes();
    }
}

/// The PoRA output (quality) of one mixed seal:
/// `BLAKE2b-512(u256be(sealOffset) ‖ padSeed ‖ 32 zero bytes ‖ mixed)[0..32]`
/// (`MineLib.computePoraHash`). Lower is better.
pub fn compute_pora_hash(seal_offset: u64, pad_seed: &PadSeed, mixed: &[u8; SEAL_SIZE]) -> H256 {
    let mut head = [0u8; 128];
    head[..32].copy_from_slice(&u64_word(seal_offset));
    head[32..96].copy_from_slice(&pad_seed.0);
    let h = blake2b_512(&[&head, mixed]);
    let mut q = [0u8; 32];
    q.copy_from_slice(&h[..32]);
    H256(q)
}

/// The recall position of seal `seal_offset` of the load at `load_position`, or `None` on overflow.
pub fn recall_position(load_position: u64, seal_offset: u64) -> Option<u64> {
    seal_offset
        .checked_mul(SECTORS_PER_SEAL)
        .and_then(|s| load_position.checked_add(s))
}

/// The bound an answer's quality must meet: `quality ≤ (poraTarget / scaleX64) << 64` (`Mine.sol`,
/// step 5). Stored big-endian, so the test per seal is a byte-string comparison.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QualityBound([u8; 32]);

impl fmt::Debug for QualityBound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "QualityBound({})", H256(self.0))
    }
}

impl QualityBound {
    /// Admits every quality.
    pub const MAX: QualityBound = QualityBound([0xff; 32]);

    /// `(pora_target / scale_x64) << 64`; `scale_x64` is at least 2^64 on chain, and a smaller
    /// (or zero) scale is treated as 2^64 so the shift cannot overflow.
    pub fn new(pora_target: U256, scale_x64: u128) -> Self {
        let scale = U256::from(scale_x64.max(1 << 64));
        let bound: U256 = (pora_target / scale) << 64;
        QualityBound(bound.to_be_bytes::<32>())
    }

    /// A bound from its value.
    pub fn from_u256(bound: U256) -> Self {
        QualityBound(bound.to_be_bytes::<32>())
    }

    /// The bound's value.
    pub fn to_u256(&self) -> U256 {
        U256::from_be_bytes(self.0)
    }

    /// Whether `quality` meets the bound.
    #[inline]
    pub fn admits(&self, quality: &H256) -> bool {
        quality.0 <= self.0
    }

    /// The probability that a uniformly random quality meets the bound, `(bound + 1) / 2^256`,
    /// in floating point.
    /// For statistics and tests only; nothing decided on chain uses floating point.
    pub fn probability(&self) -> f64 {
        let mut p = 0.0f64;
        let mut scale = 1.0f64 / 256.0;
        for b in &self.0 {
            p += f64::from(*b) * scale;
            scale /= 256.0;
        }
        p
    }
}

/// `keccak(abi.encode(blockDigest, flowRoot, flowLength))`: an epoch's context digest (`Flow.sol`).
pub fn context_digest(block_digest: &H256, flow_root: &H256, flow_length: u64) -> H256 {
    let mut buf = [0u8; 96];
    buf[..32].copy_from_slice(&block_digest.0);
    buf[32..64].copy_from_slice(&flow_root.0);
    buf[64..].copy_from_slice(&u64_word(flow_length));
    keccak256(&buf)
}

/// `keccak(abi.encode(contextDigest, minerId)) mod nSubtasks`: which subtask window of the epoch
/// belongs to this miner (`PoraMine.getSubtaskDigest`). `None` when `n_subtasks == 0`.
pub fn subtask_index(context_digest: &H256, miner_id: &H256, n_subtasks: u64) -> Option<u64> {
    zg_core::keccak256_parts(&[&context_digest.0, &miner_id.0]).mod_u64(n_subtasks)
}

/// `keccak(abi.encode(contextDigest, blockhash(subtaskMineStart)))`: the digest a subtask mines with.
pub fn subtask_digest(context_digest: &H256, subtask_block_hash: &H256) -> H256 {
    zg_core::keccak256_parts(&[&context_digest.0, &subtask_block_hash.0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_masks_and_counts() {
        let s = ShardConfig::new(3, 8).unwrap();
        assert_eq!(s.mask(), !7);
        assert!(ShardConfig::new(8, 8).is_none());
        assert!(ShardConfig::new(0, 6).is_none());
        assert!(ShardConfig::new(0, 0).is_none());
        assert_eq!(ShardConfig::FULL.mask(), u64::MAX);
        let r = RecallRange {
            shard_mask: 0,
            ..Default::default()
        };
        assert_eq!(r.num_shards(), 1u128 << 64);
    }

    #[test]
    fn range_rules_in_contract_order() {
        let ok = RecallRange {
            start_position: 0,
            mine_length: 4096,
            shard_id: 1,
            shard_mask: !1,
        };
        assert_eq!(ok.check(4096), Ok(()));
        let bad_start = RecallRange {
            start_position: 1024,
            ..ok
        };
        assert_eq!(bad_start.check(8192), Err(VerifyError::StartNotAligned));
        assert_eq!(ok.check(3072), Err(VerifyError::RangeOverflow));
        let short = RecallRange {
            mine_length: 2048,
            ..ok
        };
        assert_eq!(short.check(4096), Err(VerifyError::RangeTooShort));
        let masked = RecallRange { shard_id: 2, ..ok };
        assert_eq!(masked.check(4096), Err(VerifyError::MaskedBitsSet));
        let too_long = RecallRange {
            mine_length: MAX_MINING_LENGTH + SECTORS_PER_LOAD,
            shard_mask: u64::MAX,
            shard_id: 0,
            ..ok
        };
        assert_eq!(
            too_long.check(MAX_MINING_LENGTH * 4),
            Err(VerifyError::RangeTooLong)
        );
        let overflow = RecallRange {
            start_position: SECTORS_PER_PRICE * (u64::MAX / SECTORS_PER_PRICE),
            mine_length: u64::MAX,
            ..ok
        };
        assert_eq!(overflow.check(u64::MAX), Err(VerifyError::RangeOverflow));
    }

    #[test]
    fn scale_is_two_to_the_64_without_shards() {
        let r = RecallRange {
            shard_mask: u64::MAX,
            ..Default::default()
        };
        assert_eq!(r.target_scale_x64(5000), Ok(1 << 64));
        let half = RecallRange {
            shard_mask: !1,
            ..Default::default()
        };
        assert_eq!(half.target_scale_x64(5000), Ok(2 << 64));
        // Past 8 TiB per shard the scale stops growing with the flow.
        let big = MAX_MINING_LENGTH * 4;
        assert_eq!(half.target_scale_x64(big), Ok(1 << 64));
        assert_eq!(half.target_scale_x64(1), Err(VerifyError::ShardTooSmall));
    }

    #[test]
    fn recall_chunk_rules() {
        let r = RecallRange {
            start_position: 0,
            mine_length: 3 * 1024,
            shard_id: 1,
            shard_mask: !3,
        };
        // Any seed lands on a load index = 1 mod 4, i.e. 1; index 5 would be out of bound.
        for s in 0..50u8 {
            let seed = keccak256(&[s]);
            let pos = r.recall_chunk(&seed);
            assert!(
                pos == Ok(1024) || pos == Err(VerifyError::RecallOutOfBound),
                "{pos:?}"
            );
        }
        let empty = RecallRange {
            mine_length: 1023,
            ..r
        };
        assert_eq!(
            empty.recall_chunk(&H256::ZERO),
            Err(VerifyError::EmptyMiningRange)
        );
        // offset × 1024 == length is allowed (the contract checks `<=`).
        let edge = RecallRange {
            start_position: 0,
            mine_length: 2048,
            shard_id: 2,
            shard_mask: !3,
        };
        assert_eq!(edge.recall_chunk(&H256::ZERO), Ok(2048));
    }

    #[test]
    fn ranges_for_flows() {
        assert_eq!(RecallRange::for_flow(1023, ShardConfig::FULL, 0), None);
        let r = RecallRange::for_flow(5000, ShardConfig::new(1, 2).unwrap(), 77).unwrap();
        assert_eq!((r.start_position, r.mine_length), (0, 4096));
        assert_eq!(r.check(4096), Ok(()));
        let huge = 3 * MAX_MINING_LENGTH;
        let r = RecallRange::for_flow(huge, ShardConfig::FULL, u64::MAX).unwrap();
        assert_eq!(r.mine_length, MAX_MINING_LENGTH);
        assert_eq!(r.start_position, 2 * MAX_MINING_LENGTH);
        assert_eq!(r.check(huge), Ok(()));
    }

    #[test]
    fn bounds() {
        let b = QualityBound::new(U256::MAX, 1 << 64);
        // The low 64 bits are cleared by the shift.
        assert_eq!(b.to_u256(), (U256::MAX >> 64) << 64);
        assert!(!b.admits(&H256([0xff; 32])));
        assert!(b.admits(&H256::ZERO));
        let half = QualityBound::new(U256::MAX, 2 << 64);
        assert!((half.probability() - 0.5).abs() < 1e-12);
        assert!(QualityBound::MAX.admits(&H256([0xff; 32])));
    }
}
