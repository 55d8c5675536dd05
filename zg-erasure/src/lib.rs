//! Verifiable erasure coding for the 0G storage lane (docs to come).
#![forbid(unsafe_code)]
// Test code may truncate freely: a wrong cast there fails the test, not a user.
#![cfg_attr(test, allow(clippy::cast_possible_truncation))]

mod codec;
mod commit;
mod decode;
mod encode;
mod error;
mod layout;
mod manifest;
pub mod repair;

pub use codec::{DecodedStripe, EncodedStripe, StripeDecoder, StripeEncoder};
pub use decode::{Decoded, Decoder, decode, reconstruct_shard};
pub use encode::{Encoded, Encoder, encode};
pub use error::{DecodeError, Error};
pub use layout::{Config, DEFAULT_STRIPE_SIZE, Layout, MAX_STRIPE_SIZE};
pub use manifest::{
    HEADER_LEN, MANIFEST_MAGIC, MANIFEST_VERSION, Manifest, ManifestHeader, PieceProof, ShardProof,
    ShardTree, ShardVerifier,
};
pub use repair::{Repair, RepairConfig, ShardHolder, Target};
