//! The storage observer: VRF-seeded retrieval audits of files against their 0G roots.
//!
//! # What it checks
//!
//! For each audit the host assigns (a storage node and a file the chain says it stores: the
//! file's 0G root and size), the observer draws one segment,
//! `segment = Keccak-256("zg-alignment/retrieval/v1" ‖ audit_seed ‖ u64_be(node) ‖ root)
//! mod segments`, with `audit_seed` derived from the auditor's VRF output of the epoch (see
//! [`crate::assign`]), so the storage node cannot know beforehand which segment it will be
//! asked for. It sends the challenge and schedules a timeout. The answer must come from the
//! challenged node itself (the transport's `from`) and carry the segment's padded bytes
//! (`min(1024, padded − 1024·segment)` sectors, zero-filled past the data, as zg-core's
//! [`segment_roots`] pads them) and the segment root's proof in
//! the file's promote-odd segment tree, checked with zg-core ([`Proof::verify`]).
//!
//! Outcomes, each ending the audit's one duty:
//! * correct bytes and proof → **done**;
//! * wrong bytes or a proof that does not verify → **failed**, evidence
//!   `Keccak-256("zg-alignment/evidence/retrieval/v1" ‖ root ‖ u64_be(segment) ‖
//!   Keccak-256(bytes) ‖ proof bytes)` (anyone holding the answer re-checks it);
//! * no answer by the deadline → **failed**, evidence
//!   `Keccak-256("zg-alignment/evidence/timeout/v1" ‖ u64_be(node) ‖ root ‖ u64_be(segment) ‖
//!   u64_be(deadline))`: a timeout is the auditor's word, which is why `k` auditors check each
//!   subject and a quorum co-signs.
//!
//! # Bounds
//!
//! At most [`Config::max_open`] open audits, one per (node, file); the ledger holds one record
//! per roster node. Answers nobody asked for, from another node than the one challenged, or for
//! another segment are refused without changing anything.
//!
//! # Driving contract
//!
//! Inputs: [`Command::Audit`] from the host (which audits to run, from the assignment), answers
//! as [`Input::Message`] from storage nodes, and the [`Timer`]s the observer scheduled. After each
//! input, drain [`poll_output`](Machine::poll_output) until `None`: [`Output::Send`] carries a
//! challenge to its node, [`Output::ScheduleTimeout`] its deadline, [`Output::Event`] an outcome.
//! Nothing is persisted: after a restart the open audits are lost and end as not measured when
//! the epoch closes ([`close`](StorageObserver::close)).
//!
//! ```
//! use zg_alignment::observe::storage::{Command, Config, Event, Message, StorageObserver, answer_for};
//! use zg_core::machine::{Input, Machine, Output};
//! use zg_core::{Epoch, H256, NodeId, Timestamp};
//!
//! let file = vec![7u8; 300_000]; // two segments
//! let root = zg_core::tree::file_root(&file)?;
//! let cfg = Config { epoch: Epoch(1), audit_seed: H256([3; 32]), timeout_ms: 2_000, max_open: 64 };
//! let mut obs = StorageObserver::new(cfg, [NodeId(5)])?;
//! let audit = Command::Audit { node: NodeId(5), root, size: file.len() as u64 };
//! obs.handle(Timestamp::ZERO, Input::Command(audit))?;
//! let Some(Output::Send { message: Message::Challenge { segment, .. }, .. }) = obs.poll_output() else { panic!() };
//! let _deadline = obs.poll_output();
//! // The storage node answers from what it keeps.
//! let answer = answer_for(&file, root, segment)?;
//! obs.handle(Timestamp(500), Input::Message { from: NodeId(5), message: answer })?;
//! assert!(matches!(obs.poll_output(), Some(Output::Event(Event::Served { .. }))));
//! assert_eq!(obs.close()[0].done, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use zg_core::machine::{Input, Machine, Outbox, Output, Protocol, Recipient};
use zg_core::tree::{
    MerkleTree, Proof, SECTORS_PER_SEGMENT, SEGMENT_SIZE, padded_sectors, promote_odd_root,
    sectors_for_size, segment_roots,
};
use zg_core::{Epoch, H256, NodeId, SECTOR_SIZE, Timestamp};

