//! `Content-Type` and `Content-Disposition` with their parameters (RFC 2045 §5.1,
//! RFC 2183, RFC 2231).
//!
//! ```text
//! content    := "Content-Type" ":" type "/" subtype *(";" parameter)
//! parameter  := attribute "=" value
//! value      := token / quoted-string
//! ; RFC 2231
//! extended   := attribute ["*" section] "*" "=" [charset "'" [language] "'"] *(pct-encoded / attr-char)
//! ```
//!
//! Continuations (`name*0`, `name*1*` …) are joined in section order before the charset is
//! applied; section numbers are sorted, never used to size a buffer.
//!
//! There is one reader of this grammar, [`ContentTypeRef`] / [`ContentDispositionRef`],
//! which borrows from the field wherever the written bytes are the value; the owned
//! [`ContentType`] and [`ContentDisposition`] are copies of what it reads.

use std::borrow::Cow;
use std::fmt;

use crate::charset::{Charset, lossy_text};
use crate::encoded_word::decode_text;
use crate::header::trim_wsp;
use crate::structured::strip_comments;

/// One parameter, continuations joined and RFC 2231 / RFC 2047 encoding decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Attribute name, lowercase, without `*` or section number.
    pub name: String,
    /// The decoded value.
    pub value: String,
    /// The charset named by RFC 2231 extended syntax, if any.
    pub charset: Option<String>,
    /// The language named by RFC 2231 extended syntax, if any and non-empty.
    pub language: Option<String>,
}

/// One parameter as [`Param`] reads it, borrowing from the field value where it can: the
/// name when it is written in lowercase, the value when it is a token or a quoted string
/// without escapes or folds and holds no encoded words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamRef<'a> {
    /// Attribute name, lowercase, without `*` or section number.
    pub name: Cow<'a, str>,
    /// Attribute name as written (case kept), without `*` or section number; for RFC 2231
    /// sections, as written in the first section that appears.
    pub written_name: Cow<'a, str>,
    /// The decoded value.
    pub value: Cow<'a, str>,
    /// The charset named by RFC 2231 extended syntax, if any.
    pub charset: Option<Cow<'a, str>>,
    /// The language named by RFC 2231 extended syntax, if any and non-empty.
    pub language: Option<Cow<'a, str>>,
}

impl ParamRef<'_> {
    /// The owned parameter.
    pub fn into_owned(self) -> Param {
        Param {
            name: self.name.into_owned(),
            value: self.value.into_owned(),
            charset: self.charset.map(Cow::into_owned),
            language: self.language.map(Cow::into_owned),
        }
    }
}

/// One parameter as the field writes it (see [`ContentTypeRef::params_as_written`]):
/// nothing decoded, for a server that passes parameters on as RFC 3501 §7.4.2 asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenParam<'a> {
    /// The name as written; for RFC 2231 sections joined into one, the name without its
    /// section number, followed by `*` when any section was extended (`filename*`).
    pub name: Cow<'a, [u8]>,
    /// The value: a token as written, or a quoted string's content with its escapes and
    /// line ends removed; for joined RFC 2231 sections, their values in section order,
    /// extended ones still percent-encoded after their `charset'language'` prefix (and
    /// `%` in the others written `%25`, with an empty `''` prefix put first when the
    /// first section is not extended). 8-bit bytes and encoded words stay as they are.
    pub value: Cow<'a, [u8]>,
}

/// The parameters of a list as written, in order (see
/// [`ContentTypeRef::params_as_written`]).
#[derive(Debug, Clone)]
pub struct WrittenParams<'s> {
    inner: WrittenInner<'s>,
}

#[derive(Debug, Clone)]
enum WrittenInner<'s> {
    /// No RFC 2231 names: one parameter per segment.
    Segments(ListSegments<'s>),
    Joined(std::vec::IntoIter<WrittenParam<'s>>),
}

impl<'s> Iterator for WrittenParams<'s> {
    type Item = WrittenParam<'s>;

    fn next(&mut self) -> Option<WrittenParam<'s>> {
        match &mut self.inner {
            WrittenInner::Segments(segments) => {
                segments
                    .find_map(name_value_rest)
                    .map(|(name, value, _)| WrittenParam {
                        name: Cow::Borrowed(name),
                        value: unquote(value),
                    })
            }
            WrittenInner::Joined(params) => params.next(),
        }
    }
}

/// One RFC 2231 section (`name*2*=…`) as written.
struct WrittenSection<'s> {
    base: &'s [u8],
    index: u32,
    extended: bool,
    value: Cow<'s, [u8]>,
}

/// Reads a list with RFC 2231 names as Dovecot reads it: other parameters first, in
/// order; then the sections, sorted by name and number, each name's joined into one
/// parameter when its numbers run 0, 1, 2 … and each kept apart under its own name
/// (`name*1*`) when one is missing.
fn joined_as_written<'s>(segments: impl Iterator<Item = &'s [u8]>) -> Vec<WrittenParam<'s>> {
    let mut out = Vec::new();
    let mut sections = Vec::new();
    // A bare `name*` takes the number of the section before it, as Dovecot reads it.
    let mut index = 0u32;
    for (name, value, _) in segments.filter_map(name_value_rest) {
        let value = unquote(value);
        if let Some(star) = name.iter().position(|&b| b == b'*') {
            // A bare `name*` is extended; `name*2` and `name*2*` are sections.
            let mut rest = &name[star..];
            if rest.len() > 1 {
                rest = &rest[1..];
                let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
                index = rest[..digits].iter().fold(0u32, |n, d| {
                    n.wrapping_mul(10).wrapping_add(u32::from(d - b'0'))
                });
                rest = &rest[digits..];
            }
            let extended = rest.first() == Some(&b'*');
            if rest.len() == usize::from(extended) {
                sections.push(WrittenSection {
                    base: &name[..star],
                    index,
                    extended,
                    value,
                });
                continue;
            }
        }
        out.push(WrittenParam {
            name: Cow::Borrowed(name),
            value,
        });
    }
    sections.sort_by(|a, b| a.base.cmp(b.base).then(a.index.cmp(&b.index)));
    let mut rest = &sections[..];
    while let Some(first) = rest.first() {
        let len = rest
            .iter()
            .take_while(|s| s.base.eq_ignore_ascii_case(first.base))
            .count();
        let (group, after) = rest.split_at(len);
        rest = after;
        let extended = group.iter().any(|s| s.extended);
        if !group.iter().zip(0u32..).all(|(s, n)| s.index == n) {
            for s in group {
                let mut name = s.base.to_vec();
                name.extend_from_slice(format!("*{}", s.index).as_bytes());
                if s.extended {
                    name.push(b'*');
                }
                out.push(WrittenParam {
                    name: Cow::Owned(name),
                    value: s.value.clone(),
                });
            }
            continue;
        }
        let mut value = Vec::new();
        if extended && !first.extended {
            value.extend_from_slice(b"''");
        }
        for s in group {
            if extended && !s.extended {
                for &b in s.value.iter() {
                    if b == b'%' {
                        value.extend_from_slice(b"%25");
                    } else {
                        value.push(b);
                    }
                }
            } else {
                value.extend_from_slice(&s.value);
            }
        }
        let mut name = first.base.to_vec();
        if extended {
            name.push(b'*');
        }
        out.push(WrittenParam {
            name: Cow::Owned(name),
            value: Cow::Owned(value),
        });
    }
    out
}

/// Splits at `;` outside quoted strings, one segment at a time.
#[derive(Debug, Clone)]
struct Segments<'v> {
    rest: Option<&'v [u8]>,
}

impl<'v> Iterator for Segments<'v> {
    type Item = &'v [u8];

    fn next(&mut self) -> Option<&'v [u8]> {
        let value = self.rest?;
        let mut i = 0;
        // Outside a quoted string only `;` and `"` matter; inside, only `"` and `\\`.
        while let Some(n) = value[i..].iter().position(|&b| b == b';' || b == b'"') {
            i += n;
            if value[i] == b';' {
                self.rest = Some(&value[i + 1..]);
                return Some(&value[..i]);
            }
            i += 1;
            // An unterminated quoted string runs to the end of the value.
            loop {
                let rest = value.get(i..).unwrap_or_default();
                let Some(n) = rest.iter().position(|&b| b == b'"' || b == b'\\') else {
                    i = value.len();
                    break;
                };
                i += n;
                if value[i] == b'"' {
                    i += 1;
                    break;
                }
                i += 2;
            }
            if i >= value.len() {
                break;
            }
        }
        self.rest = None;
        Some(value)
    }
}

