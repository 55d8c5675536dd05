//! 0G mode: blob padding, the rate-1/3 coset extension, reconstruction, data root and row proofs.
//!
//! The extension is checked against a naive Lagrange evaluation of the same polynomial (no FFT),
//! the data root against a naive per-coset keccak tree folded as the encoder's `compute_file_root`
//! does, and against zg-core's 0G file root of the encoded bytes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

use ark_ff::{BigInteger, FftField, Field, One, PrimeField, Zero};
use proptest::prelude::*;
use zg_core::{H256, hash_pair, hash_sector};
use zg_da::zerog::{
    DataTree, Dims, EncodedBlob, Error, Fr, coset_factor, data_root_from_coset_roots, encode,
    extend, pad_payload, reconstruct, scalars_from_padded, unpad_payload,
};

/// Deterministic test bytes (xorshift), so failures replay.
fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut s = seed | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 24) as u8
        })
        .collect()
}

fn test_blob(seed: u64) -> (Vec<u8>, EncodedBlob) {
    let payload = bytes(seed, Dims::TEST.max_payload() - 100);
    let blob = encode(&payload, Dims::TEST).unwrap();
    (payload, blob)
}

#[test]
fn live_and_test_shapes_match_the_encoder_constants() {
    let live = Dims::LIVE;
    assert_eq!(
        (live.rows(), live.cols(), live.encoded_rows()),
        (1024, 1024, 3072)
    );
    assert_eq!(live.padded_size(), 32_505_856);
    assert_eq!(live.max_payload(), 32_505_852);
    assert_eq!(live.row_bytes(), 32 * 1024);
    let test = Dims::TEST;
    assert_eq!((test.rows(), test.cols()), (64, 32));
    assert!(Dims::new(6, 2).is_err());
    assert!(Dims::new(14, 13).is_err());
    assert_eq!(Dims::new(10, 10).unwrap(), Dims::LIVE);
}

#[test]
fn padding_layout_and_rejections() {
    let d = Dims::TEST;
    let padded = pad_payload(b"hello", d).unwrap();
    assert_eq!(padded.len(), d.padded_size());
    assert_eq!(&padded[..5], b"hello");
    assert_eq!(&padded[d.max_payload()..], &5u32.to_le_bytes());
    assert!(padded[5..d.max_payload()].iter().all(|&b| b == 0));
    assert_eq!(unpad_payload(&padded, d).unwrap(), b"hello");

    let full = bytes(1, d.max_payload());
    assert_eq!(
        unpad_payload(&pad_payload(&full, d).unwrap(), d).unwrap(),
        &full[..]
    );
    assert_eq!(
        pad_payload(&bytes(1, d.max_payload() + 1), d),
        Err(Error::PayloadTooLarge {
            len: d.max_payload() + 1,
            max: d.max_payload()
        })
    );

    let mut dirty = padded.clone();
    dirty[100] = 1;
    assert_eq!(unpad_payload(&dirty, d), Err(Error::NonZeroPadding));
    let mut long = padded.clone();
    let too_long = (d.max_payload() as u32 + 1).to_le_bytes();
    long[d.max_payload()..].copy_from_slice(&too_long);
    assert!(matches!(
        unpad_payload(&long, d),
        Err(Error::InvalidLengthField { .. })
    ));
    assert!(matches!(
        unpad_payload(&padded[1..], d),
        Err(Error::InvalidLength { .. })
    ));
}

#[test]
fn units_are_31_byte_little_endian_scalars() {
    let d = Dims::TEST;
    let mut payload = vec![0u8; 62];
    payload[0] = 1;
    payload[31] = 2; // unit 1, lowest byte
    payload[30] = 0x80; // unit 0, top byte
    let m = scalars_from_padded(&pad_payload(&payload, d).unwrap(), d).unwrap();
    let expect0 = Fr::from(1u64) + Fr::from(0x80u64) * Fr::from(2u64).pow([240]);
    assert_eq!(m[0], expect0);
    assert_eq!(m[1], Fr::from(2u64));
    assert_eq!(m.len(), d.elements());
}

