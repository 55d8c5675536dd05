//! zg-serving (in progress).
#![forbid(unsafe_code)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::cast_possible_truncation
    )
)]

pub mod batch;
pub mod eip712;
mod error;
pub mod eth;
pub mod ledger;
pub mod settlement;

pub use error::{Error, LedgerError};
