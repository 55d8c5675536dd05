//! `zg consensus simulate`: the last line is a JSON summary with the required keys, runs replay
//! by seed, and bad arguments fail with a message.

// In tests a panic is a failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn simulate(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_zg"))
        .args(["consensus", "simulate"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn summary(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout.lines().last().unwrap()).unwrap()
}

#[test]
fn json_summary_and_replay() {
    let args = [
        "--validators",
        "7",
        "--byzantine",
        "2",
        "--partitions",
        "3",
        "--heights",
        "4",
        "--seed",
        "9",
        "--loss",
        "0.05",
        "--partition-at",
        "300ms",
        "--heal-at",
        "2s",
    ];
    let (ok, out, err) = simulate(&args);
    assert!(ok, "{err}");
    let s = summary(&out);
    for key in ["decisions", "safety_violations", "max_round", "trace_hash"] {
        assert!(s.get(key).is_some(), "missing {key}: {s}");
    }
    assert!(s["decisions"].as_u64().unwrap() >= 12);
    assert_eq!(s["safety_violations"], 0);
    assert_eq!(s["completed"], true);
    let (_, again, _) = simulate(&args);
    assert_eq!(summary(&again)["trace_hash"], s["trace_hash"]);
}

#[test]
fn bls_run_is_the_default() {
    let (ok, out, err) = simulate(&["--validators", "4", "--heights", "2"]);
    assert!(ok, "{err}");
    let s = summary(&out);
    assert_eq!(s["scheme"], "bls12-381");
    assert!(s["decisions"].as_u64().unwrap() >= 2);
}

#[test]
fn bad_arguments_fail_clearly() {
    let (ok, _, err) = simulate(&["--validators", "4", "--byzantine", "5"]);
    assert!(!ok);
    assert!(err.contains("--byzantine"), "{err}");
    let (ok, _, err) = simulate(&["--behaviour", "sneaky"]);
    assert!(!ok);
    assert!(err.contains("unknown --behaviour"), "{err}");
    let (ok, _, err) = simulate(&["--partition-at", "1s"]);
    assert!(!ok);
    assert!(err.contains("--heal-at"), "{err}");
}
