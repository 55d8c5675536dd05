//! The one error type of the sale, licence and reward mirrors.

use zg_core::{Amount, Timestamp};

use super::{Address, LicenceId};

/// Why a call to [`Economy::apply`](super::Economy::apply) (or a table, pool or quote
/// constructor) was refused. A refused call leaves the state exactly as it was.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EconomyError {
    // ----- tables and configuration -----
    /// A tier table must have 1–[`MAX_TIERS`](super::sale::MAX_TIERS) tiers, each with a
    /// count > 0, at most [`MAX_LICENCES`](super::rewards::MAX_LICENCES) licences in all.
    #[error("invalid tier table: {reason}")]
    InvalidTiers {
        /// What is wrong.
        reason: &'static str,
    },
    /// A referral table must start at 0 licences, rise strictly in licences, never fall in
    /// rate, and keep every rate within 1–10,000 basis points.
    #[error("invalid referral-rate table: {reason}")]
    InvalidReferralRates {
        /// What is wrong.
        reason: &'static str,
    },
    /// A promo code's basis points are above 10,000 (or the code is empty or too long).
    #[error("invalid promo code {code:?}")]
    InvalidPromoCode {
        /// The code.
        code: String,
    },
    /// A conversion rate with a zero denominator.
    #[error("invalid conversion rate")]
    InvalidRate,

    // ----- who may call -----
    /// The call needs another sender (owner, relayer, reporter, licence owner or approved).
    #[error("{caller} may not make this call")]
    Unauthorized {
        /// `msg.sender`.
        caller: Address,
    },
    /// An address argument is the zero address.
    #[error("the zero address is not allowed here")]
    ZeroAddress,

    // ----- sale -----
    /// Before the whitelist phase starts every purchase is refused.
    #[error("the sale opens at {opens}")]
    SaleNotStarted {
        /// The whitelist start.
        opens: Timestamp,
    },
    /// Rewards have launched: the sale is closed (the licence count `L` is frozen).
    #[error("the sale is closed")]
    SaleClosed,
    /// A purchase of zero licences.
    #[error("a purchase needs at least one licence")]
    ZeroQuantity,
    /// Every licence is sold.
    #[error("sold out")]
    SoldOut,
    /// Fewer licences are left than asked for.
    #[error("{requested} licences asked for, {left} left")]
    NotEnoughSupply {
        /// Asked for.
        requested: u64,
        /// Still for sale.
        left: u64,
    },
    /// During the whitelist phase only whitelisted addresses may buy.
    #[error("{buyer} is not whitelisted")]
    NotWhitelisted {
        /// The buyer.
        buyer: Address,
    },
    /// The whitelist phase's per-wallet cap would be exceeded.
    #[error("whitelist cap: {bought} bought, {requested} more asked, cap {cap}")]
    WhitelistCapExceeded {
        /// Already bought during the whitelist phase.
        bought: u64,
        /// Asked for now.
        requested: u64,
        /// The per-wallet cap.
        cap: u64,
    },
    /// The promo code is not known.
    #[error("unknown promo code")]
    UnknownPromoCode,
    /// The buyer named itself as referrer.
    #[error("self-referral")]
    SelfReferral,
    /// A receipt from a chain the sale does not accept.
    #[error("payments from chain {chain_id} are not accepted")]
    UnsupportedChain {
        /// The chain id.
        chain_id: u64,
    },
    /// The receipt's transaction hash already paid for a purchase (on any chain).
    #[error("receipt already used")]
    ReceiptUsed,
    /// The receipt pays less than the purchase costs.
    #[error("underpaid: {due} due, {paid} paid")]
    Underpaid {
        /// Due after the promo code.
        due: Amount,
        /// What the receipt pays.
        paid: Amount,
    },
    /// Nothing is owed back to the caller.
    #[error("nothing owed back")]
    NothingOwed,
    /// The referral airdrop's time has not come.
    #[error("the airdrop opens at {opens}")]
    AirdropNotYet {
        /// When it opens.
        opens: Timestamp,
    },

    // ----- licences -----
    /// No such licence.
    #[error("no licence {id}")]
    NoSuchLicence {
        /// The id.
        id: LicenceId,
    },
    /// `from` is not the licence's owner.
    #[error("{from} does not own licence {id}")]
    NotOwner {
        /// The licence.
        id: LicenceId,
        /// The claimed owner.
        from: Address,
    },
    /// The licence cannot move before its one-year lock ends.
    #[error("licence {id} is locked until {until}")]
    Locked {
        /// The licence.
        id: LicenceId,
        /// Purchase time + 365 days: the first instant a transfer is allowed.
        until: Timestamp,
    },
    /// An owner already has the most operator approvals one address may set.
    #[error("too many operator approvals")]
    TooManyOperators,
    /// The licence has no delegated operator.
    #[error("licence {id} has no operator")]
    NotDelegated {
        /// The licence.
        id: LicenceId,
    },
    /// The check-in's signature does not verify for the licence's delegated operator (opaque
    /// on purpose).
    #[error("invalid check-in signature")]
    InvalidSignature,
    /// The check-in names another chain or contract.
    #[error("check-in for another deployment")]
    WrongDomain,
    /// Check-ins are taken only for the current epoch, and no further than
    /// [`MAX_OPEN_EPOCHS`](super::MAX_OPEN_EPOCHS) ahead of the last settled day.
    #[error("epoch {epoch} is not open for check-ins")]
    EpochNotOpen {
        /// The check-in's epoch.
        epoch: u64,
    },

    // ----- rewards -----
    /// Rewards have not launched.
    #[error("rewards have not launched")]
    NotLaunched,
    /// Launch needs its time and at least one licence sold.
    #[error("cannot launch: {reason}")]
    CannotLaunch {
        /// Why.
        reason: &'static str,
    },
    /// Days settle one by one, in order.
    #[error("day {day} cannot settle: next is {expected}")]
    WrongDay {
        /// The day named.
        day: u64,
        /// The next day to settle.
        expected: u64,
    },
    /// A day settles only after it has ended.
    #[error("day {day} has not ended")]
    DayNotOver {
        /// The day.
        day: u64,
    },
    /// A liveness vector must have one entry per licence.
    #[error("liveness for {got} licences, {expected} sold")]
    LivenessLength {
        /// Licences sold.
        expected: u64,
        /// Entries given.
        got: u64,
    },
    /// A reward pool needs 1–[`MAX_LICENCES`](super::rewards::MAX_LICENCES) licences.
    #[error("a reward pool needs 1..={max} licences, got {got}")]
    PoolLicences {
        /// Asked for.
        got: u64,
        /// The bound.
        max: u64,
    },
    /// Nothing earned is left unclaimed.
    #[error("nothing to claim")]
    NothingToClaim,
    /// Arithmetic would overflow (amounts beyond `u128`).
    #[error("arithmetic overflow")]
    Overflow,
}
