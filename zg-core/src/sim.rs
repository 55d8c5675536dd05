//! A deterministic network simulator for sans-IO machines (feature `sim`).
//!
//! [`Simulation`] drives N machines that speak the [`machine`](crate::machine) vocabulary over a
//! simulated network, with a virtual clock and one seeded RNG:
//!
//! * **links**: per-link latency distribution ([`Latency`]), loss, duplication and reordering
//!   ([`LinkConfig`]), a default for all links plus per-link overrides;
//! * **faults**: network partitions and healing, crashes and restarts ([`Fault`]), applied now or at
//!   a scheduled time; a crashed machine receives nothing (messages, timers, commands are dropped)
//!   until it restarts, and it restarts from the records it asked to persist;
//! * **host**: application commands injected at given times ([`Simulation::inject`]) and a host
//!   function that answers the machines' requests ([`Simulation::set_host`]);
//! * **determinism**: the same seed and the same calls give the same run, event for event, and
//!   [`Simulation::trace_hash`] fingerprints every input delivered so two runs compare cheaply.
//!
//! Events are ordered by (time, insertion sequence); the only randomness is the simulation's own
//! ChaCha8 stream, drawn in event order. The cost per delivered input is a heap operation, a
//! hash of the input, and the machine's own work, so 1,000 machines over thousands of simulated
//! seconds run in a test.
//!
//! ```
//! use zg_core::machine::{Input, Machine, Outbox, Output, Protocol};
//! use zg_core::sim::{Latency, LinkConfig, SimConfig, Simulation};
//! use zg_core::{NodeId, Timestamp};
//!
//! /// Gossip: whoever hears a rumour for the first time tells everyone.
//! struct Gossip;
//! impl Protocol for Gossip {
//!     type Message = u32;
//!     type Timer = ();
//!     type Command = u32;
//!     type Request = ();
//!     type Record = u32;
//!     type Event = u32;
//!     type Error = std::convert::Infallible;
//! }
//! #[derive(Default)]
//! struct Node { heard: Option<u32>, out: Outbox<Gossip> }
//! impl Machine<Gossip> for Node {
//!     fn handle(&mut self, _now: Timestamp, input: Input<Gossip>) -> Result<(), std::convert::Infallible> {
//!         let rumour = match input {
//!             Input::Message { message, .. } | Input::Command(message) => message,
//!             Input::Timeout(()) => return Ok(()),
//!         };
//!         if self.heard.is_none() {
//!             self.heard = Some(rumour);
//!             self.out.persist(rumour);
//!             self.out.broadcast(rumour);
//!             self.out.event(rumour);
//!         }
//!         Ok(())
//!     }
//!     fn poll_output(&mut self) -> Option<Output<Gossip>> { self.out.pop() }
//! }
//!
//! let config = SimConfig {
//!     seed: 42,
//!     link: LinkConfig { latency: Latency::Uniform { min_ms: 5, max_ms: 50 }, loss: 0.1, ..LinkConfig::default() },
//! };
//! let mut sim = Simulation::new(config, 100, |_id, _now, records: &[u32]| Node {
//!     heard: records.first().copied(),
//!     out: Outbox::new(),
//! });
//! sim.inject(Timestamp(0), NodeId(0), 7);
//! sim.run_until(Timestamp::from_secs(10));
//! assert_eq!(sim.events().len(), 100); // every node heard it, once
//! assert!(sim.nodes().all(|(_, n)| n.heard == Some(7)));
//! ```

use core::fmt;
use core::hash::{Hash, Hasher};
use core::time::Duration;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::collections::hash_map::DefaultHasher;

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

use crate::machine::{Input, Machine, Output, Protocol, Recipient};
use crate::{NodeId, Timestamp};

/// The simulation's random stream, handed to host functions so they stay deterministic too.
pub struct SimRng(ChaCha8Rng);

impl fmt::Debug for SimRng {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SimRng")
    }
}

impl SimRng {
    /// A stream from a seed.
    pub fn new(seed: u64) -> Self {
        SimRng(ChaCha8Rng::seed_from_u64(seed))
    }

