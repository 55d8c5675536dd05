//! Exact-CDF comparison, distribution statistics, the splitting property, pinned outputs.

use super::*;
use crate::SecretKey;
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use ruint::Uint;

type Big = Uint<2048, 32>;

fn beta_of(i: u64) -> Output {
    Sha512::digest(i.to_le_bytes()).into()
}

/// floor(F(j)·2^128) of the exact Bin(m, a/(a+b)) CDF, by exact integer arithmetic.
fn exact_cdf_q128(m: u64, a: u64, b: u64) -> Vec<Big> {
    let w = Big::from(a + b);
    let denom = w.pow(Big::from(m));
    let mut out = Vec::new();
    let mut acc = Big::ZERO;
    let mut binom = Big::from(1u64);
    for i in 0..=m {
        if i > 0 {
            binom = binom * Big::from(m - i + 1) / Big::from(i);
        }
        acc += binom * Big::from(a).pow(Big::from(i)) * Big::from(b).pow(Big::from(m - i));
        out.push((acc << 128usize) / denom);
    }
    out
}

#[test]
fn computed_cdf_is_within_2_pow_minus_90_above_the_exact_one() {
    for &(m, a, b) in &[
        (1u64, 1u64, 1u64),
        (5, 1, 3),
        (16, 1, 1),
        (40, 3, 37),
        (80, 1, 9),
        (57, 7, 100),
        (120, 2, 28),
    ] {
        let exact = exact_cdf_q128(m, a, b);
        let mut cdf = ChunkCdf::new(m, a, b, a + b);
        let tol = Big::from(1u64) << 38usize; // 2^-90 in Q128 ulps
        for j in 0..=m {
            let (jj, f) = cdf.current();
            assert_eq!(jj, j);
            let f = Big::from(f);
            let e = exact[usize::try_from(j).unwrap()];
            assert!(f >= e, "m={m} a={a} b={b} j={j}: computed below exact");
            assert!(f - e <= tol, "m={m} a={a} b={b} j={j}: error {}", f - e);
            cdf.advance();
        }
    }
}

/// E_c of one chunk, in Q128: Σ_j (1 − min(F_c(j), 1)).
fn chunk_expectation_q128(m: u64, a: u64, b: u64) -> U256 {
    let mut cdf = ChunkCdf::new(m, a, b, a + b);
    let mut e = U256::ZERO;
    loop {
        let (j, f) = cdf.current();
        if j >= m || f >= ONE_Q128 {
            return e;
        }
        e += ONE_Q128 - f;
        cdf.advance();
    }
}

/// The exact expectation of what `binomial_seats` samples, in Q128.
fn expectation_q128(n: u64, tau: u64, total: u64) -> U256 {
    if n == 0 || tau == 0 {
        return U256::ZERO;
    }
    if tau >= total {
        return U256::from(n) << 128usize;
    }
    let flip = u128::from(tau) * 2 > u128::from(total);
    let a = if flip { total - tau } else { tau };
    let b = total - a;
    let chunk = u64::try_from((CHUNK_MEAN * u128::from(total) / u128::from(a)).max(1)).unwrap();
    let (full, rest) = (n / chunk, n % chunk);
    let mut e = chunk_expectation_q128(chunk, a, b) * U256::from(full);
    if rest > 0 {
        e += chunk_expectation_q128(rest, a, b);
    }
    if flip {
        (U256::from(n) << 128usize) - e
    } else {
        e
    }
}

#[test]
fn expectation_is_n_times_p_up_to_rounding() {
    for &(n, tau, total) in &[
        (1u64, 1u64, 10u64),
        (1000, 100, 10_000),
        (6000, 800, 10_000),
        (3000, 7000, 10_000),
        (12345, 1000, 1 << 40),
        (1 << 39, 1000, 1 << 40),
    ] {
        let e = expectation_q128(n, tau, total);
        let exact = ((U256::from(n) * U256::from(tau)) << 128usize) / U256::from(total);
        let diff = if e > exact { e - exact } else { exact - e };
        assert!(
            diff < U256::from(1u64) << 50usize,
            "n={n} tau={tau} W={total}: diff {diff}"
        );
    }
}

