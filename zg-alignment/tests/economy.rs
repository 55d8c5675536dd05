// Test code: a panic here is a failure report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

//! The sale, licence and reward rules on small cases computed by hand, and attacks driven
//! through `Economy::apply`.

use zg_alignment::Address;
use zg_alignment::economy::sale::{ETHER, Rate, Receipt, ReferralRates, Tier, TierTable};
use zg_alignment::economy::{
    Call, CheckIn, DAY_MS, Economy, EconomyConfig, EconomyError, LOCK_MS, MAX_OPEN_EPOCHS, Op,
    OperatorKey, Outcome, Purchase, PurchaseRecord, RewardPool, SaleConfig,
};
use zg_core::{Amount, H256, Timestamp};

const OWNER: Address = Address::repeat(0xf0);
const RELAYER: Address = Address::repeat(0xf1);
const REPORTER: Address = Address::repeat(0xf2);
const CONTRACT: Address = Address::repeat(0xc0);
const CHAIN: u64 = 16_600;
/// Sale start.
const START: Timestamp = Timestamp::from_secs(1_000);
/// Public phase (start + 2 days).
const PUBLIC: Timestamp = Timestamp(1_000_000 + 2 * DAY_MS);
/// Rewards launch.
const LAUNCH: Timestamp = Timestamp(1_000_000 + 10 * DAY_MS);

fn a(b: u8) -> Address {
    Address::repeat(b)
}

fn tiers(t: &[(u64, u128)]) -> TierTable {
    TierTable::new(
        t.iter()
            .map(|&(count, price)| Tier {
                count,
                price: Amount::new(price),
            })
            .collect(),
    )
    .unwrap()
}

fn config(t: &[(u64, u128)], pool: u128) -> EconomyConfig {
    let mut sale = SaleConfig::new(START);
    sale.tiers = tiers(t);
    sale.whitelist = [a(1), a(2)].into_iter().collect();
    sale.whitelist_cap = 3;
    sale.promo_codes = [("TEN".to_string(), 1_000u16), ("ALL".to_string(), 10_000)]
        .into_iter()
        .collect();
    EconomyConfig {
        owner: OWNER,
        relayer: RELAYER,
        reporter: REPORTER,
        chain_id: CHAIN,
        contract: CONTRACT,
        sale,
        reward_pool: Amount::new(pool),
        launch_at: LAUNCH,
    }
}

fn economy(t: &[(u64, u128)], pool: u128) -> Economy {
    Economy::new(config(t, pool)).unwrap()
}

fn receipt(chain_id: u64, tx: u8, payer: Address, amount: u128) -> Receipt {
    Receipt {
        chain_id,
        tx_hash: H256([tx; 32]),
        payer,
        amount: Amount::new(amount),
    }
}

fn purchase(quantity: u64, r: Receipt, promo: Option<&str>, referrer: Option<Address>) -> Call {
    Call::new(
        RELAYER,
        Op::Purchase(Purchase {
            quantity,
            promo: promo.map(str::to_string),
            referrer,
            receipt: r,
        }),
    )
}

/// A purchase on chain 1 that must succeed.
fn buy(
    e: &mut Economy,
    now: Timestamp,
    buyer: Address,
    q: u64,
    paid: u128,
    tx: u8,
) -> PurchaseRecord {
    match e.apply(now, &purchase(q, receipt(1, tx, buyer, paid), None, None)) {
        Ok(Outcome::Purchased(p)) => {
            e.check_invariants().unwrap();
            p
        }
        other => panic!("purchase refused: {other:?}"),
    }
}

/// Applies a call that must be refused with `want`, and checks nothing changed.
fn refused(e: &mut Economy, now: Timestamp, call: &Call, want: EconomyError) {
    let before = e.clone();
    assert_eq!(e.apply(now, call), Err(want));
    assert_eq!(*e, before, "a refused call changed the state");
}

#[test]
fn default_table_has_32_tiers_and_175500_licences() {
    let t = TierTable::default_table();
    assert_eq!(t.tiers().len(), 32);
    assert_eq!(t.supply(), 175_500);
    assert_eq!(t.tiers().iter().map(|t| t.count).sum::<u64>(), 175_500);
    assert_eq!(t.tiers()[0].price, Amount::new(50_000_000_000_000_000));
    assert_eq!(t.tiers()[31].price, Amount::new(360_000_000_000_000_000));
    assert!(t.tiers().windows(2).all(|w| w[0].price < w[1].price));
    // The default table is a valid loadable table.
    assert_eq!(TierTable::new(t.tiers().to_vec()).unwrap(), t);
}

