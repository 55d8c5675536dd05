//! VRF-drawn sampling of served requests, after the fact.
//!
//! Once an epoch's seed is fixed (after the requests were served), the auditor evaluates its
//! ECVRF (RFC 9381, [`zg_vrf`]) on `domain ‖ epoch seed ‖ request id`; the request is sampled
//! iff the first 8 bytes of the VRF output, as a big-endian integer u, satisfy
//! u < rate_ppm · ⌊2⁶⁴ / 10⁶⌋. A provider cannot know in advance which requests will be
//! checked (it knows neither the seed nor the auditor's key), and anyone can check the
//! auditor's choice from its public key and proof — including that it did *not* skip a request
//! it should have sampled.

use zg_core::H256;
use zg_vrf::{PROOF_LEN, Proof, PublicKey, SecretKey};

use super::planner::SamplingPlan;

/// Domain tag of the sampling VRF input.
pub const SAMPLING_DOMAIN: &[u8] = b"zg-alignment/reexec-sample/v1";

/// A sampling decision with the VRF proof that fixes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draw {
    /// Whether the request is checked.
    pub sampled: bool,
    /// The auditor's 80-byte ECVRF proof.
    pub proof: [u8; PROOF_LEN],
}

/// The VRF input for a request.
pub fn alpha(epoch_seed: &H256, request_id: &H256) -> Vec<u8> {
    let mut a = Vec::with_capacity(SAMPLING_DOMAIN.len() + 64);
    a.extend_from_slice(SAMPLING_DOMAIN);
    a.extend_from_slice(&epoch_seed.0);
    a.extend_from_slice(&request_id.0);
    a
}

fn decide(beta: &[u8], plan: &SamplingPlan) -> bool {
    let mut first = [0u8; 8];
    first.copy_from_slice(&beta[..8]);
    let u = u64::from_be_bytes(first);
    let step = u64::MAX / super::planner::PPM;
    u < plan.rate_ppm.saturating_mul(step)
}

/// The auditor's draw for one request.
pub fn draw(
    sk: &SecretKey,
    epoch_seed: &H256,
    request_id: &H256,
    plan: &SamplingPlan,
) -> Result<Draw, zg_vrf::Error> {
    let proof = sk.prove(&alpha(epoch_seed, request_id))?;
    let beta = proof.proof_to_hash();
    Ok(Draw {
        sampled: decide(&beta, plan),
        proof: *proof.as_bytes(),
    })
}

/// Checks an auditor's draw: the proof verifies under its key for this seed and request, and
/// the decision follows from it. Returns the decision.
pub fn verify_draw(
    pk: &PublicKey,
    epoch_seed: &H256,
    request_id: &H256,
    plan: &SamplingPlan,
    proof: &[u8; PROOF_LEN],
) -> Result<bool, zg_vrf::Error> {
    let proof = Proof::from_bytes(proof)?;
    let beta = pk.verify(&alpha(epoch_seed, request_id), &proof)?;
    Ok(decide(&beta, plan))
}
