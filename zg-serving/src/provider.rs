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
//!
//! Driving: messages from users and the chain, [`Command::Served`] answers to
//! [`Request::Serve`], [`Command::SettleNow`]; timers `Check` and `Force` are scheduled at
//! construction. Persisted: every receipt, every settled prefix, every nonce; [`ProviderBroker::restore`]
//! rebuilds from them.

use std::collections::{BTreeMap, BTreeSet};

use zg_core::machine::{Input, Machine, Outbox, Output};
use zg_core::{Amount, H256, NodeId, Timestamp, keccak256_parts};

use crate::Error;
use crate::batch::{Receipt, SignedReceipt, fee};
use crate::eip712::{Domain, SignatureScheme, TeeSettlement};
use crate::eth::{Address, SecretKey, U256};
use crate::ledger::{Call, Op, Outcome};
use crate::protocol::{
    AccountInfo, Command, Event, Message, Record, Refusal, Request, Serving, Timer, Trigger,
};
use crate::session::SignedToken;
use crate::settlement::{RequestRecord, SettlementItem, SettlementStatus, requests_hash};

/// Configuration of a provider broker.
#[derive(Clone, Debug)]
pub struct ProviderConfig {
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
    receipts: Vec<Receipt>,
    next_seq: u64,
    skip_until: Timestamp,
    parked: Vec<Pending>,
    serving: BTreeMap<u64, (u64, H256)>,
}

impl Customer {
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
}

/// The provider broker. See the [module docs](self).
#[derive(Debug)]
pub struct ProviderBroker {
    cfg: ProviderConfig,
    customers: BTreeMap<Address, Customer>,
    nonce: U256,
    next_tx: u64,
    round: Round,
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
                    c.receipts.push(*receipt);
                }
                Record::Settled { user, through_seq } => {
                    if let Some(c) = b.customers.get_mut(user) {
                        c.receipts.retain(|r| r.seq > *through_seq);
                    }
                }
                Record::Nonce(n) => b.nonce = b.nonce.max(*n),
                Record::TokenIssued { .. } => {}
            }
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
        let request_hash = keccak256_parts(&[
            &user.0,
            &p.request_id.to_be_bytes(),
            &p.input_tokens.to_be_bytes(),
            &p.token.signature.0,
        ]);
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
        let nonce = self.next_nonce(now);
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

    fn synced(&mut self, now: Timestamp) {
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
                    self.query(user);
                }
            }
            Input::Message {
                message: Message::AccountInfo(info),
                ..
            } => {
                let user = info.user;
                let c = self.customers.entry(user).or_default();
                c.querying = false;
                c.viewed_at = now;
                c.info = Some(*info);
                let parked = std::mem::take(&mut c.parked);
                for p in parked {
                    self.admit(now, p);
                }
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
                let round = std::mem::replace(&mut self.round, Round::Idle);
                match round {
                    Round::Previewing(tx, plans) if tx == id => {
                        self.previewed(now, plans, result.ok())
                    }
                    Round::Settling(tx, plans) if tx == id => self.settled(now, plans, result.ok()),
                    other => self.round = other,
                }
            }
            Input::Command(Command::Served {
                user,
                request_id,
                output_tokens,
            }) => self.served(user, request_id, output_tokens)?,
            Input::Command(Command::SettleNow) => self.start_round(now, Trigger::Manual),
            Input::Timeout(Timer::Check) => {
                if let Some(t) = self.trigger(now) {
                    self.start_round(now, t);
                }
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
