//! Mining as pure functions: the parameters fixed for one task, one iteration per nonce, and
//! batches of nonces (in parallel with the `parallel` feature).
//!
//! The [`Miner`](crate::Miner) state machine drives these; benches and other hosts may call
//! them directly.

use core::fmt;

use zg_core::H256;
use zg_core::tree::{SEAL_SIZE, SECTORS_PER_SEAL};

use crate::U256;
use crate::answer::Answer;
use crate::error::VerifyError;
use crate::pora::{
    LOAD_SIZE, PadSeed, QualityBound, RecallRange, SCRATCHPAD_SIZE, SEALS_PER_LOAD,
    SECTORS_PER_LOAD, compute_pora_hash, compute_scratch_pad, pad_part, pad_seed,
};

/// The 64 sealed seals of one load, as the host read them, with which of them are available
/// (sealed and stored): bit `i` of `available` is seal `i`.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedLoad {
    data: Box<[u8; LOAD_SIZE]>,
    available: u64,
}

impl fmt::Debug for SealedLoad {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedLoad")
            .field("available", &format_args!("{:#018x}", self.available))
            .finish_non_exhaustive()
    }
}

impl core::hash::Hash for SealedLoad {
    /// Hashes the availability and a sample of the data (the first and last 64 bytes): enough to
    /// fingerprint a simulation trace without hashing 256 KiB per load.
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.available.hash(state);
        self.data[..64].hash(state);
        self.data[LOAD_SIZE - 64..].hash(state);
    }
}

impl SealedLoad {
    /// A load whose every seal is available.
    pub fn new(data: Box<[u8; LOAD_SIZE]>) -> Self {
        SealedLoad {
            data,
            available: u64::MAX,
        }
    }

    /// A load with an availability mask (bit `i` = seal `i`).
    pub fn with_availability(data: Box<[u8; LOAD_SIZE]>, available: u64) -> Self {
        SealedLoad { data, available }
    }

    /// Seals load `load_index` of the flow from its plaintext, seal by seal, to `miner_id` under
    /// `context_digest` (each seal's start sector is `(load_index·64 + i)·16`). Load 0's first
    /// seal holds the flow's genesis leaf, the raw zero value that no Merkle proof can show as a
    /// sector, so it is marked unavailable; every other seal is available.
    pub fn seal_plain(
        load_index: u64,
        plain: &[u8; LOAD_SIZE],
        miner_id: &H256,
        context_digest: &H256,
    ) -> Self {
        let mut data = Box::new(*plain);
        for (i, seal) in data.as_chunks_mut::<SEAL_SIZE>().0.iter_mut().enumerate() {
            let seal_index = load_index * SEALS_PER_LOAD as u64 + i as u64;
            crate::seal(
                seal,
                miner_id,
                context_digest,
                seal_index * SECTORS_PER_SEAL,
            );
        }
        let available = if load_index == 0 { !1 } else { u64::MAX };
        SealedLoad { data, available }
    }

    /// Sealed seal `i` (0..64), if available.
    pub fn seal(&self, i: usize) -> Option<&[u8; SEAL_SIZE]> {
        if i >= SEALS_PER_LOAD || self.available & (1 << i) == 0 {
            return None;
        }
        self.data.as_chunks::<SEAL_SIZE>().0.get(i)
    }

    /// The availability mask.
    pub fn available(&self) -> u64 {
        self.available
    }

    /// The 256 KiB.
    pub fn bytes(&self) -> &[u8; LOAD_SIZE] {
        &self.data
    }
}

/// A seal that meets the bound in one iteration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Hit {
    /// The nonce.
    pub nonce: H256,
    /// The seal's index in its load.
    pub seal_offset: u64,
    /// The seal's first sector.
    pub recall_position: u64,
    /// Its quality.
    pub quality: H256,
}

/// What stays fixed while one miner mines one context: miner id, subtask digest, range and the
/// quality bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MiningParams {
    /// The miner.
    pub miner_id: H256,
    /// The subtask digest mined with.
    pub subtask_digest: H256,
    /// The range mined.
    pub range: RecallRange,
    /// `range.digest()`, computed once.
    pub range_digest: H256,
    /// The quality an answer needs.
    pub bound: QualityBound,
}

/// The state of one iteration after the scratchpad: the pad seed and the load to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Recall {
    /// The nonce.
    pub nonce: H256,
    /// Its pad seed.
    pub pad_seed: PadSeed,
    /// First sector of the load to read.
    pub load_position: u64,
}

impl Recall {
    /// The load's index in the flow (`load_position / 1024`).
    pub fn load_index(&self) -> u64 {
        self.load_position / SECTORS_PER_LOAD
    }
}

impl MiningParams {
    /// Parameters for mining `range` of a flow of `flow_length` sectors against `pora_target`.
    /// Fails like the contract would for that range ([`RecallRange::target_scale_x64`]).
    pub fn new(
        miner_id: H256,
        subtask_digest: H256,
        range: RecallRange,
        pora_target: U256,
        flow_length: u64,
    ) -> Result<Self, VerifyError> {
        let scale = range.target_scale_x64(flow_length)?;
        Ok(MiningParams {
            miner_id,
            subtask_digest,
            range,
            range_digest: range.digest(),
            bound: QualityBound::new(pora_target, scale),
        })
    }

    /// Runs the scratchpad for `nonce` into `pad` and returns which load to read.
    pub fn recall(
        &self,
        nonce: H256,
        pad: &mut [u8; SCRATCHPAD_SIZE],
    ) -> Result<Recall, VerifyError> {
        let seed = pad_seed(
            &self.miner_id,
            &nonce,
            &self.subtask_digest,
            &self.range_digest,
        );
        let recall_seed = compute_scratch_pad(&seed, pad);
        Ok(Recall {
            nonce,
            pad_seed: seed,
            load_position: self.range.recall_chunk(&recall_seed)?,
        })
    }

