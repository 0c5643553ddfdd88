//! ENVELOPE and BODYSTRUCTURE decoding (RFC 3501 §9 `envelope`, `body`).

use nom::Parser;
use nom::character::complete::char;

use super::primitive::{
    PResult, expect, fail, nil, nstring, number, paren_list1, skip_spaces, sp, string,
};
use crate::types::{
    Address, Body, BodyExtension, BodyKind, BodyStructure, Disposition, DispositionExtension,
    Envelope, IString, LanguageExtension, LocationExtension, MultiPartExtension, NString, NonEmpty,
    SinglePartExtension,
};

/// `envelope`, boxed where it is built: every holder boxes it, and it is large to move.
pub(crate) fn envelope(i: &[u8]) -> PResult<'_, Box<Envelope>> {
    let (i, _) = expect("envelope expected", char('(')).parse(i)?;
    let (i, date) = nstring(i)?;
    let (i, subject) = spaced(nstring)(i)?;
    let (i, from) = spaced(address_list)(i)?;
    let (i, sender) = spaced(address_list)(i)?;
    let (i, reply_to) = spaced(address_list)(i)?;
    let (i, to) = spaced(address_list)(i)?;
    let (i, cc) = spaced(address_list)(i)?;
    let (i, bcc) = spaced(address_list)(i)?;
    let (i, in_reply_to) = spaced(nstring)(i)?;
    let (i, message_id) = spaced(nstring)(i)?;
    let (i, _) = expect("')' expected", char(')')).parse(i)?;
    Ok((
        i,
        Box::new(Envelope {
            date,
            subject,
            from,
            sender,
            reply_to,
            to,
            cc,
            bcc,
            in_reply_to,
            message_id,
        }),
    ))
}

fn spaced<'a, O>(
    mut p: impl FnMut(&'a [u8]) -> PResult<'a, O>,
) -> impl FnMut(&'a [u8]) -> PResult<'a, O> {
    move |i| {
        let (i, _) = sp(i)?;
        p(i)
    }
}

/// `"(" 1*address ")" / nil`. Outlook separates the addresses with spaces; some servers
/// send `()`. Both are read as lists.
fn address_list(i: &[u8]) -> PResult<'_, Vec<Address>> {
    if i.first() != Some(&b'(') {
        let (i, _) = expect("address list expected", nil).parse(i)?;
        return Ok((i, Vec::new()));
    }
    let mut i = &i[1..];
    let mut out = Vec::new();
    loop {
        i = skip_spaces(i);
        if let Some(rest) = i.strip_prefix(b")") {
            return Ok((rest, out));
        }
        let (rest, a) = address(i)?;
        out.push(a);
        i = rest;
    }
}

/// `address = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")"`
fn address(i: &[u8]) -> PResult<'_, Address> {
    let (i, _) = expect("address expected", char('(')).parse(i)?;
    let (i, name) = nstring(i)?;
    let (i, adl) = spaced(nstring)(i)?;
    let (i, mailbox) = spaced(nstring)(i)?;
    let (i, host) = spaced(nstring)(i)?;
    let (i, _) = expect("')' expected", char(')')).parse(i)?;
    Ok((
        i,
        Address {
            name,
            adl,
            mailbox,
            host,
        },
    ))
}

/// `body`, nested at most `depth` deep.
pub(crate) fn body(i: &[u8], depth: usize) -> PResult<'_, BodyStructure> {
    let Some(depth) = depth.checked_sub(1) else {
        return fail(i, "body nested too deeply");
    };
    let (i, _) = expect("body expected", char('(')).parse(i)?;
    let (i, b) = if i.starts_with(b"(") {
        multipart(i, depth)?
    } else {
        single(i, depth)?
    };
    let (i, _) = expect("')' expected", char(')')).parse(i)?;
    Ok((i, b))
}

