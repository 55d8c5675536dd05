//! zg-kzg against c-kzg 2.x and rust_eth_kzg (crate-crypto), side by side in one criterion
//! run: every EIP-4844 / EIP-7594 operation, single-threaded and with 2 threads, and the
//! trusted-setup load.
//!
//! Thread counts: zg-kzg (feature `parallel`) and rust_eth_kzg (feature `multithreaded`) run
//! inside a rayon pool of 1 or 2 threads; c-kzg is single-threaded C. "tables" = zg-kzg with
//! `Precompute::Full`, c-kzg with precompute 8, rust_eth_kzg with `UsePrecomp::Yes { width: 8 }`.
//!
//! Run: `cargo bench -p zg-benches --bench kzg` (add `-- <filter>` for one group).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    missing_docs
)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;
use zg_kzg::{Blob, KzgSettings, Precompute};

const SETUP: &str = zg_kzg::MAINNET_TRUSTED_SETUP;

fn blob_bytes(seed: u64) -> Vec<u8> {
    // Canonical field elements: top byte of each 32-byte word cleared.
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..131072)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if i % 32 == 0 { 0 } else { x as u8 }
        })
        .collect()
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

struct Libs {
    ours: KzgSettings,
    ours_tables: KzgSettings,
    ckzg: c_kzg::KzgSettings,
    ckzg8: c_kzg::KzgSettings,
    reth: rust_eth_kzg::DASContext,
}

fn libs() -> Libs {
    Libs {
        ours: KzgSettings::mainnet().unwrap(),
        ours_tables: KzgSettings::mainnet_with(Precompute::Full).unwrap(),
        ckzg: c_kzg::KzgSettings::parse_kzg_trusted_setup(SETUP, 0).unwrap(),
        ckzg8: c_kzg::KzgSettings::parse_kzg_trusted_setup(SETUP, 8).unwrap(),
        reth: rust_eth_kzg::DASContext::new(
            &rust_eth_kzg::TrustedSetup::default(),
            rust_eth_kzg::UsePrecomp::Yes { width: 8 },
        ),
    }
}

