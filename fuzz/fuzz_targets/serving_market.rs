//! The serving brokers and the ledger node as a market in the simulator, under an arbitrary
//! schedule: requests with any token counts, refunds, forced settlements, provider and user
//! crashes and restarts, over a link with arbitrary loss, duplication and reordering, in live or
//! batch mode. With an honest provider, whatever happens: the ledger's invariants hold (funds
//! conserved, nothing negative), and no user ever pays more than the provider billed it — a
//! receipt is paid at most once.
#![no_main]

use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zg_core::sim::{Fault, LinkConfig};
use zg_core::{NodeId, Timestamp};
use zg_serving::eth::Address;
use zg_serving::ledger::{Op, Outcome};
use zg_serving::protocol::{Command, Event};
use zg_serving::provider::SettlementMode;
use zg_testkit::serving::{
    BatchLog, CHAIN, Kind, PROVIDER_NODE, chain, market, user_key, user_node_id,
};

#[derive(Arbitrary, Debug)]
enum Step {
    Ask {
        user: u8,
        at_s: u16,
        input_tokens: u16,
        max_output_tokens: u16,
    },
    Retrieve {
        user: u8,
        at_s: u16,
    },
    SettleNow {
        at_s: u16,
    },
    CrashProvider {
        at_s: u16,
        down_s: u16,
    },
    CrashUser {
        user: u8,
        at_s: u16,
        down_s: u16,
    },
}

#[derive(Arbitrary, Debug)]
struct Run {
    seed: u64,
    users: u8,
    batch: bool,
    loss: u8,
    duplicate: u8,
    reorder: u8,
    steps: Vec<Step>,
}

fuzz_target!(|run: Run| {
    let users = usize::from(run.users % 4) + 1;
    let link = LinkConfig {
        loss: f64::from(run.loss % 64) / 256.0,
        duplicate: f64::from(run.duplicate % 64) / 256.0,
        reorder: f64::from(run.reorder % 64) / 256.0,
        reorder_ms: 5_000,
        ..LinkConfig::default()
    };
    let mode = if run.batch {
        SettlementMode::Batch
    } else {
        SettlementMode::Live
    };
    let Ok(mut sim) = market(run.seed, users, Kind::Honest(mode), link) else {
        return;
    };
    let ms = |s: u16| Timestamp(u64::from(s) * 1_000);
    for step in run.steps.iter().take(64) {
        match *step {
            Step::Ask {
                user,
                at_s,
                input_tokens,
                max_output_tokens,
            } => sim.inject(
                ms(at_s),
                user_node_id(usize::from(user) % users),
                Command::Ask {
                    input_tokens: u64::from(input_tokens),
                    max_output_tokens: u64::from(max_output_tokens),
                },
            ),
            Step::Retrieve { user, at_s } => sim.inject(
                ms(at_s),
                user_node_id(usize::from(user) % users),
                Command::RetrieveFunds,
            ),
            Step::SettleNow { at_s } => sim.inject(ms(at_s), PROVIDER_NODE, Command::SettleNow),
            Step::CrashProvider { at_s, down_s } => {
                sim.schedule(ms(at_s), Fault::Crash(PROVIDER_NODE));
                sim.schedule(
                    ms(at_s.saturating_add(down_s % 3600).saturating_add(1)),
                    Fault::Restart(PROVIDER_NODE),
                );
            }
            Step::CrashUser { user, at_s, down_s } => {
                let id: NodeId = user_node_id(usize::from(user) % users);
                sim.schedule(ms(at_s), Fault::Crash(id));
                sim.schedule(
                    ms(at_s.saturating_add(down_s % 3600).saturating_add(1)),
                    Fault::Restart(id),
                );
            }
        }
    }
    sim.run_until(Timestamp(30 * 3600 * 1000));
    let log = BatchLog::of(&sim);
    let l = chain(&sim).expect("the chain never crashes here");
    if let Err(e) = l.check_invariants() {
        panic!("ledger invariants broken: {e}");
    }
    // What the chain paid out per user, from its own record of every settleFees.
    let mut settled: BTreeMap<Address, u128> = BTreeMap::new();
    for (_, node, event) in sim.events() {
        if let (
            true,
            Event::Applied {
                call,
                result: Ok(Outcome::Settled { results, .. }),
            },
        ) = (*node == CHAIN, event)
            && let Op::SettleFees { items } = &call.op
        {
            for (item, r) in items.iter().zip(results) {
                *settled.entry(item.user).or_default() += r.settled.units();
            }
        }
    }
    let batch_paid = log.paid();
    for i in 0..users {
        let user = user_key(i).address();
        let billed = log.billed.get(&user).copied().unwrap_or(0);
        let paid =
            settled.get(&user).copied().unwrap_or(0) + batch_paid.get(&user).copied().unwrap_or(0);
        assert!(
            paid <= billed,
            "user {i} paid {paid} for {billed} billed: {log:?}"
        );
    }
});
