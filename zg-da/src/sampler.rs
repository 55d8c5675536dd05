//! The light client's [`Sampler`] (issue 12, item 6): for a certified payload, draw `s` cells per
//! blob from a seed, fetch them from their holders, verify every proof, and answer
//! [`Event::Available`] or [`Event::Unavailable`].
//!
//! # The bound
//!
//! A blob can be rebuilt iff at least 64 of its 128 cells are obtainable, so "unavailable"
//! means at most 63 of some blob's cells can be had. The sampler draws `s` **distinct** cells
//! of each blob uniformly (without replacement) from its seed. If a blob has at most 63
//! obtainable cells, and which cells are obtainable does not depend on the seed, all `s`
//! samples of that blob are served with probability at most
//!
//! ```text
//! β(s) = C(63, s) / C(128, s) = ∏_{i<s} (63 − i) / (128 − i)  <  (63/128)^s  <  2^−s
//! ```
//!
//! ([`false_available_bound`]); `β(s) = 0` for `s ≥ 64`. The sampler reports
//! `Available { confidence: 1 − β(s) }`; the chance that an unavailable payload is reported
//! available is at most `β(s)` however many blobs it has (one unrecoverable blob suffices to
//! make it unavailable, and that blob's samples alone already miss with probability
//! `≥ 1 − β(s)`). `tests/sampling.rs` measures this over 10,000 seeded runs.
//!
//! Out of scope: a holder that answers *this* sampler but not others (selective disclosure)
//! defeats one sampler's guarantee; the bound is per sampler, for an availability set fixed
//! before the seed is drawn. Many samplers with independent seeds together cover the blob.
//!
//! # Driving contract
//!
//! * Construct with [`Sampler::new`]`(kzg, now, config)`; it queues the first requests (one
//!   [`Message::Get`] per holder) and a [`Timer::Deadline`]. Drain [`Machine::poll_output`].
//! * Feed every holder's [`Message::Cells`] / [`Message::Missing`] as [`Input::Message`] with the
//!   transport's authenticated `from`, and every [`Timer`] when it fires. Other inputs are
//!   rejected with a [`RetrievalError`] and change nothing.
//! * Outputs: `Send` (requests), `ScheduleTimeout`, `Event`. Nothing is persisted (a restarted
//!   sampler starts over with a new seed or the same one).
//! * Done after exactly one [`Event::Available`] or [`Event::Unavailable`]
//!   ([`Sampler::verdict`]); later inputs return [`RetrievalError::Finished`].
//!
//! ```
//! use std::sync::Arc;
//! use zg_core::machine::{Input, Machine, Output, Recipient};
//! use zg_core::{NodeId, Timestamp};
//! use zg_da::{CellStore, Sampler, SamplerConfig, encode_payload};
//! use zg_da::sampler::{Event, Verdict};
//! use zg_kzg::KzgSettings;
//!
//! let kzg = Arc::new(KzgSettings::mainnet()?);
//! let payload = encode_payload(&kzg, b"hello, data availability")?;
//! // One holder, NodeId(1), holds every column.
//! let mut store = CellStore::new();
//! store.insert_columns(&payload, 0..128);
//! let config = SamplerConfig {
//!     header: payload.header().clone(),
//!     seed: [7; 32],
//!     samples_per_blob: 16,
//!     holders: vec![vec![NodeId(1)]; 128],
//!     request_timeout_ms: 1_000,
//!     deadline: Timestamp::from_secs(10),
//! };
//! let mut sampler = Sampler::new(kzg, Timestamp::ZERO, config)?;
//! let now = Timestamp(5);
//! while let Some(output) = sampler.poll_output() {
//!     match output {
//!         // The host carries requests to the holder and feeds its answers back.
//!         Output::Send { to: Recipient::One(peer), message: zg_da::retrieval::Message::Get { payload, cells } } => {
//!             for answer in store.answer(payload, &cells).unwrap_or_default() {
//!                 sampler.handle(now, Input::Message { from: peer, message: answer })?;
//!             }
//!         }
//!         Output::Event(Event::Available { confidence }) => assert!(confidence > 0.9999),
//!         _ => {}
//!     }
//! }
//! assert!(matches!(sampler.verdict(), Some(Verdict::Available { .. })));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::Arc;

use zg_core::machine::{Input, Machine, Outbox, Output, Protocol};
use zg_core::{NodeId, Timestamp, keccak256_parts};
use zg_kzg::KzgSettings;

use crate::payload::{CELLS_TO_RECOVER, COLUMNS, Header};
use crate::retrieval::{CellRef, Fetcher, Message, RetrievalError, Timer};

/// The sampling protocol spoken by [`Sampler`] (holders answer it with
/// [`Holder`](crate::retrieval::Holder) or a DA signer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sampling;

