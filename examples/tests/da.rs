//! `zg da encode|verify|reconstruct|sample` end to end: the file layout of issue 12 item 10,
//! lost and corrupt cells, and clear failures that never write wrong bytes.

// In tests a panic is a failure report, and casts work on small test sizes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

use std::ffi::OsStr;
use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output};

fn zg<S: AsRef<OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zg"))
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zg-da-cli-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn encode_verify_lose_corrupt_reconstruct_sample() {
    let dir = scratch("roundtrip");
    let input = dir.join("in.bin");
    // Two blobs: 126,976 − 8 + 1 bytes.
    let data: Vec<u8> = (0..126_969u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    fs::write(&input, &data).unwrap();
    let out = dir.join("cells");
    let o = zg(&[
        OsStr::new("da"),
        OsStr::new("encode"),
        input.as_os_str(),
        out.as_os_str(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let id = stdout.lines().last().unwrap().to_string();
    // header.json: the keys of the issue, all hex with 0x.
    let h: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("header.json")).unwrap()).unwrap();
    assert_eq!(h["length"], 126_969);
    assert_eq!(h["payload_id"], id.as_str());
    assert!(id.starts_with("0x") && id.len() == 66);
    let blobs = h["blobs"].as_array().unwrap();
    assert_eq!(blobs.len(), 2);
    assert!(blobs[0]["commitment"].as_str().unwrap().starts_with("0x"));
    // One file per cell: 2,048 bytes and the 48-byte proof.
    assert_eq!(
        fs::read(out.join("blob-1").join("cell-127.bin"))
            .unwrap()
            .len(),
        2096
    );
    let o = zg(&[OsStr::new("da"), OsStr::new("verify"), out.as_os_str()]);
    assert!(o.status.success(), "{}", text(&o));

    // Lose 60 cells of blob 0 and corrupt 4 more: 64 valid remain.
    for j in 0..60 {
        fs::remove_file(out.join("blob-0").join(format!("cell-{j}.bin"))).unwrap();
    }
    for j in 60..64 {
        let p = out.join("blob-0").join(format!("cell-{j}.bin"));
        let mut b = fs::read(&p).unwrap();
        b[100] ^= 1;
        fs::write(&p, b).unwrap();
    }
    let o = zg(&[OsStr::new("da"), OsStr::new("verify"), out.as_os_str()]);
    assert!(
        !o.status.success(),
        "corrupt cells must fail verify: {}",
        text(&o)
    );
    assert!(text(&o).contains("blob 0 cell 60: INVALID"), "{}", text(&o));
    let back = dir.join("back.bin");
    let o = zg(&[
        OsStr::new("da"),
        OsStr::new("reconstruct"),
        out.as_os_str(),
        back.as_os_str(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(fs::read(&back).unwrap(), data);

    // Sampling the upper half of blob 0 and all of blob 1 with a seed whose samples avoid
    // the lost cells is available; with many samples the lost cells are hit: unavailable.
    let o = zg(&[
        OsStr::new("da"),
        OsStr::new("sample"),
        out.as_os_str(),
        OsStr::new("--samples"),
        OsStr::new("100"),
        OsStr::new("--seed"),
        OsStr::new("7"),
    ]);
    assert!(!o.status.success());
    assert!(text(&o).contains("unavailable"), "{}", text(&o));

    // One more lost cell: 63 valid in blob 0. Reconstruct fails naming the blob and count,
    // and writes nothing.
    fs::remove_file(out.join("blob-0").join("cell-64.bin")).unwrap();
    let back2 = dir.join("back2.bin");
    let o = zg(&[
        OsStr::new("da"),
        OsStr::new("reconstruct"),
        out.as_os_str(),
        back2.as_os_str(),
    ]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("blob 0 has 63 valid cells"),
        "{}",
        text(&o)
    );
    assert!(!back2.exists());
}

#[test]
fn sample_a_complete_payload_is_available() {
    let dir = scratch("sample");
    let input = dir.join("in.bin");
    fs::write(&input, b"x").unwrap();
    let out = dir.join("cells");
    assert!(
        zg(&[
            OsStr::new("da"),
            OsStr::new("encode"),
            input.as_os_str(),
            out.as_os_str()
        ])
        .status
        .success()
    );
    let o = zg(&[
        OsStr::new("da"),
        OsStr::new("sample"),
        out.as_os_str(),
        OsStr::new("--samples"),
        OsStr::new("16"),
        OsStr::new("--seed"),
        OsStr::new("1"),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("available (confidence 0.999996"),
        "{}",
        text(&o)
    );
    // A header whose payload id was edited is refused.
    let hp = out.join("header.json");
    let h = fs::read_to_string(&hp).unwrap();
    let id = serde_json::from_str::<serde_json::Value>(&h).unwrap()["payload_id"]
        .as_str()
        .unwrap()
        .to_string();
    let forged = h.replace(&id, &format!("0x{}", "ab".repeat(32)));
    fs::write(&hp, forged).unwrap();
    let o = zg(&[OsStr::new("da"), OsStr::new("verify"), out.as_os_str()]);
    assert!(!o.status.success());
    assert!(text(&o).contains("payload id"), "{}", text(&o));
}

#[test]
fn simulate_ends_with_the_json_summary() {
    let o = zg(&[
        "da",
        "simulate",
        "--signers",
        "12",
        "--byzantine",
        "1",
        "--withholding",
        "1",
        "--payload-bytes",
        "5000",
        "--seed",
        "3",
        "--loss",
        "0.05",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let last: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    for key in [
        "certified",
        "certificate_bytes",
        "signed_seat_fraction",
        "sampling",
        "reconstructed",
        "false_available",
    ] {
        assert!(last.get(key).is_some(), "missing {key}: {stdout}");
    }
    assert_eq!(last["certified"], true, "{stdout}");
    assert_eq!(last["reconstructed"], true, "{stdout}");
    assert_eq!(last["false_available"], 0, "{stdout}");
    // A withholding majority: no certificate.
    let o = zg(&[
        "da",
        "simulate",
        "--signers",
        "12",
        "--withholding",
        "10",
        "--payload-bytes",
        "5000",
        "--seed",
        "4",
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    let last: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["certified"], false, "{stdout}");
    assert_eq!(last["false_available"], 0, "{stdout}");
}
