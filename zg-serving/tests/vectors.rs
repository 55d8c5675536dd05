// Test code: a panic here is a failure report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

//! zg-serving against an independent implementation: digests and signatures that eth-account
//! 0.14.0 computed (see `tests/vectors/README.md`).

use serde_json::Value;
use zg_core::{Amount, H256};
use zg_serving::eip712::{Domain, TeeSettlement};
use zg_serving::eth::{
    Address, EthSignature, RecoverRule, SecretKey, U256, eth_signed_message_hash, recover,
};

fn vectors() -> Value {
    serde_json::from_str(include_str!("vectors/eip712_vectors.json")).unwrap()
}

fn s<'a>(case: &'a Value, key: &str) -> &'a str {
    case[key].as_str().unwrap()
}

fn amount(case: &Value, key: &str) -> Amount {
    Amount::new(s(case, key).parse::<u128>().unwrap())
}

fn check_signature(
    key_hex: &str,
    address: &str,
    digest: &H256,
    signature: &str,
    rule: RecoverRule,
) {
    let key = SecretKey::from_hex(key_hex).unwrap();
    let address = Address::from_hex(address).unwrap();
    assert_eq!(key.address(), address, "address derivation");
    let ours = key.sign_prehash(digest).unwrap();
    let theirs = EthSignature::from_hex(signature).unwrap();
    assert_eq!(ours, theirs, "RFC 6979 signatures are byte-identical");
    assert_eq!(recover(digest, &theirs.0, rule), Some(address));
}

#[test]
fn eip712_settlements_match_eth_account() {
    let v = vectors();
    let cases = v["eip712"].as_array().unwrap();
    assert_eq!(cases.len(), 64);
    for case in cases {
        let domain = Domain::new(
            U256::from_dec_or_hex(s(case, "chain_id")).unwrap(),
            Address::from_hex(s(case, "verifying_contract")).unwrap(),
        );
        assert_eq!(domain.separator().to_hex(), s(case, "domain_separator"));
        let settlement = TeeSettlement {
            requests_hash: H256::from_hex(s(case, "requests_hash")).unwrap(),
            nonce: U256::from_dec_or_hex(s(case, "nonce")).unwrap(),
            provider: Address::from_hex(s(case, "provider")).unwrap(),
            user: Address::from_hex(s(case, "user")).unwrap(),
            total_fee: amount(case, "total_fee"),
        };
        assert_eq!(settlement.struct_hash().to_hex(), s(case, "struct_hash"));
        let digest = settlement.eip712_digest(&domain);
        assert_eq!(digest.to_hex(), s(case, "digest"));
        check_signature(
            s(case, "key"),
            s(case, "address"),
            &digest,
            s(case, "signature"),
            RecoverRule::OpenZeppelin,
        );
        // Checksummed display matches eth-utils.
        assert_eq!(settlement.user.to_checksum(), s(case, "user"));
    }
}

#[test]
fn eip191_settlements_match_eth_account() {
    let v = vectors();
    let cases = v["eip191_settlement"].as_array().unwrap();
    assert_eq!(cases.len(), 32);
    for case in cases {
        let settlement = TeeSettlement {
            requests_hash: H256::from_hex(s(case, "requests_hash")).unwrap(),
            nonce: U256::from_dec_or_hex(s(case, "nonce")).unwrap(),
            provider: Address::from_hex(s(case, "provider")).unwrap(),
            user: Address::from_hex(s(case, "user")).unwrap(),
            total_fee: amount(case, "total_fee"),
        };
        assert_eq!(settlement.packed_hash().to_hex(), s(case, "packed_hash"));
        let digest = settlement.eip191_digest();
        assert_eq!(digest.to_hex(), s(case, "digest"));
        check_signature(
            s(case, "key"),
            s(case, "address"),
            &digest,
            s(case, "signature"),
            RecoverRule::LegacyEcrecover,
        );
    }
}

#[test]
fn personal_sign_matches_eth_account() {
    let v = vectors();
    let cases = v["personal_sign"].as_array().unwrap();
    assert_eq!(cases.len(), 16);
    for case in cases {
        let message = hex::decode(s(case, "message").trim_start_matches("0x")).unwrap();
        let digest = eth_signed_message_hash(&message);
        assert_eq!(digest.to_hex(), s(case, "digest"));
        check_signature(
            s(case, "key"),
            s(case, "address"),
            &digest,
            s(case, "signature"),
            RecoverRule::LegacyEcrecover,
        );
        let key = SecretKey::from_hex(s(case, "key")).unwrap();
        assert_eq!(
            key.sign_message(&message).unwrap(),
            EthSignature::from_hex(s(case, "signature")).unwrap()
        );
    }
}
