//! The signature scheme seam: everything the protocol needs from signatures, in one small trait.
//!
//! The production scheme is [`Bls`](crate::Bls) (BLS12-381, Ethereum's ciphersuite). The trait
//! exists so that the consensus logic is written once and can also run under
//! `InsecureTestScheme` (feature `insecure-test-scheme`), a keyed hash that makes thousands of
//! seeded whole-protocol simulations cheap. See the crate docs for what each is used for.

use core::fmt::Debug;
use core::hash::Hash;

/// One equation of a batch: `signature` is the (aggregate) signature of `public_key` (an
/// aggregate key) over `message`.
#[derive(Debug)]
pub struct BatchItem<'a, S: Scheme> {
    /// The signed message.
    pub message: &'a [u8],
    /// The signer's key, or the sum of the signers' keys.
    pub public_key: &'a S::PublicKey,
    /// The signature, or the sum of the signers' signatures.
    pub signature: &'a S::Signature,
}

/// What the protocol needs from a signature scheme with aggregation.
///
/// Requirements an implementation must meet:
/// * public keys returned by [`Scheme::decode_public_key`] are fully validated (for BLS: on the
///   curve, in the prime-order subgroup, not the identity), and keys enter a validator set only
///   with a valid proof of possession, so aggregating keys is safe against rogue-key attacks;
/// * [`Scheme::verify_batch`] accepts a batch only if (with overwhelming probability) **every**
///   item's equation holds, not merely their sum; it must not spawn threads or read global
///   randomness (derive any randomisers from the inputs);
/// * decoding never panics on any input.
///
/// The marker type itself carries no data; the `Clone`/`Eq`/`Hash`/`Debug` bounds only let
/// `#[derive]`s on the generic message types work.
pub trait Scheme:
    Clone + Copy + Debug + PartialEq + Eq + Hash + Default + Send + Sync + 'static
{
    /// A short name for reports ("bls12-381-min-pk", …).
    const NAME: &'static str;
    /// Bytes of an encoded public key.
    const PUBLIC_KEY_LEN: usize;
    /// Bytes of an encoded signature on the wire.
    const SIGNATURE_LEN: usize;

    /// A secret key; zeroized on drop.
    type SecretKey;
    /// A validated public key (or an aggregate of validated keys).
    type PublicKey: Clone + PartialEq + Eq + Hash + Ord + Debug + Send + Sync;
    /// A signature (or an aggregate of signatures).
    type Signature: Clone + PartialEq + Eq + Hash + Debug + Send + Sync;

    /// Derives a secret key from 32 bytes of key material (deterministic).
    fn secret_key_from_seed(seed: &[u8; 32]) -> Self::SecretKey;
    /// The public key of a secret key.
    fn public_key(secret: &Self::SecretKey) -> Self::PublicKey;
    /// Signs `message`.
    fn sign(secret: &Self::SecretKey, message: &[u8]) -> Self::Signature;
    /// A proof of possession of `secret` (a signature over the public key, separate domain).
    fn prove_possession(secret: &Self::SecretKey) -> Self::Signature;
    /// Checks a proof of possession.
    fn verify_possession(public_key: &Self::PublicKey, proof: &Self::Signature) -> bool;
    /// Sums signatures; `None` for an empty input.
    fn aggregate_signatures<'a, I>(signatures: I) -> Option<Self::Signature>
    where
        I: IntoIterator<Item = &'a Self::Signature>;
    /// Sums public keys; `None` for an empty input.
    fn aggregate_public_keys<'a, I>(keys: I) -> Option<Self::PublicKey>
    where
        I: IntoIterator<Item = &'a Self::PublicKey>;
    /// Checks every item of a batch at once (one multi-pairing for BLS). An empty batch is
    /// `true`.
    fn verify_batch(items: &[BatchItem<'_, Self>]) -> bool;
    /// One signature (or aggregate) over one message.
    fn verify(public_key: &Self::PublicKey, message: &[u8], signature: &Self::Signature) -> bool {
        Self::verify_batch(&[BatchItem {
            message,
            public_key,
            signature,
        }])
    }
    /// Appends the public key's canonical encoding ([`Scheme::PUBLIC_KEY_LEN`] bytes).
    fn encode_public_key(key: &Self::PublicKey, out: &mut Vec<u8>);
    /// Decodes and fully validates a public key.
    fn decode_public_key(bytes: &[u8]) -> Option<Self::PublicKey>;
    /// Appends the signature's wire encoding ([`Scheme::SIGNATURE_LEN`] bytes).
    fn encode_signature(signature: &Self::Signature, out: &mut Vec<u8>);
    /// Decodes a signature. Cheap checks only (for BLS: on the curve); the prime-order subgroup
    /// check happens on the aggregate inside [`Scheme::verify_batch`].
    fn decode_signature(bytes: &[u8]) -> Option<Self::Signature>;
}

/// 64-bit batch randomisers derived from a transcript of the batch: the caller hashes every
/// item's message, key and signature encodings, so the coefficients are fixed only after the
/// inputs are (the usual derandomisation of small-exponent batch verification).
pub(crate) fn batch_randomisers(transcript: &zg_core::H256, count: usize) -> Vec<[u8; 8]> {
    (0..count)
        .map(|i| {
            let h = zg_core::keccak256_parts(&[
                b"zgc/batch-randomiser",
                transcript.as_bytes(),
                &(i as u64).to_be_bytes(),
            ]);
            let mut r = [0u8; 8];
            r.copy_from_slice(&h.0[..8]);
            // Never zero, so no item can be multiplied away.
            r[0] |= 1;
            r
        })
        .collect()
}
