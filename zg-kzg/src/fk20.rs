//! FK20: all coset (multi-point) proofs of a polynomial in one go.
//!
//! For a polynomial `p` of `n` coefficients, cosets of size `l` and the extended domain of size
//! `2n`, there are `m = 2n/l` cosets; coset `j` is `h_j·<w_l>` with `h_j = w_2n^brp_m(j)`, so
//! `h_j^l = w_m^brp_m(j)`. With `k = n/l`, the proof for a coset whose shift satisfies
//! `h^l = g` is (Feist–Khovratovich, "Fast amortized KZG proofs", 2020, §3)
//!
//! ```text
//! pi(g) = sum_{i<k} g^i h_i,   h_i = [floor(p / X^(l(i+1)))(s)]
//! ```
//!
//! so all `m` proofs are one G1 FFT of size `m` over `h` (zero-padded from `k` to `m = 2k`),
//! output in bit-reversed order = cell order. The `h_i` are a Toeplitz matrix–vector product,
//! computed through circulant embedding: splitting coefficients and setup powers by residue
//! `v` mod `l`,
//!
//! ```text
//! h_i = sum_v C_v[k + i],  C_v = XR_v (*) B_v   (cyclic convolution of length 2k)
//! XR_v[t] = [s^(l(k-1-t)+v)] (t < k),  B_v[w] = p_(lw+v) (w < k),  both zero-padded
//! ```
//!
//! `FFT(XR_v)` depends on the setup only and is precomputed here ([`CosetProver::new`]);
//! per proof run: `l` scalar FFTs of `B_v`, `m` MSMs of size `l`
//! (`H_j = sum_v FFT(XR_v)_j FFT(B_v)_j`), one G1 inverse FFT to get `h`, one G1 FFT to get
//! the proofs.
//!
//! The `m` MSMs dominate. Without tables they run as one batch of bucket MSMs: GLV-split
//! scalars, further split into 32-bit pieces against shifted copies of the bases that the first
//! proof builds (`2^32`, `2^64`, `2^96` times each base), so that each group of `l` bases
//! becomes `8l` points with 32-bit scalars and few windows. With [`crate::Precompute::Full`] a
//! fixed-base table replaces all of that. The two G1 FFTs (about a quarter of the time) batch
//! each stage's twiddle products.

use crate::Error;
use crate::fft::Domain;
use crate::msm::FixedBaseTable;
use crate::settings::KzgSettings;
use ark_bls12_381::{Fr, G1Affine, G1Projective};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{Field, Zero};

/// Window of the optional fixed-base table: `ceil(256/8) = 32` points per base.
const FK20_WINDOW_BITS: u32 = 8;

/// Shifted copies of the FK20 bases built on the first proof without tables. Fastest runs of
/// `compute_cells_and_kzg_proofs` (single thread, 2-vCPU machine shared with other work, so
/// ±5%): no sets 219 ms, 1 set (0.8 MB) 195 ms, 2 sets 192 ms, 3 sets (2.4 MB) 182 ms, 7 sets
/// (5.5 MB) 181 ms. Building 3 sets costs the first proof about 0.4 s.
const SHIFTED_SETS: usize = 3;

/// Precomputed FK20 tables for one `(n, l)` pair: computes the `2n/l` coset proofs of a
/// polynomial of `n` coefficients at once.
#[derive(Clone, Debug)]
pub struct CosetProver {
    n: usize,
    l: usize,
    k: usize,
    /// `xfft[j * l + v] = FFT(XR_v)[j]` (bit-reversed `j`): row `j` holds the `l` bases of
    /// MSM `j`.
    xfft: Vec<G1Affine>,
    /// FFT domain of size `m = 2k`.
    dom_m: Domain,
    /// Optional fixed-base table over `xfft` ([`crate::Precompute::Full`]).
    table: Option<FixedBaseTable>,
    /// `2^32 xfft[i]`, `2^64 xfft[i]`, `2^96 xfft[i]`, built on the first proof without a
    /// table: they split the MSM's GLV halves into 32-bit pieces (see
    /// [`crate::msm::msm_groups`]).
    shifted: std::sync::OnceLock<Vec<Vec<G1Affine>>>,
    /// Whether the first proof builds `shifted` (false with [`crate::Precompute::Bare`]).
    shift_bases: bool,
}