#[test]
fn purchases_spill_across_tiers_and_sold_out_is_typed() {
    // Tiers: 2 at 100, 3 at 200, 1 at 500.
    let mut e = economy(&[(2, 100), (3, 200), (1, 500)], 1_000);
    let p = buy(&mut e, PUBLIC, a(5), 1, 100, 1);
    assert_eq!(
        (p.first, p.price, p.parts.clone()),
        (0, Amount::new(100), vec![(0, 1)])
    );
    // 1 left at 100, then 2 at 200: 500.
    let p = buy(&mut e, PUBLIC, a(5), 3, 500, 2);
    assert_eq!(
        (p.first, p.price, p.parts.clone()),
        (1, Amount::new(500), vec![(0, 1), (1, 2)])
    );
    refused(
        &mut e,
        PUBLIC,
        &purchase(3, receipt(1, 3, a(5), 10_000), None, None),
        EconomyError::NotEnoughSupply {
            requested: 3,
            left: 2,
        },
    );
    // The last 200 and the 500.
    let p = buy(&mut e, PUBLIC, a(6), 2, 700, 4);
    assert_eq!(
        (p.price, p.parts.clone()),
        (Amount::new(700), vec![(1, 1), (2, 1)])
    );
    let tiers: Vec<usize> = e.licences().iter().map(|l| l.tier).collect();
    assert_eq!(tiers, vec![0, 0, 1, 1, 1, 2]);
    refused(
        &mut e,
        PUBLIC,
        &purchase(1, receipt(1, 5, a(5), 10_000), None, None),
        EconomyError::SoldOut,
    );
    assert_eq!(e.totals().revenue, Amount::new(1_300));
}

#[test]
fn promo_discount_is_floored_and_overpayment_owed_back_once() {
    let mut e = economy(&[(10, 999)], 1_000);
    // 10 % of 999 is 99.9: the discount is 99, 900 is due; 1,000 paid leaves 100 owed back.
    let r = e
        .apply(
            PUBLIC,
            &purchase(1, receipt(1, 1, a(5), 1_000), Some("TEN"), None),
        )
        .unwrap();
    let Outcome::Purchased(p) = r else { panic!() };
    assert_eq!(
        (p.discount, p.due, p.owed_back),
        (Amount::new(99), Amount::new(900), Amount::new(100))
    );
    refused(
        &mut e,
        PUBLIC,
        &purchase(1, receipt(1, 2, a(5), 1_000), Some("NOPE"), None),
        EconomyError::UnknownPromoCode,
    );
    // Underpayment is refused and uses nothing: 2 × 999 − 199 = 1,799 due.
    refused(
        &mut e,
        PUBLIC,
        &purchase(2, receipt(1, 2, a(5), 1_798), Some("TEN"), None),
        EconomyError::Underpaid {
            due: Amount::new(1_799),
            paid: Amount::new(1_798),
        },
    );
    // A 100 % code makes a licence free.
    let r = e
        .apply(
            PUBLIC,
            &purchase(1, receipt(1, 2, a(5), 0), Some("ALL"), None),
        )
        .unwrap();
    assert!(matches!(
        r,
        Outcome::Purchased(PurchaseRecord { due: Amount(0), .. })
    ));
    assert_eq!(
        e.apply(PUBLIC, &Call::new(a(5), Op::WithdrawOwed)),
        Ok(Outcome::Paid {
            amount: Amount::new(100)
        })
    );
    refused(
        &mut e,
        PUBLIC,
        &Call::new(a(5), Op::WithdrawOwed),
        EconomyError::NothingOwed,
    );
    e.check_invariants().unwrap();
}

