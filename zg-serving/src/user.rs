//! The user broker: signs session tokens, checks every receipt against what it received,
//! watches what the provider settles, and takes its money back when the provider over-charges
//! or when it is done.
//!
//! * **Session tokens**: a persistent token (ids 0–254, one per issue, persisted) valid for
//!   [`UserConfig::token_lifetime_ms`], re-issued shortly before expiry, carrying the account's
//!   current generation; an over-charging provider loses them all (`revokeAllTokens`).
//! * **Tracking**: each [`Message::Served`] receipt must be signed by the provider's TEE signer
//!   and bill exactly the input tokens asked and the output tokens delivered, at the service's
//!   prices. Every [`UserConfig::poll_interval_ms`] the broker reads the account; the amount
//!   settled to the provider must not exceed the sum of fair fees it received, plus the most
//!   each request it sent and never got an answer to may cost (that receipt may have been lost
//!   on the way; the live contract shows only a running total).
//! * **Refusing over-charges**: on either mismatch the broker stops sending requests, revokes
//!   its tokens, and asks for a refund of everything not yet settled (`retrieveFund`:
//!   `processRefund` + `requestRefundAll`); after the lock time it retrieves again, which
//!   releases the refund to the ledger.
//! * **When to refund** otherwise: on [`Command::RetrieveFunds`], or after
//!   [`UserConfig::idle_refund_ms`] without requests.
//!
//! # Compressed batches
//!
//! The broker audits every compressed batch ([`crate::batch`]) the chain shows against its
//! account ([`AccountInfo::batches`], read every poll), whatever mode the provider runs in;
//! while it runs, no batch it could challenge reaches its deadline unchallenged:
//!
//! 1. **Opening.** It takes the provider's [`Message::BatchOpening`] (or, after a forced
//!    opening, the receipts posted on chain). While it has none it sends
//!    [`Message::OpeningRequest`] each poll; after [`UserConfig::opening_patience_ms`], or
//!    when the window would close before the next poll, it demands the opening on chain
//!    ([`BatchOp::ChallengeWithheld`]). If the provider then posts nothing by the response
//!    deadline, the broker calls [`BatchOp::Finalize`], which voids the batch.
//! 2. **Audit** ([`audit`]): the opening must rebuild the committed root; then padding, the
//!    total, each receipt's sequence and fee formula, and each receipt against the signed
//!    receipt the broker accepted at serving time with the same `seq` (which already matched
//!    the tokens it asked for and received). The first fraud found is submitted
//!    ([`BatchOp::Challenge`]); an opening that is no opening is demanded on chain as above.
//! 3. **Unsigned receipts.** A receipt the broker holds no signed receipt for is fair only if
//!    it is the bill of a request the broker sent and never got an answer to (same
//!    `requestHash`, the input tokens asked, at most the output cap). Otherwise the provider
//!    bills a request that was never made: no fraud proof shows that, so the broker reports an
//!    over-charge and stops as above.
//! 4. **Made whole.** A voided batch returns its escrow to the account and credits the
//!    provider's slashed stake to it; the broker then stops using the provider and retrieves
//!    everything (another refund round if it had already stopped).

use std::collections::BTreeMap;

use zg_core::machine::{Input, Machine, Outbox, Output};
use zg_core::{Amount, H256, NodeId, Timestamp};

use crate::batch::{
    Batch, BatchOp, BatchOutcome, BatchState, Finding, Receipt, SignedReceipt, audit, fee,
};
use crate::eth::{Address, SecretKey};
use crate::ledger::{Call, Op, Outcome};
use crate::protocol::{AccountInfo, Command, Event, Message, Record, Serving, Timer};
use crate::session::{SessionToken, SignedToken};
use crate::{Error, LedgerError};

