//! 0G mode: hash-to-G1, registration hashes (the chain's own vectors), BLS on BN254 with the γ
//! same-message check, point decoding, quorum formation and `getAggPkG1`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

use ark_bn254::{Fq, G1Projective, G2Projective};
use ark_ec::{CurveGroup, PrimeGroup};
use ark_ff::PrimeField;
use std::str::FromStr;
use zg_da::zerog::{
    Error, G1Affine, QuorumParams, Registration, SecretKey, aggregate_pubkey_g1,
    epoch_registration_hash, form_quorums, g1_from_bytes, g1_to_bytes, g2_from_bytes, g2_to_bytes,
    map_to_g1, pubkey_registration_hash, verify_same_message,
};

fn addr(s: &str) -> [u8; 20] {
    hex::decode(s.trim_start_matches("0x"))
        .unwrap()
        .try_into()
        .unwrap()
}

fn point(x: &str, y: &str) -> G1Affine {
    G1Affine::new_unchecked(Fq::from_str(x).unwrap(), Fq::from_str(y).unwrap())
}

/// Official: 0g-chain `x/dasigners/v1/types/hash_test.go`.
#[test]
fn chain_registration_hash_vectors() {
    let a = addr("9685C4EB29309820CDC62663CC6CC82F3D42E964");
    assert_eq!(
        pubkey_registration_hash(&a, 8888).unwrap(),
        point(
            "17347288745752564851578145205408924577042674846071448492673629564958667746090",
            "21456041422468658262738002909407073439935597271458862589356790821116767485654"
        )
    );
    assert_eq!(
        epoch_registration_hash(&a, 1, 8888).unwrap(),
        point(
            "13283083124528531674735853832182424672122091139683454761857829308708073730285",
            "21773064143788270772276852950775943855438706734263253481317981346601766662828"
        )
    );
}

/// Official, from the committed vector file (see `tests/vectors/zerog/README.md`).
#[test]
fn registration_hash_vector_file() {
    let text = include_str!("vectors/zerog/registration_hashes.txt");
    let mut n = 0;
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (account, chain_id) = (addr(f[1]), f[3].parse::<u64>().unwrap());
        let got = match f[0] {
            "pubkey" => pubkey_registration_hash(&account, chain_id).unwrap(),
            "epoch" => epoch_registration_hash(&account, f[2].parse().unwrap(), chain_id).unwrap(),
            other => panic!("unknown kind {other}"),
        };
        assert_eq!(got, point(f[4], f[5]), "{line}");
        n += 1;
    }
    assert_eq!(n, 2);
}

/// Derived: a stdlib-only Python re-computation of try-and-increment
/// (`x = int(digest) % p; while pow(x³+3, (p+1)/4)² ≠ x³+3: x += 1`).
#[test]
fn map_to_g1_matches_an_independent_recomputation() {
    let cases = [
        (
            [0u8; 32],
            "00000000000000000000000000000000000000000000000000000000000000010000000000000000000000000000000000000000000000000000000000000002",
        ),
        (
            [0xff; 32],
            "0e0a77c19a07df2f666ea36f7879462c0a78eb28f5c70b3dd35d438dc58f0d9c14be43b98e05db3bee1459f626263fc7bccd58e77b8182329f8ac7453c92c0ca",
        ),
        (
            core::array::from_fn(|i| i as u8),
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f1cf5c0d2729b6a6b6abe5f1dcfacee0267114714eb9ad38dd651b37d5c287e99",
        ),
    ];
    for (digest, want) in cases {
        let p = map_to_g1(&digest).unwrap();
        assert!(p.is_on_curve());
        assert_eq!(hex::encode(g1_to_bytes(&p)), want);
    }
    // digest 0: x = 0 has no root (3 is a non-residue), x = 1 gives the generator (1, 2).
    assert_eq!(
        map_to_g1(&[0u8; 32]).unwrap(),
        G1Projective::generator().into_affine()
    );
}

