//! Decoding arbitrary bytes as a client command never panics, and a complete command
//! never claims more bytes than it was given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailwire_imap::codec::{Decoded, Limits, decode_command};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default().with_max_line(4096).with_max_literal(4096);
    match decode_command(data, &limits) {
        Ok(Decoded::Complete { consumed, .. }) => assert!(consumed > 0 && consumed <= data.len()),
        Ok(Decoded::LiteralAnnounced {
            position, length, ..
        }) => {
            assert!(position <= data.len() && length <= 4096);
        }
        Ok(Decoded::Incomplete) | Err(_) => {}
    }
});
