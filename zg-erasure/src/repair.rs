//! Shard repair as a sans-IO state machine, and the holder side that answers it.
//!
//! Protocol [`ShardExchange`]: a [`Repair`] machine asks holders for shards with
//! [`Message::Get`]; a holder answers [`Message::Shard`] with the bytes or [`Message::NotFound`].
//! Nothing a holder sends is trusted: every shard is checked against its root in the manifest
//! (which the repairing node already trusts, e.g. because its root is on chain) before it counts.

use core::fmt;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use zg_core::machine::{Input, Machine, Outbox, Output, Protocol};
use zg_core::{H256, NodeId, Timestamp};

use crate::{Error, Manifest, decode, reconstruct_shard};

/// The shard-exchange protocol spoken by [`Repair`] and [`ShardHolder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShardExchange;

impl Protocol for ShardExchange {
    type Message = Message;
    type Timer = Timer;
    type Command = Command;
    type Request = core::convert::Infallible;
    type Record = core::convert::Infallible;
    type Event = Event;
    type Error = RepairError;
}

/// Shard bytes, cheap to clone (shared).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ShardBytes(pub Arc<[u8]>);

impl ShardBytes {
    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<u8>> for ShardBytes {
    fn from(v: Vec<u8>) -> Self {
        ShardBytes(v.into())
    }
}

impl fmt::Debug for ShardBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ShardBytes({} bytes)", self.0.len())
    }
}

/// A message between a repairing node and a holder.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Message {
    /// Please send shard `shard` of the object whose manifest root is `manifest`.
    Get {
        /// Manifest root of the object.
        manifest: H256,
        /// Shard index.
        shard: u32,
    },
    /// The bytes of shard `shard`.
    Shard {
        /// Manifest root of the object.
        manifest: H256,
        /// Shard index.
        shard: u32,
        /// The shard's bytes (untrusted until verified).
        data: ShardBytes,
    },
    /// The sender does not hold shard `shard`.
    NotFound {
        /// Manifest root of the object.
        manifest: H256,
        /// Shard index.
        shard: u32,
    },
}

/// A request's timer: fires `request_timeout_ms` after the request went out.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    /// The request with this id, for this shard, to this peer, is due.
    Request {
        /// Shard asked for.
        shard: u32,
        /// Peer asked.
        peer: NodeId,
        /// Request id (a timer whose id is no longer the shard's current request is stale).
        id: u64,
    },
}

/// Commands from the local host.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    /// `peer` holds shard `shard` (learnt after the repair started).
    AddHolder {
        /// Shard index.
        shard: u32,
        /// The holder.
        peer: NodeId,
    },
    /// (Holders) start serving a shard.
    Store {
        /// Manifest root of the object.
        manifest: H256,
        /// Shard index.
        shard: u32,
        /// The bytes.
        data: ShardBytes,
    },
}

/// What to rebuild.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// One shard (a storage node that lost it).
    Shard(usize),
    /// The whole object (a client reading it back).
    Object,
}

/// Why a repair gave up.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RepairFailure {
    /// Every holder of every missing shard failed: fewer than `need` shards could be verified.
    NotEnoughShards {
        /// Shards verified.
        have: usize,
        /// Shards needed (`k`).
        need: usize,
    },
    /// The verified shards do not rebuild what the manifest commits to (the manifest was built
    /// over inconsistent shards). No bytes are returned.
    Inconsistent,
}

/// Why a holder's answer was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rejection {
    /// The bytes do not match the shard's root (or length) in the manifest.
    Corrupt,
}

/// What a machine reports to its application.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Event {
    /// A shard arrived and matched its root.
    Verified {
        /// Shard index.
        shard: usize,
        /// Who sent it.
        from: NodeId,
    },
    /// A shard arrived and did not verify; its sender is not asked again.
    Rejected {
        /// Shard index claimed.
        shard: usize,
        /// Who sent it.
        from: NodeId,
        /// Why.
        reason: Rejection,
    },
    /// A request went unanswered in time (or the holder said it has no such shard).
    TimedOut {
        /// Shard asked for.
        shard: usize,
        /// Peer asked.
        peer: NodeId,
    },
    /// The repair finished: the verified shard or object.
    Repaired {
        /// What was rebuilt.
        target: Target,
        /// Its bytes, verified against the manifest.
        data: ShardBytes,
    },
    /// The repair gave up.
    Failed(RepairFailure),
}

