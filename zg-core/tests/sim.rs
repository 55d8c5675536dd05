//! The simulator: determinism, partitions, crashes and restarts, link faults, scale.

// In tests a panic is a failure report, and casts work on small test sizes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

use std::convert::Infallible;
use std::time::Duration;

use zg_core::machine::{Input, Machine, Outbox, Output, Protocol};
use zg_core::sim::{Fault, Latency, LinkConfig, SimConfig, Simulation};
use zg_core::{NodeId, Timestamp};

/// Every node ticks each `PERIOD` ms and sends (sender, seq) to a peer chosen from its id and
/// tick; it persists its tick count and reports every message it receives.
struct Ticker;
impl Protocol for Ticker {
    type Message = (u64, u64);
    type Timer = u64;
    type Command = u64;
    type Request = u64;
    type Record = u64;
    type Event = Seen;
    type Error = Infallible;
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Msg { from: NodeId, seq: u64 },
    Cmd(u64),
    Restored(u64),
}

const PERIOD: u64 = 1000;

struct Node {
    id: NodeId,
    n: u64,
    tick: u64,
    broadcast: bool,
    out: Outbox<Ticker>,
}

impl Node {
    fn new(id: NodeId, n: u64, now: Timestamp, records: &[u64], broadcast: bool) -> Self {
        let tick = records.last().copied().unwrap_or(0);
        let mut out = Outbox::new();
        if !records.is_empty() {
            out.event(Seen::Restored(tick));
        }
        out.schedule(now.plus_millis(PERIOD), tick + 1);
        Node {
            id,
            n,
            tick,
            broadcast,
            out,
        }
    }
}

impl Machine<Ticker> for Node {
    fn handle(&mut self, now: Timestamp, input: Input<Ticker>) -> Result<(), Infallible> {
        match input {
            Input::Timeout(t) => {
                self.tick = t;
                self.out.persist(t);
                if self.broadcast {
                    self.out.broadcast((self.id.0, t));
                } else {
                    let peer = (self.id.0 * 7 + t * 13 + 1) % self.n;
                    if peer != self.id.0 {
                        self.out.send(NodeId(peer), (self.id.0, t));
                    }
                }
                self.out.schedule(now.plus_millis(PERIOD), t + 1);
            }
            Input::Message { from, message } => self.out.event(Seen::Msg {
                from,
                seq: message.1,
            }),
            Input::Command(c) => {
                self.out.event(Seen::Cmd(c));
                if c % 2 == 1 {
                    self.out.request(c);
                }
            }
        }
        Ok(())
    }
    fn poll_output(&mut self) -> Option<Output<Ticker>> {
        self.out.pop()
    }
}

fn sim(seed: u64, n: usize, link: LinkConfig, broadcast: bool) -> Simulation<Ticker, Node> {
    let nn = n as u64;
    Simulation::new(SimConfig { seed, link }, n, move |id, now, rec: &[u64]| {
        Node::new(id, nn, now, rec, broadcast)
    })
}

fn lossy() -> LinkConfig {
    LinkConfig {
        latency: Latency::Exponential {
            min_ms: 5,
            mean_extra_ms: 40,
        },
        loss: 0.2,
        duplicate: 0.1,
        reorder: 0.2,
        reorder_ms: 300,
    }
}

fn run(seed: u64) -> (u64, usize) {
    let mut s = sim(seed, 20, lossy(), true);
    s.schedule(
        Timestamp::from_secs(5),
        Fault::Partition(vec![(0..10).map(NodeId).collect()]),
    );
    s.schedule(Timestamp::from_secs(9), Fault::Heal);
    s.schedule(Timestamp::from_secs(3), Fault::Crash(NodeId(3)));
    s.schedule(Timestamp::from_secs(7), Fault::Restart(NodeId(3)));
    s.run_until(Timestamp::from_secs(15));
    (s.trace_hash(), s.events().len())
}

#[test]
fn same_seed_same_trace() {
    let a = run(7);
    assert_eq!(a, run(7));
    assert_ne!(a.0, run(8).0, "different seeds should give different runs");
}

#[test]
fn partition_drops_cross_traffic_until_healed() {
    let mut s = sim(1, 6, LinkConfig::default(), true);
    let left: Vec<NodeId> = (0..3).map(NodeId).collect();
    s.apply(Fault::Partition(vec![left]));
    s.run_until(Timestamp::from_secs(10));
    let cross = |from: NodeId, to: NodeId| (from.0 < 3) != (to.0 < 3);
    let events = s.take_events();
    assert!(!events.is_empty());
    for (_, to, e) in &events {
        if let Seen::Msg { from, .. } = e {
            assert!(
                !cross(*from, *to),
                "{from} reached {to} across the partition"
            );
        }
    }
    assert!(s.stats().partitioned > 0);
    s.apply(Fault::Heal);
    s.run_until(Timestamp::from_secs(20));
    let healed_cross = s
        .events()
        .iter()
        .filter(|(_, to, e)| matches!(e, Seen::Msg { from, .. } if cross(*from, *to)))
        .count();
    assert!(healed_cross > 0, "traffic crosses again after healing");
}

