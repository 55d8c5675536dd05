//! Verifiable erasure coding for the 0G storage lane (not built yet).
//!
//! This crate will split an object into `k` data and `m` parity shards over GF(2^16) with
//! `reed-solomon-simd`, commit to every shard with a Keccak-256 Merkle root under the zg-core tree
//! rules, bind them in an object manifest, and drive shard repair as a sans-IO state machine.
#![forbid(unsafe_code)]
