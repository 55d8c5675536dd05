//! The EIP-4844 public methods ([deneb polynomial-commitments], "KZG"), with the spec's names
//! and byte-level inputs. Each validates its inputs exactly as the spec's `bytes_to_*` helpers
//! do, then calls the generic layer ([`crate::poly`]).
//!
//! [deneb polynomial-commitments]: https://github.com/ethereum/consensus-specs/blob/dev/specs/deneb/polynomial-commitments.md

use crate::Error;
use crate::curve::{g1_from_bytes, g1_to_bytes};
use crate::field::{fr_from_be_bytes, fr_from_digest, fr_to_be_bytes, frs_from_be_bytes};
use crate::poly::{Opening, evaluate_in_evaluation_form};
use crate::settings::KzgSettings;
use crate::types::{Blob, Bytes32, FIELD_ELEMENTS_PER_BLOB, KzgCommitment, KzgProof};
use ark_bls12_381::{Fr, G1Affine};
use sha2::{Digest, Sha256};

/// `FIAT_SHAMIR_PROTOCOL_DOMAIN`.
const FIAT_SHAMIR_PROTOCOL_DOMAIN: &[u8; 16] = b"FSBLOBVERIFY_V1_";
/// `RANDOM_CHALLENGE_KZG_BATCH_DOMAIN`.
const RANDOM_CHALLENGE_KZG_BATCH_DOMAIN: &[u8; 16] = b"RCKZGBATCH___V1_";

/// Spec `blob_to_polynomial`: the blob's field elements, each rejected if `>= r`.
pub(crate) fn blob_to_polynomial(blob: &Blob) -> Result<Vec<Fr>, Error> {
    let mut out = Vec::with_capacity(FIELD_ELEMENTS_PER_BLOB);
    frs_from_be_bytes(blob.as_bytes(), &mut out)?;
    Ok(out)
}

pub(crate) fn bytes_to_commitment(b: &[u8; 48], index: usize) -> Result<G1Affine, Error> {
    g1_from_bytes(b).map_err(|_| Error::InvalidG1Point {
        what: "commitment",
        index,
    })
}

pub(crate) fn bytes_to_proof(b: &[u8; 48], index: usize) -> Result<G1Affine, Error> {
    g1_from_bytes(b).map_err(|_| Error::InvalidG1Point {
        what: "proof",
        index,
    })
}

fn bytes_to_field(b: &Bytes32, index: usize) -> Result<Fr, Error> {
    fr_from_be_bytes(b.as_bytes()).ok_or(Error::NonCanonicalFieldElement { index })
}

fn challenge_fr(blob: &Blob, commitment: &KzgCommitment) -> Fr {
    let mut h = Sha256::new();
    h.update(FIAT_SHAMIR_PROTOCOL_DOMAIN);
    h.update((FIELD_ELEMENTS_PER_BLOB as u128).to_be_bytes());
    h.update(blob.as_bytes());
    h.update(commitment.as_bytes());
    fr_from_digest(&h.finalize().into())
}

/// Spec `compute_challenge`: the Fiat–Shamir evaluation point of a blob proof,
/// `hash(FIAT_SHAMIR_PROTOCOL_DOMAIN || u128_be(4096) || blob || commitment) mod r`.
/// Hashes the bytes as given (no validation).
pub fn compute_challenge(blob: &Blob, commitment: &KzgCommitment) -> Bytes32 {
    Bytes32(fr_to_be_bytes(&challenge_fr(blob, commitment)))
}

impl KzgSettings {
    /// Spec `blob_to_kzg_commitment`.
    pub fn blob_to_kzg_commitment(&self, blob: &Blob) -> Result<KzgCommitment, Error> {
        self.require_eip4844()?;
        let poly = blob_to_polynomial(blob)?;
        Ok(KzgCommitment(g1_to_bytes(
            &ark_ec::CurveGroup::into_affine(self.commit_lagrange_brp(&poly)),
        )))
    }

    /// Spec `compute_kzg_proof`: the proof that the blob's polynomial takes value `y` at `z`,
    /// and `y`.
    pub fn compute_kzg_proof(
        &self,
        blob: &Blob,
        z: &Bytes32,
    ) -> Result<(KzgProof, Bytes32), Error> {
        self.require_eip4844()?;
        let poly = blob_to_polynomial(blob)?;
        let z = bytes_to_field(z, 0)?;
        let (y, proof) = self.open_evaluations(&poly, z)?;
        Ok((KzgProof(g1_to_bytes(&proof)), Bytes32(fr_to_be_bytes(&y))))
    }

