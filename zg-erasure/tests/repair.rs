//! The repair machine in the zg-core simulator: lossy links, duplicates, reordering, silent and
//! malicious holders, across seeds; plus direct checks of its input handling.

// In tests a panic is a failure report, and casts work on small test sizes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

use std::sync::Arc;

use zg_core::machine::{Input, Machine, Outbox, Output, Recipient};
use zg_core::sim::{Latency, LinkConfig, SimConfig, SimRng, Simulation};
use zg_core::{NodeId, Timestamp};
use zg_erasure::repair::{
    Event, Message, RepairError, RepairFailure, ShardBytes, ShardExchange, Timer,
};
use zg_erasure::{Config, Encoded, Repair, RepairConfig, ShardHolder, Target, encode};

type Node = Box<dyn Machine<ShardExchange>>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Behaviour {
    Honest,
    /// Answers with one byte flipped.
    Corrupt,
    /// Answers with another shard's (valid) bytes under the asked index.
    Relabel,
    /// Answers with bytes of the wrong length.
    Truncate,
    /// Never answers.
    Silent,
    /// Answers, and also pushes shards nobody asked it for.
    Spam,
}

/// A holder that misbehaves as told.
struct Byzantine {
    behaviour: Behaviour,
    encoded: Arc<Encoded>,
    shards: Vec<u32>,
    out: Outbox<ShardExchange>,
}

impl Machine<ShardExchange> for Byzantine {
    fn handle(
        &mut self,
        _now: Timestamp,
        input: zg_core::machine::Input<ShardExchange>,
    ) -> Result<(), RepairError> {
        let Input::Message {
            from,
            message: Message::Get { manifest, shard },
        } = input
        else {
            return Ok(());
        };
        if !self.shards.contains(&shard) {
            self.out.send(from, Message::NotFound { manifest, shard });
            return Ok(());
        }
        let n = self.encoded.shards.len();
        let mut bytes = self.encoded.shards[shard as usize].clone();
        match self.behaviour {
            Behaviour::Honest => {}
            Behaviour::Corrupt => {
                let at = bytes.len() / 2;
                bytes[at] ^= 0x80;
            }
            Behaviour::Relabel => bytes = self.encoded.shards[(shard as usize + 1) % n].clone(),
            Behaviour::Truncate => {
                bytes.pop();
            }
            Behaviour::Silent => return Ok(()),
            Behaviour::Spam => {
                let other = (shard + 1) % n as u32;
                self.out.send(
                    from,
                    Message::Shard {
                        manifest,
                        shard: other,
                        data: ShardBytes::from(vec![0u8; 3]),
                    },
                );
            }
        }
        self.out.send(
            from,
            Message::Shard {
                manifest,
                shard,
                data: ShardBytes::from(bytes),
            },
        );
        Ok(())
    }

    fn poll_output(&mut self) -> Option<Output<ShardExchange>> {
        self.out.pop()
    }
}

struct Scenario {
    seed: u64,
    encoded: Arc<Encoded>,
    target: Target,
    /// Behaviour of holder node `1 + h`.
    behaviours: Vec<Behaviour>,
    /// Shards held by holder node `1 + h`.
    holdings: Vec<Vec<u32>>,
    link: LinkConfig,
}

fn lossy() -> LinkConfig {
    LinkConfig {
        latency: Latency::Exponential {
            min_ms: 5,
            mean_extra_ms: 60,
        },
        loss: 0.1,
        duplicate: 0.1,
        reorder: 0.2,
        reorder_ms: 400,
    }
}

