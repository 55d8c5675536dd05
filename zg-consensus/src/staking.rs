//! Shared staking and slashing: one stake ledger for every partition of a node.
//!
//! The stake itself lives on another chain; this ledger is what consensus needs of it, fed as
//! an ordered stream of inputs that every node sees in the same order (in production: as the
//! staking chain includes them):
//!
//! * [`StakeLedger::announce`]: the stake table of the next epoch. It is **sealed** into that
//!   epoch's [`ValidatorSet`] at once — proofs of possession checked, slashing penalties
//!   subtracted, slashed validators left out — and every partition uses that one set for every
//!   height of the epoch (`epoch = height / heights_per_epoch`), so a validator-set change takes
//!   effect at the same epoch boundary in all partitions.
//! * [`StakeLedger::apply_evidence`]: equivocation evidence from any partition. Verified against
//!   the set of the epoch the votes were cast in, it slashes `slash_fraction_bps` of the
//!   offender's stake **once** (the validator is tombstoned; later evidence is
//!   [`Error::AlreadySlashed`]) and removes it from every epoch announced afterwards, hence from
//!   every partition from the next epoch on.
//!
//! Hosts announce epoch `e + 1` during epoch `e` (before the first partition reaches its first
//! height; a partition that gets there first waits for it).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use zg_core::{Amount, Epoch, H256};

use crate::Error;
use crate::evidence::Evidence;
use crate::scheme::Scheme;
use crate::validators::{StakeTable, ValidatorSet};

/// The result of applying evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slashing<S: Scheme> {
    /// The offender.
    pub validator: S::PublicKey,
    /// Stake taken.
    pub amount: Amount,
    /// First epoch the offender is absent from (the next epoch to be announced).
    pub excluded_from: Epoch,
}

/// The validator sets of recent epochs plus slashing state, shared by all partitions.
#[derive(Clone, Debug)]
pub struct StakeLedger<S: Scheme> {
    network: H256,
    slash_fraction_bps: u32,
    keep_epochs: usize,
    sets: BTreeMap<Epoch, Arc<ValidatorSet<S>>>,
    latest: Epoch,
    penalties: BTreeMap<S::PublicKey, Amount>,
    tombstoned: BTreeMap<S::PublicKey, Epoch>,
    possession_checked: BTreeSet<S::PublicKey>,
}

impl<S: Scheme> StakeLedger<S> {
    /// A ledger starting from the genesis validator set (build it once with
    /// [`ValidatorSet::from_stake_table`], which checks the proofs of possession).
    pub fn new(
        genesis: Arc<ValidatorSet<S>>,
        slash_fraction_bps: u32,
        keep_epochs: usize,
    ) -> Result<Self, Error> {
        if slash_fraction_bps > 10_000 {
            return Err(Error::InvalidConfig("slash fraction above 100%"));
        }
        let possession_checked = genesis
            .validators()
            .iter()
            .map(|v| v.public_key.clone())
            .collect();
        Ok(StakeLedger {
            network: genesis.network(),
            slash_fraction_bps,
            keep_epochs: keep_epochs.max(2),
            latest: genesis.epoch(),
            sets: BTreeMap::from([(genesis.epoch(), genesis)]),
            penalties: BTreeMap::new(),
            tombstoned: BTreeMap::new(),
            possession_checked,
        })
    }

    /// Rebuilds a ledger from a snapshot's parts.
    pub(crate) fn from_parts(parts: LedgerParts<S>) -> Self {
        let possession_checked = parts
            .sets
            .iter()
            .flat_map(|s| s.validators().iter().map(|v| v.public_key.clone()))
            .collect();
        StakeLedger {
            network: parts.network,
            slash_fraction_bps: parts.slash_fraction_bps,
            keep_epochs: parts.keep_epochs,
            latest: parts.latest,
            sets: parts.sets.into_iter().map(|s| (s.epoch(), s)).collect(),
            penalties: parts.penalties.into_iter().collect(),
            tombstoned: parts.tombstoned.into_iter().collect(),
            possession_checked,
        }
    }

    /// The parts a snapshot needs.
    pub(crate) fn to_parts(&self) -> LedgerParts<S> {
        LedgerParts {
            network: self.network,
            slash_fraction_bps: self.slash_fraction_bps,
            keep_epochs: self.keep_epochs,
            latest: self.latest,
            sets: self.sets.values().cloned().collect(),
            penalties: self
                .penalties
                .iter()
                .map(|(k, v)| (k.clone(), *v))
                .collect(),
            tombstoned: self
                .tombstoned
                .iter()
                .map(|(k, v)| (k.clone(), *v))
                .collect(),
        }
    }

