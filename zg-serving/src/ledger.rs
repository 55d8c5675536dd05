//! The ledger: the 0G serving contracts' state and rules as one deterministic state machine.
//!
//! It models two contracts of 0g-serving-contract v1.0 as one state: `LedgerManager` (a ledger
//! per user: `availableBalance`, `totalBalance`) and `InferenceServing` (services with stake,
//! prices and a TEE signer; accounts per (user, provider) with balance, pending refunds and a
//! settlement nonce; `settleFeesWithTEE`). Every call is a [`Call`] — the caller (`msg.sender`),
//! the value sent (`msg.value`) and an [`Op`] — applied by [`Ledger::apply`] at a time `now`
//! (`block.timestamp`, whole seconds of `now`). A call the contract would revert returns a
//! [`LedgerError`] and leaves the state exactly as it was (a journal undoes partial writes).
//!
//! Rules, with the contract function each follows (0G-FORMATS §7):
//!
//! * **Ledgers** — `addLedger`/`depositFund`: a new ledger needs ≥ 3 tokens
//!   ([`Limits::min_ledger_balance`]); deposits must be > 0. `refund(amount)` withdraws from the
//!   available balance and must leave 0 or ≥ 3 tokens; a ledger whose total reaches 0 is deleted
//!   with its accounts. `deleteLedger` needs a zero total.
//! * **Transfers** — `transferFund(provider, amount)`: into an existing account, pending refunds
//!   are first cancelled most-recent-first for up to `amount` (that part needs no new funds), the
//!   rest comes from the ledger's available balance; a new account needs ≥ 1 token
//!   ([`Limits::min_first_transfer`]) and is acknowledged automatically.
//! * **Refunds** — `requestRefundAll` queues `balance − pendingRefund` as one refund (at most 5
//!   pending: `TooManyRefunds`); `processRefund` releases every refund with
//!   `now ≥ createdAt + lockTime` back to the ledger's available balance; `retrieveFund(providers)`
//!   does both for up to 20 providers. `lockTime ∈ [1 h, 7 d]`.
//! * **Services** — `addOrUpdateService`: first registration stakes ≥ 100 tokens, updates send
//!   no value; changing the type, model, verifiability, additional info or TEE signer (or, here,
//!   the signature scheme) withdraws the owner's acknowledgement of the TEE signer.
//!   `removeService` returns the stake. While the provider has compressed batches open or
//!   awaiting an opening, neither a TEE-signer change nor `removeService` is allowed
//!   ([`LedgerError::OpenBatches`], an extension: see [`crate::batch`]).
//! * **Tokens** — `revokeToken(s)` sets bits of the account's revocation bitmap;
//!   `revokeAllTokens` bumps its generation and clears the bitmap.
//! * **Settlement** — `settleFeesWithTEE(items)`, 1–50 items, each given a
//!   [`SettlementStatus`] checked in the contract's order: provider ≠ caller → PROVIDER_MISMATCH;
//!   no account → INVALID_SIGNATURE; no service → PROVIDER_MISMATCH; user or owner has not
//!   acknowledged, or no signer → NO_TEE_SIGNER; `nonce ≤ account.nonce` → INVALID_NONCE; bad
//!   signature → INVALID_SIGNATURE; else the nonce advances and `min(totalFee, balance)` is paid,
//!   cancelling pending refunds most-recent-first when the unreserved balance falls short
//!   (PARTIAL if the balance did not cover the fee). `previewSettlementResults` is the read-only
//!   twin: each item judged against the unchanged state.
//!
//! Deleted accounts keep their nonce and token generation (the contract's soft delete), so a
//! settlement signed before a deletion can never be replayed after the account is re-created.

use std::collections::BTreeMap;

use zg_core::{Amount, Timestamp};

use crate::LedgerError;
use crate::eip712::{Domain, SignatureScheme};
use crate::eth::{Address, U256};
use crate::settlement::{ItemResult, SettlementItem, SettlementStatus};

/// One whole token (10^18 of its smallest unit, like ether and wei).
pub const TOKEN: u128 = 1_000_000_000_000_000_000;

/// The contract's numeric limits. [`Limits::default`] holds v1.0's constants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Limits {
    /// `MIN_ACCOUNT_BALANCE`: 3 tokens to open a ledger, and the least a withdrawal may leave.
    pub min_ledger_balance: Amount,
    /// `MIN_TRANSFER_AMOUNT`: 1 token for the first transfer to a provider.
    pub min_first_transfer: Amount,
    /// `MIN_PROVIDER_STAKE`: 100 tokens to register a service.
    pub min_provider_stake: Amount,
    /// `MAX_REFUNDS_PER_ACCOUNT`: 5 pending refunds per account.
    pub max_refunds: usize,
    /// Items per `settleFeesWithTEE` call: 50.
    pub max_settlements: usize,
    /// `MAX_PROVIDERS_PER_BATCH` of `retrieveFund`: 20.
    pub max_providers_per_retrieve: usize,
    /// `MAX_ADDITIONAL_INFO_LENGTH`: 4096 bytes.
    pub max_additional_info: usize,
    /// `MIN_LOCKTIME`: 1 hour, in seconds.
    pub min_lock_time: u64,
    /// `MAX_LOCKTIME`: 7 days, in seconds.
    pub max_lock_time: u64,
    /// Compressed batches (an extension): how long a committed batch can be challenged, in
    /// seconds (default 1 day).
    pub batch_challenge_window: u64,
    /// Compressed batches: how long a provider has to post a demanded opening (default 12 h).
    pub batch_response_window: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            min_ledger_balance: Amount::new(3 * TOKEN),
            min_first_transfer: Amount::new(TOKEN),
            min_provider_stake: Amount::new(100 * TOKEN),
            max_refunds: 5,
            max_settlements: 50,
            max_providers_per_retrieve: 20,
            max_additional_info: 4096,
            min_lock_time: 3600,
            max_lock_time: 7 * 24 * 3600,
            batch_challenge_window: 24 * 3600,
            batch_response_window: 12 * 3600,
        }
    }
}

/// How a ledger is deployed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LedgerConfig {
    /// The contracts' owner (acknowledges TEE signers, sets the lock time).
    pub owner: Address,
    /// The EIP-712 domain: chain id and the serving contract's address.
    pub domain: Domain,
    /// `lockTime` in seconds, in `[limits.min_lock_time, limits.max_lock_time]`.
    pub lock_time_secs: u64,
    /// Numeric limits.
    pub limits: Limits,
}

