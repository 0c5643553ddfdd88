//! Replies: a three-digit code, an optional enhanced status code, one or more lines of
//! text (RFC 5321 §4.2, RFC 2034, RFC 3463).
//!
//! ```text
//! Reply-line = *( Reply-code "-" [ textstring ] CRLF )
//!              Reply-code [ SP textstring ] CRLF
//! Reply-code = %x32-35 %x30-35 %x30-39
//! status-code = class "." subject "." detail    ; RFC 3463, at the start of each line
//! ```

use std::fmt;

use bytes::BufMut;

use crate::Decoded;
use crate::types::grammar::is_text;

/// The most a reply may span when decoded, all lines together. Longer replies are refused
/// rather than buffered.
pub const MAX_REPLY_LEN: usize = 64 * 1024;

/// Why a reply (or the text given to build one) was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// The line does not start with a reply code from 200 to 599.
    #[error("invalid reply code")]
    Code,
    /// The code is followed by something other than SP, `-` or the line end.
    #[error("invalid separator after reply code")]
    Separator,
    /// The lines of a multi-line reply carry different codes.
    #[error("reply lines carry different codes")]
    MixedCodes,
    /// The text holds a control character.
    #[error("invalid reply text")]
    Text,
    /// An enhanced code whose class differs from the reply code's first digit.
    #[error("enhanced status class does not match the reply code")]
    EnhancedClass,
    /// A reply with no line.
    #[error("reply without text lines")]
    Empty,
    /// The reply exceeds [`MAX_REPLY_LEN`].
    #[error("reply longer than {MAX_REPLY_LEN} octets")]
    TooLong,
}

/// A reply code, 200 to 599.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplyCode(u16);

impl ReplyCode {
    /// `220` service ready.
    pub const SERVICE_READY: Self = Self(220);
    /// `221` closing the transmission channel.
    pub const CLOSING: Self = Self(221);
    /// `235` authentication succeeded.
    pub const AUTH_SUCCEEDED: Self = Self(235);
    /// `250` requested action okay.
    pub const OK: Self = Self(250);
    /// `334` continue the SASL exchange.
    pub const AUTH_CONTINUE: Self = Self(334);
    /// `354` start mail input.
    pub const START_MAIL_INPUT: Self = Self(354);
    /// `421` service not available, closing the channel.
    pub const SERVICE_UNAVAILABLE: Self = Self(421);

    /// A code from 200 to 599.
    pub const fn new(code: u16) -> Option<Self> {
        if code >= 200 && code <= 599 {
            Some(Self(code))
        } else {
            None
        }
    }

    /// The number.
    pub const fn get(self) -> u16 {
        self.0
    }

    /// The first digit: 2 success, 3 intermediate, 4 transient failure, 5 permanent failure.
    pub const fn class(self) -> u8 {
        #[allow(clippy::cast_possible_truncation, reason = "self.0 / 100 is 2 to 5")]
        let class = (self.0 / 100) as u8;
        class
    }

    fn digits(self) -> [u8; 3] {
        let digit = |n: u16| b'0' + u8::try_from(n % 10).unwrap_or(0);
        [digit(self.0 / 100), digit(self.0 / 10), digit(self.0)]
    }

    /// A 2xx code.
    pub const fn is_success(self) -> bool {
        self.class() == 2
    }

    /// A 3xx code.
    pub const fn is_intermediate(self) -> bool {
        self.class() == 3
    }

    /// A 4xx or 5xx code.
    pub const fn is_failure(self) -> bool {
        self.class() >= 4
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An enhanced status code `class.subject.detail` (RFC 3463): class 2, 4 or 5; subject and
/// detail up to 999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnhancedCode {
    class: u8,
    subject: u16,
    detail: u16,
}

impl EnhancedCode {
    /// A status code, if it is one RFC 3463 can express.
    ///
    /// ```
    /// use mailwire_smtp::EnhancedCode;
    ///
    /// assert_eq!(EnhancedCode::new(5, 1, 1).unwrap().to_string(), "5.1.1");
    /// assert!(EnhancedCode::new(3, 0, 0).is_none());
    /// ```
    pub const fn new(class: u8, subject: u16, detail: u16) -> Option<Self> {
        if matches!(class, 2 | 4 | 5) && subject <= 999 && detail <= 999 {
            Some(Self {
                class,
                subject,
                detail,
            })
        } else {
            None
        }
    }

    /// 2, 4 or 5.
    pub const fn class(self) -> u8 {
        self.class
    }

    /// The subject (0 to 999).
    pub const fn subject(self) -> u16 {
        self.subject
    }

