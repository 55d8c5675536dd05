//! The object manifest, its canonical bytes, and proofs of shards and pieces against it.

use zg_core::tree::{MerkleTree, Proof, file_tree, padded_sectors};
use zg_core::{H256, SECTOR_SIZE, hash_sector, keccak256};

use crate::error::DecodeError;
use crate::{Error, Layout};

/// The four bytes every encoded manifest starts with.
pub const MANIFEST_MAGIC: [u8; 4] = *b"ZGEM";
/// The manifest format version this crate reads and writes.
pub const MANIFEST_VERSION: u8 = 1;
/// Bytes of an encoded [`ManifestHeader`].
pub const HEADER_LEN: usize = 57;

/// The fixed part of a manifest: the layout and the object's 0G file root.
///
/// Its canonical bytes (all integers big-endian):
///
/// | offset | bytes | field |
/// |---|---|---|
/// | 0 | 4 | magic `"ZGEM"` |
/// | 4 | 1 | version `1` |
/// | 5 | 4 | `k`, data shards |
/// | 9 | 4 | `m`, parity shards |
/// | 13 | 8 | object size in bytes (≥ 1) |
/// | 21 | 4 | chunk size `c` (shard bytes per full stripe; a multiple of 256) |
/// | 25 | 32 | the object's 0G file root |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ManifestHeader {
    layout: Layout,
    object_root: H256,
}

impl ManifestHeader {
    /// A header for `layout` and the object's 0G file root.
    pub fn new(layout: Layout, object_root: H256) -> Self {
        ManifestHeader {
            layout,
            object_root,
        }
    }

    /// The layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The object's 0G file root (`zg_core::tree::file_root` of the object's bytes).
    pub fn object_root(&self) -> H256 {
        self.object_root
    }

    /// Pieces (256-byte sectors, the last one possibly short) of every shard:
    /// `ceil(shard_size / 256)`.
    pub fn pieces_per_shard(&self) -> u64 {
        self.layout.shard_size().div_ceil(SECTOR_SIZE as u64)
    }

    /// Canonical bytes (see the type docs).
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let l = &self.layout;
        let mut out = [0u8; HEADER_LEN];
        out[0..4].copy_from_slice(&MANIFEST_MAGIC);
        out[4] = MANIFEST_VERSION;
        // A valid layout has k, m <= 65535 and c <= 1 GiB, so these conversions are exact.
        out[5..9].copy_from_slice(&u32_of(l.data_shards()).to_be_bytes());
        out[9..13].copy_from_slice(&u32_of(l.parity_shards()).to_be_bytes());
        out[13..21].copy_from_slice(&l.object_size().to_be_bytes());
        out[21..25].copy_from_slice(&u32_of(l.chunk_size()).to_be_bytes());
        out[25..57].copy_from_slice(&self.object_root.0);
        out
    }

    /// Decodes exactly [`HEADER_LEN`] canonical bytes, rejecting anything else.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        if bytes.len() != HEADER_LEN {
            return Err(DecodeError::Length {
                expected: HEADER_LEN,
                got: bytes.len(),
            });
        }
        if bytes[0..4] != MANIFEST_MAGIC {
            return Err(DecodeError::Magic);
        }
        if bytes[4] != MANIFEST_VERSION {
            return Err(DecodeError::Version { version: bytes[4] });
        }
        let u32_at = |at: usize| {
            let mut w = [0u8; 4];
            w.copy_from_slice(&bytes[at..at + 4]);
            u32::from_be_bytes(w)
        };
        let mut w = [0u8; 8];
        w.copy_from_slice(&bytes[13..21]);
        let object_size = u64::from_be_bytes(w);
        let (k, m, c) = (
            usize_of(u32_at(5)),
            usize_of(u32_at(9)),
            usize_of(u32_at(21)),
        );
        let layout = Layout::new(k, m, object_size, c).map_err(|e| DecodeError::Field {
            field: match e {
                Error::UnsupportedShardCount { .. } => "shard counts",
                Error::EmptyObject => "object size",
                _ => "chunk size",
            },
        })?;
        let mut root = [0u8; 32];
        root.copy_from_slice(&bytes[25..57]);
        Ok(ManifestHeader {
            layout,
            object_root: H256(root),
        })
    }

    /// `keccak256(to_bytes())`: leaf 0 of the manifest tree.
    pub fn hash(&self) -> H256 {
        keccak256(&self.to_bytes())
    }

    /// Verifies this header against a manifest root with [`Manifest::header_proof`]: how a
    /// node that trusts only the root (e.g. from a chain) learns `k`, `m` and the sizes.
    pub fn verify(&self, manifest_root: &H256, proof: &Proof) -> Result<(), Error> {
        proof
            .verify(manifest_root, &self.hash(), 0, self.tree_leaves())
            .map_err(|_| Error::InvalidProof)
    }

    /// Leaves of the manifest tree: the header and every shard root.
    fn tree_leaves(&self) -> u64 {
        self.layout.total_shards() as u64 + 1
    }
}

