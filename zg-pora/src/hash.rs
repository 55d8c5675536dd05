//! The two hash functions of PoRA, in the shapes its hot loops call them.
//!
//! * Keccak-256 of one 32-byte word (the seal mask chain, 128 calls per seal) is zg-core's
//!   one-block [`hash_word`](zg_core::hash_word), tested here against `sha3::Keccak256`.
//! * Keccak-256 of 64 bytes is zg-core's [`hash_pair`](zg_core::hash_pair).
//! * BLAKE2b-512 comes from the `blake2` crate (RustCrypto), as the 0G node uses it.

use blake2::{Blake2b512, Digest};
use zg_core::H256;

/// Keccak-256 of exactly 32 bytes (zg-core's one-block path).
#[inline]
pub(crate) fn keccak_word(word: &[u8; 32]) -> [u8; 32] {
    zg_core::hash_word(word).0
}

/// BLAKE2b-512 of the concatenation of `parts`.
#[inline]
pub(crate) fn blake2b_512(parts: &[&[u8]]) -> [u8; 64] {
    let mut h = Blake2b512::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// `keccak(a || b)` for two 32-byte words.
#[inline]
pub(crate) fn keccak_pair(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    zg_core::hash_pair(&H256(*a), &H256(*b)).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keccak_word_matches_sha3() {
        for seed in 0..32u8 {
            let word: [u8; 32] = core::array::from_fn(|i| (i as u8).wrapping_mul(seed) ^ 0x5a);
            let want: [u8; 32] = sha3::Keccak256::digest(word).into();
            assert_eq!(keccak_word(&word), want);
        }
    }

    #[test]
    fn blake2b_parts_concatenate() {
        let whole = blake2b_512(&[b"hello world"]);
        assert_eq!(blake2b_512(&[b"hello", b" ", b"world"]), whole);
        // RFC 7693 Appendix A: BLAKE2b-512("abc").
        assert_eq!(
            hex_string(&blake2b_512(&[b"abc"])),
            "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1\
             7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"
        );
    }

    fn hex_string(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
}
