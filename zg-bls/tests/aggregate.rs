//! Certificates, optimistic verification and bisection through the public API, with BLS and
//! with the insecure test scheme, against checking every signature on its own.

// Test helpers outside #[test] functions unwrap too: a failed setup is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

use proptest::prelude::*;
use zg_bls::{
    AggregateCertificate, Bls, BlsSecretKey, BlsSignature, Error, InsecureTestScheme, Scheme,
    SignerBitmap, Strictness, ValidatorIndex, bisect, verify_optimistic,
};

const MESSAGE: &[u8] = b"zg-bls-test/attestation/epoch-3";

fn secrets<S: Scheme>(n: usize) -> Vec<S::SecretKey> {
    (0..n)
        .map(|i| S::secret_key_from_seed(&[i as u8 + 1; 32]))
        .collect()
}

fn members<S: Scheme>(secrets: &[S::SecretKey], weights: &[u128]) -> Vec<(S::PublicKey, u128)> {
    secrets
        .iter()
        .zip(weights)
        .map(|(s, w)| (S::public_key(s), *w))
        .collect()
}

/// `k`'s negation `r − k` (so its signatures are the negations of `k`'s).
fn negated(k: &BlsSecretKey) -> BlsSecretKey {
    const R: [u8; 32] = [
        0x73, 0xed, 0xa7, 0x53, 0x29, 0x9d, 0x7d, 0x48, 0x33, 0x39, 0xd8, 0x08, 0x09, 0xa1, 0xd8,
        0x05, 0x53, 0xbd, 0xa4, 0x02, 0xff, 0xfe, 0x5b, 0xfe, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00,
        0x00, 0x01,
    ];
    let kb = k.to_bytes();
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut d = i16::from(R[i]) - i16::from(kb[i]) - borrow;
        borrow = i16::from(d < 0);
        if d < 0 {
            d += 256;
        }
        out[i] = d as u8;
    }
    BlsSecretKey::from_bytes(&out).unwrap()
}

/// `(X, −X)` for some G2 point `X`.
fn shift() -> (BlsSignature, BlsSignature) {
    let k = Bls::secret_key_from_seed(&[99; 32]);
    (Bls::sign(&k, b"junk"), Bls::sign(&negated(&k), b"junk"))
}

fn indexed<S: Scheme>(sigs: Vec<S::Signature>) -> Vec<(ValidatorIndex, S::Signature)> {
    sigs.into_iter()
        .enumerate()
        .map(|(i, s)| (ValidatorIndex(i as u16), s))
        .collect()
}

#[test]
fn shifted_pair_verifies_only_in_aggregate() {
    let sks = secrets::<Bls>(8);
    let set = members::<Bls>(&sks, &[1; 8]);
    let mut sigs: Vec<BlsSignature> = sks.iter().map(|s| Bls::sign(s, MESSAGE)).collect();
    let (x, minus_x) = shift();
    // B = 3, C = 4: adjacent, so they always fall in the same half.
    sigs[3] = Bls::aggregate_signatures([&sigs[3], &x]).unwrap();
    sigs[4] = Bls::aggregate_signatures([&sigs[4], &minus_x]).unwrap();
    assert!(!Bls::verify(&set[3].0, MESSAGE, &sigs[3]));
    assert!(!Bls::verify(&set[4].0, MESSAGE, &sigs[4]));
    let sigs = indexed::<Bls>(sigs);

    // Set strictness: the aggregate holds, so all eight are accepted in one check, and the
    // certificate is a valid certificate of the set (what an aggregate check proves).
    let set_mode = verify_optimistic::<Bls>(&set, MESSAGE, &sigs, Strictness::Set).unwrap();
    assert!(set_mode.rejected.is_empty());
    assert_eq!(set_mode.checks, 1);
    let cert = set_mode.certificate().unwrap();
    assert_eq!(cert.verify(&set, MESSAGE, 8), Ok(8));

    // Each strictness: exactly B and C are rejected, the rest form a valid certificate.
    let each = verify_optimistic::<Bls>(&set, MESSAGE, &sigs, Strictness::Each).unwrap();
    assert_eq!(each.rejected, vec![ValidatorIndex(3), ValidatorIndex(4)]);
    assert_eq!(each.signers.count(), 6);
    assert_eq!(each.certificate().unwrap().verify(&set, MESSAGE, 6), Ok(6));
}

