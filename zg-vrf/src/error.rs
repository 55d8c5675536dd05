//! The error type of zg-vrf.

/// Everything that can go wrong in zg-vrf. Untrusted input gets one of these, never a panic.
///
/// Verification failures are opaque ([`Error::InvalidProof`]): they say that a proof does not
/// verify, not which equation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A byte string had the wrong length.
    #[error("invalid length for {what}: expected {expected} bytes, got {got}")]
    InvalidLength {
        /// What was being decoded.
        what: &'static str,
        /// The length required.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A public key failed RFC 9381 §5.4.5 `ECVRF_validate_key` (or its `string_to_point`).
    #[error("invalid public key: {reason}")]
    InvalidPublicKey {
        /// Which check failed.
        reason: &'static str,
    },
    /// A proof string failed RFC 9381 §5.4.4 `ECVRF_decode_proof`.
    #[error("malformed proof: {reason}")]
    MalformedProof {
        /// Which check failed.
        reason: &'static str,
    },
    /// The proof does not verify for this public key and input.
    #[error("invalid proof")]
    InvalidProof,
    /// Try-and-increment found no curve point in 256 tries (probability about 2^-256).
    #[error("hash to curve failed: no valid point in 256 tries")]
    HashToCurveFailed,
    /// Sortition or committee parameters are out of range.
    #[error("invalid parameters: {reason}")]
    InvalidParameters {
        /// What is wrong.
        reason: &'static str,
    },
    /// A committee claim is inconsistent with the stake table or the rules.
    #[error("invalid claim from member {index}: {reason}")]
    InvalidClaim {
        /// Index of the member in the stake table.
        index: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A stake table row was refused (see [`StakeTable::new`](crate::StakeTable::new)).
    #[error("invalid registration of node {node:?}: {reason}")]
    InvalidRegistration {
        /// The node whose row was refused.
        node: zg_core::NodeId,
        /// What is wrong.
        reason: &'static str,
    },
    /// A committee is not the one its claims select.
    #[error("committee does not match its claims")]
    CommitteeMismatch,
    /// Stake arithmetic failed (overflow).
    #[error(transparent)]
    Core(#[from] zg_core::Error),
}