/// A user's ledger in `LedgerManager`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Hash)]
pub struct LedgerBalance {
    /// Funds not assigned to any provider.
    pub available: Amount,
    /// `available` plus every provider sub-account's balance.
    pub total: Amount,
    /// Free-form data (≤ 4 KiB), copied into new accounts.
    pub additional_info: String,
}

/// What a provider registers (`ServiceParams`), plus the signature scheme of its settlements.
#[derive(Clone, Debug, PartialEq, Eq, Default, Hash)]
pub struct ServiceParams {
    /// E.g. `"chatbot"`.
    pub service_type: String,
    /// The provider broker's public URL.
    pub url: String,
    /// The model served.
    pub model: String,
    /// E.g. `"TeeML"`.
    pub verifiability: String,
    /// Price per input token, in smallest units.
    pub input_price: Amount,
    /// Price per output token, in smallest units.
    pub output_price: Amount,
    /// Free-form data (≤ 4 KiB).
    pub additional_info: String,
    /// The TEE's settlement signing address.
    pub tee_signer: Address,
    /// Which signature settlements carry (an extension: the contract is EIP-712 only).
    pub scheme: SignatureScheme,
}

/// A registered service.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Service {
    /// The provider.
    pub provider: Address,
    /// Its parameters.
    pub params: ServiceParams,
    /// `block.timestamp` of the last update, in seconds.
    pub updated_at: u64,
    /// Whether the owner has acknowledged the TEE signer.
    pub tee_signer_acknowledged: bool,
}

/// A pending refund.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Refund {
    /// The amount.
    pub amount: Amount,
    /// `block.timestamp` of the request, in seconds.
    pub created_at: u64,
}

/// A (user, provider) account.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Account {
    /// The user.
    pub user: Address,
    /// The provider.
    pub provider: Address,
    /// Whether the account exists (`false`: soft-deleted, nonce and generation kept).
    pub exists: bool,
    /// The last settled nonce.
    pub nonce: U256,
    /// Funds for this provider, including `pending_refund`.
    pub balance: Amount,
    /// Sum of `refunds`.
    pub pending_refund: Amount,
    /// Active refunds, oldest first (at most [`Limits::max_refunds`]).
    pub refunds: Vec<Refund>,
    /// Whether the user acknowledges the provider's TEE signer.
    pub acknowledged: bool,
    /// Session-token generation (bumped by `revokeAllTokens`).
    pub generation: u64,
    /// Revoked session-token ids of this generation, bit `i` = token `i`.
    pub revoked_bitmap: [u64; 4],
    /// Copied from the ledger when the account was created.
    pub additional_info: String,
    /// Highest receipt sequence number settled by compressed batches (see [`crate::batch`]).
    pub batch_seq: u64,
}

impl Account {
    fn new(user: Address, provider: Address) -> Account {
        Account {
            user,
            provider,
            exists: false,
            nonce: U256::ZERO,
            balance: Amount::ZERO,
            pending_refund: Amount::ZERO,
            refunds: Vec::new(),
            acknowledged: false,
            generation: 0,
            revoked_bitmap: [0; 4],
            additional_info: String::new(),
            batch_seq: 0,
        }
    }

    /// Whether session token `id` of the current generation is revoked.
    pub fn is_token_revoked(&self, id: u8) -> bool {
        self.revoked_bitmap[usize::from(id / 64)] & (1u64 << (id % 64)) != 0
    }

    /// `balance − pending_refund`: what the provider can still count on.
    pub fn locked_balance(&self) -> Amount {
        self.balance.saturating_sub(self.pending_refund)
    }
}

/// Money that has crossed the ledger's boundary, for the conservation invariant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub struct Totals {
    /// Deposited into ledgers.
    pub deposited: Amount,
    /// Withdrawn from ledgers by `refund`.
    pub withdrawn: Amount,
    /// Paid out to providers (settlements and finalised batches).
    pub paid_to_providers: Amount,
    /// Held in compressed-batch escrow.
    pub escrowed: Amount,
    /// Provider stakes received.
    pub stake_in: Amount,
    /// Provider stakes returned.
    pub stake_returned: Amount,
    /// Provider stake moved to users by successful batch challenges.
    pub stake_slashed: Amount,
}

/// One contract function.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `LedgerManager.addLedger(additionalInfo)` (payable).
    AddLedger {
        /// Free-form data.
        additional_info: String,
    },
    /// `LedgerManager.depositFund()` (payable; creates the ledger if needed).
    DepositFund,
    /// `LedgerManager.depositFundFor(recipient)` (payable).
    DepositFundFor {
        /// The ledger credited.
        recipient: Address,
    },
    /// `LedgerManager.refund(amount)`: withdraw from the ledger.
    Refund {
        /// How much.
        amount: Amount,
    },
    /// `LedgerManager.deleteLedger()`.
    DeleteLedger,
    /// `LedgerManager.transferFund(provider, "inference", amount)`.
    TransferFund {
        /// The provider.
        provider: Address,
        /// How much.
        amount: Amount,
    },
    /// `LedgerManager.retrieveFund(providers, "inference")`: for each provider with an account,
    /// `processRefund` then `requestRefundAll`.
    RetrieveFund {
        /// Up to 20 providers.
        providers: Vec<Address>,
    },
    /// The `processRefund` step alone (matured refunds back to the ledger).
    ProcessRefund {
        /// The provider.
        provider: Address,
    },
    /// The `requestRefundAll` step alone.
    RequestRefundAll {
        /// The provider.
        provider: Address,
    },
    /// `InferenceServing.addOrUpdateService(params)` (payable: the stake, first time only).
    AddOrUpdateService {
        /// The parameters.
        params: ServiceParams,
    },
    /// `InferenceServing.removeService()`: returns the stake.
    RemoveService,
    /// `acknowledgeTEESignerByOwner(provider)` (owner only).
    AcknowledgeTeeSignerByOwner {
        /// The provider.
        provider: Address,
    },
    /// `revokeTEESignerAcknowledgement(provider)` (owner only).
    RevokeTeeSignerAcknowledgement {
        /// The provider.
        provider: Address,
    },
    /// `acknowledgeTEESigner(provider, acknowledged)` by the user.
    AcknowledgeTeeSigner {
        /// The provider.
        provider: Address,
        /// Set or withdraw (withdraw needs a zero balance).
        acknowledged: bool,
    },
    /// `revokeToken(provider, tokenId)`.
    RevokeToken {
        /// The provider.
        provider: Address,
        /// The token id.
        token_id: u8,
    },
    /// `revokeTokens(provider, tokenIds)`.
    RevokeTokens {
        /// The provider.
        provider: Address,
        /// The token ids.
        token_ids: Vec<u8>,
    },
    /// `revokeAllTokens(provider)`.
    RevokeAllTokens {
        /// The provider.
        provider: Address,
    },
    /// `updateLockTime(lockTime)` (owner only).
    UpdateLockTime {
        /// Seconds.
        lock_time_secs: u64,
    },
    /// `settleFeesWithTEE(items)` by the provider.
    SettleFees {
        /// 1–50 items.
        items: Vec<SettlementItem>,
    },
    /// `previewSettlementResults(items)`: read-only.
    PreviewSettlement {
        /// 1–50 items.
        items: Vec<SettlementItem>,
    },
    /// A compressed-batch call (see [`crate::batch`]).
    Batch(crate::batch::BatchOp),
}