/// Builds a scenario: every shard on two holders; each holder's behaviour drawn from the seed.
fn scenario(seed: u64) -> Scenario {
    let mut rng = SimRng::new(seed ^ 0x5eed);
    let k = 2 + rng.below(5) as usize;
    let m = 1 + rng.below(5) as usize;
    let size = 1 + rng.below(40_000) as usize;
    let mut data = vec![0u8; size];
    rng.fill(&mut data);
    let config = Config::new(k, m).unwrap().with_stripe_size(4096).unwrap();
    let encoded = Arc::new(encode(&data, config).unwrap());
    let n = k + m;
    let holdings: Vec<Vec<u32>> = (0..2 * n).map(|h| vec![(h % n) as u32]).collect();
    let behaviours = (0..2 * n)
        .map(|_| match rng.below(10) {
            0 => Behaviour::Corrupt,
            1 => Behaviour::Relabel,
            2 => Behaviour::Truncate,
            3 => Behaviour::Silent,
            4 => Behaviour::Spam,
            _ => Behaviour::Honest,
        })
        .collect();
    let target = match seed % 3 {
        0 => Target::Object,
        _ => Target::Shard(rng.below(n as u64) as usize),
    };
    Scenario {
        seed,
        encoded,
        target,
        behaviours,
        holdings,
        link: lossy(),
    }
}

/// Whether an honest holder exists for enough shards that the repair must succeed.
fn recoverable(s: &Scenario) -> bool {
    let n = s.encoded.shards.len();
    let k = s.encoded.manifest.layout().data_shards();
    let good = |j: usize| {
        s.holdings.iter().zip(&s.behaviours).any(|(h, b)| {
            h.contains(&(j as u32)) && matches!(b, Behaviour::Honest | Behaviour::Spam)
        })
    };
    let good_shards = (0..n).filter(|&j| good(j)).count();
    match s.target {
        Target::Shard(i) => {
            (s.seed % 2 == 1 && good(i)) || (0..n).filter(|&j| j != i && good(j)).count() >= k
        }
        Target::Object => good_shards >= k,
    }
}

fn run(s: &Scenario) -> (Vec<Event>, u64, u64) {
    let manifest = Arc::new(s.encoded.manifest.clone());
    let root = manifest.root();
    let holders: Vec<(usize, NodeId)> = s
        .holdings
        .iter()
        .enumerate()
        .flat_map(|(h, shards)| {
            shards
                .iter()
                .map(move |&j| (j as usize, NodeId(1 + h as u64)))
        })
        // On even seeds the lost shard is gone from the network; on odd ones a replica is left.
        .filter(|&(j, _)| s.seed % 2 == 1 || Target::Shard(j) != s.target)
        .collect();
    let target = s.target;
    let encoded = s.encoded.clone();
    let behaviours = s.behaviours.clone();
    let holdings = s.holdings.clone();
    let mut sim: Simulation<ShardExchange, Node> = Simulation::new(
        SimConfig {
            seed: s.seed,
            link: s.link,
        },
        1 + s.holdings.len(),
        move |id, now, _records| -> Node {
            if id == NodeId(0) {
                let mut config = RepairConfig::new(manifest.clone(), target, holders.clone());
                config.request_timeout_ms = 1000;
                config.attempts_per_holder = 4;
                return Box::new(Repair::new(now, config).unwrap());
            }
            let h = (id.0 - 1) as usize;
            match behaviours[h] {
                Behaviour::Honest => {
                    let mut holder = ShardHolder::new();
                    for &j in &holdings[h] {
                        holder.store(
                            root,
                            j,
                            ShardBytes::from(encoded.shards[j as usize].clone()),
                        );
                    }
                    Box::new(holder)
                }
                b => Box::new(Byzantine {
                    behaviour: b,
                    encoded: encoded.clone(),
                    shards: holdings[h].clone(),
                    out: Outbox::new(),
                }),
            }
        },
    );
    let ended = |sim: &Simulation<ShardExchange, Node>| {
        sim.events().iter().any(|(_, node, e)| {
            *node == NodeId(0) && matches!(e, Event::Repaired { .. } | Event::Failed(_))
        })
    };
    assert!(
        sim.run_until_cond(Timestamp::from_secs(600), ended),
        "seed {}: the repair never ended",
        s.seed
    );
    // Let stragglers arrive: nothing after the end may produce a second verdict.
    sim.run_for(core::time::Duration::from_secs(30));
    let events = sim
        .events()
        .iter()
        .filter(|(_, node, _)| *node == NodeId(0))
        .map(|(_, _, e)| e.clone())
        .collect();
    (events, sim.trace_hash(), sim.stats().errors)
}

