//! zg-serving: the 0G inference marketplace's ledger, refunds and settlement as sans-IO state
//! machines that follow the 0G serving contracts (0g-serving-contract v1.0, 0G-FORMATS §7).
//!
//! **What it is.**
//! * [`ledger`] — [`ledger::Ledger`]: `LedgerManager` + `InferenceServing` rules in one
//!   deterministic state: ledgers, provider sub-accounts, refunds after a lock time, services
//!   with stake and TEE signers, token revocation, `settleFeesWithTEE` with the contract's
//!   per-item statuses, and the read-only preview. One [`ledger::Ledger::apply`] is the source
//!   of truth; a rejected call returns a [`LedgerError`] and changes nothing.
//! * [`eip712`], [`eth`], [`settlement`] — EIP-712 `TEESettlement` digests, the earlier
//!   EIP-191 form, secp256k1 signing/recovery with the contracts' malleability rules (k256),
//!   EIP-55 addresses, `requestsHash` as the live broker builds it, and the calldata codec.
//! * [`protocol`], [`provider`], [`user`], [`session`] — the brokers both sides run and the
//!   ledger as a network node, all [`zg_core::machine::Machine`]s of one [`protocol::Serving`]
//!   protocol: admission, receipts, settlement triggers and status handling (provider); signed
//!   expiring revocable session tokens, receipt checking, refusing over-charges and refunding
//!   (user).
//! * [`batch`] — compressed settlement beyond the live contract: a provider-signed Merkle-sum
//!   tree of receipts, committed in O(1), challengeable in O(log N); its specification is in
//!   that module's docs. Both brokers drive it end to end: a provider in
//!   [`provider::SettlementMode::Batch`] commits, serves openings, answers forced openings and
//!   finalises; every user broker audits the batches against its account ([`batch::audit`]),
//!   challenges over-charges and forces withheld openings.
//!
//! **What it is not.** No RPC, no wallet, no clock, no network: hosts (a node, the
//! `zg_core::sim` simulator, the `zg` CLI) feed inputs and carry out outputs. It does not run
//! Solidity; it re-states the contract's rules and is tested case by case against them.
//!
//! # Example
//!
//! ```
//! use zg_core::{Amount, H256, Timestamp};
//! use zg_serving::eip712::{Domain, SignatureScheme, TeeSettlement};
//! use zg_serving::eth::{Address, SecretKey, U256};
//! use zg_serving::ledger::{Call, Ledger, LedgerConfig, Limits, Op, Outcome, ServiceParams, TOKEN};
//! use zg_serving::settlement::{SettlementItem, SettlementStatus};
//!
//! let (owner, user, provider) = (Address([1; 20]), Address([2; 20]), Address([3; 20]));
//! let tee = SecretKey::from_seed(b"provider TEE");
//! let domain = Domain::new(U256::from(16601u64), Address([9; 20]));
//! let mut ledger = Ledger::new(LedgerConfig {
//!     owner, domain, lock_time_secs: 3600, limits: Limits::default(),
//! })?;
//! let t = Timestamp::from_secs(1_000);
//! let tokens = |n: u128| Amount::new(n * TOKEN);
//! // A provider stakes 100 tokens; the owner acknowledges its TEE signer.
//! let params = ServiceParams { tee_signer: tee.address(), ..ServiceParams::default() };
//! ledger.apply(t, &Call::new(provider, Op::AddOrUpdateService { params }).with_value(tokens(100)))?;
//! ledger.apply(t, &Call::new(owner, Op::AcknowledgeTeeSignerByOwner { provider }))?;
//! // A user opens a ledger with 3 tokens and moves 2 to the provider.
//! ledger.apply(t, &Call::new(user, Op::DepositFund).with_value(tokens(3)))?;
//! ledger.apply(t, &Call::new(user, Op::TransferFund { provider, amount: tokens(2) }))?;
//! // The TEE signs a settlement (EIP-712); the provider submits it.
//! let item = SettlementItem::signed(&tee, SignatureScheme::Eip712, &domain, TeeSettlement {
//!     requests_hash: H256([7; 32]), nonce: U256::from(1u64), provider, user,
//!     total_fee: tokens(1),
//! })?;
//! let call = Call::new(provider, Op::SettleFees { items: vec![item.clone(), item] });
//! let Outcome::Settled { results, paid } = ledger.apply(t, &call)? else { unreachable!() };
//! assert_eq!(results[0].status, SettlementStatus::Success);
//! assert_eq!(results[1].status, SettlementStatus::InvalidNonce); // no replay
//! assert_eq!(paid, tokens(1));
//! ledger.check_invariants().map_err(|e| zg_serving::Error::Decode(Box::leak(e.into_boxed_str())))?;
//! # Ok::<(), zg_serving::Error>(())
//! ```
//!
//! **Features.** None. A whole simulated market — chain, provider (honest, over-charging,
//! forging or withholding batches), users — lives in the unpublished `zg-testkit` crate, used
//! by the tests, benches, fuzzing and the devnet.
//!
//! **Panics and safety.** `#![forbid(unsafe_code)]`. No input — calls, messages, signatures,
//! calldata — panics: each failure is a typed [`Error`] or [`LedgerError`]; signature failures
//! are opaque. All money is [`zg_core::Amount`] with checked arithmetic. Secret keys are wiped
//! on drop (k256 `SigningKey`).
#![forbid(unsafe_code)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::cast_possible_truncation
    )
)]

pub mod batch;
pub mod eip712;
mod error;
pub mod eth;
pub mod ledger;
pub mod protocol;
pub mod provider;
pub mod session;
pub mod settlement;
pub mod user;

pub use error::{Error, LedgerError};
