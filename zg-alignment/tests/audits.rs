//! Duty ledger → epoch report → co-signed quorum report, and the VRF audit assignment, driven
//! through the public API with honest nodes and with forgers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

use zg_alignment::assign::{Assignment, audit_claim};
use zg_alignment::duty::{DutyLedger, Policy, Role, Subject, Verdict};
use zg_alignment::report::{
    EpochReport, QuorumReport, ReportError, ReportSignature, aggregate, committee_selection,
    quorum_seats, verify_quorum,
};
use zg_bls::{AggregateCertificate, Bls, Scheme, SignerBitmap, ValidatorIndex};
use zg_core::{Amount, Epoch, H256, NodeId};
use zg_vrf::{EligibilityClaim, NodeKeys, StakeTable, compute_eligibility};

const NETWORK: u64 = 16_600;
const EPOCH: Epoch = Epoch(7);
const SEED: H256 = H256([0x5e; 32]);
const TAU: u64 = 40;

fn committee(n: u64) -> (Vec<NodeKeys<Bls>>, StakeTable<Bls>) {
    let keys: Vec<NodeKeys<Bls>> = (0..n)
        .map(|i| NodeKeys::derive(b"audits", NodeId(i)))
        .collect();
    let entries = keys.iter().map(|k| k.entry(Amount::new(100))).collect();
    (
        keys,
        StakeTable::new(EPOCH, entries, Amount::new(1)).unwrap(),
    )
}

/// Every node's committee claim (those that won seats) for the epoch.
fn claims(keys: &[NodeKeys<Bls>], table: &StakeTable<Bls>) -> Vec<(usize, EligibilityClaim, u64)> {
    let sel = committee_selection(EPOCH, SEED, TAU);
    keys.iter()
        .enumerate()
        .filter_map(|(i, k)| {
            let e = compute_eligibility(&k.vrf, table, &sel).unwrap();
            (e.seats > 0).then_some((i, e.claim, e.seats))
        })
        .collect()
}

/// The events an alignment node saw this epoch, as (subject, event) with event 0 = schedule,
/// 1 = done, 2 = failed (evidence = subject's node id), 3 = not measured.
fn events() -> Vec<(Subject, u8)> {
    let mut ev = Vec::new();
    for n in 0..30u64 {
        let role = Role::ALL[(n % 4) as usize];
        let s = Subject::new(n, role);
        ev.push((s, 0));
        ev.push((s, 0));
        ev.push((s, 0));
        match n % 5 {
            0 => {}                                   // never measured
            1 => ev.extend([(s, 1), (s, 2), (s, 2)]), // fails, critical
            2 => ev.extend([(s, 1), (s, 1), (s, 3)]), // passes
            3 => ev.extend([(s, 1), (s, 1), (s, 2)]), // fails, warning
            _ => ev.extend([(s, 1), (s, 1), (s, 1)]), // passes
        }
    }
    ev
}

fn report_from(events: &[(Subject, u8)]) -> EpochReport {
    let roster = (0..30u64).map(|n| Subject::new(n, Role::ALL[(n % 4) as usize]));
    let mut l = DutyLedger::new(EPOCH, roster, 100).unwrap();
    for (s, e) in events {
        match e {
            0 => l.schedule(*s, 1).unwrap(),
            1 => l.done(*s).unwrap(),
            2 => l.failed(*s, &zg_core::keccak256(&s.to_bytes())).unwrap(),
            _ => l.not_measured(*s).unwrap(),
        }
    }
    EpochReport::new(NETWORK, EPOCH, SEED, Policy::default(), l.close())
}

/// Interleaves the per-subject event streams differently (each subject's own order is kept:
/// a duty must be scheduled before it ends).
fn interleave(events: &[(Subject, u8)], seed: u64) -> Vec<(Subject, u8)> {
    let mut queues: Vec<Vec<(Subject, u8)>> = Vec::new();
    for e in events {
        match queues.iter_mut().find(|q| q[0].0 == e.0) {
            Some(q) => q.push(*e),
            None => queues.push(vec![*e]),
        }
    }
    for q in &mut queues {
        q.reverse();
    }
    let mut x = seed | 1;
    let mut out = Vec::new();
    while queues.iter().any(|q| !q.is_empty()) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let live: Vec<usize> = (0..queues.len())
            .filter(|&i| !queues[i].is_empty())
            .collect();
        let i = live[(x % live.len() as u64) as usize];
        out.push(queues[i].pop().unwrap());
    }
    out
}

