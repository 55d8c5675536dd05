//! The miner: a sans-IO state machine that mines PoRA answers for one miner id.
//!
//! The host tells it what to mine ([`MinerCommand::Task`]: a [`WorkerContext`] from the chain and
//! when the window closes), answers its requests for sealed loads ([`MinerRequest::Load`] →
//! [`MinerCommand::Loaded`]), and submits the answers it reports ([`MinerEvent::Answer`]) after
//! attaching the sealing context and the Merkle proof ([`MinedAnswer::into_answer`]).
//!
//! Work is cut into ticks: each [`MinerTimer::Tick`] runs up to `batch` nonces (scratchpad, recall,
//! and — when the load is in the cache — the 64 seal qualities), then schedules the next tick
//! `tick_ms` later. Iterations whose load is not cached wait for it, at most `max_pending` of
//! them; the machine never blocks and never does more than one batch per input. Nonces are
//! `keccak(seed ‖ contextDigest ‖ minerId)` with a counter XORed into the last eight bytes, so a
//! run is reproducible from its seed and inputs.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;

use zg_core::machine::{Input, Machine, Outbox, Output, Protocol};
use zg_core::{H256, Timestamp};

use crate::answer::WorkerContext;
use crate::error::VerifyError;
use crate::mine::{MinedAnswer, MiningParams, Recall, SealedLoad};
use crate::pora::{QualityBound, RecallRange, SCRATCHPAD_SIZE, SECTORS_PER_LOAD, ShardConfig};

/// The miner's protocol.
#[derive(Debug, Clone, Copy)]
pub struct MinerProtocol;

impl Protocol for MinerProtocol {
    type Message = Infallible;
    type Timer = MinerTimer;
    type Command = MinerCommand;
    type Request = MinerRequest;
    type Record = ();
    type Event = MinerEvent;
    type Error = MinerError;
}

/// The miner's timers; each carries the task generation it belongs to (stale ones are ignored).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MinerTimer {
    /// Run the next batch of nonces.
    Tick {
        /// Task generation.
        generation: u64,
    },
    /// The task's window closes.
    Expire {
        /// Task generation.
        generation: u64,
    },
}

/// What to mine: the chain's worker context and the time its mining window closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MiningTask {
    /// From `computeWorkerContext`.
    pub worker: WorkerContext,
    /// When to stop (the host's clock for the subtask's last block).
    pub expires_at: Timestamp,
}

/// The host's inputs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MinerCommand {
    /// Mine this from now on, replacing any earlier task.
    Task(Box<MiningTask>),
    /// Stop mining.
    Stop,
    /// Mine another shard (applies to the current task at once).
    SetShard(ShardConfig),
    /// Mine as another miner id (applies to the current task at once).
    SetMinerId(H256),
    /// The sealed load asked for with [`MinerRequest::Load`].
    Loaded {
        /// The load's index in the flow.
        load_index: u64,
        /// Its sealed seals.
        load: Arc<SealedLoad>,
    },
    /// The host cannot provide this load; iterations waiting for it are dropped.
    LoadUnavailable {
        /// The load's index.
        load_index: u64,
    },
}

/// What the miner asks of its host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MinerRequest {
    /// Read the sealed load starting at sector `position` (= `load_index × 1024`) and answer with
    /// [`MinerCommand::Loaded`] or [`MinerCommand::LoadUnavailable`].
    Load {
        /// The load's index.
        load_index: u64,
        /// Its first sector.
        position: u64,
    },
}

/// What the miner reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MinerEvent {
    /// Mining started on a task.
    Started {
        /// The epoch.
        epoch: u64,
        /// The range mined.
        range: RecallRange,
        /// The quality an answer needs.
        bound: QualityBound,
    },
    /// A task arrived that the chain says not to mine now (zero target or subtask digest).
    Waiting {
        /// The epoch.
        epoch: u64,
    },
    /// An answer to submit.
    Answer(Box<MinedAnswer>),
    /// The task's window closed.
    ContextExpired {
        /// The epoch.
        epoch: u64,
    },
}

