//! Two-sample statistics on sorted samples, exact or within a stated error, in integers.

use ruint::aliases::U256;

use super::DriftError;
use super::fixed::{Fixed, SCALE, ln_ratio, mul_div_round};

/// Proportion given to an empty bin by PSI: 10⁻⁶ as the rational 1/1 000 000.
const PSI_FLOOR_DEN: u128 = 1_000_000;

/// The largest number of bins accepted (bounds the work and the report).
pub const MAX_BINS: usize = 10_000;

/// The two-sample Kolmogorov–Smirnov statistic, exactly: `D = d/(n·m)` with the integer
/// `d = max_x |n_b(x)·m − n_c(x)·n|` over every sample point x.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ks {
    /// `max_x |count_b(≤x)·m − count_c(≤x)·n|`.
    pub d_num: u128,
    /// `n` (baseline size).
    pub n: u128,
    /// `m` (current size).
    pub m: u128,
}

impl Ks {
    /// D rounded to the nearest 10⁻¹⁸.
    pub fn statistic(&self) -> Fixed {
        Fixed(
            mul_div_round(self.d_num, SCALE as u128, self.n * self.m)
                .map_or(0, |v| i128::try_from(v).unwrap_or(SCALE)),
        )
    }

    /// A conservative asymptotic p-value: `min(1, 2·exp(−2·λ²))` with λ² = D²·n·m/(n+m), the
    /// first term of Kolmogorov's series, which bounds the whole series from above
    /// (Kolmogorov 1933; two-sample form Smirnov 1939). With ln/exp error ≤ 10⁻¹⁶.
    pub fn p_value(&self) -> Fixed {
        // 2λ² = 2·d² / (n·m·(n+m)).
        let num = U256::from(self.d_num)
            * U256::from(self.d_num)
            * U256::from(2u8)
            * U256::from(SCALE as u128);
        let den = U256::from(self.n) * U256::from(self.m) * U256::from(self.n + self.m);
        let x = u128::try_from(num / den).unwrap_or(u128::MAX);
        let x = Fixed(i128::try_from(x).unwrap_or(i128::MAX));
        let p = super::fixed::exp_neg(x);
        Fixed((2 * p.0).min(SCALE))
    }
}

/// Exact KS on two **sorted** samples (both non-empty).
pub fn ks(base: &[Fixed], cur: &[Fixed]) -> Ks {
    let (n, m) = (base.len() as u128, cur.len() as u128);
    let (mut i, mut j) = (0usize, 0usize);
    let mut best = 0u128;
    while i < base.len() || j < cur.len() {
        let v = match (base.get(i), cur.get(j)) {
            (Some(a), Some(b)) => *a.min(b),
            (Some(a), None) => *a,
            (None, Some(b)) => *b,
            (None, None) => break,
        };
        while base.get(i) == Some(&v) {
            i += 1;
        }
        while cur.get(j) == Some(&v) {
            j += 1;
        }
        best = best.max((i as u128 * m).abs_diff(j as u128 * n));
    }
    Ks { d_num: best, n, m }
}

/// Wasserstein-1 (earth mover's) distance between the empirical distributions of two **sorted**
/// samples: ∫ |F_b − F_c| dx, summed exactly in 256 bits and rounded once to 10⁻¹⁸.
pub fn wasserstein_1(base: &[Fixed], cur: &[Fixed]) -> Fixed {
    let (n, m) = (base.len() as u128, cur.len() as u128);
    if n == 0 || m == 0 {
        return Fixed::ZERO;
    }
    let (mut i, mut j) = (0usize, 0usize);
    let mut acc = U256::ZERO;
    let mut prev: Option<(Fixed, u128)> = None;
    while i < base.len() || j < cur.len() {
        let v = match (base.get(i), cur.get(j)) {
            (Some(a), Some(b)) => *a.min(b),
            (Some(a), None) => *a,
            (None, Some(b)) => *b,
            (None, None) => break,
        };
        if let Some((pv, gap)) = prev {
            let dx = v.0.abs_diff(pv.0);
            acc += U256::from(dx) * U256::from(gap);
        }
        while base.get(i) == Some(&v) {
            i += 1;
        }
        while cur.get(j) == Some(&v) {
            j += 1;
        }
        prev = Some((v, (i as u128 * m).abs_diff(j as u128 * n)));
    }
    let den = U256::from(n * m);
    let q = (acc + (den >> 1usize)) / den;
    Fixed(i128::try_from(u128::try_from(q).unwrap_or(u128::MAX)).unwrap_or(i128::MAX))
}

/// The PSI bin edges of a **sorted** baseline of n values: x₍⌈i·n/N⌉₎ (1-based order statistics)
/// for i = 1 … N−1. Edges may repeat when the baseline has ties.
pub fn psi_edges(base: &[Fixed], bins: usize) -> Vec<Fixed> {
    let n = base.len();
    (1..bins)
        .filter_map(|i| {
            let idx = (i * n).div_ceil(bins);
            base.get(idx.max(1) - 1).copied()
        })
        .collect()
}

