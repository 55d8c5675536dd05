//! Observers: sans-IO machines that turn what an alignment node sees on chain and on the
//! network into duties in a [`DutyLedger`](crate::duty::DutyLedger).
//!
//! One submodule per role. Each observer is a [`zg_core::machine::Machine`]: inputs are what the
//! host saw (never fetched by the machine), outputs are events (a failure with its evidence
//! hash, evidence to forward). Each verifies an input completely before it changes anything, and
//! never ends a duty as failed without an evidence hash that a third party can re-check from the
//! inputs named in the observer's docs.

pub mod da;
pub mod serving;
pub mod storage;
pub mod validator;

/// Why an observer refused an input (the machine is unchanged).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ObserveError {
    /// The input must come from the configured chain node and did not.
    #[error("observation not from the configured chain node")]
    NotFromChain,
    /// A certificate or signature does not verify.
    #[error("invalid certificate or signature")]
    Invalid,
    /// The input is for another network, epoch or partition than the observer's.
    #[error("observation for another {field}")]
    WrongDomain {
        /// Which field differs.
        field: &'static str,
    },
    /// The input was already counted.
    #[error("already observed")]
    Duplicate,
    /// The observer's stated bound is reached.
    #[error("bound of {max} {what} reached")]
    Bound {
        /// What is bounded.
        what: &'static str,
        /// The bound.
        max: usize,
    },
    /// The ledger refused the duty.
    #[error(transparent)]
    Duty(#[from] crate::duty::DutyError),
}
