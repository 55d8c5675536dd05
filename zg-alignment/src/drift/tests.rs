use super::*;

#[test]
fn gate_spends_at_most_alpha_over_subjects_and_time() {
    let gate = AlertGate {
        alpha: Fixed(fixed::SCALE / 100),
        subjects: 7,
    };
    let spent: i128 = (1..=100_000u64).map(|t| gate.level(t).0).sum::<i128>() * 7;
    assert!(spent <= gate.alpha.0, "{spent}");
    assert!(spent > gate.alpha.0 * 99 / 100);
    assert_eq!(gate.level(1).0, fixed::SCALE / 100 / 14);
}

#[test]
fn severity_bands() {
    let f = |v: i128| Severity::from_psi(Fixed(v * fixed::SCALE / 1000));
    assert_eq!(f(99), Severity::None);
    assert_eq!(f(100), Severity::Moderate);
    assert_eq!(f(249), Severity::Moderate);
    assert_eq!(f(250), Severity::Major);
}

#[test]
fn bad_bins_rejected() {
    let v: Vec<Fixed> = (0..100).map(Fixed::from_int).collect();
    for bins in [0, stats::MAX_BINS + 1] {
        let cfg = DriftConfig {
            bins,
            ..DriftConfig::default()
        };
        assert!(matches!(
            DriftReport::compute(&v, &v, &cfg),
            Err(DriftError::Config { .. })
        ));
    }
}

#[test]
fn psi_edges_follow_the_order_statistic_rule() {
    // n = 7, N = 3: edges x(⌈7/3⌉) = x(3) and x(⌈14/3⌉) = x(5).
    let b: Vec<Fixed> = (1..=7).map(Fixed::from_int).collect();
    assert_eq!(
        stats::psi_edges(&b, 3),
        vec![Fixed::from_int(3), Fixed::from_int(5)]
    );
    // Right-closed: 3 falls in the first bin, 3.000…001 in the second.
    let e = stats::psi_edges(&b, 3);
    assert_eq!(
        stats::bin_counts(&e, &[Fixed::from_int(3), Fixed(3 * fixed::SCALE + 1)]),
        vec![1, 1, 0]
    );
}
