//! `zg alignment monitor` and `zg alignment report verify`: an alignment committee over
//! zg-testkit's simulated network, and the check of the quorum report it writes.

use std::fs;
use std::path::PathBuf;

use anyhow::{Context, Result, bail, ensure};
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use zg_alignment::QuorumReport;
use zg_alignment::report::verify_quorum;
use zg_bls::Bls;
use zg_testkit::alignment::{NETWORK, Scenario, TAU, committee, epoch_seed, run};

const MONITOR_HELP: &str = "\
Subject i is node i in role storage / DA / validator / serving (i mod 4). F faulty subjects
(round-robin over the roles, at most a third of each) misbehave every epoch: a storage node
serves a flipped byte or nothing, a DA signer does not attest, a validator misses every height
or equivocates, a provider over-charges. Four committee members observe every epoch, write
byte-identical reports and co-sign them.

--report FILE writes the last epoch's quorum report as JSON: {\"seed\", \"epoch\",
\"quorum_hex\"} (the committee's stake table and the epoch seed are derived from the run seed).

The last line is one JSON object: subjects, epochs, faults_injected, faults_caught,
false_alerts, report_root.";

/// The audit lane's subcommands.
#[derive(Subcommand)]
pub(crate) enum AuditCmd {
    /// Run an alignment committee over a simulated network; the last line is a JSON summary.
    #[command(after_long_help = MONITOR_HELP)]
    Monitor(MonitorArgs),
    /// Quorum reports.
    #[command(subcommand)]
    Report(ReportCmd),
}

/// `zg alignment monitor` arguments.
#[derive(Args)]
pub(crate) struct MonitorArgs {
    /// Subjects, all roles together.
    #[arg(long, default_value_t = 40)]
    subjects: u64,
    /// Epochs.
    #[arg(long, default_value_t = 2)]
    epochs: u64,
    /// The run's seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Misbehaving subjects.
    #[arg(long, default_value_t = 0)]
    faults: u64,
    /// Where to write the last epoch's quorum report.
    #[arg(long)]
    report: Option<PathBuf>,
}

/// `zg alignment report` subcommands.
#[derive(Subcommand)]
pub(crate) enum ReportCmd {
    /// Verify a quorum report file written by `monitor --report`; non-zero exit on any
    /// tampering.
    Verify {
        /// The report file.
        report: PathBuf,
    },
}

pub(crate) fn run_cmd(cmd: AuditCmd) -> Result<()> {
    match cmd {
        AuditCmd::Monitor(a) => monitor(&a),
        AuditCmd::Report(ReportCmd::Verify { report }) => verify(&report),
    }
}

fn monitor(a: &MonitorArgs) -> Result<()> {
    ensure!(
        a.subjects >= 4,
        "--subjects must be at least 4 (one per role)"
    );
    ensure!(a.epochs >= 1, "--epochs must be at least 1");
    let s = Scenario {
        subjects: a.subjects,
        epochs: a.epochs,
        seed: a.seed,
        faults: a.faults,
    };
    let o = run(&s);
    let root = o.quorum.report.root();
    if let Some(path) = &a.report {
        let file = json!({
            "seed": a.seed,
            "epoch": o.quorum.report.epoch.0,
            "quorum_hex": hex::encode(o.quorum.to_bytes()),
        });
        fs::write(path, format!("{file}\n"))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    println!(
        "{}",
        json!({
            "subjects": a.subjects,
            "epochs": a.epochs,
            "faults_injected": o.faulty.len(),
            "faults_caught": o.caught,
            "false_alerts": o.false_alerts,
            "alerts": o.quorum.report.alerts.len(),
            "report_root": root.to_hex(),
        })
    );
    Ok(())
}

fn verify(path: &PathBuf) -> Result<()> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let v: Value = serde_json::from_str(&text).context("report file is not JSON")?;
    let (Some(seed), Some(epoch), Some(hex_q)) = (
        v["seed"].as_u64(),
        v["epoch"].as_u64(),
        v["quorum_hex"].as_str(),
    ) else {
        bail!("report file needs seed, epoch and quorum_hex");
    };
    let bytes = hex::decode(hex_q).context("quorum_hex is not hex")?;
    let q = QuorumReport::<Bls>::from_bytes(&bytes).map_err(|e| anyhow::anyhow!("refused: {e}"))?;
    let (_, table) = committee(seed);
    let root = verify_quorum(
        &q,
        &table,
        NETWORK,
        zg_core::Epoch(epoch),
        &epoch_seed(seed, epoch),
        TAU,
    )
    .map_err(|e| anyhow::anyhow!("refused: {e}"))?;
    println!(
        "{}",
        json!({
            "valid": true,
            "epoch": epoch,
            "subjects": q.report.records.len(),
            "alerts": q.report.alerts.len(),
            "signers": q.certificate.signers.count(),
            "report_root": root.to_hex(),
        })
    );
    Ok(())
}
