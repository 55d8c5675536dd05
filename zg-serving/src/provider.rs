//! The provider broker: admits requests, bills them, and settles the bills on chain.
//!
//! It follows the live provider broker (0g-serving-broker `request.go`, `settlement_tee.go`,
//! `const.go`):
//!
//! * **Admission** (`validateBalanceAdequacy`): a request is served when the session token is
//!   valid, the user and the owner acknowledge the TEE signer, and
//!   `balance − pendingRefund ≥ unsettled fees + inputTokens × inputPrice + outputPrice × 10⁶`
//!   (the output reservation). The account is read from the chain when the cached view is older
//!   than [`ProviderConfig::view_ttl_ms`].
//! * **Billing**: `fee = inputTokens × inputPrice + outputTokens × outputPrice`; each served
//!   request gets a receipt with the next `seq`, signed by the TEE key and persisted.
//! * **Triggers**, evaluated every [`ProviderConfig::check_interval_ms`] over users with
//!   unsettled fees: `lockBalance − unsettled < (inputPrice + outputPrice) × 10⁶` (threshold), or
//!   the last balance check is older than `lockTime − buffer` (a refund requested after it could
//!   mature before the next check); and every [`ProviderConfig::force_interval_ms`]
//!   unconditionally. A round re-reads the accounts, previews, then settles (as the live broker
//!   does, a round settles every user with unsettled fees, up to 50 per transaction).
//! * **requestsHash** per user as [`crate::settlement::requests_hash`]; the nonce is
//!   `max(now_secs × 10⁷, last + 1)` (the live broker's `unix × 10⁷`, made strictly increasing).
//! * **Statuses**: SUCCESS removes the receipts; PARTIAL (seen in the preview) re-signs a prefix
//!   of the receipts that fits the balance and skips the user for
//!   [`ProviderConfig::skip_ms`]; NO_TEE_SIGNER drops the user's receipts (permanent);
//!   PROVIDER_MISMATCH, INVALID_NONCE, INVALID_SIGNATURE keep them for the next round.
//! * **Lost replies.** A round whose read, preview or `settleFees` reply has not come back
//!   within [`ProviderConfig::check_interval_ms`] is given up. A settlement that landed anyway
//!   is learned from the next account view: the account's nonce has reached the settlement's,
//!   and the growth of `charged` since it was signed says which receipts it paid. Until then
//!   every settlement for that user is signed under the same pending nonce, so at most one of
//!   them can land and no receipt is paid twice (the pending nonce is persisted). Requests
//!   parked on an account read that was lost are read again at the next check.
//!
//! # Compressed settlement ([`SettlementMode::Batch`])
//!
//! With [`ProviderConfig::settlement`] set to [`SettlementMode::Batch`] the same triggers settle
//! through [`crate::batch`] instead of `settleFeesWithTEE` (spec: that module's docs):
//!
//! 1. **Commit.** A round re-reads the accounts, then for each user takes the longest prefix of
//!    its unsettled receipts whose fees fit the account's balance (a shorter prefix skips the
//!    user for [`ProviderConfig::skip_ms`], as PARTIAL does), builds their [`BatchTree`], signs
//!    the [`BatchCommitment`] with the TEE key (next nonce) and sends [`BatchOp::Commit`], one
//!    transaction per user. A rejected commit keeps the receipts for the next round.
//! 2. **Open.** On `Committed` the receipts move into the batch (persisted as
//!    [`Record::BatchCommitted`]), the opening goes to the user ([`Message::BatchOpening`]), and
//!    a `Finalize(id)` timer is set at the window's end. [`Message::OpeningRequest`] from the
//!    user's node is answered with the opening again.
//! 3. **Watch.** Every `Check` the broker re-reads the accounts with open batches
//!    ([`AccountInfo::batches`]): a batch awaiting a forced opening gets
//!    [`BatchOp::PostOpening`] with its receipts; a reopened window moves the timer; a batch
//!    the view shows closed is booked closed. A batch on chain that this broker does not know
//!    but whose commitment its unsettled receipts rebuild (a commit whose result was lost, or
//!    a crash before it was persisted) is adopted.
//! 4. **Finalize.** At the window's end the broker sends [`BatchOp::Finalize`]; the escrow is
//!    paid ([`Record::BatchClosed`]). Nothing depends on the user being online.
//!
//! Driving: messages from users and the chain, [`Command::Served`] answers to
//! [`Request::Serve`], [`Command::SettleNow`]; timers `Check` and `Force` are scheduled at
//! construction, `Finalize(id)` per committed batch. Persisted: every receipt, every settled
//! prefix, every nonce, every committed and closed batch; [`ProviderBroker::restore`] rebuilds
//! from them (and re-arms the `Finalize` timers).

use std::collections::{BTreeMap, BTreeSet};

use zg_core::machine::{Input, Machine, Outbox, Output};
use zg_core::{Amount, H256, NodeId, Timestamp};

use crate::batch::{
    BatchCommitment, BatchOp, BatchOutcome, BatchState, BatchTree, Receipt, SignedReceipt, fee,
};
use crate::eip712::{Domain, SignatureScheme, TeeSettlement};
use crate::eth::{Address, SecretKey, U256};
use crate::ledger::{Call, Op, Outcome};
use crate::protocol::{
    AccountInfo, BatchInfo, Command, Event, Message, Record, Refusal, Request, Serving, Timer,
    Trigger,
};
use crate::session::SignedToken;
use crate::settlement::{RequestRecord, SettlementItem, SettlementStatus, requests_hash};
use crate::{Error, LedgerError};

/// How a provider broker settles its receipts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SettlementMode {
    /// `settleFeesWithTEE`, as the live broker does: one signature per (user, round), paid at
    /// once.
    #[default]
    Live,
    /// Compressed batches ([`crate::batch`]): one signed Merkle-sum commitment per (user,
    /// round), paid after the challenge window.
    Batch,
}

