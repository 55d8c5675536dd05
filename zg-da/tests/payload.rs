//! Item 1 of issue 12: the payload format. Commitments and cell proofs must equal c-kzg's for the
//! framing on any payload size; the header decoder is strict; reconstruction is byte-identical
//! from any 64 valid cells per blob and never yields wrong bytes.

// Test code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

use std::sync::{Arc, OnceLock};

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use zg_core::H256;
use zg_da::payload::HEADER_FIXED_BYTES;
use zg_da::*;
use zg_kzg::{BYTES_PER_BLOB, Blob, KzgCommitment, KzgSettings};

fn kzg() -> &'static KzgSettings {
    static S: OnceLock<KzgSettings> = OnceLock::new();
    S.get_or_init(|| KzgSettings::mainnet().unwrap())
}

fn theirs() -> &'static c_kzg::KzgSettings {
    c_kzg::ethereum_kzg_settings(0)
}

fn random_payload(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut v = vec![0u8; len];
    rng.fill_bytes(&mut v);
    v
}

/// The framing written out the slow, obvious way: build the frame, cut 31-byte pieces.
fn reference_blobs(payload: &[u8]) -> Vec<Vec<u8>> {
    let mut frame = (payload.len() as u64).to_be_bytes().to_vec();
    frame.extend_from_slice(payload);
    while !frame.len().is_multiple_of(FRAME_BYTES_PER_BLOB) {
        frame.push(0);
    }
    frame
        .chunks(FRAME_BYTES_PER_BLOB)
        .map(|chunk| {
            chunk
                .chunks(31)
                .flat_map(|e| std::iter::once(0u8).chain(e.iter().copied()))
                .collect()
        })
        .collect()
}

const F: usize = FRAME_BYTES_PER_BLOB;

#[test]
fn framing_matches_the_reference_on_edge_sizes() {
    for len in [
        1,
        2,
        30,
        31,
        32,
        F - 9,
        F - 8,
        F - 7,
        F,
        2 * F - 8,
        2 * F - 7,
        3 * F + 5,
    ] {
        let p = random_payload(len, len as u64);
        let ours: Vec<Vec<u8>> = frame_blobs(&p)
            .unwrap()
            .iter()
            .map(|b| b.as_bytes().to_vec())
            .collect();
        assert_eq!(ours, reference_blobs(&p), "len {len}");
        assert_eq!(blob_count(len as u64).unwrap(), ours.len());
        assert_eq!(payload_from_blobs(&frame_blobs(&p).unwrap()).unwrap(), p);
    }
    assert_eq!(blob_count((F - 8) as u64).unwrap(), 1);
    assert_eq!(blob_count((F - 7) as u64).unwrap(), 2);
    assert_eq!(blob_count(0), Err(Error::EmptyPayload));
    assert!(matches!(
        blob_count(MAX_PAYLOAD_BYTES + 1),
        Err(Error::PayloadTooLarge { .. })
    ));
    assert_eq!(blob_count(MAX_PAYLOAD_BYTES).unwrap(), MAX_BLOBS);
}