/// Counts per right-closed bin: bin 0 is (−∞, e₁], bin k is (eₖ, eₖ₊₁], the last (e_{N−1}, ∞).
pub fn bin_counts(edges: &[Fixed], values: &[Fixed]) -> Vec<u64> {
    let mut counts = vec![0u64; edges.len() + 1];
    for v in values {
        let k = edges.partition_point(|e| e < v);
        counts[k] += 1;
    }
    counts
}

/// Population stability index over counts `b` (baseline, total n) and `c` (current, total m):
/// Σ (cₖ − bₖ)·ln(cₖ/bₖ) with proportions cₖ = countₖ/m, an empty bin's proportion taken as
/// 10⁻⁶. Each term's error is under 3·10⁻¹⁶ (one rounding of cₖ−bₖ, the ln error times
/// |cₖ − bₖ| ≤ 1, one rounding of the product), so |error| ≤ 3·10⁻¹⁶·N.
pub fn psi_from_counts(b: &[u64], c: &[u64]) -> Fixed {
    let (n, m) = (total(b), total(c));
    let prop = |k: u64, t: u128| -> (u128, u128) {
        if k == 0 {
            (1, PSI_FLOOR_DEN)
        } else {
            (u128::from(k), t)
        }
    };
    let mut sum = Fixed::ZERO;
    for (&bk, &ck) in b.iter().zip(c) {
        let (bn, bd) = prop(bk, n);
        let (cn, cd) = prop(ck, m);
        let (x, y) = (cn * bd, bn * cd); // c/b = x/y
        if x == y {
            continue;
        }
        let diff = i128::try_from(x).unwrap_or(i128::MAX) - i128::try_from(y).unwrap_or(i128::MAX);
        let Some(d) = Fixed::from_ratio(diff, cd * bd) else {
            continue;
        };
        sum = sum.saturating_add(d.mul_round(ln_ratio(x, y)));
    }
    sum
}

/// The Jensen–Shannon distance (natural log, the square root of the divergence, as
/// `scipy.spatial.distance.jensenshannon`) between the bin proportions of `b` and `c`, with
/// 0·ln 0 = 0. |error| ≤ √(N·10⁻¹⁵) at worst, ≤ 10⁻¹⁵ once the divergence exceeds 10⁻⁶.
pub fn js_distance(b: &[u64], c: &[u64]) -> Fixed {
    let (n, m) = (total(b), total(c));
    if n == 0 || m == 0 {
        return Fixed::ZERO;
    }
    let mut jsd = Fixed::ZERO;
    for (&bk, &ck) in b.iter().zip(c) {
        let (bm, cn) = (u128::from(bk) * m, u128::from(ck) * n);
        let mix = bm + cn;
        // ½·p·ln(p/M) with p = bk/n and p/M = 2·bk·m / (bk·m + ck·n); likewise for q.
        for (count, tot, part) in [(bk, n, bm), (ck, m, cn)] {
            if count == 0 {
                continue;
            }
            let Some(half_p) = Fixed::from_ratio(i128::from(count), 2 * tot) else {
                continue;
            };
            jsd = jsd.saturating_add(half_p.mul_round(ln_ratio(2 * part, mix)));
        }
    }
    Fixed(jsd.0.max(0)).sqrt().unwrap_or(Fixed::ZERO)
}

/// Pearson's chi-square statistic of homogeneity for the 2×K table of counts `b` and `c` (for
/// categorical outputs, or the PSI bins), and its degrees of freedom (non-empty columns − 1).
/// Each cell is (O·T − R·C)²/(T·R·C), exact in 256 bits and rounded once: |error| ≤ K·10⁻¹⁸.
pub fn chi_square(b: &[u64], c: &[u64]) -> (Fixed, u64) {
    let (n, m) = (total(b), total(c));
    let t = n + m;
    let mut sum = U256::ZERO;
    let mut cols = 0u64;
    if n == 0 || m == 0 {
        return (Fixed::ZERO, 0);
    }
    for (&bk, &ck) in b.iter().zip(c) {
        let col = u128::from(bk) + u128::from(ck);
        if col == 0 {
            continue;
        }
        cols += 1;
        for (o, r) in [(u128::from(bk), n), (u128::from(ck), m)] {
            let d = (o * t).abs_diff(r * col);
            let num = U256::from(d) * U256::from(d) * U256::from(SCALE as u128);
            let den = U256::from(t) * U256::from(r) * U256::from(col);
            sum += (num + (den >> 1usize)) / den;
        }
    }
    let v = i128::try_from(u128::try_from(sum).unwrap_or(u128::MAX)).unwrap_or(i128::MAX);
    (Fixed(v), cols.saturating_sub(1))
}

fn total(v: &[u64]) -> u128 {
    v.iter().map(|&x| u128::from(x)).sum()
}

/// Parses one decimal number per line (blank lines skipped) into fixed point, exactly.
pub fn parse_lines(text: &str) -> Result<Vec<Fixed>, DriftError> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            Fixed::parse(l).map_err(|e| DriftError::Line {
                line: i + 1,
                source: Box::new(e),
            })
        })
        .collect()
}
