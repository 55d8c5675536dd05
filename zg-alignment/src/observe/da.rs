//! The DA observer: each availability certificate checked, and each committee member's
//! participation counted against its seats.
//!
//! # What it checks
//!
//! A certificate `(blob, certificate)` from the configured chain node is verified with zg-bls
//! against the epoch's DA committee (`(node, BLS key, seats)` in committee order, from zg-vrf's
//! sortition over the stake table: trusted): the bitmap covers the committee, the signers hold
//! at least `⌈2·S/3⌉` of its `S` seats, the aggregate verifies over the attestation bytes. Each
//! member then has one duty per certificate: **done** if it signed, **failed** if it did not,
//! with evidence `Keccak-256("zg-alignment/evidence/da-absent/v1" ‖ attestation ‖ certificate)`.
//! Participation is therefore weighed by seats through the score: a member with more seats is
//! due on every certificate like any other, and its seats are what the certificate's quorum
//! counted.
//!
//! The attestation bytes are this crate's input form until zg-da fixes its own:
//! `"zg-da/attest/v1" ‖ u64_be(epoch) ‖ blob(32)`.
//!
//! **Not yet here**: spot samples of the cells a signer should hold (KZG cell proofs with
//! zg-kzg); a signer that signs without holding its cells is caught only once samples exist.
//!
//! # Bounds
//!
//! The ledger (one record per member) and one blob hash per counted certificate, at most
//! [`Config::max_certificates`]; anything not from the chain node, not verifying, or counted
//! before is refused without state.
//!
//! # Driving contract
//!
//! Feed [`Input::Message`]s from the chain node; drain [`poll_output`](Machine::poll_output) after
//! each (only [`Event`]s). No timers, commands or records; at the epoch's end call
//! [`close`](DaObserver::close).
//!
//! ```
//! use zg_alignment::observe::da::{Config, DaObserver, Event, Observation, attestation_bytes};
//! use zg_bls::{AggregateCertificate, Bls, Scheme, SignerBitmap, ValidatorIndex};
//! use zg_core::machine::{Input, Machine, Output};
//! use zg_core::{Epoch, H256, NodeId, Timestamp};
//!
//! let keys: Vec<_> = (0..3u8).map(|i| Bls::secret_key_from_seed(&[i + 9; 32])).collect();
//! let committee = keys.iter().enumerate().map(|(i, k)| (NodeId(i as u64), Bls::public_key(k), 2)).collect();
//! let cfg = Config { epoch: Epoch(4), chain: NodeId(99), max_certificates: 100 };
//! let mut obs = DaObserver::new(cfg, committee)?;
//! let blob = H256([1; 32]);
//! let msg = attestation_bytes(Epoch(4), &blob);
//! let mut signers = SignerBitmap::new(3);
//! signers.insert(ValidatorIndex(0));
//! signers.insert(ValidatorIndex(1));
//! let sigs: Vec<_> = keys[..2].iter().map(|k| Bls::sign(k, &msg)).collect();
//! let certificate = Box::new(AggregateCertificate { signers, signature: Bls::aggregate_signatures(&sigs).unwrap() });
//! obs.handle(Timestamp::ZERO, Input::Message { from: NodeId(99), message: Observation { blob, certificate } })?;
//! assert!(matches!(obs.poll_output(), Some(Output::Event(Event::Absent { node: NodeId(2), .. }))));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeSet;

use zg_bls::{AggregateCertificate, Bls, BlsPublicKey, ValidatorIndex};
use zg_core::machine::{Input, Machine, Outbox, Output, Protocol};
use zg_core::{Epoch, H256, NodeId, Timestamp};

use super::ObserveError;
use crate::duty::{DutyLedger, DutyRecord, Role, Subject};

const ABSENT_DOMAIN: &[u8] = b"zg-alignment/evidence/da-absent/v1";

/// The bytes DA committee members sign for a blob (see the [module docs](self)).
pub fn attestation_bytes(epoch: Epoch, blob: &H256) -> Vec<u8> {
    let mut m = Vec::with_capacity(15 + 8 + 32);
    m.extend_from_slice(b"zg-da/attest/v1");
    m.extend_from_slice(&epoch.0.to_be_bytes());
    m.extend_from_slice(blob.as_bytes());
    m
}

