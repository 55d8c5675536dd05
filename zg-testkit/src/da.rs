//! The whole zg-da lane in the zg-core simulator: a committee drawn by sortition,
//! one [`Aggregator`], its [`Signer`]s (some Byzantine), then light-client [`Sampler`]s and a
//! [`Reconstructor`] against the signers restarted from their records. Used by the tests,
//! `zg da simulate` and the devnet.
//!
//! [`Lane`] is the one protocol all of them speak in a simulation; [`LaneNode`] adapts each
//! machine to it. Faults: Byzantine seats that sign without storing (and serve corrupt cells),
//! withholding seats (silent), a disperser that sends bad cells to some members, lossy,
//! duplicating and reordering links, and a signer crash with restart from its records.

use std::sync::Arc;
use std::time::Duration;

use zg_bls::{Bls, Scheme};
use zg_core::machine::{Input, Machine, Outbox, Output, Protocol};
use zg_core::sim::{Fault, LinkConfig, SimConfig, Simulation};
use zg_core::{Amount, Epoch, H256, NodeId, Timestamp, keccak256_parts};
use zg_kzg::KzgSettings;
use zg_vrf::{NodeKeys, Selection, StakeTable, compute_eligibility};

use zg_da::aggregator::{self, Aggregator, AggregatorConfig};
use zg_da::certificate::{Certificate, DaCommittee};
use zg_da::custody::DA_SIGNER_ROLE;
use zg_da::payload::encode_payload;
use zg_da::reconstructor::{self, Reconstructor, ReconstructorConfig};
use zg_da::retrieval::{self, Message as RMessage};
use zg_da::sampler::{self, Sampler, SamplerConfig, false_available_bound};
use zg_da::signer::{self, Command, Message, Record, Request, Signer, SignerConfig};
use zg_da::{Error, Reconstruction, Sampling};

/// The protocol of a whole-lane simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lane;

/// Timers of any lane machine.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LaneTimer {
    /// The aggregator's.
    Aggregator(aggregator::Timer),
    /// A sampler's or reconstructor's.
    Retrieval(retrieval::Timer),
}

/// Events of any lane machine.
#[derive(Clone, Debug, PartialEq)]
pub enum LaneEvent {
    /// A signer's.
    Signer(signer::Event),
    /// The aggregator's.
    Aggregator(aggregator::Event),
    /// A sampler's.
    Sampler(sampler::Event),
    /// The reconstructor's.
    Reconstructor(reconstructor::Event),
}

impl Protocol for Lane {
    type Message = Message;
    type Timer = LaneTimer;
    type Command = Command;
    type Request = Request;
    type Record = Record;
    type Event = LaneEvent;
    type Error = String;
}

/// How a simulated signer behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Follows the protocol.
    Honest,
    /// Attests (its machine verifies and signs) but serves corrupt cells to everyone who asks:
    /// signs without really storing.
    SignsWithoutStoring,
    /// Never answers anything.
    Withholding,
}

/// One simulated node.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // one per simulated node; boxing buys nothing here
pub enum LaneNode {
    /// The disperser/aggregator; deliveries to the listed members get corrupt cells (a
    /// disperser that sends bad cells to some members).
    Aggregator(Aggregator, Vec<NodeId>),
    /// A signer and how it behaves.
    Signer(Signer, Behaviour, Outbox<Lane>),
    /// A light client.
    Sampler(Sampler),
    /// A reconstructor.
    Reconstructor(Reconstructor),
    /// Not part of this run.
    Idle,
}

fn corrupt(m: RMessage) -> RMessage {
    match m {
        RMessage::Cells { payload, mut cells } => {
            for c in &mut cells {
                let mut bad = *c.cell;
                bad.0[31] ^= 1;
                c.cell = Arc::new(bad);
            }
            RMessage::Cells { payload, cells }
        }
        other => other,
    }
}

fn lift<P, F, G>(out: Output<P>, timer: F, event: G) -> Option<Output<Lane>>
where
    P: Protocol<Message = RMessage>,
    F: Fn(P::Timer) -> LaneTimer,
    G: Fn(P::Event) -> LaneEvent,
{
    Some(match out {
        Output::Send { to, message } => Output::Send {
            to,
            message: Message::Retrieval(message),
        },
        Output::ScheduleTimeout { at, timer: t } => Output::ScheduleTimeout {
            at,
            timer: timer(t),
        },
        Output::Event(e) => Output::Event(event(e)),
        _ => return None,
    })
}