use super::ObserveError;
use crate::duty::{DutyLedger, DutyRecord, Role, Subject};

const CHALLENGE_DOMAIN: &[u8] = b"zg-alignment/retrieval/v1";
const WRONG_DOMAIN: &[u8] = b"zg-alignment/evidence/retrieval/v1";
const TIMEOUT_DOMAIN: &[u8] = b"zg-alignment/evidence/timeout/v1";

/// The observer's configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// The epoch.
    pub epoch: Epoch,
    /// The auditor's secret-until-revealed seed: `Keccak-256` of its VRF output of the epoch.
    pub audit_seed: H256,
    /// How long a node has to answer.
    pub timeout_ms: u64,
    /// Most audits open at once.
    pub max_open: usize,
}

/// Messages between the auditor and storage nodes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Message {
    /// The auditor asks for one segment of a file.
    Challenge {
        /// The file's 0G root.
        root: H256,
        /// The segment index.
        segment: u64,
    },
    /// The node's answer.
    Answer {
        /// The file's 0G root.
        root: H256,
        /// The segment index.
        segment: u64,
        /// The padded segment bytes.
        data: Vec<u8>,
        /// The segment root's proof under the file root.
        proof: Proof,
    },
}

/// What the host asks the observer to do.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    /// Audit `node`'s copy of the file with 0G root `root` and `size` bytes.
    Audit {
        /// The storage node.
        node: NodeId,
        /// The file's 0G root (from the chain).
        root: H256,
        /// The file's size in bytes (from the chain).
        size: u64,
    },
}

/// A deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Timer {
    /// The node.
    pub node: NodeId,
    /// The file.
    pub root: H256,
}

/// What the observer reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The node served the right bytes.
    Served {
        /// The node.
        node: NodeId,
    },
    /// The node served wrong bytes or did not answer in time.
    Failed {
        /// The node.
        node: NodeId,
        /// The evidence hash.
        evidence: H256,
    },
}

/// The observer's protocol marker.
#[derive(Clone, Copy, Debug)]
pub struct Retrieval;

impl Protocol for Retrieval {
    type Message = Message;
    type Timer = Timer;
    type Command = Command;
    type Request = core::convert::Infallible;
    type Record = core::convert::Infallible;
    type Event = Event;
    type Error = ObserveError;
}

#[derive(Clone, Copy, Debug)]
struct Open {
    node: NodeId,
    root: H256,
    segment: u64,
    segments: u64,
    /// Sectors of the challenged (padded) segment.
    sectors: u64,
    deadline: Timestamp,
}

/// The storage observer (see the [module docs](self)).
#[derive(Debug)]
pub struct StorageObserver {
    cfg: Config,
    open: Vec<Open>,
    ledger: DutyLedger,
    out: Outbox<Retrieval>,
}

/// `(segments, padded sectors)` of a file of `size` bytes.
fn geometry(size: u64) -> Result<(u64, u64), ObserveError> {
    let padded = padded_sectors(sectors_for_size(size)).map_err(|_| ObserveError::Invalid)?;
    if padded == 0 {
        return Err(ObserveError::Invalid);
    }
    Ok((padded.div_ceil(SECTORS_PER_SEGMENT), padded))
}

/// The answer an honest node holding `file` gives to a challenge for `segment` (for hosts,
/// tests and simulations).
///
/// # Errors
/// [`ObserveError::Invalid`] for an empty file or a segment past its end.
pub fn answer_for(file: &[u8], root: H256, segment: u64) -> Result<Message, ObserveError> {
    let (segments, padded) = geometry(file.len() as u64)?;
    if segment >= segments {
        return Err(ObserveError::Invalid);
    }
    let tree = MerkleTree::from_leaves(segment_roots(file).map_err(|_| ObserveError::Invalid)?)
        .map_err(|_| ObserveError::Invalid)?;
    let proof = tree.proof(segment).map_err(|_| ObserveError::Invalid)?;
    let sectors = (padded - segment * SECTORS_PER_SEGMENT).min(SECTORS_PER_SEGMENT);
    let start = usize::try_from(segment).map_err(|_| ObserveError::Invalid)? * SEGMENT_SIZE;
    let mut data = file.get(start..).unwrap_or(&[]).to_vec();
    data.truncate(SEGMENT_SIZE);
    data.resize(
        usize::try_from(sectors).map_err(|_| ObserveError::Invalid)? * SECTOR_SIZE,
        0,
    );
    Ok(Message::Answer {
        root,
        segment,
        data,
        proof,
    })
}

