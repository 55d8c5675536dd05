//! The serving marketplace in the zg-core simulator: a chain node running the
//! [`Ledger`], one provider broker (honest or one of several cheats) and any number of user
//! brokers, wired so that a test, a benchmark or the devnet builds a whole market in one call
//! and reads back what happened.
//!
//! Node ids are fixed: [`CHAIN`] is 0, [`PROVIDER_NODE`] is 1, user `i` is [`user_node_id`]`(i)`
//! = 2 + i. The genesis ledger gives the provider a service (stake 100 tokens, prices
//! [`INPUT_PRICE`]/[`OUTPUT_PRICE`], EIP-712 settlement) and every user 10 tokens, 5 of them
//! moved to the provider. The model behind the provider answers after 200 ms with 50–149 output
//! tokens (the host's seeded RNG decides, so a seed replays the run).
//!
//! ```
//! use zg_core::Timestamp;
//! use zg_core::sim::LinkConfig;
//! use zg_serving::provider::SettlementMode;
//! use zg_testkit::serving::{BatchLog, Kind, ask, chain, market};
//!
//! let mut sim = market(7, 2, Kind::Honest(SettlementMode::Live), LinkConfig::default())?;
//! for k in 0..5 {
//!     ask(&mut sim, 0, 1_000 + k * 30_000);
//!     ask(&mut sim, 1, 2_000 + k * 30_000);
//! }
//! sim.run_until(Timestamp::from_secs(6 * 3600));
//! let log = BatchLog::of(&sim);
//! assert_eq!(log.billed.len(), 2); // both users were served and billed
//! assert!(chain(&sim).is_some_and(|l| l.check_invariants().is_ok()));
//! # Ok::<(), zg_serving::Error>(())
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use zg_core::machine::{Input, Machine, Output};
use zg_core::sim::{LinkConfig, SimConfig, Simulation};
use zg_core::{Amount, H256, NodeId, Timestamp};

use zg_serving::Error;
use zg_serving::batch::SignedReceipt;
use zg_serving::batch::{
    self, BatchCommitment, BatchOp, BatchOutcome, BatchTree, FraudKind, Receipt,
};
use zg_serving::eip712::{Domain, SignatureScheme};
use zg_serving::eth::{Address, SecretKey, U256};
use zg_serving::ledger::{Call, Ledger, LedgerConfig, Limits, Op, Outcome, ServiceParams, TOKEN};
use zg_serving::protocol::{Command, Event, LedgerNode, Message, Request, Serving};
use zg_serving::provider::{ProviderBroker, ProviderConfig, SettlementMode};
use zg_serving::user::{UserBroker, UserConfig};

/// The chain (ledger) node.
pub const CHAIN: NodeId = NodeId(0);
/// The provider's node.
pub const PROVIDER_NODE: NodeId = NodeId(1);
/// The contract owner (acknowledges TEE signers).
pub const OWNER: Address = Address([0xee; 20]);
/// The provider's account address.
pub const PROVIDER: Address = Address([0x22; 20]);
/// Refund lock time of the genesis ledger, in seconds (2 h).
pub const LOCK_SECS: u64 = 2 * 3600;
/// Price of an input token (smallest units).
pub const INPUT_PRICE: Amount = Amount::new(1_000_000_000);
/// Price of an output token (smallest units).
pub const OUTPUT_PRICE: Amount = Amount::new(2_000_000_000);
/// The provider's stake at genesis.
pub const PROVIDER_STAKE: Amount = Amount::new(100 * TOKEN);
/// What each user deposits at genesis (half of it moved to the provider's sub-account).
pub const USER_DEPOSIT: Amount = Amount::new(10 * TOKEN);

/// How the provider node behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An honest broker settling as the mode says.
    Honest(SettlementMode),
    /// Live mode; inflates every receipt it sends to users (re-signed with its TEE key).
    Overcharger,
    /// Batch mode; commits a forged batch (and sends its opening) instead of the honest one.
    Cheat(Cheat),
    /// Batch mode; never sends an opening off chain, and posts a demanded one only if `post`.
    Withholder {
        /// Whether it posts an opening the user demands on chain.
        post: bool,
    },
}

/// How a cheating provider forges its batches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cheat {
    /// Bills more output tokens for one request than the receipt it signed at serving time.
    Equivocate,
    /// Doubles one fee, off the price formula.
    FeeFormula,
    /// Claims a total above the tree's sum.
    InflateTotal,
    /// Hides a billed leaf past `count`.
    HiddenLeaf,
    /// Bills one extra request that was never made (fee and sequence consistent).
    Phantom,
}