#[test]
fn two_nodes_fed_the_same_inputs_write_identical_bytes() {
    let ev = events();
    let a = report_from(&ev);
    for seed in 1..20 {
        let b = report_from(&interleave(&ev, seed));
        assert_eq!(a.to_bytes(), b.to_bytes(), "interleaving seed {seed}");
        assert_eq!(a.root(), b.root());
    }
    // The verdicts and alerts are the hand-computed ones.
    assert_eq!(
        a.verdict(Subject::new(0, Role::Storage)),
        Some(Verdict::NotMeasured)
    );
    assert_eq!(a.verdict(Subject::new(1, Role::Da)), Some(Verdict::Fail));
    assert_eq!(
        a.verdict(Subject::new(2, Role::Validator)),
        Some(Verdict::Pass)
    );
    assert_eq!(
        a.verdict(Subject::new(3, Role::Serving)),
        Some(Verdict::Fail)
    );
    assert_eq!(
        a.verdict(Subject::new(4, Role::Storage)),
        Some(Verdict::Pass)
    );
    assert_eq!(a.alerts.len(), 12);
    assert!(a.alerts.iter().all(|al| al.evidence != H256::ZERO));
    let crit = a
        .alerts
        .iter()
        .filter(|al| al.severity == zg_alignment::Severity::Critical);
    assert_eq!(crit.count(), 6); // score 3333 bps
    // The de-dup key names the subject and epoch, not the observer: unique per subject.
    let mut keys: Vec<H256> = a.alerts.iter().map(|al| al.dedup_key).collect();
    keys.dedup();
    assert_eq!(keys.len(), 12);
}

#[test]
fn report_decoder_is_strict() {
    let r = report_from(&events());
    let bytes = r.to_bytes();
    assert_eq!(bytes.len(), 55 + 4 + 30 * 60 + 4 + 12 * 74);
    assert_eq!(EpochReport::from_bytes(&bytes).unwrap(), r);
    for cut in 0..bytes.len() {
        assert!(
            EpochReport::from_bytes(&bytes[..cut]).is_err(),
            "prefix {cut}"
        );
    }
    let mut long = bytes.clone();
    long.push(0);
    assert!(EpochReport::from_bytes(&long).is_err());
    let mut v2 = bytes.clone();
    v2[4] = 2;
    assert_eq!(
        EpochReport::from_bytes(&v2),
        Err(ReportError::Version { got: 2 })
    );
    // Every single-bit change of an entry or alert is refused or changes the root.
    for at in 59..bytes.len() {
        let mut b = bytes.clone();
        b[at] ^= 0x01;
        if let Ok(d) = EpochReport::from_bytes(&b) {
            assert_ne!(d.root(), r.root(), "byte {at} changed silently");
        }
    }
    // A verdict flipped from Fail to Pass is refused (the decoder recomputes it).
    let first_entry = 59 + 60; // subject 1 fails
    let mut b = bytes.clone();
    b[first_entry + 57] = Verdict::Pass.code();
    assert!(matches!(
        EpochReport::from_bytes(&b),
        Err(ReportError::Malformed(_))
    ));
}

fn signed_quorum(
    keys: &[NodeKeys<Bls>],
    table: &StakeTable<Bls>,
    report: &EpochReport,
) -> QuorumReport<Bls> {
    let cl = claims(keys, table);
    let sigs: Vec<ReportSignature<Bls>> = cl
        .iter()
        .map(|(i, _, _)| ReportSignature::sign(&keys[*i], report))
        .collect();
    let claims: Vec<EligibilityClaim> = cl.into_iter().map(|(_, c, _)| c).collect();
    aggregate(table, TAU, report, &claims, &sigs).unwrap()
}

#[test]
fn quorum_report_verifies_from_table_and_seed_and_survives_its_wire_form() {
    let (keys, table) = committee(10);
    let report = report_from(&events());
    let q = signed_quorum(&keys, &table, &report);
    let root = verify_quorum(&q, &table, NETWORK, EPOCH, &SEED, TAU).unwrap();
    assert_eq!(root, report.root());
    let bytes = q.to_bytes();
    let back = QuorumReport::<Bls>::from_bytes(&bytes).unwrap();
    assert_eq!(back, q);
    assert_eq!(
        verify_quorum(&back, &table, NETWORK, EPOCH, &SEED, TAU),
        Ok(root)
    );
    // Order of signatures and claims does not matter.
    let cl = claims(&keys, &table);
    let mut sigs: Vec<ReportSignature<Bls>> = cl
        .iter()
        .map(|(i, _, _)| ReportSignature::sign(&keys[*i], &report))
        .collect();
    let mut cs: Vec<EligibilityClaim> = cl.into_iter().map(|(_, c, _)| c).collect();
    sigs.reverse();
    cs.reverse();
    assert_eq!(aggregate(&table, TAU, &report, &cs, &sigs).unwrap(), q);
}

