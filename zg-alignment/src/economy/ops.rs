//! The contract functions of [`Economy`], one `fn` per [`Op`](super::Op).

use zg_core::{Amount, Timestamp};

use super::sale::{Quote, REBATE_BP, Rate, apply_promo, bp_of};
use super::{
    Address, DAY_MS, Economy, EconomyError, Journal, LOCK_MS, Licence, LicenceId, MAX_OPEN_EPOCHS,
    MAX_OPERATORS_PER_OWNER, Outcome, Purchase, PurchaseRecord, RewardPool, SignedCheckIn, Slot,
    Undo, add, sub,
};

/// A checked purchase's amounts, before anything is written.
struct Plan {
    buyer: Address,
    whitelist_phase: bool,
    quote: Quote,
    discount: Amount,
    due: Amount,
    owed_back: Amount,
    rebate: Amount,
    cashback: Amount,
}

impl Economy {
    /// Buy licences: every check first ([`Economy::plan_purchase`]), then the writes.
    pub(super) fn purchase(
        &mut self,
        j: &mut Journal,
        now: Timestamp,
        sender: Address,
        p: &Purchase,
    ) -> Result<PurchaseRecord, EconomyError> {
        let plan = self.plan_purchase(now, sender, p)?;
        let (buyer, r) = (plan.buyer, p.receipt);
        let first = self.sold();
        for &(tier, count) in &plan.quote.parts {
            for _ in 0..count {
                self.licences.push(Licence {
                    owner: buyer,
                    approved: None,
                    tier,
                    purchased_at: now,
                    operator: None,
                });
            }
        }
        self.receipts.insert(r.tx_hash);
        j.undo.push(Undo::Receipt(r.tx_hash));
        let w = self.wallet_mut(j, buyer);
        if plan.whitelist_phase {
            w.whitelist_bought = w.whitelist_bought.saturating_add(p.quantity);
        }
        w.owed_back = add(w.owed_back, plan.owed_back)?;
        w.referral_wei = add(w.referral_wei, plan.rebate)?;
        if let Some(referrer) = p.referrer {
            let w = self.wallet_mut(j, referrer);
            w.referral_wei = add(w.referral_wei, plan.cashback)?;
            w.referred = w
                .referred
                .checked_add(p.quantity)
                .ok_or(EconomyError::Overflow)?;
        }
        let t = &mut self.totals;
        t.purchases = t.purchases.checked_add(1).ok_or(EconomyError::Overflow)?;
        t.received = add(t.received, r.amount)?;
        t.list_price = add(t.list_price, plan.quote.total)?;
        t.discounts = add(t.discounts, plan.discount)?;
        t.revenue = add(t.revenue, plan.due)?;
        t.owed_back = add(t.owed_back, plan.owed_back)?;
        if p.referrer.is_some() {
            t.referred = t
                .referred
                .checked_add(p.quantity)
                .ok_or(EconomyError::Overflow)?;
        }
        t.referral_accrued = add(add(t.referral_accrued, plan.rebate)?, plan.cashback)?;
        Ok(PurchaseRecord {
            buyer,
            first,
            quantity: p.quantity,
            parts: plan.quote.parts,
            price: plan.quote.total,
            discount: plan.discount,
            due: plan.due,
            paid: r.amount,
            owed_back: plan.owed_back,
            referrer: p.referrer,
            rebate: plan.rebate,
            cashback: plan.cashback,
        })
    }

