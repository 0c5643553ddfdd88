//! FETCH items computed by the message model, checked against RFC 3501 §8 and against
//! structures worked out by hand from the §7.4.2 grammar.

use std::num::NonZeroU32;

use mailwire_imap::codec::encode_response;
use mailwire_imap::message::ParsedMessage;
use mailwire_imap::types::{
    Data, FetchAttribute, IString, MessageDataItem, NonEmpty, Partial, Response, Section,
    SectionText,
};

fn fetch_line(raw: &[u8], attributes: &[FetchAttribute]) -> String {
    let msg = ParsedMessage::parse(raw);
    let items: Vec<MessageDataItem> = attributes.iter().filter_map(|a| msg.fetch(a)).collect();
    let mut out = Vec::new();
    encode_response(
        &Response::Data(Data::Fetch {
            seq: NonZeroU32::new(12).unwrap(),
            items: NonEmpty::try_from(items).unwrap(),
        }),
        &mut out,
    );
    String::from_utf8(out).unwrap()
}

/// The message of the RFC 3501 §8 sample session, rebuilt from what its FETCH reveals:
/// the header fields of the envelope and a 92-line, 3028-octet US-ASCII body.
fn rfc3501_message() -> Vec<u8> {
    let mut raw = b"Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n\
From: Terry Gray <gray@cac.washington.edu>\r\n\
Subject: IMAP4rev1 WG mtg summary and minutes\r\n\
To: imap@cac.washington.edu\r\n\
cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n\
Message-Id: <B27397-0100000@cac.washington.edu>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\
Content-Transfer-Encoding: 7BIT\r\n\
\r\n"
        .to_vec();
    for _ in 0..91 {
        raw.extend_from_slice(b"0123456789012345678901234567890\r\n");
    }
    raw.extend_from_slice(b"the last line of it all\r\n");
    raw
}

#[test]
fn rfc3501_section8_envelope_and_body() {
    let raw = rfc3501_message();
    // The RFC prints a space between the two cc addresses where it folds the line; the
    // grammar (`"(" 1*address ")"`) has none.
    let line = fetch_line(&raw, &[FetchAttribute::Envelope, FetchAttribute::Body]);
    assert_eq!(
        line,
        "* 12 FETCH (ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \
\"IMAP4rev1 WG mtg summary and minutes\" \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((NIL NIL \"imap\" \"cac.washington.edu\")) \
((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")\
(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \
\"<B27397-0100000@cac.washington.edu>\") \
BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92))\r\n"
    );
}

#[test]
fn rfc3501_section8_header_fetch_and_size() {
    let raw = rfc3501_message();
    let msg = ParsedMessage::parse(&raw);
    let header_len = raw.len() - 3028;
    assert_eq!(msg.size() as usize, raw.len());
    assert_eq!(
        msg.section(&Section::new(vec![], Some(SectionText::Header)).unwrap()),
        Some(&raw[..header_len])
    );
}

const REAL_SHAPED: &[u8] = b"From: =?UTF-8?Q?Zo=C3=AB?= <zoe@x.test>\r\n\
To: Undisclosed recipients:;\r\n\
Subject: =?UTF-8?Q?Caf=C3=A9?= menu\r\n\
Date: Wed, 1 May 2024 09:30:00 +0200\r\n\
Message-ID: <20240501.1@x.test>\r\n\
In-Reply-To: <earlier@y.test>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b1\"\r\n\
\r\n\
--b1\r\n\
Content-Type: multipart/alternative; boundary=\"b2\"\r\n\
\r\n\
--b2\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
See you there.\r\n\
--b2\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<p>See you</p>\r\n\
--b2--\r\n\
\r\n\
--b1\r\n\
Content-Type: application/pdf; name=\"menu.pdf\"\r\n\
Content-Disposition: attachment; filename=\"menu.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\
Content-Language: en\r\n\
\r\n\
JVBERi0xLjc=\r\n\
--b1\r\n\
Content-Type: message/rfc822\r\n\
Content-Description: forwarded\r\n\
\r\n\
Subject: inner\r\n\
From: ann@y.test\r\n\
\r\n\
Hi.\r\n\
--b1--\r\n";