/// A quoted string's content as written, or a token, and whether the content holds
/// escapes or line ends that [`unquote`] removes.
#[inline]
fn quoted_content(v: &[u8]) -> (&[u8], bool) {
    let v = trim_wsp(v);
    let Some(inner) = v.strip_prefix(b"\"") else {
        return (v, false);
    };
    let inner = inner.strip_suffix(b"\"").unwrap_or(inner);
    (
        inner,
        inner.iter().any(|&b| matches!(b, b'\\' | b'\r' | b'\n')),
    )
}

/// A quoted string's content with escapes and line ends removed, or a token as written.
fn unquote(v: &[u8]) -> Cow<'_, [u8]> {
    let (inner, escaped) = quoted_content(v);
    if !escaped {
        return Cow::Borrowed(inner);
    }
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        if inner[i] == b'\\' && i + 1 < inner.len() {
            i += 1;
        }
        if inner[i] != b'\r' && inner[i] != b'\n' {
            out.push(inner[i]);
        }
        i += 1;
    }
    Cow::Owned(out)
}

/// A plain (not RFC 2231 extended) value as text: RFC 2047 words decoded, since many
/// mailers put them in parameters although RFC 2047 §5 forbids it, and 8-bit bytes read
/// as [`decode_text`] reads them. Borrowed when the bytes are UTF-8 without `=?`.
fn plain_value(bytes: Cow<'_, [u8]>) -> Cow<'_, str> {
    if has_encoded_word(&bytes) {
        return Cow::Owned(decode_text(&bytes));
    }
    match bytes {
        Cow::Borrowed(b) => lossy_text(b),
        Cow::Owned(v) => match String::from_utf8(v) {
            Ok(s) => Cow::Owned(s),
            Err(e) => Cow::Owned(lossy_text(e.as_bytes()).into_owned()),
        },
    }
}

/// Whether `bytes` hold `=?`, the start of an RFC 2047 encoded word.
#[inline]
fn has_encoded_word(bytes: &[u8]) -> bool {
    // A plain loop: these values are short, and setting up a vector search costs more.
    bytes
        .iter()
        .zip(bytes.iter().skip(1))
        .fold(false, |found, (&a, &b)| found | (a == b'=' && b == b'?'))
}

/// A name lowercased, borrowed when it already is lowercase UTF-8.
fn lower_name(raw: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(raw) {
        Ok(s) if !s.bytes().any(|b| b.is_ascii_uppercase()) => Cow::Borrowed(s),
        _ => Cow::Owned(String::from_utf8_lossy(raw).to_ascii_lowercase()),
    }
}

/// Whether `raw`, read as [`lower_name`] reads it, is `name` (case-insensitive).
fn name_is(raw: &[u8], name: &str) -> bool {
    if raw.is_ascii() {
        raw.eq_ignore_ascii_case(name.as_bytes())
    } else {
        lower_name(raw).eq_ignore_ascii_case(name)
    }
}

fn percent_decode(v: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < v.len() {
        if v[i] == b'%' {
            let h = v.get(i + 1).and_then(|&c| (c as char).to_digit(16));
            let l = v.get(i + 2).and_then(|&c| (c as char).to_digit(16));
            if let (Some(h), Some(l)) = (h, l) {
                out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                i += 3;
                continue;
            }
        }
        out.push(v[i]);
        i += 1;
    }
}

struct Section<'a> {
    index: u32,
    extended: bool,
    value: &'a [u8],
}

/// `name=value` of a segment, both trimmed; `None` without `=` or without a name.
#[inline]
fn name_value(seg: &[u8]) -> Option<(&[u8], &[u8])> {
    name_value_rest(seg).map(|(name, value, _)| (name, value))
}

/// `name=value` of a segment as [`name_value`] reads it, and whether text follows the
/// value: a value is a token or a quoted string (RFC 2045 §5.1), and whatever comes after
/// it in the segment (most often a parameter whose `;` is missing) is not part of it.
#[inline]
fn name_value_rest(seg: &[u8]) -> Option<(&[u8], &[u8], bool)> {
    let eq = seg.iter().position(|&b| b == b'=')?;
    let name = trim_wsp(&seg[..eq]);
    if name.is_empty() {
        return None;
    }
    let value = trim_wsp(&seg[eq + 1..]);
    let end = value_end(value);
    Some((name, &value[..end], end < value.len()))
}

/// The length of the value at the start of `v` (trimmed): a quoted string up to its
/// closing quote (to the end when it has none), or anything else up to whitespace. Bytes
/// that RFC 2045 keeps out of tokens (`=`, `/`, `@` …) are kept, as unquoted boundaries
/// such as `----=_Part_1` are common.
#[inline]
fn value_end(v: &[u8]) -> usize {
    if v.first() != Some(&b'"') {
        return v
            .iter()
            .position(u8::is_ascii_whitespace)
            .unwrap_or(v.len());
    }
    let mut i = 1;
    while let Some(n) = v[i..].iter().position(|&b| b == b'"' || b == b'\\') {
        i += n;
        if v[i] == b'"' {
            return i + 1;
        }
        i += 2;
        if i >= v.len() {
            break;
        }
    }
    v.len()
}

/// The part of `name` before `len` bytes, borrowed as long as `name` is.
fn prefix<'a>(name: &Cow<'a, str>, len: usize) -> Cow<'a, str> {
    match name {
        Cow::Borrowed(s) => Cow::Borrowed(&s[..len]),
        Cow::Owned(s) => Cow::Owned(s[..len].to_owned()),
    }
}

/// Reads a parameter list that has RFC 2231 sections or extended values: sections are
/// grouped by name in order of first appearance, sorted, and joined.
fn joined_params<'s>(segments: impl Iterator<Item = &'s [u8]>) -> Vec<ParamRef<'s>> {
    // Lowercase base names in order of first appearance, each as first written.
    let mut order: Vec<(Cow<'s, str>, Cow<'s, str>)> = Vec::new();
    let mut sections: Vec<(Cow<'s, str>, Section<'s>)> = Vec::new();
    for seg in segments {
        let Some((raw_name, value)) = name_value(seg) else {
            continue;
        };
        let name = lower_name(raw_name);
        let (base, extended) = match name.strip_suffix('*') {
            Some(b) => (b, true),
            None => (&*name, false),
        };
        let (base_len, index) = match base.rsplit_once('*') {
            Some((b, n)) if !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()) => {
                match n.parse::<u32>() {
                    Ok(i) => (b.len(), i),
                    Err(_) => continue,
                }
            }
            _ => (base.len(), 0),
        };
        let base = if base_len == name.len() {
            name
        } else {
            prefix(&name, base_len)
        };
        if !order.iter().any(|(n, _)| *n == base) {
            // `lower_name` changes only the case of ASCII letters of this text, so the
            // base has the same length in it.
            let written = String::from_utf8_lossy(raw_name);
            order.push((base.clone(), prefix(&written, base_len)));
        }
        sections.push((
            base,
            Section {
                index,
                extended,
                value,
            },
        ));
    }
    let mut params = Vec::with_capacity(order.len());
    for (name, written_name) in order {
        let mut mine: Vec<&Section<'_>> = sections
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, s)| s)
            .collect();
        mine.sort_by_key(|s| s.index);
        mine.dedup_by_key(|s| s.index);
        if let [only] = mine[..]
            && !only.extended
        {
            params.push(ParamRef {
                name,
                written_name,
                value: plain_value(unquote(only.value)),
                charset: None,
                language: None,
            });
            continue;
        }
        let mut bytes = Vec::new();
        let mut charset = None;
        let mut language = None;
        let mut any_extended = false;
        for (i, s) in mine.iter().enumerate() {
            if s.extended {
                any_extended = true;
                let unquoted = unquote(s.value);
                let mut v: &[u8] = &unquoted;
                if i == 0 {
                    let mut parts = v.splitn(3, |&b| b == b'\'');
                    if let (Some(cs), Some(lang), Some(rest)) =
                        (parts.next(), parts.next(), parts.next())
                    {
                        charset =
                            (!cs.is_empty()).then(|| String::from_utf8_lossy(cs).into_owned());
                        language =
                            (!lang.is_empty()).then(|| String::from_utf8_lossy(lang).into_owned());
                        v = rest;
                    }
                }
                percent_decode(v, &mut bytes);
            } else {
                bytes.extend_from_slice(&unquote(s.value));
            }
        }
        let value = if any_extended {
            match charset.as_deref().and_then(Charset::for_label) {
                Some(cs) => cs.decode(&bytes).0.into_owned(),
                None => lossy_text(&bytes).into_owned(),
            }
        } else {
            // Many mailers put RFC 2047 words in parameters although RFC 2047 §5 forbids it.
            decode_text(&bytes)
        };
        params.push(ParamRef {
            name,
            written_name,
            value: Cow::Owned(value),
            charset: charset.map(Cow::Owned),
            language: language.map(Cow::Owned),
        });
    }
    params
}

