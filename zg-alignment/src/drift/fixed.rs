//! Decimal fixed point with 18 fractional digits, exact decimal parsing, and integer-only
//! `ln`, `exp` and `sqrt`.
//!
//! A [`Fixed`] is an `i128` counting units of 10⁻¹⁸. Parsing a decimal string is exact: a value
//! that needs more than 18 fractional digits, or whose magnitude exceeds [`Fixed::MAX_ABS`]
//! (10²⁰), is rejected with a typed error, never rounded. Differences of two parsed values
//! therefore fit a `u128`, and every product that the statistics form is taken in 256 bits.
//!
//! ## The transcendental functions and their error
//! * [`ln_ratio`]`(p, q)` = ln(p/q) for positive integers: the argument is written as 2ᵏ·y with
//!   y ∈ [1, 2) (k from bit lengths, y to 10⁻¹⁸ by one exact 256-bit division), then
//!   ln y = 2·atanh(z) = 2·Σⱼ z²ʲ⁺¹/(2j+1) with z = (y−1)/(y+1) ∈ [0, ⅓), summed until a term
//!   is below one unit, and ln 2 is a 40-digit constant. Each of the ≤ 40 truncating steps loses
//!   under one unit, the series tail is under one unit, so |error| ≤ 2·10⁻¹⁶ for every input
//!   (the test `ln_matches_float_reference` checks it against `f64::ln`).
//! * [`exp_neg`]`(x)` = e⁻ˣ for x ≥ 0: x = k·ln 2 + r with r ∈ [0, ln 2), e⁻ʳ by its Taylor series
//!   (terms until below one unit, ≤ 25 of them), then a right shift by k. |error| ≤ 10⁻¹⁶;
//!   values below 10⁻¹⁸ come out as 0.
//! * [`Fixed::sqrt`]: the exact floor of √x at 10⁻¹⁸ (integer square root of x·10¹⁸).
//!
//! No float is touched, so the same inputs give the same bits on every platform.

use core::fmt;

use ruint::aliases::U256;

use super::DriftError;

/// One unit is 10⁻¹⁸: the scale of [`Fixed`].
pub const SCALE: i128 = 1_000_000_000_000_000_000;
const SCALE_U: u128 = SCALE as u128;

/// ln 2 at 10⁻¹⁸, rounded to nearest (0.693147180559945309417232121458…).
const LN2: i128 = 693_147_180_559_945_309;

/// A signed decimal fixed-point number: `self.0` units of 10⁻¹⁸.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Fixed(pub i128);

impl Fixed {
    /// Zero.
    pub const ZERO: Fixed = Fixed(0);
    /// One.
    pub const ONE: Fixed = Fixed(SCALE);
    /// The largest magnitude a parsed value may have: 10²⁰.
    pub const MAX_ABS: Fixed = Fixed(100_000_000_000_000_000_000 * SCALE);

    /// The integer `n` as a fixed-point value (saturating at ±[`Fixed::MAX_ABS`]).
    pub fn from_int(n: i64) -> Fixed {
        Fixed(i128::from(n).saturating_mul(SCALE)).clamp_abs()
    }

    /// The rational `num/den` rounded to the nearest unit (ties away from zero); `den > 0`.
    /// Returns `None` when `den == 0` or the result exceeds `i128`.
    pub fn from_ratio(num: i128, den: u128) -> Option<Fixed> {
        if den == 0 {
            return None;
        }
        let neg = num < 0;
        let q = mul_div_round(num.unsigned_abs(), SCALE_U, den)?;
        let q = i128::try_from(q).ok()?;
        Some(Fixed(if neg { -q } else { q }))
    }

