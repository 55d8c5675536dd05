//! Wire encoding: round trips for every message kind under both schemes, canonical bytes, and
//! no panic on arbitrary or mutated input.

// In tests a panic is a failure report, and casts work on small test sizes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

mod common;

use std::sync::Arc;

use common::{Net, commit_cert};
use proptest::prelude::*;
use zg_consensus::codec::{decode_message, decode_receipt, encode_message, encode_receipt};
use zg_consensus::{
    Bls, BurnBatch, BurnEvent, Config, Height, InsecureTestScheme as T, Message, PartitionId,
    Scheme, ValidatorIndex, VoteKind,
};
use zg_core::{Amount, H256};

fn samples<S: Scheme>(net: &Net<S>) -> Vec<Message<S>> {
    let cert = commit_cert(net, 3, H256([5; 32]), 3);
    let mut pol = cert.clone();
    pol.kind = VoteKind::Prevote;
    vec![
        Message::Vote(net.vote(ValidatorIndex(1), 3, 2, VoteKind::Prevote, None)),
        Message::Vote(net.vote(
            ValidatorIndex(2),
            3,
            2,
            VoteKind::Precommit,
            Some(H256([7; 32])),
        )),
        Message::Proposal(net.proposal(3, 0, H256([5; 32]), None, None)),
        Message::Proposal(net.proposal(3, 4, H256([5; 32]), Some(2), Some(pol))),
        Message::Decision(Arc::new(cert.clone())),
        Message::ProofOfLock(Arc::new({
            let mut p = cert.clone();
            p.kind = VoteKind::Prevote;
            p
        })),
        Message::SyncRequest {
            partition: PartitionId(77),
            from: Height(u64::MAX),
        },
        Message::Decisions(Arc::new(vec![cert.clone(), cert])),
        Message::Decisions(Arc::new(vec![])),
    ]
}

fn round_trips<S: Scheme>() {
    let net = Net::<S>::new(4, Config::default());
    for m in samples(&net) {
        let bytes = encode_message(&m);
        let back: Message<S> = decode_message(&bytes).unwrap();
        assert_eq!(back, m);
        assert_eq!(encode_message(&back), bytes);
        // Every strict prefix and any trailing byte is refused.
        for cut in 0..bytes.len() {
            assert!(decode_message::<S>(&bytes[..cut]).is_err());
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode_message::<S>(&longer).is_err());
    }
}

#[test]
fn messages_round_trip_bls() {
    round_trips::<Bls>();
}

#[test]
fn messages_round_trip_test_scheme() {
    round_trips::<T>();
}

#[test]
fn receipts_round_trip() {
    let net = Net::<Bls>::new(4, Config::default());
    let events: Vec<BurnEvent> = (0..3)
        .map(|i| BurnEvent {
            sender: H256([i; 32]),
            recipient: H256([9; 32]),
            destination: 1,
            token: H256::ZERO,
            amount: Amount::new(u128::MAX - u128::from(i)),
            nonce: u64::from(i),
        })
        .collect();
    let batch = BurnBatch::new(H256([1; 32]), events);
    let r = batch
        .receipt(2, commit_cert(&net, 1, batch.commitment().value_id(), 3))
        .unwrap();
    let bytes = encode_receipt(&r);
    let back = decode_receipt::<Bls>(&bytes).unwrap();
    assert_eq!(back, r);
    assert_eq!(encode_receipt(&back), bytes);
    assert!(decode_receipt::<Bls>(&bytes[..bytes.len() - 1]).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]
    /// Arbitrary bytes never panic, and whatever decodes re-encodes to the same bytes.
    #[test]
    fn arbitrary_bytes_decode_canonically(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(m) = decode_message::<T>(&bytes) {
            prop_assert_eq!(encode_message(&m), bytes.clone());
        }
        if let Ok(m) = decode_message::<Bls>(&bytes) {
            prop_assert_eq!(encode_message(&m), bytes);
        }
    }

    /// Mutating one byte of a valid encoding either fails to decode or decodes canonically.
    #[test]
    fn mutations_stay_canonical(which in 0usize..9, at in any::<prop::sample::Index>(), x in 1u8..=255) {
        let net = Net::<T>::new(4, Config::default());
        let m = &samples(&net)[which];
        let mut bytes = encode_message(m);
        let i = at.index(bytes.len());
        bytes[i] ^= x;
        if let Ok(d) = decode_message::<T>(&bytes) {
            prop_assert_eq!(encode_message(&d), bytes);
        }
    }
}
