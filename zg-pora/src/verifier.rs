//! The verifier: a state machine mirroring the mining contract's bookkeeping (`PoraMine`, with
//! the flow's epoch ranges and the chunk reward pool).
//!
//! It keeps what `PoraMine.submit` reads and writes besides the answer itself: registered miner
//! ids, the current context and every epoch's sector range, recent block hashes (for subtask
//! digests), the epoch's submission count and its cap of `2 × targetSubmissions`, the outputs
//! already accepted, `poraTarget` with its adjustment at each new mined epoch, and the rewards
//! per 8 GiB pricing chunk credited to each miner.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::convert::Infallible;

use zg_core::machine::{Input, Machine, Outbox, Output, Protocol};
use zg_core::{Amount, H256, Timestamp};

use crate::U256;
use crate::answer::{Answer, EpochRange, MineContext, WorkerContext};
use crate::difficulty::{self, DifficultyError};
use crate::error::VerifyError;
use crate::pora::{context_digest, subtask_digest, subtask_index};
use crate::reward::{RewardConfig, RewardError, RewardPool};
use crate::verify::{ChainView, Policy, verify_answer};

/// The verifier's protocol: commands in, events out; no peers, timers or requests.
#[derive(Debug, Clone, Copy)]
pub struct VerifierProtocol;

impl Protocol for VerifierProtocol {
    type Message = Infallible;
    type Timer = Infallible;
    type Command = VerifierCommand;
    type Request = Infallible;
    type Record = ();
    type Event = VerifierEvent;
    type Error = VerifierError;
}

/// What the chain tells the verifier, in chain order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum VerifierCommand {
    /// Block `number` was produced with `hash`; later inputs execute in block `number + 1`.
    Block {
        /// Its number.
        number: u64,
        /// Its hash.
        hash: H256,
    },
    /// The flow closed an epoch (`Flow._makeContext`): epochs arrive one by one, in order.
    Context(MineContext),
    /// `requestMinerId`: a miner id becomes valid.
    RegisterMiner {
        /// The id.
        miner_id: H256,
    },
    /// `submit(answer)`.
    Submit(Box<Answer>),
    /// `fillReward(beforeLength, chargedSectors)` paying `value`.
    FillReward {
        /// Flow length before the submission's charged sectors.
        before_length: u64,
        /// Sectors charged.
        charged_sectors: u64,
        /// Fee paid.
        value: Amount,
    },
    /// `donate()`: funds base rewards.
    Donate(Amount),
    /// `setTargetSubmissions`: applies from the next mined epoch (at once before any).
    SetTargetSubmissions(u64),
}

/// What the verifier reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifierEvent {
    /// A new epoch context; `range` is the sectors it seals (`None` for an empty context).
    NewEpoch {
        /// The epoch.
        epoch: u64,
        /// Its sector range.
        range: Option<EpochRange>,
    },
    /// The first answer of a newer epoch moved the target (`_adjustDifficultyOnNewEpoch`).
    DifficultyAdjusted {
        /// The epoch now mined.
        epoch: u64,
        /// The new `poraTarget`.
        pora_target: U256,
    },
    /// An answer was accepted (`NewSubmission`) and rewarded.
    Accepted(Accepted),
}

/// One accepted answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Accepted {
    /// The epoch mined.
    pub epoch: u64,
    /// The miner.
    pub miner_id: H256,
    /// Its index among this epoch's submissions.
    pub epoch_index: u64,
    /// The seal's first sector.
    pub recall_position: u64,
    /// The PoRA output.
    pub output: H256,
    /// The pricing chunk rewarded from.
    pub pricing_index: u64,
    /// Paid to the miner.
    pub reward: Amount,
}

