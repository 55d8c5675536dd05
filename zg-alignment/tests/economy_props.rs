// Test code: a panic here is a failure report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

//! Conservation and invariants under arbitrary call sequences (proptest), and the reward pool
//! against a direct reference computation of the formulas.

use proptest::prelude::*;
use zg_alignment::Address;
use zg_alignment::economy::sale::{Rate, Receipt, ReferralRates, Tier, TierTable};
use zg_alignment::economy::{
    Call, CheckIn, DAY_MS, Economy, EconomyConfig, Op, OperatorKey, Outcome, Purchase, RewardPool,
    SaleConfig,
};
use zg_core::{Amount, H256, Timestamp};

const OWNER: Address = Address::repeat(0xf0);
const RELAYER: Address = Address::repeat(0xf1);
const REPORTER: Address = Address::repeat(0xf2);
const CONTRACT: Address = Address::repeat(0xc0);
const CHAIN: u64 = 16_600;
const START: Timestamp = Timestamp::from_secs(1_000);

fn who(i: u8) -> Address {
    match i % 8 {
        0 => OWNER,
        1 => RELAYER,
        2 => REPORTER,
        k => Address::repeat(k),
    }
}

fn config(pool: u128) -> EconomyConfig {
    let mut sale = SaleConfig::new(START);
    sale.tiers = TierTable::new(vec![
        Tier {
            count: 3,
            price: Amount::new(100),
        },
        Tier {
            count: 4,
            price: Amount::new(250),
        },
        Tier {
            count: 2,
            price: Amount::new(1_000),
        },
    ])
    .unwrap();
    sale.referral_rates = ReferralRates::new(vec![(0, 500), (2, 750), (4, 1_000)]).unwrap();
    sale.whitelist = [who(3), who(4)].into_iter().collect();
    sale.whitelist_cap = 2;
    sale.promo_codes = [("A".to_string(), 333u16), ("B".to_string(), 10_000)]
        .into_iter()
        .collect();
    sale.airdrop_at = START.plus_millis(3 * DAY_MS);
    EconomyConfig {
        owner: OWNER,
        relayer: RELAYER,
        reporter: REPORTER,
        chain_id: CHAIN,
        contract: CONTRACT,
        sale,
        reward_pool: Amount::new(pool),
        launch_at: START.plus_millis(4 * DAY_MS),
    }
}

#[derive(Clone, Debug)]
enum Step {
    Buy {
        sender: u8,
        buyer: u8,
        q: u8,
        paid: u16,
        tx: u8,
        chain: u8,
        promo: u8,
        referrer: u8,
    },
    Withdraw(u8),
    Airdrop(u8, u32),
    Approve(u8, u8, u8),
    ApproveAll(u8, u8, bool),
    Transfer(u8, u8, u8, u8),
    Delegate(u8, u8, u8),
    CheckIn {
        key: u8,
        licence: u8,
        node: u8,
        ahead: u8,
    },
    Launch(u8),
    Settle(u8, u16, u8),
    Claim(u8, u8),
    /// Tens of minutes.
    WaitHours(u8),
    WaitDays(u16),
    /// Time going back (the mirror takes any `now`), in tens of minutes.
    Rewind(u8),
    /// Settle every ended day, each as its own call.
    CatchUp(u16),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (any::<u8>(), any::<u8>(), 0u8..5, any::<u16>(), 0u8..12, 0u8..3, 0u8..3, any::<u8>())
            .prop_map(|(sender, buyer, q, paid, tx, chain, promo, referrer)| Step::Buy {
                sender: if sender % 4 == 0 { sender } else { 1 }, buyer, q, paid: paid % 4_000, tx, chain, promo, referrer
            }),
        1 => any::<u8>().prop_map(Step::Withdraw),
        1 => (any::<u8>(), any::<u32>()).prop_map(|(s, r)| Step::Airdrop(s, r)),
        1 => (any::<u8>(), any::<u8>(), 0u8..10).prop_map(|(s, t, l)| Step::Approve(s, t, l)),
        1 => (any::<u8>(), any::<u8>(), any::<bool>()).prop_map(|(s, o, b)| Step::ApproveAll(s, o, b)),
        2 => (any::<u8>(), any::<u8>(), any::<u8>(), 0u8..10).prop_map(|(s, f, t, l)| Step::Transfer(s, f, t, l)),
        2 => (any::<u8>(), 0u8..10, 0u8..4).prop_map(|(s, l, k)| Step::Delegate(s, l, k)),
        8 => (0u8..4, 0u8..10, 0u8..3, 0u8..3).prop_map(|(key, licence, node, ahead)| Step::CheckIn { key, licence, node, ahead }),
        2 => any::<u8>().prop_map(|s| Step::Launch(if s % 4 == 0 { s } else { 0 })),
        3 => (any::<u8>(), any::<u16>(), 0u8..3).prop_map(|(s, bits, d)| Step::Settle(if s % 3 == 0 { s } else { 2 }, bits, d)),
        2 => (any::<u8>(), 0u8..10).prop_map(|(s, l)| Step::Claim(s, l)),
        3 => any::<u8>().prop_map(Step::WaitHours),
        1 => (0u16..400).prop_map(Step::WaitDays),
        2 => any::<u16>().prop_map(Step::CatchUp),
        1 => any::<u8>().prop_map(Step::Rewind),
    ]
}

