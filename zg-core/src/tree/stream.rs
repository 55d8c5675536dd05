//! Streaming 0G file roots in O(log n) memory.

use super::padding::padded_sectors;
use super::{Submission, SubmissionNode};
use crate::hash::{hash_sector, zero_hashes};
use crate::{Error, H256, SECTOR_SIZE, hash_pair};

/// A stack of complete subtree roots, heights strictly decreasing from bottom to top: a binary
/// counter over leaves. Pushing an aligned node merges equal heights, so the stack always holds
/// the binary decomposition of the number of leaves pushed — at most 64 entries.
#[derive(Clone, Debug, Default)]
pub(crate) struct RootStack {
    stack: Vec<(u32, H256)>,
    leaves: u64,
}

impl RootStack {
    /// Pushes a complete subtree of `height` whose first leaf is at the current count (the caller
    /// keeps it aligned: `leaves % 2^height == 0`).
    #[inline]
    pub(crate) fn push(&mut self, height: u32, mut root: H256) {
        let mut h = height;
        while let Some(&(top_h, top)) = self.stack.last() {
            if top_h != h {
                break;
            }
            self.stack.pop();
            root = hash_pair(&top, &root);
            h += 1;
        }
        self.stack.push((h, root));
        self.leaves += 1u64 << height;
    }

    /// Pushes the sector hashes of `data`, the last partial sector zero-filled.
    pub(crate) fn push_sectors(&mut self, data: &[u8]) {
        let mut sectors = data.chunks_exact(SECTOR_SIZE);
        for sector in &mut sectors {
            if let Ok(sector) = <&[u8; SECTOR_SIZE]>::try_from(sector) {
                self.push(0, hash_sector(sector));
            }
        }
        let rest = sectors.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; SECTOR_SIZE];
            last[..rest.len()].copy_from_slice(rest);
            self.push(0, hash_sector(&last));
        }
    }

    pub(crate) fn leaves(&self) -> u64 {
        self.leaves
    }

    /// Pads with zero sectors up to `target` leaves, in the largest aligned zero subtrees.
    pub(crate) fn pad_zeros_to(&mut self, target: u64) {
        let z = zero_hashes();
        while self.leaves < target {
            let align = self.leaves.trailing_zeros().min(63);
            let fit = 63 - (target - self.leaves).leading_zeros();
            let h = align.min(fit);
            self.push(h, z[h as usize]);
        }
    }

    /// The nodes (bottom of the stack first: largest first).
    pub(crate) fn nodes(&self) -> impl DoubleEndedIterator<Item = &(u32, H256)> {
        self.stack.iter()
    }

    /// The promote-odd root over everything pushed: the right fold of the stack.
    pub(crate) fn fold_root(&self) -> Option<H256> {
        let mut it = self.stack.iter().rev();
        let mut acc = it.next()?.1;
        for (_, r) in it {
            acc = hash_pair(r, &acc);
        }
        Some(acc)
    }
}

/// The root of a complete subtree over `data`, whose length is `2^k` sectors.
#[cfg(feature = "parallel")]
fn complete_root(data: &[u8]) -> H256 {
    let mut s = RootStack::default();
    s.push_sectors(data);
    s.fold_root().unwrap_or(H256::ZERO)
}

#[cfg(feature = "parallel")]
mod parallel {
    /// Sectors per parallel work item: 1 MiB subtrees (height 12).
    pub(super) const CHUNK_HEIGHT: u32 = 12;
    pub(super) const CHUNK_BYTES: usize = crate::SECTOR_SIZE << CHUNK_HEIGHT;
    /// Bytes gathered before a parallel round: 8 MiB, a few chunks per core.
    pub(super) const BATCH_BYTES: usize = 8 * CHUNK_BYTES;
}

