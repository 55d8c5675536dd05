//! The referee: bisect two computation traces to the first differing step, then re-execute that
//! one step with integer reference operators.
//!
//! A computation is steps state₀ → state₁ → … → stateₙ with stateᵢ = opᵢ(stateᵢ₋₁). Each party
//! commits to hᵢ = keccak256(domain ‖ i ‖ stateᵢ) for every i. When they agree on h₀ (the input)
//! and disagree on hₙ, [`Bisection`] asks both for hᵢ at midpoints, keeping the invariant
//! "agree at `lo`, disagree at `hi`", so after ⌈log₂ n⌉ rounds it names a step k = lo + 1
//! with h_{k−1} agreed and h_k disputed — the first differing step whenever the traces, once
//! apart, stay apart (a lossy step could make a wrong state reconverge; the step found is then
//! still a genuinely disputed one). [`adjudicate`] then takes the agreed state_{k−1} (checked against the agreed
//! hash), recomputes opₖ with [`IntLinear`] — int8 weights and activations, int64 accumulation,
//! a rounding shift, saturation to int8 — and compares h_k with each party's claim. Integer
//! arithmetic only, so the step is bit-exact on every machine.
//!
//! The machine is sans-IO: the host relays [`Bisection::query`] to both parties and feeds their
//! answers to [`Bisection::answer`]; a party that does not answer in time loses by the host's
//! rule (timeouts are outside this type).

use zg_core::{H256, keccak256_parts};

/// Domain tag of trace hashes.
pub const TRACE_DOMAIN: &[u8] = b"zg-alignment/trace-step/v1";

/// The hash of `state` after step `index` (index 0 is the input).
pub fn step_hash(index: u64, state: &[i8]) -> H256 {
    let bytes: Vec<u8> = state.iter().map(|v| v.to_be_bytes()[0]).collect();
    keccak256_parts(&[TRACE_DOMAIN, &index.to_be_bytes(), &bytes])
}

/// An integer reference layer: y = sat₈(r + round((W·x + b) / 2^shift)), r = x for a residual
/// layer (square only) and 0 otherwise, optionally ReLU'd before saturating. Rounding is
/// half-up via an arithmetic shift of the int64 accumulator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntLinear {
    /// Output size.
    pub rows: usize,
    /// Input size.
    pub cols: usize,
    /// Row-major int8 weights, `rows × cols`.
    pub weights: Vec<i8>,
    /// int32 biases, one per row.
    pub bias: Vec<i32>,
    /// Requantisation shift (0 ..= 62).
    pub shift: u8,
    /// Apply max(0, ·) after requantising.
    pub relu: bool,
    /// Add the input back (a residual connection; needs `rows == cols`).
    pub residual: bool,
}

/// Why a reference step could not run or a dispute could not be judged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RefereeError {
    /// The layer's shapes are inconsistent, or the input has the wrong length.
    #[error("shape mismatch")]
    Shape,
    /// The supplied prior state does not hash to the agreed hash.
    #[error("prior state does not match the agreed hash")]
    PriorState,
    /// The bisection has not finished.
    #[error("bisection not finished")]
    Unfinished,
    /// An answer was for another index than the one asked.
    #[error("answer for index {got}, asked {asked}")]
    WrongIndex {
        /// Index answered.
        got: u64,
        /// Index asked.
        asked: u64,
    },
}

impl IntLinear {
    /// Runs the layer on `x` (length `cols`).
    pub fn apply(&self, x: &[i8]) -> Result<Vec<i8>, RefereeError> {
        if x.len() != self.cols
            || self.weights.len() != self.rows.saturating_mul(self.cols)
            || self.bias.len() != self.rows
            || self.shift > 62
            || (self.residual && self.rows != self.cols)
        {
            return Err(RefereeError::Shape);
        }
        let half = if self.shift == 0 {
            0
        } else {
            1i64 << (self.shift - 1)
        };
        Ok(self
            .weights
            .chunks_exact(self.cols.max(1))
            .zip(&self.bias)
            .enumerate()
            .map(|(r, (row, &b))| {
                let acc: i64 = row
                    .iter()
                    .zip(x)
                    .map(|(&w, &v)| i64::from(w) * i64::from(v))
                    .sum::<i64>()
                    + i64::from(b);
                let y = (acc + half) >> self.shift;
                let y = if self.relu { y.max(0) } else { y };
                let y = if self.residual {
                    y + i64::from(x[r])
                } else {
                    y
                };
                i8::try_from(y.clamp(-128, 127)).unwrap_or(0)
            })
            .collect())
    }
}

/// Every step hash of running `ops` from `input`: h₀ … hₙ.
pub fn trace(ops: &[IntLinear], input: &[i8]) -> Result<Vec<H256>, RefereeError> {
    let mut state = input.to_vec();
    let mut out = vec![step_hash(0, &state)];
    for (i, op) in ops.iter().enumerate() {
        state = op.apply(&state)?;
        out.push(step_hash(i as u64 + 1, &state));
    }
    Ok(out)
}

/// The bisection game over a trace of `n` steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bisection {
    lo: u64,
    hi: u64,
    agreed: H256,
    rounds: u32,
}

/// Who the re-executed step agrees with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The provider's hash is the reference result.
    ProviderRight,
    /// The challenger's hash is the reference result.
    ChallengerRight,
    /// Neither matches.
    BothWrong,
}

impl Bisection {
    /// Starts with the agreed input hash h₀ and the number of steps n ≥ 1 (the parties
    /// disagree on hₙ).
    pub fn new(steps: u64, agreed_input: H256) -> Bisection {
        Bisection {
            lo: 0,
            hi: steps.max(1),
            agreed: agreed_input,
            rounds: 0,
        }
    }

    /// The index both parties must next reveal hᵢ for, or `None` once the first differing step
    /// is pinned.
    pub fn query(&self) -> Option<u64> {
        (self.hi - self.lo > 1).then(|| self.lo + (self.hi - self.lo) / 2)
    }

    /// Both parties' hᵢ for the queried index.
    pub fn answer(
        &mut self,
        index: u64,
        provider: H256,
        challenger: H256,
    ) -> Result<(), RefereeError> {
        let asked = self.query().ok_or(RefereeError::Unfinished)?;
        if index != asked {
            return Err(RefereeError::WrongIndex { got: index, asked });
        }
        self.rounds += 1;
        if provider == challenger {
            self.lo = index;
            self.agreed = provider;
        } else {
            self.hi = index;
        }
        Ok(())
    }

    /// Rounds played so far (at most ⌈log₂ n⌉).
    pub fn rounds(&self) -> u32 {
        self.rounds
    }

    /// The first differing step k (1-based) and the agreed h_{k−1}, once finished.
    pub fn first_difference(&self) -> Option<(u64, H256)> {
        self.query().is_none().then_some((self.hi, self.agreed))
    }
}

/// Re-executes step `k` from the agreed prior state and judges the parties' claims for h_k.
pub fn adjudicate(
    game: &Bisection,
    op: &IntLinear,
    prior_state: &[i8],
    provider_hk: &H256,
    challenger_hk: &H256,
) -> Result<Verdict, RefereeError> {
    let (k, agreed) = game.first_difference().ok_or(RefereeError::Unfinished)?;
    if step_hash(k - 1, prior_state) != agreed {
        return Err(RefereeError::PriorState);
    }
    let h = step_hash(k, &op.apply(prior_state)?);
    Ok(if h == *provider_hk {
        Verdict::ProviderRight
    } else if h == *challenger_hk {
        Verdict::ChallengerRight
    } else {
        Verdict::BothWrong
    })
}
