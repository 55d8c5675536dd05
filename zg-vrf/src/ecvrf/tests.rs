//! RFC 9381 Appendix B vectors (with intermediate values), rejection of every malformed-input
//! class, and round-trip properties.

use super::*;
use curve25519_dalek::constants::EIGHT_TORSION;
use proptest::prelude::*;
use serde::Deserialize;

#[derive(Deserialize)]
struct Vector {
    name: String,
    suite: u8,
    sk: String,
    x: String,
    pk: String,
    alpha: String,
    tai: Option<Tai>,
    h2c: Option<H2c>,
    h: String,
    k_string: String,
    k: String,
    u: String,
    v: String,
    pi: String,
    beta: String,
}

#[derive(Deserialize)]
struct Tai {
    expected_tai_ctr: u8,
}

#[derive(Deserialize)]
struct H2c {
    uniform_bytes: String,
}

fn arr<const N: usize>(h: &str) -> [u8; N] {
    let v = hex::decode(h).unwrap();
    v.try_into().unwrap()
}

fn vectors() -> Vec<Vector> {
    let mut all: Vec<Vector> = serde_json::from_str(include_str!(
        "../../tests/vectors/rfc9381_edwards25519_tai.json"
    ))
    .unwrap();
    all.extend(
        serde_json::from_str::<Vec<Vector>>(include_str!(
            "../../tests/vectors/rfc9381_edwards25519_ell2.json"
        ))
        .unwrap(),
    );
    assert_eq!(all.len(), 6);
    all
}

/// RFC 9380 §5.3.1 `expand_message_xmd` with SHA-512, as the reference for the ELL2 vectors'
/// `uniform_bytes` (48 bytes: one field element, `_NU_` encoding).
fn expand_message_xmd_48(msg: &[u8], dst: &[u8]) -> Vec<u8> {
    let mut dst_prime = dst.to_vec();
    dst_prime.push(dst.len() as u8);
    let b0 = Sha512::new()
        .chain_update([0u8; 128])
        .chain_update(msg)
        .chain_update([0u8, 48, 0])
        .chain_update(&dst_prime)
        .finalize();
    let b1 = Sha512::new()
        .chain_update(b0)
        .chain_update([1u8])
        .chain_update(&dst_prime)
        .finalize();
    b1[..48].to_vec()
}