/// One machine of the market: the chain, the provider (honest or not) or a user.
pub enum Node {
    /// The chain running the ledger.
    Chain(LedgerNode),
    /// An honest provider broker.
    Provider(ProviderBroker),
    /// A provider that inflates the output tokens of every receipt it sends (re-signed).
    Overcharger(ProviderBroker, SecretKey),
    /// A provider that forges its batch commitments.
    Cheater(Box<Cheater>),
    /// A provider that withholds openings; posts demanded ones only if the flag is set.
    Withholder(ProviderBroker, bool),
    /// A user broker.
    User(UserBroker),
}

impl Node {
    /// The ledger, if this is the chain node.
    pub fn ledger(&self) -> Option<&Ledger> {
        match self {
            Node::Chain(c) => Some(c.ledger()),
            _ => None,
        }
    }

    /// The provider broker inside any provider variant.
    pub fn provider(&self) -> Option<&ProviderBroker> {
        match self {
            Node::Provider(p) | Node::Overcharger(p, _) | Node::Withholder(p, _) => Some(p),
            Node::Cheater(c) => Some(&c.inner),
            _ => None,
        }
    }

    /// The user broker, if this is a user.
    pub fn user(&self) -> Option<&UserBroker> {
        match self {
            Node::User(u) => Some(u),
            _ => None,
        }
    }

    fn overcharge(key: &SecretKey, receipt: SignedReceipt) -> SignedReceipt {
        let mut r = receipt.receipt;
        r.output_tokens += r.output_tokens / 2 + 1;
        let inflated = batch::fee(r.input_tokens, r.output_tokens, INPUT_PRICE, OUTPUT_PRICE)
            .and_then(|fee| SignedReceipt::sign(key, Receipt { fee, ..r }));
        // A cheat that cannot be built (overflow) degrades to the honest receipt.
        inflated.unwrap_or(receipt)
    }
}

/// An honest broker whose batch commitments (and the openings it sends) are swapped for forged
/// ones signed with the same TEE key.
pub struct Cheater {
    inner: ProviderBroker,
    tee: SecretKey,
    cheat: Cheat,
    served: BTreeMap<(Address, u64), Receipt>,
    forged: BTreeMap<(Address, u64), (BatchCommitment, Vec<Receipt>)>,
}

impl Cheater {
    /// The forged commitment for `honest`, or `None` if the receipts it covers are unknown.
    fn forge(&mut self, honest: &BatchCommitment) -> Option<BatchCommitment> {
        let last = honest.first_seq + honest.count;
        let mut rs = (honest.first_seq..last)
            .map(|seq| self.served.get(&(honest.user, seq)).copied())
            .collect::<Option<Vec<Receipt>>>()?;
        let k = rs.len() / 2;
        let middle = *rs.get(k)?;
        let extra = Receipt {
            seq: last,
            request_hash: H256([0xab; 32]),
            ..middle
        };
        match self.cheat {
            Cheat::Equivocate => {
                let r = rs.get_mut(k)?;
                r.output_tokens += 100;
                r.fee =
                    batch::fee(r.input_tokens, r.output_tokens, INPUT_PRICE, OUTPUT_PRICE).ok()?;
            }
            Cheat::FeeFormula => {
                let r = rs.get_mut(k)?;
                r.fee = r.fee.checked_mul(2).ok()?;
            }
            Cheat::InflateTotal => {}
            Cheat::HiddenLeaf | Cheat::Phantom => rs.push(extra),
        }
        let tree = BatchTree::build(rs.clone()).ok()?;
        let mut c = tree.commitment(
            honest.provider,
            honest.user,
            honest.input_price,
            honest.output_price,
            honest.nonce,
        );
        match self.cheat {
            Cheat::InflateTotal => {
                c.total_fee = c.total_fee.checked_add(Amount::new(TOKEN / 1000)).ok()?
            }
            Cheat::HiddenLeaf => c.count = honest.count,
            _ => {}
        }
        self.forged.insert((c.user, c.first_seq), (c, rs));
        Some(c)
    }

