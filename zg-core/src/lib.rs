//! zg-core: the base of the zg SDK (work in progress).
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
pub use hash::{hash_pair, hash_sector, keccak256, keccak256_parts};
pub use primitives::{Amount, Epoch, H256, NodeId, Timestamp};

/// Bytes in a sector (a 0G Merkle leaf and the flow's address unit; "chunk" in the Go client).
pub const SECTOR_SIZE: usize = 256;
