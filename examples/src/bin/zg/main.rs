//! `zg`: the command-line tool over the zg crates.
//!
//! Each area's subcommand lives in its own module (`root.rs`, `kzg.rs`, …); this file only parses
//! arguments and dispatches.

use clap::{Parser, Subcommand};

mod kzg;

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
    /// KZG commitments and proofs (EIP-4844 blobs, EIP-7594 cells).
    #[command(subcommand)]
    Kzg(kzg::KzgCommand),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Kzg(cmd) => kzg::run(cmd),
    }
}
