//! The ledger under arbitrary operation sequences: after every call the invariants hold
//! (funds conserved, nothing negative, refunds only as recorded), a rejected call changes
//! nothing, and settlements signed by anyone but the TEE signer never pay. Compressed batches
//! ride along: commits (honest, tampered, or signed by a stranger), challenges with arbitrary
//! leaves and kinds, forced and posted openings, finalisation. An honest batch is never voided
//! by a challenge or by posting its true opening, a stranger's commitment never commits, and the
//! user's audit of an honest opening finds nothing.
//!
//! The provider's moves against its own batches ride along too: rotating its TEE signer and
//! removing its service (taking its stake back) at any point. Neither may succeed while the
//! provider has a batch open or awaiting an opening, and every fraud proof the user's audit
//! finds — equivocations against the signer of the batch's time included — voids the batch
//! while its window is open, however the provider has moved since.
#![no_main]

use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zg_core::{Amount, H256, Timestamp};
use zg_serving::LedgerError;
use zg_serving::batch::{
    BatchCommitment, BatchOp, BatchOutcome, BatchState, BatchTree, Finding, FraudKind, FraudProof,
    Receipt, SignedReceipt, audit, fee,
};
use zg_serving::eip712::{Domain, SignatureScheme, TeeSettlement};
use zg_serving::eth::{Address, SecretKey, U256};
use zg_serving::ledger::{Call, Ledger, LedgerConfig, Limits, Op, Outcome, ServiceParams, TOKEN};
use zg_serving::settlement::SettlementItem;

