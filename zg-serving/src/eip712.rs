//! The settlement signatures: EIP-712 typed data (contract v1.0) and the earlier EIP-191
//! personal-sign form.
//!
//! [EIP-712](https://eips.ethereum.org/EIPS/eip-712) digest of a settlement:
//!
//! ```text
//! domainSeparator = keccak256(abi.encode(DOMAIN_TYPEHASH, keccak256("0G Inference Serving"),
//!                                        keccak256("1"), chainId, verifyingContract))
//! structHash      = keccak256(abi.encode(SETTLEMENT_TYPEHASH, requestsHash, nonce, provider,
//!                                        user, totalFee))
//! digest          = keccak256(0x19 ‖ 0x01 ‖ domainSeparator ‖ structHash)
//! ```
//!
//! The earlier contracts signed `keccak256(abi.encodePacked(requestsHash, nonce, provider, user,
//! totalFee))` with the EIP-191 `0x45` prefix (`"\x19Ethereum Signed Message:\n32"`).

use zg_core::{Amount, H256, keccak256, keccak256_parts};

use crate::eth::{Address, RecoverRule, U256, eth_signed_message_hash};

/// `"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"`.
pub const DOMAIN_TYPE: &str =
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";
/// `"TEESettlement(bytes32 requestsHash,uint256 nonce,address provider,address user,uint256 totalFee)"`.
pub const SETTLEMENT_TYPE: &str = "TEESettlement(bytes32 requestsHash,uint256 nonce,address provider,address user,uint256 totalFee)";
/// The domain name of the inference serving contract.
pub const DOMAIN_NAME: &str = "0G Inference Serving";
/// The domain version of the inference serving contract.
pub const DOMAIN_VERSION: &str = "1";

/// `keccak256(DOMAIN_TYPE)` = `8b73c3c6…39400f` (0G-FORMATS §7).
pub fn domain_typehash() -> H256 {
    keccak256(DOMAIN_TYPE.as_bytes())
}

/// `keccak256(SETTLEMENT_TYPE)` = `6e525043…18b756` (0G-FORMATS §7).
pub fn settlement_typehash() -> H256 {
    keccak256(SETTLEMENT_TYPE.as_bytes())
}

/// Which signature a service's settlements carry. The live contract (v1.0) takes EIP-712; the
/// earlier contracts took EIP-191. A [`crate::ledger::Ledger`] lets each service choose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum SignatureScheme {
    /// EIP-712 typed data, recovered with OpenZeppelin `ECDSA.tryRecover` (low-s, `v ∈ {27,28}`).
    #[default]
    Eip712,
    /// EIP-191 personal-sign over the packed fields, recovered with raw `ecrecover` (`v` of 0/1
    /// shifted by 27, high-s accepted — exactly as the earlier contracts behaved).
    Eip191,
}

impl SignatureScheme {
    /// The recovery rule the contract applies for this scheme.
    pub fn recover_rule(self) -> RecoverRule {
        match self {
            SignatureScheme::Eip712 => RecoverRule::OpenZeppelin,
            SignatureScheme::Eip191 => RecoverRule::LegacyEcrecover,
        }
    }
}

/// An EIP-712 domain of the serving contract: `{name, version}` fixed, `chainId` and
/// `verifyingContract` per deployment. Holds its separator, computed once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Domain {
    /// The chain id (`block.chainid`).
    pub chain_id: U256,
    /// The serving contract's address (`address(this)`).
    pub verifying_contract: Address,
    separator: H256,
}

impl Domain {
    /// The domain of the contract at `verifying_contract` on chain `chain_id`.
    pub fn new(chain_id: U256, verifying_contract: Address) -> Domain {
        let separator = keccak256_parts(&[
            &domain_typehash().0,
            &keccak256(DOMAIN_NAME.as_bytes()).0,
            &keccak256(DOMAIN_VERSION.as_bytes()).0,
            &chain_id.0,
            &verifying_contract.to_word(),
        ]);
        Domain {
            chain_id,
            verifying_contract,
            separator,
        }
    }

