//! Multi-scalar multiplication and scalar multiplication in G1.

use ark_bls12_381::{Fr, G1Affine, G1Projective};
use ark_ec::VariableBaseMSM;

/// `p * s`.
pub(crate) fn mul(p: &G1Projective, s: &Fr) -> G1Projective {
    *p * s
}

/// `sum_i scalars[i] * bases[i]` over the shorter of the two slices.
pub(crate) fn msm(bases: &[G1Affine], scalars: &[Fr]) -> G1Projective {
    let n = bases.len().min(scalars.len());
    G1Projective::msm_unchecked(&bases[..n], &scalars[..n])
}
