//! Cell retrieval: the messages samplers and reconstructors exchange with holders, a plain
//! [`CellStore`] that serves what it holds, and the request bookkeeping the [`Sampler`] and
//! [`Reconstructor`] share.
//!
//! A client sends [`Message::Get`] naming cells of a payload; a holder answers
//! [`Message::Cells`] with the cells it has (each with its proof) and [`Message::Missing`] for
//! the rest. Nothing a holder sends is trusted: a client verifies cells against the commitments
//! of a header it already trusts (a certified one), in one batch per message.
//!
//! [`Sampler`]: crate::Sampler
//! [`Reconstructor`]: crate::Reconstructor

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use zg_core::machine::{Input, Machine, Outbox, Output, Protocol};
use zg_core::{H256, NodeId, Timestamp};
use zg_kzg::KzgSettings;

use crate::payload::{COLUMNS, CellWithProof, EncodedPayload, Header, valid_cells};

/// The most cells one [`Message::Get`], [`Message::Cells`] or [`Message::Missing`] may name:
/// one column of the largest payload. Longer messages are rejected before anything is read.
pub const MAX_CELLS_PER_MESSAGE: usize = crate::payload::MAX_BLOBS;

/// A cell of a payload: blob index and cell (column) index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CellRef {
    /// Blob index.
    pub blob: u32,
    /// Cell index, `< 128`.
    pub index: u16,
}

impl From<&CellWithProof> for CellRef {
    fn from(c: &CellWithProof) -> Self {
        CellRef {
            blob: c.blob,
            index: c.index,
        }
    }
}

/// A message between a cell client (sampler, reconstructor) and a holder.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Message {
    /// Please send these cells of payload `payload`.
    Get {
        /// Payload id.
        payload: H256,
        /// Cells wanted (at most [`MAX_CELLS_PER_MESSAGE`]).
        cells: Vec<CellRef>,
    },
    /// Cells of payload `payload` with their proofs (untrusted until verified).
    Cells {
        /// Payload id.
        payload: H256,
        /// The cells (at most [`MAX_CELLS_PER_MESSAGE`]).
        cells: Vec<CellWithProof>,
    },
    /// The sender does not hold these cells.
    Missing {
        /// Payload id.
        payload: H256,
        /// Cells not held (at most [`MAX_CELLS_PER_MESSAGE`]).
        cells: Vec<CellRef>,
    },
}

impl Message {
    /// The payload the message is about.
    pub fn payload(&self) -> H256 {
        match self {
            Message::Get { payload, .. }
            | Message::Cells { payload, .. }
            | Message::Missing { payload, .. } => *payload,
        }
    }

    /// How many cells it names.
    pub fn len(&self) -> usize {
        match self {
            Message::Get { cells, .. } | Message::Missing { cells, .. } => cells.len(),
            Message::Cells { cells, .. } => cells.len(),
        }
    }

    /// Whether it names no cell.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Timers of the retrieval clients.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    /// Request `id` to `peer` is due (stale once the request was answered).
    Request {
        /// The peer asked.
        peer: NodeId,
        /// Request id.
        id: u64,
    },
    /// The client's deadline.
    Deadline,
}

/// Why a retrieval client rejected an input (its state is unchanged).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RetrievalError {
    /// The message is about another payload.
    #[error("message about another payload {payload}")]
    WrongPayload {
        /// The payload it named.
        payload: H256,
    },
    /// The message names more than [`MAX_CELLS_PER_MESSAGE`] cells.
    #[error("message names {len} cells, at most {max} allowed")]
    TooLarge {
        /// Cells named.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// Nothing was asked of this peer that this message answers.
    #[error("unsolicited message from {from}")]
    Unsolicited {
        /// The sender.
        from: NodeId,
    },
    /// The sender was reported for a bad cell and is no longer listened to.
    #[error("{from} sent a bad cell and is ignored")]
    Banned {
        /// The sender.
        from: NodeId,
    },
    /// The client has finished.
    #[error("already finished")]
    Finished,
}

/// A holder that serves the cells it stores: the serving side of [`Message::Get`]. Samplers
/// and reconstructors reach the same interface on DA signers.
///
/// Bounds: it stores only what its host gives it ([`CellStore::insert`]) and keeps nothing per
/// requesting peer; a `Get` longer than [`MAX_CELLS_PER_MESSAGE`] is refused unanswered.
#[derive(Debug, Default)]
pub struct CellStore {
    cells: HashMap<H256, BTreeMap<CellRef, CellWithProof>>,
}

