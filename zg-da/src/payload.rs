//! The payload format: framing into blobs, KZG commitments, cells, the payload id, columns and
//! the canonical header (issue 12, item 1). Fixed so other implementations interoperate.
//!
//! ```text
//! frame   = u64_be(len) || payload || 0x00 …            (padded to a multiple of 126,976 bytes)
//! blob i  = e_0 || … || e_4095,  e_j = 0x00 || frame[126976·i + 31·j .. + 31]   (EIP-4844 blob)
//! id      = keccak256(u64_be(len) || commitment_0 || … || commitment_{b−1})
//! column j = cell j (and its proof) of every blob     (EIP-7594 cells, 128 per blob)
//! ```
//!
//! Every element starts with a zero byte, so it is below the BLS12-381 scalar modulus and the
//! blob is always valid. Decoding is strict: a blob whose element does not start with `0x00`,
//! a frame whose length prefix disagrees with the blob count, or non-zero padding is an error,
//! so exactly one byte string maps to each set of blobs.

use std::sync::Arc;

use zg_core::{H256, keccak256_parts};
use zg_kzg::{
    BYTES_PER_BLOB, BYTES_PER_FIELD_ELEMENT, BYTES_PER_G1, Blob, CELLS_PER_EXT_BLOB, Cell,
    CellProofs, Cells, FIELD_ELEMENTS_PER_BLOB, KzgCommitment, KzgProof, KzgSettings,
};

use crate::Error;

/// Payload bytes carried per field element (the first of its 32 bytes is always zero).
pub const BYTES_PER_ELEMENT_PAYLOAD: usize = BYTES_PER_FIELD_ELEMENT - 1;
/// Frame bytes carried per blob: 4096 × 31 = 126,976.
pub const FRAME_BYTES_PER_BLOB: usize = FIELD_ELEMENTS_PER_BLOB * BYTES_PER_ELEMENT_PAYLOAD;
/// Bytes of the frame's length prefix (`u64_be(len)`).
pub const LENGTH_PREFIX_BYTES: usize = 8;
/// Columns (cells per extended blob).
pub const COLUMNS: usize = CELLS_PER_EXT_BLOB;
/// Valid cells of a blob that recovery needs (half of them).
pub const CELLS_TO_RECOVER: usize = COLUMNS / 2;
/// The most blobs one payload may have (bounds every allocation a header can cause).
pub const MAX_BLOBS: usize = 512;
/// The largest payload: `512 · 126,976 − 8` = 65,011,704 bytes (62 MiB).
pub const MAX_PAYLOAD_BYTES: u64 = (MAX_BLOBS * FRAME_BYTES_PER_BLOB - LENGTH_PREFIX_BYTES) as u64;
/// Version byte of the header encoding.
pub const HEADER_VERSION: u8 = 1;
/// Fixed part of an encoded header: version, length, blob count, payload id, file root.
pub const HEADER_FIXED_BYTES: usize = 1 + 8 + 4 + 32 + 32;

/// Blobs a payload of `length` bytes frames into: `⌈(8 + length) / 126,976⌉`.
///
/// # Errors
/// [`Error::EmptyPayload`] for 0, [`Error::PayloadTooLarge`] above [`MAX_PAYLOAD_BYTES`].
pub fn blob_count(length: u64) -> Result<usize, Error> {
    if length == 0 {
        return Err(Error::EmptyPayload);
    }
    if length > MAX_PAYLOAD_BYTES {
        return Err(Error::PayloadTooLarge {
            length,
            max: MAX_PAYLOAD_BYTES,
        });
    }
    // length ≤ MAX_PAYLOAD_BYTES < 2^26, so it fits usize everywhere.
    let framed = usize::try_from(length).map_err(|_| Error::PayloadTooLarge {
        length,
        max: MAX_PAYLOAD_BYTES,
    })? + LENGTH_PREFIX_BYTES;
    Ok(framed.div_ceil(FRAME_BYTES_PER_BLOB))
}

