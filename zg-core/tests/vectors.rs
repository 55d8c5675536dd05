//! Known-answer tests: every vector in `tests/vectors/0g-storage.json`.

// In tests a panic is a failure report, and casts work on small test sizes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

use serde_json::Value;
use zg_core::hash::{empty_hash, zero_hashes};
use zg_core::tree::{
    Flow, MerkleTree, file_root, file_submission, padded_sectors, root_from_segments, segment_roots,
};
use zg_core::{H256, keccak256};

fn vectors() -> Value {
    serde_json::from_str(include_str!("vectors/0g-storage.json")).expect("vector file parses")
}

fn hash(v: &Value) -> H256 {
    H256::from_hex(v.as_str().expect("hex string")).expect("valid hash")
}

fn data_of(case: &Value) -> Vec<u8> {
    if let Some(s) = case["ascii"].as_str() {
        return s.as_bytes().to_vec();
    }
    let byte = u8::from_str_radix(case["byte"].as_str().unwrap(), 16).unwrap();
    let len = case["len"]
        .as_u64()
        .unwrap_or_else(|| case["sectors"].as_u64().unwrap() * 256);
    vec![byte; len as usize]
}

#[test]
fn zero_hashes_and_empty_hash() {
    let v = vectors();
    assert_eq!(empty_hash(), hash(&v["empty_hash"]));
    for z in v["zero_hashes"].as_array().unwrap() {
        let h = z["height"].as_u64().unwrap() as usize;
        assert_eq!(zero_hashes()[h], hash(&z["hash"]), "Z[{h}]");
    }
}

#[test]
fn padding_rule() {
    for pair in vectors()["padding"].as_array().unwrap() {
        let (n, p) = (pair[0].as_u64().unwrap(), pair[1].as_u64().unwrap());
        assert_eq!(padded_sectors(n).unwrap(), p, "{n} sectors");
    }
}

#[test]
fn leaf_trees() {
    for case in vectors()["leaf_trees"].as_array().unwrap() {
        let n = case["n"].as_u64().unwrap();
        let leaves: Vec<H256> = (0..n)
            .map(|i| match case["leaves"].as_str().unwrap() {
                "Z[0]" => zero_hashes()[0],
                _ => keccak256(format!("chunk data - {i}").as_bytes()),
            })
            .collect();
        let root = MerkleTree::from_leaves(leaves).unwrap().root();
        assert_eq!(root, hash(&case["root"]), "{} n={n}", case["leaves"]);
    }
}

#[test]
fn file_roots_submissions_and_segments() {
    for case in vectors()["file_roots"].as_array().unwrap() {
        let data = data_of(case);
        let expected = hash(&case["root"]);
        let sub = file_submission(&data).unwrap();
        let heights: Vec<u32> = case["heights"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h.as_u64().unwrap() as u32)
            .collect();
        assert_eq!(sub.heights(), heights, "{} bytes", data.len());
        assert_eq!(sub.root(), expected, "{} bytes", data.len());
        assert_eq!(file_root(&data).unwrap(), expected);
        let segs = segment_roots(&data).unwrap();
        assert_eq!(root_from_segments(&segs).unwrap(), expected);
    }
}

#[test]
fn flow_sequence() {
    let mut flow = Flow::new();
    for case in vectors()["flow"].as_array().unwrap() {
        let placed = flow.append_file(&data_of(case)).unwrap();
        assert_eq!(placed.start, case["start"].as_u64().unwrap());
        assert_eq!(flow.length(), case["length"].as_u64().unwrap());
        assert_eq!(
            flow.root(),
            hash(&case["root"]),
            "flow length {}",
            flow.length()
        );
    }
}
