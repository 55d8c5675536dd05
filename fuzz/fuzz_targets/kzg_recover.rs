//! `recover_cells_and_kzg_proofs` with arbitrary index sets: at least half of the cells (in
//! ascending order) always recovers the original cells and proofs exactly; fewer, duplicate,
//! unordered or out-of-range indices are errors, never panics.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use zg_kzg::{CELLS_PER_EXT_BLOB, Cell, KzgProof, KzgSettings};

fn valid() -> &'static (KzgSettings, Vec<Cell>, Vec<KzgProof>) {
    static V: OnceLock<(KzgSettings, Vec<Cell>, Vec<KzgProof>)> = OnceLock::new();
    V.get_or_init(|| {
        let kzg = KzgSettings::mainnet().expect("setup");
        let mut bytes = vec![0u8; zg_kzg::BYTES_PER_BLOB];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = if i % 32 == 0 { 0 } else { (i * 17 % 253) as u8 };
        }
        let blob = zg_kzg::Blob::from_slice(&bytes).expect("blob");
        let (cells, proofs) = kzg.compute_cells_and_kzg_proofs(&blob).expect("cells");
        (kzg, cells.to_vec(), proofs.to_vec())
    })
}

#[derive(Arbitrary, Debug)]
enum Input {
    /// A subset as a bitmask: ascending, distinct, in range.
    Mask(u128),
    /// Raw index list (may be unordered, duplicated, out of range).
    Raw(Vec<u8>),
}

fuzz_target!(|input: Input| {
    let (kzg, cells, proofs) = valid();
    let indices: Vec<u64> = match input {
        Input::Mask(m) => (0..128u64).filter(|i| m >> i & 1 == 1).collect(),
        Input::Raw(r) => r.iter().take(160).map(|&i| u64::from(i)).collect(),
    };
    let given: Vec<Cell> = indices
        .iter()
        .map(|&i| cells[(i as usize) % CELLS_PER_EXT_BLOB])
        .collect();
    let res = kzg.recover_cells_and_kzg_proofs(&indices, &given);
    let well_formed = indices.len() >= CELLS_PER_EXT_BLOB / 2
        && indices.windows(2).all(|w| w[0] < w[1])
        && indices.iter().all(|&i| i < CELLS_PER_EXT_BLOB as u64);
    match res {
        Ok((c, p)) => {
            assert!(
                well_formed,
                "recovered from a malformed index set {indices:?}"
            );
            assert_eq!(&c[..], &cells[..], "recovered cells differ");
            assert_eq!(&p[..], &proofs[..], "recovered proofs differ");
        }
        Err(e) => assert!(!well_formed, "failed on a well-formed index set: {e}"),
    }
});
