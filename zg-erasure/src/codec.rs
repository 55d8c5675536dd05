//! Stripe coding without commitments: reed-solomon-simd with its allocations reused.

use reed_solomon_simd::{DecoderResult, EncoderResult, ReedSolomonDecoder, ReedSolomonEncoder};

use crate::{Error, Layout};

/// Encodes stripes of one [`Layout`] into shard chunks, reusing reed-solomon-simd's working
/// space across stripes (no allocation per stripe). No commitments: see
/// [`Encoder`](crate::Encoder) for the committing, streaming encoder.
///
/// Stripes are independent and may be encoded in any order.
///
/// ```
/// use zg_erasure::{Config, StripeEncoder};
/// let object = vec![7u8; 3000];
/// let layout = Config::new(3, 2)?.layout(object.len() as u64)?;
/// let mut enc = StripeEncoder::new(layout)?;
/// let stripe = enc.encode_stripe(0, &object)?;
/// assert_eq!(stripe.chunk_size(), 1024); // ceil(3000 / 3) = 1000 → 1024
/// assert_eq!(&stripe.shard(0)[..1000], &object[..1000]); // systematic
/// assert_eq!(stripe.shards().count(), 5);
/// # Ok::<(), zg_erasure::Error>(())
/// ```
pub struct StripeEncoder {
    layout: Layout,
    /// The backend and the chunk size it is configured for.
    rs: Option<(ReedSolomonEncoder, usize)>,
    /// Zero-padded copy of a short last stripe.
    pad: Vec<u8>,
}

impl core::fmt::Debug for StripeEncoder {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StripeEncoder")
            .field("layout", &self.layout)
            .finish_non_exhaustive()
    }
}

impl StripeEncoder {
    /// An encoder for `layout`, with working space for its full stripes.
    pub fn new(layout: Layout) -> Result<Self, Error> {
        let chunk = layout.stripe_chunk(0)?;
        let mut rs = None;
        backend(&mut rs, layout.data_shards(), layout.parity_shards(), chunk)?;
        Ok(StripeEncoder {
            layout,
            rs,
            pad: Vec::new(),
        })
    }

    /// The layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Reconfigures for another layout, keeping the backend's working space (a node encoding
    /// many objects allocates once).
    pub fn reset(&mut self, layout: Layout) -> Result<(), Error> {
        let chunk = layout.stripe_chunk(0)?;
        backend(
            &mut self.rs,
            layout.data_shards(),
            layout.parity_shards(),
            chunk,
        )?;
        self.layout = layout;
        Ok(())
    }

    /// Encodes stripe `stripe` from its object bytes (exactly
    /// [`Layout::stripe_len`]`(stripe)` of them).
    pub fn encode_stripe<'a>(
        &'a mut self,
        stripe: u64,
        data: &'a [u8],
    ) -> Result<EncodedStripe<'a>, Error> {
        let expected = self.layout.stripe_len(stripe)?;
        if data.len() != expected {
            return Err(Error::StripeLength {
                stripe,
                expected,
                got: data.len(),
            });
        }
        let chunk = self.layout.stripe_chunk(stripe)?;
        let k = self.layout.data_shards();
        let m = self.layout.parity_shards();
        let Self { rs, pad, .. } = self;
        let data: &'a [u8] = if data.len() == k * chunk {
            data
        } else {
            // Only the last stripe is short: copy it once into a zero-padded buffer.
            pad.clear();
            pad.extend_from_slice(data);
            pad.resize(k * chunk, 0);
            pad
        };
        if let Err(e) = backend(rs, k, m, chunk).and_then(|enc| {
            data.chunks_exact(chunk)
                .try_for_each(|c| Ok(enc.add_original_shard(c)?))
        }) {
            // Shards added so far would spill into the next stripe: start from a fresh backend.
            *rs = None;
            return Err(e);
        }
        let parity = backend(rs, k, m, chunk)?.encode()?;
        Ok(EncodedStripe {
            data,
            chunk,
            k,
            parity,
        })
    }
}

/// A reed-solomon-simd coder configured for `k`, `m`, `chunk`: reset in place when the chunk
/// changes (its working space is kept), built when there is none. A coder whose reset failed is
/// dropped, never reused half-configured.
macro_rules! backend_fn {
    ($name:ident, $ty:ty) => {
        fn $name(
            slot: &mut Option<($ty, usize)>,
            k: usize,
            m: usize,
            chunk: usize,
        ) -> Result<&mut $ty, Error> {
            let stale = match slot {
                Some((rs, c)) if *c != chunk => match rs.reset(k, m, chunk) {
                    Ok(()) => {
                        *c = chunk;
                        false
                    }
                    Err(_) => true,
                },
                _ => false,
            };
            if stale {
                *slot = None;
            }
            if slot.is_none() {
                *slot = Some((<$ty>::new(k, m, chunk)?, chunk));
            }
            match slot {
                Some((rs, _)) => Ok(rs),
                None => Err(Error::Backend("no coder".to_string())),
            }
        }
    };
}
backend_fn!(backend, ReedSolomonEncoder);
backend_fn!(decoder_backend, ReedSolomonDecoder);

