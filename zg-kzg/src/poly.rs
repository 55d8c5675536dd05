//! The generic KZG layer: commitments to coefficient or evaluation vectors of any power-of-two
//! size up to the setup, single-point openings, coset (multi-point) openings, and batch
//! verification. The EIP-4844 and EIP-7594 functions are thin byte-level wrappers over these.
//!
//! Conventions, as in the consensus specs:
//! - an *evaluation vector* of size `m` (a power of two, `m <= n`) holds `p(w^brp(i))` for the
//!   roots of unity `w` of order `m`, in **bit-reversed order**;
//! - a *coset* `h·<w_l>` of size `l` carries its evaluations at `h·w_l^brp(a)`, also
//!   bit-reversed;
//! - commitments and proofs are G1 points (`[p(s)]G1`), `s` the setup's secret.
//!
//! Formulas: a single opening proves `p(z) = y` with `pi = [q(s)]`, `q = (p - y)/(X - z)`, checked
//! by `e(C - [y] + z·pi, [1]) = e(pi, [s])`. A coset opening proves the `l` evaluations on
//! `h·<w_l>` with `pi = [q(s)]`, `q = (p - I)/(X^l - h^l)`, `I` the interpolant; many are checked
//! at once with the *universal verification equation* of the DAS spec
//! (`verify_cell_kzg_proof_batch_impl`):
//! `e(sum r^k pi_k, [s^l]) = e(sum_i w_i C_i - [sum r^k I_k(s)] + sum r^k h_k^l pi_k, [1])`.

use crate::Error;
use crate::fft::Domain;
use crate::field::{batch_inverse, powers};
use crate::msm::msm;
use crate::settings::KzgSettings;
use ark_bls12_381::{Fr, G1Affine, G1Projective};
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use ark_ff::{Field, One, Zero};

/// One claimed evaluation `p(z) = y` of the polynomial committed in `commitment`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Opening {
    /// `[p(s)]G1`.
    pub commitment: G1Affine,
    /// Evaluation point.
    pub z: Fr,
    /// Claimed value `p(z)`.
    pub y: Fr,
    /// `[(p - y)/(X - z)](s)`.
    pub proof: G1Affine,
}

/// Claimed evaluations of the polynomial committed in `commitments[commitment_index]` on the
/// coset `shift·<w_l>` (`l = evals.len()`), bit-reversed order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CosetOpening {
    /// Index into the commitment list passed alongside.
    pub commitment_index: usize,
    /// The coset shift `h`.
    pub shift: Fr,
    /// `p(h·w_l^brp(a))` for `a < l`.
    pub evals: Vec<Fr>,
    /// `[(p - I)/(X^l - h^l)](s)`.
    pub proof: G1Affine,
}

fn check_size(m: usize, n: usize) -> Result<(), Error> {
    if !m.is_power_of_two() {
        return Err(Error::UnsupportedSize {
            size: m,
            reason: "must be a power of two",
        });
    }
    if m > n {
        return Err(Error::UnsupportedSize {
            size: m,
            reason: "larger than the trusted setup",
        });
    }
    Ok(())
}

impl KzgSettings {
    /// `[p(s)]G1` for `p = sum coeffs[i] X^i` (at most `n` coefficients).
    pub fn commit_coefficients(&self, coeffs: &[Fr]) -> Result<G1Affine, Error> {
        if coeffs.len() > self.size() {
            return Err(Error::UnsupportedSize {
                size: coeffs.len(),
                reason: "more coefficients than the setup",
            });
        }
        Ok(msm(&self.setup.g1_monomial, coeffs).into_affine())
    }

    /// Commitment to the polynomial of degree `< m` with the given evaluation vector
    /// (`m = evals.len()`, a power of two `<= n`, bit-reversed order). For `m = n` this is the
    /// spec's `g1_lincomb(bit_reversal_permutation(KZG_SETUP_G1_LAGRANGE), evals)`.
    pub fn commit_evaluations(&self, evals: &[Fr]) -> Result<G1Affine, Error> {
        let m = evals.len();
        check_size(m, self.size())?;
        if m == self.size() {
            return Ok(self.commit_lagrange_brp(evals).into_affine());
        }
        let coeffs = evaluations_to_coefficients(evals);
        self.commit_coefficients(&coeffs)
    }

