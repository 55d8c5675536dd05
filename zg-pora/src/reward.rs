//! Mining rewards per 8 GiB pricing chunk (`ChunkRewardBase.sol`, `ChunkLinearReward.sol`,
//! `Reward.sol`).
//!
//! Storage fees paid for a submission are spread over the pricing chunks (2^25 sectors) the
//! submission's sectors occupy ([`RewardPool::fill_reward`]). A chunk's reward is *locked* until
//! the chunk is full (finalized, `startTime` set), then released linearly over
//! `releaseSeconds`; each accepted answer whose seal lies in the chunk releases what is due,
//! and pays **half** of the chunk's claimable amount to the miner
//! ([`RewardPool::claim_mine_reward`]), plus a base reward from donations while the chunk is
//! inside its release period.
//!
//! Amounts are [`Amount`]s (the contract's `uint128` per chunk); every intermediate product is
//! computed in 256 bits, and every place Solidity would revert is a [`RewardError`] that leaves
//! the pool unchanged. One quirk of the live contract is kept on purpose: a claim on a chunk that
//! is not yet finalized sets its `lastUpdate`, after which the linear release counts from time 0
//! (`startTime` is still 0), so with a real clock the next claim releases the whole locked amount.

use std::collections::BTreeMap;

use ruint::aliases::U256;
use zg_core::Amount;

use crate::pora::SECTORS_PER_PRICE;

/// Most pricing chunks one fill may touch (8 PiB): a bound on work per input, where the
/// contract would run out of gas.
pub const MAX_CHUNKS_PER_FILL: u64 = 1 << 20;

/// Basis points in one.
const BPS: u64 = 10_000;

/// Reward parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RewardConfig {
    /// Seconds over which a finalized chunk's reward is released (`releaseSeconds`).
    pub release_seconds: u64,
    /// Base reward per claim while the chunk is inside its release period (`baseReward`).
    pub base_reward: Amount,
    /// Share of every fee sent to the treasury, in basis points (`serviceFeeRateBps`).
    pub service_fee_bps: u64,
}

/// One pricing chunk's reward (`Reward` struct); times in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ChunkReward {
    /// Not yet released.
    pub locked: Amount,
    /// Released, not yet paid.
    pub claimable: Amount,
    /// Paid to miners.
    pub distributed: Amount,
    /// When the chunk was finalized (0: not yet).
    pub start_time: u64,
    /// When the reward was last updated (0: never).
    pub last_update: u64,
}

/// Where the reward contract would revert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum RewardError {
    /// "Reward overflow": an amount past `uint128`.
    #[error("reward amount overflows")]
    Overflow,
    /// "Reward item has been initialized": fees for a chunk that is already finalized.
    #[error("pricing chunk {chunk} is already finalized")]
    ChunkFinalized {
        /// The pricing chunk.
        chunk: u64,
    },
    /// A fill charged no sectors (division by zero), or more chunks than [`MAX_CHUNKS_PER_FILL`].
    #[error("invalid fill of {sectors} sectors")]
    InvalidFill {
        /// The sectors charged.
        sectors: u64,
    },
    /// The fee rate is above 100%.
    #[error("service fee rate above 10000 bps")]
    FeeRate,
    /// `releaseSeconds` is zero (division by zero).
    #[error("release period is zero")]
    ZeroReleasePeriod,
    /// The clock is before a chunk's start time (the contract's subtraction underflows).
    #[error("time {now} is before the chunk's start {start}")]
    TimeBeforeStart {
        /// The time given.
        now: u64,
        /// The chunk's start time.
        start: u64,
    },
}

fn amount(x: U256) -> Result<Amount, RewardError> {
    u128::try_from(x)
        .map(Amount)
        .map_err(|_| RewardError::Overflow)
}

fn wide(a: Amount) -> U256 {
    U256::from(a.units())
}