/// A lowercase name (type, subtype, disposition type) read from a field value.
#[derive(Debug, Clone)]
enum Name {
    /// A well-known name, whatever its case in the field.
    Known(&'static str),
    /// Bytes of the value that are lowercase UTF-8 already.
    Span(usize, usize),
    /// Anything else, lowercased (and read leniently if it is not UTF-8).
    Lowered(String),
}

/// Names common enough that reading them should not allocate.
const KNOWN_NAMES: &[&str] = &[
    "text",
    "plain",
    "html",
    "multipart",
    "mixed",
    "alternative",
    "related",
    "digest",
    "signed",
    "encrypted",
    "report",
    "parallel",
    "message",
    "rfc822",
    "global",
    "delivery-status",
    "disposition-notification",
    "external-body",
    "partial",
    "application",
    "octet-stream",
    "pdf",
    "zip",
    "json",
    "xml",
    "ms-tnef",
    "pgp-signature",
    "pgp-encrypted",
    "pkcs7-signature",
    "pkcs7-mime",
    "x-pkcs7-signature",
    "msword",
    "image",
    "jpeg",
    "png",
    "gif",
    "audio",
    "video",
    "calendar",
    "csv",
    "enriched",
    "rtf",
    "inline",
    "attachment",
];

impl Name {
    fn read(value: &FieldValue<'_>, start: usize, end: usize) -> Name {
        let bytes = &value.bytes()[start..end];
        let lowercase = !bytes
            .iter()
            .fold(false, |upper, b| upper | b.is_ascii_uppercase());
        if lowercase
            && (matches!(value, FieldValue::Text(_))
                || bytes.is_ascii()
                || std::str::from_utf8(bytes).is_ok())
        {
            return Name::Span(start, end);
        }
        match KNOWN_NAMES
            .iter()
            .find(|k| bytes.eq_ignore_ascii_case(k.as_bytes()))
        {
            Some(known) => Name::Known(known),
            None => Name::Lowered(String::from_utf8_lossy(bytes).to_ascii_lowercase()),
        }
    }

    /// Whether the name is `other` (case-insensitive).
    fn is(&self, value: &FieldValue<'_>, other: &str) -> bool {
        match self {
            Name::Known(s) => s.eq_ignore_ascii_case(other),
            Name::Span(start, end) => {
                value.bytes()[*start..*end].eq_ignore_ascii_case(other.as_bytes())
            }
            Name::Lowered(s) => s.eq_ignore_ascii_case(other),
        }
    }

    #[inline]
    fn as_str<'s>(&'s self, value: &'s FieldValue<'_>) -> &'s str {
        match self {
            Name::Known(s) => s,
            Name::Span(start, end) => value.text(*start, *end).unwrap_or_default(),
            Name::Lowered(s) => s,
        }
    }

    fn into_owned(self, value: &FieldValue<'_>) -> Cow<'static, str> {
        match self {
            Name::Known(s) => Cow::Borrowed(s),
            Name::Span(..) => type_name(self.as_str(value)),
            Name::Lowered(s) => Cow::Owned(s),
        }
    }
}

/// Bytes of a token (RFC 2045 §5.1): any CHAR except SPACE, CTLs and tspecials.
const TOKEN: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        #[allow(clippy::cast_possible_truncation, reason = "b < 256")]
        let byte = b as u8;
        t[b] = byte > b' '
            && byte < 127
            && !matches!(
                byte,
                b'(' | b')'
                    | b'<'
                    | b'>'
                    | b'@'
                    | b','
                    | b';'
                    | b':'
                    | b'\\'
                    | b'"'
                    | b'/'
                    | b'['
                    | b']'
                    | b'?'
                    | b'='
            );
        b += 1;
    }
    t
};

/// Bounds of `value[start..end]` with surrounding whitespace trimmed.
fn trim_span(value: &[u8], mut start: usize, mut end: usize) -> (usize, usize) {
    while start < end && value[start].is_ascii_whitespace() {
        start += 1;
    }
    while end > start && value[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    (start, end)
}

/// The value with comments removed, borrowed as long as the input is.
fn without_comments(value: Cow<'_, [u8]>) -> Cow<'_, [u8]> {
    // Most values have no comment; a fold without an early exit is the cheapest look.
    if !value.iter().fold(false, |found, &b| found | (b == b'(')) {
        return value;
    }
    match value {
        Cow::Borrowed(v) => strip_comments(v),
        Cow::Owned(v) => match strip_comments(&v) {
            // Nothing was removed.
            Cow::Borrowed(_) => Cow::Owned(v),
            Cow::Owned(stripped) => Cow::Owned(stripped),
        },
    }
}

/// A field value with comments removed, kept as text when it is UTF-8 (checked once, when
/// it is read) so that names and values can be handed out without checking them again.
#[derive(Clone)]
enum FieldValue<'a> {
    Text(Cow<'a, str>),
    Bytes(Cow<'a, [u8]>),
}

impl<'a> FieldValue<'a> {
    fn new(value: Cow<'a, [u8]>) -> FieldValue<'a> {
        match value {
            Cow::Borrowed(b) => match std::str::from_utf8(b) {
                Ok(s) => FieldValue::Text(Cow::Borrowed(s)),
                Err(_) => FieldValue::Bytes(Cow::Borrowed(b)),
            },
            Cow::Owned(v) => match String::from_utf8(v) {
                Ok(s) => FieldValue::Text(Cow::Owned(s)),
                Err(e) => FieldValue::Bytes(Cow::Owned(e.into_bytes())),
            },
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            FieldValue::Text(s) => s.as_bytes(),
            FieldValue::Bytes(b) => b,
        }
    }

    /// `bytes()[start..end]` as text, if it is UTF-8.
    #[inline]
    fn text(&self, start: usize, end: usize) -> Option<&str> {
        match self {
            FieldValue::Text(s) => s.get(start..end),
            FieldValue::Bytes(b) => std::str::from_utf8(&b[start..end]).ok(),
        }
    }
}

/// How many parameters a [`Shape::Plain`] list keeps the bounds of.
const PLAIN_MAX: usize = 4;

/// Where a parameter that reads as written lies in its field value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct PlainParam {
    name: (u16, u16),
    value: (u16, u16),
}

/// What reading a parameter list involves, found once when the field is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// No RFC 2231 names, and every parameter read is a lowercase ASCII name and a value
    /// that [`plain_value`] would borrow: their bounds, the first of each name only.
    Plain {
        len: u8,
        params: [PlainParam; PLAIN_MAX],
    },
    /// No RFC 2231 names (no `*`), but some parameter has to be copied when read.
    Simple,
    /// RFC 2231 sections or extended values: parameters are joined by name.
    Joined,
}

/// [`NAME_CLASS`] bits: an RFC 2231 `*`, a byte above 127, an upper-case letter.
const STAR: u8 = 1;
const NOT_ASCII: u8 = 2;
const UPPER: u8 = 4;

/// What each byte of a parameter name tells [`ParamList::find_shape`].
const NAME_CLASS: [u8; 256] = {
    let mut t = [0; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = if b == b'*' as usize {
            STAR
        } else if b >= 128 {
            NOT_ASCII
        } else if b >= b'A' as usize && b <= b'Z' as usize {
            UPPER
        } else {
            0
        };
        b += 1;
    }
    t
};

/// The bounds of `inner`, a slice of `outer`, if they fit a [`PlainParam`].
fn bounds(outer: &[u8], inner: &[u8]) -> Option<(u16, u16)> {
    let start = inner.as_ptr().addr().checked_sub(outer.as_ptr().addr())?;
    let end = start + inner.len();
    Some((u16::try_from(start).ok()?, u16::try_from(end).ok()?))
}

fn span(b: (u16, u16)) -> std::ops::Range<usize> {
    usize::from(b.0)..usize::from(b.1)
}

/// The parameter segments of a value with comments removed: an optional segment cut from
/// the type (a missing `;`), then everything after the first `;`.
#[derive(Clone)]
struct ParamList<'a> {
    value: FieldValue<'a>,
    inserted: Option<(usize, usize)>,
    rest: Option<usize>,
    shape: Shape,
    /// Whether text after a value was skipped (see [`name_value_rest`]).
    skipped: bool,
}

/// The segments of a [`ParamList`], in order.
#[derive(Debug, Clone)]
struct ListSegments<'s> {
    inserted: Option<&'s [u8]>,
    rest: Segments<'s>,
}