/// Why the miner rejected an input (the machine is unchanged).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MinerError {
    /// A shard config that is not a power of two or whose id is out of range.
    #[error("invalid shard config")]
    InvalidShard,
    /// The shard count is above the task's `maxShards`.
    #[error("{shards} shards exceed the maximum of {max}")]
    TooManyShards {
        /// This miner's shard count.
        shards: u64,
        /// The task's maximum.
        max: u64,
    },
    /// The flow has no whole load to mine.
    #[error("the flow holds no whole load")]
    NothingToMine,
    /// The range cannot be mined (see [`VerifyError`]).
    #[error("unminable range: {0}")]
    Range(#[from] VerifyError),
}

/// The miner's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MinerConfig {
    /// The miner id.
    pub miner_id: H256,
    /// Which shard of the flow this miner keeps.
    pub shard: ShardConfig,
    /// Seed of the nonce sequence.
    pub nonce_seed: u64,
    /// Nonces per tick.
    pub batch: u32,
    /// Milliseconds from one tick to the next (the host's CPU budget). With 0 the next tick is due
    /// at once; the host must still interleave its other inputs.
    pub tick_ms: u64,
    /// Most iterations waiting for loads; the miner pauses new nonces above it.
    pub max_pending: usize,
    /// Sealed loads kept in memory (256 KiB each).
    pub cache_loads: usize,
    /// Preferred start of the mined range (rounded to a pricing chunk, kept inside the flow).
    pub start_position: u64,
}

impl MinerConfig {
    /// Defaults: the full flow, batches of 16 nonces every 10 ms, 64 waiting iterations, 64 cached
    /// loads (16 MiB).
    pub fn new(miner_id: H256, nonce_seed: u64) -> Self {
        MinerConfig {
            miner_id,
            shard: ShardConfig::FULL,
            nonce_seed,
            batch: 16,
            tick_ms: 10,
            max_pending: 64,
            cache_loads: 64,
            start_position: 0,
        }
    }
}

/// The task being mined.
#[derive(Debug)]
struct Active {
    generation: u64,
    task: MiningTask,
    params: MiningParams,
    nonce_base: [u8; 32],
    counter: u64,
}

/// An iteration waiting for its load.
struct Waiting {
    recall: Recall,
    pad: Box<[u8; SCRATCHPAD_SIZE]>,
}

/// Counters of the miner's work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MinerStats {
    /// Nonces tried (scratchpads computed).
    pub iterations: u64,
    /// Loads scanned (64 seal qualities each, fewer for unavailable seals).
    pub scans: u64,
    /// Answers found.
    pub answers: u64,
    /// Loads requested.
    pub loads_requested: u64,
    /// Iterations dropped (recall out of the range, load unavailable, task changed).
    pub dropped: u64,
}

