//! Catch-up: a node that fell behind asks a peer, receives consecutive commit certificates,
//! verifies each against its epoch's validator set and decides them in order; forged
//! certificates are refused.

// In tests a panic is a failure report, and casts work on small test sizes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

mod common;

use std::sync::Arc;

use common::{Net, commit_cert, feed, sent};
use zg_consensus::{
    Bls, Command, Config, Error, Event, Height, Message, PartitionId, ValidatorIndex, VoteKind,
};
use zg_core::machine::{Input, Machine, Output, Recipient};
use zg_core::{H256, NodeId, Timestamp};

fn decided_heights<S: zg_consensus::Scheme>(
    outputs: &[Output<zg_consensus::Consensus<S>>],
) -> Vec<u64> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Event(Event::Decided { height, .. }) => Some(height.0),
            _ => None,
        })
        .collect()
}

#[test]
fn lagging_node_syncs_from_a_peer_with_bls_certificates() {
    let net = Net::<Bls>::new(4, Config::default());
    // The server decides heights 0..6 from certificates (3 of 4 signers: a quorum).
    let mut server = net.node(ValidatorIndex(0));
    server.drain_outputs();
    let values: Vec<H256> = (0..6).map(|h| H256([h as u8 + 10; 32])).collect();
    for (h, v) in values.iter().enumerate() {
        let (r, out) = feed(
            &mut server,
            h as u64,
            Message::Decision(Arc::new(commit_cert(&net, h as u64, *v, 3))),
        );
        r.unwrap();
        assert_eq!(decided_heights(&out), vec![h as u64]);
    }
    assert_eq!(server.recent_decisions(PartitionId(0)).count(), 6);

    // The laggard hears a vote from two heights ahead and asks that peer.
    let mut laggard = net.node(ValidatorIndex(1));
    laggard.drain_outputs();
    let ahead = net.vote(ValidatorIndex(2), 6, 0, VoteKind::Prevote, None);
    let r = laggard.handle(
        Timestamp(100),
        Input::Message {
            from: NodeId(7),
            message: Message::Vote(ahead),
        },
    );
    r.unwrap();
    let asks = sent(&laggard.drain_outputs());
    let request = asks
        .iter()
        .find_map(|(to, m)| match m {
            Message::SyncRequest { from, .. } => Some((to.clone(), *from)),
            _ => None,
        })
        .expect("sync request");
    assert_eq!(request, (Recipient::One(NodeId(7)), Height(0)));

    // The server answers with what it has from that height on.
    let r = server.handle(
        Timestamp(200),
        Input::Message {
            from: NodeId(1),
            message: Message::SyncRequest {
                partition: PartitionId(0),
                from: Height(0),
            },
        },
    );
    r.unwrap();
    let reply = sent(&server.drain_outputs());
    let Some((Recipient::One(NodeId(1)), Message::Decisions(certs))) = reply.first().cloned()
    else {
        panic!("expected a catch-up reply, got {reply:?}");
    };
    assert_eq!(certs.len(), 6);

    // A forged certificate in the middle stops the import there, with an error.
    let mut tampered = (*certs).clone();
    tampered[3].value = H256([0xff; 32]);
    let (r, out) = feed(&mut laggard, 300, Message::Decisions(Arc::new(tampered)));
    assert_eq!(r, Err(Error::InvalidCertificate));
    assert_eq!(decided_heights(&out), vec![0, 1, 2]);
    // The genuine reply finishes the job.
    let (r, out) = feed(&mut laggard, 301, Message::Decisions(certs));
    r.unwrap();
    assert_eq!(decided_heights(&out), vec![3, 4, 5]);
    let state = laggard.partition_state(PartitionId(0)).unwrap();
    assert_eq!(state.height, Height(6));
    let got: Vec<H256> = laggard
        .recent_decisions(PartitionId(0))
        .map(|c| c.value)
        .collect();
    assert_eq!(got, values);
}

#[test]
fn certificates_below_quorum_or_for_another_partition_are_refused() {
    let net = Net::<Bls>::new(4, Config::default());
    let mut node = net.node(ValidatorIndex(0));
    node.drain_outputs();
    // Two of four is not a quorum.
    let (r, out) = feed(
        &mut node,
        1,
        Message::Decision(Arc::new(commit_cert(&net, 0, H256([1; 32]), 2))),
    );
    assert_eq!(r, Err(Error::InvalidCertificate));
    assert!(decided_heights(&out).is_empty());
    // A prevote certificate is no commit.
    let mut pv = commit_cert(&net, 0, H256([1; 32]), 3);
    pv.kind = VoteKind::Prevote;
    let (r, _) = feed(&mut node, 2, Message::Decision(Arc::new(pv)));
    assert!(r.is_err());
    // Unknown partition.
    let mut other = commit_cert(&net, 0, H256([1; 32]), 3);
    other.partition = PartitionId(9);
    let (r, _) = feed(&mut node, 3, Message::Decision(Arc::new(other.clone())));
    assert_eq!(r, Err(Error::UnknownPartition { partition: 9 }));
    // The host can import a certificate it fetched itself.
    let good = commit_cert(&net, 0, H256([1; 32]), 3);
    let r = node.handle(Timestamp(4), Input::Command(Command::ImportDecision(good)));
    r.unwrap();
    assert_eq!(decided_heights(&node.drain_outputs()), vec![0]);
}

/// A node that voted at a height others already decided gets the certificate pushed to it.
#[test]
fn peers_still_voting_on_a_decided_height_get_its_certificate() {
    let net = Net::<Bls>::new(4, Config::default());
    let mut node = net.node(ValidatorIndex(0));
    node.drain_outputs();
    let cert = commit_cert(&net, 0, H256([4; 32]), 3);
    feed(&mut node, 1, Message::Decision(Arc::new(cert.clone())))
        .0
        .unwrap();
    let old = net.vote(ValidatorIndex(3), 0, 2, VoteKind::Prevote, None);
    let (r, out) = feed(&mut node, 2, Message::Vote(old.clone()));
    r.unwrap();
    let pushed = sent(&out);
    assert!(matches!(
        pushed.as_slice(),
        [(Recipient::One(NodeId(99)), Message::Decision(c))] if **c == cert
    ));
    // Rate limited: not again right away.
    let (_, out) = feed(&mut node, 3, Message::Vote(old));
    assert!(sent(&out).is_empty());
}
