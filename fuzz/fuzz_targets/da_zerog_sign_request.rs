//! 0G-mode sign-request validation on arbitrary requests against one real blob (test shape):
//! never panics, and accepts only rows that are the signer's and equal the encoded rows.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use zg_core::H256;
use zg_da::zerog::{
    DataTree, Dims, EncodedBlob, Fr, G1Affine, RowProof, SignRequest, encode, validate_sign_request,
};

#[derive(Arbitrary, Debug)]
struct Row {
    index: u16,
    take_real_proof: bool,
    siblings: Vec<[u8; 32]>,
    tweak: Option<(u8, u64)>,
}

fn fixture() -> &'static (EncodedBlob, DataTree) {
    static F: OnceLock<(EncodedBlob, DataTree)> = OnceLock::new();
    F.get_or_init(|| {
        let blob = encode(b"fuzz sign request", Dims::TEST).expect("fits");
        let tree = DataTree::new(&blob).expect("tree");
        (blob, tree)
    })
}

fuzz_target!(|rows: Vec<Row>| {
    let d = Dims::TEST;
    let (blob, tree) = fixture();
    let me = [1u8; 20];
    let quorum: Vec<[u8; 20]> = (0..d.encoded_rows()).map(|i| [(i % 2) as u8; 20]).collect();
    let mut req_rows = Vec::new();
    let mut honest = true;
    let mut seen = std::collections::BTreeSet::new();
    for r in rows.iter().take(8) {
        let index = usize::from(r.index);
        let mut data = blob
            .row(index % d.encoded_rows())
            .expect("in range")
            .to_vec();
        if let Some((pos, add)) = r.tweak {
            let at = usize::from(pos) % data.len();
            data[at] += Fr::from(add.max(1));
        }
        let proof = if r.take_real_proof && index < d.encoded_rows() {
            tree.row_proof(index).expect("in range")
        } else {
            RowProof {
                index,
                siblings: r.siblings.iter().map(|s| H256(*s)).collect(),
                coset_roots: tree.coset_roots().expect("roots"),
            }
        };
        // Genuine: my row, once, with exactly the encoded contents and the real proof.
        honest &= index < d.encoded_rows()
            && quorum[index] == me
            && seen.insert(index)
            && blob.row(index).ok() == Some(&data[..])
            && tree.row_proof(index).ok().as_ref() == Some(&proof);
        req_rows.push((proof, data));
    }
    let req = SignRequest {
        epoch: 1,
        quorum_id: 0,
        data_root: tree.root(),
        commitment: G1Affine::default(),
        rows: req_rows,
    };
    let ok = validate_sign_request(d, &req, &me, &quorum).is_ok();
    if ok {
        assert!(honest, "accepted a request that is not all my genuine rows");
    } else if honest && !req.rows.is_empty() {
        panic!("rejected a genuine request");
    }
});
