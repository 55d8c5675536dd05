//! The serving observer: settlements on chain against the receipts users report, and latency
//! against a stated objective.
//!
//! # What it checks
//!
//! * Users report their receipts (`from` is the user: a receipt naming another user is
//!   refused). Per (user, provider) the observer keeps the count and the sum of the fees the
//!   user agreed to, and the count of receipts over the latency objective.
//! * A **settlement** from the configured chain node, `(provider, user, count, total)`, is one
//!   duty of the provider: **done** when the epoch's settlements of the pair so far (this one
//!   included) total at most the receipts' sum and count, **failed** (over-charge, or the same
//!   receipts settled twice) otherwise, with evidence `Keccak-256("zg-alignment/evidence/
//!   overcharge/v1" ‖ u64_be(provider) ‖ u64_be(user) ‖ u32_be(settled count) ‖
//!   u128_be(settled total) ‖ u32_be(receipts) ‖ u128_be(receipts' sum))`, and **not measured**
//!   when the user reported no receipt for that provider (nothing to compare with).
//! * At the close, each provider with receipts has one latency duty: **failed** when more than
//!   [`Config::latency_slack_bps`] of its receipts took longer than
//!   [`Config::latency_objective_ms`], with the counts hashed as evidence. Latency is the user's
//!   word; a user can only move its own receipts, and a provider fails only on the share over
//!   all its users.
//!
//! # Bounds
//!
//! At most [`Config::max_pairs`] (user, provider) pairs, 72 bytes each; a receipt for a provider
//! off the roster or beyond the bound is refused without state. Counters saturate at their type.
//!
//! # Driving contract
//!
//! Feed [`Input::Message`]s: receipts from users, settlements from the chain node. Drain
//! [`poll_output`](Machine::poll_output) after each: only [`Event`]s come out. No timers,
//! commands or records: at the epoch's end call [`close`](ServingObserver::close).
//!
//! ```
//! use zg_alignment::observe::serving::{Config, Event, Observation, ServingObserver};
//! use zg_core::machine::{Input, Machine, Output};
//! use zg_core::{Epoch, NodeId, Timestamp};
//!
//! let cfg = Config { epoch: Epoch(1), chain: NodeId(99), latency_objective_ms: 2_000,
//!                    latency_slack_bps: 500, max_pairs: 1_000 };
//! let mut obs = ServingObserver::new(cfg, [NodeId(7)])?;
//! for fee in [10, 20] {
//!     let r = Observation::Receipt { user: 1, provider: NodeId(7), fee, latency_ms: 300 };
//!     obs.handle(Timestamp::ZERO, Input::Message { from: NodeId(1), message: r })?;
//! }
//! // The provider settles 40 for two receipts worth 30.
//! let s = Observation::Settlement { provider: NodeId(7), user: 1, count: 2, total: 40 };
//! obs.handle(Timestamp::ZERO, Input::Message { from: NodeId(99), message: s })?;
//! assert!(matches!(obs.poll_output(), Some(Output::Event(Event::Overcharged { .. }))));
//! let r = obs.close();
//! assert_eq!((r[0].failed, r[0].done), (1, 1)); // over-charge failed, latency done
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use zg_core::machine::{Input, Machine, Outbox, Output, Protocol};
use zg_core::{Epoch, H256, NodeId, Timestamp};

use super::ObserveError;
use crate::duty::{BPS, DutyLedger, DutyRecord, Role, Subject};

const OVERCHARGE_DOMAIN: &[u8] = b"zg-alignment/evidence/overcharge/v1";
const LATENCY_DOMAIN: &[u8] = b"zg-alignment/evidence/latency/v1";

/// The observer's configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// The epoch.
    pub epoch: Epoch,
    /// The chain node settlements are accepted from.
    pub chain: NodeId,
    /// The latency objective per request.
    pub latency_objective_ms: u64,
    /// Share of receipts allowed over the objective, in basis points.
    pub latency_slack_bps: u16,
    /// Most (user, provider) pairs tracked.
    pub max_pairs: usize,
}

