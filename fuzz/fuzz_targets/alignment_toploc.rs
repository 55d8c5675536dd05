//! TOPLOC proof decoding and verification on arbitrary bytes: never panics; whatever decodes
//! re-encodes to the same bytes (and its base64 to the same text); verifying a decoded proof
//! against an arbitrary chunk never panics and reports consistent counts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zg_alignment::toploc::{Proof, Thresholds, base64_decode, base64_encode, verify};

fuzz_target!(|data: &[u8]| {
    let Some((&k, rest)) = data.split_first() else {
        return;
    };
    let k = usize::from(k % 8) + 1;
    let (proof_bytes, chunk_bytes) = rest.split_at(rest.len().min(2 + 2 * k));
    if let Ok(p) = Proof::from_bytes_k(proof_bytes, k) {
        assert_eq!(p.to_bytes(), proof_bytes);
        assert_eq!(Proof::from_base64_any(&p.to_base64()).unwrap(), p);
        let chunk: Vec<u16> = chunk_bytes
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        if let Ok(r) = verify(&p, &chunk, &Thresholds::default()) {
            assert_eq!(r.exp_mismatches + r.compared, k as u32);
            assert_eq!(r.mant_err_median.is_some(), r.compared > 0);
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(bytes) = base64_decode(text) {
            assert_eq!(base64_encode(&bytes), text, "non-canonical base64 accepted");
        }
    }
});
