//! Serving lane: the inference marketplace — a chain running the serving ledger, a provider
//! broker and user brokers — in the simulator. Honest providers are paid in full, live
//! (`settleFees`) and through compressed batches, even by a user who asks for a refund and
//! vanishes; an over-charging provider is refused and loses its user; a provider that forges a
//! batch is challenged and slashed, one that withholds an opening loses the batch.

use std::collections::BTreeMap;

use zg_core::Timestamp;
use zg_core::sim::{Fault, LinkConfig, Simulation};
use zg_serving::batch::FraudKind;
use zg_serving::ledger::TOKEN;
use zg_serving::protocol::{Command, Event, Serving};
use zg_serving::provider::SettlementMode;
use zg_serving::user::StopReason;
use zg_testkit::serving::{
    BatchLog, Cheat, Kind, Node, PROVIDER, PROVIDER_NODE, PROVIDER_STAKE, USER_DEPOSIT,
    busy_market, chain, ledger_total, lossy_link, user, user_key, user_node_id,
};

use crate::report::{Chart, LaneReport, Series};

const HOUR_MS: u64 = 3600 * 1000;

/// Amounts in micro-tokens (a request costs about half a µtoken at the simulated prices).
fn tokens(units: u128) -> f64 {
    units as f64 * 1e6 / TOKEN as f64
}

/// Receipts the provider issued.
fn receipts_issued(sim: &Simulation<Serving, Node>) -> usize {
    sim.events()
        .iter()
        .filter(|(_, n, e)| *n == PROVIDER_NODE && matches!(e, Event::Served { .. }))
        .count()
}

/// Cumulative amount paid to the provider over time (hours, tokens).
fn paid_curve(sim: &Simulation<Serving, Node>, log: &BatchLog) -> Vec<(f64, f64)> {
    let mut points = vec![(0.0, 0.0)];
    let mut total = 0u128;
    let mut paid: Vec<(Timestamp, u128)> = sim
        .events()
        .iter()
        .filter_map(|(at, _, e)| match e {
            Event::Settled { settled, .. } => Some((*at, settled.units())),
            _ => None,
        })
        .collect();
    paid.extend(log.finalized.values().map(|(at, a)| (*at, a.units())));
    paid.sort();
    for (at, amount) in paid {
        total += amount;
        points.push((at.as_millis() as f64 / HOUR_MS as f64, tokens(total)));
    }
    points
}