fn bench_setup(c: &mut Criterion) {
    let mut g = c.benchmark_group("kzg/setup_load");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(8));
    for threads in [1usize, 2] {
        let p = pool(threads);
        g.bench_function(BenchmarkId::new("zg-kzg", format!("{threads}t")), |b| {
            b.iter(|| p.install(|| KzgSettings::load(black_box(SETUP), Precompute::None).unwrap()))
        });
        g.bench_function(
            BenchmarkId::new("zg-kzg tables", format!("{threads}t")),
            |b| {
                b.iter(|| {
                    p.install(|| KzgSettings::load(black_box(SETUP), Precompute::Full).unwrap())
                })
            },
        );
        g.bench_function(
            BenchmarkId::new("rust_eth_kzg tables", format!("{threads}t")),
            |b| {
                b.iter(|| {
                    p.install(|| {
                        rust_eth_kzg::DASContext::new(
                            &rust_eth_kzg::TrustedSetup::default(),
                            rust_eth_kzg::UsePrecomp::Yes { width: 8 },
                        )
                    })
                })
            },
        );
    }
    g.bench_function(BenchmarkId::new("c-kzg", "1t"), |b| {
        b.iter(|| c_kzg::KzgSettings::parse_kzg_trusted_setup(black_box(SETUP), 0).unwrap())
    });
    g.bench_function(BenchmarkId::new("c-kzg tables", "1t"), |b| {
        b.iter(|| c_kzg::KzgSettings::parse_kzg_trusted_setup(black_box(SETUP), 8).unwrap())
    });
    g.finish();
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
    let pools = [(1usize, pool(1)), (2, pool(2))];

    // --- EIP-4844 ---
    let mut g = c.benchmark_group("kzg/blob_to_kzg_commitment");
    g.throughput(Throughput::Bytes(131072))
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    for (t, p) in &pools {
        g.bench_function(BenchmarkId::new("zg-kzg tables", format!("{t}t")), |b| {
            b.iter(|| {
                p.install(|| {
                    l.ours_tables
                        .blob_to_kzg_commitment(black_box(&blob))
                        .unwrap()
                })
            })
        });
        g.bench_function(BenchmarkId::new("zg-kzg", format!("{t}t")), |b| {
            b.iter(|| p.install(|| l.ours.blob_to_kzg_commitment(black_box(&blob)).unwrap()))
        });
        g.bench_function(
            BenchmarkId::new("rust_eth_kzg tables", format!("{t}t")),
            |b| b.iter(|| p.install(|| l.reth.blob_to_kzg_commitment(black_box(rblob)).unwrap())),
        );
    }
    g.bench_function(BenchmarkId::new("c-kzg", "1t"), |b| {
        b.iter(|| l.ckzg.blob_to_kzg_commitment(black_box(&cblob)).unwrap())
    });
    g.bench_function(BenchmarkId::new("c-kzg tables", "1t"), |b| {
        b.iter(|| l.ckzg8.blob_to_kzg_commitment(black_box(&cblob)).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("kzg/compute_blob_kzg_proof");
    g.throughput(Throughput::Bytes(131072))
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    for (t, p) in &pools {
        g.bench_function(BenchmarkId::new("zg-kzg tables", format!("{t}t")), |b| {
            b.iter(|| {
                p.install(|| {
                    l.ours_tables
                        .compute_blob_kzg_proof(black_box(&blob), &commitment)
                        .unwrap()
                })
            })
        });
        g.bench_function(
            BenchmarkId::new("rust_eth_kzg tables", format!("{t}t")),
            |b| {
                b.iter(|| {
                    p.install(|| {
                        l.reth
                            .compute_blob_kzg_proof(black_box(rblob), &commitment.0)
                            .unwrap()
                    })
                })
            },
        );
    }
    g.bench_function(BenchmarkId::new("zg-kzg", "1t"), |b| {
        b.iter(|| {
            pools[0].1.install(|| {
                l.ours
                    .compute_blob_kzg_proof(black_box(&blob), &commitment)
                    .unwrap()
            })
        })
    });
    g.bench_function(BenchmarkId::new("c-kzg", "1t"), |b| {
        b.iter(|| {
            l.ckzg
                .compute_blob_kzg_proof(black_box(&cblob), &ccommitment)
                .unwrap()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("kzg/verify_blob_kzg_proof");
    g.sample_size(20).measurement_time(Duration::from_secs(2));
    g.bench_function(BenchmarkId::new("zg-kzg", "1t"), |b| {
        b.iter(|| {
            pools[0].1.install(|| {
                assert!(
                    l.ours
                        .verify_blob_kzg_proof(black_box(&blob), &commitment, &proof)
                        .unwrap()
                )
            })
        })
    });
    g.bench_function(BenchmarkId::new("c-kzg", "1t"), |b| {
        b.iter(|| {
            assert!(
                l.ckzg
                    .verify_blob_kzg_proof(black_box(&cblob), &ccommitment, &cproof)
                    .unwrap()
            )
        })
    });
    g.bench_function(BenchmarkId::new("rust_eth_kzg", "1t"), |b| {
        b.iter(|| {
            pools[0].1.install(|| {
                l.reth
                    .verify_blob_kzg_proof(black_box(rblob), &commitment.0, &proof.0)
                    .unwrap()
            })
        })
    });
    g.finish();

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
    let mut g = c.benchmark_group("kzg/verify_blob_kzg_proof_batch_64");
    g.throughput(Throughput::Elements(n))
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    for (t, p) in &pools {
        g.bench_function(BenchmarkId::new("zg-kzg", format!("{t}t")), |b| {
            b.iter(|| {
                p.install(|| {
                    assert!(
                        l.ours
                            .verify_blob_kzg_proof_batch(black_box(&blobs), &cs, &ps)
                            .unwrap()
                    )
                })
            })
        });
        g.bench_function(BenchmarkId::new("rust_eth_kzg", format!("{t}t")), |b| {
            b.iter(|| {
                p.install(|| {
                    l.reth
                        .verify_blob_kzg_proof_batch(rblobs.clone(), rcs.clone(), rps.clone())
                        .unwrap()
                })
            })
        });
    }
    g.bench_function(BenchmarkId::new("c-kzg", "1t"), |b| {
        b.iter(|| {
            assert!(
                l.ckzg
                    .verify_blob_kzg_proof_batch(black_box(&cblobs), &ccs, &cps)
                    .unwrap()
            )
        })
    });
    g.finish();

    // --- EIP-7594 ---
    let mut g = c.benchmark_group("kzg/compute_cells_and_kzg_proofs");
    g.throughput(Throughput::Bytes(131072))
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    for (t, p) in &pools {
        g.bench_function(BenchmarkId::new("zg-kzg tables", format!("{t}t")), |b| {
            b.iter(|| {
                p.install(|| {
                    l.ours_tables
                        .compute_cells_and_kzg_proofs(black_box(&blob))
                        .unwrap()
                })
            })
        });
        g.bench_function(BenchmarkId::new("zg-kzg", format!("{t}t")), |b| {
            b.iter(|| {
                p.install(|| {
                    l.ours
                        .compute_cells_and_kzg_proofs(black_box(&blob))
                        .unwrap()
                })
            })
        });
        g.bench_function(
            BenchmarkId::new("rust_eth_kzg tables", format!("{t}t")),
            |b| {
                b.iter(|| {
                    p.install(|| {
                        l.reth
                            .compute_cells_and_kzg_proofs(black_box(rblob))
                            .unwrap()
                    })
                })
            },
        );
    }
    g.bench_function(BenchmarkId::new("c-kzg", "1t"), |b| {
        b.iter(|| {
            l.ckzg
                .compute_cells_and_kzg_proofs(black_box(&cblob))
                .unwrap()
        })
    });
    g.bench_function(BenchmarkId::new("c-kzg tables", "1t"), |b| {
        b.iter(|| {
            l.ckzg8
                .compute_cells_and_kzg_proofs(black_box(&cblob))
                .unwrap()
        })
    });
    g.finish();

    let (cells, proofs) = l.ours.compute_cells_and_kzg_proofs(&blob).unwrap();
    let (ccells, _) = l.ckzg.compute_cells_and_kzg_proofs(&cblob).unwrap();
    let half: Vec<u64> = (0..64).map(|i| 2 * i).collect();
    let ocells: Vec<zg_kzg::Cell> = half.iter().map(|&i| cells[i as usize]).collect();
    let tcells: Vec<c_kzg::Cell> = half.iter().map(|&i| ccells[i as usize]).collect();
    let rcells: Vec<&[u8; 2048]> = ocells.iter().map(|c| &c.0).collect();
    let mut g = c.benchmark_group("kzg/recover_cells_and_kzg_proofs");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    for (t, p) in &pools {
        g.bench_function(BenchmarkId::new("zg-kzg tables", format!("{t}t")), |b| {
            b.iter(|| {
                p.install(|| {
                    l.ours_tables
                        .recover_cells_and_kzg_proofs(black_box(&half), &ocells)
                        .unwrap()
                })
            })
        });
        g.bench_function(
            BenchmarkId::new("rust_eth_kzg tables", format!("{t}t")),
            |b| {
                b.iter(|| {
                    p.install(|| {
                        l.reth
                            .recover_cells_and_kzg_proofs(half.clone(), rcells.clone())
                            .unwrap()
                    })
                })
            },
        );
    }
    g.bench_function(BenchmarkId::new("zg-kzg", "1t"), |b| {
        b.iter(|| {
            pools[0].1.install(|| {
                l.ours
                    .recover_cells_and_kzg_proofs(black_box(&half), &ocells)
                    .unwrap()
            })
        })
    });
    g.bench_function(BenchmarkId::new("c-kzg", "1t"), |b| {
        b.iter(|| {
            l.ckzg
                .recover_cells_and_kzg_proofs(black_box(&half), &tcells)
                .unwrap()
        })
    });
    g.finish();

    let all: Vec<u64> = (0..128).collect();
    let ocs = vec![commitment; 128];
    let tcs = vec![ccommitment; 128];
    let tps: Vec<c_kzg::Bytes48> = proofs.iter().map(|p| c_kzg::Bytes48::new(p.0)).collect();
    let rcs: Vec<&[u8; 48]> = ocs.iter().map(|c| &c.0).collect();
    let rps: Vec<&[u8; 48]> = proofs.iter().map(|p| &p.0).collect();
    let rall: Vec<&[u8; 2048]> = cells.iter().map(|c| &c.0).collect();
    let tall: Vec<c_kzg::Cell> = cells.iter().map(|c| c_kzg::Cell::new(c.0)).collect();
    let mut g = c.benchmark_group("kzg/verify_cell_kzg_proof_batch_128");
    g.throughput(Throughput::Elements(128))
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    for (t, p) in &pools {
        g.bench_function(BenchmarkId::new("zg-kzg", format!("{t}t")), |b| {
            b.iter(|| {
                p.install(|| {
                    assert!(
                        l.ours
                            .verify_cell_kzg_proof_batch(
                                &ocs,
                                black_box(&all),
                                &cells[..],
                                &proofs[..]
                            )
                            .unwrap()
                    )
                })
            })
        });
        g.bench_function(BenchmarkId::new("rust_eth_kzg", format!("{t}t")), |b| {
            b.iter(|| {
                p.install(|| {
                    l.reth
                        .verify_cell_kzg_proof_batch(rcs.clone(), &all, rall.clone(), rps.clone())
                        .unwrap()
                })
            })
        });
    }
    g.bench_function(BenchmarkId::new("c-kzg", "1t"), |b| {
        b.iter(|| {
            assert!(
                l.ckzg
                    .verify_cell_kzg_proof_batch(&tcs, black_box(&all), &tall, &tps)
                    .unwrap()
            )
        })
    });
    g.finish();
}

criterion_group! {
    name = kzg;
    config = Criterion::default();
    targets = bench_ops, bench_setup
}
criterion_main!(kzg);
