//! zg-pora: PoRA mining iterations next to their hash-call limit, sealing throughput, and answer
//! verification.
//!
//! The limit is the same number of hash calls an iteration makes, in a tight loop with nothing
//! else: 513 Keccak-256 of 64 bytes (the scratchpad and the recall seed, chained as they are), one
//! BLAKE2b-512 of 128 bytes (the pad seed) and 64 BLAKE2b-512 of 4,224 bytes (the seal
//! qualities). Run: `cargo bench -p zg-benches --bench pora`.

// A bench that cannot set up is a failed run: unwrap is the report; casts work on small sizes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

use std::hint::black_box;

use blake2::{Blake2b512, Digest};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use zg_core::tree::SEAL_SIZE;
use zg_core::{H256, hash_pair, keccak256};
use zg_pora::pora::{LOAD_SIZE, SEALS_PER_LOAD};
use zg_pora::{
    Answer, ChainView, MiningParams, RecallRange, SealedFlow, SealedLoad, U256, verify_answer,
};

const NONCES: usize = 32;

/// Deterministic bytes.
fn fill(seed: u64, buf: &mut [u8]) {
    let mut x = seed;
    for chunk in buf.chunks_mut(8) {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let v = (x ^ (x >> 29)).to_le_bytes();
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
}

/// Four sealed loads and the parameters to mine them with a target no seal meets (so every
/// iteration does all 64 qualities and nothing else).
fn mining_setup() -> (MiningParams, Vec<SealedLoad>) {
    let miner = H256([7; 32]);
    let context = H256([9; 32]);
    let loads: Vec<SealedLoad> = (0..4u64)
        .map(|l| {
            let mut data = Box::new([0u8; LOAD_SIZE]);
            fill(l, &mut data[..]);
            for (j, seal) in data.as_chunks_mut::<SEAL_SIZE>().0.iter_mut().enumerate() {
                zg_pora::seal(seal, &miner, &context, (l * 64 + j as u64) * 16);
            }
            SealedLoad::new(data)
        })
        .collect();
    let range = RecallRange {
        start_position: 0,
        mine_length: 4 * 1024,
        shard_id: 0,
        shard_mask: u64::MAX,
    };
    let params = MiningParams::new(miner, H256([3; 32]), range, U256::ZERO, 4 * 1024).unwrap();
    (params, loads)
}

fn nonces(n: usize) -> Vec<H256> {
    (0..n as u64).map(|i| keccak256(&i.to_be_bytes())).collect()
}

/// The hash calls of one iteration and nothing else.
fn limit_iteration(nonce: &H256, mixed: &[u8; 128 + SEAL_SIZE]) -> H256 {
    let head: [u8; 64] = Blake2b512::new()
        .chain_update(nonce.0)
        .chain_update([0u8; 96])
        .finalize()
        .into();
    let (mut lo, mut hi) = (H256::ZERO, H256::ZERO);
    lo.0.copy_from_slice(&head[..32]);
    hi.0.copy_from_slice(&head[32..]);
    for _ in 0..256 {
        lo = hash_pair(&lo, &hi);
        hi = hash_pair(&lo, &hi);
    }
    let mut acc = hash_pair(&lo, &hi);
    for _ in 0..SEALS_PER_LOAD {
        let q: [u8; 64] = Blake2b512::digest(black_box(&mixed[..])).into();
        acc.0[0] ^= q[0];
    }
    acc
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

fn bench_iterations(c: &mut Criterion) {
    let (params, loads) = mining_setup();
    let ns = nonces(NONCES);
    let mut mixed = [0u8; 128 + SEAL_SIZE];
    fill(5, &mut mixed);
    let mut g = c.benchmark_group("pora/iteration");
    g.sample_size(10);
    g.throughput(Throughput::Elements(NONCES as u64));
    for threads in [1usize, 2] {
        let p = pool(threads);
        g.bench_with_input(
            BenchmarkId::new("zg-pora", format!("{threads}-core")),
            &threads,
            |b, _| {
                b.iter(|| {
                    p.install(|| {
                        if threads == 1 {
                            params.mine_batch(&ns, |i| loads.get(i as usize))
                        } else {
                            params.mine_batch_parallel(&ns, |i| loads.get(i as usize))
                        }
                    })
                })
            },
        );
        g.bench_with_input(
            BenchmarkId::new("hash-call-limit", format!("{threads}-core")),
            &threads,
            |b, _| {
                use rayon::prelude::*;
                b.iter(|| {
                    p.install(|| {
                        if threads == 1 {
                            ns.iter()
                                .map(|n| limit_iteration(n, &mixed))
                                .collect::<Vec<_>>()
                        } else {
                            ns.par_iter()
                                .map(|n| limit_iteration(n, &mixed))
                                .collect::<Vec<_>>()
                        }
                    })
                })
            },
        );
    }
    g.finish();
}

fn bench_sealing(c: &mut Criterion) {
    let miner = H256([1; 32]);
    let context = H256([2; 32]);
    let mut data = [0u8; SEAL_SIZE];
    fill(1, &mut data);
    let mut g = c.benchmark_group("pora/seal");
    g.throughput(Throughput::Bytes(SEAL_SIZE as u64));
    g.bench_function(BenchmarkId::new("seal", "4KiB"), |b| {
        b.iter(|| {
            let mut d = data;
            zg_pora::seal(&mut d, &miner, &context, 176);
            d
        })
    });
    g.bench_function(BenchmarkId::new("unseal", "4KiB"), |b| {
        b.iter(|| {
            let mut d = data;
            zg_pora::unseal(&mut d, &miner, &context, 176);
            d
        })
    });
    g.finish();
}

/// A flow of 1 MiB sealed to one miner, and an answer for it.
fn verify_setup() -> (Answer, ChainView) {
    let miner = H256([4; 32]);
    let mut data = vec![0u8; 4 * LOAD_SIZE];
    fill(8, &mut data);
    let sealed = SealedFlow::new(&[&data], miner, 1, 100, H256([6; 32])).unwrap();
    let length = sealed.flow.length();
    let range = RecallRange::for_flow(length, zg_pora::ShardConfig::FULL, 0).unwrap();
    let params = MiningParams::new(miner, H256([5; 32]), range, U256::MAX, length).unwrap();
    let hit = params.mine_batch(&nonces(4), |i| sealed.load(i))[0];
    let answer = sealed.answer(&params, &hit).unwrap();
    let view = ChainView::new(
        sealed.context,
        H256([5; 32]),
        U256::MAX,
        Some(sealed.epoch_range()),
    );
    verify_answer(&answer, &view).unwrap();
    (answer, view)
}

fn bench_verify(c: &mut Criterion) {
    let (answer, view) = verify_setup();
    let mut g = c.benchmark_group("pora/verify");
    g.throughput(Throughput::Elements(1));
    g.bench_function(BenchmarkId::new("verify_answer", "1MiB-flow"), |b| {
        b.iter(|| verify_answer(black_box(&answer), &view).unwrap())
    });
    let encoded = answer.abi_encode();
    g.bench_function(BenchmarkId::new("abi_decode", "answer"), |b| {
        b.iter(|| Answer::abi_decode(black_box(&encoded)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench_iterations, bench_sealing, bench_verify);
criterion_main!(benches);