impl Op {
    fn payable(&self) -> bool {
        matches!(
            self,
            Op::AddLedger { .. }
                | Op::DepositFund
                | Op::DepositFundFor { .. }
                | Op::AddOrUpdateService { .. }
        )
    }

    /// Whether the call only reads.
    pub fn is_read_only(&self) -> bool {
        matches!(self, Op::PreviewSettlement { .. })
    }
}

/// A transaction: who calls, with what value, which function.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Call {
    /// `msg.sender`.
    pub sender: Address,
    /// `msg.value`.
    pub value: Amount,
    /// The function and its arguments.
    pub op: Op,
}

impl Call {
    /// A call with no value.
    pub fn new(sender: Address, op: Op) -> Call {
        Call {
            sender,
            value: Amount::ZERO,
            op,
        }
    }

    /// The same call with `value` sent along.
    pub fn with_value(mut self, value: Amount) -> Call {
        self.value = value;
        self
    }
}

/// What a successful call returned or did.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Nothing to report.
    Done,
    /// A withdrawal or returned stake paid to the caller.
    Paid {
        /// How much.
        amount: Amount,
    },
    /// Matured refunds moved back to ledgers.
    Retrieved {
        /// How much.
        amount: Amount,
    },
    /// `revokeAllTokens`' new generation.
    Generation {
        /// The generation.
        generation: u64,
    },
    /// Per-item results of a settlement or a preview, in item order.
    Settled {
        /// The results.
        results: Vec<ItemResult>,
        /// Paid to the provider in total (zero for a preview).
        paid: Amount,
    },
    /// A compressed-batch call's result.
    Batch(crate::batch::BatchOutcome),
}

#[derive(Clone, Debug)]
enum Undo {
    Ledger(Address, Option<LedgerBalance>),
    Account((Address, Address), Option<Account>),
    Service(Address, Option<Service>),
    Stake(Address, Option<Amount>),
    Batch(u64, Option<crate::batch::Batch>),
    OpenBatches(Address, Option<u64>),
}

/// The write journal of one call: prior values of every entry touched, replayed in reverse on
/// revert.
#[derive(Default)]
pub(crate) struct Journal {
    undo: Vec<Undo>,
}

/// The contracts' state. See the [module docs](self) for the rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ledger {
    config: LedgerConfig,
    ledgers: BTreeMap<Address, LedgerBalance>,
    services: BTreeMap<Address, Service>,
    stakes: BTreeMap<Address, Amount>,
    accounts: BTreeMap<(Address, Address), Account>,
    pub(crate) batches: BTreeMap<u64, crate::batch::Batch>,
    pub(crate) next_batch_id: u64,
    /// Per provider, how many of its batches are open or awaiting an opening (absent = 0).
    open_batches: BTreeMap<Address, u64>,
    totals: Totals,
}

impl Ledger {
    /// A fresh deployment; fails if the lock time is outside its range.
    pub fn new(config: LedgerConfig) -> Result<Ledger, LedgerError> {
        check_lock_time(&config.limits, config.lock_time_secs)?;
        Ok(Ledger {
            config,
            ledgers: BTreeMap::new(),
            services: BTreeMap::new(),
            stakes: BTreeMap::new(),
            accounts: BTreeMap::new(),
            batches: BTreeMap::new(),
            next_batch_id: 0,
            open_batches: BTreeMap::new(),
            totals: Totals::default(),
        })
    }

    /// The deployment's configuration (with the current lock time).
    pub fn config(&self) -> &LedgerConfig {
        &self.config
    }

    /// The current lock time in seconds.
    pub fn lock_time_secs(&self) -> u64 {
        self.config.lock_time_secs
    }

    /// A user's ledger.
    pub fn ledger(&self, user: &Address) -> Option<&LedgerBalance> {
        self.ledgers.get(user)
    }

    /// All ledgers.
    pub fn ledgers(&self) -> impl Iterator<Item = (&Address, &LedgerBalance)> {
        self.ledgers.iter()
    }

    /// A provider's service.
    pub fn service(&self, provider: &Address) -> Option<&Service> {
        self.services.get(provider)
    }

    /// A provider's stake.
    pub fn stake(&self, provider: &Address) -> Amount {
        self.stakes.get(provider).copied().unwrap_or_default()
    }

    /// The (user, provider) account if it exists.
    pub fn account(&self, user: &Address, provider: &Address) -> Option<&Account> {
        self.accounts.get(&(*user, *provider)).filter(|a| a.exists)
    }

    /// The account record even if soft-deleted (its nonce and generation survive).
    pub fn account_record(&self, user: &Address, provider: &Address) -> Option<&Account> {
        self.accounts.get(&(*user, *provider))
    }

    /// Every existing account.
    pub fn accounts(&self) -> impl Iterator<Item = &Account> {
        self.accounts.values().filter(|a| a.exists)
    }

    /// A committed compressed batch.
    pub fn batch(&self, id: u64) -> Option<&crate::batch::Batch> {
        self.batches.get(&id)
    }

    /// Every committed compressed batch, by id.
    pub fn batches(&self) -> impl Iterator<Item = &crate::batch::Batch> {
        self.batches.values()
    }

    /// How many of `provider`'s compressed batches are open to challenges or awaiting a
    /// forced opening. While any is, the provider can neither change its TEE signer nor remove
    /// its service (and take its stake back).
    pub fn open_batches(&self, provider: &Address) -> u64 {
        self.open_batches.get(provider).copied().unwrap_or(0)
    }

    /// Money that has crossed the boundary.
    pub fn totals(&self) -> Totals {
        self.totals
    }

