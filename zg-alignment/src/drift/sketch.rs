//! A bounded-memory, mergeable quantile sketch that knows its own worst-case rank error.
//!
//! A hierarchy of compactors (Manku, Rajagopalan & Lindsay, SIGMOD 1998; the layout of KLL,
//! Karnin, Lang & Liberty, FOCS 2016, without its randomness): level h holds values of weight
//! 2ʰ, at most `k` of them. A full level is sorted and every other value (the offset alternating
//! deterministically per level) is promoted to level h+1 with twice the weight; an odd one out
//! stays. One compaction at level h moves any rank estimate by at most 2ʰ, so the sketch adds
//! 2ʰ to its `rank_error` each time: for every x, |rank̂(x) − rank(x)| ≤ `rank_error`, and the
//! KS distance between the sketch's CDF and the stream's is at most
//! [`ks_error_bound`](QuantileSketch::ks_error_bound) = `rank_error / n`. In the worst case: level
//! h receives at most n/2ʰ values and each compaction there consumes at least k−1 of them, so it
//! compacts at most n/(2ʰ(k−1)) times and adds at most n/(k−1); with at most ⌈log₂(n/k)⌉+1
//! compacting levels the KS error is at most (⌈log₂(n/k)⌉+1)/(k−1) (k = 256, n = 10⁶: ≤ 5.5 %).
//! The tracked value is usually far smaller (the test sees ≈ 3 % bound, far less actual error).
//!
//! Memory: at most `k` values per level and 64 levels, so ≤ 64·k values whatever n is (in
//! practice ⌈log₂(n/k)⌉+1 levels).

use super::fixed::{Fixed, SCALE, mul_div_round};

/// The quantile sketch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuantileSketch {
    k: usize,
    levels: Vec<Vec<Fixed>>,
    n: u64,
    rank_error: u64,
    parity: u64,
}

/// Most levels a sketch keeps (weights up to 2⁶³).
pub const MAX_LEVELS: usize = 64;

impl QuantileSketch {
    /// A sketch with at most `k` values per level (`k` is raised to at least 8).
    pub fn new(k: usize) -> QuantileSketch {
        QuantileSketch {
            k: k.max(8),
            levels: vec![Vec::new()],
            n: 0,
            rank_error: 0,
            parity: 0,
        }
    }

    /// Values seen.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// The guaranteed bound on |rank̂(x) − rank(x)|, in values.
    pub fn rank_error(&self) -> u64 {
        self.rank_error
    }

    /// The guaranteed bound on the KS distance between this sketch's CDF and the stream's.
    pub fn ks_error_bound(&self) -> Fixed {
        if self.n == 0 {
            return Fixed::ZERO;
        }
        let v = mul_div_round(
            u128::from(self.rank_error),
            SCALE as u128,
            u128::from(self.n),
        );
        Fixed(
            v.and_then(|v| i128::try_from(v).ok())
                .unwrap_or(SCALE)
                .min(SCALE),
        )
    }

    /// Values held (the memory in use is this many `Fixed`s).
    pub fn retained(&self) -> usize {
        self.levels.iter().map(Vec::len).sum()
    }

    /// Adds one value.
    pub fn update(&mut self, x: Fixed) {
        self.levels[0].push(x);
        self.n = self.n.saturating_add(1);
        self.compact_from(0);
    }

    /// Folds `other` in: afterwards this sketch summarises both streams, with the error bounds
    /// added (plus whatever the merge's own compactions add).
    pub fn merge(&mut self, other: &QuantileSketch) {
        for (h, lv) in other.levels.iter().enumerate().take(MAX_LEVELS) {
            if h == self.levels.len() {
                self.levels.push(Vec::new());
            }
            self.levels[h].extend_from_slice(lv);
        }
        self.n = self.n.saturating_add(other.n);
        self.rank_error = self.rank_error.saturating_add(other.rank_error);
        self.compact_from(0);
    }

