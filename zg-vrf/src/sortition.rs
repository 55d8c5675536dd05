//! Stake-weighted cryptographic sortition: seats ~ Binomial(w, τ/W), in integer arithmetic.
//!
//! # What is sampled
//!
//! Stake is counted in *units* of a configured quantum ([`SortitionParams::stake_unit`], e.g.
//! one whole token): a holder with stake `s` owns `w = ⌊s / unit⌋` units, the table holds
//! `W = ⌊S / unit⌋` units in all, and every unit is, independently, a seat with probability
//! `p = τ/W`, where `τ` is the expected committee size. The holder's seat count is therefore
//! `Binomial(w, p)` (Algorand's sortition, Gilad et al., SOSP 2017, §5), drawn from the VRF
//! output `beta` so that anyone holding the proof can recompute it.
//!
//! Because the binomial family is closed under sums with the same `p`
//! (`Bin(w₁, p) + Bin(w₂, p) = Bin(w₁ + w₂, p)`), splitting stake over several keys does not
//! change the distribution of the total, and the quantisation can only lose the remainders
//! (`⌊a/u⌋ + ⌊b/u⌋ ≤ ⌊(a+b)/u⌋`): splitting never raises expected seats.
//!
//! # Method (no hardware floats)
//!
//! All arithmetic is on unsigned integers (`u64`/`u128` and 256-bit `ruint::U256`), so every
//! platform and language that follows this description gets the same bits.
//!
//! 1. *Symmetry.* If `2τ > W`, sample the number of *non*-seats with `p' = 1 − p` and subtract.
//!    From here on `p = a/W ≤ 1/2` with `a = τ` (or `W − τ`) and `b = W − a`.
//! 2. *Chunks.* Split the `w` units into chunks of `m* = ⌊8W/a⌋` units (the last may be
//!    shorter), so each chunk has mean `m·p ≤ 8`. Chunk `k` draws its own uniform
//!    `u_k = LE128(SHA-512("zg-vrf/sortition/v1" || beta || LE64(k))[0..16])`, a 128-bit fraction
//!    of `[0, 1)`. The chunks are independent binomials with the same `p`, so their sum is
//!    exactly `Bin(w, p)`; the number of chunks is at most `a/8 + 1 ≤ τ/8 + 1`.
//! 3. *Inverse CDF per chunk.* With values in Q128 fixed point (`x / 2^128`), rounding every
//!    operation *up*:
//!    `P₀ = ⌈b/W⌉^m` by square-and-multiply, then `P_{j+1} = ⌈P_j · a(m−j) / (b(j+1))⌉` and
//!    `F_j = P₀ + … + P_j`; the chunk's seats are the least `j` with `u_k < F_j` (or `m`).
//!    Intermediates stay below `2^256`: `P < 2^129`, `a(m−j) ≤ 8W < 2^67`, `b(j+1) ≤ 2^128`.
//!
//! # Exactness
//!
//! Only the fixed-point rounding separates this from the exact binomial. Each rounding adds at
//! most `2^-128`; `P₀` takes at most `2·64` of them and, since `P₀ ≥ e^-12 > 2^-18` (chunk mean
//! at most 8 with `p ≤ 1/2`), its relative error is below `2^-100`; every later term inherits
//! that relative error plus `2^-110` per step. Hence each computed CDF value satisfies
//! `F(j) ≤ F_c(j) ≤ F(j) + 2^-90` for all `j` the loop reaches (which is at most a few hundred),
//! i.e. the sampled law is within total-variation distance `2^-90` of `Bin(m, p)` per chunk. The
//! unit tests compare `F_c` with exact rational CDFs. Rounding up makes `F_c ≥ F`, so without
//! the symmetry step a chunk never gets *more* seats than the exact binomial would on the same
//! `u`.

use ruint::aliases::U256;
use sha2::{Digest, Sha512};
use zg_core::Amount;

use crate::{Error, Output, Proof, PublicKey};

/// Domain separation of the per-chunk uniforms.
const SORTITION_DOMAIN: &[u8] = b"zg-vrf/sortition/v1";

/// Mean number of seats per chunk (step 2 of the method).
const CHUNK_MEAN: u128 = 8;

/// The largest expected committee size accepted (bounds the work per call).
pub const MAX_EXPECTED_SEATS: u64 = 1 << 16;

/// What sortition needs to know about the whole stake table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SortitionParams {
    /// Total stake `S` of the table (smallest token units).
    pub total_stake: Amount,
    /// The stake quantum: one binomial trial per whole `stake_unit` of stake.
    pub stake_unit: Amount,
    /// Expected number of seats over the whole table, `τ` (≤ `W`).
    pub expected_seats: u64,
}

impl SortitionParams {
    /// Checks the parameters and returns `W`, the total number of stake units.
    ///
    /// # Errors
    /// [`Error::InvalidParameters`] if the unit is zero, `W` does not fit in `u64`, or
    /// `τ > W` or `τ >` [`MAX_EXPECTED_SEATS`].
    pub fn total_units(&self) -> Result<u64, Error> {
        units(self.total_stake, self.stake_unit)?
            .ok_or(Error::InvalidParameters {
                reason: "total stake in units does not fit in 64 bits",
            })
            .and_then(|w| {
                if self.expected_seats > MAX_EXPECTED_SEATS {
                    Err(Error::InvalidParameters {
                        reason: "expected seats above MAX_EXPECTED_SEATS",
                    })
                } else if self.expected_seats > w {
                    Err(Error::InvalidParameters {
                        reason: "expected seats exceed total stake units",
                    })
                } else {
                    Ok(w)
                }
            })
    }
}

