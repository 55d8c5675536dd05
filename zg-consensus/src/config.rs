//! Node configuration.

use zg_core::{Epoch, H256};

use crate::Error;
use crate::types::{Height, Round};

/// `timeout(r) = base + r · delta` milliseconds, the paper's
/// `timeoutX(r) = initTimeoutX + r · timeoutDelta` (§3), reset every height.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Timeout {
    /// `initTimeoutX`.
    pub base_ms: u64,
    /// `timeoutDelta`.
    pub delta_ms: u64,
}

impl Timeout {
    /// The timeout of round `r`, saturating.
    pub fn at(&self, round: Round) -> u64 {
        self.base_ms
            .saturating_add(self.delta_ms.saturating_mul(u64::from(round.0)))
    }
}

/// Configuration of a [`Node`](crate::Node). Every node of a network must agree on `network`,
/// `partitions` and `heights_per_epoch`; the rest is local.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Config {
    /// Network id, bound into every signature.
    pub network: H256,
    /// Number of partitions (`PartitionId(0)..PartitionId(partitions)`), 1 to 65,536.
    pub partitions: u32,
    /// Heights per epoch: height `h` of any partition belongs to epoch `h / heights_per_epoch`.
    pub heights_per_epoch: u64,
    /// `timeoutPropose`.
    pub timeout_propose: Timeout,
    /// `timeoutPrevote`.
    pub timeout_prevote: Timeout,
    /// `timeoutPrecommit`.
    pub timeout_precommit: Timeout,
    /// Messages for rounds further than this above the current one are ignored (bounds memory).
    pub max_round_lookahead: u32,
    /// How often our own messages of the current round are sent again (standing in for
    /// reliable gossip: a message lost before the network stabilised still arrives after).
    pub resend: Timeout,
    /// Commit certificates kept per partition to serve peers that fell behind.
    pub history: usize,
    /// Messages for the next height held per partition until it starts.
    pub max_buffered: usize,
    /// Certificates per catch-up reply.
    pub sync_batch: usize,
    /// Least time between two catch-up replies to (or requests from) one peer for one height.
    pub resend_interval_ms: u64,
    /// Share of stake slashed for equivocation, in basis points.
    pub slash_fraction_bps: u32,
    /// Validator sets of past epochs kept (to check evidence and certificates).
    pub keep_epochs: usize,
    /// Decisions (over all partitions) between WAL checkpoints; 0 never checkpoints.
    pub checkpoint_every: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            network: H256::ZERO,
            partitions: 1,
            heights_per_epoch: 1000,
            timeout_propose: Timeout {
                base_ms: 600,
                delta_ms: 150,
            },
            timeout_prevote: Timeout {
                base_ms: 300,
                delta_ms: 100,
            },
            timeout_precommit: Timeout {
                base_ms: 300,
                delta_ms: 100,
            },
            resend: Timeout {
                base_ms: 500,
                delta_ms: 250,
            },
            max_round_lookahead: 64,
            history: 8,
            max_buffered: 512,
            sync_batch: 16,
            resend_interval_ms: 500,
            slash_fraction_bps: 500,
            keep_epochs: 8,
            checkpoint_every: 1000,
        }
    }
}

impl Config {
    /// Checks the values are usable.
    pub fn validate(&self) -> Result<(), Error> {
        if self.partitions == 0 || self.partitions > 65_536 {
            return Err(Error::InvalidConfig("partitions must be 1..=65536"));
        }
        if self.heights_per_epoch == 0 {
            return Err(Error::InvalidConfig("heights_per_epoch must be positive"));
        }
        if self.slash_fraction_bps > 10_000 {
            return Err(Error::InvalidConfig("slash fraction above 100%"));
        }
        Ok(())
    }

    /// The epoch of a height.
    pub fn epoch_of(&self, height: Height) -> Epoch {
        Epoch(height.0 / self.heights_per_epoch.max(1))
    }
}