pub(crate) fn run_lane(seed: u64, quick: bool) -> anyhow::Result<LaneReport> {
    let mut lane = LaneReport::new("serving");
    let (users, asks) = if quick { (3, 10) } else { (8, 40) };
    let horizon = Timestamp(40 * HOUR_MS);
    let mut curves = Vec::new();

    // Live settlement; the last user asks for its money back and vanishes.
    let mut sim = busy_market(
        seed,
        users,
        asks,
        Kind::Honest(SettlementMode::Live),
        LinkConfig::default(),
    )?;
    let vanish = user_node_id(users - 1);
    sim.inject(Timestamp(5 * 60 * 1000), vanish, Command::RetrieveFunds);
    sim.schedule(Timestamp(5 * 60 * 1000 + 1_000), Fault::Crash(vanish));
    sim.run_until(horizon);
    let log = BatchLog::of(&sim);
    let l = chain(&sim).ok_or_else(|| anyhow::anyhow!("the chain node is down"))?;
    let receipts = receipts_issued(&sim);
    lane.fact(format!(
        "{users} users × {asks} requests, live settlement (EIP-712 TEESettlement): {receipts} \
         receipts, {:.1} µtokens billed, {:.1} settled",
        tokens(log.billed.values().sum()),
        tokens(log.settled_live.values().sum())
    ));
    let gone = user_key(users - 1).address();
    let pending = l
        .account(&gone, &PROVIDER)
        .map_or(0, |a| a.pending_refund.units());
    lane.check(
        format!(
            "live: every bill paid ({} users), the vanished user's too ({:.1} µtokens, from the \
             refund it left pending)",
            log.billed.len(),
            tokens(log.billed.get(&gone).copied().unwrap_or(0))
        ),
        log.billed.len() == users
            && log.billed == log.settled_live
            && pending + log.billed.get(&gone).copied().unwrap_or(0) == USER_DEPOSIT.units() / 2
            && l.check_invariants().is_ok()
            && sim.errors().is_empty(),
    );
    curves.push(Series {
        name: "live settlement".into(),
        points: paid_curve(&sim, &log),
    });

    // Live, the provider crashes while its settlement is in flight and restarts a minute later:
    // the settlement that landed meanwhile is learned from the account view, nothing is paid
    // twice.
    let mut sim = busy_market(
        seed,
        2,
        10,
        Kind::Honest(SettlementMode::Live),
        LinkConfig::default(),
    )?;
    let settle_at = 20 * 60 * 1000;
    sim.inject(Timestamp(settle_at), PROVIDER_NODE, Command::SettleNow);
    sim.schedule(Timestamp(settle_at + 300), Fault::Crash(PROVIDER_NODE));
    sim.schedule(Timestamp(settle_at + 60_300), Fault::Restart(PROVIDER_NODE));
    sim.run_until(horizon);
    let log = BatchLog::of(&sim);
    let l = chain(&sim).ok_or_else(|| anyhow::anyhow!("the chain node is down"))?;
    let billed: u128 = log.billed.values().sum();
    let paid = l.totals().paid_to_providers.units();
    lane.check(
        format!(
            "provider crashed mid-settlement and restarted: paid {:.1} of {:.1} µtokens \
             billed, no receipt paid twice, no over-charge reported",
            tokens(paid),
            tokens(billed)
        ),
        billed > 0 && paid == billed && log.overcharges.is_empty() && l.check_invariants().is_ok(),
    );

    // Live, over-charging provider: the user refuses, revokes its tokens and gets the rest back.
    let mut sim = busy_market(seed, 1, 10, Kind::Overcharger, LinkConfig::default())?;
    sim.run_until(horizon);
    let log = BatchLog::of(&sim);
    let l = chain(&sim).ok_or_else(|| anyhow::anyhow!("the chain node is down"))?;
    let u = user(&sim, 0).ok_or_else(|| anyhow::anyhow!("the user is down"))?;
    let settled: u128 = log.settled_live.values().sum();
    let fair: u128 = log.billed.values().sum();
    let account = l.account(&user_key(0).address(), &PROVIDER);
    lane.check(
        format!(
            "over-charging provider: {} inflated receipts reported, {} later requests withheld, \
             tokens revoked, settled {:.1} ≤ fair {:.1} µtokens, {:.6} tokens refunded",
            log.overcharges.len(),
            log.dropped_asks,
            tokens(settled),
            tokens(fair),
            tokens(u.refunded().units()) / 1e6
        ),
        u.stopped() == Some(StopReason::OverCharged)
            && !log.overcharges.is_empty()
            && log.dropped_asks > 0
            && account.is_some_and(|a| a.generation == 1)
            && settled <= fair
            && u.refunded().units() > 0
            && l.check_invariants().is_ok(),
    );

    // Compressed batches, honest provider, 10% loss: paid after the challenge window.
    let lossy = lossy_link();
    let mut sim = busy_market(
        seed,
        users,
        asks,
        Kind::Honest(SettlementMode::Batch),
        lossy,
    )?;
    sim.run_until(horizon);
    let log = BatchLog::of(&sim);
    let l = chain(&sim).ok_or_else(|| anyhow::anyhow!("the chain node is down"))?;
    let receipts = receipts_issued(&sim);
    lane.fact(format!(
        "batch settlement over 10% loss: {receipts} receipts in {} Merkle-sum commitments, \
         {} audited by their users, {} finalised",
        log.committed.len(),
        log.verified.len(),
        log.finalized.len()
    ));
    lane.check(
        format!(
            "batches: every bill paid after the window ({:.1} µtokens), no false challenge",
            tokens(log.paid().values().sum())
        ),
        !log.committed.is_empty()
            && log.paid() == log.billed
            && log.finalized.len() == log.committed.len()
            && log.challenges.is_empty()
            && log.voided.is_empty()
            && log.finalized.iter().all(|(id, (at, _))| {
                log.committed
                    .get(id)
                    .is_some_and(|(_, _, deadline)| at.as_secs() >= *deadline)
            })
            && l.check_invariants().is_ok(),
    );
    curves.push(Series {
        name: "compressed batches (10% loss)".into(),
        points: paid_curve(&sim, &log),
    });

    // Forged batches: each is proven fraudulent on chain, the stake slashed to the user.
    let cheats: &[Cheat] = if quick {
        &[Cheat::Equivocate, Cheat::InflateTotal]
    } else {
        &[
            Cheat::Equivocate,
            Cheat::FeeFormula,
            Cheat::InflateTotal,
            Cheat::HiddenLeaf,
        ]
    };
    let mut slashed_total = 0u128;
    for &cheat in cheats {
        let mut sim = busy_market(seed, 2, 10, Kind::Cheat(cheat), LinkConfig::default())?;
        sim.run_until(Timestamp(30 * HOUR_MS));
        let log = BatchLog::of(&sim);
        let l = chain(&sim).ok_or_else(|| anyhow::anyhow!("the chain node is down"))?;
        let slashed = log.slashed();
        slashed_total += slashed.values().sum::<u128>();
        let kinds: Vec<String> = log
            .challenges
            .iter()
            .map(|(_, k)| {
                match k {
                    FraudKind::Equivocation(_) => "equivocation",
                    FraudKind::FeeFormula => "fee formula",
                    FraudKind::TotalMismatch => "total mismatch",
                    FraudKind::Padding => "hidden leaf",
                    _ => "other",
                }
                .to_string()
            })
            .collect();
        let made_whole = (0..2).all(|i| {
            let back = slashed.get(&user_key(i).address()).copied().unwrap_or(0);
            ledger_total(&sim, i) == USER_DEPOSIT.units() + back
        });
        lane.check(
            format!(
                "forged batch ({cheat:?}): challenged as {}, voided, {:.1} µtokens of stake \
                 slashed to the users, nothing paid",
                kinds.join(", "),
                tokens(slashed.values().sum())
            ),
            log.committed.len() == 2
                && log.finalized.is_empty()
                && log.voided.len() == 2
                && made_whole
                && l.stake(&PROVIDER).units() + slashed.values().sum::<u128>()
                    == PROVIDER_STAKE.units()
                && l.check_invariants().is_ok(),
        );
    }
    lane.fact(format!(
        "{} forged batch kinds, {:.1} µtokens slashed in all",
        cheats.len(),
        tokens(slashed_total)
    ));

    // A provider that never opens its batch, even when the user demands it on chain.
    let mut sim = busy_market(
        seed,
        2,
        10,
        Kind::Withholder { post: false },
        LinkConfig::default(),
    )?;
    sim.run_until(Timestamp(30 * HOUR_MS));
    let log = BatchLog::of(&sim);
    let demanded: BTreeMap<u64, bool> = log
        .committed
        .keys()
        .map(|id| {
            (
                *id,
                log.demanded.contains(id) && log.voided.contains_key(id),
            )
        })
        .collect();
    lane.check(
        format!(
            "withheld opening: demanded on chain and voided for {} of {} batches",
            demanded.values().filter(|ok| **ok).count(),
            demanded.len()
        ),
        !demanded.is_empty()
            && demanded.values().all(|ok| *ok)
            && log.finalized.is_empty()
            && chain(&sim).is_some_and(|l| l.check_invariants().is_ok()),
    );

    lane.charts.push(Chart {
        stem: "serving-paid".into(),
        title: format!("Paid to the honest provider ({users} users × {asks} requests)"),
        x_label: "hours".into(),
        y_label: "µtokens paid (cumulative)".into(),
        series: curves,
    });
    Ok(lane)
}
