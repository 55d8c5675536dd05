//! The error type of zg-core.

/// Everything that can go wrong in zg-core. Untrusted input gets one of these, never a panic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A byte string had the wrong length.
    #[error("invalid length: expected {expected} bytes, got {got}")]
    InvalidLength {
        /// The length required.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A hex string was malformed or of the wrong length.
    #[error("invalid hex string")]
    InvalidHex,
    /// Input that must not be empty was empty (0G has no root for an empty file).
    #[error("empty input")]
    EmptyInput,
    /// An index was outside its range.
    #[error("index {index} out of range (length {len})")]
    IndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// The number of valid indices.
        len: u64,
    },
    /// A size does not fit the structure (not a power of two, too large, not aligned).
    #[error("invalid size {size}: {reason}")]
    InvalidSize {
        /// The size given.
        size: u64,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A Merkle proof has an impossible shape (lemma/path lengths, depth for its tree).
    #[error("malformed merkle proof: {0}")]
    MalformedProof(&'static str),
    /// A Merkle proof does not prove the claimed leaf at the claimed position under the root.
    #[error("invalid merkle proof")]
    InvalidProof,
    /// Encoded bytes could not be decoded.
    #[error("decode error: {0}")]
    Decode(&'static str),
    /// Token arithmetic would exceed the amount type.
    #[error("amount overflow")]
    AmountOverflow,
    /// Token arithmetic would go below zero.
    #[error("amount underflow")]
    AmountUnderflow,
    /// Division by zero in token arithmetic.
    #[error("division by zero")]
    DivisionByZero,
}
