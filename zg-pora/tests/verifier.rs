//! The verifier machine: the contract's bookkeeping around answers — registration, subtask
//! windows, the per-epoch cap, duplicates, difficulty at epoch change, rewards per pricing chunk.

// In tests a panic is a failure report, and casts work on small test sizes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

mod common;

use common::{Fixture, target_one_in};
use proptest::prelude::*;
use zg_core::machine::{Input, Machine, Output};
use zg_core::{Amount, H256, Timestamp, keccak256};
use zg_pora::difficulty::{self, next_epoch_target};
use zg_pora::pora::SECTORS_PER_PRICE;
use zg_pora::reward::{RewardConfig, RewardError, RewardPool};
use zg_pora::{
    Answer, MineContext, MiningParams, Policy, ShardConfig, U256, Verifier, VerifierCommand,
    VerifierConfig, VerifierError, VerifierEvent, VerifyError,
};

const T0: u64 = 1_700_000_000;

fn config() -> VerifierConfig {
    VerifierConfig {
        difficulty: U256::from(8u8),
        fixed_difficulty: false,
        target_mine_blocks: 100,
        target_submissions: 3,
        max_shards: 4,
        n_subtasks: 1,
        subtask_interval: 100,
        difficulty_adjust_ratio: 20,
        min_difficulty: U256::ZERO,
        blockhash_window: 256,
        reward: RewardConfig {
            release_seconds: 1000,
            base_reward: Amount(0),
            service_fee_bps: 0,
        },
        policy: Policy::STRICT,
    }
}

struct Harness {
    f: Fixture,
    v: Verifier,
    now: Timestamp,
    block: u64,
}

impl Harness {
    fn new() -> Self {
        Self::with_config(config())
    }

    fn with_config(config: VerifierConfig) -> Self {
        let f = Fixture::new(11, 4, H256([0x42; 32]));
        let mut h = Harness {
            v: Verifier::new(config).unwrap(),
            f,
            now: Timestamp::from_secs(T0),
            block: 990,
        };
        h.cmd(VerifierCommand::RegisterMiner {
            miner_id: h.f.miner_id,
        })
        .unwrap();
        h.cmd(VerifierCommand::Context(h.f.context)).unwrap();
        h.advance_to(h.f.context.mine_start);
        h
    }

    fn cmd(&mut self, c: VerifierCommand) -> Result<Vec<VerifierEvent>, VerifierError> {
        self.v.handle(self.now, Input::Command(c))?;
        Ok(self
            .v
            .drain_outputs()
            .into_iter()
            .filter_map(|o| match o {
                Output::Event(e) => Some(e),
                _ => None,
            })
            .collect())
    }

    fn advance_to(&mut self, block: u64) {
        while self.block < block {
            self.block += 1;
            let hash = keccak256(&self.block.to_be_bytes());
            self.cmd(VerifierCommand::Block {
                number: self.block,
                hash,
            })
            .unwrap();
            self.now = self.now.plus_millis(400);
        }
    }

    /// Honest answers for the miner's current worker context.
    fn answers(&self, tag: u64, n: usize) -> Vec<Answer> {
        let w = self.v.worker_context(&self.f.miner_id).unwrap();
        assert!(w.can_mine(), "{w:?}");
        let params = MiningParams::new(
            self.f.miner_id,
            w.subtask_digest,
            self.f.range(ShardConfig::FULL),
            w.pora_target,
            w.context.flow_length,
        )
        .unwrap();
        let mut out = Vec::new();
        for nonce in Fixture::nonces(tag, 64) {
            let hits = params.mine_batch(&[nonce], |i| self.f.load(i));
            out.extend(hits.iter().map(|h| {
                let mut a = self.f.answer(&params, h);
                a.context_digest = w.context.digest;
                a
            }));
            if out.len() >= n {
                break;
            }
        }
        assert!(out.len() >= n);
        out.truncate(n);
        out
    }

    fn submit(&mut self, a: &Answer) -> Result<Vec<VerifierEvent>, VerifierError> {
        self.cmd(VerifierCommand::Submit(Box::new(a.clone())))
    }
}

fn accepted(events: &[VerifierEvent]) -> Vec<zg_pora::Accepted> {
    events
        .iter()
        .filter_map(|e| match e {
            VerifierEvent::Accepted(a) => Some(*a),
            _ => None,
        })
        .collect()
}

