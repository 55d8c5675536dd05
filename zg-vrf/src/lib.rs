//! zg-vrf: RFC 9381 ECVRF, stake-weighted sortition and an epoch beacon.
#![forbid(unsafe_code)]

pub mod batch;
mod ecvrf;
mod error;
pub mod sortition;

pub use batch::{BatchItem, BatchableProof, verify_batch};
pub use ecvrf::{
    OUTPUT_LEN, Output, PROOF_LEN, PUBLIC_KEY_LEN, Proof, PublicKey, SECRET_KEY_LEN, SecretKey,
    Suite, ecvrf_proof_to_hash, ecvrf_prove, ecvrf_verify,
};
pub use error::Error;
pub use sortition::{SortitionParams, sortition_seats, verify_sortition};
