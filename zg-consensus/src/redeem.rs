//! The redeem side: a machine that accepts each burn receipt once, from known epochs only.

use core::convert::Infallible;
use core::marker::PhantomData;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use zg_core::machine::{Input, Machine, Outbox, Output, Protocol};
use zg_core::{Epoch, H256, Timestamp};

use crate::Error;
use crate::receipt::{BurnEvent, BurnReceipt, verify_receipt};
use crate::scheme::Scheme;
use crate::types::{Height, PartitionId};
use crate::validators::ValidatorSet;

/// The redeem protocol marker: [`Redeemer<S>`] implements `Machine<Redeem<S>>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Redeem<S: Scheme>(PhantomData<S>);

impl<S: Scheme> Protocol for Redeem<S> {
    type Message = Infallible;
    type Timer = Infallible;
    type Command = RedeemCommand<S>;
    type Request = Infallible;
    type Record = RedeemRecord<S>;
    type Event = Redeemed;
    type Error = Error;
}

/// Identifies one burn: the leaf `index` of the value decided at (partition, height).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BurnId {
    /// Partition.
    pub partition: PartitionId,
    /// Height.
    pub height: Height,
    /// Leaf index.
    pub index: u64,
}

/// Inputs of the redeemer.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RedeemCommand<S: Scheme> {
    /// The sealed validator set of an epoch, as consensus uses it (e.g. relayed by the staking
    /// chain). Epochs may arrive in any order; an epoch is never replaced.
    AddEpoch {
        /// The epoch.
        epoch: Epoch,
        /// Its validators and weights (keys already validated, with proofs of possession).
        members: Vec<(S::PublicKey, u128)>,
    },
    /// Redeem a receipt.
    Redeem(Box<BurnReceipt<S>>),
}

/// Write-ahead records of the redeemer.
#[derive(Clone, Debug)]
pub enum RedeemRecord<S: Scheme> {
    /// An epoch that was added.
    Epoch(Arc<ValidatorSet<S>>),
    /// A burn that was redeemed (persisted before the [`Redeemed`] event).
    Redeemed(BurnId),
}

/// A receipt was accepted: mint `event.amount` to `event.recipient`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redeemed {
    /// Which burn.
    pub id: BurnId,
    /// The burn.
    pub event: BurnEvent,
}

/// Accepts burn receipts for known epochs, each burn once.
///
/// # Driving contract
///
/// * Inputs: [`RedeemCommand`]s only (no messages, timers or requests) — each epoch's sealed
///   validator set ([`RedeemCommand::AddEpoch`], any order, never replaced) and each receipt to
///   redeem ([`RedeemCommand::Redeem`]).
/// * Outputs, drained in order after each input: a new epoch outputs
///   `Persist(RedeemRecord::Epoch(set))`; an accepted receipt outputs
///   `Persist(RedeemRecord::Redeemed(id))` and then `Event(Redeemed)`. Make each record durable
///   before carrying out what follows it — mint only after the `Redeemed` record is written, so
///   a crash between the two can never mint twice.
/// * Rejections are errors ([`Error::UnknownEpoch`], [`Error::InvalidReceipt`],
///   [`Error::AlreadyRedeemed`]), output nothing and change nothing.
/// * Restart: rebuild with [`Redeemer::restore`] from every record, in order; the burns it
///   redeemed stay redeemed. It is never done: receipts may come at any time.
///
/// ```
/// use zg_consensus::{
///     Bls, BurnBatch, BurnEvent, Certificate, Error, Height, PartitionId, RedeemCommand,
///     RedeemRecord, Redeemer, Round, Scheme, SignerBitmap, ValidatorSet, Vote, VoteKind,
/// };
/// use zg_core::machine::{Input, Machine, Output};
/// use zg_core::{Amount, Epoch, H256, Timestamp};
///
/// let (network, now) = (H256([5; 32]), Timestamp(0));
/// let secrets: Vec<_> = (1..=4u8).map(|i| Bls::secret_key_from_seed(&[i; 32])).collect();
/// let members: Vec<_> = secrets.iter().map(|s| (Bls::public_key(s), 1)).collect();
/// let set = ValidatorSet::<Bls>::new(network, Epoch(0), members.clone())?;
///
/// // Height 11 of partition 2 decided a value committing to two burns; three of the four
/// // validators signed its commit certificate.
/// let burn = |nonce| BurnEvent {
///     sender: H256([1; 32]),
///     recipient: H256([2; 32]),
///     destination: 7,
///     token: H256::ZERO,
///     amount: Amount::new(1_000),
///     nonce,
/// };
/// let batch = BurnBatch::new(H256([9; 32]), vec![burn(0), burn(1)]);
/// let value = batch.commitment().value_id();
/// let vote = |validator| Vote {
///     partition: PartitionId(2),
///     epoch: Epoch(0),
///     height: Height(11),
///     round: Round(0),
///     kind: VoteKind::Precommit,
///     value: Some(value),
///     validator,
/// };
/// let mut signers = SignerBitmap::new(4);
/// let mut signatures = Vec::new();
/// for s in &secrets[..3] {
///     let index = set.index_of(&Bls::public_key(s)).unwrap();
///     signers.insert(index);
///     signatures.push(Bls::sign(s, &vote(index).signing_bytes(network)));
/// }
/// let certificate = Certificate {
///     partition: PartitionId(2),
///     epoch: Epoch(0),
///     height: Height(11),
///     round: Round(0),
///     kind: VoteKind::Precommit,
///     value,
///     signers,
///     signature: Bls::aggregate_signatures(&signatures).unwrap(),
/// };
/// let receipt = Box::new(batch.receipt(1, certificate)?);
///
/// let mut records: Vec<RedeemRecord<Bls>> = Vec::new(); // the host's durable log
/// let mut redeemer = Redeemer::<Bls>::restore(network, 100, &records);
/// // Unknown epoch: refused, nothing output.
/// let early = redeemer.handle(now, Input::Command(RedeemCommand::Redeem(receipt.clone())));
/// assert_eq!(early, Err(Error::UnknownEpoch { epoch: 0 }));
/// redeemer.handle(now, Input::Command(RedeemCommand::AddEpoch { epoch: Epoch(0), members }))?;
/// redeemer.handle(now, Input::Command(RedeemCommand::Redeem(receipt.clone())))?;
/// let mut minted = Vec::new();
/// for output in redeemer.drain_outputs() {
///     match output {
///         Output::Persist(record) => records.push(record), // durable first
///         Output::Event(redeemed) => minted.push(redeemed.event.amount),
///         other => unreachable!("{other:?}"),
///     }
/// }
/// assert_eq!(minted, [Amount::new(1_000)]);
///
/// // After a restart the burn is still redeemed: the replay is refused.
/// let mut redeemer = Redeemer::<Bls>::restore(network, 100, &records);
/// let again = redeemer.handle(now, Input::Command(RedeemCommand::Redeem(receipt)));
/// assert_eq!(again, Err(Error::AlreadyRedeemed));
/// assert!(redeemer.drain_outputs().is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Redeemer<S: Scheme> {
    network: H256,
    heights_per_epoch: u64,
    epochs: BTreeMap<Epoch, Arc<ValidatorSet<S>>>,
    redeemed: HashSet<BurnId>,
    out: Outbox<Redeem<S>>,
}

