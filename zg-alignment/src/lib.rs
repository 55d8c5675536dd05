//! zg-alignment: what an alignment node runs — the AI checks (TOPLOC inference proofs, the
//! re-execution ladder, deterministic fixed-point drift statistics, poisoning monitors) and the
//! licence economy (node sale, ERC-721 licences, signed check-ins, daily vesting).
//!
//! Every verdict is computed in integer or fixed-point arithmetic, so two honest nodes fed the
//! same inputs produce the same bytes on any platform. The storage/DA/validator/serving audits
//! and co-signed epoch reports are not built yet.
//!
//! ## AI checks
//! * [`drift`]: two-sample drift statistics (KS, Wasserstein-1, PSI, Jensen–Shannon,
//!   chi-square), online change detectors (CUSUM, Page–Hinkley, ADWIN) and a quantile sketch,
//!   all in deterministic integer/fixed-point arithmetic so reports are identical bytes on every
//!   platform; severity (effect size) apart from the alert gate (significance, family-wise α
//!   over subjects and time); too few samples is `NotMeasured`, never a pass.
//! * [`toploc`]: TOPLOC inference proofs byte-compatible with the `toploc` package (258-byte
//!   proofs, base64), prove and verify with the C++ verifier's conventions, the
//!   under-specified points and the blind spots stated.
//! * [`ladder`]: the re-execution ladder — the sampling planner (p ≥ C/(R+S), detection
//!   probability stated), VRF-drawn sampling after the fact, the commitment and re-execution
//!   rungs, and the referee that bisects two traces and re-executes one step in integers.
//! * [`poison`]: poisoning monitors for decentralized training — sample provenance by storage
//!   root, seeded trainer assignment, per-contributor CUSUMs on update direction and norm
//!   against a coordinate-wise median / trimmed mean, and MinHash near-duplicate bursts; every
//!   alarm names the contributor and carries its evidence.
//!
//! ```
//! use zg_alignment::drift::{DriftConfig, DriftReport, Fixed, Measured};
//! let base: Vec<Fixed> = (0..200).map(|i| Fixed::from_int(i % 50)).collect();
//! let cur: Vec<Fixed> = (0..200).map(|i| Fixed::from_int(i % 50 + 10)).collect();
//! let Measured::Measured(r) = DriftReport::compute(&base, &cur, &DriftConfig::default())? else {
//!     unreachable!("200 values is enough");
//! };
//! assert_eq!(r.ks_statistic, Fixed::parse("0.2")?);
//! assert!(r.alert);
//! # Ok::<(), zg_alignment::drift::DriftError>(())
//! ```
//!
//! ### Threat model of the AI checks
//! * **Providers** choose their outputs, proofs and activations; they do not know the epoch seed
//!   or the auditor's VRF key before serving, so they cannot tell which requests will be
//!   re-executed ([`ladder::sampling`]). Proofs are decoded strictly (exact length, canonical
//!   coefficients, modulus in k..=65 497) before anything is evaluated.
//! * **Contributors** to training choose samples and updates. Monitors key state by the
//!   transport-authenticated submitter, never by a field of the body; provenance, duplicate
//!   and update state are bounded (per contributor and total; see each type) and refused
//!   submissions create no state. Results never depend on the order of a round's updates.
//! * **Streams** fed to drift detectors are untrusted: values and parameters are clamped, every
//!   sum is saturating or 256-bit, and text is parsed exactly or rejected.
//! * Out of scope: the model itself and its re-execution (the host's), receipt signatures (the
//!   serving lane's), and what TOPLOC cannot see (negated activations, final-layer fp8 rounding;
//!   see [`toploc`]), which is why sampled re-execution exists.
//!
//! Panic policy: untrusted inputs (decimal text, streams, counts) never panic; every failure
//! is a typed error. `//!
#![doc = include_str!("economy/README.md")]
#![doc = include_str!("audits.md")]
#![forbid(unsafe_code)]
// Test code may truncate freely: a wrong cast there fails the test, not a user.
#![cfg_attr(test, allow(clippy::cast_possible_truncation))]

pub mod assign;
pub mod drift;
pub mod duty;
pub mod economy;
pub mod ladder;
pub mod observe;
pub mod poison;
pub mod report;
pub mod toploc;

pub use economy::{
    Address, Economy, EconomyConfig, EconomyError, LicenceId, RewardPool, SaleConfig,
};

pub use assign::{AssignError, Assignment};
pub use duty::{DutyError, DutyLedger, DutyRecord, Policy, Role, Subject, Verdict};
pub use report::{Alert, EpochReport, QuorumReport, ReportError, ReportSignature, Severity};
