//! Wire encoding of messages, certificates and receipts: fixed layouts, big-endian integers,
//! canonical (every accepted byte string re-encodes to itself), and total — decoding never
//! panics, and rejects trailing bytes, unknown tags and over-long lists.
//!
//! ```text
//! message      = version:u8(=1) tag:u8 body
//! vote     (2) = partition:u32 epoch:u64 height:u64 round:u32 kind:u8 has_value:u8 [value:32]
//!                validator:u16 signature
//! proposal (1) = partition:u32 epoch:u64 height:u64 round:u32 value:32 valid_round:u32
//!                (0xffffffff = none) proposer:u16 signature has_pol:u8 [certificate]
//! decision (3) = certificate
//! sync     (4) = partition:u32 from:u64
//! decisions(5) = count:u16 certificate*count
//! polka    (6) = certificate
//! certificate  = partition:u32 epoch:u64 height:u64 round:u32 kind:u8 value:32 bitmap signature
//! bitmap       = len:u16 bytes:ceil(len/8)
//! receipt      = event:136 index:u64 proof_len:u16 proof commitment:72 certificate
//! ```
//!
//! Signatures take [`Scheme::SIGNATURE_LEN`] bytes (192 for BLS: uncompressed, see
//! [`Bls`](crate::Bls)).

use std::sync::Arc;

use zg_core::tree::Proof;
use zg_core::{Epoch, H256};

use crate::Error;
use crate::bitmap::SignerBitmap;
use crate::certificate::Certificate;
use crate::protocol::Message;
use crate::receipt::{BURN_EVENT_LEN, BurnEvent, BurnReceipt, ValueCommitment};
use crate::scheme::Scheme;
use crate::types::{
    Height, PartitionId, Proposal, Round, SignedProposal, SignedVote, ValidatorIndex, Vote,
    VoteKind,
};

/// Wire format version.
pub const WIRE_VERSION: u8 = 1;
/// Most certificates in one catch-up reply.
pub const MAX_DECISIONS_PER_MESSAGE: usize = 256;

/// Encodes a message.
pub fn encode_message<S: Scheme>(message: &Message<S>) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + S::SIGNATURE_LEN);
    out.push(WIRE_VERSION);
    match message {
        Message::Proposal(p) => {
            out.push(1);
            let q = &p.proposal;
            out.extend_from_slice(&q.partition.0.to_be_bytes());
            out.extend_from_slice(&q.epoch.0.to_be_bytes());
            out.extend_from_slice(&q.height.0.to_be_bytes());
            out.extend_from_slice(&q.round.0.to_be_bytes());
            out.extend_from_slice(q.value.as_bytes());
            out.extend_from_slice(&q.valid_round.map_or(u32::MAX, |r| r.0).to_be_bytes());
            out.extend_from_slice(&q.proposer.0.to_be_bytes());
            S::encode_signature(&p.signature, &mut out);
            match &p.proof_of_lock {
                None => out.push(0),
                Some(c) => {
                    out.push(1);
                    encode_certificate(c, &mut out);
                }
            }
        }
        Message::Vote(v) => {
            out.push(2);
            let x = &v.vote;
            out.extend_from_slice(&x.partition.0.to_be_bytes());
            out.extend_from_slice(&x.epoch.0.to_be_bytes());
            out.extend_from_slice(&x.height.0.to_be_bytes());
            out.extend_from_slice(&x.round.0.to_be_bytes());
            out.push(x.kind.tag());
            match x.value {
                None => out.push(0),
                Some(h) => {
                    out.push(1);
                    out.extend_from_slice(h.as_bytes());
                }
            }
            out.extend_from_slice(&x.validator.0.to_be_bytes());
            S::encode_signature(&v.signature, &mut out);
        }
        Message::Decision(c) => {
            out.push(3);
            encode_certificate(c, &mut out);
        }
        Message::ProofOfLock(c) => {
            out.push(6);
            encode_certificate(c, &mut out);
        }
        Message::SyncRequest { partition, from } => {
            out.push(4);
            out.extend_from_slice(&partition.0.to_be_bytes());
            out.extend_from_slice(&from.0.to_be_bytes());
        }
        Message::Decisions(cs) => {
            out.push(5);
            let n = u16::try_from(cs.len().min(MAX_DECISIONS_PER_MESSAGE)).unwrap_or(0);
            out.extend_from_slice(&n.to_be_bytes());
            for c in cs.iter().take(usize::from(n)) {
                encode_certificate(c, &mut out);
            }
        }
    }
    out
}

