//! Writes the committed seed corpora under `fuzz/seeds/<target>/`: for every fuzz target a few
//! valid inputs that reach its deep paths (a full consensus height, a repair that completes, a
//! batch of valid KZG cells, an honest PoRA answer, a market with requests and settlements),
//! so that even a few seconds of fuzzing start from there instead of from empty inputs.
//!
//! ```sh
//! cargo run --manifest-path fuzz/Cargo.toml --example seeds   # rewrites fuzz/seeds/
//! ```
//!
//! Typed targets read their input through `arbitrary` 1.x, whose byte format is simple and
//! stable: integers little-endian in their width, `bool` one byte (low bit), an enum variant a
//! `u32` scaled onto the variant count, `Option` a bool then the value, arrays and tuples their
//! elements in order, and a `Vec` each element preceded by a "one more" byte (1) and closed by
//! a 0 byte. [`Enc`] writes that format; each `seeds_*` function below mirrors its target's
//! `Input` type field by field, in declaration order. `cargo fuzz fmt <target> <seed>` prints
//! how a target reads a seed back.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use zg_consensus::codec::{encode_message, encode_receipt};
use zg_consensus::{
    Bls, BurnBatch, BurnEvent, Certificate, Height, InsecureTestScheme, Message, PartitionId,
    Proposal, Round, Scheme, SignedProposal, SignedVote, SignerBitmap, ValidatorIndex,
    ValidatorSet, Vote, VoteKind,
};
use zg_core::{Amount, Epoch, H256};

#[path = "../fuzz_targets/pora_common.rs"]
#[allow(dead_code)]
mod pora_common;

/// A writer of `arbitrary`'s byte format.
#[derive(Default, Clone)]
struct Enc(Vec<u8>);

impl Enc {
    fn new() -> Self {
        Self::default()
    }
    fn u8(mut self, v: u8) -> Self {
        self.0.push(v);
        self
    }
    fn u16(mut self, v: u16) -> Self {
        self.0.extend(v.to_le_bytes());
        self
    }
    fn u32(mut self, v: u32) -> Self {
        self.0.extend(v.to_le_bytes());
        self
    }
    fn u64(mut self, v: u64) -> Self {
        self.0.extend(v.to_le_bytes());
        self
    }
    fn u128(mut self, v: u128) -> Self {
        self.0.extend(v.to_le_bytes());
        self
    }
    fn bool(self, b: bool) -> Self {
        self.u8(u8::from(b))
    }
    /// A fixed-size array of bytes (`[u8; N]`), or raw bytes for a `&[u8]` target.
    fn raw(mut self, b: &[u8]) -> Self {
        self.0.extend_from_slice(b);
        self
    }
    /// Variant `i` of an enum with `n` variants: the smallest `u32` that `arbitrary` maps there
    /// (`(u64::from(x) * n) >> 32 == i`).
    fn variant(self, i: u32, n: u32) -> Self {
        assert!(i < n);
        let x = (u64::from(i) << 32).div_ceil(u64::from(n));
        assert_eq!((x * u64::from(n)) >> 32, u64::from(i));
        self.u32(x as u32)
    }
    /// "One more element" before each element of a `Vec`.
    fn more(self) -> Self {
        self.u8(1)
    }
    /// The end of a `Vec`.
    fn end(self) -> Self {
        self.u8(0)
    }
    /// A `Vec` of items, each written by `f`.
    fn vec<T>(mut self, items: impl IntoIterator<Item = T>, f: impl Fn(Self, T) -> Self) -> Self {
        for item in items {
            self = f(self.more(), item);
        }
        self.end()
    }
    /// A `Vec<u8>`.
    fn bytes(self, b: &[u8]) -> Self {
        self.vec(b.iter().copied(), Self::u8)
    }
    /// An `Option`.
    fn option<T>(self, v: Option<T>, f: impl Fn(Self, T) -> Self) -> Self {
        match v {
            Some(v) => f(self.bool(true), v),
            None => self.bool(false),
        }
    }
    fn done(self) -> Vec<u8> {
        self.0
    }
}

