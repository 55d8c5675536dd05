//! The Sealer under arbitrary interleavings of epoch contexts (valid, empty, overlapping,
//! repeated), seal data (new, replaced, out of range) and continuation timers (scheduled or
//! stray), against a plain model of what it was told.
//!
//! Asserted: a context is refused exactly when it is empty or overlaps a known one with other
//! bounds or digest; data is refused exactly when its sectors overflow; a refused input emits
//! nothing. Every sealed seal had data waiting, was sealed under the context holding its last
//! sector, and unseals back to the latest data given for it; one step seals at most `batch`
//! seals in strictly ascending order; `Progress` matches the model; and once the host delivers
//! every scheduled continuation, every seal whose context is known has been sealed.
#![no_main]

use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zg_core::machine::{Input as MInput, Machine, Output};
use zg_core::{H256, Timestamp};
use zg_pora::{EpochRange, Sealer, SealerCommand, SealerEvent, SealerTimer, unseal};

const SECTORS_PER_SEAL: u64 = 16;

#[derive(Arbitrary, Debug)]
enum Step {
    /// A context over sectors `[start, start + len)` (scaled so contexts meet and overlap).
    Context { start: u8, len: u8, digest: u8 },
    /// A context with raw bounds.
    RawContext { start: u64, end: u64, digest: u8 },
    /// Data for a small seal index.
    Data { index: u8, fill: u8 },
    /// Data for any seal index.
    FarData { index: u64, fill: u8 },
    /// A scheduled continuation is delivered.
    Continue,
    /// A continuation that was never scheduled.
    Stray,
}

#[derive(Arbitrary, Debug)]
struct Input {
    batch: u8,
    steps: Vec<Step>,
}

fn digest_of(d: u8) -> H256 {
    // 0 maps to the empty hash: a context nothing can be sealed under.
    if d % 8 == 0 {
        zg_core::hash::empty_hash()
    } else {
        H256([d % 8; 32])
    }
}

fn data_of(index: u64, fill: u8) -> Box<[u8; 4096]> {
    let mut d = Box::new([0u8; 4096]);
    for (i, b) in d.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(31) ^ fill ^ (index as u8);
    }
    d
}

struct Model {
    miner: H256,
    batch: usize,
    /// Accepted contexts: start → (end, digest).
    contexts: BTreeMap<u64, (u64, H256)>,
    /// Unsealed data by seal index.
    pending: BTreeMap<u64, Box<[u8; 4096]>>,
    sealed: u64,
    /// Continuations scheduled and not yet delivered.
    scheduled: usize,
}

impl Model {
    /// The accepted context holding `seal`'s last sector. Checked: the model is asked about
    /// any index, and a seal whose sectors do not fit in `u64` lies in no context.
    fn context_of(&self, seal: u64) -> Option<(u64, H256)> {
        let last = seal
            .checked_mul(SECTORS_PER_SEAL)?
            .checked_add(SECTORS_PER_SEAL - 1)?;
        self.contexts
            .iter()
            .find(|&(&s, &(e, _))| s <= last && last < e)
            .map(|(_, &(e, d))| (e, d))
    }

    /// Checks the outputs of one accepted or refused input.
    fn check(&mut self, s: &mut Sealer, ok: bool) {
        let mut last_sealed: Option<u64> = None;
        let mut in_step = 0usize;
        for o in s.drain_outputs() {
            assert!(ok, "a refused input emitted {o:?}");
            match o {
                Output::Event(SealerEvent::Sealed(seal)) => {
                    in_step += 1;
                    assert!(in_step <= self.batch, "more than `batch` seals in one step");
                    if let Some(prev) = last_sealed {
                        assert!(seal.seal_index > prev, "seals out of order");
                    }
                    last_sealed = Some(seal.seal_index);
                    let plain = self
                        .pending
                        .remove(&seal.seal_index)
                        .expect("sealed a seal with no data waiting");
                    let (end, digest) = self
                        .context_of(seal.seal_index)
                        .expect("sealed a seal whose context is unknown");
                    assert_eq!(
                        seal.context_digest, digest,
                        "sealed under the wrong context"
                    );
                    assert_eq!(seal.context_end_seal, end / SECTORS_PER_SEAL);
                    let mut back = seal.sealed.clone();
                    unseal(
                        &mut back,
                        &self.miner,
                        &seal.context_digest,
                        seal.seal_index
                            .checked_mul(SECTORS_PER_SEAL)
                            .expect("a sealed seal's first sector fits in u64"),
                    );
                    assert_eq!(back, plain, "sealed bytes do not unseal to the data");
                    self.sealed += 1;
                }
                Output::Event(SealerEvent::Progress {
                    sealed,
                    waiting,
                    next_waiting,
                }) => {
                    assert!(in_step > 0, "progress without sealing");
                    in_step = 0;
                    last_sealed = None;
                    assert_eq!(sealed, self.sealed);
                    assert_eq!(sealed, s.sealed());
                    assert_eq!(waiting, self.pending.len());
                    assert_eq!(next_waiting, self.pending.keys().next().copied());
                }
                Output::ScheduleTimeout {
                    timer: SealerTimer::Continue,
                    ..
                } => self.scheduled += 1,
                other => panic!("unexpected output {other:?}"),
            }
        }
        assert_eq!(in_step, 0, "seals without a progress report");
        assert_eq!(s.waiting(), self.pending.len());
    }
}

