//! Shared primitive types: hashes, time, epochs, node identifiers and token amounts.

use core::fmt;
use core::ops::{Add, Sub};
use core::str::FromStr;
use core::time::Duration;

use crate::Error;

/// A 32-byte hash (Keccak-256 output, Merkle node, 0G root).
///
/// Displays and parses as `0x`-prefixed lowercase hex; with the `serde` feature it serialises the
/// same way in human-readable formats and as 32 raw bytes otherwise.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct H256(pub [u8; 32]);

impl H256 {
    /// The all-zero hash (also leaf 0 of the 0G flow).
    pub const ZERO: H256 = H256([0u8; 32]);

    /// Wraps 32 bytes.
    pub const fn new(bytes: [u8; 32]) -> Self {
        H256(bytes)
    }

    /// Borrows the bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Returns the bytes.
    pub const fn to_bytes(self) -> [u8; 32] {
        self.0
    }

    /// Copies a 32-byte slice; any other length is [`Error::InvalidLength`].
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        let arr: [u8; 32] = bytes.try_into().map_err(|_| Error::InvalidLength {
            expected: 32,
            got: bytes.len(),
        })?;
        Ok(H256(arr))
    }

    /// Parses 64 hex digits, with or without a `0x` prefix.
    pub fn from_hex(s: &str) -> Result<Self, Error> {
        let digits = s.strip_prefix("0x").unwrap_or(s);
        let mut out = [0u8; 32];
        hex::decode_to_slice(digits, &mut out).map_err(|_| Error::InvalidHex)?;
        Ok(H256(out))
    }

    /// `0x`-prefixed lowercase hex.
    pub fn to_hex(&self) -> String {
        format!("0x{}", hex::encode(self.0))
    }

    /// The hash read as a big-endian 256-bit integer, reduced modulo `m` (`m > 0`).
    ///
    /// 0G reads hashes as big-endian `uint256` (recall offsets, subtask indices); this is the
    /// `uint256(h) % m` of Solidity for a 64-bit modulus. Returns `None` when `m == 0`.
    pub fn mod_u64(&self, m: u64) -> Option<u64> {
        if m == 0 {
            return None;
        }
        let m = u128::from(m);
        let mut rem: u128 = 0;
        for chunk in self.0.chunks_exact(8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            rem = ((rem << 64) | u128::from(u64::from_be_bytes(word))) % m;
        }
        // `rem < m <= u64::MAX`, so the conversion cannot fail.
        u64::try_from(rem).ok()
    }
}

impl fmt::Debug for H256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "H256({})", self.to_hex())
    }
}

impl fmt::Display for H256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::LowerHex for H256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            f.write_str("0x")?;
        }
        f.write_str(&hex::encode(self.0))
    }
}

impl FromStr for H256 {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        H256::from_hex(s)
    }
}

impl From<[u8; 32]> for H256 {
    fn from(bytes: [u8; 32]) -> Self {
        H256(bytes)
    }
}

impl From<H256> for [u8; 32] {
    fn from(h: H256) -> Self {
        h.0
    }
}

impl AsRef<[u8]> for H256 {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// A point in (simulated or real) time, in milliseconds since an origin the host chooses.
///
/// Libraries never read a clock: the host passes `now` into every state-machine call.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// The origin.
    pub const ZERO: Timestamp = Timestamp(0);
    /// The largest representable instant (used as "never").
    pub const MAX: Timestamp = Timestamp(u64::MAX);

    /// From milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        Timestamp(ms)
    }

    /// From whole seconds (saturating).
    pub const fn from_secs(s: u64) -> Self {
        Timestamp(s.saturating_mul(1000))
    }

    /// Milliseconds since the origin.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// Whole seconds since the origin.
    pub const fn as_secs(self) -> u64 {
        self.0 / 1000
    }

    /// `self + d`, saturating at [`Timestamp::MAX`].
    pub fn saturating_add(self, d: Duration) -> Self {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Timestamp(self.0.saturating_add(ms))
    }

    /// `self + ms` milliseconds, saturating.
    pub const fn plus_millis(self, ms: u64) -> Self {
        Timestamp(self.0.saturating_add(ms))
    }

    /// Time elapsed from `earlier` to `self`, zero if `earlier` is later.
    pub fn saturating_since(self, earlier: Timestamp) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

