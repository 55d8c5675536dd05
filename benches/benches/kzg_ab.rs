//! Interleaved A/B timing of zg-kzg against c-kzg and rust_eth_kzg, for shared or noisy
//! machines where criterion's back-to-back runs drift with the neighbours' load.
//!
//! Every round runs each operation once per library, the libraries in a rotating order, so that
//! a burst of load hits all of them alike; the report gives the minimum and the median per
//! operation and library, and their ratio to c-kzg (precompute 0).
//!
//! Run single-threaded pinned to one core (rust_eth_kzg's blst thread pool sizes itself from the
//! CPU affinity, so pinning is what makes it single-threaded):
//! `KZG_AB_THREADS=1 taskset -c 0 cargo bench -p zg-benches --bench kzg_ab`
//! and with two threads: `KZG_AB_THREADS=2 cargo bench -p zg-benches --bench kzg_ab`.
//! Environment: `KZG_AB_ROUNDS` (default 15), `KZG_AB_OPS` / `KZG_AB_LIBS` (comma-separated
//! substrings selecting operations; exact library names: `zg-kzg`, `zg-kzg bare`,
//! `zg-kzg tables`, `c-kzg`, `c-kzg tables`, `rust_eth_kzg`, `rust_eth_kzg tables`; "tables" =
//! `Precompute::Full`, c-kzg precompute 8, `UsePrecomp::Yes { width: 8 }`), `KZG_AB_THREADS`
//! (rayon pool size, default 1).
//!
//! What each zg-kzg row was given: `zg-kzg` is the default `Precompute::None`, which builds
//! 2.4 MB of shifted FK20 bases on its first cell proof and keeps them — that first call is
//! timed and printed separately (`first cell proof`), before the rounds, so the rounds time it
//! with the sets built; `zg-kzg bare` is `Precompute::Bare`, which never builds anything beyond
//! the setup (the like-for-like row next to c-kzg with precompute 0); `zg-kzg tables` is
//! `Precompute::Full` (33 MB at load). The cell-proof bases themselves (`xfft`, 0.8 MB) ship
//! with the crate for the mainnet setup and are part of every zg-kzg load.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    missing_docs
)]

use std::hint::black_box;
use std::time::{Duration, Instant};
use zg_benches::blob_bytes;
use zg_kzg::{Blob, Bytes32, KzgSettings, Precompute};

const SETUP: &str = zg_kzg::MAINNET_TRUSTED_SETUP;

fn env_list(name: &str) -> Option<Vec<String>> {
    std::env::var(name)
        .ok()
        .map(|v| v.split(',').map(str::to_owned).collect())
}

/// Operations match by substring, libraries exactly.
fn selected(filter: &Option<Vec<String>>, name: &str) -> bool {
    filter
        .as_ref()
        .is_none_or(|f| f.iter().any(|s| name.contains(s.as_str())))
}

fn selected_lib(filter: &Option<Vec<String>>, name: &str) -> bool {
    filter.as_ref().is_none_or(|f| f.iter().any(|s| s == name))
}

type Job<'a> = (&'static str, Box<dyn Fn() + Sync + 'a>);