impl CosetProver {
    /// Tables for polynomials of `n` coefficients (power of two, `<= settings.size()`) and
    /// cosets of size `l` (power of two dividing `n`, `l < n`).
    pub fn new(settings: &KzgSettings, n: usize, l: usize) -> Result<Self, Error> {
        Self::with_precompute(settings, n, l, crate::Precompute::None)
    }

    /// Like [`Self::new`]; with [`crate::Precompute::Full`] also builds a fixed-base table over
    /// the `2n` precomputed bases (window 8: 32 points per base, 25 MB for cells), which makes
    /// [`Self::prove_all`] about 15% faster than without (see [`crate::Precompute`]).
    pub fn with_precompute(
        settings: &KzgSettings,
        n: usize,
        l: usize,
        precompute: crate::Precompute,
    ) -> Result<Self, Error> {
        if !n.is_power_of_two() || n > settings.size() {
            return Err(Error::UnsupportedSize {
                size: n,
                reason: "polynomial size must be a power of two <= the setup",
            });
        }
        if !l.is_power_of_two() || l >= n {
            return Err(Error::UnsupportedSize {
                size: l,
                reason: "coset size must be a power of two < polynomial size",
            });
        }
        let k = n / l;
        let m = 2 * k;
        let dom_m = Domain::new(m);
        let xfft = match mainnet_cell_bases(settings, n, l) {
            Some(bases) => bases,
            None => compute_bases(settings, n, l, &dom_m),
        };
        let table = match precompute {
            crate::Precompute::None | crate::Precompute::Bare => None,
            crate::Precompute::Full => Some(FixedBaseTable::new(&xfft, FK20_WINDOW_BITS)),
        };
        let shift_bases = precompute != crate::Precompute::Bare;
        Ok(Self {
            n,
            l,
            k,
            xfft,
            dom_m,
            table,
            shift_bases,
            shifted: std::sync::OnceLock::new(),
        })
    }

    /// Number of cosets (`2n/l`; 128 for EIP-7594 cells).
    pub fn num_cosets(&self) -> usize {
        2 * self.k
    }

    /// Bytes held by the precomputed tables: the fixed-base table ([`crate::Precompute::Full`]),
    /// or, without it, the shifted base sets once the first proof has built them (3 × 2n
    /// points, 2.4 MB for cells; never with [`crate::Precompute::Bare`]).
    pub fn table_bytes(&self) -> usize {
        let shifted = self.shifted.get().map_or(0, |sets| {
            sets.iter()
                .map(|s| s.len() * core::mem::size_of::<G1Affine>())
                .sum()
        });
        self.table.as_ref().map_or(0, FixedBaseTable::size_bytes) + shifted
    }

    /// Coset size `l`.
    pub fn coset_size(&self) -> usize {
        self.l
    }

    /// The shift of coset `j`: `w_2n^brp_m(j)` (spec `coset_shift_for_cell` for cells).
    pub fn coset_shift(&self, j: usize) -> Fr {
        crate::field::primitive_root_of_unity(2 * self.n)
            .pow([crate::field::reverse_bits(j, self.num_cosets()) as u64])
    }

