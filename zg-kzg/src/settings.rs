//! [`KzgSettings`]: a validated setup plus everything derived from it once (bit-reversed
//! Lagrange points, roots of unity, FFT domains, the FK20 tables for cells).

use crate::error::{Error, SetupError};
use crate::fft::Domain;
use crate::fk20::CosetProver;
use crate::setup::TrustedSetup;
use crate::types::{CELLS_PER_EXT_BLOB, FIELD_ELEMENTS_PER_BLOB, FIELD_ELEMENTS_PER_CELL};
use ark_bls12_381::{Fr, G1Affine};
use blst::blst_p2_affine;

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
    /// FK20 multi-proof tables for cells of [`FIELD_ELEMENTS_PER_CELL`] over the extended
    /// domain; present when the setup is large enough.
    pub(crate) cells: Option<CosetProver>,
}

impl KzgSettings {
    /// Ethereum's mainnet setup (embedded, see [`TrustedSetup::mainnet`]).
    pub fn mainnet() -> Result<Self, SetupError> {
        Ok(Self::from_setup(TrustedSetup::mainnet()?))
    }

    /// Parses, validates ([`TrustedSetup::parse`]) and prepares a setup in the published text
    /// format.
    pub fn load(text: &str) -> Result<Self, SetupError> {
        Ok(Self::from_setup(TrustedSetup::parse_trusting_digest(text)?))
    }

    /// Prepares an already validated setup.
    pub fn from_setup(setup: TrustedSetup) -> Self {
        let n = setup.g1_len();
        let mut g1_lagrange_brp = setup.g1_lagrange.clone();
        crate::field::bit_reverse_permute(&mut g1_lagrange_brp);
        let mut settings = Self {
            g1_lagrange_brp,
            roots_brp: crate::field::roots_of_unity_brp(n),
            domain: Domain::new(n),
            ext_domain: Domain::new(2 * n),
            setup,
            cells: None,
        };
        if n >= FIELD_ELEMENTS_PER_CELL && settings.setup.g2_len() > FIELD_ELEMENTS_PER_CELL {
            settings.cells = CosetProver::new(&settings, n, FIELD_ELEMENTS_PER_CELL).ok();
        }
        settings
    }

    /// Number of G1 points: the largest polynomial (in coefficients) the setup commits to.
    pub fn size(&self) -> usize {
        self.setup.g1_len()
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