/// Frames a payload into its blobs (see the [module docs](self)).
///
/// # Errors
/// Those of [`blob_count`].
pub fn frame_blobs(payload: &[u8]) -> Result<Vec<Blob>, Error> {
    let length = payload.len() as u64;
    let count = blob_count(length)?;
    let prefix = length.to_be_bytes();
    // The frame, read lazily: byte k of u64_be(len) || payload || zeros.
    let frame_byte = |k: usize| -> u8 {
        if k < LENGTH_PREFIX_BYTES {
            prefix[k]
        } else {
            payload.get(k - LENGTH_PREFIX_BYTES).copied().unwrap_or(0)
        }
    };
    let mut blobs = Vec::with_capacity(count);
    for i in 0..count {
        let mut blob = Blob::zeroed();
        let bytes = blob.as_bytes_mut();
        let base = i * FRAME_BYTES_PER_BLOB;
        for j in 0..FIELD_ELEMENTS_PER_BLOB {
            let src = base + j * BYTES_PER_ELEMENT_PAYLOAD;
            let dst =
                &mut bytes[j * BYTES_PER_FIELD_ELEMENT + 1..(j + 1) * BYTES_PER_FIELD_ELEMENT];
            // Fast path: the whole element lies inside the payload.
            if src >= LENGTH_PREFIX_BYTES && src + BYTES_PER_ELEMENT_PAYLOAD <= payload.len() + 8 {
                let p = src - LENGTH_PREFIX_BYTES;
                dst.copy_from_slice(&payload[p..p + BYTES_PER_ELEMENT_PAYLOAD]);
            } else {
                for (t, d) in dst.iter_mut().enumerate() {
                    *d = frame_byte(src + t);
                }
            }
        }
        blobs.push(blob);
    }
    Ok(blobs)
}

/// The payload bytes from its blobs, checking the framing strictly: every element starts with
/// `0x00`, the length prefix matches the number of blobs, the padding is zero.
///
/// # Errors
/// [`Error::WrongBlobCount`], [`Error::NonCanonicalElement`], [`Error::NonZeroPadding`], and
/// those of [`blob_count`] for the prefix.
pub fn payload_from_blobs(blobs: &[Blob]) -> Result<Vec<u8>, Error> {
    if blobs.is_empty() {
        return Err(Error::WrongBlobCount {
            have: 0,
            expected: 1,
        });
    }
    if blobs.len() > MAX_BLOBS {
        return Err(Error::WrongBlobCount {
            have: blobs.len(),
            expected: MAX_BLOBS,
        });
    }
    let mut frame = Vec::with_capacity(blobs.len() * FRAME_BYTES_PER_BLOB);
    for (i, blob) in blobs.iter().enumerate() {
        for (j, element) in blob
            .as_bytes()
            .chunks_exact(BYTES_PER_FIELD_ELEMENT)
            .enumerate()
        {
            if element[0] != 0 {
                return Err(Error::NonCanonicalElement {
                    blob: i,
                    element: j,
                });
            }
            frame.extend_from_slice(&element[1..]);
        }
    }
    let mut prefix = [0u8; LENGTH_PREFIX_BYTES];
    prefix.copy_from_slice(&frame[..LENGTH_PREFIX_BYTES]);
    let length = u64::from_be_bytes(prefix);
    let expected = blob_count(length)?;
    if expected != blobs.len() {
        return Err(Error::WrongBlobCount {
            have: blobs.len(),
            expected,
        });
    }
    // blob_count succeeded, so length fits usize.
    let end = LENGTH_PREFIX_BYTES + usize::try_from(length).unwrap_or(usize::MAX);
    if frame[end..].iter().any(|&b| b != 0) {
        return Err(Error::NonZeroPadding {
            blob: blobs.len() - 1,
        });
    }
    frame.truncate(end);
    frame.drain(..LENGTH_PREFIX_BYTES);
    Ok(frame)
}

/// `keccak256(u64_be(len) || commitment_0 || … || commitment_{b−1})`.
pub fn payload_id(length: u64, commitments: &[KzgCommitment]) -> H256 {
    let len = length.to_be_bytes();
    let mut parts: Vec<&[u8]> = Vec::with_capacity(1 + commitments.len());
    parts.push(&len);
    parts.extend(commitments.iter().map(|c| c.as_bytes().as_slice()));
    keccak256_parts(&parts)
}

