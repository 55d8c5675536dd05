//! One validator fed arbitrary sequences of proposals, votes (genuine and forged), timeouts,
//! host answers, commit certificates and crash-restarts keeps its invariants: it never signs two
//! different votes for one (height, round, step), across restarts too, and never decides a
//! height twice or out of order.

// In tests a panic is a failure report, and casts work on small test sizes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

mod common;

use std::collections::HashMap;

use common::Net;
use proptest::prelude::*;
use zg_consensus::{
    Command, Config, Consensus, Event, Height, InsecureTestScheme as T, Message, Node, PartitionId,
    Record, Round, Scheme, TimeoutKind, Timer, ValidatorIndex, VoteKind,
};
use zg_core::machine::{Input, Machine, Output};
use zg_core::{H256, NodeId, Timestamp};

#[derive(Clone, Debug)]
enum Action {
    Proposal {
        round: u32,
        value: u8,
        valid_round: Option<u32>,
        right_proposer: bool,
        forged: bool,
    },
    Vote {
        from: u16,
        round: u32,
        precommit: bool,
        value: Option<u8>,
        forged: bool,
        height_ahead: u8,
    },
    Timeout {
        kind: u8,
        round: u32,
    },
    Validity {
        value: u8,
        valid: bool,
    },
    ProposeValue {
        round: u32,
        value: u8,
    },
    Restart,
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => (0..3u32, 0..3u8, prop::option::of(0..3u32), prop::bool::weighted(0.9), prop::bool::weighted(0.1))
            .prop_map(|(round, value, valid_round, right_proposer, forged)| Action::Proposal {
                round, value, valid_round, right_proposer, forged
            }),
        10 => (0..4u16, 0..3u32, any::<bool>(), prop::option::of(0..3u8), prop::bool::weighted(0.1), prop::sample::select(vec![0u8, 0, 0, 1]))
            .prop_map(|(from, round, precommit, value, forged, height_ahead)| Action::Vote {
                from, round, precommit, value, forged, height_ahead
            }),
        3 => (0..3u8, 0..3u32).prop_map(|(kind, round)| Action::Timeout { kind, round }),
        2 => (0..3u8, prop::bool::weighted(0.8)).prop_map(|(value, valid)| Action::Validity { value, valid }),
        1 => (0..3u32, 0..3u8).prop_map(|(round, value)| Action::ProposeValue { round, value }),
        1 => Just(Action::Restart),
    ]
}

fn value(v: u8) -> H256 {
    H256([v + 1; 32])
}

struct Harness {
    net: Net<T>,
    me: ValidatorIndex,
    node: Node<T>,
    records: Vec<Record<T>>,
    now: u64,
    /// Every vote we ever sent: (height, round, kind) → value.
    signed: HashMap<(u64, u32, u8), Option<H256>>,
    decided: Vec<(u64, H256)>,
}

impl Harness {
    fn new() -> Self {
        let net = Net::<T>::new(4, Config::default());
        let me = ValidatorIndex(1);
        let node = net.node(me);
        let mut h = Harness {
            net,
            me,
            node,
            records: Vec::new(),
            now: 0,
            signed: HashMap::new(),
            decided: Vec::new(),
        };
        h.drain();
        h
    }

    fn height(&self) -> u64 {
        self.node.partition_state(PartitionId(0)).unwrap().height.0
    }

    fn drain(&mut self) {
        for o in self.node.drain_outputs() {
            match o {
                Output::Persist(r) => self.records.push(r),
                Output::Checkpoint(r) => self.records = vec![r],
                Output::Send {
                    message: Message::Vote(v),
                    ..
                } => {
                    if v.vote.validator != self.me {
                        // A relayed vote of another validator: only verified ones are relayed.
                        let key = &self.net.set.get(v.vote.validator).unwrap().public_key;
                        let msg = v.vote.signing_bytes(self.net.config.network);
                        assert!(T::verify(key, &msg, &v.signature), "relayed a forged vote");
                        continue;
                    }
                    let key = (v.vote.height.0, v.vote.round.0, v.vote.kind.tag());
                    if let Some(prev) = self.signed.insert(key, v.vote.value) {
                        assert_eq!(prev, v.vote.value, "two different votes for {key:?}");
                    }
                    // Sent votes must be in the log already.
                    assert!(
                        self.records
                            .iter()
                            .any(|r| matches!(r, Record::Vote(x) if *x == v))
                            || self
                                .records
                                .iter()
                                .any(|r| matches!(r, Record::Snapshot(_))),
                        "vote sent before it was persisted"
                    );
                }
                Output::Event(Event::Decided { height, value, .. }) => {
                    if let Some(&(last, _)) = self.decided.last() {
                        assert_eq!(height.0, last + 1, "decisions in order, once each");
                    }
                    self.decided.push((height.0, value));
                }
                _ => {}
            }
        }
    }

