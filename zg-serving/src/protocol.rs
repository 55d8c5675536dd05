//! The sans-IO vocabulary of serving: one [`Serving`] protocol spoken by the ledger node, the
//! provider broker and the user broker, so one simulator runs all three.
//!
//! Message flow: a user broker sends [`Message::Inference`] (with a signed session token) to a
//! provider broker, which answers [`Message::Served`] (with a signed receipt) or
//! [`Message::Refused`]. Both brokers talk to the chain — a [`LedgerNode`] — with
//! [`Message::Tx`] (answered by [`Message::TxResult`]) and [`Message::Query`] (answered by
//! [`Message::AccountInfo`]).
//!
//! Compressed batches ([`crate::batch`]) add two messages: a provider sends each user the
//! opening of a batch it committed against the user's account ([`Message::BatchOpening`]), and
//! a user who has not received one asks for it ([`Message::OpeningRequest`]). Both brokers
//! watch the account's batches through [`AccountInfo::batches`], which is what a node learns
//! from the contract's batch events and, for a forced opening, from the `PostOpening`
//! calldata.

use std::collections::BTreeMap;

use zg_core::machine::{Input, Machine, Outbox, Output, Protocol};
use zg_core::{Amount, NodeId, Timestamp};

use crate::batch::{
    Batch, BatchCommitment, BatchOutcome, BatchState, FraudKind, Receipt, SignedReceipt,
};
use crate::eth::{Address, U256};
use crate::ledger::{Account, Call, Ledger, Op, Outcome, Service};
use crate::session::{SignedToken, TokenError};
use crate::settlement::SettlementStatus;
use crate::{Error, LedgerError};

/// Marker type of the serving protocol.
#[derive(Debug)]
pub struct Serving;

impl Protocol for Serving {
    type Message = Message;
    type Timer = Timer;
    type Command = Command;
    type Request = Request;
    type Record = Record;
    type Event = Event;
    type Error = Error;
}

/// What an account looks like on chain, as a broker reads it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AccountInfo {
    /// The user.
    pub user: Address,
    /// The provider.
    pub provider: Address,
    /// The account, if it exists.
    pub account: Option<Account>,
    /// The provider's service, if registered.
    pub service: Option<Service>,
    /// The contract's lock time, seconds.
    pub lock_time_secs: u64,
    /// Total paid from this account to the provider so far (from settlement events and
    /// finalised compressed batches).
    pub charged: Amount,
    /// The account's compressed batches that are open, awaiting a forced opening, or closed
    /// within the last challenge window, by id.
    pub batches: Vec<BatchInfo>,
}

/// A compressed batch as a broker reads it from the chain.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BatchInfo {
    /// The batch: commitment, escrow, state, deadline.
    pub batch: Batch,
    /// The receipts, if the provider posted the opening on chain ([`crate::batch::BatchOp::PostOpening`];
    /// the ledger accepted them, so they rebuild the root).
    pub posted: Option<Vec<Receipt>>,
}

/// Why a provider refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// The session token failed.
    Token(TokenError),
    /// The user or the owner has not acknowledged the TEE signer.
    NotAcknowledged,
    /// Balance below unsettled fees + input fee + output reservation.
    InsufficientBalance,
    /// The fee does not fit the amount type.
    Overflow,
}

/// A message between machines.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Message {
    /// User → provider: serve this.
    Inference {
        /// The user's request id.
        request_id: u64,
        /// The session token.
        token: SignedToken,
        /// Input tokens of the prompt.
        input_tokens: u64,
        /// Most output tokens the user will pay for.
        max_output_tokens: u64,
    },
    /// Provider → user: the answer and its signed receipt.
    Served {
        /// The user's request id.
        request_id: u64,
        /// Output tokens actually delivered (what the user can count).
        delivered_output_tokens: u64,
        /// The bill for it.
        receipt: SignedReceipt,
    },
    /// Provider → user: not served.
    Refused {
        /// The user's request id.
        request_id: u64,
        /// Why.
        reason: Refusal,
    },
    /// Broker → chain: a transaction.
    Tx {
        /// The sender's id for matching the result.
        id: u64,
        /// The call.
        call: Call,
    },
    /// Chain → broker: a transaction's result.
    TxResult {
        /// The id sent with the transaction.
        id: u64,
        /// What happened.
        result: Result<Outcome, LedgerError>,
    },
    /// Broker → chain: read an account.
    Query {
        /// The user.
        user: Address,
        /// The provider.
        provider: Address,
    },
    /// Chain → broker: an account as it stands.
    AccountInfo(Box<AccountInfo>),
    /// Provider → user: the opening of compressed batch `id` committed against the user's
    /// account: every receipt of the batch, in order (the user rebuilds the tree and every
    /// O(log N) path from them).
    BatchOpening {
        /// The batch id on chain.
        id: u64,
        /// The commitment the provider says it signed (the user trusts the chain's copy).
        commitment: BatchCommitment,
        /// The receipts, in sequence order.
        receipts: Vec<Receipt>,
    },
    /// User → provider: send me the opening of batch `id`.
    OpeningRequest {
        /// The batch id on chain.
        id: u64,
    },
}

