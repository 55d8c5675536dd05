//! Alignment lane: the alignment network's economy end to end. A small node sale (three tiers,
//! a whitelist phase then the public one, one referral) sells one licence per alignment node;
//! each owner delegates its licence to its node's operator key; every day each node checks in
//! with a signed check-in (one licence is run by two nodes on one day, so that day earns it
//! nothing); zg-testkit's alignment network runs its epochs with injected faults, and its
//! committee's quorum report for each day is decoded from its bytes and verified from the
//! committee's stake table and the epoch seed. The day is settled from the liveness *that
//! verified report* attests (never the simulation's ground truth); the lane ends with each node's
//! earned rewards, recomputed independently from the rules, conservation checked after
//! every call, and every injected fault found failing in every day's report.

use anyhow::{Context, anyhow};
use zg_alignment::Subject;
use zg_alignment::duty::{Role, Verdict};
use zg_alignment::economy::{
    Address, Call, CheckIn, DAY_MS, Economy, EconomyConfig, EconomyError, LicenceId, Op,
    OperatorKey, Outcome, Purchase, Receipt, SaleConfig, Tier, TierTable,
};
use zg_alignment::report::{QuorumReport, verify_quorum};
use zg_bls::Bls;
use zg_core::{Amount, Epoch, H256, Timestamp, keccak256_parts};
use zg_testkit::alignment::{NETWORK, Scenario, TAU, committee, epoch_seed};

use crate::report::{Chart, LaneReport, Series};

const OWNER: Address = Address::repeat(0xa0);
const RELAYER: Address = Address::repeat(0xa1);
const REPORTER: Address = Address::repeat(0xa2);
const CONTRACT: Address = Address::repeat(0xc0);
/// The licence contract's chain (check-ins name it).
const CHAIN_ID: u64 = 16_600;
/// Ethereum mainnet: where the sale's receipts come from.
const PAY_CHAIN: u64 = 1;
const GWEI: u128 = 1_000_000_000;
/// The reward pool: a million tokens of 18 decimals and 5 units, which leave dust (`P mod L`)
/// with 16 and with 28 licences.
const POOL: u128 = 1_000_000 * 1_000_000_000_000_000_000 + 5;
/// Vesting days of the rules.
const VESTING_DAYS: u128 = 1_095;

/// The sale opens here; the whitelist phase lasts 2 days, then the public phase.
const SALE_START: Timestamp = Timestamp(DAY_MS);

/// The reward rules, written out again from the issue (not from the pool's code), for
/// a liveness matrix `live[d][i]`: what each licence has earned after the last day.
fn expected_earnings(pool: u128, live: &[Vec<bool>]) -> Vec<u128> {
    let l = live.first().map_or(0, Vec::len);
    let n = l as u128;
    let a = pool / n;
    let tge = a * 33 / 100;
    let x = a - tge;
    let mut earned = vec![tge; l];
    let mut carry = 0u128;
    for (d, day) in (1u128..).zip(live) {
        let v =
            x * d.min(VESTING_DAYS) / VESTING_DAYS - x * (d - 1).min(VESTING_DAYS) / VESTING_DAYS;
        let live_count = day.iter().filter(|&&b| b).count() as u128;
        let f = v * (n - live_count) + carry;
        let each = f.checked_div(live_count).unwrap_or(0);
        carry = f - each * live_count;
        for (e, &b) in earned.iter_mut().zip(day) {
            if b {
                *e += v + each;
            }
        }
    }
    earned
}

/// Applies a call, then the economy's invariants; a refused call is returned as its error.
fn apply(
    eco: &mut Economy,
    now: Timestamp,
    call: Call,
    invariants_held: &mut bool,
) -> Result<Outcome, EconomyError> {
    let r = eco.apply(now, &call);
    if eco.check_invariants().is_err() {
        *invariants_held = false;
    }
    r
}

fn node_id(seed: u64, licence: LicenceId, instance: u8) -> H256 {
    keccak256_parts(&[
        b"zg-devnet/alignment/node",
        &seed.to_be_bytes(),
        &licence.to_be_bytes(),
        &[instance],
    ])
}

fn role_of(node: u64) -> Role {
    match node % 4 {
        0 => Role::ALL[0],
        1 => Role::ALL[1],
        2 => Role::ALL[2],
        _ => Role::ALL[3],
    }
}

