//! Sealing: binding 4 KiB of flow data to one miner (0G-FORMATS §4).
//!
//! A seal is 128 words of 32 bytes. With
//! `mask₀ = keccak(minerId ‖ contextDigest ‖ 24 zero bytes ‖ u64be(startSector))`
//! (Solidity `keccak256(abi.encode(minerId, sealedContextDigest, recallPosition))`, `MineLib.unseal`),
//! sealing runs the chain `wᵢ ^= maskᵢ; maskᵢ₊₁ = keccak(sealed wᵢ)` in order, so it is
//! sequential. Unsealing needs only sealed words — `maskᵢ = keccak(sealed wᵢ₋₁)` — so every word
//! unseals on its own (word-parallel), and any suffix of a seal unseals given the sealed word
//! just before it ([`unseal_suffix`]).
//!
//! `startSector` is `sealIndex × 16`, and the context is the epoch whose sector range holds the
//! seal's **last** sector (`Flow.getEpochRange`, the 0G node's sealer).

use zg_core::H256;
use zg_core::tree::{SEAL_SIZE, SECTORS_PER_SEAL};

use crate::hash::keccak_word;

/// Bytes in one word of the mask chain.
pub const WORD_SIZE: usize = 32;
/// Words in a seal (`UNITS_PER_SEAL` in `ZgsSpec.sol`).
pub const WORDS_PER_SEAL: usize = SEAL_SIZE / WORD_SIZE;

/// The first mask of the seal starting at `start_sector`:
/// `keccak(minerId ‖ contextDigest ‖ 24 zero bytes ‖ u64be(startSector))`.
pub fn first_mask(miner_id: &H256, context_digest: &H256, start_sector: u64) -> [u8; 32] {
    let mut seed = [0u8; 96];
    seed[..32].copy_from_slice(&miner_id.0);
    seed[32..64].copy_from_slice(&context_digest.0);
    seed[88..].copy_from_slice(&start_sector.to_be_bytes());
    zg_core::keccak256(&seed).0
}

/// The start sector of seal `seal_index` (`seal_index × 16`), or `None` on overflow.
pub const fn seal_start_sector(seal_index: u64) -> Option<u64> {
    seal_index.checked_mul(SECTORS_PER_SEAL)
}

/// Seals `data` in place with the chain that starts at `first_mask`.
pub fn seal_with_mask(data: &mut [u8; SEAL_SIZE], first_mask: &[u8; 32]) {
    let mut mask = *first_mask;
    for word in data.as_chunks_mut::<WORD_SIZE>().0 {
        xor_word(word, &mask);
        mask = keccak_word(word);
    }
}

/// Unseals `data` in place; `first_mask` is the mask of its first word.
pub fn unseal_with_mask(data: &mut [u8; SEAL_SIZE], first_mask: &[u8; 32]) {
    unseal_words(data.as_chunks_mut::<WORD_SIZE>().0, first_mask);
}

/// Seals one 4 KiB seal for `miner_id` under `context_digest`, starting at `start_sector`.
///
/// ```
/// use zg_core::H256;
/// let miner = H256([1; 32]);
/// let context = H256([2; 32]);
/// let mut data = [7u8; 4096];
/// zg_pora::seal(&mut data, &miner, &context, 176);
/// assert_ne!(data, [7u8; 4096]);
/// zg_pora::unseal(&mut data, &miner, &context, 176);
/// assert_eq!(data, [7u8; 4096]);
/// ```
pub fn seal(data: &mut [u8; SEAL_SIZE], miner_id: &H256, context_digest: &H256, start_sector: u64) {
    seal_with_mask(data, &first_mask(miner_id, context_digest, start_sector));
}

/// Unseals one 4 KiB seal: the inverse of [`seal`] with the same arguments.
pub fn unseal(
    data: &mut [u8; SEAL_SIZE],
    miner_id: &H256,
    context_digest: &H256,
    start_sector: u64,
) {
    unseal_with_mask(data, &first_mask(miner_id, context_digest, start_sector));
}