/// Timers of the brokers.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    /// Provider: evaluate the settlement triggers.
    Check,
    /// Provider: the periodic settlement that ignores triggers.
    Force,
    /// User: read the account and compare what was charged with what was received.
    Poll,
    /// User: the lock time of a requested refund has passed.
    RefundReady,
    /// Provider: the challenge window of compressed batch `id` has ended.
    Finalize(u64),
}

/// Commands from a machine's host.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    /// To a [`LedgerNode`]: apply a call locally.
    Ledger(Box<Call>),
    /// To a user broker: send a request.
    Ask {
        /// Input tokens.
        input_tokens: u64,
        /// Output cap.
        max_output_tokens: u64,
    },
    /// To a user broker: take the funds back from the provider (refund flow).
    RetrieveFunds,
    /// To a provider broker: the model finished a request (answer to [`Request::Serve`]).
    Served {
        /// The user.
        user: Address,
        /// The user's request id.
        request_id: u64,
        /// Output tokens produced.
        output_tokens: u64,
    },
    /// To a provider broker: settle now.
    SettleNow,
}

/// What a provider broker asks its host for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Request {
    /// Run the model; answer with [`Command::Served`].
    Serve {
        /// The user.
        user: Address,
        /// The user's request id.
        request_id: u64,
        /// Input tokens.
        input_tokens: u64,
        /// Output cap.
        max_output_tokens: u64,
    },
}

/// What brokers persist (replayed by their `restore`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Record {
    /// Provider: a receipt issued to `user` at `node`.
    Receipt {
        /// The user.
        user: Address,
        /// Where the user is.
        node: NodeId,
        /// The receipt.
        receipt: Receipt,
    },
    /// Provider: receipts of `user` up to `through_seq` are settled or dropped.
    Settled {
        /// The user.
        user: Address,
        /// Last seq closed.
        through_seq: u64,
    },
    /// Provider: the last settlement nonce used.
    Nonce(U256),
    /// User: a session token id was used.
    TokenIssued {
        /// The id.
        token_id: u8,
    },
    /// Provider: a compressed batch of `user`'s receipts `commitment.first_seq ..
    /// first_seq + count` was committed on chain as batch `id`.
    BatchCommitted {
        /// The batch id.
        id: u64,
        /// The user.
        user: Address,
        /// The commitment.
        commitment: BatchCommitment,
        /// Held in escrow.
        escrow: Amount,
        /// End of the challenge window, seconds.
        deadline: u64,
    },
    /// Provider: batch `id` is finalised or voided.
    BatchClosed {
        /// The batch id.
        id: u64,
    },
    /// User: a provider-signed receipt was accepted (evidence for challenges).
    Accepted(SignedReceipt),
    /// Provider (live mode): settlements for `user` are signed under `nonce` until an account
    /// view or a result shows it consumed; `charged_before` is what the chain had charged the
    /// user before it. `None`: nothing pending.
    PendingNonce {
        /// The user.
        user: Address,
        /// The pending nonce and the charge before it, or `None` once resolved.
        pending: Option<(U256, Amount)>,
    },
}

