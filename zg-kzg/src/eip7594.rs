//! The EIP-7594 (PeerDAS) public methods ([fulu polynomial-commitments-sampling]), with the
//! spec's names: cells of the extended blob, their proofs (FK20, [`crate::fk20`]), universal batch
//! verification, and recovery from half of the cells ([`KzgSettings::recover_coefficients`](crate::KzgSettings::recover_coefficients)).
//!
//! [fulu polynomial-commitments-sampling]: https://github.com/ethereum/consensus-specs/blob/dev/specs/fulu/polynomial-commitments-sampling.md

use crate::Error;
use crate::curve::g1_to_bytes;
use crate::eip4844::{blob_to_polynomial, bytes_to_commitment, bytes_to_proof};
use crate::field::{fr_from_digest, fr_to_be_bytes, frs_from_be_bytes};
use crate::poly::CosetOpening;
use crate::settings::KzgSettings;
use crate::types::{
    BYTES_PER_FIELD_ELEMENT, Blob, Bytes32, CELLS_PER_EXT_BLOB, Cell, FIELD_ELEMENTS_PER_BLOB,
    FIELD_ELEMENTS_PER_CELL, KzgCommitment, KzgProof,
};
use ark_bls12_381::Fr;
use ark_ff::Zero;
use sha2::{Digest, Sha256};

/// `RANDOM_CHALLENGE_KZG_CELL_BATCH_DOMAIN`.
const RANDOM_CHALLENGE_KZG_CELL_BATCH_DOMAIN: &[u8; 16] = b"RCKZGCBATCH__V1_";

/// The 128 cells of an extended blob.
pub type Cells = Box<[Cell; CELLS_PER_EXT_BLOB]>;
/// The 128 cell proofs of an extended blob.
pub type CellProofs = Box<[KzgProof; CELLS_PER_EXT_BLOB]>;

fn boxed_array<T, const N: usize>(v: Vec<T>) -> Box<[T; N]> {
    match v.into_boxed_slice().try_into() {
        Ok(b) => b,
        // Callers build exactly N elements.
        Err(_) => unreachable!("boxed_array called with a vector of the wrong length"),
    }
}

/// A cell index already checked to be `< CELLS_PER_EXT_BLOB`, as `usize`.
fn cell_index(i: u64) -> usize {
    usize::try_from(i).unwrap_or(usize::MAX)
}

/// Spec `cell_to_coset_evals`.
fn cell_to_coset_evals(cell: &Cell, out: &mut Vec<Fr>) -> Result<(), Error> {
    frs_from_be_bytes(cell.as_bytes(), out)
}

fn evals_to_cells(evals_brp: &[Fr]) -> Cells {
    let cells: Vec<Cell> = evals_brp
        .chunks_exact(FIELD_ELEMENTS_PER_CELL)
        .map(|chunk| {
            let mut c = Cell::default();
            for (dst, x) in c.0.chunks_exact_mut(BYTES_PER_FIELD_ELEMENT).zip(chunk) {
                dst.copy_from_slice(&fr_to_be_bytes(x));
            }
            c
        })
        .collect();
    boxed_array(cells)
}

/// Spec `compute_verify_cell_kzg_proof_batch_challenge`, on raw bytes (cells are the
/// canonical encodings of the coset evaluations, so they are hashed as given).
pub fn compute_verify_cell_kzg_proof_batch_challenge(
    commitments: &[KzgCommitment],
    commitment_indices: &[u64],
    cell_indices: &[u64],
    cells: &[Cell],
    proofs: &[KzgProof],
) -> Bytes32 {
    Bytes32(fr_to_be_bytes(&cell_batch_challenge(
        commitments,
        commitment_indices,
        cell_indices,
        cells,
        proofs,
    )))
}

fn cell_batch_challenge(
    commitments: &[KzgCommitment],
    commitment_indices: &[u64],
    cell_indices: &[u64],
    cells: &[Cell],
    proofs: &[KzgProof],
) -> Fr {
    let mut h = Sha256::new();
    h.update(RANDOM_CHALLENGE_KZG_CELL_BATCH_DOMAIN);
    h.update((FIELD_ELEMENTS_PER_BLOB as u64).to_be_bytes());
    h.update((FIELD_ELEMENTS_PER_CELL as u64).to_be_bytes());
    h.update((commitments.len() as u64).to_be_bytes());
    h.update((cell_indices.len() as u64).to_be_bytes());
    for c in commitments {
        h.update(c.as_bytes());
    }
    for (((ci, idx), cell), proof) in commitment_indices
        .iter()
        .zip(cell_indices)
        .zip(cells)
        .zip(proofs)
    {
        h.update(ci.to_be_bytes());
        h.update(idx.to_be_bytes());
        h.update(cell.as_bytes());
        h.update(proof.as_bytes());
    }
    fr_from_digest(&h.finalize().into())
}

impl KzgSettings {
    /// Coefficients of the blob's polynomial (spec `polynomial_eval_to_coeff`).
    fn blob_coefficients(&self, blob: &Blob) -> Result<Vec<Fr>, Error> {
        let mut p = blob_to_polynomial(blob)?;
        self.domain.ifft_from_brp(&mut p);
        Ok(p)
    }

    /// The extended evaluations (bit-reversed over the `2n` domain) of a polynomial.
    pub(crate) fn extend(&self, coeffs: &[Fr]) -> Vec<Fr> {
        let mut ext = vec![Fr::zero(); 2 * self.size()];
        ext[..coeffs.len()].copy_from_slice(coeffs);
        self.ext_domain.fft_to_brp(&mut ext);
        ext
    }

    /// Spec `compute_cells`: the 128 cells of the extended blob.
    pub fn compute_cells(&self, blob: &Blob) -> Result<Cells, Error> {
        self.require_eip7594()?;
        let coeffs = self.blob_coefficients(blob)?;
        Ok(evals_to_cells(&self.extend(&coeffs)))
    }

