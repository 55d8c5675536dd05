//! Item 2 of issue 12: committee and custody. Every column is held by at least `r` seats, the
//! rule does not depend on the order members are listed in, and anyone recomputes it from a
//! zg-vrf committee.

// Test code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

use proptest::prelude::*;
use zg_core::{Amount, Epoch, H256, NodeId};
use zg_da::*;
use zg_vrf::{NodeKeys, Selection, StakeTable, assemble_committee, compute_eligibility};

fn members(seats: &[u64], salt: u8) -> Vec<SeatHolder> {
    seats
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            let mut output = [0u8; 64];
            output[0] = salt;
            output[1..9].copy_from_slice(&(i as u64).to_be_bytes());
            SeatHolder {
                node: NodeId(i as u64 * 3 + 1),
                output,
                seats: s,
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_column_is_held_by_at_least_r_seats(
        seats in prop::collection::vec(1u64..5, 1..80),
        r_pick in 1u16..32,
        seed in any::<[u8; 32]>(),
        salt in any::<u8>(),
    ) {
        let m = members(&seats, salt);
        let n: u64 = seats.iter().sum();
        let r = r_pick.min(n as u16).max(1);
        let seed = H256::new(seed);
        let custody = Custody::assign(&seed, &m, r).unwrap();
        let c = u64::from(custody.columns_per_seat());
        prop_assert_eq!(c, (128 * u64::from(r)).div_ceil(n));
        prop_assert_eq!(custody.total_seats(), n);
        for j in 0..COLUMNS {
            let held = custody.seats_holding(j);
            prop_assert!(held >= u64::from(r), "column {} held by {} < r = {}", j, held, r);
            prop_assert!(held <= (n * c).div_ceil(128));
            // Holders listed for a column really have it.
            for h in custody.holders(j) {
                prop_assert!(custody.columns_of(*h).contains(&(j as u16)));
            }
        }
        for s in custody.seats() {
            prop_assert_eq!(s.columns.len() as u64, c);
            let mut d = s.columns.clone();
            d.dedup();
            prop_assert_eq!(d.len() as u64, c, "a seat's columns are distinct");
        }
        // Listing order does not matter.
        let mut rev = m.clone();
        rev.reverse();
        prop_assert_eq!(Custody::assign(&seed, &rev, r).unwrap(), custody.clone());
        // Another seed reshuffles who holds what (with more than one member).
        // (With 8 or more seats two seeds give the same ranking with probability below 1/8!.)
        if seats.iter().sum::<u64>() >= 8 {
            let other = Custody::assign(&H256::new([0x42; 32]), &m, r).unwrap();
            if seed != H256::new([0x42; 32]) {
                prop_assert!(other.seats() != custody.seats());
            }
        }
    }
}

#[test]
fn bad_parameters_are_typed_errors() {
    let m = members(&[1, 2, 3], 0);
    let seed = H256::new([1; 32]);
    assert!(matches!(
        Custody::assign(&seed, &m, 0),
        Err(Error::InvalidParameters { .. })
    ));
    assert!(
        matches!(
            Custody::assign(&seed, &m, 7),
            Err(Error::InvalidParameters { .. })
        ),
        "6 seats < r = 7"
    );
    assert!(Custody::assign(&seed, &m, 6).is_ok());
    let mut dup = m.clone();
    dup.push(m[0].clone());
    assert!(matches!(
        Custody::assign(&seed, &dup, 1),
        Err(Error::InvalidParameters { .. })
    ));
    let mut zero = m.clone();
    zero[1].seats = 0;
    assert!(matches!(
        Custody::assign(&seed, &zero, 1),
        Err(Error::InvalidParameters { .. })
    ));
    assert!(matches!(
        Custody::assign(&seed, &members(&[70_000], 0), 1),
        Err(Error::InvalidParameters { .. })
    ));
}

/// The committee comes from zg-vrf sortition over the epoch seed; custody follows from the
/// assembled committee, and a third party assembling from the published claims gets the same
/// custody.
#[test]
fn custody_from_a_vrf_committee_is_recomputable_by_anyone() {
    let keys: Vec<NodeKeys> = (0..40u64)
        .map(|i| NodeKeys::derive(b"zg-da custody test", NodeId(i)))
        .collect();
    let table = StakeTable::new(
        Epoch(3),
        keys.iter()
            .enumerate()
            .map(|(i, k)| k.entry(Amount::new(100 + i as u128)))
            .collect(),
        Amount::new(1),
    )
    .unwrap();
    let sks: Vec<_> = keys.iter().map(|k| &k.vrf).collect();
    let selection = Selection {
        epoch: Epoch(3),
        seed: H256::new([0x5e; 32]),
        role: DA_SIGNER_ROLE.into(),
        expected_seats: 24,
    };
    let claims: Vec<_> = sks
        .iter()
        .map(|sk| compute_eligibility(sk, &table, &selection).unwrap())
        .filter(|e| e.seats > 0)
        .map(|e| e.claim)
        .collect();
    let (committee, rejected) = assemble_committee(&table, &selection, &claims, &[1; 32]).unwrap();
    assert!(rejected.is_empty());
    assert!(
        committee.total_seats >= 8,
        "{} seats",
        committee.total_seats
    );
    let ours = Custody::for_committee(&committee, 4).unwrap();
    let mut shuffled = claims.clone();
    shuffled.reverse();
    let (theirs, _) = assemble_committee(&table, &selection, &shuffled, &[9; 32]).unwrap();
    assert_eq!(Custody::for_committee(&theirs, 4).unwrap(), ours);
    for j in 0..COLUMNS {
        assert!(ours.seats_holding(j) >= 4);
    }
    // Non-members hold nothing.
    let members: Vec<NodeId> = committee.members.iter().map(|m| m.node).collect();
    for i in 0..40u64 {
        assert_eq!(ours.is_member(NodeId(i)), members.contains(&NodeId(i)));
        assert_eq!(
            ours.columns_of(NodeId(i)).is_empty(),
            !members.contains(&NodeId(i))
        );
    }
}