/// `body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]`
fn multipart(i: &[u8], depth: usize) -> PResult<'_, BodyStructure> {
    let (rest, first) = body(i, depth)?;
    // A multipart has two parts or more: grow once, not from one.
    let mut bodies = NonEmpty::with_capacity(first, 4);
    let mut i = after_part(rest);
    while i.starts_with(b"(") {
        let (rest, b) = body(i, depth)?;
        bodies.push(b);
        i = after_part(rest);
    }
    let (i, subtype) = spaced(string)(i)?;
    let (i, extension) = if i.starts_with(b" ") {
        let (i, params) = spaced(params)(i)?;
        let (i, tail) = disposition_tail(i, depth)?;
        (i, Some(MultiPartExtension { params, tail }))
    } else {
        (i, None)
    };
    Ok((
        i,
        BodyStructure::Multi {
            bodies,
            subtype,
            extension,
        },
    ))
}

/// Some servers separate the parts of a multipart with a space.
fn after_part(rest: &[u8]) -> &[u8] {
    if rest.starts_with(b" (") {
        &rest[1..]
    } else {
        rest
    }
}

/// `body-type-1part [SP body-ext-1part]`
fn single(i: &[u8], depth: usize) -> PResult<'_, BodyStructure> {
    let (i, media_type) = string(i)?;
    let (i, subtype) = spaced(string)(i)?;
    let (i, params) = spaced(params)(i)?;
    let (i, id) = spaced(nstring)(i)?;
    let (i, description) = spaced(nstring)(i)?;
    // body-fld-enc: iCloud sends NIL.
    let (i, encoding) = spaced(|i| {
        let (i, e) = nstring(i)?;
        Ok((i, e.unwrap_or_default()))
    })(i)?;
    let (i, octets) = spaced(number)(i)?;
    let t = media_type.as_bytes();
    let (i, kind) = if t.eq_ignore_ascii_case(b"TEXT") {
        let (i, lines) = spaced(number)(i)?;
        (i, BodyKind::Text { subtype, lines })
    } else if t.eq_ignore_ascii_case(b"MESSAGE")
        && subtype.as_bytes().eq_ignore_ascii_case(b"RFC822")
    {
        let (i, envelope) = spaced(envelope)(i)?;
        let (i, inner) = spaced(|i| body(i, depth))(i)?;
        let (i, lines) = spaced(number)(i)?;
        (
            i,
            BodyKind::Message {
                envelope,
                body: Box::new(inner),
                lines,
            },
        )
    } else {
        (
            i,
            BodyKind::Basic {
                media_type,
                subtype,
            },
        )
    };
    let (i, extension) = if i.starts_with(b" ") {
        let (i, md5) = spaced(nstring)(i)?;
        let (i, tail) = disposition_tail(i, depth)?;
        (i, Some(SinglePartExtension { md5, tail }))
    } else {
        (i, None)
    };
    let body = Body {
        kind,
        params,
        id,
        description,
        encoding,
        octets,
    };
    Ok((i, BodyStructure::Single { body, extension }))
}

/// `body-fld-param = "(" string SP string *(SP string SP string) ")" / nil`; `()` is
/// accepted as empty.
fn params(i: &[u8]) -> PResult<'_, Vec<(IString, IString)>> {
    if i.first() != Some(&b'(') {
        let (i, _) = expect("parameters expected", nil).parse(i)?;
        return Ok((i, Vec::new()));
    }
    let mut i = &i[1..];
    let mut out = Vec::new();
    loop {
        i = skip_spaces(i);
        if let Some(rest) = i.strip_prefix(b")") {
            return Ok((rest, out));
        }
        let (rest, k) = string(i)?;
        let (rest, v) = spaced(string)(rest)?;
        out.push((k, v));
        i = rest;
    }
}

