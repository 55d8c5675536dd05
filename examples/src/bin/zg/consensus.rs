//! `zg consensus`: run the zg-consensus partitions in the deterministic simulator.

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use zg_consensus::Bls;
use zg_core::Timestamp;
use zg_core::sim::Latency;
use zg_testkit::consensus::{Behaviour, Report, Scenario, run};

/// Consensus partitions over one shared-stake validator set.
#[derive(Subcommand)]
pub(crate) enum ConsensusCommand {
    /// Simulate validators running P partitions; prints decisions, rounds, latency, safety
    /// violations and the trace hash, and a one-line JSON summary last.
    Simulate(SimulateArgs),
}

/// Arguments of `zg consensus simulate`.
#[derive(Args)]
pub(crate) struct SimulateArgs {
    /// Number of validators (equal stake).
    #[arg(long, default_value_t = 4)]
    validators: usize,
    /// How many of them are Byzantine.
    #[arg(long, default_value_t = 0)]
    byzantine: usize,
    /// What the Byzantine validators do: silent, equivocate, withhold, selective, split, mixed.
    #[arg(long, default_value = "mixed")]
    behaviour: String,
    /// Partitions every validator runs.
    #[arg(long, default_value_t = 1)]
    partitions: u32,
    /// Heights every honest validator must decide in every partition.
    #[arg(long, default_value_t = 5)]
    heights: u64,
    /// Simulator seed (the run replays exactly).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Message loss probability, 0 to 1.
    #[arg(long, default_value_t = 0.0)]
    loss: f64,
    /// Message duplication probability, 0 to 1.
    #[arg(long, default_value_t = 0.0)]
    duplicate: f64,
    /// Message reordering probability, 0 to 1.
    #[arg(long, default_value_t = 0.0)]
    reorder: f64,
    /// Split the validators into two halves at this simulated time (e.g. 500ms, 2s).
    #[arg(long, value_parser = parse_time)]
    partition_at: Option<Timestamp>,
    /// Heal the split at this simulated time.
    #[arg(long, value_parser = parse_time)]
    heal_at: Option<Timestamp>,
    /// Stop loss, duplication and reordering at this simulated time (default: never).
    #[arg(long, value_parser = parse_time)]
    stabilise_at: Option<Timestamp>,
    /// Epoch length in heights; enables epoch changes and slashing of reported equivocation.
    #[arg(long)]
    epoch_length: Option<u64>,
    /// Give up at this simulated time.
    #[arg(long, value_parser = parse_time, default_value = "600s")]
    deadline: Timestamp,
    /// One-way latency range in ms, "min-max".
    #[arg(long, default_value = "5-60")]
    latency_ms: String,
    /// Check every commit certificate against its epoch's validator set.
    #[arg(long)]
    verify_certificates: bool,
}

fn parse_time(s: &str) -> Result<Timestamp, String> {
    let s = s.trim();
    let (num, scale) = if let Some(v) = s.strip_suffix("ms") {
        (v, 1.0)
    } else if let Some(v) = s.strip_suffix('s') {
        (v, 1000.0)
    } else {
        (s, 1.0)
    };
    let x: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("not a time: {s:?} (use e.g. 1500, 1500ms or 1.5s)"))?;
    if !(x >= 0.0 && x.is_finite()) {
        return Err(format!("not a time: {s:?}"));
    }
    // Rounded to whole milliseconds; simulated times are far below 2^53 ms.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(Timestamp((x * scale).round() as u64))
}

pub(crate) fn run_command(command: ConsensusCommand) -> Result<()> {
    match command {
        ConsensusCommand::Simulate(args) => simulate(&args),
    }
}

