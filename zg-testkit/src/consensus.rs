//! Whole-network zg-consensus scenarios in the zg-core simulator: honest [`Node`]s, Byzantine
//! machines, a staking chain stand-in, and a safety checker.
//!
//! Byzantine behaviour lives in separate machine types, never in the honest node:
//!
//! | type | behaviour |
//! |---|---|
//! | [`Silent`] | sends nothing (crashed from the start) |
//! | [`Equivocator`] | runs the protocol, and signs a conflicting second vote for every vote, sent to half of the peers |
//! | [`Withholder`] | runs the protocol but never sends its precommits |
//! | [`Selective`] | runs the protocol but sends each message to only some peers |
//! | [`SplitAttacker`] | a coalition member: proposes conflicting values to two halves of the honest validators and votes for each half's value to that half, in every round |
//!
//! With Byzantine stake below one third no behaviour (nor their mix) may make two honest nodes
//! decide differently; the [`SplitAttacker`] coalition with at least one third of the stake does
//! (the sanity check that the checker can see a violation).
//!
//! [`run`] drives one [`Scenario`] and returns a [`Report`] with the decisions, the largest
//! round, latency, safety violations and the simulator's trace hash.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use zg_core::machine::{Input, Machine, Output, Recipient};
use zg_core::sim::{Fault, Latency, LinkConfig, SimConfig, SimRng, Simulation};
use zg_core::{Amount, Epoch, H256, NodeId, Timestamp};

use zg_consensus::{
    Command, Config, Consensus, Event, Evidence, Height, Message, Node, PartitionId,
    PartitionState, Proposal, Request, Round, Scheme, SignedProposal, SignedVote, StakeLedger,
    StakeTable, ValidatorIndex, ValidatorSet, Vote, VoteKind,
};

/// The machines of a scenario.
pub type BoxedMachine<S> = Box<dyn Machine<Consensus<S>>>;

/// Which Byzantine machine a faulty validator runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Behaviour {
    /// [`Silent`].
    Silent,
    /// [`Equivocator`].
    Equivocate,
    /// [`Withholder`].
    Withhold,
    /// [`Selective`].
    Selective,
    /// [`SplitAttacker`].
    Split,
    /// Each faulty validator picks one of the above (seeded).
    Mixed,
}

impl Behaviour {
    /// Parses a CLI name.
    pub fn from_name(name: &str) -> Option<Behaviour> {
        Some(match name {
            "silent" => Behaviour::Silent,
            "equivocate" => Behaviour::Equivocate,
            "withhold" => Behaviour::Withhold,
            "selective" => Behaviour::Selective,
            "split" => Behaviour::Split,
            "mixed" => Behaviour::Mixed,
            _ => return None,
        })
    }
}

/// A crash and restart of an honest validator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CrashPlan {
    /// Which node (an honest one; Byzantine ones are skipped).
    pub node: NodeId,
    /// When it crashes.
    pub at: Timestamp,
    /// When it restarts from its records.
    pub restart_at: Timestamp,
}

