//! Consensus lane: validators run several BFT partitions over one shared stake, with BLS
//! signatures; one validator equivocates, the network splits and heals, a node crashes and
//! restarts. Evidence must slash the equivocator once, everywhere, and no two honest nodes may
//! decide differently.

use zg_consensus::Bls;
use zg_core::sim::Latency;
use zg_core::{NodeId, Timestamp};
use zg_testkit::consensus::{Behaviour, CrashPlan, Scenario, run};

use crate::report::{Chart, LaneReport, Series};

pub(crate) fn run_lane(seed: u64, quick: bool) -> LaneReport {
    let mut lane = LaneReport::new("consensus");
    let (validators, partitions, heights) = if quick { (7, 2, 8) } else { (10, 4, 16) };

    // The faulty run: an equivocator, a network split healed later, a crash and a restart,
    // epochs of 4 heights so the slash takes effect, every commit certificate checked.
    let faulty = Scenario {
        validators,
        byzantine: 1,
        behaviour: Behaviour::Equivocate,
        partitions,
        heights,
        seed,
        latency: Latency::Uniform {
            min_ms: 5,
            max_ms: 80,
        },
        loss: 0.05,
        duplicate: 0.02,
        reorder: 0.05,
        partition_at: Some(Timestamp::from_millis(300)),
        heal_at: Some(Timestamp::from_millis(2500)),
        stabilise_at: Some(Timestamp::from_secs(20)),
        crashes: vec![CrashPlan {
            node: NodeId(1),
            at: Timestamp::from_millis(600),
            restart_at: Timestamp::from_millis(3000),
        }],
        heights_per_epoch: Some(4),
        verify_certificates: true,
        byzantine_ids: Some(vec![0]),
        ..Scenario::default()
    };
    let r = run::<Bls>(&faulty);
    lane.fact(format!(
        "{validators} validators (BLS12-381), {partitions} partitions, {heights} heights each: \
         {} decisions, max round {}, mean decision latency {:.0} ms (p99 {} ms), {} messages",
        r.decisions, r.max_round, r.mean_latency_ms, r.p99_latency_ms, r.delivered
    ));
    lane.fact(format!(
        "{} commit certificates checked (one pairing equation each), {} epochs announced, trace {:016x}",
        r.certificates_checked, r.epochs, r.trace_hash
    ));
    lane.check(
        format!(
            "no two honest nodes decided differently (safety violations: {}, honest double signs: {})",
            r.safety_violations, r.honest_double_signs
        ),
        r.safety_violations == 0 && r.honest_double_signs == 0,
    );
    lane.check(
        format!(
            "every honest node decided every height despite the split, the crash and 5% loss \
             (completed: {})",
            r.completed
        ),
        r.completed,
    );
    lane.check(
        format!(
            "validator 0 equivocated: evidence reported ({}), shared stake slashed once ({:?}), \
             absent from later certificates ({} violations)",
            r.evidence, r.slashed, r.slashed_signers_after_exclusion
        ),
        r.evidence > 0 && r.slashed == vec![0] && r.slashed_signers_after_exclusion == 0,
    );
    lane.check(
        format!(
            "every commit certificate verified ({} bad)",
            r.bad_certificates
        ),
        r.bad_certificates == 0 && r.certificates_checked > 0,
    );

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