type Seeds = Vec<(&'static str, Vec<u8>)>;

fn seeds_core_proof() -> Seeds {
    // Input { file: Vec<u8>, position: u64, num_leaves_delta: u8, proof: Vec<u8> }
    let mut out = Seeds::new();
    for (name, len, position) in [("three-sectors", 700usize, 1u64), ("odd-tree", 1300, 4)] {
        let file: Vec<u8> = (0..len).map(|i| (i * 13 % 251) as u8).collect();
        let tree = zg_core::tree::file_tree(&file).expect("tree");
        let position = position % tree.num_leaves();
        let proof = tree.proof(position).expect("proof").to_bytes();
        out.push((
            name,
            Enc::new()
                .bytes(&file)
                .u64(position)
                .u8(0)
                .bytes(&proof)
                .done(),
        ));
    }
    out
}

fn seeds_core_stream() -> Seeds {
    // Input { data: Vec<u8>, cuts: Vec<u16> }
    let data: Vec<u8> = (0..1500usize).map(|i| (i * 7 % 256) as u8).collect();
    vec![
        (
            "cuts",
            Enc::new()
                .bytes(&data)
                .vec([1u16, 255, 256, 300, 0, 600], Enc::u16)
                .done(),
        ),
        (
            "one-sector",
            Enc::new()
                .bytes(&data[..256])
                .vec([256u16], Enc::u16)
                .done(),
        ),
    ]
}

fn seeds_core_flow() -> Seeds {
    // Input { files: Vec<(u16, u8)>, probes: Vec<u32> }
    let probe = |e: Enc, p: u32| e.u32(p);
    vec![
        (
            "files",
            Enc::new()
                .vec([(0u16, 1u8), (299, 2), (16, 3), (200, 4)], |e, (s, b)| {
                    e.u16(s).u8(b)
                })
                .vec([0u32, 1, 300, 301, 1500, 99_999], probe)
                .done(),
        ),
        (
            "small",
            Enc::new()
                .vec([(2u16, 9u8), (0, 8), (5, 7)], |e, (s, b)| e.u16(s).u8(b))
                .vec([0u32, 3, 7, 12], probe)
                .done(),
        ),
    ]
}

fn seeds_vrf() -> (Seeds, Seeds, Seeds, Seeds) {
    let sk = zg_vrf::SecretKey::from_bytes(&[3; 32]);
    let pk = *sk.public_key().as_bytes();
    let alpha = b"sample".to_vec();
    let proof = zg_vrf::Suite::Tai.prove(&sk, &alpha).expect("prove");
    let batchable = sk.prove_batchable(&alpha).expect("prove");
    let decode = vec![
        ("public-key", pk.to_vec()),
        ("proof", proof.as_bytes().to_vec()),
        ("batchable-proof", batchable.as_bytes().to_vec()),
    ];
    // Input { seed: [u8; 32], alpha: Vec<u8>, ell2: bool, flips: Vec<(u16, u8)>,
    //         raw_pk: [u8; 32], raw_pi: [u8; 80] }
    let verify = |ell2: bool, flips: &[(u16, u8)]| {
        Enc::new()
            .raw(&[3; 32])
            .bytes(&alpha)
            .bool(ell2)
            .vec(flips.iter().copied(), |e, (p, x)| e.u16(p).u8(x))
            .raw(&pk)
            .raw(proof.as_bytes())
            .done()
    };
    let verify_seeds = vec![
        ("honest-tai", verify(false, &[])),
        ("honest-ell2", verify(true, &[])),
        (
            "flip-pk-pi-alpha",
            verify(false, &[(3, 1), (40, 0x80), (113, 2)]),
        ),
    ];
    // Input { n: u8, weights_seed: [u8; 32], flips: Vec<(u8, u8, u8)>, retarget: Vec<u8> }
    let batch = |n: u8, flips: &[(u8, u8, u8)], retarget: &[u8]| {
        Enc::new()
            .u8(n)
            .raw(&[9; 32])
            .vec(flips.iter().copied(), |e, (i, p, x)| e.u8(i).u8(p).u8(x))
            .bytes(retarget)
            .done()
    };
    let batch_seeds = vec![
        ("twelve-honest", batch(11, &[], &[])),
        (
            "flips",
            batch(5, &[(1, 0, 1), (2, 40, 0x40), (3, 100, 8)], &[4]),
        ),
    ];
    // Input { beta: [u8; 64], stake: u64, total: u64, unit: u16, tau: u32 }
    let beta = zg_vrf::Suite::Tai.proof_to_hash(&proof);
    let sortition = |stake: u64, total: u64, unit: u16, tau: u32| {
        Enc::new()
            .raw(&beta[..])
            .u64(stake)
            .u64(total)
            .u16(unit)
            .u32(tau)
            .done()
    };
    let sortition_seeds = vec![
        ("committee", sortition(250_000, 1_000_000, 1, 1000)),
        ("coarse-unit", sortition(600_000, 1_000_000, 1000, 100)),
    ];
    (decode, verify_seeds, batch_seeds, sortition_seeds)
}

fn seeds_kzg() -> (Seeds, Seeds, Seeds, Seeds) {
    // The compressed G1 generator and the point at infinity.
    let g1: [u8; 48] = hex48(
        "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb",
    );
    let mut infinity = [0u8; 48];
    infinity[0] = 0xc0;
    let mut r_minus_1 = hex32("73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000000");
    let decode = vec![
        ("generator", Enc::new().raw(&g1).raw(&[1; 32]).done()),
        ("infinity", Enc::new().raw(&infinity).raw(&r_minus_1).done()),
        ("r", {
            r_minus_1[31] = 1;
            Enc::new().raw(&g1).raw(&r_minus_1).done()
        }),
    ];
    // enum Input { Tamper { offset: u8, bytes: Vec<u8> }, TamperBlob { offset: u32, bytes:
    // Vec<u8> }, Free { c: [u8; 48], z: [u8; 32], y: [u8; 32], pi: [u8; 48] } }
    let verify_proof = vec![
        ("valid", Enc::new().variant(0, 3).u8(0).bytes(&[]).done()),
        (
            "tamper-y",
            Enc::new().variant(0, 3).u8(100).bytes(&[0x42, 0x43]).done(),
        ),
        (
            "valid-blob",
            Enc::new().variant(1, 3).u32(0).bytes(&[]).done(),
        ),
        (
            "tamper-blob",
            Enc::new().variant(1, 3).u32(200).bytes(&[0, 1, 2]).done(),
        ),
        (
            // The zero polynomial opens to zero everywhere: infinity, any z, y = 0, infinity.
            "free-zero-polynomial",
            Enc::new()
                .variant(2, 3)
                .raw(&infinity)
                .raw(&[7; 32])
                .raw(&[0; 32])
                .raw(&infinity)
                .done(),
        ),
    ];
    // Input { picks: Vec<(bool, u8)>, tamper: Option<(u8, u8, u16, u8)> }
    let cells = |picks: &[(bool, u8)], tamper: Option<(u8, u8, u16, u8)>| {
        Enc::new()
            .vec(picks.iter().copied(), |e, (b, i)| e.bool(b).u8(i))
            .option(tamper, |e, (w, what, byte, mask)| {
                e.u8(w).u8(what).u16(byte).u8(mask)
            })
            .done()
    };
    let sixteen: Vec<(bool, u8)> = (0..16u8).map(|i| (i % 3 == 0, i * 8 + 1)).collect();
    let verify_cells = vec![
        ("sixteen-valid", cells(&sixteen, None)),
        ("tamper-cell", cells(&sixteen[..4], Some((1, 0, 77, 1)))),
        ("tamper-proof", cells(&sixteen[..3], Some((2, 1, 5, 0x10)))),
        (
            "tamper-commitment",
            cells(&sixteen[..2], Some((0, 2, 9, 4))),
        ),
        ("tamper-index", cells(&sixteen[..5], Some((3, 3, 0, 1)))),
    ];
    // enum Input { Mask(u128), Raw(Vec<u8>) }
    let raw = |indices: &[u8]| Enc::new().variant(1, 2).bytes(indices).done();
    let half: Vec<u8> = (0..64u8).map(|i| i * 2).collect();
    let mut unordered = half.clone();
    unordered.swap(10, 11);
    let mut duplicate = half.clone();
    duplicate[20] = duplicate[19];
    let mut out_of_range = half.clone();
    out_of_range[63] = 200;
    let recover = vec![
        (
            "mask-even",
            Enc::new()
                .variant(0, 2)
                .u128(0x5555_5555_5555_5555_5555_5555_5555_5555)
                .done(),
        ),
        // Each recovery costs a full FK20 run (seconds under ASan): one well-formed seed, and
        // raw lists that fail each index check cheaply.
        ("raw-unordered", raw(&unordered)),
        ("raw-too-few", raw(&half[..10])),
        ("raw-duplicate", raw(&duplicate)),
        ("raw-out-of-range", raw(&out_of_range)),
    ];
    (decode, verify_proof, verify_cells, recover)
}

fn seeds_erasure() -> (Seeds, Seeds, Seeds, Seeds) {
    use zg_erasure::{Config, ShardTree, encode};
    let data: Vec<u8> = (0..3000usize).map(|i| (i * 5 % 256) as u8).collect();
    let config = Config::new(3, 2)
        .expect("config")
        .with_stripe_size(1024)
        .expect("stripe");
    let encoded = encode(&data, config).expect("encode");
    let tree = ShardTree::new(&encoded.manifest, 0, &encoded.shards[0]).expect("tree");
    // enum Input { Raw(Vec<u8>), Mutate { k, m: u8, size: u16, fill, at: u16, xor: u8 } }
    let manifest = vec![
        (
            "manifest",
            Enc::new()
                .variant(0, 2)
                .bytes(&encoded.manifest.to_bytes())
                .done(),
        ),
        (
            "header",
            Enc::new()
                .variant(0, 2)
                .bytes(&encoded.manifest.header().to_bytes())
                .done(),
        ),
        (
            "piece-proof",
            Enc::new()
                .variant(0, 2)
                .bytes(&tree.piece_proof(0).expect("proof").to_bytes())
                .done(),
        ),
        (
            "mutate",
            Enc::new()
                .variant(1, 2)
                .u8(3)
                .u8(2)
                .u16(2000)
                .u8(0x33)
                .u16(40)
                .u8(1)
                .done(),
        ),
    ];
    // enum Damage { Keep, Drop, Flip { at: u16, xor: u8 }, Truncate { len: u16 },
    //               Extend { byte: u8 }, Swap { with: u8 }, Garbage(Vec<u8>) }
    // Input { k, m: u8, size: u16, seed: u8, stripe: u16, damage: Vec<Damage>, target: u8 }
    #[derive(Clone, Copy)]
    enum D {
        Keep,
        Drop,
        Flip(u16, u8),
        Truncate(u16),
        Extend(u8),
        Swap(u8),
        Garbage,
    }
    let damage = |e: Enc, d: D| match d {
        D::Keep => e.variant(0, 7),
        D::Drop => e.variant(1, 7),
        D::Flip(at, x) => e.variant(2, 7).u16(at).u8(x),
        D::Truncate(l) => e.variant(3, 7).u16(l),
        D::Extend(b) => e.variant(4, 7).u8(b),
        D::Swap(w) => e.variant(5, 7).u8(w),
        D::Garbage => e.variant(6, 7).bytes(&[1, 2, 3, 4]),
    };
    let decode_seed = |k: u8, m: u8, size: u16, stripe: u16, d: &[D], target: u8| {
        Enc::new()
            .u8(k)
            .u8(m)
            .u16(size)
            .u8(7)
            .u16(stripe)
            .vec(d.iter().copied(), damage)
            .u8(target)
            .done()
    };
    let decode = vec![
        ("intact", decode_seed(3, 2, 3000, 511, &[], 1)),
        (
            "damaged-recoverable",
            decode_seed(
                3,
                2,
                2500,
                255,
                &[D::Keep, D::Drop, D::Flip(9, 1), D::Keep, D::Keep, D::Keep],
                2,
            ),
        ),
        (
            "every-damage",
            decode_seed(
                5,
                4,
                4000,
                1023,
                &[
                    D::Truncate(10),
                    D::Extend(1),
                    D::Swap(3),
                    D::Garbage,
                    D::Keep,
                    D::Keep,
                    D::Keep,
                    D::Drop,
                    D::Keep,
                ],
                0,
            ),
        ),
    ];
    // Step { Good { peer, shard }, Corrupt { peer, shard, at: u16 }, Garbage { peer, shard,
    //        bytes: Vec<u8> }, WrongObject { .. }, NotFound { .. }, Timeout { peer, shard, id },
    //        AddHolder { peer, shard } }
    // Input { k, m, size: u16, object: bool, target: u8, holders: Vec<(u8, u8)>,
    //         steps: Vec<Step> }
    let holders: Vec<(u8, u8)> = (0..5u8).map(|s| (s, s + 1)).collect();
    let pair = |e: Enc, (a, b): (u8, u8)| e.u8(a).u8(b);
    let good = |e: Enc, (peer, shard): (u8, u8)| e.variant(0, 7).u8(peer).u8(shard);
    let repair = vec![
        (
            "object-repaired",
            Enc::new()
                .u8(2)
                .u8(1)
                .u16(2000)
                .bool(true)
                .u8(0)
                .vec(holders.iter().copied(), pair)
                .vec([(1u8, 0u8), (2, 1), (3, 2), (4, 3)], good)
                .done(),
        ),
        (
            "shard-with-faults",
            Enc::new()
                .u8(2)
                .u8(1)
                .u16(1500)
                .bool(false)
                .u8(4)
                .vec(holders.iter().copied(), pair)
                .more()
                .variant(1, 7)
                .u8(1)
                .u8(0)
                .u16(5)
                .more()
                .variant(4, 7)
                .u8(2)
                .u8(1)
                .more()
                .variant(5, 7)
                .u8(3)
                .u8(2)
                .u8(0)
                .more()
                .variant(6, 7)
                .u8(6)
                .u8(0)
                .more()
                .variant(2, 7)
                .u8(7)
                .u8(3)
                .bytes(&[9; 20])
                .more()
                .variant(3, 7)
                .u8(5)
                .u8(1)
                .more()
                .variant(0, 7)
                .u8(6)
                .u8(0)
                .more()
                .variant(0, 7)
                .u8(4)
                .u8(3)
                .more()
                .variant(0, 7)
                .u8(3)
                .u8(2)
                .end()
                .done(),
        ),
    ];
    // Kind { Honest, Corrupt { at: u16 }, Truncated, OtherObject }
    // Step { Deliver(u8), Duplicate(u8), Drop(u8), FireTimer(u8), ForgeGet { holder, from,
    //        shard, other: bool }, StrayToHolder { holder, shard }, ForgeShard { from, shard,
    //        kind }, Store { holder, shard, kind }, AddHolder { holder, shard } }
    // Input { k, m, size: u16, object: bool, target: u8, stored: Vec<(u8, u8, Kind)>,
    //         claims: Vec<(u8, u8)>, steps: Vec<Step> }
    let honest = |e: Enc| e.variant(0, 4);
    let stored: Vec<(u8, u8)> = (0..5u8).map(|s| (s, s)).collect();
    let deliver = |e: Enc, i: u8| e.variant(0, 9).u8(i);
    let holder = vec![
        (
            "honest-holders",
            Enc::new()
                .u8(2)
                .u8(1)
                .u16(2500)
                .bool(true)
                .u8(0)
                .vec(stored.iter().copied(), |e, (h, s)| honest(e.u8(h).u8(s)))
                .vec(stored.iter().copied(), pair)
                .vec([0u8; 12], deliver)
                .done(),
        ),
        (
            "faulty-holders",
            Enc::new()
                .u8(2)
                .u8(2)
                .u16(1800)
                .bool(false)
                .u8(1)
                .more()
                .u8(0)
                .u8(0)
                .variant(1, 4)
                .u16(3)
                .more()
                .u8(1)
                .u8(1)
                .variant(2, 4)
                .more()
                .u8(2)
                .u8(2)
                .variant(3, 4)
                .more()
                .u8(3)
                .u8(3)
                .variant(0, 4)
                .more()
                .u8(4)
                .u8(4)
                .variant(0, 4)
                .end()
                .vec(stored.iter().copied(), pair)
                .more()
                .variant(0, 9)
                .u8(0)
                .more()
                .variant(1, 9)
                .u8(1)
                .more()
                .variant(2, 9)
                .u8(0)
                .more()
                .variant(3, 9)
                .u8(0)
                .more()
                .variant(4, 9)
                .u8(1)
                .u8(3)
                .u8(2)
                .bool(true)
                .more()
                .variant(5, 9)
                .u8(2)
                .u8(1)
                .more()
                .variant(6, 9)
                .u8(2)
                .u8(2)
                .variant(1, 4)
                .u16(9)
                .more()
                .variant(7, 9)
                .u8(0)
                .u8(5)
                .variant(0, 4)
                .more()
                .variant(8, 9)
                .u8(0)
                .u8(5)
                .more()
                .variant(0, 9)
                .u8(0)
                .end()
                .done(),
        ),
    ];
    (manifest, decode, repair, holder)
}

fn seeds_pora() -> (Seeds, Seeds, Seeds, Seeds, Seeds) {
    let f = pora_common::fixture();
    let answer_decode = vec![
        ("honest-answer", f.answer.abi_encode()),
        ("honest-submit-calldata", f.answer.submit_calldata()),
    ];
    // Tamper: 17 variants (see pora_verify.rs); the target reads Vec<Tamper>.
    let t = |e: Enc, i: u32| e.variant(i, 17);
    let verify = vec![
        ("honest", Enc::new().end().done()),
        (
            "data-and-proof",
            Enc::new()
                .more()
                .variant(0, 17)
                .u16(100)
                .u8(1)
                .more()
                .variant(1, 17)
                .u8(0)
                .u8(3)
                .u8(4)
                .end()
                .done(),
        ),
        (
            "proof-shape",
            Enc::new()
                .more()
                .variant(2, 17)
                .more()
                .variant(3, 17)
                .raw(&[5; 32])
                .end()
                .done(),
        ),
        (
            "nonce-miner-context",
            Enc::new()
                .more()
                .variant(4, 17)
                .u8(0)
                .u8(1)
                .more()
                .variant(5, 17)
                .u8(1)
                .u8(1)
                .more()
                .variant(6, 17)
                .u8(2)
                .u8(1)
                .end()
                .done(),
        ),
        (
            "positions",
            Enc::new()
                .more()
                .variant(7, 17)
                .u64(f.answer.recall_position + 16)
                .more()
                .variant(8, 17)
                .u64(f.answer.seal_offset + 1)
                .end()
                .done(),
        ),
        (
            "range",
            Enc::new()
                .more()
                .variant(9, 17)
                .u64(f.answer.range.start_position)
                .more()
                .variant(10, 17)
                .u64(f.answer.range.mine_length)
                .more()
                .variant(11, 17)
                .u64(0)
                .more()
                .variant(12, 17)
                .u64(u64::MAX)
                .end()
                .done(),
        ),
        (
            "view",
            t(
                t(
                    t(t(Enc::new().more(), 13).raw(&[0xff; 32]).more(), 14)
                        .u64(f.view.context.flow_length)
                        .more(),
                    15,
                )
                .u64(0)
                .u64(u64::MAX)
                .more(),
                16,
            )
            .u64(8)
            .end()
            .done(),
        ),
    ];
    // Step (pora_miner.rs): Task { second: bool, subtask, shift, max_shards_log: u8,
    //   expires_in: u16 }, Stop, SetShard { id, num_log }, SetMinerId(bool), Serve(u8),
    //   ServeWrong { which, other }, Unasked(u8), Unavailable(u8), Advance(u16), StrayTick(u8),
    //   StrayExpire(u8)
    // Input { seed: u64, batch, tick_ms, max_pending, cache: u8, start: u64, steps }
    let task = |e: Enc, second: bool, shift: u8| {
        e.more()
            .variant(0, 11)
            .bool(second)
            .u8(1)
            .u8(shift)
            .u8(0)
            .u16(60_000)
    };
    let serve_round = |mut e: Enc, n: usize| {
        for _ in 0..n {
            e = e
                .more()
                .variant(8, 11)
                .u16(25)
                .more()
                .variant(4, 11)
                .u8(0)
                .more()
                .variant(4, 11)
                .u8(1);
        }
        e
    };
    let miner = vec![
        (
            "mine-and-serve",
            serve_round(
                task(Enc::new().u64(1).u8(1).u8(10).u8(3).u8(2).u64(0), false, 0),
                10,
            )
            .end()
            .done(),
        ),
        (
            "switch-and-faults",
            serve_round(
                task(
                    serve_round(
                        task(Enc::new().u64(2).u8(2).u8(5).u8(5).u8(0).u64(7), false, 1),
                        4,
                    )
                    .more()
                    .variant(5, 11)
                    .u8(0)
                    .u8(3)
                    .more()
                    .variant(6, 11)
                    .u8(2)
                    .more()
                    .variant(7, 11)
                    .u8(0)
                    .more()
                    .variant(2, 11)
                    .u8(1)
                    .u8(1)
                    .more()
                    .variant(3, 11)
                    .bool(true)
                    .more()
                    .variant(9, 11)
                    .u8(0)
                    .more()
                    .variant(10, 11)
                    .u8(0),
                    true,
                    2,
                ),
                4,
            )
            .more()
            .variant(1, 11)
            .end()
            .done(),
        ),
    ];
    // Step (pora_sealer.rs): Context { start, len, digest: u8 }, RawContext { start: u64,
    //   end: u64, digest: u8 }, Data { index, fill: u8 }, FarData { index: u64, fill: u8 },
    //   Continue, Stray
    // Input { batch: u8, steps: Vec<Step> }
    let data = |e: Enc, index: u8| e.more().variant(2, 6).u8(index).u8(index ^ 0x5a);
    let cont = |e: Enc| e.more().variant(4, 6);
    let mut sealer_a = Enc::new().u8(2).more().variant(0, 6).u8(0).u8(8).u8(1);
    for i in 0..6u8 {
        sealer_a = data(sealer_a, i);
    }
    for _ in 0..4 {
        sealer_a = cont(sealer_a);
    }
    sealer_a = sealer_a.more().variant(0, 6).u8(8).u8(8).u8(2);
    for i in 4..10u8 {
        sealer_a = data(sealer_a, i);
    }
    for _ in 0..4 {
        sealer_a = cont(sealer_a);
    }
    let sealer_b = data(
        data(
            Enc::new()
                .u8(1)
                .more()
                .variant(1, 6)
                .u64(0)
                .u64(64)
                .u8(3)
                .more()
                .variant(1, 6)
                .u64(32)
                .u64(96)
                .u8(4)
                .more()
                .variant(0, 6)
                .u8(0)
                .u8(8)
                .u8(3),
            1,
        ),
        2,
    )
    .more()
    .variant(3, 6)
    .u64(1 << 59)
    .u8(1)
    .more()
    .variant(5, 6);
    let sealer_b = cont(cont(sealer_b));
    let sealer = vec![
        ("two-contexts", sealer_a.end().done()),
        ("overlaps-and-far-data", sealer_b.end().done()),
    ];
    // Tamper (pora_verifier.rs): None, Data { at: u16, xor: u8 }, Proof { at: u8 },
    //   SealedContext, Miner, Nonce(u8), Context
    // Step: Advance(u8), OldBlock(u8), Context(u8), Register(bool), Submit { pool: bool,
    //   index: u8, tamper }, Again, Fill { before, charged: u32, value: u64 }, Donate(u32),
    //   SetTarget(u8), Time(u16)
    // Input { fixed, strict, warm: bool, difficulty, target_submissions: u8, base_reward,
    //   fee_bps: u16, steps }
    let submit = |e: Enc, pool: bool, index: u8| e.more().variant(4, 10).bool(pool).u8(index);
    let header = |fixed: bool, strict: bool, warm: bool| {
        Enc::new()
            .bool(fixed)
            .bool(strict)
            .bool(warm)
            .u8(1)
            .u8(2)
            .u16(500)
            .u16(250)
    };
    let mut verifier_a = header(true, false, true);
    for i in 0..4u8 {
        verifier_a = submit(verifier_a, i % 2 == 1, i).variant(0, 7);
        verifier_a = verifier_a.more().variant(0, 10).u8(3);
    }
    verifier_a = verifier_a
        .more()
        .variant(5, 10)
        .more()
        .variant(6, 10)
        .u32(10)
        .u32(5)
        .u64(1_000)
        .more()
        .variant(7, 10)
        .u32(300)
        .more()
        .variant(9, 10)
        .u16(600)
        .more()
        .variant(0, 10)
        .u8(63);
    verifier_a = submit(verifier_a, false, 5).variant(0, 7);
    let mut verifier_b = header(false, true, false)
        .more()
        .variant(3, 10)
        .bool(false)
        .more()
        .variant(2, 10)
        .u8(0)
        .more()
        .variant(0, 10)
        .u8(9);
    verifier_b = submit(verifier_b, false, 0).variant(1, 7).u16(77).u8(1);
    verifier_b = submit(verifier_b, false, 1).variant(2, 7).u8(3);
    verifier_b = submit(verifier_b, false, 2).variant(3, 7);
    verifier_b = submit(verifier_b, false, 3).variant(4, 7);
    verifier_b = submit(verifier_b, false, 4).variant(5, 7).u8(2);
    verifier_b = submit(verifier_b, false, 5).variant(6, 7);
    verifier_b = verifier_b
        .more()
        .variant(1, 10)
        .u8(2)
        .more()
        .variant(8, 10)
        .u8(3)
        .more()
        .variant(0, 10)
        .u8(63)
        .more()
        .variant(2, 10)
        .u8(1)
        .more()
        .variant(0, 10)
        .u8(20);
    verifier_b = submit(verifier_b, true, 0).variant(0, 7);
    let verifier = vec![
        ("warm-submissions", verifier_a.end().done()),
        ("cold-tampered", verifier_b.end().done()),
    ];
    (answer_decode, verify, miner, sealer, verifier)
}

fn seeds_consensus() -> (Seeds, Seeds, Seeds, Seeds) {
    let network = H256([5; 32]);
    // consensus_decode: one of each message kind, both schemes, and a receipt.
    fn messages<S: Scheme>(network: H256) -> Vec<Vec<u8>> {
        let secrets: Vec<S::SecretKey> = (0..4u8)
            .map(|i| S::secret_key_from_seed(&[i + 1; 32]))
            .collect();
        let value = H256([1; 32]);
        let vote = |i: u16| Vote {
            partition: PartitionId(0),
            epoch: Epoch(0),
            height: Height(3),
            round: Round(1),
            kind: VoteKind::Precommit,
            value: Some(value),
            validator: ValidatorIndex(i),
        };
        let signed = |i: u16| SignedVote {
            signature: S::sign(&secrets[usize::from(i)], &vote(i).signing_bytes(network)),
            vote: vote(i),
        };
        let proposal = Proposal {
            partition: PartitionId(0),
            epoch: Epoch(0),
            height: Height(3),
            round: Round(1),
            value,
            valid_round: None,
            proposer: ValidatorIndex(2),
        };
        let mut signers = SignerBitmap::new(4);
        let mut sigs = Vec::new();
        for i in 0..3u16 {
            signers.insert(ValidatorIndex(i));
            sigs.push(signed(i).signature);
        }
        let cert = Certificate {
            partition: PartitionId(0),
            epoch: Epoch(0),
            height: Height(3),
            round: Round(1),
            kind: VoteKind::Precommit,
            value,
            signers,
            signature: S::aggregate_signatures(&sigs).expect("aggregate"),
        };
        vec![
            encode_message::<S>(&Message::Vote(signed(0))),
            encode_message::<S>(&Message::Proposal(Arc::new(SignedProposal {
                signature: S::sign(&secrets[2], &proposal.signing_bytes(network)),
                proposal,
                proof_of_lock: None,
            }))),
            encode_message::<S>(&Message::Decision(Arc::new(cert.clone()))),
            encode_message::<S>(&Message::SyncRequest {
                partition: PartitionId(0),
                from: Height(2),
            }),
            encode_message::<S>(&Message::Decisions(Arc::new(vec![cert]))),
        ]
    }
    let names = ["vote", "proposal", "decision", "sync-request", "decisions"];
    let mut decode = Seeds::new();
    for (name, bytes) in names.iter().zip(messages::<Bls>(network)) {
        decode.push((leak(format!("bls-{name}")), bytes));
    }
    for (name, bytes) in names.iter().zip(messages::<InsecureTestScheme>(network)) {
        decode.push((leak(format!("test-scheme-{name}")), bytes));
    }
    let receipt = receipt_bytes();
    decode.push(("receipt", receipt));
    // consensus_receipt: Vec<(u16, u8)> of byte edits on a genuine receipt.
    let edit = |e: Enc, (at, x): (u16, u8)| e.u16(at).u8(x);
    let receipt_seeds = vec![
        ("genuine", Enc::new().end().done()),
        (
            "edits",
            Enc::new().vec([(3u16, 1u8), (200, 0x80)], edit).done(),
        ),
        ("zero-edit", Enc::new().vec([(17u16, 0u8)], edit).done()),
    ];
    // Action (consensus_machine.rs): Proposal { round, value: u8, valid_round: Option<u8>,
    //   proposer: Option<u8>, forged: bool }, Vote { from, round: u8, precommit: bool, value:
    //   Option<u8>, forged: bool, ahead: u8 }, Certificate { value, signers, ahead },
    //   Timeout { kind, round, ahead }, Validity { value, valid: bool }, ProposeValue { round,
    //   value }, Restart; the target reads Vec<Action>.
    let proposal = |e: Enc, round: u8, value: u8| {
        e.more()
            .variant(0, 7)
            .u8(round)
            .u8(value)
            .option(None::<u8>, Enc::u8)
            .option(None::<u8>, Enc::u8)
            .bool(false)
    };
    let vote = |e: Enc, from: u8, round: u8, precommit: bool, value: Option<u8>| {
        e.more()
            .variant(1, 7)
            .u8(from)
            .u8(round)
            .bool(precommit)
            .option(value, Enc::u8)
            .bool(false)
            .u8(0)
    };
    let validity = |e: Enc, value: u8| e.more().variant(4, 7).u8(value).bool(true);
    let height = |mut e: Enc, value: u8| {
        e = validity(proposal(e, 0, value), value);
        for from in [0u8, 2, 3] {
            e = vote(e, from, 0, false, Some(value));
        }
        for from in [0u8, 2, 3] {
            e = vote(e, from, 0, true, Some(value));
        }
        e
    };
    let restart = |e: Enc| e.more().variant(6, 7);
    let timeout = |e: Enc, kind: u8, round: u8| e.more().variant(3, 7).u8(kind).u8(round).u8(0);
    let mut machine_a = height(height(Enc::new(), 0), 1);
    machine_a = height(restart(machine_a), 2);
    machine_a = machine_a.more().variant(2, 7).u8(3).u8(0b1101).u8(0);
    let mut machine_b = Enc::new();
    machine_b = timeout(machine_b, 0, 0);
    for from in [0u8, 2, 3] {
        machine_b = vote(machine_b, from, 0, false, None);
    }
    machine_b = timeout(machine_b, 1, 0);
    for from in [0u8, 2, 3] {
        machine_b = vote(machine_b, from, 0, true, None);
    }
    machine_b = timeout(machine_b, 2, 0);
    machine_b = machine_b.more().variant(5, 7).u8(1).u8(2);
    machine_b = validity(proposal(machine_b, 1, 2), 2);
    machine_b = restart(machine_b);
    for from in [0u8, 2, 3] {
        machine_b = vote(machine_b, from, 1, false, Some(2));
    }
    machine_b = timeout(machine_b, 3, 1);
    for from in [0u8, 2, 3] {
        machine_b = vote(machine_b, from, 1, true, Some(2));
    }
    let machine = vec![
        ("three-heights-and-restart", machine_a.end().done()),
        ("nil-round-then-decide", machine_b.end().done()),
    ];
    // Tamper (consensus_redeemer.rs): 13 variants, None = 0; Step: AddEpoch { epoch, alt },
    //   Redeem { partition, height, index, signers: u8, tamper }, Restart; Vec<Step>.
    let add_epoch = |e: Enc, epoch: u8| e.more().variant(0, 3).u8(epoch).bool(false);
    let redeem =
        |e: Enc, partition: u8, height: u8, index: u8, signers: u8, tamper: (u32, Option<u8>)| {
            let e = e
                .more()
                .variant(1, 3)
                .u8(partition)
                .u8(height)
                .u8(index)
                .u8(signers)
                .variant(tamper.0, 13);
            match tamper.1 {
                Some(b) => e.u8(b),
                None => e,
            }
        };
    let mut redeemer_a = Enc::new();
    for epoch in 0..5u8 {
        redeemer_a = add_epoch(redeemer_a, epoch);
    }
    redeemer_a = redeem(redeemer_a, 0, 3, 0, 0b0111, (0, None));
    redeemer_a = redeem(redeemer_a, 1, 9, 1, 0b1111, (0, None));
    redeemer_a = redeemer_a.more().variant(2, 3);
    redeemer_a = redeem(redeemer_a, 0, 3, 0, 0b0111, (0, None));
    redeemer_a = redeem(redeemer_a, 2, 20, 2, 0b1110, (0, None));
    let mut redeemer_b = add_epoch(add_epoch(Enc::new(), 0), 1)
        .more()
        .variant(0, 3)
        .u8(2)
        .bool(true);
    let tampers: [(u32, Option<u8>); 12] = [
        (1, Some(1)),
        (2, Some(1)),
        (3, Some(7)),
        (4, None),
        (5, None),
        (6, Some(1)),
        (7, None),
        (8, None),
        (9, None),
        (10, None),
        (11, None),
        (12, None),
    ];
    for (i, t) in tampers.into_iter().enumerate() {
        redeemer_b = redeem(redeemer_b, i as u8 % 3, 2 + i as u8, 0, 0b0111, t);
    }
    let redeemer = vec![
        ("epochs-redeem-replay", redeemer_a.end().done()),
        ("every-tamper", redeemer_b.end().done()),
    ];
    (decode, receipt_seeds, machine, redeemer)
}

/// The genuine receipt of `consensus_receipt.rs`'s fixture, encoded.
fn receipt_bytes() -> Vec<u8> {
    let secrets: Vec<_> = (0..4u8)
        .map(|i| Bls::secret_key_from_seed(&[i + 1; 32]))
        .collect();
    let network = H256([5; 32]);
    let set = ValidatorSet::<Bls>::new(
        network,
        Epoch(0),
        secrets.iter().map(|s| (Bls::public_key(s), 1)).collect(),
    )
    .expect("set");
    let events: Vec<BurnEvent> = (0..5u8)
        .map(|i| BurnEvent {
            sender: H256([i; 32]),
            recipient: H256([i + 100; 32]),
            destination: 7,
            token: H256([3; 32]),
            amount: Amount::new(1000 + u128::from(i)),
            nonce: u64::from(i),
        })
        .collect();
    let batch = BurnBatch::new(H256([9; 32]), events);
    let value = batch.commitment().value_id();
    let mut signers = SignerBitmap::new(4);
    let mut sigs = Vec::new();
    for (i, s) in secrets.iter().enumerate().take(3) {
        let idx = set.index_of(&Bls::public_key(s)).expect("member");
        signers.insert(idx);
        let vote = Vote {
            partition: PartitionId(2),
            epoch: Epoch(0),
            height: Height(11),
            round: Round(0),
            kind: VoteKind::Precommit,
            value: Some(value),
            validator: ValidatorIndex(i as u16),
        };
        sigs.push(Bls::sign(s, &vote.signing_bytes(network)));
    }
    let cert = Certificate::<Bls> {
        partition: PartitionId(2),
        epoch: Epoch(0),
        height: Height(11),
        round: Round(0),
        kind: VoteKind::Precommit,
        value,
        signers,
        signature: Bls::aggregate_signatures(&sigs).expect("aggregate"),
    };
    encode_receipt(&batch.receipt(2, cert).expect("receipt"))
}

fn seeds_serving() -> (Seeds, Seeds, Seeds) {
    use zg_serving::eth::{Address, U256};
    use zg_serving::settlement::{SettlementItem, encode_settle_calldata};
    // serving_calldata prepends the selector when the first byte is even: the seeds are the
    // calldata after the selector (its first byte, the offset's high byte, is zero).
    let item = |i: u8, sig: usize| SettlementItem {
        user: Address([0x10 + i; 20]),
        provider: Address([0x20; 20]),
        total_fee: Amount::new(1_000 * u128::from(i + 1)),
        requests_hash: H256([i; 32]),
        nonce: U256::from(u64::from(i) + 1),
        signature: vec![0x1b; sig],
    };
    let calldata = |items: &[SettlementItem]| encode_settle_calldata(items)[4..].to_vec();
    let calldata_seeds = vec![
        ("one-item", calldata(&[item(0, 65)])),
        (
            "three-items",
            calldata(&[item(0, 65), item(1, 65), item(2, 3)]),
        ),
        ("empty", calldata(&[])),
    ];
    // FOp (serving_ledger.rs), 17 variants: Deposit(u8, u64), Withdraw(u8, u64),
    //   Transfer(u8, u8, u64), Retrieve(u8, Vec<u8>), RequestAll(u8, u8), Process(u8, u8),
    //   Settle(u8, Vec<(u8, u64, u8, bool)>), Wait(u16), Ack(u8, bool), RevokeAll(u8, u8),
    //   Delete(u8), BatchCommit(u8, u8, Vec<(u8, u8)>, Tamper, u8), BatchChallenge(u8, u8,
    //   Kind), BatchWithheld(u8), BatchPost(u8, bool), BatchFinalize(u8, u8), WaitHours(u8);
    // Tamper: Honest, Fee, Total, Hidden, Duplicate, Stranger; Kind: FeeFormula, Sequence,
    //   Padding, TotalMismatch, Equivocation(u8), Audit. The target reads Vec<FOp>.
    let op = |e: Enc, i: u32| e.more().variant(i, 17);
    // `amount(x)`: an even x is (x % 16) / 2 tokens, an odd x is x >> 1 wei.
    let mut live = Enc::new();
    live = op(live, 0).u8(0).u64(14);
    live = op(live, 0).u8(1).u64(10);
    live = op(live, 2).u8(0).u8(0).u64(8);
    live = op(live, 2).u8(1).u8(1).u64(6);
    live = op(live, 6).u8(0).vec(
        [(0u8, 5_000u64, 1u8, true), (0, 7_000, 2, true)],
        |e, (u, fee, n, h)| e.u8(u).u64(fee).u8(n).bool(h),
    );
    live = op(live, 6).u8(1).vec(
        [(1u8, 9_000u64, 1u8, true), (1, 1, 1, false)],
        |e, (u, fee, n, h)| e.u8(u).u64(fee).u8(n).bool(h),
    );
    live = op(live, 4).u8(0).u8(0);
    live = op(live, 7).u16(3_700);
    live = op(live, 5).u8(0).u8(0);
    live = op(live, 3).u8(1).bytes(&[0, 1]);
    live = op(live, 1).u8(0).u64(2);
    live = op(live, 8).u8(1).bool(false);
    live = op(live, 9).u8(1).u8(1);
    live = op(live, 10).u8(2);
    let commit = |e: Enc, p: u8, u: u8, tamper: u32, nonce: u8| {
        op(e, 11)
            .u8(p)
            .u8(u)
            .vec([(10u8, 20u8), (5, 5), (100, 1)], |e, (i, o)| e.u8(i).u8(o))
            .variant(tamper, 6)
            .u8(nonce)
    };
    let mut batch = Enc::new();
    batch = commit(batch, 0, 0, 0, 1);
    batch = op(batch, 12).u8(0).u8(1).variant(5, 6);
    batch = commit(batch, 1, 1, 1, 1);
    batch = op(batch, 12).u8(1).u8(0).variant(0, 6);
    batch = commit(batch, 0, 2, 3, 1);
    batch = op(batch, 13).u8(2);
    batch = op(batch, 14).u8(2).bool(true);
    batch = commit(batch, 1, 3, 4, 1);
    batch = op(batch, 12).u8(3).u8(1).variant(4, 6).u8(0);
    batch = op(batch, 16).u8(3);
    batch = op(batch, 15).u8(0).u8(0);
    batch = commit(batch, 0, 0, 5, 1);
    batch = commit(batch, 0, 0, 2, 1);
    batch = op(batch, 12).u8(5).u8(0).variant(3, 6);
    let ledger = vec![
        ("live-settle-refund", live.end().done()),
        ("batches", batch.end().done()),
    ];
    // Step (serving_market.rs): Ask { user: u8, at_s, input_tokens, max_output_tokens: u16 },
    //   Retrieve { user: u8, at_s: u16 }, SettleNow { at_s: u16 }, CrashProvider { at_s,
    //   down_s: u16 }, CrashUser { user: u8, at_s, down_s: u16 }
    // Run { seed: u64, users, batch: bool, loss, duplicate, reorder: u8, steps }
    let ask = |e: Enc, user: u8, at_s: u16, tokens: u16| {
        e.more()
            .variant(0, 5)
            .u8(user)
            .u16(at_s)
            .u16(tokens)
            .u16(tokens / 2 + 1)
    };
    let market_run = |batch: bool, loss: u8| {
        let mut e = Enc::new()
            .u64(7)
            .u8(2)
            .bool(batch)
            .u8(loss)
            .u8(loss / 2)
            .u8(loss / 3);
        for i in 0..8u16 {
            e = ask(e, (i % 3) as u8, 10 + i * 30, 100 + i * 17);
        }
        e = e.more().variant(2, 5).u16(400);
        e = e.more().variant(3, 5).u16(500).u16(60);
        e = ask(e, 1, 700, 333);
        e = e.more().variant(4, 5).u8(0).u16(800).u16(30);
        e = ask(e, 0, 900, 50);
        e = e.more().variant(1, 5).u8(2).u16(1000);
        e = e.more().variant(2, 5).u16(7200);
        e.end().done()
    };
    let market = vec![
        ("live-clean", market_run(false, 0)),
        ("live-lossy", market_run(false, 40)),
        ("batch-lossy", market_run(true, 20)),
    ];
    (calldata_seeds, ledger, market)
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn hex48(s: &str) -> [u8; 48] {
    let v = hex(s);
    v.try_into().expect("48 bytes")
}

fn hex32(s: &str) -> [u8; 32] {
    let v = hex(s);
    v.try_into().expect("32 bytes")
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn write(root: &Path, target: &str, seeds: Seeds) {
    let dir = root.join(target);
    // Only generated seeds live here: stale ones go.
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create seed dir");
    for (name, bytes) in seeds {
        fs::write(dir.join(name), bytes).expect("write seed");
    }
}

fn main() {
    let root: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let mut all: Vec<(&str, Seeds)> = vec![
        ("core_proof", seeds_core_proof()),
        ("core_stream", seeds_core_stream()),
        ("core_flow", seeds_core_flow()),
    ];
    let (vrf_decode, vrf_verify, vrf_batch, vrf_sortition) = seeds_vrf();
    all.extend([
        ("vrf_decode", vrf_decode),
        ("vrf_verify", vrf_verify),
        ("vrf_batch", vrf_batch),
        ("vrf_sortition", vrf_sortition),
    ]);
    let (kzg_decode, kzg_verify_proof, kzg_verify_cells, kzg_recover) = seeds_kzg();
    all.extend([
        ("kzg_decode", kzg_decode),
        ("kzg_verify_proof", kzg_verify_proof),
        ("kzg_verify_cells", kzg_verify_cells),
        ("kzg_recover", kzg_recover),
    ]);
    let (erasure_manifest, erasure_decode, erasure_repair, erasure_holder) = seeds_erasure();
    all.extend([
        ("erasure_manifest", erasure_manifest),
        ("erasure_decode", erasure_decode),
        ("erasure_repair", erasure_repair),
        ("erasure_holder", erasure_holder),
    ]);
    let (pora_answer_decode, pora_verify, pora_miner, pora_sealer, pora_verifier) = seeds_pora();
    all.extend([
        ("pora_answer_decode", pora_answer_decode),
        ("pora_verify", pora_verify),
        ("pora_miner", pora_miner),
        ("pora_sealer", pora_sealer),
        ("pora_verifier", pora_verifier),
    ]);
    let (consensus_decode, consensus_receipt, consensus_machine, consensus_redeemer) =
        seeds_consensus();
    all.extend([
        ("consensus_decode", consensus_decode),
        ("consensus_receipt", consensus_receipt),
        ("consensus_machine", consensus_machine),
        ("consensus_redeemer", consensus_redeemer),
    ]);
    let (serving_calldata, serving_ledger, serving_market) = seeds_serving();
    all.extend([
        ("serving_calldata", serving_calldata),
        ("serving_ledger", serving_ledger),
        ("serving_market", serving_market),
    ]);
    let mut total = 0;
    for (target, seeds) in all {
        total += seeds.len();
        write(&root, target, seeds);
    }
    println!("wrote {total} seeds under {}", root.display());
}
