//! The upon-rules of Algorithm 1 one by one, on a single hand-driven validator (n = 4, equal
//! stake: quorum 3, round-skip threshold 2).

// In tests a panic is a failure report, and casts work on small test sizes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

mod common;

use common::{Net, answer_validity, feed, sent_votes};
use zg_consensus::{
    Certificate, Config, Consensus, Height, InsecureTestScheme as T, Message, Node, PartitionId,
    Round, SignerBitmap, Step, TimeoutKind, Timer, ValidatorIndex, VoteKind,
};
use zg_core::machine::{Input, Machine, Output};
use zg_core::{Epoch, H256, Timestamp};

struct Bench {
    net: Net<T>,
    me: ValidatorIndex,
    node: Node<T>,
    now: u64,
}

impl Bench {
    /// A validator that proposes in none of rounds 0..4 of height 0.
    fn new() -> Self {
        let net = Net::<T>::new(4, Config::default());
        let me = (0..4)
            .map(ValidatorIndex)
            .find(|&i| (0..4).all(|r| net.proposer(0, r) != i))
            .unwrap_or(ValidatorIndex(0));
        let mut node = net.node(me);
        node.drain_outputs();
        Bench {
            net,
            me,
            node,
            now: 0,
        }
    }

    fn others(&self) -> Vec<ValidatorIndex> {
        self.net.others(self.me)
    }

    fn msg(&mut self, m: Message<T>) -> Vec<Output<Consensus<T>>> {
        self.now += 1;
        let (r, out) = feed(&mut self.node, self.now, m);
        r.unwrap();
        let more = answer_validity(&mut self.node, self.now, &out, true);
        let mut all = out;
        all.extend(more);
        all
    }

    fn vote(
        &mut self,
        by: ValidatorIndex,
        round: u32,
        kind: VoteKind,
        v: Option<H256>,
    ) -> Vec<Output<Consensus<T>>> {
        let sv = self.net.vote(by, 0, round, kind, v);
        self.msg(Message::Vote(sv))
    }

    fn timeout(&mut self, round: u32, kind: TimeoutKind) -> Vec<Output<Consensus<T>>> {
        self.now += 1;
        self.node
            .handle(
                Timestamp(self.now),
                Input::Timeout(Timer {
                    partition: PartitionId(0),
                    height: Height(0),
                    round: Round(round),
                    kind,
                }),
            )
            .unwrap();
        self.node.drain_outputs()
    }

    fn state(&self) -> zg_consensus::PartitionState {
        self.node.partition_state(PartitionId(0)).unwrap()
    }

    fn polka(&self, round: u32, v: H256) -> Certificate<T> {
        let votes: Vec<_> = self
            .others()
            .into_iter()
            .map(|i| self.net.vote(i, 0, round, VoteKind::Prevote, Some(v)))
            .collect();
        let mut signers = SignerBitmap::new(4);
        for v in &votes {
            signers.insert(v.vote.validator);
        }
        Certificate {
            partition: PartitionId(0),
            epoch: Epoch(0),
            height: Height(0),
            round: Round(round),
            kind: VoteKind::Prevote,
            value: v,
            signers,
            signature: <T as zg_consensus::Scheme>::aggregate_signatures(
                votes.iter().map(|v| &v.signature),
            )
            .unwrap(),
        }
    }
}

fn timers(out: &[Output<Consensus<T>>]) -> Vec<(TimeoutKind, u32)> {
    out.iter()
        .filter_map(|o| match o {
            Output::ScheduleTimeout { timer, .. } => Some((timer.kind, timer.round.0)),
            _ => None,
        })
        .collect()
}

const V: H256 = H256([1; 32]);
const W: H256 = H256([2; 32]);

#[test]
fn line_22_prevotes_a_valid_proposal_and_nil_for_an_invalid_one() {
    let mut b = Bench::new();
    let (_, out) = feed(
        &mut b.node,
        1,
        Message::Proposal(b.net.proposal(0, 0, V, None, None)),
    );
    let out = answer_validity(&mut b.node, 2, &out, false);
    assert_eq!(
        sent_votes(&out)[0].vote.value,
        None,
        "line 26: invalid → nil"
    );
    let mut b = Bench::new();
    let out = b.msg(Message::Proposal(b.net.proposal(0, 0, V, None, None)));
    let v = sent_votes(&out);
    assert_eq!(v[0].vote.kind, VoteKind::Prevote);
    assert_eq!(v[0].vote.value, Some(V), "line 24");
    assert_eq!(b.state().step, Step::Prevote, "line 27");
}

