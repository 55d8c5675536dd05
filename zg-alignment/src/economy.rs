//! The alignment network's economy as one contract mirror: the node sale, the licences
//! (ERC-721 with a one-year lock and an operator delegation), the operators' daily check-ins,
//! the referral airdrop, and the reward pool.
//!
//! Every call is a [`Call`] — the caller (`msg.sender`) and an [`Op`] — applied by
//! [`Economy::apply`] at a time `now` (`block.timestamp`, in milliseconds). A refused call
//! returns an [`EconomyError`] and leaves the state exactly as it was: every map entry a call
//! writes is journaled and restored on `Err`, and the reward pool's step is the last fallible
//! step of a call and commits atomically. All amounts are integers (`u128` units); nothing is
//! created or lost, and [`Economy::check_invariants`] proves it after any call sequence.
//!
//! See the [crate docs](crate#the-node-sale-licences-and-rewards) for the rules and the
//! threat model.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use zg_core::{Amount, H256, Timestamp};

mod error;
pub mod licence;
pub mod rewards;
pub mod sale;

pub use error::EconomyError;
pub use licence::{CheckIn, Licence, OperatorKey, SignedCheckIn};
pub use rewards::{DayReport, RewardPool};
pub use sale::{Rate, Receipt, ReferralRates, Tier, TierTable};

/// A licence's ERC-721 token id: licences are numbered 0, 1, 2, … in the order sold.
pub type LicenceId = u64;

/// One day in milliseconds (one reward day = one check-in epoch).
pub const DAY_MS: u64 = 86_400_000;
/// The transfer lock: 365 days after purchase.
pub const LOCK_MS: u64 = 365 * DAY_MS;
/// The whitelist phase's default length: 2 days.
pub const WHITELIST_MS: u64 = 2 * DAY_MS;
/// The referral airdrop's default delay after the sale opens: six weeks.
pub const AIRDROP_DELAY_MS: u64 = 42 * DAY_MS;
/// Check-ins are taken for at most this many epochs beyond the last settled day: it bounds the
/// open check-in records to `MAX_OPEN_EPOCHS × L`.
pub const MAX_OPEN_EPOCHS: u64 = 7;
/// The most operators one address may approve for all its licences.
pub const MAX_OPERATORS_PER_OWNER: usize = 16;

/// A 20-byte Ethereum address. Displays and parses as `0x` + 40 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Address(pub [u8; 20]);

impl Address {
    /// The zero address.
    pub const ZERO: Address = Address([0; 20]);

    /// Whether this is the zero address.
    pub fn is_zero(&self) -> bool {
        *self == Address::ZERO
    }

    /// An address with every byte `b` (handy in tests and examples).
    pub const fn repeat(b: u8) -> Address {
        Address([b; 20])
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", hex::encode(self.0))
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({self})")
    }
}

/// An address that is not `0x` + 40 hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("an address is 0x followed by 40 hex digits")]
pub struct AddressParseError;

impl FromStr for Address {
    type Err = AddressParseError;
    fn from_str(s: &str) -> Result<Address, AddressParseError> {
        let digits = s.strip_prefix("0x").ok_or(AddressParseError)?;
        let mut out = [0u8; 20];
        hex::decode_to_slice(digits, &mut out).map_err(|_| AddressParseError)?;
        Ok(Address(out))
    }
}

/// How the sale is run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaleConfig {
    /// Tiers, sold lowest first.
    pub tiers: TierTable,
    /// Referral cashback rates.
    pub referral_rates: ReferralRates,
    /// Promo codes and their basis points off the price (≤ 10,000).
    pub promo_codes: BTreeMap<String, u16>,
    /// Who may buy during the whitelist phase.
    pub whitelist: BTreeSet<Address>,
    /// Licences one whitelisted wallet may buy during the whitelist phase.
    pub whitelist_cap: u64,
    /// The whitelist phase starts here; every purchase before is refused.
    pub start: Timestamp,
    /// The whitelist phase's length; the public phase follows.
    pub whitelist_ms: u64,
    /// Chain ids whose payment receipts are accepted.
    pub chains: BTreeSet<u64>,
    /// From when the referral airdrop may be paid.
    pub airdrop_at: Timestamp,
}

