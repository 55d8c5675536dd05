//! zg-alignment AI checks: change-detector updates, TOPLOC proof decode + 128-point
//! evaluation, and a full drift report over 10,000 streams.
//!
//! `cargo bench -p zg-benches --bench alignment -- --warm-up-time 1 --measurement-time 3`
//! (aims, issue 19: ≥ 10⁶ detector updates/s on one core; decode + evaluate ≤ 50 µs). The state
//! size of each detector is printed once at start.

// A bench is a test harness: a failed setup should stop it loudly.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use zg_alignment::drift::detect::{Adwin, Cusum, PageHinkley};
use zg_alignment::drift::sketch::QuantileSketch;
use zg_alignment::drift::{DriftConfig, DriftReport, Fixed, Measured};
use zg_alignment::toploc::{Proof, prove, topk_indices};

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

/// A deterministic stream of values around 0 (an LCG; no float).
fn stream(n: usize, seed: u64) -> Vec<Fixed> {
    let mut s = seed | 1;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            Fixed(i128::from((s >> 40) as i32 - (1 << 23)) * 100_000_000_000)
        })
        .collect()
}

fn detectors(c: &mut Criterion) {
    let xs = stream(100_000, 1);
    let one = Fixed::ONE;
    eprintln!(
        "state bytes per stream: Cusum {}, PageHinkley {}, Adwin {} + {} buckets x 16 after 100k values",
        size_of::<Cusum>(),
        size_of::<PageHinkley>(),
        size_of::<Adwin>(),
        {
            let mut a = Adwin::new(Fixed(2_000_000_000_000_000), Fixed(16 * one.0));
            xs.iter().for_each(|x| {
                a.update(*x);
            });
            a.buckets()
        }
    );
    let mut g = c.benchmark_group("alignment/detector");
    g.throughput(Throughput::Elements(xs.len() as u64));
    g.bench_function("cusum", |b| {
        b.iter(|| {
            let mut d = Cusum::new(Fixed::ZERO, Fixed(one.0 / 2), Fixed(12 * one.0));
            xs.iter().filter(|x| d.update(**x).is_some()).count()
        })
    });
    g.bench_function("page_hinkley", |b| {
        b.iter(|| {
            let mut d = PageHinkley::new(Fixed(one.0 / 4), Fixed(25 * one.0), 30);
            xs.iter().filter(|x| d.update(**x).is_some()).count()
        })
    });
    g.bench_function("adwin", |b| {
        b.iter(|| {
            let mut d = Adwin::new(Fixed(2_000_000_000_000_000), Fixed(16 * one.0));
            xs.iter().filter(|x| d.update(**x).is_some()).count()
        })
    });
    g.bench_function("quantile_sketch_k256", |b| {
        b.iter(|| {
            let mut s = QuantileSketch::new(256);
            xs.iter().for_each(|x| s.update(*x));
            s.rank_error()
        })
    });
    g.finish();
}

fn toploc(c: &mut Criterion) {
    let chunk: Vec<u16> = stream(32 * 4096, 2)
        .iter()
        .map(|f| (f.0 >> 40) as u16)
        .collect();
    let proof = prove(&chunk).unwrap();
    let bytes = proof.to_bytes();
    let idx = topk_indices(&chunk, 128).unwrap();
    let mut g = c.benchmark_group("alignment/toploc");
    g.bench_function("decode_and_evaluate_128", |b| {
        b.iter(|| {
            let p = Proof::from_bytes(black_box(&bytes)).unwrap();
            idx.iter().map(|&i| u32::from(p.evaluate(i))).sum::<u32>()
        })
    });
    g.throughput(Throughput::Elements(chunk.len() as u64));
    g.bench_function("prove_chunk_32x4096", |b| {
        b.iter(|| prove(black_box(&chunk)).unwrap())
    });
    g.finish();
}

fn report(c: &mut Criterion) {
    let mut g = c.benchmark_group("alignment/drift_report");
    for streams in [1_000usize, 10_000] {
        let windows: Vec<(Vec<Fixed>, Vec<Fixed>)> = (0..streams)
            .map(|s| (stream(100, 2 * s as u64 + 3), stream(100, 2 * s as u64 + 4)))
            .collect();
        g.throughput(Throughput::Elements(streams as u64));
        g.bench_with_input(
            BenchmarkId::new("streams_x_100_values", streams),
            &windows,
            |b, w| {
                b.iter(|| {
                    w.iter()
                        .filter(|(x, y)| {
                            let m = DriftReport::compute(x, y, &DriftConfig::default()).unwrap();
                            matches!(m, Measured::Measured(r) if r.alert)
                        })
                        .count()
                })
            },
        );
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = detectors, toploc, report
}
criterion_main!(benches);
