//! `zg`: the command-line tool over the zg crates.
//!
//! Each area's subcommand lives in its own module (`root.rs`, `vrf.rs`, …); this file only parses
//! arguments and dispatches.

use clap::{Parser, Subcommand};

mod alignment;
mod consensus;
mod da;
mod da_zerog;
mod erasure;
mod kzg;
mod pora;
mod root;
mod serving;
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
    /// Print the 0G storage file root of a file (`0x…` on the last line).
    Root(root::RootArgs),
    /// RFC 9381 VRF: keygen, prove, verify.
    Vrf(vrf::VrfArgs),
    /// 0G serving: settlement digests, signatures, recovery.
    #[command(subcommand)]
    Serving(serving::ServingCmd),
    /// 0G sealing, PoRA mining and answer verification.
    #[command(subcommand)]
    Pora(pora::PoraCommand),
    /// KZG commitments and proofs (EIP-4844 blobs, EIP-7594 cells).
    #[command(subcommand)]
    Kzg(kzg::KzgCommand),
    /// Erasure-code files into verifiable shards (k data + m parity), check and rebuild them.
    #[command(subcommand)]
    Erasure(erasure::ErasureCmd),
    /// Tendermint-style BFT partitions in the simulator.
    #[command(subcommand)]
    Consensus(consensus::ConsensusCommand),
    /// The DA lane: payloads to KZG cells, verification, reconstruction, sampling.
    #[command(subcommand)]
    Da(da::DaCmd),
    /// The alignment network: node sale, licences and rewards; drift reports, TOPLOC proofs.
    #[command(subcommand)]
    Alignment(alignment::AlignmentCmd),
}

fn main() -> std::process::ExitCode {
    let result = match Cli::parse().command {
        Command::Alignment(c) => match alignment::run(c) {
            Ok(code) => return code,
            Err(e) => Err(e),
        },
        Command::Root(args) => root::run(args),
        Command::Vrf(args) => vrf::run(args),
        Command::Serving(cmd) => serving::run(cmd),
        Command::Pora(c) => pora::run(c),
        Command::Kzg(cmd) => kzg::run(cmd),
        Command::Erasure(cmd) => erasure::run(cmd),
        Command::Consensus(c) => consensus::run_command(c),
        Command::Da(cmd) => da::run(cmd),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("zg: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