#[test]
fn phases_whitelist_cap_then_public() {
    let mut e = economy(&[(100, 10)], 1_000);
    let before_start = Timestamp(START.0 - 1);
    refused(
        &mut e,
        before_start,
        &purchase(1, receipt(1, 1, a(1), 10), None, None),
        EconomyError::SaleNotStarted { opens: START },
    );
    refused(
        &mut e,
        START,
        &purchase(1, receipt(1, 1, a(9), 10), None, None),
        EconomyError::NotWhitelisted { buyer: a(9) },
    );
    buy(&mut e, START, a(1), 2, 20, 1);
    refused(
        &mut e,
        START,
        &purchase(2, receipt(1, 2, a(1), 20), None, None),
        EconomyError::WhitelistCapExceeded {
            bought: 2,
            requested: 2,
            cap: 3,
        },
    );
    // The last whitelist millisecond still applies the rules; the public phase does not.
    let last = Timestamp(PUBLIC.0 - 1);
    buy(&mut e, last, a(1), 1, 10, 2);
    buy(&mut e, PUBLIC, a(1), 5, 50, 3);
    buy(&mut e, PUBLIC, a(9), 1, 10, 4);
    // Only the relayer reports purchases.
    refused(
        &mut e,
        PUBLIC,
        &Call::new(a(9), purchase(1, receipt(1, 5, a(9), 10), None, None).op),
        EconomyError::Unauthorized { caller: a(9) },
    );
    refused(
        &mut e,
        PUBLIC,
        &purchase(1, receipt(999, 5, a(9), 10), None, None),
        EconomyError::UnsupportedChain { chain_id: 999 },
    );
}

#[test]
fn referral_rebate_and_cashback_rates_step_with_cumulative_licences() {
    let mut cfg = config(&[(100, 1_000)], 1_000);
    cfg.sale.referral_rates = ReferralRates::new(vec![(0, 500), (3, 700), (5, 1_000)]).unwrap();
    let mut e = Economy::new(cfg).unwrap();
    let referrer = a(7);
    // Four purchases of 2 licences (2,000 wei each) naming the referrer: referred before each
    // = 0, 2, 4, 6 → rates 500, 500, 700, 1,000 → cashbacks 100, 100, 140, 200; the buyer's
    // rebate is 5 % = 100 each time.
    let mut cashbacks = vec![];
    for (i, buyer) in [a(10), a(11), a(12), a(13)].into_iter().enumerate() {
        let call = purchase(2, receipt(1, i as u8, buyer, 2_000), None, Some(referrer));
        let Ok(Outcome::Purchased(p)) = e.apply(PUBLIC, &call) else {
            panic!()
        };
        assert_eq!(p.rebate, Amount::new(100));
        cashbacks.push(p.cashback.units());
    }
    assert_eq!(cashbacks, vec![100, 100, 140, 200]);
    // After a 10 % promo the rebate and cashback are taken from the discounted 1,800:
    // rebate floor(1,800 × 5 %) = 90, cashback floor(1,800 × 10 %) = 180.
    let call = purchase(2, receipt(1, 9, a(14), 1_800), Some("TEN"), Some(referrer));
    let Ok(Outcome::Purchased(p)) = e.apply(PUBLIC, &call) else {
        panic!()
    };
    assert_eq!(
        (p.due, p.rebate, p.cashback),
        (Amount::new(1_800), Amount::new(90), Amount::new(180))
    );
    let w = e.wallet(&referrer).unwrap();
    assert_eq!((w.referred, w.referral_wei), (10, Amount::new(720)));
    e.check_invariants().unwrap();
}

#[test]
fn attack_self_referral_is_refused() {
    let mut e = economy(&[(100, 1_000)], 1_000);
    refused(
        &mut e,
        PUBLIC,
        &purchase(1, receipt(1, 1, a(5), 1_000), None, Some(a(5))),
        EconomyError::SelfReferral,
    );
    assert!(e.wallet(&a(5)).is_none());
}

#[test]
fn attack_receipt_replayed_on_another_chain_pays_once() {
    let mut e = economy(&[(100, 1_000)], 1_000);
    buy(&mut e, PUBLIC, a(5), 1, 1_000, 0x42);
    // The same transaction (a pre-EIP-155 transaction replays with the same hash) reported
    // from Arbitrum, then again from Ethereum.
    for chain in [42_161, 1] {
        refused(
            &mut e,
            PUBLIC,
            &purchase(1, receipt(chain, 0x42, a(5), 1_000), None, None),
            EconomyError::ReceiptUsed,
        );
    }
    assert_eq!(e.sold(), 1);
    assert_eq!(e.totals().received, Amount::new(1_000));
}