    pub(crate) fn commit_lagrange_brp(&self, evals: &[Fr]) -> G1Projective {
        match &self.lagrange_table {
            Some(t) => t.msm(evals),
            None => msm(&self.g1_lagrange_brp, evals),
        }
    }

    /// Opens `p = sum coeffs[i] X^i` at `z`: returns `(p(z), proof)`.
    pub fn open_coefficients(&self, coeffs: &[Fr], z: Fr) -> Result<(Fr, G1Affine), Error> {
        if coeffs.len() > self.size() {
            return Err(Error::UnsupportedSize {
                size: coeffs.len(),
                reason: "more coefficients than the setup",
            });
        }
        // Synthetic division of p - p(z) by X - z: q_{i-1} = p_i + z q_i.
        let mut q = vec![Fr::zero(); coeffs.len().saturating_sub(1)];
        let mut acc = Fr::zero();
        for i in (0..coeffs.len()).rev() {
            acc = acc * z + coeffs[i];
            if i > 0 {
                q[i - 1] = acc;
            }
        }
        Ok((acc, msm(&self.setup.g1_monomial, &q).into_affine()))
    }

    /// Opens the polynomial with evaluation vector `evals` (bit-reversed, power-of-two size
    /// `<= n`) at `z`: returns `(p(z), proof)`. For `m = n` the quotient is computed in
    /// evaluation form as in the spec's `compute_kzg_proof_impl`, including the special case of
    /// `z` in the domain.
    pub fn open_evaluations(&self, evals: &[Fr], z: Fr) -> Result<(Fr, G1Affine), Error> {
        let m = evals.len();
        check_size(m, self.size())?;
        if m != self.size() {
            return self.open_coefficients(&evaluations_to_coefficients(evals), z);
        }
        let (y, q) = quotient_in_evaluation_form(evals, &self.roots_brp, z);
        Ok((y, self.commit_lagrange_brp(&q).into_affine()))
    }

    /// Checks one opening: `e(C - [y] + z·pi, [1]) = e(pi, [s])` (spec `verify_kzg_proof_impl`).
    pub fn verify_opening(&self, o: &Opening) -> bool {
        let lhs = o.commitment.into_group() - G1Projective::generator() * o.y + o.proof * o.z;
        crate::curve::pairings_equal(&lhs.into_affine(), self.g2(0), &o.proof, self.g2(1))
    }

    /// Checks many openings with one pairing equation and a random linear combination whose
    /// coefficient is derived from all inputs (Fiat–Shamir). Empty input verifies.
    pub fn verify_openings_batch(&self, openings: &[Opening]) -> bool {
        let mut t = Transcript::new(b"zg-kzg openings batch v1");
        for o in openings {
            t.point(&o.commitment);
            t.scalar(&o.z);
            t.scalar(&o.y);
            t.point(&o.proof);
        }
        self.verify_openings_batch_with(openings, t.challenge())
    }

    /// Spec `verify_kzg_proof_batch` with the challenge `r` given:
    /// `e(sum r^i pi_i, [s]) = e(sum r^i (C_i - [y_i]) + sum r^i z_i pi_i, [1])`.
    pub(crate) fn verify_openings_batch_with(&self, openings: &[Opening], r: Fr) -> bool {
        if openings.is_empty() {
            return true;
        }
        let n = openings.len();
        let rp = powers(r, n);
        let proofs: Vec<G1Affine> = openings.iter().map(|o| o.proof).collect();
        let lhs = msm(&proofs, &rp);
        let mut bases = Vec::with_capacity(2 * n + 1);
        let mut scalars = Vec::with_capacity(2 * n + 1);
        let mut y_sum = Fr::zero();
        for (o, r_i) in openings.iter().zip(&rp) {
            bases.push(o.commitment);
            scalars.push(*r_i);
            bases.push(o.proof);
            scalars.push(*r_i * o.z);
            y_sum += *r_i * o.y;
        }
        bases.push(G1Affine::generator());
        scalars.push(-y_sum);
        let rhs = msm(&bases, &scalars);
        crate::curve::pairings_equal(
            &lhs.into_affine(),
            self.g2(1),
            &rhs.into_affine(),
            self.g2(0),
        )
    }