impl ChunkReward {
    /// `addReward`: adds to the locked amount and finalizes when asked.
    fn add(
        &mut self,
        value: U256,
        finalized: bool,
        now: u64,
        chunk: u64,
    ) -> Result<(), RewardError> {
        let value = amount(value)?;
        if self.start_time != 0 {
            return Err(RewardError::ChunkFinalized { chunk });
        }
        self.locked = self
            .locked
            .checked_add(value)
            .map_err(|_| RewardError::Overflow)?;
        if finalized {
            self.start_time = now;
            self.last_update = now;
        }
        Ok(())
    }

    /// `linearDecayReward`: what is due now, at `release_seconds` for the whole amount.
    pub fn releasable(&self, now: u64, release_seconds: u64) -> Result<Amount, RewardError> {
        if self.last_update == 0 {
            return Ok(Amount::ZERO);
        }
        let released = wide(self.claimable) + wide(self.distributed);
        let total = wide(self.locked) + released;
        let elapsed = now
            .checked_sub(self.start_time)
            .ok_or(RewardError::TimeBeforeStart {
                now,
                start: self.start_time,
            })?;
        if release_seconds == 0 {
            return Err(RewardError::ZeroReleasePeriod);
        }
        // total < 2^130 and elapsed < 2^64: the product fits 256 bits.
        let expected = (total * U256::from(elapsed) / U256::from(release_seconds)).min(total);
        if expected < released {
            return Ok(Amount::ZERO);
        }
        amount(expected - released)
    }

    /// `updateReward` then `claimReward`: releases `release` and pays half of what is claimable.
    fn claim(&mut self, release: Amount, now: u64) -> Result<Amount, RewardError> {
        self.locked = self
            .locked
            .checked_sub(release)
            .map_err(|_| RewardError::Overflow)?;
        self.claimable = self
            .claimable
            .checked_add(release)
            .map_err(|_| RewardError::Overflow)?;
        self.last_update = now;
        let paid = Amount(self.claimable.units() / 2);
        self.claimable = self.claimable.saturating_sub(paid);
        self.distributed = self
            .distributed
            .checked_add(paid)
            .map_err(|_| RewardError::Overflow)?;
        Ok(paid)
    }
}

/// All pricing chunks' rewards, the donated base-reward pool and the treasury's fees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RewardPool {
    config: RewardConfig,
    chunks: BTreeMap<u64, ChunkReward>,
    total_base_reward: Amount,
    treasury: Amount,
}

