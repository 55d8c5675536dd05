//! Answer verification: an honest miner's answers always verify, under the contract's policy and
//! the strict one; every kind of tampering is rejected with the contract's error.

// In tests a panic is a failure report, and casts work on small test sizes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

mod common;

use std::sync::LazyLock;

use common::{Fixture, target_one_in};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use zg_core::H256;
use zg_pora::pora::SECTORS_PER_LOAD;
use zg_pora::{
    Answer, ChainView, EpochRange, Policy, ShardConfig, U256, VerifyError, verify_answer,
};

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| Fixture::new(7, 8, H256([0x5a; 32])));

/// A hard answer: the best of many iterations, with the target set just above its quality, so a
/// random quality meets it with probability below 1/10,000.
static HARD: LazyLock<(Answer, ChainView)> = LazyLock::new(|| {
    let f = &*FIXTURE;
    let params = f.params(ShardConfig::FULL, U256::MAX);
    let hits = params.mine_batch(&Fixture::nonces(1, 200), |i| f.load(i));
    let best = hits.iter().min_by_key(|h| h.quality).unwrap();
    let q = U256::from_be_bytes(best.quality.0);
    let target = ((q >> 64) + U256::from(1u8)) << 64;
    let answer = f.answer(&params, best);
    let view = f.view(target);
    assert!(verify_answer(&answer, &view).is_ok());
    (answer, view)
});

#[test]
fn honest_answers_verify() {
    let f = &*FIXTURE;
    for shard in [
        ShardConfig::FULL,
        ShardConfig::new(1, 2).unwrap(),
        ShardConfig::new(2, 4).unwrap(),
    ] {
        let params = f.params(shard, target_one_in(8));
        let hits = params.mine_batch(&Fixture::nonces(2, 12), |i| f.load(i));
        assert!(hits.len() > 10, "{shard:?}: {} hits", hits.len());
        for hit in &hits {
            let load = hit.recall_position / SECTORS_PER_LOAD;
            assert_eq!(load % shard.num_shard, shard.shard_id);
            let answer = f.answer(&params, hit);
            for policy in [Policy::CONTRACT, Policy::STRICT] {
                let view = ChainView {
                    policy,
                    max_shards: 4,
                    ..f.view(target_one_in(8))
                };
                let v = verify_answer(&answer, &view).unwrap();
                assert_eq!(v.output, hit.quality);
                assert_eq!(v.load_position, load * SECTORS_PER_LOAD);
                assert_eq!(v.pricing_index, 0);
            }
            // It survives the ABI round trip.
            assert_eq!(Answer::abi_decode(&answer.abi_encode()).unwrap(), answer);
        }
    }
}

/// Each mutation with the error the contract reports for it.
#[test]
fn each_failure_has_its_error() {
    let (answer, view) = &*HARD;
    type Mutation = fn(&mut Answer, &mut ChainView);
    let cases: Vec<(&str, Mutation, VerifyError)> = vec![
        (
            "zero miner",
            |a, _| a.miner_id = H256::ZERO,
            VerifyError::MinerIdZero,
        ),
        (
            "other context",
            |a, _| a.context_digest.0[0] ^= 1,
            VerifyError::ContextMismatch,
        ),
        (
            "empty context",
            |a, v| {
                v.context.digest = zg_core::hash::empty_hash();
                a.context_digest = v.context.digest;
            },
            VerifyError::EmptyContext,
        ),
        (
            "epoch full",
            |_, v| {
                v.epoch_cap = 20;
                v.epoch_submissions = 20;
            },
            VerifyError::EpochFull { cap: 20 },
        ),
        (
            "unaligned start",
            |a, _| a.range.start_position = 1024,
            VerifyError::StartNotAligned,
        ),
        (
            "range past flow",
            |a, _| a.range.mine_length += 1024,
            VerifyError::RangeOverflow,
        ),
        (
            "range too short",
            |a, _| a.range.mine_length -= 1024,
            VerifyError::RangeTooShort,
        ),
        (
            "range too long",
            |a, v| {
                a.range.mine_length = zg_pora::pora::MAX_MINING_LENGTH + 1024;
                v.context.flow_length = 2 * zg_pora::pora::MAX_MINING_LENGTH;
                a.context_digest = v.context.digest;
            },
            VerifyError::RangeTooLong,
        ),
        (
            "masked shard id",
            |a, _| a.range.shard_id = 2,
            VerifyError::MaskedBitsSet,
        ),
        (
            "unknown sealed context",
            |_, v| v.sealed_context_range = None,
            VerifyError::InvalidSealedContext,
        ),
        (
            "seal outside its epoch",
            |a, v| {
                v.sealed_context_range = Some(EpochRange {
                    start: a.recall_position + 16,
                    end: u64::MAX,
                })
            },
            VerifyError::InvalidSealedContext,
        ),
        (
            "too many shards",
            |a, v| {
                a.range.shard_mask = !1;
                v.max_shards = 1;
            },
            VerifyError::TooManyShards,
        ),
        (
            "empty sealed context",
            |a, _| a.sealed_context_digest = zg_core::hash::empty_hash(),
            VerifyError::EmptySealedContext,
        ),
        (
            "short proof",
            |a, _| {
                a.merkle_proof.pop();
            },
            VerifyError::ProofLength,
        ),
        (
            "long proof",
            |a, _| a.merkle_proof.push(H256::ZERO),
            VerifyError::ProofLength,
        ),
        (
            "data byte",
            |a, _| a.sealed_data[4095] ^= 0x80,
            VerifyError::FlowRootMismatch,
        ),
        (
            "proof node",
            |a, _| a.merkle_proof[0].0[5] ^= 1,
            VerifyError::FlowRootMismatch,
        ),
        (
            "other miner",
            |a, _| a.miner_id.0[31] ^= 1,
            VerifyError::FlowRootMismatch,
        ),
        (
            "other sealed context",
            |a, v| {
                a.sealed_context_digest.0[0] ^= 1;
                v.sealed_context_range = Some(EpochRange {
                    start: 0,
                    end: u64::MAX,
                });
            },
            VerifyError::FlowRootMismatch,
        ),
        (
            "position of the next seal",
            |a, _| a.recall_position += 16,
            VerifyError::FlowRootMismatch,
        ),
        (
            "seal offset",
            |a, _| a.seal_offset ^= 1,
            VerifyError::RecallPositionMismatch,
        ),
        (
            "target not met",
            |_, v| v.pora_target = U256::from(1u8) << 64,
            VerifyError::TargetNotMet,
        ),
    ];
    for (name, mutate, want) in cases {
        let (mut a, mut v) = (answer.clone(), view.clone());
        mutate(&mut a, &mut v);
        assert_eq!(verify_answer(&a, &v), Err(want), "{name}");
    }
}

