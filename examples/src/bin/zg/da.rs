//! `zg da`: the DA lane's payload format on files — encode a payload into cells, check them,
//! rebuild the payload from whatever valid cells remain, and sample it as a light client.
//!
//! Layout of a directory (`DIR`):
//! * `header.json` — `{"length": …, "payload_id": "0x…", "blobs": [{"commitment": "0x…"}, …],
//!   "file_root": "0x…"}` (hex with `0x`);
//! * `header.bin` — the canonical header bytes (`zg_da::Header::to_bytes`);
//! * `blob-<i>/cell-<j>.bin` — cell `j` of blob `i`: its 2,048 bytes followed by its 48-byte
//!   KZG proof.
//!
//! Nothing read from `DIR` is trusted beyond `header.json`: its payload id is recomputed from
//! the length and commitments, and every cell is checked against the commitments.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use serde_json::{Value, json};
use zg_core::machine::{Input, Machine, Output, Recipient};
use zg_core::{H256, NodeId, Timestamp};
use zg_da::retrieval::Message;
use zg_da::sampler::Verdict;
use zg_da::{
    CELLS_TO_RECOVER, COLUMNS, CellStore, CellWithProof, Header, Sampler, SamplerConfig,
    encode_payload, reconstruct_payload, valid_cells,
};
use zg_kzg::{BYTES_PER_CELL, BYTES_PER_G1, Cell, KzgCommitment, KzgProof, KzgSettings};

/// Bytes of one cell file: the cell, then its proof.
const CELL_FILE_BYTES: usize = BYTES_PER_CELL + BYTES_PER_G1;

/// The DA lane's payload format: blobs, KZG cells, reconstruction and sampling.
///
/// DIR holds `header.json` (length, payload id, one commitment per blob, the payload's 0G file
/// root), `header.bin` (canonical header bytes) and `blob-<i>/cell-<j>.bin` (2,048 cell bytes
/// followed by the 48-byte proof).
#[derive(Subcommand)]
pub(crate) enum DaCmd {
    /// Frame FILE into blobs, commit, and write every cell with its proof into DIR.
    ///
    /// Prints the payload id on the last line.
    Encode {
        /// The payload (1 byte up to 62 MiB).
        file: PathBuf,
        /// Where to write the header and cell files (created if missing).
        dir: PathBuf,
    },
    /// Check every cell present in DIR against the header's commitments.
    ///
    /// Exits non-zero if any present cell is invalid or malformed; reports missing cells and
    /// whether the payload can still be rebuilt.
    Verify {
        /// The directory `zg da encode` wrote.
        dir: PathBuf,
    },
    /// Rebuild the payload from whatever valid cells remain in DIR.
    ///
    /// Fails (non-zero exit, naming the blob and its count) when a blob has fewer than 64
    /// valid cells. OUT is written only once the bytes match the header (commitments, framing
    /// and file root).
    Reconstruct {
        /// The directory `zg da encode` wrote.
        dir: PathBuf,
        /// Where to write the payload.
        out: PathBuf,
    },
    /// Sample DIR as a light client: S distinct random cells per blob, drawn from seed N.
    ///
    /// Prints `available (confidence …)` or `unavailable (…)`; exits non-zero when unavailable.
    Sample {
        /// The directory `zg da encode` wrote.
        dir: PathBuf,
        /// Samples per blob (1..=128).
        #[arg(long = "samples")]
        samples: usize,
        /// Sampling seed (the seed bytes are `u64_be(N)` followed by zeros).
        #[arg(long)]
        seed: u64,
    },
    /// Run the whole lane in the simulator: a sortition committee, a disperser/aggregator,
    /// Byzantine and withholding members, light clients and a reconstructor.
    ///
    /// The last line is a JSON summary with keys `certified`, `certificate_bytes`,
    /// `signed_seat_fraction`, `sampling`, `reconstructed`, `false_available` (and more).
    Simulate {
        /// Nodes in the stake table (sortition picks the committee among them).
        #[arg(long, default_value_t = 16)]
        signers: usize,
        /// Members (fewest seats first) that sign without storing and serve corrupt cells.
        #[arg(long, default_value_t = 0)]
        byzantine: usize,
        /// Members that withhold everything.
        #[arg(long, default_value_t = 0)]
        withholding: usize,
        /// Payload size in bytes.
        #[arg(long = "payload-bytes", default_value_t = 100_000)]
        payload_bytes: usize,
        /// Seed of the run (replays exactly).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Link loss probability (duplication and reordering at half of it).
        #[arg(long, default_value_t = 0.0)]
        loss: f64,
    },
    /// The live 0G DA network's rules (BN254): encode, hash-to-G1, quorums.
    #[command(subcommand)]
    Zerog(crate::da_zerog::ZerogCommand),
}

