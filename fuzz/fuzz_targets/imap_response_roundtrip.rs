//! A response that decodes (leniently) encodes to bytes that decode to the same response.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailwire_imap::codec::{Decoded, Limits, decode_response, encode_response};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default().with_max_line(4096).with_max_literal(4096);
    let Ok(Decoded::Complete { value, .. }) = decode_response(data, &limits) else {
        return;
    };
    let mut bytes = Vec::new();
    encode_response(&value, &mut bytes);
    match decode_response(&bytes, &Limits::default()) {
        Ok(Decoded::Complete {
            value: again,
            consumed,
        }) => {
            assert_eq!(consumed, bytes.len());
            assert_eq!(again, value);
        }
        other => panic!("re-encoded response does not decode: {other:?}"),
    }
});
