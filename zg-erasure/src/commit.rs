//! Streaming 0G file roots with shared sector hashes.
//!
//! [`RootBuilder`] computes exactly what `zg_core::tree::FileRootBuilder` computes — the 0G file
//! root of the bytes fed to it (0G-FORMATS §2: Keccak-256 of each 256-byte sector, the file
//! zero-padded to the contract's padded length, adjacent nodes paired, an odd last node
//! promoted) — but also accepts a sector *hash* in place of the sector. The encoder and decoder
//! use that to hash each data sector once and feed the hash to both the data shard's tree and the
//! object's tree: the object root then costs one `hash_pair` per sector instead of a second
//! `hash_sector`.
//!
//! The state is a binary counter over leaves: `nodes[h]` holds the root of the complete subtree
//! of height `h` whenever bit `h` of the leaf count is set (at most 64 hashes, no allocation).

use zg_core::hash::zero_hashes;
use zg_core::tree::padded_sectors;
use zg_core::{H256, SECTOR_SIZE, hash_pair, hash_sector};

use crate::Error;

#[derive(Clone, Debug)]
pub(crate) struct RootBuilder {
    leaves: u64,
    buf_len: usize,
    /// `nodes[h]` is meaningful only while bit `h` of `leaves` is set, so clearing the builder
    /// is just zeroing the counters.
    nodes: [H256; 64],
    buf: [u8; SECTOR_SIZE],
}

impl Default for RootBuilder {
    fn default() -> Self {
        RootBuilder {
            nodes: [H256::ZERO; 64],
            leaves: 0,
            buf: [0u8; SECTOR_SIZE],
            buf_len: 0,
        }
    }
}

impl RootBuilder {
    /// Whether the next byte starts a new sector (so sector hashes may be pushed).
    #[inline]
    pub(crate) fn is_aligned(&self) -> bool {
        self.buf_len == 0
    }

    /// Pushes a complete subtree of `height` (`leaves` must be a multiple of `2^height`).
    #[inline]
    fn push_at(&mut self, height: u32, mut node: H256) {
        let mut level = height;
        while (self.leaves >> level) & 1 == 1 {
            node = hash_pair(&self.nodes[level as usize], &node);
            level += 1;
        }
        self.nodes[level as usize] = node;
        self.leaves += 1u64 << height;
    }

    /// Pushes the hash of the next sector. The builder must be [aligned](Self::is_aligned).
    #[inline]
    pub(crate) fn push_leaf(&mut self, leaf: H256) {
        debug_assert!(self.is_aligned());
        self.push_at(0, leaf);
    }

    /// Feeds bytes in any chunking.
    pub(crate) fn update(&mut self, mut data: &[u8]) {
        if self.buf_len > 0 {
            let take = (SECTOR_SIZE - self.buf_len).min(data.len());
            self.buf[self.buf_len..self.buf_len + take].copy_from_slice(&data[..take]);
            self.buf_len += take;
            data = &data[take..];
            if self.buf_len < SECTOR_SIZE {
                return;
            }
            let leaf = hash_sector(&self.buf);
            self.buf_len = 0;
            self.push_at(0, leaf);
        }
        let mut sectors = data.chunks_exact(SECTOR_SIZE);
        for sector in &mut sectors {
            if let Ok(sector) = <&[u8; SECTOR_SIZE]>::try_from(sector) {
                self.push_at(0, hash_sector(sector));
            }
        }
        let rest = sectors.remainder();
        self.buf[..rest.len()].copy_from_slice(rest);
        self.buf_len = rest.len();
    }

    /// Forgets everything fed so far (O(1): no memory is touched).
    #[inline]
    pub(crate) fn clear(&mut self) {
        self.leaves = 0;
        self.buf_len = 0;
    }

    /// [`finish`](Self::finish) for an owned builder.
    pub(crate) fn finalize(mut self) -> Result<H256, Error> {
        self.finish()
    }

