//! Ethereum primitives the serving contract speaks: 20-byte addresses (EIP-55), 256-bit words,
//! secp256k1 keys, 65-byte `r ‖ s ‖ v` signatures, `ecrecover` and EIP-191 personal-sign hashes.
//!
//! Signing and recovery use the [`k256`] crate. Signing is RFC 6979 deterministic with SHA-256
//! and low-s normalised, the same bytes `eth-account`/libsecp256k1 produce for the same key and
//! digest. Recovery follows the EVM's `ecrecover` precompile (Yellow Paper appendix E): `v` is
//! 27 or 28, `r` and `s` are in `[1, n)`, a failure yields no address.

use core::fmt;
use core::str::FromStr;

use k256::ecdsa::{RecoveryId, Signature, SigningKey, VerifyingKey};
use zeroize::Zeroize;
use zg_core::{H256, keccak256, keccak256_parts};

use crate::Error;

/// A 20-byte Ethereum address: the last 20 bytes of `keccak256(x ‖ y)` of the public key
/// (Yellow Paper eq. 284).
///
/// Displays as EIP-55 mixed-case checksum hex; parses lower-case, upper-case or correctly
/// checksummed hex, with or without `0x`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Address(pub [u8; 20]);

impl Address {
    /// The zero address (an unset signer in the contract).
    pub const ZERO: Address = Address([0u8; 20]);

    /// Whether this is the zero address.
    pub fn is_zero(&self) -> bool {
        self.0 == [0u8; 20]
    }

    /// The address of a public key: `keccak256(x ‖ y)[12..]`.
    pub fn from_public_key(key: &VerifyingKey) -> Address {
        let point = key.to_sec1_point(false);
        // An uncompressed SEC1 point is 0x04 ‖ x ‖ y (65 bytes).
        let bytes = point.as_bytes();
        let hash = keccak256(bytes.get(1..).unwrap_or_default());
        let mut out = [0u8; 20];
        out.copy_from_slice(&hash.0[12..]);
        Address(out)
    }

    /// Copies a 20-byte slice.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        let arr: [u8; 20] = bytes.try_into().map_err(|_| Error::InvalidLength {
            what: "address",
            expected: 20,
            got: bytes.len(),
        })?;
        Ok(Address(arr))
    }

    /// Parses hex; mixed-case input must carry a valid EIP-55 checksum.
    pub fn from_hex(s: &str) -> Result<Self, Error> {
        let digits = s.strip_prefix("0x").unwrap_or(s);
        let mut out = [0u8; 20];
        hex::decode_to_slice(digits, &mut out)
            .map_err(|_| Error::InvalidHex { what: "address" })?;
        let address = Address(out);
        let has_lower = digits.bytes().any(|c| c.is_ascii_lowercase());
        let has_upper = digits.bytes().any(|c| c.is_ascii_uppercase());
        if has_lower && has_upper && address.to_checksum()[2..] != *digits {
            return Err(Error::BadChecksum);
        }
        Ok(address)
    }

    /// EIP-55 checksum encoding: hex digit `i` is upper-case when nibble `i` of
    /// `keccak256(lowercase hex)` is ≥ 8.
    pub fn to_checksum(&self) -> String {
        let lower = hex::encode(self.0);
        let hash = keccak256(lower.as_bytes());
        let mut out = String::with_capacity(42);
        out.push_str("0x");
        for (i, c) in lower.chars().enumerate() {
            let byte = hash.0[i / 2];
            let nibble = if i % 2 == 0 { byte >> 4 } else { byte & 0x0f };
            if nibble >= 8 {
                out.push(c.to_ascii_uppercase());
            } else {
                out.push(c);
            }
        }
        out
    }

    /// The address as a left-padded 32-byte ABI word.
    pub fn to_word(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out[12..].copy_from_slice(&self.0);
        out
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({})", self.to_checksum())
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_checksum())
    }
}

impl FromStr for Address {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Address::from_hex(s)
    }
}

