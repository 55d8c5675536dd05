//! Differential tests against the `c-kzg` crate (ethereum/c-kzg-4844): on random and edge-case
//! blobs every output must be byte-identical, and both libraries must reject the same inputs.

// Test code.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use std::sync::OnceLock;
use zg_kzg::*;

/// BLS12-381 scalar modulus r, big-endian.
const R_BE: [u8; 32] = [
    0x73, 0xed, 0xa7, 0x53, 0x29, 0x9d, 0x7d, 0x48, 0x33, 0x39, 0xd8, 0x08, 0x09, 0xa1, 0xd8, 0x05,
    0x53, 0xbd, 0xa4, 0x02, 0xff, 0xfe, 0x5b, 0xfe, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01,
];

fn ours() -> &'static KzgSettings {
    static S: OnceLock<KzgSettings> = OnceLock::new();
    // No tables here: the vector tests cover Precompute::Full, this covers the other path.
    S.get_or_init(|| KzgSettings::mainnet().unwrap())
}

fn theirs() -> &'static c_kzg::KzgSettings {
    c_kzg::ethereum_kzg_settings(0)
}

fn r_minus(k: u8) -> [u8; 32] {
    let mut v = R_BE;
    v[31] -= k; // r ends in 0x01; k <= 1 keeps this simple, larger k borrows below
    v
}

/// A canonical field element from random bytes (top bits cleared, so < 2^254 < r).
fn random_element(rng: &mut ChaCha20Rng) -> [u8; 32] {
    let mut e = [0u8; 32];
    rng.fill_bytes(&mut e);
    e[0] &= 0x3f;
    e
}

fn blob_from_elements(f: impl Fn(usize) -> [u8; 32]) -> Vec<u8> {
    (0..FIELD_ELEMENTS_PER_BLOB).flat_map(f).collect()
}

fn blobs() -> Vec<(String, Vec<u8>)> {
    let mut rng = ChaCha20Rng::seed_from_u64(0x5eed);
    let mut v = vec![
        ("zero".to_string(), vec![0u8; BYTES_PER_BLOB]),
        ("all r-1".to_string(), blob_from_elements(|_| r_minus(1))),
        (
            "alternating 0 / r-1".to_string(),
            blob_from_elements(|i| if i % 2 == 0 { [0; 32] } else { r_minus(1) }),
        ),
        (
            "single one at the end".to_string(),
            blob_from_elements(|i| {
                let mut e = [0u8; 32];
                if i == FIELD_ELEMENTS_PER_BLOB - 1 {
                    e[31] = 1;
                }
                e
            }),
        ),
        ("constant".to_string(), {
            let e = random_element(&mut rng);
            blob_from_elements(|_| e)
        }),
    ];
    for k in 0..3 {
        let b: Vec<u8> = (0..FIELD_ELEMENTS_PER_BLOB)
            .flat_map(|_| random_element(&mut rng))
            .collect();
        v.push((format!("random {k}"), b));
    }
    v
}

#[test]
fn commitments_and_blob_proofs_match() {
    for (name, bytes) in blobs() {
        let ob = Blob::from_slice(&bytes).unwrap();
        let tb = c_kzg::Blob::from_bytes(&bytes).unwrap();
        let oc = ours().blob_to_kzg_commitment(&ob).unwrap();
        let tc = theirs().blob_to_kzg_commitment(&tb).unwrap().to_bytes();
        assert_eq!(oc.0[..], tc.as_slice()[..], "commitment of {name}");
        let op = ours().compute_blob_kzg_proof(&ob, &oc).unwrap();
        let tp = theirs()
            .compute_blob_kzg_proof(&tb, &tc)
            .unwrap()
            .to_bytes();
        assert_eq!(op.0[..], tp.as_slice()[..], "blob proof of {name}");
        assert!(ours().verify_blob_kzg_proof(&ob, &oc, &op).unwrap());
        assert!(theirs().verify_blob_kzg_proof(&tb, &tc, &tp).unwrap());
    }
}

