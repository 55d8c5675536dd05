//! zg-kzg against c-kzg 2.x and rust_eth_kzg (crate-crypto), side by side in one criterion
//! run: every EIP-4844 / EIP-7594 operation, single-threaded and with 2 threads, and the
//! trusted-setup load.
//!
//! Rows are `<library>/<threads>t`. "tables" = zg-kzg with `Precompute::Full`, c-kzg with
//! precompute 8, rust_eth_kzg with `UsePrecomp::Yes { width: 8 }` (its precomputation only
//! affects cell proofs); rows without it use no precomputed tables (zg-kzg `Precompute::None`,
//! c-kzg precompute 0, rust_eth_kzg `UsePrecomp::No`).
//!
//! Threads: zg-kzg (feature `parallel`) runs in a rayon pool of 1 or 2 threads; c-kzg is
//! single-threaded C (1t rows only). rust_eth_kzg (feature `multithreaded`) runs its cell work in
//! that rayon pool, but its variable-base MSMs (commitment, proofs, batch verification) go
//! through blst's own thread pool, which sizes itself from the process's CPU affinity. So its
//! 1t rows are registered only when the process is pinned to one core, and 2t rows only when
//! two or more cores are available; run the two halves as
//!
//! ```text
//! taskset -c 0   cargo bench -p zg-benches --bench kzg     # 1t rows, all libraries
//! taskset -c 0,1 cargo bench -p zg-benches --bench kzg     # 2t rows (and 1t rows of the others)
//! ```
//!
//! (add `-- <filter>` for one group, e.g. `-- cells_and`). On a shared or noisy machine prefer
//! the interleaved harness `benches/benches/kzg_ab.rs`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    missing_docs
)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;
use zg_benches::blob_bytes;
use zg_kzg::{Blob, Bytes32, KzgSettings, Precompute};

const SETUP: &str = zg_kzg::MAINNET_TRUSTED_SETUP;

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

/// Cores this process may run on (its CPU affinity).
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Thread counts for rayon-pool rows: 1, and 2 when two cores are available.
fn thread_counts() -> Vec<usize> {
    if cores() >= 2 { vec![1, 2] } else { vec![1] }
}

/// Whether rust_eth_kzg's blst pool has exactly `threads` threads in this process.
fn reth_rows(threads: usize) -> bool {
    if threads == 1 {
        cores() == 1
    } else {
        cores() >= threads
    }
}

struct Libs {
    ours: KzgSettings,
    ours_tables: KzgSettings,
    ckzg: c_kzg::KzgSettings,
    ckzg8: c_kzg::KzgSettings,
    reth: rust_eth_kzg::DASContext,
    reth_tables: rust_eth_kzg::DASContext,
}

fn libs() -> Libs {
    Libs {
        ours: KzgSettings::mainnet().unwrap(),
        ours_tables: KzgSettings::mainnet_with(Precompute::Full).unwrap(),
        ckzg: c_kzg::KzgSettings::parse_kzg_trusted_setup(SETUP, 0).unwrap(),
        ckzg8: c_kzg::KzgSettings::parse_kzg_trusted_setup(SETUP, 8).unwrap(),
        reth: rust_eth_kzg::DASContext::new(
            &rust_eth_kzg::TrustedSetup::default(),
            rust_eth_kzg::UsePrecomp::No,
        ),
        reth_tables: rust_eth_kzg::DASContext::new(
            &rust_eth_kzg::TrustedSetup::default(),
            rust_eth_kzg::UsePrecomp::Yes { width: 8 },
        ),
    }
}

/// A row: library label, whether it runs in the rayon pool (else: 1t only), and the work.
type Row<'a> = (&'static str, bool, Box<dyn Fn() + Sync + 'a>);

