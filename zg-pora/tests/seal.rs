//! Sealing laws: unseal(seal(x)) = x for any seal, miner, context and position; any suffix unseals
//! from the sealed word before it; sealing depends on every input.

// In tests a panic is a failure report, and casts work on small test sizes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

use proptest::prelude::*;
use zg_core::H256;
use zg_pora::seal::{self, WORD_SIZE};

fn seal_bytes() -> impl Strategy<Value = [u8; 4096]> {
    // A seed expanded with a cheap LCG: random-looking seals without 4096 shrinkable bytes.
    (any::<u64>(), any::<u8>()).prop_map(|(seed, fill)| {
        let mut x = seed | 1;
        core::array::from_fn(|i| {
            if fill == 0 {
                return (i as u8).wrapping_mul(31);
            }
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 56) as u8
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn unseal_inverts_seal(
        data in seal_bytes(),
        miner in any::<[u8; 32]>(),
        context in any::<[u8; 32]>(),
        start in any::<u64>(),
    ) {
        let (miner, context) = (H256(miner), H256(context));
        let mut sealed = data;
        seal::seal(&mut sealed, &miner, &context, start);
        prop_assert_ne!(sealed, data);
        let mut back = sealed;
        seal::unseal(&mut back, &miner, &context, start);
        prop_assert_eq!(back, data);
    }

    #[test]
    fn every_suffix_unseals_from_the_word_before(
        data in seal_bytes(),
        miner in any::<[u8; 32]>(),
        from_word in 1usize..128,
    ) {
        let miner = H256(miner);
        let context = H256([7; 32]);
        let mut sealed = data;
        seal::seal(&mut sealed, &miner, &context, 4096);
        let at = from_word * WORD_SIZE;
        let prev: [u8; 32] = sealed[at - WORD_SIZE..at].try_into().unwrap();
        let mut tail = sealed[at..].to_vec();
        seal::unseal_suffix(&mut tail, &prev).unwrap();
        prop_assert_eq!(&tail[..], &data[at..]);
    }

    #[test]
    fn sealing_binds_miner_context_and_position(
        data in seal_bytes(),
        miner in any::<[u8; 32]>(),
        flip in 0usize..96,
    ) {
        let miner = H256(miner);
        let context = H256([3; 32]);
        let start = 1u64 << 20;
        let mut a = data;
        seal::seal(&mut a, &miner, &context, start);
        // Change one input bit: miner id, context, or start sector.
        let (mut m2, mut c2, mut s2) = (miner, context, start);
        match flip / 32 {
            0 => m2.0[flip % 32] ^= 1,
            1 => c2.0[flip % 32] ^= 1,
            _ => s2 ^= 1 << (flip % 32),
        }
        let mut b = data;
        seal::seal(&mut b, &m2, &c2, s2);
        prop_assert_ne!(a, b);
    }
}
