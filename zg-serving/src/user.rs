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
//!   settled to the provider must not exceed the sum of fair fees it received.
//! * **Refusing over-charges**: on either mismatch the broker stops sending requests, revokes
//!   its tokens, and asks for a refund of everything not yet settled (`retrieveFund`:
//!   `processRefund` + `requestRefundAll`); after the lock time it retrieves again, which
//!   releases the refund to the ledger.
//! * **When to refund** otherwise: on [`Command::RetrieveFunds`], or after
//!   [`UserConfig::idle_refund_ms`] without requests.

use std::collections::BTreeMap;

use zg_core::machine::{Input, Machine, Outbox, Output};
use zg_core::{Amount, NodeId, Timestamp};

use crate::Error;
use crate::batch::{SignedReceipt, fee};
use crate::eth::{Address, SecretKey};
use crate::ledger::{Call, Op, Outcome};
use crate::protocol::{Command, Event, Message, Record, Serving, Timer};
use crate::session::{SessionToken, SignedToken};

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
}

/// Why the broker stopped using the provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StopReason {
    /// A receipt or the settled total exceeded what was received.
    OverCharged,
    /// Funds were retrieved on request or idleness.
    Retrieved,
}

/// The user broker. See the [module docs](self).
#[derive(Debug)]
pub struct UserBroker {
    cfg: UserConfig,
    token: Option<SignedToken>,
    next_token_id: u8,
    generation: u64,
    next_request: u64,
    asks: BTreeMap<u64, (u64, u64)>,
    receipts: Vec<SignedReceipt>,
    fair_total: Amount,
    claimed_total: Amount,
    stopped: Option<StopReason>,
    last_ask: Timestamp,
    next_tx: u64,
    refunded: Amount,
    out: Outbox<Serving>,
}

impl UserBroker {
    /// A fresh broker; schedules its first poll.
    pub fn new(cfg: UserConfig, now: Timestamp) -> UserBroker {
        UserBroker::restore(cfg, now, &[])
    }

    /// Rebuilds from persisted records (token ids already used are not reused).
    pub fn restore(cfg: UserConfig, now: Timestamp, records: &[Record]) -> UserBroker {
        let next_token_id = records
            .iter()
            .filter_map(|r| match r {
                Record::TokenIssued { token_id } => Some(token_id.saturating_add(1)),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        let mut out = Outbox::new();
        out.schedule(now.plus_millis(cfg.poll_interval_ms), Timer::Poll);
        UserBroker {
            cfg,
            token: None,
            next_token_id,
            generation: 0,
            next_request: 0,
            asks: BTreeMap::new(),
            receipts: Vec::new(),
            fair_total: Amount::ZERO,
            claimed_total: Amount::ZERO,
            stopped: None,
            last_ask: now,
            next_tx: 0,
            refunded: Amount::ZERO,
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

    /// The signed receipts accepted (evidence for compressed-batch challenges).
    pub fn receipts(&self) -> &[SignedReceipt] {
        &self.receipts
    }

    fn tx(&mut self, op: Op) {
        let id = self.next_tx;
        self.next_tx += 1;
        self.out.send(
            self.cfg.chain,
            Message::Tx {
                id,
                call: Call::new(self.cfg.key.address(), op),
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
        let Some((input, max_out)) = self.asks.remove(&request_id) else {
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
            self.receipts.push(receipt);
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
                self.asks
                    .insert(request_id, (input_tokens, max_output_tokens));
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
                if info.charged > self.fair_total {
                    self.out.event(Event::OverCharge {
                        claimed: info.charged,
                        fair: self.fair_total,
                    });
                    self.stop(now, StopReason::OverCharged);
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
                self.out.send(
                    self.cfg.chain,
                    Message::Query {
                        user: self.cfg.key.address(),
                        provider: self.cfg.provider,
                    },
                );
                if let Some(idle) = self.cfg.idle_refund_ms
                    && self.stopped.is_none()
                    && now.saturating_since(self.last_ask).as_millis() >= u128::from(idle)
                {
                    self.stop(now, StopReason::Retrieved);
                }
                self.out
                    .schedule(now.plus_millis(self.cfg.poll_interval_ms), Timer::Poll);
            }
            Input::Timeout(Timer::RefundReady) => self.tx(Op::RetrieveFund {
                providers: vec![self.cfg.provider],
            }),
            _ => {}
        }
        Ok(())
    }

    fn poll_output(&mut self) -> Option<Output<Serving>> {
        self.out.pop()
    }
}
