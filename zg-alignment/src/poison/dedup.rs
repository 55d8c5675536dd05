use std::collections::{BTreeMap, VecDeque};

use zg_core::{H256, NodeId};

/// MinHash signature length (16 LSH bands of 4 rows).
pub const SIGNATURE_LEN: usize = 64;
const BANDS: usize = 16;
const ROWS: usize = SIGNATURE_LEN / BANDS;
/// The Mersenne prime 2⁶¹ − 1 of the hash family.
const P61: u64 = (1 << 61) - 1;

/// A MinHash signature: for each of 64 hash functions hᵢ(x) = (aᵢ·x + bᵢ) mod (2⁶¹−1) over the
/// 64-bit FNV-1a hashes x of a sample's byte 5-grams, the minimum. Two samples' fraction of
/// equal positions estimates their Jaccard similarity (Broder 1997), standard error
/// ≤ 1/(2·√64) = 6.25 %.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MinHash(pub [u64; SIGNATURE_LEN]);

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn coeffs(i: usize) -> (u64, u64) {
    // Fixed, public coefficients from SplitMix64 of the index (no secret is needed: MinHash is
    // a similarity estimate, not a commitment).
    let mix = |mut z: u64| {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let i = i as u64;
    (mix(2 * i + 1) % (P61 - 1) + 1, mix(2 * i + 2) % P61)
}

fn mulmod(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b) % u128::from(P61);
    u64::try_from(p).unwrap_or(0)
}

impl MinHash {
    /// The signature of `data` (samples shorter than 5 bytes hash as one shingle).
    pub fn of(data: &[u8]) -> MinHash {
        let mut sig = [u64::MAX; SIGNATURE_LEN];
        let shingles: Vec<u64> = if data.len() < 5 {
            vec![fnv1a(data) % P61]
        } else {
            data.windows(5).map(|w| fnv1a(w) % P61).collect()
        };
        for (i, s) in sig.iter_mut().enumerate() {
            let (a, b) = coeffs(i);
            for &x in &shingles {
                *s = (*s).min((mulmod(a, x) + b) % P61);
            }
        }
        MinHash(sig)
    }

    /// Equal positions out of 64 (the Jaccard estimate is this / 64).
    pub fn agreement(&self, other: &MinHash) -> u32 {
        u32::try_from(self.0.iter().zip(&other.0).filter(|(a, b)| a == b).count()).unwrap_or(0)
    }

    fn band_keys(&self) -> impl Iterator<Item = (usize, [u64; ROWS])> + '_ {
        (0..BANDS).map(|b| {
            let mut k = [0u64; ROWS];
            k.copy_from_slice(&self.0[b * ROWS..(b + 1) * ROWS]);
            (b, k)
        })
    }
}

/// A burst alarm: `who` submitted `count` near-duplicates within the window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateAlarm {
    /// The contributor.
    pub who: NodeId,
    /// Near-duplicate submissions of theirs in the window.
    pub count: usize,
    /// Evidence: (new sample, the earlier sample it nearly duplicates, agreement out of 64).
    pub pairs: Vec<(H256, H256, u32)>,
}

/// Near-duplicate burst detector over the last `window` submissions (memory: `window`
/// signatures of 512 bytes plus their 16 band keys, and near-duplicate records for at most
/// `window + 1` contributors). A submission is a near-duplicate when an
/// LSH band collides with an earlier one in the window and at least `min_agreement` of 64
/// positions agree; a contributor with `burst` near-duplicates in the window raises an alarm
/// (then its count restarts).
#[derive(Clone, Debug)]
pub struct DuplicateMonitor {
    window: usize,
    min_agreement: u32,
    burst: usize,
    recent: VecDeque<(NodeId, H256, MinHash)>,
    bands: BTreeMap<(usize, [u64; ROWS]), Vec<u64>>,
    seq: u64,
    dups: BTreeMap<NodeId, Vec<(u64, H256, H256, u32)>>,
}

impl DuplicateMonitor {
    /// A monitor over the last `window` (≥ 1) submissions.
    pub fn new(window: usize, min_agreement: u32, burst: usize) -> DuplicateMonitor {
        DuplicateMonitor {
            window: window.max(1),
            min_agreement,
            burst: burst.max(1),
            recent: VecDeque::new(),
            bands: BTreeMap::new(),
            seq: 0,
            dups: BTreeMap::new(),
        }
    }

    /// Submissions held (≤ window).
    pub fn held(&self) -> usize {
        self.recent.len()
    }

    /// Contributors with near-duplicate records held (≤ window + 1).
    pub fn tracked(&self) -> usize {
        self.dups.len()
    }

    /// Feeds one submission from `who` (the authenticated submitter) with storage root `root`.
    pub fn submit(&mut self, who: NodeId, root: H256, sig: MinHash) -> Option<DuplicateAlarm> {
        let first_seq = self.seq - self.recent.len() as u64;
        let mut best: Option<(H256, u32)> = None;
        for key in sig.band_keys() {
            if let Some(list) = self.bands.get(&key) {
                for &s in list {
                    let at = usize::try_from(s - first_seq).unwrap_or(usize::MAX);
                    let Some((_, r, other)) = self.recent.get(at) else {
                        continue;
                    };
                    let a = sig.agreement(other);
                    if a >= self.min_agreement && best.is_none_or(|(_, b)| a > b) {
                        best = Some((*r, a));
                    }
                }
            }
        }
        let seq = self.seq;
        self.seq += 1;
        for key in sig.band_keys() {
            self.bands.entry(key).or_default().push(seq);
        }
        self.recent.push_back((who, root, sig));
        if self.recent.len() > self.window {
            self.evict(first_seq);
        }
        let oldest = self.seq - self.recent.len() as u64;
        if self.dups.len() > self.window {
            // Each kept entry holds a submission still in the window: ≤ window entries.
            self.dups.retain(|_, l| {
                l.retain(|d| d.0 >= oldest);
                !l.is_empty()
            });
        }
        let (earlier, a) = best?;
        let list = self.dups.entry(who).or_default();
        list.retain(|d| d.0 >= oldest);
        list.push((seq, root, earlier, a));
        if list.len() >= self.burst {
            let pairs = list.drain(..).map(|d| (d.1, d.2, d.3)).collect::<Vec<_>>();
            return Some(DuplicateAlarm {
                who,
                count: pairs.len(),
                pairs,
            });
        }
        None
    }

    fn evict(&mut self, seq: u64) {
        if let Some((_, _, sig)) = self.recent.pop_front() {
            for key in sig.band_keys() {
                if let Some(list) = self.bands.get_mut(&key) {
                    list.retain(|&s| s != seq);
                    if list.is_empty() {
                        self.bands.remove(&key);
                    }
                }
            }
        }
    }
}
