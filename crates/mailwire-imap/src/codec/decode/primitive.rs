//! The lexical layer of RFC 3501 §9: numbers, atoms, strings, dates, sequence sets, flags.
//!
//! Every parser here runs on a complete frame (see the framer), so "not enough input"
//! is a syntax error at this level.

use std::borrow::Cow;
use std::num::{NonZeroU32, NonZeroU64};

use nom::branch::alt;
use nom::bytes::complete::{tag, take, take_while, take_while1};
use nom::character::complete::char;
use nom::combinator::{map, opt, value};
use nom::error::{ErrorKind, ParseError};
use nom::sequence::preceded;
use nom::{IResult, Parser};

use crate::types::chars::{is_astring_char, is_atom_char, is_list_char, is_tag_char, is_text_char};
use crate::types::{
    Atom, Date, DateTime, Delimiter, Flag, FlagFetch, FlagPerm, IString, MONTHS, Mailbox, NString,
    NonEmpty, SeqNumber, SeqRange, SequenceSet, Tag,
};

/// A parse failure: where, and what was expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PError<'a> {
    pub(crate) input: &'a [u8],
    pub(crate) reason: &'static str,
}

impl<'a> ParseError<&'a [u8]> for PError<'a> {
    fn from_error_kind(input: &'a [u8], kind: ErrorKind) -> Self {
        let reason = match kind {
            ErrorKind::Tag => "unexpected token",
            ErrorKind::Char => "unexpected character",
            ErrorKind::Digit => "number expected",
            ErrorKind::Eof => "unexpected end",
            _ => "syntax error",
        };
        Self { input, reason }
    }

    fn append(_: &'a [u8], _: ErrorKind, other: Self) -> Self {
        other
    }

    fn or(self, other: Self) -> Self {
        // Report the alternative that got furthest.
        if other.input.len() <= self.input.len() {
            other
        } else {
            self
        }
    }
}

pub(crate) type PResult<'a, T> = IResult<&'a [u8], T, PError<'a>>;

pub(crate) fn fail<'a, T>(input: &'a [u8], reason: &'static str) -> PResult<'a, T> {
    Err(nom::Err::Error(PError { input, reason }))
}

/// Replaces the reason of a failure of `parser`.
pub(crate) fn expect<'a, O>(
    reason: &'static str,
    mut parser: impl Parser<&'a [u8], Output = O, Error = PError<'a>>,
) -> impl FnMut(&'a [u8]) -> PResult<'a, O> {
    move |i| {
        parser.parse(i).map_err(|e| {
            e.map(|e| PError {
                input: e.input,
                reason,
            })
        })
    }
}

/// The longest keyword dispatched through [`upper`].
pub(crate) const KEYWORD_MAX: usize = 24;

/// `name` in upper case, for matching keywords case-insensitively; empty when it is too
/// long to be one.
pub(crate) fn upper<'b>(name: &[u8], buf: &'b mut [u8; KEYWORD_MAX]) -> &'b [u8] {
    if name.len() > KEYWORD_MAX {
        return &[];
    }
    let out = &mut buf[..name.len()];
    out.copy_from_slice(name);
    out.make_ascii_uppercase();
    out
}

/// The non-empty run of bytes matching `pred` at the start of `i`, or `reason`.
///
/// The hottest token parsers are written out by hand: nom's combinators with a mapped
/// error cost several times more per token.
#[inline]
pub(crate) fn span1<'a>(
    i: &'a [u8],
    pred: impl Fn(u8) -> bool,
    reason: &'static str,
) -> PResult<'a, &'a [u8]> {
    let n = i.iter().position(|&b| !pred(b)).unwrap_or(i.len());
    if n == 0 {
        return fail(i, reason);
    }
    let (token, rest) = i.split_at(n);
    Ok((rest, token))
}

/// `kw`, compared ignoring ASCII case, as IMAP keywords compare.
pub(crate) fn tag_ci<'a>(kw: &'static str) -> impl Fn(&'a [u8]) -> PResult<'a, &'a [u8]> {
    move |i| match i.get(..kw.len()) {
        Some(p) if p.eq_ignore_ascii_case(kw.as_bytes()) => Ok((&i[kw.len()..], p)),
        _ => fail(i, "unexpected token"),
    }
}

