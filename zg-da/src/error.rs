//! The error type of zg-da's pure functions (encoding, decoding, custody, certificates).
//!
//! Machines report per-input rejections with their own small enums; everything that decodes
//! untrusted bytes returns one of these, never panics.

/// Why a payload, header, column or committee computation was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A payload must hold at least one byte.
    #[error("empty payload")]
    EmptyPayload,
    /// The payload is larger than [`MAX_PAYLOAD_BYTES`](crate::MAX_PAYLOAD_BYTES).
    #[error("payload of {length} bytes exceeds the maximum of {max}")]
    PayloadTooLarge {
        /// Length given.
        length: u64,
        /// Largest length accepted.
        max: u64,
    },
    /// The number of blobs does not match what the length frames into.
    #[error("{have} blobs, but a payload of this length frames into {expected}")]
    WrongBlobCount {
        /// Blobs present.
        have: usize,
        /// Blobs the framing rule requires.
        expected: usize,
    },
    /// A field element of a blob does not start with the `0x00` byte the framing puts there.
    #[error("blob {blob}: element {element} is not a framed element (first byte is not zero)")]
    NonCanonicalElement {
        /// Blob index.
        blob: usize,
        /// Element index inside the blob.
        element: usize,
    },
    /// Bytes after the payload in the last blob are not zero.
    #[error("blob {blob}: padding after the payload is not zero")]
    NonZeroPadding {
        /// Blob index.
        blob: usize,
    },
    /// The length prefix of the frame disagrees with the header.
    #[error("frame announces {framed} bytes, header says {header}")]
    LengthMismatch {
        /// Length in the frame's prefix.
        framed: u64,
        /// Length in the header.
        header: u64,
    },
    /// Header bytes of the wrong size.
    #[error("header: expected {expected} bytes, got {got}")]
    HeaderLength {
        /// Size the announced blob count implies.
        expected: usize,
        /// Size received.
        got: usize,
    },
    /// A structural field of an encoding is wrong (version, counts).
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// What was being decoded.
        what: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A commitment is not a valid compressed G1 point of the subgroup.
    #[error("commitment of blob {blob} is not a valid G1 point")]
    InvalidCommitment {
        /// Blob index.
        blob: usize,
    },
    /// The payload id is not `keccak256(u64_be(len) || commitments)`.
    #[error("payload id does not match the length and commitments")]
    PayloadIdMismatch,
    /// The bytes rebuilt do not have the 0G file root the header records.
    #[error("payload bytes do not match the header's file root")]
    FileRootMismatch,
    /// Recovered or given blob data does not have the header's commitment.
    #[error("blob {blob} does not match its commitment")]
    CommitmentMismatch {
        /// Blob index.
        blob: usize,
    },
    /// Cells that do not verify against the commitments.
    #[error("cell proofs do not verify")]
    InvalidCells,
    /// An index (blob, cell, column, seat) is outside its range.
    #[error("{what} index {index} out of range (bound {bound})")]
    IndexOutOfRange {
        /// What kind of index.
        what: &'static str,
        /// The index.
        index: u64,
        /// Exclusive bound.
        bound: u64,
    },
    /// A blob has fewer valid cells than recovery needs.
    #[error("blob {blob}: {have} valid cells, recovery needs {need}")]
    NotEnoughCells {
        /// Blob index.
        blob: usize,
        /// Valid cells available.
        have: usize,
        /// Cells needed.
        need: usize,
    },
    /// Invalid parameters for a committee or custody computation.
    #[error("invalid parameters: {reason}")]
    InvalidParameters {
        /// What is wrong.
        reason: &'static str,
    },
    /// A KZG operation rejected its input.
    #[error(transparent)]
    Kzg(#[from] zg_kzg::Error),
    /// A zg-core operation rejected its input.
    #[error(transparent)]
    Core(#[from] zg_core::Error),
    /// A zg-vrf operation rejected its input.
    #[error(transparent)]
    Vrf(#[from] zg_vrf::Error),
}
