//! The reward pool: per-licence allocation, the launch (TGE) share, daily vesting that follows
//! verified work, the shared carry of idle licences, and claims — integer arithmetic only.
//!
//! The rules, exactly (pool `P`, licences `L`, day `d`):
//!
//! * `A = floor(P / L)`; `dust = P − A·L` (never paid);
//! * `tge = floor(A · 33 / 100)`, earned by every licence at launch, unconditionally;
//! * for `d = 1 … 1,095`: `v_d = floor((A − tge)·d / 1095) − floor((A − tge)·(d − 1) / 1095)`;
//!   for `d > 1,095`: `v_d = 0`;
//! * on day `d` a live licence earns `v_d`; `F_d = carry_{d−1} + v_d · (L − live_count)`; each
//!   live licence also earns `floor(F_d / live_count)` and `carry_d = F_d − live_count ·
//!   floor(F_d / live_count)` (`carry_d = F_d` when nobody is live);
//! * a claim pays `earned − claimed`;
//! * after settling day `D`: `Σ earned + carry + dust + unvested = P`, where
//!   `unvested = L·(A − tge − floor((A − tge)·min(D, 1095) / 1095))`
//!   ([`RewardPool::check_conservation`]).

use zg_core::Amount;

use super::EconomyError;

/// Days of vesting after launch (36 months).
pub const VESTING_DAYS: u64 = 1_095;
/// Percent of each allocation earned at launch.
pub const TGE_PERCENT: u128 = 33;
/// The most licences a pool (and a sale) may hold: it bounds the pool's two vectors.
pub const MAX_LICENCES: u64 = 1_000_000;

/// What settling one day did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DayReport {
    /// The day settled (1-based).
    pub day: u64,
    /// `v_d`.
    pub vesting: Amount,
    /// Licences live that day.
    pub live_count: u64,
    /// `F_d`: the previous carry plus the idle licences' `v_d`.
    pub shared: Amount,
    /// `floor(F_d / live_count)` paid to each live licence (zero when nobody is live).
    pub share_each: Amount,
    /// Carried to the next day.
    pub carry: Amount,
}

/// The pool's state after launch. See the [module docs](self) for the rules.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RewardPool {
    pool: u128,
    licences: u64,
    allocation: u128,
    tge: u128,
    dust: u128,
    day: u64,
    carry: u128,
    earned: Vec<u128>,
    claimed: Vec<u128>,
}

/// `floor(x · d / 1095)` for `d ≤ 1095`, without forming `x · d`.
fn vested_part(x: u128, d: u64) -> u128 {
    let d = u128::from(d.min(VESTING_DAYS));
    let n = u128::from(VESTING_DAYS);
    // x = q·n + r  ⇒  x·d / n = q·d + r·d / n  (r·d < n², q·d ≤ x).
    (x / n) * d + (x % n) * d / n
}

impl RewardPool {
    /// A pool of `pool` units for `licences` licences (1–[`MAX_LICENCES`]), at launch: each
    /// licence has earned its `tge`.
    pub fn new(pool: Amount, licences: u64) -> Result<RewardPool, EconomyError> {
        if licences == 0 || licences > MAX_LICENCES {
            return Err(EconomyError::PoolLicences {
                got: licences,
                max: MAX_LICENCES,
            });
        }
        let p = pool.units();
        let l = u128::from(licences);
        let allocation = p / l;
        let dust = p - allocation * l;
        // A·33 / 100 without forming A·33: A = q·100 + r.
        let tge = (allocation / 100) * TGE_PERCENT + (allocation % 100) * TGE_PERCENT / 100;
        let n = usize::try_from(licences).map_err(|_| EconomyError::Overflow)?;
        Ok(RewardPool {
            pool: p,
            licences,
            allocation,
            tge,
            dust,
            day: 0,
            carry: 0,
            earned: vec![tge; n],
            claimed: vec![0; n],
        })
    }

    /// `P`.
    pub fn pool(&self) -> Amount {
        Amount::new(self.pool)
    }

    /// `L`.
    pub fn licences(&self) -> u64 {
        self.licences
    }

    /// `A = floor(P / L)`.
    pub fn allocation(&self) -> Amount {
        Amount::new(self.allocation)
    }

    /// `tge = floor(A · 33 / 100)`.
    pub fn tge(&self) -> Amount {
        Amount::new(self.tge)
    }

    /// `dust = P − A·L`.
    pub fn dust(&self) -> Amount {
        Amount::new(self.dust)
    }

    /// The last day settled (0 before day 1).
    pub fn day(&self) -> u64 {
        self.day
    }

    /// The carry after the last settled day.
    pub fn carry(&self) -> Amount {
        Amount::new(self.carry)
    }

    /// `v_d` (zero for `d = 0` and `d > 1,095`).
    pub fn vesting_amount(&self, d: u64) -> Amount {
        if d == 0 || d > VESTING_DAYS {
            return Amount::ZERO;
        }
        let x = self.allocation - self.tge;
        Amount::new(vested_part(x, d) - vested_part(x, d - 1))
    }

