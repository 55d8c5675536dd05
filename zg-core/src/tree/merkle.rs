//! An in-memory 0G Merkle tree (pair adjacent nodes, promote an odd last node), for proofs.

use super::proof::Proof;
use crate::{Error, H256, hash_pair};

/// A complete in-memory 0G Merkle tree: every level kept, so any leaf can be proven.
///
/// Level 0 holds the leaves; each next level pairs adjacent nodes and **promotes an odd last node
/// unchanged** (0G-FORMATS §2.4). Over a power-of-two number of leaves this is the ordinary
/// complete binary tree. Memory is about two hashes per leaf; to only compute a root, use
/// [`FileRootBuilder`](super::FileRootBuilder), which keeps O(log n) hashes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerkleTree {
    levels: Vec<Vec<H256>>,
}

impl MerkleTree {
    /// Builds the tree over `leaves` (leaf hashes, not data). Empty input is an error.
    pub fn from_leaves(leaves: Vec<H256>) -> Result<Self, Error> {
        if leaves.is_empty() {
            return Err(Error::EmptyInput);
        }
        let mut levels = vec![leaves];
        while let Some(last) = levels.last() {
            if last.len() <= 1 {
                break;
            }
            let next: Vec<H256> = last
                .chunks(2)
                .map(|pair| match pair {
                    [l, r] => hash_pair(l, r),
                    // `chunks(2)` is never empty: a lone last node is promoted unchanged.
                    _ => pair[0],
                })
                .collect();
            levels.push(next);
        }
        Ok(MerkleTree { levels })
    }

    /// The root.
    pub fn root(&self) -> H256 {
        // `from_leaves` guarantees a non-empty top level with one node.
        self.levels
            .last()
            .and_then(|l| l.first())
            .copied()
            .unwrap_or(H256::ZERO)
    }

    /// Number of leaves.
    pub fn num_leaves(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Number of levels above the leaves (0 for a single leaf).
    pub fn height(&self) -> u32 {
        // At most 64 levels for 2^64 leaves.
        u32::try_from(self.levels.len().saturating_sub(1)).unwrap_or(u32::MAX)
    }

    /// The leaf hash at `index`.
    pub fn leaf(&self, index: u64) -> Result<H256, Error> {
        self.node(0, index)
    }

    /// The node at `level` (0 = leaves), `index` on that level.
    pub fn node(&self, level: u32, index: u64) -> Result<H256, Error> {
        let lvl = usize::try_from(level)
            .ok()
            .and_then(|l| self.levels.get(l))
            .ok_or(Error::IndexOutOfRange {
                index: u64::from(level),
                len: self.levels.len() as u64,
            })?;
        usize::try_from(index)
            .ok()
            .and_then(|i| lvl.get(i))
            .copied()
            .ok_or(Error::IndexOutOfRange {
                index,
                len: lvl.len() as u64,
            })
    }

    /// All levels, leaves first.
    pub fn levels(&self) -> &[Vec<H256>] {
        &self.levels
    }

    /// The proof of leaf `index` in 0G's lemma/path form.
    pub fn proof(&self, index: u64) -> Result<Proof, Error> {
        let leaf = self.leaf(index)?;
        let mut siblings = Vec::new();
        // index fits usize: `leaf` succeeded.
        let mut idx = usize::try_from(index).map_err(|_| Error::IndexOutOfRange {
            index,
            len: self.num_leaves(),
        })?;
        for level in &self.levels[..self.levels.len() - 1] {
            if idx % 2 == 1 {
                siblings.push((level[idx - 1], false));
            } else if let Some(right) = level.get(idx + 1) {
                siblings.push((*right, true));
            }
            // else: an odd last node, promoted without a sibling.
            idx /= 2;
        }
        Ok(Proof::from_siblings(leaf, siblings))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keccak256;

    fn leaves(n: usize) -> Vec<H256> {
        (0..n)
            .map(|i| keccak256(format!("chunk data - {i}").as_bytes()))
            .collect()
    }

    #[test]
    fn official_client_vectors() {
        // 0g-storage-client core/merkle tests: leaves = keccak("chunk data - i").
        for (n, root) in [
            (
                5,
                "2dea03c693750777940bcd0cc3f5d93543c075fa3b9a07b9fd86ec8fbaf6a8b2",
            ),
            (
                6,
                "318c92000aefba6ebf570a8a6daa57aa643f04350ffbe583999ddd9e24ceb147",
            ),
            (
                7,
                "ca80116fb7fb8d6ef4a47e322f22e94ae8beb03e6fcbf8ab59c4d6f54fe42c4d",
            ),
        ] {
            let tree = MerkleTree::from_leaves(leaves(n)).unwrap();
            assert_eq!(tree.root(), H256::from_hex(root).unwrap(), "n = {n}");
        }
    }

    #[test]
    fn official_node_vectors() {
        // 0g-storage-node merkle_tree tests: n leaves all equal to Z[0].
        let z0 = crate::hash::zero_hashes()[0];
        for (n, root) in [
            (
                6,
                "567c47a879794dd489a210dec17d31cc5919bc427d138d716a8107e025e2dbcb",
            ),
            (
                7,
                "294253ab31cbf90dbbbef755a75ff1601da790e35c365f530e7c1a1ca904dcf8",
            ),
        ] {
            let tree = MerkleTree::from_leaves(vec![z0; n]).unwrap();
            assert_eq!(tree.root(), H256::from_hex(root).unwrap(), "n = {n}");
        }
    }

    #[test]
    fn every_proof_verifies_and_only_at_its_position() {
        for n in 1..=40usize {
            let tree = MerkleTree::from_leaves(leaves(n)).unwrap();
            let root = tree.root();
            for i in 0..n as u64 {
                let proof = tree.proof(i).unwrap();
                let leaf = tree.leaf(i).unwrap();
                proof.verify(&root, &leaf, i, n as u64).unwrap();
                for j in (0..n as u64).filter(|&j| j != i) {
                    assert!(proof.verify(&root, &leaf, j, n as u64).is_err());
                }
            }
        }
        assert_eq!(MerkleTree::from_leaves(vec![]), Err(Error::EmptyInput));
        for n in 1..=40usize {
            assert_eq!(
                crate::tree::promote_odd_root(leaves(n)).unwrap(),
                MerkleTree::from_leaves(leaves(n)).unwrap().root()
            );
        }
        assert_eq!(crate::tree::promote_odd_root([]), Err(Error::EmptyInput));
    }
}
