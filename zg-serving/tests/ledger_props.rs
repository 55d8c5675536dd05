// Test code: a panic here is a failure report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

//! Properties of the ledger over random operation sequences: funds are conserved, no balance
//! goes negative, refunds are released only after the lock time, nonces never go back, a
//! replayed or forged settlement never pays, and a rejected call changes nothing.

use std::collections::BTreeMap;

use proptest::prelude::*;
use zg_core::{Amount, H256, Timestamp};
use zg_serving::eip712::{Domain, SignatureScheme, TeeSettlement};
use zg_serving::eth::{Address, SecretKey, U256};
use zg_serving::ledger::{Call, Ledger, LedgerConfig, Limits, Op, Outcome, ServiceParams, TOKEN};
use zg_serving::settlement::{SettlementItem, SettlementStatus};

const USERS: usize = 3;
const PROVIDERS: usize = 2;
const LOCK: u64 = 3600;

fn user(i: usize) -> Address {
    Address([0x10 + i as u8; 20])
}
fn provider(i: usize) -> Address {
    Address([0x20 + i as u8; 20])
}
const OWNER: Address = Address([0xee; 20]);

#[derive(Clone, Debug)]
enum Kind {
    Valid,
    Forged,
    Replay,
    OtherProvider,
}

#[derive(Clone, Debug)]
enum TOp {
    Open(usize, u128),
    Deposit(usize, u128),
    Withdraw(usize, u128),
    Transfer(usize, usize, u128),
    Retrieve(usize, Vec<usize>),
    Process(usize, usize),
    RequestAll(usize, usize),
    Settle(usize, Vec<(usize, u128, u64, Kind)>),
    Preview(usize, Vec<(usize, u128, u64)>),
    Wait(u64),
    OwnerAck(usize, bool),
    UserAck(usize, usize, bool),
    RevokeAll(usize, usize),
    DeleteLedger(usize),
    Reprice(usize, u128, bool),
}

fn amount() -> impl Strategy<Value = u128> {
    prop_oneof![
        (0u128..12).prop_map(|n| n * TOKEN / 2),
        0u128..2_000,
        Just(3 * TOKEN),
        Just(TOKEN),
    ]
}

fn op() -> impl Strategy<Value = TOp> {
    let u = 0..USERS;
    let p = 0..PROVIDERS;
    prop_oneof![
        1 => (u.clone(), amount()).prop_map(|(u, a)| TOp::Open(u, a)),
        1 => (u.clone(), amount()).prop_map(|(u, a)| TOp::Deposit(u, a)),
        1 => (u.clone(), amount()).prop_map(|(u, a)| TOp::Withdraw(u, a)),
        3 => (u.clone(), p.clone(), amount()).prop_map(|(u, p, a)| TOp::Transfer(u, p, a)),
        1 => (u.clone(), prop::collection::vec(p.clone(), 0..4)).prop_map(|(u, ps)| TOp::Retrieve(u, ps)),
        1 => (u.clone(), p.clone()).prop_map(|(u, p)| TOp::Process(u, p)),
        2 => (u.clone(), p.clone()).prop_map(|(u, p)| TOp::RequestAll(u, p)),
        3 => (
            p.clone(),
            prop::collection::vec(
                (
                    u.clone(),
                    amount(),
                    0u64..4,
                    prop_oneof![
                        4 => Just(Kind::Valid),
                        1 => Just(Kind::Forged),
                        2 => Just(Kind::Replay),
                        1 => Just(Kind::OtherProvider)
                    ]
                ),
                1..5
            )
        )
            .prop_map(|(p, items)| TOp::Settle(p, items)),
        1 => (p.clone(), prop::collection::vec((u.clone(), amount(), 0u64..3), 1..4))
            .prop_map(|(p, items)| TOp::Preview(p, items)),
        3 => prop_oneof![0u64..600, Just(LOCK), Just(LOCK - 1), 0u64..3 * LOCK].prop_map(TOp::Wait),
        1 => (p.clone(), any::<bool>()).prop_map(|(p, b)| TOp::OwnerAck(p, b)),
        1 => (u.clone(), p.clone(), any::<bool>()).prop_map(|(u, p, b)| TOp::UserAck(u, p, b)),
        1 => (u.clone(), p.clone()).prop_map(|(u, p)| TOp::RevokeAll(u, p)),
        1 => u.clone().prop_map(TOp::DeleteLedger),
        1 => (p, 0u128..5, any::<bool>()).prop_map(|(p, price, critical)| TOp::Reprice(p, price, critical)),
    ]
}

