//! Structured tampering of an honest answer and of its chain view: `verify_answer` never panics
//! and accepts exactly what the plain reference accepts (with the same quality). Tampering with
//! the sealed data, the proof, the miner or the sealing context is always rejected.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zg_core::H256;
use zg_pora::{EpochRange, U256, verify_answer};

#[path = "pora_common.rs"]
mod common;

#[derive(Arbitrary, Debug)]
enum Tamper {
    DataByte { at: u16, xor: u8 },
    ProofNode { node: u8, at: u8, xor: u8 },
    ProofPop,
    ProofPush([u8; 32]),
    Nonce { at: u8, xor: u8 },
    Miner { at: u8, xor: u8 },
    SealedContext { at: u8, xor: u8 },
    Position(u64),
    SealOffset(u64),
    Start(u64),
    Length(u64),
    ShardId(u64),
    ShardMask(u64),
    Target([u8; 32]),
    FlowLength(u64),
    SealedRange(u64, u64),
    MaxShards(u64),
}

fuzz_target!(|tampers: Vec<Tamper>| {
    let f = common::fixture();
    let (mut a, mut v) = (f.answer.clone(), f.view.clone());
    let mut crypto = false;
    for t in tampers.iter().take(6) {
        match *t {
            Tamper::DataByte { at, xor } => {
                a.sealed_data[usize::from(at) % 4096] ^= xor;
                crypto |= xor != 0;
            }
            Tamper::ProofNode { node, at, xor } => {
                let n = a.merkle_proof.len();
                if n > 0 {
                    a.merkle_proof[usize::from(node) % n].0[usize::from(at) % 32] ^= xor;
                    crypto |= xor != 0;
                }
            }
            Tamper::ProofPop => {
                crypto |= a.merkle_proof.pop().is_some();
            }
            Tamper::ProofPush(h) => {
                a.merkle_proof.push(H256(h));
                crypto = true;
            }
            Tamper::Nonce { at, xor } => a.nonce.0[usize::from(at) % 32] ^= xor,
            Tamper::Miner { at, xor } => {
                a.miner_id.0[usize::from(at) % 32] ^= xor;
                crypto |= xor != 0;
            }
            Tamper::SealedContext { at, xor } => {
                a.sealed_context_digest.0[usize::from(at) % 32] ^= xor;
                crypto |= xor != 0;
            }
            Tamper::Position(p) => a.recall_position = p,
            Tamper::SealOffset(o) => a.seal_offset = o,
            Tamper::Start(s) => a.range.start_position = s,
            Tamper::Length(l) => a.range.mine_length = l,
            Tamper::ShardId(s) => a.range.shard_id = s,
            Tamper::ShardMask(m) => a.range.shard_mask = m,
            Tamper::Target(t) => v.pora_target = U256::from_be_bytes(t),
            Tamper::FlowLength(l) => v.context.flow_length = l,
            Tamper::SealedRange(s, e) => {
                v.sealed_context_range = Some(EpochRange { start: s, end: e })
            }
            Tamper::MaxShards(m) => v.max_shards = m,
        }
    }
    let got = verify_answer(&a, &v);
    let reference = common::reference_verify(&a, &v);
    assert_eq!(got.ok().map(|x| x.output), reference, "{tampers:?}");
    if crypto && a != f.answer {
        // Changing what the Merkle proof binds can only pass with a hash collision.
        let binds = (
            &a.sealed_data,
            &a.merkle_proof,
            a.miner_id,
            a.sealed_context_digest,
        ) != (
            &f.answer.sealed_data,
            &f.answer.merkle_proof,
            f.answer.miner_id,
            f.answer.sealed_context_digest,
        );
        if binds {
            assert!(
                got.is_err(),
                "tampered data, proof, miner or sealing context accepted: {tampers:?}"
            );
        }
    }
});
