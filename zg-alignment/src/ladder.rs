//! The re-execution ladder: which served requests are checked, how often, and how a dispute
//! between a provider and a checker is settled bit-exactly.
//!
//! A 64 MB alignment node cannot re-run an LLM, so checks climb a ladder, each rung cheap
//! enough for its place and each a pure function (the model itself is the host's):
//!
//! 1. **Signature / TEE check** — the serving lane verifies the provider's signed receipt; the
//!    ladder takes only receipts that passed it ([`Rung::Receipt`]).
//! 2. **Proof format and commitment** ([`check_commitment`]): the TOPLOC proofs the provider
//!    published decode, there is one per chunk, and they hash to the commitment in the receipt.
//! 3. **Re-execution** by a heavier verifier the host runs: its recomputed activations are
//!    checked against the proofs ([`check_reexecution`], [`crate::toploc::verify`]).
//! 4. **Referee** on disagreement ([`referee`]): both parties' traces of step-state hashes are
//!    bisected to the first differing step, and that one step is re-executed with integer
//!    reference operators ([`referee::IntLinear`]), so its result is identical on any machine.
//!
//! Which requests climb past rung 2 is drawn after the fact from the epoch seed with the
//! auditor's VRF ([`sampling`]), at the rate the [`planner`] derives from the job's reward,
//! the provider's saving from cheating and the slash: p ≥ C/(R+S), with the achieved detection
//! probability stated.

pub mod planner;
pub mod referee;
pub mod sampling;

use zg_core::{H256, keccak256_parts};

use crate::toploc::{self, Proof, Thresholds};

/// The rung a request reached and what it found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rung {
    /// Rung 1: the receipt's signature (or TEE quote) was checked by the serving lane.
    Receipt,
    /// Rung 2 failed: the published proofs do not match the receipt's commitment.
    BadCommitment(CommitmentError),
    /// Rung 3: the re-execution's verdict per chunk (`true` = chunk passed).
    Reexecuted(Vec<bool>),
}

/// Why rung 2 rejected a request's proofs.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommitmentError {
    /// A proof failed to decode.
    #[error("proof {index} does not decode: {source}")]
    Decode {
        /// 0-based proof index.
        index: usize,
        /// Why.
        source: toploc::ToplocError,
    },
    /// The number of proofs is not the number of chunks the response implies.
    #[error("{have} proofs for {need} chunks")]
    Count {
        /// Proofs given.
        have: usize,
        /// Chunks implied by the token counts.
        need: usize,
    },
    /// The proofs hash to something other than the receipt's commitment.
    #[error("proofs do not match the committed hash")]
    Mismatch,
}

/// Domain tag of the proof commitment.
pub const COMMITMENT_DOMAIN: &[u8] = b"zg-alignment/toploc-commitment/v1";

/// The commitment a receipt carries: keccak256(domain ‖ request id ‖ count ‖ each proof's bytes).
pub fn commit_proofs(request_id: &H256, proofs: &[Proof]) -> H256 {
    let count = (proofs.len() as u64).to_be_bytes();
    let bytes: Vec<Vec<u8>> = proofs.iter().map(Proof::to_bytes).collect();
    let mut parts: Vec<&[u8]> = vec![COMMITMENT_DOMAIN, &request_id.0, &count];
    parts.extend(bytes.iter().map(Vec::as_slice));
    keccak256_parts(&parts)
}

/// Chunks a response of `generated` tokens after a prompt has: the prefill plus one per
/// [`toploc::DECODE_BATCH`] generated tokens.
pub fn chunk_count(generated: u64) -> u64 {
    1 + generated.div_ceil(toploc::DECODE_BATCH as u64)
}

/// Rung 2: decodes the base64 proofs and checks count and commitment.
pub fn check_commitment(
    request_id: &H256,
    generated: u64,
    committed: &H256,
    proofs_b64: &[&str],
) -> Result<Vec<Proof>, CommitmentError> {
    let need = usize::try_from(chunk_count(generated)).unwrap_or(usize::MAX);
    if proofs_b64.len() != need {
        return Err(CommitmentError::Count {
            have: proofs_b64.len(),
            need,
        });
    }
    let proofs = proofs_b64
        .iter()
        .enumerate()
        .map(|(index, s)| {
            Proof::from_base64(s).map_err(|source| CommitmentError::Decode { index, source })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if commit_proofs(request_id, &proofs) != *committed {
        return Err(CommitmentError::Mismatch);
    }
    Ok(proofs)
}

/// Rung 3: each proof against the host's recomputed chunk; a chunk that cannot be checked
/// (too small, missing) counts as failed.
pub fn check_reexecution(proofs: &[Proof], recomputed: &[Vec<u16>], t: &Thresholds) -> Rung {
    let verdicts = proofs
        .iter()
        .enumerate()
        .map(|(i, p)| {
            recomputed
                .get(i)
                .and_then(|c| toploc::verify(p, c, t).ok())
                .is_some_and(|r| r.pass)
        })
        .collect();
    Rung::Reexecuted(verdicts)
}
