//! TOPLOC proofs: round trips, a small deterministic network whose tampered runs are rejected
//! and whose GPU-like noisy runs are accepted, the documented blind spots, and the interop
//! vectors from the `toploc` package (tests/vectors/toploc/).

// Tests: the network simulation uses floats and casts on purpose (it stands in for the GPU).
#![allow(
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss
)]

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use zg_alignment::toploc::{
    PROOF_LEN, Proof, Thresholds, ToplocError, interpolate, prove, topk_indices, verify,
};

fn bf16(x: f32) -> u16 {
    let b = x.to_bits();
    let round = ((b >> 16) & 1) + 0x7FFF;
    ((b + round) >> 16) as u16
}

fn f32_of(b: u16) -> f32 {
    f32::from_bits(u32::from(b) << 16)
}

fn uniform(r: &mut ChaCha8Rng) -> f32 {
    ((r.next_u32() >> 8) as f32 + 0.5) / (1u32 << 24) as f32 * 2.0 - 1.0
}

/// A toy decoder (8 layers of width 256). Measured with it (chunk means of the mantissa error /
/// exponent mismatches, k = 128): bf16 noise 2⁻⁹ ≈ 0.5–0.7 / 0–2; fp8 throughout ≈ 11–14 / 12–17;
/// ±30 % weights ≈ 15–24 / 28–37; one prompt token changed ≈ 21–28 / 40–52.
///
/// Embeddings, `LAYERS` residual tanh layers, each token's state mixed with the
/// previous token's (so a changed prompt changes everything after it).
struct Net {
    emb: Vec<Vec<f32>>,
    /// Mixes the running sum of earlier tokens' embeddings into each token (attention's role).
    ctx: Vec<f32>,
    layers: Vec<Vec<f32>>,
}

const D: usize = 256;
const LAYERS: usize = 8;
const VOCAB: usize = 64;

/// How a run rounds its intermediates (the host's "precision").
#[derive(Clone, Copy)]
enum Precision {
    Bf16,
    /// Every layer's output rounded to 3 mantissa bits (an fp8-e4m3 network).
    Fp8Throughout,
}

impl Net {
    fn new(seed: u64) -> Net {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let emb = (0..VOCAB)
            .map(|_| (0..D).map(|_| uniform(&mut r) * 2.0).collect())
            .collect();
        let scale = 0.8 / (D as f32).sqrt();
        let ctx = (0..D * D)
            .map(|_| uniform(&mut r) * 3.0 / (D as f32).sqrt())
            .collect();
        let layers = (0..LAYERS)
            .map(|_| (0..D * D).map(|_| uniform(&mut r) * scale).collect())
            .collect();
        Net { emb, ctx, layers }
    }

    /// Last hidden states per token, as bf16 patterns, with relative `noise` on every output
    /// (GPU-like accumulation-order noise) drawn from `noise_seed`.
    fn run(&self, tokens: &[usize], p: Precision, noise: f32, noise_seed: u64) -> Vec<Vec<u16>> {
        let mut nr = ChaCha8Rng::seed_from_u64(noise_seed);
        let mut sum = vec![0f32; D];
        let round = |x: f32| match p {
            Precision::Bf16 => f32_of(bf16(x)),
            Precision::Fp8Throughout => fp8(x),
        };
        tokens
            .iter()
            .map(|&t| {
                let mut h: Vec<f32> = (0..D)
                    .map(|i| {
                        let c: f32 = (0..D).map(|j| self.ctx[i * D + j] * sum[j]).sum();
                        round(self.emb[t][i] + 2.0 * c.tanh())
                    })
                    .collect();
                for (s, e) in sum.iter_mut().zip(&self.emb[t]) {
                    *s += e;
                }
                for w in &self.layers {
                    let next: Vec<f32> = (0..D)
                        .map(|i| {
                            let s: f32 = (0..D).map(|j| w[i * D + j] * h[j]).sum();
                            let s = s * (1.0 + noise * uniform(&mut nr));
                            round(h[i] + 1.5 * s.tanh())
                        })
                        .collect();
                    h = next;
                }
                // A few "massive activation" dimensions, as real LLM hidden states have.
                h.iter()
                    .enumerate()
                    .map(|(i, &x)| bf16(if i % 32 == 5 { 16.0 * x } else { x }))
                    .collect()
            })
            .collect()
    }
}

