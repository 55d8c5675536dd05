//! The data-availability lane, built from the other zg crates (not built yet).
//!
//! This crate will turn a blob into KZG-committed cells, pick a signing committee by VRF sortition over
//! the epoch beacon, collect BLS signatures into a quorum certificate, and let light clients sample
//! cells and anyone reconstruct a blob from half of them.
#![forbid(unsafe_code)]