#[test]
fn crashed_node_receives_nothing_until_restart_and_restores_records() {
    let mut s = sim(3, 5, LinkConfig::default(), true);
    s.set_host(|_, _, req, _| vec![(Duration::from_millis(50), req + 101)]);
    s.run_until(Timestamp::from_millis(4500));
    let persisted_before = s.persisted(NodeId(2)).to_vec();
    assert_eq!(persisted_before, vec![1, 2, 3, 4]);
    // A command whose request is answered after the crash: the answer must not arrive.
    s.inject(Timestamp::from_millis(4600), NodeId(2), 1);
    s.schedule(Timestamp::from_millis(4620), Fault::Crash(NodeId(2)));
    s.inject(Timestamp::from_secs(6), NodeId(2), 42);
    s.run_until(Timestamp::from_secs(9));
    assert!(!s.is_up(NodeId(2)));
    let down_window = |t: Timestamp| t > Timestamp::from_millis(4620);
    assert!(
        !s.events()
            .iter()
            .any(|(t, n, _)| *n == NodeId(2) && down_window(*t)),
        "a crashed node saw an input"
    );
    assert!(s.stats().dropped_down > 0);
    s.apply(Fault::Restart(NodeId(2)));
    let restored = s
        .events()
        .iter()
        .rev()
        .find(|(_, n, _)| *n == NodeId(2))
        .map(|e| e.2.clone());
    assert_eq!(restored, Some(Seen::Restored(4)));
    s.run_until(Timestamp::from_secs(12));
    assert!(
        s.events().iter().any(|(t, n, e)| *n == NodeId(2)
            && *t > Timestamp::from_secs(9)
            && matches!(e, Seen::Msg { .. })),
        "a restarted node hears again"
    );
    // Commands answered by the host reach a running node.
    s.inject(Timestamp::from_secs(12), NodeId(1), 5);
    s.run_until(Timestamp::from_secs(13));
    let cmds: Vec<u64> = s
        .events()
        .iter()
        .filter_map(|(_, n, e)| match e {
            Seen::Cmd(c) if *n == NodeId(1) => Some(*c),
            _ => None,
        })
        .collect();
    assert_eq!(cmds, vec![5, 106]);
}

#[test]
fn link_faults_have_their_rates() {
    let link = LinkConfig {
        latency: Latency::Uniform {
            min_ms: 10,
            max_ms: 20,
        },
        loss: 0.25,
        duplicate: 0.1,
        reorder: 0.5,
        reorder_ms: 5000,
    };
    let mut s = sim(11, 10, link, true);
    s.run_until(Timestamp::from_secs(200));
    let st = s.stats();
    let lost = st.lost as f64 / st.sent as f64;
    assert!((0.22..0.28).contains(&lost), "loss rate {lost}");
    let dup = st.duplicated as f64 / (st.sent - st.lost) as f64;
    assert!((0.08..0.12).contains(&dup), "duplication rate {dup}");
    // Reordering: some pair of messages on one link arrives out of sequence order.
    let mut last = std::collections::HashMap::new();
    let mut inversions = 0;
    for (_, to, e) in s.events() {
        if let Seen::Msg { from, seq } = e {
            let prev = last.insert((*from, *to), *seq).unwrap_or(0);
            if *seq < prev {
                inversions += 1;
            }
        }
    }
    assert!(inversions > 100, "only {inversions} reorderings");
    // Latency bounds: nothing arrives faster than the minimum.
    assert_eq!(st.delivered, s.events().len() as u64);
}

/// Requests a machine makes while it is built reach a host set after `Simulation::new`.
#[test]
fn construction_requests_reach_a_host_set_later() {
    struct Asker(Outbox<Ticker>);
    impl Machine<Ticker> for Asker {
        fn handle(&mut self, _: Timestamp, input: Input<Ticker>) -> Result<(), Infallible> {
            if let Input::Command(c) = input {
                self.0.event(Seen::Cmd(c));
            }
            Ok(())
        }
        fn poll_output(&mut self) -> Option<Output<Ticker>> {
            self.0.pop()
        }
    }
    let mut s: Simulation<Ticker, Asker> =
        Simulation::new(SimConfig::default(), 2, |id, _, _: &[u64]| {
            let mut out = Outbox::new();
            out.request(id.0 * 10);
            Asker(out)
        });
    s.set_host(|_, _, req, _| vec![(Duration::from_millis(1), req + 1)]);
    s.run_until(Timestamp::from_secs(1));
    let mut cmds: Vec<u64> = s
        .events()
        .iter()
        .filter_map(|(_, _, e)| match e {
            Seen::Cmd(c) => Some(*c),
            _ => None,
        })
        .collect();
    cmds.sort_unstable();
    assert_eq!(cmds, vec![1, 11]);
}

#[test]
fn per_link_overrides_apply() {
    let mut s = sim(5, 3, LinkConfig::default(), true);
    s.apply(Fault::SetNodeLinks {
        node: NodeId(0),
        config: LinkConfig {
            loss: 1.0,
            ..LinkConfig::default()
        },
    });
    s.run_until(Timestamp::from_secs(10));
    assert!(
        !s.events().iter().any(|(_, to, e)| *to == NodeId(0)
            || matches!(e, Seen::Msg { from, .. } if *from == NodeId(0)))
    );
}

/// 1,000 machines for 3,000 simulated seconds: 3 million timers and 3 million messages.
#[test]
fn a_thousand_machines_for_thousands_of_seconds() {
    let mut s = sim(99, 1000, lossy(), false);
    let mut seen = 0;
    for step in 1..=30 {
        s.run_until(Timestamp::from_secs(100 * step));
        seen += s.take_events().len();
    }
    let st = s.stats();
    assert_eq!(st.timers, 3_000_000);
    assert_eq!(st.delivered as usize, seen);
    assert!(st.delivered > 2_000_000, "{st:?}");
}
