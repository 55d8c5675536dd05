//! Signed epoch reports: canonical bytes, a report root, BLS signatures and quorum reports.
//!
//! # Encoding (version 1)
//!
//! An [`EpochReport`] is integers and hashes only, so two honest nodes that closed the same
//! [`DutyLedger`](crate::duty::DutyLedger) produce the same bytes on any platform:
//!
//! ```text
//! "ZGAR" ‖ u8(1) ‖ u64_be(network) ‖ u64_be(epoch) ‖ seed(32) ‖ u16_be(pass_bps)
//! ‖ u32_be(n) ‖ n × entry ‖ u32_be(m) ‖ m × alert
//! entry = record (57 bytes, see crate::duty) ‖ u8(verdict) ‖ u16_be(score_bps or 0xffff)   60 bytes
//! alert = subject(9) ‖ u8(severity) ‖ evidence(32) ‖ dedup_key(32)                           74 bytes
//! ```
//!
//! The decoder ([`EpochReport::from_bytes`]) is strict: known magic and version, counts that
//! match the length exactly, entries strictly increasing by subject, each record's counts
//! adding up, each verdict and score recomputed and compared, the alerts exactly those the
//! entries imply ([`EpochReport::derive_alerts`]), no trailing bytes. So every report has one
//! encoding, and re-encoding a decoded report gives back the input.
//!
//! # Root and signatures
//!
//! `leaf_i = Keccak-256("zg-alignment/report-leaf/v1" ‖ entry_i)`; the entries' Merkle root
//! `R_e` is the 0G Merkle root of the leaves (zg-core's [`MerkleTree`], `0` for none), so one
//! subject's verdict can be shown with a path; the **report root** is
//! `Keccak-256("zg-alignment/report-root/v1" ‖ header ‖ u32_be(n) ‖ R_e ‖ Keccak-256(alerts))`
//! with `header` the first 55 bytes above. A committee member signs
//! `"zg-alignment/report-sig/v1" ‖ u64_be(network) ‖ u64_be(epoch) ‖ root` with its BLS key
//! from the stake table: the message names the network, the epoch and the role, so a signature
//! never counts for another report, network or lane.
//!
//! # Quorum
//!
//! The alignment committee of an epoch is the VRF sortition of the stake table over the epoch
//! seed for the role [`COMMITTEE_ROLE`] with `τ` expected seats (zg-vrf's
//! [`assemble_committee`]). A [`QuorumReport`] carries the report, the members' eligibility
//! claims and one aggregate certificate whose bitmap indexes the committee assembled from those
//! claims. It verifies ([`verify_quorum`]) when every claim verifies and the signers hold at
//! least `⌈2 · max(τ, S) / 3⌉` seats, `S` the committee's seats. Anyone holding the stake table
//! and the epoch seed can check it. The `max` with `τ` is what stops an aggregator from leaving
//! honest members' claims out to shrink the committee: whatever claims it includes, the signers
//! must hold two thirds of the seats the epoch expects.

use zg_bls::{AggregateCertificate, Bls, Scheme, SignerBitmap, ValidatorIndex};
use zg_core::tree::MerkleTree;
use zg_core::{Epoch, H256, NodeId};
use zg_vrf::{
    BatchableProof, Committee, EligibilityClaim, NodeKeys, Selection, StakeTable,
    assemble_committee,
};

use crate::duty::{BPS, DutyRecord, Policy, RECORD_LEN, Subject, Verdict};

/// The report format version this crate writes and reads.
pub const REPORT_VERSION: u8 = 1;
/// Magic bytes at the start of a report.
pub const REPORT_MAGIC: &[u8; 4] = b"ZGAR";
/// Magic bytes at the start of a quorum report.
pub const QUORUM_MAGIC: &[u8; 4] = b"ZGAQ";
/// The sortition role of the alignment committee.
pub const COMMITTEE_ROLE: &str = "alignment-committee";
/// Bytes of one entry.
pub const ENTRY_LEN: usize = RECORD_LEN + 1 + 2;
/// Bytes of one alert.
pub const ALERT_LEN: usize = 9 + 1 + 32 + 32;
/// Bytes of the header before the entry count.
const HEADER_LEN: usize = 4 + 1 + 8 + 8 + 32 + 2;
/// Score field of an unmeasured entry.
const NO_SCORE: u16 = u16::MAX;
/// A failing score below this (basis points) is [`Severity::Critical`].
pub const CRITICAL_BPS: u16 = 5_000;
/// Most eligibility claims a quorum report may carry (a bitmap indexes at most `u16::MAX`).
pub const MAX_CLAIMS: usize = 4_096;