/// One encoded stripe: `k + m` chunks of [`chunk_size`](Self::chunk_size) bytes, borrowed from
/// the input (data chunks) and from the encoder (parity chunks). Dropping it readies the encoder
/// for the next stripe.
pub struct EncodedStripe<'a> {
    data: &'a [u8],
    chunk: usize,
    k: usize,
    parity: EncoderResult<'a>,
}

impl core::fmt::Debug for EncodedStripe<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EncodedStripe")
            .field("chunk", &self.chunk)
            .field("data_shards", &self.k)
            .finish_non_exhaustive()
    }
}

impl<'a> EncodedStripe<'a> {
    /// Bytes of each chunk.
    pub fn chunk_size(&self) -> usize {
        self.chunk
    }

    /// The chunk of shard `index` (`0..k` data, `k..k+m` parity); empty for an index out of
    /// range.
    pub fn shard(&self, index: usize) -> &[u8] {
        if index < self.k {
            &self.data[index * self.chunk..(index + 1) * self.chunk]
        } else {
            self.parity.recovery(index - self.k).unwrap_or(&[])
        }
    }

    /// The data chunks, zero-padded: `k × chunk_size` bytes.
    pub fn data(&self) -> &[u8] {
        self.data
    }

    /// Every chunk in shard order.
    pub fn shards(&self) -> impl Iterator<Item = &[u8]> {
        self.data
            .chunks_exact(self.chunk)
            .chain(self.parity.recovery_iter())
    }

    /// The parity chunks in order.
    pub fn parity(&self) -> impl Iterator<Item = &[u8]> {
        self.parity.recovery_iter()
    }
}

/// Decodes stripes of one [`Layout`] from a fixed choice of exactly `k` shards, reusing
/// reed-solomon-simd's working space across stripes. No verification: see
/// [`Decoder`](crate::Decoder) for the verifying one. When the choice is the `k` data shards
/// the backend is not called at all.
///
/// ```
/// use zg_erasure::{Config, StripeDecoder, StripeEncoder};
/// let object: Vec<u8> = (0..5000u32).map(|i| i as u8).collect();
/// let layout = Config::new(3, 2)?.layout(object.len() as u64)?;
/// let mut enc = StripeEncoder::new(layout)?;
/// let shards: Vec<Vec<u8>> = enc.encode_stripe(0, &object)?.shards().map(<[u8]>::to_vec).collect();
/// // Lose data shards 0 and 2; decode from shards 1, 3, 4.
/// let mut dec = StripeDecoder::new(layout, &[4, 1, 3])?;
/// let chunks = [&shards[4][..], &shards[1], &shards[3]];
/// let stripe = dec.decode_stripe(0, &chunks)?;
/// let mut out = vec![0u8; stripe.len()];
/// stripe.copy_to(&mut out)?;
/// assert_eq!(out, object);
/// # Ok::<(), zg_erasure::Error>(())
/// ```
pub struct StripeDecoder {
    layout: Layout,
    chosen: Vec<usize>,
    /// Data shard `i` → its position in `chosen`, if chosen.
    data_pos: Vec<Option<usize>>,
    missing_data: usize,
    rs: Option<(ReedSolomonDecoder, usize)>,
}

impl core::fmt::Debug for StripeDecoder {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StripeDecoder")
            .field("layout", &self.layout)
            .field("chosen", &self.chosen)
            .finish_non_exhaustive()
    }
}

impl StripeDecoder {
    /// A decoder that will be given, for every stripe, the chunks of shards `chosen` (exactly
    /// `k` distinct indices in `0..k+m`, any order).
    pub fn new(layout: Layout, chosen: &[usize]) -> Result<Self, Error> {
        let mut d = StripeDecoder {
            layout,
            chosen: Vec::new(),
            data_pos: Vec::new(),
            missing_data: 0,
            rs: None,
        };
        d.reset(layout, chosen)?;
        Ok(d)
    }

    /// Reconfigures for another layout and choice of shards, keeping the backend's working space
    /// (a node decoding many objects allocates once). On error the decoder is unchanged.
    pub fn reset(&mut self, layout: Layout, chosen: &[usize]) -> Result<(), Error> {
        let k = layout.data_shards();
        if chosen.len() != k {
            return Err(Error::ShardCount {
                expected: k,
                got: chosen.len(),
            });
        }
        let mut seen = vec![false; layout.total_shards()];
        let mut data_pos = vec![None; k];
        for (pos, &index) in chosen.iter().enumerate() {
            layout.check_shard(index)?;
            if std::mem::replace(&mut seen[index], true) {
                return Err(Error::DuplicateShard { index });
            }
            if index < k {
                data_pos[index] = Some(pos);
            }
        }
        let missing_data = data_pos.iter().filter(|p| p.is_none()).count();
        if missing_data > 0 {
            let chunk = layout.stripe_chunk(0)?;
            decoder_backend(&mut self.rs, k, layout.parity_shards(), chunk)?;
        }
        self.layout = layout;
        self.chosen = chosen.to_vec();
        self.data_pos = data_pos;
        self.missing_data = missing_data;
        Ok(())
    }

