//! Response decoding (client side), RFC 3501 §9 `response`, leniently where real servers
//! are known to deviate.
//!
//! Accepted beyond the grammar, each covered by a test in `tests/quirks.rs`:
//!
//! - spaces between the addresses of an address list (Outlook), and `()` for an empty list;
//! - a response code with no text after it, as in Gmail's `* OK [HIGHESTMODSEQ n]`, and a
//!   status word with no text at all;
//! - `+` with no text;
//! - NIL as a body's transfer encoding (iCloud), read as an empty string;
//! - an empty STATUS list (163.com);
//! - `\*` inside FLAGS and FETCH flag lists (skipped) and `]` inside flag keywords;
//! - 8-bit bytes inside quoted strings and text (read as UTF-8, lossily for text);
//! - a space after the last SEARCH result, spaces between the parts of a multipart, more
//!   than one space between NAMESPACE lists.
//!
//! Responses and FETCH items the codec does not know are kept rather than refused: an
//! untagged `* [n] NAME …` becomes [`Data::Other`] with the rest of the message as sent
//! (literals included), and a FETCH item `NAME value` becomes [`MessageDataItem::Other`]
//! with the bytes of its one value (an atom, number, string, literal or nested list, no
//! deeper than [`Limits::max_depth`]). A known name with arguments that break its grammar
//! is still an error.
//!
//! Framing happens before parsing, so a text that ends in `{n}` just before its CRLF is
//! taken for a literal announcement.

use std::num::NonZeroU32;

use nom::Parser;
use nom::branch::alt;
use nom::bytes::complete::{tag, take_while};
use nom::character::complete::char;
use nom::combinator::{map, opt, value};
use nom::multi::many0;
use nom::sequence::{delimited, preceded};

use super::body::{body, envelope};
use super::command::id_parameters;
use super::fetch::{section, section_binary};
use super::primitive::{
    KEYWORD_MAX, PResult, astring, atom, atom_bytes, crlf, date_time, delimiter, expect, fail,
    flag_fetch_list, flag_list_lenient, flag_perm_list, literal_data, mailbox, nstring, number,
    number64, nz_number, nz_number64, paren_list, sequence_set, skip_spaces, sp, spaces1, string,
    tag_, tag_ci, text, upper,
};
use super::{DecodeError, Decoded, lenient_text, run};
use crate::codec::framer::Limits;
use crate::types::chars::is_atom_char;
use crate::types::{
    Atom, KNOWN_ITEMS, OtherData, OtherItem, RawValue, Unparsed, unparsed_error, value_len,
};
use crate::types::{
    Capability, Charset, Code, Completion, Condition, Continue, Data, Greeting, MailboxAttribute,
    MessageDataItem, NamespaceDescription, NonEmpty, Response, Status, StatusItem, Tagged, Text,
};

/// Decodes one response from the start of `input`.
///
/// ```
/// use mailwire_imap::codec::{Decoded, Limits, decode_response};
/// use mailwire_imap::types::{Data, Response};
///
/// let out = decode_response(b"* 23 EXISTS\r\n", &Limits::default()).unwrap();
/// assert_eq!(out, Decoded::Complete { value: Response::Data(Data::Exists(23)), consumed: 13 });
/// assert_eq!(decode_response(b"* 23 EXI", &Limits::default()).unwrap(), Decoded::Incomplete);
/// ```
pub fn decode_response(input: &[u8], limits: &Limits) -> Result<Decoded<Response>, DecodeError> {
    let depth = limits.max_depth;
    run(input, limits, true, false, true, |i| {
        let (i, r) = response(i, depth)?;
        let (i, _) = crlf(i)?;
        Ok((i, r))
    })
}

/// Decodes the server's greeting: an untagged OK, PREAUTH or BYE.
pub fn decode_greeting(input: &[u8], limits: &Limits) -> Result<Decoded<Greeting>, DecodeError> {
    run(input, limits, false, false, true, |i| {
        let (i, _) = expect("'* ' expected", tag("* ")).parse(i)?;
        let (j, s) = status(i)?;
        if matches!(s.condition, Condition::No | Condition::Bad) {
            return fail(i, "greeting must be OK, PREAUTH or BYE");
        }
        let (j, _) = crlf(j)?;
        Ok((j, s))
    })
}

