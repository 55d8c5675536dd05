use std::collections::BTreeMap;

use zg_core::{H256, NodeId, keccak256_parts};

/// Domain tag of trainer assignment.
pub(super) const ASSIGN_DOMAIN: &[u8] = b"zg-alignment/assign-trainer/v1";

/// Why a submission was refused or reported.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProvenanceError {
    /// The root was already submitted by another contributor (evidence: both).
    #[error("sample {root:?} first submitted by {first}, resubmitted by {again}")]
    Resubmitted {
        /// The sample's storage root.
        root: H256,
        /// Who submitted it first.
        first: NodeId,
        /// Who submitted it again.
        again: NodeId,
    },
    /// The contributor is at its sample cap.
    #[error("{who} is at its cap of {cap} samples")]
    ContributorFull {
        /// The contributor.
        who: NodeId,
        /// The cap.
        cap: usize,
    },
    /// The registry is at its total cap.
    #[error("registry full ({cap} samples)")]
    Full {
        /// The cap.
        cap: usize,
    },
}

/// Sample provenance: storage root → first contributor. At most `per_contributor` samples per
/// contributor and `total` overall; a refused submission creates no state.
#[derive(Clone, Debug)]
pub struct Provenance {
    owner: BTreeMap<H256, NodeId>,
    counts: BTreeMap<NodeId, usize>,
    per_contributor: usize,
    total: usize,
}

impl Provenance {
    /// An empty registry with the given caps.
    pub fn new(per_contributor: usize, total: usize) -> Provenance {
        Provenance {
            owner: BTreeMap::new(),
            counts: BTreeMap::new(),
            per_contributor,
            total,
        }
    }

    /// Records `root` from `who` (the transport-authenticated submitter). The same contributor
    /// resubmitting its own sample is idempotent.
    pub fn submit(&mut self, who: NodeId, root: H256) -> Result<(), ProvenanceError> {
        if let Some(&first) = self.owner.get(&root) {
            if first == who {
                return Ok(());
            }
            return Err(ProvenanceError::Resubmitted {
                root,
                first,
                again: who,
            });
        }
        let have = self.counts.get(&who).copied().unwrap_or(0);
        if have >= self.per_contributor {
            return Err(ProvenanceError::ContributorFull {
                who,
                cap: self.per_contributor,
            });
        }
        if self.owner.len() >= self.total {
            return Err(ProvenanceError::Full { cap: self.total });
        }
        self.owner.insert(root, who);
        *self.counts.entry(who).or_insert(0) += 1;
        Ok(())
    }

    /// Who first submitted `root`.
    pub fn contributor(&self, root: &H256) -> Option<NodeId> {
        self.owner.get(root).copied()
    }

    /// Samples recorded.
    pub fn len(&self) -> usize {
        self.owner.len()
    }

    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.owner.is_empty()
    }
}

/// The trainer for a sample: the one maximising keccak256(domain ‖ seed ‖ root ‖ trainer), a
/// rendezvous hash, so removing a trainer moves only its own samples. `None` if no trainers.
pub fn assign_trainer(epoch_seed: &H256, root: &H256, trainers: &[NodeId]) -> Option<NodeId> {
    trainers
        .iter()
        .map(|t| {
            let h = keccak256_parts(&[ASSIGN_DOMAIN, &epoch_seed.0, &root.0, &t.0.to_be_bytes()]);
            (h.0, *t)
        })
        .max()
        .map(|(_, t)| t)
}