/// The observer's configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// The epoch of the committee.
    pub epoch: Epoch,
    /// The chain node certificates are accepted from.
    pub chain: NodeId,
    /// Most certificates counted in the epoch.
    pub max_certificates: usize,
}

/// A certificate seen on chain.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Observation {
    /// The blob's commitment hash.
    pub blob: H256,
    /// Who attested, and the aggregate (boxed: the signature is large).
    pub certificate: Box<AggregateCertificate<Bls>>,
}

/// What the observer reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A member is missing from a verified certificate.
    Absent {
        /// The member.
        node: NodeId,
        /// The evidence hash.
        evidence: H256,
    },
}

/// The observer's protocol marker.
#[derive(Clone, Copy, Debug)]
pub struct Availability;

impl Protocol for Availability {
    type Message = Observation;
    type Timer = core::convert::Infallible;
    type Command = core::convert::Infallible;
    type Request = core::convert::Infallible;
    type Record = core::convert::Infallible;
    type Event = Event;
    type Error = ObserveError;
}

/// The DA observer (see the [module docs](self)).
#[derive(Debug)]
pub struct DaObserver {
    cfg: Config,
    nodes: Vec<NodeId>,
    members: Vec<(BlsPublicKey, u128)>,
    quorum: u128,
    seen: BTreeSet<H256>,
    ledger: DutyLedger,
    out: Outbox<Availability>,
}

impl DaObserver {
    /// An observer of `committee` (`(node, BLS key, seats)` in committee order: trusted).
    ///
    /// # Errors
    /// [`ObserveError::Bound`] for more than `u16::MAX` members.
    pub fn new(
        cfg: Config,
        committee: Vec<(NodeId, BlsPublicKey, u64)>,
    ) -> Result<DaObserver, ObserveError> {
        let max = usize::from(u16::MAX);
        if committee.len() > max {
            return Err(ObserveError::Bound {
                what: "members",
                max,
            });
        }
        let nodes: Vec<NodeId> = committee.iter().map(|m| m.0).collect();
        let members: Vec<(BlsPublicKey, u128)> = committee
            .into_iter()
            .map(|m| (m.1, u128::from(m.2)))
            .collect();
        let seats = members.iter().fold(0u128, |a, m| a.saturating_add(m.1));
        let roster = nodes.iter().map(|n| Subject {
            node: *n,
            role: Role::Da,
        });
        Ok(DaObserver {
            ledger: DutyLedger::new(cfg.epoch, roster, max)?,
            cfg,
            nodes,
            members,
            quorum: (seats.saturating_mul(2)).div_ceil(3).max(1),
            seen: BTreeSet::new(),
            out: Outbox::new(),
        })
    }

    /// Certificates counted so far.
    pub fn certificates(&self) -> usize {
        self.seen.len()
    }

    /// Closes the epoch and returns the records.
    pub fn close(&mut self) -> Vec<DutyRecord> {
        self.ledger.close().to_vec()
    }

    fn on_certificate(
        &mut self,
        blob: H256,
        cert: &AggregateCertificate<Bls>,
    ) -> Result<(), ObserveError> {
        if self.seen.contains(&blob) {
            return Err(ObserveError::Duplicate);
        }
        if self.seen.len() >= self.cfg.max_certificates {
            return Err(ObserveError::Bound {
                what: "certificates",
                max: self.cfg.max_certificates,
            });
        }
        let msg = attestation_bytes(self.cfg.epoch, &blob);
        cert.verify(&self.members, &msg, self.quorum)
            .map_err(|_| ObserveError::Invalid)?;
        self.seen.insert(blob);
        let mut evidence = None;
        for (i, node) in self.nodes.iter().enumerate() {
            let s = Subject {
                node: *node,
                role: Role::Da,
            };
            self.ledger.schedule(s, 1)?;
            let bit = u16::try_from(i).map_err(|_| ObserveError::Invalid)?;
            if cert.signers.contains(ValidatorIndex(bit)) {
                self.ledger.done(s)?;
            } else {
                let e = *evidence.get_or_insert_with(|| {
                    zg_core::keccak256_parts(&[ABSENT_DOMAIN, &msg, &cert.to_bytes()])
                });
                self.ledger.failed(s, &e)?;
                self.out.event(Event::Absent {
                    node: *node,
                    evidence: e,
                });
            }
        }
        Ok(())
    }
}

