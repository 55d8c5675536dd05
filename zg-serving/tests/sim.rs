// Test code: a panic here is a failure report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

//! The brokers and the ledger node in the zg-core simulator: a user who disappears after
//! asking for a refund still pays, and an over-charging provider is refused and loses the user.

use std::time::Duration;

use zg_core::machine::{Input, Machine, Output, Recipient};
use zg_core::sim::{Fault, LinkConfig, SimConfig, Simulation};
use zg_core::{Amount, NodeId, Timestamp};
use zg_serving::batch::SignedReceipt;
use zg_serving::eip712::{Domain, SignatureScheme};
use zg_serving::eth::{Address, SecretKey, U256};
use zg_serving::ledger::{Call, Ledger, LedgerConfig, Limits, Op, ServiceParams, TOKEN};
use zg_serving::protocol::{Command, Event, LedgerNode, Message, Request, Serving};
use zg_serving::provider::{ProviderBroker, ProviderConfig};
use zg_serving::user::{StopReason, UserBroker, UserConfig};

const CHAIN: NodeId = NodeId(0);
const PROVIDER_NODE: NodeId = NodeId(1);
const OWNER: Address = Address([0xee; 20]);
const PROVIDER: Address = Address([0x22; 20]);
const LOCK: u64 = 2 * 3600;
const PIN: Amount = Amount::new(1_000_000_000);
const POUT: Amount = Amount::new(2_000_000_000);

enum Node {
    Chain(LedgerNode),
    Provider(ProviderBroker),
    /// A provider that inflates the output tokens of every receipt it sends (re-signed).
    Overcharger(ProviderBroker, SecretKey),
    User(UserBroker),
}

impl Machine<Serving> for Node {
    fn handle(&mut self, now: Timestamp, input: Input<Serving>) -> Result<(), zg_serving::Error> {
        match self {
            Node::Chain(m) => m.handle(now, input),
            Node::Provider(m) | Node::Overcharger(m, _) => m.handle(now, input),
            Node::User(m) => m.handle(now, input),
        }
    }

    fn poll_output(&mut self) -> Option<Output<Serving>> {
        match self {
            Node::Chain(m) => m.poll_output(),
            Node::Provider(m) => m.poll_output(),
            Node::User(m) => m.poll_output(),
            Node::Overcharger(m, key) => match m.poll_output()? {
                Output::Send {
                    to,
                    message:
                        Message::Served {
                            request_id,
                            delivered_output_tokens,
                            receipt,
                        },
                } => {
                    let mut r = receipt.receipt;
                    r.output_tokens += r.output_tokens / 2 + 1;
                    r.fee =
                        zg_serving::batch::fee(r.input_tokens, r.output_tokens, PIN, POUT).unwrap();
                    Some(Output::Send {
                        to,
                        message: Message::Served {
                            request_id,
                            delivered_output_tokens,
                            receipt: SignedReceipt::sign(key, r).unwrap(),
                        },
                    })
                }
                other => Some(other),
            },
        }
    }
}

fn user_key(i: usize) -> SecretKey {
    SecretKey::from_seed(&[b'u', i as u8])
}

fn domain() -> Domain {
    Domain::new(U256::from(16601u64), Address([0xcc; 20]))
}

