//! `zg erasure encode|verify|decode` end to end: lost and corrupt shards, and a clear failure
//! when too few remain.

// In tests a panic is a failure report, and casts work on small test sizes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn zg(args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zg"))
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zg-erasure-cli-{}-{name}", std::process::id()));
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
fn encode_lose_corrupt_decode_and_fail_clearly() {
    let dir = scratch("roundtrip");
    let input = dir.join("in.bin");
    let data: Vec<u8> = (0..700_001u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    fs::write(&input, &data).unwrap();
    let out = dir.join("shards");
    let p = |s: &str| PathBuf::from(s);

    let o = zg(&[
        &p("erasure"),
        &p("encode"),
        &p("-k"),
        &p("4"),
        &p("-m"),
        &p("3"),
        &p("--stripe-size"),
        &p("65536"),
        &input,
        &out,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("manifest root: 0x"));
    assert!(out.join("manifest.bin").exists());
    for j in 0..7 {
        assert!(out.join(format!("shard-{j:05}.bin")).exists());
    }
    let o = zg(&[&p("erasure"), &p("verify"), &out]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("7 of 7 shards valid"));

    // Lose two shards, flip a byte in a third: still rebuildable, verify says so and fails.
    fs::remove_file(out.join("shard-00000.bin")).unwrap();
    fs::remove_file(out.join("shard-00005.bin")).unwrap();
    let victim = out.join("shard-00002.bin");
    let mut bytes = fs::read(&victim).unwrap();
    bytes[1234] ^= 0x10;
    fs::write(&victim, &bytes).unwrap();
    let o = zg(&[&p("erasure"), &p("verify"), &out]);
    assert!(!o.status.success());
    let t = text(&o);
    assert!(
        t.contains("missing: 0, 5")
            && t.contains("corrupt: 2")
            && t.contains("can still be rebuilt"),
        "{t}"
    );

    let back = dir.join("back.bin");
    let o = zg(&[&p("erasure"), &p("decode"), &out, &back]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("missing: 0, 5; corrupt: 2 (Merkle root mismatch)"),
        "{}",
        text(&o)
    );
    assert_eq!(fs::read(&back).unwrap(), data);

    // One more loss leaves 3 of the 4 needed: a clear error, a non-zero exit, no output file.
    fs::remove_file(out.join("shard-00001.bin")).unwrap();
    let back2 = dir.join("back2.bin");
    let o = zg(&[&p("erasure"), &p("decode"), &out, &back2]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("cannot rebuild: 3 valid shards, need 4"),
        "{}",
        text(&o)
    );
    assert!(!back2.exists());

    // A damaged manifest is refused.
    let m = out.join("manifest.bin");
    let mut mb = fs::read(&m).unwrap();
    mb[30] ^= 1;
    fs::write(&m, &mb).unwrap();
    let o = zg(&[&p("erasure"), &p("verify"), &out]);
    assert!(!o.status.success());
    assert!(text(&o).contains("not a valid manifest"), "{}", text(&o));

    // Empty input and bad parameters are refused.
    let empty = dir.join("empty.bin");
    fs::write(&empty, b"").unwrap();
    let o = zg(&[
        &p("erasure"),
        &p("encode"),
        &p("-k"),
        &p("2"),
        &p("-m"),
        &p("1"),
        &empty,
        &dir.join("e"),
    ]);
    assert!(!o.status.success() && text(&o).contains("empty"));
    let o = zg(&[
        &p("erasure"),
        &p("encode"),
        &p("-k"),
        &p("0"),
        &p("-m"),
        &p("1"),
        &input,
        &dir.join("e"),
    ]);
    assert!(!o.status.success() && text(&o).contains("invalid coding parameters"));
    fs::remove_dir_all(&dir).unwrap();
}
