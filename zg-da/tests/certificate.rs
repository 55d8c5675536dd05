//! Issue 12, items 4 and 5: the quorum certificate and the aggregator, through the public API.
//! Forgeries (insufficient stake, wrong epoch, a bitmap naming non-members, another payload's
//! certificate replayed, another committee, a tampered signature) fail with typed errors; the
//! aggregator drops forged signers, non-members and duplicates, and certifies in any order.

// Test code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

use std::sync::{Arc, OnceLock};

use zg_bls::{
    Bls, BlsSecretKey, Scheme, SignerBitmap, Strictness, ValidatorIndex, verify_optimistic,
};
use zg_core::machine::{Input, Machine, Output, Recipient};
use zg_core::{Amount, Epoch, H256, NodeId, Timestamp};
use zg_da::aggregator::Event as AEvent;
use zg_da::certificate::{Certificate, CertificateError, DaCommittee};
use zg_da::signer::Message;
use zg_da::*;
use zg_kzg::KzgSettings;
use zg_vrf::{NodeKeys, Selection, StakeTable, compute_eligibility};

fn kzg() -> Arc<KzgSettings> {
    static S: OnceLock<Arc<KzgSettings>> = OnceLock::new();
    S.get_or_init(|| Arc::new(KzgSettings::mainnet().unwrap()))
        .clone()
}

fn keys(i: u64) -> NodeKeys {
    NodeKeys::derive(b"zg-da certificate test", NodeId(i))
}

fn bls_key(i: u64) -> BlsSecretKey {
    keys(i).bls
}

fn committee_for(seed: [u8; 32], epoch: u64) -> DaCommittee {
    let nodes: Vec<NodeKeys> = (1..=12u64).map(keys).collect();
    let table = StakeTable::new(
        Epoch(epoch),
        nodes.iter().map(|k| k.entry(Amount::new(3))).collect(),
        Amount::new(1),
    )
    .unwrap();
    let vrf: Vec<_> = nodes.iter().map(|k| &k.vrf).collect();
    let selection = Selection {
        epoch: Epoch(epoch),
        seed: H256::new(seed),
        role: DA_SIGNER_ROLE.into(),
        expected_seats: 24,
    };
    let claims: Vec<_> = vrf
        .iter()
        .map(|sk| compute_eligibility(sk, &table, &selection).unwrap())
        .filter(|e| e.seats > 0)
        .map(|e| e.claim)
        .collect();
    DaCommittee::assemble(&table, &selection, &claims, 3, 1).unwrap()
}

fn committee() -> &'static DaCommittee {
    static S: OnceLock<DaCommittee> = OnceLock::new();
    S.get_or_init(|| committee_for([0x51; 32], 9))
}

/// A certificate signed by the members at `who` (indices), for `payload`.
fn certificate(c: &DaCommittee, payload: &H256, who: &[usize]) -> Certificate {
    let message = c.attestation(payload);
    let sigs: Vec<_> = who
        .iter()
        .map(|&i| {
            (
                ValidatorIndex(i as u16),
                Bls::sign(&bls_key(c.members()[i].node.0), &message),
            )
        })
        .collect();
    let outcome =
        verify_optimistic::<Bls>(&c.weighted_keys(), &message, &sigs, Strictness::Set).unwrap();
    assert!(outcome.rejected.is_empty());
    let agg = outcome.certificate().unwrap();
    Certificate {
        epoch: c.epoch(),
        committee: c.reference(),
        payload_id: *payload,
        signers: agg.signers,
        signature: agg.signature,
    }
}

#[test]
fn a_full_certificate_verifies_round_trips_and_has_its_stated_size() {
    let c = committee();
    let p = H256::new([1; 32]);
    let all: Vec<usize> = (0..c.members().len()).collect();
    let cert = certificate(c, &p, &all);
    assert_eq!(cert.verify(c, &p), Ok(c.total_seats()));
    let bytes = cert.to_bytes();
    let n = c.members().len() as u16;
    assert_eq!(bytes.len(), Certificate::encoded_len(n));
    assert_eq!(bytes.len(), 267 + usize::from(n).div_ceil(8));
    assert_eq!(Certificate::from_bytes(&bytes).unwrap(), cert);
    assert_eq!(cert.hash(), zg_core::keccak256(&bytes));
    // Strict decoding: trailing bytes, truncation, a bad version.
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(Certificate::from_bytes(&longer).is_err());
    assert!(Certificate::from_bytes(&bytes[..bytes.len() - 1]).is_err());
    let mut v = bytes.clone();
    v[0] = 2;
    assert!(Certificate::from_bytes(&v).is_err());
}

