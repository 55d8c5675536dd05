//! The 0G flow: the global append-only log of sectors every file is placed in (0G-FORMATS §3).

use std::collections::HashMap;
use std::sync::Arc;

use super::merkle::MerkleTree;
use super::padding::{SECTORS_PER_SEGMENT, ceil_log2};
use super::proof::Proof;
use super::{Submission, SubmissionNode, sector_hashes};
use crate::hash::zero_hashes;
use crate::{Error, H256, hash_pair};

/// Where a submission landed in the flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowPlacement {
    /// First sector of the submission.
    pub start: u64,
    /// Flow length (sectors) after the insertion.
    pub length: u64,
    /// Each submission node with the sector it starts at.
    pub nodes: Vec<(u64, SubmissionNode)>,
}

/// What is known below one aligned entry of the flow.
#[derive(Clone, Debug)]
enum Content {
    /// Leaf 0: the raw zero value, not a sector hash.
    Genesis,
    /// Zero sectors (alignment gaps).
    Zero,
    /// Only the root is known (a submission inserted by its nodes, as the contract sees it).
    Root(H256),
    /// The whole subtree is known (a submission inserted with its data): sector proofs work.
    Data(Arc<MerkleTree>),
}

#[derive(Clone, Debug)]
struct Entry {
    start: u64,
    height: u32,
    content: Content,
}

impl Entry {
    fn root(&self) -> H256 {
        match &self.content {
            Content::Genesis => H256::ZERO,
            Content::Zero => zero_hashes()[self.height as usize],
            Content::Root(r) => *r,
            Content::Data(t) => t.root(),
        }
    }
}

/// Computes where a submission with node `heights` (strictly descending) goes in a flow of
/// `length` sectors: returns the start sector of each node.
///
/// Rules (0G-FORMATS §3): start at the next multiple of `2^heights[0]` at or after `length`; if that
/// start is not segment-aligned and `[start, start + size)` crosses a 1024-sector boundary, jump to
/// the next multiple of 1024. Each node then sits at the next multiple of its own size.
pub fn insertion_plan(length: u64, heights: &[u32]) -> Result<Vec<u64>, Error> {
    let overflow = Error::InvalidSize {
        size: length,
        reason: "flow position overflows u64",
    };
    let (&h0, _) = heights.split_first().ok_or(Error::EmptyInput)?;
    if heights.windows(2).any(|w| w[0] <= w[1]) || h0 > 62 {
        return Err(Error::InvalidSize {
            size: u64::from(h0),
            reason: "node heights must strictly descend and stay below 63",
        });
    }
    let size: u64 = heights.iter().map(|h| 1u64 << h).sum();
    let mut start = round_up(length, 1u64 << h0).ok_or(overflow.clone())?;
    let last = start.checked_add(size - 1).ok_or(overflow.clone())?;
    if start % SECTORS_PER_SEGMENT != 0 && start / SECTORS_PER_SEGMENT != last / SECTORS_PER_SEGMENT
    {
        start = round_up(start, SECTORS_PER_SEGMENT).ok_or(overflow.clone())?;
    }
    let mut pos = start;
    let mut out = Vec::with_capacity(heights.len());
    for &h in heights {
        pos = round_up(pos, 1u64 << h).ok_or(overflow.clone())?;
        out.push(pos);
        pos = pos.checked_add(1u64 << h).ok_or(overflow.clone())?;
    }
    Ok(out)
}

fn round_up(x: u64, align: u64) -> Option<u64> {
    x.checked_next_multiple_of(align)
}

