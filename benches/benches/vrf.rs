//! zg-vrf next to vrf-rfc9381 (the same RFC 9381 suite) and schnorrkel (sr25519 VRF, a speed
//! reference): prove, verify, batch verify, sortition.
//!
//! `cargo bench -p zg-benches --bench vrf -- --warm-up-time 1 --measurement-time 3`
//!
//! `zg-vrf batch` and `zg-vrf one by one` both run on rayon's global pool (set its size with
//! `RAYON_NUM_THREADS`), so their ratio compares like with like at any thread count; the rival
//! rows run one thread.

// A bench is a test harness: a failed setup should stop it loudly.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rayon::prelude::*;
use vrf_rfc9381::ec::edwards25519::EdVrfProof;
use vrf_rfc9381::ec::edwards25519::tai::{
    EdVrfEdwards25519TaiPublicKey, EdVrfEdwards25519TaiSecretKey,
};
use vrf_rfc9381::{Proof as _, Prover as _, Verifier as _};
use zg_core::Amount;
use zg_vrf::{
    BatchItem, BatchableProof, Proof, PublicKey, SecretKey, SortitionParams, ecvrf_verify,
    sortition_seats, verify_batch,
};

const SEED: [u8; 32] = [0x9d; 32];
const ALPHA: &[u8] = b"0g epoch 42 / da-signer";

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

fn prove(c: &mut Criterion) {
    let mut g = c.benchmark_group("vrf/prove");
    g.throughput(Throughput::Elements(1));
    let sk = SecretKey::from_bytes(&SEED);
    g.bench_function("zg-vrf", |b| b.iter(|| sk.prove(black_box(ALPHA))));
    let rival = EdVrfEdwards25519TaiSecretKey::from_slice(&SEED).unwrap();
    g.bench_function("vrf-rfc9381", |b| {
        b.iter(|| rival.prove(black_box(ALPHA)).unwrap().encode_to_pi())
    });
    let kp = schnorrkel::MiniSecretKey::from_bytes(&SEED)
        .unwrap()
        .expand_to_keypair(schnorrkel::ExpansionMode::Ed25519);
    let ctx = schnorrkel::signing_context(b"zg");
    g.bench_function("schnorrkel", |b| {
        b.iter(|| kp.vrf_sign(ctx.bytes(black_box(ALPHA))))
    });
    g.finish();
}

fn verify(c: &mut Criterion) {
    let mut g = c.benchmark_group("vrf/verify");
    g.throughput(Throughput::Elements(1));
    let sk = SecretKey::from_bytes(&SEED);
    let pk_bytes = *sk.public_key().as_bytes();
    let pi = *sk.prove(ALPHA).unwrap().as_bytes();
    // From bytes: key and proof decoding included, as for the rival.
    g.bench_function("zg-vrf", |b| {
        b.iter(|| ecvrf_verify(black_box(&pk_bytes), black_box(&pi), ALPHA).unwrap())
    });
    // With the key already decoded (a stake table keeps them), proof decoded each time.
    let pk = PublicKey::from_bytes(&pk_bytes).unwrap();
    g.bench_function("zg-vrf (decoded key)", |b| {
        b.iter(|| {
            pk.verify(ALPHA, &Proof::from_bytes(black_box(&pi)).unwrap())
                .unwrap()
        })
    });
    g.bench_function("vrf-rfc9381", |b| {
        b.iter(|| {
            let v = EdVrfEdwards25519TaiPublicKey::from_slice(black_box(&pk_bytes)).unwrap();
            v.verify(ALPHA, EdVrfProof::decode_pi(black_box(&pi)).unwrap())
                .unwrap()
        })
    });
    let kp = schnorrkel::MiniSecretKey::from_bytes(&SEED)
        .unwrap()
        .expand_to_keypair(schnorrkel::ExpansionMode::Ed25519);
    let ctx = schnorrkel::signing_context(b"zg");
    let (io, proof, _) = kp.vrf_sign(ctx.bytes(ALPHA));
    let preout = io.to_preout();
    let pk_s = kp.public.to_bytes();
    g.bench_function("schnorrkel", |b| {
        b.iter(|| {
            let p = schnorrkel::PublicKey::from_bytes(black_box(&pk_s)).unwrap();
            p.vrf_verify(ctx.bytes(ALPHA), &preout, &proof).unwrap()
        })
    });
    g.finish();
}

