//! `zg pora`: 0G sealing, one PoRA mining iteration, and answer verification (zg-pora).

use std::fs;
use std::path::PathBuf;

use anyhow::{Context, Result, bail, ensure};
use clap::{Args, Subcommand};
use zg_core::H256;
use zg_core::tree::SEAL_SIZE;
use zg_pora::pora::LOAD_SIZE;
use zg_pora::{
    Answer, ChainView, EpochRange, MineContext, Policy, RecallRange, Scratchpad, U256,
    verify_answer,
};

/// Sealing, mining and verification, byte-compatible with the 0G storage network.
#[derive(Subcommand)]
pub(crate) enum PoraCommand {
    /// Seal one 4 KiB seal to a miner; prints the sealed bytes as hex.
    Seal(SealArgs),
    /// Run one mining iteration over a sealed load; the last line is the best seal.
    Mine(MineArgs),
    /// Verify a mining answer as the 0G mining contract does.
    Verify(VerifyArgs),
}

#[derive(Args)]
pub(crate) struct SealArgs {
    /// The miner id (32 bytes of hex).
    #[arg(long, value_parser = parse_h256)]
    miner_id: H256,
    /// The sealing context digest (32 bytes of hex).
    #[arg(long, value_parser = parse_h256)]
    context: H256,
    /// The seal's first sector in the flow (seal index × 16).
    #[arg(long, value_parser = parse_u64)]
    start_sector: u64,
    /// The 4096 bytes to seal.
    file: PathBuf,
}

#[derive(Args)]
pub(crate) struct MineArgs {
    /// The miner id (32 bytes of hex).
    #[arg(long, value_parser = parse_h256)]
    miner_id: H256,
    /// The nonce (32 bytes of hex).
    #[arg(long, value_parser = parse_h256)]
    nonce: H256,
    /// The subtask digest (32 bytes of hex).
    #[arg(long, value_parser = parse_h256)]
    subtask: H256,
    /// The recall range: start,length,shard_id,shard_mask (decimal or 0x hex).
    #[arg(long, value_parser = parse_range)]
    range: RecallRange,
    /// The sealed load the iteration recalls: up to 64 sealed seals of 4096 bytes, in order.
    #[arg(long)]
    sealed: PathBuf,
}

#[derive(Args)]
pub(crate) struct VerifyArgs {
    /// The answer: JSON (zg-pora's `Answer`), or hex of its ABI encoding or `submit` calldata.
    answer: PathBuf,
    /// The flow root of the mining context.
    #[arg(long, value_parser = parse_h256)]
    flow_root: H256,
    /// The flow length (sectors) of the mining context.
    #[arg(long, value_parser = parse_u64)]
    flow_length: u64,
    /// The miner's subtask digest.
    #[arg(long, value_parser = parse_h256)]
    subtask: H256,
    /// The context's block digest; when given, the context digest is recomputed and checked.
    #[arg(long, value_parser = parse_h256)]
    block_digest: Option<H256>,
    /// The PoRA target (32 bytes of hex); default: every quality passes.
    #[arg(long, value_parser = parse_h256)]
    target: Option<H256>,
    /// The sealed context's sector range start,end; default: the whole flow.
    #[arg(long, value_parser = parse_pair)]
    sealed_range: Option<(u64, u64)>,
    /// maxShards.
    #[arg(long, default_value_t = 256)]
    max_shards: u64,
    /// Also require the seal offset to lie inside the recalled load.
    #[arg(long)]
    strict: bool,
}

pub(crate) fn run(command: PoraCommand) -> Result<()> {
    match command {
        PoraCommand::Seal(a) => seal(a),
        PoraCommand::Mine(a) => mine(a),
        PoraCommand::Verify(a) => verify(a),
    }
}

fn seal(a: SealArgs) -> Result<()> {
    let bytes = fs::read(&a.file).with_context(|| format!("reading {}", a.file.display()))?;
    let mut data: [u8; SEAL_SIZE] = bytes.as_slice().try_into().map_err(|_| {
        anyhow::anyhow!(
            "{} holds {} bytes; a seal is exactly 4096",
            a.file.display(),
            bytes.len()
        )
    })?;
    zg_pora::seal(&mut data, &a.miner_id, &a.context, a.start_sector);
    println!("{}", hex::encode(data));
    Ok(())
}