#[test]
fn airdrop_pays_each_address_once_in_usdc() {
    let mut e = economy(&[(100, ETHER / 10)], 1_000);
    // 0.1 ETH due; rebate 0.005 ETH to the buyer, cashback 0.005 ETH (500 bp) to the referrer.
    let call = purchase(1, receipt(1, 1, a(5), ETHER / 10), None, Some(a(6)));
    e.apply(PUBLIC, &call).unwrap();
    // 3,000 USDC (6 decimals) per ether: 0.005 ETH = 15 USDC = 15,000,000 units.
    let rate = Rate::new(3_000_000_000, ETHER).unwrap();
    let at = e.config().sale.airdrop_at;
    refused(
        &mut e,
        Timestamp(at.0 - 1),
        &Call::new(OWNER, Op::Airdrop { rate }),
        EconomyError::AirdropNotYet { opens: at },
    );
    refused(
        &mut e,
        at,
        &Call::new(a(5), Op::Airdrop { rate }),
        EconomyError::Unauthorized { caller: a(5) },
    );
    let r = e
        .apply(at, &Call::new(OWNER, Op::Airdrop { rate }))
        .unwrap();
    assert_eq!(
        r,
        Outcome::Airdropped {
            payouts: vec![
                (a(5), Amount::new(15_000_000)),
                (a(6), Amount::new(15_000_000))
            ]
        }
    );
    // A second airdrop pays nobody again.
    let r = e
        .apply(at, &Call::new(OWNER, Op::Airdrop { rate }))
        .unwrap();
    assert_eq!(r, Outcome::Airdropped { payouts: vec![] });
    e.check_invariants().unwrap();
}

/// A sale of `n` licences to `a(5)` at 10 wei each, bought at `PUBLIC`.
fn sold(n: u64, pool: u128) -> Economy {
    let mut e = economy(&[(n, 10)], pool);
    buy(&mut e, PUBLIC, a(5), n, 10 * u128::from(n), 1);
    e
}

fn transfer(from: Address, to: Address, licence: u64) -> Op {
    Op::TransferFrom { from, to, licence }
}

#[test]
fn erc721_approvals_and_the_lock_boundary() {
    let mut e = sold(3, 1_000);
    let unlock = Timestamp(PUBLIC.0 + LOCK_MS);
    refused(
        &mut e,
        Timestamp(unlock.0 - 1),
        &Call::new(a(5), transfer(a(5), a(6), 0)),
        EconomyError::Locked {
            id: 0,
            until: unlock,
        },
    );
    // Exactly at purchase + 365 days the licence moves.
    e.apply(unlock, &Call::new(a(5), transfer(a(5), a(6), 0)))
        .unwrap();
    assert_eq!((e.owner_of(0), e.balance_of(&a(5))), (Some(a(6)), 2));
    // A stranger may not move it; an approved address may, once; an operator for all may.
    refused(
        &mut e,
        unlock,
        &Call::new(a(9), transfer(a(5), a(9), 1)),
        EconomyError::Unauthorized { caller: a(9) },
    );
    refused(
        &mut e,
        unlock,
        &Call::new(a(5), transfer(a(6), a(5), 1)),
        EconomyError::NotOwner { id: 1, from: a(6) },
    );
    e.apply(
        unlock,
        &Call::new(
            a(5),
            Op::Approve {
                to: Some(a(8)),
                licence: 1,
            },
        ),
    )
    .unwrap();
    e.apply(unlock, &Call::new(a(8), transfer(a(5), a(8), 1)))
        .unwrap();
    assert_eq!(
        e.licence(1).unwrap().approved,
        None,
        "approval cleared on transfer"
    );
    e.apply(
        unlock,
        &Call::new(
            a(5),
            Op::SetApprovalForAll {
                operator: a(7),
                approved: true,
            },
        ),
    )
    .unwrap();
    assert!(e.is_approved_for_all(&a(5), &a(7)));
    e.apply(unlock, &Call::new(a(7), transfer(a(5), a(9), 2)))
        .unwrap();
    refused(
        &mut e,
        unlock,
        &Call::new(a(9), transfer(a(9), Address::ZERO, 2)),
        EconomyError::ZeroAddress,
    );
    e.check_invariants().unwrap();
}

#[test]
fn attack_transfer_one_second_before_the_lock_ends() {
    let mut e = sold(1, 1_000);
    let unlock = Timestamp(PUBLIC.0 + LOCK_MS);
    // Even the owner's operator-for-all, even one second before the year is up.
    e.apply(
        PUBLIC,
        &Call::new(
            a(5),
            Op::SetApprovalForAll {
                operator: a(7),
                approved: true,
            },
        ),
    )
    .unwrap();
    for sender in [a(5), a(7)] {
        refused(
            &mut e,
            Timestamp(unlock.0 - 1_000),
            &Call::new(sender, transfer(a(5), a(6), 0)),
            EconomyError::Locked {
                id: 0,
                until: unlock,
            },
        );
    }
    assert_eq!(e.owner_of(0), Some(a(5)));
}