#[test]
fn an_altered_report_fails_verification() {
    let (keys, table) = committee(10);
    let report = report_from(&events());
    let q = signed_quorum(&keys, &table, &report);
    // Someone clears subject 1's failure (a bribed edit) and keeps the certificate.
    let mut edited = q.clone();
    let r = &mut edited.report.records[1];
    assert_eq!(r.failed, 2);
    r.done += r.failed;
    r.failed = 0;
    r.evidence = H256::ZERO;
    edited.report.alerts = edited.report.derive_alerts();
    assert_eq!(
        verify_quorum(&edited, &table, NETWORK, EPOCH, &SEED, TAU),
        Err(ReportError::InvalidSignature)
    );
    // The edited report is itself canonical, so only the signature catches it.
    assert!(EpochReport::from_bytes(&edited.report.to_bytes()).is_ok());
    // Replayed for another epoch, network or seed.
    assert_eq!(
        verify_quorum(&q, &table, NETWORK + 1, EPOCH, &SEED, TAU),
        Err(ReportError::WrongDomain { field: "network" })
    );
    assert_eq!(
        verify_quorum(&q, &table, NETWORK, Epoch(8), &SEED, TAU),
        Err(ReportError::WrongDomain { field: "epoch" })
    );
    assert_eq!(
        verify_quorum(&q, &table, NETWORK, EPOCH, &H256([1; 32]), TAU),
        Err(ReportError::WrongDomain { field: "seed" })
    );
    // Any byte flipped in the wire form is refused by the decoder or the verifier.
    let bytes = q.to_bytes();
    for at in (0..bytes.len()).step_by(7) {
        let mut b = bytes.clone();
        b[at] ^= 0x80;
        let Ok(d) = QuorumReport::<Bls>::from_bytes(&b) else {
            continue;
        };
        match verify_quorum(&d, &table, NETWORK, EPOCH, &SEED, TAU) {
            Err(_) => {}
            // Only a claim's unsigned batch hint may change (documented): same report, root.
            Ok(root) => {
                let claims_at = 9 + report.to_bytes().len() + 2;
                let hint = (at - claims_at) % 180;
                assert!(at >= claims_at && hint >= 84, "byte {at} changed silently");
                assert_eq!((root, &d.report), (q.report.root(), &q.report));
            }
        }
    }
}

/// The attack: a member that won seats builds a "quorum" report alone — its own claim, its own
/// signature, a one-member bitmap — so that, measured against the committee its claims
/// assemble, it holds 100 % of the seats. The τ bound refuses it.
#[test]
fn a_member_cannot_shrink_the_committee_to_itself() {
    let (keys, table) = committee(10);
    let honest = report_from(&events());
    // The forger's report: every failure cleared.
    let mut forged = honest.clone();
    for r in &mut forged.records {
        r.done += r.failed;
        r.failed = 0;
        r.evidence = H256::ZERO;
    }
    forged.alerts = forged.derive_alerts();
    let cl = claims(&keys, &table);
    let (i, claim, seats) = cl.iter().max_by_key(|c| c.2).cloned().unwrap();
    let sig = ReportSignature::sign(&keys[i], &forged);
    let mut bitmap = SignerBitmap::new(1);
    bitmap.insert(ValidatorIndex(0));
    let q = QuorumReport {
        report: forged.clone(),
        claims: vec![claim.clone()],
        certificate: AggregateCertificate {
            signers: bitmap,
            signature: sig.signature,
        },
    };
    assert_eq!(
        verify_quorum(&q, &table, NETWORK, EPOCH, &SEED, TAU),
        Err(ReportError::NoQuorum {
            signed: seats,
            required: quorum_seats(TAU, seats)
        })
    );
    // And the aggregator refuses to form it.
    assert!(matches!(
        aggregate(&table, TAU, &forged, &[claim], &[sig]),
        Err(ReportError::NoQuorum { .. })
    ));
}