fn params(total: u64, unit: u64, tau: u64) -> SortitionParams {
    SortitionParams {
        total_stake: Amount::new(u128::from(total) * u128::from(unit)),
        stake_unit: Amount::new(u128::from(unit)),
        expected_seats: tau,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Splitting stake over several keys never raises the expected seats (beyond the
    /// documented 2^-80-per-key rounding bound) and quantisation only loses remainders.
    #[test]
    fn splitting_stake_does_not_raise_expected_seats(
        total in 100u64..1_000_000,
        tau_frac in 1u64..1000,
        stake_frac in 1u64..1000,
        cuts in proptest::collection::vec(1u64..1000, 1..6),
        unit in 1u64..5,
    ) {
        let tau = (total * tau_frac / 1000).clamp(1, MAX_EXPECTED_SEATS);
        let stake_units = (total * stake_frac / 1000).max(1);
        let stake = u128::from(stake_units) * u128::from(unit);
        let p = params(total, unit, tau);
        // Split the raw stake (not the units): remainders may be lost to quantisation.
        let weight: u64 = cuts.iter().sum();
        let mut pieces: Vec<u128> = cuts.iter().map(|c| stake * u128::from(*c) / u128::from(weight)).collect();
        let assigned: u128 = pieces.iter().sum();
        pieces[0] += stake - assigned;
        let whole = expectation_q128(stake_units, tau, p.total_units().unwrap());
        let mut split = U256::ZERO;
        for piece in &pieces {
            let n = u64::try_from(piece / u128::from(unit)).unwrap();
            split += expectation_q128(n, tau, total);
        }
        let slack = U256::from(pieces.len() as u64) << 48usize; // 2^-80 per key
        prop_assert!(split <= whole + slack, "split {split} > whole {whole}");
    }

    #[test]
    fn seats_never_exceed_units(seed in any::<u64>(), n in 0u64..5000, tau in 0u64..3000) {
        let total = 5000;
        let s = binomial_seats(&beta_of(seed), n, tau.min(total), total);
        prop_assert!(s <= n);
    }
}

/// Mean and variance of many draws against n·p and n·p·(1−p).
fn check_moments(n: u64, tau: u64, total: u64, draws: usize) {
    let mut rng = ChaCha20Rng::seed_from_u64(n ^ tau.rotate_left(20) ^ total.rotate_left(40));
    let mut sum = 0f64;
    let mut sum2 = 0f64;
    for _ in 0..draws {
        let mut beta = [0u8; 64];
        rng.fill_bytes(&mut beta);
        let s = binomial_seats(&beta, n, tau, total) as f64;
        sum += s;
        sum2 += s * s;
    }
    let d = draws as f64;
    let mean = sum / d;
    let var = sum2 / d - mean * mean;
    let p = tau as f64 / total as f64;
    let (mu, sigma2) = (n as f64 * p, n as f64 * p * (1.0 - p));
    // 5 standard errors for the mean; the sample variance has relative s.e. ≈ √(2/d).
    assert!(
        (mean - mu).abs() <= 5.0 * (sigma2 / d).sqrt(),
        "n={n} tau={tau} W={total}: mean {mean} vs {mu}"
    );
    assert!(
        (var - sigma2).abs() <= 6.0 * (2.0 / d).sqrt() * sigma2 + 1e-9,
        "n={n} tau={tau} W={total}: variance {var} vs {sigma2}"
    );
}

#[test]
fn distribution_mean_and_variance_small_holder() {
    check_moments(1000, 100, 10_000, 20_000);
    check_moments(37, 500, 10_000, 20_000); // mean 1.85: mostly 0–4 seats
}

#[test]
fn distribution_mean_and_variance_whale_and_flipped() {
    check_moments(6000, 800, 10_000, 6_000); // 60 chunks
    check_moments(3000, 7000, 10_000, 6_000); // p > 1/2: symmetric branch
}

#[test]
fn edge_cases_and_errors() {
    let b = beta_of(1);
    assert_eq!(binomial_seats(&b, 0, 10, 100), 0);
    assert_eq!(binomial_seats(&b, 50, 0, 100), 0);
    assert_eq!(binomial_seats(&b, 50, 100, 100), 50);
    let p = params(100, 10, 5);
    assert_eq!(
        sortition_seats(&b, Amount::new(9), &p).unwrap(),
        0,
        "below one unit"
    );
    assert!(matches!(
        sortition_seats(&b, Amount::new(1001), &p),
        Err(Error::InvalidParameters { .. })
    ));
    assert!(matches!(
        params(100, 1, 101).total_units(),
        Err(Error::InvalidParameters { .. })
    ));
    let zero_unit = SortitionParams {
        stake_unit: Amount::ZERO,
        ..p
    };
    assert!(sortition_seats(&b, Amount::new(5), &zero_unit).is_err());
    let huge = SortitionParams {
        total_stake: Amount::MAX,
        stake_unit: Amount::new(1),
        expected_seats: 10,
    };
    assert!(huge.total_units().is_err());
}

/// Pinned outputs: the method is a specification, these bits must not change across runs,
/// platforms or refactors (recomputed identically on every run of this test).
#[test]
fn pinned_outputs() {
    let cases: Vec<u64> = (0..12)
        .map(|i| binomial_seats(&beta_of(i), 5000 + 1000 * i, 400, 100_000))
        .collect();
    let again: Vec<u64> = (0..12)
        .map(|i| binomial_seats(&beta_of(i), 5000 + 1000 * i, 400, 100_000))
        .collect();
    assert_eq!(cases, again);
    assert_eq!(cases, PINNED);
}

const PINNED: [u64; 12] = [17, 23, 19, 40, 53, 49, 35, 52, 48, 68, 54, 70];

#[test]
fn verify_sortition_checks_the_proof() {
    let sk = SecretKey::from_bytes(&[3u8; 32]);
    let alpha = b"epoch seed || role";
    let proof = sk.prove(alpha).unwrap();
    let p = params(10_000, 1, 2_000);
    let (seats, beta) =
        verify_sortition(sk.public_key(), alpha, &proof, Amount::new(5_000), &p).unwrap();
    assert_eq!(beta, proof.proof_to_hash());
    assert_eq!(
        seats,
        sortition_seats(&beta, Amount::new(5_000), &p).unwrap()
    );
    assert_eq!(
        verify_sortition(sk.public_key(), b"other", &proof, Amount::new(5_000), &p),
        Err(Error::InvalidProof)
    );
}
