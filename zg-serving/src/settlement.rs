//! Settlement items as `settleFeesWithTEE` takes them, their per-item statuses, the live
//! broker's `requestsHash`, and the ABI codec of the call.
//!
//! The calldata of `settleFeesWithTEE((address,address,uint256,bytes32,uint256,bytes)[])`
//! follows the [Solidity ABI](https://docs.soliditylang.org/en/latest/abi-spec.html): the 4-byte
//! selector, then the offset of the array (`0x20`), its length, one offset per tuple (relative
//! to the first offset), and each tuple: six head words (`user`, `provider`, `totalFee`,
//! `requestsHash`, `nonce`, offset of `signature` = `0xc0`) and the signature as length +
//! zero-padded bytes. [`decode_settle_calldata`] accepts exactly the canonical encoding that
//! [`encode_settle_calldata`] writes, so every accepted input round-trips byte for byte.

use zg_core::{Amount, H256, keccak256, keccak256_parts};

use crate::Error;
use crate::eip712::{Domain, SignatureScheme, TeeSettlement};
use crate::eth::{Address, SecretKey, U256, recover};

/// The contract's `TEESettlementData`: one user's fee claim, signed by the provider's TEE signer.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SettlementItem {
    /// The user being charged.
    pub user: Address,
    /// The provider being paid (must be the caller).
    pub provider: Address,
    /// The fee claimed.
    pub total_fee: Amount,
    /// Hash of the settled requests.
    pub requests_hash: H256,
    /// Must exceed the account's nonce.
    pub nonce: U256,
    /// The signature bytes (65 for a valid one; any length is accepted on the wire).
    pub signature: Vec<u8>,
}

impl SettlementItem {
    /// The signed fields.
    pub fn message(&self) -> TeeSettlement {
        TeeSettlement {
            requests_hash: self.requests_hash,
            nonce: self.nonce,
            provider: self.provider,
            user: self.user,
            total_fee: self.total_fee,
        }
    }

    /// Builds and signs an item with the TEE signer `key` under `scheme`.
    pub fn signed(
        key: &SecretKey,
        scheme: SignatureScheme,
        domain: &Domain,
        message: TeeSettlement,
    ) -> Result<SettlementItem, Error> {
        let signature = key.sign_prehash(&message.digest(scheme, domain))?;
        Ok(SettlementItem {
            user: message.user,
            provider: message.provider,
            total_fee: message.total_fee,
            requests_hash: message.requests_hash,
            nonce: message.nonce,
            signature: signature.0.to_vec(),
        })
    }

    /// Whether the signature recovers to `signer` under `scheme` (the contract's
    /// `_verifySignature`).
    pub fn verify(&self, scheme: SignatureScheme, domain: &Domain, signer: &Address) -> bool {
        let digest = self.message().digest(scheme, domain);
        recover(&digest, &self.signature, scheme.recover_rule()) == Some(*signer)
    }
}

/// The contract's `SettlementStatus` (its numeric codes are the enum's discriminants).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum SettlementStatus {
    /// 0: the whole fee was settled.
    Success = 0,
    /// 1: the balance covered only part of the fee; the nonce still advanced.
    Partial = 1,
    /// 2: the item names another provider than the caller, or the caller has no service.
    ProviderMismatch = 2,
    /// 3: the user has not acknowledged the provider, or the service's TEE signer is unset or
    /// not acknowledged.
    NoTeeSigner = 3,
    /// 4: the nonce is not above the account's.
    InvalidNonce = 4,
    /// 5: the signature does not recover to the TEE signer, or the account does not exist.
    InvalidSignature = 5,
}

impl SettlementStatus {
    /// The status code the contract returns.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The contract's name for it.
    pub fn name(self) -> &'static str {
        match self {
            SettlementStatus::Success => "SUCCESS",
            SettlementStatus::Partial => "PARTIAL",
            SettlementStatus::ProviderMismatch => "PROVIDER_MISMATCH",
            SettlementStatus::NoTeeSigner => "NO_TEE_SIGNER",
            SettlementStatus::InvalidNonce => "INVALID_NONCE",
            SettlementStatus::InvalidSignature => "INVALID_SIGNATURE",
        }
    }
}

/// What happened to one settlement item (the contract's `TEESettlementResult` event).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ItemResult {
    /// The status.
    pub status: SettlementStatus,
    /// Paid to the provider from this item.
    pub settled: Amount,
    /// Claimed but not paid (`totalFee` for failures, the shortfall for PARTIAL).
    pub unsettled: Amount,
}

/// One served request as the live provider broker stores it for `requestsHash`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RequestRecord {
    /// The request's hash.
    pub request_hash: H256,
    /// The user served.
    pub user: Address,
    /// Fee for the input tokens.
    pub input_fee: Amount,
    /// Fee for the output tokens.
    pub output_fee: Amount,
}