/// `f(x)` for the polynomial with `f(w^k) = p[k]` on the size-`n` domain, by the Lagrange formula
/// `f(x) = (x^n − 1)/n · Σ_k p[k] · w^k / (x − w^k)` (x off the domain) — no FFT.
fn naive_eval(points: &[Fr], x: Fr) -> Fr {
    let n = points.len() as u64;
    let w = Fr::get_root_of_unity(n).unwrap();
    let mut acc = Fr::zero();
    let mut wk = Fr::one();
    for p in points {
        acc += *p * wk * (x - wk).inverse().unwrap();
        wk *= w;
    }
    acc * (x.pow([n]) - Fr::one()) * Fr::from(n).inverse().unwrap()
}

#[test]
fn extension_matches_naive_lagrange_on_the_encoders_cosets() {
    let d = Dims::TEST;
    let (_, blob) = test_blob(7);
    let (rows, cols, n) = (d.rows(), d.cols(), d.elements());
    let original = blob.original().to_vec();
    // point index rows·j + i holds c[i][j]
    let mut points = vec![Fr::zero(); n];
    for i in 0..rows {
        for j in 0..cols {
            points[j * rows + i] = original[i * cols + j];
        }
    }
    let w = Fr::get_root_of_unity(n as u64).unwrap();
    for (coset, row_in_coset, col) in [(1, 0, 0), (1, 5, 17), (2, 63, 31), (2, 1, 2), (1, 63, 0)] {
        let s = coset_factor(d, coset).unwrap();
        let x = s * w.pow([(rows * col + row_in_coset) as u64]);
        let got = blob.row(coset * rows + row_in_coset).unwrap()[col];
        assert_eq!(
            got,
            naive_eval(&points, x),
            "coset {coset} row {row_in_coset} col {col}"
        );
    }
}

#[test]
fn coset_factors_are_the_encoders() {
    let g = Fr::TWO_ADIC_ROOT_OF_UNITY;
    assert_eq!(Fr::TWO_ADICITY, 28);
    // 0G-FORMATS §6: g = 5^((r − 1)/2^28), computed here from the modulus
    let mut e = Fr::MODULUS;
    e.sub_with_borrow(&ark_ff::BigInt::from(1u64));
    for _ in 0..28 {
        e.div2();
    }
    assert_eq!(Fr::from(5u64).pow(e), g);
    assert_eq!(coset_factor(Dims::LIVE, 1).unwrap(), g.pow([128]));
    assert_eq!(coset_factor(Dims::LIVE, 2).unwrap(), g.pow([64]));
    // 0G-FORMATS §6: u = g^64, u^4 = w (the live 2^20-th root).
    let w = Fr::get_root_of_unity(1 << 20).unwrap();
    assert_eq!(g.pow([256]), w);
    assert_eq!(g.pow([64]).pow([4]), w);
    // test shape: log N = 11 → g^(2^16), g^(2^15)
    assert_eq!(coset_factor(Dims::TEST, 1).unwrap(), g.pow([1 << 16]));
    assert_eq!(coset_factor(Dims::TEST, 2).unwrap(), g.pow([1 << 15]));
    assert_eq!(coset_factor(Dims::TEST, 0).unwrap(), Fr::one());
    assert!(coset_factor(Dims::TEST, 3).is_err());
}

#[test]
fn decode_round_trip_and_rejections() {
    let (payload, blob) = test_blob(3);
    assert_eq!(blob.decode().unwrap(), payload);
    let d = Dims::TEST;
    // a non-zero padding unit is rejected by the decoder
    let mut m = blob.original().to_vec();
    m[d.elements() - 2] = Fr::from(1u64);
    assert_eq!(extend(m, d).unwrap().decode(), Err(Error::NonZeroPadding));
    // a scalar that does not fit 31 bytes is rejected
    let mut m = blob.original().to_vec();
    m[4] = -Fr::one();
    assert_eq!(
        extend(m, d).unwrap().decode(),
        Err(Error::NonCanonicalUnit { index: 4 })
    );
    assert!(matches!(
        extend(vec![Fr::zero(); 5], d),
        Err(Error::InvalidLength { .. })
    ));
}