/// Why an input was rejected (the machine is left as it was).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RepairError {
    /// The message is about another object.
    #[error("message for another object {manifest}")]
    WrongObject {
        /// The manifest root it named.
        manifest: H256,
    },
    /// The shard index is out of range.
    #[error("shard index {shard} out of range")]
    ShardIndex {
        /// The index.
        shard: u32,
    },
    /// A shard nobody asked that peer for.
    #[error("unsolicited shard {shard} from {from}")]
    Unsolicited {
        /// The shard.
        shard: u32,
        /// The peer.
        from: NodeId,
    },
    /// The configuration is unusable.
    #[error("invalid repair config: {0}")]
    Config(Error),
}

/// How a [`Repair`] runs.
#[derive(Clone, Debug)]
pub struct RepairConfig {
    /// The object's manifest (trusted).
    pub manifest: Arc<Manifest>,
    /// What to rebuild.
    pub target: Target,
    /// Who holds which shard: `(shard, peer)` pairs, any order; more can be added later with
    /// [`Command::AddHolder`].
    pub holders: Vec<(usize, NodeId)>,
    /// How long to wait for an answer before asking elsewhere.
    pub request_timeout_ms: u64,
    /// How many times one holder is asked for one shard (requests or answers may be lost).
    pub attempts_per_holder: u32,
    /// Shards requested beyond the `k` needed, to finish sooner when some holders are slow.
    pub spare_requests: usize,
}

impl RepairConfig {
    /// Defaults: 2 s timeout, 2 attempts per holder, no spare requests.
    pub fn new(manifest: Arc<Manifest>, target: Target, holders: Vec<(usize, NodeId)>) -> Self {
        RepairConfig {
            manifest,
            target,
            holders,
            request_timeout_ms: 2000,
            attempts_per_holder: 2,
            spare_requests: 0,
        }
    }
}

#[derive(Clone, Debug)]
struct HolderState {
    peer: NodeId,
    tries: u32,
    /// Said it has no such shard.
    gone: bool,
}

#[derive(Clone, Debug)]
enum Status {
    Idle,
    InFlight { peer: NodeId, id: u64 },
    Verified(ShardBytes),
}

#[derive(Clone, Debug)]
struct Slot {
    holders: Vec<HolderState>,
    /// Peers ever asked for this shard (their answers are accepted even when late).
    asked: BTreeSet<NodeId>,
    status: Status,
}

