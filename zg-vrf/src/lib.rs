//! zg-vrf: RFC 9381 ECVRF, stake-weighted sortition and an epoch beacon, for un-grindable
//! committee selection.
//!
//! # What it is
//!
//! - [`ecvrf`](crate::ecvrf_prove): **ECVRF-EDWARDS25519-SHA512-TAI** (RFC 9381 §5, suite
//!   `0x03`) and **-ELL2** (suite `0x04`, via [`Suite::Ell2`]) on curve25519-dalek: keys from a
//!   32-byte seed ([`SecretKey`], zeroized on drop), 80-byte proofs ([`Proof`]), 64-byte outputs,
//!   with every validation step of the RFC and strict RFC 8032 encodings (non-canonical points,
//!   `x = 0` with a sign bit, small-order keys and `s ≥ q` are all rejected).
//! - [`batch`]: verification of many proofs with one multiscalar multiplication and random
//!   128-bit weights, bisecting to find the bad ones; verdicts are exactly the RFC verifier's.
//! - [`sortition`]: seats ~ `Binomial(w, τ/W)` from a VRF output and a stake, computed with
//!   integer arithmetic only (bit-identical on every platform), with a documented error bound.
//! - [`stake`]: the workspace's one [`StakeTable`] (node id, stake, VRF key, BLS key with its
//!   proof of possession; validated when built) that consensus, DA and alignment committees
//!   all read, and [`NodeKeys`], the one way to derive a node's keys from a seed.
//! - [`committee`]: for an (epoch, seed, role) and a [`StakeTable`], each member proves its
//!   eligibility privately; anyone assembles and checks the committee from the claims.
//! - [`beacon`]: the next epoch seed from the current one and the revealed outputs, with a rule
//!   (only the smallest output counts) that bounds a last revealer's bias; analysis in the module.
//!
//! # What it is not
//!
//! Not a network protocol: it never sends, stores or times anything. Collecting claims before
//! a deadline, publishing seeds and slashing are the host's job. No other RFC 9381 suites
//! (P-256, RSA). Proving is constant time in the secret key (curve25519-dalek's constant-time
//! scalar multiplication); verification, batch verification and sortition are variable time
//! on public data.
//!
//! # Example
//!
//! ```
//! use zg_core::{Amount, Epoch, H256, NodeId};
//! use zg_vrf::{
//!     NodeKeys, SecretKey, Selection, StakeTable, assemble_committee, compute_eligibility,
//!     ecvrf_verify, next_seed_from_committee,
//! };
//!
//! // RFC 9381 itself: prove, then verify from bytes.
//! let sk = SecretKey::from_bytes(&[7u8; 32]);
//! let proof = sk.prove(b"hello")?;
//! let beta = ecvrf_verify(sk.public_key().as_bytes(), proof.as_bytes(), b"hello")?;
//! assert_eq!(beta, proof.proof_to_hash());
//!
//! // The stake table: ten nodes with 1..=10 units of stake. Each derives its VRF and BLS keys
//! // from one seed and registers both (the BLS key with its proof of possession, checked here).
//! let nodes: Vec<NodeKeys> = (1..=10u64).map(|i| NodeKeys::derive(b"example", NodeId(i))).collect();
//! let table = StakeTable::new(
//!     Epoch(1),
//!     nodes.iter().map(|k| k.entry(Amount::new(u128::from(k.node.0)))).collect(),
//!     Amount::new(1),
//! )?;
//! // A committee with 4 seats expected.
//! let selection = Selection {
//!     epoch: Epoch(1),
//!     seed: H256::new([0xab; 32]),
//!     role: "da-signer".into(),
//!     expected_seats: 4,
//! };
//! // Each member, privately: am I in? If so, publish the claim.
//! let mut claims = Vec::new();
//! for keys in &nodes {
//!     let e = compute_eligibility(&keys.vrf, &table, &selection)?;
//!     if e.seats > 0 {
//!         claims.push(e.claim);
//!     }
//! }
//! // Anyone: check every claim (one batch) and assemble. The seed for the batch weights
//! // should be fresh randomness; the committee does not depend on it.
//! let (committee, rejected) = assemble_committee(&table, &selection, &claims, &[42; 32])?;
//! assert!(rejected.is_empty());
//! assert_eq!(committee.members.len(), claims.len());
//! // The beacon: the same selection for the "beacon" role, then next epoch's seed from the
//! // outputs it revealed.
//! let beacon = Selection { role: zg_vrf::BEACON_ROLE.into(), ..selection.clone() };
//! let mut reveals = Vec::new();
//! for keys in &nodes {
//!     let e = compute_eligibility(&keys.vrf, &table, &beacon)?;
//!     if e.seats > 0 {
//!         reveals.push(e.claim);
//!     }
//! }
//! let (contributors, _) = assemble_committee(&table, &beacon, &reveals, &[43; 32])?;
//! let next = next_seed_from_committee(&contributors)?;
//! assert_ne!(next, selection.seed);
//! assert!(next_seed_from_committee(&committee).is_err(), "not the beacon role");
//! # Ok::<(), zg_vrf::Error>(())
//! ```
//!
//! # Features
//!
//! - `parallel` (off by default): [`verify_batch`] spreads its per-item work and its
//!   multiscalar multiplication over the rayon thread pool. A pure function either way; the
//!   verdicts do not change.
//!
//! The crate is `std` and sans-IO; randomness is always an argument (a CSPRNG for
//! [`SecretKey::generate`], a seed for [`verify_batch`]).
//!
//! # Panics and safety
//!
//! `#![forbid(unsafe_code)]`. No function panics on any input: keys, proofs and parameters
//! from the wire get an [`Error`]; verification failures are the opaque
//! [`Error::InvalidProof`]. Secret keys and nonces are zeroized after use.
//!
//! # Performance
//!
//! Criterion medians on a quiet 2-core x86-64 machine, next to `vrf-rfc9381` (same suite,
//! same curve library): prove 101 µs vs 138 µs (0.73×), verify from bytes 86 µs vs 190 µs
//! (0.45×). Batch verification of 1024 proofs: 49 ms on one thread (0.63× of verifying them one
//! by one), bounded below by the square roots each item needs (see [`batch`]); 26 ms with the
//! `parallel` feature on 2 threads (0.33×). Sortition: about 2 µs for a small holder, growing
//! with the holder's expected seats.
//! `cargo bench -p zg-benches --bench vrf`.
#![forbid(unsafe_code)]

pub mod batch;
pub mod beacon;
pub mod committee;
mod ecvrf;
mod error;
pub mod sortition;
pub mod stake;

pub use batch::{BatchItem, BatchableProof, verify_batch};
pub use beacon::{BEACON_ROLE, next_seed, next_seed_from_committee};
pub use committee::{
    Committee, CommitteeMember, Eligibility, EligibilityClaim, RejectedClaim, Selection,
    assemble_committee, check_committee, committee_alpha, compute_eligibility,
};
pub use ecvrf::{
    OUTPUT_LEN, Output, PROOF_LEN, PUBLIC_KEY_LEN, Proof, PublicKey, SECRET_KEY_LEN, SecretKey,
    Suite, ecvrf_proof_to_hash, ecvrf_prove, ecvrf_verify,
};
pub use error::Error;
pub use sortition::{SortitionParams, sortition_seats, verify_sortition};
pub use stake::{NodeKeys, StakeEntry, StakeTable};
