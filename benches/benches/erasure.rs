//! zg-erasure encode/decode throughput next to raw reed-solomon-simd (the limit),
//! reed-solomon-erasure (8-bit field; the crate most Rust users pick), and the Keccak-call limit
//! of the commitments.
//!
//! Each iteration codes one object of 4 stripes; throughput is MiB/s of object data. Decoding
//! is the hardest case: every data shard lost, rebuilt from `k` parity shards.
//!
//! Ratios (see `zg-erasure/README.md`):
//! * commitments off: `zg-erasure (no commitments)` vs `reed-solomon-simd (raw)`;
//! * commitments on: time of `zg-erasure (commitments)` vs time(`reed-solomon-simd (raw)`) +
//!   time(`keccak limit`), where the Keccak limit is one `hash_sector` per 256-byte leaf hashed
//!   and one `hash_pair` per inner node of the trees the scheme defines, nothing else.
//!
//! reed-solomon-erasure's GF(2^8) allows at most 256 shards in all, so it has no 1024+1024 entry.
//!
//! Run: `cargo bench -p zg-benches --bench erasure -- --warm-up-time 1 --measurement-time 3`.

// Benchmark setup: panics report broken setup, and sizes are small.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    missing_docs
)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use reed_solomon_erasure::galois_8::ReedSolomon as Rse;
use reed_solomon_simd::{ReedSolomonDecoder, ReedSolomonEncoder};
use zg_core::{H256, SECTOR_SIZE, hash_pair, hash_sector};
use zg_erasure::{Decoder, Encoder, Layout, Manifest, StripeDecoder, StripeEncoder, encode};

const STRIPES: u64 = 4;

/// (k, m, chunk bytes): 32+32×64 KiB, 128+128×16 KiB, 1024+1024×1 KiB.
const SHAPES: [(usize, usize, usize); 3] = [
    (32, 32, 64 << 10),
    (128, 128, 16 << 10),
    (1024, 1024, 1 << 10),
];