    /// 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `0..n` (0 when `n == 0`), without modulo bias.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        // Lemire's multiply-shift with rejection.
        loop {
            let x = self.next_u64();
            let m = u128::from(x) * u128::from(n);
            // Splitting a 128-bit product into its 64-bit halves.
            #[allow(clippy::cast_possible_truncation)]
            let (high, low) = ((m >> 64) as u64, m as u64);
            if low >= n.wrapping_neg() % n {
                return high;
            }
        }
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        // 53 random bits: exactly representable.
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// `true` with probability `p` (clamped to `[0, 1]`).
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && (p >= 1.0 || self.unit() < p)
    }

    /// Fills a buffer with random bytes.
    pub fn fill(&mut self, buf: &mut [u8]) {
        self.0.fill_bytes(buf);
    }
}

/// A one-way delay distribution, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Latency {
    /// Always `ms`.
    Fixed(u64),
    /// Uniform in `[min_ms, max_ms]`.
    Uniform {
        /// Lower bound.
        min_ms: u64,
        /// Upper bound (inclusive).
        max_ms: u64,
    },
    /// `min_ms` plus an exponential tail of mean `mean_extra_ms` (a long-tailed WAN).
    Exponential {
        /// Floor.
        min_ms: u64,
        /// Mean of the tail.
        mean_extra_ms: u64,
    },
}

impl Latency {
    fn sample(&self, rng: &mut SimRng) -> u64 {
        match *self {
            Latency::Fixed(ms) => ms,
            Latency::Uniform { min_ms, max_ms } => {
                let (lo, hi) = (min_ms.min(max_ms), min_ms.max(max_ms));
                lo + rng.below(hi - lo + 1)
            }
            Latency::Exponential {
                min_ms,
                mean_extra_ms,
            } => {
                let u = 1.0 - rng.unit(); // (0, 1]
                let extra = -(u.ln()) * mean_extra_ms as f64;
                // Capped at ten minutes so one unlucky draw cannot stall a run; the cast of a
                // non-negative value below 2^53 is exact up to the dropped fraction.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let extra_ms = extra.clamp(0.0, 600_000.0) as u64;
                min_ms + extra_ms
            }
        }
    }
}

/// Behaviour of a directed link.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinkConfig {
    /// One-way delay.
    pub latency: Latency,
    /// Probability a message is lost.
    pub loss: f64,
    /// Probability a message is delivered twice (the copy with its own delay).
    pub duplicate: f64,
    /// Probability a message is held back by up to `reorder_ms` extra, overtaking order.
    pub reorder: f64,
    /// Largest extra delay of a held-back message.
    pub reorder_ms: u64,
}

impl Default for LinkConfig {
    fn default() -> Self {
        LinkConfig {
            latency: Latency::Uniform {
                min_ms: 10,
                max_ms: 100,
            },
            loss: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
            reorder_ms: 0,
        }
    }
}

/// Simulation parameters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SimConfig {
    /// Seed of the one random stream.
    pub seed: u64,
    /// Default behaviour of every link.
    pub link: LinkConfig,
}

/// A change to the world, applied now or at a scheduled time.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Split the nodes into groups; messages between groups are dropped (at send and at delivery).
    /// Nodes in no group form one more group together.
    Partition(Vec<Vec<NodeId>>),
    /// Remove every partition.
    Heal,
    /// Stop a node: its machine is dropped, and it receives nothing until restarted.
    Crash(NodeId),
    /// Start a crashed node again from the records it persisted.
    Restart(NodeId),
    /// Override the link `from → to`.
    SetLink {
        /// Sender.
        from: NodeId,
        /// Receiver.
        to: NodeId,
        /// The new behaviour.
        config: LinkConfig,
    },
    /// Override every link into and out of a node (e.g. a slow or lossy node).
    SetNodeLinks {
        /// The node.
        node: NodeId,
        /// The new behaviour.
        config: LinkConfig,
    },
}