/// One simulated run.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Validators (equal stake).
    pub validators: usize,
    /// How many of them are Byzantine.
    pub byzantine: usize,
    /// What the Byzantine ones do.
    pub behaviour: Behaviour,
    /// Partitions every node runs.
    pub partitions: u32,
    /// Heights every honest node must decide in every partition.
    pub heights: u64,
    /// Seed of the simulator (and of the Byzantine choice).
    pub seed: u64,
    /// Link latency.
    pub latency: Latency,
    /// Message loss probability.
    pub loss: f64,
    /// Duplication probability.
    pub duplicate: f64,
    /// Reordering probability (extra delay up to 200 ms).
    pub reorder: f64,
    /// Split the nodes into two halves at this time…
    pub partition_at: Option<Timestamp>,
    /// …and heal at this time.
    pub heal_at: Option<Timestamp>,
    /// When the network stabilises: loss, duplication and reordering stop (liveness after GST).
    pub stabilise_at: Option<Timestamp>,
    /// Crashes and restarts of honest nodes.
    pub crashes: Vec<CrashPlan>,
    /// Give up at this simulated time.
    pub deadline: Timestamp,
    /// Epoch length in heights; with `Some`, a staking-chain stand-in announces each next epoch
    /// (stakes rotating) and feeds evidence reported by the nodes back to all of them.
    pub heights_per_epoch: Option<u64>,
    /// Check every distinct commit certificate against its epoch's validator set (one pairing
    /// per decided height under BLS).
    pub verify_certificates: bool,
    /// Stake of each validator (default: 100 each).
    pub stakes: Option<Vec<u128>>,
    /// Exactly which validators are Byzantine (default: `byzantine` of them, chosen by seed).
    pub byzantine_ids: Option<Vec<usize>>,
    /// Node configuration (network, partitions and epoch length are set from the scenario).
    pub config: Config,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            validators: 4,
            byzantine: 1,
            behaviour: Behaviour::Mixed,
            partitions: 1,
            heights: 5,
            seed: 0,
            latency: Latency::Uniform {
                min_ms: 5,
                max_ms: 60,
            },
            loss: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
            partition_at: None,
            heal_at: None,
            stabilise_at: None,
            crashes: Vec::new(),
            deadline: Timestamp::from_secs(600),
            heights_per_epoch: None,
            verify_certificates: false,
            stakes: None,
            byzantine_ids: None,
            config: Config {
                timeout_propose: zg_consensus::Timeout {
                    base_ms: 300,
                    delta_ms: 100,
                },
                timeout_prevote: zg_consensus::Timeout {
                    base_ms: 150,
                    delta_ms: 50,
                },
                timeout_precommit: zg_consensus::Timeout {
                    base_ms: 150,
                    delta_ms: 50,
                },
                resend: zg_consensus::Timeout {
                    base_ms: 200,
                    delta_ms: 100,
                },
                history: 256,
                checkpoint_every: 64,
                ..Config::default()
            },
        }
    }
}

/// What a run produced.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Distinct (partition, height) pairs decided by honest nodes.
    pub decisions: u64,
    /// Decision events of honest nodes (each node counts).
    pub node_decisions: u64,
    /// (partition, height) pairs where honest nodes decided different values.
    pub safety_violations: u64,
    /// Conflicting votes signed by one honest validator (must be 0, restarts included).
    pub honest_double_signs: u64,
    /// Largest deciding round.
    pub max_round: u32,
    /// Mean time from a height's start to its decision at a node, ms.
    pub mean_latency_ms: f64,
    /// 99th percentile of the same, ms.
    pub p99_latency_ms: u64,
    /// Whether every honest node decided `heights` heights in every partition.
    pub completed: bool,
    /// Lowest height reached by an honest node in any partition.
    pub min_height: u64,
    /// Simulated time at the end.
    pub end: Timestamp,
    /// Simulator trace hash.
    pub trace_hash: u64,
    /// Equivocation evidence reported by honest nodes (distinct).
    pub evidence: u64,
    /// Validators slashed (by the staking-chain stand-in's ledger).
    pub slashed: Vec<u16>,
    /// Slashed events emitted by honest nodes (one per node per offender expected).
    pub slash_events: u64,
    /// Certificates of decisions in an epoch a slashed validator should be absent from that
    /// still count its signature (must be 0).
    pub slashed_signers_after_exclusion: u64,
    /// Commit certificates checked (with `verify_certificates`).
    pub certificates_checked: u64,
    /// Commit certificates that failed the check (must be 0).
    pub bad_certificates: u64,
    /// Epochs announced.
    pub epochs: u64,
    /// Inputs the nodes rejected.
    pub rejected_inputs: u64,
    /// Messages delivered.
    pub delivered: u64,
    /// The Byzantine validators' ids.
    pub byzantine: Vec<u64>,
    /// The last round state of partition 0 at each honest node (node id, state).
    pub final_states: Vec<(u64, PartitionState)>,
}

/// Records every vote an honest validator sends, across restarts, and counts conflicting ones.
#[derive(Debug, Default)]
pub struct SigningMonitor {
    seen: HashMap<(u64, u32, u64, u32, u8), Option<H256>>,
    conflicts: u64,
}

impl SigningMonitor {
    fn observe(&mut self, node: NodeId, v: &Vote) {
        let key = (node.0, v.partition.0, v.height.0, v.round.0, v.kind.tag());
        match self.seen.get(&key) {
            Some(prev) if *prev != v.value => self.conflicts += 1,
            Some(_) => {}
            None => {
                self.seen.insert(key, v.value);
            }
        }
    }

    /// Conflicting votes seen.
    pub fn conflicts(&self) -> u64 {
        self.conflicts
    }
}

