//! TOPLOC inference proofs (Ong et al., *TOPLOC: A Locality Sensitive Hashing Scheme for
//! Trustless Verifiable Inference*, arXiv 2501.16007), byte-compatible with the `toploc`
//! package (PrimeIntellect, version 0.1.6).
//!
//! A provider commits to the last hidden states it computed: for each chunk (the prefill, then
//! every 32 generated tokens, flattened) it takes the top-k (k = 128) entries by magnitude and
//! publishes the polynomial over GF(65 497) through the points (index mod m, bf16 bit pattern),
//! where the modulus m is the first value counting down from 65 497 for which index ↦ index mod m
//! is injective on those k indices (m need not be prime). A verifier that re-ran the model takes
//! the top-k of *its* activations, evaluates the polynomial at each of its indices, and compares
//! bf16 exponents and mantissas.
//!
//! ## Format (what the package writes)
//! 2 + 2k bytes, big-endian: the modulus m, then the k coefficients c₀ … c_{k−1} of
//! P(x) = Σ cᵢ·xⁱ mod 65 497, lowest degree first. For k = 128 that is [`PROOF_LEN`] = 258 bytes;
//! the text form is standard base64 with padding (RFC 4648 §4), 344 characters.
//!
//! ## Verification (the package's C++ verifier's conventions)
//! Top-k of the recomputed chunk by |value| (sign bit cleared; NaN above ∞), each index reduced
//! by the proof's modulus, P evaluated there; a bf16 pattern's exponent is bits 7–14, its
//! mantissa bits 0–6, the sign is never compared. Exponent mismatches are counted; over the
//! matching ones the mantissa error |m_proof − m_recomputed| gives a mean and a median, the
//! median being the upper-middle element of the sorted errors. The verdict holds when
//! mean ≤ 10, median ≤ 8 and at least 90 of 128 exponents match ([`Thresholds::default`], the
//! reference validation script's values), all compared exactly in integers.
//!
//! ## Where the format is under-specified, and what we chose
//! * **Ties in the top-k.** `torch.topk` does not specify which of equal magnitudes it keeps;
//!   we keep the lowest index (what CUDA's top-k does). Equal magnitudes include +0/−0.
//! * **Values ≥ 65 497.** The package reduces bit patterns mod 65 497 before interpolating, so
//!   the 39 patterns 0xFFD9–0xFFFF (negative NaNs) come back as other values; we do the same
//!   (such a value then mismatches on verification, as with the package).
//! * **Indices.** The package truncates indices to 32-bit `int`; we refuse chunks of 2³¹ or
//!   more values ([`MAX_CHUNK`]).
//! * **Decoding.** The package accepts any length and ignores a trailing odd byte, any
//!   coefficient, and modulus 0 (its "null proof", on which its C++ verifier divides by zero).
//!   We accept exactly 2 + 2k bytes, coefficients < 65 497 and a modulus ≥ k (a modulus below k
//!   cannot be injective on k indices), and reject the rest with a typed error; every proof the
//!   package builds passes.
//! * **Python vs C++ verifier.** The package's Python path evaluates P at the *unreduced* index
//!   and takes `statistics.median` (the mean of the two middle elements); only its C++ path
//!   reduces by the modulus and takes the upper-middle element. We follow the C++ path, as the
//!   issue fixes; the two agree whenever every index is below the modulus.
//!
//! ## What a proof cannot catch
//! * **Negated activations verify with zero error**: the sign is never compared, and |−x| = |x|
//!   picks the same indices. (`tests/toploc.rs::negated_activations_pass_unnoticed`.)
//! * **Rounding only the final activations to fp8 passes the default thresholds**: the top-k
//!   keeps its exponents and loses only low mantissa bits.
//!   (`tests/toploc.rs::final_fp8_rounding_passes_unnoticed`.)
//!
//! So a cheaper model must be caught by the sampled re-execution of the ladder, not by the proof
//! alone: the proof only binds the provider to activations a verifier can recompute.

use core::fmt;

