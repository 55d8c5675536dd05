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

fn evidence_of<S: Scheme>(out: &[Output<zg_consensus::Consensus<S>>]) -> Vec<Arc<zg_consensus::Evidence<S>>> {
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
) -> (Result<(), zg_consensus::Error>, Vec<Output<zg_consensus::Consensus<S>>>) {
    let r = node.handle(
        Timestamp(now),
        Input::Message {
            from: NodeId(peer),
            message,
        },
    );
    (r, node.drain_outputs())
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
        let mut redeemer = Redeemer::<Bls>::restore(
            net.config.network,
            net.config.heights_per_epoch,
            chain,
            &[],
        );
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
