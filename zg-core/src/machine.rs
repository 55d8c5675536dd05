//! The sans-IO vocabulary every zg protocol speaks.
//!
//! A protocol is a state machine that does no I/O. The host — a node binary, a test, or the
//! `zg_core::sim` simulator (feature `sim`) — owns the sockets, disks and clocks, and talks to the machine in
//! exactly two calls:
//!
//! * [`Machine::handle`]`(now, input)` feeds one [`Input`]: a peer's message, a timer that fired,
//!   or a command/answer from the local host. `now` is the only clock the machine ever sees.
//! * [`Machine::poll_output`]`()` returns the next [`Output`] the machine wants carried out; the
//!   host drains it until `None` after every `handle` (and after constructing or restoring the
//!   machine, which may queue outputs too).
//!
//! Outputs are instructions, carried out **in the order they are polled**:
//! [`Output::Send`] a message, [`Output::ScheduleTimeout`] (fed back as [`Input::Timeout`] at or
//! after `at`; the machine ignores timers that went stale, so hosts need not cancel them),
//! [`Output::Persist`]/[`Output::Checkpoint`] a record durably **before** carrying out any later
//! output (this is how a validator never signs twice after a crash), [`Output::Request`] something
//! from the host (answered by a later [`Input::Command`]), and [`Output::Event`] to report to the
//! application. On restart the host rebuilds the machine from the records it persisted, in order.
//!
//! The shape follows quinn-proto's `Connection` and str0m's `Rtc`: `handle` + `poll_output`, so a
//! machine may queue any number of outputs per input without allocating a `Vec` per call, and the
//! host decides when to drain. Every zg crate uses this one trait, so a single driver loop (and the
//! simulator) runs all of them.
//!
//! # A complete driver loop
//!
//! ```
//! use std::collections::VecDeque;
//! use zg_core::machine::{Input, Machine, Outbox, Output, Protocol, Recipient};
//! use zg_core::{NodeId, Timestamp};
//!
//! /// A toy protocol: count pings, answer each with a pong, and tick every second.
//! struct Ping;
//! impl Protocol for Ping {
//!     type Message = &'static str;
//!     type Timer = u64; // tick number
//!     type Command = ();
//!     type Request = ();
//!     type Record = u64; // pings seen, persisted
//!     type Event = String;
//!     type Error = std::convert::Infallible;
//! }
//!
//! struct Counter { pings: u64, out: Outbox<Ping> }
//! impl Counter {
//!     fn restore(records: &[u64]) -> Self {
//!         let mut out = Outbox::new();
//!         out.schedule(Timestamp::from_secs(1), 1);
//!         Counter { pings: records.last().copied().unwrap_or(0), out }
//!     }
//! }
//! impl Machine<Ping> for Counter {
//!     fn handle(&mut self, now: Timestamp, input: Input<Ping>) -> Result<(), std::convert::Infallible> {
//!         match input {
//!             Input::Message { from, message: "ping" } => {
//!                 self.pings += 1;
//!                 self.out.persist(self.pings); // durable before the reply goes out
//!                 self.out.send(from, "pong");
//!             }
//!             Input::Timeout(tick) => {
//!                 self.out.event(format!("tick {tick} at {now}: {} pings", self.pings));
//!                 self.out.schedule(now.plus_millis(1000), tick + 1);
//!             }
//!             _ => {}
//!         }
//!         Ok(())
//!     }
//!     fn poll_output(&mut self) -> Option<Output<Ping>> { self.out.pop() }
//! }
//!
//! // The host: a real node would read sockets and a clock; here, a scripted inbox.
//! let mut wal: Vec<u64> = Vec::new();
//! let mut machine = Counter::restore(&wal);
//! let mut timers: Vec<(Timestamp, u64)> = Vec::new();
//! let mut sent = Vec::new();
//! let mut inbox: VecDeque<(Timestamp, Input<Ping>)> = VecDeque::from([
//!     (Timestamp(10), Input::Message { from: NodeId(7), message: "ping" }),
//!     (Timestamp(20), Input::Message { from: NodeId(8), message: "ping" }),
//! ]);
//! let mut now = Timestamp::ZERO;
//! loop {
//!     // Drain every output, in order, before feeding the next input.
//!     while let Some(output) = machine.poll_output() {
//!         match output {
//!             Output::Send { to: Recipient::One(peer), message } => sent.push((peer, message)),
//!             Output::Send { to: Recipient::All, .. } => {}
//!             Output::ScheduleTimeout { at, timer } => timers.push((at, timer)),
//!             Output::Persist(record) => wal.push(record),
//!             Output::Checkpoint(record) => wal = vec![record],
//!             Output::Request(()) => machine.handle(now, Input::Command(())).unwrap(),
//!             Output::Event(line) => println!("{line}"),
//!         }
//!     }
//!     // Next input: whichever of the inbox and the earliest timer comes first.
//!     timers.sort();
//!     let next_timer = timers.first().map(|t| t.0).unwrap_or(Timestamp::MAX);
//!     let input = match inbox.front() {
//!         Some((at, _)) if *at <= next_timer => inbox.pop_front().map(|(at, i)| (at, i)),
//!         _ if !timers.is_empty() => Some((next_timer, Input::Timeout(timers.remove(0).1))),
//!         _ => None,
//!     };
//!     let Some((at, input)) = input else { break };
//!     if at > Timestamp::from_secs(3) { break; }
//!     now = at;
//!     machine.handle(now, input).unwrap();
//! }
//! assert_eq!(sent, vec![(NodeId(7), "pong"), (NodeId(8), "pong")]);
//! assert_eq!(wal, vec![1, 2]);
//! // After a crash, the machine comes back with what it persisted.
//! assert_eq!(Counter::restore(&wal).pings, 2);
//! ```