    fn input(&mut self, input: Input<Consensus<T>>) {
        self.now += 7;
        let _ = self.node.handle(Timestamp(self.now), input);
        self.drain();
    }

    fn step(&mut self, a: &Action) {
        let h = self.height();
        match *a {
            Action::Proposal {
                round,
                value: v,
                valid_round,
                right_proposer,
                forged,
            } => {
                let vr = valid_round.filter(|&vr| vr < round);
                let mut p = (*self.net.proposal(h, round, value(v), vr, None)).clone();
                if !right_proposer {
                    p.proposal.proposer = ValidatorIndex((p.proposal.proposer.0 + 1) % 4);
                }
                if forged {
                    p.signature = T::sign(self.net.secret_at(ValidatorIndex(0)), b"junk");
                }
                self.input(Input::Message {
                    from: NodeId(0),
                    message: Message::Proposal(std::sync::Arc::new(p)),
                });
            }
            Action::Vote {
                from,
                round,
                precommit,
                value: v,
                forged,
                height_ahead,
            } => {
                let by = ValidatorIndex(from);
                let kind = if precommit {
                    VoteKind::Precommit
                } else {
                    VoteKind::Prevote
                };
                let hh = h + u64::from(height_ahead);
                let vote = if forged {
                    self.net.forged_vote(by, hh, round, kind, v.map(value))
                } else {
                    self.net.vote(by, hh, round, kind, v.map(value))
                };
                self.input(Input::Message {
                    from: NodeId(u64::from(from)),
                    message: Message::Vote(vote),
                });
            }
            Action::Timeout { kind, round } => {
                let kind = match kind {
                    0 => TimeoutKind::Propose,
                    1 => TimeoutKind::Prevote,
                    _ => TimeoutKind::Precommit,
                };
                self.input(Input::Timeout(Timer {
                    partition: PartitionId(0),
                    height: Height(h),
                    round: Round(round),
                    kind,
                }));
            }
            Action::Validity { value: v, valid } => self.input(Input::Command(Command::Validity {
                partition: PartitionId(0),
                height: Height(h),
                value: value(v),
                valid,
            })),
            Action::ProposeValue { round, value: v } => {
                self.input(Input::Command(Command::ProposeValue {
                    partition: PartitionId(0),
                    height: Height(h),
                    round: Round(round),
                    value: value(v),
                }))
            }
            Action::Restart => {
                self.now += 1000;
                let i = (0..4)
                    .find(|&i| {
                        T::public_key(&common::key::<T>(i))
                            == self.net.set.get(self.me).unwrap().public_key
                    })
                    .unwrap();
                self.node = Node::restore(
                    self.net.config.clone(),
                    Some(common::key::<T>(i)),
                    self.net.set.clone(),
                    &self.records,
                    Timestamp(self.now),
                )
                .unwrap();
                let height_before = self.decided.last().map_or(0, |d| d.0 + 1);
                assert_eq!(self.height(), height_before, "restart resumes the height");
                self.drain();
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]
    #[test]
    fn never_double_signs_never_decides_twice(actions in prop::collection::vec(action(), 1..120)) {
        let mut h = Harness::new();
        for a in &actions {
            h.step(a);
        }
    }
}

/// A scripted sequence that decides several heights, with restarts in between.
#[test]
fn scripted_progress_with_restarts() {
    let mut h = Harness::new();
    for height in 0..5u64 {
        let v = (height % 3) as u8;
        let round = 0;
        h.step(&Action::Proposal {
            round,
            value: v,
            valid_round: None,
            right_proposer: true,
            forged: false,
        });
        h.step(&Action::Validity {
            value: v,
            valid: true,
        });
        h.step(&Action::ProposeValue { round, value: v });
        h.step(&Action::Restart);
        for precommit in [false, true] {
            for from in [0u16, 2, 3] {
                h.step(&Action::Vote {
                    from,
                    round,
                    precommit,
                    value: Some(v),
                    forged: false,
                    height_ahead: 0,
                });
            }
        }
    }
    assert_eq!(h.decided.len(), 5);
}
