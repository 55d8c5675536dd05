//! The validator observer: commit certificates per partition and height, the votes each
//! validator signed or missed, and equivocation evidence.
//!
//! # What it checks
//!
//! * A **commit** `(partition, height, round, value, certificate)` from the configured chain
//!   node is verified with zg-bls against the epoch's validator set (the stake table's
//!   `(BLS key, stake)` rows, in table order): the bitmap covers the set, the signers hold more
//!   than two thirds of the stake, the aggregate verifies over the vote bytes. Then every
//!   validator has one duty for it: **done** if its bit is set, **failed** otherwise, with
//!   evidence `Keccak-256("zg-alignment/evidence/missed-vote/v1" ‖ vote bytes ‖ certificate)`
//!   — anyone holding the certificate can check it verifies and leaves the validator out.
//! * An **equivocation** (two votes of one validator for one partition, height, round and kind
//!   with different values), from any peer: each signature is verified **on its own** (an
//!   aggregate proves nothing about one member). The validator fails one duty with evidence
//!   `Keccak-256("zg-alignment/evidence/equivocation/v1" ‖ both vote bytes ‖ both signatures)`
//!   and the evidence is forwarded to every peer, once per validator per epoch.
//!
//! The vote bytes mirror zg-consensus's wire form (this crate does not depend on it):
//! `"zgc/vote" ‖ network(32) ‖ u32_be(partition) ‖ u64_be(epoch) ‖ u64_be(height) ‖
//! u32_be(round) ‖ u8(kind) ‖ u8(1) ‖ value(32)`, kind 0 = prevote, 1 = precommit.
//!
//! # Bounds
//!
//! State is the ledger (one record per validator), one `(partition, height)` pair per counted
//! commit, at most [`Config::max_commits`], and one flag per validator for equivocation. Inputs
//! from anyone but the chain node, certificates that do not verify, duplicates and a second
//! equivocation of one validator are refused without creating state.
//!
//! # Driving contract
//!
//! Build with [`ValidatorObserver::new`] from the epoch's validator set. Feed
//! [`Input::Message`]s (`from` is the transport's authenticated peer); drain
//! [`poll_output`](Machine::poll_output) after each until `None`: [`Event`]s report failures
//! with their evidence, [`Output::Send`] forwards verified equivocation evidence. There are no
//! timers, commands, requests or records: the observer's state is one epoch's and is rebuilt
//! from the chain's certificates after a restart. At the epoch's end, [`close`](ValidatorObserver::close)
//! gives the ledger's records for the [`EpochReport`](crate::report::EpochReport).
//!
//! ```
//! use zg_alignment::observe::validator::{Config, Event, Observation, ValidatorObserver, vote_bytes};
//! use zg_bls::{AggregateCertificate, Bls, Scheme, SignerBitmap, ValidatorIndex};
//! use zg_core::machine::{Input, Machine, Output};
//! use zg_core::{Epoch, H256, NodeId, Timestamp};
//!
//! let keys: Vec<_> = (0..4u8).map(|i| Bls::secret_key_from_seed(&[i + 1; 32])).collect();
//! let set = keys.iter().enumerate().map(|(i, k)| (NodeId(i as u64), Bls::public_key(k), 10)).collect();
//! let cfg = Config { network: H256([1; 32]), epoch: Epoch(2), chain: NodeId(99), max_commits: 1_000 };
//! let mut obs = ValidatorObserver::new(cfg, set)?;
//!
//! // Validators 0..3 sign height 5 of partition 0; validator 3 is missing from the bitmap.
//! let msg = vote_bytes(&H256([1; 32]), 0, Epoch(2), 5, 0, 1, &H256([5; 32]));
//! let mut signers = SignerBitmap::new(4);
//! for i in 0..3 { signers.insert(ValidatorIndex(i)); }
//! let sigs: Vec<_> = keys[..3].iter().map(|k| Bls::sign(k, &msg)).collect();
//! let signature = Bls::aggregate_signatures(&sigs).unwrap();
//! let commit = Observation::Commit {
//!     partition: 0, height: 5, round: 0, value: H256([5; 32]),
//!     certificate: Box::new(AggregateCertificate { signers, signature }),
//! };
//! obs.handle(Timestamp::ZERO, Input::Message { from: NodeId(99), message: commit })?;
//! let out = obs.drain_outputs();
//! assert!(matches!(&out[..], [Output::Event(Event::Missed { node: NodeId(3), .. })]));
//! let records = obs.close();
//! assert_eq!((records[0].done, records[3].failed), (1, 1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeSet;