/// What the machines report.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Event {
    /// Ledger node: a call was applied (or reverted).
    Applied {
        /// The call.
        call: Box<Call>,
        /// Its result.
        result: Result<Outcome, LedgerError>,
    },
    /// Provider: a request was served.
    Served {
        /// The user.
        user: Address,
        /// The receipt.
        receipt: Receipt,
    },
    /// Provider: a request was refused.
    Refused {
        /// The user.
        user: Address,
        /// Why.
        reason: Refusal,
    },
    /// Provider: a settlement round started.
    RoundStarted {
        /// What triggered it.
        trigger: Trigger,
    },
    /// Provider: one user's settlement result.
    Settled {
        /// The user.
        user: Address,
        /// The status.
        status: SettlementStatus,
        /// Paid.
        settled: Amount,
        /// Not paid.
        unsettled: Amount,
    },
    /// User: a receipt was checked and accepted.
    Received {
        /// Its fee.
        fee: Amount,
    },
    /// User: the provider claims more than the user received; the user stops paying.
    OverCharge {
        /// What the provider claims (receipt or settlements).
        claimed: Amount,
        /// What the user computes it owes.
        fair: Amount,
    },
    /// User: a request was not sent because the user stopped using the provider.
    AskDropped,
    /// User: a request was refused by the provider.
    AskRefused {
        /// Why.
        reason: Refusal,
    },
    /// User: refund requested.
    RefundRequested,
    /// User: matured refunds came back to the ledger.
    RefundReceived {
        /// How much.
        amount: Amount,
    },
    /// Provider: a compressed batch was committed.
    BatchCommitted {
        /// The user charged.
        user: Address,
        /// The batch id.
        id: u64,
        /// Receipts in it.
        count: u64,
        /// Held in escrow.
        escrow: Amount,
        /// Not covered by the balance (lost to the provider, like PARTIAL's shortfall).
        unsettled: Amount,
    },
    /// Provider: a batch commitment was rejected; its receipts wait for the next round.
    BatchRejected {
        /// The user.
        user: Address,
        /// Why.
        error: LedgerError,
    },
    /// Provider: a demanded opening was posted on chain.
    OpeningPosted {
        /// The user.
        user: Address,
        /// The batch id.
        id: u64,
        /// The reopened challenge window's end, seconds.
        deadline: u64,
    },
    /// Provider: a batch was paid out after its window.
    BatchFinalized {
        /// The user.
        user: Address,
        /// The batch id.
        id: u64,
        /// Paid.
        paid: Amount,
    },
    /// Provider: a batch of its was voided (challenged, or an owed opening never posted).
    BatchVoided {
        /// The user.
        user: Address,
        /// The batch id.
        id: u64,
    },
    /// User: a batch's opening matched the root and every receipt in it.
    BatchVerified {
        /// The batch id.
        id: u64,
        /// Its total fee.
        total_fee: Amount,
    },
    /// User: a fraud proof was submitted against a batch.
    Challenged {
        /// The batch id.
        id: u64,
        /// What it proves.
        kind: FraudKind,
    },
    /// User: the batch's opening is missing or wrong; it was demanded on chain.
    OpeningDemanded {
        /// The batch id.
        id: u64,
    },
    /// User: a batch against it was voided: its escrow is back in the account and `slashed`
    /// of the provider's stake was credited to it.
    MadeWhole {
        /// The batch id.
        id: u64,
        /// Stake credited.
        slashed: Amount,
    },
}

/// Why a settlement round started.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Trigger {
    /// A user's balance minus unsettled fees fell under the threshold.
    Threshold,
    /// A refund requested since the last balance check could mature before the next check.
    LockTimeRisk,
    /// The periodic settlement.
    Periodic,
    /// The host asked.
    Manual,
}

