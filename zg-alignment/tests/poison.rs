//! Poisoning monitors: provenance, seeded assignment, a poisoner caught by its update
//! directions and norms (honest contributors silent), and a near-duplicate burst.

#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use zg_alignment::drift::Fixed;
use zg_alignment::poison::{
    Aggregate, DuplicateMonitor, MinHash, Provenance, ProvenanceError, UpdateError, UpdateMonitor,
    assign_trainer,
};
use zg_core::{H256, NodeId};

fn root(i: u64) -> H256 {
    zg_core::keccak256(&i.to_be_bytes())
}

#[test]
fn provenance_names_the_first_contributor_and_is_bounded() {
    let mut p = Provenance::new(2, 3);
    p.submit(NodeId(1), root(1)).unwrap();
    p.submit(NodeId(1), root(1)).unwrap();
    assert_eq!(
        p.submit(NodeId(2), root(1)),
        Err(ProvenanceError::Resubmitted {
            root: root(1),
            first: NodeId(1),
            again: NodeId(2)
        })
    );
    p.submit(NodeId(1), root(2)).unwrap();
    assert!(matches!(
        p.submit(NodeId(1), root(3)),
        Err(ProvenanceError::ContributorFull { .. })
    ));
    p.submit(NodeId(2), root(3)).unwrap();
    assert!(matches!(
        p.submit(NodeId(3), root(4)),
        Err(ProvenanceError::Full { cap: 3 })
    ));
    assert_eq!((p.len(), p.contributor(&root(3))), (3, Some(NodeId(2))));
}

#[test]
fn assignment_is_seeded_balanced_and_stable() {
    let trainers: Vec<NodeId> = (0..8).map(NodeId).collect();
    let seed = H256([5u8; 32]);
    let mut counts = [0u32; 8];
    let mut moved = 0;
    for i in 0..4000 {
        let t = assign_trainer(&seed, &root(i), &trainers).unwrap();
        counts[t.0 as usize] += 1;
        // Removing trainer 3 moves only trainer 3's samples.
        let t2 =
            assign_trainer(&seed, &root(i), &[&trainers[..3], &trainers[4..]].concat()).unwrap();
        if t != t2 {
            assert_eq!(t, NodeId(3));
            moved += 1;
        }
    }
    assert!(
        counts.iter().all(|&c| (400..=600).contains(&c)),
        "{counts:?}"
    );
    assert_eq!(moved, counts[3]);
    // Another seed, another assignment.
    let other = (0..100)
        .filter(|&i| {
            assign_trainer(&seed, &root(i), &trainers)
                != assign_trainer(&H256([6u8; 32]), &root(i), &trainers)
        })
        .count();
    assert!(other > 60);
    assert_eq!(assign_trainer(&seed, &root(1), &[]), None);
}

fn fx(v: f64) -> Fixed {
    Fixed((v * 1e9).round() as i128 * 1_000_000_000)
}