fn main() {
    let threads: usize = std::env::var("KZG_AB_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let rounds: usize = std::env::var("KZG_AB_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(15);
    let ops_filter = env_list("KZG_AB_OPS");
    let libs_filter = env_list("KZG_AB_LIBS");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();

    let load = |name: &str| selected_lib(&libs_filter, name);
    let t = Instant::now();
    let ours = pool.install(|| KzgSettings::mainnet_with(Precompute::None).unwrap());
    let ours_load = t.elapsed();
    let ours_bare = load("zg-kzg bare")
        .then(|| pool.install(|| KzgSettings::mainnet_with(Precompute::Bare).unwrap()));
    let t = Instant::now();
    let ours_full = load("zg-kzg tables")
        .then(|| pool.install(|| KzgSettings::mainnet_with(Precompute::Full).unwrap()));
    let ours_full_load = t.elapsed();
    let ckzg = c_kzg::KzgSettings::parse_kzg_trusted_setup(SETUP, 0).unwrap();
    let t = Instant::now();
    let ckzg8 = load("c-kzg tables")
        .then(|| c_kzg::KzgSettings::parse_kzg_trusted_setup(SETUP, 8).unwrap());
    let ckzg8_load = t.elapsed();
    let reth = load("rust_eth_kzg").then(|| {
        pool.install(|| {
            rust_eth_kzg::DASContext::new(
                &rust_eth_kzg::TrustedSetup::default(),
                rust_eth_kzg::UsePrecomp::No,
            )
        })
    });
    let t = Instant::now();
    let reth_tables = load("rust_eth_kzg tables").then(|| {
        pool.install(|| {
            rust_eth_kzg::DASContext::new(
                &rust_eth_kzg::TrustedSetup::default(),
                rust_eth_kzg::UsePrecomp::Yes { width: 8 },
            )
        })
    });
    let reth_load = t.elapsed();
    println!(
        "threads {threads}, rounds {rounds}; loads: zg-kzg {:.0} ms, zg-kzg tables {:.0} ms, \
         c-kzg tables {:.0} ms, rust_eth_kzg tables {:.0} ms",
        ours_load.as_secs_f64() * 1e3,
        ours_full_load.as_secs_f64() * 1e3,
        ckzg8_load.as_secs_f64() * 1e3,
        reth_load.as_secs_f64() * 1e3
    );

    let bytes = blob_bytes(1);
    let blob = Blob::from_slice(&bytes).unwrap();
    let cblob = c_kzg::Blob::from_bytes(&bytes).unwrap();
    let rblob: &[u8; 131072] = bytes.as_slice().try_into().unwrap();
    let commitment = ours.blob_to_kzg_commitment(&blob).unwrap();
    let ccommitment = c_kzg::Bytes48::new(commitment.0);
    let proof = ours.compute_blob_kzg_proof(&blob, &commitment).unwrap();
    let cproof = c_kzg::Bytes48::new(proof.0);
    let mut zb = [0u8; 32];
    zb[31] = 7;
    zb[5] = 0x42;
    let z = Bytes32(zb);
    let (zproof, y) = ours.compute_kzg_proof(&blob, &z).unwrap();
    let cz = c_kzg::Bytes32::new(zb);
    let cy = c_kzg::Bytes32::new(y.0);
    let czproof = c_kzg::Bytes48::new(zproof.0);

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
        .map(|b| ours.blob_to_kzg_commitment(b).unwrap())
        .collect();
    let ps: Vec<_> = blobs
        .iter()
        .zip(&cs)
        .map(|(b, c)| ours.compute_blob_kzg_proof(b, c).unwrap())
        .collect();
    let ccs: Vec<c_kzg::Bytes48> = cs.iter().map(|c| c_kzg::Bytes48::new(c.0)).collect();
    let cps: Vec<c_kzg::Bytes48> = ps.iter().map(|p| c_kzg::Bytes48::new(p.0)).collect();
    let rblobs: Vec<&[u8; 131072]> = bbytes
        .iter()
        .map(|b| b.as_slice().try_into().unwrap())
        .collect();
    let rcs: Vec<&[u8; 48]> = cs.iter().map(|c| &c.0).collect();
    let rps: Vec<&[u8; 48]> = ps.iter().map(|p| &p.0).collect();

    // The default's first cell proof builds the shifted FK20 bases: time it, and a second one.
    let t = Instant::now();
    let (cells, cell_proofs) = pool.install(|| ours.compute_cells_and_kzg_proofs(&blob).unwrap());
    let first = t.elapsed();
    let t = Instant::now();
    black_box(pool.install(|| ours.compute_cells_and_kzg_proofs(&blob).unwrap()));
    let second = t.elapsed();
    println!(
        "zg-kzg (Precompute::None) first cell proof {:.0} ms (builds {:.1} MB of shifted bases), \
         second {:.0} ms",
        first.as_secs_f64() * 1e3,
        ours.precomputed_bytes() as f64 / 1e6,
        second.as_secs_f64() * 1e3
    );
    let half: Vec<u64> = (0..64).map(|i| 2 * i).collect();
    let ocells: Vec<zg_kzg::Cell> = half.iter().map(|&i| cells[i as usize]).collect();
    let tcells: Vec<c_kzg::Cell> = ocells.iter().map(|c| c_kzg::Cell::new(c.0)).collect();
    let rcells: Vec<&[u8; 2048]> = ocells.iter().map(|c| &c.0).collect();
    let all: Vec<u64> = (0..128).collect();
    let ocs = vec![commitment; 128];
    let tcs = vec![ccommitment; 128];
    let tps: Vec<c_kzg::Bytes48> = cell_proofs
        .iter()
        .map(|p| c_kzg::Bytes48::new(p.0))
        .collect();
    let rcs128: Vec<&[u8; 48]> = ocs.iter().map(|c| &c.0).collect();
    let rps128: Vec<&[u8; 48]> = cell_proofs.iter().map(|p| &p.0).collect();
    let rall: Vec<&[u8; 2048]> = cells.iter().map(|c| &c.0).collect();
    let tall: Vec<c_kzg::Cell> = cells.iter().map(|c| c_kzg::Cell::new(c.0)).collect();

    // Every (operation, library) pair; `None` where a library has no tables-specific path.
    let of = ours_full.as_ref();
    let ob = ours_bare.as_ref();
    let c8 = ckzg8.as_ref();
    let r = reth.as_ref();
    let rt = reth_tables.as_ref();
    let mut ops: Vec<(&'static str, Vec<Job<'_>>)> = Vec::new();
    macro_rules! op {
        ($name:expr, [$(($lib:expr, $cond:expr, $body:expr)),* $(,)?]) => {{
            let mut jobs: Vec<Job<'_>> = Vec::new();
            $(
                if $cond && selected_lib(&libs_filter, $lib) {
                    jobs.push(($lib, Box::new($body)));
                }
            )*
            if selected(&ops_filter, $name) {
                ops.push(($name, jobs));
            }
        }};
    }
    op!(
        "blob_to_kzg_commitment",
        [
            ("zg-kzg", true, || {
                black_box(ours.blob_to_kzg_commitment(&blob).unwrap());
            }),
            ("zg-kzg tables", of.is_some(), || {
                black_box(of.unwrap().blob_to_kzg_commitment(&blob).unwrap());
            }),
            ("c-kzg", true, || {
                black_box(ckzg.blob_to_kzg_commitment(&cblob).unwrap());
            }),
            ("c-kzg tables", c8.is_some(), || {
                black_box(c8.unwrap().blob_to_kzg_commitment(&cblob).unwrap());
            }),
            ("rust_eth_kzg", r.is_some(), || {
                black_box(r.unwrap().blob_to_kzg_commitment(rblob).unwrap());
            }),
        ]
    );
    op!(
        "compute_kzg_proof",
        [
            ("zg-kzg", true, || {
                black_box(ours.compute_kzg_proof(&blob, &z).unwrap());
            }),
            ("zg-kzg tables", of.is_some(), || {
                black_box(of.unwrap().compute_kzg_proof(&blob, &z).unwrap());
            }),
            ("c-kzg", true, || {
                black_box(ckzg.compute_kzg_proof(&cblob, &cz).unwrap());
            }),
            ("c-kzg tables", c8.is_some(), || {
                black_box(c8.unwrap().compute_kzg_proof(&cblob, &cz).unwrap());
            }),
            ("rust_eth_kzg", r.is_some(), || {
                black_box(r.unwrap().compute_kzg_proof(rblob, zb).unwrap());
            }),
        ]
    );
    op!(
        "compute_blob_kzg_proof",
        [
            ("zg-kzg", true, || {
                black_box(ours.compute_blob_kzg_proof(&blob, &commitment).unwrap());
            }),
            ("zg-kzg tables", of.is_some(), || {
                black_box(
                    of.unwrap()
                        .compute_blob_kzg_proof(&blob, &commitment)
                        .unwrap(),
                );
            }),
            ("c-kzg", true, || {
                black_box(ckzg.compute_blob_kzg_proof(&cblob, &ccommitment).unwrap());
            }),
            ("c-kzg tables", c8.is_some(), || {
                black_box(
                    c8.unwrap()
                        .compute_blob_kzg_proof(&cblob, &ccommitment)
                        .unwrap(),
                );
            }),
            ("rust_eth_kzg", r.is_some(), || {
                black_box(
                    r.unwrap()
                        .compute_blob_kzg_proof(rblob, &commitment.0)
                        .unwrap(),
                );
            }),
        ]
    );
    op!(
        "verify_kzg_proof",
        [
            ("zg-kzg", true, || {
                assert!(ours.verify_kzg_proof(&commitment, &z, &y, &zproof).unwrap());
            }),
            ("c-kzg", true, || {
                assert!(
                    ckzg.verify_kzg_proof(&ccommitment, &cz, &cy, &czproof)
                        .unwrap()
                );
            }),
            ("rust_eth_kzg", r.is_some(), || {
                r.unwrap()
                    .verify_kzg_proof(&commitment.0, zb, y.0, &zproof.0)
                    .unwrap();
            }),
        ]
    );
    op!(
        "verify_blob_kzg_proof",
        [
            ("zg-kzg", true, || {
                assert!(
                    ours.verify_blob_kzg_proof(&blob, &commitment, &proof)
                        .unwrap()
                );
            }),
            ("c-kzg", true, || {
                assert!(
                    ckzg.verify_blob_kzg_proof(&cblob, &ccommitment, &cproof)
                        .unwrap()
                );
            }),
            ("rust_eth_kzg", r.is_some(), || {
                r.unwrap()
                    .verify_blob_kzg_proof(rblob, &commitment.0, &proof.0)
                    .unwrap();
            }),
        ]
    );
    op!(
        "verify_blob_kzg_proof_batch_64",
        [
            ("zg-kzg", true, || {
                assert!(ours.verify_blob_kzg_proof_batch(&blobs, &cs, &ps).unwrap());
            }),
            ("c-kzg", true, || {
                assert!(
                    ckzg.verify_blob_kzg_proof_batch(&cblobs, &ccs, &cps)
                        .unwrap()
                );
            }),
            ("rust_eth_kzg", r.is_some(), || {
                r.unwrap()
                    .verify_blob_kzg_proof_batch(rblobs.clone(), rcs.clone(), rps.clone())
                    .unwrap();
            }),
        ]
    );
    op!(
        "compute_cells",
        [
            ("zg-kzg", true, || {
                black_box(ours.compute_cells(&blob).unwrap());
            }),
            ("c-kzg", true, || {
                black_box(ckzg.compute_cells(&cblob).unwrap());
            }),
            ("rust_eth_kzg", r.is_some(), || {
                black_box(r.unwrap().compute_cells(rblob).unwrap());
            }),
        ]
    );
    op!(
        "compute_cells_and_kzg_proofs",
        [
            ("zg-kzg", true, || {
                black_box(ours.compute_cells_and_kzg_proofs(&blob).unwrap());
            }),
            ("zg-kzg bare", ob.is_some(), || {
                black_box(ob.unwrap().compute_cells_and_kzg_proofs(&blob).unwrap());
            }),
            ("zg-kzg tables", of.is_some(), || {
                black_box(of.unwrap().compute_cells_and_kzg_proofs(&blob).unwrap());
            }),
            ("c-kzg", true, || {
                black_box(ckzg.compute_cells_and_kzg_proofs(&cblob).unwrap());
            }),
            ("c-kzg tables", c8.is_some(), || {
                black_box(c8.unwrap().compute_cells_and_kzg_proofs(&cblob).unwrap());
            }),
            ("rust_eth_kzg", r.is_some(), || {
                black_box(r.unwrap().compute_cells_and_kzg_proofs(rblob).unwrap());
            }),
            ("rust_eth_kzg tables", rt.is_some(), || {
                black_box(rt.unwrap().compute_cells_and_kzg_proofs(rblob).unwrap());
            }),
        ]
    );
    op!(
        "recover_cells_and_kzg_proofs",
        [
            ("zg-kzg", true, || {
                black_box(ours.recover_cells_and_kzg_proofs(&half, &ocells).unwrap());
            }),
            ("zg-kzg bare", ob.is_some(), || {
                black_box(
                    ob.unwrap()
                        .recover_cells_and_kzg_proofs(&half, &ocells)
                        .unwrap(),
                );
            }),
            ("zg-kzg tables", of.is_some(), || {
                black_box(
                    of.unwrap()
                        .recover_cells_and_kzg_proofs(&half, &ocells)
                        .unwrap(),
                );
            }),
            ("c-kzg", true, || {
                black_box(ckzg.recover_cells_and_kzg_proofs(&half, &tcells).unwrap());
            }),
            ("c-kzg tables", c8.is_some(), || {
                black_box(
                    c8.unwrap()
                        .recover_cells_and_kzg_proofs(&half, &tcells)
                        .unwrap(),
                );
            }),
            ("rust_eth_kzg", r.is_some(), || {
                black_box(
                    r.unwrap()
                        .recover_cells_and_kzg_proofs(half.clone(), rcells.clone())
                        .unwrap(),
                );
            }),
            ("rust_eth_kzg tables", rt.is_some(), || {
                black_box(
                    rt.unwrap()
                        .recover_cells_and_kzg_proofs(half.clone(), rcells.clone())
                        .unwrap(),
                );
            }),
        ]
    );
    op!(
        "verify_cell_kzg_proof_batch_128",
        [
            ("zg-kzg", true, || {
                assert!(
                    ours.verify_cell_kzg_proof_batch(&ocs, &all, &cells[..], &cell_proofs[..])
                        .unwrap()
                );
            }),
            ("c-kzg", true, || {
                assert!(
                    ckzg.verify_cell_kzg_proof_batch(&tcs, &all, &tall, &tps)
                        .unwrap()
                );
            }),
            ("rust_eth_kzg", r.is_some(), || {
                r.unwrap()
                    .verify_cell_kzg_proof_batch(rcs128.clone(), &all, rall.clone(), rps128.clone())
                    .unwrap();
            }),
        ]
    );

    // Interleaved rounds: one warm-up round, then `rounds` timed ones.
    let mut times: Vec<Vec<Vec<Duration>>> = ops
        .iter()
        .map(|(_, jobs)| vec![Vec::new(); jobs.len()])
        .collect();
    for round in 0..=rounds {
        for (o, (_, jobs)) in ops.iter().enumerate() {
            let k = jobs.len();
            for step in 0..k {
                let j = (step + round) % k;
                let t = Instant::now();
                pool.install(|| (jobs[j].1)());
                let dt = t.elapsed();
                if round > 0 {
                    times[o][j].push(dt);
                }
            }
        }
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    for ((name, jobs), t) in ops.iter().zip(&mut times) {
        println!("{name} ({threads}t)");
        let mut base = None;
        let mut rows = Vec::new();
        for ((lib, _), v) in jobs.iter().zip(t.iter_mut()) {
            v.sort();
            let (min, med) = (v[0], v[v.len() / 2]);
            if *lib == "c-kzg" {
                base = Some(med);
            }
            rows.push((*lib, min, med));
        }
        for (lib, min, med) in rows {
            let ratio = base.map_or(String::new(), |b| {
                format!("{:5.2}", med.as_secs_f64() / b.as_secs_f64())
            });
            println!(
                "  {lib:<14} min {:8.2} ms  median {:8.2} ms  median/c-kzg {ratio}",
                ms(min),
                ms(med)
            );
        }
    }
}