fn mine(a: MineArgs) -> Result<()> {
    let bytes = fs::read(&a.sealed).with_context(|| format!("reading {}", a.sealed.display()))?;
    ensure!(
        !bytes.is_empty() && bytes.len() % SEAL_SIZE == 0 && bytes.len() <= LOAD_SIZE,
        "{} holds {} bytes; a sealed load is 1 to 64 seals of 4096 bytes",
        a.sealed.display(),
        bytes.len()
    );
    let seed = zg_pora::pad_seed(&a.miner_id, &a.nonce, &a.subtask, &a.range.digest());
    let pad = Scratchpad::new(seed);
    println!("pad_seed {}", pad.pad_seed);
    println!("recall_seed {}", pad.recall_seed);
    let load_position = a
        .range
        .recall_chunk(&pad.recall_seed)
        .map_err(|e| anyhow::anyhow!("the range selects no load: {e}"))?;
    println!("load_position {load_position}");
    let mut best: Option<(u64, H256)> = None;
    for (offset, sealed) in (0u64..).zip(bytes.as_chunks::<SEAL_SIZE>().0) {
        let quality = pad.quality(offset, sealed);
        if best.is_none_or(|(_, q)| quality < q) {
            best = Some((offset, quality));
        }
    }
    let (offset, quality) = best.context("no seal in the load")?;
    let position = zg_pora::pora::recall_position(load_position, offset)
        .context("recall position overflows")?;
    println!("best seal_offset {offset} recall_position {position} quality {quality}");
    Ok(())
}

fn read_answer(path: &PathBuf) -> Result<Answer> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let text = text.trim();
    if text.starts_with('{') {
        return serde_json::from_str(text)
            .with_context(|| format!("{} is not an answer", path.display()));
    }
    let bytes = hex::decode(text.strip_prefix("0x").unwrap_or(text))
        .with_context(|| format!("{} is neither JSON nor hex", path.display()))?;
    Answer::abi_decode(&bytes)
        .or_else(|_| Answer::from_submit_calldata(&bytes))
        .with_context(|| format!("{} is not an ABI-encoded answer", path.display()))
}

fn verify(a: VerifyArgs) -> Result<()> {
    let answer = read_answer(&a.answer)?;
    let context = match a.block_digest {
        Some(block) => MineContext::new(0, 0, a.flow_root, a.flow_length, block),
        None => MineContext {
            flow_root: a.flow_root,
            flow_length: a.flow_length,
            digest: answer.context_digest,
            ..MineContext::default()
        },
    };
    let (start, end) = a.sealed_range.unwrap_or((0, a.flow_length));
    let view = ChainView {
        max_shards: a.max_shards,
        policy: if a.strict {
            Policy::STRICT
        } else {
            Policy::CONTRACT
        },
        ..ChainView::new(
            context,
            a.subtask,
            a.target.map_or(U256::MAX, |t| U256::from_be_bytes(t.0)),
            Some(EpochRange { start, end }),
        )
    };
    match verify_answer(&answer, &view) {
        Ok(v) => {
            println!(
                "valid quality {} load_position {} pricing_index {}",
                v.output, v.load_position, v.pricing_index
            );
            Ok(())
        }
        Err(e) => bail!("invalid answer: {e}"),
    }
}

fn parse_h256(s: &str) -> Result<H256, String> {
    H256::from_hex(s).map_err(|_| format!("expected 32 bytes of hex, got {s:?}"))
}

fn parse_u64(s: &str) -> Result<u64, String> {
    let s = s.trim();
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16),
        None => s.parse(),
    }
    .map_err(|_| format!("expected a 64-bit number, got {s:?}"))
}

fn parse_range(s: &str) -> Result<RecallRange, String> {
    let parts: Vec<u64> = s.split(',').map(parse_u64).collect::<Result<_, _>>()?;
    match parts[..] {
        [start_position, mine_length, shard_id, shard_mask] => Ok(RecallRange {
            start_position,
            mine_length,
            shard_id,
            shard_mask,
        }),
        _ => Err(format!(
            "expected start,length,shard_id,shard_mask, got {s:?}"
        )),
    }
}

fn parse_pair(s: &str) -> Result<(u64, u64), String> {
    match s.split_once(',') {
        Some((a, b)) => Ok((parse_u64(a)?, parse_u64(b)?)),
        None => Err(format!("expected start,end, got {s:?}")),
    }
}
