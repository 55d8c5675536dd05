//! The Redeemer machine under arbitrary sequences of epoch announcements (in any order,
//! repeated, or replayed with other members), receipts (genuine, signed by too few validators or
//! by another epoch's validators, or tampered in the event, index, proof, commitment or
//! certificate, or certified for another destination chain), epochs whose keys' proofs of
//! possession do not match, and restarts from the persisted records. Uses the insecure test scheme so each
//! run is cheap; the certificate logic is the same as with BLS.
//!
//! Asserted against a plain model: a receipt is accepted exactly when it is genuine (a quorum of
//! its epoch's validators signed the precommit for its value, and nothing was altered), its epoch
//! is known with the true members and matches its height, and its burn was not redeemed before
//! — so no burn is ever redeemed twice (across restarts too), none without a valid
//! certificate, and none for another destination; an epoch with an unbacked key is refused. Each acceptance outputs `Persist(Redeemed(id))` before the `Redeemed` event,
//! with the committed event; a refusal and a repeated epoch output nothing.
#![no_main]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zg_consensus::{
    BurnBatch, BurnEvent, BurnId, Certificate, EpochMember, Height, InsecureTestScheme as T,
    PartitionId, RedeemCommand, RedeemRecord, Redeemed, Redeemer, Round, Scheme, SignerBitmap,
    ValidatorIndex, ValidatorSet, Vote, VoteKind,
};
use zg_core::machine::{Input as MInput, Machine, Output};
use zg_core::{Amount, Epoch, H256, Timestamp};

const NETWORK: H256 = H256([5; 32]);
const HEIGHTS_PER_EPOCH: u64 = 8;
const EPOCHS: u64 = 4;
const KEYS: usize = 7;
/// The chain the redeemer mints on (every genuine burn here is for it).
const DESTINATION: u64 = 7;

type Key = <T as Scheme>::SecretKey;

struct Fixture {
    keys: Vec<Key>,
    /// Epoch e's validators: keys e..e+4, weights 1, 2, 3, 4.
    sets: Vec<ValidatorSet<T>>,
    /// The other member list an epoch may be announced with first.
    alt_sets: Vec<ValidatorSet<T>>,
}

fn members(e: u64, alt: bool) -> Vec<(<T as Scheme>::PublicKey, u128)> {
    let f = fixture();
    let shift = if alt { 3 } else { 0 };
    (0..4)
        .map(|i| {
            let k = &f.keys[(e as usize + i + shift) % KEYS];
            (T::public_key(k), i as u128 + 1)
        })
        .collect()
}

/// The `AddEpoch` rows of `members`, each with its key's proof of possession.
fn epoch_members(e: u64, alt: bool) -> Vec<EpochMember<T>> {
    let f = fixture();
    let shift = if alt { 3 } else { 0 };
    (0..4)
        .map(|i| {
            let k = &f.keys[(e as usize + i + shift) % KEYS];
            EpochMember {
                public_key: T::public_key(k),
                weight: i as u128 + 1,
                proof_of_possession: T::prove_possession(k),
            }
        })
        .collect()
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let keys: Vec<Key> = (0..KEYS as u8)
            .map(|i| T::secret_key_from_seed(&[i + 1; 32]))
            .collect();
        let sets = (0..=EPOCHS)
            .map(|e| {
                let m = (0..4)
                    .map(|i| (T::public_key(&keys[(e as usize + i) % KEYS]), i as u128 + 1))
                    .collect();
                ValidatorSet::new(NETWORK, Epoch(e), m).unwrap()
            })
            .collect();
        let alt_sets = (0..=EPOCHS)
            .map(|e| {
                let m = (0..4)
                    .map(|i| {
                        (
                            T::public_key(&keys[(e as usize + i + 3) % KEYS]),
                            i as u128 + 1,
                        )
                    })
                    .collect();
                ValidatorSet::new(NETWORK, Epoch(e), m).unwrap()
            })
            .collect();
        Fixture {
            keys,
            sets,
            alt_sets,
        }
    })
}

