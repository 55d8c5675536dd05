//! How an object is cut into stripes and shards.

use reed_solomon_simd::ReedSolomonEncoder;
use zg_core::SECTOR_SIZE;
use zg_core::tree::SEGMENT_SIZE;

use crate::Error;

/// Default bytes of object data per stripe: 8 segments of 256 KiB (2 MiB).
///
/// With 32 data shards that is a 64 KiB chunk per shard per stripe, with 128 data shards 16 KiB,
/// where reed-solomon-simd runs near its best; the encoder's working memory is a few stripes.
pub const DEFAULT_STRIPE_SIZE: usize = 8 * SEGMENT_SIZE;

/// Largest stripe (`k × chunk` bytes) and chunk a layout accepts: 1 GiB. Stripes are held in
/// memory whole while they are coded.
pub const MAX_STRIPE_SIZE: usize = 1 << 30;

/// What to build: `k` data shards, `m` parity shards, and the target stripe size.
///
/// A [`Layout`] for a given object size follows from it with [`Config::layout`].
///
/// ```
/// use zg_erasure::Config;
/// let config = Config::new(4, 2)?;
/// let layout = config.layout(1_000_000)?;
/// assert_eq!(layout.total_shards(), 6);
/// // 1 MB < one 2 MiB stripe: one stripe, chunks sized from the object, 256-byte aligned.
/// assert_eq!(layout.stripes(), 1);
/// assert_eq!(layout.shard_size(), 250_112);
/// # Ok::<(), zg_erasure::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Config {
    data_shards: usize,
    parity_shards: usize,
    stripe_size: usize,
}

impl Config {
    /// `data` (`k`) data shards and `parity` (`m`) parity shards, with the default stripe size.
    /// Errors when reed-solomon-simd cannot code that combination.
    pub fn new(data: usize, parity: usize) -> Result<Self, Error> {
        if !Layout::supports(data, parity) {
            return Err(Error::UnsupportedShardCount { data, parity });
        }
        Ok(Config {
            data_shards: data,
            parity_shards: parity,
            stripe_size: DEFAULT_STRIPE_SIZE,
        })
    }

    /// Sets the target stripe size: object bytes coded together, `k` chunks of
    /// `round_up(ceil(stripe_size / k), 256)` bytes each. Must be in `1..=`[`MAX_STRIPE_SIZE`].
    pub fn with_stripe_size(mut self, stripe_size: usize) -> Result<Self, Error> {
        if stripe_size == 0 || stripe_size > MAX_STRIPE_SIZE {
            return Err(Error::InvalidLayout {
                reason: "stripe size must be in 1..=1 GiB",
            });
        }
        self.stripe_size = stripe_size;
        Ok(self)
    }

    /// Data shards `k`.
    pub fn data_shards(&self) -> usize {
        self.data_shards
    }

    /// Parity shards `m`.
    pub fn parity_shards(&self) -> usize {
        self.parity_shards
    }

    /// Target stripe size in bytes.
    pub fn stripe_size(&self) -> usize {
        self.stripe_size
    }

    /// The chunk size (shard bytes per full stripe) this config gives:
    /// `round_up(ceil(stripe_size / k), 256)`.
    pub fn chunk_size(&self) -> usize {
        self.stripe_size
            .div_ceil(self.data_shards)
            .next_multiple_of(SECTOR_SIZE)
    }

    /// The layout of an object of `object_size` bytes.
    pub fn layout(&self, object_size: u64) -> Result<Layout, Error> {
        Layout::new(
            self.data_shards,
            self.parity_shards,
            object_size,
            self.chunk_size(),
        )
    }
}

