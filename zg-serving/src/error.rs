//! Errors of zg-serving: decoding and signing failures ([`Error`]) and contract reverts
//! ([`LedgerError`]).

use zg_core::Amount;

use crate::eth::Address;

/// Everything outside the ledger's own rules that can go wrong: malformed input, keys,
/// signing, and a rejected ledger call (wrapped). Untrusted input gets one of these, never a
/// panic.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A byte string had the wrong length.
    #[error("invalid {what} length: expected {expected} bytes, got {got}")]
    InvalidLength {
        /// What was being read.
        what: &'static str,
        /// The length required.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A hex string was malformed or of the wrong length.
    #[error("invalid hex for {what}")]
    InvalidHex {
        /// What was being read.
        what: &'static str,
    },
    /// A mixed-case address whose EIP-55 checksum does not match.
    #[error("address checksum (EIP-55) does not match")]
    BadChecksum,
    /// A decimal number was malformed or does not fit 256 bits.
    #[error("invalid number")]
    InvalidNumber,
    /// A secret key was zero or not below the group order.
    #[error("invalid secp256k1 secret key")]
    InvalidKey,
    /// Signing failed (a signature with no Ethereum `v`; probability ~2^-127).
    #[error("signing failed")]
    SigningFailed,
    /// A signature did not verify (opaque on purpose).
    #[error("invalid signature")]
    InvalidSignature,
    /// ABI or wire bytes could not be decoded.
    #[error("decode error: {0}")]
    Decode(&'static str),
    /// A Merkle-sum proof or batch opening did not verify (opaque on purpose).
    #[error("invalid proof")]
    InvalidProof,
    /// Token arithmetic overflowed.
    #[error("amount overflow")]
    Overflow,
    /// A ledger call was rejected (the contract would revert).
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// A ledger call the contract would revert, with the contract's reason. The ledger's state is
/// unchanged after any of these.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// `LedgerNotExists(user)`.
    #[error("ledger of {user} does not exist")]
    LedgerNotExists {
        /// The user.
        user: Address,
    },
    /// `LedgerExists(user)`.
    #[error("ledger of {user} already exists")]
    LedgerExists {
        /// The user.
        user: Address,
    },
    /// "Minimum deposit of 3 0G required".
    #[error("a new ledger needs at least {required} (got {got})")]
    BelowMinimumDeposit {
        /// The minimum.
        required: Amount,
        /// The value sent.
        got: Amount,
    },
    /// "Deposit amount must be greater than zero".
    #[error("deposit must be greater than zero")]
    ZeroDeposit,
    /// `AdditionalInfoTooLong` (over 4 KiB).
    #[error("additional info too long: {len} bytes")]
    AdditionalInfoTooLong {
        /// Its length.
        len: usize,
    },
    /// `InsufficientBalance(user)`: a ledger withdrawal above the available balance.
    #[error("insufficient available balance in the ledger of {user}")]
    InsufficientBalance {
        /// The user.
        user: Address,
    },
    /// "Must maintain minimum balance of 3 0G or withdraw all funds".
    #[error("a withdrawal must leave 0 or at least {minimum} (would leave {remaining})")]
    MustKeepMinimum {
        /// The minimum to keep.
        minimum: Amount,
        /// What would remain.
        remaining: Amount,
    },
    /// "Must withdraw all funds first".
    #[error("withdraw all funds before deleting the ledger")]
    FundsRemaining,
    /// "Minimum 1 0G required for new sub account".
    #[error("the first transfer to a provider needs at least {required} (got {got})")]
    BelowMinimumTransfer {
        /// The minimum.
        required: Amount,
        /// The amount asked.
        got: Amount,
    },
    /// "Insufficient balance": a transfer above the ledger's available balance.
    #[error("transfer needs {needed}, ledger has {available} available")]
    InsufficientAvailable {
        /// Available in the ledger.
        available: Amount,
        /// Needed from it.
        needed: Amount,
    },
    /// `TooManyProviders(requested, maximum)`.
    #[error("too many providers: {requested} > {maximum}")]
    TooManyProviders {
        /// How many were given.
        requested: usize,
        /// The limit.
        maximum: usize,
    },
    /// `AccountNotExists(user, provider)`.
    #[error("account ({user}, {provider}) does not exist")]
    AccountNotExists {
        /// The user.
        user: Address,
        /// The provider.
        provider: Address,
    },
    /// `InvalidAddress(addr)`: the zero address where one is needed.
    #[error("invalid address {address}")]
    InvalidAddress {
        /// The address.
        address: Address,
    },
    /// `ProviderCannotBeUser()`.
    #[error("a provider cannot be its own user")]
    ProviderCannotBeUser,
    /// `TooManyRefunds(user, provider)`: five refunds already pending.
    #[error("account ({user}, {provider}) already has the maximum of pending refunds")]
    TooManyRefunds {
        /// The user.
        user: Address,
        /// The provider.
        provider: Address,
    },
    /// `CannotRevokeWithNonZeroBalance(user, provider, balance)`.
    #[error("cannot withdraw the acknowledgement of ({user}, {provider}) with balance {balance}")]
    CannotRevokeWithNonZeroBalance {
        /// The user.
        user: Address,
        /// The provider.
        provider: Address,
        /// The balance left.
        balance: Amount,
    },
    /// `ServiceNotExist(provider)`.
    #[error("service of {provider} does not exist")]
    ServiceNotExist {
        /// The provider.
        provider: Address,
    },
    /// `CannotAddStakeWhenUpdating()`.
    #[error("cannot add stake when updating a service")]
    CannotAddStakeWhenUpdating,
    /// `InsufficientStake(provided, required)`.
    #[error("stake {provided} below the required {required}")]
    InsufficientStake {
        /// The value sent.
        provided: Amount,
        /// The minimum.
        required: Amount,
    },
    /// `Ownable: caller is not the owner`.
    #[error("{caller} is not the owner")]
    NotOwner {
        /// The caller.
        caller: Address,
    },
    /// `LockTimeOutOfRange(lockTime, min, max)`.
    #[error("lock time {lock_time}s outside [{min}s, {max}s]")]
    LockTimeOutOfRange {
        /// The lock time asked for, in seconds.
        lock_time: u64,
        /// The minimum (1 hour).
        min: u64,
        /// The maximum (7 days).
        max: u64,
    },
    /// `NoSettlementsProvided()`.
    #[error("no settlements provided")]
    NoSettlementsProvided,
    /// `TooManySettlements(count, max)`.
    #[error("too many settlements: {count} > {max}")]
    TooManySettlements {
        /// How many were given.
        count: usize,
        /// The limit (50).
        max: usize,
    },
    /// A value sent to a function that is not payable.
    #[error("function is not payable (sent {value})")]
    NotPayable {
        /// The value sent.
        value: Amount,
    },
    /// Token arithmetic would overflow (Solidity 0.8 panics with 0x11).
    #[error("arithmetic overflow")]
    Overflow,
    /// A compressed batch id that does not exist.
    #[error("batch {id} does not exist")]
    BatchNotExists {
        /// The batch id.
        id: u64,
    },
    /// A compressed-batch call that its state does not allow (window closed, wrong caller, …).
    #[error("batch {id}: {reason}")]
    BatchState {
        /// The batch id.
        id: u64,
        /// What is wrong.
        reason: &'static str,
    },
    /// A compressed batch commitment that fails its checks (signature, nonce, prices, sequence).
    #[error("batch commitment rejected: {reason}")]
    BadCommitment {
        /// What is wrong.
        reason: &'static str,
    },
    /// A signer change or service removal while the provider has compressed batches open to
    /// challenges or awaiting an opening: what those batches are judged by (the TEE signer,
    /// the stake behind the penalty) is fixed until they close.
    #[error("{provider} has {open} compressed batch(es) open")]
    OpenBatches {
        /// The provider.
        provider: Address,
        /// How many of its batches are open or awaiting an opening.
        open: u64,
    },
    /// A transaction whose `sender` is not the address the transport authenticated its node
    /// as (see [`crate::protocol::LedgerNode`]).
    #[error("transaction sender is not the authenticated peer")]
    SenderNotAuthenticated,
    /// A challenge that proves nothing (opaque about why).
    #[error("challenge rejected")]
    ChallengeRejected,
}

impl From<zg_core::Error> for LedgerError {
    fn from(_: zg_core::Error) -> Self {
        LedgerError::Overflow
    }
}