#[test]
fn point_proofs_match_inside_and_outside_the_domain() {
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let all = blobs();
    // z values: random, zero, one (a root of unity), and another root of unity.
    let root = {
        // A 4096th root of unity: the spec's blob domain element brp(1) = w^2048 = -1.
        r_minus(1)
    };
    let zs = [
        random_element(&mut rng),
        [0u8; 32],
        {
            let mut o = [0u8; 32];
            o[31] = 1;
            o
        },
        root,
    ];
    for (name, bytes) in all.iter().take(4).chain(all.iter().skip(6)) {
        let ob = Blob::from_slice(bytes).unwrap();
        let tb = c_kzg::Blob::from_bytes(bytes).unwrap();
        for z in zs {
            let (op, oy) = ours().compute_kzg_proof(&ob, &Bytes32(z)).unwrap();
            let (tp, ty) = theirs()
                .compute_kzg_proof(&tb, &c_kzg::Bytes32::new(z))
                .unwrap();
            assert_eq!(
                op.0[..],
                tp.to_bytes().as_slice()[..],
                "proof of {name} at {z:02x?}"
            );
            assert_eq!(oy.0[..], ty.as_slice()[..], "y of {name} at {z:02x?}");
            let oc = ours().blob_to_kzg_commitment(&ob).unwrap();
            assert!(ours().verify_kzg_proof(&oc, &Bytes32(z), &oy, &op).unwrap());
            // A wrong y is rejected by both.
            let mut bad = oy.0;
            bad[31] ^= 1;
            if bad != R_BE && fr_ok(&bad) {
                assert!(
                    !ours()
                        .verify_kzg_proof(&oc, &Bytes32(z), &Bytes32(bad), &op)
                        .unwrap()
                );
                let tc = c_kzg::Bytes48::new(oc.0);
                assert!(
                    !theirs()
                        .verify_kzg_proof(
                            &tc,
                            &c_kzg::Bytes32::new(z),
                            &c_kzg::Bytes32::new(bad),
                            &tp.to_bytes()
                        )
                        .unwrap()
                );
            }
        }
    }
}

fn fr_ok(b: &[u8; 32]) -> bool {
    b < &R_BE
}

#[test]
fn cells_proofs_and_recovery_match() {
    let mut rng = ChaCha20Rng::seed_from_u64(12);
    for (name, bytes) in blobs()
        .into_iter()
        .filter(|(n, _)| n == "zero" || n == "all r-1" || n.starts_with("random"))
    {
        let ob = Blob::from_slice(&bytes).unwrap();
        let tb = c_kzg::Blob::from_bytes(&bytes).unwrap();
        let (ocells, oproofs) = ours().compute_cells_and_kzg_proofs(&ob).unwrap();
        let (tcells, tproofs) = theirs().compute_cells_and_kzg_proofs(&tb).unwrap();
        for i in 0..CELLS_PER_EXT_BLOB {
            assert_eq!(
                ocells[i].0[..],
                tcells[i].to_bytes()[..],
                "cell {i} of {name}"
            );
            assert_eq!(
                oproofs[i].0[..],
                tproofs[i].to_bytes().as_slice()[..],
                "cell proof {i} of {name}"
            );
        }
        assert_eq!(*ours().compute_cells(&ob).unwrap(), *ocells);

        // Recovery from a random half (ascending indices), compared with c-kzg.
        let mut idx: Vec<u64> = (0..CELLS_PER_EXT_BLOB as u64).collect();
        for i in (1..idx.len()).rev() {
            let j = usize::try_from(rng.next_u64() % (i as u64 + 1)).unwrap();
            idx.swap(i, j);
        }
        let mut half: Vec<u64> = idx[..CELLS_PER_EXT_BLOB / 2].to_vec();
        half.sort_unstable();
        let ocs: Vec<Cell> = half.iter().map(|&i| ocells[i as usize]).collect();
        let tcs: Vec<c_kzg::Cell> = half.iter().map(|&i| tcells[i as usize]).collect();
        let (rc, rp) = ours().recover_cells_and_kzg_proofs(&half, &ocs).unwrap();
        let (trc, trp) = theirs().recover_cells_and_kzg_proofs(&half, &tcs).unwrap();
        assert_eq!(*rc, *ocells, "recovered cells of {name}");
        assert_eq!(*rp, *oproofs, "recovered proofs of {name}");
        for i in 0..CELLS_PER_EXT_BLOB {
            assert_eq!(rc[i].0[..], trc[i].to_bytes()[..]);
            assert_eq!(rp[i].0[..], trp[i].to_bytes().as_slice()[..]);
        }

        // Batch verification of a random subset agrees, and a tampered cell fails on both.
        let commitment = ours().blob_to_kzg_commitment(&ob).unwrap();
        let pick: Vec<u64> = idx[..10].to_vec();
        let cs = vec![commitment; pick.len()];
        let cells: Vec<Cell> = pick.iter().map(|&i| ocells[i as usize]).collect();
        let proofs: Vec<KzgProof> = pick.iter().map(|&i| oproofs[i as usize]).collect();
        assert!(
            ours()
                .verify_cell_kzg_proof_batch(&cs, &pick, &cells, &proofs)
                .unwrap()
        );
        let mut tampered = cells.clone();
        tampered[3].0[31] ^= 1;
        let tcs: Vec<c_kzg::Bytes48> = cs.iter().map(|c| c_kzg::Bytes48::new(c.0)).collect();
        let tps: Vec<c_kzg::Bytes48> = proofs.iter().map(|p| c_kzg::Bytes48::new(p.0)).collect();
        let tcells: Vec<c_kzg::Cell> = tampered.iter().map(|c| c_kzg::Cell::new(c.0)).collect();
        let ours_ok = ours().verify_cell_kzg_proof_batch(&cs, &pick, &tampered, &proofs);
        let theirs_ok = theirs().verify_cell_kzg_proof_batch(&tcs, &pick, &tcells, &tps);
        match (ours_ok, theirs_ok) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a, b);
                assert!(!a);
            }
            (Err(_), Err(_)) => {} // flipping a bit may make the element non-canonical
            (a, b) => panic!("disagreement on a tampered cell: ours {a:?}, c-kzg {b:?}"),
        }
    }
}

