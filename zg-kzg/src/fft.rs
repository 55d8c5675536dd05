//! Radix-2 FFTs over the roots of unity of `Fr`, for scalars and for G1 points.
//!
//! The spec keeps every evaluation vector in bit-reversed order ([deneb] "Bit-reversal
//! permutation"), so the two transforms used in the hot paths avoid explicit permutations:
//! [`Domain::fft_to_brp`] (decimation in frequency: natural-order input, bit-reversed output) and
//! [`Domain::ifft_from_brp`] (decimation in time: bit-reversed input, natural-order output). The
//! natural-order transforms of the spec's `fft_field` are those plus one permutation.
//!
//! [deneb]: https://github.com/ethereum/consensus-specs/blob/dev/specs/deneb/polynomial-commitments.md

use crate::field::{bit_reverse_permute, powers, primitive_root_of_unity};
use ark_bls12_381::{Fr, G1Projective};
use ark_ff::{Field, One};

/// Something an FFT can transform: a module over `Fr` (scalars, or G1 points).
pub(crate) trait FftElem: Copy + Send + Sync {
    /// `self + other`
    fn add(&self, other: &Self) -> Self;
    /// `self - other`
    fn sub(&self, other: &Self) -> Self;
    /// `self * w`
    fn scale(&self, w: &Fr) -> Self;
    /// `v[pos] *= twiddles[t]` for every `(pos, t)` of `at`. Points override it to batch the
    /// costly scalar multiplications of one butterfly stage.
    fn scale_at(v: &mut [Self], at: &[(usize, usize)], twiddles: &[Fr]) {
        for &(pos, t) in at {
            v[pos] = v[pos].scale(&twiddles[t]);
        }
    }
    /// Whether [`FftElem::scale_at`] is worth gathering a stage's products for.
    const BATCHED: bool = false;
}

impl FftElem for Fr {
    #[inline(always)]
    fn add(&self, other: &Self) -> Self {
        *self + other
    }
    #[inline(always)]
    fn sub(&self, other: &Self) -> Self {
        *self - other
    }
    #[inline(always)]
    fn scale(&self, w: &Fr) -> Self {
        *self * w
    }
}

impl FftElem for G1Projective {
    fn add(&self, other: &Self) -> Self {
        *self + other
    }
    fn sub(&self, other: &Self) -> Self {
        *self - other
    }
    fn scale(&self, w: &Fr) -> Self {
        crate::msm::mul(self, w)
    }
    fn scale_at(v: &mut [Self], at: &[(usize, usize)], twiddles: &[Fr]) {
        let points: Vec<G1Projective> = at.iter().map(|&(pos, _)| v[pos]).collect();
        let scalars: Vec<Fr> = at.iter().map(|&(_, t)| twiddles[t]).collect();
        for (&(pos, _), p) in at.iter().zip(crate::msm::mul_many(&points, &scalars)) {
            v[pos] = p;
        }
    }
    const BATCHED: bool = true;
}

/// The multiplicative subgroup of order `size` (a power of two) with its twiddle tables.
#[derive(Clone, Debug)]
pub(crate) struct Domain {
    size: usize,
    /// `w^i` for `i < size / 2`.
    twiddles: Vec<Fr>,
    /// `w^-i` for `i < size / 2`.
    inv_twiddles: Vec<Fr>,
    size_inv: Fr,
}

impl Domain {
    pub(crate) fn new(size: usize) -> Self {
        assert!(
            size.is_power_of_two(),
            "FFT domain size must be a power of two"
        );
        let w = primitive_root_of_unity(size);
        let half = (size / 2).max(1);
        let winv = w.inverse().unwrap_or_else(Fr::one);
        Self {
            size,
            twiddles: powers(w, half),
            inv_twiddles: powers(winv, half),
            size_inv: Fr::from(size as u64).inverse().unwrap_or_else(Fr::one),
        }
    }

    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// Evaluations at `w^brp(i)` from coefficients (natural order in, bit-reversed out).
    pub(crate) fn fft_to_brp<T: FftElem>(&self, v: &mut [T]) {
        assert_eq!(v.len(), self.size);
        dif(v, &self.twiddles);
    }

    /// Coefficients from evaluations at `w^brp(i)` (bit-reversed in, natural out).
    pub(crate) fn ifft_from_brp<T: FftElem>(&self, v: &mut [T]) {
        assert_eq!(v.len(), self.size);
        dit(v, &self.inv_twiddles);
        for x in v.iter_mut() {
            *x = x.scale(&self.size_inv);
        }
    }

    /// Unscaled inverse transform (bit-reversed in, natural out), for callers that fold the
    /// `1/n` factor into other scalars.
    pub(crate) fn ifft_from_brp_unscaled<T: FftElem>(&self, v: &mut [T]) {
        assert_eq!(v.len(), self.size);
        dit(v, &self.inv_twiddles);
    }