    /// Spec `compute_blob_kzg_proof`: the proof at the Fiat–Shamir point of
    /// [`compute_challenge`]. The commitment is validated but not checked against the blob.
    pub fn compute_blob_kzg_proof(
        &self,
        blob: &Blob,
        commitment: &KzgCommitment,
    ) -> Result<KzgProof, Error> {
        self.require_eip4844()?;
        let _validated = bytes_to_commitment(commitment.as_bytes(), 0)?;
        let poly = blob_to_polynomial(blob)?;
        let z = challenge_fr(blob, commitment);
        let (_, proof) = self.open_evaluations(&poly, z)?;
        Ok(KzgProof(g1_to_bytes(&proof)))
    }

    /// Spec `verify_kzg_proof`: does `proof` show that the committed polynomial takes value `y`
    /// at `z`? Malformed inputs are errors; a wrong proof is `Ok(false)`.
    pub fn verify_kzg_proof(
        &self,
        commitment: &KzgCommitment,
        z: &Bytes32,
        y: &Bytes32,
        proof: &KzgProof,
    ) -> Result<bool, Error> {
        self.require_eip4844()?;
        let opening = Opening {
            commitment: bytes_to_commitment(commitment.as_bytes(), 0)?,
            z: bytes_to_field(z, 0)?,
            y: bytes_to_field(y, 1)?,
            proof: bytes_to_proof(proof.as_bytes(), 0)?,
        };
        Ok(self.verify_opening(&opening))
    }

    fn blob_opening(
        &self,
        blob: &Blob,
        commitment: &KzgCommitment,
        proof: &KzgProof,
        index: usize,
    ) -> Result<Opening, Error> {
        let c = bytes_to_commitment(commitment.as_bytes(), index)?;
        let poly = blob_to_polynomial(blob)?;
        let proof = bytes_to_proof(proof.as_bytes(), index)?;
        let z = challenge_fr(blob, commitment);
        let y = evaluate_in_evaluation_form(&poly, &self.roots_brp, z);
        Ok(Opening {
            commitment: c,
            z,
            y,
            proof,
        })
    }

    /// Spec `verify_blob_kzg_proof`: does `proof` (from [`Self::compute_blob_kzg_proof`]) show
    /// that `commitment` commits to `blob`?
    pub fn verify_blob_kzg_proof(
        &self,
        blob: &Blob,
        commitment: &KzgCommitment,
        proof: &KzgProof,
    ) -> Result<bool, Error> {
        self.require_eip4844()?;
        let o = self.blob_opening(blob, commitment, proof, 0)?;
        Ok(self.verify_opening(&o))
    }

    /// Spec `verify_blob_kzg_proof_batch`: verifies many blob proofs with one pairing check
    /// (random linear combination, challenge from spec `verify_kzg_proof_batch`). Empty input
    /// verifies.
    pub fn verify_blob_kzg_proof_batch(
        &self,
        blobs: &[Blob],
        commitments: &[KzgCommitment],
        proofs: &[KzgProof],
    ) -> Result<bool, Error> {
        self.require_eip4844()?;
        if blobs.len() != commitments.len() || blobs.len() != proofs.len() {
            return Err(Error::LengthMismatch {
                what: "blobs/commitments/proofs",
            });
        }
        let openings = map_maybe_parallel(blobs.len(), |i| {
            self.blob_opening(&blobs[i], &commitments[i], &proofs[i], i)
        })?;
        if openings.len() == 1 {
            return Ok(self.verify_opening(&openings[0]));
        }
        // Spec verify_kzg_proof_batch: r = hash(domain || u64(4096) || u64(n) || (C, z, y, pi)*).
        let mut h = Sha256::new();
        h.update(RANDOM_CHALLENGE_KZG_BATCH_DOMAIN);
        h.update((FIELD_ELEMENTS_PER_BLOB as u64).to_be_bytes());
        h.update((openings.len() as u64).to_be_bytes());
        for ((o, c), p) in openings.iter().zip(commitments).zip(proofs) {
            h.update(c.as_bytes());
            h.update(fr_to_be_bytes(&o.z));
            h.update(fr_to_be_bytes(&o.y));
            h.update(p.as_bytes());
        }
        let r = fr_from_digest(&h.finalize().into());
        Ok(self.verify_openings_batch_with(&openings, r))
    }
}

#[cfg(feature = "parallel")]
pub(crate) fn map_maybe_parallel<U: Send>(
    n: usize,
    f: impl Fn(usize) -> Result<U, Error> + Sync,
) -> Result<Vec<U>, Error> {
    use rayon::prelude::*;
    (0..n).into_par_iter().map(&f).collect()
}

#[cfg(not(feature = "parallel"))]
pub(crate) fn map_maybe_parallel<U>(
    n: usize,
    f: impl Fn(usize) -> Result<U, Error>,
) -> Result<Vec<U>, Error> {
    (0..n).map(f).collect()
}
