//! The trusted setup: parsing the published text format, validating it, and the embedded
//! Ethereum mainnet setup.
//!
//! # File format
//! The text format of Ethereum's KZG ceremony output as distributed by the consensus specs and
//! c-kzg (`trusted_setup.txt`): line 1 holds the number of G1 points `n` (4096 on mainnet),
//! line 2 the number of G2 points (65), then `n` compressed G1 points in Lagrange form (natural
//! order of the roots of unity), the G2 points in monomial form `[s^i]G2`, and `n` G1 points in
//! monomial form `[s^i]G1`, one lower-case hex string per line (no `0x`; a prefix is tolerated).

use crate::curve::{
    PointError, g1_from_bytes, g1_from_bytes_on_curve, g2_from_bytes, g2_from_bytes_on_curve,
};
use crate::error::SetupError;
use ark_bls12_381::{G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup, VariableBaseMSM};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use blst::blst_p2_affine;
use sha2::{Digest, Sha256};

/// Ethereum's mainnet KZG ceremony output (4096 G1 Lagrange, 65 G2 monomial, 4096 G1 monomial
/// points), byte-identical to `trusted_setup.txt` of ethereum/c-kzg-4844 and the consensus specs
/// (`presets/mainnet/trusted_setups/trusted_setup_4096.json` in text form).
pub const MAINNET_TRUSTED_SETUP: &str = include_str!("../data/trusted_setup.txt");

/// Most points of either group [`TrustedSetup::insecure_from_secret`] builds (`2^16`, sixteen
/// times a blob): enough for any test, small enough that a wrong argument cannot exhaust memory.
pub const MAX_INSECURE_POINTS: usize = 1 << 16;

/// SHA-256 of [`MAINNET_TRUSTED_SETUP`]. Checked at load: when a text has this digest its
/// points are exactly the ones the test suite validated in full (subgroup checks and the
/// structural checks of [`TrustedSetup::parse`]), so loading it skips the costly subgroup checks.
pub const MAINNET_TRUSTED_SETUP_SHA256: [u8; 32] = [
    0xd3, 0x9b, 0x9f, 0x2d, 0x04, 0x7c, 0xc9, 0xdc, 0xa2, 0xde, 0x58, 0xf2, 0x64, 0xb6, 0xa0, 0x94,
    0x48, 0xcc, 0xd3, 0x4d, 0xb9, 0x67, 0x88, 0x1a, 0x67, 0x13, 0xea, 0xca, 0xcf, 0x0f, 0x26, 0xb7,
];

/// A parsed and validated trusted setup: points decoded, in the prime-order subgroups, and
/// consistent with each other (see [`TrustedSetup::parse`]).
#[derive(Clone, Debug)]
pub struct TrustedSetup {
    /// `[L_i(s)]G1` in natural order of the roots of unity of order `n`.
    pub(crate) g1_lagrange: Vec<G1Affine>,
    /// `[s^i]G1`, `i < n`.
    pub(crate) g1_monomial: Vec<G1Affine>,
    /// `[s^i]G2`.
    pub(crate) g2_monomial: Vec<blst_p2_affine>,
    /// Whether these are exactly the points of [`MAINNET_TRUSTED_SETUP`] (digest matched), so
    /// that data derived from it once (the FK20 bases) may be loaded instead of recomputed.
    pub(crate) is_mainnet: bool,
}

impl TrustedSetup {
    /// Parses and fully validates a setup in the published text format.
    ///
    /// Checks, each failing with a [`SetupError`] that names the line or the check:
    /// - the header counts (`n` a power of two, at least 2 G2 points) and that exactly that many
    ///   well-formed hex lines follow;
    /// - every point decompresses, is not infinity and lies in its prime-order subgroup;
    /// - `[s^0]G1` and `[s^0]G2` are the standard generators (the spec's verification equations
    ///   use `bls.G1()` and `bls.G2()`);
    /// - the G1 and G2 powers share one secret: `e([s]G1, G2) = e(G1, [s]G2)`;
    /// - the monomial points are consecutive powers, in G1 and in G2, checked with a random
    ///   linear combination: `e(sum r^i [s^(i+1)], G2) = e(sum r^i [s^i], [s]G2)`;
    /// - the Lagrange points are the Lagrange form of the monomial points: for a random vector
    ///   `e`, `sum e_i [L_i(s)] = sum c_j [s^j]` with `c = IFFT(e)`; and they sum to `G1`.
    ///
    /// The random coefficients are derived from a hash of the text (deterministic).
    pub fn parse(text: &str) -> Result<Self, SetupError> {
        let raw = RawSetup::parse(text)?;
        let setup = raw.decode(true)?;
        setup.check_structure(&Sha256::digest(text.as_bytes()).into())?;
        Ok(setup)
    }