/// Configuration of a provider broker.
#[derive(Clone, Debug)]
pub struct ProviderConfig {
    /// How receipts are settled (one service per broker, so this is the per-service choice).
    pub settlement: SettlementMode,
    /// The provider's address.
    pub provider: Address,
    /// The TEE signer key (receipts and settlements).
    pub tee_key: SecretKey,
    /// The chain node.
    pub chain: NodeId,
    /// The contract's EIP-712 domain.
    pub domain: Domain,
    /// The service's settlement scheme.
    pub scheme: SignatureScheme,
    /// Price per input token.
    pub input_price: Amount,
    /// Price per output token.
    pub output_price: Amount,
    /// The contract's lock time, seconds.
    pub lock_time_secs: u64,
    /// `SettleTriggerThreshold` factor (10⁶).
    pub settle_trigger_factor: u128,
    /// `ResponseFeeReservationFactor` (10⁶).
    pub output_reservation_factor: u128,
    /// How long before a possible refund matures to settle (`autoSettleBufferTime`), ms.
    pub risk_buffer_ms: u64,
    /// Trigger evaluation period (`settlementProcessor`, 600 s), ms.
    pub check_interval_ms: u64,
    /// Unconditional settlement period (`forceSettlementProcessor`, 24 h), ms.
    pub force_interval_ms: u64,
    /// How long a PARTIAL user is skipped (`SkipUntilDuration`, 1 h), ms.
    pub skip_ms: u64,
    /// How long a read account is trusted for admission, ms.
    pub view_ttl_ms: u64,
}

impl ProviderConfig {
    /// The live broker's defaults around the given identity and prices.
    #[allow(clippy::too_many_arguments)] // an identity, its keys and its prices; no natural grouping
    pub fn new(
        provider: Address,
        tee_key: SecretKey,
        chain: NodeId,
        domain: Domain,
        scheme: SignatureScheme,
        input_price: Amount,
        output_price: Amount,
        lock_time_secs: u64,
    ) -> ProviderConfig {
        ProviderConfig {
            settlement: SettlementMode::Live,
            provider,
            tee_key,
            chain,
            domain,
            scheme,
            input_price,
            output_price,
            lock_time_secs,
            settle_trigger_factor: 1_000_000,
            output_reservation_factor: 1_000_000,
            risk_buffer_ms: 20 * 60 * 1000,
            check_interval_ms: 10 * 60 * 1000,
            force_interval_ms: 24 * 3600 * 1000,
            skip_ms: 3600 * 1000,
            view_ttl_ms: 60 * 1000,
        }
    }
}

#[derive(Clone, Debug)]
struct Pending {
    node: NodeId,
    request_id: u64,
    token: SignedToken,
    input_tokens: u64,
    max_output_tokens: u64,
}

#[derive(Debug, Default)]
struct Customer {
    node: NodeId,
    info: Option<AccountInfo>,
    viewed_at: Timestamp,
    querying: bool,
    /// When the outstanding read was sent (admission path).
    queried_at: Timestamp,
    receipts: Vec<Receipt>,
    next_seq: u64,
    skip_until: Timestamp,
    parked: Vec<Pending>,
    serving: BTreeMap<u64, (u64, H256)>,
    /// Hashes of the latest [`SEEN_REQUESTS`] requests, oldest first, so a request delivered
    /// twice is served (and billed) once.
    seen: BTreeSet<H256>,
    seen_order: std::collections::VecDeque<H256>,
    /// Live mode: the nonce every settlement for this user is signed under until the chain shows
    /// it consumed, and what the chain had charged the user before it. At most one transaction
    /// under one nonce can land, so a settlement whose result was lost is never paid twice.
    pending: Option<(U256, Amount)>,
}

/// How many recent request hashes a customer's duplicate filter remembers.
const SEEN_REQUESTS: usize = 4096;

impl Customer {
    /// Records a request hash; `false` if it was already seen.
    fn first_sight(&mut self, request_hash: H256) -> bool {
        if !self.seen.insert(request_hash) {
            return false;
        }
        self.seen_order.push_back(request_hash);
        if self.seen_order.len() > SEEN_REQUESTS
            && let Some(old) = self.seen_order.pop_front()
        {
            self.seen.remove(&old);
        }
        true
    }

    fn unsettled(&self) -> Amount {
        Amount::checked_sum(self.receipts.iter().map(|r| r.fee)).unwrap_or(Amount::MAX)
    }

    fn lock_balance(&self) -> Amount {
        self.info
            .as_ref()
            .and_then(|i| i.account.as_ref())
            .map(|a| a.locked_balance())
            .unwrap_or_default()
    }
}

#[derive(Clone, Debug)]
struct Plan {
    user: Address,
    count: usize,
    item: SettlementItem,
}

#[derive(Debug)]
enum Round {
    Idle,
    Syncing(BTreeSet<Address>),
    Previewing(u64, Vec<Plan>),
    Settling(u64, Vec<Plan>),
    /// Batch mode: one commit transaction per user in flight, by transaction id.
    Committing(BTreeMap<u64, (Address, BatchCommitment)>),
}

impl Round {
    /// Committing the batches still in flight, or idle when none is.
    fn committing(plans: BTreeMap<u64, (Address, BatchCommitment)>) -> Round {
        if plans.is_empty() {
            Round::Idle
        } else {
            Round::Committing(plans)
        }
    }
}

/// A batch this broker committed and has not seen closed.
#[derive(Clone, Debug)]
struct Committed {
    user: Address,
    commitment: BatchCommitment,
    receipts: Vec<Receipt>,
    escrow: Amount,
    /// As last known: the chain's state and deadline (seconds).
    state: BatchState,
    deadline: u64,
    /// When a `Finalize` or `PostOpening` transaction was sent, until its result comes back
    /// (one unanswered for a check interval counts as lost and is sent again).
    busy_since: Option<Timestamp>,
}

/// Whether no transaction of batch `b` is in flight (or the one sent counts as lost).
fn idle(b: &Committed, now: Timestamp, patience_ms: u64) -> bool {
    b.busy_since
        .is_none_or(|t| now.saturating_since(t).as_millis() >= u128::from(patience_ms))
}

/// A batch transaction in flight (other than commits).
#[derive(Clone, Copy, Debug)]
enum BatchTx {
    Finalize(u64),
    Post(u64),
}

