//! `devnet`: every zg lane in one process, on the deterministic simulator, with faults injected —
//! and what each lane did and caught, on the terminal and as a report with charts.
//!
//! ```text
//! cargo run --release -p zg-examples --bin devnet                # full run, report in devnet-report/
//! cargo run --release -p zg-examples --bin devnet -- --quick     # smaller, for CI and a first look
//! ```
//!
//! Lanes (each in its own module): storage (0G file root, erasure coding with Merkle
//! commitments, shard repair against corrupt and silent peers, sealing and PoRA mining against
//! the mining contract's rules), consensus (BFT partitions over shared stake with an equivocator,
//! a network split and a crash), serving (ledger and brokers with an over-charging provider and a
//! vanishing user), committees (VRF sortition and the epoch beacon, with replayed and forged
//! claims), and alignment (a small node sale, licences delegated to operator keys, signed daily
//! check-ins with one licence run twice, and each day's rewards settled from the alignment
//! committee's verified quorum report). The exit status is non-zero if any lane missed a fault
//! it should have caught.

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};

mod alignment;
mod committee;
mod consensus;
mod report;
mod serving;
mod storage;

use report::LaneReport;

/// Runs every zg lane in the simulator with faults injected, and reports what each caught.
#[derive(Parser)]
#[command(name = "devnet", version, about)]
struct Args {
    /// Seed of every simulation (the same seed replays the same run).
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Smaller networks and files: a run of seconds.
    #[arg(long)]
    quick: bool,
    /// Where to write report.md, summary.json and the SVG charts.
    #[arg(long, default_value = "devnet-report")]
    out: PathBuf,
}

type Lane = fn(u64, bool) -> anyhow::Result<LaneReport>;

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let lanes: [(&'static str, Lane); 5] = [
        ("storage", storage::run_lane),
        ("consensus", |s, q| Ok(consensus::run_lane(s, q))),
        ("serving", serving::run_lane),
        ("committee", committee::run_lane),
        ("alignment", alignment::run_lane),
    ];
    println!(
        "zg devnet — seed {}{}",
        args.seed,
        if args.quick { " (quick)" } else { "" }
    );
    let mut reports = Vec::new();
    for (name, lane) in lanes {
        let spinner = ProgressBar::new_spinner();
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
            spinner.set_style(style);
        }
        spinner.set_message(format!("running the {name} lane"));
        spinner.enable_steady_tick(std::time::Duration::from_millis(120));
        let started = Instant::now();
        let result = lane(args.seed, args.quick);
        spinner.finish_and_clear();
        let mut r = match result {
            Ok(r) => r,
            Err(e) => {
                let mut r = LaneReport::new(name);
                r.check(format!("the {name} lane ran to the end: {e:#}"), false);
                r
            }
        };
        r.seconds = started.elapsed().as_secs_f64();
        report::print_lane(&r);
        reports.push(r);
    }
    let passed = reports.iter().all(LaneReport::passed);
    match report::write(&args.out, args.seed, &reports) {
        Ok(()) => println!(
            "\nreport: {}/report.md (charts and summary.json beside it)",
            args.out.display()
        ),
        Err(e) => eprintln!("devnet: could not write the report: {e:#}"),
    }
    let checks: usize = reports.iter().map(|r| r.checks.len()).sum();
    let caught: usize = reports
        .iter()
        .map(|r| r.checks.iter().filter(|c| c.ok).count())
        .sum();
    println!(
        "{}: {caught}/{checks} checks",
        if passed { "all lanes ok" } else { "FAILED" }
    );
    if passed {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}