#[test]
fn bisection_finds_exactly_the_bad_signatures_with_bls() {
    let n = 12;
    let sks = secrets::<Bls>(n);
    let set = members::<Bls>(&sks, &[1; 12]);
    let mut sigs: Vec<BlsSignature> = sks.iter().map(|s| Bls::sign(s, MESSAGE)).collect();
    // Two forgeries (signed over another message, and another member's signature) and a
    // shifted pair split across halves (B = 1, C = 10).
    sigs[5] = Bls::sign(&sks[5], b"another message");
    sigs[8] = Bls::sign(&sks[0], MESSAGE);
    let (x, minus_x) = shift();
    sigs[1] = Bls::aggregate_signatures([&sigs[1], &x]).unwrap();
    sigs[10] = Bls::aggregate_signatures([&sigs[10], &minus_x]).unwrap();
    let expected: Vec<ValidatorIndex> = [1u16, 5, 8, 10].map(ValidatorIndex).to_vec();
    // The reference: every signature on its own.
    let reference: Vec<ValidatorIndex> = (0..n)
        .filter(|&i| !Bls::verify(&set[i].0, MESSAGE, &sigs[i]))
        .map(|i| ValidatorIndex(i as u16))
        .collect();
    assert_eq!(reference, expected);
    let sigs = indexed::<Bls>(sigs);
    let each = verify_optimistic::<Bls>(&set, MESSAGE, &sigs, Strictness::Each).unwrap();
    assert_eq!(each.rejected, expected);
    let bound = 1 + 2 * 4 * (usize::BITS - n.leading_zeros());
    assert!(each.checks <= bound, "{} checks", each.checks);
    assert_eq!(each.certificate().unwrap().verify(&set, MESSAGE, 8), Ok(8));
    // In set mode the pair is split across halves here, so each half with one of them fails
    // and bisection isolates them too.
    let set_mode = verify_optimistic::<Bls>(&set, MESSAGE, &sigs, Strictness::Set).unwrap();
    assert_eq!(set_mode.rejected, expected);
    // All good: one check, whatever the order the signatures arrived in.
    let good = indexed::<Bls>(sks.iter().map(|s| Bls::sign(s, MESSAGE)).collect());
    let mut reversed = good.clone();
    reversed.reverse();
    let a = verify_optimistic::<Bls>(&set, MESSAGE, &good, Strictness::Set).unwrap();
    let b = verify_optimistic::<Bls>(&set, MESSAGE, &reversed, Strictness::Set).unwrap();
    assert_eq!((a.checks, a.signers.count()), (1, n));
    assert_eq!(a, b);
}

#[test]
fn optimistic_refuses_duplicate_and_unknown_indices() {
    type T = InsecureTestScheme;
    let sks = secrets::<T>(3);
    let set = members::<T>(&sks, &[1; 3]);
    let s = T::sign(&sks[0], MESSAGE);
    let dup = [(ValidatorIndex(0), s), (ValidatorIndex(0), s)];
    assert_eq!(
        verify_optimistic::<T>(&set, MESSAGE, &dup, Strictness::Set),
        Err(Error::DuplicateSigner { index: 0 })
    );
    let unknown = [(ValidatorIndex(3), s)];
    assert_eq!(
        verify_optimistic::<T>(&set, MESSAGE, &unknown, Strictness::Set),
        Err(Error::UnknownSigner { index: 3 })
    );
    let none = verify_optimistic::<T>(&set, MESSAGE, &[], Strictness::Set).unwrap();
    assert_eq!(
        (none.checks, none.aggregate, none.certificate()),
        (0, None, None)
    );
}