/// The canonical header of a payload: what a certificate certifies and what a sampler or
/// reconstructor trusts once the certificate checks.
///
/// Encoding (big-endian), [`HEADER_FIXED_BYTES`]` + 48·b` bytes:
/// ```text
/// 0x01 || u64 length || u32 b || commitment_0 … commitment_{b−1} (48 each) || payload_id (32) || file_root (32)
/// ```
/// `file_root` is the 0G file root (zg-core `tree::file_root`) of the payload bytes, so the
/// storage lane can serve them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Header {
    length: u64,
    commitments: Arc<[KzgCommitment]>,
    payload_id: H256,
    file_root: H256,
}

impl Header {
    /// A header from its parts; the payload id is computed.
    ///
    /// # Errors
    /// [`Error::WrongBlobCount`] if the commitments are not as many as the length frames into,
    /// and those of [`blob_count`]. Commitments are not decompressed here (use
    /// [`Header::from_bytes`] for untrusted input).
    pub fn new(
        length: u64,
        commitments: Vec<KzgCommitment>,
        file_root: H256,
    ) -> Result<Self, Error> {
        let expected = blob_count(length)?;
        if commitments.len() != expected {
            return Err(Error::WrongBlobCount {
                have: commitments.len(),
                expected,
            });
        }
        Ok(Header {
            length,
            payload_id: payload_id(length, &commitments),
            commitments: commitments.into(),
            file_root,
        })
    }

    /// Payload length in bytes.
    pub fn length(&self) -> u64 {
        self.length
    }

    /// Number of blobs.
    pub fn blobs(&self) -> usize {
        self.commitments.len()
    }

    /// The blobs' commitments, in order.
    pub fn commitments(&self) -> &[KzgCommitment] {
        &self.commitments
    }

    /// The payload id.
    pub fn payload_id(&self) -> H256 {
        self.payload_id
    }

    /// The 0G file root of the payload bytes.
    pub fn file_root(&self) -> H256 {
        self.file_root
    }

    /// Size of the encoding in bytes.
    pub fn encoded_len(&self) -> usize {
        HEADER_FIXED_BYTES + BYTES_PER_G1 * self.commitments.len()
    }

    /// The canonical encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        out.push(HEADER_VERSION);
        out.extend_from_slice(&self.length.to_be_bytes());
        // At most MAX_BLOBS commitments.
        out.extend_from_slice(
            &u32::try_from(self.commitments.len())
                .unwrap_or(u32::MAX)
                .to_be_bytes(),
        );
        for c in self.commitments.iter() {
            out.extend_from_slice(c.as_bytes());
        }
        out.extend_from_slice(self.payload_id.as_bytes());
        out.extend_from_slice(self.file_root.as_bytes());
        out
    }

    /// Decodes and checks an untrusted header: version, exact size, a length in range, the
    /// blob count the length implies, every commitment a G1 subgroup point, and the payload id.
    ///
    /// # Errors
    /// [`Error::Malformed`], [`Error::HeaderLength`], [`Error::WrongBlobCount`],
    /// [`Error::InvalidCommitment`], [`Error::PayloadIdMismatch`], and those of [`blob_count`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() < HEADER_FIXED_BYTES {
            return Err(Error::HeaderLength {
                expected: HEADER_FIXED_BYTES,
                got: bytes.len(),
            });
        }
        if bytes[0] != HEADER_VERSION {
            return Err(Error::Malformed {
                what: "header",
                reason: "unknown version",
            });
        }
        let mut len = [0u8; 8];
        len.copy_from_slice(&bytes[1..9]);
        let length = u64::from_be_bytes(len);
        let mut count = [0u8; 4];
        count.copy_from_slice(&bytes[9..13]);
        let count = u32::from_be_bytes(count) as usize;
        let expected = blob_count(length)?;
        if count != expected {
            return Err(Error::WrongBlobCount {
                have: count,
                expected,
            });
        }
        let size = HEADER_FIXED_BYTES + BYTES_PER_G1 * count;
        if bytes.len() != size {
            return Err(Error::HeaderLength {
                expected: size,
                got: bytes.len(),
            });
        }
        let mut commitments = Vec::with_capacity(count);
        for (blob, chunk) in bytes[13..13 + BYTES_PER_G1 * count]
            .chunks_exact(BYTES_PER_G1)
            .enumerate()
        {
            let c = KzgCommitment::from_slice(chunk)?;
            let _point = c
                .to_point()
                .map_err(|_| Error::InvalidCommitment { blob })?;
            commitments.push(c);
        }
        let rest = &bytes[13 + BYTES_PER_G1 * count..];
        let id = H256::from_slice(&rest[..32])?;
        let file_root = H256::from_slice(&rest[32..])?;
        let header = Header::new(length, commitments, file_root)?;
        if header.payload_id != id {
            return Err(Error::PayloadIdMismatch);
        }
        Ok(header)
    }
}

