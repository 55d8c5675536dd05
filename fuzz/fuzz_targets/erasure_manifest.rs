//! Manifest, header and piece-proof decoding: every accepted input re-encodes to exactly itself,
//! and every single-byte change of a valid manifest is rejected.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zg_erasure::{Config, Manifest, ManifestHeader, PieceProof, ShardTree, encode};

#[derive(Arbitrary, Debug)]
enum Input {
    /// Arbitrary bytes to each decoder.
    Raw(Vec<u8>),
    /// A valid manifest, one byte changed.
    Mutate {
        k: u8,
        m: u8,
        size: u16,
        fill: u8,
        at: u16,
        xor: u8,
    },
}

fuzz_target!(|input: Input| {
    match input {
        Input::Raw(bytes) => {
            if let Ok(m) = Manifest::from_bytes(&bytes) {
                assert_eq!(m.to_bytes(), bytes, "accepted a non-canonical manifest");
                let again = Manifest::new(*m.header(), m.shard_roots().to_vec()).unwrap();
                assert_eq!(again.root(), m.root());
            }
            if let Ok(h) = ManifestHeader::from_bytes(&bytes) {
                assert_eq!(h.to_bytes().as_slice(), bytes.as_slice());
            }
            if let Ok(p) = PieceProof::from_bytes(&bytes) {
                assert_eq!(p.to_bytes(), bytes, "accepted a non-canonical piece proof");
            }
        }
        Input::Mutate {
            k,
            m,
            size,
            fill,
            at,
            xor,
        } => {
            let (k, m) = (usize::from(k % 16) + 1, usize::from(m % 16) + 1);
            let data = vec![fill; usize::from(size % 4096) + 1];
            let config = Config::new(k, m).unwrap().with_stripe_size(1024).unwrap();
            let encoded = encode(&data, config).unwrap();
            let bytes = encoded.manifest.to_bytes();
            assert_eq!(Manifest::from_bytes(&bytes).unwrap(), encoded.manifest);
            // A piece proof of shard 0, piece 0, verifies and round-trips.
            let tree = ShardTree::new(&encoded.manifest, 0, &encoded.shards[0]).unwrap();
            let proof = tree.piece_proof(0).unwrap();
            let piece = &encoded.shards[0][..encoded.shards[0].len().min(256)];
            proof
                .verify(encoded.manifest.header(), &encoded.manifest.root(), piece)
                .unwrap();
            assert_eq!(PieceProof::from_bytes(&proof.to_bytes()).unwrap(), proof);
            if xor != 0 {
                let mut bad = bytes.clone();
                let i = usize::from(at) % bad.len();
                bad[i] ^= xor;
                assert!(
                    Manifest::from_bytes(&bad).is_err(),
                    "byte {i} ^ {xor} accepted"
                );
            }
        }
    }
});
