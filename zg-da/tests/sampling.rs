//! The light-client `Sampler` (issue 12, item 6) and the `Reconstructor` (item 7), driven
//! through their public API and the zg-core simulator: the stated confidence bound measured
//! over 10,000 seeded runs, bad holders, unsolicited senders, floods, withholding, loss,
//! duplication and reordering.

// Test code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use zg_core::machine::{Input, Machine, Outbox, Output, Protocol};
use zg_core::sim::{LinkConfig, SimConfig, Simulation};
use zg_core::{H256, NodeId, Timestamp};
use zg_da::reconstructor::{Event as REvent, ReconstructionFailure};
use zg_da::retrieval::{MAX_CELLS_PER_MESSAGE, Message};
use zg_da::sampler::{Event as SEvent, Verdict};
use zg_da::*;
use zg_kzg::KzgSettings;

fn kzg() -> Arc<KzgSettings> {
    static S: OnceLock<Arc<KzgSettings>> = OnceLock::new();
    S.get_or_init(|| Arc::new(KzgSettings::mainnet().unwrap()))
        .clone()
}

fn payload(len: usize, seed: u64) -> (Vec<u8>, Arc<EncodedPayload>) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut v = vec![0u8; len];
    rng.fill_bytes(&mut v);
    let e = encode_payload(&kzg(), &v).unwrap();
    (v, Arc::new(e))
}

fn one_blob() -> &'static (Vec<u8>, Arc<EncodedPayload>) {
    static S: OnceLock<(Vec<u8>, Arc<EncodedPayload>)> = OnceLock::new();
    S.get_or_init(|| payload(50_000, 1))
}

fn two_blobs() -> &'static (Vec<u8>, Arc<EncodedPayload>) {
    static S: OnceLock<(Vec<u8>, Arc<EncodedPayload>)> = OnceLock::new();
    S.get_or_init(|| payload(FRAME_BYTES_PER_BLOB + 1000, 2))
}

/// A holder that serves only the cells it is given, with each cell of `corrupt_columns`
/// altered (a Byzantine holder whose cells fail their proofs).
struct Serving<P: Protocol<Message = Message>> {
    store: CellStore,
    corrupt: BTreeSet<u16>,
    silent: bool,
    out: Outbox<P>,
}

impl<P: Protocol<Message = Message>> Serving<P> {
    fn new(enc: &EncodedPayload, columns: impl IntoIterator<Item = usize>) -> Self {
        let mut store = CellStore::new();
        store.insert_columns(enc, columns);
        Serving {
            store,
            corrupt: BTreeSet::new(),
            silent: false,
            out: Outbox::new(),
        }
    }
    /// Holds cells `(blob, index)` for which `keep` says yes.
    fn cells(enc: &EncodedPayload, keep: impl Fn(usize, usize) -> bool) -> Self {
        let mut store = CellStore::new();
        let cells = (0..enc.header().blobs())
            .flat_map(|b| (0..COLUMNS).map(move |j| (b, j)))
            .filter(|&(b, j)| keep(b, j))
            .map(|(b, j)| enc.cell(b, j).unwrap());
        store.insert(enc.header().payload_id(), cells);
        Serving {
            store,
            corrupt: BTreeSet::new(),
            silent: false,
            out: Outbox::new(),
        }
    }
    fn corrupting(mut self, columns: impl IntoIterator<Item = u16>) -> Self {
        self.corrupt = columns.into_iter().collect();
        self
    }
    fn silent(mut self) -> Self {
        self.silent = true;
        self
    }
}

impl<P: Protocol<Message = Message>> Machine<P> for Serving<P> {
    fn handle(&mut self, _now: Timestamp, input: Input<P>) -> Result<(), P::Error> {
        if self.silent {
            return Ok(());
        }
        if let Input::Message {
            from,
            message: Message::Get { payload, cells },
        } = input
        {
            for mut m in self.store.answer(payload, &cells).unwrap_or_default() {
                if let Message::Cells { cells, .. } = &mut m {
                    for c in cells.iter_mut().filter(|c| self.corrupt.contains(&c.index)) {
                        let mut bad = *c.cell;
                        bad.0[31] ^= 1;
                        c.cell = Arc::new(bad);
                    }
                }
                self.out.send(from, m);
            }
        }
        Ok(())
    }
    fn poll_output(&mut self) -> Option<Output<P>> {
        self.out.pop()
    }
}

