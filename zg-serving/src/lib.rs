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
pub mod protocol;
pub mod provider;
pub mod session;
pub mod settlement;
pub mod user;

pub use error::{Error, LedgerError};
