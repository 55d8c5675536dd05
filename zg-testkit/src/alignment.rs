//! A simulated network for the alignment lane: subjects of every role, some of them faulty,
//! watched by an alignment committee whose members run zg-alignment's observers and co-sign
//! each epoch's report ([`run`]).
//!
//! Subject `i` is node `i` in role `Role::ALL[i % 4]`. Faulty subjects are the first `faults` of
//! a seeded permutation; what they do wrong depends on their role: a storage node serves a
//! flipped byte or nothing, a DA signer leaves certificates (it does not attest), a validator
//! misses every height or equivocates, a provider over-charges one unit. Every epoch has two DA
//! certificates, two commit heights, one retrieval audit per storage node and one settlement
//! per provider over three receipts.
//!
//! Simplification: every committee member sees the same inputs, including the retrieval audits,
//! whose seed is the epoch seed rather than each auditor's own VRF output, so that the members'
//! reports are byte-identical without exchanging audit results (a later step: the assignment
//! spreads audits and members exchange their evidence).

use zg_alignment::duty::{DutyRecord, Policy, Role, Verdict};
use zg_alignment::observe::{da, serving, storage, validator};
use zg_alignment::report::{
    EpochReport, QuorumReport, ReportSignature, aggregate, committee_selection, verify_quorum,
};
use zg_bls::{AggregateCertificate, Bls, BlsSecretKey, Scheme, SignerBitmap, ValidatorIndex};
use zg_core::machine::{Input, Machine};
use zg_core::{Amount, Epoch, H256, NodeId, Timestamp};
use zg_vrf::{EligibilityClaim, NodeKeys, StakeTable, compute_eligibility};

/// The network id the simulation's reports name.
pub const NETWORK: u64 = 16_600;
/// Alignment committee members in the simulation.
pub const MEMBERS: u64 = 4;
/// Expected committee seats.
pub const TAU: u64 = 40;
/// The chain node every observer trusts.
const CHAIN: NodeId = NodeId(u64::MAX);

/// What to simulate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// Subjects (all roles together).
    pub subjects: u64,
    /// Epochs.
    pub epochs: u64,
    /// The run's seed.
    pub seed: u64,
    /// Faulty subjects (at most a third of each role's subjects, so certificates still form).
    pub faults: u64,
}

/// What happened.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The faulty subjects.
    pub faulty: Vec<u64>,
    /// Faulty subjects failing in the last epoch's report.
    pub caught: u64,
    /// Honest subjects failing in any epoch's report.
    pub false_alerts: u64,
    /// The last epoch's quorum report.
    pub quorum: QuorumReport<Bls>,
    /// The committee's stake table (what a verifier needs besides the seed).
    pub table: StakeTable<Bls>,
    /// The last epoch's seed.
    pub epoch_seed: H256,
}

/// The seed of epoch `e` of run `seed`.
pub fn epoch_seed(seed: u64, e: u64) -> H256 {
    zg_core::keccak256_parts(&[
        b"zg-testkit/alignment/epoch",
        &seed.to_be_bytes(),
        &e.to_be_bytes(),
    ])
}

/// The alignment committee's keys and table of run `seed`.
pub fn committee(seed: u64) -> (Vec<NodeKeys<Bls>>, StakeTable<Bls>) {
    let name = format!("zg-testkit/alignment/{seed}");
    let keys: Vec<NodeKeys<Bls>> = (0..MEMBERS)
        .map(|i| NodeKeys::derive(name.as_bytes(), NodeId(i)))
        .collect();
    let entries = keys.iter().map(|k| k.entry(Amount::new(100))).collect();
    match StakeTable::new(Epoch(0), entries, Amount::new(1)) {
        Ok(t) => (keys, t),
        Err(e) => fixture_failed(&e.to_string()),
    }
}

