//! The generic layer on a small insecure setup (known secret), against obviously-correct
//! references: naive polynomial arithmetic and direct commitments.

// Test code.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

use ark_ff::{Field, One, Zero};
use proptest::prelude::*;
use zg_kzg::{
    CosetOpening, CosetProver, Fr, G1Affine, KzgSettings, Opening, Precompute, TrustedSetup,
};

const N: usize = 16;
const G2_LEN: usize = 9;

fn settings(p: Precompute) -> KzgSettings {
    KzgSettings::from_setup(
        TrustedSetup::insecure_from_secret(Fr::from(0x1234_5678u64), N, G2_LEN).unwrap(),
        p,
    )
}

fn fr(seed: u64) -> Fr {
    // A deterministic spread of field elements without a RNG dependency on ark's rand.
    let x = Fr::from(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xdead_beef);
    x.pow([7]) + Fr::from(seed)
}

fn poly(len: usize, seed: u64) -> Vec<Fr> {
    (0..len)
        .map(|i| fr(seed.wrapping_mul(1000).wrapping_add(i as u64)))
        .collect()
}

fn eval(p: &[Fr], x: Fr) -> Fr {
    p.iter().rev().fold(Fr::zero(), |acc, c| acc * x + c)
}

/// Commitment computed directly from the known secret.
fn direct_commit(p: &[Fr]) -> G1Affine {
    use ark_ec::{CurveGroup, PrimeGroup};
    (zg_kzg::G1Projective::generator() * eval(p, Fr::from(0x1234_5678u64))).into_affine()
}

#[test]
fn commitments_agree_across_forms_and_sizes() {
    for pre in [Precompute::None, Precompute::Full] {
        let s = settings(pre);
        for m in [1usize, 2, 8, 16] {
            let p = poly(m, m as u64);
            let evals = zg_kzg::coefficients_to_evaluations(&p, m).unwrap();
            assert_eq!(zg_kzg::evaluations_to_coefficients(&evals), p);
            let c1 = s.commit_coefficients(&p).unwrap();
            let c2 = s.commit_evaluations(&evals).unwrap();
            assert_eq!(c1, c2, "m={m}");
            assert_eq!(c1, direct_commit(&p));
        }
        assert!(s.commit_evaluations(&poly(3, 1)).is_err());
        assert!(s.commit_evaluations(&poly(32, 1)).is_err());
        assert!(s.commit_coefficients(&poly(17, 1)).is_err());
    }
}

#[test]
fn openings_verify_and_wrong_values_fail() {
    let s = settings(Precompute::None);
    let p = poly(N, 3);
    let evals = zg_kzg::coefficients_to_evaluations(&p, N).unwrap();
    // A point outside the domain, and one inside it (a 16th root of unity).
    let w = Fr::from(7u64).pow(((-Fr::one()).into_bigint_div(16)).0);
    for z in [fr(99), w, Fr::one(), Fr::zero()] {
        let (y1, pi1) = s.open_coefficients(&p, z).unwrap();
        let (y2, pi2) = s.open_evaluations(&evals, z).unwrap();
        assert_eq!(y1, eval(&p, z));
        assert_eq!((y1, pi1), (y2, pi2));
        let c = s.commit_coefficients(&p).unwrap();
        let good = Opening {
            commitment: c,
            z,
            y: y1,
            proof: pi1,
        };
        assert!(s.verify_opening(&good));
        assert!(!s.verify_opening(&Opening {
            y: y1 + Fr::one(),
            ..good
        }));
        assert!(!s.verify_opening(&Opening {
            z: z + Fr::one(),
            ..good
        }));
        assert!(!s.verify_opening(&Opening { proof: c, ..good }));
    }
}

trait DivPow {
    fn into_bigint_div(self, d: u64) -> ark_ff::BigInt<4>;
}
impl DivPow for Fr {
    /// (r - 1) / d as an integer, for `self = -1`.
    fn into_bigint_div(self, d: u64) -> ark_ff::BigInt<4> {
        use ark_ff::PrimeField;
        let mut x = self.into_bigint();
        x >>= d.trailing_zeros();
        x
    }
}

#[test]
fn batch_of_openings() {
    let s = settings(Precompute::None);
    let mut openings: Vec<Opening> = (0..5u64)
        .map(|i| {
            let p = poly(N - i as usize, 10 + i);
            let z = fr(500 + i);
            let (y, proof) = s.open_coefficients(&p, z).unwrap();
            Opening {
                commitment: s.commit_coefficients(&p).unwrap(),
                z,
                y,
                proof,
            }
        })
        .collect();
    assert!(s.verify_openings_batch(&openings));
    assert!(s.verify_openings_batch(&[]));
    openings[2].y += Fr::one();
    assert!(!s.verify_openings_batch(&openings));
}

