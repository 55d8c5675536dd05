//! Poisoning monitors for data submitted to decentralized training.
//!
//! * [`Provenance`]: every sample is known by its 0G storage root and the contributor that
//!   first submitted it; a root resubmitted by another contributor is reported, and the
//!   per-contributor and total sample counts are bounded.
//! * [`assign_trainer`]: which trainer gets a sample, by rendezvous hashing keyed by the
//!   epoch's VRF beacon seed (`zg_vrf::next_seed`), so nobody can place a sample with a chosen
//!   trainer before the seed exists, and every node computes the same assignment.
//! * [`UpdateMonitor`]: per-round model updates (fixed-point vectors) against a robust
//!   aggregate (coordinate-wise median, or trimmed mean); per contributor a one-sided CUSUM on
//!   "direction disagreement" 1 − cos(uᵢ, agg) and on the log-free norm excess
//!   max(0, ‖uᵢ‖/‖agg‖ − 1), so a contributor that keeps pushing the model its own way raises an
//!   alarm that names it and carries the round's evidence.
//! * [`DuplicateMonitor`]: MinHash signatures of submissions, LSH banding over a bounded
//!   window, and a burst alarm when one contributor submits too many near-duplicates within it.
//!
//! All arithmetic is integer/fixed-point ([`crate::drift::Fixed`]); monitors are pure
//! data structures driven by their host, with their bounds stated on each type.

mod dedup;
mod provenance;
mod updates;

pub use dedup::{DuplicateAlarm, DuplicateMonitor, MinHash, SIGNATURE_LEN};
pub use provenance::{Provenance, ProvenanceError, assign_trainer};
pub use updates::{Aggregate, UpdateAlarm, UpdateError, UpdateMonitor};