    /// The detail (0 to 999).
    pub const fn detail(self) -> u16 {
        self.detail
    }

    /// Parses a code at the start of `text`, followed by SP or the end; returns it and how
    /// many bytes to skip (the trailing SP included).
    fn parse_prefix(text: &[u8]) -> Option<(Self, usize)> {
        /// One to three digits at `start`; a fourth digit makes it no number.
        fn number(text: &[u8], start: usize) -> Option<(u16, usize)> {
            let mut n = 0;
            let mut i = start;
            while let Some(&d @ b'0'..=b'9') = text.get(i) {
                if i - start == 3 {
                    return None;
                }
                n = n * 10 + u16::from(d - b'0');
                i += 1;
            }
            (i > start).then_some((n, i))
        }
        let class = match text.first() {
            Some(&d @ (b'2' | b'4' | b'5')) => d - b'0',
            _ => return None,
        };
        if text.get(1) != Some(&b'.') {
            return None;
        }
        let (subject, i) = number(text, 2)?;
        if text.get(i) != Some(&b'.') {
            return None;
        }
        let (detail, i) = number(text, i + 1)?;
        match text.get(i) {
            None => Some((
                Self {
                    class,
                    subject,
                    detail,
                },
                i,
            )),
            Some(b' ') => Some((
                Self {
                    class,
                    subject,
                    detail,
                },
                i + 1,
            )),
            Some(_) => None,
        }
    }

    fn encode(self, out: &mut impl BufMut) {
        out.put_u8(b'0' + self.class);
        out.put_u8(b'.');
        crate::types::grammar::put_u64(out, u64::from(self.subject));
        out.put_u8(b'.');
        crate::types::grammar::put_u64(out, u64::from(self.detail));
    }
}

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// A server reply.
///
/// The enhanced status code, when present, is written at the start of every line (RFC 2034
/// §4); the `lines` hold the text after it. When decoding, a code at the start of the first
/// line whose class matches the reply code is taken as the enhanced code, and removed from
/// every line that repeats it.
///
/// ```
/// use mailwire_smtp::{EnhancedCode, Reply, ReplyCode};
///
/// let reply = Reply::new(ReplyCode::OK, "Ok\nqueued as 1A2B")
///     .unwrap()
///     .with_enhanced(EnhancedCode::new(2, 0, 0).unwrap())
///     .unwrap();
/// assert_eq!(reply.to_string(), "250-2.0.0 Ok\r\n250 2.0.0 queued as 1A2B\r\n");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Reply {
    code: ReplyCode,
    enhanced: Option<EnhancedCode>,
    /// The text lines in one buffer, joined by `\n` (which no line can hold): a reply of
    /// any number of lines costs one allocation.
    text: String,
}

impl Reply {
    /// A reply whose text lines are separated by `\n`. Control characters other than HT
    /// are refused.
    pub fn new(code: ReplyCode, text: &str) -> Result<Self, ReplyError> {
        Self::from_lines(code, text.split('\n'))
    }

    /// A reply from its text lines (at least one).
    pub fn from_lines<S: Into<String>>(
        code: ReplyCode,
        lines: impl IntoIterator<Item = S>,
    ) -> Result<Self, ReplyError> {
        let mut text = String::new();
        let mut count = 0;
        for line in lines {
            let line = line.into();
            if !is_text(line.as_bytes()) {
                return Err(ReplyError::Text);
            }
            if count > 0 {
                text.push('\n');
            }
            text.push_str(&line);
            count += 1;
        }
        if count == 0 {
            return Err(ReplyError::Empty);
        }
        Ok(Self {
            code,
            enhanced: None,
            text,
        })
    }

    /// Adds an enhanced status code; its class must equal the reply code's first digit.
    pub fn with_enhanced(mut self, enhanced: EnhancedCode) -> Result<Self, ReplyError> {
        if enhanced.class != self.code.class() {
            return Err(ReplyError::EnhancedClass);
        }
        self.enhanced = Some(enhanced);
        Ok(self)
    }

    /// A reply built from text this crate writes itself.
    pub(crate) fn fixed(code: u16, enhanced: Option<(u8, u16, u16)>, text: &str) -> Self {
        debug_assert!(ReplyCode::new(code).is_some() && is_text(text.as_bytes()));
        let enhanced = enhanced.and_then(|(c, s, d)| EnhancedCode::new(c, s, d));
        debug_assert!(enhanced.is_none_or(|e| e.class == ReplyCode(code).class()));
        Self {
            code: ReplyCode(code),
            enhanced,
            text: text.to_owned(),
        }
    }

    /// The reply code.
    pub fn code(&self) -> ReplyCode {
        self.code
    }

