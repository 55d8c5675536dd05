//! The Verifier machine (the mining contract's bookkeeping) under arbitrary chain input: blocks
//! (in order or not), epoch contexts (next, skipped, forged, empty), registrations (new or
//! repeated), submissions of honest answers for either epoch (pre-mined over a small sealed
//! flow), of the same answer again, and of answers with tampered data, proof, sealing context or
//! miner, reward fills, donations, target-submission changes and time going forward; with the
//! difficulty fixed or adjusting.
//!
//! Asserted against a plain model of the contract: a refused input changes nothing observable
//! and outputs nothing; an accepted answer is by a registered miner, for the current epoch,
//! inside its subtask window, with an output never accepted before, at the next index of its
//! epoch and below the cap of `2 × targetSubmissions` (mirrored across epochs and
//! `SetTargetSubmissions`); tampered answers are never accepted; with a fixed difficulty every
//! honest answer that meets those conditions is accepted; each miner's balance is the sum of its
//! rewards; and value is conserved: balances = distributed fees + base rewards paid, and what the
//! chunks hold plus the treasury never exceeds the fees filled (all in checked integers).
#![no_main]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zg_core::machine::{Input as MInput, Machine, Output};
use zg_core::{Amount, H256, Timestamp, keccak256};
use zg_pora::pora::{SECTORS_PER_PRICE, subtask_digest};
use zg_pora::reward::RewardConfig;
use zg_pora::{
    Answer, MineContext, MiningParams, Policy, RecallRange, SealedFlow, ShardConfig, U256,
    Verifier, VerifierCommand, VerifierConfig, VerifierEvent,
};

const MINER: H256 = H256([0x6d; 32]);
const OTHER: H256 = H256([0x6e; 32]);
const T0: u64 = 1_700_000_000;
const WINDOW: u64 = 100;

struct Fixture {
    contexts: [MineContext; 2],
    /// Honest answers for each context's subtask.
    pools: [Vec<Answer>; 2],
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let data: Vec<u8> = (0..4 * 262_144u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
            .collect();
        let sealed = SealedFlow::new(&[&data], MINER, 1, 1000, H256([1; 32])).unwrap();
        let c1 = sealed.context;
        let c2 = MineContext::new(2, 1150, c1.flow_root, c1.flow_length, H256([2; 32]));
        let range = RecallRange::for_flow(c1.flow_length, ShardConfig::FULL, 0).unwrap();
        let pools = [c1, c2].map(|ctx| {
            // Blocks carry hash keccak(number); one subtask, so it starts at `mine_start`.
            let subtask = subtask_digest(&ctx.digest, &keccak256(&ctx.mine_start.to_be_bytes()));
            let params =
                MiningParams::new(MINER, subtask, range, U256::MAX, ctx.flow_length).unwrap();
            let mut pool = Vec::new();
            for i in 0..8u64 {
                let nonce = keccak256(&(i + 77).to_be_bytes());
                let hits = params.mine_batch(&[nonce], |l| sealed.load(l));
                for hit in hits.iter().take(3) {
                    let mut a = sealed.answer(&params, hit).unwrap();
                    a.context_digest = ctx.digest;
                    pool.push(a);
                }
            }
            pool
        });
        Fixture {
            contexts: [c1, c2],
            pools,
        }
    })
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Tamper {
    None,
    Data {
        at: u16,
        xor: u8,
    },
    Proof {
        at: u8,
    },
    SealedContext,
    Miner,
    Nonce(u8),
    /// Claims another epoch's context.
    Context,
}

#[derive(Arbitrary, Debug)]
enum Step {
    Advance(u8),
    OldBlock(u8),
    Context(u8),
    Register(bool),
    Submit {
        pool: bool,
        index: u8,
        tamper: Tamper,
    },
    Again,
    Fill {
        before: u32,
        charged: u32,
        value: u64,
    },
    Donate(u32),
    SetTarget(u8),
    Time(u16),
}

