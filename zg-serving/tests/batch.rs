// Test code: a panic here is a failure report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

//! Compressed batches on the ledger: O(1) commit, O(log N) challenges, withheld openings,
//! finalisation, and the conservation invariant through all of them; and the user's audit of an
//! opening, whose every fraud proof the ledger accepts.

use std::collections::BTreeMap;

use proptest::prelude::*;
use zg_core::{Amount, H256, Timestamp};
use zg_serving::LedgerError;
use zg_serving::batch::{
    BatchCommitment, BatchOp, BatchOutcome, BatchState, BatchTree, Finding, FraudKind, FraudProof,
    Receipt, SignedReceipt, audit, depth, fee,
};
use zg_serving::eip712::{Domain, SignatureScheme};
use zg_serving::eth::{Address, SecretKey, U256};
use zg_serving::ledger::{Call, Ledger, LedgerConfig, Limits, Op, Outcome, ServiceParams, TOKEN};

const OWNER: Address = Address([0xaa; 20]);
const USER: Address = Address([0x11; 20]);
const PROVIDER: Address = Address([0x22; 20]);
const PIN: Amount = Amount::new(1_000);
const POUT: Amount = Amount::new(3_000);

fn setup() -> (Ledger, SecretKey, Domain) {
    let tee = SecretKey::from_seed(b"tee");
    let domain = Domain::new(U256::from(16601u64), Address([0xcc; 20]));
    let mut l = Ledger::new(LedgerConfig {
        owner: OWNER,
        domain,
        lock_time_secs: 3600,
        limits: Limits::default(),
    })
    .unwrap();
    let t = Timestamp::ZERO;
    let params = ServiceParams {
        input_price: PIN,
        output_price: POUT,
        tee_signer: tee.address(),
        scheme: SignatureScheme::Eip712,
        ..ServiceParams::default()
    };
    l.apply(
        t,
        &Call::new(PROVIDER, Op::AddOrUpdateService { params })
            .with_value(Amount::new(100 * TOKEN)),
    )
    .unwrap();
    l.apply(
        t,
        &Call::new(
            OWNER,
            Op::AcknowledgeTeeSignerByOwner { provider: PROVIDER },
        ),
    )
    .unwrap();
    l.apply(
        t,
        &Call::new(USER, Op::DepositFund).with_value(Amount::new(10 * TOKEN)),
    )
    .unwrap();
    l.apply(
        t,
        &Call::new(
            USER,
            Op::TransferFund {
                provider: PROVIDER,
                amount: Amount::new(5 * TOKEN),
            },
        ),
    )
    .unwrap();
    (l, tee, domain)
}

fn receipts(first: u64, n: u64) -> Vec<Receipt> {
    (first..first + n)
        .map(|seq| Receipt {
            seq,
            request_hash: H256([seq as u8; 32]),
            input_tokens: 100 + seq,
            output_tokens: 200 + seq,
            fee: fee(100 + seq, 200 + seq, PIN, POUT).unwrap(),
        })
        .collect()
}

fn commit(
    l: &mut Ledger,
    tee: &SecretKey,
    domain: &Domain,
    tree: &BatchTree,
    nonce: u64,
    now: u64,
) -> Result<Outcome, LedgerError> {
    let c = tree.commitment(PROVIDER, USER, PIN, POUT, U256::from(nonce));
    commit_raw(l, tee, domain, c, now)
}

fn commit_raw(
    l: &mut Ledger,
    tee: &SecretKey,
    domain: &Domain,
    c: BatchCommitment,
    now: u64,
) -> Result<Outcome, LedgerError> {
    let signature = c.sign(tee, domain).unwrap();
    l.apply(
        Timestamp::from_secs(now),
        &Call::new(
            PROVIDER,
            Op::Batch(BatchOp::Commit {
                commitment: c,
                signature,
            }),
        ),
    )
}

