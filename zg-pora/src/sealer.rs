//! The sealer: a sans-IO state machine that seals newly arrived flow data for one miner.
//!
//! A seal can be sealed once the context of the epoch holding its **last** sector is known
//! (0G-FORMATS §4; the 0G node's `Sealer`). The host feeds the epoch contexts it learns from the
//! flow contract ([`SealerCommand::Context`]: digest and sector range) and the unsealed data of
//! each seal as it arrives ([`SealerCommand::Data`]); the sealer seals ready seals in ascending
//! index order, at most `batch` per step, continuing on a timer so no input does unbounded work,
//! and reports each sealed seal ([`SealerEvent::Sealed`]) and its progress
//! ([`SealerEvent::Progress`]).

use std::collections::BTreeMap;
use std::convert::Infallible;

use zg_core::machine::{Input, Machine, Outbox, Output, Protocol};
use zg_core::tree::{SEAL_SIZE, SECTORS_PER_SEAL};
use zg_core::{H256, Timestamp};

use crate::answer::EpochRange;
use crate::seal::seal;

/// The sealer's protocol.
#[derive(Debug, Clone, Copy)]
pub struct SealerProtocol;

impl Protocol for SealerProtocol {
    type Message = Infallible;
    type Timer = SealerTimer;
    type Command = SealerCommand;
    type Request = Infallible;
    type Record = ();
    type Event = SealerEvent;
    type Error = SealerError;
}

/// The sealer's timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SealerTimer {
    /// Seal the next batch.
    Continue,
}

/// The host's inputs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SealerCommand {
    /// An epoch context: seals whose last sector lies in `range` are sealed under `digest`.
    Context {
        /// The context digest.
        digest: H256,
        /// Its sectors (`Flow.getEpochRange`).
        range: EpochRange,
    },
    /// The unsealed data of seal `seal_index` arrived.
    Data {
        /// The seal's index in the flow.
        seal_index: u64,
        /// Its 4 KiB.
        data: Box<[u8; SEAL_SIZE]>,
    },
}

/// A sealed seal, for the host to store.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SealedSeal {
    /// The seal's index in the flow.
    pub seal_index: u64,
    /// The context it was sealed under.
    pub context_digest: H256,
    /// The first seal after that context's range (the node's `context_end_seal`).
    pub context_end_seal: u64,
    /// The sealed bytes.
    pub sealed: Box<[u8; SEAL_SIZE]>,
}

impl core::fmt::Debug for SealedSeal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SealedSeal")
            .field("seal_index", &self.seal_index)
            .field("context_digest", &self.context_digest)
            .finish_non_exhaustive()
    }
}

/// What the sealer reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SealerEvent {
    /// A seal was sealed.
    Sealed(SealedSeal),
    /// After each step that sealed something: how far sealing got.
    Progress {
        /// Seals sealed so far.
        sealed: u64,
        /// Seals holding data but no known context yet.
        waiting: usize,
        /// The lowest seal index waiting, if any.
        next_waiting: Option<u64>,
    },
}

/// Why the sealer rejected an input (the machine is unchanged).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SealerError {
    /// A context with the empty digest or an empty range: nothing can be sealed under it.
    #[error("context is empty")]
    EmptyContext,
    /// A context whose range overlaps a known one with another digest.
    #[error("context range overlaps a known context")]
    Overlap,
    /// A seal index whose sectors overflow 64 bits.
    #[error("seal index {0} out of range")]
    SealIndex(u64),
}

/// The sealer machine. See the [module docs](self).
///
/// # Driving contract
///
/// * Inputs, in any order: [`SealerCommand::Context`] for each epoch context the flow contract
///   reports, [`SealerCommand::Data`] for each seal's unsealed 4 KiB as it arrives, and
///   [`SealerTimer::Continue`] whenever the sealer scheduled one. A rejected input
///   ([`SealerError`]) changes nothing and outputs nothing.
/// * Outputs, drained in order after every input: for each step that sealed something, the
///   [`SealerEvent::Sealed`] seals (at most `batch`, ascending index) then one
///   [`SealerEvent::Progress`]; and, when more seals are ready, `ScheduleTimeout` of
///   [`SealerTimer::Continue`] at `now` — the host feeds it back after its other pending inputs,
///   so no single input does more than one batch of work. No messages, requests or records.
/// * Persistence: the host stores each [`SealedSeal`] it is given (that is the only durable
///   state). After a restart it builds a new sealer and feeds the contexts again, and the data
///   of every seal it has not stored sealed.
/// * Done: when [`Sealer::waiting`] is zero, or every waiting seal's last sector lies outside
///   every known context (it will seal once that epoch's context arrives).
///
/// ```
/// use zg_core::machine::{Input, Machine, Output};
/// use zg_core::{H256, Timestamp};
/// use zg_pora::{EpochRange, Sealer, SealerCommand, SealerEvent, unseal};
///
/// let (miner, digest, now) = (H256([0x6d; 32]), H256([1; 32]), Timestamp(0));
/// let mut sealer = Sealer::new(miner, 2); // two seals per step
/// // Data first: four seals wait, since no context is known yet.
/// for i in 0..4u64 {
///     let data = Box::new([i as u8; 4096]);
///     sealer.handle(now, Input::Command(SealerCommand::Data { seal_index: i, data }))?;
/// }
/// assert!(sealer.drain_outputs().is_empty());
/// // The epoch over sectors [0, 64) holds the last sector of seals 0..4.
/// let range = EpochRange { start: 0, end: 64 };
/// sealer.handle(now, Input::Command(SealerCommand::Context { digest, range }))?;
///
/// let mut stored = Vec::new(); // the host's store of sealed seals
/// let mut continuations = Vec::new();
/// loop {
///     for output in sealer.drain_outputs() {
///         match output {
///             Output::Event(SealerEvent::Sealed(s)) => stored.push(s),
///             Output::Event(SealerEvent::Progress { .. }) => {}
///             Output::ScheduleTimeout { timer, .. } => continuations.push(timer),
///             other => unreachable!("{other:?}"),
///         }
///     }
///     let Some(timer) = continuations.pop() else { break };
///     sealer.handle(now, Input::Timeout(timer))?;
/// }
/// assert_eq!(sealer.waiting(), 0);
/// assert_eq!(stored.iter().map(|s| s.seal_index).collect::<Vec<_>>(), [0, 1, 2, 3]);
/// // What was stored unseals back to the data.
/// let mut back = stored[3].sealed.clone();
/// unseal(&mut back, &miner, &digest, 3 * 16);
/// assert_eq!(*back, [3u8; 4096]);
/// # Ok::<(), zg_pora::SealerError>(())
/// ```
pub struct Sealer {
    miner_id: H256,
    batch: usize,
    /// Known contexts by first sector: (end, digest).
    contexts: BTreeMap<u64, (u64, H256)>,
    /// Unsealed data by seal index.
    pending: BTreeMap<u64, Box<[u8; SEAL_SIZE]>>,
    sealed: u64,
    continuing: bool,
    out: Outbox<SealerProtocol>,
}

