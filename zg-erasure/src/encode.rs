//! The committing, streaming encoder.

use zg_core::SECTOR_SIZE;

use crate::codec::{EncodedStripe, StripeEncoder};
use crate::commit::{finish_root, hash_shared};
use crate::{Config, Error, Layout, Manifest, ManifestHeader};
use zg_core::tree::FileRootBuilder;

/// Encodes an object stripe by stripe, in order, and builds its [`Manifest`] as it goes: every
/// shard's Merkle root and the object's 0G file root are computed incrementally from the chunks
/// as they are produced, so memory stays at one stripe plus the coder's working space,
/// whatever the object's size.
///
/// Each data sector is hashed once: its hash feeds both its shard's tree and the object's tree
/// (the object tree's sectors are exactly the data shards' sectors, because full chunks are
/// multiples of 256 bytes). Costs per stripe: one reed-solomon-simd encode, one `hash_sector`
/// per 256 shard bytes, and one `hash_pair` per inner node of the shard and object trees.
///
/// ```
/// use zg_erasure::{Config, Encoder};
/// let object: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
/// let config = Config::new(4, 2)?.with_stripe_size(256 * 1024)?;
/// let layout = config.layout(object.len() as u64)?;
/// let mut enc = Encoder::new(layout)?;
/// let mut shards = vec![Vec::new(); layout.total_shards()];
/// for s in 0..layout.stripes() {
///     let off = layout.stripe_offset(s)? as usize;
///     let stripe = enc.encode_stripe(&object[off..off + layout.stripe_len(s)?])?;
///     for (shard, chunk) in shards.iter_mut().zip(stripe.shards()) {
///         shard.extend_from_slice(chunk); // a real host appends to shard files here
///     }
/// }
/// let manifest = enc.finish()?;
/// assert_eq!(manifest.object_root(), zg_core::tree::file_root(&object)?);
/// for (i, shard) in shards.iter().enumerate() {
///     manifest.verify_shard(i, shard)?;
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Encoder {
    coder: StripeEncoder,
    shards: Vec<FileRootBuilder>,
    object: FileRootBuilder,
    next: u64,
}

impl Encoder {
    /// An encoder for an object of `layout`.
    pub fn new(layout: Layout) -> Result<Self, Error> {
        Ok(Encoder {
            coder: StripeEncoder::new(layout)?,
            shards: vec![FileRootBuilder::new(); layout.total_shards()],
            object: FileRootBuilder::new(),
            next: 0,
        })
    }

    /// Starts over for another object, keeping the coder's working space.
    pub fn reset(&mut self, layout: Layout) -> Result<(), Error> {
        self.coder.reset(layout)?;
        self.shards.iter_mut().for_each(FileRootBuilder::reset);
        self.shards
            .resize(layout.total_shards(), FileRootBuilder::new());
        self.object.reset();
        self.next = 0;
        Ok(())
    }

    /// The layout.
    pub fn layout(&self) -> &Layout {
        self.coder.layout()
    }

    /// The stripe [`encode_stripe`](Self::encode_stripe) expects next.
    pub fn next_stripe(&self) -> u64 {
        self.next
    }

    /// Encodes the next stripe from its object bytes (exactly
    /// [`Layout::stripe_len`]`(next_stripe())` of them) and folds its chunks into the
    /// commitments. On error nothing is consumed.
    pub fn encode_stripe<'a>(&'a mut self, data: &'a [u8]) -> Result<EncodedStripe<'a>, Error> {
        let Self {
            coder,
            shards,
            object,
            next,
        } = self;
        let k = coder.layout().data_shards();
        let stripe = coder.encode_stripe(*next, data)?;
        let chunk = stripe.chunk_size();
        if chunk.is_multiple_of(SECTOR_SIZE) && object.is_aligned() {
            for (i, tree) in shards.iter_mut().enumerate().take(k) {
                let object_len = data.len().saturating_sub(i * chunk).min(chunk);
                hash_shared(stripe.shard(i), object_len, tree, object)?;
            }
        } else {
            // Only a small last stripe (chunk < 256 bytes) lands here.
            for (i, tree) in shards.iter_mut().enumerate().take(k) {
                tree.update(stripe.shard(i));
            }
            object.update(data);
        }
        for (tree, chunk) in shards.iter_mut().skip(k).zip(stripe.parity()) {
            tree.update(chunk);
        }
        *next += 1;
        Ok(stripe)
    }

    /// Finishes after the last stripe: the manifest with every shard root, the object root and
    /// the manifest root. The encoder is then ready for another object of the same layout (or
    /// [`reset`](Self::reset) it for another).
    pub fn finish(&mut self) -> Result<Manifest, Error> {
        let layout = *self.coder.layout();
        if self.next != layout.stripes() {
            return Err(Error::Incomplete {
                done: self.next,
                stripes: layout.stripes(),
            });
        }
        self.next = 0;
        // `finish` also clears each builder for the next object.
        let roots = self.shards.iter_mut().map(finish_root).collect::<Vec<_>>();
        let object = finish_root(&mut self.object);
        let roots = roots.into_iter().collect::<Result<Vec<_>, _>>()?;
        Manifest::new(ManifestHeader::new(layout, object?), roots)
    }
}

/// An object encoded in memory: its manifest and its `k + m` shards.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoded {
    /// The manifest.
    pub manifest: Manifest,
    /// Shard `j`'s bytes at index `j` (`0..k` data, `k..k+m` parity).
    pub shards: Vec<Vec<u8>>,
}

/// Encodes `object` in memory (see [`Encoder`] to stream).
///
/// ```
/// use zg_erasure::{Config, decode, encode};
/// let encoded = encode(b"hello, erasure coding", Config::new(3, 2)?)?;
/// let mut shards: Vec<Option<&[u8]>> = encoded.shards.iter().map(|s| Some(&s[..])).collect();
/// shards[0] = None; // lost
/// shards[2] = None; // lost
/// let decoded = decode(&encoded.manifest, &shards)?;
/// assert_eq!(decoded.object, b"hello, erasure coding");
/// # Ok::<(), zg_erasure::Error>(())
/// ```
pub fn encode(object: &[u8], config: Config) -> Result<Encoded, Error> {
    let layout = config.layout(object.len() as u64)?;
    let shard_size = usize::try_from(layout.shard_size()).map_err(|_| Error::InvalidLayout {
        reason: "shards do not fit memory",
    })?;
    let mut shards: Vec<Vec<u8>> = (0..layout.total_shards())
        .map(|_| Vec::with_capacity(shard_size))
        .collect();
    let mut enc = Encoder::new(layout)?;
    let mut off = 0usize;
    for s in 0..layout.stripes() {
        let len = layout.stripe_len(s)?;
        let stripe = enc.encode_stripe(&object[off..off + len])?;
        for (shard, chunk) in shards.iter_mut().zip(stripe.shards()) {
            shard.extend_from_slice(chunk);
        }
        off += len;
    }
    Ok(Encoded {
        manifest: enc.finish()?,
        shards,
    })
}
