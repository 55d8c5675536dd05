//! Optimistic aggregate verification: check many signatures as one aggregate, and bisect to
//! the bad ones only when the aggregate fails.
//!
//! With `k` signatures of which `b` are bad, a passing batch costs one check and a failing one
//! `O(b · log k)` checks: a failing batch is split in halves, and when the left half passes
//! the right half is known to fail and is split without being checked again. The bisection
//! itself is [`bisect`], generic over what a "check" is (zg-consensus runs it over votes
//! grouped by value, each group one aggregate); [`verify_optimistic`] runs it over signatures
//! of one message by members of an ordered set.
//!
//! # Set or each
//!
//! An aggregate check proves that the **set** it covers is valid, not that each member's
//! signature is: two colluding signers can send `s_B + X` and `s_C − X`, which verify only
//! together. [`Strictness::Set`] accepts such a pair whenever the two land in the same passing
//! half; that is sound for a certificate (the set did sign), and it is the cheap mode (two
//! pairings per check). [`Strictness::Each`] checks every signature of a batch with its own
//! 64-bit randomiser ([`Scheme::verify_batch`]), so only individually valid signatures are
//! accepted; use it when a signature is later used on its own (evidence, a receipt, a vote
//! shown to a third party). It costs one Miller loop per signature per check.

use crate::bitmap::{SignerBitmap, ValidatorIndex};
use crate::certificate::{AggregateCertificate, member_count};
use crate::error::Error;
use crate::scheme::{BatchItem, Scheme};

/// What [`bisect`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bisection<T, A> {
    /// Items in passing checks, in the order they were accepted.
    pub good: Vec<T>,
    /// Items that failed alone (each isolated by the bisection), in order.
    pub bad: Vec<T>,
    /// What each passing check returned, in order (e.g. its aggregate signature).
    pub accepted: Vec<A>,
    /// Checks performed.
    pub checks: u32,
}

/// Splits `items` until every failing check is isolated to one item.
///
/// `check` returns `Some(_)` when a sub-slice passes. `known_bad` says the caller already saw
/// `items` fail as a whole (so it is not checked again). Every item ends in exactly one of
/// [`Bisection::good`] and [`Bisection::bad`]. Bad items are those that fail **alone** —
/// provided `check` is monotone (a slice passes only if each of its items would), which is
/// what [`Strictness::Each`] gives; with a plain aggregate check, see the
/// [crate docs](crate#threat-model).
pub fn bisect<T: Clone, A>(
    items: &[T],
    known_bad: bool,
    mut check: impl FnMut(&[T]) -> Option<A>,
) -> Bisection<T, A> {
    let mut out = Bisection {
        good: Vec::with_capacity(items.len()),
        bad: Vec::new(),
        accepted: Vec::new(),
        checks: 0,
    };
    bisect_into(items, known_bad, &mut check, &mut out);
    out
}

fn bisect_into<T: Clone, A, F: FnMut(&[T]) -> Option<A>>(
    items: &[T],
    known_bad: bool,
    check: &mut F,
    out: &mut Bisection<T, A>,
) {
    if items.is_empty() {
        return;
    }
    if !known_bad {
        out.checks += 1;
        if let Some(a) = check(items) {
            out.good.extend_from_slice(items);
            out.accepted.push(a);
            return;
        }
    }
    if let [one] = items {
        out.bad.push(one.clone());
        return;
    }
    let (left, right) = items.split_at(items.len() / 2);
    out.checks += 1;
    if let Some(a) = check(left) {
        out.good.extend_from_slice(left);
        out.accepted.push(a);
        // The whole failed and the left half passed, so the right half must fail.
        bisect_into(right, true, check, out);
    } else {
        bisect_into(left, true, check, out);
        bisect_into(right, false, check, out);
    }
}

