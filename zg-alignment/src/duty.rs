//! The duty ledger: per subject (node, role) and epoch, the duties due and how each ended.
//!
//! Every duty an observer schedules for a subject is **due**; it then ends exactly once as
//! **done** (checked and correct), **failed** (checked and wrong, with the hash of the evidence
//! that shows it) or **not measured** (the alignment node could not check it: it was not
//! assigned, its own inputs were missing). Duties still open when the epoch closes count as not
//! measured. "Not measured" is its own verdict ([`Verdict::NotMeasured`]) and never a pass.
//!
//! # Fixed size
//!
//! A subject's record is [`RECORD_LEN`] = 57 bytes in its canonical form
//! ([`DutyRecord::encode`]): `u64_be(node) ‖ u8(role) ‖ u32_be(due) ‖ u32_be(done) ‖
//! u32_be(failed) ‖ u32_be(not_measured) ‖ evidence(32)`, whatever happened in the epoch:
//! evidence is folded into one running hash, `evidence' = Keccak-256("zg-alignment/evidence/v1"
//! ‖ evidence ‖ item)`, starting from [`H256::ZERO`]. In memory a record is the same fields in a
//! sorted vector (no per-event allocation), so a ledger of `n` subjects holds `n · 64` bytes.
//!
//! # Score
//!
//! The effectiveness score is in basis points, integer only:
//! `score = ⌊10 000 · done / (done + failed)⌋`, defined only when `done + failed > 0`;
//! [`DutyRecord::verdict`] is `NotMeasured` when nothing was measured, `Fail` when any duty
//! failed and the score is below the policy's threshold, `Pass` otherwise.

use zg_core::{Epoch, H256, NodeId};

use crate::report::ReportError;

/// Bytes of one record's canonical form.
pub const RECORD_LEN: usize = 8 + 1 + 4 * 4 + 32;

/// Basis points in one whole (the score's scale).
pub const BPS: u32 = 10_000;

/// Domain of the evidence accumulator.
const EVIDENCE_DOMAIN: &[u8] = b"zg-alignment/evidence/v1";

/// The lane a subject is audited in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// A storage miner / storage node (PoRA answers, retrieval audits).
    Storage = 0,
    /// A DA signer (certificate participation, spot samples).
    Da = 1,
    /// A consensus validator (votes signed or missed, equivocation).
    Validator = 2,
    /// An inference provider (settlements against receipts, latency).
    Serving = 3,
}

impl Role {
    /// Every role, in code order.
    pub const ALL: [Role; 4] = [Role::Storage, Role::Da, Role::Validator, Role::Serving];

    /// The one-byte code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The role of a code, if it is one.
    pub fn from_code(code: u8) -> Option<Role> {
        Role::ALL.get(usize::from(code)).copied()
    }
}

/// Who is audited: a node in one role (a node with two roles is two subjects).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Subject {
    /// The node.
    pub node: NodeId,
    /// The role it is audited in.
    pub role: Role,
}

impl Subject {
    /// A subject.
    pub fn new(node: u64, role: Role) -> Subject {
        Subject {
            node: NodeId(node),
            role,
        }
    }

    /// The 9-byte canonical form, `u64_be(node) ‖ u8(role)`.
    pub fn to_bytes(self) -> [u8; 9] {
        let mut b = [0u8; 9];
        b[..8].copy_from_slice(&self.node.0.to_be_bytes());
        b[8] = self.role.code();
        b
    }

    /// Decodes the 9-byte canonical form.
    ///
    /// # Errors
    /// [`ReportError::Malformed`] for a short input or an unknown role.
    pub fn from_bytes(bytes: &[u8]) -> Result<Subject, ReportError> {
        let node = bytes
            .get(..8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .ok_or(ReportError::Malformed("subject"))?;
        let role = bytes
            .get(8)
            .copied()
            .and_then(Role::from_code)
            .ok_or(ReportError::Malformed("role"))?;
        Ok(Subject {
            node: NodeId(u64::from_be_bytes(node)),
            role,
        })
    }
}

/// A subject's verdict for an epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    /// Measured and at or above the threshold.
    Pass = 0,
    /// At least one duty failed with evidence and the score is below the threshold.
    Fail = 1,
    /// Nothing was measured: no duty of this subject ended done or failed.
    NotMeasured = 2,
}

impl Verdict {
    /// The one-byte code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The verdict of a code, if it is one.
    pub fn from_code(code: u8) -> Option<Verdict> {
        match code {
            0 => Some(Verdict::Pass),
            1 => Some(Verdict::Fail),
            2 => Some(Verdict::NotMeasured),
            _ => None,
        }
    }
}