/// Wraps an honest node to feed every vote it sends to a [`SigningMonitor`] and to record the
/// round state of its partition 0 (for reports).
pub struct Watched<S: Scheme> {
    id: NodeId,
    inner: Node<S>,
    monitor: Rc<RefCell<SigningMonitor>>,
    states: Rc<RefCell<BTreeMap<u64, PartitionState>>>,
}

impl<S: Scheme> Machine<Consensus<S>> for Watched<S> {
    fn handle(
        &mut self,
        now: Timestamp,
        input: Input<Consensus<S>>,
    ) -> Result<(), zg_consensus::Error> {
        let r = self.inner.handle(now, input);
        if let Some(state) = self.inner.partition_state(PartitionId(0)) {
            self.states.borrow_mut().insert(self.id.0, state);
        }
        r
    }

    fn poll_output(&mut self) -> Option<Output<Consensus<S>>> {
        let out = self.inner.poll_output()?;
        if let Output::Send {
            message: Message::Vote(v),
            ..
        } = &out
            // Our own votes only, not the ones we relay for others.
            && self.inner.own_votes(v.vote.partition).contains(v)
        {
            self.monitor.borrow_mut().observe(self.id, &v.vote);
        }
        Some(out)
    }
}

/// Sends nothing, ever.
#[derive(Debug, Default)]
pub struct Silent;

impl<S: Scheme> Machine<Consensus<S>> for Silent {
    fn handle(&mut self, _: Timestamp, _: Input<Consensus<S>>) -> Result<(), zg_consensus::Error> {
        Ok(())
    }
    fn poll_output(&mut self) -> Option<Output<Consensus<S>>> {
        None
    }
}

/// Runs the protocol, and for every vote it sends signs a conflicting one (nil ↔ a made-up
/// value) that goes to the odd-numbered peers after the real one, so they can catch it.
pub struct Equivocator<S: Scheme> {
    inner: Node<S>,
    secret: S::SecretKey,
    network: H256,
    peers: u64,
    me: NodeId,
    queue: VecDeque<Output<Consensus<S>>>,
}

impl<S: Scheme> Equivocator<S> {
    /// Wraps validator `me`'s node (signing with `secret`) in a network of `peers` nodes.
    pub fn new(
        inner: Node<S>,
        secret: S::SecretKey,
        network: H256,
        peers: u64,
        me: NodeId,
    ) -> Self {
        Equivocator {
            inner,
            secret,
            network,
            peers,
            me,
            queue: VecDeque::new(),
        }
    }
}

impl<S: Scheme> Machine<Consensus<S>> for Equivocator<S> {
    fn handle(
        &mut self,
        now: Timestamp,
        input: Input<Consensus<S>>,
    ) -> Result<(), zg_consensus::Error> {
        self.inner.handle(now, input)
    }

    fn poll_output(&mut self) -> Option<Output<Consensus<S>>> {
        if let Some(o) = self.queue.pop_front() {
            return Some(o);
        }
        let out = self.inner.poll_output()?;
        if let Output::Send {
            to: Recipient::All,
            message: Message::Vote(v),
        } = &out
        {
            let mut alt = v.vote;
            alt.value = match v.vote.value {
                Some(_) => None,
                None => Some(zg_core::keccak256_parts(&[
                    b"equivocate",
                    &v.vote.height.0.to_be_bytes(),
                    &v.vote.round.0.to_be_bytes(),
                ])),
            };
            let signature = S::sign(&self.secret, &alt.signing_bytes(self.network));
            let conflicting = Message::Vote(SignedVote {
                vote: alt,
                signature,
            });
            for peer in (0..self.peers).filter(|p| p % 2 == 1 && *p != self.me.0) {
                self.queue.push_back(Output::Send {
                    to: Recipient::One(NodeId(peer)),
                    message: conflicting.clone(),
                });
            }
        }
        Some(out)
    }
}

/// Runs the protocol but never sends a precommit.
pub struct Withholder<S: Scheme> {
    inner: Node<S>,
}

impl<S: Scheme> Machine<Consensus<S>> for Withholder<S> {
    fn handle(
        &mut self,
        now: Timestamp,
        input: Input<Consensus<S>>,
    ) -> Result<(), zg_consensus::Error> {
        self.inner.handle(now, input)
    }

