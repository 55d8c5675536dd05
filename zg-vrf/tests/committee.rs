//! Committee selection and the beacon, end to end through the public API.

// Test helpers outside #[test] functions unwrap too: a failed setup is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

use zg_bls::{Bls, Scheme};
use zg_core::{Amount, Epoch, H256, NodeId};
use zg_vrf::{
    BEACON_ROLE, BatchableProof, EligibilityClaim, Error, PublicKey, SecretKey, Selection,
    StakeEntry, StakeTable, assemble_committee, check_committee, compute_eligibility, next_seed,
    next_seed_from_committee,
};

/// A row with this test's VRF key and a BLS key (with its proof of possession) for the node.
fn row(node: u64, vrf_key: PublicKey, stake: Amount) -> StakeEntry {
    let bls = Bls::secret_key_from_seed(&zg_core::keccak256(&node.to_be_bytes()).0);
    StakeEntry {
        node: NodeId(node),
        stake,
        vrf_key,
        bls_key: Bls::public_key(&bls),
        proof_of_possession: Bls::prove_possession(&bls),
    }
}

fn setup(n: usize) -> (Vec<SecretKey>, StakeTable) {
    let sks: Vec<SecretKey> = (0..n)
        .map(|i| {
            let mut s = [0x11u8; 32];
            s[..8].copy_from_slice(&(i as u64).to_le_bytes());
            SecretKey::from_bytes(&s)
        })
        .collect();
    let entries = sks
        .iter()
        .enumerate()
        .map(|(i, sk)| {
            row(
                100 + i as u64,
                sk.public_key().clone(),
                // Uneven stakes: 1..=n whole tokens of 10^18 units.
                Amount::new((i as u128 + 1) * 1_000_000_000_000_000_000),
            )
        })
        .collect();
    let table = StakeTable::new(Epoch(9), entries, Amount::new(1_000_000_000_000_000_000)).unwrap();
    (sks, table)
}

fn selection(role: &str) -> Selection {
    Selection {
        epoch: Epoch(9),
        seed: H256::new([0x42; 32]),
        role: role.to_string(),
        expected_seats: 40,
    }
}

fn claims(
    sks: &[SecretKey],
    table: &StakeTable,
    sel: &Selection,
) -> (Vec<EligibilityClaim>, Vec<u64>) {
    let mut claims = Vec::new();
    let mut seats = Vec::new();
    for sk in sks {
        let e = compute_eligibility(sk, table, sel).unwrap();
        seats.push(e.seats);
        if e.seats > 0 {
            claims.push(e.claim);
        }
    }
    (claims, seats)
}

#[test]
fn members_prove_privately_and_anyone_assembles_the_same_committee() {
    let (sks, table) = setup(50);
    let sel = selection("da-signer");
    let (mut published, seats) = claims(&sks, &table, &sel);
    assert!(!published.is_empty());
    let (committee, rejected) = assemble_committee(&table, &sel, &published, &[1; 32]).unwrap();
    assert!(rejected.is_empty());
    // Exactly the members that won seats, with their own seat counts, in table order.
    let expect: Vec<(usize, u64)> = seats
        .iter()
        .enumerate()
        .filter(|(_, s)| **s > 0)
        .map(|(i, s)| (i, *s))
        .collect();
    let got: Vec<(usize, u64)> = committee
        .members
        .iter()
        .map(|m| (m.index, m.seats))
        .collect();
    assert_eq!(got, expect);
    assert_eq!(committee.total_seats, seats.iter().sum::<u64>());
    assert_eq!(
        committee.members[0].node,
        NodeId(100 + committee.members[0].index as u64)
    );
    // Order of claims and the batch seed do not matter.
    published.reverse();
    let (again, _) = assemble_committee(&table, &sel, &published, &[9; 32]).unwrap();
    assert_eq!(again, committee);
    check_committee(&table, &committee, &published, &[3; 32]).unwrap();
    // A tampered committee is caught.
    let mut forged = committee.clone();
    forged.members[0].seats += 1;
    assert_eq!(
        check_committee(&table, &forged, &published, &[3; 32]),
        Err(Error::CommitteeMismatch)
    );
}

