//! Committee lane, on the zg-core simulator: every epoch an assembler node publishes the
//! epoch's seed; each validator node privately learns whether stake-weighted sortition put it on
//! the DA-signer committee (and the beacon committee) and gossips its claim; the assembler
//! collects the claims it receives, assembles both committees when the epoch closes, and the
//! beacon committee's smallest VRF output seeds the next epoch.
//!
//! The adversary is a staked validator with a fast link to the assembler, so its claims arrive
//! **before any honest claim**, in shuffled order: the previous epoch's honest claims replayed,
//! its own proof under every other member's index (forgeries), and its own claim when it won no
//! seat. Every rejection is classified by the claim it rejects (looked up among what the
//! adversary reports it sent) and checked against the **typed reason** that kind must get; the
//! committee is checked against the one the honest claims alone select.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Result;
use zg_core::machine::{Input, Machine, Outbox, Output, Protocol};
use zg_core::sim::{Latency, LinkConfig, SimConfig, SimRng, Simulation};
use zg_core::{Amount, Epoch, H256, NodeId, Timestamp, keccak256};
use zg_vrf::{
    BEACON_ROLE, BatchableProof, Committee, EligibilityClaim, Error as VrfError, NodeKeys,
    SecretKey, Selection, StakeTable, assemble_committee, compute_eligibility,
    next_seed_from_committee,
};

use crate::report::{Chart, LaneReport, Series};

const DA_SEATS: u64 = 16;
const BEACON_SEATS: u64 = 8;
const DA_ROLE: &str = "da-signer";
/// The assembler closes an epoch this long after publishing its seed.
const CLOSE_MS: u64 = 1_000;
/// Most claims the assembler keeps from one sender in one epoch (per role): twice the table,
/// so a flood from one peer costs a bounded amount of memory and verification.
const fn per_sender_cap(table_len: usize) -> usize {
    2 * table_len
}

const ASSEMBLER: NodeId = NodeId(0);

/// Which committee a claim is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Role {
    Da,
    Beacon,
}