const LEAF_DOMAIN: &[u8] = b"zg-alignment/report-leaf/v1";
const ROOT_DOMAIN: &[u8] = b"zg-alignment/report-root/v1";
const SIG_DOMAIN: &[u8] = b"zg-alignment/report-sig/v1";
const ALERT_DOMAIN: &[u8] = b"zg-alignment/alert/v1";

/// Why a report, a signature or a quorum report was refused.
///
/// A signature or proof that does not verify is the opaque [`ReportError::InvalidSignature`] /
/// [`ReportError::InvalidClaim`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// The bytes are not a canonical report (truncated, trailing, out of order, inconsistent).
    #[error("malformed report: {0}")]
    Malformed(&'static str),
    /// A version this crate does not read.
    #[error("report version {got} is not supported")]
    Version {
        /// The version found.
        got: u8,
    },
    /// The report names another network, epoch or seed than the verifier's.
    #[error("report is for another {field}")]
    WrongDomain {
        /// Which field differs.
        field: &'static str,
    },
    /// An eligibility claim does not verify against the stake table and seed.
    #[error("invalid committee claim")]
    InvalidClaim,
    /// The signer is not a member of this epoch's committee.
    #[error("{node} is not on the alignment committee")]
    NotMember {
        /// The node named.
        node: NodeId,
    },
    /// A signature does not verify.
    #[error("invalid signature")]
    InvalidSignature,
    /// The signers hold too few seats.
    #[error("signers hold {signed} seats, {required} required")]
    NoQuorum {
        /// Seats signed.
        signed: u64,
        /// Seats required.
        required: u64,
    },
    /// The selection parameters or the table were refused by zg-vrf.
    #[error("committee selection refused: {0}")]
    Selection(zg_vrf::Error),
}

/// How urgent an alert is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Failed, score at or above [`CRITICAL_BPS`].
    Warning = 1,
    /// Failed, score below [`CRITICAL_BPS`].
    Critical = 2,
}

/// An alert: a failing subject, how bad, the evidence and a key that de-duplicates it.
///
/// `dedup_key = Keccak-256("zg-alignment/alert/v1" ‖ u64_be(network) ‖ u64_be(epoch) ‖
/// subject)`: every honest node raises the same key for the same subject and epoch, so a
/// consumer keeps one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Alert {
    /// Who failed.
    pub subject: Subject,
    /// How bad.
    pub severity: Severity,
    /// The subject's evidence hash (the ledger's accumulator).
    pub evidence: H256,
    /// The de-duplication key.
    pub dedup_key: H256,
}

/// One epoch's verdicts as one alignment node saw them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EpochReport {
    /// The network (chain id) the report is about.
    pub network: u64,
    /// The epoch.
    pub epoch: Epoch,
    /// The epoch seed (from the beacon) the assignments were drawn from.
    pub seed: H256,
    /// The verdict policy.
    pub policy: Policy,
    /// The closed records, strictly increasing by subject.
    pub records: Vec<DutyRecord>,
    /// The alerts the records imply ([`derive_alerts`](Self::derive_alerts)).
    pub alerts: Vec<Alert>,
}

fn be_u16(b: &[u8], at: usize) -> Result<u16, ReportError> {
    b.get(at..at + 2)
        .and_then(|s| <[u8; 2]>::try_from(s).ok())
        .map(u16::from_be_bytes)
        .ok_or(ReportError::Malformed("truncated"))
}

fn be_u32(b: &[u8], at: usize) -> Result<u32, ReportError> {
    b.get(at..at + 4)
        .and_then(|s| <[u8; 4]>::try_from(s).ok())
        .map(u32::from_be_bytes)
        .ok_or(ReportError::Malformed("truncated"))
}

