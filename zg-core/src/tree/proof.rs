//! Merkle proofs in 0G's lemma/path form.

use crate::{Error, H256, hash_pair};

/// Longest path any 0G tree can have (2^64 leaves).
pub const MAX_PROOF_DEPTH: usize = 64;

/// A Merkle proof as 0G writes it (`Proof` in 0g-storage-client and 0g-storage-node):
///
/// * `lemma = [leaf, sibling_0, …, sibling_{k-1}, root]`, siblings from the bottom up;
/// * `path[i] = true` when the node being proven is the **left** child at step `i`.
///
/// A one-leaf tree has `lemma = [root]` and an empty path. The leaf and root inside the lemma are
/// checked against the caller's values; the position is checked against the tree's shape, so a
/// proof for one leaf never passes for another.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Proof {
    /// `[leaf, siblings…, root]`.
    pub lemma: Vec<H256>,
    /// `true` where the proven node is the left child, bottom-up.
    pub path: Vec<bool>,
}

impl Proof {
    /// Builds a proof from its parts, checking the shape.
    pub fn new(lemma: Vec<H256>, path: Vec<bool>) -> Result<Self, Error> {
        let p = Proof { lemma, path };
        p.check_shape()?;
        Ok(p)
    }

    /// Builds the proof for `leaf` with `siblings` (bottom-up, each with its `is_left` flag for
    /// the proven node) and the resulting root.
    pub(crate) fn from_siblings(leaf: H256, siblings: Vec<(H256, bool)>) -> Self {
        let mut lemma = Vec::with_capacity(siblings.len() + 2);
        lemma.push(leaf);
        let mut path = Vec::with_capacity(siblings.len());
        let mut acc = leaf;
        for (sib, is_left) in siblings {
            acc = if is_left {
                hash_pair(&acc, &sib)
            } else {
                hash_pair(&sib, &acc)
            };
            lemma.push(sib);
            path.push(is_left);
        }
        if !path.is_empty() {
            lemma.push(acc);
        }
        Proof { lemma, path }
    }

    /// Checks `lemma.len() == path.len() + 2` (or 1 for an empty path) and the depth bound.
    pub fn check_shape(&self) -> Result<(), Error> {
        if self.path.len() > MAX_PROOF_DEPTH {
            return Err(Error::MalformedProof("path longer than 64"));
        }
        let expected = if self.path.is_empty() {
            1
        } else {
            self.path.len() + 2
        };
        if self.lemma.len() != expected {
            return Err(Error::MalformedProof("lemma length does not match path"));
        }
        Ok(())
    }

    /// The proven leaf (or node) hash: `lemma[0]`.
    pub fn leaf(&self) -> Option<&H256> {
        self.lemma.first()
    }

    /// The root the proof claims: the last lemma entry.
    pub fn root(&self) -> Option<&H256> {
        self.lemma.last()
    }

    /// The sibling hashes, bottom-up.
    pub fn siblings(&self) -> &[H256] {
        match self.lemma.len() {
            0..=2 => &[],
            n => &self.lemma[1..n - 1],
        }
    }

    /// Folds the leaf with the siblings along the path.
    pub fn compute_root(&self) -> Result<H256, Error> {
        self.check_shape()?;
        let mut acc = self.lemma[0];
        for (sib, &is_left) in self.siblings().iter().zip(&self.path) {
            acc = if is_left {
                hash_pair(&acc, sib)
            } else {
                hash_pair(sib, &acc)
            };
        }
        Ok(acc)
    }

    /// Verifies a proof of leaf `position` in a 0G **file tree** (pair adjacent nodes, promote an
    /// odd last node) of `num_leaves` leaves, under `root`.
    pub fn verify(
        &self,
        root: &H256,
        leaf: &H256,
        position: u64,
        num_leaves: u64,
    ) -> Result<(), Error> {
        self.check_shape()?;
        let expected = promote_odd_path(position, num_leaves)?;
        if self.path != expected {
            return Err(Error::InvalidProof);
        }
        self.check_ends_and_fold(root, leaf)
    }

    /// Verifies a proof of the node at `index` on its level of a **complete** binary tree, `depth`
    /// levels below `root` (the 0G flow: no promotion, missing subtrees are zero subtrees). For a
    /// sector of a flow of length `L`, `depth = ceil_log2(L)` and `index` is the sector position.
    pub fn verify_complete(
        &self,
        root: &H256,
        node: &H256,
        index: u64,
        depth: u32,
    ) -> Result<(), Error> {
        self.check_shape()?;
        if usize::try_from(depth).ok() != Some(self.path.len()) {
            return Err(Error::InvalidProof);
        }
        if depth < 64 && index >> depth != 0 {
            return Err(Error::IndexOutOfRange {
                index,
                len: 1u64 << depth,
            });
        }
        let bits_match = self
            .path
            .iter()
            .enumerate()
            .all(|(i, &is_left)| ((index >> i) & 1 == 0) == is_left);
        if !bits_match {
            return Err(Error::InvalidProof);
        }
        self.check_ends_and_fold(root, node)
    }

