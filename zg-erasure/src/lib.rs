//! zg-erasure: verifiable erasure coding of objects for the 0G storage lane.
//!
//! An object (a file) is split into `k` **data shards** and `m` **parity shards** with
//! [`reed-solomon-simd`](https://docs.rs/reed-solomon-simd/3.1.0) — Reed–Solomon over GF(2^16)
//! in `O(n log n)` (Lin, Chung and Han, *Novel Polynomial Basis and Its Application to
//! Reed–Solomon Erasure Codes*, FOCS 2014; the Leopard-RS algorithm) — so that **any** `k` of the
//! `k + m` shards rebuild it. Every shard carries a Keccak-256 Merkle root under the 0G storage
//! tree rules, and an object [`Manifest`] binds them in one root, so a storage node can prove
//! and check what it holds, down to any 256-byte piece.
//!
//! * **Codec** ([`Config`], [`Layout`], [`StripeEncoder`], [`StripeDecoder`]): systematic
//!   (data shards are the object's own bytes), any `k + m` reed-solomon-simd allows (up to
//!   65535 of one kind; e.g. 32768 + 32768, or thousands of each), coded in **stripes** so any
//!   object streams through bounded memory.
//! * **Commitments** ([`Encoder`], [`Decoder`], [`Manifest`], [`ShardVerifier`], [`ShardProof`],
//!   [`PieceProof`], [`ShardTree`]): per-shard 0G file roots computed incrementally, the object's
//!   0G file root, the manifest root; decoding verifies every shard it uses and the object root,
//!   and **excludes corrupt shards instead of returning wrong bytes** ([`decode`],
//!   [`reconstruct_shard`]).
//! * **Repair** ([`repair`]): a sans-IO state machine ([`Repair`], implementing
//!   [`zg_core::machine::Machine`]) that fetches shards from peers — any order, duplicates, late,
//!   corrupt or missing answers, timeouts as inputs — and ends with the verified shard or object
//!   or a clear failure; [`ShardHolder`] is the serving side.
//!
//! It is **not** a storage node: it does no I/O (the `zg erasure` CLI in `examples/` streams
//! files through it), holds no shards on disk, and does not decide placement. It does not
//! correct errors inside a shard (Reed–Solomon here is an *erasure* code): corruption is detected
//! by the Merkle roots and the shard is treated as lost.
//!
//! # Example
//!
//! ```
//! use zg_erasure::{Config, PieceProof, ShardTree, decode, encode};
//!
//! let object: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
//! let encoded = encode(&object, Config::new(4, 3)?)?;
//! let manifest = &encoded.manifest;
//! assert_eq!(manifest.object_root(), zg_core::tree::file_root(&object)?);
//!
//! // Lose two shards and corrupt a third: any 4 good ones still rebuild the object.
//! let mut shards = encoded.shards.clone();
//! shards[3][10] ^= 1;
//! let view: Vec<Option<&[u8]>> = shards
//!     .iter()
//!     .enumerate()
//!     .map(|(i, s)| (i != 0 && i != 5).then_some(&s[..]))
//!     .collect();
//! let decoded = decode(manifest, &view)?;
//! assert_eq!(decoded.object, object);
//! assert_eq!(decoded.rejected, vec![3]);
//! assert_eq!(decoded.missing, vec![0, 5]);
//!
//! // A node holding shard 4 proves its 7th piece to anyone who trusts the manifest root.
//! let tree = ShardTree::new(manifest, 4, &encoded.shards[4])?;
//! let proof = tree.piece_proof(6)?;
//! let wire = proof.to_bytes();
//! let piece = &encoded.shards[4][6 * 256..7 * 256];
//! PieceProof::from_bytes(&wire)?.verify(manifest.header(), &manifest.root(), piece)?;
//!
//! // The manifest travels as canonical bytes; any altered byte is rejected.
//! let bytes = manifest.to_bytes();
//! assert_eq!(&zg_erasure::Manifest::from_bytes(&bytes)?, manifest);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Layout
//!
//! With `c` the chunk size ([`Config::with_stripe_size`]: `round_up(ceil(stripe_size / k),
//! 256)`, default stripe 2 MiB = 8 segments), the object is cut into stripes of `k·c` bytes, the
//! last one shorter. Data shard `i` takes the `i`-th `c`-byte chunk of every stripe; the `m`
//! parity chunks of a stripe are reed-solomon-simd's recovery shards of its `k` data chunks; a
//! shard is its chunks concatenated. The last stripe's chunk is sized from what is left (see
//! [`Layout`]), so small objects get small shards. Full chunks are multiples of 256 bytes, so the
//! object's 256-byte sectors are exactly the data shards' sectors: each is hashed once and feeds
//! both trees.
//!
//! # Commitments and the canonical manifest
//!
//! * Shard root `j` = the **0G file root** of shard `j`'s bytes (0G-FORMATS §2: Keccak-256 of each
//!   256-byte sector, zero-padded to the storage contract's padded length, adjacent nodes paired,
//!   an odd last node promoted). A shard is therefore a valid 0G file on its own.
//! * Object root = the 0G file root of the object.
//! * Manifest root = the promote-odd Merkle root over the `k + m + 1` leaves
//!   `[keccak256(header), shard_root_0, …, shard_root_{k+m-1}]`.
//!
//! Canonical manifest bytes (integers big-endian):
//!
//! | offset | bytes | field |
//! |---|---|---|
//! | 0 | 4 | magic `"ZGEM"` |
//! | 4 | 1 | version `1` |
//! | 5 | 4 | `k` (data shards) |
//! | 9 | 4 | `m` (parity shards) |
//! | 13 | 8 | object size in bytes, ≥ 1 |
//! | 21 | 4 | chunk size `c`, a positive multiple of 256 with `k·c` ≤ 1 GiB |
//! | 25 | 32 | object's 0G file root |
//! | 57 | 32·(k+m) | shard roots, in shard order |
//! | 57+32·(k+m) | 32 | manifest root |
//!
//! The header is bytes `0..57`. [`Manifest::from_bytes`] accepts exactly what
//! [`Manifest::to_bytes`] writes: wrong length, magic or version, counts reed-solomon-simd cannot
//! code, an empty object, a bad chunk size, or a stored root that is not the root of the fields
//! is a typed [`DecodeError`]. Because the root is stored and checked, every single-byte change is
//! rejected.
//!
//! A piece (256-byte sector `p` of shard `j`) is proven with a [`PieceProof`]: its 0G sector path
//! in shard `j`'s tree, chained to shard `j`'s path (leaf `j + 1`) in the manifest tree —
//! `O(log)` hashes, checked against the header and the manifest root only. The header itself is
//! proven with [`Manifest::header_proof`] (leaf 0).
//!
//! # Cost
//!
//! Coding without commitments is one reed-solomon-simd call per stripe with its working space
//! reused ([`Encoder::reset`], [`Decoder::reset`] keep it across objects). With commitments,
//! encoding adds one `hash_sector` per 256 shard bytes and one `hash_pair` per inner node of the
//! shard, object and manifest trees — zg-core's fastest Keccak paths, nothing else. See the
//! crate README for measured ratios.
//!
//! # Features
//!
//! None. (Parallel hashing of the `k + m` shard trees would be a natural opt-in `rayon` feature;
//! it is not there yet.)
//!
//! # Threat model
//!
//! **Who may send what.** A [`Repair`] trusts its [`RepairConfig`] (the manifest, whose root
//! it already trusts, e.g. from the chain; the holder list) and its host's
//! [`repair::Command::AddHolder`]. Peers send [`repair::Message::Shard`] and
//! [`repair::Message::NotFound`]; a message's sender is always the transport's `from`, never a
//! field of the message. A [`ShardHolder`] answers [`repair::Message::Get`] from anyone and
//! stores only what its host gives it ([`repair::Command::Store`]).
//!
//! **Checked before any state is touched.** A shard about another object, with an index out
//! of range, from a peer never asked for that shard, or from a banned peer is rejected
//! ([`repair::RepairError`]) before its bytes are read; its length is checked before any
//! hashing; it counts only if it matches its root in the manifest. A corrupt shard bans its
//! sender: it is never asked again, whatever it sends later is dropped unread, and its other
//! outstanding requests are asked elsewhere at once. A `NotFound` changes only the sender's
//! own holder entry. Nothing a peer sends is ever stored by a holder.
//!
//! **Bounds** (tested by floods in `tests/repair.rs`). *Repair*: `k + m` slots, the host's
//! holder list, a banned set no larger than the peers asked, and verified bytes of at most `k`
//! shards (plus the target shard); each (peer, shard) is asked at most `attempts_per_holder`
//! times; a peer costs at most one failed shard hash per repair and one successful hash per
//! shard it was asked for; a stranger costs a map lookup and changes nothing. *Holder*: no
//! per-peer state; exactly one reply per `Get`, addressed to its sender.
//!
//! **Out of scope.** Rate limits and amplification (a small `Get` answered with a whole shard)
//! belong to the transport; placement and the manifest's authenticity to the host; errors
//! inside a shard are not corrected (a corrupt shard is a lost one), so a repair needs `k`
//! honest, reachable holders.
//!
//! # Panics and safety
//!
//! `#![forbid(unsafe_code)]`. No input — shard bytes, manifests, proofs, messages, shard sets —
//! makes a function panic: untrusted input gets a typed [`Error`], [`DecodeError`] or
//! [`repair::RepairError`], and verification failures are opaque ([`Error::InvalidProof`]).
//! Decoding never returns bytes that do not match the manifest. The `sim` test suite and the
//! `fuzz/` targets (`erasure_manifest`, `erasure_decode`, `erasure_repair`) check this.
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