/// The stripe layout of one object: everything needed to cut it into shards and put it back.
///
/// The object (`object_size` bytes) is cut into **stripes** of `k × chunk_size` bytes; the last
/// stripe holds the rest. Within stripe `s`, data shard `i` takes the `i`-th chunk of the stripe
/// (object bytes `[off_s + i·c_s, off_s + (i+1)·c_s)`, zero past the end of the object), and the
/// `m` parity chunks are the reed-solomon-simd recovery shards of those `k` chunks. Shard `j` is
/// the concatenation of its chunks over all stripes, so every shard has
/// [`shard_size`](Self::shard_size) bytes and the data shards are the object's own bytes
/// (systematic).
///
/// Every stripe but the last uses the full `chunk_size` `c` (a positive multiple of 256, so
/// shard sectors and object sectors line up). The last stripe, holding `r` bytes, uses a chunk
/// sized from what is left: `ceil(r / k)` rounded up to a multiple of 256 when it is at least 256,
/// else to the next even number (reed-solomon-simd needs even shard sizes). A 1-byte object with
/// `k = 4` therefore has 2-byte shards, not 64 KiB ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Layout {
    data_shards: usize,
    parity_shards: usize,
    object_size: u64,
    chunk_size: usize,
    /// Derived: stripes, the last stripe's chunk.
    stripes: u64,
    last_chunk: usize,
}

impl Layout {
    /// Whether reed-solomon-simd can code `data` + `parity` shards: both at least 1, and
    /// `min(next_pow2(data), next_pow2(parity)) + max(data, parity) <= 65536`.
    pub fn supports(data: usize, parity: usize) -> bool {
        data > 0 && parity > 0 && ReedSolomonEncoder::supports(data, parity)
    }

    /// A layout from its parts (as a manifest stores them). Errors: unsupported counts,
    /// [`Error::EmptyObject`], or a chunk size that is not a positive multiple of 256 with
    /// `k × chunk_size <=` [`MAX_STRIPE_SIZE`].
    pub fn new(
        data: usize,
        parity: usize,
        object_size: u64,
        chunk_size: usize,
    ) -> Result<Self, Error> {
        if !Self::supports(data, parity) {
            return Err(Error::UnsupportedShardCount { data, parity });
        }
        if object_size == 0 {
            return Err(Error::EmptyObject);
        }
        if chunk_size == 0 || !chunk_size.is_multiple_of(SECTOR_SIZE) {
            return Err(Error::InvalidLayout {
                reason: "chunk size must be a positive multiple of 256",
            });
        }
        let full = data
            .checked_mul(chunk_size)
            .filter(|&b| b <= MAX_STRIPE_SIZE)
            .ok_or(Error::InvalidLayout {
                reason: "stripe (k x chunk) larger than 1 GiB",
            })?;
        let full = full as u64;
        let rem = object_size % full;
        let stripes = object_size / full + u64::from(rem > 0);
        // rem < k·c <= 1 GiB, so it fits usize on every supported target.
        let last_chunk = match usize::try_from(rem) {
            Ok(0) => chunk_size,
            Ok(r) => last_chunk_for(r, data),
            Err(_) => {
                return Err(Error::InvalidLayout {
                    reason: "stripe does not fit memory",
                });
            }
        };
        Ok(Layout {
            data_shards: data,
            parity_shards: parity,
            object_size,
            chunk_size,
            stripes,
            last_chunk,
        })
    }

    /// Data shards `k`.
    pub fn data_shards(&self) -> usize {
        self.data_shards
    }

    /// Parity shards `m`.
    pub fn parity_shards(&self) -> usize {
        self.parity_shards
    }

    /// All shards, `k + m`.
    pub fn total_shards(&self) -> usize {
        self.data_shards + self.parity_shards
    }

    /// Object bytes.
    pub fn object_size(&self) -> u64 {
        self.object_size
    }

    /// Shard bytes per full stripe (`c`).
    pub fn chunk_size(&self) -> usize {
        self.chunk_size
    }

    /// Object bytes per full stripe, `k × c`.
    pub fn stripe_size(&self) -> usize {
        self.data_shards * self.chunk_size
    }

    /// Number of stripes, `ceil(object_size / (k × c))`.
    pub fn stripes(&self) -> u64 {
        self.stripes
    }

    /// Shard bytes of the last stripe.
    pub fn last_chunk_size(&self) -> usize {
        self.last_chunk
    }

    /// Bytes of every shard: `(stripes − 1) × c + last_chunk`.
    pub fn shard_size(&self) -> u64 {
        (self.stripes - 1) * self.chunk_size as u64 + self.last_chunk as u64
    }

