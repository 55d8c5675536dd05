//! 0G storage Merkle trees, byte-compatible with the live network (0G-FORMATS §1–3).
//!
//! * **File root** ([`file_root`], [`FileRootBuilder`]): Keccak-256 leaves over 256-byte sectors,
//!   the file zero-padded to the contract's padded length ([`padded_sectors`]), adjacent nodes
//!   paired and an odd last node promoted.
//! * **Submission** ([`Submission`]): the padded length split into descending powers of two, each a
//!   complete subtree ([`SubmissionNode`]); the right fold of their roots equals the file root.
//! * **Segments** ([`segment_roots`], [`root_from_segments`]): roots of 1024-sector segments, whose
//!   promote-odd tree is again the file root.
//! * **Proofs** ([`Proof`]): 0G's lemma/path form, for file trees ([`MerkleTree::proof`]) and for
//!   the flow ([`Flow::proof`]).
//! * **Flow** ([`Flow`]): the global append-only log with its alignment rules, zero-subtree
//!   padding, root and sector proofs.

mod flow;
mod merkle;
mod padding;
mod proof;
mod stream;

pub use flow::{Flow, FlowPlacement, insertion_plan};
pub use merkle::MerkleTree;
pub use padding::{
    SEAL_SIZE, SECTORS_PER_SEAL, SECTORS_PER_SEGMENT, SEGMENT_SIZE, ceil_log2, next_pow2,
    padded_sectors, sectors_for_size, submission_heights,
};
pub use proof::{MAX_PROOF_DEPTH, Proof, promote_odd_path};
pub use stream::FileRootBuilder;

use crate::hash::{hash_sector, zero_hashes};
use crate::{Error, H256, SECTOR_SIZE, hash_pair};
use stream::RootStack;

/// One submission node: a complete subtree over `2^height` sectors of the padded file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SubmissionNode {
    /// Root of the subtree.
    pub root: H256,
    /// log2 of the number of sectors under it.
    pub height: u32,
}

impl SubmissionNode {
    /// Number of sectors under the node, or `None` for a height past 63.
    pub fn sectors(&self) -> Option<u64> {
        1u64.checked_shl(self.height)
    }
}

/// What a client submits to the 0G flow contract for a file: its byte length and its submission
/// nodes, largest first.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Submission {
    /// File length in bytes.
    pub size: u64,
    /// Submission nodes, strictly descending heights.
    pub nodes: Vec<SubmissionNode>,
}

impl Submission {
    /// The data root: `r = last.root`, then `r = keccak(node.root || r)` for the earlier nodes in
    /// reverse order (0G-FORMATS §2.5). Equals the file root.
    pub fn root(&self) -> H256 {
        let mut it = self.nodes.iter().rev();
        let Some(last) = it.next() else {
            return H256::ZERO;
        };
        it.fold(last.root, |acc, n| hash_pair(&n.root, &acc))
    }

    /// The node heights, largest first.
    pub fn heights(&self) -> Vec<u32> {
        self.nodes.iter().map(|n| n.height).collect()
    }

    /// Sectors of file data: `ceil(size / 256)`.
    pub fn sectors(&self) -> u64 {
        sectors_for_size(self.size)
    }

    /// Padded sectors: the sum of the nodes' sizes.
    pub fn padded_sectors(&self) -> u64 {
        self.nodes
            .iter()
            .filter_map(SubmissionNode::sectors)
            .fold(0u64, u64::saturating_add)
    }

    /// Checks the submission is one the contract accepts: non-empty, strictly descending heights,
    /// and exactly the padded length of `size`.
    pub fn validate(&self) -> Result<(), Error> {
        let padded = padded_sectors(self.sectors())?;
        if self.heights() != submission_heights(padded) {
            return Err(Error::InvalidSize {
                size: self.size,
                reason: "submission nodes do not match the padded length",
            });
        }
        Ok(())
    }
}