fn simulate(args: &SimulateArgs) -> Result<()> {
    if args.validators == 0 || args.validators > 1000 {
        bail!("--validators must be between 1 and 1000");
    }
    if args.byzantine > args.validators {
        bail!("--byzantine cannot exceed --validators");
    }
    if args.partitions == 0 || args.partitions > 65_536 {
        bail!("--partitions must be between 1 and 65536");
    }
    for (name, p) in [
        ("--loss", args.loss),
        ("--duplicate", args.duplicate),
        ("--reorder", args.reorder),
    ] {
        if !(0.0..=1.0).contains(&p) {
            bail!("{name} must be between 0 and 1");
        }
    }
    if args.partition_at.is_some() != args.heal_at.is_some() {
        bail!("--partition-at and --heal-at go together");
    }
    let behaviour = Behaviour::from_name(&args.behaviour).with_context(|| {
        format!(
            "unknown --behaviour {:?} (silent, equivocate, withhold, selective, split, mixed)",
            args.behaviour
        )
    })?;
    let (min_ms, max_ms) = args
        .latency_ms
        .split_once('-')
        .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
        .context("--latency-ms must look like 5-60")?;
    let scenario = Scenario {
        validators: args.validators,
        byzantine: args.byzantine,
        behaviour,
        partitions: args.partitions,
        heights: args.heights,
        seed: args.seed,
        latency: Latency::Uniform { min_ms, max_ms },
        loss: args.loss,
        duplicate: args.duplicate,
        reorder: args.reorder,
        partition_at: args.partition_at,
        heal_at: args.heal_at,
        stabilise_at: args.stabilise_at,
        deadline: args.deadline,
        heights_per_epoch: args.epoch_length,
        verify_certificates: args.verify_certificates,
        ..Scenario::default()
    };
    // Always BLS: the insecure test scheme is not compiled into shipped binaries (zg-testkit's
    // `insecure-sim` binary runs large simulations with it).
    let scheme = "bls12-381";
    eprintln!(
        "simulating {} validators ({} byzantine, {}), {} partition(s), {} height(s), seed {}, {} signatures",
        args.validators,
        args.byzantine,
        args.behaviour,
        args.partitions,
        args.heights,
        args.seed,
        scheme
    );
    let started = std::time::Instant::now();
    let report = run::<Bls>(&scenario);
    let wall_ms = started.elapsed().as_millis();
    print_report(args, &report, scheme, wall_ms);
    let tolerated = 3 * args.byzantine < args.validators;
    if tolerated && (report.safety_violations > 0 || report.honest_double_signs > 0) {
        bail!(
            "safety violated with Byzantine stake below one third ({} violations)",
            report.safety_violations
        );
    }
    Ok(())
}

fn print_report(args: &SimulateArgs, r: &Report, scheme: &str, wall_ms: u128) {
    println!(
        "decisions: {} (partition, height) pairs, {} node decisions",
        r.decisions, r.node_decisions
    );
    println!(
        "completed: {} (every honest node at height >= {} in every partition; lowest {})",
        r.completed, args.heights, r.min_height
    );
    println!("max round: {}", r.max_round);
    println!(
        "simulated latency per decision: mean {:.1} ms, p99 {} ms",
        r.mean_latency_ms, r.p99_latency_ms
    );
    println!("safety violations: {}", r.safety_violations);
    println!("honest double signs: {}", r.honest_double_signs);
    if args.epoch_length.is_some() {
        println!(
            "epochs: {}, evidence: {}, slashed: {:?}",
            r.epochs, r.evidence, r.slashed
        );
    }
    if args.verify_certificates {
        println!(
            "certificates checked: {} (bad: {})",
            r.certificates_checked, r.bad_certificates
        );
    }
    println!(
        "simulated time: {}, messages delivered: {}, rejected inputs: {}",
        r.end, r.delivered, r.rejected_inputs
    );
    println!("trace hash: {:#018x}", r.trace_hash);
    let json = serde_json::json!({
        "decisions": r.decisions,
        "node_decisions": r.node_decisions,
        "safety_violations": r.safety_violations,
        "honest_double_signs": r.honest_double_signs,
        "max_round": r.max_round,
        "mean_latency_ms": r.mean_latency_ms,
        "p99_latency_ms": r.p99_latency_ms,
        "completed": r.completed,
        "trace_hash": format!("{:#018x}", r.trace_hash),
        "validators": args.validators,
        "byzantine": args.byzantine,
        "partitions": args.partitions,
        "heights": args.heights,
        "seed": args.seed,
        "scheme": scheme,
        "simulated_ms": r.end.as_millis(),
        "wall_ms": u64::try_from(wall_ms).unwrap_or(u64::MAX),
    });
    println!("{json}");
}
