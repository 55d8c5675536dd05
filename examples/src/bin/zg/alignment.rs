//! `zg alignment`: the alignment network from the command line (zg-alignment).
//!
//! One variant group per area, each flattened into `zg alignment <subcommand>`: the economy
//! (`sale`, `rewards`) lives in `alignment/economy.rs`; the AI checks add their own group here.

use anyhow::Result;
use clap::Subcommand;

mod economy;

/// The alignment network's subcommands.
#[derive(Subcommand)]
pub(crate) enum AlignmentCmd {
    /// The node sale, licences and rewards.
    #[command(flatten)]
    Economy(economy::EconomyCmd),
}

pub(crate) fn run(cmd: AlignmentCmd) -> Result<()> {
    match cmd {
        AlignmentCmd::Economy(c) => economy::run(c),
    }
}