fn check_in(key: &OperatorKey, licence: u64, epoch: u64, node: u8) -> Call {
    let c = CheckIn {
        chain_id: CHAIN,
        contract: CONTRACT,
        licence,
        epoch,
        node: H256([node; 32]),
    };
    Call::new(a(0x99), Op::CheckIn(key.sign(c).unwrap()))
}

/// `n` licences sold, each delegated to its own operator key, launched.
fn launched(n: u64, pool: u128) -> (Economy, Vec<OperatorKey>) {
    let mut e = sold(n, pool);
    let keys: Vec<OperatorKey> = (0..n)
        .map(|i| OperatorKey::from_seed(&i.to_be_bytes()))
        .collect();
    for (i, k) in (0u64..).zip(&keys) {
        e.apply(
            PUBLIC,
            &Call::new(
                a(5),
                Op::Delegate {
                    licence: i,
                    operator: Some(k.address()),
                },
            ),
        )
        .unwrap();
    }
    let r = e.apply(LAUNCH, &Call::new(OWNER, Op::Launch)).unwrap();
    assert!(matches!(r, Outcome::Launched { licences, .. } if licences == n));
    (e, keys)
}

/// A time inside reward day `d`.
fn day(d: u64) -> Timestamp {
    Timestamp(LAUNCH.0 + (d - 1) * DAY_MS + 1)
}

fn settle(e: &mut Economy, d: u64, attested: &[bool]) -> Outcome {
    let r = e
        .apply(
            day(d + 1),
            &Call::new(
                REPORTER,
                Op::SettleDay {
                    day: d,
                    attested: attested.to_vec(),
                },
            ),
        )
        .unwrap();
    e.check_invariants().unwrap();
    r
}

#[test]
fn delegation_checks_in_and_is_cleared_on_transfer() {
    let (mut e, keys) = launched(2, 1_000);
    assert_eq!(
        e.apply(day(1), &check_in(&keys[0], 0, 1, 1)),
        Ok(Outcome::CheckedIn { second_node: false })
    );
    // The same node again is not a second node.
    assert_eq!(
        e.apply(day(1), &check_in(&keys[0], 0, 1, 1)),
        Ok(Outcome::CheckedIn { second_node: false })
    );
    assert!(e.single_node(1, 0));
    // Only the current epoch is open; another deployment's check-in is refused.
    refused(
        &mut e,
        day(1),
        &check_in(&keys[0], 0, 2, 1),
        EconomyError::EpochNotOpen { epoch: 2 },
    );
    let mut other = CheckIn {
        chain_id: CHAIN + 1,
        contract: CONTRACT,
        licence: 0,
        epoch: 1,
        node: H256::ZERO,
    };
    refused(
        &mut e,
        day(1),
        &Call::new(a(1), Op::CheckIn(keys[0].sign(other).unwrap())),
        EconomyError::WrongDomain,
    );
    other.chain_id = CHAIN;
    other.contract = a(0xc1);
    refused(
        &mut e,
        day(1),
        &Call::new(a(1), Op::CheckIn(keys[0].sign(other).unwrap())),
        EconomyError::WrongDomain,
    );
    // After the lock a transfer clears the delegation: the old operator can no longer check in.
    let later = Timestamp(PUBLIC.0 + LOCK_MS);
    let epoch = e.epoch_at(later);
    for d in 1..epoch {
        // Keep settlement current so the epoch is open.
        let _ = e.apply(
            later,
            &Call::new(
                REPORTER,
                Op::SettleDay {
                    day: d,
                    attested: vec![false, false],
                },
            ),
        );
    }
    e.apply(later, &Call::new(a(5), transfer(a(5), a(6), 1)))
        .unwrap();
    assert_eq!(e.licence(1).unwrap().operator, None);
    refused(
        &mut e,
        later,
        &check_in(&keys[1], 1, epoch, 1),
        EconomyError::NotDelegated { id: 1 },
    );
    e.check_invariants().unwrap();
}