impl SaleConfig {
    /// The default sale opening at `start`: the default tier and referral tables, no promo
    /// codes, an empty whitelist with a cap of 10, a 2-day whitelist phase, receipts from
    /// Ethereum (1), Arbitrum One (42161) and Base (8453), the airdrop six weeks after `start`.
    pub fn new(start: Timestamp) -> SaleConfig {
        SaleConfig {
            tiers: TierTable::default_table(),
            referral_rates: ReferralRates::default_table(),
            promo_codes: BTreeMap::new(),
            whitelist: BTreeSet::new(),
            whitelist_cap: 10,
            start,
            whitelist_ms: WHITELIST_MS,
            chains: [1, 42_161, 8_453].into_iter().collect(),
            airdrop_at: start.plus_millis(AIRDROP_DELAY_MS),
        }
    }

    /// When the public phase starts.
    pub fn public_at(&self) -> Timestamp {
        self.start.plus_millis(self.whitelist_ms)
    }
}

/// How the contracts are deployed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EconomyConfig {
    /// Launches rewards and pays the referral airdrop.
    pub owner: Address,
    /// The only sender of purchases: the bridge that watched the payment chains.
    pub relayer: Address,
    /// The only sender of daily liveness: the audit lane's quorum report.
    pub reporter: Address,
    /// The chain id check-ins must name.
    pub chain_id: u64,
    /// The licence contract address check-ins must name.
    pub contract: Address,
    /// The sale.
    pub sale: SaleConfig,
    /// The reward pool `P`, in the reward token's smallest units.
    pub reward_pool: Amount,
    /// From when rewards may launch; day `d` is `[launch_at + (d−1)·DAY_MS, launch_at + d·DAY_MS)`.
    pub launch_at: Timestamp,
}

/// A purchase as the relayer reports it: the buyer is the receipt's payer.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Purchase {
    /// Licences asked for.
    pub quantity: u64,
    /// A promo code, if any.
    pub promo: Option<String>,
    /// A referrer, if any.
    pub referrer: Option<Address>,
    /// The payment.
    pub receipt: Receipt,
}

/// One contract function.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// Buy licences with a payment receipt (relayer only).
    Purchase(Purchase),
    /// Withdraw what overpayments left owed back to the caller.
    WithdrawOwed,
    /// Pay every address its unpaid rebates and cashbacks in USDC (owner only, from
    /// `airdrop_at`): one payout per address, `floor(wei × rate)`.
    Airdrop {
        /// USDC units per wei.
        rate: Rate,
    },
    /// ERC-721 `approve` (`None` clears).
    Approve {
        /// The approved address.
        to: Option<Address>,
        /// The licence.
        licence: LicenceId,
    },
    /// ERC-721 `setApprovalForAll`.
    SetApprovalForAll {
        /// The operator.
        operator: Address,
        /// Set or clear.
        approved: bool,
    },
    /// ERC-721 `transferFrom`, refused during the one-year lock.
    TransferFrom {
        /// The current owner.
        from: Address,
        /// The new owner.
        to: Address,
        /// The licence.
        licence: LicenceId,
    },
    /// Delegate a licence to an operator key's address (`None` clears); owner only.
    Delegate {
        /// The licence.
        licence: LicenceId,
        /// The operator.
        operator: Option<Address>,
    },
    /// An alignment node's signed check-in (any sender: the signature authenticates).
    CheckIn(SignedCheckIn),
    /// Freeze `L` = licences sold, close the sale, create the pool (owner only).
    Launch,
    /// Settle a day with the quorum report's attested liveness (reporter only).
    SettleDay {
        /// The day, 1-based; days settle in order.
        day: u64,
        /// One entry per licence.
        attested: Vec<bool>,
    },
    /// Claim a licence's earned, unclaimed rewards (licence owner only).
    Claim {
        /// The licence.
        licence: LicenceId,
    },
}

/// A transaction: who calls, which function.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Call {
    /// `msg.sender`.
    pub sender: Address,
    /// The function and its arguments.
    pub op: Op,
}

impl Call {
    /// A call.
    pub fn new(sender: Address, op: Op) -> Call {
        Call { sender, op }
    }
}

