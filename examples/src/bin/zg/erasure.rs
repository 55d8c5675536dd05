//! `zg erasure`: erasure-code a file into verifiable shard files, check them, rebuild the file.
//!
//! Layout of an output directory (`OUTDIR`):
//! * `manifest.bin` — the object manifest in its canonical bytes (`zg_erasure::Manifest`);
//! * `shard-00000.bin` … `shard-NNNNN.bin` — shard `j` (five-digit, zero-padded index): data
//!   shards `0..k`, then parity shards `k..k+m`.
//!
//! Everything streams stripe by stripe: memory stays at a few stripes whatever the file size.

use std::fs::{self, File};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use zg_erasure::{Config, DEFAULT_STRIPE_SIZE, Decoder, Encoder, Error, Manifest, ShardVerifier};

/// File name of the manifest inside an output directory.
const MANIFEST_FILE: &str = "manifest.bin";
/// Files at least this large get a progress bar.
const PROGRESS_FROM: u64 = 64 << 20;
/// Total budget for the shard writers' buffers.
const WRITE_BUFFERS: usize = 16 << 20;
/// The largest manifest (65536 shards) is about 2 MiB.
const MAX_MANIFEST: u64 = 4 << 20;

/// Erasure-code files into k data + m parity shards with Merkle commitments, and rebuild them.
///
/// OUTDIR holds `manifest.bin` (the canonical manifest: k, m, sizes, stripe layout, every
/// shard's 0G Merkle root, the file's 0G root, and the manifest root binding them) and one file
/// per shard, `shard-00000.bin` … (data shards first, then parity).
#[derive(Subcommand)]
pub(crate) enum ErasureCmd {
    /// Encode FILE into K data + M parity shard files and a manifest in OUTDIR.
    Encode {
        /// Data shards (k): any k of the k+m shards rebuild the file.
        #[arg(long, short = 'k')]
        data: usize,
        /// Parity shards (m): up to m shards may be lost.
        #[arg(long, short = 'm')]
        parity: usize,
        /// File bytes coded together per stripe (memory use is a few stripes).
        #[arg(long, default_value_t = DEFAULT_STRIPE_SIZE)]
        stripe_size: usize,
        /// The file to encode (not empty).
        file: PathBuf,
        /// Where to write the manifest and shard files (created if missing).
        outdir: PathBuf,
    },
    /// Rebuild the file from whatever shards in OUTDIR are present and valid.
    ///
    /// Reports missing and corrupt shards; fails (non-zero exit) when fewer than k valid shards
    /// remain. OUTFILE is only written once the rebuilt bytes match the manifest's file root.
    Decode {
        /// The directory `zg erasure encode` wrote.
        outdir: PathBuf,
        /// Where to write the rebuilt file.
        outfile: PathBuf,
    },
    /// Check every shard in OUTDIR against the manifest.
    ///
    /// Exits 0 when all shards are present and valid, non-zero otherwise (saying whether the
    /// file can still be rebuilt).
    Verify {
        /// The directory `zg erasure encode` wrote.
        outdir: PathBuf,
    },
}

pub(crate) fn run(cmd: ErasureCmd) -> Result<()> {
    match cmd {
        ErasureCmd::Encode {
            data,
            parity,
            stripe_size,
            file,
            outdir,
        } => encode(data, parity, stripe_size, &file, &outdir),
        ErasureCmd::Decode { outdir, outfile } => decode(&outdir, &outfile),
        ErasureCmd::Verify { outdir } => verify(&outdir),
    }
}

fn shard_path(dir: &Path, index: usize) -> PathBuf {
    dir.join(format!("shard-{index:05}.bin"))
}

