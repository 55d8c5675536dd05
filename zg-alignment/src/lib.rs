//! Alignment nodes that watch every other lane (not built yet).
//!
//! This crate will hold the checks an alignment node runs: PoRA liveness and retrieval audits, DA
//! signing and sampling audits, validator equivocation watching, re-execution of sampled inference,
//! and model-drift statistics in fixed-point arithmetic, with signed reports and rewards.
#![forbid(unsafe_code)]
