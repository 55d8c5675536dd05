//! The 0G inference-serving ledger, refunds and batched settlement (not built yet).
//!
//! This crate will model the serving contract's ledger and accounts, refunds after a lock time, and
//! batched fee settlement under EIP-712 signatures, plus the provider and user brokers, all as sans-IO
//! state machines.
#![forbid(unsafe_code)]