#[test]
fn attack_check_in_signed_by_a_key_that_is_not_delegated() {
    let (mut e, keys) = launched(2, 1_000);
    let stranger = OperatorKey::from_seed(b"stranger");
    // A stranger's key, and licence 1's own operator signing for licence 0.
    refused(
        &mut e,
        day(1),
        &check_in(&stranger, 0, 1, 7),
        EconomyError::InvalidSignature,
    );
    refused(
        &mut e,
        day(1),
        &check_in(&keys[1], 0, 1, 7),
        EconomyError::InvalidSignature,
    );
    // A valid signature for licence 1 relabelled as licence 0.
    let Op::CheckIn(mut signed) = check_in(&keys[1], 1, 1, 7).op else {
        panic!()
    };
    signed.check_in.licence = 0;
    refused(
        &mut e,
        day(1),
        &Call::new(a(1), Op::CheckIn(signed)),
        EconomyError::InvalidSignature,
    );
    // None of them created a record, so licence 0's real node is its only node.
    assert_eq!(
        e.apply(day(1), &check_in(&keys[0], 0, 1, 1)),
        Ok(Outcome::CheckedIn { second_node: false })
    );
    e.apply(day(1), &check_in(&keys[1], 1, 1, 2)).unwrap();
    let Outcome::Settled(r) = settle(&mut e, 1, &[true, true]) else {
        panic!()
    };
    assert_eq!(r.live_count, 2);
}

#[test]
fn attack_two_nodes_for_one_licence_earn_nothing_that_epoch() {
    // P = 328,502, L = 3: A = 109,500, dust 2, tge 36,135, v_d = 67 every day.
    let (mut e, keys) = launched(3, 328_502);
    e.apply(day(1), &check_in(&keys[0], 0, 1, 1)).unwrap();
    e.apply(day(1), &check_in(&keys[1], 1, 1, 2)).unwrap();
    // The operator of licence 0 runs a second node.
    assert_eq!(
        e.apply(day(1), &check_in(&keys[0], 0, 1, 9)),
        Ok(Outcome::CheckedIn { second_node: true })
    );
    // Even a third check-in from the first node does not restore it.
    assert_eq!(
        e.apply(day(1), &check_in(&keys[0], 0, 1, 1)),
        Ok(Outcome::CheckedIn { second_node: true })
    );
    // The quorum attests all three; licence 2 never checked in. Only licence 1 is live: it
    // earns 67 + 2 × 67 (licences 0 and 2's share) = 201.
    let Outcome::Settled(r) = settle(&mut e, 1, &[true, true, true]) else {
        panic!()
    };
    assert_eq!(
        (r.live_count, r.share_each, r.carry),
        (1, Amount::new(134), Amount::ZERO)
    );
    let pool = e.pool().unwrap();
    assert_eq!(pool.earned(0), Some(Amount::new(36_135)));
    assert_eq!(pool.earned(1), Some(Amount::new(36_135 + 201)));
    assert_eq!(pool.earned(2), Some(Amount::new(36_135)));
    // The next epoch starts clean.
    assert_eq!(
        e.apply(day(2), &check_in(&keys[0], 0, 2, 9)),
        Ok(Outcome::CheckedIn { second_node: false })
    );
}

#[test]
fn claims_pay_what_was_earned_once_and_only_to_the_owner() {
    let (mut e, keys) = launched(3, 328_502);
    refused(
        &mut e,
        day(1),
        &Call::new(a(6), Op::Claim { licence: 0 }),
        EconomyError::Unauthorized { caller: a(6) },
    );
    assert_eq!(
        e.apply(day(1), &Call::new(a(5), Op::Claim { licence: 0 })),
        Ok(Outcome::Paid {
            amount: Amount::new(36_135)
        })
    );
    refused(
        &mut e,
        day(1),
        &Call::new(a(5), Op::Claim { licence: 0 }),
        EconomyError::NothingToClaim,
    );
    e.apply(day(1), &check_in(&keys[0], 0, 1, 1)).unwrap();
    settle(&mut e, 1, &[true, false, false]);
    // 67 + 2 × 67 shared.
    assert_eq!(
        e.apply(day(2), &Call::new(a(5), Op::Claim { licence: 0 })),
        Ok(Outcome::Paid {
            amount: Amount::new(201)
        })
    );
    // Days settle in order, after they end, only from the reporter, with one entry per licence.
    let settle_call = |d, v: Vec<bool>| {
        Call::new(
            REPORTER,
            Op::SettleDay {
                day: d,
                attested: v,
            },
        )
    };
    refused(
        &mut e,
        day(3),
        &settle_call(3, vec![false; 3]),
        EconomyError::WrongDay {
            day: 3,
            expected: 2,
        },
    );
    refused(
        &mut e,
        day(2),
        &settle_call(2, vec![false; 3]),
        EconomyError::DayNotOver { day: 2 },
    );
    refused(
        &mut e,
        day(3),
        &settle_call(2, vec![false; 2]),
        EconomyError::LivenessLength {
            expected: 3,
            got: 2,
        },
    );
    refused(
        &mut e,
        day(3),
        &Call::new(
            a(5),
            Op::SettleDay {
                day: 2,
                attested: vec![true; 3],
            },
        ),
        EconomyError::Unauthorized { caller: a(5) },
    );
    // The sale is closed after launch.
    refused(
        &mut e,
        day(3),
        &purchase(1, receipt(1, 9, a(5), 10), None, None),
        EconomyError::SaleClosed,
    );
    assert_eq!(e.totals().rewards_claimed, Amount::new(36_336));
    e.check_invariants().unwrap();
}