    fn poll_output(&mut self) -> Option<Output<Consensus<S>>> {
        loop {
            let out = self.inner.poll_output()?;
            if let Output::Send {
                message: Message::Vote(v),
                ..
            } = &out
                && v.vote.kind == VoteKind::Precommit
            {
                continue;
            }
            return Some(out);
        }
    }
}

/// Runs the protocol but sends each broadcast to only about half of the peers (a different
/// half each time).
pub struct Selective<S: Scheme> {
    inner: Node<S>,
    peers: u64,
    me: NodeId,
    counter: u64,
    queue: VecDeque<Output<Consensus<S>>>,
}

impl<S: Scheme> Machine<Consensus<S>> for Selective<S> {
    fn handle(
        &mut self,
        now: Timestamp,
        input: Input<Consensus<S>>,
    ) -> Result<(), zg_consensus::Error> {
        self.inner.handle(now, input)
    }

    fn poll_output(&mut self) -> Option<Output<Consensus<S>>> {
        if let Some(o) = self.queue.pop_front() {
            return Some(o);
        }
        let out = self.inner.poll_output()?;
        match out {
            Output::Send {
                to: Recipient::All,
                message,
            } => {
                self.counter += 1;
                for peer in 0..self.peers {
                    if peer != self.me.0 && (peer + self.counter).is_multiple_of(2) {
                        self.queue.push_back(Output::Send {
                            to: Recipient::One(NodeId(peer)),
                            message: message.clone(),
                        });
                    }
                }
                self.queue.pop_front().or_else(|| self.poll_output())
            }
            other => Some(other),
        }
    }
}

/// A member of a coalition that tries to make two halves of the honest validators decide
/// different values: in every (partition, height, round) it hears of, it proposes (when it is
/// the proposer) value A to half A and value B to half B, and prevotes and precommits A to half A
/// and B to half B. Harmless below one third of the stake; a safety violation at or above it.
pub struct SplitAttacker<S: Scheme> {
    secret: S::SecretKey,
    index: Option<ValidatorIndex>,
    set: Arc<ValidatorSet<S>>,
    config: Config,
    group_a: Vec<NodeId>,
    group_b: Vec<NodeId>,
    attacked: HashSet<(u32, u64, u32, bool)>,
    queue: VecDeque<Output<Consensus<S>>>,
}

impl<S: Scheme> SplitAttacker<S> {
    /// Sends the conflicting proposals of `(partition, height, round)` (if we propose there)
    /// and, with `votes`, the split votes. Votes only go out for rounds honest nodes were heard
    /// in, so they never push anyone into a later round (line 55).
    fn attack(&mut self, partition: PartitionId, height: Height, round: Round, votes: bool) {
        let key = (partition.0, height.0, round.0, votes);
        if !self.attacked.insert(key) {
            return;
        }
        let epoch = self.config.epoch_of(height);
        if epoch != self.set.epoch() {
            return;
        }
        let Some(index) = self.index else { return };
        let network = self.config.network;
        for (tag, group) in [(b"A", self.group_a.clone()), (b"B", self.group_b.clone())] {
            let value = zg_core::keccak256_parts(&[
                b"split",
                tag,
                &partition.0.to_be_bytes(),
                &height.0.to_be_bytes(),
                &round.0.to_be_bytes(),
            ]);
            let mut messages = Vec::new();
            if self.set.proposer(partition, height, round) == index {
                let proposal = Proposal {
                    partition,
                    epoch,
                    height,
                    round,
                    value,
                    valid_round: None,
                    proposer: index,
                };
                let signature = S::sign(&self.secret, &proposal.signing_bytes(network));
                messages.push(Message::Proposal(Arc::new(SignedProposal {
                    proposal,
                    signature,
                    proof_of_lock: None,
                })));
            }
            for kind in [VoteKind::Prevote, VoteKind::Precommit] {
                if !votes {
                    break;
                }
                let vote = Vote {
                    partition,
                    epoch,
                    height,
                    round,
                    kind,
                    value: Some(value),
                    validator: index,
                };
                let signature = S::sign(&self.secret, &vote.signing_bytes(network));
                messages.push(Message::Vote(SignedVote { vote, signature }));
            }
            for peer in &group {
                for m in &messages {
                    self.queue.push_back(Output::Send {
                        to: Recipient::One(*peer),
                        message: m.clone(),
                    });
                }
            }
        }
    }
}

