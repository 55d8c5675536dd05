//! Batch verification of many TAI proofs sharing one multiscalar multiplication.
//!
//! # Why a second proof form
//!
//! RFC 9381's challenge `c` is a hash of `U = s·B − c·Y` and `V = s·H − c·Gamma`, so a verifier
//! of the 80-byte proof must compute `U` and `V` one proof at a time: nothing can be shared.
//! The prover already has `U` and `V`. A [`BatchableProof`] is the standard proof `pi` followed
//! by three 32-byte *hints*: the encodings of `Gamma/8`, `U/8` and `V/8` (eighths taken in the
//! prime-order group, `8^-1 mod q`). Its first 80 bytes are the standard proof, so converting is
//! free; [`crate::SecretKey::prove_batchable`] makes both at the cost of one extra field
//! inversion.
//!
//! # The check
//!
//! For each item the verifier decodes the hints, multiplies them by 8 to get `Gamma`, `U`, `V`
//! (points in the prime-order subgroup, whatever the hints were), computes `H`, encodes all
//! points with one shared field inversion, and checks the hash equations exactly:
//! `point_to_string(Gamma)` equals the proof's `gamma_string`, and
//! `c = ECVRF_challenge_generation(Y, H, Gamma, U, V)` (RFC 9381 §5.4.3). What remains are the
//! two linear relations `U = s·B − c·Y` and `V = s·H − c·Gamma` for every item. They are
//! checked together as one random linear combination, a single variable-time multiscalar
//! multiplication of `5n + 1` points:
//!
//! ```text
//! Σ_i z_i·(c_i·Y_i + U_i − s_i·B) + w_i·(c_i·Gamma_i + V_i − s_i·H_i) == identity
//! ```
//!
//! with independent 128-bit weights `z_i`, `w_i`. If the sum is not the identity the set is
//! split in halves and each half is checked again; sets of at most [`LEAF_SIZE`] items are
//! verified one by one with the plain RFC 9381 verifier, so the result tells exactly which
//! proofs are bad.
//!
//! # Security argument
//!
//! *Exactness.* A batch never accepts a proof the RFC verifier rejects (except with probability
//! at most 2^-128 per check), and never rejects one it accepts: any item that fails a batch
//! check ends up verified alone by [`crate::Suite::verify`]. The result for every item is
//! therefore the RFC 9381 verdict on its 80-byte proof; the hints only make it faster. A
//! proof whose hints are wrong but whose `pi` is valid is reported valid.
//!
//! *Soundness of the combination.* All points in the sum lie in the prime-order subgroup:
//! `B`; `H` (a cofactor multiple by construction, §5.4.1); `Gamma`, `U`, `V` (8 times a decoded
//! point); and `Y`, because the batch only takes keys for which [`crate::PublicKey::is_prime_order`]
//! holds (a one-time check per key, cached; keys made by [`crate::SecretKey`] always pass, and
//! items with other keys are verified alone). So every per-item error term
//! `E_i = c_i·Y_i + U_i − s_i·B` (and `F_i` likewise) is an element of a group of prime order
//! `q`. If some `E_j ≠ 0`, then for any fixed values of all other weights at most one residue of
//! `z_j` mod `q` makes the sum vanish, and `z_j` is uniform over `2^128 < q` values: the
//! probability of a false accept is at most `2^-128`. (Without the multiplication by 8 a proof
//! could hide an error of order 2 that a random weight cancels half of the time.)
//!
//! *Weights.* No global randomness: the caller passes a 32-byte seed, which should be fresh and
//! unpredictable to the provers. The weights are derived by hashing the seed with the whole
//! batch (keys, inputs, proofs), Fiat–Shamir style, so even a seed the adversary knows does not
//! let it choose proofs after seeing the weights: every change to a proof re-draws all weights,
//! and each try succeeds with probability at most `2^-128`.
//!
//! # Cost
//!
//! Per item: three hint decodings and the hash to curve (about five field square roots with
//! try-and-increment), five points in the shared Pippenger multiscalar multiplication (two of
//! them with 128-bit scalars), a few SHA-512 blocks; the inversions for encoding are shared.
//! Single verification pays about three square roots and two double-scalar multiplications,
//! so on one core a batch costs roughly half of verifying one by one: curve25519-dalek only
//! builds points through square-root decompression, so the square roots are a floor no batch
//! arrangement removes. With the `parallel` feature the per-item work and the multiscalar
//! multiplication are spread over the rayon pool.

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use sha2::{Digest, Sha512};

