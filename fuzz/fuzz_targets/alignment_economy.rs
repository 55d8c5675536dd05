//! The alignment economy (sale, licences, check-ins, rewards) under arbitrary call sequences:
//! after every call the invariants of `Economy::check_invariants` hold (licences within
//! supply, every received wei a sale or owed back, referral and owed-back books balanced, the
//! pool's `Σ earned + carry + dust + unvested = P`), a refused call changes nothing, every
//! offered wei is a sale, owed back or refused, and every payout and claim is booked once.
#![no_main]

use std::collections::BTreeSet;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zg_alignment::Address;
use zg_alignment::economy::sale::{Rate, Receipt, ReferralRates, Tier, TierTable};
use zg_alignment::economy::{
    Call, CheckIn, DAY_MS, Economy, EconomyConfig, Op, OperatorKey, Outcome, Purchase, SaleConfig,
};
use zg_core::{Amount, H256, Timestamp};

const OWNER: Address = Address::repeat(0xf0);
const RELAYER: Address = Address::repeat(0xf1);
const REPORTER: Address = Address::repeat(0xf2);
const CONTRACT: Address = Address::repeat(0xc0);
const CHAIN: u64 = 16_600;

#[derive(Arbitrary, Debug)]
struct Input {
    tiers: Vec<(u8, u16)>,
    pool: u128,
    cap: u8,
    steps: Vec<Step>,
}

#[derive(Arbitrary, Debug)]
enum Step {
    Buy {
        relayer: bool,
        buyer: u8,
        q: u8,
        paid: u16,
        tx: u8,
        chain: u8,
        promo: u8,
        referrer: u8,
    },
    Withdraw(u8),
    Airdrop(u8, u32, u8),
    Approve(u8, u8, u8),
    ApproveAll(u8, u8, bool),
    Transfer(u8, u8, u8, u8),
    Delegate(u8, u8, u8),
    CheckIn {
        key: u8,
        licence: u8,
        node: u8,
        epoch_delta: i8,
        domain: u8,
    },
    Launch(u8),
    Settle {
        reporter: bool,
        bits: u64,
        day_delta: i8,
        extra: bool,
    },
    Claim(u8, u8),
    /// Tens of minutes, forward or (the mirror takes any `now`) back.
    Wait(i16),
}

fn who(i: u8) -> Address {
    match i % 8 {
        0 => OWNER,
        1 => RELAYER,
        2 => REPORTER,
        k => Address::repeat(k),
    }
}

fn owner_or(e: &Economy, s: u8, l: u64) -> Address {
    match e.owner_of(l) {
        Some(o) if s.is_multiple_of(2) => o,
        _ => who(s),
    }
}

fn lic(e: &Economy, l: u8) -> u64 {
    if l < 200 && e.sold() > 0 {
        u64::from(l) % e.sold()
    } else {
        u64::from(l)
    }
}

