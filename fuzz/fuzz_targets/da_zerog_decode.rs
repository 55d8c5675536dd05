//! 0G-mode blob decoding from arbitrary bytes (test shape 64 × 32): never panics; a padded blob
//! that decodes re-pads to the same bytes; a matrix whose scalars come from arbitrary 32-byte
//! words decodes only when every word fits 31 bytes and the padding rules hold, and then
//! round-trips through the encoder.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zg_da::zerog::{Dims, Fr, encode, extend, pad_payload, payload_from_scalars, unpad_payload};

#[derive(Arbitrary, Debug)]
struct Input {
    /// Bytes written over the start of a padded blob.
    head: Vec<u8>,
    /// The length field.
    len: u32,
    /// A few scalars placed anywhere in the matrix.
    words: Vec<(u16, [u8; 32])>,
}

fuzz_target!(|input: Input| {
    let d = Dims::TEST;
    let mut padded = vec![0u8; d.padded_size()];
    let n = input.head.len().min(d.max_payload());
    padded[..n].copy_from_slice(&input.head[..n]);
    padded[d.max_payload()..].copy_from_slice(&input.len.to_le_bytes());
    if let Ok(payload) = unpad_payload(&padded, d) {
        assert_eq!(
            pad_payload(payload, d).ok().as_deref(),
            Some(&padded[..]),
            "re-pad differs"
        );
    }
    // arbitrary matrix words through the scalar decoder
    let mut m = vec![Fr::from(0u64); d.elements()];
    for (pos, w) in input.words.iter().take(64) {
        use ark_ff::PrimeField;
        m[*pos as usize % d.elements()] = Fr::from_le_bytes_mod_order(w);
    }
    if let Ok(p) = payload_from_scalars(&m, d) {
        // Accepted only if every scalar fits 31 bytes: re-encoding gives the same matrix.
        let blob = encode(&p, d).expect("a decoded payload re-encodes");
        assert_eq!(blob.original(), &m[..], "decode/encode round trip");
    }
    let _ = extend(m, d).map(|b| b.decode());
});