/// One blob's 128 cells and proofs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodedBlob {
    /// The cells of the extended blob.
    pub cells: Cells,
    /// Their proofs.
    pub proofs: CellProofs,
}

/// A cell of a payload with its proof, as stored and sent: cheap to clone (the bytes are shared).
#[derive(Clone, PartialEq, Eq)]
pub struct CellWithProof {
    /// Blob index.
    pub blob: u32,
    /// Cell index in the blob (= column), `< 128`.
    pub index: u16,
    /// The cell bytes.
    pub cell: Arc<Cell>,
    /// Its KZG proof.
    pub proof: KzgProof,
}

impl core::hash::Hash for CellWithProof {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.blob.hash(state);
        self.index.hash(state);
        self.cell.as_bytes().hash(state);
        self.proof.hash(state);
    }
}

impl core::fmt::Debug for CellWithProof {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "CellWithProof(blob {}, cell {})", self.blob, self.index)
    }
}

/// Column `j` of a payload: cell `j` of every blob, in blob order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Column {
    /// The column index, `< 128`.
    pub index: u16,
    /// Cell `index` of blob 0, 1, ….
    pub cells: Vec<CellWithProof>,
}

/// A payload with everything the lane needs: header, and every blob's cells and proofs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodedPayload {
    header: Header,
    blobs: Vec<EncodedBlob>,
}

/// Frames a payload, commits to each blob (EIP-4844) and computes its 128 cells and proofs
/// (EIP-7594). With the `parallel` feature blobs are encoded on the rayon pool.
///
/// # Errors
/// Those of [`blob_count`] and of the KZG functions (which do not fail on framed blobs).
pub fn encode_payload(kzg: &KzgSettings, payload: &[u8]) -> Result<EncodedPayload, Error> {
    let blobs = frame_blobs(payload)?;
    let encode_one = |blob: &Blob| -> Result<(KzgCommitment, EncodedBlob), Error> {
        let commitment = kzg.blob_to_kzg_commitment(blob)?;
        let (cells, proofs) = kzg.compute_cells_and_kzg_proofs(blob)?;
        Ok((commitment, EncodedBlob { cells, proofs }))
    };
    #[cfg(feature = "parallel")]
    let encoded: Vec<_> = {
        use rayon::prelude::*;
        blobs.par_iter().map(encode_one).collect::<Result<_, _>>()?
    };
    #[cfg(not(feature = "parallel"))]
    let encoded: Vec<_> = blobs.iter().map(encode_one).collect::<Result<_, _>>()?;
    let (commitments, blobs): (Vec<_>, Vec<_>) = encoded.into_iter().unzip();
    let file_root = zg_core::tree::file_root(payload)?;
    let header = Header::new(payload.len() as u64, commitments, file_root)?;
    Ok(EncodedPayload { header, blobs })
}

impl EncodedPayload {
    /// Assembles an encoded payload from a header and its blobs' cells (trusted: e.g. read back
    /// from one's own disk). Use [`verify_cells`] for cells from elsewhere.
    ///
    /// # Errors
    /// [`Error::WrongBlobCount`] if there is not one blob per commitment.
    pub fn from_parts(header: Header, blobs: Vec<EncodedBlob>) -> Result<Self, Error> {
        if blobs.len() != header.blobs() {
            return Err(Error::WrongBlobCount {
                have: blobs.len(),
                expected: header.blobs(),
            });
        }
        Ok(EncodedPayload { header, blobs })
    }

