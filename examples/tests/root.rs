//! `zg root` end to end: known roots, JSON form, and clear failures.

// In tests a panic is a failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn zg(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_zg"))
        .args(args)
        .output()
        .expect("zg runs")
}

fn temp_file(name: &str, data: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("zg-root-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, data).unwrap();
    path
}

#[test]
fn prints_the_0g_root_on_the_last_line() {
    let path = temp_file("hello.txt", b"Hello, world!");
    for extra in [&[][..], &["--single-thread"][..]] {
        let mut args = vec!["root", path.to_str().unwrap()];
        args.extend_from_slice(extra);
        let out = zg(&args);
        assert!(out.status.success());
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert_eq!(
            stdout.lines().last().unwrap(),
            "0xd0b3962d3bc5b08d61151d5f16c21c7eb4f4690685cdaafe0d01b42c79736eaa"
        );
    }
}

#[test]
fn json_has_size_padding_and_nodes() {
    let path = temp_file("fourteen.bin", &[0x11; 3584]);
    let out = zg(&["root", "--json", path.to_str().unwrap()]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["root"],
        "0x7ba2539ce6ec6e4fea882f667f1d8008cd63f2ac54a25e7595b2476d3b823f05"
    );
    assert_eq!(v["size"], 3584);
    assert_eq!(v["padded_sectors"], 14);
    assert_eq!(v["heights"], serde_json::json!([3, 2, 1]));
    assert_eq!(v["nodes"].as_array().unwrap().len(), 3);
}

#[test]
fn missing_empty_and_directory_inputs_fail_clearly() {
    let empty = temp_file("empty.bin", &[]);
    let out = zg(&["root", empty.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is empty"));

    let out = zg(&["root", "/definitely/not/here"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot open"));

    let out = zg(&["root", std::env::temp_dir().to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("directory"));
}
