//! The production BLS12-381 path end to end: simulations at n = 4, 7, 31 and 100 with every
//! commit certificate checked, optimistic counting with forged votes (bisection), equivocation
//! evidence, and certificate tampering.

// In tests a panic is a failure report, and casts work on small test sizes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

mod common;

use common::{Net, answer_validity, feed, sent_votes};
use zg_consensus::{
    Bls, Certificate, Config, Error, Event, Evidence, Message, StakeLedger, ValidatorIndex,
    VoteKind,
};
use zg_core::machine::{Machine, Output};
use zg_core::{Epoch, H256, Timestamp};
use zg_testkit::consensus::{Behaviour, Scenario, run};

fn bls_run(n: usize, f: usize, behaviour: Behaviour, heights: u64, seed: u64) {
    let s = Scenario {
        validators: n,
        byzantine: f,
        behaviour,
        heights,
        seed,
        verify_certificates: true,
        loss: if n <= 7 { 0.05 } else { 0.0 },
        stabilise_at: Some(Timestamp::from_secs(3)),
        ..Scenario::default()
    };
    let r = run::<Bls>(&s);
    assert_eq!(r.safety_violations, 0, "{r:?}");
    assert_eq!(r.honest_double_signs, 0, "{r:?}");
    assert!(r.completed, "n={n} seed {seed}: {r:?}");
    assert_eq!(r.bad_certificates, 0, "{r:?}");
    assert_eq!(r.certificates_checked, r.decisions);
}

#[test]
fn bls_simulation_small_n_with_byzantine() {
    bls_run(4, 1, Behaviour::Mixed, 4, 1);
    bls_run(7, 2, Behaviour::Equivocate, 3, 2);
    bls_run(7, 2, Behaviour::Split, 3, 3);
}

#[test]
fn bls_simulation_n31_and_n100() {
    bls_run(31, 10, Behaviour::Mixed, 2, 4);
    bls_run(100, 0, Behaviour::Mixed, 1, 5);
}

fn decided<S: zg_consensus::Scheme>(
    outputs: &[Output<zg_consensus::Consensus<S>>],
) -> Option<Certificate<S>> {
    outputs.iter().find_map(|o| match o {
        Output::Event(Event::Decided { certificate, .. }) => Some((**certificate).clone()),
        _ => None,
    })
}

fn bad_signature_count<S: zg_consensus::Scheme>(
    outputs: &[Output<zg_consensus::Consensus<S>>],
) -> usize {
    outputs
        .iter()
        .map(|o| match o {
            Output::Event(Event::BadSignatures { count, .. }) => *count,
            _ => 0,
        })
        .sum()
}

