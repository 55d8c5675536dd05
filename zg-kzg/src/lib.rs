//! KZG commitments over BLS12-381, byte-compatible with Ethereum EIP-4844 and EIP-7594 (not built yet).
//!
//! This crate will load Ethereum's trusted setup, commit to blobs and polynomials, open them at points
//! and on cosets, compute the 128 cell proofs of an extended blob with FK20, verify in batches, and
//! recover cells from any half of them.
#![forbid(unsafe_code)]