fn be_u64(b: &[u8], at: usize) -> Result<u64, ReportError> {
    b.get(at..at + 8)
        .and_then(|s| <[u8; 8]>::try_from(s).ok())
        .map(u64::from_be_bytes)
        .ok_or(ReportError::Malformed("truncated"))
}

fn hash_at(b: &[u8], at: usize) -> Result<H256, ReportError> {
    b.get(at..at + 32)
        .and_then(|s| H256::from_slice(s).ok())
        .ok_or(ReportError::Malformed("truncated"))
}

/// `n` items of `len` bytes from `at`, checked against the input before anything is allocated.
fn section(b: &[u8], at: usize, n: u32, len: usize) -> Result<&[u8], ReportError> {
    let bytes = usize::try_from(n)
        .ok()
        .and_then(|n| n.checked_mul(len))
        .ok_or(ReportError::Malformed("count"))?;
    at.checked_add(bytes)
        .and_then(|end| b.get(at..end))
        .ok_or(ReportError::Malformed("count exceeds the input"))
}

impl EpochReport {
    /// The report of a closed ledger's records (any order; they are sorted; of two records of
    /// one subject the one with the smaller encoding is kept), with its alerts.
    pub fn new(
        network: u64,
        epoch: Epoch,
        seed: H256,
        policy: Policy,
        records: &[DutyRecord],
    ) -> EpochReport {
        // Sorted by canonical bytes (the subject is their prefix, so this is subject order) and
        // one record per subject, the smallest: the result never depends on the input order,
        // even for a caller that passes duplicates.
        let mut records: Vec<(Vec<u8>, DutyRecord)> = records
            .iter()
            .map(|r| {
                let mut b = Vec::with_capacity(RECORD_LEN);
                r.encode(&mut b);
                (b, *r)
            })
            .collect();
        records.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        records.dedup_by_key(|r| r.1.subject);
        let records: Vec<DutyRecord> = records.into_iter().map(|r| r.1).collect();
        let mut report = EpochReport {
            network,
            epoch,
            seed,
            policy,
            records,
            alerts: Vec::new(),
        };
        report.alerts = report.derive_alerts();
        report
    }

    /// The alerts the records imply: one per failing subject, in subject order,
    /// [`Severity::Critical`] below [`CRITICAL_BPS`].
    pub fn derive_alerts(&self) -> Vec<Alert> {
        self.records
            .iter()
            .filter(|r| r.verdict(&self.policy) == Verdict::Fail)
            .map(|r| Alert {
                subject: r.subject,
                severity: match r.score_bps() {
                    Some(s) if s >= CRITICAL_BPS => Severity::Warning,
                    _ => Severity::Critical,
                },
                evidence: r.evidence,
                dedup_key: zg_core::keccak256_parts(&[
                    ALERT_DOMAIN,
                    &self.network.to_be_bytes(),
                    &self.epoch.0.to_be_bytes(),
                    &r.subject.to_bytes(),
                ]),
            })
            .collect()
    }

    /// The verdict of one subject, if it is in the report.
    pub fn verdict(&self, subject: Subject) -> Option<Verdict> {
        self.records
            .binary_search_by_key(&subject, |r| r.subject)
            .ok()
            .map(|i| self.records[i].verdict(&self.policy))
    }

    fn header(&self) -> Vec<u8> {
        let mut h = Vec::with_capacity(HEADER_LEN);
        h.extend_from_slice(REPORT_MAGIC);
        h.push(REPORT_VERSION);
        h.extend_from_slice(&self.network.to_be_bytes());
        h.extend_from_slice(&self.epoch.0.to_be_bytes());
        h.extend_from_slice(self.seed.as_bytes());
        h.extend_from_slice(&self.policy.pass_bps.to_be_bytes());
        h
    }

    fn encode_entry(&self, r: &DutyRecord, out: &mut Vec<u8>) {
        r.encode(out);
        out.push(r.verdict(&self.policy).code());
        out.extend_from_slice(&r.score_bps().unwrap_or(NO_SCORE).to_be_bytes());
    }

