//! 0G file-root throughput next to its physical limit: the same number of Keccak-256 calls (one
//! per 256-byte leaf, one per 64-byte inner node) in a tight loop with no tree bookkeeping.
//!
//! `cargo bench -p zg-benches --bench file_root`

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use zg_benches::pseudo_random;
use zg_core::tree::{FileRootBuilder, padded_sectors, sectors_for_size};
use zg_core::{H256, SECTOR_SIZE, hash_pair, hash_sector};

/// The Keccak-call limit for a file of `data.len()` bytes: `padded` leaf hashes of 256 bytes and
/// `padded - 1` inner-node hashes of 64 bytes, nothing else. Padding sectors are hashed as real
/// leaves here (the tree uses precomputed zero subtrees for them, so it does no more work).
fn keccak_limit(data: &[u8]) -> H256 {
    let padded = padded_sectors(sectors_for_size(data.len() as u64)).unwrap_or(1);
    // Each step hashes one leaf and one inner node; inner nodes depend only on leaves, so the
    // loop carries no dependency chain through the pair hashes (no handicap for the limit).
    let mut prev = H256::ZERO;
    let mut acc = [0u8; 32];
    let mut step = |leaf: H256, first: bool| {
        if !first {
            let node = hash_pair(&prev, &leaf);
            acc.iter_mut().zip(node.0).for_each(|(a, b)| *a ^= b);
        }
        prev = leaf;
    };
    let mut leaves = 0u64;
    for sector in data.chunks_exact(SECTOR_SIZE) {
        let sector: &[u8; SECTOR_SIZE] = sector.try_into().unwrap_or(&[0; SECTOR_SIZE]);
        step(hash_sector(black_box(sector)), leaves == 0);
        leaves += 1;
    }
    let zero = [0u8; SECTOR_SIZE];
    while leaves < padded {
        step(hash_sector(black_box(&zero)), leaves == 0);
        leaves += 1;
    }
    H256(acc)
}

fn keccak_limit_parallel(data: &[u8]) -> H256 {
    use rayon::prelude::*;
    data.par_chunks(1 << 20)
        .map(keccak_limit)
        .reduce(|| H256::ZERO, |a, b| hash_pair(&a, &b))
}

fn serial(data: &[u8]) -> H256 {
    let mut b = FileRootBuilder::new();
    b.update(data);
    b.finalize().map(|s| s.root()).unwrap_or_default()
}

fn parallel(data: &[u8]) -> H256 {
    let mut b = FileRootBuilder::parallel();
    b.update(data);
    b.finalize().map(|s| s.root()).unwrap_or_default()
}

fn file_root(c: &mut Criterion) {
    let sizes: [(usize, &str); 3] = [(1 << 20, "1MiB"), (64 << 20, "64MiB"), (1 << 30, "1GiB")];
    let threads = rayon::current_num_threads();
    let mut group = c.benchmark_group("file_root");
    for (size, label) in sizes {
        let data = pseudo_random(size, 1);
        group.throughput(Throughput::Bytes(size as u64));
        if size >= 64 << 20 {
            group.sample_size(10);
        }
        group.bench_with_input(
            BenchmarkId::new("keccak_limit/1-thread", label),
            &data,
            |b, d| b.iter(|| keccak_limit(d)),
        );
        group.bench_with_input(BenchmarkId::new("zg/1-thread", label), &data, |b, d| {
            b.iter(|| serial(d))
        });
        group.bench_with_input(
            BenchmarkId::new(format!("keccak_limit/{threads}-threads"), label),
            &data,
            |b, d| b.iter(|| keccak_limit_parallel(d)),
        );
        group.bench_with_input(
            BenchmarkId::new(format!("zg/{threads}-threads"), label),
            &data,
            |b, d| b.iter(|| parallel(d)),
        );
    }
    group.finish();
}

criterion_group!(benches, file_root);
criterion_main!(benches);