/// `usize` → `u32` for values a valid layout bounds (shard counts <= 65535, chunk <= 1 GiB).
fn u32_of(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// `u32` → `usize`; saturates on (hypothetical) 16-bit targets, where the layout then rejects it.
fn usize_of(v: u32) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// An object's manifest: its [`ManifestHeader`], the Merkle root of every shard, and the
/// manifest root that binds them.
///
/// * **Shard root** `j`: the 0G file root of shard `j`'s bytes (0G-FORMATS §2), so a shard is
///   also a valid 0G file and any 256-byte piece of it has a standard 0G sector proof.
/// * **Manifest root**: the 0G promote-odd Merkle root over the `k + m + 1` leaves
///   `[keccak256(header bytes), shard_root_0, …, shard_root_{k+m-1}]`. A shard root is proven
///   with `ceil(log2(k+m+1))` hashes ([`ShardProof`]); a piece with that plus the piece's path
///   in its shard ([`PieceProof`]).
///
/// Canonical bytes: the 57 header bytes, then the `k + m` shard roots (32 bytes each, in shard
/// order), then the 32-byte manifest root — `57 + 32·(k+m) + 32` bytes in all.
/// [`Manifest::from_bytes`] accepts exactly the bytes [`Manifest::to_bytes`] produces: any other
/// length, magic, version, a layout no encoder produces, or a manifest root that is not the root
/// of the other fields is rejected, so every single-byte change is caught.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Manifest {
    header: ManifestHeader,
    shard_roots: Vec<H256>,
    root: H256,
}

impl Manifest {
    /// Builds a manifest from its header and the `k + m` shard roots, computing the root.
    pub fn new(header: ManifestHeader, shard_roots: Vec<H256>) -> Result<Self, Error> {
        let n = header.layout.total_shards();
        if shard_roots.len() != n {
            return Err(Error::ShardCount {
                expected: n,
                got: shard_roots.len(),
            });
        }
        let root = manifest_root(&header, &shard_roots);
        Ok(Manifest {
            header,
            shard_roots,
            root,
        })
    }

    /// The header.
    pub fn header(&self) -> &ManifestHeader {
        &self.header
    }

    /// The layout.
    pub fn layout(&self) -> &Layout {
        &self.header.layout
    }

    /// The object's 0G file root.
    pub fn object_root(&self) -> H256 {
        self.header.object_root
    }

    /// Every shard root, in shard order.
    pub fn shard_roots(&self) -> &[H256] {
        &self.shard_roots
    }

    /// The root of shard `index`.
    pub fn shard_root(&self, index: usize) -> Result<H256, Error> {
        self.layout().check_shard(index)?;
        Ok(self.shard_roots[index])
    }

    /// The manifest root.
    pub fn root(&self) -> H256 {
        self.root
    }

