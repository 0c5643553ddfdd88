//! Any input: parsing never panics, every accessor answers, and parsing from two chunks
//! gives the same message as parsing the whole.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailwire_mime::{Message, MessageParser};

fuzz_target!(|data: &[u8]| {
    let m = Message::parse(data);
    let _ = (
        m.subject(),
        m.from(),
        m.to(),
        m.cc(),
        m.bcc(),
        m.reply_to(),
        m.sender(),
        m.date(),
        m.message_id(),
    );
    let _ = (
        m.in_reply_to(),
        m.references(),
        m.envelope(),
        m.text_body(),
        m.html_body(),
    );
    let _ = (
        m.attachments(),
        m.inline_parts(),
        m.defects(),
        m.by_content_id("a@b"),
        m.part("1.2"),
    );
    for p in m.parts() {
        let _ = (
            p.filename(),
            p.content_id(),
            p.content_disposition(),
            p.text(),
            p.decoded(),
            p.is_attachment(),
        );
        assert!(p.body_offset() >= p.header_offset());
        assert_eq!(
            &data[p.body_offset()..p.body_offset() + p.body_size()],
            p.raw_body()
        );
        let h = p.header();
        let _ = (
            h.content_language(),
            h.content_location(),
            h.mime_version(),
            h.content_description(),
        );
        for f in h.fields() {
            let _ = (f.text(), f.unfolded());
            assert_eq!(&data[f.offset()..f.offset() + f.raw().len()], f.raw());
        }
        if let Some(d) = h.date() {
            let _ = (d.to_rfc3339(), d.to_rfc5322());
        }
    }
    let cut = data.first().map_or(0, |&b| usize::from(b)).min(data.len());
    let mut parser = MessageParser::new();
    parser.push(&data[..cut]);
    parser.push(&data[cut..]);
    assert_eq!(parser.message(), m);
});
