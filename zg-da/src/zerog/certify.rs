//! Dispersal and certification: the sign request a signer validates, `H_blob`, and the DA
//! contract's aggregate check (`SubmissionLib.validateSignature`, `submitVerifiedCommitRoots`).

use super::bls::{g1_to_bytes, map_to_g1};
use super::{DataTree, Dims, Error, Fr, G1Affine, G2Affine, RowProof};
use ark_bn254::{Bn254, G1Projective, G2Projective};
use ark_ec::pairing::Pairing;
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use ark_ff::{BigInteger, One, PrimeField};
use zg_core::H256;

/// `H_blob = MapToG1(keccak(dataRoot ‖ uint epoch ‖ uint quorumId ‖ commitment.X ‖
/// commitment.Y))` — what each signer of the quorum signs.
pub fn blob_hash(
    data_root: &H256,
    epoch: u64,
    quorum_id: u64,
    commitment: &G1Affine,
) -> Result<G1Affine, Error> {
    let mut e = [0u8; 32];
    e[24..].copy_from_slice(&epoch.to_be_bytes());
    let mut q = [0u8; 32];
    q[24..].copy_from_slice(&quorum_id.to_be_bytes());
    let digest = zg_core::keccak256_parts(&[&data_root.0, &e, &q, &g1_to_bytes(commitment)]);
    map_to_g1(&digest.0)
}

/// A G2 point in the EVM precompile's word order (EIP-197): `X.A1‖X.A0‖Y.A1‖Y.A0`, as the
/// contract's `G2Point{X: [x1, x0], Y: [y1, y0]}` holds it.
pub fn g2_to_evm_bytes(p: &G2Affine) -> [u8; 128] {
    let mut out = [0u8; 128];
    if let Some((x, y)) = p.xy() {
        for (i, c) in [x.c1, x.c0, y.c1, y.c0].iter().enumerate() {
            let be = c.into_bigint().to_bytes_be();
            out[i * 32 + 32 - be.len()..(i + 1) * 32].copy_from_slice(&be);
        }
    }
    out
}

/// The contract's γ — note the order differs from the chain's [`gamma`](super::gamma):
/// `keccak(sig ‖ aggPkG1 ‖ aggPkG2 (EIP-197 words) ‖ H) mod r`.
pub fn contract_gamma(sig: &G1Affine, agg_g1: &G1Affine, agg_g2: &G2Affine, h: &G1Affine) -> Fr {
    let digest = zg_core::keccak256_parts(&[
        &g1_to_bytes(sig),
        &g1_to_bytes(agg_g1),
        &g2_to_evm_bytes(agg_g2),
        &g1_to_bytes(h),
    ]);
    Fr::from_be_bytes_mod_order(&digest.0)
}

/// The contract's acceptance of an aggregate: `e(sig + γ·aggPkG1, −G2) · e(H + γ·G1, aggPkG2) = 1`
/// with [`contract_gamma`], and `2·total ≤ 3·hit` (from [`aggregate_pubkey_g1`](super::aggregate_pubkey_g1)).
pub fn verify_certificate(
    h: &G1Affine,
    sig: &G1Affine,
    agg_g1: &G1Affine,
    agg_g2: &G2Affine,
    total: u64,
    hit: u64,
) -> Result<(), Error> {
    let g = contract_gamma(sig, agg_g1, agg_g2, h);
    let left = (G1Projective::from(*sig) + *agg_g1 * g).into_affine();
    let right = (G1Projective::from(*h) + G1Projective::generator() * g).into_affine();
    let neg_g2 = (-G2Projective::generator()).into_affine();
    if !Bn254::multi_pairing([left, right], [neg_g2, *agg_g2])
        .0
        .is_one()
    {
        return Err(Error::InvalidSignature);
    }
    if !enough_signed(total, hit) {
        return Err(Error::InsufficientSignedRows { total, hit });
    }
    Ok(())
}

/// `SLICE_NUMERATOR · total ≤ hit · SLICE_DENOMINATOR` with 2/3 (no overflow: u128).
pub fn enough_signed(total: u64, hit: u64) -> bool {
    2 * u128::from(total) <= 3 * u128::from(hit)
}

/// The rows a signer is sent for one blob.
#[derive(Clone, Debug)]
pub struct SignRequest {
    /// The blob's epoch.
    pub epoch: u64,
    /// The blob's quorum.
    pub quorum_id: u64,
    /// The blob's data root.
    pub data_root: H256,
    /// The erasure commitment.
    pub commitment: G1Affine,
    /// The rows with their proofs (the proof names the row index).
    pub rows: Vec<(RowProof, Vec<Fr>)>,
}

/// A signer's checks of a sign request before it stores and signs: every row is one of **its**
/// rows in the quorum (`quorum[index] == me`), no row comes twice, and each row's proof holds
/// under the data root. Returns `H_blob` to sign. (Whether the blob was uploaded and is not yet
/// verified is a chain read the host does.)
/// `dims` is [`Dims::LIVE`] on the network.
pub fn validate_sign_request(
    dims: Dims,
    req: &SignRequest,
    me: &[u8; 20],
    quorum: &[[u8; 20]],
) -> Result<G1Affine, Error> {
    if req.rows.is_empty() || req.rows.len() > dims.encoded_rows() {
        return Err(Error::InvalidLength {
            expected: dims.encoded_rows(),
            got: req.rows.len(),
        });
    }
    let mut seen = vec![false; dims.encoded_rows()];
    for (proof, row) in &req.rows {
        let owner = quorum.get(proof.index).ok_or(Error::RowOutOfRange {
            index: proof.index,
            rows: quorum.len(),
        })?;
        if owner != me {
            return Err(Error::NotMyRow { index: proof.index });
        }
        let slot = seen.get_mut(proof.index).ok_or(Error::RowOutOfRange {
            index: proof.index,
            rows: dims.encoded_rows(),
        })?;
        if *slot {
            return Err(Error::InconsistentRows);
        }
        *slot = true;
        proof.verify(dims, &req.data_root, row)?;
    }
    blob_hash(&req.data_root, req.epoch, req.quorum_id, &req.commitment)
}

/// Builds the sign request for `me` from a whole encoded blob (the client's side of dispersal).
pub fn sign_request_for(
    tree: &DataTree,
    blob: &super::EncodedBlob,
    me: &[u8; 20],
    quorum: &[[u8; 20]],
    epoch: u64,
    quorum_id: u64,
    commitment: G1Affine,
) -> Result<SignRequest, Error> {
    let mut rows = Vec::new();
    for (i, who) in quorum.iter().enumerate() {
        if who == me {
            rows.push((tree.row_proof(i)?, blob.row(i)?.to_vec()));
        }
    }
    Ok(SignRequest {
        epoch,
        quorum_id,
        data_root: tree.root(),
        commitment,
        rows,
    })
}
