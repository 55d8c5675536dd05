//! `zg serving`: EIP-712 settlement digests, signing and recovery for 0G serving.

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use zg_core::{Amount, H256};
use zg_serving::eip712::{Domain, SignatureScheme, TeeSettlement};
use zg_serving::eth::{Address, EthSignature, RecoverRule, SecretKey, U256, recover};

/// Serving settlement signatures (0G-FORMATS §7).
#[derive(Subcommand)]
pub(crate) enum ServingCmd {
    /// Print the digest a TEE signer signs for one settlement item.
    Eip712Digest(SettlementArgs),
    /// Sign a 32-byte digest (or a settlement's digest) with a hex secp256k1 key.
    Sign {
        /// The secret key, 64 hex digits.
        #[arg(long)]
        key: String,
        /// The digest to sign (0x-hex); omit to give settlement fields instead.
        #[arg(long)]
        digest: Option<String>,
        /// Settlement fields, used when --digest is absent.
        #[command(flatten)]
        settlement: OptionalSettlement,
    },
    /// Recover the signer address of a 65-byte signature over a digest.
    Recover {
        /// The digest (0x-hex).
        #[arg(long)]
        digest: String,
        /// The signature r ‖ s ‖ v (0x-hex, 65 bytes).
        #[arg(long)]
        signature: String,
        /// Use raw ecrecover (earlier contracts: v of 0/1 allowed, high-s accepted) instead of
        /// OpenZeppelin's rule (v 27/28, low-s).
        #[arg(long)]
        legacy: bool,
    },
}

/// The fields of a `TEESettlement`.
#[derive(Args)]
pub(crate) struct SettlementArgs {
    /// Chain id (decimal or 0x-hex).
    #[arg(long)]
    chain_id: String,
    /// The serving contract (verifyingContract).
    #[arg(long)]
    contract: String,
    /// requestsHash (0x-hex, 32 bytes).
    #[arg(long)]
    requests_hash: String,
    /// Nonce (decimal or 0x-hex, up to 2^256-1).
    #[arg(long)]
    nonce: String,
    /// Provider address.
    #[arg(long)]
    provider: String,
    /// User address.
    #[arg(long)]
    user: String,
    /// Total fee in the token's smallest unit (decimal).
    #[arg(long)]
    total_fee: String,
    /// `eip712` (contract v1.0) or `eip191` (earlier personal-sign form).
    #[arg(long, default_value = "eip712")]
    scheme: String,
}

/// Settlement fields, all optional (for `sign`).
#[derive(Args)]
pub(crate) struct OptionalSettlement {
    #[arg(long)]
    chain_id: Option<String>,
    #[arg(long)]
    contract: Option<String>,
    #[arg(long)]
    requests_hash: Option<String>,
    #[arg(long)]
    nonce: Option<String>,
    #[arg(long)]
    provider: Option<String>,
    #[arg(long)]
    user: Option<String>,
    #[arg(long)]
    total_fee: Option<String>,
    #[arg(long, default_value = "eip712")]
    scheme: String,
}

fn settlement_digest(a: &SettlementArgs) -> Result<H256> {
    let domain = Domain::new(
        U256::from_dec_or_hex(&a.chain_id).context("--chain-id")?,
        Address::from_hex(&a.contract).context("--contract")?,
    );
    let message = TeeSettlement {
        requests_hash: H256::from_hex(&a.requests_hash).context("--requests-hash")?,
        nonce: U256::from_dec_or_hex(&a.nonce).context("--nonce")?,
        provider: Address::from_hex(&a.provider).context("--provider")?,
        user: Address::from_hex(&a.user).context("--user")?,
        total_fee: Amount::new(
            a.total_fee
                .parse::<u128>()
                .context("--total-fee must be a decimal below 2^128")?,
        ),
    };
    let scheme = match a.scheme.as_str() {
        "eip712" => SignatureScheme::Eip712,
        "eip191" => SignatureScheme::Eip191,
        other => bail!("--scheme must be eip712 or eip191, not {other}"),
    };
    Ok(message.digest(scheme, &domain))
}

/// Runs a `zg serving` subcommand.
pub(crate) fn run(cmd: ServingCmd) -> Result<()> {
    match cmd {
        ServingCmd::Eip712Digest(a) => println!("{}", settlement_digest(&a)?),
        ServingCmd::Sign {
            key,
            digest,
            settlement,
        } => {
            let key = SecretKey::from_hex(&key).context("--key")?;
            let digest = match digest {
                Some(d) => H256::from_hex(&d).context("--digest")?,
                None => {
                    let s = settlement;
                    let need = |v: Option<String>, name: &str| {
                        v.with_context(|| format!("--{name} (or --digest) is required"))
                    };
                    settlement_digest(&SettlementArgs {
                        chain_id: need(s.chain_id, "chain-id")?,
                        contract: need(s.contract, "contract")?,
                        requests_hash: need(s.requests_hash, "requests-hash")?,
                        nonce: need(s.nonce, "nonce")?,
                        provider: need(s.provider, "provider")?,
                        user: need(s.user, "user")?,
                        total_fee: need(s.total_fee, "total-fee")?,
                        scheme: s.scheme,
                    })?
                }
            };
            let signature = key.sign_prehash(&digest)?;
            println!("{}", signature.to_hex());
            eprintln!("signer {}", key.address());
        }
        ServingCmd::Recover {
            digest,
            signature,
            legacy,
        } => {
            let digest = H256::from_hex(&digest).context("--digest")?;
            let signature = EthSignature::from_hex(&signature).context("--signature")?;
            let rule = if legacy {
                RecoverRule::LegacyEcrecover
            } else {
                RecoverRule::OpenZeppelin
            };
            let Some(address) = recover(&digest, &signature.0, rule) else {
                bail!("the signature does not recover under this rule");
            };
            println!("{address}");
        }
    }
    Ok(())
}