    /// The header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The blobs' cells and proofs.
    pub fn blobs(&self) -> &[EncodedBlob] {
        &self.blobs
    }

    /// Cell `index` of blob `blob` with its proof.
    pub fn cell(&self, blob: usize, index: usize) -> Option<CellWithProof> {
        let b = self.blobs.get(blob)?;
        Some(CellWithProof {
            blob: u32::try_from(blob).ok()?,
            index: u16::try_from(index).ok()?,
            cell: Arc::new(*b.cells.get(index)?),
            proof: *b.proofs.get(index)?,
        })
    }

    /// Column `j`: cell `j` of every blob.
    ///
    /// # Errors
    /// [`Error::IndexOutOfRange`] for `j ≥ 128`.
    pub fn column(&self, j: usize) -> Result<Column, Error> {
        let index = u16::try_from(j)
            .ok()
            .filter(|&i| usize::from(i) < COLUMNS)
            .ok_or(Error::IndexOutOfRange {
                what: "column",
                index: j as u64,
                bound: COLUMNS as u64,
            })?;
        let cells = (0..self.blobs.len())
            .filter_map(|b| self.cell(b, j))
            .collect();
        Ok(Column { index, cells })
    }

    /// The columns named (a signer's custody), in the order given; out-of-range indices are
    /// skipped.
    pub fn columns_at(&self, indices: &[u16]) -> Vec<Column> {
        indices
            .iter()
            .filter_map(|&j| self.column(usize::from(j)).ok())
            .collect()
    }

    /// Every column, `0..128`.
    pub fn columns(&self) -> Vec<Column> {
        (0..COLUMNS).filter_map(|j| self.column(j).ok()).collect()
    }
}

/// Checks cells of a payload against its header, in one batch
/// (`verify_cell_kzg_proof_batch`). `Ok(false)` if any proof fails.
///
/// # Errors
/// [`Error::IndexOutOfRange`] for a blob or cell index outside the header; KZG errors for
/// malformed cells or proofs (non-canonical elements, invalid points), which callers should
/// treat like a failed proof.
pub fn verify_cells(
    kzg: &KzgSettings,
    header: &Header,
    cells: &[CellWithProof],
) -> Result<bool, Error> {
    let mut commitments = Vec::with_capacity(cells.len());
    let mut indices = Vec::with_capacity(cells.len());
    let mut raw = Vec::with_capacity(cells.len());
    let mut proofs = Vec::with_capacity(cells.len());
    for c in cells {
        let commitment =
            header
                .commitments()
                .get(c.blob as usize)
                .ok_or(Error::IndexOutOfRange {
                    what: "blob",
                    index: u64::from(c.blob),
                    bound: header.blobs() as u64,
                })?;
        if usize::from(c.index) >= COLUMNS {
            return Err(Error::IndexOutOfRange {
                what: "cell",
                index: u64::from(c.index),
                bound: COLUMNS as u64,
            });
        }
        commitments.push(*commitment);
        indices.push(u64::from(c.index));
        raw.push(*c.cell);
        proofs.push(c.proof);
    }
    Ok(kzg.verify_cell_kzg_proof_batch(&commitments, &indices, &raw, &proofs)?)
}

/// Checks cells one group at a time and returns which are valid: the whole set in one batch
/// first, and on failure bisection down to the bad ones (so `t` bad cells among `n` cost about
/// `2t·log₂ n` batch checks). Malformed cells count as invalid. The verdicts do not depend on
/// the order of `cells`.
pub fn valid_cells(kzg: &KzgSettings, header: &Header, cells: &[CellWithProof]) -> Vec<bool> {
    let mut verdicts = vec![false; cells.len()];
    bisect(kzg, header, cells, 0, &mut verdicts);
    verdicts
}

fn bisect(
    kzg: &KzgSettings,
    header: &Header,
    cells: &[CellWithProof],
    offset: usize,
    out: &mut [bool],
) {
    if cells.is_empty() {
        return;
    }
    if verify_cells(kzg, header, cells).unwrap_or(false) {
        for v in &mut out[offset..offset + cells.len()] {
            *v = true;
        }
        return;
    }
    if cells.len() == 1 {
        return;
    }
    let mid = cells.len() / 2;
    bisect(kzg, header, &cells[..mid], offset, out);
    bisect(kzg, header, &cells[mid..], offset + mid, out);
}