/// What an accepted purchase did.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PurchaseRecord {
    /// The buyer (the receipt's payer).
    pub buyer: Address,
    /// The first licence minted; the purchase minted `first .. first + quantity`.
    pub first: LicenceId,
    /// Licences minted.
    pub quantity: u64,
    /// `(tier, licences)` taken, lowest tier first.
    pub parts: Vec<(usize, u64)>,
    /// Σ tier prices, wei.
    pub price: Amount,
    /// `floor(price × promo bp / 10,000)`.
    pub discount: Amount,
    /// `price − discount`: the sale's revenue from this purchase.
    pub due: Amount,
    /// What the receipt paid.
    pub paid: Amount,
    /// `paid − due`, owed back to the buyer.
    pub owed_back: Amount,
    /// The referrer, if any.
    pub referrer: Option<Address>,
    /// `floor(due × 500 / 10,000)` owed to the buyer (zero without a referrer).
    pub rebate: Amount,
    /// `floor(due × rate / 10,000)` owed to the referrer.
    pub cashback: Amount,
}

/// What a successful call returned or did.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Nothing to report.
    Done,
    /// A purchase.
    Purchased(PurchaseRecord),
    /// Paid to the caller (owed back, or rewards claimed).
    Paid {
        /// How much.
        amount: Amount,
    },
    /// The airdrop's payouts, by address, in USDC units.
    Airdropped {
        /// One entry per address paid.
        payouts: Vec<(Address, Amount)>,
    },
    /// A check-in was recorded.
    CheckedIn {
        /// Another node had checked in for the same licence and epoch: neither earns it.
        second_node: bool,
    },
    /// Rewards launched.
    Launched {
        /// `L`.
        licences: u64,
        /// `A`.
        allocation: Amount,
        /// `tge`.
        tge: Amount,
        /// `dust`.
        dust: Amount,
    },
    /// A day settled.
    Settled(DayReport),
}

/// A sale participant's books.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub struct Wallet {
    /// Licences bought during the whitelist phase.
    pub whitelist_bought: u64,
    /// Licences bought by buyers who named this address as referrer.
    pub referred: u64,
    /// Rebates and cashbacks owed, wei (accrued, paid or not).
    pub referral_wei: Amount,
    /// Of `referral_wei`, what an airdrop has paid.
    pub referral_paid_wei: Amount,
    /// USDC units airdropped.
    pub usdc_paid: Amount,
    /// Overpayments not yet withdrawn, wei.
    pub owed_back: Amount,
}

/// Money that has crossed the contracts' boundary, for the conservation invariants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub struct Totals {
    /// Purchases accepted (= receipts used).
    pub purchases: u64,
    /// Σ receipt amounts of accepted purchases.
    pub received: Amount,
    /// Σ tier prices of licences sold.
    pub list_price: Amount,
    /// Σ promo discounts.
    pub discounts: Amount,
    /// Σ due: the sale's revenue (`list_price − discounts`).
    pub revenue: Amount,
    /// Σ overpayments recorded (`received − revenue`).
    pub owed_back: Amount,
    /// Of `owed_back`, what was withdrawn.
    pub refunded: Amount,
    /// Licences sold with a referrer.
    pub referred: u64,
    /// Σ rebates + cashbacks accrued, wei.
    pub referral_accrued: Amount,
    /// Of that, paid by airdrops, wei.
    pub referral_paid: Amount,
    /// USDC units airdropped.
    pub usdc_paid: Amount,
    /// Rewards claimed.
    pub rewards_claimed: Amount,
}

/// Check-ins seen for one (epoch, licence).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Slot {
    /// One node.
    One(H256),
    /// Two or more nodes: the licence earns nothing that epoch.
    Conflict,
}

#[derive(Clone, Debug)]
enum Undo {
    Licence(LicenceId, Licence),
    Wallet(Address, Option<Wallet>),
    Receipt(H256),
    Operators(Address, Option<BTreeSet<Address>>),
    Slot((u64, LicenceId), Option<Slot>),
}

/// The write journal of one call: prior values of every entry touched, undone in reverse.
#[derive(Default)]
struct Journal {
    undo: Vec<Undo>,
}