/// What the observer is fed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Observation {
    /// A receipt a user reports (the user is the transport peer `from`, named again here).
    Receipt {
        /// The user (must equal `from`).
        user: u64,
        /// The provider that served.
        provider: NodeId,
        /// The fee the user agreed to.
        fee: u128,
        /// Time from request to the last token.
        latency_ms: u64,
    },
    /// A settlement on chain, from the chain node.
    Settlement {
        /// The provider that settled.
        provider: NodeId,
        /// The user charged.
        user: u64,
        /// Receipts settled.
        count: u32,
        /// Amount charged.
        total: u128,
    },
}

/// What the observer reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A provider settled more than the user's receipts allow.
    Overcharged {
        /// The provider.
        provider: NodeId,
        /// The evidence hash.
        evidence: H256,
    },
    /// A provider missed the latency objective (at the close).
    Slow {
        /// The provider.
        provider: NodeId,
        /// The evidence hash.
        evidence: H256,
    },
}

/// The observer's protocol marker.
#[derive(Clone, Copy, Debug)]
pub struct Serving;

impl Protocol for Serving {
    type Message = Observation;
    type Timer = core::convert::Infallible;
    type Command = core::convert::Infallible;
    type Request = core::convert::Infallible;
    type Record = core::convert::Infallible;
    type Event = Event;
    type Error = ObserveError;
}

#[derive(Clone, Copy, Debug, Default)]
struct Pair {
    receipts: u32,
    slow: u32,
    sum: u128,
    /// Receipts and amount settled so far this epoch (batches add up: two settlements of the
    /// same receipts are a double charge).
    settled_count: u32,
    settled_sum: u128,
}

/// The serving observer (see the [module docs](self)).
#[derive(Debug)]
pub struct ServingObserver {
    cfg: Config,
    /// `(provider, user) → counts`, sorted.
    pairs: Vec<((NodeId, u64), Pair)>,
    ledger: DutyLedger,
    out: Outbox<Serving>,
}

impl ServingObserver {
    /// An observer of the providers on `roster` (from the chain: trusted).
    ///
    /// # Errors
    /// [`ObserveError::Duty`] if the roster exceeds `u16::MAX` providers.
    pub fn new(
        cfg: Config,
        roster: impl IntoIterator<Item = NodeId>,
    ) -> Result<ServingObserver, ObserveError> {
        let subjects = roster.into_iter().map(|node| Subject {
            node,
            role: Role::Serving,
        });
        Ok(ServingObserver {
            cfg,
            pairs: Vec::new(),
            ledger: DutyLedger::new(cfg.epoch, subjects, usize::from(u16::MAX))?,
            out: Outbox::new(),
        })
    }

    /// Pairs tracked now.
    pub fn pairs(&self) -> usize {
        self.pairs.len()
    }

    fn on_receipt(
        &mut self,
        from: NodeId,
        user: u64,
        provider: NodeId,
        fee: u128,
        latency_ms: u64,
    ) -> Result<(), ObserveError> {
        if from.0 != user {
            return Err(ObserveError::Invalid);
        }
        let subject = Subject {
            node: provider,
            role: Role::Serving,
        };
        if self.ledger.record(subject).is_none() {
            return Err(crate::duty::DutyError::UnknownSubject { subject }.into());
        }
        let i = match self.pairs.binary_search_by_key(&(provider, user), |p| p.0) {
            Ok(i) => i,
            Err(i) => {
                if self.pairs.len() >= self.cfg.max_pairs {
                    return Err(ObserveError::Bound {
                        what: "pairs",
                        max: self.cfg.max_pairs,
                    });
                }
                self.pairs.insert(i, ((provider, user), Pair::default()));
                i
            }
        };
        let p = &mut self.pairs[i].1;
        p.receipts = p.receipts.saturating_add(1);
        p.sum = p.sum.saturating_add(fee);
        if latency_ms > self.cfg.latency_objective_ms {
            p.slow = p.slow.saturating_add(1);
        }
        Ok(())
    }

