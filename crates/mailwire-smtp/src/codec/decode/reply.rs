//! Decoding replies: one at a time from a buffer, or line by line as a client reads them.

use crate::Decoded;
use crate::types::grammar::is_text;
use crate::types::reply::{EnhancedCode, MAX_REPLY_LEN, Reply, ReplyCode, ReplyError};

/// Decodes one reply from the start of `input`.
///
/// ```
/// use mailwire_smtp::Decoded;
/// use mailwire_smtp::codec::decode_reply;
///
/// let Decoded::Complete { value, consumed } = decode_reply(b"250-a\r\n250 b\r\nXX") else {
///     panic!()
/// };
/// assert_eq!((value.code().get(), consumed), (250, 14));
/// assert!(matches!(decode_reply(b"250-a\r\n250 b"), Decoded::Incomplete));
/// ```
pub fn decode_reply(input: &[u8]) -> Decoded<Reply, ReplyError> {
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

impl Reply {
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
        decode_reply(input)
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

impl EnhancedCode {
    /// Parses a code at the start of `text`, followed by SP or the end; returns it and how
    /// many bytes to skip (the trailing SP included).
    pub(crate) fn parse_prefix(text: &[u8]) -> Option<(Self, usize)> {
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
    use crate::types::reply::ReplyCode;

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
