//! The node sale's tables and pure price arithmetic: tiers, promo codes, referral rates,
//! payment receipts and conversion rates. [`Economy`](super::Economy) applies them.

use zg_core::{Amount, H256};

use super::{Address, EconomyError};
use crate::economy::rewards::MAX_LICENCES;

/// One ether in wei.
pub const ETHER: u128 = 1_000_000_000_000_000_000;
/// Basis points in a whole (100 %).
pub const BASIS_POINTS: u128 = 10_000;
/// The referred buyer's rebate: 500 basis points (5 %) of the price after the promo code.
pub const REBATE_BP: u16 = 500;
/// The most tiers a table may hold.
pub const MAX_TIERS: usize = 1_024;
/// The most referral-rate steps a table may hold.
pub const MAX_REFERRAL_STEPS: usize = 64;
/// The longest promo code, in bytes.
pub const MAX_PROMO_CODE_LEN: usize = 64;

/// One price tier: `count` licences at `price` wei each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tier {
    /// Licences in the tier (> 0).
    pub count: u64,
    /// Price of one licence of this tier, in wei.
    pub price: Amount,
}

/// A validated tier table, sold lowest tier first.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TierTable {
    tiers: Vec<Tier>,
    supply: u64,
}

/// Where a purchase's licences come from and what they cost before any promo code.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Quote {
    /// `(tier index, licences taken from it)`, lowest tier first, no zero counts.
    pub parts: Vec<(usize, u64)>,
    /// Σ per-licence tier prices, in wei.
    pub total: Amount,
}

impl TierTable {
    /// Validates a table: 1–[`MAX_TIERS`] tiers, every count > 0, at most
    /// [`MAX_LICENCES`] licences in all.
    pub fn new(tiers: Vec<Tier>) -> Result<TierTable, EconomyError> {
        let bad = |reason| Err(EconomyError::InvalidTiers { reason });
        if tiers.is_empty() {
            return bad("no tiers");
        }
        if tiers.len() > MAX_TIERS {
            return bad("too many tiers");
        }
        let mut supply: u64 = 0;
        for t in &tiers {
            if t.count == 0 {
                return bad("a tier with no licences");
            }
            supply = supply.saturating_add(t.count);
        }
        if supply > MAX_LICENCES {
            return bad("more licences than MAX_LICENCES");
        }
        Ok(TierTable { tiers, supply })
    }

    /// The default table: 32 tiers, 175,500 licences, tier `k` (0-based) priced
    /// `0.05 ETH + k × 0.01 ETH` (0.05 … 0.36 ETH); tiers 0–7 hold 2,000 licences each,
    /// 8–15 hold 4,000, 16–23 hold 6,000, 24–30 hold 10,000 and tier 31 holds 9,500.
    pub fn default_table() -> TierTable {
        let tiers = (0u32..32)
            .map(|k| Tier {
                count: match k {
                    0..=7 => 2_000,
                    8..=15 => 4_000,
                    16..=23 => 6_000,
                    24..=30 => 10_000,
                    _ => 9_500,
                },
                price: Amount::new(ETHER / 20 + u128::from(k) * (ETHER / 100)),
            })
            .collect();
        TierTable {
            tiers,
            supply: 175_500,
        }
    }

    /// The tiers, in sale order.
    pub fn tiers(&self) -> &[Tier] {
        &self.tiers
    }

    /// Licences for sale in all tiers.
    pub fn supply(&self) -> u64 {
        self.supply
    }

    /// The tier of the licence sold `n`-th (0-based), if the table has one.
    pub fn tier_of(&self, n: u64) -> Option<usize> {
        let mut end: u64 = 0;
        for (i, t) in self.tiers.iter().enumerate() {
            end = end.saturating_add(t.count);
            if n < end {
                return Some(i);
            }
        }
        None
    }

    /// The next `quantity` licences after `sold` have been sold: each taken from the lowest
    /// tier with supply left, spilling into the next; the price is the sum of their tier
    /// prices. [`EconomyError::SoldOut`] when nothing is left,
    /// [`EconomyError::NotEnoughSupply`] when less than `quantity` is.
    pub fn quote(&self, sold: u64, quantity: u64) -> Result<Quote, EconomyError> {
        if quantity == 0 {
            return Err(EconomyError::ZeroQuantity);
        }
        let left = self.supply.saturating_sub(sold);
        if left == 0 {
            return Err(EconomyError::SoldOut);
        }
        if quantity > left {
            return Err(EconomyError::NotEnoughSupply {
                requested: quantity,
                left,
            });
        }
        let mut parts = Vec::new();
        let mut total: u128 = 0;
        // `pos` walks the sale order from the first unsold licence; tier `i` holds the
        // positions `[start, end)`.
        let mut pos = sold;
        let mut need = quantity;
        let mut end: u64 = 0;
        for (i, t) in self.tiers.iter().enumerate() {
            end = end.saturating_add(t.count);
            if need == 0 {
                break;
            }
            if pos >= end {
                continue;
            }
            let take = need.min(end - pos);
            let cost = t
                .price
                .units()
                .checked_mul(u128::from(take))
                .ok_or(EconomyError::Overflow)?;
            total = total.checked_add(cost).ok_or(EconomyError::Overflow)?;
            parts.push((i, take));
            pos += take;
            need -= take;
        }
        Ok(Quote {
            parts,
            total: Amount::new(total),
        })
    }
}

