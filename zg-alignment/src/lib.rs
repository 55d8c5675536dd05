//! Alignment nodes that watch every other lane (not built yet).
//!
//! This crate will hold the checks an alignment node runs: PoRA liveness and retrieval audits, DA
//! signing and sampling audits, validator equivocation watching, re-execution of sampled inference,
//! and model-drift statistics in fixed-point arithmetic, with signed reports and rewards.
//!
#![doc = include_str!("economy/README.md")]
#![doc = include_str!("audits.md")]
#![forbid(unsafe_code)]
// Test code may truncate freely: a wrong cast there fails the test, not a user.
#![cfg_attr(test, allow(clippy::cast_possible_truncation))]

pub mod assign;
pub mod duty;
pub mod economy;
pub mod observe;
pub mod report;

pub use economy::{
    Address, Economy, EconomyConfig, EconomyError, LicenceId, RewardPool, SaleConfig,
};

pub use assign::{AssignError, Assignment};
pub use duty::{DutyError, DutyLedger, DutyRecord, Policy, Role, Subject, Verdict};
pub use report::{Alert, EpochReport, QuorumReport, ReportError, ReportSignature, Severity};
