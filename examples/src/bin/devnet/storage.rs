//! Storage lane: a client uploads a file (0G file root, flow placement), erasure-codes it into
//! shards with Merkle commitments and spreads them over storage nodes; one node loses its shard
//! and repairs it from peers while another serves corrupt bytes and one never answers. Miners
//! seal the flow and mine PoRA answers in the simulator; the mining contract's bookkeeping
//! accepts honest answers and rejects tampered, duplicate and over-cap ones.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use zg_core::machine::{Input, Machine, Outbox, Output};
use zg_core::sim::{Latency, LinkConfig, SimConfig, SimRng, Simulation};
use zg_core::tree::FileRootBuilder;
use zg_core::{Amount, H256, NodeId, Timestamp, keccak256};
use zg_erasure::repair::{Event as RepairEvent, Message, RepairError, ShardBytes, ShardExchange};
use zg_erasure::{Config, Repair, RepairConfig, ShardHolder, Target, encode};
use zg_pora::answer::seal_proof;
use zg_pora::pora::SEALS_PER_LOAD;
use zg_pora::reward::RewardConfig;
use zg_pora::{
    MinedAnswer, Miner, MinerCommand, MinerConfig, MinerEvent, MinerProtocol, MinerRequest,
    MiningTask, Policy, QualityBound, SealedFlow, U256, Verifier, VerifierCommand, VerifierConfig,
    VerifierError, VerifierEvent, VerifyError,
};

use crate::report::{Chart, LaneReport, Series};

pub(crate) fn run_lane(seed: u64, quick: bool) -> Result<LaneReport> {
    let mut lane = LaneReport::new("storage (file root, erasure coding, repair, PoRA mining)");
    let mut rng = SimRng::new(seed ^ 0x5707);
    let mut object = vec![0u8; if quick { 1 << 20 } else { 3 << 20 }];
    rng.fill(&mut object);

    // The client: the 0G file root, streamed, and the submission the flow contract receives.
    let mut builder = FileRootBuilder::new();
    for piece in object.chunks(64 * 1024) {
        builder.update(piece);
    }
    let submission = builder.finalize()?;
    lane.fact(format!(
        "file of {} KiB: 0G root {}, {} padded sectors, submission nodes of heights {:?}",
        object.len() / 1024,
        submission.root(),
        submission.padded_sectors(),
        submission.heights()
    ));

    repair(&mut lane, seed, &object, submission.root())?;
    mine(&mut lane, seed, &object)?;
    Ok(lane)
}

/// How a storage node answers `Get` requests in the repair.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Holder {
    Honest,
    /// Flips one byte of every shard it sends.
    Corrupt,
    /// Never answers.
    Silent,
}

/// A holder that serves its shard wrongly, or not at all.
struct BadHolder {
    behaviour: Holder,
    shard: u32,
    bytes: ShardBytes,
    out: Outbox<ShardExchange>,
}

impl Machine<ShardExchange> for BadHolder {
    fn handle(&mut self, _now: Timestamp, input: Input<ShardExchange>) -> Result<(), RepairError> {
        if let Input::Message {
            from,
            message: Message::Get { manifest, shard },
        } = input
            && shard == self.shard
            && self.behaviour == Holder::Corrupt
        {
            let mut data = self.bytes.as_slice().to_vec();
            let at = data.len() / 3;
            data[at] ^= 0x40;
            self.out.send(
                from,
                Message::Shard {
                    manifest,
                    shard,
                    data: ShardBytes::from(data),
                },
            );
        }
        Ok(())
    }

    fn poll_output(&mut self) -> Option<Output<ShardExchange>> {
        self.out.pop()
    }
}