fn progress(total: u64, what: &str) -> ProgressBar {
    if total < PROGRESS_FROM {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(
        "{msg} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}

fn encode(k: usize, m: usize, stripe_size: usize, file: &Path, outdir: &Path) -> Result<()> {
    let mut input = File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let size = input
        .metadata()
        .with_context(|| format!("cannot read the size of {}", file.display()))?
        .len();
    if size == 0 {
        bail!("{} is empty: there is nothing to encode", file.display());
    }
    let layout = Config::new(k, m)
        .and_then(|c| c.with_stripe_size(stripe_size))
        .and_then(|c| c.layout(size))
        .context("invalid coding parameters")?;
    fs::create_dir_all(outdir).with_context(|| format!("cannot create {}", outdir.display()))?;
    // A stale manifest must not describe the new shards while they are being written.
    let manifest_path = outdir.join(MANIFEST_FILE);
    if manifest_path.exists() {
        fs::remove_file(&manifest_path)
            .with_context(|| format!("cannot remove old {}", manifest_path.display()))?;
    }
    let n = layout.total_shards();
    let buffer = (WRITE_BUFFERS / n).clamp(4 << 10, 1 << 20);
    let mut writers = (0..n)
        .map(|j| {
            let p = shard_path(outdir, j);
            File::create(&p)
                .map(|f| BufWriter::with_capacity(buffer, f))
                .with_context(|| format!("cannot create {}", p.display()))
        })
        .collect::<Result<Vec<_>>>()?;

    let bar = progress(size, "encoding");
    let mut enc = Encoder::new(layout)?;
    let mut stripe = Vec::with_capacity(layout.stripe_size());
    for s in 0..layout.stripes() {
        let len = layout.stripe_len(s)?;
        stripe.resize(len, 0);
        input
            .read_exact(&mut stripe)
            .with_context(|| format!("cannot read {} (did it change?)", file.display()))?;
        let encoded = enc.encode_stripe(&stripe)?;
        for (j, (w, chunk)) in writers.iter_mut().zip(encoded.shards()).enumerate() {
            w.write_all(chunk)
                .with_context(|| format!("cannot write {}", shard_path(outdir, j).display()))?;
        }
        bar.inc(len as u64);
    }
    for (j, w) in writers.into_iter().enumerate() {
        let f = w
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("cannot write {}", shard_path(outdir, j).display()))?;
        f.sync_all()
            .with_context(|| format!("cannot sync {}", shard_path(outdir, j).display()))?;
    }
    let manifest = enc.finish()?;
    let tmp = outdir.join(format!("{MANIFEST_FILE}.tmp"));
    fs::write(&tmp, manifest.to_bytes())
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    fs::rename(&tmp, &manifest_path)
        .with_context(|| format!("cannot write {}", manifest_path.display()))?;
    bar.finish_and_clear();

    println!("manifest root: {}", manifest.root());
    println!("file root:     {}", manifest.object_root());
    println!(
        "{k} data + {m} parity shards of {} bytes ({} stripes of {} bytes) in {}",
        layout.shard_size(),
        layout.stripes(),
        layout.stripe_size(),
        outdir.display()
    );
    Ok(())
}

fn read_manifest(outdir: &Path) -> Result<Manifest> {
    let path = outdir.join(MANIFEST_FILE);
    let file = File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_MANIFEST)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Manifest::from_bytes(&bytes)
        .with_context(|| format!("{} is not a valid manifest", path.display()))
}

/// What a pass over the shard files found.
struct Survey {
    good: Vec<usize>,
    missing: Vec<usize>,
    corrupt: Vec<(usize, String)>,
}

impl Survey {
    fn describe(&self) -> String {
        let corrupt: Vec<String> = self
            .corrupt
            .iter()
            .map(|(j, why)| format!("{j} ({why})"))
            .collect();
        format!(
            "missing: {}; corrupt: {}",
            list(&self.missing),
            if corrupt.is_empty() {
                "none".to_string()
            } else {
                corrupt.join(", ")
            }
        )
    }
}

fn list(v: &[usize]) -> String {
    if v.is_empty() {
        return "none".to_string();
    }
    v.iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks every shard file against the manifest, streaming.
fn survey(outdir: &Path, manifest: &Manifest) -> Result<Survey> {
    let layout = manifest.layout();
    let n = layout.total_shards();
    let bar = progress(layout.shard_size().saturating_mul(n as u64), "verifying");
    let mut s = Survey {
        good: Vec::new(),
        missing: Vec::new(),
        corrupt: Vec::new(),
    };
    let mut buf = vec![0u8; 1 << 20];
    for j in 0..n {
        let path = shard_path(outdir, j);
        let mut file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                s.missing.push(j);
                continue;
            }
            Err(e) => {
                s.corrupt.push((j, format!("unreadable: {e}")));
                continue;
            }
        };
        let mut v = ShardVerifier::new(manifest, j)?;
        let outcome = loop {
            match file.read(&mut buf) {
                Ok(0) => break v.finish().map_err(|e| describe_shard_error(&e)),
                Ok(got) => {
                    v.update(&buf[..got]);
                    bar.inc(got as u64);
                }
                Err(e) => break Err(format!("unreadable: {e}")),
            }
        };
        match outcome {
            Ok(()) => s.good.push(j),
            Err(why) => s.corrupt.push((j, why)),
        }
    }
    bar.finish_and_clear();
    Ok(s)
}

