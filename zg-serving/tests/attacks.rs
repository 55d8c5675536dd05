// Test code: a panic here is a failure report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

//! Attacks on the brokers and the ledger node, driven through their public machine API: the
//! attacker's message first in the queue, from a node it is not, with a signature that does
//! not verify, or as a flood that must stay within the crate's stated bounds. Each test is
//! named after the attack it drives.

use std::collections::VecDeque;

use zg_core::machine::{Input, Machine, Output, Recipient};
use zg_core::{Amount, NodeId, Timestamp};
use zg_serving::LedgerError;
use zg_serving::batch::{BatchOutcome, Receipt, SignedReceipt};
use zg_serving::eip712::SignatureScheme;
use zg_serving::eth::{Address, SecretKey};
use zg_serving::ledger::{Call, Op, Outcome, TOKEN};
use zg_serving::protocol::{Command, Event, LedgerNode, Message, Refusal, Request};
use zg_serving::provider::{
    MAX_PARKED, MAX_PROSPECTS, ProviderBroker, ProviderConfig, SettlementMode,
};
use zg_serving::session::{SessionToken, SignedToken, TokenError};
use zg_serving::settlement::{ItemResult, SettlementStatus};
use zg_serving::user::{UserBroker, UserConfig};
use zg_testkit::serving::{
    INPUT_PRICE, LOCK_SECS, OUTPUT_PRICE, PROVIDER, domain, genesis, provider_tee, user_key,
};

const CHAIN: NodeId = NodeId(0);
const PROV: NodeId = NodeId(1);
const USER: NodeId = NodeId(2);
const MALLORY: NodeId = NodeId(9);

/// The chain, one provider broker and one user broker, wired by hand: messages are delivered
/// in order, timers never fire on their own, the model answers every request at once with 100
/// output tokens. Messages to a node in `held` wait in `held_msgs` (a slow or cut link).
struct Net {
    now: Timestamp,
    chain: LedgerNode,
    provider: ProviderBroker,
    user: UserBroker,
    queue: VecDeque<(NodeId, NodeId, Message)>,
    held: Vec<NodeId>,
    held_msgs: Vec<(NodeId, NodeId, Message)>,
    /// Transactions to the chain are lost (into `dropped`) while set.
    drop_txs: bool,
    /// The model is busy: requests handed to it are not answered (only counted) while set.
    model_stalled: bool,
    at_the_model: usize,
    dropped: Vec<Message>,
    /// Everything delivered, as (from, to, message).
    log: Vec<(NodeId, NodeId, Message)>,
    provider_events: Vec<Event>,
    user_events: Vec<Event>,
}

impl Net {
    fn new(mode: SettlementMode) -> Net {
        let now = Timestamp::from_secs(1_000);
        let tee = provider_tee();
        let chain = LedgerNode::new(genesis(&tee, 1).unwrap())
            .with_peer(PROV, PROVIDER)
            .with_peer(USER, user_key(0).address());
        let mut pcfg = ProviderConfig::new(
            PROVIDER,
            tee.clone(),
            CHAIN,
            domain(),
            SignatureScheme::Eip712,
            INPUT_PRICE,
            OUTPUT_PRICE,
            LOCK_SECS,
        );
        pcfg.settlement = mode;
        let ucfg = UserConfig {
            key: user_key(0),
            provider: PROVIDER,
            provider_node: PROV,
            chain: CHAIN,
            tee_signer: tee.address(),
            domain: domain(),
            input_price: INPUT_PRICE,
            output_price: OUTPUT_PRICE,
            lock_time_secs: LOCK_SECS,
            token_lifetime_ms: 3600 * 1000,
            poll_interval_ms: 5 * 60 * 1000,
            idle_refund_ms: None,
            opening_patience_ms: 30 * 60 * 1000,
        };
        let mut net = Net {
            now,
            chain,
            provider: ProviderBroker::new(pcfg, now),
            user: UserBroker::new(ucfg, now),
            queue: VecDeque::new(),
            held: Vec::new(),
            held_msgs: Vec::new(),
            drop_txs: false,
            model_stalled: false,
            at_the_model: 0,
            dropped: Vec::new(),
            log: Vec::new(),
            provider_events: Vec::new(),
            user_events: Vec::new(),
        };
        net.run();
        net
    }

