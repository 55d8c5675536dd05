//! Why an answer is rejected. Each variant is one `require` of the 0G mining contract
//! (`Mine.sol`, `RecallRange.sol`, PoRA version 1), named after its revert message, plus the few
//! checks this crate adds; they are listed in the order the contract evaluates them.

/// An answer failed verification. The variants follow the contract's order of checks; the first
/// failing check is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// "MinerId cannot be zero".
    #[error("miner id is zero")]
    MinerIdZero,
    /// "MinerId does not registered".
    #[error("miner id is not registered")]
    MinerNotRegistered,
    /// "Earlier than expected subtask start block": the miner's subtask window has not opened.
    #[error("subtask window opens after block {start_block}; now at block {block}")]
    SubtaskNotStarted {
        /// The block the window starts after.
        start_block: u64,
        /// The block the answer is submitted in.
        block: u64,
    },
    /// "Mine deadline exceed": the miner's subtask window has closed.
    #[error("subtask window closed at block {end_block}; now at block {block}")]
    SubtaskDeadlineExceeded {
        /// The last block of the window.
        end_block: u64,
        /// The block the answer is submitted in.
        block: u64,
    },
    /// "Inconsistent mining digest": the answer mined another epoch's context.
    #[error("answer is for another mining context")]
    ContextMismatch,
    /// "Empty digest can not mine": this epoch has no context (it started too late).
    #[error("the current epoch has no mining context")]
    EmptyContext,
    /// "Epoch has enough submissions": `2 × targetSubmissions` answers were accepted this epoch.
    #[error("epoch already has {cap} submissions")]
    EpochFull {
        /// The cap, `2 × targetSubmissions`.
        cap: u64,
    },
    /// "Start position is not aligned" to a pricing chunk.
    #[error("range start is not aligned to a pricing chunk")]
    StartNotAligned,
    /// "Mining range overflow": the range ends past the flow's whole loads.
    #[error("mining range ends past the flow")]
    RangeOverflow,
    /// "Mining range too long": over 8 TiB per shard.
    #[error("mining range too long")]
    RangeTooLong,
    /// "Mining range too short": under `min(flow, 8 TiB × shards)`.
    #[error("mining range too short")]
    RangeTooShort,
    /// "Masked bits should be zero": `shardId & shardMask != 0`.
    #[error("shard id has bits inside the shard mask")]
    MaskedBitsSet,
    /// "Invalid sealed context digest": the seal's context does not cover the recalled seal.
    #[error("sealed context does not cover the recalled seal")]
    InvalidSealedContext,
    /// "Exceeding the allowed number of shards".
    #[error("too many shards")]
    TooManyShards,
    /// "Seal digest cannot be empty".
    #[error("sealed context digest is empty")]
    EmptySealedContext,
    /// The Merkle proof has the wrong number of siblings for the flow (this crate's check: the
    /// contract folds any length, but only `depth − 4` can reach the root without a collision).
    #[error("merkle proof has the wrong length")]
    ProofLength,
    /// "Inconsistent merkle root": the unsealed seal does not prove to the flow root.
    #[error("unsealed data does not prove to the flow root")]
    FlowRootMismatch,
    /// The range holds no whole load (the contract divides by zero).
    #[error("mining range holds no whole load")]
    EmptyMiningRange,
    /// "Recall position out of bound": the shard's load offset lies past the range.
    #[error("recalled load lies past the mining range")]
    RecallOutOfBound,
    /// The seal offset points outside the recalled load. Only under the strict policy (the
    /// contract does not bound the offset).
    #[error("seal offset lies outside the recalled load")]
    SealOffsetOutsideLoad,
    /// "Incorrect recall position".
    #[error("recall position does not match the nonce")]
    RecallPositionMismatch,
    /// The flow is shorter than the number of shards (the contract divides by zero).
    #[error("flow too short for the number of shards")]
    ShardTooSmall,
    /// "Do not reach target quality".
    #[error("quality does not reach the target")]
    TargetNotMet,
    /// "Answer has been submitted": this PoRA output was accepted before.
    #[error("answer already submitted")]
    DuplicateOutput,
}
