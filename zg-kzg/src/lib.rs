//! KZG polynomial commitments on BLS12-381, byte-compatible with Ethereum's EIP-4844 (blobs) and
//! EIP-7594 (PeerDAS cells).
#![forbid(unsafe_code)]

mod curve;
pub mod eip4844;
pub mod eip7594;
mod error;
mod fft;
mod field;
pub mod fk20;
mod msm;
pub mod poly;
mod recovery;
mod settings;
mod setup;
mod types;

pub use ark_bls12_381::{Fr, G1Affine, G1Projective};
pub use eip4844::compute_challenge;
pub use eip7594::{CellProofs, Cells, compute_verify_cell_kzg_proof_batch_challenge};
pub use error::{Error, SetupError};
pub use fk20::CosetProver;
pub use poly::{CosetOpening, Opening, coefficients_to_evaluations, evaluations_to_coefficients};
pub use settings::{KzgSettings, Precompute};
pub use setup::{MAINNET_TRUSTED_SETUP, MAINNET_TRUSTED_SETUP_SHA256, TrustedSetup};
pub use types::{
    BYTES_PER_BLOB, BYTES_PER_CELL, BYTES_PER_FIELD_ELEMENT, BYTES_PER_G1, Blob, Bytes32, Bytes48,
    CELLS_PER_EXT_BLOB, Cell, FIELD_ELEMENTS_PER_BLOB, FIELD_ELEMENTS_PER_CELL,
    FIELD_ELEMENTS_PER_EXT_BLOB, G1_POINT_AT_INFINITY, KzgCommitment, KzgProof,
};
