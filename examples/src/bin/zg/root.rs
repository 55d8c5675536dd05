//! `zg root`: the 0G file root of a file, streamed.

use std::fs::File;
use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use zg_core::tree::FileRootBuilder;

/// Arguments of `zg root`.
#[derive(Args)]
pub(crate) struct RootArgs {
    /// The file to hash (streamed: it may be larger than memory).
    file: PathBuf,
    /// Print root, size, padded sector count and submission nodes as JSON.
    #[arg(long)]
    json: bool,
    /// Hash on one thread instead of the rayon pool.
    #[arg(long)]
    single_thread: bool,
}

/// Files at least this large get a progress bar when stderr is a terminal.
const PROGRESS_MIN_BYTES: u64 = 64 << 20;
const READ_BUF: usize = 8 << 20;

pub(crate) fn run(args: RootArgs) -> anyhow::Result<()> {
    let path = &args.file;
    let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let meta = file
        .metadata()
        .with_context(|| format!("cannot read metadata of {}", path.display()))?;
    if meta.is_dir() {
        bail!("{} is a directory, not a file", path.display());
    }
    let progress = progress_bar(meta.len());
    let mut builder = if args.single_thread {
        FileRootBuilder::new()
    } else {
        FileRootBuilder::parallel()
    };
    let mut buf = vec![0u8; READ_BUF];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        builder.update(&buf[..n]);
        if let Some(p) = &progress {
            p.inc(n as u64);
        }
    }
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    if builder.size() == 0 {
        bail!(
            "{} is empty: 0G has no root for an empty file",
            path.display()
        );
    }
    let submission = builder
        .finalize()
        .with_context(|| format!("cannot compute the root of {}", path.display()))?;
    let root = submission.root();
    if args.json {
        let nodes: Vec<_> = submission
            .nodes
            .iter()
            .map(|n| serde_json::json!({ "height": n.height, "root": n.root.to_hex() }))
            .collect();
        let out = serde_json::json!({
            "root": root.to_hex(),
            "size": submission.size,
            "sectors": submission.sectors(),
            "padded_sectors": submission.padded_sectors(),
            "heights": submission.heights(),
            "nodes": nodes,
        });
        println!("{out}");
    } else {
        println!("{root}");
    }
    Ok(())
}

fn progress_bar(len: u64) -> Option<ProgressBar> {
    if len < PROGRESS_MIN_BYTES || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} hashing [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    Some(bar)
}