struct Harness {
    ledger: Ledger,
    now: u64,
    tee: Vec<SecretKey>,
    mallory: SecretKey,
    domain: Domain,
    /// Items that paid something: replaying them must never pay again.
    accepted: Vec<(usize, SettlementItem)>,
    /// Highest nonce seen per account record.
    nonces: BTreeMap<(Address, Address), U256>,
    /// Next nonce the honest TEE signer would use per (user, provider).
    next_nonce: BTreeMap<(usize, usize), u64>,
    /// What the sequence reached (to check the generator exercises the interesting paths).
    seen: BTreeMap<&'static str, u64>,
}

fn scheme(p: usize) -> SignatureScheme {
    if p == 0 {
        SignatureScheme::Eip712
    } else {
        SignatureScheme::Eip191
    }
}

fn params(tee: Address, scheme: SignatureScheme, price: u128, model: &str) -> ServiceParams {
    ServiceParams {
        service_type: "chatbot".into(),
        model: model.into(),
        input_price: Amount::new(price),
        output_price: Amount::new(2 * price),
        tee_signer: tee,
        scheme,
        ..ServiceParams::default()
    }
}

impl Harness {
    fn new() -> Harness {
        let domain = Domain::new(U256::from(16601u64), Address([0xcc; 20]));
        let mut ledger = Ledger::new(LedgerConfig {
            owner: OWNER,
            domain,
            lock_time_secs: LOCK,
            limits: Limits::default(),
        })
        .unwrap();
        let tee: Vec<SecretKey> = (0..PROVIDERS)
            .map(|i| SecretKey::from_seed(&[b't', i as u8]))
            .collect();
        for (i, key) in tee.iter().enumerate() {
            ledger
                .apply(
                    Timestamp::ZERO,
                    &Call::new(
                        provider(i),
                        Op::AddOrUpdateService {
                            params: params(key.address(), scheme(i), 1, "m"),
                        },
                    )
                    .with_value(Amount::new(100 * TOKEN)),
                )
                .unwrap();
            ledger
                .apply(
                    Timestamp::ZERO,
                    &Call::new(
                        OWNER,
                        Op::AcknowledgeTeeSignerByOwner {
                            provider: provider(i),
                        },
                    ),
                )
                .unwrap();
        }
        // Start from funded accounts so sequences reach settlements and refunds quickly.
        for u in 0..USERS {
            ledger
                .apply(
                    Timestamp::ZERO,
                    &Call::new(user(u), Op::DepositFund).with_value(Amount::new(20 * TOKEN)),
                )
                .unwrap();
            for p in 0..PROVIDERS {
                ledger
                    .apply(
                        Timestamp::ZERO,
                        &Call::new(
                            user(u),
                            Op::TransferFund {
                                provider: provider(p),
                                amount: Amount::new(3 * TOKEN),
                            },
                        ),
                    )
                    .unwrap();
            }
        }
        Harness {
            ledger,
            now: 0,
            tee,
            mallory: SecretKey::from_seed(b"mallory"),
            domain,
            accepted: Vec::new(),
            nonces: BTreeMap::new(),
            next_nonce: BTreeMap::new(),
            seen: BTreeMap::new(),
        }
    }

    fn sign(&self, key: &SecretKey, p: usize, u: usize, fee: u128, nonce: u64) -> SettlementItem {
        SettlementItem::signed(
            key,
            scheme(p),
            &self.domain,
            TeeSettlement {
                requests_hash: H256([nonce as u8; 32]),
                nonce: U256::from(nonce),
                provider: provider(p),
                user: user(u),
                total_fee: Amount::new(fee),
            },
        )
        .unwrap()
    }

    /// Matured refunds of (user, provider) at `now`.
    fn matured(&self, u: Address, p: Address) -> u128 {
        self.ledger
            .account(&u, &p)
            .map(|a| {
                a.refunds
                    .iter()
                    .filter(|r| self.now >= r.created_at + self.ledger.lock_time_secs())
                    .map(|r| r.amount.units())
                    .sum()
            })
            .unwrap_or(0)
    }