    fn collect(&mut self) -> bool {
        let mut served = Vec::new();
        let mut any = false;
        for (from, outs) in [
            (CHAIN, self.chain.drain_outputs()),
            (PROV, self.provider.drain_outputs()),
            (USER, self.user.drain_outputs()),
        ] {
            for out in outs {
                match out {
                    Output::Send {
                        to: Recipient::One(to),
                        message,
                    } => {
                        any = true;
                        self.queue.push_back((from, to, message));
                    }
                    Output::Request(Request::Serve {
                        user, request_id, ..
                    }) => {
                        if self.model_stalled {
                            self.at_the_model += 1;
                        } else {
                            served.push((user, request_id));
                        }
                    }
                    Output::Event(e) if from == PROV => self.provider_events.push(e),
                    Output::Event(e) if from == USER => self.user_events.push(e),
                    _ => {}
                }
            }
        }
        for (user, request_id) in served {
            any = true;
            self.provider
                .handle(
                    self.now,
                    Input::Command(Command::Served {
                        user,
                        request_id,
                        output_tokens: 100,
                    }),
                )
                .unwrap();
        }
        any
    }

    fn deliver(&mut self, from: NodeId, to: NodeId, message: Message) {
        if self.drop_txs && to == CHAIN && matches!(message, Message::Tx { .. }) {
            self.dropped.push(message);
            return;
        }
        if self.held.contains(&to) {
            self.held_msgs.push((from, to, message));
            return;
        }
        self.log.push((from, to, message.clone()));
        let input = Input::Message { from, message };
        let _ = match to {
            CHAIN => self.chain.handle(self.now, input),
            PROV => self.provider.handle(self.now, input),
            USER => self.user.handle(self.now, input),
            _ => Ok(()),
        };
    }

    fn run(&mut self) {
        loop {
            self.collect();
            let Some((from, to, m)) = self.queue.pop_front() else {
                if !self.collect() {
                    return;
                }
                continue;
            };
            self.deliver(from, to, m);
        }
    }

    /// The attacker's message, delivered before anything queued.
    fn attack(&mut self, from: NodeId, to: NodeId, message: Message) {
        self.collect();
        self.deliver(from, to, message);
        self.run();
    }

    fn release(&mut self) {
        self.held.clear();
        for (from, to, m) in std::mem::take(&mut self.held_msgs) {
            self.queue.push_back((from, to, m));
        }
        self.run();
    }

    fn ask(&mut self) {
        self.user
            .handle(
                self.now,
                Input::Command(Command::Ask {
                    input_tokens: 300,
                    max_output_tokens: 200,
                }),
            )
            .unwrap();
        self.run();
    }

    fn provider_cmd(&mut self, c: Command) {
        self.provider.handle(self.now, Input::Command(c)).unwrap();
        self.run();
    }

    fn sent_to(&self, to: NodeId) -> Vec<&Message> {
        self.log
            .iter()
            .filter(|(_, t, _)| *t == to)
            .map(|(_, _, m)| m)
            .collect()
    }

    /// The user's first request as the provider saw it (what a bearer of the token copies).
    fn users_first_request(&self) -> Message {
        self.log
            .iter()
            .find(|(f, t, m)| *f == USER && *t == PROV && matches!(m, Message::Inference { .. }))
            .map(|(_, _, m)| m.clone())
            .unwrap()
    }

    fn user_stopped_or_overcharged(&self) -> bool {
        self.user.stopped().is_some()
            || self
                .user_events
                .iter()
                .any(|e| matches!(e, Event::OverCharge { .. }))
    }
}

fn signed_token(key: &SecretKey, now: Timestamp) -> SignedToken {
    SessionToken {
        user: key.address(),
        provider: PROVIDER,
        issued_at_ms: now.as_millis(),
        expires_at_ms: now.as_millis() + 3600 * 1000,
        nonce: 1,
        generation: 0,
        token_id: 0,
    }
    .sign(key)
    .unwrap()
}

/// A request under `token` signed by `key` (the token's user, or anyone else).
fn inference(key: &SecretKey, token: &SignedToken, request_id: u64) -> Message {
    Message::Inference {
        request_id,
        token: token.clone(),
        input_tokens: 300,
        max_output_tokens: 200,
        signature: token.sign_request(key, request_id, 300, 200).unwrap(),
    }
}