    /// Checks every invariant: per-ledger `total = available + Σ account balances`, per-account
    /// `pending_refund = Σ refunds ≤ balance` and at most `max_refunds` refunds, conservation
    /// `deposited = Σ available + Σ balances + escrow + paid + withdrawn − slashed`, and
    /// `stake_in = Σ stakes + returned + slashed`. Returns the first violation.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut per_user: BTreeMap<Address, Wide> = BTreeMap::new();
        let mut balances = Wide::ZERO;
        for a in self.accounts.values() {
            if !a.exists {
                if !a.balance.is_zero() || !a.refunds.is_empty() {
                    return Err(format!("deleted account {:?} holds funds", a.user));
                }
                continue;
            }
            let refunds = Wide::sum(a.refunds.iter().map(|r| r.amount))?;
            if refunds != Wide::of(a.pending_refund) {
                return Err(format!("pending refund mismatch for {}", a.user));
            }
            if a.pending_refund > a.balance {
                return Err(format!("pending refund above balance for {}", a.user));
            }
            if a.refunds.len() > self.config.limits.max_refunds {
                return Err(format!("too many refunds for {}", a.user));
            }
            if a.refunds.iter().any(|r| r.amount.is_zero()) {
                return Err(format!("zero refund kept for {}", a.user));
            }
            if !self.ledgers.contains_key(&a.user) {
                return Err(format!("account of {} without a ledger", a.user));
            }
            let sub = per_user.entry(a.user).or_default();
            *sub = sub.plus(a.balance)?;
            balances = balances.plus(a.balance)?;
        }
        let mut available = Wide::ZERO;
        for (user, l) in &self.ledgers {
            let sub = per_user.get(user).copied().unwrap_or_default();
            if Wide::of(l.total) != sub.plus(l.available)? {
                return Err(format!("ledger total mismatch for {user}"));
            }
            available = available.plus(l.available)?;
        }
        let t = &self.totals;
        let out = available
            .plus_wide(balances)?
            .plus(t.escrowed)?
            .plus(t.paid_to_providers)?
            .plus(t.withdrawn)?;
        if Wide::of(t.deposited).plus(t.stake_slashed)? != out {
            return Err(format!(
                "funds not conserved: deposited {} + slashed {} != {:?}",
                t.deposited, t.stake_slashed, out
            ));
        }
        let stakes = Wide::sum(self.stakes.values().copied())?;
        if Wide::of(t.stake_in) != stakes.plus(t.stake_returned)?.plus(t.stake_slashed)? {
            return Err("stakes not conserved".into());
        }
        let escrow = Wide::sum(self.batches.values().map(|b| b.escrow))?;
        if escrow != Wide::of(t.escrowed) {
            return Err("escrow mismatch".into());
        }
        let mut open: BTreeMap<Address, u64> = BTreeMap::new();
        for b in self.batches.values() {
            if matches!(
                b.state,
                crate::batch::BatchState::Open | crate::batch::BatchState::AwaitingOpening
            ) {
                let n = open.entry(b.commitment.provider).or_default();
                *n = n.saturating_add(1);
            }
        }
        if open != self.open_batches {
            return Err("open-batch count mismatch".into());
        }
        Ok(())
    }

    /// Applies one call at `now`. On `Err` the state is exactly as before.
    pub fn apply(&mut self, now: Timestamp, call: &Call) -> Result<Outcome, LedgerError> {
        if !call.value.is_zero() && !call.op.payable() {
            return Err(LedgerError::NotPayable { value: call.value });
        }
        let saved_totals = self.totals;
        let saved_lock = self.config.lock_time_secs;
        let saved_batch_id = self.next_batch_id;
        let mut journal = Journal::default();
        let result = self.execute(now.as_secs(), call, &mut journal);
        if result.is_err() {
            for undo in journal.undo.into_iter().rev() {
                match undo {
                    Undo::Ledger(k, v) => restore(&mut self.ledgers, k, v),
                    Undo::Account(k, v) => restore(&mut self.accounts, k, v),
                    Undo::Service(k, v) => restore(&mut self.services, k, v),
                    Undo::Stake(k, v) => restore(&mut self.stakes, k, v),
                    Undo::Batch(k, v) => restore(&mut self.batches, k, v),
                    Undo::OpenBatches(k, v) => restore(&mut self.open_batches, k, v),
                }
            }
            self.totals = saved_totals;
            self.config.lock_time_secs = saved_lock;
            self.next_batch_id = saved_batch_id;
        }
        result
    }

    /// `previewSettlementResults`: each item judged against the current state, nothing written.
    pub fn preview_settlement(
        &self,
        provider: &Address,
        items: &[SettlementItem],
    ) -> Result<Vec<ItemResult>, LedgerError> {
        self.check_settlement_count(items.len())?;
        Ok(items
            .iter()
            .map(|item| match self.judge_item(provider, item) {
                Ok(_) => {
                    let balance = self
                        .account(&item.user, provider)
                        .map(|a| a.balance)
                        .unwrap_or_default();
                    let unsettled = item.total_fee.saturating_sub(balance);
                    ItemResult {
                        status: if unsettled.is_zero() {
                            SettlementStatus::Success
                        } else {
                            SettlementStatus::Partial
                        },
                        settled: Amount::ZERO,
                        unsettled,
                    }
                }
                Err(status) => ItemResult {
                    status,
                    settled: Amount::ZERO,
                    unsettled: item.total_fee,
                },
            })
            .collect())
    }

    fn check_settlement_count(&self, n: usize) -> Result<(), LedgerError> {
        if n == 0 {
            return Err(LedgerError::NoSettlementsProvided);
        }
        if n > self.config.limits.max_settlements {
            return Err(LedgerError::TooManySettlements {
                count: n,
                max: self.config.limits.max_settlements,
            });
        }
        Ok(())
    }

    /// The checks of `_processTEESettlement` before any write, in the contract's order.
    fn judge_item(&self, caller: &Address, item: &SettlementItem) -> Result<(), SettlementStatus> {
        if item.provider != *caller {
            return Err(SettlementStatus::ProviderMismatch);
        }
        let Some(account) = self.account(&item.user, caller) else {
            return Err(SettlementStatus::InvalidSignature);
        };
        let Some(service) = self.services.get(caller) else {
            return Err(SettlementStatus::ProviderMismatch);
        };
        if !account.acknowledged
            || !service.tee_signer_acknowledged
            || service.params.tee_signer.is_zero()
        {
            return Err(SettlementStatus::NoTeeSigner);
        }
        if account.nonce >= item.nonce {
            return Err(SettlementStatus::InvalidNonce);
        }
        if !item.verify(
            service.params.scheme,
            &self.config.domain,
            &service.params.tee_signer,
        ) {
            return Err(SettlementStatus::InvalidSignature);
        }
        Ok(())
    }

    // ----- journaled access -------------------------------------------------------------

    fn ledger_mut(
        &mut self,
        j: &mut Journal,
        user: Address,
    ) -> Result<&mut LedgerBalance, LedgerError> {
        j.undo
            .push(Undo::Ledger(user, self.ledgers.get(&user).cloned()));
        self.ledgers
            .get_mut(&user)
            .ok_or(LedgerError::LedgerNotExists { user })
    }

    fn ledger_insert(&mut self, j: &mut Journal, user: Address, l: LedgerBalance) {
        j.undo
            .push(Undo::Ledger(user, self.ledgers.get(&user).cloned()));
        self.ledgers.insert(user, l);
    }

    fn ledger_remove(&mut self, j: &mut Journal, user: Address) {
        j.undo.push(Undo::Ledger(user, self.ledgers.remove(&user)));
    }

    /// The account entry (existing or soft-deleted), journaled.
    fn record_mut(&mut self, j: &mut Journal, user: Address, provider: Address) -> &mut Account {
        let key = (user, provider);
        j.undo
            .push(Undo::Account(key, self.accounts.get(&key).cloned()));
        self.accounts
            .entry(key)
            .or_insert_with(|| Account::new(user, provider))
    }

    /// An existing account, journaled, or `AccountNotExists`.
    pub(crate) fn account_mut(
        &mut self,
        j: &mut Journal,
        user: Address,
        provider: Address,
    ) -> Result<&mut Account, LedgerError> {
        if self.account(&user, &provider).is_none() {
            return Err(LedgerError::AccountNotExists { user, provider });
        }
        Ok(self.record_mut(j, user, provider))
    }

    fn service_mut(
        &mut self,
        j: &mut Journal,
        provider: Address,
    ) -> Result<&mut Service, LedgerError> {
        j.undo.push(Undo::Service(
            provider,
            self.services.get(&provider).cloned(),
        ));
        self.services
            .get_mut(&provider)
            .ok_or(LedgerError::ServiceNotExist { provider })
    }

    fn set_stake(&mut self, j: &mut Journal, provider: Address, stake: Amount) {
        let old = if stake.is_zero() {
            self.stakes.remove(&provider)
        } else {
            self.stakes.insert(provider, stake)
        };
        j.undo.push(Undo::Stake(provider, old));
    }

    pub(crate) fn batch_mut(
        &mut self,
        j: &mut Journal,
        id: u64,
    ) -> Result<&mut crate::batch::Batch, LedgerError> {
        j.undo.push(Undo::Batch(id, self.batches.get(&id).cloned()));
        self.batches
            .get_mut(&id)
            .ok_or(LedgerError::BatchNotExists { id })
    }

    pub(crate) fn batch_insert(&mut self, j: &mut Journal, id: u64, batch: crate::batch::Batch) {
        j.undo.push(Undo::Batch(id, self.batches.insert(id, batch)));
    }

    /// One more (`opened`) or one fewer open batch of `provider`, journaled.
    pub(crate) fn count_open_batch(
        &mut self,
        j: &mut Journal,
        provider: Address,
        opened: bool,
    ) -> Result<(), LedgerError> {
        let old = self.open_batches.get(&provider).copied();
        let n = old.unwrap_or(0);
        let n = if opened {
            n.checked_add(1)
        } else {
            n.checked_sub(1)
        }
        .ok_or(LedgerError::Overflow)?;
        j.undo.push(Undo::OpenBatches(provider, old));
        if n == 0 {
            self.open_batches.remove(&provider);
        } else {
            self.open_batches.insert(provider, n);
        }
        Ok(())
    }

    /// Refuses a call that would change what an open batch of `provider` is judged by.
    fn no_open_batches(&self, provider: Address) -> Result<(), LedgerError> {
        let open = self.open_batches(&provider);
        if open != 0 {
            return Err(LedgerError::OpenBatches { provider, open });
        }
        Ok(())
    }

    pub(crate) fn totals_mut(&mut self) -> &mut Totals {
        &mut self.totals
    }

    pub(crate) fn domain(&self) -> &Domain {
        &self.config.domain
    }

    // ----- the contract functions -------------------------------------------------------

    fn execute(&mut self, now: u64, call: &Call, j: &mut Journal) -> Result<Outcome, LedgerError> {
        let sender = call.sender;
        let limits = self.config.limits;
        match &call.op {
            Op::AddLedger { additional_info } => {
                if call.value < limits.min_ledger_balance {
                    return Err(LedgerError::BelowMinimumDeposit {
                        required: limits.min_ledger_balance,
                        got: call.value,
                    });
                }
                check_info(&limits, additional_info)?;
                if self.ledgers.contains_key(&sender) {
                    return Err(LedgerError::LedgerExists { user: sender });
                }
                self.open_ledger(j, sender, call.value, additional_info.clone())?;
                Ok(Outcome::Done)
            }
            Op::DepositFund => {
                self.deposit(j, sender, call.value)?;
                Ok(Outcome::Done)
            }
            Op::DepositFundFor { recipient } => {
                if recipient.is_zero() {
                    return Err(LedgerError::InvalidAddress {
                        address: *recipient,
                    });
                }
                self.deposit(j, *recipient, call.value)?;
                Ok(Outcome::Done)
            }
            Op::Refund { amount } => self.withdraw(j, sender, *amount),
            Op::DeleteLedger => {
                let l = self
                    .ledgers
                    .get(&sender)
                    .ok_or(LedgerError::LedgerNotExists { user: sender })?;
                if !l.total.is_zero() {
                    return Err(LedgerError::FundsRemaining);
                }
                self.delete_ledger(j, sender);
                Ok(Outcome::Done)
            }
            Op::TransferFund { provider, amount } => {
                self.transfer(j, sender, *provider, *amount)?;
                Ok(Outcome::Done)
            }
            Op::RetrieveFund { providers } => {
                if providers.len() > limits.max_providers_per_retrieve {
                    return Err(LedgerError::TooManyProviders {
                        requested: providers.len(),
                        maximum: limits.max_providers_per_retrieve,
                    });
                }
                if !self.ledgers.contains_key(&sender) {
                    return Err(LedgerError::LedgerNotExists { user: sender });
                }
                let mut total = Amount::ZERO;
                for provider in providers {
                    if self.account(&sender, provider).is_some() {
                        total =
                            total.checked_add(self.process_refund(j, now, sender, *provider)?)?;
                        self.request_refund_all(j, now, sender, *provider)?;
                    }
                }
                Ok(Outcome::Retrieved { amount: total })
            }
            Op::ProcessRefund { provider } => {
                if !self.ledgers.contains_key(&sender) {
                    return Err(LedgerError::LedgerNotExists { user: sender });
                }
                let amount = self.process_refund(j, now, sender, *provider)?;
                Ok(Outcome::Retrieved { amount })
            }
            Op::RequestRefundAll { provider } => {
                self.request_refund_all(j, now, sender, *provider)?;
                Ok(Outcome::Done)
            }
            Op::AddOrUpdateService { params } => {
                self.add_or_update_service(j, now, sender, call.value, params)?;
                Ok(Outcome::Done)
            }
            Op::RemoveService => {
                if !self.services.contains_key(&sender) {
                    return Err(LedgerError::ServiceNotExist { provider: sender });
                }
                // The stake backs every open batch's penalty until the batch closes.
                self.no_open_batches(sender)?;
                j.undo
                    .push(Undo::Service(sender, self.services.remove(&sender)));
                let stake = self.stake(&sender);
                if !stake.is_zero() {
                    self.set_stake(j, sender, Amount::ZERO);
                    self.totals.stake_returned = self.totals.stake_returned.checked_add(stake)?;
                }
                Ok(Outcome::Paid { amount: stake })
            }
            Op::AcknowledgeTeeSignerByOwner { provider } => {
                self.only_owner(sender)?;
                self.service_mut(j, *provider)?.tee_signer_acknowledged = true;
                Ok(Outcome::Done)
            }
            Op::RevokeTeeSignerAcknowledgement { provider } => {
                self.only_owner(sender)?;
                self.service_mut(j, *provider)?.tee_signer_acknowledged = false;
                Ok(Outcome::Done)
            }
            Op::AcknowledgeTeeSigner {
                provider,
                acknowledged,
            } => {
                let account = self.account_mut(j, sender, *provider)?;
                if account.acknowledged && !*acknowledged && !account.balance.is_zero() {
                    return Err(LedgerError::CannotRevokeWithNonZeroBalance {
                        user: sender,
                        provider: *provider,
                        balance: account.balance,
                    });
                }
                account.acknowledged = *acknowledged;
                Ok(Outcome::Done)
            }
            Op::RevokeToken { provider, token_id } => {
                let account = self.account_mut(j, sender, *provider)?;
                set_bit(&mut account.revoked_bitmap, *token_id);
                Ok(Outcome::Done)
            }
            Op::RevokeTokens {
                provider,
                token_ids,
            } => {
                let account = self.account_mut(j, sender, *provider)?;
                for id in token_ids {
                    set_bit(&mut account.revoked_bitmap, *id);
                }
                Ok(Outcome::Done)
            }
            Op::RevokeAllTokens { provider } => {
                let account = self.account_mut(j, sender, *provider)?;
                account.generation = account
                    .generation
                    .checked_add(1)
                    .ok_or(LedgerError::Overflow)?;
                account.revoked_bitmap = [0; 4];
                Ok(Outcome::Generation {
                    generation: account.generation,
                })
            }
            Op::UpdateLockTime { lock_time_secs } => {
                self.only_owner(sender)?;
                check_lock_time(&limits, *lock_time_secs)?;
                self.config.lock_time_secs = *lock_time_secs;
                Ok(Outcome::Done)
            }
            Op::SettleFees { items } => self.settle_fees(j, sender, items),
            Op::PreviewSettlement { items } => Ok(Outcome::Settled {
                results: self.preview_settlement(&sender, items)?,
                paid: Amount::ZERO,
            }),
            Op::Batch(op) => crate::batch::execute(self, j, now, sender, op).map(Outcome::Batch),
        }
    }

    fn only_owner(&self, caller: Address) -> Result<(), LedgerError> {
        if caller != self.config.owner {
            return Err(LedgerError::NotOwner { caller });
        }
        Ok(())
    }

    fn open_ledger(
        &mut self,
        j: &mut Journal,
        user: Address,
        value: Amount,
        additional_info: String,
    ) -> Result<(), LedgerError> {
        self.totals.deposited = self.totals.deposited.checked_add(value)?;
        self.ledger_insert(
            j,
            user,
            LedgerBalance {
                available: value,
                total: value,
                additional_info,
            },
        );
        Ok(())
    }

    /// `_depositFundInternal`.
    fn deposit(
        &mut self,
        j: &mut Journal,
        user: Address,
        value: Amount,
    ) -> Result<(), LedgerError> {
        if value.is_zero() {
            return Err(LedgerError::ZeroDeposit);
        }
        if !self.ledgers.contains_key(&user) {
            let min = self.config.limits.min_ledger_balance;
            if value < min {
                return Err(LedgerError::BelowMinimumDeposit {
                    required: min,
                    got: value,
                });
            }
            return self.open_ledger(j, user, value, String::new());
        }
        self.totals.deposited = self.totals.deposited.checked_add(value)?;
        let l = self.ledger_mut(j, user)?;
        l.available = l.available.checked_add(value)?;
        l.total = l.total.checked_add(value)?;
        Ok(())
    }

    /// `LedgerManager.refund(amount)`.
    fn withdraw(
        &mut self,
        j: &mut Journal,
        user: Address,
        amount: Amount,
    ) -> Result<Outcome, LedgerError> {
        let min = self.config.limits.min_ledger_balance;
        let l = self.ledger_mut(j, user)?;
        if l.available < amount {
            return Err(LedgerError::InsufficientBalance { user });
        }
        let remaining = l.available.checked_sub(amount)?;
        if !remaining.is_zero() && remaining < min {
            return Err(LedgerError::MustKeepMinimum {
                minimum: min,
                remaining,
            });
        }
        l.available = remaining;
        l.total = l.total.checked_sub(amount)?;
        let emptied = l.total.is_zero();
        self.totals.withdrawn = self.totals.withdrawn.checked_add(amount)?;
        if emptied {
            self.delete_ledger(j, user);
        }
        Ok(Outcome::Paid { amount })
    }

    /// `_deleteAllServiceAccounts` + ledger removal. Accounts keep nonce and generation.
    fn delete_ledger(&mut self, j: &mut Journal, user: Address) {
        let keys: Vec<(Address, Address)> = self
            .accounts
            .range((user, Address::ZERO)..=(user, Address([0xff; 20])))
            .filter(|(_, a)| a.exists)
            .map(|(k, _)| *k)
            .collect();
        for (u, p) in keys {
            let a = self.record_mut(j, u, p);
            a.exists = false;
            a.balance = Amount::ZERO;
            a.pending_refund = Amount::ZERO;
            a.acknowledged = false;
            a.refunds.clear();
            a.revoked_bitmap = [0; 4];
            a.additional_info.clear();
        }
        self.ledger_remove(j, user);
    }

    /// `LedgerManager.transferFund` with `depositFund`/`addAccount` of the serving contract.
    fn transfer(
        &mut self,
        j: &mut Journal,
        user: Address,
        provider: Address,
        amount: Amount,
    ) -> Result<(), LedgerError> {
        let Some(ledger) = self.ledgers.get(&user) else {
            return Err(LedgerError::LedgerNotExists { user });
        };
        let available = ledger.available;
        let info = ledger.additional_info.clone();
        if let Some(account) = self.account(&user, &provider) {
            // Cancel pending refunds first: that part of `amount` is already in the account.
            let cancel = amount.min(account.pending_refund);
            let transfer = amount.checked_sub(cancel)?;
            if available < transfer {
                return Err(LedgerError::InsufficientAvailable {
                    available,
                    needed: transfer,
                });
            }
            let l = self.ledger_mut(j, user)?;
            l.available = l.available.checked_sub(transfer)?;
            let a = self.account_mut(j, user, provider)?;
            if !cancel.is_zero() {
                cancel_refunds_lifo(a, cancel)?;
            }
            a.balance = a.balance.checked_add(transfer)?;
            // `depositFund` acknowledges the provider if the user had not.
            a.acknowledged = true;
            return Ok(());
        }
        let min = self.config.limits.min_first_transfer;
        if amount < min {
            return Err(LedgerError::BelowMinimumTransfer {
                required: min,
                got: amount,
            });
        }
        if available < amount {
            return Err(LedgerError::InsufficientAvailable {
                available,
                needed: amount,
            });
        }
        if user.is_zero() || provider.is_zero() {
            return Err(LedgerError::InvalidAddress {
                address: if user.is_zero() { user } else { provider },
            });
        }
        if user == provider {
            return Err(LedgerError::ProviderCannotBeUser);
        }
        let l = self.ledger_mut(j, user)?;
        l.available = l.available.checked_sub(amount)?;
        // `addAccount` on the (possibly soft-deleted) record: nonce and generation survive.
        let a = self.record_mut(j, user, provider);
        a.exists = true;
        a.balance = amount;
        a.pending_refund = Amount::ZERO;
        a.refunds.clear();
        a.acknowledged = true;
        a.additional_info = info;
        Ok(())
    }

    /// `AccountLibrary.processRefund`: matured refunds leave the account for the ledger.
    fn process_refund(
        &mut self,
        j: &mut Journal,
        now: u64,
        user: Address,
        provider: Address,
    ) -> Result<Amount, LedgerError> {
        let lock = self.config.lock_time_secs;
        let a = self.account_mut(j, user, provider)?;
        let mut released = Amount::ZERO;
        let mut kept = Amount::ZERO;
        let mut err = None;
        a.refunds.retain(|r| {
            let matured = now >= r.created_at.saturating_add(lock);
            let sum = if matured { &mut released } else { &mut kept };
            match sum.checked_add(r.amount) {
                Ok(s) => *sum = s,
                Err(e) => err = Some(e),
            }
            !matured
        });
        if let Some(e) = err {
            return Err(e.into());
        }
        a.balance = a.balance.checked_sub(released)?;
        a.pending_refund = kept;
        if !released.is_zero() {
            let l = self.ledger_mut(j, user)?;
            l.available = l.available.checked_add(released)?;
        }
        Ok(released)
    }

    /// `AccountLibrary.requestRefundAll`.
    fn request_refund_all(
        &mut self,
        j: &mut Journal,
        now: u64,
        user: Address,
        provider: Address,
    ) -> Result<(), LedgerError> {
        let max = self.config.limits.max_refunds;
        let a = self.account_mut(j, user, provider)?;
        let amount = a.balance.checked_sub(a.pending_refund)?;
        if amount.is_zero() {
            return Ok(());
        }
        if a.refunds.len() >= max {
            return Err(LedgerError::TooManyRefunds { user, provider });
        }
        a.refunds.push(Refund {
            amount,
            created_at: now,
        });
        a.pending_refund = a.pending_refund.checked_add(amount)?;
        Ok(())
    }

    fn add_or_update_service(
        &mut self,
        j: &mut Journal,
        now: u64,
        provider: Address,
        value: Amount,
        params: &ServiceParams,
    ) -> Result<(), LedgerError> {
        let limits = self.config.limits;
        let stake = self.stake(&provider);
        if !stake.is_zero() {
            if !value.is_zero() {
                return Err(LedgerError::CannotAddStakeWhenUpdating);
            }
        } else {
            if value < limits.min_provider_stake {
                return Err(LedgerError::InsufficientStake {
                    provided: value,
                    required: limits.min_provider_stake,
                });
            }
            self.set_stake(j, provider, value);
            self.totals.stake_in = self.totals.stake_in.checked_add(value)?;
        }
        check_info(&limits, &params.additional_info)?;
        if let Some(old) = self.services.get(&provider)
            && old.params.tee_signer != params.tee_signer
        {
            // An open batch's equivocation proofs name the signer of its receipts.
            self.no_open_batches(provider)?;
        }
        if let Ok(service) = self.service_mut(j, provider) {
            let old = &service.params;
            let critical = old.service_type != params.service_type
                || old.model != params.model
                || old.verifiability != params.verifiability
                || old.tee_signer != params.tee_signer
                || old.additional_info != params.additional_info
                || old.scheme != params.scheme;
            service.params = params.clone();
            service.updated_at = now;
            if critical {
                service.tee_signer_acknowledged = false;
            }
        } else {
            self.services.insert(
                provider,
                Service {
                    provider,
                    params: params.clone(),
                    updated_at: now,
                    tee_signer_acknowledged: false,
                },
            );
        }
        Ok(())
    }

    /// `settleFeesWithTEE`.
    fn settle_fees(
        &mut self,
        j: &mut Journal,
        provider: Address,
        items: &[SettlementItem],
    ) -> Result<Outcome, LedgerError> {
        self.check_settlement_count(items.len())?;
        let mut results = Vec::with_capacity(items.len());
        let mut paid = Amount::ZERO;
        for item in items {
            if let Err(status) = self.judge_item(&provider, item) {
                results.push(ItemResult {
                    status,
                    settled: Amount::ZERO,
                    unsettled: item.total_fee,
                });
                continue;
            }
            let a = self.account_mut(j, item.user, provider)?;
            a.nonce = item.nonce;
            let to_settle = item.total_fee.min(a.balance);
            let unsettled = item.total_fee.checked_sub(to_settle)?;
            if !to_settle.is_zero() {
                self.charge(j, item.user, provider, to_settle)?;
                paid = paid.checked_add(to_settle)?;
            }
            results.push(ItemResult {
                status: if unsettled.is_zero() {
                    SettlementStatus::Success
                } else {
                    SettlementStatus::Partial
                },
                settled: to_settle,
                unsettled,
            });
        }
        self.totals.paid_to_providers = self.totals.paid_to_providers.checked_add(paid)?;
        Ok(Outcome::Settled { results, paid })
    }

    /// `_settleFees` + `spendFund`: takes `amount ≤ balance` out of the account and the user's
    /// ledger total, cancelling pending refunds most-recent-first when the unreserved balance
    /// does not cover it. The caller books where the money goes.
    pub(crate) fn charge(
        &mut self,
        j: &mut Journal,
        user: Address,
        provider: Address,
        amount: Amount,
    ) -> Result<(), LedgerError> {
        let a = self.account_mut(j, user, provider)?;
        let free = a.balance.checked_sub(a.pending_refund)?;
        if amount > free {
            cancel_refunds_lifo(a, amount.checked_sub(free)?)?;
        }
        a.balance = a.balance.checked_sub(amount)?;
        let l = self.ledger_mut(j, user)?;
        // `spendFund`: require(totalBalance - availableBalance >= amount).
        if l.total.checked_sub(l.available)? < amount {
            return Err(LedgerError::Overflow);
        }
        l.total = l.total.checked_sub(amount)?;
        Ok(())
    }

    /// Returns `amount` to a user (a voided compressed batch, a slashed stake): into the
    /// (user, provider) account if it exists, else into the user's ledger, else straight to the
    /// user's wallet (booked as withdrawn).
    pub(crate) fn credit(
        &mut self,
        j: &mut Journal,
        user: Address,
        provider: Address,
        amount: Amount,
    ) -> Result<(), LedgerError> {
        if amount.is_zero() {
            return Ok(());
        }
        if self.account(&user, &provider).is_some() {
            let a = self.account_mut(j, user, provider)?;
            a.balance = a.balance.checked_add(amount)?;
            let l = self.ledger_mut(j, user)?;
            l.total = l.total.checked_add(amount)?;
        } else if self.ledgers.contains_key(&user) {
            let l = self.ledger_mut(j, user)?;
            l.available = l.available.checked_add(amount)?;
            l.total = l.total.checked_add(amount)?;
        } else {
            self.totals.withdrawn = self.totals.withdrawn.checked_add(amount)?;
        }
        Ok(())
    }

    /// Moves up to `amount` of a provider's stake to a user (a successful challenge); returns
    /// what moved.
    pub(crate) fn slash_to(
        &mut self,
        j: &mut Journal,
        provider: Address,
        user: Address,
        amount: Amount,
    ) -> Result<Amount, LedgerError> {
        let amount = amount.min(self.stake(&provider));
        if amount.is_zero() {
            return Ok(amount);
        }
        let left = self.stake(&provider).checked_sub(amount)?;
        self.set_stake(j, provider, left);
        self.totals.stake_slashed = self.totals.stake_slashed.checked_add(amount)?;
        self.credit(j, user, provider, amount)?;
        Ok(amount)
    }
}

