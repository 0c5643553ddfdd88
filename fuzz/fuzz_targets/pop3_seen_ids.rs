//! The POP3 client's state file of seen unique-ids: any text is read without a panic, and
//! what is read is written back to text that reads as the same set.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailwire_tokio::pop3::SeenIds;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(seen) = SeenIds::parse(text) {
        let written = seen.to_string();
        let again = SeenIds::parse(&written).expect("its own text reads");
        assert_eq!(again, seen);
        assert_eq!(again.to_string(), written);
    }
});