/// `requestsHash` as the live provider broker builds it (`hashUserRequests` in
/// 0g-serving-broker `settlement_tee.go`): Keccak-256 over the concatenation, for each request in
/// creation order, of the strings `requestHash ‖ userAddress ‖ fee ‖ inputFee ‖ outputFee`.
///
/// The broker concatenates its database strings; we write the request hash as `0x` + lower-case
/// hex, the user address in EIP-55 form (go-ethereum `Address.Hex()`), and fees in decimal, with
/// `fee = inputFee + outputFee`. Fails only if a fee sum overflows.
pub fn requests_hash(records: &[RequestRecord]) -> Result<H256, Error> {
    let mut buf = String::with_capacity(records.len() * 180);
    for r in records {
        let fee = r
            .input_fee
            .checked_add(r.output_fee)
            .map_err(|_| Error::Overflow)?;
        buf.push_str(&r.request_hash.to_hex());
        buf.push_str(&r.user.to_checksum());
        buf.push_str(&fee.to_string());
        buf.push_str(&r.input_fee.to_string());
        buf.push_str(&r.output_fee.to_string());
    }
    Ok(keccak256(buf.as_bytes()))
}

/// The selector of `settleFeesWithTEE((address,address,uint256,bytes32,uint256,bytes)[])`.
pub fn settle_selector() -> [u8; 4] {
    let h =
        keccak256_parts(&[b"settleFeesWithTEE((address,address,uint256,bytes32,uint256,bytes)[])"]);
    [h.0[0], h.0[1], h.0[2], h.0[3]]
}

fn padded_len(n: usize) -> usize {
    n.div_ceil(32) * 32
}

fn word_usize(n: usize) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[24..].copy_from_slice(&(n as u64).to_be_bytes());
    w
}

/// ABI-encodes a `settleFeesWithTEE` call.
pub fn encode_settle_calldata(items: &[SettlementItem]) -> Vec<u8> {
    let tuple_len = |it: &SettlementItem| 7 * 32 + padded_len(it.signature.len());
    let total = 4 + 64 + 32 * items.len() + items.iter().map(tuple_len).sum::<usize>();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&settle_selector());
    out.extend_from_slice(&word_usize(0x20));
    out.extend_from_slice(&word_usize(items.len()));
    let mut offset = 32 * items.len();
    for it in items {
        out.extend_from_slice(&word_usize(offset));
        offset += tuple_len(it);
    }
    for it in items {
        out.extend_from_slice(&it.user.to_word());
        out.extend_from_slice(&it.provider.to_word());
        out.extend_from_slice(&it.total_fee.to_be_word());
        out.extend_from_slice(&it.requests_hash.0);
        out.extend_from_slice(&it.nonce.0);
        out.extend_from_slice(&word_usize(0xc0));
        out.extend_from_slice(&word_usize(it.signature.len()));
        out.extend_from_slice(&it.signature);
        out.resize(
            out.len() + padded_len(it.signature.len()) - it.signature.len(),
            0,
        );
    }
    out
}

struct Reader<'a> {
    data: &'a [u8],
}

impl Reader<'_> {
    fn word(&self, at: usize) -> Result<&[u8; 32], Error> {
        let end = at.checked_add(32).ok_or(Error::Decode("offset overflow"))?;
        self.data
            .get(at..end)
            .and_then(|s| <&[u8; 32]>::try_from(s).ok())
            .ok_or(Error::Decode("truncated"))
    }

    fn usize_at(&self, at: usize) -> Result<usize, Error> {
        let w = self.word(at)?;
        if w[..24].iter().any(|b| *b != 0) {
            return Err(Error::Decode("length or offset too large"));
        }
        let mut b = [0u8; 8];
        b.copy_from_slice(&w[24..]);
        usize::try_from(u64::from_be_bytes(b)).map_err(|_| Error::Decode("length too large"))
    }

    fn address_at(&self, at: usize) -> Result<Address, Error> {
        let w = self.word(at)?;
        if w[..12].iter().any(|b| *b != 0) {
            return Err(Error::Decode("dirty address padding"));
        }
        Address::from_slice(&w[12..])
    }
}