    /// Ethereum's mainnet setup ([`MAINNET_TRUSTED_SETUP`]).
    ///
    /// The embedded text's SHA-256 is compared with [`MAINNET_TRUSTED_SETUP_SHA256`]; points are
    /// then decompressed with the on-curve check only. The full validation of [`Self::parse`]
    /// runs on exactly these bytes in the crate's tests.
    pub fn mainnet() -> Result<Self, SetupError> {
        Self::parse_trusting_digest(MAINNET_TRUSTED_SETUP)
    }

    /// Like [`Self::parse`], but a text whose SHA-256 equals [`MAINNET_TRUSTED_SETUP_SHA256`]
    /// skips the subgroup and structural checks (they are known to pass for those bytes).
    pub fn parse_trusting_digest(text: &str) -> Result<Self, SetupError> {
        let digest: [u8; 32] = Sha256::digest(text.as_bytes()).into();
        if digest != MAINNET_TRUSTED_SETUP_SHA256 {
            return Self::parse(text);
        }
        let mut setup = RawSetup::parse(text)?.decode(false)?;
        setup.is_mainnet = true;
        Ok(setup)
    }

    /// Number of G1 points (`FIELD_ELEMENTS_PER_BLOB` on mainnet).
    pub fn g1_len(&self) -> usize {
        self.g1_monomial.len()
    }

    /// Number of G2 points (`KZG_SETUP_G2_LENGTH` on mainnet).
    pub fn g2_len(&self) -> usize {
        self.g2_monomial.len()
    }

    /// An **insecure** setup from a known secret, for tests and experiments only: anyone who
    /// knows `secret` can forge proofs. `n` must be a power of two and `2 <= g2_len`, both at
    /// most [`MAX_INSECURE_POINTS`], and `secret` non-zero; otherwise
    /// [`SetupError::Unsupported`].
    pub fn insecure_from_secret(
        secret: ark_bls12_381::Fr,
        n: usize,
        g2_len: usize,
    ) -> Result<Self, SetupError> {
        let unsupported = |reason| Err(SetupError::Unsupported { n, g2_len, reason });
        if !n.is_power_of_two() || n > MAX_INSECURE_POINTS {
            return unsupported("n must be a power of two <= MAX_INSECURE_POINTS");
        }
        if !(2..=MAX_INSECURE_POINTS).contains(&g2_len) {
            return unsupported("g2_len must lie in 2..=MAX_INSECURE_POINTS");
        }
        if ark_ff::Zero::is_zero(&secret) {
            return unsupported("the secret is zero");
        }
        let pows = crate::field::powers(secret, n.max(g2_len));
        let g1: Vec<G1Projective> = pows[..n]
            .iter()
            .map(|p| G1Projective::generator() * p)
            .collect();
        let g1_monomial = G1Projective::normalize_batch(&g1);
        let mut lag = g1.clone();
        crate::fft::Domain::new(n).ifft(&mut lag);
        // Lagrange points are the inverse DFT of the monomial points: [L_i(s)] = 1/n sum_j w^-ij [s^j].
        let g1_lagrange = G1Projective::normalize_batch(&lag);
        let g2_monomial = pows[..g2_len]
            .iter()
            .map(|p| ark_g2_to_blst(&(G2Projective::generator() * p).into_affine()))
            .collect();
        Ok(Self {
            g1_lagrange,
            g1_monomial,
            g2_monomial,
            is_mainnet: false,
        })
    }

