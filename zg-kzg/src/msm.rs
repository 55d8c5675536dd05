//! Multi-scalar multiplication in G1: Pippenger's bucket method with *batch-affine* bucket
//! accumulation, plus fixed-base tables for bases known in advance.
//!
//! Bucket accumulation dominates an MSM. Instead of adding points into projective buckets one by
//! one (a mixed addition costs about 11 field multiplications), the entries of every bucket are
//! summed pairwise in rounds of a binary tree, all pairs of a round sharing one field inversion
//! (Montgomery's trick), so an affine addition costs about 6 multiplications.
//!
//! With a [`FixedBaseTable`] (the bases `P_i` stored as `2^(c·w) P_i` for every window `w`), all
//! windows fall into a single set of buckets: no per-window bucket sums, no doublings.

use ark_bls12_381::{Fq, Fr, G1Affine, G1Projective, g1::Config as G1Config};
use ark_ec::AffineRepr;
use ark_ec::scalar_mul::glv::GLVConfig;
use ark_ff::{AdditiveGroup, Field, One, PrimeField, Zero};

/// `p * s` by GLV: `s = k1 + k2·lambda` with `|k1|, |k2| < 2^128` and `lambda·P = phi(P)`
/// (the curve's cheap endomorphism), then an interleaved width-5 NAF over the two halves:
/// about 128 doublings and 43 additions.
pub(crate) fn mul(p: &G1Projective, s: &Fr) -> G1Projective {
    const W: u32 = 5;
    let ((pos1, k1), (pos2, k2)) = <G1Config as GLVConfig>::scalar_decomposition(*s);
    let b1 = if pos1 { *p } else { -*p };
    let phi = <G1Config as GLVConfig>::endomorphism(p);
    let b2 = if pos2 { phi } else { -phi };
    let t1 = odd_multiples(&b1, W);
    let t2 = odd_multiples(&b2, W);
    let n1 = wnaf(&k1, W);
    let n2 = wnaf(&k2, W);
    let mut acc = G1Projective::zero();
    for i in (0..n1.len().max(n2.len())).rev() {
        acc.double_in_place();
        for (naf, table) in [(&n1, &t1), (&n2, &t2)] {
            if let Some(&d) = naf.get(i) {
                if d > 0 {
                    acc += &table[(d as usize) / 2];
                } else if d < 0 {
                    acc -= &table[(d.unsigned_abs() as usize) / 2];
                }
            }
        }
    }
    acc
}

/// `[P, 3P, 5P, ..., (2^(w-1) - 1)P]`.
fn odd_multiples(p: &G1Projective, w: u32) -> Vec<G1Projective> {
    let n = 1usize << (w - 2);
    let double = p.double();
    let mut t = Vec::with_capacity(n);
    t.push(*p);
    for i in 1..n {
        let next = t[i - 1] + double;
        t.push(next);
    }
    t
}

/// Width-`w` non-adjacent form of a non-negative scalar below `2^128`, least significant first:
/// digits odd in `(-2^(w-1), 2^(w-1))` or zero, at most one non-zero in any `w` consecutive.
fn wnaf(k: &Fr, w: u32) -> Vec<i8> {
    let limbs = k.into_bigint().0;
    let mut v = u128::from(limbs[0]) | (u128::from(limbs[1]) << 64);
    let mut out = Vec::with_capacity(130);
    let window = 1i64 << w;
    while v != 0 {
        if v & 1 == 1 {
            let low = i64::try_from(v & (window as u128 - 1)).unwrap_or(0);
            let d = if low >= window / 2 { low - window } else { low };
            if d >= 0 {
                v -= d.unsigned_abs() as u128;
            } else {
                v += d.unsigned_abs() as u128;
            }
            out.push(i8::try_from(d).unwrap_or(0));
        } else {
            out.push(0);
        }
        v >>= 1;
    }
    out
}

/// Signed `c`-bit digits of a scalar (little-endian limbs), `windows` of them, each in
/// `[-2^(c-1), 2^(c-1)]`.
fn signed_digits(scalar: &Fr, c: u32, windows: usize, out: &mut Vec<i32>) {
    let limbs = scalar.into_bigint().0;
    let mask = (1u64 << c) - 1;
    let half = 1i64 << (c - 1);
    let mut carry = 0i64;
    for w in 0..windows {
        let bit = w * c as usize;
        let (limb, off) = (bit / 64, bit % 64);
        let mut v = if limb < 4 { limbs[limb] >> off } else { 0 };
        if off + c as usize > 64 && limb + 1 < 4 {
            v |= limbs[limb + 1] << (64 - off);
        }
        let mut d = i64::try_from(v & mask).unwrap_or(0) + carry;
        if d > half {
            d -= 1 << c;
            carry = 1;
        } else {
            carry = 0;
        }
        out.push(i32::try_from(d).unwrap_or(0));
    }
}

