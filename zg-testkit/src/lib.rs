//! zg-testkit: scenario harnesses for zg's own tests, benches, fuzz targets and devnet.
//! **Unpublished** (`publish = false`); nothing a library user needs lives here.
//!
//! * [`alignment`] — an alignment committee watching simulated subjects of every role, some
//!   faulty, and co-signing each epoch's report ([`alignment::run`]).
//! * [`consensus`] — whole zg-consensus networks in the zg-core simulator: honest nodes,
//!   Byzantine machine types (silent, equivocating, withholding, selective, a split
//!   coalition), a staking-chain stand-in and a safety checker ([`consensus::run`]).
//! * [`serving`] — a whole serving market in the simulator: a chain node running the ledger,
//!   a provider broker (honest or a cheat), users, and the fixture constants the devnet and
//!   benches share ([`serving::market`]).
//! * [`da`] — the whole zg-da lane in the simulator: a sortition committee, an aggregator,
//!   Byzantine, withholding and refusing signers, light clients and a reconstructor
//!   ([`da::run`]); `zg da simulate` and zg-da's lane tests run it.
//! * [`stake`] — nodes with keys and a checked stake table over them, for any lane's tests
//!   ([`stake::table`]).
//!
//! Simulated validators take their keys from the workspace's one derivation,
//! [`zg_vrf::NodeKeys::derive`] under [`consensus::SIM_DEPLOYMENT`].
//!
//! # Features
//!
//! * `insecure-test-scheme` — builds the `insecure-sim` binary: `zg consensus simulate` under
//!   zg-bls's INSECURE keyed-hash scheme, for large runs where BLS would dominate. Tests turn
//!   it on; the `zg` CLI and the devnet never do, so no shipped binary contains that scheme
//!   (`cargo tree -p zg-examples -e features | grep insecure` is empty).
//!
//! # Panics
//!
//! Harness code may panic where a fixture it was asked to build is impossible (it is test
//! code); the machines it drives never panic on their inputs.
#![forbid(unsafe_code)]

pub mod alignment;
pub mod consensus;
pub mod da;
pub mod serving;
pub mod stake;