/// The 0G file root of `data` (single-threaded). Empty data is [`Error::EmptyInput`].
///
/// ```
/// let root = zg_core::tree::file_root(b"Hello, world!")?;
/// assert_eq!(
///     root.to_string(),
///     "0xd0b3962d3bc5b08d61151d5f16c21c7eb4f4690685cdaafe0d01b42c79736eaa"
/// );
/// # Ok::<(), zg_core::Error>(())
/// ```
pub fn file_root(data: &[u8]) -> Result<H256, Error> {
    Ok(file_submission(data)?.root())
}

/// The submission (nodes and size) of `data`, single-threaded.
pub fn file_submission(data: &[u8]) -> Result<Submission, Error> {
    let mut b = FileRootBuilder::new();
    b.update(data);
    b.finalize()
}

/// The 0G file root of `data`, hashing on the rayon pool (feature `parallel`).
#[cfg(feature = "parallel")]
pub fn file_root_parallel(data: &[u8]) -> Result<H256, Error> {
    let mut b = FileRootBuilder::parallel();
    b.update(data);
    Ok(b.finalize()?.root())
}

/// Hashes of the padded file's sectors: data sectors (the last one zero-filled) then `Z[0]` for
/// every padding sector.
pub fn sector_hashes(data: &[u8]) -> Result<Vec<H256>, Error> {
    let sectors = sectors_for_size(data.len() as u64);
    let padded = padded_sectors(sectors)?;
    let padded_len = usize::try_from(padded).map_err(|_| Error::InvalidSize {
        size: padded,
        reason: "file too large for memory",
    })?;
    let mut leaves = Vec::with_capacity(padded_len);
    let mut chunks = data.chunks_exact(SECTOR_SIZE);
    for c in &mut chunks {
        if let Ok(c) = <&[u8; SECTOR_SIZE]>::try_from(c) {
            leaves.push(hash_sector(c));
        }
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut last = [0u8; SECTOR_SIZE];
        last[..rest.len()].copy_from_slice(rest);
        leaves.push(hash_sector(&last));
    }
    leaves.resize(padded_len, zero_hashes()[0]);
    Ok(leaves)
}

/// The whole in-memory tree of a file (padded), for sector proofs: `tree.proof(i)` proves sector
/// `i` and verifies with `proof.verify(&root, &leaf, i, tree.num_leaves())`.
pub fn file_tree(data: &[u8]) -> Result<MerkleTree, Error> {
    MerkleTree::from_leaves(sector_hashes(data)?)
}

/// Roots of the padded file's segments (1024 sectors each; the last may be shorter).
pub fn segment_roots(data: &[u8]) -> Result<Vec<H256>, Error> {
    let padded = padded_sectors(sectors_for_size(data.len() as u64))?;
    let mut roots =
        Vec::with_capacity(usize::try_from(padded.div_ceil(SECTORS_PER_SEGMENT)).unwrap_or(0));
    let mut segments = data.chunks(SEGMENT_SIZE);
    let mut start = 0u64;
    while start < padded {
        let mut s = RootStack::default();
        // The segment's data sectors (the last zero-filled), then zero padding to its end; a
        // segment past the data is all padding.
        s.push_sectors(segments.next().unwrap_or(&[]));
        s.pad_zeros_to((padded - start).min(SECTORS_PER_SEGMENT));
        roots.push(s.fold_root().unwrap_or(H256::ZERO));
        start += SECTORS_PER_SEGMENT;
    }
    Ok(roots)
}

/// The file root from segment roots: the promote-odd tree over them (0G-FORMATS §2.7).
pub fn root_from_segments(segment_roots: &[H256]) -> Result<H256, Error> {
    promote_odd_root(segment_roots.iter().copied())
}

/// The root of the 0G promote-odd tree over `leaves` (no padding), in O(log n) memory: the same
/// root as [`MerkleTree::from_leaves`] without keeping the levels. Empty input is
/// [`Error::EmptyInput`].
pub fn promote_odd_root(leaves: impl IntoIterator<Item = H256>) -> Result<H256, Error> {
    let mut s = RootStack::default();
    for leaf in leaves {
        s.push(0, leaf);
    }
    s.fold_root().ok_or(Error::EmptyInput)
}
