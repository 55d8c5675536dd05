//! Batch verification: agrees with single verification item by item, finds every bad proof.

use zg_vrf::{BatchItem, BatchableProof, Error, PublicKey, SecretKey, ecvrf_verify, verify_batch};

fn keys(n: usize) -> Vec<SecretKey> {
    (0..n)
        .map(|i| {
            let mut seed = [0u8; 32];
            seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
            seed[31] = 0x5a;
            SecretKey::from_bytes(&seed)
        })
        .collect()
}

fn alpha(i: usize) -> Vec<u8> {
    format!("epoch 7 / role da-signer / {i}").into_bytes()
}

fn items<'a>(
    pks: &'a [PublicKey],
    alphas: &'a [Vec<u8>],
    proofs: &'a [BatchableProof],
) -> Vec<BatchItem<'a>> {
    (0..pks.len())
        .map(|i| BatchItem {
            public_key: &pks[i],
            alpha: &alphas[i],
            proof: &proofs[i],
        })
        .collect()
}

fn single(pk: &PublicKey, alpha: &[u8], proof: &BatchableProof) -> Result<[u8; 64], Error> {
    ecvrf_verify(pk.as_bytes(), proof.pi(), alpha)
}

#[test]
fn all_valid_batch_matches_single_outputs() {
    let sks = keys(40);
    let pks: Vec<PublicKey> = sks.iter().map(|k| k.public_key().clone()).collect();
    let alphas: Vec<Vec<u8>> = (0..40).map(alpha).collect();
    let proofs: Vec<BatchableProof> = sks
        .iter()
        .zip(&alphas)
        .map(|(k, a)| k.prove_batchable(a).unwrap())
        .collect();
    let batch = items(&pks, &alphas, &proofs);
    let out = verify_batch(&batch, &[9u8; 32]);
    for i in 0..40 {
        assert_eq!(out[i], single(&pks[i], &alphas[i], &proofs[i]));
        assert!(out[i].is_ok());
    }
    assert!(verify_batch(&[], &[0u8; 32]).is_empty());
}

#[test]
fn bad_proofs_are_found_exactly() {
    let n = 37;
    let sks = keys(n);
    let pks: Vec<PublicKey> = sks.iter().map(|k| k.public_key().clone()).collect();
    let mut alphas: Vec<Vec<u8>> = (0..n).map(alpha).collect();
    let mut proofs: Vec<BatchableProof> = sks
        .iter()
        .zip(&alphas)
        .map(|(k, a)| k.prove_batchable(a).unwrap())
        .collect();
    // 3: wrong input. 10: s changed. 20: gamma changed. 30: a hint corrupted but pi valid.
    // 31: a hint replaced by a valid point that is not U/8. 36: c changed.
    alphas[3].push(0);
    let mut corrupt = |i: usize, pos: usize| {
        let mut b = *proofs[i].as_bytes();
        b[pos] ^= 1;
        proofs[i] = BatchableProof::from_bytes(&b);
    };
    corrupt(10, 60);
    corrupt(20, 5);
    corrupt(30, 100);
    corrupt(36, 40);
    let mut b = *proofs[31].as_bytes();
    let other = sks[0].prove_batchable(b"x").unwrap();
    b[112..144].copy_from_slice(&other.as_bytes()[112..144]);
    proofs[31] = BatchableProof::from_bytes(&b);

    let batch = items(&pks, &alphas, &proofs);
    let out = verify_batch(&batch, &[1u8; 32]);
    for i in 0..n {
        let expect = single(&pks[i], &alphas[i], &proofs[i]);
        assert_eq!(out[i], expect, "item {i}");
        let bad = [3, 10, 20, 36].contains(&i);
        assert_eq!(out[i].is_err(), bad, "item {i}");
    }
}

#[test]
fn swapped_proofs_between_members_fail() {
    let sks = keys(8);
    let pks: Vec<PublicKey> = sks.iter().map(|k| k.public_key().clone()).collect();
    let alphas: Vec<Vec<u8>> = (0..8).map(|_| b"same input".to_vec()).collect();
    let mut proofs: Vec<BatchableProof> = sks
        .iter()
        .zip(&alphas)
        .map(|(k, a)| k.prove_batchable(a).unwrap())
        .collect();
    proofs.swap(2, 5);
    let batch = items(&pks, &alphas, &proofs);
    let out = verify_batch(&batch, &[2u8; 32]);
    for (i, r) in out.iter().enumerate() {
        assert_eq!(r.is_err(), i == 2 || i == 5, "item {i}");
    }
}

#[test]
fn wrong_length_is_an_error() {
    assert!(matches!(
        BatchableProof::from_slice(&[0u8; 175]),
        Err(Error::InvalidLength { got: 175, .. })
    ));
}
