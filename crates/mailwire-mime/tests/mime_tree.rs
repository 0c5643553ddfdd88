//! The MIME tree: RFC 2046 examples, nesting, offsets, part numbers, decoding, defects.

use mailwire_mime::{Defect, Limits, Message, PartKind, TransferEncoding};

fn crlf(s: &str) -> Vec<u8> {
    s.replace('\n', "\r\n").into_bytes()
}

fn find(hay: &[u8], needle: &str) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle.as_bytes())
        .expect("needle present")
}

#[test]
fn rfc2046_5_1_1_simple_multipart() {
    let raw = crlf(
        "From: Nathaniel Borenstein <nsb@bellcore.com>
To: Ned Freed <ned@innosoft.com>
Date: Sun, 21 Mar 1993 23:56:48 -0800 (PST)
Subject: Sample message
MIME-Version: 1.0
Content-type: multipart/mixed; boundary=\"simple boundary\"

This is the preamble.  It is to be ignored, though it
is a handy place for composition agents to include an
explanatory note to non-MIME conformant readers.

--simple boundary

This is implicitly typed plain US-ASCII text.
It does NOT end with a linebreak.
--simple boundary
Content-type: text/plain; charset=us-ascii

This is explicitly typed plain US-ASCII text.
It DOES end with a linebreak.

--simple boundary--

This is the epilogue.  It is also to be ignored.
",
    );
    let m = Message::parse(&raw);
    assert!(m.defects().is_empty(), "{:?}", m.defects());
    assert_eq!(m.header().mime_version(), Some((1, 0)));
    assert_eq!(
        m.date().map(|d| d.to_rfc3339()).as_deref(),
        Some("1993-03-21T23:56:48-08:00")
    );
    let root = m.root();
    let PartKind::Multipart {
        preamble,
        epilogue,
        parts,
    } = root.kind()
    else {
        panic!("multipart expected")
    };
    assert_eq!(
        *preamble,
        &b"This is the preamble.  It is to be ignored, though it\r\nis a handy place for composition agents to include an\r\nexplanatory note to non-MIME conformant readers.\r\n"[..]
    );
    assert_eq!(
        *epilogue,
        &b"\r\nThis is the epilogue.  It is also to be ignored.\r\n"[..]
    );
    assert_eq!(parts.len(), 2);
    assert_eq!(root.number().to_string(), "");
    assert_eq!(parts[0].number().to_string(), "1");
    assert_eq!(parts[1].number().to_string(), "2");
    assert_eq!(parts[0].header().fields().len(), 0);
    assert_eq!(parts[0].content_type().mime_type(), "text/plain");
    assert_eq!(parts[0].content_type().charset(), Some("us-ascii"));
    assert_eq!(
        parts[0].text(),
        Some("This is implicitly typed plain US-ASCII text.\r\nIt does NOT end with a linebreak.")
    );
    assert_eq!(
        parts[1].text(),
        Some("This is explicitly typed plain US-ASCII text.\r\nIt DOES end with a linebreak.\r\n")
    );
    // Offsets, sizes and line counts as IMAP reports them.
    assert_eq!(
        parts[0].header_offset(),
        find(&raw, "--simple boundary\r\n\r\nThis is implicitly") + 19
    );
    assert_eq!(parts[0].body_offset(), parts[0].header_offset() + 2);
    assert_eq!(parts[0].body_size(), 80);
    // The line end before the delimiter is the delimiter's: the second line is partial,
    // and Dovecot does not count it.
    assert_eq!(parts[0].body_lines(), 1);
    assert_eq!(
        parts[1].header_offset(),
        find(&raw, "Content-type: text/plain")
    );
    assert_eq!(parts[1].body_offset(), find(&raw, "This is explicitly"));
    assert_eq!(parts[1].body_size(), 78);
    assert_eq!(parts[1].body_lines(), 2);
    assert_eq!(
        &raw[parts[1].body_offset()..parts[1].body_offset() + parts[1].body_size()],
        parts[1].raw_body()
    );
    assert_eq!(m.text_body().as_deref(), parts[0].text());
}