#[cold]
#[allow(clippy::panic)] // test fixture: the scenario asked for something impossible
fn fixture_failed(why: &str) -> ! {
    panic!("alignment scenario: {why}")
}

fn faulty_set(s: &Scenario) -> Vec<u64> {
    let mut by_role: Vec<Vec<(H256, u64)>> = vec![Vec::new(); 4];
    for i in 0..s.subjects {
        let k = zg_core::keccak256_parts(&[b"fault", &s.seed.to_be_bytes(), &i.to_be_bytes()]);
        by_role[(i % 4) as usize].push((k, i));
    }
    for r in &mut by_role {
        r.sort_unstable();
    }
    // Round-robin over the roles, at most a third of each.
    let mut out = Vec::new();
    let mut taken = [0usize; 4];
    'fill: while (out.len() as u64) < s.faults {
        let before = out.len();
        for (role, subjects) in by_role.iter().enumerate() {
            if (out.len() as u64) >= s.faults {
                break 'fill;
            }
            if (taken[role] + 1) * 3 <= subjects.len() {
                out.push(subjects[taken[role]].1);
                taken[role] += 1;
            }
        }
        if out.len() == before {
            break;
        }
    }
    out.sort_unstable();
    out
}

fn of_role(s: &Scenario, role: Role) -> Vec<u64> {
    (0..s.subjects)
        .filter(|i| Role::ALL[(i % 4) as usize] == role)
        .collect()
}

fn bls_key(seed: u64, node: u64) -> BlsSecretKey {
    let k = zg_core::keccak256_parts(&[
        b"zg-testkit/alignment/bls",
        &seed.to_be_bytes(),
        &node.to_be_bytes(),
    ]);
    Bls::secret_key_from_seed(&k.0)
}

/// One epoch's chain and network inputs, shared by every member.
struct Inputs {
    da: Vec<da::Observation>,
    commits: Vec<validator::Observation>,
    equivocations: Vec<validator::Observation>,
    audits: Vec<(u64, Vec<u8>)>,
    receipts: Vec<serving::Observation>,
    settlements: Vec<serving::Observation>,
}

fn certificate(
    keys: &[(u64, BlsSecretKey)],
    absent: &[u64],
    msg: &[u8],
) -> Box<AggregateCertificate<Bls>> {
    let mut signers = SignerBitmap::new(u16::try_from(keys.len()).unwrap_or(u16::MAX));
    let mut sigs = Vec::new();
    for (i, (node, k)) in keys.iter().enumerate() {
        if !absent.contains(node) {
            signers.insert(ValidatorIndex(u16::try_from(i).unwrap_or(u16::MAX)));
            sigs.push(Bls::sign(k, msg));
        }
    }
    match Bls::aggregate_signatures(&sigs) {
        Some(signature) => Box::new(AggregateCertificate { signers, signature }),
        None => fixture_failed("no honest signer"),
    }
}

fn file_of(node: u64) -> Vec<u8> {
    (0..4096u64)
        .map(|j| (j.wrapping_mul(7) ^ node).to_le_bytes()[0])
        .collect()
}

