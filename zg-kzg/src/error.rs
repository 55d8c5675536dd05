//! Errors: one enum for the operations, one for trusted-setup loading.

/// Why an operation rejected its input.
///
/// Proof *verification* never fails with an error: a proof that does not verify makes the
/// `verify_*` functions return `Ok(false)` without saying why. Errors are reserved for inputs that
/// are malformed (the spec's `assert`s): wrong lengths, non-canonical field elements, points that
/// do not decode to a member of G1, out-of-range or duplicate cell indices.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A byte slice had the wrong length for what it should hold.
    #[error("{what}: expected {expected} bytes, got {got}")]
    WrongLength {
        /// What was being decoded (`"blob"`, `"cell"`, ...).
        what: &'static str,
        /// Required length in bytes.
        expected: usize,
        /// Length received.
        got: usize,
    },
    /// A 32-byte big-endian field element was not below the BLS12-381 scalar modulus `r`.
    #[error("field element {index} is not canonical (it is >= the BLS12-381 scalar modulus)")]
    NonCanonicalFieldElement {
        /// Index of the element inside its blob, cell or argument list.
        index: usize,
    },
    /// 48 bytes that are not the compressed encoding of a point of the G1 subgroup (or of the
    /// point at infinity). The spec's `validate_kzg_g1` / BLS `KeyValidate`.
    #[error("{what} {index} is not a valid compressed G1 point")]
    InvalidG1Point {
        /// `"commitment"` or `"proof"`.
        what: &'static str,
        /// Position in the argument list (0 for single arguments).
        index: usize,
    },
    /// Parallel argument lists had different lengths.
    #[error("length mismatch: {what}")]
    LengthMismatch {
        /// Which lists disagree, e.g. `"blobs/commitments/proofs"`.
        what: &'static str,
    },
    /// A cell index was not below [`CELLS_PER_EXT_BLOB`](crate::CELLS_PER_EXT_BLOB).
    #[error("cell index {index} is out of range (must be < {bound})")]
    CellIndexOutOfRange {
        /// The offending index.
        index: u64,
        /// The exclusive upper bound.
        bound: u64,
    },
    /// Cell indices given to recovery must be strictly increasing (no duplicates, no shuffling).
    #[error("cell indices must be strictly increasing: {index} follows {previous}")]
    CellIndicesNotAscending {
        /// The index that broke the order.
        index: u64,
        /// The index before it.
        previous: u64,
    },
    /// Recovery needs at least half of the cells (and at most all of them).
    #[error("recovery needs between {need} and {max} cells, got {have}")]
    WrongCellCount {
        /// Cells supplied.
        have: usize,
        /// Minimum required.
        need: usize,
        /// Maximum accepted.
        max: usize,
    },
    /// A size that must be a power of two (and fit the setup) was not.
    #[error("unsupported size {size}: {reason}")]
    UnsupportedSize {
        /// The size requested.
        size: usize,
        /// Why it is not supported.
        reason: &'static str,
    },
    /// The settings were loaded from a setup whose size does not fit this operation
    /// (the EIP functions need 4096 G1 points and 65 G2 points).
    #[error(
        "trusted setup has {g1} G1 / {g2} G2 points; this operation needs {need_g1} / {need_g2}"
    )]
    SetupTooSmall {
        /// G1 points in the loaded setup.
        g1: usize,
        /// G2 points in the loaded setup.
        g2: usize,
        /// G1 points needed.
        need_g1: usize,
        /// G2 points needed.
        need_g2: usize,
    },
}

/// Why a trusted-setup file was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The file ended before all announced points were read.
    #[error("trusted setup is truncated: expected {expected} lines, found {found}")]
    Truncated {
        /// Lines the header announced (2 + points).
        expected: usize,
        /// Lines present.
        found: usize,
    },
    /// A header line was not a decimal count, or the count is unsupported.
    #[error("line {line}: {reason}")]
    BadHeader {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A point line was not hex of the right length.
    #[error("line {line}: expected {expected} hex characters of a compressed point, got {reason}")]
    BadHex {
        /// 1-based line number.
        line: usize,
        /// Hex characters expected (96 for G1, 192 for G2).
        expected: usize,
        /// What was found instead.
        reason: String,
    },
    /// A point did not decompress, or is not in the prime-order subgroup.
    #[error("line {line}: not a valid {group} point ({reason})")]
    InvalidPoint {
        /// 1-based line number.
        line: usize,
        /// `"G1"` or `"G2"`.
        group: &'static str,
        /// Decoder's verdict.
        reason: &'static str,
    },
    /// Content after the last point.
    #[error("line {line}: unexpected content after the last point")]
    TrailingData {
        /// 1-based line number.
        line: usize,
    },
    /// The points decode but are not a consistent powers-of-tau setup (for instance the
    /// Lagrange points are not the Lagrange form of the monomial points, or the G2 points
    /// disagree with the G1 points).
    #[error("trusted setup is inconsistent: {check}")]
    Inconsistent {
        /// Which structural check failed.
        check: &'static str,
    },
    /// [`crate::TrustedSetup::insecure_from_secret`] was asked for sizes it cannot build (or
    /// given a zero secret).
    #[error("cannot build an insecure setup with n = {n}, g2_len = {g2_len}: {reason}")]
    Unsupported {
        /// G1 points asked for.
        n: usize,
        /// G2 points asked for.
        g2_len: usize,
        /// What is wrong.
        reason: &'static str,
    },
}