impl<S: Scheme> Machine<Consensus<S>> for SplitAttacker<S> {
    fn handle(
        &mut self,
        _: Timestamp,
        input: Input<Consensus<S>>,
    ) -> Result<(), zg_consensus::Error> {
        if let Input::Message { message, .. } = input {
            let (p, h, r) = match &message {
                Message::Vote(v) => (v.vote.partition, v.vote.height, v.vote.round),
                Message::Proposal(p) => (p.proposal.partition, p.proposal.height, p.proposal.round),
                _ => return Ok(()),
            };
            self.attack(p, h, r, true);
            self.attack(p, h, r.next(), false);
            self.attack(p, h.next(), Round(0), false);
        }
        Ok(())
    }

    fn poll_output(&mut self) -> Option<Output<Consensus<S>>> {
        self.queue.pop_front()
    }
}

/// The deployment name simulated validators derive their keys from
/// ([`NodeKeys::derive`](zg_vrf::NodeKeys::derive)).
pub const SIM_DEPLOYMENT: &[u8] = b"zgc/sim";

/// Both keys of simulated validator `i` (node `i`): the workspace's one derivation.
pub fn validator_keys<S: Scheme>(i: usize) -> zg_vrf::NodeKeys<S> {
    zg_vrf::NodeKeys::derive(SIM_DEPLOYMENT, NodeId(i as u64))
}

/// The BLS (scheme) secret key of simulated validator `i`.
pub fn validator_key<S: Scheme>(i: usize) -> S::SecretKey {
    validator_keys::<S>(i).bls
}

/// The stake table of `n` validators (nodes `0..n`), with `stake(i)` each.
pub fn stake_table<S: Scheme>(
    n: usize,
    epoch: Epoch,
    stake: impl Fn(usize) -> u128,
) -> StakeTable<S> {
    let entries = (0..n)
        .map(|i| validator_keys::<S>(i).entry(Amount::new(stake(i))))
        .collect();
    // Keys derived per node are distinct and their proofs verify; the stake is the caller's.
    match StakeTable::new(epoch, entries, Amount::new(1)) {
        Ok(table) => table,
        Err(e) => panic_on_fixture(&e),
    }
}

#[cold]
#[allow(clippy::panic)] // a fixture the caller asked for is impossible (total stake overflows)
fn panic_on_fixture(e: &zg_vrf::Error) -> ! {
    panic!("simulation stake table refused: {e}")
}