/// `floor(amount × bp / 10,000)`, without overflow for any `amount` and `bp ≤ 10,000`.
pub fn bp_of(amount: Amount, bp: u16) -> Amount {
    let a = amount.units();
    let bp = u128::from(bp.min(10_000));
    // a = q·10,000 + r  ⇒  a·bp / 10,000 = q·bp + r·bp / 10,000 (r·bp < 10^8, q·bp ≤ a).
    Amount::new((a / BASIS_POINTS) * bp + (a % BASIS_POINTS) * bp / BASIS_POINTS)
}

/// What a promo code leaves to pay: `total − floor(total × bp / 10,000)` (the discount is
/// rounded down, so the buyer pays the rounding unit).
pub fn apply_promo(total: Amount, bp: u16) -> Amount {
    total.saturating_sub(bp_of(total, bp))
}

/// A validated referral-rate table: `(cumulative licences referred, rate in basis points)`.
///
/// A purchase naming a referrer pays the referrer the rate of the last step whose licence
/// count is ≤ the referrer's cumulative licences referred **before** that purchase; the
/// purchase's own licences then count towards the next one.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ReferralRates {
    steps: Vec<(u64, u16)>,
}

impl ReferralRates {
    /// Validates a table: 1–[`MAX_REFERRAL_STEPS`] steps, the first at 0 licences, licence
    /// counts strictly rising, rates never falling, every rate within 1–10,000 bp.
    pub fn new(steps: Vec<(u64, u16)>) -> Result<ReferralRates, EconomyError> {
        let bad = |reason| Err(EconomyError::InvalidReferralRates { reason });
        match steps.first() {
            None => return bad("no steps"),
            Some((0, _)) => {}
            Some(_) => return bad("the first step must be at 0 licences"),
        }
        if steps.len() > MAX_REFERRAL_STEPS {
            return bad("too many steps");
        }
        if steps
            .iter()
            .any(|&(_, r)| r == 0 || u128::from(r) > BASIS_POINTS)
        {
            return bad("a rate outside 1..=10000 bp");
        }
        if steps
            .windows(2)
            .any(|w| w[1].0 <= w[0].0 || w[1].1 < w[0].1)
        {
            return bad("steps must rise in licences and never fall in rate");
        }
        Ok(ReferralRates { steps })
    }

    /// The default table, 500 bp rising to 1,000 bp: 500 from 0 licences referred, 600 from
    /// 10, 700 from 25, 800 from 50, 900 from 100, 1,000 from 250.
    pub fn default_table() -> ReferralRates {
        ReferralRates {
            steps: vec![
                (0, 500),
                (10, 600),
                (25, 700),
                (50, 800),
                (100, 900),
                (250, 1_000),
            ],
        }
    }

    /// The steps.
    pub fn steps(&self) -> &[(u64, u16)] {
        &self.steps
    }

    /// The rate for a referrer who has referred `referred` licences so far.
    pub fn rate(&self, referred: u64) -> u16 {
        self.steps
            .iter()
            .take_while(|(n, _)| *n <= referred)
            .last()
            .map_or(0, |&(_, r)| r)
    }
}

/// A payment seen on a supported chain, as the configured relayer reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Receipt {
    /// The chain the payment was made on.
    pub chain_id: u64,
    /// The payment transaction's hash on that chain.
    pub tx_hash: H256,
    /// Who paid (the buyer; the licences are minted to this address).
    pub payer: Address,
    /// Paid, in wei of the chain's ether.
    pub amount: Amount,
}

/// A conversion rate `numerator / denominator` (e.g. USDC units per wei).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rate {
    /// Numerator.
    pub numerator: u128,
    /// Denominator (> 0).
    pub denominator: u128,
}

impl Rate {
    /// A rate; refuses a zero denominator.
    pub fn new(numerator: u128, denominator: u128) -> Result<Rate, EconomyError> {
        if denominator == 0 {
            return Err(EconomyError::InvalidRate);
        }
        Ok(Rate {
            numerator,
            denominator,
        })
    }

    /// `floor(amount × numerator / denominator)`, or [`EconomyError::Overflow`].
    pub fn convert(&self, amount: Amount) -> Result<Amount, EconomyError> {
        let a = amount.units();
        let d = self.denominator;
        if d == 0 {
            return Err(EconomyError::InvalidRate);
        }
        // a = q·d + r  ⇒  a·n / d = q·n + r·n / d.
        let (q, r) = (a / d, a % d);
        let whole = q
            .checked_mul(self.numerator)
            .ok_or(EconomyError::Overflow)?;
        let part = r
            .checked_mul(self.numerator)
            .ok_or(EconomyError::Overflow)?
            / d;
        whole
            .checked_add(part)
            .map(Amount::new)
            .ok_or(EconomyError::Overflow)
    }
}
