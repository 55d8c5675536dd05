//! Compressed settlement: N requests settled with one signature and an O(1) on-chain check,
//! challengeable with an O(log N) fraud proof. This goes beyond the live contract, whose
//! settlement costs one signature recovery per (user, batch) but gives the user no way to
//! dispute a line of the bill.
//!
//! # Specification
//!
//! **Receipts.** For every request it serves, the provider issues a [`Receipt`] —
//! `(seq, requestHash, inputTokens, outputTokens, fee)` with `seq` counting 1, 2, 3, … per
//! (user, provider) and `fee = inputTokens × inputPrice + outputTokens × outputPrice` — and
//! signs it with its TEE signer key ([`SignedReceipt`]) under the serving contract's EIP-712
//! domain as [`RECEIPT_TYPE`], which names the provider and the user: a receipt of one
//! account (or one deployment) proves nothing about another's batch. The user keeps every
//! signed receipt.
//!
//! **Tree.** A batch of `count ≥ 1` receipts with consecutive `seq` is the leaf row of a
//! Merkle-sum tree of depth `d = ⌈log₂ count⌉`, padded with empty leaves `(0x00…, 0)`:
//!
//! ```text
//! leaf  = (keccak256(0x00 ‖ seq:8 ‖ requestHash:32 ‖ inputTokens:8 ‖ outputTokens:8 ‖ fee:16), fee)
//! node  = (keccak256(0x01 ‖ L.hash ‖ L.sum:16 ‖ R.hash ‖ R.sum:16), L.sum + R.sum)
//! ```
//!
//! (integers big-endian). Each node's hash commits to its children's sums, so walking any
//! leaf's path recomputes the root's sum as well as its hash.
//!
//! **Commitment (O(1) on chain).** The provider's TEE signer signs, under the serving
//! contract's EIP-712 domain, `BatchSettlement(address provider,address user,bytes32 root,
//! uint256 totalFee,uint256 count,uint256 firstSeq,uint256 inputPrice,uint256 outputPrice,
//! uint256 nonce)`. [`BatchOp::Commit`] checks, in constant time whatever `count`: the caller
//! is the provider; the account exists and both the user and the owner acknowledge the signer;
//! `nonce` exceeds the account's settlement nonce (shared with `settleFeesWithTEE`, so neither
//! path can replay the other); the prices equal the service's; `firstSeq` continues the
//! account's settled sequence; one signature recovery. It then advances the nonce and the
//! sequence, moves `min(totalFee, balance)` into escrow (cancelling pending refunds
//! most-recent-first, like `_settleFees`) and opens a challenge window.
//!
//! **Challenges (O(log N)).** Within the window the user may void the batch with one
//! [`FraudProof`], a receipt with its [`SumProof`] path to `root`:
//!
//! * `FeeFormula` — the receipt's fee is not `inputTokens × inputPrice + outputTokens × outputPrice`;
//! * `Sequence` — the receipt at index `i` does not carry `seq = firstSeq + i` (a duplicate,
//!   a replay of an earlier batch, or a gap);
//! * `Padding` — a non-empty leaf at an index `≥ count`;
//! * `TotalMismatch` — the path's recomputed root sum is not `totalFee`;
//! * `Equivocation` — the provider signed, at serving time, a different receipt with the same
//!   `seq` (it bills more tokens than it told the user).
//!
//! A valid proof returns the escrow to the account and moves `min(stake, totalFee)` of the
//! provider's stake to the user. A proof that proves nothing reverts.
//!
//! **What a challenge reads is fixed at commit.** The batch stores the TEE signer that signed
//! its commitment ([`Batch::signer`]); `Equivocation` proofs are judged against it, never the
//! service's current signer. The prices are in the commitment. While a provider has any batch
//! open or awaiting an opening ([`Ledger::open_batches`]), the ledger refuses a change of its
//! TEE signer and `RemoveService` ([`LedgerError::OpenBatches`]), so the stake behind the
//! penalty stays until the last window closes.
//!
//! **Data availability.** The provider sends the user the opening (all receipts of the batch,
//! [`crate::protocol::Message::BatchOpening`]) once the commitment lands, and again on request.
//! A user who did not receive it, or whose opening does not rebuild `root`, calls
//! [`BatchOp::ChallengeWithheld`]; the provider must then post the receipts on
//! chain ([`BatchOp::PostOpening`], O(N), paid only by a provider in dispute). A posting that
//! does not rebuild the root, or none before the response deadline, voids the batch with the
//! same penalty; a correct one reopens the challenge window, the receipts now public. An
//! opening can be demanded once: after a posted one, `ChallengeWithheld` is refused (else a
//! user could reopen the window for ever and the provider would never be paid).
//!
//! **Finalisation.** After the window, anyone calls [`BatchOp::Finalize`] and the escrow is
//! paid to the provider.
//!
//! **The user's audit** ([`audit`]). Given the chain's commitment, an opening and the signed
//! receipts it accepted at serving time (by `seq`), a user rebuilds the tree. Receipts that do
//! not rebuild `root` — or that do but cannot fit `count` with leaf proofs of depth
//! `⌈log₂ count⌉` — are no opening ([`Finding::NotAnOpening`]: force it on chain). Otherwise it
//! looks, in this order, for a hidden leaf past `count` (`Padding`), a root sum other than
//! `totalFee` (`TotalMismatch`), and per leaf a wrong `seq` (`Sequence`), a fee off the formula
//! (`FeeFormula`) and a receipt that differs from the signed one of the same `seq`
//! (`Equivocation`); each proof is checked with [`proves_fraud`] before it is returned. A
//! consistent batch lists the leaves the user holds no signed receipt for.
//!
//! **Who drives it.** [`crate::provider::ProviderBroker`] in
//! [`crate::provider::SettlementMode::Batch`] commits one batch per user per settlement round
//! (the live triggers), sends the opening, posts a demanded one and finalises after the
//! window. [`crate::user::UserBroker`] audits every batch the chain shows against its account,
//! challenges, forces openings, voids a batch whose opening never comes, and leaves a provider
//! that cheated. A user who is offline does not delay an honest batch: finalisation needs
//! nobody but the provider.
//!
//! **What it does not prove.** Like the live system, token counts the provider reports at
//! serving time are trusted to its TEE; the [`crate::user`] broker compares them with what it
//! received and stops paying a provider that over-reports. No leaf carries the user's
//! signature, so a batch can bill a request the user never made (a fee- and
//! sequence-consistent extra receipt) and no fraud proof shows it; the user broker recognises
//! its own requests (a receipt lost in transit still matches the `requestHash` of a request it
//! sent) and reports any other as an over-charge, revokes its tokens and retrieves its funds —
//! but that batch pays. For the same reason a user whose signed receipt for a `seq` was lost
//! cannot prove equivocation on that leaf. Closing this needs user-countersigned requests and a
//! challenge the provider answers with the user's signature (an interactive
//! `ChallengeWithheld`-like step); it is not implemented. The live and compressed paths share
//! the account's nonce, not its receipts: a provider that settles the same requests both ways
//! is caught by the user broker's `charged ≤ fair` check, not by a proof.

