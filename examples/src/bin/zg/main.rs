//! `zg`: the command-line tool over the zg crates.
//!
//! Each area's subcommand lives in its own module (`root.rs`, `kzg.rs`, …); this file only parses
//! arguments and dispatches.

use clap::{Parser, Subcommand};

mod consensus;

/// zg — 0G protocol primitives from the command line.
#[derive(Parser)]
#[command(name = "zg", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// One variant per area; each area's arguments and logic live in its module.
#[derive(Subcommand)]
enum Command {
    /// Tendermint-style BFT partitions in the simulator.
    #[command(subcommand)]
    Consensus(consensus::ConsensusCommand),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Consensus(c) => consensus::run_command(c),
    }
}