#[test]
fn bookkeeping_of_one_epoch() {
    let mut h = Harness::new();
    h.advance_to(1001);
    let answers = h.answers(1, 7);

    // Not registered, then the window not yet open.
    let mut stranger = answers[0].clone();
    stranger.miner_id = H256([9; 32]);
    assert_eq!(
        h.submit(&stranger),
        Err(VerifierError::Rejected(VerifyError::MinerNotRegistered))
    );

    let e = h.submit(&answers[0]).unwrap();
    let a = accepted(&e);
    assert_eq!(a.len(), 1);
    assert_eq!((a[0].epoch, a[0].epoch_index), (1, 0));
    // A duplicate output is refused, and changes nothing.
    assert_eq!(
        h.submit(&answers[0]),
        Err(VerifierError::Rejected(VerifyError::DuplicateOutput))
    );
    assert_eq!(h.v.current_submissions(), 1);
    // Up to the cap of 2 × 3.
    for (i, ans) in answers[1..6].iter().enumerate() {
        let a = accepted(&h.submit(ans).unwrap());
        assert_eq!(a[0].epoch_index, i as u64 + 1);
    }
    assert_eq!(
        h.submit(&answers[6]),
        Err(VerifierError::Rejected(VerifyError::EpochFull { cap: 6 }))
    );
    // The worker context now says: do not mine.
    assert!(
        h.v.worker_context(&h.f.miner_id)
            .unwrap()
            .pora_target
            .is_zero()
    );
}

#[test]
fn subtask_window_is_enforced() {
    let mut h = Harness::new();
    // The window is (1000, 1100]; the next input executes in block `h.block + 1` = 1001.
    h.advance_to(1001);
    let a = h.answers(2, 1).remove(0);
    h.advance_to(1100);
    assert_eq!(
        h.submit(&a),
        Err(VerifierError::Rejected(
            VerifyError::SubtaskDeadlineExceeded {
                end_block: 1100,
                block: 1101
            }
        ))
    );
    let w = h.v.worker_context(&h.f.miner_id).unwrap();
    assert!(!w.can_mine());
}

#[test]
fn difficulty_moves_once_at_the_first_answer_of_a_new_epoch() {
    let mut h = Harness::new();
    h.advance_to(1001);
    let target0 = h.v.pora_target();
    for a in h.answers(3, 6) {
        h.submit(&a).unwrap();
    }
    // Epoch 2: same flow, a new block digest.
    let ctx = MineContext::new(2, 2000, h.f.flow.root(), h.f.flow.length(), H256([2; 32]));
    let e = h.cmd(VerifierCommand::Context(ctx)).unwrap();
    assert_eq!(
        e,
        vec![VerifierEvent::NewEpoch {
            epoch: 2,
            range: Some(zg_pora::EpochRange {
                start: h.f.flow.length(),
                end: h.f.flow.length()
            })
        }]
    );
    h.advance_to(2001);
    // The worker context already shows the adjusted target: 6 answers for 3 wanted → harder.
    let expected = next_epoch_target(target0, 3, 6, 20, U256::MAX).unwrap();
    assert!(expected < target0);
    let w = h.v.worker_context(&h.f.miner_id).unwrap();
    assert_eq!(w.pora_target, expected);
    // A rejected answer of the new epoch changes nothing.
    let answers = h.answers(4, 2);
    let mut bad = answers[0].clone();
    bad.sealed_data[0] ^= 1;
    assert!(h.submit(&bad).is_err());
    assert_eq!(h.v.pora_target(), target0);
    assert_eq!(h.v.last_mined_epoch(), 1);
    // The first good one adjusts, once.
    let e = h.submit(&answers[0]).unwrap();
    assert_eq!(
        e[0],
        VerifierEvent::DifficultyAdjusted {
            epoch: 2,
            pora_target: expected
        }
    );
    assert_eq!(accepted(&e)[0].epoch_index, 0);
    let e = h.submit(&answers[1]).unwrap();
    assert_eq!(e.len(), 1);
    assert_eq!(h.v.pora_target(), expected);
}

#[test]
fn rewards_pay_half_the_claimable_amount_per_answer() {
    let mut h = Harness::new();
    // The market fills pricing chunk 0 completely: it is finalized now.
    let fill_time = h.now.as_secs();
    h.cmd(VerifierCommand::FillReward {
        before_length: 0,
        charged_sectors: SECTORS_PER_PRICE,
        value: Amount(1_000_000),
    })
    .unwrap();
    h.advance_to(1001);
    let answers = h.answers(5, 3);
    let mut total = Amount::ZERO;
    for a in &answers {
        // A reference pool, one claim ahead.
        let mut reference = h.v.rewards().clone();
        let want = reference
            .claim_mine_reward(h.now.as_secs(), a.recall_position / SECTORS_PER_PRICE)
            .unwrap();
        let got = accepted(&h.submit(a).unwrap())[0];
        assert_eq!(got.reward, want);
        assert_eq!(h.v.rewards(), &reference);
        total = total.checked_add(got.reward).unwrap();
        h.now = h.now.plus_millis(5_000);
    }
    assert!(total > Amount::ZERO);
    assert_eq!(h.v.balance(&h.f.miner_id), total);
    // The first claim: released = 1e6 × elapsed / 1000, half of it paid.
    let c = h.v.rewards().chunk(0);
    assert_eq!(c.distributed, total);
    assert!(h.now.as_secs() > fill_time);
}

