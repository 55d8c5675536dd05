//! PoDAS sampling as the DA contract checks it (`SampleVerifier.sol`, `DAEntrance.sol`).
//!
//! A round's seed is `blockhash(start − 1)`. A 32 KiB line (one encoded row) splits into 32
//! sublines of 1 KiB; a response is accepted when `lineQuality + dataQuality ≤ podasTarget`.

use super::tree::data_root_from_coset_roots;
use super::{COSETS, Error};
use ruint::aliases::U256;
use zg_core::{H256, hash_pair};

/// Sublines per line.
pub const SUBLINES: u64 = 32;
/// Bytes of one subline (`32 · 1024 / 32`).
pub const SUBLINE_BYTES: usize = 1024;
/// Lines (encoded rows) of a live blob.
pub const LINES: u64 = 3072;
/// The cap on the target, `type(uint).max / 128`.
pub const MAX_PODAS_TARGET: U256 = U256::from_limbs([u64::MAX, u64::MAX, u64::MAX, u64::MAX >> 7]);

/// `keccak(abi.encodePacked(seed, uint epoch, uint quorumId, dataRoot, uint64 lineIndex))`.
pub fn line_quality(seed: &H256, epoch: u64, quorum_id: u64, data_root: &H256, line: u64) -> U256 {
    let digest = zg_core::keccak256_parts(&[
        &seed.0,
        &U256::from(epoch).to_be_bytes::<32>(),
        &U256::from(quorum_id).to_be_bytes::<32>(),
        &data_root.0,
        &line.to_be_bytes(),
    ]);
    U256::from_be_bytes(digest.0)
}

/// `keccak(abi.encodePacked(uint lineQuality, uint sublineIndex, data))`.
pub fn data_quality(line_quality: U256, subline: u64, data: &[u8]) -> U256 {
    let digest = zg_core::keccak256_parts(&[
        &line_quality.to_be_bytes::<32>(),
        &U256::from(subline).to_be_bytes::<32>(),
        data,
    ]);
    U256::from_be_bytes(digest.0)
}

/// A sampling response (`SampleResponse`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampleResponse {
    /// The round's seed.
    pub seed: H256,
    /// The sampled blob's epoch.
    pub epoch: u64,
    /// The sampled blob's quorum.
    pub quorum_id: u64,
    /// Encoded row, `0..3072`.
    pub line: u32,
    /// Subline within the row, `0..32`.
    pub subline: u32,
    /// The claimed quality.
    pub quality: U256,
    /// The blob's data root.
    pub data_root: H256,
    /// The three coset roots.
    pub blob_roots: [H256; COSETS],
    /// Siblings from the subline's 4-sector subtree up to the coset root.
    pub proof: Vec<H256>,
    /// The subline's 1 KiB.
    pub data: Vec<u8>,
}

/// `verify(rep)` of `SampleVerifier`, plus the target check of `submitSamplingResponse`, in the
/// contract's order: seed non-zero, indices, quality (overflow rejected), data length, subline
/// proof to `blob_roots[line / 1024]` at position `(line mod 1024)·32 + subline`, data root.
pub fn verify_sample(rep: &SampleResponse, podas_target: U256) -> Result<(), Error> {
    if rep.seed == H256::ZERO {
        return Err(Error::InvalidSample("empty seed"));
    }
    if u64::from(rep.line) >= LINES || u64::from(rep.subline) >= SUBLINES {
        return Err(Error::InvalidSample("index out of range"));
    }
    if rep.quality > podas_target {
        return Err(Error::InvalidSample("quality not reached"));
    }
    let lq = line_quality(
        &rep.seed,
        rep.epoch,
        rep.quorum_id,
        &rep.data_root,
        u64::from(rep.line),
    );
    let dq = data_quality(lq, u64::from(rep.subline), &rep.data);
    let sum = lq
        .checked_add(dq)
        .ok_or(Error::InvalidSample("quality overflow"))?;
    if sum != rep.quality {
        return Err(Error::InvalidSample("incorrect quality"));
    }
    if rep.data.len() != SUBLINE_BYTES {
        return Err(Error::InvalidLength {
            expected: SUBLINE_BYTES,
            got: rep.data.len(),
        });
    }
    let leaves = zg_core::tree::sector_hashes(&rep.data)?;
    let mut acc = zg_core::tree::MerkleTree::from_leaves(leaves)?.root();
    let mut pos = u64::from(rep.line % 1024) * SUBLINES + u64::from(rep.subline);
    for s in &rep.proof {
        acc = if pos.is_multiple_of(2) {
            hash_pair(&acc, s)
        } else {
            hash_pair(s, &acc)
        };
        pos >>= 1;
    }
    if acc != rep.blob_roots[(rep.line / 1024) as usize] {
        return Err(Error::InvalidProof);
    }
    if data_root_from_coset_roots(&rep.blob_roots) != rep.data_root {
        return Err(Error::InvalidProof);
    }
    Ok(())
}

/// `_adjustPodasTarget`: `scaled = target >> 32`; move it by `scaled·|actual − goal| / goal / 8`
/// (down when more responses than the goal came in, up otherwise); cap at
/// [`MAX_PODAS_TARGET`]; `target = scaled << 32`.
pub fn adjust_podas_target(target: U256, submissions: u64, goal: u64) -> Result<U256, Error> {
    if goal == 0 {
        return Err(Error::InvalidParams("target round submissions is zero"));
    }
    let scaled = target >> 32usize;
    let diff = U256::from(submissions.abs_diff(goal));
    let delta = scaled
        .checked_mul(diff)
        .ok_or(Error::InvalidParams("target adjustment overflows"))?
        / U256::from(goal)
        / U256::from(8u64);
    let next = if submissions > goal {
        scaled - delta
    } else {
        scaled
            .checked_add(delta)
            .ok_or(Error::InvalidParams("target adjustment overflows"))?
    };
    if next >= MAX_PODAS_TARGET >> 32usize {
        Ok(MAX_PODAS_TARGET)
    } else {
        Ok(next << 32usize)
    }
}

/// The reward of one accepted response: `activedReward / rewardRatio` plus the base reward
/// `min(totalBaseReward, baseReward)`. Returns `(reward, activedReward', totalBaseReward')`.
pub fn sample_reward(
    actived_reward: U256,
    reward_ratio: U256,
    total_base_reward: U256,
    base_reward: U256,
) -> Result<(U256, U256, U256), Error> {
    if reward_ratio.is_zero() {
        return Err(Error::InvalidParams("reward ratio is zero"));
    }
    let share = actived_reward / reward_ratio;
    let base = total_base_reward.min(base_reward);
    let reward = share
        .checked_add(base)
        .ok_or(Error::InvalidParams("reward overflows"))?;
    Ok((reward, actived_reward - share, total_base_reward - base))
}
