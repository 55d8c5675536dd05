//! Difficulty: how `poraTarget` moves from epoch to epoch (`PoraMine._adjustDifficultyOnNewEpoch`,
//! `_adjustDifficultyInner`; 0G-FORMATS §5).
//!
//! When the first answer of a new epoch arrives, the contract looks back at the last mined epoch:
//! with `s = target >> 16` (16 bits dropped so products cannot overflow),
//!
//! * `expected = s × targetSubmissions / submissions` (full-precision `mulDiv`), or
//!   `(2^256 − 1) >> 16` when nothing was submitted;
//! * `adjusted = (s × (n − 1) + expected) / n` with `n = difficultyAdjustRatio` (20);
//! * clamped to `[s / 2, 2s]` and to `(2^256 − 1) >> 16`;
//! * `target = adjusted << 16`, capped at `(2^256 − 1) / minDifficulty` when one is set.
//!
//! All arithmetic is on 256-bit integers; where Solidity would revert (an overflow, a zero
//! ratio) these functions return a [`DifficultyError`].

use ruint::aliases::{U256, U512};

/// `difficultyAdjustRatio` as deployed: each epoch moves the target 1/20 of the way.
pub const DIFFICULTY_ADJUST_RATIO: u64 = 20;

/// Where the contract's difficulty arithmetic would revert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum DifficultyError {
    /// A 256-bit product or sum overflowed.
    #[error("difficulty arithmetic overflows 256 bits")]
    Overflow,
    /// The adjust ratio is zero (`n − 1` underflows).
    #[error("difficulty adjust ratio is zero")]
    ZeroRatio,
    /// The initial difficulty is zero (division by zero).
    #[error("difficulty is zero")]
    ZeroDifficulty,
}

/// The initial target for a difficulty: `(2^256 − 1) / difficulty` (`PoraMine.initialize`).
pub fn target_for_difficulty(difficulty: U256) -> Result<U256, DifficultyError> {
    U256::MAX
        .checked_div(difficulty)
        .ok_or(DifficultyError::ZeroDifficulty)
}

/// The largest target allowed: `(2^256 − 1) / minDifficulty`, or `2^256 − 1` when it is zero.
pub fn max_target(min_difficulty: U256) -> U256 {
    U256::MAX.checked_div(min_difficulty).unwrap_or(U256::MAX)
}

/// `scaledExpected` at the end of an epoch that had `submissions` answers for
/// `target_submissions` wanted.
pub fn scaled_expected(
    target: U256,
    target_submissions: u64,
    submissions: u64,
) -> Result<U256, DifficultyError> {
    if submissions == 0 {
        return Ok(U256::MAX >> 16);
    }
    let scaled = U512::from(target >> 16usize);
    let wide = scaled * U512::from(target_submissions) / U512::from(submissions);
    U256::checked_from_limbs_slice(wide.as_limbs()).ok_or(DifficultyError::Overflow)
}

/// One adjustment step toward `scaled_expected` (`_adjustDifficultyInner`), clamped and capped at
/// `max_target`.
pub fn adjust(
    target: U256,
    scaled_expected: U256,
    ratio: u64,
    max_target: U256,
) -> Result<U256, DifficultyError> {
    let scaled: U256 = target >> 16;
    let n_minus_1 = ratio.checked_sub(1).ok_or(DifficultyError::ZeroRatio)?;
    let mut adjusted = scaled
        .checked_mul(U256::from(n_minus_1))
        .and_then(|x| x.checked_add(scaled_expected))
        .ok_or(DifficultyError::Overflow)?
        / U256::from(ratio);
    // `scaled < 2^240`, so doubling cannot overflow.
    let upper: U256 = scaled << 1usize;
    let lower: U256 = scaled >> 1usize;
    if adjusted > upper {
        adjusted = upper;
    }
    if adjusted < lower {
        adjusted = lower;
    }
    adjusted = adjusted.min(U256::MAX >> 16usize);
    Ok((adjusted << 16usize).min(max_target))
}

/// The target after an epoch with `submissions` answers (`_adjustDifficultyOnNewEpoch`).
pub fn next_epoch_target(
    target: U256,
    target_submissions: u64,
    submissions: u64,
    ratio: u64,
    max_target: U256,
) -> Result<U256, DifficultyError> {
    adjust(
        target,
        scaled_expected(target, target_submissions, submissions)?,
        ratio,
        max_target,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(x: u128) -> U256 {
        U256::from(x)
    }

    #[test]
    fn on_target_stays() {
        let t = u(1000) << 200;
        assert_eq!(next_epoch_target(t, 100, 100, 20, U256::MAX), Ok(t));
    }

    #[test]
    fn half_the_answers_moves_a_twentieth_of_the_way() {
        let t = u(1000) << 200;
        let s = t >> 16;
        // expected = 2s; adjusted = (19s + 2s) / 20.
        let want = ((s * u(19) + s * u(2)) / u(20)) << 16;
        assert_eq!(next_epoch_target(t, 100, 50, 20, U256::MAX), Ok(want));
        // Twice the answers: (19s + s/2) / 20, harder.
        let harder = next_epoch_target(t, 100, 200, 20, U256::MAX).unwrap();
        assert_eq!(harder, ((s * u(19) + s / u(2)) / u(20)) << 16);
        assert!(harder < t);
    }

    #[test]
    fn clamps() {
        let t = u(1) << 100;
        let s = t >> 16;
        // No answers at all: the target doubles at most.
        assert_eq!(
            next_epoch_target(t, 100, 0, 20, U256::MAX),
            Ok((s * u(2)) << 16)
        );
        // With n = 1 the step is the whole way; many answers halve the target at most.
        assert_eq!(
            next_epoch_target(t, 100, 1_000_000, 1, U256::MAX),
            Ok((s / u(2)) << 16)
        );
        // Near the top the target stops at (2^256 − 1) >> 16 << 16.
        assert_eq!(
            next_epoch_target(U256::MAX, 1, 0, 20, U256::MAX),
            Ok((U256::MAX >> 16) << 16)
        );
        // And never above the cap of a minimum difficulty.
        let cap = max_target(u(1000));
        assert_eq!(next_epoch_target(U256::MAX, 1, 0, 20, cap), Ok(cap));
    }

    #[test]
    fn reverts_become_errors() {
        assert_eq!(
            adjust(u(5) << 20, u(1), 0, U256::MAX),
            Err(DifficultyError::ZeroRatio)
        );
        assert_eq!(
            adjust(U256::MAX, U256::MAX >> 16, u64::MAX, U256::MAX),
            Err(DifficultyError::Overflow)
        );
        assert_eq!(
            scaled_expected(U256::MAX, u64::MAX, 1),
            Err(DifficultyError::Overflow)
        );
        assert_eq!(
            target_for_difficulty(U256::ZERO),
            Err(DifficultyError::ZeroDifficulty)
        );
        assert_eq!(target_for_difficulty(u(2)), Ok(U256::MAX >> 1));
        assert_eq!(max_target(U256::ZERO), U256::MAX);
    }
}
