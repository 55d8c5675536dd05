// Test code: a panic here is a failure report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

//! The ledger against the contract's rules, case by case (0g-serving-contract v1.0:
//! `LedgerManager.sol`, `InferenceServing.sol`, `InferenceAccount.sol`, `InferenceService.sol`).

use zg_core::{Amount, H256, Timestamp};
use zg_serving::LedgerError;
use zg_serving::eip712::{Domain, SignatureScheme, TeeSettlement};
use zg_serving::eth::{Address, SecretKey, U256};
use zg_serving::ledger::{Call, Ledger, LedgerConfig, Limits, Op, Outcome, ServiceParams, TOKEN};
use zg_serving::settlement::{SettlementItem, SettlementStatus};

const HOUR: u64 = 3600;

fn tok(n: u128) -> Amount {
    Amount::new(n * TOKEN)
}

fn at(secs: u64) -> Timestamp {
    Timestamp::from_secs(secs)
}

struct World {
    ledger: Ledger,
    owner: Address,
    user: Address,
    provider: Address,
    tee: SecretKey,
    domain: Domain,
}

fn config(owner: Address) -> LedgerConfig {
    LedgerConfig {
        owner,
        domain: Domain::new(U256::from(16601u64), Address([0xcc; 20])),
        lock_time_secs: 2 * HOUR,
        limits: Limits::default(),
    }
}

fn params(tee: Address, scheme: SignatureScheme) -> ServiceParams {
    ServiceParams {
        service_type: "chatbot".into(),
        url: "https://provider".into(),
        model: "llama".into(),
        verifiability: "TeeML".into(),
        input_price: Amount::new(1_000),
        output_price: Amount::new(2_000),
        additional_info: String::new(),
        tee_signer: tee,
        scheme,
    }
}

/// A ledger with one user (10 tokens, 5 transferred to the provider) and one acknowledged
/// EIP-712 service.
fn world(scheme: SignatureScheme) -> World {
    let owner = Address([0xaa; 20]);
    let user = Address([0x11; 20]);
    let provider = Address([0x22; 20]);
    let tee = SecretKey::from_seed(b"tee");
    let mut ledger = Ledger::new(config(owner)).unwrap();
    let domain = ledger.config().domain;
    let t = at(1000);
    ledger
        .apply(
            t,
            &Call::new(
                provider,
                Op::AddOrUpdateService {
                    params: params(tee.address(), scheme),
                },
            )
            .with_value(tok(100)),
        )
        .unwrap();
    ledger
        .apply(
            t,
            &Call::new(owner, Op::AcknowledgeTeeSignerByOwner { provider }),
        )
        .unwrap();
    ledger
        .apply(
            t,
            &Call::new(
                user,
                Op::AddLedger {
                    additional_info: "hi".into(),
                },
            )
            .with_value(tok(10)),
        )
        .unwrap();
    ledger
        .apply(
            t,
            &Call::new(
                user,
                Op::TransferFund {
                    provider,
                    amount: tok(5),
                },
            ),
        )
        .unwrap();
    World {
        ledger,
        owner,
        user,
        provider,
        tee,
        domain,
    }
}

impl World {
    fn item(&self, nonce: u64, fee: Amount, scheme: SignatureScheme) -> SettlementItem {
        SettlementItem::signed(
            &self.tee,
            scheme,
            &self.domain,
            TeeSettlement {
                requests_hash: H256([nonce as u8; 32]),
                nonce: U256::from(nonce),
                provider: self.provider,
                user: self.user,
                total_fee: fee,
            },
        )
        .unwrap()
    }