/// Configuration of a user broker.
#[derive(Clone, Debug)]
pub struct UserConfig {
    /// The user's key.
    pub key: SecretKey,
    /// The provider used.
    pub provider: Address,
    /// Where the provider broker is.
    pub provider_node: NodeId,
    /// The chain node.
    pub chain: NodeId,
    /// The provider's TEE signer (from its service).
    pub tee_signer: Address,
    /// The service's input price.
    pub input_price: Amount,
    /// The service's output price.
    pub output_price: Amount,
    /// The contract's lock time, seconds.
    pub lock_time_secs: u64,
    /// Session token lifetime, ms.
    pub token_lifetime_ms: u64,
    /// Account polling period, ms.
    pub poll_interval_ms: u64,
    /// Retrieve funds after this long without requests, ms (`None`: never on idleness).
    pub idle_refund_ms: Option<u64>,
    /// How long to wait for the opening of a committed batch before demanding it on chain, ms.
    pub opening_patience_ms: u64,
}

/// Why the broker stopped using the provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StopReason {
    /// A receipt or the settled total exceeded what was received.
    OverCharged,
    /// Funds were retrieved on request or idleness.
    Retrieved,
}

/// A request sent and not yet answered.
#[derive(Clone, Copy, Debug)]
struct Ask {
    input_tokens: u64,
    max_output_tokens: u64,
    request_hash: H256,
}

/// A batch against the account, as this broker follows it.
#[derive(Clone, Debug)]
struct Watched {
    batch: Batch,
    first_seen: Timestamp,
    opening: Option<Vec<Receipt>>,
    /// The audit of `opening`, once done.
    finding: Option<Finding>,
    /// When the opening was last asked of the provider.
    requested_at: Option<Timestamp>,
    /// When the fraud proof was last sent.
    challenged_at: Option<Timestamp>,
    /// When `ChallengeWithheld` was last sent.
    demanded_at: Option<Timestamp>,
    /// When `Finalize` was last sent to void an opening never posted.
    voided_at: Option<Timestamp>,
}

/// A batch transaction of this broker in flight.
#[derive(Clone, Copy, Debug)]
enum BatchTx {
    Challenge(u64),
    Demand(u64),
    Void(u64),
}

/// Openings received before the chain showed their batch are kept up to this many.
const MAX_OFFERED: usize = 64;

