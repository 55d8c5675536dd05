//! The serving brokers and the ledger node as a market in the simulator, under an arbitrary
//! schedule: requests with any token counts, refunds, forced settlements, provider and user
//! crashes and restarts, over a link with arbitrary loss, duplication and reordering, in live or
//! batch mode. With an honest provider, whatever happens: the ledger's invariants hold (funds
//! conserved, nothing negative), and no user ever pays more than the provider billed it — a
//! receipt is paid at most once.
//!
//! A stranger (a node that is neither the chain, the provider nor a user) attacks at any time
//! and in any order: chain replies to either broker (account views, settlement and batch
//! results), receipts with bad signatures and refusals to users, transactions in a user's
//! name, requests under forged or copied tokens, opening requests and account queries. None of
//! it may change anything: the run is replayed without the stranger's messages and must
//! deliver exactly the same inputs (equal trace hashes) and end with the same ledger. A flood
//! of well-signed tokens from fresh keys with no account (applied to both runs) must leave the
//! provider within its stated bound of users.
#![no_main]

use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zg_core::machine::{Input, Machine};
use zg_core::sim::{Fault, LinkConfig, Simulation};
use zg_core::{Amount, H256, NodeId, Timestamp};
use zg_serving::batch::{BatchOutcome, Receipt, SignedReceipt};
use zg_serving::eth::{Address, SecretKey};
use zg_serving::ledger::{Call, Op, Outcome};
use zg_serving::protocol::{AccountInfo, Command, Event, Message, Refusal, Serving};
use zg_serving::provider::{MAX_PROSPECTS, SettlementMode};
use zg_serving::session::{SessionToken, SignedToken};
use zg_serving::settlement::{ItemResult, SettlementStatus};
use zg_testkit::serving::{
    BatchLog, CHAIN, Kind, Node, PROVIDER, PROVIDER_NODE, chain, domain, market, user_key,
    user_node_id,
};

#[derive(Arbitrary, Debug)]
enum Step {
    Ask {
        user: u8,
        at_s: u16,
        input_tokens: u16,
        max_output_tokens: u16,
    },
    Retrieve {
        user: u8,
        at_s: u16,
    },
    SettleNow {
        at_s: u16,
    },
    CrashProvider {
        at_s: u16,
        down_s: u16,
    },
    CrashUser {
        user: u8,
        at_s: u16,
        down_s: u16,
    },
}

/// What the stranger does.
#[derive(Arbitrary, Debug)]
enum Attack {
    /// Answers the provider as if it were the chain.
    ChainToProvider { id: u8, kind: u8, user: u8 },
    /// Answers a user as if it were the chain.
    ChainToUser {
        id: u8,
        user: u8,
        charged: u64,
        retrieved: bool,
    },
    /// Sends a user a receipt with a bad signature, or a refusal.
    ToUser {
        user: u8,
        request_id: u8,
        refuse: bool,
    },
    /// Transacts in a user's (or the provider's) name.
    TxAs { user: u8, op: u8 },
    /// Sends the provider a request under a forged token, or a copied one it cannot sign for.
    Request {
        user: u8,
        request_id: u8,
        copied: bool,
    },
    /// Asks the provider for a batch opening, or the chain for an account.
    Ask { id: u8, user: u8 },
    /// Fresh keys with well-signed tokens and no account (delivered in both runs).
    Flood { count: u8 },
}

/// The stranger's node: not in the market (replies to it go nowhere).
const STRANGER: NodeId = NodeId(99);

fn token_of(key: &SecretKey, now: Timestamp) -> SignedToken {
    SessionToken {
        user: key.address(),
        provider: PROVIDER,
        issued_at_ms: now.as_millis(),
        expires_at_ms: now.as_millis() + 3_600_000,
        nonce: 0,
        generation: 0,
        token_id: 0,
    }
    .sign(key)
    .expect("signing")
}