#[test]
fn generators_are_the_chains() {
    let g2 = G2Projective::generator().into_affine();
    let b = g2_to_bytes(&g2);
    let words: Vec<String> = b
        .chunks(32)
        .map(|w| {
            ark_ff::BigInt::<4>::from_str(&format!("{}", Fq::from_be_bytes_mod_order(w)))
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        words,
        [
            "10857046999023057135944570762232829481370756359578518086990519993285655852781",
            "11559732032986387107991004021392285783925812861821192530917403151452391805634",
            "8495653923123431417604973247489272438418190587263600148770280649306958101930",
            "4082367875863433681332203403145435568316851327593401208105741076214120093531",
        ]
    );
}

fn key(n: u8) -> SecretKey {
    let mut b = [0u8; 32];
    b[31] = n;
    b[0] = 0x01;
    SecretKey::from_be_bytes(&b).unwrap()
}

#[test]
fn registration_signature_round_trip_and_rejections() {
    let a = addr("9685C4EB29309820CDC62663CC6CC82F3D42E964");
    let sk = key(7);
    let (pk1, pk2) = (sk.public_g1(), sk.public_g2());
    let h = pubkey_registration_hash(&a, 16600).unwrap();
    let sig = sk.sign(&h);
    verify_same_message(&h, &sig, &pk1, &pk2).unwrap();
    // encodings round-trip
    assert_eq!(g1_from_bytes(&g1_to_bytes(&sig)).unwrap(), sig);
    assert_eq!(g2_from_bytes(&g2_to_bytes(&pk2)).unwrap(), pk2);
    // another message (the epoch hash: domain separation), another chain, another key
    let other = epoch_registration_hash(&a, 1, 16600).unwrap();
    assert_eq!(
        verify_same_message(&other, &sig, &pk1, &pk2),
        Err(Error::InvalidSignature)
    );
    let h2 = pubkey_registration_hash(&a, 16601).unwrap();
    assert_eq!(
        verify_same_message(&h2, &sig, &pk1, &pk2),
        Err(Error::InvalidSignature)
    );
    let sk2 = key(8);
    assert_eq!(
        verify_same_message(&h, &sk2.sign(&h), &pk1, &pk2),
        Err(Error::InvalidSignature)
    );
    // a G1 key that does not match the G2 key fails even with a signature valid for the G2 key
    assert_eq!(
        verify_same_message(&h, &sig, &sk2.public_g1(), &pk2),
        Err(Error::InvalidSignature)
    );
}

/// Attack: a signer pair whose keys cancel (`pk_b = X − pk_a` in G1) cannot pass off a forged
/// signature; the γ check binds G1 and G2 keys of the same secret for the aggregate too.
#[test]
fn aggregate_same_message_check() {
    let h = map_to_g1(&[9u8; 32]).unwrap();
    let keys: Vec<SecretKey> = (1..=4).map(key).collect();
    let sig = keys
        .iter()
        .fold(G1Projective::default(), |a, k| a + k.sign(&h))
        .into_affine();
    let pk1 = keys
        .iter()
        .fold(G1Projective::default(), |a, k| a + k.public_g1())
        .into_affine();
    let pk2 = keys
        .iter()
        .fold(G2Projective::default(), |a, k| a + k.public_g2())
        .into_affine();
    verify_same_message(&h, &sig, &pk1, &pk2).unwrap();
    // one signer missing from the aggregate signature
    let partial = (G1Projective::from(sig) - keys[0].sign(&h)).into_affine();
    assert_eq!(
        verify_same_message(&h, &partial, &pk1, &pk2),
        Err(Error::InvalidSignature)
    );
    // rogue G1 key claimed without the matching G2 key
    let rogue_g1 = (G1Projective::from(pk1) + G1Projective::generator()).into_affine();
    assert_eq!(
        verify_same_message(&h, &sig, &rogue_g1, &pk2),
        Err(Error::InvalidSignature)
    );
}

#[test]
fn point_decoding_rejects_what_is_not_a_point() {
    assert_eq!(g1_from_bytes(&[0u8; 64]).unwrap(), G1Affine::identity());
    assert!(matches!(
        g1_from_bytes(&[0u8; 63]),
        Err(Error::InvalidLength { .. })
    ));
    // (1, 3) is not on the curve
    let mut b = [0u8; 64];
    b[31] = 1;
    b[63] = 3;
    assert_eq!(g1_from_bytes(&b), Err(Error::InvalidEncoding));
    // the generator with x + p: non-canonical
    let mut g = g1_to_bytes(&G1Projective::generator().into_affine());
    let p = Fq::MODULUS.to_bytes_be_fixed();
    let mut carry = 0u16;
    for i in (0..32).rev() {
        let s = u16::from(g[i]) + u16::from(p[i]) + carry;
        g[i] = s as u8;
        carry = s >> 8;
    }
    assert_eq!(carry, 0);
    assert_eq!(g1_from_bytes(&g), Err(Error::InvalidEncoding));
    // a G2 point on the twist but outside the prime-order subgroup
    let mut found = None;
    for x0 in 1u64..200 {
        let x = ark_bn254::Fq2::new(Fq::from(x0), Fq::from(0u64));
        if let Some(p) = ark_bn254::G2Affine::get_point_from_x_unchecked(x, false)
            && !p.is_in_correct_subgroup_assuming_on_curve()
        {
            found = Some(p);
            break;
        }
    }
    let p = found.unwrap();
    assert_eq!(g2_from_bytes(&g2_to_bytes(&p)), Err(Error::InvalidEncoding));
    assert!(SecretKey::from_be_bytes(&[0u8; 32]).is_err());
    assert!(SecretKey::from_be_bytes(&[0xff; 32]).is_err());
}

trait FixedBe {
    fn to_bytes_be_fixed(&self) -> [u8; 32];
}
impl FixedBe for ark_ff::BigInt<4> {
    fn to_bytes_be_fixed(&self) -> [u8; 32] {
        use ark_ff::BigInteger;
        self.to_bytes_be().try_into().unwrap()
    }
}

const TOKEN: u128 = 1_000_000_000_000_000_000;

fn reg(n: u8, tokens: u128) -> Registration {
    Registration {
        account: [n; 20],
        bonded: tokens * TOKEN + TOKEN / 2,
        signature: vec![n; 64],
    }
}

/// A second, naive computation of the chain's BeginBlock: expand every ballot, sort, cut.
fn naive_quorums(p: &QuorumParams, regs: &[Registration]) -> Vec<Vec<[u8; 20]>> {
    let mut ballots = vec![];
    for r in regs {
        let votes = std::cmp::min(
            r.bonded / TOKEN / p.tokens_per_vote as u128,
            p.max_votes_per_signer as u128,
        );
        let mut c = r.signature.clone();
        for _ in 0..votes {
            ballots.push((c.clone(), r.account));
            c = zg_core::keccak256(&c).0.to_vec();
        }
    }
    ballots.sort();
    let n = ballots.len();
    let s = p.encoded_slices as usize;
    let mut out = vec![];
    if n >= s {
        let mut i = 0;
        while i + s <= n && out.len() < p.max_quorums as usize {
            out.push(ballots[i..i + s].iter().map(|b| b.1).collect());
            i += s;
        }
        if n % s != 0 && out.len() < p.max_quorums as usize {
            out.push(ballots[n - s..].iter().map(|b| b.1).collect());
        }
    } else if n > 0 {
        out.push((0..s).map(|i| ballots[i % n].1).collect());
    }
    out
}

#[test]
fn quorums_match_the_naive_begin_block() {
    let regs: Vec<Registration> = (1..=9).map(|n| reg(n, 10 * u128::from(n) + 5)).collect();
    for (slices, max_q, max_votes) in [
        (8, 10, 1024),
        (8, 2, 1024),
        (7, 10, 3),
        (100, 10, 1024),
        (3072, 10, 1024),
        (12, 0, 5),
    ] {
        let p = QuorumParams {
            tokens_per_vote: 10,
            max_votes_per_signer: max_votes,
            max_quorums: max_q,
            encoded_slices: slices,
        };
        assert_eq!(
            form_quorums(&p, &regs).unwrap(),
            naive_quorums(&p, &regs),
            "{p:?}"
        );
    }
}

#[test]
fn quorum_shapes() {
    let p = |slices, max_quorums| QuorumParams {
        tokens_per_vote: 10,
        max_votes_per_signer: 1024,
        max_quorums,
        encoded_slices: slices,
    };
    // 2 + 3 = 5 ballots, 4 slices: one full quorum, then the overlapping last 4
    let regs = vec![reg(1, 20), reg(2, 39)];
    let q = form_quorums(&p(4, 10), &regs).unwrap();
    assert_eq!(q.len(), 2);
    let all = naive_quorums(&p(5, 10), &regs)[0].clone(); // the sorted ballots
    assert_eq!(q[0], all[..4].to_vec());
    assert_eq!(q[1], all[1..].to_vec());
    // below the slice count: one round-robin quorum, even with max_quorums 0 (as the chain does)
    let q = form_quorums(&p(12, 0), &regs).unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].len(), 12);
    assert_eq!(q[0][5], q[0][0]);
    // stake below one vote: no ballots, no quorums
    assert!(form_quorums(&p(4, 10), &[reg(1, 9)]).unwrap().is_empty());
    // votes are capped
    let capped = QuorumParams {
        max_votes_per_signer: 2,
        ..p(4, 10)
    };
    assert_eq!(
        form_quorums(&capped, &[reg(1, 1000), reg(2, 1000)])
            .unwrap()
            .len(),
        1
    );
    assert!(matches!(
        form_quorums(
            &QuorumParams {
                tokens_per_vote: 0,
                ..p(4, 1)
            },
            &regs
        ),
        Err(Error::InvalidParams(_))
    ));
    // a flood of stake is refused before any allocation
    let whale = QuorumParams {
        max_votes_per_signer: u64::MAX,
        tokens_per_vote: 1,
        ..p(4, 10)
    };
    assert!(matches!(
        form_quorums(&whale, &[reg(1, u128::from(u64::MAX))]),
        Err(Error::TooManyBallots { .. })
    ));
    // the result does not depend on registration order (ballots are sorted by content)
    let mut rev = regs.clone();
    rev.reverse();
    assert_eq!(
        form_quorums(&p(4, 10), &rev).unwrap(),
        form_quorums(&p(4, 10), &regs).unwrap()
    );
}