    fn check_structure(&self, seed: &[u8; 32]) -> Result<(), SetupError> {
        let n = self.g1_len();
        let inconsistent = |check| Err(SetupError::Inconsistent { check });
        if self.g1_monomial[0] != G1Affine::generator() {
            return inconsistent("[s^0]G1 is not the G1 generator");
        }
        let g2_gen = ark_g2_to_blst(&G2Affine::generator());
        if self.g2_monomial[0] != g2_gen {
            return inconsistent("[s^0]G2 is not the G2 generator");
        }
        let lag_sum: G1Projective = self.g1_lagrange.iter().map(|p| p.into_group()).sum();
        if lag_sum.into_affine() != G1Affine::generator() {
            return inconsistent("Lagrange points do not sum to the G1 generator");
        }
        let g1 = G1Affine::generator();
        let s_g2 = &self.g2_monomial[1];
        if !crate::curve::pairings_equal(&self.g1_monomial[1.min(n - 1)], &g2_gen, &g1, s_g2)
            && n > 1
        {
            return inconsistent("G1 and G2 powers use different secrets");
        }
        let r = challenge(seed, b"powers");
        // G1 powers: e(sum r^i [s^(i+1)], G2) == e(sum r^i [s^i], [s]G2).
        if n > 1 {
            let rp = crate::field::powers(r, n - 1);
            let hi = G1Projective::msm_unchecked(&self.g1_monomial[1..], &rp).into_affine();
            let lo = G1Projective::msm_unchecked(&self.g1_monomial[..n - 1], &rp).into_affine();
            if !crate::curve::pairings_equal(&hi, &g2_gen, &lo, s_g2) {
                return inconsistent("G1 monomial points are not consecutive powers");
            }
        }
        // G2 powers: e(G1, sum r^i [s^(i+1)]G2) == e([s]G1, sum r^i [s^i]G2).
        let m = self.g2_len();
        if m > 2 && n > 1 {
            let g2: Vec<G2Affine> = self.g2_monomial.iter().map(blst_g2_to_ark).collect();
            let rp = crate::field::powers(r, m - 1);
            let hi = G2Projective::msm_unchecked(&g2[1..], &rp).into_affine();
            let lo = G2Projective::msm_unchecked(&g2[..m - 1], &rp).into_affine();
            let s_g1 = self.g1_monomial[1];
            // e(hi_g2 . G1) vs e(lo_g2 . [s]G1): swap roles so G1 stays first.
            if !crate::curve::pairings_equal(&g1, &ark_g2_to_blst(&hi), &s_g1, &ark_g2_to_blst(&lo))
            {
                return inconsistent("G2 monomial points are not consecutive powers");
            }
        }
        // Lagrange vs monomial: sum e_i [L_i] == sum IFFT(e)_j [s^j] for random e.
        let e = crate::field::powers(challenge(seed, b"lagrange"), n);
        let mut c = e.clone();
        crate::fft::Domain::new(n).ifft(&mut c);
        let lhs = G1Projective::msm_unchecked(&self.g1_lagrange, &e);
        let rhs = G1Projective::msm_unchecked(&self.g1_monomial, &c);
        if lhs != rhs {
            return inconsistent(
                "Lagrange points are not the Lagrange form of the monomial points",
            );
        }
        Ok(())
    }
}

fn challenge(seed: &[u8; 32], label: &[u8]) -> ark_bls12_381::Fr {
    let mut h = Sha256::new();
    h.update(b"zg-kzg setup check");
    h.update(label);
    h.update(seed);
    crate::field::fr_from_digest(&h.finalize().into())
}

pub(crate) fn ark_g2_to_blst(p: &G2Affine) -> blst_p2_affine {
    let mut raw = [0u8; 192];
    let _ = p.serialize_uncompressed(&mut raw[..]);
    blst::min_sig::PublicKey::deserialize(&raw)
        .map(Into::into)
        .unwrap_or_default()
}

fn blst_g2_to_ark(p: &blst_p2_affine) -> G2Affine {
    let raw = blst::min_sig::PublicKey::from(*p).serialize();
    G2Affine::deserialize_uncompressed_unchecked(&raw[..]).unwrap_or_default()
}

/// The hex-decoded but not yet decompressed points of a setup file.
struct RawSetup {
    g1_lagrange: Vec<[u8; 48]>,
    g2_monomial: Vec<[u8; 96]>,
    g1_monomial: Vec<[u8; 48]>,
    /// 1-based line of the first Lagrange point (for error messages).
    first_line: usize,
}