#[test]
fn both_reject_non_canonical_blobs() {
    let mut rng = ChaCha20Rng::seed_from_u64(13);
    let mut above = [0u8; 32];
    above[0] = 0x74;
    for bad in [R_BE, [0xff; 32], above] {
        let mut bytes: Vec<u8> = (0..FIELD_ELEMENTS_PER_BLOB)
            .flat_map(|_| random_element(&mut rng))
            .collect();
        let pos = usize::try_from(rng.next_u64() % FIELD_ELEMENTS_PER_BLOB as u64).unwrap();
        bytes[pos * 32..pos * 32 + 32].copy_from_slice(&bad);
        let ob = Blob::from_slice(&bytes).unwrap();
        let tb = c_kzg::Blob::from_bytes(&bytes).unwrap();
        assert_eq!(
            ours().blob_to_kzg_commitment(&ob),
            Err(Error::NonCanonicalFieldElement { index: pos })
        );
        assert!(theirs().blob_to_kzg_commitment(&tb).is_err());
        assert!(ours().compute_cells_and_kzg_proofs(&ob).is_err());
        assert!(theirs().compute_cells_and_kzg_proofs(&tb).is_err());
    }
}

#[test]
fn batch_verification_matches() {
    let all = blobs();
    let obs: Vec<Blob> = all
        .iter()
        .map(|(_, b)| Blob::from_slice(b).unwrap())
        .collect();
    let cs: Vec<KzgCommitment> = obs
        .iter()
        .map(|b| ours().blob_to_kzg_commitment(b).unwrap())
        .collect();
    let mut ps: Vec<KzgProof> = obs
        .iter()
        .zip(&cs)
        .map(|(b, c)| ours().compute_blob_kzg_proof(b, c).unwrap())
        .collect();
    assert!(ours().verify_blob_kzg_proof_batch(&obs, &cs, &ps).unwrap());
    // Swap two proofs: both libraries reject the batch.
    ps.swap(0, 5);
    assert!(!ours().verify_blob_kzg_proof_batch(&obs, &cs, &ps).unwrap());
    let tbs: Vec<c_kzg::Blob> = all
        .iter()
        .map(|(_, b)| c_kzg::Blob::from_bytes(b).unwrap())
        .collect();
    let tcs: Vec<c_kzg::Bytes48> = cs.iter().map(|c| c_kzg::Bytes48::new(c.0)).collect();
    let tps: Vec<c_kzg::Bytes48> = ps.iter().map(|p| c_kzg::Bytes48::new(p.0)).collect();
    assert!(
        !theirs()
            .verify_blob_kzg_proof_batch(&tbs, &tcs, &tps)
            .unwrap()
    );
}