/// The stranger's message for `attack` at `now`, and the node it goes to.
fn forge(attack: &Attack, users: usize, now: Timestamp) -> Vec<(NodeId, Message)> {
    let mallory = SecretKey::from_seed(b"mallory");
    let user = |u: u8| usize::from(u) % users;
    match *attack {
        Attack::ChainToProvider { id, kind, user: u } => {
            let info = AccountInfo {
                user: user_key(user(u)).address(),
                provider: PROVIDER,
                account: None,
                service: None,
                lock_time_secs: 3600,
                charged: Amount::new(u128::from(kind) << 40),
                batches: vec![],
            };
            let result = match kind % 4 {
                0 => Ok(Outcome::Settled {
                    results: vec![ItemResult {
                        status: SettlementStatus::NoTeeSigner,
                        settled: Amount::ZERO,
                        unsettled: Amount::new(1),
                    }],
                    paid: Amount::ZERO,
                }),
                1 => Ok(Outcome::Batch(BatchOutcome::Committed {
                    id: u64::from(id),
                    escrow: Amount::new(1),
                    unsettled: Amount::ZERO,
                    deadline: u64::from(kind),
                })),
                2 => Ok(Outcome::Batch(BatchOutcome::Finalized {
                    id: u64::from(id),
                    paid: Amount::new(1),
                })),
                _ => Ok(Outcome::Batch(BatchOutcome::Voided {
                    id: u64::from(id),
                    slashed: Amount::ZERO,
                })),
            };
            vec![
                (PROVIDER_NODE, Message::AccountInfo(Box::new(info))),
                (
                    PROVIDER_NODE,
                    Message::TxResult {
                        id: u64::from(id),
                        result,
                    },
                ),
            ]
        }
        Attack::ChainToUser {
            id,
            user: u,
            charged,
            retrieved,
        } => {
            let info = AccountInfo {
                user: user_key(user(u)).address(),
                provider: PROVIDER,
                account: None,
                service: None,
                lock_time_secs: 3600,
                charged: Amount::new(u128::from(charged) << 32),
                batches: vec![],
            };
            let result = if retrieved {
                Ok(Outcome::Retrieved {
                    amount: Amount::new(u128::from(charged)),
                })
            } else {
                Ok(Outcome::Batch(BatchOutcome::Voided {
                    id: u64::from(id),
                    slashed: Amount::ZERO,
                }))
            };
            let to = user_node_id(user(u));
            vec![
                (to, Message::AccountInfo(Box::new(info))),
                (
                    to,
                    Message::TxResult {
                        id: u64::from(id),
                        result,
                    },
                ),
            ]
        }
        Attack::ToUser {
            user: u,
            request_id,
            refuse,
        } => {
            let to = user_node_id(user(u));
            let message = if refuse {
                Message::Refused {
                    request_id: u64::from(request_id),
                    reason: Refusal::InsufficientBalance,
                }
            } else {
                let receipt = Receipt {
                    seq: u64::from(request_id) + 1,
                    request_hash: H256([request_id; 32]),
                    input_tokens: 300,
                    output_tokens: 10_000,
                    fee: Amount::new(1 << 60),
                };
                Message::Served {
                    request_id: u64::from(request_id),
                    delivered_output_tokens: 10,
                    receipt: SignedReceipt::sign(
                        &mallory,
                        &domain(),
                        &PROVIDER,
                        &user_key(user(u)).address(),
                        receipt,
                    )
                    .expect("signing"),
                }
            };
            vec![(to, message)]
        }
        Attack::TxAs { user: u, op } => {
            let victim = user_key(user(u)).address();
            let (sender, op) = match op % 4 {
                0 => (
                    victim,
                    Op::Refund {
                        amount: Amount::new(1 << 61),
                    },
                ),
                1 => (victim, Op::RevokeAllTokens { provider: PROVIDER }),
                2 => (
                    victim,
                    Op::RetrieveFund {
                        providers: vec![PROVIDER],
                    },
                ),
                _ => (PROVIDER, Op::RemoveService),
            };
            vec![(
                CHAIN,
                Message::Tx {
                    id: u64::from(op_id(u)),
                    call: Call::new(sender, op),
                },
            )]
        }
        Attack::Request {
            user: u,
            request_id,
            copied,
        } => {
            let victim = user_key(user(u));
            // A copied token is the user's own; a forged one names the user but is Mallory's.
            let token = if copied {
                token_of(&victim, now)
            } else {
                let mut t = token_of(&mallory, now);
                t.token.user = victim.address();
                t
            };
            let signature = token
                .sign_request(&mallory, u64::from(request_id), 300, 200)
                .expect("signing");
            vec![(
                PROVIDER_NODE,
                Message::Inference {
                    request_id: u64::from(request_id),
                    token,
                    input_tokens: 300,
                    max_output_tokens: 200,
                    signature,
                },
            )]
        }
        Attack::Ask { id, user: u } => vec![
            (PROVIDER_NODE, Message::OpeningRequest { id: u64::from(id) }),
            (
                CHAIN,
                Message::Query {
                    user: user_key(user(u)).address(),
                    provider: PROVIDER,
                },
            ),
        ],
        Attack::Flood { .. } => vec![],
    }
}

fn op_id(u: u8) -> u8 {
    u.wrapping_mul(7)
}

/// Feeds `message` from `from` straight into node `to` (the simulator carries out what it
/// queues at that node's next input).
fn deliver(sim: &mut Simulation<Serving, Node>, from: NodeId, to: NodeId, message: Message) {
    let now = sim.now();
    if let Some(node) = sim.node_mut(to) {
        let _ = node.handle(now, Input::Message { from, message });
    }
}

#[derive(Arbitrary, Debug)]
struct Run {
    seed: u64,
    users: u8,
    batch: bool,
    loss: u8,
    duplicate: u8,
    reorder: u8,
    steps: Vec<Step>,
    attacks: Vec<(u16, Attack)>,
}

