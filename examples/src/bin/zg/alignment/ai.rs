//! `zg alignment drift` and `zg alignment toploc`: the AI checks of an alignment node.

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use zg_alignment::drift::stats::parse_lines;
use zg_alignment::drift::{AlertGate, DriftConfig, DriftReport, Fixed, Measured};
use zg_alignment::toploc;

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
pub(crate) enum ToplocCmd {
    /// Prints one proof per chunk, one per line: base64 of its 258 bytes (the `toploc`
    /// package's format, top-k 128).
    Prove {
        /// One chunk per line (prefill, then each 32-token decode chunk, flattened), each value
        /// a bf16 bit pattern as four hex digits, separated by spaces.
        #[arg(long, value_name = "FILE")]
        activations: std::path::PathBuf,
    },
    /// Checks each proof against the recomputed chunk on the same line; prints one JSON object
    /// per chunk and exits non-zero if any chunk fails.
    Verify {
        /// One base64 proof per line.
        #[arg(long, value_name = "FILE")]
        proofs: std::path::PathBuf,
        /// The recomputed activations, same format as for `prove`.
        #[arg(long, value_name = "FILE")]
        activations: std::path::PathBuf,
        /// Largest accepted mean mantissa error (integer).
        #[arg(long, default_value_t = 10)]
        max_mean: u32,
        /// Largest accepted median mantissa error.
        #[arg(long, default_value_t = 8)]
        max_median: u32,
        /// Fewest matching exponents of the 128.
        #[arg(long, default_value_t = 90)]
        min_exp_matches: u32,
    },
}

fn read_chunks(p: &std::path::Path) -> Result<Vec<Vec<u16>>> {
    let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
    toploc::parse_activations(&text).with_context(|| format!("parsing {}", p.display()))
}

pub(crate) fn toploc(c: ToplocCmd) -> Result<ExitCode> {
    match c {
        ToplocCmd::Prove { activations } => {
            for (i, chunk) in read_chunks(&activations)?.iter().enumerate() {
                let p = toploc::prove(chunk).with_context(|| format!("chunk {}", i + 1))?;
                println!("{}", p.to_base64());
            }
            Ok(ExitCode::SUCCESS)
        }
        ToplocCmd::Verify {
            proofs,
            activations,
            max_mean,
            max_median,
            min_exp_matches,
        } => {
            let text = std::fs::read_to_string(&proofs)
                .with_context(|| format!("reading {}", proofs.display()))?;
            let proofs: Vec<toploc::Proof> = text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .enumerate()
                .map(|(i, l)| {
                    toploc::Proof::from_base64(l).with_context(|| format!("proof {}", i + 1))
                })
                .collect::<Result<_>>()?;
            let chunks = read_chunks(&activations)?;
            anyhow::ensure!(
                proofs.len() == chunks.len(),
                "{} proofs but {} activation chunks",
                proofs.len(),
                chunks.len()
            );
            let t = toploc::Thresholds {
                max_mean_mant_err: (max_mean, 1),
                max_median_mant_err: max_median,
                min_exp_matches,
            };
            let mut all = true;
            for (i, (p, c)) in proofs.iter().zip(&chunks).enumerate() {
                let r = toploc::verify(p, c, &t).with_context(|| format!("chunk {}", i + 1))?;
                let mean = r
                    .mean()
                    .and_then(|(n, d)| Fixed::from_ratio(i128::from(n), u128::from(d)));
                let (mean, median) = match (mean, r.mant_err_median) {
                    (Some(m), Some(md)) => (m.to_string(), md.to_string()),
                    _ => ("null".into(), "null".into()),
                };
                println!(
                    "{{\"chunk\":{},\"exp_mismatches\":{},\"mant_err_mean\":{mean},\"mant_err_median\":{median},\"pass\":{}}}",
                    i + 1,
                    r.exp_mismatches,
                    r.pass
                );
                all &= r.pass;
            }
            Ok(if all {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}
