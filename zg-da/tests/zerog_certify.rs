//! 0G mode: sign-request validation, `H_blob`, the contract's certificate check, PoDAS sampling.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

use ark_bn254::{G1Projective, G2Projective};
use ark_ec::{CurveGroup, PrimeGroup};
use ruint::aliases::U256;
use zg_core::tree::MerkleTree;
use zg_core::{H256, hash_sector};
use zg_da::zerog::sampling::{
    MAX_PODAS_TARGET, SampleResponse, adjust_podas_target, data_quality, line_quality,
    sample_reward, verify_sample,
};
use zg_da::zerog::{
    DataTree, Dims, Error, Fr, SecretKey, Setup, aggregate_pubkey_g1, blob_hash, commitment,
    data_root_from_coset_roots, encode, map_to_g1, sign_request_for, validate_sign_request,
    verify_certificate,
};

fn key(n: u8) -> SecretKey {
    let mut b = [0u8; 32];
    b[31] = n;
    b[1] = 0x42;
    SecretKey::from_be_bytes(&b).unwrap()
}

#[test]
fn blob_hash_is_map_to_g1_of_the_packed_preimage() {
    let root = H256([7u8; 32]);
    let c = (G1Projective::generator() * Fr::from(5u64)).into_affine();
    let mut pre = Vec::new();
    pre.extend_from_slice(&root.0);
    pre.extend_from_slice(&[0u8; 31]);
    pre.push(3); // epoch 3 as uint256
    pre.extend_from_slice(&[0u8; 31]);
    pre.push(1); // quorum 1
    pre.extend_from_slice(&zg_da::zerog::g1_to_bytes(&c));
    assert_eq!(pre.len(), 160);
    let want = map_to_g1(&zg_core::keccak256(&pre).0).unwrap();
    assert_eq!(blob_hash(&root, 3, 1, &c).unwrap(), want);
    assert_ne!(blob_hash(&root, 3, 2, &c).unwrap(), want);
}

#[test]
fn dispersal_sign_aggregate_certify() {
    let d = Dims::TEST;
    let blob = encode(b"dispersal", d).unwrap();
    let tree = DataTree::new(&blob).unwrap();
    let accounts = [[1u8; 20], [2u8; 20], [3u8; 20]];
    let keys: Vec<SecretKey> = (1..=3).map(key).collect();
    let quorum: Vec<[u8; 20]> = (0..d.encoded_rows()).map(|i| accounts[i % 3]).collect();
    let commitment = (G1Projective::generator() * Fr::from(99u64)).into_affine();
    let mut sigs = vec![];
    for (who, k) in accounts.iter().zip(&keys) {
        let req = sign_request_for(&tree, &blob, who, &quorum, 4, 0, commitment).unwrap();
        assert_eq!(req.rows.len(), 64);
        let h = validate_sign_request(d, &req, who, &quorum).unwrap();
        assert_eq!(h, blob_hash(&tree.root(), 4, 0, &commitment).unwrap());
        sigs.push(k.sign(&h));
    }
    let h = blob_hash(&tree.root(), 4, 0, &commitment).unwrap();
    let pk_of = |a: &[u8; 20]| {
        accounts
            .iter()
            .position(|x| x == a)
            .map(|i| keys[i].public_g1())
    };
    // signers 1 and 2 (rows 0 and 1 set): 128 of 192 rows = exactly 2/3
    let sig = (G1Projective::from(sigs[0]) + sigs[1]).into_affine();
    let agg_g2 = (G2Projective::from(keys[0].public_g2()) + keys[1].public_g2()).into_affine();
    let mut bitmap = vec![0u8; 24];
    bitmap[0] = 0b11;
    let agg = aggregate_pubkey_g1(&quorum, &bitmap, pk_of).unwrap();
    assert_eq!((agg.total, agg.hit), (192, 128));
    verify_certificate(&h, &sig, &agg.pk_g1, &agg_g2, agg.total, agg.hit).unwrap();
    // one signer alone: 64 of 192
    bitmap[0] = 0b1;
    let agg1 = aggregate_pubkey_g1(&quorum, &bitmap, pk_of).unwrap();
    assert_eq!(
        verify_certificate(
            &h,
            &sigs[0],
            &agg1.pk_g1,
            &keys[0].public_g2(),
            agg1.total,
            agg1.hit
        ),
        Err(Error::InsufficientSignedRows {
            total: 192,
            hit: 64
        })
    );
    // the aggregate signature without signer 2's share
    assert_eq!(
        verify_certificate(&h, &sigs[0], &agg.pk_g1, &agg_g2, agg.total, agg.hit),
        Err(Error::InvalidSignature)
    );
}