    /// Length of [`to_bytes`](Self::to_bytes): `57 + 32·(k+m) + 32`.
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN + 32 * self.shard_roots.len() + 32
    }

    /// Canonical bytes (see the type docs).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        out.extend_from_slice(&self.header.to_bytes());
        for r in &self.shard_roots {
            out.extend_from_slice(&r.0);
        }
        out.extend_from_slice(&self.root.0);
        out
    }

    /// Decodes canonical bytes, rejecting anything [`to_bytes`](Self::to_bytes) would not have
    /// produced (see the type docs).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        if bytes.len() < HEADER_LEN + 32 {
            return Err(DecodeError::Truncated {
                need: HEADER_LEN + 32,
                got: bytes.len(),
            });
        }
        let header = ManifestHeader::from_bytes(&bytes[..HEADER_LEN])?;
        let n = header.layout.total_shards();
        let expected = HEADER_LEN + 32 * n + 32;
        if bytes.len() != expected {
            return Err(DecodeError::Length {
                expected,
                got: bytes.len(),
            });
        }
        let mut hashes = bytes[HEADER_LEN..].chunks_exact(32).map(|c| {
            let mut h = [0u8; 32];
            h.copy_from_slice(c);
            H256(h)
        });
        let shard_roots: Vec<H256> = hashes.by_ref().take(n).collect();
        let stored = hashes.next().ok_or(DecodeError::Length {
            expected,
            got: bytes.len(),
        })?;
        let root = manifest_root(&header, &shard_roots);
        if root != stored {
            return Err(DecodeError::RootMismatch);
        }
        Ok(Manifest {
            header,
            shard_roots,
            root,
        })
    }

    /// The proof of the header (leaf 0) under the manifest root; see
    /// [`ManifestHeader::verify`].
    pub fn header_proof(&self) -> Result<Proof, Error> {
        self.tree()?.proof(0).map_err(|_| Error::InvalidProof)
    }

    /// The proof that shard `index` has its root under the manifest root.
    pub fn shard_proof(&self, index: usize) -> Result<ShardProof, Error> {
        self.layout().check_shard(index)?;
        let proof = self
            .tree()?
            .proof(index as u64 + 1)
            .map_err(|_| Error::InvalidProof)?;
        Ok(ShardProof {
            shard: index,
            proof,
        })
    }

    /// Checks a whole shard: its length and its root.
    pub fn verify_shard(&self, index: usize, bytes: &[u8]) -> Result<(), Error> {
        let expected = self.layout().shard_size();
        if bytes.len() as u64 != expected {
            // Checked before hashing anything.
            return Err(Error::ShardLength {
                index,
                expected,
                got: bytes.len() as u64,
            });
        }
        let mut v = ShardVerifier::new(self, index)?;
        v.update(bytes);
        v.finish()
    }

    fn tree(&self) -> Result<MerkleTree, Error> {
        MerkleTree::from_leaves(manifest_leaves(&self.header, &self.shard_roots))
            .map_err(|_| Error::InvalidProof)
    }
}

fn manifest_leaves(header: &ManifestHeader, shard_roots: &[H256]) -> Vec<H256> {
    let mut leaves = Vec::with_capacity(shard_roots.len() + 1);
    leaves.push(header.hash());
    leaves.extend_from_slice(shard_roots);
    leaves
}

/// The manifest root: the promote-odd root over `[header hash, shard roots…]`.
fn manifest_root(header: &ManifestHeader, shard_roots: &[H256]) -> H256 {
    // Never empty: the header leaf is always there.
    zg_core::tree::promote_odd_root(
        std::iter::once(header.hash()).chain(shard_roots.iter().copied()),
    )
    .unwrap_or(H256::ZERO)
}

/// Checks one shard's bytes against its manifest root as they stream in, in O(1) memory.
///
/// ```
/// use zg_erasure::{Config, ShardVerifier, encode};
/// let encoded = encode(b"a small object", Config::new(2, 1)?)?;
/// let mut v = ShardVerifier::new(&encoded.manifest, 2)?;
/// v.update(&encoded.shards[2]);
/// v.finish()?;
/// # Ok::<(), zg_erasure::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ShardVerifier {
    index: usize,
    root: H256,
    expected: u64,
    got: u64,
    builder: zg_core::tree::FileRootBuilder,
}

impl ShardVerifier {
    /// A verifier for shard `index` of `manifest`.
    pub fn new(manifest: &Manifest, index: usize) -> Result<Self, Error> {
        Ok(ShardVerifier {
            index,
            root: manifest.shard_root(index)?,
            expected: manifest.layout().shard_size(),
            got: 0,
            builder: zg_core::tree::FileRootBuilder::new(),
        })
    }