/// Counters of what happened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SimStats {
    /// Messages sent (one per recipient).
    pub sent: u64,
    /// Messages delivered to a running machine.
    pub delivered: u64,
    /// Messages lost to link loss.
    pub lost: u64,
    /// Messages dropped by a partition.
    pub partitioned: u64,
    /// Messages, timers and commands dropped because the node was down.
    pub dropped_down: u64,
    /// Extra copies delivered by duplication.
    pub duplicated: u64,
    /// Timers fired.
    pub timers: u64,
    /// Commands delivered (injected or host answers).
    pub commands: u64,
    /// Inputs a machine rejected with an error.
    pub errors: u64,
    /// Crashes applied.
    pub crashes: u64,
    /// Restarts applied.
    pub restarts: u64,
}

enum Pending<P: Protocol> {
    Deliver {
        from: NodeId,
        to: NodeId,
        message: P::Message,
    },
    Timer {
        node: NodeId,
        incarnation: u32,
        timer: P::Timer,
    },
    Command {
        node: NodeId,
        /// `None`: an injected command, delivered to whatever incarnation is up.
        incarnation: Option<u32>,
        command: P::Command,
    },
    Fault(Fault),
}

struct Slot<M> {
    machine: Option<M>,
    incarnation: u32,
}

type Factory<P, M> = Box<dyn FnMut(NodeId, Timestamp, &[<P as Protocol>::Record]) -> M>;
type HostFn<P> = Box<
    dyn FnMut(
        NodeId,
        Timestamp,
        <P as Protocol>::Request,
        &mut SimRng,
    ) -> Vec<(Duration, <P as Protocol>::Command)>,
>;

/// The simulator. `M` is the machine type: a concrete type for homogeneous runs (so tests can
/// inspect state with [`Simulation::node`]), or `Box<dyn Machine<P>>` to mix honest and
/// Byzantine machines.
pub struct Simulation<P: Protocol, M: Machine<P> = Box<dyn Machine<P>>> {
    now: Timestamp,
    rng: SimRng,
    config: SimConfig,
    link_overrides: std::collections::HashMap<(NodeId, NodeId), LinkConfig>,
    node_overrides: std::collections::HashMap<NodeId, LinkConfig>,
    slots: Vec<Slot<M>>,
    records: Vec<Vec<P::Record>>,
    /// Group id per node while partitioned.
    groups: Option<Vec<u32>>,
    heap: BinaryHeap<Reverse<(Timestamp, u64, usize)>>,
    pending: Vec<Option<Pending<P>>>,
    free: Vec<usize>,
    seq: u64,
    trace: DefaultHasher,
    events: Vec<(Timestamp, NodeId, P::Event)>,
    errors: Vec<(Timestamp, NodeId, String)>,
    stats: SimStats,
    factory: Factory<P, M>,
    host: Option<HostFn<P>>,
    started: bool,
}

impl<P: Protocol, M: Machine<P>> fmt::Debug for Simulation<P, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Simulation")
            .field("now", &self.now)
            .field("nodes", &self.slots.len())
            .field("stats", &self.stats)
            .finish()
    }
}

impl<P: Protocol, M: Machine<P>> Simulation<P, M> {
    /// Builds a simulation of `nodes` machines, `NodeId(0)..NodeId(nodes-1)`. `factory(id, now,
    /// records)` builds a machine: at start with no records, and on restart with the records it
    /// persisted. The outputs machines queue at construction are carried out when the simulation
    /// starts — at the first `step`, `run_*` or `apply` — so a host set with
    /// [`set_host`](Self::set_host) after `new` still answers requests made at construction; on
    /// restart they are carried out at once.
    pub fn new(
        config: SimConfig,
        nodes: usize,
        factory: impl FnMut(NodeId, Timestamp, &[P::Record]) -> M + 'static,
    ) -> Self {
        let mut sim = Simulation {
            now: Timestamp::ZERO,
            rng: SimRng::new(config.seed),
            config,
            link_overrides: Default::default(),
            node_overrides: Default::default(),
            slots: Vec::with_capacity(nodes),
            records: vec![Vec::new(); nodes],
            groups: None,
            heap: BinaryHeap::new(),
            pending: Vec::new(),
            free: Vec::new(),
            seq: 0,
            trace: DefaultHasher::new(),
            events: Vec::new(),
            errors: Vec::new(),
            stats: SimStats::default(),
            factory: Box::new(factory),
            host: None,
            started: false,
        };
        for i in 0..nodes {
            let id = NodeId(i as u64);
            let machine = (sim.factory)(id, Timestamp::ZERO, &[]);
            sim.slots.push(Slot {
                machine: Some(machine),
                incarnation: 0,
            });
        }
        sim
    }