    fn alert_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.alerts.len() * ALERT_LEN);
        for a in &self.alerts {
            out.extend_from_slice(&a.subject.to_bytes());
            out.push(a.severity as u8);
            out.extend_from_slice(a.evidence.as_bytes());
            out.extend_from_slice(a.dedup_key.as_bytes());
        }
        out
    }

    /// The canonical bytes (see the [module docs](self)).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.header();
        out.reserve(8 + self.records.len() * ENTRY_LEN + self.alerts.len() * ALERT_LEN);
        out.extend_from_slice(&len_u32(self.records.len()).to_be_bytes());
        for r in &self.records {
            self.encode_entry(r, &mut out);
        }
        out.extend_from_slice(&len_u32(self.alerts.len()).to_be_bytes());
        out.extend_from_slice(&self.alert_bytes());
        out
    }

    /// The report root (see the [module docs](self)).
    pub fn root(&self) -> H256 {
        let leaves: Vec<H256> = self
            .records
            .iter()
            .map(|r| {
                let mut e = Vec::with_capacity(ENTRY_LEN);
                self.encode_entry(r, &mut e);
                zg_core::keccak256_parts(&[LEAF_DOMAIN, &e])
            })
            .collect();
        let entries_root = MerkleTree::from_leaves(leaves)
            .map(|t| t.root())
            .unwrap_or(H256::ZERO);
        zg_core::keccak256_parts(&[
            ROOT_DOMAIN,
            &self.header(),
            &len_u32(self.records.len()).to_be_bytes(),
            entries_root.as_bytes(),
            zg_core::keccak256(&self.alert_bytes()).as_bytes(),
        ])
    }

    /// Decodes a canonical report (strict; see the [module docs](self)).
    ///
    /// # Errors
    /// [`ReportError::Version`] for another version, [`ReportError::Malformed`] for anything
    /// else that is not the canonical encoding of a report.
    pub fn from_bytes(b: &[u8]) -> Result<EpochReport, ReportError> {
        if b.get(..4) != Some(REPORT_MAGIC.as_slice()) {
            return Err(ReportError::Malformed("magic"));
        }
        match b.get(4) {
            Some(&REPORT_VERSION) => {}
            Some(&got) => return Err(ReportError::Version { got }),
            None => return Err(ReportError::Malformed("truncated")),
        }
        let pass_bps = be_u16(b, 53)?;
        if u32::from(pass_bps) > BPS {
            return Err(ReportError::Malformed("policy above 100 %"));
        }
        let mut report = EpochReport {
            network: be_u64(b, 5)?,
            epoch: Epoch(be_u64(b, 13)?),
            seed: hash_at(b, 21)?,
            policy: Policy { pass_bps },
            records: Vec::new(),
            alerts: Vec::new(),
        };
        let n = be_u32(b, HEADER_LEN)?;
        let entries = section(b, HEADER_LEN + 4, n, ENTRY_LEN)?;
        let mut records = Vec::with_capacity(entries.len() / ENTRY_LEN);
        for e in entries.chunks_exact(ENTRY_LEN) {
            let r = DutyRecord::decode(&e[..RECORD_LEN])?;
            if records
                .last()
                .is_some_and(|p: &DutyRecord| p.subject >= r.subject)
            {
                return Err(ReportError::Malformed("entries out of order"));
            }
            let score = be_u16(e, RECORD_LEN + 1)?;
            if e[RECORD_LEN] != r.verdict(&report.policy).code()
                || score != r.score_bps().unwrap_or(NO_SCORE)
            {
                return Err(ReportError::Malformed(
                    "verdict or score does not follow the counts",
                ));
            }
            records.push(r);
        }
        report.records = records;
        let at = HEADER_LEN + 4 + entries.len();
        let m = be_u32(b, at)?;
        let alerts = section(b, at + 4, m, ALERT_LEN)?;
        if at + 4 + alerts.len() != b.len() {
            return Err(ReportError::Malformed("trailing bytes"));
        }
        report.alerts = report.derive_alerts();
        if alerts != report.alert_bytes().as_slice() {
            return Err(ReportError::Malformed("alerts do not follow the entries"));
        }
        Ok(report)
    }
}

