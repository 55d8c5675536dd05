//! Scalar-field helpers: canonical big-endian encoding, hashing to the field, roots of unity and
//! the bit-reversal permutation ([deneb polynomial-commitments], "Helper functions").
//!
//! [deneb polynomial-commitments]: https://github.com/ethereum/consensus-specs/blob/dev/specs/deneb/polynomial-commitments.md

use ark_bls12_381::Fr;
use ark_ff::{BigInt, BigInteger, Field, One, PrimeField};

/// `PRIMITIVE_ROOT_OF_UNITY` of the spec: every root of unity is a power of 7.
const PRIMITIVE_ROOT_OF_UNITY: u64 = 7;

/// `bytes_to_bls_field`: a big-endian 32-byte integer, rejected (not reduced) when `>= r`.
pub(crate) fn fr_from_be_bytes(bytes: &[u8; 32]) -> Option<Fr> {
    let (words, _) = bytes.as_chunks::<8>();
    let mut limbs = [0u64; 4];
    for (limb, word) in limbs.iter_mut().rev().zip(words) {
        *limb = u64::from_be_bytes(*word);
    }
    // `from_bigint` returns `None` for integers >= r: the explicit canonicality check.
    Fr::from_bigint(BigInt::new(limbs))
}

/// `bls_field_to_bytes`: canonical big-endian encoding.
pub(crate) fn fr_to_be_bytes(x: &Fr) -> [u8; 32] {
    let limbs = x.into_bigint().0;
    let mut out = [0u8; 32];
    for (chunk, limb) in out
        .as_chunks_mut::<8>()
        .0
        .iter_mut()
        .zip(limbs.iter().rev())
    {
        *chunk = limb.to_be_bytes();
    }
    out
}

/// `hash_to_bls_field` reduction step: a 32-byte digest read big-endian, reduced mod r.
pub(crate) fn fr_from_digest(digest: &[u8; 32]) -> Fr {
    Fr::from_be_bytes_mod_order(digest)
}

/// Decodes `n` consecutive 32-byte big-endian field elements, naming the first bad one.
pub(crate) fn frs_from_be_bytes(bytes: &[u8], out: &mut Vec<Fr>) -> Result<(), crate::Error> {
    let (chunks, rest) = bytes.as_chunks::<32>();
    debug_assert!(rest.is_empty());
    out.reserve(chunks.len());
    for (index, chunk) in chunks.iter().enumerate() {
        out.push(fr_from_be_bytes(chunk).ok_or(crate::Error::NonCanonicalFieldElement { index })?);
    }
    Ok(())
}

/// A primitive `order`-th root of unity, `7^((r - 1) / order)` (spec `compute_roots_of_unity`).
/// `order` must be a power of two dividing `2^32`.
pub(crate) fn primitive_root_of_unity(order: usize) -> Fr {
    debug_assert!(order.is_power_of_two() && order.trailing_zeros() <= 32);
    let mut exp = Fr::MODULUS;
    exp.sub_with_borrow(&BigInt::one());
    exp >>= order.trailing_zeros();
    Fr::from(PRIMITIVE_ROOT_OF_UNITY).pow(exp)
}

/// `[1, x, x^2, ..., x^(n-1)]` (spec `compute_powers`).
pub(crate) fn powers(x: Fr, n: usize) -> Vec<Fr> {
    let mut out = Vec::with_capacity(n);
    let mut cur = Fr::one();
    for _ in 0..n {
        out.push(cur);
        cur *= x;
    }
    out
}

/// `reverse_bits(i, n)` for `n` a power of two.
pub(crate) fn reverse_bits(i: usize, n: usize) -> usize {
    debug_assert!(n.is_power_of_two() && i < n);
    if n == 1 {
        return 0;
    }
    i.reverse_bits() >> (usize::BITS - n.trailing_zeros())
}

/// In-place `bit_reversal_permutation` of a power-of-two-long slice.
pub(crate) fn bit_reverse_permute<T>(v: &mut [T]) {
    let n = v.len();
    debug_assert!(n.is_power_of_two());
    for i in 0..n {
        let j = reverse_bits(i, n);
        if i < j {
            v.swap(i, j);
        }
    }
}

/// The roots of unity of `order`, in bit-reversed order.
pub(crate) fn roots_of_unity_brp(order: usize) -> Vec<Fr> {
    let mut r = powers(primitive_root_of_unity(order), order);
    bit_reverse_permute(&mut r);
    r
}

/// Montgomery's trick: replaces every non-zero element by its inverse with one inversion.
/// Zero elements stay zero.
pub(crate) fn batch_inverse(v: &mut [Fr]) {
    ark_ff::fields::batch_inversion(v);
}

/// A uniformly random field element from a seeded generator (tests only).
#[cfg(test)]
pub(crate) fn random_fr(rng: &mut impl rand_core::Rng) -> Fr {
    let mut b = [0u8; 64];
    rng.fill_bytes(&mut b);
    Fr::from_le_bytes_mod_order(&b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::Zero;

    #[test]
    fn be_round_trip_and_rejects_modulus() {
        let x = Fr::from(0x0102_0304_0506_0708u64) * Fr::from(u64::MAX);
        assert_eq!(fr_from_be_bytes(&fr_to_be_bytes(&x)), Some(x));
        // r itself and 2^256 - 1 are rejected, r - 1 accepted.
        let r_bytes = {
            let mut b = [0u8; 32];
            for (chunk, limb) in b
                .as_chunks_mut::<8>()
                .0
                .iter_mut()
                .zip(Fr::MODULUS.0.iter().rev())
            {
                *chunk = limb.to_be_bytes();
            }
            b
        };
        assert_eq!(fr_from_be_bytes(&r_bytes), None);
        assert_eq!(fr_from_be_bytes(&[0xff; 32]), None);
        let mut r_minus_1 = r_bytes;
        r_minus_1[31] -= 1;
        assert_eq!(fr_from_be_bytes(&r_minus_1), Some(-Fr::one()));
        assert_eq!(fr_from_be_bytes(&[0; 32]), Some(Fr::zero()));
    }

    #[test]
    fn roots_have_exact_order() {
        for order in [1usize, 2, 64, 128, 4096, 8192] {
            let w = primitive_root_of_unity(order);
            assert_eq!(w.pow([order as u64]), Fr::one());
            if order > 1 {
                assert_ne!(w.pow([order as u64 / 2]), Fr::one());
            }
        }
    }

    #[test]
    fn brp_is_an_involution() {
        let mut v: Vec<usize> = (0..64).collect();
        bit_reverse_permute(&mut v);
        assert_eq!(v[1], 32);
        assert_eq!(v[3], 48);
        bit_reverse_permute(&mut v);
        assert_eq!(v, (0..64).collect::<Vec<_>>());
        assert_eq!(reverse_bits(0, 1), 0);
    }
}
