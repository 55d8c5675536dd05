//! Byte-level types of the EIP-4844 / EIP-7594 API and their sizes.
//!
//! These are plain byte containers: constructing one never validates the content; the functions
//! that consume them validate (exactly as the spec's `bytes_to_kzg_commitment`,
//! `bytes_to_bls_field`, ... do), so untrusted bytes can be wrapped freely.

use crate::Error;

/// Field elements in a blob (`FIELD_ELEMENTS_PER_BLOB`).
pub const FIELD_ELEMENTS_PER_BLOB: usize = 4096;
/// Bytes per field element (`BYTES_PER_FIELD_ELEMENT`), big-endian.
pub const BYTES_PER_FIELD_ELEMENT: usize = 32;
/// Bytes per blob (`BYTES_PER_BLOB`).
pub const BYTES_PER_BLOB: usize = FIELD_ELEMENTS_PER_BLOB * BYTES_PER_FIELD_ELEMENT;
/// Bytes of a compressed G1 point: commitment or proof (`BYTES_PER_COMMITMENT`, `BYTES_PER_PROOF`).
pub const BYTES_PER_G1: usize = 48;
/// Field elements in the Reed–Solomon extended blob (`FIELD_ELEMENTS_PER_EXT_BLOB`).
pub const FIELD_ELEMENTS_PER_EXT_BLOB: usize = 2 * FIELD_ELEMENTS_PER_BLOB;
/// Field elements in a cell (`FIELD_ELEMENTS_PER_CELL`).
pub const FIELD_ELEMENTS_PER_CELL: usize = 64;
/// Bytes per cell (`BYTES_PER_CELL`).
pub const BYTES_PER_CELL: usize = FIELD_ELEMENTS_PER_CELL * BYTES_PER_FIELD_ELEMENT;
/// Cells in an extended blob (`CELLS_PER_EXT_BLOB`).
pub const CELLS_PER_EXT_BLOB: usize = FIELD_ELEMENTS_PER_EXT_BLOB / FIELD_ELEMENTS_PER_CELL;
/// Compressed encoding of the G1 point at infinity (`G1_POINT_AT_INFINITY`).
pub const G1_POINT_AT_INFINITY: [u8; 48] = {
    let mut b = [0u8; 48];
    b[0] = 0xc0;
    b
};

macro_rules! bytes_newtype {
    ($(#[$doc:meta])* $name:ident, $len:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            /// Wraps a byte slice of exactly the right length (content is not validated).
            pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
                let arr: [u8; $len] = bytes.try_into().map_err(|_| Error::WrongLength {
                    what: stringify!($name),
                    expected: $len,
                    got: bytes.len(),
                })?;
                Ok(Self(arr))
            }

            /// The raw bytes.
            pub fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }

            /// Lower-case hex of the bytes, with a `0x` prefix.
            pub fn to_hex(&self) -> String {
                let mut s = String::with_capacity(2 + 2 * $len);
                s.push_str("0x");
                for b in self.0 {
                    s.push(char::from(HEX[usize::from(b >> 4)]));
                    s.push(char::from(HEX[usize::from(b & 15)]));
                }
                s
            }
        }

        impl From<[u8; $len]> for $name {
            fn from(bytes: [u8; $len]) -> Self {
                Self(bytes)
            }
        }

        impl AsRef<[u8]> for $name {
            fn as_ref(&self) -> &[u8] {
                &self.0
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(f, "{}({})", stringify!($name), self.to_hex())
            }
        }
    };
}

const HEX: &[u8; 16] = b"0123456789abcdef";

bytes_newtype!(
    /// 32 bytes: a big-endian field element (`Bytes32`), e.g. an evaluation point `z` or value `y`.
    Bytes32,
    32
);
bytes_newtype!(
    /// 48 untrusted bytes that should hold a compressed G1 point (`Bytes48`).
    Bytes48,
    48
);
bytes_newtype!(
    /// A KZG commitment: a compressed G1 point (`KZGCommitment`). Validated where consumed.
    KzgCommitment,
    48
);
bytes_newtype!(
    /// A KZG proof: a compressed G1 point (`KZGProof`). Validated where consumed.
    KzgProof,
    48
);