#[test]
fn certificate_checks_bitmap_weight_signature_and_encoding() {
    let sks = secrets::<Bls>(5);
    let set = members::<Bls>(&sks, &[10, 20, 30, 40, 50]);
    let signers = [0usize, 2, 4];
    let mut bitmap = SignerBitmap::new(5);
    for &i in &signers {
        bitmap.insert(ValidatorIndex(i as u16));
    }
    let sigs: Vec<_> = signers
        .iter()
        .map(|&i| Bls::sign(&sks[i], MESSAGE))
        .collect();
    let cert = AggregateCertificate::<Bls> {
        signers: bitmap.clone(),
        signature: Bls::aggregate_signatures(&sigs).unwrap(),
    };
    assert_eq!(cert.verify(&set, MESSAGE, 90), Ok(90));
    assert_eq!(
        cert.verify(&set, MESSAGE, 91),
        Err(Error::InsufficientWeight {
            signed: 90,
            required: 91
        })
    );
    assert_eq!(cert.verify(&set, b"other", 1), Err(Error::InvalidSignature));
    // Claiming one more signer than signed.
    let mut more = cert.clone();
    more.signers.insert(ValidatorIndex(1));
    assert_eq!(more.verify(&set, MESSAGE, 1), Err(Error::InvalidSignature));
    // A bitmap for another set size.
    let mut longer = cert.clone();
    longer.signers = SignerBitmap::new(6);
    longer.signers.insert(ValidatorIndex(0));
    assert_eq!(
        longer.verify(&set, MESSAGE, 1),
        Err(Error::BitmapLength {
            bitmap: 6,
            members: 5
        })
    );
    let mut empty = cert.clone();
    empty.signers = SignerBitmap::new(5);
    assert_eq!(empty.verify(&set, MESSAGE, 0), Err(Error::NoSigners));
    // Against the same keys in another order (another set), it fails.
    let mut shuffled = set.clone();
    shuffled.swap(0, 1);
    assert_eq!(
        cert.verify(&shuffled, MESSAGE, 1),
        Err(Error::InvalidSignature)
    );

    // Wire form.
    let bytes = cert.to_bytes();
    assert_eq!(bytes.len(), AggregateCertificate::<Bls>::encoded_len(5));
    assert_eq!(bytes.len(), 2 + 1 + 192);
    assert_eq!(AggregateCertificate::<Bls>::encoded_len(100), 207);
    assert_eq!(
        AggregateCertificate::<Bls>::from_bytes(&bytes),
        Ok(cert.clone())
    );
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert_eq!(
        AggregateCertificate::<Bls>::from_bytes(&trailing),
        Err(Error::Malformed("trailing bytes"))
    );
    assert_eq!(
        AggregateCertificate::<Bls>::decode(&trailing).map(|(_, used)| used),
        Ok(bytes.len())
    );
    for cut in [0, 1, 2, 3, 100, bytes.len() - 1] {
        assert!(AggregateCertificate::<Bls>::from_bytes(&bytes[..cut]).is_err());
    }
    let mut bad_bit = bytes.clone();
    bad_bit[2] |= 0x80; // bit 7 of a 5-member bitmap
    assert_eq!(
        AggregateCertificate::<Bls>::from_bytes(&bad_bit),
        Err(Error::Malformed("signer bitmap"))
    );
    let mut off_curve = bytes.clone();
    off_curve[100] ^= 1;
    assert_eq!(
        AggregateCertificate::<Bls>::from_bytes(&off_curve),
        Err(Error::Malformed("signature"))
    );
}

#[test]
fn bisect_counts_checks_and_keeps_every_item_once() {
    // Items 0..20, the bad ones 3, 4 and 17; a check passes when no bad item is in it.
    let items: Vec<u32> = (0..20).collect();
    let bad = [3u32, 4, 17];
    let mut calls = 0u32;
    let found = bisect(&items, false, |part: &[u32]| {
        calls += 1;
        (!part.iter().any(|i| bad.contains(i))).then_some(part.len())
    });
    assert_eq!(found.bad, bad.to_vec());
    let mut all = found.good.clone();
    all.extend(&found.bad);
    all.sort();
    assert_eq!(all, items);
    assert_eq!(found.checks, calls);
    assert_eq!(found.accepted.iter().sum::<usize>(), 17);
    // Already known to fail: the whole is not checked again.
    let again = bisect(&items, true, |part: &[u32]| {
        (!part.iter().any(|i| bad.contains(i))).then_some(())
    });
    assert_eq!(again.checks, found.checks - 1);
    assert_eq!(again.bad, found.bad);
}