/// floor(p / (X^l - g)) by long division.
fn divide_by_binomial(p: &[Fr], l: usize, g: Fr) -> Vec<Fr> {
    let mut rem = p.to_vec();
    let mut q = vec![Fr::zero(); p.len().saturating_sub(l)];
    for i in (l..p.len()).rev() {
        q[i - l] = rem[i];
        let top = rem[i];
        rem[i - l] += g * top;
        rem[i] = Fr::zero();
    }
    q
}

#[test]
fn fk20_matches_naive_coset_proofs_and_verifies() {
    for pre in [Precompute::None, Precompute::Full] {
        let s = settings(pre);
        for l in [2usize, 4, 8] {
            let prover = CosetProver::with_precompute(&s, N, l, pre).unwrap();
            let p = poly(N, 40 + l as u64);
            let proofs = prover.prove_all(&p).unwrap();
            assert_eq!(proofs.len(), 2 * N / l);
            let c = s.commit_coefficients(&p).unwrap();
            let ext = zg_kzg::coefficients_to_evaluations(&p, 2 * N).unwrap();
            let mut openings = Vec::new();
            for (j, proof) in proofs.iter().enumerate() {
                let h = prover.coset_shift(j);
                let q = divide_by_binomial(&p, l, h.pow([l as u64]));
                assert_eq!(*proof, direct_commit(&q), "l={l} coset {j}");
                let evals = ext[j * l..(j + 1) * l].to_vec();
                openings.push(CosetOpening {
                    commitment_index: 0,
                    shift: h,
                    evals,
                    proof: *proof,
                });
            }
            assert!(s.verify_coset_openings_batch(&[c], &openings).unwrap());
            let mut bad = openings.clone();
            bad[1].evals[0] += Fr::one();
            assert!(!s.verify_coset_openings_batch(&[c], &bad).unwrap());
            // Swapped proofs fail (for l = n/2 every coset has the same quotient, floor(p/X^l)).
            let mut bad = openings.clone();
            let p0 = bad[0].proof;
            bad[0].proof = bad[1].proof;
            bad[1].proof = p0;
            assert_eq!(
                s.verify_coset_openings_batch(&[c], &bad).unwrap(),
                l == N / 2
            );
        }
    }
}

#[test]
fn recovery_from_any_half() {
    let s = settings(Precompute::None);
    let l = 4;
    let m = 2 * N / l;
    let p = poly(N, 77);
    let ext = zg_kzg::coefficients_to_evaluations(&p, 2 * N).unwrap();
    // Several subsets of exactly half the cosets, in scrambled order, and all of them.
    let subsets: Vec<Vec<usize>> = vec![
        (0..m / 2).collect(),
        (m / 2..m).collect(),
        (0..m).step_by(2).collect(),
        vec![7, 1, 4, 2],
        (0..m).rev().collect(),
    ];
    for idx in subsets {
        let evals: Vec<Fr> = idx
            .iter()
            .flat_map(|&j| ext[j * l..(j + 1) * l].to_vec())
            .collect();
        assert_eq!(
            s.recover_coefficients(l, &idx, &evals).unwrap(),
            p,
            "{idx:?}"
        );
    }
    assert!(
        s.recover_coefficients(l, &[0, 1, 2], &vec![Fr::zero(); 12])
            .is_err()
    );
    assert!(
        s.recover_coefficients(l, &[0, 0, 1, 2], &vec![Fr::zero(); 16])
            .is_err()
    );
}

#[test]
fn eip_functions_refuse_small_setups() {
    let s = settings(Precompute::None);
    let blob = zg_kzg::Blob::zeroed();
    assert!(matches!(
        s.blob_to_kzg_commitment(&blob),
        Err(zg_kzg::Error::SetupTooSmall { .. })
    ));
    assert!(matches!(
        s.compute_cells(&blob),
        Err(zg_kzg::Error::SetupTooSmall { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, .. ProptestConfig::default() })]
    #[test]
    fn open_verify_round_trip(seed in any::<u64>(), len in 1usize..=N, zs in any::<u64>()) {
        let s = settings(Precompute::None);
        let p = poly(len, seed);
        let z = fr(zs);
        let (y, proof) = s.open_coefficients(&p, z).unwrap();
        prop_assert_eq!(y, eval(&p, z));
        let c = s.commit_coefficients(&p).unwrap();
        let good = Opening { commitment: c, z, y, proof };
        let bad = Opening { y: y + Fr::one(), ..good };
        prop_assert!(s.verify_opening(&good));
        prop_assert!(!s.verify_opening(&bad));
    }
}