#[test]
fn inputs_out_of_order_are_rejected() {
    let mut h = Harness::new();
    assert_eq!(
        h.cmd(VerifierCommand::Block {
            number: 5,
            hash: H256::ZERO
        }),
        Err(VerifierError::BlockOutOfOrder { last: 1000, got: 5 })
    );
    assert!(matches!(
        h.cmd(VerifierCommand::Context(h.f.context)),
        Err(VerifierError::ContextOutOfOrder { .. })
    ));
    let mut forged = MineContext::new(2, 3000, H256([1; 32]), h.f.flow.length(), H256([3; 32]));
    forged.digest.0[0] ^= 1;
    assert_eq!(
        h.cmd(VerifierCommand::Context(forged)),
        Err(VerifierError::ContextDigest)
    );
    assert_eq!(
        h.cmd(VerifierCommand::RegisterMiner {
            miner_id: h.f.miner_id
        }),
        Err(VerifierError::MinerId)
    );
    assert_eq!(
        h.cmd(VerifierCommand::FillReward {
            before_length: 0,
            charged_sectors: 0,
            value: Amount(1)
        }),
        Err(VerifierError::Reward(RewardError::InvalidFill {
            sectors: 0
        }))
    );
    let mut bad = config();
    bad.n_subtasks = 0;
    assert!(matches!(Verifier::new(bad), Err(VerifierError::Config(_))));
    let mut zero = config();
    zero.difficulty = U256::ZERO;
    assert!(matches!(
        Verifier::new(zero),
        Err(VerifierError::Difficulty(
            difficulty::DifficultyError::ZeroDifficulty
        ))
    ));
    let _ = target_one_in(2);
}

#[derive(Debug, Clone)]
enum RewardOp {
    Fill {
        before: u64,
        sectors: u64,
        value: u128,
    },
    Claim {
        chunk: u64,
        dt: u64,
    },
    Donate(u128),
}

