//! Burn receipts: a value decided by real consensus commits to burn events; each receipt
//! verifies against its epoch's validator set, every tampering fails, and the redeem side
//! accepts each burn once and only from known epochs.

// In tests a panic is a failure report, and casts work on small test sizes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

mod common;

use std::time::Duration;

use common::{Net, commit_cert};
use zg_consensus::{
    Bls, BurnBatch, BurnEvent, BurnId, BurnReceipt, Command, Config, Consensus, Error, Event,
    Height, Node, PartitionId, RedeemCommand, RedeemRecord, Redeemed, Redeemer, Request, Round,
    Scheme, ValidatorIndex, ValidatorSet, verify_receipt,
};
use zg_core::machine::{Input, Machine, Output};
use zg_core::sim::{SimConfig, Simulation};
use zg_core::{Amount, Epoch, H256, Timestamp};

fn burns(n: usize) -> Vec<BurnEvent> {
    (0..n)
        .map(|i| BurnEvent {
            sender: H256([i as u8; 32]),
            recipient: H256([0x80 + i as u8; 32]),
            destination: 16600,
            token: H256([0xee; 32]),
            amount: Amount::new(1_000 + i as u128),
            nonce: i as u64,
        })
        .collect()
}

/// Four BLS validators run consensus; their host proposes values that commit to burns; a
/// receipt built from a decision's certificate verifies.
#[test]
fn receipts_from_a_real_decision_verify() {
    let config = Config {
        network: H256([0x42; 32]),
        ..Config::default()
    };
    let net = Net::<Bls>::new(4, config.clone());
    let batches: Vec<BurnBatch> = (0..3)
        .map(|h| BurnBatch::new(H256([h as u8; 32]), burns(3 + h)))
        .collect();
    let values: Vec<H256> = batches.iter().map(|b| b.commitment().value_id()).collect();
    let genesis = net.set.clone();
    let c = config.clone();
    let mut sim: Simulation<Consensus<Bls>, Node<Bls>> =
        Simulation::new(SimConfig::default(), 4, move |id, now, records| {
            Node::restore(
                c.clone(),
                Some(common::key::<Bls>(id.0 as usize)),
                genesis.clone(),
                records,
                now,
            )
            .unwrap()
        });
    let vs = values.clone();
    sim.set_host(move |_, _, request, _| {
        let reply = match request {
            Request::GetValue {
                partition,
                height,
                round,
            } => Command::ProposeValue {
                partition,
                height,
                round,
                value: vs[(height.0 as usize).min(2)],
            },
            Request::Validate {
                partition,
                height,
                value,
            } => Command::Validity {
                partition,
                height,
                value,
                valid: vs.contains(&value),
            },
        };
        vec![(Duration::from_millis(1), reply)]
    });
    // Requests queued at construction were dropped (no host yet); timeouts recover.
    let decided = |s: &Simulation<Consensus<Bls>, Node<Bls>>| {
        s.events()
            .iter()
            .filter(|(_, n, e)| n.0 == 0 && matches!(e, Event::Decided { .. }))
            .count()
    };
    assert!(sim.run_until_cond(Timestamp::from_secs(60), |s| decided(s) >= 3));
    let certs: Vec<_> = sim
        .events()
        .iter()
        .filter_map(|(_, node, e)| match e {
            Event::Decided { certificate, .. } if node.0 == 0 => Some(certificate.clone()),
            _ => None,
        })
        .take(3)
        .collect();
    assert_eq!(certs.len(), 3, "three heights decided");
    let mut redeemer = Redeemer::<Bls>::restore(config.network, config.heights_per_epoch, &[]);
    redeemer
        .handle(
            Timestamp(0),
            Input::Command(RedeemCommand::AddEpoch {
                epoch: Epoch(0),
                members: net.set.members(),
            }),
        )
        .unwrap();
    for cert in &certs {
        let h = cert.height.0 as usize;
        assert_eq!(cert.value, values[h]);
        for i in 0..batches[h].commitment().burn_count {
            let receipt = batches[h].receipt(i, (**cert).clone()).unwrap();
            verify_receipt(&receipt, &net.set).unwrap();
            redeemer
                .handle(
                    Timestamp(1),
                    Input::Command(RedeemCommand::Redeem(Box::new(receipt))),
                )
                .unwrap();
        }
    }
    assert_eq!(redeemer.redeemed(), 3 + 4 + 5);
}

fn sample_receipt(net: &Net<Bls>, height: u64) -> (BurnReceipt<Bls>, BurnBatch) {
    let batch = BurnBatch::new(H256([9; 32]), burns(5));
    let cert = commit_cert(net, height, batch.commitment().value_id(), 3);
    (batch.receipt(3, cert).unwrap(), batch)
}