use crate::ecvrf::{
    C_LEN, PROOF_LEN, beta_from_cofactor_gamma, challenge, challenge_scalar, encode_to_curve,
    is_canonical_point_encoding,
};
use crate::{Error, Output, Proof, PublicKey, Suite};

/// Length of a [`BatchableProof`]: the 80-byte proof and three 32-byte hints.
pub const BATCHABLE_PROOF_LEN: usize = PROOF_LEN + 3 * 32;

/// Sets of at most this many items are verified one by one while bisecting.
pub const LEAF_SIZE: usize = 2;

/// Domain separation of the weight derivation.
const WEIGHTS_DOMAIN: &[u8] = b"zg-vrf/batch-weights/v1";

/// A TAI proof `pi` with the hints `Gamma/8 || U/8 || V/8` that make batch verification
/// possible (see the [module docs](self)). 176 bytes; the first 80 are the RFC 9381 proof.
#[derive(Clone, PartialEq, Eq)]
pub struct BatchableProof {
    bytes: [u8; BATCHABLE_PROOF_LEN],
}

impl BatchableProof {
    /// Wraps 176 bytes. Nothing is decoded yet (batch verification decodes what it needs);
    /// use [`BatchableProof::proof`] to decode the standard part.
    pub fn from_bytes(bytes: &[u8; BATCHABLE_PROOF_LEN]) -> Self {
        BatchableProof { bytes: *bytes }
    }

    /// Wraps a slice of exactly [`BATCHABLE_PROOF_LEN`] bytes.
    ///
    /// # Errors
    /// [`Error::InvalidLength`].
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        let arr: &[u8; BATCHABLE_PROOF_LEN] =
            bytes.try_into().map_err(|_| Error::InvalidLength {
                what: "batchable proof",
                expected: BATCHABLE_PROOF_LEN,
                got: bytes.len(),
            })?;
        Ok(BatchableProof::from_bytes(arr))
    }

    /// The 176 bytes.
    pub fn as_bytes(&self) -> &[u8; BATCHABLE_PROOF_LEN] {
        &self.bytes
    }

    /// The standard 80-byte proof string `pi`.
    pub fn pi(&self) -> &[u8; PROOF_LEN] {
        self.bytes[..PROOF_LEN]
            .try_into()
            .unwrap_or(&[0u8; PROOF_LEN])
    }

    /// The standard proof, decoded (RFC 9381 §5.4.4).
    ///
    /// # Errors
    /// [`Error::MalformedProof`].
    pub fn proof(&self) -> Result<Proof, Error> {
        Proof::from_bytes(self.pi())
    }

    fn hint(&self, i: usize) -> [u8; 32] {
        let mut h = [0u8; 32];
        h.copy_from_slice(&self.bytes[PROOF_LEN + 32 * i..PROOF_LEN + 32 * (i + 1)]);
        h
    }
}

impl std::fmt::Debug for BatchableProof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BatchableProof(")?;
        for b in &self.bytes {
            write!(f, "{b:02x}")?;
        }
        write!(f, ")")
    }
}

/// One proof to verify in a batch.
#[derive(Clone, Copy, Debug)]
pub struct BatchItem<'a> {
    /// The prover's public key.
    pub public_key: &'a PublicKey,
    /// The VRF input `alpha`.
    pub alpha: &'a [u8],
    /// The proof with its hints.
    pub proof: &'a BatchableProof,
}

/// What one item contributes to the combined check, once its hash equations held.
struct Prepared {
    index: usize,
    y: EdwardsPoint,
    h: EdwardsPoint,
    gamma: EdwardsPoint,
    u: EdwardsPoint,
    v: EdwardsPoint,
    c: Scalar,
    s: Scalar,
    z: Scalar,
    w: Scalar,
    beta: Output,
}