impl CellStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores cells of a payload (the caller verified them, or made them).
    pub fn insert(&mut self, payload: H256, cells: impl IntoIterator<Item = CellWithProof>) {
        let m = self.cells.entry(payload).or_default();
        for c in cells {
            m.insert(CellRef::from(&c), c);
        }
    }

    /// Stores whole columns of an encoded payload.
    pub fn insert_columns(
        &mut self,
        payload: &EncodedPayload,
        columns: impl IntoIterator<Item = usize>,
    ) {
        let id = payload.header().payload_id();
        for j in columns {
            if let Ok(col) = payload.column(j) {
                self.insert(id, col.cells);
            }
        }
    }

    /// Number of cells stored, over all payloads.
    pub fn len(&self) -> usize {
        self.cells.values().map(BTreeMap::len).sum()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The answers to a request: the cells held, then the cells missing (either may be
    /// absent when empty). `None` for a request that is too large.
    pub fn answer(&self, payload: H256, wanted: &[CellRef]) -> Option<Vec<Message>> {
        if wanted.len() > MAX_CELLS_PER_MESSAGE {
            return None;
        }
        let held = self.cells.get(&payload);
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for r in wanted {
            match held.and_then(|m| m.get(r)) {
                Some(c) => found.push(c.clone()),
                None => missing.push(*r),
            }
        }
        let mut out = Vec::new();
        if !found.is_empty() {
            out.push(Message::Cells {
                payload,
                cells: found,
            });
        }
        if !missing.is_empty() {
            out.push(Message::Missing {
                payload,
                cells: missing,
            });
        }
        Some(out)
    }
}

/// A [`CellStore`] as a machine of any protocol that speaks [`Message`] (the sampler's and the
/// reconstructor's), for hosts and simulations.
#[derive(Debug, Default)]
pub struct Holder<P: Protocol<Message = Message>> {
    /// What it serves.
    pub store: CellStore,
    out: Outbox<P>,
}

impl<P: Protocol<Message = Message>> Holder<P> {
    /// A holder serving `store`.
    pub fn new(store: CellStore) -> Self {
        Holder {
            store,
            out: Outbox::new(),
        }
    }
}

impl<P: Protocol<Message = Message>> Machine<P> for Holder<P> {
    fn handle(&mut self, _now: Timestamp, input: Input<P>) -> Result<(), P::Error> {
        if let Input::Message {
            from,
            message: Message::Get { payload, cells },
        } = input
        {
            for m in self.store.answer(payload, &cells).unwrap_or_default() {
                self.out.send(from, m);
            }
        }
        Ok(())
    }

    fn poll_output(&mut self) -> Option<Output<P>> {
        self.out.pop()
    }
}

/// Where one wanted cell stands.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Status {
    /// Not asked yet, or its last holder failed and the next is to be asked.
    Idle,
    /// Asked of `peer` in request `id`.
    InFlight { peer: NodeId, id: u64 },
    /// Verified.
    Verified,
    /// Every holder failed.
    Lost,
}

#[derive(Clone, Debug)]
struct Target {
    cell: CellRef,
    /// Holders not yet tried, in the order they will be asked.
    untried: Vec<NodeId>,
    status: Status,
}

/// What a batch of incoming cells did.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// Newly verified cells.
    pub(crate) verified: Vec<CellWithProof>,
    /// Cells that failed verification (their sender is banned).
    pub(crate) bad: Vec<CellRef>,
}

/// Request bookkeeping shared by the sampler and the reconstructor: which cell is asked of
/// whom, timeouts, bans, verification of answers in one batch per message.
///
/// State is bounded by the targets its owner adds (fixed by the header and configuration) and
/// the configured holders: nothing is created for a peer that was not asked.
#[derive(Debug)]
pub(crate) struct Fetcher {
    kzg: Arc<KzgSettings>,
    header: Header,
    holders: Arc<Vec<Vec<NodeId>>>,
    timeout_ms: u64,
    targets: Vec<Target>,
    by_cell: HashMap<CellRef, usize>,
    /// Open requests: id → (peer, number of targets still in flight).
    open: BTreeMap<u64, (NodeId, usize)>,
    next_id: u64,
    banned: BTreeSet<NodeId>,
}

