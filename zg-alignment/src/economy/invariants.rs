//! [`Economy::check_invariants`]: every bound and conservation law of the mirror.

use super::{Economy, MAX_OPEN_EPOCHS, MAX_OPERATORS_PER_OWNER};

impl Economy {
    /// Checks every invariant and returns the first violation:
    ///
    /// * licences sold ≤ supply, and licence `n` carries the tier the table gives position `n`;
    /// * receipts used = purchases accepted ≤ licences sold;
    /// * `received = revenue + owed_back`, `revenue = list_price − discounts`, and
    ///   `list_price` = Σ of the sold licences' tier prices;
    /// * `owed_back − refunded` = Σ wallets' `owed_back`;
    /// * Σ wallets' `referral_wei` = `referral_accrued`, Σ `referral_paid_wei` =
    ///   `referral_paid`, each wallet paid ≤ accrued, Σ `usdc_paid` = `usdc_paid`, Σ
    ///   `referred` = `referred`; whitelist purchases within the cap;
    /// * operator approvals ≤ [`MAX_OPERATORS_PER_OWNER`] per address;
    /// * open check-ins only for existing licences and for epochs after the last settled day
    ///   and within [`MAX_OPEN_EPOCHS`] of it (none before launch);
    /// * the pool: `L` = licences sold, `Σ earned + carry + dust + unvested = P`, claimed ≤
    ///   earned per licence, Σ claimed = `rewards_claimed`.
    pub fn check_invariants(&self) -> Result<(), String> {
        let tiers = &self.config.sale.tiers;
        let sold = self.sold();
        if sold > tiers.supply() {
            return Err(format!("{sold} sold of {}", tiers.supply()));
        }
        let mut list: u128 = 0;
        for (n, l) in (0u64..).zip(&self.licences) {
            if tiers.tier_of(n) != Some(l.tier) {
                return Err(format!("licence {n} has tier {}", l.tier));
            }
            let price = tiers.tiers().get(l.tier).map_or(0, |t| t.price.units());
            list = list.checked_add(price).ok_or("list price overflows")?;
        }
        let t = &self.totals;
        if u64::try_from(self.receipts.len()).ok() != Some(t.purchases) || t.purchases > sold {
            return Err("receipts used ≠ purchases, or more purchases than licences".into());
        }
        if t.list_price.units() != list {
            return Err(format!(
                "list price {} ≠ Σ tier prices {list}",
                t.list_price
            ));
        }
        if t.revenue.units().checked_add(t.discounts.units()) != Some(list) {
            return Err("revenue + discounts ≠ list price".into());
        }
        if t.revenue.units().checked_add(t.owed_back.units()) != Some(t.received.units()) {
            return Err("a received wei is neither revenue nor owed back".into());
        }
        let (mut owed, mut accrued, mut paid, mut usdc) = (0u128, 0u128, 0u128, 0u128);
        let mut referred: u64 = 0;
        for (a, w) in &self.wallets {
            if w.referral_paid_wei > w.referral_wei {
                return Err(format!("{a} was paid more referral wei than it accrued"));
            }
            if w.whitelist_bought > self.config.sale.whitelist_cap {
                return Err(format!("{a} bought above the whitelist cap"));
            }
            owed += w.owed_back.units();
            accrued += w.referral_wei.units();
            paid += w.referral_paid_wei.units();
            usdc += w.usdc_paid.units();
            referred = referred.saturating_add(w.referred);
        }
        if t.owed_back.units().checked_sub(t.refunded.units()) != Some(owed) {
            return Err("owed back not conserved".into());
        }
        if accrued != t.referral_accrued.units()
            || paid != t.referral_paid.units()
            || usdc != t.usdc_paid.units()
            || referred != t.referred
        {
            return Err("referral books not conserved".into());
        }
        if self
            .operators
            .values()
            .any(|s| s.is_empty() || s.len() > MAX_OPERATORS_PER_OWNER)
        {
            return Err("operator approvals out of bounds".into());
        }
        let settled = self.pool.as_ref().map(|p| p.day());
        for &(epoch, id) in self.check_ins.keys() {
            let Some(day) = settled else {
                return Err("a check-in before launch".into());
            };
            if epoch <= day || epoch > day.saturating_add(MAX_OPEN_EPOCHS) || id >= sold {
                return Err(format!("check-in record ({epoch}, {id}) out of bounds"));
            }
        }
        if let Some(pool) = &self.pool {
            if pool.licences() != sold {
                return Err("the pool's L ≠ licences sold".into());
            }
            pool.check_conservation()?;
            if pool.total_claimed() != t.rewards_claimed {
                return Err("Σ claimed ≠ rewards claimed".into());
            }
        } else if !t.rewards_claimed.is_zero() {
            return Err("claims before launch".into());
        }
        Ok(())
    }
}