fn call(e: &Economy, keys: &[OperatorKey], now: Timestamp, s: &Step) -> Option<Call> {
    Some(match *s {
        Step::Buy {
            relayer,
            buyer,
            q,
            paid,
            tx,
            chain,
            promo,
            referrer,
        } => Call::new(
            if relayer { RELAYER } else { who(buyer) },
            Op::Purchase(Purchase {
                quantity: u64::from(q % 8),
                promo: [
                    None,
                    Some("A".to_string()),
                    Some("B".to_string()),
                    Some("C".to_string()),
                ][usize::from(promo % 4)]
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
        Step::Airdrop(s, n, d) => Call::new(
            if s.is_multiple_of(2) { OWNER } else { who(s) },
            Op::Airdrop {
                rate: Rate::new(u128::from(n), u128::from(d).max(1)).ok()?,
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
            let operator = keys.get(usize::from(k % 4)).map(OperatorKey::address);
            Call::new(
                owner_or(e, s, l),
                Op::Delegate {
                    licence: l,
                    operator,
                },
            )
        }
        Step::CheckIn {
            key,
            licence,
            node,
            epoch_delta,
            domain,
        } => {
            let licence = lic(e, licence);
            let epoch = e
                .epoch_at(now)
                .saturating_add_signed(i64::from(epoch_delta % 3));
            let c = CheckIn {
                chain_id: if domain == 1 { CHAIN + 1 } else { CHAIN },
                contract: if domain == 2 { OWNER } else { CONTRACT },
                licence,
                epoch,
                node: H256([node % 4; 32]),
            };
            let delegated = e
                .licence(licence)
                .and_then(|x| x.operator)
                .and_then(|o| keys.iter().find(|k| k.address() == o));
            let k = match delegated {
                Some(k) if key % 4 != 0 => k,
                _ => &keys[usize::from(key) % keys.len()],
            };
            let mut signed = k.sign(c).ok()?;
            if domain == 3 {
                // A relabelled check-in: the signature covers another licence.
                signed.check_in.licence = signed.check_in.licence.wrapping_add(1);
            }
            Call::new(who(node), Op::CheckIn(signed))
        }
        Step::Launch(s) => Call::new(if s.is_multiple_of(2) { OWNER } else { who(s) }, Op::Launch),
        Step::Settle {
            reporter,
            bits,
            day_delta,
            extra,
        } => {
            let next = e.pool().map_or(1, |p| p.day() + 1);
            let n = usize::try_from(e.sold()).ok()? + usize::from(extra);
            Call::new(
                if reporter { REPORTER } else { OWNER },
                Op::SettleDay {
                    day: next.saturating_add_signed(i64::from(day_delta % 2)),
                    attested: (0..n).map(|i| bits >> (i % 64) & 1 == 1).collect(),
                },
            )
        }
        Step::Claim(s, l) => {
            let l = lic(e, l);
            Call::new(owner_or(e, s, l), Op::Claim { licence: l })
        }
        Step::Wait(_) => return None,
    })
}

fuzz_target!(|input: Input| {
    let tiers: Vec<Tier> = input
        .tiers
        .iter()
        .take(8)
        .map(|&(c, p)| Tier {
            count: u64::from(c % 16),
            price: Amount::new(u128::from(p)),
        })
        .collect();
    let Ok(tiers) = TierTable::new(tiers) else {
        return;
    };
    let start = Timestamp::from_secs(1_000);
    let mut sale = SaleConfig::new(start);
    sale.tiers = tiers;
    sale.referral_rates = ReferralRates::new(vec![(0, 500), (2, 750), (5, 1_000)]).unwrap();
    sale.whitelist = [who(3), who(4)].into_iter().collect();
    sale.whitelist_cap = u64::from(input.cap % 8);
    sale.promo_codes = [("A".to_string(), 333u16), ("B".to_string(), 10_000)]
        .into_iter()
        .collect();
    sale.airdrop_at = start.plus_millis(3 * DAY_MS);
    let mut e = Economy::new(EconomyConfig {
        owner: OWNER,
        relayer: RELAYER,
        reporter: REPORTER,
        chain_id: CHAIN,
        contract: CONTRACT,
        sale,
        reward_pool: Amount::new(input.pool),
        launch_at: start.plus_millis(4 * DAY_MS),
    })
    .unwrap();
    let keys: Vec<OperatorKey> = (0u8..3).map(|i| OperatorKey::from_seed(&[i])).collect();
    let mut now = start;
    let (mut offered, mut refused) = (0u128, 0u128);
    let (mut withdrawn, mut claimed, mut usdc) = (0u128, 0u128, 0u128);
    for s in input.steps.iter().take(256) {
        if let Step::Wait(m) = s {
            // Up to ~45 days in steps of ten minutes, forward or back.
            let ms = u64::from((m % 6_500).unsigned_abs()) * 600_000;
            now = if *m < 0 {
                Timestamp(now.0.saturating_sub(ms))
            } else {
                now.plus_millis(ms)
            };
            continue;
        }
        let Some(c) = call(&e, &keys, now, s) else {
            continue;
        };
        let before = e.clone();
        let result = e.apply(now, &c);
        if let Op::Purchase(p) = &c.op {
            offered += p.receipt.amount.units();
            if result.is_err() {
                refused += p.receipt.amount.units();
            }
        }
        match &result {
            Err(_) => assert_eq!(e, before, "a refused call changed the state"),
            Ok(Outcome::Paid { amount }) => match c.op {
                Op::WithdrawOwed => withdrawn += amount.units(),
                Op::Claim { .. } => claimed += amount.units(),
                _ => panic!("unexpected payment"),
            },
            Ok(Outcome::Airdropped { payouts }) => {
                let mut seen = BTreeSet::new();
                for (a, u) in payouts {
                    assert!(seen.insert(*a), "two payouts to one address");
                    usdc += u.units();
                }
            }
            Ok(_) => {}
        }
        if let Err(msg) = e.check_invariants() {
            panic!("{msg} after {s:?}");
        }
        let t = e.totals();
        assert_eq!(offered, t.revenue.units() + t.owed_back.units() + refused);
        assert!(e.sold() <= e.config().sale.tiers.supply());
        assert_eq!(withdrawn, t.refunded.units());
        assert_eq!(claimed, t.rewards_claimed.units());
        assert_eq!(usdc, t.usdc_paid.units());
    }
});