#[test]
fn bodystructure_of_nested_multipart_with_attachment_and_message() {
    let line = fetch_line(REAL_SHAPED, &[FetchAttribute::BodyStructure]);
    // Worked out by hand from RFC 3501 §7.4.2: body sizes exclude the CRLF before each
    // delimiter (so the enclosed message's body is `Hi.`, 3 octets); line counts are the
    // line ends in a body, as Dovecot 2.3 counts them (the text parts end in a partial
    // line, 0 lines, and the message part has 3); a single language goes as a string; an
    // absent Content-Type inside the enclosed message is text/plain in US-ASCII; each
    // extension list runs to the location. Names keep the message's case, as Dovecot
    // writes them, except the type of text and message parts: the typed value has no
    // place for it, and the codec writes `"TEXT"` and `"MESSAGE" "RFC822"`.
    let expected = "* 12 FETCH (BODYSTRUCTURE (\
((\"TEXT\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 14 0 NIL NIL NIL NIL)\
(\"TEXT\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 14 0 NIL NIL NIL NIL) \
\"alternative\" (\"boundary\" \"b2\") NIL NIL NIL)\
(\"application\" \"pdf\" (\"name\" \"menu.pdf\") NIL NIL \"base64\" 12 NIL \
(\"attachment\" (\"filename\" \"menu.pdf\")) \"en\" NIL)\
(\"MESSAGE\" \"RFC822\" NIL NIL \"forwarded\" \"7bit\" 39 \
(NIL \"inner\" ((NIL NIL \"ann\" \"y.test\")) ((NIL NIL \"ann\" \"y.test\")) \
((NIL NIL \"ann\" \"y.test\")) NIL NIL NIL NIL NIL) \
(\"TEXT\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 0 NIL NIL NIL NIL) \
3 NIL NIL NIL NIL) \
\"mixed\" (\"boundary\" \"b1\") NIL NIL NIL))\r\n";
    assert_eq!(line, expected);
}

#[test]
fn envelope_keeps_encoded_words_and_groups() {
    let line = fetch_line(REAL_SHAPED, &[FetchAttribute::Envelope]);
    assert_eq!(
        line,
        "* 12 FETCH (ENVELOPE (\"Wed, 1 May 2024 09:30:00 +0200\" \"=?UTF-8?Q?Caf=C3=A9?= menu\" \
((\"=?UTF-8?Q?Zo=C3=AB?=\" NIL \"zoe\" \"x.test\")) \
((\"=?UTF-8?Q?Zo=C3=AB?=\" NIL \"zoe\" \"x.test\")) \
((\"=?UTF-8?Q?Zo=C3=AB?=\" NIL \"zoe\" \"x.test\")) \
((NIL NIL \"Undisclosed recipients\" NIL)(NIL NIL NIL NIL)) NIL NIL \
\"<earlier@y.test>\" \"<20240501.1@x.test>\"))\r\n"
    );
}

#[test]
fn body_sections_of_real_shaped_message() {
    let msg = ParsedMessage::parse(REAL_SHAPED);
    let section = |part: &[u32], text| Section::new(part.to_vec(), text).unwrap();
    assert_eq!(
        msg.section(&section(&[1, 2], Some(SectionText::Mime))),
        Some(&b"Content-Type: text/html; charset=utf-8\r\n\r\n"[..])
    );
    assert_eq!(
        msg.section(&section(&[1, 1], None)),
        Some(&b"See you there."[..])
    );
    assert_eq!(
        msg.section(&section(&[2], None)),
        Some(&b"JVBERi0xLjc="[..])
    );
    assert_eq!(msg.section(&section(&[3, 1], None)), Some(&b"Hi."[..]));
    assert_eq!(
        msg.section(&section(&[3], Some(SectionText::Text))),
        Some(&b"Hi."[..])
    );
    let item = msg.fetch(&FetchAttribute::BodySection {
        peek: true,
        section: section(&[3], Some(SectionText::Header)),
        partial: Some(Partial {
            offset: 9,
            length: NonZeroU32::new(5).unwrap(),
        }),
    });
    assert_eq!(
        item,
        Some(MessageDataItem::BodySection {
            section: section(&[3], Some(SectionText::Header)),
            origin: Some(9),
            data: Some(IString::new("inner").unwrap()),
        })
    );
}

