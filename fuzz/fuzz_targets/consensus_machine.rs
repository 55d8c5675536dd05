//! One validator of a four-validator partition fed an arbitrary sequence of proposals, votes
//! (genuine, forged, for other heights), timeouts, host answers, commit certificates and
//! crash-restarts from its own write-ahead log. Invariants: it never signs two different votes
//! for one (height, round, step), across restarts too; every own vote is persisted before it
//! is sent, and it relays only votes of others that verify; it decides each height at most once, in order; a restart resumes at the next
//! undecided height.
#![no_main]

use std::collections::HashMap;
use std::sync::Arc;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zg_consensus::{
    Certificate, Command, Config, Event, Height, InsecureTestScheme as T, Message, Node,
    PartitionId, Proposal, Record, Round, Scheme, SignedProposal, SignedVote, SignerBitmap,
    TimeoutKind, Timer, ValidatorIndex, ValidatorSet, Vote, VoteKind,
};
use zg_core::machine::{Input, Machine, Output};
use zg_core::{Epoch, H256, NodeId, Timestamp};

#[derive(Arbitrary, Debug)]
enum Action {
    Proposal {
        round: u8,
        value: u8,
        valid_round: Option<u8>,
        proposer: Option<u8>,
        forged: bool,
    },
    Vote {
        from: u8,
        round: u8,
        precommit: bool,
        value: Option<u8>,
        forged: bool,
        ahead: u8,
    },
    Certificate {
        value: u8,
        signers: u8,
        ahead: u8,
    },
    Timeout {
        kind: u8,
        round: u8,
        ahead: u8,
    },
    Validity {
        value: u8,
        valid: bool,
    },
    ProposeValue {
        round: u8,
        value: u8,
    },
    Restart,
}

const N: usize = 4;
const ME: usize = 1;

fn seed(i: usize) -> [u8; 32] {
    [i as u8 + 1; 32]
}

fn value(v: u8) -> H256 {
    H256([v % 4 + 1; 32])
}

struct World {
    config: Config,
    set: Arc<ValidatorSet<T>>,
    secrets: Vec<<T as Scheme>::SecretKey>,
    node: Node<T>,
    records: Vec<Record<T>>,
    now: u64,
    signed: HashMap<(u64, u32, u8), Option<H256>>,
    decided: Vec<u64>,
}

impl World {
    fn new() -> Self {
        let config = Config::default();
        let secrets: Vec<_> = (0..N).map(|i| T::secret_key_from_seed(&seed(i))).collect();
        let set = Arc::new(
            ValidatorSet::new(
                config.network,
                Epoch(0),
                secrets.iter().map(|s| (T::public_key(s), 10)).collect(),
            )
            .unwrap(),
        );
        let node = Self::boot(&config, &set, &[], 0);
        let mut w = World {
            config,
            set,
            secrets,
            node,
            records: Vec::new(),
            now: 0,
            signed: HashMap::new(),
            decided: Vec::new(),
        };
        w.drain();
        w
    }

    fn boot(
        config: &Config,
        set: &Arc<ValidatorSet<T>>,
        records: &[Record<T>],
        now: u64,
    ) -> Node<T> {
        Node::restore(
            config.clone(),
            Some(T::secret_key_from_seed(&seed(ME))),
            set.clone(),
            records,
            Timestamp(now),
        )
        .unwrap()
    }

    fn secret_at(&self, i: ValidatorIndex) -> &<T as Scheme>::SecretKey {
        let key = &self.set.get(i).unwrap().public_key;
        self.secrets
            .iter()
            .find(|s| T::public_key(s) == *key)
            .unwrap()
    }

    fn height(&self) -> u64 {
        self.node.partition_state(PartitionId(0)).unwrap().height.0
    }

    fn drain(&mut self) {
        while let Some(o) = self.node.poll_output() {
            match o {
                Output::Persist(r) => self.records.push(r),
                Output::Checkpoint(r) => self.records = vec![r],
                Output::Send {
                    message: Message::Vote(v),
                    ..
                } => {
                    let me = self
                        .set
                        .index_of(&T::public_key(&T::secret_key_from_seed(&seed(ME))))
                        .unwrap();
                    if v.vote.validator != me {
                        // A relayed vote of another validator: only verified ones are relayed.
                        let key = &self.set.get(v.vote.validator).unwrap().public_key;
                        let msg = v.vote.signing_bytes(self.config.network);
                        assert!(T::verify(key, &msg, &v.signature), "relayed a forged vote");
                        continue;
                    }
                    let key = (v.vote.height.0, v.vote.round.0, v.vote.kind.tag());
                    if let Some(prev) = self.signed.insert(key, v.vote.value) {
                        assert_eq!(prev, v.vote.value, "conflicting own votes at {key:?}");
                    }
                    assert!(
                        self.records.iter().any(|r| match r {
                            Record::Vote(x) => *x == v,
                            Record::Snapshot(_) => true,
                            _ => false,
                        }),
                        "vote sent before it was persisted"
                    );
                }
                Output::Event(Event::Decided { height, .. }) => {
                    if let Some(&last) = self.decided.last() {
                        assert_eq!(height.0, last + 1, "decisions once each, in order");
                    }
                    self.decided.push(height.0);
                }
                _ => {}
            }
        }
    }