/// The provider broker. See the [module docs](self).
///
/// # Driving contract
///
/// * Inputs: [`Message::Inference`], [`Message::OpeningRequest`] from users' nodes;
///   [`Message::AccountInfo`] and [`Message::TxResult`] from the configured chain node only
///   (`ProviderConfig::chain`); [`Command::Served`] answering each [`Request::Serve`], and
///   [`Command::SettleNow`]; the timers it scheduled ([`Timer::Check`], [`Timer::Force`],
///   [`Timer::Finalize`]), stale ones included (they are ignored).
/// * Outputs, drained in order after construction and after every input: `Persist` (every
///   receipt before it is sent, every settled prefix, nonce, committed and closed batch — make
///   each durable before carrying out later outputs, so a restart never bills twice or reuses
///   a nonce), `Send` (answers and receipts to users, queries and transactions to the chain),
///   `Request` ([`Request::Serve`]: run the model, answer with [`Command::Served`]),
///   `ScheduleTimeout`, and `Event`s for the operator.
/// * Restart: [`ProviderBroker::restore`] with the same config and every record, in order; it
///   re-arms its timers and learns what happened while it was down from the next account
///   views (a settlement that landed anyway is recognised by the account's nonce).
/// * It is never done: it serves and settles while the host runs it; an operator that stops
///   sends [`Command::SettleNow`] first and keeps running until the round's
///   [`Event::Settled`] (or, in batch mode, until each batch's [`Event::BatchFinalized`]).
///
/// ```
/// use core::time::Duration;
/// use zg_core::machine::Machine;
/// use zg_core::sim::{Fault, SimConfig, Simulation};
/// use zg_core::{Amount, NodeId, Timestamp};
/// use zg_serving::eip712::{Domain, SignatureScheme};
/// use zg_serving::eth::{Address, SecretKey, U256};
/// use zg_serving::ledger::{Call, Ledger, LedgerConfig, Limits, Op, ServiceParams, TOKEN};
/// use zg_serving::protocol::{Command, Event, LedgerNode, Record, Request, Serving};
/// use zg_serving::provider::{ProviderBroker, ProviderConfig};
/// use zg_serving::settlement::SettlementStatus;
/// use zg_serving::user::{UserBroker, UserConfig};
///
/// let (chain, provider_node, user_node) = (NodeId(0), NodeId(1), NodeId(2));
/// let (owner, provider) = (Address([0xee; 20]), Address([0x22; 20]));
/// let (tee, user) = (SecretKey::from_seed(b"provider tee"), SecretKey::from_seed(b"user"));
/// let domain = Domain::new(U256::from(16601u64), Address([0xcc; 20]));
/// let (input_price, output_price, lock) = (Amount::new(1_000), Amount::new(2_000), 7_200);
///
/// // Genesis: the provider's service with its TEE signer acknowledged, and a funded user.
/// let config = LedgerConfig { owner, domain, lock_time_secs: lock, limits: Limits::default() };
/// let mut ledger = Ledger::new(config)?;
/// let params = ServiceParams {
///     input_price,
///     output_price,
///     tee_signer: tee.address(),
///     scheme: SignatureScheme::Eip712,
///     ..ServiceParams::default()
/// };
/// let five = Amount::new(5 * TOKEN);
/// for call in [
///     Call::new(provider, Op::AddOrUpdateService { params }).with_value(Amount::new(100 * TOKEN)),
///     Call::new(owner, Op::AcknowledgeTeeSignerByOwner { provider }),
///     Call::new(user.address(), Op::DepositFund).with_value(five),
///     Call::new(user.address(), Op::TransferFund { provider, amount: five }),
/// ] {
///     ledger.apply(Timestamp::ZERO, &call)?;
/// }
/// let provider_config = ProviderConfig::new(
///     provider, tee.clone(), chain, domain, SignatureScheme::Eip712, input_price, output_price, lock,
/// );
/// let user_config = UserConfig {
///     key: user,
///     provider,
///     provider_node,
///     chain,
///     tee_signer: tee.address(),
///     input_price,
///     output_price,
///     lock_time_secs: lock,
///     token_lifetime_ms: 3_600_000,
///     poll_interval_ms: 300_000,
///     idle_refund_ms: None,
///     opening_patience_ms: 1_800_000,
/// };
///
/// // The chain, the provider and the user in the deterministic simulator: it carries out every
/// // output in order (records before what follows them) and restarts from the records.
/// let mut sim: Simulation<Serving> = Simulation::new(SimConfig::default(), 3, move |id, now, records| {
///     let node: Box<dyn Machine<Serving>> = match id.0 {
///         0 => Box::new(LedgerNode::new(ledger.clone())),
///         1 => Box::new(ProviderBroker::restore(provider_config.clone(), now, records)),
///         _ => Box::new(UserBroker::restore(user_config.clone(), now, records)),
///     };
///     node
/// });
/// // The provider's host runs the model: every answer has 100 output tokens, after 200 ms.
/// sim.set_host(|_, _, Request::Serve { user, request_id, .. }, _| {
///     vec![(Duration::from_millis(200), Command::Served { user, request_id, output_tokens: 100 })]
/// });
/// let ask = Command::Ask { input_tokens: 50, max_output_tokens: 200 };
/// for s in 1..=3 {
///     sim.inject(Timestamp::from_secs(s), user_node, ask.clone());
/// }
/// // The provider crashes and comes back from its records, then settles.
/// sim.schedule(Timestamp::from_secs(30), Fault::Crash(provider_node));
/// sim.schedule(Timestamp::from_secs(40), Fault::Restart(provider_node));
/// sim.inject(Timestamp::from_secs(60), provider_node, Command::SettleNow);
/// sim.run_until(Timestamp::from_secs(600));
///
/// let fee = Amount::new(50 * 1_000 + 100 * 2_000);
/// let receipts = sim.persisted(provider_node).iter().filter(|r| matches!(r, Record::Receipt { .. }));
/// assert_eq!(receipts.count(), 3, "every receipt was persisted");
/// let settled: Vec<_> = sim
///     .events()
///     .iter()
///     .filter_map(|(_, node, e)| match e {
///         Event::Settled { status, settled, .. } if *node == provider_node => Some((*status, *settled)),
///         _ => None,
///     })
///     .collect();
/// assert_eq!(settled, [(SettlementStatus::Success, Amount::new(3 * fee.units()))]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ProviderBroker {
    cfg: ProviderConfig,
    customers: BTreeMap<Address, Customer>,
    nonce: U256,
    next_tx: u64,
    round: Round,
    round_since: Timestamp,
    batches: BTreeMap<u64, Committed>,
    batch_txs: BTreeMap<u64, BatchTx>,
    out: Outbox<Serving>,
}

impl ProviderBroker {
    /// A broker with nothing persisted yet.
    pub fn new(cfg: ProviderConfig, now: Timestamp) -> ProviderBroker {
        ProviderBroker::restore(cfg, now, &[])
    }

