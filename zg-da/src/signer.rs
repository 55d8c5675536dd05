//! The DA node's [`Signer`] (issue 12, item 3): receives its columns of a payload, verifies
//! them in one batch, persists them, and only then asks its host to sign the attestation; it
//! refuses bad deliveries with a typed [`Refusal`] and serves the cells it holds to samplers
//! and reconstructors.
//!
//! # What is signed
//!
//! Every member of an epoch's committee signs the same bytes for a payload
//! ([`attestation_message`]):
//!
//! ```text
//! "zg-da/attestation/v1" || u64_be(epoch) || committee_ref || payload_id
//! ```
//!
//! where `committee_ref` is [`Custody::reference`]: the epoch seed, the replication factor and
//! every seat. Signing it states "I hold, verified and persisted, the columns the public
//! custody rule assigns me for this payload in this epoch and committee"; because all members
//! sign one message, their BLS signatures aggregate into a certificate checked with one pairing
//! equation. The domain, epoch and committee fields stop a signature being replayed for another
//! epoch, committee or payload.
//!
//! The signature itself is made by the host ([`Request::Sign`] → [`Command::Signed`]): the
//! machine holds no key, so a node may keep its BLS key in a remote signer. The signer never
//! emits [`Request::Sign`] for a payload before the [`Output::Persist`] of its verified
//! columns.
//!
//! # Driving contract
//!
//! * Build with [`Signer::new`] or, after a crash, [`Signer::restore`]`(kzg, config, records)`
//!   with every record persisted so far, in order. Drain [`Machine::poll_output`] after every
//!   call.
//! * Inputs: [`Message::Store`] from dispersers, [`Message::Retrieval`] requests from samplers
//!   and reconstructors (answered at once), and [`Command::Signed`] from the host answering a
//!   [`Request::Sign`].
//! * Outputs, carried out in order: [`Output::Persist`] of a [`Record`] **before** anything
//!   after it; [`Output::Request`] of a signature; `Send` of [`Message::Attested`] /
//!   [`Message::Refused`] to the disperser and of cells to requesters; `Event`s.
//! * Records: [`Record::Stored`] (header and verified columns), then [`Record::Signed`] (the
//!   signature). On restore, stored payloads are served again, signed ones are attested again on
//!   request, and unsigned ones get a fresh [`Request::Sign`].
//! * It never finishes; [`Signer::held`] is the state.
//!
//! ```
//! use std::sync::Arc;
//! use zg_bls::{Bls, Scheme};
//! use zg_core::machine::{Input, Machine, Output};
//! use zg_core::{Epoch, H256, NodeId, Timestamp};
//! use zg_da::signer::{Command, Message, Record, Request};
//! use zg_da::{Custody, SeatHolder, Signer, SignerConfig, encode_payload};
//! use zg_kzg::KzgSettings;
//!
//! let kzg = Arc::new(KzgSettings::mainnet()?);
//! let members: Vec<SeatHolder> =
//!     (0..4u8).map(|i| SeatHolder { node: NodeId(i.into()), output: [i; 64], seats: 1 }).collect();
//! let custody = Arc::new(Custody::assign(&H256::new([1; 32]), &members, 2)?);
//! let me = NodeId(1);
//! let sk = Bls::secret_key_from_seed(&[1; 32]); // the host's key
//! let mut signer = Signer::new(kzg.clone(), SignerConfig {
//!     me, epoch: Epoch(3), custody: custody.clone(), max_payloads: 8, max_payloads_per_peer: 4,
//! });
//! let payload = encode_payload(&kzg, b"a rollup batch")?;
//! let columns = payload.columns_at(custody.columns_of(me));
//! let disperser = NodeId(100);
//! signer.handle(Timestamp(1), Input::Message {
//!     from: disperser,
//!     message: Message::Store { header: payload.header().clone(), epoch: Epoch(3), columns },
//! })?;
//! let mut wal = Vec::new();
//! let mut attested = false;
//! loop {
//!     let Some(output) = signer.poll_output() else { break };
//!     match output {
//!         // Durable before anything after it: the signature request comes after this.
//!         Output::Persist(record) => wal.push(record),
//!         Output::Request(Request::Sign { payload, message }) => {
//!             assert!(matches!(wal[0], Record::Stored { .. }));
//!             let signature = Bls::sign(&sk, &message);
//!             signer.handle(Timestamp(2), Input::Command(Command::Signed { payload, signature }))?;
//!         }
//!         Output::Send { message: Message::Attested { .. }, .. } => attested = true,
//!         _ => {}
//!     }
//! }
//! assert!(attested);
//! // After a crash: the same state from the records.
//! let back = Signer::restore(kzg, SignerConfig {
//!     me, epoch: Epoch(3), custody, max_payloads: 8, max_payloads_per_peer: 4,
//! }, &wal);
//! assert!(back.holds(&payload.header().payload_id()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Bounds
//!
//! At most [`SignerConfig::max_payloads`] payloads are held in all and
//! [`SignerConfig::max_payloads_per_peer`] per disperser; a full signer answers
//! [`Refusal::Full`]. Everything cheap is checked before any proof is verified (epoch,
//! membership, the exact column set and shape), and nothing is stored until every cell
//! verified. Retrieval requests create no state.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use zg_core::machine::{Input, Machine, Outbox, Output, Protocol};
use zg_core::{Epoch, H256, NodeId, Timestamp};
use zg_kzg::KzgSettings;