fn inputs(
    s: &Scenario,
    e: u64,
    faulty: &[u64],
    da_keys: &[(u64, BlsSecretKey)],
    val_keys: &[(u64, BlsSecretKey)],
    net: &H256,
) -> Inputs {
    let bad = |n: &u64| faulty.contains(n);
    let mut out = Inputs {
        da: Vec::new(),
        commits: Vec::new(),
        equivocations: Vec::new(),
        audits: Vec::new(),
        receipts: Vec::new(),
        settlements: Vec::new(),
    };
    let absent_da: Vec<u64> = da_keys.iter().map(|k| k.0).filter(bad).collect();
    for b in 0..2u64 {
        let blob = zg_core::keccak256_parts(&[b"blob", &e.to_be_bytes(), &b.to_be_bytes()]);
        let msg = da::attestation_bytes(Epoch(e), &blob);
        out.da.push(da::Observation {
            blob,
            certificate: certificate(da_keys, &absent_da, &msg),
        });
    }
    // Faulty validators: even ones miss every height, odd ones equivocate.
    let missing: Vec<u64> = val_keys
        .iter()
        .map(|k| k.0)
        .filter(|n| bad(n) && (n / 4) % 2 == 0)
        .collect();
    for h in 0..2u64 {
        let value = zg_core::keccak256_parts(&[b"block", &e.to_be_bytes(), &h.to_be_bytes()]);
        let msg = validator::vote_bytes(net, 0, Epoch(e), h, 0, 1, &value);
        out.commits.push(validator::Observation::Commit {
            partition: 0,
            height: h,
            round: 0,
            value,
            certificate: certificate(val_keys, &missing, &msg),
        });
    }
    for (i, (n, k)) in val_keys.iter().enumerate() {
        if bad(n) && (n / 4) % 2 == 1 {
            let vote = |v: u8| {
                let value = H256([v; 32]);
                validator::SignedVote {
                    round: 0,
                    kind: 0,
                    value,
                    signature: Bls::sign(
                        k,
                        &validator::vote_bytes(net, 0, Epoch(e), 0, 0, 0, &value),
                    ),
                }
            };
            let ev = validator::Equivocation {
                validator: u16::try_from(i).unwrap_or(u16::MAX),
                partition: 0,
                height: 0,
                votes: [vote(1), vote(2)],
            };
            out.equivocations
                .push(validator::Observation::Equivocation(Box::new(ev)));
        }
    }
    for n in of_role(s, Role::Storage) {
        out.audits.push((n, file_of(n)));
    }
    for n in of_role(s, Role::Serving) {
        let user = 1_000_000 + n;
        for _ in 0..3 {
            out.receipts.push(serving::Observation::Receipt {
                user,
                provider: NodeId(n),
                fee: 10,
                latency_ms: 200,
            });
        }
        let total = if bad(&n) { 31 } else { 30 };
        out.settlements.push(serving::Observation::Settlement {
            provider: NodeId(n),
            user,
            count: 3,
            total,
        });
    }
    out
}

