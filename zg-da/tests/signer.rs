//! The `Signer` (issue 12, item 3) through its public API: it signs only what it verified and
//! persisted, refuses bad deliveries with reasons a disperser can act on, stays within its
//! stated bounds under a flood, and restarts from its records.

// Test code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

use std::sync::{Arc, OnceLock};

use zg_core::machine::{Input, Machine, Output, Recipient};
use zg_core::{Epoch, H256, NodeId, Timestamp};
use zg_da::retrieval::Message as RMessage;
use zg_da::signer::{Command, Event, Message, Record, Request};
use zg_da::*;
use zg_kzg::KzgSettings;

fn kzg() -> Arc<KzgSettings> {
    static S: OnceLock<Arc<KzgSettings>> = OnceLock::new();
    S.get_or_init(|| Arc::new(KzgSettings::mainnet().unwrap()))
        .clone()
}

fn payloads() -> &'static Vec<EncodedPayload> {
    static S: OnceLock<Vec<EncodedPayload>> = OnceLock::new();
    S.get_or_init(|| {
        (0..12u8)
            .map(|i| encode_payload(&kzg(), &vec![i; 1000 + usize::from(i)]).unwrap())
            .collect()
    })
}

/// Eight members with one seat each, r = 2: 32 columns per seat.
fn custody() -> Arc<Custody> {
    let members: Vec<SeatHolder> = (0..8u64)
        .map(|i| SeatHolder {
            node: NodeId(i),
            output: [i as u8 + 1; 64],
            seats: 1,
        })
        .collect();
    Arc::new(Custody::assign(&H256::new([3; 32]), &members, 2).unwrap())
}

const EPOCH: Epoch = Epoch(5);
const ME: NodeId = NodeId(2);
const DISPERSER: NodeId = NodeId(100);

fn config(max_payloads: usize, per_peer: usize) -> SignerConfig {
    SignerConfig {
        me: ME,
        epoch: EPOCH,
        custody: custody(),
        max_payloads,
        max_payloads_per_peer: per_peer,
    }
}

fn store_msg(enc: &EncodedPayload, columns: &[u16]) -> Message {
    Message::Store {
        header: enc.header().clone(),
        epoch: EPOCH,
        columns: enc.columns_at(columns),
    }
}

fn fake_signature(payload: &H256) -> Signature {
    use zg_bls::Scheme;
    let sk = zg_bls::Bls::secret_key_from_seed(&[ME.0 as u8; 32]);
    zg_bls::Bls::sign(&sk, payload.as_bytes())
}

fn deliver(signer: &mut Signer, from: NodeId, message: Message) -> Vec<Output<zg_da::Dispersal>> {
    signer
        .handle(Timestamp(1), Input::Message { from, message })
        .unwrap();
    signer.drain_outputs()
}

