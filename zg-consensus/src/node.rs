//! The host machine of one validator: every partition of the node over one shared stake ledger.

use std::sync::Arc;

use zg_core::machine::{Input, Machine, Outbox, Output};
use zg_core::{Epoch, H256, Timestamp};

use crate::Error;
use crate::certificate::Certificate;
use crate::config::Config;
use crate::partition::{Ctx, Partition, Step, WorkStats};
use crate::protocol::{Command, Consensus, Event, Record, Snapshot};
use crate::scheme::Scheme;
use crate::staking::StakeLedger;
use crate::types::{Height, PartitionId, Round, SignedVote};
use crate::validators::ValidatorSet;

/// One validator (or observer) running `config.partitions` Tendermint partitions over one
/// validator set and one stake ledger.
///
/// # Driving contract
///
/// * Build it with [`Node::restore`] from the genesis stake table and every [`Record`] it asked
///   to persist so far (none at first), then drain [`Machine::poll_output`].
/// * Feed peers' [`Message`](crate::Message)s, fired [`Timer`](crate::Timer)s and [`Command`]s with
///   [`Machine::handle`]; drain the outputs after each call, **in order**:
///   * `Persist(record)` / `Checkpoint(snapshot)`: make it durable before carrying out any later
///     output. Every vote and proposal is persisted before it is sent, so a validator restored
///     from its records never signs two conflicting votes.
///   * `Send` a message (`Recipient::All` = every other validator).
///   * `ScheduleTimeout`: feed the timer back at or after `at` (stale timers are ignored).
///   * `Request`: [`GetValue`](crate::Request::GetValue) (answer with
///     [`Command::ProposeValue`]) and [`Validate`](crate::Request::Validate) (answer with
///     [`Command::Validity`]).
///   * `Event`: decisions with their commit certificates, equivocation evidence, slashing.
/// * Feed the staking stream ([`Command::StakeTable`] for the next epoch,
///   [`Command::ApplyEvidence`]) in the same order at every node, announcing epoch `e + 1`
///   during epoch `e`. A partition reaching an epoch that was not announced waits for it.
///
/// # Restart
///
/// [`Node::restore`] replays the records: stake tables and evidence rebuild the ledger,
/// decisions set each partition's height, and our own signed votes and proposals of the current
/// height are re-sent as they were; the lock is recovered from our highest precommit for a
/// value. The node then catches up from peers ([`Message::SyncRequest`](crate::Message::SyncRequest) /
/// [`Message::Decisions`](crate::Message::Decisions)).
///
/// # When it is done
///
/// Never: each partition decides height after height for as long as the host runs it. A height
/// is final once its `Event::Decided` is output — its `Record::Decided` was persisted before —
/// and the host may stop or restart at any point between two outputs.
///
/// # Example
///
/// A one-validator partition (it is its own quorum) decides height 0; power is lost right after
/// its first vote of height 1 is written, before anything else is carried out. Restored from
/// its records, it is at height 1, sends that very vote again, and decides.
///
/// ```
/// use std::sync::Arc;
/// use zg_consensus::{
///     Bls, Command, Config, Event, Message, Node, PartitionId, Record, Request, StakeTable,
///     ValidatorSet,
/// };
/// use zg_core::machine::{Input, Machine, Output};
/// use zg_core::{Amount, Epoch, H256, NodeId, Timestamp};
/// use zg_vrf::NodeKeys;
///
/// let config = Config { network: H256([7; 32]), ..Config::default() };
/// let keys = || NodeKeys::<Bls>::derive(b"example", NodeId(0));
/// let key = || keys().bls;
/// let table = StakeTable::new(Epoch(0), vec![keys().entry(Amount::new(100))], Amount::new(1))?;
/// let genesis = Arc::new(ValidatorSet::from_stake_table(config.network, &table)?);
///
/// let mut wal: Vec<Record<Bls>> = Vec::new(); // the host's durable log
/// let mut node = Node::restore(config.clone(), Some(key()), genesis.clone(), &wal, Timestamp::ZERO)?;
/// let (mut now, mut timers, mut decided, mut sent) = (Timestamp::ZERO, Vec::new(), Vec::new(), Vec::new());
/// let mut crashed = false;
/// while decided.len() < 2 {
///     let mut answers = Vec::new();
///     let mut power_lost = false;
///     while let Some(output) = node.poll_output() {
///         match output {
///             // Durable before anything later is carried out.
///             Output::Persist(record) => {
///                 let first_vote_at_1 =
///                     !crashed && matches!(&record, Record::Vote(v) if v.vote.height.0 == 1);
///                 wal.push(record);
///                 if first_vote_at_1 {
///                     power_lost = true; // the outputs after this write are never carried out
///                     break;
///                 }
///             }
///             Output::Checkpoint(snapshot) => wal = vec![snapshot],
///             Output::Send { message: Message::Vote(v), .. } => sent.push(v),
///             Output::Send { .. } => {}
///             Output::ScheduleTimeout { at, timer } => timers.push((at, timer)),
///             Output::Request(Request::GetValue { partition, height, round }) => {
///                 let value = H256([height.0 as u8 + 1; 32]);
///                 answers.push(Command::ProposeValue { partition, height, round, value });
///             }
///             Output::Request(Request::Validate { partition, height, value }) => {
///                 answers.push(Command::Validity { partition, height, value, valid: true });
///             }
///             Output::Event(Event::Decided { height, .. }) => {
///                 assert!(wal.iter().any(|r| matches!(r, Record::Decided(c) if c.height == height)));
///                 decided.push(height.0);
///             }
///             Output::Event(_) => {}
///         }
///     }
///     if power_lost {
///         crashed = true;
///         node = Node::restore(config.clone(), Some(key()), genesis.clone(), &wal, now)?;
///         assert_eq!(node.partition_state(PartitionId(0)).unwrap().height.0, 1);
///         (timers.clear(), sent.clear()); // what was in memory is gone
///         continue;
///     }
///     if !answers.is_empty() {
///         answers.into_iter().try_for_each(|a| node.handle(now, Input::Command(a)))?;
///     } else if !timers.is_empty() {
///         timers.sort_by_key(|t| t.0);
///         let (at, timer) = timers.remove(0);
///         now = now.max(at);
///         node.handle(now, Input::Timeout(timer))?;
///     }
/// }
/// assert_eq!(decided, [0, 1]);
/// // After the restart it sent the vote it had written, not a new one.
/// let written = wal.iter().find_map(|r| match r {
///     Record::Vote(v) if v.vote.height.0 == 1 => Some(v),
///     _ => None,
/// });
/// assert!(written.is_some());
/// assert_eq!(sent.iter().find(|v| v.vote.height.0 == 1), written);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Node<S: Scheme> {
    config: Config,
    secret: Option<S::SecretKey>,
    public: Option<S::PublicKey>,
    ledger: StakeLedger<S>,
    partitions: Vec<Partition<S>>,
    out: Outbox<Consensus<S>>,
    decisions: u64,
    last_checkpoint: u64,
    stats: WorkStats,
}

