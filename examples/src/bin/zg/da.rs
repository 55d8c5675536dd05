//! `zg da`: data availability. Only the 0G-network mode (`zg da zerog …`) lives here so far.

use clap::Subcommand;

use crate::da_zerog;

/// Subcommands of `zg da`.
#[derive(Subcommand)]
pub(crate) enum DaCommand {
    /// The live 0G DA network's rules (BN254): encode, hash-to-G1, quorums.
    #[command(subcommand)]
    Zerog(da_zerog::ZerogCommand),
}

pub(crate) fn run(cmd: DaCommand) -> anyhow::Result<()> {
    match cmd {
        DaCommand::Zerog(c) => da_zerog::run(c),
    }
}