/// Index of node `n` (a node id is below the node count, a `usize`).
fn ix(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

pub(crate) fn run_lane(seed: u64, quick: bool) -> anyhow::Result<LaneReport> {
    let mut lane = LaneReport::new("alignment");
    // Subjects of the simulated network = alignment nodes = licences, a quarter in each role.
    // Fewer than a third of each role's subjects are faulty: with exactly a third (say 1 of 3
    // validators missing its heights) no commit certificate reaches its > 2/3 quorum and the
    // validators go unmeasured; that run is refused by the check on the faults below.
    let (nodes, faults, days) = if quick {
        (16u64, 4u64, 3u64)
    } else {
        (28, 8, 5)
    };
    let per_buyer = nodes / 4;
    let mut held = true;

    // ----- the sale -------------------------------------------------------------------------
    let tiers = TierTable::new(vec![
        Tier {
            count: nodes / 3,
            price: Amount::new(50_000_000 * GWEI),
        },
        Tier {
            count: nodes / 3,
            price: Amount::new(55_000_000 * GWEI),
        },
        Tier {
            count: nodes,
            price: Amount::new(60_000_000 * GWEI),
        },
    ])?;
    let buyers: Vec<Address> = (0..4u8).map(|b| Address::repeat(0x10 + b)).collect();
    let mut sale = SaleConfig::new(SALE_START);
    sale.tiers = tiers.clone();
    sale.whitelist = buyers[..2].iter().copied().collect();
    sale.whitelist_cap = per_buyer;
    sale.chains = [PAY_CHAIN].into_iter().collect();
    let public_at = sale.public_at();
    let launch_at = public_at.plus_millis(DAY_MS);
    let mut eco = Economy::new(EconomyConfig {
        owner: OWNER,
        relayer: RELAYER,
        reporter: REPORTER,
        chain_id: CHAIN_ID,
        contract: CONTRACT,
        sale,
        reward_pool: Amount::new(POOL),
        launch_at,
    })?;
    let mut tx = 0u64;
    let mut purchase = |eco: &mut Economy,
                        now: Timestamp,
                        buyer: Address,
                        referrer: Option<Address>,
                        held: &mut bool| {
        tx += 1;
        let due = tiers
            .quote(eco.sold(), per_buyer)
            .map(|q| q.total)
            .unwrap_or(Amount::new(0));
        let receipt = Receipt {
            chain_id: PAY_CHAIN,
            tx_hash: keccak256_parts(&[b"zg-devnet/alignment/tx", &tx.to_be_bytes()]),
            payer: buyer,
            amount: due,
        };
        let op = Op::Purchase(Purchase {
            quantity: per_buyer,
            promo: None,
            referrer,
            receipt,
        });
        apply(eco, now, Call::new(RELAYER, op), held)
    };
    let in_whitelist = SALE_START.plus_millis(3_600_000);
    let in_public = public_at.plus_millis(3_600_000);
    // A public buyer trying the whitelist phase is refused, and so is anyone before the start.
    let early = purchase(&mut eco, Timestamp(0), buyers[0], None, &mut held);
    let outsider = purchase(&mut eco, in_whitelist, buyers[2], None, &mut held);
    lane.check(
        "sale phases: a purchase before the start and a non-whitelisted buyer in the whitelist \
         phase are refused",
        matches!(early, Err(EconomyError::SaleNotStarted { .. }))
            && matches!(outsider, Err(EconomyError::NotWhitelisted { .. }))
            && eco.sold() == 0,
    );
    let mut records = Vec::new();
    for (at, buyer, referrer) in [
        (in_whitelist, buyers[0], None),
        (in_whitelist, buyers[1], None),
        (in_public, buyers[2], Some(buyers[0])),
        (in_public, buyers[3], None),
    ] {
        match purchase(&mut eco, at, buyer, referrer, &mut held) {
            Ok(Outcome::Purchased(r)) => records.push(r),
            other => return Err(anyhow!("purchase by {buyer} not accepted: {other:?}")),
        }
    }
    let revenue = eco.totals().revenue.units();
    let list: u128 = (0..nodes)
        .filter_map(|n| tiers.tier_of(n))
        .filter_map(|t| tiers.tiers().get(t).map(|t| t.price.units()))
        .sum();
    let referral = &records[2];
    let tiers_sold: Vec<u64> = (0..tiers.tiers().len())
        .map(|t| eco.licences().iter().filter(|l| l.tier == t).count() as u64)
        .collect();
    lane.fact(format!(
        "sale: {} licences in tiers {:?} (whitelist: 2 buyers × {per_buyer}, public: 2 × \
         {per_buyer}, one referred), revenue {:.3} ETH",
        eco.sold(),
        tiers_sold,
        revenue as f64 / 1e18
    ));
    lane.check(
        format!(
            "sale: one licence per node ({nodes}), revenue = Σ tier prices ({:.3} ETH), the \
             referred buyer owed a 5 % rebate and the referrer a 5 % cashback",
            list as f64 / 1e18
        ),
        eco.sold() == nodes
            && revenue == list
            && referral.rebate.units() == referral.due.units() * 500 / 10_000
            && referral.cashback.units() == referral.due.units() * 500 / 10_000
            && eco.wallet(&buyers[0]).map(|w| w.referral_wei) == Some(referral.cashback)
            && held,
    );

    // ----- delegation to the nodes' operator keys -------------------------------------------
    let keys: Vec<OperatorKey> = (0..nodes)
        .map(|i| {
            OperatorKey::from_seed(format!("zg-devnet/alignment/{seed}/operator/{i}").as_bytes())
        })
        .collect();
    let mut delegated = 0;
    for (i, key) in (0..nodes).zip(&keys) {
        let owner = eco.owner_of(i).context("a sold licence has an owner")?;
        let op = Op::Delegate {
            licence: i,
            operator: Some(key.address()),
        };
        if apply(&mut eco, launch_at, Call::new(owner, op), &mut held).is_ok()
            && eco.licence(i).and_then(|l| l.operator) == Some(key.address())
        {
            delegated += 1;
        }
    }
    // A stranger may not delegate someone's licence.
    let stolen = apply(
        &mut eco,
        launch_at,
        Call::new(
            buyers[3],
            Op::Delegate {
                licence: 0,
                operator: Some(buyers[3]),
            },
        ),
        &mut held,
    );
    lane.check(
        format!(
            "delegation: all {nodes} licences delegated by their owners to their nodes' operator \
             keys; a non-owner's delegation refused"
        ),
        delegated == nodes && stolen.is_err(),
    );
    match apply(&mut eco, launch_at, Call::new(OWNER, Op::Launch), &mut held) {
        Ok(Outcome::Launched { .. }) => {}
        other => return Err(anyhow!("launch refused: {other:?}")),
    }

    // ----- days: check-ins, the committee's quorum report, settlement ------------------------
    let (_, table) = committee(seed);
    let scenario = |d: u64| Scenario {
        subjects: nodes,
        epochs: d,
        seed,
        faults,
    };
    // The testkit's harness panics when its own checks fail (members' report bytes differ, a
    // quorum report does not form or verify): here that ends the lane with an error.
    let simulate = |d: u64| {
        std::panic::catch_unwind(|| zg_testkit::alignment::run(&scenario(d)))
            .map_err(|_| anyhow!("day {d}: the alignment network's harness failed"))
    };
    let mut day_one = Some(simulate(1)?);
    let faulty = day_one
        .as_ref()
        .map(|o| o.faulty.clone())
        .unwrap_or_default();
    // The licence run twice: the first honest node's, on day 2.
    let twice: LicenceId = (0..nodes)
        .find(|n| !faulty.contains(n))
        .context("an honest node")?;
    let twice_day = 2;
    let twice_key = keys.get(ix(twice)).context("the twice-run licence's key")?;
    let mut check_ins_ok = true;
    let mut second_detected = false;
    let mut forged_refused = true;
    let mut reports_verified = 0;
    let mut tamper_refused = false;
    let mut all_caught = true;
    let mut matrix: Vec<Vec<bool>> = Vec::new();
    let mut twice_gain_on_day = None;
    let mut twice_attested = false;
    let tge_tokens = eco.pool().map_or(0, |p| p.tge().units()) as f64 / 1e18;
    let mut curves: Vec<Series> = (0..nodes)
        .filter(|n| *n == twice || faulty.first() == Some(n) || *n == nodes - 1)
        .map(|n| Series {
            name: format!("node {n}"),
            points: vec![(0.0, tge_tokens)],
        })
        .collect();
    for d in 1..=days {
        let during = launch_at.plus_millis((d - 1) * DAY_MS + 3_600_000);
        for (i, key) in (0..nodes).zip(&keys) {
            let c = CheckIn {
                chain_id: CHAIN_ID,
                contract: CONTRACT,
                licence: i,
                epoch: d,
                node: node_id(seed, i, 0),
            };
            let signed = key.sign(c)?;
            let ok = matches!(
                apply(
                    &mut eco,
                    during,
                    Call::new(key.address(), Op::CheckIn(signed)),
                    &mut held
                ),
                Ok(Outcome::CheckedIn { second_node: false })
            );
            check_ins_ok &= ok;
        }
        // A check-in for licence 0 signed by another node's key is refused.
        let forged = keys[1].sign(CheckIn {
            chain_id: CHAIN_ID,
            contract: CONTRACT,
            licence: 0,
            epoch: d,
            node: node_id(seed, 0, 9),
        })?;
        forged_refused &= matches!(
            apply(
                &mut eco,
                during,
                Call::new(keys[1].address(), Op::CheckIn(forged)),
                &mut held
            ),
            Err(EconomyError::InvalidSignature)
        );
        if d == twice_day {
            let second = twice_key.sign(CheckIn {
                chain_id: CHAIN_ID,
                contract: CONTRACT,
                licence: twice,
                epoch: d,
                node: node_id(seed, twice, 1),
            })?;
            second_detected = matches!(
                apply(
                    &mut eco,
                    during,
                    Call::new(twice_key.address(), Op::CheckIn(second)),
                    &mut held
                ),
                Ok(Outcome::CheckedIn { second_node: true })
            ) && !eco.single_node(d, twice);
        }

        // The committee's quorum report of day d, as bytes, verified from the table and seed.
        let sim = match day_one.take() {
            Some(o) => o,
            None => simulate(d)?,
        };
        let bytes = sim.quorum.to_bytes();
        let quorum = QuorumReport::<Bls>::from_bytes(&bytes)
            .map_err(|e| anyhow!("day {d}: quorum report does not decode: {e}"))?;
        let seed_d = epoch_seed(seed, d);
        verify_quorum(&quorum, &table, NETWORK, Epoch(d), &seed_d, TAU)
            .map_err(|e| anyhow!("day {d}: quorum report does not verify: {e}"))?;
        if quorum.report.epoch != Epoch(d) {
            return Err(anyhow!(
                "day {d}: the report is of {:?}",
                quorum.report.epoch
            ));
        }
        reports_verified += 1;
        if d == 1 {
            // The same bytes with one verdict-bearing byte flipped must not verify.
            let mut t = bytes.clone();
            let at = t.len() / 3;
            t[at] ^= 1;
            tamper_refused = !matches!(
                QuorumReport::<Bls>::from_bytes(&t).map(|q| verify_quorum(
                    &q,
                    &table,
                    NETWORK,
                    Epoch(d),
                    &seed_d,
                    TAU
                )),
                Ok(Ok(_))
            );
        }
        let verdicts: Vec<Option<Verdict>> = (0..nodes)
            .map(|n| quorum.report.verdict(Subject::new(n, role_of(n))))
            .collect();
        let attested: Vec<bool> = verdicts.iter().map(|v| *v == Some(Verdict::Pass)).collect();
        // The check against ground truth: every injected fault fails, every honest node passes.
        all_caught &= (0..nodes).zip(&verdicts).all(|(n, v)| {
            let want = if faulty.contains(&n) {
                Verdict::Fail
            } else {
                Verdict::Pass
            };
            *v == Some(want)
        }) && sim.faulty == faulty;
        let before = eco.pool().and_then(|p| p.earned(twice));
        let after_day = launch_at.plus_millis(d * DAY_MS);
        let settle = Op::SettleDay {
            day: d,
            attested: attested.clone(),
        };
        match apply(&mut eco, after_day, Call::new(REPORTER, settle), &mut held) {
            Ok(Outcome::Settled(_)) => {}
            other => return Err(anyhow!("day {d} not settled: {other:?}")),
        }
        if d == twice_day {
            twice_attested = attested.get(ix(twice)) == Some(&true);
            twice_gain_on_day = Some(eco.pool().and_then(|p| p.earned(twice)) == before);
        }
        // What the pool should have used: attested and one node.
        matrix.push(
            (0..nodes)
                .map(|n| attested.get(ix(n)) == Some(&true) && !(d == twice_day && n == twice))
                .collect(),
        );
        for s in &mut curves {
            if let Some(n) = s
                .name
                .strip_prefix("node ")
                .and_then(|n| n.parse::<u64>().ok())
            {
                let e = eco
                    .pool()
                    .and_then(|p| p.earned(n))
                    .map_or(0, |a| a.units());
                s.points.push((d as f64, e as f64 / 1e18));
            }
        }
    }
    lane.check(
        format!(
            "check-ins: {nodes} nodes × {days} days signed by the delegated operator keys, all \
             accepted; a check-in signed by another node's key refused every day"
        ),
        check_ins_ok && forged_refused,
    );
    lane.check(
        format!(
            "licence {twice} run by two nodes on day {twice_day}: detected, and it earned \
             nothing that day although its node was attested live"
        ),
        second_detected && twice_attested && twice_gain_on_day == Some(true),
    );
    lane.check(
        format!(
            "{reports_verified}/{days} daily quorum reports decoded from their bytes and verified \
             from the committee's stake table and the epoch seed; a report with one byte \
             flipped refused"
        ),
        reports_verified == days && tamper_refused,
    );
    lane.check(
        format!(
            "all {} injected faults ({} roles) failing in every day's verified report, no honest \
             node failing",
            faulty.len(),
            faulty
                .iter()
                .map(|n| n % 4)
                .collect::<std::collections::BTreeSet<_>>()
                .len()
        ),
        all_caught && faulty.len() as u64 == faults,
    );

    // ----- the rewards ----------------------------------------------------------------------
    let pool = eco.pool().context("launched")?;
    let earned: Vec<u128> = pool.earned_all().map(|a| a.units()).collect();
    let expected = expected_earnings(POOL, &matrix);
    let tokens = |u: u128| u as f64 / 1e18;
    for (n, e) in (0..nodes).zip(&earned) {
        let days_live = matrix
            .iter()
            .filter(|day| day.get(ix(n)) == Some(&true))
            .count();
        lane.fact(format!(
            "node {n} ({:?}{}): earned {:.6} tokens, {days_live}/{days} days paid",
            role_of(n),
            if faulty.contains(&n) { ", faulty" } else { "" },
            tokens(*e)
        ));
    }
    let (carry, dust, unvested) = (
        pool.carry().units(),
        pool.dust().units(),
        pool.unvested().units(),
    );
    let sum: u128 = earned.iter().sum();
    lane.fact(format!(
        "pool after day {days}: Σ earned {:.6} + carry {carry} + dust {dust} + unvested {:.6} = \
         {:.6} tokens",
        tokens(sum),
        tokens(unvested),
        tokens(sum + carry + dust + unvested)
    ));
    lane.check(
        "every node's earnings equal the issue's reward rules recomputed from the verified \
         liveness (faulty nodes kept only their launch share)",
        earned == expected
            && faulty
                .iter()
                .all(|&n| earned.get(ix(n)) == Some(&pool.tge().units())),
    );
    // Every owner claims each of its licences once; a second claim pays nothing.
    let mut claimed = 0u128;
    let mut claims_ok = true;
    for n in 0..nodes {
        let owner = eco.owner_of(n).context("owner")?;
        match apply(
            &mut eco,
            launch_at.plus_millis(days * DAY_MS),
            Call::new(owner, Op::Claim { licence: n }),
            &mut held,
        ) {
            Ok(Outcome::Paid { amount }) => {
                claims_ok &= earned.get(ix(n)) == Some(&amount.units());
                claimed += amount.units();
            }
            _ => claims_ok = false,
        }
        claims_ok &= matches!(
            apply(
                &mut eco,
                launch_at.plus_millis(days * DAY_MS),
                Call::new(owner, Op::Claim { licence: n }),
                &mut held
            ),
            Err(EconomyError::NothingToClaim)
        );
    }
    lane.check(
        format!(
            "conservation: Σ earned + carry + dust + unvested = pool ({:.6} tokens) and the \
             economy's invariants held after every call; claims paid {:.6} tokens = Σ earned, \
             each once",
            tokens(POOL),
            tokens(claimed)
        ),
        sum + carry + dust + unvested == POOL
            && held
            && claims_ok
            && claimed == sum
            && eco.totals().rewards_claimed.units() == sum
            && eco.check_invariants().is_ok(),
    );
    lane.charts.push(Chart {
        stem: "alignment-rewards".into(),
        title: "Rewards earned by day (verified liveness)".into(),
        x_label: "day".into(),
        y_label: "tokens earned".into(),
        series: curves,
    });
    Ok(lane)
}