    fn poll_output(&mut self) -> Option<Output<Serving>> {
        let out = self.inner.poll_output()?;
        Some(match out {
            Output::Event(Event::Served { user, receipt }) => {
                self.served.insert((user, receipt.seq), receipt);
                Output::Event(Event::Served { user, receipt })
            }
            Output::Send {
                to,
                message: Message::Tx { id, call },
            } => {
                let call = match &call.op {
                    Op::Batch(BatchOp::Commit { commitment, .. }) => {
                        let forged = self.forge(commitment).and_then(|commitment| {
                            let signature = commitment.sign(&self.tee, &domain()).ok()?;
                            Some(Call::new(
                                call.sender,
                                Op::Batch(BatchOp::Commit {
                                    commitment,
                                    signature,
                                }),
                            ))
                        });
                        forged.unwrap_or(call)
                    }
                    _ => call,
                };
                Output::Send {
                    to,
                    message: Message::Tx { id, call },
                }
            }
            Output::Send {
                to,
                message:
                    Message::BatchOpening {
                        id,
                        commitment,
                        receipts,
                    },
            } => {
                let (commitment, receipts) = self
                    .forged
                    .get(&(commitment.user, commitment.first_seq))
                    .cloned()
                    .unwrap_or((commitment, receipts));
                Output::Send {
                    to,
                    message: Message::BatchOpening {
                        id,
                        commitment,
                        receipts,
                    },
                }
            }
            other => other,
        })
    }
}

impl Machine<Serving> for Node {
    fn handle(&mut self, now: Timestamp, input: Input<Serving>) -> Result<(), Error> {
        match self {
            Node::Chain(m) => m.handle(now, input),
            Node::Provider(m) | Node::Overcharger(m, _) | Node::Withholder(m, _) => {
                m.handle(now, input)
            }
            Node::Cheater(m) => m.inner.handle(now, input),
            Node::User(m) => m.handle(now, input),
        }
    }

    fn poll_output(&mut self) -> Option<Output<Serving>> {
        match self {
            Node::Chain(m) => m.poll_output(),
            Node::Provider(m) => m.poll_output(),
            Node::User(m) => m.poll_output(),
            Node::Cheater(m) => m.poll_output(),
            Node::Withholder(m, post) => loop {
                let out = m.poll_output()?;
                let withheld = match &out {
                    Output::Send {
                        message: Message::BatchOpening { .. },
                        ..
                    } => true,
                    Output::Send {
                        message: Message::Tx { call, .. },
                        ..
                    } => !*post && matches!(call.op, Op::Batch(BatchOp::PostOpening { .. })),
                    _ => false,
                };
                if !withheld {
                    return Some(out);
                }
            },
            Node::Overcharger(m, key) => match m.poll_output()? {
                Output::Send {
                    to,
                    message:
                        Message::Served {
                            request_id,
                            delivered_output_tokens,
                            receipt,
                        },
                } => Some(Output::Send {
                    to,
                    message: Message::Served {
                        request_id,
                        delivered_output_tokens,
                        receipt: Node::overcharge(key, receipt),
                    },
                }),
                other => Some(other),
            },
        }
    }
}

/// The key of user `i` (derived from its index, so runs replay).
pub fn user_key(i: usize) -> SecretKey {
    let mut seed = b"sim user ".to_vec();
    seed.extend_from_slice(&(i as u64).to_be_bytes());
    SecretKey::from_seed(&seed)
}

/// The node id of user `i`.
pub fn user_node_id(i: usize) -> NodeId {
    NodeId(2 + i as u64)
}

/// The EIP-712 domain of the simulated contract (chain id 16601).
pub fn domain() -> Domain {
    Domain::new(U256::from(16601u64), Address([0xcc; 20]))
}

/// The provider's TEE signing key.
pub fn provider_tee() -> SecretKey {
    SecretKey::from_seed(b"provider tee")
}

/// A ledger with the provider's service (staked, TEE signer acknowledged) and `users` funded
/// accounts ([`USER_DEPOSIT`], half of it moved to the provider).
pub fn genesis(tee: &SecretKey, users: usize) -> Result<Ledger, Error> {
    let mut l = Ledger::new(LedgerConfig {
        owner: OWNER,
        domain: domain(),
        lock_time_secs: LOCK_SECS,
        limits: Limits::default(),
    })?;
    let t = Timestamp::ZERO;
    let params = ServiceParams {
        input_price: INPUT_PRICE,
        output_price: OUTPUT_PRICE,
        tee_signer: tee.address(),
        scheme: SignatureScheme::Eip712,
        ..ServiceParams::default()
    };
    l.apply(
        t,
        &Call::new(PROVIDER, Op::AddOrUpdateService { params }).with_value(PROVIDER_STAKE),
    )?;
    l.apply(
        t,
        &Call::new(
            OWNER,
            Op::AcknowledgeTeeSignerByOwner { provider: PROVIDER },
        ),
    )?;
    let half = Amount::new(USER_DEPOSIT.units() / 2);
    for i in 0..users {
        let u = user_key(i).address();
        l.apply(t, &Call::new(u, Op::DepositFund).with_value(USER_DEPOSIT))?;
        l.apply(
            t,
            &Call::new(
                u,
                Op::TransferFund {
                    provider: PROVIDER,
                    amount: half,
                },
            ),
        )?;
    }
    Ok(l)
}

