//! Miners in the zg-core simulator: over a flow of random data, a miner finds answers at the rate
//! its target predicts (a binomial count, checked within six standard deviations), every answer
//! verifies, sharded miners read only their loads, runs replay from their seed, and the verifier
//! caps an epoch at twice its target. The sealer seals arriving data in order once its context is
//! known.

// In tests a panic is a failure report, and casts work on small test sizes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Fixture, TestRng, target_one_in};
use zg_core::sim::{SimConfig, Simulation};
use zg_core::{H256, NodeId, Timestamp};
use zg_pora::answer::seal_proof;
use zg_pora::pora::SEALS_PER_LOAD;
use zg_pora::{
    ChainView, EpochRange, MinedAnswer, Miner, MinerCommand, MinerConfig, MinerEvent,
    MinerProtocol, MinerRequest, MiningTask, Policy, Sealer, SealerCommand, SealerEvent,
    SealerProtocol, ShardConfig, U256, WorkerContext, verify_answer,
};

const SEED: u64 = 20_240_601;
const WINDOW_MS: u64 = 500;

/// One miner per fixture (each fixture is the same flow sealed to another miner id).
fn miners_sim(
    seed: u64,
    fixtures: &[Arc<Fixture>],
    shards: &[ShardConfig],
    target: U256,
) -> Simulation<MinerProtocol, Miner> {
    let configs: Vec<MinerConfig> = fixtures
        .iter()
        .zip(shards)
        .enumerate()
        .map(|(i, (f, &shard))| MinerConfig {
            shard,
            batch: 8,
            tick_ms: 5,
            ..MinerConfig::new(f.miner_id, seed ^ i as u64)
        })
        .collect();
    let mut sim = Simulation::new(
        SimConfig {
            seed,
            ..SimConfig::default()
        },
        fixtures.len(),
        move |id, _now, _records| Miner::new(configs[id.0 as usize]).unwrap(),
    );
    let loads: Vec<Vec<Arc<zg_pora::SealedLoad>>> = fixtures
        .iter()
        .map(|f| f.loads.iter().cloned().map(Arc::new).collect())
        .collect();
    sim.set_host(move |node, _now, request, rng| {
        let MinerRequest::Load { load_index, .. } = request;
        let delay = Duration::from_millis(1 + rng.below(4));
        let command = match loads[node.0 as usize].get(load_index as usize) {
            Some(load) => MinerCommand::Loaded {
                load_index,
                load: load.clone(),
            },
            None => MinerCommand::LoadUnavailable { load_index },
        };
        vec![(delay, command)]
    });
    for (i, f) in fixtures.iter().enumerate() {
        let task = MiningTask {
            worker: WorkerContext {
                context: f.context,
                pora_target: target,
                subtask_digest: f.subtask_digest,
                max_shards: 4,
            },
            expires_at: Timestamp(WINDOW_MS),
        };
        sim.inject(
            Timestamp(0),
            NodeId(i as u64),
            MinerCommand::Task(Box::new(task)),
        );
    }
    sim
}

fn answers_of(sim: &Simulation<MinerProtocol, Miner>, node: NodeId) -> Vec<MinedAnswer> {
    sim.events()
        .iter()
        .filter(|(_, n, _)| *n == node)
        .filter_map(|(_, _, e)| match e {
            MinerEvent::Answer(a) => Some((**a).clone()),
            _ => None,
        })
        .collect()
}

fn full_answer(f: &Fixture, a: MinedAnswer) -> zg_pora::Answer {
    let proof = seal_proof(&f.flow, a.seal_index()).unwrap();
    a.into_answer(f.context.digest, proof)
}

/// |observed − n·p| within six standard deviations of Binomial(n, p).
fn assert_binomial(seed: u64, what: &str, observed: u64, trials: u64, p: f64) {
    let mean = trials as f64 * p;
    let sd = (trials as f64 * p * (1.0 - p)).sqrt();
    eprintln!("{what}: {observed} answers in {trials} seal trials, expected {mean:.1} ± {sd:.1}");
    assert!(
        (observed as f64 - mean).abs() <= 6.0 * sd,
        "{what}: {observed} answers, expected {mean:.1} ± {sd:.1} (seed {seed})"
    );
}

