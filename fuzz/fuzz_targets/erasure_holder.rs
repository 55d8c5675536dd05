//! ShardHolders and a Repair wired together over an adversarial network: holders store honest,
//! corrupt, truncated or other-object shards; the schedule delivers, duplicates and drops
//! messages in any order, fires timers early, forges requests to holders and answers to the
//! repairer, and stores new shards mid-run. Then every message and timer left is flushed.
//!
//! Asserted for every ShardHolder: each `Get` gets exactly one reply, to its sender, with exactly
//! the bytes last stored under that (manifest, shard) — or `NotFound` when none — and no other
//! input makes it send anything or fail. For the Repair: at most one verdict, a `Repaired` target
//! is always the right bytes (corrupt shards served by holders are never taken as valid), it
//! always ends once every message and timer is delivered, and on a clean schedule (nothing
//! dropped, no timer early, no store after the start) it succeeds whenever `k` distinct shards
//! are held by holders it knows that serve only honest shards.
#![no_main]

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zg_core::machine::{Input as MInput, Machine, Output, Recipient};
use zg_core::{H256, NodeId, Timestamp};
use zg_erasure::repair::{Command, Event, Message, ShardBytes, Timer};
use zg_erasure::{Config, Repair, RepairConfig, ShardHolder, Target, encode};

const HOLDERS: u64 = 5;
const REPAIRER: NodeId = NodeId(0);

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Kind {
    Honest,
    Corrupt { at: u16 },
    Truncated,
    OtherObject,
}

#[derive(Arbitrary, Debug)]
enum Step {
    Deliver(u8),
    Duplicate(u8),
    Drop(u8),
    FireTimer(u8),
    /// Someone asks a holder for a shard directly.
    ForgeGet {
        holder: u8,
        from: u8,
        shard: u8,
        other: bool,
    },
    /// A non-request message to a holder (ignored).
    StrayToHolder {
        holder: u8,
        shard: u8,
    },
    /// A stranger answers the repairer.
    ForgeShard {
        from: u8,
        shard: u8,
        kind: Kind,
    },
    Store {
        holder: u8,
        shard: u8,
        kind: Kind,
    },
    AddHolder {
        holder: u8,
        shard: u8,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    k: u8,
    m: u8,
    size: u16,
    object: bool,
    target: u8,
    /// (holder, shard, kind): stored before the repair starts.
    stored: Vec<(u8, u8, Kind)>,
    /// (holder, shard): holders the repairer is told of.
    claims: Vec<(u8, u8)>,
    steps: Vec<Step>,
}

struct World {
    shards: Vec<Vec<u8>>,
    other: Vec<Vec<u8>>,
    root: H256,
    other_root: H256,
}

impl World {
    fn bytes(&self, shard: usize, kind: Kind) -> Vec<u8> {
        let mut b = self.shards.get(shard).cloned().unwrap_or_default();
        match kind {
            Kind::Honest => {}
            Kind::Corrupt { at } => {
                if !b.is_empty() {
                    let i = usize::from(at) % b.len();
                    b[i] ^= 0x80;
                }
            }
            Kind::Truncated => {
                b.pop();
            }
            Kind::OtherObject => {
                b = self
                    .other
                    .get(shard % self.other.len())
                    .cloned()
                    .unwrap_or_default()
            }
        }
        b
    }
}

struct Holder {
    machine: ShardHolder,
    model: BTreeMap<(H256, u32), Vec<u8>>,
    /// Stores only honest shards of the repaired object.
    honest: bool,
}

impl Holder {
    fn store(&mut self, w: &World, shard: usize, kind: Kind, now: Timestamp) {
        let data = w.bytes(shard, kind);
        let is_honest = data == w.shards[shard];
        self.honest &= is_honest;
        self.model.insert((w.root, shard as u32), data.clone());
        self.machine
            .handle(
                now,
                MInput::Command(Command::Store {
                    manifest: w.root,
                    shard: shard as u32,
                    data: ShardBytes::from(data),
                }),
            )
            .unwrap();
        assert!(
            self.machine.drain_outputs().is_empty(),
            "a store made the holder send"
        );
    }

