//! Audit assignment by VRF: which subjects each alignment node audits in an epoch.
//!
//! # Rule
//!
//! 1. Each alignment node `j` evaluates its VRF (zg-vrf, RFC 9381) on
//!    `alpha = committee_alpha(epoch, seed, "alignment-audit")` and publishes the claim
//!    (its stake-table index and the batchable proof, [`audit_claim`]). Nobody can predict an
//!    output before it is revealed (it needs the node's secret key) and nobody can grind it:
//!    the output is unique per key and alpha, the keys are fixed in the stake table before the
//!    seed is known, and the seed comes from the beacon.
//! 2. Anyone holding the table, the seed and the claims rebuilds the same [`Assignment`]
//!    ([`Assignment::new`]): every proof is checked (in one batch), invalid and duplicate claims
//!    are dropped, and the `N` verified auditors are **ranked** by `(VRF output, node)`.
//! 3. The subjects are ordered by `Keccak-256("zg-alignment/assign/v1" ‖ seed ‖ subject)`
//!    (9-byte subject form); the subject at position `q` is audited by the auditors of ranks
//!    `q, q + 1, …, q + k − 1 (mod N)`.
//!
//! # What it guarantees
//!
//! * **Coverage**: every subject has exactly `min(k, N)` distinct auditors, with probability 1
//!   over the revealed claims.
//! * **Even work**: an auditor audits between `k·⌊S/N⌋` and `k·⌈S/N⌉` of the `S` subjects.
//! * **Honest coverage**: the ranking is a uniformly random permutation of the auditors (VRF
//!   outputs are pseudorandom and unknown before they are revealed), so if `F` of the `N`
//!   auditors are faulty, a given subject's `k` auditors are all faulty with probability
//!   `C(F, k) / C(N, k) ≤ (F/N)^k` — with `k = 8` and a third of the auditors faulty,
//!   below `1.6 · 10⁻⁴` per subject.
//! * **Limit**: the only choice an auditor has is to reveal or withhold its claim; withholding
//!   removes it and shifts the ranks after it. A coalition of `c` auditors can therefore choose
//!   among at most `2^c` assignments; the host closes the claim window before assignments are
//!   used.

use zg_bls::Scheme;
use zg_core::{Epoch, H256, NodeId};
use zg_vrf::{BatchItem, EligibilityClaim, NodeKeys, Output, StakeTable, committee_alpha};

use crate::duty::Subject;

/// The VRF role of audit assignment.
pub const AUDIT_ROLE: &str = "alignment-audit";

/// Most subjects one assignment orders (the duty ledger's bound of the budget target, with room).
pub const MAX_SUBJECTS: usize = 1 << 20;

const ASSIGN_DOMAIN: &[u8] = b"zg-alignment/assign/v1";

/// Why an assignment or a claim was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AssignError {
    /// The node's VRF key is not in the stake table.
    #[error("{node} is not in the stake table")]
    NotRegistered {
        /// The node.
        node: NodeId,
    },
    /// `k` is zero or more subjects than the bound were given.
    #[error("invalid assignment parameters: {reason}")]
    InvalidParameters {
        /// Why.
        reason: &'static str,
    },
    /// zg-vrf refused to prove.
    #[error("VRF: {0}")]
    Vrf(zg_vrf::Error),
}

/// The VRF input of the audit assignment of `epoch`.
pub fn audit_alpha(epoch: Epoch, seed: &H256) -> Vec<u8> {
    committee_alpha(epoch, seed, AUDIT_ROLE)
}

/// Run by an alignment node: its claim for `epoch` (publish it).
///
/// # Errors
/// [`AssignError::NotRegistered`], [`AssignError::Vrf`].
pub fn audit_claim<S: Scheme>(
    keys: &NodeKeys<S>,
    table: &StakeTable<S>,
    epoch: Epoch,
    seed: &H256,
) -> Result<EligibilityClaim, AssignError> {
    let index = table
        .index_of(keys.vrf.public_key())
        .ok_or(AssignError::NotRegistered { node: keys.node })?;
    let proof = keys
        .vrf
        .prove_batchable(&audit_alpha(epoch, seed))
        .map_err(AssignError::Vrf)?;
    Ok(EligibilityClaim { index, proof })
}

/// The audit assignment of one epoch (see the [module docs](self)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    epoch: Epoch,
    k: usize,
    /// Verified auditors in rank order.
    auditors: Vec<NodeId>,
    /// Subjects in position order.
    order: Vec<Subject>,
    /// `(subject, position)` sorted by subject, for lookups.
    index: Vec<(Subject, u32)>,
}