use crate::custody::Custody;
use crate::payload::{CellWithProof, Column, Header, valid_cells, verify_cells};
use crate::retrieval::{CellStore, Message as RetrievalMessage};

/// A member's BLS signature over [`attestation_message`] (zg-bls, Ethereum's ciphersuite).
pub type Signature = zg_bls::BlsSignature;

/// The bytes every member signs for `payload` in `epoch` (see the [module docs](self)).
pub fn attestation_message(epoch: Epoch, committee_ref: &H256, payload: &H256) -> Vec<u8> {
    let mut m = Vec::with_capacity(20 + 8 + 64);
    m.extend_from_slice(b"zg-da/attestation/v1");
    m.extend_from_slice(&epoch.0.to_be_bytes());
    m.extend_from_slice(committee_ref.as_bytes());
    m.extend_from_slice(payload.as_bytes());
    m
}

/// The dispersal protocol spoken by [`Signer`] (and by dispersers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Dispersal;

impl Protocol for Dispersal {
    type Message = Message;
    type Timer = core::convert::Infallible;
    type Command = Command;
    type Request = Request;
    type Record = Record;
    type Event = Event;
    type Error = SignerError;
}

/// Why a signer refused a delivery: what the disperser should fix.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// The delivery is for another epoch than the signer's.
    WrongEpoch {
        /// The signer's epoch.
        expected: Epoch,
    },
    /// The signer has no seat in this epoch's committee.
    NotMember,
    /// The columns are not exactly the signer's custody (send these, one cell per blob each,
    /// in blob order).
    WrongColumns {
        /// The columns the custody rule assigns this signer.
        expected: Vec<u16>,
    },
    /// These columns hold cells whose proofs do not verify against the header.
    InvalidCells {
        /// The bad columns, ascending.
        columns: Vec<u16>,
    },
    /// The signer holds as many payloads as it may (in all or from this disperser).
    Full,
}

/// A message of the dispersal protocol.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Message {
    /// Disperser → signer: the signer's columns of a payload.
    Store {
        /// The payload's header.
        header: Header,
        /// The epoch whose committee is asked.
        epoch: Epoch,
        /// The signer's columns, ascending, each with one cell per blob in blob order.
        columns: Vec<Column>,
    },
    /// Signer → disperser: the columns are verified and persisted; the signature over
    /// [`attestation_message`].
    Attested {
        /// The payload.
        payload: H256,
        /// The epoch.
        epoch: Epoch,
        /// The signer's signature.
        signature: Signature,
    },
    /// Signer → disperser: the delivery was refused.
    Refused {
        /// The payload.
        payload: H256,
        /// Why.
        reason: Refusal,
    },
    /// Cell retrieval (samplers and reconstructors ask, the signer answers).
    Retrieval(RetrievalMessage),
}

/// Commands from the signer's host.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    /// The answer to [`Request::Sign`].
    Signed {
        /// The payload.
        payload: H256,
        /// The signature over the requested message.
        signature: Signature,
    },
}

/// What the signer asks of its host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// Sign `message` (= [`attestation_message`]) with the node's BLS key and answer with
    /// [`Command::Signed`].
    Sign {
        /// The payload.
        payload: H256,
        /// The bytes to sign.
        message: Vec<u8>,
    },
}

/// A record the host persists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// Verified columns of a payload, from disperser `from`.
    Stored {
        /// The header.
        header: Header,
        /// The disperser.
        from: NodeId,
        /// The verified columns.
        columns: Vec<Column>,
    },
    /// The signature made for a stored payload.
    Signed {
        /// The payload.
        payload: H256,
        /// The signature.
        signature: Signature,
    },
}

