//! Crash safety: what a node persists before it speaks is enough to resume without ever signing
//! a conflicting vote, with its lock intact; checkpoints replace the log.

// In tests a panic is a failure report, and casts work on small test sizes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

mod common;

use common::{Net, answer_validity, feed, sent_votes};
use zg_consensus::{
    Config, Consensus, Height, InsecureTestScheme as T, Message, Node, PartitionId, Record, Round,
    Scheme, Step, TimeoutKind, Timer, ValidatorIndex, VoteKind,
};
use zg_core::machine::{Input, Machine, Output};
use zg_core::{H256, Timestamp};

/// Applies a node's outputs to its log the way a host does.
fn log(records: &mut Vec<Record<T>>, outputs: &[Output<Consensus<T>>]) {
    for o in outputs {
        match o {
            Output::Persist(r) => records.push(r.clone()),
            Output::Checkpoint(r) => *records = vec![r.clone()],
            _ => {}
        }
    }
}

fn restart(net: &Net<T>, me: ValidatorIndex, records: &[Record<T>], now: u64) -> Node<T> {
    let i = (0..net.secrets.len())
        .find(|&i| T::public_key(&common::key::<T>(i)) == net.set.get(me).unwrap().public_key)
        .unwrap();
    Node::restore(
        net.config.clone(),
        Some(common::key::<T>(i)),
        net.set.clone(),
        records,
        Timestamp(now),
    )
    .unwrap()
}

#[test]
fn every_vote_is_persisted_before_it_is_sent() {
    let net = Net::<T>::new(4, Config::default());
    let proposer = net.proposer(0, 0);
    let me = (0..4).map(ValidatorIndex).find(|&i| i != proposer).unwrap();
    let mut node = net.node(me);
    node.drain_outputs();
    let v = H256([5; 32]);
    let (_, out) = feed(
        &mut node,
        1,
        Message::Proposal(net.proposal(0, 0, v, None, None)),
    );
    let out = answer_validity(&mut node, 2, &out, true);
    let persisted = out
        .iter()
        .position(|o| matches!(o, Output::Persist(Record::Vote(_))))
        .unwrap();
    let sent = out
        .iter()
        .position(|o| {
            matches!(
                o,
                Output::Send {
                    message: Message::Vote(_),
                    ..
                }
            )
        })
        .unwrap();
    assert!(persisted < sent, "persist must precede send");
}

