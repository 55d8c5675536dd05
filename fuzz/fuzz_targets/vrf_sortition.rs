//! Sortition on arbitrary parameters: never panics, never more seats than stake units, and the
//! same input always gives the same seats.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zg_core::Amount;
use zg_vrf::{SortitionParams, sortition_seats};

#[derive(Arbitrary, Debug)]
struct Input {
    beta: [u8; 64],
    stake: u64,
    total: u64,
    unit: u16,
    tau: u32,
}

fuzz_target!(|input: Input| {
    let params = SortitionParams {
        total_stake: Amount::new(u128::from(input.total)),
        stake_unit: Amount::new(u128::from(input.unit)),
        expected_seats: u64::from(input.tau),
    };
    let stake = Amount::new(u128::from(input.stake));
    match sortition_seats(&input.beta, stake, &params) {
        Ok(seats) => {
            let units = input.stake / u64::from(input.unit);
            assert!(seats <= units);
            assert_eq!(sortition_seats(&input.beta, stake, &params), Ok(seats));
        }
        Err(_) => {
            let bad = input.unit == 0
                || input.stake > input.total
                || u64::from(input.tau) > input.total / u64::from(input.unit.max(1))
                || u64::from(input.tau) > zg_vrf::sortition::MAX_EXPECTED_SEATS;
            assert!(bad, "valid parameters rejected: {input:?}");
        }
    }
});
