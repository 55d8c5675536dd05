//! The verifying decoder, and in-memory decode and shard reconstruction.

use zg_core::{H256, SECTOR_SIZE, hash_sector};

use crate::codec::{DecodedStripe, StripeDecoder, StripeEncoder};
use crate::commit::{finish_root, hash_shared, push_hash};
use crate::{Error, Layout, Manifest};
use zg_core::tree::FileRootBuilder;

/// Decodes an object stripe by stripe from a fixed choice of `k` shards, verifying as it goes.
///
/// Every chosen shard's chunks are hashed into its 0G file tree, and the decoded data into the
/// object's tree (a given data sector is hashed once for both). [`finish`](Self::finish)
/// compares them with the manifest:
///
/// * a chosen shard whose root differs → [`Error::CorruptShards`] naming it (choose another
///   shard in its place and decode again);
/// * every chosen shard fine but the object root differs → [`Error::Inconsistent`] (the
///   manifest commits to shards that do not decode to its object).
///
/// **The bytes a stripe yields are unverified until `finish` returns `Ok`.** A host that
/// streams them out (to a file) must treat them as provisional: write to a temporary file
/// and keep it only on `Ok` (the `zg erasure decode` CLI does this), or check every shard
/// first with [`ShardVerifier`](crate::ShardVerifier). [`decode`] (in memory) only ever returns
/// verified bytes.
#[derive(Debug)]
pub struct Decoder {
    coder: StripeDecoder,
    /// The chosen shards, in chunk order.
    chosen: Vec<usize>,
    /// Expected root of each chosen shard, by position.
    roots: Vec<H256>,
    trees: Vec<FileRootBuilder>,
    /// Data shard `i` → position in the chosen list.
    data_pos: Vec<Option<usize>>,
    object: FileRootBuilder,
    object_root: H256,
    next: u64,
}

impl Decoder {
    /// A decoder of `manifest`'s object from shards `chosen` (exactly `k` distinct indices; the
    /// chunks of each stripe are then given in this order).
    pub fn new(manifest: &Manifest, chosen: &[usize]) -> Result<Self, Error> {
        let coder = StripeDecoder::new(*manifest.layout(), chosen)?;
        let mut d = Decoder {
            coder,
            chosen: Vec::new(),
            roots: Vec::new(),
            trees: Vec::new(),
            data_pos: Vec::new(),
            object: FileRootBuilder::new(),
            object_root: manifest.object_root(),
            next: 0,
        };
        d.reset(manifest, chosen)?;
        Ok(d)
    }

    /// Starts over for another object or choice of shards, keeping the coder's working space.
    /// On error the decoder is unchanged.
    pub fn reset(&mut self, manifest: &Manifest, chosen: &[usize]) -> Result<(), Error> {
        let layout = *manifest.layout();
        let roots = chosen
            .iter()
            .map(|&i| manifest.shard_root(i))
            .collect::<Result<_, _>>()?;
        self.coder.reset(layout, chosen)?;
        let mut data_pos = vec![None; layout.data_shards()];
        for (pos, &i) in chosen.iter().enumerate() {
            if i < layout.data_shards() {
                data_pos[i] = Some(pos);
            }
        }
        self.chosen = chosen.to_vec();
        self.roots = roots;
        self.trees.iter_mut().for_each(FileRootBuilder::reset);
        self.trees.resize(chosen.len(), FileRootBuilder::new());
        self.data_pos = data_pos;
        self.object.reset();
        self.object_root = manifest.object_root();
        self.next = 0;
        Ok(())
    }

    /// The layout.
    pub fn layout(&self) -> &Layout {
        self.coder.layout()
    }

    /// The chosen shards, in the order their chunks are expected.
    pub fn chosen(&self) -> &[usize] {
        self.coder.chosen()
    }

    /// The stripe [`decode_stripe`](Self::decode_stripe) expects next.
    pub fn next_stripe(&self) -> u64 {
        self.next
    }

