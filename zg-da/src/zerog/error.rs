//! The error type of zg-da's 0G mode.

/// Everything that can go wrong in the 0G mode. Untrusted input gets one of these, never a panic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The payload does not fit one blob.
    #[error("payload of {len} bytes exceeds the maximum of {max}")]
    PayloadTooLarge {
        /// The payload's length.
        len: usize,
        /// The largest payload a blob holds.
        max: usize,
    },
    /// A byte string or slice had the wrong length.
    #[error("invalid length: expected {expected}, got {got}")]
    InvalidLength {
        /// The length required.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// The padded blob's length field exceeds the maximum payload.
    #[error("length field {len} exceeds the maximum payload {max}")]
    InvalidLengthField {
        /// The decoded length field.
        len: usize,
        /// The largest payload a blob holds.
        max: usize,
    },
    /// A padding byte after the payload is not zero.
    #[error("non-zero byte in the padding")]
    NonZeroPadding,
    /// A decoded scalar does not fit a 31-byte unit (its byte 31 is not zero).
    #[error("scalar {index} does not fit a 31-byte unit")]
    NonCanonicalUnit {
        /// Position of the scalar in the matrix.
        index: usize,
    },
    /// Matrix dimensions outside what the encoding supports.
    #[error("unsupported dimensions: {0}")]
    InvalidDims(&'static str),
    /// A row index outside the encoded blob.
    #[error("row {index} out of range ({rows} rows)")]
    RowOutOfRange {
        /// The index asked for.
        index: usize,
        /// The number of encoded rows.
        rows: usize,
    },
    /// Fewer distinct rows than reconstruction needs.
    #[error("not enough rows: have {have}, need {need}")]
    NotEnoughRows {
        /// Distinct rows given.
        have: usize,
        /// Rows needed.
        need: usize,
    },
    /// The rows given are not all rows of one encoded blob (or one index came twice with
    /// different contents).
    #[error("rows are not consistent with one encoded blob")]
    InconsistentRows,
    /// A Merkle proof does not prove the row under the data root.
    #[error("invalid proof")]
    InvalidProof,
    /// A field element or point encoding is not canonical, not on the curve or not in the group.
    #[error("invalid point or scalar encoding")]
    InvalidEncoding,
    /// A signature does not verify.
    #[error("invalid signature")]
    InvalidSignature,
    /// Try-and-increment found no point within its bound (never happens for a real digest).
    #[error("hash to G1 found no point")]
    HashToCurveExhausted,
    /// Quorum parameters the chain could not use (a zero divisor or slice count).
    #[error("invalid quorum parameters: {0}")]
    InvalidParams(&'static str),
    /// More ballots than this implementation holds in memory.
    #[error("{ballots} ballots exceed the bound of {max}")]
    TooManyBallots {
        /// Ballots the registrations would create.
        ballots: u128,
        /// The bound.
        max: usize,
    },
    /// The quorum bitmap has the wrong length for the quorum.
    #[error("quorum bitmap of {got} bytes, expected {expected}")]
    BitmapLength {
        /// Bytes required: `ceil(rows / 8)`.
        expected: usize,
        /// Bytes given.
        got: usize,
    },
    /// A signer named by a quorum has no registered key.
    #[error("signer not found")]
    SignerNotFound,
    /// A sampling response the contract rejects.
    #[error("invalid sample: {0}")]
    InvalidSample(&'static str),
    /// Fewer than two thirds of the quorum's rows signed.
    #[error("insufficient signed rows: {hit} of {total}")]
    InsufficientSignedRows {
        /// Rows in the quorum.
        total: u64,
        /// Rows counted as signed.
        hit: u64,
    },
    /// A sign request carries a row the quorum assigns to another signer.
    #[error("row {index} is not this signer's")]
    NotMyRow {
        /// The row.
        index: usize,
    },
    /// The powers of tau hold fewer powers than the blob needs.
    #[error("setup holds {have} powers, the blob needs {need}")]
    SetupTooSmall {
        /// Powers available.
        have: usize,
        /// Powers needed (`rows · cols`).
        need: usize,
    },
    /// Error from zg-core's tree code.
    #[error(transparent)]
    Core(#[from] zg_core::Error),
}