fn response(i: &[u8], depth: usize) -> PResult<'_, Response> {
    if let Some(rest) = i.strip_prefix(b"+") {
        // `+` alone is common although the grammar wants `+ text`.
        let rest = rest.strip_prefix(b" ").unwrap_or(rest);
        let (rest, (code, text)) = resp_text_body(rest)?;
        return Ok((rest, Response::Continue(Continue { code, text })));
    }
    if let Some(rest) = i.strip_prefix(b"* ") {
        // Numbered data (EXISTS, FETCH …) is most of a server's output and never a status.
        if !rest.first().is_some_and(u8::is_ascii_digit)
            && let Ok((r, s)) = status(rest)
        {
            return Ok((r, Response::Status(s)));
        }
        return map(|i| data(i, depth), Response::Data).parse(rest);
    }
    let (i, tag) = tag_(i)?;
    let (i, _) = sp(i)?;
    let (i, completion) = alt((
        value(Completion::Ok, tag_ci("OK")),
        value(Completion::No, tag_ci("NO")),
        value(Completion::Bad, tag_ci("BAD")),
    ))
    .parse(i)?;
    let (i, (code, text)) = resp_text(i)?;
    Ok((
        i,
        Response::Tagged(Tagged {
            tag,
            completion,
            code,
            text,
        }),
    ))
}

/// `resp-cond-state / resp-cond-auth / resp-cond-bye`, after `* `.
fn status(i: &[u8]) -> PResult<'_, Status> {
    let (i, condition) = alt((
        value(Condition::Ok, tag_ci("OK")),
        value(Condition::No, tag_ci("NO")),
        value(Condition::Bad, tag_ci("BAD")),
        value(Condition::PreAuth, tag_ci("PREAUTH")),
        value(Condition::Bye, tag_ci("BYE")),
    ))
    .parse(i)?;
    if !matches!(i.first(), Some(b' ' | b'\r')) {
        return fail(i, "space expected");
    }
    let (i, (code, text)) = resp_text(i)?;
    Ok((
        i,
        Status {
            condition,
            code,
            text,
        },
    ))
}

/// `SP resp-text`; a missing text after the word is tolerated.
fn resp_text(i: &[u8]) -> PResult<'_, (Option<Code>, Text)> {
    match i.strip_prefix(b" ") {
        Some(rest) => resp_text_body(rest),
        None => Ok((i, (None, Text::lenient(b"")))),
    }
}

/// `resp-text = ["[" resp-text-code "]" SP] text`. The SP and the text may be missing
/// (Gmail's `[HIGHESTMODSEQ n]`); a bracket that does not hold a code is text.
fn resp_text_body(i: &[u8]) -> PResult<'_, (Option<Code>, Text)> {
    if let Some(rest) = i.strip_prefix(b"[")
        && let Ok((rest, code)) = code(rest)
        && let Some(rest) = rest.strip_prefix(b"]")
    {
        let rest = rest.strip_prefix(b" ").unwrap_or(rest);
        let (rest, t) = text(rest)?;
        return Ok((rest, (Some(code), lenient_text(t))));
    }
    let (rest, t) = text(i)?;
    Ok((rest, (None, lenient_text(t))))
}

