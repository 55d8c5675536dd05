//! Keccak-256 (Ethereum's Keccak, not NIST SHA3-256) and the zero-subtree table of 0G trees.
//!
//! [`keccak256`] is a minimal sponge over the `keccak` crate's permutation: it absorbs input lanes
//! straight from the caller's slice, with none of the buffering a streaming hasher needs. It is
//! tested against `sha3::Keccak256` for every length around the block boundaries. For data that
//! arrives in pieces, use [`Keccak256`] (re-exported from `sha3`).

use std::sync::OnceLock;

use crate::H256;

pub use sha3::Keccak256;

/// Rate of Keccak-256 in bytes (1600 − 2·256 bits).
const RATE: usize = 136;
const RATE_LANES: usize = RATE / 8;

/// Number of entries in the zero-subtree table: heights 0..=63 cover every 0G tree.
pub const ZERO_HASHES_LEN: usize = 64;

#[inline]
fn permute(state: &mut [u64; 25]) {
    keccak::Keccak::new().with_f1600(|f| f(state));
}

#[inline]
fn absorb_full_block(state: &mut [u64; 25], block: &[u8]) {
    for (lane, bytes) in state.iter_mut().zip(block.chunks_exact(8)).take(RATE_LANES) {
        let mut w = [0u8; 8];
        w.copy_from_slice(bytes);
        *lane ^= u64::from_le_bytes(w);
    }
    permute(state);
}

#[inline]
fn squeeze(state: &[u64; 25]) -> H256 {
    let mut out = [0u8; 32];
    for (chunk, lane) in out.chunks_exact_mut(8).zip(state.iter()) {
        chunk.copy_from_slice(&lane.to_le_bytes());
    }
    H256(out)
}

/// Keccak-256 of `data`.
#[inline]
pub fn keccak256(data: &[u8]) -> H256 {
    keccak256_parts(&[data])
}

/// Keccak-256 of the concatenation of `parts`, without concatenating them.
pub fn keccak256_parts(parts: &[&[u8]]) -> H256 {
    let mut state = [0u64; 25];
    let mut block = [0u8; RATE];
    let mut fill = 0usize;
    for part in parts {
        let mut data = *part;
        if fill > 0 {
            let take = (RATE - fill).min(data.len());
            block[fill..fill + take].copy_from_slice(&data[..take]);
            fill += take;
            data = &data[take..];
            if fill == RATE {
                absorb_full_block(&mut state, &block);
                fill = 0;
            }
        }
        let mut blocks = data.chunks_exact(RATE);
        for b in &mut blocks {
            absorb_full_block(&mut state, b);
        }
        let rest = blocks.remainder();
        block[fill..fill + rest.len()].copy_from_slice(rest);
        fill += rest.len();
    }
    // Keccak padding (pad10*1 with the original 0x01 domain byte).
    block[fill..].fill(0);
    block[fill] = 0x01;
    block[RATE - 1] |= 0x80;
    absorb_full_block(&mut state, &block);
    squeeze(&state)
}

/// Keccak-256 of one 256-byte sector: a leaf of every 0G Merkle tree.
///
/// Specialised for the fixed size: one full block, then 120 bytes plus padding, absorbed straight
/// from the input with no intermediate buffer.
#[inline]
pub fn hash_sector(sector: &[u8; crate::SECTOR_SIZE]) -> H256 {
    let mut state = [0u64; 25];
    let (first, second) = sector.split_at(RATE);
    absorb_full_block(&mut state, first);
    // 120 bytes = 15 lanes, then pad10*1: 0x01 opens lane 15, 0x80 closes lane 16.
    for (lane, bytes) in state.iter_mut().zip(second.chunks_exact(8)) {
        let mut w = [0u8; 8];
        w.copy_from_slice(bytes);
        *lane ^= u64::from_le_bytes(w);
    }
    state[15] ^= 0x01;
    state[RATE_LANES - 1] ^= 0x80 << 56;
    permute(&mut state);
    squeeze(&state)
}

/// Keccak-256 of an input shorter than one block (`N < 136`), absorbed lane by lane with no
/// buffering: the shape of every inner node (64 bytes) and of the seal mask chain (32 bytes).
#[inline]
fn hash_one_block<const N: usize>(parts: [&[u8; 32]; N]) -> H256 {
    let mut state = [0u64; 25];
    for (lane, bytes) in state
        .iter_mut()
        .zip(parts.iter().flat_map(|p| p.chunks_exact(8)))
    {
        let mut w = [0u8; 8];
        w.copy_from_slice(bytes);
        *lane = u64::from_le_bytes(w);
    }
    // pad10*1: the 0x01 domain byte right after the data, 0x80 closing the rate.
    state[4 * N] = 0x01;
    state[RATE_LANES - 1] |= 0x80 << 56;
    permute(&mut state);
    squeeze(&state)
}