use zg_core::{Amount, H256, keccak256_parts};

use crate::eip712::Domain;
use crate::eth::{Address, EthSignature, RecoverRule, SecretKey, U256, recover};
use crate::ledger::{Journal, Ledger};
use crate::{Error, LedgerError};

/// One served request as billed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Receipt {
    /// Position in the (user, provider) sequence, from 1.
    pub seq: u64,
    /// Hash of the request.
    pub request_hash: H256,
    /// Input tokens billed.
    pub input_tokens: u64,
    /// Output tokens billed.
    pub output_tokens: u64,
    /// The fee.
    pub fee: Amount,
}

impl Receipt {
    /// The leaf hash: `keccak256(0x00 ‖ seq ‖ requestHash ‖ inputTokens ‖ outputTokens ‖ fee)`.
    pub fn hash(&self) -> H256 {
        keccak256_parts(&[
            &[0u8],
            &self.seq.to_be_bytes(),
            &self.request_hash.0,
            &self.input_tokens.to_be_bytes(),
            &self.output_tokens.to_be_bytes(),
            &self.fee.units().to_be_bytes(),
        ])
    }

    /// The leaf node.
    pub fn node(&self) -> Node {
        Node {
            hash: self.hash(),
            sum: self.fee,
        }
    }

    /// Whether `fee = inputTokens × inputPrice + outputTokens × outputPrice`.
    pub fn fee_is_correct(&self, input_price: Amount, output_price: Amount) -> bool {
        fee(
            self.input_tokens,
            self.output_tokens,
            input_price,
            output_price,
        ) == Ok(self.fee)
    }
}

/// `input × inputPrice + output × outputPrice`, checked.
pub fn fee(
    input_tokens: u64,
    output_tokens: u64,
    input_price: Amount,
    output_price: Amount,
) -> Result<Amount, Error> {
    input_price
        .checked_mul(u128::from(input_tokens))
        .and_then(|a| {
            output_price
                .checked_mul(u128::from(output_tokens))
                .and_then(|b| a.checked_add(b))
        })
        .map_err(|_| Error::Overflow)
}

/// `"Receipt(address provider,address user,uint256 seq,bytes32 requestHash,uint256 inputTokens,uint256 outputTokens,uint256 fee)"`.
pub const RECEIPT_TYPE: &str = "Receipt(address provider,address user,uint256 seq,bytes32 requestHash,uint256 inputTokens,uint256 outputTokens,uint256 fee)";

impl Receipt {
    /// The EIP-712 struct hash of this receipt as issued by `provider` to `user`.
    pub fn struct_hash(&self, provider: &Address, user: &Address) -> H256 {
        keccak256_parts(&[
            &zg_core::keccak256(RECEIPT_TYPE.as_bytes()).0,
            &provider.to_word(),
            &user.to_word(),
            &U256::from(self.seq).0,
            &self.request_hash.0,
            &U256::from(self.input_tokens).0,
            &U256::from(self.output_tokens).0,
            &self.fee.to_be_word(),
        ])
    }
}

