//! Shared by the `pora_*` fuzz targets: one honest answer over a small sealed flow, and an
//! obviously-correct reference verification to compare `verify_answer` with.

use std::sync::OnceLock;

use zg_core::tree::{MerkleTree, Proof, ceil_log2};
use zg_core::{H256, hash_sector, keccak256};
use zg_pora::pora::{QualityBound, RecallRange};
use zg_pora::{Answer, ChainView, MiningParams, SealedFlow, ShardConfig, U256};

pub struct Fixture {
    pub answer: Answer,
    pub view: ChainView,
}

/// A 1 MiB file in a fresh flow, sealed to one miner, and the first answer of a few nonces with
/// a target of one in four.
pub fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let miner = H256([0x6d; 32]);
        let data: Vec<u8> = (0..4 * 262_144u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
            .collect();
        let sealed = SealedFlow::new(&[&data], miner, 1, 1, H256([1; 32])).unwrap();
        let (flow, context) = (&sealed.flow, sealed.context);
        let subtask = H256([2; 32]);
        let range = RecallRange::for_flow(flow.length(), ShardConfig::FULL, 0).unwrap();
        let target = U256::MAX >> 2;
        let params = MiningParams::new(miner, subtask, range, target, flow.length()).unwrap();
        let nonces: Vec<H256> = (0..8u64).map(|i| keccak256(&i.to_be_bytes())).collect();
        let hit = params.mine_batch(&nonces, |i| sealed.load(i))[0];
        let answer = sealed.answer(&params, &hit).unwrap();
        let view = ChainView {
            max_shards: 8,
            ..ChainView::new(context, subtask, target, Some(sealed.epoch_range()))
        };
        assert!(zg_pora::verify_answer(&answer, &view).is_ok());
        Fixture { answer, view }
    })
}

/// The contract's conditions, written out plainly with zg-core's generic tools: a word-by-word
/// unseal, a Merkle tree over the sectors, zg-core's proof check, the scratchpad type. Returns
/// the quality when every condition holds.
pub fn reference_verify(a: &Answer, v: &ChainView) -> Option<H256> {
    let ctx = &v.context;
    let empty = keccak256(&[]);
    if a.miner_id == H256::ZERO || a.context_digest != ctx.digest || ctx.digest == empty {
        return None;
    }
    if v.epoch_submissions >= v.epoch_cap {
        return None;
    }
    a.range.check(ctx.flow_length / 1024 * 1024).ok()?;
    let r = v.sealed_context_range?;
    let end = u128::from(a.recall_position) + 16;
    if !(u128::from(r.start) < end && u128::from(r.end) >= end) {
        return None;
    }
    if a.range.num_shards() > u128::from(v.max_shards) || a.sealed_context_digest == empty {
        return None;
    }
    // Unseal word by word.
    let mut seed = [0u8; 96];
    seed[..32].copy_from_slice(&a.miner_id.0);
    seed[32..64].copy_from_slice(&a.sealed_context_digest.0);
    seed[88..].copy_from_slice(&a.recall_position.to_be_bytes());
    let mut plain = [0u8; 4096];
    for i in 0..128 {
        let mask = if i == 0 {
            keccak256(&seed)
        } else {
            keccak256(&a.sealed_data[(i - 1) * 32..i * 32])
        };
        for j in 0..32 {
            plain[i * 32 + j] = a.sealed_data[i * 32 + j] ^ mask.0[j];
        }
    }
    let leaves: Vec<H256> = plain
        .chunks_exact(256)
        .map(|s| hash_sector(s.try_into().unwrap()))
        .collect();
    let seal_root = MerkleTree::from_leaves(leaves).unwrap().root();
    let depth = ceil_log2(ctx.flow_length).checked_sub(4)?;
    let index = a.recall_position / 16;
    let mut lemma = vec![seal_root];
    lemma.extend(&a.merkle_proof);
    lemma.push(ctx.flow_root);
    let path: Vec<bool> = (0..a.merkle_proof.len())
        .map(|i| (index >> i) & 1 == 0)
        .collect();
    let proof = Proof::new(lemma, path).ok()?;
    proof
        .verify_complete(&ctx.flow_root, &seal_root, index, depth)
        .ok()?;
    // PoRA.
    let pad = zg_pora::Scratchpad::new(zg_pora::pad_seed(
        &a.miner_id,
        &a.nonce,
        &v.subtask_digest,
        &a.range.digest(),
    ));
    let load = a.range.recall_chunk(&pad.recall_seed).ok()?;
    if u128::from(a.recall_position) != u128::from(load) + u128::from(a.seal_offset) * 16 {
        return None;
    }
    let quality = pad.quality(a.seal_offset, &a.sealed_data);
    let scale = a.range.target_scale_x64(ctx.flow_length).ok()?;
    QualityBound::new(v.pora_target, scale)
        .admits(&quality)
        .then_some(quality)
}