fn take_rows(blob: &EncodedBlob, idx: &[usize]) -> Vec<(usize, Vec<Fr>)> {
    idx.iter()
        .map(|&i| (i, blob.row(i).unwrap().to_vec()))
        .collect()
}

#[test]
fn reconstruction_from_any_third_of_the_rows() {
    let (payload, blob) = test_blob(11);
    let d = Dims::TEST;
    // only extension rows, a mix, and a scattered set (in reverse order)
    let sets: Vec<Vec<usize>> = vec![
        (64..128).collect(),
        (128..192).collect(),
        (0..192).step_by(3).collect(),
        (0..192).rev().filter(|i| i % 3 != 0).take(64).collect(),
        (32..96).collect(),
    ];
    for set in sets {
        let got = reconstruct(d, &take_rows(&blob, &set)).unwrap();
        assert_eq!(got, blob);
        assert_eq!(got.decode().unwrap(), payload);
    }
}

#[test]
fn reconstruction_rejects_too_few_conflicting_and_forged_rows() {
    let (_, blob) = test_blob(12);
    let d = Dims::TEST;
    let few: Vec<usize> = (100..163).collect();
    assert_eq!(
        reconstruct(d, &take_rows(&blob, &few)),
        Err(Error::NotEnoughRows { have: 63, need: 64 })
    );
    // duplicates do not count twice
    let mut dup = take_rows(&blob, &few);
    dup.push(dup[0].clone());
    assert!(matches!(
        reconstruct(d, &dup),
        Err(Error::NotEnoughRows { .. })
    ));
    // one index twice with different contents
    let mut conflict = take_rows(&blob, &(0..64).collect::<Vec<_>>());
    let mut forged = conflict[3].clone();
    forged.1[0] += Fr::one();
    conflict.push(forged);
    assert_eq!(reconstruct(d, &conflict), Err(Error::InconsistentRows));
    // 65 rows of which one was altered: not one codeword
    let mut rows = take_rows(&blob, &(60..125).collect::<Vec<_>>());
    rows[64].1[7] += Fr::one();
    assert_eq!(reconstruct(d, &rows), Err(Error::InconsistentRows));
    let mut bad = take_rows(&blob, &(0..64).collect::<Vec<_>>());
    bad[0].0 = 192;
    assert!(matches!(
        reconstruct(d, &bad),
        Err(Error::RowOutOfRange { .. })
    ));
}

/// Naive 0G complete tree root over sector hashes.
fn naive_root(mut level: Vec<H256>) -> H256 {
    while level.len() > 1 {
        level = level.chunks(2).map(|p| hash_pair(&p[0], &p[1])).collect();
    }
    level[0]
}

#[test]
fn data_root_is_the_file_root_and_the_encoders_fold() {
    let (_, blob) = test_blob(5);
    let d = Dims::TEST;
    let tree = DataTree::new(&blob).unwrap();
    let bytes = blob.to_bytes();
    assert_eq!(bytes.len(), 3 * 64 * 32 * 32);
    // independent: per-coset complete trees of 256-byte sectors, then keccak(keccak(R0‖R1)‖R2)
    let coset_bytes = bytes.len() / 3;
    let roots: Vec<H256> = bytes
        .chunks(coset_bytes)
        .map(|c| {
            naive_root(
                c.chunks(256)
                    .map(|s| hash_sector(s.try_into().unwrap()))
                    .collect(),
            )
        })
        .collect();
    let roots: [H256; 3] = roots.try_into().unwrap();
    assert_eq!(tree.coset_roots().unwrap(), roots);
    assert_eq!(tree.root(), data_root_from_coset_roots(&roots));
    assert_eq!(tree.root(), zg_core::tree::file_root(&bytes).unwrap());
    assert_eq!(tree.root(), blob.data_root().unwrap());
    // a row is a subtree of cols/8 sectors
    let row5 = blob.row_bytes(5).unwrap();
    assert_eq!(
        tree.row_root(5).unwrap(),
        zg_core::tree::file_root(&row5).unwrap()
    );
    assert_eq!(d.row_bytes(), row5.len());
}

