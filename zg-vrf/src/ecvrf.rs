//! ECVRF-EDWARDS25519-SHA512-TAI and -ELL2: RFC 9381 §5, ciphersuites 0x03 and 0x04 (§5.5).
//!
//! Notation follows the RFC: `B` is the edwards25519 base point, `q` its prime order, `x` the
//! secret scalar, `Y = x·B` the public key, `H` the hash of the input to the curve,
//! `Gamma = x·H`, and the proof is `pi = point_to_string(Gamma) || c (16 bytes) || s (32 bytes)`.
//!
//! Encodings are strict RFC 8032 §5.1.3: a point string with `y ≥ p`, or with `x = 0` and the
//! sign bit set, is not a point (curve25519-dalek alone would accept both), and a scalar `s ≥ q`
//! is not a scalar. Because only canonical strings are accepted, `point_to_string(Y)` is the
//! public key string itself and `point_to_string(Gamma)` is the first 32 bytes of `pi`: the
//! verifier never re-encodes them.

use std::fmt;
use std::sync::OnceLock;

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::{Scalar, clamp_integer};
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use rand_core::CryptoRng;
use sha2::{Digest, Sha512};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::Error;

/// Length of a secret key (the RFC 8032 seed), in bytes.
pub const SECRET_KEY_LEN: usize = 32;
/// Length of a public key string, in bytes (`ptLen`).
pub const PUBLIC_KEY_LEN: usize = 32;
/// Length of a proof string `pi`, in bytes (`ptLen + cLen + qLen`).
pub const PROOF_LEN: usize = 80;
/// Length of a VRF output `beta`, in bytes (`hLen`, SHA-512).
pub const OUTPUT_LEN: usize = 64;
/// Length of the challenge `c`, in bytes (`cLen`).
pub(crate) const C_LEN: usize = 16;

/// A VRF output `beta` (RFC 9381 §5.2): 64 uniformly distributed bytes.
pub type Output = [u8; OUTPUT_LEN];

/// `8^-1 mod q`, little-endian: maps a point `P` of order `q` to `P/8`, so that `8·(P/8) = P`.
pub(crate) const INV8_BYTES: [u8; 32] = [
    0x79, 0x2f, 0xdc, 0xe2, 0x29, 0xe5, 0x06, 0x61, 0xd0, 0xda, 0x1c, 0x7d, 0xb3, 0x9d, 0xd3, 0x07,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06,
];

/// `h2c_suite_ID_string` of ECVRF-EDWARDS25519-SHA512-ELL2 (RFC 9381 §5.5) followed by the
/// RFC 9381 §5.4.1.2 domain separation tag layout `"ECVRF_" || h2c_suite_ID || suite_string`.
const ELL2_DST: &[u8] = b"ECVRF_edwards25519_XMD:SHA-512_ELL2_NU_\x04";

/// An ECVRF ciphersuite over edwards25519 with SHA-512 (RFC 9381 §5.5).
///
/// The suites differ only in `ECVRF_encode_to_curve`; keys are shared, proofs are not.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Suite {
    /// ECVRF-EDWARDS25519-SHA512-TAI, `suite_string = 0x03`: try-and-increment
    /// (RFC 9381 §5.4.1.1). The suite the rest of this crate uses.
    #[default]
    Tai,
    /// ECVRF-EDWARDS25519-SHA512-ELL2, `suite_string = 0x04`: RFC 9380 hash-to-curve
    /// `edwards25519_XMD:SHA-512_ELL2_NU_` (RFC 9381 §5.4.1.2).
    Ell2,
}

impl Suite {
    /// The one-octet `suite_string`.
    pub const fn suite_string(self) -> u8 {
        match self {
            Suite::Tai => 0x03,
            Suite::Ell2 => 0x04,
        }
    }

    /// `ECVRF_prove(SK, alpha_string)` (RFC 9381 §5.1) in this suite.
    ///
    /// # Errors
    /// [`Error::HashToCurveFailed`] with probability about 2^-256 (TAI only).
    pub fn prove(self, sk: &SecretKey, alpha: &[u8]) -> Result<Proof, Error> {
        Ok(prove_inner(self, sk, alpha, false)?.0)
    }