/// A collection length as `u32`; reports are bounded far below (a roster holds at most
/// `u32::MAX` subjects, see [`DutyLedger::new`](crate::duty::DutyLedger::new)).
fn len_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The message a committee member signs for a report root.
pub fn signing_message(network: u64, epoch: Epoch, root: &H256) -> Vec<u8> {
    let mut m = Vec::with_capacity(SIG_DOMAIN.len() + 48);
    m.extend_from_slice(SIG_DOMAIN);
    m.extend_from_slice(&network.to_be_bytes());
    m.extend_from_slice(&epoch.0.to_be_bytes());
    m.extend_from_slice(root.as_bytes());
    m
}

/// One committee member's signature over a report root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportSignature<S: Scheme = Bls> {
    /// The signer.
    pub node: NodeId,
    /// The root it signed.
    pub root: H256,
    /// Its BLS signature over [`signing_message`].
    pub signature: S::Signature,
}

impl<S: Scheme> ReportSignature<S> {
    /// `keys` signs `report`'s root.
    pub fn sign(keys: &NodeKeys<S>, report: &EpochReport) -> ReportSignature<S> {
        let root = report.root();
        ReportSignature {
            node: keys.node,
            root,
            signature: S::sign(
                &keys.bls,
                &signing_message(report.network, report.epoch, &root),
            ),
        }
    }
}

/// The selection of an epoch's alignment committee with `tau` expected seats.
pub fn committee_selection(epoch: Epoch, seed: H256, tau: u64) -> Selection {
    Selection {
        epoch,
        seed,
        role: COMMITTEE_ROLE.to_string(),
        expected_seats: tau,
    }
}

/// `⌈2 · max(τ, seats) / 3⌉`: the seats a quorum must hold (see the [module docs](self)).
pub fn quorum_seats(tau: u64, committee_seats: u64) -> u64 {
    // 2·x/3 ≤ x for x ≥ 1, so the quotient always fits back into u64.
    u64::try_from((u128::from(tau.max(committee_seats)) * 2).div_ceil(3)).unwrap_or(u64::MAX)
}

/// A report co-signed by alignment-committee members holding a quorum of seats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuorumReport<S: Scheme = Bls> {
    /// The report.
    pub report: EpochReport,
    /// The committee members' eligibility claims, in table order.
    pub claims: Vec<EligibilityClaim>,
    /// The signers (bitmap over the committee the claims assemble) and their aggregate.
    pub certificate: AggregateCertificate<S>,
}

/// The committee the claims assemble; any invalid claim is an error (a quorum report carries
/// only valid ones). The batch randomisers are derived from the claims, fixed before the
/// check runs.
fn committee_of<S: Scheme>(
    table: &StakeTable<S>,
    selection: &Selection,
    claims: &[EligibilityClaim],
) -> Result<Committee, ReportError> {
    let mut transcript =
        Vec::with_capacity(claims.len() * (8 + zg_vrf::batch::BATCHABLE_PROOF_LEN));
    for c in claims {
        transcript.extend_from_slice(&(c.index as u64).to_be_bytes());
        transcript.extend_from_slice(c.proof.as_bytes());
    }
    let batch_seed = zg_core::keccak256(&transcript).0;
    let (committee, rejected) = assemble_committee(table, selection, claims, &batch_seed)
        .map_err(ReportError::Selection)?;
    if !rejected.is_empty() {
        return Err(ReportError::InvalidClaim);
    }
    Ok(committee)
}