/// What the signer reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A payload's columns verified and were stored.
    Stored {
        /// The payload.
        payload: H256,
        /// The disperser.
        from: NodeId,
    },
    /// A delivery was refused.
    Refused {
        /// The payload.
        payload: H256,
        /// The disperser.
        from: NodeId,
        /// Why.
        reason: Refusal,
    },
    /// The attestation was signed and sent.
    Attested {
        /// The payload.
        payload: H256,
    },
}

/// Why the signer rejected an input (its state is unchanged).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignerError {
    /// A signature for a payload the signer did not ask to sign (or already signed).
    #[error("no signature was requested for payload {payload}")]
    UnexpectedSignature {
        /// The payload.
        payload: H256,
    },
    /// A message a signer does not take (attestations and refusals go to dispersers).
    #[error("a signer does not take this message")]
    UnexpectedMessage,
}

/// A signer's configuration.
#[derive(Clone, Debug)]
pub struct SignerConfig {
    /// This node.
    pub me: NodeId,
    /// The epoch it signs for.
    pub epoch: Epoch,
    /// The epoch's custody (committee and columns).
    pub custody: Arc<Custody>,
    /// Payloads held at most, in all.
    pub max_payloads: usize,
    /// Payloads held at most per disperser.
    pub max_payloads_per_peer: usize,
}

#[derive(Debug)]
struct Held {
    from: NodeId,
    signature: Option<Signature>,
}

/// A DA signer. See the [module docs](self).
#[derive(Debug)]
pub struct Signer {
    kzg: Arc<KzgSettings>,
    config: SignerConfig,
    committee_ref: H256,
    /// Our columns, ascending.
    columns: Vec<u16>,
    held: BTreeMap<H256, Held>,
    per_peer: BTreeMap<NodeId, usize>,
    store: CellStore,
    out: Outbox<Dispersal>,
}

impl Signer {
    /// A fresh signer.
    pub fn new(kzg: Arc<KzgSettings>, config: SignerConfig) -> Self {
        let columns = config.custody.columns_of(config.me).to_vec();
        Signer {
            kzg,
            committee_ref: config.custody.reference(),
            config,
            columns,
            held: BTreeMap::new(),
            per_peer: BTreeMap::new(),
            store: CellStore::new(),
            out: Outbox::new(),
        }
    }

    /// A signer rebuilt from its records (in the order they were persisted). Payloads stored
    /// but not yet signed get a fresh [`Request::Sign`].
    pub fn restore(kzg: Arc<KzgSettings>, config: SignerConfig, records: &[Record]) -> Self {
        let mut s = Signer::new(kzg, config);
        for r in records {
            match r {
                Record::Stored {
                    header,
                    from,
                    columns,
                } => s.hold(header, *from, columns),
                Record::Signed { payload, signature } => {
                    if let Some(h) = s.held.get_mut(payload) {
                        h.signature = Some(*signature);
                    }
                }
            }
        }
        let unsigned: Vec<H256> = s
            .held
            .iter()
            .filter(|(_, h)| h.signature.is_none())
            .map(|(p, _)| *p)
            .collect();
        for payload in unsigned {
            s.request_signature(payload);
        }
        s
    }

    /// Payloads held (verified and persisted).
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// Whether `payload` is held.
    pub fn holds(&self, payload: &H256) -> bool {
        self.held.contains_key(payload)
    }

    /// Cells held, over all payloads.
    pub fn cells_held(&self) -> usize {
        self.store.len()
    }

    /// The columns this signer must hold.
    pub fn columns(&self) -> &[u16] {
        &self.columns
    }

    fn hold(&mut self, header: &Header, from: NodeId, columns: &[Column]) {
        let payload = header.payload_id();
        if self.held.contains_key(&payload) {
            return;
        }
        self.held.insert(
            payload,
            Held {
                from,
                signature: None,
            },
        );
        *self.per_peer.entry(from).or_default() += 1;
        self.store.insert(
            payload,
            columns.iter().flat_map(|c| c.cells.iter().cloned()),
        );
    }

    fn request_signature(&mut self, payload: H256) {
        self.out.request(Request::Sign {
            payload,
            message: attestation_message(self.config.epoch, &self.committee_ref, &payload),
        });
    }

    fn refuse(&mut self, from: NodeId, payload: H256, reason: Refusal) {
        self.out.send(
            from,
            Message::Refused {
                payload,
                reason: reason.clone(),
            },
        );
        self.out.event(Event::Refused {
            payload,
            from,
            reason,
        });
    }

