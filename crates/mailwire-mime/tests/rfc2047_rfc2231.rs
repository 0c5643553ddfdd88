//! RFC 2047 §8 and RFC 2231 §3–§5 and §7 examples through the public API.

use mailwire_mime::{ContentDisposition, ContentType, Message, Param, decode_encoded_words};

#[test]
fn rfc2047_section_8_header_examples() {
    let raw = "From: =?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>\r
To: =?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>\r
CC: =?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>\r
Subject: =?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r
 =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=\r
\r
";
    let m = Message::parse(raw.as_bytes());
    let name = |v: Vec<mailwire_mime::Address>| v[0].mailboxes()[0].name.clone();
    assert_eq!(name(m.from()).as_deref(), Some("Keith Moore"));
    assert_eq!(name(m.to()).as_deref(), Some("Keld J\u{f8}rn Simonsen"));
    assert_eq!(name(m.cc()).as_deref(), Some("Andr\u{e9} Pirard"));
    assert_eq!(m.cc()[0].mailboxes()[0].address(), "PIRARD@vm1.ulg.ac.be");
    assert_eq!(
        m.subject().as_deref(),
        Some("If you can read this you understand the example.")
    );

    let raw = "From: =?ISO-8859-1?Q?Olle_J=E4rnefors?= <ojarnef@admin.kth.se>\r
To: ietf-822@dimacs.rutgers.edu, ojarnef@admin.kth.se\r
Subject: Time for ISO 10646?\r
\r
";
    let m = Message::parse(raw.as_bytes());
    assert_eq!(name(m.from()).as_deref(), Some("Olle J\u{e4}rnefors"));
    assert_eq!(m.to().len(), 2);

    let raw = "To: Dave Crocker <dcrocker@mordor.stanford.edu>\r
Cc: ietf-822@dimacs.rutgers.edu, paf@comsol.se\r
From: =?ISO-8859-1?Q?Patrik_F=E4ltstr=F6m?= <paf@nada.kth.se>\r
Subject: Re: RFC-HDR care and feeding\r
\r
";
    let m = Message::parse(raw.as_bytes());
    assert_eq!(
        name(m.from()).as_deref(),
        Some("Patrik F\u{e4}ltstr\u{f6}m")
    );

    let raw = "From: Nathaniel Borenstein <nsb@thumper.bellcore.com>\r
    (=?iso-8859-8?b?7eXs+SDv4SDp7Oj08A==?=)\r
\r
";
    let m = Message::parse(raw.as_bytes());
    assert_eq!(name(m.from()).as_deref(), Some("Nathaniel Borenstein"));
    assert_eq!(
        m.from()[0].mailboxes()[0].address(),
        "nsb@thumper.bellcore.com"
    );
}

#[test]
fn rfc2047_section_8_display_table() {
    let table = [
        ("(=?ISO-8859-1?Q?a?=)", "(a)"),
        ("(=?ISO-8859-1?Q?a?= b)", "(a b)"),
        ("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)"),
        ("(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)"),
        ("(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)", "(ab)"),
        ("(=?ISO-8859-1?Q?a_b?=)", "(a b)"),
        ("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)"),
    ];
    for (encoded, displayed) in table {
        assert_eq!(
            decode_encoded_words(encoded.as_bytes()),
            displayed,
            "{encoded}"
        );
    }
}

#[test]
fn rfc2231_section_3_parameter_value_continuations() {
    let ct = ContentType::parse(
        b"message/external-body; access-type=URL;\r\n URL*0=\"ftp://\";\r\n URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"",
    );
    assert_eq!(ct.mime_type(), "message/external-body");
    assert_eq!(
        ct.param("URL"),
        Some("ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar")
    );
    // Equivalent to the single-value form.
    let single = ContentType::parse(b"message/external-body; access-type=URL;\r\n URL=\"ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"");
    assert_eq!(single.param("url"), ct.param("url"));
}

#[test]
fn rfc2231_section_4_character_set_and_language() {
    let ct = ContentType::parse(
        b"application/x-stuff;\r\n title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A",
    );
    assert_eq!(
        ct.params(),
        &[Param {
            name: "title".into(),
            value: "This is ***fun***".into(),
            charset: Some("us-ascii".into()),
            language: Some("en-us".into())
        }]
    );
}

#[test]
fn rfc2231_section_4_1_combined_with_continuations() {
    let ct = ContentType::parse(
        b"application/x-stuff;\r\n title*0*=us-ascii'en'This%20is%20even%20more%20;\r\n title*1*=%2A%2A%2Afun%2A%2A%2A%20;\r\n title*2=\"isn't it!\"",
    );
    assert_eq!(
        ct.params(),
        &[Param {
            name: "title".into(),
            value: "This is even more ***fun*** isn't it!".into(),
            charset: Some("us-ascii".into()),
            language: Some("en".into()),
        }]
    );
}

#[test]
fn rfc2231_section_5_language_in_encoded_words() {
    assert_eq!(
        decode_encoded_words(b"=?US-ASCII*EN?Q?Keith_Moore?="),
        "Keith Moore"
    );
}

#[test]
fn rfc2231_section_7_abnf_edge_cases() {
    // Charset and language may both be empty; only the first section carries them, so a
    // quote in a later section is data.
    let cd = ContentDisposition::parse(b"attachment; filename*0*=''a%20b; filename*1*=it's");
    assert_eq!(
        cd.params(),
        &[Param {
            name: "filename".into(),
            value: "a bit's".into(),
            charset: None,
            language: None
        }]
    );
    // A charset given, the bytes are converted from it.
    let cd = ContentDisposition::parse(b"attachment; filename*=iso-8859-1''%E9t%E9.txt");
    assert_eq!(cd.filename(), Some("\u{e9}t\u{e9}.txt"));
    // Attribute names are case-insensitive, sections may arrive out of order.
    let ct = ContentType::parse(b"text/plain; NAME*1=\"b\"; name*0=\"a\"");
    assert_eq!(ct.param("name"), Some("ab"));
}