/// What decides a verdict from counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Policy {
    /// A measured subject with a score below this (basis points) fails; at most [`BPS`].
    pub pass_bps: u16,
}

impl Default for Policy {
    /// 95.00 %: one failed duty in twenty fails the epoch.
    fn default() -> Self {
        Policy { pass_bps: 9_500 }
    }
}

/// One subject's duties in one epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DutyRecord {
    /// The subject.
    pub subject: Subject,
    /// Duties scheduled.
    pub due: u32,
    /// Duties checked and correct.
    pub done: u32,
    /// Duties checked and wrong (each with evidence).
    pub failed: u32,
    /// Duties that could not be checked (including those still open at the close).
    pub not_measured: u32,
    /// The running hash of the failures' evidence ([`H256::ZERO`] when nothing failed).
    pub evidence: H256,
}

impl DutyRecord {
    /// An empty record.
    pub fn new(subject: Subject) -> DutyRecord {
        DutyRecord {
            subject,
            due: 0,
            done: 0,
            failed: 0,
            not_measured: 0,
            evidence: H256::ZERO,
        }
    }

    /// The duties that have not ended yet.
    pub fn open(&self) -> u32 {
        self.due
            .saturating_sub(self.done)
            .saturating_sub(self.failed)
            .saturating_sub(self.not_measured)
    }

    /// The score in basis points, `None` when nothing was measured.
    pub fn score_bps(&self) -> Option<u16> {
        let measured = u64::from(self.done) + u64::from(self.failed);
        if measured == 0 {
            return None;
        }
        // done ≤ measured, so the quotient is at most 10 000 and fits.
        u16::try_from(u64::from(self.done) * u64::from(BPS) / measured).ok()
    }

    /// The verdict under `policy`.
    pub fn verdict(&self, policy: &Policy) -> Verdict {
        match self.score_bps() {
            None => Verdict::NotMeasured,
            Some(s) if self.failed > 0 && s < policy.pass_bps => Verdict::Fail,
            Some(_) => Verdict::Pass,
        }
    }

    /// Appends the [`RECORD_LEN`]-byte canonical form.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.subject.to_bytes());
        for c in [self.due, self.done, self.failed, self.not_measured] {
            out.extend_from_slice(&c.to_be_bytes());
        }
        out.extend_from_slice(self.evidence.as_bytes());
    }

    /// Decodes the canonical form from exactly [`RECORD_LEN`] bytes and checks that the
    /// counts add up (`done + failed + not_measured = due`) and that evidence is present
    /// exactly when something failed.
    ///
    /// # Errors
    /// [`ReportError::Malformed`] otherwise.
    pub fn decode(bytes: &[u8]) -> Result<DutyRecord, ReportError> {
        if bytes.len() != RECORD_LEN {
            return Err(ReportError::Malformed("record length"));
        }
        let subject = Subject::from_bytes(bytes)?;
        let count = |i: usize| {
            let at = 9 + 4 * i;
            bytes
                .get(at..at + 4)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(u32::from_be_bytes)
                .ok_or(ReportError::Malformed("record"))
        };
        let r = DutyRecord {
            subject,
            due: count(0)?,
            done: count(1)?,
            failed: count(2)?,
            not_measured: count(3)?,
            evidence: H256::from_slice(&bytes[25..])
                .map_err(|_| ReportError::Malformed("record"))?,
        };
        let ended = u64::from(r.done) + u64::from(r.failed) + u64::from(r.not_measured);
        if ended != u64::from(r.due) {
            return Err(ReportError::Malformed("counts do not add up"));
        }
        if (r.failed > 0) != (r.evidence != H256::ZERO) {
            return Err(ReportError::Malformed(
                "evidence without failure or failure without evidence",
            ));
        }
        Ok(r)
    }
}

/// Why the ledger refused an event.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DutyError {
    /// The subject is not on this epoch's roster (no state is created for it).
    #[error("subject {subject:?} is not on the roster")]
    UnknownSubject {
        /// The subject named.
        subject: Subject,
    },
    /// The roster names more subjects than the ledger was built to hold.
    #[error("roster of {subjects} subjects exceeds the bound of {max}")]
    TooManySubjects {
        /// Subjects named.
        subjects: usize,
        /// The bound.
        max: usize,
    },
    /// The subject has no open duty to end.
    #[error("subject {subject:?} has no open duty")]
    NoOpenDuty {
        /// The subject named.
        subject: Subject,
    },
    /// A counter would overflow `u32`.
    #[error("duty counter overflow")]
    Overflow,
    /// The ledger is closed; the epoch's report has been taken.
    #[error("the ledger of this epoch is closed")]
    Closed,
}