fn sampler_config(
    enc: &EncodedPayload,
    seed: [u8; 32],
    s: usize,
    holders: Vec<Vec<NodeId>>,
) -> SamplerConfig {
    SamplerConfig {
        header: enc.header().clone(),
        seed,
        samples_per_blob: s,
        holders,
        request_timeout_ms: 500,
        deadline: Timestamp::from_secs(20),
    }
}

/// Drives a sampler against holders synchronously (no latency): every request is answered at
/// once, in order. Returns the verdict and every event.
fn drive_sampler(
    mut sampler: Sampler,
    holders: &mut [(NodeId, Box<dyn Machine<Sampling>>)],
) -> (Verdict, Vec<SEvent>) {
    let mut events = Vec::new();
    let mut now = Timestamp::ZERO;
    let mut timers: Vec<(Timestamp, zg_da::retrieval::Timer)> = Vec::new();
    loop {
        let mut progressed = false;
        while let Some(out) = sampler.poll_output() {
            progressed = true;
            match out {
                Output::Send {
                    to: zg_core::machine::Recipient::One(peer),
                    message,
                } => {
                    if let Some((_, h)) = holders.iter_mut().find(|(id, _)| *id == peer) {
                        h.handle(
                            now,
                            Input::Message {
                                from: NodeId(0),
                                message,
                            },
                        )
                        .unwrap();
                        while let Some(Output::Send { message, .. }) = h.poll_output() {
                            let _ = sampler.handle(
                                now,
                                Input::Message {
                                    from: peer,
                                    message,
                                },
                            );
                        }
                    }
                }
                Output::ScheduleTimeout { at, timer } => timers.push((at, timer)),
                Output::Event(e) => events.push(e),
                _ => {}
            }
        }
        if let Some(v) = sampler.verdict() {
            return (v.clone(), events);
        }
        if !progressed || timers.is_empty() {
            timers.sort_by_key(|t| t.0);
            if timers.is_empty() {
                panic!("sampler stalled without a verdict");
            }
        }
        timers.sort_by_key(|t| t.0);
        let (at, timer) = timers.remove(0);
        now = now.max(at);
        sampler.handle(now, Input::Timeout(timer)).unwrap();
    }
}

fn boxed(s: Serving<Sampling>) -> Box<dyn Machine<Sampling>> {
    Box::new(s)
}

#[test]
fn the_bound_is_the_hypergeometric_tail() {
    assert_eq!(false_available_bound(1), 63.0 / 128.0);
    assert!((false_available_bound(2) - 63.0 * 62.0 / (128.0 * 127.0)).abs() < 1e-15);
    for s in 1..64 {
        assert!(false_available_bound(s) < 0.5f64.powi(s as i32));
    }
    assert_eq!(false_available_bound(64), 0.0);
    // Sample indices are distinct, deterministic, in range, and depend on seed and blob.
    let a = sample_indices(&[1; 32], 0, 30);
    assert_eq!(a.len(), 30);
    assert_eq!(a.iter().collect::<BTreeSet<_>>().len(), 30);
    assert_eq!(a, sample_indices(&[1; 32], 0, 30));
    assert_ne!(a, sample_indices(&[2; 32], 0, 30));
    assert_ne!(a, sample_indices(&[1; 32], 1, 30));
    assert_eq!(
        sample_indices(&[1; 32], 0, 128)
            .iter()
            .collect::<BTreeSet<_>>()
            .len(),
        128
    );
}

