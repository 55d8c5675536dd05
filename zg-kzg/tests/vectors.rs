//! Every consensus-spec KZG test vector (EIP-4844 and EIP-7594), read from the committed archive.
//!
//! One test per handler; each runs all of its cases and fails listing every failing case by name.

// Test code: a malformed vector file should abort the test loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeMap;
use std::io::{BufReader, Read};
use std::sync::OnceLock;
use yaml_rust2::{Yaml, YamlLoader};
use zg_kzg::*;

const ARCHIVE: &[u8] = include_bytes!("vectors/consensus-spec-kzg-vectors.tar.xz");

/// handler -> case name -> data.yaml content.
fn cases() -> &'static BTreeMap<String, BTreeMap<String, String>> {
    static CASES: OnceLock<BTreeMap<String, BTreeMap<String, String>>> = OnceLock::new();
    CASES.get_or_init(|| {
        let mut tar_bytes = Vec::new();
        lzma_rs::xz_decompress(&mut BufReader::new(ARCHIVE), &mut tar_bytes).expect("xz archive");
        let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        let mut archive = tar::Archive::new(&tar_bytes[..]);
        for entry in archive.entries().expect("tar entries") {
            let mut entry = entry.expect("tar entry");
            let path = entry.path().expect("path").to_string_lossy().into_owned();
            let parts: Vec<&str> = path.trim_start_matches("./").split('/').collect();
            // tests/<handler>/kzg-mainnet/<case>/data.yaml
            if parts.len() == 5 && parts[0] == "tests" && parts[4] == "data.yaml" {
                let mut s = String::new();
                entry.read_to_string(&mut s).expect("utf8 yaml");
                out.entry(parts[1].to_string())
                    .or_default()
                    .insert(parts[3].to_string(), s);
            }
        }
        out
    })
}

fn settings() -> &'static KzgSettings {
    static S: OnceLock<KzgSettings> = OnceLock::new();
    S.get_or_init(|| KzgSettings::mainnet_with(Precompute::Full).expect("mainnet setup"))
}

fn bytes(y: &Yaml) -> Vec<u8> {
    let s = y.as_str().expect("hex string");
    hex::decode(s.trim_start_matches("0x")).expect("hex")
}

fn list<T>(y: &Yaml, f: impl Fn(&Yaml) -> T) -> Vec<T> {
    y.as_vec().expect("list").iter().map(f).collect()
}

fn u64s(y: &Yaml) -> Vec<u64> {
    list(y, |v| {
        u64::try_from(v.as_i64().expect("integer")).expect("non-negative")
    })
}