    /// All `2n/l` coset proofs of `p = sum coeffs[i] X^i` (at most `n` coefficients), in coset
    /// order `j` (bit-reversed over the extended domain, as EIP-7594 cells).
    pub fn prove_all(&self, coeffs: &[Fr]) -> Result<Vec<G1Affine>, Error> {
        if coeffs.len() > self.n {
            return Err(Error::UnsupportedSize {
                size: coeffs.len(),
                reason: "more coefficients than the prover's n",
            });
        }
        let (k, l, m) = (self.k, self.l, self.num_cosets());
        let m_inv = Fr::from(m as u64).inverse().unwrap_or_default();
        // Scalar side: FFT(B_v) for every residue v, scaled by 1/m (the inverse FFT's factor).
        let column = |v: usize| -> Vec<Fr> {
            let mut col = vec![Fr::zero(); m];
            for (w, c) in col.iter_mut().enumerate().take(k) {
                if let Some(p) = coeffs.get(l * w + v) {
                    *c = *p * m_inv;
                }
            }
            self.dom_m.fft_to_brp(&mut col);
            col
        };
        #[cfg(feature = "parallel")]
        let cols: Vec<Vec<Fr>> = {
            use rayon::prelude::*;
            (0..l).into_par_iter().map(column).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let cols: Vec<Vec<Fr>> = (0..l).map(column).collect();
        let mut scalars = vec![Fr::zero(); m * l];
        for (v, col) in cols.iter().enumerate() {
            for (j, x) in col.iter().enumerate() {
                scalars[j * l + v] = *x;
            }
        }
        // H_j = sum_v FFT(XR_v)_j * FFT(B_v)_j: m MSMs of size l.
        let mut h = match &self.table {
            Some(t) => t.msm_groups(&scalars, l),
            None if self.shift_bases => {
                let shifted = self
                    .shifted
                    .get_or_init(|| crate::msm::shift_bases(&self.xfft, SHIFTED_SETS));
                crate::msm::msm_groups(&self.xfft, shifted, &scalars, l)
            }
            None => crate::msm::msm_groups(&self.xfft, &[], &scalars, l),
        };
        // C = IFFT(H) (1/m already applied); h_i = C[k + i].
        self.dom_m.ifft_from_brp_unscaled(&mut h);
        let mut hpad = vec![G1Projective::zero(); m];
        hpad[..k].copy_from_slice(&h[k..]);
        // pi_j = sum_i (h_j^l)^i h_i: FFT, bit-reversed output = coset order.
        self.dom_m.fft_to_brp(&mut hpad);
        Ok(G1Projective::normalize_batch(&hpad))
    }
}

/// `FFT(XR_v)` for every residue `v`, laid out row by row (`[j * l + v]`).
pub(crate) fn compute_bases(
    settings: &KzgSettings,
    n: usize,
    l: usize,
    dom_m: &Domain,
) -> Vec<G1Affine> {
    let k = n / l;
    let m = 2 * k;
    let s = &settings.setup.g1_monomial;
    let mut cols: Vec<Vec<G1Projective>> = Vec::with_capacity(l);
    for v in 0..l {
        let mut col = vec![G1Projective::zero(); m];
        for (t, c) in col.iter_mut().enumerate().take(k) {
            *c = s[l * (k - 1 - t) + v].into_group();
        }
        dom_m.fft_to_brp(&mut col);
        cols.push(col);
    }
    let mut flat = vec![G1Projective::zero(); m * l];
    for (v, col) in cols.iter().enumerate() {
        for (j, p) in col.iter().enumerate() {
            flat[j * l + v] = *p;
        }
    }
    G1Projective::normalize_batch(&flat)
}

/// The FK20 bases of the mainnet setup for EIP-7594 cells, computed once by
/// [`compute_bases`] and shipped in `data/fk20_mainnet_cells.bin` (8192 uncompressed G1
/// points, 786 KB; regenerate with `cargo test -p zg-kzg --release -- --ignored
/// regenerate_fk20_mainnet_bases`). Computing them costs about 20 000 G1 scalar
/// multiplications (over a second); loading them a few milliseconds. Used only when the setup
/// is byte-identical to the mainnet file and the data's digest matches; the test suite
/// recomputes them and compares.
fn mainnet_cell_bases(settings: &KzgSettings, n: usize, l: usize) -> Option<Vec<G1Affine>> {
    use ark_serialize::{CanonicalDeserialize, Compress, Validate};
    use sha2::{Digest, Sha256};
    if !settings.setup.is_mainnet
        || n != crate::FIELD_ELEMENTS_PER_BLOB
        || l != crate::FIELD_ELEMENTS_PER_CELL
    {
        return None;
    }
    let digest: [u8; 32] = Sha256::digest(MAINNET_CELL_BASES).into();
    if digest != MAINNET_CELL_BASES_SHA256 {
        return None;
    }
    MAINNET_CELL_BASES
        .chunks_exact(96)
        .map(|raw| {
            let p = G1Affine::deserialize_with_mode(raw, Compress::No, Validate::No).ok()?;
            // On-curve check (cheap); the digest pins the exact points.
            p.is_on_curve().then_some(p)
        })
        .collect::<Option<Vec<_>>>()
        .filter(|v| v.len() == 2 * n)
}

/// `data/fk20_mainnet_cells.bin`.
const MAINNET_CELL_BASES: &[u8] = include_bytes!("../data/fk20_mainnet_cells.bin");
/// SHA-256 of [`MAINNET_CELL_BASES`].
const MAINNET_CELL_BASES_SHA256: [u8; 32] = include!("../data/fk20_mainnet_cells.sha256");

#[cfg(test)]
mod tests {
    use super::*;
    use ark_serialize::CanonicalSerialize;
    use sha2::{Digest, Sha256};