fn units(stake: Amount, unit: Amount) -> Result<Option<u64>, Error> {
    if unit.is_zero() {
        return Err(Error::InvalidParameters {
            reason: "stake unit must be positive",
        });
    }
    Ok(u64::try_from(stake.units() / unit.units()).ok())
}

/// The number of seats a holder with `stake` wins, given its VRF output `beta`:
/// a draw from `Binomial(⌊stake/unit⌋, τ/W)` (see the [module docs](self) for the method).
///
/// # Errors
/// [`Error::InvalidParameters`] if the parameters are invalid or `stake > total_stake`.
pub fn sortition_seats(
    beta: &Output,
    stake: Amount,
    params: &SortitionParams,
) -> Result<u64, Error> {
    let total = params.total_units()?;
    if stake > params.total_stake {
        return Err(Error::InvalidParameters {
            reason: "stake exceeds total stake",
        });
    }
    let n = units(stake, params.stake_unit)?.unwrap_or(total).min(total);
    Ok(binomial_seats(beta, n, params.expected_seats, total))
}

/// Verifies someone else's claim: checks `proof` for `alpha` under `pk` (RFC 9381, TAI) and
/// returns its output together with the seats `stake` wins.
///
/// # Errors
/// [`Error::InvalidProof`] (or a decoding error) if the proof does not verify, and those of
/// [`sortition_seats`].
pub fn verify_sortition(
    pk: &PublicKey,
    alpha: &[u8],
    proof: &Proof,
    stake: Amount,
    params: &SortitionParams,
) -> Result<(u64, Output), Error> {
    let beta = pk.verify(alpha, proof)?;
    Ok((sortition_seats(&beta, stake, params)?, beta))
}

/// `Bin(n, τ/W)` from `beta`, with `n ≤ W`, `τ ≤ W`.
pub(crate) fn binomial_seats(beta: &Output, n: u64, tau: u64, total: u64) -> u64 {
    if n == 0 || tau == 0 || total == 0 {
        return 0;
    }
    if tau >= total {
        return n;
    }
    // Step 1: symmetry, so that p = a/W ≤ 1/2.
    let flip = u128::from(tau) * 2 > u128::from(total);
    let a = if flip { total - tau } else { tau };
    let b = total - a;
    // Step 2: chunks of m* units, mean ≤ 8 each.
    let chunk =
        u64::try_from((CHUNK_MEAN * u128::from(total) / u128::from(a)).max(1)).unwrap_or(u64::MAX);
    let mut seats = 0u64;
    let mut k = 0u64;
    let mut left = n;
    while left > 0 {
        let m = left.min(chunk);
        let u = chunk_uniform(beta, k);
        seats += chunk_seats(u, m, a, b, total);
        left -= m;
        k += 1;
    }
    if flip { n - seats } else { seats }
}

/// `u_k` as a Q128 fraction.
fn chunk_uniform(beta: &Output, k: u64) -> U256 {
    let d = Sha512::new()
        .chain_update(SORTITION_DOMAIN)
        .chain_update(beta)
        .chain_update(k.to_le_bytes())
        .finalize();
    let mut u = [0u8; 16];
    u.copy_from_slice(&d[..16]);
    U256::from(u128::from_le_bytes(u))
}

/// Step 3: the least `j` with `u < F_c(j)`, or `m`.
fn chunk_seats(u: U256, m: u64, a: u64, b: u64, total: u64) -> u64 {
    let mut cdf = ChunkCdf::new(m, a, b, total);
    loop {
        let (j, f) = cdf.current();
        if u < f || j >= m {
            return j;
        }
        cdf.advance();
    }
}

/// The computed CDF of one chunk, `F_c(0), F_c(1), …` in Q128.
pub(crate) struct ChunkCdf {
    m: u64,
    a: U256,
    b: U256,
    j: u64,
    term: U256,
    cdf: U256,
}

const ONE_Q128: U256 = U256::from_limbs([0, 0, 1, 0]);

impl ChunkCdf {
    /// Requires `1 ≤ a ≤ b`, `a + b = total`.
    pub(crate) fn new(m: u64, a: u64, b: u64, total: u64) -> Self {
        let total = U256::from(total);
        // ⌈b·2^128 / W⌉ < 2^128 because b < W.
        let base = (U256::from(b) << 128usize).div_ceil(total);
        let p0 = pow_q128_ceil(base, m);
        ChunkCdf {
            m,
            a: U256::from(a),
            b: U256::from(b),
            j: 0,
            term: p0,
            cdf: p0,
        }
    }

    pub(crate) fn current(&self) -> (u64, U256) {
        (self.j, self.cdf)
    }

    /// `P_{j+1} = ⌈P_j · a(m−j) / (b(j+1))⌉`, `F += P_{j+1}`.
    pub(crate) fn advance(&mut self) {
        if self.j >= self.m {
            return;
        }
        let num = self.a * U256::from(self.m - self.j);
        let den = self.b * U256::from(self.j + 1);
        // P < 2^129 and num < 2^67: the product fits; den ≥ 1.
        self.term = (self.term * num).div_ceil(den);
        self.cdf = self.cdf.saturating_add(self.term);
        self.j += 1;
    }
}

/// `x^e` in Q128 with every product rounded up; `x < 2^128`.
fn pow_q128_ceil(x: U256, mut e: u64) -> U256 {
    let mut acc = ONE_Q128;
    let mut base = x;
    let mul = |p: U256, q: U256| -> U256 {
        // p, q ≤ 2^128 and not both equal to it (x < 2^128), so p·q < 2^256.
        (p * q).div_ceil(ONE_Q128)
    };
    while e > 0 {
        if e & 1 == 1 {
            acc = mul(acc, base);
        }
        e >>= 1;
        if e > 0 {
            base = mul(base, base);
        }
    }
    acc
}

#[cfg(test)]
mod tests;
