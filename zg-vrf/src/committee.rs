//! Committee selection: each member proves its own eligibility; anyone assembles and checks.
//!
//! For an epoch with seed `seed`, a role (`"da-signer"`, `"alignment-audit"`, …) and a
//! [`StakeTable`], member `i` evaluates its VRF on
//! `alpha = committee_alpha(epoch, seed, role)` (§ below). Only it can: the output depends on
//! its secret key, and nobody learns it before it is revealed. The member then runs
//! [sortition](crate::sortition) on the output with its stake; if it wins seats it publishes an
//! [`EligibilityClaim`] (its table index and a [`BatchableProof`]). Anyone holding the table and
//! the claims re-derives the same committee with [`assemble_committee`]: every proof is checked
//! (in one batch), every seat count recomputed, duplicates and zero-seat claims dropped.
//!
//! Nobody can grind eligibility: the VRF output is unique per (key, alpha) (RFC 9381 §3.2, full
//! uniqueness), keys are fixed in the table before the seed is known, and the seed comes from
//! the [beacon](crate::beacon).

use zg_bls::Scheme;
use zg_core::{Epoch, H256, NodeId};

use crate::sortition::sortition_seats;
use crate::{BatchItem, BatchableProof, Error, Output, SecretKey, StakeTable, verify_batch};

/// Domain separation of committee VRF inputs.
const COMMITTEE_DOMAIN: &[u8] = b"zg-vrf/committee/v1";

/// The VRF input for one (epoch, seed, role):
/// `"zg-vrf/committee/v1" || LE64(epoch) || seed || LE64(len(role)) || role`.
pub fn committee_alpha(epoch: Epoch, seed: &H256, role: &str) -> Vec<u8> {
    let mut a = Vec::with_capacity(COMMITTEE_DOMAIN.len() + 8 + 32 + 8 + role.len());
    a.extend_from_slice(COMMITTEE_DOMAIN);
    a.extend_from_slice(&epoch.0.to_le_bytes());
    a.extend_from_slice(seed.as_bytes());
    a.extend_from_slice(&(role.len() as u64).to_le_bytes());
    a.extend_from_slice(role.as_bytes());
    a
}

/// What to select: an epoch, its seed, a role and the expected number of seats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    /// The epoch.
    pub epoch: Epoch,
    /// The epoch seed (from [`crate::beacon`]).
    pub seed: H256,
    /// The role, e.g. `"da-signer"`.
    pub role: String,
    /// Expected committee size `τ` in seats.
    pub expected_seats: u64,
}

impl Selection {
    /// The VRF input of this selection.
    pub fn alpha(&self) -> Vec<u8> {
        committee_alpha(self.epoch, &self.seed, &self.role)
    }
}

/// A member's public proof of eligibility.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EligibilityClaim {
    /// The member's index in the stake table.
    pub index: usize,
    /// Its proof on [`Selection::alpha`].
    pub proof: BatchableProof,
}

/// A member's private result: its seats, its VRF output, and the claim to publish if it won.
#[derive(Clone, Debug)]
pub struct Eligibility {
    /// Seats won (0: not selected, publish nothing).
    pub seats: u64,
    /// The VRF output.
    pub output: Output,
    /// The claim to publish.
    pub claim: EligibilityClaim,
}

/// Run by a member, privately: its own seats for `selection`.
///
/// # Errors
/// [`Error::InvalidParameters`] if `sk`'s public key is not in the table or the parameters are
/// invalid.
pub fn compute_eligibility<S: Scheme>(
    sk: &SecretKey,
    table: &StakeTable<S>,
    selection: &Selection,
) -> Result<Eligibility, Error> {
    let index = table
        .index_of(sk.public_key())
        .ok_or(Error::InvalidParameters {
            reason: "public key not in stake table",
        })?;
    let proof = sk.prove_batchable(&selection.alpha())?;
    let output = proof.proof()?.proof_to_hash();
    let seats = sortition_seats(
        &output,
        table.entries[index].stake,
        &table.params(selection.expected_seats),
    )?;
    Ok(Eligibility {
        seats,
        output,
        claim: EligibilityClaim { index, proof },
    })
}

