//! Properties: every split of the input parses alike, no input panics, and a built
//! message parses back to what it was built from.

use mailwire_mime::{Address, DateTime, Mailbox, Message, MessageBuilder, MessageParser};
use proptest::prelude::*;

const FIXTURE: &str = "From: =?utf-8?q?J=C3=B6rg?= <j@x.test>\r
Subject: split me\r
Content-Type: multipart/mixed; boundary=\"o\"\r
\r
pre\r
--o\r
Content-Type: text/plain; charset=iso-8859-1\r
Content-Transfer-Encoding: quoted-printable\r
\r
caf=E9\r
--o\r
Content-Type: message/rfc822\r
\r
Subject: inner\r
\r
inner body\r
--o\r
Content-Type: application/octet-stream\r
Content-Transfer-Encoding: base64\r
\r
AAECAwQF\r
--o--\r
epilogue\r
";

/// Calls every accessor, so that a panic anywhere shows up.
fn touch_everything(m: &Message<'_>) {
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
        m.attachments(),
        m.inline_parts(),
    );
    let _ = (m.defects(), m.by_content_id("x"), m.part("1.1"));
    for p in m.parts() {
        let _ = (
            p.filename(),
            p.content_id(),
            p.content_disposition(),
            p.text(),
            p.decoded(),
            p.body_lines(),
            p.is_attachment(),
        );
        let h = p.header();
        let _ = (
            h.content_language(),
            h.content_location(),
            h.mime_version(),
            h.content_description(),
        );
        for f in h.fields() {
            let _ = f.text();
        }
    }
}

fn ascii_ws(c: char) -> bool {
    c.is_ascii_whitespace()
}

