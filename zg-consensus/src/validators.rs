//! Validator sets (one per epoch, shared by every partition) and the stake tables they come from.

use zg_core::{Epoch, H256};

use crate::Error;
use crate::bitmap::SignerBitmap;
use crate::scheme::Scheme;
use crate::types::{Height, PartitionId, Round, ValidatorIndex};

/// The workspace's one stake table (zg-vrf): node id, stake, VRF key, BLS key with its proof
/// of possession, checked when it is built. Consensus reads the BLS keys and stakes.
pub use zg_vrf::{StakeEntry, StakeTable};

/// A member of a [`ValidatorSet`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validator<S: Scheme> {
    /// Public key (validated, with a checked proof of possession).
    pub public_key: S::PublicKey,
    /// Voting weight (effective stake in smallest units).
    pub weight: u128,
}

/// The validators of one epoch, sorted by public key, with their voting weights.
///
/// Thresholds follow the paper with weights (§3: "`2f + 1` messages" means senders whose
/// aggregate voting power is more than two thirds of the total): a **quorum** is weight `w` with
/// `3w > 2·total`, and the round-skip threshold (`f + 1`) is `3w > total`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatorSet<S: Scheme> {
    network: H256,
    epoch: Epoch,
    validators: Vec<Validator<S>>,
    total: u128,
    quorum: u128,
    skip: u128,
    cumulative: Vec<u128>,
}

/// Most validators one set may have (indices are `u16`).
pub const MAX_VALIDATORS: usize = u16::MAX as usize;

impl<S: Scheme> ValidatorSet<S> {
    /// Builds a set from `(key, weight)` pairs. The keys must already be validated with a proof
    /// of possession (see [`ValidatorSet::from_stake_table`]). Rejects an empty set, a zero
    /// weight, a duplicate key, more than [`MAX_VALIDATORS`] members, and a total over `u128`.
    pub fn new(
        network: H256,
        epoch: Epoch,
        members: Vec<(S::PublicKey, u128)>,
    ) -> Result<Self, Error> {
        if members.is_empty() {
            return Err(Error::InvalidValidatorSet("empty"));
        }
        if members.len() > MAX_VALIDATORS {
            return Err(Error::InvalidValidatorSet("too many validators"));
        }
        let mut validators: Vec<Validator<S>> = members
            .into_iter()
            .map(|(public_key, weight)| Validator { public_key, weight })
            .collect();
        validators.sort_by(|a, b| a.public_key.cmp(&b.public_key));
        if validators
            .windows(2)
            .any(|w| w[0].public_key == w[1].public_key)
        {
            return Err(Error::InvalidValidatorSet("duplicate key"));
        }
        let mut cumulative = Vec::with_capacity(validators.len());
        let mut total: u128 = 0;
        for v in &validators {
            if v.weight == 0 {
                return Err(Error::InvalidValidatorSet("zero weight"));
            }
            total = total
                .checked_add(v.weight)
                .ok_or(Error::InvalidValidatorSet("total stake overflows"))?;
            cumulative.push(total);
        }
        let (q, r) = (total / 3, total % 3);
        Ok(ValidatorSet {
            network,
            epoch,
            validators,
            total,
            // Smallest w with 3w > 2·total, without overflow: 2q + floor(2r/3) + 1.
            quorum: 2 * q + (2 * r) / 3 + 1,
            // Smallest w with 3w > total.
            skip: q + 1,
            cumulative,
        })
    }

    /// Builds the set of a stake table: its BLS keys (validated on decode, every proof of
    /// possession checked when the table was built), zero-stake rows dropped, weighted by stake.
    pub fn from_stake_table(network: H256, table: &StakeTable<S>) -> Result<Self, Error> {
        Self::new(network, table.epoch(), table.bls_members())
    }

    /// The network id signatures are bound to.
    pub fn network(&self) -> H256 {
        self.network
    }

    /// The epoch.
    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    /// Number of validators.
    pub fn len(&self) -> usize {
        self.validators.len()
    }

    /// Whether the set is empty (never, for a constructed set).
    pub fn is_empty(&self) -> bool {
        self.validators.is_empty()
    }

    /// Number of validators as the bitmap length.
    pub fn len_u16(&self) -> u16 {
        // `new` bounds the size by `MAX_VALIDATORS`.
        u16::try_from(self.validators.len()).unwrap_or(u16::MAX)
    }

    /// The validators, sorted by key.
    pub fn validators(&self) -> &[Validator<S>] {
        &self.validators
    }

    /// `(key, weight)` of every member, in index order (what
    /// [`RedeemCommand::AddEpoch`](crate::RedeemCommand::AddEpoch) takes).
    pub fn members(&self) -> Vec<(S::PublicKey, u128)> {
        self.validators
            .iter()
            .map(|v| (v.public_key.clone(), v.weight))
            .collect()
    }

    /// A validator by index.
    pub fn get(&self, index: ValidatorIndex) -> Option<&Validator<S>> {
        self.validators.get(index.get())
    }

    /// The weight of a validator (0 when out of range).
    pub fn weight(&self, index: ValidatorIndex) -> u128 {
        self.get(index).map_or(0, |v| v.weight)
    }

    /// The index of a key, if it is a member.
    pub fn index_of(&self, key: &S::PublicKey) -> Option<ValidatorIndex> {
        self.validators
            .binary_search_by(|v| v.public_key.cmp(key))
            .ok()
            .and_then(|i| u16::try_from(i).ok())
            .map(ValidatorIndex)
    }

