//! Shared staking and slashing: epochs change the validator set of every partition at the same
//! boundary, and equivocation in any partition slashes the shared stake once and removes the
//! validator everywhere from the next epoch — under load, in the simulator.

// In tests a panic is a failure report, and casts work on small test sizes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

use std::sync::Arc;

use zg_consensus::{
    Bls, Error, Evidence, InsecureTestScheme as T, Scheme, StakeLedger, StakeTable, ValidatorSet,
};
use zg_core::{Epoch, H256, Timestamp};
use zg_testkit::consensus::{Behaviour, Scenario, run, stake_table};

#[test]
fn equivocator_is_slashed_once_and_excluded_from_the_next_epoch_everywhere() {
    for seed in 0..6 {
        let s = Scenario {
            validators: 7,
            byzantine: 1,
            behaviour: Behaviour::Equivocate,
            partitions: 8,
            heights: 16,
            seed,
            loss: 0.02,
            heights_per_epoch: Some(4),
            verify_certificates: true,
            stabilise_at: Some(Timestamp::from_secs(4)),
            ..Scenario::default()
        };
        let r = run::<T>(&s);
        assert_eq!(r.safety_violations, 0, "seed {seed}: {r:?}");
        assert!(r.completed, "seed {seed}: {r:?}");
        assert!(r.evidence >= 1, "equivocation seen: {r:?}");
        assert_eq!(
            r.slashed,
            r.byzantine.iter().map(|&b| b as u16).collect::<Vec<_>>()
        );
        // Six honest nodes, one Slashed event each: once, though evidence came from many
        // partitions and rounds.
        assert_eq!(r.slash_events, 6, "seed {seed}: {r:?}");
        assert_eq!(r.slashed_signers_after_exclusion, 0);
        assert_eq!(
            r.bad_certificates, 0,
            "every certificate verifies against its epoch's set"
        );
        assert!(r.epochs >= 3, "epochs advanced: {r:?}");
    }
}

#[test]
fn epoch_changes_under_load_with_mixed_faults() {
    for seed in 0..4 {
        let s = Scenario {
            validators: 10,
            byzantine: 3,
            behaviour: Behaviour::Mixed,
            partitions: 16,
            heights: 12,
            seed: 100 + seed,
            loss: 0.05,
            duplicate: 0.05,
            reorder: 0.1,
            heights_per_epoch: Some(3),
            verify_certificates: true,
            stabilise_at: Some(Timestamp::from_secs(4)),
            ..Scenario::default()
        };
        let r = run::<T>(&s);
        assert_eq!(r.safety_violations, 0, "seed {seed}: {r:?}");
        assert_eq!(r.honest_double_signs, 0);
        assert!(r.completed, "seed {seed}: {r:?}");
        assert_eq!(r.bad_certificates, 0);
        assert_eq!(r.slashed_signers_after_exclusion, 0);
        assert!(r.epochs >= 4);
    }
}

fn ledger_for(n: usize) -> (StakeLedger<T>, Vec<<T as Scheme>::SecretKey>) {
    let table = stake_table::<T>(n, Epoch(0), |_| 1000);
    let set = Arc::new(ValidatorSet::from_stake_table(H256([9; 32]), &table).unwrap());
    let secrets = (0..n)
        .map(zg_testkit::consensus::validator_key::<T>)
        .collect();
    (StakeLedger::new(set, 1000, 4).unwrap(), secrets)
}

#[test]
fn ledger_announces_in_order_and_applies_penalties() {
    let (mut ledger, secrets) = ledger_for(4);
    // Out of order.
    let t2 = stake_table::<T>(4, Epoch(2), |_| 1000);
    assert_eq!(
        ledger.announce(&t2),
        Err(Error::EpochOutOfOrder {
            expected: 1,
            got: 2
        })
    );
    // Epoch 1 with changed stakes and one validator leaving (zero stake).
    let t1 = stake_table::<T>(4, Epoch(1), |i| if i == 3 { 0 } else { 1000 + i as u128 });
    let set1 = ledger.announce(&t1).unwrap();
    assert_eq!(set1.len(), 3);
    assert_eq!(set1.total_weight(), 3003);
    // A new key with a bad proof of possession is refused: the table is never built, so it
    // is never announced.
    let good: StakeTable<T> = stake_table::<T>(5, Epoch(2), |_| 1000);
    let mut bad = good.entries().to_vec();
    bad[4].proof_of_possession = bad[1].proof_of_possession;
    assert!(matches!(
        StakeTable::new(Epoch(2), bad, good.stake_unit()),
        Err(zg_vrf::Error::InvalidRegistration { .. })
    ));
    assert_eq!(
        ledger.latest_epoch(),
        Epoch(1),
        "a refused table changes nothing"
    );

    // Evidence from epoch 1 against validator 0.
    let set = ledger.set(Epoch(1)).unwrap().clone();
    let pk = T::public_key(&secrets[0]);
    let idx = set.index_of(&pk).unwrap();
    let vote = |value| {
        let v = zg_consensus::Vote {
            partition: zg_consensus::PartitionId(5),
            epoch: Epoch(1),
            height: zg_consensus::Height(7),
            round: zg_consensus::Round(0),
            kind: zg_consensus::VoteKind::Precommit,
            value,
            validator: idx,
        };
        zg_consensus::SignedVote::<T> {
            signature: T::sign(&secrets[0], &v.signing_bytes(set.network())),
            vote: v,
        }
    };
    let evidence = Evidence::new(vote(Some(H256([1; 32]))), vote(None)).unwrap();
    let s = ledger.apply_evidence(&evidence).unwrap();
    assert_eq!(s.amount.units(), 100, "10% of 1000");
    assert_eq!(s.excluded_from, Epoch(2));
    assert_eq!(ledger.apply_evidence(&evidence), Err(Error::AlreadySlashed));
    // Epoch 2: the offender is gone, everyone else stays.
    let t2 = stake_table::<T>(4, Epoch(2), |_| 1000);
    let set2 = ledger.announce(&t2).unwrap();
    assert!(set2.index_of(&pk).is_none());
    assert_eq!(set2.len(), 3);
    // Evidence for an epoch that was pruned or never existed.
    for e in 3..8 {
        ledger
            .announce(&stake_table::<T>(4, Epoch(e), |_| 1000))
            .unwrap();
    }
    assert!(ledger.set(Epoch(1)).is_none(), "only 4 epochs kept");
    assert_eq!(
        ledger.apply_evidence(&evidence),
        Err(Error::UnknownEpoch { epoch: 1 })
    );
}

#[test]
fn bls_validator_sets_reject_invalid_keys_and_proofs() {
    let table = stake_table::<Bls>(3, Epoch(0), |_| 10);
    let set = ValidatorSet::from_stake_table(H256::ZERO, &table).unwrap();
    assert_eq!(set.len(), 3);
    let mut bad = table.entries().to_vec();
    bad[2].proof_of_possession = table.entries()[0].proof_of_possession;
    assert!(matches!(
        StakeTable::<Bls>::new(Epoch(0), bad, table.stake_unit()),
        Err(zg_vrf::Error::InvalidRegistration { .. })
    ));
    // A key outside the subgroup or the identity never decodes.
    let mut inf = [0u8; 48];
    inf[0] = 0xc0;
    assert!(Bls::decode_public_key(&inf).is_none());
}
