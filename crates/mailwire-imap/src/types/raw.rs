//! Data the codec passes through without knowing its grammar: the value of an unknown
//! FETCH item and the arguments of an unknown untagged response, kept as sent.

use std::fmt;

use super::ValidationError;
use super::chars::is_astring_char;
use crate::codec::framer::{Limits, announcement};

/// How deeply a [`RawValue`] built by [`RawValue::new`] may nest lists; decoding uses
/// [`Limits::max_depth`] instead.
const MAX_DEPTH: usize = 64;

/// The bytes of one IMAP value whose meaning the codec does not know, as sent:
///
/// ```text
/// value = bare / quoted / literal / literal8 / "(" [value *(SP value)] ")"
/// bare  = 1*(ASTRING-CHAR / "\" / "%" / "*")   ; atoms, numbers, NIL, \Flags
/// ```
///
/// Lists nest, and may hold extra spaces. Gmail's `X-GM-LABELS (\Inbox "foo")` and
/// `X-GM-MSGID 1278455344230334865` carry such values.
///
/// ```
/// use mailwire_imap::types::RawValue;
///
/// let labels = RawValue::new(&b"(\\Inbox \"a b\" {3}\r\nx y)"[..]).unwrap();
/// assert_eq!(labels.as_bytes(), b"(\\Inbox \"a b\" {3}\r\nx y)");
/// assert_eq!(RawValue::new(&b"1278455344230334865"[..]).unwrap().as_number(), Some(1278455344230334865));
/// assert!(RawValue::new(&b"(a"[..]).is_err());
/// assert!(RawValue::new(&b"a b"[..]).is_err(), "two values");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RawValue(Vec<u8>);

impl RawValue {
    /// Validates one value.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Self, ValidationError> {
        let bytes = bytes.into();
        match value_len(&bytes, MAX_DEPTH) {
            Ok(n) if n == bytes.len() => Ok(Self(bytes)),
            _ => Err(ValidationError::Invalid("raw value")),
        }
    }

    /// Wraps bytes [`value_len`] has measured.
    pub(crate) fn unchecked(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }

    /// The value's bytes, as they go on the wire.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Unwraps the bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    /// The value as a number, when it is a bare run of digits that fits in a `u64`.
    pub fn as_number(&self) -> Option<u64> {
        if self.0.is_empty() || !self.0.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.0.iter().try_fold(0u64, |n, &d| {
            n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })
    }
}

impl fmt::Debug for RawValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawValue({:?})", String::from_utf8_lossy(&self.0))
    }
}

/// Why [`value_len`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ValueError {
    /// Where, from the start of the input.
    pub(crate) offset: usize,
    /// What was wrong.
    pub(crate) reason: &'static str,
}

fn value_error<T>(offset: usize, reason: &'static str) -> Result<T, ValueError> {
    Err(ValueError { offset, reason })
}

fn is_bare_char(b: u8) -> bool {
    is_astring_char(b) || matches!(b, b'\\' | b'%' | b'*')
}

/// The length of the value at the start of `input`, lists nested at most `depth` deep.
pub(crate) fn value_len(input: &[u8], depth: usize) -> Result<usize, ValueError> {
    value_end(input, 0, depth)
}

fn value_end(input: &[u8], start: usize, depth: usize) -> Result<usize, ValueError> {
    match input.get(start) {
        None => value_error(start, "value expected"),
        Some(b'(') => {
            let Some(depth) = depth.checked_sub(1) else {
                return value_error(start, "value nested too deeply");
            };
            let mut pos = start + 1;
            loop {
                while input.get(pos) == Some(&b' ') {
                    pos += 1;
                }
                if input.get(pos) == Some(&b')') {
                    return Ok(pos + 1);
                }
                pos = value_end(input, pos, depth)?;
                if !matches!(input.get(pos), Some(b' ' | b')')) {
                    return value_error(pos, "')' expected");
                }
            }
        }
        Some(b'"') => {
            let mut pos = start + 1;
            loop {
                match input.get(pos) {
                    Some(b'"') => return Ok(pos + 1),
                    Some(b'\\') if matches!(input.get(pos + 1), Some(b'"' | b'\\')) => pos += 2,
                    Some(b'\\') => return value_error(pos, "bad escape in quoted string"),
                    Some(b'\r' | b'\n' | 0) => {
                        return value_error(pos, "line break or NUL in quoted string");
                    }
                    Some(_) => pos += 1,
                    None => return value_error(start, "unterminated quoted string"),
                }
            }
        }
        Some(b'{' | b'~') => literal_end(input, start),
        Some(_) => {
            let n = input[start..]
                .iter()
                .take_while(|&&b| is_bare_char(b))
                .count();
            if n == 0 {
                return value_error(start, "value expected");
            }
            Ok(start + n)
        }
    }
}

