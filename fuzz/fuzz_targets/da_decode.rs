//! zg-da's decoders on arbitrary bytes: the header and the certificate never panic, and
//! whatever decodes re-encodes to exactly the input (one accepted encoding per value); a
//! decoded header's payload id is the keccak of its length and commitments, its blob count the
//! one its length frames into.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zg_da::certificate::Certificate;
use zg_da::{Header, blob_count, payload_id};

fuzz_target!(|input: (bool, Vec<u8>)| {
    let (as_header, bytes) = input;
    if as_header {
        if let Ok(h) = Header::from_bytes(&bytes) {
            assert_eq!(h.to_bytes(), bytes, "header does not round-trip");
            assert_eq!(h.payload_id(), payload_id(h.length(), h.commitments()));
            assert_eq!(blob_count(h.length()).ok(), Some(h.blobs()));
        }
    } else if let Ok(c) = Certificate::from_bytes(&bytes) {
        assert_eq!(c.to_bytes(), bytes, "certificate does not round-trip");
        assert_eq!(bytes.len(), Certificate::encoded_len(c.signers.len()));
    }
});