/// Runs `check` on every case of `handler`; `check` returns `Err(reason)` on mismatch.
fn run(handler: &str, check: impl Fn(&Yaml, &Yaml) -> Result<(), String> + Sync) {
    let cases = cases()
        .get(handler)
        .unwrap_or_else(|| panic!("no cases for {handler}"));
    assert!(!cases.is_empty());
    let mut failures = Vec::new();
    for (name, text) in cases {
        let doc = &YamlLoader::load_from_str(text).expect("yaml")[0];
        if let Err(why) = check(&doc["input"], &doc["output"]) {
            failures.push(format!("{name}: {why}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} {handler} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Compares an operation's result with the expected output (`null` = must fail).
fn expect<T: PartialEq + std::fmt::Debug, E: std::fmt::Debug>(
    got: Result<T, E>,
    output: &Yaml,
    parse: impl Fn(&Yaml) -> T,
) -> Result<(), String> {
    match (got, output.is_null()) {
        (Err(_), true) => Ok(()),
        (Ok(v), true) => Err(format!("expected rejection, got {v:?}")),
        (Err(e), false) => Err(format!("unexpected error {e:?}")),
        (Ok(v), false) => {
            let want = parse(output);
            if v == want {
                Ok(())
            } else {
                Err(format!("got {v:?}, want {want:?}"))
            }
        }
    }
}

// Input decoding helpers: a wrong-length input is itself a rejection.
fn blob(y: &Yaml) -> Result<Blob, Error> {
    Blob::from_slice(&bytes(y))
}
fn commitment(y: &Yaml) -> Result<KzgCommitment, Error> {
    KzgCommitment::from_slice(&bytes(y))
}
fn proof(y: &Yaml) -> Result<KzgProof, Error> {
    KzgProof::from_slice(&bytes(y))
}
fn b32(y: &Yaml) -> Result<Bytes32, Error> {
    Bytes32::from_slice(&bytes(y))
}
fn cell(y: &Yaml) -> Result<Cell, Error> {
    Cell::from_slice(&bytes(y))
}
fn all<T>(y: &Yaml, f: impl Fn(&Yaml) -> Result<T, Error>) -> Result<Vec<T>, Error> {
    y.as_vec().expect("list").iter().map(f).collect()
}
fn cells_and_proofs(y: &Yaml) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    (list(&y[0], bytes), list(&y[1], bytes))
}

#[test]
fn blob_to_kzg_commitment() {
    run("blob_to_kzg_commitment", |i, o| {
        let got = blob(&i["blob"])
            .and_then(|b| settings().blob_to_kzg_commitment(&b))
            .map(|c| c.0.to_vec());
        expect(got, o, bytes)
    });
}

#[test]
fn compute_kzg_proof() {
    run("compute_kzg_proof", |i, o| {
        let got = (|| {
            let (p, y) = settings().compute_kzg_proof(&blob(&i["blob"])?, &b32(&i["z"])?)?;
            Ok::<_, Error>((p.0.to_vec(), y.0.to_vec()))
        })();
        expect(got, o, |o| (bytes(&o[0]), bytes(&o[1])))
    });
}

#[test]
fn compute_blob_kzg_proof() {
    run("compute_blob_kzg_proof", |i, o| {
        let got = (|| {
            settings().compute_blob_kzg_proof(&blob(&i["blob"])?, &commitment(&i["commitment"])?)
        })()
        .map(|p| p.0.to_vec());
        expect(got, o, bytes)
    });
}

#[test]
fn verify_kzg_proof() {
    run("verify_kzg_proof", |i, o| {
        let got = (|| {
            settings().verify_kzg_proof(
                &commitment(&i["commitment"])?,
                &b32(&i["z"])?,
                &b32(&i["y"])?,
                &proof(&i["proof"])?,
            )
        })();
        expect(got, o, |o| o.as_bool().expect("bool"))
    });
}

#[test]
fn verify_blob_kzg_proof() {
    run("verify_blob_kzg_proof", |i, o| {
        let got = (|| {
            settings().verify_blob_kzg_proof(
                &blob(&i["blob"])?,
                &commitment(&i["commitment"])?,
                &proof(&i["proof"])?,
            )
        })();
        expect(got, o, |o| o.as_bool().expect("bool"))
    });
}

#[test]
fn verify_blob_kzg_proof_batch() {
    run("verify_blob_kzg_proof_batch", |i, o| {
        let got = (|| {
            settings().verify_blob_kzg_proof_batch(
                &all(&i["blobs"], blob)?,
                &all(&i["commitments"], commitment)?,
                &all(&i["proofs"], proof)?,
            )
        })();
        expect(got, o, |o| o.as_bool().expect("bool"))
    });
}

#[test]
fn compute_challenge() {
    run("compute_challenge", |i, o| {
        let got = (|| {
            Ok::<_, Error>(zg_kzg::compute_challenge(
                &blob(&i["blob"])?,
                &commitment(&i["commitment"])?,
            ))
        })()
        .map(|c| c.0.to_vec());
        expect(got, o, bytes)
    });
}

#[test]
fn compute_cells() {
    run("compute_cells", |i, o| {
        let got = blob(&i["blob"])
            .and_then(|b| settings().compute_cells(&b))
            .map(|cells| cells.iter().map(|c| c.0.to_vec()).collect::<Vec<_>>());
        expect(got, o, |o| list(o, bytes))
    });
}

#[test]
fn compute_cells_and_kzg_proofs() {
    run("compute_cells_and_kzg_proofs", |i, o| {
        let got = blob(&i["blob"])
            .and_then(|b| settings().compute_cells_and_kzg_proofs(&b))
            .map(|(c, p)| {
                (
                    c.iter().map(|c| c.0.to_vec()).collect::<Vec<_>>(),
                    p.iter().map(|p| p.0.to_vec()).collect::<Vec<_>>(),
                )
            });
        expect(got, o, cells_and_proofs)
    });
}

#[test]
fn recover_cells_and_kzg_proofs() {
    run("recover_cells_and_kzg_proofs", |i, o| {
        let got = (|| {
            settings()
                .recover_cells_and_kzg_proofs(&u64s(&i["cell_indices"]), &all(&i["cells"], cell)?)
        })()
        .map(|(c, p)| {
            (
                c.iter().map(|c| c.0.to_vec()).collect::<Vec<_>>(),
                p.iter().map(|p| p.0.to_vec()).collect::<Vec<_>>(),
            )
        });
        expect(got, o, cells_and_proofs)
    });
}

#[test]
fn verify_cell_kzg_proof_batch() {
    run("verify_cell_kzg_proof_batch", |i, o| {
        let got = (|| {
            settings().verify_cell_kzg_proof_batch(
                &all(&i["commitments"], commitment)?,
                &u64s(&i["cell_indices"]),
                &all(&i["cells"], cell)?,
                &all(&i["proofs"], proof)?,
            )
        })();
        expect(got, o, |o| o.as_bool().expect("bool"))
    });
}

#[test]
fn compute_verify_cell_kzg_proof_batch_challenge() {
    run("compute_verify_cell_kzg_proof_batch_challenge", |i, o| {
        let got = (|| {
            Ok::<_, Error>(zg_kzg::compute_verify_cell_kzg_proof_batch_challenge(
                &all(&i["commitments"], commitment)?,
                &u64s(&i["commitment_indices"]),
                &u64s(&i["cell_indices"]),
                &all(&i["cosets_evals"], |evals| {
                    Cell::from_slice(&list(evals, bytes).concat())
                })?,
                &all(&i["proofs"], proof)?,
            ))
        })()
        .map(|c| c.0.to_vec());
        expect(got, o, bytes)
    });
}

#[test]
fn every_handler_is_covered() {
    let handlers: Vec<&str> = cases().keys().map(String::as_str).collect();
    assert_eq!(
        handlers,
        [
            "blob_to_kzg_commitment",
            "compute_blob_kzg_proof",
            "compute_cells",
            "compute_cells_and_kzg_proofs",
            "compute_challenge",
            "compute_kzg_proof",
            "compute_verify_cell_kzg_proof_batch_challenge",
            "recover_cells_and_kzg_proofs",
            "verify_blob_kzg_proof",
            "verify_blob_kzg_proof_batch",
            "verify_cell_kzg_proof_batch",
            "verify_kzg_proof",
        ]
    );
    assert_eq!(cases().values().map(BTreeMap::len).sum::<usize>(), 344);
}