/// Computes a 0G file root from bytes fed in any chunking, in O(log n) memory.
///
/// Sector hashes are pushed onto a binary-counter stack of complete subtree roots (at most 64
/// hashes). [`finalize`](Self::finalize) pads with zero sectors to the contract's padded length
/// (using the precomputed zero subtrees `Z[h]`, so padding costs O(log n) hashes), at which point
/// the stack holds exactly the submission nodes, and folds them into the root.
///
/// With the `parallel` feature, [`FileRootBuilder::parallel`] hashes 1 MiB subtrees on the rayon
/// pool, gathering input into an 8 MiB buffer (or reading large `update` slices in place).
///
/// ```
/// use zg_core::tree::{FileRootBuilder, file_root};
/// let data = vec![0x11u8; 3584];
/// let mut b = FileRootBuilder::new();
/// for piece in data.chunks(1000) {
///     b.update(piece);
/// }
/// let submission = b.finalize()?;
/// assert_eq!(submission.root(), file_root(&data)?);
/// assert_eq!(submission.heights(), vec![3, 2, 1]);
/// # Ok::<(), zg_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct FileRootBuilder {
    stack: RootStack,
    buf: [u8; SECTOR_SIZE],
    buf_len: usize,
    size: u64,
    #[cfg(feature = "parallel")]
    batch: Option<Vec<u8>>,
}

impl Default for FileRootBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl FileRootBuilder {
    /// A single-threaded builder.
    pub fn new() -> Self {
        FileRootBuilder {
            stack: RootStack::default(),
            buf: [0u8; SECTOR_SIZE],
            buf_len: 0,
            size: 0,
            #[cfg(feature = "parallel")]
            batch: None,
        }
    }

    /// A builder that hashes on the rayon thread pool (feature `parallel`). Memory: one 8 MiB
    /// gathering buffer plus O(log n) hashes.
    #[cfg(feature = "parallel")]
    pub fn parallel() -> Self {
        FileRootBuilder {
            batch: Some(Vec::new()),
            ..Self::new()
        }
    }

    /// Bytes fed so far (a pushed sector hash counts as 256).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Whether everything fed so far ends on a sector boundary (and, in parallel mode, nothing is
    /// waiting in the gathering buffer), so [`push_sector_hash`](Self::push_sector_hash) may be
    /// called.
    pub fn is_aligned(&self) -> bool {
        #[cfg(feature = "parallel")]
        if self.batch.as_ref().is_some_and(|b| !b.is_empty()) {
            return false;
        }
        self.buf_len == 0
    }

    /// Feeds the next sector by its hash instead of its bytes — for callers that hash each sector
    /// once and feed it to several trees. The hash of a zero-filled partial last sector is
    /// accepted too (the builder cannot tell); `size` then counts it as 256 bytes.
    ///
    /// [`Error::InvalidSize`] unless the builder [is aligned](Self::is_aligned).
    pub fn push_sector_hash(&mut self, leaf: H256) -> Result<(), Error> {
        if !self.is_aligned() {
            return Err(Error::InvalidSize {
                size: self.size,
                reason: "sector hash pushed inside a partial sector",
            });
        }
        self.stack.push(0, leaf);
        self.size += SECTOR_SIZE as u64;
        Ok(())
    }

    /// Forgets everything fed so far, keeping the mode (and the parallel buffer's allocation).
    pub fn reset(&mut self) {
        self.stack = RootStack::default();
        self.buf_len = 0;
        self.size = 0;
        #[cfg(feature = "parallel")]
        if let Some(b) = self.batch.as_mut() {
            b.clear();
        }
    }

    /// [`finalize`](Self::finalize) without giving up the builder: returns the submission and
    /// leaves the builder empty, ready for the next file.
    pub fn finish(&mut self) -> Result<Submission, Error> {
        let fresh = self.empty_like();
        std::mem::replace(self, fresh).finalize()
    }

    /// An empty builder of the same mode.
    fn empty_like(&self) -> Self {
        #[cfg(feature = "parallel")]
        if self.batch.is_some() {
            return Self::parallel();
        }
        Self::new()
    }

    /// Feeds the next bytes of the file.
    pub fn update(&mut self, data: &[u8]) {
        self.size += data.len() as u64;
        #[cfg(feature = "parallel")]
        if self.batch.is_some() {
            self.update_parallel(data);
            return;
        }
        self.update_serial(data);
    }