    /// Decodes the next stripe from `chunks[j]` = that stripe's chunk of shard `chosen()[j]`
    /// (at offset [`Layout::shard_offset`] in the shard, [`Layout::stripe_chunk`] bytes).
    pub fn decode_stripe<'a>(
        &'a mut self,
        chunks: &'a [&'a [u8]],
    ) -> Result<DecodedStripe<'a>, Error> {
        let Self {
            coder,
            chosen,
            roots: _,
            trees,
            data_pos,
            object,
            object_root: _,
            next,
        } = self;
        let k = coder.layout().data_shards();
        let stripe = coder.decode_stripe(*next, chunks)?;
        let chunk = stripe.chunk_size();
        let len = stripe.len();
        let aligned = chunk.is_multiple_of(SECTOR_SIZE) && object.is_aligned();
        for (i, pos) in data_pos.iter().enumerate() {
            let d = stripe.data_chunk(i);
            let object_len = len.saturating_sub(i * chunk).min(chunk);
            match (pos, aligned) {
                (Some(p), true) => hash_shared(d, object_len, &mut trees[*p], object)?,
                (Some(p), false) => trees[*p].update(d),
                (None, true) => hash_object_only(d, object_len, object)?,
                (None, false) => {}
            }
        }
        if !aligned {
            // Only a small last stripe (chunk < 256 bytes) lands here.
            for piece in stripe.pieces() {
                object.update(piece);
            }
        }
        // `chunks` has one chunk per chosen shard: the coder checked it.
        for ((tree, &index), c) in trees.iter_mut().zip(chosen.iter()).zip(chunks) {
            if index >= k {
                tree.update(c);
            }
        }
        *next += 1;
        Ok(stripe)
    }

    /// Ends decoding after the last stripe and says whether every byte yielded was right. The
    /// decoder is then ready to decode the same object from the same shards again (or
    /// [`reset`](Self::reset) it).
    pub fn finish(&mut self) -> Result<(), Error> {
        let stripes = self.coder.layout().stripes();
        if self.next != stripes {
            return Err(Error::Incomplete {
                done: self.next,
                stripes,
            });
        }
        self.next = 0;
        // `finish` also clears each builder for the next run.
        let mut bad = Vec::new();
        let mut failed = None;
        for ((tree, root), &index) in self.trees.iter_mut().zip(&self.roots).zip(&self.chosen) {
            match finish_root(tree) {
                Ok(r) if r == *root => {}
                Ok(_) => bad.push(index),
                Err(e) => failed = Some(e),
            }
        }
        let object = finish_root(&mut self.object);
        if let Some(e) = failed {
            return Err(e);
        }
        if !bad.is_empty() {
            bad.sort_unstable();
            return Err(Error::CorruptShards { shards: bad });
        }
        if object? != self.object_root {
            return Err(Error::Inconsistent);
        }
        Ok(())
    }
}

/// Hashes the object part of a rebuilt data chunk into the object tree only.
fn hash_object_only(
    chunk: &[u8],
    object_len: usize,
    object: &mut FileRootBuilder,
) -> Result<(), Error> {
    for sector in chunk
        .chunks_exact(SECTOR_SIZE)
        .take(object_len.div_ceil(SECTOR_SIZE))
    {
        if let Ok(sector) = <&[u8; SECTOR_SIZE]>::try_from(sector) {
            push_hash(object, hash_sector(sector))?;
        }
    }
    Ok(())
}

/// An object decoded in memory, and what was wrong with the shards given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// The object's bytes, verified against the manifest's object root.
    pub object: Vec<u8>,
    /// Shards that were given but excluded: wrong length, or bytes not matching their root.
    /// Ascending.
    pub rejected: Vec<usize>,
    /// Shards not given. Ascending.
    pub missing: Vec<usize>,
}

/// Decodes `manifest`'s object in memory from whichever shards are given (`shards[j]` is
/// shard `j`, or `None`; `k + m` slots).
///
/// Data shards are preferred (when all `k` are good no reed-solomon decoding happens). A shard
/// with the wrong length, or whose bytes do not match its root, is excluded and replaced by
/// another; with fewer than `k` good shards the result is [`Error::NotEnoughShards`]. The object
/// returned always matches the manifest's object root: this never returns wrong bytes.
pub fn decode(manifest: &Manifest, shards: &[Option<&[u8]>]) -> Result<Decoded, Error> {
    let layout = *manifest.layout();
    let size = usize::try_from(layout.object_size()).map_err(|_| Error::InvalidLayout {
        reason: "object does not fit memory",
    })?;
    let mut work = Candidates::new(&layout, shards)?;
    // Allocate only once k shards of the right length are known to be in memory: the object is
    // then no larger than what the caller already holds, whatever the manifest claims.
    work.choose(layout.data_shards(), None)?;
    let mut object = vec![0u8; size];
    loop {
        let chosen = work.choose(layout.data_shards(), None)?;
        let mut dec = Decoder::new(manifest, &chosen)?;
        let mut at = 0usize;
        for s in 0..layout.stripes() {
            let chunks = work.chunks(&layout, &chosen, s)?;
            let stripe = dec.decode_stripe(&chunks)?;
            stripe.copy_to(&mut object[at..at + stripe.len()])?;
            at += stripe.len();
        }
        match dec.finish() {
            Ok(()) => {
                return Ok(Decoded {
                    object,
                    rejected: work.rejected(),
                    missing: work.missing,
                });
            }
            Err(Error::CorruptShards { shards: bad }) => work.reject(&bad),
            Err(e) => return Err(e),
        }
    }
}