fn reward_op() -> impl Strategy<Value = RewardOp> {
    prop_oneof![
        (0u64..8, 1u64..4 * SECTORS_PER_PRICE, any::<u128>()).prop_map(|(c, s, v)| {
            RewardOp::Fill {
                before: c * SECTORS_PER_PRICE / 2,
                sectors: s,
                value: v >> (v % 100),
            }
        }),
        (0u64..6, 0u64..2000).prop_map(|(chunk, dt)| RewardOp::Claim { chunk, dt }),
        any::<u128>().prop_map(|v| RewardOp::Donate(v >> 64)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Whatever the amounts, the pool never panics, a failed operation changes nothing, and no
    /// chunk pays out more than it received.
    #[test]
    fn reward_pool_conserves_value(ops in proptest::collection::vec(reward_op(), 1..40), bps in 0u64..10_001) {
        let mut pool = RewardPool::new(RewardConfig { release_seconds: 1000, base_reward: Amount(5), service_fee_bps: bps });
        let mut now = T0;
        let mut donated = U256::ZERO;
        let mut paid = U256::ZERO;
        for op in ops {
            let before = pool.clone();
            let result = match op {
                RewardOp::Fill { before: b, sectors, value } => pool.fill_reward(now, b, sectors, Amount(value)).map(|_| ()),
                RewardOp::Claim { chunk, dt } => {
                    now += dt;
                    pool.claim_mine_reward(now, chunk).map(|p| paid += U256::from(p.units()))
                }
                RewardOp::Donate(v) => pool.donate(Amount(v)).map(|_| donated += U256::from(v)),
            };
            if result.is_err() {
                prop_assert_eq!(&pool, &before);
            }
            for i in 0..12 {
                let c = pool.chunk(i);
                let total = U256::from(c.locked.units()) + U256::from(c.claimable.units()) + U256::from(c.distributed.units());
                prop_assert!(total <= U256::from(u128::MAX) * U256::from(3u8));
            }
        }
        let fee_paid = (0..12).fold(U256::ZERO, |acc, i| acc + U256::from(pool.chunk(i).distributed.units()));
        let base_paid = donated - U256::from(pool.total_base_reward().units());
        prop_assert_eq!(paid, fee_paid + base_paid);
    }
}

/// Attack: an answer re-pointed at the seal *after* its recalled load (seal offset + 64, the
/// next load's seal with the same pad part), which the contract accepts. A verifier built from
/// `VerifierConfig::mainnet` used to accept it too (its default was the contract's policy);
/// it now defaults to the strict one and refuses it, while the contract policy still mirrors
/// the chain.
#[test]
fn mainnet_default_refuses_a_seal_after_the_recalled_load() {
    use zg_pora::pora::SECTORS_PER_LOAD;
    let mainnet = VerifierConfig::mainnet(U256::from(8u8), config().reward);
    let mut verdicts = Vec::new();
    for policy in [mainnet.policy, Policy::CONTRACT] {
        let mut h = Harness::with_config(VerifierConfig { policy, ..config() });
        h.advance_to(1001);
        let w = h.v.worker_context(&h.f.miner_id).unwrap();
        let params = MiningParams::new(
            h.f.miner_id,
            w.subtask_digest,
            h.f.range(ShardConfig::FULL),
            U256::MAX,
            w.context.flow_length,
        )
        .unwrap();
        let loads = h.f.loads.len() as u64;
        let hit = Fixture::nonces(3, 64)
            .into_iter()
            .flat_map(|n| params.mine_batch(&[n], |i| h.f.load(i)))
            .find(|hit| hit.recall_position / SECTORS_PER_LOAD + 1 < loads)
            .unwrap();
        let mut a = h.f.answer(&params, &hit);
        a.context_digest = w.context.digest;
        let next =
            h.f.load(hit.recall_position / SECTORS_PER_LOAD + 1)
                .unwrap();
        a.seal_offset = hit.seal_offset + 64;
        a.recall_position = hit.recall_position + SECTORS_PER_LOAD;
        *a.sealed_data = *next.seal(hit.seal_offset as usize).unwrap();
        a.merkle_proof = zg_pora::answer::seal_proof(&h.f.flow, a.recall_position / 16).unwrap();
        verdicts.push(h.submit(&a).map(|e| accepted(&e).len()));
    }
    assert_eq!(
        verdicts[0],
        Err(VerifierError::Rejected(VerifyError::SealOffsetOutsideLoad)),
        "mainnet's default policy accepted a seal outside the recalled load"
    );
    assert_eq!(mainnet.policy, Policy::STRICT);
    // The contract's policy does not check the offset (the moved answer then stands or falls
    // on its quality, as on chain; `tests/verify.rs` shows one the contract accepts).
    assert!(verdicts[1] != Err(VerifierError::Rejected(VerifyError::SealOffsetOutsideLoad)));
}

/// Flood: 600 forged submissions (tampered data, proof or nonce, unregistered or zero miner
/// ids, another context) and 100 replays of an accepted answer. Bound stated in the crate's
/// threat model: only verified answers create state — every forgery is refused, emits nothing,
/// and leaves the epoch count, the balances and the reward pool as they were.
#[test]
fn a_flood_of_forged_answers_creates_no_state() {
    let mut h = Harness::new();
    h.advance_to(1001);
    let answers = h.answers(4, 2);
    h.submit(&answers[0]).unwrap();
    let before = (
        h.v.current_submissions(),
        h.v.balance(&h.f.miner_id),
        format!("{:?}", h.v.rewards()),
    );
    for i in 0..600usize {
        let mut a = answers[1].clone();
        match i % 6 {
            0 => a.sealed_data[i % 4096] ^= 1 << (i % 8),
            1 => {
                let n = a.merkle_proof.len();
                a.merkle_proof[i % n].0[i % 32] ^= 1;
            }
            2 => a.nonce.0[i % 32] ^= 1,
            3 => {
                // Never the registered id (all 0x42).
                let mut id = [0xee; 32];
                id[..8].copy_from_slice(&(i as u64).to_be_bytes());
                a.miner_id = H256(id);
            }
            4 => a.miner_id = H256::ZERO,
            _ => a.context_digest.0[i % 32] ^= 1,
        }
        let got = h.submit(&a);
        assert!(got.is_err(), "forgery {i} accepted: {got:?}");
    }
    for _ in 0..100 {
        assert_eq!(
            h.submit(&answers[0]),
            Err(VerifierError::Rejected(VerifyError::DuplicateOutput))
        );
    }
    assert!(h.v.drain_outputs().is_empty());
    assert_eq!(
        (
            h.v.current_submissions(),
            h.v.balance(&h.f.miner_id),
            format!("{:?}", h.v.rewards()),
        ),
        before
    );
    // The honest second answer is still accepted afterwards.
    assert_eq!(accepted(&h.submit(&answers[1]).unwrap()).len(), 1);
}