impl<'s> Iterator for ListSegments<'s> {
    type Item = &'s [u8];

    fn next(&mut self) -> Option<&'s [u8]> {
        self.inserted.take().or_else(|| self.rest.next())
    }
}

impl<'a> ParamList<'a> {
    fn new(
        value: FieldValue<'a>,
        inserted: Option<(usize, usize)>,
        rest: Option<usize>,
    ) -> ParamList<'a> {
        let mut list = ParamList {
            value,
            inserted,
            rest,
            shape: Shape::Simple,
            skipped: false,
        };
        (list.shape, list.skipped) = list.find_shape();
        list
    }

    fn segments(&self) -> ListSegments<'_> {
        let value = self.value.bytes();
        ListSegments {
            inserted: self.inserted.map(|(s, e)| &value[s..e]),
            rest: Segments {
                rest: self.rest.map(|r| &value[r..]),
            },
        }
    }

    /// One pass over the segments, reading them as [`Params`] and [`ParamList::param`]
    /// read a list without RFC 2231 names; also whether text after a value was skipped.
    fn find_shape(&self) -> (Shape, bool) {
        let whole = self.value.bytes();
        let mut params = [PlainParam::default(); PLAIN_MAX];
        let mut len = 0;
        let mut plain = matches!(self.value, FieldValue::Text(_));
        let mut skipped = false;
        let mut segments = self.segments().filter_map(name_value_rest);
        while let Some((name, value, rest)) = segments.next() {
            skipped |= rest;
            let class = name
                .iter()
                .fold(0, |class, &b| class | NAME_CLASS[usize::from(b)]);
            if class & STAR != 0 {
                skipped |= segments.any(|(_, _, rest)| rest);
                return (Shape::Joined, skipped);
            }
            if !plain {
                continue;
            }
            if class & NOT_ASCII != 0 {
                plain = false;
                continue;
            }
            // The first parameter of a name wins.
            if params[..len]
                .iter()
                .any(|p| whole[span(p.name)].eq_ignore_ascii_case(name))
            {
                continue;
            }
            let found = match quoted_content(value) {
                // `unquote` would borrow this content.
                (v, false) if len < PLAIN_MAX && class & UPPER == 0 && !has_encoded_word(v) => {
                    bounds(whole, name).zip(bounds(whole, v))
                }
                _ => None,
            };
            match found {
                Some((name, value)) => {
                    params[len] = PlainParam { name, value };
                    len += 1;
                }
                None => plain = false,
            }
        }
        let shape = match u8::try_from(len) {
            Ok(len) if plain => Shape::Plain { len, params },
            _ => Shape::Simple,
        };
        (shape, skipped)
    }

    /// The text and bounds of a [`Shape::Plain`] list.
    fn plain(&self) -> Option<(&str, &[PlainParam])> {
        match (&self.value, &self.shape) {
            (FieldValue::Text(text), Shape::Plain { len, params }) => {
                Some((text, &params[..usize::from(*len)]))
            }
            _ => None,
        }
    }

    fn params(&self) -> Params<'_> {
        if let Some((text, params)) = self.plain() {
            return Params {
                inner: ParamsInner::Plain {
                    text,
                    params: params.iter(),
                },
            };
        }
        self.params_read()
    }

    /// The parameters read from the segments, without the bounds kept for a plain list.
    fn params_read(&self) -> Params<'_> {
        let inner = if self.shape == Shape::Joined {
            ParamsInner::Joined(joined_params(self.segments()).into_iter())
        } else {
            let segments = self.segments();
            ParamsInner::Simple {
                first: segments.clone(),
                next: segments,
                seen: 0,
            }
        };
        Params { inner }
    }

    fn params_as_written(&self) -> WrittenParams<'_> {
        let inner = if self.shape == Shape::Joined {
            WrittenInner::Joined(joined_as_written(self.segments()).into_iter())
        } else {
            WrittenInner::Segments(self.segments())
        };
        WrittenParams { inner }
    }

    fn param(&self, name: &str) -> Option<Cow<'_, str>> {
        if let Some((text, params)) = self.plain() {
            return params
                .iter()
                .find(|p| text.as_bytes()[span(p.name)].eq_ignore_ascii_case(name.as_bytes()))
                .map(|p| plain_text(text, p.value));
        }
        self.param_read(name)
    }

    /// A parameter read from the segments, without the bounds kept for a plain list.
    fn param_read(&self, name: &str) -> Option<Cow<'_, str>> {
        if self.shape == Shape::Joined {
            joined_params(self.segments())
                .into_iter()
                .find(|p| p.name.eq_ignore_ascii_case(name))
                .map(|p| p.value)
        } else {
            // The first parameter of a name wins, so the first match is the one.
            self.segments()
                .filter_map(name_value)
                .find(|(n, _)| name_is(n, name))
                .map(|(_, v)| plain_value(unquote(v)))
        }
    }
}

/// The text at bounds kept by [`ParamList::find_shape`], which lie on ASCII bytes.
fn plain_text(text: &str, bounds: (u16, u16)) -> Cow<'_, str> {
    Cow::Borrowed(text.get(span(bounds)).unwrap_or_default())
}

/// Whether two raw names read as the same lowercase name.
fn same_name(a: &[u8], b: &[u8]) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        lower_name(a) == lower_name(b)
    }
}

/// The parameters of a [`ContentTypeRef`] or [`ContentDispositionRef`], in order of first
/// appearance.
#[derive(Debug, Clone)]
pub struct Params<'s> {
    inner: ParamsInner<'s>,
}

#[derive(Debug, Clone)]
enum ParamsInner<'s> {
    /// The bounds kept by a [`Shape::Plain`] list.
    Plain {
        text: &'s str,
        params: std::slice::Iter<'s, PlainParam>,
    },
    /// No RFC 2231 names: one segment per parameter, the first of a name wins.
    Simple {
        first: ListSegments<'s>,
        next: ListSegments<'s>,
        /// Segments already passed.
        seen: usize,
    },
    Joined(std::vec::IntoIter<ParamRef<'s>>),
}

impl<'s> Iterator for Params<'s> {
    type Item = ParamRef<'s>;

    fn next(&mut self) -> Option<ParamRef<'s>> {
        match &mut self.inner {
            ParamsInner::Plain { text, params } => {
                let p = params.next()?;
                // Plain names are lowercase as written.
                Some(ParamRef {
                    name: plain_text(text, p.name),
                    written_name: plain_text(text, p.name),
                    value: plain_text(text, p.value),
                    charset: None,
                    language: None,
                })
            }
            ParamsInner::Simple { first, next, seen } => loop {
                let seg = next.next()?;
                let earlier = first.clone().take(*seen);
                *seen += 1;
                let Some((name, value)) = name_value(seg) else {
                    continue;
                };
                let repeated = earlier
                    .filter_map(name_value)
                    .any(|(n, _)| same_name(n, name));
                if !repeated {
                    return Some(ParamRef {
                        name: lower_name(name),
                        written_name: String::from_utf8_lossy(name),
                        value: plain_value(unquote(value)),
                        charset: None,
                        language: None,
                    });
                }
            },
            ParamsInner::Joined(params) => params.next(),
        }
    }
}

