//! The command decoder never panics, and its verdicts are consistent: a complete or
//! invalid command consumes a whole line of the input and no more. The borrowing decoder
//! agrees with the owned one on every input: same verdict, same bytes consumed, same error,
//! and a borrowed command made owned is the owned command.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailwire_smtp::{Command, CommandRef, Decoded};

fuzz_target!(|data: &[u8]| {
    let owned = Command::decode(data);
    match &owned {
        Decoded::Complete { consumed, .. } | Decoded::Invalid { consumed, .. } => {
            assert!(*consumed >= 2 && *consumed <= data.len());
            assert_eq!(&data[consumed - 2..*consumed], b"\r\n");
        }
        Decoded::Incomplete => assert!(memchr_crlf(data).is_none()),
    }
    let borrowed = match CommandRef::decode(data) {
        Decoded::Complete { value, consumed } => Decoded::Complete {
            value: value.into_owned(),
            consumed,
        },
        Decoded::Invalid { error, consumed } => Decoded::Invalid { error, consumed },
        Decoded::Incomplete => Decoded::Incomplete,
    };
    assert_eq!(borrowed, owned);
});

fn memchr_crlf(data: &[u8]) -> Option<usize> {
    data.windows(2).position(|w| w == b"\r\n")
}
