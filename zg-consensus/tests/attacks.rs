//! Attacks of issue 11 driven through the public API, each named after the attack: the
//! attacker's message arrives first, from a sender it is not, with signatures that only verify
//! in aggregate, or as a flood that must stay within the crate's stated bound.

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
    Bls, Config, Event, Height, InsecureTestScheme, Message, Node, PartitionId, Round, Scheme,
    SignedVote, StakeLedger, TimeoutKind, Timer, ValidatorIndex, ValidatorSet, VoteKind,
};
use zg_core::machine::{Input, Machine, Output, Recipient};
use zg_core::{Epoch, H256, NodeId, Timestamp};

type T = InsecureTestScheme;

fn evidence_of<S: Scheme>(
    out: &[Output<zg_consensus::Consensus<S>>],
) -> Vec<Arc<zg_consensus::Evidence<S>>> {
    out.iter()
        .filter_map(|o| match o {
            Output::Event(Event::Equivocation(e)) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

fn from<S: Scheme>(
    node: &mut Node<S>,
    now: u64,
    peer: u64,
    message: Message<S>,
) -> (
    Result<(), zg_consensus::Error>,
    Vec<Output<zg_consensus::Consensus<S>>>,
) {
    let r = node.handle(
        Timestamp(now),
        Input::Message {
            from: NodeId(peer),
            message,
        },
    );
    (r, node.drain_outputs())
}

/// Two colluders swap their signatures on the same prevote (`s_B + X`, `s_C − X` with
/// `X = s_C − s_B`): each vote alone is invalid, the aggregate of the value verifies.
fn swapped<S: Scheme>(net: &Net<S>, b: u16, c: u16, value: Option<H256>) -> [SignedVote<S>; 2] {
    let mut vb = net.vote(ValidatorIndex(b), 0, 0, VoteKind::Prevote, value);
    let mut vc = net.vote(ValidatorIndex(c), 0, 0, VoteKind::Prevote, value);
    core::mem::swap(&mut vb.signature, &mut vc.signature);
    [vb, vc]
}

fn individually_valid<S: Scheme>(net: &Net<S>, v: &SignedVote<S>) -> bool {
    let key = &net.set.get(v.vote.validator).unwrap().public_key;
    S::verify(key, &v.vote.signing_bytes(net.config.network), &v.signature)
}

/// Issue 11 item 4. The colluders' swapped votes are counted as one verified aggregate; then B
/// equivocates. Evidence built from B's stored vote would not verify, so B would never be
/// slashed; the node must emit only evidence that verifies (and still catch a genuine
/// equivocator whose first vote was verified in the same aggregate).
#[test]
fn shifted_signatures_do_not_yield_unverifiable_evidence() {
    let net = Net::<Bls>::new(4, Config::default());
    let mut node = net.node(ValidatorIndex(0));
    node.drain_outputs();
    let v = Some(H256([7; 32]));
    let [vb, vc] = swapped(&net, 1, 2, v);
    assert!(!individually_valid(&net, &vb) && !individually_valid(&net, &vc));
    let vd = net.vote(ValidatorIndex(3), 0, 0, VoteKind::Prevote, v);
    let mut emitted = Vec::new();
    for m in [vb, vc, vd] {
        let (r, out) = from(&mut node, 1, 50, Message::Vote(m));
        r.unwrap();
        emitted.extend(evidence_of(&out));
    }
    // B now signs nil in the same round, genuinely; so does D.
    for by in [1, 3] {
        let nil = net.vote(ValidatorIndex(by), 0, 0, VoteKind::Prevote, None);
        let (r, out) = from(&mut node, 2, 50, Message::Vote(nil));
        r.unwrap();
        emitted.extend(evidence_of(&out));
    }
    for e in &emitted {
        e.verify(&net.set)
            .expect("the node emitted equivocation evidence that does not verify");
    }
    let offenders: Vec<ValidatorIndex> = emitted.iter().map(|e| e.validator()).collect();
    assert_eq!(
        offenders,
        vec![ValidatorIndex(3)],
        "D's equivocation is caught"
    );
}

/// Issue 11 item 4, relaying: a peer still in round 0 is sent the votes we hold of it. A vote
/// that only verified inside an aggregate must not be relayed on its own.
#[test]
fn help_round_does_not_relay_votes_verified_only_in_aggregate() {
    let net = Net::<Bls>::new(4, Config::default());
    let mut node = net.node(ValidatorIndex(0));
    node.drain_outputs();
    let v = Some(H256([7; 32]));
    let [vb, vc] = swapped(&net, 1, 2, v);
    let vd = net.vote(ValidatorIndex(3), 0, 0, VoteKind::Prevote, v);
    for m in [vb, vc, vd] {
        from(&mut node, 1, 50, Message::Vote(m)).0.unwrap();
    }
    // Round 0 times out: the node moves to round 1.
    let timer = Timer {
        partition: PartitionId(0),
        height: Height(0),
        round: Round(0),
        kind: TimeoutKind::Precommit,
    };
    node.handle(Timestamp(5_000), Input::Timeout(timer))
        .unwrap();
    node.drain_outputs();
    assert_eq!(
        node.partition_state(PartitionId(0)).unwrap().round,
        Round(1)
    );
    // A lagging peer relays D's genuine precommit of round 0.
    let trigger = net.vote(ValidatorIndex(3), 0, 0, VoteKind::Precommit, None);
    let (r, out) = from(&mut node, 6_000, 77, Message::Vote(trigger));
    r.unwrap();
    let relayed: Vec<SignedVote<Bls>> = sent(&out)
        .into_iter()
        .filter_map(|(to, m)| match (to, m) {
            (Recipient::One(NodeId(77)), Message::Vote(v)) => Some(v),
            _ => None,
        })
        .collect();
    for v in &relayed {
        assert!(
            individually_valid(&net, v),
            "relayed a vote whose signature is invalid on its own: {:?}",
            v.vote
        );
    }
    assert!(
        relayed
            .iter()
            .any(|r| r.vote.validator == ValidatorIndex(3) && r.vote.kind == VoteKind::Prevote),
        "the genuine votes are still relayed"
    );
}

/// Issue 11 item 6: help for an earlier round used to answer any vote, its signature never
/// checked. A stranger's forged vote of round 0 gets nothing back.
#[test]
fn help_round_ignores_a_forged_trigger() {
    let net = Net::<Bls>::new(4, Config::default());
    let mut node = net.node(ValidatorIndex(0));
    node.drain_outputs();
    let v = Some(H256([7; 32]));
    for by in 1..4 {
        let m = net.vote(ValidatorIndex(by), 0, 0, VoteKind::Prevote, v);
        from(&mut node, 1, 50, Message::Vote(m)).0.unwrap();
    }
    let timer = Timer {
        partition: PartitionId(0),
        height: Height(0),
        round: Round(0),
        kind: TimeoutKind::Precommit,
    };
    node.handle(Timestamp(5_000), Input::Timeout(timer))
        .unwrap();
    node.drain_outputs();
    let forged = net.forged_vote(ValidatorIndex(2), 0, 0, VoteKind::Precommit, None);
    let (_, out) = from(&mut node, 6_000, 666, Message::Vote(forged));
    let to_stranger = sent(&out)
        .into_iter()
        .filter(|(to, _)| *to == Recipient::One(NodeId(666)))
        .count();
    assert_eq!(
        to_stranger, 0,
        "a forged vote bought {to_stranger} relayed votes"
    );
}

/// Issue 11 item 6: forged votes (any claimed validator, every round up to the lookahead, both
/// steps, a fresh value each) used to allocate an n-slot vector per (round, step). The
/// partition must stay within the bound the crate docs state, whatever arrives.
#[test]
fn forged_vote_flood_stays_within_the_stated_bound() {
    let n = 100;
    let net = Net::<T>::new(n, Config::default());
    let mut node = net.node(ValidatorIndex(0));
    node.drain_outputs();
    let (_, before) = node.partition_memory(PartitionId(0)).unwrap();
    let mut k = 0u64;
    for round in 0..=node.config().max_round_lookahead {
        for kind in [VoteKind::Prevote, VoteKind::Precommit] {
            for by in 1..n as u16 {
                k += 1;
                let mut value = [0u8; 32];
                value[..8].copy_from_slice(&k.to_be_bytes());
                let forged = net.forged_vote(ValidatorIndex(by), 0, round, kind, Some(H256(value)));
                let _ = from(&mut node, 1, 1_000 + k, Message::Vote(forged));
            }
        }
    }
    let (_, after) = node.partition_memory(PartitionId(0)).unwrap();
    let grown = after.saturating_sub(before);
    let pending = node.pending_votes(PartitionId(0)).unwrap();
    eprintln!("flood of {k} forged votes: {pending} pending, {grown} heap bytes");
    // The documented bound: MAX_PENDING_PER_VALIDATOR unverified votes per validator index,
    // each with at most one tally of its own (under 1 KiB apiece with this scheme).
    assert!(pending <= zg_consensus::MAX_PENDING_PER_VALIDATOR * n);
    let bound = zg_consensus::MAX_PENDING_PER_VALIDATOR * n * 1024;
    assert!(
        grown <= bound,
        "a forged-vote flood grew the partition by {grown} bytes (bound {bound})"
    );
}

fn server(net: &Net<Bls>, heights: u64) -> Node<Bls> {
    let mut server = net.node(ValidatorIndex(0));
    server.drain_outputs();
    for h in 0..heights {
        let cert = commit_cert(net, h, H256([h as u8 + 10; 32]), 3);
        feed(&mut server, h, Message::Decision(Arc::new(cert)))
            .0
            .unwrap();
    }
    server
}

fn replies(out: &[Output<zg_consensus::Consensus<Bls>>]) -> usize {
    sent(out)
        .iter()
        .filter(|(_, m)| matches!(m, Message::Decisions(_) | Message::Decision(_)))
        .count()
}

/// Issue 11 item 6: catch-up replies were rate limited per (peer, requested height), so a peer
/// counting the height up got a full reply every time.
#[test]
fn sync_requests_counting_up_heights_get_one_reply_per_interval() {
    let net = Net::<Bls>::new(4, Config::default());
    let mut server = server(&net, 6);
    let mut total = 0;
    for h in 0..6 {
        let (_, out) = from(
            &mut server,
            100,
            5,
            Message::SyncRequest {
                partition: PartitionId(0),
                from: Height(h),
            },
        );
        total += replies(&out);
    }
    assert_eq!(
        total, 1,
        "one reply per interval, however the height is chosen"
    );
    // After the interval the peer is served again.
    let later = 100 + server.config().resend_interval_ms;
    let (_, out) = from(
        &mut server,
        later,
        5,
        Message::SyncRequest {
            partition: PartitionId(0),
            from: Height(0),
        },
    );
    assert_eq!(replies(&out), 1);
}

/// Issue 11 item 6: the rate-limit table evicted its oldest entry when full, so 64 other
/// identities reset any peer's limit.
#[test]
fn peer_table_flood_does_not_reset_rate_limits() {
    let net = Net::<Bls>::new(4, Config::default());
    let mut server = server(&net, 3);
    let ask = |server: &mut Node<Bls>, peer: u64| {
        let (_, out) = from(
            server,
            100,
            peer,
            Message::SyncRequest {
                partition: PartitionId(0),
                from: Height(0),
            },
        );
        replies(&out)
    };
    assert_eq!(ask(&mut server, 5), 1);
    let mut flood = 0;
    for peer in 1_000..1_200 {
        flood += ask(&mut server, peer);
    }
    assert_eq!(
        ask(&mut server, 5),
        0,
        "peer 5 was served twice in one interval"
    );
    assert!(flood <= 64, "{flood} replies in one interval (bound 64)");
}

/// Issue 11 item 7: slashing computed `stake · bps / 10000` with a checked multiply, so any
/// stake above `u128::MAX / 10000` could not be slashed at all.
#[test]
fn slashing_a_stake_above_u128_max_over_10000() {
    let big = 10_000u128 * (1u128 << 110) + 9_999;
    assert!(big > u128::MAX / 10_000);
    let secrets: Vec<_> = (0..4u8)
        .map(|i| T::secret_key_from_seed(&[i + 1; 32]))
        .collect();
    let members = secrets
        .iter()
        .zip([big, 1, 1, 1])
        .map(|(s, w)| (T::public_key(s), w))
        .collect();
    let set = Arc::new(ValidatorSet::<T>::new(H256([3; 32]), Epoch(0), members).unwrap());
    let mut ledger = StakeLedger::new(set.clone(), 500, 4).unwrap();
    let offender = set.index_of(&T::public_key(&secrets[0])).unwrap();
    let vote = |value: Option<H256>| {
        let v = zg_consensus::Vote {
            partition: PartitionId(0),
            epoch: Epoch(0),
            height: Height(1),
            round: Round(0),
            kind: VoteKind::Precommit,
            value,
            validator: offender,
        };
        SignedVote {
            signature: T::sign(&secrets[0], &v.signing_bytes(set.network())),
            vote: v,
        }
    };
    let evidence = zg_consensus::Evidence::new(vote(None), vote(Some(H256([1; 32])))).unwrap();
    let slashing = ledger.apply_evidence(&evidence).unwrap();
    // floor(big · 500 / 10000) = 500 · 2^110 + floor(9999 · 500 / 10000).
    assert_eq!(slashing.amount.units(), 500 * (1u128 << 110) + 499);
    assert!(ledger.is_slashed(&T::public_key(&secrets[0])));
}

fn redeemable(net: &Net<Bls>, destination: u64) -> zg_consensus::BurnReceipt<Bls> {
    let burn = zg_consensus::BurnEvent {
        sender: H256([1; 32]),
        recipient: H256([2; 32]),
        destination,
        token: H256::ZERO,
        amount: zg_core::Amount::new(5_000),
        nonce: 0,
    };
    let batch = zg_consensus::BurnBatch::new(H256([3; 32]), vec![burn]);
    let cert = commit_cert(net, 1, batch.commitment().value_id(), 3);
    batch.receipt(0, cert).unwrap()
}

/// Issue 11 item 5: the redeemer never compared a burn's destination with its own chain, so one
/// burn was minted on every destination chain running a redeemer.
#[test]
fn burn_replayed_on_another_destination_is_refused() {
    use zg_consensus::{RedeemCommand, Redeemer};
    let net = Net::<Bls>::new(4, Config::default());
    let receipt = redeemable(&net, 16600);
    let mut minted = 0;
    for chain in [16600u64, 1, 56] {
        let mut redeemer =
            Redeemer::<Bls>::restore(net.config.network, net.config.heights_per_epoch, chain, &[]);
        redeemer
            .handle(
                Timestamp(0),
                Input::Command(RedeemCommand::add_epoch(&net.set, &net.table).unwrap()),
            )
            .unwrap();
        let r = redeemer.handle(
            Timestamp(1),
            Input::Command(RedeemCommand::Redeem(Box::new(receipt.clone()))),
        );
        if r.is_ok() {
            minted += 1;
            assert_eq!(chain, 16600);
        } else {
            assert_eq!(
                r,
                Err(zg_consensus::Error::WrongDestination {
                    expected: chain,
                    got: 16600
                })
            );
        }
    }
    assert_eq!(minted, 1, "one burn minted on {minted} chains");
}

/// Issue 11 item 5: `AddEpoch` took bare keys, so a relayed epoch could carry a rogue key (one
/// chosen to cancel others in an aggregate) that no proof of possession backs.
#[test]
fn epoch_with_a_key_lacking_proof_of_possession_is_refused() {
    use zg_consensus::{RedeemCommand, Redeemer};
    let net = Net::<Bls>::new(4, Config::default());
    let Ok(RedeemCommand::AddEpoch { epoch, mut members }) =
        RedeemCommand::add_epoch(&net.set, &net.table)
    else {
        panic!("add_epoch");
    };
    // Member 2's proof replaced by member 1's: each proof is valid, just not for that key.
    members[2].proof_of_possession = members[1].proof_of_possession;
    let mut redeemer = Redeemer::<Bls>::restore(net.config.network, 1000, 16600, &[]);
    let r = redeemer.handle(
        Timestamp(0),
        Input::Command(RedeemCommand::AddEpoch { epoch, members }),
    );
    assert_eq!(r, Err(zg_consensus::Error::InvalidProofOfPossession));
    assert!(redeemer.drain_outputs().is_empty(), "nothing persisted");
    // The epoch stays unknown: receipts from it are refused.
    let r = redeemer.handle(
        Timestamp(1),
        Input::Command(RedeemCommand::Redeem(Box::new(redeemable(&net, 16600)))),
    );
    assert_eq!(r, Err(zg_consensus::Error::UnknownEpoch { epoch: 0 }));
}

/// The proof of lock travels beside the proposal's signature, not under it. A stranger strips
/// it from a re-proposal and delivers that copy first: the node used to keep the stripped copy
/// as the round's proposal and ignore the genuine one, so it could never accept the value
/// (line 28 needs the 2f+1 prevotes the proof carries).
#[test]
fn stripped_proof_of_lock_placed_first_does_not_censor_the_proof() {
    let net = Net::<Bls>::new(4, Config::default());
    let mut node = net.node(ValidatorIndex(0));
    node.drain_outputs();
    let round = (1..20u32)
        .find(|&r| net.proposer(0, r) != ValidatorIndex(0))
        .unwrap();
    for r in 0..round {
        let timer = Timer {
            partition: PartitionId(0),
            height: Height(0),
            round: Round(r),
            kind: TimeoutKind::Precommit,
        };
        node.handle(Timestamp(1_000 * u64::from(r + 1)), Input::Timeout(timer))
            .unwrap();
    }
    node.drain_outputs();
    assert_eq!(
        node.partition_state(PartitionId(0)).unwrap().round,
        Round(round)
    );
    let v = H256([9; 32]);
    let prevotes: Vec<SignedVote<Bls>> = (1..4)
        .map(|i| net.vote(ValidatorIndex(i), 0, 0, VoteKind::Prevote, Some(v)))
        .collect();
    let mut signers = zg_consensus::SignerBitmap::new(4);
    for i in 1..4 {
        signers.insert(ValidatorIndex(i));
    }
    let proof = zg_consensus::Certificate {
        partition: PartitionId(0),
        epoch: Epoch(0),
        height: Height(0),
        round: Round(0),
        kind: VoteKind::Prevote,
        value: v,
        signers,
        signature: Bls::aggregate_signatures(prevotes.iter().map(|p| &p.signature)).unwrap(),
    };
    proof.verify(&net.set).unwrap();
    let genuine = net.proposal(0, round, v, Some(0), Some(proof));
    let mut stripped = (*genuine).clone();
    stripped.proof_of_lock = None;
    let now = 100_000;
    let (_, mut out) = from(&mut node, now, 666, Message::Proposal(Arc::new(stripped)));
    let (r, more) = from(&mut node, now, 50, Message::Proposal(genuine));
    r.unwrap();
    out.extend(more);
    let after = common::answer_validity(&mut node, now, &out, true);
    let prevoted: Vec<_> = common::sent_votes(&after)
        .into_iter()
        .chain(common::sent_votes(&out))
        .filter(|s| s.vote.round == Round(round) && s.vote.kind == VoteKind::Prevote)
        .map(|s| s.vote.value)
        .collect();
    assert_eq!(
        prevoted,
        vec![Some(v)],
        "line 28 accepts the re-proposed value"
    );
}