/// A sum of amounts that cannot overflow: `carries × 2¹²⁸ + low`, for the invariant checks
/// (whose sides may exceed `u128` together even when every balance fits).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
struct Wide {
    carries: u64,
    low: u128,
}

impl Wide {
    const ZERO: Wide = Wide { carries: 0, low: 0 };

    fn of(a: Amount) -> Wide {
        Wide {
            carries: 0,
            low: a.units(),
        }
    }

    fn plus(self, a: Amount) -> Result<Wide, String> {
        self.plus_wide(Wide::of(a))
    }

    fn plus_wide(self, w: Wide) -> Result<Wide, String> {
        let (low, carry) = self.low.overflowing_add(w.low);
        let carries = self
            .carries
            .checked_add(w.carries)
            .and_then(|c| c.checked_add(u64::from(carry)))
            .ok_or_else(|| "sum beyond 2^192".to_string())?;
        Ok(Wide { carries, low })
    }

    fn sum(mut amounts: impl Iterator<Item = Amount>) -> Result<Wide, String> {
        amounts.try_fold(Wide::ZERO, |acc, a| acc.plus(a))
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

fn check_lock_time(limits: &Limits, lock_time: u64) -> Result<(), LedgerError> {
    if lock_time < limits.min_lock_time || lock_time > limits.max_lock_time {
        return Err(LedgerError::LockTimeOutOfRange {
            lock_time,
            min: limits.min_lock_time,
            max: limits.max_lock_time,
        });
    }
    Ok(())
}

fn check_info(limits: &Limits, info: &str) -> Result<(), LedgerError> {
    if info.len() > limits.max_additional_info {
        return Err(LedgerError::AdditionalInfoTooLong { len: info.len() });
    }
    Ok(())
}

fn set_bit(bitmap: &mut [u64; 4], id: u8) {
    bitmap[usize::from(id / 64)] |= 1u64 << (id % 64);
}

/// Cancels `amount` of pending refunds, most recent first (`depositFund` and `_settleFees` of
/// the contract). `amount ≤ pending_refund` is the caller's to ensure.
fn cancel_refunds_lifo(a: &mut Account, amount: Amount) -> Result<(), LedgerError> {
    if amount > a.pending_refund {
        return Err(LedgerError::Overflow);
    }
    let mut remaining = amount;
    while !remaining.is_zero() {
        let Some(last) = a.refunds.last_mut() else {
            return Err(LedgerError::Overflow);
        };
        if last.amount <= remaining {
            remaining = remaining.checked_sub(last.amount)?;
            a.refunds.pop();
        } else {
            last.amount = last.amount.checked_sub(remaining)?;
            remaining = Amount::ZERO;
        }
    }
    a.pending_refund = a.pending_refund.checked_sub(amount)?;
    Ok(())
}
