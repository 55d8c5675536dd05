// Test code: a panic here is a failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

//! `zg serving` end to end, on a vector eth-account produced
//! (zg-serving/tests/vectors/eip712_vectors.json, case 6).

use std::process::Command;

const DIGEST: &str = "0x72c79eb907f5fce4940be0349b77a70edda64df8888b6bf9985e7b7670452180";
const SIGNATURE: &str = "0x1a24586dbfe7046b37147edd0755874d2789a5ce1084251d7c793759313446bb618d852785239bab84881be2dc76db4506a61927654f4d31c95b00ec5877e8981b";
const SIGNER: &str = "0x7467e3D59FBe39e8B56FD4E0CbDDa667a6bD1e27";

fn zg(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_zg"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap().trim().to_string(),
    )
}

fn case() -> serde_json::Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../zg-serving/tests/vectors/eip712_vectors.json"
    ))
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["eip712"][6].clone()
}

#[test]
fn digest_sign_recover() {
    let c = case();
    let f = |k: &str| c[k].as_str().unwrap().to_string();
    let (ok, digest) = zg(&[
        "serving",
        "eip712-digest",
        "--chain-id",
        &f("chain_id"),
        "--contract",
        &f("verifying_contract"),
        "--requests-hash",
        &f("requests_hash"),
        "--nonce",
        &f("nonce"),
        "--provider",
        &f("provider"),
        "--user",
        &f("user"),
        "--total-fee",
        &f("total_fee"),
    ]);
    assert!(ok);
    assert_eq!(digest, DIGEST);
    assert_eq!(f("digest"), DIGEST);
    let (ok, sig) = zg(&["serving", "sign", "--key", &f("key"), "--digest", DIGEST]);
    assert!(ok);
    assert_eq!(sig, SIGNATURE);
    let (ok, addr) = zg(&[
        "serving",
        "recover",
        "--digest",
        DIGEST,
        "--signature",
        SIGNATURE,
    ]);
    assert!(ok);
    assert_eq!(addr, SIGNER);
    let (ok, _) = zg(&[
        "serving",
        "recover",
        "--digest",
        DIGEST,
        "--signature",
        "0x00",
    ]);
    assert!(!ok, "bad input exits non-zero");
}
