//! BLS on BN254 as 0G's chain (`crypto/bn254util`, `x/dasigners`) does it.
//!
//! Signatures and message points are in G1, public keys in G1 and G2. Points travel as the
//! chain's bytes: G1 as `X‖Y`, G2 as `X.A0‖X.A1‖Y.A0‖Y.A1`, each coordinate a 32-byte big-endian
//! integer, the point at infinity as all zeros.

use super::{Error, Fr, G1Affine, G2Affine};
use ark_bn254::{Bn254, Fq, Fq2, G1Projective, G2Projective};
use ark_ec::pairing::Pairing;
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use ark_ff::{BigInteger, Field, One, PrimeField, Zero};

/// Bytes of a G1 point: `X‖Y`.
pub const G1_BYTES: usize = 64;
/// Bytes of a G2 point: `X.A0‖X.A1‖Y.A0‖Y.A1`.
pub const G2_BYTES: usize = 128;

/// Try-and-increment stops after this many candidates (each fails with probability about 1/2;
/// the chain itself loops without bound).
const MAP_TO_G1_TRIES: u32 = 1 << 16;

/// The chain's `MapToCurve`: `x = digest mod p` (big-endian); while `β = x³ + 3` has no square
/// root, `x += 1`; the point is `(x, β^((p+1)/4))`, the root Go's `ModSqrt` returns (not
/// normalised to the smaller of `±y`). BN254 G1 has cofactor 1, so the point is in G1.
pub fn map_to_g1(digest: &[u8; 32]) -> Result<G1Affine, Error> {
    let mut exp = Fq::MODULUS;
    exp.add_with_carry(&ark_ff::BigInt::from(1u64));
    exp.div2();
    exp.div2();
    let three = Fq::from(3u64);
    let mut x = Fq::from_be_bytes_mod_order(digest);
    for _ in 0..MAP_TO_G1_TRIES {
        let beta = x.square() * x + three;
        let y = beta.pow(exp);
        if y.square() == beta {
            return Ok(G1Affine::new_unchecked(x, y));
        }
        x += Fq::one();
    }
    Err(Error::HashToCurveExhausted)
}

fn chain_id_word(chain_id: u64) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[24..].copy_from_slice(&chain_id.to_be_bytes());
    w
}

/// `PubkeyRegistrationHash`: `MapToG1(keccak(account(20) ‖ chainId as 32 B BE ‖
/// "0G_BN254_Pubkey_Registration"))`, the message a new signer signs once.
pub fn pubkey_registration_hash(account: &[u8; 20], chain_id: u64) -> Result<G1Affine, Error> {
    let digest = zg_core::keccak256_parts(&[
        account,
        &chain_id_word(chain_id),
        b"0G_BN254_Pubkey_Registration",
    ]);
    map_to_g1(&digest.0)
}

/// `EpochRegistrationHash`: `MapToG1(keccak(account(20) ‖ epoch u64 BE ‖ chainId 32 B BE))`, the
/// message a signer signs to join `epoch`.
pub fn epoch_registration_hash(
    account: &[u8; 20],
    epoch: u64,
    chain_id: u64,
) -> Result<G1Affine, Error> {
    let digest =
        zg_core::keccak256_parts(&[account, &epoch.to_be_bytes(), &chain_id_word(chain_id)]);
    map_to_g1(&digest.0)
}

fn fq_to_be(x: &Fq) -> [u8; 32] {
    let mut out = [0u8; 32];
    let be = x.into_bigint().to_bytes_be();
    out[32 - be.len()..].copy_from_slice(&be);
    out
}

fn fq_from_be(bytes: &[u8]) -> Result<Fq, Error> {
    let x = Fq::from_be_bytes_mod_order(bytes);
    // Canonical only: re-encoding must give the same bytes (rejects values ≥ p).
    if fq_to_be(&x).as_slice() != bytes {
        return Err(Error::InvalidEncoding);
    }
    Ok(x)
}

/// A G1 point as the chain serialises it (`SerializeG1`).
pub fn g1_to_bytes(p: &G1Affine) -> [u8; G1_BYTES] {
    let mut out = [0u8; G1_BYTES];
    if let Some((x, y)) = p.xy() {
        out[..32].copy_from_slice(&fq_to_be(&x));
        out[32..].copy_from_slice(&fq_to_be(&y));
    }
    out
}

/// A G2 point as the chain serialises it (`SerializeG2`).
pub fn g2_to_bytes(p: &G2Affine) -> [u8; G2_BYTES] {
    let mut out = [0u8; G2_BYTES];
    if let Some((x, y)) = p.xy() {
        out[..32].copy_from_slice(&fq_to_be(&x.c0));
        out[32..64].copy_from_slice(&fq_to_be(&x.c1));
        out[64..96].copy_from_slice(&fq_to_be(&y.c0));
        out[96..].copy_from_slice(&fq_to_be(&y.c1));
    }
    out
}

