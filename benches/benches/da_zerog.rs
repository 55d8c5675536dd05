//! zg-da 0G mode: encoding a full 32 MB blob (extension + data root) on 1 and 2 threads, the
//! commitment MSM (2^20 G1 powers), hash-to-G1, and the chain's γ signature check.
//!
//! `cargo bench -p zg-benches --bench da_zerog`
//!
//! The MSM bench uses a stand-in setup (`τ^i·G1` for a fixed τ, built once, ~2^20 scalar
//! multiplications up front): the cost of an MSM does not depend on which τ made the bases.

// A bench set-up that fails is a failed run: unwrapping is the report.
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;

use ark_bn254::G1Projective;
use ark_ec::{CurveGroup, PrimeGroup};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use zg_benches::pseudo_random;
use zg_da::zerog::{
    DataTree, Dims, Fr, SecretKey, Setup, commitment, encode, map_to_g1, verify_same_message,
};

fn encode_full(c: &mut Criterion) {
    let dims = Dims::LIVE;
    let payload = pseudo_random(dims.max_payload(), 13);
    let mut group = c.benchmark_group("da_zerog_encode");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(payload.len() as u64));
    for threads in [1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        group.bench_with_input(
            BenchmarkId::new("extend+data_root", threads),
            &payload,
            |b, p| {
                b.iter(|| {
                    pool.install(|| {
                        let blob = encode(black_box(p), dims).unwrap();
                        zg_core::tree::file_root_parallel(&blob.to_bytes()).unwrap()
                    })
                })
            },
        );
    }
    group.finish();
    let _ = DataTree::new;
}

fn commitment_msm(c: &mut Criterion) {
    let dims = Dims::LIVE;
    let tau = Fr::from(0x5eed_u64);
    let mut acc = G1Projective::generator();
    let mut powers = Vec::with_capacity(dims.elements());
    for _ in 0..dims.elements() {
        powers.push(acc);
        acc *= tau;
    }
    let setup = Setup::from_g1_powers(G1Projective::normalize_batch(&powers));
    let blob = encode(&pseudo_random(1 << 20, 5), dims).unwrap();
    let mut group = c.benchmark_group("da_zerog_commitment");
    group.sample_size(10);
    group.bench_function("msm_2^20", |b| {
        b.iter(|| commitment(black_box(&blob), &setup).unwrap())
    });
    group.finish();
}

fn signatures(c: &mut Criterion) {
    let digest = zg_core::keccak256(b"bench").0;
    let mut group = c.benchmark_group("da_zerog_bls");
    group.bench_function("map_to_g1", |b| b.iter(|| map_to_g1(black_box(&digest))));
    let mut sk = [0u8; 32];
    sk[31] = 77;
    let sk = SecretKey::from_be_bytes(&sk).unwrap();
    let h = map_to_g1(&digest).unwrap();
    let (sig, pk1, pk2) = (sk.sign(&h), sk.public_g1(), sk.public_g2());
    group.bench_function("gamma_check", |b| {
        b.iter(|| verify_same_message(black_box(&h), &sig, &pk1, &pk2))
    });
    group.finish();
}

criterion_group!(benches, encode_full, commitment_msm, signatures);
criterion_main!(benches);