/// An entry of the accumulation: `point` (index into the point slice, bit 31 = negate).
const NEG: u32 = 1 << 31;

/// Largest number of points handled in one accumulation, so that point indices (times the
/// number of windows) and bucket indices fit in 31 bits; larger MSMs are split.
const MAX_CHUNK: usize = 1 << 20;

/// An index known to be below `2^31` (guaranteed by [`MAX_CHUNK`]).
#[inline(always)]
fn idx32(i: usize) -> u32 {
    debug_assert!(i < 1 << 31);
    u32::try_from(i).unwrap_or(u32::MAX >> 1)
}

/// Sums the points of every bucket. `entries[i] = (bucket, point | NEG?)`. Returns one affine
/// point per bucket (the identity for empty buckets).
fn bucket_sums(points: &[G1Affine], entries: &[(u32, u32)], num_buckets: usize) -> Vec<G1Affine> {
    // Counting sort by bucket: `order` lists the entries' points bucket by bucket.
    let mut start = vec![0usize; num_buckets + 1];
    for &(b, _) in entries {
        start[b as usize + 1] += 1;
    }
    for i in 0..num_buckets {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut order = vec![0u32; entries.len()];
    for &(b, p) in entries {
        let slot = &mut fill[b as usize];
        order[*slot] = p;
        *slot += 1;
    }
    // Groups of consecutive buckets small enough to stay in cache; independent of each other.
    let mut groups = Vec::new();
    let mut b0 = 0;
    while b0 < num_buckets {
        let mut b1 = b0 + 1;
        while b1 < num_buckets && start[b1 + 1] - start[b0] <= 8192 {
            b1 += 1;
        }
        groups.push((b0, b1));
        b0 = b1;
    }
    let run = |&(b0, b1): &(usize, usize)| -> Vec<G1Affine> {
        let base = start[b0];
        let mut scratch: Vec<G1Affine> = order[base..start[b1]]
            .iter()
            .map(|&p| {
                let pt = points[(p & !NEG) as usize];
                if p & NEG != 0 { -pt } else { pt }
            })
            .collect();
        let local_start: Vec<usize> = start[b0..=b1].iter().map(|s| s - base).collect();
        let mut len: Vec<usize> = (0..b1 - b0)
            .map(|b| local_start[b + 1] - local_start[b])
            .collect();
        reduce_buckets(
            &mut scratch,
            &local_start,
            &mut len,
            &mut Workspace::default(),
        );
        (0..b1 - b0)
            .map(|b| {
                if len[b] == 1 {
                    scratch[local_start[b]]
                } else {
                    G1Affine::identity()
                }
            })
            .collect()
    };
    #[cfg(feature = "parallel")]
    let parts: Vec<Vec<G1Affine>> = {
        use rayon::prelude::*;
        groups.par_iter().map(run).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let parts: Vec<Vec<G1Affine>> = groups.iter().map(run).collect();
    parts.concat()
}

#[derive(Default)]
struct Workspace {
    den: Vec<Fq>,
    kind: Vec<u8>,
}

const PAIR_ADD: u8 = 0;
const PAIR_DOUBLE: u8 = 1;
const PAIR_TAKE_A: u8 = 2;
const PAIR_TAKE_B: u8 = 3;
const PAIR_ZERO: u8 = 4;

/// Tree-reduces buckets `[start[i], start[i] + len[i])` of `pts` until each has at most one point.
fn reduce_buckets(pts: &mut [G1Affine], start: &[usize], len: &mut [usize], ws: &mut Workspace) {
    loop {
        ws.den.clear();
        ws.kind.clear();
        for (b, &l) in len.iter().enumerate() {
            let s = start[b];
            for i in 0..l / 2 {
                let (a, c) = (&pts[s + 2 * i], &pts[s + 2 * i + 1]);
                let (kind, den) = classify(a, c);
                ws.kind.push(kind);
                ws.den.push(den);
            }
        }
        if ws.den.is_empty() {
            return;
        }
        batch_invert_fq(&mut ws.den);
        let mut k = 0;
        for (b, l) in len.iter_mut().enumerate() {
            let s = start[b];
            let pairs = *l / 2;
            for i in 0..pairs {
                let a = pts[s + 2 * i];
                let c = pts[s + 2 * i + 1];
                pts[s + i] = finish(&a, &c, ws.kind[k], &ws.den[k]);
                k += 1;
            }
            if *l % 2 == 1 {
                pts[s + pairs] = pts[s + *l - 1];
            }
            *l = l.div_ceil(2);
        }
    }
}

#[inline(always)]
fn classify(a: &G1Affine, b: &G1Affine) -> (u8, Fq) {
    if a.is_zero() {
        return (PAIR_TAKE_B, Fq::one());
    }
    if b.is_zero() {
        return (PAIR_TAKE_A, Fq::one());
    }
    if a.x == b.x {
        if a.y == b.y {
            return (PAIR_DOUBLE, a.y.double());
        }
        return (PAIR_ZERO, Fq::one());
    }
    (PAIR_ADD, b.x - a.x)
}

#[inline(always)]
fn finish(a: &G1Affine, b: &G1Affine, kind: u8, inv: &Fq) -> G1Affine {
    match kind {
        PAIR_ADD => {
            let lambda = (b.y - a.y) * inv;
            let x3 = lambda.square() - a.x - b.x;
            let y3 = lambda * (a.x - x3) - a.y;
            G1Affine::new_unchecked(x3, y3)
        }
        PAIR_DOUBLE => {
            let xx = a.x.square();
            let lambda = (xx.double() + xx) * inv;
            let x3 = lambda.square() - a.x.double();
            let y3 = lambda * (a.x - x3) - a.y;
            G1Affine::new_unchecked(x3, y3)
        }
        PAIR_TAKE_A => *a,
        PAIR_TAKE_B => *b,
        _ => G1Affine::identity(),
    }
}

/// Montgomery's trick over non-zero elements.
fn batch_invert_fq(v: &mut [Fq]) {
    let mut prefix = Vec::with_capacity(v.len());
    let mut acc = Fq::one();
    for x in v.iter() {
        prefix.push(acc);
        acc *= x;
    }
    let mut inv = acc.inverse().unwrap_or_default();
    for (x, p) in v.iter_mut().zip(prefix.iter()).rev() {
        let xi = inv * p;
        inv *= *x;
        *x = xi;
    }
}

/// `sum_k (k+1) * buckets[k]`, by the running-sum trick.
fn weighted_bucket_sum(buckets: &[G1Affine]) -> G1Projective {
    let mut running = G1Projective::zero();
    let mut total = G1Projective::zero();
    for b in buckets.iter().rev() {
        if !b.is_zero() {
            running += b;
        }
        total += running;
    }
    total
}

/// [`weighted_bucket_sum`] of one large bucket set, split in two halves that run in parallel
/// with the `parallel` feature: `sum_k (k+1) B_k = S_lo + S_hi + mid * sum_{k >= mid} B_k`
/// where `S_hi` weighs the upper half from 1.
fn split_weighted_bucket_sum(buckets: &[G1Affine]) -> G1Projective {
    #[cfg(feature = "parallel")]
    if buckets.len() >= 512 {
        let mid = buckets.len() / 2;
        let (lo, hi) = buckets.split_at(mid);
        let (s_lo, (s_hi, sum_hi)) = rayon::join(
            || weighted_bucket_sum(lo),
            || {
                let sum: G1Projective = hi
                    .iter()
                    .filter(|b| !b.is_zero())
                    .map(|b| b.into_group())
                    .sum();
                (weighted_bucket_sum(hi), sum)
            },
        );
        return s_lo + s_hi + mul(&sum_hi, &Fr::from(mid as u64));
    }
    weighted_bucket_sum(buckets)
}

/// Window size for a variable-base MSM of `n` points.
fn window_bits(n: usize) -> u32 {
    match n {
        0..=16 => 3,
        17..=64 => 4,
        65..=256 => 5,
        257..=1024 => 7,
        1025..=4096 => 9,
        _ => 10,
    }
}

/// `sum_i scalars[i] * bases[i]` over the shorter of the two slices.
pub(crate) fn msm(bases: &[G1Affine], scalars: &[Fr]) -> G1Projective {
    let n = bases.len().min(scalars.len());
    if n < 4 {
        return bases.iter().zip(scalars).map(|(b, s)| *b * s).sum();
    }
    msm_groups(&bases[..n], &scalars[..n], n)
        .pop()
        .unwrap_or_default()
}

/// Many independent MSMs in one pass (so that the batched inversions are shared): result `j`
/// is `sum scalars[i] * bases[i]` over `i` in `j*group .. (j+1)*group`. At most
/// [`MAX_CHUNK`] points.
pub(crate) fn msm_groups(bases: &[G1Affine], scalars: &[Fr], group: usize) -> Vec<G1Projective> {
    let n = bases.len().min(scalars.len()).min(MAX_CHUNK);
    let group = group.max(1);
    let groups = n.div_ceil(group);
    let c = window_bits(group.min(n));
    let windows = 256usize.div_ceil(c as usize);
    let half = 1usize << (c - 1);
    let mut digits = Vec::with_capacity(windows);
    let mut entries = Vec::with_capacity(n * windows);
    for (i, s) in scalars[..n].iter().enumerate() {
        digits.clear();
        signed_digits(s, c, windows, &mut digits);
        let g = i / group;
        for (w, &d) in digits.iter().enumerate() {
            if d != 0 {
                let bucket = (g * windows + w) * half + d.unsigned_abs() as usize - 1;
                let point = idx32(i) | if d < 0 { NEG } else { 0 };
                entries.push((idx32(bucket), point));
            }
        }
    }
    let sums = bucket_sums(&bases[..n], &entries, groups * windows * half);
    chunks_map(&sums, windows * half, |g| {
        let mut acc = G1Projective::zero();
        for w in (0..windows).rev() {
            for _ in 0..c {
                acc.double_in_place();
            }
            acc += weighted_bucket_sum(&g[w * half..(w + 1) * half]);
        }
        acc
    })
}

/// `f` over consecutive chunks of `v` (in parallel with the `parallel` feature).
fn chunks_map<F>(v: &[G1Affine], size: usize, f: F) -> Vec<G1Projective>
where
    F: Fn(&[G1Affine]) -> G1Projective + Sync + Send,
{
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        v.par_chunks(size).map(f).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        v.chunks(size).map(f).collect()
    }
}

/// Precomputed `2^(c·w) P_i` for fixed bases `P_i`: MSMs against these bases skip the
/// per-window bucket sums and all doublings. Memory: `ceil(256/c)` affine points per base.
#[derive(Clone, Debug)]
pub(crate) struct FixedBaseTable {
    c: u32,
    windows: usize,
    n: usize,
    /// `points[w * n + i] = 2^(c·w) bases[i]`.
    points: Vec<G1Affine>,
}

impl FixedBaseTable {
    /// Tables for at most `2^31 / ceil(256/c)` bases (all internal uses are far below).
    pub(crate) fn new(bases: &[G1Affine], c: u32) -> Self {
        let windows = 256usize.div_ceil(c as usize);
        let n = bases.len().min((1 << 31) / windows);
        let bases = &bases[..n];
        let windows = 256usize.div_ceil(c as usize);
        let mut points = Vec::with_capacity(n * windows);
        points.extend_from_slice(bases);
        let mut cur = bases.to_vec();
        for _ in 1..windows {
            for _ in 0..c {
                batch_double(&mut cur);
            }
            points.extend_from_slice(&cur);
        }
        Self {
            c,
            windows,
            n,
            points,
        }
    }

    /// Bytes held by the table.
    pub(crate) fn size_bytes(&self) -> usize {
        self.points.len() * core::mem::size_of::<G1Affine>()
    }

    /// `sum_i scalars[i] * bases[i]` for groups of `group` consecutive bases:
    /// result `j` uses bases and scalars `j*group .. (j+1)*group`.
    pub(crate) fn msm_groups(&self, scalars: &[Fr], group: usize) -> Vec<G1Projective> {
        let n = self.n.min(scalars.len());
        let groups = n.div_ceil(group.max(1));
        let half = 1usize << (self.c - 1);
        let mut digits = Vec::with_capacity(self.windows);
        let mut entries = Vec::with_capacity(n * self.windows);
        for (i, s) in scalars[..n].iter().enumerate() {
            digits.clear();
            signed_digits(s, self.c, self.windows, &mut digits);
            let g = i / group;
            for (w, &d) in digits.iter().enumerate() {
                if d != 0 {
                    let bucket = g * half + d.unsigned_abs() as usize - 1;
                    let point = idx32(w * self.n + i) | if d < 0 { NEG } else { 0 };
                    entries.push((idx32(bucket), point));
                }
            }
        }
        let sums = bucket_sums(&self.points, &entries, groups * half);
        if groups == 1 {
            return vec![split_weighted_bucket_sum(&sums)];
        }
        chunks_map(&sums, half, weighted_bucket_sum)
    }

    /// `sum_i scalars[i] * bases[i]`.
    pub(crate) fn msm(&self, scalars: &[Fr]) -> G1Projective {
        self.msm_groups(scalars, self.n).pop().unwrap_or_default()
    }
}

/// Doubles every (non-identity) affine point, with one shared inversion.
fn batch_double(pts: &mut [G1Affine]) {
    let mut den: Vec<Fq> = pts
        .iter()
        .map(|p| if p.is_zero() { Fq::one() } else { p.y.double() })
        .collect();
    batch_invert_fq(&mut den);
    for (p, inv) in pts.iter_mut().zip(&den) {
        if !p.is_zero() {
            *p = finish(&p.clone(), &p.clone(), PAIR_DOUBLE, inv);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::random_fr;
    use ark_ec::{CurveGroup, PrimeGroup, VariableBaseMSM};
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn naive(bases: &[G1Affine], scalars: &[Fr]) -> G1Projective {
        G1Projective::msm_unchecked(bases, scalars)
    }

    #[test]
    fn glv_mul_matches_plain_scalar_multiplication() {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let g = G1Projective::generator();
        let p = g * random_fr(&mut rng);
        for s in [
            random_fr(&mut rng),
            random_fr(&mut rng),
            Fr::zero(),
            Fr::one(),
            -Fr::one(),
            Fr::from(31u64),
        ] {
            assert_eq!(mul(&p, &s), p * s);
        }
        assert_eq!(
            mul(&G1Projective::zero(), &Fr::from(5u64)),
            G1Projective::zero()
        );
    }

    #[test]
    fn digits_recompose() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        for c in [3u32, 5, 8, 9, 13] {
            let windows = 256usize.div_ceil(c as usize);
            for s in [random_fr(&mut rng), -Fr::one(), Fr::zero(), Fr::one()] {
                let mut d = Vec::new();
                signed_digits(&s, c, windows, &mut d);
                let mut acc = Fr::zero();
                for &x in d.iter().rev() {
                    acc *= Fr::from(1u64 << c);
                    acc += if x < 0 {
                        -Fr::from(u64::from(x.unsigned_abs()))
                    } else {
                        Fr::from(x as u64)
                    };
                }
                assert_eq!(acc, s, "c={c}");
            }
        }
    }

    #[test]
    fn msm_matches_reference_including_edge_cases() {
        let mut rng = ChaCha20Rng::seed_from_u64(4);
        let g = G1Projective::generator();
        let base: Vec<G1Affine> = (0..300)
            .map(|_| (g * random_fr(&mut rng)).into_affine())
            .collect();
        for n in [0usize, 1, 3, 4, 17, 64, 300] {
            let mut bases = base[..n].to_vec();
            let mut scalars: Vec<Fr> = (0..n).map(|_| random_fr(&mut rng)).collect();
            if n >= 17 {
                // Duplicates, negations, identity and zero/one scalars: the special cases of
                // affine addition.
                bases[1] = bases[0];
                bases[2] = -bases[0];
                bases[3] = G1Affine::identity();
                scalars[4] = Fr::zero();
                scalars[5] = Fr::one();
                scalars[6] = -Fr::one();
                scalars[1] = scalars[0];
                scalars[2] = scalars[0];
            }
            assert_eq!(msm(&bases, &scalars), naive(&bases, &scalars), "n={n}");
            let t = FixedBaseTable::new(&bases, 8);
            assert_eq!(t.msm(&scalars), naive(&bases, &scalars), "fixed n={n}");
        }
        // Same point many times in one bucket (all scalars equal).
        let bases = vec![base[0]; 40];
        let scalars = vec![Fr::from(5u64); 40];
        assert_eq!(
            msm(&bases, &scalars),
            g * Fr::zero() + base[0] * Fr::from(200u64)
        );
    }

    #[test]
    fn grouped_fixed_base_msm() {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let g = G1Projective::generator();
        let bases: Vec<G1Affine> = (0..96)
            .map(|_| (g * random_fr(&mut rng)).into_affine())
            .collect();
        let scalars: Vec<Fr> = (0..96).map(|_| random_fr(&mut rng)).collect();
        let t = FixedBaseTable::new(&bases, 6);
        let got = t.msm_groups(&scalars, 32);
        let var = msm_groups(&bases, &scalars, 32);
        for j in 0..3 {
            let want = naive(&bases[32 * j..32 * (j + 1)], &scalars[32 * j..32 * (j + 1)]);
            assert_eq!(got[j], want);
            assert_eq!(var[j], want);
        }
        assert!(t.size_bytes() > 0);
    }
}