/// Runs `runs` samplers with `s` samples against a holder that has exactly `available` random
/// cells of the one blob (a fresh set per run, drawn independently of the sampling seed).
fn false_available_rate(s: usize, available: usize, runs: u64, seed: u64) -> u64 {
    let (_, enc) = one_blob();
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut false_available = 0;
    for run in 0..runs {
        let mut cols: Vec<usize> = (0..COLUMNS).collect();
        for i in (1..cols.len()).rev() {
            cols.swap(i, rng.next_u64() as usize % (i + 1));
        }
        let keep: BTreeSet<usize> = cols[..available].iter().copied().collect();
        let mut holders = vec![(
            NodeId(1),
            boxed(Serving::cells(enc, |_, j| keep.contains(&j))),
        )];
        let mut sampling_seed = [0u8; 32];
        sampling_seed[..8].copy_from_slice(&run.to_le_bytes());
        sampling_seed[8..16].copy_from_slice(&seed.to_le_bytes());
        let sampler = Sampler::new(
            kzg(),
            Timestamp::ZERO,
            sampler_config(enc, sampling_seed, s, vec![vec![NodeId(1)]; COLUMNS]),
        )
        .unwrap();
        let (verdict, _) = drive_sampler(sampler, &mut holders);
        if let Verdict::Available { confidence } = verdict {
            assert_eq!(confidence, 1.0 - false_available_bound(s));
            false_available += 1;
        }
    }
    false_available
}

/// The bar: zero false `Available` over 10,000 seeded runs with 63 of 128 cells available (the
/// most an unrecoverable blob can have) and s = 20, whose bound β(20) ≈ 6.3e-7 predicts
/// 0.006 of them.
#[test]
fn ten_thousand_runs_without_a_false_available() {
    let bound = false_available_bound(20);
    assert!(bound < 1e-6);
    let count = false_available_rate(20, 63, 10_000, 0xa11);
    assert_eq!(
        count, 0,
        "false Available in {count} of 10,000 runs (seed 0xa11)"
    );
}

/// The bound is tight, not vacuous: with s = 4 the measured rate over 10,000 runs is within
/// four standard deviations of β(4) ≈ 0.0558 — so the sampler really draws uniformly and the
/// test above could fail.
#[test]
fn the_measured_false_available_rate_matches_the_bound() {
    let runs = 10_000u64;
    let beta = false_available_bound(4);
    let count = false_available_rate(4, 63, runs, 0xb0b) as f64;
    let sd = (runs as f64 * beta * (1.0 - beta)).sqrt();
    assert!(
        (count - runs as f64 * beta).abs() < 4.0 * sd,
        "{count} false Available in {runs} runs, bound predicts {:.0} ± {sd:.0}",
        runs as f64 * beta
    );
}

#[test]
fn with_half_the_cells_every_run_is_available() {
    for run in 0..20u64 {
        let (_, enc) = one_blob();
        let mut holders = vec![(NodeId(1), boxed(Serving::new(enc, 64..128)))];
        // Sampling from the held half only: the holder lists only its columns.
        let mut by = vec![Vec::new(); COLUMNS];
        for (j, h) in by.iter_mut().enumerate() {
            if j >= 64 {
                h.push(NodeId(1));
            }
        }
        let sampler = Sampler::new(
            kzg(),
            Timestamp::ZERO,
            sampler_config(enc, [run as u8; 32], 8, by),
        )
        .unwrap();
        let (verdict, _) = drive_sampler(sampler, &mut holders);
        // Samples in the lower half have no holder: those runs say Unavailable; the others
        // must say Available. Never a panic, never a stall.
        let lower = sample_indices(&[run as u8; 32], 0, 8)
            .iter()
            .any(|&i| i < 64);
        assert_eq!(
            matches!(verdict, Verdict::Unavailable { .. }),
            lower,
            "run {run}"
        );
    }
}