fn batch(l: &mut Ledger, sender: Address, now: u64, op: BatchOp) -> Result<Outcome, LedgerError> {
    l.apply(Timestamp::from_secs(now), &Call::new(sender, Op::Batch(op)))
}

#[test]
fn honest_batch_commits_in_o1_and_finalizes() {
    let (mut l, tee, domain) = setup();
    let tree = BatchTree::build(receipts(1, 1000)).unwrap();
    let total = tree.root().sum;
    let r = commit(&mut l, &tee, &domain, &tree, 7, 100).unwrap();
    assert_eq!(
        r,
        Outcome::Batch(BatchOutcome::Committed {
            id: 0,
            escrow: total,
            unsettled: Amount::ZERO,
            deadline: 100 + 24 * 3600,
        })
    );
    l.check_invariants().unwrap();
    let a = l.account(&USER, &PROVIDER).unwrap();
    assert_eq!((a.nonce, a.batch_seq), (U256::from(7u64), 1000));
    // Too early; then paid.
    assert!(
        batch(
            &mut l,
            USER,
            100 + 24 * 3600 - 1,
            BatchOp::Finalize { id: 0 }
        )
        .is_err()
    );
    assert_eq!(
        batch(&mut l, USER, 100 + 24 * 3600, BatchOp::Finalize { id: 0 }).unwrap(),
        Outcome::Batch(BatchOutcome::Finalized { id: 0, paid: total })
    );
    assert_eq!(l.totals().paid_to_providers, total);
    l.check_invariants().unwrap();
    // The next batch must continue the sequence and use a fresh nonce.
    let next = BatchTree::build(receipts(1001, 3)).unwrap();
    assert!(
        commit(&mut l, &tee, &domain, &next, 7, 200).is_err(),
        "nonce reuse"
    );
    let gap = BatchTree::build(receipts(1002, 3)).unwrap();
    assert!(
        commit(&mut l, &tee, &domain, &gap, 8, 200).is_err(),
        "sequence gap"
    );
    assert!(commit(&mut l, &tee, &domain, &next, 8, 200).is_ok());
    // An honest batch admits no challenge.
    for (i, kind) in [
        FraudKind::FeeFormula,
        FraudKind::Sequence,
        FraudKind::TotalMismatch,
    ]
    .into_iter()
    .enumerate()
    {
        let proof = FraudProof {
            index: i as u64,
            receipt: next.receipts()[i],
            proof: next.proof(i as u64).unwrap(),
            kind,
        };
        assert_eq!(
            batch(&mut l, USER, 300, BatchOp::Challenge { id: 1, proof }),
            Err(LedgerError::ChallengeRejected)
        );
    }
}

#[test]
fn bad_commitments_revert() {
    let (mut l, tee, domain) = setup();
    let tree = BatchTree::build(receipts(1, 4)).unwrap();
    let good = tree.commitment(PROVIDER, USER, PIN, POUT, U256::from(1u64));
    let before = l.clone();
    for (c, key) in [
        (
            BatchCommitment {
                input_price: Amount::new(1),
                ..good
            },
            &tee,
        ),
        (
            BatchCommitment {
                first_seq: 2,
                ..good
            },
            &tee,
        ),
        (BatchCommitment { count: 0, ..good }, &tee),
        (good, &SecretKey::from_seed(b"mallory")),
        (
            BatchCommitment {
                user: Address([0x99; 20]),
                ..good
            },
            &tee,
        ),
    ] {
        assert!(matches!(
            commit_raw(&mut l, key, &domain, c, 10),
            Err(LedgerError::BadCommitment { .. })
        ));
        assert_eq!(l, before);
    }
}