/// Verifies many TAI proofs at once (see the [module docs](self)); returns, for each item in
/// order, exactly what [`Suite::verify`] would return for its 80-byte proof: `Ok(beta)` or the
/// error.
///
/// `seed` feeds the random weights: pass 32 fresh bytes from a CSPRNG the provers cannot
/// predict. Cost: one multiscalar multiplication over all valid items, plus a logarithmic
/// number of smaller ones per bad item.
pub fn verify_batch(items: &[BatchItem<'_>], seed: &[u8; 32]) -> Vec<Result<Output, Error>> {
    let mut results: Vec<Option<Result<Output, Error>>> = vec![None; items.len()];
    let weights = derive_weights(items, seed);

    // Per item: decode, multiply hints by 8, compute H. Items that cannot take part are
    // verified alone.
    let mut staged: Vec<(usize, [EdwardsPoint; 4], Scalar)> = Vec::with_capacity(items.len());
    let indices: Vec<usize> = (0..items.len()).collect();
    for (i, st) in map(&indices, |&i| stage(&items[i])).into_iter().enumerate() {
        match st {
            Staged::Ready(points, s) => staged.push((i, points, s)),
            Staged::Single => results[i] = Some(verify_single(&items[i])),
            Staged::Done(r) => results[i] = Some(r),
        }
    }

    // One shared inversion (per chunk of items) for every encoding: H, Gamma, U, V and
    // 8·Gamma of each item.
    let encoded: Vec<Vec<CompressedEdwardsY>> = map_chunks(&staged, COMPRESS_CHUNK, |chunk| {
        let mut pts = Vec::with_capacity(chunk.len() * 5);
        for (_, [h, gamma, u, v], _) in chunk {
            pts.extend_from_slice(&[*h, *gamma, *u, *v, gamma.mul_by_cofactor()]);
        }
        EdwardsPoint::compress_batch_alloc(&pts)
    });
    let encoded: Vec<CompressedEdwardsY> = encoded.into_iter().flatten().collect();

    // The hash equations: Gamma's encoding is pi's, and c = challenge(Y, H, Gamma, U, V).
    let checked = map(&staged, |(i, [h, gamma, u, v], s)| {
        let pos = staged_position(&staged, *i);
        let enc = &encoded[5 * pos..5 * pos + 5];
        let item = &items[*i];
        let pi = item.proof.pi();
        let c_bytes = &pi[32..32 + C_LEN];
        let c_prime = challenge(
            Suite::Tai,
            item.public_key.as_bytes(),
            enc[0].as_bytes(),
            enc[1].as_bytes(),
            enc[2].as_bytes(),
            enc[3].as_bytes(),
        );
        if enc[1].as_bytes()[..] != pi[..32] || c_prime[..] != c_bytes[..] {
            return None;
        }
        let (z, w) = weights[*i];
        Some(Prepared {
            index: *i,
            y: *item.public_key.point(),
            h: *h,
            gamma: *gamma,
            u: *u,
            v: *v,
            c: challenge_scalar(c_bytes),
            s: *s,
            z,
            w,
            beta: beta_from_cofactor_gamma(Suite::Tai, enc[4].as_bytes()),
        })
    });
    let mut prepared = Vec::with_capacity(staged.len());
    for ((i, _, _), p) in staged.iter().zip(checked) {
        match p {
            Some(p) => prepared.push(p),
            None => results[*i] = Some(verify_single(&items[*i])),
        }
    }

    check_or_bisect(items, &prepared, &mut results);
    results
        .into_iter()
        .map(|r| r.unwrap_or(Err(Error::InvalidProof)))
        .collect()
}

/// Items per shared field inversion (and per parallel task) when encoding points.
const COMPRESS_CHUNK: usize = 128;

/// Position of item `i` in `staged` (sorted by item index).
fn staged_position(staged: &[(usize, [EdwardsPoint; 4], Scalar)], i: usize) -> usize {
    staged.partition_point(|(j, _, _)| *j < i)
}

/// `xs.iter().map(f)`, on the rayon pool with the `parallel` feature.
fn map<T: Sync, U: Send>(xs: &[T], f: impl Fn(&T) -> U + Sync + Send) -> Vec<U> {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        xs.par_iter().map(f).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        xs.iter().map(f).collect()
    }
}

