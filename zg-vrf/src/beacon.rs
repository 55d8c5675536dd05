//! The epoch randomness beacon: the next seed from the current one and the VRF outputs revealed.
//!
//! # Rule
//!
//! In epoch `e` with seed `seed_e`, the members selected for the role [`BEACON_ROLE`]
//! (by [sortition](crate::sortition) on `seed_e`, like any committee) reveal their
//! [eligibility claims](crate::committee::EligibilityClaim) before a deadline. After it, the
//! assembled beacon committee's outputs are sorted and only the **smallest** output counts:
//!
//! ```text
//! seed_{e+1} = keccak256("zg-vrf/beacon/v1" || LE64(e) || seed_e || beta_min)
//! seed_{e+1} = keccak256("zg-vrf/beacon/v1" || LE64(e) || seed_e || "no-reveal")   if none
//! ```
//!
//! Every input is a VRF output on `seed_e`, unique per key (RFC 9381 §3.2): a contributor cannot
//! choose its value, only whether to reveal it. Keys are fixed in the stake table before
//! `seed_e` exists, so they cannot be ground against it either.
//!
//! # How much can one party bias it (last-revealer analysis)
//!
//! The only freedom left is withholding. A party that sees every honest reveal before deciding
//! (the *last revealer*) and controls `k` eligible outputs can make the seed depend on which of
//! them it reveals.
//!
//! *If all revealed outputs were hashed together* (a common, naive rule) each withheld output
//! changes the seed, so the adversary chooses among `2^k` seeds: with 20 eligible adversarial
//! members that is a million tries at steering the next committee.
//!
//! *With the minimum rule* only outputs below the smallest honest output matter. Withholding
//! the `i` smallest adversarial outputs selects the next one; once the smallest honest output
//! is reached nothing the adversary does changes the result. So the adversary chooses among
//! `j + 1` seeds, where `j` is the number of adversarial outputs below the smallest honest one.
//! The outputs are independent and uniform (VRF pseudorandomness), so if the adversary holds a
//! fraction `f` of the eligible outputs, `Pr[j ≥ t] = f^t`: the expected number of choices is
//! `1/(1 − f)` (1.5 for `f = 1/3`, i.e. under one bit on average), and `2^b` choices happen with
//! probability `f^(2^b − 1)` (for `f = 1/3`: 2 choices with probability 1/3, 4 with 1/27, 8 with
//! about 1/2187). The chance to land the next seed in any target set of density `δ` is at most
//! `E[1 − (1 − δ)^(j+1)] ≤ δ/(1 − f)`, compared with `δ` for an unbiased seed.
//!
//! The rule cannot remove the residual bias (no rule based on withholdable reveals can); it
//! bounds it by the adversary's share of the *selected* contributors. If no one reveals, the
//! seed still advances deterministically, so withholding everything only yields the single
//! "no-reveal" seed.

use zg_core::{Epoch, H256, keccak256_parts};

use crate::committee::Committee;
use crate::{Error, Output};

/// The role name of beacon contributors.
pub const BEACON_ROLE: &str = "beacon";

/// Domain separation of the beacon.
const BEACON_DOMAIN: &[u8] = b"zg-vrf/beacon/v1";

/// `seed_{e+1}` from `seed_e` and the outputs revealed in epoch `e` (any order; duplicates and
/// the order do not matter, only the smallest output counts).
pub fn next_seed<'a, I>(epoch: Epoch, seed: &H256, outputs: I) -> H256
where
    I: IntoIterator<Item = &'a Output>,
{
    let epoch_bytes = epoch.0.to_le_bytes();
    match outputs.into_iter().min() {
        Some(min) => keccak256_parts(&[BEACON_DOMAIN, &epoch_bytes, seed.as_bytes(), min]),
        None => keccak256_parts(&[BEACON_DOMAIN, &epoch_bytes, seed.as_bytes(), b"no-reveal"]),
    }
}

/// `seed_{e+1}` from an assembled beacon committee (see
/// [`crate::committee::assemble_committee`] with role [`BEACON_ROLE`]): its members' outputs
/// were all verified there.
///
/// # Errors
/// [`Error::InvalidParameters`] if the committee was selected for another role.
pub fn next_seed_from_committee(committee: &Committee) -> Result<H256, Error> {
    if committee.selection.role != BEACON_ROLE {
        return Err(Error::InvalidParameters {
            reason: "the beacon takes outputs of the beacon role only",
        });
    }
    Ok(next_seed(
        committee.selection.epoch,
        &committee.selection.seed,
        committee.members.iter().map(|m| &m.output),
    ))
}
