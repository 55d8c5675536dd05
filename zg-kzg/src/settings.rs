//! [`KzgSettings`]: a validated setup plus everything derived from it once (bit-reversed
//! Lagrange points, roots of unity, FFT domains, the FK20 tables for cells).

use crate::error::{Error, SetupError};
use crate::fft::Domain;
use crate::fk20::CosetProver;
use crate::msm::FixedBaseTable;
use crate::setup::TrustedSetup;
use crate::types::{CELLS_PER_EXT_BLOB, FIELD_ELEMENTS_PER_BLOB, FIELD_ELEMENTS_PER_CELL};
use ark_bls12_381::{Fr, G1Affine};
use blst::blst_p2_affine;

/// Which precomputed tables [`KzgSettings`] builds at load: a memory/load-time versus prover-speed
/// trade-off. Verification never uses them.
///
/// Measured on the mainnet setup, single thread pinned to one core of a 2-vCPU machine that
/// other work was sharing (so a few percent either way): fastest of 18 interleaved rounds
/// (`KZG_AB_THREADS=1 taskset -c 0 cargo bench -p zg-benches --bench kzg_ab`), next to
/// c-kzg 2.1.8 with precompute 0 / 8 in the same runs:
///
/// | | `None` (default) | `Full` | c-kzg 0 | c-kzg 8 |
/// |---|---|---|---|---|
/// | extra memory | 2.4 MB, built by the first cell proof (≈ 0.4 s once) | 33 MB | — | — |
/// | load | 0.14–0.18 s | 1.2–1.5 s | | 2.6–3.1 s |
/// | `blob_to_kzg_commitment` | 41 ms | 34 ms | 50 ms | 49 ms |
/// | `compute_blob_kzg_proof` | 40 ms | 36 ms | 52 ms | 52 ms |
/// | `compute_cells_and_kzg_proofs` | 189 ms | 164 ms | 303 ms | 202 ms |
/// | `recover_cells_and_kzg_proofs` | 191 ms | 166 ms | 323 ms | 224 ms |
///
/// (`None`'s timings are after the first cell proof, which also pays the ≈ 0.4 s build of the
/// shifted bases; [`Precompute::Bare`] never builds them.)
///
/// `None` is the default: it matches or beats c-kzg with its tables, loads ten times faster
/// than `Full`, and a verifier never pays for the shifted FK20 bases. `Full` adds fixed-base
/// tables for the Lagrange points (window 13: 20 points per base, 7.9 MB) and the FK20 bases
/// (window 8: 32 points per base, 25 MB) for about 15% more on commitments and cell proofs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Precompute {
    /// No fixed-base tables: fastest load, least memory. The first cell proof builds 2.4 MB of
    /// shifted FK20 bases, kept for later proofs. Right for verifiers and most provers.
    #[default]
    None,
    /// Fixed-base tables for the Lagrange points (window 13) and for the FK20 bases (window 8),
    /// 33 MB built at load: for provers that want the last 15%.
    Full,
    /// Nothing beyond the setup, ever: no fixed-base tables and no shifted FK20 bases, so cell
    /// proofs run their MSMs over the plain bases (about 15–20% slower than `None` after its
    /// first proof, and no first-proof build). For memory-tight hosts, and for comparing with
    /// libraries that keep no tables.
    Bare,
}

/// A loaded trusted setup, ready to commit, prove and verify.
///
/// Build it once ([`KzgSettings::mainnet`] for Ethereum's setup, [`KzgSettings::load`] for a
/// file of your own) and share it (`Arc`): every operation takes `&self`.
#[derive(Debug)]
pub struct KzgSettings {
    pub(crate) setup: TrustedSetup,
    /// `bit_reversal_permutation(KZG_SETUP_G1_LAGRANGE)`.
    pub(crate) g1_lagrange_brp: Vec<G1Affine>,
    /// Roots of unity of order `n`, bit-reversed (the domain of blob evaluations).
    pub(crate) roots_brp: Vec<Fr>,
    /// FFT domain of size `n`.
    pub(crate) domain: Domain,
    /// FFT domain of size `2n` (the extended blob).
    pub(crate) ext_domain: Domain,
    /// Fixed-base table over `g1_lagrange_brp` ([`Precompute::Full`]).
    pub(crate) lagrange_table: Option<FixedBaseTable>,
    /// FK20 multi-proof tables for cells of [`FIELD_ELEMENTS_PER_CELL`] over the extended
    /// domain; present when the setup is large enough.
    pub(crate) cells: Option<CosetProver>,
}

