//! Licences (ERC-721 records with a one-year lock and an operator delegation) and the
//! alignment node's signed daily check-in.
//!
//! An operator key is an Ethereum key (secp256k1, the [`k256`] crate): the licence contract
//! stores the operator's 20-byte [`Address`], as ERC-721 stores owners and approvals, and the
//! contract verifies a check-in the way a contract can — `ecrecover` of a Keccak-256 digest,
//! low-s only (EIP-2), compared with the delegated address.

use core::fmt;

use k256::ecdsa::{RecoveryId, Signature, SigningKey, VerifyingKey};
use zg_core::{H256, Timestamp, keccak256, keccak256_parts};

use super::{Address, EconomyError, LicenceId};

/// The domain tag every check-in digest starts with.
pub const CHECK_IN_TAG: &[u8] = b"zg-alignment/check-in/v1";

/// `⌊n / 2⌋` of the secp256k1 group order: a signature with a larger `s` is refused (EIP-2).
const HALF_ORDER: [u8; 32] = [
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
];

/// One licence: an ERC-721 token with its sale data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Licence {
    /// `ownerOf`.
    pub owner: Address,
    /// `getApproved` (cleared on transfer).
    pub approved: Option<Address>,
    /// The tier it was sold from (0-based index into the tier table).
    pub tier: usize,
    /// When it was bought; a transfer needs `now ≥ purchased_at + 365 days`.
    pub purchased_at: Timestamp,
    /// The operator key's address that may check in for it (cleared on transfer).
    pub operator: Option<Address>,
}

/// An alignment node's claim to be the node running `licence` during `epoch` (reward day).
///
/// Every field names the domain the verifier compares with its own: the chain and licence
/// contract, the licence and the epoch. `node` identifies the running instance (for example
/// the hash of its network key); two valid check-ins for one licence and epoch with different
/// `node`s are two nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CheckIn {
    /// The chain id of the licence contract.
    pub chain_id: u64,
    /// The licence contract.
    pub contract: Address,
    /// The licence.
    pub licence: LicenceId,
    /// The epoch (reward day, 1-based).
    pub epoch: u64,
    /// The running node instance.
    pub node: H256,
}

impl CheckIn {
    /// `keccak256(CHECK_IN_TAG ‖ chain_id ‖ contract ‖ licence ‖ epoch ‖ node)`, integers as
    /// 8-byte big-endian.
    pub fn digest(&self) -> H256 {
        keccak256_parts(&[
            CHECK_IN_TAG,
            &self.chain_id.to_be_bytes(),
            &self.contract.0,
            &self.licence.to_be_bytes(),
            &self.epoch.to_be_bytes(),
            &self.node.0,
        ])
    }
}

/// A check-in with its operator's signature `r ‖ s ‖ v` (`v` ∈ {27, 28}).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignedCheckIn {
    /// The message.
    pub check_in: CheckIn,
    /// The signature over [`CheckIn::digest`].
    pub signature: [u8; 65],
}

impl fmt::Debug for SignedCheckIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedCheckIn")
            .field("check_in", &self.check_in)
            .field("signature", &hex::encode(self.signature))
            .finish()
    }
}

impl SignedCheckIn {
    /// The signer's address, or `None` for a malformed or high-s signature.
    pub fn signer(&self) -> Option<Address> {
        recover(&self.check_in.digest(), &self.signature)
    }
}

/// `ecrecover` with OpenZeppelin's rules: `v ∈ {27, 28}`, `s ≤ n/2`, `r, s ∈ [1, n)`.
pub fn recover(digest: &H256, signature: &[u8; 65]) -> Option<Address> {
    let mut r = [0u8; 32];
    let mut s = [0u8; 32];
    r.copy_from_slice(&signature[..32]);
    s.copy_from_slice(&signature[32..64]);
    if s > HALF_ORDER {
        return None;
    }
    let id = match signature[64] {
        27 => RecoveryId::new(false, false),
        28 => RecoveryId::new(true, false),
        _ => return None,
    };
    let sig = Signature::from_scalars(r, s).ok()?;
    let key = VerifyingKey::recover_from_prehash(&digest.0, &sig, id).ok()?;
    Some(address_of(&key))
}

fn address_of(key: &VerifyingKey) -> Address {
    // An uncompressed SEC1 point is 0x04 ‖ x ‖ y; the address is keccak256(x ‖ y)[12..].
    let point = key.to_sec1_point(false);
    let hash = keccak256(point.as_bytes().get(1..).unwrap_or_default());
    let mut a = [0u8; 20];
    a.copy_from_slice(&hash.0[12..]);
    Address(a)
}

/// An operator's secp256k1 secret key (zeroised on drop by `k256`).
pub struct OperatorKey {
    key: SigningKey,
    address: Address,
}

impl fmt::Debug for OperatorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OperatorKey({})", self.address)
    }
}

impl OperatorKey {
    /// A key from its 32-byte big-endian scalar; refuses zero and values ≥ n.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<OperatorKey, EconomyError> {
        let key = SigningKey::from_slice(bytes).map_err(|_| EconomyError::InvalidSignature)?;
        let address = address_of(key.verifying_key());
        Ok(OperatorKey { key, address })
    }

    /// A key derived from a seed (`keccak256(seed)`, re-hashed until valid): for tests and
    /// simulations only.
    pub fn from_seed(seed: &[u8]) -> OperatorKey {
        let mut h = keccak256(seed);
        loop {
            if let Ok(k) = OperatorKey::from_bytes(&h.0) {
                return k;
            }
            h = keccak256(&h.0);
        }
    }

    /// The key's address (what a licence is delegated to).
    pub fn address(&self) -> Address {
        self.address
    }

    /// Signs a check-in: RFC 6979 deterministic, low-s, `v = 27 + y-parity`.
    pub fn sign(&self, check_in: CheckIn) -> Result<SignedCheckIn, EconomyError> {
        let (sig, id) = self.key.sign_prehash_recoverable(&check_in.digest().0);
        // An x-coordinate ≥ n (probability ~2^-127) has no Ethereum `v`.
        if id.is_x_reduced() {
            return Err(EconomyError::InvalidSignature);
        }
        let mut signature = [0u8; 65];
        signature[..64].copy_from_slice(&sig.to_bytes());
        signature[64] = 27 + u8::from(id.is_y_odd());
        Ok(SignedCheckIn {
            check_in,
            signature,
        })
    }
}