impl RawSetup {
    fn parse(text: &str) -> Result<Self, SetupError> {
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        // Ignore blank lines at the very end.
        let used = lines
            .iter()
            .rposition(|l| !l.is_empty())
            .map_or(0, |p| p + 1);
        let lines = &lines[..used];
        let count = |idx: usize, what: &'static str| -> Result<usize, SetupError> {
            let line = lines.get(idx).ok_or(SetupError::Truncated {
                expected: 2,
                found: used,
            })?;
            line.parse::<usize>().map_err(|_| SetupError::BadHeader {
                line: idx + 1,
                reason: what,
            })
        };
        let n_g1 = count(0, "first line must be the decimal number of G1 points")?;
        let n_g2 = count(1, "second line must be the decimal number of G2 points")?;
        if !n_g1.is_power_of_two() || n_g1 > (1 << 20) {
            return Err(SetupError::BadHeader {
                line: 1,
                reason: "number of G1 points must be a power of two <= 2^20",
            });
        }
        if !(2..=(1 << 20)).contains(&n_g2) {
            return Err(SetupError::BadHeader {
                line: 2,
                reason: "number of G2 points must be between 2 and 2^20",
            });
        }
        let expected = 2 + 2 * n_g1 + n_g2;
        if lines.len() < expected {
            return Err(SetupError::Truncated {
                expected,
                found: lines.len(),
            });
        }
        if lines.len() > expected {
            return Err(SetupError::TrailingData { line: expected + 1 });
        }
        let g1_lagrange = hex_points::<48>(&lines[2..2 + n_g1], 3)?;
        let g2_monomial = hex_points::<96>(&lines[2 + n_g1..2 + n_g1 + n_g2], 3 + n_g1)?;
        let g1_monomial = hex_points::<48>(&lines[2 + n_g1 + n_g2..], 3 + n_g1 + n_g2)?;
        Ok(Self {
            g1_lagrange,
            g2_monomial,
            g1_monomial,
            first_line: 3,
        })
    }

    /// Decompresses every point; with `full`, also checks subgroup membership.
    fn decode(&self, full: bool) -> Result<TrustedSetup, SetupError> {
        let n = self.g1_lagrange.len();
        let m = self.g2_monomial.len();
        let g1 = |bytes: &[u8; 48], line: usize| -> Result<G1Affine, SetupError> {
            let res = if full {
                g1_from_bytes(bytes)
            } else {
                g1_from_bytes_on_curve(bytes)
            };
            res.map_err(|e| point_error(e, line, "G1")).and_then(|p| {
                if p.is_zero() {
                    Err(point_error(PointError::Infinity, line, "G1"))
                } else {
                    Ok(p)
                }
            })
        };
        let g1_all = |pts: &[[u8; 48]], first: usize| -> Result<Vec<G1Affine>, SetupError> {
            map_maybe_parallel(pts, |i, b| g1(b, first + i))
        };
        let g1_lagrange = g1_all(&self.g1_lagrange, self.first_line)?;
        let g1_monomial = g1_all(&self.g1_monomial, self.first_line + n + m)?;
        let g2_monomial = self
            .g2_monomial
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let res = if full {
                    g2_from_bytes(b)
                } else {
                    g2_from_bytes_on_curve(b)
                };
                res.map_err(|e| point_error(e, self.first_line + n + i, "G2"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TrustedSetup {
            g1_lagrange,
            g1_monomial,
            g2_monomial,
            is_mainnet: false,
        })
    }
}

fn point_error(e: PointError, line: usize, group: &'static str) -> SetupError {
    SetupError::InvalidPoint {
        line,
        group,
        reason: e.describe(),
    }
}

#[cfg(feature = "parallel")]
fn map_maybe_parallel<T: Sync, U: Send, E: Send>(
    items: &[T],
    f: impl Fn(usize, &T) -> Result<U, E> + Sync,
) -> Result<Vec<U>, E> {
    use rayon::prelude::*;
    items.par_iter().enumerate().map(|(i, x)| f(i, x)).collect()
}

#[cfg(not(feature = "parallel"))]
fn map_maybe_parallel<T, U, E>(
    items: &[T],
    f: impl Fn(usize, &T) -> Result<U, E>,
) -> Result<Vec<U>, E> {
    items.iter().enumerate().map(|(i, x)| f(i, x)).collect()
}