fn code(i: &[u8]) -> PResult<'_, Code> {
    let (rest, name) = atom_bytes(i)?;
    let is = |s: &str| name.eq_ignore_ascii_case(s.as_bytes());
    let known: PResult<'_, Code> = if is("ALERT") {
        Ok((rest, Code::Alert))
    } else if is("PARSE") {
        Ok((rest, Code::Parse))
    } else if is("READ-ONLY") {
        Ok((rest, Code::ReadOnly))
    } else if is("READ-WRITE") {
        Ok((rest, Code::ReadWrite))
    } else if is("TRYCREATE") {
        Ok((rest, Code::TryCreate))
    } else if is("UIDNOTSTICKY") {
        Ok((rest, Code::UidNotSticky))
    } else if is("NOMODSEQ") {
        Ok((rest, Code::NoModSeq))
    } else if is("CLOSED") {
        Ok((rest, Code::Closed))
    } else if is("UIDNEXT") {
        map(preceded(sp, nz_number), Code::UidNext).parse(rest)
    } else if is("UIDVALIDITY") {
        map(preceded(sp, nz_number), Code::UidValidity).parse(rest)
    } else if is("UNSEEN") {
        map(preceded(sp, nz_number), Code::Unseen).parse(rest)
    } else if is("HIGHESTMODSEQ") {
        map(preceded(sp, nz_number64), Code::HighestModSeq).parse(rest)
    } else if is("MODIFIED") {
        map(preceded(sp, sequence_set), Code::Modified).parse(rest)
    } else if is("PERMANENTFLAGS") {
        map(preceded(sp, flag_perm_list), Code::PermanentFlags).parse(rest)
    } else if is("CAPABILITY") {
        map(capabilities, Code::Capability).parse(rest)
    } else if is("BADCHARSET") {
        let (r, list) = opt(preceded(sp, paren_list(astring))).parse(rest)?;
        let charsets = list
            .unwrap_or_default()
            .into_iter()
            .filter_map(|s| s.as_str().and_then(|s| Charset::new(s).ok()))
            .collect();
        Ok((r, Code::BadCharset(charsets)))
    } else if is("APPENDUID") {
        let (r, uid_validity) = preceded(sp, nz_number).parse(rest)?;
        let (r, uids) = preceded(sp, sequence_set).parse(r)?;
        Ok((r, Code::AppendUid { uid_validity, uids }))
    } else if is("COPYUID") {
        let (r, uid_validity) = preceded(sp, nz_number).parse(rest)?;
        let (r, source) = preceded(sp, sequence_set).parse(r)?;
        let (r, destination) = preceded(sp, sequence_set).parse(r)?;
        Ok((
            r,
            Code::CopyUid {
                uid_validity,
                source,
                destination,
            },
        ))
    } else {
        return other_code(i);
    };
    // A known code with arguments that do not parse is no code at all: the caller reads
    // the bracket as text, which re-encodes to the same bytes.
    match known {
        Ok((r, c)) if r.starts_with(b"]") => Ok((r, c)),
        _ => fail(i, "malformed response code"),
    }
}

/// `atom [SP 1*<any TEXT-CHAR except "]">]`
fn other_code(i: &[u8]) -> PResult<'_, Code> {
    let (i, name) = atom(i)?;
    let (i, text) = opt(preceded(
        char(' '),
        take_while(|b: u8| b != b']' && crate::types::chars::is_text_char(b)),
    ))
    .parse(i)?;
    let text = text.map(|t| String::from_utf8_lossy(t).into_owned());
    Ok((i, Code::Other { name, text }))
}

/// `*(SP capability)`, also used after CAPABILITY and ENABLED.
fn capabilities(i: &[u8]) -> PResult<'_, Vec<Capability>> {
    many0(preceded(char(' '), map(atom, Capability::from_atom))).parse(i)
}

