//! zg-consensus: Tendermint BFT as a sans-IO state machine, run as up to 1,000 partitions over
//! one shared-stake validator set.
//!
//! 0G scales consensus horizontally: many independent consensus instances ("partitions") each
//! order their own values, while one validator set with one stake secures all of them. A node
//! embeds one [`Node`] per validator; it feeds the node peers' messages, fired timers and host
//! answers, and carries out what the node outputs (send, persist, schedule, ask, report).
//!
//! # What it is
//!
//! * **The protocol** — Algorithm 1 of *The latest gossip on BFT consensus* (Buchman, Kwon,
//!   Milosevic, [arXiv:1807.04938](https://arxiv.org/abs/1807.04938)) per partition: propose,
//!   prevote, precommit, locking and valid-value rules, round changes, timeouts as
//!   `ScheduleTimeout` outputs and `Timeout` inputs, the `f + 1` round skip, decision on 2f+1
//!   precommits of any round. Every upon-rule in `partition.rs` cites its line. Votes are
//!   weighted by stake. Values are opaque 32-byte ids: the node asks its host for a value to
//!   propose ([`Request::GetValue`]) and whether a received one is valid
//!   ([`Request::Validate`]), answered by later [`Command`]s, so any lane can order its own
//!   payloads. Deviations from the pseudo-code (all safe) are listed in the partition docs.
//! * **Signatures** — BLS12-381 in Ethereum's ciphersuite via `blst` ([`Bls`]: keys in G1,
//!   signatures in G2, proofs of possession, keys validated on entry). A commit
//!   [`Certificate`] is one aggregate signature plus a signer bitmap, checked with one pairing
//!   equation against the epoch's [`ValidatorSet`].
//! * **Optimistic vote counting** — votes are stored unverified and counted only once verified:
//!   when pending votes could complete a threshold, they are checked as one aggregate per value
//!   in one multi-pairing, and a failing batch is bisected to drop exactly the bad signatures.
//!   In the good case a node verifies two aggregates per height (prevote and precommit
//!   quorums) plus the proposal's signature. No rule ever fires on an unverified vote.
//! * **Many partitions** — one [`Node`] drives `Config::partitions` partitions (messages carry
//!   the [`PartitionId`]) over one [`StakeLedger`]. An idle partition (between heights, nothing
//!   in flight) costs **344 bytes** of inline state and no heap, plus the commit certificates it
//!   keeps for peers that fall behind (`Config::history`, default 8: about **330 bytes each**
//!   with BLS at n = 31, so ≈2.6 KB). A height in progress holds its votes, ≈24 KB at n = 31,
//!   freed at the decision. (`tests/scale.rs` prints these.)
//! * **Shared staking and slashing** — stake tables (the workspace's one [`StakeTable`], from
//!   zg-vrf: node, stake, VRF key, BLS key with its checked proof of possession) come from the
//!   staking chain as an ordered input stream ([`Command::StakeTable`]); the set of epoch `e` serves every height
//!   `h / heights_per_epoch = e` of every partition, so changes take effect at the same epoch
//!   boundary everywhere. Two conflicting signed votes in any partition form [`Evidence`];
//!   applying it ([`Command::ApplyEvidence`]) slashes the shared stake once and removes the
//!   validator from every partition from the next epoch announced.
//! * **Crash safety** — every vote and proposal is emitted as a `Persist` output before it is
//!   sent; [`Node::restore`] replays the records, re-sends exactly what was signed, recovers the
//!   lock, and never signs a conflicting vote. Periodic snapshots compact the log.
//! * **Catch-up** — a node that sees traffic two heights ahead asks that peer
//!   ([`Message::SyncRequest`]) and imports the consecutive commit certificates it gets back,
//!   each verified against its epoch's set; peers still voting on a decided height are sent its
//!   certificate.
//! * **Burn receipts** — a value may commit to burn events ([`BurnBatch`],
//!   [`ValueCommitment`]); a [`BurnReceipt`] (event + Merkle proof + commitment + commit
//!   certificate) is checked by [`verify_receipt`] against the epoch's set, and the [`Redeemer`]
//!   machine accepts each burn once and only from known epochs.
//!
//! # What it is not
//!
//! No networking, disks, clocks or threads (hosts do that); no gossip layer beyond re-sending
//! its own messages and answering catch-up; no mempool or payload storage (values are ids); no
//! staking chain (stake tables and the order of evidence are inputs); no light-client chain of
//! trust for validator-set changes (the [`Redeemer`] trusts the sets it is given); no rate
//! limiting of abusive peers beyond bounded buffers.
//!
//! # Signature schemes: production and test
//!
//! The protocol is generic over a small [`Scheme`] trait. **Production uses [`Bls`]**, and the
//! BLS path is tested in full: simulations at n = 4, 7, 31 and 100 with every commit
//! certificate verified, bisection of forged votes, equivocation evidence, certificate and
//! receipt tampering, catch-up. Feature `insecure-test-scheme` adds `InsecureTestScheme`, a
//! *linear keyed hash* with the same algebra as BLS (`pk = sk`, `σ = sk·H(m)` in a prime field:
//! aggregation, bisection and certificates behave alike) but **no unforgeability** — a public
//! key is its secret key. It exists only so that tens of thousands of seeded whole-protocol
//! runs (Byzantine machines, loss, partitions, crashes) fit in CI time; test machines never use
//! keys that are not theirs, so those runs test the protocol, not the cryptography.
//!
//! # Example
//!
//! Four BLS validators decide a value that commits to a burn; the commit certificate verifies,
//! and a receipt built from it is redeemable.
//!
//! ```
//! use std::collections::VecDeque;
//! use std::sync::Arc;
//! use zg_consensus::{
//!     Bls, BurnBatch, BurnEvent, Command, Config, Event, Message, Node, Request, StakeTable,
//!     ValidatorSet, verify_receipt,
//! };
//! use zg_core::machine::{Input, Machine, Output, Recipient};
//! use zg_core::{Amount, Epoch, H256, NodeId, Timestamp};
//! use zg_vrf::NodeKeys;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = Config { network: H256([7; 32]), ..Config::default() };
//! // Four validators of equal stake, keys derived from a seed each. Building the stake table
//! // checks every proof of possession once.
//! let keys: Vec<NodeKeys<Bls>> = (0..4).map(|i| NodeKeys::derive(b"example", NodeId(i))).collect();
//! let entries = keys.iter().map(|k| k.entry(Amount::new(100))).collect();
//! let table = StakeTable::new(Epoch(0), entries, Amount::new(1))?;
//! let secrets: Vec<_> = keys.into_iter().map(|k| k.bls).collect();
//! let genesis = Arc::new(ValidatorSet::from_stake_table(config.network, &table)?);
//!
//! // The proposer's host proposes a value committing to one burn.
//! let burn = BurnEvent {
//!     sender: H256([1; 32]),
//!     recipient: H256([2; 32]),
//!     destination: 16600,
//!     token: H256::ZERO,
//!     amount: Amount::new(5_000),
//!     nonce: 0,
//! };
//! let batch = BurnBatch::new(H256([3; 32]), vec![burn]);
//! let value = batch.commitment().value_id();
//!
//! let mut nodes = secrets
//!     .into_iter()
//!     .map(|s| Node::restore(config.clone(), Some(s), genesis.clone(), &[], Timestamp::ZERO))
//!     .collect::<Result<Vec<Node<Bls>>, _>>()?;
//! // A loss-free in-memory network; timers are never needed here.
//! let mut wire: VecDeque<(usize, usize, Message<Bls>)> = VecDeque::new();
//! let mut answers: Vec<(usize, Command<Bls>)> = Vec::new();
//! let mut decided = Vec::new();
//! loop {
//!     for (i, node) in nodes.iter_mut().enumerate() {
//!         // Drain in order. A real host makes `Persist` records durable before sending.
//!         while let Some(output) = node.poll_output() {
//!             match output {
//!                 Output::Send { to: Recipient::All, message } => {
//!                     (0..4).filter(|&j| j != i).for_each(|j| wire.push_back((i, j, message.clone())));
//!                 }
//!                 Output::Send { to: Recipient::One(p), message } => {
//!                     wire.push_back((i, p.0 as usize, message));
//!                 }
//!                 // Propose our value at height 0 only, so the example ends there.
//!                 Output::Request(Request::GetValue { partition, height, round }) if height.0 == 0 => {
//!                     answers.push((i, Command::ProposeValue { partition, height, round, value }));
//!                 }
//!                 Output::Request(Request::Validate { partition, height, value: v }) => {
//!                     answers.push((i, Command::Validity { partition, height, value: v, valid: v == value }));
//!                 }
//!                 Output::Event(Event::Decided { certificate, .. }) => decided.push(certificate),
//!                 _ => {}
//!             }
//!         }
//!     }
//!     if let Some((i, answer)) = answers.pop() {
//!         nodes[i].handle(Timestamp(1), Input::Command(answer))?;
//!     } else if let Some((from, to, message)) = wire.pop_front() {
//!         nodes[to].handle(Timestamp(1), Input::Message { from: NodeId(from as u64), message })?;
//!     } else {
//!         break;
//!     }
//! }
//!
//! assert_eq!(decided.len(), 4, "every validator decided height 0");
//! let certificate = &decided[0];
//! assert_eq!(certificate.value, value);
//! certificate.verify(&genesis)?; // one pairing against the epoch's validator set
//! let receipt = batch.receipt(0, (**certificate).clone())?;
//! verify_receipt(&receipt, &genesis)?;
//! # Ok(())
//! # }
//! ```
//!
//! # Features
//!
//! * `insecure-test-scheme` — `InsecureTestScheme` (see above, from zg-bls). Tests, benches,
//!   fuzzing and zg-testkit's `insecure-sim` binary only; no shipped binary enables it.
//!
//! Scenario harnesses (whole networks in the zg-core simulator with Byzantine machine types, a
//! staking-chain stand-in and a safety checker) live in the unpublished `zg-testkit` crate,
//! used by the tests, benches and `zg consensus simulate`.
//!
//! # Panics and safety
//!
//! `#![forbid(unsafe_code)]`; blst's FFI stays behind blst's safe API, and verification uses its
//! single-threaded `Pairing` (blst's convenience verifiers spawn a thread pool). Untrusted input
//! — messages, certificates, evidence, receipts, bytes — never panics: it gets a typed
//! [`Error`] (verification failures are opaque) or is ignored when merely stale. A rejected
//! input leaves the node consistent. Secret keys zeroize on drop (blst). Stake arithmetic is
//! checked (`Amount`). Bounded memory against floods: rounds further than
//! `Config::max_round_lookahead` ahead, and next-height messages beyond `Config::max_buffered`,
//! are dropped.
//!
//! # Tests and long runs
//!
//! `cargo test -p zg-consensus` runs about 2,300 seeded simulations (n = 4 to 100, uneven
//! stakes, every Byzantine behaviour, loss, duplication, reordering, splits, crashes) plus one
//! test per upon-rule, the BLS, crash-safety, catch-up, staking, receipt, codec and property
//! tests, in well under a minute of run time. The long runs are ignored by default:
//! `cargo test --release -p zg-consensus --test simulation -- --ignored --nocapture` (96,000
//! seeded runs with Byzantine stake below a third, n = 4 to 13, about 80 s) and
//! `--test scale -- --ignored` (1,000 partitions × 31 validators × 10 heights in one process).
//! Benches: `cargo bench -p zg-benches --bench consensus`.
#![forbid(unsafe_code)]
// Test code may truncate freely: a wrong cast there fails the test, not a user.
#![cfg_attr(test, allow(clippy::cast_possible_truncation))]