use zg_bls::{AggregateCertificate, Bls, BlsPublicKey, BlsSignature, Scheme, ValidatorIndex};
use zg_core::machine::{Input, Machine, Outbox, Output, Protocol};
use zg_core::{Epoch, H256, NodeId, Timestamp};

use super::ObserveError;
use crate::duty::{DutyLedger, DutyRecord, Role, Subject};

const MISSED_DOMAIN: &[u8] = b"zg-alignment/evidence/missed-vote/v1";
const EQUIVOCATION_DOMAIN: &[u8] = b"zg-alignment/evidence/equivocation/v1";

/// The bytes a validator signs for a vote (the mirror of zg-consensus's, see the
/// [module docs](self)).
pub fn vote_bytes(
    network: &H256,
    partition: u32,
    epoch: Epoch,
    height: u64,
    round: u32,
    kind: u8,
    value: &H256,
) -> Vec<u8> {
    let mut m = Vec::with_capacity(98);
    m.extend_from_slice(b"zgc/vote");
    m.extend_from_slice(network.as_bytes());
    m.extend_from_slice(&partition.to_be_bytes());
    m.extend_from_slice(&epoch.0.to_be_bytes());
    m.extend_from_slice(&height.to_be_bytes());
    m.extend_from_slice(&round.to_be_bytes());
    m.extend_from_slice(&[kind, 1]);
    m.extend_from_slice(value.as_bytes());
    m
}

/// The observer's configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// The consensus network id.
    pub network: H256,
    /// The epoch whose validator set is observed.
    pub epoch: Epoch,
    /// The chain node commits are accepted from.
    pub chain: NodeId,
    /// Most commits counted in the epoch (partitions × heights).
    pub max_commits: usize,
}

/// One signed vote, as equivocation evidence carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SignedVote {
    /// Round.
    pub round: u32,
    /// 0 prevote, 1 precommit.
    pub kind: u8,
    /// The value voted for.
    pub value: H256,
    /// The validator's own signature over [`vote_bytes`].
    pub signature: BlsSignature,
}

/// Two conflicting votes of one validator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Equivocation {
    /// The validator's index in the set.
    pub validator: u16,
    /// Partition.
    pub partition: u32,
    /// Height.
    pub height: u64,
    /// The two votes.
    pub votes: [SignedVote; 2],
}

/// What the observer is fed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Observation {
    /// A commit certificate, from the chain node.
    Commit {
        /// Partition.
        partition: u32,
        /// Height.
        height: u64,
        /// Round of the precommits.
        round: u32,
        /// The committed value.
        value: H256,
        /// Who precommitted, and the aggregate (boxed: the signature is large).
        certificate: Box<AggregateCertificate<Bls>>,
    },
    /// Equivocation evidence, from any peer (boxed: two signatures).
    Equivocation(Box<Equivocation>),
}

/// What the observer reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A validator is missing from a verified commit certificate.
    Missed {
        /// The validator.
        node: NodeId,
        /// The evidence hash.
        evidence: H256,
    },
    /// A validator equivocated (the evidence is also forwarded).
    Equivocated {
        /// The validator.
        node: NodeId,
        /// The evidence hash.
        evidence: H256,
    },
}

/// The observer's protocol marker.
#[derive(Clone, Copy, Debug)]
pub struct Observe;

impl Protocol for Observe {
    type Message = Observation;
    type Timer = core::convert::Infallible;
    type Command = core::convert::Infallible;
    type Request = core::convert::Infallible;
    type Record = core::convert::Infallible;
    type Event = Event;
    type Error = ObserveError;
}

/// The validator observer (see the [module docs](self)).
#[derive(Debug)]
pub struct ValidatorObserver {
    cfg: Config,
    nodes: Vec<NodeId>,
    members: Vec<(BlsPublicKey, u128)>,
    quorum: u128,
    seen: BTreeSet<(u32, u64)>,
    equivocated: Vec<bool>,
    ledger: DutyLedger,
    out: Outbox<Observe>,
}