    /// The enhanced status code, if any.
    pub fn enhanced(&self) -> Option<EnhancedCode> {
        self.enhanced
    }

    /// The text lines, without codes: at least one, possibly empty.
    ///
    /// ```
    /// use mailwire_smtp::{Reply, ReplyCode};
    ///
    /// let reply = Reply::new(ReplyCode::OK, "mx.example.org\nSIZE 1000").unwrap();
    /// assert_eq!(reply.lines().collect::<Vec<_>>(), ["mx.example.org", "SIZE 1000"]);
    /// ```
    pub fn lines(&self) -> std::str::Split<'_, char> {
        self.text.split('\n')
    }

    /// Drops the enhanced code (for a server configured without ENHANCEDSTATUSCODES).
    pub(crate) fn without_enhanced(mut self) -> Self {
        self.enhanced = None;
        self
    }

    /// Writes the reply, every line ending in CRLF.
    pub fn encode(&self, out: &mut impl BufMut) {
        let digits = self.code.digits();
        let mut lines = self.lines().peekable();
        while let Some(line) = lines.next() {
            out.put_slice(&digits);
            let has_text = self.enhanced.is_some() || !line.is_empty();
            if lines.peek().is_some() {
                out.put_u8(b'-');
            } else if has_text {
                out.put_u8(b' ');
            }
            if let Some(e) = self.enhanced {
                e.encode(out);
                if !line.is_empty() {
                    out.put_u8(b' ');
                }
            }
            out.put_slice(line.as_bytes());
            out.put_slice(b"\r\n");
        }
    }

    /// Decodes one reply from the start of `input`.
    ///
    /// ```
    /// use mailwire_smtp::{Decoded, Reply};
    ///
    /// let Decoded::Complete { value, consumed } = Reply::decode(b"250-a\r\n250 b\r\nXX") else {
    ///     panic!()
    /// };
    /// assert_eq!((value.code().get(), consumed), (250, 14));
    /// assert_eq!(value.lines().collect::<Vec<_>>(), ["a", "b"]);
    /// assert!(matches!(Reply::decode(b"250-a\r\n250 b"), Decoded::Incomplete));
    /// ```
    pub fn decode(input: &[u8]) -> Decoded<Self, ReplyError> {
        let mut assembler = ReplyAssembler::default();
        let mut pos = 0;
        loop {
            let Some(end) = find_crlf(input, pos) else {
                if input.len() > MAX_REPLY_LEN {
                    return Decoded::Invalid {
                        error: ReplyError::TooLong,
                        consumed: input.len(),
                    };
                }
                return Decoded::Incomplete;
            };
            let consumed = end + 2;
            if consumed > MAX_REPLY_LEN {
                return Decoded::Invalid {
                    error: ReplyError::TooLong,
                    consumed,
                };
            }
            match assembler.push_line(&input[pos..end]) {
                Ok(Some(value)) => return Decoded::Complete { value, consumed },
                Ok(None) => pos = consumed,
                Err(error) => return Decoded::Invalid { error, consumed },
            }
        }
    }
}

/// The first CRLF at or after `from`.
fn find_crlf(input: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let lf = from + memchr::memchr(b'\n', &input[from..])?;
        if lf > from && input[lf - 1] == b'\r' {
            return Some(lf - 1);
        }
        from = lf + 1;
    }
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("code", &self.code)
            .field("enhanced", &self.enhanced)
            .field("lines", &self.lines().collect::<Vec<_>>())
            .finish()
    }
}

impl fmt::Display for Reply {
    /// The wire form, CRLFs included.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::new();
        self.encode(&mut out);
        f.write_str(&String::from_utf8_lossy(&out))
    }
}

/// Collects the lines of a multi-line reply, one line (without CRLF) at a time.
#[derive(Debug, Default)]
pub(crate) struct ReplyAssembler {
    code: Option<ReplyCode>,
    /// The enhanced code the first line starts with, when its class matches the reply
    /// code: every line that repeats it has it removed before its text is kept.
    enhanced: Option<EnhancedCode>,
    /// The text so far, lines joined by `\n` as [`Reply`] keeps them; checked as UTF-8
    /// once, when the reply is complete.
    text: Vec<u8>,
    /// Lines taken so far.
    lines: usize,
    /// Wire bytes of the reply so far, CRLFs included.
    len: usize,
}

impl ReplyAssembler {
    /// Takes the next line; returns the reply once its last line arrived. After an error the
    /// assembler starts afresh.
    pub(crate) fn push_line(&mut self, line: &[u8]) -> Result<Option<Reply>, ReplyError> {
        let result = self.push_line_inner(line);
        if !matches!(result, Ok(None)) {
            self.code = None;
            self.enhanced = None;
            self.text.clear();
            self.lines = 0;
            self.len = 0;
        }
        result
    }