#[test]
fn rfc9381_vectors_with_intermediate_values() {
    for t in vectors() {
        let suite = match t.suite {
            3 => Suite::Tai,
            4 => Suite::Ell2,
            s => panic!("unknown suite {s}"),
        };
        let seed: [u8; 32] = arr(&t.sk);
        let alpha = hex::decode(&t.alpha).unwrap();
        let sk = SecretKey::from_bytes(&seed);
        let hashed: [u8; 64] = Sha512::digest(seed).into();
        // x (RFC 8032 clamped scalar) and the public key.
        assert_eq!(
            hex::encode(clamped_scalar_bytes(&hashed)),
            t.x,
            "{}",
            t.name
        );
        assert_eq!(hex::encode(sk.public_key().as_bytes()), t.pk, "{}", t.name);
        // H and the try-and-increment counter / the hash-to-field bytes.
        let h = encode_to_curve(suite, sk.public_key().as_bytes(), &alpha).unwrap();
        assert_eq!(hex::encode(h.compress().as_bytes()), t.h, "{}", t.name);
        if let Some(tai) = &t.tai {
            let (_, ctr) = hash_to_try_and_increment(sk.public_key().as_bytes(), &alpha).unwrap();
            assert_eq!(ctr, tai.expected_tai_ctr, "{}", t.name);
        }
        if let Some(h2c) = &t.h2c {
            let mut msg = sk.public_key().as_bytes().to_vec();
            msg.extend_from_slice(&alpha);
            assert_eq!(
                hex::encode(expand_message_xmd_48(&msg, ELL2_DST)),
                h2c.uniform_bytes,
                "{}",
                t.name
            );
        }
        // k_string, k, U = k·B, V = k·H.
        let h_bytes: [u8; 32] = arr(&t.h);
        let k_string = Sha512::new()
            .chain_update(&hashed[32..])
            .chain_update(h_bytes)
            .finalize();
        assert_eq!(hex::encode(k_string), t.k_string, "{}", t.name);
        let k = nonce_generation(&sk.nonce_key, &h_bytes);
        assert_eq!(hex::encode(k.as_bytes()), t.k, "{}", t.name);
        assert_eq!(
            hex::encode(EdwardsPoint::mul_base(&k).compress().as_bytes()),
            t.u,
            "{}",
            t.name
        );
        assert_eq!(
            hex::encode((h * k).compress().as_bytes()),
            t.v,
            "{}",
            t.name
        );
        // pi, beta, verify, proof_to_hash.
        let proof = suite.prove(&sk, &alpha).unwrap();
        assert_eq!(hex::encode(proof.as_bytes()), t.pi, "{}", t.name);
        let pi: [u8; 80] = arr(&t.pi);
        let pk: [u8; 32] = arr(&t.pk);
        let beta = suite.verify_bytes(&pk, &alpha, &pi).unwrap();
        assert_eq!(hex::encode(beta), t.beta, "{}", t.name);
        assert_eq!(
            hex::encode(suite.proof_to_hash(&proof)),
            t.beta,
            "{}",
            t.name
        );
        // The other suite must not accept this proof.
        let other = if suite == Suite::Tai {
            Suite::Ell2
        } else {
            Suite::Tai
        };
        assert_eq!(
            other.verify_bytes(&pk, &alpha, &pi),
            Err(Error::InvalidProof),
            "{}",
            t.name
        );
        if suite == Suite::Tai {
            assert_eq!(hex::encode(ecvrf_verify(&pk, &pi, &alpha).unwrap()), t.beta);
            assert_eq!(hex::encode(ecvrf_proof_to_hash(&pi).unwrap()), t.beta);
            // The batchable form carries the very same proof.
            let bp = sk.prove_batchable(&alpha).unwrap();
            assert_eq!(hex::encode(bp.pi()), t.pi);
        }
    }
}

/// The obviously-correct reference for `string_to_point`: dalek decodes it and re-encoding
/// gives the same string back.
fn reference_string_to_point(bytes: &[u8; 32]) -> Option<EdwardsPoint> {
    let p = CompressedEdwardsY(*bytes).decompress()?;
    (p.compress().as_bytes() == bytes).then_some(p)
}

fn p_plus(y: u8) -> [u8; 32] {
    // y + p for small y, little-endian: p = 2^255 − 19.
    let mut b = [0xffu8; 32];
    b[31] = 0x7f;
    b[0] = 0xed + y;
    b
}

#[test]
fn non_canonical_encodings_are_rejected_where_dalek_accepts_them() {
    let mut seen_dalek_accepting = 0;
    for y in 0u8..19 {
        for sign in [0u8, 0x80] {
            let mut b = p_plus(y);
            b[31] |= sign;
            if CompressedEdwardsY(b).decompress().is_some() {
                seen_dalek_accepting += 1;
            }
            assert!(string_to_point(&b).is_none(), "y = p + {y}");
            assert!(reference_string_to_point(&b).is_none());
            assert!(PublicKey::from_bytes(&b).is_err());
            let mut pi = [0u8; 80];
            pi[..32].copy_from_slice(&b);
            assert!(matches!(
                Proof::from_bytes(&pi),
                Err(Error::MalformedProof { .. })
            ));
        }
    }
    assert!(
        seen_dalek_accepting > 0,
        "the test must exercise the extra check"
    );
    // x = 0 with the sign bit set: y = 1 (identity) and y = −1 (order 2).
    let mut one = [0u8; 32];
    one[0] = 1;
    one[31] = 0x80;
    let mut minus_one = p_plus(0);
    minus_one[0] = 0xec;
    minus_one[31] |= 0x80;
    for b in [one, minus_one] {
        assert!(CompressedEdwardsY(b).decompress().is_some());
        assert!(string_to_point(&b).is_none());
    }
}

#[test]
fn small_order_public_keys_are_rejected() {
    for t in EIGHT_TORSION.iter() {
        let b = t.compress().to_bytes();
        assert_eq!(
            PublicKey::from_bytes(&b),
            Err(Error::InvalidPublicKey {
                reason: "point of small order"
            })
        );
    }
}