/// Runs a scenario. Safety and liveness are reported, not asserted.
pub fn run<S: Scheme>(scenario: &Scenario) -> Report {
    let n = scenario.validators.max(1);
    let f = scenario.byzantine.min(n);
    let mut config = scenario.config.clone();
    config.network = zg_core::keccak256(b"zgc/sim/network");
    config.partitions = scenario.partitions.max(1);
    config.heights_per_epoch = scenario.heights_per_epoch.unwrap_or(u64::MAX / 4);

    // Choose the Byzantine validators and their behaviours from the seed.
    let mut pick = SimRng::new(scenario.seed ^ 0x9e37_79b9_7f4a_7c15);
    let mut ids: Vec<usize> = (0..n).collect();
    for i in (1..ids.len()).rev() {
        let j = usize::try_from(pick.below(i as u64 + 1)).unwrap_or(0);
        ids.swap(i, j);
    }
    if let Some(explicit) = &scenario.byzantine_ids {
        ids = explicit.iter().copied().filter(|&i| i < n).collect();
    }
    let mut byzantine: BTreeMap<usize, Behaviour> = BTreeMap::new();
    let count = if scenario.byzantine_ids.is_some() {
        ids.len()
    } else {
        f
    };
    for &id in ids.iter().take(count) {
        let b = match scenario.behaviour {
            Behaviour::Mixed => match pick.below(4) {
                0 => Behaviour::Silent,
                1 => Behaviour::Equivocate,
                2 => Behaviour::Withhold,
                _ => Behaviour::Selective,
            },
            b => b,
        };
        byzantine.insert(id, b);
    }
    let honest: Vec<NodeId> = (0..n)
        .filter(|i| !byzantine.contains_key(i))
        .map(|i| NodeId(i as u64))
        .collect();
    let half = honest.len() / 2;
    let (group_a, group_b) = (honest[..half].to_vec(), honest[half..].to_vec());

    let stakes: Vec<u128> = (0..n)
        .map(|i| {
            scenario
                .stakes
                .as_ref()
                .and_then(|s| s.get(i).copied())
                .unwrap_or(100)
        })
        .collect();
    let genesis_table = stake_table::<S>(n, Epoch(0), |i| stakes[i]);
    let genesis = match ValidatorSet::from_stake_table(config.network, &genesis_table) {
        Ok(s) => Arc::new(s),
        Err(_) => return Report::default(),
    };
    let monitor = Rc::new(RefCell::new(SigningMonitor::default()));
    let states = Rc::new(RefCell::new(BTreeMap::new()));

    let link = LinkConfig {
        latency: scenario.latency,
        loss: scenario.loss,
        duplicate: scenario.duplicate,
        reorder: scenario.reorder,
        reorder_ms: 200,
    };
    let sim_config = SimConfig {
        seed: scenario.seed,
        link,
    };
    let factory = {
        let config = config.clone();
        let genesis = genesis.clone();
        let byzantine = byzantine.clone();
        let monitor = monitor.clone();
        let states = states.clone();
        let (group_a, group_b) = (group_a.clone(), group_b.clone());
        move |id: NodeId, now: Timestamp, records: &[zg_consensus::Record<S>]| -> BoxedMachine<S> {
            let i = usize::try_from(id.0).unwrap_or(usize::MAX);
            let node = || {
                Node::<S>::restore(
                    config.clone(),
                    Some(validator_key::<S>(i)),
                    genesis.clone(),
                    records,
                    now,
                )
            };
            let Ok(inner) = node() else {
                return Box::new(Silent);
            };
            let machine: BoxedMachine<S> = match byzantine.get(&i) {
                None => Box::new(Watched {
                    id,
                    inner,
                    monitor: monitor.clone(),
                    states: states.clone(),
                }),
                Some(Behaviour::Silent | Behaviour::Mixed) => Box::new(Silent),
                Some(Behaviour::Equivocate) => Box::new(Equivocator::new(
                    inner,
                    validator_key::<S>(i),
                    config.network,
                    n as u64,
                    id,
                )),
                Some(Behaviour::Withhold) => Box::new(Withholder { inner }),
                Some(Behaviour::Selective) => Box::new(Selective {
                    inner,
                    peers: n as u64,
                    me: id,
                    counter: 0,
                    queue: VecDeque::new(),
                }),
                Some(Behaviour::Split) => {
                    let secret = validator_key::<S>(i);
                    let index = genesis.index_of(&S::public_key(&secret));
                    let mut attacker = SplitAttacker {
                        secret,
                        index,
                        set: genesis.clone(),
                        config: config.clone(),
                        group_a: group_a.clone(),
                        group_b: group_b.clone(),
                        attacked: HashSet::new(),
                        queue: VecDeque::new(),
                    };
                    for p in 0..config.partitions {
                        attacker.attack(PartitionId(p), Height(0), Round(0), false);
                    }
                    Box::new(attacker)
                }
            };
            machine
        }
    };
    let mut sim: Simulation<Consensus<S>, BoxedMachine<S>> =
        Simulation::new(sim_config, n, factory);
    sim.set_host(host::<S>);

    if let (Some(at), Some(heal)) = (scenario.partition_at, scenario.heal_at) {
        let all: Vec<NodeId> = (0..n as u64).map(NodeId).collect();
        let (left, right) = all.split_at(n / 2);
        sim.schedule(at, Fault::Partition(vec![left.to_vec(), right.to_vec()]));
        sim.schedule(heal, Fault::Heal);
    }
    for c in &scenario.crashes {
        if honest.contains(&c.node) {
            sim.schedule(c.at, Fault::Crash(c.node));
            sim.schedule(c.restart_at, Fault::Restart(c.node));
        }
    }

    let mut checker = Checker::default();
    let Ok(chain_ledger) = StakeLedger::new(genesis.clone(), config.slash_fraction_bps, 64) else {
        return Report::default();
    };
    let mut staking = scenario.heights_per_epoch.map(|hpe| StakingChain {
        heights_per_epoch: hpe,
        ledger: chain_ledger,
        n,
        stakes: stakes.clone(),
        submitted: HashSet::new(),
        excluded: Vec::new(),
    });
    let stabilised_link = LinkConfig {
        latency: scenario.latency,
        ..LinkConfig::default()
    };
    let mut stabilised = false;
    let slice = Duration::from_millis(100);
    loop {
        sim.run_for(slice);
        if !stabilised && scenario.stabilise_at.is_some_and(|t| sim.now() >= t) {
            stabilised = true;
            for i in 0..n as u64 {
                sim.apply(Fault::SetNodeLinks {
                    node: NodeId(i),
                    config: stabilised_link,
                });
            }
        }
        let now = sim.now();
        for (_, node, event) in sim.take_events() {
            if !honest.contains(&node) {
                continue;
            }
            checker.observe(
                node,
                &event,
                staking.as_ref(),
                scenario.verify_certificates.then_some(&genesis),
            );
            if let (Event::Equivocation(e), Some(chain)) = (&event, staking.as_mut()) {
                chain.submit(&mut sim, now, e);
            }
        }
        if let Some(chain) = staking.as_mut() {
            chain.maybe_announce(&mut sim, now, checker.max_height());
        }
        let done = checker.complete(&honest, config.partitions, scenario.heights);
        if done || now >= scenario.deadline {
            let stats = sim.stats();
            let mut latencies = checker.latencies.clone();
            latencies.sort_unstable();
            return Report {
                decisions: checker.decided.len() as u64,
                node_decisions: checker.node_decisions,
                safety_violations: checker.violations,
                honest_double_signs: monitor.borrow().conflicts(),
                max_round: checker.max_round,
                mean_latency_ms: if latencies.is_empty() {
                    0.0
                } else {
                    latencies.iter().sum::<u64>() as f64 / latencies.len() as f64
                },
                p99_latency_ms: latencies
                    .get(latencies.len().saturating_sub(1) * 99 / 100)
                    .copied()
                    .unwrap_or(0),
                completed: done,
                min_height: checker.min_height(&honest, config.partitions),
                end: now,
                trace_hash: sim.trace_hash(),
                evidence: checker.evidence.len() as u64,
                slashed: staking
                    .as_ref()
                    .map(|c| c.excluded.iter().map(|(i, _)| *i).collect())
                    .unwrap_or_default(),
                slash_events: checker.slash_events,
                slashed_signers_after_exclusion: checker.slashed_signers_after_exclusion,
                certificates_checked: checker.certificates_checked,
                bad_certificates: checker.bad_certificates,
                epochs: staking.as_ref().map_or(0, |c| c.ledger.latest_epoch().0),
                rejected_inputs: stats.errors,
                delivered: stats.delivered,
                byzantine: byzantine.keys().map(|&i| i as u64).collect(),
                final_states: states.borrow().iter().map(|(k, v)| (*k, *v)).collect(),
            };
        }
    }
}