/// The prime field of the interpolation: GF(65 497).
pub const PRIME: u32 = 65_497;
/// The top-k the package uses.
pub const TOPK: usize = 128;
/// Generated tokens per decode chunk in the package's default.
pub const DECODE_BATCH: usize = 32;
/// Bytes of a proof with k = 128: a 2-byte modulus and 128 2-byte coefficients.
pub const PROOF_LEN: usize = 2 + 2 * TOPK;
/// The largest chunk accepted (indices must fit the package's 32-bit `int`).
pub const MAX_CHUNK: usize = (1 << 31) - 1;
/// The largest k accepted.
pub const MAX_TOPK: usize = 4096;

/// What can go wrong building, reading or checking a proof.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
pub enum ToplocError {
    /// A chunk has fewer values than k (the package fails the same way).
    #[error("chunk has {have} values, top-k needs {need}")]
    ChunkTooSmall {
        /// Values in the chunk.
        have: usize,
        /// k.
        need: usize,
    },
    /// A chunk has 2³¹ values or more.
    #[error("chunk of {len} values exceeds 2^31 - 1")]
    ChunkTooLarge {
        /// Values in the chunk.
        len: usize,
    },
    /// k is 0 or above [`MAX_TOPK`].
    #[error("top-k {k} is outside 1..=4096")]
    BadTopk {
        /// The k asked for.
        k: usize,
    },
    /// No modulus ≥ k makes the indices distinct.
    #[error("no injective modulus for the top-k indices")]
    NoInjectiveModulus,
    /// A proof has the wrong length for its k.
    #[error("proof is {len} bytes, expected {expected}")]
    BadLength {
        /// Bytes given.
        len: usize,
        /// 2 + 2k.
        expected: usize,
    },
    /// The proof's modulus is below k or above 65 497.
    #[error("proof modulus {modulus} is invalid")]
    BadModulus {
        /// The modulus read.
        modulus: u16,
    },
    /// A coefficient is not reduced below 65 497.
    #[error("proof coefficient {index} is not canonical")]
    NonCanonical {
        /// Which coefficient.
        index: usize,
    },
    /// Invalid base64.
    #[error("proof is not valid base64")]
    Base64,
    /// A line of an activations file is not bf16 hex.
    #[error("chunk {chunk}: {what}")]
    Activations {
        /// 1-based chunk (line) number.
        chunk: usize,
        /// What was wrong.
        what: String,
    },
}

/// One chunk's proof: the modulus and the polynomial's coefficients, lowest degree first.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Proof {
    modulus: u16,
    coeffs: Vec<u16>,
}

impl fmt::Debug for Proof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Proof[{}]({} coefficients)",
            self.modulus,
            self.coeffs.len()
        )
    }
}

impl Proof {
    /// The modulus m the indices are reduced by.
    pub fn modulus(&self) -> u16 {
        self.modulus
    }

    /// The coefficients c₀ … c_{k−1}.
    pub fn coefficients(&self) -> &[u16] {
        &self.coeffs
    }

    /// k (the number of coefficients).
    pub fn topk(&self) -> usize {
        self.coeffs.len()
    }