/// The user broker. See the [module docs](self).
///
/// # Driving contract
///
/// * Inputs: [`Command::Ask`] and [`Command::RetrieveFunds`] from its application;
///   [`Message::Served`], [`Message::Refused`], [`Message::BatchOpening`] from the configured
///   provider node only; [`Message::AccountInfo`] and [`Message::TxResult`] from the configured
///   chain node only; the timers it scheduled ([`Timer::Poll`], [`Timer::RefundReady`]).
/// * Outputs, drained in order after construction and after every input: `Persist` (each
///   session token id before the token is used, each accepted receipt — make it durable before
///   later outputs, so a restart never reuses a token id and keeps its evidence), `Send`
///   (requests to the provider; queries, refunds, challenges and demands to the chain),
///   `ScheduleTimeout`, and `Event`s for the application. It makes no requests.
/// * Restart: [`UserBroker::restore`] with the same config and every record, in order; it
///   polls the account again and resumes auditing from what the chain shows.
/// * Done: a broker that stopped using the provider (over-charge, a voided batch, or
///   [`Command::RetrieveFunds`]) is done once [`Event::RefundReceived`] is output after the
///   lock time; until then, or while it is still asking, the host keeps it running so no batch
///   against the account closes unaudited.
///
/// ```
/// # use core::time::Duration;
/// # use zg_core::machine::Machine;
/// # use zg_core::sim::{Fault, SimConfig, Simulation};
/// # use zg_core::{Amount, NodeId, Timestamp};
/// # use zg_serving::eip712::{Domain, SignatureScheme};
/// # use zg_serving::eth::{Address, SecretKey, U256};
/// # use zg_serving::ledger::{Call, Ledger, LedgerConfig, Limits, Op, ServiceParams, TOKEN};
/// # use zg_serving::protocol::{Command, Event, LedgerNode, Record, Request, Serving};
/// # use zg_serving::provider::{ProviderBroker, ProviderConfig};
/// # use zg_serving::user::{UserBroker, UserConfig};
/// # let (chain, provider_node, user_node) = (NodeId(0), NodeId(1), NodeId(2));
/// # let (owner, provider) = (Address([0xee; 20]), Address([0x22; 20]));
/// # let (tee, user) = (SecretKey::from_seed(b"provider tee"), SecretKey::from_seed(b"user"));
/// # let domain = Domain::new(U256::from(16601u64), Address([0xcc; 20]));
/// # let (input_price, output_price, lock) = (Amount::new(1_000), Amount::new(2_000), 7_200);
/// # let config = LedgerConfig { owner, domain, lock_time_secs: lock, limits: Limits::default() };
/// # let mut ledger = Ledger::new(config)?;
/// # let params = ServiceParams { input_price, output_price, tee_signer: tee.address(),
/// #     scheme: SignatureScheme::Eip712, ..ServiceParams::default() };
/// # let five = Amount::new(5 * TOKEN);
/// # for call in [
/// #     Call::new(provider, Op::AddOrUpdateService { params }).with_value(Amount::new(100 * TOKEN)),
/// #     Call::new(owner, Op::AcknowledgeTeeSignerByOwner { provider }),
/// #     Call::new(user.address(), Op::DepositFund).with_value(five),
/// #     Call::new(user.address(), Op::TransferFund { provider, amount: five }),
/// # ] {
/// #     ledger.apply(Timestamp::ZERO, &call)?;
/// # }
/// # let provider_config = ProviderConfig::new(
/// #     provider, tee.clone(), chain, domain, SignatureScheme::Eip712, input_price, output_price, lock);
/// // A chain, a provider and this user, set up as in `ProviderBroker`'s example.
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
///     poll_interval_ms: 300_000, // read the account every 5 minutes
///     idle_refund_ms: None,
///     opening_patience_ms: 1_800_000,
/// };
/// let mut sim: Simulation<Serving> = Simulation::new(SimConfig::default(), 3, move |id, now, records| {
///     let node: Box<dyn Machine<Serving>> = match id.0 {
///         0 => Box::new(LedgerNode::new(ledger.clone())),
///         1 => Box::new(ProviderBroker::restore(provider_config.clone(), now, records)),
///         _ => Box::new(UserBroker::restore(user_config.clone(), now, records)),
///     };
///     node
/// });
/// sim.set_host(|_, _, Request::Serve { user, request_id, .. }, _| {
///     vec![(Duration::from_millis(200), Command::Served { user, request_id, output_tokens: 100 })]
/// });
/// let ask = Command::Ask { input_tokens: 50, max_output_tokens: 200 };
/// sim.inject(Timestamp::from_secs(1), user_node, ask.clone());
/// // The user's node crashes and restarts from its records, asks again, then leaves.
/// sim.schedule(Timestamp::from_secs(10), Fault::Crash(user_node));
/// sim.schedule(Timestamp::from_secs(20), Fault::Restart(user_node));
/// sim.inject(Timestamp::from_secs(30), user_node, ask);
/// sim.inject(Timestamp::from_secs(60), user_node, Command::RetrieveFunds);
/// sim.run_until(Timestamp::from_secs(3 * 3600)); // past the 2 h refund lock
///
/// let user_events: Vec<&Event> =
///     sim.events().iter().filter(|(_, n, _)| *n == user_node).map(|(_, _, e)| e).collect();
/// let fee = Amount::new(50 * 1_000 + 100 * 2_000);
/// let received = user_events.iter().filter(|e| matches!(e, Event::Received { fee: f } if *f == fee));
/// assert_eq!(received.count(), 2, "both receipts checked and accepted");
/// assert!(user_events.iter().any(|e| matches!(e, Event::RefundRequested)));
/// let refund = user_events.iter().find_map(|e| match e {
///     Event::RefundReceived { amount } => Some(*amount),
///     _ => None,
/// });
/// // Whatever the provider did not settle comes back; it settled at most the two fees.
/// let refund = refund.expect("refund received after the lock time");
/// assert!(refund.units() + 2 * fee.units() >= five.units() && refund <= five);
/// // The restarted broker continued from its records: no token id was issued twice, and the
/// // receipts it accepted are kept as evidence.
/// let records = sim.persisted(user_node);
/// let ids: Vec<u8> = records.iter().filter_map(|r| match r {
///     Record::TokenIssued { token_id } => Some(*token_id),
///     _ => None,
/// }).collect();
/// assert!(!ids.is_empty() && ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
/// assert_eq!(records.iter().filter(|r| matches!(r, Record::Accepted(_))).count(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct UserBroker {
    cfg: UserConfig,
    token: Option<SignedToken>,
    next_token_id: u8,
    generation: u64,
    next_request: u64,
    asks: BTreeMap<u64, Ask>,
    received: BTreeMap<u64, SignedReceipt>,
    fair_total: Amount,
    claimed_total: Amount,
    stopped: Option<StopReason>,
    last_ask: Timestamp,
    next_tx: u64,
    refunded: Amount,
    watched: BTreeMap<u64, Watched>,
    /// Batches known closed from this broker's own transactions, until views stop listing
    /// them (so a view older than the result cannot revive one).
    closed: std::collections::BTreeSet<u64>,
    offered: BTreeMap<u64, Vec<Receipt>>,
    batch_txs: BTreeMap<u64, BatchTx>,
    out: Outbox<Serving>,
}