    /// Total weight.
    pub fn total_weight(&self) -> u128 {
        self.total
    }

    /// Smallest quorum weight (`2f + 1`): `3w > 2·total`.
    pub fn quorum(&self) -> u128 {
        self.quorum
    }

    /// Smallest round-skip weight (`f + 1`): `3w > total`.
    pub fn skip_threshold(&self) -> u128 {
        self.skip
    }

    /// Sum of the weights of the set bits (bits past the set are ignored).
    pub fn weight_of(&self, signers: &SignerBitmap) -> u128 {
        signers
            .iter()
            .map(|i| self.weight(i))
            .fold(0u128, u128::saturating_add)
    }

    /// The aggregate public key of the set bits, or `None` when none is set.
    pub fn aggregate_key(&self, signers: &SignerBitmap) -> Option<S::PublicKey> {
        S::aggregate_public_keys(
            signers
                .iter()
                .filter_map(|i| self.get(i).map(|v| &v.public_key)),
        )
    }

    /// `proposer(h, round)`: a stake-weighted pseudo-random pick from
    /// `keccak(network, partition, epoch, height, round)`, so every process computes the same
    /// proposer, each validator proposes in proportion to its stake, and partitions spread the
    /// proposer load. (The paper assumes weighted round-robin; any deterministic stake-weighted
    /// choice in which every correct process is eventually proposer serves its liveness proof.)
    pub fn proposer(&self, partition: PartitionId, height: Height, round: Round) -> ValidatorIndex {
        let h = zg_core::keccak256_parts(&[
            b"zgc/proposer",
            self.network.as_bytes(),
            &partition.0.to_be_bytes(),
            &self.epoch.0.to_be_bytes(),
            &height.0.to_be_bytes(),
            &round.0.to_be_bytes(),
        ]);
        let mut b = [0u8; 16];
        b.copy_from_slice(&h.0[..16]);
        let x = u128::from_be_bytes(b) % self.total.max(1);
        let i = self.cumulative.partition_point(|&c| c <= x);
        ValidatorIndex(u16::try_from(i.min(self.validators.len().saturating_sub(1))).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InsecureTestScheme as T;

    fn set(weights: &[u128]) -> ValidatorSet<T> {
        let members = weights
            .iter()
            .enumerate()
            .map(|(i, &w)| (T::public_key(&T::secret_key_from_seed(&[i as u8; 32])), w))
            .collect();
        ValidatorSet::new(H256::ZERO, Epoch(0), members).unwrap()
    }

    #[test]
    fn thresholds_are_strict_thirds() {
        for total in 1u128..200 {
            let s = set(&[total]);
            let q = s.quorum();
            assert!(
                3 * q > 2 * total && 3 * (q - 1) <= 2 * total,
                "quorum of {total}"
            );
            let k = s.skip_threshold();
            assert!(3 * k > total && 3 * (k - 1) <= total, "skip of {total}");
        }
        let s = set(&[1, 1, 1, 1]);
        assert_eq!((s.quorum(), s.skip_threshold()), (3, 2));
        let s = set(&[u128::MAX / 2, u128::MAX / 2]);
        assert!(s.quorum() > s.total_weight() / 3 * 2);
    }

    #[test]
    fn rejects_bad_sets() {
        let k = T::public_key(&T::secret_key_from_seed(&[1; 32]));
        assert!(ValidatorSet::<T>::new(H256::ZERO, Epoch(0), vec![]).is_err());
        assert!(ValidatorSet::<T>::new(H256::ZERO, Epoch(0), vec![(k, 0)]).is_err());
        assert!(ValidatorSet::<T>::new(H256::ZERO, Epoch(0), vec![(k, 1), (k, 2)]).is_err());
        let k2 = T::public_key(&T::secret_key_from_seed(&[2; 32]));
        assert!(
            ValidatorSet::<T>::new(H256::ZERO, Epoch(0), vec![(k, u128::MAX), (k2, 1)]).is_err()
        );
    }

    #[test]
    fn proposer_is_stake_weighted_and_deterministic() {
        let s = set(&[1, 1, 8]);
        let heavy = s.validators().iter().position(|v| v.weight == 8).unwrap();
        let mut counts = [0u32; 3];
        for h in 0..3000 {
            let p = s.proposer(PartitionId(0), Height(h), Round(0));
            counts[p.get()] += 1;
            assert_eq!(p, s.proposer(PartitionId(0), Height(h), Round(0)));
        }
        // ~80% for the heavy validator.
        assert!((2200..2600).contains(&counts[heavy]), "{counts:?}");
    }

    #[test]
    fn stake_table_checks_possession() {
        use zg_core::{Amount, NodeId};
        let key = |i| zg_vrf::NodeKeys::<T>::derive(b"validators", NodeId(i));
        let good = key(1).entry(Amount::new(5));
        let mut bad = key(2).entry(Amount::new(5));
        bad.proof_of_possession = good.proof_of_possession;
        let zero = key(3).entry(Amount::ZERO);
        let unit = Amount::new(1);
        let t = StakeTable::new(Epoch(1), vec![good.clone(), zero], unit).unwrap();
        let s = ValidatorSet::from_stake_table(H256::ZERO, &t).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s.epoch(), Epoch(1));
        // A row with another key's proof never makes it into a table, so into no set.
        assert!(matches!(
            StakeTable::new(Epoch(1), vec![good, bad], unit),
            Err(zg_vrf::Error::InvalidRegistration { .. })
        ));
    }
}