#[test]
fn over_billing_is_voided_with_a_log_n_proof() {
    let (mut l, tee, domain) = setup();
    let mut rs = receipts(1, 64);
    rs[40].fee = Amount::new(rs[40].fee.units() * 2);
    let tree = BatchTree::build(rs.clone()).unwrap();
    let total = tree.root().sum;
    commit(&mut l, &tee, &domain, &tree, 1, 10).unwrap();
    let before_balance = l.account(&USER, &PROVIDER).unwrap().balance;
    let proof = FraudProof {
        index: 40,
        receipt: rs[40],
        proof: tree.proof(40).unwrap(),
        kind: FraudKind::FeeFormula,
    };
    assert_eq!(proof.proof.siblings.len(), 6, "log2(64) siblings");
    // Only the charged user may challenge.
    assert!(
        batch(
            &mut l,
            PROVIDER,
            20,
            BatchOp::Challenge {
                id: 0,
                proof: proof.clone()
            }
        )
        .is_err()
    );
    let r = batch(&mut l, USER, 20, BatchOp::Challenge { id: 0, proof }).unwrap();
    assert_eq!(
        r,
        Outcome::Batch(BatchOutcome::Voided {
            id: 0,
            slashed: total
        })
    );
    let a = l.account(&USER, &PROVIDER).unwrap();
    assert_eq!(
        a.balance.units(),
        before_balance.units() + 2 * total.units()
    );
    assert_eq!(l.stake(&PROVIDER).units(), 100 * TOKEN - total.units());
    assert_eq!(l.totals().paid_to_providers, Amount::ZERO);
    l.check_invariants().unwrap();
    assert!(batch(&mut l, USER, 24 * 3600 + 20, BatchOp::Finalize { id: 0 }).is_err());
}

#[test]
fn withheld_openings_must_be_posted() {
    let (mut l, tee, domain) = setup();
    let rs = receipts(1, 5);
    let tree = BatchTree::build(rs.clone()).unwrap();
    commit(&mut l, &tee, &domain, &tree, 1, 10).unwrap();
    assert!(matches!(
        batch(&mut l, USER, 20, BatchOp::ChallengeWithheld { id: 0 }).unwrap(),
        Outcome::Batch(BatchOutcome::OpeningDemanded { .. })
    ));
    // A wrong opening voids; here the right one reopens the window.
    let mut wrong = rs.clone();
    wrong.pop();
    let mut l2 = l.clone();
    assert!(matches!(
        batch(
            &mut l2,
            PROVIDER,
            30,
            BatchOp::PostOpening {
                id: 0,
                receipts: wrong
            }
        )
        .unwrap(),
        Outcome::Batch(BatchOutcome::Voided { .. })
    ));
    l2.check_invariants().unwrap();
    assert!(matches!(
        batch(
            &mut l,
            PROVIDER,
            30,
            BatchOp::PostOpening {
                id: 0,
                receipts: rs
            }
        )
        .unwrap(),
        Outcome::Batch(BatchOutcome::Opened { .. })
    ));
    assert_eq!(l.batch(0).map(|b| b.state), Some(BatchState::Open));
    // Silence after a demand voids at the deadline.
    let tree2 = BatchTree::build(receipts(6, 2)).unwrap();
    commit(&mut l, &tee, &domain, &tree2, 2, 40).unwrap();
    batch(&mut l, USER, 50, BatchOp::ChallengeWithheld { id: 1 }).unwrap();
    assert!(matches!(
        batch(&mut l, USER, 50 + 12 * 3600, BatchOp::Finalize { id: 1 }).unwrap(),
        Outcome::Batch(BatchOutcome::Voided { .. })
    ));
    l.check_invariants().unwrap();
}

/// How a provider tampers with a batch before committing it.
#[derive(Clone, Copy, Debug)]
enum Tamper {
    Honest,
    Fee,
    Equivocate,
    Total,
    Hidden,
    Duplicate,
    Phantom,
}