/// A receipt with the provider's TEE signature: EIP-712 under the serving contract's domain,
/// over [`Receipt::struct_hash`] for one (provider, user) account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SignedReceipt {
    /// The receipt.
    pub receipt: Receipt,
    /// The signature.
    pub signature: EthSignature,
}

impl SignedReceipt {
    /// Signs a receipt `provider` issues to `user` on the deployment `domain`.
    pub fn sign(
        key: &SecretKey,
        domain: &Domain,
        provider: &Address,
        user: &Address,
        receipt: Receipt,
    ) -> Result<SignedReceipt, Error> {
        Ok(SignedReceipt {
            receipt,
            signature: key.sign_prehash(&domain.digest(&receipt.struct_hash(provider, user)))?,
        })
    }

    /// The signer, if the signature is valid (low-s, `v ∈ {27, 28}`) for a receipt of
    /// (`provider`, `user`) on `domain`; any other account or deployment recovers another
    /// address.
    pub fn signer(&self, domain: &Domain, provider: &Address, user: &Address) -> Option<Address> {
        recover(
            &domain.digest(&self.receipt.struct_hash(provider, user)),
            &self.signature.0,
            RecoverRule::OpenZeppelin,
        )
    }
}

/// A Merkle-sum node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Node {
    /// Its hash.
    pub hash: H256,
    /// The sum of the fees below it.
    pub sum: Amount,
}

impl Node {
    /// The empty (padding) leaf.
    pub const EMPTY: Node = Node {
        hash: H256::ZERO,
        sum: Amount::ZERO,
    };

    /// The parent of two nodes, or `None` if the sum overflows.
    pub fn parent(left: &Node, right: &Node) -> Option<Node> {
        let sum = left.sum.checked_add(right.sum).ok()?;
        Some(Node {
            hash: keccak256_parts(&[
                &[1u8],
                &left.hash.0,
                &left.sum.units().to_be_bytes(),
                &right.hash.0,
                &right.sum.units().to_be_bytes(),
            ]),
            sum,
        })
    }
}

/// The siblings from a leaf up to the root.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SumProof {
    /// Sibling nodes, leaf level first.
    pub siblings: Vec<Node>,
}

impl SumProof {
    /// The root a leaf at `index` leads to, or `None` on overflow or an index beyond the depth.
    pub fn root(&self, leaf: &Node, index: u64) -> Option<Node> {
        // A `u64` index has 64 levels at most; a longer path proves nothing (and would shift
        // the index by 64 or more below).
        if self.siblings.len() > 64 {
            return None;
        }
        if self.siblings.len() < 64 && index >> self.siblings.len() != 0 {
            return None;
        }
        let mut node = *leaf;
        for (level, sibling) in self.siblings.iter().enumerate() {
            node = if (index >> level) & 1 == 0 {
                Node::parent(&node, sibling)?
            } else {
                Node::parent(sibling, &node)?
            };
        }
        Some(node)
    }
}

/// `⌈log₂ count⌉` (0 for a single leaf).
pub fn depth(count: u64) -> usize {
    if count <= 1 {
        0
    } else {
        (64 - (count - 1).leading_zeros()) as usize
    }
}

/// A batch's Merkle-sum tree, built by the provider (and by a user checking an opening).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchTree {
    receipts: Vec<Receipt>,
    /// levels[0] = padded leaves, last = [root].
    levels: Vec<Vec<Node>>,
}

impl BatchTree {
    /// Builds the tree of `receipts` (in sequence order); fails on an empty batch or if a sum
    /// overflows.
    pub fn build(receipts: Vec<Receipt>) -> Result<BatchTree, Error> {
        if receipts.is_empty() {
            return Err(Error::Decode("empty batch"));
        }
        let width = 1usize << depth(receipts.len() as u64);
        let mut level: Vec<Node> = receipts.iter().map(Receipt::node).collect();
        level.resize(width, Node::EMPTY);
        let mut levels = vec![level];
        while levels.last().map_or(0, Vec::len) > 1 {
            let below = levels.last().ok_or(Error::InvalidProof)?;
            let above = below
                .chunks_exact(2)
                .map(|pair| Node::parent(&pair[0], &pair[1]).ok_or(Error::Overflow))
                .collect::<Result<Vec<_>, _>>()?;
            levels.push(above);
        }
        Ok(BatchTree { receipts, levels })
    }

    /// The root node (hash and total fee).
    pub fn root(&self) -> Node {
        self.levels
            .last()
            .and_then(|l| l.first())
            .copied()
            .unwrap_or(Node::EMPTY)
    }

    /// The receipts.
    pub fn receipts(&self) -> &[Receipt] {
        &self.receipts
    }

    /// The path of leaf `index` (padding included), or `None` beyond the padded width.
    pub fn proof(&self, index: u64) -> Option<SumProof> {
        let mut i = usize::try_from(index).ok()?;
        if i >= self.levels.first().map_or(0, Vec::len) {
            return None;
        }
        let mut siblings = Vec::with_capacity(self.levels.len());
        for level in &self.levels[..self.levels.len() - 1] {
            siblings.push(*level.get(i ^ 1)?);
            i /= 2;
        }
        Some(SumProof { siblings })
    }