fn batch(partition: u8, height: u64, destination: u64) -> BurnBatch {
    let n = 1 + (usize::from(partition) + height as usize) % 5;
    let events = (0..n)
        .map(|i| BurnEvent {
            sender: H256([i as u8; 32]),
            recipient: H256([partition; 32]),
            destination,
            token: H256([3; 32]),
            amount: Amount::new(1000 + height as u128 * 10 + i as u128),
            nonce: height * 100 + i as u64,
        })
        .collect();
    BurnBatch::new(H256([partition ^ height as u8; 32]), events)
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Tamper {
    None,
    Amount(u8),
    Index(u8),
    ProofFlip(u8),
    BurnCount,
    CertEpoch,
    CertHeight(u8),
    CertPartition,
    CertRound,
    Prevote,
    Value,
    /// Signed by the next epoch's validators (same bitmap positions).
    OtherSigners,
    /// An extra signer claimed in the bitmap who did not sign.
    ClaimExtra,
    /// A genuinely certified burn, but for another destination chain (a replay).
    OtherDestination(u8),
}

#[derive(Arbitrary, Debug)]
enum Step {
    AddEpoch {
        epoch: u8,
        alt: bool,
        /// Two members' proofs of possession swapped: each valid, neither for its key.
        bad_pop: bool,
    },
    Redeem {
        partition: u8,
        height: u8,
        index: u8,
        signers: u8,
        tamper: Tamper,
    },
    Restart,
}

fuzz_target!(|steps: Vec<Step>| {
    let f = fixture();
    let mut records: Vec<RedeemRecord<T>> = Vec::new();
    let mut r = Redeemer::<T>::restore(NETWORK, HEIGHTS_PER_EPOCH, DESTINATION, &records);
    // Model: epochs known (with the true members or not), burns redeemed.
    let mut epochs: BTreeMap<u64, bool> = BTreeMap::new();
    let mut redeemed: BTreeSet<BurnId> = BTreeSet::new();
    let now = Timestamp(0);
    for step in steps.into_iter().take(48) {
        match step {
            Step::AddEpoch {
                epoch,
                alt,
                bad_pop,
            } => {
                let e = u64::from(epoch) % (EPOCHS + 1);
                let mut rows = epoch_members(e, alt);
                if bad_pop {
                    let p0 = rows[0].proof_of_possession.clone();
                    rows[0].proof_of_possession = rows[1].proof_of_possession.clone();
                    rows[1].proof_of_possession = p0;
                }
                let res = r.handle(
                    now,
                    MInput::Command(RedeemCommand::AddEpoch {
                        epoch: Epoch(e),
                        members: rows,
                    }),
                );
                let out = r.drain_outputs();
                if bad_pop && !epochs.contains_key(&e) {
                    assert_eq!(res, Err(zg_consensus::Error::InvalidProofOfPossession));
                    assert!(
                        out.is_empty(),
                        "an epoch with an unbacked key output {out:?}"
                    );
                    continue;
                }
                assert!(res.is_ok(), "valid members refused: {res:?}");
                if epochs.contains_key(&e) {
                    assert!(out.is_empty(), "a known epoch was announced again: {out:?}");
                } else {
                    epochs.insert(e, !alt);
                    assert_eq!(out.len(), 1);
                    match out.into_iter().next() {
                        Some(Output::Persist(rec @ RedeemRecord::Epoch(_))) => {
                            if let RedeemRecord::Epoch(set) = &rec {
                                assert_eq!(set.epoch(), Epoch(e));
                                let mut want = members(e, alt);
                                want.sort();
                                assert_eq!(set.members(), want, "stored other members");
                            }
                            records.push(rec);
                        }
                        other => panic!("AddEpoch output {other:?}"),
                    }
                }
            }
            Step::Restart => {
                r = Redeemer::<T>::restore(NETWORK, HEIGHTS_PER_EPOCH, DESTINATION, &records);
                assert_eq!(r.redeemed(), redeemed.len());
            }
            Step::Redeem {
                partition,
                height,
                index,
                signers,
                tamper,
            } => {
                let partition_id = u32::from(partition % 3);
                let height = u64::from(height) % (HEIGHTS_PER_EPOCH * (EPOCHS + 1));
                let epoch = height / HEIGHTS_PER_EPOCH;
                let destination = match tamper {
                    Tamper::OtherDestination(x) => DESTINATION + 1 + u64::from(x),
                    _ => DESTINATION,
                };
                let b = batch(partition % 3, height, destination);
                let count = b.commitment().burn_count;
                let index = u64::from(index) % count;
                let value = b.commitment().value_id();
                // Sign with the epoch's true validators (or the next epoch's keys).
                let signing_epoch = match tamper {
                    Tamper::OtherSigners => epoch + 1,
                    _ => epoch,
                };
                let signing_set = &f.sets[(signing_epoch % (EPOCHS + 1)) as usize];
                // The secret key behind a public key of the fixture.
                let secret = |pk: &<T as Scheme>::PublicKey| {
                    f.keys
                        .iter()
                        .find(|k| T::public_key(k) == *pk)
                        .copied()
                        .unwrap()
                };
                // Public keys that signed, by bitmap position.
                let mut signed_keys = Vec::new();
                let mut bitmap = SignerBitmap::new(4);
                let mut sigs = Vec::new();
                let vote = |validator: u16| Vote {
                    partition: PartitionId(partition_id),
                    epoch: Epoch(epoch),
                    height: Height(height),
                    round: Round(0),
                    kind: VoteKind::Precommit,
                    value: Some(value),
                    validator: ValidatorIndex(validator),
                };
                for i in 0..4u16 {
                    if signers >> i & 1 == 1 {
                        bitmap.insert(ValidatorIndex(i));
                        // Position i of the (true or next) epoch's set, sorted by key.
                        let pk = signing_set.get(ValidatorIndex(i)).unwrap().public_key;
                        signed_keys.push((i, pk));
                        sigs.push(T::sign(&secret(&pk), &vote(i).signing_bytes(NETWORK)));
                    }
                }
                if matches!(tamper, Tamper::ClaimExtra) {
                    let missing = (0..4u16).find(|&i| signers >> i & 1 == 0);
                    match missing {
                        Some(i) => {
                            bitmap.insert(ValidatorIndex(i));
                        }
                        None => continue,
                    }
                }
                let signature = match T::aggregate_signatures(&sigs) {
                    Some(s) => s,
                    None => T::sign(&f.keys[0], b"nothing"),
                };
                // Weight of the signers, in the epoch's true set (its index order).
                let signed = if signers & 0xf == 0 {
                    SignerBitmap::new(4)
                } else {
                    let mut s = SignerBitmap::new(4);
                    for i in 0..4u16 {
                        if signers >> i & 1 == 1 {
                            s.insert(ValidatorIndex(i));
                        }
                    }
                    s
                };
                // Whether these signatures form a valid certificate for a set.
                let valid_for = |set: &ValidatorSet<T>| {
                    signed_keys
                        .iter()
                        .all(|(i, pk)| set.get(ValidatorIndex(*i)).unwrap().public_key == *pk)
                        && set.weight_of(&signed) >= set.quorum()
                };
                let mut cert = Certificate {
                    partition: PartitionId(partition_id),
                    epoch: Epoch(epoch),
                    height: Height(height),
                    round: Round(0),
                    kind: VoteKind::Precommit,
                    value,
                    signers: bitmap,
                    signature,
                };
                let mut receipt = b.receipt(index, cert.clone()).unwrap();
                let mut genuine = true;
                match tamper {
                    Tamper::None => {}
                    Tamper::Amount(x) => {
                        receipt.event.amount =
                            Amount::new(receipt.event.amount.units() + 1 + u128::from(x));
                        genuine = false;
                    }
                    Tamper::Index(x) => {
                        receipt.index = (index + 1 + u64::from(x)) % (count + 1);
                        genuine &= receipt.index == index;
                    }
                    Tamper::ProofFlip(x) => {
                        let n = receipt.proof.lemma.len();
                        receipt.proof.lemma[usize::from(x) % n].0[0] ^= 1;
                        genuine = false;
                    }
                    Tamper::BurnCount => {
                        receipt.commitment.burn_count += 1;
                        genuine = false;
                    }
                    Tamper::CertEpoch => {
                        cert.epoch = Epoch(epoch + 1);
                        genuine = false;
                    }
                    Tamper::CertHeight(x) => {
                        cert.height = Height(height + 1 + u64::from(x % 7));
                        genuine = false;
                    }
                    Tamper::CertPartition => {
                        cert.partition = PartitionId(partition_id + 1);
                        genuine = false;
                    }
                    Tamper::CertRound => {
                        cert.round = Round(1);
                        genuine = false;
                    }
                    Tamper::Prevote => {
                        cert.kind = VoteKind::Prevote;
                        genuine = false;
                    }
                    Tamper::Value => {
                        cert.value = H256([0xee; 32]);
                        genuine = false;
                    }
                    // Signing with the next epoch's keys is only forged where they differ.
                    Tamper::OtherSigners => {}
                    Tamper::ClaimExtra => genuine = false,
                    // Certified, but not for this chain: never minted here.
                    Tamper::OtherDestination(_) => genuine = false,
                }
                if !matches!(
                    tamper,
                    Tamper::None
                        | Tamper::Amount(_)
                        | Tamper::Index(_)
                        | Tamper::ProofFlip(_)
                        | Tamper::BurnCount
                ) {
                    receipt.certificate = cert;
                }
                let id = BurnId {
                    partition: receipt.certificate.partition,
                    height: receipt.certificate.height,
                    index: receipt.index,
                };
                // The set the redeemer holds for the epoch (the first one announced).
                let known = epochs.get(&epoch).map(|&truth| {
                    if truth {
                        &f.sets[epoch as usize]
                    } else {
                        &f.alt_sets[epoch as usize]
                    }
                });
                let certified = known.is_some_and(valid_for);
                let expect = genuine && certified && !redeemed.contains(&id);
                let event = receipt.event.clone();
                let res = r.handle(
                    now,
                    MInput::Command(RedeemCommand::Redeem(Box::new(receipt))),
                );
                let out = r.drain_outputs();
                assert_eq!(
                    res.is_ok(),
                    expect,
                    "untampered={genuine} certified={certified} redeemed_before={}: {res:?}",
                    redeemed.contains(&id)
                );
                if expect {
                    assert!(redeemed.insert(id));
                    assert_eq!(
                        event,
                        b_event(&b, index),
                        "redeemed a burn that was not committed"
                    );
                    assert_eq!(out.len(), 2);
                    let mut out = out.into_iter();
                    match out.next() {
                        Some(Output::Persist(rec @ RedeemRecord::Redeemed(got))) => {
                            assert_eq!(got, id);
                            records.push(rec);
                        }
                        other => panic!("expected the record first, got {other:?}"),
                    }
                    match out.next() {
                        Some(Output::Event(Redeemed { id: got, event: e })) => {
                            assert_eq!(got, id);
                            assert_eq!(e, event);
                        }
                        other => panic!("expected the event, got {other:?}"),
                    }
                } else {
                    assert!(out.is_empty(), "a refused receipt output {out:?}");
                }
                assert!(r.is_redeemed(&id) == redeemed.contains(&id));
                assert_eq!(r.redeemed(), redeemed.len());
            }
        }
    }
});

fn b_event(b: &BurnBatch, index: u64) -> BurnEvent {
    // The batch's own receipt for `index` carries the committed event.
    let cert = Certificate::<T> {
        partition: PartitionId(0),
        epoch: Epoch(0),
        height: Height(0),
        round: Round(0),
        kind: VoteKind::Precommit,
        value: H256::ZERO,
        signers: SignerBitmap::new(0),
        signature: T::sign(&fixture().keys[0], b"x"),
    };
    b.receipt(index, cert).unwrap().event
}
