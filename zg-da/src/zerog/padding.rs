//! Blob shape, payload padding, and the 31-byte-unit ↔ scalar mapping.

use super::{ELEMENT_BYTES, Error, Fr, RAW_UNIT};
use ark_ff::{BigInteger, PrimeField};

/// The shape of the data matrix: `2^log_rows` rows × `2^log_cols` columns of scalars.
///
/// The live network uses [`Dims::LIVE`] (1024 × 1024); the encoder's test builds use
/// [`Dims::TEST`] (64 rows × 32 columns). Other shapes are accepted for experiments as long as a
/// row holds whole 256-byte sectors (`log_cols ≥ 3`) and the three cosets fit BN254's 2^28 roots
/// of unity (`log_rows + log_cols ≤ 26`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dims {
    log_rows: u32,
    log_cols: u32,
}

impl Dims {
    /// The live network's shape: 1024 rows × 1024 columns (`BLOB_ROW_LOG = BLOB_COL_LOG = 10`).
    pub const LIVE: Dims = Dims {
        log_rows: 10,
        log_cols: 10,
    };
    /// The encoder's test shape: 64 rows × 32 columns (`BLOB_ROW_LOG = 6`, `BLOB_COL_LOG = 5`).
    pub const TEST: Dims = Dims {
        log_rows: 6,
        log_cols: 5,
    };

    /// A shape of `2^log_rows × 2^log_cols`; see the type's docs for the limits.
    pub fn new(log_rows: u32, log_cols: u32) -> Result<Self, Error> {
        if log_cols < 3 {
            return Err(Error::InvalidDims(
                "a row must hold whole sectors (log_cols >= 3)",
            ));
        }
        if log_rows == 0 {
            return Err(Error::InvalidDims("at least two rows (log_rows >= 1)"));
        }
        if log_rows + log_cols > 26 {
            return Err(Error::InvalidDims("log_rows + log_cols must be at most 26"));
        }
        Ok(Dims { log_rows, log_cols })
    }

    /// log₂ of the number of original rows.
    pub fn log_rows(&self) -> u32 {
        self.log_rows
    }
    /// log₂ of the number of columns.
    pub fn log_cols(&self) -> u32 {
        self.log_cols
    }
    /// Original rows (1024 live).
    pub fn rows(&self) -> usize {
        1 << self.log_rows
    }
    /// Columns, i.e. scalars per row (1024 live).
    pub fn cols(&self) -> usize {
        1 << self.log_cols
    }
    /// Encoded rows, `3 · rows` (3072 live).
    pub fn encoded_rows(&self) -> usize {
        super::COSETS * self.rows()
    }
    /// Scalars in the original matrix, `rows · cols`.
    pub fn elements(&self) -> usize {
        self.rows() * self.cols()
    }
    /// Bytes of one encoded row, `cols · 32` (32 KiB live).
    pub fn row_bytes(&self) -> usize {
        self.cols() * ELEMENT_BYTES
    }
    /// Bytes of a padded blob, `31 · rows · cols` (32,505,856 live).
    pub fn padded_size(&self) -> usize {
        RAW_UNIT * self.elements()
    }
    /// The largest payload, `padded_size − 4` (32,505,852 live).
    pub fn max_payload(&self) -> usize {
        self.padded_size() - 4
    }
}

/// Pads `payload` to a blob: zeros up to [`Dims::padded_size`], the payload length as a u32
/// little-endian in the last 4 bytes.
pub fn pad_payload(payload: &[u8], dims: Dims) -> Result<Vec<u8>, Error> {
    let max = dims.max_payload();
    if payload.len() > max {
        return Err(Error::PayloadTooLarge {
            len: payload.len(),
            max,
        });
    }
    let len = u32::try_from(payload.len()).map_err(|_| Error::PayloadTooLarge {
        len: payload.len(),
        max,
    })?;
    let mut out = vec![0u8; dims.padded_size()];
    out[..payload.len()].copy_from_slice(payload);
    out[max..].copy_from_slice(&len.to_le_bytes());
    Ok(out)
}

/// The payload inside a padded blob. Rejects a wrong size, a length field above the maximum
/// payload, and any non-zero byte between the payload and the length field (as the encoder's
/// `RawData::try_from_padded` does).
pub fn unpad_payload(padded: &[u8], dims: Dims) -> Result<&[u8], Error> {
    if padded.len() != dims.padded_size() {
        return Err(Error::InvalidLength {
            expected: dims.padded_size(),
            got: padded.len(),
        });
    }
    let max = dims.max_payload();
    let (body, field) = padded.split_at(max);
    let mut len_bytes = [0u8; 4];
    len_bytes.copy_from_slice(field);
    let len = usize::try_from(u32::from_le_bytes(len_bytes)).unwrap_or(usize::MAX);
    if len > max {
        return Err(Error::InvalidLengthField { len, max });
    }
    let (payload, padding) = body.split_at(len);
    if padding.iter().any(|&b| b != 0) {
        return Err(Error::NonZeroPadding);
    }
    Ok(payload)
}

/// The scalar of one 31-byte unit: the unit as the low 31 bytes of a little-endian integer
/// (always below the modulus, so no reduction happens).
pub(crate) fn unit_to_scalar(unit: &[u8]) -> Fr {
    Fr::from_le_bytes_mod_order(unit)
}

/// A scalar as its 32 little-endian bytes (the encoder's `scalar_to_h256`).
pub(crate) fn scalar_to_bytes(x: &Fr) -> [u8; ELEMENT_BYTES] {
    let mut out = [0u8; ELEMENT_BYTES];
    let le = x.into_bigint().to_bytes_le();
    out[..le.len().min(ELEMENT_BYTES)].copy_from_slice(&le[..le.len().min(ELEMENT_BYTES)]);
    out
}

/// The row-major matrix of scalars of a padded blob (one per 31-byte unit).
pub fn scalars_from_padded(padded: &[u8], dims: Dims) -> Result<Vec<Fr>, Error> {
    if padded.len() != dims.padded_size() {
        return Err(Error::InvalidLength {
            expected: dims.padded_size(),
            got: padded.len(),
        });
    }
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        Ok(padded
            .par_chunks_exact(RAW_UNIT)
            .map(unit_to_scalar)
            .collect())
    }
    #[cfg(not(feature = "parallel"))]
    Ok(padded.chunks_exact(RAW_UNIT).map(unit_to_scalar).collect())
}

/// The payload of an original (row-major) matrix of scalars: each scalar must fit 31 bytes and the
/// padding rules of [`unpad_payload`] hold.
pub fn payload_from_scalars(matrix: &[Fr], dims: Dims) -> Result<Vec<u8>, Error> {
    if matrix.len() != dims.elements() {
        return Err(Error::InvalidLength {
            expected: dims.elements(),
            got: matrix.len(),
        });
    }
    let mut padded = Vec::with_capacity(dims.padded_size());
    for (index, x) in matrix.iter().enumerate() {
        let bytes = scalar_to_bytes(x);
        if bytes[RAW_UNIT] != 0 {
            return Err(Error::NonCanonicalUnit { index });
        }
        padded.extend_from_slice(&bytes[..RAW_UNIT]);
    }
    let len = unpad_payload(&padded, dims)?.len();
    padded.truncate(len);
    Ok(padded)
}