impl<S: Scheme> Redeemer<S> {
    /// A redeemer for `network`, whose heights map to epochs as `height / heights_per_epoch`,
    /// rebuilt from its records (none at first).
    pub fn restore(network: H256, heights_per_epoch: u64, records: &[RedeemRecord<S>]) -> Self {
        let mut r = Redeemer {
            network,
            heights_per_epoch: heights_per_epoch.max(1),
            epochs: BTreeMap::new(),
            redeemed: HashSet::new(),
            out: Outbox::new(),
        };
        for record in records {
            match record {
                RedeemRecord::Epoch(set) => {
                    r.epochs.entry(set.epoch()).or_insert_with(|| set.clone());
                }
                RedeemRecord::Redeemed(id) => {
                    r.redeemed.insert(*id);
                }
            }
        }
        r
    }

    /// Whether a burn was redeemed.
    pub fn is_redeemed(&self, id: &BurnId) -> bool {
        self.redeemed.contains(id)
    }

    /// Number of burns redeemed.
    pub fn redeemed(&self) -> usize {
        self.redeemed.len()
    }

    fn redeem(&mut self, receipt: &BurnReceipt<S>) -> Result<(), Error> {
        let c = &receipt.certificate;
        let expected = Epoch(c.height.0 / self.heights_per_epoch);
        if c.epoch != expected {
            return Err(Error::InvalidReceipt);
        }
        let set = self
            .epochs
            .get(&c.epoch)
            .ok_or(Error::UnknownEpoch { epoch: c.epoch.0 })?;
        let id = BurnId {
            partition: c.partition,
            height: c.height,
            index: receipt.index,
        };
        if self.redeemed.contains(&id) {
            return Err(Error::AlreadyRedeemed);
        }
        verify_receipt(receipt, set)?;
        self.redeemed.insert(id);
        self.out.persist(RedeemRecord::Redeemed(id));
        self.out.event(Redeemed {
            id,
            event: receipt.event.clone(),
        });
        Ok(())
    }
}

impl<S: Scheme> Machine<Redeem<S>> for Redeemer<S> {
    fn handle(&mut self, _now: Timestamp, input: Input<Redeem<S>>) -> Result<(), Error> {
        match input {
            Input::Command(RedeemCommand::AddEpoch { epoch, members }) => {
                if self.epochs.contains_key(&epoch) {
                    return Ok(());
                }
                let set = Arc::new(ValidatorSet::new(self.network, epoch, members)?);
                self.epochs.insert(epoch, set.clone());
                self.out.persist(RedeemRecord::Epoch(set));
                Ok(())
            }
            Input::Command(RedeemCommand::Redeem(receipt)) => self.redeem(&receipt),
            Input::Message { message, .. } => match message {},
            Input::Timeout(t) => match t {},
        }
    }

    fn poll_output(&mut self) -> Option<Output<Redeem<S>>> {
        self.out.pop()
    }
}