/// Forms the quorum report of `report` from members' signatures.
///
/// `claims` are the committee's published claims (invalid ones are dropped, as are claims of
/// members that did not sign); each signature is verified on its own before it counts,
/// signatures over another root or from non-members are dropped, and the result does not
/// depend on the order of either input.
///
/// # Errors
/// [`ReportError::NoQuorum`] when the valid signatures hold too few seats,
/// [`ReportError::Selection`] for invalid selection parameters.
pub fn aggregate<S: Scheme>(
    table: &StakeTable<S>,
    tau: u64,
    report: &EpochReport,
    claims: &[EligibilityClaim],
    signatures: &[ReportSignature<S>],
) -> Result<QuorumReport<S>, ReportError> {
    let selection = committee_selection(report.epoch, report.seed, tau);
    // Verify each claim alone first: zg-vrf's assembly drops a later claim for an index it has
    // already seen, so a forged claim naming a member must not come before the member's own.
    let alpha = selection.alpha();
    let valid: Vec<EligibilityClaim> = claims
        .iter()
        .filter(|c| {
            table.entries().get(c.index).is_some_and(|e| {
                c.proof
                    .proof()
                    .is_ok_and(|p| e.vrf_key.verify(&alpha, &p).is_ok())
            })
        })
        .cloned()
        .collect();
    let (all, _) = assemble_committee(table, &selection, &valid, &report.root().0)
        .map_err(ReportError::Selection)?;
    let root = report.root();
    let message = signing_message(report.network, report.epoch, &root);
    let entries = table.entries();
    // Members whose own signature verifies, once each.
    let mut signed: Vec<(usize, &S::Signature)> = Vec::new();
    for m in &all.members {
        let good = signatures.iter().find(|s| {
            s.node == m.node
                && s.root == root
                && S::verify(&entries[m.index].bls_key, &message, &s.signature)
        });
        if let Some(s) = good {
            signed.push((m.index, &s.signature));
        }
    }
    let kept: Vec<EligibilityClaim> = claims_of(&all, &valid, &signed);
    let committee = committee_of(table, &selection, &kept)?;
    let seats: u64 = committee.members.iter().map(|m| m.seats).sum();
    let required = quorum_seats(tau, committee.total_seats);
    if seats < required {
        return Err(ReportError::NoQuorum {
            signed: seats,
            required,
        });
    }
    let members = u16::try_from(committee.members.len())
        .map_err(|_| ReportError::Malformed("committee too large"))?;
    let mut bitmap = SignerBitmap::new(members);
    for i in 0..members {
        bitmap.insert(ValidatorIndex(i));
    }
    let signature =
        S::aggregate_signatures(signed.iter().map(|(_, s)| *s)).ok_or(ReportError::NoQuorum {
            signed: 0,
            required,
        })?;
    Ok(QuorumReport {
        report: report.clone(),
        claims: kept,
        certificate: AggregateCertificate {
            signers: bitmap,
            signature,
        },
    })
}

/// The claims of the signed members, one per member, in table order.
fn claims_of<S>(
    all: &Committee,
    claims: &[EligibilityClaim],
    signed: &[(usize, &S)],
) -> Vec<EligibilityClaim> {
    all.members
        .iter()
        .filter(|m| signed.iter().any(|(i, _)| *i == m.index))
        .filter_map(|m| claims.iter().find(|c| c.index == m.index).cloned())
        .collect()
}

/// Checks a quorum report against the verifier's own network, epoch, seed, stake table and
/// `τ`: the report's domain fields equal the verifier's, every claim verifies, the certificate
/// verifies over the report root and its signers hold [`quorum_seats`]. Returns the root.
///
/// # Errors
/// [`ReportError::WrongDomain`], [`ReportError::InvalidClaim`], [`ReportError::NoQuorum`],
/// [`ReportError::InvalidSignature`], [`ReportError::Malformed`] for a certificate whose
/// bitmap does not cover the committee.
pub fn verify_quorum<S: Scheme>(
    quorum: &QuorumReport<S>,
    table: &StakeTable<S>,
    network: u64,
    epoch: Epoch,
    seed: &H256,
    tau: u64,
) -> Result<H256, ReportError> {
    let r = &quorum.report;
    if r.network != network {
        return Err(ReportError::WrongDomain { field: "network" });
    }
    if r.epoch != epoch {
        return Err(ReportError::WrongDomain { field: "epoch" });
    }
    if &r.seed != seed {
        return Err(ReportError::WrongDomain { field: "seed" });
    }
    if quorum.claims.len() > MAX_CLAIMS {
        return Err(ReportError::Malformed("too many claims"));
    }
    let committee = committee_of(
        table,
        &committee_selection(epoch, *seed, tau),
        &quorum.claims,
    )?;
    let members = committee
        .bls_members(table)
        .map_err(ReportError::Selection)?;
    let root = r.root();
    let required = quorum_seats(tau, committee.total_seats);
    match quorum.certificate.verify(
        &members,
        &signing_message(network, epoch, &root),
        u128::from(required),
    ) {
        Ok(_) => Ok(root),
        Err(zg_bls::Error::InsufficientWeight { signed, required }) => Err(ReportError::NoQuorum {
            signed: u64::try_from(signed).unwrap_or(u64::MAX),
            required: u64::try_from(required).unwrap_or(u64::MAX),
        }),
        Err(zg_bls::Error::InvalidSignature) => Err(ReportError::InvalidSignature),
        Err(_) => Err(ReportError::Malformed("certificate")),
    }
}

