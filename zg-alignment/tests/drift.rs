//! Drift statistics against float references, scipy's numbers, planted shifts and stationary
//! streams.

// Tests: unwrap/panic are failures, and the float reference casts on purpose.
#![allow(clippy::unwrap_used, clippy::panic, clippy::cast_possible_truncation)]

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use zg_alignment::drift::detect::{Adwin, Cusum, PageHinkley};
use zg_alignment::drift::sketch::QuantileSketch;
use zg_alignment::drift::stats::parse_lines;
use zg_alignment::drift::{DriftConfig, DriftReport, Fixed, Measured, Severity};

const MICRO: i128 = 1_000_000_000_000; // 10⁻⁶ in units of 10⁻¹⁸

/// A sample of values with six decimals: (fixed, float) pairs of the same numbers.
fn sample(rng: &mut ChaCha8Rng, n: usize, mean: f64, sd: f64) -> (Vec<Fixed>, Vec<f64>) {
    (0..n)
        .map(|_| {
            let v = mean + sd * normal(rng);
            let micro = (v * 1e6).round() as i64;
            (Fixed(i128::from(micro) * MICRO), micro as f64 / 1e6)
        })
        .unzip()
}

fn uniform(rng: &mut ChaCha8Rng) -> f64 {
    ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let (u, v) = (uniform(rng), uniform(rng));
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

// ---- the float reference: written independently of the fixed-point code ----

fn ecdf(sorted: &[f64], x: f64) -> f64 {
    sorted.partition_point(|v| *v <= x) as f64 / sorted.len() as f64
}

fn ks_f(b: &[f64], c: &[f64]) -> f64 {
    let (mut b, mut c) = (b.to_vec(), c.to_vec());
    b.sort_by(f64::total_cmp);
    c.sort_by(f64::total_cmp);
    b.iter()
        .chain(&c)
        .map(|&x| (ecdf(&b, x) - ecdf(&c, x)).abs())
        .fold(0.0, f64::max)
}

fn w1_f(b: &[f64], c: &[f64]) -> f64 {
    let (mut b, mut c) = (b.to_vec(), c.to_vec());
    b.sort_by(f64::total_cmp);
    c.sort_by(f64::total_cmp);
    let mut all: Vec<f64> = b.iter().chain(&c).copied().collect();
    all.sort_by(f64::total_cmp);
    all.windows(2)
        .map(|w| (w[1] - w[0]) * (ecdf(&b, w[0]) - ecdf(&c, w[0])).abs())
        .sum()
}

fn bins_f(b: &[f64], c: &[f64], n_bins: usize) -> (Vec<f64>, Vec<f64>) {
    let mut sb = b.to_vec();
    sb.sort_by(f64::total_cmp);
    let n = sb.len();
    let edges: Vec<f64> = (1..n_bins)
        .map(|i| sb[(i * n).div_ceil(n_bins) - 1])
        .collect();
    let count = |v: &[f64]| {
        let mut k = vec![0.0; n_bins];
        for x in v {
            k[edges.iter().filter(|e| **e < *x).count()] += 1.0;
        }
        k.iter().map(|k| k / v.len() as f64).collect::<Vec<f64>>()
    };
    (count(b), count(c))
}

fn psi_f(b: &[f64], c: &[f64], n_bins: usize) -> f64 {
    let (pb, pc) = bins_f(b, c, n_bins);
    pb.iter()
        .zip(&pc)
        .map(|(&b, &c)| {
            let (b, c) = (
                if b == 0.0 { 1e-6 } else { b },
                if c == 0.0 { 1e-6 } else { c },
            );
            (c - b) * (c / b).ln()
        })
        .sum()
}

fn js_f(b: &[f64], c: &[f64], n_bins: usize) -> f64 {
    let (pb, pc) = bins_f(b, c, n_bins);
    let kl = |p: f64, m: f64| if p == 0.0 { 0.0 } else { p * (p / m).ln() };
    let s: f64 = pb
        .iter()
        .zip(&pc)
        .map(|(&p, &q)| kl(p, (p + q) / 2.0) + kl(q, (p + q) / 2.0))
        .sum();
    (s / 2.0).sqrt()
}

fn measured(b: &[Fixed], c: &[Fixed], bins: usize) -> DriftReport {
    let cfg = DriftConfig {
        bins,
        ..DriftConfig::default()
    };
    match DriftReport::compute(b, c, &cfg).unwrap() {
        Measured::Measured(r) => r,
        Measured::NotMeasured { .. } => panic!("not measured"),
    }
}

#[test]
fn statistics_match_float_reference_over_seeds() {
    for seed in 0..40u64 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let shift = (seed % 5) as f64 * 0.1;
        let (fb, b) = sample(&mut rng, 200 + seed as usize, 0.0, 1.0);
        let (fc, c) = sample(&mut rng, 150 + 3 * seed as usize, shift, 1.0 + shift);
        for bins in [5, 10, 17] {
            let r = measured(&fb, &fc, bins);
            let ctx = format!("seed {seed} bins {bins}");
            assert!(
                (r.ks_statistic.to_f64_lossy() - ks_f(&b, &c)).abs() < 1e-12,
                "{ctx}"
            );
            assert!(
                (r.wasserstein_1.to_f64_lossy() - w1_f(&b, &c)).abs() < 1e-9,
                "{ctx}"
            );
            assert!(
                (r.psi.to_f64_lossy() - psi_f(&b, &c, bins)).abs() < 1e-9,
                "{ctx}"
            );
            assert!(
                (r.js_distance.to_f64_lossy() - js_f(&b, &c, bins)).abs() < 1e-9,
                "{ctx}"
            );
        }
    }
}

