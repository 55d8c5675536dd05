//! Arbitrary bytes as an ABI-encoded answer (and as `submit` calldata): decoding never panics,
//! whatever decodes re-encodes to the same bytes, and verification of whatever decodes agrees
//! with the plain reference.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zg_pora::{Answer, verify_answer};

#[path = "pora_common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let f = common::fixture();
    for decoded in [Answer::abi_decode(data), Answer::from_submit_calldata(data)] {
        let Ok(answer) = decoded else { continue };
        let bytes = if data.len() % 32 == 0 {
            answer.abi_encode()
        } else {
            answer.submit_calldata()
        };
        assert_eq!(bytes, data, "decoding accepted a non-canonical encoding");
        let got = verify_answer(&answer, &f.view).ok().map(|v| v.output);
        assert_eq!(got, common::reference_verify(&answer, &f.view));
    }
    // Splicing the input into the honest answer's encoding: the verdict matches the reference.
    let mut enc = f.answer.abi_encode();
    let at = data.first().map_or(0, |&b| usize::from(b) * 17 % enc.len());
    for (dst, src) in enc[at..].iter_mut().zip(data.iter().skip(1)) {
        *dst = *src;
    }
    if let Ok(answer) = Answer::abi_decode(&enc) {
        let got = verify_answer(&answer, &f.view).ok().map(|v| v.output);
        assert_eq!(got, common::reference_verify(&answer, &f.view));
        if answer != f.answer && got.is_some() {
            // A different answer that verifies must be a genuine one: the reference agrees
            // (checked above), so it is not a tampering of a checked field.
            assert!(
                answer.nonce != f.answer.nonce
                    || answer.seal_offset != f.answer.seal_offset
                    || answer.range != f.answer.range
                    || answer.recall_position != f.answer.recall_position
            );
        }
    }
});
