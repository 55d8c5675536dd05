//! The DA committee of an epoch with its BLS keys, and the quorum [`Certificate`] (issue 12,
//! item 5): the publishing lane's output, checked with one pairing equation.
//!
//! # Committee
//!
//! [`DaCommittee::assemble`] checks the members' zg-vrf eligibility claims against the
//! workspace's one stake table and the epoch seed ([`zg_vrf::assemble_committee`], role
//! [`DA_SIGNER_ROLE`]), derives custody ([`Custody::for_committee`]) and takes each member's BLS
//! key from its registration in the table (admitted with a checked proof of possession). Members are indexed in ascending node order; bit
//! `i` of a certificate's bitmap names member `i`, and each member weighs its seats.
//!
//! # Quorum
//!
//! A certificate counts when its signers hold at least `⌈2N/3⌉` of the committee's `N` seats
//! *and* every column is held by at least `k` distinct signers (`k` is the committee's
//! [`DaCommittee::coverage`]; [`DaCommittee::assemble`] refuses a `k` some column can never
//! reach). With fewer than `N/3` Byzantine seats, a quorum always contains a majority of honest
//! seats; `k` makes every column's data held by some signer that attested to storing it.
//!
//! # Encoding
//!
//! ```text
//! 0x01 || u64_be(epoch) || committee_ref (32) || payload_id (32)
//!      || u16_be(n) || bitmap (⌈n/8⌉) || aggregate signature (192, uncompressed G2)
//! ```
//!
//! [`Certificate::encoded_len`]`(n) = 267 + ⌈n/8⌉` bytes (280 bytes for 100 members). The
//! certificate hash ([`Certificate::hash`], keccak256 of the encoding) is what a consensus
//! partition orders.
//!
//! # Verification
//!
//! [`Certificate::verify`]`(committee, payload_id)` compares every field with the verifier's
//! own values — epoch, committee reference, payload id (a certificate of another payload is a
//! [`CertificateError::WrongPayload`], and its signature would not verify on ours either) —
//! then the bitmap length, the seats, the coverage, and last one pairing equation
//! (`e(g1, σ) = e(Σ pk_i, H(m))` over the signers' aggregate key).

use zg_bls::{AggregateCertificate, Bls, BlsPublicKey, BlsSignature, SignerBitmap, ValidatorIndex};
use zg_core::{Epoch, H256, NodeId, keccak256};
use zg_vrf::{EligibilityClaim, Selection, StakeTable, assemble_committee};

use crate::Error;
use crate::custody::{Custody, DA_SIGNER_ROLE};
use crate::payload::COLUMNS;
use crate::signer::attestation_message;

/// A committee member as certificates index it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DaMember {
    /// The member's node.
    pub node: NodeId,
    /// Its seats (its weight).
    pub seats: u64,
    /// Its BLS key (admitted with a proof of possession).
    pub key: BlsPublicKey,
}

/// An epoch's DA committee: custody, members with keys, and the quorum rule.
#[derive(Clone, Debug)]
pub struct DaCommittee {
    epoch: Epoch,
    custody: Custody,
    members: Vec<DaMember>,
    coverage: u16,
    reference: H256,
}

impl DaCommittee {
    /// Assembles the committee from published eligibility claims: each claim is checked
    /// against the workspace's one stake table and `selection` (zg-vrf, one batch); each
    /// member's BLS key is the one it registered in the table (where its proof of possession
    /// was checked); custody uses replication `r`, and certificates need every column held by
    /// `k` distinct signers. Invalid claims are left out (the committee does not depend on
    /// them or their order).
    ///
    /// # Errors
    /// [`Error::InvalidParameters`] if the selection is not for [`DA_SIGNER_ROLE`] or for
    /// another epoch than the table's, `k` is 0 or some column has fewer than `k` distinct
    /// holders; those of [`Custody::assign`]; zg-vrf errors for invalid selection parameters.
    pub fn assemble(
        table: &StakeTable,
        selection: &Selection,
        claims: &[EligibilityClaim],
        r: u16,
        k: u16,
    ) -> Result<Self, Error> {
        if selection.role != DA_SIGNER_ROLE {
            return Err(Error::InvalidParameters {
                reason: "the DA committee is selected for the da-signer role",
            });
        }
        if selection.epoch != table.epoch() {
            return Err(Error::InvalidParameters {
                reason: "the selection is for another epoch than the stake table",
            });
        }
        // The batch weights only affect which invalid claims are found, never the committee.
        let batch_seed = keccak256(&[selection.seed.as_bytes().as_slice(), b"da-claims"].concat());
        let (committee, _rejected) =
            assemble_committee(table, selection, claims, batch_seed.as_bytes())?;
        let custody = Custody::for_committee(&committee, r)?;
        let keys = committee.bls_members(table)?;
        let members = committee
            .members
            .iter()
            .zip(keys)
            .map(|(m, (key, _))| DaMember {
                node: m.node,
                seats: m.seats,
                key,
            })
            .collect();
        DaCommittee::new(selection.epoch, custody, members, k)
    }