    /// Checks coset openings against their commitments with the universal verification
    /// equation; the challenge is derived from all inputs (Fiat–Shamir). All openings must have
    /// the same power-of-two size `l` with `[s^l]G2` in the setup. Empty input verifies.
    pub fn verify_coset_openings_batch(
        &self,
        commitments: &[G1Affine],
        openings: &[CosetOpening],
    ) -> Result<bool, Error> {
        let mut t = Transcript::new(b"zg-kzg coset openings batch v1");
        t.u64(commitments.len() as u64);
        for c in commitments {
            t.point(c);
        }
        for o in openings {
            t.u64(o.commitment_index as u64);
            t.scalar(&o.shift);
            t.u64(o.evals.len() as u64);
            for e in &o.evals {
                t.scalar(e);
            }
            t.point(&o.proof);
        }
        self.verify_coset_openings_batch_with(commitments, openings, t.challenge())
    }

    /// The universal verification equation with the challenge `r` given (spec
    /// `verify_cell_kzg_proof_batch_impl`, steps 2–5).
    pub(crate) fn verify_coset_openings_batch_with(
        &self,
        commitments: &[G1Affine],
        openings: &[CosetOpening],
        r: Fr,
    ) -> Result<bool, Error> {
        let Some(first) = openings.first() else {
            return Ok(true);
        };
        let l = first.evals.len();
        if !l.is_power_of_two() || l > self.size() || self.setup.g2_len() <= l {
            return Err(Error::UnsupportedSize {
                size: l,
                reason: "coset size needs [s^l]G2 in the setup",
            });
        }
        if openings.iter().any(|o| o.evals.len() != l) {
            return Err(Error::LengthMismatch {
                what: "coset openings of different sizes",
            });
        }
        if let Some(o) = openings
            .iter()
            .find(|o| o.commitment_index >= commitments.len())
        {
            return Err(Error::UnsupportedSize {
                size: o.commitment_index,
                reason: "commitment index out of range",
            });
        }
        let k = openings.len();
        // Step 1: r^0 .. r^(k-1).
        let rp = powers(r, k);
        // Step 2: LL = sum r^k pi_k.
        let proofs: Vec<G1Affine> = openings.iter().map(|o| o.proof).collect();
        let ll = msm(&proofs, &rp);
        // Step 4.1: weights[i] = sum of r^k over the openings of commitment i.
        let mut weights = vec![Fr::zero(); commitments.len()];
        for (o, r_k) in openings.iter().zip(&rp) {
            weights[o.commitment_index] += r_k;
        }
        // Step 4.2: sum_k r^k I_k in coefficient form. I_k(h Y) = J_k(Y) with J_k the inverse
        // FFT of the bit-reversed evaluations, so I_k's coefficient t is J_k[t] h^-t.
        let dom = Domain::new(l);
        let mut interp = vec![Fr::zero(); l];
        let mut shifts_inv: Vec<Fr> = openings.iter().map(|o| o.shift).collect();
        batch_inverse(&mut shifts_inv);
        let mut buf = vec![Fr::zero(); l];
        for ((o, r_k), h_inv) in openings.iter().zip(&rp).zip(&shifts_inv) {
            buf.copy_from_slice(&o.evals);
            dom.ifft_from_brp(&mut buf);
            let mut f = *r_k;
            for (acc, c) in interp.iter_mut().zip(&buf) {
                *acc += *c * f;
                f *= h_inv;
            }
        }
        // Step 4.3 and 4.4: RL = RLC - RLI + RLP as one MSM.
        let mut bases = Vec::with_capacity(commitments.len() + k + l);
        let mut scalars = Vec::with_capacity(commitments.len() + k + l);
        bases.extend_from_slice(commitments);
        scalars.extend_from_slice(&weights);
        for ((o, r_k), p) in openings.iter().zip(&rp).zip(&proofs) {
            bases.push(*p);
            scalars.push(*r_k * o.shift.pow([l as u64]));
        }
        bases.extend_from_slice(&self.setup.g1_monomial[..l]);
        scalars.extend(interp.iter().map(|c| -*c));
        let rl = msm(&bases, &scalars);
        // Step 5: e(LL, [s^l]) = e(RL, [1]).
        Ok(crate::curve::pairings_equal(
            &ll.into_affine(),
            self.g2(l),
            &rl.into_affine(),
            self.g2(0),
        ))
    }
}

