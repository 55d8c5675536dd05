//! Helpers to drive one node by hand with messages signed by the other validators.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use zg_consensus::{
    Certificate, Config, Consensus, Height, Message, Node, PartitionId, Proposal, Round, Scheme,
    SignedProposal, SignedVote, StakeTable, ValidatorIndex, ValidatorSet, Vote, VoteKind,
};
use zg_core::machine::{Input, Machine, Output};
use zg_core::{Amount, Epoch, H256, NodeId, Timestamp};

/// A network of `n` equal-stake validators for hand-driven tests.
pub struct Net<S: Scheme> {
    pub config: Config,
    pub secrets: Vec<S::SecretKey>,
    pub set: Arc<ValidatorSet<S>>,
}

/// The secret key of test validator `i` (node `i`), by the workspace's one derivation.
pub fn key<S: Scheme>(i: usize) -> S::SecretKey {
    zg_vrf::NodeKeys::<S>::derive(b"zgc/test", NodeId(i as u64)).bls
}

impl<S: Scheme> Net<S> {
    pub fn new(n: usize, config: Config) -> Self {
        let keys: Vec<zg_vrf::NodeKeys<S>> = (0..n)
            .map(|i| zg_vrf::NodeKeys::derive(b"zgc/test", NodeId(i as u64)))
            .collect();
        let entries = keys.iter().map(|k| k.entry(Amount::new(100))).collect();
        let table = StakeTable::new(Epoch(0), entries, Amount::new(1)).unwrap();
        let secrets: Vec<S::SecretKey> = keys.into_iter().map(|k| k.bls).collect();
        let set = Arc::new(ValidatorSet::from_stake_table(config.network, &table).unwrap());
        Net {
            config,
            secrets,
            set,
        }
    }

    /// The secret key of the validator at set index `i`.
    pub fn secret_at(&self, i: ValidatorIndex) -> &S::SecretKey {
        let key = &self.set.get(i).unwrap().public_key;
        self.secrets
            .iter()
            .find(|s| S::public_key(s) == *key)
            .unwrap()
    }

    /// A fresh node holding the key of set index `me`.
    pub fn node(&self, me: ValidatorIndex) -> Node<S> {
        let key = &self.set.get(me).unwrap().public_key;
        let i = self
            .secrets
            .iter()
            .position(|s| S::public_key(s) == *key)
            .unwrap();
        Node::restore(
            self.config.clone(),
            Some(self::key::<S>(i)),
            self.set.clone(),
            &[],
            Timestamp::ZERO,
        )
        .unwrap()
    }

    pub fn vote(
        &self,
        by: ValidatorIndex,
        height: u64,
        round: u32,
        kind: VoteKind,
        value: Option<H256>,
    ) -> SignedVote<S> {
        let vote = Vote {
            partition: PartitionId(0),
            epoch: Epoch(0),
            height: Height(height),
            round: Round(round),
            kind,
            value,
            validator: by,
        };
        let signature = S::sign(self.secret_at(by), &vote.signing_bytes(self.config.network));
        SignedVote { vote, signature }
    }

    /// A vote whose signature is over another message (a forgery).
    pub fn forged_vote(
        &self,
        by: ValidatorIndex,
        height: u64,
        round: u32,
        kind: VoteKind,
        value: Option<H256>,
    ) -> SignedVote<S> {
        let mut v = self.vote(by, height, round, kind, value);
        let mut other = v.vote;
        other.round = Round(round + 1000);
        v.signature = S::sign(
            self.secret_at(by),
            &other.signing_bytes(self.config.network),
        );
        v
    }

    pub fn proposer(&self, height: u64, round: u32) -> ValidatorIndex {
        self.set
            .proposer(PartitionId(0), Height(height), Round(round))
    }