    /// The domain separator.
    pub fn separator(&self) -> H256 {
        self.separator
    }

    /// `keccak256(0x19 ‖ 0x01 ‖ separator ‖ struct_hash)`.
    pub fn digest(&self, struct_hash: &H256) -> H256 {
        keccak256_parts(&[b"\x19\x01", &self.separator.0, &struct_hash.0])
    }
}

/// The fields a TEE signer signs for one settlement item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TeeSettlement {
    /// Hash of the settled requests (see [`crate::settlement::requests_hash`]).
    pub requests_hash: H256,
    /// Must exceed the account's nonce.
    pub nonce: U256,
    /// The provider being paid.
    pub provider: Address,
    /// The user being charged.
    pub user: Address,
    /// The fee claimed.
    pub total_fee: Amount,
}

impl TeeSettlement {
    /// `keccak256(abi.encode(SETTLEMENT_TYPEHASH, requestsHash, nonce, provider, user, totalFee))`.
    pub fn struct_hash(&self) -> H256 {
        keccak256_parts(&[
            &settlement_typehash().0,
            &self.requests_hash.0,
            &self.nonce.0,
            &self.provider.to_word(),
            &self.user.to_word(),
            &self.total_fee.to_be_word(),
        ])
    }

    /// The EIP-712 digest under `domain`.
    pub fn eip712_digest(&self, domain: &Domain) -> H256 {
        domain.digest(&self.struct_hash())
    }

    /// `keccak256(abi.encodePacked(requestsHash, nonce, provider, user, totalFee))`, the message
    /// the earlier contracts had signed.
    pub fn packed_hash(&self) -> H256 {
        keccak256_parts(&[
            &self.requests_hash.0,
            &self.nonce.0,
            &self.provider.0,
            &self.user.0,
            &self.total_fee.to_be_word(),
        ])
    }

    /// The EIP-191 digest of [`TeeSettlement::packed_hash`].
    pub fn eip191_digest(&self) -> H256 {
        eth_signed_message_hash(&self.packed_hash().0)
    }

    /// The digest the contract recovers from under `scheme`.
    pub fn digest(&self, scheme: SignatureScheme, domain: &Domain) -> H256 {
        match scheme {
            SignatureScheme::Eip712 => self.eip712_digest(domain),
            SignatureScheme::Eip191 => self.eip191_digest(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typehashes_match_0g_formats() {
        assert_eq!(
            domain_typehash().to_hex(),
            "0x8b73c3c69bb8fe3d512ecc4cf759cc79239f7b179b0ffacaa9a75d522b39400f"
        );
        assert_eq!(
            settlement_typehash().to_hex(),
            "0x6e525043a6c7323bdf60ce222f35127cdd9d8e867ec6350c83fcc254ed18b756"
        );
    }

    #[test]
    fn digest_changes_with_every_field() {
        let domain = Domain::new(U256::from(16601u64), Address([7; 20]));
        let base = TeeSettlement {
            requests_hash: H256([1; 32]),
            nonce: U256::from(5u64),
            provider: Address([2; 20]),
            user: Address([3; 20]),
            total_fee: Amount::new(100),
        };
        let d = base.eip712_digest(&domain);
        let variants = [
            TeeSettlement {
                requests_hash: H256([9; 32]),
                ..base
            },
            TeeSettlement {
                nonce: U256::from(6u64),
                ..base
            },
            TeeSettlement {
                provider: Address([3; 20]),
                ..base
            },
            TeeSettlement {
                user: Address([2; 20]),
                ..base
            },
            TeeSettlement {
                total_fee: Amount::new(101),
                ..base
            },
        ];
        for v in variants {
            assert_ne!(v.eip712_digest(&domain), d);
            assert_ne!(v.eip191_digest(), base.eip191_digest());
        }
        assert_ne!(
            base.eip712_digest(&Domain::new(U256::from(1u64), Address([7; 20]))),
            d
        );
        assert_ne!(
            base.eip712_digest(&Domain::new(U256::from(16601u64), Address([8; 20]))),
            d
        );
    }
}
