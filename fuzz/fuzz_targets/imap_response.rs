//! Decoding arbitrary bytes as a server response never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailwire_imap::codec::{Decoded, Limits, decode_response};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default().with_max_line(4096).with_max_literal(4096);
    if let Ok(Decoded::Complete { consumed, .. }) = decode_response(data, &limits) {
        assert!(consumed > 0 && consumed <= data.len());
    }
});
