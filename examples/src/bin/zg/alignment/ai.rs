//! `zg alignment drift` and `zg alignment toploc`: the AI checks of an alignment node.

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use zg_alignment::drift::stats::parse_lines;
use zg_alignment::drift::{AlertGate, DriftConfig, DriftReport, Fixed, Measured};

/// Arguments of `zg alignment drift`.
#[derive(Args)]
pub(crate) struct DriftArgs {
    /// Baseline window: one decimal number per line (parsed exactly, ≤ 18 fractional digits).
    #[arg(long, value_name = "FILE")]
    baseline: std::path::PathBuf,
    /// Current window, same format.
    #[arg(long, value_name = "FILE")]
    current: std::path::PathBuf,
    /// PSI bins N: edges are the baseline order statistics x(⌈i·n/N⌉), bins right-closed.
    #[arg(long, default_value_t = 10)]
    bins: usize,
    /// Family-wise false-alarm level α (decimal).
    #[arg(long, default_value = "0.01")]
    alpha: String,
    /// Number of monitored subjects the level is shared over.
    #[arg(long, default_value_t = 1)]
    subjects: u64,
    /// Which test of this subject this is (1-based); the gate spends α/(S·t·(t+1)).
    #[arg(long, default_value_t = 1)]
    step: u64,
    /// Fewer values than this in either file: `not_measured` (exit status 2).
    #[arg(long, default_value_t = 50)]
    min_samples: usize,
}

/// `zg alignment drift`: prints one JSON object on its last line; exit status 0 when measured
/// (whatever the alert), 2 when `not_measured`, 1 on bad input.
pub(crate) fn drift(a: DriftArgs) -> Result<ExitCode> {
    let read = |p: &std::path::Path| -> Result<Vec<Fixed>> {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        parse_lines(&text).with_context(|| format!("parsing {}", p.display()))
    };
    let (b, c) = (read(&a.baseline)?, read(&a.current)?);
    let cfg = DriftConfig {
        bins: a.bins,
        min_samples: a.min_samples,
        gate: AlertGate {
            alpha: Fixed::parse(&a.alpha).context("--alpha")?,
            subjects: a.subjects,
        },
        step: a.step,
    };
    let m = DriftReport::compute(&b, &c, &cfg)?;
    println!("{}", m.to_json());
    Ok(match m {
        Measured::Measured(_) => ExitCode::SUCCESS,
        Measured::NotMeasured { .. } => ExitCode::from(2),
    })
}

/// `zg alignment toploc` subcommands.
#[derive(Subcommand)]
pub(crate) enum ToplocCmd {}

pub(crate) fn toploc(c: ToplocCmd) -> Result<ExitCode> {
    match c {}
}