#[test]
fn proposals_from_anyone_but_the_proposer_are_refused() {
    let mut b = Bench::new();
    let mut p = (*b.net.proposal(0, 0, V, None, None)).clone();
    p.proposal.proposer = b.me;
    let r = b.node.handle(
        Timestamp(1),
        Input::Message {
            from: zg_core::NodeId(0),
            message: Message::Proposal(std::sync::Arc::new(p)),
        },
    );
    assert!(matches!(r, Err(zg_consensus::Error::WrongProposer { .. })));
    assert!(sent_votes(&b.node.drain_outputs()).is_empty());
}

#[test]
fn lines_34_36_44_47_65_polka_lock_and_round_change() {
    let mut b = Bench::new();
    let o = b.others();
    b.msg(Message::Proposal(b.net.proposal(0, 0, V, None, None)));
    // One more prevote for V and one for nil: 2f+1 prevotes of any kind (line 34).
    b.vote(o[0], 0, VoteKind::Prevote, Some(V));
    let out = b.vote(o[1], 0, VoteKind::Prevote, None);
    assert!(timers(&out).contains(&(TimeoutKind::Prevote, 0)), "line 35");
    assert!(sent_votes(&out).is_empty());
    // A third V prevote: polka for V → lock and precommit V (lines 36–41).
    let out = b.vote(o[2], 0, VoteKind::Prevote, Some(V));
    let pc = sent_votes(&out);
    assert_eq!(
        (pc[0].vote.kind, pc[0].vote.value),
        (VoteKind::Precommit, Some(V))
    );
    let s = b.state();
    assert_eq!(s.locked, Some((Round(0), V)));
    assert_eq!(s.valid, Some((Round(0), V)), "lines 42–43");
    assert_eq!(s.step, Step::Precommit);
    // 2f+1 precommits of any kind (line 47) without a decision → timeoutPrecommit.
    b.vote(o[0], 0, VoteKind::Precommit, None);
    let out = b.vote(o[1], 0, VoteKind::Precommit, Some(W));
    assert!(
        timers(&out).contains(&(TimeoutKind::Precommit, 0)),
        "line 48"
    );
    // OnTimeoutPrecommit → StartRound(1) (lines 65–67).
    b.timeout(0, TimeoutKind::Precommit);
    assert_eq!((b.state().round, b.state().step), (Round(1), Step::Propose));
    assert_eq!(
        b.state().locked,
        Some((Round(0), V)),
        "the lock survives the round"
    );
}

#[test]
fn line_44_nil_polka_precommits_nil() {
    let mut b = Bench::new();
    let o = b.others();
    let out = b.timeout(0, TimeoutKind::Propose);
    assert_eq!(
        sent_votes(&out)[0].vote.value,
        None,
        "line 59: timeout → prevote nil"
    );
    b.vote(o[0], 0, VoteKind::Prevote, None);
    let out = b.vote(o[1], 0, VoteKind::Prevote, None);
    let pc = sent_votes(&out);
    assert_eq!(
        (pc[0].vote.kind, pc[0].vote.value),
        (VoteKind::Precommit, None),
        "line 45"
    );
    assert_eq!(b.state().locked, None);
}

#[test]
fn line_61_timeout_prevote_precommits_nil() {
    let mut b = Bench::new();
    b.msg(Message::Proposal(b.net.proposal(0, 0, V, None, None)));
    let out = b.timeout(0, TimeoutKind::Prevote);
    let pc = sent_votes(&out);
    assert_eq!(
        (pc[0].vote.kind, pc[0].vote.value),
        (VoteKind::Precommit, None)
    );
    // Stale timers do nothing: wrong round or step.
    assert!(sent_votes(&b.timeout(0, TimeoutKind::Prevote)).is_empty());
    assert!(sent_votes(&b.timeout(3, TimeoutKind::Propose)).is_empty());
}