/// A market of the chain, a provider of `kind` and `users` users over `link`, seeded by
/// `seed`. Nothing has happened yet: inject [`ask`]s (and faults), then run it.
pub fn market(
    seed: u64,
    users: usize,
    kind: Kind,
    link: LinkConfig,
) -> Result<Simulation<Serving, Node>, Error> {
    let tee = provider_tee();
    let chain = genesis(&tee, users)?;
    let config = SimConfig { seed, link };
    let mut sim = Simulation::new(config, 2 + users, move |id, now, records| {
        if id == CHAIN {
            return Node::Chain(LedgerNode::new(chain.clone()));
        }
        if id == PROVIDER_NODE {
            let mut cfg = ProviderConfig::new(
                PROVIDER,
                tee.clone(),
                CHAIN,
                domain(),
                SignatureScheme::Eip712,
                INPUT_PRICE,
                OUTPUT_PRICE,
                LOCK_SECS,
            );
            cfg.settlement = match kind {
                Kind::Honest(mode) => mode,
                Kind::Overcharger => SettlementMode::Live,
                Kind::Cheat(_) | Kind::Withholder { .. } => SettlementMode::Batch,
            };
            let broker = ProviderBroker::restore(cfg, now, records);
            return match kind {
                Kind::Honest(_) => Node::Provider(broker),
                Kind::Overcharger => Node::Overcharger(broker, tee.clone()),
                Kind::Cheat(cheat) => Node::Cheater(Box::new(Cheater {
                    inner: broker,
                    tee: tee.clone(),
                    cheat,
                    served: BTreeMap::new(),
                    forged: BTreeMap::new(),
                })),
                Kind::Withholder { post } => Node::Withholder(broker, post),
            };
        }
        let i = usize::try_from(id.0.saturating_sub(2)).unwrap_or(usize::MAX);
        Node::User(UserBroker::restore(
            UserConfig {
                key: user_key(i),
                provider: PROVIDER,
                provider_node: PROVIDER_NODE,
                chain: CHAIN,
                tee_signer: tee.address(),
                input_price: INPUT_PRICE,
                output_price: OUTPUT_PRICE,
                lock_time_secs: LOCK_SECS,
                token_lifetime_ms: 3600 * 1000,
                poll_interval_ms: 5 * 60 * 1000,
                idle_refund_ms: None,
                opening_patience_ms: 30 * 60 * 1000,
            },
            now,
            records,
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
    Ok(sim)
}

/// The lossy network the tests and the devnet use: 10 % loss, 5 % duplication, 10 % of
/// messages held back up to 5 s (reordered).
pub fn lossy_link() -> LinkConfig {
    LinkConfig {
        loss: 0.1,
        duplicate: 0.05,
        reorder: 0.1,
        reorder_ms: 5_000,
        ..LinkConfig::default()
    }
}

/// User `user` asks for an inference (300 input tokens, at most 200 output) at `at_ms`.
pub fn ask(sim: &mut Simulation<Serving, Node>, user: usize, at_ms: u64) {
    sim.inject(
        Timestamp(at_ms),
        user_node_id(user),
        Command::Ask {
            input_tokens: 300,
            max_output_tokens: 200,
        },
    );
}

/// A [`market`] where each user asks `asks` times, 30 s apart from 1 s on, users staggered by
/// 7 s (user `u`'s `k`-th request at `1_000 + 30_000·k + 7_000·u` ms).
pub fn busy_market(
    seed: u64,
    users: usize,
    asks: u64,
    kind: Kind,
    link: LinkConfig,
) -> Result<Simulation<Serving, Node>, Error> {
    let mut sim = market(seed, users, kind, link)?;
    for (u, stagger) in (0..users).zip((0u64..).map(|u| u * 7_000)) {
        for k in 0..asks {
            ask(&mut sim, u, 1_000 + k * 30_000 + stagger);
        }
    }
    Ok(sim)
}

/// The chain's ledger, unless the chain node is down.
pub fn chain(sim: &Simulation<Serving, Node>) -> Option<&Ledger> {
    sim.node(CHAIN).and_then(Node::ledger)
}

/// User `i`'s broker, unless it is down.
pub fn user(sim: &Simulation<Serving, Node>, i: usize) -> Option<&UserBroker> {
    sim.node(user_node_id(i)).and_then(Node::user)
}

/// User `i`'s whole ledger on chain: available, in the provider account, and pending refunds.
pub fn ledger_total(sim: &Simulation<Serving, Node>, i: usize) -> u128 {
    chain(sim)
        .and_then(|l| l.ledger(&user_key(i).address()))
        .map_or(0, |l| l.total.units())
}

/// What happened in a market run, read from the chain's and the brokers' events.
#[derive(Default, Debug)]
pub struct BatchLog {
    /// Batch id → (commit time, commitment, deadline in seconds).
    pub committed: BTreeMap<u64, (Timestamp, BatchCommitment, u64)>,
    /// Batch id → (time, paid).
    pub finalized: BTreeMap<u64, (Timestamp, Amount)>,
    /// Batch id → stake slashed to the user.
    pub voided: BTreeMap<u64, Amount>,
    /// Fraud proofs users sent.
    pub challenges: Vec<(u64, FraudKind)>,
    /// Openings users demanded on chain.
    pub demanded: Vec<u64>,
    /// Openings the provider posted on chain.
    pub posted: Vec<u64>,
    /// Batches users audited and found fair.
    pub verified: Vec<u64>,
    /// Voids users learned of from their own transactions: id → slashed.
    pub made_whole: BTreeMap<u64, Amount>,
    /// Over-charges users reported (node, claimed).
    pub overcharges: Vec<(NodeId, Amount)>,
    /// Fees the provider billed per user (its own receipts).
    pub billed: BTreeMap<Address, u128>,
    /// Fees settled live (`settleFees`) per user.
    pub settled_live: BTreeMap<Address, u128>,
    /// Requests users withheld after they stopped trusting the provider.
    pub dropped_asks: usize,
}

impl BatchLog {
    /// Reads the log of `sim`'s events so far.
    pub fn of(sim: &Simulation<Serving, Node>) -> BatchLog {
        let mut log = BatchLog::default();
        for (at, node, ev) in sim.events() {
            match ev {
                Event::Applied {
                    call,
                    result: Ok(Outcome::Batch(outcome)),
                } => match (outcome, &call.op) {
                    (
                        BatchOutcome::Committed { id, deadline, .. },
                        Op::Batch(BatchOp::Commit { commitment, .. }),
                    ) => {
                        log.committed.insert(*id, (*at, *commitment, *deadline));
                    }
                    (BatchOutcome::Finalized { id, paid }, _) => {
                        log.finalized.insert(*id, (*at, *paid));
                    }
                    (BatchOutcome::Voided { id, slashed }, _) => {
                        log.voided.insert(*id, *slashed);
                    }
                    _ => {}
                },
                Event::Challenged { id, kind } => log.challenges.push((*id, kind.clone())),
                Event::OpeningDemanded { id } => log.demanded.push(*id),
                Event::OpeningPosted { id, .. } => log.posted.push(*id),
                Event::BatchVerified { id, .. } => log.verified.push(*id),
                Event::MadeWhole { id, slashed } => {
                    log.made_whole.insert(*id, *slashed);
                }
                Event::OverCharge { claimed, .. } => log.overcharges.push((*node, *claimed)),
                Event::Served { user, receipt } if *node == PROVIDER_NODE => {
                    *log.billed.entry(*user).or_default() += receipt.fee.units();
                }
                Event::Settled { user, settled, .. } => {
                    *log.settled_live.entry(*user).or_default() += settled.units();
                }
                Event::AskDropped => log.dropped_asks += 1,
                _ => {}
            }
        }
        log
    }

    /// Paid out per user by finalised batches.
    pub fn paid(&self) -> BTreeMap<Address, u128> {
        self.per_user(self.finalized.iter().map(|(id, (_, a))| (id, a)))
    }

    /// Slashed to each user by voided batches.
    pub fn slashed(&self) -> BTreeMap<Address, u128> {
        self.per_user(self.voided.iter())
    }

    fn per_user<'a>(
        &self,
        amounts: impl Iterator<Item = (&'a u64, &'a Amount)>,
    ) -> BTreeMap<Address, u128> {
        let mut out = BTreeMap::new();
        for (id, amount) in amounts {
            if let Some((_, c, _)) = self.committed.get(id) {
                *out.entry(c.user).or_default() += amount.units();
            }
        }
        out
    }
}