    /// The layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The chosen shards, in the order their chunks are expected.
    pub fn chosen(&self) -> &[usize] {
        &self.chosen
    }

    /// Data shards not among the chosen (rebuilt by the backend).
    pub fn missing_data(&self) -> usize {
        self.missing_data
    }

    /// Decodes stripe `stripe` from `chunks[j]` = the stripe's chunk of shard `chosen[j]`.
    pub fn decode_stripe<'a>(
        &'a mut self,
        stripe: u64,
        chunks: &'a [&'a [u8]],
    ) -> Result<DecodedStripe<'a>, Error> {
        let chunk = self.layout.stripe_chunk(stripe)?;
        let len = self.layout.stripe_len(stripe)?;
        if chunks.len() != self.chosen.len() {
            return Err(Error::ShardCount {
                expected: self.chosen.len(),
                got: chunks.len(),
            });
        }
        for (&index, c) in self.chosen.iter().zip(chunks) {
            if c.len() != chunk {
                return Err(Error::ShardLength {
                    index,
                    expected: chunk as u64,
                    got: c.len() as u64,
                });
            }
        }
        let k = self.layout.data_shards();
        let m = self.layout.parity_shards();
        let restored = if self.missing_data == 0 {
            None
        } else {
            let Self { rs, chosen, .. } = self;
            let added = decoder_backend(rs, k, m, chunk).and_then(|dec| {
                chosen.iter().zip(chunks).try_for_each(|(&i, c)| {
                    if i < k {
                        dec.add_original_shard(i, c)?;
                    } else {
                        dec.add_recovery_shard(i - k, c)?;
                    }
                    Ok(())
                })
            });
            if let Err(e) = added {
                // Shards added so far would spill into the next stripe: start afresh.
                *rs = None;
                return Err(e);
            }
            Some(decoder_backend(rs, k, m, chunk)?.decode()?)
        };
        Ok(DecodedStripe {
            stripe,
            len,
            chunk,
            chunks,
            data_pos: &self.data_pos,
            restored,
        })
    }
}

/// One decoded stripe: the `k` data chunks (borrowed from the input or from the decoder) and the
/// number of object bytes they hold.
pub struct DecodedStripe<'a> {
    stripe: u64,
    len: usize,
    chunk: usize,
    chunks: &'a [&'a [u8]],
    data_pos: &'a [Option<usize>],
    restored: Option<DecoderResult<'a>>,
}

impl core::fmt::Debug for DecodedStripe<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DecodedStripe")
            .field("stripe", &self.stripe)
            .field("len", &self.len)
            .field("chunk", &self.chunk)
            .finish_non_exhaustive()
    }
}

impl DecodedStripe<'_> {
    /// The stripe's index.
    pub fn stripe(&self) -> u64 {
        self.stripe
    }

    /// Object bytes in this stripe.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the stripe holds no object bytes (never, for a valid layout).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes of each chunk.
    pub fn chunk_size(&self) -> usize {
        self.chunk
    }

    /// Data chunk `i` (`0..k`), zero padding included; empty for an index out of range.
    pub fn data_chunk(&self, i: usize) -> &[u8] {
        match self.data_pos.get(i) {
            Some(Some(pos)) => self.chunks[*pos],
            Some(None) => self
                .restored
                .as_ref()
                .and_then(|r| r.restored_original(i))
                .unwrap_or(&[]),
            None => &[],
        }
    }

    /// Whether data chunk `i` was rebuilt (rather than given).
    pub fn is_restored(&self, i: usize) -> bool {
        matches!(self.data_pos.get(i), Some(None))
    }

    /// The object bytes of the stripe as slices, in order, padding trimmed.
    pub fn pieces(&self) -> impl Iterator<Item = &[u8]> {
        let mut left = self.len;
        (0..self.data_pos.len()).map_while(move |i| {
            if left == 0 {
                return None;
            }
            let c = self.data_chunk(i);
            let take = left.min(c.len());
            left -= take;
            Some(&c[..take])
        })
    }

    /// Copies the stripe's object bytes into `out` (exactly [`len`](Self::len) bytes).
    pub fn copy_to(&self, out: &mut [u8]) -> Result<(), Error> {
        if out.len() != self.len {
            return Err(Error::StripeLength {
                stripe: self.stripe,
                expected: self.len,
                got: out.len(),
            });
        }
        let mut at = 0;
        for piece in self.pieces() {
            out[at..at + piece.len()].copy_from_slice(piece);
            at += piece.len();
        }
        Ok(())
    }
}
