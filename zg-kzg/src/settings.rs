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
/// | | memory (mainnet) | extra load time | commitment / blob proof | cell proofs |
/// |---|---|---|---|---|
/// | `None` | — | — | variable-base MSM | variable-base MSMs |
/// | `Full` | ≈ 8.5 MB + 27 MB | ≈ 1 s single-threaded | fixed-base MSM, ≈ 2× faster | ≈ 2× faster |
///
/// (Figures indicative, measured on a 2-vCPU machine; see the crate's benches.)
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Precompute {
    /// No tables: fastest load, least memory. Right for verifiers.
    #[default]
    None,
    /// Fixed-base tables for the Lagrange points (window 13) and for the FK20 bases (window 8).
    Full,
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

    /// Bytes held by the precomputed tables (0 with [`Precompute::None`]).
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