    /// Delivers one message to the holder; returns its replies, checked against the model.
    fn deliver(
        &mut self,
        now: Timestamp,
        from: NodeId,
        message: Message,
    ) -> Vec<(NodeId, Message)> {
        let expect = match &message {
            Message::Get { manifest, shard } => Some(match self.model.get(&(*manifest, *shard)) {
                Some(b) => Message::Shard {
                    manifest: *manifest,
                    shard: *shard,
                    data: ShardBytes::from(b.clone()),
                },
                None => Message::NotFound {
                    manifest: *manifest,
                    shard: *shard,
                },
            }),
            _ => None,
        };
        self.machine
            .handle(now, MInput::Message { from, message })
            .unwrap();
        let out = self.machine.drain_outputs();
        match expect {
            None => {
                assert!(out.is_empty(), "holder answered a non-request");
                Vec::new()
            }
            Some(reply) => {
                assert_eq!(out.len(), 1, "a request got {} replies", out.len());
                match out.into_iter().next() {
                    Some(Output::Send {
                        to: Recipient::One(to),
                        message,
                    }) => {
                        assert_eq!(to, from, "reply sent to someone else");
                        assert_eq!(message, reply, "holder served bytes it does not hold");
                        vec![(to, message)]
                    }
                    other => panic!("holder output {other:?}"),
                }
            }
        }
    }
}

struct Net {
    now: Timestamp,
    /// (from, to, message) in flight.
    msgs: VecDeque<(NodeId, NodeId, Message)>,
    timers: Vec<(Timestamp, Timer)>,
    verdicts: usize,
    repaired: bool,
}

fn holder_id(h: u8) -> NodeId {
    NodeId(1 + u64::from(h) % HOLDERS)
}

impl Net {
    fn collect(&mut self, r: &mut Repair, expected: &[u8]) {
        for o in r.drain_outputs() {
            match o {
                Output::Send {
                    to: Recipient::One(to),
                    message,
                } => self.msgs.push_back((REPAIRER, to, message)),
                Output::ScheduleTimeout { at, timer } => self.timers.push((at, timer)),
                Output::Event(Event::Repaired { data, .. }) => {
                    assert_eq!(data.as_slice(), expected, "repaired wrong bytes");
                    self.verdicts += 1;
                    self.repaired = true;
                }
                Output::Event(Event::Failed(_)) => self.verdicts += 1,
                Output::Event(_) => {}
                other => panic!("repair output {other:?}"),
            }
        }
        assert!(self.verdicts <= 1, "more than one verdict");
    }

    fn route(
        &mut self,
        r: &mut Repair,
        holders: &mut [Holder],
        expected: &[u8],
        (from, to, message): (NodeId, NodeId, Message),
    ) {
        if to == REPAIRER {
            let _ = r.handle(self.now, MInput::Message { from, message });
            self.collect(r, expected);
        } else if let Some(h) =
            to.0.checked_sub(1)
                .and_then(|i| holders.get_mut(i as usize))
        {
            for (to2, reply) in h.deliver(self.now, from, message) {
                // Replies go back to whoever asked; only the repairer's matter.
                if to2 == REPAIRER {
                    self.msgs.push_back((to, REPAIRER, reply));
                }
            }
        }
    }