pub(crate) fn sp(i: &[u8]) -> PResult<'_, char> {
    match i.split_first() {
        Some((b' ', rest)) => Ok((rest, ' ')),
        _ => fail(i, "space expected"),
    }
}

/// One or more spaces, where servers are known to send more than one.
pub(crate) fn spaces1(i: &[u8]) -> PResult<'_, &[u8]> {
    span1(i, |b| b == b' ', "space expected")
}

pub(crate) fn crlf(i: &[u8]) -> PResult<'_, &[u8]> {
    match i.strip_prefix(b"\r\n") {
        Some(rest) => Ok((rest, &i[..2])),
        None => fail(i, "end of line expected"),
    }
}

fn digits(i: &[u8]) -> PResult<'_, &[u8]> {
    span1(i, |b| b.is_ascii_digit(), "number expected")
}

/// `number`: an unsigned 32-bit integer.
pub(crate) fn number(i: &[u8]) -> PResult<'_, u32> {
    // One pass: the digits are read as they are found. A value past `u64` saturates,
    // so it is too large as surely as one that merely passes `u32`.
    let mut n = 0u64;
    let mut len = 0;
    while let Some(&b) = i.get(len) {
        if !b.is_ascii_digit() {
            break;
        }
        n = n.saturating_mul(10).saturating_add(u64::from(b - b'0'));
        len += 1;
    }
    if len == 0 {
        return fail(i, "number expected");
    }
    match u32::try_from(n) {
        Ok(n) => Ok((&i[len..], n)),
        Err(_) => fail(i, "number too large"),
    }
}

/// `number64` (RFC 9051; CONDSTORE's mod-sequence values): an unsigned 63-bit integer.
pub(crate) fn number64(i: &[u8]) -> PResult<'_, u64> {
    let (rest, d) = digits(i)?;
    match fold_digits(d).filter(|&n| n <= i64::MAX as u64) {
        Some(n) => Ok((rest, n)),
        None => fail(i, "number too large"),
    }
}

fn fold_digits(d: &[u8]) -> Option<u64> {
    d.iter().try_fold(0u64, |n, &b| {
        n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
    })
}

/// `nz-number`
pub(crate) fn nz_number(i: &[u8]) -> PResult<'_, NonZeroU32> {
    let (rest, n) = number(i)?;
    match NonZeroU32::new(n) {
        Some(n) => Ok((rest, n)),
        None => fail(i, "zero where a non-zero number is required"),
    }
}

/// `mod-sequence-value`: a non-zero number64.
pub(crate) fn nz_number64(i: &[u8]) -> PResult<'_, NonZeroU64> {
    let (rest, n) = number64(i)?;
    match NonZeroU64::new(n) {
        Some(n) => Ok((rest, n)),
        None => fail(i, "zero where a non-zero number is required"),
    }
}

pub(crate) fn atom_bytes(i: &[u8]) -> PResult<'_, &[u8]> {
    span1(i, is_atom_char, "atom expected")
}

pub(crate) fn atom(i: &[u8]) -> PResult<'_, Atom> {
    map(atom_bytes, Atom::unchecked).parse(i)
}

pub(crate) fn tag_(i: &[u8]) -> PResult<'_, Tag> {
    let (rest, t) = span1(i, is_tag_char, "tag expected")?;
    Ok((rest, Tag::unchecked(t)))
}

pub(crate) fn nil(i: &[u8]) -> PResult<'_, ()> {
    // By hand, as `nstring` reads it: NIL stands for every absent field of a BODYSTRUCTURE.
    match i.get(..3) {
        Some(n) if n.eq_ignore_ascii_case(b"NIL") => Ok((&i[3..], ())),
        _ => fail(i, "unexpected token"),
    }
}

/// `quoted = DQUOTE *QUOTED-CHAR DQUOTE`. Bytes above 0x7f are accepted: servers send
/// UTF-8 in quoted strings.
pub(crate) fn quoted(i: &[u8]) -> PResult<'_, Cow<'_, [u8]>> {
    let Some(body) = i.strip_prefix(b"\"") else {
        return fail(i, "string expected");
    };
    // Quoted strings are short: one scalar pass beats setting up vector searches (and
    // word-at-a-time tests, measured). The ordinary bytes are skipped through a table;
    // most strings end at their first special byte, the closing quote, and the rest
    // (escapes, errors) go on in `quoted_escaped`.
    let mut pos = 0;
    while let Some(&b) = body.get(pos) {
        if is_quoted_run(b) {
            pos += 1;
            continue;
        }
        if b == b'"' {
            return Ok((&body[pos + 1..], Cow::Borrowed(&body[..pos])));
        }
        return quoted_escaped(i, body, pos);
    }
    fail(i, "unterminated quoted string")
}