fn data(i: &[u8], depth: usize) -> PResult<'_, Data> {
    if i.first().is_some_and(u8::is_ascii_digit) {
        return numbered(i, depth);
    }
    let (rest, name) = atom_bytes(i)?;
    let is = |s: &str| name.eq_ignore_ascii_case(s.as_bytes());
    let i = rest;
    if is("CAPABILITY") {
        map(capabilities, Data::Capability).parse(i)
    } else if is("ENABLED") {
        map(capabilities, |capabilities| Data::Enabled { capabilities }).parse(i)
    } else if is("LIST") || is("LSUB") {
        let (i, attributes) = preceded(sp, paren_list(mailbox_attribute)).parse(i)?;
        let (i, delimiter) = preceded(sp, delimiter).parse(i)?;
        let (i, mailbox) = preceded(sp, mailbox).parse(i)?;
        Ok((
            i,
            if is("LIST") {
                Data::List {
                    attributes,
                    delimiter,
                    mailbox,
                }
            } else {
                Data::Lsub {
                    attributes,
                    delimiter,
                    mailbox,
                }
            },
        ))
    } else if is("STATUS") {
        let (i, mailbox) = preceded(sp, mailbox).parse(i)?;
        // 163.com sends an empty list.
        let (i, items) = preceded(sp, paren_list(status_item)).parse(i)?;
        Ok((i, Data::Status { mailbox, items }))
    } else if is("SEARCH") {
        let (i, ids) = search_ids(i)?;
        let (i, modseq) = opt(preceded(
            char(' '),
            delimited(tag_ci("(MODSEQ "), nz_number64, char(')')),
        ))
        .parse(i)?;
        // Some servers end the list with a space.
        let i = if i.starts_with(b" \r") { &i[1..] } else { i };
        Ok((i, Data::Search { ids, modseq }))
    } else if is("FLAGS") {
        map(preceded(sp, flag_list_lenient), Data::Flags).parse(i)
    } else if is("NAMESPACE") {
        // RFC 2342's own example 5.5 puts two spaces between the last two.
        let (i, personal) = preceded(spaces1, namespaces).parse(i)?;
        let (i, other) = preceded(spaces1, namespaces).parse(i)?;
        let (i, shared) = preceded(spaces1, namespaces).parse(i)?;
        Ok((
            i,
            Data::Namespace {
                personal,
                other,
                shared,
            },
        ))
    } else if is("ID") {
        map(preceded(sp, id_parameters), |parameters| Data::Id {
            parameters,
        })
        .parse(i)
    } else {
        other_data(None, name, i)
    }
}

/// `*(SP nz-number)`, by hand: a SEARCH result can hold millions of numbers.
fn search_ids(mut i: &[u8]) -> PResult<'_, Vec<NonZeroU32>> {
    let mut ids = Vec::new();
    while let [b' ', first @ b'0'..=b'9', ..] = i {
        let mut n = u32::from(first - b'0');
        let mut len = 2;
        while let Some(&d @ b'0'..=b'9') = i.get(len) {
            match n
                .checked_mul(10)
                .and_then(|n| n.checked_add(u32::from(d - b'0')))
            {
                Some(v) => n = v,
                None => return fail(&i[1..], "number too large"),
            }
            len += 1;
        }
        match NonZeroU32::new(n) {
            Some(n) => ids.push(n),
            None => return fail(&i[1..], "zero where a non-zero number is required"),
        }
        i = &i[len..];
    }
    Ok((i, ids))
}

fn mailbox_attribute(i: &[u8]) -> PResult<'_, MailboxAttribute> {
    let (i, _) = expect("mailbox attribute expected", char('\\')).parse(i)?;
    map(atom, MailboxAttribute::from_atom).parse(i)
}

fn status_item(i: &[u8]) -> PResult<'_, StatusItem> {
    let (rest, name) = atom_bytes(i)?;
    let is = |s: &str| name.eq_ignore_ascii_case(s.as_bytes());
    let (rest, _) = sp(rest)?;
    if is("HIGHESTMODSEQ") {
        return map(number64, StatusItem::HighestModSeq).parse(rest);
    }
    let (rest, n) = number(rest)?;
    let item = if is("MESSAGES") {
        StatusItem::Messages(n)
    } else if is("RECENT") {
        StatusItem::Recent(n)
    } else if is("UIDNEXT") {
        StatusItem::UidNext(n)
    } else if is("UIDVALIDITY") {
        StatusItem::UidValidity(n)
    } else if is("UNSEEN") {
        StatusItem::Unseen(n)
    } else {
        return fail(i, "unknown status item");
    };
    Ok((rest, item))
}