/// The 0G flow tree: append-only, sparse, with roots and sector proofs.
///
/// Leaf 0 is the raw zero value and the initial length is 1. Submissions go where
/// [`insertion_plan`] says, alignment gaps are zero sectors, and the root is the complete binary
/// tree over `next_pow2(length)` leaves in which a missing right subtree of height `h` is `Z[h]`
/// (no promotion). The flow is stored as a list of aligned entries plus the complete nodes formed
/// above them, so a flow of terabytes costs memory per submission, not per sector; sector proofs
/// are available wherever a submission was appended with its data ([`Flow::append_file`]).
///
/// ```
/// use zg_core::tree::Flow;
/// let mut flow = Flow::new();
/// let placed = flow.append_file(&[0x11; 256])?;
/// assert_eq!((placed.start, flow.length()), (1, 2));
/// let proof = flow.proof(1)?;
/// let leaf = flow.sector_hash(1)?;
/// proof.verify_complete(&flow.root(), &leaf, 1, zg_core::tree::ceil_log2(flow.length()))?;
/// # Ok::<(), zg_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Flow {
    entries: Vec<Entry>,
    /// Complete nodes above entry level, keyed by (height, index), formed as entries merge.
    composite: HashMap<(u32, u64), H256>,
    /// Binary-counter stack of complete peaks: (height, index, root).
    peaks: Vec<(u32, u64, H256)>,
    length: u64,
}

impl Default for Flow {
    fn default() -> Self {
        Self::new()
    }
}

impl Flow {
    /// A fresh flow: one leaf, the zero value.
    pub fn new() -> Self {
        let mut f = Flow {
            entries: Vec::new(),
            composite: HashMap::new(),
            peaks: Vec::new(),
            length: 0,
        };
        f.push_entry(0, Content::Genesis);
        f
    }

    /// Length in sectors.
    pub fn length(&self) -> u64 {
        self.length
    }

    /// Depth of the root's tree: `ceil_log2(length)`.
    pub fn depth(&self) -> u32 {
        ceil_log2(self.length)
    }

    fn push_entry(&mut self, height: u32, content: Content) {
        let entry = Entry {
            start: self.length,
            height,
            content,
        };
        let mut root = entry.root();
        let mut h = height;
        let mut idx = self.length >> height;
        while let Some(&(top_h, _, top)) = self.peaks.last() {
            if top_h != h {
                break;
            }
            self.peaks.pop();
            root = hash_pair(&top, &root);
            h += 1;
            idx >>= 1;
            self.composite.insert((h, idx), root);
        }
        self.peaks.push((h, idx, root));
        self.length += 1u64 << height;
        self.entries.push(entry);
    }

    /// Fills the alignment gap up to `target` with the largest aligned zero subtrees.
    fn fill_zeros_to(&mut self, target: u64) {
        while self.length < target {
            let align = self.length.trailing_zeros().min(63);
            let fit = 63 - (target - self.length).leading_zeros();
            self.push_entry(align.min(fit), Content::Zero);
        }
    }

    /// Appends a submission known only by its nodes (the contract's view). Sector proofs inside
    /// it are not available afterwards.
    pub fn append_submission(&mut self, submission: &Submission) -> Result<FlowPlacement, Error> {
        submission.validate()?;
        let contents = submission
            .nodes
            .iter()
            .map(|n| (n.height, Content::Root(n.root)))
            .collect();
        self.place(contents)
    }

    /// Appends a file with its data, keeping the subtrees so every sector can be proven.
    /// Memory: about two hashes per sector of the file.
    pub fn append_file(&mut self, data: &[u8]) -> Result<FlowPlacement, Error> {
        let mut leaves = sector_hashes(data)?;
        let padded = leaves.len() as u64;
        let mut contents = Vec::new();
        for height in super::submission_heights(padded).into_iter().rev() {
            // Nodes are taken from the end: smallest last.
            let n = leaves.len() - (1usize << height);
            let tail = leaves.split_off(n);
            contents.push((
                height,
                Content::Data(Arc::new(MerkleTree::from_leaves(tail)?)),
            ));
        }
        contents.reverse();
        self.place(contents)
    }