/// Benchmarks every row of one operation: pool rows at each thread count, the others at 1t.
fn group(
    c: &mut Criterion,
    name: &str,
    throughput: Option<Throughput>,
    secs: u64,
    rows: Vec<Row<'_>>,
) {
    let mut g = c.benchmark_group(format!("kzg/{name}"));
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(secs));
    if let Some(t) = throughput {
        g.throughput(t);
    }
    let pools: Vec<(usize, rayon::ThreadPool)> =
        thread_counts().into_iter().map(|t| (t, pool(t))).collect();
    for (label, in_pool, work) in &rows {
        let is_reth = label.starts_with("rust_eth_kzg");
        for (t, p) in &pools {
            if (!in_pool && *t != 1) || (is_reth && !reth_rows(*t)) {
                continue;
            }
            g.bench_function(BenchmarkId::new(*label, format!("{t}t")), |b| {
                b.iter(|| p.install(&**work))
            });
        }
    }
    g.finish();
}

fn bench_setup(c: &mut Criterion) {
    let reth_setup = rust_eth_kzg::TrustedSetup::default;
    group(
        c,
        "setup_load",
        None,
        8,
        vec![
            (
                "zg-kzg",
                true,
                Box::new(|| {
                    black_box(KzgSettings::load(black_box(SETUP), Precompute::None).unwrap());
                }),
            ),
            (
                "zg-kzg tables",
                true,
                Box::new(|| {
                    black_box(KzgSettings::load(black_box(SETUP), Precompute::Full).unwrap());
                }),
            ),
            (
                "c-kzg",
                false,
                Box::new(|| {
                    black_box(
                        c_kzg::KzgSettings::parse_kzg_trusted_setup(black_box(SETUP), 0).unwrap(),
                    );
                }),
            ),
            (
                "c-kzg tables",
                false,
                Box::new(|| {
                    black_box(
                        c_kzg::KzgSettings::parse_kzg_trusted_setup(black_box(SETUP), 8).unwrap(),
                    );
                }),
            ),
            (
                "rust_eth_kzg",
                true,
                Box::new(move || {
                    black_box(rust_eth_kzg::DASContext::new(
                        &reth_setup(),
                        rust_eth_kzg::UsePrecomp::No,
                    ));
                }),
            ),
            (
                "rust_eth_kzg tables",
                true,
                Box::new(move || {
                    black_box(rust_eth_kzg::DASContext::new(
                        &reth_setup(),
                        rust_eth_kzg::UsePrecomp::Yes { width: 8 },
                    ));
                }),
            ),
        ],
    );
}