/// The numbers numpy 2.4.6 / scipy 1.17.1 print for the files in `tests/vectors/drift/`
/// (`ks_2samp`, `wasserstein_distance`, the PSI rule, `jensenshannon`,
/// `chi2_contingency(correction=False)`); see that folder's README.
#[test]
fn statistics_match_scipy_vectors() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/drift");
    let expected = std::fs::read_to_string(format!("{dir}/expected.txt")).unwrap();
    let mut cases = 0;
    for line in expected.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let read = |which: &str| {
            parse_lines(&std::fs::read_to_string(format!("{dir}/{}.{which}.txt", f[0])).unwrap())
                .unwrap()
        };
        let r = measured(&read("baseline"), &read("current"), f[1].parse().unwrap());
        let want: Vec<f64> = f[2..7].iter().map(|s| s.parse().unwrap()).collect();
        let got = [
            r.ks_statistic,
            r.wasserstein_1,
            r.psi,
            r.js_distance,
            r.chi_square,
        ];
        for (g, w) in got.iter().zip(&want) {
            assert!(
                (g.to_f64_lossy() - w).abs() <= 1e-9 * w.abs().max(1.0),
                "{line}: {g}"
            );
        }
        cases += 1;
    }
    assert_eq!(cases, 8);
}

#[test]
fn identical_bytes_across_runs_and_orders() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let (b, _) = sample(&mut rng, 300, 0.0, 1.0);
    let (mut c, _) = sample(&mut rng, 300, 0.2, 1.0);
    let one = DriftReport::compute(&b, &c, &DriftConfig::default())
        .unwrap()
        .to_json();
    c.reverse();
    let two = DriftReport::compute(&b, &c, &DriftConfig::default())
        .unwrap()
        .to_json();
    assert_eq!(one, two);
    // Pinned: the bytes a committee co-signs may not change between builds or platforms.
    assert!(one.starts_with("{\"verdict\":\"measured\",\"n_baseline\":300,\"n_current\":300,"));
}

#[test]
fn too_few_samples_is_not_measured() {
    let v: Vec<Fixed> = (0..49).map(Fixed::from_int).collect();
    let w: Vec<Fixed> = (0..500).map(Fixed::from_int).collect();
    let got = DriftReport::compute(&v, &w, &DriftConfig::default()).unwrap();
    assert!(matches!(got, Measured::NotMeasured { n_baseline: 49, .. }));
    assert!(got.to_json().contains("\"alert\":null"));
    assert!(DriftReport::compute(&w, &[], &DriftConfig::default()).is_ok());
}