    /// A purchase's checks, in order: relayer, sale open (launched → closed; before `start`
    /// → not started), receipt chain and freshness, buyer, whitelist phase rules, referrer,
    /// supply (sold out / not enough), promo code, payment; and its amounts.
    fn plan_purchase(
        &self,
        now: Timestamp,
        sender: Address,
        p: &Purchase,
    ) -> Result<Plan, EconomyError> {
        self.only(sender, self.config.relayer)?;
        let sale = &self.config.sale;
        if self.pool.is_some() {
            return Err(EconomyError::SaleClosed);
        }
        if now < sale.start {
            return Err(EconomyError::SaleNotStarted { opens: sale.start });
        }
        let r = p.receipt;
        if !sale.chains.contains(&r.chain_id) {
            return Err(EconomyError::UnsupportedChain {
                chain_id: r.chain_id,
            });
        }
        // A transaction hash pays once across every chain: a pre-EIP-155 transaction replays
        // on another chain under the same hash, so (chain, hash) would let it pay twice.
        if self.receipts.contains(&r.tx_hash) {
            return Err(EconomyError::ReceiptUsed);
        }
        let buyer = r.payer;
        if buyer.is_zero() {
            return Err(EconomyError::ZeroAddress);
        }
        let whitelist_phase = now < sale.public_at();
        if whitelist_phase {
            let bought = self.wallets.get(&buyer).map_or(0, |w| w.whitelist_bought);
            if !sale.whitelist.contains(&buyer) {
                return Err(EconomyError::NotWhitelisted { buyer });
            }
            if bought.saturating_add(p.quantity) > sale.whitelist_cap {
                return Err(EconomyError::WhitelistCapExceeded {
                    bought,
                    requested: p.quantity,
                    cap: sale.whitelist_cap,
                });
            }
        }
        if let Some(referrer) = p.referrer {
            if referrer == buyer {
                return Err(EconomyError::SelfReferral);
            }
            if referrer.is_zero() {
                return Err(EconomyError::ZeroAddress);
            }
        }
        let quote = sale.tiers.quote(self.sold(), p.quantity)?;
        let bp = match &p.promo {
            None => 0,
            Some(code) => *sale
                .promo_codes
                .get(code)
                .ok_or(EconomyError::UnknownPromoCode)?,
        };
        let due = apply_promo(quote.total, bp);
        if r.amount < due {
            return Err(EconomyError::Underpaid {
                due,
                paid: r.amount,
            });
        }
        let (rebate, cashback) = match p.referrer {
            None => (Amount::ZERO, Amount::ZERO),
            Some(referrer) => {
                let referred = self.wallets.get(&referrer).map_or(0, |w| w.referred);
                let rate = sale.referral_rates.rate(referred);
                (bp_of(due, REBATE_BP), bp_of(due, rate))
            }
        };
        Ok(Plan {
            buyer,
            whitelist_phase,
            discount: sub(quote.total, due)?,
            owed_back: sub(r.amount, due)?,
            quote,
            due,
            rebate,
            cashback,
        })
    }

    pub(super) fn withdraw_owed(
        &mut self,
        j: &mut Journal,
        sender: Address,
    ) -> Result<Outcome, EconomyError> {
        let owed = self
            .wallets
            .get(&sender)
            .map_or(Amount::ZERO, |w| w.owed_back);
        if owed.is_zero() {
            return Err(EconomyError::NothingOwed);
        }
        self.wallet_mut(j, sender).owed_back = Amount::ZERO;
        self.totals.refunded = add(self.totals.refunded, owed)?;
        Ok(Outcome::Paid { amount: owed })
    }

    /// One USDC payout per address with unpaid referral wei: `floor(unpaid × rate)`.
    pub(super) fn airdrop(
        &mut self,
        j: &mut Journal,
        now: Timestamp,
        sender: Address,
        rate: &Rate,
    ) -> Result<Outcome, EconomyError> {
        self.only(sender, self.config.owner)?;
        let opens = self.config.sale.airdrop_at;
        if now < opens {
            return Err(EconomyError::AirdropNotYet { opens });
        }
        let due: Vec<(Address, Amount)> = self
            .wallets
            .iter()
            .filter(|(_, w)| w.referral_wei > w.referral_paid_wei)
            .map(|(a, w)| (*a, w.referral_wei.saturating_sub(w.referral_paid_wei)))
            .collect();
        let mut payouts = Vec::with_capacity(due.len());
        for (a, wei) in due {
            let usdc = rate.convert(wei)?;
            let w = self.wallet_mut(j, a);
            w.referral_paid_wei = w.referral_wei;
            w.usdc_paid = add(w.usdc_paid, usdc)?;
            self.totals.referral_paid = add(self.totals.referral_paid, wei)?;
            self.totals.usdc_paid = add(self.totals.usdc_paid, usdc)?;
            payouts.push((a, usdc));
        }
        Ok(Outcome::Airdropped { payouts })
    }

