//! The one stake table and node key derivation, through the public API.

// Test helpers outside #[test] functions unwrap too: a failed setup is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

use zg_bls::{
    AggregateCertificate, Bls, InsecureTestScheme, Scheme, Strictness, ValidatorIndex,
    verify_optimistic,
};
use zg_core::{Amount, Epoch, H256, NodeId};
use zg_vrf::{
    Error, NodeKeys, Selection, StakeEntry, StakeTable, assemble_committee, compute_eligibility,
};

fn nodes<S: Scheme>(n: u64) -> Vec<NodeKeys<S>> {
    (0..n)
        .map(|i| NodeKeys::derive(b"zg-vrf/tests/stake", NodeId(i)))
        .collect()
}

#[test]
fn node_keys_are_deterministic_and_domain_separated() {
    let a = NodeKeys::<Bls>::derive(b"devnet/7", NodeId(3));
    let b = NodeKeys::<Bls>::derive(b"devnet/7", NodeId(3));
    assert_eq!(a.vrf.public_key(), b.vrf.public_key());
    assert_eq!(Bls::public_key(&a.bls), Bls::public_key(&b.bls));
    // Another node, another deployment: other keys.
    let c = NodeKeys::<Bls>::derive(b"devnet/7", NodeId(4));
    let d = NodeKeys::<Bls>::derive(b"devnet/8", NodeId(3));
    for other in [&c, &d] {
        assert_ne!(a.vrf.public_key(), other.vrf.public_key());
        assert_ne!(Bls::public_key(&a.bls), Bls::public_key(&other.bls));
    }
    // The two keys of one seed are independent of each other and of the raw seed.
    let seed = [9u8; 32];
    let k = NodeKeys::<Bls>::from_seed(NodeId(1), &seed);
    assert_ne!(k.vrf.as_bytes(), &seed);
    assert_ne!(&k.bls.to_bytes()[..], &seed[..]);
    assert_ne!(&k.bls.to_bytes()[..], &k.vrf.as_bytes()[..]);
    assert_eq!(
        Bls::public_key(&k.bls),
        Bls::public_key(&Bls::secret_key_from_seed(
            &zg_core::keccak256_parts(&[b"zg/node-keys/v1/bls", &seed]).0
        ))
    );
    assert_eq!(format!("{k:?}"), "NodeKeys { node: NodeId(1), .. }");
    // The entry carries a proof of possession that verifies.
    let e = k.entry(Amount::new(5));
    assert!(Bls::verify_possession(&e.bls_key, &e.proof_of_possession));
}

#[test]
fn table_refuses_bad_registrations() {
    let keys = nodes::<Bls>(4);
    let entries: Vec<StakeEntry> = keys.iter().map(|k| k.entry(Amount::new(10))).collect();
    let unit = Amount::new(1);
    let good = StakeTable::new(Epoch(2), entries.clone(), unit).unwrap();
    assert_eq!(good.epoch(), Epoch(2));
    assert_eq!(good.total_stake(), Amount::new(40));
    assert_eq!(good.index_of_node(NodeId(2)), Some(2));
    assert_eq!(good.entry(NodeId(3)), Some(&entries[3]));
    assert_eq!(good.index_of(keys[1].vrf.public_key()), Some(1));

    // A rogue BLS key: another node's proof of possession, or none that verifies.
    let mut rogue = entries.clone();
    rogue[1].proof_of_possession = rogue[0].proof_of_possession;
    assert_eq!(
        StakeTable::new(Epoch(2), rogue, unit),
        Err(Error::InvalidRegistration {
            node: NodeId(1),
            reason: "invalid proof of possession"
        })
    );
    // The same BLS key under two nodes (with its valid proof).
    let mut dup = entries.clone();
    dup[2].bls_key = dup[0].bls_key;
    dup[2].proof_of_possession = dup[0].proof_of_possession;
    assert_eq!(
        StakeTable::new(Epoch(2), dup, unit),
        Err(Error::InvalidRegistration {
            node: NodeId(2),
            reason: "duplicate BLS key"
        })
    );
    // Duplicate node id, duplicate VRF key.
    let mut dup_node = entries.clone();
    dup_node[3].node = NodeId(0);
    assert!(matches!(
        StakeTable::new(Epoch(2), dup_node, unit),
        Err(Error::InvalidParameters { .. })
    ));
    let mut dup_vrf = entries.clone();
    dup_vrf[3].vrf_key = dup_vrf[0].vrf_key.clone();
    assert!(matches!(
        StakeTable::new(Epoch(2), dup_vrf, unit),
        Err(Error::InvalidParameters { .. })
    ));
    // Total over the amount range.
    let mut over = entries;
    over[0].stake = Amount::MAX;
    assert!(matches!(
        StakeTable::new(Epoch(2), over, unit),
        Err(Error::Core(_))
    ));
}

