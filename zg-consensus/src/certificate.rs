//! Certificates: 2f+1 votes for one value as one aggregate signature plus a signer bitmap.

use zg_core::{Epoch, H256};

use crate::Error;
use crate::bitmap::SignerBitmap;
use crate::scheme::{BatchItem, Scheme};
use crate::types::{Height, PartitionId, Round, Slot, VoteKind, vote_signing_bytes};
use crate::validators::ValidatorSet;

/// Votes of more than two thirds of an epoch's stake for one value in one round, as one
/// aggregate signature and a bitmap of the signers.
///
/// A **commit certificate** (`kind = Precommit`) proves that `value` was decided at `height`
/// (paper line 49: 2f+1 `PRECOMMIT` for `id(v)` in some round). A **proof of lock**
/// (`kind = Prevote`) proves 2f+1 `PREVOTE`s for the value in `round` (lines 28 and 36).
///
/// Checking one costs one aggregation of the signers' keys and one pairing equation
/// `e(g1, σ) = e(Σ pk_i, H(m))` against the validator set of `epoch`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Certificate<S: Scheme> {
    /// Partition.
    pub partition: PartitionId,
    /// Epoch of the validator set that signed.
    pub epoch: Epoch,
    /// Height.
    pub height: Height,
    /// Round of the votes.
    pub round: Round,
    /// Prevote (proof of lock) or precommit (commit).
    pub kind: VoteKind,
    /// The value voted for (never nil).
    pub value: H256,
    /// Who signed.
    pub signers: SignerBitmap,
    /// Aggregate of the signers' vote signatures.
    pub signature: S::Signature,
}

impl<S: Scheme> Certificate<S> {
    /// The common message every signer signed.
    pub fn signing_bytes(&self, network: H256) -> [u8; crate::types::VOTE_SIGNING_LEN] {
        let slot = Slot {
            network,
            partition: self.partition,
            epoch: self.epoch,
            height: self.height,
        };
        vote_signing_bytes(&slot, self.round, self.kind, Some(self.value))
    }

    /// Verifies against the validator set of the certificate's epoch: the set's epoch matches,
    /// the bitmap has the set's length, the signers hold a quorum, and the aggregate signature
    /// verifies (one pairing equation). Any failure is [`Error::InvalidCertificate`].
    pub fn verify(&self, set: &ValidatorSet<S>) -> Result<(), Error> {
        if set.epoch() != self.epoch || self.signers.len() != set.len_u16() {
            return Err(Error::InvalidCertificate);
        }
        if set.weight_of(&self.signers) < set.quorum() {
            return Err(Error::InvalidCertificate);
        }
        let key = set
            .aggregate_key(&self.signers)
            .ok_or(Error::InvalidCertificate)?;
        let message = self.signing_bytes(set.network());
        if S::verify_batch(&[BatchItem {
            message: &message,
            public_key: &key,
            signature: &self.signature,
        }]) {
            Ok(())
        } else {
            Err(Error::InvalidCertificate)
        }
    }
}