#[test]
fn planted_shifts_are_caught() {
    let mut rng = ChaCha8Rng::seed_from_u64(77);
    let (b, _) = sample(&mut rng, 2000, 0.0, 1.0);
    let (mean, _) = sample(&mut rng, 2000, 0.3, 1.0);
    let (var, _) = sample(&mut rng, 2000, 0.0, 1.6);
    for cur in [&mean, &var] {
        let r = measured(&b, cur, 10);
        assert!(r.alert, "{}", r.to_json());
    }
    // A new category: codes 0..4 uniform, then 15 % of outputs become a fifth code.
    let cat =
        |i: u64, new: bool| Fixed::from_int(if new && i % 20 < 3 { 5 } else { (i % 5) as i64 });
    let base: Vec<Fixed> = (0..2000).map(|i| cat(i * 7 + 3, false)).collect();
    let cur: Vec<Fixed> = (0..2000).map(|i| cat(i * 11 + 1, true)).collect();
    let r = measured(&base, &cur, 10);
    assert!(r.alert && r.severity == Severity::Major, "{}", r.to_json());
    assert!(r.chi_square.to_f64_lossy() > 200.0);
}

/// Stated rate: with α = 0.01, no more than 1 % of stationary comparisons alert. Over 300
/// seeds we allow 3 + 2 (the conservative KS bound makes the true rate far lower).
#[test]
fn stationary_windows_stay_silent() {
    let mut alerts = 0;
    for seed in 0..300u64 {
        let mut rng = ChaCha8Rng::seed_from_u64(1000 + seed);
        let (b, _) = sample(&mut rng, 400, 3.0, 2.0);
        let (c, _) = sample(&mut rng, 400, 3.0, 2.0);
        alerts += u32::from(measured(&b, &c, 10).alert);
    }
    assert!(alerts <= 5, "{alerts} false alerts in 300");
}

fn fx(v: f64) -> Fixed {
    Fixed((v * 1e6).round() as i128 * MICRO)
}

/// Runs a detector over stationary N(0,1) then N(shift,1) from `change`; returns
/// (false alarms before the change, delay to the first alarm after it).
fn run<D: FnMut(Fixed) -> bool>(
    seed: u64,
    change: usize,
    shift: f64,
    mut d: D,
) -> (u32, Option<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut false_alarms = 0;
    for t in 0..change + 2000 {
        let x = normal(&mut rng) + if t >= change { shift } else { 0.0 };
        if d(fx(x)) {
            if t < change {
                false_alarms += 1;
            } else {
                return (false_alarms, Some(t - change));
            }
        }
    }
    (false_alarms, None)
}

/// Each detector: over 100 stationary seeds of 2,000 values, at most the stated number of
/// false alarms; a 1σ mean shift found within the stated delay (mean over seeds). Baselines:
/// always-alarm has delay 0 and 2,000 false alarms per seed; never-alarm never detects.
#[test]
fn detectors_catch_shifts_and_stay_silent() {
    type Make = fn() -> Box<dyn FnMut(Fixed) -> bool>;
    let makers: [(&str, Make, u32, f64); 3] = [
        (
            "cusum",
            || {
                let mut d = Cusum::new(Fixed::ZERO, fx(0.5), fx(12.0));
                Box::new(move |x| d.update(x).is_some())
            },
            3,
            40.0,
        ),
        (
            "page-hinkley",
            || {
                let mut d = PageHinkley::new(fx(0.25), fx(25.0), 30);
                Box::new(move |x| d.update(x).is_some())
            },
            3,
            60.0,
        ),
        (
            "adwin",
            || {
                let mut d = Adwin::new(fx(0.002), fx(8.0));
                Box::new(move |x| d.update(x).is_some())
            },
            3,
            900.0,
        ),
    ];
    for (name, make, max_false, max_delay) in makers {
        let mut false_total = 0;
        let mut delays = Vec::new();
        for seed in 0..100 {
            let (f, delay) = run(seed, 2000, 1.0, make());
            false_total += f;
            delays.push(delay.unwrap_or_else(|| panic!("{name} missed the shift, seed {seed}")));
        }
        let mean = delays.iter().sum::<usize>() as f64 / delays.len() as f64;
        println!(
            "{name}: {false_total} false alarms in 100×2000 stationary values; mean delay {mean:.1} (always-alarm: 0 delay, 200000 false; never-alarm: no detection)"
        );
        assert!(
            false_total <= max_false,
            "{name}: {false_total} false alarms"
        );
        assert!(mean <= max_delay, "{name}: mean delay {mean}");
    }
}

