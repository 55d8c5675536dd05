//! Shared by the `pora_*` fuzz targets: one honest answer over a small sealed flow, and an
//! obviously-correct reference verification to compare `verify_answer` with.

use std::sync::OnceLock;

use zg_core::tree::{Flow, MerkleTree, Proof, ceil_log2};
use zg_core::{H256, hash_sector, keccak256};
use zg_pora::answer::seal_proof;
use zg_pora::pora::{QualityBound, RecallRange};
use zg_pora::{Answer, ChainView, EpochRange, MineContext, MiningParams, SealedLoad, ShardConfig, U256};

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
        let mut flow = Flow::new();
        let placed = flow.append_file(&data).unwrap();
        let context = MineContext::new(1, 1, flow.root(), flow.length(), H256([1; 32]));
        let subtask = H256([2; 32]);
        let range = RecallRange::for_flow(flow.length(), ShardConfig::FULL, 0).unwrap();
        let target = U256::MAX >> 2;
        let params = MiningParams::new(miner, subtask, range, target, flow.length()).unwrap();
        let loads: Vec<SealedLoad> = (0..flow.length() / 1024)
            .map(|l| {
                let mut bytes = Box::new([0u8; 262_144]);
                for (j, seal) in bytes.as_chunks_mut::<4096>().0.iter_mut().enumerate() {
                    let s = l * 64 + j as u64;
                    if s * 16 >= placed.start {
                        let off = ((s * 16 - placed.start) * 256) as usize;
                        seal.copy_from_slice(&data[off..off + 4096]);
                    }
                    zg_pora::seal(seal, &miner, &context.digest, s * 16);
                }
                SealedLoad::new(bytes)
            })
            .collect();
        let nonces: Vec<H256> = (0..8u64).map(|i| keccak256(&i.to_be_bytes())).collect();
        let hit = params
            .mine_batch(&nonces, |i| loads.get(i as usize))
            .into_iter()
            .find(|h| h.recall_position >= 16)
            .unwrap();
        let load = &loads[(hit.recall_position / 1024) as usize];
        let answer = Answer {
            context_digest: context.digest,
            nonce: hit.nonce,
            miner_id: miner,
            range,
            recall_position: hit.recall_position,
            seal_offset: hit.seal_offset,
            sealed_context_digest: context.digest,
            sealed_data: Box::new(*load.seal(hit.seal_offset as usize).unwrap()),
            merkle_proof: seal_proof(&flow, hit.recall_position / 16).unwrap(),
        };
        let view = ChainView {
            max_shards: 8,
            ..ChainView::new(
                context,
                subtask,
                target,
                Some(EpochRange {
                    start: 0,
                    end: flow.length(),
                }),
            )
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
    let path: Vec<bool> = (0..a.merkle_proof.len()).map(|i| (index >> i) & 1 == 0).collect();
    let proof = Proof::new(lemma, path).ok()?;
    proof.verify_complete(&ctx.flow_root, &seal_root, index, depth).ok()?;
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