    fn push_line_inner(&mut self, line: &[u8]) -> Result<Option<Reply>, ReplyError> {
        let code = match line {
            [a @ b'2'..=b'5', b @ b'0'..=b'9', c @ b'0'..=b'9', ..] => ReplyCode(
                u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'),
            ),
            _ => return Err(ReplyError::Code),
        };
        if self.code.is_some_and(|c| c != code) {
            return Err(ReplyError::MixedCodes);
        }
        self.code = Some(code);
        let (last, mut text) = match line.get(3) {
            None => (true, &line[3..]),
            Some(b' ') => (true, &line[4..]),
            Some(b'-') => (false, &line[4..]),
            Some(_) => return Err(ReplyError::Separator),
        };
        if !is_text(text) {
            return Err(ReplyError::Text);
        }
        self.len += line.len() + 2;
        if self.len > MAX_REPLY_LEN {
            return Err(ReplyError::TooLong);
        }
        // The code is recognised on the bytes, so that only the text after it is copied.
        let prefix = EnhancedCode::parse_prefix(text);
        if self.lines == 0 {
            self.enhanced = prefix.map(|(e, _)| e).filter(|e| e.class == code.class());
        }
        if let (Some(enhanced), Some((e, skip))) = (self.enhanced, prefix)
            && e == enhanced
        {
            text = &text[skip..];
        }
        if self.lines > 0 {
            self.text.push(b'\n');
        }
        self.text.extend_from_slice(text);
        self.lines += 1;
        if !last {
            return Ok(None);
        }
        Ok(Some(Reply {
            code,
            enhanced: self.enhanced,
            text: into_text(std::mem::take(&mut self.text)),
        }))
    }
}