/// A read-only view of one partition's round state (for hosts, tests and dashboards).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartitionState {
    /// `h_p`.
    pub height: Height,
    /// `round_p`.
    pub round: Round,
    /// `step_p`.
    pub step: Step,
    /// Whether the height runs (false while waiting for its epoch's validator set).
    pub running: bool,
    /// `(lockedRound_p, lockedValue_p)`.
    pub locked: Option<(Round, H256)>,
    /// `(validRound_p, validValue_p)`.
    pub valid: Option<(Round, H256)>,
}

impl<S: Scheme> Node<S> {
    /// Builds a node from the genesis validator set (built once with
    /// [`ValidatorSet::from_stake_table`]) and its persisted records (empty for a fresh node). `secret` is the validator key, or `None` for an observer that follows and decides
    /// but never signs. Queues the first outputs (timers, proposals, re-sent votes).
    pub fn restore(
        config: Config,
        secret: Option<S::SecretKey>,
        genesis: Arc<ValidatorSet<S>>,
        records: &[Record<S>],
        now: Timestamp,
    ) -> Result<Self, Error> {
        config.validate()?;
        if genesis.network() != config.network {
            return Err(Error::InvalidConfig("genesis set is for another network"));
        }
        let mut ledger = StakeLedger::new(genesis, config.slash_fraction_bps, config.keep_epochs)?;
        let mut partitions: Vec<Partition<S>> = (0..config.partitions)
            .map(|i| Partition::new(PartitionId(i)))
            .collect();
        for record in records {
            match record {
                Record::Snapshot(snap) => {
                    ledger = StakeLedger::from_parts(snap.ledger.clone());
                    partitions = snap
                        .partitions
                        .iter()
                        .zip(0u32..)
                        .map(|(p, i)| Partition::from_snapshot(PartitionId(i), p))
                        .collect();
                }
                Record::StakeTable(t) => {
                    // Replays what was accepted before; a table that failed then fails again.
                    let _ = ledger.announce(t);
                }
                Record::Evidence(e) => {
                    let _ = ledger.apply_evidence(e);
                }
                Record::Decided(c) => {
                    if let Some(p) = partitions.get_mut(c.partition.0 as usize) {
                        p.restore_decided(c.clone(), config.history);
                    }
                }
                Record::Vote(v) => {
                    if let Some(p) = partitions.get_mut(v.vote.partition.0 as usize) {
                        p.restore_own_vote(v.clone());
                    }
                }
                Record::Polka(c) => {
                    if let Some(p) = partitions.get_mut(c.partition.0 as usize) {
                        p.restore_polka(c.clone());
                    }
                }
                Record::Proposal(sp) => {
                    if let Some(p) = partitions.get_mut(sp.proposal.partition.0 as usize) {
                        p.restore_own_proposal(sp.clone());
                    }
                }
            }
        }
        let public = secret.as_ref().map(S::public_key);
        let mut node = Node {
            config,
            secret,
            public,
            ledger,
            partitions,
            out: Outbox::new(),
            decisions: 0,
            last_checkpoint: 0,
            stats: WorkStats::default(),
        };
        for i in 0..node.partitions.len() {
            node.with_partition(i, now, |p, cx| {
                p.poke(cx);
                Ok(())
            })?;
        }
        Ok(node)
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Our public key, if we have a secret key.
    pub fn public_key(&self) -> Option<&S::PublicKey> {
        self.public.as_ref()
    }

    /// The shared stake ledger.
    pub fn ledger(&self) -> &StakeLedger<S> {
        &self.ledger
    }

    /// The validator set of an epoch.
    pub fn validator_set(&self, epoch: Epoch) -> Option<&Arc<ValidatorSet<S>>> {
        self.ledger.set(epoch)
    }

    /// Number of partitions.
    pub fn partitions(&self) -> u32 {
        self.config.partitions
    }

    /// The round state of a partition.
    pub fn partition_state(&self, partition: PartitionId) -> Option<PartitionState> {
        self.partitions
            .get(partition.0 as usize)
            .map(|p| PartitionState {
                height: p.height(),
                round: p.round(),
                step: p.step(),
                running: p.is_running(),
                locked: p.locked(),
                valid: p.valid(),
            })
    }

    /// Our signed votes of a partition's current height.
    pub fn own_votes(&self, partition: PartitionId) -> &[SignedVote<S>] {
        self.partitions
            .get(partition.0 as usize)
            .map_or(&[], |p| p.own_votes())
    }

    /// The commit certificates a partition keeps for catch-up, oldest first.
    pub fn recent_decisions(
        &self,
        partition: PartitionId,
    ) -> impl Iterator<Item = &Arc<Certificate<S>>> {
        self.partitions
            .get(partition.0 as usize)
            .into_iter()
            .flat_map(|p| p.history())
    }

    /// Decisions made since construction, over all partitions.
    pub fn decisions(&self) -> u64 {
        self.decisions
    }

    /// Counters of signature work.
    pub fn work(&self) -> WorkStats {
        self.stats
    }

    /// Approximate memory of one partition: `(inline bytes, heap bytes)`.
    pub fn partition_memory(&self, partition: PartitionId) -> Option<(usize, usize)> {
        self.partitions
            .get(partition.0 as usize)
            .map(|p| (core::mem::size_of::<Partition<S>>(), p.heap_bytes()))
    }

    /// A snapshot of everything durable (what [`Record::Snapshot`] holds).
    pub fn snapshot(&self) -> Snapshot<S> {
        Snapshot {
            ledger: self.ledger.to_parts(),
            partitions: self.partitions.iter().map(Partition::snapshot).collect(),
        }
    }

    fn with_partition(
        &mut self,
        index: usize,
        now: Timestamp,
        f: impl FnOnce(&mut Partition<S>, &mut Ctx<'_, S>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let Node {
            config,
            secret,
            public,
            ledger,
            partitions,
            out,
            decisions,
            stats,
            ..
        } = self;
        let partition = partitions.get_mut(index).ok_or(Error::UnknownPartition {
            partition: u32::try_from(index).unwrap_or(u32::MAX),
        })?;
        let mut cx = Ctx {
            config,
            ledger,
            secret: secret.as_ref(),
            public: public.as_ref(),
            out,
            now,
            decisions,
            stats,
        };
        f(partition, &mut cx)
    }

    fn index(&self, partition: PartitionId) -> Result<usize, Error> {
        let i = partition.0 as usize;
        if i < self.partitions.len() {
            Ok(i)
        } else {
            Err(Error::UnknownPartition {
                partition: partition.0,
            })
        }
    }

    fn handle_command(&mut self, now: Timestamp, command: Command<S>) -> Result<(), Error> {
        match command {
            Command::ProposeValue {
                partition,
                height,
                round,
                value,
            } => {
                let i = self.index(partition)?;
                self.with_partition(i, now, |p, cx| {
                    p.on_value(cx, height, round, value);
                    Ok(())
                })
            }
            Command::Validity {
                partition,
                height,
                value,
                valid,
            } => {
                let i = self.index(partition)?;
                self.with_partition(i, now, |p, cx| {
                    p.on_validity(cx, height, value, valid);
                    Ok(())
                })
            }
            Command::ImportDecision(cert) => {
                let i = self.index(cert.partition)?;
                self.with_partition(i, now, |p, cx| p.on_import(cx, cert))
            }
            Command::StakeTable(table) => {
                let set = self.ledger.announce(&table)?;
                self.out.persist(Record::StakeTable(table));
                self.out.event(Event::EpochAnnounced {
                    epoch: set.epoch(),
                    validators: set.len(),
                    total_weight: set.total_weight(),
                });
                // Partitions waiting at the epoch boundary can start.
                for i in 0..self.partitions.len() {
                    if !self.partitions[i].is_running() {
                        self.with_partition(i, now, |p, cx| {
                            p.poke(cx);
                            Ok(())
                        })?;
                    }
                }
                Ok(())
            }
            Command::ApplyEvidence(evidence) => {
                let slashing = self.ledger.apply_evidence(&evidence)?;
                self.out.persist(Record::Evidence(Arc::new(evidence)));
                self.out.event(Event::Slashed {
                    validator: slashing.validator,
                    amount: slashing.amount,
                    excluded_from: slashing.excluded_from,
                });
                Ok(())
            }
        }
    }

    fn maybe_checkpoint(&mut self) {
        let every = self.config.checkpoint_every;
        if every > 0 && self.decisions >= self.last_checkpoint + every {
            self.last_checkpoint = self.decisions;
            self.out
                .checkpoint(Record::Snapshot(Arc::new(self.snapshot())));
        }
    }
}

impl<S: Scheme> Machine<Consensus<S>> for Node<S> {
    fn handle(&mut self, now: Timestamp, input: Input<Consensus<S>>) -> Result<(), Error> {
        let result = match input {
            Input::Message { from, message } => match message.partition() {
                Some(partition) => {
                    let i = self.index(partition)?;
                    self.with_partition(i, now, |p, cx| p.on_message(cx, from, message))
                }
                None => Ok(()),
            },
            Input::Timeout(timer) => {
                let i = self.index(timer.partition)?;
                self.with_partition(i, now, |p, cx| {
                    p.on_timeout(cx, timer);
                    Ok(())
                })
            }
            Input::Command(command) => self.handle_command(now, command),
        };
        self.maybe_checkpoint();
        result
    }

    fn poll_output(&mut self) -> Option<Output<Consensus<S>>> {
        self.out.pop()
    }
}