/// The bar of item 1: commitments and every cell and proof equal c-kzg's (called blob by blob
/// on the reference framing), for 1 byte, an exact multiple of a blob's capacity and ±1, and
/// random sizes.
#[test]
fn commitments_and_cells_equal_c_kzg() {
    let mut rng = ChaCha20Rng::seed_from_u64(12);
    let random_len = 1 + (rng.next_u64() as usize % (2 * F));
    for len in [1, F - 8, F - 7, F - 9, random_len] {
        let p = random_payload(len, 1000 + len as u64);
        let enc = encode_payload(kzg(), &p).unwrap();
        let reference = reference_blobs(&p);
        assert_eq!(enc.header().blobs(), reference.len());
        for (i, bytes) in reference.iter().enumerate() {
            let tb = c_kzg::Blob::from_bytes(bytes).unwrap();
            let tc = theirs().blob_to_kzg_commitment(&tb).unwrap().to_bytes();
            assert_eq!(
                enc.header().commitments()[i].0,
                *tc.as_ref(),
                "len {len} blob {i}"
            );
            let (tcells, tproofs) = theirs().compute_cells_and_kzg_proofs(&tb).unwrap();
            for j in 0..COLUMNS {
                assert_eq!(
                    &enc.blobs()[i].cells[j].0[..],
                    &tcells[j].to_bytes()[..],
                    "len {len} blob {i} cell {j}"
                );
                assert_eq!(&enc.blobs()[i].proofs[j].0[..], &tproofs[j].to_bytes()[..]);
            }
        }
        let h = enc.header();
        assert_eq!(h.payload_id(), payload_id(len as u64, h.commitments()));
        assert_eq!(h.file_root(), zg_core::tree::file_root(&p).unwrap());
        // The first 64 cells of each blob are the blob itself.
        let first: Vec<u8> = enc.blobs()[0].cells[..64]
            .iter()
            .flat_map(|c| c.0)
            .collect();
        assert_eq!(first, reference[0]);
    }
}

#[test]
fn payload_id_is_keccak_of_length_and_commitments() {
    let c = [KzgCommitment([0xc0; 48]), KzgCommitment([0x11; 48])];
    let mut pre = 5u64.to_be_bytes().to_vec();
    pre.extend_from_slice(&c[0].0);
    pre.extend_from_slice(&c[1].0);
    assert_eq!(payload_id(5, &c), zg_core::keccak256(&pre));
    assert_ne!(payload_id(6, &c), payload_id(5, &c));
}

fn small_encoded() -> &'static (Vec<u8>, EncodedPayload) {
    static S: OnceLock<(Vec<u8>, EncodedPayload)> = OnceLock::new();
    S.get_or_init(|| {
        let p = random_payload(F + 100, 7); // two blobs
        let e = encode_payload(kzg(), &p).unwrap();
        (p, e)
    })
}

#[test]
fn header_round_trips_and_the_decoder_is_strict() {
    let (_, enc) = small_encoded();
    let h = enc.header();
    let bytes = h.to_bytes();
    assert_eq!(bytes.len(), HEADER_FIXED_BYTES + 48 * 2);
    assert_eq!(Header::from_bytes(&bytes).unwrap(), *h);
    // Every single-byte change is rejected, except in the file root (any 32 bytes are a root).
    let root_at = bytes.len() - 32;
    for i in 0..root_at {
        let mut b = bytes.clone();
        b[i] ^= 0x01;
        assert!(Header::from_bytes(&b).is_err(), "flipped byte {i} accepted");
    }
    // Truncated or extended.
    assert!(Header::from_bytes(&bytes[..bytes.len() - 1]).is_err());
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(Header::from_bytes(&longer).is_err());
    // A blob count the length does not imply, with a consistent size and id.
    let fake = Header::new(h.length(), h.commitments()[..1].to_vec(), h.file_root());
    assert!(matches!(
        fake,
        Err(Error::WrongBlobCount {
            have: 1,
            expected: 2
        })
    ));
    // A huge announced count is refused before any allocation.
    let mut huge = bytes.clone();
    huge[9..13].copy_from_slice(&u32::MAX.to_be_bytes());
    assert!(matches!(
        Header::from_bytes(&huge),
        Err(Error::WrongBlobCount { .. })
    ));
    // A commitment that is not a subgroup point, with the id recomputed over it.
    let bad = vec![KzgCommitment([0x8f; 48]), h.commitments()[1]];
    let forged = Header::new(h.length(), bad, h.file_root()).unwrap();
    assert_eq!(
        Header::from_bytes(&forged.to_bytes()),
        Err(Error::InvalidCommitment { blob: 0 })
    );
}

