//! Quantile-sketch updates and merges on arbitrary inputs: never panics, the held weight always
//! equals the count, memory stays within 64·k values, and the rank of every inserted value is
//! within the sketch's own stated error of the exact rank.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zg_alignment::drift::Fixed;
use zg_alignment::drift::sketch::QuantileSketch;

#[derive(Arbitrary, Debug)]
enum Op {
    Update(i64),
    UpdateOther(i64),
    MergeOther,
}

fuzz_target!(|input: (u8, Vec<Op>)| {
    let k = usize::from(input.0 % 32) + 8;
    let mut a = QuantileSketch::new(k);
    let mut b = QuantileSketch::new(k);
    let (mut all_a, mut all_b) = (Vec::new(), Vec::new());
    for op in input.1.iter().take(5000) {
        match op {
            Op::Update(v) => {
                a.update(Fixed(i128::from(*v)));
                all_a.push(Fixed(i128::from(*v)));
            }
            Op::UpdateOther(v) => {
                b.update(Fixed(i128::from(*v)));
                all_b.push(Fixed(i128::from(*v)));
            }
            Op::MergeOther => {
                a.merge(&b);
                all_a.append(&mut all_b);
                b = QuantileSketch::new(k);
            }
        }
        assert_eq!(a.weight(), a.count());
        assert!(a.retained() <= 64 * k);
    }
    all_a.sort();
    for x in all_a.iter().step_by(97) {
        let exact = all_a.partition_point(|v| v <= x) as u64;
        assert!(a.rank(*x).abs_diff(exact) <= a.rank_error());
    }
    let _ = a.quantile(Fixed::ONE);
    let _ = QuantileSketch::ks(&a, &b);
});