    fn on_settlement(
        &mut self,
        provider: NodeId,
        user: u64,
        count: u32,
        total: u128,
    ) -> Result<(), ObserveError> {
        let subject = Subject {
            node: provider,
            role: Role::Serving,
        };
        self.ledger.schedule(subject, 1)?;
        let Ok(i) = self.pairs.binary_search_by_key(&(provider, user), |p| p.0) else {
            return Ok(self.ledger.not_measured(subject)?);
        };
        let p = &mut self.pairs[i].1;
        p.settled_count = p.settled_count.saturating_add(count);
        p.settled_sum = p.settled_sum.saturating_add(total);
        let p = *p;
        if p.settled_sum <= p.sum && p.settled_count <= p.receipts {
            return Ok(self.ledger.done(subject)?);
        }
        let evidence = zg_core::keccak256_parts(&[
            OVERCHARGE_DOMAIN,
            &provider.0.to_be_bytes(),
            &user.to_be_bytes(),
            &p.settled_count.to_be_bytes(),
            &p.settled_sum.to_be_bytes(),
            &p.receipts.to_be_bytes(),
            &p.sum.to_be_bytes(),
        ]);
        self.ledger.failed(subject, &evidence)?;
        self.out.event(Event::Overcharged { provider, evidence });
        Ok(())
    }

    /// Closes the epoch: one latency duty per provider with receipts, then the records.
    pub fn close(&mut self) -> Vec<DutyRecord> {
        let mut totals: Vec<(NodeId, u64, u64)> = Vec::new();
        for ((provider, _), p) in &self.pairs {
            match totals.last_mut() {
                Some(t) if t.0 == *provider => {
                    t.1 += u64::from(p.receipts);
                    t.2 += u64::from(p.slow);
                }
                _ => totals.push((*provider, u64::from(p.receipts), u64::from(p.slow))),
            }
        }
        for (provider, receipts, slow) in totals {
            let subject = Subject {
                node: provider,
                role: Role::Serving,
            };
            // Providers with receipts are on the roster (checked when the receipt came in).
            if self.ledger.schedule(subject, 1).is_err() {
                continue;
            }
            let over = u128::from(slow) * u128::from(BPS)
                > u128::from(receipts) * u128::from(self.cfg.latency_slack_bps);
            let outcome = if over {
                let evidence = zg_core::keccak256_parts(&[
                    LATENCY_DOMAIN,
                    &provider.0.to_be_bytes(),
                    &self.cfg.latency_objective_ms.to_be_bytes(),
                    &receipts.to_be_bytes(),
                    &slow.to_be_bytes(),
                ]);
                self.out.event(Event::Slow { provider, evidence });
                self.ledger.failed(subject, &evidence)
            } else {
                self.ledger.done(subject)
            };
            // A duty was just scheduled, so ending it cannot fail.
            debug_assert!(outcome.is_ok());
        }
        self.ledger.close().to_vec()
    }
}

impl Machine<Serving> for ServingObserver {
    fn handle(&mut self, _now: Timestamp, input: Input<Serving>) -> Result<(), ObserveError> {
        match input {
            Input::Message { from, message } => match message {
                Observation::Receipt {
                    user,
                    provider,
                    fee,
                    latency_ms,
                } => self.on_receipt(from, user, provider, fee, latency_ms),
                Observation::Settlement {
                    provider,
                    user,
                    count,
                    total,
                } => {
                    if from != self.cfg.chain {
                        return Err(ObserveError::NotFromChain);
                    }
                    self.on_settlement(provider, user, count, total)
                }
            },
            Input::Timeout(never) => match never {},
            Input::Command(never) => match never {},
        }
    }