impl Protocol for Sampling {
    type Message = Message;
    type Timer = Timer;
    type Command = core::convert::Infallible;
    type Request = core::convert::Infallible;
    type Record = core::convert::Infallible;
    type Event = Event;
    type Error = RetrievalError;
}

/// The final answer.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Every sample verified. `confidence = 1 − β(s)` (see the [module docs](self)).
    Available {
        /// Lower bound on the probability that the payload is recoverable.
        confidence: f64,
    },
    /// These samples could not be obtained (every holder failed, or the deadline passed).
    Unavailable {
        /// The samples not verified.
        missing: Vec<CellRef>,
    },
}

/// What the sampler reports.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A sample arrived from `from` and verified.
    Verified {
        /// The cell.
        cell: CellRef,
        /// Its sender.
        from: NodeId,
    },
    /// `from` served a cell that does not verify: it is reported, never asked again, and the
    /// cell is asked of the next holder.
    BadHolder {
        /// The holder.
        from: NodeId,
        /// The cell it served.
        cell: CellRef,
    },
    /// Every sample verified.
    Available {
        /// `1 − β(s)`.
        confidence: f64,
    },
    /// Some samples could not be obtained.
    Unavailable {
        /// The samples not verified.
        missing: Vec<CellRef>,
    },
}

/// A sampler's configuration.
#[derive(Clone, Debug)]
pub struct SamplerConfig {
    /// The payload's header, trusted (its certificate was checked).
    pub header: Header,
    /// The sampling seed (fresh, private randomness of the light client).
    pub seed: [u8; 32],
    /// Samples per blob, `1..=128`.
    pub samples_per_blob: usize,
    /// Holders of each column (128 lists), asked in order; see
    /// [`holders_by_column`](crate::retrieval::holders_by_column).
    pub holders: Vec<Vec<NodeId>>,
    /// How long a holder has to answer before the next one is asked.
    pub request_timeout_ms: u64,
    /// When to give up on samples not yet verified.
    pub deadline: Timestamp,
}

/// `β(s) = C(63, s) / C(128, s)`: the largest probability that `s` distinct uniform samples
/// of a blob with at most 63 obtainable cells are all obtainable.
pub fn false_available_bound(samples_per_blob: usize) -> f64 {
    let unavailable_max = CELLS_TO_RECOVER - 1;
    if samples_per_blob > unavailable_max {
        return 0.0;
    }
    (0..samples_per_blob)
        .map(|i| (unavailable_max - i) as f64 / (COLUMNS - i) as f64)
        .product()
}

/// The `s` distinct cells of blob `blob` that seed `seed` selects: a Fisher–Yates shuffle of
/// `0..128` driven by `keccak256("zg-da/sample/v1" || seed || u32_be(blob) || u32_be(k))` (the
/// first 8 bytes big-endian, reduced modulo `128 − k`, which is exact for powers of two and
/// biased by less than `2^−56` otherwise), truncated to `s`.
pub fn sample_indices(seed: &[u8; 32], blob: u32, samples_per_blob: usize) -> Vec<u16> {
    let mut idx: Vec<u16> = (0..=u16::MAX).take(COLUMNS).collect();
    let s = samples_per_blob.min(COLUMNS);
    for k in 0..s {
        let counter = u32::try_from(k).unwrap_or(u32::MAX);
        let h = keccak256_parts(&[
            b"zg-da/sample/v1",
            seed,
            &blob.to_be_bytes(),
            &counter.to_be_bytes(),
        ]);
        let mut w = [0u8; 8];
        w.copy_from_slice(&h.as_bytes()[..8]);
        let r = u64::from_be_bytes(w) % (COLUMNS - k) as u64;
        // r < 128 − k.
        idx.swap(k, k + usize::try_from(r).unwrap_or(0));
    }
    idx.truncate(s);
    idx
}

/// Why a sampler could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SamplerError {
    /// `samples_per_blob` is 0 or above 128.
    #[error("samples per blob must be in 1..=128, got {0}")]
    BadSampleCount(usize),
    /// `holders` does not list 128 columns.
    #[error("holders must list 128 columns, got {0}")]
    BadHolders(usize),
}

/// The light-client sampler. See the [module docs](self) for the bound and the driving
/// contract.
///
/// Bounds: state is `s · blobs` sample slots and one entry per open request, fixed at
/// construction; messages from peers that were not asked, about another payload, naming more
/// than [`MAX_CELLS_PER_MESSAGE`](crate::retrieval::MAX_CELLS_PER_MESSAGE) cells, or from a
/// banned holder are rejected before any verification, and a message's verification work is
/// bounded by the cells asked of its sender.
#[derive(Debug)]
pub struct Sampler {
    fetch: Fetcher,
    samples_per_blob: usize,
    deadline: Timestamp,
    verdict: Option<Verdict>,
    out: Outbox<Sampling>,
}