impl StorageObserver {
    /// An observer for the storage nodes on `roster` (from the chain: trusted).
    ///
    /// # Errors
    /// [`ObserveError::Duty`] if the roster exceeds `u16::MAX` nodes.
    pub fn new(
        cfg: Config,
        roster: impl IntoIterator<Item = NodeId>,
    ) -> Result<StorageObserver, ObserveError> {
        let subjects = roster.into_iter().map(|node| Subject {
            node,
            role: Role::Storage,
        });
        Ok(StorageObserver {
            cfg,
            open: Vec::new(),
            ledger: DutyLedger::new(cfg.epoch, subjects, usize::from(u16::MAX))?,
            out: Outbox::new(),
        })
    }

    /// Audits open now.
    pub fn open_audits(&self) -> usize {
        self.open.len()
    }

    /// Closes the epoch (open audits end as not measured) and returns the records.
    pub fn close(&mut self) -> Vec<DutyRecord> {
        self.open.clear();
        self.ledger.close().to_vec()
    }

    /// The segment the observer challenges `node` for in a file of `segments` segments.
    pub fn challenge_segment(&self, node: NodeId, root: &H256, segments: u64) -> u64 {
        zg_core::keccak256_parts(&[
            CHALLENGE_DOMAIN,
            self.cfg.audit_seed.as_bytes(),
            &node.0.to_be_bytes(),
            root.as_bytes(),
        ])
        .mod_u64(segments)
        .unwrap_or(0)
    }

    fn on_audit(
        &mut self,
        now: Timestamp,
        node: NodeId,
        root: H256,
        size: u64,
    ) -> Result<(), ObserveError> {
        let subject = Subject {
            node,
            role: Role::Storage,
        };
        if self.ledger.record(subject).is_none() {
            return Err(crate::duty::DutyError::UnknownSubject { subject }.into());
        }
        if self.open.iter().any(|o| o.node == node && o.root == root) {
            return Err(ObserveError::Duplicate);
        }
        if self.open.len() >= self.cfg.max_open {
            return Err(ObserveError::Bound {
                what: "open audits",
                max: self.cfg.max_open,
            });
        }
        let (segments, padded) = geometry(size)?;
        let segment = self.challenge_segment(node, &root, segments);
        self.ledger.schedule(subject, 1)?;
        let deadline = now.plus_millis(self.cfg.timeout_ms);
        self.open.push(Open {
            node,
            root,
            segment,
            segments,
            sectors: (padded - segment * SECTORS_PER_SEGMENT).min(SECTORS_PER_SEGMENT),
            deadline,
        });
        self.out.push(Output::Send {
            to: Recipient::One(node),
            message: Message::Challenge { root, segment },
        });
        self.out.schedule(deadline, Timer { node, root });
        Ok(())
    }

    fn on_answer(
        &mut self,
        from: NodeId,
        root: H256,
        segment: u64,
        data: &[u8],
        proof: &Proof,
    ) -> Result<(), ObserveError> {
        let Some(i) = self
            .open
            .iter()
            .position(|o| o.node == from && o.root == root)
        else {
            return Err(ObserveError::Invalid);
        };
        let o = self.open[i];
        if o.segment != segment {
            return Err(ObserveError::Invalid);
        }
        let subject = Subject {
            node: from,
            role: Role::Storage,
        };
        let good = verify_segment(&o, data, proof);
        self.open.swap_remove(i);
        if good {
            self.ledger.done(subject)?;
            self.out.event(Event::Served { node: from });
        } else {
            let evidence = zg_core::keccak256_parts(&[
                WRONG_DOMAIN,
                root.as_bytes(),
                &segment.to_be_bytes(),
                zg_core::keccak256(data).as_bytes(),
                &proof.to_bytes(),
            ]);
            self.ledger.failed(subject, &evidence)?;
            self.out.event(Event::Failed {
                node: from,
                evidence,
            });
        }
        Ok(())
    }

