//! Decoding of `settleFeesWithTEE` calldata: never panics, and whatever decodes re-encodes to
//! the very same bytes (the decoder accepts only the canonical encoding).
#![no_main]

use libfuzzer_sys::fuzz_target;
use zg_serving::settlement::{decode_settle_calldata, encode_settle_calldata, settle_selector};

fuzz_target!(|data: &[u8]| {
    // Half the inputs get the right selector so the decoder's body is reached.
    let mut input = data.to_vec();
    if data.first().is_some_and(|b| b & 1 == 0) {
        input.splice(0..0, settle_selector());
    }
    if let Ok(items) = decode_settle_calldata(&input) {
        assert_eq!(
            encode_settle_calldata(&items),
            input,
            "non-canonical input accepted"
        );
    }
});