/// Rebuilds a lost shard, or the whole object, by fetching shards from peers.
///
/// # Driving contract
///
/// In the [`zg_core::machine`] vocabulary:
/// * Build it with [`Repair::new`]`(now, config)` and drain its outputs: it starts by sending
///   [`Message::Get`] for up to `k + spare_requests` shards — the target shard first, then data
///   shards, then parity — each with a [`Timer::Request`] `request_timeout_ms` later.
/// * Feed every [`Message::Shard`] / [`Message::NotFound`] from a peer, every fired timer, and
///   [`Command::AddHolder`] as holders are learnt, in any order, with duplicates, late and
///   corrupt answers; drain outputs after each.
/// * A shard counts once it matches its root in the manifest (length and 0G file root). A
///   peer that sends a corrupt shard is never asked again; a holder that times out is asked
///   again up to `attempts_per_holder` times, and a missing shard is asked of its other holders,
///   or replaced by another shard.
/// * It ends with exactly one [`Event::Repaired`] (the verified target: shard `i` directly if a
///   holder had it, else rebuilt from `k` verified shards and checked against its root; or the
///   object, checked against the object root) or one [`Event::Failed`]; afterwards every input is
///   ignored. It always ends: every request either gets an answer or times out, and each holder
///   is asked a bounded number of times.
/// * Outputs, drained in order after construction and after every input: `Send` a
///   [`Message::Get`] to one peer, `ScheduleTimeout` a [`Timer::Request`] (feed it back at or
///   after `at`; a stale one is ignored), `Event`s ([`Event::Verified`], [`Event::Rejected`],
///   [`Event::TimedOut`], then the verdict). It makes no requests and persists nothing.
/// * Nothing is persisted: after a crash, start a new repair from the manifest and the holders
///   known then. It is done when [`Repair::is_done`] (the verdict was output).
///
/// Inputs about another object, out-of-range shards, or shards never asked of that peer are
/// rejected with a [`RepairError`] and change nothing.
///
/// Memory: the verified shards (up to `k + spare` shard sizes) until the end.
///
/// # Example
///
/// A 2 + 1 object whose first holder serves corrupt bytes: the repair drops it, asks the
/// others, and rebuilds the object from the two shards that verify.
///
/// ```
/// use std::collections::VecDeque;
/// use std::sync::Arc;
/// use zg_core::machine::{Input, Machine, Output, Recipient};
/// use zg_core::{NodeId, Timestamp};
/// use zg_erasure::repair::{Event, Message};
/// use zg_erasure::{Config, Repair, RepairConfig, ShardHolder, Target, encode};
///
/// let object = b"an object worth keeping".repeat(40);
/// let encoded = encode(&object, Config::new(2, 1)?)?;
/// let root = encoded.manifest.root();
/// // Holder i (node i + 1) stores shard i; holder 1 flips a byte of its shard.
/// let mut holders: Vec<ShardHolder> = (0..3).map(|_| ShardHolder::new()).collect();
/// for (i, h) in holders.iter_mut().enumerate() {
///     let mut bytes = encoded.shards[i].clone();
///     if i == 0 {
///         bytes[5] ^= 1;
///     }
///     h.store(root, i as u32, bytes.into());
/// }
/// let me = NodeId(0);
/// let known = (0..3).map(|i| (i, NodeId(i as u64 + 1))).collect();
/// let config = RepairConfig::new(Arc::new(encoded.manifest.clone()), Target::Object, known);
/// let mut now = Timestamp(0);
/// let mut repair = Repair::new(now, config)?;
///
/// // The host: a network queue and a timer list; drain every output after every input.
/// let (mut net, mut timers) = (VecDeque::new(), Vec::new());
/// let mut repaired = None;
/// loop {
///     while let Some(output) = repair.poll_output() {
///         match output {
///             Output::Send { to: Recipient::One(peer), message } => net.push_back((peer, message)),
///             Output::ScheduleTimeout { at, timer } => timers.push((at, timer)),
///             Output::Event(Event::Repaired { data, .. }) => repaired = Some(data),
///             Output::Event(Event::Failed(why)) => panic!("repair failed: {why:?}"),
///             _ => {}
///         }
///     }
///     if repair.is_done() {
///         break;
///     }
///     if let Some((peer, get)) = net.pop_front() {
///         // A holder answers its request; the answer comes back from that peer.
///         let holder = &mut holders[(peer.0 - 1) as usize];
///         holder.handle(now, Input::Message { from: me, message: get })?;
///         for reply in holder.drain_outputs() {
///             if let Output::Send { message, .. } = reply {
///                 repair.handle(now, Input::Message { from: peer, message })?;
///             }
///         }
///     } else if let Some((at, timer)) = timers.pop() {
///         now = now.max(at);
///         repair.handle(now, Input::Timeout(timer))?;
///     } else {
///         unreachable!("a repair always ends");
///     }
/// }
/// assert_eq!(repaired.expect("repaired").as_slice(), &object[..]);
/// assert_eq!(repair.banned().collect::<Vec<_>>(), [&NodeId(1)]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Repair {
    manifest: Arc<Manifest>,
    target: Target,
    slots: Vec<Slot>,
    banned: BTreeSet<NodeId>,
    verified: usize,
    next_id: u64,
    timeout_ms: u64,
    attempts: u32,
    spare: usize,
    done: bool,
    out: Outbox<ShardExchange>,
}

