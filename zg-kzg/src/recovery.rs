//! Erasure recovery of a polynomial from at least half of its coset evaluations (spec
//! `recover_polynomialcoeff`, the vanishing-polynomial method of
//! <https://ethresear.ch/t/reed-solomon-erasure-code-recovery-in-n-log-2-n-time-with-ffts/3039>
//! over the coset structure of the cells).
//!
//! With `E` the extended evaluations with zeros at the missing cells and `Z` vanishing exactly
//! there, `E·Z = P·Z` on the whole domain, so `P·Z` is the inverse FFT of `E·Z`; dividing by `Z`
//! on a shifted coset (where `Z` has no zeros) gives `P`. Because missing points come in whole
//! cosets `h_j<w_l>`, `Z(X) = prod_j (X^l - h_j^l)` is a polynomial in `X^l`: built from at most
//! `m` linear factors over the small domain, then spread out by `l`.

use crate::Error;
use crate::fft::Domain;
use crate::field::{batch_inverse, primitive_root_of_unity, reverse_bits};
use crate::settings::KzgSettings;
use ark_bls12_381::Fr;
use ark_ff::{Field, One, Zero};

impl KzgSettings {
    /// Coefficients (`n` = [`KzgSettings::size`] of them) of the polynomial of degree `< n`
    /// from its bit-reversed evaluations over the extended domain of size `2n`, given on the
    /// cosets of size `l` listed in `indices` (coset `j` holds positions `j·l .. (j+1)·l`; the
    /// `l` values of each, concatenated, in `evals`). Needs at least half of the `2n/l` cosets,
    /// distinct, in any order.
    pub fn recover_coefficients(
        &self,
        l: usize,
        indices: &[usize],
        evals: &[Fr],
    ) -> Result<Vec<Fr>, Error> {
        recover(&self.ext_domain, self.size(), l, indices, evals)
    }
}

fn recover(
    domain: &Domain,
    n: usize,
    l: usize,
    indices: &[usize],
    evals: &[Fr],
) -> Result<Vec<Fr>, Error> {
    let big_n = domain.size();
    if big_n != 2 * n || !l.is_power_of_two() || l == 0 || l > n {
        return Err(Error::UnsupportedSize {
            size: l,
            reason: "coset size must be a power of two dividing n",
        });
    }
    let m = big_n / l;
    if evals.len() != indices.len() * l {
        return Err(Error::LengthMismatch {
            what: "indices/evaluations",
        });
    }
    let mut present = vec![false; m];
    for &j in indices {
        if j >= m || present[j] {
            return Err(Error::CellIndexOutOfRange {
                index: j as u64,
                bound: m as u64,
            });
        }
        present[j] = true;
    }
    if indices.len() * 2 < m {
        return Err(Error::WrongCellCount {
            have: indices.len(),
            need: m / 2,
            max: m,
        });
    }
    // E in bit-reversed order, zeros where missing.
    let mut e = vec![Fr::zero(); big_n];
    for (&j, chunk) in indices.iter().zip(evals.chunks_exact(l)) {
        e[j * l..(j + 1) * l].copy_from_slice(chunk);
    }
    // Z(X) = short(X^l), short(Y) = prod over missing j of (Y - w_m^brp(j)).
    let w_m = primitive_root_of_unity(m);
    let mut short = vec![Fr::one()];
    for j in (0..m).filter(|&j| !present[j]) {
        let root = w_m.pow([reverse_bits(j, m) as u64]);
        short.push(Fr::zero());
        for i in (1..short.len()).rev() {
            let prev = short[i - 1];
            short[i] = prev - root * short[i];
        }
        short[0] = -root * short[0];
    }
    let mut z = vec![Fr::zero(); big_n];
    for (i, c) in short.iter().enumerate() {
        z[i * l] = *c;
    }
    // (E·Z) on the domain, then its coefficients.
    let mut z_eval = z.clone();
    domain.fft_to_brp(&mut z_eval);
    for (a, b) in e.iter_mut().zip(&z_eval) {
        *a *= b;
    }
    domain.ifft_from_brp(&mut e);
    // Divide by Z on the coset 7·<w>.
    let shift = Fr::from(7u64);
    scale_by_powers(&mut e, shift);
    scale_by_powers(&mut z, shift);
    domain.fft_to_brp(&mut e);
    domain.fft_to_brp(&mut z);
    batch_inverse(&mut z);
    for (a, b) in e.iter_mut().zip(&z) {
        *a *= b;
    }
    domain.ifft_from_brp(&mut e);
    scale_by_powers(&mut e, shift.inverse().unwrap_or_default());
    e.truncate(n);
    Ok(e)
}

fn scale_by_powers(v: &mut [Fr], x: Fr) {
    let mut p = Fr::one();
    for c in v.iter_mut() {
        *c *= p;
        p *= x;
    }
}
