//! `zg kzg` end to end: known answers for the zero blob, rejection of invalid blobs.

// Test code.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

use std::path::PathBuf;
use std::process::Command;

fn blob_file(name: &str, bytes: &[u8]) -> PathBuf {
    let p = std::env::temp_dir().join(format!("zg-kzg-cli-{}-{name}", std::process::id()));
    std::fs::write(&p, bytes).unwrap();
    p
}

fn zg(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_zg"))
        .args(args)
        .output()
        .unwrap()
}

const INFINITY: &str = "0xc00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";

#[test]
fn zero_blob_commits_and_proves_to_infinity() {
    let f = blob_file("zero", &[0u8; 131072]);
    let path = f.to_str().unwrap();
    for cmd in ["commit", "prove"] {
        let out = zg(&["kzg", cmd, path]);
        assert!(
            out.status.success(),
            "{cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8(out.stdout).unwrap().trim(),
            INFINITY,
            "{cmd}"
        );
    }
    let out = zg(&["kzg", "cells", path]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 128);
    assert!(lines.iter().all(|l| *l == INFINITY));
    std::fs::remove_file(f).unwrap();
}

#[test]
fn nonzero_blob_matches_the_library() {
    let mut bytes = vec![0u8; 131072];
    for (i, chunk) in bytes.chunks_mut(32).enumerate() {
        chunk[31] = (i % 251) as u8;
        chunk[30] = (i / 251) as u8;
    }
    let f = blob_file("ramp", &bytes);
    let out = zg(&["kzg", "commit", f.to_str().unwrap()]);
    assert!(out.status.success());
    let s = zg_kzg::KzgSettings::mainnet().unwrap();
    let c = s
        .blob_to_kzg_commitment(&zg_kzg::Blob::from_slice(&bytes).unwrap())
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), c.to_hex());
    std::fs::remove_file(f).unwrap();
}

#[test]
fn invalid_blobs_exit_non_zero_with_the_reason() {
    let mut bad = vec![0u8; 131072];
    bad[32 * 5..32 * 6].fill(0xff);
    let f = blob_file("noncanonical", &bad);
    for cmd in ["commit", "prove", "cells"] {
        let out = zg(&["kzg", cmd, f.to_str().unwrap()]);
        assert!(!out.status.success(), "{cmd}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("field element 5 is not canonical"),
            "{cmd}: {err}"
        );
    }
    std::fs::remove_file(f).unwrap();

    let f = blob_file("short", &[0u8; 1000]);
    let out = zg(&["kzg", "commit", f.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("expected 131072 bytes, got 1000"), "{err}");
    std::fs::remove_file(f).unwrap();

    let out = zg(&["kzg", "commit", "/nonexistent/blob.bin"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}