/// The contracts' state. See the [module docs](self) and the [crate docs](crate).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Economy {
    config: EconomyConfig,
    licences: Vec<Licence>,
    operators: BTreeMap<Address, BTreeSet<Address>>,
    wallets: BTreeMap<Address, Wallet>,
    /// Transaction hashes that paid: one use across every chain.
    receipts: BTreeSet<H256>,
    check_ins: BTreeMap<(u64, LicenceId), Slot>,
    pool: Option<RewardPool>,
    totals: Totals,
}

fn add(a: Amount, b: Amount) -> Result<Amount, EconomyError> {
    a.checked_add(b).map_err(|_| EconomyError::Overflow)
}

fn sub(a: Amount, b: Amount) -> Result<Amount, EconomyError> {
    a.checked_sub(b).map_err(|_| EconomyError::Overflow)
}

impl Economy {
    /// A fresh deployment; refuses promo codes above 10,000 bp, empty or longer than
    /// [`sale::MAX_PROMO_CODE_LEN`] bytes.
    pub fn new(config: EconomyConfig) -> Result<Economy, EconomyError> {
        for (code, &bp) in &config.sale.promo_codes {
            if code.is_empty() || code.len() > sale::MAX_PROMO_CODE_LEN || bp > 10_000 {
                return Err(EconomyError::InvalidPromoCode { code: code.clone() });
            }
        }
        Ok(Economy {
            config,
            licences: Vec::new(),
            operators: BTreeMap::new(),
            wallets: BTreeMap::new(),
            receipts: BTreeSet::new(),
            check_ins: BTreeMap::new(),
            pool: None,
            totals: Totals::default(),
        })
    }

    /// The deployment.
    pub fn config(&self) -> &EconomyConfig {
        &self.config
    }

    /// Licences sold.
    pub fn sold(&self) -> u64 {
        u64::try_from(self.licences.len()).unwrap_or(u64::MAX)
    }

    /// A licence.
    pub fn licence(&self, id: LicenceId) -> Option<&Licence> {
        usize::try_from(id).ok().and_then(|i| self.licences.get(i))
    }

    /// Every licence, by id.
    pub fn licences(&self) -> &[Licence] {
        &self.licences
    }

    /// ERC-721 `ownerOf`.
    pub fn owner_of(&self, id: LicenceId) -> Option<Address> {
        self.licence(id).map(|l| l.owner)
    }

    /// ERC-721 `balanceOf`.
    pub fn balance_of(&self, owner: &Address) -> u64 {
        let n = self.licences.iter().filter(|l| l.owner == *owner).count();
        u64::try_from(n).unwrap_or(u64::MAX)
    }

    /// ERC-721 `isApprovedForAll`.
    pub fn is_approved_for_all(&self, owner: &Address, operator: &Address) -> bool {
        self.operators
            .get(owner)
            .is_some_and(|s| s.contains(operator))
    }

    /// A participant's books.
    pub fn wallet(&self, address: &Address) -> Option<&Wallet> {
        self.wallets.get(address)
    }

    /// Every participant's books.
    pub fn wallets(&self) -> impl Iterator<Item = (&Address, &Wallet)> {
        self.wallets.iter()
    }

    /// Whether a transaction hash has paid for a purchase (on any chain).
    pub fn receipt_used(&self, tx_hash: &H256) -> bool {
        self.receipts.contains(tx_hash)
    }

    /// The reward pool, once launched.
    pub fn pool(&self) -> Option<&RewardPool> {
        self.pool.as_ref()
    }

    /// Money that has crossed the boundary.
    pub fn totals(&self) -> Totals {
        self.totals
    }

    /// The check-in epoch (reward day) at `now`: 0 before launch time, else
    /// `(now − launch_at) / DAY_MS + 1`.
    pub fn epoch_at(&self, now: Timestamp) -> u64 {
        let launch = self.config.launch_at.as_millis();
        match now.as_millis().checked_sub(launch) {
            Some(ms) => ms / DAY_MS + 1,
            None => 0,
        }
    }