/// The miner machine. See the [module docs](self).
///
/// # Driving contract
///
/// * Inputs: [`MinerCommand::Task`] whenever the chain's worker context changes (it replaces
///   the task being mined), [`MinerCommand::Stop`], [`MinerCommand::SetShard`] /
///   [`MinerCommand::SetMinerId`], the answers to its requests, and every [`MinerTimer`] it
///   scheduled (timers of an older task are ignored, so the host never cancels any). A
///   rejected input ([`MinerError`]) changes nothing.
/// * Outputs, drained in order after every input: `Event`s ([`MinerEvent::Started`] or
///   [`MinerEvent::Waiting`] for a new task, [`MinerEvent::Answer`] for each hit,
///   [`MinerEvent::ContextExpired`] when the window closes), `Request`s
///   ([`MinerRequest::Load`]: read that sealed load and answer with [`MinerCommand::Loaded`] or
///   [`MinerCommand::LoadUnavailable`], in any order, later), and `ScheduleTimeout`s (the next
///   [`MinerTimer::Tick`] `tick_ms` later, the task's [`MinerTimer::Expire`]). Each tick runs at
///   most `batch` nonces; at most `max_pending` iterations wait for loads.
/// * An answer is submitted by the host: attach the sealing context and the seal's Merkle proof
///   ([`MinedAnswer::into_answer`], [`seal_proof`](crate::answer::seal_proof)).
/// * Persistence: none. After a restart the host builds a new miner and gives it the current
///   task again (a new `nonce_seed` avoids retrying the same nonces).
/// * Done with a task at [`MinerEvent::ContextExpired`] (or after `Stop`); then it is idle until
///   the next task.
///
/// ```
/// use std::sync::Arc;
/// use zg_core::machine::{Input, Machine, Output};
/// use zg_core::{H256, Timestamp, keccak256};
/// use zg_pora::answer::seal_proof;
/// use zg_pora::{
///     ChainView, Miner, MinerCommand, MinerConfig, MinerEvent, MinerRequest, MiningTask,
///     SealedFlow, U256, WorkerContext, verify_answer,
/// };
///
/// // One sealed load (256 KiB) of a fresh flow, and a target one nonce in four meets.
/// let miner_id = H256([7; 32]);
/// let data: Vec<u8> = (0..262_144u32).map(|i| (i % 251) as u8).collect();
/// let sealed = SealedFlow::new(&[&data], miner_id, 1, 100, keccak256(b"block"))?;
/// let (subtask, target) = (keccak256(b"subtask"), U256::MAX >> 2);
/// let worker = WorkerContext { context: sealed.context, pora_target: target, subtask_digest: subtask, max_shards: 1 };
/// let task = MiningTask { worker, expires_at: Timestamp(1_000) };
///
/// let mut miner = Miner::new(MinerConfig { batch: 4, ..MinerConfig::new(miner_id, 1) })?;
/// let mut now = Timestamp(0);
/// miner.handle(now, Input::Command(MinerCommand::Task(Box::new(task))))?;
/// let (mut timers, mut answers, mut expired) = (Vec::new(), Vec::new(), false);
/// while !expired {
///     let mut loads = Vec::new();
///     while let Some(output) = miner.poll_output() {
///         match output {
///             Output::ScheduleTimeout { at, timer } => timers.push((at, timer)),
///             Output::Request(MinerRequest::Load { load_index, .. }) => loads.push(load_index),
///             Output::Event(MinerEvent::Answer(a)) => answers.push(*a),
///             Output::Event(MinerEvent::ContextExpired { .. }) => expired = true,
///             Output::Event(_) => {}
///             other => unreachable!("{other:?}"),
///         }
///     }
///     // The host reads the sealed loads asked for and hands them back.
///     for load_index in loads {
///         let load = Arc::new(sealed.loads[load_index as usize].clone());
///         miner.handle(now, Input::Command(MinerCommand::Loaded { load_index, load }))?;
///     }
///     // Stop at the first answer by jumping to the window's end; else run the next timer.
///     timers.sort_by_key(|t| t.0);
///     let (at, timer) = if answers.is_empty() { timers.remove(0) } else { timers.pop().unwrap() };
///     now = now.max(at);
///     miner.handle(now, Input::Timeout(timer))?;
/// }
/// // The host completes the first answer and the chain accepts it.
/// let mined = answers.remove(0);
/// let proof = seal_proof(&sealed.flow, mined.seal_index())?;
/// let answer = mined.into_answer(sealed.context.digest, proof);
/// let view = ChainView::new(sealed.context, subtask, target, Some(sealed.epoch_range()));
/// verify_answer(&answer, &view)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Miner {
    config: MinerConfig,
    generation: u64,
    active: Option<Active>,
    pending: HashMap<u64, Vec<Waiting>>,
    pending_count: usize,
    cache: HashMap<u64, Arc<SealedLoad>>,
    cache_order: VecDeque<u64>,
    stats: MinerStats,
    out: Outbox<MinerProtocol>,
}

impl core::fmt::Debug for Miner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Miner")
            .field("config", &self.config)
            .field("active", &self.active)
            .field("pending", &self.pending_count)
            .field("cached", &self.cache.len())
            .field("stats", &self.stats)
            .finish()
    }
}

impl Miner {
    /// A miner with no task.
    pub fn new(config: MinerConfig) -> Result<Self, MinerError> {
        if !config.shard.is_valid() {
            return Err(MinerError::InvalidShard);
        }
        Ok(Miner {
            config,
            generation: 0,
            active: None,
            pending: HashMap::new(),
            pending_count: 0,
            cache: HashMap::new(),
            cache_order: VecDeque::new(),
            stats: MinerStats::default(),
            out: Outbox::new(),
        })
    }

