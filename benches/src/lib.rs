//! Shared helpers for the zg criterion benches.

/// Deterministic pseudo-random bytes (xorshift64), so every bench hashes the same input.
pub fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A deterministic EIP-4844 blob (131,072 bytes): [`pseudo_random`] bytes with the top byte of
/// every 32-byte field element cleared, so every element is canonical (below the field modulus).
pub fn blob_bytes(seed: u64) -> Vec<u8> {
    let mut bytes = pseudo_random(131_072, seed);
    for element in bytes.chunks_mut(32) {
        element[0] = 0;
    }
    bytes
}