/// One epoch's ledger over a fixed roster (the subjects the chain lists for the epoch).
///
/// State: one [`DutyRecord`] per roster subject, allocated once in [`DutyLedger::new`]; events
/// for a subject off the roster are refused without creating anything, and every counter is
/// checked, so the ledger never grows after it is built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DutyLedger {
    epoch: Epoch,
    records: Vec<DutyRecord>,
    closed: bool,
}

impl DutyLedger {
    /// A ledger for `epoch` over `roster` (duplicates collapse; order does not matter), holding
    /// at most `max_subjects`.
    ///
    /// # Errors
    /// [`DutyError::TooManySubjects`].
    pub fn new(
        epoch: Epoch,
        roster: impl IntoIterator<Item = Subject>,
        max_subjects: usize,
    ) -> Result<DutyLedger, DutyError> {
        let mut subjects: Vec<Subject> = Vec::new();
        for s in roster {
            if subjects.len() >= max_subjects.saturating_mul(2).max(max_subjects) {
                // Refuse before a hostile roster iterator can make us allocate without bound.
                return Err(DutyError::TooManySubjects {
                    subjects: subjects.len() + 1,
                    max: max_subjects,
                });
            }
            subjects.push(s);
        }
        subjects.sort_unstable();
        subjects.dedup();
        if subjects.len() > max_subjects {
            return Err(DutyError::TooManySubjects {
                subjects: subjects.len(),
                max: max_subjects,
            });
        }
        Ok(DutyLedger {
            epoch,
            records: subjects.into_iter().map(DutyRecord::new).collect(),
            closed: false,
        })
    }

    /// The epoch.
    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    /// The records, sorted by subject.
    pub fn records(&self) -> &[DutyRecord] {
        &self.records
    }

    /// The record of one subject.
    pub fn record(&self, subject: Subject) -> Option<&DutyRecord> {
        self.records
            .binary_search_by_key(&subject, |r| r.subject)
            .ok()
            .map(|i| &self.records[i])
    }

    fn slot(&mut self, subject: Subject) -> Result<&mut DutyRecord, DutyError> {
        if self.closed {
            return Err(DutyError::Closed);
        }
        match self.records.binary_search_by_key(&subject, |r| r.subject) {
            Ok(i) => Ok(&mut self.records[i]),
            Err(_) => Err(DutyError::UnknownSubject { subject }),
        }
    }

    /// Schedules `count` duties for `subject`.
    ///
    /// # Errors
    /// [`DutyError::UnknownSubject`], [`DutyError::Overflow`], [`DutyError::Closed`].
    pub fn schedule(&mut self, subject: Subject, count: u32) -> Result<(), DutyError> {
        let r = self.slot(subject)?;
        r.due = r.due.checked_add(count).ok_or(DutyError::Overflow)?;
        Ok(())
    }

    fn end(&mut self, subject: Subject) -> Result<&mut DutyRecord, DutyError> {
        let r = self.slot(subject)?;
        if r.open() == 0 {
            return Err(DutyError::NoOpenDuty { subject });
        }
        Ok(r)
    }

    /// Ends one open duty of `subject` as done.
    ///
    /// # Errors
    /// As [`schedule`](Self::schedule), and [`DutyError::NoOpenDuty`].
    pub fn done(&mut self, subject: Subject) -> Result<(), DutyError> {
        let r = self.end(subject)?;
        r.done += 1; // open() > 0 bounds done below due
        Ok(())
    }

    /// Ends one open duty of `subject` as failed, folding `evidence` (the hash of what shows
    /// the failure) into the subject's evidence hash. A failure always carries evidence.
    ///
    /// # Errors
    /// As [`done`](Self::done).
    pub fn failed(&mut self, subject: Subject, evidence: &H256) -> Result<(), DutyError> {
        let r = self.end(subject)?;
        r.failed += 1;
        r.evidence = zg_core::keccak256_parts(&[
            EVIDENCE_DOMAIN,
            r.evidence.as_bytes(),
            evidence.as_bytes(),
        ]);
        Ok(())
    }

    /// Ends one open duty of `subject` as not measured.
    ///
    /// # Errors
    /// As [`done`](Self::done).
    pub fn not_measured(&mut self, subject: Subject) -> Result<(), DutyError> {
        let r = self.end(subject)?;
        r.not_measured += 1;
        Ok(())
    }