fn expected(s: &Scenario) -> Vec<u8> {
    match s.target {
        Target::Shard(i) => s.encoded.shards[i].clone(),
        Target::Object => {
            let view: Vec<Option<&[u8]>> = s.encoded.shards.iter().map(|b| Some(&b[..])).collect();
            zg_erasure::decode(&s.encoded.manifest, &view)
                .unwrap()
                .object
        }
    }
}

#[test]
fn repair_converges_across_seeds_with_loss_and_malicious_holders() {
    let mut repaired = 0;
    let mut failed = 0;
    for seed in 0..200u64 {
        let s = scenario(seed);
        let (events, _, _) = run(&s);
        let verdicts: Vec<&Event> = events
            .iter()
            .filter(|e| matches!(e, Event::Repaired { .. } | Event::Failed(_)))
            .collect();
        assert_eq!(verdicts.len(), 1, "seed {seed}: verdicts {verdicts:?}");
        match verdicts[0] {
            Event::Repaired { target, data } => {
                assert_eq!(*target, s.target, "seed {seed}");
                assert_eq!(
                    data.as_slice(),
                    &expected(&s)[..],
                    "seed {seed}: wrong bytes"
                );
                repaired += 1;
            }
            Event::Failed(why) => {
                assert!(
                    !recoverable(&s),
                    "seed {seed}: failed ({why:?}) although honest holders had enough shards \
                     (behaviours {:?}, target {:?})",
                    s.behaviours,
                    s.target
                );
                assert!(
                    matches!(why, RepairFailure::NotEnoughShards { .. }),
                    "seed {seed}"
                );
                failed += 1;
            }
            _ => unreachable!(),
        }
        // Every corrupt answer that arrived was flagged, and no honest holder was.
        for e in &events {
            if let Event::Rejected { from, .. } = e {
                let b = s.behaviours[(from.0 - 1) as usize];
                assert!(
                    matches!(
                        b,
                        Behaviour::Corrupt | Behaviour::Relabel | Behaviour::Truncate
                    ),
                    "seed {seed}: {from} ({b:?}) rejected"
                );
            }
        }
    }
    eprintln!("{repaired} repaired, {failed} failed (as expected: too few honest holders)");
    assert!(
        repaired >= 170,
        "only {repaired} of 200 repaired ({failed} failed)"
    );
}

#[test]
fn same_seed_same_run() {
    let s = scenario(11);
    let a = run(&s);
    let b = run(&s);
    assert_eq!(a.1, b.1);
    assert_eq!(a.0, b.0);
}

#[test]
fn gives_up_cleanly_when_too_few_honest_holders() {
    let mut s = scenario(3);
    s.target = Target::Object;
    let k = s.encoded.manifest.layout().data_shards();
    let n = s.encoded.shards.len();
    // Only shards 0..k-1 have an honest holder; every other holder misbehaves or is silent.
    for (h, b) in s.behaviours.iter_mut().enumerate() {
        *b = if h % n < k - 1 {
            Behaviour::Honest
        } else {
            [Behaviour::Corrupt, Behaviour::Silent, Behaviour::Relabel][h % 3]
        };
    }
    let (events, _, _) = run(&s);
    assert_eq!(
        events.last(),
        Some(&Event::Failed(RepairFailure::NotEnoughShards {
            have: k - 1,
            need: k
        }))
    );
    assert!(!events.iter().any(|e| matches!(e, Event::Repaired { .. })));
}