    fn check_ends_and_fold(&self, root: &H256, leaf: &H256) -> Result<(), Error> {
        if self.lemma.first() != Some(leaf) || self.lemma.last() != Some(root) {
            return Err(Error::InvalidProof);
        }
        if &self.compute_root()? != root {
            return Err(Error::InvalidProof);
        }
        Ok(())
    }

    /// Canonical bytes: `u8 path_len` then `path_len` bytes of `0`/`1`, then the lemma's
    /// `path_len + 2` hashes (or 1 hash for an empty path), 32 bytes each.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + self.path.len() + 32 * self.lemma.len());
        // The shape check bounds the path at 64 entries; `to_bytes` of a malformed proof writes
        // what is there and `from_bytes` rejects it.
        out.push(u8::try_from(self.path.len()).unwrap_or(u8::MAX));
        out.extend(self.path.iter().map(|&b| u8::from(b)));
        for h in &self.lemma {
            out.extend_from_slice(&h.0);
        }
        out
    }

    /// Decodes [`Proof::to_bytes`], rejecting any other byte string (bad flags, wrong length,
    /// trailing bytes, a path over 64).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let (&n, rest) = bytes.split_first().ok_or(Error::Decode("empty proof"))?;
        let n = usize::from(n);
        if n > MAX_PROOF_DEPTH {
            return Err(Error::Decode("path longer than 64"));
        }
        if rest.len() < n {
            return Err(Error::Decode("truncated path"));
        }
        let (flags, hashes) = rest.split_at(n);
        let path = flags
            .iter()
            .map(|&b| match b {
                0 => Ok(false),
                1 => Ok(true),
                _ => Err(Error::Decode("path flag not 0 or 1")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let lemma_len = if n == 0 { 1 } else { n + 2 };
        if hashes.len() != 32 * lemma_len {
            return Err(Error::Decode("lemma length does not match path"));
        }
        let lemma = hashes
            .chunks_exact(32)
            .map(H256::from_slice)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Proof { lemma, path })
    }
}

/// The path flags (bottom-up, `true` = left child) that leaf `position` has in a 0G file tree of
/// `num_leaves` leaves. Promoted steps have no entry.
///
/// In such a tree the root's left subtree holds the first `next_pow2(n) / 2` leaves and the right
/// subtree is again a promote-odd tree over the rest, so the path follows from a descent.
pub fn promote_odd_path(position: u64, num_leaves: u64) -> Result<Vec<bool>, Error> {
    if position >= num_leaves {
        return Err(Error::IndexOutOfRange {
            index: position,
            len: num_leaves,
        });
    }
    let mut n = num_leaves;
    let mut p = position;
    let mut top_down = Vec::new();
    while n > 1 {
        // n >= 2 here, so the power of two exists and is at most 2^63.
        let left = n.checked_next_power_of_two().map_or(1u64 << 63, |v| v / 2);
        if p < left {
            top_down.push(true);
            n = left;
        } else {
            top_down.push(false);
            p -= left;
            n -= left;
        }
    }
    top_down.reverse();
    Ok(top_down)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_of_small_trees() {
        // 5 leaves: ((0,1),(2,3)),4 — leaf 4 is promoted twice.
        assert_eq!(promote_odd_path(4, 5).unwrap(), vec![false]);
        assert_eq!(promote_odd_path(0, 5).unwrap(), vec![true, true, true]);
        assert_eq!(promote_odd_path(6, 7).unwrap(), vec![false, false]);
        assert_eq!(promote_odd_path(0, 1).unwrap(), Vec::<bool>::new());
        assert!(promote_odd_path(7, 7).is_err());
    }

    #[test]
    fn bytes_round_trip_and_strictness() {
        let p = Proof::from_siblings(
            H256([1; 32]),
            vec![(H256([2; 32]), true), (H256([3; 32]), false)],
        );
        let bytes = p.to_bytes();
        assert_eq!(Proof::from_bytes(&bytes).unwrap(), p);
        assert!(Proof::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Proof::from_bytes(&longer).is_err());
        let mut bad_flag = bytes.clone();
        bad_flag[1] = 2;
        assert!(Proof::from_bytes(&bad_flag).is_err());
        assert!(Proof::from_bytes(&[]).is_err());
        assert!(Proof::from_bytes(&[65]).is_err());
        let single = Proof::from_siblings(H256([9; 32]), vec![]);
        assert_eq!(single.lemma.len(), 1);
        assert_eq!(Proof::from_bytes(&single.to_bytes()).unwrap(), single);
    }

    #[test]
    fn malformed_shapes_are_typed_errors() {
        let p = Proof {
            lemma: vec![H256::ZERO; 2],
            path: vec![true],
        };
        assert!(matches!(p.compute_root(), Err(Error::MalformedProof(_))));
        assert!(matches!(
            p.verify(&H256::ZERO, &H256::ZERO, 0, 2),
            Err(Error::MalformedProof(_))
        ));
        let empty = Proof {
            lemma: vec![],
            path: vec![],
        };
        assert!(empty.compute_root().is_err());
        assert!(empty.leaf().is_none());
    }
}