    /// ERC-721 `approve`: by the owner or an operator approved for all its licences.
    pub(super) fn approve(
        &mut self,
        j: &mut Journal,
        sender: Address,
        to: Option<Address>,
        id: LicenceId,
    ) -> Result<Outcome, EconomyError> {
        let owner = self.existing(id)?.owner;
        if sender != owner && !self.is_approved_for_all(&owner, &sender) {
            return Err(EconomyError::Unauthorized { caller: sender });
        }
        if to == Some(owner) {
            return Err(EconomyError::Unauthorized { caller: sender });
        }
        self.licence_mut(j, id)?.approved = to.filter(|a| !a.is_zero());
        Ok(Outcome::Done)
    }

    /// ERC-721 `setApprovalForAll`, at most [`MAX_OPERATORS_PER_OWNER`] per address.
    pub(super) fn set_approval_for_all(
        &mut self,
        j: &mut Journal,
        sender: Address,
        operator: Address,
        approved: bool,
    ) -> Result<Outcome, EconomyError> {
        if operator.is_zero() {
            return Err(EconomyError::ZeroAddress);
        }
        if operator == sender {
            return Err(EconomyError::Unauthorized { caller: sender });
        }
        let old = self.operators.get(&sender).cloned();
        let mut set = old.clone().unwrap_or_default();
        if approved {
            if !set.contains(&operator) && set.len() >= MAX_OPERATORS_PER_OWNER {
                return Err(EconomyError::TooManyOperators);
            }
            set.insert(operator);
        } else {
            set.remove(&operator);
        }
        j.undo.push(Undo::Operators(sender, old));
        if set.is_empty() {
            self.operators.remove(&sender);
        } else {
            self.operators.insert(sender, set);
        }
        Ok(Outcome::Done)
    }

    /// ERC-721 `transferFrom` with the lock: allowed from `purchased_at + 365 days` on.
    /// Clears the approval and the operator delegation.
    pub(super) fn transfer_from(
        &mut self,
        j: &mut Journal,
        now: Timestamp,
        sender: Address,
        from: Address,
        to: Address,
        id: LicenceId,
    ) -> Result<Outcome, EconomyError> {
        let l = *self.existing(id)?;
        if l.owner != from {
            return Err(EconomyError::NotOwner { id, from });
        }
        let authorised = sender == l.owner
            || l.approved == Some(sender)
            || self.is_approved_for_all(&l.owner, &sender);
        if !authorised {
            return Err(EconomyError::Unauthorized { caller: sender });
        }
        if to.is_zero() {
            return Err(EconomyError::ZeroAddress);
        }
        let until = l.purchased_at.plus_millis(LOCK_MS);
        if now < until {
            return Err(EconomyError::Locked { id, until });
        }
        let l = self.licence_mut(j, id)?;
        l.owner = to;
        l.approved = None;
        l.operator = None;
        Ok(Outcome::Done)
    }

    /// Delegate to (or clear) an operator key's address: the owner only.
    pub(super) fn delegate(
        &mut self,
        j: &mut Journal,
        sender: Address,
        id: LicenceId,
        operator: Option<Address>,
    ) -> Result<Outcome, EconomyError> {
        if self.existing(id)?.owner != sender {
            return Err(EconomyError::Unauthorized { caller: sender });
        }
        if operator.is_some_and(|o| o.is_zero()) {
            return Err(EconomyError::ZeroAddress);
        }
        self.licence_mut(j, id)?.operator = operator;
        Ok(Outcome::Done)
    }