/// The rest of [`quoted`] from `pos`, the first special byte of `body` that is not the
/// closing quote.
#[cold]
#[inline(never)]
fn quoted_escaped<'a>(i: &'a [u8], body: &'a [u8], mut pos: usize) -> PResult<'a, Cow<'a, [u8]>> {
    let mut out: Option<Vec<u8>> = None;
    let mut start = 0;
    while let Some(&b) = body.get(pos) {
        if is_quoted_run(b) {
            pos += 1;
            continue;
        }
        match b {
            b'"' => {
                let run = &body[start..pos];
                let value = match out {
                    None => Cow::Borrowed(run),
                    Some(mut v) => {
                        v.extend_from_slice(run);
                        Cow::Owned(v)
                    }
                };
                return Ok((&body[pos + 1..], value));
            }
            b'\\' => match body.get(pos + 1) {
                Some(&c @ (b'"' | b'\\')) => {
                    let v = out.get_or_insert_with(Vec::new);
                    v.extend_from_slice(&body[start..pos]);
                    v.push(c);
                    pos += 2;
                    start = pos;
                }
                _ => return fail(&body[pos..], "bad escape in quoted string"),
            },
            b'\r' | b'\n' | 0 => {
                return fail(&body[pos..], "line break or NUL in quoted string");
            }
            _ => pos += 1,
        }
    }
    fail(i, "unterminated quoted string")
}

/// Bytes a quoted string holds as they are: all but `"`, `\`, CR, LF and NUL.
fn is_quoted_run(b: u8) -> bool {
    const TABLE: [bool; 256] = {
        let mut t = [true; 256];
        t[b'"' as usize] = false;
        t[b'\\' as usize] = false;
        t[b'\r' as usize] = false;
        t[b'\n' as usize] = false;
        t[0] = false;
        t
    };
    TABLE[usize::from(b)]
}

/// `literal = "{" number ["+"] "}" CRLF *CHAR8`, or with `binary`, `literal8 = "~{" …`
/// whose data may hold NUL. The framer has already checked the length against the limits
/// and made sure the data is there.
pub(crate) fn literal_data(binary: bool) -> impl FnMut(&[u8]) -> PResult<'_, &[u8]> {
    move |i| {
        let (i, _) = if binary {
            tag("~{").parse(i)?
        } else {
            tag("{").parse(i)?
        };
        let (i, n) = number(i)?;
        let (i, _) = opt(char('+')).parse(i)?;
        let (i, _) = tag("}\r\n").parse(i)?;
        let (rest, data) = take(n as usize).parse(i)?;
        if !binary && memchr::memchr(0, data).is_some() {
            return fail(i, "NUL in literal");
        }
        Ok((rest, data))
    }
}

pub(crate) fn literal(i: &[u8]) -> PResult<'_, &[u8]> {
    literal_data(false)(i)
}

/// `string = quoted / literal`
pub(crate) fn string(i: &[u8]) -> PResult<'_, IString> {
    match i.first() {
        Some(b'"') => {
            let (rest, q) = quoted(i)?;
            Ok((rest, IString::from_slice(&q)))
        }
        Some(b'{') => {
            let (rest, d) = literal(i)?;
            Ok((rest, IString::from_slice(d)))
        }
        _ => fail(i, "string expected"),
    }
}

/// `astring = 1*ASTRING-CHAR / string`
pub(crate) fn astring(i: &[u8]) -> PResult<'_, IString> {
    match i.first() {
        Some(b'"' | b'{') => string(i),
        _ => {
            let n = i.iter().take_while(|&&b| is_astring_char(b)).count();
            if n == 0 {
                return fail(i, "string expected");
            }
            Ok((&i[n..], IString::from_slice(&i[..n])))
        }
    }
}

