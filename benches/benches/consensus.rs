//! zg-consensus: per-node CPU per decided height next to the signature floor, how many
//! partitions one core follows, and the simulator at scale.
//!
//! * `consensus/height/node/n` — one validator processing one decided height with BLS: the
//!   proposal and the n−1 prevotes and n−1 precommits of the others, decoded from the wire,
//!   verified on the optimistic path, its own two votes signed, the decision made.
//! * `consensus/height/floor/n` — the signature floor of a height: two signatures and two
//!   aggregate verifications of a quorum (aggregate ⌈2n/3⌉ signatures and keys, one pairing
//!   check each).
//! * After the criterion groups, a table splits the node's time into signature work and logic
//!   (a metering wrapper around the BLS scheme), and derives how many partitions one core
//!   follows at one decision per second each.
//! * `consensus/simulate/…` — the whole network in the simulator (keyed-hash test scheme), to
//!   show the protocol logic at scale.
//!
//! With `ZG_CONSENSUS_FULL=insecure|bls`, also runs 1,000 partitions × 31 validators × 10
//! heights (`ZG_CONSENSUS_FULL_HEIGHTS` to change) as a full network simulation on 2 threads
//! (each thread runs half of every node's partitions as its own network: every simulated
//! validator signs and verifies everything) and prints the wall time. Heavy with `bls`.
//!
//! Run: `cargo bench -p zg-benches --bench consensus -- --warm-up-time 1 --measurement-time 3`.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

use std::cell::Cell;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use zg_consensus::codec::{decode_message, encode_message};
use zg_consensus::{
    BatchItem, Bls, Command, Config, Height, InsecureTestScheme, Message, Node, PartitionId,
    Proposal, Request, Round, Scheme, SignedProposal, SignedVote, ValidatorSet, Vote, VoteKind,
    vote_signing_bytes,
};
use zg_core::machine::{Input, Machine, Output};
use zg_core::{Epoch, H256, NodeId, Timestamp};
use zg_testkit::consensus::{Scenario, run};

thread_local! {
    static SIG_NANOS: Cell<u128> = const { Cell::new(0) };
}

fn metered<T>(f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let r = f();
    SIG_NANOS.with(|c| c.set(c.get() + t.elapsed().as_nanos()));
    r
}

/// BLS with every call timed into `SIG_NANOS` (signature work vs logic).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
struct Metered;

impl Scheme for Metered {
    const NAME: &'static str = "metered-bls";
    const PUBLIC_KEY_LEN: usize = Bls::PUBLIC_KEY_LEN;
    const SIGNATURE_LEN: usize = Bls::SIGNATURE_LEN;
    type SecretKey = <Bls as Scheme>::SecretKey;
    type PublicKey = <Bls as Scheme>::PublicKey;
    type Signature = <Bls as Scheme>::Signature;

