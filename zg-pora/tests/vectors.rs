//! Known-answer tests: the derived sealing and PoRA vectors of 0G-FORMATS §4–5
//! (`tests/vectors/seal_pora_v1.json`).

// In tests a panic is a failure report, and casts work on small test sizes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

use serde_json::Value;
use zg_core::{H256, keccak256};
use zg_pora::pora::{self, RecallRange, Scratchpad};
use zg_pora::seal::{self, first_mask};

const VECTORS: &str = include_str!("vectors/seal_pora_v1.json");

fn vectors() -> Value {
    serde_json::from_str(VECTORS).unwrap()
}

fn h(v: &Value) -> H256 {
    H256::from_hex(v.as_str().unwrap()).unwrap()
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap()
}

/// The seal vector's data sealed as the vector says.
fn sealed_vector(v: &Value) -> [u8; 4096] {
    let s = &v["seal"];
    let mut data: [u8; 4096] = core::array::from_fn(|i| i as u8);
    seal::seal(
        &mut data,
        &h(&s["miner_id"]),
        &h(&s["context_digest"]),
        u(&s["start_sector"]),
    );
    data
}

#[test]
fn seal_vector() {
    let v = vectors();
    let s = &v["seal"];
    let context = keccak256(s["context_preimage"].as_str().unwrap().as_bytes());
    assert_eq!(context, h(&s["context_digest"]));
    let mask = first_mask(&h(&s["miner_id"]), &context, u(&s["start_sector"]));
    assert_eq!(H256(mask), h(&s["first_mask"]));
    let sealed = sealed_vector(&v);
    assert_eq!(keccak256(&sealed), h(&s["keccak_sealed"]));
    // And back.
    let mut data = sealed;
    seal::unseal(
        &mut data,
        &h(&s["miner_id"]),
        &context,
        u(&s["start_sector"]),
    );
    assert_eq!(data, core::array::from_fn(|i| i as u8));
}

#[test]
fn pora_vector() {
    let v = vectors();
    let p = &v["pora"];
    assert_eq!(keccak256(b"nonce"), h(&p["nonce"]));
    assert_eq!(keccak256(b"subtask"), h(&p["subtask_digest"]));
    let r = &p["range"];
    let range = RecallRange {
        start_position: u(&r["start_position"]),
        mine_length: u(&r["mine_length"]),
        shard_id: u(&r["shard_id"]),
        shard_mask: u(&r["shard_mask"]),
    };
    assert_eq!(range.digest(), h(&p["range_digest"]));

    let seed = pora::pad_seed(
        &h(&p["miner_id"]),
        &h(&p["nonce"]),
        &h(&p["subtask_digest"]),
        &range.digest(),
    );
    assert_eq!(seed.to_string(), p["pad_seed"].as_str().unwrap());

    let pad = Scratchpad::new(seed);
    assert_eq!(keccak256(pad.bytes()), h(&p["keccak_scratchpad"]));
    assert_eq!(pad.recall_seed, h(&p["recall_seed"]));

    let load = range.recall_chunk(&pad.recall_seed).unwrap();
    assert_eq!(load, u(&p["load_position"]));

    let offset = u(&p["seal_offset"]);
    assert_eq!(
        pora::recall_position(load, offset),
        Some(u(&p["recall_position"]))
    );
    let quality = pad.quality(offset, &sealed_vector(&v));
    assert_eq!(quality, h(&p["quality"]));
}