/// Attack: a signer is sent rows of another signer, a duplicated row, or a forged row.
#[test]
fn sign_request_rejects_foreign_duplicate_and_forged_rows() {
    let d = Dims::TEST;
    let blob = encode(b"attack", d).unwrap();
    let tree = DataTree::new(&blob).unwrap();
    let (me, other) = ([1u8; 20], [2u8; 20]);
    let quorum: Vec<[u8; 20]> = (0..d.encoded_rows())
        .map(|i| if i < 96 { me } else { other })
        .collect();
    let c = (G1Projective::generator() * Fr::from(3u64)).into_affine();
    let mut req = sign_request_for(&tree, &blob, &me, &quorum, 1, 0, c).unwrap();
    let _ = validate_sign_request(d, &req, &me, &quorum).unwrap();
    let foreign = (
        tree.row_proof(100).unwrap(),
        blob.row(100).unwrap().to_vec(),
    );
    let mut r = req.clone();
    r.rows.insert(0, foreign);
    assert_eq!(
        validate_sign_request(d, &r, &me, &quorum),
        Err(Error::NotMyRow { index: 100 })
    );
    let mut r = req.clone();
    let first = r.rows[0].clone();
    r.rows.push(first);
    assert_eq!(
        validate_sign_request(d, &r, &me, &quorum),
        Err(Error::InconsistentRows)
    );
    req.rows[5].1[0] += Fr::from(1u64);
    assert_eq!(
        validate_sign_request(d, &req, &me, &quorum),
        Err(Error::InvalidProof)
    );
    // the other signer cannot claim my rows
    let req = sign_request_for(&tree, &blob, &me, &quorum, 1, 0, c).unwrap();
    assert!(matches!(
        validate_sign_request(d, &req, &other, &quorum),
        Err(Error::NotMyRow { .. })
    ));
}

#[test]
fn qualities_are_keccak_of_the_packed_words() {
    let seed = H256([1u8; 32]);
    let root = H256([2u8; 32]);
    let mut pre = vec![1u8; 32];
    pre.extend_from_slice(&U256::from(5u64).to_be_bytes::<32>());
    pre.extend_from_slice(&U256::from(2u64).to_be_bytes::<32>());
    pre.extend_from_slice(&[2u8; 32]);
    pre.extend_from_slice(&1234u64.to_be_bytes());
    assert_eq!(pre.len(), 136);
    let lq = line_quality(&seed, 5, 2, &root, 1234);
    assert_eq!(lq, U256::from_be_bytes(zg_core::keccak256(&pre).0));
    let data = vec![9u8; 1024];
    let mut pre = lq.to_be_bytes::<32>().to_vec();
    pre.extend_from_slice(&U256::from(31u64).to_be_bytes::<32>());
    pre.extend_from_slice(&data);
    assert_eq!(
        data_quality(lq, 31, &data),
        U256::from_be_bytes(zg_core::keccak256(&pre).0)
    );
    assert_eq!(MAX_PODAS_TARGET, U256::MAX / U256::from(128u64));
}

fn subline_root(data: &[u8]) -> H256 {
    let leaves = data
        .chunks(256)
        .map(|s| hash_sector(s.try_into().unwrap()))
        .collect();
    MerkleTree::from_leaves(leaves).unwrap().root()
}

#[test]
fn sample_response_verifies_as_the_contract_does() {
    // coset 1 of a live-shaped blob: 1024 lines × 32 sublines, one non-zero subline
    let (line, subline) = (1024 + 77u32, 13u32);
    let data: Vec<u8> = (0..1024).map(|i| (i * 7) as u8).collect();
    let zero = subline_root(&[0u8; 1024]);
    let mut leaves = vec![zero; 1024 * 32];
    let pos = (line as usize % 1024) * 32 + subline as usize;
    leaves[pos] = subline_root(&data);
    let coset1 = MerkleTree::from_leaves(leaves).unwrap();
    let proof: Vec<H256> = (0..15)
        .map(|lvl| coset1.node(lvl, ((pos >> lvl) ^ 1) as u64).unwrap())
        .collect();
    let blob_roots = [H256([5u8; 32]), coset1.root(), H256([6u8; 32])];
    let data_root = data_root_from_coset_roots(&blob_roots);
    let seed = H256([3u8; 32]);
    let lq = line_quality(&seed, 8, 1, &data_root, u64::from(line));
    let quality = lq.checked_add(data_quality(lq, u64::from(subline), &data));
    let rep = SampleResponse {
        seed,
        epoch: 8,
        quorum_id: 1,
        line,
        subline,
        quality: quality.unwrap_or(U256::MAX),
        data_root,
        blob_roots,
        proof,
        data,
    };
    if let Some(q) = quality {
        verify_sample(&rep, U256::MAX).unwrap();
        assert!(matches!(
            verify_sample(&rep, q - U256::from(1u64)),
            Err(Error::InvalidSample(_))
        ));
    }
    let mut bad = rep.clone();
    bad.data[0] ^= 1;
    assert!(verify_sample(&bad, U256::MAX).is_err());
    let mut bad = rep.clone();
    bad.subline += 1; // quality no longer matches
    assert!(matches!(
        verify_sample(&bad, U256::MAX),
        Err(Error::InvalidSample(_))
    ));
    let mut bad = rep.clone();
    bad.proof[4].0[0] ^= 1;
    if quality.is_some() {
        assert_eq!(verify_sample(&bad, U256::MAX), Err(Error::InvalidProof));
    }
    let mut bad = rep.clone();
    bad.seed = H256::ZERO;
    assert!(matches!(
        verify_sample(&bad, U256::MAX),
        Err(Error::InvalidSample(_))
    ));
    let mut bad = rep;
    bad.line = 3072;
    assert!(matches!(
        verify_sample(&bad, U256::MAX),
        Err(Error::InvalidSample(_))
    ));
}