    /// Spec `fft_field(vals, roots)`: natural order in and out.
    #[cfg(test)]
    pub(crate) fn fft<T: FftElem>(&self, v: &mut [T]) {
        self.fft_to_brp(v);
        bit_reverse_permute(v);
    }

    /// Spec `fft_field(vals, roots, inv=True)`: natural order in and out.
    pub(crate) fn ifft<T: FftElem>(&self, v: &mut [T]) {
        bit_reverse_permute(v);
        self.ifft_from_brp(v);
    }
}

/// The non-trivial twiddle products of one stage: `(position in hi half, twiddle index)`.
fn stage_products(n: usize, half: usize) -> Vec<(usize, usize)> {
    let stride = n / (2 * half);
    (0..n / (2 * half))
        .flat_map(|b| (1..half).map(move |j| (b * 2 * half + half + j, j * stride)))
        .collect()
}

/// Gentleman–Sande butterflies: natural-order input, bit-reversed output.
fn dif<T: FftElem>(v: &mut [T], twiddles: &[Fr]) {
    let n = v.len();
    let mut half = n / 2;
    while half >= 1 {
        if T::BATCHED {
            for block in v.chunks_exact_mut(2 * half) {
                let (lo, hi) = block.split_at_mut(half);
                for (a, b) in lo.iter_mut().zip(hi.iter_mut()) {
                    let (x, y) = (*a, *b);
                    *a = x.add(&y);
                    *b = x.sub(&y);
                }
            }
            T::scale_at(v, &stage_products(n, half), twiddles);
            half /= 2;
            continue;
        }
        let stride = n / (2 * half);
        for block in v.chunks_exact_mut(2 * half) {
            let (lo, hi) = block.split_at_mut(half);
            let (a0, b0) = (lo[0], hi[0]);
            lo[0] = a0.add(&b0);
            hi[0] = a0.sub(&b0);
            for j in 1..half {
                let (a, b) = (lo[j], hi[j]);
                lo[j] = a.add(&b);
                hi[j] = a.sub(&b).scale(&twiddles[j * stride]);
            }
        }
        half /= 2;
    }
}

/// Cooley–Tukey butterflies: bit-reversed input, natural-order output.
fn dit<T: FftElem>(v: &mut [T], twiddles: &[Fr]) {
    let n = v.len();
    let mut half = 1;
    while half < n {
        if T::BATCHED {
            T::scale_at(v, &stage_products(n, half), twiddles);
            for block in v.chunks_exact_mut(2 * half) {
                let (lo, hi) = block.split_at_mut(half);
                for (a, b) in lo.iter_mut().zip(hi.iter_mut()) {
                    let (x, t) = (*a, *b);
                    *a = x.add(&t);
                    *b = x.sub(&t);
                }
            }
            half *= 2;
            continue;
        }
        let stride = n / (2 * half);
        for block in v.chunks_exact_mut(2 * half) {
            let (lo, hi) = block.split_at_mut(half);
            let (a0, b0) = (lo[0], hi[0]);
            lo[0] = a0.add(&b0);
            hi[0] = a0.sub(&b0);
            for j in 1..half {
                let t = hi[j].scale(&twiddles[j * stride]);
                let a = lo[j];
                lo[j] = a.add(&t);
                hi[j] = a.sub(&t);
            }
        }
        half *= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::Zero;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn naive_eval(coeffs: &[Fr], x: Fr) -> Fr {
        coeffs.iter().rev().fold(Fr::zero(), |acc, c| acc * x + c)
    }

    #[test]
    fn fft_matches_naive_evaluation() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        for size in [1usize, 2, 4, 16, 64] {
            let d = Domain::new(size);
            let coeffs: Vec<Fr> = (0..size)
                .map(|_| crate::field::random_fr(&mut rng))
                .collect();
            let mut v = coeffs.clone();
            d.fft_to_brp(&mut v);
            let roots = crate::field::roots_of_unity_brp(size);
            for i in 0..size {
                assert_eq!(v[i], naive_eval(&coeffs, roots[i]), "size {size} index {i}");
            }
            d.ifft_from_brp(&mut v);
            assert_eq!(v, coeffs);
            let mut w = coeffs.clone();
            d.fft(&mut w);
            if size > 1 {
                assert_eq!(w[1], naive_eval(&coeffs, primitive_root_of_unity(size)));
            }
            d.ifft(&mut w);
            assert_eq!(w, coeffs);
        }
    }

    #[test]
    fn g1_fft_matches_scalar_fft() {
        use ark_ec::PrimeGroup;
        let mut rng = ChaCha20Rng::seed_from_u64(8);
        let d = Domain::new(16);
        let s: Vec<Fr> = (0..16).map(|_| crate::field::random_fr(&mut rng)).collect();
        let mut pts: Vec<G1Projective> = s.iter().map(|x| G1Projective::generator() * x).collect();
        let mut s2 = s.clone();
        d.fft_to_brp(&mut s2);
        d.fft_to_brp(&mut pts);
        for (p, x) in pts.iter().zip(&s2) {
            assert_eq!(*p, G1Projective::generator() * x);
        }
    }
}
