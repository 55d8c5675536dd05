//! The [`Reconstructor`] (issue 12, item 7): fetch at least 64 valid cells of every blob from
//! any holders, recover the blobs (`recover_cells_and_kzg_proofs`), check them against the
//! commitments and the header's 0G file root, and return the payload bytes.
//!
//! Corrupt cells are excluded by their proofs (each message is verified in one batch, bisected
//! on failure) and the holder that sent one is reported ([`Event::BadHolder`]) and never asked
//! again. It asks for cells `0..64` of each blob first (when all of them verify the blob is
//! read off directly, with no recovery), and for each cell that no holder has, or whose request
//! times out, it asks for the next unrequested cell of that blob (silent holders are asked again
//! later, until the deadline). Bytes come out only after the recovered
//! blobs match the header's commitments, the framing decodes strictly and the file root
//! matches: a reconstructor never reports wrong bytes.
//!
//! # Driving contract
//!
//! * Construct with [`Reconstructor::new`]`(kzg, now, config)`; it queues requests and a
//!   [`Timer::Deadline`]. Drain [`Machine::poll_output`] after construction and after every
//!   `handle`.
//! * Feed holders' [`Message::Cells`] / [`Message::Missing`] as [`Input::Message`] with the
//!   transport's authenticated `from`, and every [`Timer`] when it fires.
//! * Outputs: `Send`, `ScheduleTimeout`, `Event`. Nothing is persisted; a restarted
//!   reconstructor starts over.
//! * Done after one [`Event::Reconstructed`] or [`Event::Failed`]; later inputs return
//!   [`RetrievalError::Finished`].
//!
//! ```
//! use std::sync::Arc;
//! use zg_core::machine::{Input, Machine, Output, Recipient};
//! use zg_core::{NodeId, Timestamp};
//! use zg_da::{CellStore, Reconstructor, ReconstructorConfig, encode_payload};
//! use zg_da::reconstructor::Event;
//! use zg_da::retrieval::Message;
//! use zg_kzg::KzgSettings;
//!
//! let kzg = Arc::new(KzgSettings::mainnet()?);
//! let bytes = b"a payload to get back".to_vec();
//! let payload = encode_payload(&kzg, &bytes)?;
//! // Holder 1 has the upper half of the columns only: recovery from 64 cells.
//! let mut store = CellStore::new();
//! store.insert_columns(&payload, 64..128);
//! let mut rec = Reconstructor::new(kzg, Timestamp::ZERO, ReconstructorConfig {
//!     header: payload.header().clone(),
//!     holders: vec![vec![NodeId(1)]; 128],
//!     request_timeout_ms: 1_000,
//!     deadline: Timestamp::from_secs(30),
//! })?;
//! let mut got = None;
//! while let Some(output) = rec.poll_output() {
//!     match output {
//!         Output::Send { to: Recipient::One(peer), message: Message::Get { payload, cells } } => {
//!             for answer in store.answer(payload, &cells).unwrap_or_default() {
//!                 rec.handle(Timestamp(1), Input::Message { from: peer, message: answer })?;
//!             }
//!         }
//!         Output::Event(Event::Reconstructed { payload }) => got = Some(payload),
//!         _ => {}
//!     }
//! }
//! assert_eq!(got.unwrap().as_slice(), &bytes[..]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;

use zg_core::machine::{Input, Machine, Outbox, Output, Protocol};
use zg_core::{NodeId, Timestamp};
use zg_kzg::{Cell, KzgSettings};

use crate::Error;
use crate::payload::{CELLS_TO_RECOVER, COLUMNS, Header, recover_blob, unframe_checked};
use crate::retrieval::{CellRef, Fetcher, Message, RetrievalError, Timer};

/// The reconstruction protocol spoken by [`Reconstructor`] (holders answer it with
/// [`Holder`](crate::retrieval::Holder) or a DA signer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Reconstruction;

impl Protocol for Reconstruction {
    type Message = Message;
    type Timer = Timer;
    type Command = core::convert::Infallible;
    type Request = core::convert::Infallible;
    type Record = core::convert::Infallible;
    type Event = Event;
    type Error = RetrievalError;
}