fn repair(lane: &mut LaneReport, seed: u64, object: &[u8], root: H256) -> Result<()> {
    let encoded = Arc::new(encode(object, Config::new(4, 2)?)?);
    let manifest = Arc::new(encoded.manifest.clone());
    lane.check(
        format!(
            "the manifest binds the file's 0G root ({} data + {} parity shards of {} KiB)",
            manifest.layout().data_shards(),
            manifest.layout().total_shards() - manifest.layout().data_shards(),
            manifest.layout().shard_size() / 1024
        ),
        manifest.object_root() == root,
    );
    // Node 0 lost shard 2 and repairs it. Node i holds `placement[i - 1]`.
    let placement: [(u32, Holder); 6] = [
        (0, Holder::Honest),
        (1, Holder::Silent),
        (3, Holder::Honest),
        (4, Holder::Corrupt),
        (5, Holder::Honest),
        (1, Holder::Honest),
    ];
    let holders: Vec<(usize, NodeId)> = placement
        .iter()
        .zip(1u64..)
        .map(|(&(shard, _), node)| (shard as usize, NodeId(node)))
        .collect();
    let link = LinkConfig {
        latency: Latency::Exponential {
            min_ms: 5,
            mean_extra_ms: 40,
        },
        loss: 0.05,
        duplicate: 0.02,
        reorder: 0.1,
        reorder_ms: 200,
    };
    let m = manifest.clone();
    let e = encoded.clone();
    let mut sim: Simulation<ShardExchange> = Simulation::new(
        SimConfig { seed, link },
        1 + placement.len(),
        move |id, now, _| -> Box<dyn Machine<ShardExchange>> {
            if id == NodeId(0) {
                let mut config = RepairConfig::new(m.clone(), Target::Shard(2), holders.clone());
                config.request_timeout_ms = 800;
                return match Repair::new(now, config) {
                    Ok(r) => Box::new(r),
                    Err(_) => Box::new(ShardHolder::new()),
                };
            }
            let Some(&(shard, behaviour)) = index(id).checked_sub(1).and_then(|i| placement.get(i))
            else {
                return Box::new(ShardHolder::new());
            };
            let bytes = ShardBytes::from(e.shards[shard as usize].clone());
            if behaviour == Holder::Honest {
                let mut h = ShardHolder::new();
                h.store(m.root(), shard, bytes);
                Box::new(h)
            } else {
                Box::new(BadHolder {
                    behaviour,
                    shard,
                    bytes,
                    out: Outbox::new(),
                })
            }
        },
    );
    let done = |s: &Simulation<ShardExchange>| {
        s.events().iter().any(|(_, n, e)| {
            *n == NodeId(0) && matches!(e, RepairEvent::Repaired { .. } | RepairEvent::Failed(_))
        })
    };
    sim.run_until_cond(Timestamp::from_secs(120), done);
    let mine: Vec<(Timestamp, RepairEvent)> = sim
        .events()
        .iter()
        .filter(|(_, n, _)| *n == NodeId(0))
        .map(|(t, _, e)| (*t, e.clone()))
        .collect();
    let repaired = mine.iter().find_map(|(t, e)| match e {
        RepairEvent::Repaired { data, .. } => Some((*t, data.clone())),
        _ => None,
    });
    let rejected: Vec<NodeId> = mine
        .iter()
        .filter_map(|(_, e)| match e {
            RepairEvent::Rejected { from, .. } => Some(*from),
            _ => None,
        })
        .collect();
    let timed_out: Vec<NodeId> = mine
        .iter()
        .filter_map(|(_, e)| match e {
            RepairEvent::TimedOut { peer, .. } => Some(*peer),
            _ => None,
        })
        .collect();
    match &repaired {
        Some((t, data)) => lane.check(
            format!(
                "node 0 lost shard 2 and rebuilt it from 4 peers in {t} of simulated time, \
                 byte-identical and matching its manifest root"
            ),
            data.as_slice() == encoded.shards[2].as_slice(),
        ),
        None => lane.check("node 0 lost shard 2 and rebuilt it from peers", false),
    }
    lane.check(
        format!("node 4 served a corrupt shard: rejected by its Merkle root ({rejected:?})"),
        rejected.contains(&NodeId(4)),
    );
    // Shards whose bytes arrived and matched their root in the manifest, and from whom.
    let verified: Vec<(usize, NodeId)> = mine
        .iter()
        .filter_map(|(_, e)| match e {
            RepairEvent::Verified { shard, from } => Some((*shard, *from)),
            _ => None,
        })
        .collect();
    lane.check(
        format!(
            "node 2 never answered: timed out, and shard 1's bytes were fetched from its replica \
             on node 6 and matched their root (timeouts: {timed_out:?}; verified shard, sender: \
             {verified:?})"
        ),
        timed_out.contains(&NodeId(2)) && verified.contains(&(1, NodeId(6))),
    );
    Ok(())
}

const WINDOW_MS: u64 = 800;