#[test]
fn zero_stake_rows_are_registered_but_not_members() {
    let keys = nodes::<InsecureTestScheme>(3);
    let entries = vec![
        keys[0].entry(Amount::new(7)),
        keys[1].entry(Amount::ZERO),
        keys[2].entry(Amount::new(3)),
    ];
    let table = StakeTable::new(Epoch(0), entries, Amount::new(1)).unwrap();
    let members = table.bls_members();
    assert_eq!(
        members,
        vec![
            (InsecureTestScheme::public_key(&keys[0].bls), 7),
            (InsecureTestScheme::public_key(&keys[2].bls), 3)
        ]
    );
}

#[test]
fn committee_from_the_table_signs_a_certificate_weighted_by_seats() {
    // Sortition over the table's VRF keys, then a seat-weighted BLS certificate of the same
    // nodes: what a DA committee does with the one table.
    let keys = nodes::<Bls>(12);
    let entries = keys.iter().map(|k| k.entry(Amount::new(100))).collect();
    let table: StakeTable = StakeTable::new(Epoch(5), entries, Amount::new(1)).unwrap();
    let selection = Selection {
        epoch: Epoch(5),
        seed: H256([0x5e; 32]),
        role: "da-signer".into(),
        expected_seats: 8,
    };
    let mut claims = Vec::new();
    for k in &keys {
        let e = compute_eligibility(&k.vrf, &table, &selection).unwrap();
        if e.seats > 0 {
            claims.push(e.claim);
        }
    }
    let (committee, rejected) = assemble_committee(&table, &selection, &claims, &[1; 32]).unwrap();
    assert!(rejected.is_empty());
    assert!(!committee.members.is_empty());
    let members = committee.bls_members(&table).unwrap();
    assert_eq!(members.len(), committee.members.len());
    let message = b"da/attest/epoch-5/payload";
    let signatures: Vec<_> = committee
        .members
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let signer = keys.iter().find(|k| k.node == m.node).unwrap();
            (ValidatorIndex(i as u16), Bls::sign(&signer.bls, message))
        })
        .collect();
    let outcome =
        verify_optimistic::<Bls>(&members, message, &signatures, Strictness::Set).unwrap();
    let cert: AggregateCertificate = outcome.certificate().unwrap();
    let seats = u128::from(committee.total_seats);
    assert_eq!(cert.verify(&members, message, seats), Ok(seats));

    // The committee read against another table (other nodes at the same indices) is refused.
    let others = (100..112)
        .map(|i| NodeKeys::<Bls>::derive(b"other", NodeId(i)).entry(Amount::new(100)))
        .collect();
    let other = StakeTable::new(Epoch(5), others, Amount::new(1)).unwrap();
    assert!(matches!(
        committee.bls_members(&other),
        Err(Error::InvalidClaim { .. })
    ));
}

#[test]
fn rogue_bls_key_is_refused_by_the_table() {
    // The attacker wants certificates that name the victim as a co-signer: it registers
    // pk_r = pk_attacker − pk_victim, so that pk_victim + pk_r = pk_attacker. (Small scalars:
    // 12 − 5 = 7; a real attacker subtracts points and never knows pk_r's secret.)
    let scalar = |x: u8| {
        let mut b = [0u8; 32];
        b[31] = x;
        zg_bls::BlsSecretKey::from_bytes(&b).unwrap()
    };
    let victim = scalar(5);
    let attacker = scalar(12);
    let rogue_key = Bls::public_key(&scalar(7));
    let keys = nodes::<Bls>(2);
    let honest = StakeEntry {
        bls_key: Bls::public_key(&victim),
        proof_of_possession: Bls::prove_possession(&victim),
        ..keys[0].entry(Amount::new(50))
    };
    // Without a table's check the forgery verifies: one signature by the attacker "from" both.
    let message = b"consensus/precommit/height-9";
    let mut both = zg_bls::SignerBitmap::new(2);
    both.insert(ValidatorIndex(0));
    both.insert(ValidatorIndex(1));
    let forged = AggregateCertificate::<Bls> {
        signers: both,
        signature: Bls::sign(&attacker, message),
    };
    let unchecked = [(honest.bls_key, 50u128), (rogue_key, 50u128)];
    assert_eq!(forged.verify(&unchecked, message, 100), Ok(100));
    // The table refuses the rogue key with each proof the attacker can make.
    for proof in [
        Bls::prove_possession(&attacker),
        honest.proof_of_possession,
        Bls::sign(&attacker, &rogue_key.to_bytes()),
    ] {
        let rogue = StakeEntry {
            bls_key: rogue_key,
            proof_of_possession: proof,
            ..keys[1].entry(Amount::new(50))
        };
        assert_eq!(
            StakeTable::new(Epoch(1), vec![honest.clone(), rogue], Amount::new(1)),
            Err(Error::InvalidRegistration {
                node: NodeId(1),
                reason: "invalid proof of possession"
            })
        );
    }
    // With the honest rows only, the forgery names a member that is not there.
    let table = StakeTable::new(Epoch(1), vec![honest], Amount::new(1)).unwrap();
    assert!(forged.verify(&table.bls_members(), message, 1).is_err());
}