#[test]
fn roles_and_epochs_select_independently() {
    let (sks, table) = setup(30);
    let a = compute_eligibility(&sks[0], &table, &selection("da-signer")).unwrap();
    let b = compute_eligibility(&sks[0], &table, &selection("alignment-audit")).unwrap();
    assert_ne!(a.output, b.output);
    let mut later = selection("da-signer");
    later.epoch = Epoch(10);
    let c = compute_eligibility(&sks[0], &table, &later).unwrap();
    assert_ne!(a.output, c.output);
}

#[test]
fn bad_claims_are_rejected_and_do_not_affect_the_rest() {
    let (sks, table) = setup(40);
    let sel = selection("da-signer");
    let all: Vec<_> = sks
        .iter()
        .map(|sk| compute_eligibility(sk, &table, &sel).unwrap())
        .collect();
    let winners: Vec<_> = all.iter().filter(|e| e.seats > 0).collect();
    let loser = all.iter().find(|e| e.seats == 0).expect("someone lost");
    let (honest, _) = assemble_committee(
        &table,
        &sel,
        &winners.iter().map(|e| e.claim.clone()).collect::<Vec<_>>(),
        &[0; 32],
    )
    .unwrap();
    let mut published: Vec<EligibilityClaim> = winners.iter().map(|e| e.claim.clone()).collect();
    let n = published.len();
    // A loser claims anyway; a winner's proof under another index; a duplicate; a bad index;
    // a proof for another role.
    published.push(loser.claim.clone());
    published.push(EligibilityClaim {
        index: loser.claim.index,
        proof: winners[0].claim.proof.clone(),
    });
    published.push(winners[1].claim.clone());
    published.push(EligibilityClaim {
        index: 10_000,
        proof: winners[0].claim.proof.clone(),
    });
    let other_role = sks[winners[2].claim.index]
        .prove_batchable(&selection("other").alpha())
        .unwrap();
    published[2] = EligibilityClaim {
        index: winners[2].claim.index,
        proof: other_role,
    };
    let (committee, rejected) = assemble_committee(&table, &sel, &published, &[5; 32]).unwrap();
    let mut positions: Vec<usize> = rejected.iter().map(|r| r.position).collect();
    positions.sort_unstable();
    assert_eq!(positions, vec![2, n, n + 1, n + 2, n + 3]);
    assert!(rejected.iter().any(|r| r.error == Error::InvalidProof));
    // The committee is the honest one minus the member whose claim was replaced.
    let mut expect = honest.members.clone();
    expect.retain(|m| m.index != winners[2].claim.index);
    assert_eq!(committee.members, expect);
    assert!(check_committee(&table, &committee, &published, &[5; 32]).is_err());
}

