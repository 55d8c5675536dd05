//! `zg alignment`: the alignment network from the command line (zg-alignment).
//!
//! One variant group per area, each flattened into `zg alignment <subcommand>`: the economy
//! (`sale`, `rewards`) lives in `alignment/economy.rs`, the AI checks (`drift`, `toploc`) in
//! `alignment/ai.rs`, the audits (`monitor`, `report verify`) in `alignment/audit.rs`.

use anyhow::Result;
use clap::Subcommand;
use std::process::ExitCode;

mod ai;
mod audit;
mod economy;

/// The alignment network's subcommands.
#[derive(Subcommand)]
pub(crate) enum AlignmentCmd {
    /// The node sale, licences and rewards.
    #[command(flatten)]
    Economy(economy::EconomyCmd),
    /// Two-sample drift report (KS, Wasserstein-1, PSI, …) in deterministic fixed point.
    Drift(ai::DriftArgs),
    /// TOPLOC inference proofs: prove and verify.
    #[command(subcommand)]
    Toploc(ai::ToplocCmd),
    /// Audits: an alignment committee over a simulated network, and its quorum reports.
    #[command(flatten)]
    Audit(audit::AuditCmd),
}

/// Runs one subcommand; the exit code is the subcommand's own verdict (drift alerts, failed
/// proofs) when it has one.
pub(crate) fn run(cmd: AlignmentCmd) -> Result<ExitCode> {
    match cmd {
        AlignmentCmd::Economy(c) => economy::run(c).map(|()| ExitCode::SUCCESS),
        AlignmentCmd::Drift(a) => ai::drift(a),
        AlignmentCmd::Toploc(c) => ai::toploc(c),
        AlignmentCmd::Audit(c) => audit::run_cmd(c).map(|()| ExitCode::SUCCESS),
    }
}