    /// `ECVRF_verify(PK_string, alpha_string, pi_string)` (RFC 9381 §5.3) with
    /// `validate_key = TRUE`, on an already validated key and decoded proof.
    ///
    /// Returns `beta_string` on success.
    ///
    /// # Errors
    /// [`Error::InvalidProof`] if the proof does not verify.
    pub fn verify(self, pk: &PublicKey, alpha: &[u8], proof: &Proof) -> Result<Output, Error> {
        // §5.3 step 7: H = ECVRF_encode_to_curve(encode_to_curve_salt = PK_string, alpha).
        let h = encode_to_curve(self, &pk.bytes, alpha)?;
        // Step 8: U = s·B − c·Y (variable time: everything here is public). Computed as
        // s·B + c·(−Y), not s·B + (−c mod q)·Y: the two differ by q·Y when Y has a torsion
        // component (RFC 9381 accepts such keys), and the RFC means the integer c.
        let u = EdwardsPoint::vartime_double_scalar_mul_basepoint(&proof.c, &-pk.point, &proof.s);
        // Step 9: V = s·H − c·Gamma, likewise with −Gamma (H is in the prime-order group).
        let v = EdwardsPoint::vartime_multiscalar_mul([proof.s, proof.c], [h, -proof.gamma]);
        // One field inversion for the four encodings step 10 and §5.2 need.
        let [h_s, u_s, v_s, g8_s] =
            EdwardsPoint::compress_batch(&[h, u, v, proof.gamma.mul_by_cofactor()]);
        // Step 10: c' = ECVRF_challenge_generation(Y, H, Gamma, U, V).
        let c_prime = challenge(
            self,
            &pk.bytes,
            h_s.as_bytes(),
            proof.gamma_bytes(),
            u_s.as_bytes(),
            v_s.as_bytes(),
        );
        // Step 11: compare (public values; no constant-time comparison needed).
        if c_prime != *proof.c_bytes() {
            return Err(Error::InvalidProof);
        }
        Ok(beta_from_cofactor_gamma(self, g8_s.as_bytes()))
    }

    /// `ECVRF_verify` on byte strings: decodes and validates the public key (§5.4.5), decodes
    /// the proof (§5.4.4), then verifies (§5.3).
    ///
    /// # Errors
    /// [`Error::InvalidPublicKey`], [`Error::MalformedProof`] or [`Error::InvalidProof`].
    pub fn verify_bytes(
        self,
        pk: &[u8; PUBLIC_KEY_LEN],
        alpha: &[u8],
        pi: &[u8; PROOF_LEN],
    ) -> Result<Output, Error> {
        let pk = PublicKey::from_bytes(pk)?;
        let proof = Proof::from_bytes(pi)?;
        self.verify(&pk, alpha, &proof)
    }

    /// `ECVRF_proof_to_hash(pi_string)` (RFC 9381 §5.2) of a decoded proof.
    ///
    /// This does not verify the proof: only call it on a proof that [`Suite::verify`] accepted
    /// (or that you made).
    pub fn proof_to_hash(self, proof: &Proof) -> Output {
        let g8 = proof.gamma.mul_by_cofactor().compress();
        beta_from_cofactor_gamma(self, g8.as_bytes())
    }
}

/// `ECVRF_prove` in the TAI suite (RFC 9381 §5.1): `pi` for `alpha` under `sk`.
///
/// # Errors
/// [`Error::HashToCurveFailed`] with probability about 2^-256.
pub fn ecvrf_prove(sk: &SecretKey, alpha: &[u8]) -> Result<Proof, Error> {
    Suite::Tai.prove(sk, alpha)
}

/// `ECVRF_verify` in the TAI suite (RFC 9381 §5.3, `validate_key = TRUE`) on byte strings.
/// Returns `beta` if `pi` is a valid proof for `alpha` under `pk`.
///
/// # Errors
/// [`Error::InvalidPublicKey`], [`Error::MalformedProof`] or [`Error::InvalidProof`].
pub fn ecvrf_verify(
    pk: &[u8; PUBLIC_KEY_LEN],
    pi: &[u8; PROOF_LEN],
    alpha: &[u8],
) -> Result<Output, Error> {
    Suite::Tai.verify_bytes(pk, alpha, pi)
}