/// Why the verifier rejected an input. A rejected input changes nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifierError {
    /// The answer failed a check of the contract.
    #[error("answer rejected: {0}")]
    Rejected(#[from] VerifyError),
    /// The reward contract would revert.
    #[error("reward: {0}")]
    Reward(#[from] RewardError),
    /// The difficulty arithmetic would revert.
    #[error("difficulty: {0}")]
    Difficulty(#[from] DifficultyError),
    /// A block number that does not increase.
    #[error("block {got} does not follow block {last}")]
    BlockOutOfOrder {
        /// The last block seen.
        last: u64,
        /// The block given.
        got: u64,
    },
    /// A context that is not the next epoch, shrinks the flow, or has a wrong digest.
    #[error("context of epoch {got} does not follow epoch {current}")]
    ContextOutOfOrder {
        /// The current epoch.
        current: u64,
        /// The epoch given.
        got: u64,
    },
    /// A context whose digest is not `keccak(abi.encode(blockDigest, flowRoot, flowLength))`.
    #[error("context digest does not match its parts")]
    ContextDigest,
    /// A submission before any block.
    #[error("no block yet")]
    NoBlock,
    /// "MinerId has registered" (or a zero id).
    #[error("miner id already registered or zero")]
    MinerId,
    /// A miner's balance would overflow.
    #[error("balance overflow")]
    BalanceOverflow,
    /// A position or block number overflows 64 bits.
    #[error("arithmetic overflow")]
    Overflow,
    /// The configuration is unusable.
    #[error("invalid verifier configuration: {0}")]
    Config(&'static str),
}

/// The mining contract's parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VerifierConfig {
    /// Initial difficulty: `poraTarget = (2^256 − 1) / difficulty`.
    pub difficulty: U256,
    /// Never adjust the target (`FIXED_DIFFICULTY`, target `2^256 − 1`).
    pub fixed_difficulty: bool,
    /// Blocks in a subtask's mining window (`targetMineBlocks`).
    pub target_mine_blocks: u64,
    /// Answers wanted per epoch; twice this is the cap.
    pub target_submissions: u64,
    /// Most shards a range may have (a power of two).
    pub max_shards: u64,
    /// Subtasks per epoch.
    pub n_subtasks: u64,
    /// Blocks between subtask starts.
    pub subtask_interval: u64,
    /// `difficultyAdjustRatio`.
    pub difficulty_adjust_ratio: u64,
    /// `minDifficulty` (0: none): the target never exceeds `(2^256 − 1) / minDifficulty`.
    pub min_difficulty: U256,
    /// How many past blocks `blockhash` can read (256 on the EVM); older ones read as zero.
    pub blockhash_window: u64,
    /// Reward parameters.
    pub reward: RewardConfig,
    /// Checks beyond the contract's.
    pub policy: Policy,
}

impl VerifierConfig {
    /// The mainnet parameters of 0G-FORMATS §5 (750-block window, 4 subtasks, 100 target
    /// submissions, 256 shards) with an 800-block subtask interval (the public 0G deploy configs'
    /// non-overlapping windows), for a given initial difficulty and reward configuration.
    pub fn mainnet(difficulty: U256, reward: RewardConfig) -> Self {
        VerifierConfig {
            difficulty,
            fixed_difficulty: false,
            target_mine_blocks: 750,
            target_submissions: 100,
            max_shards: 256,
            n_subtasks: 4,
            subtask_interval: 800,
            difficulty_adjust_ratio: difficulty::DIFFICULTY_ADJUST_RATIO,
            min_difficulty: U256::ZERO,
            blockhash_window: 256,
            reward,
            policy: Policy::CONTRACT,
        }
    }
}

/// The per-epoch part of the state, updated as one value so a rejected answer leaves it as it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct EpochState {
    last_mined_epoch: u64,
    current_submissions: u64,
    target_submissions: u64,
    target_submissions_next: u64,
    n_subtasks: u64,
    subtask_interval: u64,
    pora_target: U256,
}

/// The verifier machine. See the [module docs](self).
///
/// # Driving contract
///
/// * Inputs: [`VerifierCommand`]s as [`Input::Command`]s, in chain order — each
///   [`VerifierCommand::Block`] as it is produced (inputs after it execute in the next block),
///   each epoch [`VerifierCommand::Context`] as the flow closes it, registrations, fees,
///   donations and submissions as their transactions land. No messages or timers. A rejected
///   input returns [`VerifierError`] (the revert reason) and changes nothing.
/// * Outputs: only `Event`s, drained in order after each input: [`VerifierEvent::NewEpoch`],
///   [`VerifierEvent::DifficultyAdjusted`] before the [`VerifierEvent::Accepted`] of the answer
///   that moved it, one `Accepted` per accepted submission.
/// * Persistence and restart: nothing is persisted — the chain is the record. After a restart
///   the host builds a new verifier with the same [`VerifierConfig`] and replays the chain's
///   inputs from genesis (or from the contract's state, which it mirrors).
/// * It is never done: it follows the chain for as long as the host runs it. What a miner
///   should mine now is [`Verifier::worker_context`] (`computeWorkerContext`).
///
/// ```
/// use zg_core::machine::{Input, Machine, Output};
/// use zg_core::{Amount, H256, Timestamp, keccak256};
/// use zg_pora::reward::RewardConfig;
/// use zg_pora::{
///     MiningParams, Policy, RecallRange, SealedFlow, ShardConfig, U256, Verifier, VerifierCommand,
///     VerifierConfig, VerifierEvent,
/// };
///
/// let config = VerifierConfig {
///     difficulty: U256::from(4u8), // one nonce in four meets the target
///     fixed_difficulty: false,
///     target_mine_blocks: 100,
///     target_submissions: 3,
///     max_shards: 4,
///     n_subtasks: 1,
///     subtask_interval: 100,
///     difficulty_adjust_ratio: 20,
///     min_difficulty: U256::ZERO,
///     blockhash_window: 256,
///     reward: RewardConfig { release_seconds: 1000, base_reward: Amount(0), service_fee_bps: 0 },
///     policy: Policy::STRICT,
/// };
/// let mut verifier = Verifier::new(config)?;
/// let mut now = Timestamp::from_secs(1_700_000_000);
/// let chain = |v: &mut Verifier, now: Timestamp, c: VerifierCommand| {
///     v.handle(now, Input::Command(c))?;
///     Ok::<_, zg_pora::VerifierError>(
///         v.drain_outputs().into_iter().filter_map(|o| match o {
///             Output::Event(e) => Some(e),
///             _ => None,
///         }).collect::<Vec<_>>(),
///     )
/// };
///
/// // A miner registers; the flow closes epoch 1 at block 100 over one sealed load.
/// let miner_id = H256([7; 32]);
/// let data: Vec<u8> = (0..262_144u32).map(|i| (i % 251) as u8).collect();
/// let sealed = SealedFlow::new(&[&data], miner_id, 1, 100, keccak256(b"block 100"))?;
/// chain(&mut verifier, now, VerifierCommand::RegisterMiner { miner_id })?;
/// for number in 95..=101u64 {
///     now = now.plus_millis(2_000);
///     chain(&mut verifier, now, VerifierCommand::Block { number, hash: keccak256(&number.to_be_bytes()) })?;
///     if number == 100 {
///         let events = chain(&mut verifier, now, VerifierCommand::Context(sealed.context))?;
///         assert!(matches!(events[..], [VerifierEvent::NewEpoch { epoch: 1, .. }]));
///     }
/// }
///
/// // The miner mines what the chain says to mine now, and submits its first answer.
/// let w = verifier.worker_context(&miner_id)?;
/// assert!(w.can_mine());
/// let range = RecallRange::for_flow(w.context.flow_length, ShardConfig::FULL, 0).unwrap();
/// let params = MiningParams::new(miner_id, w.subtask_digest, range, w.pora_target, w.context.flow_length)?;
/// let nonces: Vec<H256> = (0..32u64).map(|i| keccak256(&i.to_be_bytes())).collect();
/// let hit = params.mine_batch(&nonces, |i| sealed.load(i))[0];
/// let answer = sealed.answer(&params, &hit)?;
/// let events = chain(&mut verifier, now, VerifierCommand::Submit(Box::new(answer.clone())))?;
/// assert!(matches!(&events[..], [VerifierEvent::Accepted(a)] if a.miner_id == miner_id));
/// // The same answer again is a duplicate: rejected, nothing changes.
/// assert!(chain(&mut verifier, now, VerifierCommand::Submit(Box::new(answer))).is_err());
/// assert_eq!(verifier.current_submissions(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Verifier {
    config: VerifierConfig,
    max_target: U256,
    // The flow's side.
    context: MineContext,
    epoch_ranges: HashMap<H256, EpochRange>,
    epoch_start_position: u64,
    last_block: Option<u64>,
    block_hashes: BTreeMap<u64, H256>,
    // The mine's side.
    miners: HashSet<H256>,
    state: EpochState,
    submitted: HashSet<H256>,
    rewards: RewardPool,
    balances: BTreeMap<H256, Amount>,
    out: Outbox<VerifierProtocol>,
}