/// Forged votes are found by bisection and never counted; their validators' genuine votes
/// still count later; the decision's certificate verifies.
#[test]
fn forged_votes_are_dropped_and_never_counted() {
    let net = Net::<Bls>::new(7, Config::default());
    let proposer = net.proposer(0, 0);
    let me = (0..7u16)
        .map(ValidatorIndex)
        .find(|&i| i != proposer)
        .unwrap();
    let mut node = net.node(me);
    node.drain_outputs();
    let value = H256([0xaa; 32]);

    let (r, out) = feed(
        &mut node,
        10,
        Message::Proposal(net.proposal(0, 0, value, None, None)),
    );
    r.unwrap();
    let out = answer_validity(&mut node, 11, &out, true);
    let mine = sent_votes(&out);
    assert_eq!(mine.len(), 1);
    assert_eq!(
        mine[0].vote.value,
        Some(value),
        "prevote for the proposal (line 24)"
    );

    // Quorum is 5 of 7. Two good and two forged prevotes: pending weight reaches a quorum, the
    // batch fails, bisection drops exactly the two forgeries, and no precommit goes out.
    let others = net.others(me);
    let mut outputs = Vec::new();
    for (i, &o) in others.iter().take(4).enumerate() {
        let v = if i % 2 == 1 {
            net.forged_vote(o, 0, 0, VoteKind::Prevote, Some(value))
        } else {
            net.vote(o, 0, 0, VoteKind::Prevote, Some(value))
        };
        let (r, out) = feed(&mut node, 20 + i as u64, Message::Vote(v));
        r.unwrap();
        outputs.extend(out);
    }
    assert_eq!(bad_signature_count(&outputs), 2);
    assert!(sent_votes(&outputs).is_empty(), "acted on unverified votes");
    assert_eq!(node.work().bad_votes, 2);

    // The forgers' genuine votes take their freed slots: now 5 verified → precommit.
    let (_, out) = feed(
        &mut node,
        30,
        Message::Vote(net.vote(others[1], 0, 0, VoteKind::Prevote, Some(value))),
    );
    assert!(sent_votes(&out).is_empty(), "4 < quorum");
    let (_, out) = feed(
        &mut node,
        31,
        Message::Vote(net.vote(others[3], 0, 0, VoteKind::Prevote, Some(value))),
    );
    let pc = sent_votes(&out);
    assert_eq!(pc.len(), 1);
    assert_eq!(pc[0].vote.kind, VoteKind::Precommit);
    assert_eq!(
        pc[0].vote.value,
        Some(value),
        "lock and precommit (lines 36-41)"
    );

    // Precommits: one forged among them is dropped; the decision waits for a real quorum.
    let mut outputs = Vec::new();
    for (i, &o) in others.iter().take(4).enumerate() {
        let v = if i == 0 {
            net.forged_vote(o, 0, 0, VoteKind::Precommit, Some(value))
        } else {
            net.vote(o, 0, 0, VoteKind::Precommit, Some(value))
        };
        outputs.extend(feed(&mut node, 40 + i as u64, Message::Vote(v)).1);
    }
    assert!(decided(&outputs).is_none());
    let (_, out) = feed(
        &mut node,
        50,
        Message::Vote(net.vote(others[4], 0, 0, VoteKind::Precommit, Some(value))),
    );
    let cert = decided(&out).expect("decided on 5 verified precommits");
    assert_eq!(cert.value, value);
    assert!(
        !cert.signers.contains(others[0]),
        "forged signer not in the certificate"
    );
    cert.verify(&net.set).unwrap();
    assert_eq!(
        node.partition_state(zg_consensus::PartitionId(0))
            .unwrap()
            .height
            .0,
        1
    );
}

/// A validator that signs two different prevotes is caught; the evidence verifies, slashes once
/// through the shared ledger, and tampered evidence fails.
#[test]
fn equivocation_evidence_is_verifiable_and_slashes_once() {
    let net = Net::<Bls>::new(4, Config::default());
    let me = ValidatorIndex(0);
    let mut node = net.node(me);
    node.drain_outputs();
    let culprit = ValidatorIndex(2);
    let a = net.vote(culprit, 0, 0, VoteKind::Prevote, Some(H256([1; 32])));
    let b = net.vote(culprit, 0, 0, VoteKind::Prevote, None);
    feed(&mut node, 5, Message::Vote(a.clone())).0.unwrap();
    let (_, out) = feed(&mut node, 6, Message::Vote(b.clone()));
    let evidence = out
        .iter()
        .find_map(|o| match o {
            Output::Event(Event::Equivocation(e)) => Some((**e).clone()),
            _ => None,
        })
        .expect("equivocation reported");
    let offender = evidence.verify(&net.set).unwrap();
    assert_eq!(offender, net.set.get(culprit).unwrap().public_key);
    assert_eq!(
        evidence,
        Evidence::new(b.clone(), a.clone()).unwrap(),
        "canonical order"
    );

    // Tampering: a forged second vote, a different validator, the same vote twice.
    let forged = Evidence::new(
        a.clone(),
        net.forged_vote(culprit, 0, 0, VoteKind::Prevote, None),
    )
    .unwrap();
    assert!(forged.verify(&net.set).is_err());
    let mut other = b.clone();
    other.vote.validator = ValidatorIndex(3);
    assert!(
        Evidence::new(a.clone(), other).is_err(),
        "different validators"
    );
    assert!(Evidence::new(a.clone(), a.clone()).is_err(), "same vote");
    let mut later = b.clone();
    later.vote.round = zg_consensus::Round(1);
    assert!(Evidence::new(a.clone(), later).is_err(), "different rounds");

    let mut ledger = StakeLedger::new(net.set.clone(), 500, 8).unwrap();
    let s = ledger.apply_evidence(&evidence).unwrap();
    assert_eq!(s.amount.units(), 5, "5% of 100");
    assert_eq!(s.excluded_from, Epoch(1));
    assert_eq!(ledger.apply_evidence(&evidence), Err(Error::AlreadySlashed));
    assert_eq!(ledger.penalty(&offender).units(), 5);
}