/// `ECVRF_proof_to_hash` in the TAI suite (RFC 9381 §5.2) on a proof string.
///
/// Decodes `pi` (§5.4.4) but does not verify it.
///
/// # Errors
/// [`Error::MalformedProof`] if `pi` does not decode.
pub fn ecvrf_proof_to_hash(pi: &[u8; PROOF_LEN]) -> Result<Output, Error> {
    Ok(Suite::Tai.proof_to_hash(&Proof::from_bytes(pi)?))
}

/// An ECVRF secret key: the 32-byte RFC 8032 seed and what RFC 8032 §5.1.5 derives from it.
///
/// Zeroized on drop. `Debug` does not print secret material. Not `Clone`: keep one copy.
pub struct SecretKey {
    seed: [u8; SECRET_KEY_LEN],
    /// `x = string_to_int(clamp(SHA-512(seed)[0..32])) mod q`.
    x: Scalar,
    /// `SHA-512(seed)[32..64]`, the nonce key of RFC 9381 §5.4.2.2.
    nonce_key: [u8; 32],
    public: PublicKey,
}

impl SecretKey {
    /// The key for a 32-byte seed (RFC 9381 §5.5: keys as in RFC 8032 §5.1.5).
    pub fn from_bytes(seed: &[u8; SECRET_KEY_LEN]) -> Self {
        let mut h: [u8; 64] = Sha512::digest(seed).into();
        let mut x_bytes = clamped_scalar_bytes(&h);
        // x·B only depends on x mod q, and so does x·H because H has order q (§5.4.1).
        let x = Scalar::from_bytes_mod_order(x_bytes);
        let mut nonce_key = [0u8; 32];
        nonce_key.copy_from_slice(&h[32..]);
        h.zeroize();
        x_bytes.zeroize();
        let point = EdwardsPoint::mul_base(&x);
        let public = PublicKey {
            bytes: point.compress().to_bytes(),
            point,
            prime_order: OnceLock::from(true),
        };
        SecretKey {
            seed: *seed,
            x,
            nonce_key,
            public,
        }
    }

    /// A fresh key from a cryptographic RNG the caller owns.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut seed = [0u8; SECRET_KEY_LEN];
        rng.fill_bytes(&mut seed);
        let sk = SecretKey::from_bytes(&seed);
        seed.zeroize();
        sk
    }

    /// The 32-byte seed (secret: handle with care).
    pub fn as_bytes(&self) -> &[u8; SECRET_KEY_LEN] {
        &self.seed
    }

    /// The public key `Y = x·B`.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    #[cfg(test)]
    pub(crate) fn secret_scalar(&self) -> Scalar {
        self.x
    }

    /// `ECVRF_prove` in the TAI suite; see [`Suite::prove`].
    ///
    /// # Errors
    /// [`Error::HashToCurveFailed`] with probability about 2^-256.
    pub fn prove(&self, alpha: &[u8]) -> Result<Proof, Error> {
        Suite::Tai.prove(self, alpha)
    }

    /// A TAI proof together with the hints that let many proofs be verified in one batch
    /// (see [`crate::batch`]). The proof is bit-identical to [`SecretKey::prove`]'s.
    ///
    /// # Errors
    /// [`Error::HashToCurveFailed`] with probability about 2^-256.
    pub fn prove_batchable(&self, alpha: &[u8]) -> Result<crate::BatchableProof, Error> {
        let (proof, hints) = prove_inner(Suite::Tai, self, alpha, true)?;
        let mut bytes = [0u8; crate::batch::BATCHABLE_PROOF_LEN];
        bytes[..PROOF_LEN].copy_from_slice(&proof.bytes);
        for (i, hint) in hints.iter().enumerate() {
            bytes[PROOF_LEN + 32 * i..PROOF_LEN + 32 * (i + 1)].copy_from_slice(hint);
        }
        Ok(crate::BatchableProof::from_bytes(&bytes))
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.seed.zeroize();
        self.x.zeroize();
        self.nonce_key.zeroize();
    }
}