impl Machine<Lane> for LaneNode {
    fn handle(&mut self, now: Timestamp, input: Input<Lane>) -> Result<(), String> {
        match self {
            LaneNode::Aggregator(a, _) => {
                let input = match input {
                    Input::Message { from, message } => Input::Message { from, message },
                    Input::Timeout(LaneTimer::Aggregator(t)) => Input::Timeout(t),
                    _ => return Ok(()),
                };
                a.handle(now, input).map_err(|e| e.to_string())
            }
            LaneNode::Signer(s, behaviour, _) => {
                if *behaviour == Behaviour::Withholding {
                    return Ok(());
                }
                let input = match input {
                    Input::Message { from, message } => Input::Message { from, message },
                    Input::Command(c) => Input::Command(c),
                    Input::Timeout(_) => return Ok(()),
                };
                s.handle(now, input).map_err(|e| e.to_string())
            }
            LaneNode::Sampler(s) => {
                let input = match input {
                    Input::Message {
                        from,
                        message: Message::Retrieval(m),
                    } => Input::Message { from, message: m },
                    Input::Timeout(LaneTimer::Retrieval(t)) => Input::Timeout(t),
                    _ => return Ok(()),
                };
                Machine::<Sampling>::handle(s, now, input).map_err(|e| e.to_string())
            }
            LaneNode::Reconstructor(r) => {
                let input = match input {
                    Input::Message {
                        from,
                        message: Message::Retrieval(m),
                    } => Input::Message { from, message: m },
                    Input::Timeout(LaneTimer::Retrieval(t)) => Input::Timeout(t),
                    _ => return Ok(()),
                };
                Machine::<Reconstruction>::handle(r, now, input).map_err(|e| e.to_string())
            }
            LaneNode::Idle => Ok(()),
        }
    }

    fn poll_output(&mut self) -> Option<Output<Lane>> {
        loop {
            let out = match self {
                LaneNode::Aggregator(a, bad) => match a.poll_output()? {
                    Output::Send {
                        to: zg_core::machine::Recipient::One(t),
                        message:
                            Message::Store {
                                header,
                                epoch,
                                mut columns,
                            },
                    } if bad.contains(&t) => {
                        for c in &mut columns {
                            for cell in &mut c.cells {
                                let mut x = *cell.cell;
                                x.0[31] ^= 1;
                                cell.cell = Arc::new(x);
                            }
                        }
                        Output::Send {
                            to: zg_core::machine::Recipient::One(t),
                            message: Message::Store {
                                header,
                                epoch,
                                columns,
                            },
                        }
                    }
                    Output::Send { to, message } => Output::Send { to, message },
                    Output::ScheduleTimeout { at, timer } => Output::ScheduleTimeout {
                        at,
                        timer: LaneTimer::Aggregator(timer),
                    },
                    Output::Event(e) => Output::Event(LaneEvent::Aggregator(e)),
                    _ => continue,
                },
                LaneNode::Signer(s, behaviour, _) => match s.poll_output()? {
                    Output::Send {
                        to,
                        message: Message::Retrieval(m),
                    } if *behaviour == Behaviour::SignsWithoutStoring => Output::Send {
                        to,
                        message: Message::Retrieval(corrupt(m)),
                    },
                    Output::Event(e) => Output::Event(LaneEvent::Signer(e)),
                    Output::Send { to, message } => Output::Send { to, message },
                    Output::Persist(r) => Output::Persist(r),
                    Output::Checkpoint(r) => Output::Checkpoint(r),
                    Output::Request(r) => Output::Request(r),
                    Output::ScheduleTimeout { timer, .. } => match timer {},
                },
                LaneNode::Sampler(s) => {
                    let o = Machine::<Sampling>::poll_output(s)?;
                    match lift(o, LaneTimer::Retrieval, LaneEvent::Sampler) {
                        Some(o) => o,
                        None => continue,
                    }
                }
                LaneNode::Reconstructor(r) => {
                    let o = Machine::<Reconstruction>::poll_output(r)?;
                    match lift(o, LaneTimer::Retrieval, LaneEvent::Reconstructor) {
                        Some(o) => o,
                        None => continue,
                    }
                }
                LaneNode::Idle => return None,
            };
            return Some(out);
        }
    }
}