fn keys() -> Vec<OperatorKey> {
    (0u8..3).map(|i| OperatorKey::from_seed(&[i])).collect()
}

/// Licence `l` of those sold for most values, else an id that may not exist.
fn lic(e: &Economy, l: u8) -> u64 {
    if l < 8 && e.sold() > 0 {
        u64::from(l) % e.sold()
    } else {
        u64::from(l)
    }
}

/// The licence's owner for even `s` (most calls come from someone entitled), else `who(s)`.
fn owner_or(e: &Economy, s: u8, licence: u64) -> Address {
    match e.owner_of(licence) {
        Some(o) if s.is_multiple_of(2) => o,
        _ => who(s),
    }
}

fn call(e: &Economy, keys: &[OperatorKey], now: Timestamp, s: &Step) -> Call {
    match *s {
        Step::Buy {
            sender,
            buyer,
            q,
            paid,
            tx,
            chain,
            promo,
            referrer,
        } => Call::new(
            who(sender),
            Op::Purchase(Purchase {
                quantity: u64::from(q),
                promo: [None, Some("A".to_string()), Some("B".to_string())][usize::from(promo % 3)]
                    .clone(),
                referrer: (referrer % 3 != 0).then(|| who(referrer)),
                receipt: Receipt {
                    chain_id: [1, 42_161, 999][usize::from(chain % 3)],
                    tx_hash: H256([tx; 32]),
                    payer: who(buyer),
                    amount: Amount::new(u128::from(paid)),
                },
            }),
        ),
        Step::Withdraw(s) => Call::new(who(s), Op::WithdrawOwed),
        Step::Airdrop(s, r) => Call::new(
            who(s),
            Op::Airdrop {
                rate: Rate::new(u128::from(r), 7).unwrap(),
            },
        ),
        Step::Approve(s, t, l) => {
            let l = lic(e, l);
            Call::new(
                owner_or(e, s, l),
                Op::Approve {
                    to: (t % 5 != 0).then(|| who(t)),
                    licence: l,
                },
            )
        }
        Step::ApproveAll(s, o, b) => Call::new(
            who(s),
            Op::SetApprovalForAll {
                operator: who(o),
                approved: b,
            },
        ),
        Step::Transfer(s, f, t, l) => {
            let l = lic(e, l);
            Call::new(
                owner_or(e, s, l),
                Op::TransferFrom {
                    from: owner_or(e, f, l),
                    to: who(t),
                    licence: l,
                },
            )
        }
        Step::Delegate(s, l, k) => {
            let l = lic(e, l);
            Call::new(
                owner_or(e, s, l),
                Op::Delegate {
                    licence: l,
                    operator: keys.get(usize::from(k)).map(OperatorKey::address),
                },
            )
        }
        Step::CheckIn {
            key,
            licence,
            node,
            ahead,
        } => {
            let c = CheckIn {
                chain_id: CHAIN,
                contract: CONTRACT,
                licence: lic(e, licence),
                epoch: e.epoch_at(now) + u64::from(ahead / 2),
                node: H256([node; 32]),
            };
            // Mostly the delegated operator's key, else any key.
            let delegated = e
                .licence(c.licence)
                .and_then(|x| x.operator)
                .and_then(|o| keys.iter().find(|k| k.address() == o));
            let k = match delegated {
                Some(k) if key != 0 => k,
                _ => &keys[usize::from(key) % keys.len()],
            };
            Call::new(who(7), Op::CheckIn(k.sign(c).unwrap()))
        }
        Step::Launch(s) => Call::new(who(s), Op::Launch),
        Step::Settle(s, bits, d) => {
            let next = e.pool().map_or(1, |p| p.day() + 1);
            let n = e.sold() as usize;
            Call::new(
                who(s),
                Op::SettleDay {
                    day: next + u64::from(d / 2),
                    attested: (0..n + usize::from(d == 1))
                        .map(|i| bits >> (i % 16) & 1 == 1)
                        .collect(),
                },
            )
        }
        Step::Claim(s, l) => {
            let l = lic(e, l);
            Call::new(owner_or(e, s, l), Op::Claim { licence: l })
        }
        Step::CatchUp(bits) => call(e, keys, now, &Step::Settle(2, bits, 0)),
        Step::WaitHours(_) | Step::WaitDays(_) | Step::Rewind(_) => Call::new(who(0), Op::Launch),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    /// After every call the invariants hold; a refused call changes nothing; every wei a
    /// purchase offered is a sale, owed back, or refused; every payout is booked once.
    #[test]
    fn any_call_sequence_conserves_everything(pool in any::<u64>(), steps in prop::collection::vec(step(), 1..120)) {
        let keys = keys();
        let mut e = Economy::new(config(u128::from(pool) * 1_000)).unwrap();
        let mut now = START.plus_millis(DAY_MS); // whitelist phase
        let (mut offered, mut refused) = (0u128, 0u128);
        let (mut withdrawn, mut claimed, mut usdc) = (0u128, 0u128, 0u128);
        for s in &steps {
            match s {
                Step::WaitHours(h) => { now = now.plus_millis(u64::from(*h) * 600_000); continue; }
                Step::WaitDays(d) => { now = now.plus_millis(u64::from(*d) * DAY_MS); continue; }
                Step::Rewind(h) => {
                    now = Timestamp(now.0.saturating_sub(u64::from(*h) * 600_000));
                    continue;
                }
                _ => {}
            }
            let repeat = if matches!(s, Step::CatchUp(_)) { 2_000 } else { 1 };
            for _ in 0..repeat {
            let c = call(&e, &keys, now, s);
            let before = e.clone();
            let result = e.apply(now, &c);
            if let Op::Purchase(p) = &c.op {
                offered += p.receipt.amount.units();
                if result.is_err() { refused += p.receipt.amount.units(); }
            }
            match &result {
                Err(_) => prop_assert_eq!(&e, &before, "a refused call changed the state"),
                Ok(Outcome::Paid { amount }) => match c.op {
                    Op::WithdrawOwed => withdrawn += amount.units(),
                    Op::Claim { .. } => claimed += amount.units(),
                    _ => prop_assert!(false, "unexpected payment"),
                },
                Ok(Outcome::Airdropped { payouts }) => {
                    let mut seen = std::collections::BTreeSet::new();
                    for (a, u) in payouts {
                        prop_assert!(seen.insert(*a), "two payouts to one address in an airdrop");
                        usdc += u.units();
                    }
                }
                Ok(_) => {}
            }
            if result.is_err() && repeat > 1 { break; }
            }
            if let Err(msg) = e.check_invariants() {
                prop_assert!(false, "{msg} after {s:?}");
            }
            let t = e.totals();
            prop_assert_eq!(offered, t.revenue.units() + t.owed_back.units() + refused);
            prop_assert!(e.sold() <= 9);
            prop_assert_eq!(withdrawn, t.refunded.units());
            prop_assert_eq!(claimed, t.rewards_claimed.units());
            prop_assert_eq!(usdc, t.usdc_paid.units());
        }
    }

    /// The pool against the formulas computed directly (with plain multiplication, which fits
    /// for P < 2^64), over arbitrary liveness matrices past day 1,095.
    #[test]
    fn pool_matches_the_reference_formulas(
        p in any::<u64>(),
        l in 1u64..12,
        days in prop::collection::vec(any::<u16>(), 0..1_200),
    ) {
        let mut pool = RewardPool::new(Amount::new(u128::from(p)), l).unwrap();
        let (p, n) = (u128::from(p), u128::from(l));
        let a = p / n;
        let tge = a * 33 / 100;
        let x = a - tge;
        let mut earned = vec![tge; l as usize];
        let mut carry = 0u128;
        for (d, bits) in (1u128..).zip(&days) {
            let live: Vec<bool> = (0..l).map(|i| bits >> (i % 16) & 1 == 1).collect();
            pool.vest_day(&live).unwrap();
            let v = if d <= 1_095 { x * d / 1_095 - x * (d - 1) / 1_095 } else { 0 };
            let k = live.iter().filter(|b| **b).count() as u128;
            let f = carry + v * (n - k);
            let each = f.checked_div(k).unwrap_or(0);
            carry = f - each * k;
            for (e, b) in earned.iter_mut().zip(&live) {
                if *b { *e += v + each; }
            }
            pool.check_conservation().unwrap();
            let unvested = n * (x - x * d.min(1_095) / 1_095);
            prop_assert_eq!(earned.iter().sum::<u128>() + carry + (p - a * n) + unvested, p);
        }
        let got: Vec<u128> = pool.earned_all().map(Amount::units).collect();
        prop_assert_eq!(got, earned);
        prop_assert_eq!(pool.carry().units(), carry);
    }
}
