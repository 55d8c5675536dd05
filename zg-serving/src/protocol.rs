//! The sans-IO vocabulary of serving: one [`Serving`] protocol spoken by the ledger node, the
//! provider broker and the user broker, so one simulator runs all three.
//!
//! Message flow: a user broker sends [`Message::Inference`] (with a signed session token) to a
//! provider broker, which answers [`Message::Served`] (with a signed receipt) or
//! [`Message::Refused`]. Both brokers talk to the chain — a [`LedgerNode`] — with
//! [`Message::Tx`] (answered by [`Message::TxResult`]) and [`Message::Query`] (answered by
//! [`Message::AccountInfo`]).

use std::collections::BTreeMap;

use zg_core::machine::{Input, Machine, Outbox, Output, Protocol};
use zg_core::{Amount, NodeId, Timestamp};

use crate::batch::{Receipt, SignedReceipt};
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
    /// Total settled from this account to the provider so far (from settlement events).
    pub charged: Amount,
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
/// Driving: feed messages and commands; drain outputs (sends and [`Event::Applied`]). It keeps
/// no timers and persists nothing (the chain is its own storage).
#[derive(Debug)]
pub struct LedgerNode {
    ledger: Ledger,
    charged: BTreeMap<(Address, Address), Amount>,
    out: Outbox<Serving>,
}

impl LedgerNode {
    /// A node over `ledger`.
    pub fn new(ledger: Ledger) -> LedgerNode {
        LedgerNode {
            ledger,
            charged: BTreeMap::new(),
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
        self.out.event(Event::Applied {
            call: Box::new(call.clone()),
            result: result.clone(),
        });
        result
    }

    fn info(&self, user: Address, provider: Address) -> AccountInfo {
        AccountInfo {
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
                let info = self.info(user, provider);
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