/// Unseals a suffix of a seal in place, given the **sealed** word just before it.
///
/// `suffix` holds whole sealed words (its length a multiple of 32); every word's mask is the
/// Keccak of the sealed word before it, so no other part of the seal is needed. Returns
/// [`SuffixLengthError`] for a length that is not a whole number of words.
///
/// ```
/// use zg_core::H256;
/// let (miner, context) = (H256([1; 32]), H256([2; 32]));
/// let plain: [u8; 4096] = core::array::from_fn(|i| i as u8);
/// let mut sealed = plain;
/// zg_pora::seal(&mut sealed, &miner, &context, 0);
/// // Unseal words 10.. knowing only sealed word 9.
/// let prev: [u8; 32] = sealed[288..320].try_into().unwrap();
/// let mut tail = sealed[320..].to_vec();
/// zg_pora::unseal_suffix(&mut tail, &prev)?;
/// assert_eq!(tail, plain[320..]);
/// # Ok::<(), zg_pora::SuffixLengthError>(())
/// ```
pub fn unseal_suffix(
    suffix: &mut [u8],
    prev_sealed_word: &[u8; 32],
) -> Result<(), SuffixLengthError> {
    let (words, rest) = suffix.as_chunks_mut::<WORD_SIZE>();
    if !rest.is_empty() {
        return Err(SuffixLengthError {
            len: words.len() * WORD_SIZE + rest.len(),
        });
    }
    unseal_words(words, &keccak_word(prev_sealed_word));
    Ok(())
}

/// A sealed suffix whose length is not a multiple of 32 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("sealed suffix of {len} bytes is not a whole number of 32-byte words")]
pub struct SuffixLengthError {
    /// The length given.
    pub len: usize,
}

/// Unseals words whose first mask is `first_mask`. Each later mask is the Keccak of the sealed
/// word before it, computed before that word is overwritten: no word waits on another's result.
fn unseal_words(words: &mut [[u8; WORD_SIZE]], first_mask: &[u8; 32]) {
    let mut mask = *first_mask;
    for word in words {
        let next = keccak_word(word);
        xor_word(word, &mask);
        mask = next;
    }
}

#[inline]
fn xor_word(word: &mut [u8; WORD_SIZE], mask: &[u8; 32]) {
    for (w, m) in word.iter_mut().zip(mask) {
        *w ^= m;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The obviously-correct reference: the contract's loop, word by word, over `zg_core::keccak256`.
    fn unseal_reference(sealed: &[u8; SEAL_SIZE], first: &[u8; 32]) -> [u8; SEAL_SIZE] {
        let mut out = [0u8; SEAL_SIZE];
        for i in 0..WORDS_PER_SEAL {
            let mask = if i == 0 {
                *first
            } else {
                zg_core::keccak256(&sealed[(i - 1) * 32..i * 32]).0
            };
            for j in 0..32 {
                out[i * 32 + j] = sealed[i * 32 + j] ^ mask[j];
            }
        }
        out
    }

    #[test]
    fn unseal_matches_the_contract_loop() {
        let plain: [u8; SEAL_SIZE] = core::array::from_fn(|i| (i * 7 + 3) as u8);
        let mask = first_mask(&H256([9; 32]), &H256([4; 32]), 32);
        let mut sealed = plain;
        seal_with_mask(&mut sealed, &mask);
        assert_eq!(unseal_reference(&sealed, &mask), plain);
        let mut unsealed = sealed;
        unseal_with_mask(&mut unsealed, &mask);
        assert_eq!(unsealed, plain);
    }

    #[test]
    fn suffix_length_is_checked() {
        let mut odd = [0u8; 33];
        assert_eq!(
            unseal_suffix(&mut odd, &[0; 32]),
            Err(SuffixLengthError { len: 33 })
        );
        let mut empty: [u8; 0] = [];
        assert_eq!(unseal_suffix(&mut empty, &[0; 32]), Ok(()));
    }

    #[test]
    fn start_sector_overflow() {
        assert_eq!(seal_start_sector(11), Some(176));
        assert_eq!(seal_start_sector(u64::MAX / 8), None);
    }
}
