//! Structure-only parse ≡ full parse: for any input, the FETCH items computed from the
//! message structure (ENVELOPE, BODY, BODYSTRUCTURE, header sections) are the same
//! whether or not the bodies were decoded. And the bytes written for ENVELOPE, BODY and
//! BODYSTRUCTURE always form a FETCH response that decodes whole, to those items.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailwire_imap::codec::{Decoded, Limits, decode_response};
use mailwire_imap::message::ParsedMessage;
use mailwire_imap::types::{Data, FetchAttribute, MessageDataItem, Response, Section, SectionText};

fuzz_target!(|raw: &[u8]| {
    let structure = ParsedMessage::parse(raw);
    let full = ParsedMessage::parse_full(raw);
    assert_eq!(structure.envelope(), full.envelope());
    assert_eq!(structure.body_structure(true), full.body_structure(true));
    assert_eq!(structure.body_structure(false), full.body_structure(false));

    let mut line = b"* 1 FETCH (ENVELOPE ".to_vec();
    structure.write_envelope(&mut line);
    line.extend_from_slice(b" BODY ");
    structure.write_body_structure(false, &mut line);
    line.extend_from_slice(b" BODYSTRUCTURE ");
    structure.write_body_structure(true, &mut line);
    line.extend_from_slice(b")\r\n");
    let limits = Limits::default()
        .with_max_depth(usize::MAX)
        .with_max_line(usize::MAX)
        .with_max_literal(u32::MAX)
        .with_max_message(usize::MAX);
    let Ok(Decoded::Complete { value, consumed }) = decode_response(&line, &limits) else {
        panic!(
            "written items do not decode: {:?}",
            String::from_utf8_lossy(&line)
        );
    };
    assert_eq!(consumed, line.len());
    let Response::Data(Data::Fetch { items, .. }) = value else {
        panic!("not a FETCH response");
    };
    let items: Vec<MessageDataItem> = items.into_iter().collect();
    assert_eq!(
        items,
        [
            MessageDataItem::Envelope(Box::new(structure.envelope())),
            MessageDataItem::Body(Box::new(structure.body_structure(false))),
            MessageDataItem::BodyStructure(Box::new(structure.body_structure(true))),
        ]
    );
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
