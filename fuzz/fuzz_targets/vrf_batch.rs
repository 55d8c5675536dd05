//! Batch verification gives, item by item, exactly the single verifier's verdict, whatever is
//! corrupted (proof bytes, hints, inputs).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zg_vrf::{BatchItem, BatchableProof, PublicKey, SecretKey};

#[derive(Arbitrary, Debug)]
struct Input {
    n: u8,
    weights_seed: [u8; 32],
    /// (item, position in the 176 bytes, xor)
    flips: Vec<(u8, u8, u8)>,
    /// items whose input is changed after proving
    retarget: Vec<u8>,
}

fuzz_target!(|input: Input| {
    let n = usize::from(input.n % 12) + 1;
    let sks: Vec<SecretKey> = (0..n)
        .map(|i| SecretKey::from_bytes(&[i as u8 + 1; 32]))
        .collect();
    let pks: Vec<PublicKey> = sks.iter().map(|k| k.public_key().clone()).collect();
    let mut alphas: Vec<Vec<u8>> = (0..n).map(|i| vec![i as u8; 3]).collect();
    let mut proofs: Vec<BatchableProof> = sks
        .iter()
        .zip(&alphas)
        .map(|(k, a)| k.prove_batchable(a).expect("prove"))
        .collect();
    for (item, pos, x) in &input.flips {
        let i = usize::from(*item) % n;
        let mut b = *proofs[i].as_bytes();
        b[usize::from(*pos) % 176] ^= x;
        proofs[i] = BatchableProof::from_bytes(&b);
    }
    for r in &input.retarget {
        alphas[usize::from(*r) % n].push(0);
    }
    let items: Vec<BatchItem<'_>> = (0..n)
        .map(|i| BatchItem {
            public_key: &pks[i],
            alpha: &alphas[i],
            proof: &proofs[i],
        })
        .collect();
    let out = zg_vrf::verify_batch(&items, &input.weights_seed);
    for (i, item) in items.iter().enumerate() {
        let single = zg_vrf::ecvrf_verify(item.public_key.as_bytes(), item.proof.pi(), item.alpha);
        assert_eq!(out[i], single, "item {i}");
    }
});