impl Add<Duration> for Timestamp {
    type Output = Timestamp;
    /// Saturating addition.
    fn add(self, d: Duration) -> Timestamp {
        self.saturating_add(d)
    }
}

impl Sub<Timestamp> for Timestamp {
    type Output = Duration;
    /// Saturating difference.
    fn sub(self, earlier: Timestamp) -> Duration {
        self.saturating_since(earlier)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}s", self.0 / 1000, self.0 % 1000)
    }
}

/// An epoch number (storage mining epochs, validator-set epochs, DA committee epochs).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct Epoch(pub u64);

impl Epoch {
    /// The next epoch, or `None` on overflow.
    pub const fn next(self) -> Option<Epoch> {
        match self.0.checked_add(1) {
            Some(e) => Some(Epoch(e)),
            None => None,
        }
    }
}

impl fmt::Display for Epoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "epoch {}", self.0)
    }
}

/// A network participant as the host addresses it (a peer index, not a key).
///
/// The host maps `NodeId`s to real addresses; protocols map them to keys where they need to.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct NodeId(pub u64);

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n{}", self.0)
    }
}

impl From<u64> for NodeId {
    fn from(v: u64) -> Self {
        NodeId(v)
    }
}

/// A token amount in the token's smallest unit (stake, balances, fees, rewards).
///
/// Arithmetic is checked only: there is no `+` or `-` operator, so an overflow or an underflow is
/// always a value the caller must handle ([`Error::AmountOverflow`] / [`Error::AmountUnderflow`]).
/// 128 bits hold 3.4e38 units: every 18-decimal token supply below 3.4e20 whole tokens.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
pub struct Amount(pub u128);

impl Amount {
    /// Zero.
    pub const ZERO: Amount = Amount(0);
    /// The largest amount.
    pub const MAX: Amount = Amount(u128::MAX);

    /// Wraps a raw value in smallest units.
    pub const fn new(units: u128) -> Self {
        Amount(units)
    }

    /// The raw value in smallest units.
    pub const fn units(self) -> u128 {
        self.0
    }

    /// Whether this is zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self + rhs`, or [`Error::AmountOverflow`].
    pub fn checked_add(self, rhs: Amount) -> Result<Amount, Error> {
        self.0
            .checked_add(rhs.0)
            .map(Amount)
            .ok_or(Error::AmountOverflow)
    }

    /// `self - rhs`, or [`Error::AmountUnderflow`] when `rhs > self`.
    pub fn checked_sub(self, rhs: Amount) -> Result<Amount, Error> {
        self.0
            .checked_sub(rhs.0)
            .map(Amount)
            .ok_or(Error::AmountUnderflow)
    }

    /// `self * k`, or [`Error::AmountOverflow`].
    pub fn checked_mul(self, k: u128) -> Result<Amount, Error> {
        self.0
            .checked_mul(k)
            .map(Amount)
            .ok_or(Error::AmountOverflow)
    }

    /// `self / k` rounded down, or [`Error::DivisionByZero`].
    pub fn checked_div(self, k: u128) -> Result<Amount, Error> {
        self.0
            .checked_div(k)
            .map(Amount)
            .ok_or(Error::DivisionByZero)
    }

    /// `self - rhs`, clamped at zero.
    pub const fn saturating_sub(self, rhs: Amount) -> Amount {
        Amount(self.0.saturating_sub(rhs.0))
    }

    /// The smaller of two amounts.
    pub fn min(self, rhs: Amount) -> Amount {
        Ord::min(self, rhs)
    }

    /// Sums amounts, or [`Error::AmountOverflow`].
    pub fn checked_sum<I: IntoIterator<Item = Amount>>(items: I) -> Result<Amount, Error> {
        items
            .into_iter()
            .try_fold(Amount::ZERO, |acc, a| acc.checked_add(a))
    }

    /// The amount as a 32-byte big-endian `uint256` (Solidity ABI word).
    pub fn to_be_word(self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out[16..].copy_from_slice(&self.0.to_be_bytes());
        out
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl From<u64> for Amount {
    fn from(v: u64) -> Self {
        Amount(u128::from(v))
    }
}

#[cfg(feature = "serde")]
mod serde_impls {
    use super::{Amount, H256};
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    impl Serialize for H256 {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            if s.is_human_readable() {
                s.serialize_str(&self.to_hex())
            } else {
                s.serialize_bytes(&self.0)
            }
        }
    }

    impl<'de> Deserialize<'de> for H256 {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            if d.is_human_readable() {
                let s = String::deserialize(d)?;
                H256::from_hex(&s).map_err(D::Error::custom)
            } else {
                let bytes = <Vec<u8>>::deserialize(d)?;
                H256::from_slice(&bytes).map_err(D::Error::custom)
            }
        }
    }