    /// The package's byte form: modulus, then coefficients, each 2 bytes big-endian.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(2 + 2 * self.coeffs.len());
        out.extend_from_slice(&self.modulus.to_be_bytes());
        for c in &self.coeffs {
            out.extend_from_slice(&c.to_be_bytes());
        }
        out
    }

    /// Decodes a proof with k = 128 ([`PROOF_LEN`] bytes).
    pub fn from_bytes(bytes: &[u8]) -> Result<Proof, ToplocError> {
        Proof::from_bytes_k(bytes, TOPK)
    }

    /// Decodes a proof of 2 + 2k bytes, rejecting a modulus outside k..=65 497 and
    /// non-canonical coefficients.
    pub fn from_bytes_k(bytes: &[u8], k: usize) -> Result<Proof, ToplocError> {
        check_k(k)?;
        let expected = 2 + 2 * k;
        if bytes.len() != expected {
            return Err(ToplocError::BadLength {
                len: bytes.len(),
                expected,
            });
        }
        let modulus = u16::from_be_bytes([bytes[0], bytes[1]]);
        if usize::from(modulus) < k || u32::from(modulus) > PRIME {
            return Err(ToplocError::BadModulus { modulus });
        }
        let coeffs: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        if let Some(index) = coeffs.iter().position(|&c| u32::from(c) >= PRIME) {
            return Err(ToplocError::NonCanonical { index });
        }
        Ok(Proof { modulus, coeffs })
    }

    /// Standard padded base64 of [`to_bytes`](Self::to_bytes), as the package's `to_base64`.
    pub fn to_base64(&self) -> String {
        base64_encode(&self.to_bytes())
    }

    /// Decodes the base64 form (strict: standard alphabet, padding required), k = 128.
    pub fn from_base64(text: &str) -> Result<Proof, ToplocError> {
        Proof::from_bytes(&base64_decode(text.trim())?)
    }

    /// Decodes the base64 form of a proof of any k (taken from its length).
    pub fn from_base64_any(text: &str) -> Result<Proof, ToplocError> {
        let b = base64_decode(text.trim())?;
        if b.len() < 4 || b.len() % 2 == 1 {
            return Err(ToplocError::BadLength {
                len: b.len(),
                expected: PROOF_LEN,
            });
        }
        Proof::from_bytes_k(&b, (b.len() - 2) / 2)
    }

    /// P(x mod m) over GF(65 497), by Horner's rule.
    pub fn evaluate(&self, index: u32) -> u16 {
        let x = index % u32::from(self.modulus.max(1));
        let mut acc: u32 = 0;
        for &c in self.coeffs.iter().rev() {
            acc = (acc * x + u32::from(c)) % PRIME;
        }
        // acc < 65 497 fits.
        u16::try_from(acc).unwrap_or(0)
    }
}

fn check_k(k: usize) -> Result<(), ToplocError> {
    if k == 0 || k > MAX_TOPK {
        return Err(ToplocError::BadTopk { k });
    }
    Ok(())
}

/// |value| order of a bf16 pattern: the pattern with the sign cleared (monotone for non-NaN,
/// and NaN above ∞, as `torch.topk` ranks NaN highest).
fn magnitude(bits: u16) -> u16 {
    bits & 0x7FFF
}

/// The indices of the k largest magnitudes, ties towards the lowest index, in descending order
/// of magnitude (then ascending index).
pub fn topk_indices(chunk: &[u16], k: usize) -> Result<Vec<u32>, ToplocError> {
    check_k(k)?;
    if chunk.len() < k {
        return Err(ToplocError::ChunkTooSmall {
            have: chunk.len(),
            need: k,
        });
    }
    if chunk.len() > MAX_CHUNK {
        return Err(ToplocError::ChunkTooLarge { len: chunk.len() });
    }
    // Key: larger magnitude first, then smaller index — a total order, so the result is unique.
    let key = |i: &u32| (core::cmp::Reverse(magnitude(chunk[*i as usize])), *i);
    let mut idx: Vec<u32> = (0..chunk.len())
        .map(|i| u32::try_from(i).unwrap_or(u32::MAX))
        .collect();
    if k < idx.len() {
        idx.select_nth_unstable_by_key(k - 1, key);
        idx.truncate(k);
    }
    idx.sort_unstable_by_key(key);
    Ok(idx)
}

/// The first modulus counting down from 65 497 (and not below k) for which `i mod m` is
/// injective on `indices`.
pub fn injective_modulus(indices: &[u32]) -> Result<u16, ToplocError> {
    let mut seen = vec![0u32; PRIME as usize + 1];
    let floor = u32::try_from(indices.len().max(1)).unwrap_or(u32::MAX);
    let mut m = PRIME;
    while m >= floor {
        // `seen[r] == m` marks residue r as taken for this candidate m.
        if indices.iter().all(|&i| {
            let r = (i % m) as usize;
            let fresh = seen[r] != m;
            seen[r] = m;
            fresh
        }) {
            return u16::try_from(m).map_err(|_| ToplocError::NoInjectiveModulus);
        }
        m -= 1;
    }
    Err(ToplocError::NoInjectiveModulus)
}