/// Payload bytes, shared (cheap to clone, short `Debug`).
#[derive(Clone, PartialEq, Eq)]
pub struct PayloadBytes(pub Arc<[u8]>);

impl PayloadBytes {
    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }
}

impl core::fmt::Debug for PayloadBytes {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "PayloadBytes({} bytes)", self.0.len())
    }
}

/// Why a reconstruction gave up. No bytes are returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReconstructionFailure {
    /// A blob has fewer than 64 valid cells obtainable (every holder failed, or the deadline
    /// passed).
    NotEnoughCells {
        /// The blob.
        blob: usize,
        /// Valid cells obtained.
        have: usize,
        /// Cells needed.
        need: usize,
    },
    /// The cells verify but the data they hold is not the header's payload (the header's
    /// commitments are over unframed data, or the file root is wrong).
    Inconsistent(Error),
}

/// What the reconstructor reports.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// `from` served a cell that does not verify; it is not asked again.
    BadHolder {
        /// The holder.
        from: NodeId,
        /// The cell.
        cell: CellRef,
    },
    /// The payload, checked against the header.
    Reconstructed {
        /// Its bytes.
        payload: PayloadBytes,
    },
    /// Gave up.
    Failed(ReconstructionFailure),
}

/// A reconstructor's configuration.
#[derive(Clone, Debug)]
pub struct ReconstructorConfig {
    /// The payload's header, trusted (its certificate was checked).
    pub header: Header,
    /// Holders of each column (128 lists), asked in order.
    pub holders: Vec<Vec<NodeId>>,
    /// How long a holder has to answer before the next one is asked.
    pub request_timeout_ms: u64,
    /// When to give up.
    pub deadline: Timestamp,
}

/// Why a reconstructor could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReconstructorError {
    /// `holders` does not list 128 columns.
    #[error("holders must list 128 columns, got {0}")]
    BadHolders(usize),
}

#[derive(Debug, Default)]
struct BlobProgress {
    /// Verified cells.
    cells: BTreeMap<u16, Cell>,
    /// Cells asked for so far (the lowest indices first).
    wanted: u16,
    /// Of those, cells no holder could give.
    lost: u16,
    /// Timeouts seen: one more cell is asked for per timeout (up to all 128).
    slack: u16,
}

/// The reconstructor. See the [module docs](self).
///
/// Bounds: at most 128 cells per blob of the header are ever wanted or stored, plus one entry
/// per open request; unsolicited, oversized, foreign-payload and banned-sender messages are
/// rejected before any verification.
#[derive(Debug)]
pub struct Reconstructor {
    fetch: Fetcher,
    blobs: Vec<BlobProgress>,
    deadline: Timestamp,
    done: bool,
    out: Outbox<Reconstruction>,
}

impl Reconstructor {
    /// A reconstructor for `config`; queues its first requests.
    ///
    /// # Errors
    /// [`ReconstructorError::BadHolders`] if `holders` is not 128 columns long.
    pub fn new(
        kzg: Arc<KzgSettings>,
        now: Timestamp,
        config: ReconstructorConfig,
    ) -> Result<Self, ReconstructorError> {
        if config.holders.len() != COLUMNS {
            return Err(ReconstructorError::BadHolders(config.holders.len()));
        }
        let blobs = (0..config.header.blobs())
            .map(|_| BlobProgress::default())
            .collect();
        let mut r = Reconstructor {
            fetch: Fetcher::new(
                kzg,
                config.header,
                Arc::new(config.holders),
                config.request_timeout_ms,
            ),
            blobs,
            deadline: config.deadline,
            done: false,
            out: Outbox::new(),
        };
        r.out.schedule(config.deadline, Timer::Deadline);
        r.step(now);
        Ok(r)
    }

    /// Whether it has finished.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Holders reported for bad cells.
    pub fn bad_holders(&self) -> impl Iterator<Item = &NodeId> {
        self.fetch.banned().iter()
    }

    /// Valid cells held, over all blobs (at most 128 per blob).
    pub fn cells_held(&self) -> usize {
        self.blobs.iter().map(|b| b.cells.len()).sum()
    }

