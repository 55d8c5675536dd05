//! The re-execution ladder: planner numbers, VRF sampling (rate, verifiability, no cheating by
//! the auditor), the rungs, and the referee finding the first differing step.

#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use zg_alignment::drift::Fixed;
use zg_alignment::ladder::planner::SamplingPlan;
use zg_alignment::ladder::referee::{Bisection, IntLinear, Verdict, adjudicate, step_hash, trace};
use zg_alignment::ladder::sampling::{draw, verify_draw};
use zg_alignment::ladder::{
    CommitmentError, Rung, check_commitment, check_reexecution, commit_proofs,
};
use zg_alignment::toploc::{Thresholds, prove};
use zg_core::H256;
use zg_vrf::SecretKey;

#[test]
fn planner_rate_and_detection() {
    // C = 5, R + S = 100: p = 5 %, and ≥ 99.9 % detection within 135 cheats (0.95¹³⁵ < 0.001).
    let plan = SamplingPlan::new(40, 5, 60, 0);
    assert_eq!(plan.rate_ppm, 50_000);
    let conf = Fixed::parse("0.999").unwrap();
    assert_eq!(plan.cheats_to_detect(conf), Some(135));
    assert!(plan.detection_probability(134) < conf);
    let f = plan.detection_probability(135).to_f64_lossy();
    assert!((f - (1.0 - 0.95f64.powi(135))).abs() < 1e-15);
    assert_eq!(
        plan.statement(conf),
        "p = 5.0 %: >= 99.9 % detection within 135 cheats"
    );
    // Rounded up: C/(R+S) = 1/3 → 333 334 ppm; nothing staked → check everything.
    assert_eq!(SamplingPlan::new(2, 1, 1, 0).rate_ppm, 333_334);
    assert_eq!(SamplingPlan::new(0, 1, 0, 0).rate_ppm, 1_000_000);
    assert_eq!(SamplingPlan::new(1_000_000, 1, 0, 20_000).rate_ppm, 20_000);
}

#[test]
fn vrf_sampling_hits_its_rate_and_is_verifiable() {
    let sk = SecretKey::from_bytes(&[7u8; 32]);
    let pk = sk.public_key().clone();
    let plan = SamplingPlan::at_rate(50_000);
    let seed = H256([1u8; 32]);
    let mut sampled = 0;
    for i in 0..2000u32 {
        let mut id = [0u8; 32];
        id[..4].copy_from_slice(&i.to_be_bytes());
        let id = H256(id);
        let d = draw(&sk, &seed, &id, &plan).unwrap();
        assert_eq!(
            verify_draw(&pk, &seed, &id, &plan, &d.proof).unwrap(),
            d.sampled
        );
        sampled += u32::from(d.sampled);
        // The same proof under another seed or request does not verify.
        assert!(verify_draw(&pk, &H256([2u8; 32]), &id, &plan, &d.proof).is_err());
    }
    // 5 % of 2000 = 100; binomial sd ≈ 9.7.
    assert!((60..=140).contains(&sampled), "{sampled}");
}

fn chunk(seed: u64) -> Vec<u16> {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    (0..4096)
        .map(|_| (r.next_u32() & 0x3FFF) as u16 | 0x3000)
        .collect()
}

#[test]
fn rungs_two_and_three() {
    let id = H256([9u8; 32]);
    let chunks: Vec<Vec<u16>> = (0..3).map(chunk).collect();
    let proofs: Vec<_> = chunks.iter().map(|c| prove(c).unwrap()).collect();
    let committed = commit_proofs(&id, &proofs);
    let b64: Vec<String> = proofs.iter().map(|p| p.to_base64()).collect();
    let refs: Vec<&str> = b64.iter().map(String::as_str).collect();
    // 64 generated tokens → prefill + 2 chunks.
    let got = check_commitment(&id, 64, &committed, &refs).unwrap();
    assert_eq!(got, proofs);
    assert_eq!(
        check_commitment(&id, 96, &committed, &refs),
        Err(CommitmentError::Count { have: 3, need: 4 })
    );
    assert_eq!(
        check_commitment(&H256([8u8; 32]), 64, &committed, &refs),
        Err(CommitmentError::Mismatch)
    );
    let mut swapped = refs.clone();
    swapped.swap(0, 1);
    assert_eq!(
        check_commitment(&id, 64, &committed, &swapped),
        Err(CommitmentError::Mismatch)
    );
    let t = Thresholds::default();
    assert_eq!(
        check_reexecution(&got, &chunks, &t),
        Rung::Reexecuted(vec![true; 3])
    );
    let mut cheap = chunks.clone();
    cheap[2] = chunk(77);
    assert_eq!(
        check_reexecution(&got, &cheap, &t),
        Rung::Reexecuted(vec![true, true, false])
    );
    assert_eq!(
        check_reexecution(&got, &chunks[..2], &t),
        Rung::Reexecuted(vec![true, true, false])
    );
}