/// A whole-lane scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Nodes in the stake table (candidate signers).
    pub signers: usize,
    /// Seats (whole members, smallest first) that sign without storing and serve bad cells.
    pub byzantine: usize,
    /// Members that withhold everything.
    pub withholding: usize,
    /// Members the disperser sends corrupt cells to.
    pub bad_deliveries: usize,
    /// Payload size in bytes.
    pub payload_bytes: usize,
    /// Seed of everything.
    pub seed: u64,
    /// Link loss probability (duplication and reordering are half of it each).
    pub loss: f64,
    /// Custody replication `r`.
    pub replication: u16,
    /// Coverage `k`.
    pub coverage: u16,
    /// Light clients.
    pub samplers: usize,
    /// Samples per blob.
    pub samples: usize,
    /// Crash one honest signer during dispersal and restart it from its records.
    pub crash_restart: bool,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            signers: 16,
            byzantine: 0,
            withholding: 0,
            bad_deliveries: 0,
            payload_bytes: 100_000,
            seed: 1,
            loss: 0.0,
            replication: 4,
            coverage: 1,
            samplers: 4,
            samples: 16,
            crash_restart: false,
        }
    }
}

/// What a scenario did.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// Committee members and seats.
    pub members: usize,
    /// Total seats.
    pub seats: u64,
    /// Whether a certificate formed and verified against the committee.
    pub certified: bool,
    /// Its encoded size (0 without one).
    pub certificate_bytes: usize,
    /// Its hash (what consensus orders), when certified.
    pub certificate_hash: Option<H256>,
    /// Seats that signed / all seats.
    pub signed_seat_fraction: f64,
    /// Whether any Byzantine, withholding or refusing member is among the signers.
    pub refusers_counted: bool,
    /// Samplers that said `Available`.
    pub sampling_available: usize,
    /// Samplers that said `Unavailable`.
    pub sampling_unavailable: usize,
    /// Whether the payload can truly be rebuilt from honest holders (ground truth).
    pub truly_available: bool,
    /// `Available` verdicts although it cannot be rebuilt.
    pub false_available: usize,
    /// The per-sampler bound on a false `Available`.
    pub false_available_bound: f64,
    /// Whether the reconstructor returned the exact payload bytes.
    pub reconstructed: bool,
    /// Holders reported for bad cells (all Byzantine).
    pub bad_holders_reported: usize,
    /// An honest holder was reported (must never happen).
    pub honest_reported: bool,
}

/// The deployment name a scenario's node keys are derived under
/// ([`zg_vrf::NodeKeys::derive`], the workspace's one derivation): `"zg-da/sim/<seed>"`.
pub fn deployment(seed: u64) -> Vec<u8> {
    format!("zg-da/sim/{seed}").into_bytes()
}

struct Setup {
    committee: Arc<DaCommittee>,
}

fn setup(s: &Scenario) -> Result<Setup, Error> {
    let n = s.signers;
    let name = deployment(s.seed);
    let keys: Vec<NodeKeys> = (1..=n as u64)
        .map(|i| NodeKeys::derive(&name, NodeId(i)))
        .collect();
    let epoch = Epoch(1);
    let table = StakeTable::new(
        epoch,
        keys.iter().map(|k| k.entry(Amount::new(3))).collect(),
        Amount::new(1),
    )?;
    let selection = Selection {
        epoch,
        seed: keccak256_parts(&[b"zg-da/sim/epoch-seed", &s.seed.to_be_bytes()]),
        role: DA_SIGNER_ROLE.into(),
        expected_seats: 2 * n as u64,
    };
    let mut claims = Vec::new();
    for k in &keys {
        let e = compute_eligibility(&k.vrf, &table, &selection)?;
        if e.seats > 0 {
            claims.push(e.claim);
        }
    }
    let committee = DaCommittee::assemble(&table, &selection, &claims, s.replication, s.coverage)?;
    Ok(Setup {
        committee: Arc::new(committee),
    })
}

fn link(s: &Scenario) -> SimConfig {
    SimConfig {
        seed: s.seed,
        link: LinkConfig {
            loss: s.loss,
            duplicate: s.loss / 2.0,
            reorder: s.loss / 2.0,
            reorder_ms: 150,
            ..LinkConfig::default()
        },
    }
}

