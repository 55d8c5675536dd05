//! 0G sealing and Proof of Random Access mining (not built yet).
//!
//! This crate will seal 4 KiB seals to a miner, compute the PoRA scratchpad, recall positions and
//! qualities byte-compatibly with the 0G storage network, verify mining answers as the contract does,
//! and run the miner and the sealer as sans-IO state machines.
#![forbid(unsafe_code)]