#[test]
fn stake_table_rejects_duplicates_and_torsion_keys() {
    let sk = SecretKey::from_bytes(&[1; 32]);
    let entry = |node: u64, pk: PublicKey| row(node, pk, Amount::new(10));
    let unit = Amount::new(1);
    assert!(
        StakeTable::new(
            Epoch(0),
            vec![
                entry(1, sk.public_key().clone()),
                entry(2, sk.public_key().clone())
            ],
            unit
        )
        .is_err()
    );
    let sk2 = SecretKey::from_bytes(&[2; 32]);
    assert!(
        StakeTable::new(
            Epoch(0),
            vec![
                entry(1, sk.public_key().clone()),
                entry(1, sk2.public_key().clone())
            ],
            unit
        )
        .is_err()
    );
    // Y + T with T of order 2 (the point (0, −1)).
    let mut t = [0xffu8; 32];
    t[0] = 0xec;
    t[31] = 0x7f;
    let order2 = curve25519_dalek::edwards::CompressedEdwardsY(t)
        .decompress()
        .unwrap();
    let y = curve25519_dalek::edwards::CompressedEdwardsY(*sk2.public_key().as_bytes())
        .decompress()
        .unwrap();
    let mixed = PublicKey::from_bytes(&(y + order2).compress().to_bytes()).unwrap();
    assert!(matches!(
        StakeTable::new(Epoch(0), vec![entry(1, mixed)], unit),
        Err(Error::InvalidParameters { .. })
    ));
    assert!(
        StakeTable::new(
            Epoch(0),
            vec![entry(1, sk2.public_key().clone())],
            Amount::ZERO
        )
        .is_err()
    );
    let over = vec![
        StakeEntry {
            stake: Amount::MAX,
            ..entry(1, sk.public_key().clone())
        },
        StakeEntry {
            stake: Amount::new(1),
            ..entry(2, sk2.public_key().clone())
        },
    ];
    assert!(matches!(
        StakeTable::new(Epoch(0), over, unit),
        Err(Error::Core(_))
    ));
}

#[test]
fn beacon_depends_only_on_the_smallest_reveal() {
    let (sks, table) = setup(40);
    let mut sel = selection(BEACON_ROLE);
    sel.expected_seats = 10;
    let (published, _) = claims(&sks, &table, &sel);
    assert!(published.len() >= 2, "need at least two contributors");
    let (committee, _) = assemble_committee(&table, &sel, &published, &[0; 32]).unwrap();
    let seed = next_seed_from_committee(&committee).unwrap();
    let outputs: Vec<[u8; 64]> = committee.members.iter().map(|m| m.output).collect();
    assert_eq!(seed, next_seed(sel.epoch, &sel.seed, outputs.iter().rev()));
    let min = *outputs.iter().min().unwrap();
    assert_eq!(seed, next_seed(sel.epoch, &sel.seed, [&min]));
    // Withholding anything but the minimum changes nothing; withholding the minimum does.
    let without_min: Vec<_> = outputs.iter().filter(|o| **o != min).collect();
    assert_ne!(seed, next_seed(sel.epoch, &sel.seed, without_min));
    // No reveal still advances, and differently per epoch and seed.
    let empty = next_seed(sel.epoch, &sel.seed, []);
    assert_ne!(empty, seed);
    assert_ne!(empty, next_seed(Epoch(10), &sel.seed, []));
    assert_ne!(empty, next_seed(sel.epoch, &H256::new([1; 32]), []));
}

/// The last-revealer analysis in the beacon docs: with a fraction f of the contributors, the
/// adversary chooses among j + 1 seeds, j = its outputs below the smallest honest one, and
/// E[j + 1] = 1/(1 − f) for many contributors (here 10 of 30: exactly 1 + 10/21).
#[test]
fn last_revealer_has_few_choices_under_the_minimum_rule() {
    use rand_chacha::ChaCha20Rng;
    use rand_core::{Rng, SeedableRng};
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let trials = 20_000;
    let mut choices = 0u64;
    for _ in 0..trials {
        let mut outs: Vec<(u64, bool)> = (0..30).map(|i| (rng.next_u64(), i < 10)).collect();
        outs.sort_unstable();
        let j = outs
            .iter()
            .take_while(|(_, adversarial)| *adversarial)
            .count() as u64;
        choices += j + 1;
    }
    let mean = choices as f64 / trials as f64;
    assert!(
        (mean - (1.0 + 10.0 / 21.0)).abs() < 0.03,
        "mean choices {mean}"
    );
}

#[test]
fn proofs_from_claims_round_trip_through_bytes() {
    let (sks, table) = setup(10);
    let e = compute_eligibility(&sks[3], &table, &selection("x")).unwrap();
    let bytes = *e.claim.proof.as_bytes();
    assert_eq!(BatchableProof::from_bytes(&bytes), e.claim.proof);
}
