//! zg-pora: 0G sealing and Proof of Random Access (work in progress).
#![forbid(unsafe_code)]
// Test code may truncate freely: a wrong cast there fails the test, not a user.
#![cfg_attr(test, allow(clippy::cast_possible_truncation))]

mod error;
mod hash;
pub mod pora;
pub mod seal;

pub use error::VerifyError;
pub use pora::{
    PadSeed, QualityBound, RecallRange, Scratchpad, ShardConfig, compute_pora_hash,
    compute_scratch_pad, pad_seed,
};
pub use ruint::aliases::U256;
pub use seal::{SuffixLengthError, seal, unseal, unseal_suffix};