    fn secret_key_from_seed(seed: &[u8; 32]) -> Self::SecretKey {
        Bls::secret_key_from_seed(seed)
    }
    fn public_key(secret: &Self::SecretKey) -> Self::PublicKey {
        Bls::public_key(secret)
    }
    fn sign(secret: &Self::SecretKey, message: &[u8]) -> Self::Signature {
        metered(|| Bls::sign(secret, message))
    }
    fn prove_possession(secret: &Self::SecretKey) -> Self::Signature {
        Bls::prove_possession(secret)
    }
    fn verify_possession(public_key: &Self::PublicKey, proof: &Self::Signature) -> bool {
        Bls::verify_possession(public_key, proof)
    }
    fn aggregate_signatures<'a, I>(signatures: I) -> Option<Self::Signature>
    where
        I: IntoIterator<Item = &'a Self::Signature>,
    {
        metered(|| Bls::aggregate_signatures(signatures))
    }
    fn aggregate_public_keys<'a, I>(keys: I) -> Option<Self::PublicKey>
    where
        I: IntoIterator<Item = &'a Self::PublicKey>,
    {
        metered(|| Bls::aggregate_public_keys(keys))
    }
    fn verify_batch(items: &[BatchItem<'_, Self>]) -> bool {
        let items: Vec<BatchItem<'_, Bls>> = items
            .iter()
            .map(|i| BatchItem {
                message: i.message,
                public_key: i.public_key,
                signature: i.signature,
            })
            .collect();
        metered(|| Bls::verify_batch(&items))
    }
    fn encode_public_key(key: &Self::PublicKey, out: &mut Vec<u8>) {
        Bls::encode_public_key(key, out);
    }
    fn decode_public_key(bytes: &[u8]) -> Option<Self::PublicKey> {
        Bls::decode_public_key(bytes)
    }
    fn encode_signature(signature: &Self::Signature, out: &mut Vec<u8>) {
        Bls::encode_signature(signature, out);
    }
    fn decode_signature(bytes: &[u8]) -> Option<Self::Signature> {
        metered(|| Bls::decode_signature(bytes))
    }
}

fn seed(i: usize) -> [u8; 32] {
    zg_core::keccak256_parts(&[b"bench/validator", &(i as u64).to_be_bytes()]).0
}

/// One height's wire messages: the proposal (unless we propose), prevotes, precommits.
type HeightTraffic = (Option<Vec<u8>>, Vec<Vec<u8>>, Vec<Vec<u8>>);
type BlsSecret = <Bls as Scheme>::SecretKey;
type BlsKey = <Bls as Scheme>::PublicKey;
type BlsSig = <Bls as Scheme>::Signature;

/// Pre-signed traffic of `heights` heights seen by validator `me`, as wire bytes.
struct Traffic<S: Scheme> {
    config: Config,
    set: Arc<ValidatorSet<S>>,
    me: usize,
    values: Vec<H256>,
    /// Per height: the proposal (unless we propose), prevotes, precommits.
    heights: Vec<HeightTraffic>,
}

impl<S: Scheme> Traffic<S> {
    fn new(n: usize, heights: u64) -> Self {
        let config = Config {
            network: H256([0x0b; 32]),
            ..Config::default()
        };
        let secrets: Vec<S::SecretKey> =
            (0..n).map(|i| S::secret_key_from_seed(&seed(i))).collect();
        let set = Arc::new(
            ValidatorSet::new(
                config.network,
                Epoch(0),
                secrets.iter().map(|s| (S::public_key(s), 100)).collect(),
            )
            .unwrap(),
        );
        let index = |s: &S::SecretKey| set.index_of(&S::public_key(s)).unwrap();
        let me = 0;
        let my_index = index(&secrets[me]);
        let mut out = Vec::new();
        let mut values = Vec::new();
        for h in 0..heights {
            let value = H256([h as u8 + 1; 32]);
            values.push(value);
            let slot = zg_consensus::Slot {
                network: config.network,
                partition: PartitionId(0),
                epoch: Epoch(0),
                height: Height(h),
            };
            let proposer = set.proposer(PartitionId(0), Height(h), Round(0));
            let proposal = (proposer != my_index).then(|| {
                let secret = secrets.iter().find(|s| index(s) == proposer).unwrap();
                let p = Proposal {
                    partition: PartitionId(0),
                    epoch: Epoch(0),
                    height: Height(h),
                    round: Round(0),
                    value,
                    valid_round: None,
                    proposer,
                };
                encode_message(&Message::<S>::Proposal(Arc::new(SignedProposal {
                    signature: S::sign(secret, &p.signing_bytes(config.network)),
                    proposal: p,
                    proof_of_lock: None,
                })))
            });
            let mut votes = [Vec::new(), Vec::new()];
            for (k, kind) in [VoteKind::Prevote, VoteKind::Precommit]
                .into_iter()
                .enumerate()
            {
                let msg = vote_signing_bytes(&slot, Round(0), kind, Some(value));
                for (i, s) in secrets.iter().enumerate() {
                    if i == me {
                        continue;
                    }
                    let vote = Vote {
                        partition: PartitionId(0),
                        epoch: Epoch(0),
                        height: Height(h),
                        round: Round(0),
                        kind,
                        value: Some(value),
                        validator: index(s),
                    };
                    votes[k].push(encode_message(&Message::<S>::Vote(SignedVote {
                        vote,
                        signature: S::sign(s, &msg),
                    })));
                }
            }
            let [pv, pc] = votes;
            out.push((proposal, pv, pc));
        }
        Traffic {
            config,
            set,
            me,
            values,
            heights: out,
        }
    }

    fn node(&self) -> Node<S> {
        let mut node = Node::restore(
            self.config.clone(),
            Some(S::secret_key_from_seed(&seed(self.me))),
            self.set.clone(),
            &[],
            Timestamp::ZERO,
        )
        .unwrap();
        self.drain(&mut node);
        node
    }

