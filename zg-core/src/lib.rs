//! zg-core: the base every zg crate builds on.
//!
//! **What it is.** The shared vocabulary of the zg SDK of 0G protocol primitives:
//!
//! * primitives — [`H256`], [`Timestamp`] (milliseconds, always passed in, never read from a
//!   clock), [`Epoch`], [`NodeId`], and [`Amount`] (token units with checked arithmetic only);
//! * hashing — Keccak-256 ([`keccak256`], [`hash_pair`], [`hash_sector`]) and the zero-subtree
//!   table `Z[h]` ([`hash::zero_hashes`]);
//! * [`tree`] — 0G storage Merkle trees, byte-compatible with the live network: file roots (also
//!   streaming, in O(log n) memory), submission nodes, segment roots, proofs in 0G's lemma/path
//!   form, and the append-only flow with sector proofs;
//! * [`machine`] — the sans-IO state-machine vocabulary every protocol crate speaks
//!   (`handle(now, input)` + `poll_output()`), documented with a complete driver loop;
//! * `sim` (feature `sim`) — a deterministic network simulator that runs any number of such
//!   machines with latency, loss, duplication, reordering, partitions, crashes and restarts.
//!
//! **What it is not.** No I/O of any kind: no sockets, files, threads (except the opt-in rayon
//! pool of pure hashing functions), clocks or global randomness. Node software does the I/O and
//! feeds results in.
//!
//! # Example: a file's 0G root, its submission, and a sector proof
//!
//! ```
//! use zg_core::tree::{FileRootBuilder, file_tree, Proof};
//!
//! let data = vec![0x11u8; 3584]; // 14 sectors
//! // Streaming, in any chunking, with O(log n) memory:
//! let mut builder = FileRootBuilder::new();
//! for piece in data.chunks(1000) {
//!     builder.update(piece);
//! }
//! let submission = builder.finalize()?;
//! assert_eq!(submission.heights(), vec![3, 2, 1]); // 8 + 4 + 2 sectors
//! let root = submission.root();
//! assert_eq!(root.to_string(), "0x7ba2539ce6ec6e4fea882f667f1d8008cd63f2ac54a25e7595b2476d3b823f05");
//!
//! // A proof that sector 5 is part of the file, in 0G's lemma/path form:
//! let tree = file_tree(&data)?;
//! let proof = tree.proof(5)?;
//! proof.verify(&root, &tree.leaf(5)?, 5, tree.num_leaves())?;
//! let decoded = Proof::from_bytes(&proof.to_bytes())?;
//! assert!(decoded.verify(&root, &tree.leaf(5)?, 6, tree.num_leaves()).is_err());
//! # Ok::<(), zg_core::Error>(())
//! ```
//!
//! # Features
//! * `serde` — `Serialize`/`Deserialize` for the primitives, submissions and proofs (hashes as
//!   `0x` hex, amounts as decimal strings in human-readable formats).
//! * `parallel` — [`tree::FileRootBuilder::parallel`] and `tree::file_root_parallel` hash 1 MiB
//!   subtrees on the rayon pool.
//! * `sim` — the deterministic simulator, `zg_core::sim`.
//!
//! # Panics and safety
//! No function panics on any input: malformed proofs, empty files, out-of-range indices and
//! overflowing amounts are [`Error`]s. `unsafe` is forbidden.
#![forbid(unsafe_code)]
// Test code may truncate freely: a wrong cast there fails the test, not a user.
#![cfg_attr(test, allow(clippy::cast_possible_truncation))]

mod error;
pub mod hash;
pub mod machine;
mod primitives;
#[cfg(feature = "sim")]
pub mod sim;
pub mod tree;

pub use error::Error;
pub use hash::{hash_pair, hash_sector, hash_word, keccak256, keccak256_parts};
pub use primitives::{Amount, Epoch, H256, NodeId, Timestamp};

/// Bytes in a sector (a 0G Merkle leaf and the flow's address unit; "chunk" in the Go client).
pub const SECTOR_SIZE: usize = 256;
