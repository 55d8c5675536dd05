//! Scale: 1,000 partitions in one process, and the memory of a partition.

// In tests a panic is a failure report, and casts work on small test sizes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

mod common;

use common::Net;
use zg_consensus::{
    Bls, Config, InsecureTestScheme as T, Message, PartitionId, ValidatorIndex, VoteKind,
};
use zg_core::Timestamp;
use zg_core::machine::Machine;
use zg_testkit::consensus::{Behaviour, Scenario, run};

/// Every node of a 4-validator network runs 1,000 partitions in one host instance; every
/// partition decides (one Byzantine validator, a little loss).
#[test]
fn thousand_partitions_in_one_process() {
    let s = Scenario {
        validators: 4,
        byzantine: 1,
        behaviour: Behaviour::Mixed,
        partitions: 1000,
        heights: 2,
        seed: 7,
        loss: 0.01,
        stabilise_at: Some(Timestamp::from_secs(2)),
        ..Scenario::default()
    };
    let r = run::<T>(&s);
    assert!(r.completed, "{r:?}");
    assert_eq!(r.safety_violations, 0);
    assert!(r.decisions >= 2000);
}

/// The memory a partition costs: inline state plus heap, idle (between heights, nothing in
/// flight), with a full history of commit certificates, and in the middle of a height.
#[test]
fn partition_memory_is_small() {
    let net = Net::<Bls>::new(
        31,
        Config {
            partitions: 1000,
            ..Config::default()
        },
    );
    let mut node = net.node(ValidatorIndex(0));
    node.drain_outputs();
    let (inline, heap) = node.partition_memory(PartitionId(17)).unwrap();
    println!("idle partition (BLS, n = 31): {inline} bytes inline + {heap} heap");
    assert!(inline + heap < 1024, "{inline} + {heap}");
    // Decide eight heights of partition 0 from certificates: the history fills up.
    for h in 0..8 {
        let cert = common::commit_cert(&net, h, zg_core::H256([h as u8 + 1; 32]), 21);
        common::feed(&mut node, h, Message::Decision(std::sync::Arc::new(cert)))
            .0
            .unwrap();
    }
    let (inline, heap) = node.partition_memory(PartitionId(0)).unwrap();
    println!("partition with 8 certificates kept: {inline} bytes inline + {heap} heap");
    assert!(heap < 4096, "{heap}");
    // Mid-height: a proposal and every prevote received.
    let v = zg_core::H256([0x55; 32]);
    let (_, out) = common::feed(
        &mut node,
        100,
        Message::Proposal(net.proposal(8, 0, v, None, None)),
    );
    common::answer_validity(&mut node, 101, &out, true);
    for i in 1..31u16 {
        let vote = net.vote(ValidatorIndex(i), 8, 0, VoteKind::Prevote, Some(v));
        common::feed(&mut node, 102, Message::Vote(vote)).0.unwrap();
    }
    let (inline, heap) = node.partition_memory(PartitionId(0)).unwrap();
    println!("partition mid-height with 31 prevotes: {inline} bytes inline + {heap} heap");
}

/// The full-size run behind the bench number: 1,000 partitions × 31 validators × 10 heights
/// in one process (keyed-hash scheme). Not in CI:
/// `cargo test --release -p zg-consensus --test scale -- --ignored --nocapture`.
#[test]
#[ignore = "long: ~2-5 minutes in release"]
fn thousand_partitions_thirty_one_validators_ten_heights() {
    let started = std::time::Instant::now();
    let r = run::<T>(&Scenario {
        validators: 31,
        byzantine: 0,
        partitions: 1000,
        heights: 10,
        seed: 1,
        deadline: Timestamp::from_secs(3600),
        ..Scenario::default()
    });
    println!("{r:?}\nwall {:?}", started.elapsed());
    assert!(r.completed);
    assert_eq!(r.safety_violations, 0);
}
