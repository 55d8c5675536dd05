//! The data root ("storage root") of an encoded blob and per-row proofs.
//!
//! The `3 · rows · cols` 32-byte elements are a 0G storage file of `3 · rows · cols / 8` sectors
//! (no padding is ever needed); its file root (zg-core) is `keccak(keccak(R0‖R1)‖R2)` over the
//! three coset subtree roots. A row is a complete subtree of `cols / 8` sectors (128 live).

use super::encode::{EncodedBlob, row_to_bytes};
use super::padding::Dims;
use super::{COSETS, Error, Fr};
use zg_core::tree::{MerkleTree, sector_hashes};
use zg_core::{H256, hash_pair};

/// `keccak(keccak(R0‖R1)‖R2)` (the encoder's `compute_file_root`).
pub fn data_root_from_coset_roots(roots: &[H256; COSETS]) -> H256 {
    hash_pair(&hash_pair(&roots[0], &roots[1]), &roots[2])
}

/// The full Merkle tree over an encoded blob, for the data root and row proofs.
#[derive(Clone, Debug)]
pub struct DataTree {
    dims: Dims,
    tree: MerkleTree,
}

impl DataTree {
    /// Builds the tree (about 25 MB of hashes for a live blob).
    pub fn new(blob: &EncodedBlob) -> Result<Self, Error> {
        let leaves = sector_hashes(&row_to_bytes(blob.scalars()))?;
        Ok(DataTree {
            dims: blob.dims(),
            tree: MerkleTree::from_leaves(leaves)?,
        })
    }

    /// The data root.
    pub fn root(&self) -> H256 {
        self.tree.root()
    }

    fn row_level(&self) -> u32 {
        self.dims.log_cols() - 3
    }

    fn coset_level(&self) -> u32 {
        self.row_level() + self.dims.log_rows()
    }

    /// The three coset roots.
    pub fn coset_roots(&self) -> Result<[H256; COSETS], Error> {
        let level = self.coset_level();
        Ok([
            self.tree.node(level, 0)?,
            self.tree.node(level, 1)?,
            self.tree.node(level, 2)?,
        ])
    }

    /// The root of row `index`'s subtree.
    pub fn row_root(&self, index: usize) -> Result<H256, Error> {
        let rows = self.dims.encoded_rows();
        if index >= rows {
            return Err(Error::RowOutOfRange { index, rows });
        }
        Ok(self.tree.node(self.row_level(), index as u64)?)
    }

    /// The proof of row `index` up to its coset root and on to the data root (the encoder's
    /// `EncodedSliceMerkle`: coset roots, `log₂ rows` siblings bottom-up, row index).
    pub fn row_proof(&self, index: usize) -> Result<RowProof, Error> {
        let rows = self.dims.encoded_rows();
        if index >= rows {
            return Err(Error::RowOutOfRange { index, rows });
        }
        let mut siblings = Vec::with_capacity(self.dims.rows());
        let mut pos = index as u64;
        for d in 0..self.dims.log_rows() {
            siblings.push(self.tree.node(self.row_level() + d, pos ^ 1)?);
            pos >>= 1;
        }
        Ok(RowProof {
            index,
            siblings,
            coset_roots: self.coset_roots()?,
        })
    }
}

/// A row's Merkle proof: the row's subtree root folds with `siblings` (bottom-up, the row index
/// bits choosing the side) to coset root `coset_roots[index / rows]`, and the coset roots give the
/// data root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowProof {
    /// Encoded row index, `0..3·rows`.
    pub index: usize,
    /// Siblings from the row subtree up to the coset root (`log₂ rows` of them).
    pub siblings: Vec<H256>,
    /// The three coset roots.
    pub coset_roots: [H256; COSETS],
}

impl RowProof {
    /// Checks that `row` (its `cols` scalars) is encoded row `self.index` of the blob with
    /// `data_root`, in the encoder's order of checks (data root, row size, index, subtree fold).
    pub fn verify(&self, dims: Dims, data_root: &H256, row: &[Fr]) -> Result<(), Error> {
        if data_root_from_coset_roots(&self.coset_roots) != *data_root {
            return Err(Error::InvalidProof);
        }
        if row.len() != dims.cols() {
            return Err(Error::InvalidLength {
                expected: dims.cols(),
                got: row.len(),
            });
        }
        if self.index >= dims.encoded_rows() {
            return Err(Error::RowOutOfRange {
                index: self.index,
                rows: dims.encoded_rows(),
            });
        }
        if self.siblings.len() != dims.log_rows() as usize {
            return Err(Error::InvalidProof);
        }
        let leaves = sector_hashes(&row_to_bytes(row))?;
        let mut acc = MerkleTree::from_leaves(leaves)?.root();
        let mut pos = self.index;
        for s in &self.siblings {
            acc = if pos & 1 == 1 {
                hash_pair(s, &acc)
            } else {
                hash_pair(&acc, s)
            };
            pos >>= 1;
        }
        if acc != self.coset_roots[self.index / dims.rows()] {
            return Err(Error::InvalidProof);
        }
        Ok(())
    }
}
