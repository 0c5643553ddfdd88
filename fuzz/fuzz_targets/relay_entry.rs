//! The relay queue's envelope files: any text is read without a panic, and what is read
//! is written back to text that reads as the same entry.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailwire_relay::Entry;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(entry) = Entry::parse("0123456789abcdef", text) {
        let written = entry.to_text();
        let again = Entry::parse("0123456789abcdef", &written).expect("its own text reads");
        assert_eq!(again, entry);
        assert_eq!(again.to_text(), written);
    }
});