fn layers(n: usize, width: usize, seed: u64) -> Vec<IntLinear> {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|i| IntLinear {
            rows: width,
            cols: width,
            weights: (0..width * width)
                .map(|_| (r.next_u32() % 17) as i8 - 8)
                .collect(),
            bias: (0..width)
                .map(|_| (r.next_u32() % 201) as i32 - 100)
                .collect(),
            shift: 5,
            relu: i % 2 == 0,
            residual: true,
        })
        .collect()
}

/// Runs `ops` but corrupts the state after step `bad` (1-based) by flipping one value.
fn corrupted_trace(ops: &[IntLinear], input: &[i8], bad: usize) -> (Vec<H256>, Vec<Vec<i8>>) {
    let mut state = input.to_vec();
    let mut hashes = vec![step_hash(0, &state)];
    let mut states = vec![state.clone()];
    for (i, op) in ops.iter().enumerate() {
        state = op.apply(&state).unwrap();
        if i + 1 == bad {
            state[3] = state[3].wrapping_add(1);
        }
        hashes.push(step_hash(i as u64 + 1, &state));
        states.push(state.clone());
    }
    (hashes, states)
}

#[test]
fn referee_finds_the_first_differing_step() {
    let ops = layers(100, 32, 5);
    let input: Vec<i8> = (0..32).map(|i| (i * 5 - 80) as i8).collect();
    let honest = trace(&ops, &input).unwrap();
    for bad in [1usize, 2, 37, 64, 99, 100] {
        let (lying, lying_states) = corrupted_trace(&ops, &input, bad);
        assert_ne!(
            lying[100], honest[100],
            "the corruption must survive to the end"
        );
        // The provider lies from step `bad` on; the challenger is honest.
        let mut g = Bisection::new(100, honest[0]);
        while let Some(i) = g.query() {
            let i_us = i as usize;
            g.answer(i, lying[i_us], honest[i_us]).unwrap();
        }
        assert!(g.rounds() <= 7);
        let (k, agreed) = g.first_difference().unwrap();
        assert_eq!(k as usize, bad);
        assert_eq!(agreed, honest[bad - 1]);
        let prior = &lying_states[bad - 1];
        let v = adjudicate(&g, &ops[bad - 1], prior, &lying[bad], &honest[bad]).unwrap();
        assert_eq!(v, Verdict::ChallengerRight, "bad step {bad}");
        // A forged prior state is refused.
        let mut forged = prior.clone();
        forged[0] ^= 1;
        assert!(adjudicate(&g, &ops[bad - 1], &forged, &lying[bad], &honest[bad]).is_err());
    }
    // A lying challenger loses the same way.
    let (lying, states) = corrupted_trace(&ops, &input, 50);
    let mut g = Bisection::new(100, honest[0]);
    while let Some(i) = g.query() {
        g.answer(i, honest[i as usize], lying[i as usize]).unwrap();
    }
    let v = adjudicate(&g, &ops[49], &states[49], &honest[50], &lying[50]).unwrap();
    assert_eq!(v, Verdict::ProviderRight);
    assert!(g.answer(3, honest[3], honest[3]).is_err());
}

#[test]
fn reference_step_is_exact_integer_arithmetic() {
    let op = IntLinear {
        rows: 2,
        cols: 3,
        weights: vec![1, -2, 3, 127, 127, 127],
        bias: vec![10, -5],
        shift: 2,
        relu: false,
        residual: false,
    };
    // Row 0: 4 − 10 + 18 + 10 = 22 → (22 + 2) >> 2 = 6. Row 1: 127·(4+5+6) − 5 = 1900 → 475 → 127.
    assert_eq!(op.apply(&[4, 5, 6]).unwrap(), vec![6, 127]);
    assert!(op.apply(&[1, 2]).is_err());
}
