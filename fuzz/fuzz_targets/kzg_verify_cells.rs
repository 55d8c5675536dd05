//! `verify_cell_kzg_proof_batch` on a subset of a valid blob's cells chosen by the fuzzer, with
//! optional tampering of one cell, proof, commitment or index: the untouched batch verifies, a
//! tampered one never does, and nothing panics.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use zg_kzg::{CELLS_PER_EXT_BLOB, Cell, KzgCommitment, KzgProof, KzgSettings};

struct Valid {
    kzg: KzgSettings,
    commitments: [KzgCommitment; 2],
    cells: [Vec<Cell>; 2],
    proofs: [Vec<KzgProof>; 2],
}

fn valid() -> &'static Valid {
    static V: OnceLock<Valid> = OnceLock::new();
    V.get_or_init(|| {
        let kzg = KzgSettings::mainnet().expect("setup");
        let mk = |seed: usize| {
            let mut bytes = vec![0u8; zg_kzg::BYTES_PER_BLOB];
            for (i, b) in bytes.iter_mut().enumerate() {
                *b = if i % 32 == 0 {
                    0
                } else {
                    ((i + seed) * 131 % 251) as u8
                };
            }
            let blob = zg_kzg::Blob::from_slice(&bytes).expect("blob");
            let c = kzg.blob_to_kzg_commitment(&blob).expect("commit");
            let (cells, proofs) = kzg.compute_cells_and_kzg_proofs(&blob).expect("cells");
            (c, cells.to_vec(), proofs.to_vec())
        };
        let (c0, cells0, p0) = mk(1);
        let (c1, cells1, p1) = mk(2);
        Valid {
            kzg,
            commitments: [c0, c1],
            cells: [cells0, cells1],
            proofs: [p0, p1],
        }
    })
}

#[derive(Arbitrary, Debug)]
struct Input {
    /// (blob, cell index) pairs to include (taken mod 2 and mod 128).
    picks: Vec<(bool, u8)>,
    /// Tampering: which entry, what to change, which byte, xor mask.
    tamper: Option<(u8, u8, u16, u8)>,
}

fuzz_target!(|input: Input| {
    let v = valid();
    let picks: Vec<(usize, u64)> = input
        .picks
        .iter()
        .take(16)
        .map(|&(b, i)| (usize::from(b), u64::from(i) % CELLS_PER_EXT_BLOB as u64))
        .collect();
    let mut commitments: Vec<KzgCommitment> =
        picks.iter().map(|&(b, _)| v.commitments[b]).collect();
    let mut indices: Vec<u64> = picks.iter().map(|&(_, i)| i).collect();
    let mut cells: Vec<Cell> = picks.iter().map(|&(b, i)| v.cells[b][i as usize]).collect();
    let mut proofs: Vec<KzgProof> = picks
        .iter()
        .map(|&(b, i)| v.proofs[b][i as usize])
        .collect();
    let mut tampered = false;
    if let (Some((which, what, byte, mask)), false) = (input.tamper, picks.is_empty()) {
        let k = usize::from(which) % picks.len();
        if mask != 0 {
            tampered = true;
            match what % 4 {
                0 => cells[k].0[usize::from(byte) % zg_kzg::BYTES_PER_CELL] ^= mask,
                1 => proofs[k].0[usize::from(byte) % 48] ^= mask,
                2 => commitments[k].0[usize::from(byte) % 48] ^= mask,
                _ => {
                    let new = (indices[k] + u64::from(mask)) % 256;
                    tampered = new != indices[k];
                    indices[k] = new;
                }
            }
        }
    }
    let res = v
        .kzg
        .verify_cell_kzg_proof_batch(&commitments, &indices, &cells, &proofs);
    if tampered {
        assert_ne!(res, Ok(true), "accepted a tampered cell batch");
    } else {
        assert_eq!(res, Ok(true), "rejected a valid cell batch");
    }
});
