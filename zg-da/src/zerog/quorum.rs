//! Quorum formation as the chain's `x/dasigners` BeginBlock does it, and `getAggPkG1`.

use super::{Error, G1Affine};
use ark_bn254::G1Projective;
use ark_ec::CurveGroup;
use std::collections::BTreeSet;

/// Neuron per token (`BondedConversionRate = 10^18`).
const NEURON_PER_TOKEN: u128 = 1_000_000_000_000_000_000;

/// At most this many ballots are formed; a registration set asking for more is refused (the
/// live network has at most a few ten thousand: `MaxVotesPerSigner` 1024 times the signers).
pub const MAX_BALLOTS: usize = 1 << 22;

/// The chain's `x/dasigners` parameters that shape quorums.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuorumParams {
    /// Tokens (of 10^18 neuron) per vote; default 10.
    pub tokens_per_vote: u64,
    /// Cap on one signer's votes; default 1024.
    pub max_votes_per_signer: u64,
    /// Cap on the number of quorums; default 10.
    pub max_quorums: u64,
    /// Rows per quorum (encoded slices); default 3072.
    pub encoded_slices: u64,
}

impl Default for QuorumParams {
    fn default() -> Self {
        QuorumParams {
            tokens_per_vote: 10,
            max_votes_per_signer: 1024,
            max_quorums: 10,
            encoded_slices: 3072,
        }
    }
}

/// One signer's registration for the epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    /// The signer's account (20-byte address).
    pub account: [u8; 20],
    /// Its bonded delegation in neuron.
    pub bonded: u128,
    /// The epoch registration signature bytes as the chain stores them (ballot seed).
    pub signature: Vec<u8>,
}

/// Forms the epoch's quorums; each quorum lists the account of each row.
///
/// votes = `min(bonded / 10^18 / tokens_per_vote, max_votes_per_signer)`; a signer's ballots
/// have contents `c₀ = signature`, `c_k = keccak(c_{k−1})`; all ballots are sorted by content
/// (bytewise). With at least `encoded_slices` ballots: consecutive groups while fewer than
/// `max_quorums` quorums exist, then, if ballots remain and the cap allows, one more quorum of the
/// **last** `encoded_slices` ballots (overlapping the previous one). With fewer (but some)
/// ballots: one quorum whose row `i` is ballot `i mod n` — the chain does not apply `max_quorums`
/// to this case. No ballots: no quorums.
///
/// Equal contents (two registrations with the same signature bytes) sort in input order here; the
/// chain's `sort.Slice` is not stable, so such a tie has no defined live answer.
pub fn form_quorums(
    params: &QuorumParams,
    registrations: &[Registration],
) -> Result<Vec<Vec<[u8; 20]>>, Error> {
    if params.tokens_per_vote == 0 {
        return Err(Error::InvalidParams("tokens_per_vote is zero"));
    }
    if params.encoded_slices == 0 {
        return Err(Error::InvalidParams("encoded_slices is zero"));
    }
    let slices = usize::try_from(params.encoded_slices)
        .map_err(|_| Error::InvalidParams("encoded_slices too large"))?;
    let votes: Vec<u128> = registrations
        .iter()
        .map(|r| {
            (r.bonded / NEURON_PER_TOKEN / u128::from(params.tokens_per_vote))
                .min(u128::from(params.max_votes_per_signer))
        })
        .collect();
    let total: u128 = votes.iter().sum();
    if total > MAX_BALLOTS as u128 || slices > MAX_BALLOTS {
        return Err(Error::TooManyBallots {
            ballots: total.max(slices as u128),
            max: MAX_BALLOTS,
        });
    }
    let mut ballots: Vec<(Vec<u8>, usize)> =
        Vec::with_capacity(usize::try_from(total).unwrap_or(MAX_BALLOTS));
    for (who, (r, &n)) in registrations.iter().zip(&votes).enumerate() {
        let mut content = r.signature.clone();
        for _ in 0..n {
            let next = zg_core::keccak256(&content).0.to_vec();
            ballots.push((content, who));
            content = next;
        }
    }
    ballots.sort_by(|a, b| a.0.cmp(&b.0));
    let account = |b: &(Vec<u8>, usize)| registrations[b.1].account;
    let mut quorums: Vec<Vec<[u8; 20]>> = Vec::new();
    let max_quorums = usize::try_from(params.max_quorums).unwrap_or(usize::MAX);
    if ballots.len() >= slices {
        for group in ballots.chunks_exact(slices) {
            if quorums.len() >= max_quorums {
                break;
            }
            quorums.push(group.iter().map(account).collect());
        }
        if !ballots.len().is_multiple_of(slices) && quorums.len() < max_quorums {
            let tail = &ballots[ballots.len() - slices..];
            quorums.push(tail.iter().map(account).collect());
        }
    } else if !ballots.is_empty() {
        let n = ballots.len();
        quorums.push((0..slices).map(|i| account(&ballots[i % n])).collect());
    }
    Ok(quorums)
}

/// What `getAggPkG1` returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AggregatePubkey {
    /// The sum of the G1 keys of the distinct signers counted.
    pub pk_g1: G1Affine,
    /// Rows in the quorum.
    pub total: u64,
    /// Rows counted as signed.
    pub hit: u64,
}

/// `getAggPkG1(epoch, quorum, bitmap)` with the live semantics (the chain's `AggregatePubkeyG1`
/// query behind the precompile): the bitmap must be `ceil(rows / 8)` bytes, bit `i % 8` of byte
/// `i / 8` marks row `i`; rows are scanned in order and a signer already added counts as a hit
/// **even with its bit unset** (its key is added once); a set bit adds a new signer's key.
/// `pk_of` is the chain's signer registry.
pub fn aggregate_pubkey_g1(
    quorum: &[[u8; 20]],
    bitmap: &[u8],
    mut pk_of: impl FnMut(&[u8; 20]) -> Option<G1Affine>,
) -> Result<AggregatePubkey, Error> {
    let expected = quorum.len().div_ceil(8);
    if bitmap.len() != expected {
        return Err(Error::BitmapLength {
            expected,
            got: bitmap.len(),
        });
    }
    let mut added = BTreeSet::new();
    let mut agg = G1Projective::from(G1Affine::identity());
    let mut hit = 0u64;
    for (i, signer) in quorum.iter().enumerate() {
        if added.contains(signer) {
            hit += 1;
            continue;
        }
        if bitmap[i / 8] & (1 << (i % 8)) == 0 {
            continue;
        }
        hit += 1;
        added.insert(*signer);
        agg += pk_of(signer).ok_or(Error::SignerNotFound)?;
    }
    Ok(AggregatePubkey {
        pk_g1: agg.into_affine(),
        total: quorum.len() as u64,
        hit,
    })
}