/// Keccak-256 of `left || right`: an inner node of every 0G Merkle tree.
#[inline]
pub fn hash_pair(left: &H256, right: &H256) -> H256 {
    hash_one_block([&left.0, &right.0])
}

/// Keccak-256 of one 32-byte word (the 0G seal mask chain hashes one word at a time).
#[inline]
pub fn hash_word(word: &[u8; 32]) -> H256 {
    hash_one_block([word])
}

/// The table `Z[h]` of roots of all-zero subtrees of height `h` (0 ≤ h < 64):
/// `Z[0] = keccak(256 zero bytes)`, `Z[h] = keccak(Z[h-1] || Z[h-1])`.
pub fn zero_hashes() -> &'static [H256; ZERO_HASHES_LEN] {
    static TABLE: OnceLock<[H256; ZERO_HASHES_LEN]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = [H256::ZERO; ZERO_HASHES_LEN];
        t[0] = hash_sector(&[0u8; crate::SECTOR_SIZE]);
        for h in 1..ZERO_HASHES_LEN {
            t[h] = hash_pair(&t[h - 1], &t[h - 1]);
        }
        t
    })
}

/// `Z[h]`, the root of an all-zero subtree of height `h`; heights past 63 do not occur in 0G
/// (the flow holds at most 2^64 sectors) and return `None`.
pub fn zero_hash(height: u32) -> Option<H256> {
    zero_hashes().get(usize::try_from(height).ok()?).copied()
}

/// `keccak("")`: 0G's `EMPTY_HASH`, meaning "no context".
pub fn empty_hash() -> H256 {
    keccak256(&[])
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha3::Digest;

    fn reference(data: &[u8]) -> H256 {
        let out: [u8; 32] = Keccak256::digest(data).into();
        H256(out)
    }

    #[test]
    fn sponge_matches_sha3_for_every_length_to_three_blocks() {
        let data: Vec<u8> = (0..3 * RATE + 7).map(|i| (i * 31 + 7) as u8).collect();
        for len in 0..data.len() {
            assert_eq!(
                keccak256(&data[..len]),
                reference(&data[..len]),
                "len {len}"
            );
            // Any split into parts gives the same digest.
            let cut = len / 3;
            assert_eq!(
                keccak256_parts(&[&data[..cut], &[], &data[cut..len]]),
                reference(&data[..len])
            );
        }
    }

    #[test]
    fn hash_sector_matches_sha3() {
        for seed in 0..8u8 {
            let sector: [u8; 256] = core::array::from_fn(|i| (i as u8).wrapping_mul(seed) ^ seed);
            assert_eq!(hash_sector(&sector), reference(&sector));
        }
    }

    #[test]
    fn hash_word_matches_sha3() {
        for seed in 0..8u8 {
            let word: [u8; 32] = core::array::from_fn(|i| (i as u8).wrapping_mul(seed) ^ 0x5a);
            assert_eq!(hash_word(&word), reference(&word));
        }
    }

    #[test]
    fn hash_pair_is_keccak_of_concatenation() {
        let a = H256([7; 32]);
        let b = H256([9; 32]);
        let mut cat = [0u8; 64];
        cat[..32].copy_from_slice(&a.0);
        cat[32..].copy_from_slice(&b.0);
        assert_eq!(hash_pair(&a, &b), reference(&cat));
    }

    #[test]
    fn zero_table_matches_0g_constants() {
        let hex = |s: &str| H256::from_hex(s).unwrap();
        assert_eq!(
            empty_hash(),
            hex("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
        );
        let z = zero_hashes();
        assert_eq!(
            z[0],
            hex("d397b3b043d87fcd6fad1291ff0bfd16401c274896d8c63a923727f077b8e0b5")
        );
        assert_eq!(
            z[1],
            hex("f73e6947d7d1628b9976a6e40d7b278a8a16405e96324a68df45b12a51b7cfde")
        );
        assert_eq!(
            z[10],
            hex("e68d02859bb6211cec64f52368b77d422de3b8eac34bf615942b814b643301b5")
        );
        assert_eq!(
            z[63],
            hex("b48a92d40b61dc995ceecee4cded6415050dcece448b1e0b5e5b6a0e6981f3ef")
        );
        assert_eq!(zero_hash(64), None);
    }
}