    /// A check-in: verified in full (domain, open epoch, licence, delegation, signature)
    /// before any state is written. One node per (epoch, licence); a second marks a conflict.
    pub(super) fn check_in(
        &mut self,
        j: &mut Journal,
        now: Timestamp,
        signed: &SignedCheckIn,
    ) -> Result<Outcome, EconomyError> {
        let settled = self.pool.as_ref().ok_or(EconomyError::NotLaunched)?.day();
        let c = signed.check_in;
        if c.chain_id != self.config.chain_id || c.contract != self.config.contract {
            return Err(EconomyError::WrongDomain);
        }
        // The current epoch only, after the last settled day (a `now` before launch is epoch 0,
        // never open) and within MAX_OPEN_EPOCHS of it.
        if c.epoch != self.epoch_at(now)
            || c.epoch <= settled
            || c.epoch > settled.saturating_add(MAX_OPEN_EPOCHS)
        {
            return Err(EconomyError::EpochNotOpen { epoch: c.epoch });
        }
        let operator = self
            .existing(c.licence)?
            .operator
            .ok_or(EconomyError::NotDelegated { id: c.licence })?;
        if signed.signer() != Some(operator) {
            return Err(EconomyError::InvalidSignature);
        }
        let key = (c.epoch, c.licence);
        let (slot, second_node) = match self.check_ins.get(&key) {
            None => (Slot::One(c.node), false),
            Some(Slot::One(n)) if *n == c.node => {
                return Ok(Outcome::CheckedIn { second_node: false });
            }
            Some(_) => (Slot::Conflict, true),
        };
        self.set_slot(j, key, Some(slot));
        Ok(Outcome::CheckedIn { second_node })
    }

    /// Freeze `L`, close the sale, create the pool.
    pub(super) fn launch(
        &mut self,
        now: Timestamp,
        sender: Address,
    ) -> Result<Outcome, EconomyError> {
        self.only(sender, self.config.owner)?;
        let bad = |reason| Err(EconomyError::CannotLaunch { reason });
        if self.pool.is_some() {
            return bad("already launched");
        }
        if now < self.config.launch_at {
            return bad("before the launch time");
        }
        if self.licences.is_empty() {
            return bad("no licence sold");
        }
        let pool = RewardPool::new(self.config.reward_pool, self.sold())?;
        let outcome = Outcome::Launched {
            licences: pool.licences(),
            allocation: pool.allocation(),
            tge: pool.tge(),
            dust: pool.dust(),
        };
        self.pool = Some(pool);
        Ok(outcome)
    }

    /// Settle day `day`: a licence is live iff the quorum attested it and exactly one node
    /// checked in for it that epoch.
    pub(super) fn settle_day(
        &mut self,
        j: &mut Journal,
        now: Timestamp,
        sender: Address,
        day: u64,
        attested: &[bool],
    ) -> Result<Outcome, EconomyError> {
        self.only(sender, self.config.reporter)?;
        let pool = self.pool.as_ref().ok_or(EconomyError::NotLaunched)?;
        let expected = pool.day().saturating_add(1);
        if day != expected {
            return Err(EconomyError::WrongDay { day, expected });
        }
        let ends = day
            .checked_mul(DAY_MS)
            .map(|ms| self.config.launch_at.plus_millis(ms))
            .ok_or(EconomyError::Overflow)?;
        if now < ends {
            return Err(EconomyError::DayNotOver { day });
        }
        let live: Vec<bool> = (0u64..)
            .zip(attested)
            .map(|(i, &a)| a && self.single_node(day, i))
            .collect();
        let keys: Vec<(u64, LicenceId)> = self
            .check_ins
            .range((day, 0)..=(day, LicenceId::MAX))
            .map(|(k, _)| *k)
            .collect();
        let report = self
            .pool
            .as_mut()
            .ok_or(EconomyError::NotLaunched)?
            .vest_day(&live)?;
        // The pool committed: nothing below fails. The settled epoch's records go.
        for k in keys {
            self.set_slot(j, k, None);
        }
        Ok(Outcome::Settled(report))
    }

    /// Claim a licence's unclaimed earnings: the licence's owner only.
    pub(super) fn claim(
        &mut self,
        sender: Address,
        id: LicenceId,
    ) -> Result<Outcome, EconomyError> {
        let owner = self.existing(id)?.owner;
        if owner != sender {
            return Err(EconomyError::Unauthorized { caller: sender });
        }
        let pool = self.pool.as_mut().ok_or(EconomyError::NotLaunched)?;
        let due = pool
            .claimable(id)
            .ok_or(EconomyError::NoSuchLicence { id })?;
        let claimed = add(self.totals.rewards_claimed, due)?;
        let amount = pool.claim(id)?;
        self.totals.rewards_claimed = claimed;
        Ok(Outcome::Paid { amount })
    }
}