fn nested() -> Vec<u8> {
    crlf(
        "From: a@x.test
Subject: nested
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=outer

--outer
Content-Type: multipart/alternative; boundary=inner

--inner
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Gr=C3=BC=C3=9Fe
--inner
Content-Type: text/html; charset=iso-8859-1

<p>Gr\u{fc}\u{df}e</p>
--inner--
--outer
Content-Type: message/rfc822

From: b@y.test
Subject: =?utf-8?q?inner_message?=
Content-Type: multipart/mixed; boundary=deep

--deep
Content-Type: text/plain

first
--deep
Content-Type: image/png
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename=\"dot.png\"

iVBORw0K
GgoAAAAN
--deep--
--outer
Content-Type: application/octet-stream; name=data.bin
Content-Transfer-Encoding: base64

AAEC/w==
--outer
Content-Type: image/gif
Content-ID: <logo@x.test>
Content-Transfer-Encoding: base64

R0lGODlh
--outer--
",
    )
}

#[test]
fn nested_multiparts_and_enclosed_messages() {
    let raw = nested();
    let m = Message::parse(&raw);
    assert!(m.defects().is_empty(), "{:?}", m.defects());
    let listing: Vec<(String, String)> = m
        .parts()
        .map(|p| (p.number().to_string(), p.content_type().mime_type()))
        .collect();
    let want = [
        ("", "multipart/mixed"),
        ("1", "multipart/alternative"),
        ("1.1", "text/plain"),
        ("1.2", "text/html"),
        ("2", "message/rfc822"),
        ("2", "multipart/mixed"),
        ("2.1", "text/plain"),
        ("2.2", "image/png"),
        ("3", "application/octet-stream"),
        ("4", "image/gif"),
    ];
    assert_eq!(listing, want.map(|(a, b)| (a.to_owned(), b.to_owned())));
    assert_eq!(
        m.part("1.1").and_then(|p| p.text()),
        Some("Gr\u{fc}\u{df}e")
    );
    // The HTML was written as UTF-8 but declared ISO-8859-1: it is read as declared.
    assert_eq!(
        m.part("1.2").and_then(|p| p.text()),
        Some("<p>Gr\u{c3}\u{bc}\u{c3}\u{178}e</p>")
    );
    assert_eq!(
        m.part("1.2").map(|p| p.decoded()),
        Some("<p>Gr\u{fc}\u{df}e</p>".as_bytes())
    );
    let enclosed = m
        .part("2")
        .and_then(|p| p.message())
        .expect("enclosed message");
    assert_eq!(
        enclosed.header().subject().as_deref(),
        Some("inner message")
    );
    assert_eq!(
        enclosed.header_offset(),
        m.part("2").expect("part 2").body_offset()
    );
    assert_eq!(
        m.part("2.2").map(|p| p.decoded().to_vec()),
        Some(b"\x89PNG\r\n\x1a\n\0\0\0\r".to_vec())
    );
    assert_eq!(
        m.part("2.2").and_then(|p| p.filename()).as_deref(),
        Some("dot.png")
    );
    assert_eq!(
        m.part("3").map(|p| p.decoded().to_vec()),
        Some(vec![0, 1, 2, 255])
    );
    assert_eq!(m.text_body().as_deref(), Some("Gr\u{fc}\u{df}e"));
    assert_eq!(
        m.html_part().map(|p| p.number().to_string()).as_deref(),
        Some("1.2")
    );
    let attachments: Vec<String> = m
        .attachments()
        .iter()
        .map(|p| p.number().to_string())
        .collect();
    assert_eq!(attachments, ["2", "3"]);
    assert_eq!(
        m.by_content_id("cid:logo@x.test")
            .map(|p| p.number().to_string())
            .as_deref(),
        Some("4")
    );
    assert_eq!(m.inline_parts().len(), 1);
}

#[test]
fn single_part_message_body_is_part_one() {
    let raw = b"Subject: x\r\nContent-Transfer-Encoding: base64\r\nContent-Type: application/pdf\r\n\r\nJVBERg==\r\n";
    let m = Message::parse(raw);
    assert_eq!(m.root().number().to_string(), "1");
    assert_eq!(m.part("1").map(|p| p.decoded()), Some(&b"%PDF"[..]));
    assert_eq!(m.root().body_size(), 10);
    assert_eq!(m.root().body_lines(), 1);
    assert_eq!(m.attachments().len(), 1);
    assert_eq!(m.text_body(), None);
}

#[test]
fn digest_parts_default_to_message_rfc822() {
    let raw = crlf(
        "Content-Type: multipart/digest; boundary=d

--d

Subject: one

body one
--d--
",
    );
    let m = Message::parse(&raw);
    let part = m.part("1").expect("part 1");
    assert_eq!(part.content_type().mime_type(), "message/rfc822");
    let inner = part.message().expect("enclosed");
    assert_eq!(inner.number().to_string(), "1.1");
    assert_eq!(inner.header().subject().as_deref(), Some("one"));
    assert_eq!(inner.text(), Some("body one"));
}