/// `literal = "{" number ["+"] "}" CRLF *CHAR8`, or `literal8 = "~{" …` (RFC 3516).
fn literal_end(input: &[u8], start: usize) -> Result<usize, ValueError> {
    let binary = input[start] == b'~';
    let open = if binary { start + 1 } else { start };
    if input.get(open) != Some(&b'{') {
        return value_error(start, "value expected");
    }
    let digits = input[open + 1..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let mut pos = open + 1 + digits;
    if input.get(pos) == Some(&b'+') {
        pos += 1;
    }
    if digits == 0 || input.get(pos..pos + 3) != Some(&b"}\r\n"[..]) {
        return value_error(start, "bad literal");
    }
    let length = input[open + 1..open + 1 + digits]
        .iter()
        .try_fold(0usize, |n, &d| {
            n.checked_mul(10)?.checked_add(usize::from(d - b'0'))
        });
    let data = pos + 3;
    match length.and_then(|n| data.checked_add(n)) {
        Some(end) if end <= input.len() => {
            if !binary && memchr::memchr(0, &input[data..end]).is_some() {
                return value_error(data, "NUL in literal");
            }
            Ok(end)
        }
        _ => value_error(start, "literal longer than its message"),
    }
}

/// The arguments of an untagged response the codec does not know, as sent: text
/// without CR, LF or NUL, in which literals (`{n}` or `~{n}` ending a line, then CRLF and
/// `n` bytes) may appear. The text must not end with a literal announcement.
///
/// ```
/// use mailwire_imap::types::Unparsed;
///
/// let rest = Unparsed::new(&b"1 {5}\r\nab\r\nc (x y)"[..]).unwrap();
/// assert_eq!(rest.as_bytes(), b"1 {5}\r\nab\r\nc (x y)");
/// assert!(Unparsed::new(&b"a\r\nb"[..]).is_err());
/// assert!(Unparsed::new(&b"ends in {3}"[..]).is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Unparsed(Vec<u8>);

impl Unparsed {
    /// Validates the text.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Self, ValidationError> {
        let bytes = bytes.into();
        match unparsed_error(&bytes) {
            None => Ok(Self(bytes)),
            Some(_) => Err(ValidationError::Invalid("unparsed response text")),
        }
    }

    /// Wraps bytes [`unparsed_error`] has accepted.
    pub(crate) fn unchecked(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }

    /// The bytes, as they go on the wire.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Unwraps the bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Unparsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Unparsed({:?})", String::from_utf8_lossy(&self.0))
    }
}

/// Where `bytes` stop being valid [`Unparsed`] text, if they do.
pub(crate) fn unparsed_error(bytes: &[u8]) -> Option<usize> {
    let limits = Limits::default().with_max_literal(u32::MAX);
    let mut pos = 0;
    loop {
        let rest = &bytes[pos..];
        let stop = memchr::memchr3(b'\r', b'\n', 0, rest);
        let line = &rest[..stop.unwrap_or(rest.len())];
        let Ok(literal) = announcement(line, &limits) else {
            return Some(pos);
        };
        match (stop, literal) {
            (None, None) => return None,
            (Some(i), Some(a)) if rest[i..].starts_with(b"\r\n") => {
                let data = pos + i + 2;
                let end = data.checked_add(a.length as usize)?;
                if end > bytes.len() {
                    return Some(pos + i);
                }
                pos = end;
            }
            (Some(i), _) => return Some(pos + i),
            (None, Some(_)) => return Some(pos),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_of_every_form() {
        for ok in [
            &b"NIL"[..],
            b"0",
            b"\\Inbox",
            b"\"a \\\"b\\\\\"",
            b"{0}\r\n",
            b"{3+}\r\na\r\n",
            b"~{2}\r\n\0\0",
            b"()",
            b"( a  (b (\\Seen)) )",
            b"[x]",
        ] {
            assert_eq!(value_len(ok, 8), Ok(ok.len()), "{ok:?}");
        }
        assert_eq!(value_len(b"abc def", 8), Ok(3));
        assert_eq!(value_len(b"(a)b", 8), Ok(3));
        for bad in [
            &b""[..],
            b")",
            b"(a",
            b"(a\"b\")",
            b"\"ab",
            b"\"a\\b\"",
            b"\"a\r\nb\"",
            b"{3}\r\nab",
            b"{3}\r\na\0b",
            b"{x}\r\n",
            b"{99999999999999999999999}\r\n",
            b"~3",
            b"\x80",
        ] {
            assert!(value_len(bad, 8).is_err(), "{bad:?}");
        }
        assert_eq!(
            value_len(b"((()))", 2),
            Err(ValueError {
                offset: 2,
                reason: "value nested too deeply"
            })
        );
        assert_eq!(value_len(b"((()))", 3), Ok(6));
    }

    #[test]
    fn numbers_read_from_bare_digits() {
        let n = |b: &[u8]| RawValue::new(b).unwrap().as_number();
        assert_eq!(n(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(n(b"18446744073709551616"), None);
        assert_eq!(n(b"\"12\""), None);
        assert_eq!(n(b"NIL"), None);
    }

    #[test]
    fn unparsed_text_is_framed_like_a_line() {
        assert_eq!(unparsed_error(b""), None);
        assert_eq!(unparsed_error(b"a b \xc3\xa9 (c)"), None);
        assert_eq!(unparsed_error(b"{2}\r\n\r\n"), None);
        assert_eq!(unparsed_error(b"x ~{2}\r\n\0\n y {0}\r\n"), None);
        assert_eq!(unparsed_error(b"a\rb"), Some(1));
        assert_eq!(unparsed_error(b"a\0"), Some(1));
        assert_eq!(unparsed_error(b"{3}\r\nab"), Some(3));
        assert_eq!(unparsed_error(b"x {1}"), Some(0));
        assert_eq!(unparsed_error(b"{1}\r\nx {1}"), Some(6));
        assert_eq!(unparsed_error(b"{99999999999}\r\n"), Some(0));
    }
}