    /// `L·(A − tge − floor((A − tge)·min(D, 1095) / 1095))` at the last settled day `D`.
    pub fn unvested(&self) -> Amount {
        let x = self.allocation - self.tge;
        let per = x - vested_part(x, self.day);
        // per ≤ A and L·A ≤ P: no overflow.
        Amount::new(per * u128::from(self.licences))
    }

    /// What licence `i` (0-based) has earned so far, claimed or not.
    pub fn earned(&self, i: u64) -> Option<Amount> {
        let i = usize::try_from(i).ok()?;
        self.earned.get(i).copied().map(Amount::new)
    }

    /// What licence `i` has claimed so far.
    pub fn claimed(&self, i: u64) -> Option<Amount> {
        let i = usize::try_from(i).ok()?;
        self.claimed.get(i).copied().map(Amount::new)
    }

    /// Every licence's earnings, by licence index.
    pub fn earned_all(&self) -> impl Iterator<Item = Amount> + '_ {
        self.earned.iter().map(|&e| Amount::new(e))
    }

    /// `Σ claimed`.
    pub fn total_claimed(&self) -> Amount {
        Amount::new(self.claimed.iter().sum())
    }

    /// Settles the next day with `live[i]` = licence `i` was attested live and ran one node.
    /// On `Err` nothing changed.
    pub fn vest_day(&mut self, live: &[bool]) -> Result<DayReport, EconomyError> {
        let l = self.licences;
        let got = u64::try_from(live.len()).unwrap_or(u64::MAX);
        if got != l {
            return Err(EconomyError::LivenessLength { expected: l, got });
        }
        let day = self.day.checked_add(1).ok_or(EconomyError::Overflow)?;
        let v = self.vesting_amount(day).units();
        let live_count = u64::try_from(live.iter().filter(|&&b| b).count())
            .map_err(|_| EconomyError::Overflow)?;
        let idle = u128::from(l - live_count);
        let shared = v
            .checked_mul(idle)
            .and_then(|s| s.checked_add(self.carry))
            .ok_or(EconomyError::Overflow)?;
        let (each, carry) = if live_count == 0 {
            (0, shared)
        } else {
            let n = u128::from(live_count);
            (shared / n, shared % n)
        };
        let gain = v.checked_add(each).ok_or(EconomyError::Overflow)?;
        // Check every addition before writing any (Σ earned ≤ P, so none overflows in a
        // consistent pool; the check keeps `Err` side-effect free regardless).
        for (e, &is_live) in self.earned.iter().zip(live) {
            if is_live && e.checked_add(gain).is_none() {
                return Err(EconomyError::Overflow);
            }
        }
        for (e, &is_live) in self.earned.iter_mut().zip(live) {
            if is_live {
                *e += gain;
            }
        }
        self.day = day;
        self.carry = carry;
        Ok(DayReport {
            day,
            vesting: Amount::new(v),
            live_count,
            shared: Amount::new(shared),
            share_each: Amount::new(each),
            carry: Amount::new(carry),
        })
    }

    /// What licence `i` may claim now: `earned − claimed`.
    pub fn claimable(&self, i: u64) -> Option<Amount> {
        let e = self.earned(i)?;
        let c = self.claimed(i)?;
        Some(e.saturating_sub(c))
    }

    /// Pays licence `i` what it earned and has not claimed. [`EconomyError::NothingToClaim`]
    /// when that is zero.
    pub fn claim(&mut self, i: u64) -> Result<Amount, EconomyError> {
        let idx = usize::try_from(i).map_err(|_| EconomyError::Overflow)?;
        let (Some(e), Some(c)) = (self.earned.get(idx), self.claimed.get_mut(idx)) else {
            return Err(EconomyError::NoSuchLicence { id: i });
        };
        let due = e.saturating_sub(*c);
        if due == 0 {
            return Err(EconomyError::NothingToClaim);
        }
        *c = *e;
        Ok(Amount::new(due))
    }

    /// `Σ earned + carry + dust + unvested = P`, and `claimed ≤ earned` per licence. Returns
    /// the first violation.
    pub fn check_conservation(&self) -> Result<(), String> {
        let mut sum: u128 = 0;
        for (i, (e, c)) in self.earned.iter().zip(&self.claimed).enumerate() {
            if c > e {
                return Err(format!("licence {i} claimed {c} of {e} earned"));
            }
            sum = sum
                .checked_add(*e)
                .ok_or_else(|| "Σ earned overflows".to_string())?;
        }
        let total = [self.carry, self.dust, self.unvested().units()]
            .iter()
            .try_fold(sum, |acc, x| acc.checked_add(*x))
            .ok_or_else(|| "total overflows".to_string())?;
        if total != self.pool {
            return Err(format!(
                "not conserved at day {}: Σ earned {sum} + carry {} + dust {} + unvested {} = {total} ≠ P {}",
                self.day,
                self.carry,
                self.dust,
                self.unvested(),
                self.pool
            ));
        }
        Ok(())
    }
}
