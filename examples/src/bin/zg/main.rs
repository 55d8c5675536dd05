//! `zg`: the command-line tool over the zg crates.
//!
//! Each area's subcommand lives in its own module (`root.rs`, `kzg.rs`, …); this file only parses
//! arguments and dispatches.

use clap::{Parser, Subcommand};

mod vrf;

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
    /// RFC 9381 VRF: keygen, prove, verify.
    Vrf(vrf::VrfArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Vrf(args) => vrf::run(args),
    }
}