/// An unsigned 256-bit integer as a big-endian word (Solidity `uint256`), for nonces and chain ids.
///
/// Ordering is numeric (big-endian byte order compares as the number does). Token amounts use
/// [`zg_core::Amount`] instead, which has checked arithmetic.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct U256(pub [u8; 32]);

impl U256 {
    /// Zero.
    pub const ZERO: U256 = U256([0u8; 32]);
    /// The largest value, 2^256 − 1.
    pub const MAX: U256 = U256([0xff; 32]);

    /// The value if it fits in 128 bits.
    pub fn to_u128(&self) -> Option<u128> {
        if self.0[..16].iter().any(|b| *b != 0) {
            return None;
        }
        let mut low = [0u8; 16];
        low.copy_from_slice(&self.0[16..]);
        Some(u128::from_be_bytes(low))
    }

    /// `self + 1`, or `None` at [`U256::MAX`].
    pub fn checked_increment(&self) -> Option<U256> {
        let mut out = self.0;
        for byte in out.iter_mut().rev() {
            let (v, carry) = byte.overflowing_add(1);
            *byte = v;
            if !carry {
                return Some(U256(out));
            }
        }
        None
    }

    /// Parses a decimal string (no sign, no separators), or `0x`-prefixed hex.
    pub fn from_dec_or_hex(s: &str) -> Result<Self, Error> {
        if let Some(digits) = s.strip_prefix("0x") {
            if digits.is_empty() || digits.len() > 64 {
                return Err(Error::InvalidHex { what: "uint256" });
            }
            let padded = format!("{digits:0>64}");
            let mut out = [0u8; 32];
            hex::decode_to_slice(padded, &mut out)
                .map_err(|_| Error::InvalidHex { what: "uint256" })?;
            return Ok(U256(out));
        }
        if s.is_empty() {
            return Err(Error::InvalidNumber);
        }
        let mut out = [0u8; 32];
        for c in s.bytes() {
            let digit = match c {
                b'0'..=b'9' => c - b'0',
                _ => return Err(Error::InvalidNumber),
            };
            // out = out * 10 + digit, checking the carry out of the top byte.
            let mut carry = u16::from(digit);
            for byte in out.iter_mut().rev() {
                let v = u16::from(*byte) * 10 + carry;
                *byte = v.to_le_bytes()[0];
                carry = v >> 8;
            }
            if carry != 0 {
                return Err(Error::InvalidNumber);
            }
        }
        Ok(U256(out))
    }

    /// Decimal representation.
    pub fn to_dec_string(&self) -> String {
        let mut digits = Vec::new();
        let mut n = self.0;
        loop {
            // n, r = divmod(n, 10)
            let mut rem = 0u16;
            let mut all_zero = true;
            for byte in n.iter_mut() {
                let v = (rem << 8) | u16::from(*byte);
                // v < 2560, so v / 10 fits a byte.
                *byte = (v / 10).to_le_bytes()[0];
                rem = v % 10;
                all_zero &= *byte == 0;
            }
            digits.push(b'0' + rem.to_le_bytes()[0]);
            if all_zero {
                break;
            }
        }
        digits.reverse();
        String::from_utf8(digits).unwrap_or_default()
    }
}

impl From<u64> for U256 {
    fn from(v: u64) -> Self {
        U256::from(u128::from(v))
    }
}

impl From<u128> for U256 {
    fn from(v: u128) -> Self {
        let mut out = [0u8; 32];
        out[16..].copy_from_slice(&v.to_be_bytes());
        U256(out)
    }
}

impl fmt::Debug for U256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "U256({})", self.to_dec_string())
    }
}

impl fmt::Display for U256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_dec_string())
    }
}

/// A 65-byte Ethereum signature `r ‖ s ‖ v` with `v ∈ {27, 28}` as wallets produce it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct EthSignature(pub [u8; 65]);

impl EthSignature {
    /// The `r` component.
    pub fn r(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(&self.0[..32]);
        out
    }