    fn computed() -> Vec<G1Affine> {
        let s = KzgSettings::mainnet().unwrap();
        compute_bases(&s, 4096, 64, &Domain::new(128))
    }

    /// The shipped bases are exactly what `compute_bases` derives from the mainnet setup.
    #[test]
    fn shipped_mainnet_bases_match_computation() {
        let s = KzgSettings::mainnet().unwrap();
        let shipped = mainnet_cell_bases(&s, 4096, 64).expect("shipped bases load");
        assert_eq!(shipped, computed());
        // And a setup that is not byte-identical to mainnet does not use them.
        let mut other = s.setup.clone();
        other.is_mainnet = false;
        let s2 = KzgSettings::from_setup(other, crate::Precompute::None);
        assert!(mainnet_cell_bases(&s2, 4096, 64).is_none());
    }

    /// `Precompute::Bare` proves the same cells as the default without ever building the
    /// shifted bases; the default builds them on its first proof (and only then).
    #[test]
    fn bare_proves_the_same_without_shifted_bases() {
        let lazy = KzgSettings::mainnet().unwrap();
        let bare = KzgSettings::mainnet_with(crate::Precompute::Bare).unwrap();
        assert_eq!((lazy.precomputed_bytes(), bare.precomputed_bytes()), (0, 0));
        let coeffs: Vec<Fr> = (0..4096u64).map(|i| Fr::from(i * i + 7)).collect();
        let want = lazy.cells.as_ref().unwrap().prove_all(&coeffs).unwrap();
        let got = bare.cells.as_ref().unwrap().prove_all(&coeffs).unwrap();
        assert_eq!(got, want);
        assert_eq!(
            lazy.precomputed_bytes(),
            3 * 8192 * core::mem::size_of::<G1Affine>()
        );
        assert_eq!(bare.precomputed_bytes(), 0);
    }

    /// Writes `data/fk20_mainnet_cells.bin` and its digest.
    #[test]
    #[ignore = "regenerates shipped data; run with --ignored after changing compute_bases"]
    fn regenerate_fk20_mainnet_bases() {
        let mut out = Vec::with_capacity(8192 * 96);
        for p in computed() {
            p.serialize_uncompressed(&mut out).unwrap();
        }
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/");
        std::fs::write(format!("{dir}fk20_mainnet_cells.bin"), &out).unwrap();
        let d: [u8; 32] = Sha256::digest(&out).into();
        let text = format!(
            "[{}]\n",
            d.iter()
                .map(|b| format!("0x{b:02x}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        std::fs::write(format!("{dir}fk20_mainnet_cells.sha256"), text).unwrap();
    }
}
