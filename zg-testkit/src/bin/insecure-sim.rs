//! `insecure-sim`: a consensus simulation with the INSECURE keyed-hash test scheme, for runs too
//! large for BLS. The `zg` CLI's `consensus simulate` always uses BLS; this binary exists only
//! in zg-testkit, behind its `insecure-test-scheme` feature, so no shipped binary contains the
//! scheme.
//!
//! ```text
//! cargo run --release -p zg-testkit --features insecure-test-scheme --bin insecure-sim -- \
//!     --validators 31 --byzantine 10 --behaviour mixed --partitions 10 --heights 10 --seed 1 --loss 0.05
//! ```
//! Prints a one-line JSON summary (`decisions`, `safety_violations`, `completed`, `max_round`,
//! `trace_hash`, …) and exits non-zero if safety broke with Byzantine stake below a third.

use std::process::ExitCode;

use zg_consensus::InsecureTestScheme;
use zg_testkit::consensus::{Behaviour, Scenario, run};

fn main() -> ExitCode {
    match simulate(std::env::args().skip(1).collect()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("insecure-sim: {e}");
            ExitCode::from(2)
        }
    }
}

fn simulate(args: Vec<String>) -> Result<ExitCode, String> {
    let mut scenario = Scenario::default();
    for pair in args.chunks(2) {
        let [flag, value] = pair else {
            return Err(format!("{:?} needs a value", pair[0]));
        };
        let number = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("{flag}: not a number: {value:?}"))
        };
        match flag.as_str() {
            "--validators" => {
                scenario.validators = usize::try_from(number()?).map_err(|e| e.to_string())?
            }
            "--byzantine" => {
                scenario.byzantine = usize::try_from(number()?).map_err(|e| e.to_string())?
            }
            "--partitions" => {
                scenario.partitions = u32::try_from(number()?).map_err(|e| e.to_string())?
            }
            "--heights" => scenario.heights = number()?,
            "--seed" => scenario.seed = number()?,
            "--loss" => {
                scenario.loss = value
                    .parse::<f64>()
                    .ok()
                    .filter(|p| (0.0..=1.0).contains(p))
                    .ok_or(format!("--loss: not a probability: {value:?}"))?;
            }
            "--behaviour" => {
                scenario.behaviour =
                    Behaviour::from_name(value).ok_or(format!("unknown --behaviour {value:?}"))?;
            }
            _ => return Err(format!("unknown flag {flag:?}")),
        }
    }
    if scenario.validators == 0 || scenario.byzantine > scenario.validators {
        return Err("need 1 or more validators and at most that many Byzantine".into());
    }
    let r = run::<InsecureTestScheme>(&scenario);
    println!(
        "{{\"decisions\":{},\"node_decisions\":{},\"safety_violations\":{},\"honest_double_signs\":{},\"completed\":{},\"max_round\":{},\"trace_hash\":\"{:#018x}\",\"scheme\":\"insecure-test-scheme\"}}",
        r.decisions,
        r.node_decisions,
        r.safety_violations,
        r.honest_double_signs,
        r.completed,
        r.max_round,
        r.trace_hash
    );
    let tolerated = 3 * scenario.byzantine < scenario.validators;
    Ok(
        if tolerated && (r.safety_violations > 0 || r.honest_double_signs > 0) {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        },
    )
}
