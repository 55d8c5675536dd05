//! `zg vrf`: RFC 9381 ECVRF-EDWARDS25519-SHA512-TAI from the command line.

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use zg_vrf::{PROOF_LEN, PUBLIC_KEY_LEN, SECRET_KEY_LEN, SecretKey, ecvrf_verify};

/// ECVRF-EDWARDS25519-SHA512-TAI (RFC 9381, suite 0x03).
#[derive(Args)]
pub(crate) struct VrfArgs {
    #[command(subcommand)]
    command: VrfCommand,
}

#[derive(Subcommand)]
enum VrfCommand {
    /// Prints a new secret key and its public key, hex, one per line (or derives the public
    /// key of a given secret key).
    Keygen {
        /// Derive from this 32-byte secret key (hex) instead of a fresh random one.
        #[arg(long, value_name = "HEX32")]
        sk: Option<String>,
    },
    /// Proves `alpha` under a secret key; prints pi (80 bytes) and beta (64 bytes), hex, one
    /// per line.
    Prove {
        /// The 32-byte secret key (RFC 8032 seed), hex.
        #[arg(long, value_name = "HEX32")]
        sk: String,
        /// The VRF input, hex (may be empty).
        #[arg(long, value_name = "HEX")]
        alpha: String,
    },
    /// Verifies pi for alpha under a public key; prints beta, or exits non-zero with the reason.
    Verify {
        /// The 32-byte public key, hex.
        #[arg(long, value_name = "HEX32")]
        pk: String,
        /// The 80-byte proof, hex.
        #[arg(long, value_name = "HEX80")]
        pi: String,
        /// The VRF input, hex (may be empty).
        #[arg(long, value_name = "HEX")]
        alpha: String,
    },
}

fn hex_arg(name: &str, s: &str) -> Result<Vec<u8>> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    hex::decode(s).with_context(|| format!("--{name} is not valid hex"))
}

fn hex_fixed<const N: usize>(name: &str, s: &str) -> Result<[u8; N]> {
    let v = hex_arg(name, s)?;
    let got = v.len();
    v.try_into().map_err(|_| {
        anyhow::anyhow!(
            "--{name} must be {N} bytes ({} hex digits), got {got} bytes",
            2 * N
        )
    })
}

pub(crate) fn run(args: VrfArgs) -> Result<()> {
    match args.command {
        VrfCommand::Keygen { sk } => {
            let sk = match sk {
                Some(s) => SecretKey::from_bytes(&hex_fixed::<SECRET_KEY_LEN>("sk", &s)?),
                None => SecretKey::generate(&mut rand::rng()),
            };
            println!("{}", hex::encode(sk.as_bytes()));
            println!("{}", hex::encode(sk.public_key().as_bytes()));
        }
        VrfCommand::Prove { sk, alpha } => {
            let sk = SecretKey::from_bytes(&hex_fixed::<SECRET_KEY_LEN>("sk", &sk)?);
            let alpha = hex_arg("alpha", &alpha)?;
            let proof = sk.prove(&alpha).context("proving failed")?;
            println!("{}", hex::encode(proof.as_bytes()));
            println!("{}", hex::encode(proof.proof_to_hash()));
        }
        VrfCommand::Verify { pk, pi, alpha } => {
            let pk = hex_fixed::<PUBLIC_KEY_LEN>("pk", &pk)?;
            let pi = hex_fixed::<PROOF_LEN>("pi", &pi)?;
            let alpha = hex_arg("alpha", &alpha)?;
            match ecvrf_verify(&pk, &pi, &alpha) {
                Ok(beta) => println!("{}", hex::encode(beta)),
                Err(e) => bail!("verification failed: {e}"),
            }
        }
    }
    Ok(())
}