/// The host of every simulated node: proposes a value derived from (node, partition, height,
/// round) and accepts every value as valid, each answer after 1 ms.
fn host<S: Scheme>(
    node: NodeId,
    _now: Timestamp,
    request: Request,
    _rng: &mut SimRng,
) -> Vec<(Duration, Command<S>)> {
    let reply = match request {
        Request::GetValue {
            partition,
            height,
            round,
        } => Command::ProposeValue {
            partition,
            height,
            round,
            value: zg_core::keccak256_parts(&[
                b"zgc/sim/value",
                &node.0.to_be_bytes(),
                &partition.0.to_be_bytes(),
                &height.0.to_be_bytes(),
                &round.0.to_be_bytes(),
            ]),
        },
        Request::Validate {
            partition,
            height,
            value,
        } => Command::Validity {
            partition,
            height,
            value,
            valid: true,
        },
    };
    vec![(Duration::from_millis(1), reply)]
}

/// The staking chain stand-in: announces epochs ahead of the fastest partition (stakes
/// rotating), and feeds every distinct piece of evidence to every node.
struct StakingChain<S: Scheme> {
    heights_per_epoch: u64,
    ledger: StakeLedger<S>,
    n: usize,
    stakes: Vec<u128>,
    submitted: HashSet<Arc<Evidence<S>>>,
    excluded: Vec<(u16, Epoch)>,
}