/// Where the parts of a `Content-Type` value (comments removed) lie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TypeBounds {
    /// The type and the subtype, when both are tokens.
    halves: Option<((usize, usize), (usize, usize))>,
    /// A parameter written after the type without a `;`.
    inserted: Option<(usize, usize)>,
    /// Where the parameters after the first `;` start.
    rest: Option<usize>,
    /// Whether the halves are known to have no upper-case letters.
    lowercase: bool,
}

impl TypeBounds {
    fn find(v: &[u8]) -> TypeBounds {
        TypeBounds::plain(v).unwrap_or_else(|| TypeBounds::read(v))
    }

    /// The common value that starts with `token/token` followed by `;` or its end: what
    /// [`TypeBounds::read`] finds in it, since there is no whitespace to trim, no missing
    /// `;` and no quote before the first `;`, without the scans that find so.
    fn plain(v: &[u8]) -> Option<TypeBounds> {
        let mut upper = false;
        let mut not_token = |b: &u8| {
            upper |= b.is_ascii_uppercase();
            !TOKEN[usize::from(*b)]
        };
        let slash = v.iter().position(&mut not_token)?;
        if slash == 0 || v[slash] != b'/' {
            return None;
        }
        let end = v[slash + 1..]
            .iter()
            .position(&mut not_token)
            .map_or(v.len(), |n| slash + 1 + n);
        let rest = match v.get(end) {
            _ if end == slash + 1 => return None,
            None => None,
            Some(b';') => Some(end + 1),
            Some(_) => return None,
        };
        Some(TypeBounds {
            halves: Some(((0, slash), (slash + 1, end))),
            inserted: None,
            rest,
            lowercase: !upper,
        })
    }

    /// The first segment split into type and subtype, trimmed, and checked as tokens.
    fn read(v: &[u8]) -> TypeBounds {
        let mut segments = Segments { rest: Some(v) };
        let first_end = segments.next().map_or(0, <[u8]>::len);
        let rest = segments.rest.map(|r| v.len() - r.len());
        let (mut start, mut end) = trim_span(v, 0, first_end);
        let mut inserted = None;
        // `multipart/mixed boundary=x`: a missing `;` before the first parameter.
        if let Some(ws) = v[start..end].iter().position(u8::is_ascii_whitespace)
            && v[start + ws..end].contains(&b'=')
        {
            inserted = Some((start + ws, end));
            (start, end) = trim_span(v, start, start + ws);
        }
        let is_token = |s: &[u8]| !s.is_empty() && s.iter().all(|&b| TOKEN[usize::from(b)]);
        let halves = v[start..end].iter().position(|&b| b == b'/').map(|i| {
            (
                trim_span(v, start, start + i),
                trim_span(v, start + i + 1, end),
            )
        });
        let halves =
            halves.filter(|((ms, me), (ss, se))| is_token(&v[*ms..*me]) && is_token(&v[*ss..*se]));
        TypeBounds {
            halves,
            inserted,
            rest,
            lowercase: false,
        }
    }
}

/// A `Content-Type` value read without copying: the lowercase type and subtype and the
/// parameters exactly as [`ContentType`] has them, borrowed from the field where the
/// written bytes are the value.
///
/// A value is copied only when it has to change: a name with upper-case letters, a quoted
/// string with escapes or folds, encoded words, RFC 2231 sections or charsets. A field
/// that is folded or has comments is unfolded into one copy, which the view owns and the
/// parameters then borrow from. When every parameter is borrowed as written (a lowercase
/// ASCII name, a value without escapes or encoded words; at most four), the view keeps
/// where they lie when it is read and [`ContentTypeRef::params`] and
/// [`ContentTypeRef::param`] only hand out slices; otherwise the parameters are read again
/// on each call.
///
/// ```
/// use std::borrow::Cow;
/// use mailwire_mime::ContentTypeRef;
///
/// let ct = ContentTypeRef::parse(b"Text/Plain; charset=utf-8; Format=\"flowed\"");
/// assert_eq!((ct.main_type(), ct.subtype()), ("text", "plain"));
/// let params: Vec<(Cow<'_, str>, Cow<'_, str>)> =
///     ct.params().map(|p| (p.name, p.value)).collect();
/// assert_eq!(params, [("charset".into(), "utf-8".into()), ("format".into(), "flowed".into())]);
/// // Written in lowercase, token or plain quoted string: nothing was copied.
/// assert!(ct.params().all(|p| matches!(p.value, Cow::Borrowed(_))));
/// assert_eq!(ct.into_owned(), mailwire_mime::ContentType::parse(b"text/plain; charset=utf-8; format=flowed"));
/// ```
#[derive(Clone)]
pub struct ContentTypeRef<'a> {
    main: Name,
    sub: Name,
    /// Where the type and the subtype are written, when they were read.
    written: Option<[u32; 4]>,
    malformed: bool,
    list: ParamList<'a>,
}

impl<'a> ContentTypeRef<'a> {
    /// Reads an unfolded `Content-Type` value, as [`ContentType::parse`] does.
    pub fn parse(value: &'a [u8]) -> ContentTypeRef<'a> {
        ContentTypeRef::read(Cow::Borrowed(value))
    }

    /// Reads an unfolded value that may be owned.
    pub(crate) fn read(value: Cow<'a, [u8]>) -> ContentTypeRef<'a> {
        let value = without_comments(value);
        let TypeBounds {
            halves,
            inserted,
            rest,
            lowercase,
        } = TypeBounds::find(&value);
        let written = halves.and_then(|((ms, me), (ss, se))| {
            let at = |i: usize| u32::try_from(i).ok();
            Some([at(ms)?, at(me)?, at(ss)?, at(se)?])
        });
        let value = FieldValue::new(value);
        let (main, sub, malformed) = match halves {
            // Tokens are ASCII, so lowercase ones are read as written.
            Some(((ms, me), (ss, se))) if lowercase => {
                (Name::Span(ms, me), Name::Span(ss, se), false)
            }
            Some(((ms, me), (ss, se))) => (
                Name::read(&value, ms, me),
                Name::read(&value, ss, se),
                false,
            ),
            None => (Name::Known("text"), Name::Known("plain"), true),
        };
        ContentTypeRef {
            main,
            sub,
            written,
            malformed,
            list: ParamList::new(value, inserted, rest),
        }
    }

    /// The top-level type, lowercase (`text`).
    #[inline]
    pub fn main_type(&self) -> &str {
        self.main.as_str(&self.list.value)
    }

    /// The subtype, lowercase (`plain`).
    #[inline]
    pub fn subtype(&self) -> &str {
        self.sub.as_str(&self.list.value)
    }

    /// Whether this is `main/sub` (case-insensitive).
    pub fn is(&self, main: &str, sub: &str) -> bool {
        self.main.is(&self.list.value, main) && self.sub.is(&self.list.value, sub)
    }

    /// The top-level type as written (`Text`); [`ContentTypeRef::main_type`] when the
    /// value could not be read.
    pub fn main_type_as_written(&self) -> &str {
        self.written_half(0).unwrap_or_else(|| self.main_type())
    }

    /// The subtype as written (`HTML`); [`ContentTypeRef::subtype`] when the value could
    /// not be read.
    pub fn subtype_as_written(&self) -> &str {
        self.written_half(2).unwrap_or_else(|| self.subtype())
    }

    fn written_half(&self, at_half: usize) -> Option<&str> {
        let b = self.written?;
        let at = |i: usize| usize::try_from(b[i]).ok();
        // Tokens, so ASCII and always text.
        self.list.value.text(at(at_half)?, at(at_half + 1)?)
    }

    /// Whether the subtype is `sub` (case-insensitive).
    pub(crate) fn subtype_is(&self, sub: &str) -> bool {
        self.sub.is(&self.list.value, sub)
    }

    /// Whether the written value could not be read and `text/plain` was used.
    pub fn is_malformed(&self) -> bool {
        self.malformed
    }

    /// Whether text after a parameter's value was skipped: a value is a token or a quoted
    /// string, and what follows it up to the next `;` (most often another parameter whose
    /// `;` is missing) is not read, as Dovecot does not read it.
    ///
    /// ```
    /// use mailwire_mime::ContentTypeRef;
    /// let ct = ContentTypeRef::parse(b"text/plain; comment=\"\"  comment=\"x\"; charset=utf-8");
    /// assert!(ct.skipped_text());
    /// assert_eq!(ct.param("comment").as_deref(), Some(""));
    /// assert_eq!(ct.charset().as_deref(), Some("utf-8"));
    /// ```
    pub fn skipped_text(&self) -> bool {
        self.list.skipped
    }

    /// The parameters, in order of first appearance, as [`ContentType::params`] has them.
    pub fn params(&self) -> Params<'_> {
        self.list.params()
    }

    /// A parameter's decoded value (name case-insensitive).
    pub fn param(&self, name: &str) -> Option<Cow<'_, str>> {
        self.list.param(name)
    }