/// Every part of a commit certificate is bound by its one pairing equation.
#[test]
fn certificate_tampering_fails() {
    let net = Net::<Bls>::new(4, Config::default());
    let value = H256([3; 32]);
    let votes: Vec<_> = (0..3u16)
        .map(|i| net.vote(ValidatorIndex(i), 5, 2, VoteKind::Precommit, Some(value)))
        .collect();
    let mut signers = zg_consensus::SignerBitmap::new(4);
    for i in 0..3 {
        signers.insert(ValidatorIndex(i));
    }
    let cert = Certificate::<Bls> {
        partition: zg_consensus::PartitionId(0),
        epoch: Epoch(0),
        height: zg_consensus::Height(5),
        round: zg_consensus::Round(2),
        kind: VoteKind::Precommit,
        value,
        signers: signers.clone(),
        signature: <Bls as zg_consensus::Scheme>::aggregate_signatures(
            votes.iter().map(|v| &v.signature),
        )
        .unwrap(),
    };
    cert.verify(&net.set).unwrap();

    let mut c = cert.clone();
    c.value = H256([4; 32]);
    assert_eq!(c.verify(&net.set), Err(Error::InvalidCertificate));
    let mut c = cert.clone();
    c.round = zg_consensus::Round(3);
    assert!(c.verify(&net.set).is_err());
    let mut c = cert.clone();
    c.height = zg_consensus::Height(6);
    assert!(c.verify(&net.set).is_err());
    let mut c = cert.clone();
    c.partition = zg_consensus::PartitionId(1);
    assert!(c.verify(&net.set).is_err());
    let mut c = cert.clone();
    c.kind = VoteKind::Prevote;
    assert!(c.verify(&net.set).is_err());
    let mut c = cert.clone();
    c.epoch = Epoch(1);
    assert!(c.verify(&net.set).is_err());
    // Claiming a signer who did not sign, or dropping one who did.
    let mut c = cert.clone();
    c.signers.insert(ValidatorIndex(3));
    assert!(c.verify(&net.set).is_err());
    let mut c = cert.clone();
    c.signers.remove(ValidatorIndex(0));
    c.signers.insert(ValidatorIndex(3));
    assert!(c.verify(&net.set).is_err());
    // Below quorum even with a matching aggregate.
    let mut two = zg_consensus::SignerBitmap::new(4);
    two.insert(ValidatorIndex(0));
    two.insert(ValidatorIndex(1));
    let c = Certificate::<Bls> {
        signers: two,
        signature: <Bls as zg_consensus::Scheme>::aggregate_signatures(
            votes[..2].iter().map(|v| &v.signature),
        )
        .unwrap(),
        ..cert.clone()
    };
    assert!(c.verify(&net.set).is_err());
    // Another signature, or a bitmap of the wrong length.
    let mut c = cert.clone();
    c.signature = votes[0].signature;
    assert!(c.verify(&net.set).is_err());
    let mut c = cert.clone();
    c.signers = zg_consensus::SignerBitmap::new(5);
    for i in 0..3 {
        c.signers.insert(ValidatorIndex(i));
    }
    assert!(c.verify(&net.set).is_err());
}