#[test]
fn line_28_locked_validator_accepts_a_newer_proof_of_lock_only() {
    let mut b = Bench::new();
    let o = b.others();
    // Lock on V in round 0.
    b.msg(Message::Proposal(b.net.proposal(0, 0, V, None, None)));
    b.vote(o[0], 0, VoteKind::Prevote, Some(V));
    b.vote(o[1], 0, VoteKind::Prevote, Some(V));
    assert_eq!(b.state().locked, Some((Round(0), V)));
    b.timeout(0, TimeoutKind::Precommit);
    // Round 1: W with no proof of lock → nil (line 23: locked on another value).
    let out = b.msg(Message::Proposal(b.net.proposal(0, 1, W, None, None)));
    assert_eq!(sent_votes(&out)[0].vote.value, None);
    b.timeout(1, TimeoutKind::Prevote);
    b.timeout(1, TimeoutKind::Precommit);
    // Round 2: W re-proposed with validRound 1 and the proof of 2f+1 prevotes for W in round 1:
    // lockedRound 0 ≤ vr 1, so prevote W (lines 28–30).
    let pol = b.polka(1, W);
    let out = b.msg(Message::Proposal(b.net.proposal(
        0,
        2,
        W,
        Some(1),
        Some(pol),
    )));
    let pv = sent_votes(&out);
    assert_eq!((pv[0].vote.round, pv[0].vote.value), (Round(2), Some(W)));
    // A forged proof of lock is refused outright.
    let mut b2 = Bench::new();
    let mut bad = b2.polka(1, W);
    bad.value = V;
    let r = b2.node.handle(
        Timestamp(9),
        Input::Message {
            from: zg_core::NodeId(0),
            message: Message::Proposal(b2.net.proposal(0, 2, W, Some(1), Some(bad))),
        },
    );
    assert!(r.is_err());
}

#[test]
fn line_28_old_proof_of_lock_does_not_unlock() {
    let mut b = Bench::new();
    let o = b.others();
    // Lock on V in round 1 (after an empty round 0).
    b.timeout(0, TimeoutKind::Propose);
    b.timeout(0, TimeoutKind::Prevote);
    b.timeout(0, TimeoutKind::Precommit);
    b.msg(Message::Proposal(b.net.proposal(0, 1, V, None, None)));
    b.vote(o[0], 1, VoteKind::Prevote, Some(V));
    b.vote(o[1], 1, VoteKind::Prevote, Some(V));
    assert_eq!(b.state().locked, Some((Round(1), V)));
    b.timeout(1, TimeoutKind::Precommit);
    // Round 2: W with a proof of lock from round 0 (older than our lock): nil (line 32).
    let pol = b.polka(0, W);
    let out = b.msg(Message::Proposal(b.net.proposal(
        0,
        2,
        W,
        Some(0),
        Some(pol),
    )));
    assert_eq!(sent_votes(&out)[0].vote.value, None);
}

#[test]
fn line_49_decides_on_precommits_of_any_round() {
    let mut b = Bench::new();
    let o = b.others();
    b.timeout(0, TimeoutKind::Propose);
    b.timeout(0, TimeoutKind::Prevote);
    b.timeout(0, TimeoutKind::Precommit);
    assert_eq!(b.state().round, Round(1));
    // 2f+1 precommits for W in round 0 arrive late: decide W though we are in round 1.
    let mut out = Vec::new();
    for &i in &o {
        out.extend(b.vote(i, 0, VoteKind::Precommit, Some(W)));
    }
    assert!(out.iter().any(|x| matches!(
        x,
        Output::Event(zg_consensus::Event::Decided { value, round, .. }) if *value == W && *round == Round(0)
    )));
    assert_eq!(b.state().height, Height(1));
}

#[test]
fn line_55_skips_to_a_round_with_f_plus_one_senders() {
    let mut b = Bench::new();
    let o = b.others();
    // One validator in round 3 is not enough (weight 1 < f + 1 = 2).
    b.vote(o[0], 3, VoteKind::Prevote, None);
    assert_eq!(b.state().round, Round(0));
    // A second one (any step) is.
    b.vote(o[1], 3, VoteKind::Precommit, None);
    assert_eq!(b.state().round, Round(3));
    // Too far ahead (beyond the lookahead) is ignored.
    b.vote(o[0], 1000, VoteKind::Prevote, None);
    b.vote(o[1], 1000, VoteKind::Prevote, None);
    assert_eq!(b.state().round, Round(3));
}

/// A peer's proof of lock for a newer round becomes our `validValue` (what we would propose),
/// never our lock; a forged one is refused.
#[test]
fn proofs_of_lock_spread_the_latest_valid_value() {
    let mut b = Bench::new();
    b.timeout(0, TimeoutKind::Propose);
    b.timeout(0, TimeoutKind::Prevote);
    b.timeout(0, TimeoutKind::Precommit);
    let pol = b.polka(0, W);
    b.msg(Message::ProofOfLock(std::sync::Arc::new(pol)));
    assert_eq!(b.state().valid, Some((Round(0), W)));
    assert_eq!(b.state().locked, None);
    let mut forged = b.polka(0, V);
    forged.round = Round(1);
    let r = b.node.handle(
        Timestamp(99),
        Input::Message {
            from: zg_core::NodeId(0),
            message: Message::ProofOfLock(std::sync::Arc::new(forged)),
        },
    );
    assert!(r.is_err());
    assert_eq!(b.state().valid, Some((Round(0), W)));
}
