//! The sampling planner: from the job's reward R, the provider's saving from cheating on one
//! request C and the slash S, the rate p ≥ C/(R+S) that makes cheating unprofitable in
//! expectation (a cheat caught with probability p forfeits R + S, so p·(R+S) ≥ C), and the
//! detection probability 1 − (1−p)ⁿ within n cheats.
//!
//! Rates are in parts per million (ppm), rounded **up** so the inequality always holds; the
//! probability is computed in [`Fixed`] by exact square-and-multiply (each product rounded, so
//! within n·10⁻¹⁸ of the true value).

use crate::drift::Fixed;
use crate::drift::fixed::{SCALE, mul_div_round};

/// One million: the ppm denominator.
pub const PPM: u64 = 1_000_000;

/// The plan for a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SamplingPlan {
    /// The sampling rate, ppm (1 ..= 1 000 000).
    pub rate_ppm: u64,
}

impl SamplingPlan {
    /// The smallest rate ≥ C/(R+S) (at least `floor_ppm`, at most 100 %). With R + S = 0 every
    /// request is checked.
    pub fn new(reward: u128, cheat_saving: u128, slash: u128, floor_ppm: u64) -> SamplingPlan {
        let stake = reward.saturating_add(slash);
        let need = if stake == 0 {
            PPM
        } else {
            let num = ruint::aliases::U256::from(cheat_saving) * ruint::aliases::U256::from(PPM);
            let den = ruint::aliases::U256::from(stake);
            u64::try_from(num.div_ceil(den)).unwrap_or(PPM)
        };
        SamplingPlan {
            rate_ppm: need.max(floor_ppm).clamp(1, PPM),
        }
    }

    /// A plan at a given rate (clamped to 1 ..= 10⁶ ppm).
    pub fn at_rate(rate_ppm: u64) -> SamplingPlan {
        SamplingPlan {
            rate_ppm: rate_ppm.clamp(1, PPM),
        }
    }

    /// The probability that at least one of `cheats` cheated requests is sampled:
    /// 1 − (1−p)ⁿ.
    pub fn detection_probability(&self, cheats: u64) -> Fixed {
        let miss = Fixed(i128::from(PPM - self.rate_ppm) * (SCALE / i128::from(PPM)));
        Fixed(SCALE - pow(miss, cheats).0)
    }

    /// The fewest cheats after which detection probability reaches `confidence` (≤ 1 − 10⁻¹⁸);
    /// `None` if the rate can never get there within 2⁴⁰ cheats.
    pub fn cheats_to_detect(&self, confidence: Fixed) -> Option<u64> {
        let (mut lo, mut hi) = (0u64, 1u64 << 40);
        if self.detection_probability(hi) < confidence {
            return None;
        }
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.detection_probability(mid) >= confidence {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Some(lo)
    }

    /// A one-line statement for the report, e.g.
    /// `"p = 5.0 %: ≥ 99.9 % detection within 135 cheats"`.
    pub fn statement(&self, confidence: Fixed) -> String {
        let pct = Fixed(i128::from(self.rate_ppm) * (SCALE / 10_000));
        let conf = Fixed(confidence.0 * 100);
        match self.cheats_to_detect(confidence) {
            Some(n) => format!("p = {pct} %: >= {conf} % detection within {n} cheats"),
            None => format!("p = {pct} %: {conf} % detection not reached"),
        }
    }
}

fn pow(mut base: Fixed, mut e: u64) -> Fixed {
    let mul = |a: Fixed, b: Fixed| {
        Fixed(
            mul_div_round(a.unsigned_abs(), b.unsigned_abs(), SCALE as u128)
                .and_then(|v| i128::try_from(v).ok())
                .unwrap_or(0),
        )
    };
    let mut acc = Fixed::ONE;
    while e > 0 {
        if e & 1 == 1 {
            acc = mul(acc, base);
        }
        base = mul(base, base);
        e >>= 1;
    }
    acc
}