    /// The work done so far.
    pub fn stats(&self) -> MinerStats {
        self.stats
    }

    /// The configuration.
    pub fn config(&self) -> &MinerConfig {
        &self.config
    }

    /// The parameters of the task being mined.
    pub fn params(&self) -> Option<&MiningParams> {
        self.active.as_ref().map(|a| &a.params)
    }

    /// Iterations waiting for loads.
    pub fn pending(&self) -> usize {
        self.pending_count
    }

    fn params_for(config: &MinerConfig, task: &MiningTask) -> Result<MiningParams, MinerError> {
        let w = &task.worker;
        if config.shard.num_shard > w.max_shards {
            return Err(MinerError::TooManyShards {
                shards: config.shard.num_shard,
                max: w.max_shards,
            });
        }
        let range =
            RecallRange::for_flow(w.context.flow_length, config.shard, config.start_position)
                .ok_or(MinerError::NothingToMine)?;
        Ok(MiningParams::new(
            config.miner_id,
            w.subtask_digest,
            range,
            w.pora_target,
            w.context.flow_length,
        )?)
    }

    /// Replaces the task (or clears it) and starts its ticks.
    fn start(&mut self, now: Timestamp, task: Option<(MiningTask, MiningParams)>) {
        self.generation += 1;
        self.stats.dropped += self.pending_count as u64;
        self.pending.clear();
        self.pending_count = 0;
        self.cache.clear();
        self.cache_order.clear();
        self.active = None;
        let Some((task, params)) = task else {
            return;
        };
        let ctx = &task.worker.context;
        if !task.worker.can_mine() {
            self.out.event(MinerEvent::Waiting { epoch: ctx.epoch });
            return;
        }
        let nonce_base = zg_core::keccak256_parts(&[
            &self.config.nonce_seed.to_be_bytes(),
            &ctx.digest.0,
            &self.config.miner_id.0,
        ])
        .0;
        self.out.event(MinerEvent::Started {
            epoch: ctx.epoch,
            range: params.range,
            bound: params.bound,
        });
        let generation = self.generation;
        self.out
            .schedule(task.expires_at, MinerTimer::Expire { generation });
        self.out.schedule(now, MinerTimer::Tick { generation });
        self.active = Some(Active {
            generation,
            task,
            params,
            nonce_base,
            counter: 0,
        });
    }

    fn expire(&mut self, now: Timestamp) -> bool {
        let Some(active) = &self.active else {
            return false;
        };
        if now < active.task.expires_at {
            return false;
        }
        let epoch = active.task.worker.context.epoch;
        self.start(now, None);
        self.out.event(MinerEvent::ContextExpired { epoch });
        true
    }

    fn tick(&mut self, now: Timestamp) {
        if self.expire(now) {
            return;
        }
        let Some(active) = self.active.as_mut() else {
            return;
        };
        let params = active.params;
        let mut pad = Box::new([0u8; SCRATCHPAD_SIZE]);
        for _ in 0..self.config.batch {
            if self.pending_count >= self.config.max_pending {
                break;
            }
            let mut nonce = active.nonce_base;
            for (b, c) in nonce[24..].iter_mut().zip(active.counter.to_be_bytes()) {
                *b ^= c;
            }
            active.counter = active.counter.wrapping_add(1);
            self.stats.iterations += 1;
            let Ok(recall) = params.recall(H256(nonce), &mut pad) else {
                self.stats.dropped += 1;
                continue;
            };
            let index = recall.load_index();
            if let Some(load) = self.cache.get(&index) {
                Self::scan(&mut self.out, &mut self.stats, active, &recall, &pad, load);
                continue;
            }
            let waiting = self.pending.entry(index).or_default();
            if waiting.is_empty() {
                self.stats.loads_requested += 1;
                self.out.request(MinerRequest::Load {
                    load_index: index,
                    position: index * SECTORS_PER_LOAD,
                });
            }
            waiting.push(Waiting {
                recall,
                pad: core::mem::replace(&mut pad, Box::new([0u8; SCRATCHPAD_SIZE])),
            });
            self.pending_count += 1;
        }
        let generation = active.generation;
        self.out.schedule(
            now.plus_millis(self.config.tick_ms),
            MinerTimer::Tick { generation },
        );
    }

