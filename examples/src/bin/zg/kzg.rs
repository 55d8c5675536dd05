//! `zg kzg`: EIP-4844 / EIP-7594 KZG commitments and proofs of a blob file, with Ethereum's
//! mainnet trusted setup.

use anyhow::{Context, Result};
use clap::Subcommand;
use std::path::{Path, PathBuf};
use zg_kzg::{Blob, KzgSettings};

/// KZG commitments and proofs (EIP-4844 blobs, EIP-7594 cells) over the mainnet setup.
#[derive(Subcommand)]
pub(crate) enum KzgCommand {
    /// Print the blob's KZG commitment (0x-hex).
    Commit {
        /// Raw blob: 131072 bytes, 4096 big-endian field elements.
        blob: PathBuf,
    },
    /// Print the blob's KZG proof (`compute_blob_kzg_proof`, 0x-hex).
    Prove {
        /// Raw blob: 131072 bytes, 4096 big-endian field elements.
        blob: PathBuf,
    },
    /// Print the 128 cell proofs of the extended blob (EIP-7594), one 0x-hex proof per line.
    Cells {
        /// Raw blob: 131072 bytes, 4096 big-endian field elements.
        blob: PathBuf,
    },
}

fn read_blob(path: &Path) -> Result<Blob> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Blob::from_slice(&bytes).with_context(|| format!("{} is not a blob", path.display()))
}

fn settings() -> Result<KzgSettings> {
    KzgSettings::mainnet().context("loading the mainnet trusted setup")
}

pub(crate) fn run(cmd: KzgCommand) -> Result<()> {
    match cmd {
        KzgCommand::Commit { blob } => {
            let b = read_blob(&blob)?;
            let c = settings()?
                .blob_to_kzg_commitment(&b)
                .with_context(|| format!("{} is not a valid blob", blob.display()))?;
            println!("{}", c.to_hex());
        }
        KzgCommand::Prove { blob } => {
            let b = read_blob(&blob)?;
            let s = settings()?;
            let invalid = || format!("{} is not a valid blob", blob.display());
            let c = s.blob_to_kzg_commitment(&b).with_context(invalid)?;
            let p = s.compute_blob_kzg_proof(&b, &c).with_context(invalid)?;
            println!("{}", p.to_hex());
        }
        KzgCommand::Cells { blob } => {
            let b = read_blob(&blob)?;
            let (_, proofs) = settings()?
                .compute_cells_and_kzg_proofs(&b)
                .with_context(|| format!("{} is not a valid blob", blob.display()))?;
            let mut out = String::with_capacity(proofs.len() * 99);
            for p in proofs.iter() {
                out.push_str(&p.to_hex());
                out.push('\n');
            }
            print!("{out}");
        }
    }
    Ok(())
}
