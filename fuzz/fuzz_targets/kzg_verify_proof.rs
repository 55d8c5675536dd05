//! `verify_kzg_proof` / `verify_blob_kzg_proof` with arbitrary bytes: never panics, and never
//! accepts a tampered proof. A valid (commitment, z, y, proof) is computed once; the fuzzer
//! picks which bytes to overwrite (or supplies all four values freely).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use zg_kzg::{Blob, Bytes32, KzgCommitment, KzgProof, KzgSettings};

struct Valid {
    kzg: KzgSettings,
    blob: Blob,
    c: KzgCommitment,
    z: Bytes32,
    y: Bytes32,
    pi: KzgProof,
    blob_pi: KzgProof,
}

fn valid() -> &'static Valid {
    static V: OnceLock<Valid> = OnceLock::new();
    V.get_or_init(|| {
        let kzg = KzgSettings::mainnet().expect("setup");
        let mut bytes = vec![0u8; zg_kzg::BYTES_PER_BLOB];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = if i % 32 == 0 { 0 } else { (i * 31 % 251) as u8 };
        }
        let blob = Blob::from_slice(&bytes).expect("blob");
        let c = kzg.blob_to_kzg_commitment(&blob).expect("commit");
        let z = Bytes32([7; 32]);
        let (pi, y) = kzg.compute_kzg_proof(&blob, &z).expect("proof");
        let blob_pi = kzg.compute_blob_kzg_proof(&blob, &c).expect("blob proof");
        Valid {
            kzg,
            blob,
            c,
            z,
            y,
            pi,
            blob_pi,
        }
    })
}

#[derive(Arbitrary, Debug)]
enum Input {
    /// Overwrite `len` bytes at `offset` of the 160-byte concatenation c || z || y || proof.
    Tamper { offset: u8, bytes: Vec<u8> },
    /// Tamper with the blob proof check instead (commitment || proof, then the blob).
    TamperBlob { offset: u32, bytes: Vec<u8> },
    /// Entirely arbitrary values.
    Free {
        c: [u8; 48],
        z: [u8; 32],
        y: [u8; 32],
        pi: [u8; 48],
    },
}

fuzz_target!(|input: Input| {
    let v = valid();
    match input {
        Input::Tamper { offset, bytes } => {
            let mut all = [0u8; 160];
            all[..48].copy_from_slice(&v.c.0);
            all[48..80].copy_from_slice(&v.z.0);
            all[80..112].copy_from_slice(&v.y.0);
            all[112..].copy_from_slice(&v.pi.0);
            let orig = all;
            for (i, b) in bytes.iter().enumerate() {
                if let Some(slot) = all.get_mut(usize::from(offset) + i) {
                    *slot = *b;
                }
            }
            let res = v.kzg.verify_kzg_proof(
                &KzgCommitment::from_slice(&all[..48]).unwrap(),
                &Bytes32::from_slice(&all[48..80]).unwrap(),
                &Bytes32::from_slice(&all[80..112]).unwrap(),
                &KzgProof::from_slice(&all[112..]).unwrap(),
            );
            if all == orig {
                assert_eq!(res, Ok(true), "the valid proof must verify");
            } else {
                assert_ne!(res, Ok(true), "accepted a tampered proof");
            }
        }
        Input::TamperBlob { offset, bytes } => {
            let mut c = v.c;
            let mut pi = v.blob_pi;
            let mut blob = v.blob.clone();
            let mut changed = false;
            for (i, b) in bytes.iter().enumerate() {
                let at = offset as usize % (96 + zg_kzg::BYTES_PER_BLOB) + i;
                let slot = match at {
                    0..48 => &mut c.0[at],
                    48..96 => &mut pi.0[at - 48],
                    _ => match blob.as_bytes_mut().get_mut(at - 96) {
                        Some(s) => s,
                        None => continue,
                    },
                };
                changed |= *slot != *b;
                *slot = *b;
            }
            let res = v.kzg.verify_blob_kzg_proof(&blob, &c, &pi);
            if changed {
                assert_ne!(res, Ok(true), "accepted a tampered blob proof");
            } else {
                assert_eq!(res, Ok(true));
            }
        }
        Input::Free { c, z, y, pi } => {
            let (c, z, y, pi) = (KzgCommitment(c), Bytes32(z), Bytes32(y), KzgProof(pi));
            if let Ok(true) = v.kzg.verify_kzg_proof(&c, &z, &y, &pi) {
                // Binding: no other value at the same point verifies with the same proof.
                let mut y2 = y.to_field().unwrap();
                y2 += zg_kzg::Fr::from(1u64);
                assert_eq!(
                    v.kzg
                        .verify_kzg_proof(&c, &z, &Bytes32::from_field(&y2), &pi),
                    Ok(false)
                );
            }
        }
    }
});
