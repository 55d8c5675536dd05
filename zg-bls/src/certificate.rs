//! Aggregate certificates: a signer bitmap and one aggregate signature, checked with one
//! pairing equation against an ordered list of `(key, weight)` members.

use crate::bitmap::SignerBitmap;
use crate::bls::Bls;
use crate::error::Error;
use crate::scheme::Scheme;

/// Signatures of several members over **one** message, as one aggregate signature and the
/// bitmap of who signed.
///
/// The members are an ordered list of `(public key, weight)` the verifier holds (an epoch's
/// validator set, a DA committee with seats as weights); bit `i` of [`signers`](Self::signers)
/// names member `i`. [`verify`](Self::verify) costs one aggregation of the signers' keys and
/// one pairing equation, `e(g1, σ) = e(Σ pk_i, H(m))`, whatever the number of signers.
///
/// What it proves, and what it does not:
/// * that the named signers **as a set** signed `message`: an aggregate equation holds for
///   the sum, not for each summand (`s_B + X` and `s_C − X` aggregate to a valid certificate
///   of `{B, C}` although neither part verifies alone). Anything later used on its own — one
///   member's signature shown as evidence, a receipt — must be verified on its own;
/// * nothing about *which* message a protocol meant: the message must name its domain (chain,
///   epoch, role, payload), and the verifier builds it from its own values;
/// * nothing against rogue keys by itself: every member key must have been admitted with a
///   checked proof of possession (zg-vrf's stake table does this), or a member could register
///   `pk_r = pk_attacker − pk_victim` and sign alone for both. The crate docs show the attack
///   and how the proof of possession stops it.
///
/// Wire form ([`encode`](Self::encode)): the bitmap's wire form then the signature's
/// (`2 + ⌈n/8⌉ + S::SIGNATURE_LEN` bytes; 207 bytes for 100 members with [`Bls`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AggregateCertificate<S: Scheme = Bls> {
    /// Who signed: bit `i` for member `i`.
    pub signers: SignerBitmap,
    /// The aggregate of the signers' signatures.
    pub signature: S::Signature,
}

/// The bitmap length for `count` members, or [`Error::TooManyMembers`].
pub(crate) fn member_count(count: usize) -> Result<u16, Error> {
    u16::try_from(count).map_err(|_| Error::TooManyMembers { members: count })
}

impl<S: Scheme> AggregateCertificate<S> {
    /// Bytes of the wire form for a set of `members` members.
    pub fn encoded_len(members: u16) -> usize {
        2 + usize::from(members).div_ceil(8) + S::SIGNATURE_LEN
    }

    /// The weight of the named signers in `members` (checked: the bitmap must cover exactly
    /// the members).
    ///
    /// # Errors
    /// [`Error::TooManyMembers`], [`Error::BitmapLength`].
    pub fn weight(&self, members: &[(S::PublicKey, u128)]) -> Result<u128, Error> {
        if member_count(members.len())? != self.signers.len() {
            return Err(Error::BitmapLength {
                bitmap: self.signers.len(),
                members: members.len(),
            });
        }
        Ok(self
            .signers
            .iter()
            .filter_map(|i| members.get(i.get()).map(|m| m.1))
            .fold(0u128, u128::saturating_add))
    }

    /// Verifies the certificate for `message` against `members` (keys admitted with a proof
    /// of possession, in the order the bitmap indexes): the bitmap covers exactly the members,
    /// names at least one, the named members hold at least `required_weight`, and the
    /// aggregate signature verifies — one pairing equation. Returns the signed weight.
    ///
    /// # Errors
    /// [`Error::TooManyMembers`], [`Error::BitmapLength`], [`Error::NoSigners`],
    /// [`Error::InsufficientWeight`], and the opaque [`Error::InvalidSignature`].
    pub fn verify(
        &self,
        members: &[(S::PublicKey, u128)],
        message: &[u8],
        required_weight: u128,
    ) -> Result<u128, Error> {
        let signed = self.weight(members)?;
        let key = S::aggregate_public_keys(
            self.signers
                .iter()
                .filter_map(|i| members.get(i.get()).map(|m| &m.0)),
        )
        .ok_or(Error::NoSigners)?;
        if signed < required_weight {
            return Err(Error::InsufficientWeight {
                signed,
                required: required_weight,
            });
        }
        if S::verify(&key, message, &self.signature) {
            Ok(signed)
        } else {
            Err(Error::InvalidSignature)
        }
    }

    /// Appends the wire form.
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.signers.encode(out);
        S::encode_signature(&self.signature, out);
    }

    /// The wire form as a new vector.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::encoded_len(self.signers.len()));
        self.encode(&mut out);
        out
    }

    /// Decodes the wire form from the front of `bytes`; returns the certificate and the bytes
    /// consumed. The signature is decoded with [`Scheme::decode_signature`] (cheap checks; the
    /// subgroup check happens when it is verified).
    ///
    /// # Errors
    /// [`Error::Malformed`] for a truncated or non-canonical bitmap or signature.
    pub fn decode(bytes: &[u8]) -> Result<(Self, usize), Error> {
        let (signers, used) =
            SignerBitmap::decode(bytes).ok_or(Error::Malformed("signer bitmap"))?;
        let end = used
            .checked_add(S::SIGNATURE_LEN)
            .ok_or(Error::Malformed("signature"))?;
        let sig = bytes
            .get(used..end)
            .and_then(S::decode_signature)
            .ok_or(Error::Malformed("signature"))?;
        Ok((
            AggregateCertificate {
                signers,
                signature: sig,
            },
            end,
        ))
    }

    /// Decodes exactly one certificate (no trailing bytes).
    ///
    /// # Errors
    /// As [`decode`](Self::decode), and [`Error::Malformed`] for trailing bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let (cert, used) = Self::decode(bytes)?;
        if used != bytes.len() {
            return Err(Error::Malformed("trailing bytes"));
        }
        Ok(cert)
    }
}