/// Rounds to 3 mantissa bits (fp8 e4m3's precision), nearest-even.
fn fp8(x: f32) -> f32 {
    let b = x.to_bits();
    let round = ((b >> 20) & 1) + 0x7FFFF;
    f32::from_bits((b + round) & !0xFFFFF)
}

/// The prefill chunk, then one chunk per 32 generated tokens, flattened.
fn chunks(states: &[Vec<u16>], prompt_len: usize) -> Vec<Vec<u16>> {
    let mut out = vec![states[..prompt_len].concat()];
    out.extend(states[prompt_len..].chunks(32).map(|c| c.concat()));
    out
}

fn tokens(seed: usize, prompt: usize, generated: usize) -> Vec<usize> {
    (0..prompt + generated)
        .map(|i| (i * 7 + seed * 13 + i * i) % VOCAB)
        .collect()
}

fn verdicts(proofs: &[Proof], chunks: &[Vec<u16>]) -> Vec<bool> {
    proofs
        .iter()
        .zip(chunks)
        .map(|(p, c)| verify(p, c, &Thresholds::default()).unwrap().pass)
        .collect()
}

fn honest() -> (Net, Vec<usize>, Vec<Proof>) {
    let net = Net::new(1);
    let toks = tokens(0, 20, 64);
    let states = net.run(&toks, Precision::Bf16, 0.0, 0);
    let proofs = chunks(&states, 20)
        .iter()
        .map(|c| prove(c).unwrap())
        .collect();
    (net, toks, proofs)
}

#[test]
fn honest_and_gpu_noise_accepted() {
    let (net, toks, proofs) = honest();
    let same = chunks(&net.run(&toks, Precision::Bf16, 0.0, 0), 20);
    for (p, c) in proofs.iter().zip(&same) {
        let r = verify(p, c, &Thresholds::default()).unwrap();
        assert_eq!((r.exp_mismatches, r.mant_err_sum, r.pass), (0, 0, true));
    }
    // Relative noise of 2⁻⁹ on every layer output, several noise draws.
    for seed in 1..6 {
        let noisy = chunks(&net.run(&toks, Precision::Bf16, 1.0 / 512.0, seed), 20);
        assert!(
            verdicts(&proofs, &noisy).iter().all(|&v| v),
            "noise seed {seed}"
        );
    }
}

#[test]
fn changed_weights_rejected() {
    let (net, toks, proofs) = honest();
    let mut other = Net {
        emb: net.emb.clone(),
        ctx: net.ctx.clone(),
        layers: net.layers.clone(),
    };
    let mut r = ChaCha8Rng::seed_from_u64(99);
    for w in other.layers.iter_mut().flatten() {
        *w *= 1.0 + 0.3 * uniform(&mut r);
    }
    let c = chunks(&other.run(&toks, Precision::Bf16, 0.0, 0), 20);
    assert!(verdicts(&proofs, &c).iter().all(|&v| !v));
}

#[test]
fn changed_prompt_rejected() {
    let (net, mut toks, proofs) = honest();
    toks[3] = (toks[3] + 1) % VOCAB;
    let c = chunks(&net.run(&toks, Precision::Bf16, 0.0, 0), 20);
    assert!(verdicts(&proofs, &c).iter().all(|&v| !v));
}

#[test]
fn lower_precision_network_rejected() {
    let (net, toks, proofs) = honest();
    let c = chunks(&net.run(&toks, Precision::Fp8Throughout, 0.0, 0), 20);
    assert!(verdicts(&proofs, &c).iter().all(|&v| !v));
}

/// Blind spot 1 (documented): the sign is never compared.
#[test]
fn negated_activations_pass_unnoticed() {
    let (net, toks, proofs) = honest();
    let c: Vec<Vec<u16>> = chunks(&net.run(&toks, Precision::Bf16, 0.0, 0), 20)
        .into_iter()
        .map(|c| c.into_iter().map(|b| b ^ 0x8000).collect())
        .collect();
    for (p, c) in proofs.iter().zip(&c) {
        let r = verify(p, c, &Thresholds::default()).unwrap();
        assert_eq!((r.exp_mismatches, r.mant_err_sum, r.pass), (0, 0, true));
    }
}