    /// A committee from its parts: `members` (any order; sorted by node here) must be exactly
    /// the custody's members with the same seats.
    ///
    /// # Errors
    /// [`Error::InvalidParameters`] if the members disagree with the custody, `k` is 0 or some
    /// column has fewer than `k` distinct holders, or there are more than `u16::MAX` members.
    pub fn new(
        epoch: Epoch,
        custody: Custody,
        mut members: Vec<DaMember>,
        k: u16,
    ) -> Result<Self, Error> {
        members.sort_by_key(|m| m.node);
        let consistent = members.len()
            == custody
                .seats()
                .iter()
                .map(|s| s.node)
                .collect::<std::collections::BTreeSet<_>>()
                .len()
            && members
                .iter()
                .all(|m| custody.seats_of(m.node) == m.seats && m.seats > 0);
        if !consistent {
            return Err(Error::InvalidParameters {
                reason: "members do not match the custody's seats",
            });
        }
        if u16::try_from(members.len()).is_err() {
            return Err(Error::InvalidParameters {
                reason: "more members than a bitmap indexes",
            });
        }
        if k == 0 || (0..COLUMNS).any(|j| custody.holders(j).len() < usize::from(k)) {
            return Err(Error::InvalidParameters {
                reason: "coverage k is 0 or above a column's distinct holders",
            });
        }
        let reference = custody.reference();
        Ok(DaCommittee {
            epoch,
            custody,
            members,
            coverage: k,
            reference,
        })
    }

    /// The epoch.
    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    /// Custody: who holds which columns.
    pub fn custody(&self) -> &Custody {
        &self.custody
    }

    /// Members, by index (ascending node).
    pub fn members(&self) -> &[DaMember] {
        &self.members
    }

    /// The committee reference (= [`Custody::reference`]).
    pub fn reference(&self) -> H256 {
        self.reference
    }

    /// `k`: distinct signers every column needs.
    pub fn coverage(&self) -> u16 {
        self.coverage
    }

    /// Total seats `N`.
    pub fn total_seats(&self) -> u64 {
        self.members.iter().map(|m| m.seats).sum()
    }

    /// Seats a certificate needs: `⌈2N/3⌉`.
    pub fn quorum_seats(&self) -> u64 {
        (2 * self.total_seats()).div_ceil(3)
    }

    /// The index of a member's node.
    pub fn index_of(&self, node: NodeId) -> Option<ValidatorIndex> {
        let i = self.members.binary_search_by_key(&node, |m| m.node).ok()?;
        u16::try_from(i).ok().map(ValidatorIndex)
    }

    /// `(key, seats)` per member, as zg-bls takes them.
    pub fn weighted_keys(&self) -> Vec<(BlsPublicKey, u128)> {
        self.members
            .iter()
            .map(|m| (m.key, u128::from(m.seats)))
            .collect()
    }

    /// Seats held by the signers in `signers`.
    pub fn seats_of(&self, signers: &SignerBitmap) -> u64 {
        signers
            .iter()
            .filter_map(|i| self.members.get(i.get()))
            .map(|m| m.seats)
            .sum()
    }

    /// The first column held by fewer than `k` of `signers`, with its count.
    pub fn uncovered(&self, signers: &SignerBitmap) -> Option<(u16, usize)> {
        (0..COLUMNS).find_map(|j| {
            let have = self
                .custody
                .holders(j)
                .iter()
                .filter(|n| self.index_of(**n).is_some_and(|i| signers.contains(i)))
                .count();
            (have < usize::from(self.coverage))
                .then(|| (u16::try_from(j).unwrap_or(u16::MAX), have))
        })
    }

    /// The message every member signs for `payload`.
    pub fn attestation(&self, payload: &H256) -> Vec<u8> {
        attestation_message(self.epoch, &self.reference, payload)
    }
}

/// Why a certificate was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    /// Not a canonical encoding.
    #[error("malformed certificate: {0}")]
    Malformed(&'static str),
    /// For another epoch than the verifier's committee.
    #[error("certificate for epoch {certificate}, committee of epoch {expected}")]
    WrongEpoch {
        /// The certificate's epoch.
        certificate: Epoch,
        /// The committee's.
        expected: Epoch,
    },
    /// Names another committee.
    #[error("certificate names another committee")]
    WrongCommittee,
    /// Certifies another payload (a replay).
    #[error("certificate is for payload {certificate}, not {expected}")]
    WrongPayload {
        /// The certificate's payload id.
        certificate: H256,
        /// The payload the verifier asked about.
        expected: H256,
    },
    /// The bitmap does not index exactly the committee's members (names non-members).
    #[error("signer bitmap covers {bitmap} members, the committee has {members}")]
    NonMember {
        /// Bitmap length.
        bitmap: u16,
        /// Committee members.
        members: usize,
    },
    /// Nobody signed.
    #[error("no signers")]
    NoSigners,
    /// The signers hold too few seats.
    #[error("signers hold {signed} seats, {required} required")]
    InsufficientStake {
        /// Seats signed.
        signed: u64,
        /// Seats required (`⌈2N/3⌉`).
        required: u64,
    },
    /// A column is held by fewer than `k` signers.
    #[error("column {column} held by {signers} signers, {need} required")]
    UncoveredColumn {
        /// The column.
        column: u16,
        /// Signers holding it.
        signers: usize,
        /// `k`.
        need: u16,
    },
    /// The aggregate signature does not verify.
    #[error("invalid signature")]
    InvalidSignature,
}

