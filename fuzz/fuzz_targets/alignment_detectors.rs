//! Change detectors and the drift report on arbitrary values and parameters: never panic; CUSUM
//! and Page–Hinkley statistics stay non-negative; ADWIN's window never exceeds what it saw; the
//! decimal parser round-trips whatever it accepts, and a report over parsed lines never panics.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zg_alignment::drift::detect::{Adwin, Cusum, PageHinkley};
use zg_alignment::drift::{DriftConfig, DriftReport, Fixed};

#[derive(Arbitrary, Debug)]
struct Input {
    params: [i128; 4],
    values: Vec<i128>,
    text: String,
    bins: u16,
}

fuzz_target!(|i: Input| {
    let [a, b, c, d] = i.params.map(Fixed);
    let mut cu = Cusum::new(a, b, c);
    let mut ph = PageHinkley::new(b, c, 3);
    let mut ad = Adwin::new(d, c);
    for (n, &v) in i.values.iter().take(4000).enumerate() {
        let x = Fixed(v);
        let _ = cu.update(x);
        let _ = ph.update(x);
        let _ = ad.update(x);
        let (u, w) = cu.statistics();
        assert!(u.0 >= 0 && w.0 >= 0);
        let (u, w) = ph.statistics();
        assert!(u.0 >= 0 && w.0 >= 0);
        assert!(ad.width() <= n as u64 + 1);
    }
    let mut parsed = Vec::new();
    for line in i.text.lines().take(500) {
        if let Ok(f) = Fixed::parse(line) {
            assert_eq!(Fixed::parse(&f.to_string()), Ok(f));
            parsed.push(f);
        }
    }
    let half = parsed.len() / 2;
    let cfg = DriftConfig {
        bins: usize::from(i.bins % 40),
        min_samples: 1,
        ..DriftConfig::default()
    };
    if let Ok(zg_alignment::drift::Measured::Measured(r)) =
        DriftReport::compute(&parsed[..half], &parsed[half..], &cfg)
    {
        assert!(r.ks_statistic.0 >= 0 && r.ks_statistic <= Fixed::ONE);
        assert!(r.ks_p_value.0 >= 0 && r.ks_p_value <= Fixed::ONE);
        assert!(r.js_distance.0 >= 0);
    }
});