impl UserBroker {
    /// A fresh broker; schedules its first poll.
    pub fn new(cfg: UserConfig, now: Timestamp) -> UserBroker {
        UserBroker::restore(cfg, now, &[])
    }

    /// Rebuilds from persisted records: token ids already used are not reused, accepted
    /// receipts come back as evidence.
    pub fn restore(cfg: UserConfig, now: Timestamp, records: &[Record]) -> UserBroker {
        let next_token_id = records
            .iter()
            .filter_map(|r| match r {
                Record::TokenIssued { token_id } => Some(token_id.saturating_add(1)),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        let received: BTreeMap<u64, SignedReceipt> = records
            .iter()
            .filter_map(|r| match r {
                Record::Accepted(s) => Some((s.receipt.seq, *s)),
                _ => None,
            })
            .collect();
        let fair_total =
            Amount::checked_sum(received.values().map(|s| s.receipt.fee)).unwrap_or(Amount::MAX);
        let mut out = Outbox::new();
        out.schedule(now.plus_millis(cfg.poll_interval_ms), Timer::Poll);
        UserBroker {
            cfg,
            token: None,
            next_token_id,
            generation: 0,
            next_request: 0,
            asks: BTreeMap::new(),
            received,
            fair_total,
            claimed_total: fair_total,
            stopped: None,
            last_ask: now,
            next_tx: 0,
            refunded: Amount::ZERO,
            watched: BTreeMap::new(),
            closed: std::collections::BTreeSet::new(),
            offered: BTreeMap::new(),
            batch_txs: BTreeMap::new(),
            out,
        }
    }

    /// Why the broker stopped, if it did.
    pub fn stopped(&self) -> Option<StopReason> {
        self.stopped
    }

    /// Sum of fair fees of the receipts accepted.
    pub fn fair_total(&self) -> Amount {
        self.fair_total
    }

    /// Refunds released back to the ledger so far.
    pub fn refunded(&self) -> Amount {
        self.refunded
    }

    /// The signed receipts accepted, by `seq` (evidence for compressed-batch challenges).
    pub fn receipts(&self) -> impl Iterator<Item = &SignedReceipt> {
        self.received.values()
    }

    /// Ids of the compressed batches against the account still followed.
    pub fn watched_batches(&self) -> impl Iterator<Item = u64> + '_ {
        self.watched.keys().copied()
    }

    fn tx(&mut self, op: Op) -> u64 {
        let id = self.next_tx;
        self.next_tx += 1;
        self.out.send(
            self.cfg.chain,
            Message::Tx {
                id,
                call: Call::new(self.cfg.key.address(), op),
            },
        );
        id
    }

    fn query(&mut self) {
        self.out.send(
            self.cfg.chain,
            Message::Query {
                user: self.cfg.key.address(),
                provider: self.cfg.provider,
            },
        );
    }

    fn token(&mut self, now: Timestamp) -> Result<SignedToken, Error> {
        if let Some(t) = &self.token
            && t.token.generation == self.generation
            && t.token.expires_at_ms > now.as_millis() + 60_000
        {
            return Ok(t.clone());
        }
        let token_id = self.next_token_id;
        // Ids 0–254 are persistent; wrap around past them (old ids are long expired).
        self.next_token_id = if token_id >= 254 { 0 } else { token_id + 1 };
        self.out.persist(Record::TokenIssued { token_id });
        let signed = SessionToken {
            user: self.cfg.key.address(),
            provider: self.cfg.provider,
            issued_at_ms: now.as_millis(),
            expires_at_ms: now.as_millis() + self.cfg.token_lifetime_ms,
            nonce: u64::from(token_id) ^ now.as_millis(),
            generation: self.generation,
            token_id,
        }
        .sign(&self.cfg.key)?;
        self.token = Some(signed.clone());
        Ok(signed)
    }

    fn stop(&mut self, now: Timestamp, reason: StopReason) {
        if self.stopped.is_some() {
            return;
        }
        self.stopped = Some(reason);
        if reason == StopReason::OverCharged {
            self.tx(Op::RevokeAllTokens {
                provider: self.cfg.provider,
            });
        }
        self.retrieve(now);
    }

    /// `retrieveFund` now and again once the lock time has passed.
    fn retrieve(&mut self, now: Timestamp) {
        self.tx(Op::RetrieveFund {
            providers: vec![self.cfg.provider],
        });
        self.out.event(Event::RefundRequested);
        self.out.schedule(
            now.plus_millis(self.cfg.lock_time_secs * 1000 + 1000),
            Timer::RefundReady,
        );
    }

    fn check_receipt(
        &mut self,
        now: Timestamp,
        request_id: u64,
        delivered: u64,
        receipt: SignedReceipt,
    ) {
        let Some(Ask {
            input_tokens: input,
            max_output_tokens: max_out,
            ..
        }) = self.asks.remove(&request_id)
        else {
            return;
        };
        let fair = fee(
            input,
            delivered.min(max_out),
            self.cfg.input_price,
            self.cfg.output_price,
        )
        .unwrap_or(Amount::MAX);
        let r = receipt.receipt;
        let honest = receipt.signer() == Some(self.cfg.tee_signer)
            && r.input_tokens == input
            && r.output_tokens == delivered
            && delivered <= max_out
            && r.fee == fair;
        self.claimed_total = self.claimed_total.checked_add(r.fee).unwrap_or(Amount::MAX);
        if honest {
            self.fair_total = self.fair_total.checked_add(fair).unwrap_or(Amount::MAX);
            self.received.insert(r.seq, receipt);
            self.out.persist(Record::Accepted(receipt));
            self.out.event(Event::Received { fee: fair });
        } else {
            self.out.event(Event::OverCharge {
                claimed: r.fee,
                fair,
            });
            self.stop(now, StopReason::OverCharged);
        }
    }
}

/// Compressed batches (see the [module docs](self)).
impl UserBroker {
    /// What the chain says about the account's batches.
    fn batches_seen(&mut self, now: Timestamp, info: &AccountInfo) {
        let me = self.cfg.key.address();
        let mut listed = Vec::new();
        for bi in &info.batches {
            let b = &bi.batch;
            if b.commitment.user != me || b.commitment.provider != self.cfg.provider {
                continue;
            }
            listed.push(b.id);
            if self.closed.contains(&b.id)
                || matches!(b.state, BatchState::Finalized | BatchState::Voided)
            {
                self.watched.remove(&b.id);
                self.offered.remove(&b.id);
                continue;
            }
            let offered = self.offered.remove(&b.id);
            let w = self.watched.entry(b.id).or_insert_with(|| Watched {
                batch: b.clone(),
                first_seen: now,
                opening: None,
                finding: None,
                requested_at: None,
                challenged_at: None,
                demanded_at: None,
                voided_at: None,
            });
            w.batch = b.clone();
            if let Some(posted) = &bi.posted {
                if w.opening.as_ref() != Some(posted) {
                    w.opening = Some(posted.clone());
                    w.finding = None;
                }
            } else if w.opening.is_none() {
                w.opening = offered;
            }
        }
        // A batch no longer listed closed at least a window ago (or the view predates it).
        self.watched
            .retain(|id, w| listed.contains(id) || w.batch.deadline > now.as_secs());
        self.closed.retain(|id| listed.contains(id));
        let ids: Vec<u64> = self.watched.keys().copied().collect();
        for id in ids {
            self.act(now, id);
        }
    }