impl<S: Scheme> StakingChain<S> {
    fn submit(
        &mut self,
        sim: &mut Simulation<Consensus<S>, BoxedMachine<S>>,
        now: Timestamp,
        evidence: &Arc<Evidence<S>>,
    ) {
        if !self.submitted.insert(evidence.clone()) {
            return;
        }
        // The chain orders evidence before the next announcement; every node gets it.
        if let Ok(s) = self.ledger.apply_evidence(evidence)
            && let Some(i) =
                (0..self.n).find(|&i| S::public_key(&validator_key::<S>(i)) == s.validator)
        {
            self.excluded
                .push((u16::try_from(i).unwrap_or(u16::MAX), s.excluded_from));
        }
        for i in 0..self.n as u64 {
            sim.inject(now, NodeId(i), Command::ApplyEvidence((**evidence).clone()));
        }
    }

    fn maybe_announce(
        &mut self,
        sim: &mut Simulation<Consensus<S>, BoxedMachine<S>>,
        now: Timestamp,
        max_height: u64,
    ) {
        // Announce epoch e + 1 once the fastest partition is halfway through epoch e.
        let next = self.ledger.latest_epoch().0 + 1;
        let due = (next * self.heights_per_epoch).saturating_sub(self.heights_per_epoch / 2 + 1);
        if max_height < due {
            return;
        }
        let e = next;
        let table = stake_table::<S>(self.n, Epoch(e), |i| {
            self.stakes[i] + 10 * ((i as u128 + u128::from(e)) % 3)
        });
        if self.ledger.announce(&table).is_err() {
            return;
        }
        for i in 0..self.n as u64 {
            sim.inject(now, NodeId(i), Command::StakeTable(table.clone()));
        }
    }
}

/// Collects honest decisions and checks agreement.
#[derive(Default)]
struct Checker {
    decided: HashMap<(u32, u64), H256>,
    heights: HashMap<(u64, u32), u64>,
    node_decisions: u64,
    violations: u64,
    max_round: u32,
    latencies: Vec<u64>,
    evidence: HashSet<String>,
    slash_events: u64,
    slashed_signers_after_exclusion: u64,
    certificates_checked: u64,
    bad_certificates: u64,
}

impl Checker {
    fn observe<S: Scheme>(
        &mut self,
        node: NodeId,
        event: &Event<S>,
        staking: Option<&StakingChain<S>>,
        sets: Option<&Arc<ValidatorSet<S>>>,
    ) {
        match event {
            Event::Decided {
                partition,
                height,
                value,
                round,
                latency_ms,
                certificate,
            } => {
                self.node_decisions += 1;
                match self.decided.get(&(partition.0, height.0)) {
                    Some(v) if v != value => self.violations += 1,
                    Some(_) => {}
                    None => {
                        self.decided.insert((partition.0, height.0), *value);
                        if let Some(genesis) = sets {
                            let set = staking
                                .and_then(|c| c.ledger.set(certificate.epoch))
                                .unwrap_or(genesis);
                            self.certificates_checked += 1;
                            let ok = certificate.partition == *partition
                                && certificate.height == *height
                                && certificate.value == *value
                                && certificate.verify(set).is_ok();
                            if !ok {
                                self.bad_certificates += 1;
                            }
                        }
                    }
                }
                let h = self.heights.entry((node.0, partition.0)).or_insert(0);
                *h = (*h).max(height.0 + 1);
                self.max_round = self.max_round.max(round.0);
                self.latencies.push(*latency_ms);
                if let Some(chain) = staking {
                    for &(idx, from) in &chain.excluded {
                        if certificate.epoch >= from
                            && let Some(set) = chain.ledger.set(certificate.epoch)
                        {
                            let key = S::public_key(&validator_key::<S>(idx.into()));
                            if set.index_of(&key).is_some() {
                                self.slashed_signers_after_exclusion += 1;
                            }
                        }
                    }
                }
            }
            Event::Equivocation(e) => {
                self.evidence.insert(format!("{e:?}"));
            }
            Event::Slashed { .. } => self.slash_events += 1,
            _ => {}
        }
    }

    fn max_height(&self) -> u64 {
        self.heights.values().copied().max().unwrap_or(0)
    }

    fn min_height(&self, honest: &[NodeId], partitions: u32) -> u64 {
        honest
            .iter()
            .flat_map(|n| (0..partitions).map(move |p| (n.0, p)))
            .map(|k| self.heights.get(&k).copied().unwrap_or(0))
            .min()
            .unwrap_or(0)
    }

    fn complete(&self, honest: &[NodeId], partitions: u32, heights: u64) -> bool {
        self.min_height(honest, partitions) >= heights
    }
}