    /// The cheap checks, before any proof: epoch, membership, exact columns and shape.
    fn precheck(&self, header: &Header, epoch: Epoch, columns: &[Column]) -> Option<Refusal> {
        if epoch != self.config.epoch {
            return Some(Refusal::WrongEpoch {
                expected: self.config.epoch,
            });
        }
        if self.columns.is_empty() {
            return Some(Refusal::NotMember);
        }
        let shape_ok = columns.len() == self.columns.len()
            && columns.iter().zip(&self.columns).all(|(c, &want)| {
                c.index == want
                    && c.cells.len() == header.blobs()
                    && c.cells
                        .iter()
                        .enumerate()
                        .all(|(b, cell)| cell.blob as usize == b && cell.index == want)
            });
        if !shape_ok {
            return Some(Refusal::WrongColumns {
                expected: self.columns.clone(),
            });
        }
        None
    }

    fn on_store(&mut self, from: NodeId, header: Header, epoch: Epoch, columns: Vec<Column>) {
        let payload = header.payload_id();
        if let Some(h) = self.held.get(&payload) {
            // Already verified and persisted: answer again, verify nothing.
            if let Some(signature) = h.signature
                && epoch == self.config.epoch
            {
                self.out.send(
                    from,
                    Message::Attested {
                        payload,
                        epoch,
                        signature,
                    },
                );
            }
            return;
        }
        if let Some(reason) = self.precheck(&header, epoch, &columns) {
            return self.refuse(from, payload, reason);
        }
        let from_peer = self.per_peer.get(&from).copied().unwrap_or(0);
        if self.held.len() >= self.config.max_payloads
            || from_peer >= self.config.max_payloads_per_peer
        {
            return self.refuse(from, payload, Refusal::Full);
        }
        let cells: Vec<CellWithProof> = columns
            .iter()
            .flat_map(|c| c.cells.iter().cloned())
            .collect();
        if !verify_cells(&self.kzg, &header, &cells).unwrap_or(false) {
            let verdicts = valid_cells(&self.kzg, &header, &cells);
            let bad: BTreeSet<u16> = cells
                .iter()
                .zip(verdicts)
                .filter(|(_, ok)| !ok)
                .map(|(c, _)| c.index)
                .collect();
            return self.refuse(
                from,
                payload,
                Refusal::InvalidCells {
                    columns: bad.into_iter().collect(),
                },
            );
        }
        // Verified: persist, then (only then) ask for the signature.
        self.out.persist(Record::Stored {
            header: header.clone(),
            from,
            columns: columns.clone(),
        });
        self.hold(&header, from, &columns);
        self.out.event(Event::Stored { payload, from });
        self.request_signature(payload);
    }

    fn on_signed(&mut self, payload: H256, signature: Signature) -> Result<(), SignerError> {
        let held = self
            .held
            .get_mut(&payload)
            .filter(|h| h.signature.is_none())
            .ok_or(SignerError::UnexpectedSignature { payload })?;
        held.signature = Some(signature);
        let from = held.from;
        self.out.persist(Record::Signed { payload, signature });
        self.out.send(
            from,
            Message::Attested {
                payload,
                epoch: self.config.epoch,
                signature,
            },
        );
        self.out.event(Event::Attested { payload });
        Ok(())
    }

    fn on_retrieval(&mut self, from: NodeId, message: RetrievalMessage) -> Result<(), SignerError> {
        let RetrievalMessage::Get { payload, cells } = message else {
            return Err(SignerError::UnexpectedMessage);
        };
        for answer in self.store.answer(payload, &cells).unwrap_or_default() {
            self.out.send(from, Message::Retrieval(answer));
        }
        Ok(())
    }
}

impl Machine<Dispersal> for Signer {
    fn handle(&mut self, _now: Timestamp, input: Input<Dispersal>) -> Result<(), SignerError> {
        match input {
            Input::Message {
                from,
                message:
                    Message::Store {
                        header,
                        epoch,
                        columns,
                    },
            } => {
                self.on_store(from, header, epoch, columns);
                Ok(())
            }
            Input::Message {
                from,
                message: Message::Retrieval(m),
            } => self.on_retrieval(from, m),
            Input::Message { .. } => Err(SignerError::UnexpectedMessage),
            Input::Command(Command::Signed { payload, signature }) => {
                self.on_signed(payload, signature)
            }
            Input::Timeout(never) => match never {},
        }
    }

    fn poll_output(&mut self) -> Option<Output<Dispersal>> {
        self.out.pop()
    }
}