#[test]
fn a_holder_serving_bad_cells_first_is_reported_and_the_next_holder_asked() {
    let (_, enc) = two_blobs();
    let bad = NodeId(1);
    let good = NodeId(2);
    let mut holders = vec![
        (
            bad,
            boxed(Serving::new(enc, 0..128).corrupting([3, 5, 7, 11, 13, 17, 19, 23, 29, 31])),
        ),
        (good, boxed(Serving::new(enc, 0..128))),
    ];
    // Every column lists the bad holder first. Find a seed whose samples hit a corrupt column.
    let seed = (0u8..=255)
        .map(|b| [b; 32])
        .find(|s| {
            sample_indices(s, 0, 16)
                .iter()
                .any(|i| [3, 5, 7, 11, 13].contains(i))
        })
        .unwrap();
    let sampler = Sampler::new(
        kzg(),
        Timestamp::ZERO,
        sampler_config(enc, seed, 16, vec![vec![bad, good]; COLUMNS]),
    )
    .unwrap();
    let (verdict, events) = drive_sampler(sampler, &mut holders);
    assert!(matches!(verdict, Verdict::Available { .. }));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, SEvent::BadHolder { from, .. } if *from == bad))
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, SEvent::BadHolder { from, .. } if *from == good))
    );
    // Every verified sample came from a holder and passed its proof; none from the bad holder
    // after it was reported.
    let verified = events
        .iter()
        .filter(|e| matches!(e, SEvent::Verified { .. }))
        .count();
    assert_eq!(verified, 32);
}

#[test]
fn every_holder_bad_means_unavailable_not_available() {
    let (_, enc) = one_blob();
    let mut holders = vec![
        (
            NodeId(1),
            boxed(Serving::new(enc, 0..128).corrupting(0..128)),
        ),
        (
            NodeId(2),
            boxed(Serving::new(enc, 0..128).corrupting(0..128)),
        ),
    ];
    let sampler = Sampler::new(
        kzg(),
        Timestamp::ZERO,
        sampler_config(enc, [9; 32], 8, vec![vec![NodeId(1), NodeId(2)]; COLUMNS]),
    )
    .unwrap();
    let (verdict, events) = drive_sampler(sampler, &mut holders);
    let expected: BTreeSet<CellRef> = sample_indices(&[9; 32], 0, 8)
        .into_iter()
        .map(|index| CellRef { blob: 0, index })
        .collect();
    match verdict {
        Verdict::Unavailable { missing } => {
            assert_eq!(missing.into_iter().collect::<BTreeSet<_>>(), expected)
        }
        v => panic!("{v:?}"),
    }
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, SEvent::BadHolder { .. }))
            .count(),
        16
    );
}

#[test]
fn unsolicited_and_forged_senders_change_nothing() {
    let (_, enc) = one_blob();
    let holder = NodeId(1);
    let attacker = NodeId(66);
    let mut sampler = Sampler::new(
        kzg(),
        Timestamp::ZERO,
        sampler_config(enc, [4; 32], 8, vec![vec![holder]; COLUMNS]),
    )
    .unwrap();
    let requests: Vec<_> = sampler.drain_outputs();
    let wanted: Vec<CellRef> = requests
        .iter()
        .find_map(|o| match o {
            Output::Send {
                message: Message::Get { cells, .. },
                ..
            } => Some(cells.clone()),
            _ => None,
        })
        .unwrap();
    let id = enc.header().payload_id();
    let good: Vec<CellWithProof> = wanted
        .iter()
        .map(|r| enc.cell(r.blob as usize, r.index as usize).unwrap())
        .collect();
    let mut bad = good.clone();
    for c in &mut bad {
        let mut x = *c.cell;
        x.0[63] ^= 1;
        c.cell = Arc::new(x);
    }
    let t = Timestamp(1);
    // The attacker's bad cells arrive first, claiming the holder's cells: rejected unverified,
    // and the holder is not blamed.
    assert_eq!(
        sampler.handle(
            t,
            Input::Message {
                from: attacker,
                message: Message::Cells {
                    payload: id,
                    cells: bad.clone()
                }
            }
        ),
        Err(RetrievalError::Unsolicited { from: attacker })
    );
    // Valid cells from the attacker do not count either: only asked holders are listened to.
    assert!(
        sampler
            .handle(
                t,
                Input::Message {
                    from: attacker,
                    message: Message::Cells {
                        payload: id,
                        cells: good.clone()
                    }
                }
            )
            .is_err()
    );
    // The attacker says the holder's cells are missing: ignored.
    assert!(
        sampler
            .handle(
                t,
                Input::Message {
                    from: attacker,
                    message: Message::Missing {
                        payload: id,
                        cells: wanted.clone()
                    }
                }
            )
            .is_err()
    );
    // Another payload, a Get, an oversized message: rejected.
    assert!(matches!(
        sampler.handle(
            t,
            Input::Message {
                from: holder,
                message: Message::Cells {
                    payload: H256::new([1; 32]),
                    cells: good.clone()
                }
            }
        ),
        Err(RetrievalError::WrongPayload { .. })
    ));
    let huge = vec![wanted[0]; MAX_CELLS_PER_MESSAGE + 1];
    assert!(matches!(
        sampler.handle(
            t,
            Input::Message {
                from: holder,
                message: Message::Missing {
                    payload: id,
                    cells: huge
                }
            }
        ),
        Err(RetrievalError::TooLarge { .. })
    ));
    assert!(sampler.drain_outputs().is_empty(), "nothing happened");
    assert!(sampler.verdict().is_none());
    // The real holder answers; reordered (reversed) it does not matter.
    let mut rev = good.clone();
    rev.reverse();
    sampler
        .handle(
            t,
            Input::Message {
                from: holder,
                message: Message::Cells {
                    payload: id,
                    cells: rev,
                },
            },
        )
        .unwrap();
    assert!(matches!(sampler.verdict(), Some(Verdict::Available { .. })));
    assert_eq!(sampler.bad_holders().count(), 0);
    // A duplicate after the verdict is refused.
    assert_eq!(
        sampler.handle(
            t,
            Input::Message {
                from: holder,
                message: Message::Cells {
                    payload: id,
                    cells: good
                }
            }
        ),
        Err(RetrievalError::Finished)
    );
}