impl Fetcher {
    pub(crate) fn new(
        kzg: Arc<KzgSettings>,
        header: Header,
        holders: Arc<Vec<Vec<NodeId>>>,
        timeout_ms: u64,
    ) -> Self {
        Fetcher {
            kzg,
            header,
            holders,
            timeout_ms,
            targets: Vec::new(),
            by_cell: HashMap::new(),
            open: BTreeMap::new(),
            next_id: 0,
            banned: BTreeSet::new(),
        }
    }

    pub(crate) fn header(&self) -> &Header {
        &self.header
    }

    pub(crate) fn kzg(&self) -> &KzgSettings {
        &self.kzg
    }

    /// Adds a cell to fetch (no-op if already wanted). Its holders are those of its column.
    pub(crate) fn want(&mut self, cell: CellRef) {
        if self.by_cell.contains_key(&cell) {
            return;
        }
        let untried: Vec<NodeId> = self
            .holders
            .get(usize::from(cell.index))
            .map(|h| h.iter().rev().copied().collect())
            .unwrap_or_default();
        self.by_cell.insert(cell, self.targets.len());
        self.targets.push(Target {
            cell,
            untried,
            status: Status::Idle,
        });
    }

    pub(crate) fn banned(&self) -> &BTreeSet<NodeId> {
        &self.banned
    }

    pub(crate) fn open_requests(&self) -> usize {
        self.open.len()
    }

    /// Asks the next holder of every idle target, one `Get` per holder (split at
    /// [`MAX_CELLS_PER_MESSAGE`]); targets with no holder left become lost.
    pub(crate) fn dispatch<P>(&mut self, now: Timestamp, out: &mut Outbox<P>) -> Vec<CellRef>
    where
        P: Protocol<Message = Message, Timer = Timer>,
    {
        let mut lost = Vec::new();
        let mut batches: BTreeMap<NodeId, Vec<usize>> = BTreeMap::new();
        for (i, t) in self.targets.iter_mut().enumerate() {
            if t.status != Status::Idle {
                continue;
            }
            let next = loop {
                match t.untried.pop() {
                    Some(p) if self.banned.contains(&p) => continue,
                    other => break other,
                }
            };
            match next {
                Some(peer) => batches.entry(peer).or_default().push(i),
                None => {
                    t.status = Status::Lost;
                    lost.push(t.cell);
                }
            }
        }
        let payload = self.header.payload_id();
        for (peer, idx) in batches {
            for chunk in idx.chunks(MAX_CELLS_PER_MESSAGE) {
                let id = self.next_id;
                self.next_id += 1;
                for &i in chunk {
                    self.targets[i].status = Status::InFlight { peer, id };
                }
                self.open.insert(id, (peer, chunk.len()));
                let cells = chunk.iter().map(|&i| self.targets[i].cell).collect();
                out.send(peer, Message::Get { payload, cells });
                out.schedule(
                    now.plus_millis(self.timeout_ms),
                    Timer::Request { peer, id },
                );
            }
        }
        lost
    }

    fn settle(&mut self, i: usize, status: Status) {
        if let Status::InFlight { id, .. } = self.targets[i].status
            && let Some(open) = self.open.get_mut(&id)
        {
            open.1 = open.1.saturating_sub(1);
            if open.1 == 0 {
                self.open.remove(&id);
            }
        }
        self.targets[i].status = status;
    }

    /// The indices of targets in flight with `from` among `cells`, each once.
    fn in_flight_from(
        &self,
        from: NodeId,
        cells: impl Iterator<Item = CellRef>,
    ) -> Vec<(usize, usize)> {
        let mut seen = BTreeSet::new();
        let mut hits = Vec::new();
        for (pos, r) in cells.enumerate() {
            if let Some(&i) = self.by_cell.get(&r)
                && matches!(self.targets[i].status, Status::InFlight { peer, .. } if peer == from)
                && seen.insert(i)
            {
                hits.push((pos, i));
            }
        }
        hits
    }

    /// Checks a message before it can change anything: right payload, bounded size, a sender
    /// not banned.
    pub(crate) fn check(&self, from: NodeId, message: &Message) -> Result<(), RetrievalError> {
        if message.payload() != self.header.payload_id() {
            return Err(RetrievalError::WrongPayload {
                payload: message.payload(),
            });
        }
        if message.len() > MAX_CELLS_PER_MESSAGE {
            return Err(RetrievalError::TooLarge {
                len: message.len(),
                max: MAX_CELLS_PER_MESSAGE,
            });
        }
        if self.banned.contains(&from) {
            return Err(RetrievalError::Banned { from });
        }
        Ok(())
    }