impl Verifier {
    /// A verifier at the contract's initial state (epoch 0, no context), or a
    /// [`VerifierError::Config`] for parameters the contract refuses.
    pub fn new(config: VerifierConfig) -> Result<Self, VerifierError> {
        if config.n_subtasks == 0 {
            return Err(VerifierError::Config("n_subtasks is zero"));
        }
        if config.difficulty_adjust_ratio == 0 {
            return Err(VerifierError::Config("difficulty_adjust_ratio is zero"));
        }
        if !config.max_shards.is_power_of_two() {
            return Err(VerifierError::Config("max_shards is not a power of two"));
        }
        let pora_target = if config.fixed_difficulty {
            U256::MAX
        } else {
            difficulty::target_for_difficulty(config.difficulty)?
        };
        let max_target = difficulty::max_target(config.min_difficulty);
        let empty = zg_core::hash::empty_hash();
        Ok(Verifier {
            max_target,
            context: MineContext {
                epoch: 0,
                mine_start: 0,
                flow_root: H256::ZERO,
                flow_length: 1,
                block_digest: empty,
                digest: empty,
            },
            epoch_ranges: HashMap::new(),
            epoch_start_position: 0,
            last_block: None,
            block_hashes: BTreeMap::new(),
            miners: HashSet::new(),
            state: EpochState {
                last_mined_epoch: 0,
                current_submissions: 0,
                target_submissions: config.target_submissions,
                target_submissions_next: config.target_submissions,
                n_subtasks: config.n_subtasks,
                subtask_interval: config.subtask_interval,
                pora_target: pora_target.min(max_target),
            },
            submitted: HashSet::new(),
            rewards: RewardPool::new(config.reward),
            balances: BTreeMap::new(),
            config,
            out: Outbox::new(),
        })
    }