/// Decodes a G1 point. Stricter than the chain's `DeserializeG1` (which reduces coordinates
/// modulo `p` and checks nothing): coordinates must be canonical and the point on the curve;
/// all zeros is the point at infinity.
pub fn g1_from_bytes(bytes: &[u8]) -> Result<G1Affine, Error> {
    if bytes.len() != G1_BYTES {
        return Err(Error::InvalidLength {
            expected: G1_BYTES,
            got: bytes.len(),
        });
    }
    if bytes.iter().all(|&b| b == 0) {
        return Ok(G1Affine::identity());
    }
    let p = G1Affine::new_unchecked(fq_from_be(&bytes[..32])?, fq_from_be(&bytes[32..])?);
    if !p.is_on_curve() || !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(Error::InvalidEncoding);
    }
    Ok(p)
}

/// Decodes a G2 point: canonical coordinates, on the curve, in the prime-order subgroup; all zeros
/// is the point at infinity.
pub fn g2_from_bytes(bytes: &[u8]) -> Result<G2Affine, Error> {
    if bytes.len() != G2_BYTES {
        return Err(Error::InvalidLength {
            expected: G2_BYTES,
            got: bytes.len(),
        });
    }
    if bytes.iter().all(|&b| b == 0) {
        return Ok(G2Affine::identity());
    }
    let x = Fq2::new(fq_from_be(&bytes[..32])?, fq_from_be(&bytes[32..64])?);
    let y = Fq2::new(fq_from_be(&bytes[64..96])?, fq_from_be(&bytes[96..])?);
    let p = G2Affine::new_unchecked(x, y);
    if !p.is_on_curve() || !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(Error::InvalidEncoding);
    }
    Ok(p)
}

/// The chain's `Gamma`: `keccak(H ‖ sig ‖ pkG1 ‖ pkG2) mod r`, points in the chain's bytes.
pub fn gamma(hash: &G1Affine, sig: &G1Affine, pk_g1: &G1Affine, pk_g2: &G2Affine) -> Fr {
    let digest = zg_core::keccak256_parts(&[
        &g1_to_bytes(hash),
        &g1_to_bytes(sig),
        &g1_to_bytes(pk_g1),
        &g2_to_bytes(pk_g2),
    ]);
    Fr::from_be_bytes_mod_order(&digest.0)
}

/// The chain's same-message check (`Signer.ValidateSignature`, and the contract's aggregate
/// check): `e(sig + γ·pkG1, −G2) · e(H + γ·G1, pkG2) = 1` with `γ` from [`gamma`]. It proves
/// `sig = sk·H` and `pkG1 = sk·G1` for the `sk` of `pkG2` in one product of two pairings.
pub fn verify_same_message(
    hash: &G1Affine,
    sig: &G1Affine,
    pk_g1: &G1Affine,
    pk_g2: &G2Affine,
) -> Result<(), Error> {
    let g = gamma(hash, sig, pk_g1, pk_g2);
    let left = (G1Projective::from(*sig) + *pk_g1 * g).into_affine();
    let right = (G1Projective::from(*hash) + G1Projective::generator() * g).into_affine();
    let neg_g2 = (-G2Projective::generator()).into_affine();
    let out = Bn254::multi_pairing([left, right], [neg_g2, *pk_g2]);
    if out.0.is_one() {
        Ok(())
    } else {
        Err(Error::InvalidSignature)
    }
}

/// A BN254 BLS secret key (zeroised on drop).
pub struct SecretKey(Fr);

impl SecretKey {
    /// The key of scalar `sk` (non-zero, canonical, 32 bytes big-endian).
    pub fn from_be_bytes(bytes: &[u8; 32]) -> Result<Self, Error> {
        let sk = Fr::from_be_bytes_mod_order(bytes);
        let mut back = [0u8; 32];
        let be = sk.into_bigint().to_bytes_be();
        back[32 - be.len()..].copy_from_slice(&be);
        if sk.is_zero() || &back != bytes {
            return Err(Error::InvalidEncoding);
        }
        Ok(SecretKey(sk))
    }

    /// The public key in G1, `sk·G1`.
    pub fn public_g1(&self) -> G1Affine {
        (G1Projective::generator() * self.0).into_affine()
    }

    /// The public key in G2, `sk·G2`.
    pub fn public_g2(&self) -> G2Affine {
        (G2Projective::generator() * self.0).into_affine()
    }

    /// Signs a message point: `sk·H`.
    pub fn sign(&self, hash: &G1Affine) -> G1Affine {
        (*hash * self.0).into_affine()
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl core::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}