#[test]
fn off_curve_public_key_is_rejected() {
    // y = 2 is not the y-coordinate of a curve point.
    let mut b = [0u8; 32];
    b[0] = 2;
    assert!(CompressedEdwardsY(b).decompress().is_none());
    assert!(matches!(
        PublicKey::from_bytes(&b),
        Err(Error::InvalidPublicKey { .. })
    ));
    assert!(matches!(
        PublicKey::from_slice(&b[..31]),
        Err(Error::InvalidLength { got: 31, .. })
    ));
}

#[test]
fn mixed_order_key_is_accepted_but_not_prime_order() {
    // RFC 9381 §5.4.5 only rejects small-order keys; a key with a torsion component passes.
    let sk = SecretKey::from_bytes(&[7u8; 32]);
    let mixed = sk.public_key().point() + EIGHT_TORSION[1];
    let pk = PublicKey::from_bytes(&mixed.compress().to_bytes()).unwrap();
    assert!(!pk.is_prime_order());
    assert!(sk.public_key().is_prime_order());
}

fn sample() -> (SecretKey, Proof) {
    let sk = SecretKey::from_bytes(&[42u8; 32]);
    let proof = sk.prove(b"sample input").unwrap();
    (sk, proof)
}

#[test]
fn non_canonical_s_is_rejected() {
    let (sk, proof) = sample();
    // s + q still fits in 32 bytes: a non-canonical encoding of the same scalar.
    let q: [u8; 32] = arr("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
    let s = proof.as_bytes()[48..].to_vec();
    let mut sum = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let v = u16::from(s[i]) + u16::from(q[i]) + carry;
        sum[i] = v as u8;
        carry = v >> 8;
    }
    assert_eq!(carry, 0);
    let mut pi = *proof.as_bytes();
    pi[48..].copy_from_slice(&sum);
    assert!(matches!(
        Proof::from_bytes(&pi),
        Err(Error::MalformedProof { .. })
    ));
    assert!(matches!(
        ecvrf_verify(sk.public_key().as_bytes(), &pi, b"sample input"),
        Err(Error::MalformedProof { .. })
    ));
    // Top bit set.
    let mut pi = *proof.as_bytes();
    pi[79] |= 0x80;
    assert!(Proof::from_bytes(&pi).is_err());
}

#[test]
fn gamma_of_small_order_or_off_curve_fails() {
    let (sk, proof) = sample();
    let mut pi = *proof.as_bytes();
    pi[..32].copy_from_slice(EIGHT_TORSION[2].compress().as_bytes());
    assert_eq!(
        ecvrf_verify(sk.public_key().as_bytes(), &pi, b"sample input"),
        Err(Error::InvalidProof)
    );
    let mut pi = *proof.as_bytes();
    pi[..32].copy_from_slice(&{
        let mut b = [0u8; 32];
        b[0] = 2;
        b
    });
    assert!(matches!(
        ecvrf_verify(sk.public_key().as_bytes(), &pi, b"sample input"),
        Err(Error::MalformedProof { .. })
    ));
    assert!(matches!(
        Proof::from_slice(&pi[..79]),
        Err(Error::InvalidLength { got: 79, .. })
    ));
}

#[test]
fn secret_key_debug_hides_the_seed() {
    let sk = SecretKey::from_bytes(&[0xabu8; 32]);
    let dbg = format!("{sk:?}");
    assert!(!dbg.contains("abababab"));
    assert!(dbg.contains("PublicKey"));
}

