//! Properties of the 0G trees: streaming = one-shot, segments = file root, proofs sound,
//! flow placement = the rules. The slow references here materialise every leaf.

// In tests a panic is a failure report, and casts work on small test sizes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

use proptest::prelude::*;
use zg_core::hash::zero_hashes;
use zg_core::tree::{
    FileRootBuilder, Flow, MerkleTree, Proof, SECTORS_PER_SEGMENT, ceil_log2, file_root, file_tree,
    insertion_plan, padded_sectors, root_from_segments, sector_hashes, sectors_for_size,
    segment_roots, submission_heights,
};
use zg_core::{Error, H256, hash_pair};

/// Reference: zero-pad the data to the padded length, hash every sector, promote-odd tree.
fn reference_root(data: &[u8]) -> H256 {
    let sectors = sectors_for_size(data.len() as u64);
    let padded = padded_sectors(sectors).unwrap();
    let mut bytes = data.to_vec();
    bytes.resize(padded as usize * 256, 0);
    let leaves = bytes.chunks(256).map(zg_core::keccak256).collect();
    MerkleTree::from_leaves(leaves).unwrap().root()
}

fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn streamed(data: &[u8], cuts: &[usize]) -> H256 {
    let mut b = FileRootBuilder::new();
    let mut rest = data;
    for &c in cuts {
        let c = c.min(rest.len());
        b.update(&rest[..c]);
        rest = &rest[c..];
    }
    b.update(rest);
    b.finalize().unwrap().root()
}

#[test]
fn every_size_edge_up_to_1100_sectors() {
    let data = pseudo_random(1100 * 256, 1);
    for sectors in 1..=1100usize {
        for len in [sectors * 256 - 255, sectors * 256 - 1, sectors * 256] {
            let d = &data[..len];
            let expected = reference_root(d);
            assert_eq!(file_root(d).unwrap(), expected, "{len} bytes");
            let sub = zg_core::tree::file_submission(d).unwrap();
            sub.validate().unwrap();
            assert_eq!(
                sub.heights(),
                submission_heights(padded_sectors(sectors as u64).unwrap())
            );
        }
    }
}

#[test]
fn empty_file_is_an_error() {
    assert_eq!(file_root(&[]), Err(Error::EmptyInput));
    assert_eq!(FileRootBuilder::new().finalize(), Err(Error::EmptyInput));
    assert_eq!(segment_roots(&[]), Err(Error::EmptyInput));
    assert!(file_tree(&[]).is_err());
}

/// A file over 1 GiB: 2^30 + 1 zero bytes = 2^22 + 1 sectors, padded to 2^22 + 2^19, so the
/// submission is [Z[22], Z[19]] and the root is keccak(Z[22] || Z[19]) — known without hashing.
#[test]
fn over_one_gib_streams_to_the_known_root() {
    let z = zero_hashes();
    let expected = hash_pair(&z[22], &z[19]);
    let mib = vec![0u8; 1 << 20];
    let mut b = FileRootBuilder::new();
    for _ in 0..1024 {
        b.update(&mib);
    }
    b.update(&[0]);
    let sub = b.finalize().unwrap();
    assert_eq!(sub.heights(), vec![22, 19]);
    assert_eq!(sub.size, (1 << 30) + 1);
    assert_eq!(sub.root(), expected);
}