    /// The parameters as written, in order, repeated names included, nothing decoded:
    /// what RFC 3501 §7.4.2 asks a server to pass on in `body-fld-param`, as Dovecot
    /// writes it (RFC 2231 sections are joined, see [`WrittenParam`]).
    ///
    /// ```
    /// let ct = mailwire_mime::ContentTypeRef::parse(
    ///     b"text/plain; name=\"=?utf-8?q?a?=\"; title*1=\"b%\"; title*0*=us-ascii'en'a%20",
    /// );
    /// let params: Vec<(Vec<u8>, Vec<u8>)> = ct
    ///     .params_as_written()
    ///     .map(|p| (p.name.into_owned(), p.value.into_owned()))
    ///     .collect();
    /// assert_eq!(
    ///     params,
    ///     [
    ///         (b"name".to_vec(), b"=?utf-8?q?a?=".to_vec()),
    ///         (b"title*".to_vec(), b"us-ascii'en'a%20b%25".to_vec()),
    ///     ]
    /// );
    /// ```
    pub fn params_as_written(&self) -> WrittenParams<'_> {
        self.list.params_as_written()
    }

    /// The `charset` parameter.
    pub fn charset(&self) -> Option<Cow<'_, str>> {
        self.param("charset")
    }

    /// The `boundary` parameter of a multipart.
    pub fn boundary(&self) -> Option<Cow<'_, str>> {
        self.param("boundary")
    }

    /// The owned [`ContentType`].
    pub fn into_owned(self) -> ContentType {
        let params = self.params().map(ParamRef::into_owned).collect();
        let value = &self.list.value;
        ContentType {
            main: self.main.into_owned(value),
            sub: self.sub.into_owned(value),
            params,
            malformed: self.malformed,
        }
    }
}

impl fmt::Debug for ContentTypeRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContentTypeRef")
            .field("main", &self.main_type())
            .field("sub", &self.subtype())
            .field("params", &self.params().collect::<Vec<_>>())
            .field("malformed", &self.malformed)
            .finish()
    }
}

/// A `Content-Disposition` value (RFC 2183) read without copying: the lowercase type and
/// the parameters exactly as [`ContentDisposition`] has them.
///
/// ```
/// use mailwire_mime::ContentDispositionRef;
///
/// let cd = ContentDispositionRef::parse(b"Attachment; filename*=utf-8''na%C3%AFve.txt; size=12");
/// assert_eq!(cd.kind(), "attachment");
/// let params: Vec<(String, String)> =
///     cd.params().map(|p| (p.name.into_owned(), p.value.into_owned())).collect();
/// assert_eq!(params, [("filename".to_owned(), "na\u{ef}ve.txt".to_owned()), ("size".to_owned(), "12".to_owned())]);
/// ```
#[derive(Clone)]
pub struct ContentDispositionRef<'a> {
    kind: Name,
    /// Where the type is written.
    written: (usize, usize),
    list: ParamList<'a>,
}

impl<'a> ContentDispositionRef<'a> {
    /// Reads an unfolded value, as [`ContentDisposition::parse`] does.
    pub fn parse(value: &'a [u8]) -> ContentDispositionRef<'a> {
        ContentDispositionRef::read(Cow::Borrowed(value))
    }

    /// Reads an unfolded value that may be owned.
    pub(crate) fn read(value: Cow<'a, [u8]>) -> ContentDispositionRef<'a> {
        let value = without_comments(value);
        let v: &[u8] = &value;
        let mut segments = Segments { rest: Some(v) };
        let first_end = segments.next().map_or(0, <[u8]>::len);
        let rest = segments.rest.map(|r| v.len() - r.len());
        let (start, end) = trim_span(v, 0, first_end);
        let value = FieldValue::new(value);
        ContentDispositionRef {
            kind: Name::read(&value, start, end),
            written: (start, end),
            list: ParamList::new(value, None, rest),
        }
    }

    /// The disposition type, lowercase (`inline`, `attachment`, …).
    #[inline]
    pub fn kind(&self) -> &str {
        self.kind.as_str(&self.list.value)
    }

    /// Whether the type is `attachment`.
    pub fn is_attachment(&self) -> bool {
        self.kind.is(&self.list.value, "attachment")
    }

    /// The disposition type as written (`Attachment`); [`ContentDispositionRef::kind`]
    /// when it is not UTF-8.
    pub fn kind_as_written(&self) -> &str {
        let (start, end) = self.written;
        self.list
            .value
            .text(start, end)
            .unwrap_or_else(|| self.kind())
    }

    /// Whether text after a parameter's value was skipped (see
    /// [`ContentTypeRef::skipped_text`]).
    pub fn skipped_text(&self) -> bool {
        self.list.skipped
    }

    /// Whether the type is `inline`.
    pub fn is_inline(&self) -> bool {
        self.kind.is(&self.list.value, "inline")
    }

    /// The parameters, as [`ContentDisposition::params`] has them.
    pub fn params(&self) -> Params<'_> {
        self.list.params()
    }

    /// A parameter's decoded value (name case-insensitive).
    pub fn param(&self, name: &str) -> Option<Cow<'_, str>> {
        self.list.param(name)
    }

    /// The parameters as written (see [`ContentTypeRef::params_as_written`]).
    pub fn params_as_written(&self) -> WrittenParams<'_> {
        self.list.params_as_written()
    }

    /// The `filename` parameter.
    pub fn filename(&self) -> Option<Cow<'_, str>> {
        self.param("filename")
    }

    /// The owned [`ContentDisposition`].
    pub fn into_owned(self) -> ContentDisposition {
        let params = self.params().map(ParamRef::into_owned).collect();
        ContentDisposition {
            kind: self.kind.into_owned(&self.list.value).into_owned(),
            params,
        }
    }
}

impl fmt::Debug for ContentDispositionRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContentDispositionRef")
            .field("kind", &self.kind())
            .field("params", &self.params().collect::<Vec<_>>())
            .finish()
    }
}

fn find<'p>(params: &'p [Param], name: &str) -> Option<&'p str> {
    params
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
        .map(|p| p.value.as_str())
}

/// A `Content-Type` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentType {
    main: Cow<'static, str>,
    sub: Cow<'static, str>,
    params: Vec<Param>,
    malformed: bool,
}

impl Default for ContentType {
    /// `text/plain; charset=us-ascii`, the RFC 2045 §5.2 default.
    fn default() -> Self {
        ContentType::new("text", "plain").with_param("charset", "us-ascii")
    }
}

/// A type name lowercased, without allocating for well-known names.
fn type_name(name: &str) -> Cow<'static, str> {
    match KNOWN_NAMES.iter().find(|k| name.eq_ignore_ascii_case(k)) {
        Some(known) => Cow::Borrowed(known),
        None => Cow::Owned(name.to_ascii_lowercase()),
    }
}

impl ContentType {
    /// A type from its two halves (lowercased), no parameters.
    pub fn new(main: &str, sub: &str) -> ContentType {
        ContentType {
            main: type_name(main),
            sub: type_name(sub),
            params: Vec::new(),
            malformed: false,
        }
    }

    /// Adds (or replaces) a parameter.
    #[must_use]
    pub fn with_param(mut self, name: &str, value: &str) -> ContentType {
        let name = name.to_ascii_lowercase();
        self.params.retain(|p| p.name != name);
        self.params.push(Param {
            name,
            value: value.to_owned(),
            charset: None,
            language: None,
        });
        self
    }