impl core::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Sealer")
            .field("miner_id", &self.miner_id)
            .field("contexts", &self.contexts.len())
            .field("pending", &self.pending.len())
            .field("sealed", &self.sealed)
            .finish()
    }
}

impl Sealer {
    /// A sealer for `miner_id` sealing at most `batch` seals (at least one) per step.
    pub fn new(miner_id: H256, batch: usize) -> Self {
        Sealer {
            miner_id,
            batch: batch.max(1),
            contexts: BTreeMap::new(),
            pending: BTreeMap::new(),
            sealed: 0,
            continuing: false,
            out: Outbox::new(),
        }
    }

    /// Seals sealed so far.
    pub fn sealed(&self) -> u64 {
        self.sealed
    }

    /// Seals holding data and waiting.
    pub fn waiting(&self) -> usize {
        self.pending.len()
    }

    fn add_context(&mut self, digest: H256, range: EpochRange) -> Result<(), SealerError> {
        if digest == zg_core::hash::empty_hash() || range.start >= range.end {
            return Err(SealerError::EmptyContext);
        }
        let overlaps = self
            .contexts
            .range(..range.end)
            .next_back()
            .is_some_and(|(&s, &(e, d))| {
                e > range.start && (s, e, d) != (range.start, range.end, digest)
            });
        if overlaps {
            return Err(SealerError::Overlap);
        }
        self.contexts.insert(range.start, (range.end, digest));
        Ok(())
    }

    /// Seals up to `batch` ready seals in ascending order; schedules a continuation if more are
    /// ready. A seal is ready when a known context holds its last sector.
    fn step(&mut self, now: Timestamp) {
        let mut ready = Vec::new();
        let mut more = false;
        'contexts: for (&start, &(end, digest)) in &self.contexts {
            // Seals whose last sector `16i + 15` lies in `[start, end)`.
            let lo = start
                .saturating_sub(SECTORS_PER_SEAL - 1)
                .div_ceil(SECTORS_PER_SEAL);
            let Some(hi) = end
                .checked_sub(SECTORS_PER_SEAL)
                .map(|x| x / SECTORS_PER_SEAL)
            else {
                continue;
            };
            if lo > hi {
                // A context narrower than a seal that holds no seal's last sector.
                continue;
            }
            for (&index, _) in self.pending.range(lo..=hi) {
                if ready.len() == self.batch {
                    more = true;
                    break 'contexts;
                }
                ready.push((index, digest, end));
            }
        }
        if ready.is_empty() {
            return;
        }
        for (index, digest, end) in ready {
            let Some(mut data) = self.pending.remove(&index) else {
                continue;
            };
            // Indices were checked on arrival: the start sector fits.
            seal(&mut data, &self.miner_id, &digest, index * SECTORS_PER_SEAL);
            self.sealed += 1;
            self.out.event(SealerEvent::Sealed(SealedSeal {
                seal_index: index,
                context_digest: digest,
                context_end_seal: end / SECTORS_PER_SEAL,
                sealed: data,
            }));
        }
        self.out.event(SealerEvent::Progress {
            sealed: self.sealed,
            waiting: self.pending.len(),
            next_waiting: self.pending.keys().next().copied(),
        });
        if more && !self.continuing {
            self.continuing = true;
            self.out.schedule(now, SealerTimer::Continue);
        }
    }
}

impl Machine<SealerProtocol> for Sealer {
    fn handle(&mut self, now: Timestamp, input: Input<SealerProtocol>) -> Result<(), SealerError> {
        match input {
            Input::Timeout(SealerTimer::Continue) => {
                self.continuing = false;
            }
            Input::Command(SealerCommand::Context { digest, range }) => {
                self.add_context(digest, range)?;
            }
            Input::Command(SealerCommand::Data { seal_index, data }) => {
                if seal_index.checked_mul(SECTORS_PER_SEAL).is_none() {
                    return Err(SealerError::SealIndex(seal_index));
                }
                self.pending.insert(seal_index, data);
            }
        }
        if !self.continuing {
            self.step(now);
        }
        Ok(())
    }

    fn poll_output(&mut self) -> Option<Output<SealerProtocol>> {
        self.out.pop()
    }
}
