//! `zg da zerog` end to end: hash-to-G1 against an independent re-computation, quorums against
//! the library, encode's last line and rows, clear failures.

// In tests a panic is a failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn zg(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_zg"))
        .args(args)
        .output()
        .expect("zg runs")
}

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("zg-da-zerog-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn last_line(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_string()
}

#[test]
fn hash_to_g1_prints_x_and_y() {
    // stdlib-only Python try-and-increment of this digest (see zg-da's zerog_signers tests)
    let out = zg(&[
        "da",
        "zerog",
        "hash-to-g1",
        "0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    ]);
    assert_eq!(
        last_line(&out),
        "0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f1cf5c0d2729b6a6b6abe5f1dcfacee0267114714eb9ad38dd651b37d5c287e99"
    );
    assert!(
        !zg(&["da", "zerog", "hash-to-g1", "0x0102"])
            .status
            .success()
    );
    assert!(!zg(&["da", "zerog", "hash-to-g1", "xyz"]).status.success());
}

#[test]
fn quorums_from_registrations_json() {
    let dir = temp_dir();
    let path = dir.join("regs.json");
    std::fs::write(
        &path,
        r#"{"tokens_per_vote": 10, "max_votes_per_signer": 1024, "max_quorums": 10, "encoded_slices": 4,
            "registrations": [
              {"account": "0x0101010101010101010101010101010101010101", "bonded": "20500000000000000000", "signature": "0x01"},
              {"account": "0x0202020202020202020202020202020202020202", "bonded": "39000000000000000000", "signature": "0x02"}
            ]}"#,
    )
    .unwrap();
    let out = zg(&["da", "zerog", "quorums", path.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&last_line(&out)).unwrap();
    let got: Vec<Vec<String>> = serde_json::from_value(v["quorums"].clone()).unwrap();
    let regs = [
        zg_da::zerog::Registration {
            account: [1; 20],
            bonded: 20_500_000_000_000_000_000,
            signature: vec![1],
        },
        zg_da::zerog::Registration {
            account: [2; 20],
            bonded: 39_000_000_000_000_000_000,
            signature: vec![2],
        },
    ];
    let params = zg_da::zerog::QuorumParams {
        encoded_slices: 4,
        ..Default::default()
    };
    let want: Vec<Vec<String>> = zg_da::zerog::form_quorums(&params, &regs)
        .unwrap()
        .iter()
        .map(|q| q.iter().map(|a| format!("0x{}", hex::encode(a))).collect())
        .collect();
    assert_eq!(got, want);
    assert_eq!(got.len(), 2); // 5 ballots: one full quorum and the overlapping last 4
    std::fs::write(&path, "{}").unwrap();
    assert!(
        !zg(&["da", "zerog", "quorums", path.to_str().unwrap()])
            .status
            .success()
    );
}

#[test]
fn encode_prints_the_data_root_last_and_writes_rows() {
    let dir = temp_dir();
    let path = dir.join("payload.bin");
    std::fs::write(&path, b"0G DA payload").unwrap();
    let rows = dir.join("rows");
    let out = zg(&[
        "da",
        "zerog",
        "encode",
        path.to_str().unwrap(),
        "--rows",
        rows.to_str().unwrap(),
    ]);
    let root = last_line(&out);
    let blob = zg_da::zerog::encode(b"0G DA payload", zg_da::zerog::Dims::LIVE).unwrap();
    let tree = zg_da::zerog::DataTree::new(&blob).unwrap();
    assert_eq!(root, tree.root().to_string());
    let row = std::fs::read(rows.join("row-2000.bin")).unwrap();
    assert_eq!(row, blob.row_bytes(2000).unwrap());
    assert_eq!(std::fs::read_dir(&rows).unwrap().count(), 3072);
    let big = dir.join("big.bin");
    std::fs::write(&big, vec![0u8; 32_505_853]).unwrap();
    assert!(
        !zg(&["da", "zerog", "encode", big.to_str().unwrap()])
            .status
            .success()
    );
}