#[test]
fn a_miner_finds_answers_at_the_rate_its_target_predicts() {
    let f = Arc::new(Fixture::new(SEED, 8, H256([0x11; 32])));
    let target = target_one_in(250);
    let mut sim = miners_sim(SEED, std::slice::from_ref(&f), &[ShardConfig::FULL], target);
    sim.run_until(Timestamp(WINDOW_MS + 100));

    let miner = sim.node(NodeId(0)).unwrap();
    let stats = miner.stats();
    let answers = answers_of(&sim, NodeId(0));
    assert!(stats.scans > 700, "seed {SEED}: only {} scans", stats.scans);
    // Each scan tries every available seal of one load (load 0 lacks seal 0: under 0.1% bias).
    let p = zg_pora::QualityBound::new(target, 1 << 64).probability();
    assert_binomial(
        SEED,
        "full",
        answers.len() as u64,
        stats.scans * SEALS_PER_LOAD as u64,
        p,
    );
    assert_eq!(stats.answers, answers.len() as u64);

    // Every answer verifies, and its quality is the verified output.
    let view = ChainView {
        policy: Policy::STRICT,
        ..f.view(target)
    };
    for a in &answers {
        let quality = a.quality;
        let v = verify_answer(&full_answer(&f, a.clone()), &view).unwrap();
        assert_eq!(v.output, quality, "seed {SEED}");
    }
    // The window closed.
    assert!(
        sim.events()
            .iter()
            .any(|(t, _, e)| *e == MinerEvent::ContextExpired { epoch: 1 } && t.0 == WINDOW_MS),
        "seed {SEED}"
    );
    assert!(sim.errors().is_empty(), "seed {SEED}: {:?}", sim.errors());
}

#[test]
fn sharded_miners_read_their_loads_and_meet_a_harder_bound() {
    let f = Arc::new(Fixture::new(SEED + 1, 8, H256([0x22; 32])));
    let g = Arc::new(Fixture::new(SEED + 1, 8, H256([0x33; 32])));
    let target = target_one_in(125);
    let shards = [
        ShardConfig::new(0, 2).unwrap(),
        ShardConfig::new(3, 4).unwrap(),
    ];
    let mut sim = miners_sim(SEED, &[f.clone(), g.clone()], &shards, target);
    sim.run_until(Timestamp(WINDOW_MS + 100));

    for (i, (fx, shard)) in [(&f, shards[0]), (&g, shards[1])].into_iter().enumerate() {
        let node = NodeId(i as u64);
        let miner = sim.node(node).unwrap();
        let params = *miner.params().map_or(&fx.params(shard, target), |p| p);
        let stats = miner.stats();
        let answers = answers_of(&sim, node);
        // The bound is scaled by the shard count: 2 or 4 times harder.
        let p = zg_pora::QualityBound::new(target, u128::from(shard.num_shard) << 64).probability();
        assert_eq!(params.bound, fx.params(shard, target).bound);
        assert_binomial(
            SEED,
            &format!("shard {shard:?}"),
            answers.len() as u64,
            stats.scans * SEALS_PER_LOAD as u64,
            p,
        );
        let view = ChainView {
            max_shards: 4,
            ..fx.view(target)
        };
        for a in answers {
            let load = a.recall_position / 1024;
            assert_eq!(load % shard.num_shard, shard.shard_id, "seed {SEED}");
            verify_answer(&full_answer(fx, a), &view).unwrap();
        }
    }
}

#[test]
fn runs_replay_from_their_seed() {
    let f = Arc::new(Fixture::new(SEED + 2, 4, H256([0x44; 32])));
    let run = |seed: u64| {
        let mut sim = miners_sim(
            seed,
            std::slice::from_ref(&f),
            &[ShardConfig::FULL],
            target_one_in(64),
        );
        sim.run_until(Timestamp(150));
        let nonces: Vec<H256> = answers_of(&sim, NodeId(0))
            .iter()
            .map(|a| a.nonce)
            .collect();
        (sim.trace_hash(), nonces)
    };
    let (a, b, c) = (run(5), run(5), run(6));
    assert_eq!(a, b);
    assert!(!a.1.is_empty());
    assert_ne!(a.1, c.1);
}