pub(crate) fn run(cmd: DaCmd) -> Result<()> {
    match cmd {
        DaCmd::Encode { file, dir } => encode(&file, &dir),
        DaCmd::Verify { dir } => verify(&dir),
        DaCmd::Reconstruct { dir, out } => reconstruct(&dir, &out),
        DaCmd::Sample { dir, samples, seed } => sample(&dir, samples, seed),
        DaCmd::Simulate {
            signers,
            byzantine,
            withholding,
            payload_bytes,
            seed,
            loss,
        } => simulate(zg_testkit::da::Scenario {
            signers,
            byzantine,
            withholding,
            payload_bytes,
            seed,
            loss,
            ..zg_testkit::da::Scenario::default()
        }),
        DaCmd::Zerog(c) => crate::da_zerog::run(c),
    }
}

fn kzg() -> Result<KzgSettings> {
    KzgSettings::mainnet().context("cannot load the KZG trusted setup")
}

fn cell_path(dir: &Path, blob: usize, index: usize) -> PathBuf {
    dir.join(format!("blob-{blob}"))
        .join(format!("cell-{index}.bin"))
}

fn encode(file: &Path, dir: &Path) -> Result<()> {
    let bytes = fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    if bytes.is_empty() {
        bail!("{} is empty: there is nothing to encode", file.display());
    }
    let kzg = kzg()?;
    let enc = encode_payload(&kzg, &bytes).context("cannot encode the payload")?;
    let h = enc.header();
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (i, blob) in enc.blobs().iter().enumerate() {
        let bdir = dir.join(format!("blob-{i}"));
        fs::create_dir_all(&bdir).with_context(|| format!("cannot create {}", bdir.display()))?;
        for j in 0..COLUMNS {
            let mut data = Vec::with_capacity(CELL_FILE_BYTES);
            data.extend_from_slice(blob.cells[j].as_bytes());
            data.extend_from_slice(blob.proofs[j].as_bytes());
            let p = cell_path(dir, i, j);
            fs::write(&p, data).with_context(|| format!("cannot write {}", p.display()))?;
        }
    }
    let header_json = json!({
        "length": h.length(),
        "payload_id": h.payload_id().to_hex(),
        "blobs": h.commitments().iter().map(|c| json!({"commitment": c.to_hex()})).collect::<Vec<_>>(),
        "file_root": h.file_root().to_hex(),
    });
    fs::write(dir.join("header.bin"), h.to_bytes()).context("cannot write header.bin")?;
    fs::write(
        dir.join("header.json"),
        serde_json::to_string_pretty(&header_json)? + "\n",
    )
    .context("cannot write header.json")?;
    println!(
        "{} bytes -> {} blob(s) x {} cells in {}",
        h.length(),
        h.blobs(),
        COLUMNS,
        dir.display()
    );
    println!("{}", h.payload_id().to_hex());
    Ok(())
}

fn hex48(v: &Value, what: &str) -> Result<[u8; 48]> {
    let s = v
        .as_str()
        .with_context(|| format!("header.json: {what} is not a string"))?;
    let digits = s
        .strip_prefix("0x")
        .with_context(|| format!("header.json: {what} lacks the 0x prefix"))?;
    let mut out = [0u8; 48];
    hex::decode_to_slice(digits, &mut out)
        .with_context(|| format!("header.json: {what} is not 48 bytes of hex"))?;
    Ok(out)
}

/// Reads `header.json` strictly: the payload id must be the one its length and commitments
/// give, and every commitment a valid G1 point.
fn read_header(dir: &Path) -> Result<Header> {
    let path = dir.join("header.json");
    let text =
        fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let v: Value = serde_json::from_str(&text).context("header.json is not JSON")?;
    let length = v["length"]
        .as_u64()
        .context("header.json: length is not an unsigned integer")?;
    let blobs = v["blobs"]
        .as_array()
        .context("header.json: blobs is not a list")?;
    let commitments = blobs
        .iter()
        .enumerate()
        .map(|(i, b)| hex48(&b["commitment"], &format!("blobs[{i}].commitment")).map(KzgCommitment))
        .collect::<Result<Vec<_>>>()?;
    let id = H256::from_hex(
        v["payload_id"]
            .as_str()
            .context("header.json: payload_id is not a string")?,
    )
    .context("header.json: payload_id is not 32 bytes of hex")?;
    let file_root = match v.get("file_root") {
        Some(r) => H256::from_hex(
            r.as_str()
                .context("header.json: file_root is not a string")?,
        )
        .context("header.json: file_root is not 32 bytes of hex")?,
        None => bail!("header.json: no file_root"),
    };
    let header =
        Header::new(length, commitments, file_root).context("header.json is inconsistent")?;
    // The strict decoder checks the commitments' points and the id.
    let mut bytes = header.to_bytes();
    let n = bytes.len();
    bytes[n - 64..n - 32].copy_from_slice(id.as_bytes());
    Header::from_bytes(&bytes).context("header.json does not hold a valid header")
}

