//! `InsecureTestScheme`: a linear keyed hash standing in for BLS in mass simulations.
//!
//! **Not a signature scheme.** A public key *is* its secret key, so anyone can forge anything.
//! It exists because the consensus logic is exercised over tens of thousands of seeded
//! simulations, and BLS costs ~0.4 ms per signature and ~1 ms per pairing check.
//!
//! It mirrors BLS's algebra in the field `F_p`, `p = 2^61 − 1`: `pk = sk`,
//! `sig = sk · H(m)`, aggregation adds keys and signatures, and an aggregate verifies when
//! `Σsig = (Σpk) · H(m)`. So aggregate vote counting, bisection of bad batches and certificates
//! behave exactly as with BLS, and a signature over the wrong message or by the wrong key still
//! fails; only unforgeability is missing. Honest and Byzantine test machines never use keys that
//! are not theirs, so simulations with it test the protocol, not the cryptography; the BLS path is
//! tested separately (unit tests, certificate/bisection/evidence tests and BLS simulations).

use core::fmt;

use crate::scheme::{BatchItem, Scheme};

/// The Mersenne prime 2^61 − 1.
const P: u64 = (1 << 61) - 1;

/// The insecure keyed-hash stand-in (feature `insecure-test-scheme`). Tests only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct InsecureTestScheme;

/// A key of [`InsecureTestScheme`] (public and secret are the same number).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InsecureKey(u64);

impl fmt::Debug for InsecureKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InsecureKey({:#x})", self.0)
    }
}

/// A "signature" of [`InsecureTestScheme`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct InsecureSignature(u64);

fn mul(a: u64, b: u64) -> u64 {
    let m = u128::from(a) * u128::from(b);
    // Reduction mod 2^61 - 1 of a value below 2^122: fold the high bits twice.
    #[allow(clippy::cast_possible_truncation)] // masked to 61 bits first
    let lo = (m & u128::from(P)) as u64;
    #[allow(clippy::cast_possible_truncation)] // m >> 61 < 2^61
    let hi = (m >> 61) as u64;
    let s = lo + hi;
    let s = (s & P) + (s >> 61);
    if s >= P { s - P } else { s }
}

fn add(a: u64, b: u64) -> u64 {
    let s = a + b;
    if s >= P { s - P } else { s }
}

fn hash_to_field(domain: &[u8], message: &[u8]) -> u64 {
    let h = zg_core::keccak256_parts(&[domain, message]);
    let mut b = [0u8; 8];
    b.copy_from_slice(&h.0[..8]);
    // Never zero, so no message makes every signature zero.
    (u64::from_be_bytes(b) % (P - 1)) + 1
}

const SIG_DOMAIN: &[u8] = b"zgc/insecure/sig";
const POP_DOMAIN: &[u8] = b"zgc/insecure/pop";

impl Scheme for InsecureTestScheme {
    const NAME: &'static str = "INSECURE-keyed-hash-test-scheme";
    const PUBLIC_KEY_LEN: usize = 8;
    const SIGNATURE_LEN: usize = 8;

    type SecretKey = InsecureKey;
    type PublicKey = InsecureKey;
    type Signature = InsecureSignature;

    fn secret_key_from_seed(seed: &[u8; 32]) -> InsecureKey {
        InsecureKey(hash_to_field(b"zgc/insecure/key", seed))
    }

    fn public_key(secret: &InsecureKey) -> InsecureKey {
        *secret
    }

    fn sign(secret: &InsecureKey, message: &[u8]) -> InsecureSignature {
        InsecureSignature(mul(secret.0, hash_to_field(SIG_DOMAIN, message)))
    }

    fn prove_possession(secret: &InsecureKey) -> InsecureSignature {
        InsecureSignature(mul(
            secret.0,
            hash_to_field(POP_DOMAIN, &secret.0.to_be_bytes()),
        ))
    }

    fn verify_possession(public_key: &InsecureKey, proof: &InsecureSignature) -> bool {
        proof.0
            == mul(
                public_key.0,
                hash_to_field(POP_DOMAIN, &public_key.0.to_be_bytes()),
            )
    }

    fn aggregate_signatures<'a, I>(signatures: I) -> Option<InsecureSignature>
    where
        I: IntoIterator<Item = &'a InsecureSignature>,
    {
        let mut iter = signatures.into_iter();
        let first = iter.next()?.0;
        Some(InsecureSignature(iter.fold(first, |acc, s| add(acc, s.0))))
    }

    fn aggregate_public_keys<'a, I>(keys: I) -> Option<InsecureKey>
    where
        I: IntoIterator<Item = &'a InsecureKey>,
    {
        let mut iter = keys.into_iter();
        let first = iter.next()?.0;
        Some(InsecureKey(iter.fold(first, |acc, k| add(acc, k.0))))
    }

    fn verify_batch(items: &[BatchItem<'_, Self>]) -> bool {
        items
            .iter()
            .all(|i| i.signature.0 == mul(i.public_key.0, hash_to_field(SIG_DOMAIN, i.message)))
    }

    fn encode_public_key(key: &InsecureKey, out: &mut Vec<u8>) {
        out.extend_from_slice(&key.0.to_be_bytes());
    }

    fn decode_public_key(bytes: &[u8]) -> Option<InsecureKey> {
        let v = u64::from_be_bytes(bytes.try_into().ok()?);
        (v != 0 && v < P).then_some(InsecureKey(v))
    }

    fn encode_signature(signature: &InsecureSignature, out: &mut Vec<u8>) {
        out.extend_from_slice(&signature.0.to_be_bytes());
    }

    fn decode_signature(bytes: &[u8]) -> Option<InsecureSignature> {
        let v = u64::from_be_bytes(bytes.try_into().ok()?);
        (v < P).then_some(InsecureSignature(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_arithmetic_matches_u128_reference() {
        for (a, b) in [(P - 1, P - 1), (12345, 67890), (0, 5), (1 << 60, 3)] {
            assert_eq!(
                u128::from(mul(a, b)),
                (u128::from(a) * u128::from(b)) % u128::from(P)
            );
            assert_eq!(
                u128::from(add(a, b)),
                (u128::from(a) + u128::from(b)) % u128::from(P)
            );
        }
    }

    #[test]
    fn behaves_like_an_aggregate_scheme() {
        type T = InsecureTestScheme;
        let sks: Vec<_> = (0..4u8)
            .map(|i| T::secret_key_from_seed(&[i; 32]))
            .collect();
        let pks: Vec<_> = sks.iter().map(T::public_key).collect();
        let sigs: Vec<_> = sks.iter().map(|s| T::sign(s, b"m")).collect();
        let agg = T::aggregate_signatures(&sigs).unwrap();
        let apk = T::aggregate_public_keys(&pks).unwrap();
        assert!(T::verify(&apk, b"m", &agg));
        assert!(!T::verify(&apk, b"n", &agg));
        assert!(!T::verify(&pks[0], b"m", &agg));
        assert!(T::verify_possession(&pks[0], &T::prove_possession(&sks[0])));
        assert!(!T::verify_possession(
            &pks[1],
            &T::prove_possession(&sks[0])
        ));
        let mut b = Vec::new();
        T::encode_signature(&agg, &mut b);
        assert_eq!(T::decode_signature(&b), Some(agg));
        assert_eq!(T::decode_signature(&u64::MAX.to_be_bytes()), None);
        assert_eq!(T::decode_public_key(&0u64.to_be_bytes()), None);
    }
}
