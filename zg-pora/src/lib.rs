//! zg-pora: 0G sealing, Proof of Random Access mining, and answer verification, byte-compatible
//! with the live 0G storage network (0G-FORMATS §3–5; PoRA version 1 of `0g-storage-contracts`
//! and `0g-storage-node`).
//!
//! A 0G storage node proves it keeps data by mining: its data is *sealed* to its miner id, 4 KiB
//! at a time ([`seal()`]); each mining iteration grows a 16 KiB scratchpad from a nonce, recalls one
//! 256 KiB load of sealed data chosen by it, and computes a quality per seal; a seal whose quality
//! meets the target is an answer ([`Answer`]) the contract checks and rewards.
//!
//! What is here:
//! * [`mod@seal`] — the mask chain, [`unseal`] (word-parallel) and [`unseal_suffix`];
//! * [`pora`] — the mining primitives: [`RecallRange`] (digest, rules, recall position, sharding
//!   scale), [`pad_seed`], [`compute_scratch_pad`], [`compute_pora_hash`], [`QualityBound`],
//!   subtask index and digest; [`mine`] — whole iterations and batches ([`MiningParams`]);
//! * [`difficulty`] — the per-epoch target adjustment; [`reward`] — rewards per 8 GiB chunk;
//! * [`answer`] and [`verify`] — the answer, its exact ABI encoding, and [`verify_answer`],
//!   equivalent to `PoraMine.submit`, with one [`VerifyError`] per check;
//! * three sans-IO machines ([`zg_core::machine::Machine`]): the [`Miner`], the [`Sealer`], and
//!   the [`Verifier`] that mirrors the mining contract's bookkeeping.
//!
//! What is not: no chain client, no storage, no clock. The host reads the chain (contexts, block
//! hashes), stores sealed data, and submits answers; the machines tell it what they need.
//!
//! # Example
//!
//! Seal a small flow to a miner, mine it, and verify an answer as the contract would:
//!
//! ```
//! use zg_core::{H256, keccak256};
//! use zg_pora::{ChainView, MiningParams, RecallRange, SealedFlow, ShardConfig, U256, verify_answer};
//!
//! // A 1 MiB file appended to a fresh flow; one epoch context covers it, and every load is
//! // sealed to our miner (a node's `Sealer` does this as data arrives; see `SealedLoad::seal_plain`).
//! let data: Vec<u8> = (0..1u32 << 20).map(|i| (i * 7 + i / 4096) as u8).collect();
//! let miner = H256([7; 32]);
//! let sealed = SealedFlow::new(&[&data], miner, 1, 100, keccak256(b"block"))?;
//! let (flow, context) = (&sealed.flow, sealed.context);
//!
//! // Mine: one in 16 seals meets this target.
//! let subtask = keccak256(b"subtask");
//! let target = U256::MAX / U256::from(16u8);
//! let range = RecallRange::for_flow(flow.length(), ShardConfig::FULL, 0).unwrap();
//! let params = MiningParams::new(miner, subtask, range, target, flow.length())?;
//! let nonces: Vec<H256> = (0..4u64).map(|i| keccak256(&i.to_be_bytes())).collect();
//! let hits = params.mine_batch(&nonces, |i| sealed.load(i));
//! let hit = hits[0];
//!
//! // The answer: the sealed seal and its Merkle proof to the flow root.
//! let answer = sealed.answer(&params, &hit)?;
//! let view = ChainView::new(context, subtask, target, Some(sealed.epoch_range()));
//! let verified = verify_answer(&answer, &view)?;
//! assert_eq!(verified.output, hit.quality);
//!
//! // Any change to the sealed data breaks the proof.
//! let mut forged = answer.clone();
//! forged.sealed_data[0] ^= 1;
//! assert_eq!(verify_answer(&forged, &view), Err(zg_pora::VerifyError::FlowRootMismatch));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Features
//! * `parallel` — `MiningParams::mine_batch_parallel` on the rayon pool (a pure function; the
//!   machines stay single-threaded).
//! * `serde` — JSON for answers, contexts and ranges (the `zg pora verify` format: camelCase
//!   fields as in `MineLib.PoraAnswer`, hashes and the sealed data as `0x` hex).
//!
//! # Threat model
//!
//! **Who may send what.** The three machines have no peers (their `Message` type is
//! uninhabited): every input comes from their host, which relays the chain (contexts, block
//! hashes, registrations, submissions) and its own storage (sealed loads, unsealed data).
//! Answers are untrusted whoever relays them: an answer names its miner id in its body by
//! design, as `PoraMine.submit` does — the proof is work sealed to that id, and the reward goes
//! to that id, so the relaying party does not matter.
//!
//! **Checked before any state is created.** The [`Verifier`] runs every contract check on an
//! answer (registration, window, epoch cap, the answer itself, duplicates, the reward) on a
//! copy of its state and commits only an accepted answer; a rejected input changes nothing.
//! Its [`VerifierConfig::mainnet`] default is [`Policy::STRICT`] (see below). The [`Miner`]
//! mines and caches only loads that an iteration of its current task asked for; a load that
//! arrives unasked, or late from an earlier task, is dropped. The [`Sealer`] refuses contexts
//! that overlap a known one and data beyond its waiting bound.
//!
//! **Bounds.** *Miner*: at most `max_pending` waiting iterations (a 16 KiB scratchpad each),
//! `cache_loads` cached loads (256 KiB each), `batch` nonces per tick, one load request per
//! distinct load waited for. *Sealer*: at most `max_waiting` seals waiting for a context (4 KiB
//! each; [`Sealer::with_max_waiting`], default [`DEFAULT_MAX_WAITING`]), `batch` seals per
//! step. *Verifier*: recent block hashes within `blockhash_window`; the accepted outputs grow
//! by at most `2 × targetSubmissions` per epoch and one epoch range per context — state the
//! contract keeps too, created only by verified answers and by the chain.
//!
//! **Out of scope.** Chain reorganisations (the host replays inputs after one), gas and fees,
//! the integrity of the host's storage (a load with wrong bytes yields answers that fail
//! verification, never a panic), and, under [`Policy::CONTRACT`], the contract's own seal-offset
//! hole.
//!
//! # Panics and safety
//! No `unsafe`. Nothing here panics on untrusted input: answers, encodings and proofs get a typed
//! error ([`VerifyError`], [`DecodeError`]); where the contract's arithmetic would revert
//! (difficulty, rewards), the error is typed too and the state is left as it was. Money is
//! [`zg_core::Amount`], targets are 256-bit integers; nothing decided uses floating point.
//!
//! # Deliberate differences from the contract
//! * The Merkle proof must have exactly `ceil_log2(flowLength) − 4` siblings; the contract folds
//!   any length, but only that one can reach the root without a Keccak collision.
//! * [`Policy::STRICT`] also requires the seal offset to lie inside the recalled load. The
//!   contract does not bound it, so an answer may prove a seal *after* the recalled load (a
//!   miner keeping only the flow's last seals can answer for any load). [`ChainView::new`]
//!   and [`verify_answer`] use [`Policy::CONTRACT`] (what the chain accepts), but the
//!   [`Verifier`]'s [`VerifierConfig::mainnet`] defaults to **[`Policy::STRICT`]**: a node
//!   judging answers should not accept the forgery the chain lets through. Set
//!   `policy: Policy::CONTRACT` to mirror the chain exactly.
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
mod sealed_flow;
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
/// A 256-bit unsigned integer (the contract's `uint256`), from `ruint`.
pub use ruint::aliases::U256;
pub use seal::{SuffixLengthError, seal, unseal, unseal_suffix};
pub use sealed_flow::SealedFlow;
pub use sealer::{
    DEFAULT_MAX_WAITING, SealedSeal, Sealer, SealerCommand, SealerError, SealerEvent,
    SealerProtocol, SealerTimer,
};
pub use verifier::{
    Accepted, Verifier, VerifierCommand, VerifierConfig, VerifierError, VerifierEvent,
    VerifierProtocol,
};
pub use verify::{ChainView, Policy, Verified, verify_answer};