/// A chain with the provider's service and `users` funded accounts (10 tokens, 5 to the
/// provider each).
fn genesis(tee: &SecretKey, users: usize) -> Ledger {
    let mut l = Ledger::new(LedgerConfig {
        owner: OWNER,
        domain: domain(),
        lock_time_secs: LOCK,
        limits: Limits::default(),
    })
    .unwrap();
    let t = Timestamp::ZERO;
    let params = ServiceParams {
        input_price: PIN,
        output_price: POUT,
        tee_signer: tee.address(),
        scheme: SignatureScheme::Eip712,
        ..ServiceParams::default()
    };
    l.apply(
        t,
        &Call::new(PROVIDER, Op::AddOrUpdateService { params })
            .with_value(Amount::new(100 * TOKEN)),
    )
    .unwrap();
    l.apply(
        t,
        &Call::new(
            OWNER,
            Op::AcknowledgeTeeSignerByOwner { provider: PROVIDER },
        ),
    )
    .unwrap();
    for i in 0..users {
        let u = user_key(i).address();
        l.apply(
            t,
            &Call::new(u, Op::DepositFund).with_value(Amount::new(10 * TOKEN)),
        )
        .unwrap();
        l.apply(
            t,
            &Call::new(
                u,
                Op::TransferFund {
                    provider: PROVIDER,
                    amount: Amount::new(5 * TOKEN),
                },
            ),
        )
        .unwrap();
    }
    l
}

fn simulation(seed: u64, users: usize, overcharge: bool) -> Simulation<Serving, Node> {
    let tee = SecretKey::from_seed(b"provider tee");
    let chain = genesis(&tee, users);
    let config = SimConfig {
        seed,
        link: LinkConfig::default(),
    };
    let mut sim = Simulation::new(config, 2 + users, move |id, now, _records| {
        if id == CHAIN {
            return Node::Chain(LedgerNode::new(chain.clone()));
        }
        if id == PROVIDER_NODE {
            let cfg = ProviderConfig::new(
                PROVIDER,
                tee.clone(),
                CHAIN,
                domain(),
                SignatureScheme::Eip712,
                PIN,
                POUT,
                LOCK,
            );
            let broker = ProviderBroker::new(cfg, now);
            return if overcharge {
                Node::Overcharger(broker, tee.clone())
            } else {
                Node::Provider(broker)
            };
        }
        let i = (id.0 - 2) as usize;
        Node::User(UserBroker::new(
            UserConfig {
                key: user_key(i),
                provider: PROVIDER,
                provider_node: PROVIDER_NODE,
                chain: CHAIN,
                tee_signer: tee.address(),
                input_price: PIN,
                output_price: POUT,
                lock_time_secs: LOCK,
                token_lifetime_ms: 3600 * 1000,
                poll_interval_ms: 5 * 60 * 1000,
                idle_refund_ms: None,
            },
            now,
        ))
    });
    // The model: answers after 200 ms with 50–149 output tokens (capped).
    sim.set_host(|_node, _now, request, rng| match request {
        Request::Serve {
            user,
            request_id,
            max_output_tokens,
            ..
        } => vec![(
            Duration::from_millis(200),
            Command::Served {
                user,
                request_id,
                output_tokens: (50 + rng.below(100)).min(max_output_tokens),
            },
        )],
    });
    sim
}

fn chain(sim: &Simulation<Serving, Node>) -> &Ledger {
    match sim.node(CHAIN) {
        Some(Node::Chain(c)) => c.ledger(),
        _ => panic!("chain is down"),
    }
}

fn ask(sim: &mut Simulation<Serving, Node>, user: usize, at_ms: u64) {
    sim.inject(
        Timestamp(at_ms),
        NodeId(2 + user as u64),
        Command::Ask {
            input_tokens: 300,
            max_output_tokens: 200,
        },
    );
}