impl KzgCommitment {
    /// Spec `bytes_to_kzg_commitment`: the G1 point, if these bytes are the compressed encoding
    /// of a point of the G1 subgroup or of the point at infinity.
    pub fn to_point(&self) -> Result<crate::G1Affine, Error> {
        crate::curve::g1_from_bytes(&self.0).map_err(|_| Error::InvalidG1Point {
            what: "commitment",
            index: 0,
        })
    }

    /// The compressed encoding of a point (for commitments computed with the generic layer).
    pub fn from_point(p: &crate::G1Affine) -> Self {
        Self(crate::curve::g1_to_bytes(p))
    }
}

impl KzgProof {
    /// Spec `bytes_to_kzg_proof`: the G1 point, if valid (as [`KzgCommitment::to_point`]).
    pub fn to_point(&self) -> Result<crate::G1Affine, Error> {
        crate::curve::g1_from_bytes(&self.0).map_err(|_| Error::InvalidG1Point {
            what: "proof",
            index: 0,
        })
    }

    /// The compressed encoding of a point.
    pub fn from_point(p: &crate::G1Affine) -> Self {
        Self(crate::curve::g1_to_bytes(p))
    }
}

impl Bytes32 {
    /// Spec `bytes_to_bls_field`: the field element, if the big-endian integer is below `r`.
    pub fn to_field(&self) -> Result<crate::Fr, Error> {
        crate::field::fr_from_be_bytes(&self.0).ok_or(Error::NonCanonicalFieldElement { index: 0 })
    }

    /// Spec `bls_field_to_bytes`: canonical big-endian encoding.
    pub fn from_field(x: &crate::Fr) -> Self {
        Self(crate::field::fr_to_be_bytes(x))
    }
}

impl From<KzgCommitment> for Bytes48 {
    fn from(c: KzgCommitment) -> Self {
        Self(c.0)
    }
}
impl From<KzgProof> for Bytes48 {
    fn from(p: KzgProof) -> Self {
        Self(p.0)
    }
}
impl From<Bytes48> for KzgCommitment {
    fn from(b: Bytes48) -> Self {
        Self(b.0)
    }
}
impl From<Bytes48> for KzgProof {
    fn from(b: Bytes48) -> Self {
        Self(b.0)
    }
}

/// A blob: 4096 big-endian field elements (`Blob`, 131072 bytes), kept on the heap.
#[derive(Clone, PartialEq, Eq)]
pub struct Blob(Box<[u8; BYTES_PER_BLOB]>);

impl Blob {
    /// Wraps exactly [`BYTES_PER_BLOB`] bytes (field elements are validated where consumed).
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        let boxed: Box<[u8; BYTES_PER_BLOB]> = bytes
            .to_vec()
            .into_boxed_slice()
            .try_into()
            .map_err(|_| Error::WrongLength {
                what: "blob",
                expected: BYTES_PER_BLOB,
                got: bytes.len(),
            })?;
        Ok(Self(boxed))
    }

    /// Wraps an owned buffer.
    pub fn new(bytes: Box<[u8; BYTES_PER_BLOB]>) -> Self {
        Self(bytes)
    }

    /// A blob of zero bytes (the zero polynomial).
    pub fn zeroed() -> Self {
        Self(Box::new([0u8; BYTES_PER_BLOB]))
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; BYTES_PER_BLOB] {
        &self.0
    }

    /// The raw bytes, mutably.
    pub fn as_bytes_mut(&mut self) -> &mut [u8; BYTES_PER_BLOB] {
        &mut self.0
    }
}

impl core::fmt::Debug for Blob {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Blob({:02x?}..)", &self.0[..8])
    }
}

/// A cell: 64 big-endian field elements of the extended blob (`Cell`, 2048 bytes).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Cell(pub [u8; BYTES_PER_CELL]);

impl Cell {
    /// Wraps exactly [`BYTES_PER_CELL`] bytes (field elements are validated where consumed).
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        let arr: [u8; BYTES_PER_CELL] = bytes.try_into().map_err(|_| Error::WrongLength {
            what: "cell",
            expected: BYTES_PER_CELL,
            got: bytes.len(),
        })?;
        Ok(Self(arr))
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; BYTES_PER_CELL] {
        &self.0
    }
}

impl Default for Cell {
    fn default() -> Self {
        Self([0u8; BYTES_PER_CELL])
    }
}

impl core::fmt::Debug for Cell {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Cell({:02x?}..)", &self.0[..8])
    }
}
