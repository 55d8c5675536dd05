//! `zg`: the command-line tool over the zg crates.
//!
//! Each area's subcommand lives in its own module (`root.rs`, `kzg.rs`, …); this file only parses
//! arguments and dispatches.

use clap::{Parser, Subcommand};

mod erasure;

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
    /// Erasure-code files into verifiable shards (k data + m parity), check and rebuild them.
    #[command(subcommand)]
    Erasure(erasure::ErasureCmd),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Erasure(cmd) => erasure::run(cmd),
    }
}
