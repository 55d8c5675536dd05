//! The devnet's quick run end to end: every lane catches every injected fault, the report is
//! written, and the same seed gives the same results.

// In tests a panic is a failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn run(out: &std::path::Path, seed: &str) -> serde_json::Value {
    let status = Command::new(env!("CARGO_BIN_EXE_devnet"))
        .args(["--quick", "--seed", seed, "--out"])
        .arg(out)
        .output()
        .expect("devnet runs");
    assert!(
        status.status.success(),
        "devnet failed:\n{}",
        String::from_utf8_lossy(&status.stdout)
    );
    let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
    assert!(out.join("report.md").exists());
    serde_json::from_str(&summary).unwrap()
}

#[test]
fn quick_devnet_catches_every_fault_and_replays() {
    let dir = std::env::temp_dir().join(format!("zg-devnet-test-{}", std::process::id()));
    let a = run(&dir.join("a"), "7");
    assert_eq!(a["passed"], true);
    let lanes = a["lanes"].as_array().unwrap();
    assert_eq!(
        lanes.len(),
        5,
        "storage, consensus, serving, committee, alignment"
    );
    for lane in lanes {
        assert!(!lane["checks"].as_array().unwrap().is_empty(), "{lane}");
    }
    assert!(dir.join("a").join("storage-mining.svg").exists());
    assert!(dir.join("a").join("serving-paid.svg").exists());
    // Same seed, same facts and checks (wall times aside).
    let b = run(&dir.join("b"), "7");
    let strip = |v: &serde_json::Value| {
        v["lanes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| (l["facts"].clone(), l["checks"].clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&a), strip(&b));
    std::fs::remove_dir_all(&dir).ok();
}