    fn input(&mut self, input: Input<zg_consensus::Consensus<T>>) {
        self.now += 5;
        let _ = self.node.handle(Timestamp(self.now), input);
        self.drain();
    }

    fn vote(
        &self,
        by: ValidatorIndex,
        height: u64,
        round: u32,
        kind: VoteKind,
        v: Option<H256>,
        forged: bool,
    ) -> SignedVote<T> {
        let vote = Vote {
            partition: PartitionId(0),
            epoch: Epoch(0),
            height: Height(height),
            round: Round(round),
            kind,
            value: v,
            validator: by,
        };
        let mut signed = vote;
        if forged {
            signed.round = Round(round.wrapping_add(77));
        }
        SignedVote {
            signature: T::sign(
                self.secret_at(by),
                &signed.signing_bytes(self.config.network),
            ),
            vote,
        }
    }

    fn step(&mut self, a: Action) {
        let h = self.height();
        match a {
            Action::Proposal {
                round,
                value: v,
                valid_round,
                proposer,
                forged,
            } => {
                let round = u32::from(round % 4);
                let by = match proposer {
                    Some(p) => ValidatorIndex(u16::from(p) % N as u16),
                    None => self.set.proposer(PartitionId(0), Height(h), Round(round)),
                };
                let p = Proposal {
                    partition: PartitionId(0),
                    epoch: Epoch(0),
                    height: Height(h),
                    round: Round(round),
                    value: value(v),
                    valid_round: valid_round.map(|r| Round(u32::from(r % 4))),
                    proposer: by,
                };
                let msg = if forged {
                    vec![0u8]
                } else {
                    p.signing_bytes(self.config.network).to_vec()
                };
                let sp = SignedProposal {
                    signature: T::sign(self.secret_at(by), &msg),
                    proposal: p,
                    proof_of_lock: None,
                };
                self.input(Input::Message {
                    from: NodeId(0),
                    message: Message::Proposal(Arc::new(sp)),
                });
            }
            Action::Vote {
                from,
                round,
                precommit,
                value: v,
                forged,
                ahead,
            } => {
                let by = ValidatorIndex(u16::from(from) % N as u16);
                let kind = if precommit {
                    VoteKind::Precommit
                } else {
                    VoteKind::Prevote
                };
                let sv = self.vote(
                    by,
                    h + u64::from(ahead % 3),
                    u32::from(round % 4),
                    kind,
                    v.map(value),
                    forged,
                );
                self.input(Input::Message {
                    from: NodeId(u64::from(by.0)),
                    message: Message::Vote(sv),
                });
            }
            Action::Certificate {
                value: v,
                signers,
                ahead,
            } => {
                let height = h + u64::from(ahead % 2);
                let mut bitmap = SignerBitmap::new(N as u16);
                let mut sigs = Vec::new();
                for i in 0..N as u16 {
                    if signers & (1 << i) != 0 {
                        bitmap.insert(ValidatorIndex(i));
                        sigs.push(
                            self.vote(
                                ValidatorIndex(i),
                                height,
                                0,
                                VoteKind::Precommit,
                                Some(value(v)),
                                false,
                            )
                            .signature,
                        );
                    }
                }
                let Some(signature) = T::aggregate_signatures(&sigs) else {
                    return;
                };
                let cert = Certificate {
                    partition: PartitionId(0),
                    epoch: Epoch(0),
                    height: Height(height),
                    round: Round(0),
                    kind: VoteKind::Precommit,
                    value: value(v),
                    signers: bitmap,
                    signature,
                };
                self.input(Input::Message {
                    from: NodeId(2),
                    message: Message::Decision(Arc::new(cert)),
                });
            }
            Action::Timeout { kind, round, ahead } => {
                let kind = match kind % 4 {
                    0 => TimeoutKind::Propose,
                    1 => TimeoutKind::Prevote,
                    2 => TimeoutKind::Precommit,
                    _ => TimeoutKind::Resend,
                };
                self.input(Input::Timeout(Timer {
                    partition: PartitionId(0),
                    height: Height(h + u64::from(ahead % 2)),
                    round: Round(u32::from(round % 4)),
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
                    round: Round(u32::from(round % 4)),
                    value: value(v),
                }))
            }
            Action::Restart => {
                self.now += 1000;
                self.node = Self::boot(&self.config, &self.set, &self.records, self.now);
                let expected = self.decided.last().map_or(0, |d| d + 1);
                assert_eq!(
                    self.height(),
                    expected,
                    "restart resumes at the next height"
                );
                self.drain();
            }
        }
    }
}

fuzz_target!(|actions: Vec<Action>| {
    let mut world = World::new();
    for a in actions.into_iter().take(256) {
        world.step(a);
    }
});
