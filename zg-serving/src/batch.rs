//! Compressed settlement (placeholder while the ledger lands).

use zg_core::Amount;

use crate::LedgerError;
use crate::eth::Address;
use crate::ledger::{Journal, Ledger};

/// A compressed-batch call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BatchOp {}

/// A compressed-batch result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BatchOutcome {}

/// A committed batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// Held in escrow.
    pub escrow: Amount,
}

pub(crate) fn execute(
    _ledger: &mut Ledger,
    _j: &mut Journal,
    _now: u64,
    _sender: Address,
    op: &BatchOp,
) -> Result<BatchOutcome, LedgerError> {
    match *op {}
}