    /// The current `poraTarget`.
    pub fn pora_target(&self) -> U256 {
        self.state.pora_target
    }

    /// The current context.
    pub fn context(&self) -> &MineContext {
        &self.context
    }

    /// The sector range of the context with `digest` (`getEpochRange`).
    pub fn epoch_range(&self, digest: &H256) -> Option<EpochRange> {
        self.epoch_ranges.get(digest).copied()
    }

    /// Answers accepted in the last mined epoch.
    pub fn current_submissions(&self) -> u64 {
        self.state.current_submissions
    }

    /// The last epoch with an accepted answer.
    pub fn last_mined_epoch(&self) -> u64 {
        self.state.last_mined_epoch
    }

    /// Rewards credited to a miner so far.
    pub fn balance(&self, miner_id: &H256) -> Amount {
        self.balances.get(miner_id).copied().unwrap_or(Amount::ZERO)
    }

    /// The reward pool.
    pub fn rewards(&self) -> &RewardPool {
        &self.rewards
    }

    /// The block the next input executes in.
    fn current_block(&self) -> Result<u64, VerifierError> {
        self.last_block
            .ok_or(VerifierError::NoBlock)?
            .checked_add(1)
            .ok_or(VerifierError::Overflow)
    }

    /// `blockhash(n)` executing in block `at`: zero for the current or future blocks and past the
    /// window.
    fn blockhash(&self, n: u64, at: u64) -> H256 {
        if n < at && at - n <= self.config.blockhash_window {
            self.block_hashes.get(&n).copied().unwrap_or(H256::ZERO)
        } else {
            H256::ZERO
        }
    }