    /// The `s` component.
    pub fn s(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(&self.0[32..64]);
        out
    }

    /// The recovery byte `v`.
    pub fn v(&self) -> u8 {
        self.0[64]
    }

    /// Parses 65 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        let arr: [u8; 65] = bytes.try_into().map_err(|_| Error::InvalidLength {
            what: "signature",
            expected: 65,
            got: bytes.len(),
        })?;
        Ok(EthSignature(arr))
    }

    /// Parses 130 hex digits, with or without `0x`.
    pub fn from_hex(s: &str) -> Result<Self, Error> {
        let digits = s.strip_prefix("0x").unwrap_or(s);
        let mut out = [0u8; 65];
        hex::decode_to_slice(digits, &mut out)
            .map_err(|_| Error::InvalidHex { what: "signature" })?;
        Ok(EthSignature(out))
    }

    /// `0x`-prefixed lower-case hex.
    pub fn to_hex(&self) -> String {
        format!("0x{}", hex::encode(self.0))
    }
}

impl fmt::Debug for EthSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EthSignature({})", self.to_hex())
    }
}

/// `⌊n / 2⌋` for the secp256k1 group order `n`: OpenZeppelin `ECDSA.tryRecover` rejects any
/// `s` above it (EIP-2 malleability rule).
pub const SECP256K1_HALF_ORDER: [u8; 32] = [
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
];

/// How a contract turns signature bytes into a signer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecoverRule {
    /// OpenZeppelin `ECDSA.tryRecover(hash, bytes)` (the v1.0 EIP-712 settlement path): exactly
    /// 65 bytes, `s ≤ n/2`, `v ∈ {27, 28}`.
    OpenZeppelin,
    /// The earlier contracts' inline `ecrecover`: exactly 65 bytes, `v < 27` is shifted by 27,
    /// any `s` in `[1, n)` (high-s signatures recover too).
    LegacyEcrecover,
}

/// The EVM `ecrecover` precompile: the signer of `hash`, or `None` where the precompile returns
/// nothing (`v ∉ {27, 28}`, `r` or `s` outside `[1, n)`, no curve point for `r`).
pub fn ecrecover(hash: &H256, v: u8, r: &[u8; 32], s: &[u8; 32]) -> Option<Address> {
    let recovery_id = match v {
        27 => RecoveryId::new(false, false),
        28 => RecoveryId::new(true, false),
        _ => return None,
    };
    let signature = Signature::from_scalars(*r, *s).ok()?;
    let key = VerifyingKey::recover_from_prehash(&hash.0, &signature, recovery_id).ok()?;
    Some(Address::from_public_key(&key))
}

/// Recovers the signer of `hash` from signature bytes under a contract's `rule`; `None` means
/// the contract would treat the signature as invalid.
pub fn recover(hash: &H256, signature: &[u8], rule: RecoverRule) -> Option<Address> {
    let bytes: &[u8; 65] = signature.try_into().ok()?;
    let mut r = [0u8; 32];
    let mut s = [0u8; 32];
    r.copy_from_slice(&bytes[..32]);
    s.copy_from_slice(&bytes[32..64]);
    let mut v = bytes[64];
    match rule {
        RecoverRule::OpenZeppelin => {
            if s > SECP256K1_HALF_ORDER {
                return None;
            }
        }
        RecoverRule::LegacyEcrecover => {
            if v < 27 {
                v += 27;
            }
        }
    }
    ecrecover(hash, v, &r, &s)
}

/// EIP-191 version `0x45` ("personal_sign") hash of a message:
/// `keccak256("\x19Ethereum Signed Message:\n" ‖ len(message) ‖ message)`.
pub fn eth_signed_message_hash(message: &[u8]) -> H256 {
    let len = message.len().to_string();
    keccak256_parts(&[b"\x19Ethereum Signed Message:\n", len.as_bytes(), message])
}