impl ZeroizeOnDrop for SecretKey {}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

/// An ECVRF public key `Y` that passed RFC 9381 §5.4.5 `ECVRF_validate_key`: a canonical
/// encoding of a curve point that is not of small order.
///
/// Decoding costs one square root; keep decoded keys around (a stake table does).
#[derive(Clone)]
pub struct PublicKey {
    bytes: [u8; PUBLIC_KEY_LEN],
    point: EdwardsPoint,
    /// Whether `Y` lies in the prime-order subgroup, computed on first use by batch
    /// verification (a key made by [`SecretKey`] always does; RFC 9381 accepts keys that do not).
    prime_order: OnceLock<bool>,
}

impl PublicKey {
    /// `ECVRF_validate_key(PK_string)` (RFC 9381 §5.4.5): decodes and validates a key.
    ///
    /// # Errors
    /// [`Error::InvalidPublicKey`] if the string is not a canonical point encoding or the point
    /// has small order (`8·Y` is the identity).
    pub fn from_bytes(bytes: &[u8; PUBLIC_KEY_LEN]) -> Result<Self, Error> {
        // Steps 1–2: Y = string_to_point(PK_string).
        let point = string_to_point(bytes).ok_or(Error::InvalidPublicKey {
            reason: "not a canonical encoding of a curve point",
        })?;
        // Step 3: reject if cofactor·Y is the identity.
        if point.is_small_order() {
            return Err(Error::InvalidPublicKey {
                reason: "point of small order",
            });
        }
        Ok(PublicKey {
            bytes: *bytes,
            point,
            prime_order: OnceLock::new(),
        })
    }

    /// Decodes a key from a slice of exactly [`PUBLIC_KEY_LEN`] bytes.
    ///
    /// # Errors
    /// [`Error::InvalidLength`] or those of [`PublicKey::from_bytes`].
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        let arr: &[u8; PUBLIC_KEY_LEN] = bytes.try_into().map_err(|_| Error::InvalidLength {
            what: "public key",
            expected: PUBLIC_KEY_LEN,
            got: bytes.len(),
        })?;
        PublicKey::from_bytes(arr)
    }

    /// The 32-byte encoding `point_to_string(Y)`.
    pub fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LEN] {
        &self.bytes
    }

    /// `ECVRF_verify` in the TAI suite; see [`Suite::verify`].
    ///
    /// # Errors
    /// [`Error::InvalidProof`] if the proof does not verify.
    pub fn verify(&self, alpha: &[u8], proof: &Proof) -> Result<Output, Error> {
        Suite::Tai.verify(self, alpha, proof)
    }

    pub(crate) fn point(&self) -> &EdwardsPoint {
        &self.point
    }

    /// Whether `Y` is in the prime-order subgroup (computed once, about one scalar
    /// multiplication, then cached).
    pub fn is_prime_order(&self) -> bool {
        *self
            .prime_order
            .get_or_init(|| self.point.is_torsion_free())
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for PublicKey {}

impl std::hash::Hash for PublicKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.bytes.hash(state);
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey(")?;
        for b in &self.bytes {
            write!(f, "{b:02x}")?;
        }
        write!(f, ")")
    }
}

/// A proof string `pi` that passed RFC 9381 §5.4.4 `ECVRF_decode_proof`: `Gamma` is a
/// canonical point encoding and `s < q`. Whether it *verifies* is a separate question.
#[derive(Clone)]
pub struct Proof {
    bytes: [u8; PROOF_LEN],
    gamma: EdwardsPoint,
    c: Scalar,
    s: Scalar,
}

