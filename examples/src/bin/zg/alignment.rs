//! `zg alignment`: alignment-node checks.
//!
//! Temporary wiring of the AI subcommands (`drift`, `toploc`) from `alignment/ai.rs`; the
//! integrator merges it with the `sale`/`rewards` group.

use anyhow::Result;
use clap::Subcommand;

mod ai;

/// `zg alignment` subcommands.
#[derive(Subcommand)]
pub(crate) enum AlignmentCmd {
    /// Two-sample drift report (KS, Wasserstein-1, PSI, …) in deterministic fixed point.
    Drift(ai::DriftArgs),
    /// TOPLOC inference proofs: prove and verify.
    #[command(subcommand)]
    Toploc(ai::ToplocCmd),
}

pub(crate) fn run(cmd: AlignmentCmd) -> Result<std::process::ExitCode> {
    match cmd {
        AlignmentCmd::Drift(a) => ai::drift(a),
        AlignmentCmd::Toploc(c) => ai::toploc(c),
    }
}