/// `nstring = string / nil`
pub(crate) fn nstring(i: &[u8]) -> PResult<'_, NString> {
    match i.first() {
        Some(b'"' | b'{') => {
            let (rest, s) = string(i)?;
            Ok((rest, Some(s)))
        }
        _ => match i.get(..3) {
            Some(n) if n.eq_ignore_ascii_case(b"NIL") => Ok((&i[3..], None)),
            _ => fail(i, "string or NIL expected"),
        },
    }
}

/// `mailbox = "INBOX" / astring`
pub(crate) fn mailbox(i: &[u8]) -> PResult<'_, Mailbox> {
    map(expect("mailbox expected", astring), Mailbox::from_string).parse(i)
}

/// `list-mailbox = 1*list-char / string`
pub(crate) fn list_mailbox(i: &[u8]) -> PResult<'_, IString> {
    match i.first() {
        Some(b'"' | b'{') => string(i),
        _ => map(
            expect("pattern expected", take_while1(is_list_char)),
            IString::from_slice,
        )
        .parse(i),
    }
}

/// `text = 1*TEXT-CHAR`, leniently: possibly empty, with 8-bit bytes.
pub(crate) fn text(i: &[u8]) -> PResult<'_, &[u8]> {
    take_while(|b: u8| is_text_char(b) || b >= 0x80).parse(i)
}

/// `QUOTED-CHAR` in quotes, or NIL: a hierarchy delimiter.
pub(crate) fn delimiter(i: &[u8]) -> PResult<'_, Option<Delimiter>> {
    if i.first() != Some(&b'"') {
        return value(None, expect("delimiter or NIL expected", nil)).parse(i);
    }
    let (rest, q) = quoted(i)?;
    match &*q {
        [b] => match Delimiter::from_byte(*b) {
            Some(d) => Ok((rest, Some(d))),
            None => fail(i, "bad delimiter"),
        },
        _ => fail(i, "delimiter must be one character"),
    }
}

fn month(i: &[u8]) -> PResult<'_, u8> {
    let (rest, m) = take(3usize).parse(i)?;
    match MONTHS
        .iter()
        .position(|name| name.as_bytes().eq_ignore_ascii_case(m))
    {
        Some(p) => Ok((rest, u8::try_from(p + 1).unwrap_or(1))),
        None => fail(i, "month expected"),
    }
}

fn fixed_digits(n: usize) -> impl FnMut(&[u8]) -> PResult<'_, u16> {
    move |i| {
        let (rest, d) = take(n).parse(i)?;
        if !d.iter().all(u8::is_ascii_digit) {
            return fail(i, "digit expected");
        }
        Ok((
            rest,
            d.iter().fold(0u16, |n, b| n * 10 + u16::from(b - b'0')),
        ))
    }
}

fn small(n: u16) -> u8 {
    u8::try_from(n).unwrap_or(u8::MAX)
}

/// `date = date-text / DQUOTE date-text DQUOTE`; `date-text = date-day "-" date-month "-" date-year`
pub(crate) fn date(i: &[u8]) -> PResult<'_, Date> {
    let quotedp = i.first() == Some(&b'"');
    let j = if quotedp { &i[1..] } else { i };
    let (j, day) = alt((fixed_digits(2), fixed_digits(1))).parse(j)?;
    let (j, _) = char('-').parse(j)?;
    let (j, m) = month(j)?;
    let (j, _) = char('-').parse(j)?;
    let (j, year) = fixed_digits(4)(j)?;
    let (j, _) = if quotedp {
        char('"').parse(j)?
    } else {
        (j, ' ')
    };
    match Date::new(year, m, small(day)) {
        Ok(d) => Ok((j, d)),
        Err(_) => fail(i, "no such date"),
    }
}