    fn poll_output(&mut self) -> Option<Output<Serving>> {
        self.out.pop()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHAIN: NodeId = NodeId(99);

    fn setup(max_pairs: usize) -> ServingObserver {
        let cfg = Config {
            epoch: Epoch(1),
            chain: CHAIN,
            latency_objective_ms: 1_000,
            latency_slack_bps: 1_000,
            max_pairs,
        };
        ServingObserver::new(cfg, [NodeId(7), NodeId(8)]).unwrap()
    }

    fn receipt(
        o: &mut ServingObserver,
        user: u64,
        provider: u64,
        fee: u128,
        latency_ms: u64,
    ) -> Result<(), ObserveError> {
        let m = Observation::Receipt {
            user,
            provider: NodeId(provider),
            fee,
            latency_ms,
        };
        o.handle(
            Timestamp::ZERO,
            Input::Message {
                from: NodeId(user),
                message: m,
            },
        )
    }

    fn settle(
        o: &mut ServingObserver,
        from: NodeId,
        provider: u64,
        user: u64,
        count: u32,
        total: u128,
    ) -> Result<(), ObserveError> {
        let m = Observation::Settlement {
            provider: NodeId(provider),
            user,
            count,
            total,
        };
        o.handle(Timestamp::ZERO, Input::Message { from, message: m })
    }

    #[test]
    fn honest_settlements_pass_overcharges_fail() {
        let mut o = setup(10);
        for _ in 0..10 {
            receipt(&mut o, 1, 7, 5, 100).unwrap();
            receipt(&mut o, 2, 8, 5, 100).unwrap();
        }
        settle(&mut o, CHAIN, 7, 1, 10, 50).unwrap();
        settle(&mut o, CHAIN, 8, 2, 10, 51).unwrap(); // one unit too many
        settle(&mut o, CHAIN, 8, 3, 1, 5).unwrap(); // user 3 reported nothing
        // The same receipts settled again: a double charge.
        settle(&mut o, CHAIN, 7, 1, 10, 50).unwrap();
        let r = o.close();
        assert_eq!((r[0].due, r[0].done, r[0].failed), (3, 2, 1));
        assert_eq!(
            (r[1].due, r[1].done, r[1].failed, r[1].not_measured),
            (3, 1, 1, 1)
        );
    }

    #[test]
    fn forged_receipts_and_settlements_create_nothing() {
        let mut o = setup(10);
        // User 2 reports a receipt in user 1's name: it would raise what 7 may charge user 1.
        let m = Observation::Receipt {
            user: 1,
            provider: NodeId(7),
            fee: 1_000,
            latency_ms: 1,
        };
        assert_eq!(
            o.handle(
                Timestamp::ZERO,
                Input::Message {
                    from: NodeId(2),
                    message: m
                }
            ),
            Err(ObserveError::Invalid)
        );
        // A settlement not from the chain node.
        assert_eq!(
            settle(&mut o, NodeId(3), 7, 1, 1, 1),
            Err(ObserveError::NotFromChain)
        );
        // A provider off the roster.
        assert!(receipt(&mut o, 1, 9, 1, 1).is_err());
        assert_eq!(o.pairs(), 0);
        let r = o.close();
        assert!(r.iter().all(|x| x.due == 0));
    }

    #[test]
    fn a_receipt_flood_stays_within_max_pairs() {
        let mut o = setup(16);
        let mut ok = 0;
        for user in 0..1_000u64 {
            if receipt(&mut o, user, 7 + user % 2, 1, 1).is_ok() {
                ok += 1;
            }
        }
        assert_eq!((ok, o.pairs()), (16, 16));
        // The same pairs keep counting (bounded state, not bounded volume).
        for _ in 0..100 {
            receipt(&mut o, 0, 7, 1, 1).unwrap();
        }
        assert_eq!(o.pairs(), 16);
    }

    #[test]
    fn latency_fails_only_beyond_the_slack() {
        let mut o = setup(10);
        // Provider 7: 1 slow in 10 (= slack, passes); provider 8: 2 slow in 10 (fails).
        for i in 0..10 {
            receipt(&mut o, 1, 7, 1, if i == 0 { 5_000 } else { 10 }).unwrap();
            receipt(&mut o, 1, 8, 1, if i < 2 { 5_000 } else { 10 }).unwrap();
        }
        let r = o.close();
        assert_eq!((r[0].done, r[0].failed), (1, 0));
        assert_eq!((r[1].done, r[1].failed), (0, 1));
        assert!(matches!(
            o.poll_output(),
            Some(Output::Event(Event::Slow {
                provider: NodeId(8),
                ..
            }))
        ));
    }
}
