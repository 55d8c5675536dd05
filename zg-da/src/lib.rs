//! The data-availability lane, built from the other zg crates (not built yet).
//!
//! This crate will turn a blob into KZG-committed cells, pick a signing committee by VRF sortition over
//! the epoch beacon, collect BLS signatures into a quorum certificate, and let light clients sample
//! cells and anyone reconstruct a blob from half of them.
//!
//! **0G mode** (feature `zerog`, module `zerog`): the live 0G DA network's own rules on BN254 —
//! blob padding and the rate-1/3 coset extension of 0g-da-encoder, the data root over the encoded
//! blob, reconstruction from any third of the rows, the chain's signer registration hashes,
//! try-and-increment hash-to-G1, the γ same-message BLS check, and quorum formation with
//! `getAggPkG1`. Feature `parallel` spreads its encoding over the rayon pool.
#![forbid(unsafe_code)]

#[cfg(feature = "zerog")]
pub mod zerog;