#[test]
fn check_in_records_stay_within_the_open_epochs() {
    let (mut e, keys) = launched(2, 1_000);
    // Settlement stalls: epochs up to MAX_OPEN_EPOCHS are taken, the next is refused.
    for d in 1..=MAX_OPEN_EPOCHS {
        e.apply(day(d), &check_in(&keys[0], 0, d, 1)).unwrap();
        e.apply(day(d), &check_in(&keys[1], 1, d, 1)).unwrap();
    }
    let next = MAX_OPEN_EPOCHS + 1;
    refused(
        &mut e,
        day(next),
        &check_in(&keys[0], 0, next, 1),
        EconomyError::EpochNotOpen { epoch: next },
    );
    e.check_invariants().unwrap();
    // Settling day 1 opens one more epoch and drops day 1's records.
    settle(&mut e, 1, &[true, true]);
    assert!(!e.single_node(1, 0));
    e.apply(day(next), &check_in(&keys[0], 0, next, 1)).unwrap();
}

#[test]
fn rewards_carry_when_nobody_is_live() {
    // P = 328,502, L = 3: A = 109,500, dust 2, tge = floor(109,500 × 33 / 100) = 36,135,
    // A − tge = 73,365 = 67 × 1,095, so v_d = 67 every day.
    let mut pool = RewardPool::new(Amount::new(328_502), 3).unwrap();
    assert_eq!(
        (pool.allocation(), pool.dust(), pool.tge()),
        (Amount::new(109_500), Amount::new(2), Amount::new(36_135))
    );
    // Day 1: nobody live: F = 3 × 67 = 201, all carried.
    let r = pool.vest_day(&[false, false, false]).unwrap();
    assert_eq!(
        (r.vesting, r.shared, r.share_each, r.carry),
        (
            Amount::new(67),
            Amount::new(201),
            Amount::ZERO,
            Amount::new(201)
        )
    );
    // Day 2: licence 0 alone: 67 + floor((201 + 134) / 1) = 402.
    pool.vest_day(&[true, false, false]).unwrap();
    assert_eq!(pool.carry(), Amount::ZERO);
    // Day 3: licences 0 and 1: F = 67, floor(67 / 2) = 33 each, 1 carried.
    pool.vest_day(&[true, true, false]).unwrap();
    assert_eq!(pool.carry(), Amount::new(1));
    let earned: Vec<u128> = pool.earned_all().map(Amount::units).collect();
    assert_eq!(earned, vec![36_135 + 402 + 100, 36_135 + 100, 36_135]);
    // unvested = 3 × (73,365 − 3 × 67) = 219,492; 109,007 + 1 + 2 + 219,492 = 328,502.
    assert_eq!(pool.unvested(), Amount::new(219_492));
    pool.check_conservation().unwrap();
}

#[test]
fn vesting_sums_to_a_minus_tge_after_1095_days_then_only_the_carry_is_shared() {
    // P = 1,000,003, L = 3: A = 333,334, dust 1, tge = floor(333,334 × 0.33) = 110,000.
    let mut pool = RewardPool::new(Amount::new(1_000_003), 3).unwrap();
    assert_eq!(
        (pool.allocation(), pool.dust(), pool.tge()),
        (Amount::new(333_334), Amount::new(1), Amount::new(110_000))
    );
    let mut vested: u128 = 0;
    for d in 1..=1_094u64 {
        vested += pool.vest_day(&[true, true, true]).unwrap().vesting.units();
        assert_eq!(pool.day(), d);
        pool.check_conservation().unwrap();
    }
    // Day 1,095: nobody live, so 3 × v_1095 is carried into the time after vesting.
    let r = pool.vest_day(&[false, false, false]).unwrap();
    vested += r.vesting.units();
    assert_eq!(vested, 333_334 - 110_000, "Σ v_d = A − tge");
    assert_eq!(pool.unvested(), Amount::ZERO);
    let carry = pool.carry().units();
    assert_eq!(carry, 3 * r.vesting.units());
    // Day 1,096: nothing vests; licence 2 alone takes the carry.
    let r = pool.vest_day(&[false, false, true]).unwrap();
    assert_eq!(
        (r.vesting, r.share_each, r.carry),
        (Amount::ZERO, Amount::new(carry), Amount::ZERO)
    );
    let r = pool.vest_day(&[true, true, true]).unwrap();
    assert_eq!((r.vesting, r.shared), (Amount::ZERO, Amount::ZERO));
    let earned: Vec<u128> = pool.earned_all().map(Amount::units).collect();
    let each = 333_334 - r.vesting.units() - carry / 3;
    assert_eq!(earned, vec![each, each, each + carry]);
    pool.check_conservation().unwrap();
}