// ----- the provider broker trusts any sender ------------------------------------------------

#[test]
fn forged_preview_reply_wipes_the_users_unsettled_receipts() {
    let mut net = Net::new(SettlementMode::Live);
    for _ in 0..3 {
        net.ask();
    }
    let unsettled = net.provider.unsettled(&user_key(0).address());
    assert!(!unsettled.is_zero());
    // The chain is slow: the round's account read waits; Mallory answers it, then answers the
    // preview with NO_TEE_SIGNER (which makes a provider drop the receipts as unpayable).
    net.held = vec![CHAIN];
    net.provider_cmd(Command::SettleNow);
    let account = net
        .chain
        .ledger()
        .account(&user_key(0).address(), &PROVIDER)
        .cloned();
    let info = zg_serving::protocol::AccountInfo {
        user: user_key(0).address(),
        provider: PROVIDER,
        account,
        service: net.chain.ledger().service(&PROVIDER).cloned(),
        lock_time_secs: LOCK_SECS,
        charged: Amount::ZERO,
        batches: vec![],
    };
    net.attack(MALLORY, PROV, Message::AccountInfo(Box::new(info)));
    for id in 0..8 {
        net.attack(
            MALLORY,
            PROV,
            Message::TxResult {
                id,
                result: Ok(Outcome::Settled {
                    results: vec![ItemResult {
                        status: SettlementStatus::NoTeeSigner,
                        settled: Amount::ZERO,
                        unsettled,
                    }],
                    paid: Amount::ZERO,
                }),
            },
        );
    }
    assert_eq!(
        net.provider.unsettled(&user_key(0).address()),
        unsettled,
        "a stranger's reply dropped the receipts"
    );
    // The real chain's replies still settle them.
    net.release();
    assert!(net.provider.unsettled(&user_key(0).address()).is_zero());
    assert!(net.chain.ledger().check_invariants().is_ok());
}

#[test]
fn forged_committed_result_books_a_fake_batch() {
    let mut net = Net::new(SettlementMode::Batch);
    for _ in 0..3 {
        net.ask();
    }
    let before = net.provider.unsettled(&user_key(0).address());
    assert!(!before.is_zero());
    // The chain answers the round's reads, but the commit transaction is lost.
    net.drop_txs = true;
    net.provider_cmd(Command::SettleNow);
    assert!(!net.dropped.is_empty(), "the provider sent its commit");
    // Mallory "confirms" it under every plausible transaction id.
    for id in 0..8 {
        net.attack(
            MALLORY,
            PROV,
            Message::TxResult {
                id,
                result: Ok(Outcome::Batch(BatchOutcome::Committed {
                    id: 77,
                    escrow: before,
                    unsettled: Amount::ZERO,
                    deadline: 2_000_000,
                })),
            },
        );
    }
    assert_eq!(
        net.provider.open_batches().count(),
        0,
        "a stranger booked a batch the chain never saw"
    );
    assert_eq!(net.provider.unsettled(&user_key(0).address()), before);
}

// ----- the user broker trusts any sender ------------------------------------------------------

#[test]
fn forged_receipt_with_a_bad_signature_makes_the_user_revoke_and_withdraw() {
    let mut net = Net::new(SettlementMode::Live);
    net.held = vec![PROV];
    net.ask();
    let mallory = SecretKey::from_seed(b"mallory");
    let bogus = SignedReceipt::sign(
        &mallory,
        &domain(),
        &PROVIDER,
        &user_key(0).address(),
        Receipt {
            seq: 1,
            request_hash: zg_core::H256::ZERO,
            input_tokens: 300,
            output_tokens: 10_000,
            fee: Amount::new(TOKEN),
        },
    )
    .unwrap();
    // From a stranger's node, and from the provider's node with a signature that fails.
    for from in [MALLORY, PROV] {
        net.attack(
            from,
            USER,
            Message::Served {
                request_id: 0,
                delivered_output_tokens: 100,
                receipt: bogus,
            },
        );
    }
    assert!(
        !net.user_stopped_or_overcharged(),
        "a receipt that does not verify was taken as proof of over-charging"
    );
    // The real answer is still accepted.
    net.release();
    assert!(!net.user_stopped_or_overcharged());
    assert!(!net.user.fair_total().is_zero());
}