/// Rebuilds shard `index` in memory from whichever other shards are given (`shards[j]` is shard
/// `j`, or `None`; `k + m` slots; `shards[index]` is ignored). The shard returned matches its
/// root in the manifest, or the call fails ([`Error::NotEnoughShards`], or
/// [`Error::Inconsistent`] when the good shards do not rebuild it).
pub fn reconstruct_shard(
    manifest: &Manifest,
    shards: &[Option<&[u8]>],
    index: usize,
) -> Result<Vec<u8>, Error> {
    let layout = *manifest.layout();
    layout.check_shard(index)?;
    let shard_size = usize::try_from(layout.shard_size()).map_err(|_| Error::InvalidLayout {
        reason: "shard does not fit memory",
    })?;
    let mut work = Candidates::new(&layout, shards)?;
    let k = layout.data_shards();
    let mut encoder = if index >= k {
        Some(StripeEncoder::new(layout)?)
    } else {
        None
    };
    let mut stripe_buf = Vec::new();
    loop {
        let chosen = work.choose(k, Some(index))?;
        let mut dec = Decoder::new(manifest, &chosen)?;
        // k shards of `shard_size` bytes are in memory, so this is no larger than one of them.
        let mut out = Vec::with_capacity(shard_size);
        let mut builder = FileRootBuilder::new();
        for s in 0..layout.stripes() {
            let chunks = work.chunks(&layout, &chosen, s)?;
            let stripe = dec.decode_stripe(&chunks)?;
            match encoder.as_mut() {
                None => out.extend_from_slice(stripe.data_chunk(index)),
                Some(enc) => {
                    stripe_buf.resize(stripe.len(), 0);
                    stripe.copy_to(&mut stripe_buf)?;
                    let encoded = enc.encode_stripe(s, &stripe_buf)?;
                    out.extend_from_slice(encoded.shard(index));
                }
            }
        }
        match dec.finish() {
            Ok(()) => {
                builder.update(&out);
                if finish_root(&mut builder)? != manifest.shard_root(index)? {
                    return Err(Error::Inconsistent);
                }
                return Ok(out);
            }
            Err(Error::CorruptShards { shards: bad }) => work.reject(&bad),
            Err(e) => return Err(e),
        }
    }
}

/// The shards given to an in-memory decode, and which are still usable.
struct Candidates<'a> {
    shards: &'a [Option<&'a [u8]>],
    /// Present, right length, not (yet) found corrupt; ascending (data shards first).
    good: Vec<usize>,
    bad: Vec<usize>,
    missing: Vec<usize>,
}

impl<'a> Candidates<'a> {
    fn new(layout: &Layout, shards: &'a [Option<&'a [u8]>]) -> Result<Self, Error> {
        let n = layout.total_shards();
        if shards.len() != n {
            return Err(Error::ShardCount {
                expected: n,
                got: shards.len(),
            });
        }
        let (mut good, mut bad, mut missing) = (Vec::new(), Vec::new(), Vec::new());
        for (i, s) in shards.iter().enumerate() {
            match s {
                None => missing.push(i),
                Some(b) if b.len() as u64 == layout.shard_size() => good.push(i),
                Some(_) => bad.push(i),
            }
        }
        Ok(Candidates {
            shards,
            good,
            bad,
            missing,
        })
    }

    /// The first `k` usable shards, skipping `exclude`.
    fn choose(&self, k: usize, exclude: Option<usize>) -> Result<Vec<usize>, Error> {
        let chosen: Vec<usize> = self
            .good
            .iter()
            .copied()
            .filter(|&i| Some(i) != exclude)
            .take(k)
            .collect();
        if chosen.len() < k {
            return Err(Error::NotEnoughShards {
                have: chosen.len(),
                need: k,
            });
        }
        Ok(chosen)
    }

    fn chunks(
        &self,
        layout: &Layout,
        chosen: &[usize],
        stripe: u64,
    ) -> Result<Vec<&'a [u8]>, Error> {
        let chunk = layout.stripe_chunk(stripe)?;
        // Offsets are below the shard size, which fits memory (the shards are in memory).
        let off =
            usize::try_from(layout.shard_offset(stripe)?).map_err(|_| Error::InvalidLayout {
                reason: "shard does not fit memory",
            })?;
        Ok(chosen
            .iter()
            .map(|&i| self.shards[i].map_or(&[][..], |b| &b[off..off + chunk]))
            .collect())
    }

    fn reject(&mut self, bad: &[usize]) {
        self.good.retain(|i| !bad.contains(i));
        self.bad.extend_from_slice(bad);
    }

    fn rejected(&self) -> Vec<usize> {
        let mut r = self.bad.clone();
        r.sort_unstable();
        r
    }
}