mod certificate;
pub mod codec;
mod config;
mod error;
mod evidence;
mod node;
mod partition;
mod protocol;
mod receipt;
mod redeem;
mod staking;
mod types;
mod validators;
mod votes;

pub use certificate::Certificate;
pub use config::{Config, Timeout};
pub use error::Error;
pub use evidence::Evidence;
pub use node::{Node, PartitionState};
pub use partition::{Step, WorkStats};
pub use protocol::{
    Command, Consensus, Event, Message, Record, Request, Snapshot, TimeoutKind, Timer,
};
pub use receipt::{
    BURN_EVENT_LEN, BurnBatch, BurnEvent, BurnReceipt, ValueCommitment, verify_receipt,
};
pub use redeem::{BurnId, Redeem, RedeemCommand, RedeemRecord, Redeemed, Redeemer};
pub use staking::{Slashing, StakeLedger};
pub use types::{
    Height, PROPOSAL_DOMAIN, PROPOSAL_SIGNING_LEN, PartitionId, Proposal, Round, SignedProposal,
    SignedVote, Slot, VOTE_DOMAIN, VOTE_SIGNING_LEN, ValidatorIndex, Vote, VoteKind,
    vote_signing_bytes,
};
pub use validators::{MAX_VALIDATORS, StakeEntry, StakeTable, Validator, ValidatorSet};

// The signature layer lives in zg-bls (so the DA and alignment lanes share it without
// depending on consensus); the same names stay re-exported here, at the same paths.
pub use zg_bls::{
    BatchItem, Bls, BlsPublicKey, BlsSecretKey, BlsSignature, DST_POP, DST_SIGNATURE, Scheme,
    SignerBitmap,
};
#[cfg(feature = "insecure-test-scheme")]
pub use zg_bls::{InsecureKey, InsecureSignature, InsecureTestScheme};

/// The crate's internal paths to the moved modules.
mod bitmap {
    pub(crate) use zg_bls::SignerBitmap;
}
mod scheme {
    pub(crate) use zg_bls::{BatchItem, Scheme};
}
