//! The crate's error type.

/// Why a certificate, a signer list or an encoding was refused.
///
/// A failing signature is the opaque [`Error::InvalidSignature`]; the other variants describe
/// only public facts (lengths, weights, indices) the caller already holds.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The bitmap covers a different number of members than the set it is checked against.
    #[error("signer bitmap covers {bitmap} members, the set has {members}")]
    BitmapLength {
        /// Length of the bitmap.
        bitmap: u16,
        /// Members of the set.
        members: usize,
    },
    /// More members than a bitmap can index (`u16::MAX`).
    #[error("{members} members, more than a signer bitmap can index")]
    TooManyMembers {
        /// Members given.
        members: usize,
    },
    /// No signer is named.
    #[error("no signers")]
    NoSigners,
    /// The signers hold less weight than required.
    #[error("signers hold weight {signed}, {required} required")]
    InsufficientWeight {
        /// Weight of the named signers.
        signed: u128,
        /// Weight required.
        required: u128,
    },
    /// A signature names an index outside the set.
    #[error("signer index {index} outside the set")]
    UnknownSigner {
        /// The index.
        index: u16,
    },
    /// Two signatures name the same index.
    #[error("signer index {index} named twice")]
    DuplicateSigner {
        /// The index.
        index: u16,
    },
    /// The (aggregate) signature does not verify.
    #[error("invalid signature")]
    InvalidSignature,
    /// A byte string is not a canonical encoding.
    #[error("malformed encoding: {0}")]
    Malformed(&'static str),
}
