//! The reply decoder never panics, consumes whole lines only, and never reports more than
//! `MAX_REPLY_LEN` bytes as one reply.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailwire_smtp::{Decoded, MAX_REPLY_LEN, Reply};

fuzz_target!(|data: &[u8]| {
    match Reply::decode(data) {
        Decoded::Complete { value, consumed } => {
            assert!(consumed <= data.len() && consumed <= MAX_REPLY_LEN);
            assert_eq!(&data[consumed - 2..consumed], b"\r\n");
            assert!(value.lines().next().is_some());
            assert!((200..=599).contains(&value.code().get()));
        }
        Decoded::Invalid { consumed, .. } => assert!(consumed > 0 && consumed <= data.len()),
        Decoded::Incomplete => assert!(data.len() <= MAX_REPLY_LEN),
    }
});