fn fragments() -> impl Strategy<Value = Vec<u8>> {
    let pieces = prop::sample::select(vec![
        &b"Content-Type: multipart/mixed; boundary=b\r\n"[..],
        b"Content-Type: message/rfc822\r\n",
        b"Content-Type: text/plain; charset=utf-7\r\n",
        b"Content-Transfer-Encoding: base64\r\n",
        b"Content-Transfer-Encoding: quoted-printable\r\n",
        b"Content-Transfer-Encoding: x-uuencode\r\n",
        b"Content-Disposition: attachment; filename*0*=utf-8''%E2; filename*1*=%82%AC\r\n",
        b"From: a <b@c>, (x) \"q\\\" <d@e>; g: h@i;\r\n",
        b"Date: 31 Dec 99 23:59:60 +9999\r\n",
        b"\r\n",
        b"\n",
        b"--b\r\n",
        b"--b--\r\n",
        b"begin 644 f\r\n#0V%T\r\nend\r\n",
        b"=?utf-8?b?w6k=?= =?x?q?=ZZ?=",
        b"+ZeVnLIqe-",
        b"AAEC====*\r\n",
        b"=\r\n=4",
        b"<p>&#x110000;&amp</p>",
        b"\xff\xfe\x00",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_split_parses_alike(cuts in prop::collection::vec(0usize..FIXTURE.len(), 0..8)) {
        let input = FIXTURE.as_bytes();
        let whole = Message::parse(input);
        let mut cuts = cuts;
        cuts.sort_unstable();
        let mut p = MessageParser::new();
        let mut at = 0;
        for c in cuts {
            p.push(&input[at..c.max(at)]);
            at = c.max(at);
        }
        p.push(&input[at..]);
        prop_assert_eq!(p.header().map(|h| h.fields().len()), Some(3));
        prop_assert_eq!(p.message(), whole);
    }

    #[test]
    fn arbitrary_bytes_never_panic(input in prop::collection::vec(any::<u8>(), 0..512)) {
        touch_everything(&Message::parse(&input));
    }

    #[test]
    fn mime_shaped_bytes_never_panic(input in fragments()) {
        touch_everything(&Message::parse(&input));
        let mut p = MessageParser::new();
        for chunk in input.chunks(7) {
            p.push(chunk);
        }
        prop_assert_eq!(p.message(), Message::parse(&input));
    }

    #[test]
    fn built_messages_parse_back(
        subject in "[^\\x00-\\x1f\\x7f]{0,120}",
        name in proptest::option::of("[^\\x00-\\x1f\\x7f]{1,40}"),
        local in "[a-z0-9.+_-]{1,20}",
        text in "[^\\x00\\r]{0,300}",
        html in proptest::option::of("[^\\x00\\r]{0,200}"),
        attachments in prop::collection::vec(("[^\\x00-\\x1f\\x7f/\\\\]{1,60}", prop::collection::vec(any::<u8>(), 0..300)), 0..3),
        ts in 0i64..4_000_000_000,
    ) {
        let local = local.trim_matches('.').replace("..", ".");
        prop_assume!(!local.is_empty());
        let from = Mailbox::new(name.as_deref(), &format!("{local}@example.test"));
        let mut b = MessageBuilder::new()
            .from(from.clone())
            .to(Mailbox::new(None, "to@example.test"))
            .subject(&subject)
            .date(DateTime::from_timestamp(ts, 60))
            .message_id("id.1@example.test")
            .boundary("=_prop")
            .text(text.clone());
        if let Some(h) = &html {
            b = b.html(h.clone());
        }
        for (filename, data) in &attachments {
            b = b.attachment("application/octet-stream", filename, data.clone());
        }
        let raw = b.build().expect("valid input builds");
        prop_assert!(raw.split(|&c| c == b'\n').all(|l| l.len() <= 999));
        let m = Message::parse(&raw);
        prop_assert!(m.defects().is_empty(), "{:?}", m.defects());
        prop_assert_eq!(m.subject().unwrap_or_default(), subject.trim_matches(ascii_ws).to_owned());
        let want_name = name.as_deref().map(|n| n.trim_matches(ascii_ws)).filter(|n| !n.is_empty()).map(str::to_owned);
        prop_assert_eq!(m.from(), vec![Address::Mailbox(Mailbox { name: want_name, ..from })]);
        prop_assert_eq!(m.date().map(|d| d.timestamp()), Some(ts));
        prop_assert_eq!(m.message_id(), Some("id.1@example.test".to_owned()));
        let crlf = text.replace('\n', "\r\n");
        prop_assert_eq!(m.text_part().and_then(|p| p.text()), Some(crlf.as_str()));
        let html_crlf = html.map(|h| h.replace('\n', "\r\n"));
        prop_assert_eq!(m.html_body(), html_crlf.as_deref());
        let got: Vec<(Option<String>, Vec<u8>)> = m.attachments().iter().map(|p| (p.filename(), p.decoded().to_vec())).collect();
        let want: Vec<(Option<String>, Vec<u8>)> = attachments.into_iter().map(|(f, d)| (Some(f), d)).collect();
        prop_assert_eq!(got, want);
    }
}

#[test]
fn built_trees_with_custom_headers_and_enclosed_messages_parse_back() {
    use mailwire_mime::BodyPart;
    let inner = MessageBuilder::new()
        .from(Mailbox::new(None, "inner@example.test"))
        .subject("inner")
        .boundary("=_in")
        .text("inside\n")
        .html("<p>inside</p>")
        .build()
        .expect("inner builds");
    let raw = MessageBuilder::new()
        .from(Mailbox::new(Some("Outer"), "outer@example.test"))
        .header("X-Priority", "3 (Normal)")
        .header("X-Note", "d\u{e9}j\u{e0} vu")
        .boundary("=_out")
        .body(BodyPart::multipart(
            "mixed",
            vec![
                BodyPart::text("plain", "see below\n")
                    .header("X-Part", "first")
                    .description("the note"),
                BodyPart::message(inner.clone()),
                BodyPart::multipart(
                    "related",
                    vec![
                        BodyPart::text("html", "<img src=cid:i@x>"),
                        BodyPart::binary("image/gif", b"GIF89a".to_vec()).inline("i@x"),
                    ],
                ),
            ],
        ))
        .build()
        .expect("outer builds");
    let m = Message::parse(&raw);
    assert!(m.defects().is_empty(), "{:?}", m.defects());
    assert_eq!(m.header().text("x-priority").as_deref(), Some("3 (Normal)"));
    assert_eq!(
        m.header().text("X-Note").as_deref(),
        Some("d\u{e9}j\u{e0} vu")
    );
    let first = m.part("1").expect("part 1");
    assert_eq!(first.header().text("X-Part").as_deref(), Some("first"));
    assert_eq!(
        first.header().content_description().as_deref(),
        Some("the note")
    );
    let enclosed = m.part("2").expect("part 2");
    assert_eq!(enclosed.raw_body(), inner.as_slice());
    let inner_root = enclosed.message().expect("enclosed");
    assert_eq!(inner_root.header().subject().as_deref(), Some("inner"));
    assert_eq!(m.part("2.1").and_then(|p| p.text()), Some("inside\r\n"));
    assert_eq!(m.part("2.2").and_then(|p| p.text()), Some("<p>inside</p>"));
    assert_eq!(
        m.by_content_id("<i@x>").map(|p| p.decoded()),
        Some(&b"GIF89a"[..])
    );
    assert_eq!(
        m.part("3.2").map(|p| p.number().to_string()).as_deref(),
        Some("3.2")
    );
    assert_eq!(m.text_body().as_deref(), Some("see below\r\n"));
    assert_eq!(
        m.attachments()
            .iter()
            .map(|p| p.number().to_string())
            .collect::<Vec<_>>(),
        ["2"]
    );
}