    /// Cells from `from`: only those asked of `from` and still in flight are looked at, and
    /// they are verified in one batch (bisecting on failure). A bad cell bans its sender: its
    /// other in-flight cells go back to idle, to be asked of the next holder.
    pub(crate) fn on_cells(
        &mut self,
        from: NodeId,
        cells: &[CellWithProof],
    ) -> Result<Outcome, RetrievalError> {
        let hits = self.in_flight_from(from, cells.iter().map(CellRef::from));
        if hits.is_empty() {
            return Err(RetrievalError::Unsolicited { from });
        }
        let batch: Vec<CellWithProof> = hits.iter().map(|&(pos, _)| cells[pos].clone()).collect();
        let verdicts = valid_cells(&self.kzg, &self.header, &batch);
        let mut outcome = Outcome::default();
        for ((_, i), (cell, ok)) in hits.iter().zip(batch.into_iter().zip(verdicts)) {
            if ok {
                self.settle(*i, Status::Verified);
                outcome.verified.push(cell);
            } else {
                self.settle(*i, Status::Idle);
                outcome.bad.push(CellRef::from(&cell));
            }
        }
        if !outcome.bad.is_empty() {
            self.ban(from);
        }
        Ok(outcome)
    }

    fn ban(&mut self, peer: NodeId) {
        self.banned.insert(peer);
        for i in 0..self.targets.len() {
            if matches!(self.targets[i].status, Status::InFlight { peer: p, .. } if p == peer) {
                self.settle(i, Status::Idle);
            }
        }
    }

    /// `from` says it lacks these cells: those in flight with it go to the next holder.
    pub(crate) fn on_missing(
        &mut self,
        from: NodeId,
        cells: &[CellRef],
    ) -> Result<(), RetrievalError> {
        let hits = self.in_flight_from(from, cells.iter().copied());
        if hits.is_empty() {
            return Err(RetrievalError::Unsolicited { from });
        }
        for (_, i) in hits {
            self.settle(i, Status::Idle);
        }
        Ok(())
    }

    /// Request `id` to `peer` is due: its unanswered cells go to the next holder, and `peer`
    /// is asked again after all others (until the owner's deadline). Stale timers do nothing
    /// (returns the cells that timed out, `None` for a stale timer).
    pub(crate) fn on_timeout(&mut self, peer: NodeId, id: u64) -> Option<Vec<CellRef>> {
        if self.open.get(&id).is_none_or(|(p, _)| *p != peer) {
            return None;
        }
        let mut timed_out = Vec::new();
        for i in 0..self.targets.len() {
            if self.targets[i].status == (Status::InFlight { peer, id }) {
                self.settle(i, Status::Idle);
                // Silence may be a lost message: the peer goes to the back of the queue and is
                // asked again after every other holder (a peer that answered `Missing` or sent
                // a bad cell is not).
                self.targets[i].untried.insert(0, peer);
                timed_out.push(self.targets[i].cell);
            }
        }
        self.open.remove(&id);
        Some(timed_out)
    }

    /// Targets not verified (idle, in flight or lost).
    pub(crate) fn unverified(&self) -> Vec<CellRef> {
        self.targets
            .iter()
            .filter(|t| t.status != Status::Verified)
            .map(|t| t.cell)
            .collect()
    }

    /// Whether every target is verified or lost.
    pub(crate) fn settled(&self) -> bool {
        self.targets
            .iter()
            .all(|t| matches!(t.status, Status::Verified | Status::Lost))
    }
}

/// Holders per column from a custody list `(holder, columns)`: column `j` lists, in the given
/// order, every holder whose columns include `j`. Out-of-range columns are ignored.
pub fn holders_by_column<'a>(
    custody: impl IntoIterator<Item = (NodeId, &'a [u16])>,
) -> Vec<Vec<NodeId>> {
    let mut by = vec![Vec::new(); COLUMNS];
    for (node, cols) in custody {
        for &c in cols {
            if let Some(v) = by.get_mut(usize::from(c))
                && !v.contains(&node)
            {
                v.push(node);
            }
        }
    }
    by
}