/// `date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE`
pub(crate) fn date_time(i: &[u8]) -> PResult<'_, DateTime> {
    let (j, _) = expect("date-time expected", char('"')).parse(i)?;
    let (j, day) = alt((
        preceded(char(' '), fixed_digits(1)),
        fixed_digits(2),
        fixed_digits(1),
    ))
    .parse(j)?;
    let (j, _) = char('-').parse(j)?;
    let (j, m) = month(j)?;
    let (j, _) = char('-').parse(j)?;
    let (j, year) = fixed_digits(4)(j)?;
    let (j, _) = sp(j)?;
    let (j, h) = fixed_digits(2)(j)?;
    let (j, _) = char(':').parse(j)?;
    let (j, min) = fixed_digits(2)(j)?;
    let (j, _) = char(':').parse(j)?;
    let (j, s) = fixed_digits(2)(j)?;
    let (j, _) = sp(j)?;
    let (j, sign) = alt((char('+'), char('-'))).parse(j)?;
    let (j, zone) = fixed_digits(4)(j)?;
    let (j, _) = char('"').parse(j)?;
    let Ok(zone_i) = i16::try_from(zone / 100 * 60 + zone % 100) else {
        return fail(i, "bad zone");
    };
    if zone % 100 > 59 {
        return fail(i, "bad zone");
    }
    let zone_minutes = if sign == '-' { -zone_i } else { zone_i };
    let result = Date::new(year, m, small(day))
        .and_then(|d| DateTime::new(d, small(h), small(min), small(s), zone_minutes));
    match result {
        Ok(dt) => Ok((j, dt)),
        Err(_) => fail(i, "no such date-time"),
    }
}

fn seq_number(i: &[u8]) -> PResult<'_, SeqNumber> {
    match i.strip_prefix(b"*") {
        Some(rest) => Ok((rest, SeqNumber::Largest)),
        None => map(nz_number, SeqNumber::Value).parse(i),
    }
}

/// `seq-number [":" seq-number]`; a colon not followed by a number is left unread.
fn seq_range(i: &[u8]) -> PResult<'_, SeqRange> {
    let (i, a) = seq_number(i)?;
    if let Some(rest) = i.strip_prefix(b":")
        && let Ok((rest, b)) = seq_number(rest)
    {
        return Ok((rest, SeqRange::Range(a, b)));
    }
    Ok((i, SeqRange::Single(a)))
}

/// `sequence-set = (seq-number / seq-range) *("," sequence-set)`; a comma not followed
/// by a range is left unread.
pub(crate) fn sequence_set(i: &[u8]) -> PResult<'_, SequenceSet> {
    let (mut rest, first) = seq_range(i).map_err(|e| {
        e.map(|e| PError {
            input: e.input,
            reason: "sequence set expected",
        })
    })?;
    let mut ranges = Vec::with_capacity(4);
    ranges.push(first);
    while let Some(after) = rest.strip_prefix(b",")
        && let Ok((after, r)) = seq_range(after)
    {
        ranges.push(r);
        rest = after;
    }
    match SequenceSet::new(ranges) {
        Ok(s) => Ok((rest, s)),
        Err(_) => fail(i, "sequence set expected"),
    }
}

/// The bytes of a flag keyword. `lenient` also takes `]`, which some servers put in keywords.
fn keyword(lenient: bool) -> impl FnMut(&[u8]) -> PResult<'_, &[u8]> {
    move |i| {
        span1(
            i,
            |b| is_atom_char(b) || (lenient && b == b']'),
            "flag expected",
        )
    }
}

/// `flag`; the flag extension `\*` comes back as `None` for the caller to judge.
fn flag_or_wildcard(lenient: bool) -> impl FnMut(&[u8]) -> PResult<'_, Option<Flag>> {
    move |i| {
        if let Some(rest) = i.strip_prefix(b"\\") {
            if let Some(rest) = rest.strip_prefix(b"*") {
                return Ok((rest, None));
            }
            let (rest, name) = keyword(lenient)(rest)?;
            return Ok((rest, Some(Flag::system_bytes(name))));
        }
        map(keyword(lenient), |a| {
            Some(Flag::Keyword(Atom::unchecked(a)))
        })
        .parse(i)
    }
}

/// `flag`, strictly.
pub(crate) fn flag(i: &[u8]) -> PResult<'_, Flag> {
    match flag_or_wildcard(false)(i)? {
        (rest, Some(f)) => Ok((rest, f)),
        (_, None) => fail(i, "\\* is not a flag here"),
    }
}

/// `flag-list = "(" [flag *(SP flag)] ")"`, strictly.
pub(crate) fn flag_list(i: &[u8]) -> PResult<'_, Vec<Flag>> {
    paren_list(flag)(i)
}

/// A server's `flag-list` (FLAGS response): `]` allowed in keywords, `\*` skipped.
pub(crate) fn flag_list_lenient(i: &[u8]) -> PResult<'_, Vec<Flag>> {
    let (rest, flags) = paren_list(flag_or_wildcard(true))(i)?;
    Ok((rest, flags.into_iter().flatten().collect()))
}

