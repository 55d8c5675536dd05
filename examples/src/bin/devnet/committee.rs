//! Committee lane: every epoch, a randomness beacon (RFC 9381 VRF outputs, smallest one counts)
//! yields the next seed, and each validator privately learns whether stake-weighted sortition put
//! it on the DA-signer committee and proves it. Anyone assembles the committee from the claims;
//! replayed, forged and zero-seat claims must be rejected.

use anyhow::Result;
use zg_core::{Amount, Epoch, H256, NodeId, keccak256};
use zg_vrf::{
    BEACON_ROLE, EligibilityClaim, NodeKeys, SecretKey, Selection, StakeTable, assemble_committee,
    compute_eligibility, next_seed_from_committee,
};

use crate::report::{Chart, LaneReport, Series};

const DA_SEATS: u64 = 16;
const BEACON_SEATS: u64 = 8;

pub(crate) fn run_lane(seed: u64, quick: bool) -> Result<LaneReport> {
    let mut lane = LaneReport::new("committee (VRF sortition + beacon)");
    let (n, epochs) = if quick { (24, 8) } else { (48, 24) };
    // Every validator's keys by the workspace's one derivation, for this run's deployment.
    let deployment = format!("devnet/{seed}");
    let nodes: Vec<NodeKeys> = (0..n)
        .map(|i| NodeKeys::derive(deployment.as_bytes(), NodeId(i as u64)))
        .collect();
    // Stake grows with the index: validator i holds (i + 1) thousand units.
    let table = StakeTable::new(
        Epoch(1),
        nodes
            .iter()
            .map(|k| k.entry(Amount::new((u128::from(k.node.0) + 1) * 1000)))
            .collect(),
        Amount::new(1000),
    )?;
    let keys: Vec<&SecretKey> = nodes.iter().map(|k| &k.vrf).collect();
    let mut beacon_seed = keccak256(&seed.to_be_bytes());
    let mut previous_claims: Vec<EligibilityClaim> = Vec::new();
    let (mut seats_series, mut members_series) = (Vec::new(), Vec::new());
    let mut seats_by_validator = vec![0u64; n];
    let (mut replayed_rejected, mut forged_rejected, mut zero_rejected) = (0, 0, 0);
    let (mut replayed_tried, mut forged_tried, mut zero_tried) = (0, 0, 0);
    let mut epochs_ok = 0;
    for e in 1..=epochs as u64 {
        let da = Selection {
            epoch: Epoch(e),
            seed: beacon_seed,
            role: "da-signer".into(),
            expected_seats: DA_SEATS,
        };
        // Each validator, privately.
        let mut claims = Vec::new();
        let mut losers = Vec::new();
        for sk in &keys {
            let el = compute_eligibility(sk, &table, &da)?;
            if el.seats > 0 {
                claims.push(el.claim);
            } else {
                losers.push(el.claim);
            }
        }
        let honest = claims.len();
        // Faults: a claim replayed from last epoch, a forged proof, a loser claiming anyway.
        if let Some(old) = previous_claims.first() {
            claims.push(old.clone());
            replayed_tried += 1;
        }
        if let Some(c) = claims.first() {
            let mut forged = c.clone();
            forged.index = (forged.index + 1) % n;
            claims.push(forged);
            forged_tried += 1;
        }
        if let Some(l) = losers.first() {
            claims.push(l.clone());
            zero_tried += 1;
        }
        let batch_seed = keccak256_parts_u64(seed ^ 0xba7c, e).0;
        let (committee, rejected) = assemble_committee(&table, &da, &claims, &batch_seed)?;
        for r in &rejected {
            match r.position {
                p if p < honest => {}
                p if p == honest && !previous_claims.is_empty() => replayed_rejected += 1,
                p if p + 1 == claims.len() && !losers.is_empty() => zero_rejected += 1,
                _ => forged_rejected += 1,
            }
        }
        if committee.members.len() == honest && rejected.iter().all(|r| r.position >= honest) {
            epochs_ok += 1;
        }
        for m in &committee.members {
            seats_by_validator[m.index] += m.seats;
        }
        seats_series.push((e as f64, committee.total_seats as f64));
        members_series.push((e as f64, committee.members.len() as f64));
        previous_claims = claims[..honest].to_vec();

        // The beacon: the beacon-role committee's smallest output seeds the next epoch.
        let beacon = Selection {
            role: BEACON_ROLE.into(),
            expected_seats: BEACON_SEATS,
            ..da
        };
        let reveals: Vec<EligibilityClaim> = keys
            .iter()
            .map(|sk| compute_eligibility(sk, &table, &beacon))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|el| el.seats > 0)
            .map(|el| el.claim)
            .collect();
        let (contributors, _) = assemble_committee(&table, &beacon, &reveals, &batch_seed)?;
        beacon_seed = next_seed_from_committee(&contributors).unwrap_or(beacon_seed);
    }
    lane.check(
        format!("every epoch's committee kept all honest claims ({epochs_ok}/{epochs} epochs)"),
        epochs_ok == epochs,
    );
    lane.check(
        format!(
            "replayed claims from the previous epoch rejected: {replayed_rejected}/{replayed_tried}"
        ),
        replayed_rejected == replayed_tried,
    );
    lane.check(
        format!("claims with another member's proof rejected: {forged_rejected}/{forged_tried}"),
        forged_rejected == forged_tried,
    );
    lane.check(
        format!("zero-seat claims rejected: {zero_rejected}/{zero_tried}"),
        zero_rejected == zero_tried,
    );
    let mean = seats_series.iter().map(|p| p.1).sum::<f64>() / epochs as f64;
    lane.fact(format!(
        "{n} validators with stake 1k..{n}k units; {epochs} epochs; mean DA committee \
         {mean:.1} seats (expected {DA_SEATS})"
    ));
    let half = n / 2;
    let low: u64 = seats_by_validator[..half].iter().sum();
    let high: u64 = seats_by_validator[half..].iter().sum();
    lane.fact(format!(
        "seats won by the lower-stake half: {low}, by the higher-stake half: {high} (stake ratio \
         {:.2})",
        (half * (half + 1)) as f64 / ((n * (n + 1) - half * (half + 1)) as f64)
    ));
    // Mean seats per epoch within four standard deviations of the expectation.
    let sd = (DA_SEATS as f64 / epochs as f64).sqrt();
    lane.check(
        format!(
            "mean committee size {mean:.1} within 4σ ({:.1}) of {DA_SEATS}",
            4.0 * sd
        ),
        (mean - DA_SEATS as f64).abs() <= 4.0 * sd,
    );
    lane.charts.push(Chart {
        stem: "committee-seats".into(),
        title: "DA-signer committee per epoch (VRF sortition)".into(),
        x_label: "epoch".into(),
        y_label: "count".into(),
        series: vec![
            Series {
                name: "seats".into(),
                points: seats_series,
            },
            Series {
                name: "members".into(),
                points: members_series,
            },
            Series {
                name: "expected seats".into(),
                points: vec![(1.0, DA_SEATS as f64), (epochs as f64, DA_SEATS as f64)],
            },
        ],
    });
    Ok(lane)
}

fn keccak256_parts_u64(seed: u64, i: u64) -> H256 {
    zg_core::keccak256_parts(&[&seed.to_be_bytes(), &i.to_be_bytes()])
}
