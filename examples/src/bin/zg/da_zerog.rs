//! `zg da zerog`: the live 0G DA network's encoding, hash-to-G1 and quorum formation.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Subcommand;
use serde_json::Value;
use zg_da::zerog::{
    Dims, QuorumParams, Registration, Setup, commitment, encode, form_quorums, g1_to_bytes,
    map_to_g1,
};

/// Subcommands of `zg da zerog`.
#[derive(Subcommand)]
pub(crate) enum ZerogCommand {
    /// Encode a file as one 0G DA blob (1024 × 1024, extended to 3072 rows); the data root is on
    /// the last line.
    Encode {
        /// The payload (at most 32,505,852 bytes).
        file: PathBuf,
        /// Write the 3072 encoded rows (32 KiB each) as `row-NNNN.bin` into this directory.
        #[arg(long)]
        rows: Option<PathBuf>,
        /// Also print the erasure commitment, from this powers-of-tau file (0g-da-encoder's
        /// `amt::PowerTau` layout; only its first 8 + 32·2^20 bytes are read).
        #[arg(long)]
        setup: Option<PathBuf>,
    },
    /// Map a 32-byte hex digest to G1 as the chain's `MapToG1`; prints `0x<X><Y>`.
    HashToG1 {
        /// 32 bytes as hex (`0x` optional).
        digest: String,
    },
    /// Form an epoch's quorums from a JSON registration set (see the format); prints
    /// `{"quorums": [[account of row 0, …], …]}` on the last line.
    Quorums {
        /// `{"tokens_per_vote", "max_votes_per_signer", "max_quorums", "encoded_slices",
        /// "registrations": [{"account", "bonded", "signature"}]}`.
        file: PathBuf,
    },
}

pub(crate) fn run(cmd: ZerogCommand) -> anyhow::Result<()> {
    match cmd {
        ZerogCommand::Encode { file, rows, setup } => {
            run_encode(&file, rows.as_deref(), setup.as_deref())
        }
        ZerogCommand::HashToG1 { digest } => {
            let bytes =
                hex::decode(digest.trim().trim_start_matches("0x")).context("digest is not hex")?;
            let digest: [u8; 32] = bytes
                .try_into()
                .map_err(|_| anyhow::anyhow!("digest must be 32 bytes"))?;
            let p = map_to_g1(&digest)?;
            println!("0x{}", hex::encode(g1_to_bytes(&p)));
            Ok(())
        }
        ZerogCommand::Quorums { file } => run_quorums(&file),
    }
}

fn run_encode(
    file: &std::path::Path,
    rows: Option<&std::path::Path>,
    setup: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let payload = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let dims = Dims::LIVE;
    let blob = encode(&payload, dims)?;
    if let Some(dir) = rows {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        for i in 0..dims.encoded_rows() {
            let path = dir.join(format!("row-{i:04}.bin"));
            std::fs::write(&path, blob.row_bytes(i)?)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        println!(
            "rows: {} x {} bytes in {}",
            dims.encoded_rows(),
            dims.row_bytes(),
            dir.display()
        );
    }
    let root = blob.data_root()?;
    println!("payload: {} bytes", payload.len());
    if let Some(path) = setup {
        use std::io::Read;
        let mut prefix = Vec::new();
        std::fs::File::open(path)
            .with_context(|| format!("cannot open {}", path.display()))?
            .take(Setup::prefix_len(dims) as u64)
            .read_to_end(&mut prefix)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let setup = Setup::from_power_tau_prefix(&prefix, dims)?;
        let c = commitment(&blob, &setup)?;
        println!("commitment: 0x{}", hex::encode(g1_to_bytes(&c)));
    }
    println!("{root}");
    Ok(())
}

fn json_u64(v: &Value, key: &str) -> anyhow::Result<u64> {
    match &v[key] {
        Value::Number(n) => n.as_u64().with_context(|| format!("{key} is not a u64")),
        Value::String(s) => s.parse().with_context(|| format!("{key} is not a u64")),
        _ => bail!("missing {key}"),
    }
}

fn run_quorums(file: &std::path::Path) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let v: Value = serde_json::from_str(&text).context("registrations file is not JSON")?;
    let params = QuorumParams {
        tokens_per_vote: json_u64(&v, "tokens_per_vote")?,
        max_votes_per_signer: json_u64(&v, "max_votes_per_signer")?,
        max_quorums: json_u64(&v, "max_quorums")?,
        encoded_slices: json_u64(&v, "encoded_slices")?,
    };
    let list = v["registrations"]
        .as_array()
        .context("missing registrations")?;
    let mut regs = Vec::with_capacity(list.len());
    let mut names = Vec::with_capacity(list.len());
    for r in list {
        let account_str = r["account"].as_str().context("account is not a string")?;
        // The chain skips a registration whose account does not decode (`AccAddressFromHexUnsafe`).
        let Ok(account) = hex::decode(account_str.trim_start_matches("0x"))
            .map_err(|_| ())
            .and_then(|b| <[u8; 20]>::try_from(b).map_err(|_| ()))
        else {
            eprintln!("skipping registration with invalid account {account_str}");
            continue;
        };
        let bonded = match &r["bonded"] {
            Value::String(s) => s.parse::<u128>().context("bonded is not a decimal")?,
            Value::Number(n) => u128::from(n.as_u64().context("bonded is not an integer")?),
            _ => bail!("missing bonded"),
        };
        let sig_str = r["signature"]
            .as_str()
            .context("signature is not a string")?;
        let signature =
            hex::decode(sig_str.trim_start_matches("0x")).context("signature is not hex")?;
        regs.push(Registration {
            account,
            bonded,
            signature,
        });
        names.push((account, account_str.to_string()));
    }
    let quorums = form_quorums(&params, &regs)?;
    let name = |a: &[u8; 20]| {
        names
            .iter()
            .find(|(x, _)| x == a)
            .map_or_else(|| format!("0x{}", hex::encode(a)), |(_, s)| s.clone())
    };
    let out: Vec<Vec<String>> = quorums
        .iter()
        .map(|q| q.iter().map(name).collect())
        .collect();
    println!("quorums: {}", out.len());
    println!("{}", serde_json::json!({ "quorums": out }));
    Ok(())
}