#[test]
fn damaged_messages_give_best_effort_and_defects() {
    let raw = crlf(
        "Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain; charset=x-klingon

hello
--b
Content-Transfer-Encoding: base64
Content-Type: application/octet-stream

AAE*C
--b
Content-Transfer-Encoding: quoted-printable

a=ZZb
--b
Content-Type: text/plain; charset=utf-8

caf\u{e9}",
    );
    let m = Message::parse(&raw);
    let defects: Vec<(String, Defect)> = m
        .defects()
        .into_iter()
        .map(|(n, d)| (n.to_string(), d.clone()))
        .collect();
    assert_eq!(
        defects,
        vec![
            (String::new(), Defect::MissingClosingBoundary),
            ("1".into(), Defect::UnknownCharset("x-klingon".into())),
            ("2".into(), Defect::InvalidBase64 { count: 1 }),
            ("3".into(), Defect::InvalidQuotedPrintable { count: 1 }),
        ]
    );
    assert_eq!(m.part("1").and_then(|p| p.text()), Some("hello"));
    assert_eq!(m.part("2").map(|p| p.decoded()), Some(&[0u8, 1, 2][..]));
    assert_eq!(m.part("3").and_then(|p| p.text()), Some("a=ZZb"));
    assert_eq!(m.part("4").and_then(|p| p.text()), Some("caf\u{e9}"));
    assert_eq!(
        defects[0].1.to_string(),
        "multipart closing boundary missing"
    );
}

#[test]
fn multipart_without_boundary_or_delimiters() {
    let m = Message::parse(b"Content-Type: multipart/mixed\r\n\r\nplain body");
    assert_eq!(
        m.defects()
            .into_iter()
            .map(|(_, d)| d.clone())
            .collect::<Vec<_>>(),
        vec![Defect::MissingBoundaryParameter]
    );
    assert_eq!(m.root().decoded(), b"plain body");
    let m = Message::parse(b"Content-Type: multipart/mixed; boundary=zz\r\n\r\nno delimiters");
    assert_eq!(
        m.defects()
            .into_iter()
            .map(|(_, d)| d.clone())
            .collect::<Vec<_>>(),
        vec![Defect::BoundaryNotFound]
    );
    assert!(m.root().parts().is_empty());
}

#[test]
fn header_damage_and_lf_only_input() {
    let m = Message::parse(
        b"Subject: lf only\nbad line\nContent-Type: text/plain; charset=utf-8\n\nline\n",
    );
    assert_eq!(m.subject().as_deref(), Some("lf only"));
    assert_eq!(
        m.defects()
            .into_iter()
            .map(|(_, d)| d.clone())
            .collect::<Vec<_>>(),
        vec![Defect::JunkHeaderLine { offset: 17 }]
    );
    assert_eq!(m.text_body().as_deref(), Some("line\n"));
    let m = Message::parse(b"Subject: no body");
    assert_eq!(
        m.defects()
            .into_iter()
            .map(|(_, d)| d.clone())
            .collect::<Vec<_>>(),
        vec![Defect::UnterminatedHeader]
    );
    assert_eq!(m.subject().as_deref(), Some("no body"));
}

#[test]
fn part_limit_stops_splitting() {
    let mut raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n".to_vec();
    for _ in 0..10 {
        raw.extend_from_slice(b"--b\r\n\r\nx\r\n");
    }
    raw.extend_from_slice(b"--b--\r\n");
    let m = Message::parse_with(&raw, Limits::default().with_max_parts(4));
    assert_eq!(m.root().parts().len(), 3);
    assert!(
        m.defects()
            .iter()
            .any(|(_, d)| **d == Defect::TooManyParts { limit: 4 })
    );
}

