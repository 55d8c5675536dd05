//! The error type of zg-consensus.

/// Everything that can go wrong. Untrusted input gets one of these, never a panic; verification
/// failures are opaque.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A validator set or stake table is unusable (empty, duplicate keys, zero or overflowing
    /// stake, too many validators).
    #[error("invalid validator set: {0}")]
    InvalidValidatorSet(&'static str),
    /// A proof of possession did not verify.
    #[error("invalid proof of possession")]
    InvalidProofOfPossession,
    /// A signature did not verify.
    #[error("invalid signature")]
    InvalidSignature,
    /// A certificate did not verify (bad signature, too little stake, wrong shape).
    #[error("invalid certificate")]
    InvalidCertificate,
    /// A message names a partition this node does not run.
    #[error("unknown partition {partition}")]
    UnknownPartition {
        /// The partition named.
        partition: u32,
    },
    /// No validator set is known for the epoch.
    #[error("unknown epoch {epoch}")]
    UnknownEpoch {
        /// The epoch named.
        epoch: u64,
    },
    /// A validator index is out of range for its epoch.
    #[error("unknown validator {index} in epoch {epoch}")]
    UnknownValidator {
        /// The index given.
        index: u16,
        /// The epoch.
        epoch: u64,
    },
    /// A proposal is not from the proposer of its round.
    #[error("proposal for {height}/{round} not from its proposer")]
    WrongProposer {
        /// Height.
        height: u64,
        /// Round.
        round: u32,
    },
    /// The epoch in a message is not the epoch of its height.
    #[error("height {height} belongs to epoch {expected}, message says {got}")]
    EpochMismatch {
        /// The height.
        height: u64,
        /// The epoch that height belongs to.
        expected: u64,
        /// The epoch the message carries.
        got: u64,
    },
    /// Equivocation evidence is malformed or does not verify.
    #[error("invalid evidence: {0}")]
    InvalidEvidence(&'static str),
    /// Evidence against a validator that was already slashed (slashing happens once).
    #[error("validator already slashed")]
    AlreadySlashed,
    /// Stake tables must be announced epoch after epoch.
    #[error("stake table for epoch {got} out of order: expected epoch {expected}")]
    EpochOutOfOrder {
        /// The next epoch expected.
        expected: u64,
        /// The epoch given.
        got: u64,
    },
    /// Bytes could not be decoded.
    #[error("decode error: {0}")]
    Decode(&'static str),
    /// A burn receipt does not verify.
    #[error("invalid receipt")]
    InvalidReceipt,
    /// A burn receipt is for another destination chain than the redeemer's.
    #[error("receipt for destination {got}, this redeemer mints on {expected}")]
    WrongDestination {
        /// The redeemer's destination chain.
        expected: u64,
        /// The receipt's destination chain.
        got: u64,
    },
    /// A burn receipt was already redeemed.
    #[error("receipt already redeemed")]
    AlreadyRedeemed,
    /// Stake arithmetic would overflow or underflow.
    #[error("stake arithmetic: {0}")]
    Amount(zg_core::Error),
    /// A configuration value is unusable.
    #[error("invalid configuration: {0}")]
    InvalidConfig(&'static str),
}