/// The ledger as a node of the serving network: a [`Ledger`] that executes [`Message::Tx`]
/// transactions from brokers (replying [`Message::TxResult`]), answers [`Message::Query`], and
/// applies [`Command::Ledger`] calls from its host. It also indexes settlement results per
/// account (what a user's node learns from `TEESettlementResult` events).
///
/// It indexes compressed batches per account the same way (`BatchCommitted`-style events, and
/// the receipts of a posted opening from the `PostOpening` calldata) and reports them in
/// [`AccountInfo::batches`] until one challenge window after they close.
///
/// # Driving contract
///
/// * Inputs: [`Message::Tx`] and [`Message::Query`] from any node, and [`Command::Ledger`]
///   (calls the host applies itself, e.g. genesis or other contracts' transactions). Other
///   inputs are ignored. A transaction's sender is the call's `sender` (`msg.sender`, which a
///   real chain takes from the transaction's signature); the node it came from only gets the
///   reply.
/// * Outputs, drained in order after every input: for each call applied, one
///   [`Event::Applied`] (reverted ones too, with their error) and, for a [`Message::Tx`], a
///   [`Message::TxResult`] with the sender's `id` to the node it came from; for a
///   [`Message::Query`], one [`Message::AccountInfo`] back. No timers, requests or records.
/// * A reverted call changes nothing. [`Command::Ledger`] returns its revert as the error of
///   `handle`; a reverted [`Message::Tx`] is only reported (the broker reads it from the result).
/// * Persistence and restart: it persists nothing — the chain is its own storage; a host that
///   restarts it builds it again with [`LedgerNode::new`] over the ledger as it stands. It is
///   never done.
///
/// ```
/// use zg_core::machine::{Input, Machine, Output, Recipient};
/// use zg_core::{Amount, NodeId, Timestamp};
/// use zg_serving::eip712::Domain;
/// use zg_serving::eth::{Address, U256};
/// use zg_serving::ledger::{Call, Ledger, LedgerConfig, Limits, Op, ServiceParams, TOKEN};
/// use zg_serving::protocol::{Command, Event, LedgerNode, Message};
///
/// let (owner, provider, user) = (Address([0xee; 20]), Address([0x22; 20]), Address([0x11; 20]));
/// let domain = Domain::new(U256::from(16601u64), Address([0xcc; 20]));
/// let config = LedgerConfig { owner, domain, lock_time_secs: 7_200, limits: Limits::default() };
/// let mut chain = LedgerNode::new(Ledger::new(config)?);
/// let now = Timestamp::from_secs(1);
///
/// // The host applies genesis calls itself.
/// let service = Call::new(provider, Op::AddOrUpdateService { params: ServiceParams::default() })
///     .with_value(Amount::new(100 * TOKEN));
/// chain.handle(now, Input::Command(Command::Ledger(Box::new(service))))?;
/// assert!(matches!(chain.drain_outputs()[..], [Output::Event(Event::Applied { result: Ok(_), .. })]));
///
/// // A user's broker at node 5 sends transactions and reads its account.
/// let broker = NodeId(5);
/// let txs = [
///     (1, Call::new(user, Op::DepositFund).with_value(Amount::new(3 * TOKEN))),
///     (2, Call::new(user, Op::TransferFund { provider, amount: Amount::new(2 * TOKEN) })),
///     (3, Call::new(user, Op::Refund { amount: Amount::new(9 * TOKEN) })), // more than it has
/// ];
/// let mut results = Vec::new();
/// for (id, call) in txs {
///     chain.handle(now, Input::Message { from: broker, message: Message::Tx { id, call } })?;
///     for output in chain.drain_outputs() {
///         match output {
///             Output::Send { to, message: Message::TxResult { id, result } } => {
///                 assert_eq!(to, Recipient::One(broker));
///                 results.push((id, result.is_ok()));
///             }
///             Output::Event(Event::Applied { .. }) => {}
///             other => unreachable!("{other:?}"),
///         }
///     }
/// }
/// assert_eq!(results, [(1, true), (2, true), (3, false)]);
/// chain.handle(now, Input::Message { from: broker, message: Message::Query { user, provider } })?;
/// match &chain.drain_outputs()[..] {
///     [Output::Send { message: Message::AccountInfo(info), .. }] => {
///         // The reverted refund changed nothing.
///         assert_eq!(info.account.as_ref().map(|a| a.balance), Some(Amount::new(2 * TOKEN)));
///     }
///     other => unreachable!("{other:?}"),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct LedgerNode {
    ledger: Ledger,
    charged: BTreeMap<(Address, Address), Amount>,
    /// Batch ids per (user, provider), with the time (seconds) each closed.
    batches: BTreeMap<(Address, Address), BTreeMap<u64, Option<u64>>>,
    /// Openings posted on chain, by batch id.
    posted: BTreeMap<u64, Vec<Receipt>>,
    out: Outbox<Serving>,
}

impl LedgerNode {
    /// A node over `ledger` (batches already in it are indexed).
    pub fn new(ledger: Ledger) -> LedgerNode {
        let mut batches: BTreeMap<(Address, Address), BTreeMap<u64, Option<u64>>> = BTreeMap::new();
        for b in ledger.batches() {
            let closed = matches!(b.state, BatchState::Finalized | BatchState::Voided);
            batches
                .entry((b.commitment.user, b.commitment.provider))
                .or_default()
                .insert(b.id, closed.then_some(0));
        }
        LedgerNode {
            ledger,
            charged: BTreeMap::new(),
            batches,
            posted: BTreeMap::new(),
            out: Outbox::new(),
        }
    }