    /// Parses a decimal number: optional sign, digits with an optional `.` fraction, an
    /// optional exponent (`e`/`E`, signed). Surrounding ASCII whitespace is ignored.
    ///
    /// Exact: a value not representable in 18 fractional digits is [`DriftError::Inexact`],
    /// one beyond 10²⁰ is [`DriftError::OutOfRange`], anything else malformed is
    /// [`DriftError::Parse`]. No float is involved.
    pub fn parse(s: &str) -> Result<Fixed, DriftError> {
        let t = s.trim_matches(|c: char| c.is_ascii_whitespace());
        let bad = || DriftError::Parse {
            text: t.chars().take(40).collect(),
        };
        let (neg, rest) = match t.as_bytes().first() {
            Some(b'-') => (true, &t[1..]),
            Some(b'+') => (false, &t[1..]),
            _ => (false, t),
        };
        let (mant, exp) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let (int, frac) = match mant.find('.') {
            Some(i) => (&mant[..i], &mant[i + 1..]),
            None => (mant, ""),
        };
        let digits_ok = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() && frac.is_empty() || !digits_ok(int) || !digits_ok(frac) {
            return Err(bad());
        }
        let exp: i64 = match exp {
            None => 0,
            Some(e) => {
                let body = e.strip_prefix(['+', '-']).unwrap_or(e);
                if body.is_empty() || body.len() > 6 || !digits_ok(body) {
                    return Err(bad());
                }
                e.parse().map_err(|_| bad())?
            }
        };
        // All significant digits, leading zeros dropped; the value is digits · 10^(shift−18).
        let all: String = int.chars().chain(frac.chars()).collect();
        let all = all.trim_start_matches('0');
        let frac_len = i64::try_from(frac.len()).map_err(|_| bad())?;
        let mut shift = exp - frac_len + 18;
        let mut digits = all;
        while shift < 0 && digits.ends_with('0') {
            digits = &digits[..digits.len() - 1];
            shift += 1;
        }
        if digits.is_empty() {
            return Ok(Fixed::ZERO);
        }
        if shift < 0 {
            return Err(DriftError::Inexact {
                text: t.chars().take(40).collect(),
            });
        }
        let range = || DriftError::OutOfRange {
            text: t.chars().take(40).collect(),
        };
        if digits.len() as i64 + shift > 39 {
            return Err(range());
        }
        let mut v: u128 = 0;
        for b in digits.bytes() {
            v = v
                .checked_mul(10)
                .and_then(|v| v.checked_add(u128::from(b - b'0')))
                .ok_or_else(range)?;
        }
        for _ in 0..shift {
            v = v.checked_mul(10).ok_or_else(range)?;
        }
        if v > Fixed::MAX_ABS.0.unsigned_abs() {
            return Err(range());
        }
        let v = i128::try_from(v).map_err(|_| range())?;
        Ok(Fixed(if neg { -v } else { v }))
    }

    /// `|self|` as units.
    pub fn unsigned_abs(self) -> u128 {
        self.0.unsigned_abs()
    }

    /// Saturating sum.
    pub fn saturating_add(self, o: Fixed) -> Fixed {
        Fixed(self.0.saturating_add(o.0))
    }

    /// Saturating difference.
    pub fn saturating_sub(self, o: Fixed) -> Fixed {
        Fixed(self.0.saturating_sub(o.0))
    }

    /// Product rounded to the nearest unit, saturating.
    pub fn mul_round(self, o: Fixed) -> Fixed {
        let neg = (self.0 < 0) != (o.0 < 0);
        let m = mul_div_round(self.unsigned_abs(), o.unsigned_abs(), SCALE_U)
            .and_then(|m| i128::try_from(m).ok())
            .unwrap_or(i128::MAX);
        Fixed(if neg { -m } else { m })
    }

    /// Quotient rounded to the nearest unit; `None` when `o` is zero or it overflows.
    pub fn div_round(self, o: Fixed) -> Option<Fixed> {
        if o.0 == 0 {
            return None;
        }
        let neg = (self.0 < 0) != (o.0 < 0);
        let q = mul_div_round(self.unsigned_abs(), SCALE_U, o.unsigned_abs())?;
        let q = i128::try_from(q).ok()?;
        Some(Fixed(if neg { -q } else { q }))
    }

    /// The floor of √self at 10⁻¹⁸ (exact); `None` for negative values.
    pub fn sqrt(self) -> Option<Fixed> {
        if self.0 < 0 {
            return None;
        }
        let x = U256::from(self.0.unsigned_abs()) * U256::from(SCALE_U);
        let r = isqrt(x);
        i128::try_from(u128::try_from(r).ok()?).ok().map(Fixed)
    }

    /// The natural logarithm (see the module docs for its error); `None` for x ≤ 0.
    pub fn ln(self) -> Option<Fixed> {
        if self.0 <= 0 {
            return None;
        }
        Some(ln_ratio(self.0.unsigned_abs(), SCALE_U))
    }

    fn clamp_abs(self) -> Fixed {
        Fixed(self.0.clamp(-Fixed::MAX_ABS.0, Fixed::MAX_ABS.0))
    }