    /// `_updateMineEpochWhenNeeded` for the current context, on a copy of the epoch state.
    fn epoch_state_for(&self, epoch: u64) -> Result<(EpochState, bool), VerifierError> {
        let mut s = self.state;
        if epoch < s.last_mined_epoch {
            return Err(VerifierError::ContextOutOfOrder {
                current: s.last_mined_epoch,
                got: epoch,
            });
        }
        let new_epoch = epoch > s.last_mined_epoch && s.last_mined_epoch > 0;
        if new_epoch {
            if !self.config.fixed_difficulty {
                s.pora_target = difficulty::next_epoch_target(
                    s.pora_target,
                    s.target_submissions,
                    s.current_submissions,
                    self.config.difficulty_adjust_ratio,
                    self.max_target,
                )?;
            }
            s.current_submissions = 0;
            s.target_submissions = s.target_submissions_next;
        }
        Ok((s, new_epoch))
    }

    /// The miner's subtask window `(start, end]` in blocks and its digest, for `state`.
    fn subtask(
        &self,
        miner_id: &H256,
        state: &EpochState,
        at: u64,
    ) -> Result<(u64, u64, H256), VerifierError> {
        let ctx = &self.context;
        let idx = subtask_index(&ctx.digest, miner_id, state.n_subtasks)
            .ok_or(VerifierError::Config("n_subtasks is zero"))?;
        let start = idx
            .checked_mul(state.subtask_interval)
            .and_then(|o| ctx.mine_start.checked_add(o))
            .ok_or(VerifierError::Overflow)?;
        let end = start
            .checked_add(self.config.target_mine_blocks)
            .ok_or(VerifierError::Overflow)?;
        Ok((
            start,
            end,
            subtask_digest(&ctx.digest, &self.blockhash(start, at)),
        ))
    }

    /// `computeWorkerContext(minerId)` at the next block: what the miner should mine now.
    pub fn worker_context(&self, miner_id: &H256) -> Result<WorkerContext, VerifierError> {
        if *miner_id == H256::ZERO || !self.miners.contains(miner_id) {
            return Err(VerifyError::MinerNotRegistered.into());
        }
        let at = self.current_block()?;
        let mut w = WorkerContext {
            context: self.context,
            pora_target: U256::ZERO,
            subtask_digest: H256::ZERO,
            max_shards: self.config.max_shards,
        };
        // As the contract does, the subtask is chosen with the parameters before the epoch update.
        let (start, end, digest) = self.subtask(miner_id, &self.state, at)?;
        if at <= start || at > end {
            return Ok(w);
        }
        w.subtask_digest = digest;
        let (state, _) = self.epoch_state_for(self.context.epoch)?;
        if state.current_submissions < state.target_submissions.saturating_mul(2) {
            w.pora_target = state.pora_target;
        }
        Ok(w)
    }

    fn submit(&mut self, now: Timestamp, answer: &Answer) -> Result<(), VerifierError> {
        // Step 1: the miner id.
        if answer.miner_id == H256::ZERO {
            return Err(VerifyError::MinerIdZero.into());
        }
        if !self.miners.contains(&answer.miner_id) {
            return Err(VerifyError::MinerNotRegistered.into());
        }
        // Step 2: the epoch, then the subtask window.
        let at = self.current_block()?;
        let epoch = self.context.epoch;
        let (state, new_epoch) = self.epoch_state_for(epoch)?;
        let (start, end, subtask) = self.subtask(&answer.miner_id, &state, at)?;
        if at <= start {
            return Err(VerifyError::SubtaskNotStarted {
                start_block: start,
                block: at,
            }
            .into());
        }
        if at > end {
            return Err(VerifyError::SubtaskDeadlineExceeded {
                end_block: end,
                block: at,
            }
            .into());
        }
        // Steps 3–5: the answer.
        let view = ChainView {
            context: self.context,
            subtask_digest: subtask,
            pora_target: state.pora_target,
            max_shards: self.config.max_shards,
            sealed_context_range: self.epoch_range(&answer.sealed_context_digest),
            epoch_submissions: state.current_submissions,
            epoch_cap: state.target_submissions.saturating_mul(2),
            policy: self.config.policy,
        };
        let verified = verify_answer(answer, &view)?;
        if self.submitted.contains(&verified.output) {
            return Err(VerifyError::DuplicateOutput.into());
        }
        // Step 6: the reward, computed before anything changes.
        let claim = self
            .rewards
            .preview_claim(now.as_secs(), verified.pricing_index)?;
        let balance = self
            .balance(&answer.miner_id)
            .checked_add(claim.paid)
            .map_err(|_| VerifierError::BalanceOverflow)?;
        // Commit.
        let paid = claim.paid;
        self.rewards.apply_claim(claim);
        self.balances.insert(answer.miner_id, balance);
        self.submitted.insert(verified.output);
        let epoch_index = state.current_submissions;
        self.state = EpochState {
            last_mined_epoch: epoch,
            // Below the cap, so below u64::MAX.
            current_submissions: state.current_submissions + 1,
            ..state
        };
        if new_epoch && !self.config.fixed_difficulty {
            self.out.event(VerifierEvent::DifficultyAdjusted {
                epoch,
                pora_target: state.pora_target,
            });
        }
        self.out.event(VerifierEvent::Accepted(Accepted {
            epoch,
            miner_id: answer.miner_id,
            epoch_index,
            recall_position: answer.recall_position,
            output: verified.output,
            pricing_index: verified.pricing_index,
            reward: paid,
        }));
        Ok(())
    }