/// One member's epoch: every observer over the shared inputs, closed into records.
fn observe(
    s: &Scenario,
    e: u64,
    faulty: &[u64],
    inp: &Inputs,
    da_set: &[(NodeId, zg_bls::BlsPublicKey, u64)],
    val_set: &[(NodeId, zg_bls::BlsPublicKey, u128)],
    net: H256,
) -> Vec<DutyRecord> {
    let epoch = Epoch(e);
    let now = Timestamp::ZERO;
    let mut d = da::DaObserver::new(
        da::Config {
            epoch,
            chain: CHAIN,
            max_certificates: 1_024,
        },
        da_set.to_vec(),
    )
    .unwrap_or_else(|e| fixture_failed(&e.to_string()));
    for c in &inp.da {
        let _ = d.handle(
            now,
            Input::Message {
                from: CHAIN,
                message: c.clone(),
            },
        );
    }
    let mut v = validator::ValidatorObserver::new(
        validator::Config {
            network: net,
            epoch,
            chain: CHAIN,
            max_commits: 1_024,
        },
        val_set.to_vec(),
    )
    .unwrap_or_else(|e| fixture_failed(&e.to_string()));
    for c in inp.commits.iter().chain(&inp.equivocations) {
        let _ = v.handle(
            now,
            Input::Message {
                from: CHAIN,
                message: c.clone(),
            },
        );
    }
    let scfg = storage::Config {
        epoch,
        audit_seed: epoch_seed(s.seed, e),
        timeout_ms: 1_000,
        max_open: 1 << 16,
    };
    let mut st =
        storage::StorageObserver::new(scfg, of_role(s, Role::Storage).into_iter().map(NodeId))
            .unwrap_or_else(|e| fixture_failed(&e.to_string()));
    for (n, file) in &inp.audits {
        let root = zg_core::tree::file_root(file).unwrap_or_default();
        let cmd = storage::Command::Audit {
            node: NodeId(*n),
            root,
            size: file.len() as u64,
        };
        if st.handle(now, Input::Command(cmd)).is_err() {
            continue;
        }
        let mut segment = 0;
        while let Some(o) = st.poll_output() {
            if let zg_core::machine::Output::Send {
                message: storage::Message::Challenge { segment: s, .. },
                ..
            } = o
            {
                segment = s;
            }
        }
        let silent = faulty.contains(n) && (n / 4) % 2 == 1;
        if silent {
            let _ = st.handle(
                Timestamp(1_000),
                Input::Timeout(storage::Timer {
                    node: NodeId(*n),
                    root,
                }),
            );
            continue;
        }
        if let Ok(storage::Message::Answer {
            root,
            segment,
            mut data,
            proof,
        }) = storage::answer_for(file, root, segment)
        {
            if faulty.contains(n) {
                data[0] ^= 1;
            }
            let _ = st.handle(
                now,
                Input::Message {
                    from: NodeId(*n),
                    message: storage::Message::Answer {
                        root,
                        segment,
                        data,
                        proof,
                    },
                },
            );
        }
    }
    let vcfg = serving::Config {
        epoch,
        chain: CHAIN,
        latency_objective_ms: 2_000,
        latency_slack_bps: 500,
        max_pairs: 1 << 16,
    };
    let mut sv =
        serving::ServingObserver::new(vcfg, of_role(s, Role::Serving).into_iter().map(NodeId))
            .unwrap_or_else(|e| fixture_failed(&e.to_string()));
    for r in &inp.receipts {
        if let serving::Observation::Receipt { user, .. } = r {
            let _ = sv.handle(
                now,
                Input::Message {
                    from: NodeId(*user),
                    message: *r,
                },
            );
        }
    }
    for m in &inp.settlements {
        let _ = sv.handle(
            now,
            Input::Message {
                from: CHAIN,
                message: *m,
            },
        );
    }
    let mut records = d.close();
    records.extend(v.close());
    records.extend(st.close());
    records.extend(sv.close());
    records
}