#[test]
fn aggregate_pubkey_counts_duplicate_rows_as_the_chain_does() {
    let keys: Vec<SecretKey> = (1..=3).map(key).collect();
    let accounts = [[1u8; 20], [2u8; 20], [3u8; 20]];
    let pk_of = |a: &[u8; 20]| {
        accounts
            .iter()
            .position(|x| x == a)
            .map(|i| keys[i].public_g1())
    };
    // rows: A B A C B A C A A  (9 rows → 2 bytes of bitmap)
    let (a, b, c) = (accounts[0], accounts[1], accounts[2]);
    let quorum = [a, b, a, c, b, a, c, a, a];
    // bits set: row 0 (A) only → A added once, its later rows count as hits with bits unset
    let r = aggregate_pubkey_g1(&quorum, &[0b0000_0001, 0], pk_of).unwrap();
    assert_eq!((r.total, r.hit), (9, 5));
    assert_eq!(r.pk_g1, keys[0].public_g1());
    // rows 1 (B) and 6 (C): B's later row counts, A's rows do not
    let r = aggregate_pubkey_g1(&quorum, &[0b0100_0010, 0], pk_of).unwrap();
    assert_eq!((r.total, r.hit), (9, 3));
    assert_eq!(
        r.pk_g1,
        (G1Projective::from(keys[1].public_g1()) + keys[2].public_g1()).into_affine()
    );
    // A's bit set late (row 8): earlier A rows are not hits
    let r = aggregate_pubkey_g1(&quorum, &[0, 1], pk_of).unwrap();
    assert_eq!(r.hit, 1);
    assert!(matches!(
        aggregate_pubkey_g1(&quorum, &[0], pk_of),
        Err(Error::BitmapLength {
            expected: 2,
            got: 1
        })
    ));
    assert_eq!(
        aggregate_pubkey_g1(&[[9u8; 20]], &[1], pk_of),
        Err(Error::SignerNotFound)
    );
    // the contract's acceptance: 2·total ≤ 3·hit
    let r = aggregate_pubkey_g1(&quorum, &[0b0000_0001, 0], pk_of).unwrap();
    assert!(2 * r.total > 3 * r.hit);
    let r = aggregate_pubkey_g1(&quorum, &[0b0000_0011, 0], pk_of).unwrap();
    assert_eq!(r.hit, 7);
    assert!(2 * r.total <= 3 * r.hit);
}

/// Official: 0g-chain `x/dasigners/v1/keeper/abci_test.go` `TestBeginBlock_Success` — one signer,
/// registration signature `LeftPadBytes([1], 32)`, params {10, 200, 10, 10}, delegation growing
/// 0 → 10 → 100 → 110 → 2110 tokens gives 0, 1, 1, 2, 10 quorums.
#[test]
fn chain_begin_block_quorum_counts() {
    let params = QuorumParams {
        tokens_per_vote: 10,
        max_votes_per_signer: 200,
        max_quorums: 10,
        encoded_slices: 10,
    };
    let mut sig = vec![0u8; 32];
    sig[31] = 1;
    for (tokens, quorums) in [(0u128, 0usize), (10, 1), (100, 1), (110, 2), (2110, 10)] {
        let r = Registration {
            account: addr("0000000000000000000000000000000000000001"),
            bonded: tokens * TOKEN,
            signature: sig.clone(),
        };
        let q = form_quorums(&params, &[r]).unwrap();
        assert_eq!(q.len(), quorums, "{tokens} tokens");
        assert!(q.iter().all(|q| q.len() == 10));
    }
}
