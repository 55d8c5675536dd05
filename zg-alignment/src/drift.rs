//! Model-drift detection in deterministic fixed point.
//!
//! Everything that decides a verdict is integer arithmetic on [`Fixed`] (10⁻¹⁸ units): the same
//! inputs give the same bytes on every platform and build, so a committee can co-sign a report.
//! No float or libm is used outside the tests (where floats are the reference).
//!
//! * Two-sample statistics ([`stats`]): Kolmogorov–Smirnov (exact), Wasserstein-1 (exact sum,
//!   one rounding), PSI, Jensen–Shannon distance and chi-square, each with its error stated.
//! * [`DriftReport::compute`]: all of them over a baseline and a current window, a severity
//!   (effect size, from PSI) kept apart from the alert (significance, from the KS p-value under
//!   an [`AlertGate`]), and [`Measured::NotMeasured`] when either window is too small — never a
//!   pass.
//! * Online change detectors ([`detect`]): two-sided CUSUM, Page–Hinkley and ADWIN, each a small
//!   fixed-size (ADWIN: logarithmic) state updated in O(1) amortised integer steps.
//! * A bounded-memory quantile sketch ([`sketch`]) that tracks its own worst-case rank error, so
//!   the KS error of a sketched window is stated exactly (`ks_error_bound`).
//!
//! ## PSI, exactly as computed
//! With the baseline sorted as x₍₁₎ ≤ … ≤ x₍ₙ₎ and N bins, the edges are eᵢ = x₍⌈i·n/N⌉₎ for
//! i = 1 … N−1; bins are right-closed: (−∞, e₁], (e₁, e₂], …, (e_{N−1}, ∞). Proportions are
//! count/total, an empty bin's proportion is 10⁻⁶ (a non-empty bin keeps its own, even when
//! smaller), and PSI = Σ (cₖ − bₖ)·ln(cₖ/bₖ).
//!
//! ## False alarms across subjects and time
//! An [`AlertGate`] with family-wise level α over S monitored subjects (models, streams) spends
//! α/(S·t·(t+1)) at the t-th test of each subject (t = 1, 2, …). Since Σₜ 1/(t(t+1)) = 1, the
//! union bound keeps the probability of any false alert, over all subjects and all time, ≤ α
//! (Bonferroni across subjects, alpha-spending across time). The KS p-value used is the
//! conservative bound 2·e^(−2λ²), so the stated rate holds for large windows; windows under
//! `min_samples` are `NotMeasured`.

pub mod detect;
pub mod fixed;
pub mod sketch;
pub mod stats;

pub use fixed::Fixed;

/// What can go wrong reading or measuring drift inputs.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DriftError {
    /// The text is not a decimal number.
    #[error("not a decimal number: {text:?}")]
    Parse {
        /// The offending text (first 40 characters).
        text: String,
    },
    /// The number needs more than 18 fractional digits (it would have to be rounded).
    #[error("{text:?} is not exact in 18 fractional digits")]
    Inexact {
        /// The offending text (first 40 characters).
        text: String,
    },
    /// The number's magnitude exceeds 10²⁰.
    #[error("{text:?} is out of range (|x| > 1e20)")]
    OutOfRange {
        /// The offending text (first 40 characters).
        text: String,
    },
    /// A line of an input file failed to parse.
    #[error("line {line}: {source}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What was wrong with it.
        source: Box<DriftError>,
    },
    /// A configuration value is out of its range.
    #[error("invalid configuration: {what}")]
    Config {
        /// Which value and why.
        what: &'static str,
    },
}

/// The alert gate: family-wise false-alarm level α spread over subjects and time (module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlertGate {
    /// Family-wise level α over all subjects and all time.
    pub alpha: Fixed,
    /// Number of monitored subjects S (≥ 1).
    pub subjects: u64,
}

impl Default for AlertGate {
    fn default() -> Self {
        AlertGate {
            alpha: Fixed(SCALE_ALPHA),
            subjects: 1,
        }
    }
}

const SCALE_ALPHA: i128 = fixed::SCALE / 100;

impl AlertGate {
    /// The level spent on the `step`-th test (1-based) of one subject: α/(S·t·(t+1)).
    pub fn level(&self, step: u64) -> Fixed {
        let t = u128::from(step.max(1));
        let den = u128::from(self.subjects.max(1))
            .saturating_mul(t)
            .saturating_mul(t + 1);
        Fixed(self.alpha.0.max(0) / i128::try_from(den).unwrap_or(i128::MAX))
    }
}

/// Severity of a drift: the effect size, independent of whether it is significant. Bands on PSI
/// are the customary ones (< 0.1 none, < 0.25 moderate, else major).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// PSI < 0.1.
    None,
    /// 0.1 ≤ PSI < 0.25.
    Moderate,
    /// PSI ≥ 0.25.
    Major,
}

impl Severity {
    /// The band of a PSI value.
    pub fn from_psi(psi: Fixed) -> Severity {
        if psi.0 < fixed::SCALE / 10 {
            Severity::None
        } else if psi.0 < fixed::SCALE / 4 {
            Severity::Moderate
        } else {
            Severity::Major
        }
    }

    /// Lower-case name as printed in reports.
    pub fn name(self) -> &'static str {
        match self {
            Severity::None => "none",
            Severity::Moderate => "moderate",
            Severity::Major => "major",
        }
    }
}