impl Machine<Availability> for DaObserver {
    fn handle(&mut self, _now: Timestamp, input: Input<Availability>) -> Result<(), ObserveError> {
        match input {
            Input::Message { from, message } => {
                if from != self.cfg.chain {
                    return Err(ObserveError::NotFromChain);
                }
                self.on_certificate(message.blob, &message.certificate)
            }
            Input::Timeout(never) => match never {},
            Input::Command(never) => match never {},
        }
    }

    fn poll_output(&mut self) -> Option<Output<Availability>> {
        self.out.pop()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zg_bls::{BlsSecretKey, Scheme, SignerBitmap};

    const CHAIN: NodeId = NodeId(99);

    fn setup(seats: &[u64], max: usize) -> (Vec<BlsSecretKey>, DaObserver) {
        let keys: Vec<BlsSecretKey> = (0..seats.len())
            .map(|i| Bls::secret_key_from_seed(&[i as u8 + 1; 32]))
            .collect();
        let c = keys
            .iter()
            .zip(seats)
            .enumerate()
            .map(|(i, (k, s))| (NodeId(i as u64), Bls::public_key(k), *s))
            .collect();
        (
            keys,
            DaObserver::new(
                Config {
                    epoch: Epoch(4),
                    chain: CHAIN,
                    max_certificates: max,
                },
                c,
            )
            .unwrap(),
        )
    }

    fn cert(keys: &[BlsSecretKey], signers: &[usize], blob: H256, epoch: Epoch) -> Observation {
        let msg = attestation_bytes(epoch, &blob);
        let mut bm = SignerBitmap::new(keys.len() as u16);
        let sigs: Vec<_> = signers
            .iter()
            .map(|&i| {
                bm.insert(ValidatorIndex(i as u16));
                Bls::sign(&keys[i], &msg)
            })
            .collect();
        Observation {
            blob,
            certificate: Box::new(AggregateCertificate {
                signers: bm,
                signature: Bls::aggregate_signatures(&sigs).unwrap(),
            }),
        }
    }

    fn feed(o: &mut DaObserver, from: NodeId, m: Observation) -> Result<(), ObserveError> {
        o.handle(Timestamp::ZERO, Input::Message { from, message: m })
    }

    #[test]
    fn quorum_is_counted_in_seats_and_absences_fail() {
        // Member 0 holds 4 of 6 seats: alone it is a quorum (⌈12/3⌉ = 4).
        let (keys, mut o) = setup(&[4, 1, 1], 10);
        feed(&mut o, CHAIN, cert(&keys, &[0], H256([1; 32]), Epoch(4))).unwrap();
        // Members 1 and 2 hold 2 seats: not a quorum, however many they are.
        assert_eq!(
            feed(&mut o, CHAIN, cert(&keys, &[1, 2], H256([2; 32]), Epoch(4))),
            Err(ObserveError::Invalid)
        );
        let r = o.close();
        assert_eq!((r[0].done, r[1].failed, r[2].failed), (1, 1, 1));
    }

    #[test]
    fn replays_forgeries_and_floods_create_nothing() {
        let (keys, mut o) = setup(&[1, 1, 1], 5);
        let c = cert(&keys, &[0, 1], H256([1; 32]), Epoch(4));
        assert_eq!(
            feed(&mut o, NodeId(3), c.clone()),
            Err(ObserveError::NotFromChain)
        );
        // Signed for epoch 3, replayed in 4.
        assert_eq!(
            feed(&mut o, CHAIN, cert(&keys, &[0, 1], H256([1; 32]), Epoch(3))),
            Err(ObserveError::Invalid)
        );
        feed(&mut o, CHAIN, c.clone()).unwrap();
        assert_eq!(feed(&mut o, CHAIN, c), Err(ObserveError::Duplicate));
        for b in 2..40u8 {
            let _ = feed(
                &mut o,
                CHAIN,
                cert(&keys, &[0, 1, 2], H256([b; 32]), Epoch(4)),
            );
        }
        assert_eq!(o.certificates(), 5);
        assert_eq!(o.close()[2].due, 5);
    }
}
