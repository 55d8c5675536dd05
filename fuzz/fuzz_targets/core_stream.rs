//! The streaming builder agrees with the one-shot root and with a materialised tree, for any
//! data and any chunking.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zg_core::tree::{FileRootBuilder, MerkleTree, file_root, sector_hashes};

#[derive(Arbitrary, Debug)]
struct Input {
    data: Vec<u8>,
    cuts: Vec<u16>,
}

fuzz_target!(|input: Input| {
    let data = &input.data;
    let mut b = FileRootBuilder::new();
    let mut rest = &data[..];
    for &c in &input.cuts {
        let c = usize::from(c).min(rest.len());
        b.update(&rest[..c]);
        rest = &rest[c..];
    }
    b.update(rest);
    let streamed = b.finalize();
    let one_shot = file_root(data);
    match (streamed, one_shot) {
        (Ok(s), Ok(r)) => {
            assert_eq!(s.root(), r);
            assert_eq!(s.size, data.len() as u64);
            s.validate().unwrap();
            let reference = MerkleTree::from_leaves(sector_hashes(data).unwrap()).unwrap();
            assert_eq!(reference.root(), r);
        }
        (Err(_), Err(_)) => assert!(data.is_empty()),
        (s, r) => panic!("streaming {s:?} and one-shot {r:?} disagree"),
    }
});
