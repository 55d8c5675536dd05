//! The Miner machine driven by an adversarial host over a small sealed flow: tasks for two
//! contexts (with zero or tiny targets, zero subtask digests, small `maxShards`, short windows),
//! stops, shard and miner-id changes (valid or not), loads served honestly, late, twice, as
//! another load's bytes, or refused, stray timers of any generation, and time going forward.
//! The host delivers each timer once it is due (an expiry before anything else at that time).
//!
//! Asserted: a refused input leaves the config and parameters as they were and outputs nothing;
//! a load no waiting iteration of the current task asked for is dropped without output;
//! it only asks for loads inside the flow, at `index × 1024`; at most `max_pending` iterations
//! wait; every answer is for the current task, before its window closes, by the current miner
//! id, with a quality its bound admits — and, when the miner is the one the flow was sealed to
//! and every load it was given was honest, the answer with its seal proof verifies with
//! `verify_answer` against the task it was given, with that quality. Once time passes every
//! window, the miner stops and says so.
#![no_main]

use std::sync::{Arc, OnceLock};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zg_core::machine::{Input as MInput, Machine, Output};
use zg_core::{H256, Timestamp};
use zg_pora::answer::seal_proof;
use zg_pora::{
    ChainView, MineContext, Miner, MinerCommand, MinerConfig, MinerEvent, MinerRequest, MinerTimer,
    MiningTask, SealedFlow, SealedLoad, ShardConfig, U256, WorkerContext, verify_answer,
};

const MINER: H256 = H256([0x6d; 32]);
const OTHER_MINER: H256 = H256([0x6e; 32]);

struct Fixture {
    sealed: SealedFlow,
    contexts: [MineContext; 2],
    loads: Vec<Arc<SealedLoad>>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let data: Vec<u8> = (0..4 * 262_144u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
            .collect();
        let sealed = SealedFlow::new(&[&data], MINER, 1, 1, H256([1; 32])).unwrap();
        let c1 = sealed.context;
        // A later epoch over the same flow: its loads stay sealed under the first context.
        let c2 = MineContext::new(2, 5, c1.flow_root, c1.flow_length, H256([2; 32]));
        let loads = sealed.loads.iter().cloned().map(Arc::new).collect();
        Fixture {
            sealed,
            contexts: [c1, c2],
            loads,
        }
    })
}

#[derive(Arbitrary, Debug)]
enum Step {
    Task {
        second: bool,
        subtask: u8,
        /// Target `2^256 >> (4 + shift % 5)`, or zero when `shift == 255`.
        shift: u8,
        max_shards_log: u8,
        expires_in: u16,
    },
    Stop,
    SetShard {
        id: u8,
        num_log: u8,
    },
    SetMinerId(bool),
    /// Answers one outstanding request honestly.
    Serve(u8),
    /// Answers one outstanding request with another load's bytes.
    ServeWrong {
        which: u8,
        other: u8,
    },
    /// Answers with a load nobody asked for.
    Unasked(u8),
    Unavailable(u8),
    Advance(u16),
    StrayTick(u8),
    StrayExpire(u8),
}

#[derive(Arbitrary, Debug)]
struct Input {
    seed: u64,
    batch: u8,
    tick_ms: u8,
    max_pending: u8,
    cache: u8,
    start: u64,
    steps: Vec<Step>,
}

struct Host {
    now: Timestamp,
    timers: Vec<(Timestamp, MinerTimer)>,
    requests: Vec<u64>,
    /// The task the miner mines, as the model sees it.
    task: Option<MiningTask>,
    /// A load with wrong bytes was given since the task started.
    tainted: bool,
    answers: usize,
    verified: usize,
    expired: usize,
}