/// A DA quorum certificate. See the [module docs](self).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Certificate {
    /// The epoch.
    pub epoch: Epoch,
    /// The committee reference.
    pub committee: H256,
    /// The payload id.
    pub payload_id: H256,
    /// Bit `i`: member `i` signed.
    pub signers: SignerBitmap,
    /// The aggregate of the signers' signatures over [`attestation_message`].
    pub signature: BlsSignature,
}

/// Version byte of the encoding.
pub const CERTIFICATE_VERSION: u8 = 1;

impl Certificate {
    /// Bytes of the encoding for a committee of `members`: `267 + ⌈members/8⌉`.
    pub fn encoded_len(members: u16) -> usize {
        1 + 8 + 32 + 32 + AggregateCertificate::<Bls>::encoded_len(members)
    }

    /// The canonical encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::encoded_len(self.signers.len()));
        out.push(CERTIFICATE_VERSION);
        out.extend_from_slice(&self.epoch.0.to_be_bytes());
        out.extend_from_slice(self.committee.as_bytes());
        out.extend_from_slice(self.payload_id.as_bytes());
        AggregateCertificate::<Bls> {
            signers: self.signers.clone(),
            signature: self.signature,
        }
        .encode(&mut out);
        out
    }

    /// Decodes exactly one certificate (strict: version, lengths, canonical bitmap and
    /// signature, no trailing bytes).
    ///
    /// # Errors
    /// [`CertificateError::Malformed`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CertificateError> {
        if bytes.len() < 73 {
            return Err(CertificateError::Malformed("truncated"));
        }
        if bytes[0] != CERTIFICATE_VERSION {
            return Err(CertificateError::Malformed("unknown version"));
        }
        let mut epoch = [0u8; 8];
        epoch.copy_from_slice(&bytes[1..9]);
        let committee = H256::from_slice(&bytes[9..41])
            .map_err(|_| CertificateError::Malformed("committee"))?;
        let payload_id = H256::from_slice(&bytes[41..73])
            .map_err(|_| CertificateError::Malformed("payload id"))?;
        let agg = AggregateCertificate::<Bls>::from_bytes(&bytes[73..])
            .map_err(|_| CertificateError::Malformed("signers or signature"))?;
        Ok(Certificate {
            epoch: Epoch(u64::from_be_bytes(epoch)),
            committee,
            payload_id,
            signers: agg.signers,
            signature: agg.signature,
        })
    }

    /// keccak256 of the encoding: the value a consensus partition orders.
    pub fn hash(&self) -> H256 {
        keccak256(&self.to_bytes())
    }

    /// Verifies the certificate for `payload_id` against the verifier's own committee (see
    /// the [module docs](self)); returns the seats that signed.
    ///
    /// # Errors
    /// [`CertificateError`], cheapest checks first; the pairing equation last.
    pub fn verify(
        &self,
        committee: &DaCommittee,
        payload_id: &H256,
    ) -> Result<u64, CertificateError> {
        if self.epoch != committee.epoch() {
            return Err(CertificateError::WrongEpoch {
                certificate: self.epoch,
                expected: committee.epoch(),
            });
        }
        if self.committee != committee.reference() {
            return Err(CertificateError::WrongCommittee);
        }
        if self.payload_id != *payload_id {
            return Err(CertificateError::WrongPayload {
                certificate: self.payload_id,
                expected: *payload_id,
            });
        }
        if usize::from(self.signers.len()) != committee.members().len() {
            return Err(CertificateError::NonMember {
                bitmap: self.signers.len(),
                members: committee.members().len(),
            });
        }
        if self.signers.count() == 0 {
            return Err(CertificateError::NoSigners);
        }
        let signed = committee.seats_of(&self.signers);
        let required = committee.quorum_seats();
        if signed < required {
            return Err(CertificateError::InsufficientStake { signed, required });
        }
        if let Some((column, signers)) = committee.uncovered(&self.signers) {
            return Err(CertificateError::UncoveredColumn {
                column,
                signers,
                need: committee.coverage(),
            });
        }
        let agg = AggregateCertificate::<Bls> {
            signers: self.signers.clone(),
            signature: self.signature,
        };
        agg.verify(
            &committee.weighted_keys(),
            &committee.attestation(payload_id),
            0,
        )
        .map_err(|_| CertificateError::InvalidSignature)?;
        Ok(signed)
    }
}