    fn fire(&mut self, r: &mut Repair, expected: &[u8], i: usize) {
        let (at, timer) = self.timers.remove(i);
        self.now = self.now.max(at);
        let _ = r.handle(self.now, MInput::Timeout(timer));
        self.collect(r, expected);
    }
}

fuzz_target!(|input: Input| {
    let (k, m) = (usize::from(input.k % 4) + 1, usize::from(input.m % 4) + 1);
    let n = k + m;
    let config = Config::new(k, m).unwrap().with_stripe_size(512).unwrap();
    let data: Vec<u8> = (0..usize::from(input.size % 3000) + 1)
        .map(|i| (i * 7 + 3) as u8)
        .collect();
    let other_data: Vec<u8> = data.iter().map(|b| b ^ 0x5a).collect();
    let encoded = encode(&data, config).unwrap();
    let other = encode(&other_data, config).unwrap();
    let manifest = Arc::new(encoded.manifest.clone());
    let w = World {
        shards: encoded.shards.clone(),
        other: other.shards.clone(),
        root: manifest.root(),
        other_root: other.manifest.root(),
    };
    let target = if input.object {
        Target::Object
    } else {
        Target::Shard(usize::from(input.target) % n)
    };
    let expected = match target {
        Target::Object => data.clone(),
        Target::Shard(i) => encoded.shards[i].clone(),
    };
    let t0 = Timestamp(1_000);
    let mut holders: Vec<Holder> = (0..HOLDERS)
        .map(|_| Holder {
            machine: ShardHolder::new(),
            model: BTreeMap::new(),
            honest: true,
        })
        .collect();
    for &(h, s, kind) in input.stored.iter().take(24) {
        let i = usize::from(h) % HOLDERS as usize;
        holders[i].store(&w, usize::from(s) % n, kind, t0);
    }
    let claims: Vec<(usize, NodeId)> = input
        .claims
        .iter()
        .take(24)
        .map(|&(h, s)| (usize::from(s) % n, holder_id(h)))
        .collect();
    let mut known: BTreeSet<(usize, NodeId)> = claims.iter().copied().collect();
    let mut r = Repair::new(t0, RepairConfig::new(manifest.clone(), target, claims)).unwrap();
    let mut net = Net {
        now: t0,
        msgs: VecDeque::new(),
        timers: Vec::new(),
        verdicts: 0,
        repaired: false,
    };
    net.collect(&mut r, &expected);
    let mut clean = true;
    for step in input.steps.into_iter().take(96) {
        match step {
            Step::Deliver(i) | Step::Duplicate(i) | Step::Drop(i) if net.msgs.is_empty() => {
                let _ = i;
            }
            Step::Deliver(i) => {
                let msg = net.msgs.remove(usize::from(i) % net.msgs.len()).unwrap();
                net.route(&mut r, &mut holders, &expected, msg);
            }
            Step::Duplicate(i) => {
                let msg = net.msgs[usize::from(i) % net.msgs.len()].clone();
                net.route(&mut r, &mut holders, &expected, msg);
            }
            Step::Drop(i) => {
                net.msgs.remove(usize::from(i) % net.msgs.len());
                clean = false;
            }
            Step::FireTimer(i) => {
                if !net.timers.is_empty() {
                    net.fire(&mut r, &expected, usize::from(i) % net.timers.len());
                    clean = false;
                }
            }
            Step::ForgeGet {
                holder,
                from,
                shard,
                other,
            } => {
                let manifest = if other { w.other_root } else { w.root };
                let msg = Message::Get {
                    manifest,
                    shard: u32::from(shard) % (n as u32 + 2),
                };
                // A stranger (not the repairer) asks: the reply goes to the stranger.
                let stranger = NodeId(100 + u64::from(from));
                let h = &mut holders[usize::from(holder) % HOLDERS as usize];
                h.deliver(net.now, stranger, msg);
            }
            Step::StrayToHolder { holder, shard } => {
                let s = usize::from(shard) % n;
                let msg = Message::Shard {
                    manifest: w.root,
                    shard: s as u32,
                    data: ShardBytes::from(w.bytes(s, Kind::Honest)),
                };
                let h = &mut holders[usize::from(holder) % HOLDERS as usize];
                h.deliver(net.now, REPAIRER, msg);
                h.deliver(
                    net.now,
                    REPAIRER,
                    Message::NotFound {
                        manifest: w.root,
                        shard: s as u32,
                    },
                );
            }
            Step::ForgeShard { from, shard, kind } => {
                let s = usize::from(shard) % n;
                let msg = Message::Shard {
                    manifest: w.root,
                    shard: s as u32,
                    data: ShardBytes::from(w.bytes(s, kind)),
                };
                // A corrupt answer in a holder's name gets that holder shunned: not clean.
                clean &= matches!(kind, Kind::Honest);
                let _ = r.handle(
                    net.now,
                    MInput::Message {
                        from: holder_id(from),
                        message: msg,
                    },
                );
                net.collect(&mut r, &expected);
            }
            Step::Store {
                holder,
                shard,
                kind,
            } => {
                let i = usize::from(holder) % HOLDERS as usize;
                holders[i].store(&w, usize::from(shard) % n, kind, net.now);
                clean = false;
            }
            Step::AddHolder { holder, shard } => {
                let s = usize::from(shard) % n;
                // A holder learnt after the verdict cannot help any more.
                if net.verdicts == 0 {
                    known.insert((s, holder_id(holder)));
                }
                let _ = r.handle(
                    net.now,
                    MInput::Command(Command::AddHolder {
                        shard: s as u32,
                        peer: holder_id(holder),
                    }),
                );
                net.collect(&mut r, &expected);
            }
        }
    }
    // Flush: every message, then the earliest timer, until nothing is left.
    let mut rounds = 0;
    loop {
        rounds += 1;
        assert!(rounds < 100_000, "the exchange never settles");
        if let Some(msg) = net.msgs.pop_front() {
            net.route(&mut r, &mut holders, &expected, msg);
        } else if !net.timers.is_empty() {
            let i = (0..net.timers.len())
                .min_by_key(|&i| net.timers[i].0)
                .unwrap();
            net.fire(&mut r, &expected, i);
        } else {
            break;
        }
    }
    assert_eq!(net.verdicts, 1, "the repair did not end");
    let honest_shards: BTreeSet<usize> = known
        .iter()
        .filter(|&&(s, p)| {
            let h = &holders[(p.0 - 1) as usize];
            h.honest && h.model.get(&(w.root, s as u32)) == Some(&w.shards[s])
        })
        .map(|&(s, _)| s)
        .collect();
    if clean && honest_shards.len() >= k {
        assert!(
            net.repaired,
            "a clean schedule with {k} honest shards failed"
        );
    }
});
