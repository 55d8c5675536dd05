//! Answer verification, equivalent to `PoraMine.submit` (PoRA version 1).
//!
//! [`verify_answer`] runs every check the contract makes on an answer that depends on the answer
//! and a snapshot of chain state ([`ChainView`]), in the contract's order:
//!
//! 1. miner id non-zero;
//! 2. `basicCheck`: the context digest is the current one and not empty; the epoch is not full;
//!    the range is valid for the flow ([`RecallRange::check`](crate::RecallRange::check)); the sealed context's epoch range
//!    holds the seal's last sector;
//! 3. the number of shards is within `maxShards`; the sealed context is not empty;
//! 4. unseal; the seal root from its 16 sector leaves; the Merkle proof folded to the flow root;
//! 5. `pora`: pad seed, scratchpad, recall position recomputed; the quality meets
//!    `(poraTarget / scaleX64) << 64`.
//!
//! What needs the contract's own bookkeeping — registration, the subtask window, the epoch's
//! submission count, duplicate outputs, difficulty and rewards — is in
//! [`Verifier`](crate::Verifier), which calls this function.

use zg_core::tree::{SEAL_SIZE, ceil_log2};
use zg_core::{H256, SECTOR_SIZE, hash_pair, hash_sector};

use crate::U256;
use crate::answer::{Answer, EpochRange, MineContext};
use crate::error::VerifyError;
use crate::pora::{
    QualityBound, SCRATCHPAD_SIZE, SEALS_PER_LOAD, SECTORS_PER_LOAD, SECTORS_PER_PRICE,
    compute_pora_hash, compute_scratch_pad, mix, pad_part, pad_seed, recall_position,
};
use crate::seal::unseal;

/// Checks this crate may add to the contract's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Policy {
    /// Reject seal offsets of 64 and more. The contract only requires
    /// `recallPosition == loadPosition + sealOffset × 16`, so an answer may prove a seal *after*
    /// the recalled load; honest miners never do, and a miner keeping only the flow's last seals
    /// could otherwise answer for any load. Off by default, to match the chain.
    pub bound_seal_offset: bool,
}

impl Policy {
    /// Exactly the contract's checks.
    pub const CONTRACT: Policy = Policy {
        bound_seal_offset: false,
    };
    /// The contract's checks plus a seal offset inside the recalled load.
    pub const STRICT: Policy = Policy {
        bound_seal_offset: true,
    };
}

/// The chain state one answer is checked against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainView {
    /// The current mining context.
    pub context: MineContext,
    /// The miner's subtask digest for this context.
    pub subtask_digest: H256,
    /// The current `poraTarget`.
    pub pora_target: U256,
    /// `maxShards`.
    pub max_shards: u64,
    /// `Flow.getEpochRange(answer.sealedContextDigest)`: `None` for an unknown digest.
    pub sealed_context_range: Option<EpochRange>,
    /// Answers accepted so far this epoch.
    pub epoch_submissions: u64,
    /// `2 × targetSubmissions`; `u64::MAX` for no cap.
    pub epoch_cap: u64,
    /// Extra checks.
    pub policy: Policy,
}

impl ChainView {
    /// A view with no submission cap, no shard limit and the contract's policy.
    pub fn new(
        context: MineContext,
        subtask_digest: H256,
        pora_target: U256,
        sealed_context_range: Option<EpochRange>,
    ) -> Self {
        ChainView {
            context,
            subtask_digest,
            pora_target,
            max_shards: u64::MAX,
            sealed_context_range,
            epoch_submissions: 0,
            epoch_cap: u64::MAX,
            policy: Policy::CONTRACT,
        }
    }
}

/// What a valid answer proved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Verified {
    /// The PoRA output (its quality): unique per accepted answer.
    pub output: H256,
    /// The recalled load's first sector.
    pub load_position: u64,
    /// The pricing chunk the reward comes from: `recallPosition / 2^25`.
    pub pricing_index: u64,
}

