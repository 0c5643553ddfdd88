//! Decoding arbitrary bytes as a server greeting never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailwire_imap::codec::{Decoded, Limits, decode_greeting};
use mailwire_imap::types::Condition;

fuzz_target!(|data: &[u8]| {
    if let Ok(Decoded::Complete { value, consumed }) = decode_greeting(data, &Limits::default()) {
        assert!(consumed <= data.len());
        assert!(matches!(
            value.condition,
            Condition::Ok | Condition::PreAuth | Condition::Bye
        ));
    }
});