impl RewardPool {
    /// An empty pool.
    pub fn new(config: RewardConfig) -> Self {
        RewardPool {
            config,
            chunks: BTreeMap::new(),
            total_base_reward: Amount::ZERO,
            treasury: Amount::ZERO,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &RewardConfig {
        &self.config
    }

    /// Pricing chunk `index`'s reward (all zero if it never received fees).
    pub fn chunk(&self, index: u64) -> ChunkReward {
        self.chunks.get(&index).copied().unwrap_or_default()
    }

    /// The donated pool that base rewards are paid from.
    pub fn total_base_reward(&self) -> Amount {
        self.total_base_reward
    }

    /// Service fees sent to the treasury so far.
    pub fn treasury(&self) -> Amount {
        self.treasury
    }

    /// `fillReward(beforeLength, chargedSectors)` with `value` paid: the fee for sectors
    /// `[before_length, before_length + charged_sectors)`, less the service fee, spread over
    /// their pricing chunks pro rata; chunks that the fill completes are finalized at `now`
    /// (seconds). All or nothing.
    pub fn fill_reward(
        &mut self,
        now: u64,
        before_length: u64,
        charged_sectors: u64,
        value: Amount,
    ) -> Result<(), RewardError> {
        if self.config.service_fee_bps > BPS {
            return Err(RewardError::FeeRate);
        }
        let invalid = RewardError::InvalidFill {
            sectors: charged_sectors,
        };
        if charged_sectors == 0 {
            return Err(invalid);
        }
        let fee = wide(value) * U256::from(self.config.service_fee_bps) / U256::from(BPS);
        let rest = wide(value) - fee;
        let spp = U256::from(SECTORS_PER_PRICE);
        let per_chunk = rest * spp / U256::from(charged_sectors);
        let after = before_length.checked_add(charged_sectors).ok_or(invalid)?;
        let first_len = SECTORS_PER_PRICE - before_length % SECTORS_PER_PRICE;
        let first = before_length / SECTORS_PER_PRICE;
        let last_len = (after - 1) % SECTORS_PER_PRICE + 1;
        let last = (after - last_len) / SECTORS_PER_PRICE;
        if last - first >= MAX_CHUNKS_PER_FILL {
            return Err(invalid);
        }
        let finalize_last = after % SECTORS_PER_PRICE == 0;

        let mut updated = BTreeMap::new();
        let mut add = |chunk: u64, v: U256, fin: bool| -> Result<(), RewardError> {
            let r = updated
                .entry(chunk)
                .or_insert_with(|| self.chunks.get(&chunk).copied().unwrap_or_default());
            r.add(v, fin, now, chunk)
        };
        if first == last {
            add(first, rest, finalize_last)?;
        } else {
            add(first, per_chunk * U256::from(first_len) / spp, true)?;
            for i in first + 1..last {
                add(i, per_chunk, true)?;
            }
            add(last, per_chunk * U256::from(last_len) / spp, finalize_last)?;
        }
        let treasury = self
            .treasury
            .checked_add(amount(fee)?)
            .map_err(|_| RewardError::Overflow)?;
        self.chunks.extend(updated);
        self.treasury = treasury;
        Ok(())
    }

    /// `donate()`: adds to the base-reward pool.
    pub fn donate(&mut self, value: Amount) -> Result<(), RewardError> {
        self.total_base_reward = self
            .total_base_reward
            .checked_add(value)
            .map_err(|_| RewardError::Overflow)?;
        Ok(())
    }

    /// `claimMineReward(pricingIndex)` at `now` (seconds): releases what is due, pays half the
    /// claimable amount, plus the base reward while the chunk is inside its release period.
    /// Returns the amount paid. All or nothing.
    pub fn claim_mine_reward(
        &mut self,
        now: u64,
        pricing_index: u64,
    ) -> Result<Amount, RewardError> {
        let claim = self.preview_claim(now, pricing_index)?;
        let paid = claim.paid;
        self.apply_claim(claim);
        Ok(paid)
    }

    /// What [`RewardPool::claim_mine_reward`] would do, without doing it.
    pub fn preview_claim(&self, now: u64, pricing_index: u64) -> Result<Claim, RewardError> {
        let mut reward = self.chunk(pricing_index);
        let release = reward.releasable(now, self.config.release_seconds)?;
        let from_fees = reward.claim(release, now)?;
        let in_period = u128::from(reward.start_time) + u128::from(self.config.release_seconds)
            > u128::from(now);
        let approved = if in_period {
            self.config.base_reward
        } else {
            Amount::ZERO
        };
        let base = approved.min(self.total_base_reward);
        Ok(Claim {
            pricing_index,
            chunk: reward,
            base_left: self.total_base_reward.saturating_sub(base),
            paid: from_fees
                .checked_add(base)
                .map_err(|_| RewardError::Overflow)?,
        })
    }

    /// Carries out a claim from [`RewardPool::preview_claim`] (made on this pool, with nothing
    /// changed in between).
    pub fn apply_claim(&mut self, claim: Claim) {
        self.chunks.insert(claim.pricing_index, claim.chunk);
        self.total_base_reward = claim.base_left;
    }
}

/// A computed claim: the chunk's state after it and the amount paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Claim {
    /// The pricing chunk.
    pub pricing_index: u64,
    /// Its reward after the claim.
    pub chunk: ChunkReward,
    /// The base-reward pool after the claim.
    pub base_left: Amount,
    /// Paid to the miner: half the claimable fees plus the base reward.
    pub paid: Amount,
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPP: u64 = SECTORS_PER_PRICE;

    fn pool(release: u64, base: u128, bps: u64) -> RewardPool {
        RewardPool::new(RewardConfig {
            release_seconds: release,
            base_reward: Amount(base),
            service_fee_bps: bps,
        })
    }

    #[test]
    fn fees_spread_pro_rata_and_finalize_full_chunks() {
        let mut p = pool(1000, 0, 0);
        // Half a chunk, then one and a half: chunk 0 completes, chunk 1 half full.
        p.fill_reward(10, 0, SPP / 2, Amount(1000)).unwrap();
        assert_eq!(p.chunk(0).locked, Amount(1000));
        assert_eq!(p.chunk(0).start_time, 0);
        p.fill_reward(20, SPP / 2, SPP, Amount(3000)).unwrap();
        // 3000 over one chunk's worth of sectors: 1500 to each half.
        assert_eq!(p.chunk(0).locked, Amount(2500));
        assert_eq!(p.chunk(0).start_time, 20);
        assert_eq!(p.chunk(1).locked, Amount(1500));
        assert_eq!(p.chunk(1).start_time, 0);
        // A fill that ends exactly on a boundary finalizes its last chunk.
        p.fill_reward(30, SPP + SPP / 2, SPP / 2, Amount(10))
            .unwrap();
        assert_eq!(p.chunk(1).start_time, 30);
        // A finalized chunk takes no more fees, and the failed fill changed nothing.
        let before = p.clone();
        assert_eq!(
            p.fill_reward(40, SPP / 2, 10, Amount(1)),
            Err(RewardError::ChunkFinalized { chunk: 0 })
        );
        assert_eq!(p, before);
        assert_eq!(
            p.fill_reward(40, 0, 0, Amount(1)),
            Err(RewardError::InvalidFill { sectors: 0 })
        );
    }

    #[test]
    fn claims_pay_half_of_the_linear_release() {
        let mut p = pool(1000, 0, 0);
        p.fill_reward(100, 0, SPP, Amount(10_000)).unwrap();
        // 100 s after start: 10% released, half of it paid.
        assert_eq!(p.claim_mine_reward(200, 0), Ok(Amount(500)));
        let c = p.chunk(0);
        assert_eq!(
            (c.locked, c.claimable, c.distributed),
            (Amount(9000), Amount(500), Amount(500))
        );
        // Same second: nothing new released; half of the 500 left.
        assert_eq!(p.claim_mine_reward(200, 0), Ok(Amount(250)));
        // Past the period everything is released.
        assert_eq!(p.claim_mine_reward(5000, 0), Ok(Amount((9000 + 250) / 2)));
        let c = p.chunk(0);
        assert_eq!(
            wide(c.locked) + wide(c.claimable) + wide(c.distributed),
            U256::from(10_000u64)
        );
        assert_eq!(
            p.claim_mine_reward(50, 0),
            Err(RewardError::TimeBeforeStart {
                now: 50,
                start: 100
            })
        );
    }

    #[test]
    fn base_reward_and_service_fee() {
        let mut p = pool(1000, 7, 250);
        p.fill_reward(100, 0, SPP, Amount(10_000)).unwrap();
        assert_eq!(p.treasury(), Amount(250));
        assert_eq!(p.chunk(0).locked, Amount(9750));
        p.donate(Amount(10)).unwrap();
        // In the period: half of 0 released at t=100, plus base 7.
        assert_eq!(p.claim_mine_reward(100, 0), Ok(Amount(7)));
        // The pool has 3 left: the base reward is capped by it.
        assert_eq!(p.claim_mine_reward(100, 0), Ok(Amount(3)));
        assert_eq!(p.total_base_reward(), Amount::ZERO);
    }

    #[test]
    fn unfinalized_claim_quirk_is_kept() {
        // The live contract: a claim on an unfinalized chunk sets lastUpdate, so the next claim
        // counts from time 0 and releases everything locked.
        let now = 1_700_000_000;
        let mut p = pool(30 * 86_400, 0, 0);
        p.fill_reward(now, 0, SPP / 2, Amount(800)).unwrap();
        assert_eq!(p.claim_mine_reward(now + 50, 0), Ok(Amount::ZERO));
        assert_eq!(p.chunk(0).last_update, now + 50);
        assert_eq!(p.claim_mine_reward(now + 51, 0), Ok(Amount(400)));
        assert_eq!(p.chunk(0).locked, Amount::ZERO);
    }
}