impl Host {
    fn check(&mut self, m: &mut Miner, max_pending: usize) {
        let f = fixture();
        for o in m.drain_outputs() {
            match o {
                Output::ScheduleTimeout { at, timer } => {
                    self.timers.push((at, timer));
                }
                Output::Request(MinerRequest::Load {
                    load_index,
                    position,
                }) => {
                    assert!(
                        (load_index as usize) < f.loads.len(),
                        "asked for load {load_index} outside the flow"
                    );
                    assert_eq!(position, load_index * 1024);
                    self.requests.push(load_index);
                }
                Output::Event(MinerEvent::Started { range, bound, .. }) => {
                    let task = self.task.expect("started without a task");
                    assert!(range.num_shards() <= u128::from(task.worker.max_shards));
                    let p = m.params().expect("started without parameters");
                    assert_eq!((p.range, p.bound), (range, bound));
                    self.tainted = false;
                }
                Output::Event(MinerEvent::Waiting { epoch }) => {
                    let task = self.task.take().expect("waiting without a task");
                    assert_eq!(epoch, task.worker.context.epoch);
                    assert!(!task.worker.can_mine());
                }
                Output::Event(MinerEvent::ContextExpired { epoch }) => {
                    let task = self.task.take().expect("expired without a task");
                    assert_eq!(epoch, task.worker.context.epoch);
                    assert!(self.now >= task.expires_at, "expired early");
                    self.expired += 1;
                }
                Output::Event(MinerEvent::Answer(a)) => {
                    self.answers += 1;
                    let task = self.task.expect("an answer without a task");
                    let w = &task.worker;
                    assert!(
                        self.now < task.expires_at,
                        "an answer for an expired context"
                    );
                    assert_eq!(
                        (a.epoch, a.context_digest),
                        (w.context.epoch, w.context.digest)
                    );
                    let p = m.params().expect("an answer without parameters");
                    assert_eq!(a.miner_id, p.miner_id);
                    assert_eq!(a.miner_id, m.config().miner_id);
                    assert!(p.bound.admits(&a.quality), "quality above the bound");
                    if a.miner_id == MINER && !self.tainted {
                        let proof = seal_proof(&f.sealed.flow, a.seal_index()).unwrap();
                        let quality = a.quality;
                        let answer = (*a).into_answer(f.contexts[0].digest, proof);
                        let view = ChainView {
                            max_shards: w.max_shards,
                            ..ChainView::new(
                                w.context,
                                w.subtask_digest,
                                w.pora_target,
                                Some(f.sealed.epoch_range()),
                            )
                        };
                        let v = verify_answer(&answer, &view);
                        assert_eq!(v.map(|v| v.output), Ok(quality), "an invalid answer");
                        self.verified += 1;
                    }
                }
                other => panic!("unexpected output {other:?}"),
            }
        }
        assert!(
            m.pending() <= max_pending,
            "more iterations wait than allowed"
        );
    }

    /// Delivers due timers: expiries first, then a few ticks.
    fn due(&mut self, m: &mut Miner, max_pending: usize) {
        loop {
            let Some(i) = (0..self.timers.len()).find(|&i| {
                self.timers[i].0 <= self.now
                    && matches!(self.timers[i].1, MinerTimer::Expire { .. })
            }) else {
                break;
            };
            let (_, t) = self.timers.remove(i);
            m.handle(self.now, MInput::Timeout(t)).unwrap();
            self.check(m, max_pending);
        }
        for _ in 0..2 {
            let Some(i) = (0..self.timers.len()).find(|&i| self.timers[i].0 <= self.now) else {
                break;
            };
            let (_, t) = self.timers.remove(i);
            m.handle(self.now, MInput::Timeout(t)).unwrap();
            self.check(m, max_pending);
        }
    }
}