#[test]
fn perfect_network_takes_k_requests() {
    let mut s = scenario(5);
    s.behaviours.iter_mut().for_each(|b| *b = Behaviour::Honest);
    s.link = LinkConfig::default();
    s.target = Target::Object;
    let k = s.encoded.manifest.layout().data_shards();
    let (events, _, errors) = run(&s);
    let verified = events
        .iter()
        .filter(|e| matches!(e, Event::Verified { .. }))
        .count();
    assert_eq!(verified, k);
    assert_eq!(errors, 0);
    assert!(matches!(events.last(), Some(Event::Repaired { .. })));
}

// ---- Direct input handling, without the simulator ----

fn drain(r: &mut Repair) -> Vec<Output<ShardExchange>> {
    r.drain_outputs()
}

fn requests(outputs: &[Output<ShardExchange>]) -> Vec<(NodeId, u32)> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Send {
                to: Recipient::One(p),
                message: Message::Get { shard, .. },
            } => Some((*p, *shard)),
            _ => None,
        })
        .collect()
}

#[test]
fn late_duplicate_unsolicited_and_foreign_inputs() {
    let data: Vec<u8> = (0..5000u32).map(|i| (i * 7) as u8).collect();
    let encoded = encode(&data, Config::new(2, 2).unwrap()).unwrap();
    let manifest = Arc::new(encoded.manifest.clone());
    let root = manifest.root();
    let holders = vec![
        (0, NodeId(10)),
        (1, NodeId(11)),
        (2, NodeId(12)),
        (3, NodeId(13)),
    ];
    let mut config = RepairConfig::new(manifest.clone(), Target::Shard(3), holders);
    config.request_timeout_ms = 100;
    config.attempts_per_holder = 1;
    let mut r = Repair::new(Timestamp(0), config).unwrap();
    let out = drain(&mut r);
    // Target first, then data shards: k = 2 requests.
    assert_eq!(requests(&out), vec![(NodeId(13), 3), (NodeId(10), 0)]);
    let shard = |j: usize| ShardBytes::from(encoded.shards[j].clone());
    let msg = |j: u32, data: ShardBytes| Input::Message {
        from: NodeId(10 + u64::from(j)),
        message: Message::Shard {
            manifest: root,
            shard: j,
            data,
        },
    };

    // Unsolicited (shard 1 was not asked of node 11) and foreign: rejected, nothing queued.
    assert!(matches!(
        r.handle(Timestamp(5), msg(1, shard(1))),
        Err(RepairError::Unsolicited { .. })
    ));
    let foreign = Input::Message {
        from: NodeId(10),
        message: Message::Shard {
            manifest: zg_core::H256([1; 32]),
            shard: 0,
            data: shard(0),
        },
    };
    assert!(matches!(
        r.handle(Timestamp(5), foreign),
        Err(RepairError::WrongObject { .. })
    ));
    assert!(matches!(
        r.handle(Timestamp(5), msg(99, shard(0))),
        Err(RepairError::ShardIndex { .. })
    ));
    assert!(drain(&mut r).is_empty());

    // Shard 0 arrives, then again (duplicate): one Verified.
    r.handle(Timestamp(10), msg(0, shard(0))).unwrap();
    r.handle(Timestamp(11), msg(0, shard(0))).unwrap();
    let out = drain(&mut r);
    let verified = out
        .iter()
        .filter(|o| matches!(o, Output::Event(Event::Verified { .. })))
        .count();
    assert_eq!(verified, 1);

    // The target's holder times out: the machine asks for shard 1 instead.
    r.handle(
        Timestamp(100),
        Input::Timeout(Timer::Request {
            shard: 3,
            peer: NodeId(13),
            id: 0,
        }),
    )
    .unwrap();
    let out = drain(&mut r);
    assert!(
        out.iter()
            .any(|o| matches!(o, Output::Event(Event::TimedOut { shard: 3, .. })))
    );
    assert!(requests(&out).contains(&(NodeId(11), 1)));
    // A stale timer changes nothing.
    r.handle(
        Timestamp(101),
        Input::Timeout(Timer::Request {
            shard: 3,
            peer: NodeId(13),
            id: 0,
        }),
    )
    .unwrap();
    assert!(drain(&mut r).is_empty());

    // The target arrives late from the timed-out holder: accepted, and it is the answer.
    r.handle(Timestamp(150), msg(3, shard(3))).unwrap();
    let out = drain(&mut r);
    let repaired = out.iter().find_map(|o| match o {
        Output::Event(Event::Repaired { data, .. }) => Some(data.clone()),
        _ => None,
    });
    assert_eq!(repaired, Some(shard(3)));
    assert!(r.is_done());
    // After the end everything is ignored.
    r.handle(Timestamp(200), msg(1, shard(1))).unwrap();
    assert!(drain(&mut r).is_empty());
}