    fn scan(
        out: &mut Outbox<MinerProtocol>,
        stats: &mut MinerStats,
        active: &Active,
        recall: &Recall,
        pad: &[u8; SCRATCHPAD_SIZE],
        load: &SealedLoad,
    ) {
        stats.scans += 1;
        for hit in active.params.scan(recall, pad, load) {
            let Some(sealed) = usize::try_from(hit.seal_offset)
                .ok()
                .and_then(|i| load.seal(i))
            else {
                continue;
            };
            stats.answers += 1;
            let ctx = &active.task.worker.context;
            out.event(MinerEvent::Answer(Box::new(MinedAnswer {
                epoch: ctx.epoch,
                context_digest: ctx.digest,
                nonce: hit.nonce,
                miner_id: active.params.miner_id,
                range: active.params.range,
                recall_position: hit.recall_position,
                seal_offset: hit.seal_offset,
                sealed_data: Box::new(*sealed),
                quality: hit.quality,
            })));
        }
    }

    fn loaded(&mut self, load_index: u64, load: Arc<SealedLoad>) {
        let Some(active) = self.active.as_ref() else {
            return;
        };
        for w in self.pending.remove(&load_index).unwrap_or_default() {
            self.pending_count -= 1;
            Self::scan(
                &mut self.out,
                &mut self.stats,
                active,
                &w.recall,
                &w.pad,
                &load,
            );
        }
        if self.config.cache_loads == 0 {
            return;
        }
        if self.cache.insert(load_index, load).is_none() {
            self.cache_order.push_back(load_index);
        }
        while self.cache.len() > self.config.cache_loads {
            if let Some(old) = self.cache_order.pop_front() {
                self.cache.remove(&old);
            }
        }
    }

    /// Rebuilds the current task's parameters after a config change.
    fn restart(&mut self, now: Timestamp, config: MinerConfig) -> Result<(), MinerError> {
        let task = match &self.active {
            Some(a) => Some((a.task, Self::params_for(&config, &a.task)?)),
            None => None,
        };
        self.config = config;
        if task.is_some() {
            self.start(now, task);
        }
        Ok(())
    }
}

impl Machine<MinerProtocol> for Miner {
    fn handle(&mut self, now: Timestamp, input: Input<MinerProtocol>) -> Result<(), MinerError> {
        match input {
            Input::Timeout(MinerTimer::Tick { generation }) if generation == self.generation => {
                self.tick(now);
            }
            Input::Timeout(MinerTimer::Expire { generation }) if generation == self.generation => {
                self.expire(now);
            }
            Input::Timeout(_) => {}
            Input::Command(MinerCommand::Task(task)) => {
                let params = Self::params_for(&self.config, &task)?;
                self.start(now, Some((*task, params)));
            }
            Input::Command(MinerCommand::Stop) => self.start(now, None),
            Input::Command(MinerCommand::SetShard(shard)) => {
                if !shard.is_valid() {
                    return Err(MinerError::InvalidShard);
                }
                self.restart(
                    now,
                    MinerConfig {
                        shard,
                        ..self.config
                    },
                )?;
            }
            Input::Command(MinerCommand::SetMinerId(miner_id)) => {
                self.restart(
                    now,
                    MinerConfig {
                        miner_id,
                        ..self.config
                    },
                )?;
            }
            Input::Command(MinerCommand::Loaded { load_index, load }) => {
                // A load that arrives once the context has expired (before its timer did) is
                // never mined: the task ends here.
                if !self.expire(now) {
                    self.loaded(load_index, load);
                }
            }
            Input::Command(MinerCommand::LoadUnavailable { load_index }) => {
                let dropped = self.pending.remove(&load_index).map_or(0, |w| w.len());
                self.pending_count -= dropped;
                self.stats.dropped += dropped as u64;
            }
        }
        Ok(())
    }

    fn poll_output(&mut self) -> Option<Output<MinerProtocol>> {
        self.out.pop()
    }
}
