//! RFC 9381 ECVRF, stake-weighted sortition and an epoch beacon (not built yet).
//!
//! This crate will implement ECVRF-EDWARDS25519-SHA512-TAI, batch verification, integer-only
//! stake-weighted sortition, and committee selection driven by an epoch randomness beacon.
#![forbid(unsafe_code)]