#[test]
fn forged_account_info_makes_the_user_leave() {
    let mut net = Net::new(SettlementMode::Live);
    net.ask();
    let info = zg_serving::protocol::AccountInfo {
        user: user_key(0).address(),
        provider: PROVIDER,
        account: None,
        service: None,
        lock_time_secs: LOCK_SECS,
        charged: Amount::new(100 * TOKEN),
        batches: vec![],
    };
    net.attack(MALLORY, USER, Message::AccountInfo(Box::new(info)));
    assert!(
        !net.user_stopped_or_overcharged(),
        "a stranger's account view made the user leave"
    );
}

#[test]
fn forged_refusal_cancels_the_users_pending_request() {
    let mut net = Net::new(SettlementMode::Live);
    net.held = vec![PROV];
    net.ask();
    net.attack(
        MALLORY,
        USER,
        Message::Refused {
            request_id: 0,
            reason: Refusal::InsufficientBalance,
        },
    );
    assert!(
        !net.user_events
            .iter()
            .any(|e| matches!(e, Event::AskRefused { .. })),
        "a stranger's refusal was believed"
    );
    net.release();
    assert!(!net.user.fair_total().is_zero());
}

// ----- the ledger node takes the sender from the message body --------------------------------

#[test]
fn ledger_node_takes_the_sender_from_the_message_body() {
    let mut net = Net::new(SettlementMode::Live);
    let victim = user_key(0).address();
    let before = net.chain.ledger().clone();
    for op in [
        Op::Refund {
            amount: Amount::new(5 * TOKEN),
        },
        Op::RevokeAllTokens { provider: PROVIDER },
        Op::RetrieveFund {
            providers: vec![PROVIDER],
        },
    ] {
        net.attack(
            MALLORY,
            CHAIN,
            Message::Tx {
                id: 1,
                call: Call::new(victim, op),
            },
        );
    }
    assert_eq!(
        net.chain.ledger(),
        &before,
        "a stranger's transaction was applied as the victim's"
    );
    // Even from the victim's own node, a body naming someone else is refused.
    net.attack(
        USER,
        CHAIN,
        Message::Tx {
            id: 2,
            call: Call::new(PROVIDER, Op::RemoveService),
        },
    );
    assert_eq!(net.chain.ledger(), &before);
    let results: Vec<_> = net
        .log
        .iter()
        .filter_map(|(_, t, m)| match m {
            Message::TxResult { result, .. } if *t == MALLORY || *t == USER => Some(result),
            _ => None,
        })
        .collect();
    assert!(results.len() >= 4);
    assert!(
        results
            .iter()
            .all(|r| **r == Err(LedgerError::SenderNotAuthenticated))
    );
}

// ----- strangers get no state -------------------------------------------------------------------

#[test]
fn forged_tokens_create_customers_parked_queues_and_chain_queries() {
    let mut net = Net::new(SettlementMode::Live);
    net.held = vec![CHAIN];
    let mallory = SecretKey::from_seed(b"mallory");
    // Tokens naming 2,000 different users, all signed by Mallory (so none verifies).
    for i in 0..2_000u32 {
        let mut token = signed_token(&mallory, net.now);
        token.token.user = Address({
            let mut a = [0x77; 20];
            a[..4].copy_from_slice(&i.to_be_bytes());
            a
        });
        let m = inference(&mallory, &token, 0);
        net.attack(MALLORY, PROV, m);
    }
    let queries = net
        .held_msgs
        .iter()
        .filter(|(_, _, m)| matches!(m, Message::Query { .. }))
        .count();
    assert_eq!(
        queries, 0,
        "a forged token made the provider query the chain"
    );
    assert_eq!(net.provider.customers(), 0, "a forged token created state");
}

