//! Proof decoding and verification: decoding is a strict round trip, nothing panics, and the only
//! proof that verifies for a (root, leaf, position) is the honest one.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zg_core::tree::{Proof, file_tree};

#[derive(Arbitrary, Debug)]
struct Input {
    file: Vec<u8>,
    position: u64,
    num_leaves_delta: u8,
    proof: Vec<u8>,
}

fuzz_target!(|input: Input| {
    let decoded = Proof::from_bytes(&input.proof);
    if let Ok(p) = &decoded {
        assert_eq!(p.to_bytes(), input.proof, "decoding is canonical");
    }
    let Ok(tree) = file_tree(&input.file[..input.file.len().min(1 << 16)]) else {
        return;
    };
    let n = tree.num_leaves();
    let position = input.position % n;
    let root = tree.root();
    let leaf = tree.leaf(position).unwrap();
    let honest = tree.proof(position).unwrap();
    honest.verify(&root, &leaf, position, n).unwrap();
    if let Ok(p) = decoded {
        // Any leaf count: a forged proof never verifies.
        let leaves = n + u64::from(input.num_leaves_delta);
        if p.verify(&root, &leaf, position, leaves).is_ok() {
            assert_eq!(p, honest, "a forged proof verified");
        }
        if p.verify_complete(&root, &leaf, position, tree.height())
            .is_ok()
        {
            assert_eq!(
                p.lemma, honest.lemma,
                "a forged complete-tree proof verified"
            );
        }
    }
});
