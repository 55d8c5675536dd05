//! `zg alignment`: the alignment network from the command line (zg-alignment).
//!
//! One variant group per area, each flattened into `zg alignment <subcommand>`: the economy
//! (`sale`, `rewards`) lives in `alignment/economy.rs`, the audits (`monitor`, `report verify`) in
//! `alignment/audit.rs`; the AI checks add their own group here.

use anyhow::Result;
use clap::Subcommand;

mod audit;
mod economy;

/// The alignment network's subcommands.
#[derive(Subcommand)]
pub(crate) enum AlignmentCmd {
    /// The node sale, licences and rewards.
    #[command(flatten)]
    Economy(economy::EconomyCmd),
    /// Audits: an alignment committee over a simulated network, and its quorum reports.
    #[command(flatten)]
    Audit(audit::AuditCmd),
}

pub(crate) fn run(cmd: AlignmentCmd) -> Result<()> {
    match cmd {
        AlignmentCmd::Economy(c) => economy::run(c),
        AlignmentCmd::Audit(c) => audit::run_cmd(c),
    }
}
