//! zg-pora: 0G sealing and Proof of Random Access (work in progress).
#![forbid(unsafe_code)]
// Test code may truncate freely: a wrong cast there fails the test, not a user.
#![cfg_attr(test, allow(clippy::cast_possible_truncation))]

pub mod answer;
pub mod difficulty;
mod error;
mod hash;
pub mod mine;
pub mod miner;
pub mod pora;
pub mod reward;
pub mod seal;
pub mod sealer;
pub mod verifier;
pub mod verify;

pub use answer::{Answer, DecodeError, EpochRange, MineContext, WorkerContext};
pub use error::VerifyError;
pub use mine::{Hit, MinedAnswer, MiningParams, SealedLoad};
pub use miner::{
    Miner, MinerCommand, MinerConfig, MinerError, MinerEvent, MinerProtocol, MinerRequest,
    MinerStats, MinerTimer, MiningTask,
};
pub use pora::{
    PadSeed, QualityBound, RecallRange, Scratchpad, ShardConfig, compute_pora_hash,
    compute_scratch_pad, pad_seed,
};
pub use ruint::aliases::U256;
pub use seal::{SuffixLengthError, seal, unseal, unseal_suffix};
pub use sealer::{
    SealedSeal, Sealer, SealerCommand, SealerError, SealerEvent, SealerProtocol, SealerTimer,
};
pub use verifier::{
    Accepted, Verifier, VerifierCommand, VerifierConfig, VerifierError, VerifierEvent,
    VerifierProtocol,
};
pub use verify::{ChainView, Policy, Verified, verify_answer};