#[test]
fn forgeries_fail_with_typed_errors() {
    let c = committee();
    let p = H256::new([1; 32]);
    let q = H256::new([2; 32]);
    let all: Vec<usize> = (0..c.members().len()).collect();
    let cert = certificate(c, &p, &all);
    // Insufficient stake: members holding less than 2/3 of the seats.
    let mut few = Vec::new();
    let mut seats = 0;
    for (i, m) in c.members().iter().enumerate() {
        if (seats + m.seats) * 3 < 2 * c.total_seats() - 3 {
            few.push(i);
            seats += m.seats;
        }
    }
    assert!(matches!(
        certificate(c, &p, &few).verify(c, &p),
        Err(CertificateError::InsufficientStake { .. })
    ));
    // Wrong epoch.
    let mut e = cert.clone();
    e.epoch = Epoch(10);
    assert!(matches!(
        e.verify(c, &p),
        Err(CertificateError::WrongEpoch { .. })
    ));
    // A bitmap naming one more (non-)member.
    let mut wide = cert.clone();
    let mut b = SignerBitmap::new(cert.signers.len() + 1);
    for i in cert.signers.iter() {
        b.insert(i);
    }
    b.insert(ValidatorIndex(cert.signers.len()));
    wide.signers = b;
    assert!(matches!(
        wide.verify(c, &p),
        Err(CertificateError::NonMember { .. })
    ));
    // Replay of p's certificate for payload q: the payload differs, and rewriting the id
    // leaves a signature that does not verify.
    assert!(matches!(
        cert.verify(c, &q),
        Err(CertificateError::WrongPayload { .. })
    ));
    let mut replay = cert.clone();
    replay.payload_id = q;
    assert_eq!(
        replay.verify(c, &q),
        Err(CertificateError::InvalidSignature)
    );
    // Another committee (other seed), and a certificate naming another committee reference.
    let other = committee_for([0x52; 32], 9);
    assert_eq!(
        cert.verify(&other, &p),
        Err(CertificateError::WrongCommittee)
    );
    // A signature of one member claimed for all.
    let mut lone = cert.clone();
    lone.signature = Bls::sign(&bls_key(c.members()[0].node.0), &c.attestation(&p));
    assert_eq!(lone.verify(c, &p), Err(CertificateError::InvalidSignature));
    // No signers.
    let mut none = cert.clone();
    none.signers = SignerBitmap::new(cert.signers.len());
    assert!(none.verify(c, &p).is_err());
}

fn payload() -> &'static Arc<EncodedPayload> {
    static S: OnceLock<Arc<EncodedPayload>> = OnceLock::new();
    S.get_or_init(|| Arc::new(encode_payload(&kzg(), b"certified payload").unwrap()))
}

/// Drives an aggregator against honest signers (host signing with their keys), delivering
/// attestations in `order` (a permutation of members) and injecting `extra` messages first.
fn aggregate(
    order: &[usize],
    extra: Vec<(NodeId, Message)>,
    forge: &[usize],
) -> (Vec<AEvent>, Vec<String>) {
    let c = Arc::new(committee().clone());
    let mut agg = Aggregator::new(
        Timestamp::ZERO,
        AggregatorConfig {
            committee: c.clone(),
            payload: payload().clone(),
            resend_ms: 1_000,
            deadline: Timestamp::from_secs(10),
        },
    );
    let mut errors = Vec::new();
    for (from, m) in extra {
        if let Err(e) = agg.handle(Timestamp(1), Input::Message { from, message: m }) {
            errors.push(e.to_string());
        }
    }
    let mut deliveries = std::collections::BTreeMap::new();
    for o in agg.drain_outputs() {
        if let Output::Send {
            to: Recipient::One(n),
            message,
        } = o
        {
            deliveries.insert(n, message);
        }
    }
    let mut attestations = std::collections::BTreeMap::new();
    for (i, m) in c.members().iter().enumerate() {
        let mut signer = Signer::new(
            kzg(),
            SignerConfig {
                me: m.node,
                epoch: c.epoch(),
                custody: Arc::new(c.custody().clone()),
                max_payloads: 4,
                max_payloads_per_peer: 4,
            },
        );
        signer
            .handle(
                Timestamp(2),
                Input::Message {
                    from: NodeId(0),
                    message: deliveries[&m.node].clone(),
                },
            )
            .unwrap();
        for o in signer.drain_outputs() {
            if let Output::Request(zg_da::signer::Request::Sign { payload, message }) = o {
                let msg = if forge.contains(&i) {
                    b"not the attestation".to_vec()
                } else {
                    message
                };
                let signature = Bls::sign(&bls_key(m.node.0), &msg);
                signer
                    .handle(
                        Timestamp(3),
                        Input::Command(zg_da::signer::Command::Signed { payload, signature }),
                    )
                    .unwrap();
            }
        }
        for o in signer.drain_outputs() {
            if let Output::Send {
                message: m @ Message::Attested { .. },
                ..
            } = o
            {
                attestations.insert(i, m);
            }
        }
    }
    let mut events = Vec::new();
    for &i in order {
        let from = c.members()[i].node;
        if let Err(e) = agg.handle(
            Timestamp(4),
            Input::Message {
                from,
                message: attestations[&i].clone(),
            },
        ) {
            errors.push(e.to_string());
        }
        for o in agg.drain_outputs() {
            if let Output::Event(e) = o {
                events.push(e);
            }
        }
    }
    (events, errors)
}