#[test]
fn target_adjustment_and_reward() {
    let t = U256::from(1u64) << 200usize;
    assert_eq!(adjust_podas_target(t, 10, 10).unwrap(), t);
    // twice the goal: down by 1/8
    assert_eq!(adjust_podas_target(t, 20, 10).unwrap(), t - (t >> 3usize));
    // none: up by 1/8
    assert_eq!(adjust_podas_target(t, 0, 10).unwrap(), t + (t >> 3usize));
    // capped
    assert_eq!(
        adjust_podas_target(MAX_PODAS_TARGET, 0, 10).unwrap(),
        MAX_PODAS_TARGET
    );
    // low 32 bits are dropped
    assert_eq!(
        adjust_podas_target(t + U256::from(5u64), 10, 10).unwrap(),
        t
    );
    assert!(adjust_podas_target(t, 1, 0).is_err());
    let (r, a, b) = sample_reward(
        U256::from(1000u64),
        U256::from(10u64),
        U256::from(5u64),
        U256::from(7u64),
    )
    .unwrap();
    assert_eq!(
        (r, a, b),
        (U256::from(105u64), U256::from(900u64), U256::ZERO)
    );
    assert!(sample_reward(U256::from(1u64), U256::ZERO, U256::ZERO, U256::ZERO).is_err());
}

/// A powers-of-tau file in the encoder's `amt::PowerTau` layout, from a known secret.
fn power_tau_file(tau: Fr, n: usize) -> Vec<u8> {
    use ark_ff::Field;
    use ark_serialize::CanonicalSerialize;
    let g1: Vec<ark_bn254::G1Affine> = (0..n)
        .map(|i| (G1Projective::generator() * tau.pow([i as u64])).into_affine())
        .collect();
    let g2: Vec<ark_bn254::G2Affine> = (0..n)
        .map(|i| (G2Projective::generator() * tau.pow([i as u64])).into_affine())
        .collect();
    let mut out = Vec::new();
    g1.serialize_compressed(&mut out).unwrap();
    g2.serialize_compressed(&mut out).unwrap();
    g1.serialize_compressed(&mut out).unwrap();
    G2Projective::generator()
        .serialize_compressed(&mut out)
        .unwrap();
    out
}

#[test]
fn commitment_from_a_known_secret_setup() {
    use ark_ff::{FftField, Field, One, Zero};
    let d = Dims::TEST;
    let tau = Fr::from(123_456_789u64);
    let file = power_tau_file(tau, d.elements() + 5);
    let setup = Setup::from_power_tau_prefix(&file, d).unwrap();
    assert_eq!(setup.len(), d.elements());
    let blob = encode(b"commit me", d).unwrap();
    let c = commitment(&blob, &setup).unwrap();
    // independent: f(τ) by the Lagrange formula over the transposed original, times G1
    let (rows, cols, n) = (d.rows(), d.cols(), d.elements());
    let mut points = vec![Fr::zero(); n];
    for (idx, x) in blob.original().iter().enumerate() {
        points[(idx % cols) * rows + idx / cols] = *x;
    }
    let w = Fr::get_root_of_unity(n as u64).unwrap();
    let (mut acc, mut wk) = (Fr::zero(), Fr::one());
    for p in &points {
        acc += *p * wk * (tau - wk).inverse().unwrap();
        wk *= w;
    }
    let f_tau = acc * (tau.pow([n as u64]) - Fr::one()) * Fr::from(n as u64).inverse().unwrap();
    assert_eq!(c, (G1Projective::generator() * f_tau).into_affine());
    // a prefix cut right after the needed powers is enough
    let prefix = &file[..Setup::prefix_len(d)];
    assert_eq!(Setup::from_power_tau_prefix(prefix, d).unwrap(), setup);
    // too few powers, truncated, corrupted point
    let small = power_tau_file(tau, 16);
    assert_eq!(
        Setup::from_power_tau_prefix(&small, d),
        Err(Error::SetupTooSmall { have: 16, need: n })
    );
    assert!(matches!(
        Setup::from_power_tau_prefix(&prefix[..100], d),
        Err(Error::InvalidLength { .. })
    ));
    let mut bad = prefix.to_vec();
    // x = 2^253-ish junk with no curve point (or non-canonical): rejected, never a panic
    for b in &mut bad[8 + 32 * 7..8 + 32 * 8] {
        *b = 0xff;
    }
    assert_eq!(
        Setup::from_power_tau_prefix(&bad, d),
        Err(Error::InvalidEncoding)
    );
    assert!(matches!(
        commitment(&blob, &Setup::from_g1_powers(vec![])),
        Err(Error::SetupTooSmall { .. })
    ));
}
