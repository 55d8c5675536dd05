//! zg-da: the DA publishing lane.
#![forbid(unsafe_code)]

pub mod custody;
mod error;
pub mod payload;
pub mod reconstructor;
pub mod retrieval;
pub mod sampler;

pub use custody::{Custody, DA_SIGNER_ROLE, SeatCustody, SeatHolder};
pub use error::Error;
pub use payload::{
    CELLS_TO_RECOVER, COLUMNS, CellWithProof, Column, EncodedBlob, EncodedPayload,
    FRAME_BYTES_PER_BLOB, Header, MAX_BLOBS, MAX_PAYLOAD_BYTES, blob_count, encode_payload,
    frame_blobs, payload_from_blobs, payload_id, reconstruct_payload, valid_cells, verify_cells,
};
pub use reconstructor::{Reconstruction, Reconstructor, ReconstructorConfig, ReconstructorError};
pub use retrieval::{CellRef, CellStore, Holder, RetrievalError, holders_by_column};
pub use sampler::{
    Sampler, SamplerConfig, SamplerError, Sampling, false_available_bound, sample_indices,
};
