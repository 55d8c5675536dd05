//! A DA Signer under arbitrary deliveries from arbitrary senders: honest columns, a corrupted
//! cell, another payload's cells under this header, the wrong epoch, missing or extra columns,
//! signatures it did not ask for, and retrieval requests, in any order.
//!
//! Asserted: it never panics; it never asks for a signature on a payload before persisting
//! that payload's columns, and what it persists is exactly the real columns of its custody
//! (never unverified data); it never holds more than its bound; each payload is asked to be
//! signed at most once.
#![no_main]

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zg_bls::{Bls, Scheme};
use zg_core::machine::{Input, Machine, Output};
use zg_core::{Epoch, H256, NodeId, Timestamp};
use zg_da::retrieval::Message as RMessage;
use zg_da::signer::{Command, Message, Record, Request};
use zg_da::{CellRef, Custody, EncodedPayload, SeatHolder, Signer, SignerConfig, encode_payload};
use zg_kzg::KzgSettings;

const ME: NodeId = NodeId(2);
const MAX: usize = 2;

struct Fixture {
    kzg: Arc<KzgSettings>,
    payloads: Vec<EncodedPayload>,
    custody: Arc<Custody>,
}

fn fixture() -> &'static Fixture {
    static S: OnceLock<Fixture> = OnceLock::new();
    S.get_or_init(|| {
        let kzg = Arc::new(KzgSettings::mainnet().expect("mainnet setup"));
        let payloads = (0..3u8)
            .map(|i| encode_payload(&kzg, &[i; 100]).expect("encodes"))
            .collect();
        let members: Vec<SeatHolder> = (0..8u64)
            .map(|i| SeatHolder {
                node: NodeId(i),
                output: [i as u8; 64],
                seats: 1,
            })
            .collect();
        let custody = Arc::new(Custody::assign(&H256::new([1; 32]), &members, 2).expect("custody"));
        Fixture {
            kzg,
            payloads,
            custody,
        }
    })
}

#[derive(Arbitrary, Debug)]
enum Fault {
    None,
    CorruptCell { column: u8, byte: u16 },
    OtherPayloadsCells,
    WrongEpoch,
    DropColumn,
    ExtraColumn,
}

#[derive(Arbitrary, Debug)]
enum Step {
    Store { from: u8, payload: u8, fault: Fault },
    Signed { payload: u8 },
    Get { from: u8, payload: u8, index: u8 },
}

fuzz_target!(|steps: Vec<Step>| {
    let f = fixture();
    let config = SignerConfig {
        me: ME,
        epoch: Epoch(1),
        custody: f.custody.clone(),
        max_payloads: MAX,
        max_payloads_per_peer: MAX,
    };
    let mut signer = Signer::new(f.kzg.clone(), config);
    let cols = signer.columns().to_vec();
    let mut persisted: BTreeSet<H256> = BTreeSet::new();
    let mut asked: BTreeSet<H256> = BTreeSet::new();
    for step in steps.into_iter().take(24) {
        let input = match step {
            Step::Store {
                from,
                payload,
                fault,
            } => {
                let enc = &f.payloads[usize::from(payload) % f.payloads.len()];
                let mut columns = enc.columns_at(&cols);
                let mut epoch = Epoch(1);
                match fault {
                    Fault::None => {}
                    Fault::CorruptCell { column, byte } => {
                        let n = columns.len();
                        let c = &mut columns[usize::from(column) % n].cells[0];
                        let mut x = *c.cell;
                        x.0[usize::from(byte) % x.0.len()] ^= 1;
                        c.cell = Arc::new(x);
                    }
                    Fault::OtherPayloadsCells => {
                        let other = &f.payloads[(usize::from(payload) + 1) % f.payloads.len()];
                        columns = other.columns_at(&cols);
                    }
                    Fault::WrongEpoch => epoch = Epoch(2),
                    Fault::DropColumn => {
                        columns.pop();
                    }
                    Fault::ExtraColumn => columns.push(enc.column(0).expect("column")),
                }
                Input::Message {
                    from: NodeId(u64::from(from % 4) + 10),
                    message: Message::Store {
                        header: enc.header().clone(),
                        epoch,
                        columns,
                    },
                }
            }
            Step::Signed { payload } => {
                let enc = &f.payloads[usize::from(payload) % f.payloads.len()];
                let sk = Bls::secret_key_from_seed(&[2; 32]);
                let signature = Bls::sign(&sk, enc.header().payload_id().as_bytes());
                Input::Command(Command::Signed {
                    payload: enc.header().payload_id(),
                    signature,
                })
            }
            Step::Get {
                from,
                payload,
                index,
            } => {
                let enc = &f.payloads[usize::from(payload) % f.payloads.len()];
                Input::Message {
                    from: NodeId(u64::from(from)),
                    message: Message::Retrieval(RMessage::Get {
                        payload: enc.header().payload_id(),
                        cells: vec![CellRef {
                            blob: 0,
                            index: u16::from(index) % 128,
                        }],
                    }),
                }
            }
        };
        let _ = signer.handle(Timestamp(1), input);
        for o in signer.drain_outputs() {
            match o {
                Output::Persist(Record::Stored {
                    header, columns, ..
                }) => {
                    let enc = f
                        .payloads
                        .iter()
                        .find(|p| p.header() == &header)
                        .expect("a fixture payload");
                    assert_eq!(
                        columns,
                        enc.columns_at(&cols),
                        "persisted columns that are not the real ones"
                    );
                    persisted.insert(header.payload_id());
                }
                Output::Request(Request::Sign { payload, .. }) => {
                    assert!(
                        persisted.contains(&payload),
                        "signature requested before persisting"
                    );
                    assert!(asked.insert(payload), "signature requested twice");
                }
                _ => {}
            }
        }
        assert!(signer.held() <= MAX, "holds more than its bound");
    }
});