fuzz_target!(|input: Input| {
    let miner = H256([0x6d; 32]);
    let batch = usize::from(input.batch % 5);
    let mut s = Sealer::new(miner, batch);
    let mut m = Model {
        miner,
        batch: batch.max(1),
        contexts: BTreeMap::new(),
        pending: BTreeMap::new(),
        sealed: 0,
        scheduled: 0,
    };
    let now = Timestamp(0);
    for step in input.steps.into_iter().take(128) {
        let (cmd, expect_ok) = match step {
            Step::Context { start, len, digest } => {
                let (start, end) = (
                    u64::from(start) * 8,
                    u64::from(start) * 8 + u64::from(len) * 8,
                );
                let Some(c) = context_cmd(&m, start, end, digest_of(digest)) else {
                    continue;
                };
                c
            }
            Step::RawContext { start, end, digest } => {
                let Some(c) = context_cmd(&m, start, end, digest_of(digest)) else {
                    continue;
                };
                c
            }
            Step::Data { index, fill } => {
                let index = u64::from(index % 64);
                (
                    MInput::Command(SealerCommand::Data {
                        seal_index: index,
                        data: data_of(index, fill),
                    }),
                    true,
                )
            }
            Step::FarData { index, fill } => (
                MInput::Command(SealerCommand::Data {
                    seal_index: index,
                    data: data_of(index, fill),
                }),
                index.checked_mul(SECTORS_PER_SEAL).is_some(),
            ),
            Step::Continue => {
                if m.scheduled == 0 {
                    continue;
                }
                m.scheduled -= 1;
                (MInput::Timeout(SealerTimer::Continue), true)
            }
            Step::Stray => (MInput::Timeout(SealerTimer::Continue), true),
        };
        // Apply the accepted input to the model before the outputs are checked.
        if expect_ok {
            match &cmd {
                MInput::Command(SealerCommand::Context { digest, range }) => {
                    m.contexts.insert(range.start, (range.end, *digest));
                }
                MInput::Command(SealerCommand::Data { seal_index, data }) => {
                    m.pending.insert(*seal_index, data.clone());
                }
                _ => {}
            }
        }
        let got = s.handle(now, cmd);
        assert_eq!(
            got.is_ok(),
            expect_ok,
            "accepted/refused differs from the model: {got:?}"
        );
        m.check(&mut s, expect_ok);
    }
    // The host delivers every scheduled continuation: then all ready seals are sealed.
    let mut rounds = 0;
    while m.scheduled > 0 {
        m.scheduled -= 1;
        s.handle(now, MInput::Timeout(SealerTimer::Continue))
            .unwrap();
        m.check(&mut s, true);
        rounds += 1;
        assert!(
            rounds <= 1 + m.pending.len() + 64,
            "continuations never end"
        );
    }
    for &index in m.pending.keys() {
        assert!(
            m.context_of(index).is_none(),
            "seal {index} has a known context but was never sealed"
        );
    }
});

/// A context command and whether the model accepts it: not empty, and not overlapping a known
/// context unless it is that same context.
fn context_cmd(
    m: &Model,
    start: u64,
    end: u64,
    digest: H256,
) -> Option<(MInput<zg_pora::SealerProtocol>, bool)> {
    let empty = digest == zg_core::hash::empty_hash() || start >= end;
    let overlaps = m
        .contexts
        .iter()
        .any(|(&s, &(e, d))| s < end && start < e && (s, e, d) != (start, end, digest));
    Some((
        MInput::Command(SealerCommand::Context {
            digest,
            range: EpochRange { start, end },
        }),
        !empty && !overlaps,
    ))
}