use core::fmt;
use std::collections::VecDeque;

use crate::{NodeId, Timestamp};

/// The types one protocol speaks. Implemented by a marker type per protocol.
///
/// `Hash` on messages, timers and commands lets the simulator fingerprint a run cheaply.
pub trait Protocol: 'static {
    /// A message between peers (keep it cheap to clone: broadcasts clone it per recipient).
    type Message: Clone + fmt::Debug + core::hash::Hash;
    /// A timer the machine schedules; it comes back as [`Input::Timeout`].
    type Timer: Clone + fmt::Debug + core::hash::Hash;
    /// An instruction from the local host: an application command, or the answer to a
    /// [`Protocol::Request`].
    type Command: fmt::Debug + core::hash::Hash;
    /// Something the machine asks its host for (data to load, a value to validate, …).
    type Request: fmt::Debug;
    /// A record the host must make durable before carrying out later outputs.
    type Record: Clone + fmt::Debug;
    /// A report to the application (a decision, a verified shard, an alarm, …).
    type Event: fmt::Debug;
    /// Why an input was rejected. A rejected input leaves the machine as it was.
    type Error: fmt::Debug + fmt::Display;
}

/// Who a message goes to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Recipient {
    /// One peer.
    One(NodeId),
    /// Every peer the host knows for this protocol, except the sender itself.
    All,
}

/// One input to a machine.
#[derive(Debug)]
pub enum Input<P: Protocol> {
    /// A message from a peer. `from` is the transport's word for who sent it; authenticate
    /// anything that matters inside the message.
    Message {
        /// The peer it came from.
        from: NodeId,
        /// The message.
        message: P::Message,
    },
    /// A timer the machine scheduled has fired.
    Timeout(P::Timer),
    /// A command from the local application, or the host's answer to a request.
    Command(P::Command),
}