    /// Feeds the next bytes of the shard. Bytes past the expected length are counted, not hashed.
    pub fn update(&mut self, bytes: &[u8]) {
        let room = usize::try_from(self.expected.saturating_sub(self.got)).unwrap_or(usize::MAX);
        self.builder.update(&bytes[..bytes.len().min(room)]);
        self.got = self.got.saturating_add(bytes.len() as u64);
    }

    /// Ends the shard: [`Error::ShardLength`] for a wrong length, [`Error::CorruptShards`] for a
    /// root mismatch.
    pub fn finish(mut self) -> Result<(), Error> {
        if self.got != self.expected {
            return Err(Error::ShardLength {
                index: self.index,
                expected: self.expected,
                got: self.got,
            });
        }
        if crate::commit::finish_root(&mut self.builder)? != self.root {
            return Err(Error::CorruptShards {
                shards: vec![self.index],
            });
        }
        Ok(())
    }
}

/// A proof that a shard root is leaf `shard + 1` of a manifest tree.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ShardProof {
    /// The shard.
    pub shard: usize,
    /// Its path in the manifest tree (0G lemma/path form).
    pub proof: Proof,
}

impl ShardProof {
    /// Verifies that `shard_root` is the root of shard `self.shard` under `manifest_root`.
    /// `header` gives the tree's size (`k + m + 1` leaves).
    pub fn verify(
        &self,
        header: &ManifestHeader,
        manifest_root: &H256,
        shard_root: &H256,
    ) -> Result<(), Error> {
        if self.shard >= header.layout.total_shards() {
            return Err(Error::InvalidProof);
        }
        self.proof
            .verify(
                manifest_root,
                shard_root,
                self.shard as u64 + 1,
                header.tree_leaves(),
            )
            .map_err(|_| Error::InvalidProof)
    }
}

/// A proof of one 256-byte piece of one shard against the manifest root: the piece's 0G sector
/// proof in its shard tree, chained to the shard root's proof in the manifest tree.
///
/// Verifying costs one `hash_sector` and `log2(padded sectors) + ceil(log2(k+m+1))` `hash_pair`s.
///
/// Canonical bytes (big-endian): `u32 shard`, `u64 piece`, `u32 n`, then `n` bytes of the sector
/// proof and the rest the shard proof, each in `zg_core::tree::Proof::to_bytes` form.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PieceProof {
    /// The shard.
    pub shard: usize,
    /// The piece (sector) index within the shard.
    pub piece: u64,
    /// The piece's path in the shard's 0G file tree; its last lemma entry is the shard root.
    pub sector_proof: Proof,
    /// The shard root's path in the manifest tree.
    pub shard_proof: Proof,
}

impl PieceProof {
    /// Verifies `piece` (its bytes: 256, or fewer for a shard's short last piece) under
    /// `manifest_root`, with `header` (trusted, e.g. via [`ManifestHeader::verify`]) giving
    /// the shape.
    pub fn verify(
        &self,
        header: &ManifestHeader,
        manifest_root: &H256,
        piece: &[u8],
    ) -> Result<(), Error> {
        let n = header.layout.total_shards();
        let pieces = header.pieces_per_shard();
        if self.shard >= n || self.piece >= pieces {
            return Err(Error::InvalidProof);
        }
        let shard_size = header.layout.shard_size();
        let expected_len = (shard_size - self.piece * SECTOR_SIZE as u64).min(SECTOR_SIZE as u64);
        if piece.len() as u64 != expected_len {
            return Err(Error::InvalidProof);
        }
        let mut sector = [0u8; SECTOR_SIZE];
        sector[..piece.len()].copy_from_slice(piece);
        let leaf = hash_sector(&sector);
        let shard_root = *self.sector_proof.root().ok_or(Error::InvalidProof)?;
        let padded = padded_sectors(pieces).map_err(|_| Error::InvalidProof)?;
        self.sector_proof
            .verify(&shard_root, &leaf, self.piece, padded)
            .map_err(|_| Error::InvalidProof)?;
        ShardProof {
            shard: self.shard,
            proof: self.shard_proof.clone(),
        }
        .verify(header, manifest_root, &shard_root)
    }