#[test]
fn a_multipart_without_parts_gets_an_empty_text_part() {
    // `body-type-mpart` needs at least one body; a multipart whose boundary never occurs
    // has none, so it gets an empty text part, as Dovecot 2.3 writes it (these bytes),
    // and that part 1 is empty.
    let raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\nno parts here\r\n";
    let line = fetch_line(
        raw,
        &[
            FetchAttribute::Body,
            FetchAttribute::BodySection {
                peek: true,
                section: Section::new(vec![1], None).unwrap(),
                partial: None,
            },
            FetchAttribute::BodySection {
                peek: true,
                section: Section::new(vec![1], Some(SectionText::Mime)).unwrap(),
                partial: None,
            },
        ],
    );
    assert_eq!(
        line,
        "* 12 FETCH (BODY ((\"TEXT\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0) \
\"mixed\") BODY[1] {0}\r\n BODY[1.MIME] {0}\r\n)\r\n"
    );
    let decoded = mailwire_imap::codec::decode_response(
        line.as_bytes(),
        &mailwire_imap::codec::Limits::default(),
    );
    assert!(matches!(
        decoded,
        Ok(mailwire_imap::codec::Decoded::Complete { .. })
    ));
}

/// Messages of many shapes, damaged ones included, for comparing the structure-only parse
/// with the full one.
fn varied_corpus() -> Vec<Vec<u8>> {
    let mut corpus: Vec<Vec<u8>> = vec![
        rfc3501_message(),
        // Nested multiparts, an enclosed message with its own multipart, a digest.
        b"From: =?ISO-8859-1?Q?Andr=E9?= Pirard <pirard@vm1.ulg.ac.be>\r\n\
To: Friends: a@x.test, \"B. B.\" <b@y.test>;, c@z.test (Cee)\r\n\
Cc: undisclosed-recipients:;\r\nReply-To: <@route.test,@r2.test:r@x.test>\r\n\
Subject: =?UTF-8?B?Q2Fmw6k=?= and =?utf-8?q?more?=\r\n\
Message-ID: <1@x.test>\r\nIn-Reply-To: <0@x.test>\r\n\
Content-Type: multipart/mixed; boundary=\"outer b\"\r\n\r\npreamble\r\n\
--outer b\r\nContent-Type: multipart/alternative; boundary=in\r\n\r\n\
--in\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\r\n=C0 midi=\r\n?\r\n\
--in\r\nContent-Type: text/html; charset=utf-8\r\nContent-Language: fr, en\r\n\
Content-Location: http://x.test/a\r\n\r\n<p>\xc3\xa0 midi</p>\r\n--in--\r\n\
--outer b\r\nContent-Type: message/rfc822\r\nContent-Description: forwarded\r\n\r\n\
Subject: inner\r\nFrom: c@w.test\r\nContent-Type: multipart/digest; boundary=d\r\n\r\n\
--d\r\n\r\nSubject: digested\r\n\r\nbody\r\n--d--\r\n\
--outer b\r\nContent-Type: application/pdf; name*0=\"r\"; name*1=\".pdf\"\r\n\
Content-Disposition: attachment; filename*=utf-8''%C3%A9.pdf; size=4\r\n\
Content-Transfer-Encoding: base64\r\nContent-ID: <pdf@x.test>\r\nContent-MD5: abc=\r\n\r\n\
JVBERi0xLjc=\r\n--outer b--\r\nepilogue\r\n"
            .to_vec(),
        // Damage: junk header line, bad base64, unknown charset, 8-bit header text.
        b"Subject: caf\xe9\r\nthis is not a field\r\nFrom: \"unterminated <a@x.test>\r\n\
Content-Type: text/plain; charset=x-unknown-thing\r\n\
Content-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n"
            .to_vec(),
        // A multipart whose boundary never appears, one without a boundary, one unclosed.
        b"Content-Type: multipart/mixed; boundary=zz\r\n\r\nno parts here\r\n".to_vec(),
        b"Content-Type: multipart/mixed\r\n\r\n--x\r\n\r\nA\r\n".to_vec(),
        b"Content-Type: multipart/mixed; boundary=u\r\n\r\n--u\r\nContent-Type: text/plain\r\n\r\n\
open\r\n--u\r\n\r\n"
            .to_vec(),
        // An encoded enclosed message, uuencode in text, a header with no body, no header.
        b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nU3ViamVjdDogeA==\r\n"
            .to_vec(),
        b"Content-Type: text/plain\r\n\r\nbegin 644 a.txt\r\n#86)C\r\n`\r\nend\r\n".to_vec(),
        b"Subject: only a header\r\n".to_vec(),
        b"\r\njust a body".to_vec(),
        Vec::new(),
        b"From: a@x.test\nSubject: bare LF\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\
Content-Type: text/plain\n\nx\n--b--\n"
            .to_vec(),
        b"Subject: nul\0inside\r\nFrom: a\0b@x.test\r\n\r\nbody\0\r\n".to_vec(),
    ];
    // Nesting past the parser's depth limit.
    let mut deep = Vec::new();
    for _ in 0..40 {
        deep.extend_from_slice(b"Content-Type: message/rfc822\r\n\r\n");
    }
    deep.extend_from_slice(b"Subject: deep\r\n\r\nbody\r\n");
    corpus.push(deep);
    corpus
}