fn verifier_config(difficulty: u64) -> VerifierConfig {
    VerifierConfig {
        difficulty: U256::from(difficulty),
        fixed_difficulty: false,
        target_mine_blocks: 100,
        target_submissions: 10,
        max_shards: 4,
        n_subtasks: 1,
        subtask_interval: 100,
        difficulty_adjust_ratio: 20,
        min_difficulty: U256::ZERO,
        blockhash_window: 256,
        reward: RewardConfig {
            release_seconds: 3600,
            base_reward: Amount::ZERO,
            service_fee_bps: 0,
        },
        policy: Policy::STRICT,
    }
}

fn mine(lane: &mut LaneReport, seed: u64, object: &[u8]) -> Result<()> {
    // About 18 answers per miner in the window: enough to fill the epoch's cap of 20 and more.
    let difficulty = 4500;
    let miner_ids = [keccak256(b"miner a"), keccak256(b"miner b")];
    let block = |n: u64| keccak256(&n.to_be_bytes());
    let sealed: Vec<Arc<SealedFlow>> = miner_ids
        .iter()
        .map(|id| SealedFlow::new(&[object], *id, 1, 1000, block(1000)).map(Arc::new))
        .collect::<Result<_, _>>()?;
    let context = sealed[0].context;
    lane.fact(format!(
        "flow: file placed at sector {}, length {} sectors ({} loads), sealed to 2 miners; \
         context digest {}",
        sealed[0].placements[0].start,
        context.flow_length,
        sealed[0].loads.len(),
        context.digest
    ));

    // The chain's mining contract.
    let mut chain = Chain {
        verifier: Verifier::new(verifier_config(difficulty))?,
        events: Vec::new(),
    };
    let mut now = Timestamp::from_secs(1_700_000_000);
    for n in 990..=1000 {
        chain.feed(
            now,
            VerifierCommand::Block {
                number: n,
                hash: block(n),
            },
        )?;
        now = now.plus_millis(400);
    }
    chain.feed(now, VerifierCommand::Context(context))?;
    for id in miner_ids {
        chain.feed(now, VerifierCommand::RegisterMiner { miner_id: id })?;
    }
    chain.feed(
        now,
        VerifierCommand::FillReward {
            before_length: 0,
            charged_sectors: context.flow_length,
            value: Amount::new(1_000_000_000_000_000_000),
        },
    )?;
    for n in 1001..=1002 {
        chain.feed(
            now,
            VerifierCommand::Block {
                number: n,
                hash: block(n),
            },
        )?;
    }
    let worker = chain.verifier.worker_context(&miner_ids[0])?;
    lane.check(
        "the contract's worker context lets the miners mine (target and subtask set)",
        worker.can_mine(),
    );

    // The miners, in the simulator: loads come from each miner's sealed flow.
    let configs: Vec<MinerConfig> = miner_ids
        .iter()
        .zip(0u64..)
        .map(|(id, i)| MinerConfig {
            batch: 8,
            tick_ms: 5,
            ..MinerConfig::new(*id, seed ^ i)
        })
        .collect();
    for c in &configs {
        Miner::new(*c)?;
    }
    let mut sim: Simulation<MinerProtocol, Miner> = Simulation::new(
        SimConfig {
            seed,
            ..SimConfig::default()
        },
        2,
        move |id, _, _| {
            #[allow(clippy::expect_used)] // every config was built successfully just above
            Miner::new(configs[index(id)]).expect("miner config validated above")
        },
    );
    let flows = sealed.clone();
    sim.set_host(move |node, _now, request, rng| {
        let MinerRequest::Load { load_index, .. } = request;
        let delay = Duration::from_millis(1 + rng.below(3));
        let command = match flows[index(node)].load(load_index) {
            Some(load) => MinerCommand::Loaded {
                load_index,
                load: Arc::new(load.clone()),
            },
            None => MinerCommand::LoadUnavailable { load_index },
        };
        vec![(delay, command)]
    });
    for (i, id) in (0u64..).zip(&miner_ids) {
        let worker = chain.verifier.worker_context(id)?;
        sim.inject(
            Timestamp::ZERO,
            NodeId(i),
            MinerCommand::Task(Box::new(MiningTask {
                worker,
                expires_at: Timestamp(WINDOW_MS),
            })),
        );
    }
    sim.run_until(Timestamp(WINDOW_MS + 50));

    let mut found: Vec<(Timestamp, usize, MinedAnswer)> = sim
        .events()
        .iter()
        .filter_map(|(t, n, e)| match e {
            MinerEvent::Answer(a) => Some((*t, index(*n), (**a).clone())),
            _ => None,
        })
        .collect();
    found.sort_by_key(|(t, n, _)| (*t, *n));
    let bound = QualityBound::new(worker.pora_target, 1u128 << 64);
    let mut series = Vec::new();
    for i in 0..2usize {
        let stats = sim
            .node(NodeId(i as u64))
            .map(Miner::stats)
            .context("miner is up")?;
        let trials = stats.scans * SEALS_PER_LOAD as u64;
        let expected = trials as f64 * bound.probability();
        let sd = (expected * (1.0 - bound.probability())).sqrt();
        let got = found.iter().filter(|(_, n, _)| *n == i).count() as f64;
        lane.check(
            format!(
                "miner {i}: {got} answers in {} scans, expected {expected:.1} ± {sd:.1} from the target",
                stats.scans
            ),
            (got - expected).abs() <= 6.0 * sd,
        );
        let mut count = 0.0;
        series.push(Series {
            name: format!("miner {i}"),
            points: std::iter::once((0.0, 0.0))
                .chain(found.iter().filter(|(_, n, _)| *n == i).map(|(t, _, _)| {
                    count += 1.0;
                    (t.0 as f64, count)
                }))
                .collect(),
        });
    }
    lane.charts.push(Chart {
        stem: "storage-mining".into(),
        title: "PoRA answers found during the mining window".into(),
        x_label: "simulated ms".into(),
        y_label: "answers".into(),
        series,
    });

    // Submit: a tampered copy of the first answer, then every answer in order (the first one
    // twice).
    let to_answer = |i: usize, a: MinedAnswer| -> Result<zg_pora::Answer> {
        let proof = seal_proof(&sealed[i].flow, a.seal_index())?;
        Ok(a.into_answer(context.digest, proof))
    };
    let mut accepted = 0u64;
    let mut over_cap = 0u64;
    let mut other = Vec::new();
    if let Some((_, i, a)) = found.first().cloned() {
        let mut forged = to_answer(i, a)?;
        forged.sealed_data[100] ^= 1;
        let r = chain.feed(now, VerifierCommand::Submit(Box::new(forged)));
        lane.check(
            format!("a tampered answer (one sealed byte flipped) is rejected: {r:?}"),
            matches!(
                r,
                Err(VerifierError::Rejected(VerifyError::FlowRootMismatch))
            ),
        );
    }
    for (k, (_, i, a)) in found.iter().enumerate() {
        let answer = to_answer(*i, a.clone())?;
        let again = (k == 0).then(|| answer.clone());
        match chain.feed(now, VerifierCommand::Submit(Box::new(answer))) {
            Ok(()) => accepted += 1,
            Err(VerifierError::Rejected(VerifyError::EpochFull { .. })) => over_cap += 1,
            Err(e) => other.push(e),
        }
        if let Some(a) = again {
            let r = chain.feed(now, VerifierCommand::Submit(Box::new(a)));
            lane.check(
                format!("the same answer submitted twice is rejected the second time: {r:?}"),
                matches!(
                    r,
                    Err(VerifierError::Rejected(VerifyError::DuplicateOutput))
                ),
            );
        }
    }
    let paid = Amount::checked_sum(chain.events.iter().filter_map(|e| match e {
        VerifierEvent::Accepted(a) => Some(a.reward),
        _ => None,
    }))?;
    lane.check(
        format!(
            "the contract accepted {accepted} answers, capped the epoch at 2 × 10 target \
             submissions ({over_cap} refused as over the cap), and rejected no honest answer \
             otherwise ({other:?})"
        ),
        accepted == 20.min(found.len() as u64) && other.is_empty(),
    );
    lane.fact(format!(
        "rewards paid to miners for accepted answers: {paid} units"
    ));
    Ok(())
}

/// The mining contract and the events it emitted.
struct Chain {
    verifier: Verifier,
    events: Vec<VerifierEvent>,
}

impl Chain {
    /// Feeds one chain input (in chain order) and keeps the events.
    fn feed(&mut self, now: Timestamp, command: VerifierCommand) -> Result<(), VerifierError> {
        let r = self.verifier.handle(now, Input::Command(command));
        self.events.extend(
            self.verifier
                .drain_outputs()
                .into_iter()
                .filter_map(|o| match o {
                    Output::Event(e) => Some(e),
                    _ => None,
                }),
        );
        r
    }
}

/// A simulated node's index (the devnet's networks have a handful of nodes).
fn index(id: NodeId) -> usize {
    usize::try_from(id.0).unwrap_or(usize::MAX)
}