    /// The latest announced epoch.
    pub fn latest_epoch(&self) -> Epoch {
        self.latest
    }

    /// The validator set of an epoch, if announced and still kept.
    pub fn set(&self, epoch: Epoch) -> Option<&Arc<ValidatorSet<S>>> {
        self.sets.get(&epoch)
    }

    /// Stake slashed from a validator so far.
    pub fn penalty(&self, validator: &S::PublicKey) -> Amount {
        self.penalties
            .get(validator)
            .copied()
            .unwrap_or(Amount::ZERO)
    }

    /// Whether a validator was slashed (and is excluded from epochs announced since).
    pub fn is_slashed(&self, validator: &S::PublicKey) -> bool {
        self.tombstoned.contains_key(validator)
    }

    /// Seals the next epoch's stake table into its validator set (see the module docs). A key's
    /// proof of possession is checked the first time the key appears and remembered after.
    /// Re-announcing the latest epoch is accepted and ignored only if it was sealed from the
    /// same inputs; any other epoch than `latest + 1` is [`Error::EpochOutOfOrder`].
    pub fn announce(&mut self, table: &StakeTable<S>) -> Result<Arc<ValidatorSet<S>>, Error> {
        let expected = self
            .latest
            .next()
            .ok_or(Error::InvalidConfig("epoch overflow"))?;
        if table.epoch() != expected {
            return Err(Error::EpochOutOfOrder {
                expected: expected.0,
                got: table.epoch().0,
            });
        }
        let mut members = Vec::with_capacity(table.entries().len());
        for e in table.entries() {
            if self.tombstoned.contains_key(&e.bls_key) {
                continue;
            }
            let stake = e.stake.saturating_sub(self.penalty(&e.bls_key));
            if stake.is_zero() {
                continue;
            }
            if !self.possession_checked.contains(&e.bls_key) {
                if !S::verify_possession(&e.bls_key, &e.proof_of_possession) {
                    return Err(Error::InvalidProofOfPossession);
                }
                self.possession_checked.insert(e.bls_key.clone());
            }
            members.push((e.bls_key.clone(), stake.units()));
        }
        let set = Arc::new(ValidatorSet::new(self.network, table.epoch(), members)?);
        self.sets.insert(table.epoch(), set.clone());
        self.latest = table.epoch();
        while self.sets.len() > self.keep_epochs {
            self.sets.pop_first();
        }
        Ok(set)
    }

    /// Verifies and applies equivocation evidence (see the module docs).
    pub fn apply_evidence(&mut self, evidence: &Evidence<S>) -> Result<Slashing<S>, Error> {
        let set = self
            .sets
            .get(&evidence.epoch())
            .ok_or(Error::UnknownEpoch {
                epoch: evidence.epoch().0,
            })?;
        let offender = evidence.verify(set)?;
        if self.tombstoned.contains_key(&offender) {
            return Err(Error::AlreadySlashed);
        }
        let stake = Amount::new(set.weight(evidence.validator()));
        let amount = stake
            .checked_mul(u128::from(self.slash_fraction_bps))
            .and_then(|a| a.checked_div(10_000))
            .map_err(Error::Amount)?;
        let total = self
            .penalty(&offender)
            .checked_add(amount)
            .map_err(Error::Amount)?;
        let excluded_from = self
            .latest
            .next()
            .ok_or(Error::InvalidConfig("epoch overflow"))?;
        self.penalties.insert(offender.clone(), total);
        self.tombstoned.insert(offender.clone(), excluded_from);
        Ok(Slashing {
            validator: offender,
            amount,
            excluded_from,
        })
    }
}

/// The serialisable state of a ledger (inside WAL snapshots).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LedgerParts<S: Scheme> {
    pub(crate) network: H256,
    pub(crate) slash_fraction_bps: u32,
    pub(crate) keep_epochs: usize,
    pub(crate) latest: Epoch,
    pub(crate) sets: Vec<Arc<ValidatorSet<S>>>,
    pub(crate) penalties: Vec<(S::PublicKey, Amount)>,
    pub(crate) tombstoned: Vec<(S::PublicKey, Epoch)>,
}