/// How strictly [`verify_optimistic`] checks a batch (see the [crate docs](crate#threat-model)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Strictness {
    /// One aggregate equation per batch: proves the accepted signers signed as a set.
    #[default]
    Set,
    /// Every signature of a batch with its own randomiser: each accepted signature is valid
    /// on its own.
    Each,
}

/// What [`verify_optimistic`] accepted and rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Optimistic<S: Scheme> {
    /// The accepted signers (one bit per member of the set).
    pub signers: SignerBitmap,
    /// The rejected signers, ascending.
    pub rejected: Vec<ValidatorIndex>,
    /// The aggregate of the accepted signatures (`None` when none was accepted).
    pub aggregate: Option<S::Signature>,
    /// Checks performed (one multi-pairing each).
    pub checks: u32,
}

impl<S: Scheme> Optimistic<S> {
    /// The accepted signatures as a certificate (`None` when none was accepted). It verifies
    /// with [`AggregateCertificate::verify`] against the same members and message.
    pub fn certificate(&self) -> Option<AggregateCertificate<S>> {
        Some(AggregateCertificate {
            signers: self.signers.clone(),
            signature: self.aggregate.clone()?,
        })
    }
}

/// Verifies signatures over one `message` by members of an ordered set (keys admitted with a
/// proof of possession), optimistically: all at once, bisecting to the bad ones on failure.
///
/// The outcome does not depend on the order of `signatures` (they are sorted by index first).
/// With [`Strictness::Set`], the accepted signers form a valid aggregate (what a certificate
/// needs); with [`Strictness::Each`], each accepted signature is valid alone.
///
/// # Errors
/// [`Error::TooManyMembers`]; [`Error::UnknownSigner`] and [`Error::DuplicateSigner`] when
/// `signatures` names an index outside the set or one index twice (the caller keeps one
/// signature per member, keyed by the authenticated sender).
pub fn verify_optimistic<S: Scheme>(
    members: &[(S::PublicKey, u128)],
    message: &[u8],
    signatures: &[(ValidatorIndex, S::Signature)],
    strictness: Strictness,
) -> Result<Optimistic<S>, Error> {
    let n = member_count(members.len())?;
    let mut items: Vec<(ValidatorIndex, &S::Signature)> =
        signatures.iter().map(|(i, s)| (*i, s)).collect();
    items.sort_by_key(|(i, _)| *i);
    for w in items.windows(2) {
        if w[0].0 == w[1].0 {
            return Err(Error::DuplicateSigner { index: w[0].0.0 });
        }
    }
    if let Some((i, _)) = items.iter().find(|(i, _)| i.0 >= n) {
        return Err(Error::UnknownSigner { index: i.0 });
    }
    let key = |i: ValidatorIndex| members.get(i.get()).map(|m| &m.0);
    let found = bisect(
        &items,
        false,
        |part: &[(ValidatorIndex, &S::Signature)]| {
            let aggregate = S::aggregate_signatures(part.iter().map(|(_, s)| *s))?;
            let ok = match strictness {
                Strictness::Set => {
                    let apk = S::aggregate_public_keys(part.iter().filter_map(|(i, _)| key(*i)))?;
                    S::verify(&apk, message, &aggregate)
                }
                Strictness::Each => {
                    let batch: Option<Vec<BatchItem<'_, S>>> = part
                        .iter()
                        .map(|(i, s)| {
                            Some(BatchItem {
                                message,
                                public_key: key(*i)?,
                                signature: *s,
                            })
                        })
                        .collect();
                    S::verify_batch(&batch?)
                }
            };
            ok.then_some(aggregate)
        },
    );
    let mut signers = SignerBitmap::new(n);
    for (i, _) in &found.good {
        signers.insert(*i);
    }
    let mut rejected: Vec<ValidatorIndex> = found.bad.iter().map(|(i, _)| *i).collect();
    rejected.sort();
    Ok(Optimistic {
        signers,
        rejected,
        aggregate: S::aggregate_signatures(&found.accepted),
        checks: found.checks,
    })
}