#[test]
fn restart_resends_the_same_votes_and_keeps_the_lock() {
    let net = Net::<T>::new(4, Config::default());
    let me = (0..4)
        .map(ValidatorIndex)
        .find(|&i| i != net.proposer(0, 0) && i != net.proposer(0, 1))
        .unwrap();
    let mut records = Vec::new();
    let mut node = net.node(me);
    log(&mut records, &node.drain_outputs());
    let v = H256([5; 32]);

    let (_, out) = feed(
        &mut node,
        1,
        Message::Proposal(net.proposal(0, 0, v, None, None)),
    );
    log(&mut records, &out);
    let out = answer_validity(&mut node, 2, &out, true);
    log(&mut records, &out);
    let others = net.others(me);
    let mut signed = sent_votes(&out);
    for (i, &o) in others.iter().take(2).enumerate() {
        let (_, out) = feed(
            &mut node,
            3 + i as u64,
            Message::Vote(net.vote(o, 0, 0, VoteKind::Prevote, Some(v))),
        );
        log(&mut records, &out);
        signed.extend(sent_votes(&out));
    }
    assert_eq!(signed.len(), 2, "prevote and precommit");
    let state = node.partition_state(PartitionId(0)).unwrap();
    assert_eq!(state.locked, Some((Round(0), v)));
    // The proof of lock is in the log too, ahead of the precommit.
    let polka = records
        .iter()
        .position(|r| matches!(r, Record::Polka(c) if c.value == v && c.round == Round(0)))
        .expect("polka persisted");
    let precommit = records
        .iter()
        .position(|r| matches!(r, Record::Vote(x) if x.vote.kind == VoteKind::Precommit))
        .unwrap();
    assert!(polka < precommit);

    // Crash and restart from the log: the same two votes go out again, byte for byte, and the
    // lock and step come back.
    let mut node = restart(&net, me, &records, 1000);
    let out = node.drain_outputs();
    let again = sent_votes(&out);
    assert_eq!(again, signed);
    assert!(
        !out.iter()
            .any(|o| matches!(o, Output::Persist(Record::Vote(_)))),
        "nothing new signed"
    );
    let state = node.partition_state(PartitionId(0)).unwrap();
    assert_eq!(state.round, Round(0));
    assert_eq!(state.step, Step::Precommit);
    assert_eq!(state.locked, Some((Round(0), v)));
    assert_eq!(
        state.valid,
        Some((Round(0), v)),
        "validValue and its proof survive"
    );

    // A conflicting proposal in round 0 cannot make it sign anything new.
    let other = H256([6; 32]);
    let (_, out) = feed(
        &mut node,
        1001,
        Message::Proposal(net.proposal(0, 0, other, None, None)),
    );
    let mut votes = sent_votes(&out);
    votes.extend(sent_votes(&answer_validity(&mut node, 1002, &out, true)));
    assert!(votes.iter().all(|s| signed.contains(s)));

    // Round 1 with a fresh proposal for another value: locked on v, it prevotes nil (line 23).
    let (_, out) = {
        let r = node.handle(
            Timestamp(1100),
            Input::Timeout(Timer {
                partition: PartitionId(0),
                height: Height(0),
                round: Round(0),
                kind: TimeoutKind::Precommit,
            }),
        );
        (r, node.drain_outputs())
    };
    log(&mut records, &out);
    assert_eq!(
        node.partition_state(PartitionId(0)).unwrap().round,
        Round(1)
    );
    {
        let (_, out) = feed(
            &mut node,
            1101,
            Message::Proposal(net.proposal(0, 1, other, None, None)),
        );
        // `other` was already judged valid in round 0, so no request: it prevotes at once.
        let mut pv = sent_votes(&out);
        pv.extend(sent_votes(&answer_validity(&mut node, 1102, &out, true)));
        assert_eq!(pv.len(), 1);
        assert_eq!(pv[0].vote.round, Round(1));
        assert_eq!(pv[0].vote.value, None, "locked on another value");
    }
}

#[test]
fn checkpoints_replace_the_log_and_restore_the_height() {
    let config = Config {
        checkpoint_every: 1,
        ..Config::default()
    };
    let net = Net::<T>::new(4, config);
    let me = ValidatorIndex(0);
    let mut records = Vec::new();
    let mut node = net.node(me);
    log(&mut records, &node.drain_outputs());
    // Decide heights 0..3 from commit certificates assembled from the others' precommits.
    for h in 0..3u64 {
        let v = H256([h as u8 + 1; 32]);
        let others = net.others(me);
        let mut out_all = Vec::new();
        for &o in &others {
            let (_, out) = feed(
                &mut node,
                10 * h + 1,
                Message::Vote(net.vote(o, h, 0, VoteKind::Precommit, Some(v))),
            );
            out_all.extend(out);
        }
        log(&mut records, &out_all);
        assert!(out_all.iter().any(|o| matches!(o, Output::Checkpoint(_))));
    }
    assert_eq!(
        node.partition_state(PartitionId(0)).unwrap().height,
        Height(3)
    );
    assert!(matches!(records[0], Record::Snapshot(_)));
    assert!(
        records.len() <= 4,
        "log compacted: {} records",
        records.len()
    );
    let node = restart(&net, me, &records, 100);
    assert_eq!(
        node.partition_state(PartitionId(0)).unwrap().height,
        Height(3)
    );
    assert_eq!(node.recent_decisions(PartitionId(0)).count(), 3);
}
