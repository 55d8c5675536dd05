//! The error types of zg-erasure.

/// Everything that can go wrong while coding, committing, decoding or proving.
///
/// Untrusted input (shard bytes, manifests, proofs) gets one of these, never a panic.
/// Verification failures are opaque ([`Error::InvalidProof`]): they say *that* a check failed,
/// not which hash differed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The backend cannot code this many data/parity shards (reed-solomon-simd supports
    /// `1..=32768` of each freely, and up to 65535 of one kind when the other is small: see
    /// [`Layout::supports`](crate::Layout::supports)).
    #[error("unsupported shard counts: {data} data + {parity} parity")]
    UnsupportedShardCount {
        /// Data shards asked for.
        data: usize,
        /// Parity shards asked for.
        parity: usize,
    },
    /// A stripe or chunk size is out of range.
    #[error("invalid stripe layout: {reason}")]
    InvalidLayout {
        /// What is wrong.
        reason: &'static str,
    },
    /// Objects must hold at least one byte (0G has no root for an empty file).
    #[error("empty object")]
    EmptyObject,
    /// Fewer than `need` usable shards are left.
    #[error("not enough shards: have {have}, need {need}")]
    NotEnoughShards {
        /// Shards that are present and not known to be corrupt.
        have: usize,
        /// Shards needed (the number of data shards `k`).
        need: usize,
    },
    /// A shard index is out of range.
    #[error("shard index {index} out of range ({count} shards)")]
    ShardIndex {
        /// The index given.
        index: usize,
        /// Number of shards (`k + m`).
        count: usize,
    },
    /// The same shard was given twice.
    #[error("shard {index} given twice")]
    DuplicateShard {
        /// The repeated index.
        index: usize,
    },
    /// A list of shards has the wrong length.
    #[error("expected {expected} shard slots, got {got}")]
    ShardCount {
        /// `k + m` (or `k` where exactly `k` shards are chosen).
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A shard (or a shard's stripe chunk) has the wrong length.
    #[error("shard {index}: expected {expected} bytes, got {got}")]
    ShardLength {
        /// The shard.
        index: usize,
        /// Bytes the layout requires.
        expected: u64,
        /// Bytes given.
        got: u64,
    },
    /// A stripe was given with the wrong number of object bytes.
    #[error("stripe {stripe}: expected {expected} bytes, got {got}")]
    StripeLength {
        /// The stripe.
        stripe: u64,
        /// Bytes the layout requires.
        expected: usize,
        /// Bytes given.
        got: usize,
    },
    /// A stripe index past the object, or a stream fed after its last stripe.
    #[error("stripe {stripe} out of range ({stripes} stripes)")]
    StripeIndex {
        /// The stripe.
        stripe: u64,
        /// Number of stripes.
        stripes: u64,
    },
    /// A streaming coder was finished before every stripe went through it.
    #[error("stream incomplete: {done} of {stripes} stripes")]
    Incomplete {
        /// Stripes processed.
        done: u64,
        /// Stripes in the object.
        stripes: u64,
    },
    /// Shards whose bytes do not match their Merkle root in the manifest.
    #[error("corrupt shards: {shards:?}")]
    CorruptShards {
        /// The offending shard indices, ascending.
        shards: Vec<usize>,
    },
    /// Every shard used matched its root, yet the decoded object does not match the manifest's
    /// object root (or a re-encoded shard does not match its own root): the manifest was built
    /// over inconsistent shards. No bytes are returned.
    #[error("manifest is inconsistent with its shards")]
    Inconsistent,
    /// A Merkle proof does not verify.
    #[error("invalid proof")]
    InvalidProof,
    /// A manifest or proof could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The reed-solomon-simd backend refused an operation the layout had already validated
    /// (a bug in this crate if it ever appears).
    #[error("reed-solomon backend: {0}")]
    Backend(String),
}

/// Why bytes are not a canonical manifest, header or proof encoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Fewer bytes than the fixed part needs.
    #[error("truncated: need at least {need} bytes, got {got}")]
    Truncated {
        /// Minimum length.
        need: usize,
        /// Length given.
        got: usize,
    },
    /// The total length does not match what the fields imply.
    #[error("length: expected {expected} bytes, got {got}")]
    Length {
        /// Length the fields imply.
        expected: usize,
        /// Length given.
        got: usize,
    },
    /// The magic bytes are wrong.
    #[error("bad magic")]
    Magic,
    /// An unknown format version.
    #[error("unsupported version {version}")]
    Version {
        /// The version byte.
        version: u8,
    },
    /// A field holds a value no encoder produces.
    #[error("invalid field: {field}")]
    Field {
        /// Which field.
        field: &'static str,
    },
    /// The stored manifest root is not the root of the fields (any altered byte lands here).
    #[error("manifest root does not match its contents")]
    RootMismatch,
}

impl From<reed_solomon_simd::Error> for Error {
    fn from(e: reed_solomon_simd::Error) -> Self {
        Error::Backend(e.to_string())
    }
}