/// `Namespace = nil / "(" 1*Namespace-Descr ")"`
fn namespaces(i: &[u8]) -> PResult<'_, Vec<NamespaceDescription>> {
    if i.first() != Some(&b'(') {
        let (i, _) = expect("namespace expected", super::primitive::nil).parse(i)?;
        return Ok((i, Vec::new()));
    }
    let mut i = &i[1..];
    let mut out = Vec::new();
    loop {
        i = skip_spaces(i);
        if let Some(rest) = i.strip_prefix(b")") {
            if out.is_empty() {
                return fail(i, "namespace expected");
            }
            return Ok((rest, out));
        }
        let (rest, _) = expect("namespace expected", char('(')).parse(i)?;
        let (rest, prefix) = string(rest)?;
        let (mut rest, delimiter) = preceded(sp, delimiter).parse(rest)?;
        let mut extensions = Vec::new();
        while rest.starts_with(b" ") {
            let (r, name) = preceded(sp, string).parse(rest)?;
            let (r, values) = preceded(sp, super::primitive::paren_list1(string)).parse(r)?;
            extensions.push((name, values));
            rest = r;
        }
        let (rest, _) = expect("')' expected", char(')')).parse(rest)?;
        out.push(NamespaceDescription {
            prefix,
            delimiter,
            extensions,
        });
        i = rest;
    }
}

/// `nz-number SP ("EXISTS" / "RECENT" / "EXPUNGE" / "FETCH" SP msg-att)`
fn numbered(i: &[u8], depth: usize) -> PResult<'_, Data> {
    let (i, n) = number(i)?;
    let (i, _) = sp(i)?;
    let (rest, name) = atom_bytes(i)?;
    let is = |s: &str| name.eq_ignore_ascii_case(s.as_bytes());
    if is("EXISTS") {
        return Ok((rest, Data::Exists(n)));
    }
    if is("RECENT") {
        return Ok((rest, Data::Recent(n)));
    }
    if !is("EXPUNGE") && !is("FETCH") {
        return other_data(Some(n), name, rest);
    }
    let Some(nz) = NonZeroU32::new(n) else {
        return fail(i, "zero where a non-zero number is required");
    };
    if is("EXPUNGE") {
        return Ok((rest, Data::Expunge(nz)));
    }
    {
        let (rest, _) = sp(rest)?;
        let (rest, items) = paren_list(|i| message_data_item(i, depth))(rest)?;
        let Some(items) = NonEmpty::from_vec(items) else {
            return fail(rest, "empty FETCH response");
        };
        Ok((rest, Data::Fetch { seq: nz, items }))
    }
}

/// `[number SP] name [SP text]` for a response the codec does not know; `i` follows the
/// name and holds the rest of the message, literals and the final CRLF included.
fn other_data<'a>(number: Option<u32>, name: &'a [u8], i: &'a [u8]) -> PResult<'a, Data> {
    let text = i.strip_suffix(b"\r\n").unwrap_or(i);
    let rest = match text.split_first() {
        None => text,
        Some((b' ', rest)) => rest,
        Some(_) => return fail(i, "space expected"),
    };
    if let Some(offset) = unparsed_error(rest) {
        return fail(&rest[offset..], "bad text in unknown response");
    }
    match OtherData::new(number, Atom::unchecked(name), Unparsed::unchecked(rest)) {
        Ok(d) => Ok((&i[text.len()..], Data::Other(d))),
        Err(_) => fail(i, "malformed response"),
    }
}

fn origin(i: &[u8]) -> PResult<'_, Option<u32>> {
    opt(delimited(char('<'), number, char('>'))).parse(i)
}