#[test]
fn a_user_who_disappears_after_requesting_a_refund_still_pays() {
    for seed in [1u64, 2, 3] {
        let users = 3;
        let mut sim = simulation(seed, users, false);
        for u in 0..users {
            for k in 0..20 {
                ask(&mut sim, u, 1_000 + k * 30_000 + u as u64 * 7_000);
            }
        }
        // User 2 asks for its money back, then vanishes for good.
        let vanish = NodeId(4);
        sim.inject(Timestamp(11 * 60 * 1000), vanish, Command::RetrieveFunds);
        sim.schedule(Timestamp(11 * 60 * 1000 + 1_000), Fault::Crash(vanish));
        sim.run_until(Timestamp::from_secs(LOCK + 3 * 3600));

        // Every receipt issued was settled, the vanished user's included, before its refund
        // matured (settlement cancels pending refunds most recent first).
        let mut billed = std::collections::BTreeMap::<Address, u128>::new();
        let mut paid = std::collections::BTreeMap::<Address, u128>::new();
        for (_, node, ev) in sim.events() {
            match ev {
                Event::Served { user, receipt } if *node == PROVIDER_NODE => {
                    *billed.entry(*user).or_default() += receipt.fee.units();
                }
                Event::Settled { user, settled, .. } => {
                    *paid.entry(*user).or_default() += settled.units();
                }
                _ => {}
            }
        }
        assert_eq!(billed.len(), 3, "seed {seed}: every user was served");
        assert_eq!(billed, paid, "seed {seed}: every bill paid");
        let l = chain(&sim);
        l.check_invariants().unwrap();
        let gone = user_key(2).address();
        let a = l.account(&gone, &PROVIDER).unwrap();
        // The refund (what was not spent) is still pending for the vanished user.
        assert_eq!(
            a.pending_refund.units() + billed[&gone],
            5 * TOKEN,
            "seed {seed}: the rest stays refundable"
        );
        let total_paid: u128 = paid.values().sum();
        assert_eq!(l.totals().paid_to_providers.units(), total_paid);
        assert!(sim.errors().is_empty(), "{:?}", sim.errors());
    }
}

#[test]
fn an_over_charging_provider_is_refused_and_the_user_gets_its_money_back() {
    let seed = 7;
    let mut sim = simulation(seed, 1, true);
    for k in 0..10 {
        ask(&mut sim, 0, 1_000 + k * 10_000);
    }
    sim.run_until(Timestamp::from_secs(LOCK + 3600));
    let user = match sim.node(NodeId(2)) {
        Some(Node::User(u)) => u,
        _ => panic!("user down"),
    };
    assert_eq!(user.stopped(), Some(StopReason::OverCharged), "seed {seed}");
    let events: Vec<_> = sim
        .events()
        .iter()
        .map(|(_, n, e)| (*n, e.clone()))
        .collect();
    let overcharges = events
        .iter()
        .filter(|(_, e)| matches!(e, Event::OverCharge { .. }))
        .count();
    assert!(overcharges >= 1);
    // After the first over-charged receipt, the user sends nothing more.
    let dropped = events
        .iter()
        .filter(|(_, e)| matches!(e, Event::AskDropped))
        .count();
    assert_eq!(dropped, 9, "seed {seed}: every later request is withheld");
    // Tokens were revoked on chain and the unspent funds came back after the lock time.
    let l = chain(&sim);
    let u = user_key(0).address();
    let a = l.account(&u, &PROVIDER).unwrap();
    assert_eq!(a.generation, 1, "tokens revoked");
    let charged: u128 = events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Settled { settled, .. } => Some(settled.units()),
            _ => None,
        })
        .sum();
    assert!(user.refunded().units() > 0);
    assert_eq!(
        user.refunded().units() + charged + a.balance.units(),
        5 * TOKEN,
        "everything transferred is either refunded, fairly charged, or still in the account"
    );
    // What the provider settled is the fair fee of what it really delivered, never the
    // inflated receipt.
    assert!(charged <= fair_bound(&events));
    l.check_invariants().unwrap();
    let sent_after_stop = events
        .iter()
        .filter(|(n, e)| *n == PROVIDER_NODE && matches!(e, Event::Served { .. }))
        .count();
    assert!(
        sent_after_stop <= 1,
        "only the in-flight request was served"
    );
    let _ = Recipient::All;
}

/// The fair fee of everything the provider served (its own receipts are honest here; only the
/// copies it sent were inflated).
fn fair_bound(events: &[(NodeId, Event)]) -> u128 {
    events
        .iter()
        .filter_map(|(n, e)| match e {
            Event::Served { receipt, .. } if *n == PROVIDER_NODE => Some(receipt.fee.units()),
            _ => None,
        })
        .sum()
}