    /// Amounts are decimal strings in human-readable formats (JSON numbers lose precision past
    /// 2^53), and a `u128` otherwise.
    impl Serialize for Amount {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            if s.is_human_readable() {
                s.serialize_str(&self.0.to_string())
            } else {
                s.serialize_u128(self.0)
            }
        }
    }

    impl<'de> Deserialize<'de> for Amount {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            if d.is_human_readable() {
                let s = String::deserialize(d)?;
                s.parse::<u128>().map(Amount).map_err(D::Error::custom)
            } else {
                u128::deserialize(d).map(Amount)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn h256_hex_round_trip_and_rejects_bad_input() {
        let h =
            H256::from_hex("0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
                .unwrap();
        assert_eq!(
            h.to_string(),
            "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
        );
        assert_eq!(h, h.to_string().parse().unwrap());
        assert_eq!(H256::from_hex("0x12"), Err(Error::InvalidHex));
        assert_eq!(H256::from_hex(&"zz".repeat(32)), Err(Error::InvalidHex));
        assert_eq!(
            H256::from_slice(&[0u8; 31]),
            Err(Error::InvalidLength {
                expected: 32,
                got: 31
            })
        );
    }

    #[test]
    fn h256_mod_matches_u128_arithmetic() {
        let mut b = [0u8; 32];
        b[16..].copy_from_slice(&0x0123_4567_89ab_cdef_fedc_ba98_7654_3210u128.to_be_bytes());
        let h = H256(b);
        for m in [1u64, 2, 7, 1024, 16, u64::MAX, 1_000_000_007] {
            assert_eq!(
                h.mod_u64(m),
                Some((0x0123_4567_89ab_cdef_fedc_ba98_7654_3210u128 % u128::from(m)) as u64)
            );
        }
        assert_eq!(h.mod_u64(0), None);
        // 2^255 mod 3 == 2 (2^odd = 2 mod 3).
        let mut top = [0u8; 32];
        top[0] = 0x80;
        assert_eq!(H256(top).mod_u64(3), Some(2));
    }

    #[test]
    fn amounts_never_wrap() {
        let a = Amount::new(5);
        assert_eq!(a.checked_add(Amount::new(7)), Ok(Amount::new(12)));
        assert_eq!(a.checked_sub(Amount::new(6)), Err(Error::AmountUnderflow));
        assert_eq!(
            Amount::MAX.checked_add(Amount::new(1)),
            Err(Error::AmountOverflow)
        );
        assert_eq!(Amount::MAX.checked_mul(2), Err(Error::AmountOverflow));
        assert_eq!(a.checked_div(0), Err(Error::DivisionByZero));
        assert_eq!(a.saturating_sub(Amount::new(9)), Amount::ZERO);
        assert_eq!(
            Amount::checked_sum([Amount::MAX, Amount::new(1)]),
            Err(Error::AmountOverflow)
        );
        assert_eq!(Amount::new(258).to_be_word()[30..], [1, 2]);
    }

    #[test]
    fn timestamps_saturate() {
        let t = Timestamp::from_secs(3);
        assert_eq!(t.as_millis(), 3000);
        assert_eq!(t + Duration::from_millis(5), Timestamp(3005));
        assert_eq!(Timestamp::MAX + Duration::from_secs(1), Timestamp::MAX);
        assert_eq!(Timestamp(1) - Timestamp(5), Duration::ZERO);
        assert_eq!(t.to_string(), "3.000s");
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_forms() {
        let h = H256([0xab; 32]);
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, format!("\"0x{}\"", "ab".repeat(32)));
        assert_eq!(serde_json::from_str::<H256>(&json).unwrap(), h);
        let a = Amount::new(u128::MAX);
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, format!("\"{}\"", u128::MAX));
        assert_eq!(serde_json::from_str::<Amount>(&json).unwrap(), a);
        assert!(serde_json::from_str::<Amount>("\"-1\"").is_err());
    }
}