/// Every cell file present: (cell, parse error). Missing files are skipped.
fn read_cells(dir: &Path, header: &Header) -> (Vec<CellWithProof>, Vec<(usize, usize, String)>) {
    let mut cells = Vec::new();
    let mut malformed = Vec::new();
    for b in 0..header.blobs() {
        for j in 0..COLUMNS {
            let Ok(data) = fs::read(cell_path(dir, b, j)) else {
                continue;
            };
            if data.len() != CELL_FILE_BYTES {
                malformed.push((
                    b,
                    j,
                    format!("{} bytes, expected {CELL_FILE_BYTES}", data.len()),
                ));
                continue;
            }
            let (cell, proof) = data.split_at(BYTES_PER_CELL);
            match (Cell::from_slice(cell), KzgProof::from_slice(proof)) {
                (Ok(cell), Ok(proof)) => cells.push(CellWithProof {
                    blob: u32::try_from(b).unwrap_or(u32::MAX),
                    index: u16::try_from(j).unwrap_or(u16::MAX),
                    cell: Arc::new(cell),
                    proof,
                }),
                _ => malformed.push((b, j, "unreadable".into())),
            }
        }
    }
    (cells, malformed)
}

/// Valid cells per blob, and the invalid ones.
fn check_cells(
    kzg: &KzgSettings,
    header: &Header,
    cells: &[CellWithProof],
) -> (Vec<usize>, Vec<(u32, u16)>, Vec<CellWithProof>) {
    let verdicts = valid_cells(kzg, header, cells);
    let mut per_blob = vec![0usize; header.blobs()];
    let mut bad = Vec::new();
    let mut good = Vec::new();
    for (c, ok) in cells.iter().zip(verdicts) {
        if ok {
            per_blob[c.blob as usize] += 1;
            good.push(c.clone());
        } else {
            bad.push((c.blob, c.index));
        }
    }
    (per_blob, bad, good)
}

fn verify(dir: &Path) -> Result<()> {
    let header = read_header(dir)?;
    let kzg = kzg()?;
    let (cells, malformed) = read_cells(dir, &header);
    let (per_blob, bad, _) = check_cells(&kzg, &header, &cells);
    for (b, j, why) in &malformed {
        println!("blob {b} cell {j}: malformed ({why})");
    }
    for (b, j) in &bad {
        println!("blob {b} cell {j}: INVALID (proof does not verify)");
    }
    let total = header.blobs() * COLUMNS;
    let present = cells.len() + malformed.len();
    println!(
        "{} cells: {} present, {} valid, {} invalid, {} missing",
        total,
        present,
        per_blob.iter().sum::<usize>(),
        bad.len() + malformed.len(),
        total - present
    );
    let short: Vec<String> = per_blob
        .iter()
        .enumerate()
        .filter(|(_, n)| **n < CELLS_TO_RECOVER)
        .map(|(b, n)| format!("blob {b} ({n} valid)"))
        .collect();
    if short.is_empty() {
        println!("recoverable: every blob has at least {CELLS_TO_RECOVER} valid cells");
    } else {
        println!("NOT recoverable: {}", short.join(", "));
    }
    if !bad.is_empty() || !malformed.is_empty() {
        bail!("{} invalid cell(s)", bad.len() + malformed.len());
    }
    println!("ok: {} payload {}", dir.display(), header.payload_id());
    Ok(())
}