impl fmt::Debug for Repair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Repair")
            .field("manifest", &self.manifest.root())
            .field("target", &self.target)
            .field("verified", &self.verified)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl Repair {
    /// Starts a repair at `now`; drain [`poll_output`](Machine::poll_output) for the first
    /// requests. Errors on a target or holder shard out of range.
    pub fn new(now: Timestamp, config: RepairConfig) -> Result<Self, RepairError> {
        let layout = *config.manifest.layout();
        let n = layout.total_shards();
        if let Target::Shard(i) = config.target {
            layout.check_shard(i).map_err(RepairError::Config)?;
        }
        let mut slots = vec![
            Slot {
                holders: Vec::new(),
                asked: BTreeSet::new(),
                status: Status::Idle,
            };
            n
        ];
        for &(shard, peer) in &config.holders {
            layout.check_shard(shard).map_err(RepairError::Config)?;
            add_holder(&mut slots[shard], peer);
        }
        let mut r = Repair {
            manifest: config.manifest,
            target: config.target,
            slots,
            banned: BTreeSet::new(),
            verified: 0,
            next_id: 0,
            timeout_ms: config.request_timeout_ms,
            attempts: config.attempts_per_holder.max(1),
            spare: config.spare_requests,
            done: false,
            out: Outbox::new(),
        };
        r.pump(now);
        Ok(r)
    }

    /// Whether the repair has ended (with [`Event::Repaired`] or [`Event::Failed`]).
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Shards verified so far.
    pub fn verified(&self) -> usize {
        self.verified
    }

    /// Peers that sent a corrupt shard.
    pub fn banned(&self) -> impl Iterator<Item = &NodeId> {
        self.banned.iter()
    }

    fn k(&self) -> usize {
        self.manifest.layout().data_shards()
    }

    fn satisfied(&self) -> bool {
        match self.target {
            Target::Shard(i) if matches!(self.slots[i].status, Status::Verified(_)) => true,
            _ => self.verified >= self.k(),
        }
    }

    /// Shards in the order they are worth asking for: the target, then data, then parity.
    fn preference(&self) -> impl Iterator<Item = usize> + use<> {
        let first = match self.target {
            Target::Shard(i) => Some(i),
            Target::Object => None,
        };
        let n = self.slots.len();
        first
            .into_iter()
            .chain((0..n).filter(move |&j| Some(j) != first))
    }

    fn available_holder(&self, shard: usize) -> Option<usize> {
        self.slots[shard]
            .holders
            .iter()
            .enumerate()
            .filter(|(_, h)| !h.gone && h.tries < self.attempts && !self.banned.contains(&h.peer))
            .min_by_key(|(_, h)| h.tries)
            .map(|(i, _)| i)
    }

    /// Sends requests until enough are in flight, or finishes.
    fn pump(&mut self, now: Timestamp) {
        if self.done {
            return;
        }
        if self.satisfied() {
            self.finish();
            return;
        }
        let in_flight = self
            .slots
            .iter()
            .filter(|s| matches!(s.status, Status::InFlight { .. }))
            .count();
        let want = self.k().saturating_sub(self.verified) + self.spare;
        let mut sent = 0usize;
        for shard in self.preference() {
            if in_flight + sent >= want {
                break;
            }
            if !matches!(self.slots[shard].status, Status::Idle) {
                continue;
            }
            let Some(h) = self.available_holder(shard) else {
                continue;
            };
            self.request(now, shard, h);
            sent += 1;
        }
        if in_flight + sent == 0 {
            // Nothing in flight and nobody left to ask.
            self.fail(RepairFailure::NotEnoughShards {
                have: self.verified,
                need: self.k(),
            });
        }
    }

    fn request(&mut self, now: Timestamp, shard: usize, holder: usize) {
        let id = self.next_id;
        self.next_id += 1;
        let manifest = self.manifest.root();
        let slot = &mut self.slots[shard];
        let h = &mut slot.holders[holder];
        h.tries += 1;
        let peer = h.peer;
        slot.asked.insert(peer);
        slot.status = Status::InFlight { peer, id };
        // Shard indices are below k + m <= 65536.
        let shard = u32::try_from(shard).unwrap_or(u32::MAX);
        self.out.send(peer, Message::Get { manifest, shard });
        self.out.schedule(
            now.plus_millis(self.timeout_ms),
            Timer::Request { shard, peer, id },
        );
    }

    fn finish(&mut self) {
        self.done = true;
        let n = self.slots.len();
        let slots = std::mem::take(&mut self.slots);
        let shards: Vec<Option<&[u8]>> = slots
            .iter()
            .map(|s| match &s.status {
                Status::Verified(b) => Some(b.as_slice()),
                _ => None,
            })
            .collect();
        debug_assert_eq!(shards.len(), n);
        let result = match self.target {
            Target::Shard(i) => match &slots[i].status {
                Status::Verified(b) => Ok(b.clone()),
                _ => reconstruct_shard(&self.manifest, &shards, i).map(ShardBytes::from),
            },
            Target::Object => decode(&self.manifest, &shards).map(|d| ShardBytes::from(d.object)),
        };
        match result {
            Ok(data) => self.out.event(Event::Repaired {
                target: self.target,
                data,
            }),
            Err(Error::NotEnoughShards { have, need }) => {
                self.out
                    .event(Event::Failed(RepairFailure::NotEnoughShards { have, need }));
            }
            Err(_) => self.out.event(Event::Failed(RepairFailure::Inconsistent)),
        }
    }

    fn fail(&mut self, why: RepairFailure) {
        self.done = true;
        self.slots.clear();
        self.out.event(Event::Failed(why));
    }

    fn check(&self, manifest: H256, shard: u32) -> Result<usize, RepairError> {
        if manifest != self.manifest.root() {
            return Err(RepairError::WrongObject { manifest });
        }
        usize::try_from(shard)
            .ok()
            .filter(|&s| s < self.manifest.layout().total_shards())
            .ok_or(RepairError::ShardIndex { shard })
    }

    fn on_shard(
        &mut self,
        now: Timestamp,
        from: NodeId,
        shard: usize,
        data: ShardBytes,
    ) -> Result<(), RepairError> {
        let slot = &self.slots[shard];
        if !slot.asked.contains(&from) {
            return Err(RepairError::Unsolicited {
                shard: u32::try_from(shard).unwrap_or(u32::MAX),
                from,
            });
        }
        if matches!(slot.status, Status::Verified(_)) {
            return Ok(()); // a duplicate, or a second holder answering late
        }
        let in_flight_here = matches!(slot.status, Status::InFlight { peer, .. } if peer == from);
        if self.manifest.verify_shard(shard, data.as_slice()).is_ok() {
            self.slots[shard].status = Status::Verified(data);
            self.verified += 1;
            self.out.event(Event::Verified { shard, from });
        } else {
            self.banned.insert(from);
            self.out.event(Event::Rejected {
                shard,
                from,
                reason: Rejection::Corrupt,
            });
            if in_flight_here {
                self.slots[shard].status = Status::Idle;
            }
        }
        self.pump(now);
        Ok(())
    }

    fn on_not_found(&mut self, now: Timestamp, from: NodeId, shard: usize) {
        let slot = &mut self.slots[shard];
        if let Some(h) = slot.holders.iter_mut().find(|h| h.peer == from) {
            h.gone = true;
        }
        if matches!(slot.status, Status::InFlight { peer, .. } if peer == from) {
            slot.status = Status::Idle;
            self.out.event(Event::TimedOut { shard, peer: from });
            self.pump(now);
        }
    }

    fn on_timeout(&mut self, now: Timestamp, shard: u32, peer: NodeId, id: u64) {
        let Some(shard) = usize::try_from(shard)
            .ok()
            .filter(|&s| s < self.slots.len())
        else {
            return;
        };
        if matches!(self.slots[shard].status, Status::InFlight { id: current, .. } if current == id)
        {
            self.slots[shard].status = Status::Idle;
            self.out.event(Event::TimedOut { shard, peer });
            self.pump(now);
        }
    }
}