#[test]
fn inv8_is_the_inverse_of_eight() {
    let inv8 = Scalar::from_bytes_mod_order(INV8_BYTES);
    assert_eq!(inv8 * Scalar::from(8u8), Scalar::ONE);
    assert_eq!(inv8.as_bytes(), &INV8_BYTES);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn string_to_point_matches_reference(bytes in any::<[u8; 32]>()) {
        prop_assert_eq!(string_to_point(&bytes), reference_string_to_point(&bytes));
    }

    #[test]
    fn prove_verify_round_trip(seed in any::<[u8; 32]>(), alpha in proptest::collection::vec(any::<u8>(), 0..100)) {
        let sk = SecretKey::from_bytes(&seed);
        for suite in [Suite::Tai, Suite::Ell2] {
            let proof = suite.prove(&sk, &alpha).unwrap();
            let beta = suite.verify_bytes(sk.public_key().as_bytes(), &alpha, proof.as_bytes()).unwrap();
            prop_assert_eq!(beta, suite.proof_to_hash(&proof));
            // Deterministic: the same input gives the same proof.
            prop_assert_eq!(suite.prove(&sk, &alpha).unwrap(), proof);
        }
        let bp = sk.prove_batchable(&alpha).unwrap();
        let again = sk.prove(&alpha).unwrap();
        prop_assert_eq!(bp.pi(), again.as_bytes());
    }

    #[test]
    fn any_changed_byte_fails(seed in any::<[u8; 32]>(), alpha in proptest::collection::vec(any::<u8>(), 1..40), which in 0usize..3, pos in any::<usize>(), flip in 1u8..=255) {
        let sk = SecretKey::from_bytes(&seed);
        let proof = sk.prove(&alpha).unwrap();
        let mut pk = *sk.public_key().as_bytes();
        let mut pi = *proof.as_bytes();
        let mut alpha2 = alpha.clone();
        match which {
            0 => pk[pos % 32] ^= flip,
            1 => pi[pos % 80] ^= flip,
            _ => { let n = alpha2.len(); alpha2[pos % n] ^= flip }
        }
        prop_assert!(ecvrf_verify(&pk, &pi, &alpha2).is_err());
    }
}

/// RFC 9381 does not reject a Gamma with a torsion component: V = s·H − c·Gamma then carries
/// −c·T, so the proof verifies exactly when c·T = 0, and beta (from 8·Gamma) is the honest one.
/// This pins the integer meaning of `c·Gamma` (not `(−c mod q)·Gamma`).
#[test]
fn gamma_with_torsion_verifies_iff_c_kills_it() {
    let sk = SecretKey::from_bytes(&[9u8; 32]);
    let pk = sk.public_key();
    let t2 = EIGHT_TORSION[4]; // order 2
    let mut seen = [false; 2];
    for j in 0u32..40 {
        let alpha = j.to_le_bytes();
        let h = encode_to_curve(Suite::Tai, pk.as_bytes(), &alpha).unwrap();
        let gamma = h * sk.x + t2;
        let k = Scalar::from(u64::from(j) + 5);
        let (u, v) = (EdwardsPoint::mul_base(&k), h * k);
        let c = challenge(
            Suite::Tai,
            pk.as_bytes(),
            h.compress().as_bytes(),
            gamma.compress().as_bytes(),
            u.compress().as_bytes(),
            v.compress().as_bytes(),
        );
        let s = k + challenge_scalar(&c) * sk.x;
        let mut pi = [0u8; 80];
        pi[..32].copy_from_slice(gamma.compress().as_bytes());
        pi[32..48].copy_from_slice(&c);
        pi[48..].copy_from_slice(s.as_bytes());
        let even = c[0].is_multiple_of(2);
        seen[usize::from(even)] = true;
        match ecvrf_verify(pk.as_bytes(), &pi, &alpha) {
            Ok(beta) => {
                assert!(even, "accepted with c·T ≠ 0");
                assert_eq!(beta, sk.prove(&alpha).unwrap().proof_to_hash());
            }
            Err(e) => {
                assert!(!even, "rejected with c·T = 0");
                assert_eq!(e, Error::InvalidProof);
            }
        }
    }
    assert!(seen[0] && seen[1]);
}

#[test]
fn proof_to_hash_rejects_malformed_proofs_and_suites_differ() {
    let mut pi = [0u8; 80];
    pi[0] = 2; // y = 2 is not on the curve
    assert!(matches!(
        ecvrf_proof_to_hash(&pi),
        Err(Error::MalformedProof { .. })
    ));
    assert_eq!(Suite::Tai.suite_string(), 3);
    assert_eq!(Suite::Ell2.suite_string(), 4);
    assert_eq!(Suite::default(), Suite::Tai);
}