    /// The provider sent an opening.
    fn opening_offered(&mut self, now: Timestamp, id: u64, receipts: Vec<Receipt>) {
        if let Some(w) = self.watched.get_mut(&id) {
            if w.opening.is_none() {
                w.opening = Some(receipts);
                w.finding = None;
                self.act(now, id);
            }
            return;
        }
        // Not on our view of the chain yet: keep it and read the account now.
        if !self.offered.contains_key(&id) {
            self.query();
        }
        self.offered.insert(id, receipts);
        while self.offered.len() > MAX_OFFERED {
            self.offered.pop_first();
        }
    }

    fn act(&mut self, now: Timestamp, id: u64) {
        let poll = u128::from(self.cfg.poll_interval_ms);
        // A transaction sent a poll interval ago whose effect the chain does not show yet
        // counts as lost and is sent again (the ledger rejects a repeat harmlessly).
        let due = |sent: Option<Timestamp>| {
            sent.is_none_or(|t| now.saturating_since(t).as_millis() >= poll)
        };
        let Some(w) = self.watched.get_mut(&id) else {
            return;
        };
        let now_s = now.as_secs();
        match w.batch.state {
            BatchState::AwaitingOpening => {
                // The provider owed the opening and the deadline passed: void the batch.
                if now_s >= w.batch.deadline && due(w.voided_at) {
                    w.voided_at = Some(now);
                    let tx = self.tx(Op::Batch(BatchOp::Finalize { id }));
                    self.batch_txs.insert(tx, BatchTx::Void(id));
                }
            }
            BatchState::Open => {
                if now_s >= w.batch.deadline {
                    return;
                }
                if let (Some(opening), None) = (&w.opening, &w.finding) {
                    let finding = audit(
                        &w.batch.commitment,
                        &self.cfg.tee_signer,
                        opening,
                        &self.received,
                    );
                    match &finding {
                        Finding::Fraud(proof) => self.out.event(Event::Challenged {
                            id,
                            kind: proof.kind.clone(),
                        }),
                        Finding::NotAnOpening => {}
                        Finding::Consistent { unmatched } => {
                            let total_fee = w.batch.commitment.total_fee;
                            let unsigned: Vec<Receipt> = unmatched
                                .iter()
                                .filter_map(|i| opening.get(usize::try_from(*i).ok()?))
                                .copied()
                                .collect();
                            w.finding = Some(finding);
                            self.settle_unsigned(now, id, total_fee, &unsigned);
                            return;
                        }
                    }
                    w.finding = Some(finding);
                }
                match &w.finding {
                    Some(Finding::Fraud(proof)) => {
                        if due(w.challenged_at) {
                            w.challenged_at = Some(now);
                            let proof = (**proof).clone();
                            let tx = self.tx(Op::Batch(BatchOp::Challenge { id, proof }));
                            self.batch_txs.insert(tx, BatchTx::Challenge(id));
                        }
                    }
                    Some(Finding::NotAnOpening) => self.demand(now, id),
                    Some(Finding::Consistent { .. }) => {}
                    None => {
                        // No opening yet: ask the provider each poll, and force it on chain
                        // once patience runs out or the window would close before the next
                        // poll.
                        let deadline_ms = w.batch.deadline.saturating_mul(1000);
                        let urgent = u128::from(deadline_ms)
                            <= u128::from(now.as_millis()).saturating_add(2 * poll);
                        let impatient = now.saturating_since(w.first_seen).as_millis()
                            >= u128::from(self.cfg.opening_patience_ms);
                        if urgent || impatient {
                            self.demand(now, id);
                        } else if due(w.requested_at) {
                            w.requested_at = Some(now);
                            self.out
                                .send(self.cfg.provider_node, Message::OpeningRequest { id });
                        }
                    }
                }
            }
            BatchState::Finalized | BatchState::Voided => {}
        }
    }