    /// Rebuilds a broker from its persisted records.
    pub fn restore(cfg: ProviderConfig, now: Timestamp, records: &[Record]) -> ProviderBroker {
        let mut b = ProviderBroker {
            cfg,
            customers: BTreeMap::new(),
            nonce: U256::ZERO,
            next_tx: 0,
            round: Round::Idle,
            round_since: now,
            batches: BTreeMap::new(),
            batch_txs: BTreeMap::new(),
            out: Outbox::new(),
        };
        for r in records {
            match r {
                Record::Receipt {
                    user,
                    node,
                    receipt,
                } => {
                    let c = b.customers.entry(*user).or_default();
                    c.node = *node;
                    c.next_seq = c.next_seq.max(receipt.seq);
                    c.first_sight(receipt.request_hash);
                    c.receipts.push(*receipt);
                }
                Record::Settled { user, through_seq } => {
                    if let Some(c) = b.customers.get_mut(user) {
                        c.receipts.retain(|r| r.seq > *through_seq);
                    }
                }
                Record::Nonce(n) => b.nonce = b.nonce.max(*n),
                Record::PendingNonce { user, pending } => {
                    b.customers.entry(*user).or_default().pending = *pending;
                }
                Record::BatchCommitted {
                    id,
                    user,
                    commitment,
                    escrow,
                    deadline,
                } => {
                    let receipts = b.take_committed(user, commitment);
                    b.batches.insert(
                        *id,
                        Committed {
                            user: *user,
                            commitment: *commitment,
                            receipts,
                            escrow: *escrow,
                            state: BatchState::Open,
                            deadline: *deadline,
                            busy_since: None,
                        },
                    );
                }
                Record::BatchClosed { id } => {
                    b.batches.remove(id);
                }
                Record::TokenIssued { .. } | Record::Accepted(_) => {}
            }
        }
        for (id, batch) in &b.batches {
            b.out
                .schedule(Timestamp::from_secs(batch.deadline), Timer::Finalize(*id));
        }
        b.out
            .schedule(now.plus_millis(b.cfg.check_interval_ms), Timer::Check);
        b.out
            .schedule(now.plus_millis(b.cfg.force_interval_ms), Timer::Force);
        b
    }

    /// Unsettled fees of a user.
    pub fn unsettled(&self, user: &Address) -> Amount {
        self.customers
            .get(user)
            .map(Customer::unsettled)
            .unwrap_or_default()
    }

    /// Unsettled receipts of all users.
    pub fn unsettled_receipts(&self) -> usize {
        self.customers.values().map(|c| c.receipts.len()).sum()
    }