#[test]
fn signatures_that_do_not_count_are_dropped() {
    let (keys, table) = committee(10);
    let report = report_from(&events());
    let cl = claims(&keys, &table);
    let claims_only: Vec<EligibilityClaim> = cl.iter().map(|(_, c, _)| c.clone()).collect();
    let total: u64 = cl.iter().map(|c| c.2).sum();
    let mut other = report.clone();
    other.network += 1;
    let mut sigs: Vec<ReportSignature<Bls>> = Vec::new();
    for (n, (i, _, _)) in cl.iter().enumerate() {
        let mut s = ReportSignature::sign(&keys[*i], &report);
        match n % 3 {
            // A signature over another network's report, relabelled with this root.
            0 => s.signature = ReportSignature::sign(&keys[*i], &other).signature,
            // Claims to be from another member.
            1 => s.node = keys[(i + 1) % keys.len()].node,
            _ => {}
        }
        sigs.push(s);
    }
    // Only a third of the members signed validly: below quorum.
    assert!(matches!(
        aggregate(&table, TAU, &report, &claims_only, &sigs),
        Err(ReportError::NoQuorum { .. })
    ));
    assert!(total >= quorum_seats(TAU, total));
    // A claim proved for another seed is invalid in the quorum report.
    let mut q = signed_quorum(&keys, &table, &report);
    let sel = committee_selection(EPOCH, H256([9; 32]), TAU);
    let stale = compute_eligibility(&keys[cl[0].0].vrf, &table, &sel).unwrap();
    q.claims[0].proof = stale.claim.proof;
    assert_eq!(
        verify_quorum(&q, &table, NETWORK, EPOCH, &SEED, TAU),
        Err(ReportError::InvalidClaim)
    );
    // A non-member's key cannot sign for the committee: signatures from nodes outside the
    // table are not counted at all.
    let outsider = NodeKeys::<Bls>::derive(b"outsider", NodeId(0));
    let s = ReportSignature::sign(&outsider, &report);
    assert!(!Bls::verify(
        &table.entries()[0].bls_key,
        &zg_alignment::report::signing_message(NETWORK, EPOCH, &report.root()),
        &s.signature
    ));
}

fn subjects(n: u64) -> Vec<Subject> {
    (0..n)
        .map(|i| Subject::new(i / 4, Role::ALL[(i % 4) as usize]))
        .collect()
}

#[test]
fn every_subject_gets_k_auditors_and_work_is_even() {
    let (keys, table) = committee(12);
    let cl: Vec<EligibilityClaim> = keys
        .iter()
        .map(|k| audit_claim(k, &table, EPOCH, &SEED).unwrap())
        .collect();
    let subs = subjects(1_000);
    let k = 4;
    let (a, rejected) = Assignment::new(&table, EPOCH, &SEED, &cl, &subs, k).unwrap();
    assert!(rejected.is_empty());
    assert_eq!(a.auditors().len(), 12);
    let mut load = [0usize; 12];
    for s in &subs {
        let au = a.auditors_of(*s);
        assert_eq!(au.len(), k);
        let mut d = au.clone();
        d.sort();
        d.dedup();
        assert_eq!(d.len(), k, "auditors of {s:?} are distinct");
        for n in au {
            load[n.0 as usize] += 1;
            assert!(a.is_assigned(n, *s));
        }
    }
    // k·⌊S/N⌋ ≤ load ≤ k·⌈S/N⌉: 4·83 = 332 … 4·84 = 336.
    for (n, l) in load.iter().enumerate() {
        assert!((332..=336).contains(l), "node {n} audits {l}");
        assert_eq!(a.subjects_of(NodeId(n as u64)).len(), *l);
    }
    // Anyone with the same claims (in any order) derives the same assignment.
    let mut rev = cl.clone();
    rev.reverse();
    assert_eq!(
        Assignment::new(&table, EPOCH, &SEED, &rev, &subs, k)
            .unwrap()
            .0,
        a
    );
    // Another seed, another assignment.
    let seed2 = H256([0x77; 32]);
    let cl2: Vec<EligibilityClaim> = keys
        .iter()
        .map(|kk| audit_claim(kk, &table, EPOCH, &seed2).unwrap())
        .collect();
    let b = Assignment::new(&table, EPOCH, &seed2, &cl2, &subs, k)
        .unwrap()
        .0;
    assert_ne!(a.auditors_of(subs[0]), b.auditors_of(subs[0]));
}

