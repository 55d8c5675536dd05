//! The disperser and aggregator (issue 12, item 4): [`Aggregator`] sends each committee member
//! its columns of an encoded payload, resends to silent members, collects their attestations
//! with zg-bls's optimistic aggregate check (bisecting on failure, dropping bad signers), and
//! forms a quorum [`Certificate`] once the signers hold `⌈2N/3⌉` seats **and** every column is
//! held by `k` distinct signers; at its deadline it gives up with a typed
//! [`AggregationFailure`].
//!
//! # Driving contract
//!
//! * Build with [`Aggregator::new`]`(now, config)`: it queues one [`Message::Store`] per member
//!   and its timers. Drain [`Machine::poll_output`] after every call.
//! * Feed members' [`Message::Attested`] and [`Message::Refused`] as [`Input::Message`] with the
//!   transport's authenticated `from`, and each [`Timer`] when it fires.
//! * Outputs: `Send`, `ScheduleTimeout`, `Event`. Nothing is persisted: an aggregator that
//!   restarts re-sends the deliveries, and signers answer a payload they already hold with their
//!   recorded attestation without verifying or signing again.
//! * Done after one [`Event::Certified`] or [`Event::Failed`]; later inputs return
//!   [`AggregatorError::Finished`].
//!
//! ```
//! use std::sync::Arc;
//! use zg_bls::{Bls, Scheme};
//! use zg_core::machine::{Input, Machine, Output, Recipient};
//! use zg_core::{Epoch, H256, NodeId, Timestamp};
//! use zg_da::aggregator::Event;
//! use zg_da::certificate::{DaCommittee, DaMember};
//! use zg_da::signer::{Command, Request};
//! use zg_da::*;
//! use zg_kzg::KzgSettings;
//!
//! let kzg = Arc::new(KzgSettings::mainnet()?);
//! let sks: Vec<_> = (0..4u8).map(|i| Bls::secret_key_from_seed(&[i + 1; 32])).collect();
//! let holders: Vec<SeatHolder> =
//!     (0..4u8).map(|i| SeatHolder { node: NodeId(i.into()), output: [i; 64], seats: 1 }).collect();
//! let custody = Custody::assign(&H256::new([2; 32]), &holders, 2)?;
//! let members = (0..4usize)
//!     .map(|i| DaMember { node: NodeId(i as u64), seats: 1, key: Bls::public_key(&sks[i]) })
//!     .collect();
//! let committee = Arc::new(DaCommittee::new(Epoch(1), custody.clone(), members, 1)?);
//! let payload = Arc::new(encode_payload(&kzg, b"to be certified")?);
//! let mut signers: Vec<Signer> = (0..4u64)
//!     .map(|i| Signer::new(kzg.clone(), SignerConfig {
//!         me: NodeId(i), epoch: Epoch(1), custody: Arc::new(custody.clone()),
//!         max_payloads: 4, max_payloads_per_peer: 4,
//!     }))
//!     .collect();
//! let aggregator_id = NodeId(99);
//! let mut agg = Aggregator::new(Timestamp::ZERO, AggregatorConfig {
//!     committee: committee.clone(), payload: payload.clone(), resend_ms: 1_000,
//!     deadline: Timestamp::from_secs(10),
//! });
//! // A tiny host: carry the aggregator's deliveries to signers and their answers back.
//! let mut certificate = None;
//! while let Some(out) = agg.poll_output() {
//!     match out {
//!         Output::Send { to: Recipient::One(node), message } => {
//!             let s = &mut signers[node.0 as usize];
//!             s.handle(Timestamp(1), Input::Message { from: aggregator_id, message })?;
//!             while let Some(o) = s.poll_output() {
//!                 match o {
//!                     Output::Request(Request::Sign { payload, message }) => {
//!                         let signature = Bls::sign(&sks[node.0 as usize], &message);
//!                         s.handle(Timestamp(2), Input::Command(Command::Signed { payload, signature }))?;
//!                     }
//!                     Output::Send { message, .. } => {
//!                         let _ = agg.handle(Timestamp(3), Input::Message { from: node, message });
//!                     }
//!                     _ => {}
//!                 }
//!             }
//!         }
//!         Output::Event(Event::Certified(c)) => certificate = Some(c),
//!         _ => {}
//!     }
//! }
//! let certificate = certificate.expect("a quorum signed");
//! // Anyone checks it against their own committee: one pairing equation.
//! assert!(certificate.verify(&committee, &payload.header().payload_id())? >= committee.quorum_seats());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Bounds and trust
//!
//! One signature slot per committee member, filled only by an attestation whose sender *is*
//! that member, for this payload and epoch; a second attestation from the same member, one
//! from a non-member or from a member already dropped for a bad signature is rejected before
//! any pairing. Signatures are checked only once enough seats and coverage are pending to
//! form a certificate, all pending ones in one aggregate equation, bisected on failure.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use zg_bls::{Bls, Scheme, SignerBitmap, Strictness, ValidatorIndex, verify_optimistic};
use zg_core::machine::{Input, Machine, Outbox, Output, Protocol};
use zg_core::{NodeId, Timestamp};

