//! The miner machine driven by hand: it never does more than a batch per input, pauses when too
//! many iterations wait for loads, drops what the host cannot load, ignores stale timers, and
//! refuses tasks it cannot mine.

// In tests a panic is a failure report, and casts work on small test sizes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

mod common;

use std::sync::Arc;

use common::{Fixture, target_one_in};
use zg_core::machine::{Input, Machine, Output};
use zg_core::{H256, Timestamp};
use zg_pora::{
    Miner, MinerCommand, MinerConfig, MinerError, MinerEvent, MinerProtocol, MinerRequest,
    MinerTimer, MiningTask, ShardConfig, U256, WorkerContext,
};

fn task(f: &Fixture, target: U256, max_shards: u64) -> MinerCommand {
    MinerCommand::Task(Box::new(MiningTask {
        worker: WorkerContext {
            context: f.context,
            pora_target: target,
            subtask_digest: f.subtask_digest,
            max_shards,
        },
        expires_at: Timestamp(1_000),
    }))
}

fn drain(m: &mut Miner) -> Vec<Output<MinerProtocol>> {
    m.drain_outputs()
}

fn loads(outs: &[Output<MinerProtocol>]) -> Vec<u64> {
    outs.iter()
        .filter_map(|o| match o {
            Output::Request(MinerRequest::Load { load_index, .. }) => Some(*load_index),
            _ => None,
        })
        .collect()
}

#[test]
fn batches_pause_and_resume_with_loads() {
    let f = Fixture::new(3, 2, H256([1; 32]));
    let config = MinerConfig {
        batch: 4,
        max_pending: 6,
        ..MinerConfig::new(f.miner_id, 9)
    };
    let mut m = Miner::new(config).unwrap();
    m.handle(Timestamp(0), Input::Command(task(&f, target_one_in(4), 1)))
        .unwrap();
    let outs = drain(&mut m);
    assert!(matches!(
        outs[0],
        Output::Event(MinerEvent::Started { epoch: 1, .. })
    ));
    // The first tick is scheduled now; it runs one batch of 4.
    m.handle(
        Timestamp(0),
        Input::Timeout(MinerTimer::Tick { generation: 1 }),
    )
    .unwrap();
    let outs = drain(&mut m);
    assert_eq!(m.stats().iterations, 4);
    assert_eq!(m.pending(), 4);
    let mut requested = loads(&outs);
    assert!(!requested.is_empty());
    // The next tick stops at max_pending.
    m.handle(
        Timestamp(10),
        Input::Timeout(MinerTimer::Tick { generation: 1 }),
    )
    .unwrap();
    requested.extend(loads(&drain(&mut m)));
    assert_eq!(m.pending(), 6);
    m.handle(
        Timestamp(20),
        Input::Timeout(MinerTimer::Tick { generation: 1 }),
    )
    .unwrap();
    drain(&mut m);
    assert_eq!(m.stats().iterations, 6);
    // Loads arrive: the waiting iterations are scanned.
    requested.sort_unstable();
    requested.dedup();
    for &i in &requested {
        m.handle(
            Timestamp(21),
            Input::Command(MinerCommand::Loaded {
                load_index: i,
                load: Arc::new(f.loads[i as usize].clone()),
            }),
        )
        .unwrap();
    }
    let outs = drain(&mut m);
    assert_eq!(m.pending(), 0);
    assert_eq!(m.stats().scans, 6);
    let answers = outs
        .iter()
        .filter(|o| matches!(o, Output::Event(MinerEvent::Answer(_))))
        .count();
    assert_eq!(answers as u64, m.stats().answers);
    // Now every load it asked for is cached: a tick recalling only those scans at once.
    m.handle(
        Timestamp(30),
        Input::Timeout(MinerTimer::Tick { generation: 1 }),
    )
    .unwrap();
    let outs = drain(&mut m);
    let again = loads(&outs);
    assert!(again.iter().all(|i| !requested.contains(i)), "{again:?}");
    assert_eq!(m.stats().scans, 10 - m.pending() as u64);
    assert!(m.stats().scans > 6);
}

/// A miner given a task every seal of which meets the target (window ends at 1,000 ms), after
/// its first tick: the loads it asked for.
fn first_batch() -> (Fixture, Miner, Vec<u64>) {
    let f = Fixture::new(4, 2, H256([2; 32]));
    let mut m = Miner::new(MinerConfig::new(f.miner_id, 1)).unwrap();
    m.handle(Timestamp(0), Input::Command(task(&f, U256::MAX, 1)))
        .unwrap();
    drain(&mut m);
    m.handle(
        Timestamp(0),
        Input::Timeout(MinerTimer::Tick { generation: 1 }),
    )
    .unwrap();
    let requested = loads(&drain(&mut m));
    (f, m, requested)
}

#[test]
fn unavailable_loads_stale_timers_and_expiry() {
    let (f, mut m, requested) = first_batch();
    let waiting = m.pending();
    for i in &requested {
        m.handle(
            Timestamp(1),
            Input::Command(MinerCommand::LoadUnavailable { load_index: *i }),
        )
        .unwrap();
    }
    assert_eq!(m.pending(), 0);
    assert_eq!(m.stats().dropped, waiting as u64);
    // A new task: timers of the old generation do nothing.
    m.handle(Timestamp(2), Input::Command(task(&f, U256::MAX, 1)))
        .unwrap();
    drain(&mut m);
    let before = m.stats().iterations;
    m.handle(
        Timestamp(3),
        Input::Timeout(MinerTimer::Tick { generation: 1 }),
    )
    .unwrap();
    assert!(drain(&mut m).is_empty());
    assert_eq!(m.stats().iterations, before);
    // The window closes.
    m.handle(
        Timestamp(1_000),
        Input::Timeout(MinerTimer::Expire { generation: 2 }),
    )
    .unwrap();
    let outs = drain(&mut m);
    assert!(matches!(
        outs.last(),
        Some(Output::Event(MinerEvent::ContextExpired { epoch: 1 }))
    ));
    assert!(m.params().is_none());
}

