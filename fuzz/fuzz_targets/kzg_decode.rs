//! Decoding of commitments, proofs and field elements from arbitrary bytes: never panics, and
//! whatever decodes round-trips exactly (one accepted encoding per value: canonical compressed
//! points, canonical big-endian scalars below r).
#![no_main]

use libfuzzer_sys::fuzz_target;
use zg_kzg::{Bytes32, KzgCommitment, KzgProof};

fuzz_target!(|input: ([u8; 48], [u8; 32])| {
    let (point, scalar) = input;
    let c = KzgCommitment(point);
    match c.to_point() {
        Ok(p) => {
            assert_eq!(
                KzgCommitment::from_point(&p),
                c,
                "commitment does not round-trip"
            );
            assert_eq!(
                KzgProof(point).to_point().ok(),
                Some(p),
                "proof and commitment decoders disagree"
            );
        }
        Err(_) => assert!(
            KzgProof(point).to_point().is_err(),
            "proof decoder accepts what the commitment decoder rejects"
        ),
    }
    let b = Bytes32(scalar);
    match b.to_field() {
        Ok(x) => assert_eq!(
            Bytes32::from_field(&x),
            b,
            "field element does not round-trip"
        ),
        // Rejected exactly when >= r (r's big-endian bytes start 0x73eda753...).
        Err(_) => assert!(
            scalar
                >= [
                    0x73, 0xed, 0xa7, 0x53, 0x29, 0x9d, 0x7d, 0x48, 0x33, 0x39, 0xd8, 0x08, 0x09,
                    0xa1, 0xd8, 0x05, 0x53, 0xbd, 0xa4, 0x02, 0xff, 0xfe, 0x5b, 0xfe, 0xff, 0xff,
                    0xff, 0xff, 0x00, 0x00, 0x00, 0x01
                ]
        ),
    }
});