    /// Closes the epoch: every open duty becomes not measured; later events are refused.
    /// Returns the final records.
    pub fn close(&mut self) -> &[DutyRecord] {
        if !self.closed {
            for r in &mut self.records {
                r.not_measured += r.open();
            }
            self.closed = true;
        }
        &self.records
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn s(n: u64) -> Subject {
        Subject::new(n, Role::Storage)
    }

    #[test]
    fn record_is_fixed_size_and_round_trips() {
        let mut l = DutyLedger::new(Epoch(1), [s(1)], 4).unwrap();
        l.schedule(s(1), 5).unwrap();
        l.done(s(1)).unwrap();
        l.failed(s(1), &H256([9; 32])).unwrap();
        let r = l.close()[0];
        assert_eq!((r.due, r.done, r.failed, r.not_measured), (5, 1, 1, 3));
        let mut b = Vec::new();
        r.encode(&mut b);
        assert_eq!(b.len(), RECORD_LEN);
        assert_eq!(RECORD_LEN, 57);
        assert_eq!(DutyRecord::decode(&b).unwrap(), r);
    }

    #[test]
    fn not_measured_is_never_a_pass() {
        let mut l = DutyLedger::new(Epoch(1), [s(1), s(2)], 4).unwrap();
        l.schedule(s(1), 3).unwrap();
        let rs = l.close();
        assert_eq!(rs[0].verdict(&Policy::default()), Verdict::NotMeasured);
        assert_eq!(rs[1].verdict(&Policy::default()), Verdict::NotMeasured);
        assert_eq!(rs[0].score_bps(), None);
    }

    #[test]
    fn score_is_integer_and_threshold_decides() {
        let mut l = DutyLedger::new(Epoch(1), [s(1)], 4).unwrap();
        l.schedule(s(1), 20).unwrap();
        for _ in 0..19 {
            l.done(s(1)).unwrap();
        }
        l.failed(s(1), &H256([1; 32])).unwrap();
        let r = l.close()[0];
        assert_eq!(r.score_bps(), Some(9_500));
        assert_eq!(r.verdict(&Policy::default()), Verdict::Pass);
        assert_eq!(r.verdict(&Policy { pass_bps: 9_501 }), Verdict::Fail);
    }

    #[test]
    fn events_off_the_roster_create_nothing() {
        let mut l = DutyLedger::new(Epoch(1), [s(1)], 1).unwrap();
        let before = l.clone();
        for n in 2..10_000 {
            assert_eq!(
                l.schedule(s(n), 1),
                Err(DutyError::UnknownSubject { subject: s(n) })
            );
            assert!(l.failed(s(n), &H256([1; 32])).is_err());
        }
        assert_eq!(l, before);
        assert!(matches!(
            DutyLedger::new(Epoch(1), (0..3).map(s), 2),
            Err(DutyError::TooManySubjects { .. })
        ));
    }

    #[test]
    fn a_duty_ends_once() {
        let mut l = DutyLedger::new(Epoch(1), [s(1)], 1).unwrap();
        l.schedule(s(1), 1).unwrap();
        l.done(s(1)).unwrap();
        assert_eq!(l.done(s(1)), Err(DutyError::NoOpenDuty { subject: s(1) }));
        assert_eq!(
            l.failed(s(1), &H256([1; 32])),
            Err(DutyError::NoOpenDuty { subject: s(1) })
        );
        l.close();
        assert_eq!(l.schedule(s(1), 1), Err(DutyError::Closed));
    }

    #[test]
    fn decoder_refuses_inconsistent_records() {
        let mut r = DutyRecord::new(s(1));
        r.due = 2;
        r.done = 2;
        let mut b = Vec::new();
        r.encode(&mut b);
        assert!(DutyRecord::decode(&b).is_ok());
        let mut short = b.clone();
        short.pop();
        assert!(DutyRecord::decode(&short).is_err());
        // due = 3 but only 2 ended
        let mut bad = b.clone();
        bad[12] = 3;
        assert!(DutyRecord::decode(&bad).is_err());
        // evidence without a failure
        let mut bad = b.clone();
        bad[40] = 1;
        assert!(DutyRecord::decode(&bad).is_err());
        // unknown role
        let mut bad = b;
        bad[8] = 4;
        assert!(DutyRecord::decode(&bad).is_err());
    }

    proptest! {
        #[test]
        fn counts_always_add_up(ops in proptest::collection::vec((0u8..4, 0u64..3), 0..200)) {
            let mut l = DutyLedger::new(Epoch(1), (0..3).map(s), 3).unwrap();
            for (op, n) in ops {
                let _ = match op {
                    0 => l.schedule(s(n), 1),
                    1 => l.done(s(n)),
                    2 => l.failed(s(n), &H256([3; 32])),
                    _ => l.not_measured(s(n)),
                };
            }
            for r in l.close() {
                let mut b = Vec::new();
                r.encode(&mut b);
                prop_assert_eq!(DutyRecord::decode(&b).unwrap(), *r);
                prop_assert_eq!(r.verdict(&Policy::default()) == Verdict::Fail, r.failed > 0
                    && r.score_bps().is_some_and(|x| x < 9_500));
            }
        }
    }
}