/// `msg-att-dynamic / msg-att-static`
fn message_data_item(i: &[u8], depth: usize) -> PResult<'_, MessageDataItem> {
    let start = i;
    let n = i
        .iter()
        .take_while(|&&b| is_atom_char(b) && b != b'[')
        .count();
    if n == 0 {
        return fail(i, "fetch item expected");
    }
    let (name, i) = i.split_at(n);
    let is = |s: &str| name.eq_ignore_ascii_case(s.as_bytes());
    if is("BODY") && i.starts_with(b"[") {
        let (i, section) = section(i)?;
        let (i, origin) = origin(i)?;
        let (i, data) = preceded(sp, nstring).parse(i)?;
        return Ok((
            i,
            MessageDataItem::BodySection {
                section,
                origin,
                data,
            },
        ));
    }
    if is("BINARY") {
        let (i, part) = section_binary(i)?;
        let (i, origin) = origin(i)?;
        let (i, _) = sp(i)?;
        let (i, data) = if i.starts_with(b"~") {
            map(literal_data(true), |d| Some(d.to_vec())).parse(i)?
        } else {
            map(nstring, |s| s.map(crate::types::IString::into_bytes)).parse(i)?
        };
        return Ok((i, MessageDataItem::Binary { part, origin, data }));
    }
    if is("BINARY.SIZE") {
        let (i, part) = section_binary(i)?;
        let (i, size) = preceded(sp, number).parse(i)?;
        return Ok((i, MessageDataItem::BinarySize { part, size }));
    }
    let mut buf = [0u8; KEYWORD_MAX];
    let name_upper = upper(name, &mut buf);
    if !KNOWN_ITEMS.iter().any(|k| k.as_bytes() == name_upper) {
        return other_item(start, name, i, depth);
    }
    let (i, _) = sp(i)?;
    match name_upper {
        b"FLAGS" => map(flag_fetch_list, MessageDataItem::Flags).parse(i),
        b"UID" => map(nz_number, MessageDataItem::Uid).parse(i),
        b"ENVELOPE" => map(envelope, MessageDataItem::Envelope).parse(i),
        b"INTERNALDATE" => map(date_time, MessageDataItem::InternalDate).parse(i),
        b"RFC822" => map(nstring, MessageDataItem::Rfc822).parse(i),
        b"RFC822.HEADER" => map(nstring, MessageDataItem::Rfc822Header).parse(i),
        b"RFC822.TEXT" => map(nstring, MessageDataItem::Rfc822Text).parse(i),
        b"RFC822.SIZE" => map(number, MessageDataItem::Rfc822Size).parse(i),
        b"BODY" => map(
            |i| body(i, depth),
            |b| MessageDataItem::Body(Box::new(strip_extensions(b))),
        )
        .parse(i),
        b"BODYSTRUCTURE" => map(
            |i| body(i, depth),
            |b| MessageDataItem::BodyStructure(Box::new(b)),
        )
        .parse(i),
        b"MODSEQ" => map(
            delimited(char('('), nz_number64, char(')')),
            MessageDataItem::ModSeq,
        )
        .parse(i),
        _ => fail(i, "unknown fetch item"),
    }
}

/// `name SP value` for an item the codec does not know; `rest` follows the name.
fn other_item<'a>(
    start: &'a [u8],
    name: &'a [u8],
    rest: &'a [u8],
    depth: usize,
) -> PResult<'a, MessageDataItem> {
    if rest.starts_with(b"[") {
        return fail(start, "unknown fetch item");
    }
    let (rest, _) = sp(rest)?;
    match value_len(rest, depth) {
        Ok(n) => {
            let item = OtherItem::unchecked(Atom::unchecked(name), RawValue::unchecked(&rest[..n]));
            Ok((&rest[n..], MessageDataItem::Other(item)))
        }
        Err(e) => fail(&rest[e.offset..], e.reason),
    }
}

