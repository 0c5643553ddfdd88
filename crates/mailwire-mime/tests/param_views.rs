//! The borrowed views of `Content-Type` and `Content-Disposition` give exactly what the
//! owned values give, and borrow where the written bytes are the value.

use std::borrow::Cow;

use mailwire_mime::{
    ContentDisposition, ContentDispositionRef, ContentType, ContentTypeRef, Message, Param,
    ParamRef,
};
use proptest::prelude::*;

/// Pieces that header values are made of, damaged ones included.
const PIECES: &[&[u8]] = &[
    b"text",
    b"Text",
    b"/",
    b"plain",
    b"HTML",
    b"multipart/mixed",
    b"message/RFC822",
    b"x-Custom",
    b"attachment",
    b"INLINE",
    b";",
    b"; ",
    b" ",
    b"\t",
    b"\r\n ",
    b"=",
    b"\"",
    b"\\",
    b"\\\"",
    b"'",
    b"*",
    b"*0",
    b"*1",
    b"*0*",
    b"*1*",
    b"*2",
    b"*99999999999",
    b"charset",
    b"Charset",
    b"boundary",
    b"name",
    b"NAME",
    b"filename",
    b"title",
    b"utf-8",
    b"us-ascii'en-us'",
    b"iso-8859-1''",
    b"''",
    b"%41",
    b"%E9",
    b"%C3%A9",
    b"%",
    b"%G1",
    b"=?utf-8?q?caf=C3=A9?=",
    b"=?ISO-8859-1?B?6Q==?=",
    b"=?bad",
    b"(comment)",
    b"(",
    b")",
    b"\xe9",
    b"\xc3\xa9",
    b"\xff",
    b"a;b",
    b"x y",
    b"r.pdf",
];

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(PIECES), 0..16).prop_map(|p| p.concat())
}

/// Names to look up with `param`.
const NAMES: &[&str] = &[
    "charset", "CHARSET", "boundary", "name", "filename", "title", "text", "x", "\u{fffd}",
];

/// A name as written is the name, case aside.
fn assert_written_names<'a>(params: impl Iterator<Item = ParamRef<'a>>) {
    for p in params {
        assert_eq!(p.written_name.to_ascii_lowercase(), p.name);
    }
}

fn check_type(v: &[u8]) {
    let owned_ct = ContentType::parse(v);
    let view = ContentTypeRef::parse(v);
    assert_eq!(view.main_type(), owned_ct.main_type());
    assert_eq!(view.subtype(), owned_ct.subtype());
    assert_eq!(view.is_malformed(), owned_ct.is_malformed());
    let params: Vec<Param> = view.params().map(ParamRef::into_owned).collect();
    assert_eq!(params, owned_ct.params());
    assert_written_names(view.params());
    assert_eq!(
        view.main_type_as_written().to_ascii_lowercase(),
        view.main_type()
    );
    assert_eq!(
        view.subtype_as_written().to_ascii_lowercase(),
        view.subtype()
    );
    for name in NAMES {
        assert_eq!(view.param(name).as_deref(), owned_ct.param(name), "{name}");
    }
    assert_eq!(view.charset().as_deref(), owned_ct.charset());
    assert_eq!(view.boundary().as_deref(), owned_ct.boundary());
    assert!(view.is(owned_ct.main_type(), owned_ct.subtype()));
    assert_eq!(view.into_owned(), owned_ct);
}

fn check_disposition(v: &[u8]) {
    let owned_cd = ContentDisposition::parse(v);
    let view = ContentDispositionRef::parse(v);
    assert_eq!(view.kind(), owned_cd.kind());
    assert_eq!(view.is_attachment(), owned_cd.is_attachment());
    assert_eq!(view.is_inline(), owned_cd.is_inline());
    let params: Vec<Param> = view.params().map(ParamRef::into_owned).collect();
    assert_eq!(params, owned_cd.params());
    assert_written_names(view.params());
    assert!(view.kind_as_written().eq_ignore_ascii_case(view.kind()));
    for name in NAMES {
        assert_eq!(view.param(name).as_deref(), owned_cd.param(name), "{name}");
    }
    assert_eq!(view.filename().as_deref(), owned_cd.filename());
    assert_eq!(view.into_owned(), owned_cd);
}

