use std::collections::BTreeMap;

use zg_core::NodeId;

use crate::drift::Fixed;
use crate::drift::fixed::SCALE;

/// The robust aggregate updates are compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aggregate {
    /// Coordinate-wise median (the lower middle for an even count).
    Median,
    /// Coordinate-wise mean after dropping the `trim` largest and smallest values.
    TrimmedMean {
        /// Values dropped at each end.
        trim: usize,
    },
}

/// Why a round could not be evaluated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UpdateError {
    /// Updates of different dimensions, or a dimension above the cap.
    #[error("update dimension mismatch or above the cap")]
    Dimension,
    /// Fewer than 3 distinct contributors, or more than the cap.
    #[error("need 3 ..= {cap} contributors, have {have}")]
    Contributors {
        /// Contributors this round.
        have: usize,
        /// The cap.
        cap: usize,
    },
    /// One contributor appears twice in a round.
    #[error("{who} submitted twice")]
    Duplicate {
        /// The contributor.
        who: NodeId,
    },
}

/// An alarm naming a contributor, with the round's evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateAlarm {
    /// The contributor.
    pub who: NodeId,
    /// The round (0-based count of evaluated rounds).
    pub round: u64,
    /// cos(uᵢ, aggregate) this round.
    pub cosine: Fixed,
    /// ‖uᵢ‖ / ‖aggregate‖ this round.
    pub norm_ratio: Fixed,
    /// The CUSUM that crossed (direction, norm).
    pub cusum: (Fixed, Fixed),
}

/// Per-contributor sequential monitor of update directions and norms (module docs).
/// Bounds: `max_contributors` tracked at once, `max_dim` coordinates; values are clamped to
/// ±10⁶ so every dot product fits.
#[derive(Clone, Debug)]
pub struct UpdateMonitor {
    aggregate: Aggregate,
    slack: Fixed,
    threshold: Fixed,
    state: BTreeMap<NodeId, (Fixed, Fixed)>,
    round: u64,
    max_contributors: usize,
    max_dim: usize,
}

const CLAMP: i128 = 1_000_000 * SCALE;

impl UpdateMonitor {
    /// A monitor with CUSUM slack k and threshold h (in units of the per-round scores: 1 − cos
    /// ranges over [0, 2], the norm excess over [0, ∞)).
    pub fn new(aggregate: Aggregate, slack: Fixed, threshold: Fixed) -> UpdateMonitor {
        UpdateMonitor {
            aggregate,
            slack: Fixed(slack.0.clamp(0, CLAMP)),
            threshold: Fixed(threshold.0.clamp(0, CLAMP)),
            state: BTreeMap::new(),
            round: 0,
            max_contributors: 1024,
            max_dim: 1 << 16,
        }
    }

    /// Contributors with CUSUM state (≤ 1024: later newcomers are evaluated but not tracked).
    pub fn tracked(&self) -> usize {
        self.state.len()
    }

    /// The robust aggregate of the round's updates.
    pub fn aggregate(&self, updates: &[(NodeId, Vec<Fixed>)]) -> Vec<Fixed> {
        let dim = updates.first().map_or(0, |u| u.1.len());
        let mut col = Vec::with_capacity(updates.len());
        (0..dim)
            .map(|j| {
                col.clear();
                col.extend(updates.iter().map(|u| u.1[j].0.clamp(-CLAMP, CLAMP)));
                col.sort_unstable();
                match self.aggregate {
                    Aggregate::Median => Fixed(col[(col.len() - 1) / 2]),
                    Aggregate::TrimmedMean { trim } => {
                        let t = trim.min((col.len() - 1) / 2);
                        let kept = &col[t..col.len() - t];
                        Fixed(kept.iter().sum::<i128>() / kept.len() as i128)
                    }
                }
            })
            .collect()
    }

    /// Evaluates one round. Updates must come from distinct, authenticated contributors; the
    /// order does not matter. Returns the alarms (and restarts those contributors' CUSUMs).
    pub fn round(
        &mut self,
        updates: &[(NodeId, Vec<Fixed>)],
    ) -> Result<Vec<UpdateAlarm>, UpdateError> {
        let n = updates.len();
        if n < 3 || n > self.max_contributors {
            return Err(UpdateError::Contributors {
                have: n,
                cap: self.max_contributors,
            });
        }
        let dim = updates[0].1.len();
        if dim == 0 || dim > self.max_dim || updates.iter().any(|u| u.1.len() != dim) {
            return Err(UpdateError::Dimension);
        }
        let mut ids: Vec<NodeId> = updates.iter().map(|u| u.0).collect();
        ids.sort_unstable();
        if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
            return Err(UpdateError::Duplicate { who: w[0] });
        }
        let agg = self.aggregate(updates);
        let agg_norm = norm(&agg);
        let round = self.round;
        self.round += 1;
        let mut alarms = Vec::new();
        for (who, u) in updates {
            let un = norm(u);
            let cosine = if agg_norm.0 == 0 || un.0 == 0 {
                Fixed::ZERO
            } else {
                Fixed(dot(u, &agg))
                    .div_round(un)
                    .and_then(|c| c.div_round(agg_norm))
                    .map_or(Fixed::ZERO, |c| Fixed(c.0.clamp(-SCALE, SCALE)))
            };
            let norm_ratio = un.div_round(agg_norm).unwrap_or(Fixed(CLAMP));
            let s_dir = Fixed(SCALE - cosine.0 - self.slack.0);
            let s_norm = Fixed((norm_ratio.0 - SCALE).max(0) - self.slack.0);
            let tracked = self.state.len() < self.max_contributors || self.state.contains_key(who);
            if !tracked {
                continue;
            }
            let st = self.state.entry(*who).or_insert((Fixed::ZERO, Fixed::ZERO));
            st.0 = Fixed((st.0.0 + s_dir.0).clamp(0, CLAMP));
            st.1 = Fixed((st.1.0 + s_norm.0).clamp(0, CLAMP));
            if st.0 > self.threshold || st.1 > self.threshold {
                alarms.push(UpdateAlarm {
                    who: *who,
                    round,
                    cosine,
                    norm_ratio,
                    cusum: *st,
                });
                *st = (Fixed::ZERO, Fixed::ZERO);
            }
        }
        Ok(alarms)
    }
}

/// Σ aᵢbᵢ at 10⁻¹⁸ (values clamped to ±10⁶, so each product < 10⁴⁸ units² ÷ 10¹⁸ fits).
fn dot(a: &[Fixed], b: &[Fixed]) -> i128 {
    a.iter()
        .zip(b)
        .map(|(x, y)| {
            let (x, y) = (x.0.clamp(-CLAMP, CLAMP), y.0.clamp(-CLAMP, CLAMP));
            Fixed(x).mul_round(Fixed(y)).0
        })
        .fold(0i128, i128::saturating_add)
}

fn norm(a: &[Fixed]) -> Fixed {
    Fixed(dot(a, a).max(0)).sqrt().unwrap_or(Fixed::ZERO)
}