    /// The commitment for these receipts.
    pub fn commitment(
        &self,
        provider: Address,
        user: Address,
        input_price: Amount,
        output_price: Amount,
        nonce: U256,
    ) -> BatchCommitment {
        let root = self.root();
        BatchCommitment {
            provider,
            user,
            root: root.hash,
            total_fee: root.sum,
            count: self.receipts.len() as u64,
            first_seq: self.receipts.first().map_or(0, |r| r.seq),
            input_price,
            output_price,
            nonce,
        }
    }
}

/// `"BatchSettlement(address provider,address user,bytes32 root,uint256 totalFee,uint256 count,uint256 firstSeq,uint256 inputPrice,uint256 outputPrice,uint256 nonce)"`.
pub const BATCH_SETTLEMENT_TYPE: &str = "BatchSettlement(address provider,address user,bytes32 root,uint256 totalFee,uint256 count,uint256 firstSeq,uint256 inputPrice,uint256 outputPrice,uint256 nonce)";

/// What the provider's TEE signer signs for a compressed batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BatchCommitment {
    /// The provider paid.
    pub provider: Address,
    /// The user charged.
    pub user: Address,
    /// The Merkle-sum root hash.
    pub root: H256,
    /// The claimed total (must be the root's sum).
    pub total_fee: Amount,
    /// Receipts in the batch.
    pub count: u64,
    /// `seq` of the first receipt.
    pub first_seq: u64,
    /// The input price the fees use.
    pub input_price: Amount,
    /// The output price the fees use.
    pub output_price: Amount,
    /// Settlement nonce (shared with `settleFeesWithTEE`).
    pub nonce: U256,
}

impl BatchCommitment {
    /// The EIP-712 struct hash.
    pub fn struct_hash(&self) -> H256 {
        keccak256_parts(&[
            &zg_core::keccak256(BATCH_SETTLEMENT_TYPE.as_bytes()).0,
            &self.provider.to_word(),
            &self.user.to_word(),
            &self.root.0,
            &self.total_fee.to_be_word(),
            &U256::from(self.count).0,
            &U256::from(self.first_seq).0,
            &self.input_price.to_be_word(),
            &self.output_price.to_be_word(),
            &self.nonce.0,
        ])
    }

    /// Signs the commitment under `domain`.
    pub fn sign(&self, key: &SecretKey, domain: &Domain) -> Result<EthSignature, Error> {
        key.sign_prehash(&domain.digest(&self.struct_hash()))
    }

    /// The signer of `signature`, if valid (OpenZeppelin rule).
    pub fn signer(&self, domain: &Domain, signature: &EthSignature) -> Option<Address> {
        recover(
            &domain.digest(&self.struct_hash()),
            &signature.0,
            RecoverRule::OpenZeppelin,
        )
    }
}

/// A fraud proof against a committed batch.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FraudProof {
    /// The leaf index.
    pub index: u64,
    /// The receipt claimed at that index.
    pub receipt: Receipt,
    /// Its path to the root.
    pub proof: SumProof,
    /// What it shows.
    pub kind: FraudKind,
}

/// What a fraud proof shows.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FraudKind {
    /// The fee does not follow the committed prices.
    FeeFormula,
    /// `seq ≠ firstSeq + index`.
    Sequence,
    /// A non-empty leaf past `count`.
    Padding,
    /// The path's root sum is not `totalFee`.
    TotalMismatch,
    /// The provider signed a different receipt with the same `seq`.
    Equivocation(SignedReceipt),
}

/// Whether `proof` shows `commitment` to be fraudulent, for a provider whose TEE signer is
/// `signer`, on the deployment `domain` (an equivocating receipt must be signed for the
/// commitment's own provider and user there). Pure and O(log N): one path walk, at most one
/// signature recovery.
pub fn proves_fraud(
    domain: &Domain,
    commitment: &BatchCommitment,
    signer: &Address,
    proof: &FraudProof,
) -> bool {
    let leaf = proof.receipt.node();
    if proof.proof.siblings.len() != depth(commitment.count) {
        return false;
    }
    let Some(root) = proof.proof.root(&leaf, proof.index) else {
        return false;
    };
    if root.hash != commitment.root {
        return false;
    }
    let inside = proof.index < commitment.count;
    match &proof.kind {
        FraudKind::TotalMismatch => root.sum != commitment.total_fee,
        FraudKind::Padding => !inside && leaf != Node::EMPTY,
        FraudKind::FeeFormula => {
            inside
                && !proof
                    .receipt
                    .fee_is_correct(commitment.input_price, commitment.output_price)
        }
        FraudKind::Sequence => {
            inside && commitment.first_seq.checked_add(proof.index) != Some(proof.receipt.seq)
        }
        FraudKind::Equivocation(signed) => {
            inside
                && signed.receipt.seq == proof.receipt.seq
                && signed.receipt != proof.receipt
                && signed.signer(domain, &commitment.provider, &commitment.user) == Some(*signer)
        }
    }
}

