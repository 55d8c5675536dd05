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
use ark_ec::scalar_mul::glv::GLVConfig;
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{AdditiveGroup, Field, One, PrimeField, Zero};

/// Width of the NAF in [`mul_many`]: tables of `2^(W-2) = 8` odd multiples per GLV half.
const MUL_WNAF: u32 = 5;

/// `points[i] * scalars[i]` for every `i` (the G1 FFT's twiddle products), by GLV
/// ([`glv_split`]: `s = r + q D`, `s P = r P + q (-phi(P))`) and an interleaved width-5 NAF over
/// the two 128-bit halves: about 128 doublings and 43 mixed additions each. The inputs and the
/// odd-multiple tables are brought to affine form in two batches (one inversion each), so that
/// every table addition is a mixed one and the `-phi` table costs one multiplication per entry.
/// Runs on the pool's threads with the `parallel` feature.
pub(crate) fn mul_many(points: &[G1Projective], scalars: &[Fr]) -> Vec<G1Projective> {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        let threads = rayon::current_num_threads();
        if threads > 1 && points.len() >= 8 {
            let per = points.len().div_ceil(threads);
            return points
                .par_chunks(per)
                .zip(scalars.par_chunks(per))
                .flat_map_iter(|(p, s)| mul_many_seq(p, s))
                .collect();
        }
    }
    mul_many_seq(points, scalars)
}

