//! Flow insertion of arbitrary submissions: placement follows the rules, roots are stable, and
//! every sector proof verifies while a shifted position does not.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zg_core::tree::{Flow, insertion_plan, padded_sectors, submission_heights};

#[derive(Arbitrary, Debug)]
struct Input {
    files: Vec<(u16, u8)>,
    probes: Vec<u32>,
}

fuzz_target!(|input: Input| {
    let mut flow = Flow::new();
    for &(sectors, byte) in input.files.iter().take(8) {
        let sectors = u64::from(sectors % 2048) + 1;
        let heights = submission_heights(padded_sectors(sectors).unwrap());
        let plan = insertion_plan(flow.length(), &heights).unwrap();
        let before = flow.length();
        let placed = flow
            .append_file(&vec![byte; (sectors * 256) as usize])
            .unwrap();
        assert_eq!(placed.start, plan[0]);
        assert!(placed.start >= before);
        for (start, node) in &placed.nodes {
            assert_eq!(start % (1u64 << node.height), 0);
        }
    }
    let (root, depth, len) = (flow.root(), flow.depth(), flow.length());
    for &probe in input.probes.iter().take(16) {
        let i = u64::from(probe) % len;
        let leaf = flow.sector_hash(i).unwrap();
        let proof = flow.proof(i).unwrap();
        proof.verify_complete(&root, &leaf, i, depth).unwrap();
        if len > 1 {
            assert!(
                proof
                    .verify_complete(&root, &leaf, (i + 1) % len, depth)
                    .is_err()
            );
        }
    }
});