/// What a user's [`audit`] of a batch opening found.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Finding {
    /// The opening rebuilds the committed root and nothing in it is provably wrong.
    /// `unmatched` lists the leaf indices whose `seq` the user holds no signed receipt for:
    /// the user must account for them some other way (a request whose answer was lost) or
    /// treat them as an over-charge it cannot prove on chain.
    Consistent {
        /// Leaf indices without a signed receipt of the same `seq`.
        unmatched: Vec<u64>,
    },
    /// A fraud proof that voids the batch ([`BatchOp::Challenge`]); checked with
    /// [`proves_fraud`] before it is returned.
    Fraud(Box<FraudProof>),
    /// The receipts are not an opening of this commitment (they do not rebuild `root`, or the
    /// commitment's `count` does not fit them and no leaf proof can show it): demand the
    /// opening on chain ([`BatchOp::ChallengeWithheld`]); the provider cannot post one that
    /// matches, so the batch is voided at the response deadline.
    NotAnOpening,
}

/// The user's check of an opening (spec: "Challenges", "Data availability"): rebuilds the
/// tree of `opening`, compares it with `commitment`, and looks for the first fraud proof, in
/// the order padding, total, then per leaf sequence, fee formula, equivocation against the
/// provider-signed receipts the user `received` (keyed by `seq`; TEE signer `signer`, on the
/// deployment `domain`).
///
/// O(N) hashing for N receipts plus at most one signature recovery; never panics.
pub fn audit(
    domain: &Domain,
    commitment: &BatchCommitment,
    signer: &Address,
    opening: &[Receipt],
    received: &std::collections::BTreeMap<u64, SignedReceipt>,
) -> Finding {
    let Ok(tree) = BatchTree::build(opening.to_vec()) else {
        return Finding::NotAnOpening;
    };
    let count = commitment.count;
    let len = opening.len() as u64;
    if tree.root().hash != commitment.root || depth(len) != depth(count) || len < count {
        return Finding::NotAnOpening;
    }
    let candidate = |index: u64, kind: FraudKind| -> Option<Finding> {
        let i = usize::try_from(index).ok()?;
        let proof = FraudProof {
            index,
            receipt: *opening.get(i)?,
            proof: tree.proof(index)?,
            kind,
        };
        proves_fraud(domain, commitment, signer, &proof).then(|| Finding::Fraud(Box::new(proof)))
    };
    // A hidden leaf past `count` (its fee is in the root's sum, so in `totalFee` too).
    if len > count
        && let Some(f) = candidate(count, FraudKind::Padding)
    {
        return f;
    }
    if tree.root().sum != commitment.total_fee
        && let Some(f) = candidate(0, FraudKind::TotalMismatch)
    {
        return f;
    }
    let mut unmatched = Vec::new();
    for (index, r) in (0..count).zip(opening) {
        if commitment.first_seq.checked_add(index) != Some(r.seq)
            && let Some(f) = candidate(index, FraudKind::Sequence)
        {
            return f;
        }
        if !r.fee_is_correct(commitment.input_price, commitment.output_price)
            && let Some(f) = candidate(index, FraudKind::FeeFormula)
        {
            return f;
        }
        match received.get(&r.seq) {
            Some(signed) if signed.receipt != *r => {
                if let Some(f) = candidate(index, FraudKind::Equivocation(*signed)) {
                    return f;
                }
                unmatched.push(index);
            }
            Some(_) => {}
            None => unmatched.push(index),
        }
    }
    Finding::Consistent { unmatched }
}

/// Where a committed batch stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BatchState {
    /// Open to challenges until the deadline.
    Open,
    /// The user says the opening was withheld; the provider must post it by the deadline.
    AwaitingOpening,
    /// Paid to the provider.
    Finalized,
    /// Voided by a challenge; escrow returned, stake slashed.
    Voided,
}

/// A committed batch on chain.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Batch {
    /// Its id.
    pub id: u64,
    /// The commitment.
    pub commitment: BatchCommitment,
    /// The provider's TEE signer when the batch was committed: the key that signed the
    /// commitment, and the one an [`FraudKind::Equivocation`] proof is judged against for the
    /// batch's whole life (the provider cannot change it while the batch is open).
    pub signer: Address,
    /// Held in escrow (≤ `total_fee`).
    pub escrow: Amount,
    /// Whether the provider has posted the opening on chain ([`BatchOp::PostOpening`]): the
    /// receipts are public, so no further opening can be demanded (each demand would reopen
    /// the window and delay payment for ever).
    pub opening_posted: bool,
    /// Deadline of the current window, in seconds.
    pub deadline: u64,
    /// Its state.
    pub state: BatchState,
}