impl Assignment {
    /// Builds the assignment from the table, the seed, the published claims (any order; invalid
    /// and duplicate ones are dropped and their positions returned) and the epoch's subjects.
    ///
    /// # Errors
    /// [`AssignError::InvalidParameters`] for `k = 0` or more than [`MAX_SUBJECTS`] subjects.
    pub fn new<S: Scheme>(
        table: &StakeTable<S>,
        epoch: Epoch,
        seed: &H256,
        claims: &[EligibilityClaim],
        subjects: &[Subject],
        k: usize,
    ) -> Result<(Assignment, Vec<usize>), AssignError> {
        if k == 0 {
            return Err(AssignError::InvalidParameters {
                reason: "k must be positive",
            });
        }
        if subjects.len() > MAX_SUBJECTS {
            return Err(AssignError::InvalidParameters {
                reason: "too many subjects",
            });
        }
        let (ranked, rejected) = verified_outputs(table, epoch, seed, claims);
        let mut keyed: Vec<(H256, Subject)> = subjects
            .iter()
            .map(|s| {
                (
                    zg_core::keccak256_parts(&[ASSIGN_DOMAIN, seed.as_bytes(), &s.to_bytes()]),
                    *s,
                )
            })
            .collect();
        keyed.sort_unstable();
        keyed.dedup_by_key(|x| x.1);
        let order: Vec<Subject> = keyed.into_iter().map(|(_, s)| s).collect();
        let mut index: Vec<(Subject, u32)> = order
            .iter()
            .enumerate()
            .map(|(q, s)| (*s, u32::try_from(q).unwrap_or(u32::MAX)))
            .collect();
        index.sort_unstable();
        Ok((
            Assignment {
                epoch,
                k,
                auditors: ranked,
                order,
                index,
            },
            rejected,
        ))
    }

    /// The epoch.
    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    /// The verified auditors, in rank order.
    pub fn auditors(&self) -> &[NodeId] {
        &self.auditors
    }

    /// Auditors per subject: `min(k, N)`.
    pub fn per_subject(&self) -> usize {
        self.k.min(self.auditors.len())
    }

    /// The auditors of `subject` (empty if it is not a subject of this epoch or nobody
    /// revealed).
    pub fn auditors_of(&self, subject: Subject) -> Vec<NodeId> {
        let n = self.auditors.len();
        let Ok(i) = self.index.binary_search_by_key(&subject, |x| x.0) else {
            return Vec::new();
        };
        let q = self.index[i].1 as usize;
        (0..self.per_subject())
            .map(|j| self.auditors[(q + j) % n])
            .collect()
    }

    /// The subjects `node` audits, in position order (empty if it did not reveal).
    pub fn subjects_of(&self, node: NodeId) -> Vec<Subject> {
        let n = self.auditors.len();
        let Some(r) = self.auditors.iter().position(|a| *a == node) else {
            return Vec::new();
        };
        let mut out: Vec<(usize, Subject)> = Vec::new();
        for j in 0..self.per_subject() {
            let mut q = (r + n - j) % n;
            while let Some(s) = self.order.get(q) {
                out.push((q, *s));
                q += n;
            }
        }
        out.sort_unstable();
        out.into_iter().map(|(_, s)| s).collect()
    }

    /// Whether `node` must audit `subject`.
    pub fn is_assigned(&self, node: NodeId, subject: Subject) -> bool {
        self.auditors_of(subject).contains(&node)
    }
}

/// The verified auditors in rank order and the positions of the refused claims.
fn verified_outputs<S: Scheme>(
    table: &StakeTable<S>,
    epoch: Epoch,
    seed: &H256,
    claims: &[EligibilityClaim],
) -> (Vec<NodeId>, Vec<usize>) {
    let alpha = audit_alpha(epoch, seed);
    let entries = table.entries();
    let mut rejected = Vec::new();
    // Verify every claim first, then select: a forged claim that names an honest node's index
    // must not push that node's real claim out as a "duplicate", whatever the order.
    let mut candidates = Vec::new();
    for (position, c) in claims.iter().enumerate() {
        if c.index < entries.len() {
            candidates.push((position, c));
        } else {
            rejected.push(position);
        }
    }
    let items: Vec<BatchItem<'_>> = candidates
        .iter()
        .map(|(_, c)| BatchItem {
            public_key: &entries[c.index].vrf_key,
            alpha: &alpha,
            proof: &c.proof,
        })
        .collect();
    // Randomisers fixed by the claims themselves (derived after the inputs are).
    let mut transcript = Vec::new();
    for (_, c) in &candidates {
        transcript.extend_from_slice(&(c.index as u64).to_be_bytes());
        transcript.extend_from_slice(c.proof.as_bytes());
    }
    let batch_seed = zg_core::keccak256_parts(&[ASSIGN_DOMAIN, &transcript]).0;
    let mut seen = vec![false; entries.len()];
    let mut ranked: Vec<(Output, NodeId)> = Vec::new();
    for ((position, c), verdict) in candidates
        .into_iter()
        .zip(zg_vrf::verify_batch(&items, &batch_seed))
    {
        match verdict {
            // The output is unique per key and alpha: a second valid claim adds nothing.
            Ok(beta) if !seen[c.index] => {
                seen[c.index] = true;
                ranked.push((beta, entries[c.index].node));
            }
            _ => rejected.push(position),
        }
    }
    ranked.sort_unstable();
    rejected.sort_unstable();
    (ranked.into_iter().map(|(_, n)| n).collect(), rejected)
}
