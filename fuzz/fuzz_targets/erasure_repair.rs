//! The Repair machine under arbitrary input sequences (answers from any peer, corrupt, garbage,
//! duplicated or relabelled shards, timers, new holders), with the attacker's moves: strangers
//! (peers 8..16, never holders) forging answers in any order, and floods of one corrupt shard
//! from one peer. It never panics, reports at most one verdict, a repaired target is always the
//! right bytes, and once done it stays silent; and the threat model's bounds hold: a stranger's
//! message changes nothing and makes no output, a peer is rejected (hashed and found corrupt) at
//! most once, and no peer is asked for one shard more than `attempts_per_holder` times.
#![no_main]

use std::sync::Arc;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use std::collections::{BTreeMap, BTreeSet};
use zg_core::machine::{Input as MInput, Machine, Output};
use zg_core::{H256, NodeId, Timestamp};

use zg_core::machine::Recipient;
use zg_erasure::repair::{Command, Event, Message, ShardBytes, Timer};
use zg_erasure::{Config, Repair, RepairConfig, Target, encode};

#[derive(Arbitrary, Debug)]
enum Step {
    Good {
        peer: u8,
        shard: u8,
    },
    Corrupt {
        peer: u8,
        shard: u8,
        at: u16,
    },
    Garbage {
        peer: u8,
        shard: u8,
        bytes: Vec<u8>,
    },
    WrongObject {
        peer: u8,
        shard: u8,
    },
    NotFound {
        peer: u8,
        shard: u8,
    },
    Timeout {
        peer: u8,
        shard: u8,
        id: u8,
    },
    AddHolder {
        peer: u8,
        shard: u8,
    },
    /// The same corrupt shard, many times, from one peer.
    Flood {
        peer: u8,
        shard: u8,
        copies: u8,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    k: u8,
    m: u8,
    size: u16,
    object: bool,
    target: u8,
    holders: Vec<(u8, u8)>,
    steps: Vec<Step>,
}

fuzz_target!(|input: Input| {
    let (k, m) = (usize::from(input.k % 5) + 1, usize::from(input.m % 5) + 1);
    let n = k + m;
    let data: Vec<u8> = (0..usize::from(input.size % 4096) + 1)
        .map(|i| (i * 7) as u8)
        .collect();
    let encoded = encode(
        &data,
        Config::new(k, m).unwrap().with_stripe_size(512).unwrap(),
    )
    .unwrap();
    let manifest = Arc::new(encoded.manifest.clone());
    let root = manifest.root();
    let target = if input.object {
        Target::Object
    } else {
        Target::Shard(usize::from(input.target) % n)
    };
    let expected = match target {
        Target::Object => data.clone(),
        Target::Shard(i) => encoded.shards[i].clone(),
    };
    let holders = input
        .holders
        .iter()
        .map(|&(s, p)| (usize::from(s) % n, NodeId(u64::from(p % 8))))
        .collect();
    let config = RepairConfig::new(manifest, target, holders);
    let attempts = config.attempts_per_holder.max(1) as usize;
    // Peers 0..8 may be holders; 8..16 never are.
    let mut known: BTreeSet<u64> = config.holders.iter().map(|(_, p)| p.0).collect();
    let mut r = Repair::new(Timestamp(0), config).unwrap();
    let mut verdicts = 0;
    let mut rejected: BTreeMap<u64, usize> = BTreeMap::new();
    let mut asked: BTreeMap<(u64, u32), usize> = BTreeMap::new();
    let mut check = |r: &mut Repair, verdicts: &mut usize| -> usize {
        let outs = r.drain_outputs();
        let count = outs.len();
        for o in outs {
            match o {
                Output::Event(Event::Repaired { data, .. }) => {
                    assert_eq!(data.as_slice(), &expected[..], "repaired wrong bytes");
                    *verdicts += 1;
                }
                Output::Event(Event::Failed(_)) => *verdicts += 1,
                Output::Event(Event::Rejected { from, .. }) => {
                    let n = rejected.entry(from.0).or_default();
                    *n += 1;
                    assert!(*n <= 1, "peer {from} rejected (hashed) {n} times");
                }
                Output::Send {
                    to: Recipient::One(p),
                    message: Message::Get { shard, .. },
                } => {
                    let n = asked.entry((p.0, shard)).or_default();
                    *n += 1;
                    assert!(*n <= attempts, "peer {p} asked for shard {shard} {n} times");
                }
                _ => {}
            }
        }
        assert!(*verdicts <= 1, "more than one verdict");
        count
    };
    check(&mut r, &mut verdicts);
    for (t, step) in input.steps.into_iter().take(64).enumerate() {
        let now = Timestamp(t as u64 * 100);
        let shard_of = |s: u8| u32::from(s) % (n as u32 + 1); // sometimes out of range
        let msg = |peer: u8, message| MInput::Message {
            from: NodeId(u64::from(peer % 16)),
            message,
        };
        let input = match step {
            Step::Good { peer, shard } => {
                let s = shard_of(shard);
                let bytes = encoded.shards.get(s as usize).cloned().unwrap_or_default();
                msg(
                    peer,
                    Message::Shard {
                        manifest: root,
                        shard: s,
                        data: ShardBytes::from(bytes),
                    },
                )
            }
            Step::Corrupt { peer, shard, at } => {
                let s = shard_of(shard);
                let mut bytes = encoded.shards.get(s as usize).cloned().unwrap_or_default();
                if !bytes.is_empty() {
                    let i = usize::from(at) % bytes.len();
                    bytes[i] ^= 1;
                }
                msg(
                    peer,
                    Message::Shard {
                        manifest: root,
                        shard: s,
                        data: ShardBytes::from(bytes),
                    },
                )
            }
            Step::Garbage { peer, shard, bytes } => msg(
                peer,
                Message::Shard {
                    manifest: root,
                    shard: shard_of(shard),
                    data: ShardBytes::from(bytes),
                },
            ),
            Step::WrongObject { peer, shard } => msg(
                peer,
                Message::NotFound {
                    manifest: H256([7; 32]),
                    shard: shard_of(shard),
                },
            ),
            Step::NotFound { peer, shard } => msg(
                peer,
                Message::NotFound {
                    manifest: root,
                    shard: shard_of(shard),
                },
            ),
            Step::Timeout { peer, shard, id } => MInput::Timeout(Timer::Request {
                shard: shard_of(shard),
                peer: NodeId(u64::from(peer % 8)),
                id: u64::from(id % 16),
            }),
            Step::AddHolder { peer, shard } => {
                let s = shard_of(shard);
                if (s as usize) < n {
                    known.insert(u64::from(peer % 8));
                }
                MInput::Command(Command::AddHolder {
                    shard: s,
                    peer: NodeId(u64::from(peer % 8)),
                })
            }
            Step::Flood {
                peer,
                shard,
                copies,
            } => {
                let s = shard_of(shard);
                let mut bytes = encoded.shards.get(s as usize).cloned().unwrap_or_default();
                if let Some(b) = bytes.first_mut() {
                    *b ^= 0x80;
                }
                let from = NodeId(u64::from(peer % 16));
                for _ in 0..copies % 32 {
                    let _ = r.handle(
                        now,
                        msg(
                            peer,
                            Message::Shard {
                                manifest: root,
                                shard: s,
                                data: ShardBytes::from(bytes.clone()),
                            },
                        ),
                    );
                    let made = check(&mut r, &mut verdicts);
                    if !known.contains(&from.0) {
                        assert_eq!(made, 0, "a stranger's flood made output");
                    }
                }
                continue;
            }
        };
        let stranger = match &input {
            MInput::Message { from, .. } => !known.contains(&from.0),
            _ => false,
        };
        let before = (r.verified(), r.banned().count());
        let was_done = r.is_done();
        let _ = r.handle(now, input);
        if was_done {
            assert!(r.drain_outputs().is_empty(), "output after the verdict");
        }
        let made = check(&mut r, &mut verdicts);
        if stranger {
            assert_eq!(made, 0, "a stranger's message made output");
            assert_eq!(
                (r.verified(), r.banned().count()),
                before,
                "a stranger changed state"
            );
        }
    }
});