fn object(len: usize) -> Vec<u8> {
    let mut x = 0x1234_5678_9abc_def1u64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

struct Setup {
    k: usize,
    m: usize,
    chunk: usize,
    layout: Layout,
    data: Vec<u8>,
    manifest: Manifest,
    shards: Vec<Vec<u8>>,
}

fn setup(k: usize, m: usize, chunk: usize) -> Setup {
    let layout = Layout::new(k, m, STRIPES * (k * chunk) as u64, chunk).unwrap();
    assert_eq!(layout.stripes(), STRIPES);
    let data = object(layout.object_size() as usize);
    let config = zg_erasure::Config::new(k, m)
        .unwrap()
        .with_stripe_size(k * chunk)
        .unwrap();
    let encoded = encode(&data, config).unwrap();
    assert_eq!(*encoded.manifest.layout(), layout);
    Setup {
        k,
        m,
        chunk,
        layout,
        data,
        manifest: encoded.manifest,
        shards: encoded.shards,
    }
}

fn id(s: &Setup) -> String {
    format!("{}+{}x{}KiB", s.k, s.m, s.chunk >> 10)
}

/// The Keccak-call limit: `sectors` calls of `hash_sector` over real bytes, then `pairs` calls of
/// `hash_pair`.
fn keccak_limit(bytes: &[u8], sectors: usize, pairs: usize) -> H256 {
    let mut acc = H256::ZERO;
    for sector in bytes.chunks_exact(SECTOR_SIZE).cycle().take(sectors) {
        let h = hash_sector(sector.try_into().unwrap());
        acc.0[0] ^= h.0[0];
    }
    let mut node = acc;
    for _ in 0..pairs {
        node = hash_pair(&node, &acc);
    }
    node
}

/// Inner nodes of a 0G file tree over `leaves` data leaves, not counting zero padding.
fn inner(leaves: usize) -> usize {
    leaves.saturating_sub(1)
}

fn bench_encode(c: &mut Criterion) {
    let mut g = c.benchmark_group("erasure_encode");
    g.sample_size(10);
    for (k, m, chunk) in SHAPES {
        let s = setup(k, m, chunk);
        let name = id(&s);
        g.throughput(Throughput::Bytes(s.layout.object_size()));
        let stripe_bytes = k * chunk;

        g.bench_with_input(
            BenchmarkId::new("zg-erasure (no commitments)", &name),
            &s,
            |b, s| {
                let mut enc = StripeEncoder::new(s.layout).unwrap();
                b.iter(|| {
                    for (i, d) in s.data.chunks(stripe_bytes).enumerate() {
                        let stripe = enc.encode_stripe(i as u64, d).unwrap();
                        black_box(stripe.shard(s.k));
                    }
                });
            },
        );

        g.bench_with_input(
            BenchmarkId::new("zg-erasure (commitments)", &name),
            &s,
            |b, s| {
                let mut enc = Encoder::new(s.layout).unwrap();
                b.iter(|| {
                    enc.reset(s.layout).unwrap();
                    for d in s.data.chunks(stripe_bytes) {
                        let stripe = enc.encode_stripe(d).unwrap();
                        black_box(stripe.shard(s.k));
                    }
                    black_box(enc.finish().unwrap().root())
                });
            },
        );

        g.bench_with_input(
            BenchmarkId::new("reed-solomon-simd (raw)", &name),
            &s,
            |b, s| {
                let mut enc = ReedSolomonEncoder::new(s.k, s.m, s.chunk).unwrap();
                b.iter(|| {
                    for d in s.data.chunks(stripe_bytes) {
                        for shard in d.chunks(s.chunk) {
                            enc.add_original_shard(shard).unwrap();
                        }
                        let r = enc.encode().unwrap();
                        black_box(r.recovery(0));
                    }
                });
            },
        );

        if k + m <= 256 {
            g.bench_with_input(
                BenchmarkId::new("reed-solomon-erasure", &name),
                &s,
                |b, s| {
                    let rse = Rse::new(s.k, s.m).unwrap();
                    let mut parity = vec![vec![0u8; s.chunk]; s.m];
                    b.iter(|| {
                        for d in s.data.chunks(stripe_bytes) {
                            let data: Vec<&[u8]> = d.chunks(s.chunk).collect();
                            rse.encode_sep(&data, &mut parity).unwrap();
                            black_box(&parity[0]);
                        }
                    });
                },
            );
        }

        // Encoding hashes every shard sector once (data sector hashes are shared with the
        // object tree), then the inner nodes of k+m shard trees, the object tree and the
        // manifest tree.
        let shard_leaves = (s.layout.shard_size() as usize).div_ceil(SECTOR_SIZE);
        let object_leaves = s.data.len().div_ceil(SECTOR_SIZE);
        let sectors = (k + m) * shard_leaves;
        let pairs = (k + m) * inner(shard_leaves) + inner(object_leaves) + inner(k + m + 1);
        g.bench_with_input(BenchmarkId::new("keccak limit", &name), &s, |b, s| {
            b.iter(|| black_box(keccak_limit(&s.shards[0], sectors, pairs)));
        });
    }
    g.finish();
}

fn bench_decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("erasure_decode");
    g.sample_size(10);
    for (k, m, chunk) in SHAPES {
        let s = setup(k, m, chunk);
        let name = id(&s);
        g.throughput(Throughput::Bytes(s.layout.object_size()));
        // Every data shard lost: decode from parity shards k..2k.
        let chosen: Vec<usize> = (k..k + k.min(m)).collect();
        assert_eq!(chosen.len(), k, "bench shapes have m >= k");
        let chunks_of = |stripe: u64| -> Vec<&[u8]> {
            let off = stripe as usize * s.chunk;
            chosen
                .iter()
                .map(|&j| &s.shards[j][off..off + s.chunk])
                .collect()
        };
        let per_stripe: Vec<Vec<&[u8]>> = (0..STRIPES).map(chunks_of).collect();

        g.bench_function(
            BenchmarkId::new("zg-erasure (no commitments)", &name),
            |b| {
                let mut dec = StripeDecoder::new(s.layout, &chosen).unwrap();
                b.iter(|| {
                    for (i, chunks) in per_stripe.iter().enumerate() {
                        let stripe = dec.decode_stripe(i as u64, chunks).unwrap();
                        black_box(stripe.data_chunk(0));
                    }
                });
            },
        );

        g.bench_function(BenchmarkId::new("zg-erasure (commitments)", &name), |b| {
            let mut dec = Decoder::new(&s.manifest, &chosen).unwrap();
            b.iter(|| {
                dec.reset(&s.manifest, &chosen).unwrap();
                for chunks in &per_stripe {
                    let stripe = dec.decode_stripe(chunks).unwrap();
                    black_box(stripe.data_chunk(0));
                }
                dec.finish().unwrap();
            });
        });

        g.bench_function(BenchmarkId::new("reed-solomon-simd (raw)", &name), |b| {
            let mut dec = ReedSolomonDecoder::new(s.k, s.m, s.chunk).unwrap();
            b.iter(|| {
                for chunks in &per_stripe {
                    for (&j, c) in chosen.iter().zip(chunks) {
                        dec.add_recovery_shard(j - s.k, c).unwrap();
                    }
                    let r = dec.decode().unwrap();
                    black_box(r.restored_original(0));
                }
            });
        });

        if k + m <= 256 {
            g.bench_function(BenchmarkId::new("reed-solomon-erasure", &name), |b| {
                let rse = Rse::new(s.k, s.m).unwrap();
                let mut work: Vec<(Vec<u8>, bool)> = vec![(vec![0u8; s.chunk], false); s.k + s.m];
                b.iter(|| {
                    for chunks in &per_stripe {
                        for (j, w) in work.iter_mut().enumerate() {
                            w.1 = j >= s.k && j < s.k + s.k;
                            if w.1 {
                                w.0.copy_from_slice(chunks[j - s.k]);
                            }
                        }
                        rse.reconstruct_data(&mut work).unwrap();
                        black_box(&work[0].0);
                    }
                });
            });
        }

        // Decoding hashes the k chosen shards (to verify them) and the k rebuilt data chunks
        // (for the object root), then the inner nodes of k shard trees and the object tree.
        let shard_leaves = (s.layout.shard_size() as usize).div_ceil(SECTOR_SIZE);
        let object_leaves = s.data.len().div_ceil(SECTOR_SIZE);
        let sectors = 2 * k * shard_leaves;
        let pairs = k * inner(shard_leaves) + inner(object_leaves);
        g.bench_function(BenchmarkId::new("keccak limit", &name), |b| {
            b.iter(|| black_box(keccak_limit(&s.shards[0], sectors, pairs)));
        });
    }
    g.finish();
}

criterion_group!(benches, bench_encode, bench_decode);
criterion_main!(benches);
