//! zg-da: the DA publishing lane — payloads to KZG cells, a VRF-chosen signer committee with
//! public custody, signers that attest only to what they verified and stored, light-client
//! sampling with a stated confidence, and reconstruction from any half of the cells.
//!
//! # What it is
//! - [`payload`]: the fixed payload format (issue 12, item 1): `u64_be(len) || payload` framed
//!   into EIP-4844 blobs of 31-byte elements, each blob's commitment and 128 EIP-7594 cells with
//!   proofs (zg-kzg), the payload id `keccak256(u64_be(len) || commitments)`, columns (cell `j`
//!   of every blob) and the canonical [`Header`] with a strict decoder and the payload's 0G file
//!   root. [`reconstruct_payload`] rebuilds the bytes from any 64 valid cells per blob.
//! - [`custody`]: who holds which columns in an epoch, from a zg-vrf committee: every column is
//!   held by at least `r` seats, by construction.
//! - [`certificate`]: the epoch's [`DaCommittee`] (claims checked against the stake table and
//!   epoch seed, custody, BLS keys) and the quorum [`Certificate`] — canonical bytes of stated
//!   size, checked with one pairing equation, forgeries rejected with typed errors; its hash is
//!   what a consensus partition orders.
//! - Machines (sans-IO, `zg_core::machine`): [`Signer`] (a DA node: verify, persist, then sign),
//!   [`Aggregator`] (disperse, resend, aggregate optimistically with zg-bls, certify once
//!   `⌈2N/3⌉` seats signed and every column has `k` signers), [`Sampler`] (a light client: `s`
//!   random cells per blob, `Available { confidence }` with the exact bound of
//!   [`false_available_bound`]) and [`Reconstructor`] (fetch, recover, check). Each module
//!   states its driving contract; the sampler and reconstructor modules drive theirs in a
//!   doctest, and `tests/` drives all four.
//! - The whole lane runs in the zg-core simulator in zg-testkit's `da` harness (Byzantine,
//!   withholding and refusing members, lossy links, a crash); `zg da simulate` runs it.
//!
//! # What it is not
//! No I/O: the host moves messages, persists records and signs (the [`Signer`] asks its host
//! to sign [`attestation_message`], so a key may live in a remote signer). The live 0G DA
//! network's BN254 formats are the separate 0G mode below, not this lane.
//!
//! **0G mode** (feature `zerog`, module `zerog`): the live 0G DA network's own rules on BN254 —
//! blob padding and the rate-1/3 coset extension of 0g-da-encoder, the data root over the encoded
//! blob, reconstruction from any third of the rows, the chain's signer registration hashes,
//! try-and-increment hash-to-G1, the γ same-message BLS check, and quorum formation with
//! `getAggPkG1`. Feature `parallel` spreads its encoding over the rayon pool.
//!
//! # Example
//! ```
//! use std::sync::Arc;
//! use zg_core::{H256, NodeId};
//! use zg_da::{Custody, SeatHolder, encode_payload, reconstruct_payload, verify_cells};
//! use zg_kzg::KzgSettings;
//!
//! let kzg = KzgSettings::mainnet()?;
//! let bytes = b"rollup batch #1".to_vec();
//! let payload = encode_payload(&kzg, &bytes)?;
//! let header = payload.header();
//! assert_eq!(header.blobs(), 1);
//! assert_eq!(zg_da::Header::from_bytes(&header.to_bytes())?, *header);
//!
//! // Custody over a committee of four seats, every column held by at least two seats.
//! let members: Vec<SeatHolder> = (0..4u8)
//!     .map(|i| SeatHolder { node: NodeId(i.into()), output: [i; 64], seats: 1 })
//!     .collect();
//! let custody = Custody::assign(&H256::new([9; 32]), &members, 2)?;
//! assert!((0..128).all(|j| custody.seats_holding(j) >= 2));
//! let mine = payload.columns_at(custody.columns_of(NodeId(0)));
//! let cells: Vec<_> = mine.iter().flat_map(|c| c.cells.clone()).collect();
//! assert!(verify_cells(&kzg, header, &cells)?);
//!
//! // Any 64 cells of each blob give the bytes back, and only the right bytes.
//! let half: Vec<_> = (64..128).filter_map(|j| payload.cell(0, j)).collect();
//! assert_eq!(reconstruct_payload(&kzg, header, &half)?, bytes);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Threat model
//! - **Who may send what.** Anyone may send a [`Signer`] a delivery
//!   ([`signer::Message::Store`]) or a retrieval request; samplers and reconstructors accept
//!   cells only from the holders they asked, for the cells they asked each of them, and about
//!   the payload of the header they trust (a certified one). The sender is the transport's
//!   authenticated `from`, never a field of a message.
//! - **Checked before state is created.** A signer checks epoch, membership and the exact
//!   column set and shape, then verifies every cell in one batch; only then does it store,
//!   persist, and ask for a signature — it never signs what it did not verify and persist.
//!   Clients verify every cell (one batch per message, bisected to the bad ones); a holder that
//!   sends one bad cell is reported and never asked again, and its cells are asked of the next
//!   holder. Unsolicited, oversized or foreign-payload messages are rejected before any proof
//!   is checked.
//! - **Bounds.** Signer: at most `max_payloads` payloads in all and `max_payloads_per_peer` per
//!   disperser; retrieval creates no state. Sampler: `s · blobs` samples and one entry per open
//!   request, fixed at construction. Reconstructor: at most 128 cells per blob of the header.
//!   Every message names at most [`retrieval::MAX_CELLS_PER_MESSAGE`] cells; headers at most
//!   [`MAX_BLOBS`] blobs. Each bound is tested with a flood (`tests/`).
//! - **Sampling.** The stated bound assumes which cells are obtainable does not depend on the
//!   sampler's seed; a holder that serves one sampler and withholds from everyone else defeats
//!   that sampler (selective disclosure), which is why custody spreads each column over `r`
//!   seats and many samplers sample independently.
//! - **Certificates.** A certificate names its epoch, committee and payload, and the verifier
//!   compares each with its own before the one pairing equation; another payload's or
//!   epoch's certificate, a bitmap naming non-members, or signers short of `⌈2N/3⌉` seats are
//!   typed [`CertificateError`]s. The aggregator counts an attestation only from the member the
//!   transport says sent it, once, and drops signatures the aggregate check isolates.
//! - **Out of scope here.** Rate limiting of deliveries that fail verification (a transport
//!   concern; each costs one batch check of at most the signer's columns); members that sign
//!   without storing are not caught by the certificate (that is what `k`, custody and
//!   sampling are for).
//!
//! # Features
//! - `parallel`: [`encode_payload`] encodes blobs on the rayon pool (and zg-kzg's `parallel`).
//!   Machines never spawn threads.
//!
//! # Panics and safety
//! `#![forbid(unsafe_code)]`. No function or machine panics on untrusted input: malformed
//! headers, cells, proofs and messages are typed errors or refusals.
#![forbid(unsafe_code)]