    /// Carries out outputs like a host: answers requests, encodes what is sent.
    fn drain(&self, node: &mut Node<S>) {
        let mut commands = Vec::new();
        while let Some(o) = node.poll_output() {
            match o {
                Output::Send { message, .. } => {
                    black_box(encode_message(&message));
                }
                Output::Request(Request::GetValue {
                    partition,
                    height: h,
                    round,
                }) => commands.push(Command::ProposeValue {
                    partition,
                    height: h,
                    round,
                    value: self.values[usize::try_from(h.0).unwrap() % self.values.len()],
                }),
                Output::Request(Request::Validate {
                    partition,
                    height: h,
                    value,
                }) => commands.push(Command::Validity {
                    partition,
                    height: h,
                    value,
                    valid: true,
                }),
                other => {
                    black_box(other);
                }
            }
        }
        for c in commands {
            node.handle(Timestamp(1), Input::Command(c)).unwrap();
            self.drain(node);
        }
    }

    fn feed(&self, node: &mut Node<S>, bytes: &[u8]) {
        let m: Message<S> = decode_message(bytes).unwrap();
        node.handle(
            Timestamp(1),
            Input::Message {
                from: NodeId(1),
                message: m,
            },
        )
        .unwrap();
        self.drain(node);
    }

    /// Processes height `h` (the node must be at it).
    fn height(&self, node: &mut Node<S>, h: usize) {
        let (proposal, prevotes, precommits) = &self.heights[h];
        if let Some(p) = proposal {
            self.feed(node, p);
        }
        for v in prevotes.iter().chain(precommits) {
            self.feed(node, v);
        }
        debug_assert_eq!(
            node.partition_state(PartitionId(0)).unwrap().height,
            Height(h as u64 + 1)
        );
    }
}

/// Two signatures and two aggregate verifications of a quorum (the floor of one height).
fn floor_once(
    secrets: &[<Bls as Scheme>::SecretKey],
    keys: &[<Bls as Scheme>::PublicKey],
    sigs: &[[<Bls as Scheme>::Signature; 2]],
) {
    let q = sigs.len();
    for k in 0..2 {
        let msg = [k as u8; 98];
        black_box(Bls::sign(&secrets[0], &msg));
        let agg = Bls::aggregate_signatures(sigs.iter().map(|s| &s[k])).unwrap();
        let key = Bls::aggregate_public_keys(keys[..q].iter()).unwrap();
        assert!(Bls::verify_batch(&[BatchItem {
            message: &msg,
            public_key: &key,
            signature: &agg,
        }]));
    }
}

fn floor_inputs(n: usize) -> (Vec<BlsSecret>, Vec<BlsKey>, Vec<[BlsSig; 2]>) {
    let secrets: Vec<_> = (0..n)
        .map(|i| Bls::secret_key_from_seed(&seed(i)))
        .collect();
    let keys: Vec<_> = secrets.iter().map(Bls::public_key).collect();
    let q = 2 * n / 3 + 1;
    let sigs = secrets[..q]
        .iter()
        .map(|s| [Bls::sign(s, &[0u8; 98]), Bls::sign(s, &[1u8; 98])])
        .collect();
    (secrets, keys, sigs)
}

const HEIGHTS: u64 = 6;

fn bench_height(c: &mut Criterion) {
    let mut group = c.benchmark_group("consensus/height");
    group.sample_size(10);
    group.throughput(Throughput::Elements(1));
    for n in [4usize, 31, 100, 150] {
        let traffic = Traffic::<Bls>::new(n, HEIGHTS);
        group.bench_with_input(BenchmarkId::new("node", n), &n, |b, _| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                let mut node = traffic.node();
                let mut h = 0usize;
                for _ in 0..iters {
                    if h == HEIGHTS as usize {
                        node = traffic.node();
                        h = 0;
                    }
                    let t = Instant::now();
                    traffic.height(&mut node, h);
                    total += t.elapsed();
                    h += 1;
                }
                total
            });
        });
        let (secrets, keys, sigs) = floor_inputs(n);
        group.bench_with_input(BenchmarkId::new("floor", n), &n, |b, _| {
            b.iter(|| floor_once(&secrets, &keys, &sigs));
        });
    }
    group.finish();
    split_table();
}