#[test]
fn a_flood_of_strangers_with_valid_tokens_stays_within_the_prospect_bound() {
    let mut net = Net::new(SettlementMode::Live);
    net.held = vec![CHAIN];
    // 600 fresh keys, each with a well-signed token but no account on chain.
    for i in 0..600u32 {
        let key = SecretKey::from_seed(&i.to_be_bytes());
        let token = signed_token(&key, net.now);
        net.attack(MALLORY, PROV, inference(&key, &token, 0));
    }
    let queries = net
        .held_msgs
        .iter()
        .filter(|(_, _, m)| matches!(m, Message::Query { .. }))
        .count();
    assert!(
        queries <= MAX_PROSPECTS,
        "{queries} chain queries for strangers (bound {MAX_PROSPECTS})"
    );
    assert!(net.provider.customers() <= MAX_PROSPECTS);
    let busy = net
        .sent_to(MALLORY)
        .iter()
        .filter(|m| matches!(m, Message::Refused { .. }))
        .count();
    assert_eq!(
        busy,
        600 - MAX_PROSPECTS,
        "the rest are refused, not queued"
    );
    // The chain answers "no account": every prospect is forgotten.
    net.release();
    assert_eq!(net.provider.customers(), 0);
    // And a real user is served again.
    net.ask();
    assert!(!net.user.fair_total().is_zero());
}

#[test]
fn a_flood_of_requests_while_the_chain_is_slow_stays_within_the_parked_bound() {
    let mut net = Net::new(SettlementMode::Live);
    net.held = vec![CHAIN];
    let key = user_key(0);
    let token = signed_token(&key, net.now);
    for id in 0..1_000u64 {
        net.attack(USER, PROV, inference(&key, &token, id));
    }
    let refused = net
        .sent_to(USER)
        .iter()
        .filter(|m| matches!(m, Message::Refused { .. }))
        .count();
    assert_eq!(
        refused,
        1_000 - MAX_PARKED,
        "parked requests beyond the bound"
    );
    let queries = net
        .held_msgs
        .iter()
        .filter(|(_, _, m)| matches!(m, Message::Query { .. }))
        .count();
    assert_eq!(queries, 1, "one read per customer at a time");
}

// ----- token and request smaller defects -------------------------------------------------------

#[test]
fn a_bearer_of_the_token_pre_sends_the_users_next_request_and_takes_the_reply() {
    let mut net = Net::new(SettlementMode::Live);
    net.ask();
    let Message::Inference { token, .. } = net.users_first_request() else {
        unreachable!()
    };
    // Mallory holds the token (it travels in every request) and sends request id 1 first,
    // with the input the user will ask for.
    let mallory = SecretKey::from_seed(b"mallory");
    net.attack(MALLORY, PROV, inference(&mallory, &token, 1));
    net.ask();
    let stolen = net
        .sent_to(MALLORY)
        .iter()
        .filter(|m| matches!(m, Message::Served { .. }))
        .count();
    assert_eq!(stolen, 0, "the bearer was served on the user's account");
    let answered = net
        .sent_to(USER)
        .iter()
        .filter(|m| matches!(m, Message::Served { .. }))
        .count();
    assert_eq!(
        answered, 2,
        "the user's own second request was dropped as a duplicate"
    );
    assert!(!net.user_stopped_or_overcharged());
}

#[test]
fn an_ephemeral_token_issued_in_the_future_outlives_24_hours() {
    let net = Net::new(SettlementMode::Live);
    let key = user_key(0);
    let account = net
        .chain
        .ledger()
        .account(&key.address(), &PROVIDER)
        .cloned()
        .unwrap();
    let now = net.now;
    let day = 24 * 3600 * 1000;
    let token = SessionToken {
        user: key.address(),
        provider: PROVIDER,
        issued_at_ms: now.as_millis() + 30 * day,
        expires_at_ms: now.as_millis() + 31 * day,
        nonce: 7,
        generation: 0,
        token_id: zg_serving::session::EPHEMERAL_TOKEN_ID,
    }
    .sign(&key)
    .unwrap();
    assert!(
        token.verify(&PROVIDER, now, Some(&account)).is_err(),
        "an ephemeral token valid for 31 days"
    );
    // One issued now for a day is fine.
    let fine = SessionToken {
        issued_at_ms: now.as_millis(),
        expires_at_ms: now.as_millis() + day,
        ..token.token.clone()
    }
    .sign(&key)
    .unwrap();
    assert_eq!(fine.verify(&PROVIDER, now, Some(&account)), Ok(()));
    let _ = TokenError::Expired;
}