    /// The quality of every available seal of `load` for this iteration, calling `f(offset,
    /// quality)` for each.
    pub fn for_each_quality(
        &self,
        recall: &Recall,
        pad: &[u8; SCRATCHPAD_SIZE],
        load: &SealedLoad,
        mut f: impl FnMut(u64, H256),
    ) {
        let mut mixed = [0u8; SEAL_SIZE];
        for (i, offset) in (0..SEALS_PER_LOAD).zip(0u64..) {
            let Some(sealed) = load.seal(i) else {
                continue;
            };
            mix_into(&mut mixed, sealed, pad_part(pad, offset));
            f(offset, compute_pora_hash(offset, &recall.pad_seed, &mixed));
        }
    }

    /// The seals of `load` that meet the bound.
    pub fn scan(
        &self,
        recall: &Recall,
        pad: &[u8; SCRATCHPAD_SIZE],
        load: &SealedLoad,
    ) -> Vec<Hit> {
        let mut hits = Vec::new();
        self.for_each_quality(recall, pad, load, |offset, quality| {
            if self.bound.admits(&quality) {
                hits.push(Hit {
                    nonce: recall.nonce,
                    seal_offset: offset,
                    recall_position: recall.load_position + offset * SECTORS_PER_SEAL,
                    quality,
                });
            }
        });
        hits
    }

    /// One whole iteration for `nonce`, reading its load through `load_of(load_index)`; a load the
    /// host does not have yields no hits.
    pub fn iterate<'a>(
        &self,
        nonce: H256,
        pad: &mut [u8; SCRATCHPAD_SIZE],
        load_of: impl Fn(u64) -> Option<&'a SealedLoad>,
    ) -> Vec<Hit> {
        let Ok(recall) = self.recall(nonce, pad) else {
            return Vec::new();
        };
        match load_of(recall.load_index()) {
            Some(load) => self.scan(&recall, pad, load),
            None => Vec::new(),
        }
    }

    /// Mines `nonces` one after another on this thread.
    pub fn mine_batch<'a>(
        &self,
        nonces: &[H256],
        load_of: impl Fn(u64) -> Option<&'a SealedLoad>,
    ) -> Vec<Hit> {
        let mut pad = [0u8; SCRATCHPAD_SIZE];
        let mut hits = Vec::new();
        for &nonce in nonces {
            hits.extend(self.iterate(nonce, &mut pad, &load_of));
        }
        hits
    }

    /// Mines `nonces` on the rayon pool; the hits come back in nonce order (feature `parallel`).
    #[cfg(feature = "parallel")]
    pub fn mine_batch_parallel<'a>(
        &self,
        nonces: &[H256],
        load_of: impl Fn(u64) -> Option<&'a SealedLoad> + Sync,
    ) -> Vec<Hit> {
        use rayon::prelude::*;
        nonces
            .par_iter()
            .map_init(
                || Box::new([0u8; SCRATCHPAD_SIZE]),
                |pad, &nonce| self.iterate(nonce, pad, &load_of),
            )
            .flatten_iter()
            .collect()
    }
}

/// `out = sealed ⊕ pad`, eight bytes at a time.
#[inline]
fn mix_into(out: &mut [u8; SEAL_SIZE], sealed: &[u8; SEAL_SIZE], pad: &[u8; SEAL_SIZE]) {
    let (o, _) = out.as_chunks_mut::<8>();
    let (s, _) = sealed.as_chunks::<8>();
    let (p, _) = pad.as_chunks::<8>();
    for ((o, s), p) in o.iter_mut().zip(s).zip(p) {
        *o = (u64::from_ne_bytes(*s) ^ u64::from_ne_bytes(*p)).to_ne_bytes();
    }
}

/// An answer as the miner finds it, before the host attaches the sealing context and the Merkle
/// proof (the 0G node's `AnswerWithoutProof`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MinedAnswer {
    /// The epoch mined.
    pub epoch: u64,
    /// The context digest mined.
    pub context_digest: H256,
    /// The nonce.
    pub nonce: H256,
    /// The miner.
    pub miner_id: H256,
    /// The range mined.
    pub range: RecallRange,
    /// The seal's first sector.
    pub recall_position: u64,
    /// The seal's index in its load.
    pub seal_offset: u64,
    /// The sealed seal.
    pub sealed_data: Box<[u8; SEAL_SIZE]>,
    /// Its quality.
    pub quality: H256,
}

impl fmt::Debug for MinedAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MinedAnswer")
            .field("epoch", &self.epoch)
            .field("nonce", &self.nonce)
            .field("recall_position", &self.recall_position)
            .field("seal_offset", &self.seal_offset)
            .field("quality", &self.quality)
            .finish_non_exhaustive()
    }
}

impl MinedAnswer {
    /// The seal's index in the flow.
    pub fn seal_index(&self) -> u64 {
        self.recall_position / SECTORS_PER_SEAL
    }

    /// The answer to submit, with the context the seal was sealed under and the seal's Merkle
    /// proof ([`seal_proof`](crate::answer::seal_proof)).
    pub fn into_answer(self, sealed_context_digest: H256, merkle_proof: Vec<H256>) -> Answer {
        Answer {
            context_digest: self.context_digest,
            nonce: self.nonce,
            miner_id: self.miner_id,
            range: self.range,
            recall_position: self.recall_position,
            seal_offset: self.seal_offset,
            sealed_context_digest,
            sealed_data: self.sealed_data,
            merkle_proof,
        }
    }
}