/// Decodes `settleFeesWithTEE` calldata, accepting only the canonical encoding.
///
/// Rejects (with [`Error::Decode`]) a wrong selector, non-canonical offsets, dirty padding,
/// trailing bytes, and fees above 2^128 − 1 (which [`Amount`] cannot hold; no real balance
/// reaches them). Never panics, whatever the input.
pub fn decode_settle_calldata(data: &[u8]) -> Result<Vec<SettlementItem>, Error> {
    if data.len() < 4 || data[..4] != settle_selector() {
        return Err(Error::Decode("not a settleFeesWithTEE call"));
    }
    let r = Reader { data: &data[4..] };
    if r.usize_at(0)? != 0x20 {
        return Err(Error::Decode("non-canonical array offset"));
    }
    let n = r.usize_at(32)?;
    let heads = 64usize;
    if n > r.data.len() / 32 {
        return Err(Error::Decode("array longer than the input"));
    }
    let mut items = Vec::with_capacity(n);
    let mut expected = 32 * n;
    for i in 0..n {
        let offset = r.usize_at(heads + 32 * i)?;
        if offset != expected {
            return Err(Error::Decode("non-canonical tuple offset"));
        }
        let base = heads + offset;
        let user = r.address_at(base)?;
        let provider = r.address_at(base + 32)?;
        let fee_word = r.word(base + 64)?;
        if fee_word[..16].iter().any(|b| *b != 0) {
            return Err(Error::Decode("fee above 2^128 - 1"));
        }
        let mut low = [0u8; 16];
        low.copy_from_slice(&fee_word[16..]);
        let total_fee = Amount::new(u128::from_be_bytes(low));
        let requests_hash = H256(*r.word(base + 96)?);
        let nonce = U256(*r.word(base + 128)?);
        if r.usize_at(base + 160)? != 0xc0 {
            return Err(Error::Decode("non-canonical bytes offset"));
        }
        let len = r.usize_at(base + 192)?;
        let start = base + 224;
        let padded = len
            .checked_add(31)
            .map(|l| l / 32 * 32)
            .ok_or(Error::Decode("length overflow"))?;
        let end = start
            .checked_add(padded)
            .ok_or(Error::Decode("length overflow"))?;
        let body = r.data.get(start..end).ok_or(Error::Decode("truncated"))?;
        if body[len..].iter().any(|b| *b != 0) {
            return Err(Error::Decode("dirty bytes padding"));
        }
        items.push(SettlementItem {
            user,
            provider,
            total_fee,
            requests_hash,
            nonce,
            signature: body[..len].to_vec(),
        });
        expected = end - heads;
    }
    if heads + expected != r.data.len() {
        return Err(Error::Decode("trailing bytes"));
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(i: u8, sig_len: usize) -> SettlementItem {
        SettlementItem {
            user: Address([i; 20]),
            provider: Address([i.wrapping_add(1); 20]),
            total_fee: Amount::new(u128::from(i) * 1000 + 7),
            requests_hash: H256([i; 32]),
            nonce: U256::from(u64::from(i) + 1),
            signature: vec![i; sig_len],
        }
    }

    #[test]
    fn calldata_round_trips_and_rejects_tampering() {
        let items: Vec<_> = (0..4)
            .map(|i| item(i, [65, 0, 1, 64][usize::from(i)]))
            .collect();
        let data = encode_settle_calldata(&items);
        assert_eq!(decode_settle_calldata(&data).unwrap(), items);
        assert_eq!(
            decode_settle_calldata(&encode_settle_calldata(&[])).unwrap(),
            vec![]
        );
        // Trailing byte, truncation, dirty address padding, wrong selector.
        let mut longer = data.clone();
        longer.push(0);
        assert!(decode_settle_calldata(&longer).is_err());
        assert!(decode_settle_calldata(&data[..data.len() - 1]).is_err());
        let mut dirty = data.clone();
        dirty[4 + 64 + 32 * 4] = 1; // first byte of the first tuple's user word
        assert!(decode_settle_calldata(&dirty).is_err());
        let mut selector = data.clone();
        selector[0] ^= 1;
        assert!(decode_settle_calldata(&selector).is_err());
        // A huge array length cannot make the decoder allocate.
        let mut huge = data;
        huge[4 + 32..4 + 64].fill(0xff);
        assert!(decode_settle_calldata(&huge).is_err());
    }

    #[test]
    fn selector_is_keccak_of_signature() {
        // keccak256("settleFeesWithTEE((address,address,uint256,bytes32,uint256,bytes)[])")[..4]
        let full =
            keccak256(b"settleFeesWithTEE((address,address,uint256,bytes32,uint256,bytes)[])");
        assert_eq!(
            settle_selector(),
            [full.0[0], full.0[1], full.0[2], full.0[3]]
        );
    }

    #[test]
    fn requests_hash_is_order_and_field_sensitive() {
        let a = RequestRecord {
            request_hash: H256([1; 32]),
            user: Address([2; 20]),
            input_fee: Amount::new(10),
            output_fee: Amount::new(20),
        };
        let b = RequestRecord {
            request_hash: H256([3; 32]),
            ..a
        };
        let ab = requests_hash(&[a, b]).unwrap();
        assert_ne!(ab, requests_hash(&[b, a]).unwrap());
        assert_eq!(requests_hash(&[]).unwrap(), keccak256(b""));
        // The string form is exactly what is hashed.
        let expected = format!(
            "{}{}301020",
            H256([1; 32]).to_hex(),
            Address([2; 20]).to_checksum()
        );
        assert_eq!(requests_hash(&[a]).unwrap(), keccak256(expected.as_bytes()));
        let overflow = RequestRecord {
            input_fee: Amount::MAX,
            output_fee: Amount::new(1),
            ..a
        };
        assert!(requests_hash(&[overflow]).is_err());
    }
}
