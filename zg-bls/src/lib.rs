//! zg-bls: BLS12-381 aggregate signatures for zg's committees — one [`Scheme`] seam, the
//! production [`Bls`] scheme on `blst`, signer bitmaps, aggregate certificates checked with one
//! pairing equation, and optimistic aggregate verification that bisects to the bad signatures.
//!
//! Consensus commit certificates, DA quorum certificates and alignment epoch reports are all
//! "many members signed one message": this crate is that, once, so those lanes depend on a
//! primitive instead of on each other.
//!
//! # What it is
//!
//! * [`Scheme`] — what a protocol needs from an aggregate signature scheme: keys from a seed,
//!   sign, proofs of possession, aggregate keys and signatures, batch verification where every
//!   equation must hold on its own, strict decoders. [`BatchItem`] is one equation of a batch.
//! * [`Bls`] — BLS12-381 in Ethereum's ciphersuite ("minimal-pubkey-size": keys in G1,
//!   signatures in G2, DSTs [`DST_SIGNATURE`] and [`DST_POP`]), proofs of possession, keys
//!   validated on decode (on the curve, in the subgroup, not the identity), secret keys
//!   zeroized on drop (blst), verification on blst's single-threaded `Pairing` (no thread pool).
//! * [`SignerBitmap`] — one bit per member of an ordered set, indexed by [`ValidatorIndex`],
//!   with a canonical wire form.
//! * [`AggregateCertificate`] — a bitmap and one aggregate signature over one message, checked
//!   against `(key, weight)` members with a required weight: one pairing equation.
//! * [`verify_optimistic`] and the generic [`bisect`] — check all signatures as one aggregate,
//!   and only on failure split until every bad signature is isolated (`O(b log k)` checks for
//!   `b` bad among `k`). [`Strictness`] chooses between proving the set valid and proving each
//!   signature valid (see [Threat model](#threat-model)).
//! * `InsecureTestScheme` (feature `insecure-test-scheme`, tests only) — a keyed hash with
//!   BLS's algebra and no unforgeability, so seeded mass simulations run fast.
//!
//! # What it is not
//!
//! Not a key store or a registry: admitting a key (checking its proof of possession once, and
//! refusing duplicates) is the job of whoever builds the member list — zg-vrf's stake table
//! does it for the workspace. No threshold (t-of-n secret-shared) signatures, no other curves
//! or ciphersuites, no networking.
//!
//! # Example
//!
//! Four members register keys with proofs of possession, sign one message (one of them sends
//! a bad signature), the signatures are aggregated with bisection, the certificate travels as
//! bytes and is verified with one pairing equation; then a rogue-key attempt fails.
//!
//! ```
//! use zg_bls::{
//!     AggregateCertificate, Bls, BlsSecretKey, Error, Scheme, SignerBitmap, Strictness,
//!     ValidatorIndex, verify_optimistic,
//! };
//!
//! # fn main() -> Result<(), Error> {
//! // Keygen: every member derives its key and proves possession; the registry checks each
//! // proof once, before the key becomes a member.
//! let secrets: Vec<BlsSecretKey> = (1..=4u8).map(|i| Bls::secret_key_from_seed(&[i; 32])).collect();
//! let mut members = Vec::new();
//! for sk in &secrets {
//!     let (key, proof) = (Bls::public_key(sk), Bls::prove_possession(sk));
//!     assert!(Bls::verify_possession(&key, &proof));
//!     members.push((key, 1u128)); // (key, weight)
//! }
//!
//! // Sign: the message names its domain (protocol, epoch, what is attested).
//! let message = b"example/attestation/epoch-7/payload-42";
//! let mut signatures: Vec<(ValidatorIndex, _)> = secrets
//!     .iter()
//!     .enumerate()
//!     .map(|(i, sk)| (ValidatorIndex(i as u16), Bls::sign(sk, message)))
//!     .collect();
//! // Member 2 signs something else.
//! signatures[2].1 = Bls::sign(&secrets[2], b"something else");
//!
//! // Aggregate: one check for all four fails, bisection isolates member 2.
//! let outcome = verify_optimistic::<Bls>(&members, message, &signatures, Strictness::Set)?;
//! assert_eq!(outcome.rejected, vec![ValidatorIndex(2)]);
//! let certificate = outcome.certificate().ok_or(Error::NoSigners)?;
//!
//! // The certificate as bytes, and anyone's check: one pairing equation, weight 3 of 4.
//! let bytes = certificate.to_bytes();
//! assert_eq!(bytes.len(), AggregateCertificate::<Bls>::encoded_len(4));
//! let received = AggregateCertificate::<Bls>::from_bytes(&bytes)?;
//! assert_eq!(received.verify(&members, message, 3)?, 3);
//! assert_eq!(received.verify(&members, b"another payload", 3), Err(Error::InvalidSignature));
//! assert!(matches!(
//!     received.verify(&members, message, 4),
//!     Err(Error::InsufficientWeight { signed: 3, required: 4 })
//! ));
//!
//! // A rogue-key attempt. The attacker registers pk_r = pk_attacker − pk_victim, so that the
//! // aggregate of {victim, rogue} is its own key and it can "co-sign" for the victim alone.
//! // (Small scalars keep the example short: 12 − 5 = 7. A real attacker subtracts the public
//! // points and never knows pk_r's secret.)
//! let scalar = |x: u8| {
//!     let mut b = [0u8; 32];
//!     b[31] = x;
//!     BlsSecretKey::from_bytes(&b).ok_or(Error::Malformed("scalar"))
//! };
//! let victim = Bls::public_key(&scalar(5)?);
//! let attacker = scalar(12)?;
//! let rogue = Bls::public_key(&scalar(7)?);
//! let mut both = SignerBitmap::new(2);
//! both.insert(ValidatorIndex(0));
//! both.insert(ValidatorIndex(1));
//! let forged = AggregateCertificate::<Bls> { signers: both, signature: Bls::sign(&attacker, message) };
//! // Had the rogue key been admitted without a proof, the forgery would verify:
//! assert_eq!(forged.verify(&[(victim, 1), (rogue.clone(), 1)], message, 2)?, 2);
//! // It is not: the attacker cannot prove possession of pk_r (its own proof is for its own key),
//! // so the registry refuses the key and the forged certificate never meets a verifier that
//! // counts it.
//! assert!(!Bls::verify_possession(&rogue, &Bls::prove_possession(&attacker)));
//! # Ok(())
//! # }
//! ```
//!
//! # Threat model
//!
//! * **Who sends what.** Members send signatures; anyone may present a certificate or bytes
//!   claiming to be one. Neither is trusted: every signature and certificate is verified
//!   against member keys the verifier holds, over a message the verifier builds from its own
//!   values (so a certificate of another payload, epoch or domain does not verify).
//! * **Keys.** [`Scheme::decode_public_key`] validates keys fully (`KeyValidate`); a key is a
//!   member only after its proof of possession checked (a signature over the key under its
//!   own DST, [`DST_POP`]), which defeats rogue-key attacks on same-message aggregation
//!   (example above). Decoding is canonical: one key, one byte string.
//! * **Signatures.** Decoding checks the point is on the curve; the subgroup check runs on the
//!   aggregate inside verification, and a failing aggregate is bisected, so a signature outside
//!   the subgroup is never accepted. Batches of different messages carry 64-bit randomisers
//!   derived from a hash of the whole batch, so each equation must hold on its own.
//! * **Set, not each.** An aggregate check proves the *set* of signers signed; colluding
//!   members can shift signature mass between them (`s_B + X`, `s_C − X`) and still pass
//!   together. Certificates only claim the set, so this is harmless there; anything used on its
//!   own later (evidence, a receipt, one member's vote shown to a third party) must be verified
//!   on its own ([`Strictness::Each`] or [`Scheme::verify`]).
//! * **Bounds.** [`verify_optimistic`] costs `1 + 2·b·⌈log₂ k⌉` checks at most for `b` bad
//!   signatures among `k`, and memory linear in `k`; it refuses duplicate and out-of-range
//!   indices instead of guessing. Member lists are at most `u16::MAX` long.
//! * **Out of scope.** Side channels of signing (blst's constant-time scalar multiplication is
//!   relied on), key storage, and deciding which message a protocol signs.
//!
//! # Features
//!
//! * `insecure-test-scheme` — `InsecureTestScheme`, `InsecureKey`, `InsecureSignature`: a
//!   linear keyed hash (`pk = sk`, `σ = sk·H(m)` in a prime field) for seeded mass simulations.
//!   **Not a signature scheme**: a public key is its secret key. Tests, benches and fuzzing
//!   only; no shipped binary enables it.
//!
//! # Panics and safety
//!
//! `#![forbid(unsafe_code)]`; blst's FFI stays behind blst's safe API. No function panics on
//! any input: decoders return `None` or an [`Error`], verification failures are the opaque
//! [`Error::InvalidSignature`] (or `false`). Secret keys zeroize on drop.
#![forbid(unsafe_code)]
// Test code may truncate freely: a wrong cast there fails the test, not a user.
#![cfg_attr(test, allow(clippy::cast_possible_truncation))]

mod bitmap;
mod bls;
mod certificate;
mod error;
#[cfg(feature = "insecure-test-scheme")]
mod insecure;
mod optimistic;
mod scheme;

pub use bitmap::{SignerBitmap, ValidatorIndex};
pub use bls::{Bls, BlsPublicKey, BlsSecretKey, BlsSignature, DST_POP, DST_SIGNATURE};
pub use certificate::AggregateCertificate;
pub use error::Error;
#[cfg(feature = "insecure-test-scheme")]
pub use insecure::{InsecureKey, InsecureSignature, InsecureTestScheme};
pub use optimistic::{Bisection, Optimistic, Strictness, bisect, verify_optimistic};
pub use scheme::{BatchItem, Scheme};