fn certified(events: &[AEvent]) -> Option<Certificate> {
    events.iter().find_map(|e| match e {
        AEvent::Certified(c) => Some((**c).clone()),
        _ => None,
    })
}

#[test]
fn the_aggregator_certifies_in_any_order_and_the_certificate_verifies() {
    let n = committee().members().len();
    let forward: Vec<usize> = (0..n).collect();
    let backward: Vec<usize> = (0..n).rev().collect();
    for order in [forward, backward] {
        let (events, errors) = aggregate(&order, Vec::new(), &[]);
        let cert = certified(&events).unwrap_or_else(|| panic!("{events:?} {errors:?}"));
        let seats = cert
            .verify(committee(), &payload().header().payload_id())
            .unwrap();
        assert!(seats >= committee().quorum_seats());
        // Attestations after the certificate are refused (finished), not counted.
        assert!(errors.iter().all(|e| e.contains("finished")), "{errors:?}");
    }
}

#[test]
fn forged_signers_non_members_and_duplicates_are_dropped() {
    let c = committee();
    let n = c.members().len();
    let id = payload().header().payload_id();
    let member0 = c.members()[0].node;
    // First in the queue: a non-member with a valid-looking attestation, a member's
    // attestation of another payload, and an attestation claiming member 0's identity sent by
    // an outsider.
    let sig = Bls::sign(&bls_key(member0.0), &c.attestation(&id));
    let extra = vec![
        (
            NodeId(999),
            Message::Attested {
                payload: id,
                epoch: c.epoch(),
                signature: sig,
            },
        ),
        (
            member0,
            Message::Attested {
                payload: H256::new([7; 32]),
                epoch: c.epoch(),
                signature: sig,
            },
        ),
        (
            member0,
            Message::Attested {
                payload: id,
                epoch: Epoch(8),
                signature: sig,
            },
        ),
    ];
    // Member 1 signs the wrong message (only its aggregate with others would expose it).
    let order: Vec<usize> = (0..n).collect();
    let (events, errors) = aggregate(&order, extra, &[1]);
    assert!(
        errors.iter().any(|e| e.contains("not a committee member")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .filter(|e| e.contains("another payload or epoch"))
            .count()
            == 2,
        "{errors:?}"
    );
    let cert = certified(&events).unwrap_or_else(|| panic!("{events:?}"));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, AEvent::BadSignature { from } if *from == c.members()[1].node))
    );
    assert!(
        !cert.signers.contains(ValidatorIndex(1)),
        "the forged signer is not counted"
    );
    cert.verify(c, &id).unwrap();
    // A member attesting twice.
    let (_, errors) = aggregate(&[0, 0], Vec::new(), &[]);
    assert!(
        errors.iter().any(|e| e.contains("already attested")),
        "{errors:?}"
    );
}

#[test]
fn without_a_quorum_the_aggregator_fails_at_its_deadline() {
    let c = Arc::new(committee().clone());
    let mut agg = Aggregator::new(
        Timestamp::ZERO,
        AggregatorConfig {
            committee: c.clone(),
            payload: payload().clone(),
            resend_ms: 1_000,
            deadline: Timestamp::from_secs(3),
        },
    );
    let outs = agg.drain_outputs();
    let resends = outs
        .iter()
        .filter(|o| matches!(o, Output::ScheduleTimeout { .. }))
        .count();
    assert_eq!(resends, 2, "a deadline and a resend");
    agg.handle(
        Timestamp::from_secs(1),
        Input::Timeout(zg_da::aggregator::Timer::Resend),
    )
    .unwrap();
    let again = agg
        .drain_outputs()
        .iter()
        .filter(|o| {
            matches!(
                o,
                Output::Send {
                    message: Message::Store { .. },
                    ..
                }
            )
        })
        .count();
    assert_eq!(
        again,
        c.members().len(),
        "silent members get the delivery again"
    );
    agg.handle(
        Timestamp::from_secs(3),
        Input::Timeout(zg_da::aggregator::Timer::Deadline),
    )
    .unwrap();
    let failed = agg.drain_outputs().into_iter().find_map(|o| match o {
        Output::Event(AEvent::Failed(f)) => Some(f),
        _ => None,
    });
    let f = failed.unwrap();
    assert_eq!(f.signed_seats, 0);
    assert_eq!(f.required_seats, c.quorum_seats());
    assert_eq!(f.uncovered.len(), 128);
    assert!(agg.is_done());
}
