//! FETCH attributes and body sections (RFC 3501 §6.4.5): `fetch-att`, `section`,
//! `section-binary` (RFC 3516) and partial ranges.

use nom::Parser;
use nom::branch::alt;
use nom::character::complete::char;
use nom::combinator::{map, opt, value};
use nom::sequence::preceded;

use super::primitive::{
    KEYWORD_MAX, PResult, astring, expect, fail, number, nz_number, paren_list1_sized, span1,
    tag_ci, upper,
};
use crate::types::{FetchAttribute, Partial, Section, SectionText};

pub(crate) fn fetch_attribute(i: &[u8]) -> PResult<'_, FetchAttribute> {
    let (rest, name) = span1(
        i,
        |b| b.is_ascii_alphanumeric() || b == b'.',
        "fetch attribute expected",
    )?;
    let mut buf = [0u8; KEYWORD_MAX];
    let name = upper(name, &mut buf);
    if !rest.starts_with(b"[") {
        let attribute = match name {
            b"BODY" => FetchAttribute::Body,
            b"ENVELOPE" => FetchAttribute::Envelope,
            b"FLAGS" => FetchAttribute::Flags,
            b"INTERNALDATE" => FetchAttribute::InternalDate,
            b"RFC822" => FetchAttribute::Rfc822,
            b"RFC822.HEADER" => FetchAttribute::Rfc822Header,
            b"RFC822.SIZE" => FetchAttribute::Rfc822Size,
            b"RFC822.TEXT" => FetchAttribute::Rfc822Text,
            b"BODYSTRUCTURE" => FetchAttribute::BodyStructure,
            b"UID" => FetchAttribute::Uid,
            b"MODSEQ" => FetchAttribute::ModSeq,
            _ => return fail(i, "unknown fetch attribute"),
        };
        return Ok((rest, attribute));
    }
    match name {
        b"BODY" | b"BODY.PEEK" => {
            let peek = name == b"BODY.PEEK";
            let (rest, section) = section(rest)?;
            let (rest, partial) = opt(partial).parse(rest)?;
            Ok((
                rest,
                FetchAttribute::BodySection {
                    peek,
                    section,
                    partial,
                },
            ))
        }
        b"BINARY" | b"BINARY.PEEK" => {
            let peek = name == b"BINARY.PEEK";
            let (rest, part) = section_binary(rest)?;
            let (rest, partial) = opt(partial).parse(rest)?;
            Ok((
                rest,
                FetchAttribute::Binary {
                    peek,
                    part,
                    partial,
                },
            ))
        }
        b"BINARY.SIZE" => {
            let (rest, part) = section_binary(rest)?;
            Ok((rest, FetchAttribute::BinarySize { part }))
        }
        _ => fail(i, "unknown fetch attribute"),
    }
}

/// `"<" number "." nz-number ">"`
fn partial(i: &[u8]) -> PResult<'_, Partial> {
    let (i, _) = char('<').parse(i)?;
    let (i, offset) = number(i)?;
    let (i, _) = char('.').parse(i)?;
    let (i, length) = nz_number(i)?;
    let (i, _) = char('>').parse(i)?;
    Ok((i, Partial { offset, length }))
}

fn part_path(i: &[u8]) -> PResult<'_, Vec<u32>> {
    let (mut i, first) = nz_number(i)?;
    let mut out = vec![first.get()];
    while let Some(rest) = i.strip_prefix(b".") {
        if !rest.first().is_some_and(u8::is_ascii_digit) {
            break;
        }
        let (rest, n) = nz_number(rest)?;
        out.push(n.get());
        i = rest;
    }
    Ok((i, out))
}

/// `section-binary = "[" [section-part] "]"`
pub(crate) fn section_binary(i: &[u8]) -> PResult<'_, Vec<u32>> {
    let (i, _) = char('[').parse(i)?;
    if let Some(rest) = i.strip_prefix(b"]") {
        return Ok((rest, Vec::new()));
    }
    let (i, part) = part_path(i)?;
    let (i, _) = expect("']' expected", char(']')).parse(i)?;
    Ok((i, part))
}

/// `section = "[" [section-spec] "]"`
pub(crate) fn section(i: &[u8]) -> PResult<'_, Section> {
    let start = i;
    let (i, _) = char('[').parse(i)?;
    if let Some(rest) = i.strip_prefix(b"]") {
        return Ok((rest, Section::full()));
    }
    let (i, part) = if i.first().is_some_and(u8::is_ascii_digit) {
        part_path(i)?
    } else {
        (i, Vec::new())
    };
    let (i, text) = if part.is_empty() {
        map(section_text, Some).parse(i)?
    } else {
        opt(preceded(char('.'), section_text)).parse(i)?
    };
    let (i, _) = expect("']' expected", char(']')).parse(i)?;
    match Section::new(part, text) {
        Ok(s) => Ok((i, s)),
        Err(_) => fail(start, "invalid section"),
    }
}

fn section_text(i: &[u8]) -> PResult<'_, SectionText> {
    // Clients ask for a dozen fields or more (Thunderbird 14, mutt 15).
    let header_list = |i| paren_list1_sized(16, astring).parse(i);
    alt((
        map(
            preceded(tag_ci("HEADER.FIELDS.NOT "), header_list),
            SectionText::HeaderFieldsNot,
        ),
        map(
            preceded(tag_ci("HEADER.FIELDS "), header_list),
            SectionText::HeaderFields,
        ),
        value(SectionText::Header, tag_ci("HEADER")),
        value(SectionText::Text, tag_ci("TEXT")),
        value(SectionText::Mime, tag_ci("MIME")),
    ))
    .parse(i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{IString, NonEmpty};

    fn complete<T: std::fmt::Debug>(r: PResult<'_, T>) -> T {
        let (rest, v) = r.unwrap();
        assert!(rest.is_empty(), "left {:?}", String::from_utf8_lossy(rest));
        v
    }

    #[test]
    fn sections() {
        let s = complete(section(b"[1.2.HEADER.FIELDS.NOT (A \"B C\")]"));
        assert_eq!(s.part(), &[1, 2]);
        assert_eq!(
            s.text(),
            Some(&SectionText::HeaderFieldsNot(NonEmpty::from([
                IString::new("A").unwrap(),
                IString::new("B C").unwrap()
            ])))
        );
        assert_eq!(complete(section(b"[]")), Section::full());
        assert_eq!(
            complete(section(b"[text]")).text(),
            Some(&SectionText::Text)
        );
        assert!(section(b"[MIME]").is_err(), "MIME needs a part");
        assert!(section(b"[0]").is_err());
        assert!(section(b"[1.]").is_err());
        assert!(section(b"[HEADER.FIELDS ()]").is_err());
        assert_eq!(complete(section_binary(b"[3.1]")), vec![3, 1]);
    }
}