/// `"(" [flag-perm *(SP flag-perm)] ")"`, leniently.
pub(crate) fn flag_perm_list(i: &[u8]) -> PResult<'_, Vec<FlagPerm>> {
    let (rest, flags) = paren_list(flag_or_wildcard(true))(i)?;
    Ok((
        rest,
        flags
            .into_iter()
            .map(|f| f.map_or(FlagPerm::Wildcard, FlagPerm::Flag))
            .collect(),
    ))
}

/// `"(" [flag-fetch *(SP flag-fetch)] ")"`, leniently.
pub(crate) fn flag_fetch_list(i: &[u8]) -> PResult<'_, Vec<FlagFetch>> {
    let (rest, flags) = paren_list(flag_or_wildcard(true))(i)?;
    let flags = flags
        .into_iter()
        .flatten()
        .map(|f| match f {
            Flag::Extension(a) if a.eq_ignore_case("Recent") => FlagFetch::Recent,
            f => FlagFetch::Flag(f),
        })
        .collect();
    Ok((rest, flags))
}

/// `"(" [item *(SP item)] ")"`, with extra spaces tolerated.
pub(crate) fn paren_list<'a, O>(
    mut item: impl FnMut(&'a [u8]) -> PResult<'a, O>,
) -> impl FnMut(&'a [u8]) -> PResult<'a, Vec<O>> {
    move |i| {
        let (mut i, _) = expect("'(' expected", char('(')).parse(i)?;
        let mut out = Vec::new();
        loop {
            i = skip_spaces(i);
            if let Some(rest) = i.strip_prefix(b")") {
                return Ok((rest, out));
            }
            if !out.is_empty() && i.is_empty() {
                return fail(i, "')' expected");
            }
            let (rest, o) = item(i)?;
            if out.capacity() == 0 {
                // FETCH responses carry several items: grow once, not twice.
                out.reserve_exact(8);
            }
            out.push(o);
            i = rest;
            if !i.starts_with(b" ") && !i.starts_with(b")") {
                return fail(i, "')' expected");
            }
        }
    }
}

pub(crate) fn skip_spaces(i: &[u8]) -> &[u8] {
    let n = i.iter().take_while(|&&b| b == b' ').count();
    &i[n..]
}

/// `"(" item *(SP item) ")"`, non-empty and strict.
pub(crate) fn paren_list1<'a, O>(
    item: impl FnMut(&'a [u8]) -> PResult<'a, O>,
) -> impl FnMut(&'a [u8]) -> PResult<'a, NonEmpty<O>> {
    // Growing from one element would move the list twice for a typical few items.
    paren_list1_sized(4, item)
}

/// [`paren_list1`] with room for `capacity` items before the list grows: for lists that
/// are usually long, such as the header field names of `BODY[HEADER.FIELDS (…)]`.
pub(crate) fn paren_list1_sized<'a, O>(
    capacity: usize,
    mut item: impl FnMut(&'a [u8]) -> PResult<'a, O>,
) -> impl FnMut(&'a [u8]) -> PResult<'a, NonEmpty<O>> {
    move |i| {
        let (i, _) = expect("'(' expected", char('(')).parse(i)?;
        let (mut i, first) = item(i)?;
        let mut out = NonEmpty::with_capacity(first, capacity);
        while let Some(rest) = i.strip_prefix(b" ") {
            let (rest, o) = item(rest)?;
            out.push(o);
            i = rest;
        }
        let (i, _) = expect("')' expected", char(')')).parse(i)?;
        Ok((i, out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_check_their_range() {
        assert_eq!(number(b"4294967295 ").unwrap(), (&b" "[..], u32::MAX));
        assert_eq!(number(b"007)").unwrap(), (&b")"[..], 7));
        let huge = b"123456789012345678901234567890 ";
        assert_eq!(
            number(huge).unwrap_err(),
            nom::Err::Error(PError {
                input: huge,
                reason: "number too large"
            })
        );
        assert_eq!(
            number(b"x").unwrap_err(),
            nom::Err::Error(PError {
                input: b"x",
                reason: "number expected"
            })
        );
        assert_eq!(
            number(b"4294967296").unwrap_err(),
            nom::Err::Error(PError {
                input: b"4294967296",
                reason: "number too large"
            })
        );
        assert!(nz_number(b"0").is_err());
        assert_eq!(number64(b"9223372036854775807").unwrap().1, i64::MAX as u64);
        assert!(number64(b"9223372036854775808").is_err());
    }

    #[test]
    fn strings_in_all_forms() {
        assert_eq!(
            quoted(b"\"a\\\"b\\\\c\" x").unwrap(),
            (&b" x"[..], Cow::Owned(b"a\"b\\c".to_vec()))
        );
        assert_eq!(quoted(b"\"caf\xc3\xa9\"").unwrap().1, "café".as_bytes());
        assert!(quoted(b"\"a\\b\"").is_err());
        assert!(quoted(b"\"a\r\n\"").is_err());
        assert!(quoted(b"\"abc").is_err());
        assert_eq!(literal(b"{3}\r\nabcd").unwrap(), (&b"d"[..], &b"abc"[..]));
        assert_eq!(literal(b"{3+}\r\nabc").unwrap().1, b"abc");
        assert!(literal(b"{3}\r\na\0c").is_err());
        assert_eq!(literal_data(true)(b"~{3}\r\na\0c").unwrap().1, b"a\0c");
        assert_eq!(astring(b"foo]bar baz").unwrap().1.as_bytes(), b"foo]bar");
        assert_eq!(nstring(b"nil").unwrap().1, None);
        assert_eq!(nil(b"Nil)").unwrap(), (&b")"[..], ()));
        assert_eq!(
            nil(b"NI").unwrap_err(),
            nom::Err::Error(PError {
                input: b"NI",
                reason: "unexpected token"
            })
        );
        assert!(nstring(b"foo").is_err());
    }

    #[test]
    fn quoted_strings_of_every_length_and_escape_position() {
        for len in 0..40 {
            for special in 0..=len {
                let plain: Vec<u8> = b"abcdefghijklmnopqrstuvwxyz"
                    .iter()
                    .copied()
                    .cycle()
                    .take(len)
                    .collect();
                let mut wire = b"\"".to_vec();
                let mut want = Vec::new();
                for (k, &b) in plain.iter().enumerate() {
                    if k == special {
                        wire.extend_from_slice(b"\\\"\xc3\xa9");
                        want.extend_from_slice(b"\"\xc3\xa9");
                    }
                    wire.push(b);
                    want.push(b);
                }
                wire.extend_from_slice(b"\" rest");
                let (rest, got) = quoted(&wire).unwrap();
                assert_eq!((rest, &*got), (&b" rest"[..], &want[..]), "{len} {special}");
                let mut broken = wire.clone();
                broken[1 + special.min(len.saturating_sub(1))] = b'\n';
                assert!(quoted(&broken).is_err() || len == 0, "{len} {special}");
            }
        }
    }

    #[test]
    fn dates_both_forms() {
        assert_eq!(
            date(b"1-Feb-1994").unwrap().1,
            Date::new(1994, 2, 1).unwrap()
        );
        assert_eq!(
            date(b"\"01-feb-1994\"").unwrap().1,
            Date::new(1994, 2, 1).unwrap()
        );
        assert!(date(b"31-Feb-1994").is_err());
        let dt = date_time(b"\" 7-Jul-1994 02:44:25 -0700\"").unwrap().1;
        assert_eq!(
            dt,
            DateTime::new(Date::new(1994, 7, 7).unwrap(), 2, 44, 25, -420).unwrap()
        );
        assert!(date_time(b"\"17-Jul-1994 02:44:25 -0760\"").is_err());
    }

    #[test]
    fn flags_strict_and_lenient() {
        assert_eq!(
            flag_list(b"(\\Seen $Junk)").unwrap().1,
            vec![Flag::Seen, Flag::Keyword(Atom::new("$Junk").unwrap())]
        );
        assert!(flag_list(b"(\\*)").is_err());
        assert!(flag_list(b"(a]b)").is_err());
        assert_eq!(flag_list_lenient(b"(\\Seen \\* a]b)").unwrap().1.len(), 2);
        assert_eq!(
            flag_perm_list(b"(\\Deleted \\*)").unwrap().1,
            vec![FlagPerm::Flag(Flag::Deleted), FlagPerm::Wildcard]
        );
        assert_eq!(
            flag_fetch_list(b"(\\Recent)").unwrap().1,
            vec![FlagFetch::Recent]
        );
    }
}