fn reconstruct(dir: &Path, out: &Path) -> Result<()> {
    let header = read_header(dir)?;
    let kzg = kzg()?;
    let (cells, malformed) = read_cells(dir, &header);
    let (per_blob, bad, good) = check_cells(&kzg, &header, &cells);
    if !bad.is_empty() || !malformed.is_empty() {
        eprintln!("ignoring {} invalid cell(s)", bad.len() + malformed.len());
    }
    if let Some((b, n)) = per_blob
        .iter()
        .enumerate()
        .find(|(_, n)| **n < CELLS_TO_RECOVER)
    {
        bail!("blob {b} has {n} valid cells; reconstruction needs {CELLS_TO_RECOVER}");
    }
    let bytes = reconstruct_payload(&kzg, &header, &good)
        .context("the valid cells do not rebuild the header's payload")?;
    let tmp = out.with_extension("zg-da-partial");
    fs::write(&tmp, &bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    fs::rename(&tmp, out).with_context(|| format!("cannot write {}", out.display()))?;
    println!(
        "rebuilt {} bytes into {} (payload {})",
        bytes.len(),
        out.display(),
        header.payload_id()
    );
    Ok(())
}

fn sample(dir: &Path, samples: usize, seed: u64) -> Result<()> {
    let header = read_header(dir)?;
    let kzg = Arc::new(kzg()?);
    let (cells, _) = read_cells(dir, &header);
    // The directory is one holder; the sampler verifies everything it serves.
    let mut store = CellStore::new();
    store.insert(header.payload_id(), cells);
    let holder = NodeId(1);
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_be_bytes());
    let config = SamplerConfig {
        header: header.clone(),
        seed: seed_bytes,
        samples_per_blob: samples,
        holders: vec![vec![holder]; COLUMNS],
        request_timeout_ms: 1_000,
        deadline: Timestamp::from_secs(10),
    };
    let mut sampler =
        Sampler::new(kzg, Timestamp::ZERO, config).context("invalid sampling parameters")?;
    let now = Timestamp(1);
    let mut bad = 0usize;
    while let Some(output) = sampler.poll_output() {
        match output {
            Output::Send {
                to: Recipient::One(peer),
                message: Message::Get { payload, cells },
            } => {
                for answer in store.answer(payload, &cells).unwrap_or_default() {
                    // Rejections (e.g. after a verdict) change nothing.
                    let _ = sampler.handle(
                        now,
                        Input::Message {
                            from: peer,
                            message: answer,
                        },
                    );
                }
            }
            Output::Event(zg_da::sampler::Event::BadHolder { cell, .. }) => {
                bad += 1;
                println!("blob {} cell {}: invalid", cell.blob, cell.index);
            }
            _ => {}
        }
    }
    match sampler.verdict() {
        Some(Verdict::Available { confidence }) => {
            println!(
                "available (confidence {confidence:.12}: {} samples per blob over {} blob(s))",
                samples,
                header.blobs()
            );
            Ok(())
        }
        Some(Verdict::Unavailable { missing }) => {
            let list: Vec<String> = missing
                .iter()
                .take(16)
                .map(|c| format!("{}/{}", c.blob, c.index))
                .collect();
            println!(
                "unavailable ({} of {} samples missing{}: {}{})",
                missing.len(),
                sampler.samples(),
                if bad > 0 { " or invalid" } else { "" },
                list.join(" "),
                if missing.len() > 16 { " …" } else { "" }
            );
            bail!("payload {} is unavailable", header.payload_id())
        }
        None => bail!("sampling did not finish"),
    }
}

fn simulate(scenario: zg_testkit::da::Scenario) -> Result<()> {
    if !(0.0..1.0).contains(&scenario.loss) {
        bail!("--loss must be in [0, 1)");
    }
    let kzg = Arc::new(kzg()?);
    let r = zg_testkit::da::run(&kzg, &scenario).context("the scenario cannot run")?;
    println!(
        "committee: {} members, {} seats; byzantine {}, withholding {}",
        r.members, r.seats, scenario.byzantine, scenario.withholding
    );
    match r.certificate_hash {
        Some(h) => println!(
            "certified: {:.3} of seats signed, certificate {} bytes, hash {h}",
            r.signed_seat_fraction, r.certificate_bytes
        ),
        None => println!("no certificate"),
    }
    println!(
        "sampling: {} available, {} unavailable (payload truly {}; bound on a false Available {:.2e})",
        r.sampling_available,
        r.sampling_unavailable,
        if r.truly_available {
            "available"
        } else {
            "unavailable"
        },
        r.false_available_bound
    );
    println!(
        "reconstructed: {}; bad holders reported: {}",
        r.reconstructed, r.bad_holders_reported
    );
    let sampling = match (r.sampling_available, r.sampling_unavailable) {
        (_, 0) => "available",
        (0, _) => "unavailable",
        _ => "mixed",
    };
    let summary = json!({
        "certified": r.certified,
        "certificate_bytes": r.certificate_bytes,
        "signed_seat_fraction": r.signed_seat_fraction,
        "sampling": sampling,
        "sampling_available": r.sampling_available,
        "sampling_unavailable": r.sampling_unavailable,
        "truly_available": r.truly_available,
        "reconstructed": r.reconstructed,
        "false_available": r.false_available,
        "false_available_bound": r.false_available_bound,
        "bad_holders_reported": r.bad_holders_reported,
        "honest_reported": r.honest_reported,
        "members": r.members,
        "seats": r.seats,
        "seed": scenario.seed,
    });
    println!("{summary}");
    if r.false_available > 0 || r.honest_reported {
        bail!("the lane missed a fault");
    }
    Ok(())
}