    /// Canonical bytes (see the type docs).
    pub fn to_bytes(&self) -> Vec<u8> {
        let sector = self.sector_proof.to_bytes();
        let shard = self.shard_proof.to_bytes();
        let mut out = Vec::with_capacity(16 + sector.len() + shard.len());
        out.extend_from_slice(&u32_of(self.shard).to_be_bytes());
        out.extend_from_slice(&self.piece.to_be_bytes());
        out.extend_from_slice(&u32_of(sector.len()).to_be_bytes());
        out.extend_from_slice(&sector);
        out.extend_from_slice(&shard);
        out
    }

    /// Decodes [`to_bytes`](Self::to_bytes), rejecting any other byte string.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        if bytes.len() < 16 {
            return Err(DecodeError::Truncated {
                need: 16,
                got: bytes.len(),
            });
        }
        let mut w4 = [0u8; 4];
        w4.copy_from_slice(&bytes[0..4]);
        let shard = usize_of(u32::from_be_bytes(w4));
        let mut w8 = [0u8; 8];
        w8.copy_from_slice(&bytes[4..12]);
        let piece = u64::from_be_bytes(w8);
        w4.copy_from_slice(&bytes[12..16]);
        let n = usize_of(u32::from_be_bytes(w4));
        let rest = &bytes[16..];
        if rest.len() < n {
            return Err(DecodeError::Truncated {
                need: 16 + n,
                got: bytes.len(),
            });
        }
        let (sector, shard_bytes) = rest.split_at(n);
        let sector_proof = Proof::from_bytes(sector).map_err(|_| DecodeError::Field {
            field: "sector proof",
        })?;
        let shard_proof = Proof::from_bytes(shard_bytes).map_err(|_| DecodeError::Field {
            field: "shard proof",
        })?;
        Ok(PieceProof {
            shard,
            piece,
            sector_proof,
            shard_proof,
        })
    }
}

/// A shard's whole 0G file tree, kept by a node that stores the shard, to prove any piece.
///
/// Memory: about two hashes per 256-byte sector (1/4 of the shard's size).
#[derive(Clone, Debug)]
pub struct ShardTree {
    shard: usize,
    shard_size: u64,
    tree: MerkleTree,
    shard_proof: Proof,
}

impl ShardTree {
    /// Builds the tree of shard `shard` from its bytes, checking them against the manifest.
    pub fn new(manifest: &Manifest, shard: usize, bytes: &[u8]) -> Result<Self, Error> {
        let root = manifest.shard_root(shard)?;
        let expected = manifest.layout().shard_size();
        if bytes.len() as u64 != expected {
            return Err(Error::ShardLength {
                index: shard,
                expected,
                got: bytes.len() as u64,
            });
        }
        let tree = file_tree(bytes).map_err(|_| Error::EmptyObject)?;
        if tree.root() != root {
            return Err(Error::CorruptShards {
                shards: vec![shard],
            });
        }
        Ok(ShardTree {
            shard,
            shard_size: expected,
            tree,
            shard_proof: manifest.shard_proof(shard)?.proof,
        })
    }

    /// The shard's root.
    pub fn root(&self) -> H256 {
        self.tree.root()
    }

    /// Pieces in the shard: `ceil(shard_size / 256)`.
    pub fn pieces(&self) -> u64 {
        self.shard_size.div_ceil(SECTOR_SIZE as u64)
    }

    /// The proof of piece `piece` (`0..pieces()`).
    pub fn piece_proof(&self, piece: u64) -> Result<PieceProof, Error> {
        if piece >= self.pieces() {
            return Err(Error::InvalidLayout {
                reason: "piece index past the shard",
            });
        }
        let sector_proof = self.tree.proof(piece).map_err(|_| Error::InvalidProof)?;
        Ok(PieceProof {
            shard: self.shard,
            piece,
            sector_proof,
            shard_proof: self.shard_proof.clone(),
        })
    }
}
