//! A Sampler under arbitrary messages from arbitrary senders: real, corrupted, swapped or
//! foreign cells, `Missing` claims, requests, and timers fired in any order.
//!
//! Asserted: it never panics; at most one verdict; `Available` only after every sample was
//! verified, and every verified cell is byte-identical to the real cell (a corrupt cell is
//! never taken); open requests stay within the number of samples; once finished, every input
//! is refused.
#![no_main]

use std::sync::{Arc, OnceLock};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zg_core::machine::{Input, Machine, Output};
use zg_core::{H256, NodeId, Timestamp};
use zg_da::retrieval::{Message, Timer};
use zg_da::sampler::{Event, Verdict};
use zg_da::{COLUMNS, CellRef, EncodedPayload, Sampler, SamplerConfig, encode_payload};
use zg_kzg::KzgSettings;

const SAMPLES: usize = 4;

fn fixture() -> &'static (Arc<KzgSettings>, EncodedPayload) {
    static S: OnceLock<(Arc<KzgSettings>, EncodedPayload)> = OnceLock::new();
    S.get_or_init(|| {
        let kzg = Arc::new(KzgSettings::mainnet().expect("mainnet setup"));
        let p = encode_payload(&kzg, b"fuzzed payload").expect("encodes");
        (kzg, p)
    })
}

#[derive(Arbitrary, Debug)]
enum Step {
    /// `from` sends cells: the real cell `index`, optionally corrupted at byte `at` or with the
    /// proof of cell `index + 1`.
    Cells {
        from: u8,
        index: u8,
        corrupt: Option<u16>,
        swap_proof: bool,
        foreign: bool,
    },
    Missing {
        from: u8,
        index: u8,
    },
    Get {
        from: u8,
    },
    Timeout {
        peer: u8,
        id: u8,
    },
    Deadline,
}

fuzz_target!(|input: ([u8; 32], Vec<Step>)| {
    let (seed, steps) = input;
    let (kzg, enc) = fixture();
    let holders: Vec<Vec<NodeId>> = (0..COLUMNS)
        .map(|j| vec![NodeId(1 + (j % 3) as u64), NodeId(4)])
        .collect();
    let mut sampler = Sampler::new(
        kzg.clone(),
        Timestamp::ZERO,
        SamplerConfig {
            header: enc.header().clone(),
            seed,
            samples_per_blob: SAMPLES,
            holders,
            request_timeout_ms: 100,
            deadline: Timestamp(10_000),
        },
    )
    .expect("valid config");
    let id = enc.header().payload_id();
    let mut verdicts = 0;
    let mut verified = std::collections::BTreeSet::new();
    for (t, step) in steps.into_iter().take(64).enumerate() {
        let now = Timestamp(t as u64 * 50);
        let was_done = sampler.verdict().is_some();
        let mut genuine = true;
        let input = match step {
            Step::Cells {
                from,
                index,
                corrupt,
                swap_proof,
                foreign,
            } => {
                let j = usize::from(index) % COLUMNS;
                let mut c = enc.cell(0, j).expect("cell");
                if let Some(at) = corrupt {
                    let mut x = *c.cell;
                    x.0[usize::from(at) % x.0.len()] ^= 1;
                    c.cell = Arc::new(x);
                }
                if swap_proof {
                    c.proof = enc.cell(0, (j + 1) % COLUMNS).expect("cell").proof;
                }
                let payload = if foreign { H256::new([9; 32]) } else { id };
                genuine = corrupt.is_none() && !swap_proof;
                Input::Message {
                    from: NodeId(u64::from(from % 6)),
                    message: Message::Cells {
                        payload,
                        cells: vec![c],
                    },
                }
            }
            Step::Missing { from, index } => Input::Message {
                from: NodeId(u64::from(from % 6)),
                message: Message::Missing {
                    payload: id,
                    cells: vec![CellRef {
                        blob: 0,
                        index: u16::from(index) % 128,
                    }],
                },
            },
            Step::Get { from } => Input::Message {
                from: NodeId(u64::from(from % 6)),
                message: Message::Get {
                    payload: id,
                    cells: vec![],
                },
            },
            Step::Timeout { peer, id } => Input::Timeout(Timer::Request {
                peer: NodeId(u64::from(peer % 6)),
                id: u64::from(id % 16),
            }),
            Step::Deadline => Input::Timeout(Timer::Deadline),
        };
        let r = sampler.handle(now, input);
        if was_done {
            assert!(r.is_err(), "a finished sampler took an input");
        }
        for o in sampler.drain_outputs() {
            if let Output::Event(e) = o {
                match e {
                    Event::Verified { cell, .. } => {
                        assert!(genuine, "a corrupt or mismatched cell verified");
                        verified.insert(cell);
                    }
                    Event::Available { .. } | Event::Unavailable { .. } => verdicts += 1,
                    Event::BadHolder { .. } => {}
                }
            }
        }
        assert!(
            sampler.open_requests() <= SAMPLES,
            "open requests unbounded"
        );
    }
    assert!(verdicts <= 1, "more than one verdict");
    if let Some(Verdict::Available { .. }) = sampler.verdict() {
        assert_eq!(
            verified.len(),
            SAMPLES,
            "Available without every sample verified"
        );
    }
});