#[test]
fn tasks_it_cannot_mine() {
    let f = Fixture::new(5, 2, H256([3; 32]));
    let config = MinerConfig {
        shard: ShardConfig::new(1, 4).unwrap(),
        ..MinerConfig::new(f.miner_id, 1)
    };
    let mut m = Miner::new(config).unwrap();
    assert_eq!(
        m.handle(Timestamp(0), Input::Command(task(&f, U256::MAX, 2))),
        Err(MinerError::TooManyShards { shards: 4, max: 2 })
    );
    assert_eq!(
        m.handle(
            Timestamp(0),
            Input::Command(MinerCommand::SetShard(ShardConfig {
                shard_id: 5,
                num_shard: 4
            }))
        ),
        Err(MinerError::InvalidShard)
    );
    // Zero target: the chain says wait.
    m.handle(Timestamp(0), Input::Command(task(&f, U256::ZERO, 4)))
        .unwrap();
    assert!(matches!(
        drain(&mut m)[..],
        [Output::Event(MinerEvent::Waiting { epoch: 1 })]
    ));
    let mut tiny = task(&f, U256::MAX, 4);
    if let MinerCommand::Task(t) = &mut tiny {
        t.worker.context.flow_length = 1000;
    }
    assert_eq!(
        m.handle(Timestamp(0), Input::Command(tiny)),
        Err(MinerError::NothingToMine)
    );
    assert!(
        Miner::new(MinerConfig {
            shard: ShardConfig {
                shard_id: 0,
                num_shard: 3
            },
            ..MinerConfig::new(f.miner_id, 1)
        })
        .is_err()
    );
}

/// A load that arrives once the context has expired, before the host delivered the expiry
/// timer, is not mined: the miner reports the expiry instead (found by the `pora_miner` fuzz
/// target's review).
#[test]
fn a_load_after_expiry_is_never_mined() {
    // Every seal meets the target: any mined load would answer.
    let (f, mut m, requested) = first_batch();
    assert!(!requested.is_empty());
    let mut outs = Vec::new();
    for i in requested {
        m.handle(
            Timestamp(1_000),
            Input::Command(MinerCommand::Loaded {
                load_index: i,
                load: Arc::new(f.loads[i as usize].clone()),
            }),
        )
        .unwrap();
        outs.extend(drain(&mut m));
    }
    assert!(
        !outs
            .iter()
            .any(|o| matches!(o, Output::Event(MinerEvent::Answer(_)))),
        "no answer for an expired context"
    );
    assert!(
        outs.iter()
            .any(|o| matches!(o, Output::Event(MinerEvent::ContextExpired { epoch: 1 })))
    );
    assert!(m.params().is_none());
}

/// Attack (a host answering out of turn, or a reply to an earlier task arriving late): loads
/// nobody asked for, with the wrong bytes, delivered before the first tick. Before the fix they
/// were cached and mined at once — answers from bytes the miner never asked for, and what was
/// mined depended on that arrival order; now they are dropped and the tick asks for its loads.
#[test]
fn unrequested_loads_are_neither_cached_nor_mined() {
    let f = Fixture::new(4, 2, H256([2; 32]));
    let mut m = Miner::new(MinerConfig::new(f.miner_id, 1)).unwrap();
    m.handle(Timestamp(0), Input::Command(task(&f, U256::MAX, 1)))
        .unwrap();
    drain(&mut m);
    let n = f.loads.len();
    for i in 0..n {
        m.handle(
            Timestamp(0),
            Input::Command(MinerCommand::Loaded {
                load_index: i as u64,
                load: Arc::new(f.loads[(i + 1) % n].clone()),
            }),
        )
        .unwrap();
    }
    assert_eq!(m.stats().unrequested_loads, n as u64);
    m.handle(
        Timestamp(0),
        Input::Timeout(MinerTimer::Tick { generation: 1 }),
    )
    .unwrap();
    let outs = drain(&mut m);
    assert!(!loads(&outs).is_empty(), "the tick asks for its loads");
    assert!(
        !outs
            .iter()
            .any(|o| matches!(o, Output::Event(MinerEvent::Answer(_)))),
        "nothing mined from unrequested bytes"
    );
    assert_eq!(m.stats().scans, 0);
    // A reply for a request of the previous task, after a task change, is dropped too.
    let asked = loads(&outs)[0];
    m.handle(Timestamp(1), Input::Command(task(&f, U256::MAX, 1)))
        .unwrap();
    drain(&mut m);
    m.handle(
        Timestamp(1),
        Input::Command(MinerCommand::Loaded {
            load_index: asked,
            load: Arc::new(f.loads[asked as usize].clone()),
        }),
    )
    .unwrap();
    assert!(drain(&mut m).is_empty());
    assert_eq!(m.stats().unrequested_loads, n as u64 + 1);
}