#[test]
fn every_tampering_fails() {
    let net = Net::<Bls>::new(4, Config::default());
    let (r, batch) = sample_receipt(&net, 7);
    verify_receipt(&r, &net.set).unwrap();
    let bad = |f: &dyn Fn(&mut BurnReceipt<Bls>)| {
        let mut t = r.clone();
        f(&mut t);
        assert_eq!(
            verify_receipt(&t, &net.set),
            Err(Error::InvalidReceipt),
            "{t:?}"
        );
    };
    // The event.
    bad(&|t| t.event.amount = Amount::new(1_000_000));
    bad(&|t| t.event.recipient.0[0] ^= 1);
    bad(&|t| t.event.sender.0[31] ^= 1);
    bad(&|t| t.event.destination += 1);
    bad(&|t| t.event.token.0[5] ^= 1);
    bad(&|t| t.event.nonce += 1);
    // Another event of the same batch under this index.
    bad(&|t| t.event = burns(5)[2].clone());
    // The position and the proof.
    bad(&|t| t.index = 2);
    bad(&|t| t.index = 5);
    bad(&|t| t.proof.lemma[1].0[0] ^= 1);
    bad(&|t| {
        let last = t.proof.lemma.len() - 1;
        t.proof.lemma[last].0[0] ^= 1;
    });
    bad(&|t| t.proof.path[0] = !t.proof.path[0]);
    bad(&|t| {
        t.proof.path.pop();
    });
    // The commitment.
    bad(&|t| t.commitment.payload.0[0] ^= 1);
    bad(&|t| t.commitment.burn_root.0[0] ^= 1);
    bad(&|t| t.commitment.burn_count += 1);
    // The certificate.
    bad(&|t| t.certificate.value.0[0] ^= 1);
    bad(&|t| t.certificate.height = Height(8));
    bad(&|t| t.certificate.partition = PartitionId(1));
    bad(&|t| t.certificate.round = Round(1));
    bad(&|t| t.certificate.kind = zg_consensus::VoteKind::Prevote);
    bad(&|t| t.certificate.epoch = Epoch(1));
    bad(&|t| {
        t.certificate.signers.remove(ValidatorIndex(0));
    });
    bad(&|t| {
        t.certificate.signers.insert(ValidatorIndex(3));
    });
    bad(&|t| t.certificate.signature = Bls::sign(net.secret_at(ValidatorIndex(0)), b"x"));
    // A valid receipt from another value of the same partition and height.
    let other = BurnBatch::new(H256([10; 32]), burns(5));
    let forged = other
        .receipt(3, commit_cert(&net, 7, other.commitment().value_id(), 2))
        .unwrap();
    assert!(verify_receipt(&forged, &net.set).is_err(), "2 of 4 signers");
    // The wrong validator set: another network, or a set of other keys.
    let elsewhere = Net::<Bls>::new(
        4,
        Config {
            network: H256([1; 32]),
            ..Config::default()
        },
    );
    assert!(verify_receipt(&r, &elsewhere.set).is_err());
    let others = ValidatorSet::new(
        net.set.network(),
        Epoch(0),
        (10..14)
            .map(|i| (Bls::public_key(&Bls::secret_key_from_seed(&[i; 32])), 100))
            .collect(),
    )
    .unwrap();
    assert!(verify_receipt(&r, &others).is_err());
    assert!(batch.receipt(5, r.certificate.clone()).is_err());
}

#[test]
fn redeemer_rejects_double_redemption_and_unknown_epochs() {
    let config = Config {
        heights_per_epoch: 100,
        ..Config::default()
    };
    let net = Net::<Bls>::new(4, config.clone());
    let (r, _) = sample_receipt(&net, 7);
    let mut records: Vec<RedeemRecord<Bls>> = Vec::new();
    let mut red = Redeemer::<Bls>::restore(config.network, 100, &[]);
    let redeem = |red: &mut Redeemer<Bls>, r: &BurnReceipt<Bls>| {
        red.handle(
            Timestamp(0),
            Input::Command(RedeemCommand::Redeem(Box::new(r.clone()))),
        )
    };
    // Epoch 0 not known yet.
    assert_eq!(redeem(&mut red, &r), Err(Error::UnknownEpoch { epoch: 0 }));
    red.handle(
        Timestamp(0),
        Input::Command(RedeemCommand::AddEpoch {
            epoch: Epoch(0),
            members: net.set.members(),
        }),
    )
    .unwrap();
    redeem(&mut red, &r).unwrap();
    let out = red.drain_outputs();
    let persisted = out
        .iter()
        .position(|o| matches!(o, Output::Persist(RedeemRecord::Redeemed(_))));
    let minted = out
        .iter()
        .position(|o| matches!(o, Output::Event(Redeemed { .. })));
    assert!(
        persisted.unwrap() < minted.unwrap(),
        "persist before minting"
    );
    for o in out {
        if let Output::Persist(rec) = o {
            records.push(rec);
        }
    }
    assert!(matches!(records[0], RedeemRecord::Epoch(_)));
    let id = BurnId {
        partition: PartitionId(0),
        height: Height(7),
        index: 3,
    };
    assert!(red.is_redeemed(&id));
    assert_eq!(redeem(&mut red, &r), Err(Error::AlreadyRedeemed));
    // After a restart it is still redeemed.
    let mut again = Redeemer::<Bls>::restore(config.network, 100, &records);
    assert_eq!(redeem(&mut again, &r), Err(Error::AlreadyRedeemed));
    // Another burn of the same value is fine.
    let batch = BurnBatch::new(H256([9; 32]), burns(5));
    let r2 = batch.receipt(1, r.certificate.clone()).unwrap();
    redeem(&mut again, &r2).unwrap();
    // A certificate whose epoch does not match its height under this redeemer's epoch length.
    let mut late = r.clone();
    late.certificate.height = Height(250);
    assert_eq!(redeem(&mut again, &late), Err(Error::InvalidReceipt));
    // Height 250 is epoch 2, which is unknown.
    let net2 = Net::<Bls>::new(4, config);
    let batch = BurnBatch::new(H256([9; 32]), burns(2));
    let mut cert = commit_cert(&net2, 250, batch.commitment().value_id(), 3);
    cert.epoch = Epoch(2);
    let r3 = batch.receipt(0, cert).unwrap();
    assert_eq!(
        redeem(&mut again, &r3),
        Err(Error::UnknownEpoch { epoch: 2 })
    );
}