fn batch_verify(c: &mut Criterion) {
    let mut g = c.benchmark_group("vrf/batch_verify");
    g.sample_size(10);
    for n in [64usize, 1024] {
        let sks: Vec<SecretKey> = (0..n)
            .map(|i| {
                let mut s = SEED;
                s[..8].copy_from_slice(&(i as u64).to_le_bytes());
                SecretKey::from_bytes(&s)
            })
            .collect();
        // Keys decoded once, as a stake table holds them.
        let pks: Vec<PublicKey> = sks
            .iter()
            .map(|k| PublicKey::from_bytes(k.public_key().as_bytes()).unwrap())
            .collect();
        let proofs: Vec<BatchableProof> = sks
            .iter()
            .map(|k| k.prove_batchable(ALPHA).unwrap())
            .collect();
        let items: Vec<BatchItem<'_>> = (0..n)
            .map(|i| BatchItem {
                public_key: &pks[i],
                alpha: ALPHA,
                proof: &proofs[i],
            })
            .collect();
        // The one-time prime-order check per key happens here, outside the timing.
        assert!(verify_batch(&items, &[1u8; 32]).iter().all(Result::is_ok));
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("zg-vrf batch", n), &items, |b, items| {
            b.iter(|| verify_batch(black_box(items), &[7u8; 32]))
        });
        // Like with like: the batch runs on rayon's pool (`parallel` feature), so one by one
        // does too — on the same pool, one proof per task. With `RAYON_NUM_THREADS=1` both are
        // sequential.
        g.bench_with_input(
            BenchmarkId::new("zg-vrf one by one", n),
            &items,
            |b, items| {
                b.iter(|| {
                    items.par_iter().for_each(|it| {
                        let p = Proof::from_bytes(it.proof.pi()).unwrap();
                        black_box(it.public_key.verify(it.alpha, &p).unwrap());
                    })
                })
            },
        );
        // The rival RFC 9381 implementation has no batch mode: one by one.
        let rival_pks: Vec<[u8; 32]> = pks.iter().map(|p| *p.as_bytes()).collect();
        let rival_pis: Vec<[u8; 80]> = proofs.iter().map(|p| *p.pi()).collect();
        g.bench_with_input(
            BenchmarkId::new("vrf-rfc9381 one by one", n),
            &(rival_pks, rival_pis),
            |b, (pks, pis)| {
                b.iter(|| {
                    for (pk, pi) in pks.iter().zip(pis) {
                        let v = EdVrfEdwards25519TaiPublicKey::from_slice(pk).unwrap();
                        black_box(v.verify(ALPHA, EdVrfProof::decode_pi(pi).unwrap()).unwrap());
                    }
                })
            },
        );
        // schnorrkel's own batch VRF verification (sr25519, different construction).
        let ctx = schnorrkel::signing_context(b"zg");
        let kps: Vec<schnorrkel::Keypair> = (0..n)
            .map(|i| {
                let mut s = SEED;
                s[..8].copy_from_slice(&(i as u64).to_le_bytes());
                schnorrkel::MiniSecretKey::from_bytes(&s)
                    .unwrap()
                    .expand_to_keypair(schnorrkel::ExpansionMode::Ed25519)
            })
            .collect();
        let signed: Vec<_> = kps.iter().map(|kp| kp.vrf_sign(ctx.bytes(ALPHA))).collect();
        let outs: Vec<schnorrkel::vrf::VRFPreOut> =
            signed.iter().map(|(io, _, _)| io.to_preout()).collect();
        let batchable: Vec<schnorrkel::vrf::VRFProofBatchable> =
            signed.iter().map(|(_, _, pb)| pb.clone()).collect();
        let spks: Vec<schnorrkel::PublicKey> = kps.iter().map(|kp| kp.public).collect();
        g.bench_function(BenchmarkId::new("schnorrkel batch", n), |b| {
            b.iter(|| {
                schnorrkel::vrf::vrf_verify_batch(
                    (0..n).map(|_| ctx.bytes(ALPHA)),
                    &outs,
                    &batchable,
                    &spks,
                )
                .unwrap()
            })
        });
    }
    g.finish();
}

fn sortition(c: &mut Criterion) {
    let mut g = c.benchmark_group("vrf/sortition");
    g.throughput(Throughput::Elements(1));
    let beta = SecretKey::from_bytes(&SEED)
        .prove(ALPHA)
        .unwrap()
        .proof_to_hash();
    // 10^9 whole tokens of 10^18 units staked, one trial per whole token, 1000 seats expected.
    let token = 1_000_000_000_000_000_000u128;
    let params = SortitionParams {
        total_stake: Amount::new(1_000_000_000 * token),
        stake_unit: Amount::new(token),
        expected_seats: 1000,
    };
    for (name, tokens) in [
        ("0.01% stake", 100_000u128),
        ("1% stake", 10_000_000),
        ("30% stake", 300_000_000),
    ] {
        let stake = Amount::new(tokens * token);
        g.bench_with_input(BenchmarkId::new("zg-vrf", name), &stake, |b, stake| {
            b.iter(|| sortition_seats(black_box(&beta), *stake, &params).unwrap())
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = prove, verify, batch_verify, sortition
}
criterion_main!(benches);
