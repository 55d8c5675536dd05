//! The erasure commitment: KZG `f(τ)·G1` of the blob polynomial on BN254, from powers of tau the
//! user supplies.
//!
//! Per-row AMT proofs (the encoder's `amt-prove-coset*` files) are out of scope.

use super::{Dims, EncodedBlob, Error, Fr, G1Affine};
use ark_bn254::G1Projective;
use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_ff::Zero;
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use ark_serialize::{CanonicalDeserialize, Compress, Validate};

/// Bytes of one compressed G1 point in the setup file.
pub const SETUP_G1_BYTES: usize = 32;

/// Powers of tau in G1: `setup[i] = τ^i·G1`.
///
/// # Setup format
/// The live encoder's parameters derive from the perpetual-powers-of-tau ceremony (converted by
/// 0g-da-encoder's `ppot2ark` into its `amt::PowerTau` file, `power-tau-<hash>-<depth>.bin`).
/// That file is arkworks `CanonicalSerialize` in compressed form of
/// `{ g1pp: Vec<G1Affine>, g2pp: Vec<G2Affine>, high_g1pp: Vec<G1Affine>, high_g2: G2 }`:
/// a u64 little-endian element count, then `count` compressed G1 points of 32 bytes each
/// (`x` little-endian, the two top bits of the last byte the sign/infinity flags), then the rest.
/// Only the `g1pp` prefix (`τ^i·G1` for `i < 2^depth`) is needed for a commitment:
/// [`Setup::from_power_tau_prefix`] reads it and ignores what follows, so a caller may pass just
/// the first `8 + 32·N` bytes. Every point is decompressed with its curve check (BN254 G1 has
/// cofactor 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setup {
    g1: Vec<G1Affine>,
}

impl Setup {
    /// Wraps `τ^i·G1` for `i` in `0..len` (e.g. from another loader).
    pub fn from_g1_powers(g1: Vec<G1Affine>) -> Self {
        Setup { g1 }
    }

    /// The powers held.
    pub fn len(&self) -> usize {
        self.g1.len()
    }

    /// True when no power is held.
    pub fn is_empty(&self) -> bool {
        self.g1.is_empty()
    }

    /// The bytes a commitment for `dims` needs from the start of the setup file.
    pub fn prefix_len(dims: Dims) -> usize {
        8 + SETUP_G1_BYTES * dims.elements()
    }

    /// Reads the first `dims.elements()` powers from the start of an `amt::PowerTau` file (see
    /// the type's docs); the file may hold more powers, and may be cut after them.
    pub fn from_power_tau_prefix(bytes: &[u8], dims: Dims) -> Result<Self, Error> {
        let need = dims.elements();
        let (count, rest) = bytes.split_first_chunk::<8>().ok_or(Error::InvalidLength {
            expected: Self::prefix_len(dims),
            got: bytes.len(),
        })?;
        let count = usize::try_from(u64::from_le_bytes(*count)).unwrap_or(usize::MAX);
        if count < need {
            return Err(Error::SetupTooSmall { have: count, need });
        }
        let body = rest
            .get(..need * SETUP_G1_BYTES)
            .ok_or(Error::InvalidLength {
                expected: Self::prefix_len(dims),
                got: bytes.len(),
            })?;
        let g1 = body
            .chunks_exact(SETUP_G1_BYTES)
            .map(|c| {
                G1Affine::deserialize_with_mode(c, Compress::Yes, Validate::Yes)
                    .map_err(|_| Error::InvalidEncoding)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Setup { g1 })
    }
}

/// The erasure commitment `f(τ)·G1 = Σ_k coeff_k · τ^k·G1` of the blob polynomial (the same
/// for all three cosets, as the encoder asserts).
pub fn commitment(blob: &EncodedBlob, setup: &Setup) -> Result<G1Affine, Error> {
    let dims = blob.dims();
    let n = dims.elements();
    if setup.len() < n {
        return Err(Error::SetupTooSmall {
            have: setup.len(),
            need: n,
        });
    }
    let (rows, cols) = (dims.rows(), dims.cols());
    let mut points = vec![Fr::zero(); n];
    for (idx, x) in blob.original().iter().enumerate() {
        points[(idx % cols) * rows + idx / cols] = *x;
    }
    let dom = Radix2EvaluationDomain::<Fr>::new(n)
        .ok_or(Error::InvalidDims("no FFT domain of that size"))?;
    let coeffs = dom.ifft(&points);
    let c = G1Projective::msm(&setup.g1[..n], &coeffs).map_err(|_| Error::InvalidLength {
        expected: n,
        got: coeffs.len(),
    })?;
    Ok(c.into_affine())
}