impl Sampler {
    /// A sampler for `config`; queues its first requests.
    ///
    /// # Errors
    /// [`SamplerError`] for a sample count outside `1..=128` or a holder list that is not 128
    /// columns long.
    pub fn new(
        kzg: Arc<KzgSettings>,
        now: Timestamp,
        config: SamplerConfig,
    ) -> Result<Self, SamplerError> {
        if config.samples_per_blob == 0 || config.samples_per_blob > COLUMNS {
            return Err(SamplerError::BadSampleCount(config.samples_per_blob));
        }
        if config.holders.len() != COLUMNS {
            return Err(SamplerError::BadHolders(config.holders.len()));
        }
        let blobs = config.header.blobs();
        let mut fetch = Fetcher::new(
            kzg,
            config.header,
            Arc::new(config.holders),
            config.request_timeout_ms,
        );
        for blob in 0..blobs {
            // blobs ≤ MAX_BLOBS.
            let blob = u32::try_from(blob).unwrap_or(u32::MAX);
            for index in sample_indices(&config.seed, blob, config.samples_per_blob) {
                fetch.want(CellRef { blob, index });
            }
        }
        let mut s = Sampler {
            fetch,
            samples_per_blob: config.samples_per_blob,
            deadline: config.deadline,
            verdict: None,
            out: Outbox::new(),
        };
        s.out.schedule(config.deadline, Timer::Deadline);
        s.dispatch(now);
        Ok(s)
    }

    /// The verdict, once reached.
    pub fn verdict(&self) -> Option<&Verdict> {
        self.verdict.as_ref()
    }

    /// Holders reported for bad cells.
    pub fn bad_holders(&self) -> impl Iterator<Item = &NodeId> {
        self.fetch.banned().iter()
    }

    /// The samples drawn.
    pub fn samples(&self) -> usize {
        self.samples_per_blob * self.fetch.header().blobs()
    }

    /// Requests awaiting an answer (bounded by the samples).
    pub fn open_requests(&self) -> usize {
        self.fetch.open_requests()
    }

    fn dispatch(&mut self, now: Timestamp) {
        self.fetch.dispatch(now, &mut self.out);
        self.conclude(now);
    }

    /// Decides once every sample is verified or lost (or at the deadline).
    fn conclude(&mut self, now: Timestamp) {
        if self.verdict.is_some() {
            return;
        }
        let missing = self.fetch.unverified();
        let verdict = if missing.is_empty() {
            Verdict::Available {
                confidence: 1.0 - false_available_bound(self.samples_per_blob),
            }
        } else if self.fetch.settled() || now >= self.deadline {
            Verdict::Unavailable { missing }
        } else {
            return;
        };
        self.out.event(match &verdict {
            Verdict::Available { confidence } => Event::Available {
                confidence: *confidence,
            },
            Verdict::Unavailable { missing } => Event::Unavailable {
                missing: missing.clone(),
            },
        });
        self.verdict = Some(verdict);
    }

    fn on_message(
        &mut self,
        now: Timestamp,
        from: NodeId,
        message: Message,
    ) -> Result<(), RetrievalError> {
        self.fetch.check(from, &message)?;
        match message {
            Message::Cells { cells, .. } => {
                let outcome = self.fetch.on_cells(from, &cells)?;
                for c in &outcome.verified {
                    self.out.event(Event::Verified {
                        cell: CellRef::from(c),
                        from,
                    });
                }
                for cell in outcome.bad {
                    self.out.event(Event::BadHolder { from, cell });
                }
            }
            Message::Missing { cells, .. } => self.fetch.on_missing(from, &cells)?,
            Message::Get { .. } => return Err(RetrievalError::Unsolicited { from }),
        }
        self.dispatch(now);
        Ok(())
    }
}

impl Machine<Sampling> for Sampler {
    fn handle(&mut self, now: Timestamp, input: Input<Sampling>) -> Result<(), RetrievalError> {
        if self.verdict.is_some() {
            return Err(RetrievalError::Finished);
        }
        match input {
            Input::Message { from, message } => self.on_message(now, from, message),
            Input::Timeout(Timer::Request { peer, id }) => {
                if self.fetch.on_timeout(peer, id).is_some() {
                    self.dispatch(now);
                }
                Ok(())
            }
            Input::Timeout(Timer::Deadline) => {
                self.conclude(now.max(self.deadline));
                Ok(())
            }
            Input::Command(never) => match never {},
        }
    }

    fn poll_output(&mut self) -> Option<Output<Sampling>> {
        self.out.pop()
    }
}