impl Proof {
    /// `ECVRF_decode_proof(pi_string)` (RFC 9381 §5.4.4).
    ///
    /// # Errors
    /// [`Error::MalformedProof`] if `Gamma` is not a canonical point encoding or `s ≥ q`.
    pub fn from_bytes(pi: &[u8; PROOF_LEN]) -> Result<Self, Error> {
        // Steps 1–3: split pi into gamma_string, c_string, s_string.
        let (gamma_s, rest) = pi.split_at(32);
        let (c_s, s_s) = rest.split_at(C_LEN);
        let mut gamma_bytes = [0u8; 32];
        gamma_bytes.copy_from_slice(gamma_s);
        let mut s_bytes = [0u8; 32];
        s_bytes.copy_from_slice(s_s);
        // Step 8 first (cheap): s = string_to_int(s_string); INVALID if s ≥ q.
        let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes)).ok_or(
            Error::MalformedProof {
                reason: "s is not a canonical scalar (s >= q)",
            },
        )?;
        // Steps 4–5: Gamma = string_to_point(gamma_string).
        let gamma = string_to_point(&gamma_bytes).ok_or(Error::MalformedProof {
            reason: "gamma is not a canonical encoding of a curve point",
        })?;
        // Step 6: c = string_to_int(c_string) (< 2^128 < q).
        let c = challenge_scalar(c_s);
        Ok(Proof {
            bytes: *pi,
            gamma,
            c,
            s,
        })
    }

    /// Decodes a proof from a slice of exactly [`PROOF_LEN`] bytes.
    ///
    /// # Errors
    /// [`Error::InvalidLength`] or those of [`Proof::from_bytes`].
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        let arr: &[u8; PROOF_LEN] = bytes.try_into().map_err(|_| Error::InvalidLength {
            what: "proof",
            expected: PROOF_LEN,
            got: bytes.len(),
        })?;
        Proof::from_bytes(arr)
    }

    /// The 80-byte proof string `pi`.
    pub fn as_bytes(&self) -> &[u8; PROOF_LEN] {
        &self.bytes
    }

    /// `ECVRF_proof_to_hash` in the TAI suite; see [`Suite::proof_to_hash`].
    pub fn proof_to_hash(&self) -> Output {
        Suite::Tai.proof_to_hash(self)
    }

    pub(crate) fn gamma_bytes(&self) -> &[u8; 32] {
        self.bytes[..32].try_into().unwrap_or(&[0u8; 32])
    }

    pub(crate) fn c_bytes(&self) -> &[u8; C_LEN] {
        self.bytes[32..32 + C_LEN]
            .try_into()
            .unwrap_or(&[0u8; C_LEN])
    }
}

impl PartialEq for Proof {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for Proof {}

impl fmt::Debug for Proof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Proof(")?;
        for b in &self.bytes {
            write!(f, "{b:02x}")?;
        }
        write!(f, ")")
    }
}

