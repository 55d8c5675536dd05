//! A genuine BLS burn receipt with arbitrary byte edits: whatever still decodes and verifies
//! must be a genuine receipt of the same decided value (the event at that index of the
//! committed batch) — tampering never passes.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use zg_consensus::codec::{decode_receipt, encode_receipt};
use zg_consensus::{
    Bls, BurnBatch, BurnEvent, Certificate, Height, PartitionId, Round, Scheme, SignerBitmap,
    ValidatorIndex, ValidatorSet, Vote, VoteKind, verify_receipt,
};
use zg_core::{Amount, Epoch, H256};

struct Fixture {
    set: Arc<ValidatorSet<Bls>>,
    events: Vec<BurnEvent>,
    commitment: zg_consensus::ValueCommitment,
    bytes: Vec<u8>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let secrets: Vec<_> = (0..4u8)
            .map(|i| Bls::secret_key_from_seed(&[i + 1; 32]))
            .collect();
        let network = H256([5; 32]);
        let set = Arc::new(
            ValidatorSet::new(
                network,
                Epoch(0),
                secrets.iter().map(|s| (Bls::public_key(s), 1)).collect(),
            )
            .unwrap(),
        );
        let events: Vec<BurnEvent> = (0..5u8)
            .map(|i| BurnEvent {
                sender: H256([i; 32]),
                recipient: H256([i + 100; 32]),
                destination: 7,
                token: H256([3; 32]),
                amount: Amount::new(1000 + u128::from(i)),
                nonce: u64::from(i),
            })
            .collect();
        let batch = BurnBatch::new(H256([9; 32]), events.clone());
        let value = batch.commitment().value_id();
        let mut signers = SignerBitmap::new(4);
        let mut sigs = Vec::new();
        for (i, s) in secrets.iter().enumerate().take(3) {
            let idx = set.index_of(&Bls::public_key(s)).unwrap();
            signers.insert(idx);
            let vote = Vote {
                partition: PartitionId(2),
                epoch: Epoch(0),
                height: Height(11),
                round: Round(0),
                kind: VoteKind::Precommit,
                value: Some(value),
                validator: ValidatorIndex(i as u16),
            };
            sigs.push(Bls::sign(s, &vote.signing_bytes(network)));
        }
        let cert = Certificate {
            partition: PartitionId(2),
            epoch: Epoch(0),
            height: Height(11),
            round: Round(0),
            kind: VoteKind::Precommit,
            value,
            signers,
            signature: Bls::aggregate_signatures(&sigs).unwrap(),
        };
        let receipt = batch.receipt(2, cert).unwrap();
        verify_receipt(&receipt, &set).unwrap();
        Fixture {
            set,
            events,
            commitment: batch.commitment(),
            bytes: encode_receipt(&receipt),
        }
    })
}

fuzz_target!(|edits: Vec<(u16, u8)>| {
    let f = fixture();
    let mut bytes = f.bytes.clone();
    for (at, x) in edits.into_iter().take(8) {
        let i = usize::from(at) % bytes.len();
        bytes[i] ^= x;
    }
    let Ok(r) = decode_receipt::<Bls>(&bytes) else {
        return;
    };
    if verify_receipt(&r, &f.set).is_ok() {
        assert_eq!(
            r.commitment, f.commitment,
            "accepted a receipt for another value"
        );
        let i = usize::try_from(r.index).unwrap();
        assert_eq!(
            Some(&r.event),
            f.events.get(i),
            "accepted a burn that was not committed"
        );
    }
});