#[test]
fn corrupt_answer_bans_the_peer_and_asks_another_holder() {
    let data = vec![42u8; 3000];
    let encoded = encode(&data, Config::new(2, 1).unwrap()).unwrap();
    let manifest = Arc::new(encoded.manifest.clone());
    let root = manifest.root();
    let holders = vec![(0, NodeId(1)), (0, NodeId(2)), (1, NodeId(3))];
    let mut r = Repair::new(
        Timestamp(0),
        RepairConfig::new(manifest, Target::Object, holders),
    )
    .unwrap();
    assert_eq!(
        requests(&drain(&mut r)),
        vec![(NodeId(1), 0), (NodeId(3), 1)]
    );
    let mut bad = encoded.shards[0].clone();
    bad[0] ^= 1;
    r.handle(
        Timestamp(5),
        Input::Message {
            from: NodeId(1),
            message: Message::Shard {
                manifest: root,
                shard: 0,
                data: ShardBytes::from(bad),
            },
        },
    )
    .unwrap();
    let out = drain(&mut r);
    assert!(
        out.iter()
            .any(|o| matches!(o, Output::Event(Event::Rejected { shard: 0, .. })))
    );
    assert_eq!(requests(&out), vec![(NodeId(2), 0)]);
    assert_eq!(r.banned().collect::<Vec<_>>(), vec![&NodeId(1)]);
}

fn shard_msg(
    from: u64,
    manifest: zg_core::H256,
    shard: u32,
    data: Vec<u8>,
) -> Input<ShardExchange> {
    Input::Message {
        from: NodeId(from),
        message: Message::Shard {
            manifest,
            shard,
            data: ShardBytes::from(data),
        },
    }
}

fn count(outputs: &[Output<ShardExchange>], f: impl Fn(&Event) -> bool) -> usize {
    outputs
        .iter()
        .filter(|o| matches!(o, Output::Event(e) if f(e)))
        .count()
}

/// Attack: a holder that was asked once sends a corrupt shard, is banned, and then keeps
/// sending corrupt shards. Before the fix every copy was hashed again (a full shard's Keccak
/// per message) and reported as a fresh rejection; now the ban is checked first and the
/// copies are dropped unread.
#[test]
fn banned_peer_flood_is_dropped_before_hashing() {
    let data = vec![42u8; 30_000];
    let encoded = encode(&data, Config::new(2, 1).unwrap()).unwrap();
    let manifest = Arc::new(encoded.manifest.clone());
    let root = manifest.root();
    let holders = vec![(0, NodeId(1)), (0, NodeId(2)), (1, NodeId(3))];
    let mut r = Repair::new(
        Timestamp(0),
        RepairConfig::new(manifest, Target::Object, holders),
    )
    .unwrap();
    drain(&mut r);
    let mut bad = encoded.shards[0].clone();
    bad[7] ^= 1;
    r.handle(Timestamp(1), shard_msg(1, root, 0, bad.clone()))
        .unwrap();
    let out = drain(&mut r);
    assert_eq!(count(&out, |e| matches!(e, Event::Rejected { .. })), 1);
    for i in 0..1_000u64 {
        assert_eq!(
            r.handle(Timestamp(2 + i), shard_msg(1, root, 0, bad.clone())),
            Err(RepairError::Banned {
                shard: 0,
                from: NodeId(1)
            })
        );
    }
    assert!(
        drain(&mut r).is_empty(),
        "a banned peer's copies made output"
    );
    // Not even a valid shard from it counts any more.
    assert!(matches!(
        r.handle(
            Timestamp(5_000),
            shard_msg(1, root, 0, encoded.shards[0].clone())
        ),
        Err(RepairError::Banned { .. })
    ));
    assert_eq!(r.verified(), 0);
}