    fn demand(&mut self, now: Timestamp, id: u64) {
        let poll = u128::from(self.cfg.poll_interval_ms);
        let Some(w) = self.watched.get_mut(&id) else {
            return;
        };
        if w.demanded_at
            .is_some_and(|t| now.saturating_since(t).as_millis() < poll)
        {
            return;
        }
        if w.demanded_at.is_none() {
            self.out.event(Event::OpeningDemanded { id });
        }
        w.demanded_at = Some(now);
        let tx = self.tx(Op::Batch(BatchOp::ChallengeWithheld { id }));
        self.batch_txs.insert(tx, BatchTx::Demand(id));
    }

    /// The most the chain may have charged in live settlement: the fair fees of every receipt
    /// received, plus the most each request sent and never answered may cost (its receipt may
    /// have been lost on the way; the live contract shows only a running total, so such a bill
    /// cannot be told apart until it exceeds what the user authorised).
    fn live_bound(&self) -> Amount {
        let unanswered = self.asks.values().map(|a| {
            let input = self.cfg.input_price.checked_mul(u128::from(a.input_tokens));
            let output = self
                .cfg
                .output_price
                .checked_mul(u128::from(a.max_output_tokens));
            input
                .and_then(|i| output.and_then(|o| i.checked_add(o)))
                .unwrap_or(Amount::MAX)
        });
        unanswered.fold(self.fair_total, |bound, most| {
            bound.checked_add(most).unwrap_or(Amount::MAX)
        })
    }