/// Signature work vs logic per decided height, next to the floor (printed, not criterion).
fn split_table() {
    println!();
    println!("per-node CPU per decided height (BLS, indicative; the machine may be shared)");
    println!(
        "{:>5} {:>10} {:>10} {:>10} {:>10} {:>7} {:>16}",
        "n", "node ms", "sig ms", "logic ms", "floor ms", "ratio", "partitions/core"
    );
    for n in [4usize, 31, 100, 150] {
        let traffic = Traffic::<Metered>::new(n, HEIGHTS);
        let (secrets, keys, sigs) = floor_inputs(n);
        // Node heights and floor runs interleaved, so a shared machine's load hits both alike.
        let rounds = 3;
        let mut node_total = Duration::ZERO;
        let mut floor_total = Duration::ZERO;
        let mut sig_total = 0u128;
        let mut work = zg_consensus::WorkStats::default();
        for _ in 0..rounds {
            let mut node = traffic.node();
            for h in 0..HEIGHTS as usize {
                SIG_NANOS.with(|c| c.set(0));
                let t = Instant::now();
                traffic.height(&mut node, h);
                node_total += t.elapsed();
                sig_total += SIG_NANOS.with(Cell::get);
                let t = Instant::now();
                floor_once(&secrets, &keys, &sigs);
                floor_total += t.elapsed();
            }
            let w = node.work();
            work.signatures += w.signatures;
            work.vote_batches += w.vote_batches;
            work.single_checks += w.single_checks;
        }
        let count = (rounds * HEIGHTS as usize) as f64;
        let per = node_total.as_secs_f64() * 1e3 / count;
        let sig = sig_total as f64 / 1e6 / count;
        let floor = floor_total.as_secs_f64() * 1e3 / count;
        println!(
            "{n:>5} {per:>10.3} {sig:>10.3} {:>10.3} {floor:>10.3} {:>7.2} {:>16.0}   {:.2} signatures, {:.2} batch + {:.2} single checks",
            per - sig,
            per / floor,
            1000.0 / per,
            work.signatures as f64 / count,
            work.vote_batches as f64 / count,
            work.single_checks as f64 / count,
        );
    }
    println!();
}

fn bench_simulate(c: &mut Criterion) {
    let mut group = c.benchmark_group("consensus/simulate");
    group.sample_size(10);
    for (n, partitions) in [(4usize, 100u32), (31, 10)] {
        let heights = 2;
        group.throughput(Throughput::Elements(u64::from(partitions) * heights));
        group.bench_function(
            BenchmarkId::new(format!("insecure-n{n}"), partitions),
            |b| {
                b.iter(|| {
                    let r = run::<InsecureTestScheme>(&Scenario {
                        validators: n,
                        byzantine: 0,
                        partitions,
                        heights,
                        seed: 1,
                        ..Scenario::default()
                    });
                    assert!(r.completed);
                    r.decisions
                });
            },
        );
    }
    group.finish();
    full_run();
}

/// 1,000 partitions × 31 validators × 10 heights on 2 threads (each runs half of every node's
/// partitions as its own network). Only with `ZG_CONSENSUS_FULL=insecure|bls`.
fn full_run() {
    let Ok(which) = std::env::var("ZG_CONSENSUS_FULL") else {
        return;
    };
    let heights = std::env::var("ZG_CONSENSUS_FULL_HEIGHTS")
        .ok()
        .and_then(|h| h.parse().ok())
        .unwrap_or(10u64);
    let scenario = move |seed| Scenario {
        validators: 31,
        byzantine: 0,
        partitions: 500,
        heights,
        seed,
        deadline: Timestamp::from_secs(3600),
        ..Scenario::default()
    };
    let t = Instant::now();
    let threads: Vec<_> = (0..2u64)
        .map(|i| {
            let which = which.clone();
            std::thread::spawn(move || {
                if which == "bls" {
                    run::<Bls>(&scenario(i))
                } else {
                    run::<InsecureTestScheme>(&scenario(i))
                }
            })
        })
        .collect();
    let reports: Vec<_> = threads.into_iter().map(|h| h.join().unwrap()).collect();
    let decisions: u64 = reports.iter().map(|r| r.decisions).sum();
    let completed = reports.iter().all(|r| r.completed);
    println!(
        "full run ({which}): 1000 partitions x 31 validators x {heights} heights on 2 threads: \
         {decisions} decisions, completed {completed}, wall {:.1?}",
        t.elapsed()
    );
}

criterion_group!(benches, bench_height, bench_simulate);
criterion_main!(benches);