#[test]
fn uuencode_bodies_and_inline_blocks() {
    let raw = crlf(
        "Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain

Here it is:
begin 644 cat.txt
#0V%T
`
end
Bye.
--b
Content-Type: application/octet-stream
Content-Transfer-Encoding: x-uuencode

begin 600 dog.txt
#1&]G
`
end
--b--
",
    );
    let m = Message::parse(&raw);
    assert!(m.defects().is_empty(), "{:?}", m.defects());
    let text = m.part("1").expect("part 1");
    // The text stays whole; the file is offered beside it.
    assert_eq!(
        text.text(),
        Some("Here it is:\r\nbegin 644 cat.txt\r\n#0V%T\r\n`\r\nend\r\nBye.")
    );
    assert_eq!(text.uuencoded().len(), 1);
    assert_eq!(text.uuencoded()[0].name, "cat.txt");
    assert_eq!(text.uuencoded()[0].data, b"Cat");
    let all = m.uuencoded();
    assert_eq!(all.len(), 1);
    assert_eq!(
        (all[0].0.to_string(), all[0].1.mode),
        ("1".to_owned(), 0o644)
    );
    let dog = m.part("2").expect("part 2");
    assert_eq!(dog.transfer_encoding(), &TransferEncoding::UuEncode);
    assert_eq!(dog.decoded(), b"Dog");
}

#[test]
fn charsets_are_converted_to_utf8() {
    let cases: [(&str, &[u8], &str); 5] = [
        ("iso-8859-1", b"caf\xe9", "caf\u{e9}"),
        (
            "windows-1251",
            b"\xcf\xf0\xe8\xe2\xe5\xf2",
            "\u{41f}\u{440}\u{438}\u{432}\u{435}\u{442}",
        ),
        (
            "shift_jis",
            b"\x82\xb1\x82\xf1\x82\xc9\x82\xbf\x82\xcd",
            "\u{3053}\u{3093}\u{306b}\u{3061}\u{306f}",
        ),
        ("utf-7", b"Hi Mom -+Jjo--!", "Hi Mom -\u{263a}-!"),
        ("us-ascii", "na\u{ef}ve".as_bytes(), "na\u{ef}ve"),
    ];
    for (charset, body, want) in cases {
        let mut raw = format!("Content-Type: text/plain; charset=\"{charset}\"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n").into_bytes();
        raw.extend_from_slice(body);
        let m = Message::parse(&raw);
        assert_eq!(m.text_body().as_deref(), Some(want), "{charset}");
        assert_eq!(m.root().decoded(), body, "{charset}");
        assert!(m.defects().is_empty(), "{charset}: {:?}", m.defects());
    }
}

#[test]
fn html_only_messages_give_text() {
    let m = Message::parse(
        b"Content-Type: text/html\r\n\r\n<p>Hello <b>there</b></p><p>Second&amp;last</p>",
    );
    assert_eq!(m.text_body().as_deref(), Some("Hello there\n\nSecond&last"));
    assert!(m.text_part().is_none());
}

#[test]
fn rfc2231_and_rfc2047_in_a_message() {
    let raw = crlf(
        "Subject: =?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=
 =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=
Content-Type: application/x-stuff;
 title*0*=us-ascii'en'This%20is%20even%20more%20;
 title*1*=%2A%2A%2Afun%2A%2A%2A%20;
 title*2=\"isn't it!\"
Content-Disposition: attachment; filename*=UTF-8''%E2%82%AC%20rates.txt
Content-Language: en, de (German)
Content-Location: \"http://x.test/a\"

x",
    );
    let m = Message::parse(&raw);
    assert_eq!(
        m.subject().as_deref(),
        Some("If you can read this you understand the example.")
    );
    let root = m.root();
    assert_eq!(
        root.content_type().param("title"),
        Some("This is even more ***fun*** isn't it!")
    );
    assert_eq!(root.filename().as_deref(), Some("\u{20ac} rates.txt"));
    assert_eq!(
        root.header().content_language(),
        vec!["en".to_owned(), "de".to_owned()]
    );
    assert_eq!(
        root.header().content_location().as_deref(),
        Some("http://x.test/a")
    );
}

#[test]
fn message_global_is_parsed_with_utf8_headers() {
    let raw = "Content-Type: multipart/mixed; boundary=g\r
\r
--g\r
Content-Type: message/global\r
\r
Subject: \u{3053}\u{3093}\u{306b}\u{3061}\u{306f}\r
From: \u{7530}\u{4e2d} <tanaka@\u{4f8b}.jp>\r
\r
\u{672c}\u{6587}\r
--g--\r
";
    let m = Message::parse(raw.as_bytes());
    assert!(m.defects().is_empty(), "{:?}", m.defects());
    let inner = m
        .part("1")
        .and_then(|p| p.message())
        .expect("enclosed message");
    assert_eq!(inner.number().to_string(), "1.1");
    assert_eq!(
        inner.header().subject().as_deref(),
        Some("\u{3053}\u{3093}\u{306b}\u{3061}\u{306f}")
    );
    let from = inner.header().addresses("From");
    let mb = &from[0].mailboxes()[0];
    assert_eq!(
        (
            mb.name.as_deref(),
            mb.local_part.as_str(),
            mb.domain.as_str()
        ),
        (Some("\u{7530}\u{4e2d}"), "tanaka", "\u{4f8b}.jp")
    );
    assert_eq!(inner.text(), Some("\u{672c}\u{6587}"));
}