fn mul(a: u32, b: u32) -> u32 {
    a * b % PRIME
}

fn pow(mut a: u32, mut e: u32) -> u32 {
    let mut r = 1;
    while e > 0 {
        if e & 1 == 1 {
            r = mul(r, a);
        }
        a = mul(a, a);
        e >>= 1;
    }
    r
}

fn inv(a: u32) -> u32 {
    pow(a, PRIME - 2)
}

/// The coefficients (lowest degree first) of the unique polynomial of degree < n over
/// GF(65 497) through the points (xᵢ, yᵢ); the xᵢ are distinct and below 65 497.
///
/// Lagrange form: with M(x) = Π(x − xⱼ) and Qᵢ = M/(x − xᵢ) (synthetic division), P = Σ yᵢ·Qᵢ/Qᵢ(xᵢ).
/// O(n²) field operations and n inversions.
pub fn interpolate(xs: &[u32], ys: &[u32]) -> Vec<u16> {
    let n = xs.len().min(ys.len());
    // M(x) = Π (x − xⱼ), degree n, coefficients lowest first.
    let mut master = vec![0u32; n + 1];
    master[0] = 1;
    for (d, &x) in xs.iter().take(n).enumerate() {
        let neg = (PRIME - x % PRIME) % PRIME;
        for j in (0..=d + 1).rev() {
            let lower = if j > 0 { master[j - 1] } else { 0 };
            master[j] = (lower + mul(master[j], neg)) % PRIME;
        }
    }
    let mut out = vec![0u32; n];
    let mut q = vec![0u32; n];
    for i in 0..n {
        let xi = xs[i] % PRIME;
        // Q = M / (x − xᵢ): from the top, q[j−1] = m[j] + xᵢ·q[j].
        let mut carry = 0u32;
        for j in (1..=n).rev() {
            carry = (master[j] + mul(xi, carry)) % PRIME;
            q[j - 1] = carry;
        }
        let mut at = 0u32;
        for &c in q.iter().rev() {
            at = (mul(at, xi) + c) % PRIME;
        }
        let w = mul(ys[i] % PRIME, inv(at));
        for (o, &c) in out.iter_mut().zip(&q) {
            *o = (*o + mul(w, c)) % PRIME;
        }
    }
    out.into_iter()
        .map(|c| u16::try_from(c).unwrap_or(0))
        .collect()
}

/// Builds a chunk's proof with k = 128.
pub fn prove(chunk: &[u16]) -> Result<Proof, ToplocError> {
    prove_k(chunk, TOPK)
}

/// Builds a chunk's proof with top-k `k`.
pub fn prove_k(chunk: &[u16], k: usize) -> Result<Proof, ToplocError> {
    let idx = topk_indices(chunk, k)?;
    let modulus = injective_modulus(&idx)?;
    let xs: Vec<u32> = idx.iter().map(|&i| i % u32::from(modulus)).collect();
    let ys: Vec<u32> = idx.iter().map(|&i| u32::from(chunk[i as usize])).collect();
    Ok(Proof {
        modulus,
        coeffs: interpolate(&xs, &ys),
    })
}

/// Acceptance thresholds; the defaults are the reference validation script's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thresholds {
    /// Largest accepted mean mantissa error, as a fraction `num/den` (default 10/1).
    pub max_mean_mant_err: (u32, u32),
    /// Largest accepted median mantissa error (default 8).
    pub max_median_mant_err: u32,
    /// Fewest matching exponents (default 90, of k = 128).
    pub min_exp_matches: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            max_mean_mant_err: (10, 1),
            max_median_mant_err: 8,
            min_exp_matches: 90,
        }
    }
}