/// `[SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc *(SP body-extension)]]]`
fn disposition_tail(i: &[u8], depth: usize) -> PResult<'_, Option<DispositionExtension>> {
    if !i.starts_with(b" ") {
        return Ok((i, None));
    }
    let (i, disposition) = spaced(disposition)(i)?;
    if !i.starts_with(b" ") {
        return Ok((
            i,
            Some(DispositionExtension {
                disposition,
                tail: None,
            }),
        ));
    }
    let (i, languages) = spaced(languages)(i)?;
    if !i.starts_with(b" ") {
        let tail = Some(LanguageExtension {
            languages,
            tail: None,
        });
        return Ok((i, Some(DispositionExtension { disposition, tail })));
    }
    let (mut i, location) = spaced(nstring)(i)?;
    let mut extensions = Vec::new();
    while i.starts_with(b" ") {
        let (rest, e) = spaced(|i| body_extension(i, depth))(i)?;
        extensions.push(e);
        i = rest;
    }
    let tail = Some(LocationExtension {
        location,
        extensions,
    });
    let tail = Some(LanguageExtension { languages, tail });
    Ok((i, Some(DispositionExtension { disposition, tail })))
}

/// `body-fld-dsp = "(" string SP body-fld-param ")" / nil`
fn disposition(i: &[u8]) -> PResult<'_, Option<Disposition>> {
    if i.first() != Some(&b'(') {
        let (i, _) = expect("disposition expected", nil).parse(i)?;
        return Ok((i, None));
    }
    let (i, kind) = string(&i[1..])?;
    let (i, params) = spaced(params)(i)?;
    let (i, _) = expect("')' expected", char(')')).parse(i)?;
    Ok((i, Some(Disposition { kind, params })))
}

/// `body-fld-lang = nstring / "(" string *(SP string) ")"`
fn languages(i: &[u8]) -> PResult<'_, Vec<IString>> {
    if i.first() == Some(&b'(') {
        let (i, list) = paren_list1(string)(i)?;
        return Ok((i, list.into_vec()));
    }
    let (i, s): (_, NString) = nstring(i)?;
    Ok((i, s.into_iter().collect()))
}

/// `body-extension = nstring / number / "(" body-extension *(SP body-extension) ")"`
fn body_extension(i: &[u8], depth: usize) -> PResult<'_, BodyExtension> {
    let Some(depth) = depth.checked_sub(1) else {
        return fail(i, "body nested too deeply");
    };
    match i.first() {
        Some(b'(') => {
            let (i, items) = paren_list1(|i| body_extension(i, depth)).parse(i)?;
            Ok((i, BodyExtension::List(items)))
        }
        Some(b'0'..=b'9') => {
            let (i, n) = number(i)?;
            Ok((i, BodyExtension::Number(n)))
        }
        _ => {
            let (i, s) = nstring(i)?;
            Ok((i, BodyExtension::String(s)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_addresses() {
        // RFC 3501 §7.4.2: a group starts with a NIL host and ends with NIL mailbox and host.
        let (_, list) =
            address_list(b"((NIL NIL \"friends\" NIL)(\"A\" NIL \"a\" \"x\")(NIL NIL NIL NIL))")
                .unwrap();
        assert_eq!(list.len(), 3);
        assert_eq!(
            (list[0].mailbox.clone(), list[0].host.clone()),
            (Some(IString::new("friends").unwrap()), None)
        );
        assert_eq!(list[2], Address::default());
    }

    #[test]
    fn languages_in_three_forms() {
        assert_eq!(languages(b"NIL").unwrap().1, Vec::<IString>::new());
        assert_eq!(
            languages(b"\"en\"").unwrap().1,
            vec![IString::new("en").unwrap()]
        );
        assert_eq!(languages(b"(\"en\" \"fr\")").unwrap().1.len(), 2);
        assert!(languages(b"()").is_err());
    }

    #[test]
    fn single_part_stops_where_extension_data_stops() {
        let (rest, b) = body(
            b"(\"IMAGE\" \"PNG\" NIL NIL NIL \"BASE64\" 10 NIL NIL) tail",
            4,
        )
        .unwrap();
        assert_eq!(rest, b" tail");
        let BodyStructure::Single {
            body,
            extension: Some(ext),
        } = b
        else {
            panic!()
        };
        assert!(matches!(body.kind, BodyKind::Basic { .. }));
        assert_eq!(ext.md5, None);
        assert_eq!(
            ext.tail,
            Some(DispositionExtension {
                disposition: None,
                tail: None
            })
        );
        assert!(body_extension(b"(((1)))", 2).is_err());
    }
}
