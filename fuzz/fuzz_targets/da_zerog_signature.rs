//! 0G-mode point decoding and the chain's γ check on arbitrary bytes: never panics; whatever
//! decodes re-encodes to the same bytes (one accepted encoding per point); a signature only
//! verifies when it is the key's signature of the message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zg_da::zerog::{
    SecretKey, g1_from_bytes, g1_to_bytes, g2_from_bytes, g2_to_bytes, map_to_g1,
    verify_same_message,
};

fuzz_target!(|input: ([u8; 64], [u8; 128], [u8; 32], [u8; 32])| {
    let (g1, g2, digest, sk) = input;
    let p1 = g1_from_bytes(&g1);
    if let Ok(p) = &p1 {
        assert_eq!(g1_to_bytes(p), g1, "G1 does not round-trip");
    }
    let p2 = g2_from_bytes(&g2);
    if let Ok(p) = &p2 {
        assert_eq!(g2_to_bytes(p), g2, "G2 does not round-trip");
    }
    let Ok(h) = map_to_g1(&digest) else { return };
    let Ok(sk) = SecretKey::from_be_bytes(&sk) else {
        return;
    };
    let (pk1, pk2) = (sk.public_g1(), sk.public_g2());
    assert!(
        verify_same_message(&h, &sk.sign(&h), &pk1, &pk2).is_ok(),
        "honest signature fails"
    );
    if let Ok(sig) = p1 {
        if sig != sk.sign(&h) {
            assert!(
                verify_same_message(&h, &sig, &pk1, &pk2).is_err(),
                "forged signature verifies"
            );
        }
    }
});
