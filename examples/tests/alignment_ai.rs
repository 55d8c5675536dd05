//! `zg alignment drift` (and `toploc`) through the binary: output against an independent float
//! computation and scipy's numbers, exit statuses.

// The helper runs the binary; failing to start it is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::process::Command;

fn zg(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_zg"))
        .args(args)
        .output()
        .expect("run zg");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn last_json(out: &str) -> serde_json::Value {
    serde_json::from_str(out.lines().last().expect("a line")).expect("JSON")
}

const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../zg-alignment/tests/vectors/drift"
);

/// The float reference: KS, Wasserstein-1 and PSI by the rule, straight from the
/// definitions (sorted arrays, empirical CDFs by binary search).
fn reference(b: &[f64], c: &[f64], bins: usize) -> (f64, f64, f64) {
    let (mut b, mut c) = (b.to_vec(), c.to_vec());
    b.sort_by(f64::total_cmp);
    c.sort_by(f64::total_cmp);
    let cdf = |s: &[f64], x: f64| s.partition_point(|v| *v <= x) as f64 / s.len() as f64;
    let mut all: Vec<f64> = b.iter().chain(&c).copied().collect();
    all.sort_by(f64::total_cmp);
    let ks = all
        .iter()
        .map(|&x| (cdf(&b, x) - cdf(&c, x)).abs())
        .fold(0.0, f64::max);
    let w1: f64 = all
        .windows(2)
        .map(|w| (w[1] - w[0]) * (cdf(&b, w[0]) - cdf(&c, w[0])).abs())
        .sum();
    let n = b.len();
    let edges: Vec<f64> = (1..bins).map(|i| b[(i * n).div_ceil(bins) - 1]).collect();
    let props = |v: &[f64]| {
        let mut k = vec![0usize; bins];
        for x in v {
            k[edges.partition_point(|e| e < x)] += 1;
        }
        k.iter()
            .map(|&k| {
                if k == 0 {
                    1e-6
                } else {
                    k as f64 / v.len() as f64
                }
            })
            .collect::<Vec<f64>>()
    };
    let (pb, pc) = (props(&b), props(&c));
    let psi = pb
        .iter()
        .zip(&pc)
        .map(|(b, c)| (c - b) * (c / b).ln())
        .sum();
    (ks, w1, psi)
}