    fn on_timeout(&mut self, now: Timestamp, t: Timer) -> Result<(), ObserveError> {
        // A stale timer (answered already, or a later audit of the same file) is ignored.
        let Some(i) = self
            .open
            .iter()
            .position(|o| o.node == t.node && o.root == t.root && o.deadline <= now)
        else {
            return Ok(());
        };
        let o = self.open.swap_remove(i);
        let evidence = zg_core::keccak256_parts(&[
            TIMEOUT_DOMAIN,
            &o.node.0.to_be_bytes(),
            o.root.as_bytes(),
            &o.segment.to_be_bytes(),
            &o.deadline.0.to_be_bytes(),
        ]);
        self.ledger.failed(
            Subject {
                node: o.node,
                role: Role::Storage,
            },
            &evidence,
        )?;
        self.out.event(Event::Failed {
            node: o.node,
            evidence,
        });
        Ok(())
    }
}

/// Whether `data` is the challenged segment under the file root, by `proof`.
fn verify_segment(o: &Open, data: &[u8], proof: &Proof) -> bool {
    let Ok(sectors) = usize::try_from(o.sectors) else {
        return false;
    };
    if data.len() != sectors * SECTOR_SIZE {
        return false;
    }
    let leaves = data
        .chunks_exact(SECTOR_SIZE)
        .filter_map(|c| <&[u8; SECTOR_SIZE]>::try_from(c).ok())
        .map(zg_core::hash_sector);
    let Ok(segment_root) = promote_odd_root(leaves) else {
        return false;
    };
    proof
        .verify(&o.root, &segment_root, o.segment, o.segments)
        .is_ok()
}

impl Machine<Retrieval> for StorageObserver {
    fn handle(&mut self, now: Timestamp, input: Input<Retrieval>) -> Result<(), ObserveError> {
        match input {
            Input::Command(Command::Audit { node, root, size }) => {
                self.on_audit(now, node, root, size)
            }
            Input::Message {
                from,
                message:
                    Message::Answer {
                        root,
                        segment,
                        data,
                        proof,
                    },
            } => self.on_answer(from, root, segment, &data, &proof),
            // Challenges go from auditors to storage nodes, never to an auditor.
            Input::Message {
                message: Message::Challenge { .. },
                ..
            } => Err(ObserveError::Invalid),
            Input::Timeout(t) => self.on_timeout(now, t),
        }
    }