#[test]
fn a_request_replayed_after_the_duplicate_filter_forgets_it_is_billed_again() {
    let mut net = Net::new(SettlementMode::Live);
    let key = user_key(0);
    let token = signed_token(&key, net.now);
    let first = inference(&key, &token, 0);
    net.attack(USER, PROV, first.clone());
    // The user goes on: more requests than the duplicate filter remembers.
    let n = zg_serving::provider::SEEN_REQUESTS as u64 + 10;
    for id in 1..=n {
        net.attack(USER, PROV, inference(&key, &token, id));
    }
    let billed = |net: &Net| {
        net.provider_events
            .iter()
            .filter(|e| matches!(e, Event::Served { .. }))
            .count()
    };
    assert_eq!(billed(&net) as u64, n + 1);
    // Mallory, who saw request 0 on the wire, sends it again.
    net.attack(MALLORY, PROV, first);
    assert_eq!(
        billed(&net) as u64,
        n + 1,
        "a replayed request was served and billed again"
    );
    assert!(
        !net.sent_to(MALLORY)
            .iter()
            .any(|m| matches!(m, Message::Served { .. }))
    );
}

#[test]
fn a_flood_of_opening_requests_turns_into_a_flood_of_chain_reads() {
    let mut net = Net::new(SettlementMode::Batch);
    net.ask();
    net.held = vec![CHAIN];
    for id in 0..1_000u64 {
        net.attack(USER, PROV, Message::OpeningRequest { id: 100 + id });
        net.attack(MALLORY, PROV, Message::OpeningRequest { id: 100 + id });
    }
    let queries = net
        .held_msgs
        .iter()
        .filter(|(_, _, m)| matches!(m, Message::Query { .. }))
        .count();
    assert!(
        queries <= 1,
        "{queries} chain reads for 2,000 requests of batches nobody committed"
    );
}

#[test]
fn a_signer_rotation_leaves_the_user_paying_for_receipts_it_cannot_check() {
    let mut net = Net::new(SettlementMode::Live);
    net.ask();
    // The provider rotates its TEE signer on chain (no batch is open) and the owner
    // acknowledges the new one: receipts signed by the new key no longer verify against the
    // signer the user was configured with, so they are noise to it.
    let mut params = net
        .chain
        .ledger()
        .service(&PROVIDER)
        .unwrap()
        .params
        .clone();
    params.tee_signer = SecretKey::from_seed(b"rotated tee").address();
    for call in [
        Call::new(PROVIDER, Op::AddOrUpdateService { params }),
        Call::new(
            zg_testkit::serving::OWNER,
            Op::AcknowledgeTeeSignerByOwner { provider: PROVIDER },
        ),
    ] {
        net.chain
            .handle(net.now, Input::Command(Command::Ledger(Box::new(call))))
            .unwrap();
    }
    net.run();
    net.user
        .handle(net.now, Input::Timeout(zg_serving::protocol::Timer::Poll))
        .unwrap();
    net.run();
    assert!(
        net.user.stopped().is_some(),
        "the user keeps using a provider whose receipts it cannot verify"
    );
    net.ask();
    assert!(
        net.user_events
            .iter()
            .any(|e| matches!(e, Event::AskDropped)),
        "a request was sent after the signer changed"
    );
}

#[test]
fn a_flood_of_requests_while_the_model_is_busy_stays_within_the_in_flight_bound() {
    let mut net = Net::new(SettlementMode::Live);
    net.ask();
    net.model_stalled = true;
    let key = user_key(0);
    let token = signed_token(&key, net.now);
    for id in 0..1_000u64 {
        net.attack(USER, PROV, inference(&key, &token, id));
    }
    let busy = net
        .sent_to(USER)
        .iter()
        .filter(|m| {
            matches!(
                m,
                Message::Refused {
                    reason: Refusal::Busy,
                    ..
                }
            )
        })
        .count();
    let bound = zg_serving::provider::MAX_IN_FLIGHT;
    assert!(
        net.at_the_model <= bound,
        "{} requests at the model (bound {bound})",
        net.at_the_model
    );
    assert_eq!(
        busy + net.at_the_model,
        1_000,
        "the rest are refused, not queued"
    );
}
