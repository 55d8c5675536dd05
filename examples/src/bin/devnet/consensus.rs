//! Consensus lane: validators run several BFT partitions over one shared stake, with BLS
//! signatures; one validator equivocates, the network splits and heals, a node crashes and
//! restarts. Evidence must slash the equivocator once, everywhere, and no two honest nodes may
//! decide differently.
//!
//! The faulty run is driven here, on the zg-core simulator, so that its checks read what the
//! nodes themselves produced: every commit certificate every honest node decided with is
//! verified against its epoch's validator set, the equivocator's absence after its exclusion is
//! read from the certificates' signer bitmaps, and every honest node's own `Slashed` events
//! are checked. (The latency sweep below uses `zg_testkit::consensus::run` on honest runs.)

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use zg_consensus::{
    Bls, Certificate, Command, Consensus, Event, Evidence, Node, Request, Scheme, StakeLedger,
    ValidatorSet,
};
use zg_core::machine::Machine;
use zg_core::sim::{Fault, Latency, LinkConfig, SimConfig, SimRng, Simulation};
use zg_core::{Epoch, H256, NodeId, Timestamp};
use zg_testkit::consensus::{Equivocator, Scenario, Silent, run, stake_table, validator_key};

use crate::report::{Chart, LaneReport, Series};

type S = Bls;
type Boxed = Box<dyn Machine<Consensus<S>>>;
const HEIGHTS_PER_EPOCH: u64 = 4;

/// Proposes a value derived from (node, partition, height, round); accepts every value.
fn host(
    node: NodeId,
    _now: Timestamp,
    request: Request,
    _rng: &mut SimRng,
) -> Vec<(Duration, Command<S>)> {
    let reply = match request {
        Request::GetValue {
            partition,
            height,
            round,
        } => Command::ProposeValue {
            partition,
            height,
            round,
            value: zg_core::keccak256_parts(&[
                b"devnet/value",
                &node.0.to_be_bytes(),
                &partition.0.to_be_bytes(),
                &height.0.to_be_bytes(),
                &round.0.to_be_bytes(),
            ]),
        },
        Request::Validate {
            partition,
            height,
            value,
        } => Command::Validity {
            partition,
            height,
            value,
            valid: true,
        },
    };
    vec![(Duration::from_millis(1), reply)]
}

/// (node, partition, height, value, certificate) of one honest decision.
type Decision = (NodeId, u32, u64, H256, Arc<Certificate<S>>);

/// What the honest nodes produced in the faulty run.
#[derive(Default)]
struct Observed {
    /// Every decision of an honest node, with its certificate.
    certificates: Vec<Decision>,
    /// (partition, height) → values decided by honest nodes.
    decided: BTreeMap<(u32, u64), HashSet<H256>>,
    /// Heights decided per (node, partition).
    heights: HashMap<(u64, u32), u64>,
    /// Per honest node: its Slashed events (offender, first epoch without it).
    slashed: BTreeMap<u64, Vec<(<S as Scheme>::PublicKey, Epoch)>>,
    evidence: usize,
    rounds: u32,
    latencies: Vec<u64>,
}