    /// The ledger.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    fn apply(&mut self, now: Timestamp, call: &Call) -> Result<Outcome, LedgerError> {
        let result = self.ledger.apply(now, call);
        if let (Ok(Outcome::Settled { results, .. }), Op::SettleFees { items }) =
            (&result, &call.op)
        {
            for (item, r) in items.iter().zip(results) {
                if !r.settled.is_zero() {
                    let c = self.charged.entry((item.user, call.sender)).or_default();
                    *c = c.checked_add(r.settled).unwrap_or(Amount::MAX);
                }
            }
        }
        if let Ok(Outcome::Batch(outcome)) = &result {
            self.index_batch(now, &call.op, outcome);
        }
        self.out.event(Event::Applied {
            call: Box::new(call.clone()),
            result: result.clone(),
        });
        result
    }

    /// Books a batch call's outcome: the account's batch list, posted openings, payouts.
    fn index_batch(&mut self, now: Timestamp, op: &Op, outcome: &BatchOutcome) {
        let (id, closed) = match outcome {
            BatchOutcome::Committed { id, .. } => (*id, false),
            BatchOutcome::Opened { id, .. } => {
                if let Op::Batch(crate::batch::BatchOp::PostOpening { receipts, .. }) = op {
                    self.posted.insert(*id, receipts.clone());
                }
                (*id, false)
            }
            BatchOutcome::OpeningDemanded { id, .. } => (*id, false),
            BatchOutcome::Finalized { id, .. } | BatchOutcome::Voided { id, .. } => (*id, true),
        };
        let Some(b) = self.ledger.batch(id) else {
            return;
        };
        let key = (b.commitment.user, b.commitment.provider);
        if let BatchOutcome::Finalized { paid, .. } = outcome {
            let c = self.charged.entry(key).or_default();
            *c = c.checked_add(*paid).unwrap_or(Amount::MAX);
        }
        self.batches
            .entry(key)
            .or_default()
            .insert(id, closed.then_some(now.as_secs()));
    }

    /// The account's batches worth reporting: open ones, and those closed within the last
    /// challenge window (older ones are forgotten here).
    fn batch_infos(&mut self, now: Timestamp, user: Address, provider: Address) -> Vec<BatchInfo> {
        let window = self.ledger.config().limits.batch_challenge_window;
        let Some(ids) = self.batches.get_mut(&(user, provider)) else {
            return Vec::new();
        };
        let mut forgotten = Vec::new();
        ids.retain(|id, closed| {
            let keep = closed.is_none_or(|t| t.saturating_add(window) > now.as_secs());
            if !keep {
                forgotten.push(*id);
            }
            keep
        });
        for id in forgotten {
            self.posted.remove(&id);
        }
        ids.keys()
            .filter_map(|id| {
                Some(BatchInfo {
                    batch: self.ledger.batch(*id)?.clone(),
                    posted: self.posted.get(id).cloned(),
                })
            })
            .collect()
    }

    fn info(&mut self, now: Timestamp, user: Address, provider: Address) -> AccountInfo {
        let batches = self.batch_infos(now, user, provider);
        AccountInfo {
            batches,
            user,
            provider,
            account: self.ledger.account(&user, &provider).cloned(),
            service: self.ledger.service(&provider).cloned(),
            lock_time_secs: self.ledger.lock_time_secs(),
            charged: self
                .charged
                .get(&(user, provider))
                .copied()
                .unwrap_or_default(),
        }
    }
}

impl Machine<Serving> for LedgerNode {
    fn handle(&mut self, now: Timestamp, input: Input<Serving>) -> Result<(), Error> {
        match input {
            Input::Message {
                from,
                message: Message::Tx { id, call },
            } => {
                let result = self.apply(now, &call);
                self.out.send(from, Message::TxResult { id, result });
            }
            Input::Message {
                from,
                message: Message::Query { user, provider },
            } => {
                let info = self.info(now, user, provider);
                self.out.send(from, Message::AccountInfo(Box::new(info)));
            }
            Input::Command(Command::Ledger(call)) => {
                self.apply(now, &call)?;
            }
            _ => {}
        }
        Ok(())
    }

    fn poll_output(&mut self) -> Option<Output<Serving>> {
        self.out.pop()
    }
}