/// `xs.chunks(n).map(f)`, on the rayon pool with the `parallel` feature.
fn map_chunks<T: Sync, U: Send>(xs: &[T], n: usize, f: impl Fn(&[T]) -> U + Sync + Send) -> Vec<U> {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        xs.par_chunks(n).map(f).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        xs.chunks(n).map(f).collect()
    }
}

// The large variant is the common one and lives on the stack briefly; boxing it would cost an
// allocation per item.
#[allow(clippy::large_enum_variant)]
enum Staged {
    Ready([EdwardsPoint; 4], Scalar),
    Single,
    Done(Result<Output, Error>),
}

fn stage(item: &BatchItem<'_>) -> Staged {
    if !item.public_key.is_prime_order() {
        return Staged::Single;
    }
    let pi = item.proof.pi();
    let mut s_bytes = [0u8; 32];
    s_bytes.copy_from_slice(&pi[32 + C_LEN..]);
    let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes)) else {
        return Staged::Single;
    };
    let mut hints = [EdwardsPoint::default(); 3];
    for (k, slot) in hints.iter_mut().enumerate() {
        let bytes = item.proof.hint(k);
        match decode_hint(&bytes) {
            Some(p) => *slot = p.mul_by_cofactor(),
            None => return Staged::Single,
        }
    }
    let h = match encode_to_curve(Suite::Tai, item.public_key.as_bytes(), item.alpha) {
        Ok(h) => h,
        Err(e) => return Staged::Done(Err(e)),
    };
    let [gamma, u, v] = hints;
    Staged::Ready([h, gamma, u, v], s)
}

fn decode_hint(bytes: &[u8; 32]) -> Option<EdwardsPoint> {
    if !is_canonical_point_encoding(bytes) {
        return None;
    }
    CompressedEdwardsY(*bytes).decompress()
}

fn verify_single(item: &BatchItem<'_>) -> Result<Output, Error> {
    let proof = item.proof.proof()?;
    Suite::Tai.verify(item.public_key, item.alpha, &proof)
}

