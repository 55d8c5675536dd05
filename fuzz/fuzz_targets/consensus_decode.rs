//! Decoding arbitrary bytes as consensus messages and receipts never panics, and whatever
//! decodes re-encodes to exactly the same bytes (the encoding is canonical).
#![no_main]

use libfuzzer_sys::fuzz_target;
use zg_consensus::codec::{decode_message, decode_receipt, encode_message, encode_receipt};
use zg_consensus::{Bls, InsecureTestScheme};

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = decode_message::<Bls>(data) {
        assert_eq!(encode_message(&m), data);
    }
    if let Ok(m) = decode_message::<InsecureTestScheme>(data) {
        assert_eq!(encode_message(&m), data);
    }
    if let Ok(r) = decode_receipt::<Bls>(data) {
        assert_eq!(encode_receipt(&r), data);
    }
});