    fn place(&mut self, contents: Vec<(u32, Content)>) -> Result<FlowPlacement, Error> {
        let heights: Vec<u32> = contents.iter().map(|c| c.0).collect();
        let starts = insertion_plan(self.length, &heights)?;
        let mut nodes = Vec::with_capacity(contents.len());
        for ((height, content), start) in contents.into_iter().zip(&starts) {
            self.fill_zeros_to(*start);
            self.push_entry(height, content);
            if let Some(e) = self.entries.last() {
                nodes.push((
                    *start,
                    SubmissionNode {
                        root: e.root(),
                        height,
                    },
                ));
            }
        }
        Ok(FlowPlacement {
            start: starts[0],
            length: self.length,
            nodes,
        })
    }

    /// The flow root.
    pub fn root(&self) -> H256 {
        // The node at (depth, 0) always exists: depth <= 64 and index 0.
        self.node(self.depth(), 0).unwrap_or(H256::ZERO)
    }

    /// The hash of sector `index` (leaf 0 is the zero value).
    pub fn sector_hash(&self, index: u64) -> Result<H256, Error> {
        if index >= self.length {
            return Err(Error::IndexOutOfRange {
                index,
                len: self.length,
            });
        }
        self.node(0, index)
    }

    /// The node at `height`, `index` on its level, of the complete tree over `next_pow2(length)`
    /// leaves (zero subtrees past the end). [`Error::InvalidSize`] if the node lies inside a
    /// submission appended without its data.
    pub fn node(&self, height: u32, index: u64) -> Result<H256, Error> {
        let z = zero_hashes();
        if height >= 64 {
            return Err(Error::IndexOutOfRange {
                index: u64::from(height),
                len: 64,
            });
        }
        let start = index.checked_shl(height).filter(|s| s >> height == index);
        let Some(start) = start else {
            return Ok(z[height as usize]);
        };
        if start >= self.length {
            return Ok(z[height as usize]);
        }
        let end = start.saturating_add(1u64 << height);
        if end > self.length {
            // Partial: data on the left, zeros on the right.
            return Ok(hash_pair(
                &self.node(height - 1, index * 2)?,
                &self.node(height - 1, index * 2 + 1)?,
            ));
        }
        if let Some(h) = self.composite.get(&(height, index)) {
            return Ok(*h);
        }
        let pos = self.entries.partition_point(|e| e.start <= start);
        let e = &self.entries[pos.saturating_sub(1)];
        if e.height < height {
            // Spans several entries but was not formed by a merge: compute it.
            return Ok(hash_pair(
                &self.node(height - 1, index * 2)?,
                &self.node(height - 1, index * 2 + 1)?,
            ));
        }
        if e.height == height {
            return Ok(e.root());
        }
        match &e.content {
            Content::Zero => Ok(z[height as usize]),
            Content::Data(t) => t.node(height, index - (e.start >> height)),
            Content::Genesis | Content::Root(_) => Err(Error::InvalidSize {
                size: start,
                reason: "sector data of this submission is not stored",
            }),
        }
    }

    /// The proof of sector `index` against [`Flow::root`], in 0G's lemma/path form; verify with
    /// [`Proof::verify_complete`]`(root, leaf, index, ceil_log2(length))`.
    pub fn proof(&self, index: u64) -> Result<Proof, Error> {
        self.node_proof(0, index)
    }

