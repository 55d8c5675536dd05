//! zg-alignment's storage and serving observers under arbitrary input sequences (honest and
//! corrupted answers, off-roster nodes, forged senders, timers early and late): state stays
//! within the stated bounds after every input, counts never exceed the duties due, and no duty
//! ends failed without an evidence hash.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zg_alignment::duty::DutyRecord;
use zg_alignment::observe::{serving, storage};
use zg_core::machine::{Input, Machine};
use zg_core::tree::Proof;
use zg_core::{Epoch, H256, NodeId, Timestamp};

#[derive(Arbitrary, Debug)]
enum Step {
    Audit {
        node: u8,
        root: u8,
        size: u16,
    },
    Answer {
        from: u8,
        root: u8,
        segment: u8,
        len: u16,
        fill: u8,
        honest: bool,
    },
    Timeout {
        node: u8,
        root: u8,
        at: u16,
    },
    Receipt {
        from: u8,
        user: u8,
        provider: u8,
        fee: u32,
        latency: u16,
    },
    Settle {
        from: u8,
        provider: u8,
        user: u8,
        count: u8,
        total: u32,
    },
}

const MAX_OPEN: usize = 4;
const MAX_PAIRS: usize = 8;

fn evidence_ok(records: &[DutyRecord]) {
    for r in records {
        assert_eq!(r.failed > 0, r.evidence != H256::ZERO);
        assert!(
            u64::from(r.done) + u64::from(r.failed) + u64::from(r.not_measured) <= u64::from(r.due)
        );
    }
}

fn file(size: u16, root: u8) -> Vec<u8> {
    vec![root; usize::from(size.max(1))]
}

fuzz_target!(|steps: Vec<Step>| {
    let scfg = storage::Config {
        epoch: Epoch(1),
        audit_seed: H256([7; 32]),
        timeout_ms: 100,
        max_open: MAX_OPEN,
    };
    let mut st = storage::StorageObserver::new(scfg, (0..4).map(NodeId)).unwrap();
    let vcfg = serving::Config {
        epoch: Epoch(1),
        chain: NodeId(99),
        latency_objective_ms: 50,
        latency_slack_bps: 1_000,
        max_pairs: MAX_PAIRS,
    };
    let mut sv = serving::ServingObserver::new(vcfg, (0..4).map(NodeId)).unwrap();
    // Files the storage nodes hold: root byte r → r repeated over a size chosen at audit time.
    let mut sizes: Vec<(H256, u16, u8)> = Vec::new();
    for step in steps.into_iter().take(64) {
        let now = Timestamp(0);
        match step {
            Step::Audit { node, root, size } => {
                let size = size % 4096 + 1;
                let data = file(size, root);
                let r = zg_core::tree::file_root(&data).unwrap();
                sizes.push((r, size, root));
                let _ = st.handle(
                    now,
                    Input::Command(storage::Command::Audit {
                        node: NodeId(u64::from(node % 6)),
                        root: r,
                        size: u64::from(size),
                    }),
                );
            }
            Step::Answer {
                from,
                root,
                segment,
                len,
                fill,
                honest,
            } => {
                let Some(&(r, size, fill_of)) = sizes.get(usize::from(root) % sizes.len().max(1))
                else {
                    continue;
                };
                let message = if honest {
                    match storage::answer_for(&file(size, fill_of), r, u64::from(segment % 2)) {
                        Ok(m) => m,
                        Err(_) => continue,
                    }
                } else {
                    storage::Message::Answer {
                        root: r,
                        segment: u64::from(segment),
                        data: vec![fill; usize::from(len % 8192)],
                        proof: Proof::new(vec![H256([fill; 32])], vec![]).unwrap(),
                    }
                };
                let _ = st.handle(
                    now,
                    Input::Message {
                        from: NodeId(u64::from(from % 6)),
                        message,
                    },
                );
            }
            Step::Timeout { node, root, at } => {
                let Some(&(r, _, _)) = sizes.get(usize::from(root) % sizes.len().max(1)) else {
                    continue;
                };
                let _ = st.handle(
                    Timestamp(u64::from(at)),
                    Input::Timeout(storage::Timer {
                        node: NodeId(u64::from(node % 6)),
                        root: r,
                    }),
                );
            }
            Step::Receipt {
                from,
                user,
                provider,
                fee,
                latency,
            } => {
                let m = serving::Observation::Receipt {
                    user: u64::from(user % 16),
                    provider: NodeId(u64::from(provider % 6)),
                    fee: u128::from(fee),
                    latency_ms: u64::from(latency),
                };
                let _ = sv.handle(
                    now,
                    Input::Message {
                        from: NodeId(u64::from(from % 16)),
                        message: m,
                    },
                );
            }
            Step::Settle {
                from,
                provider,
                user,
                count,
                total,
            } => {
                let m = serving::Observation::Settlement {
                    provider: NodeId(u64::from(provider % 6)),
                    user: u64::from(user % 16),
                    count: u32::from(count),
                    total: u128::from(total),
                };
                let _ = sv.handle(
                    now,
                    Input::Message {
                        from: NodeId(if from % 2 == 0 { 99 } else { u64::from(from) }),
                        message: m,
                    },
                );
            }
        }
        assert!(st.open_audits() <= MAX_OPEN);
        assert!(sv.pairs() <= MAX_PAIRS);
        while st.poll_output().is_some() {}
        while sv.poll_output().is_some() {}
    }
    evidence_ok(&st.close());
    evidence_ok(&sv.close());
});