/// Runs the scenario: every member observes every epoch, writes its report (all members'
/// bytes must be equal), signs it; the signatures form the epoch's quorum report, which is
/// verified from the stake table and the seed.
///
/// # Panics
/// If two members' reports differ or a quorum report does not verify (the checks this harness
/// exists to make), or the scenario is impossible.
pub fn run(s: &Scenario) -> Outcome {
    let faulty = faulty_set(s);
    let (keys, table) = committee(s.seed);
    let net = zg_core::keccak256_parts(&[b"zg-testkit/alignment/network", &s.seed.to_be_bytes()]);
    let da_keys: Vec<(u64, BlsSecretKey)> = of_role(s, Role::Da)
        .into_iter()
        .map(|n| (n, bls_key(s.seed, n)))
        .collect();
    let val_keys: Vec<(u64, BlsSecretKey)> = of_role(s, Role::Validator)
        .into_iter()
        .map(|n| (n, bls_key(s.seed, n)))
        .collect();
    let da_set: Vec<_> = da_keys
        .iter()
        .map(|(n, k)| (NodeId(*n), Bls::public_key(k), 1u64))
        .collect();
    let val_set: Vec<_> = val_keys
        .iter()
        .map(|(n, k)| (NodeId(*n), Bls::public_key(k), 10u128))
        .collect();
    let mut false_alerts = std::collections::BTreeSet::new();
    let mut last = None;
    for e in 1..=s.epochs.max(1) {
        let seed_e = epoch_seed(s.seed, e);
        let inp = inputs(s, e, &faulty, &da_keys, &val_keys, &net);
        let mut reports: Vec<EpochReport> = Vec::new();
        for _ in 0..MEMBERS {
            let records = observe(s, e, &faulty, &inp, &da_set, &val_set, net);
            reports.push(EpochReport::new(
                NETWORK,
                Epoch(e),
                seed_e,
                Policy::default(),
                &records,
            ));
        }
        let bytes = reports[0].to_bytes();
        if reports.iter().any(|r| r.to_bytes() != bytes) {
            fixture_failed("two members wrote different report bytes");
        }
        let report = &reports[0];
        let selection = committee_selection(Epoch(e), seed_e, TAU);
        let mut claims: Vec<EligibilityClaim> = Vec::new();
        let mut sigs = Vec::new();
        for k in &keys {
            if let Ok(el) = compute_eligibility(&k.vrf, &table, &selection)
                && el.seats > 0
            {
                claims.push(el.claim);
                sigs.push(ReportSignature::sign(k, report));
            }
        }
        let quorum = aggregate(&table, TAU, report, &claims, &sigs)
            .unwrap_or_else(|e| fixture_failed(&e.to_string()));
        if verify_quorum(&quorum, &table, NETWORK, Epoch(e), &seed_e, TAU).is_err() {
            fixture_failed("quorum report does not verify");
        }
        for r in &report.records {
            if r.verdict(&report.policy) == Verdict::Fail && !faulty.contains(&r.subject.node.0) {
                false_alerts.insert(r.subject.node.0);
            }
        }
        last = Some((quorum, seed_e));
    }
    let Some((quorum, epoch_seed)) = last else {
        fixture_failed("no epoch")
    };
    let caught = faulty
        .iter()
        .filter(|n| {
            let role = Role::ALL[(**n % 4) as usize];
            quorum.report.verdict(zg_alignment::Subject::new(**n, role)) == Some(Verdict::Fail)
        })
        .count() as u64;
    Outcome {
        faulty,
        caught,
        false_alerts: false_alerts.len() as u64,
        quorum,
        table,
        epoch_seed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_injected_fault_is_caught_and_honest_runs_raise_nothing() {
        for seed in 0..4 {
            let s = Scenario {
                subjects: 48,
                epochs: 2,
                seed,
                faults: 8,
            };
            let o = run(&s);
            assert_eq!(o.faulty.len(), 8, "seed {seed}");
            assert_eq!(o.caught, 8, "seed {seed}: {:?}", o.faulty);
            assert_eq!(o.false_alerts, 0, "seed {seed}");
            // Every role had a fault.
            let roles: std::collections::BTreeSet<u64> = o.faulty.iter().map(|n| n % 4).collect();
            assert_eq!(roles.len(), 4);
        }
        for seed in 10..16 {
            let o = run(&Scenario {
                subjects: 24,
                epochs: 2,
                seed,
                faults: 0,
            });
            assert_eq!((o.caught, o.false_alerts), (0, 0), "honest seed {seed}");
            assert!(o.quorum.report.alerts.is_empty());
        }
    }

    #[test]
    fn the_quorum_report_verifies_from_its_bytes_and_tampering_fails() {
        let o = run(&Scenario {
            subjects: 16,
            epochs: 1,
            seed: 3,
            faults: 4,
        });
        let bytes = o.quorum.to_bytes();
        let q = QuorumReport::<Bls>::from_bytes(&bytes).unwrap();
        let e = q.report.epoch;
        assert!(verify_quorum(&q, &o.table, NETWORK, e, &o.epoch_seed, TAU).is_ok());
        let mut t = bytes.clone();
        // Flip a verdict-bearing count of the first entry (inside the report).
        t[9 + 59 + 12] ^= 1;
        let bad = QuorumReport::<Bls>::from_bytes(&t)
            .map(|q| verify_quorum(&q, &o.table, NETWORK, e, &o.epoch_seed, TAU));
        assert!(!matches!(bad, Ok(Ok(_))));
    }
}