    /// Receipts of a consistent batch without a signed receipt: fair if they bill a request
    /// sent and never answered, else an over-charge no proof can show.
    fn settle_unsigned(
        &mut self,
        now: Timestamp,
        id: u64,
        total_fee: Amount,
        unsigned: &[Receipt],
    ) {
        let mut unproven = Amount::ZERO;
        for r in unsigned {
            let ask = self.asks.iter().find(|(_, a)| {
                a.request_hash == r.request_hash
                    && a.input_tokens == r.input_tokens
                    && r.output_tokens <= a.max_output_tokens
            });
            if let Some((request_id, _)) = ask {
                let request_id = *request_id;
                self.asks.remove(&request_id);
                self.fair_total = self.fair_total.checked_add(r.fee).unwrap_or(Amount::MAX);
                self.claimed_total = self.claimed_total.checked_add(r.fee).unwrap_or(Amount::MAX);
            } else {
                unproven = unproven.checked_add(r.fee).unwrap_or(Amount::MAX);
            }
        }
        if unproven.is_zero() {
            self.out.event(Event::BatchVerified { id, total_fee });
        } else {
            self.out.event(Event::OverCharge {
                claimed: unproven,
                fair: Amount::ZERO,
            });
            self.stop(now, StopReason::OverCharged);
        }
    }