/// BODY carries no extension data; a server that sends some anyway has it dropped, so
/// that the value encodes back to a valid BODY.
fn strip_extensions(b: crate::types::BodyStructure) -> crate::types::BodyStructure {
    use crate::types::{Body, BodyKind, BodyStructure};
    match b {
        BodyStructure::Single { body, .. } => {
            let kind = match body.kind {
                BodyKind::Message {
                    envelope,
                    body: inner,
                    lines,
                } => BodyKind::Message {
                    envelope,
                    body: Box::new(strip_extensions(*inner)),
                    lines,
                },
                other => other,
            };
            BodyStructure::Single {
                body: Body { kind, ..body },
                extension: None,
            }
        }
        BodyStructure::Multi {
            bodies, subtype, ..
        } => BodyStructure::Multi {
            bodies: bodies.map(strip_extensions),
            subtype,
            extension: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Atom;

    #[test]
    fn malformed_known_codes_are_text_and_unknown_codes_kept_whole() {
        assert!(code(b"UIDNEXT abc]").is_err());
        let (_, (got, text)) = resp_text(b" [UIDNEXT abc] x").unwrap();
        assert_eq!((got, text.as_str()), (None, "[UIDNEXT abc] x"));
        let (_, c) = code(b"X-NOTHING]").unwrap();
        assert_eq!(
            c,
            Code::Other {
                name: Atom::new("X-NOTHING").unwrap(),
                text: None
            }
        );
        let (rest, c) = code(b"badcharset (UTF-8 \"x y\")]").unwrap();
        assert_eq!(rest, b"]");
        assert_eq!(
            c,
            Code::BadCharset(vec![
                Charset::new("UTF-8").unwrap(),
                Charset::new("x y").unwrap()
            ])
        );
    }

    #[test]
    fn search_results() {
        let (rest, ids) = search_ids(b" 1 4294967295 (MODSEQ 1)").unwrap();
        assert_eq!(rest, b" (MODSEQ 1)");
        assert_eq!(ids, vec![NonZeroU32::MIN, NonZeroU32::MAX]);
        assert_eq!(search_ids(b"").unwrap().1, vec![]);
        assert!(search_ids(b" 4294967296").is_err());
        assert!(search_ids(b" 0").is_err());
        assert_eq!(
            search_ids(b" 12 ").unwrap(),
            (&b" "[..], vec![NonZeroU32::new(12).unwrap()])
        );
    }

    #[test]
    fn a_bracket_that_is_no_code_is_text() {
        let (_, (code, text)) = resp_text(b" [not a code").unwrap();
        assert_eq!((code, text.as_str()), (None, "[not a code"));
        let (_, (code, text)) = resp_text(b" [ALERT]done").unwrap();
        assert_eq!((code, text.as_str()), (Some(Code::Alert), "done"));
    }

    #[test]
    fn status_items_and_unknown_data() {
        let (_, d) = data(
            b"STATUS x (UIDVALIDITY 7 UNSEEN 0 RECENT 1 HIGHESTMODSEQ 9)",
            8,
        )
        .unwrap();
        assert_eq!(
            d,
            Data::Status {
                mailbox: crate::types::Mailbox::new("x").unwrap(),
                items: vec![
                    StatusItem::UidValidity(7),
                    StatusItem::Unseen(0),
                    StatusItem::Recent(1),
                    StatusItem::HighestModSeq(9)
                ]
            }
        );
        assert!(data(b"STATUS x (SIZE 7)", 8).is_err());
        assert!(data(b"0 EXPUNGE", 8).is_err());
        assert!(data(b"1 FETCH ()", 8).is_err());
        assert!(data(b"1 FETCH (X-GM-MSGID)", 8).is_err());
        assert!(data(b"1 FETCH (X-FOO[1] 2)", 8).is_err());
        assert!(data(b"1 FETCH (UID-X 2", 8).is_err());
    }

    #[test]
    fn unknown_items_and_responses_keep_their_bytes() {
        let (rest, d) = data(b"1 FETCH (UID-X (a (b)) UID 4)", 8).unwrap();
        assert_eq!(rest, b"");
        let Data::Fetch { items, .. } = d else {
            panic!("{d:?}")
        };
        let MessageDataItem::Other(other) = items.first() else {
            panic!("{items:?}")
        };
        assert_eq!(other.name().as_str(), "UID-X");
        assert_eq!(other.value().as_bytes(), b"(a (b))");
        assert_eq!(items[1], MessageDataItem::Uid(NonZeroU32::new(4).unwrap()));
        // Unknown values nest no deeper than the limit.
        assert!(data(b"1 FETCH (X ((a)))", 2).is_ok());
        let Err(nom::Err::Error(e)) = data(b"1 FETCH (X ((a)))", 1) else {
            panic!()
        };
        assert_eq!(
            (e.reason, e.input),
            ("value nested too deeply", &b"(a)))"[..])
        );

        let (rest, d) = data(b"0 XBAR\r\n", 8).unwrap();
        assert_eq!(rest, b"\r\n");
        let Data::Other(other) = d else { panic!() };
        assert_eq!(
            (other.number(), other.rest().as_bytes()),
            (Some(0), &b""[..])
        );
        // Known names are held to their grammar.
        assert!(data(b"OK(\r\n", 8).is_err());
        assert!(data(b"3 EXISTS x\r\n", 8).is_ok_and(|(rest, _)| rest == b" x\r\n"));
        assert!(data(b"XFOO\0\r\n", 8).is_err());
        assert!(data(b"XFOO a\rb\r\n", 8).is_err());
    }
}