/// Attack: a peer holding two of the shards answers one of them corruptly. Before the fix its
/// other request stayed "in flight" to the now-banned peer until the timeout (and its answer,
/// if it came, was still hashed); now it is asked of another holder at once.
#[test]
fn a_banned_peers_other_requests_are_asked_elsewhere_at_once() {
    let data = vec![9u8; 30_000];
    let encoded = encode(&data, Config::new(2, 1).unwrap()).unwrap();
    let manifest = Arc::new(encoded.manifest.clone());
    let root = manifest.root();
    let holders = vec![
        (0, NodeId(1)),
        (1, NodeId(1)),
        (0, NodeId(2)),
        (1, NodeId(3)),
    ];
    let mut r = Repair::new(
        Timestamp(0),
        RepairConfig::new(manifest, Target::Object, holders),
    )
    .unwrap();
    assert_eq!(
        requests(&drain(&mut r)),
        vec![(NodeId(1), 0), (NodeId(1), 1)]
    );
    let mut bad = encoded.shards[0].clone();
    bad[0] ^= 1;
    r.handle(Timestamp(1), shard_msg(1, root, 0, bad)).unwrap();
    let mut asked = requests(&drain(&mut r));
    asked.sort_unstable();
    assert_eq!(asked, vec![(NodeId(2), 0), (NodeId(3), 1)]);
    // The two honest answers finish the repair before any timeout.
    r.handle(
        Timestamp(2),
        shard_msg(2, root, 0, encoded.shards[0].clone()),
    )
    .unwrap();
    r.handle(
        Timestamp(3),
        shard_msg(3, root, 1, encoded.shards[1].clone()),
    )
    .unwrap();
    let out = drain(&mut r);
    assert_eq!(count(&out, |e| matches!(e, Event::Repaired { .. })), 1);
}