/// One chunk's verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// Top-k entries whose bf16 exponents differ.
    pub exp_mismatches: u32,
    /// Entries compared for mantissa error (k − mismatches).
    pub compared: u32,
    /// Σ mantissa errors over those.
    pub mant_err_sum: u32,
    /// The upper-middle mantissa error, `None` when no exponent matched.
    pub mant_err_median: Option<u32>,
    /// The verdict under the thresholds used.
    pub pass: bool,
}

impl Check {
    /// The mean mantissa error as (numerator, denominator), `None` when nothing was compared
    /// (the package reports 2⁶⁴ then).
    pub fn mean(&self) -> Option<(u32, u32)> {
        (self.compared > 0).then_some((self.mant_err_sum, self.compared))
    }
}

/// Checks a proof against the recomputed chunk (k taken from the proof).
pub fn verify(proof: &Proof, chunk: &[u16], t: &Thresholds) -> Result<Check, ToplocError> {
    let idx = topk_indices(chunk, proof.topk())?;
    let mut mismatches = 0u32;
    let mut errs: Vec<u32> = Vec::with_capacity(idx.len());
    for &i in &idx {
        let claimed = proof.evaluate(i);
        let got = chunk[i as usize];
        if (claimed & 0x7F80) != (got & 0x7F80) {
            mismatches += 1;
        } else {
            errs.push(u32::from((claimed & 0x7F).abs_diff(got & 0x7F)));
        }
    }
    errs.sort_unstable();
    let compared = u32::try_from(errs.len()).unwrap_or(u32::MAX);
    let sum: u32 = errs.iter().sum();
    let median = errs.get(errs.len() / 2).copied();
    let (num, den) = t.max_mean_mant_err;
    let pass = compared > 0
        && u64::from(sum) * u64::from(den) <= u64::from(num) * u64::from(compared)
        && median.is_some_and(|m| m <= t.max_median_mant_err)
        && compared >= t.min_exp_matches;
    Ok(Check {
        exp_mismatches: mismatches,
        compared,
        mant_err_sum: sum,
        mant_err_median: median,
        pass,
    })
}

/// Parses an activations file: one chunk per line, each value a bf16 bit pattern as four hex
/// digits, separated by spaces; blank lines skipped.
pub fn parse_activations(text: &str) -> Result<Vec<Vec<u16>>, ToplocError> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(n, line)| {
            line.split_ascii_whitespace()
                .map(|w| {
                    if w.len() != 4 || !w.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return Err(ToplocError::Activations {
                            chunk: n + 1,
                            what: format!(
                                "{:?} is not four hex digits",
                                w.chars().take(8).collect::<String>()
                            ),
                        });
                    }
                    u16::from_str_radix(w, 16).map_err(|_| ToplocError::Activations {
                        chunk: n + 1,
                        what: "bad hex".into(),
                    })
                })
                .collect()
        })
        .collect()
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (RFC 4648 §4).
pub fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
        let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (j, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if j <= c.len() {
                out.push(char::from(B64[((v >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Strict standard base64 (padding required, no whitespace inside, canonical final bits).
pub fn base64_decode(text: &str) -> Result<Vec<u8>, ToplocError> {
    let s = text.as_bytes();
    if !s.len().is_multiple_of(4) {
        return Err(ToplocError::Base64);
    }
    let val = |c: u8| {
        B64.iter()
            .position(|&b| b == c)
            .and_then(|p| u32::try_from(p).ok())
    };
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    for (qi, q) in s.chunks(4).enumerate() {
        let last = qi + 1 == s.len() / 4;
        let pad = q.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return Err(ToplocError::Base64);
        }
        let mut v = 0u32;
        for &c in &q[..4 - pad] {
            v = (v << 6) | val(c).ok_or(ToplocError::Base64)?;
        }
        v <<= 6 * u32::try_from(pad).unwrap_or(0);
        let [_, b0, b1, b2] = v.to_be_bytes();
        let bytes = [b0, b1, b2];
        // Non-canonical trailing bits (set bits a decoder would drop) are rejected.
        if pad == 2 && v & 0xFFFF != 0 || pad == 1 && v & 0xFF != 0 {
            return Err(ToplocError::Base64);
        }
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Ok(out)
}
