//! Equivocation evidence: two conflicting signed votes by one validator.

use crate::Error;
use crate::scheme::{BatchItem, Scheme};
use crate::types::{SignedVote, ValidatorIndex};
use crate::validators::ValidatorSet;
use zg_core::Epoch;

/// Proof that a validator signed two different votes for the same partition, height, round and
/// step — in any partition. Anyone holding the epoch's validator set can check it
/// ([`Evidence::verify`]); applying it slashes the validator's shared stake once and removes it
/// from every partition from the next announced epoch
/// ([`StakeLedger::apply_evidence`](crate::StakeLedger::apply_evidence)).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Evidence<S: Scheme> {
    first: SignedVote<S>,
    second: SignedVote<S>,
}

impl<S: Scheme> Evidence<S> {
    /// Pairs two votes, in a canonical order (so the same pair is the same evidence). Checks the
    /// shape only: same validator and slot, different values. Signatures are checked by
    /// [`Evidence::verify`].
    pub fn new(a: SignedVote<S>, b: SignedVote<S>) -> Result<Self, Error> {
        if !a.vote.conflicts_with(&b.vote) {
            return Err(Error::InvalidEvidence("votes do not conflict"));
        }
        let (first, second) = if a.vote.value <= b.vote.value {
            (a, b)
        } else {
            (b, a)
        };
        Ok(Evidence { first, second })
    }

    /// The two votes.
    pub fn votes(&self) -> (&SignedVote<S>, &SignedVote<S>) {
        (&self.first, &self.second)
    }

    /// The epoch the votes were cast in.
    pub fn epoch(&self) -> Epoch {
        self.first.vote.epoch
    }

    /// The offender's index in that epoch's set.
    pub fn validator(&self) -> ValidatorIndex {
        self.first.vote.validator
    }

    /// Checks the evidence against the validator set of its epoch and returns the offender's
    /// public key: the votes conflict, and both signatures verify under the offender's key.
    pub fn verify(&self, set: &ValidatorSet<S>) -> Result<S::PublicKey, Error> {
        if !self.first.vote.conflicts_with(&self.second.vote) {
            return Err(Error::InvalidEvidence("votes do not conflict"));
        }
        if set.epoch() != self.epoch() {
            return Err(Error::InvalidEvidence("wrong epoch"));
        }
        let key = &set
            .get(self.validator())
            .ok_or(Error::InvalidEvidence("unknown validator"))?
            .public_key;
        let network = set.network();
        let m1 = self.first.vote.signing_bytes(network);
        let m2 = self.second.vote.signing_bytes(network);
        let ok = S::verify_batch(&[
            BatchItem {
                message: &m1,
                public_key: key,
                signature: &self.first.signature,
            },
            BatchItem {
                message: &m2,
                public_key: key,
                signature: &self.second.signature,
            },
        ]);
        if ok {
            Ok(key.clone())
        } else {
            Err(Error::InvalidEvidence("signature does not verify"))
        }
    }
}