/// Runs a scenario (see [`Scenario`]) and reports what happened.
///
/// # Errors
/// [`Error`] for scenario parameters no committee can satisfy (too few seats for `r`, a `k`
/// above some column's holders, an empty payload).
pub fn run(kzg: &Arc<KzgSettings>, s: &Scenario) -> Result<Report, Error> {
    let Setup { committee } = setup(s)?;
    let mut bytes = vec![0u8; s.payload_bytes];
    let mut rng = zg_core::sim::SimRng::new(s.seed ^ 0xda);
    rng.fill(&mut bytes);
    let payload = Arc::new(encode_payload(kzg, &bytes)?);
    // Roles: the smallest-seat members first become Byzantine, then withholding, then the
    // targets of bad deliveries.
    let mut by_seats: Vec<(u64, NodeId)> = committee
        .members()
        .iter()
        .map(|m| (m.seats, m.node))
        .collect();
    by_seats.sort();
    let pick = |from: usize, count: usize| -> Vec<NodeId> {
        by_seats
            .iter()
            .skip(from)
            .take(count)
            .map(|(_, n)| *n)
            .collect()
    };
    let byzantine = pick(0, s.byzantine);
    let withholding = pick(s.byzantine, s.withholding);
    let bad_targets = pick(s.byzantine + s.withholding, s.bad_deliveries);
    let roles = Arc::new((byzantine.clone(), withholding.clone()));
    let behaviour = move |node: NodeId| {
        if roles.0.contains(&node) {
            Behaviour::SignsWithoutStoring
        } else if roles.1.contains(&node) {
            Behaviour::Withholding
        } else {
            Behaviour::Honest
        }
    };
    let n = s.signers;
    // --- Phase 1: dispersal and aggregation.
    let (records, certificate, agg_events) = {
        let committee2 = committee.clone();
        let payload2 = payload.clone();
        let kzg2 = kzg.clone();
        let bad2 = bad_targets.clone();
        let behaviour1 = behaviour.clone();
        let members: Vec<NodeId> = committee.members().iter().map(|m| m.node).collect();
        let mut sim: Simulation<Lane, LaneNode> =
            Simulation::new(link(s), n + 1, move |id, now, records| {
                if id == NodeId(0) {
                    LaneNode::Aggregator(
                        Aggregator::new(
                            now,
                            AggregatorConfig {
                                committee: committee2.clone(),
                                payload: payload2.clone(),
                                resend_ms: 1_000,
                                deadline: Timestamp::from_secs(30),
                            },
                        ),
                        bad2.clone(),
                    )
                } else if members.contains(&id) {
                    LaneNode::Signer(
                        Signer::restore(kzg2.clone(), signer_config_for(&committee2, id), records),
                        behaviour1(id),
                        Outbox::new(),
                    )
                } else {
                    LaneNode::Idle
                }
            });
        let name = deployment(s.seed);
        sim.set_host(move |node, _now, request, _rng| {
            let Request::Sign { payload, message } = request;
            let keys: NodeKeys = NodeKeys::derive(&name, node);
            let sk = keys.bls;
            vec![(
                Duration::from_millis(2),
                Command::Signed {
                    payload,
                    signature: Bls::sign(&sk, &message),
                },
            )]
        });
        if s.crash_restart
            && let Some(&(_, victim)) = by_seats
                .iter()
                .rev()
                .find(|(_, n)| behaviour(*n) == Behaviour::Honest && !bad_targets.contains(n))
        {
            sim.schedule(Timestamp(300), Fault::Crash(victim));
            sim.schedule(Timestamp(2_500), Fault::Restart(victim));
        }
        sim.run_until(Timestamp::from_secs(31));
        let mut certificate: Option<Certificate> = None;
        let mut events = Vec::new();
        for (_, _, e) in sim.events() {
            if let LaneEvent::Aggregator(e) = e {
                if let aggregator::Event::Certified(c) = e {
                    certificate = Some((**c).clone());
                }
                events.push(e.clone());
            }
        }
        let records: Vec<Vec<Record>> = (0..=n as u64)
            .map(|i| sim.persisted(NodeId(i)).to_vec())
            .collect();
        (records, certificate, events)
    };
    let _ = agg_events;
    let header_id = payload.header().payload_id();
    let verified = certificate
        .as_ref()
        .and_then(|c| Certificate::from_bytes(&c.to_bytes()).ok())
        .and_then(|c| {
            c.verify(&committee, &header_id)
                .ok()
                .map(|seats| (c, seats))
        });
    let refusers_counted = certificate.as_ref().is_some_and(|c| {
        withholding.iter().chain(&bad_targets).any(|n| {
            committee
                .index_of(*n)
                .is_some_and(|i| c.signers.contains(i))
        })
    });
    // --- Phase 2: sampling and reconstruction against the signers, restarted from records.
    let holders = committee.custody().holders_by_column();
    let obtainable: std::collections::BTreeSet<u16> = committee
        .members()
        .iter()
        .filter(|m| behaviour(m.node) == Behaviour::Honest && !bad_targets.contains(&m.node))
        .flat_map(|m| committee.custody().columns_of(m.node).iter().copied())
        .collect();
    let truly_available = obtainable.len() >= zg_da::CELLS_TO_RECOVER;
    let samplers = s.samplers;
    let (sampler_verdicts, rec_events) = {
        let committee2 = committee.clone();
        let kzg2 = kzg.clone();
        let header = payload.header().clone();
        let members: Vec<NodeId> = committee.members().iter().map(|m| m.node).collect();
        let behaviour2 = behaviour.clone();
        let seed = s.seed;
        let samples = s.samples;
        let total = n + 1 + samplers + 1;
        let mut sim: Simulation<Lane, LaneNode> =
            Simulation::new(link(s), total, move |id, now, _| {
                let i = usize::try_from(id.0).unwrap_or(usize::MAX);
                if members.contains(&id) {
                    LaneNode::Signer(
                        Signer::restore(
                            kzg2.clone(),
                            signer_config_for(&committee2, id),
                            &records[i],
                        ),
                        behaviour2(id),
                        Outbox::new(),
                    )
                } else if i > n && i <= n + samplers {
                    let mut sseed = [0u8; 32];
                    sseed[..8].copy_from_slice(&seed.to_be_bytes());
                    sseed[8..16].copy_from_slice(&(i as u64).to_be_bytes());
                    let config = SamplerConfig {
                        header: header.clone(),
                        seed: sseed,
                        samples_per_blob: samples,
                        holders: holders.clone(),
                        request_timeout_ms: 500,
                        deadline: Timestamp::from_secs(30),
                    };
                    Sampler::new(kzg2.clone(), now, config)
                        .map_or(LaneNode::Idle, LaneNode::Sampler)
                } else if i == n + samplers + 1 {
                    let config = ReconstructorConfig {
                        header: header.clone(),
                        holders: holders.clone(),
                        request_timeout_ms: 500,
                        deadline: Timestamp::from_secs(30),
                    };
                    Reconstructor::new(kzg2.clone(), now, config)
                        .map_or(LaneNode::Idle, LaneNode::Reconstructor)
                } else {
                    LaneNode::Idle
                }
            });
        sim.run_until(Timestamp::from_secs(31));
        let mut verdicts = Vec::new();
        let mut rec = Vec::new();
        for (_, node, e) in sim.events() {
            match e {
                LaneEvent::Sampler(sampler::Event::Available { .. }) => verdicts.push(true),
                LaneEvent::Sampler(sampler::Event::Unavailable { .. }) => verdicts.push(false),
                LaneEvent::Sampler(sampler::Event::BadHolder { from, .. }) => {
                    rec.push((*node, *from, None))
                }
                LaneEvent::Reconstructor(reconstructor::Event::BadHolder { from, .. }) => {
                    rec.push((*node, *from, None))
                }
                LaneEvent::Reconstructor(reconstructor::Event::Reconstructed { payload: p }) => {
                    rec.push((*node, NodeId(u64::MAX), Some(p.as_slice() == &bytes[..])))
                }
                _ => {}
            }
        }
        (verdicts, rec)
    };
    let reported: std::collections::BTreeSet<NodeId> = rec_events
        .iter()
        .filter(|(_, f, ok)| ok.is_none() && f.0 != u64::MAX)
        .map(|(_, f, _)| *f)
        .collect();
    let available = sampler_verdicts.iter().filter(|v| **v).count();
    let seats = committee.total_seats();
    Ok(Report {
        members: committee.members().len(),
        seats,
        certified: verified.is_some(),
        certificate_bytes: verified.as_ref().map_or(0, |(c, _)| c.to_bytes().len()),
        certificate_hash: verified.as_ref().map(|(c, _)| c.hash()),
        signed_seat_fraction: verified
            .as_ref()
            .map_or(0.0, |(_, s)| *s as f64 / seats as f64),
        refusers_counted,
        sampling_available: available,
        sampling_unavailable: sampler_verdicts.len() - available,
        truly_available,
        false_available: if truly_available { 0 } else { available },
        false_available_bound: false_available_bound(s.samples),
        reconstructed: rec_events.iter().any(|(_, _, ok)| *ok == Some(true)),
        bad_holders_reported: reported.len(),
        honest_reported: reported.iter().any(|n| behaviour(*n) == Behaviour::Honest),
    })
}

fn signer_config_for(committee: &DaCommittee, node: NodeId) -> SignerConfig {
    SignerConfig {
        me: node,
        epoch: committee.epoch(),
        custody: Arc::new(committee.custody().clone()),
        max_payloads: 16,
        max_payloads_per_peer: 8,
    }
}