    fn step(&mut self, op: &TOp) -> Result<(), TestCaseError> {
        let now = Timestamp::from_secs(self.now);
        let (call, expect_released, settle_kinds) = match op {
            TOp::Wait(s) => {
                self.now += s;
                return Ok(());
            }
            TOp::Open(u, a) => (
                Call::new(
                    user(*u),
                    Op::AddLedger {
                        additional_info: String::new(),
                    },
                )
                .with_value(Amount::new(*a)),
                None,
                None,
            ),
            TOp::Deposit(u, a) => (
                Call::new(user(*u), Op::DepositFund).with_value(Amount::new(*a)),
                None,
                None,
            ),
            TOp::Withdraw(u, a) => (
                Call::new(
                    user(*u),
                    Op::Refund {
                        amount: Amount::new(*a),
                    },
                ),
                None,
                None,
            ),
            TOp::Transfer(u, p, a) => (
                Call::new(
                    user(*u),
                    Op::TransferFund {
                        provider: provider(*p),
                        amount: Amount::new(*a),
                    },
                ),
                None,
                None,
            ),
            TOp::Retrieve(u, ps) => {
                let mut seen = Vec::new();
                let mut expected = 0;
                for p in ps {
                    if !seen.contains(p) {
                        seen.push(*p);
                        expected += self.matured(user(*u), provider(*p));
                    }
                }
                (
                    Call::new(
                        user(*u),
                        Op::RetrieveFund {
                            providers: ps.iter().map(|p| provider(*p)).collect(),
                        },
                    ),
                    Some(expected),
                    None,
                )
            }
            TOp::Process(u, p) => (
                Call::new(
                    user(*u),
                    Op::ProcessRefund {
                        provider: provider(*p),
                    },
                ),
                Some(self.matured(user(*u), provider(*p))),
                None,
            ),
            TOp::RequestAll(u, p) => (
                Call::new(
                    user(*u),
                    Op::RequestRefundAll {
                        provider: provider(*p),
                    },
                ),
                None,
                None,
            ),
            TOp::Settle(p, specs) => {
                let mut items = Vec::new();
                let mut kinds = Vec::new();
                for (u, fee, skip, kind) in specs {
                    let item = match kind {
                        Kind::Valid => {
                            let n = self.next_nonce.entry((*u, *p)).or_insert(0);
                            *n += 1 + skip;
                            let nonce = *n;
                            self.sign(&self.tee[*p], *p, *u, *fee, nonce)
                        }
                        Kind::Forged => self.sign(&self.mallory, *p, *u, *fee, 1_000 + skip),
                        Kind::OtherProvider => {
                            self.sign(&self.tee[1 - *p], 1 - *p, *u, *fee, 1_000 + skip)
                        }
                        Kind::Replay => match self.accepted.iter().rev().find(|(ap, _)| ap == p) {
                            Some((_, item)) => item.clone(),
                            None => continue,
                        },
                    };
                    items.push(item);
                    kinds.push(kind.clone());
                }
                if items.is_empty() {
                    return Ok(());
                }
                (
                    Call::new(provider(*p), Op::SettleFees { items }),
                    None,
                    Some(kinds),
                )
            }
            TOp::Preview(p, specs) => {
                let items = specs
                    .iter()
                    .map(|(u, fee, skip)| self.sign(&self.tee[*p], *p, *u, *fee, 10_000 + skip))
                    .collect();
                (
                    Call::new(provider(*p), Op::PreviewSettlement { items }),
                    None,
                    None,
                )
            }
            TOp::OwnerAck(p, ack) => (
                Call::new(
                    OWNER,
                    if *ack {
                        Op::AcknowledgeTeeSignerByOwner {
                            provider: provider(*p),
                        }
                    } else {
                        Op::RevokeTeeSignerAcknowledgement {
                            provider: provider(*p),
                        }
                    },
                ),
                None,
                None,
            ),
            TOp::UserAck(u, p, ack) => (
                Call::new(
                    user(*u),
                    Op::AcknowledgeTeeSigner {
                        provider: provider(*p),
                        acknowledged: *ack,
                    },
                ),
                None,
                None,
            ),
            TOp::RevokeAll(u, p) => (
                Call::new(
                    user(*u),
                    Op::RevokeAllTokens {
                        provider: provider(*p),
                    },
                ),
                None,
                None,
            ),
            TOp::DeleteLedger(u) => (Call::new(user(*u), Op::DeleteLedger), None, None),
            TOp::Reprice(p, price, critical) => (
                Call::new(
                    provider(*p),
                    Op::AddOrUpdateService {
                        params: params(
                            self.tee[*p].address(),
                            scheme(*p),
                            *price,
                            if *critical { "other" } else { "m" },
                        ),
                    },
                ),
                None,
                None,
            ),
        };

        let before = self.ledger.clone();
        let paid_before = self.ledger.totals().paid_to_providers;
        let result = self.ledger.apply(now, &call);
        *self
            .seen
            .entry(if result.is_ok() { "ok" } else { "rejected" })
            .or_default() += 1;
        if let Ok(Outcome::Retrieved { amount }) = &result
            && !amount.is_zero()
        {
            *self.seen.entry("refund released").or_default() += 1;
        }
        if let Ok(Outcome::Settled { results, .. }) = &result {
            for r in results {
                *self.seen.entry(r.status.name()).or_default() += 1;
            }
        }
        match &result {
            Err(_) => prop_assert_eq!(&self.ledger, &before, "rejected call changed state"),
            Ok(outcome) => {
                if let Some(expected) = expect_released {
                    prop_assert_eq!(
                        outcome,
                        &Outcome::Retrieved {
                            amount: Amount::new(expected)
                        },
                        "refunds released must be exactly the matured ones"
                    );
                }
                if let (Some(kinds), Outcome::Settled { results, paid }, Op::SettleFees { items }) =
                    (&settle_kinds, outcome, &call.op)
                {
                    let sum: u128 = results.iter().map(|r| r.settled.units()).sum();
                    prop_assert_eq!(sum, paid.units());
                    prop_assert_eq!(
                        self.ledger.totals().paid_to_providers.units(),
                        paid_before.units() + sum
                    );
                    let p = match op {
                        TOp::Settle(p, _) => *p,
                        _ => unreachable!(),
                    };
                    for ((kind, r), item) in kinds.iter().zip(results).zip(items) {
                        let paid_ok = matches!(
                            r.status,
                            SettlementStatus::Success | SettlementStatus::Partial
                        );
                        match kind {
                            Kind::Forged | Kind::OtherProvider | Kind::Replay => {
                                prop_assert!(
                                    !paid_ok,
                                    "forged or replayed item accepted: {kind:?}"
                                );
                                prop_assert!(r.settled.is_zero());
                            }
                            Kind::Valid => {
                                if paid_ok {
                                    self.accepted.push((p, item.clone()));
                                }
                            }
                        }
                        prop_assert_eq!(
                            r.settled.units() + r.unsettled.units(),
                            item.total_fee.units()
                        );
                    }
                }
            }
        }
        if let Err(e) = self.ledger.check_invariants() {
            return Err(TestCaseError::fail(format!(
                "invariant broken after {op:?}: {e}"
            )));
        }
        for a in self.ledger.accounts() {
            let key = (a.user, a.provider);
            let seen = self.nonces.entry(key).or_insert(U256::ZERO);
            prop_assert!(a.nonce >= *seen, "nonce went back");
            *seen = a.nonce;
        }
        for (k, n) in &self.nonces {
            if let Some(a) = self.ledger.account_record(&k.0, &k.1) {
                prop_assert!(a.nonce >= *n, "nonce lost on deletion");
            }
        }
        Ok(())
    }
}

