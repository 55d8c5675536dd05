//! zg-vrf: RFC 9381 ECVRF, stake-weighted sortition and an epoch beacon.
#![forbid(unsafe_code)]

pub mod batch;
pub mod beacon;
pub mod committee;
mod ecvrf;
mod error;
pub mod sortition;

pub use batch::{BatchItem, BatchableProof, verify_batch};
pub use beacon::{BEACON_ROLE, next_seed, next_seed_from_committee};
pub use committee::{
    Committee, CommitteeMember, Eligibility, EligibilityClaim, RejectedClaim, Selection,
    StakeEntry, StakeTable, assemble_committee, check_committee, committee_alpha,
    compute_eligibility,
};
pub use ecvrf::{
    OUTPUT_LEN, Output, PROOF_LEN, PUBLIC_KEY_LEN, Proof, PublicKey, SECRET_KEY_LEN, SecretKey,
    Suite, ecvrf_proof_to_hash, ecvrf_prove, ecvrf_verify,
};
pub use error::Error;
pub use sortition::{SortitionParams, sortition_seats, verify_sortition};