fn add_holder(slot: &mut Slot, peer: NodeId) {
    if !slot.holders.iter().any(|h| h.peer == peer) {
        slot.holders.push(HolderState {
            peer,
            tries: 0,
            gone: false,
        });
    }
}

impl Machine<ShardExchange> for Repair {
    fn handle(&mut self, now: Timestamp, input: Input<ShardExchange>) -> Result<(), RepairError> {
        if self.done {
            return Ok(());
        }
        match input {
            Input::Message { from, message } => match message {
                Message::Shard {
                    manifest,
                    shard,
                    data,
                } => {
                    let shard = self.check(manifest, shard)?;
                    self.on_shard(now, from, shard, data)
                }
                Message::NotFound { manifest, shard } => {
                    let shard = self.check(manifest, shard)?;
                    self.on_not_found(now, from, shard);
                    Ok(())
                }
                // A repairing node serves nothing.
                Message::Get { .. } => Ok(()),
            },
            Input::Timeout(Timer::Request { shard, peer, id }) => {
                self.on_timeout(now, shard, peer, id);
                Ok(())
            }
            Input::Command(Command::AddHolder { shard, peer }) => {
                let s = usize::try_from(shard)
                    .ok()
                    .filter(|&s| s < self.slots.len())
                    .ok_or(RepairError::ShardIndex { shard })?;
                add_holder(&mut self.slots[s], peer);
                self.pump(now);
                Ok(())
            }
            Input::Command(Command::Store { .. }) => Ok(()),
        }
    }