    /// The proof of the node at `height`, `index` (e.g. a 16-sector seal: height 4) against the
    /// flow root; the path has `depth - height` steps.
    pub fn node_proof(&self, height: u32, index: u64) -> Result<Proof, Error> {
        let depth = self.depth();
        let start = index.checked_shl(height).filter(|s| s >> height == index);
        if height > depth || start.is_none_or(|s| s >= self.length) {
            return Err(Error::IndexOutOfRange {
                index,
                len: self.length >> height.min(63),
            });
        }
        let leaf = self.node(height, index)?;
        let mut siblings = Vec::with_capacity((depth - height) as usize);
        for level in height..depth {
            let i = index >> (level - height);
            siblings.push((self.node(level, i ^ 1)?, i & 1 == 0));
        }
        Ok(Proof::from_siblings(leaf, siblings))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> H256 {
        H256::from_hex(s).unwrap()
    }

    /// A slow reference: materialise every leaf of next_pow2(length) and hash the complete tree.
    fn reference_root(leaves: &[H256]) -> H256 {
        let n = leaves.len().next_power_of_two();
        let mut level: Vec<H256> = leaves.to_vec();
        level.resize(n, zero_hashes()[0]);
        while level.len() > 1 {
            level = level.chunks(2).map(|p| hash_pair(&p[0], &p[1])).collect();
        }
        level[0]
    }

    #[test]
    fn derived_flow_vectors() {
        let mut flow = Flow::new();
        let mut all_leaves = vec![H256::ZERO];
        let steps = [
            (
                vec![0x11u8; 256],
                1,
                2,
                "391e57a359f7e79d1379be35060077b49af2d68ebd19ee960d2f6a0b1ea0562f",
            ),
            (
                vec![0x11u8; 14 * 256],
                8,
                22,
                "b729a1f16a06bc2753d4841130c0a6a6a52ecbfc0243a1569dc2906ac22b7697",
            ),
            (
                vec![0x12u8; 192 * 256],
                128,
                320,
                "48585b848ee68f5ab01394248c7599a7e2732956a6729c6aeb79f2725f1967da",
            ),
            (
                vec![0x13u8; 768 * 256],
                1024,
                1792,
                "99973b8997fa5b29025835442fcc701909bac4175e0c152277478912c5852b9e",
            ),
        ];
        for (data, start, length, root) in steps {
            let placed = flow.append_file(&data).unwrap();
            assert_eq!((placed.start, placed.length), (start, length));
            assert_eq!(flow.root(), h(root), "after placing at {start}");
            // The reference, from every leaf.
            all_leaves.resize(start as usize, zero_hashes()[0]);
            all_leaves.extend(sector_hashes(&data).unwrap());
            assert_eq!(reference_root(&all_leaves), h(root));
        }
        // Every sector proves against the root; a neighbour's position does not.
        let root = flow.root();
        let depth = flow.depth();
        for i in (0..flow.length()).step_by(7).chain([1791]) {
            let leaf = flow.sector_hash(i).unwrap();
            assert_eq!(leaf, all_leaves[i as usize]);
            let p = flow.proof(i).unwrap();
            p.verify_complete(&root, &leaf, i, depth).unwrap();
            assert!(p.verify_complete(&root, &leaf, i ^ 1, depth).is_err());
        }
    }

    #[test]
    fn submissions_by_root_give_the_same_root_but_no_inner_proofs() {
        let data = vec![0x5au8; 5000];
        let mut a = Flow::new();
        let mut b = Flow::new();
        let pa = a.append_file(&data).unwrap();
        let pb = b
            .append_submission(&super::super::file_submission(&data).unwrap())
            .unwrap();
        assert_eq!(pa, pb);
        assert_eq!(a.root(), b.root());
        // 20 sectors → nodes [16, 4] at 16; sectors 1..16 are a zero gap.
        assert_eq!(pa.start, 16);
        assert!(b.proof(16).is_err());
        assert!(a.proof(16).is_ok());
        let (root, depth) = (b.root(), b.depth());
        let gap = b.proof(1).unwrap();
        gap.verify_complete(&root, &zero_hashes()[0], 1, depth)
            .unwrap();
        // A whole submission node can be proven from its root alone.
        let node = b.node_proof(4, 1).unwrap();
        node.verify_complete(&root, &pa.nodes[0].1.root, 1, depth - 4)
            .unwrap();
    }

    #[test]
    fn plan_rules() {
        assert_eq!(insertion_plan(1, &[0]).unwrap(), vec![1]);
        assert_eq!(insertion_plan(2, &[3, 2, 1]).unwrap(), vec![8, 16, 20]);
        assert_eq!(insertion_plan(320, &[9, 8]).unwrap(), vec![1024, 1536]);
        assert!(insertion_plan(1, &[]).is_err());
        assert!(insertion_plan(1, &[2, 3]).is_err());
        assert!(insertion_plan(u64::MAX - 3, &[4]).is_err());
    }
}