proptest! {
    #[test]
    fn bisect_matches_individual_checks(bad in prop::collection::vec(prop::bool::weighted(0.15), 0..80)) {
        let items: Vec<usize> = (0..bad.len()).collect();
        let found = bisect(&items, false, |part: &[usize]| (!part.iter().any(|&i| bad[i])).then_some(()));
        let expected: Vec<usize> = items.iter().copied().filter(|&i| bad[i]).collect();
        prop_assert_eq!(&found.bad, &expected);
        prop_assert_eq!(found.good.len() + found.bad.len(), items.len());
        let b = expected.len() as u32;
        let log = usize::BITS - items.len().leading_zeros();
        prop_assert!(found.checks <= 1 + 2 * b * log, "{} checks", found.checks);
    }

    #[test]
    fn optimistic_matches_individual_checks(
        cases in prop::collection::vec((prop::bool::weighted(0.2), 1u128..5), 1..40),
        strict in any::<bool>(),
    ) {
        type T = InsecureTestScheme;
        let n = cases.len();
        let sks = secrets::<T>(n);
        let weights: Vec<u128> = cases.iter().map(|c| c.1).collect();
        let set = members::<T>(&sks, &weights);
        let sigs: Vec<_> = sks
            .iter()
            .zip(&cases)
            .map(|(s, (forged, _))| T::sign(s, if *forged { b"forged".as_slice() } else { MESSAGE }))
            .collect();
        let expected: Vec<ValidatorIndex> = (0..n)
            .filter(|&i| !T::verify(&set[i].0, MESSAGE, &sigs[i]))
            .map(|i| ValidatorIndex(i as u16))
            .collect();
        let strictness = if strict { Strictness::Each } else { Strictness::Set };
        let got = verify_optimistic::<T>(&set, MESSAGE, &indexed::<T>(sigs), strictness).unwrap();
        prop_assert_eq!(&got.rejected, &expected);
        let weight: u128 = (0..n).filter(|i| !expected.contains(&ValidatorIndex(*i as u16))).map(|i| weights[i]).sum();
        match got.certificate() {
            Some(cert) => prop_assert_eq!(cert.verify(&set, MESSAGE, weight), Ok(weight)),
            None => prop_assert_eq!(weight, 0),
        }
    }

    #[test]
    fn bitmap_behaves_like_a_set(len in 0u16..300, picks in prop::collection::vec(0u16..320, 0..60)) {
        let mut map = SignerBitmap::new(len);
        let mut reference = std::collections::BTreeSet::new();
        for &p in &picks {
            let fresh = p < len && reference.insert(p);
            prop_assert_eq!(map.insert(ValidatorIndex(p)), fresh);
        }
        prop_assert_eq!(map.count(), reference.len());
        prop_assert_eq!(map.len(), len);
        let got: Vec<u16> = map.iter().map(|i| i.0).collect();
        prop_assert_eq!(got, reference.iter().copied().collect::<Vec<_>>());
        for p in 0..len.saturating_add(10) {
            prop_assert_eq!(map.contains(ValidatorIndex(p)), reference.contains(&p));
        }
        // Canonical wire form round trips; any set bit past `len` is refused.
        let mut bytes = Vec::new();
        map.encode(&mut bytes);
        prop_assert_eq!(bytes.len(), 2 + usize::from(len).div_ceil(8));
        prop_assert_eq!(SignerBitmap::decode(&bytes), Some((map.clone(), bytes.len())));
        if len % 8 != 0 {
            let mut bad = bytes.clone();
            *bad.last_mut().unwrap() |= 0x80;
            prop_assert_eq!(SignerBitmap::decode(&bad), None);
        }
        if !bytes.is_empty() {
            prop_assert_eq!(SignerBitmap::decode(&bytes[..bytes.len() - 1]), None);
        }
        // Union and intersection agree with the set operations.
        let mut other = SignerBitmap::new(len);
        let mut other_ref = std::collections::BTreeSet::new();
        for &p in picks.iter().rev().step_by(2) {
            if p < len {
                other.insert(ValidatorIndex(p.saturating_add(1) % len.max(1)));
                other_ref.insert(p.saturating_add(1) % len.max(1));
            }
        }
        prop_assert_eq!(map.intersects(&other), !reference.is_disjoint(&other_ref));
        let mut union = map.clone();
        union.union_with(&other);
        let union_ref: Vec<u16> = reference.union(&other_ref).copied().collect();
        prop_assert_eq!(union.iter().map(|i| i.0).collect::<Vec<_>>(), union_ref);
        if let Some(&first) = reference.iter().next() {
            map.remove(ValidatorIndex(first));
            prop_assert!(!map.contains(ValidatorIndex(first)));
            prop_assert_eq!(map.count(), reference.len() - 1);
        }
    }
}

#[test]
fn bls_key_registration_round_trip() {
    // keygen → public key bytes → validated decode → proof of possession checks.
    for i in 0..4u8 {
        let sk = Bls::secret_key_from_seed(&[i; 32]);
        let pk = Bls::public_key(&sk);
        let mut bytes = Vec::new();
        Bls::encode_public_key(&pk, &mut bytes);
        let back = Bls::decode_public_key(&bytes).unwrap();
        assert_eq!(back, pk);
        assert!(Bls::verify_possession(&back, &Bls::prove_possession(&sk)));
        let other = Bls::secret_key_from_seed(&[i + 100; 32]);
        assert!(!Bls::verify_possession(
            &back,
            &Bls::prove_possession(&other)
        ));
    }
}