fn tamper() -> impl Strategy<Value = Tamper> {
    prop_oneof![
        Just(Tamper::Honest),
        Just(Tamper::Fee),
        Just(Tamper::Equivocate),
        Just(Tamper::Total),
        Just(Tamper::Hidden),
        Just(Tamper::Duplicate),
        Just(Tamper::Phantom),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The user's audit finds exactly what is wrong, and the ledger voids a batch on the proof
    /// it returns (or on the forced opening, when no leaf proof can exist); an honest batch is
    /// never challenged, and a bill for an unknown request is flagged, not "proven".
    #[test]
    fn audit_finds_what_the_ledger_voids(n in 1u64..40, pick in any::<prop::sample::Index>(), how in tamper()) {
        let k = pick.index(usize::try_from(n).unwrap());
        audit_case(n, k, how)?;
    }
}

/// Every tampering at the sizes where the tree's shape changes (powers of two and one past),
/// at the first, middle and last leaf.
#[test]
fn audit_covers_every_tampering_at_the_shape_edges() {
    for n in [1u64, 2, 3, 4, 5, 8, 9, 16, 17] {
        for k in [0, n / 2, n - 1] {
            for how in [
                Tamper::Honest,
                Tamper::Fee,
                Tamper::Equivocate,
                Tamper::Total,
                Tamper::Hidden,
                Tamper::Duplicate,
                Tamper::Phantom,
            ] {
                if let Err(e) = audit_case(n, usize::try_from(k).unwrap(), how) {
                    panic!("n = {n}, k = {k}, {how:?}: {e}");
                }
            }
        }
    }
}

fn audit_case(n: u64, k: usize, how: Tamper) -> Result<(), TestCaseError> {
    let (mut l, tee, domain) = setup();
    let honest = receipts(1, n);
    let signed: BTreeMap<u64, SignedReceipt> = honest
        .iter()
        .map(|r| {
            (
                r.seq,
                SignedReceipt::sign(&tee, &domain, &PROVIDER, &USER, *r).unwrap(),
            )
        })
        .collect();
    let mut rs = honest.clone();
    match how {
        Tamper::Fee => rs[k].fee = Amount::new(rs[k].fee.units() + 1),
        Tamper::Equivocate => {
            rs[k].output_tokens += 7;
            rs[k].fee = fee(rs[k].input_tokens, rs[k].output_tokens, PIN, POUT).unwrap();
        }
        Tamper::Duplicate if n > 1 => {
            let k = k.max(1);
            rs[k] = rs[k - 1];
        }
        Tamper::Hidden | Tamper::Phantom => rs.push(Receipt {
            seq: n + 1,
            request_hash: H256([0xee; 32]),
            ..rs[k]
        }),
        _ => {}
    }
    let tree = BatchTree::build(rs.clone()).unwrap();
    let mut c = tree.commitment(PROVIDER, USER, PIN, POUT, U256::from(1u64));
    match how {
        Tamper::Total => c.total_fee = Amount::new(c.total_fee.units() + 1),
        Tamper::Hidden => c.count = n,
        _ => {}
    }
    let Outcome::Batch(BatchOutcome::Committed { id, .. }) =
        commit_raw(&mut l, &tee, &domain, c, 10).unwrap()
    else {
        panic!("not committed");
    };
    // Receipts that are not the preimage of the root are no opening of it.
    let mut foreign = rs.clone();
    foreign[k].request_hash.0[0] ^= 1;
    prop_assert_eq!(
        audit(&domain, &c, &tee.address(), &foreign, &signed),
        Finding::NotAnOpening
    );

    let finding = audit(&domain, &c, &tee.address(), &rs, &signed);
    let expected: Option<fn(&FraudKind) -> bool> = match how {
        Tamper::Honest | Tamper::Duplicate if n == 1 => None,
        Tamper::Honest => None,
        Tamper::Phantom => None,
        Tamper::Fee => Some(|k| matches!(k, FraudKind::FeeFormula)),
        Tamper::Equivocate => Some(|k| matches!(k, FraudKind::Equivocation(_))),
        Tamper::Total => Some(|k| matches!(k, FraudKind::TotalMismatch)),
        Tamper::Duplicate => Some(|k| matches!(k, FraudKind::Sequence)),
        Tamper::Hidden => Some(|k| matches!(k, FraudKind::Padding)),
    };
    match (how, finding) {
        (Tamper::Phantom, f) => {
            prop_assert_eq!(f, Finding::Consistent { unmatched: vec![n] });
        }
        (Tamper::Hidden, Finding::NotAnOpening) => {
            // The hidden leaf changed the depth: no leaf proof fits the commitment, so the
            // user forces the opening, and the provider cannot post one that matches.
            prop_assert_ne!(depth(n + 1), depth(n));
            batch(&mut l, USER, 20, BatchOp::ChallengeWithheld { id }).unwrap();
            let r = batch(
                &mut l,
                PROVIDER,
                30,
                BatchOp::PostOpening {
                    id,
                    receipts: honest.clone(),
                },
            )
            .unwrap();
            prop_assert!(
                matches!(r, Outcome::Batch(BatchOutcome::Voided { .. })),
                "{:?}",
                r
            );
        }
        (_, Finding::Fraud(proof)) => {
            prop_assert!(
                expected.is_some_and(|f| f(&proof.kind)),
                "{:?}: {:?}",
                how,
                proof.kind
            );
            prop_assert!(proof.proof.siblings.len() == depth(n));
            let r = batch(&mut l, USER, 20, BatchOp::Challenge { id, proof: *proof }).unwrap();
            prop_assert_eq!(
                r,
                Outcome::Batch(BatchOutcome::Voided {
                    id,
                    slashed: c.total_fee
                })
            );
        }
        (_, f) => {
            prop_assert!(expected.is_none(), "{:?} not found: {:?}", how, f);
            prop_assert_eq!(f, Finding::Consistent { unmatched: vec![] });
            // Nothing to prove: the batch pays out after the window.
            let r = batch(&mut l, USER, 10 + 24 * 3600, BatchOp::Finalize { id }).unwrap();
            prop_assert!(
                matches!(r, Outcome::Batch(BatchOutcome::Finalized { .. })),
                "{:?}",
                r
            );
        }
    }
    l.check_invariants().unwrap();
    Ok(())
}

#[test]
fn a_signed_receipt_from_another_key_proves_nothing() {
    let (_, tee, domain) = setup();
    let mut rs = receipts(1, 4);
    let mut signed: BTreeMap<u64, SignedReceipt> = rs
        .iter()
        .map(|r| {
            (
                r.seq,
                SignedReceipt::sign(&tee, &domain, &PROVIDER, &USER, *r).unwrap(),
            )
        })
        .collect();
    // The user's copy of receipt 2 is signed by someone else: no equivocation proof, and the
    // leaf counts as one the user holds no receipt for.
    let mallory = SecretKey::from_seed(b"mallory");
    rs[1].output_tokens += 1;
    rs[1].fee = fee(rs[1].input_tokens, rs[1].output_tokens, PIN, POUT).unwrap();
    signed.insert(
        2,
        SignedReceipt::sign(&mallory, &domain, &PROVIDER, &USER, receipts(1, 4)[1]).unwrap(),
    );
    let tree = BatchTree::build(rs.clone()).unwrap();
    let c = tree.commitment(PROVIDER, USER, PIN, POUT, U256::from(1u64));
    assert_eq!(
        audit(&domain, &c, &tee.address(), &rs, &signed),
        Finding::Consistent { unmatched: vec![1] }
    );
    // An empty opening is no opening.
    assert_eq!(
        audit(&domain, &c, &tee.address(), &[], &signed),
        Finding::NotAnOpening
    );
}

// ----- attacks: a provider that moves what a challenge reads after it commits ---------------

/// An equivocating batch: receipt 3 bills 100 more output tokens than the receipt signed at
/// serving time (fee consistent), committed at t = 10. Returns the tree and the proof.
fn equivocating_batch(l: &mut Ledger, tee: &SecretKey, domain: &Domain) -> (BatchTree, FraudProof) {
    let honest = receipts(1, 8);
    let signed = SignedReceipt::sign(tee, domain, &PROVIDER, &USER, honest[3]).unwrap();
    let mut rs = honest.clone();
    rs[3].output_tokens += 100;
    rs[3].fee = fee(rs[3].input_tokens, rs[3].output_tokens, PIN, POUT).unwrap();
    let tree = BatchTree::build(rs.clone()).unwrap();
    commit(l, tee, domain, &tree, 1, 10).unwrap();
    let proof = FraudProof {
        index: 3,
        receipt: rs[3],
        proof: tree.proof(3).unwrap(),
        kind: FraudKind::Equivocation(signed),
    };
    (tree, proof)
}

fn rotate_signer(l: &mut Ledger, now: u64, signer: Address) -> Result<Outcome, LedgerError> {
    let mut params = l.service(&PROVIDER).unwrap().params.clone();
    params.tee_signer = signer;
    l.apply(
        Timestamp::from_secs(now),
        &Call::new(PROVIDER, Op::AddOrUpdateService { params }),
    )
}

#[test]
fn signer_rotation_after_an_inflated_commit_escapes_the_equivocation_proof() {
    let (mut l, tee, domain) = setup();
    let (tree, proof) = equivocating_batch(&mut l, &tee, &domain);
    // The provider rotates its TEE signer (and the owner re-acknowledges the new one) so that
    // the user's receipt, signed by the old key, no longer matches "the" signer.
    let rotated = rotate_signer(&mut l, 20, SecretKey::from_seed(b"new tee").address());
    assert!(
        matches!(rotated, Err(LedgerError::OpenBatches { open: 1, .. })),
        "signer changed under an open batch: {rotated:?}"
    );
    let _ = l.apply(
        Timestamp::from_secs(21),
        &Call::new(
            OWNER,
            Op::AcknowledgeTeeSignerByOwner { provider: PROVIDER },
        ),
    );
    // The proof judged against the signer snapshotted at commit still voids the batch.
    assert_eq!(
        l.batch(0).unwrap().signer,
        tee.address(),
        "signer snapshotted at commit"
    );
    let r = batch(&mut l, USER, 30, BatchOp::Challenge { id: 0, proof }).unwrap();
    assert_eq!(
        r,
        Outcome::Batch(BatchOutcome::Voided {
            id: 0,
            slashed: tree.root().sum
        })
    );
    l.check_invariants().unwrap();
    // Once nothing is open, the provider may rotate again.
    rotate_signer(&mut l, 40, SecretKey::from_seed(b"new tee").address()).unwrap();
}

#[test]
fn remove_service_during_an_open_batch_escapes_the_slash() {
    let (mut l, tee, domain) = setup();
    let (tree, proof) = equivocating_batch(&mut l, &tee, &domain);
    let removed = l.apply(
        Timestamp::from_secs(20),
        &Call::new(PROVIDER, Op::RemoveService),
    );
    assert!(
        matches!(removed, Err(LedgerError::OpenBatches { open: 1, .. })),
        "stake returned under an open batch: {removed:?}"
    );
    assert_eq!(l.stake(&PROVIDER).units(), 100 * TOKEN);
    let r = batch(&mut l, USER, 30, BatchOp::Challenge { id: 0, proof }).unwrap();
    assert_eq!(
        r,
        Outcome::Batch(BatchOutcome::Voided {
            id: 0,
            slashed: tree.root().sum
        })
    );
    l.check_invariants().unwrap();
}

#[test]
fn remove_service_while_an_opening_is_owed_escapes_the_slash() {
    let (mut l, tee, domain) = setup();
    let (tree, _) = equivocating_batch(&mut l, &tee, &domain);
    batch(&mut l, USER, 20, BatchOp::ChallengeWithheld { id: 0 }).unwrap();
    assert!(
        l.apply(
            Timestamp::from_secs(30),
            &Call::new(PROVIDER, Op::RemoveService)
        )
        .is_err(),
        "stake returned while an opening is owed"
    );
    // The opening never comes: the batch is voided with the full penalty.
    let r = batch(&mut l, USER, 20 + 13 * 3600, BatchOp::Finalize { id: 0 }).unwrap();
    assert_eq!(
        r,
        Outcome::Batch(BatchOutcome::Voided {
            id: 0,
            slashed: tree.root().sum
        })
    );
    // Closed: the stake (less the slash) can leave now.
    let left = l.stake(&PROVIDER);
    assert_eq!(
        l.apply(
            Timestamp::from_secs(20 + 13 * 3600),
            &Call::new(PROVIDER, Op::RemoveService)
        ),
        Ok(Outcome::Paid { amount: left })
    );
    l.check_invariants().unwrap();
}

#[test]
fn a_proof_with_more_than_64_siblings_does_not_panic() {
    let leaf = receipts(1, 1)[0].node();
    for len in [64usize, 65, 100, 200] {
        let proof = zg_serving::batch::SumProof {
            siblings: vec![zg_serving::batch::Node::EMPTY; len],
        };
        let root = proof.root(&leaf, u64::MAX);
        assert_eq!(root.is_some(), len == 64, "{len} siblings");
    }
}

#[test]
fn invariants_hold_when_deposits_and_slashes_together_exceed_u128() {
    // A whale's deposit near u128::MAX, then a slash of 1,000 tokens of stake: deposited +
    // slashed no longer fits a u128 although every balance does.
    let tee = SecretKey::from_seed(b"tee");
    let domain = Domain::new(U256::from(16601u64), Address([0xcc; 20]));
    let mut l = Ledger::new(LedgerConfig {
        owner: OWNER,
        domain,
        lock_time_secs: 3600,
        limits: Limits::default(),
    })
    .unwrap();
    let t = Timestamp::ZERO;
    let params = ServiceParams {
        input_price: PIN,
        output_price: POUT,
        tee_signer: tee.address(),
        ..ServiceParams::default()
    };
    let calls = [
        Call::new(PROVIDER, Op::AddOrUpdateService { params })
            .with_value(Amount::new(1000 * TOKEN)),
        Call::new(
            OWNER,
            Op::AcknowledgeTeeSignerByOwner { provider: PROVIDER },
        ),
        Call::new(Address([0x33; 20]), Op::DepositFund)
            .with_value(Amount::new(u128::MAX - 500 * TOKEN)),
        Call::new(USER, Op::DepositFund).with_value(Amount::new(10 * TOKEN)),
        Call::new(
            USER,
            Op::TransferFund {
                provider: PROVIDER,
                amount: Amount::new(5 * TOKEN),
            },
        ),
    ];
    for call in &calls {
        l.apply(t, call).unwrap();
    }
    let tree = BatchTree::build(receipts(1, 4)).unwrap();
    let c = BatchCommitment {
        total_fee: Amount::new(1000 * TOKEN),
        ..tree.commitment(PROVIDER, USER, PIN, POUT, U256::from(1u64))
    };
    commit_raw(&mut l, &tee, &domain, c, 10).unwrap();
    let proof = FraudProof {
        index: 0,
        receipt: tree.receipts()[0],
        proof: tree.proof(0).unwrap(),
        kind: FraudKind::TotalMismatch,
    };
    let r = batch(&mut l, USER, 20, BatchOp::Challenge { id: 0, proof }).unwrap();
    assert!(matches!(r, Outcome::Batch(BatchOutcome::Voided { .. })));
    assert_eq!(l.totals().stake_slashed, Amount::new(1000 * TOKEN));
    l.check_invariants().unwrap();
}

#[test]
fn a_user_demanding_the_opening_again_and_again_blocks_payment_forever() {
    let (mut l, tee, domain) = setup();
    let rs = receipts(1, 5);
    let tree = BatchTree::build(rs.clone()).unwrap();
    commit(&mut l, &tee, &domain, &tree, 1, 10).unwrap();
    // The user demands, the provider posts the true opening (the receipts are now public on
    // chain), and the user demands again before each window ends.
    let mut now = 20;
    for round in 0..5 {
        let demanded = batch(&mut l, USER, now, BatchOp::ChallengeWithheld { id: 0 });
        if round > 0 {
            assert!(
                matches!(demanded, Err(LedgerError::BatchState { .. })),
                "demand {round} after the opening was posted: {demanded:?}"
            );
            break;
        }
        demanded.unwrap();
        let posted = batch(
            &mut l,
            PROVIDER,
            now + 10,
            BatchOp::PostOpening {
                id: 0,
                receipts: rs.clone(),
            },
        )
        .unwrap();
        assert!(matches!(
            posted,
            Outcome::Batch(BatchOutcome::Opened { .. })
        ));
        now += 24 * 3600 - 100;
    }
    // The honest provider is paid once the reopened window ends.
    let paid = batch(
        &mut l,
        PROVIDER,
        30 + 24 * 3600,
        BatchOp::Finalize { id: 0 },
    )
    .unwrap();
    assert_eq!(
        paid,
        Outcome::Batch(BatchOutcome::Finalized {
            id: 0,
            paid: tree.root().sum
        })
    );
    l.check_invariants().unwrap();
}

#[test]
fn a_receipt_from_another_account_proves_equivocation_against_an_honest_batch() {
    let (mut l, tee, domain) = setup();
    // The same person holds a second account with the provider and was served there: its
    // receipt #1 differs from USER's receipt #1.
    let other = Address([0x12; 20]);
    for call in [
        Call::new(other, Op::DepositFund).with_value(Amount::new(10 * TOKEN)),
        Call::new(
            other,
            Op::TransferFund {
                provider: PROVIDER,
                amount: Amount::new(5 * TOKEN),
            },
        ),
    ] {
        l.apply(Timestamp::ZERO, &call).unwrap();
    }
    let theirs = Receipt {
        request_hash: H256([0xee; 32]),
        ..receipts(1, 1)[0]
    };
    let signed_for_other = SignedReceipt::sign(&tee, &domain, &PROVIDER, &other, theirs).unwrap();
    // USER's honest batch, challenged with the other account's receipt of the same seq.
    let rs = receipts(1, 4);
    let tree = BatchTree::build(rs.clone()).unwrap();
    commit(&mut l, &tee, &domain, &tree, 1, 10).unwrap();
    let proof = FraudProof {
        index: 0,
        receipt: rs[0],
        proof: tree.proof(0).unwrap(),
        kind: FraudKind::Equivocation(signed_for_other),
    };
    assert_eq!(
        batch(
            &mut l,
            USER,
            20,
            BatchOp::Challenge {
                id: 0,
                proof: proof.clone()
            }
        ),
        Err(LedgerError::ChallengeRejected),
        "an honest batch voided (and the provider slashed) with another account's receipt"
    );
    // Nor does USER's own receipt #1 from another deployment (same keys, another contract).
    let elsewhere = Domain::new(U256::from(16600u64), Address([0xcd; 20]));
    let replayed = SignedReceipt::sign(&tee, &elsewhere, &PROVIDER, &USER, theirs).unwrap();
    let proof = FraudProof {
        kind: FraudKind::Equivocation(replayed),
        ..proof
    };
    assert_eq!(
        batch(&mut l, USER, 20, BatchOp::Challenge { id: 0, proof }),
        Err(LedgerError::ChallengeRejected),
        "a receipt from another deployment proved equivocation"
    );
    assert_eq!(l.stake(&PROVIDER).units(), 100 * TOKEN);
}