#[test]
fn vesting_amounts_follow_the_floor_formula() {
    // A − tge = 1,000 (A = 1,493: tge = floor(492.69) = 492; 1,493 − 492 = 1,001 — so take
    // A = 1,492: tge = 492, A − tge = 1,000).
    let pool = RewardPool::new(Amount::new(1_492), 1).unwrap();
    assert_eq!(pool.tge(), Amount::new(492));
    // v_1 = floor(1000/1095) − 0 = 0; v_2 = floor(2000/1095) = 1; v_1095 = 1000 − floor(1000·1094/1095) = 1000 − 999 = 1.
    assert_eq!(pool.vesting_amount(1), Amount::ZERO);
    assert_eq!(pool.vesting_amount(2), Amount::new(1));
    assert_eq!(pool.vesting_amount(1_095), Amount::new(1));
    assert_eq!(pool.vesting_amount(1_096), Amount::ZERO);
    let sum: u128 = (1..=1_095).map(|d| pool.vesting_amount(d).units()).sum();
    assert_eq!(sum, 1_000);
    // Pools at the u128 edge do not overflow.
    let big = RewardPool::new(Amount::MAX, 1).unwrap();
    let sum: u128 = (1..=1_095).map(|d| big.vesting_amount(d).units()).sum();
    assert_eq!(sum, u128::MAX - big.tge().units());
    assert!(RewardPool::new(Amount::new(1), 0).is_err());
}

#[test]
fn epoch_zero_and_settled_epochs_take_no_check_in() {
    let (mut e, keys) = launched(1, 1_000);
    // A `now` before launch is epoch 0: never open, even though it is "the current epoch".
    let early = Timestamp(LAUNCH.0 - 1);
    assert_eq!(e.epoch_at(early), 0);
    refused(
        &mut e,
        early,
        &check_in(&keys[0], 0, 0, 1),
        EconomyError::EpochNotOpen { epoch: 0 },
    );
    e.apply(day(1), &check_in(&keys[0], 0, 1, 1)).unwrap();
    settle(&mut e, 1, &[true]);
    // Day 1 is settled: a late check-in for it is refused and leaves no record.
    refused(
        &mut e,
        day(1),
        &check_in(&keys[0], 0, 1, 1),
        EconomyError::EpochNotOpen { epoch: 1 },
    );
    e.check_invariants().unwrap();
}

#[test]
fn an_approval_flood_stays_within_the_per_owner_bound() {
    let mut e = sold(1, 1_000);
    for i in 0..16u8 {
        e.apply(
            PUBLIC,
            &Call::new(
                a(5),
                Op::SetApprovalForAll {
                    operator: a(100 + i),
                    approved: true,
                },
            ),
        )
        .unwrap();
    }
    refused(
        &mut e,
        PUBLIC,
        &Call::new(
            a(5),
            Op::SetApprovalForAll {
                operator: a(200),
                approved: true,
            },
        ),
        EconomyError::TooManyOperators,
    );
    // Re-approving one already approved, and revoking, still work.
    e.apply(
        PUBLIC,
        &Call::new(
            a(5),
            Op::SetApprovalForAll {
                operator: a(100),
                approved: true,
            },
        ),
    )
    .unwrap();
    e.apply(
        PUBLIC,
        &Call::new(
            a(5),
            Op::SetApprovalForAll {
                operator: a(100),
                approved: false,
            },
        ),
    )
    .unwrap();
    e.apply(
        PUBLIC,
        &Call::new(
            a(5),
            Op::SetApprovalForAll {
                operator: a(200),
                approved: true,
            },
        ),
    )
    .unwrap();
    e.check_invariants().unwrap();
}
