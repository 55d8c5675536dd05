//! The ledger under arbitrary operation sequences: after every call the invariants hold
//! (funds conserved, nothing negative, refunds only as recorded), a rejected call changes
//! nothing, and settlements signed by anyone but the TEE signer never pay.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zg_core::{Amount, H256, Timestamp};
use zg_serving::eip712::{Domain, SignatureScheme, TeeSettlement};
use zg_serving::eth::{Address, SecretKey, U256};
use zg_serving::ledger::{Call, Ledger, LedgerConfig, Limits, Op, Outcome, ServiceParams, TOKEN};
use zg_serving::settlement::SettlementItem;

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
    let tee = [SecretKey::from_seed(b"t0"), SecretKey::from_seed(b"t1")];
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
    for op in ops.into_iter().take(64) {
        let mut forged = Vec::new();
        let call = match op {
            FOp::Wait(s) => {
                now += u64::from(s);
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
                            &tee[usize::from(p)]
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
        };
        let before = l.clone();
        match l.apply(Timestamp::from_secs(now), &call) {
            Err(_) => assert_eq!(l, before, "rejected call changed state"),
            Ok(Outcome::Settled { results, .. }) => {
                for i in forged {
                    assert!(results[i].settled.is_zero(), "forged settlement paid");
                }
            }
            Ok(_) => {}
        }
        l.check_invariants().unwrap();
    }
});