/// Held-out samples (a small LCG, values with up to 9 decimals): the CLI agrees with the float
/// reference to 1e-6 on every key the issue names.
#[test]
fn drift_agrees_with_float_reference() {
    let dir = std::env::temp_dir().join(format!("zg-drift-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as f64 / (1u64 << 31) as f64
    };
    for (case, (nb, nc, shift, bins)) in
        [(300, 250, 0.0, 10), (500, 700, 0.4, 10), (120, 90, 1.5, 7)]
            .into_iter()
            .enumerate()
    {
        let mut draw = |n: usize, s: f64| -> (Vec<f64>, String) {
            let v: Vec<f64> = (0..n)
                .map(|_| {
                    let x = (next() + next() + next() - 1.5) * 4.0 + s;
                    (x * 1e9).round() / 1e9
                })
                .collect();
            let text = v.iter().map(|x| format!("{x:.9}\n")).collect();
            (v, text)
        };
        let (b, bt) = draw(nb, 0.0);
        let (c, ct) = draw(nc, shift);
        let (pb, pc) = (dir.join(format!("b{case}")), dir.join(format!("c{case}")));
        std::fs::write(&pb, bt).unwrap();
        std::fs::write(&pc, ct).unwrap();
        let bins_s = bins.to_string();
        let (code, out, err) = zg(&[
            "alignment",
            "drift",
            "--baseline",
            pb.to_str().unwrap(),
            "--current",
            pc.to_str().unwrap(),
            "--bins",
            &bins_s,
        ]);
        assert_eq!(code, 0, "{err}");
        let j = last_json(&out);
        let (ks, w1, psi) = reference(&b, &c, bins);
        for (key, want) in [("ks_statistic", ks), ("wasserstein_1", w1), ("psi", psi)] {
            let got = j[key].as_f64().unwrap();
            assert!(
                (got - want).abs() <= 1e-6,
                "case {case} {key}: {got} vs {want}"
            );
        }
        assert!(j["severity"].is_string() && j["alert"].is_boolean());
        assert_eq!(j["alert"].as_bool().unwrap(), shift > 1.0, "case {case}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// scipy 1.17.1 / numpy 2.4.6 numbers for the committed vector files (expected.txt).
#[test]
fn drift_agrees_with_scipy() {
    let expected = std::fs::read_to_string(format!("{VECTORS}/expected.txt")).unwrap();
    for line in expected.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (b, c) = (
            format!("{VECTORS}/{}.baseline.txt", f[0]),
            format!("{VECTORS}/{}.current.txt", f[0]),
        );
        let (code, out, err) = zg(&[
            "alignment",
            "drift",
            "--baseline",
            &b,
            "--current",
            &c,
            "--bins",
            f[1],
        ]);
        assert_eq!(code, 0, "{err}");
        let j = last_json(&out);
        for (key, want) in [
            "ks_statistic",
            "wasserstein_1",
            "psi",
            "js_distance",
            "chi_square",
        ]
        .iter()
        .zip(&f[2..7])
        {
            let (got, want) = (j[key].as_f64().unwrap(), want.parse::<f64>().unwrap());
            assert!((got - want).abs() <= 1e-6, "{line}: {key} {got}");
        }
    }
}

#[test]
fn drift_exit_statuses() {
    let b = format!("{VECTORS}/normal_shift.baseline.txt");
    let (code, out, _) = zg(&[
        "alignment",
        "drift",
        "--baseline",
        &b,
        "--current",
        &b,
        "--min-samples",
        "100000",
    ]);
    assert_eq!(code, 2);
    assert_eq!(last_json(&out)["verdict"], "not_measured");
    let dir = std::env::temp_dir().join(format!("zg-drift-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad");
    std::fs::write(&bad, "1.0\n0.1234567890123456789\n").unwrap();
    let (code, _, err) = zg(&[
        "alignment",
        "drift",
        "--baseline",
        bad.to_str().unwrap(),
        "--current",
        &b,
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("line 2"), "{err}");
    let (code, _, _) = zg(&[
        "alignment",
        "drift",
        "--baseline",
        &b,
        "--current",
        &b,
        "--bins",
        "0",
    ]);
    assert_eq!(code, 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

const TOPLOC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../zg-alignment/tests/vectors/toploc"
);

/// `prove` prints the `toploc` package's own proofs; `verify` accepts them on the same
/// activations and exits non-zero when a chunk was tampered with.
#[test]
fn toploc_prove_and_verify() {
    let acts = format!("{TOPLOC}/small.activations.txt");
    let proofs = format!("{TOPLOC}/small.proofs.txt");
    let (code, out, err) = zg(&["alignment", "toploc", "prove", "--activations", &acts]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, std::fs::read_to_string(&proofs).unwrap());
    let (code, out, _) = zg(&[
        "alignment",
        "toploc",
        "verify",
        "--proofs",
        &proofs,
        "--activations",
        &acts,
    ]);
    assert_eq!(code, 0);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert!(
        lines
            .iter()
            .all(|j| j["pass"] == true && j["exp_mismatches"] == 0)
    );
    // Tamper with the last chunk only: mantissa bit 5 of every value.
    let text = std::fs::read_to_string(&acts).unwrap();
    let mut rows: Vec<String> = text.lines().map(str::to_owned).collect();
    let last = rows.last_mut().unwrap();
    *last = last
        .split(' ')
        .map(|w| format!("{:04x}", u16::from_str_radix(w, 16).unwrap() ^ 0x0020))
        .collect::<Vec<_>>()
        .join(" ");
    let dir = std::env::temp_dir().join(format!("zg-toploc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("acts");
    std::fs::write(&bad, rows.join("\n")).unwrap();
    let (code, out, _) = zg(&[
        "alignment",
        "toploc",
        "verify",
        "--proofs",
        &proofs,
        "--activations",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    let last: serde_json::Value = last_json(&out);
    assert_eq!(
        (last["chunk"].as_u64(), last["pass"].as_bool()),
        (Some(3), Some(false))
    );
    assert_eq!(last["mant_err_mean"].as_f64(), Some(32.0));
    std::fs::remove_dir_all(&dir).unwrap();
}