/// A flood of 20,000 messages from 2,000 peers that were never asked: every one is rejected
/// before verification and the sampler's state (open requests, verdict) does not move.
#[test]
fn a_flood_from_unasked_peers_is_bounded() {
    let (_, enc) = one_blob();
    let mut sampler = Sampler::new(
        kzg(),
        Timestamp::ZERO,
        sampler_config(enc, [5; 32], 16, vec![vec![NodeId(1)]; COLUMNS]),
    )
    .unwrap();
    let _ = sampler.drain_outputs();
    let open = sampler.open_requests();
    let id = enc.header().payload_id();
    let cell = enc.cell(0, 0).unwrap();
    let started = std::time::Instant::now();
    for k in 0..20_000u64 {
        let from = NodeId(1000 + k % 2000);
        let message = Message::Cells {
            payload: id,
            cells: vec![cell.clone(); 8],
        };
        assert!(
            sampler
                .handle(Timestamp(k), Input::Message { from, message })
                .is_err()
        );
    }
    // No verification ran: 20,000 batch checks would take minutes.
    assert!(started.elapsed().as_secs() < 20);
    assert_eq!(sampler.open_requests(), open);
    assert!(sampler.verdict().is_none());
    assert!(sampler.drain_outputs().is_empty());
}

#[test]
fn silent_holders_time_out_and_the_deadline_says_unavailable() {
    let (_, enc) = one_blob();
    let mut holders = vec![
        (NodeId(1), boxed(Serving::new(enc, 0..128).silent())),
        (NodeId(2), boxed(Serving::new(enc, 0..128).silent())),
    ];
    let sampler = Sampler::new(
        kzg(),
        Timestamp::ZERO,
        sampler_config(enc, [6; 32], 4, vec![vec![NodeId(1), NodeId(2)]; COLUMNS]),
    )
    .unwrap();
    let (verdict, _) = drive_sampler(sampler, &mut holders);
    match verdict {
        Verdict::Unavailable { missing } => assert_eq!(missing.len(), 4),
        v => panic!("{v:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Sampler and reconstructor in the simulator: many holders, some Byzantine, lossy links.

/// Builds holders 1..=n with `cols_per_holder` random columns each; `bad` of them corrupt
/// everything, `silent` of them never answer. Returns machines and the holder lists.
fn holder_set<P: Protocol<Message = Message>>(
    enc: &EncodedPayload,
    n: u64,
    cols_per_holder: usize,
    bad: u64,
    silent: u64,
    seed: u64,
) -> (Vec<Serving<P>>, Vec<Vec<NodeId>>) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut custody: Vec<(NodeId, Vec<u16>)> = Vec::new();
    let mut machines = Vec::new();
    for h in 1..=n {
        let mut cols: Vec<u16> = (0..COLUMNS as u16).collect();
        for i in (1..cols.len()).rev() {
            cols.swap(i, rng.next_u64() as usize % (i + 1));
        }
        cols.truncate(cols_per_holder);
        let mut m = Serving::new(enc, cols.iter().map(|&c| c as usize));
        if h <= bad {
            m = m.corrupting(0..128);
        } else if h <= bad + silent {
            m = m.silent();
        }
        machines.push(m);
        custody.push((NodeId(h), cols));
    }
    let by = holders_by_column(custody.iter().map(|(n, c)| (*n, c.as_slice())));
    (machines, by)
}

fn lossy(seed: u64) -> SimConfig {
    SimConfig {
        seed,
        link: LinkConfig {
            loss: 0.1,
            duplicate: 0.1,
            reorder: 0.2,
            reorder_ms: 200,
            ..LinkConfig::default()
        },
    }
}

#[test]
fn reconstruction_in_the_simulator_with_byzantine_and_silent_holders() {
    let (bytes, enc) = two_blobs();
    for seed in 0..3u64 {
        let (machines, by) = holder_set::<Reconstruction>(enc, 12, 48, 3, 2, seed);
        let mut machines: Vec<Option<Serving<Reconstruction>>> =
            machines.into_iter().map(Some).collect();
        let header = enc.header().clone();
        let by2 = by.clone();
        let mut sim: Simulation<Reconstruction> =
            Simulation::new(lossy(seed), 13, move |id, now, _| {
                if id == NodeId(0) {
                    let config = ReconstructorConfig {
                        header: header.clone(),
                        holders: by2.clone(),
                        request_timeout_ms: 400,
                        deadline: Timestamp::from_secs(60),
                    };
                    Box::new(Reconstructor::new(kzg(), now, config).unwrap())
                        as Box<dyn Machine<Reconstruction>>
                } else {
                    Box::new(machines[id.0 as usize - 1].take().unwrap())
                }
            });
        sim.run_until(Timestamp::from_secs(61));
        let events: Vec<_> = sim.events().iter().map(|(_, _, e)| e.clone()).collect();
        let got = events.iter().find_map(|e| match e {
            REvent::Reconstructed { payload } => Some(payload.clone()),
            _ => None,
        });
        assert_eq!(
            got.map(|p| p.as_slice().to_vec()).as_ref(),
            Some(bytes),
            "seed {seed}: {events:?}"
        );
        // Only the corrupting holders (1..=3) are ever reported.
        for e in &events {
            if let REvent::BadHolder { from, .. } = e {
                assert!(from.0 <= 3, "seed {seed}: honest holder {from} reported");
            }
        }
    }
}

#[test]
fn reconstruction_fails_cleanly_when_a_blob_has_63_cells() {
    let (_, enc) = two_blobs();
    // Blob 1 has 63 obtainable cells (columns 0..63); blob 0 has all.
    let holder = Serving::<Reconstruction>::cells(enc, |b, j| b == 0 || j < 63);
    let mut holder: Box<dyn Machine<Reconstruction>> = Box::new(holder);
    let mut rec = Reconstructor::new(
        kzg(),
        Timestamp::ZERO,
        ReconstructorConfig {
            header: enc.header().clone(),
            holders: vec![vec![NodeId(1)]; COLUMNS],
            request_timeout_ms: 100,
            deadline: Timestamp::from_secs(5),
        },
    )
    .unwrap();
    let mut events = Vec::new();
    let mut guard = 0;
    while !rec.is_done() && guard < 1000 {
        guard += 1;
        for out in rec.drain_outputs() {
            match out {
                Output::Send { message, .. } => {
                    holder
                        .handle(
                            Timestamp(1),
                            Input::Message {
                                from: NodeId(0),
                                message,
                            },
                        )
                        .unwrap();
                    for o in holder.drain_outputs() {
                        if let Output::Send { message, .. } = o {
                            let _ = rec.handle(
                                Timestamp(1),
                                Input::Message {
                                    from: NodeId(1),
                                    message,
                                },
                            );
                        }
                    }
                }
                Output::Event(e) => events.push(e),
                _ => {}
            }
        }
    }
    events.extend(rec.drain_outputs().into_iter().filter_map(|o| match o {
        Output::Event(e) => Some(e),
        _ => None,
    }));
    assert!(
        events.contains(&REvent::Failed(ReconstructionFailure::NotEnoughCells {
            blob: 1,
            have: 63,
            need: 64
        })),
        "{events:?}"
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, REvent::Reconstructed { .. }))
    );
}