    /// Ids of the compressed batches committed and not yet seen closed.
    pub fn open_batches(&self) -> impl Iterator<Item = u64> + '_ {
        self.batches.keys().copied()
    }

    /// Removes from `user`'s unsettled receipts those a commitment covers and returns them.
    fn take_committed(&mut self, user: &Address, c: &BatchCommitment) -> Vec<Receipt> {
        let Some(customer) = self.customers.get_mut(user) else {
            return Vec::new();
        };
        let last = c.first_seq.saturating_add(c.count.saturating_sub(1));
        let (taken, kept) = std::mem::take(&mut customer.receipts)
            .into_iter()
            .partition(|r| (c.first_seq..=last).contains(&r.seq));
        customer.receipts = kept;
        taken
    }

    fn tx(&mut self, op: Op) -> u64 {
        let id = self.next_tx;
        self.next_tx += 1;
        self.out.send(
            self.cfg.chain,
            Message::Tx {
                id,
                call: Call::new(self.cfg.provider, op),
            },
        );
        id
    }

    fn query(&mut self, user: Address) {
        let c = self.customers.entry(user).or_default();
        if !c.querying {
            c.querying = true;
            self.out.send(
                self.cfg.chain,
                Message::Query {
                    user,
                    provider: self.cfg.provider,
                },
            );
        }
    }

    fn next_nonce(&mut self, now: Timestamp) -> U256 {
        let clock = U256::from(u128::from(now.as_secs()) * 10_000_000);
        let next = self.nonce.checked_increment().unwrap_or(U256::MAX);
        self.nonce = clock.max(next);
        self.out.persist(Record::Nonce(self.nonce));
        self.nonce
    }

    /// Admission: `lockBalance ≥ unsettled + input fee + output reservation`.
    fn admit(&mut self, now: Timestamp, p: Pending) {
        let user = p.token.token.user;
        let cfg = &self.cfg;
        let reservation = cfg
            .output_price
            .checked_mul(cfg.output_reservation_factor)
            .ok();
        let input_fee = cfg.input_price.checked_mul(u128::from(p.input_tokens)).ok();
        let Some(c) = self.customers.get_mut(&user) else {
            return;
        };
        let info = c.info.as_ref();
        let account = info.and_then(|i| i.account.as_ref());
        let refusal = if let Err(e) = p.token.verify(&cfg.provider, now, account) {
            Some(Refusal::Token(e))
        } else if !account.is_some_and(|a| a.acknowledged)
            || !info
                .and_then(|i| i.service.as_ref())
                .is_some_and(|s| s.tee_signer_acknowledged)
        {
            Some(Refusal::NotAcknowledged)
        } else {
            let need = input_fee
                .zip(reservation)
                .and_then(|(i, r)| c.unsettled().checked_add(i).ok()?.checked_add(r).ok());
            match need {
                None => Some(Refusal::Overflow),
                Some(need) if c.lock_balance() < need => Some(Refusal::InsufficientBalance),
                Some(_) => None,
            }
        };
        if let Some(reason) = refusal {
            self.out.send(
                p.node,
                Message::Refused {
                    request_id: p.request_id,
                    reason,
                },
            );
            self.out.event(Event::Refused { user, reason });
            return;
        }
        c.node = p.node;
        let request_hash = p.token.request_hash(p.request_id, p.input_tokens);
        c.serving
            .insert(p.request_id, (p.input_tokens, request_hash));
        self.out.request(Request::Serve {
            user,
            request_id: p.request_id,
            input_tokens: p.input_tokens,
            max_output_tokens: p.max_output_tokens,
        });
    }

    fn served(&mut self, user: Address, request_id: u64, output_tokens: u64) -> Result<(), Error> {
        let (input_price, output_price) = (self.cfg.input_price, self.cfg.output_price);
        let c = self
            .customers
            .get_mut(&user)
            .ok_or(Error::Decode("unknown user"))?;
        let (input_tokens, request_hash) = *c
            .serving
            .get(&request_id)
            .ok_or(Error::Decode("unknown request"))?;
        let fee = fee(input_tokens, output_tokens, input_price, output_price)?;
        let receipt = Receipt {
            seq: c.next_seq + 1,
            request_hash,
            input_tokens,
            output_tokens,
            fee,
        };
        let signed = SignedReceipt::sign(&self.cfg.tee_key, receipt)?;
        c.serving.remove(&request_id);
        c.next_seq += 1;
        c.receipts.push(receipt);
        let node = c.node;
        self.out.persist(Record::Receipt {
            user,
            node,
            receipt,
        });
        self.out.send(
            node,
            Message::Served {
                request_id,
                delivered_output_tokens: output_tokens,
                receipt: signed,
            },
        );
        self.out.event(Event::Served { user, receipt });
        Ok(())
    }

    /// Which trigger fires now, if any.
    fn trigger(&self, now: Timestamp) -> Option<Trigger> {
        let cfg = &self.cfg;
        let threshold = cfg
            .input_price
            .checked_add(cfg.output_price)
            .and_then(|p| p.checked_mul(cfg.settle_trigger_factor))
            .unwrap_or(Amount::MAX);
        let risk_after = (cfg.lock_time_secs * 1000).saturating_sub(cfg.risk_buffer_ms);
        let mut fired = None;
        for c in self.customers.values() {
            if c.receipts.is_empty() || c.skip_until > now {
                continue;
            }
            if c.lock_balance().saturating_sub(c.unsettled()) < threshold {
                return Some(Trigger::Threshold);
            }
            if now.saturating_since(c.viewed_at).as_millis() > u128::from(risk_after) {
                fired = Some(Trigger::LockTimeRisk);
            }
        }
        fired
    }

    fn start_round(&mut self, now: Timestamp, trigger: Trigger) {
        if !matches!(self.round, Round::Idle) {
            return;
        }
        let users: BTreeSet<Address> = self
            .customers
            .iter()
            .filter(|(_, c)| !c.receipts.is_empty() && c.skip_until <= now)
            .map(|(u, _)| *u)
            .collect();
        if users.is_empty() {
            return;
        }
        self.out.event(Event::RoundStarted { trigger });
        self.round_since = now;
        for u in &users {
            if let Some(c) = self.customers.get_mut(u) {
                c.querying = false;
            }
            self.query(*u);
        }
        self.round = Round::Syncing(users);
    }

    fn sign_item(&mut self, now: Timestamp, user: Address, count: usize) -> Option<Plan> {
        let c = self.customers.get(&user)?;
        let receipts = &c.receipts[..count.min(c.receipts.len())];
        if receipts.is_empty() {
            return None;
        }
        let records: Vec<RequestRecord> = receipts
            .iter()
            .map(|r| RequestRecord {
                request_hash: r.request_hash,
                user,
                input_fee: self
                    .cfg
                    .input_price
                    .checked_mul(u128::from(r.input_tokens))
                    .unwrap_or(Amount::MAX),
                output_fee: r.fee.saturating_sub(
                    self.cfg
                        .input_price
                        .checked_mul(u128::from(r.input_tokens))
                        .unwrap_or(Amount::MAX),
                ),
            })
            .collect();
        let total_fee = Amount::checked_sum(receipts.iter().map(|r| r.fee)).ok()?;
        let requests_hash = requests_hash(&records).ok()?;
        let count = receipts.len();
        let nonce = match c.pending {
            Some((nonce, _)) => nonce,
            None => {
                let charged_before = c.info.as_ref()?.charged;
                let nonce = self.next_nonce(now);
                self.set_pending(user, Some((nonce, charged_before)));
                nonce
            }
        };
        let item = SettlementItem::signed(
            &self.cfg.tee_key,
            self.cfg.scheme,
            &self.cfg.domain,
            TeeSettlement {
                requests_hash,
                nonce,
                provider: self.cfg.provider,
                user,
                total_fee,
            },
        )
        .ok()?;
        Some(Plan { user, count, item })
    }

    fn set_pending(&mut self, user: Address, pending: Option<(U256, Amount)>) {
        if let Some(c) = self.customers.get_mut(&user)
            && c.pending != pending
        {
            c.pending = pending;
            self.out.persist(Record::PendingNonce { user, pending });
        }
    }

    /// Live mode: an account view that shows the pending nonce consumed says the settlement
    /// under it landed (its result may have been lost) and, by the growth of `charged`, how
    /// much it paid: the receipts that covers are closed.
    fn resolve_pending(&mut self, user: Address) {
        let Some(c) = self.customers.get(&user) else {
            return;
        };
        let (Some((nonce, charged_before)), Some(info)) = (c.pending, c.info.as_ref()) else {
            return;
        };
        let Some(account) = info.account.as_ref() else {
            return;
        };
        if account.nonce < nonce {
            return;
        }
        let settled = info.charged.saturating_sub(charged_before);
        let n = self.prefix_within(&user, settled);
        // The view shows what was paid, not the item's total: a payment that ends exactly on a
        // receipt boundary counts as a success, anything else was a partial settlement.
        let covered = Amount::checked_sum(c.receipts.iter().take(n).map(|r| r.fee));
        let status = if covered == Ok(settled) {
            SettlementStatus::Success
        } else {
            SettlementStatus::Partial
        };
        self.close_prefix(user, n);
        self.set_pending(user, None);
        self.out.event(Event::Settled {
            user,
            status,
            settled,
            unsettled: Amount::ZERO,
        });
    }

    fn synced(&mut self, now: Timestamp) {
        if self.cfg.settlement == SettlementMode::Batch {
            self.commit_batches(now);
            return;
        }
        let users: Vec<Address> = self
            .customers
            .iter()
            .filter(|(_, c)| !c.receipts.is_empty() && c.skip_until <= now)
            .map(|(u, _)| *u)
            .take(50)
            .collect();
        let plans: Vec<Plan> = users
            .into_iter()
            .filter_map(|u| {
                let n = self.customers.get(&u).map_or(0, |c| c.receipts.len());
                self.sign_item(now, u, n)
            })
            .collect();
        if plans.is_empty() {
            self.round = Round::Idle;
            return;
        }
        let items = plans.iter().map(|p| p.item.clone()).collect();
        let id = self.tx(Op::PreviewSettlement { items });
        self.round = Round::Previewing(id, plans);
    }

    /// The longest prefix of `user`'s receipts whose fees fit `budget`.
    fn prefix_within(&self, user: &Address, budget: Amount) -> usize {
        let Some(c) = self.customers.get(user) else {
            return 0;
        };
        let mut left = budget;
        let mut n = 0;
        for r in &c.receipts {
            match left.checked_sub(r.fee) {
                Ok(l) => {
                    left = l;
                    n += 1;
                }
                Err(_) => break,
            }
        }
        n
    }

    fn close_prefix(&mut self, user: Address, count: usize) {
        if let Some(c) = self.customers.get_mut(&user) {
            let count = count.min(c.receipts.len());
            if count == 0 {
                return;
            }
            let through_seq = c.receipts[count - 1].seq;
            c.receipts.drain(..count);
            self.out.persist(Record::Settled { user, through_seq });
        }
    }

    fn previewed(&mut self, now: Timestamp, plans: Vec<Plan>, outcome: Option<Outcome>) {
        let Some(Outcome::Settled { results, .. }) = outcome else {
            self.round = Round::Idle;
            return;
        };
        let mut keep = Vec::new();
        for (plan, r) in plans.into_iter().zip(results) {
            match r.status {
                SettlementStatus::Success => keep.push(plan),
                SettlementStatus::Partial => {
                    let budget = plan.item.total_fee.saturating_sub(r.unsettled);
                    let n = self.prefix_within(&plan.user, budget);
                    if let Some(c) = self.customers.get_mut(&plan.user) {
                        c.skip_until = now.plus_millis(self.cfg.skip_ms);
                    }
                    if let Some(p) = self.sign_item(now, plan.user, n) {
                        keep.push(p);
                    }
                }
                SettlementStatus::NoTeeSigner => {
                    let n = self
                        .customers
                        .get(&plan.user)
                        .map_or(0, |c| c.receipts.len());
                    self.close_prefix(plan.user, n);
                    self.out.event(Event::Settled {
                        user: plan.user,
                        status: r.status,
                        settled: Amount::ZERO,
                        unsettled: r.unsettled,
                    });
                }
                _ => {}
            }
        }
        if keep.is_empty() {
            self.round = Round::Idle;
            return;
        }
        let items = keep.iter().map(|p| p.item.clone()).collect();
        let id = self.tx(Op::SettleFees { items });
        self.round = Round::Settling(id, keep);
    }

    fn settled(&mut self, now: Timestamp, plans: Vec<Plan>, outcome: Option<Outcome>) {
        self.round = Round::Idle;
        let Some(Outcome::Settled { results, .. }) = outcome else {
            return;
        };
        for (plan, r) in plans.into_iter().zip(results) {
            let pending = self.customers.get(&plan.user).and_then(|c| c.pending);
            if pending.map(|(nonce, _)| nonce) != Some(plan.item.nonce) {
                // Already resolved from an account view.
                continue;
            }
            if matches!(
                r.status,
                SettlementStatus::Success
                    | SettlementStatus::Partial
                    | SettlementStatus::NoTeeSigner
            ) {
                self.set_pending(plan.user, None);
            } else if r.status == SettlementStatus::InvalidNonce {
                // Consumed by an earlier transaction under the same nonce: a view will say
                // how much it paid.
                self.refresh(plan.user);
            }
            match r.status {
                SettlementStatus::Success => self.close_prefix(plan.user, plan.count),
                SettlementStatus::Partial => {
                    let n = self.prefix_within(&plan.user, r.settled);
                    self.close_prefix(plan.user, n.min(plan.count));
                    if let Some(c) = self.customers.get_mut(&plan.user) {
                        c.skip_until = now.plus_millis(self.cfg.skip_ms);
                    }
                }
                SettlementStatus::NoTeeSigner => {
                    let n = self
                        .customers
                        .get(&plan.user)
                        .map_or(0, |c| c.receipts.len());
                    self.close_prefix(plan.user, n);
                }
                _ => {}
            }
            self.out.event(Event::Settled {
                user: plan.user,
                status: r.status,
                settled: r.settled,
                unsettled: r.unsettled,
            });
        }
    }
}