    fn update_serial(&mut self, mut data: &[u8]) {
        if self.buf_len > 0 {
            let take = (SECTOR_SIZE - self.buf_len).min(data.len());
            self.buf[self.buf_len..self.buf_len + take].copy_from_slice(&data[..take]);
            self.buf_len += take;
            data = &data[take..];
            if self.buf_len < SECTOR_SIZE {
                return;
            }
            self.stack.push(0, hash_sector(&self.buf));
            self.buf_len = 0;
        }
        let mut sectors = data.chunks_exact(SECTOR_SIZE);
        for sector in &mut sectors {
            if let Ok(sector) = <&[u8; SECTOR_SIZE]>::try_from(sector) {
                self.stack.push(0, hash_sector(sector));
            }
        }
        let rest = sectors.remainder();
        self.buf[..rest.len()].copy_from_slice(rest);
        self.buf_len = rest.len();
    }

    #[cfg(feature = "parallel")]
    fn update_parallel(&mut self, mut data: &[u8]) {
        use parallel::BATCH_BYTES;
        let mut batch = self.batch.take().unwrap_or_default();
        if !batch.is_empty() {
            let take = (BATCH_BYTES - batch.len()).min(data.len());
            batch.extend_from_slice(&data[..take]);
            data = &data[take..];
            if batch.len() == BATCH_BYTES {
                self.absorb_batch(&batch);
                batch.clear();
            }
        }
        while batch.is_empty() && data.len() >= BATCH_BYTES {
            self.absorb_batch(&data[..BATCH_BYTES]);
            data = &data[BATCH_BYTES..];
        }
        if !data.is_empty() {
            batch.reserve_exact(BATCH_BYTES.saturating_sub(batch.capacity()));
            batch.extend_from_slice(data);
        }
        self.batch = Some(batch);
    }

    /// Hashes whole 1 MiB subtrees in parallel; the stack stays aligned to them because parallel
    /// mode only ever pushes whole chunks until `finalize`.
    #[cfg(feature = "parallel")]
    fn absorb_batch(&mut self, batch: &[u8]) {
        use parallel::{CHUNK_BYTES, CHUNK_HEIGHT};
        use rayon::prelude::*;
        let roots: Vec<H256> = batch.par_chunks(CHUNK_BYTES).map(complete_root).collect();
        for r in roots {
            self.stack.push(CHUNK_HEIGHT, r);
        }
    }

    /// Finishes: pads as the 0G contract requires and returns the submission (root, nodes, size).
    /// An empty file is [`Error::EmptyInput`].
    pub fn finalize(mut self) -> Result<Submission, Error> {
        #[cfg(feature = "parallel")]
        if let Some(rest) = self.batch.take() {
            self.update_serial(&rest);
        }
        if self.buf_len > 0 {
            self.buf[self.buf_len..].fill(0);
            self.stack.push(0, hash_sector(&self.buf));
            self.buf_len = 0;
        }
        let padded = padded_sectors(self.stack.leaves())?;
        self.stack.pad_zeros_to(padded);
        let nodes = self
            .stack
            .nodes()
            .map(|&(height, root)| SubmissionNode { root, height })
            .collect();
        Ok(Submission {
            size: self.size,
            nodes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::file_root;

    #[test]
    fn sector_hashes_bytes_and_reuse_agree() {
        let data: Vec<u8> = (0..5000u32).map(|i| (i * 31 % 251) as u8).collect();
        let expected = file_root(&data).unwrap();
        let mut b = FileRootBuilder::new();
        // Bytes, then hashes of whole sectors, then the partial tail as a zero-filled hash.
        b.update(&data[..512]);
        for sector in data[512..4864].chunks_exact(SECTOR_SIZE) {
            b.push_sector_hash(hash_sector(sector.try_into().unwrap()))
                .unwrap();
        }
        b.update(&data[4864..4900]);
        assert!(!b.is_aligned());
        assert!(b.push_sector_hash(H256::ZERO).is_err());
        b.update(&data[4900..]);
        assert_eq!(b.finish().unwrap().root(), expected);
        // `finish` left it empty and reusable.
        assert_eq!(b.size(), 0);
        assert_eq!(b.finish(), Err(Error::EmptyInput));
        b.update(&data);
        b.reset();
        b.update(b"Hello, world!");
        assert_eq!(
            b.finish().unwrap().root(),
            file_root(b"Hello, world!").unwrap()
        );
    }
}