#[test]
fn structure_only_parse_answers_like_the_full_parse() {
    let section = |part: &[u32], text: Option<SectionText>| FetchAttribute::BodySection {
        peek: true,
        section: Section::new(part.to_vec(), text).unwrap(),
        partial: None,
    };
    let names = NonEmpty::new(IString::new("subject").unwrap());
    let mut attributes = vec![
        FetchAttribute::Envelope,
        FetchAttribute::Body,
        FetchAttribute::BodyStructure,
        FetchAttribute::Rfc822,
        FetchAttribute::Rfc822Header,
        FetchAttribute::Rfc822Text,
        FetchAttribute::Rfc822Size,
        section(&[], Some(SectionText::HeaderFields(names.clone()))),
        section(&[], Some(SectionText::HeaderFieldsNot(names))),
    ];
    for path in [&[1][..], &[2], &[3], &[1, 1], &[1, 2], &[2, 1], &[2, 1, 1]] {
        attributes.push(section(path, None));
        attributes.push(section(path, Some(SectionText::Mime)));
        attributes.push(section(path, Some(SectionText::Header)));
        attributes.push(section(path, Some(SectionText::Text)));
    }
    for raw in varied_corpus() {
        let structure = ParsedMessage::parse(&raw);
        let full = ParsedMessage::parse_full(&raw);
        assert!(!structure.is_full() && full.is_full());
        assert_eq!(structure.envelope(), full.envelope());
        assert_eq!(structure.body_structure(true), full.body_structure(true));
        assert_eq!(structure.body_structure(false), full.body_structure(false));
        for a in &attributes {
            assert_eq!(structure.fetch(a), full.fetch(a), "{a:?}");
        }
        assert_eq!(
            structure.mime().header(),
            full.mime().header(),
            "{}",
            String::from_utf8_lossy(&raw)
        );
    }
}