/// Batch mode (see "Compressed settlement" in the [module docs](self)).
impl ProviderBroker {
    /// Step 1: one signed commitment per user over the prefix of its receipts its balance
    /// covers.
    fn commit_batches(&mut self, now: Timestamp) {
        let users: Vec<Address> = self
            .customers
            .iter()
            .filter(|(_, c)| !c.receipts.is_empty() && c.skip_until <= now)
            .map(|(u, _)| *u)
            .collect();
        let mut plans = BTreeMap::new();
        for user in users {
            let Some(c) = self.customers.get(&user) else {
                continue;
            };
            let Some(balance) = c
                .info
                .as_ref()
                .and_then(|i| i.account.as_ref())
                .map(|a| a.balance)
            else {
                continue;
            };
            let all = c.receipts.len();
            let n = self.prefix_within(&user, balance);
            if n < all
                && let Some(c) = self.customers.get_mut(&user)
            {
                c.skip_until = now.plus_millis(self.cfg.skip_ms);
            }
            let Some(receipts) = self.customers.get(&user).map(|c| c.receipts[..n].to_vec()) else {
                continue;
            };
            let Ok(tree) = BatchTree::build(receipts) else {
                continue;
            };
            let nonce = self.next_nonce(now);
            let commitment = tree.commitment(
                self.cfg.provider,
                user,
                self.cfg.input_price,
                self.cfg.output_price,
                nonce,
            );
            let Ok(signature) = commitment.sign(&self.cfg.tee_key, &self.cfg.domain) else {
                continue;
            };
            let tx = self.tx(Op::Batch(BatchOp::Commit {
                commitment,
                signature,
            }));
            plans.insert(tx, (user, commitment));
        }
        self.round = Round::committing(plans);
    }

    fn commit_result(
        &mut self,
        mut plans: BTreeMap<u64, (Address, BatchCommitment)>,
        tx: u64,
        result: Result<Outcome, LedgerError>,
    ) {
        if let Some((user, commitment)) = plans.remove(&tx) {
            match result {
                Ok(Outcome::Batch(BatchOutcome::Committed {
                    id,
                    escrow,
                    unsettled,
                    deadline,
                })) => {
                    self.book_commit(id, user, commitment, escrow, deadline);
                    self.out.event(Event::BatchCommitted {
                        user,
                        id,
                        count: commitment.count,
                        escrow,
                        unsettled,
                    });
                }
                Ok(_) => {}
                Err(error) => self.out.event(Event::BatchRejected { user, error }),
            }
        }
        self.round = Round::committing(plans);
    }