#[derive(Arbitrary, Debug)]
struct Input {
    fixed: bool,
    strict: bool,
    /// Start with the miner registered, the first context in and its window open.
    warm: bool,
    difficulty: u8,
    target_submissions: u8,
    base_reward: u16,
    fee_bps: u16,
    steps: Vec<Step>,
}

#[derive(Default)]
struct Model {
    registered: BTreeSet<H256>,
    accepted: BTreeSet<H256>,
    balances: BTreeMap<H256, u128>,
    t_now: u64,
    t_next: u64,
    count: u64,
    last_mined: u64,
    filled: u128,
    donated: u128,
    chunks: BTreeSet<u64>,
}

type Snapshot = (
    U256,
    MineContext,
    u64,
    u64,
    Amount,
    Amount,
    zg_pora::reward::RewardPool,
);

fn snapshot(v: &Verifier) -> Snapshot {
    (
        v.pora_target(),
        *v.context(),
        v.current_submissions(),
        v.last_mined_epoch(),
        v.balance(&MINER),
        v.balance(&OTHER),
        v.rewards().clone(),
    )
}

fuzz_target!(|input: Input| {
    let f = fixture();
    let config = VerifierConfig {
        difficulty: U256::from(u64::from(input.difficulty % 4) + 1),
        fixed_difficulty: input.fixed,
        target_mine_blocks: WINDOW,
        target_submissions: u64::from(input.target_submissions % 4),
        max_shards: 4,
        n_subtasks: 1,
        subtask_interval: WINDOW,
        difficulty_adjust_ratio: 20,
        min_difficulty: U256::ZERO,
        blockhash_window: 256,
        reward: RewardConfig {
            release_seconds: 1000,
            base_reward: Amount(u128::from(input.base_reward)),
            service_fee_bps: u64::from(input.fee_bps % 10_001),
        },
        policy: if input.strict {
            Policy::STRICT
        } else {
            Policy::CONTRACT
        },
    };
    let mut v = Verifier::new(config).unwrap();
    let mut m = Model {
        t_now: config.target_submissions,
        t_next: config.target_submissions,
        chunks: [0].into(),
        ..Model::default()
    };
    let mut now = Timestamp::from_secs(T0);
    let mut block = 990u64;
    let mut fed = false;
    let mut total_accepted = 0;
    let mut last: Option<Answer> = None;
    let warm = if input.warm {
        vec![Step::Register(false), Step::Context(0), Step::Advance(9)]
    } else {
        Vec::new()
    };
    for step in warm.into_iter().chain(input.steps.into_iter().take(96)) {
        // (command, whether the model requires acceptance, whether it forbids it)
        let (cmd, must, forbid) = match step {
            Step::Advance(n) => {
                for _ in 0..=n % 64 {
                    fed = true;
                    block += 1;
                    now = now.plus_millis(2000);
                    let hash = keccak256(&block.to_be_bytes());
                    v.handle(
                        now,
                        MInput::Command(VerifierCommand::Block {
                            number: block,
                            hash,
                        }),
                    )
                    .unwrap();
                    assert!(v.drain_outputs().is_empty());
                }
                continue;
            }
            Step::OldBlock(_) if !fed => continue,
            Step::OldBlock(back) => (
                VerifierCommand::Block {
                    number: block - u64::from(back % 4),
                    hash: H256([9; 32]),
                },
                false,
                true,
            ),
            Step::Context(which) => {
                let cur = v.context().epoch;
                let (ctx, valid) = match which % 4 {
                    0 => (f.contexts[0], cur == 0),
                    1 => (f.contexts[1], cur == 1),
                    2 => {
                        // The right parts under a wrong digest.
                        let mut c = f.contexts[1];
                        c.digest = H256([0xdd; 32]);
                        (c, false)
                    }
                    _ => {
                        // An empty context (no mining) as the next epoch.
                        let empty = zg_core::hash::empty_hash();
                        let c = MineContext {
                            epoch: cur + 1,
                            mine_start: block,
                            flow_root: v.context().flow_root,
                            flow_length: v.context().flow_length,
                            block_digest: empty,
                            digest: empty,
                        };
                        (c, true)
                    }
                };
                (VerifierCommand::Context(ctx), valid, !valid)
            }
            Step::Register(other) => {
                let id = if other { OTHER } else { MINER };
                let fresh = !m.registered.contains(&id);
                (
                    VerifierCommand::RegisterMiner { miner_id: id },
                    fresh,
                    !fresh,
                )
            }
            Step::Submit {
                pool,
                index,
                tamper,
            } => {
                let p = &f.pools[usize::from(pool)];
                if p.is_empty() {
                    continue;
                }
                let mut a = p[usize::from(index) % p.len()].clone();
                let mut forged = true;
                match tamper {
                    Tamper::None => forged = false,
                    Tamper::Data { at, xor } => {
                        a.sealed_data[usize::from(at) % 4096] ^= xor | 1;
                    }
                    Tamper::Proof { at } => {
                        let n = a.merkle_proof.len();
                        a.merkle_proof[usize::from(at) % n].0[0] ^= 1;
                    }
                    Tamper::SealedContext => a.sealed_context_digest = f.contexts[1].digest,
                    Tamper::Miner => a.miner_id = OTHER,
                    Tamper::Nonce(x) => {
                        // Another nonce may be a valid answer too: not forged, just checked.
                        a.nonce.0[0] ^= x | 1;
                        forged = false;
                    }
                    Tamper::Context => {
                        // As with the nonce: possibly valid for the other epoch by chance.
                        a.context_digest = f.contexts[usize::from(!pool)].digest;
                        forged = false;
                    }
                }
                let honest = matches!(tamper, Tamper::None);
                last = Some(a.clone());
                let must = honest && input.fixed && {
                    let ctx = v.context();
                    let at = block + 1;
                    let new_epoch = ctx.epoch > m.last_mined && m.last_mined > 0;
                    let (count, t) = if new_epoch {
                        (0, m.t_next)
                    } else {
                        (m.count, m.t_now)
                    };
                    ctx.digest == a.context_digest
                        && m.registered.contains(&MINER)
                        && at > ctx.mine_start
                        && at <= ctx.mine_start + WINDOW
                        && v.epoch_range(&a.sealed_context_digest).is_some()
                        && !m.accepted.contains(&output_of(&a))
                        && count < t.saturating_mul(2)
                };
                (VerifierCommand::Submit(Box::new(a)), must, forged)
            }
            Step::Again => match &last {
                Some(a) => (VerifierCommand::Submit(Box::new(a.clone())), false, false),
                None => continue,
            },
            Step::Fill {
                before,
                charged,
                value,
            } => {
                let before = u64::from(before) % (3 * SECTORS_PER_PRICE);
                let charged = u64::from(charged) % (2 * SECTORS_PER_PRICE);
                (
                    VerifierCommand::FillReward {
                        before_length: before,
                        charged_sectors: charged,
                        value: Amount(u128::from(value)),
                    },
                    false,
                    charged == 0,
                )
            }
            Step::Donate(x) => (VerifierCommand::Donate(Amount(u128::from(x))), true, false),
            Step::SetTarget(n) => (
                VerifierCommand::SetTargetSubmissions(u64::from(n % 4)),
                true,
                false,
            ),
            Step::Time(s) => {
                now = now.plus_millis(u64::from(s) * 1000);
                continue;
            }
        };
        let before = snapshot(&v);
        let res = v.handle(now, MInput::Command(cmd.clone()));
        let out = v.drain_outputs();
        if must {
            assert!(
                res.is_ok(),
                "the model requires acceptance: {res:?} for {cmd:?}"
            );
        }
        if forbid {
            assert!(res.is_err(), "the model forbids acceptance of {cmd:?}");
        }
        if res.is_err() {
            assert!(out.is_empty(), "a refused input output {out:?}");
            assert!(
                snapshot(&v) == before,
                "a refused input changed the state: {res:?}"
            );
            continue;
        }
        match cmd {
            VerifierCommand::RegisterMiner { miner_id } => {
                m.registered.insert(miner_id);
            }
            VerifierCommand::FillReward {
                before_length,
                charged_sectors,
                value,
            } => {
                m.filled += value.units();
                let first = before_length / SECTORS_PER_PRICE;
                let last_chunk = (before_length + charged_sectors - 1) / SECTORS_PER_PRICE;
                m.chunks.extend(first..=last_chunk);
            }
            VerifierCommand::Donate(x) => m.donated += x.units(),
            VerifierCommand::SetTargetSubmissions(n) => {
                m.t_next = n;
                if m.last_mined == 0 {
                    m.t_now = n;
                }
            }
            _ => {}
        }
        let mut accepted = 0;
        for o in out {
            match o {
                Output::Event(VerifierEvent::Accepted(acc)) => {
                    accepted += 1;
                    assert!(
                        m.registered.contains(&acc.miner_id),
                        "unregistered miner paid"
                    );
                    assert_eq!(acc.epoch, v.context().epoch);
                    let ctx = v.context();
                    assert!(block + 1 > ctx.mine_start && block + 1 <= ctx.mine_start + WINDOW);
                    assert!(m.accepted.insert(acc.output), "one output accepted twice");
                    if acc.epoch > m.last_mined && m.last_mined > 0 {
                        m.count = 0;
                        m.t_now = m.t_next;
                    }
                    assert_eq!(acc.epoch_index, m.count, "epoch index");
                    assert!(m.count < m.t_now.saturating_mul(2), "above the epoch's cap");
                    m.count += 1;
                    m.last_mined = acc.epoch;
                    assert_eq!(acc.pricing_index, 0);
                    *m.balances.entry(acc.miner_id).or_default() += acc.reward.units();
                }
                Output::Event(VerifierEvent::DifficultyAdjusted { pora_target, .. }) => {
                    assert!(!input.fixed, "a fixed difficulty moved");
                    assert_eq!(pora_target, v.pora_target());
                }
                Output::Event(VerifierEvent::NewEpoch { epoch, .. }) => {
                    assert_eq!(epoch, v.context().epoch);
                }
                other => panic!("unexpected output {other:?}"),
            }
        }
        assert!(accepted <= 1);
        total_accepted += accepted;
        assert_eq!(v.current_submissions(), m.count);
        for id in [MINER, OTHER] {
            assert_eq!(
                v.balance(&id).units(),
                m.balances.get(&id).copied().unwrap_or(0)
            );
        }
        // Conservation of value.
        let pool = v.rewards();
        let (mut held, mut distributed) = (0u128, 0u128);
        for &c in &m.chunks {
            let r = pool.chunk(c);
            held += r.locked.units() + r.claimable.units() + r.distributed.units();
            distributed += r.distributed.units();
        }
        let paid: u128 = m.balances.values().sum();
        let base_paid = m
            .donated
            .checked_sub(pool.total_base_reward().units())
            .expect("more base reward left than was donated");
        assert_eq!(
            paid,
            distributed + base_paid,
            "balances differ from what was paid out"
        );
        assert!(
            held + pool.treasury().units() <= m.filled,
            "more value than was filled"
        );
    }
    if std::env::var_os("ZG_FUZZ_STATS").is_some() {
        eprintln!("stats: accepted={total_accepted}");
    }
});

/// The output an answer would have if it verifies (its quality, as `verify_answer` computes
/// it for the context it names).
fn output_of(a: &Answer) -> H256 {
    let pad = zg_pora::Scratchpad::new(zg_pora::pad_seed(
        &a.miner_id,
        &a.nonce,
        &subtask_for(a),
        &a.range.digest(),
    ));
    pad.quality(a.seal_offset, &a.sealed_data)
}

fn subtask_for(a: &Answer) -> H256 {
    let f = fixture();
    let ctx = f
        .contexts
        .iter()
        .find(|c| c.digest == a.context_digest)
        .unwrap_or(&f.contexts[0]);
    subtask_digest(&ctx.digest, &keccak256(&ctx.mine_start.to_be_bytes()))
}