    /// As a float, for tests and display only (never for a verdict).
    pub fn to_f64_lossy(self) -> f64 {
        // Display helper only: precision loss is the point.
        #[allow(clippy::cast_precision_loss)]
        let v = self.0 as f64 / 1e18;
        v
    }
}

/// Exact decimal: `-12.000000000000000345`, trailing zeros of the fraction dropped (at least one
/// fractional digit kept), so the text parses back to the same value.
impl fmt::Display for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.0.unsigned_abs();
        let int = a / SCALE_U;
        let frac = format!("{:018}", a % SCALE_U);
        let frac = frac.trim_end_matches('0');
        let sign = if self.0 < 0 { "-" } else { "" };
        let frac = if frac.is_empty() { "0" } else { frac };
        write!(f, "{sign}{int}.{frac}")
    }
}

/// `round(a·b/d)` in 256 bits (ties up); `None` when `d == 0` or the result exceeds `u128`.
pub(crate) fn mul_div_round(a: u128, b: u128, d: u128) -> Option<u128> {
    if d == 0 {
        return None;
    }
    let d = U256::from(d);
    let q = (U256::from(a) * U256::from(b) + (d >> 1usize)) / d;
    u128::try_from(q).ok()
}

/// floor(√x) by Newton's iteration from a power of two above the root.
fn isqrt(x: U256) -> U256 {
    if x.is_zero() {
        return x;
    }
    let mut r = U256::from(1u8) << (x.bit_len().div_ceil(2));
    loop {
        let next = (r + x / r) >> 1usize;
        if next >= r {
            return r;
        }
        r = next;
    }
}

fn bit_len(x: u128) -> i64 {
    i64::from(128 - x.leading_zeros())
}

/// ln(p/q) at 10⁻¹⁸ for positive integers (module docs: |error| ≤ 2·10⁻¹⁶). `p` or `q` zero
/// is treated as one (callers never pass it; the floor of PSI keeps proportions positive).
pub fn ln_ratio(p: u128, q: u128) -> Fixed {
    let (p, q) = (p.max(1), q.max(1));
    // k with 2^k ≤ p/q < 2^(k+1).
    let mut k = bit_len(p) - bit_len(q);
    let ge = |k: i64| -> bool {
        // p ≥ q·2^k ?
        let (pp, qq) = shifted(p, q, k);
        pp >= qq
    };
    if !ge(k) {
        k -= 1;
    }
    // y = p / (q·2^k) ∈ [1, 2) at 10⁻¹⁸ (floor).
    let (pp, qq) = shifted(p, q, k);
    let y = (pp * U256::from(SCALE_U)) / qq;
    let y = i128::try_from(u128::try_from(y).unwrap_or(2 * SCALE_U)).unwrap_or(2 * SCALE);
    let z = (y - SCALE) * SCALE / (y + SCALE);
    let z2 = z * z / SCALE;
    let mut term = z;
    let mut sum: i128 = 0;
    let mut j: i128 = 0;
    while term > 0 {
        sum += term / (2 * j + 1);
        term = term * z2 / SCALE;
        j += 1;
    }
    Fixed(2 * sum + i128::from(k) * LN2)
}

/// (p·2^-k, q) or (p, q·2^k) as 256-bit integers, whichever keeps both integral.
fn shifted(p: u128, q: u128, k: i64) -> (U256, U256) {
    let s = usize::try_from(k.unsigned_abs()).unwrap_or(255).min(255);
    if k >= 0 {
        (U256::from(p), U256::from(q) << s)
    } else {
        (U256::from(p) << s, U256::from(q))
    }
}

/// e⁻ˣ at 10⁻¹⁸ for x ≥ 0 (module docs: |error| ≤ 10⁻¹⁶); negative x is treated as 0.
pub fn exp_neg(x: Fixed) -> Fixed {
    let x = x.0.max(0);
    let k = x / LN2;
    if k >= 64 {
        return Fixed::ZERO;
    }
    let r = x - k * LN2;
    // e^-r = Σ (-r)^j / j!, r ∈ [0, ln 2).
    let mut term = SCALE;
    let mut sum = SCALE;
    let mut j: i128 = 1;
    while term != 0 {
        term = -(term * r / SCALE) / j;
        sum += term;
        j += 1;
    }
    let k = u32::try_from(k).unwrap_or(127);
    Fixed((sum >> k).max(0))
}

#[cfg(test)]
mod tests;