impl ValidatorObserver {
    /// An observer of `validators` (`(node, BLS key, stake)` in set order, from the stake
    /// table: trusted).
    ///
    /// # Errors
    /// [`ObserveError::Bound`] for more than `u16::MAX` validators.
    pub fn new(
        cfg: Config,
        validators: Vec<(NodeId, BlsPublicKey, u128)>,
    ) -> Result<ValidatorObserver, ObserveError> {
        let max = usize::from(u16::MAX);
        if validators.len() > max {
            return Err(ObserveError::Bound {
                what: "validators",
                max,
            });
        }
        let nodes: Vec<NodeId> = validators.iter().map(|v| v.0).collect();
        let members: Vec<(BlsPublicKey, u128)> =
            validators.into_iter().map(|v| (v.1, v.2)).collect();
        let total = members.iter().fold(0u128, |a, m| a.saturating_add(m.1));
        let roster = nodes.iter().map(|n| Subject {
            node: *n,
            role: Role::Validator,
        });
        let ledger = DutyLedger::new(cfg.epoch, roster, max)?;
        Ok(ValidatorObserver {
            cfg,
            equivocated: vec![false; nodes.len()],
            nodes,
            members,
            quorum: total / 3 * 2 + (total % 3) * 2 / 3 + 1,
            seen: BTreeSet::new(),
            ledger,
            out: Outbox::new(),
        })
    }

    /// Commits counted so far.
    pub fn commits(&self) -> usize {
        self.seen.len()
    }

    /// Closes the epoch and returns the ledger's records (sorted by subject).
    pub fn close(&mut self) -> Vec<DutyRecord> {
        self.ledger.close().to_vec()
    }

    fn subject(&self, i: usize) -> Subject {
        Subject {
            node: self.nodes[i],
            role: Role::Validator,
        }
    }

    fn on_commit(
        &mut self,
        partition: u32,
        height: u64,
        round: u32,
        value: H256,
        certificate: &AggregateCertificate<Bls>,
    ) -> Result<(), ObserveError> {
        if self.seen.contains(&(partition, height)) {
            return Err(ObserveError::Duplicate);
        }
        if self.seen.len() >= self.cfg.max_commits {
            return Err(ObserveError::Bound {
                what: "commits",
                max: self.cfg.max_commits,
            });
        }
        let msg = vote_bytes(
            &self.cfg.network,
            partition,
            self.cfg.epoch,
            height,
            round,
            1,
            &value,
        );
        certificate
            .verify(&self.members, &msg, self.quorum)
            .map_err(|_| ObserveError::Invalid)?;
        self.seen.insert((partition, height));
        let mut evidence = None;
        for i in 0..self.nodes.len() {
            let s = self.subject(i);
            self.ledger.schedule(s, 1)?;
            // i < nodes.len() ≤ u16::MAX (checked in new).
            let bit = u16::try_from(i).map_err(|_| ObserveError::Invalid)?;
            if certificate.signers.contains(ValidatorIndex(bit)) {
                self.ledger.done(s)?;
            } else {
                let e = *evidence.get_or_insert_with(|| {
                    zg_core::keccak256_parts(&[MISSED_DOMAIN, &msg, &certificate.to_bytes()])
                });
                self.ledger.failed(s, &e)?;
                self.out.event(Event::Missed {
                    node: s.node,
                    evidence: e,
                });
            }
        }
        Ok(())
    }

    fn on_equivocation(&mut self, e: &Equivocation) -> Result<(), ObserveError> {
        let i = usize::from(e.validator);
        let (Some(&done), Some(member)) = (self.equivocated.get(i), self.members.get(i)) else {
            return Err(ObserveError::Invalid);
        };
        let [a, b] = &e.votes;
        if a.round != b.round || a.kind != b.kind || a.value == b.value || a.kind > 1 {
            return Err(ObserveError::Invalid);
        }
        if done {
            return Err(ObserveError::Duplicate);
        }
        let bytes = |v: &SignedVote| {
            vote_bytes(
                &self.cfg.network,
                e.partition,
                self.cfg.epoch,
                e.height,
                v.round,
                v.kind,
                &v.value,
            )
        };
        let (ma, mb) = (bytes(a), bytes(b));
        if !Bls::verify(&member.0, &ma, &a.signature) || !Bls::verify(&member.0, &mb, &b.signature)
        {
            return Err(ObserveError::Invalid);
        }
        let evidence = zg_core::keccak256_parts(&[
            EQUIVOCATION_DOMAIN,
            &ma,
            &mb,
            &a.signature.to_compressed(),
            &b.signature.to_compressed(),
        ]);
        let s = self.subject(i);
        self.ledger.schedule(s, 1)?;
        self.ledger.failed(s, &evidence)?;
        self.equivocated[i] = true;
        self.out.event(Event::Equivocated {
            node: s.node,
            evidence,
        });
        self.out.broadcast(Observation::Equivocation(Box::new(*e)));
        Ok(())
    }
}