    /// Spec `compute_cells_and_kzg_proofs`: the 128 cells and their proofs, the proofs computed
    /// all at once with FK20.
    pub fn compute_cells_and_kzg_proofs(&self, blob: &Blob) -> Result<(Cells, CellProofs), Error> {
        self.require_eip7594()?;
        let coeffs = self.blob_coefficients(blob)?;
        self.cells_and_proofs_from_coefficients(&coeffs)
    }

    pub(crate) fn cells_and_proofs_from_coefficients(
        &self,
        coeffs: &[Fr],
    ) -> Result<(Cells, CellProofs), Error> {
        let prover = self.require_eip7594()?;
        let cells = || evals_to_cells(&self.extend(coeffs));
        #[cfg(feature = "parallel")]
        let (cells, proofs) = rayon::join(cells, || prover.prove_all(coeffs));
        #[cfg(not(feature = "parallel"))]
        let (cells, proofs) = (cells(), prover.prove_all(coeffs));
        let proofs = proofs?;
        let proofs: Vec<KzgProof> = proofs.iter().map(|p| KzgProof(g1_to_bytes(p))).collect();
        Ok((cells, boxed_array(proofs)))
    }

    /// Spec `verify_cell_kzg_proof_batch`: checks that each `cells[k]` holds the evaluations,
    /// on the coset of `cell_indices[k]`, of the polynomial committed in `commitments[k]`, with
    /// one pairing equation for the whole batch (cells of many blobs may be mixed; duplicate
    /// commitments are merged). Empty input verifies.
    pub fn verify_cell_kzg_proof_batch(
        &self,
        commitments: &[KzgCommitment],
        cell_indices: &[u64],
        cells: &[Cell],
        proofs: &[KzgProof],
    ) -> Result<bool, Error> {
        let prover = self.require_eip7594()?;
        let k = cells.len();
        if commitments.len() != k || cell_indices.len() != k || proofs.len() != k {
            return Err(Error::LengthMismatch {
                what: "commitments/cell_indices/cells/proofs",
            });
        }
        if let Some(&index) = cell_indices
            .iter()
            .find(|&&i| i >= CELLS_PER_EXT_BLOB as u64)
        {
            return Err(Error::CellIndexOutOfRange {
                index,
                bound: CELLS_PER_EXT_BLOB as u64,
            });
        }
        // Deduplicate commitments, first occurrence first.
        let mut unique: Vec<KzgCommitment> = Vec::new();
        let mut commitment_indices = Vec::with_capacity(k);
        for c in commitments {
            let idx = match unique.iter().position(|u| u == c) {
                Some(i) => i,
                None => {
                    unique.push(*c);
                    unique.len() - 1
                }
            };
            commitment_indices.push(idx);
        }
        let unique_points = unique
            .iter()
            .enumerate()
            .map(|(i, c)| bytes_to_commitment(c.as_bytes(), i))
            .collect::<Result<Vec<_>, _>>()?;
        let mut openings = Vec::with_capacity(k);
        for (i, (((cell, idx), proof), ci)) in cells
            .iter()
            .zip(cell_indices)
            .zip(proofs)
            .zip(&commitment_indices)
            .enumerate()
        {
            let mut evals = Vec::with_capacity(FIELD_ELEMENTS_PER_CELL);
            cell_to_coset_evals(cell, &mut evals)?;
            openings.push(CosetOpening {
                commitment_index: *ci,
                shift: prover.coset_shift(cell_index(*idx)),
                evals,
                proof: bytes_to_proof(proof.as_bytes(), i)?,
            });
        }
        let commitment_indices: Vec<u64> = commitment_indices.iter().map(|&i| i as u64).collect();
        let r = cell_batch_challenge(&unique, &commitment_indices, cell_indices, cells, proofs);
        self.verify_coset_openings_batch_with(&unique_points, &openings, r)
    }

    /// Spec `recover_cells_and_kzg_proofs`: from at least half of the cells (indices strictly
    /// increasing), all 128 cells and their proofs.
    pub fn recover_cells_and_kzg_proofs(
        &self,
        cell_indices: &[u64],
        cells: &[Cell],
    ) -> Result<(Cells, CellProofs), Error> {
        self.require_eip7594()?;
        if cell_indices.len() != cells.len() {
            return Err(Error::LengthMismatch {
                what: "cell_indices/cells",
            });
        }
        let have = cells.len();
        if !(CELLS_PER_EXT_BLOB / 2..=CELLS_PER_EXT_BLOB).contains(&have) {
            return Err(Error::WrongCellCount {
                have,
                need: CELLS_PER_EXT_BLOB / 2,
                max: CELLS_PER_EXT_BLOB,
            });
        }
        for (i, &index) in cell_indices.iter().enumerate() {
            if index >= CELLS_PER_EXT_BLOB as u64 {
                return Err(Error::CellIndexOutOfRange {
                    index,
                    bound: CELLS_PER_EXT_BLOB as u64,
                });
            }
            if i > 0 && index <= cell_indices[i - 1] {
                return Err(Error::CellIndicesNotAscending {
                    index,
                    previous: cell_indices[i - 1],
                });
            }
        }
        let mut evals = Vec::with_capacity(have * FIELD_ELEMENTS_PER_CELL);
        for cell in cells {
            cell_to_coset_evals(cell, &mut evals)?;
        }
        let indices: Vec<usize> = cell_indices.iter().map(|&i| cell_index(i)).collect();
        let coeffs = self.recover_coefficients(FIELD_ELEMENTS_PER_CELL, &indices, &evals)?;
        self.cells_and_proofs_from_coefficients(&coeffs)
    }
}
