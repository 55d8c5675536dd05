//! zg-consensus: Tendermint BFT as a sans-IO state machine, run as many partitions over one
//! shared-stake validator set.
#![forbid(unsafe_code)]
// Test code may truncate freely: a wrong cast there fails the test, not a user.
#![cfg_attr(test, allow(clippy::cast_possible_truncation))]

mod bitmap;
mod bls;
mod certificate;
pub mod codec;
mod config;
mod error;
mod evidence;
#[cfg(feature = "insecure-test-scheme")]
mod insecure;
mod node;
mod partition;
mod protocol;
mod receipt;
mod redeem;
mod scheme;
#[cfg(feature = "sim")]
pub mod simulation;
mod staking;
mod types;
mod validators;
mod votes;

pub use bitmap::SignerBitmap;
pub use bls::{Bls, BlsPublicKey, BlsSecretKey, BlsSignature, DST_POP, DST_SIGNATURE};
pub use certificate::Certificate;
pub use config::{Config, Timeout};
pub use error::Error;
pub use evidence::Evidence;
#[cfg(feature = "insecure-test-scheme")]
pub use insecure::{InsecureKey, InsecureSignature, InsecureTestScheme};
pub use node::{Node, PartitionState};
pub use partition::{Step, WorkStats};
pub use protocol::{
    Command, Consensus, Event, Message, Record, Request, Snapshot, TimeoutKind, Timer,
};
pub use receipt::{
    BURN_EVENT_LEN, BurnBatch, BurnEvent, BurnReceipt, ValueCommitment, verify_receipt,
};
pub use redeem::{BurnId, Redeem, RedeemCommand, RedeemRecord, Redeemed, Redeemer};
pub use scheme::{BatchItem, Scheme};
pub use staking::{Slashing, StakeLedger};
pub use types::{
    Height, PROPOSAL_DOMAIN, PROPOSAL_SIGNING_LEN, PartitionId, Proposal, Round, SignedProposal,
    SignedVote, Slot, VOTE_DOMAIN, VOTE_SIGNING_LEN, ValidatorIndex, Vote, VoteKind,
    vote_signing_bytes,
};
pub use validators::{MAX_VALIDATORS, StakeEntry, StakeTable, Validator, ValidatorSet};
