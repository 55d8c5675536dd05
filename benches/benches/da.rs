//! zg-da (issue 12, item 11): payload MB/s through framing + commitments + cells and proofs on
//! 1 and 2 threads next to c-kzg called blob by blob on the same framing; certificate
//! verification next to its floor of one two-pairing check; per-cell sampling verification;
//! reconstruction MB/s; and a signer's memory per held column (printed once).
//!
//! ```text
//! cargo bench -p zg-benches --bench da                 # everything
//! cargo bench -p zg-benches --bench da -- da/encode    # one group
//! ```
//! Numbers are only meaningful on a quiet machine.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    missing_docs
)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use zg_bls::{Bls, Scheme, Strictness, ValidatorIndex, verify_optimistic};
use zg_core::{Epoch, H256, NodeId};
use zg_da::certificate::{Certificate, DaCommittee, DaMember};
use zg_da::{
    COLUMNS, Custody, SeatHolder, encode_payload, frame_blobs, reconstruct_payload, verify_cells,
};
use zg_kzg::KzgSettings;

fn payload(len: usize) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect()
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

fn encode(c: &mut Criterion) {
    let kzg = KzgSettings::mainnet().unwrap();
    let ckzg = c_kzg::ethereum_kzg_settings(0);
    let mut g = c.benchmark_group("da/encode");
    g.sample_size(10);
    let len = 4 * 126_976 - 8; // four blobs
    let bytes = payload(len);
    g.throughput(Throughput::Bytes(len as u64));
    for threads in [1, 2] {
        let p = pool(threads);
        g.bench_with_input(
            BenchmarkId::new(format!("zg/{threads}t"), len),
            &bytes,
            |b, bytes| b.iter(|| p.install(|| encode_payload(&kzg, black_box(bytes)).unwrap())),
        );
    }
    g.bench_with_input(BenchmarkId::new("c-kzg/1t", len), &bytes, |b, bytes| {
        b.iter(|| {
            for blob in frame_blobs(black_box(bytes)).unwrap() {
                let tb = c_kzg::Blob::from_bytes(blob.as_bytes()).unwrap();
                black_box(ckzg.blob_to_kzg_commitment(&tb).unwrap());
                black_box(ckzg.compute_cells_and_kzg_proofs(&tb).unwrap());
            }
        })
    });
    g.finish();
}

fn committee(n: u64) -> (DaCommittee, Vec<zg_bls::BlsSecretKey>) {
    let sks: Vec<_> = (0..n)
        .map(|i| Bls::secret_key_from_seed(&[i as u8 + 1; 32]))
        .collect();
    let holders: Vec<SeatHolder> = (0..n)
        .map(|i| SeatHolder {
            node: NodeId(i),
            output: [i as u8; 64],
            seats: 1,
        })
        .collect();
    let custody = Custody::assign(&H256::new([5; 32]), &holders, 4).unwrap();
    let members = (0..n)
        .map(|i| DaMember {
            node: NodeId(i),
            seats: 1,
            key: Bls::public_key(&sks[i as usize]),
        })
        .collect();
    (
        DaCommittee::new(Epoch(1), custody, members, 1).unwrap(),
        sks,
    )
}

fn certificate(c: &mut Criterion) {
    let mut g = c.benchmark_group("da/certificate_verify");
    for n in [32u64, 128] {
        let (committee, sks) = committee(n);
        let p = H256::new([1; 32]);
        let m = committee.attestation(&p);
        let sigs: Vec<_> = sks
            .iter()
            .enumerate()
            .map(|(i, sk)| (ValidatorIndex(i as u16), Bls::sign(sk, &m)))
            .collect();
        let agg = verify_optimistic::<Bls>(&committee.weighted_keys(), &m, &sigs, Strictness::Set)
            .unwrap()
            .certificate()
            .unwrap();
        let cert = Certificate {
            epoch: committee.epoch(),
            committee: committee.reference(),
            payload_id: p,
            signers: agg.signers,
            signature: agg.signature,
        };
        g.bench_with_input(BenchmarkId::new("zg", n), &cert, |b, cert| {
            b.iter(|| cert.verify(&committee, &p).unwrap())
        });
        // The floor: one two-pairing check of an already-aggregated key.
        let apk = Bls::aggregate_public_keys(committee.members().iter().map(|m| &m.key)).unwrap();
        g.bench_with_input(
            BenchmarkId::new("two-pairing floor", n),
            &cert,
            |b, cert| b.iter(|| assert!(Bls::verify(&apk, &m, &cert.signature))),
        );
    }
    g.finish();
}

fn sampling_and_reconstruction(c: &mut Criterion) {
    let kzg = Arc::new(KzgSettings::mainnet().unwrap());
    let bytes = payload(126_976 - 8);
    let enc = encode_payload(&kzg, &bytes).unwrap();
    let mut g = c.benchmark_group("da/sample_verify");
    for s in [1usize, 16, 64] {
        let cells: Vec<_> = (0..s).map(|j| enc.cell(0, j).unwrap()).collect();
        g.throughput(Throughput::Elements(s as u64));
        g.bench_with_input(BenchmarkId::from_parameter(s), &cells, |b, cells| {
            b.iter(|| assert!(verify_cells(&kzg, enc.header(), cells).unwrap()))
        });
    }
    g.finish();
    let mut g = c.benchmark_group("da/reconstruct");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    let upper: Vec<_> = (64..COLUMNS).map(|j| enc.cell(0, j).unwrap()).collect();
    g.bench_function("upper-half", |b| {
        b.iter(|| reconstruct_payload(&kzg, enc.header(), &upper).unwrap())
    });
    g.finish();
    // A signer's memory per held column of a one-blob payload: the cell, its proof, the
    // indices and the Arc around the cell.
    let per_column = std::mem::size_of::<zg_kzg::Cell>()
        + std::mem::size_of::<zg_da::CellWithProof>()
        + 2 * std::mem::size_of::<usize>();
    println!("da/signer_memory: about {per_column} bytes per held column per blob");
}

criterion_group!(benches, encode, certificate, sampling_and_reconstruction);
criterion_main!(benches);