    /// Step 2: the receipts move into the batch, the user gets the opening, the window's end
    /// is timed. Idempotent (a commit can be learned from its result and from a view).
    fn book_commit(
        &mut self,
        id: u64,
        user: Address,
        commitment: BatchCommitment,
        escrow: Amount,
        deadline: u64,
    ) {
        if self.batches.contains_key(&id) {
            return;
        }
        let receipts = self.take_committed(&user, &commitment);
        self.out.persist(Record::BatchCommitted {
            id,
            user,
            commitment,
            escrow,
            deadline,
        });
        self.batches.insert(
            id,
            Committed {
                user,
                commitment,
                receipts,
                escrow,
                state: BatchState::Open,
                deadline,
                busy_since: None,
            },
        );
        self.send_opening(id);
        self.out
            .schedule(Timestamp::from_secs(deadline), Timer::Finalize(id));
    }

    fn send_opening(&mut self, id: u64) {
        let Some(b) = self.batches.get(&id) else {
            return;
        };
        let Some(node) = self.customers.get(&b.user).map(|c| c.node) else {
            return;
        };
        self.out.send(
            node,
            Message::BatchOpening {
                id,
                commitment: b.commitment,
                receipts: b.receipts.clone(),
            },
        );
    }

    /// Whether `user`'s unsettled receipts rebuild commitment `c` (adoption of a commit this
    /// broker did not book).
    fn rebuilds(&self, user: &Address, c: &BatchCommitment) -> bool {
        let Some(customer) = self.customers.get(user) else {
            return false;
        };
        let last = c.first_seq.saturating_add(c.count.saturating_sub(1));
        let receipts: Vec<Receipt> = customer
            .receipts
            .iter()
            .filter(|r| (c.first_seq..=last).contains(&r.seq))
            .copied()
            .collect();
        receipts.len() as u64 == c.count
            && BatchTree::build(receipts)
                .is_ok_and(|t| t.root().hash == c.root && t.root().sum == c.total_fee)
    }

    /// Step 3: what the chain says about `user`'s batches.
    fn watch(&mut self, now: Timestamp, user: Address, infos: &[BatchInfo]) {
        for info in infos {
            let b = &info.batch;
            let c = &b.commitment;
            if c.provider != self.cfg.provider || c.user != user {
                continue;
            }
            if !self.batches.contains_key(&b.id) {
                if !self.rebuilds(&user, c) {
                    continue;
                }
                self.book_commit(b.id, user, *c, b.escrow, b.deadline);
            }
            let Some(mine) = self.batches.get_mut(&b.id) else {
                continue;
            };
            match b.state {
                BatchState::Finalized => {
                    let paid = mine.escrow;
                    self.close(b.id);
                    self.out.event(Event::BatchFinalized {
                        user,
                        id: b.id,
                        paid,
                    });
                }
                BatchState::Voided => {
                    self.close(b.id);
                    self.out.event(Event::BatchVoided { user, id: b.id });
                }
                BatchState::AwaitingOpening => {
                    mine.state = b.state;
                    mine.deadline = b.deadline;
                    if idle(mine, now, self.cfg.check_interval_ms) && now.as_secs() < b.deadline {
                        // The user demanded the opening on chain: post every receipt.
                        mine.busy_since = Some(now);
                        let receipts = mine.receipts.clone();
                        let tx = self.tx(Op::Batch(BatchOp::PostOpening { id: b.id, receipts }));
                        self.batch_txs.insert(tx, BatchTx::Post(b.id));
                    }
                }
                BatchState::Open => {
                    mine.state = b.state;
                    if mine.deadline != b.deadline {
                        mine.deadline = b.deadline;
                        self.out
                            .schedule(Timestamp::from_secs(b.deadline), Timer::Finalize(b.id));
                    }
                }
            }
        }
    }

    fn close(&mut self, id: u64) {
        if self.batches.remove(&id).is_some() {
            self.out.persist(Record::BatchClosed { id });
        }
    }

    /// Step 4: pay out what the window has closed on.
    fn finalize_due(&mut self, now: Timestamp) {
        let due: Vec<u64> = self
            .batches
            .iter()
            .filter(|(_, b)| {
                b.state == BatchState::Open
                    && idle(b, now, self.cfg.check_interval_ms)
                    && b.deadline <= now.as_secs()
            })
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            if let Some(b) = self.batches.get_mut(&id) {
                b.busy_since = Some(now);
            }
            let tx = self.tx(Op::Batch(BatchOp::Finalize { id }));
            self.batch_txs.insert(tx, BatchTx::Finalize(id));
        }
    }

    /// Re-reads the accounts with batches still open (forced openings, reopened windows,
    /// closures by others).
    fn watch_open(&mut self) {
        let users: BTreeSet<Address> = self.batches.values().map(|b| b.user).collect();
        for u in users {
            self.refresh(u);
        }
    }

    /// Reads `user`'s account again even if a read is outstanding (it may have been lost).
    fn refresh(&mut self, user: Address) {
        if let Some(c) = self.customers.get_mut(&user) {
            c.querying = false;
        }
        self.query(user);
    }

    fn batch_tx_result(&mut self, tx: BatchTx, result: Result<Outcome, LedgerError>) {
        let (BatchTx::Finalize(id) | BatchTx::Post(id)) = tx;
        let Some(mine) = self.batches.get_mut(&id) else {
            return;
        };
        mine.busy_since = None;
        let user = mine.user;
        match result {
            Ok(Outcome::Batch(BatchOutcome::Finalized { paid, .. })) => {
                self.close(id);
                self.out.event(Event::BatchFinalized { user, id, paid });
            }
            Ok(Outcome::Batch(BatchOutcome::Voided { .. })) => {
                self.close(id);
                self.out.event(Event::BatchVoided { user, id });
            }
            Ok(Outcome::Batch(BatchOutcome::Opened { deadline, .. })) => {
                mine.state = BatchState::Open;
                mine.deadline = deadline;
                self.out
                    .schedule(Timestamp::from_secs(deadline), Timer::Finalize(id));
                self.out.event(Event::OpeningPosted { user, id, deadline });
            }
            // Too early (the window was reopened), already closed by someone else, or not
            // owed any more: the account's view says which.
            _ => self.refresh(user),
        }
    }
}