/// A committee member as assembled from a valid claim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitteeMember {
    /// Index in the stake table.
    pub index: usize,
    /// The member's node.
    pub node: NodeId,
    /// Seats won (≥ 1).
    pub seats: u64,
    /// Its VRF output.
    pub output: Output,
}

/// A committee: the members with at least one seat, in table order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Committee {
    /// What was selected.
    pub selection: Selection,
    /// Members in table order.
    pub members: Vec<CommitteeMember>,
    /// Sum of the members' seats.
    pub total_seats: u64,
}

/// Why a claim was left out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectedClaim {
    /// Position of the claim in the input.
    pub position: usize,
    /// Why.
    pub error: Error,
}

/// Assembles the committee from published claims, checking all of them: proofs in one batch
/// (see [`crate::batch`]; `batch_seed` should be fresh randomness), seat counts recomputed
/// from the table. Invalid, duplicate and zero-seat claims are returned as rejected; the
/// committee itself depends only on the valid claims, not on their order or on `batch_seed`.
///
/// # Errors
/// [`Error::InvalidParameters`] if the selection's parameters are invalid for the table.
pub fn assemble_committee<S: Scheme>(
    table: &StakeTable<S>,
    selection: &Selection,
    claims: &[EligibilityClaim],
    batch_seed: &[u8; 32],
) -> Result<(Committee, Vec<RejectedClaim>), Error> {
    let params = table.params(selection.expected_seats);
    params.total_units()?;
    let alpha = selection.alpha();
    let mut rejected = Vec::new();
    let mut seen = vec![false; table.entries.len()];
    let mut candidates = Vec::new();
    for (position, claim) in claims.iter().enumerate() {
        if claim.index >= table.entries.len() {
            rejected.push(RejectedClaim {
                position,
                error: Error::InvalidClaim {
                    index: claim.index,
                    reason: "index outside the stake table",
                },
            });
        } else if seen[claim.index] {
            rejected.push(RejectedClaim {
                position,
                error: Error::InvalidClaim {
                    index: claim.index,
                    reason: "duplicate claim",
                },
            });
        } else {
            seen[claim.index] = true;
            candidates.push((position, claim));
        }
    }
    let items: Vec<BatchItem<'_>> = candidates
        .iter()
        .map(|(_, c)| BatchItem {
            public_key: &table.entries[c.index].vrf_key,
            alpha: &alpha,
            proof: &c.proof,
        })
        .collect();
    let verdicts = verify_batch(&items, batch_seed);
    let mut members = Vec::new();
    for ((position, claim), verdict) in candidates.into_iter().zip(verdicts) {
        let entry = &table.entries[claim.index];
        match verdict.and_then(|beta| Ok((sortition_seats(&beta, entry.stake, &params)?, beta))) {
            Ok((0, _)) => rejected.push(RejectedClaim {
                position,
                error: Error::InvalidClaim {
                    index: claim.index,
                    reason: "no seats won",
                },
            }),
            Ok((seats, output)) => members.push(CommitteeMember {
                index: claim.index,
                node: entry.node,
                seats,
                output,
            }),
            Err(error) => rejected.push(RejectedClaim { position, error }),
        }
    }
    members.sort_by_key(|m| m.index);
    let total_seats = members.iter().map(|m| m.seats).sum();
    Ok((
        Committee {
            selection: selection.clone(),
            members,
            total_seats,
        },
        rejected,
    ))
}

/// Checks a committee someone else assembled: re-assembles it from the same claims and
/// compares.
///
/// # Errors
/// The first rejected claim's error if any claim is invalid; [`Error::CommitteeMismatch`] if
/// the claims select a different committee.
pub fn check_committee<S: Scheme>(
    table: &StakeTable<S>,
    committee: &Committee,
    claims: &[EligibilityClaim],
    batch_seed: &[u8; 32],
) -> Result<(), Error> {
    let (ours, rejected) = assemble_committee(table, &committee.selection, claims, batch_seed)?;
    if let Some(r) = rejected.into_iter().next() {
        return Err(r.error);
    }
    if &ours != committee {
        return Err(Error::CommitteeMismatch);
    }
    Ok(())
}
