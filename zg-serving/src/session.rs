//! Session tokens: what a user signs once so a provider can serve many requests.
//!
//! As the live brokers do (0g-serving-broker `request.go`, `ValidateSession`): a token names the
//! user, the provider, an issue time, an expiry (0 = never, persistent tokens only), a nonce, the
//! account's token generation and a token id (0–254 persistent, 255 ephemeral: must expire
//! within 24 h, revocable only by generation). The user signs
//! `personal_sign(keccak256(message))` where `message` is the token's JSON
//! ([`SessionToken::message`]). The provider accepts it while it is unexpired, its generation
//! equals the account's, and (persistent ids) its bit in the account's revocation bitmap is
//! clear — so `revokeToken`/`revokeAllTokens` on chain revoke it.

use zg_core::{H256, Timestamp, keccak256, keccak256_parts};

use crate::Error;
use crate::eth::{Address, EthSignature, SecretKey, ecrecover, eth_signed_message_hash};
use crate::ledger::Account;

/// The token id reserved for ephemeral tokens.
pub const EPHEMERAL_TOKEN_ID: u8 = 255;
/// The longest an ephemeral token may live, in milliseconds (24 h).
pub const EPHEMERAL_MAX_MS: u64 = 24 * 3600 * 1000;

/// The fields of a session token.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SessionToken {
    /// The user.
    pub user: Address,
    /// The provider it is for.
    pub provider: Address,
    /// Issue time, milliseconds.
    pub issued_at_ms: u64,
    /// Expiry, milliseconds (0 = never).
    pub expires_at_ms: u64,
    /// A nonce chosen by the user.
    pub nonce: u64,
    /// The account's token generation when issued.
    pub generation: u64,
    /// 0–254 persistent, 255 ephemeral.
    pub token_id: u8,
}

/// Why a provider refuses a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum TokenError {
    /// Issued for another provider.
    #[error("token is for another provider")]
    WrongProvider,
    /// Past its expiry.
    #[error("token expired")]
    Expired,
    /// An ephemeral token without expiry or living over 24 h.
    #[error("ephemeral token without a valid expiry")]
    BadEphemeral,
    /// Revoked by bitmap or generation.
    #[error("token revoked")]
    Revoked,
    /// A generation the account has not reached.
    #[error("token from a future generation")]
    FutureGeneration,
    /// No (user, provider) account.
    #[error("no account")]
    NoAccount,
    /// The signature is not the user's.
    #[error("bad token signature")]
    BadSignature,
}

impl SessionToken {
    /// The signed message: the token's JSON, keys in the SDK's order.
    pub fn message(&self) -> String {
        format!(
            r#"{{"address":"{}","provider":"{}","timestamp":{},"expiresAt":{},"nonce":"{}","generation":{},"tokenId":{}}}"#,
            self.user.to_checksum(),
            self.provider.to_checksum(),
            self.issued_at_ms,
            self.expires_at_ms,
            self.nonce,
            self.generation,
            self.token_id
        )
    }

    /// Signs the token with the user's key.
    pub fn sign(self, key: &SecretKey) -> Result<SignedToken, Error> {
        let signature = key.sign_message(&keccak256(self.message().as_bytes()).0)?;
        Ok(SignedToken {
            token: self,
            signature,
        })
    }
}

/// A token and the user's signature.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SignedToken {
    /// The token.
    pub token: SessionToken,
    /// `personal_sign(keccak256(token.message()))`.
    pub signature: EthSignature,
}

impl SignedToken {
    /// The hash a provider gives the request `request_id` of `input_tokens` served under this
    /// token (a receipt's `requestHash`):
    /// `keccak256(user ‖ requestId:8 ‖ inputTokens:8 ‖ tokenSignature:65)`. The user computes
    /// it too, to recognise a billed request whose receipt never reached it.
    pub fn request_hash(&self, request_id: u64, input_tokens: u64) -> H256 {
        keccak256_parts(&[
            &self.token.user.0,
            &request_id.to_be_bytes(),
            &input_tokens.to_be_bytes(),
            &self.signature.0,
        ])
    }

    /// The checks a provider runs, in the live broker's order; `account` is the on-chain
    /// (user, provider) account as last read.
    pub fn verify(
        &self,
        provider: &Address,
        now: Timestamp,
        account: Option<&Account>,
    ) -> Result<(), TokenError> {
        let t = &self.token;
        if t.provider != *provider {
            return Err(TokenError::WrongProvider);
        }
        if t.token_id == EPHEMERAL_TOKEN_ID
            && (t.expires_at_ms == 0
                || t.expires_at_ms.saturating_sub(t.issued_at_ms) > EPHEMERAL_MAX_MS)
        {
            return Err(TokenError::BadEphemeral);
        }
        if t.expires_at_ms != 0 && now.as_millis() > t.expires_at_ms {
            return Err(TokenError::Expired);
        }
        let account = account.ok_or(TokenError::NoAccount)?;
        if t.generation < account.generation {
            return Err(TokenError::Revoked);
        }
        if t.generation > account.generation {
            return Err(TokenError::FutureGeneration);
        }
        if t.token_id != EPHEMERAL_TOKEN_ID && account.is_token_revoked(t.token_id) {
            return Err(TokenError::Revoked);
        }
        let digest = eth_signed_message_hash(&keccak256(t.message().as_bytes()).0);
        let s = &self.signature;
        if ecrecover(&digest, s.v(), &s.r(), &s.s()) != Some(t.user) {
            return Err(TokenError::BadSignature);
        }
        Ok(())
    }
}
