//! KZG polynomial commitments on BLS12-381, byte-compatible with Ethereum's EIP-4844 (blobs) and
//! EIP-7594 (PeerDAS cells).
//!
//! # What it is
//! - **Trusted setup** ([`TrustedSetup`], [`KzgSettings`]): Ethereum's mainnet ceremony output
//!   is embedded ([`MAINNET_TRUSTED_SETUP`]); files of the same text format load with
//!   line-numbered errors and full validation (subgroup checks, consistency of the powers and of
//!   the Lagrange form). Optional fixed-base tables trade memory and load time for prover speed
//!   ([`Precompute`]).
//! - **EIP-4844** ([deneb polynomial-commitments]), spec names on [`KzgSettings`]:
//!   `blob_to_kzg_commitment`, `compute_kzg_proof`, `compute_blob_kzg_proof`,
//!   `verify_kzg_proof`, `verify_blob_kzg_proof`, `verify_blob_kzg_proof_batch`, plus
//!   [`compute_challenge`].
//! - **EIP-7594** ([fulu polynomial-commitments-sampling]): `compute_cells`,
//!   `compute_cells_and_kzg_proofs` (all 128 proofs at once with FK20, [`fk20`]),
//!   `verify_cell_kzg_proof_batch` (universal verification equation across blobs),
//!   `recover_cells_and_kzg_proofs` (from any half of the cells), plus
//!   [`compute_verify_cell_kzg_proof_batch_challenge`].
//! - **A generic layer** ([`poly`]) on which the EIP functions are built: commitments to
//!   coefficient or evaluation vectors of any power-of-two size up to the setup, openings at a
//!   point, coset (multi-point) openings for any coset size ([`CosetProver`]), batch
//!   verification, erasure recovery ([`KzgSettings::recover_coefficients`]).
//!
//! Every consensus-spec test vector of both EIPs runs in `cargo test` (`tests/vectors.rs`), and
//! `tests/differential.rs` checks byte equality with the `c-kzg` crate.
//!
//! # What it is not
//! Not a general pairing library and not a BLS signature scheme: it uses `blst` (decompression
//! with subgroup checks, pairings) and arkworks (field and curve arithmetic, through its safe
//! APIs); it does no I/O (the setup is text you pass in, or the embedded file), spawns no threads
//! unless the `parallel` feature is on, and keeps no global state.
//!
//! # Example
//! ```
//! use zg_kzg::{Blob, KzgSettings, BYTES_PER_BLOB};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let kzg = KzgSettings::mainnet()?; // share it (Arc) in a real node: loading costs ~0.15 s
//! let mut bytes = vec![0u8; BYTES_PER_BLOB];
//! bytes[31] = 42; // field elements are 32-byte big-endian integers below r
//! let blob = Blob::from_slice(&bytes)?;
//!
//! // EIP-4844: commitment and blob proof.
//! let commitment = kzg.blob_to_kzg_commitment(&blob)?;
//! let proof = kzg.compute_blob_kzg_proof(&blob, &commitment)?;
//! assert!(kzg.verify_blob_kzg_proof(&blob, &commitment, &proof)?);
//!
//! // EIP-7594: cells, their proofs, verification and recovery from half of them.
//! let (cells, proofs) = kzg.compute_cells_and_kzg_proofs(&blob)?;
//! let idx: Vec<u64> = (0..128).step_by(2).collect();
//! let half: Vec<_> = idx.iter().map(|&i| cells[i as usize]).collect();
//! let half_proofs: Vec<_> = idx.iter().map(|&i| proofs[i as usize]).collect();
//! assert!(kzg.verify_cell_kzg_proof_batch(&vec![commitment; 64], &idx, &half, &half_proofs)?);
//! let (recovered, _) = kzg.recover_cells_and_kzg_proofs(&idx, &half)?;
//! assert_eq!(recovered, cells);
//!
//! // Malformed input is an error, not a panic and not `false`.
//! bytes[0] = 0xff;
//! assert!(kzg.blob_to_kzg_commitment(&Blob::from_slice(&bytes)?).is_err());
//! # Ok(())
//! # }
//! ```
//!
//! # Features
//! - `parallel`: rayon parallelism inside the pure functions (bucket accumulation of every MSM,
//!   setup decoding, per-blob work of batch verification). Off by default; without it the crate
//!   never spawns a thread. Runs in the caller's rayon pool (`ThreadPool::install` picks the
//!   thread count).
//!
//! # Performance
//! Variable-base MSMs split every scalar by the GLV endomorphism into two 128-bit halves (a
//! division by `z^2`, no bignum library), accumulate Pippenger buckets with batch-affine
//! additions (one shared inversion per round) and weigh the buckets of all windows at once in
//! affine form; FK20's 128 small MSMs also use shifted copies of their bases, built on the first
//! cell proof, to split scalars further. [`Precompute::Full`] adds fixed-base tables. The G1
//! FFTs of FK20 batch each stage's twiddle products. For the mainnet setup the FK20 bases are
//! shipped as derived data instead of ~20 000 scalar multiplications at load. Measured numbers
//! and the memory/load trade-off are on [`Precompute`]; `benches/benches/kzg.rs` (criterion)
//! and `benches/benches/kzg_ab.rs` (interleaved) compare every operation with c-kzg and
//! rust_eth_kzg.
//!
//! # Threat model
//!
//! **Who may send what.** zg-kzg holds no state machine: blobs, cells, commitments, proofs,
//! evaluation points and cell indices come from anyone (a block, a peer, a DA sampler); the
//! trusted setup comes from the operator — [`KzgSettings::mainnet`] embeds Ethereum's, and a
//! setup loaded from a file is checked point by point (subgroup and structural checks, see
//! [`TrustedSetup::parse`]).
//!
//! **Checked before use.** Every input is decoded before any arithmetic: lengths, canonical
//! field elements (`< r`), compressed points that decompress and lie in the prime-order
//! subgroup, cell indices in range (and unique and ordered for recovery). A proof
//! that does not verify is `Ok(false)` (or an opaque error), never a panic; batch checks use
//! the EIPs' Fiat–Shamir challenge over all inputs, so no subset of forged items can cancel out.
//!
//! **Bounds.** Memory per call is linear in its input (a batch's size is the caller's to
//! bound). Tables: none with [`Precompute::Bare`]; 2.4 MB built by the first cell proof and kept
//! with the default [`Precompute::None`]; 33 MB at load with [`Precompute::Full`].
//! [`TrustedSetup::insecure_from_secret`] builds at most [`MAX_INSECURE_POINTS`] points.
//!
//! **Out of scope.** The honesty of the setup ceremony; timing side channels (everything here
//! handles public data — the one secret, `insecure_from_secret`'s, is for tests); and
//! denial of service by huge batches, which the caller bounds.
//!
//! # Panics and safety
//! `#![forbid(unsafe_code)]`. No function panics on untrusted input: wrong lengths,
//! non-canonical field elements (`>= r`, rejected, never reduced), points off the curve or
//! outside the G1 subgroup, out-of-range or unordered cell indices are [`Error`]s; a proof that
//! does not verify is `Ok(false)`. The only panics are internal invariant violations (bugs).
//!
//! [deneb polynomial-commitments]: https://github.com/ethereum/consensus-specs/blob/dev/specs/deneb/polynomial-commitments.md
//! [fulu polynomial-commitments-sampling]: https://github.com/ethereum/consensus-specs/blob/dev/specs/fulu/polynomial-commitments-sampling.md
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

/// The BLS12-381 scalar field and G1 types of the generic layer (arkworks 0.6).
pub use ark_bls12_381::{Fr, G1Affine, G1Projective};
pub use eip4844::compute_challenge;
pub use eip7594::{CellProofs, Cells, compute_verify_cell_kzg_proof_batch_challenge};
pub use error::{Error, SetupError};
pub use fk20::CosetProver;
pub use poly::{CosetOpening, Opening, coefficients_to_evaluations, evaluations_to_coefficients};
pub use settings::{KzgSettings, Precompute};
pub use setup::{
    MAINNET_TRUSTED_SETUP, MAINNET_TRUSTED_SETUP_SHA256, MAX_INSECURE_POINTS, TrustedSetup,
};
pub use types::{
    BYTES_PER_BLOB, BYTES_PER_CELL, BYTES_PER_FIELD_ELEMENT, BYTES_PER_G1, Blob, Bytes32, Bytes48,
    CELLS_PER_EXT_BLOB, Cell, FIELD_ELEMENTS_PER_BLOB, FIELD_ELEMENTS_PER_CELL,
    FIELD_ELEMENTS_PER_EXT_BLOB, G1_POINT_AT_INFINITY, KzgCommitment, KzgProof,
};