    fn settle(&mut self, now: u64, items: Vec<SettlementItem>) -> Vec<(SettlementStatus, Amount)> {
        match self
            .ledger
            .apply(at(now), &Call::new(self.provider, Op::SettleFees { items }))
            .unwrap()
        {
            Outcome::Settled { results, .. } => {
                results.iter().map(|r| (r.status, r.settled)).collect()
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    fn call(&mut self, now: u64, sender: Address, op: Op) -> Result<Outcome, LedgerError> {
        self.ledger.apply(at(now), &Call::new(sender, op))
    }

    fn account(&self) -> zg_serving::ledger::Account {
        self.ledger
            .account(&self.user, &self.provider)
            .unwrap()
            .clone()
    }

    /// Asserts a call fails with `err` and changes nothing.
    fn rejects(&mut self, now: u64, call: Call, err: LedgerError) {
        let before = self.ledger.clone();
        assert_eq!(self.ledger.apply(at(now), &call), Err(err));
        assert_eq!(self.ledger, before, "a rejected call changed the state");
        self.ledger.check_invariants().unwrap();
    }
}

#[test]
fn ledgers_open_deposit_withdraw() {
    let mut w = world(SignatureScheme::Eip712);
    let bob = Address([0x33; 20]);
    w.rejects(
        0,
        Call::new(
            bob,
            Op::AddLedger {
                additional_info: String::new(),
            },
        )
        .with_value(tok(2)),
        LedgerError::BelowMinimumDeposit {
            required: tok(3),
            got: tok(2),
        },
    );
    w.rejects(0, Call::new(bob, Op::DepositFund), LedgerError::ZeroDeposit);
    w.rejects(
        0,
        Call::new(
            w.user,
            Op::AddLedger {
                additional_info: String::new(),
            },
        )
        .with_value(tok(3)),
        LedgerError::LedgerExists { user: w.user },
    );
    w.rejects(
        0,
        Call::new(
            bob,
            Op::AddLedger {
                additional_info: "x".repeat(4097),
            },
        )
        .with_value(tok(3)),
        LedgerError::AdditionalInfoTooLong { len: 4097 },
    );
    // depositFund opens a ledger with at least 3 tokens.
    w.ledger
        .apply(at(0), &Call::new(bob, Op::DepositFund).with_value(tok(3)))
        .unwrap();
    assert_eq!(w.ledger.ledger(&bob).unwrap().available, tok(3));
    // A withdrawal must leave 0 or ≥ 3 tokens.
    w.rejects(
        0,
        Call::new(
            bob,
            Op::Refund {
                amount: Amount::new(1),
            },
        ),
        LedgerError::MustKeepMinimum {
            minimum: tok(3),
            remaining: Amount::new(3 * TOKEN - 1),
        },
    );
    w.rejects(
        0,
        Call::new(bob, Op::Refund { amount: tok(4) }),
        LedgerError::InsufficientBalance { user: bob },
    );
    // Not payable.
    w.rejects(
        0,
        Call::new(bob, Op::Refund { amount: tok(3) }).with_value(Amount::new(1)),
        LedgerError::NotPayable {
            value: Amount::new(1),
        },
    );
    assert_eq!(
        w.call(0, bob, Op::Refund { amount: tok(3) }),
        Ok(Outcome::Paid { amount: tok(3) })
    );
    assert!(w.ledger.ledger(&bob).is_none(), "emptied ledger is deleted");
    w.ledger.check_invariants().unwrap();
}

#[test]
fn transfers_and_refunds() {
    let mut w = world(SignatureScheme::Eip712);
    let (user, provider) = (w.user, w.provider);
    let p2 = Address([0x44; 20]);
    w.rejects(
        0,
        Call::new(
            user,
            Op::TransferFund {
                provider: p2,
                amount: Amount::new(TOKEN - 1),
            },
        ),
        LedgerError::BelowMinimumTransfer {
            required: tok(1),
            got: Amount::new(TOKEN - 1),
        },
    );
    w.rejects(
        0,
        Call::new(
            user,
            Op::TransferFund {
                provider: p2,
                amount: tok(6),
            },
        ),
        LedgerError::InsufficientAvailable {
            available: tok(5),
            needed: tok(6),
        },
    );
    w.rejects(
        0,
        Call::new(
            user,
            Op::TransferFund {
                provider: user,
                amount: tok(1),
            },
        ),
        LedgerError::ProviderCannotBeUser,
    );
    // Queue refunds: r1 = 5, then a transfer of 2 cancels 2 of r1 (no new funds) and frees 2
    // to queue again as r2 = 2, then a transfer of 1 cancels 1 of r2 (most recent first).
    w.call(2000, user, Op::RequestRefundAll { provider })
        .unwrap();
    assert_eq!(w.account().pending_refund, tok(5));
    let available = w.ledger.ledger(&user).unwrap().available;
    w.call(
        2100,
        user,
        Op::TransferFund {
            provider,
            amount: tok(2),
        },
    )
    .unwrap();
    assert_eq!(
        w.ledger.ledger(&user).unwrap().available,
        available,
        "cancelled, not moved"
    );
    assert_eq!(w.account().refunds[0].amount, tok(3));
    w.call(2200, user, Op::RequestRefundAll { provider })
        .unwrap();
    w.call(
        2300,
        user,
        Op::TransferFund {
            provider,
            amount: tok(1),
        },
    )
    .unwrap();
    let a = w.account();
    assert_eq!(
        a.refunds
            .iter()
            .map(|r| (r.amount, r.created_at))
            .collect::<Vec<_>>(),
        vec![(tok(3), 2000), (tok(1), 2200)],
        "the newest refund is cancelled first"
    );
    assert_eq!(a.pending_refund, tok(4));
    // A transfer above the pending refunds cancels them all and moves only the excess.
    w.call(
        2400,
        user,
        Op::TransferFund {
            provider,
            amount: tok(5),
        },
    )
    .unwrap();
    let a = w.account();
    assert!(a.refunds.is_empty());
    assert_eq!(a.balance, tok(6));
    assert_eq!(w.ledger.ledger(&user).unwrap().available, tok(4));
    w.ledger.check_invariants().unwrap();

    // Refunds mature after exactly lockTime (2 h here).
    w.call(3000, user, Op::RequestRefundAll { provider })
        .unwrap();
    assert_eq!(
        w.call(3000 + 2 * HOUR - 1, user, Op::ProcessRefund { provider }),
        Ok(Outcome::Retrieved {
            amount: Amount::ZERO
        })
    );
    assert_eq!(
        w.call(3000 + 2 * HOUR, user, Op::ProcessRefund { provider }),
        Ok(Outcome::Retrieved { amount: tok(6) })
    );
    assert_eq!(w.ledger.ledger(&user).unwrap().available, tok(10));
    assert_eq!(w.account().balance, Amount::ZERO);
    w.ledger.check_invariants().unwrap();
}

#[test]
fn at_most_five_refunds_and_retrieve_is_atomic() {
    let mut w = world(SignatureScheme::Eip712);
    let (user, provider) = (w.user, w.provider);
    // Build 5 refunds. A transfer cancels pending refunds newest first, so each round cancels
    // half of the newest refund and re-queues that half: 5T, 16k, 8k, 4k, 2k.
    w.call(10, user, Op::RequestRefundAll { provider }).unwrap();
    for (i, x) in [16_000u128, 8_000, 4_000, 2_000].into_iter().enumerate() {
        let t = 20 + i as u64;
        w.call(
            t,
            user,
            Op::TransferFund {
                provider,
                amount: Amount::new(x),
            },
        )
        .unwrap();
        w.call(t, user, Op::RequestRefundAll { provider }).unwrap();
    }
    assert_eq!(w.account().refunds.len(), 5);
    w.call(
        30,
        user,
        Op::TransferFund {
            provider,
            amount: Amount::new(1_000),
        },
    )
    .unwrap();
    w.rejects(
        40,
        Call::new(user, Op::RequestRefundAll { provider }),
        LedgerError::TooManyRefunds { user, provider },
    );
    // retrieveFund over two providers reverts as a whole when the second one fails.
    let p2 = Address([0x55; 20]);
    w.call(
        40,
        user,
        Op::TransferFund {
            provider: p2,
            amount: tok(1),
        },
    )
    .unwrap();
    w.rejects(
        50,
        Call::new(
            user,
            Op::RetrieveFund {
                providers: vec![p2, provider],
            },
        ),
        LedgerError::TooManyRefunds { user, provider },
    );
    w.rejects(
        50,
        Call::new(
            user,
            Op::RetrieveFund {
                providers: vec![p2; 21],
            },
        ),
        LedgerError::TooManyProviders {
            requested: 21,
            maximum: 20,
        },
    );
    // Once refunds mature, retrieveFund releases them and queues the rest.
    let r = w
        .call(
            40 + 2 * HOUR,
            user,
            Op::RetrieveFund {
                providers: vec![provider, p2],
            },
        )
        .unwrap();
    // All refunds matured (5 tokens less the 1,000 units the last transfer cancelled).
    assert_eq!(
        r,
        Outcome::Retrieved {
            amount: Amount::new(5 * TOKEN - 1_000)
        }
    );
    w.ledger.check_invariants().unwrap();
}

#[test]
fn lock_time_bounds() {
    let owner = Address([0xaa; 20]);
    for bad in [HOUR - 1, 7 * 24 * HOUR + 1, 0] {
        let mut c = config(owner);
        c.lock_time_secs = bad;
        assert!(matches!(
            Ledger::new(c),
            Err(LedgerError::LockTimeOutOfRange { .. })
        ));
    }
    let mut w = world(SignatureScheme::Eip712);
    w.rejects(
        0,
        Call::new(
            w.user,
            Op::UpdateLockTime {
                lock_time_secs: HOUR,
            },
        ),
        LedgerError::NotOwner { caller: w.user },
    );
    w.rejects(
        0,
        Call::new(w.owner, Op::UpdateLockTime { lock_time_secs: 60 }),
        LedgerError::LockTimeOutOfRange {
            lock_time: 60,
            min: HOUR,
            max: 7 * 24 * HOUR,
        },
    );
    w.call(
        0,
        w.owner,
        Op::UpdateLockTime {
            lock_time_secs: 7 * 24 * HOUR,
        },
    )
    .unwrap();
    assert_eq!(w.ledger.lock_time_secs(), 7 * 24 * HOUR);
}

#[test]
fn services_stake_and_acknowledgement() {
    let mut w = world(SignatureScheme::Eip712);
    let p = Address([0x66; 20]);
    let tee = Address([0x77; 20]);
    w.rejects(
        0,
        Call::new(
            p,
            Op::AddOrUpdateService {
                params: params(tee, SignatureScheme::Eip712),
            },
        )
        .with_value(tok(99)),
        LedgerError::InsufficientStake {
            provided: tok(99),
            required: tok(100),
        },
    );
    let provider = w.provider;
    w.rejects(
        0,
        Call::new(
            provider,
            Op::AddOrUpdateService {
                params: params(w.tee.address(), SignatureScheme::Eip712),
            },
        )
        .with_value(Amount::new(1)),
        LedgerError::CannotAddStakeWhenUpdating,
    );
    // A price change keeps the acknowledgement; a model change withdraws it.
    let mut cheaper = params(w.tee.address(), SignatureScheme::Eip712);
    cheaper.input_price = Amount::new(1);
    w.call(
        0,
        provider,
        Op::AddOrUpdateService {
            params: cheaper.clone(),
        },
    )
    .unwrap();
    assert!(w.ledger.service(&provider).unwrap().tee_signer_acknowledged);
    cheaper.model = "other".into();
    w.call(0, provider, Op::AddOrUpdateService { params: cheaper })
        .unwrap();
    assert!(!w.ledger.service(&provider).unwrap().tee_signer_acknowledged);
    w.rejects(
        0,
        Call::new(w.user, Op::AcknowledgeTeeSignerByOwner { provider }),
        LedgerError::NotOwner { caller: w.user },
    );
    // Users cannot withdraw their acknowledgement while funds are in the account.
    w.rejects(
        0,
        Call::new(
            w.user,
            Op::AcknowledgeTeeSigner {
                provider,
                acknowledged: false,
            },
        ),
        LedgerError::CannotRevokeWithNonZeroBalance {
            user: w.user,
            provider,
            balance: tok(5),
        },
    );
    assert_eq!(
        w.call(0, provider, Op::RemoveService),
        Ok(Outcome::Paid { amount: tok(100) })
    );
    w.rejects(
        0,
        Call::new(provider, Op::RemoveService),
        LedgerError::ServiceNotExist { provider },
    );
    w.ledger.check_invariants().unwrap();
}

#[test]
fn token_revocation() {
    let mut w = world(SignatureScheme::Eip712);
    let (user, provider) = (w.user, w.provider);
    w.call(
        0,
        user,
        Op::RevokeToken {
            provider,
            token_id: 3,
        },
    )
    .unwrap();
    w.call(
        0,
        user,
        Op::RevokeTokens {
            provider,
            token_ids: vec![0, 200, 255],
        },
    )
    .unwrap();
    let a = w.account();
    for id in [0u8, 3, 200, 255] {
        assert!(a.is_token_revoked(id));
    }
    assert!(!a.is_token_revoked(4));
    assert_eq!(
        w.call(0, user, Op::RevokeAllTokens { provider }),
        Ok(Outcome::Generation { generation: 1 })
    );
    assert!(!w.account().is_token_revoked(3));
    let stranger = Address([0x99; 20]);
    w.rejects(
        0,
        Call::new(stranger, Op::RevokeAllTokens { provider }),
        LedgerError::AccountNotExists {
            user: stranger,
            provider,
        },
    );
}

#[test]
fn settlement_statuses_in_contract_order() {
    let mut w = world(SignatureScheme::Eip712);
    let (user, provider) = (w.user, w.provider);
    let e = SignatureScheme::Eip712;
    // PROVIDER_MISMATCH: the item names another provider.
    let mut other = w.item(1, tok(1), e);
    other.provider = Address([0x01; 20]);
    // INVALID_SIGNATURE: no account for this user (checked before the service).
    let mut stranger = w.item(1, tok(1), e);
    stranger.user = Address([0x02; 20]);
    // INVALID_SIGNATURE: signed by the wrong key.
    let forged = SettlementItem::signed(
        &SecretKey::from_seed(b"mallory"),
        e,
        &w.domain,
        w.item(1, tok(1), e).message(),
    )
    .unwrap();
    // INVALID_SIGNATURE: the high-s twin of a valid signature (EIP-712 path rejects it).
    let mut high_s = w.item(1, tok(1), e);
    high_s.signature = malleate(&high_s.signature);
    // INVALID_SIGNATURE: wrong length.
    let mut short = w.item(1, tok(1), e);
    short.signature.pop();
    let got = w.settle(2000, vec![other, stranger, forged, high_s, short]);
    assert_eq!(
        got.iter().map(|g| g.0).collect::<Vec<_>>(),
        vec![
            SettlementStatus::ProviderMismatch,
            SettlementStatus::InvalidSignature,
            SettlementStatus::InvalidSignature,
            SettlementStatus::InvalidSignature,
            SettlementStatus::InvalidSignature,
        ]
    );
    assert_eq!(w.account().nonce, U256::ZERO);

    // SUCCESS, then the same item again is INVALID_NONCE (no replay), as is a lower nonce.
    let ok = w.item(5, tok(1), e);
    assert_eq!(
        w.settle(2000, vec![ok.clone(), ok, w.item(4, tok(1), e)]),
        vec![
            (SettlementStatus::Success, tok(1)),
            (SettlementStatus::InvalidNonce, Amount::ZERO),
            (SettlementStatus::InvalidNonce, Amount::ZERO),
        ]
    );
    assert_eq!(w.account().nonce, U256::from(5u64));
    assert_eq!(w.account().balance, tok(4));

    // PARTIAL: fee above balance pays the balance, cancels pending refunds (newest first) and
    // still advances the nonce.
    w.call(2100, user, Op::RequestRefundAll { provider })
        .unwrap();
    let got = w.settle(2200, vec![w.item(9, tok(7), e)]);
    assert_eq!(got, vec![(SettlementStatus::Partial, tok(4))]);
    let a = w.account();
    assert_eq!(a.nonce, U256::from(9u64));
    assert_eq!((a.balance, a.pending_refund), (Amount::ZERO, Amount::ZERO));
    assert!(a.refunds.is_empty());
    // A zero balance: still PARTIAL, nothing paid, nonce advances.
    assert_eq!(
        w.settle(2300, vec![w.item(10, tok(1), e)]),
        vec![(SettlementStatus::Partial, Amount::ZERO)]
    );
    assert_eq!(w.account().nonce, U256::from(10u64));
    assert_eq!(w.ledger.totals().paid_to_providers, tok(5));
    w.ledger.check_invariants().unwrap();

    // NO_TEE_SIGNER: the owner withdraws the acknowledgement.
    w.call(
        2400,
        w.owner,
        Op::RevokeTeeSignerAcknowledgement { provider },
    )
    .unwrap();
    assert_eq!(
        w.settle(2400, vec![w.item(11, Amount::ZERO, e)]),
        vec![(SettlementStatus::NoTeeSigner, Amount::ZERO)]
    );
    // NO_TEE_SIGNER comes before INVALID_NONCE.
    assert_eq!(
        w.settle(2400, vec![w.item(1, Amount::ZERO, e)]),
        vec![(SettlementStatus::NoTeeSigner, Amount::ZERO)]
    );
    // PROVIDER_MISMATCH when the caller has no service (after the account check).
    w.call(2500, provider, Op::RemoveService).unwrap();
    assert_eq!(
        w.settle(2500, vec![w.item(12, Amount::ZERO, e)]),
        vec![(SettlementStatus::ProviderMismatch, Amount::ZERO)]
    );
    // Batch size limits.
    w.rejects(
        0,
        Call::new(provider, Op::SettleFees { items: vec![] }),
        LedgerError::NoSettlementsProvided,
    );
    let many = vec![w.item(13, Amount::ZERO, e); 51];
    w.rejects(
        0,
        Call::new(provider, Op::SettleFees { items: many }),
        LedgerError::TooManySettlements { count: 51, max: 50 },
    );
}

#[test]
fn unreserved_balance_is_used_before_refunds() {
    let mut w = world(SignatureScheme::Eip712);
    let (user, provider) = (w.user, w.provider);
    // Balance 5: r1 = 3 (request after cancelling 2 of a first request), free = 2.
    w.call(10, user, Op::RequestRefundAll { provider }).unwrap(); // r = 5
    w.call(
        11,
        user,
        Op::TransferFund {
            provider,
            amount: tok(2),
        },
    )
    .unwrap(); // r = 3, free 2
    w.call(12, user, Op::RequestRefundAll { provider }).unwrap(); // r = 3, 2
    w.call(
        13,
        user,
        Op::TransferFund {
            provider,
            amount: tok(2),
        },
    )
    .unwrap(); // cancels r2 entirely: r = 3, free 2
    let a = w.account();
    assert_eq!(a.refunds.len(), 1);
    assert_eq!(a.locked_balance(), tok(2));
    // A fee of 3 takes the free 2 and 1 from the refund.
    let e = SignatureScheme::Eip712;
    assert_eq!(
        w.settle(20, vec![w.item(1, tok(3), e)]),
        vec![(SettlementStatus::Success, tok(3))]
    );
    let a = w.account();
    assert_eq!(a.refunds[0].amount, tok(2));
    assert_eq!((a.balance, a.pending_refund), (tok(2), tok(2)));
    w.ledger.check_invariants().unwrap();
}

#[test]
fn eip191_services_follow_the_earlier_contract() {
    let mut w = world(SignatureScheme::Eip191);
    let s = SignatureScheme::Eip191;
    // ecrecover accepts high-s and v in {0, 1}; the nonce still stops replays.
    let mut high_s = w.item(1, tok(1), s);
    high_s.signature = malleate(&high_s.signature);
    let mut v01 = w.item(2, tok(1), s);
    v01.signature[64] -= 27;
    // An EIP-712 signature is not an EIP-191 one.
    let wrong_scheme = w.item(3, tok(1), SignatureScheme::Eip712);
    assert_eq!(
        w.settle(10, vec![high_s.clone(), v01, wrong_scheme, high_s]),
        vec![
            (SettlementStatus::Success, tok(1)),
            (SettlementStatus::Success, tok(1)),
            (SettlementStatus::InvalidSignature, Amount::ZERO),
            (SettlementStatus::InvalidNonce, Amount::ZERO),
        ]
    );
    // Switching the scheme is a critical change: the owner must acknowledge again.
    let provider = w.provider;
    w.call(
        20,
        provider,
        Op::AddOrUpdateService {
            params: params(w.tee.address(), SignatureScheme::Eip712),
        },
    )
    .unwrap();
    assert!(!w.ledger.service(&provider).unwrap().tee_signer_acknowledged);
}

#[test]
fn preview_reads_only_and_judges_each_item_alone() {
    let mut w = world(SignatureScheme::Eip712);
    let e = SignatureScheme::Eip712;
    let before = w.ledger.clone();
    let items = vec![
        w.item(1, tok(4), e),
        w.item(2, tok(4), e),
        w.item(0, tok(1), e),
    ];
    let preview = match w
        .ledger
        .apply(
            at(10),
            &Call::new(
                w.provider,
                Op::PreviewSettlement {
                    items: items.clone(),
                },
            ),
        )
        .unwrap()
    {
        Outcome::Settled { results, paid } => {
            assert_eq!(paid, Amount::ZERO);
            results
        }
        o => panic!("{o:?}"),
    };
    assert_eq!(w.ledger, before, "preview writes nothing");
    // Like the contract's view function, the second item of the same user sees the stale
    // balance (5): SUCCESS in preview, PARTIAL when executed.
    assert_eq!(
        preview.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![
            SettlementStatus::Success,
            SettlementStatus::Success,
            SettlementStatus::InvalidNonce
        ]
    );
    let executed = w.settle(10, items);
    assert_eq!(executed[1], (SettlementStatus::Partial, tok(1)));
}

#[test]
fn deleted_accounts_keep_their_nonce() {
    let mut w = world(SignatureScheme::Eip712);
    let (user, provider) = (w.user, w.provider);
    let e = SignatureScheme::Eip712;
    let first = w.item(7, tok(1), e);
    assert_eq!(
        w.settle(10, vec![first.clone()])[0].0,
        SettlementStatus::Success
    );
    // Drain and delete: retrieve the 4 left after the lock time, withdraw everything.
    w.call(
        20,
        user,
        Op::RetrieveFund {
            providers: vec![provider],
        },
    )
    .unwrap();
    w.call(
        20 + 2 * HOUR,
        user,
        Op::RetrieveFund {
            providers: vec![provider],
        },
    )
    .unwrap();
    let available = w.ledger.ledger(&user).unwrap().available;
    w.call(20 + 2 * HOUR, user, Op::Refund { amount: available })
        .unwrap();
    assert!(w.ledger.ledger(&user).is_none());
    assert!(w.ledger.account(&user, &provider).is_none());
    // Re-open: the old settlement cannot be replayed.
    w.ledger
        .apply(
            at(30_000),
            &Call::new(user, Op::DepositFund).with_value(tok(5)),
        )
        .unwrap();
    w.call(
        30_000,
        user,
        Op::TransferFund {
            provider,
            amount: tok(2),
        },
    )
    .unwrap();
    assert_eq!(w.account().nonce, U256::from(7u64));
    assert_eq!(
        w.settle(30_000, vec![first]),
        vec![(SettlementStatus::InvalidNonce, Amount::ZERO)]
    );
    w.ledger.check_invariants().unwrap();
}

/// `(r, n − s, v ^ 1)` of a 65-byte signature.
fn malleate(sig: &[u8]) -> Vec<u8> {
    const N: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36,
        0x41, 0x41,
    ];
    let mut out = sig.to_vec();
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut d = i16::from(N[i]) - i16::from(sig[32 + i]) - borrow;
        borrow = 0;
        if d < 0 {
            d += 256;
            borrow = 1;
        }
        out[32 + i] = d as u8;
    }
    out[64] = if sig[64] == 27 { 28 } else { 27 };
    out
}