fuzz_target!(|input: Input| {
    let f = fixture();
    let max_pending = usize::from(input.max_pending % 6);
    let config = MinerConfig {
        batch: u32::from(input.batch % 3) + 1,
        tick_ms: u64::from(input.tick_ms % 20),
        max_pending,
        cache_loads: usize::from(input.cache % 4),
        start_position: input.start,
        ..MinerConfig::new(MINER, input.seed)
    };
    let mut m = Miner::new(config).unwrap();
    let mut h = Host {
        now: Timestamp(1_000),
        timers: Vec::new(),
        requests: Vec::new(),
        task: None,
        tainted: false,
        answers: 0,
        verified: 0,
        expired: 0,
    };
    for step in input.steps.into_iter().take(48) {
        h.due(&mut m, max_pending);
        let (before_config, before_params) = (*m.config(), m.params().copied());
        let mut new_task = None;
        let cmd = match step {
            Step::Task {
                second,
                subtask,
                shift,
                max_shards_log,
                expires_in,
            } => {
                let task = MiningTask {
                    worker: WorkerContext {
                        context: f.contexts[usize::from(second)],
                        pora_target: if shift == 255 {
                            U256::ZERO
                        } else {
                            U256::MAX >> (4 + usize::from(shift % 5))
                        },
                        subtask_digest: if subtask == 0 {
                            H256::ZERO
                        } else {
                            H256([subtask; 32])
                        },
                        max_shards: 1 << (max_shards_log % 4),
                    },
                    expires_at: h.now.plus_millis(u64::from(expires_in)),
                };
                new_task = Some(Some(task));
                MinerCommand::Task(Box::new(task))
            }
            Step::Stop => {
                new_task = Some(None);
                MinerCommand::Stop
            }
            Step::SetShard { id, num_log } => MinerCommand::SetShard(ShardConfig {
                shard_id: u64::from(id % 9),
                num_shard: 1 << (num_log % 5),
            }),
            Step::SetMinerId(other) => {
                MinerCommand::SetMinerId(if other { OTHER_MINER } else { MINER })
            }
            Step::Serve(i) | Step::Unavailable(i) | Step::ServeWrong { which: i, .. }
                if h.requests.is_empty() =>
            {
                let _ = i;
                continue;
            }
            Step::Serve(i) => {
                let index = h.requests.remove(usize::from(i) % h.requests.len());
                MinerCommand::Loaded {
                    load_index: index,
                    load: f.loads[index as usize].clone(),
                }
            }
            Step::ServeWrong { which, other } => {
                let index = h.requests.remove(usize::from(which) % h.requests.len());
                let wrong = usize::from(other) % f.loads.len();
                h.tainted |= wrong != index as usize;
                MinerCommand::Loaded {
                    load_index: index,
                    load: f.loads[wrong].clone(),
                }
            }
            Step::Unasked(i) => {
                let index = usize::from(i) % f.loads.len();
                MinerCommand::Loaded {
                    load_index: index as u64,
                    load: f.loads[index].clone(),
                }
            }
            Step::Unavailable(i) => {
                let index = h.requests.remove(usize::from(i) % h.requests.len());
                MinerCommand::LoadUnavailable { load_index: index }
            }
            Step::Advance(ms) => {
                h.now = h.now.plus_millis(u64::from(ms));
                continue;
            }
            Step::StrayTick(g) => {
                m.handle(
                    h.now,
                    MInput::Timeout(MinerTimer::Tick {
                        generation: u64::from(g % 8),
                    }),
                )
                .unwrap();
                h.check(&mut m, max_pending);
                continue;
            }
            Step::StrayExpire(g) => {
                m.handle(
                    h.now,
                    MInput::Timeout(MinerTimer::Expire {
                        generation: u64::from(g % 8),
                    }),
                )
                .unwrap();
                h.check(&mut m, max_pending);
                continue;
            }
        };
        // A task change replaces the model's task before the outputs are read.
        let old_task = h.task;
        if let Some(t) = new_task {
            h.task = t;
        }
        let (unrequested, scans) = (m.stats().unrequested_loads, m.stats().scans);
        match m.handle(h.now, MInput::Command(cmd)) {
            Ok(()) if m.stats().unrequested_loads > unrequested => {
                // A load no waiting iteration asked for (unasked, or a reply to an earlier
                // task's request): dropped, never mined or cached.
                assert_eq!(m.stats().scans, scans, "an unrequested load was mined");
                assert!(
                    m.drain_outputs().is_empty(),
                    "an unrequested load made output"
                );
            }
            Ok(()) => h.check(&mut m, max_pending),
            Err(_) => {
                h.task = old_task;
                assert!(
                    m.drain_outputs().is_empty(),
                    "a refused input output something"
                );
                assert_eq!(
                    *m.config(),
                    before_config,
                    "a refused input changed the config"
                );
                assert_eq!(
                    m.params().copied(),
                    before_params,
                    "a refused input changed the task"
                );
            }
        }
    }
    // Time passes every window: the miner stops, reporting the expiry of a task it mined.
    h.now = h.now.plus_millis(100_000);
    let mining = m.params().is_some();
    let expired = h.expired;
    h.due(&mut m, max_pending);
    assert!(m.params().is_none(), "still mining after the window closed");
    if mining {
        assert_eq!(h.expired, expired + 1, "no expiry reported");
    }
    if std::env::var_os("ZG_FUZZ_STATS").is_some() {
        eprintln!(
            "stats: answers={} verified={} expired={}",
            h.answers, h.verified, h.expired
        );
    }
});