    /// Reads an unfolded `Content-Type` value. A value without `type/subtype` gives
    /// `text/plain` (RFC 2045 §5.2) with [`ContentType::is_malformed`] set.
    ///
    /// ```
    /// use mailwire_mime::ContentType;
    /// let ct = ContentType::parse(b"Text/HTML; Charset=\"ISO-8859-1\" (comment)");
    /// assert_eq!(ct.mime_type(), "text/html");
    /// assert_eq!(ct.charset(), Some("ISO-8859-1"));
    /// ```
    pub fn parse(value: &[u8]) -> ContentType {
        ContentTypeRef::parse(value).into_owned()
    }

    /// The top-level type, lowercase (`text`).
    pub fn main_type(&self) -> &str {
        &self.main
    }

    /// The subtype, lowercase (`plain`).
    pub fn subtype(&self) -> &str {
        &self.sub
    }

    /// `type/subtype`, lowercase.
    pub fn mime_type(&self) -> String {
        format!("{}/{}", self.main, self.sub)
    }

    /// Whether this is `main/sub` (case-insensitive).
    pub fn is(&self, main: &str, sub: &str) -> bool {
        self.main.eq_ignore_ascii_case(main) && self.sub.eq_ignore_ascii_case(sub)
    }

    /// Whether the written value could not be read and the default was used.
    pub fn is_malformed(&self) -> bool {
        self.malformed
    }

    /// All parameters, in order of first appearance.
    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// A parameter's decoded value (name case-insensitive).
    pub fn param(&self, name: &str) -> Option<&str> {
        find(&self.params, name)
    }

    /// The `charset` parameter.
    pub fn charset(&self) -> Option<&str> {
        self.param("charset")
    }

    /// The `boundary` parameter of a multipart.
    pub fn boundary(&self) -> Option<&str> {
        self.param("boundary")
    }
}

/// A `Content-Disposition` value (RFC 2183).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentDisposition {
    kind: String,
    params: Vec<Param>,
}

impl ContentDisposition {
    /// Reads an unfolded value.
    ///
    /// ```
    /// use mailwire_mime::ContentDisposition;
    /// let cd = ContentDisposition::parse(b"attachment; filename*=utf-8''na%C3%AFve.txt");
    /// assert!(cd.is_attachment());
    /// assert_eq!(cd.filename(), Some("na\u{ef}ve.txt"));
    /// ```
    pub fn parse(value: &[u8]) -> ContentDisposition {
        ContentDispositionRef::parse(value).into_owned()
    }

    /// The disposition type, lowercase (`inline`, `attachment`, …).
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// Whether the type is `attachment`.
    pub fn is_attachment(&self) -> bool {
        self.kind == "attachment"
    }

    /// Whether the type is `inline`.
    pub fn is_inline(&self) -> bool {
        self.kind == "inline"
    }

    /// All parameters.
    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// A parameter's decoded value.
    pub fn param(&self, name: &str) -> Option<&str> {
        find(&self.params, name)
    }