/// Spec fact used by reconstruction: the first 64 cells of an extended blob (bit-reversed
/// order) are the blob itself. Returns the blob from its cells.
pub(crate) fn blob_from_cells(cells: &[Cell]) -> Result<Blob, Error> {
    let mut bytes = Vec::with_capacity(BYTES_PER_BLOB);
    for c in cells.iter().take(CELLS_TO_RECOVER) {
        bytes.extend_from_slice(c.as_bytes());
    }
    Ok(Blob::from_slice(&bytes)?)
}

/// Rebuilds the payload from at least 64 valid cells of every blob: recovers each blob's
/// cells (`recover_cells_and_kzg_proofs`), checks the recovered blob's commitment against the
/// header, unframes strictly and checks the 0G file root. Cells are verified here; invalid ones
/// are skipped (never used). Never returns bytes that do not match the header.
///
/// # Errors
/// [`Error::NotEnoughCells`] naming the first blob with fewer than 64 valid cells, and
/// [`Error::CommitmentMismatch`], framing errors or [`Error::FileRootMismatch`] if the header
/// commits to data that is not a framed payload.
pub fn reconstruct_payload(
    kzg: &KzgSettings,
    header: &Header,
    cells: &[CellWithProof],
) -> Result<Vec<u8>, Error> {
    let verdicts = valid_cells(kzg, header, cells);
    let mut per_blob: Vec<std::collections::BTreeMap<u16, Cell>> =
        vec![Default::default(); header.blobs()];
    for (c, ok) in cells.iter().zip(verdicts) {
        if ok && let Some(m) = per_blob.get_mut(c.blob as usize) {
            m.insert(c.index, *c.cell);
        }
    }
    for (blob, m) in per_blob.iter().enumerate() {
        if m.len() < CELLS_TO_RECOVER {
            return Err(Error::NotEnoughCells {
                blob,
                have: m.len(),
                need: CELLS_TO_RECOVER,
            });
        }
    }
    let blobs = per_blob
        .iter()
        .enumerate()
        .map(|(blob, m)| recover_blob(kzg, header, blob, m))
        .collect::<Result<Vec<_>, _>>()?;
    unframe_checked(header, &blobs)
}

/// Recovers one blob from ≥ 64 verified cells and checks its commitment.
pub(crate) fn recover_blob(
    kzg: &KzgSettings,
    header: &Header,
    blob: usize,
    cells: &std::collections::BTreeMap<u16, Cell>,
) -> Result<Blob, Error> {
    let have_first_half = (0..HALF_U16).all(|i| cells.contains_key(&i));
    let data = if have_first_half {
        let first: Vec<Cell> = (0..HALF_U16)
            .filter_map(|i| cells.get(&i).copied())
            .collect();
        blob_from_cells(&first)?
    } else {
        let indices: Vec<u64> = cells.keys().map(|&i| u64::from(i)).collect();
        let raw: Vec<Cell> = cells.values().copied().collect();
        let (all, _) = kzg.recover_cells_and_kzg_proofs(&indices, &raw)?;
        blob_from_cells(&all[..])?
    };
    let commitment = kzg.blob_to_kzg_commitment(&data)?;
    if Some(&commitment) != header.commitments().get(blob) {
        return Err(Error::CommitmentMismatch { blob });
    }
    Ok(data)
}

/// Unframes recovered blobs and checks length and file root against the header.
pub(crate) fn unframe_checked(header: &Header, blobs: &[Blob]) -> Result<Vec<u8>, Error> {
    let bytes = payload_from_blobs(blobs)?;
    if bytes.len() as u64 != header.length() {
        return Err(Error::LengthMismatch {
            framed: bytes.len() as u64,
            header: header.length(),
        });
    }
    if zg_core::tree::file_root(&bytes)? != header.file_root() {
        return Err(Error::FileRootMismatch);
    }
    Ok(bytes)
}

/// [`CELLS_TO_RECOVER`] as a cell index bound.
const HALF_U16: u16 = 64;