impl Machine<Observe> for ValidatorObserver {
    fn handle(&mut self, _now: Timestamp, input: Input<Observe>) -> Result<(), ObserveError> {
        match input {
            Input::Message { from, message } => match message {
                Observation::Commit {
                    partition,
                    height,
                    round,
                    value,
                    certificate,
                } => {
                    if from != self.cfg.chain {
                        return Err(ObserveError::NotFromChain);
                    }
                    self.on_commit(partition, height, round, value, &certificate)
                }
                Observation::Equivocation(e) => self.on_equivocation(&e),
            },
            Input::Timeout(never) => match never {},
            Input::Command(never) => match never {},
        }
    }

    fn poll_output(&mut self) -> Option<Output<Observe>> {
        self.out.pop()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zg_bls::{BlsSecretKey, SignerBitmap};

    const NET: H256 = H256([1; 32]);
    const CHAIN: NodeId = NodeId(99);

    fn setup(n: u8) -> (Vec<BlsSecretKey>, ValidatorObserver) {
        let keys: Vec<BlsSecretKey> = (0..n)
            .map(|i| Bls::secret_key_from_seed(&[i + 1; 32]))
            .collect();
        let set = keys
            .iter()
            .enumerate()
            .map(|(i, k)| (NodeId(i as u64), Bls::public_key(k), 10))
            .collect();
        let cfg = Config {
            network: NET,
            epoch: Epoch(2),
            chain: CHAIN,
            max_commits: 8,
        };
        (keys, ValidatorObserver::new(cfg, set).unwrap())
    }

    fn commit(
        keys: &[BlsSecretKey],
        signers: &[usize],
        p: u32,
        h: u64,
        epoch: Epoch,
    ) -> Observation {
        let value = H256([h as u8; 32]);
        let msg = vote_bytes(&NET, p, epoch, h, 0, 1, &value);
        let mut bm = SignerBitmap::new(keys.len() as u16);
        let mut sigs = Vec::new();
        for &i in signers {
            bm.insert(ValidatorIndex(i as u16));
            sigs.push(Bls::sign(&keys[i], &msg));
        }
        Observation::Commit {
            partition: p,
            height: h,
            round: 0,
            value,
            certificate: Box::new(AggregateCertificate {
                signers: bm,
                signature: Bls::aggregate_signatures(&sigs).unwrap(),
            }),
        }
    }

    fn feed(o: &mut ValidatorObserver, from: NodeId, m: Observation) -> Result<(), ObserveError> {
        o.handle(Timestamp::ZERO, Input::Message { from, message: m })
    }

    #[test]
    fn missed_heights_fail_with_evidence_signed_ones_pass() {
        let (keys, mut o) = setup(4);
        for h in 1..=4 {
            let signers: &[usize] = if h % 2 == 0 {
                &[0, 1, 2]
            } else {
                &[0, 1, 2, 3]
            };
            feed(&mut o, CHAIN, commit(&keys, signers, 0, h, Epoch(2))).unwrap();
        }
        let events = o.drain_outputs();
        assert_eq!(events.len(), 2);
        let r = o.close();
        assert_eq!((r[0].due, r[0].done, r[0].failed), (4, 4, 0));
        assert_eq!((r[3].due, r[3].done, r[3].failed), (4, 2, 2));
        assert_ne!(r[3].evidence, H256::ZERO);
    }

    #[test]
    fn certificates_that_do_not_verify_or_come_from_elsewhere_create_nothing() {
        let (keys, mut o) = setup(4);
        // Not the chain node.
        assert_eq!(
            feed(&mut o, NodeId(5), commit(&keys, &[0, 1, 2], 0, 1, Epoch(2))),
            Err(ObserveError::NotFromChain)
        );
        // Two of four: not more than two thirds.
        assert_eq!(
            feed(&mut o, CHAIN, commit(&keys, &[0, 1], 0, 1, Epoch(2))),
            Err(ObserveError::Invalid)
        );
        // Signed for another epoch (replay).
        assert_eq!(
            feed(&mut o, CHAIN, commit(&keys, &[0, 1, 2], 0, 1, Epoch(3))),
            Err(ObserveError::Invalid)
        );
        assert_eq!(o.commits(), 0);
        assert!(o.drain_outputs().is_empty());
        // Counted once.
        feed(&mut o, CHAIN, commit(&keys, &[0, 1, 2], 0, 1, Epoch(2))).unwrap();
        assert_eq!(
            feed(&mut o, CHAIN, commit(&keys, &[0, 1, 2, 3], 0, 1, Epoch(2))),
            Err(ObserveError::Duplicate)
        );
        assert_eq!(o.close()[3].failed, 1);
    }

    #[test]
    fn a_flood_of_commits_stays_within_max_commits() {
        let (keys, mut o) = setup(4);
        let mut refused = 0;
        for h in 0..50 {
            if feed(
                &mut o,
                CHAIN,
                commit(&keys, &[0, 1, 2, 3], (h % 3) as u32, h, Epoch(2)),
            )
            .is_err()
            {
                refused += 1;
            }
        }
        assert_eq!(o.commits(), 8);
        assert_eq!(refused, 42);
        assert_eq!(o.close()[0].due, 8);
    }

    fn equivocation(keys: &[BlsSecretKey], v: usize, values: [H256; 2]) -> Equivocation {
        let vote = |value: H256| SignedVote {
            round: 0,
            kind: 0,
            value,
            signature: Bls::sign(&keys[v], &vote_bytes(&NET, 1, Epoch(2), 9, 0, 0, &value)),
        };
        Equivocation {
            validator: v as u16,
            partition: 1,
            height: 9,
            votes: [vote(values[0]), vote(values[1])],
        }
    }

    #[test]
    fn equivocation_is_verified_alone_counted_once_and_forwarded() {
        let (keys, mut o) = setup(4);
        let e = equivocation(&keys, 2, [H256([1; 32]), H256([2; 32])]);
        // From any peer.
        feed(&mut o, NodeId(42), Observation::Equivocation(Box::new(e))).unwrap();
        let out = o.drain_outputs();
        assert!(matches!(
            out[0],
            Output::Event(Event::Equivocated {
                node: NodeId(2),
                ..
            })
        ));
        assert!(matches!(out[1], Output::Send { .. }));
        assert_eq!(
            feed(&mut o, NodeId(43), Observation::Equivocation(Box::new(e))),
            Err(ObserveError::Duplicate)
        );
        // Framing validator 1 with validator 0's signatures (the sender names 1 in the body).
        let mut framed = equivocation(&keys, 0, [H256([1; 32]), H256([2; 32])]);
        framed.validator = 1;
        assert_eq!(
            feed(
                &mut o,
                NodeId(42),
                Observation::Equivocation(Box::new(framed))
            ),
            Err(ObserveError::Invalid)
        );
        // The two signatures swapped: as a set they are the validator's two real signatures
        // (an unweighted sum check over both votes would pass); checked alone, each fails.
        let mut swapped = equivocation(&keys, 3, [H256([1; 32]), H256([2; 32])]);
        let [a, b] = swapped.votes;
        swapped.votes[0].signature = b.signature;
        swapped.votes[1].signature = a.signature;
        assert_eq!(
            feed(
                &mut o,
                NodeId(42),
                Observation::Equivocation(Box::new(swapped))
            ),
            Err(ObserveError::Invalid)
        );
        // Same value twice is not equivocation.
        let same = equivocation(&keys, 3, [H256([1; 32]), H256([1; 32])]);
        assert_eq!(
            feed(
                &mut o,
                NodeId(42),
                Observation::Equivocation(Box::new(same))
            ),
            Err(ObserveError::Invalid)
        );
        let r = o.close();
        assert_eq!((r[1].failed, r[2].failed, r[3].failed), (0, 1, 0));
    }
}