#[test]
fn the_verifier_caps_an_epoch_at_twice_its_target() {
    use zg_core::machine::{Input, Machine};
    use zg_pora::{Verifier, VerifierCommand, VerifierConfig, VerifierError, VerifyError};

    let f = Arc::new(Fixture::new(SEED + 3, 4, H256([0x55; 32])));
    // The chain: block hashes, the epoch context, the miner registered.
    let mut config = VerifierConfig::mainnet(
        U256::from(16u8),
        zg_pora::reward::RewardConfig {
            release_seconds: 86_400,
            base_reward: zg_core::Amount(0),
            service_fee_bps: 0,
        },
    );
    config.target_submissions = 5;
    config.n_subtasks = 1;
    config.policy = Policy::STRICT;
    let mut verifier = Verifier::new(config).unwrap();
    let now = Timestamp::from_secs(1_700_000_000);
    let feed = |v: &mut Verifier, c: VerifierCommand| {
        v.handle(now, Input::Command(c))?;
        v.drain_outputs();
        Ok::<(), VerifierError>(())
    };
    feed(
        &mut verifier,
        VerifierCommand::RegisterMiner {
            miner_id: f.miner_id,
        },
    )
    .unwrap();
    feed(&mut verifier, VerifierCommand::Context(f.context)).unwrap();
    for number in f.context.mine_start - 5..=f.context.mine_start + 10 {
        let hash = zg_core::keccak256(&number.to_be_bytes());
        feed(&mut verifier, VerifierCommand::Block { number, hash }).unwrap();
    }
    let worker = verifier.worker_context(&f.miner_id).unwrap();
    assert!(worker.can_mine());

    // The miner mines what the verifier says, in the simulator.
    let mut g = Fixture::new(SEED + 3, 4, f.miner_id);
    g.subtask_digest = worker.subtask_digest;
    let g = Arc::new(g);
    let mut sim = miners_sim(
        SEED,
        std::slice::from_ref(&g),
        &[ShardConfig::FULL],
        worker.pora_target,
    );
    sim.run_until(Timestamp(250));
    let answers = answers_of(&sim, NodeId(0));
    assert!(answers.len() > 10, "seed {SEED}: {} answers", answers.len());

    let mut accepted = 0;
    for a in answers {
        match feed(
            &mut verifier,
            VerifierCommand::Submit(Box::new(full_answer(&g, a))),
        ) {
            Ok(()) => accepted += 1,
            Err(e) => assert_eq!(
                e,
                VerifierError::Rejected(VerifyError::EpochFull { cap: 10 }),
                "seed {SEED}"
            ),
        }
    }
    assert_eq!(accepted, 10, "seed {SEED}");
    assert_eq!(verifier.current_submissions(), 10);
}

#[test]
fn the_sealer_seals_arrivals_in_order_once_their_context_is_known() {
    let f = Fixture::new(SEED + 4, 2, H256([0x66; 32]));
    let seals = f.plain.len() as u64;
    let mut sim: Simulation<SealerProtocol, Sealer> = Simulation::new(
        SimConfig {
            seed: SEED,
            ..SimConfig::default()
        },
        1,
        move |_, _, _| Sealer::new(H256([0x66; 32]), 64),
    );
    // Data arrives in a shuffled order over the first second.
    let mut order: Vec<u64> = (0..seals).collect();
    let mut rng = TestRng(SEED);
    for i in (1..order.len()).rev() {
        order.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
    }
    for (k, &s) in order.iter().enumerate() {
        sim.inject(
            Timestamp(k as u64),
            NodeId(0),
            SealerCommand::Data {
                seal_index: s,
                data: Box::new(f.plain[s as usize]),
            },
        );
    }
    // The context comes in two epochs: the first half of the flow, then the rest.
    let half = f.context.flow_length / 2;
    let second = H256([0x77; 32]);
    sim.inject(
        Timestamp(1000),
        NodeId(0),
        SealerCommand::Context {
            digest: f.context.digest,
            range: EpochRange {
                start: 0,
                end: half,
            },
        },
    );
    sim.run_until(Timestamp(1500));
    let sealed_first = sim.node(NodeId(0)).unwrap().sealed();
    assert_eq!(sealed_first, half / 16, "seed {SEED}");
    sim.inject(
        Timestamp(2000),
        NodeId(0),
        SealerCommand::Context {
            digest: second,
            range: EpochRange {
                start: half,
                end: f.context.flow_length,
            },
        },
    );
    sim.run_until(Timestamp(3000));

    let mut sealed = Vec::new();
    for (_, _, e) in sim.events() {
        if let SealerEvent::Sealed(s) = e {
            sealed.push(s.clone());
        }
    }
    assert_eq!(sealed.len() as u64, seals);
    // Ascending within each context's batch run, and all of them bytewise what sealing gives.
    let indices: Vec<u64> = sealed.iter().map(|s| s.seal_index).collect();
    let mut sorted = indices.clone();
    sorted.sort_unstable();
    assert_eq!(indices, sorted, "seed {SEED}");
    for s in &sealed {
        let digest = if s.seal_index * 16 + 15 < half {
            f.context.digest
        } else {
            second
        };
        assert_eq!(s.context_digest, digest);
        let mut want = f.plain[s.seal_index as usize];
        zg_pora::seal(&mut want, &H256([0x66; 32]), &digest, s.seal_index * 16);
        assert_eq!(*s.sealed, want);
        if digest == f.context.digest {
            // Matches the fixture's sealed loads for the first context.
            let load = &f.loads[(s.seal_index / 64) as usize];
            assert_eq!(
                load.bytes()[(s.seal_index % 64) as usize * 4096..][..4096],
                s.sealed[..]
            );
        }
    }
    assert!(matches!(
        sim.events().last().map(|e| &e.2),
        Some(SealerEvent::Progress { waiting: 0, .. })
    ));
}