/// Flood: 50 strangers and a lying holder send 20,000 messages of every kind (shards, corrupt
/// or short, for this object or another, in or out of range; `NotFound`s; `Get`s), in any
/// order, in front of and between the honest answers. Bounds stated in the crate's threat
/// model: a stranger's message changes nothing and makes no output; a peer gets at most one
/// `Rejected` (one failed hash) per repair; no peer is asked for a shard more than
/// `attempts_per_holder` times; and the repair still ends with the object's bytes.
#[test]
fn a_flood_from_strangers_and_a_liar_stays_within_the_bounds() {
    let data: Vec<u8> = (0..40_000u32).map(|i| (i % 253) as u8).collect();
    let encoded = encode(&data, Config::new(3, 2).unwrap()).unwrap();
    let manifest = Arc::new(encoded.manifest.clone());
    let root = manifest.root();
    // The liar (node 6) is listed first for shard 0; nodes 1..=5 hold shard `id - 1`.
    let mut holders = vec![(0, NodeId(6))];
    holders.extend((0..5).map(|j| (j, NodeId(1 + j as u64))));
    let mut config = RepairConfig::new(manifest, Target::Object, holders);
    config.spare_requests = 1;
    let attempts = config.attempts_per_holder as usize;
    let mut r = Repair::new(Timestamp(0), config).unwrap();
    let mut out = drain(&mut r);
    let mut rng = SimRng::new(0xf100d);
    let corrupt = |j: usize, at: usize| {
        let mut b = encoded.shards[j % 5].clone();
        let at = at % b.len();
        b[at] ^= 1;
        b
    };
    for step in 0..20_000u64 {
        let liar = rng.below(10) == 0;
        let from = if liar { 6 } else { 100 + rng.below(50) };
        let shard = rng.below(6) as u32; // 5 is out of range
        let message = match rng.below(5) {
            0 => Message::Shard {
                manifest: root,
                shard,
                data: ShardBytes::from(corrupt(shard as usize, rng.below(1 << 20) as usize)),
            },
            1 => Message::Shard {
                manifest: root,
                shard,
                data: ShardBytes::from(vec![0u8; rng.below(64) as usize]),
            },
            2 => Message::NotFound {
                manifest: root,
                shard,
            },
            3 => Message::Get {
                manifest: root,
                shard,
            },
            _ => Message::Shard {
                manifest: zg_core::H256([3; 32]),
                shard,
                data: ShardBytes::from(encoded.shards[(shard as usize) % 5].clone()),
            },
        };
        let before = (r.verified(), r.banned().count());
        let _ = r.handle(
            Timestamp(1 + step),
            Input::Message {
                from: NodeId(from),
                message,
            },
        );
        let o = drain(&mut r);
        if !liar {
            assert!(o.is_empty(), "a stranger's message made output: {o:?}");
            assert_eq!((r.verified(), r.banned().count()), before);
        }
        out.extend(o);
        // Halfway through, the honest holders of the data shards answer.
        if step == 10_000 {
            for j in 1..3u64 {
                r.handle(
                    Timestamp(1 + step),
                    shard_msg(j + 1, root, j as u32, encoded.shards[j as usize].clone()),
                )
                .unwrap();
            }
            out.extend(drain(&mut r));
        }
    }
    assert_eq!(
        count(
            &out,
            |e| matches!(e, Event::Rejected { from, .. } if *from == NodeId(6))
        ),
        1,
        "the liar is rejected once, then dropped unread"
    );
    assert_eq!(r.banned().collect::<Vec<_>>(), vec![&NodeId(6)]);
    // Shard 0 went to its honest holder once the liar was banned; it answers.
    assert!(requests(&out).contains(&(NodeId(1), 0)));
    r.handle(
        Timestamp(30_000),
        shard_msg(1, root, 0, encoded.shards[0].clone()),
    )
    .unwrap();
    out.extend(drain(&mut r));
    let mut asked = requests(&out);
    asked.sort_unstable();
    for w in asked.chunk_by(|a, b| a == b) {
        assert!(w.len() <= attempts, "{:?} asked {} times", w[0], w.len());
    }
    let repaired: Vec<&ShardBytes> = out
        .iter()
        .filter_map(|o| match o {
            Output::Event(Event::Repaired { data, .. }) => Some(data),
            _ => None,
        })
        .collect();
    assert_eq!(repaired.len(), 1);
    assert_eq!(repaired[0].as_slice(), &data[..]);
}