#[test]
fn sampling_in_the_simulator_across_seeds() {
    let (_, enc) = two_blobs();
    for seed in 0..4u64 {
        let (machines, by) = holder_set::<Sampling>(enc, 10, 40, 2, 1, 100 + seed);
        let mut machines: Vec<Option<Serving<Sampling>>> = machines.into_iter().map(Some).collect();
        let header = enc.header().clone();
        let by2 = by.clone();
        let mut sim: Simulation<Sampling> = Simulation::new(lossy(seed), 11, move |id, now, _| {
            if id == NodeId(0) {
                let config = SamplerConfig {
                    header: header.clone(),
                    seed: [seed as u8; 32],
                    samples_per_blob: 16,
                    holders: by2.clone(),
                    request_timeout_ms: 400,
                    deadline: Timestamp::from_secs(30),
                };
                Box::new(Sampler::new(kzg(), now, config).unwrap()) as Box<dyn Machine<Sampling>>
            } else {
                Box::new(machines[id.0 as usize - 1].take().unwrap())
            }
        });
        sim.run_until(Timestamp::from_secs(31));
        let verdicts: Vec<_> = sim
            .events()
            .iter()
            .filter(|(_, _, e)| matches!(e, SEvent::Available { .. } | SEvent::Unavailable { .. }))
            .collect();
        assert_eq!(verdicts.len(), 1, "seed {seed}");
        // Every column with an honest holder is obtainable, so the payload is available; a
        // sample whose every holder is Byzantine or silent may still make this run say
        // Unavailable, which is allowed — never the reverse.
        let honest_cover = (0..COLUMNS).all(|j| by[j].iter().any(|h| h.0 > 3));
        if honest_cover {
            assert!(
                matches!(verdicts[0].2, SEvent::Available { .. }),
                "seed {seed}: {:?}",
                verdicts[0]
            );
        }
    }
}

