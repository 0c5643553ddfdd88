//! Structure-only parse ≡ full parse: for any input, the FETCH items computed from the
//! message structure (ENVELOPE, BODY, BODYSTRUCTURE, header sections) are the same
//! whether or not the bodies were decoded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailwire_imap::message::ParsedMessage;
use mailwire_imap::types::{FetchAttribute, Section, SectionText};

fuzz_target!(|raw: &[u8]| {
    let structure = ParsedMessage::parse(raw);
    let full = ParsedMessage::parse_full(raw);
    assert_eq!(structure.envelope(), full.envelope());
    assert_eq!(structure.body_structure(true), full.body_structure(true));
    assert_eq!(structure.body_structure(false), full.body_structure(false));
    for path in [&[][..], &[1], &[2], &[1, 1], &[1, 2], &[2, 1]] {
        for text in [
            None,
            Some(SectionText::Mime),
            Some(SectionText::Header),
            Some(SectionText::Text),
        ] {
            let Ok(section) = Section::new(path.to_vec(), text) else {
                continue;
            };
            let a = FetchAttribute::BodySection {
                peek: true,
                section,
                partial: None,
            };
            assert_eq!(structure.fetch(&a), full.fetch(&a));
        }
    }
});
