//! Build → parse: whatever the builder accepts parses back to the same content.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailwire_mime::{Address, DateTime, Mailbox, Message, MessageBuilder};

fuzz_target!(|input: (
    String,
    Option<String>,
    String,
    Option<String>,
    Vec<(String, Vec<u8>)>,
    i32
)| {
    let (subject, name, text, html, attachments, ts) = input;
    let from = Mailbox::new(name.as_deref(), "sender@example.test");
    let mut b = MessageBuilder::new()
        .from(from.clone())
        .subject(&subject)
        .date(DateTime::from_timestamp(i64::from(ts), 0))
        .message_id("fuzz@example.test")
        .boundary("=_fuzz")
        .text(text.clone());
    if let Some(h) = &html {
        b = b.html(h.clone());
    }
    for (filename, data) in attachments.iter().take(4) {
        b = b.attachment("application/octet-stream", filename, data.clone());
    }
    let Ok(raw) = b.build() else { return };
    assert!(raw.split(|&c| c == b'\n').all(|l| l.len() <= 999));
    let m = Message::parse(&raw);
    let ws = |c: char| c.is_ascii_whitespace();
    assert_eq!(m.subject().unwrap_or_default(), subject.trim_matches(ws));
    let name = name
        .as_deref()
        .map(|n| n.trim_matches(ws))
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    assert_eq!(m.from(), vec![Address::Mailbox(Mailbox { name, ..from })]);
    assert_eq!(m.date().map(|d| d.timestamp()), Some(i64::from(ts)));
    let crlf = |s: &str| {
        s.replace("\r\n", "\n")
            .replace('\r', "\n")
            .replace('\n', "\r\n")
    };
    assert_eq!(
        m.text_part().and_then(|p| p.text()).map(str::to_owned),
        Some(crlf(&text))
    );
    assert_eq!(m.html_body().map(str::to_owned), html.as_deref().map(crlf));
    let got: Vec<(Option<String>, &[u8])> = m
        .attachments()
        .iter()
        .map(|p| (p.filename(), p.decoded()))
        .collect();
    let want: Vec<(Option<String>, &[u8])> = attachments
        .iter()
        .take(4)
        .map(|(f, d)| (Some(f.clone()), d.as_slice()))
        .collect();
    assert_eq!(got, want);
});