    fn batch_tx_result(
        &mut self,
        now: Timestamp,
        tx: BatchTx,
        result: Result<Outcome, LedgerError>,
    ) {
        match (tx, result) {
            (
                BatchTx::Challenge(id) | BatchTx::Void(id),
                Ok(Outcome::Batch(BatchOutcome::Voided { slashed, .. })),
            ) => {
                self.watched.remove(&id);
                self.closed.insert(id);
                self.out.event(Event::MadeWhole { id, slashed });
                // The escrow and the slashed stake are back in the account: leave with them.
                if self.stopped.is_some() {
                    self.retrieve(now);
                } else {
                    self.stop(now, StopReason::OverCharged);
                }
            }
            (BatchTx::Challenge(_), _) => {
                // The proof was checked before it was sent; a rejection means the window had
                // closed. The provider cheated all the same.
                self.stop(now, StopReason::OverCharged);
            }
            (
                BatchTx::Demand(id),
                Ok(Outcome::Batch(BatchOutcome::OpeningDemanded { deadline, .. })),
            ) => {
                if let Some(w) = self.watched.get_mut(&id) {
                    w.batch.state = BatchState::AwaitingOpening;
                    w.batch.deadline = deadline;
                }
            }
            // Not void yet (posted meanwhile), a demand not owed, or a repeat: the next view
            // decides.
            (BatchTx::Void(_) | BatchTx::Demand(_), _) => {}
        }
    }
}

impl Machine<Serving> for UserBroker {
    fn handle(&mut self, now: Timestamp, input: Input<Serving>) -> Result<(), Error> {
        match input {
            Input::Command(Command::Ask {
                input_tokens,
                max_output_tokens,
            }) => {
                if self.stopped.is_some() {
                    self.out.event(Event::AskDropped);
                    return Ok(());
                }
                let token = self.token(now)?;
                let request_id = self.next_request;
                self.next_request += 1;
                self.last_ask = now;
                self.asks.insert(
                    request_id,
                    Ask {
                        input_tokens,
                        max_output_tokens,
                        request_hash: token.request_hash(request_id, input_tokens),
                    },
                );
                self.out.send(
                    self.cfg.provider_node,
                    Message::Inference {
                        request_id,
                        token,
                        input_tokens,
                        max_output_tokens,
                    },
                );
            }
            Input::Command(Command::RetrieveFunds) => self.stop(now, StopReason::Retrieved),
            Input::Message {
                message:
                    Message::Served {
                        request_id,
                        delivered_output_tokens,
                        receipt,
                    },
                ..
            } => self.check_receipt(now, request_id, delivered_output_tokens, receipt),
            Input::Message {
                message: Message::Refused { request_id, reason },
                ..
            } => {
                self.asks.remove(&request_id);
                self.out.event(Event::AskRefused { reason });
            }
            Input::Message {
                message: Message::AccountInfo(info),
                ..
            } => {
                if let Some(a) = &info.account {
                    self.generation = a.generation;
                }
                self.batches_seen(now, &info);
                if info.charged > self.live_bound() && self.stopped != Some(StopReason::OverCharged)
                {
                    self.out.event(Event::OverCharge {
                        claimed: info.charged,
                        fair: self.fair_total,
                    });
                    self.stop(now, StopReason::OverCharged);
                }
            }
            Input::Message {
                from,
                message: Message::BatchOpening { id, receipts, .. },
            } if from == self.cfg.provider_node => self.opening_offered(now, id, receipts),
            Input::Message {
                message: Message::TxResult { id, result },
                ..
            } if self.batch_txs.contains_key(&id) => {
                if let Some(tx) = self.batch_txs.remove(&id) {
                    self.batch_tx_result(now, tx, result);
                }
            }
            Input::Message {
                message:
                    Message::TxResult {
                        result: Ok(Outcome::Retrieved { amount }),
                        ..
                    },
                ..
            } if !amount.is_zero() => {
                self.refunded = self.refunded.checked_add(amount).unwrap_or(Amount::MAX);
                self.out.event(Event::RefundReceived { amount });
            }
            Input::Timeout(Timer::Poll) => {
                self.query();
                if let Some(idle) = self.cfg.idle_refund_ms
                    && self.stopped.is_none()
                    && now.saturating_since(self.last_ask).as_millis() >= u128::from(idle)
                {
                    self.stop(now, StopReason::Retrieved);
                }
                self.out
                    .schedule(now.plus_millis(self.cfg.poll_interval_ms), Timer::Poll);
            }
            Input::Timeout(Timer::RefundReady) => {
                self.tx(Op::RetrieveFund {
                    providers: vec![self.cfg.provider],
                });
            }
            _ => {}
        }
        Ok(())
    }

    fn poll_output(&mut self) -> Option<Output<Serving>> {
        self.out.pop()
    }
}
