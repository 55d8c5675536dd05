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
//!
//! Two checks go beyond the live broker. A token whose issue time is after `now` is refused
//! ([`TokenError::NotYetValid`]): otherwise an ephemeral token "issued" a month ahead would
//! pass the 24 h rule and live a month. And a token is a bearer credential (it travels in
//! every request), so each request carries its own signature by the user's key over the
//! token's signature, the request id, the input tokens and the output cap
//! ([`SignedToken::sign_request`], [`SignedToken::verify_request`]): whoever copies a token
//! cannot send requests of their own on the user's account, nor pre-send the user's next
//! request id to take its reply.

use zg_core::{H256, Timestamp, keccak256, keccak256_parts};

use crate::Error;
use crate::eth::{Address, EthSignature, SecretKey, ecrecover, eth_signed_message_hash};

/// Domain tag of a per-request signature (so no other signed object of the user's can pass
/// for one).
const REQUEST_TAG: &[u8] = b"zg-serving inference request v1";
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
#[non_exhaustive]
pub enum TokenError {
    /// Issued for another provider.
    #[error("token is for another provider")]
    WrongProvider,
    /// Past its expiry.
    #[error("token expired")]
    Expired,
    /// Issued after `now` (a future issue time would stretch an ephemeral token's 24 h).
    #[error("token issued in the future")]
    NotYetValid,
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
    /// (user, provider) account as last read. The account-free checks come first
    /// ([`SignedToken::verify_unbound`]), so a token that fails them says nothing about the
    /// account.
    pub fn verify(
        &self,
        provider: &Address,
        now: Timestamp,
        account: Option<&Account>,
    ) -> Result<(), TokenError> {
        self.verify_unbound(provider, now)?;
        let t = &self.token;
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
        Ok(())
    }

    /// The checks that need no chain state: the provider, the ephemeral rule, the issue time
    /// (`issued_at ≤ now`), the expiry and the user's signature. A provider runs these before
    /// it creates anything for the token's user (one signature recovery).
    pub fn verify_unbound(&self, provider: &Address, now: Timestamp) -> Result<(), TokenError> {
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
        if t.issued_at_ms > now.as_millis() {
            return Err(TokenError::NotYetValid);
        }
        if t.expires_at_ms != 0 && now.as_millis() > t.expires_at_ms {
            return Err(TokenError::Expired);
        }
        let digest = eth_signed_message_hash(&keccak256(t.message().as_bytes()).0);
        let s = &self.signature;
        if ecrecover(&digest, s.v(), &s.r(), &s.s()) != Some(t.user) {
            return Err(TokenError::BadSignature);
        }
        Ok(())
    }

    /// What the user signs for one request under this token:
    /// `keccak256(tag ‖ tokenSignature:65 ‖ requestId:8 ‖ inputTokens:8 ‖ maxOutputTokens:8)`,
    /// signed `personal_sign`-style. The token signature names the user, the provider and the
    /// token, so a request signature is good for that one request of that one session.
    pub fn request_digest(
        &self,
        request_id: u64,
        input_tokens: u64,
        max_output_tokens: u64,
    ) -> H256 {
        keccak256_parts(&[
            REQUEST_TAG,
            &self.signature.0,
            &request_id.to_be_bytes(),
            &input_tokens.to_be_bytes(),
            &max_output_tokens.to_be_bytes(),
        ])
    }

    /// The user's signature of one request ([`SignedToken::request_digest`]).
    pub fn sign_request(
        &self,
        key: &SecretKey,
        request_id: u64,
        input_tokens: u64,
        max_output_tokens: u64,
    ) -> Result<EthSignature, Error> {
        key.sign_message(
            &self
                .request_digest(request_id, input_tokens, max_output_tokens)
                .0,
        )
    }

    /// Whether `signature` is the token's user's signature of this request.
    pub fn verify_request(
        &self,
        request_id: u64,
        input_tokens: u64,
        max_output_tokens: u64,
        signature: &EthSignature,
    ) -> bool {
        let digest = eth_signed_message_hash(
            &self
                .request_digest(request_id, input_tokens, max_output_tokens)
                .0,
        );
        ecrecover(&digest, signature.v(), &signature.r(), &signature.s()) == Some(self.token.user)
    }
}