#[test]
fn strict_unframing_rejects_non_canonical_blobs() {
    let p = random_payload(100, 3);
    let mut blobs = frame_blobs(&p).unwrap();
    let mut b = blobs[0].clone();
    b.as_bytes_mut()[32 * 10] = 1;
    assert_eq!(
        payload_from_blobs(&[b]),
        Err(Error::NonCanonicalElement {
            blob: 0,
            element: 10
        })
    );
    let mut b = blobs[0].clone();
    b.as_bytes_mut()[BYTES_PER_BLOB - 1] = 1;
    assert_eq!(
        payload_from_blobs(&[b]),
        Err(Error::NonZeroPadding { blob: 0 })
    );
    blobs.push(Blob::zeroed());
    assert!(matches!(
        payload_from_blobs(&blobs),
        Err(Error::WrongBlobCount {
            have: 2,
            expected: 1
        })
    ));
    assert!(payload_from_blobs(&[Blob::zeroed()]).is_err(), "length 0");
}

fn all_cells(enc: &EncodedPayload) -> Vec<CellWithProof> {
    (0..enc.header().blobs())
        .flat_map(|b| (0..COLUMNS).map(move |j| (b, j)))
        .map(|(b, j)| enc.cell(b, j).unwrap())
        .collect()
}

#[test]
fn reconstruction_from_any_half_is_byte_identical() {
    let (p, enc) = small_encoded();
    let mut rng = ChaCha20Rng::seed_from_u64(99);
    for round in 0..2 {
        // A random 64 of each blob, the upper half (no shortcut), and in shuffled order.
        let mut chosen = Vec::new();
        for b in 0..enc.header().blobs() {
            let mut idx: Vec<usize> = (0..COLUMNS).collect();
            for i in (1..idx.len()).rev() {
                idx.swap(i, rng.next_u64() as usize % (i + 1));
            }
            let take: Vec<usize> = if round == 0 {
                idx[..64].to_vec()
            } else {
                (64..128).collect()
            };
            chosen.extend(take.into_iter().map(|j| enc.cell(b, j).unwrap()));
        }
        chosen.reverse();
        assert_eq!(
            &reconstruct_payload(kzg(), enc.header(), &chosen).unwrap(),
            p
        );
    }
}

#[test]
fn corrupt_cells_are_excluded_and_never_yield_wrong_bytes() {
    let (p, enc) = small_encoded();
    let mut cells = all_cells(enc);
    // Corrupt 60 cells of blob 0 (68 good ones remain): recovery must still be exact.
    for c in cells.iter_mut().filter(|c| c.blob == 0).take(60) {
        let mut bad = *c.cell;
        bad.0[31] ^= 1;
        c.cell = Arc::new(bad);
    }
    let verdicts = valid_cells(kzg(), enc.header(), &cells);
    assert_eq!(verdicts.iter().filter(|v| !**v).count(), 60);
    assert_eq!(
        &reconstruct_payload(kzg(), enc.header(), &cells).unwrap(),
        p
    );
    // Corrupt 5 more: 63 good cells in blob 0 is not enough, and no bytes come out.
    for c in cells.iter_mut().filter(|c| c.blob == 0).skip(60).take(5) {
        let mut bad = *c.cell;
        bad.0[31] ^= 1;
        c.cell = Arc::new(bad);
    }
    assert_eq!(
        reconstruct_payload(kzg(), enc.header(), &cells),
        Err(Error::NotEnoughCells {
            blob: 0,
            have: 63,
            need: 64
        })
    );
}

#[test]
fn a_header_over_another_payload_is_caught_by_the_file_root() {
    let (_, enc) = small_encoded();
    let h = enc.header();
    let lying = Header::new(h.length(), h.commitments().to_vec(), H256::new([7; 32])).unwrap();
    let cells = all_cells(enc);
    assert_eq!(
        reconstruct_payload(kzg(), &lying, &cells),
        Err(Error::FileRootMismatch)
    );
}