/// The generator reaches every settlement status, released refunds and rejected calls.
#[test]
fn generator_reaches_the_interesting_states() {
    use proptest::test_runner::{Config, TestRunner};
    let mut runner = TestRunner::new(Config {
        cases: 64,
        ..Config::default()
    });
    let seen = std::cell::RefCell::new(BTreeMap::<&'static str, u64>::new());
    runner
        .run(&prop::collection::vec(op(), 40..80), |ops| {
            let mut h = Harness::new();
            for op in &ops {
                h.step(op)?;
            }
            for (k, v) in h.seen {
                *seen.borrow_mut().entry(k).or_default() += v;
            }
            Ok(())
        })
        .unwrap();
    let seen = seen.into_inner();
    for key in [
        "ok",
        "rejected",
        "refund released",
        "SUCCESS",
        "PARTIAL",
        "PROVIDER_MISMATCH",
        "NO_TEE_SIGNER",
        "INVALID_NONCE",
        "INVALID_SIGNATURE",
    ] {
        assert!(
            seen.get(key).copied().unwrap_or(0) > 0,
            "never reached {key}: {seen:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_operation_sequences_keep_every_invariant(ops in prop::collection::vec(op(), 1..80)) {
        let mut h = Harness::new();
        for op in &ops {
            h.step(op)?;
        }
    }
}