/// A secp256k1 secret key. The key material is zeroised on drop (k256's `SigningKey` wipes its
/// scalar), and [`SecretKey::from_bytes`] wipes nothing it did not copy.
pub struct SecretKey {
    key: SigningKey,
    address: Address,
}

impl SecretKey {
    /// A key from its 32-byte big-endian scalar; rejects zero and values ≥ n.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, Error> {
        let key = SigningKey::from_slice(bytes).map_err(|_| Error::InvalidKey)?;
        let address = Address::from_public_key(key.verifying_key());
        Ok(SecretKey { key, address })
    }

    /// Parses 64 hex digits, with or without `0x`; the decoded copy is wiped.
    pub fn from_hex(s: &str) -> Result<Self, Error> {
        let digits = s.strip_prefix("0x").unwrap_or(s);
        let mut bytes = [0u8; 32];
        let parsed = hex::decode_to_slice(digits, &mut bytes)
            .map_err(|_| Error::InvalidHex { what: "secret key" })
            .and_then(|()| SecretKey::from_bytes(&bytes));
        bytes.zeroize();
        parsed
    }

    /// A key derived from a seed (`keccak256(seed)`, re-hashed until it is a valid scalar): for
    /// tests and simulations, never for real funds.
    pub fn from_seed(seed: &[u8]) -> SecretKey {
        let mut h = keccak256(seed);
        loop {
            if let Ok(key) = SecretKey::from_bytes(&h.0) {
                h.0.zeroize();
                return key;
            }
            h = keccak256(&h.0);
        }
    }

    /// The address of this key.
    pub fn address(&self) -> Address {
        self.address
    }

    /// Signs a 32-byte digest: RFC 6979 deterministic, low-s, `v = 27 + y-parity`.
    pub fn sign_prehash(&self, digest: &H256) -> Result<EthSignature, Error> {
        let (signature, recovery_id) = self.key.sign_prehash_recoverable(&digest.0);
        // An x-coordinate ≥ n (probability ~2^-127) has no Ethereum `v`; report it instead.
        if recovery_id.is_x_reduced() {
            return Err(Error::SigningFailed);
        }
        let mut out = [0u8; 65];
        out[..64].copy_from_slice(&signature.to_bytes());
        out[64] = 27 + u8::from(recovery_id.is_y_odd());
        Ok(EthSignature(out))
    }

    /// Signs a message the way `personal_sign` / ethers `signMessage` does (EIP-191 `0x45`).
    pub fn sign_message(&self, message: &[u8]) -> Result<EthSignature, Error> {
        self.sign_prehash(&eth_signed_message_hash(message))
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({}, <secret>)", self.address)
    }
}