    fn poll_output(&mut self) -> Option<Output<Retrieval>> {
        self.out.pop()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(n: usize, b: u8) -> Vec<u8> {
        (0..n).map(|i| (i as u8).wrapping_mul(31) ^ b).collect()
    }

    fn setup() -> StorageObserver {
        let cfg = Config {
            epoch: Epoch(1),
            audit_seed: H256([3; 32]),
            timeout_ms: 1_000,
            max_open: 4,
        };
        StorageObserver::new(cfg, (0..8).map(NodeId)).unwrap()
    }

    fn audit(o: &mut StorageObserver, node: u64, f: &[u8]) -> (H256, u64) {
        let root = zg_core::tree::file_root(f).unwrap();
        o.handle(
            Timestamp::ZERO,
            Input::Command(Command::Audit {
                node: NodeId(node),
                root,
                size: f.len() as u64,
            }),
        )
        .unwrap();
        let Some(Output::Send {
            message: Message::Challenge { segment, .. },
            ..
        }) = o.poll_output()
        else {
            panic!("no challenge")
        };
        assert!(matches!(
            o.poll_output(),
            Some(Output::ScheduleTimeout { .. })
        ));
        (root, segment)
    }

    #[test]
    fn honest_answers_pass_for_every_segment_including_the_short_last_one() {
        let f = file(3 * SEGMENT_SIZE + 1000, 1);
        let root = zg_core::tree::file_root(&f).unwrap();
        let (segments, _) = geometry(f.len() as u64).unwrap();
        assert_eq!(segments, 4);
        for s in 0..segments {
            let o = Open {
                node: NodeId(0),
                root,
                segment: s,
                segments,
                sectors: 0,
                deadline: Timestamp::ZERO,
            };
            let Message::Answer { data, proof, .. } = answer_for(&f, root, s).unwrap() else {
                panic!()
            };
            let o = Open {
                sectors: (data.len() / SECTOR_SIZE) as u64,
                ..o
            };
            assert!(verify_segment(&o, &data, &proof), "segment {s}");
            // The same bytes do not pass for another segment.
            let other = Open {
                segment: (s + 1) % segments,
                ..o
            };
            assert!(!verify_segment(&other, &data, &proof));
        }
    }

    #[test]
    fn wrong_bytes_and_silence_fail_with_evidence() {
        let mut o = setup();
        let f = file(2 * SEGMENT_SIZE, 2);
        // Node 1 serves one flipped byte.
        let (root, seg) = audit(&mut o, 1, &f);
        let Message::Answer {
            mut data, proof, ..
        } = answer_for(&f, root, seg).unwrap()
        else {
            panic!()
        };
        data[17] ^= 1;
        o.handle(
            Timestamp(10),
            Input::Message {
                from: NodeId(1),
                message: Message::Answer {
                    root,
                    segment: seg,
                    data,
                    proof,
                },
            },
        )
        .unwrap();
        assert!(matches!(
            o.poll_output(),
            Some(Output::Event(Event::Failed {
                node: NodeId(1),
                ..
            }))
        ));
        // Node 2 says nothing.
        let (root2, _) = audit(&mut o, 2, &f);
        o.handle(
            Timestamp(999),
            Input::Timeout(Timer {
                node: NodeId(2),
                root: root2,
            }),
        )
        .unwrap();
        assert!(
            o.poll_output().is_none(),
            "a timer before the deadline is stale"
        );
        o.handle(
            Timestamp(1_000),
            Input::Timeout(Timer {
                node: NodeId(2),
                root: root2,
            }),
        )
        .unwrap();
        assert!(matches!(
            o.poll_output(),
            Some(Output::Event(Event::Failed {
                node: NodeId(2),
                ..
            }))
        ));
        let r = o.close();
        assert_eq!((r[1].failed, r[2].failed), (1, 1));
        assert!(r[1].evidence != H256::ZERO && r[2].evidence != H256::ZERO);
    }

    #[test]
    fn answers_from_another_node_or_unasked_create_nothing() {
        let mut o = setup();
        let f = file(SEGMENT_SIZE, 3);
        let (root, seg) = audit(&mut o, 1, &f);
        let answer = answer_for(&f, root, seg).unwrap();
        // Node 4 answers for node 1 (right bytes, wrong sender).
        assert_eq!(
            o.handle(
                Timestamp(1),
                Input::Message {
                    from: NodeId(4),
                    message: answer.clone()
                }
            ),
            Err(ObserveError::Invalid)
        );
        assert_eq!(o.open_audits(), 1);
        // Node 1's own answer counts.
        o.handle(
            Timestamp(2),
            Input::Message {
                from: NodeId(1),
                message: answer.clone(),
            },
        )
        .unwrap();
        // Replayed: nothing open any more.
        assert_eq!(
            o.handle(
                Timestamp(3),
                Input::Message {
                    from: NodeId(1),
                    message: answer
                }
            ),
            Err(ObserveError::Invalid)
        );
        let r = o.close();
        assert_eq!((r[1].due, r[1].done, r[4].due), (1, 1, 0));
    }

    #[test]
    fn a_flood_of_audits_and_answers_stays_within_max_open() {
        let mut o = setup();
        let mut accepted = 0;
        for i in 0..100u64 {
            let root = H256([i as u8; 32]);
            if o.handle(
                Timestamp::ZERO,
                Input::Command(Command::Audit {
                    node: NodeId(i % 8),
                    root,
                    size: 4096,
                }),
            )
            .is_ok()
            {
                accepted += 1;
            }
            let bogus = Message::Answer {
                root,
                segment: 0,
                data: vec![0; 4096],
                proof: Proof::new(vec![H256::ZERO], vec![]).unwrap(),
            };
            let _ = o.handle(
                Timestamp::ZERO,
                Input::Message {
                    from: NodeId(200),
                    message: bogus,
                },
            );
        }
        assert_eq!(accepted, 4);
        assert_eq!(o.open_audits(), 4);
        // Closing ends the open audits as not measured, never as failures.
        let r = o.close();
        assert_eq!(r.iter().map(|x| x.not_measured).sum::<u32>(), 4);
        assert_eq!(r.iter().map(|x| x.failed).sum::<u32>(), 0);
    }
}