    fn poll_output(&mut self) -> Option<Output<ShardExchange>> {
        self.out.pop()
    }
}

/// A node that stores shards and answers [`Message::Get`] with them (or [`Message::NotFound`]).
///
/// Shards are handed to it with [`Command::Store`] (or [`ShardHolder::store`]); it does not
/// verify them — the asking side does.
///
/// # Driving contract
///
/// * Inputs: [`Message::Get`] from any peer, and [`Command::Store`] from its host. Every other
///   input is ignored (never an error, so a flood of strays costs nothing but the call).
/// * Outputs: exactly one `Send` per [`Message::Get`], to the peer that asked, carrying the
///   stored bytes ([`Message::Shard`]) or [`Message::NotFound`]; drain them after each input.
///   No timers, requests, events or records.
/// * Persistence and restart: it keeps the shards in memory only. The host stores them durably
///   itself and, after a restart, hands them back with [`Command::Store`] before serving.
/// * It is never done: it serves for as long as the host runs it.
///
/// ```
/// use zg_core::machine::{Input, Machine, Output, Recipient};
/// use zg_core::{H256, NodeId, Timestamp};
/// use zg_erasure::ShardHolder;
/// use zg_erasure::repair::{Command, Message};
///
/// let (manifest, now) = (H256([7; 32]), Timestamp(0));
/// let mut holder = ShardHolder::new();
/// let store = Command::Store { manifest, shard: 2, data: b"shard two".to_vec().into() };
/// holder.handle(now, Input::Command(store))?;
/// assert!(holder.drain_outputs().is_empty(), "storing sends nothing");
///
/// for (shard, has) in [(2, true), (3, false)] {
///     let asker = NodeId(9);
///     holder.handle(now, Input::Message { from: asker, message: Message::Get { manifest, shard } })?;
///     let replies = holder.drain_outputs();
///     assert_eq!(replies.len(), 1);
///     match &replies[0] {
///         Output::Send { to: Recipient::One(to), message: Message::Shard { data, .. } } => {
///             assert!(has && *to == asker && data.as_slice() == b"shard two")
///         }
///         Output::Send { message: Message::NotFound { .. }, .. } => assert!(!has),
///         other => panic!("unexpected {other:?}"),
///     }
/// }
/// # Ok::<(), zg_erasure::repair::RepairError>(())
/// ```
#[derive(Default)]
pub struct ShardHolder {
    shards: BTreeMap<(H256, u32), ShardBytes>,
    out: Outbox<ShardExchange>,
}

impl fmt::Debug for ShardHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShardHolder")
            .field("shards", &self.shards.len())
            .finish_non_exhaustive()
    }
}

impl ShardHolder {
    /// A holder with no shards.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores shard `shard` of the object with manifest root `manifest`.
    pub fn store(&mut self, manifest: H256, shard: u32, data: ShardBytes) {
        self.shards.insert((manifest, shard), data);
    }
}

impl Machine<ShardExchange> for ShardHolder {
    fn handle(&mut self, _now: Timestamp, input: Input<ShardExchange>) -> Result<(), RepairError> {
        match input {
            Input::Message {
                from,
                message: Message::Get { manifest, shard },
            } => {
                let reply = match self.shards.get(&(manifest, shard)) {
                    Some(data) => Message::Shard {
                        manifest,
                        shard,
                        data: data.clone(),
                    },
                    None => Message::NotFound { manifest, shard },
                };
                self.out.send(from, reply);
            }
            Input::Command(Command::Store {
                manifest,
                shard,
                data,
            }) => self.store(manifest, shard, data),
            _ => {}
        }
        Ok(())
    }

    fn poll_output(&mut self) -> Option<Output<ShardExchange>> {
        self.out.pop()
    }
}
