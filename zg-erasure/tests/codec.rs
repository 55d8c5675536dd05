//! Codec, commitments and decoding: round trips against a straightforward reference, any k of
//! k+m shards, corruption exclusion, streaming, reconstruction, and proofs.

// In tests a panic is a failure report, and casts work on small test sizes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

use proptest::prelude::*;
use proptest::sample::subsequence;
use zg_core::tree::file_root;
use zg_erasure::{
    Config, Decoder, Encoder, Error, Layout, Manifest, PieceProof, ShardTree, decode, encode,
    reconstruct_shard,
};

fn object(len: usize, seed: u64) -> Vec<u8> {
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

/// The reference: cut the object by hand as the layout docs say, and code each stripe with
/// reed-solomon-simd's one-shot `encode`.
fn reference_shards(layout: &Layout, data: &[u8]) -> Vec<Vec<u8>> {
    let (k, m) = (layout.data_shards(), layout.parity_shards());
    let mut shards = vec![Vec::new(); k + m];
    let mut off = 0usize;
    for s in 0..layout.stripes() {
        let c = layout.stripe_chunk(s).unwrap();
        let mut stripe = vec![0u8; k * c];
        let len = layout.stripe_len(s).unwrap();
        stripe[..len].copy_from_slice(&data[off..off + len]);
        off += len;
        let originals: Vec<&[u8]> = stripe.chunks(c).collect();
        let parity = reed_solomon_simd::encode(k, m, &originals).unwrap();
        for (i, o) in originals.iter().enumerate() {
            shards[i].extend_from_slice(o);
        }
        for (j, p) in parity.iter().enumerate() {
            shards[k + j].extend_from_slice(p);
        }
    }
    shards
}

/// Sizes around the stripe grid: 1 byte, exact multiples of the stripe, one past, one short.
fn interesting_size(config: &Config, pick: u8, stripes: u64, free: usize) -> usize {
    let full = config.layout(1).unwrap().chunk_size() * config.data_shards();
    let base = full * stripes as usize;
    match pick % 6 {
        0 => 1,
        1 => base.max(1),
        2 => base + 1,
        3 => base.saturating_sub(1).max(1),
        4 => config.data_shards() * 256 + 1,
        _ => free.max(1),
    }
}

fn shard_counts() -> impl Strategy<Value = (usize, usize)> {
    (1usize..=12, 1usize..=12)
}

fn stripe_sizes() -> impl Strategy<Value = usize> {
    prop_oneof![Just(256usize), Just(1000), Just(4096), Just(65_536)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Any k of the k+m shards decode the object; the other shards may be missing or corrupt.
    #[test]
    fn any_k_shards_decode_the_object(
        (k, m) in shard_counts(),
        stripe in stripe_sizes(),
        pick in any::<u8>(),
        stripes in 0u64..4,
        free in 1usize..40_000,
        seed in any::<u64>(),
        subset_seed in any::<u64>(),
        corrupt_mask in any::<u64>(),
    ) {
        let config = Config::new(k, m).unwrap().with_stripe_size(stripe).unwrap();
        let size = interesting_size(&config, pick, stripes, free);
        let data = object(size, seed);
        let encoded = encode(&data, config).unwrap();
        let layout = *encoded.manifest.layout();

        // The shards are exactly the reference's, and the commitments are 0G file roots.
        prop_assert_eq!(&encoded.shards, &reference_shards(&layout, &data));
        prop_assert_eq!(encoded.manifest.object_root(), file_root(&data).unwrap());
        for (i, s) in encoded.shards.iter().enumerate() {
            prop_assert_eq!(s.len() as u64, layout.shard_size());
            prop_assert_eq!(encoded.manifest.shard_root(i).unwrap(), file_root(s).unwrap());
        }

        // A random k-subset survives intact; every other shard is missing or corrupted.
        let n = k + m;
        let mut order: Vec<usize> = (0..n).collect();
        let mut x = subset_seed | 1;
        for i in (1..n).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            order.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let keep = &order[..k];
        let mut damaged: Vec<Option<Vec<u8>>> = encoded.shards.iter().cloned().map(Some).collect();
        let mut corrupted = Vec::new();
        for &j in &order[k..] {
            if corrupt_mask >> (j % 64) & 1 == 1 {
                let s = damaged[j].as_mut().unwrap();
                let at = (x as usize ^ j) % s.len();
                s[at] ^= 1 << (j % 8);
                corrupted.push(j);
            } else {
                damaged[j] = None;
            }
        }
        let view: Vec<Option<&[u8]>> = damaged.iter().map(|s| s.as_deref()).collect();
        let decoded = decode(&encoded.manifest, &view).unwrap();
        prop_assert_eq!(&decoded.object, &data);
        prop_assert!(decoded.rejected.iter().all(|j| corrupted.contains(j)));
        prop_assert!(keep.iter().all(|j| !decoded.rejected.contains(j)));

        // Any lost shard is rebuilt from the survivors.
        let target = order[k + (x % m as u64) as usize];
        let rebuilt = reconstruct_shard(&encoded.manifest, &view, target).unwrap();
        prop_assert_eq!(&rebuilt, &encoded.shards[target]);
    }

    /// With exactly k shards, one of them corrupt, decoding refuses instead of returning bytes.
    #[test]
    fn too_few_good_shards_is_an_error_never_wrong_bytes(
        (k, m) in shard_counts(),
        size in 1usize..20_000,
        seed in any::<u64>(),
        chosen in any::<prop::sample::Index>(),
        victim in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
    ) {
        let config = Config::new(k, m).unwrap().with_stripe_size(1024).unwrap();
        let data = object(size, seed);
        let encoded = encode(&data, config).unwrap();
        let n = k + m;
        let start = chosen.index(n);
        let keep: Vec<usize> = (0..k).map(|i| (start + i) % n).collect();
        let bad = keep[victim.index(k)];
        let mut shards: Vec<Option<Vec<u8>>> = vec![None; n];
        for &j in &keep {
            shards[j] = Some(encoded.shards[j].clone());
        }
        let s = shards[bad].as_mut().unwrap();
        let i = at.index(s.len());
        s[i] = s[i].wrapping_add(1);
        let view: Vec<Option<&[u8]>> = shards.iter().map(|s| s.as_deref()).collect();
        prop_assert_eq!(
            decode(&encoded.manifest, &view),
            Err(Error::NotEnoughShards { have: k - 1, need: k })
        );
    }

    /// The streaming encoder over stripes gives the same shards and manifest as the in-memory one,
    /// and the streaming decoder from any k shards gives the object back stripe by stripe.
    #[test]
    fn streaming_matches_in_memory(
        (k, m) in shard_counts(),
        size in 1usize..50_000,
        seed in any::<u64>(),
        chosen in subsequence((0usize..24).collect::<Vec<_>>(), 24),
    ) {
        let config = Config::new(k, m).unwrap().with_stripe_size(2048).unwrap();
        let data = object(size, seed);
        let layout = config.layout(size as u64).unwrap();
        let mut enc = Encoder::new(layout).unwrap();
        let mut shards = vec![Vec::new(); k + m];
        for s in 0..layout.stripes() {
            let off = layout.stripe_offset(s).unwrap() as usize;
            let stripe = enc.encode_stripe(&data[off..off + layout.stripe_len(s).unwrap()]).unwrap();
            for (shard, c) in shards.iter_mut().zip(stripe.shards()) {
                shard.extend_from_slice(c);
            }
        }
        let manifest = enc.finish().unwrap();
        let expected = encode(&data, config).unwrap();
        prop_assert_eq!(&manifest, &expected.manifest);
        prop_assert_eq!(&shards, &expected.shards);

        let chosen: Vec<usize> = chosen.into_iter().filter(|&i| i < k + m).take(k).collect();
        prop_assume!(chosen.len() == k);
        let mut dec = Decoder::new(&manifest, &chosen).unwrap();
        let mut out = Vec::new();
        for s in 0..layout.stripes() {
            let off = layout.shard_offset(s).unwrap() as usize;
            let c = layout.stripe_chunk(s).unwrap();
            let chunks: Vec<&[u8]> = chosen.iter().map(|&i| &shards[i][off..off + c]).collect();
            let stripe = dec.decode_stripe(&chunks).unwrap();
            for piece in stripe.pieces() {
                out.extend_from_slice(piece);
            }
        }
        dec.finish().unwrap();
        prop_assert_eq!(out, data);
    }

    /// Manifests round-trip, and every single-byte change, truncation or extension is rejected.
    #[test]
    fn manifest_round_trip_and_every_mutation_rejected(
        (k, m) in shard_counts(),
        size in 1usize..5_000,
        seed in any::<u64>(),
        flip in 1u8..=255,
    ) {
        let encoded = encode(&object(size, seed), Config::new(k, m).unwrap()).unwrap();
        let bytes = encoded.manifest.to_bytes();
        prop_assert_eq!(bytes.len(), encoded.manifest.encoded_len());
        let back = Manifest::from_bytes(&bytes).unwrap();
        prop_assert_eq!(&back, &encoded.manifest);
        prop_assert_eq!(back.to_bytes(), bytes.clone());
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= flip;
            prop_assert!(Manifest::from_bytes(&b).is_err(), "byte {} ^ {} accepted", i, flip);
        }
        for cut in [0, 1, 56, 57, 88, bytes.len() - 32, bytes.len() - 1] {
            prop_assert!(Manifest::from_bytes(&bytes[..cut.min(bytes.len() - 1)]).is_err());
        }
        let mut longer = bytes.clone();
        longer.push(0);
        prop_assert!(Manifest::from_bytes(&longer).is_err());
    }

    /// Every piece of every shard proves against the manifest root, and only as itself.
    #[test]
    fn piece_proofs_verify_and_bind(
        (k, m) in shard_counts(),
        size in 1usize..40_000,
        seed in any::<u64>(),
        shard in any::<prop::sample::Index>(),
        piece in any::<prop::sample::Index>(),
    ) {
        let encoded = encode(&object(size, seed), Config::new(k, m).unwrap().with_stripe_size(4096).unwrap()).unwrap();
        let manifest = &encoded.manifest;
        let header = manifest.header();
        let root = manifest.root();
        header.verify(&root, &manifest.header_proof().unwrap()).unwrap();

        let j = shard.index(k + m);
        let tree = ShardTree::new(manifest, j, &encoded.shards[j]).unwrap();
        let p = piece.index(tree.pieces() as usize) as u64;
        let proof = tree.piece_proof(p).unwrap();
        let start = p as usize * 256;
        let bytes = &encoded.shards[j][start..(start + 256).min(encoded.shards[j].len())];
        proof.verify(header, &root, bytes).unwrap();
        prop_assert_eq!(&PieceProof::from_bytes(&proof.to_bytes()).unwrap(), &proof);

        // A changed byte, another position, another shard, or another root: rejected.
        let mut changed = bytes.to_vec();
        changed[0] ^= 1;
        prop_assert_eq!(proof.verify(header, &root, &changed), Err(Error::InvalidProof));
        let mut moved = proof.clone();
        moved.piece = (p + 1) % tree.pieces();
        if moved.piece != p {
            prop_assert!(moved.verify(header, &root, bytes).is_err());
        }
        let mut other = proof.clone();
        other.shard = (j + 1) % (k + m);
        prop_assert!(other.verify(header, &root, bytes).is_err());
        let mut wrong_root = root;
        wrong_root.0[0] ^= 1;
        prop_assert!(proof.verify(header, &wrong_root, bytes).is_err());

        // Shard proofs alone.
        let sp = manifest.shard_proof(j).unwrap();
        sp.verify(header, &root, &manifest.shard_root(j).unwrap()).unwrap();
        let other_root = manifest.shard_root((j + 1) % (k + m)).unwrap();
        if other_root != manifest.shard_root(j).unwrap() {
            // (With k = 1 every shard is a copy of the object, so roots may repeat.)
            prop_assert!(sp.verify(header, &root, &other_root).is_err());
        }
    }
}

#[test]
fn a_thousand_plus_a_thousand_shards() {
    let config = Config::new(1000, 1000).unwrap();
    let data = object(1_000_000, 7);
    let encoded = encode(&data, config).unwrap();
    assert_eq!(encoded.shards.len(), 2000);
    // Keep only every other shard: 500 data + 500 parity.
    let view: Vec<Option<&[u8]>> = encoded
        .shards
        .iter()
        .enumerate()
        .map(|(i, s)| (i % 2 == 0).then_some(&s[..]))
        .collect();
    let decoded = decode(&encoded.manifest, &view).unwrap();
    assert_eq!(decoded.object, data);
    assert_eq!(decoded.missing.len(), 1000);
}

#[test]
fn corrupt_data_shards_are_excluded_and_reported() {
    let data = object(100_000, 3);
    let encoded = encode(&data, Config::new(4, 3).unwrap()).unwrap();
    let mut shards = encoded.shards.clone();
    shards[1][500] ^= 0x40;
    shards[2].truncate(10);
    let view: Vec<Option<&[u8]>> = shards.iter().map(|s| Some(&s[..])).collect();
    let decoded = decode(&encoded.manifest, &view).unwrap();
    assert_eq!(decoded.object, data);
    assert_eq!(decoded.rejected, vec![1, 2]);
    assert!(decoded.missing.is_empty());
    assert!(matches!(
        encoded.manifest.verify_shard(1, &shards[1]),
        Err(Error::CorruptShards { .. })
    ));
    assert!(matches!(
        encoded.manifest.verify_shard(2, &shards[2]),
        Err(Error::ShardLength { .. })
    ));
}

#[test]
fn inconsistent_manifest_is_refused() {
    // A dishonest encoder commits to a parity shard that does not match the data: every shard
    // matches its own root, yet decoding through that parity shard yields a different object.
    let data = object(10_000, 5);
    let mut encoded = encode(&data, Config::new(2, 1).unwrap()).unwrap();
    encoded.shards[2][0] ^= 1;
    let mut roots = encoded.manifest.shard_roots().to_vec();
    roots[2] = file_root(&encoded.shards[2]).unwrap();
    let manifest = Manifest::new(*encoded.manifest.header(), roots).unwrap();
    let view = [
        None,
        Some(&encoded.shards[1][..]),
        Some(&encoded.shards[2][..]),
    ];
    assert_eq!(decode(&manifest, &view), Err(Error::Inconsistent));
    // From the two data shards it decodes fine.
    let view = [
        Some(&encoded.shards[0][..]),
        Some(&encoded.shards[1][..]),
        None,
    ];
    assert_eq!(decode(&manifest, &view).unwrap().object, data);
}

#[test]
fn stream_misuse_is_an_error() {
    let layout = Config::new(2, 1)
        .unwrap()
        .with_stripe_size(512)
        .unwrap()
        .layout(1000)
        .unwrap();
    assert_eq!(layout.stripes(), 2);
    let mut enc = Encoder::new(layout).unwrap();
    assert!(matches!(
        enc.encode_stripe(&[0u8; 100]),
        Err(Error::StripeLength { .. })
    ));
    enc.encode_stripe(&[0u8; 512]).unwrap();
    assert!(matches!(
        Encoder::new(layout).unwrap().finish(),
        Err(Error::Incomplete { .. })
    ));
    assert!(matches!(enc.finish(), Err(Error::Incomplete { .. })));
    let m = encode(&[1u8; 1000], Config::new(2, 1).unwrap())
        .unwrap()
        .manifest;
    assert!(matches!(
        Decoder::new(&m, &[0, 0]),
        Err(Error::DuplicateShard { index: 0 })
    ));
    assert!(matches!(
        Decoder::new(&m, &[0, 3]),
        Err(Error::ShardIndex { .. })
    ));
    assert!(matches!(
        Decoder::new(&m, &[0]),
        Err(Error::ShardCount { .. })
    ));
}

#[test]
fn manifest_format_is_pinned() {
    // A regression vector for the canonical encoding (computed by this crate; the rules are in
    // the crate docs). Changing it is a format change and needs a new version byte.
    let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    let encoded = encode(&data, Config::new(3, 2).unwrap()).unwrap();
    let bytes = encoded.manifest.to_bytes();
    assert_eq!(bytes.len(), 57 + 5 * 32 + 32);
    assert_eq!(
        hex(&bytes[..25]),
        "5a47454d0100000003000000020000000000002710000aab00"
    );
    assert_eq!(encoded.manifest.object_root(), file_root(&data).unwrap(),);
    assert_eq!(
        encoded.manifest.root().to_string(),
        "0xb83560161d36040d52dde8e5a5fb2f1815de3ed1981c7794c8303336ce57e4f8"
    );
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn encoders_and_decoders_are_reusable_across_objects() {
    let a = object(70_000, 1);
    let b = object(3_333, 2);
    let (ca, cb) = (
        Config::new(3, 2).unwrap().with_stripe_size(8192).unwrap(),
        Config::new(5, 4).unwrap().with_stripe_size(4096).unwrap(),
    );
    let (ea, eb) = (encode(&a, ca).unwrap(), encode(&b, cb).unwrap());
    let (la, lb) = (*ea.manifest.layout(), *eb.manifest.layout());
    let mut enc = Encoder::new(la).unwrap();
    let run = |enc: &mut Encoder, layout: &Layout, data: &[u8]| {
        for s in 0..layout.stripes() {
            let off = layout.stripe_offset(s).unwrap() as usize;
            enc.encode_stripe(&data[off..off + layout.stripe_len(s).unwrap()])
                .unwrap();
        }
        enc.finish().unwrap()
    };
    assert_eq!(run(&mut enc, &la, &a), ea.manifest);
    // Same layout again straight after finish, then another layout after reset.
    assert_eq!(run(&mut enc, &la, &a), ea.manifest);
    enc.reset(lb).unwrap();
    assert_eq!(run(&mut enc, &lb, &b), eb.manifest);

    let decode_with = |dec: &mut Decoder, e: &zg_erasure::Encoded, chosen: &[usize]| {
        let layout = *e.manifest.layout();
        let mut out = Vec::new();
        for s in 0..layout.stripes() {
            let off = layout.shard_offset(s).unwrap() as usize;
            let c = layout.stripe_chunk(s).unwrap();
            let chunks: Vec<&[u8]> = chosen.iter().map(|&i| &e.shards[i][off..off + c]).collect();
            for p in dec.decode_stripe(&chunks).unwrap().pieces() {
                out.extend_from_slice(p);
            }
        }
        dec.finish().unwrap();
        out
    };
    // All data shards (no backend), then parity-only (backend built on reset), then another object.
    let mut dec = Decoder::new(&ea.manifest, &[0, 1, 2]).unwrap();
    assert_eq!(decode_with(&mut dec, &ea, &[0, 1, 2]), a);
    dec.reset(&ea.manifest, &[4, 3, 1]).unwrap();
    assert_eq!(decode_with(&mut dec, &ea, &[4, 3, 1]), a);
    assert!(dec.reset(&eb.manifest, &[0, 0, 1, 2, 3]).is_err());
    dec.reset(&eb.manifest, &[8, 7, 6, 5, 0]).unwrap();
    assert_eq!(decode_with(&mut dec, &eb, &[8, 7, 6, 5, 0]), b);
}
