//! Key and proof decoding on arbitrary bytes: never panics, and whatever decodes is a canonical
//! encoding (dalek decodes it and re-encodes the very same bytes).
#![no_main]

use curve25519_dalek::edwards::CompressedEdwardsY;
use libfuzzer_sys::fuzz_target;
use zg_vrf::{BatchableProof, Proof, PublicKey};

fuzz_target!(|data: &[u8]| {
    if let Ok(pk) = PublicKey::from_slice(data) {
        assert_eq!(&pk.as_bytes()[..], data);
        let p = CompressedEdwardsY(*pk.as_bytes())
            .decompress()
            .expect("decoded key is a point");
        assert_eq!(
            p.compress().as_bytes(),
            pk.as_bytes(),
            "non-canonical key accepted"
        );
        assert!(!p.is_small_order(), "small-order key accepted");
    }
    if let Ok(proof) = Proof::from_slice(data) {
        assert_eq!(&proof.as_bytes()[..], data);
        let g = CompressedEdwardsY(data[..32].try_into().unwrap())
            .decompress()
            .expect("decoded gamma is a point");
        assert_eq!(
            &g.compress().as_bytes()[..],
            &data[..32],
            "non-canonical gamma accepted"
        );
        // s < q: the top nibble of a canonical scalar is at most 1.
        assert!(data[79] < 0x20);
        let _ = proof.proof_to_hash();
    }
    if let Ok(bp) = BatchableProof::from_slice(data) {
        assert_eq!(&bp.as_bytes()[..], data);
        assert_eq!(bp.proof().is_ok(), Proof::from_slice(&data[..80]).is_ok());
    }
});