    /// Whether exactly one node checked in for `licence` in `epoch` (still open).
    pub fn single_node(&self, epoch: u64, licence: LicenceId) -> bool {
        matches!(self.check_ins.get(&(epoch, licence)), Some(Slot::One(_)))
    }

    /// Applies one call at `now`. On `Err` the state is exactly as before.
    pub fn apply(&mut self, now: Timestamp, call: &Call) -> Result<Outcome, EconomyError> {
        let saved_totals = self.totals;
        let saved_len = self.licences.len();
        let mut j = Journal::default();
        let result = self.execute(now, call, &mut j);
        if result.is_err() {
            for undo in j.undo.into_iter().rev() {
                match undo {
                    Undo::Licence(id, l) => {
                        if let Some(slot) = usize::try_from(id)
                            .ok()
                            .and_then(|i| self.licences.get_mut(i))
                        {
                            *slot = l;
                        }
                    }
                    Undo::Wallet(k, v) => restore(&mut self.wallets, k, v),
                    Undo::Receipt(k) => {
                        self.receipts.remove(&k);
                    }
                    Undo::Operators(k, v) => restore(&mut self.operators, k, v),
                    Undo::Slot(k, v) => restore(&mut self.check_ins, k, v),
                }
            }
            self.licences.truncate(saved_len);
            self.totals = saved_totals;
        }
        result
    }

    fn execute(
        &mut self,
        now: Timestamp,
        call: &Call,
        j: &mut Journal,
    ) -> Result<Outcome, EconomyError> {
        let sender = call.sender;
        match &call.op {
            Op::Purchase(p) => self.purchase(j, now, sender, p).map(Outcome::Purchased),
            Op::WithdrawOwed => self.withdraw_owed(j, sender),
            Op::Airdrop { rate } => self.airdrop(j, now, sender, rate),
            Op::Approve { to, licence } => self.approve(j, sender, *to, *licence),
            Op::SetApprovalForAll { operator, approved } => {
                self.set_approval_for_all(j, sender, *operator, *approved)
            }
            Op::TransferFrom { from, to, licence } => {
                self.transfer_from(j, now, sender, *from, *to, *licence)
            }
            Op::Delegate { licence, operator } => self.delegate(j, sender, *licence, *operator),
            Op::CheckIn(signed) => self.check_in(j, now, signed),
            Op::Launch => self.launch(now, sender),
            Op::SettleDay { day, attested } => self.settle_day(j, now, sender, *day, attested),
            Op::Claim { licence } => self.claim(sender, *licence),
        }
    }

    // ----- journaled access -------------------------------------------------------------

    fn wallet_mut(&mut self, j: &mut Journal, a: Address) -> &mut Wallet {
        j.undo.push(Undo::Wallet(a, self.wallets.get(&a).copied()));
        self.wallets.entry(a).or_default()
    }

    fn licence_mut(
        &mut self,
        j: &mut Journal,
        id: LicenceId,
    ) -> Result<&mut Licence, EconomyError> {
        let i = usize::try_from(id).map_err(|_| EconomyError::NoSuchLicence { id })?;
        let l = self
            .licences
            .get_mut(i)
            .ok_or(EconomyError::NoSuchLicence { id })?;
        j.undo.push(Undo::Licence(id, *l));
        Ok(l)
    }

    fn set_slot(&mut self, j: &mut Journal, key: (u64, LicenceId), slot: Option<Slot>) {
        let old = match slot {
            Some(s) => self.check_ins.insert(key, s),
            None => self.check_ins.remove(&key),
        };
        j.undo.push(Undo::Slot(key, old));
    }

    fn existing(&self, id: LicenceId) -> Result<&Licence, EconomyError> {
        self.licence(id).ok_or(EconomyError::NoSuchLicence { id })
    }

    fn only(&self, sender: Address, role: Address) -> Result<(), EconomyError> {
        if sender != role {
            return Err(EconomyError::Unauthorized { caller: sender });
        }
        Ok(())
    }
}

fn restore<K: Ord, V>(map: &mut BTreeMap<K, V>, key: K, value: Option<V>) {
    match value {
        Some(v) => {
            map.insert(key, v);
        }
        None => {
            map.remove(&key);
        }
    }
}

mod invariants;
mod ops;