impl<S: Scheme> QuorumReport<S> {
    /// Wire form: `"ZGAQ" ‖ u8(1) ‖ u32_be(len) ‖ report ‖ u16_be(c) ‖ c × (u32_be(index) ‖
    /// batchable proof) ‖ certificate` (zg-bls's certificate wire form).
    pub fn to_bytes(&self) -> Vec<u8> {
        let report = self.report.to_bytes();
        let mut out = Vec::with_capacity(report.len() + 16 + self.claims.len() * 180);
        out.extend_from_slice(QUORUM_MAGIC);
        out.push(REPORT_VERSION);
        out.extend_from_slice(&len_u32(report.len()).to_be_bytes());
        out.extend_from_slice(&report);
        out.extend_from_slice(
            &u16::try_from(self.claims.len())
                .unwrap_or(u16::MAX)
                .to_be_bytes(),
        );
        for c in &self.claims {
            out.extend_from_slice(&u32::try_from(c.index).unwrap_or(u32::MAX).to_be_bytes());
            out.extend_from_slice(c.proof.as_bytes());
        }
        self.certificate.encode(&mut out);
        out
    }

    /// The claims' 96 bytes of batch hints are not bound by anything signed (a wrong hint only
    /// makes zg-vrf fall back to verifying that proof alone), so one quorum report has several
    /// wire forms that verify with the same root: the root, not the bytes, names it.
    ///
    /// Decodes the wire form strictly (the report strictly, at most [`MAX_CLAIMS`] claims, no
    /// trailing bytes). Decoding checks form only: [`verify_quorum`] checks the signatures.
    ///
    /// # Errors
    /// [`ReportError::Malformed`], [`ReportError::Version`].
    pub fn from_bytes(b: &[u8]) -> Result<QuorumReport<S>, ReportError> {
        if b.get(..4) != Some(QUORUM_MAGIC.as_slice()) {
            return Err(ReportError::Malformed("quorum magic"));
        }
        match b.get(4) {
            Some(&REPORT_VERSION) => {}
            Some(&got) => return Err(ReportError::Version { got }),
            None => return Err(ReportError::Malformed("truncated")),
        }
        let len = be_u32(b, 5)?;
        let report = EpochReport::from_bytes(section(b, 9, len, 1)?)?;
        let mut at = 9 + report_len(len)?;
        let c = be_u16(b, at)?;
        at += 2;
        let claim_len = 4 + zg_vrf::batch::BATCHABLE_PROOF_LEN;
        if usize::from(c) > MAX_CLAIMS {
            return Err(ReportError::Malformed("too many claims"));
        }
        let raw = section(b, at, u32::from(c), claim_len)?;
        let mut claims = Vec::with_capacity(usize::from(c));
        for ch in raw.chunks_exact(claim_len) {
            let index = usize::try_from(be_u32(ch, 0)?)
                .map_err(|_| ReportError::Malformed("claim index"))?;
            let proof = BatchableProof::from_slice(&ch[4..])
                .map_err(|_| ReportError::Malformed("claim proof"))?;
            claims.push(EligibilityClaim { index, proof });
        }
        at += raw.len();
        let certificate = AggregateCertificate::<S>::from_bytes(&b[at..])
            .map_err(|_| ReportError::Malformed("certificate"))?;
        Ok(QuorumReport {
            report,
            claims,
            certificate,
        })
    }
}

fn report_len(len: u32) -> Result<usize, ReportError> {
    usize::try_from(len).map_err(|_| ReportError::Malformed("length"))
}