use crate::certificate::{Certificate, DaCommittee};
use crate::payload::EncodedPayload;
use crate::signer::{Message, Refusal, Signature};

/// The aggregation protocol: the disperser's side of [`Dispersal`](crate::Dispersal) (same
/// messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Aggregation;

impl Protocol for Aggregation {
    type Message = Message;
    type Timer = Timer;
    type Command = core::convert::Infallible;
    type Request = core::convert::Infallible;
    type Record = core::convert::Infallible;
    type Event = Event;
    type Error = AggregatorError;
}

/// Timers of the aggregator.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    /// Resend to members that have not answered.
    Resend,
    /// Give up.
    Deadline,
}

/// Why no certificate was formed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AggregationFailure {
    /// Seats whose valid attestation arrived.
    pub signed_seats: u64,
    /// Seats needed.
    pub required_seats: u64,
    /// Columns held by fewer than `k` valid signers.
    pub uncovered: Vec<u16>,
}

/// What the aggregator reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A member refused the delivery.
    Refused {
        /// The member.
        from: NodeId,
        /// Why.
        reason: Refusal,
    },
    /// A member's signature failed the aggregate check and bisection isolated it; it is
    /// dropped and not counted.
    BadSignature {
        /// The member.
        from: NodeId,
    },
    /// The quorum certificate.
    Certified(Box<Certificate>),
    /// The deadline passed without a quorum.
    Failed(AggregationFailure),
}

/// Why the aggregator rejected an input (its state is unchanged).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AggregatorError {
    /// The sender is not a committee member.
    #[error("{0} is not a committee member")]
    NotMember(NodeId),
    /// About another payload or epoch.
    #[error("attestation for another payload or epoch")]
    WrongPayload,
    /// The member already attested (or was dropped).
    #[error("{0} already attested or was dropped")]
    Duplicate(NodeId),
    /// A message an aggregator does not take.
    #[error("an aggregator does not take this message")]
    UnexpectedMessage,
    /// Finished.
    #[error("already finished")]
    Finished,
}

/// An aggregator's configuration.
#[derive(Clone, Debug)]
pub struct AggregatorConfig {
    /// The epoch's committee (with keys and the quorum rule).
    pub committee: Arc<DaCommittee>,
    /// The payload, encoded.
    pub payload: Arc<EncodedPayload>,
    /// Resend interval to silent members.
    pub resend_ms: u64,
    /// When to give up.
    pub deadline: Timestamp,
}

/// The disperser/aggregator. See the [module docs](self).
#[derive(Debug)]
pub struct Aggregator {
    config: AggregatorConfig,
    message: Vec<u8>,
    /// Signatures checked valid (as a set).
    verified: BTreeMap<ValidatorIndex, Signature>,
    /// Signatures not checked yet.
    pending: BTreeMap<ValidatorIndex, Signature>,
    /// Members dropped for a bad signature or that refused.
    dropped: BTreeSet<ValidatorIndex>,
    done: bool,
    out: Outbox<Aggregation>,
}

impl Aggregator {
    /// An aggregator; queues the deliveries and timers.
    pub fn new(now: Timestamp, config: AggregatorConfig) -> Self {
        let message = config
            .committee
            .attestation(&config.payload.header().payload_id());
        let mut a = Aggregator {
            message,
            config,
            verified: BTreeMap::new(),
            pending: BTreeMap::new(),
            dropped: BTreeSet::new(),
            done: false,
            out: Outbox::new(),
        };
        a.out.schedule(a.config.deadline, Timer::Deadline);
        a.send_all(now);
        a
    }

    /// Whether it has finished.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Seats whose signature verified so far.
    pub fn verified_seats(&self) -> u64 {
        self.config
            .committee
            .seats_of(&self.bitmap(self.verified.keys()))
    }