#[test]
fn claims_for_another_epoch_or_duplicated_are_dropped() {
    let (keys, table) = committee(6);
    let mut cl: Vec<EligibilityClaim> = keys
        .iter()
        .map(|k| audit_claim(k, &table, EPOCH, &SEED).unwrap())
        .collect();
    // Node 0 replays last epoch's claim; node 1's claim is sent twice; node 2's is relabelled
    // as node 3's index (a claim "from a sender it is not").
    cl[0] = audit_claim(&keys[0], &table, Epoch(6), &SEED).unwrap();
    cl.push(cl[1].clone());
    cl[2].index = 3;
    let (a, rejected) = Assignment::new(&table, EPOCH, &SEED, &cl, &subjects(40), 3).unwrap();
    // Refused: the stale claim (0), the relabelled one (2) and the duplicate (6). Node 3's own
    // claim, sent after the forgery that names its index, still counts: verify all, then select.
    assert_eq!(rejected, vec![0, 2, 6]);
    assert!(!a.auditors().contains(&NodeId(0)));
    assert!(!a.auditors().contains(&NodeId(2)));
    assert!(a.auditors().contains(&NodeId(3)));
    assert_eq!(a.auditors().len(), 4);
    for s in subjects(40) {
        assert_eq!(a.auditors_of(s).len(), 3);
    }
    assert!(Assignment::new(&table, EPOCH, &SEED, &cl, &subjects(4), 0).is_err());
}

/// The stated bound `C(F, k) / C(N, k) ≤ (F/N)^k`, checked empirically over many seeds: with
/// 4 of 12 auditors faulty and k = 3, a subject has no honest auditor with probability
/// C(4,3)/C(12,3) = 4/220 ≈ 1.8 %.
#[test]
fn all_faulty_auditors_is_as_rare_as_stated() {
    let (keys, table) = committee(12);
    let faulty = [NodeId(0), NodeId(1), NodeId(2), NodeId(3)];
    let subs = subjects(200);
    let (mut bad, mut total) = (0u32, 0u32);
    for e in 0..40u64 {
        let seed = zg_core::keccak256(&e.to_be_bytes());
        let cl: Vec<EligibilityClaim> = keys
            .iter()
            .map(|k| audit_claim(k, &table, EPOCH, &seed).unwrap())
            .collect();
        let (a, _) = Assignment::new(&table, EPOCH, &seed, &cl, &subs, 3).unwrap();
        for s in &subs {
            total += 1;
            if a.auditors_of(*s).iter().all(|n| faulty.contains(n)) {
                bad += 1;
            }
        }
    }
    // 8,000 draws, expectation 145; the bound (1/3)^3 ≈ 3.7 % would be 296.
    assert!(bad < 296, "{bad} of {total}");
}

/// The attack on the aggregator: a forged claim that names a member's index is queued before
/// the member's own claim. The member's seats still count.
#[test]
fn a_forged_claim_first_in_the_queue_does_not_evict_a_member() {
    let (keys, table) = committee(10);
    let report = report_from(&events());
    let honest = signed_quorum(&keys, &table, &report);
    let cl = claims(&keys, &table);
    let sigs: Vec<ReportSignature<Bls>> = cl
        .iter()
        .map(|(i, _, _)| ReportSignature::sign(&keys[*i], &report))
        .collect();
    let mut queue: Vec<EligibilityClaim> = Vec::new();
    for (_, c, _) in &cl {
        // Another member's proof relabelled with this member's index, first in the queue.
        let other = cl.iter().find(|x| x.1.index != c.index).unwrap();
        queue.push(EligibilityClaim {
            index: c.index,
            proof: other.1.proof.clone(),
        });
    }
    queue.extend(cl.iter().map(|(_, c, _)| c.clone()));
    let q = aggregate(&table, TAU, &report, &queue, &sigs).unwrap();
    assert_eq!(q, honest);
}

/// The version-1 encoding pinned: the report of [`events`] as committed bytes and root
/// (`tests/vectors/report-v1.hex`, see its README). A change here is a format change and must
/// bump [`zg_alignment::report::REPORT_VERSION`].
#[test]
fn report_v1_vector_is_stable() {
    let r = report_from(&events());
    let text = include_str!("vectors/report-v1.hex");
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let bytes = hex::decode(lines.next().unwrap().trim()).unwrap();
    let root = H256::from_hex(lines.next().unwrap().trim()).unwrap();
    assert_eq!(r.to_bytes(), bytes);
    assert_eq!(r.root(), root);
    assert_eq!(EpochReport::from_bytes(&bytes).unwrap(), r);
}

#[test]
fn report_does_not_depend_on_record_order_even_with_duplicates() {
    let r = report_from(&events());
    let mut recs = r.records.clone();
    let mut dup = recs[3];
    dup.due += 1;
    dup.not_measured += 1;
    recs.push(dup);
    let a = EpochReport::new(NETWORK, EPOCH, SEED, Policy::default(), &recs);
    recs.reverse();
    let b = EpochReport::new(NETWORK, EPOCH, SEED, Policy::default(), &recs);
    assert_eq!(a.to_bytes(), b.to_bytes());
    assert_eq!(a.records.len(), 30);
}