/// The RFC's prove, optionally also returning the batch hints `[Gamma/8, U/8, V/8]`.
fn prove_inner(
    suite: Suite,
    sk: &SecretKey,
    alpha: &[u8],
    batchable: bool,
) -> Result<(Proof, [[u8; 32]; 3]), Error> {
    // §5.1 step 1: x and Y come with the key.
    let y_bytes = &sk.public.bytes;
    // Step 2: H = ECVRF_encode_to_curve(encode_to_curve_salt = PK_string, alpha).
    let h = encode_to_curve(suite, y_bytes, alpha)?;
    // Step 3: h_string = point_to_string(H).
    let h_bytes = h.compress().to_bytes();
    // Step 5: k = ECVRF_nonce_generation(SK, h_string) (§5.4.2.2).
    let mut k = nonce_generation(&sk.nonce_key, &h_bytes);
    // Steps 4 and 6: Gamma = x·H, U = k·B, V = k·H (constant time: x and k are secret).
    let mut hints = [[0u8; 32]; 3];
    let (gamma_point, gamma, u, v) = if batchable {
        // Same points, computed as 8·((x/8)·H) etc. so the eighths come for free.
        let inv8 = Scalar::from_bytes_mod_order(INV8_BYTES);
        let mut x8 = sk.x * inv8;
        let mut k8 = k * inv8;
        let gt = h * x8;
        let ut = EdwardsPoint::mul_base(&k8);
        let vt = h * k8;
        x8.zeroize();
        k8.zeroize();
        let (gamma, u, v) = (
            gt.mul_by_cofactor(),
            ut.mul_by_cofactor(),
            vt.mul_by_cofactor(),
        );
        let [g_s, u_s, v_s, gt_s, ut_s, vt_s] =
            EdwardsPoint::compress_batch(&[gamma, u, v, gt, ut, vt]);
        hints = [gt_s.to_bytes(), ut_s.to_bytes(), vt_s.to_bytes()];
        (gamma, g_s, u_s, v_s)
    } else {
        let gamma = h * sk.x;
        let u = EdwardsPoint::mul_base(&k);
        let v = h * k;
        let [g_s, u_s, v_s] = EdwardsPoint::compress_batch(&[gamma, u, v]);
        (gamma, g_s, u_s, v_s)
    };
    // Step 6: c = ECVRF_challenge_generation(Y, H, Gamma, U, V).
    let c_bytes = challenge(
        suite,
        y_bytes,
        &h_bytes,
        gamma.as_bytes(),
        u.as_bytes(),
        v.as_bytes(),
    );
    let c = challenge_scalar(&c_bytes);
    // Step 7: s = (k + c·x) mod q.
    let mut cx = c * sk.x;
    let s = k + cx;
    cx.zeroize();
    k.zeroize();
    // Step 8: pi_string = point_to_string(Gamma) || int_to_string(c, cLen) || int_to_string(s, qLen).
    let mut bytes = [0u8; PROOF_LEN];
    bytes[..32].copy_from_slice(gamma.as_bytes());
    bytes[32..32 + C_LEN].copy_from_slice(&c_bytes);
    bytes[32 + C_LEN..].copy_from_slice(s.as_bytes());
    Ok((
        Proof {
            bytes,
            gamma: gamma_point,
            c,
            s,
        },
        hints,
    ))
}

/// RFC 8032 §5.1.5 step 2 on `SHA-512(seed)`: the clamped secret scalar, as bytes
/// (`string_to_int` of these is the RFC's `x`, before reduction mod q).
pub(crate) fn clamped_scalar_bytes(h: &[u8; 64]) -> [u8; 32] {
    let mut x = [0u8; 32];
    x.copy_from_slice(&h[..32]);
    clamp_integer(x)
}

/// `string_to_point` for edwards25519 (RFC 9381 §5.5, RFC 8032 §5.1.3), strict: rejects
/// `y ≥ p` and `x = 0` with the sign bit set, which curve25519-dalek's `decompress` accepts.
pub(crate) fn string_to_point(bytes: &[u8; 32]) -> Option<EdwardsPoint> {
    if !is_canonical_point_encoding(bytes) {
        return None;
    }
    CompressedEdwardsY(*bytes).decompress()
}

/// The two RFC 8032 §5.1.3 checks curve25519-dalek leaves out: step 1 (`y < p`) and step 4
/// (`x = 0` with `x_0 = 1`, which happens exactly for `y = ±1`).
pub(crate) fn is_canonical_point_encoding(b: &[u8; 32]) -> bool {
    let high = (b[31] & 0x7f) == 0x7f && b[1..31].iter().all(|&x| x == 0xff);
    // y ≥ p = 2^255 − 19 iff bytes 1..31 are all ones and byte 0 ≥ 0xed.
    if high && b[0] >= 0xed {
        return false;
    }
    if b[31] & 0x80 != 0 {
        let y_is_one = b[0] == 1 && (b[31] & 0x7f) == 0 && b[1..31].iter().all(|&x| x == 0);
        let y_is_minus_one = high && b[0] == 0xec;
        if y_is_one || y_is_minus_one {
            return false;
        }
    }
    true
}

/// `ECVRF_encode_to_curve(encode_to_curve_salt, alpha_string)` (RFC 9381 §5.4.1).
pub(crate) fn encode_to_curve(
    suite: Suite,
    salt: &[u8; 32],
    alpha: &[u8],
) -> Result<EdwardsPoint, Error> {
    match suite {
        Suite::Tai => hash_to_try_and_increment(salt, alpha).map(|(h, _)| h),
        Suite::Ell2 => Ok(EdwardsPoint::encode_to_curve::<Sha512>(
            &[salt, alpha],
            &[ELL2_DST],
        )),
    }
}