/// How a drift report is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DriftConfig {
    /// PSI / JS / chi-square bins N (1 ≤ N ≤ [`stats::MAX_BINS`]); default 10.
    pub bins: usize,
    /// Fewer values than this in either window gives [`Measured::NotMeasured`]; default 50.
    pub min_samples: usize,
    /// The alert gate; default α = 0.01 over one subject.
    pub gate: AlertGate,
    /// Which test of this subject this is (1-based), for the gate's spending; default 1.
    pub step: u64,
}

impl Default for DriftConfig {
    fn default() -> Self {
        DriftConfig {
            bins: 10,
            min_samples: 50,
            gate: AlertGate::default(),
            step: 1,
        }
    }
}

/// A full two-sample drift report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DriftReport {
    /// Baseline size n.
    pub n_baseline: usize,
    /// Current size m.
    pub n_current: usize,
    /// Exact KS statistic D.
    pub ks_statistic: Fixed,
    /// Conservative KS p-value (2·e^(−2λ²), capped at 1).
    pub ks_p_value: Fixed,
    /// Wasserstein-1 distance.
    pub wasserstein_1: Fixed,
    /// Population stability index over `bins` bins.
    pub psi: Fixed,
    /// Jensen–Shannon distance over the same bins.
    pub js_distance: Fixed,
    /// Chi-square of homogeneity over the same bins.
    pub chi_square: Fixed,
    /// Its degrees of freedom.
    pub chi_square_df: u64,
    /// Bins used.
    pub bins: usize,
    /// Effect size band.
    pub severity: Severity,
    /// The gate's level for this test.
    pub alert_level: Fixed,
    /// `ks_p_value ≤ alert_level`.
    pub alert: bool,
}

/// A report, or why none could be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Measured {
    /// Both windows were large enough.
    Measured(DriftReport),
    /// A window was smaller than `min_samples`: no verdict (never a pass).
    NotMeasured {
        /// Baseline size.
        n_baseline: usize,
        /// Current size.
        n_current: usize,
        /// The minimum required of each.
        min_samples: usize,
    },
}

impl DriftReport {
    /// Computes every statistic of `baseline` against `current` (any order; sorted here).
    pub fn compute(
        baseline: &[Fixed],
        current: &[Fixed],
        cfg: &DriftConfig,
    ) -> Result<Measured, DriftError> {
        if cfg.bins == 0 || cfg.bins > stats::MAX_BINS {
            return Err(DriftError::Config {
                what: "bins must be in 1..=10000",
            });
        }
        let min = cfg.min_samples.max(1);
        if baseline.len() < min || current.len() < min {
            return Ok(Measured::NotMeasured {
                n_baseline: baseline.len(),
                n_current: current.len(),
                min_samples: min,
            });
        }
        let mut b = baseline.to_vec();
        let mut c = current.to_vec();
        b.sort_unstable();
        c.sort_unstable();
        let ks = stats::ks(&b, &c);
        let edges = stats::psi_edges(&b, cfg.bins);
        let bc = stats::bin_counts(&edges, &b);
        let cc = stats::bin_counts(&edges, &c);
        let psi = stats::psi_from_counts(&bc, &cc);
        let (chi, df) = stats::chi_square(&bc, &cc);
        let p = ks.p_value();
        let level = cfg.gate.level(cfg.step);
        Ok(Measured::Measured(DriftReport {
            n_baseline: b.len(),
            n_current: c.len(),
            ks_statistic: ks.statistic(),
            ks_p_value: p,
            wasserstein_1: stats::wasserstein_1(&b, &c),
            psi,
            js_distance: stats::js_distance(&bc, &cc),
            chi_square: chi,
            chi_square_df: df,
            bins: cfg.bins,
            severity: Severity::from_psi(psi),
            alert_level: level,
            alert: p <= level,
        }))
    }

    /// One JSON object, keys in a fixed order, numbers as exact decimals: identical bytes for
    /// identical inputs.
    pub fn to_json(&self) -> String {
        format!(
            concat!(
                "{{\"verdict\":\"measured\",\"n_baseline\":{},\"n_current\":{},",
                "\"ks_statistic\":{},\"ks_p_value\":{},\"wasserstein_1\":{},\"psi\":{},",
                "\"js_distance\":{},\"chi_square\":{},\"chi_square_df\":{},\"bins\":{},",
                "\"severity\":\"{}\",\"alert_level\":{},\"alert\":{}}}"
            ),
            self.n_baseline,
            self.n_current,
            self.ks_statistic,
            self.ks_p_value,
            self.wasserstein_1,
            self.psi,
            self.js_distance,
            self.chi_square,
            self.chi_square_df,
            self.bins,
            self.severity.name(),
            self.alert_level,
            self.alert
        )
    }
}

impl Measured {
    /// The report's JSON (see [`DriftReport::to_json`]); `NotMeasured` prints its sizes with
    /// `"alert":null`.
    pub fn to_json(&self) -> String {
        match self {
            Measured::Measured(r) => r.to_json(),
            Measured::NotMeasured {
                n_baseline,
                n_current,
                min_samples,
            } => format!(
                "{{\"verdict\":\"not_measured\",\"n_baseline\":{n_baseline},\"n_current\":{n_current},\"min_samples\":{min_samples},\"ks_statistic\":null,\"wasserstein_1\":null,\"psi\":null,\"severity\":null,\"alert\":null}}"
            ),
        }
    }
}

#[cfg(test)]
mod tests;