fn bench_ops(c: &mut Criterion) {
    let l = libs();
    let bytes = blob_bytes(1);
    let blob = Blob::from_slice(&bytes).unwrap();
    let cblob = c_kzg::Blob::from_bytes(&bytes).unwrap();
    let rblob: &[u8; 131072] = bytes.as_slice().try_into().unwrap();
    let commitment = l.ours.blob_to_kzg_commitment(&blob).unwrap();
    let ccommitment = c_kzg::Bytes48::new(commitment.0);
    let proof = l.ours.compute_blob_kzg_proof(&blob, &commitment).unwrap();
    let cproof = c_kzg::Bytes48::new(proof.0);
    let mut zb = [0u8; 32];
    zb[5] = 0x42;
    zb[31] = 7;
    let z = Bytes32(zb);
    let cz = c_kzg::Bytes32::new(zb);
    let (zproof, y) = l.ours.compute_kzg_proof(&blob, &z).unwrap();
    let cy = c_kzg::Bytes32::new(y.0);
    let czproof = c_kzg::Bytes48::new(zproof.0);
    let blob_bytes_tp = Some(Throughput::Bytes(131072));

    // --- EIP-4844 ---
    group(
        c,
        "blob_to_kzg_commitment",
        blob_bytes_tp.clone(),
        3,
        vec![
            (
                "zg-kzg",
                true,
                Box::new(|| {
                    black_box(l.ours.blob_to_kzg_commitment(black_box(&blob)).unwrap());
                }),
            ),
            (
                "zg-kzg tables",
                true,
                Box::new(|| {
                    black_box(
                        l.ours_tables
                            .blob_to_kzg_commitment(black_box(&blob))
                            .unwrap(),
                    );
                }),
            ),
            (
                "c-kzg",
                false,
                Box::new(|| {
                    black_box(l.ckzg.blob_to_kzg_commitment(black_box(&cblob)).unwrap());
                }),
            ),
            (
                "c-kzg tables",
                false,
                Box::new(|| {
                    black_box(l.ckzg8.blob_to_kzg_commitment(black_box(&cblob)).unwrap());
                }),
            ),
            (
                "rust_eth_kzg",
                true,
                Box::new(|| {
                    black_box(l.reth.blob_to_kzg_commitment(black_box(rblob)).unwrap());
                }),
            ),
        ],
    );
    group(
        c,
        "compute_kzg_proof",
        blob_bytes_tp.clone(),
        3,
        vec![
            (
                "zg-kzg",
                true,
                Box::new(|| {
                    black_box(l.ours.compute_kzg_proof(black_box(&blob), &z).unwrap());
                }),
            ),
            (
                "zg-kzg tables",
                true,
                Box::new(|| {
                    black_box(
                        l.ours_tables
                            .compute_kzg_proof(black_box(&blob), &z)
                            .unwrap(),
                    );
                }),
            ),
            (
                "c-kzg",
                false,
                Box::new(|| {
                    black_box(l.ckzg.compute_kzg_proof(black_box(&cblob), &cz).unwrap());
                }),
            ),
            (
                "rust_eth_kzg",
                true,
                Box::new(|| {
                    black_box(l.reth.compute_kzg_proof(black_box(rblob), zb).unwrap());
                }),
            ),
        ],
    );
    group(
        c,
        "compute_blob_kzg_proof",
        blob_bytes_tp.clone(),
        3,
        vec![
            (
                "zg-kzg",
                true,
                Box::new(|| {
                    black_box(
                        l.ours
                            .compute_blob_kzg_proof(black_box(&blob), &commitment)
                            .unwrap(),
                    );
                }),
            ),
            (
                "zg-kzg tables",
                true,
                Box::new(|| {
                    black_box(
                        l.ours_tables
                            .compute_blob_kzg_proof(black_box(&blob), &commitment)
                            .unwrap(),
                    );
                }),
            ),
            (
                "c-kzg",
                false,
                Box::new(|| {
                    black_box(
                        l.ckzg
                            .compute_blob_kzg_proof(black_box(&cblob), &ccommitment)
                            .unwrap(),
                    );
                }),
            ),
            (
                "rust_eth_kzg",
                true,
                Box::new(|| {
                    black_box(
                        l.reth
                            .compute_blob_kzg_proof(black_box(rblob), &commitment.0)
                            .unwrap(),
                    );
                }),
            ),
        ],
    );
    group(
        c,
        "verify_kzg_proof",
        None,
        2,
        vec![
            (
                "zg-kzg",
                true,
                Box::new(|| {
                    assert!(
                        l.ours
                            .verify_kzg_proof(black_box(&commitment), &z, &y, &zproof)
                            .unwrap()
                    );
                }),
            ),
            (
                "c-kzg",
                false,
                Box::new(|| {
                    assert!(
                        l.ckzg
                            .verify_kzg_proof(black_box(&ccommitment), &cz, &cy, &czproof)
                            .unwrap()
                    );
                }),
            ),
            (
                "rust_eth_kzg",
                true,
                Box::new(|| {
                    l.reth
                        .verify_kzg_proof(black_box(&commitment.0), zb, y.0, &zproof.0)
                        .unwrap();
                }),
            ),
        ],
    );
    group(
        c,
        "verify_blob_kzg_proof",
        None,
        2,
        vec![
            (
                "zg-kzg",
                true,
                Box::new(|| {
                    assert!(
                        l.ours
                            .verify_blob_kzg_proof(black_box(&blob), &commitment, &proof)
                            .unwrap()
                    );
                }),
            ),
            (
                "c-kzg",
                false,
                Box::new(|| {
                    assert!(
                        l.ckzg
                            .verify_blob_kzg_proof(black_box(&cblob), &ccommitment, &cproof)
                            .unwrap()
                    );
                }),
            ),
            (
                "rust_eth_kzg",
                true,
                Box::new(|| {
                    l.reth
                        .verify_blob_kzg_proof(black_box(rblob), &commitment.0, &proof.0)
                        .unwrap();
                }),
            ),
        ],
    );

    let n = 64;
    let bbytes: Vec<Vec<u8>> = (0..n).map(|i| blob_bytes(100 + i)).collect();
    let blobs: Vec<Blob> = bbytes
        .iter()
        .map(|b| Blob::from_slice(b).unwrap())
        .collect();
    let cblobs: Vec<c_kzg::Blob> = bbytes
        .iter()
        .map(|b| c_kzg::Blob::from_bytes(b).unwrap())
        .collect();
    let cs: Vec<_> = blobs
        .iter()
        .map(|b| l.ours_tables.blob_to_kzg_commitment(b).unwrap())
        .collect();
    let ps: Vec<_> = blobs
        .iter()
        .zip(&cs)
        .map(|(b, c)| l.ours_tables.compute_blob_kzg_proof(b, c).unwrap())
        .collect();
    let ccs: Vec<c_kzg::Bytes48> = cs.iter().map(|c| c_kzg::Bytes48::new(c.0)).collect();
    let cps: Vec<c_kzg::Bytes48> = ps.iter().map(|p| c_kzg::Bytes48::new(p.0)).collect();
    let rblobs: Vec<&[u8; 131072]> = bbytes
        .iter()
        .map(|b| b.as_slice().try_into().unwrap())
        .collect();
    let rcs: Vec<&[u8; 48]> = cs.iter().map(|c| &c.0).collect();
    let rps: Vec<&[u8; 48]> = ps.iter().map(|p| &p.0).collect();
    group(
        c,
        "verify_blob_kzg_proof_batch_64",
        Some(Throughput::Elements(n)),
        3,
        vec![
            (
                "zg-kzg",
                true,
                Box::new(|| {
                    assert!(
                        l.ours
                            .verify_blob_kzg_proof_batch(black_box(&blobs), &cs, &ps)
                            .unwrap()
                    );
                }),
            ),
            (
                "c-kzg",
                false,
                Box::new(|| {
                    assert!(
                        l.ckzg
                            .verify_blob_kzg_proof_batch(black_box(&cblobs), &ccs, &cps)
                            .unwrap()
                    );
                }),
            ),
            (
                "rust_eth_kzg",
                true,
                Box::new(|| {
                    l.reth
                        .verify_blob_kzg_proof_batch(rblobs.clone(), rcs.clone(), rps.clone())
                        .unwrap();
                }),
            ),
        ],
    );

    // --- EIP-7594 ---
    group(
        c,
        "compute_cells",
        blob_bytes_tp.clone(),
        2,
        vec![
            (
                "zg-kzg",
                true,
                Box::new(|| {
                    black_box(l.ours.compute_cells(black_box(&blob)).unwrap());
                }),
            ),
            (
                "c-kzg",
                false,
                Box::new(|| {
                    black_box(l.ckzg.compute_cells(black_box(&cblob)).unwrap());
                }),
            ),
            (
                "rust_eth_kzg",
                true,
                Box::new(|| {
                    black_box(l.reth.compute_cells(black_box(rblob)).unwrap());
                }),
            ),
        ],
    );
    group(
        c,
        "compute_cells_and_kzg_proofs",
        blob_bytes_tp,
        5,
        vec![
            (
                "zg-kzg",
                true,
                Box::new(|| {
                    black_box(
                        l.ours
                            .compute_cells_and_kzg_proofs(black_box(&blob))
                            .unwrap(),
                    );
                }),
            ),
            (
                "zg-kzg tables",
                true,
                Box::new(|| {
                    black_box(
                        l.ours_tables
                            .compute_cells_and_kzg_proofs(black_box(&blob))
                            .unwrap(),
                    );
                }),
            ),
            (
                "c-kzg",
                false,
                Box::new(|| {
                    black_box(
                        l.ckzg
                            .compute_cells_and_kzg_proofs(black_box(&cblob))
                            .unwrap(),
                    );
                }),
            ),
            (
                "c-kzg tables",
                false,
                Box::new(|| {
                    black_box(
                        l.ckzg8
                            .compute_cells_and_kzg_proofs(black_box(&cblob))
                            .unwrap(),
                    );
                }),
            ),
            (
                "rust_eth_kzg",
                true,
                Box::new(|| {
                    black_box(
                        l.reth
                            .compute_cells_and_kzg_proofs(black_box(rblob))
                            .unwrap(),
                    );
                }),
            ),
            (
                "rust_eth_kzg tables",
                true,
                Box::new(|| {
                    black_box(
                        l.reth_tables
                            .compute_cells_and_kzg_proofs(black_box(rblob))
                            .unwrap(),
                    );
                }),
            ),
        ],
    );

    let (cells, proofs) = l.ours.compute_cells_and_kzg_proofs(&blob).unwrap();
    let half: Vec<u64> = (0..64).map(|i| 2 * i).collect();
    let ocells: Vec<zg_kzg::Cell> = half.iter().map(|&i| cells[i as usize]).collect();
    let tcells: Vec<c_kzg::Cell> = ocells.iter().map(|c| c_kzg::Cell::new(c.0)).collect();
    let rcells: Vec<&[u8; 2048]> = ocells.iter().map(|c| &c.0).collect();
    group(
        c,
        "recover_cells_and_kzg_proofs",
        None,
        5,
        vec![
            (
                "zg-kzg",
                true,
                Box::new(|| {
                    black_box(
                        l.ours
                            .recover_cells_and_kzg_proofs(black_box(&half), &ocells)
                            .unwrap(),
                    );
                }),
            ),
            (
                "zg-kzg tables",
                true,
                Box::new(|| {
                    black_box(
                        l.ours_tables
                            .recover_cells_and_kzg_proofs(black_box(&half), &ocells)
                            .unwrap(),
                    );
                }),
            ),
            (
                "c-kzg",
                false,
                Box::new(|| {
                    black_box(
                        l.ckzg
                            .recover_cells_and_kzg_proofs(black_box(&half), &tcells)
                            .unwrap(),
                    );
                }),
            ),
            (
                "c-kzg tables",
                false,
                Box::new(|| {
                    black_box(
                        l.ckzg8
                            .recover_cells_and_kzg_proofs(black_box(&half), &tcells)
                            .unwrap(),
                    );
                }),
            ),
            (
                "rust_eth_kzg",
                true,
                Box::new(|| {
                    black_box(
                        l.reth
                            .recover_cells_and_kzg_proofs(half.clone(), rcells.clone())
                            .unwrap(),
                    );
                }),
            ),
            (
                "rust_eth_kzg tables",
                true,
                Box::new(|| {
                    black_box(
                        l.reth_tables
                            .recover_cells_and_kzg_proofs(half.clone(), rcells.clone())
                            .unwrap(),
                    );
                }),
            ),
        ],
    );

    let all: Vec<u64> = (0..128).collect();
    let ocs = vec![commitment; 128];
    let tcs = vec![ccommitment; 128];
    let tps: Vec<c_kzg::Bytes48> = proofs.iter().map(|p| c_kzg::Bytes48::new(p.0)).collect();
    let rcs: Vec<&[u8; 48]> = ocs.iter().map(|c| &c.0).collect();
    let rps: Vec<&[u8; 48]> = proofs.iter().map(|p| &p.0).collect();
    let rall: Vec<&[u8; 2048]> = cells.iter().map(|c| &c.0).collect();
    let tall: Vec<c_kzg::Cell> = cells.iter().map(|c| c_kzg::Cell::new(c.0)).collect();
    group(
        c,
        "verify_cell_kzg_proof_batch_128",
        Some(Throughput::Elements(128)),
        3,
        vec![
            (
                "zg-kzg",
                true,
                Box::new(|| {
                    assert!(
                        l.ours
                            .verify_cell_kzg_proof_batch(
                                &ocs,
                                black_box(&all),
                                &cells[..],
                                &proofs[..]
                            )
                            .unwrap()
                    );
                }),
            ),
            (
                "c-kzg",
                false,
                Box::new(|| {
                    assert!(
                        l.ckzg
                            .verify_cell_kzg_proof_batch(&tcs, black_box(&all), &tall, &tps)
                            .unwrap()
                    );
                }),
            ),
            (
                "rust_eth_kzg",
                true,
                Box::new(|| {
                    l.reth
                        .verify_cell_kzg_proof_batch(
                            rcs.clone(),
                            black_box(&all),
                            rall.clone(),
                            rps.clone(),
                        )
                        .unwrap();
                }),
            ),
        ],
    );
}

criterion_group! {
    name = kzg;
    config = Criterion::default();
    targets = bench_ops, bench_setup
}
criterion_main!(kzg);