impl Machine<Serving> for ProviderBroker {
    fn handle(&mut self, now: Timestamp, input: Input<Serving>) -> Result<(), Error> {
        match input {
            Input::Message {
                from,
                message:
                    Message::Inference {
                        request_id,
                        token,
                        input_tokens,
                        max_output_tokens,
                    },
            } => {
                let user = token.token.user;
                let request_hash = token.request_hash(request_id, input_tokens);
                let c = self.customers.entry(user).or_default();
                if !c.first_sight(request_hash) {
                    // A duplicate delivery: the first copy is (being) served.
                    return Ok(());
                }
                let pending = Pending {
                    node: from,
                    request_id,
                    token,
                    input_tokens,
                    max_output_tokens,
                };
                let c = self.customers.entry(user).or_default();
                let fresh = c.info.is_some()
                    && now.saturating_since(c.viewed_at).as_millis()
                        <= u128::from(self.cfg.view_ttl_ms);
                if fresh {
                    self.admit(now, pending);
                } else {
                    c.parked.push(pending);
                    // A read unanswered for longer than a view lives counts as lost.
                    if c.querying
                        && now.saturating_since(c.queried_at).as_millis()
                            > u128::from(self.cfg.view_ttl_ms)
                    {
                        c.querying = false;
                    }
                    if !c.querying {
                        c.queried_at = now;
                    }
                    self.query(user);
                }
            }
            Input::Message {
                message: Message::AccountInfo(info),
                ..
            } => {
                let mut info = *info;
                let user = info.user;
                let batches = std::mem::take(&mut info.batches);
                let c = self.customers.entry(user).or_default();
                c.querying = false;
                c.viewed_at = now;
                c.info = Some(info);
                let parked = std::mem::take(&mut c.parked);
                if self.cfg.settlement == SettlementMode::Live {
                    self.resolve_pending(user);
                }
                for p in parked {
                    self.admit(now, p);
                }
                self.watch(now, user, &batches);
                if let Round::Syncing(waiting) = &mut self.round {
                    waiting.remove(&user);
                    if waiting.is_empty() {
                        self.synced(now);
                    }
                }
            }
            Input::Message {
                message: Message::TxResult { id, result },
                ..
            } => {
                if let Some(tx) = self.batch_txs.remove(&id) {
                    self.batch_tx_result(tx, result);
                    return Ok(());
                }
                let round = std::mem::replace(&mut self.round, Round::Idle);
                match round {
                    Round::Previewing(tx, plans) if tx == id => {
                        self.previewed(now, plans, result.ok())
                    }
                    Round::Settling(tx, plans) if tx == id => self.settled(now, plans, result.ok()),
                    Round::Committing(plans) if plans.contains_key(&id) => {
                        self.commit_result(plans, id, result)
                    }
                    other => self.round = other,
                }
            }
            Input::Message {
                from,
                message: Message::OpeningRequest { id },
            } => {
                // Only to the batch's own user (as far as the transport says).
                let user_node = self
                    .batches
                    .get(&id)
                    .and_then(|b| self.customers.get(&b.user))
                    .map(|c| c.node);
                if user_node == Some(from) {
                    self.send_opening(id);
                } else if user_node.is_none() {
                    // A batch this broker has not booked (its commit result was lost): the
                    // asking user's account view will show it, and it is adopted.
                    let asking: Vec<Address> = self
                        .customers
                        .iter()
                        .filter(|(_, c)| c.node == from)
                        .map(|(u, _)| *u)
                        .collect();
                    for u in asking {
                        self.refresh(u);
                    }
                }
            }
            Input::Command(Command::Served {
                user,
                request_id,
                output_tokens,
            }) => self.served(user, request_id, output_tokens)?,
            Input::Command(Command::SettleNow) => self.start_round(now, Trigger::Manual),
            Input::Timeout(Timer::Finalize(id)) if self.batches.contains_key(&id) => {
                self.finalize_due(now);
            }
            Input::Timeout(Timer::Check) => {
                // Requests parked on an account read that was lost: read again (otherwise
                // only the user's next request would).
                let lost_reads: Vec<Address> = self
                    .customers
                    .iter()
                    .filter(|(_, c)| {
                        !c.parked.is_empty()
                            && now.saturating_since(c.queried_at).as_millis()
                                > u128::from(self.cfg.view_ttl_ms)
                    })
                    .map(|(u, _)| *u)
                    .collect();
                for user in lost_reads {
                    if let Some(c) = self.customers.get_mut(&user) {
                        c.queried_at = now;
                    }
                    self.refresh(user);
                }
                let stale = !matches!(self.round, Round::Idle)
                    && now.saturating_since(self.round_since).as_millis()
                        >= u128::from(self.cfg.check_interval_ms);
                if stale && self.cfg.settlement == SettlementMode::Live {
                    // Live mode: a round whose reply was lost is given up. Reads and previews
                    // change nothing; a settlement that did land is learned from the next
                    // view (its nonce consumed), and until then every new settlement for the
                    // user reuses the same nonce, so it cannot be paid twice.
                    match std::mem::replace(&mut self.round, Round::Idle) {
                        Round::Settling(_, plans) | Round::Previewing(_, plans) => {
                            for plan in plans {
                                self.refresh(plan.user);
                            }
                        }
                        _ => {}
                    }
                }
                if stale && self.cfg.settlement == SettlementMode::Batch {
                    // Batch mode: a round whose replies were lost is given up too. A commit
                    // that did land is adopted from the next view, and a second commit of the
                    // same receipts fails the sequence check.
                    if let Round::Committing(plans) =
                        std::mem::replace(&mut self.round, Round::Idle)
                    {
                        for (user, _) in plans.into_values() {
                            self.refresh(user);
                        }
                    }
                }
                if let Some(t) = self.trigger(now) {
                    self.start_round(now, t);
                }
                self.watch_open();
                self.finalize_due(now);
                self.out
                    .schedule(now.plus_millis(self.cfg.check_interval_ms), Timer::Check);
            }
            Input::Timeout(Timer::Force) => {
                self.start_round(now, Trigger::Periodic);
                self.out
                    .schedule(now.plus_millis(self.cfg.force_interval_ms), Timer::Force);
            }
            _ => {}
        }
        Ok(())
    }

    fn poll_output(&mut self) -> Option<Output<Serving>> {
        self.out.pop()
    }
}