#[test]
fn strict_policy_bounds_the_seal_offset() {
    // An answer that proves the seal after the recalled load: the contract accepts it.
    let f = &*FIXTURE;
    let params = f.params(ShardConfig::FULL, U256::MAX);
    let hits = params.mine_batch(&Fixture::nonces(3, 40), |i| f.load(i));
    let hit = hits
        .iter()
        .find(|h| h.recall_position / SECTORS_PER_LOAD + 1 < f.loads.len() as u64)
        .unwrap();
    // Re-point it at seal 64 + offset: the first seal with the same pad part in the next load.
    let mut moved = *hit;
    moved.seal_offset += 64;
    moved.recall_position += SECTORS_PER_LOAD;
    let mut answer = f.answer(&params, hit);
    let next_load = f.load(moved.recall_position / SECTORS_PER_LOAD).unwrap();
    answer.seal_offset = moved.seal_offset;
    answer.recall_position = moved.recall_position;
    *answer.sealed_data = *next_load.seal(hit.seal_offset as usize).unwrap();
    answer.merkle_proof = zg_pora::answer::seal_proof(&f.flow, moved.recall_position / 16).unwrap();
    let view = f.view(U256::MAX);
    assert!(verify_answer(&answer, &view).is_ok());
    let strict = ChainView {
        policy: Policy::STRICT,
        ..view
    };
    assert_eq!(
        verify_answer(&answer, &strict),
        Err(VerifyError::SealOffsetOutsideLoad)
    );
}

proptest! {
    // A fixed seed: a tampered answer that happens to be valid (probability below 1e-4 per
    // case) would fail the same way on every run, not at random.
    #![proptest_config(ProptestConfig {
        cases: 256,
        rng_seed: RngSeed::Fixed(0x5eed),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn tampering_is_rejected(kind in 0u8..6, at in any::<usize>(), bit in 0u8..8, delta in 1u64..1_000_000) {
        let (answer, view) = &*HARD;
        let mut a = answer.clone();
        let mask = 1u8 << bit;
        match kind {
            // A data byte.
            0 => a.sealed_data[at % 4096] ^= mask,
            // A proof node.
            1 => {
                let n = a.merkle_proof.len();
                a.merkle_proof[at % n].0[(at / n) % 32] ^= mask;
            }
            // The nonce.
            2 => a.nonce.0[at % 32] ^= mask,
            // The position.
            3 => a.recall_position = a.recall_position.wrapping_add(delta),
            4 => a.recall_position = a.recall_position.wrapping_sub(delta),
            // The seal offset.
            _ => a.seal_offset = a.seal_offset.wrapping_add(delta),
        }
        let got = verify_answer(&a, view);
        prop_assert!(got.is_err(), "tampered answer accepted: kind {kind}");
        // Decoding the tampered answer's encoding gives the same verdict.
        if let Ok(b) = Answer::abi_decode(&a.abi_encode()) {
            prop_assert_eq!(verify_answer(&b, view), got);
        }
    }
}

#[cfg(feature = "parallel")]
#[test]
fn parallel_batches_match_sequential_ones() {
    let f = &*FIXTURE;
    let params = f.params(ShardConfig::new(1, 2).unwrap(), target_one_in(16));
    let nonces = Fixture::nonces(9, 24);
    let seq = params.mine_batch(&nonces, |i| f.load(i));
    let par = params.mine_batch_parallel(&nonces, |i| f.load(i));
    assert!(!seq.is_empty());
    assert_eq!(seq, par);
}
