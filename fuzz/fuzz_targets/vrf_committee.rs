//! Committee assembly under the attacker's moves: any mix of genuine claims and claims forged in
//! members' names (another member's proof, the member's proof for another role, garbage bytes,
//! a loser's genuine seatless claim, an index outside the table), in any order, repeated, with
//! any batch seed. Asserted against a plain model built from each member's own eligibility: the
//! committee is exactly the winners whose genuine claim appears at least once — forged claims
//! placed first evict nobody — every other claim is reported rejected, and `check_committee`
//! accepts that committee and refuses any other.
#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zg_core::{Epoch, H256, NodeId};
use zg_vrf::{
    BatchableProof, Committee, CommitteeMember, Eligibility, EligibilityClaim, SecretKey,
    Selection, StakeTable, assemble_committee, check_committee, compute_eligibility,
};

const MEMBERS: usize = 10;

struct Fixture {
    table: StakeTable,
    selection: Selection,
    /// Each member's own eligibility.
    own: Vec<Eligibility>,
    /// Claims in members' names that are not theirs, or not winning.
    forged: Vec<EligibilityClaim>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let stakes: Vec<u128> = (0..MEMBERS as u128).map(|i| 10 + i).collect();
        let (keys, table) =
            zg_testkit::stake::table::<zg_bls::Bls>(b"fuzz/vrf_committee", Epoch(3), &stakes);
        let sks: Vec<SecretKey> = keys.into_iter().map(|k| k.vrf).collect();
        let selection = Selection {
            epoch: Epoch(3),
            seed: H256::new([0x5e; 32]),
            role: "fuzz".into(),
            expected_seats: 5,
        };
        let own: Vec<Eligibility> = sks
            .iter()
            .map(|sk| compute_eligibility(sk, &table, &selection).expect("eligibility"))
            .collect();
        let other_role = Selection {
            role: "other".into(),
            ..selection.clone()
        }
        .alpha();
        let mut forged = Vec::new();
        for (i, sk) in sks.iter().enumerate() {
            forged.push(EligibilityClaim {
                index: i,
                proof: sks[(i + 1) % MEMBERS]
                    .prove_batchable(&selection.alpha())
                    .expect("prove"),
            });
            forged.push(EligibilityClaim {
                index: i,
                proof: sk.prove_batchable(&other_role).expect("prove"),
            });
            forged.push(EligibilityClaim {
                index: i,
                proof: BatchableProof::from_bytes(&[i as u8; 176]),
            });
            if own[i].seats == 0 {
                forged.push(own[i].claim.clone());
            }
        }
        forged.push(EligibilityClaim {
            index: MEMBERS,
            proof: own[0].claim.proof.clone(),
        });
        Fixture {
            table,
            selection,
            own,
            forged,
        }
    })
}

#[derive(Arbitrary, Debug)]
struct Input {
    /// Each pick: a member's genuine claim (`true`) or a forged one, by index.
    picks: Vec<(bool, u8)>,
    batch_seed: [u8; 32],
    /// Tamper with the committee handed to `check_committee`.
    tamper: Option<u8>,
}

fuzz_target!(|input: Input| {
    let f = fixture();
    let claims: Vec<EligibilityClaim> = input
        .picks
        .iter()
        .take(40)
        .map(|&(genuine, i)| {
            if genuine {
                f.own[usize::from(i) % MEMBERS].claim.clone()
            } else {
                f.forged[usize::from(i) % f.forged.len()].clone()
            }
        })
        .collect();
    // The model: winners whose own claim appears, in table order.
    let members: Vec<CommitteeMember> = (0..MEMBERS)
        .filter(|&i| f.own[i].seats > 0 && claims.iter().any(|c| *c == f.own[i].claim))
        .map(|i| CommitteeMember {
            index: i,
            node: NodeId(i as u64),
            seats: f.own[i].seats,
            output: f.own[i].output,
        })
        .collect();
    let expected = Committee {
        selection: f.selection.clone(),
        total_seats: members.iter().map(|m| m.seats).sum(),
        members,
    };
    let (committee, rejected) =
        assemble_committee(&f.table, &f.selection, &claims, &input.batch_seed).expect("assemble");
    assert_eq!(
        committee, expected,
        "the committee depends on more than the valid claims"
    );
    assert_eq!(rejected.len() + committee.members.len(), claims.len());
    let mut positions: Vec<usize> = rejected.iter().map(|r| r.position).collect();
    positions.dedup();
    assert_eq!(positions.len(), rejected.len(), "a claim rejected twice");
    assert!(check_committee(&f.table, &expected, &claims, &input.batch_seed).is_ok());
    if let Some(t) = input.tamper {
        let mut other = expected.clone();
        match other.members.get_mut(usize::from(t) % MEMBERS) {
            Some(m) => m.seats += 1,
            None => other.total_seats += 1,
        }
        assert!(check_committee(&f.table, &other, &claims, &input.batch_seed).is_err());
    }
});
