//! Whatever decodes as a command encodes to bytes that decode to the same command, and
//! encoding is stable from then on; the borrowing decoder, made owned, gives the same
//! command from the input and from the encoding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailwire_smtp::{Command, CommandRef, Decoded};

fuzz_target!(|data: &[u8]| {
    let Decoded::Complete { value, .. } = Command::decode(data) else {
        return;
    };
    let Decoded::Complete {
        value: borrowed, ..
    } = CommandRef::decode(data)
    else {
        panic!("{value:?} decodes owned but not borrowed");
    };
    assert_eq!(borrowed.into_owned(), value);
    let mut wire = Vec::new();
    value.encode(&mut wire);
    match Command::decode(&wire) {
        Decoded::Complete {
            value: again,
            consumed,
        } => {
            assert_eq!(consumed, wire.len());
            assert_eq!(again, value);
            let mut wire_again = Vec::new();
            again.encode(&mut wire_again);
            assert_eq!(wire_again, wire);
        }
        other => panic!(
            "{value:?} encoded as {:?} decodes as {other:?}",
            String::from_utf8_lossy(&wire)
        ),
    }
    match CommandRef::decode(&wire) {
        Decoded::Complete {
            value: again,
            consumed,
        } => {
            assert_eq!(consumed, wire.len());
            assert_eq!(again.into_owned(), value);
        }
        other => panic!(
            "{value:?} encoded as {:?} decodes borrowed as {other:?}",
            String::from_utf8_lossy(&wire)
        ),
    }
});
