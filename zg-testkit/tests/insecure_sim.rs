//! The `insecure-sim` binary (feature `insecure-test-scheme`): a JSON summary on its last line,
//! safety under a Byzantine minority, exact replay from a seed, and refused bad arguments.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn sim(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_insecure-sim"))
        .args(args)
        .output()
        .expect("insecure-sim runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn simulates_with_the_insecure_scheme_and_replays() {
    let args = [
        "--validators",
        "7",
        "--byzantine",
        "2",
        "--behaviour",
        "mixed",
        "--partitions",
        "3",
        "--heights",
        "4",
        "--seed",
        "9",
        "--loss",
        "0.05",
    ];
    let (ok, out, err) = sim(&args);
    assert!(ok, "{err}");
    let last = out.lines().last().unwrap();
    assert!(last.contains("\"safety_violations\":0"), "{last}");
    assert!(last.contains("\"completed\":true"), "{last}");
    assert!(
        last.contains("\"scheme\":\"insecure-test-scheme\""),
        "{last}"
    );
    let (_, again, _) = sim(&args);
    assert_eq!(again.lines().last(), Some(last), "same seed, same run");
    let (ok, _, err) = sim(&["--behaviour", "sneaky"]);
    assert!(!ok && err.contains("behaviour"), "{err}");
    let (ok, _, err) = sim(&["--validators"]);
    assert!(!ok && err.contains("needs a value"), "{err}");
}