fn hex_points<const N: usize>(
    lines: &[&str],
    first_line: usize,
) -> Result<Vec<[u8; N]>, SetupError> {
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let line_no = first_line + i;
            let hex = line.strip_prefix("0x").unwrap_or(line);
            let bad = |reason: String| SetupError::BadHex {
                line: line_no,
                expected: 2 * N,
                reason,
            };
            if hex.len() != 2 * N {
                return Err(bad(format!("{} characters", hex.len())));
            }
            let mut out = [0u8; N];
            for (o, pair) in out.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
                let hi = hex_digit(pair[0]);
                let lo = hex_digit(pair[1]);
                match (hi, lo) {
                    (Some(h), Some(l)) => *o = (h << 4) | l,
                    _ => return Err(bad("a non-hex character".into())),
                }
            }
            Ok(out)
        })
        .collect()
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_digest_matches() {
        let d: [u8; 32] = Sha256::digest(MAINNET_TRUSTED_SETUP.as_bytes()).into();
        assert_eq!(d, MAINNET_TRUSTED_SETUP_SHA256);
    }

    /// The full validation (subgroup checks and structural checks) on the embedded bytes: this is
    /// what lets `TrustedSetup::mainnet` skip the subgroup checks at load.
    #[test]
    fn mainnet_setup_passes_full_validation() {
        let full = TrustedSetup::parse(MAINNET_TRUSTED_SETUP).unwrap();
        let fast = TrustedSetup::mainnet().unwrap();
        assert_eq!(full.g1_lagrange, fast.g1_lagrange);
        assert_eq!(full.g1_monomial, fast.g1_monomial);
        assert_eq!(full.g2_monomial, fast.g2_monomial);
        assert_eq!((full.g1_len(), full.g2_len()), (4096, 65));
    }

    /// Bad sizes or a zero secret are a typed error, not a panic.
    #[test]
    fn insecure_setup_refuses_bad_parameters() {
        use ark_bls12_381::Fr;
        for (secret, n, g2) in [
            (Fr::from(5u64), 0, 2),
            (Fr::from(5u64), 12, 2),
            (Fr::from(5u64), 16, 1),
            (Fr::from(5u64), 16, 0),
            (Fr::from(5u64), 2 * MAX_INSECURE_POINTS, 2),
            (Fr::from(5u64), 16, MAX_INSECURE_POINTS + 1),
            (Fr::from(0u64), 16, 2),
        ] {
            assert!(
                matches!(
                    TrustedSetup::insecure_from_secret(secret, n, g2),
                    Err(SetupError::Unsupported { .. })
                ),
                "n={n} g2_len={g2}"
            );
        }
    }

    #[test]
    fn insecure_setup_is_consistent() {
        let s =
            TrustedSetup::insecure_from_secret(ark_bls12_381::Fr::from(12345u64), 16, 5).unwrap();
        s.check_structure(&[1; 32]).unwrap();
    }

    fn small_text() -> String {
        let s = TrustedSetup::insecure_from_secret(ark_bls12_381::Fr::from(99u64), 4, 3).unwrap();
        let mut t = String::from("4\n3\n");
        for p in &s.g1_lagrange {
            t += &hex::encode(crate::curve::g1_to_bytes(p));
            t.push('\n');
        }
        for p in &s.g2_monomial {
            t += &hex::encode(blst::min_sig::PublicKey::from(*p).compress());
            t.push('\n');
        }
        for p in &s.g1_monomial {
            t += &hex::encode(crate::curve::g1_to_bytes(p));
            t.push('\n');
        }
        t
    }

    #[test]
    fn parses_small_setup_and_names_errors() {
        let text = small_text();
        let s = TrustedSetup::parse(&text).unwrap();
        assert_eq!((s.g1_len(), s.g2_len()), (4, 3));

        let lines: Vec<&str> = text.lines().collect();
        let with = |idx: usize, repl: &str| {
            let mut l = lines.clone();
            l[idx] = repl;
            l.join("\n")
        };
        assert!(matches!(
            TrustedSetup::parse(&with(0, "four")),
            Err(SetupError::BadHeader { line: 1, .. })
        ));
        assert!(matches!(
            TrustedSetup::parse(&with(0, "3")),
            Err(SetupError::BadHeader { line: 1, .. })
        ));
        assert!(matches!(
            TrustedSetup::parse(&with(1, "1")),
            Err(SetupError::BadHeader { line: 2, .. })
        ));
        assert!(matches!(
            TrustedSetup::parse(&with(3, "abcd")),
            Err(SetupError::BadHex { line: 4, .. })
        ));
        let zz = "zz".repeat(48);
        assert!(matches!(
            TrustedSetup::parse(&with(3, &zz)),
            Err(SetupError::BadHex { line: 4, .. })
        ));
        // A point that is not on the curve (flip a bit of x).
        let mut bad = hex::decode(lines[4]).unwrap();
        bad[47] ^= 1;
        let bad = hex::encode(bad);
        let r = TrustedSetup::parse(&with(4, &bad));
        assert!(
            matches!(
                r,
                Err(SetupError::InvalidPoint {
                    line: 5,
                    group: "G1",
                    ..
                })
            ),
            "{r:?}"
        );
        // Swap two Lagrange points: every point valid, structure wrong.
        let mut l = lines.clone();
        l.swap(2, 3);
        let r = TrustedSetup::parse(&l.join("\n"));
        assert!(matches!(r, Err(SetupError::Inconsistent { .. })), "{r:?}");
        // Truncated and trailing data.
        let r = TrustedSetup::parse(&lines[..lines.len() - 1].join("\n"));
        assert!(matches!(r, Err(SetupError::Truncated { .. })), "{r:?}");
        let r = TrustedSetup::parse(&(text.clone() + "extra\n"));
        assert!(matches!(r, Err(SetupError::TrailingData { .. })), "{r:?}");
    }
}