    /// Carries out the construction outputs of every machine, once.
    fn start(&mut self) {
        if self.started {
            return;
        }
        self.started = true;
        for i in 0..self.slots.len() {
            self.drain(NodeId(i as u64));
        }
    }

    /// Sets the function that answers machines' [`Output::Request`]s: it returns commands to feed
    /// back to the requesting node, each after its delay (to that same incarnation only). Without
    /// a host, requests are dropped.
    pub fn set_host(
        &mut self,
        host: impl FnMut(NodeId, Timestamp, P::Request, &mut SimRng) -> Vec<(Duration, P::Command)>
        + 'static,
    ) {
        self.host = Some(Box::new(host));
    }

    /// The virtual clock.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The machine of a running node.
    pub fn node(&self, id: NodeId) -> Option<&M> {
        self.slot(id).and_then(|s| s.machine.as_ref())
    }

    /// The machine of a running node, mutably (for test instrumentation; feeding it inputs
    /// directly bypasses the trace).
    pub fn node_mut(&mut self, id: NodeId) -> Option<&mut M> {
        self.slots
            .get_mut(usize::try_from(id.0).ok()?)
            .and_then(|s| s.machine.as_mut())
    }

    /// Every running node.
    pub fn nodes(&self) -> impl Iterator<Item = (NodeId, &M)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.machine.as_ref().map(|m| (NodeId(i as u64), m)))
    }

    /// Whether a node is up.
    pub fn is_up(&self, id: NodeId) -> bool {
        self.node(id).is_some()
    }

    /// What a node has persisted, in order (after checkpoints: the snapshot and what followed).
    pub fn persisted(&self, id: NodeId) -> &[P::Record] {
        usize::try_from(id.0)
            .ok()
            .and_then(|i| self.records.get(i))
            .map_or(&[], Vec::as_slice)
    }

    /// Every event reported so far: (time, node, event).
    pub fn events(&self) -> &[(Timestamp, NodeId, P::Event)] {
        &self.events
    }

    /// Takes the events reported so far, leaving none.
    pub fn take_events(&mut self) -> Vec<(Timestamp, NodeId, P::Event)> {
        std::mem::take(&mut self.events)
    }

    /// Inputs rejected by machines: (time, node, error text).
    pub fn errors(&self) -> &[(Timestamp, NodeId, String)] {
        &self.errors
    }

    /// Counters.
    pub fn stats(&self) -> SimStats {
        self.stats
    }

    /// A fingerprint of every input delivered so far (time, node, kind, content) and of the
    /// faults applied. Equal seeds and calls give equal hashes.
    pub fn trace_hash(&self) -> u64 {
        self.trace.finish()
    }

    /// The simulation's random stream (for test set-up that must replay with the seed).
    pub fn rng(&mut self) -> &mut SimRng {
        &mut self.rng
    }

    /// Feeds an application command to `node` at time `at` (delivered to whichever incarnation is
    /// up then; dropped if the node is down).
    pub fn inject(&mut self, at: Timestamp, node: NodeId, command: P::Command) {
        self.push(
            at.max(self.now),
            Pending::Command {
                node,
                incarnation: None,
                command,
            },
        );
    }

    /// Applies a fault at time `at` (now if `at` has passed).
    pub fn schedule(&mut self, at: Timestamp, fault: Fault) {
        self.push(at.max(self.now), Pending::Fault(fault));
    }

    /// Applies a fault now.
    pub fn apply(&mut self, fault: Fault) {
        self.start();
        fault_hash(&fault).hash(&mut self.trace);
        match fault {
            Fault::Partition(groups) => {
                let mut g = vec![u32::MAX; self.slots.len()];
                for (gid, members) in (0u32..).zip(groups.iter()) {
                    for m in members {
                        if let Some(slot) = usize::try_from(m.0).ok().and_then(|i| g.get_mut(i)) {
                            *slot = gid;
                        }
                    }
                }
                self.groups = Some(g);
            }
            Fault::Heal => self.groups = None,
            Fault::Crash(id) => {
                if let Some(slot) = usize::try_from(id.0)
                    .ok()
                    .and_then(|i| self.slots.get_mut(i))
                    && slot.machine.take().is_some()
                {
                    slot.incarnation += 1;
                    self.stats.crashes += 1;
                }
            }
            Fault::Restart(id) => {
                let Some(i) = usize::try_from(id.0).ok().filter(|&i| i < self.slots.len()) else {
                    return;
                };
                if self.slots[i].machine.is_some() {
                    return;
                }
                let machine = (self.factory)(id, self.now, &self.records[i]);
                self.slots[i].machine = Some(machine);
                self.slots[i].incarnation += 1;
                self.stats.restarts += 1;
                self.drain(id);
            }
            Fault::SetLink { from, to, config } => {
                self.link_overrides.insert((from, to), config);
            }
            Fault::SetNodeLinks { node, config } => {
                self.node_overrides.insert(node, config);
            }
        }
    }

    /// Runs every event up to and including time `until`; the clock ends at `until`.
    pub fn run_until(&mut self, until: Timestamp) {
        self.start();
        while let Some(&Reverse((at, _, _))) = self.heap.peek() {
            if at > until {
                break;
            }
            self.step();
        }
        self.now = self.now.max(until);
    }

    /// Runs for `d` of simulated time.
    pub fn run_for(&mut self, d: Duration) {
        let until = self.now + d;
        self.run_until(until);
    }

    /// Runs until `done(self)` holds (checked after each event) or the clock passes `deadline`.
    /// Returns whether `done` held.
    pub fn run_until_cond(
        &mut self,
        deadline: Timestamp,
        mut done: impl FnMut(&Self) -> bool,
    ) -> bool {
        self.start();
        loop {
            if done(self) {
                return true;
            }
            match self.heap.peek() {
                Some(&Reverse((at, _, _))) if at <= deadline => {
                    self.step();
                }
                _ => {
                    self.now = self.now.max(deadline);
                    return done(self);
                }
            }
        }
    }

    /// Processes the next event; returns its time, or `None` when nothing is scheduled.
    pub fn step(&mut self) -> Option<Timestamp> {
        self.start();
        let Reverse((at, _, idx)) = self.heap.pop()?;
        self.now = at;
        let event = self.pending[idx].take();
        self.free.push(idx);
        match event? {
            Pending::Deliver { from, to, message } => {
                if self.blocked(from, to) {
                    self.stats.partitioned += 1;
                } else if self.node(to).is_none() {
                    self.stats.dropped_down += 1;
                } else {
                    (1u8, at, from, to, &message).hash(&mut self.trace);
                    self.stats.delivered += 1;
                    self.feed(to, Input::Message { from, message });
                }
            }
            Pending::Timer {
                node,
                incarnation,
                timer,
            } => {
                if self.current(node, Some(incarnation)) {
                    (2u8, at, node, &timer).hash(&mut self.trace);
                    self.stats.timers += 1;
                    self.feed(node, Input::Timeout(timer));
                } else {
                    self.stats.dropped_down += 1;
                }
            }
            Pending::Command {
                node,
                incarnation,
                command,
            } => {
                if self.current(node, incarnation) {
                    (3u8, at, node, &command).hash(&mut self.trace);
                    self.stats.commands += 1;
                    self.feed(node, Input::Command(command));
                } else {
                    self.stats.dropped_down += 1;
                }
            }
            Pending::Fault(fault) => self.apply(fault),
        }
        Some(at)
    }

    fn slot(&self, id: NodeId) -> Option<&Slot<M>> {
        self.slots.get(usize::try_from(id.0).ok()?)
    }

    fn current(&self, id: NodeId, incarnation: Option<u32>) -> bool {
        self.slot(id).is_some_and(|s| {
            s.machine.is_some() && incarnation.is_none_or(|inc| inc == s.incarnation)
        })
    }

    fn blocked(&self, from: NodeId, to: NodeId) -> bool {
        let Some(groups) = &self.groups else {
            return false;
        };
        let g = |n: NodeId| {
            usize::try_from(n.0)
                .ok()
                .and_then(|i| groups.get(i))
                .copied()
        };
        g(from) != g(to)
    }

    fn link(&self, from: NodeId, to: NodeId) -> LinkConfig {
        self.link_overrides
            .get(&(from, to))
            .or_else(|| self.node_overrides.get(&from))
            .or_else(|| self.node_overrides.get(&to))
            .copied()
            .unwrap_or(self.config.link)
    }

    fn push(&mut self, at: Timestamp, event: Pending<P>) {
        let idx = match self.free.pop() {
            Some(i) => {
                self.pending[i] = Some(event);
                i
            }
            None => {
                self.pending.push(Some(event));
                self.pending.len() - 1
            }
        };
        self.seq += 1;
        self.heap.push(Reverse((at, self.seq, idx)));
    }

    fn feed(&mut self, id: NodeId, input: Input<P>) {
        let now = self.now;
        let Some(machine) = self.node_mut(id) else {
            return;
        };
        if let Err(e) = machine.handle(now, input) {
            self.stats.errors += 1;
            self.errors.push((now, id, e.to_string()));
        }
        self.drain(id);
    }

    fn drain(&mut self, id: NodeId) {
        let Some(i) = usize::try_from(id.0).ok().filter(|&i| i < self.slots.len()) else {
            return;
        };
        loop {
            let Some(out) = self.slots[i].machine.as_mut().and_then(|m| m.poll_output()) else {
                break;
            };
            match out {
                Output::Send { to, message } => match to {
                    Recipient::One(peer) => self.send(id, peer, message),
                    Recipient::All => {
                        for peer in 0..self.slots.len() as u64 {
                            if peer != id.0 {
                                self.send(id, NodeId(peer), message.clone());
                            }
                        }
                    }
                },
                Output::ScheduleTimeout { at, timer } => {
                    let incarnation = self.slots[i].incarnation;
                    self.push(
                        at.max(self.now),
                        Pending::Timer {
                            node: id,
                            incarnation,
                            timer,
                        },
                    );
                }
                Output::Persist(record) => self.records[i].push(record),
                Output::Checkpoint(record) => self.records[i] = vec![record],
                Output::Request(request) => {
                    let now = self.now;
                    let replies = match self.host.as_mut() {
                        Some(host) => host(id, now, request, &mut self.rng),
                        None => Vec::new(),
                    };
                    let incarnation = Some(self.slots[i].incarnation);
                    for (delay, command) in replies {
                        self.push(
                            now + delay,
                            Pending::Command {
                                node: id,
                                incarnation,
                                command,
                            },
                        );
                    }
                }
                Output::Event(event) => self.events.push((self.now, id, event)),
            }
        }
    }

    fn send(&mut self, from: NodeId, to: NodeId, message: P::Message) {
        if usize::try_from(to.0).map_or(true, |t| t >= self.slots.len()) {
            return;
        }
        self.stats.sent += 1;
        if self.blocked(from, to) {
            self.stats.partitioned += 1;
            return;
        }
        let link = self.link(from, to);
        if self.rng.chance(link.loss) {
            self.stats.lost += 1;
            return;
        }
        if self.rng.chance(link.duplicate) {
            self.stats.duplicated += 1;
            let at = self.now.plus_millis(self.delay(&link));
            let message = message.clone();
            self.push(at, Pending::Deliver { from, to, message });
        }
        let at = self.now.plus_millis(self.delay(&link));
        self.push(at, Pending::Deliver { from, to, message });
    }

    fn delay(&mut self, link: &LinkConfig) -> u64 {
        let mut delay = link.latency.sample(&mut self.rng);
        if link.reorder_ms > 0 && self.rng.chance(link.reorder) {
            delay += 1 + self.rng.below(link.reorder_ms);
        }
        delay
    }
}

/// Faults are hashed through their `Debug` form: they are rare, and `LinkConfig` holds floats.
fn fault_hash(fault: &Fault) -> u64 {
    let mut h = DefaultHasher::new();
    format!("{fault:?}").hash(&mut h);
    h.finish()
}