#[test]
fn verified_columns_are_persisted_before_the_signature_is_requested() {
    let enc = &payloads()[0];
    let mut signer = Signer::new(kzg(), config(8, 8));
    let cols = signer.columns().to_vec();
    assert_eq!(cols, custody().columns_of(ME));
    let outs = deliver(&mut signer, DISPERSER, store_msg(enc, &cols));
    let persist_at = outs
        .iter()
        .position(|o| matches!(o, Output::Persist(Record::Stored { .. })))
        .unwrap();
    let request_at = outs
        .iter()
        .position(|o| matches!(o, Output::Request(Request::Sign { .. })))
        .unwrap();
    assert!(persist_at < request_at, "persist first: {outs:?}");
    let Output::Request(Request::Sign { payload, message }) = &outs[request_at] else {
        unreachable!()
    };
    assert_eq!(*payload, enc.header().payload_id());
    assert_eq!(
        *message,
        attestation_message(EPOCH, &custody().reference(), payload)
    );
    // The host signs; the attestation is persisted, then sent to the disperser.
    signer
        .handle(
            Timestamp(2),
            Input::Command(Command::Signed {
                payload: *payload,
                signature: fake_signature(payload),
            }),
        )
        .unwrap();
    let outs = signer.drain_outputs();
    assert!(matches!(outs[0], Output::Persist(Record::Signed { .. })));
    assert!(outs.iter().any(|o| matches!(
        o,
        Output::Send {
            to: Recipient::One(DISPERSER),
            message: Message::Attested { .. }
        }
    )));
    // A second signature for the same payload is refused.
    assert!(
        signer
            .handle(
                Timestamp(3),
                Input::Command(Command::Signed {
                    payload: *payload,
                    signature: fake_signature(payload)
                })
            )
            .is_err()
    );
    // It serves the cells it holds, and nothing else.
    let id = enc.header().payload_id();
    let get = RMessage::Get {
        payload: id,
        cells: vec![
            CellRef {
                blob: 0,
                index: cols[0],
            },
            CellRef {
                blob: 0,
                index: 127 - cols.len() as u16,
            },
        ],
    };
    let outs = deliver(&mut signer, NodeId(77), Message::Retrieval(get));
    let served: Vec<_> = outs
        .iter()
        .filter_map(|o| match o {
            Output::Send {
                message: Message::Retrieval(RMessage::Cells { cells, .. }),
                ..
            } => Some(cells.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert!(served.iter().all(|c| cols.contains(&c.index)));
    assert!(verify_cells(&kzg(), enc.header(), &served).unwrap());
}

#[test]
fn a_disperser_sending_bad_cells_is_refused_and_nothing_is_signed() {
    let enc = &payloads()[1];
    let mut signer = Signer::new(kzg(), config(8, 8));
    let cols = signer.columns().to_vec();
    let Message::Store {
        header,
        epoch,
        mut columns,
    } = store_msg(enc, &cols)
    else {
        unreachable!()
    };
    // Corrupt one cell of the third column.
    let mut bad = *columns[2].cells[0].cell;
    bad.0[40] ^= 1;
    columns[2].cells[0].cell = Arc::new(bad);
    let outs = deliver(
        &mut signer,
        DISPERSER,
        Message::Store {
            header: header.clone(),
            epoch,
            columns,
        },
    );
    assert!(
        !outs
            .iter()
            .any(|o| matches!(o, Output::Persist(_) | Output::Request(_))),
        "{outs:?}"
    );
    assert!(outs.iter().any(|o| matches!(o, Output::Send { message: Message::Refused { reason: Refusal::InvalidCells { columns }, .. }, .. } if *columns == vec![cols[2]])));
    assert_eq!(signer.held(), 0);
    assert_eq!(signer.cells_held(), 0);
    // The signer's columns of a different payload under this header: refused too.
    let other = &payloads()[2];
    let outs = deliver(
        &mut signer,
        DISPERSER,
        Message::Store {
            header: header.clone(),
            epoch,
            columns: other.columns_at(&cols),
        },
    );
    assert!(outs.iter().any(|o| matches!(
        o,
        Output::Event(Event::Refused {
            reason: Refusal::InvalidCells { .. },
            ..
        })
    )));
    // The disperser fixes it: now it signs.
    let outs = deliver(&mut signer, DISPERSER, store_msg(enc, &cols));
    assert!(
        outs.iter()
            .any(|o| matches!(o, Output::Request(Request::Sign { .. })))
    );
}

#[test]
fn wrong_epoch_wrong_columns_and_non_members_are_refused_before_verification() {
    let enc = &payloads()[3];
    let mut signer = Signer::new(kzg(), config(8, 8));
    let cols = signer.columns().to_vec();
    let refusal = |outs: &[Output<zg_da::Dispersal>]| {
        outs.iter().find_map(|o| match o {
            Output::Send {
                message: Message::Refused { reason, .. },
                ..
            } => Some(reason.clone()),
            _ => None,
        })
    };
    let Message::Store {
        header, columns, ..
    } = store_msg(enc, &cols)
    else {
        unreachable!()
    };
    let outs = deliver(
        &mut signer,
        DISPERSER,
        Message::Store {
            header: header.clone(),
            epoch: Epoch(6),
            columns: columns.clone(),
        },
    );
    assert_eq!(
        refusal(&outs),
        Some(Refusal::WrongEpoch { expected: EPOCH })
    );
    // One column short, one too many, the right set in another order, a cell of another blob.
    let mut short = columns.clone();
    short.pop();
    let mut extra = columns.clone();
    extra.push(enc.column(usize::from(127 - cols.len() as u16)).unwrap());
    let mut swapped = columns.clone();
    swapped.swap(0, 1);
    let mut wrong_blob = columns.clone();
    wrong_blob[0].cells[0].blob = 1;
    for bad in [short, extra, swapped, wrong_blob] {
        let outs = deliver(
            &mut signer,
            DISPERSER,
            Message::Store {
                header: header.clone(),
                epoch: EPOCH,
                columns: bad,
            },
        );
        assert_eq!(
            refusal(&outs),
            Some(Refusal::WrongColumns {
                expected: cols.clone()
            })
        );
    }
    // A node outside the committee.
    let mut outsider = Signer::new(
        kzg(),
        SignerConfig {
            me: NodeId(50),
            ..config(8, 8)
        },
    );
    let outs = deliver(&mut outsider, DISPERSER, store_msg(enc, &cols));
    assert_eq!(refusal(&outs), Some(Refusal::NotMember));
    assert_eq!(signer.held() + outsider.held(), 0);
}

/// A flood of 12 payloads from three dispersers against bounds of 3 per peer and 6 in all:
/// exactly the bounds are held, the rest refused as `Full` without verification.
#[test]
fn a_flood_of_payloads_stays_within_the_per_peer_and_total_bounds() {
    let mut signer = Signer::new(kzg(), config(6, 3));
    let cols = signer.columns().to_vec();
    let mut full = 0;
    for (i, enc) in payloads().iter().enumerate() {
        let from = if i < 6 {
            NodeId(200)
        } else {
            NodeId(201 + (i as u64 % 2))
        };
        let outs = deliver(&mut signer, from, store_msg(enc, &cols));
        full += outs
            .iter()
            .filter(|o| {
                matches!(
                    o,
                    Output::Send {
                        message: Message::Refused {
                            reason: Refusal::Full,
                            ..
                        },
                        ..
                    }
                )
            })
            .count();
        assert!(signer.held() <= 6);
    }
    assert_eq!(signer.held(), 6);
    assert_eq!(full, 6);
    assert_eq!(signer.cells_held(), 6 * cols.len()); // one blob each
}

#[test]
fn restart_from_records_serves_again_and_never_double_requests_a_signature() {
    let a = &payloads()[4];
    let b = &payloads()[5];
    let mut signer = Signer::new(kzg(), config(8, 8));
    let cols = signer.columns().to_vec();
    let mut records = Vec::new();
    let collect = |outs: Vec<Output<zg_da::Dispersal>>, records: &mut Vec<Record>| {
        for o in outs {
            if let Output::Persist(r) = o {
                records.push(r);
            }
        }
    };
    collect(
        deliver(&mut signer, DISPERSER, store_msg(a, &cols)),
        &mut records,
    );
    let pa = a.header().payload_id();
    signer
        .handle(
            Timestamp(2),
            Input::Command(Command::Signed {
                payload: pa,
                signature: fake_signature(&pa),
            }),
        )
        .unwrap();
    collect(signer.drain_outputs(), &mut records);
    collect(
        deliver(&mut signer, DISPERSER, store_msg(b, &cols)),
        &mut records,
    );
    // Crash before b was signed.
    drop(signer);
    let mut back = Signer::restore(kzg(), config(8, 8), &records);
    let outs = back.drain_outputs();
    let requests: Vec<H256> = outs
        .iter()
        .filter_map(|o| match o {
            Output::Request(Request::Sign { payload, .. }) => Some(*payload),
            _ => None,
        })
        .collect();
    assert_eq!(
        requests,
        vec![b.header().payload_id()],
        "only the unsigned payload"
    );
    assert_eq!(back.held(), 2);
    assert_eq!(back.cells_held(), 2 * cols.len());
    // The disperser re-sends a (lost its attestation): answered from the record, not re-verified
    // and not re-signed.
    let outs = deliver(&mut back, DISPERSER, store_msg(a, &cols));
    assert!(outs.iter().any(|o| matches!(o, Output::Send { message: Message::Attested { signature, .. }, .. } if *signature == fake_signature(&pa))));
    assert!(
        !outs
            .iter()
            .any(|o| matches!(o, Output::Request(_) | Output::Persist(_)))
    );
}