/// Blind spot 2 (documented): rounding only the final activations to fp8 passes.
#[test]
fn final_fp8_rounding_passes_unnoticed() {
    let (net, toks, proofs) = honest();
    let c: Vec<Vec<u16>> = chunks(&net.run(&toks, Precision::Bf16, 0.0, 0), 20)
        .into_iter()
        .map(|c| c.into_iter().map(|b| bf16(fp8(f32_of(b)))).collect())
        .collect();
    assert!(verdicts(&proofs, &c).iter().all(|&v| v));
}

#[test]
fn proof_bytes_round_trip_and_decoding_is_strict() {
    let (_, _, proofs) = honest();
    for p in &proofs {
        let b = p.to_bytes();
        assert_eq!(b.len(), PROOF_LEN);
        assert_eq!(Proof::from_bytes(&b).unwrap(), *p);
        let t = p.to_base64();
        assert_eq!(t.len(), 344);
        assert_eq!(Proof::from_base64(&t).unwrap(), *p);
    }
    let b = proofs[0].to_bytes();
    assert!(matches!(
        Proof::from_bytes(&b[..257]),
        Err(ToplocError::BadLength { .. })
    ));
    let mut bad = b.clone();
    bad[0..2].copy_from_slice(&0u16.to_be_bytes());
    assert!(matches!(
        Proof::from_bytes(&bad),
        Err(ToplocError::BadModulus { modulus: 0 })
    ));
    bad[0..2].copy_from_slice(&65_498u16.to_be_bytes());
    assert!(matches!(
        Proof::from_bytes(&bad),
        Err(ToplocError::BadModulus { .. })
    ));
    let mut bad = b.clone();
    bad[10..12].copy_from_slice(&65_497u16.to_be_bytes());
    assert!(matches!(
        Proof::from_bytes(&bad),
        Err(ToplocError::NonCanonical { index: 4 })
    ));
    assert_eq!(Proof::from_base64("not base64!"), Err(ToplocError::Base64));
}

#[test]
fn interpolation_passes_through_its_points() {
    let mut r = ChaCha8Rng::seed_from_u64(4);
    let xs: Vec<u32> = (0..128).map(|i| i * 509 % 65_497).collect();
    let ys: Vec<u32> = (0..128).map(|_| r.next_u32() % 65_497).collect();
    let c = interpolate(&xs, &ys);
    for (&x, &y) in xs.iter().zip(&ys) {
        let mut acc = 0u64;
        for &k in c.iter().rev() {
            acc = (acc * u64::from(x) + u64::from(k)) % 65_497;
        }
        assert_eq!(acc, u64::from(y));
    }
}

#[test]
fn topk_ties_go_to_the_lowest_index() {
    // Magnitudes: 1.0 at indices 5, 9 and 2 (as −1.0), 2.0 at 7; k = 3 keeps 7, then 2 and 5.
    let mut c = vec![0u16; 200];
    c[5] = bf16(1.0);
    c[9] = bf16(1.0);
    c[2] = bf16(-1.0);
    c[7] = bf16(2.0);
    assert_eq!(topk_indices(&c, 3).unwrap(), vec![7, 2, 5]);
    assert!(matches!(
        topk_indices(&c[..2], 3),
        Err(ToplocError::ChunkTooSmall { .. })
    ));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

    /// Any chunk (ties, NaNs, zeros included) verifies against its own proof with no error,
    /// and the proof survives bytes and base64.
    #[test]
    fn own_proof_verifies_exactly(chunk in proptest::collection::vec(0u16..0xFFD9, 128..3000)) {
        let p = prove(&chunk).unwrap();
        proptest::prop_assert_eq!(Proof::from_bytes(&p.to_bytes()).unwrap(), p.clone());
        proptest::prop_assert_eq!(Proof::from_base64(&p.to_base64()).unwrap(), p.clone());
        let r = verify(&p, &chunk, &Thresholds::default()).unwrap();
        proptest::prop_assert_eq!((r.exp_mismatches, r.mant_err_sum, r.pass), (0, 0, true));
    }
}