    /// The `filename` parameter.
    pub fn filename(&self) -> Option<&str> {
        self.param("filename")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(value: &[u8]) -> Vec<(String, String)> {
        ContentDispositionRef::parse(value)
            .params_as_written()
            .map(|p| {
                (
                    String::from_utf8_lossy(&p.name).into_owned(),
                    String::from_utf8_lossy(&p.value).into_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn parameters_as_written_join_sections_as_dovecot_does() {
        assert_eq!(
            written(b"attachment; b*1=\"2%\"; A=\"x\\\"y\"; b*0*=utf-8''%41; a=again; c*1=z"),
            [
                ("A".into(), "x\"y".into()),
                ("a".into(), "again".into()),
                ("b*".into(), "utf-8''%412%25".into()),
                ("c*1".into(), "z".into()),
            ]
        );
        // Sections without the extended mark; a bare `u*` takes the number of the section
        // before it (1 here, so section 0 is missing), as Dovecot 2.3 reads it.
        assert_eq!(
            written(b"inline; t*0=a; t*1=b; u*=x''y; v*x=1"),
            [
                ("v*x".into(), "1".into()),
                ("t".into(), "ab".into()),
                ("u*1*".into(), "x''y".into()),
            ]
        );
    }

    #[test]
    fn plain_lists_keep_the_first_of_a_repeated_name() {
        let ct = ContentType::parse(
            b"text/plain; A=1; b=\"x; y\"; a=2; =nameless; noeq; c==?utf-8?q?caf=C3=A9?=",
        );
        let got: Vec<(&str, &str)> = ct
            .params()
            .iter()
            .map(|p| (p.name.as_str(), p.value.as_str()))
            .collect();
        assert_eq!(got, [("a", "1"), ("b", "x; y"), ("c", "caf\u{e9}")]);
    }

    #[test]
    fn rfc2045_examples() {
        let a = ContentType::parse(b"text/plain; charset=us-ascii (Plain text)");
        let b = ContentType::parse(b"text/plain; charset=\"us-ascii\"");
        assert_eq!(a, b);
        assert_eq!(a.charset(), Some("us-ascii"));
        let c = ContentType::parse(b"multipart/mixed; boundary=\"simple boundary\"");
        assert_eq!(c.boundary(), Some("simple boundary"));
    }

    #[test]
    fn rfc2231_section_3_continuations() {
        let ct = ContentType::parse(
            b"message/external-body; access-type=URL;\r\n URL*0=\"ftp://\";\r\n URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"",
        );
        assert_eq!(
            ct.param("url"),
            Some("ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar")
        );
        assert_eq!(ct.param("access-type"), Some("URL"));
        assert_eq!(ct.params().len(), 2);
    }

    #[test]
    fn rfc2231_section_4_charset_and_language() {
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
    fn rfc2231_section_4_1_mixed_continuations() {
        let ct = ContentType::parse(
            b"application/x-stuff;\r\n title*0*=us-ascii'en'This%20is%20even%20more%20;\r\n title*1*=%2A%2A%2Afun%2A%2A%2A%20;\r\n title*2=\"isn't it!\"",
        );
        let p = &ct.params()[0];
        assert_eq!(p.value, "This is even more ***fun*** isn't it!");
        assert_eq!(p.language.as_deref(), Some("en"));
    }

    #[test]
    fn out_of_order_sections_and_charsets() {
        let ct = ContentType::parse(b"a/b; n*1*=%A9; n*0*=iso-8859-1''%E9t; n*4294967295=z");
        assert_eq!(ct.param("n"), Some("\u{e9}t\u{a9}z"));
        let ct = ContentType::parse(b"a/b; n*99999999999999999999=z");
        assert_eq!(ct.param("n"), None);
    }

    #[test]
    fn lenient_values() {
        let ct = ContentType::parse(b"multipart/alternative; boundary=----=_Part_1_2.3; x=\"a;b\"");
        assert_eq!(ct.boundary(), Some("----=_Part_1_2.3"));
        assert_eq!(ct.param("x"), Some("a;b"));
        let ct = ContentType::parse(b"application/pdf; name=\"=?UTF-8?B?w6ku?=pdf\"");
        assert_eq!(ct.param("name"), Some("\u{e9}.pdf"));
        let ct = ContentType::parse(b"multipart/mixed\r\n\tboundary=\"b\"");
        assert_eq!(
            (ct.mime_type().as_str(), ct.boundary(), ct.is_malformed()),
            ("multipart/mixed", Some("b"), false)
        );
        let bad = ContentType::parse(b"garbage; charset=utf-8");
        assert!(bad.is_malformed());
        assert_eq!(bad.mime_type(), "text/plain");
        assert_eq!(bad.charset(), Some("utf-8"));
    }

    /// Pieces of type values, damaged ones included.
    const TYPE_PIECES: &[&[u8]] = &[
        b"text", b"/", b"plain", b"Plain", b";", b" ", b"\t", b"=", b"\"", b"x-y", b"a=b", b"\xe9",
        b"@", b".", b"*",
    ];

    const SEGMENT_PIECES: &[&[u8]] = &[b";", b"\"", b"\\", b"a", b" "];

    /// `;`-separated segments found a byte at a time, quotes and escapes followed.
    fn segments_bytewise(mut value: &[u8]) -> Vec<&[u8]> {
        let mut out = Vec::new();
        'segments: loop {
            let mut quoted = false;
            let mut i = 0;
            while i < value.len() {
                match value[i] {
                    b'\\' if quoted => i += 1,
                    b'"' => quoted = !quoted,
                    b';' if !quoted => {
                        out.push(&value[..i]);
                        value = &value[i + 1..];
                        continue 'segments;
                    }
                    _ => {}
                }
                i += 1;
            }
            out.push(value);
            return out;
        }
    }

    proptest::proptest! {
        #[test]
        fn segments_follow_quotes_and_escapes(
            pieces in proptest::collection::vec(
                proptest::sample::select(SEGMENT_PIECES),
                0..16,
            )
        ) {
            let v = pieces.concat();
            let got: Vec<&[u8]> = Segments { rest: Some(&v) }.collect();
            proptest::prop_assert_eq!(got, segments_bytewise(&v));
        }

        #[test]
        fn plain_type_bounds_are_the_read_ones(
            pieces in proptest::collection::vec(proptest::sample::select(TYPE_PIECES), 0..10)
        ) {
            let v = pieces.concat();
            if let Some(plain) = TypeBounds::plain(&v) {
                proptest::prop_assert_eq!(
                    TypeBounds { lowercase: false, ..plain },
                    TypeBounds::read(&v)
                );
                let ((ms, me), (ss, se)) = plain.halves.unwrap_or_default();
                let upper = v[ms..me].iter().chain(&v[ss..se]).any(u8::is_ascii_uppercase);
                proptest::prop_assert_eq!(plain.lowercase, !upper);
            }
        }
    }

    #[test]
    fn plain_type_bounds_on_known_inputs() {
        let cases: &[(&[u8], bool)] = &[
            (b"text/plain", true),
            (b"text/plain; charset=utf-8", true),
            (b"x-a.b/c+d;", true),
            (b"text/plain ; a=b", false),
            (b" text/plain", false),
            (b"text/plain boundary=b", false),
            (b"text/", false),
            (b"/plain", false),
            (b"text/plain/x", false),
            (b"text/pl\"a;\"in", false),
        ];
        for (v, plain) in cases {
            assert_eq!(TypeBounds::plain(v).is_some(), *plain, "{v:?}");
            assert_eq!(
                TypeBounds {
                    lowercase: false,
                    ..TypeBounds::find(v)
                },
                TypeBounds::read(v),
                "{v:?}"
            );
        }
    }

    #[test]
    fn plain_lists_keep_bounds_and_others_are_read_again() {
        let ct = ContentTypeRef::parse(b"text/plain; charset=utf-8; format=\"flowed\"; Charset=x");
        let Shape::Plain { len, params } = ct.list.shape else {
            panic!("{:?}", ct.list.shape);
        };
        assert_eq!(
            params[..usize::from(len)],
            [
                PlainParam {
                    name: (12, 19),
                    value: (20, 25)
                },
                PlainParam {
                    name: (27, 33),
                    value: (35, 41)
                }
            ]
        );
        let shape = |v: &[u8]| ContentTypeRef::parse(v).list.shape;
        assert_eq!(shape(b"text/plain; Charset=utf-8"), Shape::Simple);
        assert_eq!(shape(b"text/plain; a=1; b=2; c=3; d=4; e=5"), Shape::Simple);
        assert_eq!(shape(b"text/plain; a=\"x\\\"y\""), Shape::Simple);
        assert_eq!(shape(b"text/plain; a==?utf-8?q?x?="), Shape::Simple);
        assert_eq!(shape(b"text/plain; a=\xff"), Shape::Simple);
        assert_eq!(shape(b"text/plain; a=1; B*=utf-8''x"), Shape::Joined);
        let cd = ContentDispositionRef::parse(b"attachment; filename=r.pdf; FILENAME=s.pdf");
        assert!(matches!(cd.list.shape, Shape::Plain { len: 1, .. }));
        assert_eq!(cd.filename(), Some(Cow::Borrowed("r.pdf")));
    }

    #[test]
    fn a_value_ends_where_its_token_or_quoted_string_does() {
        // Missing `;` seen in real messages: the text after a value is skipped up to the
        // next `;`, as Dovecot 2.3 skips it.
        let ct = ContentTypeRef::parse(
            b"text/plain; comment=\"\"  comment=\"Sent by x\"; charset=utf-8",
        );
        assert!(ct.skipped_text());
        assert_eq!(
            ct.into_owned().params(),
            ContentType::new("text", "plain")
                .with_param("comment", "")
                .with_param("charset", "utf-8")
                .params()
        );
        let ct = ContentType::parse(
            b"message/external-body; access-type=mail-server  server=\"a@b.test\"; name=x",
        );
        let got: Vec<(&str, &str)> = ct
            .params()
            .iter()
            .map(|p| (p.name.as_str(), p.value.as_str()))
            .collect();
        assert_eq!(got, [("access-type", "mail-server"), ("name", "x")]);
        let ct = ContentType::parse(b"text/plain; x=\"ab\"cd; y=\"a\\\"b\" z; t*0=a b; t*1=c");
        let got: Vec<(&str, &str)> = ct
            .params()
            .iter()
            .map(|p| (p.name.as_str(), p.value.as_str()))
            .collect();
        assert_eq!(got, [("x", "ab"), ("y", "a\"b"), ("t", "ac")]);
        let cd = ContentDispositionRef::parse(b"attachment; filename=\"a b\"  size=3; x=y");
        assert!(cd.skipped_text());
        let got: Vec<(String, String)> = cd
            .params()
            .map(|p| (p.name.into_owned(), p.value.into_owned()))
            .collect();
        assert_eq!(
            got,
            [
                ("filename".to_owned(), "a b".to_owned()),
                ("x".to_owned(), "y".to_owned())
            ]
        );
        for clean in [
            &b"text/plain; charset=utf-8 ; format=\"flowed\"\t"[..],
            b"text/plain; a=\"x y\"; b=----=_Part_1.2; c",
            b"multipart/mixed boundary=b",
            b"text/plain; a=\"unterminated",
        ] {
            assert!(!ContentTypeRef::parse(clean).skipped_text(), "{clean:?}");
        }
        assert!(ContentTypeRef::parse(b"multipart/mixed boundary=b c").skipped_text());
        assert!(ContentTypeRef::parse(b"a/b; t*0=a; t*1=b c").skipped_text());
    }

    #[test]
    fn names_as_written_keep_their_case() {
        let ct = ContentTypeRef::parse(
            b"TEXT/Plain; CHARSET=UTF-8; format=flowed; Title*0*=us-ascii'en'a; title*1=b",
        );
        assert_eq!(
            (ct.main_type_as_written(), ct.subtype_as_written()),
            ("TEXT", "Plain")
        );
        assert_eq!((ct.main_type(), ct.subtype()), ("text", "plain"));
        let names: Vec<(String, String)> = ct
            .params()
            .map(|p| (p.name.into_owned(), p.written_name.into_owned()))
            .collect();
        assert_eq!(
            names,
            [
                ("charset".to_owned(), "CHARSET".to_owned()),
                ("format".to_owned(), "format".to_owned()),
                ("title".to_owned(), "Title".to_owned()),
            ]
        );
        let ct = ContentTypeRef::parse(b"Multipart/Mixed\r\n (x) Boundary=b; A=1");
        assert_eq!(ct.subtype_as_written(), "Mixed");
        let written: Vec<Cow<'_, str>> = ct.params().map(|p| p.written_name).collect();
        assert_eq!(written, ["Boundary", "A"]);
        let bad = ContentTypeRef::parse(b"garbage");
        assert_eq!(
            (bad.main_type_as_written(), bad.subtype_as_written()),
            ("text", "plain")
        );
        let cd = ContentDispositionRef::parse(b" Attachment ; FileName=a");
        assert_eq!(
            (cd.kind(), cd.kind_as_written()),
            ("attachment", "Attachment")
        );
        assert_eq!(
            cd.params().map(|p| p.written_name).collect::<Vec<_>>(),
            ["FileName"]
        );
    }

    #[test]
    fn rfc2183_disposition() {
        let cd = ContentDisposition::parse(b"attachment; filename=genome.jpeg;\r\n modification-date=\"Wed, 12 Feb 1997 16:29:51 -0500\";");
        assert!(cd.is_attachment());
        assert_eq!(cd.filename(), Some("genome.jpeg"));
        assert_eq!(
            cd.param("modification-date"),
            Some("Wed, 12 Feb 1997 16:29:51 -0500")
        );
        assert!(ContentDisposition::parse(b"INLINE").is_inline());
    }
}
