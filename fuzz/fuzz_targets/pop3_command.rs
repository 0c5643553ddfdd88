//! The command decoder on arbitrary bytes: no panic, consumed within the input, and
//! whatever decodes re-encodes within 255 bytes to the same command.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mailwire_pop3::{Command, Decoded, MAX_COMMAND_LINE};

fuzz_target!(|data: &[u8]| {
    match Command::decode(data) {
        Decoded::Complete { value, consumed } => {
            assert!(consumed <= data.len());
            let wire = value.to_bytes();
            assert!(wire.len() <= MAX_COMMAND_LINE);
            assert_eq!(
                Command::decode(&wire),
                Decoded::Complete {
                    value,
                    consumed: wire.len()
                }
            );
        }
        Decoded::Invalid { consumed, .. } => assert!(consumed <= data.len()),
        Decoded::Incomplete => {}
    }
});