/// Window of the Lagrange fixed-base table: `ceil(256/13) = 20` points per base.
const LAGRANGE_WINDOW_BITS: u32 = 13;

impl KzgSettings {
    /// Ethereum's mainnet setup (embedded, see [`TrustedSetup::mainnet`]), without tables.
    pub fn mainnet() -> Result<Self, SetupError> {
        Self::mainnet_with(Precompute::None)
    }

    /// Ethereum's mainnet setup with the chosen [`Precompute`] tables.
    pub fn mainnet_with(precompute: Precompute) -> Result<Self, SetupError> {
        Ok(Self::from_setup(TrustedSetup::mainnet()?, precompute))
    }

    /// Parses, validates ([`TrustedSetup::parse`]) and prepares a setup in the published text
    /// format.
    pub fn load(text: &str, precompute: Precompute) -> Result<Self, SetupError> {
        Ok(Self::from_setup(
            TrustedSetup::parse_trusting_digest(text)?,
            precompute,
        ))
    }

    /// Prepares an already validated setup.
    pub fn from_setup(setup: TrustedSetup, precompute: Precompute) -> Self {
        let n = setup.g1_len();
        let mut g1_lagrange_brp = setup.g1_lagrange.clone();
        crate::field::bit_reverse_permute(&mut g1_lagrange_brp);
        let mut settings = Self {
            g1_lagrange_brp,
            roots_brp: crate::field::roots_of_unity_brp(n),
            domain: Domain::new(n),
            ext_domain: Domain::new(2 * n),
            setup,
            lagrange_table: None,
            cells: None,
        };
        if precompute == Precompute::Full {
            settings.lagrange_table = Some(FixedBaseTable::new(
                &settings.g1_lagrange_brp,
                LAGRANGE_WINDOW_BITS,
            ));
        }
        if n >= 2 * FIELD_ELEMENTS_PER_CELL && settings.setup.g2_len() > FIELD_ELEMENTS_PER_CELL {
            settings.cells =
                CosetProver::with_precompute(&settings, n, FIELD_ELEMENTS_PER_CELL, precompute)
                    .ok();
        }
        settings
    }

    /// Number of G1 points: the largest polynomial (in coefficients) the setup commits to.
    pub fn size(&self) -> usize {
        self.setup.g1_len()
    }

    /// Bytes held by the precomputed tables: with [`Precompute::Full`] the fixed-base tables,
    /// with [`Precompute::None`] 0 until the first cell proof builds the shifted FK20 bases.
    pub fn precomputed_bytes(&self) -> usize {
        self.lagrange_table
            .as_ref()
            .map_or(0, FixedBaseTable::size_bytes)
            + self.cells.as_ref().map_or(0, CosetProver::table_bytes)
    }

    /// The underlying validated setup.
    pub fn trusted_setup(&self) -> &TrustedSetup {
        &self.setup
    }

    pub(crate) fn g2(&self, i: usize) -> &blst_p2_affine {
        &self.setup.g2_monomial[i]
    }

    /// The EIP functions are defined for the mainnet sizes only.
    pub(crate) fn require_eip4844(&self) -> Result<(), Error> {
        if self.size() != FIELD_ELEMENTS_PER_BLOB || self.setup.g2_len() < 2 {
            return Err(Error::SetupTooSmall {
                g1: self.size(),
                g2: self.setup.g2_len(),
                need_g1: FIELD_ELEMENTS_PER_BLOB,
                need_g2: 2,
            });
        }
        Ok(())
    }

    pub(crate) fn require_eip7594(&self) -> Result<&CosetProver, Error> {
        let err = Error::SetupTooSmall {
            g1: self.size(),
            g2: self.setup.g2_len(),
            need_g1: FIELD_ELEMENTS_PER_BLOB,
            need_g2: FIELD_ELEMENTS_PER_CELL + 1,
        };
        if self.size() != FIELD_ELEMENTS_PER_BLOB {
            return Err(err);
        }
        match &self.cells {
            Some(c) if c.num_cosets() == CELLS_PER_EXT_BLOB => Ok(c),
            _ => Err(err),
        }
    }
}