/// Both fields in a message, read through the part accessors (unfolded first).
fn check_part(v: &[u8]) {
    let mut raw = b"Content-Type: ".to_vec();
    raw.extend_from_slice(v);
    raw.extend_from_slice(b"\r\nContent-Disposition: ");
    raw.extend_from_slice(v);
    raw.extend_from_slice(b"\r\n\r\nbody\r\n");
    for msg in [Message::parse(&raw), Message::parse_structure(&raw)] {
        for part in msg.parts() {
            let ct = part.content_type_ref();
            let params: Vec<Param> = ct.params().map(ParamRef::into_owned).collect();
            assert_eq!(params, part.content_type().params());
            assert_eq!(ct.main_type(), part.content_type().main_type());
            assert_eq!(ct.clone().into_owned(), *part.content_type());
            assert_eq!(
                part.content_disposition_ref()
                    .map(ContentDispositionRef::into_owned),
                part.content_disposition()
            );
            assert_eq!(
                part.header().content_type_ref().is_some(),
                part.header().content_type().is_some()
            );
        }
    }
}

/// A parameter list read after a plain type, and after a type and a parameter that has to
/// be copied (`Zz`, upper case): the parameters that follow read the same, borrowed or
/// owned alike, whichever way the view keeps them.
fn check_list_after(params: &[u8]) {
    let plain = [&b"a/b;"[..], params].concat();
    let copied = [&b"a/b; Zz=0;"[..], params].concat();
    for (plain, copied) in [
        (
            ContentTypeRef::parse(&plain),
            ContentTypeRef::parse(&copied),
        ),
        (
            ContentTypeRef::parse(&[&b"a/b "[..], &plain[4..]].concat()),
            ContentTypeRef::parse(&copied),
        ),
    ] {
        let got: Vec<ParamRef<'_>> = plain.params().collect();
        let mut want: Vec<ParamRef<'_>> = copied.params().collect();
        if want.first().is_some_and(|p| p.name == "zz") {
            want.remove(0);
        }
        assert_eq!(got, want);
        let kinds = |ps: &[ParamRef<'_>]| -> Vec<(bool, bool)> {
            ps.iter()
                .map(|p| {
                    (
                        matches!(p.name, Cow::Borrowed(_)),
                        matches!(p.value, Cow::Borrowed(_)),
                    )
                })
                .collect()
        };
        assert_eq!(kinds(&got), kinds(&want));
        for name in NAMES {
            assert_eq!(plain.param(name), copied.param(name), "{name}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn views_equal_owned_values(v in value()) {
        check_type(&v);
        check_disposition(&v);
        check_part(&v);
    }

    #[test]
    fn parameters_read_alike_after_any_first_parameter(v in value()) {
        check_list_after(&v);
    }
}

#[test]
fn parameters_read_alike_on_known_inputs() {
    let inputs: &[&[u8]] = &[
        b"",
        b" charset=utf-8",
        b" charset=utf-8; format=flowed; delsp=yes; name=x; boundary=b",
        b" a=1; b=2; c=3; d=4; e=5; a=6; E=7",
        b" charset=utf-8; CHARSET=x; charset=\"y\"",
        b" name=\"r.pdf\"; title=\"a\\\"b\"; x=\"=?utf-8?q?x?=\"",
        b" caf\xc3\xa9=1; x=\xff",
        b" url*0=a; url*1=b; x=1",
    ];
    for v in inputs {
        check_list_after(v);
    }
}

#[test]
fn views_equal_owned_values_on_known_inputs() {
    let inputs: &[&[u8]] = &[
        b"",
        b";",
        b"text/plain",
        b"TEXT/PLAIN; CHARSET=UTF-8",
        b"multipart/mixed boundary=\"b\"",
        b"multipart/mixed\r\n\tboundary=\"b\"; boundary=c",
        b"text/plain; charset=us-ascii (Plain text)",
        b"message/external-body; access-type=URL;\r\n URL*0=\"ftp://\";\r\n URL*1=\"cs.utk.edu/pub\"",
        b"application/x-stuff;\r\n title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A",
        b"application/x-stuff; title*0*=us-ascii'en'This%20is%20; title*1*=%2A%2A%2Afun; title*2=\"isn't it!\"",
        b"a/b; n*1*=%A9; n*0*=iso-8859-1''%E9t; n*4294967295=z; plain=1",
        b"a/b; n*99999999999999999999=z",
        b"application/pdf; name=\"=?UTF-8?B?w6ku?=pdf\"",
        b"text/plain; A=1; b=\"x; y\"; a=2; =nameless; noeq; c==?utf-8?q?caf=C3=A9?=",
        b"text/plain; x=\"a\\\"b\"; y=\"fold\r\n ed\"",
        b"garbage; charset=utf-8",
        b"text/plain; caf\xc3\xa9=1; CAF\xc3\xa9=2; \xff=3; \xfe=4",
        b"attachment; filename=genome.jpeg;\r\n modification-date=\"Wed, 12 Feb 1997 16:29:51 -0500\";",
        b"Attachment; FileName*=utf-8''na%C3%AFve.txt",
        b"x-\xe9; a=b",
        b"text/plain; a=1; b=2; c=3; d=4; e=5; a=6",
        b"text/plain; charset=utf-8; CHARSET=x; charset=\"y\"; Charset*=utf-8''z",
        b"text/plain; charset=utf-8; x=\"=?utf-8?q?caf=C3=A9?=\"; y=\"\"",
    ];
    for v in inputs {
        check_type(v);
        check_disposition(v);
        check_part(v);
    }
}

#[test]
fn plain_values_are_borrowed_and_the_rest_owned() {
    let ct = ContentTypeRef::parse(
        b"Text/Plain; charset=utf-8; format=\"flowed\"; Name=\"a\\\"b\"; t=\"=?utf-8?q?x?=\"; u*=utf-8''%41",
    );
    assert_eq!((ct.main_type(), ct.subtype()), ("text", "plain"));
    let got: Vec<(Cow<'_, str>, Cow<'_, str>)> = ct.params().map(|p| (p.name, p.value)).collect();
    assert_eq!(
        got,
        [
            (Cow::Borrowed("charset"), Cow::Borrowed("utf-8")),
            (Cow::Borrowed("format"), Cow::Borrowed("flowed")),
            (Cow::Owned("name".to_owned()), Cow::Owned("a\"b".to_owned())),
            (Cow::Borrowed("t"), Cow::Owned("x".to_owned())),
            (Cow::Borrowed("u"), Cow::Owned("A".to_owned())),
        ]
    );
    let borrowed: Vec<(bool, bool)> = ct
        .params()
        .map(|p| {
            (
                matches!(p.name, Cow::Borrowed(_)),
                matches!(p.value, Cow::Borrowed(_)),
            )
        })
        .collect();
    assert_eq!(
        borrowed,
        [
            (true, true),
            (true, true),
            (false, false),
            (true, false),
            (true, false),
        ]
    );
    let u = ct.params().nth(4).expect("five parameters");
    assert_eq!(u.charset.as_deref(), Some("utf-8"));
    assert_eq!(u.language, None);
}

#[test]
fn parts_without_a_readable_type_get_the_defaults() {
    let raw = b"Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: x\r\n\r\n\
--d\r\nContent-Type: bogus\r\n\r\nb\r\n--d--\r\n";
    let msg = Message::parse_structure(raw);
    let parts = msg.root().parts();
    assert_eq!(parts.len(), 2);
    let digest_child = parts[0].content_type_ref();
    assert_eq!(
        (digest_child.main_type(), digest_child.subtype()),
        ("message", "rfc822")
    );
    assert_eq!(digest_child.params().count(), 0);
    assert_eq!(
        *parts[0].content_type(),
        ContentType::new("message", "rfc822")
    );
    let bogus = parts[1].content_type_ref();
    assert_eq!((bogus.main_type(), bogus.subtype()), ("text", "plain"));
    assert_eq!(bogus.charset().as_deref(), Some("us-ascii"));
    assert!(!bogus.is_malformed());
    assert_eq!(*parts[1].content_type(), ContentType::default());
    assert_eq!(
        parts[1].defects(),
        &[mailwire_mime::Defect::MalformedContentType]
    );
}