fuzz_target!(|run: Run| {
    let users = usize::from(run.users % 4) + 1;
    let link = LinkConfig {
        loss: f64::from(run.loss % 64) / 256.0,
        duplicate: f64::from(run.duplicate % 64) / 256.0,
        reorder: f64::from(run.reorder % 64) / 256.0,
        reorder_ms: 5_000,
        ..LinkConfig::default()
    };
    let mode = if run.batch {
        SettlementMode::Batch
    } else {
        SettlementMode::Live
    };
    let (Ok(mut sim), Ok(mut twin)) = (
        market(run.seed, users, Kind::Honest(mode), link),
        market(run.seed, users, Kind::Honest(mode), link),
    ) else {
        return;
    };
    let ms = |s: u16| Timestamp(u64::from(s) * 1_000);
    for sim in [&mut sim, &mut twin] {
        schedule(sim, &run, users);
    }
    // The stranger's moves, in time order (any order of kinds).
    let mut attacks: Vec<&(u16, Attack)> = run.attacks.iter().take(32).collect();
    attacks.sort_by_key(|(at, _)| *at);
    for (at_s, attack) in attacks {
        let at = ms(*at_s);
        sim.run_until(at);
        twin.run_until(at);
        if let Attack::Flood { count } = attack {
            // Effectful (the provider reads the chain for each newcomer): both runs get it.
            for i in 0..u32::from(*count) {
                let key = SecretKey::from_seed(&[b"flood".as_slice(), &i.to_be_bytes()].concat());
                let token = token_of(&key, at);
                let signature = token.sign_request(&key, 0, 1, 1).expect("signing");
                let m = Message::Inference {
                    request_id: 0,
                    token,
                    input_tokens: 1,
                    max_output_tokens: 1,
                    signature,
                };
                deliver(&mut sim, STRANGER, PROVIDER_NODE, m.clone());
                deliver(&mut twin, STRANGER, PROVIDER_NODE, m);
            }
            continue;
        }
        for (to, m) in forge(attack, users, at) {
            deliver(&mut sim, STRANGER, to, m);
        }
    }
    sim.run_until(Timestamp(30 * 3600 * 1000));
    twin.run_until(Timestamp(30 * 3600 * 1000));
    assert_eq!(
        sim.trace_hash(),
        twin.trace_hash(),
        "a stranger's message changed what the market did"
    );
    assert!(
        chain(&sim) == chain(&twin),
        "a stranger's message changed the ledger"
    );
    if let Some(p) = sim.node(PROVIDER_NODE).and_then(Node::provider) {
        assert!(
            p.customers() <= users + MAX_PROSPECTS,
            "{} customers for {users} users",
            p.customers()
        );
    }
    check(&sim, users);
});

/// The run's schedule (requests, refunds, settlements, crashes), the same for both runs.
fn schedule(sim: &mut Simulation<Serving, Node>, run: &Run, users: usize) {
    let ms = |s: u16| Timestamp(u64::from(s) * 1_000);
    for step in run.steps.iter().take(64) {
        match *step {
            Step::Ask {
                user,
                at_s,
                input_tokens,
                max_output_tokens,
            } => sim.inject(
                ms(at_s),
                user_node_id(usize::from(user) % users),
                Command::Ask {
                    input_tokens: u64::from(input_tokens),
                    max_output_tokens: u64::from(max_output_tokens),
                },
            ),
            Step::Retrieve { user, at_s } => sim.inject(
                ms(at_s),
                user_node_id(usize::from(user) % users),
                Command::RetrieveFunds,
            ),
            Step::SettleNow { at_s } => sim.inject(ms(at_s), PROVIDER_NODE, Command::SettleNow),
            Step::CrashProvider { at_s, down_s } => {
                sim.schedule(ms(at_s), Fault::Crash(PROVIDER_NODE));
                sim.schedule(
                    ms(at_s.saturating_add(down_s % 3600).saturating_add(1)),
                    Fault::Restart(PROVIDER_NODE),
                );
            }
            Step::CrashUser { user, at_s, down_s } => {
                let id: NodeId = user_node_id(usize::from(user) % users);
                sim.schedule(ms(at_s), Fault::Crash(id));
                sim.schedule(
                    ms(at_s.saturating_add(down_s % 3600).saturating_add(1)),
                    Fault::Restart(id),
                );
            }
        }
    }
}

/// Invariants of a finished run with an honest provider.
fn check(sim: &Simulation<Serving, Node>, users: usize) {
    let log = BatchLog::of(sim);
    let l = chain(sim).expect("the chain never crashes here");
    if let Err(e) = l.check_invariants() {
        panic!("ledger invariants broken: {e}");
    }
    // What the chain paid out per user, from its own record of every settleFees.
    let mut settled: BTreeMap<Address, u128> = BTreeMap::new();
    for (_, node, event) in sim.events() {
        if let (
            true,
            Event::Applied {
                call,
                result: Ok(Outcome::Settled { results, .. }),
            },
        ) = (*node == CHAIN, event)
            && let Op::SettleFees { items } = &call.op
        {
            for (item, r) in items.iter().zip(results) {
                *settled.entry(item.user).or_default() += r.settled.units();
            }
        }
    }
    let batch_paid = log.paid();
    for i in 0..users {
        let user = user_key(i).address();
        let billed = log.billed.get(&user).copied().unwrap_or(0);
        let paid =
            settled.get(&user).copied().unwrap_or(0) + batch_paid.get(&user).copied().unwrap_or(0);
        assert!(
            paid <= billed,
            "user {i} paid {paid} for {billed} billed: {log:?}"
        );
    }
}