/// Coefficients of the polynomial with bit-reversed evaluation vector `evals`
/// (spec `polynomial_eval_to_coeff`).
pub fn evaluations_to_coefficients(evals: &[Fr]) -> Vec<Fr> {
    let mut c = evals.to_vec();
    if c.len().is_power_of_two() {
        Domain::new(c.len()).ifft_from_brp(&mut c);
    }
    c
}

/// Bit-reversed evaluation vector of size `m` (a power of two `>= coeffs.len()`) of the
/// polynomial with the given coefficients.
pub fn coefficients_to_evaluations(coeffs: &[Fr], m: usize) -> Result<Vec<Fr>, Error> {
    if !m.is_power_of_two() || coeffs.len() > m {
        return Err(Error::UnsupportedSize {
            size: m,
            reason: "must be a power of two >= the number of coefficients",
        });
    }
    let mut v = coeffs.to_vec();
    v.resize(m, Fr::zero());
    Domain::new(m).fft_to_brp(&mut v);
    Ok(v)
}

/// Spec `evaluate_polynomial_in_evaluation_form` (barycentric formula) for a bit-reversed
/// evaluation vector over `roots_brp`.
pub(crate) fn evaluate_in_evaluation_form(evals: &[Fr], roots_brp: &[Fr], z: Fr) -> Fr {
    let n = evals.len();
    if let Some(i) = roots_brp.iter().position(|w| *w == z) {
        return evals[i];
    }
    // f(z) = (z^n - 1)/n * sum f_i w_i / (z - w_i)
    let mut den: Vec<Fr> = roots_brp.iter().map(|w| z - w).collect();
    batch_inverse(&mut den);
    let mut sum = Fr::zero();
    for ((f, w), d) in evals.iter().zip(roots_brp).zip(&den) {
        sum += *f * w * d;
    }
    let factor = (z.pow([n as u64]) - Fr::one()) * Fr::from(n as u64).inverse().unwrap_or_default();
    sum * factor
}

/// `(p(z), q)` with `q = (p - p(z))/(X - z)` in evaluation form (spec `compute_kzg_proof_impl`
/// and `compute_quotient_eval_within_domain`).
pub(crate) fn quotient_in_evaluation_form(evals: &[Fr], roots_brp: &[Fr], z: Fr) -> (Fr, Vec<Fr>) {
    let y = evaluate_in_evaluation_form(evals, roots_brp, z);
    let mut den: Vec<Fr> = roots_brp.iter().map(|w| *w - z).collect();
    let in_domain = den.iter().position(Zero::is_zero);
    batch_inverse(&mut den);
    let mut q: Vec<Fr> = evals.iter().zip(&den).map(|(f, d)| (*f - y) * d).collect();
    if let Some(m) = in_domain {
        // q(w_m) = sum_{i != m} (f_i - y) w_i / (z (z - w_i)); den[i] = 1/(w_i - z) here.
        let z_inv = z.inverse().unwrap_or_default();
        let mut acc = Fr::zero();
        for (i, ((f, w), d)) in evals.iter().zip(roots_brp).zip(&den).enumerate() {
            if i != m {
                acc -= (*f - y) * w * d;
            }
        }
        q[m] = acc * z_inv;
    }
    (y, q)
}

/// A SHA-256 Fiat–Shamir transcript for the generic layer's batch checks.
pub(crate) struct Transcript(sha2::Sha256);

impl Transcript {
    pub(crate) fn new(label: &[u8]) -> Self {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(label);
        Self(h)
    }
    pub(crate) fn bytes(&mut self, b: &[u8]) {
        use sha2::Digest;
        self.0.update(b);
    }
    pub(crate) fn u64(&mut self, v: u64) {
        self.bytes(&v.to_be_bytes());
    }
    pub(crate) fn scalar(&mut self, x: &Fr) {
        self.bytes(&crate::field::fr_to_be_bytes(x));
    }
    pub(crate) fn point(&mut self, p: &G1Affine) {
        self.bytes(&crate::curve::g1_to_bytes(p));
    }
    pub(crate) fn challenge(self) -> Fr {
        use sha2::Digest;
        crate::field::fr_from_digest(&self.0.finalize().into())
    }
}
