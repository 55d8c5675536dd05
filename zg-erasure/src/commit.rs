//! Shard and object roots with shared sector hashes.
//!
//! Every root here is a 0G file root (0G-FORMATS §2) computed by zg-core's streaming
//! [`FileRootBuilder`]. The encoder and decoder hash each data sector once and push the hash into
//! both the data shard's builder and the object's builder
//! ([`FileRootBuilder::push_sector_hash`]): the object root then costs one `hash_pair` per sector
//! instead of a second `hash_sector`.

use zg_core::tree::FileRootBuilder;
use zg_core::{H256, SECTOR_SIZE, hash_sector};

use crate::Error;

/// The root of everything `builder` was fed; the builder is left empty for the next object.
pub(crate) fn finish_root(builder: &mut FileRootBuilder) -> Result<H256, Error> {
    builder
        .finish()
        .map(|s| s.root())
        .map_err(|_| Error::EmptyObject)
}

/// Pushes one sector hash, which the caller's alignment check makes infallible in practice.
pub(crate) fn push_hash(builder: &mut FileRootBuilder, leaf: H256) -> Result<(), Error> {
    builder
        .push_sector_hash(leaf)
        .map_err(|_| Error::InvalidLayout {
            reason: "sector hash pushed off a sector boundary",
        })
}

/// Hashes `chunk` sector by sector into `shard`, and the first `object_len` bytes' sectors also
/// into `object` (sharing each hash). Both builders must be aligned and `chunk.len()` a multiple
/// of 256.
#[inline]
pub(crate) fn hash_shared(
    chunk: &[u8],
    object_len: usize,
    shard: &mut FileRootBuilder,
    object: &mut FileRootBuilder,
) -> Result<(), Error> {
    let object_sectors = object_len.div_ceil(SECTOR_SIZE);
    for (j, sector) in chunk.chunks_exact(SECTOR_SIZE).enumerate() {
        if let Ok(sector) = <&[u8; SECTOR_SIZE]>::try_from(sector) {
            let leaf = hash_sector(sector);
            push_hash(shard, leaf)?;
            if j < object_sectors {
                push_hash(object, leaf)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use zg_core::tree::file_root;

    fn data(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 131 + i / 256) as u8).collect()
    }

    #[test]
    fn shared_hashes_give_both_roots() {
        // Two 512-byte chunks; the object holds the first 700 bytes of them.
        let d = data(1024);
        let obj_bytes = d[..700].to_vec();
        let mut shard_a = FileRootBuilder::new();
        let mut shard_b = FileRootBuilder::new();
        let mut object = FileRootBuilder::new();
        let mut padded = d.clone();
        padded[700..].fill(0);
        hash_shared(&padded[..512], 512, &mut shard_a, &mut object).unwrap();
        hash_shared(&padded[512..], 700 - 512, &mut shard_b, &mut object).unwrap();
        assert_eq!(
            finish_root(&mut object).unwrap(),
            file_root(&obj_bytes).unwrap()
        );
        assert_eq!(
            finish_root(&mut shard_b).unwrap(),
            file_root(&padded[512..]).unwrap()
        );
        assert_eq!(
            finish_root(&mut shard_a).unwrap(),
            file_root(&padded[..512]).unwrap()
        );
        // Finished builders are empty again.
        assert_eq!(finish_root(&mut shard_a), Err(Error::EmptyObject));
        // Off a sector boundary, pushing a hash is refused.
        shard_a.update(&[1, 2, 3]);
        assert!(hash_shared(&padded[..512], 512, &mut shard_a, &mut object).is_err());
    }
}