    pub fn proposal(
        &self,
        height: u64,
        round: u32,
        value: H256,
        valid_round: Option<u32>,
        proof_of_lock: Option<Certificate<S>>,
    ) -> Arc<SignedProposal<S>> {
        let proposer = self.proposer(height, round);
        let proposal = Proposal {
            partition: PartitionId(0),
            epoch: Epoch(0),
            height: Height(height),
            round: Round(round),
            value,
            valid_round: valid_round.map(Round),
            proposer,
        };
        let signature = S::sign(
            self.secret_at(proposer),
            &proposal.signing_bytes(self.config.network),
        );
        Arc::new(SignedProposal {
            proposal,
            signature,
            proof_of_lock,
        })
    }

    /// Indices other than `me`, in order.
    pub fn others(&self, me: ValidatorIndex) -> Vec<ValidatorIndex> {
        (0..self.set.len() as u16)
            .map(ValidatorIndex)
            .filter(|&i| i != me)
            .collect()
    }
}

/// Feeds a message and returns the outputs.
pub fn feed<S: Scheme>(
    node: &mut Node<S>,
    now: u64,
    message: Message<S>,
) -> (Result<(), zg_consensus::Error>, Vec<Output<Consensus<S>>>) {
    let r = node.handle(
        Timestamp(now),
        Input::Message {
            from: NodeId(99),
            message,
        },
    );
    (r, node.drain_outputs())
}

/// Feeds a command and returns the outputs.
pub fn command<S: Scheme>(
    node: &mut Node<S>,
    now: u64,
    c: zg_consensus::Command<S>,
) -> (Result<(), zg_consensus::Error>, Vec<Output<Consensus<S>>>) {
    let r = node.handle(Timestamp(now), Input::Command(c));
    (r, node.drain_outputs())
}

/// The votes a list of outputs sends.
pub fn sent_votes<S: Scheme>(outputs: &[Output<Consensus<S>>]) -> Vec<SignedVote<S>> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Send {
                message: Message::Vote(v),
                ..
            } => Some(v.clone()),
            _ => None,
        })
        .collect()
}

/// Answers every Validate request with `valid` and returns the outputs that follow.
pub fn answer_validity<S: Scheme>(
    node: &mut Node<S>,
    now: u64,
    outputs: &[Output<Consensus<S>>],
    valid: bool,
) -> Vec<Output<Consensus<S>>> {
    let mut out = Vec::new();
    for o in outputs {
        if let Output::Request(zg_consensus::Request::Validate {
            partition,
            height,
            value,
        }) = o
        {
            let (_, more) = command(
                node,
                now,
                zg_consensus::Command::Validity {
                    partition: *partition,
                    height: *height,
                    value: *value,
                    valid,
                },
            );
            out.extend(more);
        }
    }
    out
}

/// A commit certificate for `value` at `height` (round 0) signed by the first `signers` indices.
pub fn commit_cert<S: Scheme>(
    net: &Net<S>,
    height: u64,
    value: H256,
    signers: u16,
) -> Certificate<S> {
    let votes: Vec<SignedVote<S>> = (0..signers)
        .map(|i| {
            net.vote(
                ValidatorIndex(i),
                height,
                0,
                VoteKind::Precommit,
                Some(value),
            )
        })
        .collect();
    let mut bitmap = zg_consensus::SignerBitmap::new(net.set.len() as u16);
    for i in 0..signers {
        bitmap.insert(ValidatorIndex(i));
    }
    Certificate {
        partition: PartitionId(0),
        epoch: Epoch(0),
        height: Height(height),
        round: Round(0),
        kind: VoteKind::Precommit,
        value,
        signers: bitmap,
        signature: S::aggregate_signatures(votes.iter().map(|v| &v.signature)).unwrap(),
    }
}

/// The messages a list of outputs sends, with their recipients.
pub fn sent<S: Scheme>(
    outputs: &[Output<Consensus<S>>],
) -> Vec<(zg_core::machine::Recipient, Message<S>)> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Send { to, message } => Some((to.clone(), message.clone())),
            _ => None,
        })
        .collect()
}