fn describe_shard_error(e: &Error) -> String {
    match e {
        Error::ShardLength { expected, got, .. } => {
            format!("{got} bytes, expected {expected}")
        }
        Error::CorruptShards { .. } => "Merkle root mismatch".to_string(),
        other => other.to_string(),
    }
}

fn decode(outdir: &Path, outfile: &Path) -> Result<()> {
    let manifest = read_manifest(outdir)?;
    let layout = *manifest.layout();
    let k = layout.data_shards();
    let survey = survey(outdir, &manifest)?;
    if survey.good.len() < k {
        bail!(
            "cannot rebuild: {} valid shards, need {k} ({})",
            survey.good.len(),
            survey.describe()
        );
    }
    // Data shards first: with all of them no reed-solomon decoding is needed.
    let chosen: Vec<usize> = survey.good.iter().copied().take(k).collect();
    let mut files = chosen
        .iter()
        .map(|&j| {
            let p = shard_path(outdir, j);
            File::open(&p).with_context(|| format!("cannot open {}", p.display()))
        })
        .collect::<Result<Vec<_>>>()?;

    let tmp = outfile.with_file_name(format!(
        ".{}.zg-partial",
        outfile
            .file_name()
            .map_or_else(|| "out".into(), |n| n.to_string_lossy())
    ));
    let result = (|| -> Result<()> {
        let mut out = BufWriter::with_capacity(
            1 << 20,
            File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?,
        );
        let bar = progress(layout.object_size(), "decoding");
        let mut dec = Decoder::new(&manifest, &chosen)?;
        let mut bufs = vec![Vec::new(); k];
        for s in 0..layout.stripes() {
            let chunk = layout.stripe_chunk(s)?;
            for ((buf, file), &j) in bufs.iter_mut().zip(&mut files).zip(&chosen) {
                buf.resize(chunk, 0);
                file.read_exact(buf)
                    .with_context(|| format!("cannot read {}", shard_path(outdir, j).display()))?;
            }
            let chunks: Vec<&[u8]> = bufs.iter().map(Vec::as_slice).collect();
            let stripe = dec.decode_stripe(&chunks)?;
            for piece in stripe.pieces() {
                out.write_all(piece)
                    .with_context(|| format!("cannot write {}", tmp.display()))?;
            }
            bar.inc(stripe.len() as u64);
        }
        dec.finish().context(
            "the rebuilt file does not match the manifest (shards changed while decoding?)",
        )?;
        let f = out
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        f.sync_all()
            .with_context(|| format!("cannot sync {}", tmp.display()))?;
        bar.finish_and_clear();
        Ok(())
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    fs::rename(&tmp, outfile).with_context(|| format!("cannot write {}", outfile.display()))?;

    println!(
        "rebuilt {} bytes into {} from shards {}",
        layout.object_size(),
        outfile.display(),
        list(&chosen)
    );
    println!("file root: {} (verified)", manifest.object_root());
    println!("{}", survey.describe());
    Ok(())
}

fn verify(outdir: &Path) -> Result<()> {
    let manifest = read_manifest(outdir)?;
    let layout = manifest.layout();
    let (k, n) = (layout.data_shards(), layout.total_shards());
    let survey = survey(outdir, &manifest)?;
    println!("manifest root: {}", manifest.root());
    println!("{} of {n} shards valid", survey.good.len());
    if survey.good.len() == n {
        return Ok(());
    }
    let verdict = if survey.good.len() >= k {
        format!("the file can still be rebuilt ({k} shards needed)")
    } else {
        format!(
            "the file can NOT be rebuilt: {} valid shards, {k} needed",
            survey.good.len()
        )
    };
    bail!("{}; {verdict}", survey.describe())
}
