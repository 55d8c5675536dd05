//! `zg pora`: the CLI on the derived vectors of 0G-FORMATS §4–5 and on an answer built here.

// In tests a panic is a failure report, and casts work on small test sizes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

use std::path::PathBuf;
use std::process::Command;

use zg_core::{H256, keccak256};
use zg_pora::{MiningParams, RecallRange, SealedFlow, ShardConfig, U256};

const MINER: &str = "0x003d82782c78262bada18a22f5f982d2b43934d5541e236ca3781ddc8c911cb8";

fn zg(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_zg"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn temp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zg-pora-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn vector_plain() -> Vec<u8> {
    (0..4096).map(|i| i as u8).collect()
}

fn vector_sealed() -> Vec<u8> {
    let context = keccak256(b"44").to_string();
    let file = temp("plain.bin", &vector_plain());
    let (ok, out, err) = zg(&[
        "pora",
        "seal",
        "--miner-id",
        MINER,
        "--context",
        &context,
        "--start-sector",
        "176",
        file.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    hex::decode(out.trim()).unwrap()
}

#[test]
fn seal_prints_the_vector() {
    let sealed = vector_sealed();
    assert_eq!(
        keccak256(&sealed).to_string(),
        "0x9709038f1caa4f4e0cd98f0c579558722b7969e31af0744bbe8a704cc390bf40"
    );
    // A file that is not one seal is refused with a message.
    let short = temp("short.bin", &[0u8; 100]);
    let (ok, _, err) = zg(&[
        "pora",
        "seal",
        "--miner-id",
        MINER,
        "--context",
        MINER,
        "--start-sector",
        "0",
        short.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(err.contains("4096"), "{err}");
}

#[test]
fn mine_prints_seeds_load_and_best_seal() {
    // A load of twelve seals whose seal 11 is the sealed vector.
    let sealed = vector_sealed();
    let mut load = Vec::new();
    for i in 0..11u8 {
        load.extend(std::iter::repeat_n(i, 4096));
    }
    load.extend(&sealed);
    let file = temp("load.bin", &load);
    let nonce = keccak256(b"nonce").to_string();
    let subtask = keccak256(b"subtask").to_string();
    let (ok, out, err) = zg(&[
        "pora",
        "mine",
        "--miner-id",
        MINER,
        "--nonce",
        &nonce,
        "--subtask",
        &subtask,
        "--range",
        "0,16384,0,0xffffffffffffffff",
        "--sealed",
        file.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "pad_seed 0x3276d3ac10af61409388506f9ca6dd67f34528edade9db30352c0b6ed5f93254162df2aa416d2a424d60ca0664117dfc5985108bbf768d414a11c62042cf9bcc"
    );
    assert_eq!(
        lines[1],
        "recall_seed 0x84ba3523e3e03f707f72c91e78846ec1e1f6e518b0f6180fb4ca991682ee9a36"
    );
    assert_eq!(lines[2], "load_position 6144");
    // The best of the twelve, computed with the library.
    let range = RecallRange {
        start_position: 0,
        mine_length: 16384,
        shard_id: 0,
        shard_mask: u64::MAX,
    };
    let pad = zg_pora::Scratchpad::new(zg_pora::pad_seed(
        &H256::from_hex(MINER).unwrap(),
        &keccak256(b"nonce"),
        &keccak256(b"subtask"),
        &range.digest(),
    ));
    let qualities: Vec<H256> = (0..12u64)
        .map(|i| pad.quality(i, load[i as usize * 4096..][..4096].try_into().unwrap()))
        .collect();
    assert_eq!(
        qualities[11].to_string(),
        "0x26c142c293bbf504d980197e707de6c9e671dc63d1286bf7178eca8344b37bf4"
    );
    let (best, q) = qualities
        .iter()
        .enumerate()
        .min_by_key(|(_, q)| **q)
        .unwrap();
    assert_eq!(
        *lines.last().unwrap(),
        format!(
            "best seal_offset {best} recall_position {} quality {q}",
            6144 + best * 16
        )
    );
}

#[test]
fn verify_accepts_an_honest_answer_and_rejects_a_tampered_one() {
    // A flow of 1 MiB of data, sealed to one miner; mine one answer.
    let miner = H256([8; 32]);
    let data: Vec<u8> = (0..4 * 262_144u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let sealed = SealedFlow::new(&[&data], miner, 1, 1, H256([3; 32])).unwrap();
    let flow = &sealed.flow;
    let subtask = H256([4; 32]);
    let range = RecallRange::for_flow(flow.length(), ShardConfig::FULL, 0).unwrap();
    let params = MiningParams::new(miner, subtask, range, U256::MAX, flow.length()).unwrap();
    let nonces: Vec<H256> = (0..4u64).map(|i| keccak256(&i.to_be_bytes())).collect();
    let hit = params.mine_batch(&nonces, |i| sealed.load(i))[0];
    let answer = sealed.answer(&params, &hit).unwrap();
    let json = serde_json::to_string_pretty(&answer).unwrap();
    let good = temp("answer.json", json.as_bytes());
    let root = flow.root().to_string();
    let length = flow.length().to_string();
    let subtask = subtask.to_string();
    let block = H256([3; 32]).to_string();
    let args = |file: &PathBuf| -> Vec<String> {
        [
            "pora",
            "verify",
            file.to_str().unwrap(),
            "--flow-root",
            &root,
            "--flow-length",
            &length,
            "--subtask",
            &subtask,
            "--block-digest",
            &block,
            "--strict",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let run = |file: &PathBuf| {
        let a = args(file);
        zg(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let (ok, out, err) = run(&good);
    assert!(ok, "{err}");
    assert_eq!(
        out.trim(),
        format!(
            "valid quality {} load_position {} pricing_index 0",
            hit.quality,
            hit.recall_position / 1024 * 1024
        )
    );
    // The ABI encoding verifies too.
    let abi = temp(
        "answer.hex",
        hex::encode(answer.submit_calldata()).as_bytes(),
    );
    assert!(run(&abi).0);
    // One flipped data byte: refused, with the contract's reason.
    let mut bad = answer.clone();
    bad.sealed_data[100] ^= 1;
    let bad = temp("bad.json", serde_json::to_string(&bad).unwrap().as_bytes());
    let (ok, _, err) = run(&bad);
    assert!(!ok);
    assert!(err.contains("does not prove to the flow root"), "{err}");
}
