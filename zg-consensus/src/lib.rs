//! Tendermint-style BFT consensus as a pure state machine (not built yet).
//!
//! This crate will run many independent consensus partitions over one shared-stake validator set:
//! propose, prevote and precommit with locking, BLS aggregate commit certificates, equivocation
//! evidence and slashing, a write-ahead log for crash safety, catch-up and burn receipts.
#![forbid(unsafe_code)]