/// The combined check over `set`; on failure, halves until [`LEAF_SIZE`].
fn check_or_bisect(
    items: &[BatchItem<'_>],
    set: &[Prepared],
    results: &mut [Option<Result<Output, Error>>],
) {
    if set.is_empty() {
        return;
    }
    if set.len() <= LEAF_SIZE {
        for p in set {
            results[p.index] = Some(verify_single(&items[p.index]));
        }
        return;
    }
    if combined_check(set) {
        for p in set {
            results[p.index] = Some(Ok(p.beta));
        }
        return;
    }
    let (left, right) = set.split_at(set.len() / 2);
    check_or_bisect(items, left, results);
    check_or_bisect(items, right, results);
}

/// `Σ z·(c·Y + U − s·B) + w·(c·Gamma + V − s·H) == identity`, as one vartime MSM (one per
/// rayon thread with the `parallel` feature, summed).
fn combined_check(set: &[Prepared]) -> bool {
    #[cfg(feature = "parallel")]
    let parts = rayon::current_num_threads().clamp(1, set.len().div_ceil(64).max(1));
    #[cfg(not(feature = "parallel"))]
    let parts = 1;
    let sums = map_chunks(set, set.len().div_ceil(parts).max(1), partial_sum);
    sums.iter().sum::<EdwardsPoint>().is_identity()
}

fn partial_sum(set: &[Prepared]) -> EdwardsPoint {
    let mut scalars = Vec::with_capacity(5 * set.len() + 1);
    let mut points = Vec::with_capacity(5 * set.len() + 1);
    let mut b_coeff = Scalar::ZERO;
    for p in set {
        b_coeff -= p.z * p.s;
        scalars.extend_from_slice(&[p.z * p.c, p.z, p.w * p.c, p.w, -(p.w * p.s)]);
        points.extend_from_slice(&[p.y, p.u, p.gamma, p.v, p.h]);
    }
    scalars.push(b_coeff);
    points.push(curve25519_dalek::constants::ED25519_BASEPOINT_POINT);
    EdwardsPoint::vartime_multiscalar_mul(scalars, points)
}

/// `(z_i, w_i)`: 128-bit weights from `SHA-512(domain || seed || transcript)`, expanded per
/// item with its index.
fn derive_weights(items: &[BatchItem<'_>], seed: &[u8; 32]) -> Vec<(Scalar, Scalar)> {
    let mut t = Sha512::new()
        .chain_update(WEIGHTS_DOMAIN)
        .chain_update(seed)
        .chain_update((items.len() as u64).to_le_bytes());
    for item in items {
        t.update(item.public_key.as_bytes());
        t.update((item.alpha.len() as u64).to_le_bytes());
        t.update(item.alpha);
        t.update(item.proof.as_bytes());
    }
    let transcript = t.finalize();
    (0..items.len() as u64)
        .map(|i| {
            let d = Sha512::new()
                .chain_update(transcript)
                .chain_update(i.to_le_bytes())
                .finalize();
            let mut z = [0u8; 16];
            let mut w = [0u8; 16];
            z.copy_from_slice(&d[..16]);
            w.copy_from_slice(&d[16..32]);
            (
                Scalar::from(u128::from_le_bytes(z)),
                Scalar::from(u128::from_le_bytes(w)),
            )
        })
        .collect()
}

#[cfg(test)]
// Test data is built from small loop indices.
#[allow(clippy::cast_possible_truncation)]
mod tests {
    use super::*;
    use crate::SecretKey;
    use crate::ecvrf::INV8_BYTES;
    use curve25519_dalek::constants::EIGHT_TORSION;

    /// A forgery that passes every hash check (c is the hash of the U and V it carries) but
    /// not the linear relations: only the combined check can catch it.
    fn forge(sk: &SecretKey, alpha: &[u8], r: u64) -> BatchableProof {
        let pk = sk.public_key();
        let honest = sk.prove_batchable(alpha).unwrap();
        let h = encode_to_curve(Suite::Tai, pk.as_bytes(), alpha).unwrap();
        let h_s = h.compress();
        let inv8 = Scalar::from_bytes_mod_order(INV8_BYTES);
        let (ru, rv) = (Scalar::from(r + 1), Scalar::from(r + 1000));
        let u = EdwardsPoint::mul_base(&ru);
        let v = h * rv;
        let gamma_bytes: [u8; 32] = honest.pi()[..32].try_into().unwrap();
        let c = challenge(
            Suite::Tai,
            pk.as_bytes(),
            h_s.as_bytes(),
            &gamma_bytes,
            u.compress().as_bytes(),
            v.compress().as_bytes(),
        );
        let s = Scalar::from(r * 7 + 3);
        let mut b = *honest.as_bytes();
        b[32..48].copy_from_slice(&c);
        b[48..80].copy_from_slice(s.as_bytes());
        b[112..144].copy_from_slice(EdwardsPoint::mul_base(&(ru * inv8)).compress().as_bytes());
        b[144..176].copy_from_slice((h * (rv * inv8)).compress().as_bytes());
        BatchableProof::from_bytes(&b)
    }

    #[test]
    fn forgeries_passing_the_hash_checks_are_caught_by_the_combined_check() {
        let n = 50;
        let sks: Vec<SecretKey> = (0..n)
            .map(|i| SecretKey::from_bytes(&[i as u8 + 1; 32]))
            .collect();
        let alpha = b"seed || role".to_vec();
        let mut proofs: Vec<BatchableProof> = sks
            .iter()
            .map(|k| k.prove_batchable(&alpha).unwrap())
            .collect();
        let bad = [0usize, 17, 18, 49];
        for &i in &bad {
            proofs[i] = forge(&sks[i], &alpha, i as u64);
        }
        let pks: Vec<PublicKey> = sks.iter().map(|k| k.public_key().clone()).collect();
        let items: Vec<BatchItem<'_>> = (0..n)
            .map(|i| BatchItem {
                public_key: &pks[i],
                alpha: &alpha,
                proof: &proofs[i],
            })
            .collect();
        // Hash checks pass for the forgeries, so they reach the combined check.
        let staged = items
            .iter()
            .filter(|it| matches!(stage(it), Staged::Ready(..)))
            .count();
        assert_eq!(staged, n);
        let out = verify_batch(&items, &[3u8; 32]);
        for i in 0..n {
            assert_eq!(out[i].is_err(), bad.contains(&i), "item {i}");
            assert_eq!(out[i], verify_single(&items[i]), "item {i}");
        }
    }

    #[test]
    fn key_with_torsion_gets_the_single_verdict() {
        // A key Y' = x·B + T (T of order 8) with proofs made by hand: RFC 9381 accepts such a
        // proof exactly when c·T = 0, i.e. c ≡ 0 mod 8. The batch must agree either way.
        let sk = SecretKey::from_bytes(&[77u8; 32]);
        let x = sk.secret_scalar();
        let y = sk.public_key().point() + EIGHT_TORSION[1];
        let pk = PublicKey::from_bytes(&y.compress().to_bytes()).unwrap();
        assert!(!pk.is_prime_order());
        let inv8 = Scalar::from_bytes_mod_order(INV8_BYTES);
        let mut seen = [false; 2];
        let mut proofs = Vec::new();
        let mut alphas = Vec::new();
        for j in 0u32..64 {
            let alpha = j.to_le_bytes().to_vec();
            let h = encode_to_curve(Suite::Tai, pk.as_bytes(), &alpha).unwrap();
            let k = Scalar::from(u64::from(j) + 99);
            let (gamma, u, v) = (h * x, EdwardsPoint::mul_base(&k), h * k);
            let c = challenge(
                Suite::Tai,
                pk.as_bytes(),
                h.compress().as_bytes(),
                gamma.compress().as_bytes(),
                u.compress().as_bytes(),
                v.compress().as_bytes(),
            );
            let s = k + challenge_scalar(&c) * x;
            let mut b = [0u8; BATCHABLE_PROOF_LEN];
            b[..32].copy_from_slice(gamma.compress().as_bytes());
            b[32..48].copy_from_slice(&c);
            b[48..80].copy_from_slice(s.as_bytes());
            b[80..112].copy_from_slice((h * (x * inv8)).compress().as_bytes());
            b[112..144].copy_from_slice(EdwardsPoint::mul_base(&(k * inv8)).compress().as_bytes());
            b[144..176].copy_from_slice((h * (k * inv8)).compress().as_bytes());
            seen[usize::from(c[0].is_multiple_of(8))] = true;
            proofs.push(BatchableProof::from_bytes(&b));
            alphas.push(alpha);
        }
        assert!(seen[0] && seen[1], "need both verdicts among the samples");
        let items: Vec<BatchItem<'_>> = (0..proofs.len())
            .map(|i| BatchItem {
                public_key: &pk,
                alpha: &alphas[i],
                proof: &proofs[i],
            })
            .collect();
        let out = verify_batch(&items, &[5u8; 32]);
        for (i, item) in items.iter().enumerate() {
            let c0 = item.proof.pi()[32];
            assert_eq!(out[i].is_ok(), c0.is_multiple_of(8), "item {i}");
            assert_eq!(out[i], verify_single(item));
        }
    }

    #[test]
    fn weights_depend_on_seed_and_every_item() {
        let sk = SecretKey::from_bytes(&[1u8; 32]);
        let p1 = sk.prove_batchable(b"a").unwrap();
        let p2 = sk.prove_batchable(b"b").unwrap();
        let mk = |p: &'static BatchableProof| BatchItem {
            public_key: sk.public_key(),
            alpha: b"a",
            proof: p,
        };
        let p1: &'static BatchableProof = Box::leak(Box::new(p1));
        let p2: &'static BatchableProof = Box::leak(Box::new(p2));
        let w1 = derive_weights(&[mk(p1), mk(p1)], &[0u8; 32]);
        let w2 = derive_weights(&[mk(p1), mk(p2)], &[0u8; 32]);
        let w3 = derive_weights(&[mk(p1), mk(p1)], &[1u8; 32]);
        assert_ne!(w1[0].0, w2[0].0);
        assert_ne!(w1[0].0, w3[0].0);
        assert_ne!(w1[0].0, w1[1].0);
        assert_ne!(w1[0].0, w1[0].1);
    }
}