/// One instruction from a machine to its host.
#[derive(Debug)]
pub enum Output<P: Protocol> {
    /// Send a message.
    Send {
        /// Who to send it to.
        to: Recipient,
        /// The message.
        message: P::Message,
    },
    /// Feed [`Input::Timeout`]`(timer)` back at or after `at`.
    ScheduleTimeout {
        /// When the timer fires.
        at: Timestamp,
        /// Which timer.
        timer: P::Timer,
    },
    /// Append a record to durable storage before carrying out any later output.
    Persist(P::Record),
    /// Replace everything persisted so far with this one record (a snapshot), durably, before
    /// carrying out any later output.
    Checkpoint(P::Record),
    /// Ask the host for something; the answer comes back as [`Input::Command`].
    Request(P::Request),
    /// Report to the application.
    Event(P::Event),
}

/// A sans-IO state machine speaking protocol `P`. See the [module docs](self) for the contract.
pub trait Machine<P: Protocol> {
    /// Feeds one input at time `now`. An `Err` means the input was rejected and the machine's
    /// state is unchanged (outputs already queued stay queued).
    fn handle(&mut self, now: Timestamp, input: Input<P>) -> Result<(), P::Error>;

    /// The next output to carry out, or `None` when there is nothing to do.
    fn poll_output(&mut self) -> Option<Output<P>>;

    /// Drains every queued output, in order.
    fn drain_outputs(&mut self) -> Vec<Output<P>>
    where
        Self: Sized,
    {
        std::iter::from_fn(|| self.poll_output()).collect()
    }
}

impl<P: Protocol, M: Machine<P> + ?Sized> Machine<P> for Box<M> {
    fn handle(&mut self, now: Timestamp, input: Input<P>) -> Result<(), P::Error> {
        (**self).handle(now, input)
    }
    fn poll_output(&mut self) -> Option<Output<P>> {
        (**self).poll_output()
    }
}

/// A FIFO of outputs with helpers: embed one in a machine and return [`Outbox::pop`] from
/// [`Machine::poll_output`].
pub struct Outbox<P: Protocol> {
    queue: VecDeque<Output<P>>,
}

impl<P: Protocol> fmt::Debug for Outbox<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outbox")
            .field("queued", &self.queue.len())
            .finish()
    }
}

impl<P: Protocol> Default for Outbox<P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P: Protocol> Outbox<P> {
    /// An empty outbox.
    pub fn new() -> Self {
        Outbox {
            queue: VecDeque::new(),
        }
    }

    /// Queues any output.
    pub fn push(&mut self, output: Output<P>) {
        self.queue.push_back(output);
    }

    /// Queues a message to one peer.
    pub fn send(&mut self, to: NodeId, message: P::Message) {
        self.push(Output::Send {
            to: Recipient::One(to),
            message,
        });
    }

    /// Queues a message to every peer.
    pub fn broadcast(&mut self, message: P::Message) {
        self.push(Output::Send {
            to: Recipient::All,
            message,
        });
    }

    /// Queues a timer.
    pub fn schedule(&mut self, at: Timestamp, timer: P::Timer) {
        self.push(Output::ScheduleTimeout { at, timer });
    }

    /// Queues a record to persist.
    pub fn persist(&mut self, record: P::Record) {
        self.push(Output::Persist(record));
    }

    /// Queues a snapshot that replaces everything persisted.
    pub fn checkpoint(&mut self, record: P::Record) {
        self.push(Output::Checkpoint(record));
    }

    /// Queues a request to the host.
    pub fn request(&mut self, request: P::Request) {
        self.push(Output::Request(request));
    }

    /// Queues an event for the application.
    pub fn event(&mut self, event: P::Event) {
        self.push(Output::Event(event));
    }

    /// The next output.
    pub fn pop(&mut self) -> Option<Output<P>> {
        self.queue.pop_front()
    }

    /// Number of queued outputs.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Iterates the queued outputs without removing them.
    pub fn iter(&self) -> impl Iterator<Item = &Output<P>> {
        self.queue.iter()
    }
}