    fn new_context(&mut self, ctx: MineContext) -> Result<(), VerifierError> {
        let expected = self
            .context
            .epoch
            .checked_add(1)
            .ok_or(VerifierError::Overflow)?;
        if ctx.epoch != expected || ctx.flow_length < self.context.flow_length {
            return Err(VerifierError::ContextOutOfOrder {
                current: self.context.epoch,
                got: ctx.epoch,
            });
        }
        let empty = zg_core::hash::empty_hash();
        let range = if ctx.digest == empty {
            if ctx.block_digest != empty {
                return Err(VerifierError::ContextDigest);
            }
            None
        } else {
            if ctx.digest != context_digest(&ctx.block_digest, &ctx.flow_root, ctx.flow_length) {
                return Err(VerifierError::ContextDigest);
            }
            let range = EpochRange {
                start: self.epoch_start_position,
                end: ctx.flow_length,
            };
            self.epoch_ranges.insert(ctx.digest, range);
            self.epoch_start_position = ctx.flow_length;
            Some(range)
        };
        self.context = ctx;
        self.out.event(VerifierEvent::NewEpoch {
            epoch: ctx.epoch,
            range,
        });
        Ok(())
    }

    fn new_block(&mut self, number: u64, hash: H256) -> Result<(), VerifierError> {
        if let Some(last) = self.last_block
            && number <= last
        {
            return Err(VerifierError::BlockOutOfOrder { last, got: number });
        }
        self.last_block = Some(number);
        self.block_hashes.insert(number, hash);
        let keep_from = number.saturating_sub(self.config.blockhash_window);
        self.block_hashes = self.block_hashes.split_off(&keep_from);
        Ok(())
    }
}

impl Machine<VerifierProtocol> for Verifier {
    fn handle(
        &mut self,
        now: Timestamp,
        input: Input<VerifierProtocol>,
    ) -> Result<(), VerifierError> {
        // Messages and timers are uninhabited in this protocol: every input is a command.
        let Input::Command(command) = input;
        match command {
            VerifierCommand::Block { number, hash } => self.new_block(number, hash),
            VerifierCommand::Context(ctx) => self.new_context(ctx),
            VerifierCommand::RegisterMiner { miner_id } => {
                if miner_id == H256::ZERO || !self.miners.insert(miner_id) {
                    return Err(VerifierError::MinerId);
                }
                Ok(())
            }
            VerifierCommand::Submit(answer) => self.submit(now, &answer),
            VerifierCommand::FillReward {
                before_length,
                charged_sectors,
                value,
            } => Ok(self.rewards.fill_reward(
                now.as_secs(),
                before_length,
                charged_sectors,
                value,
            )?),
            VerifierCommand::Donate(value) => Ok(self.rewards.donate(value)?),
            VerifierCommand::SetTargetSubmissions(n) => {
                self.state.target_submissions_next = n;
                if self.state.last_mined_epoch == 0 {
                    self.state.target_submissions = n;
                }
                Ok(())
            }
        }
    }

    fn poll_output(&mut self) -> Option<Output<VerifierProtocol>> {
        self.out.pop()
    }
}