#[test]
fn row_proofs_verify_and_reject_tampering() {
    let (_, blob) = test_blob(9);
    let d = Dims::TEST;
    let tree = DataTree::new(&blob).unwrap();
    let root = tree.root();
    for i in 0..d.encoded_rows() {
        let proof = tree.row_proof(i).unwrap();
        assert_eq!(proof.siblings.len(), 6);
        proof.verify(d, &root, blob.row(i).unwrap()).unwrap();
    }
    let proof = tree.row_proof(70).unwrap();
    let row = blob.row(70).unwrap();
    // the row of another index under this proof
    assert_eq!(
        proof.verify(d, &root, blob.row(71).unwrap()),
        Err(Error::InvalidProof)
    );
    // same row claimed at another index (same coset, and across cosets)
    for idx in [71, 6, 134] {
        let mut moved = proof.clone();
        moved.index = idx;
        assert_eq!(moved.verify(d, &root, row), Err(Error::InvalidProof));
    }
    let mut bad = proof.clone();
    bad.siblings[3].0[0] ^= 1;
    assert_eq!(bad.verify(d, &root, row), Err(Error::InvalidProof));
    let mut bad = proof.clone();
    bad.coset_roots[2].0[0] ^= 1;
    assert_eq!(bad.verify(d, &root, row), Err(Error::InvalidProof));
    let mut bad = proof.clone();
    bad.siblings.pop();
    assert_eq!(bad.verify(d, &root, row), Err(Error::InvalidProof));
    let mut bad = proof.clone();
    bad.index = 1 << 40;
    assert!(matches!(
        bad.verify(d, &root, row),
        Err(Error::RowOutOfRange { .. })
    ));
    assert!(matches!(
        proof.verify(d, &root, &row[1..]),
        Err(Error::InvalidLength { .. })
    ));
    assert!(tree.row_proof(192).is_err());
}

/// The live 1024 × 1024 shape end to end (≈ 100 MB of scalars; reconstruction of all 1024
/// original rows from coset 1). About 70 s in the dev profile on 2 shared cores with
/// `cargo test -p zg-da --features zerog,parallel --test zerog_encoding -- --ignored`.
#[test]
#[ignore = "32 MB blob, about a minute: see the doc comment"]
fn live_shape_encode_root_and_reconstruct() {
    let d = Dims::LIVE;
    let payload = bytes(42, 1_000_000);
    let blob = encode(&payload, d).unwrap();
    let tree = DataTree::new(&blob).unwrap();
    assert_eq!(
        tree.root(),
        zg_core::tree::file_root(&blob.to_bytes()).unwrap()
    );
    let set: Vec<usize> = (1024..2048).collect();
    let rows: Vec<(usize, Vec<Fr>)> = set
        .iter()
        .map(|&i| (i, blob.row(i).unwrap().to_vec()))
        .collect();
    let back = reconstruct(d, &rows).unwrap();
    assert_eq!(back.decode().unwrap(), payload);
    let proof = tree.row_proof(3000).unwrap();
    proof
        .verify(d, &tree.root(), blob.row(3000).unwrap())
        .unwrap();
    let _ = Fr::MODULUS;
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn pad_unpad_round_trip(payload in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let d = Dims::TEST;
        let padded = pad_payload(&payload, d).unwrap();
        prop_assert_eq!(unpad_payload(&padded, d).unwrap(), &payload[..]);
    }

    #[test]
    fn unpad_never_panics(junk in proptest::collection::vec(any::<u8>(), 0..64), len in any::<u32>()) {
        let d = Dims::TEST;
        let mut padded = vec![0u8; d.padded_size()];
        padded[..junk.len()].copy_from_slice(&junk);
        padded[d.max_payload()..].copy_from_slice(&len.to_le_bytes());
        let _ = unpad_payload(&padded, d);
    }
}