#[test]
fn a_blank_tail_after_the_last_delimiter_is_an_empty_part_but_not_the_text() {
    let raw = crlf(
        "Date: Tue, 7 Apr 2026 10:00:t <x@y.test>
Date: Tue, 7 Apr 2026 10:00:01 +0000
Content-Type: multipart/alternative; boundary=a

--a
Content-Type: text/html

<p>only &auml;</p>
--a

",
    );
    let m = Message::parse(&raw);
    // RFC 2046 §5.1.1: a delimiter starts a body part, empty here, as Dovecot 2.3 reads
    // it; the text body is still the HTML one.
    assert_eq!(m.root().parts().len(), 2);
    assert_eq!(m.root().parts()[1].raw_body(), b"");
    assert_eq!(
        m.defects()
            .into_iter()
            .map(|(_, d)| d.clone())
            .collect::<Vec<_>>(),
        vec![Defect::MissingClosingBoundary]
    );
    assert_eq!(m.text_body().as_deref(), Some("only \u{e4}"));
    // The first Date field cannot be read; the second can.
    assert_eq!(
        m.date().map(|d| d.to_rfc3339()).as_deref(),
        Some("2026-04-07T10:00:01+00:00")
    );
}

#[test]
fn parameters_with_a_missing_semicolon_are_recorded() {
    let raw = crlf(
        "Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain; comment=\"\"  comment=\"Sent by x\"; charset=utf-8
Content-Disposition: attachment; filename=\"a.txt\" size=3; creation-date=x

hello
--b
Content-Type: message/external-body; access-type=mail-server
  server=\"archive@x.test\"

Content-Type: text/plain

--b--
",
    );
    let m = Message::parse(&raw);
    let defects: Vec<(String, Defect)> = m
        .defects()
        .into_iter()
        .map(|(n, d)| (n.to_string(), d.clone()))
        .collect();
    let content_type = Defect::JunkAfterParameter {
        field: "Content-Type",
    };
    assert_eq!(
        defects,
        vec![
            ("1".into(), content_type.clone()),
            (
                "1".into(),
                Defect::JunkAfterParameter {
                    field: "Content-Disposition"
                }
            ),
            ("2".into(), content_type),
        ]
    );
    let one = m.part("1").expect("part 1");
    assert_eq!(one.content_type().param("comment"), Some(""));
    assert_eq!(one.content_type().charset(), Some("utf-8"));
    assert_eq!(one.text(), Some("hello"));
    assert_eq!(one.filename().as_deref(), Some("a.txt"));
    let cd = one.content_disposition().expect("a disposition");
    assert_eq!(cd.params().len(), 2);
    assert_eq!(cd.param("creation-date"), Some("x"));
    let two = m.part("2").expect("part 2");
    assert_eq!(two.content_type().params().len(), 1);
    assert_eq!(
        defects[0].1.to_string(),
        "text after a Content-Type parameter skipped"
    );
}

#[test]
fn base64_stops_at_its_padding() {
    // Two files written one after the other into one part: the second is not part of the
    // data (RFC 2045 §6.8), and its bytes do not become garbage at the end of the first.
    let raw = crlf(
        "Content-Type: multipart/mixed; boundary=b

--b
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

JVBERi0=
JVBERi0xLjQ=
--b
Content-Type: text/plain
Content-Transfer-Encoding: base64

aGk=

--b--
",
    );
    let m = Message::parse(&raw);
    let defects: Vec<(String, Defect)> = m
        .defects()
        .into_iter()
        .map(|(n, d)| (n.to_string(), d.clone()))
        .collect();
    assert_eq!(defects, vec![("1".into(), Defect::DataAfterBase64Padding)]);
    assert_eq!(m.part("1").map(|p| p.decoded()), Some(&b"%PDF-"[..]));
    assert_eq!(m.part("2").and_then(|p| p.text()), Some("hi"));
    assert_eq!(defects[0].1.to_string(), "data after base64 padding");
}