    fn compact_from(&mut self, start: usize) {
        let mut h = start;
        while h < self.levels.len() {
            // The top level may grow beyond k rather than exceed MAX_LEVELS.
            if self.levels[h].len() >= self.k && h + 1 < MAX_LEVELS {
                self.compact(h);
            }
            h += 1;
        }
    }

    fn compact(&mut self, h: usize) {
        let mut lv = std::mem::take(&mut self.levels[h]);
        lv.sort_unstable();
        let keep = if lv.len() % 2 == 1 { lv.pop() } else { None };
        let offset = usize::from((self.parity >> h) & 1 == 1);
        self.parity ^= 1 << h;
        let up: Vec<Fixed> = lv.iter().skip(offset).step_by(2).copied().collect();
        if h + 1 == self.levels.len() {
            self.levels.push(Vec::new());
        }
        self.levels[h + 1].extend(up);
        self.levels[h].extend(keep);
        self.rank_error = self.rank_error.saturating_add(1 << h);
    }

    /// The estimated number of values ≤ x.
    pub fn rank(&self, x: Fixed) -> u64 {
        self.levels
            .iter()
            .enumerate()
            .map(|(h, lv)| (lv.iter().filter(|v| **v <= x).count() as u64) << h)
            .sum()
    }

    /// Total weight held (always equals [`count`](Self::count)).
    pub fn weight(&self) -> u64 {
        self.levels
            .iter()
            .enumerate()
            .map(|(h, lv)| (lv.len() as u64) << h)
            .sum()
    }

    /// The weighted values, sorted.
    fn weighted(&self) -> Vec<(Fixed, u64)> {
        let mut v: Vec<(Fixed, u64)> = self
            .levels
            .iter()
            .enumerate()
            .flat_map(|(h, lv)| lv.iter().map(move |x| (*x, 1u64 << h)))
            .collect();
        v.sort_unstable();
        v
    }

    /// The estimated q-quantile (q ∈ [0, 1]): the smallest held value whose estimated rank
    /// reaches ⌈q·n⌉; `None` when empty.
    pub fn quantile(&self, q: Fixed) -> Option<Fixed> {
        let w = self.weighted();
        let target = mul_div_round(
            u128::from(self.n),
            q.0.clamp(0, SCALE).unsigned_abs(),
            SCALE as u128,
        )?;
        let mut acc = 0u128;
        for (x, wt) in &w {
            acc += u128::from(*wt);
            if acc >= target {
                return Some(*x);
            }
        }
        w.last().map(|p| p.0)
    }

    /// The KS distance between the CDFs of two sketches; the true KS distance of the two
    /// streams is within `a.ks_error_bound() + b.ks_error_bound()` of it.
    pub fn ks(a: &QuantileSketch, b: &QuantileSketch) -> Fixed {
        let (wa, wb) = (a.weighted(), b.weighted());
        let (n, m) = (u128::from(a.n.max(1)), u128::from(b.n.max(1)));
        let (mut i, mut j) = (0usize, 0usize);
        let (mut ra, mut rb) = (0u128, 0u128);
        let mut best = 0u128;
        while i < wa.len() || j < wb.len() {
            let v = match (wa.get(i), wb.get(j)) {
                (Some(x), Some(y)) => x.0.min(y.0),
                (Some(x), None) => x.0,
                (None, Some(y)) => y.0,
                (None, None) => break,
            };
            while let Some(p) = wa.get(i).filter(|p| p.0 == v) {
                ra += u128::from(p.1);
                i += 1;
            }
            while let Some(p) = wb.get(j).filter(|p| p.0 == v) {
                rb += u128::from(p.1);
                j += 1;
            }
            best = best.max((ra * m).abs_diff(rb * n));
        }
        let v = mul_div_round(best, SCALE as u128, n * m).unwrap_or(SCALE as u128);
        Fixed(i128::try_from(v).unwrap_or(SCALE))
    }
}
