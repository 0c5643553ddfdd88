//! A command that decodes encodes to bytes that decode to the same command.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailwire_imap::codec::{Decoded, Limits, LiteralMode, decode_command, encode_command};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default().with_max_line(4096).with_max_literal(4096);
    let Ok(Decoded::Complete { value, .. }) = decode_command(data, &limits) else {
        return;
    };
    for mode in [LiteralMode::Sync, LiteralMode::Plus, LiteralMode::Minus] {
        let bytes = encode_command(&value, mode).into_bytes();
        match decode_command(&bytes, &Limits::default()) {
            Ok(Decoded::Complete {
                value: again,
                consumed,
            }) => {
                assert_eq!(consumed, bytes.len());
                assert_eq!(again, value);
            }
            other => panic!("re-encoded command does not decode: {other:?}"),
        }
    }
});