/// `ECVRF_encode_to_curve_try_and_increment` (RFC 9381 §5.4.1.1), also returning the counter.
pub(crate) fn hash_to_try_and_increment(
    salt: &[u8; 32],
    alpha: &[u8],
) -> Result<(EdwardsPoint, u8), Error> {
    // Steps 2–3: front = 0x01, back = 0x00, ctr = 0.
    let prefix = Sha512::new()
        .chain_update([Suite::Tai.suite_string(), 0x01])
        .chain_update(salt)
        .chain_update(alpha);
    // Step 4: ctr ranges over one octet; the loop ends with probability 1 − 2^-256.
    for ctr in 0..=u8::MAX {
        // 4a–4b: hash_string = Hash(suite || 0x01 || salt || alpha || ctr || 0x00).
        let hash = prefix.clone().chain_update([ctr, 0x00]).finalize();
        let mut candidate = [0u8; 32];
        candidate.copy_from_slice(&hash[..32]);
        // 4c: H = interpret_hash_value_as_a_point(hash_string) = string_to_point(first 32).
        if let Some(p) = string_to_point(&candidate) {
            // 4d: H = cofactor·H; the loop continues while H is INVALID or the identity.
            let h = p.mul_by_cofactor();
            if !h.is_identity() {
                return Ok((h, ctr));
            }
        }
    }
    Err(Error::HashToCurveFailed)
}

/// `ECVRF_nonce_generation_RFC8032` (RFC 9381 §5.4.2.2) given `SHA-512(SK)[32..64]`.
pub(crate) fn nonce_generation(nonce_key: &[u8; 32], h_bytes: &[u8; 32]) -> Scalar {
    // Step 3: k_string = Hash(truncated_hashed_sk_string || h_string).
    let mut k_string: [u8; 64] = Sha512::new()
        .chain_update(nonce_key)
        .chain_update(h_bytes)
        .finalize()
        .into();
    // Step 4: k = string_to_int(k_string) mod q.
    let k = Scalar::from_bytes_mod_order_wide(&k_string);
    k_string.zeroize();
    k
}

/// `ECVRF_challenge_generation(P1, …, P5)` (RFC 9381 §5.4.3) on point strings; returns the
/// `cLen = 16` bytes of `c_string` (little-endian `c`).
pub(crate) fn challenge(
    suite: Suite,
    p1: &[u8; 32],
    p2: &[u8; 32],
    p3: &[u8; 32],
    p4: &[u8; 32],
    p5: &[u8; 32],
) -> [u8; C_LEN] {
    // Steps 1–5: Hash(suite_string || 0x02 || P1 || … || P5 || 0x00).
    let digest = Sha512::new()
        .chain_update([suite.suite_string(), 0x02])
        .chain_update(p1)
        .chain_update(p2)
        .chain_update(p3)
        .chain_update(p4)
        .chain_update(p5)
        .chain_update([0x00])
        .finalize();
    // Step 6: truncate to cLen octets.
    let mut c = [0u8; C_LEN];
    c.copy_from_slice(&digest[..C_LEN]);
    c
}

/// `c = string_to_int(c_string)` for a 16-byte little-endian string.
pub(crate) fn challenge_scalar(c: &[u8]) -> Scalar {
    let mut wide = [0u8; 32];
    wide[..C_LEN].copy_from_slice(&c[..C_LEN.min(c.len())]);
    // c < 2^128 < q, so this is exact.
    Scalar::from_bytes_mod_order(wide)
}

/// RFC 9381 §5.2 steps 4–6 given `point_to_string(cofactor·Gamma)`.
pub(crate) fn beta_from_cofactor_gamma(suite: Suite, g8: &[u8; 32]) -> Output {
    Sha512::new()
        .chain_update([suite.suite_string(), 0x03])
        .chain_update(g8)
        .chain_update([0x00])
        .finalize()
        .into()
}

#[cfg(test)]
// Byte arithmetic on test data truncates on purpose.
#[allow(clippy::cast_possible_truncation)]
mod tests;
