//! 0G mode: byte-compatible with the live 0G DA network, on BN254 (feature `zerog`).
//!
//! The live 0G DA network (encoder `0glabs/0g-da-encoder` at revision 6d5bac1, the one
//! `0g-da-node` pins; signer registry `0g-chain` `x/dasigners`) differs from zg-da's default
//! lane: it works over the BN254 scalar field, extends a blob at rate 1/3 onto three cosets and
//! commits to the extended matrix with a 0G storage Merkle root. This module restates those rules
//! (0G-FORMATS §6) in Rust:
//!
//! * [`pad_payload`] / [`unpad_payload`] — the payload ≤ 32,505,852 bytes, zero-padded with the
//!   u32 little-endian length in the last 4 bytes; decoding rejects non-zero padding;
//! * [`Dims`] — the matrix shape: [`Dims::LIVE`] is 1024 × 1024, [`Dims::TEST`] the 64 × 32 shape
//!   of the encoder's own test builds;
//! * [`encode`] / [`extend`] / [`EncodedBlob`] — 31-byte units as little-endian `Fr`, row-major,
//!   extended to 3 × rows: row `i` of coset `c`, column `j` holds `f(s_c · w^(rows·j + i))` where
//!   `f` interpolates the original matrix on the `rows·cols`-th roots of unity (`s_0 = 1`,
//!   `s_1 = g^(2^(27 − log₂N))`, `s_2 = g^(2^(26 − log₂N))`, `g` arkworks' 2^28-th root of
//!   unity; for the live shape `s_1 = g^128`, `s_2 = g^64`);
//! * [`reconstruct`] — the whole encoded blob from any `rows` of its `3 · rows` rows;
//! * [`DataTree`] / [`RowProof`] — the data root, `keccak(keccak(R0‖R1)‖R2)` over the three coset
//!   roots, which is zg-core's 0G file root of the encoded blob's bytes, and per-row proofs;
//! * [`map_to_g1`], [`pubkey_registration_hash`], [`epoch_registration_hash`], [`SecretKey`],
//!   [`verify_same_message`] — BLS on BN254 as the chain checks it;
//! * [`form_quorums`] / [`aggregate_pubkey_g1`] — the chain's BeginBlock quorum formation and
//!   `getAggPkG1`.
//!
//! * [`commitment`] / [`Setup`] — the erasure commitment `f(τ)·G1` from a user-supplied
//!   powers-of-tau file (format in [`Setup`]'s docs: the encoder's `amt::PowerTau` file);
//! * [`validate_sign_request`], [`blob_hash`] (`H_blob`), [`verify_certificate`] — dispersal and
//!   the contract's acceptance (its γ hashes `sig ‖ aggPkG1 ‖ aggPkG2 ‖ H`, G2 in EIP-197 word
//!   order — not the chain's order);
//! * [`sampling`] — PoDAS line/data quality, response verification, target adjustment, reward.
//!
//! **Not here (yet).** Per-row AMT proofs (the encoder's `amt-prove-coset*` parameters): a signer
//! here checks rows against the data root only, not against the commitment.
//!
//! **What was checked against what.** The registration hashes are checked against the chain's own
//! test vectors (`x/dasigners/v1/types/hash_test.go`). The encoding, data root, quorums and
//! `getAggPkG1` semantics are checked against our reading of the Go/Rust sources and against
//! independent re-computations in the tests (a naive Lagrange evaluation of the extension, a naive
//! Merkle fold, a naive quorum builder); no live-network blob bytes were available here.
//!
//! # Trust and bounds
//! Every decoder here takes untrusted bytes: points are checked on the curve and in the subgroup,
//! coordinates and scalars must be canonical, a padded blob's length field and padding are checked,
//! and a row set handed to [`reconstruct`] must be consistent with one codeword or it is rejected.
//! [`form_quorums`] refuses more than [`MAX_BALLOTS`] ballots so that a registration set with
//! absurd stakes cannot exhaust memory. Nothing panics on any input.

mod bls;
mod certify;
mod commit;
mod encode;
mod error;
mod padding;
mod quorum;
pub mod sampling;
mod tree;

pub use bls::{
    G1_BYTES, G2_BYTES, SecretKey, epoch_registration_hash, g1_from_bytes, g1_to_bytes,
    g2_from_bytes, g2_to_bytes, gamma, map_to_g1, pubkey_registration_hash, verify_same_message,
};
pub use certify::{
    SignRequest, blob_hash, contract_gamma, enough_signed, g2_to_evm_bytes, sign_request_for,
    validate_sign_request, verify_certificate,
};
pub use commit::{SETUP_G1_BYTES, Setup, commitment};
pub use encode::{EncodedBlob, coset_factor, encode, extend, reconstruct};
pub use error::Error;
pub use padding::{Dims, pad_payload, payload_from_scalars, scalars_from_padded, unpad_payload};
pub use quorum::{
    AggregatePubkey, MAX_BALLOTS, QuorumParams, Registration, aggregate_pubkey_g1, form_quorums,
};
pub use tree::{DataTree, RowProof, data_root_from_coset_roots};

/// The BN254 scalar field the encoding works over (re-exported from `ark-bn254`).
pub use ark_bn254::Fr;
/// BN254 G1 in affine form (re-exported from `ark-bn254`).
pub use ark_bn254::G1Affine;
/// BN254 G2 in affine form (re-exported from `ark-bn254`).
pub use ark_bn254::G2Affine;

/// Bytes in one raw unit of the payload (a scalar's low 31 bytes).
pub const RAW_UNIT: usize = 31;
/// Bytes in one encoded element (a scalar, little-endian).
pub const ELEMENT_BYTES: usize = 32;
/// Number of cosets of the rate-1/3 extension.
pub const COSETS: usize = 3;