/// Compressed-batch calls on the ledger.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum BatchOp {
    /// Commit a batch (by the provider).
    Commit {
        /// The commitment.
        commitment: BatchCommitment,
        /// The TEE signer's EIP-712 signature.
        signature: EthSignature,
    },
    /// Void a batch with a fraud proof (by the user).
    Challenge {
        /// The batch.
        id: u64,
        /// The proof.
        proof: FraudProof,
    },
    /// Demand the opening on chain (by the user).
    ChallengeWithheld {
        /// The batch.
        id: u64,
    },
    /// Post the opening (by the provider).
    PostOpening {
        /// The batch.
        id: u64,
        /// All its receipts, in order.
        receipts: Vec<Receipt>,
    },
    /// Pay out after the window, or void if an opening was owed and never posted (anyone).
    Finalize {
        /// The batch.
        id: u64,
    },
}

/// What a compressed-batch call did.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum BatchOutcome {
    /// Committed: `escrow` held (the shortfall `unsettled` is like PARTIAL's), open to
    /// challenges until `deadline`.
    Committed {
        /// The batch id.
        id: u64,
        /// Held in escrow.
        escrow: Amount,
        /// Not covered by the balance.
        unsettled: Amount,
        /// End of the challenge window, in seconds.
        deadline: u64,
    },
    /// The batch was voided; `slashed` of stake moved to the user.
    Voided {
        /// The batch id.
        id: u64,
        /// Stake moved to the user.
        slashed: Amount,
    },
    /// The provider must post the opening by `deadline` (seconds).
    OpeningDemanded {
        /// The batch id.
        id: u64,
        /// Deadline.
        deadline: u64,
    },
    /// The opening was posted and matches; challenges are open until `deadline`.
    Opened {
        /// The batch id.
        id: u64,
        /// Deadline.
        deadline: u64,
    },
    /// Paid to the provider.
    Finalized {
        /// The batch id.
        id: u64,
        /// Paid.
        paid: Amount,
    },
}

pub(crate) fn execute(
    ledger: &mut Ledger,
    j: &mut Journal,
    now: u64,
    sender: Address,
    op: &BatchOp,
) -> Result<BatchOutcome, LedgerError> {
    let limits = ledger.config().limits;
    match op {
        BatchOp::Commit {
            commitment: c,
            signature,
        } => {
            let bad = |reason| Err(LedgerError::BadCommitment { reason });
            if c.provider != sender {
                return bad("provider is not the caller");
            }
            let Some(account) = ledger.account(&c.user, &sender) else {
                return bad("no account");
            };
            let Some(service) = ledger.service(&sender) else {
                return bad("no service");
            };
            let signer = service.params.tee_signer;
            if !account.acknowledged || !service.tee_signer_acknowledged || signer.is_zero() {
                return bad("TEE signer not acknowledged");
            }
            if account.nonce >= c.nonce {
                return bad("nonce not above the account's");
            }
            if c.input_price != service.params.input_price
                || c.output_price != service.params.output_price
            {
                return bad("prices differ from the service's");
            }
            if c.count == 0 || Some(c.first_seq) != account.batch_seq.checked_add(1) {
                return bad("sequence does not continue the account's");
            }
            let last_seq = c
                .first_seq
                .checked_add(c.count - 1)
                .ok_or(LedgerError::Overflow)?;
            if c.signer(ledger.domain(), signature) != Some(signer) {
                return bad("invalid signature");
            }
            let escrow = c.total_fee.min(account.balance);
            let a = ledger.account_mut(j, c.user, sender)?;
            a.nonce = c.nonce;
            a.batch_seq = last_seq;
            if !escrow.is_zero() {
                ledger.charge(j, c.user, sender, escrow)?;
            }
            let t = ledger.totals_mut();
            t.escrowed = t.escrowed.checked_add(escrow)?;
            let id = ledger.next_batch_id;
            ledger.next_batch_id = id.checked_add(1).ok_or(LedgerError::Overflow)?;
            ledger.count_open_batch(j, sender, true)?;
            let deadline = now.saturating_add(limits.batch_challenge_window);
            ledger.batch_insert(
                j,
                id,
                Batch {
                    id,
                    commitment: *c,
                    signer,
                    escrow,
                    opening_posted: false,
                    deadline,
                    state: BatchState::Open,
                },
            );
            Ok(BatchOutcome::Committed {
                id,
                escrow,
                unsettled: c.total_fee.checked_sub(escrow)?,
                deadline,
            })
        }
        BatchOp::Challenge { id, proof } => {
            let batch = open_batch(ledger, *id, now)?;
            if sender != batch.commitment.user {
                return Err(LedgerError::BatchState {
                    id: *id,
                    reason: "only the charged user may challenge",
                });
            }
            // The signer snapshotted at commit, never the service's current one.
            if !proves_fraud(ledger.domain(), &batch.commitment, &batch.signer, proof) {
                return Err(LedgerError::ChallengeRejected);
            }
            void(ledger, j, *id)
        }
        BatchOp::ChallengeWithheld { id } => {
            let batch = open_batch(ledger, *id, now)?;
            if sender != batch.commitment.user {
                return Err(LedgerError::BatchState {
                    id: *id,
                    reason: "only the charged user may challenge",
                });
            }
            if batch.opening_posted {
                return Err(LedgerError::BatchState {
                    id: *id,
                    reason: "the opening is already on chain",
                });
            }
            let deadline = now.saturating_add(limits.batch_response_window);
            let b = ledger.batch_mut(j, *id)?;
            b.state = BatchState::AwaitingOpening;
            b.deadline = deadline;
            Ok(BatchOutcome::OpeningDemanded { id: *id, deadline })
        }
        BatchOp::PostOpening { id, receipts } => {
            let batch = ledger
                .batches
                .get(id)
                .ok_or(LedgerError::BatchNotExists { id: *id })?;
            if batch.state != BatchState::AwaitingOpening || now >= batch.deadline {
                return Err(LedgerError::BatchState {
                    id: *id,
                    reason: "no opening is owed",
                });
            }
            if sender != batch.commitment.provider {
                return Err(LedgerError::BatchState {
                    id: *id,
                    reason: "only the provider may post the opening",
                });
            }
            let c = batch.commitment;
            let matches = receipts.len() as u64 == c.count
                && BatchTree::build(receipts.clone())
                    .map(|t| {
                        t.root()
                            == Node {
                                hash: c.root,
                                sum: c.total_fee,
                            }
                    })
                    .unwrap_or(false);
            if !matches {
                return void(ledger, j, *id);
            }
            let deadline = now.saturating_add(limits.batch_challenge_window);
            let b = ledger.batch_mut(j, *id)?;
            b.state = BatchState::Open;
            b.opening_posted = true;
            b.deadline = deadline;
            Ok(BatchOutcome::Opened { id: *id, deadline })
        }
        BatchOp::Finalize { id } => {
            let batch = ledger
                .batches
                .get(id)
                .ok_or(LedgerError::BatchNotExists { id: *id })?;
            if now < batch.deadline {
                return Err(LedgerError::BatchState {
                    id: *id,
                    reason: "window still open",
                });
            }
            match batch.state {
                BatchState::Open => {
                    let paid = batch.escrow;
                    let provider = batch.commitment.provider;
                    let b = ledger.batch_mut(j, *id)?;
                    b.state = BatchState::Finalized;
                    b.escrow = Amount::ZERO;
                    ledger.count_open_batch(j, provider, false)?;
                    let t = ledger.totals_mut();
                    t.escrowed = t.escrowed.checked_sub(paid)?;
                    t.paid_to_providers = t.paid_to_providers.checked_add(paid)?;
                    Ok(BatchOutcome::Finalized { id: *id, paid })
                }
                BatchState::AwaitingOpening => void(ledger, j, *id),
                BatchState::Finalized | BatchState::Voided => Err(LedgerError::BatchState {
                    id: *id,
                    reason: "already closed",
                }),
            }
        }
    }
}

