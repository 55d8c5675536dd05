//! Verify never accepts a changed key, input or proof, and any accepted proof yields the
//! honest output (full uniqueness); arbitrary bytes never panic.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zg_vrf::{SecretKey, Suite, ecvrf_verify};

#[derive(Arbitrary, Debug)]
struct Input {
    seed: [u8; 32],
    alpha: Vec<u8>,
    ell2: bool,
    /// (position, xor) over pk || pi || alpha.
    flips: Vec<(u16, u8)>,
    raw_pk: [u8; 32],
    raw_pi: [u8; 80],
}

fuzz_target!(|input: Input| {
    // Arbitrary bytes: an error or an output, never a panic.
    let _ = ecvrf_verify(&input.raw_pk, &input.raw_pi, &input.alpha);

    let suite = if input.ell2 { Suite::Ell2 } else { Suite::Tai };
    let sk = SecretKey::from_bytes(&input.seed);
    let proof = suite.prove(&sk, &input.alpha).expect("prove");
    let honest = suite.proof_to_hash(&proof);
    let mut pk = *sk.public_key().as_bytes();
    let mut pi = *proof.as_bytes();
    let mut alpha = input.alpha.clone();
    for (pos, x) in &input.flips {
        let pos = usize::from(*pos);
        if pos < 32 {
            pk[pos] ^= x;
        } else if pos < 112 {
            pi[pos - 32] ^= x;
        } else if !alpha.is_empty() {
            let n = alpha.len();
            alpha[(pos - 112) % n] ^= x;
        }
    }
    let changed =
        pk != *sk.public_key().as_bytes() || pi != *proof.as_bytes() || alpha != input.alpha;
    match suite.verify_bytes(&pk, &alpha, &pi) {
        Ok(beta) => {
            assert!(!changed, "a changed key, input or proof verified");
            assert_eq!(beta, honest);
        }
        Err(_) => assert!(changed, "the honest proof failed"),
    }
});