const PIN: Amount = Amount::new(1_000);
const POUT: Amount = Amount::new(3_000);

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Tamper {
    Honest,
    Fee,
    Total,
    Hidden,
    Duplicate,
    Stranger,
    /// One receipt bills more output tokens than the one signed at serving time.
    Equivocate,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Kind {
    FeeFormula,
    Sequence,
    Padding,
    TotalMismatch,
    Equivocation(u8),
    /// Whatever the user's audit finds.
    Audit,
}

/// A batch committed in this run: what the provider holds.
struct Committed {
    id: u64,
    user: Address,
    honest: bool,
    opening: Vec<Receipt>,
    tree: BatchTree,
    /// The receipts as signed at serving time, by seq.
    signed: BTreeMap<u64, SignedReceipt>,
    commitment: BatchCommitment,
    /// The TEE signer the batch was committed under.
    signer: Address,
}

#[derive(Arbitrary, Debug)]
enum FOp {
    Deposit(u8, u64),
    Withdraw(u8, u64),
    Transfer(u8, u8, u64),
    Retrieve(u8, Vec<u8>),
    RequestAll(u8, u8),
    Process(u8, u8),
    Settle(u8, Vec<(u8, u64, u8, bool)>),
    Wait(u16),
    Ack(u8, bool),
    RevokeAll(u8, u8),
    Delete(u8),
    BatchCommit(u8, u8, Vec<(u8, u8)>, Tamper, u8),
    BatchChallenge(u8, u8, Kind),
    BatchWithheld(u8),
    BatchPost(u8, bool),
    BatchFinalize(u8, u8),
    WaitHours(u8),
    /// The provider switches to its other TEE key (re-registering if it had left).
    RotateSigner(u8),
    /// The provider removes its service and takes its stake back.
    RemoveService(u8),
}

/// Whether `provider` has a batch open to challenges or awaiting an opening.
fn has_open_batch(l: &Ledger, provider: Address) -> bool {
    l.batches().any(|b| {
        b.commitment.provider == provider
            && matches!(b.state, BatchState::Open | BatchState::AwaitingOpening)
    })
}

fn user(i: u8) -> Address {
    Address([0x10 + i % 4; 20])
}
fn provider(i: u8) -> Address {
    Address([0x20 + i % 2; 20])
}
fn amount(x: u64) -> Amount {
    // Mix whole tokens and dust.
    if x & 1 == 0 {
        Amount::new(u128::from(x % 16) * TOKEN / 2)
    } else {
        Amount::new(u128::from(x >> 1))
    }
}

fuzz_target!(|ops: Vec<FOp>| {
    let owner = Address([0xee; 20]);
    let domain = Domain::new(U256::from(1u64), Address([0xcc; 20]));
    // Provider p signs with keys[cur[p]]: t_p at first, r_p after a rotation.
    let keys = [
        SecretKey::from_seed(b"t0"),
        SecretKey::from_seed(b"t1"),
        SecretKey::from_seed(b"r0"),
        SecretKey::from_seed(b"r1"),
    ];
    let tee = [keys[0].clone(), keys[1].clone()];
    let mut cur = [0usize, 1];
    let mallory = SecretKey::from_seed(b"m");
    let mut l = Ledger::new(LedgerConfig {
        owner,
        domain,
        lock_time_secs: 3600,
        limits: Limits::default(),
    })
    .unwrap();
    for p in 0..2u8 {
        let params = ServiceParams {
            input_price: PIN,
            output_price: POUT,
            tee_signer: tee[usize::from(p)].address(),
            scheme: if p == 0 {
                SignatureScheme::Eip712
            } else {
                SignatureScheme::Eip191
            },
            ..ServiceParams::default()
        };
        l.apply(
            Timestamp::ZERO,
            &Call::new(provider(p), Op::AddOrUpdateService { params })
                .with_value(Amount::new(100 * TOKEN)),
        )
        .unwrap();
        l.apply(
            Timestamp::ZERO,
            &Call::new(
                owner,
                Op::AcknowledgeTeeSignerByOwner {
                    provider: provider(p),
                },
            ),
        )
        .unwrap();
    }
    let mut now = 0u64;
    let mut batches: Vec<Committed> = Vec::new();
    let mut pending: Option<Committed> = None;
    let pick = |batches: &[Committed], i: u8| -> Option<usize> {
        (!batches.is_empty()).then(|| usize::from(i) % batches.len())
    };
    for op in ops.into_iter().take(64) {
        let mut forged = Vec::new();
        let mut stranger = false;
        // What a batch call must not do: void an honest batch.
        let mut guards_honest: Option<u64> = None;
        let call = match op {
            FOp::BatchCommit(p, u, tokens, tamper, nonce) => {
                let (p, u) = (p % 2, user(u));
                let tokens: Vec<(u8, u8)> = tokens.into_iter().take(16).collect();
                if tokens.is_empty() {
                    continue;
                }
                // A funded account to bill, so commits are reached often (each setup call is
                // checked like any other).
                if l.account(&u, &provider(p)).is_none() {
                    for call in [
                        Call::new(u, Op::DepositFund).with_value(Amount::new(10 * TOKEN)),
                        Call::new(
                            u,
                            Op::TransferFund {
                                provider: provider(p),
                                amount: Amount::new(5 * TOKEN),
                            },
                        ),
                    ] {
                        let before = l.clone();
                        if l.apply(Timestamp::from_secs(now), &call).is_err() {
                            assert_eq!(l, before, "rejected call changed state");
                        }
                        l.check_invariants().unwrap();
                    }
                }
                // Mostly the next nonce; sometimes a stale or far one.
                let nonce = match nonce % 8 {
                    0 => U256::from(u64::from(nonce)),
                    _ => l
                        .account_record(&u, &provider(p))
                        .map_or(U256::ZERO, |a| a.nonce)
                        .checked_increment()
                        .unwrap_or(U256::MAX),
                };
                let first = l
                    .account_record(&u, &provider(p))
                    .map_or(0, |a| a.batch_seq)
                    .saturating_add(1);
                let honest_rs: Vec<Receipt> = tokens
                    .iter()
                    .zip(first..)
                    .map(|(&(i, o), seq)| Receipt {
                        seq,
                        request_hash: H256([i ^ o; 32]),
                        input_tokens: u64::from(i),
                        output_tokens: u64::from(o),
                        fee: fee(u64::from(i), u64::from(o), PIN, POUT).unwrap(),
                    })
                    .collect();
                let key = &keys[cur[usize::from(p)]];
                let signed = honest_rs
                    .iter()
                    .map(|r| {
                        (
                            r.seq,
                            SignedReceipt::sign(key, &domain, &provider(p), &u, *r).unwrap(),
                        )
                    })
                    .collect();
                let mut rs = honest_rs.clone();
                let n = rs.len();
                match tamper {
                    Tamper::Fee => rs[n / 2].fee = Amount::new(rs[n / 2].fee.units() + 1),
                    Tamper::Duplicate if n > 1 => rs[n - 1] = rs[n - 2],
                    Tamper::Hidden => rs.push(Receipt {
                        seq: first + n as u64,
                        ..rs[0]
                    }),
                    Tamper::Equivocate => {
                        let r = &mut rs[n / 2];
                        r.output_tokens += 100;
                        r.fee = fee(r.input_tokens, r.output_tokens, PIN, POUT).unwrap();
                    }
                    _ => {}
                }
                let tree = BatchTree::build(rs.clone()).unwrap();
                let mut c = tree.commitment(provider(p), u, PIN, POUT, nonce);
                match tamper {
                    Tamper::Total => c.total_fee = Amount::new(c.total_fee.units() + 1),
                    Tamper::Hidden => c.count = n as u64,
                    _ => {}
                }
                let honest = matches!(tamper, Tamper::Honest)
                    || matches!(tamper, Tamper::Duplicate if n == 1);
                if honest {
                    // The user's audit of an honest opening finds nothing.
                    assert_eq!(
                        audit(&domain, &c, &key.address(), &rs, &signed),
                        Finding::Consistent { unmatched: vec![] }
                    );
                }
                let signer = if matches!(tamper, Tamper::Stranger) {
                    &mallory
                } else {
                    key
                };
                let signature = c.sign(signer, &domain).unwrap();
                pending = Some(Committed {
                    id: 0,
                    user: u,
                    honest: honest || matches!(tamper, Tamper::Stranger),
                    opening: rs,
                    tree,
                    signed,
                    commitment: c,
                    signer: key.address(),
                });
                stranger = matches!(tamper, Tamper::Stranger);
                Call::new(
                    provider(p),
                    Op::Batch(BatchOp::Commit {
                        commitment: c,
                        signature,
                    }),
                )
            }
            FOp::BatchChallenge(b, leaf, kind) => {
                let Some(i) = pick(&batches, b) else { continue };
                let bt = &batches[i];
                let width = bt.tree.receipts().len().next_power_of_two().max(1) as u64;
                let index = u64::from(leaf) % width;
                let receipt = bt
                    .opening
                    .get(usize::try_from(index).unwrap())
                    .copied()
                    .unwrap_or(bt.opening[0]);
                if let Kind::Audit = kind {
                    // Judged against the signer of the batch's time, whatever the provider
                    // did since.
                    let Finding::Fraud(proof) =
                        audit(&domain, &bt.commitment, &bt.signer, &bt.opening, &bt.signed)
                    else {
                        continue;
                    };
                    assert!(!bt.honest, "fraud found in an honest batch");
                    let call = Call::new(
                        bt.user,
                        Op::Batch(BatchOp::Challenge {
                            id: bt.id,
                            proof: *proof,
                        }),
                    );
                    let before = l.clone();
                    match l.apply(Timestamp::from_secs(now), &call) {
                        Ok(Outcome::Batch(BatchOutcome::Voided { .. })) => {}
                        Ok(other) => panic!("challenge did {other:?}"),
                        // Only a closed window or batch may refuse the audit's proof.
                        Err(e) => {
                            assert!(matches!(e, LedgerError::BatchState { .. }), "{e}");
                            assert_eq!(l, before);
                        }
                    }
                    l.check_invariants().unwrap();
                    continue;
                }
                let kind = match kind {
                    Kind::FeeFormula => FraudKind::FeeFormula,
                    Kind::Sequence => FraudKind::Sequence,
                    Kind::Padding => FraudKind::Padding,
                    Kind::TotalMismatch => FraudKind::TotalMismatch,
                    Kind::Audit => unreachable!(),
                    Kind::Equivocation(s) => {
                        let mut other = receipt;
                        other.output_tokens ^= u64::from(s);
                        let seq_signed = bt.signed.get(&receipt.seq).copied();
                        FraudKind::Equivocation(
                            seq_signed.unwrap_or(
                                SignedReceipt::sign(
                                    &tee[0],
                                    &domain,
                                    &bt.commitment.provider,
                                    &bt.user,
                                    other,
                                )
                                .unwrap(),
                            ),
                        )
                    }
                };
                let proof = FraudProof {
                    index,
                    receipt,
                    proof: bt.tree.proof(index).unwrap_or(bt.tree.proof(0).unwrap()),
                    kind,
                };
                if bt.honest {
                    guards_honest = Some(bt.id);
                }
                Call::new(bt.user, Op::Batch(BatchOp::Challenge { id: bt.id, proof }))
            }
            FOp::BatchWithheld(b) => {
                let Some(i) = pick(&batches, b) else { continue };
                Call::new(
                    batches[i].user,
                    Op::Batch(BatchOp::ChallengeWithheld { id: batches[i].id }),
                )
            }
            FOp::BatchPost(b, truthful) => {
                let Some(i) = pick(&batches, b) else { continue };
                let bt = &batches[i];
                let mut receipts = bt.opening.clone();
                if !truthful {
                    receipts.reverse();
                    receipts.push(receipts[0]);
                } else if bt.honest {
                    guards_honest = Some(bt.id);
                }
                Call::new(
                    bt.commitment.provider,
                    Op::Batch(BatchOp::PostOpening {
                        id: bt.id,
                        receipts,
                    }),
                )
            }
            FOp::BatchFinalize(b, who) => {
                let Some(i) = pick(&batches, b) else { continue };
                Call::new(
                    user(who),
                    Op::Batch(BatchOp::Finalize { id: batches[i].id }),
                )
            }
            FOp::Wait(s) => {
                now += u64::from(s);
                continue;
            }
            FOp::WaitHours(h) => {
                now += u64::from(h % 32) * 3600;
                continue;
            }
            FOp::Deposit(u, a) => Call::new(user(u), Op::DepositFund).with_value(amount(a)),
            FOp::Withdraw(u, a) => Call::new(user(u), Op::Refund { amount: amount(a) }),
            FOp::Transfer(u, p, a) => Call::new(
                user(u),
                Op::TransferFund {
                    provider: provider(p),
                    amount: amount(a),
                },
            ),
            FOp::Retrieve(u, ps) => Call::new(
                user(u),
                Op::RetrieveFund {
                    providers: ps.into_iter().take(4).map(provider).collect(),
                },
            ),
            FOp::RequestAll(u, p) => Call::new(
                user(u),
                Op::RequestRefundAll {
                    provider: provider(p),
                },
            ),
            FOp::Process(u, p) => Call::new(
                user(u),
                Op::ProcessRefund {
                    provider: provider(p),
                },
            ),
            FOp::Settle(p, items) => {
                let p = p % 2;
                let items: Vec<SettlementItem> = items
                    .into_iter()
                    .take(8)
                    .enumerate()
                    .map(|(i, (u, fee, nonce, honest))| {
                        let key = if honest {
                            &keys[cur[usize::from(p)]]
                        } else {
                            &mallory
                        };
                        if !honest {
                            forged.push(i);
                        }
                        SettlementItem::signed(
                            key,
                            if p == 0 {
                                SignatureScheme::Eip712
                            } else {
                                SignatureScheme::Eip191
                            },
                            &domain,
                            TeeSettlement {
                                requests_hash: H256::ZERO,
                                nonce: U256::from(u64::from(nonce)),
                                provider: provider(p),
                                user: user(u),
                                total_fee: amount(fee),
                            },
                        )
                        .unwrap()
                    })
                    .collect();
                Call::new(provider(p), Op::SettleFees { items })
            }
            FOp::Ack(p, ack) => Call::new(
                owner,
                if ack {
                    Op::AcknowledgeTeeSignerByOwner {
                        provider: provider(p),
                    }
                } else {
                    Op::RevokeTeeSignerAcknowledgement {
                        provider: provider(p),
                    }
                },
            ),
            FOp::RevokeAll(u, p) => Call::new(
                user(u),
                Op::RevokeAllTokens {
                    provider: provider(p),
                },
            ),
            FOp::Delete(u) => Call::new(user(u), Op::DeleteLedger),
            FOp::RotateSigner(p) => {
                let p = usize::from(p % 2);
                let next = if cur[p] == p { p + 2 } else { p };
                let registered = l.service(&provider(p as u8)).map(|s| s.params.clone());
                let value = if registered.is_some() {
                    Amount::ZERO
                } else {
                    Amount::new(100 * TOKEN)
                };
                let mut params = registered.unwrap_or(ServiceParams {
                    input_price: PIN,
                    output_price: POUT,
                    scheme: if p == 0 {
                        SignatureScheme::Eip712
                    } else {
                        SignatureScheme::Eip191
                    },
                    ..ServiceParams::default()
                });
                params.tee_signer = keys[next].address();
                let call = Call::new(provider(p as u8), Op::AddOrUpdateService { params })
                    .with_value(value);
                let open = has_open_batch(&l, provider(p as u8));
                let before = l.clone();
                match l.apply(Timestamp::from_secs(now), &call) {
                    Ok(_) => {
                        assert!(!open, "TEE signer changed under an open batch");
                        cur[p] = next;
                    }
                    Err(_) => assert_eq!(l, before, "rejected call changed state"),
                }
                l.check_invariants().unwrap();
                continue;
            }
            FOp::RemoveService(p) => {
                let open = has_open_batch(&l, provider(p));
                let call = Call::new(provider(p), Op::RemoveService);
                let before = l.clone();
                match l.apply(Timestamp::from_secs(now), &call) {
                    Ok(_) => assert!(!open, "stake returned under an open batch"),
                    Err(_) => assert_eq!(l, before, "rejected call changed state"),
                }
                l.check_invariants().unwrap();
                continue;
            }
        };
        let before = l.clone();
        let is_commit = matches!(call.op, Op::Batch(BatchOp::Commit { .. }));
        let result = l.apply(Timestamp::from_secs(now), &call);
        match &result {
            Err(_) => assert_eq!(l, before, "rejected call changed state"),
            Ok(Outcome::Settled { results, .. }) => {
                for i in forged {
                    assert!(results[i].settled.is_zero(), "forged settlement paid");
                }
            }
            Ok(Outcome::Batch(BatchOutcome::Committed { id, .. })) => {
                assert!(!stranger, "a stranger's commitment committed");
                if let Some(mut c) = pending.take() {
                    c.id = *id;
                    batches.push(c);
                }
            }
            Ok(Outcome::Batch(BatchOutcome::Voided { id, .. })) => {
                // Honest batches may be voided only by an owed opening never posted.
                assert_ne!(guards_honest, Some(*id), "an honest batch was voided");
            }
            Ok(_) => {}
        }
        if is_commit {
            pending = None;
        }
        l.check_invariants().unwrap();
    }
});