    /// Finishes: zero-fills a partial sector, pads to the contract's padded length with zero
    /// subtrees, and folds the counter into the promote-odd root; then clears the builder for
    /// reuse. An empty input is an error.
    pub(crate) fn finish(&mut self) -> Result<H256, Error> {
        let root = self.root();
        self.clear();
        root
    }

    fn root(&mut self) -> Result<H256, Error> {
        if self.buf_len > 0 {
            self.buf[self.buf_len..].fill(0);
            let leaf = hash_sector(&self.buf);
            self.buf_len = 0;
            self.push_at(0, leaf);
        }
        let padded = padded_sectors(self.leaves).map_err(|_| Error::EmptyObject)?;
        let z = zero_hashes();
        while self.leaves < padded {
            let align = self.leaves.trailing_zeros();
            let fit = 63 - (padded - self.leaves).leading_zeros();
            let h = align.min(fit);
            self.push_at(h, z[h as usize]);
        }
        self.fold().ok_or(Error::EmptyObject)
    }

    /// The promote-odd root of the leaves pushed so far, without padding (`None` when empty):
    /// the right fold from the smallest complete subtree up, `r = keccak(bigger || r)`.
    pub(crate) fn fold(&self) -> Option<H256> {
        let mut acc: Option<H256> = None;
        for level in 0..64u32 {
            if (self.leaves >> level) & 1 == 1 {
                let node = self.nodes[level as usize];
                acc = Some(match acc {
                    None => node,
                    Some(r) => hash_pair(&node, &r),
                });
            }
        }
        acc
    }
}

/// Hashes `chunk` sector by sector into `shard`, and the first `object_len` bytes' sectors also
/// into `object` (sharing each hash). Both builders must be aligned and `chunk.len()` a multiple
/// of 256.
#[inline]
pub(crate) fn hash_shared(
    chunk: &[u8],
    object_len: usize,
    shard: &mut RootBuilder,
    object: &mut RootBuilder,
) {
    let object_sectors = object_len.div_ceil(SECTOR_SIZE);
    for (j, sector) in chunk.chunks_exact(SECTOR_SIZE).enumerate() {
        if let Ok(sector) = <&[u8; SECTOR_SIZE]>::try_from(sector) {
            let leaf = hash_sector(sector);
            shard.push_leaf(leaf);
            if j < object_sectors {
                object.push_leaf(leaf);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zg_core::tree::file_root;

    fn data(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 131 + i / 256) as u8).collect()
    }

    #[test]
    fn matches_zg_core_file_root_for_many_sizes_and_chunkings() {
        for n in [
            1,
            2,
            255,
            256,
            257,
            511,
            512,
            3584,
            4096,
            4353,
            17 * 256,
            70_000,
        ] {
            let d = data(n);
            let want = file_root(&d).unwrap();
            for piece in [1usize, 7, 256, 1000, n] {
                let mut b = RootBuilder::default();
                for p in d.chunks(piece) {
                    b.update(p);
                }
                assert_eq!(b.finalize().unwrap(), want, "n {n} piece {piece}");
            }
        }
        assert!(RootBuilder::default().finalize().is_err());
    }

    #[test]
    fn shared_hashes_give_both_roots() {
        // Two 512-byte chunks; the object holds the first 700 bytes of them.
        let d = data(1024);
        let obj_bytes = d[..700].to_vec();
        let mut shard_a = RootBuilder::default();
        let mut shard_b = RootBuilder::default();
        let mut object = RootBuilder::default();
        let mut padded = d.clone();
        padded[700..].fill(0);
        hash_shared(&padded[..512], 512, &mut shard_a, &mut object);
        hash_shared(&padded[512..], 700 - 512, &mut shard_b, &mut object);
        assert_eq!(object.finalize().unwrap(), file_root(&obj_bytes).unwrap());
        assert_eq!(
            shard_b.finalize().unwrap(),
            file_root(&padded[512..]).unwrap()
        );
        assert_eq!(
            shard_a.finalize().unwrap(),
            file_root(&padded[..512]).unwrap()
        );
    }
}