/// Flood against a holder: 10,000 `Get`s from 1,000 peers for stored and unknown objects,
/// and shards pushed at it. Bounds stated in the crate's threat model: a holder keeps no
/// per-peer state, answers each `Get` with exactly one message addressed to the transport's
/// sender, and stores only what its host gives it (pushed shards are never served).
#[test]
fn a_holder_answers_each_get_once_to_its_sender_and_stores_nothing_pushed() {
    let data = vec![5u8; 9_000];
    let encoded = encode(&data, Config::new(2, 1).unwrap()).unwrap();
    let root = encoded.manifest.root();
    let mut h = ShardHolder::new();
    h.store(root, 1, ShardBytes::from(encoded.shards[1].clone()));
    let mut rng = SimRng::new(7);
    for i in 0..10_000u64 {
        let from = NodeId(rng.below(1_000));
        // Pushed shards (and NotFounds) are noise to a holder.
        let push = Input::Message {
            from,
            message: Message::Shard {
                manifest: root,
                shard: 0,
                data: ShardBytes::from(vec![1u8; 16]),
            },
        };
        h.handle(Timestamp(i), push).unwrap();
        assert!(h.drain_outputs().is_empty());
        let (manifest, shard) = match rng.below(3) {
            0 => (root, 1),
            1 => (root, 0),
            _ => (zg_core::H256([i as u8; 32]), 1),
        };
        h.handle(
            Timestamp(i),
            Input::Message {
                from,
                message: Message::Get { manifest, shard },
            },
        )
        .unwrap();
        let out = h.drain_outputs();
        assert_eq!(out.len(), 1, "one reply per Get");
        match &out[0] {
            Output::Send {
                to: Recipient::One(to),
                message,
            } => {
                assert_eq!(*to, from, "the reply goes to the sender");
                match (manifest == root && shard == 1, message) {
                    (true, Message::Shard { data, .. }) => {
                        assert_eq!(data.as_slice(), &encoded.shards[1][..]);
                    }
                    (false, Message::NotFound { .. }) => {}
                    (_, m) => panic!("wrong reply {m:?}"),
                }
            }
            o => panic!("unexpected output {o:?}"),
        }
    }
    assert_eq!(format!("{h:?}"), "ShardHolder { shards: 1, .. }");
}

/// Order: the same messages — a liar's corrupt shards, strangers' forgeries, honest answers —
/// delivered in 200 different orders (the attacker's first in many of them). The verdict and
/// the repaired bytes never depend on the order.
#[test]
fn the_verdict_does_not_depend_on_message_order() {
    let data: Vec<u8> = (0..20_000u32).map(|i| (i % 241) as u8).collect();
    let encoded = encode(&data, Config::new(3, 2).unwrap()).unwrap();
    let manifest = Arc::new(encoded.manifest.clone());
    let root = manifest.root();
    // The liar (node 6) is listed first for shards 0 and 1; node j + 1 holds shard j.
    let mut holders = vec![(0, NodeId(6)), (1, NodeId(6))];
    holders.extend((0..5).map(|j| (j, NodeId(1 + j as u64))));
    let corrupt = |j: usize| {
        let mut b = encoded.shards[j].clone();
        b[j * 11] ^= 4;
        b
    };
    // (sender, shard, bytes)
    let mut messages: Vec<(u64, u32, Vec<u8>)> = vec![
        (6, 0, corrupt(0)),
        (6, 1, corrupt(1)),
        // Strangers replaying valid bytes and forging junk.
        (50, 2, encoded.shards[2].clone()),
        (51, 3, corrupt(3)),
        (52, 4, vec![1, 2, 3]),
    ];
    for j in 2..5u64 {
        messages.push((j + 1, j as u32, encoded.shards[j as usize].clone()));
    }
    let mut rng = SimRng::new(0x04de5);
    for run in 0..200 {
        let mut config = RepairConfig::new(manifest.clone(), Target::Object, holders.clone());
        config.spare_requests = 2;
        let mut r = Repair::new(Timestamp(0), config).unwrap();
        drain(&mut r);
        let mut order = messages.clone();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let mut out = Vec::new();
        for (t, (from, shard, bytes)) in order.into_iter().enumerate() {
            let _ = r.handle(Timestamp(1 + t as u64), shard_msg(from, root, shard, bytes));
            out.extend(drain(&mut r));
        }
        let verdict: Vec<&Event> = out
            .iter()
            .filter_map(|o| match o {
                Output::Event(e @ (Event::Repaired { .. } | Event::Failed(_))) => Some(e),
                _ => None,
            })
            .collect();
        match verdict[..] {
            [Event::Repaired { data: got, .. }] => {
                assert_eq!(got.as_slice(), &data[..], "run {run}")
            }
            _ => panic!("run {run}: verdict {verdict:?}"),
        }
    }
}