fn mul_many_seq(points: &[G1Projective], scalars: &[Fr]) -> Vec<G1Projective> {
    let half = 1usize << (MUL_WNAF - 2);
    let affine = G1Projective::normalize_batch(points);
    // Odd multiples P, 3P, ..., 15P of every point, then all of them to affine at once.
    let mut tables = Vec::with_capacity(affine.len() * half);
    for p in &affine {
        let double = p.into_group().double();
        let mut cur = p.into_group();
        tables.push(cur);
        for _ in 1..half {
            cur += double;
            tables.push(cur);
        }
    }
    let tables = G1Projective::normalize_batch(&tables);
    let beta = <G1Config as GLVConfig>::ENDO_COEFFS[0];
    tables
        .chunks_exact(half)
        .zip(scalars)
        .map(|(t1, s)| {
            let (r, q) = glv_split(s);
            let t2: Vec<G1Affine> = t1
                .iter()
                .map(|p| {
                    if p.is_zero() {
                        *p
                    } else {
                        G1Affine::new_unchecked(p.x * beta, -p.y)
                    }
                })
                .collect();
            let n1 = wnaf(r, MUL_WNAF);
            let n2 = wnaf(q, MUL_WNAF);
            let mut acc = G1Projective::zero();
            for i in (0..n1.len().max(n2.len())).rev() {
                acc.double_in_place();
                for (naf, table) in [(&n1, t1), (&n2, &t2[..])] {
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
        })
        .collect()
}

/// `p * s` ([`mul_many`] of one point).
pub(crate) fn mul(p: &G1Projective, s: &Fr) -> G1Projective {
    mul_many_seq(core::slice::from_ref(p), core::slice::from_ref(s))
        .pop()
        .unwrap_or_default()
}

/// Width-`w` non-adjacent form of a non-negative scalar below `2^127`, least significant first:
/// digits odd in `(-2^(w-1), 2^(w-1))` or zero, at most one non-zero in any `w` consecutive.
fn wnaf(mut v: u128, w: u32) -> Vec<i8> {
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

/// Field equality on the Montgomery limbs, branch-free (the derived `==` calls `memcmp`).
#[inline(always)]
fn fq_eq(a: &Fq, b: &Fq) -> bool {
    let (x, y) = (&(a.0).0, &(b.0).0);
    x.iter().zip(y).fold(0u64, |acc, (p, q)| acc | (p ^ q)) == 0
}

#[inline(always)]
fn classify(a: &G1Affine, b: &G1Affine) -> (u8, Fq) {
    if a.is_zero() {
        return (PAIR_TAKE_B, Fq::one());
    }
    if b.is_zero() {
        return (PAIR_TAKE_A, Fq::one());
    }
    if fq_eq(&a.x, &b.x) {
        if fq_eq(&a.y, &b.y) {
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

/// Adds `other(i)` into every `acc[i]` (affine, one shared inversion for the whole slice).
fn batch_add<F>(acc: &mut [G1Affine], other: F, ws: &mut Workspace)
where
    F: Fn(usize) -> G1Affine,
{
    ws.den.clear();
    ws.kind.clear();
    for (i, a) in acc.iter().enumerate() {
        let (kind, den) = classify(a, &other(i));
        ws.kind.push(kind);
        ws.den.push(den);
    }
    batch_invert_fq(&mut ws.den);
    for (i, a) in acc.iter_mut().enumerate() {
        *a = finish(a, &other(i), ws.kind[i], &ws.den[i]);
    }
}

/// Fewest independent chains worth one shared inversion in [`weighted_sums`].
const MIN_CHAINS: usize = 256;

/// `sum_k (k+1) * B_k` for every consecutive run of `half` buckets `B` (one result per run).
///
/// The running-sum trick (`running += B_k; total += running`, `k` downwards) is done for all runs
/// at once in affine coordinates, one shared inversion per step. When there are few runs, each
/// is split into `s` segments of `len = half / s` buckets that run as separate chains:
/// `sum_k (k+1) B_k = sum_t T_t + len * sum_t t R_t` with `T_t` segment `t`'s weighted sum
/// (weights from 1) and `R_t` its plain sum.
fn weighted_sums(buckets: &[G1Affine], half: usize) -> Vec<G1Projective> {
    let runs = buckets.len() / half;
    let mut s = 1;
    while runs * s < MIN_CHAINS && s < half / 4 {
        s *= 2;
    }
    let len = half / s;
    let chains = runs * s;
    let mut running = vec![G1Affine::identity(); chains];
    let mut total = vec![G1Affine::identity(); chains];
    let mut ws = Workspace::default();
    for k in (0..len).rev() {
        batch_add(&mut running, |ch| buckets[ch * len + k], &mut ws);
        batch_add(&mut total, |ch| running[ch], &mut ws);
    }
    (0..runs)
        .map(|r| {
            let seg = r * s..(r + 1) * s;
            let mut acc: G1Projective = total[seg.clone()].iter().map(|t| t.into_group()).sum();
            if s > 1 {
                // len * sum_t t R_t, by a running sum over the segments.
                let mut run = G1Projective::zero();
                let mut weighted = G1Projective::zero();
                for rt in running[seg].iter().skip(1).rev() {
                    run += rt;
                    weighted += run;
                }
                for _ in 0..len.trailing_zeros() {
                    weighted.double_in_place();
                }
                acc += weighted;
            }
            acc
        })
        .collect()
}

/// `z^2` for the BLS12-381 parameter `z = -0xd201000000010000`. `r = D^2 - D + 1` and arkworks'
/// GLV eigenvalue is `lambda = -D mod r`, so `D * P = -phi(P)` with `phi(x, y) = (beta x, y)`.
const GLV_D: u128 = 0xd201_0000_0001_0000_u128 * 0xd201_0000_0001_0000_u128;

/// `floor(2^255 / GLV_D)` (below `2^128` since `D > 2^127`), for Barrett division.
const GLV_M: u128 = {
    // Binary long division of 2^255 by D; the remainder stays below D < 2^128 but may
    // transiently need 129 bits, hence the wrapping arithmetic.
    let mut q: u128 = 0;
    let mut r: u128 = 0;
    let mut bit = 256;
    while bit > 0 {
        bit -= 1;
        let top = r >> 127;
        r = (r << 1) | if bit == 255 { 1 } else { 0 };
        if top == 1 || r >= GLV_D {
            r = r.wrapping_sub(GLV_D);
            if bit < 128 {
                q |= 1 << bit;
            }
        }
    }
    q
};

/// `(lo, hi)` of the 256-bit product `a * b`.
#[inline(always)]
fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    let (a0, a1) = (a & u128::from(u64::MAX), a >> 64);
    let (b0, b1) = (b & u128::from(u64::MAX), b >> 64);
    let ll = a0 * b0;
    let lh = a0 * b1;
    let hl = a1 * b0;
    let hh = a1 * b1;
    let (mid, carry) = lh.overflowing_add(hl);
    let (lo, c2) = ll.overflowing_add(mid << 64);
    let hi = hh + (mid >> 64) + (u128::from(carry) << 64) + u128::from(c2);
    (lo, hi)
}

/// GLV decomposition by division: `k = q * D + r` with `0 <= r < D` and `0 <= q < D`
/// (as `k < r_Fr = D^2 - D + 1`), so `k * P = r * P + q * (-phi(P))`: two non-negative
/// scalars below `2^128`, found with a Barrett quotient estimate and at most a few corrections.
fn glv_split(k: &Fr) -> (u128, u128) {
    let l = k.into_bigint().0;
    let lo = u128::from(l[0]) | (u128::from(l[1]) << 64);
    let hi = u128::from(l[2]) | (u128::from(l[3]) << 64);
    // floor(k / 2^127) < 2^128 since k < 2^255.
    let top = (hi << 1) | (lo >> 127);
    let mut q = mul_wide(top, GLV_M).1;
    let (p_lo, p_hi) = mul_wide(q, GLV_D);
    let (mut r_lo, borrow) = lo.overflowing_sub(p_lo);
    let mut r_hi = hi.wrapping_sub(p_hi).wrapping_sub(u128::from(borrow));
    // The estimate is below the true quotient by at most 3.
    while r_hi != 0 || r_lo >= GLV_D {
        let (v, b) = r_lo.overflowing_sub(GLV_D);
        r_lo = v;
        r_hi = r_hi.wrapping_sub(u128::from(b));
        q += 1;
    }
    (r_lo, q)
}

/// Signed `c`-bit digits of a scalar below `2^128`: `windows = ceil(129 / c)` of them, each in
/// `[-2^(c-1), 2^(c-1)]` (the extra bit absorbs the final carry).
#[inline(always)]
fn signed_digits_128(mut v: u128, c: u32, out: &mut [i32]) {
    let mask = (1u128 << c) - 1;
    let half = 1i64 << (c - 1);
    let mut carry = 0i64;
    for d in out.iter_mut() {
        let mut x = i64::try_from(v & mask).unwrap_or(0) + carry;
        v >>= c;
        if x > half {
            x -= 1 << c;
            carry = 1;
        } else {
            carry = 0;
        }
        *d = i32::try_from(x).unwrap_or(0);
    }
}

/// An MSM in GLV form: every base `P_i` becomes `ways` points with scalars below `2^bits`:
/// `P_i, -phi(P_i)` (two ways, 128 bits), and with `t` shifted base sets `2^(k s) P_i`,
/// `s = ceil(128 / (t+1))` ([`piece_bits`]), also those and their `-phi` images (`2 (t+1)`
/// ways, `s` bits).
/// Point `ways*i + j` belongs to base `i`.
struct GlvInput {
    points: Vec<G1Affine>,
    scalars: Vec<u128>,
    ways: usize,
    bits: usize,
}

/// `-phi(P) = (beta x, -y)`, which is `z^2 P` ([`GLV_D`]).
#[inline(always)]
fn neg_phi(p: &G1Affine, beta: &Fq) -> G1Affine {
    if p.is_zero() {
        *p
    } else {
        G1Affine::new_unchecked(p.x * beta, -p.y)
    }
}

/// Bits per piece when the GLV halves (below `2^128`) are cut into `pieces` pieces: rounded
/// up, so that the pieces always cover all 128 bits (`3` pieces are 43 bits, not 42).
fn piece_bits(pieces: usize) -> usize {
    128usize.div_ceil(pieces.max(1))
}

fn glv_input(bases: &[G1Affine], shifted: &[Vec<G1Affine>], scalars: &[Fr]) -> GlvInput {
    let beta = <G1Config as GLVConfig>::ENDO_COEFFS[0];
    let pieces = shifted.len() + 1;
    let bits = piece_bits(pieces);
    let ways = 2 * pieces;
    let mask = u128::MAX >> (128 - bits);
    let n = bases.len().min(scalars.len());
    let mut input = GlvInput {
        points: vec![G1Affine::zero(); ways * n],
        scalars: vec![0; ways * n],
        ways,
        bits,
    };
    // Base `i` fills `ways` consecutive slots: for piece `k`, `2^(k bits) P_i` with bits
    // `k bits ..` of `r` and its `-phi` image with the same bits of `q`.
    let one = |(i, (pts, ks)): (usize, (&mut [G1Affine], &mut [u128]))| {
        let (r, q) = glv_split(&scalars[i]);
        for k in 0..pieces {
            let p = if k == 0 { bases[i] } else { shifted[k - 1][i] };
            let shift = u32::try_from(bits * k).unwrap_or(u32::MAX);
            pts[2 * k] = p;
            pts[2 * k + 1] = neg_phi(&p, &beta);
            ks[2 * k] = r.checked_shr(shift).unwrap_or(0) & mask;
            ks[2 * k + 1] = q.checked_shr(shift).unwrap_or(0) & mask;
        }
    };
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        input
            .points
            .par_chunks_mut(ways)
            .zip(input.scalars.par_chunks_mut(ways))
            .enumerate()
            .for_each(one);
    }
    #[cfg(not(feature = "parallel"))]
    input
        .points
        .chunks_mut(ways)
        .zip(input.scalars.chunks_mut(ways))
        .enumerate()
        .for_each(one);
    input
}

/// Number of signed `c`-bit digits for scalars below `2^bits` (one more bit for the carry).
fn num_windows(bits: usize, c: u32) -> usize {
    (bits + 1).div_ceil(c as usize)
}

/// Window width for many MSMs of `n` points each with scalars below `2^bits`, by a cost model
/// counted in batched affine additions: bucket accumulation (entries minus occupied buckets),
/// the weighted bucket sums (two additions per bucket, each measured at about 1.3 accumulation
/// additions) and the per-window doublings and additions of the final Horner pass. It picks
/// 5 bits for FK20's groups (128 points of 128 bits) and 10 for a blob commitment (8192 points
/// of 128 bits), the measured optima.
fn window_bits(n: usize, bits: usize) -> u32 {
    let cost = |c: u32| -> f64 {
        let windows = num_windows(bits, c) as f64;
        let buckets = f64::from(1u32 << (c - 1));
        let n = n as f64;
        let entries = n * (1.0 - 1.0 / f64::from(1u32 << c));
        let occupied = buckets * (1.0 - (-entries / buckets).exp());
        windows * ((entries - occupied) + 2.6 * buckets + 1.2 * f64::from(c) + 2.0)
    };
    (2..=16)
        .min_by(|&a, &b| cost(a).total_cmp(&cost(b)))
        .unwrap_or(8)
}

/// For each group `g` in `groups` (input points `g*group .. (g+1)*group`) and the windows in
/// `windows`: `sum_{w in windows} 2^(c*w) * (window w's digit-weighted sum of the group)`.
fn msm_core(
    input: &GlvInput,
    group: usize,
    groups: core::ops::Range<usize>,
    windows: core::ops::Range<usize>,
    c: u32,
) -> Vec<G1Projective> {
    let total_windows = num_windows(input.bits, c);
    let half = 1usize << (c - 1);
    let nw = windows.len();
    let n = input.points.len();
    let mut digits = vec![0i32; total_windows];
    let mut entries = Vec::with_capacity(groups.len() * group * nw);
    for (gi, g) in groups.clone().enumerate() {
        for i in g * group..((g + 1) * group).min(n) {
            signed_digits_128(input.scalars[i], c, &mut digits);
            for (wi, &d) in digits[windows.clone()].iter().enumerate() {
                if d != 0 {
                    let bucket = (gi * nw + wi) * half + d.unsigned_abs() as usize - 1;
                    let point = idx32(i) | if d < 0 { NEG } else { 0 };
                    entries.push((idx32(bucket), point));
                }
            }
        }
    }
    let sums = bucket_sums(&input.points, &entries, groups.len() * nw * half);
    let window_sums = weighted_sums(&sums, half);
    window_sums
        .chunks(nw)
        .map(|w| {
            let mut acc = G1Projective::zero();
            for s in w.iter().rev() {
                for _ in 0..c {
                    acc.double_in_place();
                }
                acc += s;
            }
            for _ in 0..c as usize * windows.start {
                acc.double_in_place();
            }
            acc
        })
        .collect()
}

/// `sum_i scalars[i] * bases[i]` over the shorter of the two slices.
pub(crate) fn msm(bases: &[G1Affine], scalars: &[Fr]) -> G1Projective {
    let n = bases.len().min(scalars.len());
    if n < 4 {
        return bases.iter().zip(scalars).map(|(b, s)| *b * s).sum();
    }
    bases[..n]
        .chunks(MAX_CHUNK)
        .zip(scalars[..n].chunks(MAX_CHUNK))
        .map(|(b, s)| msm_groups(b, &[], s, n).pop().unwrap_or_default())
        .sum()
}

/// Many independent MSMs: result `j` is `sum scalars[i] * bases[i]` over `i` in
/// `j*group .. (j+1)*group` (the last group may be shorter). At most [`MAX_CHUNK`] points.
///
/// Scalars are split by GLV ([`glv_split`]) into two 128-bit halves, which halves the windows,
/// so the weighted bucket sums and the doublings. With `t` shifted base sets
/// `shifted[k-1][i] = 2^(k s) bases[i]` (see [`shift_bases`]) each half is split again into
/// `t + 1` pieces of `s = ceil(128 / (t + 1))` bits, dividing the windows once more.
/// With the `parallel` feature the groups (or, for fewer groups than threads, the windows) are
/// shared out between the pool's threads.
pub(crate) fn msm_groups(
    bases: &[G1Affine],
    shifted: &[Vec<G1Affine>],
    scalars: &[Fr],
    group: usize,
) -> Vec<G1Projective> {
    let mut n = bases.len().min(scalars.len()).min(MAX_CHUNK);
    for sh in shifted {
        n = n.min(sh.len());
    }
    let group = group.max(1);
    let groups = n.div_ceil(group);
    let input = glv_input(&bases[..n], shifted, &scalars[..n]);
    let ways = input.ways;
    let c = window_bits(ways * group.min(n), input.bits);
    let windows = num_windows(input.bits, c);
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        let threads = rayon::current_num_threads();
        if threads > 1 && groups >= threads {
            let per = groups.div_ceil(threads);
            let parts: Vec<Vec<G1Projective>> = (0..groups)
                .step_by(per)
                .collect::<Vec<_>>()
                .par_iter()
                .map(|&g0| {
                    let gs = g0..(g0 + per).min(groups);
                    msm_core(&input, ways * group, gs, 0..windows, c)
                })
                .collect();
            return parts.concat();
        }
        if threads > 1 {
            let per = windows.div_ceil(threads.min(windows));
            return (0..windows)
                .step_by(per)
                .collect::<Vec<_>>()
                .par_iter()
                .map(|&w0| {
                    let ws = w0..(w0 + per).min(windows);
                    msm_core(&input, ways * group, 0..groups, ws, c)
                })
                .reduce(
                    || vec![G1Projective::zero(); groups],
                    |a, b| a.iter().zip(&b).map(|(x, y)| *x + y).collect(),
                );
        }
    }
    msm_core(&input, ways * group, 0..groups, 0..windows, c)
}

/// `[2^s P_i, 2^(2s) P_i, ..., 2^(t s) P_i]` with `s = ceil(128 / (t + 1))` (`t * s` batched
/// affine doublings per base, in parallel with the `parallel` feature): the shifted base sets
/// of [`msm_groups`].
pub(crate) fn shift_bases(bases: &[G1Affine], t: usize) -> Vec<Vec<G1Affine>> {
    let s = piece_bits(t + 1);
    let run = |chunk: &[G1Affine]| -> Vec<Vec<G1Affine>> {
        let mut cur = chunk.to_vec();
        let mut out = Vec::with_capacity(t);
        for _ in 0..t {
            for _ in 0..s {
                batch_double(&mut cur);
            }
            out.push(cur.clone());
        }
        out
    };
    #[cfg(feature = "parallel")]
    let parts: Vec<Vec<Vec<G1Affine>>> = {
        use rayon::prelude::*;
        let per = bases.len().div_ceil(rayon::current_num_threads()).max(1);
        bases.par_chunks(per).map(run).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let parts = [run(bases)];
    (0..t)
        .map(|k| parts.iter().flat_map(|p| p[k].iter().copied()).collect())
        .collect()
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
        // Window-major table of a slice of the bases (doubling `c` times per window).
        let build = |chunk: &[G1Affine]| -> Vec<G1Affine> {
            let mut out = Vec::with_capacity(chunk.len() * windows);
            out.extend_from_slice(chunk);
            let mut cur = chunk.to_vec();
            for _ in 1..windows {
                for _ in 0..c {
                    batch_double(&mut cur);
                }
                out.extend_from_slice(&cur);
            }
            out
        };
        #[cfg(feature = "parallel")]
        let parts: Vec<Vec<G1Affine>> = {
            use rayon::prelude::*;
            let per = n.div_ceil(rayon::current_num_threads()).max(1);
            bases.par_chunks(per).map(build).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let parts = vec![build(bases)];
        let mut points = Vec::with_capacity(n * windows);
        for w in 0..windows {
            for part in &parts {
                let len = part.len() / windows;
                points.extend_from_slice(&part[w * len..(w + 1) * len]);
            }
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
    /// result `j` uses bases and scalars `j*group .. (j+1)*group`. With the `parallel` feature
    /// the groups (or, for a single group, the bases) are shared out between the pool's threads.
    pub(crate) fn msm_groups(&self, scalars: &[Fr], group: usize) -> Vec<G1Projective> {
        let n = self.n.min(scalars.len());
        let group = group.max(1);
        #[cfg(feature = "parallel")]
        {
            use rayon::prelude::*;
            let threads = rayon::current_num_threads();
            let groups = n.div_ceil(group);
            if threads > 1 && groups >= threads {
                let per = groups.div_ceil(threads) * group;
                let parts: Vec<Vec<G1Projective>> = (0..n)
                    .step_by(per)
                    .collect::<Vec<_>>()
                    .par_iter()
                    .map(|&i0| self.msm_range(scalars, group, i0..(i0 + per).min(n)))
                    .collect();
                return parts.concat();
            }
            if threads > 1 && groups == 1 && n >= 64 {
                let per = n.div_ceil(threads);
                return (0..n)
                    .step_by(per)
                    .collect::<Vec<_>>()
                    .par_iter()
                    .map(|&i0| self.msm_range(scalars, group, i0..(i0 + per).min(n)))
                    .reduce(|| vec![G1Projective::zero()], |a, b| vec![a[0] + b[0]]);
            }
        }
        self.msm_range(scalars, group, 0..n)
    }

    /// [`Self::msm_groups`] restricted to the bases in `range` (which starts at a group
    /// boundary, or lies within the only group): one result per group it meets.
    fn msm_range(
        &self,
        scalars: &[Fr],
        group: usize,
        range: core::ops::Range<usize>,
    ) -> Vec<G1Projective> {
        if range.is_empty() {
            return Vec::new();
        }
        let g0 = range.start / group;
        let groups = (range.end - 1) / group + 1 - g0;
        let half = 1usize << (self.c - 1);
        let mut digits = Vec::with_capacity(self.windows);
        let mut entries = Vec::with_capacity(range.len() * self.windows);
        for i in range {
            digits.clear();
            signed_digits(&scalars[i], self.c, self.windows, &mut digits);
            let g = i / group - g0;
            for (w, &d) in digits.iter().enumerate() {
                if d != 0 {
                    let bucket = g * half + d.unsigned_abs() as usize - 1;
                    let point = idx32(w * self.n + i) | if d < 0 { NEG } else { 0 };
                    entries.push((idx32(bucket), point));
                }
            }
        }
        let sums = bucket_sums(&self.points, &entries, groups * half);
        weighted_sums(&sums, half)
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
        let mut pts: Vec<G1Projective> = (0..20).map(|_| g * random_fr(&mut rng)).collect();
        let mut scalars: Vec<Fr> = (0..20).map(|_| random_fr(&mut rng)).collect();
        pts[3] = G1Projective::zero();
        pts[4] = pts[5];
        scalars[6] = Fr::zero();
        scalars[7] = -Fr::one();
        let got = mul_many(&pts, &scalars);
        for ((p, s), r) in pts.iter().zip(&scalars).zip(&got) {
            assert_eq!(*r, *p * s);
        }
    }

    /// `k = r + q * D` with `r < D`, `q < D`, and `D * P = -phi(P)` on the curve.
    #[test]
    fn glv_split_decomposes() {
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        let d = Fr::from(GLV_D);
        let mut cases = vec![
            Fr::zero(),
            Fr::one(),
            -Fr::one(),
            -Fr::from(2u64),
            d,
            d - Fr::one(),
            d * d,
            d * d - Fr::one(),
            d * d - d,
            Fr::from(u64::MAX),
        ];
        cases.extend((0..500).map(|_| random_fr(&mut rng)));
        for k in cases {
            let (r, q) = glv_split(&k);
            assert!(r < GLV_D && q < GLV_D, "{k}");
            assert_eq!(Fr::from(r) + Fr::from(q) * d, k, "{k}");
        }
        let p = (G1Projective::generator() * random_fr(&mut rng)).into_affine();
        let beta = <G1Config as GLVConfig>::ENDO_COEFFS[0];
        let neg_phi = G1Affine::new_unchecked(p.x * beta, -p.y);
        assert_eq!(p * d, neg_phi.into_group());
        // 2^255 = GLV_M * D + rem, rem < D.
        let two_255 = Fr::from(2u64).pow([255]);
        let (lo, hi) = mul_wide(GLV_M, GLV_D);
        assert_eq!(hi >> 126, 1, "GLV_M * D is just below 2^255");
        let rem = two_255 - (Fr::from(lo) + Fr::from(hi) * Fr::from(2u64).pow([128]));
        let rl = rem.into_bigint().0;
        assert!(rl[2] == 0 && rl[3] == 0);
        assert!((u128::from(rl[0]) | (u128::from(rl[1]) << 64)) < GLV_D);
    }

    #[test]
    fn window_choice_is_sane() {
        // The measured optima (FK20 groups, blob commitments).
        assert_eq!(window_bits(128, 128), 5);
        assert_eq!(window_bits(8192, 128), 10);
        for n in [1usize, 2, 3, 64, 256, 1 << 20] {
            for bits in [64usize, 128] {
                assert!((2..=16).contains(&window_bits(n, bits)));
            }
        }
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
        for n in [0usize, 1, 3, 4, 5, 17, 64, 300] {
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

    /// The parallel splits (by groups, by windows, by bases) give the sequential answers for
    /// any pool size, including sizes that do not divide the work evenly.
    #[cfg(feature = "parallel")]
    #[test]
    fn parallel_splits_agree() {
        let mut rng = ChaCha20Rng::seed_from_u64(6);
        let g = G1Projective::generator();
        let bases: Vec<G1Affine> = (0..200)
            .map(|_| (g * random_fr(&mut rng)).into_affine())
            .collect();
        let scalars: Vec<Fr> = (0..200).map(|_| random_fr(&mut rng)).collect();
        let table = FixedBaseTable::new(&bases, 7);
        let shifted = [shift_bases(&bases, 1), shift_bases(&bases, 3)];
        let want_groups: Vec<G1Projective> = bases
            .chunks(24)
            .zip(scalars.chunks(24))
            .map(|(b, s)| naive(b, s))
            .collect();
        let want_all = naive(&bases, &scalars);
        let pts: Vec<G1Projective> = bases.iter().map(|b| b.into_group()).collect();
        for threads in [1usize, 2, 3, 5] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                assert_eq!(
                    msm_groups(&bases, &[], &scalars, 24),
                    want_groups,
                    "{threads}"
                );
                for sh in &shifted {
                    assert_eq!(
                        msm_groups(&bases, sh, &scalars, 24),
                        want_groups,
                        "{threads}"
                    );
                }
                assert_eq!(msm(&bases, &scalars), want_all, "{threads}");
                assert_eq!(table.msm_groups(&scalars, 24), want_groups, "{threads}");
                assert_eq!(table.msm(&scalars), want_all, "{threads}");
                let prods = mul_many(&pts, &scalars);
                assert!(
                    prods
                        .iter()
                        .zip(&pts)
                        .zip(&scalars)
                        .all(|((r, p), s)| *r == *p * s)
                );
            });
        }
    }

    #[test]
    fn grouped_fixed_base_msm() {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let g = G1Projective::generator();
        let bases: Vec<G1Affine> = (0..96)
            .map(|_| (g * random_fr(&mut rng)).into_affine())
            .collect();
        let mut scalars: Vec<Fr> = (0..96).map(|_| random_fr(&mut rng)).collect();
        // -1 and -2 have the largest GLV halves (`q = D - 1`, `r = D - 1`), both using bit 127:
        // the pieces must cover it whatever their count.
        scalars[3] = -Fr::from(1u64);
        scalars[4] = -Fr::from(2u64);
        scalars[40] = Fr::zero();
        scalars[70] = -Fr::from(2u64);
        let t = FixedBaseTable::new(&bases, 6);
        let got = t.msm_groups(&scalars, 32);
        let var = msm_groups(&bases, &[], &scalars, 32);
        for sets in [1usize, 2, 3, 4, 7] {
            let shifted = shift_bases(&bases, sets);
            assert_eq!(shifted.len(), sets);
            let s = piece_bits(sets + 1) as u64;
            for (k, sh) in shifted.iter().enumerate() {
                let e = s * (k as u64 + 1);
                assert_eq!(sh[5], (bases[5] * Fr::from(2u64).pow([e])).into_affine());
            }
            let split = msm_groups(&bases, &shifted, &scalars, 32);
            for j in 0..3 {
                let want = naive(&bases[32 * j..32 * (j + 1)], &scalars[32 * j..32 * (j + 1)]);
                assert_eq!(got[j], want);
                assert_eq!(var[j], want);
                assert_eq!(split[j], want, "{sets} shifted sets, group {j}");
            }
        }
        assert!(t.size_bytes() > 0);
    }
}