/// Decodes a message (see the module docs for the layout).
pub fn decode_message<S: Scheme>(bytes: &[u8]) -> Result<Message<S>, Error> {
    let mut r = Reader::new(bytes);
    if r.u8()? != WIRE_VERSION {
        return Err(Error::Decode("unknown wire version"));
    }
    let m = match r.u8()? {
        1 => {
            let proposal = Proposal {
                partition: PartitionId(r.u32()?),
                epoch: Epoch(r.u64()?),
                height: Height(r.u64()?),
                round: Round(r.u32()?),
                value: r.h256()?,
                valid_round: match r.u32()? {
                    u32::MAX => None,
                    x => Some(Round(x)),
                },
                proposer: ValidatorIndex(r.u16()?),
            };
            let signature = r.signature::<S>()?;
            let proof_of_lock = match r.u8()? {
                0 => None,
                1 => Some(decode_certificate_from(&mut r)?),
                _ => return Err(Error::Decode("bad proof-of-lock flag")),
            };
            Message::Proposal(Arc::new(SignedProposal {
                proposal,
                signature,
                proof_of_lock,
            }))
        }
        2 => {
            let partition = PartitionId(r.u32()?);
            let epoch = Epoch(r.u64()?);
            let height = Height(r.u64()?);
            let round = Round(r.u32()?);
            let kind = VoteKind::from_tag(r.u8()?).ok_or(Error::Decode("bad vote kind"))?;
            let value = match r.u8()? {
                0 => None,
                1 => Some(r.h256()?),
                _ => return Err(Error::Decode("bad value flag")),
            };
            let validator = ValidatorIndex(r.u16()?);
            let signature = r.signature::<S>()?;
            Message::Vote(SignedVote {
                vote: Vote {
                    partition,
                    epoch,
                    height,
                    round,
                    kind,
                    value,
                    validator,
                },
                signature,
            })
        }
        3 => Message::Decision(Arc::new(decode_certificate_from(&mut r)?)),
        6 => Message::ProofOfLock(Arc::new(decode_certificate_from(&mut r)?)),
        4 => Message::SyncRequest {
            partition: PartitionId(r.u32()?),
            from: Height(r.u64()?),
        },
        5 => {
            let n = usize::from(r.u16()?);
            if n > MAX_DECISIONS_PER_MESSAGE {
                return Err(Error::Decode("too many certificates"));
            }
            let mut cs = Vec::with_capacity(n.min(16));
            for _ in 0..n {
                cs.push(decode_certificate_from(&mut r)?);
            }
            Message::Decisions(Arc::new(cs))
        }
        _ => return Err(Error::Decode("unknown message tag")),
    };
    r.finish()?;
    Ok(m)
}

/// Appends a certificate's encoding.
pub fn encode_certificate<S: Scheme>(c: &Certificate<S>, out: &mut Vec<u8>) {
    out.extend_from_slice(&c.partition.0.to_be_bytes());
    out.extend_from_slice(&c.epoch.0.to_be_bytes());
    out.extend_from_slice(&c.height.0.to_be_bytes());
    out.extend_from_slice(&c.round.0.to_be_bytes());
    out.push(c.kind.tag());
    out.extend_from_slice(c.value.as_bytes());
    c.signers.encode(out);
    S::encode_signature(&c.signature, out);
}

/// Decodes exactly one certificate.
pub fn decode_certificate<S: Scheme>(bytes: &[u8]) -> Result<Certificate<S>, Error> {
    let mut r = Reader::new(bytes);
    let c = decode_certificate_from(&mut r)?;
    r.finish()?;
    Ok(c)
}

fn decode_certificate_from<S: Scheme>(r: &mut Reader<'_>) -> Result<Certificate<S>, Error> {
    Ok(Certificate {
        partition: PartitionId(r.u32()?),
        epoch: Epoch(r.u64()?),
        height: Height(r.u64()?),
        round: Round(r.u32()?),
        kind: VoteKind::from_tag(r.u8()?).ok_or(Error::Decode("bad vote kind"))?,
        value: r.h256()?,
        signers: {
            let (map, used) =
                SignerBitmap::decode(r.rest()).ok_or(Error::Decode("bad signer bitmap"))?;
            r.skip(used)?;
            map
        },
        signature: r.signature::<S>()?,
    })
}

/// Encodes a burn receipt.
pub fn encode_receipt<S: Scheme>(receipt: &BurnReceipt<S>) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&receipt.event.encode());
    out.extend_from_slice(&receipt.index.to_be_bytes());
    let proof = receipt.proof.to_bytes();
    out.extend_from_slice(&u16::try_from(proof.len()).unwrap_or(u16::MAX).to_be_bytes());
    out.extend_from_slice(&proof);
    out.extend_from_slice(receipt.commitment.payload.as_bytes());
    out.extend_from_slice(receipt.commitment.burn_root.as_bytes());
    out.extend_from_slice(&receipt.commitment.burn_count.to_be_bytes());
    encode_certificate(&receipt.certificate, &mut out);
    out
}

/// Decodes a burn receipt.
pub fn decode_receipt<S: Scheme>(bytes: &[u8]) -> Result<BurnReceipt<S>, Error> {
    let mut r = Reader::new(bytes);
    let event = BurnEvent::decode(r.take(BURN_EVENT_LEN)?)?;
    let index = r.u64()?;
    let plen = usize::from(r.u16()?);
    let proof = Proof::from_bytes(r.take(plen)?).map_err(|_| Error::Decode("bad proof"))?;
    let commitment = ValueCommitment {
        payload: r.h256()?,
        burn_root: r.h256()?,
        burn_count: r.u64()?,
    };
    let certificate = decode_certificate_from(&mut r)?;
    r.finish()?;
    Ok(BurnReceipt {
        event,
        index,
        proof,
        commitment,
        certificate,
    })
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        if self.bytes.len() < n {
            return Err(Error::Decode("truncated"));
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    fn skip(&mut self, n: usize) -> Result<(), Error> {
        self.take(n).map(|_| ())
    }

    fn rest(&self) -> &'a [u8] {
        self.bytes
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.array::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16, Error> {
        Ok(u16::from_be_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32, Error> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, Error> {
        Ok(u64::from_be_bytes(self.array()?))
    }
    fn h256(&mut self) -> Result<H256, Error> {
        Ok(H256(self.array()?))
    }

    fn signature<S: Scheme>(&mut self) -> Result<S::Signature, Error> {
        S::decode_signature(self.take(S::SIGNATURE_LEN)?).ok_or(Error::Decode("bad signature"))
    }

    fn finish(&self) -> Result<(), Error> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(Error::Decode("trailing bytes"))
        }
    }
}