/// A context narrower than a seal that holds no seal's last sector (a legitimate flow epoch a
/// few sectors wide) seals nothing and changes nothing; found by the `pora_sealer` fuzz target,
/// where it used to panic on an inverted range.
#[test]
fn a_context_holding_no_seal_end_seals_nothing() {
    use zg_core::machine::{Input, Machine};
    for (start, end) in [(32u64, 40u64), (17, 20), (u64::MAX - 8, u64::MAX)] {
        let mut sealer = Sealer::new(H256([0x66; 32]), 1);
        sealer
            .handle(
                Timestamp::ZERO,
                Input::Command(SealerCommand::Data {
                    seal_index: 0,
                    data: Box::new([7u8; 4096]),
                }),
            )
            .unwrap();
        sealer
            .handle(
                Timestamp::ZERO,
                Input::Command(SealerCommand::Context {
                    digest: H256([2; 32]),
                    range: EpochRange { start, end },
                }),
            )
            .unwrap();
        while let Some(out) = sealer.poll_output() {
            assert!(
                !matches!(out, zg_core::machine::Output::Event(SealerEvent::Sealed(_))),
                "[{start}, {end}) holds no seal end"
            );
        }
        // The seal is still waiting: a context that covers its last sector seals it.
        sealer
            .handle(
                Timestamp::ZERO,
                Input::Command(SealerCommand::Context {
                    digest: H256([3; 32]),
                    range: EpochRange { start: 0, end: 16 },
                }),
            )
            .unwrap();
        let mut sealed = 0;
        while let Some(out) = sealer.poll_output() {
            if let zg_core::machine::Output::Event(SealerEvent::Sealed(s)) = out {
                assert_eq!(s.seal_index, 0);
                sealed += 1;
            }
        }
        assert_eq!(
            sealed, 1,
            "seal 0 sealed by the context holding its last sector"
        );
    }
}

/// Flood: data for 20,000 far-future seals whose context is not known (a host relaying what
/// peers push). Before the bound, every one was queued (80 MB here, unbounded in general); now
/// at most `max_waiting` wait, the rest are refused with `SealerError::Full`, a refused input
/// changes nothing, and once a context arrives the waiting seals seal and make room again.
#[test]
fn far_future_data_flood_is_capped() {
    use zg_core::machine::{Input, Machine, Output};
    use zg_pora::SealerError;
    let max = 100;
    let mut sealer = Sealer::new(H256([0x66; 32]), 1_000).with_max_waiting(max);
    let mut refused = 0;
    for i in 0..20_000u64 {
        let data = SealerCommand::Data {
            seal_index: 1_000_000 + i * 7,
            data: Box::new([i as u8; 4096]),
        };
        match sealer.handle(Timestamp(i), Input::Command(data)) {
            Ok(()) => {}
            Err(SealerError::Full { max: m }) => {
                assert_eq!(m, max);
                refused += 1;
            }
            Err(e) => panic!("unexpected {e}"),
        }
        assert!(sealer.waiting() <= max, "{} waiting", sealer.waiting());
        assert!(sealer.drain_outputs().is_empty());
    }
    assert_eq!(refused, 20_000 - max);
    // Re-sending a waiting seal's data is not a new entry: accepted at the bound.
    sealer
        .handle(
            Timestamp(20_000),
            Input::Command(SealerCommand::Data {
                seal_index: 1_000_000,
                data: Box::new([0; 4096]),
            }),
        )
        .unwrap();
    // A context covering the waiting seals frees the room.
    sealer
        .handle(
            Timestamp(20_001),
            Input::Command(SealerCommand::Context {
                digest: H256([5; 32]),
                range: EpochRange {
                    start: 16 * 1_000_000,
                    end: 16 * 2_000_000,
                },
            }),
        )
        .unwrap();
    let sealed = sealer
        .drain_outputs()
        .into_iter()
        .filter(|o| matches!(o, Output::Event(SealerEvent::Sealed(_))))
        .count();
    assert_eq!(sealed, max);
    assert_eq!(sealer.waiting(), 0);
}