/// CUSUM's statistics against the same recursion in f64.
#[test]
fn cusum_matches_float_reference() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut d = Cusum::new(fx(0.1), fx(0.5), fx(1e9));
    let (mut up, mut down) = (0.0f64, 0.0f64);
    for _ in 0..5000 {
        let x = ((normal(&mut rng) + 0.2) * 1e6).round() / 1e6;
        d.update(fx(x));
        up = (up + x - 0.1 - 0.5).max(0.0);
        down = (down + 0.1 - 0.5 - x).max(0.0);
        let (u, w) = d.statistics();
        assert!((u.to_f64_lossy() - up).abs() < 1e-8 && (w.to_f64_lossy() - down).abs() < 1e-8);
    }
}

#[test]
fn sketch_error_bound_holds_and_memory_is_bounded() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let (a, fa) = sample(&mut rng, 50_000, 0.0, 1.0);
    let (b, fb) = sample(&mut rng, 30_000, 0.1, 1.0);
    let mut sa = QuantileSketch::new(256);
    let mut sb = QuantileSketch::new(256);
    a.iter().for_each(|x| sa.update(*x));
    b.iter().for_each(|x| sb.update(*x));
    assert_eq!((sa.weight(), sa.count()), (50_000, 50_000));
    assert!(sa.retained() <= 256 * 10, "{}", sa.retained());
    // Rank error against the exact ranks, at every decile.
    let mut sorted = a.clone();
    sorted.sort();
    for q in (1..10).map(|i| sorted[i * 5000]) {
        let exact = sorted.partition_point(|v| *v <= q) as u64;
        assert!(sa.rank(q).abs_diff(exact) <= sa.rank_error());
    }
    // KS between sketches is within the stated bound of the exact KS.
    let exact = ks_f(&fa, &fb);
    let est = QuantileSketch::ks(&sa, &sb).to_f64_lossy();
    let bound = sa.ks_error_bound().to_f64_lossy() + sb.ks_error_bound().to_f64_lossy();
    assert!(
        (est - exact).abs() <= bound + 1e-12,
        "{est} {exact} {bound}"
    );
    assert!(bound < 0.1, "bound {bound}");
    // Merging: the merged sketch summarises both streams within the summed bounds.
    let mut m = sa.clone();
    m.merge(&sb);
    assert_eq!(m.weight(), 80_000);
    let mut all = a.clone();
    all.extend(&b);
    all.sort();
    let median = m.quantile(Fixed(500_000_000_000_000_000)).unwrap();
    let r = all.partition_point(|v| *v <= median) as u64;
    assert!(r.abs_diff(40_000) <= m.rank_error() + 1);
}

/// The exact bytes of one report, pinned: a debug build, a `--release` build
/// (`cargo test --release`) and every platform must print these.
#[test]
fn report_bytes_are_pinned() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/drift");
    let read = |w: &str| {
        parse_lines(&std::fs::read_to_string(format!("{dir}/normal_shift.{w}.txt")).unwrap())
            .unwrap()
    };
    let r = DriftReport::compute(&read("baseline"), &read("current"), &DriftConfig::default());
    assert_eq!(
        r.unwrap().to_json(),
        concat!(
            r#"{"verdict":"measured","n_baseline":500,"n_current":400,"ks_statistic":0.1835,"#,
            r#""ks_p_value":0.000000633315408084,"wasserstein_1":0.3749184465,"#,
            r#""psi":0.178439592235226395,"js_distance":0.148182844048894971,"#,
            r#""chi_square":38.084026839406528722,"chi_square_df":9,"bins":10,"#,
            r#""severity":"moderate","alert_level":0.005,"alert":true}"#
        )
    );
}