/// Reply text as a `String`; invalid UTF-8 is replaced, as a reply is only ever shown.
/// Replacing in the joined text equals replacing line by line: `\n` ends every invalid
/// sequence.
fn into_text(text: Vec<u8>) -> String {
    String::from_utf8(text)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn decode_all(input: &[u8]) -> Reply {
        match Reply::decode(input) {
            Decoded::Complete { value, consumed } if consumed == input.len() => value,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rfc_5321_appendix_d_replies() {
        let r = decode_all(b"220 foo.com Simple Mail Transfer Service Ready\r\n");
        assert_eq!(r.code(), ReplyCode::SERVICE_READY);
        assert_eq!(
            r.lines().collect::<Vec<_>>(),
            ["foo.com Simple Mail Transfer Service Ready"]
        );
        let r = decode_all(
            b"250-foo.com greets bar.com\r\n250-8BITMIME\r\n250-SIZE\r\n250-DSN\r\n250 HELP\r\n",
        );
        assert_eq!(
            r.lines().collect::<Vec<_>>(),
            ["foo.com greets bar.com", "8BITMIME", "SIZE", "DSN", "HELP"]
        );
        assert_eq!(r.enhanced(), None);
        let r = decode_all(b"550 No such user here\r\n");
        assert_eq!(r.code().get(), 550);
        assert!(r.code().is_failure());
    }

    #[test]
    fn enhanced_codes_rfc_2034() {
        let r = decode_all(b"250-2.1.5 Ok\r\n250 2.1.5 really\r\n");
        assert_eq!(r.enhanced(), EnhancedCode::new(2, 1, 5));
        assert_eq!(r.lines().collect::<Vec<_>>(), ["Ok", "really"]);
        let r = decode_all(b"550 5.1.1 <bob@example.org>... User unknown\r\n");
        assert_eq!(r.enhanced(), EnhancedCode::new(5, 1, 1));
        assert_eq!(
            r.lines().collect::<Vec<_>>(),
            ["<bob@example.org>... User unknown"]
        );
        // A class that differs from the reply code is text, not an enhanced code.
        let r = decode_all(b"250 5.1.1 odd\r\n");
        assert_eq!(
            (r.enhanced(), r.lines().collect::<Vec<_>>()),
            (None, vec!["5.1.1 odd"])
        );
        // Four digits are not a subject.
        assert_eq!(decode_all(b"250 2.1000.0 x\r\n").enhanced(), None);
        assert_eq!(
            decode_all(b"250 2.0.0\r\n").lines().collect::<Vec<_>>(),
            [""]
        );
    }

    #[test]
    fn empty_text_and_bare_codes() {
        let r = decode_all(b"250\r\n");
        assert_eq!(r.lines().collect::<Vec<_>>(), [""]);
        assert_eq!(r.to_string(), "250\r\n");
        assert_eq!(decode_all(b"250 \r\n"), r);
        assert_eq!(
            decode_all(b"354-\r\n354 go\r\n").to_string(),
            "354-\r\n354 go\r\n"
        );
    }

    #[test]
    fn invalid_replies() {
        let invalid = |input: &[u8]| match Reply::decode(input) {
            Decoded::Invalid { error, consumed } => (error, consumed),
            other => panic!("{other:?}"),
        };
        assert_eq!(invalid(b"199 x\r\n"), (ReplyError::Code, 7));
        assert_eq!(invalid(b"25 x\r\n"), (ReplyError::Code, 6));
        assert_eq!(invalid(b"250x\r\n"), (ReplyError::Separator, 6));
        assert_eq!(invalid(b"250-a\r\n251 b\r\n"), (ReplyError::MixedCodes, 14));
        assert_eq!(invalid(b"250 a\x00b\r\n"), (ReplyError::Text, 9));
        assert_eq!(invalid(b"250 a\rb\r\n"), (ReplyError::Text, 9));
        let long = vec![b'2'; MAX_REPLY_LEN + 1];
        assert_eq!(invalid(&long), (ReplyError::TooLong, MAX_REPLY_LEN + 1));
    }

    #[test]
    fn the_assembler_bounds_a_reply_line_by_line() {
        let mut assembler = ReplyAssembler::default();
        let line = format!("250-{}", "x".repeat(1000));
        let mut pushed = 0;
        let error = loop {
            match assembler.push_line(line.as_bytes()) {
                Ok(None) => pushed += line.len() + 2,
                Ok(Some(reply)) => panic!("{reply:?}"),
                Err(error) => break error,
            }
        };
        assert_eq!(error, ReplyError::TooLong);
        assert!(pushed <= MAX_REPLY_LEN && pushed + line.len() + 2 > MAX_REPLY_LEN);
        // It starts afresh afterwards.
        assert_eq!(
            assembler
                .push_line(b"250 ok")
                .unwrap()
                .unwrap()
                .lines()
                .collect::<Vec<_>>(),
            ["ok"]
        );
    }

    #[test]
    fn invalid_utf8_is_replaced_line_by_line() {
        let r = decode_all(b"250-a\xffb\r\n250-x\xe2\x82\r\n250 \xe2\x82\xacc\xc3\r\n");
        assert_eq!(
            r.lines().collect::<Vec<_>>(),
            ["a\u{fffd}b", "x\u{fffd}", "\u{20ac}c\u{fffd}"]
        );
    }

    #[test]
    fn every_prefix_is_incomplete() {
        let wire = b"250-2.0.0 a\r\n250 2.0.0 b\r\n";
        for end in 0..wire.len() {
            assert!(
                matches!(Reply::decode(&wire[..end]), Decoded::Incomplete),
                "{end}"
            );
        }
    }

    #[test]
    fn construction_validates() {
        assert_eq!(Reply::new(ReplyCode::OK, "a\rb"), Err(ReplyError::Text));
        assert_eq!(
            Reply::from_lines(ReplyCode::OK, Vec::<String>::new()),
            Err(ReplyError::Empty)
        );
        assert_eq!(
            Reply::new(ReplyCode::OK, "x")
                .unwrap()
                .with_enhanced(EnhancedCode::new(5, 0, 0).unwrap()),
            Err(ReplyError::EnhancedClass)
        );
        assert_eq!(ReplyCode::new(600), None);
        assert_eq!(ReplyCode::new(199), None);
    }

    pub(crate) fn arb_reply() -> impl Strategy<Value = Reply> {
        let code = (200u16..=599).prop_map(ReplyCode);
        // Lines never start with a digit, so no text is mistaken for an enhanced code.
        let line = "([a-zA-Z<(\\[][ -~]{0,30})?";
        let enhanced = proptest::option::of((0u16..=999, 0u16..=999));
        (code, proptest::collection::vec(line, 1..5), enhanced).prop_map(|(code, lines, e)| {
            let reply = Reply::from_lines(code, lines).unwrap();
            match e.and_then(|(s, d)| EnhancedCode::new(code.class(), s, d)) {
                Some(e) => reply.with_enhanced(e).unwrap(),
                None => reply,
            }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn round_trip(reply in arb_reply()) {
            let mut wire = Vec::new();
            reply.encode(&mut wire);
            match Reply::decode(&wire) {
                Decoded::Complete { value, consumed } => {
                    prop_assert_eq!(consumed, wire.len());
                    prop_assert_eq!(value, reply);
                }
                other => prop_assert!(false, "{:?}", other),
            }
        }
    }
}