impl Clone for SecretKey {
    fn clone(&self) -> Self {
        SecretKey {
            key: self.key.clone(),
            address: self.address,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_key_address() {
        // The private key 1: address of the generator point, a widely published value.
        let mut one = [0u8; 32];
        one[31] = 1;
        let key = SecretKey::from_bytes(&one).unwrap();
        assert_eq!(
            key.address().to_checksum(),
            "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"
        );
        assert!(SecretKey::from_bytes(&[0u8; 32]).is_err());
        assert!(SecretKey::from_bytes(&[0xff; 32]).is_err());
    }

    #[test]
    fn eip55_examples_round_trip() {
        // EIP-55's own examples.
        for s in [
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
            "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        ] {
            let a = Address::from_hex(s).unwrap();
            assert_eq!(a.to_checksum(), s);
            assert_eq!(Address::from_hex(&s.to_lowercase()).unwrap(), a);
        }
        // One flipped letter case breaks the checksum.
        assert_eq!(
            Address::from_hex("0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
            Err(Error::BadChecksum)
        );
        assert!(Address::from_hex("0x1234").is_err());
    }

    #[test]
    fn u256_decimal_and_hex() {
        assert_eq!(U256::from(0u64).to_dec_string(), "0");
        assert_eq!(U256::from(1234567u64).to_dec_string(), "1234567");
        let max = U256::MAX.to_dec_string();
        assert_eq!(
            max,
            "115792089237316195423570985008687907853269984665640564039457584007913129639935"
        );
        assert_eq!(U256::from_dec_or_hex(&max).unwrap(), U256::MAX);
        assert!(
            U256::from_dec_or_hex(
                "115792089237316195423570985008687907853269984665640564039457584007913129639936"
            )
            .is_err()
        );
        assert_eq!(U256::from_dec_or_hex("0x10").unwrap(), U256::from(16u64));
        assert!(U256::from_dec_or_hex("").is_err());
        assert!(U256::from_dec_or_hex("-1").is_err());
        assert_eq!(U256::MAX.checked_increment(), None);
        assert_eq!(
            U256::from(255u64).checked_increment(),
            Some(U256::from(256u64))
        );
        assert!(U256::from(2u64) > U256::from(1u64));
        assert_eq!(U256::from(u128::MAX).to_u128(), Some(u128::MAX));
        assert_eq!(U256::MAX.to_u128(), None);
    }

    #[test]
    fn sign_recover_round_trip_and_malleability() {
        let key = SecretKey::from_seed(b"alice");
        let digest = keccak256(b"hello");
        let sig = key.sign_prehash(&digest).unwrap();
        assert!(sig.s() <= SECP256K1_HALF_ORDER, "signing is low-s");
        assert_eq!(
            recover(&digest, &sig.0, RecoverRule::OpenZeppelin),
            Some(key.address())
        );
        assert_eq!(
            recover(&digest, &sig.0, RecoverRule::LegacyEcrecover),
            Some(key.address())
        );
        // v as 0/1: legacy shifts it, OpenZeppelin rejects it.
        let mut v01 = sig.0;
        v01[64] -= 27;
        assert_eq!(
            recover(&digest, &v01, RecoverRule::LegacyEcrecover),
            Some(key.address())
        );
        assert_eq!(recover(&digest, &v01, RecoverRule::OpenZeppelin), None);
        // The high-s twin (n − s, flipped v) recovers the same key under ecrecover, and is
        // rejected by the OpenZeppelin rule.
        let high = malleate(&sig);
        assert!(high.s() > SECP256K1_HALF_ORDER);
        assert_eq!(
            recover(&digest, &high.0, RecoverRule::LegacyEcrecover),
            Some(key.address())
        );
        assert_eq!(recover(&digest, &high.0, RecoverRule::OpenZeppelin), None);
        // Wrong lengths, zero r, bad v.
        assert_eq!(
            recover(&digest, &sig.0[..64], RecoverRule::LegacyEcrecover),
            None
        );
        let mut zero_r = sig.0;
        zero_r[..32].fill(0);
        assert_eq!(
            recover(&digest, &zero_r, RecoverRule::LegacyEcrecover),
            None
        );
        assert_eq!(ecrecover(&digest, 29, &sig.r(), &sig.s()), None);
        // A different digest recovers someone else.
        assert_ne!(
            recover(&keccak256(b"other"), &sig.0, RecoverRule::OpenZeppelin),
            Some(key.address())
        );
    }

    /// `(r, n − s, v ^ 1)`: the other valid signature of the same digest.
    pub(crate) fn malleate(sig: &EthSignature) -> EthSignature {
        const N: [u8; 32] = [
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c,
            0xd0, 0x36, 0x41, 0x41,
        ];
        let s = sig.s();
        let mut out = [0u8; 32];
        let mut borrow = 0i16;
        for i in (0..32).rev() {
            let mut d = i16::from(N[i]) - i16::from(s[i]) - borrow;
            borrow = 0;
            if d < 0 {
                d += 256;
                borrow = 1;
            }
            out[i] = d as u8;
        }
        let mut bytes = sig.0;
        bytes[32..64].copy_from_slice(&out);
        bytes[64] = if sig.v() == 27 { 28 } else { 27 };
        EthSignature(bytes)
    }
}