/// The reconstructor's bound under a flood: 5,000 messages from 500 peers it never asked
/// (valid cells among them) are rejected before verification and leave it where it was.
#[test]
fn a_flood_at_the_reconstructor_is_bounded() {
    let (_, enc) = one_blob();
    let mut rec = Reconstructor::new(
        kzg(),
        Timestamp::ZERO,
        ReconstructorConfig {
            header: enc.header().clone(),
            holders: vec![vec![NodeId(1)]; COLUMNS],
            request_timeout_ms: 500,
            deadline: Timestamp::from_secs(20),
        },
    )
    .unwrap();
    let _ = rec.drain_outputs();
    let id = enc.header().payload_id();
    let cells: Vec<CellWithProof> = (0..64).map(|j| enc.cell(0, j).unwrap()).collect();
    let started = std::time::Instant::now();
    for k in 0..5_000u64 {
        let from = NodeId(1000 + k % 500);
        let message = Message::Cells {
            payload: id,
            cells: cells.clone(),
        };
        assert!(
            rec.handle(Timestamp(k), Input::Message { from, message })
                .is_err()
        );
    }
    assert!(started.elapsed().as_secs() < 30, "no verification ran");
    assert_eq!(rec.cells_held(), 0);
    assert!(!rec.is_done());
    assert!(rec.drain_outputs().is_empty());
    // The asked holder's answer still completes it.
    rec.handle(
        Timestamp(6_000),
        Input::Message {
            from: NodeId(1),
            message: Message::Cells { payload: id, cells },
        },
    )
    .unwrap();
    assert!(rec.is_done());
    assert!(
        rec.drain_outputs()
            .iter()
            .any(|o| matches!(o, Output::Event(REvent::Reconstructed { .. })))
    );
}