    /// Shard bytes stripe `s` contributes to each shard (`c`, or the last chunk).
    pub fn stripe_chunk(&self, stripe: u64) -> Result<usize, Error> {
        self.check_stripe(stripe)?;
        Ok(if stripe + 1 == self.stripes {
            self.last_chunk
        } else {
            self.chunk_size
        })
    }

    /// Offset of stripe `s` in the object.
    pub fn stripe_offset(&self, stripe: u64) -> Result<u64, Error> {
        self.check_stripe(stripe)?;
        Ok(stripe * self.stripe_size() as u64)
    }

    /// Offset of stripe `s`'s chunk within every shard: `s × c`.
    pub fn shard_offset(&self, stripe: u64) -> Result<u64, Error> {
        self.check_stripe(stripe)?;
        Ok(stripe * self.chunk_size as u64)
    }

    /// Object bytes in stripe `s` (the last stripe may hold fewer than `k ×` its chunk).
    pub fn stripe_len(&self, stripe: u64) -> Result<usize, Error> {
        let off = self.stripe_offset(stripe)?;
        let len = (self.object_size - off).min(self.stripe_size() as u64);
        // At most k·c <= 1 GiB.
        usize::try_from(len).map_err(|_| Error::InvalidLayout {
            reason: "stripe does not fit memory",
        })
    }

    fn check_stripe(&self, stripe: u64) -> Result<(), Error> {
        if stripe >= self.stripes {
            return Err(Error::StripeIndex {
                stripe,
                stripes: self.stripes,
            });
        }
        Ok(())
    }

    pub(crate) fn check_shard(&self, index: usize) -> Result<(), Error> {
        if index >= self.total_shards() {
            return Err(Error::ShardIndex {
                index,
                count: self.total_shards(),
            });
        }
        Ok(())
    }
}

/// The last stripe's chunk for `rem` (`1..k·c`) object bytes: `ceil(rem / k)` rounded up to a
/// multiple of 256 from 256 on (so it stays sector-aligned and at most `c`), else to even.
fn last_chunk_for(rem: usize, k: usize) -> usize {
    let per = rem.div_ceil(k);
    if per >= SECTOR_SIZE {
        per.next_multiple_of(SECTOR_SIZE)
    } else {
        per.next_multiple_of(2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_of_small_and_large_objects() {
        let c = Config::new(4, 2).unwrap();
        assert_eq!(c.chunk_size(), 512 * 1024);
        let one = c.layout(1).unwrap();
        assert_eq!((one.stripes(), one.shard_size()), (1, 2));
        assert_eq!(one.stripe_len(0).unwrap(), 1);
        let l = c.layout(2 * 1024 * 1024).unwrap();
        assert_eq!((l.stripes(), l.shard_size()), (1, 512 * 1024));
        let l = c.layout(2 * 1024 * 1024 + 1).unwrap();
        assert_eq!((l.stripes(), l.shard_size()), (2, 512 * 1024 + 2));
        assert_eq!(l.stripe_len(1).unwrap(), 1);
        assert_eq!(l.stripe_chunk(1).unwrap(), 2);
        assert_eq!(l.shard_offset(1).unwrap(), 512 * 1024);
        assert!(l.stripe_len(2).is_err());
        // 1025 bytes over 4: 257 per shard → 512.
        assert_eq!(c.layout(1025).unwrap().shard_size(), 512);
        // 1000 bytes over 4: 250 → even, 250.
        assert_eq!(c.layout(1000).unwrap().shard_size(), 250);
    }

    #[test]
    fn rejects_bad_parameters() {
        assert!(Config::new(0, 1).is_err());
        assert!(Config::new(1, 0).is_err());
        assert!(Config::new(32768, 32768).is_ok());
        assert!(Config::new(32769, 32768).is_err());
        assert!(Config::new(61440, 4096).is_ok());
        assert!(Config::new(1, 1).unwrap().layout(0).is_err());
        assert!(Layout::new(2, 2, 10, 100).is_err());
        assert!(Layout::new(2, 2, 10, 0).is_err());
        assert!(Layout::new(4096, 2, 10, 1 << 20).is_err());
        assert!(Config::new(2, 2).unwrap().with_stripe_size(0).is_err());
    }
}