fn faulty_run(lane: &mut LaneReport, seed: u64, validators: usize, partitions: u32, heights: u64) {
    let n = validators;
    let mut config = Scenario::default().config;
    config.network = zg_core::keccak256(b"devnet/consensus/network");
    config.partitions = partitions;
    config.heights_per_epoch = HEIGHTS_PER_EPOCH;
    let genesis_table = stake_table::<S>(n, Epoch(0), |_| 100);
    let Ok(genesis) = ValidatorSet::from_stake_table(config.network, &genesis_table) else {
        lane.check("the genesis validator set builds", false);
        return;
    };
    let genesis = Arc::new(genesis);
    let Ok(mut ledger) = StakeLedger::new(genesis.clone(), config.slash_fraction_bps, 64) else {
        lane.check("the staking ledger builds", false);
        return;
    };
    let equivocator = NodeId(0);
    let offender_key = S::public_key(&validator_key::<S>(0));
    let honest: Vec<NodeId> = (1..n as u64).map(NodeId).collect();
    let link = LinkConfig {
        latency: Latency::Uniform {
            min_ms: 5,
            max_ms: 80,
        },
        loss: 0.05,
        duplicate: 0.02,
        reorder: 0.05,
        reorder_ms: 200,
    };
    let factory = {
        let (config, genesis) = (config.clone(), genesis.clone());
        move |id: NodeId, now: Timestamp, records: &[zg_consensus::Record<S>]| -> Boxed {
            let i = usize::try_from(id.0).unwrap_or(usize::MAX);
            let secret = validator_key::<S>(i);
            let Ok(inner) = Node::<S>::restore(
                config.clone(),
                Some(validator_key::<S>(i)),
                genesis.clone(),
                records,
                now,
            ) else {
                // A node that cannot start sends nothing; the lane then misses liveness.
                return Box::new(Silent);
            };
            if id == equivocator {
                Box::new(Equivocator::new(
                    inner,
                    secret,
                    config.network,
                    n as u64,
                    id,
                ))
            } else {
                Box::new(inner)
            }
        }
    };
    let mut sim: Simulation<Consensus<S>> = Simulation::new(SimConfig { seed, link }, n, factory);
    sim.set_host(host);
    let all: Vec<NodeId> = (0..n as u64).map(NodeId).collect();
    let (left, right) = all.split_at(n / 2);
    sim.schedule(
        Timestamp::from_millis(300),
        Fault::Partition(vec![left.to_vec(), right.to_vec()]),
    );
    sim.schedule(Timestamp::from_millis(2500), Fault::Heal);
    sim.schedule(Timestamp::from_millis(600), Fault::Crash(NodeId(1)));
    sim.schedule(Timestamp::from_millis(3000), Fault::Restart(NodeId(1)));

    let mut seen = Observed::default();
    let mut submitted: HashSet<String> = HashSet::new();
    let mut exclusions: Vec<(<S as Scheme>::PublicKey, Epoch)> = Vec::new();
    let mut stabilised = false;
    let deadline = Timestamp::from_secs(300);
    loop {
        sim.run_for(Duration::from_millis(100));
        let now = sim.now();
        if !stabilised && now >= Timestamp::from_secs(20) {
            stabilised = true;
            for &node in &all {
                sim.apply(Fault::SetNodeLinks {
                    node,
                    config: LinkConfig {
                        latency: Latency::Uniform {
                            min_ms: 5,
                            max_ms: 80,
                        },
                        ..LinkConfig::default()
                    },
                });
            }
        }
        for (_, node, event) in sim.take_events() {
            if node == equivocator {
                continue;
            }
            match event {
                Event::Decided {
                    partition,
                    height,
                    value,
                    round,
                    latency_ms,
                    certificate,
                } => {
                    seen.certificates
                        .push((node, partition.0, height.0, value, certificate));
                    seen.decided
                        .entry((partition.0, height.0))
                        .or_default()
                        .insert(value);
                    let h = seen.heights.entry((node.0, partition.0)).or_insert(0);
                    *h = (*h).max(height.0 + 1);
                    seen.rounds = seen.rounds.max(round.0);
                    seen.latencies.push(latency_ms);
                }
                Event::Equivocation(e) => {
                    seen.evidence += 1;
                    // The chain stand-in takes each distinct piece once and gives it to all.
                    if submitted.insert(format!("{e:?}")) {
                        if let Ok(s) = ledger.apply_evidence(&e) {
                            exclusions.push((s.validator, s.excluded_from));
                        }
                        let e: Evidence<S> = (*e).clone();
                        for &to in &all {
                            sim.inject(now, to, Command::ApplyEvidence(e.clone()));
                        }
                    }
                }
                Event::Slashed {
                    validator,
                    excluded_from,
                    ..
                } => seen
                    .slashed
                    .entry(node.0)
                    .or_default()
                    .push((validator, excluded_from)),
                _ => {}
            }
        }
        // Announce epoch e + 1 once the fastest partition is halfway through epoch e.
        let max_height = seen.heights.values().copied().max().unwrap_or(0);
        let next = ledger.latest_epoch().0 + 1;
        if max_height >= (next * HEIGHTS_PER_EPOCH).saturating_sub(HEIGHTS_PER_EPOCH / 2 + 1) {
            let table = stake_table::<S>(n, Epoch(next), |i| {
                100 + 10 * ((i as u128 + u128::from(next)) % 3)
            });
            if ledger.announce(&table).is_ok() {
                for &to in &all {
                    sim.inject(now, to, Command::StakeTable(table.clone()));
                }
            }
        }
        let done = honest.iter().all(|h| {
            (0..partitions).all(|p| seen.heights.get(&(h.0, p)).copied().unwrap_or(0) >= heights)
        });
        if done || now >= deadline {
            report(
                lane,
                &sim,
                &seen,
                &ledger,
                &genesis,
                &offender_key,
                &honest,
                done,
                (validators, partitions, heights),
            );
            return;
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn report(
    lane: &mut LaneReport,
    sim: &Simulation<Consensus<S>>,
    seen: &Observed,
    ledger: &StakeLedger<S>,
    genesis: &Arc<ValidatorSet<S>>,
    offender: &<S as Scheme>::PublicKey,
    honest: &[NodeId],
    done: bool,
    (validators, partitions, heights): (usize, u32, u64),
) {
    let mut latencies = seen.latencies.clone();
    latencies.sort_unstable();
    let mean = latencies.iter().sum::<u64>() as f64 / latencies.len().max(1) as f64;
    let p99 = latencies
        .get(latencies.len().saturating_sub(1) * 99 / 100)
        .copied()
        .unwrap_or(0);
    lane.fact(format!(
        "{validators} validators (BLS12-381), {partitions} partitions, {heights} heights each: \
         {} decisions, max round {}, mean decision latency {mean:.0} ms (p99 {p99} ms), {} \
         messages, {} epochs announced, trace {:016x}",
        seen.decided.len(),
        seen.rounds,
        sim.stats().delivered,
        ledger.latest_epoch().0,
        sim.trace_hash()
    ));
    let violations = seen.decided.values().filter(|v| v.len() > 1).count();
    lane.check(
        format!("no two honest nodes decided differently (safety violations: {violations})"),
        violations == 0,
    );
    lane.check(
        format!(
            "every honest node decided every height despite the split, the crash and 5% loss \
             (completed: {done})"
        ),
        done,
    );
    // Every certificate every honest node decided with, against its epoch's set.
    let mut bad = 0;
    for (_, partition, height, value, c) in &seen.certificates {
        let set = ledger.set(c.epoch).unwrap_or(genesis);
        let ok = c.partition.0 == *partition
            && c.height.0 == *height
            && c.value == *value
            && c.verify(set).is_ok();
        bad += usize::from(!ok);
    }
    let total = seen.certificates.len();
    lane.check(
        format!(
            "every commit certificate of every honest node verified ({total} checked, one \
             pairing equation each; {bad} bad)"
        ),
        bad == 0 && total > 0,
    );
    // The equivocator's exclusion, as each honest node reported it.
    let mut agree = 0;
    let mut first_without = None;
    for node in honest {
        let events = seen.slashed.get(&node.0).map_or(&[][..], Vec::as_slice);
        let about: Vec<Epoch> = events
            .iter()
            .filter(|(k, _)| k == offender)
            .map(|(_, e)| *e)
            .collect();
        let only_offender = events.iter().all(|(k, _)| k == offender);
        if !about.is_empty() && only_offender && about.iter().all(|e| *e == about[0]) {
            agree += 1;
            first_without = first_without.or(Some(about[0]));
        }
    }
    let h = honest.len();
    lane.check(
        format!(
            "validator 0 equivocated: evidence reported ({}); every honest node's own Slashed \
             events name it, and only it, with one exclusion epoch ({agree}/{h} nodes{})",
            seen.evidence,
            first_without.map_or(String::new(), |e| format!(", excluded from epoch {}", e.0))
        ),
        seen.evidence > 0 && agree == h,
    );
    // Its signature, read from the certificates' signer bitmaps.
    let (mut before, mut after) = (0, 0);
    if let Some(from) = first_without {
        for (_, _, _, _, c) in &seen.certificates {
            let set = ledger.set(c.epoch).unwrap_or(genesis);
            let signed = set
                .index_of(offender)
                .is_some_and(|i| c.signers.contains(i));
            if signed && c.epoch >= from {
                after += 1;
            } else if signed {
                before += 1;
            }
        }
    }
    lane.check(
        format!(
            "its signature, read from the signer bitmaps: in {before} certificates before its \
             exclusion, in {after} from then on"
        ),
        first_without.is_some() && after == 0,
    );
}

pub(crate) fn run_lane(seed: u64, quick: bool) -> LaneReport {
    let mut lane = LaneReport::new("consensus");
    let (validators, partitions, heights) = if quick { (7, 2, 8) } else { (10, 4, 16) };
    faulty_run(&mut lane, seed, validators, partitions, heights);

    // How decision latency grows with message loss (honest validators, same seed).
    let losses = if quick {
        vec![0.0, 0.2]
    } else {
        vec![0.0, 0.1, 0.2, 0.3]
    };
    let mut mean = Vec::new();
    let mut p99 = Vec::new();
    for &loss in &losses {
        let r = run::<Bls>(&Scenario {
            validators,
            byzantine: 0,
            partitions: 1,
            heights,
            seed,
            loss,
            ..Scenario::default()
        });
        mean.push((loss * 100.0, r.mean_latency_ms));
        p99.push((loss * 100.0, r.p99_latency_ms as f64));
        lane.check(
            format!(
                "{:.0}% loss: all {heights} heights decided, mean latency {:.0} ms",
                loss * 100.0,
                r.mean_latency_ms
            ),
            r.completed && r.safety_violations == 0,
        );
    }
    lane.charts.push(Chart {
        stem: "consensus-latency".into(),
        title: format!("Decision latency vs message loss ({validators} validators)"),
        x_label: "message loss (%)".into(),
        y_label: "ms from height start to decision".into(),
        series: vec![
            Series {
                name: "mean".into(),
                points: mean,
            },
            Series {
                name: "p99".into(),
                points: p99,
            },
        ],
    });
    lane
}
