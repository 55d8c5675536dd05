//! `zg vrf`: RFC 9381 example 17 through the binary, and failures exit non-zero.

// The helper runs the binary; failing to start it is a failed test.
#![allow(clippy::expect_used)]

use std::process::Command;

const SK: &str = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
const PK: &str = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
const PI: &str = "f3141cd382dc42909d19ec5110469e4feae18300e94f304590abdced48aed5933bf0864a62558b3ed7f2fea45c92a465301b3bbf5e3e54ddf2d935be3b67926da3ef39226bbc355bdc9850112c8f4b02";
const BETA: &str = "eb4440665d3891d668e7e0fcaf587f1b4bd7fbfe99d0eb2211ccec90496310eb5e33821bc613efb94db5e5b54c70a848a0bef4553a41befc57663b56373a5031";

fn zg(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_zg"))
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .output()
        .expect("run zg");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn prove_prints_pi_then_beta() {
    let (ok, out, _) = zg(&["vrf", "prove", "--sk", SK, "--alpha", "72"]);
    assert!(ok);
    assert_eq!(out, format!("{PI}\n{BETA}\n"));
}

#[test]
fn verify_prints_beta_or_fails_with_a_reason() {
    let (ok, out, _) = zg(&["vrf", "verify", "--pk", PK, "--pi", PI, "--alpha", "72"]);
    assert!(ok);
    assert_eq!(out, format!("{BETA}\n"));
    let (ok, out, err) = zg(&["vrf", "verify", "--pk", PK, "--pi", PI, "--alpha", "73"]);
    assert!(!ok);
    assert!(out.is_empty());
    assert!(err.contains("invalid proof"), "{err}");
    let (ok, _, err) = zg(&["vrf", "verify", "--pk", "00", "--pi", PI, "--alpha", ""]);
    assert!(!ok);
    assert!(err.contains("--pk must be 32 bytes"), "{err}");
    let (ok, _, err) = zg(&["vrf", "verify", "--pk", PK, "--pi", "zz", "--alpha", ""]);
    assert!(!ok);
    assert!(err.contains("not valid hex"), "{err}");
}

#[test]
fn keygen_prints_a_usable_key_pair() {
    let (ok, out, _) = zg(&["vrf", "keygen"]);
    assert!(ok);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2);
    let (ok, derived, _) = zg(&["vrf", "keygen", "--sk", lines[0]]);
    assert!(ok);
    assert_eq!(derived, out);
    let (ok, proved, _) = zg(&["vrf", "prove", "--sk", lines[0], "--alpha", "00ff"]);
    assert!(ok);
    let p: Vec<&str> = proved.lines().collect();
    let (ok, beta, _) = zg(&[
        "vrf", "verify", "--pk", lines[1], "--pi", p[0], "--alpha", "00ff",
    ]);
    assert!(ok);
    assert_eq!(beta.trim(), p[1]);
    let (_, again, _) = zg(&["vrf", "keygen"]);
    assert_ne!(again, out, "fresh keys differ");
}
