//! The command decoder never panics, and its verdicts are consistent: a complete or
//! invalid command consumes a whole line of the input and no more.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailwire_smtp::{Command, Decoded};

fuzz_target!(|data: &[u8]| {
    match Command::decode(data) {
        Decoded::Complete { consumed, .. } | Decoded::Invalid { consumed, .. } => {
            assert!(consumed >= 2 && consumed <= data.len());
            assert_eq!(&data[consumed - 2..consumed], b"\r\n");
        }
        Decoded::Incomplete => assert!(memchr_crlf(data).is_none()),
    }
});

fn memchr_crlf(data: &[u8]) -> Option<usize> {
    data.windows(2).position(|w| w == b"\r\n")
}
