//! zg-da: the DA publishing lane.
#![forbid(unsafe_code)]

mod error;
pub mod payload;

pub use error::Error;
pub use payload::{
    CELLS_TO_RECOVER, COLUMNS, CellWithProof, Column, EncodedBlob, EncodedPayload,
    FRAME_BYTES_PER_BLOB, Header, MAX_BLOBS, MAX_PAYLOAD_BYTES, blob_count, encode_payload,
    frame_blobs, payload_from_blobs, payload_id, reconstruct_payload, valid_cells, verify_cells,
};