fn gauss(r: &mut ChaCha8Rng) -> f64 {
    let u = ((r.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    let v = ((r.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// Ten contributors send updates = true gradient + noise; contributor 7 (from round 20) sends
/// its own direction with twice the norm, and is named; over 100 seeds of honest-only rounds
/// nobody is.
#[test]
fn update_monitor_names_the_poisoner() {
    let dim = 64;
    let run = |seed: u64, poison: bool, agg: Aggregate| -> Vec<(NodeId, u64)> {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let grad: Vec<f64> = (0..dim).map(|_| gauss(&mut r)).collect();
        let evil: Vec<f64> = (0..dim).map(|_| gauss(&mut r)).collect();
        let mut m = UpdateMonitor::new(agg, fx(0.5), fx(4.0));
        let mut alarms = Vec::new();
        for round in 0..60u64 {
            let updates: Vec<(NodeId, Vec<Fixed>)> = (0..10u64)
                .map(|c| {
                    let v = (0..dim)
                        .map(|j| {
                            let x = if poison && c == 7 && round >= 20 {
                                2.0 * evil[j]
                            } else {
                                grad[j] + 0.5 * gauss(&mut r)
                            };
                            fx(x)
                        })
                        .collect();
                    (NodeId(c), v)
                })
                .collect();
            for a in m.round(&updates).unwrap() {
                alarms.push((a.who, a.round));
                assert!(a.cosine < fx(0.5) || a.norm_ratio > fx(1.5));
            }
        }
        alarms
    };
    for agg in [Aggregate::Median, Aggregate::TrimmedMean { trim: 2 }] {
        let a = run(1, true, agg);
        assert!(
            !a.is_empty() && a.iter().all(|(w, r)| *w == NodeId(7) && *r >= 20),
            "{a:?}"
        );
        let first = a[0].1;
        assert!(first <= 25, "detected at round {first}");
        let false_alarms: usize = (0..100).map(|s| run(100 + s, false, agg).len()).sum();
        assert_eq!(false_alarms, 0);
    }
}

#[test]
fn update_monitor_rejects_malformed_rounds() {
    let mut m = UpdateMonitor::new(Aggregate::Median, fx(0.5), fx(4.0));
    let u = |c: u64, d: usize| (NodeId(c), vec![Fixed::ONE; d]);
    assert!(matches!(
        m.round(&[u(1, 4), u(2, 4)]),
        Err(UpdateError::Contributors { have: 2, .. })
    ));
    assert_eq!(
        m.round(&[u(1, 4), u(2, 4), u(3, 5)]),
        Err(UpdateError::Dimension)
    );
    assert_eq!(
        m.round(&[u(1, 4), u(2, 4), u(2, 4)]),
        Err(UpdateError::Duplicate { who: NodeId(2) })
    );
}

#[test]
fn minhash_estimates_jaccard() {
    let a: Vec<u8> = (0..2000u32).map(|i| (i * 7919 % 251) as u8).collect();
    let mut b = a.clone();
    for i in (0..2000).step_by(100) {
        b[i] ^= 0x55;
    }
    let c: Vec<u8> = (0..2000u32).map(|i| (i * 104_729 % 241) as u8).collect();
    let (sa, sb, sc) = (MinHash::of(&a), MinHash::of(&b), MinHash::of(&c));
    assert_eq!(sa.agreement(&sa), 64);
    assert!(sa.agreement(&sb) >= 40, "{}", sa.agreement(&sb));
    assert!(sa.agreement(&sc) <= 8, "{}", sa.agreement(&sc));
}

#[test]
fn near_duplicate_burst_names_the_contributor() {
    let mut r = ChaCha8Rng::seed_from_u64(3);
    let mut m = DuplicateMonitor::new(200, 40, 5);
    let base: Vec<u8> = (0..1500).map(|_| r.next_u32() as u8).collect();
    let mut alarms = Vec::new();
    for i in 0..400u64 {
        // Honest contributors 0..9 submit fresh random samples; contributor 42 submits slightly
        // edited copies of one sample every tenth submission.
        let (who, data) = if i % 10 == 9 {
            let mut d = base.clone();
            d[(i as usize * 13) % 1500] ^= 1;
            (NodeId(42), d)
        } else {
            (
                NodeId(i % 9),
                (0..1500).map(|_| r.next_u32() as u8).collect(),
            )
        };
        if let Some(a) = m.submit(who, root(i), MinHash::of(&data)) {
            alarms.push(a);
        }
        assert!(m.held() <= 200);
    }
    assert!(!alarms.is_empty());
    for a in &alarms {
        assert_eq!(a.who, NodeId(42));
        assert_eq!(a.count, 5);
        assert!(a.pairs.iter().all(|p| p.2 >= 40));
    }
}

/// Floods: 5,000 distinct contributors each sending one near-duplicate, and 3,000 one-round
/// contributors of updates, stay within the stated state bounds.
#[test]
fn monitors_stay_bounded_under_floods() {
    let mut m = DuplicateMonitor::new(100, 40, 1000);
    let sample: Vec<u8> = (0..500u32).map(|i| (i * 31 % 256) as u8).collect();
    for i in 0..5000u64 {
        let _ = m.submit(NodeId(10_000 + i), root(i), MinHash::of(&sample));
        assert!(
            m.held() <= 100 && m.tracked() <= 101,
            "{} {}",
            m.held(),
            m.tracked()
        );
    }
    let mut u = UpdateMonitor::new(Aggregate::Median, fx(0.5), fx(4.0));
    for r in 0..1000u64 {
        let ups: Vec<(NodeId, Vec<Fixed>)> = (0..3)
            .map(|c| (NodeId(3 * r + c), vec![Fixed::ONE; 8]))
            .collect();
        u.round(&ups).unwrap();
    }
    assert_eq!(u.tracked(), 1024);
}