#[cfg(feature = "parallel")]
#[test]
fn parallel_builder_matches_serial_across_batches() {
    // 20 MiB + odd tail: several 8 MiB batches, fed in uneven pieces and in one piece.
    let data = pseudo_random(20 * (1 << 20) + 777, 7);
    let serial = file_root(&data).unwrap();
    assert_eq!(zg_core::tree::file_root_parallel(&data).unwrap(), serial);
    let mut b = FileRootBuilder::parallel();
    for piece in data.chunks(3 * (1 << 20) + 13) {
        b.update(piece);
    }
    let sub = b.finalize().unwrap();
    assert_eq!(sub.root(), serial);
    assert_eq!(sub.size, data.len() as u64);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn streaming_equals_one_shot(
        len in 1usize..40_000,
        seed in any::<u64>(),
        cuts in proptest::collection::vec(0usize..3000, 0..20),
    ) {
        let data = pseudo_random(len, seed);
        let expected = reference_root(&data);
        prop_assert_eq!(file_root(&data).unwrap(), expected);
        prop_assert_eq!(streamed(&data, &cuts), expected);
    }

    #[test]
    fn segment_roots_fold_to_the_file_root(sectors in 1u64..5000, seed in any::<u64>()) {
        let data = pseudo_random(sectors as usize * 256 - (seed % 200) as usize, seed);
        let segs = segment_roots(&data).unwrap();
        let padded = padded_sectors(sectors_for_size(data.len() as u64)).unwrap();
        prop_assert_eq!(segs.len() as u64, padded.div_ceil(SECTORS_PER_SEGMENT));
        prop_assert_eq!(root_from_segments(&segs).unwrap(), file_root(&data).unwrap());
    }

    #[test]
    fn file_proofs_verify_and_tampering_fails(
        len in 1usize..20_000,
        seed in any::<u64>(),
        pick in any::<u64>(),
        flip in any::<u64>(),
    ) {
        let data = pseudo_random(len, seed);
        let tree = file_tree(&data).unwrap();
        let root = tree.root();
        prop_assert_eq!(root, file_root(&data).unwrap());
        let n = tree.num_leaves();
        let i = pick % n;
        let leaf = tree.leaf(i).unwrap();
        let proof = tree.proof(i).unwrap();
        prop_assert!(proof.verify(&root, &leaf, i, n).is_ok());
        // Any other index fails.
        let j = (i + 1 + flip % n.max(2)) % n;
        if j != i {
            prop_assert!(proof.verify(&root, &leaf, j, n).is_err());
        }
        // Any flipped bit of the encoded proof fails (to decode, or to verify).
        let mut bytes = proof.to_bytes();
        let bit = (flip % (bytes.len() as u64 * 8)) as usize;
        bytes[bit / 8] ^= 1 << (bit % 8);
        let tampered_ok = Proof::from_bytes(&bytes)
            .map(|p| p.verify(&root, &leaf, i, n).is_ok())
            .unwrap_or(false);
        prop_assert!(!tampered_ok, "bit {} flipped still verifies", bit);
        // The sector hashes agree with the tree's leaves.
        prop_assert_eq!(sector_hashes(&data).unwrap()[i as usize], leaf);
    }

    #[test]
    fn flow_placement_follows_the_rules(
        sizes in proptest::collection::vec(1u64..3000, 1..12),
        pick in any::<u64>(),
        flip in any::<u64>(),
    ) {
        let mut flow = Flow::new();
        for &sectors in &sizes {
            let before = flow.length();
            let padded = padded_sectors(sectors).unwrap();
            let heights = submission_heights(padded);
            let plan = insertion_plan(before, &heights).unwrap();
            // Brute force: the first position >= before, aligned to the first node, that is
            // segment-aligned or stays inside one segment.
            let align = 1u64 << heights[0];
            let start = (before..)
                .filter(|s| s % align == 0)
                .find(|s| s % 1024 == 0 || s / 1024 == (s + padded - 1) / 1024)
                .unwrap();
            prop_assert_eq!(plan[0], start);
            let mut pos = start;
            for (p, h) in plan.iter().zip(&heights) {
                prop_assert_eq!(*p, pos);
                prop_assert_eq!(p % (1u64 << h), 0);
                pos += 1 << h;
            }
            let data = vec![(sectors % 251) as u8 + 1; (sectors * 256) as usize];
            let placed = flow.append_file(&data).unwrap();
            prop_assert_eq!(placed.start, start);
            prop_assert_eq!(flow.length(), start + padded);
        }
        // Sector proofs against the flow root, and tampering fails.
        let (root, depth, len) = (flow.root(), flow.depth(), flow.length());
        prop_assert_eq!(depth, ceil_log2(len));
        let i = pick % len;
        let leaf = flow.sector_hash(i).unwrap();
        let proof = flow.proof(i).unwrap();
        prop_assert!(proof.verify_complete(&root, &leaf, i, depth).is_ok());
        if len > 1 {
            let j = (i + 1 + flip % (len - 1)) % len;
            prop_assert!(proof.verify_complete(&root, &leaf, j, depth).is_err());
        }
        let mut bytes = proof.to_bytes();
        let bit = (flip % (bytes.len() as u64 * 8)) as usize;
        bytes[bit / 8] ^= 1 << (bit % 8);
        let tampered_ok = Proof::from_bytes(&bytes)
            .map(|p| p.verify_complete(&root, &leaf, i, depth).is_ok())
            .unwrap_or(false);
        prop_assert!(!tampered_ok);
    }
}