/// Page–Hinkley's statistics against the same recursion in f64 (truncating fixed-point
/// division loses < 10⁻¹⁸ per step).
#[test]
fn page_hinkley_matches_float_reference() {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let mut d = PageHinkley::new(fx(0.05), fx(1e9), 1);
    let (mut mean, mut up, mut t) = (0.0f64, 0.0f64, 0.0f64);
    for _ in 0..5000 {
        let x = ((normal(&mut rng) + 0.3) * 1e6).round() / 1e6;
        assert!(d.update(fx(x)).is_none());
        t += 1.0;
        mean += (x - mean) / t;
        up = (up + x - mean - 0.05).max(0.0);
    }
    assert!(
        (d.statistics().0.to_f64_lossy() - up).abs() < 1e-7,
        "{:?} {up}",
        d.statistics()
    );
}

/// ADWIN in f64, the same buckets and cut rule: the window widths agree at every step of a
/// stream with two planted changes.
#[test]
fn adwin_matches_float_reference() {
    struct FloatAdwin {
        rows: Vec<Vec<f64>>,
        total: f64,
        width: u64,
        tick: u32,
    }
    impl FloatAdwin {
        fn update(&mut self, x: f64) {
            if self.rows.is_empty() {
                self.rows.push(Vec::new());
            }
            self.rows[0].push(x);
            self.total += x;
            self.width += 1;
            let mut r = 0;
            while r < self.rows.len() && self.rows[r].len() > 5 {
                let a = self.rows[r].remove(0);
                let b = self.rows[r].remove(0);
                if r + 1 == self.rows.len() {
                    self.rows.push(Vec::new());
                }
                self.rows[r + 1].push(a + b);
                r += 1;
            }
            self.tick += 1;
            if self.tick < 32 {
                return;
            }
            self.tick = 0;
            'again: loop {
                let l = (4.0 * self.width as f64 / 0.002).ln();
                let (mut n0, mut s0) = (0u64, 0.0);
                for row in (0..self.rows.len()).rev() {
                    for &b in &self.rows[row] {
                        n0 += 1 << row;
                        s0 += b;
                        let n1 = self.width - n0;
                        if n1 == 0 {
                            break 'again;
                        }
                        let d = s0 / n0 as f64 - (self.total - s0) / n1 as f64;
                        if d * d * 2.0 * n0 as f64 * n1 as f64 >= 4.0 * l * (n0 + n1) as f64 {
                            let top = self.rows.len() - 1;
                            let b = self.rows[top].remove(0);
                            self.total -= b;
                            self.width -= 1 << top;
                            if self.rows[top].is_empty() {
                                self.rows.pop();
                            }
                            continue 'again;
                        }
                    }
                }
                break;
            }
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let mut d = Adwin::new(fx(0.002), fx(2.0));
    let mut f = FloatAdwin {
        rows: Vec::new(),
        total: 0.0,
        width: 0,
        tick: 0,
    };
    for t in 0..6000 {
        let shift = if t < 2000 {
            0.0
        } else if t < 4000 {
            1.0
        } else {
            -0.5
        };
        let x = ((0.3 * normal(&mut rng) + shift) * 1e6).round() / 1e6;
        d.update(fx(x));
        f.update(x);
        assert_eq!(d.width(), f.width, "step {t}");
    }
    assert!(
        d.width() <= 2100,
        "the changes must have shrunk the window: {}",
        d.width()
    );
}

/// Extreme parameters and inputs (an attacker choosing the stream, a misconfigured host) never
/// overflow: slack and thresholds are clamped like the inputs.
#[test]
fn extreme_parameters_do_not_overflow() {
    let big = Fixed(i128::MAX);
    let mut c = Cusum::new(Fixed(i128::MIN), big, big);
    let mut p = PageHinkley::new(big, big, 0);
    let mut a = Adwin::new(big, big);
    for x in [i128::MIN, i128::MAX, 0, -1, i128::MIN] {
        let _ = c.update(Fixed(x));
        let _ = p.update(Fixed(x));
        let _ = a.update(Fixed(x));
    }
    assert!(c.statistics().0.0 >= 0 && p.statistics().1.0 >= 0);
}