/// Verifies `answer` against `view` as `PoraMine.submit` does (see the module docs); the first
/// failing check is returned. Never panics.
pub fn verify_answer(answer: &Answer, view: &ChainView) -> Result<Verified, VerifyError> {
    let ctx = &view.context;
    // Step 1: the miner id.
    if answer.miner_id == H256::ZERO {
        return Err(VerifyError::MinerIdZero);
    }
    // Step 3 (`basicCheck`).
    if ctx.digest != answer.context_digest {
        return Err(VerifyError::ContextMismatch);
    }
    if !ctx.is_mineable() {
        return Err(VerifyError::EmptyContext);
    }
    if view.epoch_submissions >= view.epoch_cap {
        return Err(VerifyError::EpochFull {
            cap: view.epoch_cap,
        });
    }
    let max_end = ctx.flow_length / SECTORS_PER_LOAD * SECTORS_PER_LOAD;
    answer.range.check(max_end)?;
    if !view
        .sealed_context_range
        .is_some_and(|r| r.covers_seal(answer.recall_position))
    {
        return Err(VerifyError::InvalidSealedContext);
    }
    if answer.range.num_shards() > u128::from(view.max_shards) {
        return Err(VerifyError::TooManyShards);
    }
    // Step 4: the data.
    if answer.sealed_context_digest == zg_core::hash::empty_hash() {
        return Err(VerifyError::EmptySealedContext);
    }
    let mut unsealed = *answer.sealed_data;
    unseal(
        &mut unsealed,
        &answer.miner_id,
        &answer.sealed_context_digest,
        answer.recall_position,
    );
    check_flow_proof(
        &seal_root(&unsealed),
        answer.seal_index(),
        &answer.merkle_proof,
        &ctx.flow_root,
        ctx.flow_length,
    )?;
    // Step 5: PoRA.
    let output = pora_output(answer, &view.subtask_digest, view.policy)?;
    let scale = answer.range.target_scale_x64(ctx.flow_length)?;
    if !QualityBound::new(view.pora_target, scale).admits(&output.0) {
        return Err(VerifyError::TargetNotMet);
    }
    Ok(Verified {
        output: output.0,
        load_position: output.1,
        pricing_index: answer.recall_position / SECTORS_PER_PRICE,
    })
}

/// `PoraMine.pora`: recomputes the load from the nonce, checks the recall position, and returns
/// the quality with the load position.
fn pora_output(
    answer: &Answer,
    subtask_digest: &H256,
    policy: Policy,
) -> Result<(H256, u64), VerifyError> {
    if policy.bound_seal_offset && answer.seal_offset >= SEALS_PER_LOAD as u64 {
        return Err(VerifyError::SealOffsetOutsideLoad);
    }
    let seed = pad_seed(
        &answer.miner_id,
        &answer.nonce,
        subtask_digest,
        &answer.range.digest(),
    );
    let mut pad = [0u8; SCRATCHPAD_SIZE];
    let recall_seed = compute_scratch_pad(&seed, &mut pad);
    let load = answer.range.recall_chunk(&recall_seed)?;
    if recall_position(load, answer.seal_offset) != Some(answer.recall_position) {
        return Err(VerifyError::RecallPositionMismatch);
    }
    let mut mixed = *answer.sealed_data;
    mix(&mut mixed, pad_part(&pad, answer.seal_offset));
    Ok((compute_pora_hash(answer.seal_offset, &seed, &mixed), load))
}

/// The root of a seal's 16 sectors: Keccak leaves, paired up four levels (`recoverMerkleRoot`).
pub fn seal_root(unsealed: &[u8; SEAL_SIZE]) -> H256 {
    let mut level: [H256; 16] = [H256::ZERO; 16];
    for (leaf, sector) in level.iter_mut().zip(unsealed.as_chunks::<SECTOR_SIZE>().0) {
        *leaf = hash_sector(sector);
    }
    let mut n = level.len();
    while n > 1 {
        for i in 0..n / 2 {
            level[i] = hash_pair(&level[2 * i], &level[2 * i + 1]);
        }
        n /= 2;
    }
    level[0]
}

/// Folds `siblings` from the seal node `seal_index` (height 4) and compares with `flow_root`; the
/// proof must have `ceil_log2(flow_length) − 4` siblings.
fn check_flow_proof(
    seal_root: &H256,
    seal_index: u64,
    siblings: &[H256],
    flow_root: &H256,
    flow_length: u64,
) -> Result<(), VerifyError> {
    let depth = ceil_log2(flow_length);
    if depth.checked_sub(4).and_then(|d| usize::try_from(d).ok()) != Some(siblings.len()) {
        return Err(VerifyError::ProofLength);
    }
    let mut acc = *seal_root;
    let mut index = seal_index;
    for sib in siblings {
        acc = if index & 1 == 0 {
            hash_pair(&acc, sib)
        } else {
            hash_pair(sib, &acc)
        };
        index >>= 1;
    }
    if index != 0 || acc != *flow_root {
        return Err(VerifyError::FlowRootMismatch);
    }
    Ok(())
}
