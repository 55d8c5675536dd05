//! `zg alignment monitor` and `zg alignment report verify` end to end: every injected fault
//! caught, none raised on honest runs, the report file verifies and any tampering is refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use serde_json::Value;

fn zg(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_zg"))
        .args(args)
        .output()
        .expect("run zg");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn last_json(stdout: &str) -> Value {
    serde_json::from_str(stdout.lines().last().expect("a last line")).expect("last line is JSON")
}

#[test]
fn monitor_catches_every_fault_and_the_report_verifies_until_tampered() {
    let dir = std::env::temp_dir().join(format!("zg-alignment-audit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("q.json");
    let f = file.to_str().unwrap();
    let (ok, out, err) = zg(&[
        "alignment",
        "monitor",
        "--subjects",
        "40",
        "--epochs",
        "2",
        "--seed",
        "5",
        "--faults",
        "8",
        "--report",
        f,
    ]);
    assert!(ok, "{err}");
    let s = last_json(&out);
    assert_eq!(s["subjects"], 40);
    assert_eq!(s["epochs"], 2);
    assert_eq!(s["faults_injected"], 8);
    assert_eq!(s["faults_caught"], 8);
    assert_eq!(s["false_alerts"], 0);
    let root = s["report_root"].as_str().unwrap().to_string();

    let (ok, out, err) = zg(&["alignment", "report", "verify", f]);
    assert!(ok, "{err}");
    assert_eq!(last_json(&out)["report_root"], root.as_str());

    // Tampering: a count inside the report, the signature, or the seed it claims.
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let hex_q = v["quorum_hex"].as_str().unwrap();
    for at in [2 * (9 + 59 + 20), hex_q.len() - 10] {
        let mut t: Vec<u8> = hex_q.as_bytes().to_vec();
        t[at] = if t[at] == b'0' { b'1' } else { b'0' };
        let mut w = v.clone();
        w["quorum_hex"] = Value::String(String::from_utf8(t).unwrap());
        let bad = dir.join("bad.json");
        std::fs::write(&bad, w.to_string()).unwrap();
        let (ok, _, _) = zg(&["alignment", "report", "verify", bad.to_str().unwrap()]);
        assert!(!ok, "tampered hex digit {at} accepted");
    }
    let mut w = v.clone();
    w["seed"] = Value::from(6);
    let bad = dir.join("bad-seed.json");
    std::fs::write(&bad, w.to_string()).unwrap();
    assert!(!zg(&["alignment", "report", "verify", bad.to_str().unwrap()]).0);

    // Honest runs over several seeds: nothing raised.
    for seed in ["1", "2", "3"] {
        let (ok, out, err) = zg(&[
            "alignment",
            "monitor",
            "--subjects",
            "24",
            "--epochs",
            "2",
            "--seed",
            seed,
        ]);
        assert!(ok, "{err}");
        let s = last_json(&out);
        assert_eq!(
            (s["faults_caught"].as_u64(), s["false_alerts"].as_u64()),
            (Some(0), Some(0)),
            "seed {seed}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}