    fn bitmap<'a>(&self, idx: impl Iterator<Item = &'a ValidatorIndex>) -> SignerBitmap {
        let n = u16::try_from(self.config.committee.members().len()).unwrap_or(u16::MAX);
        let mut b = SignerBitmap::new(n);
        for i in idx {
            b.insert(*i);
        }
        b
    }

    /// Delivers to every member that has not answered; schedules the next resend.
    fn send_all(&mut self, now: Timestamp) {
        let committee = self.config.committee.clone();
        let header = self.config.payload.header().clone();
        for (i, m) in committee.members().iter().enumerate() {
            let idx = ValidatorIndex(u16::try_from(i).unwrap_or(u16::MAX));
            if self.verified.contains_key(&idx)
                || self.pending.contains_key(&idx)
                || self.dropped.contains(&idx)
            {
                continue;
            }
            self.out.send(
                m.node,
                Message::Store {
                    header: header.clone(),
                    epoch: committee.epoch(),
                    columns: self
                        .config
                        .payload
                        .columns_at(committee.custody().columns_of(m.node)),
                },
            );
        }
        let next = now.plus_millis(self.config.resend_ms);
        if next < self.config.deadline {
            self.out.schedule(next, Timer::Resend);
        }
    }

    /// Whether `signers` would form a certificate (seats and coverage).
    fn enough(&self, signers: &SignerBitmap) -> bool {
        let c = &self.config.committee;
        c.seats_of(signers) >= c.quorum_seats() && c.uncovered(signers).is_none()
    }

    /// Checks pending signatures once they could complete a quorum; certifies if they do.
    fn try_certify(&mut self) {
        let all = self.bitmap(self.verified.keys().chain(self.pending.keys()));
        if !self.enough(&all) {
            return;
        }
        let pending: Vec<(ValidatorIndex, Signature)> =
            std::mem::take(&mut self.pending).into_iter().collect();
        let keys = self.config.committee.weighted_keys();
        match verify_optimistic::<Bls>(&keys, &self.message, &pending, Strictness::Set) {
            Ok(outcome) => {
                for (i, s) in pending {
                    if outcome.signers.contains(i) {
                        self.verified.insert(i, s);
                    }
                }
                for i in outcome.rejected {
                    self.dropped.insert(i);
                    if let Some(m) = self.config.committee.members().get(i.get()) {
                        self.out.event(Event::BadSignature { from: m.node });
                    }
                }
            }
            // Indices come from the committee and one slot per member: unreachable, but a
            // refusal is no reason to count anything.
            Err(_) => return,
        }
        let signers = self.bitmap(self.verified.keys());
        if !self.enough(&signers) {
            return;
        }
        let Some(signature) = Bls::aggregate_signatures(self.verified.values()) else {
            return;
        };
        let c = &self.config.committee;
        let certificate = Certificate {
            epoch: c.epoch(),
            committee: c.reference(),
            payload_id: self.config.payload.header().payload_id(),
            signers,
            signature,
        };
        self.done = true;
        self.out.event(Event::Certified(Box::new(certificate)));
    }

    fn fail(&mut self) {
        self.done = true;
        let signers = self.bitmap(self.verified.keys());
        let c = &self.config.committee;
        let uncovered = (0..crate::COLUMNS)
            .filter_map(|j| {
                let have = c
                    .custody()
                    .holders(j)
                    .iter()
                    .filter(|n| c.index_of(**n).is_some_and(|i| signers.contains(i)))
                    .count();
                (have < usize::from(c.coverage())).then(|| u16::try_from(j).unwrap_or(u16::MAX))
            })
            .collect();
        self.out.event(Event::Failed(AggregationFailure {
            signed_seats: c.seats_of(&signers),
            required_seats: c.quorum_seats(),
            uncovered,
        }));
    }

    fn on_message(&mut self, from: NodeId, message: Message) -> Result<(), AggregatorError> {
        let c = self.config.committee.clone();
        let idx = c.index_of(from).ok_or(AggregatorError::NotMember(from))?;
        let payload = self.config.payload.header().payload_id();
        match message {
            Message::Attested {
                payload: p,
                epoch,
                signature,
            } => {
                if p != payload || epoch != c.epoch() {
                    return Err(AggregatorError::WrongPayload);
                }
                if self.verified.contains_key(&idx)
                    || self.pending.contains_key(&idx)
                    || self.dropped.contains(&idx)
                {
                    return Err(AggregatorError::Duplicate(from));
                }
                self.pending.insert(idx, signature);
                self.try_certify();
                Ok(())
            }
            Message::Refused { payload: p, reason } => {
                if p != payload {
                    return Err(AggregatorError::WrongPayload);
                }
                if self.verified.contains_key(&idx) || self.pending.contains_key(&idx) {
                    return Err(AggregatorError::Duplicate(from));
                }
                // A full signer may have room later: keep resending to it; anything else
                // will not change by resending the same delivery.
                if reason != Refusal::Full && self.dropped.insert(idx) {
                    self.out.event(Event::Refused { from, reason });
                }
                Ok(())
            }
            _ => Err(AggregatorError::UnexpectedMessage),
        }
    }
}

impl Machine<Aggregation> for Aggregator {
    fn handle(&mut self, now: Timestamp, input: Input<Aggregation>) -> Result<(), AggregatorError> {
        if self.done {
            return Err(AggregatorError::Finished);
        }
        match input {
            Input::Message { from, message } => self.on_message(from, message),
            Input::Timeout(Timer::Resend) => {
                self.send_all(now);
                Ok(())
            }
            Input::Timeout(Timer::Deadline) => {
                if now >= self.config.deadline {
                    self.fail();
                }
                Ok(())
            }
            Input::Command(never) => match never {},
        }
    }

    fn poll_output(&mut self) -> Option<Output<Aggregation>> {
        self.out.pop()
    }
}