    /// Tops up each blob's wanted cells so that verified + pending ≥ 64, sends, and repeats
    /// while sending finds cells with no holder; then finishes if it can.
    fn step(&mut self, now: Timestamp) {
        loop {
            for (b, p) in self.blobs.iter_mut().enumerate() {
                let blob = u32::try_from(b).unwrap_or(u32::MAX);
                while usize::from(p.wanted.saturating_sub(p.lost).saturating_sub(p.slack))
                    < CELLS_TO_RECOVER
                    && usize::from(p.wanted) < COLUMNS
                {
                    self.fetch.want(CellRef {
                        blob,
                        index: p.wanted,
                    });
                    p.wanted += 1;
                }
            }
            let lost = self.fetch.dispatch(now, &mut self.out);
            if lost.is_empty() {
                break;
            }
            for cell in lost {
                if let Some(p) = self.blobs.get_mut(cell.blob as usize) {
                    p.lost += 1;
                }
            }
        }
        self.finish(now);
    }

    fn finish(&mut self, now: Timestamp) {
        if self.done {
            return;
        }
        if self.blobs.iter().all(|p| p.cells.len() >= CELLS_TO_RECOVER) {
            self.done = true;
            let event = match self.recover() {
                Ok(bytes) => Event::Reconstructed {
                    payload: PayloadBytes(bytes.into()),
                },
                Err(e) => Event::Failed(ReconstructionFailure::Inconsistent(e)),
            };
            self.out.event(event);
            return;
        }
        let short = self.blobs.iter().enumerate().find(|(_, p)| {
            let hopeless = usize::from(p.wanted) == COLUMNS
                && usize::from(p.wanted - p.lost) < CELLS_TO_RECOVER;
            p.cells.len() < CELLS_TO_RECOVER && (hopeless || now >= self.deadline)
        });
        if let Some((blob, p)) = short {
            self.done = true;
            self.out
                .event(Event::Failed(ReconstructionFailure::NotEnoughCells {
                    blob,
                    have: p.cells.len(),
                    need: CELLS_TO_RECOVER,
                }));
        }
    }

    fn recover(&self) -> Result<Vec<u8>, Error> {
        let header = self.fetch.header();
        let blobs = self
            .blobs
            .iter()
            .enumerate()
            .map(|(i, p)| recover_blob(self.fetch.kzg(), header, i, &p.cells))
            .collect::<Result<Vec<_>, _>>()?;
        unframe_checked(header, &blobs)
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
                for c in outcome.verified {
                    if let Some(p) = self.blobs.get_mut(c.blob as usize) {
                        p.cells.insert(c.index, *c.cell);
                    }
                }
                for cell in outcome.bad {
                    self.out.event(Event::BadHolder { from, cell });
                }
            }
            Message::Missing { cells, .. } => self.fetch.on_missing(from, &cells)?,
            Message::Get { .. } => return Err(RetrievalError::Unsolicited { from }),
        }
        self.step(now);
        Ok(())
    }
}

impl Machine<Reconstruction> for Reconstructor {
    fn handle(
        &mut self,
        now: Timestamp,
        input: Input<Reconstruction>,
    ) -> Result<(), RetrievalError> {
        if self.done {
            return Err(RetrievalError::Finished);
        }
        match input {
            Input::Message { from, message } => self.on_message(now, from, message),
            Input::Timeout(Timer::Request { peer, id }) => {
                if let Some(cells) = self.fetch.on_timeout(peer, id) {
                    // A slow cell may never come: ask for one more cell of its blob for each,
                    // so any 64 that arrive first suffice.
                    for c in cells {
                        if let Some(p) = self.blobs.get_mut(c.blob as usize) {
                            p.slack = p.slack.saturating_add(1);
                        }
                    }
                    self.step(now);
                }
                Ok(())
            }
            Input::Timeout(Timer::Deadline) => {
                self.finish(now.max(self.deadline));
                Ok(())
            }
            Input::Command(never) => match never {},
        }
    }

    fn poll_output(&mut self) -> Option<Output<Reconstruction>> {
        self.out.pop()
    }
}