pub mod aggregator;
pub mod certificate;
pub mod custody;
mod error;
pub mod payload;
pub mod reconstructor;
pub mod retrieval;
pub mod sampler;
pub mod signer;

pub use aggregator::{
    Aggregation, AggregationFailure, Aggregator, AggregatorConfig, AggregatorError,
};
pub use certificate::{Certificate, CertificateError, DaCommittee, DaMember};
pub use custody::{Custody, DA_SIGNER_ROLE, SeatCustody, SeatHolder};
pub use error::Error;
pub use payload::{
    CELLS_TO_RECOVER, COLUMNS, CellWithProof, Column, EncodedBlob, EncodedPayload,
    FRAME_BYTES_PER_BLOB, Header, MAX_BLOBS, MAX_PAYLOAD_BYTES, blob_count, encode_payload,
    frame_blobs, payload_from_blobs, payload_id, reconstruct_payload, valid_cells, verify_cells,
};
pub use reconstructor::{Reconstruction, Reconstructor, ReconstructorConfig, ReconstructorError};
pub use retrieval::{CellRef, CellStore, Holder, RetrievalError, holders_by_column};
pub use sampler::{
    Sampler, SamplerConfig, SamplerError, Sampling, false_available_bound, sample_indices,
};
pub use signer::{
    Dispersal, Refusal, Signature, Signer, SignerConfig, SignerError, attestation_message,
};

#[cfg(feature = "zerog")]
pub mod zerog;