fn open_batch(ledger: &Ledger, id: u64, now: u64) -> Result<Batch, LedgerError> {
    let batch = ledger
        .batches
        .get(&id)
        .ok_or(LedgerError::BatchNotExists { id })?;
    if batch.state != BatchState::Open || now >= batch.deadline {
        return Err(LedgerError::BatchState {
            id,
            reason: "not open to challenges",
        });
    }
    Ok(batch.clone())
}

/// Voids a batch: escrow back to the user's account, `min(stake, totalFee)` slashed to the user.
fn void(ledger: &mut Ledger, j: &mut Journal, id: u64) -> Result<BatchOutcome, LedgerError> {
    let b = ledger.batch_mut(j, id)?;
    let escrow = b.escrow;
    let c = b.commitment;
    b.escrow = Amount::ZERO;
    b.state = BatchState::Voided;
    ledger.count_open_batch(j, c.provider, false)?;
    let t = ledger.totals_mut();
    t.escrowed = t.escrowed.checked_sub(escrow)?;
    ledger.credit(j, c.user, c.provider, escrow)?;
    let slashed = ledger.slash_to(j, c.provider, c.user, c.total_fee)?;
    Ok(BatchOutcome::Voided { id, slashed })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipts(n: u64) -> Vec<Receipt> {
        (1..=n)
            .map(|seq| Receipt {
                seq,
                request_hash: H256([seq as u8; 32]),
                input_tokens: seq * 3,
                output_tokens: seq * 5,
                fee: Amount::new(u128::from(seq * 3 * 10 + seq * 5 * 20)),
            })
            .collect()
    }

    #[test]
    fn tree_sums_and_every_proof_verifies() {
        for n in [1u64, 2, 3, 5, 8, 13] {
            let rs = receipts(n);
            let total: u128 = rs.iter().map(|r| r.fee.units()).sum();
            let tree = BatchTree::build(rs.clone()).unwrap();
            assert_eq!(tree.root().sum.units(), total);
            let width = 1u64 << depth(n);
            for i in 0..width {
                let leaf = rs.get(i as usize).map_or(Node::EMPTY, Receipt::node);
                let p = tree.proof(i).unwrap();
                assert_eq!(p.siblings.len(), depth(n));
                assert_eq!(p.root(&leaf, i), Some(tree.root()));
                // A wrong index or a changed fee breaks the path.
                if width > 1 && p.siblings[0] != leaf {
                    assert_ne!(p.root(&leaf, i ^ 1), Some(tree.root()));
                }
                let mut bad = leaf;
                bad.sum = Amount::new(bad.sum.units() + 1);
                assert_ne!(p.root(&bad, i), Some(tree.root()));
            }
            assert!(tree.proof(width).is_none());
        }
        assert!(BatchTree::build(vec![]).is_err());
        assert_eq!(depth(1), 0);
        assert_eq!(depth(2), 1);
        assert_eq!(depth(3), 2);
        assert_eq!(depth(1024), 10);
        assert_eq!(depth(1025), 11);
    }

    #[test]
    fn honest_batches_admit_no_fraud_proof_and_cheats_do() {
        let key = SecretKey::from_seed(b"tee");
        let signer = key.address();
        let domain = Domain::new(U256::from(16601u64), Address([9; 20]));
        let (pin, pout) = (Amount::new(10), Amount::new(20));
        let rs = receipts(5);
        let tree = BatchTree::build(rs.clone()).unwrap();
        let c = tree.commitment(
            Address([1; 20]),
            Address([2; 20]),
            pin,
            pout,
            U256::from(9u64),
        );
        let kinds = |i: usize| {
            let signed = SignedReceipt::sign(&key, &domain, &c.provider, &c.user, rs[i]).unwrap();
            vec![
                FraudKind::FeeFormula,
                FraudKind::Sequence,
                FraudKind::Padding,
                FraudKind::TotalMismatch,
                FraudKind::Equivocation(signed),
            ]
        };
        for i in 0..5u64 {
            for kind in kinds(i as usize) {
                let proof = FraudProof {
                    index: i,
                    receipt: rs[i as usize],
                    proof: tree.proof(i).unwrap(),
                    kind,
                };
                assert!(
                    !proves_fraud(&domain, &c, &signer, &proof),
                    "honest batch challenged"
                );
            }
        }
        // Over-billing one receipt (fee off the formula) is caught.
        let mut cheat = rs.clone();
        cheat[2].fee = Amount::new(cheat[2].fee.units() + 1);
        let t = BatchTree::build(cheat.clone()).unwrap();
        let c2 = t.commitment(c.provider, c.user, pin, pout, c.nonce);
        let p = |kind| FraudProof {
            index: 2,
            receipt: cheat[2],
            proof: t.proof(2).unwrap(),
            kind,
        };
        assert!(proves_fraud(
            &domain,
            &c2,
            &signer,
            &p(FraudKind::FeeFormula)
        ));
        // Claiming more tokens than the signed receipt said (fee consistent) is equivocation.
        let mut more = rs.clone();
        more[1].output_tokens += 100;
        more[1].fee = fee(more[1].input_tokens, more[1].output_tokens, pin, pout).unwrap();
        let t = BatchTree::build(more.clone()).unwrap();
        let c3 = t.commitment(c.provider, c.user, pin, pout, c.nonce);
        let eq = FraudProof {
            index: 1,
            receipt: more[1],
            proof: t.proof(1).unwrap(),
            kind: FraudKind::Equivocation(
                SignedReceipt::sign(&key, &domain, &c.provider, &c.user, rs[1]).unwrap(),
            ),
        };
        assert!(proves_fraud(&domain, &c3, &signer, &eq));
        let forged = FraudProof {
            kind: FraudKind::Equivocation(
                SignedReceipt::sign(
                    &SecretKey::from_seed(b"x"),
                    &domain,
                    &c.provider,
                    &c.user,
                    rs[1],
                )
                .unwrap(),
            ),
            ..eq
        };
        assert!(
            !proves_fraud(&domain, &c3, &signer, &forged),
            "only the provider's signature counts"
        );
        // Duplicating a receipt breaks the sequence.
        let mut dup = rs.clone();
        dup[3] = dup[2];
        let t = BatchTree::build(dup.clone()).unwrap();
        let c4 = t.commitment(c.provider, c.user, pin, pout, c.nonce);
        let sq = FraudProof {
            index: 3,
            receipt: dup[3],
            proof: t.proof(3).unwrap(),
            kind: FraudKind::Sequence,
        };
        assert!(proves_fraud(&domain, &c4, &signer, &sq));
        // An inflated total is caught from any leaf.
        let inflated = BatchCommitment {
            total_fee: Amount::new(c.total_fee.units() + 1),
            ..c
        };
        let tm = FraudProof {
            index: 0,
            receipt: rs[0],
            proof: tree.proof(0).unwrap(),
            kind: FraudKind::TotalMismatch,
        };
        assert!(proves_fraud(&domain, &inflated, &signer, &tm));
        // A hidden extra receipt past `count` is caught as padding.
        let mut extra = rs.clone();
        extra.push(Receipt { seq: 6, ..rs[0] });
        let t = BatchTree::build(extra.clone()).unwrap();
        let hidden = BatchCommitment {
            count: 5,
            ..t.commitment(c.provider, c.user, pin, pout, c.nonce)
        };
        let pad = FraudProof {
            index: 5,
            receipt: extra[5],
            proof: t.proof(5).unwrap(),
            kind: FraudKind::Padding,
        };
        assert!(proves_fraud(&domain, &hidden, &signer, &pad));
    }
}