/// What the adversary sent, as it reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Attack {
    /// An honest claim of the previous epoch, sent again.
    Replayed,
    /// The adversary's own proof under another member's index.
    Forged,
    /// The adversary's own claim in an epoch it won no seat.
    ZeroSeat,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Message {
    /// The assembler's seed for `epoch`.
    Seed { epoch: u64, seed: H256 },
    /// A claim (gossiped by validators; anyone may relay or forge one).
    Claim {
        epoch: u64,
        role: Role,
        index: usize,
        proof: Vec<u8>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Timer {
    /// Publish the first epoch's seed (a timer, so that the links are set up by then).
    Start,
    Close(u64),
}

#[derive(Debug)]
enum Event {
    /// The assembler closed an epoch.
    Assembled(Box<Assembled>),
    /// The adversary sent these claims (to the assembler, in this order).
    Sent {
        epoch: u64,
        claims: Vec<(Attack, EligibilityClaim)>,
    },
}

#[derive(Debug)]
struct Assembled {
    epoch: u64,
    selection: Selection,
    committee: Committee,
    /// Every DA claim kept, with its sender, in arrival order.
    claims: Vec<(NodeId, EligibilityClaim)>,
    /// The DA claims rejected, with the typed error.
    rejected: Vec<(NodeId, EligibilityClaim, VrfError)>,
    /// Claims dropped because their sender was over its cap.
    over_cap: usize,
}

struct Net;

impl Protocol for Net {
    type Message = Message;
    type Timer = Timer;
    type Command = ();
    type Request = ();
    type Record = ();
    type Event = Event;
    type Error = std::convert::Infallible;
}

struct World {
    table: StakeTable,
    keys: Vec<SecretKey>,
    seed: u64,
    epochs: u64,
}

fn selection(epoch: u64, seed: H256, role: Role) -> Selection {
    match role {
        Role::Da => Selection {
            epoch: Epoch(epoch),
            seed,
            role: DA_ROLE.into(),
            expected_seats: DA_SEATS,
        },
        Role::Beacon => Selection {
            epoch: Epoch(epoch),
            seed,
            role: BEACON_ROLE.into(),
            expected_seats: BEACON_SEATS,
        },
    }
}

fn to_claim(index: usize, proof: &[u8]) -> Option<EligibilityClaim> {
    Some(EligibilityClaim {
        index,
        proof: BatchableProof::from_slice(proof).ok()?,
    })
}

fn claim_msg(epoch: u64, role: Role, c: &EligibilityClaim) -> Message {
    Message::Claim {
        epoch,
        role,
        index: c.index,
        proof: c.proof.as_bytes().to_vec(),
    }
}

/// Collects claims and assembles the committees.
struct Assembler {
    world: Arc<World>,
    epoch: u64,
    seed: H256,
    /// Per role: claims in arrival order, with their sender.
    claims: HashMap<Role, Vec<(NodeId, EligibilityClaim)>>,
    per_sender: HashMap<(Role, NodeId), usize>,
    over_cap: usize,
    out: Outbox<Net>,
}

impl Assembler {
    fn new(world: Arc<World>) -> Self {
        let seed = keccak256(&world.seed.to_be_bytes());
        let mut a = Assembler {
            world,
            epoch: 0,
            seed,
            claims: HashMap::new(),
            per_sender: HashMap::new(),
            over_cap: 0,
            out: Outbox::new(),
        };
        a.out.schedule(Timestamp(10), Timer::Start);
        a
    }

    fn open(&mut self, now: Timestamp, epoch: u64, seed: H256) {
        self.epoch = epoch;
        self.seed = seed;
        self.claims.clear();
        self.per_sender.clear();
        self.over_cap = 0;
        self.out.broadcast(Message::Seed { epoch, seed });
        self.out
            .schedule(now.plus_millis(CLOSE_MS), Timer::Close(epoch));
    }

    fn on_claim(&mut self, from: NodeId, epoch: u64, role: Role, index: usize, proof: &[u8]) {
        if epoch != self.epoch {
            return; // another epoch's claim: not this committee's business
        }
        let Some(claim) = to_claim(index, proof) else {
            return;
        };
        // The sender is the transport's `from`; a claim's validity is its proof.
        let n = self.per_sender.entry((role, from)).or_default();
        if *n >= per_sender_cap(self.world.table.entries().len()) {
            self.over_cap += 1;
            return;
        }
        *n += 1;
        self.claims.entry(role).or_default().push((from, claim));
    }

    fn close(&mut self, now: Timestamp, epoch: u64) -> Result<(), VrfError> {
        if epoch != self.epoch {
            return Ok(());
        }
        let batch_seed = keccak256_parts_u64(self.world.seed ^ 0xba7c, epoch).0;
        let da = selection(epoch, self.seed, Role::Da);
        let da_claims = self.claims.remove(&Role::Da).unwrap_or_default();
        let list: Vec<EligibilityClaim> = da_claims.iter().map(|(_, c)| c.clone()).collect();
        let (committee, rejected) = assemble_committee(&self.world.table, &da, &list, &batch_seed)?;
        let rejected = rejected
            .into_iter()
            .filter_map(|r| {
                let (from, c) = da_claims.get(r.position)?;
                Some((*from, c.clone(), r.error))
            })
            .collect();
        let beacon = selection(epoch, self.seed, Role::Beacon);
        let reveals: Vec<EligibilityClaim> = self
            .claims
            .remove(&Role::Beacon)
            .unwrap_or_default()
            .into_iter()
            .map(|(_, c)| c)
            .collect();
        let (contributors, _) =
            assemble_committee(&self.world.table, &beacon, &reveals, &batch_seed)?;
        let next = next_seed_from_committee(&contributors).unwrap_or(self.seed);
        self.out.event(Event::Assembled(Box::new(Assembled {
            epoch,
            selection: da,
            committee,
            claims: da_claims,
            rejected,
            over_cap: self.over_cap,
        })));
        if epoch < self.world.epochs {
            self.open(now, epoch + 1, next);
        }
        Ok(())
    }
}

impl Machine<Net> for Assembler {
    fn handle(
        &mut self,
        now: Timestamp,
        input: Input<Net>,
    ) -> Result<(), std::convert::Infallible> {
        match input {
            Input::Message {
                from,
                message:
                    Message::Claim {
                        epoch,
                        role,
                        index,
                        proof,
                    },
            } => self.on_claim(from, epoch, role, index, &proof),
            Input::Timeout(Timer::Start) if self.epoch == 0 => {
                self.open(now, 1, self.seed);
            }
            Input::Timeout(Timer::Close(epoch)) => {
                // Parameters are fixed and valid; a failure here would be a bug the lane
                // reports as a missing epoch.
                let _ = self.close(now, epoch);
            }
            _ => {}
        }
        Ok(())
    }

    fn poll_output(&mut self) -> Option<Output<Net>> {
        self.out.pop()
    }
}

/// An honest validator: on each seed, publishes its claims for the committees it won.
struct Validator {
    world: Arc<World>,
    index: usize,
    out: Outbox<Net>,
}

impl Machine<Net> for Validator {
    fn handle(
        &mut self,
        _now: Timestamp,
        input: Input<Net>,
    ) -> Result<(), std::convert::Infallible> {
        let Input::Message {
            from,
            message: Message::Seed { epoch, seed },
        } = input
        else {
            return Ok(());
        };
        if from != ASSEMBLER {
            return Ok(()); // only the assembler's seed counts
        }
        for role in [Role::Da, Role::Beacon] {
            let sel = selection(epoch, seed, role);
            if let Ok(el) =
                compute_eligibility(&self.world.keys[self.index], &self.world.table, &sel)
                && el.seats > 0
            {
                self.out.broadcast(claim_msg(epoch, role, &el.claim));
            }
        }
        Ok(())
    }

    fn poll_output(&mut self) -> Option<Output<Net>> {
        self.out.pop()
    }
}

/// The adversary: a staked validator that sends its attack claims to the assembler first.
struct Adversary {
    world: Arc<World>,
    index: usize,
    /// Honest DA claims overheard this epoch (replayed next epoch).
    heard: Vec<EligibilityClaim>,
    heard_epoch: u64,
    out: Outbox<Net>,
}

impl Adversary {
    fn attack(&mut self, epoch: u64, seed: H256) {
        let mut claims: Vec<(Attack, EligibilityClaim)> = Vec::new();
        if self.heard_epoch + 1 == epoch {
            claims.extend(self.heard.drain(..).map(|c| (Attack::Replayed, c)));
        }
        self.heard.clear();
        self.heard_epoch = epoch;
        let sel = selection(epoch, seed, Role::Da);
        let Ok(own) = compute_eligibility(&self.world.keys[self.index], &self.world.table, &sel)
        else {
            return;
        };
        for index in (0..self.world.table.entries().len()).filter(|&i| i != self.index) {
            let mut forged = own.claim.clone();
            forged.index = index;
            claims.push((Attack::Forged, forged));
        }
        let winning = own.seats > 0;
        if !winning {
            claims.push((Attack::ZeroSeat, own.claim.clone()));
        }
        // Shuffled, and all of them before any honest claim can arrive.
        let mut rng = SimRng::new(self.world.seed ^ epoch.rotate_left(17));
        for i in (1..claims.len()).rev() {
            let j = usize::try_from(rng.below(i as u64 + 1)).unwrap_or(i);
            claims.swap(i, j);
        }
        for (_, c) in &claims {
            self.out.send(ASSEMBLER, claim_msg(epoch, Role::Da, c));
        }
        if winning {
            // Its own winning claim is honest: it goes out after the attack.
            self.out.broadcast(claim_msg(epoch, Role::Da, &own.claim));
        }
        self.out.event(Event::Sent { epoch, claims });
    }
}

impl Machine<Net> for Adversary {
    fn handle(
        &mut self,
        _now: Timestamp,
        input: Input<Net>,
    ) -> Result<(), std::convert::Infallible> {
        match input {
            Input::Message {
                from,
                message: Message::Seed { epoch, seed },
            } if from == ASSEMBLER => self.attack(epoch, seed),
            Input::Message {
                message:
                    Message::Claim {
                        epoch,
                        role: Role::Da,
                        index,
                        proof,
                    },
                ..
            } if epoch == self.heard_epoch => {
                if let Some(c) = to_claim(index, &proof) {
                    self.heard.push(c);
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn poll_output(&mut self) -> Option<Output<Net>> {
        self.out.pop()
    }
}

/// Per-kind tallies of the adversary's claims: (tried, rejected with the expected reason).
#[derive(Default)]
struct Tally {
    tried: usize,
    caught: usize,
}

fn expected_reason(kind: Attack, error: &VrfError) -> bool {
    match kind {
        // A proof over another epoch's input, or by another key: the proof does not verify.
        Attack::Replayed | Attack::Forged => matches!(error, VrfError::InvalidProof),
        Attack::ZeroSeat => matches!(
            error,
            VrfError::InvalidClaim {
                reason: "no seats won",
                ..
            }
        ),
    }
}

pub(crate) fn run_lane(seed: u64, quick: bool) -> Result<LaneReport> {
    let mut lane = LaneReport::new("committee (VRF sortition + beacon, on the simulator)");
    let (n, epochs) = if quick { (24usize, 8u64) } else { (48, 24) };
    // Validators 0..n hold (i + 1) thousand units; the adversary (index n) the minimum.
    // Every node's keys by the workspace's one derivation, for this run's deployment.
    let deployment = format!("devnet/{seed}");
    let nodes: Vec<NodeKeys> = (0..=n)
        .map(|i| NodeKeys::derive(deployment.as_bytes(), NodeId(1 + i as u64)))
        .collect();
    let table = StakeTable::new(
        Epoch(1),
        nodes
            .iter()
            .enumerate()
            .map(|(i, k)| {
                k.entry(Amount::new(if i == n {
                    1000
                } else {
                    (i as u128 + 1) * 1000
                }))
            })
            .collect(),
        Amount::new(1000),
    )?;
    let keys: Vec<SecretKey> = nodes.into_iter().map(|k| k.vrf).collect();
    let world = Arc::new(World {
        table,
        keys,
        seed,
        epochs,
    });
    let adversary = NodeId(1 + n as u64);
    let w = world.clone();
    let mut sim: Simulation<Net> = Simulation::new(
        SimConfig {
            seed,
            link: LinkConfig {
                latency: Latency::Uniform {
                    min_ms: 10,
                    max_ms: 100,
                },
                ..LinkConfig::default()
            },
        },
        n + 2,
        move |id, _, _| -> Box<dyn Machine<Net>> {
            let i = usize::try_from(id.0).unwrap_or(usize::MAX);
            if id == ASSEMBLER {
                Box::new(Assembler::new(w.clone()))
            } else if i == n + 1 {
                Box::new(Adversary {
                    world: w.clone(),
                    index: n,
                    heard: Vec::new(),
                    heard_epoch: 0,
                    out: Outbox::new(),
                })
            } else {
                Box::new(Validator {
                    world: w.clone(),
                    index: i - 1,
                    out: Outbox::new(),
                })
            }
        },
    );
    // The adversary's links to and from the assembler are fast: its claims arrive first.
    let fast = LinkConfig {
        latency: Latency::Uniform {
            min_ms: 1,
            max_ms: 1,
        },
        ..LinkConfig::default()
    };
    for (from, to) in [(ASSEMBLER, adversary), (adversary, ASSEMBLER)] {
        sim.apply(zg_core::sim::Fault::SetLink {
            from,
            to,
            config: fast,
        });
    }
    sim.run_until(Timestamp(epochs * (CLOSE_MS + 10) + 5_000));

    let mut sent: HashMap<u64, HashMap<(usize, Vec<u8>), Attack>> = HashMap::new();
    let mut tallies: HashMap<Attack, Tally> = HashMap::new();
    let mut assembled = Vec::new();
    for (_, _, e) in sim.take_events() {
        match e {
            Event::Sent { epoch, claims } => {
                let m = sent.entry(epoch).or_default();
                for (kind, c) in claims {
                    tallies.entry(kind).or_default().tried += 1;
                    m.insert((c.index, c.proof.as_bytes().to_vec()), kind);
                }
            }
            Event::Assembled(a) => assembled.push(a),
        }
    }
    let (mut epochs_ok, mut first_ok, mut honest_rejected, mut misclassified) = (0, 0, 0, 0);
    let mut over_cap = 0;
    let (mut seats_series, mut members_series) = (Vec::new(), Vec::new());
    let mut seats_by_validator = vec![0u64; n + 1];
    let batch_seed = [0x5e; 32];
    for a in &assembled {
        let attacks = sent.get(&a.epoch);
        let kind_of = |c: &EligibilityClaim| {
            attacks.and_then(|m| m.get(&(c.index, c.proof.as_bytes().to_vec())).copied())
        };
        // The committee the honest claims alone select (the adversary's own winning claim is
        // honest too).
        let honest: Vec<EligibilityClaim> = a
            .claims
            .iter()
            .filter(|(from, c)| *from != adversary || kind_of(c).is_none())
            .map(|(_, c)| c.clone())
            .collect();
        let (reference, _) = assemble_committee(&world.table, &a.selection, &honest, &batch_seed)?;
        if a.committee == reference && !reference.members.is_empty() {
            epochs_ok += 1;
        }
        // Every adversarial claim arrived before the first honest one.
        let first_honest = a
            .claims
            .iter()
            .position(|(from, c)| *from != adversary || kind_of(c).is_none())
            .unwrap_or(a.claims.len());
        let adversarial = a
            .claims
            .iter()
            .filter(|(_, c)| kind_of(c).is_some())
            .count();
        if adversarial > 0 && first_honest >= adversarial {
            first_ok += 1;
        }
        for (_, c, error) in &a.rejected {
            match kind_of(c) {
                Some(kind) if expected_reason(kind, error) => {
                    tallies.entry(kind).or_default().caught += 1;
                }
                Some(_) => misclassified += 1,
                None => honest_rejected += 1,
            }
        }
        over_cap += a.over_cap;
        for m in &a.committee.members {
            seats_by_validator[m.index] += m.seats;
        }
        seats_series.push((a.epoch as f64, a.committee.total_seats as f64));
        members_series.push((a.epoch as f64, a.committee.members.len() as f64));
    }
    let done = assembled.len() as u64;
    lane.check(
        format!("every epoch was assembled on the simulator ({done}/{epochs})"),
        done == epochs,
    );
    lane.check(
        format!(
            "the adversary's claims reached the assembler before any honest claim \
             ({first_ok}/{done} epochs)"
        ),
        first_ok as u64 == done,
    );
    lane.check(
        format!(
            "each committee equals the one its honest claims alone select \
             ({epochs_ok}/{done} epochs)"
        ),
        epochs_ok as u64 == done,
    );
    lane.check(
        format!("honest claims rejected: {honest_rejected}"),
        honest_rejected == 0,
    );
    let t = |k| tallies.get(&k).map_or((0, 0), |t| (t.caught, t.tried));
    let (rc, rt) = t(Attack::Replayed);
    lane.check(
        format!("replayed claims from the previous epoch rejected as invalid proofs: {rc}/{rt}"),
        rc == rt && rt > 0,
    );
    let (fc, ft) = t(Attack::Forged);
    lane.check(
        format!("claims under another member's index rejected as invalid proofs: {fc}/{ft}"),
        fc == ft && ft > 0,
    );
    let (zc, zt) = t(Attack::ZeroSeat);
    lane.check(
        format!("zero-seat claims rejected as \"no seats won\": {zc}/{zt}"),
        zc == zt,
    );
    lane.check(
        format!("rejections with an unexpected reason: {misclassified}"),
        misclassified == 0,
    );
    lane.fact(format!(
        "claims dropped over the per-sender cap of {}: {over_cap}",
        per_sender_cap(n + 1)
    ));
    let mean = seats_series.iter().map(|p| p.1).sum::<f64>() / epochs as f64;
    lane.fact(format!(
        "{n} validators with stake 1k..{n}k units and a 1k-unit adversary; {epochs} epochs; \
         mean DA committee {mean:.1} seats (expected {DA_SEATS}); {} messages delivered",
        sim.stats().delivered
    ));
    let half = n / 2;
    let low: u64 = seats_by_validator[..half].iter().sum();
    let high: u64 = seats_by_validator[half..n].iter().sum();
    lane.fact(format!(
        "seats won by the lower-stake half: {low}, by the higher-stake half: {high} (stake ratio \
         {:.2})",
        (half * (half + 1)) as f64 / ((n * (n + 1) - half * (half + 1)) as f64)
    ));
    // Mean seats per epoch within four standard deviations of the expectation.
    let sd = (DA_SEATS as f64 / epochs as f64).sqrt();
    lane.check(
        format!(
            "mean committee size {mean:.1} within 4σ ({:.1}) of {DA_SEATS}",
            4.0 * sd
        ),
        (mean - DA_SEATS as f64).abs() <= 4.0 * sd,
    );
    lane.charts.push(Chart {
        stem: "committee-seats".into(),
        title: "DA-signer committee per epoch (VRF sortition)".into(),
        x_label: "epoch".into(),
        y_label: "count".into(),
        series: vec![
            Series {
                name: "seats".into(),
                points: seats_series,
            },
            Series {
                name: "members".into(),
                points: members_series,
            },
            Series {
                name: "expected seats".into(),
                points: vec![(1.0, DA_SEATS as f64), (epochs as f64, DA_SEATS as f64)],
            },
        ],
    });
    Ok(lane)
}

fn keccak256_parts_u64(seed: u64, i: u64) -> H256 {
    zg_core::keccak256_parts(&[&seed.to_be_bytes(), &i.to_be_bytes()])
}
