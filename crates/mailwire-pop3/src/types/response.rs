//! Status lines: `+OK` / `-ERR`, an optional response code, and text.

use std::fmt;

use bytes::BufMut;

use nom::{
    IResult, Parser,
    branch::alt,
    bytes::complete::{tag, take_while1},
    combinator::value,
    multi::separated_list1,
    sequence::delimited,
};

use crate::codec::decode::{Decoded, MAX_RESPONSE_LINE, RawLine, raw_line};

/// The first token of every response line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// `+OK`: the command succeeded.
    Ok,
    /// `-ERR`: the command failed.
    Err,
}

impl Status {
    /// The status as it appears on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "+OK",
            Self::Err => "-ERR",
        }
    }
}

/// A response code in brackets after the status (RFC 2449 §8, RFC 3206, RFC 6856).
///
/// ```text
/// resp-code  = "[" resp-level *("/" resp-level) "]"
/// resp-level = 1*rchar
/// rchar      = %x21-2E / %x30-5C / %x5E-7F   ; printable ASCII but "/" and "]"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResponseCode {
    /// `[IN-USE]`: the maildrop is locked by another session (RFC 2449 §8.1.1).
    InUse,
    /// `[LOGIN-DELAY]`: logged in too recently (RFC 2449 §8.1.2).
    LoginDelay,
    /// `[SYS/TEMP]`: a temporary system failure, worth retrying (RFC 3206 §4).
    SysTemp,
    /// `[SYS/PERM]`: a permanent system failure (RFC 3206 §4).
    SysPerm,
    /// `[AUTH]`: the credentials are wrong (RFC 3206 §5).
    Auth,
    /// `[UTF8]`: the user name or mailbox needs UTF-8 support (RFC 6856 §3).
    Utf8,
    /// Any other code, as its levels.
    Other(ExtensionCode),
}

/// A response code this crate does not know, kept as its `/`-separated levels.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExtensionCode(String);

/// A response code or text that cannot go on the wire.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TextError {
    /// The text holds a CR or LF.
    #[error("text contains a line ending")]
    LineEnding,
    /// A response code level is empty or holds a character outside `rchar`.
    #[error("invalid response code {0:?}")]
    InvalidCode(String),
    /// The code names one of the known [`ResponseCode`] variants.
    #[error("response code {0:?} has its own variant")]
    KnownCode(String),
    /// The line would pass the 512-byte limit of RFC 2449 §4.
    #[error("response line of {len} bytes exceeds {limit}")]
    TooLong {
        /// Bytes the line would take, CRLF included.
        len: usize,
        /// The limit.
        limit: usize,
    },
}

fn is_rchar(b: u8) -> bool {
    matches!(b, 0x21..=0x2E | 0x30..=0x5C | 0x5E..=0x7F)
}

impl ExtensionCode {
    /// Checks `code` (without brackets, levels separated by `/`) and wraps it.
    pub fn new(code: impl Into<String>) -> Result<Self, TextError> {
        let code = code.into();
        let valid = code
            .split('/')
            .all(|level| !level.is_empty() && level.bytes().all(is_rchar));
        if !valid {
            return Err(TextError::InvalidCode(code));
        }
        if known_code(code.as_bytes()).is_some() {
            return Err(TextError::KnownCode(code));
        }
        Ok(Self(code))
    }

    /// The code without brackets.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn known_code(code: &[u8]) -> Option<ResponseCode> {
    // Response codes are case-insensitive (RFC 2449 §8).
    let known = [
        ("IN-USE", ResponseCode::InUse),
        ("LOGIN-DELAY", ResponseCode::LoginDelay),
        ("SYS/TEMP", ResponseCode::SysTemp),
        ("SYS/PERM", ResponseCode::SysPerm),
        ("AUTH", ResponseCode::Auth),
        ("UTF8", ResponseCode::Utf8),
    ];
    known
        .into_iter()
        .find(|(name, _)| name.as_bytes().eq_ignore_ascii_case(code))
        .map(|(_, c)| c)
}

impl ResponseCode {
    /// The code without brackets, as written on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::InUse => "IN-USE",
            Self::LoginDelay => "LOGIN-DELAY",
            Self::SysTemp => "SYS/TEMP",
            Self::SysPerm => "SYS/PERM",
            Self::Auth => "AUTH",
            Self::Utf8 => "UTF8",
            Self::Other(code) => code.as_str(),
        }
    }

    /// Whether trying again later may succeed: `IN-USE`, `LOGIN-DELAY` and `SYS/TEMP`.
    pub fn is_temporary(&self) -> bool {
        matches!(self, Self::InUse | Self::LoginDelay | Self::SysTemp)
    }

    fn from_wire(code: &[u8]) -> Self {
        known_code(code).unwrap_or_else(|| {
            // The parser admitted only rchar and "/", which are ASCII.
            Self::Other(ExtensionCode(String::from_utf8_lossy(code).into_owned()))
        })
    }
}

impl fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `+OK` or `-ERR` line (RFC 1939 §3, RFC 2449 §8).
///
/// ```text
/// single-line = status [SP [resp-code SP] text] CRLF   ; 512 octets maximum
/// ```
///
/// The text is free-form; this crate reads it as UTF-8, replacing invalid sequences.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Response {
    status: Status,
    code: Option<ResponseCode>,
    text: String,
}

/// Why a response line could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// No CRLF within the limit.
    #[error("response line exceeds {limit} bytes")]
    LineTooLong {
        /// The limit, CRLF included.
        limit: usize,
    },
    /// The line starts with neither `+OK` nor `-ERR`.
    #[error("response line starts with neither +OK nor -ERR")]
    Status,
    /// The text holds a bare CR.
    #[error("response text contains a bare CR")]
    BareCr,
}

impl Response {
    /// A response with text and no code; fails if the line would be invalid or too long.
    pub fn new(status: Status, text: impl Into<String>) -> Result<Self, TextError> {
        Self::with_code(status, None, text)
    }

    /// A response with an optional code and text.
    ///
    /// A text that starts with `[` needs a code in front of it, or it would be read back as
    /// one; such a text with no code is refused.
    pub fn with_code(
        status: Status,
        code: Option<ResponseCode>,
        text: impl Into<String>,
    ) -> Result<Self, TextError> {
        let text = text.into();
        if text.contains(['\r', '\n']) {
            return Err(TextError::LineEnding);
        }
        if code.is_none() && text.starts_with('[') {
            return Err(TextError::InvalidCode(text));
        }
        let response = Self { status, code, text };
        let len = response.encoded_len();
        if len > MAX_RESPONSE_LINE {
            return Err(TextError::TooLong {
                len,
                limit: MAX_RESPONSE_LINE,
            });
        }
        Ok(response)
    }

    /// `+OK` or `-ERR`.
    pub fn status(&self) -> Status {
        self.status
    }

    /// Whether the status is `+OK`.
    pub fn is_ok(&self) -> bool {
        self.status == Status::Ok
    }

    /// The response code, if the line carries one.
    pub fn code(&self) -> Option<&ResponseCode> {
        self.code.as_ref()
    }

    /// The text after the status and code.
    pub fn text(&self) -> &str {
        &self.text
    }

    fn encoded_len(&self) -> usize {
        let mut len = self.status.as_str().len() + 2;
        if let Some(code) = &self.code {
            len += code.as_str().len() + 3;
        }
        if !self.text.is_empty() {
            len += self.text.len() + 1;
        }
        len
    }

    /// Writes the line, CRLF included.
    pub fn encode(&self, out: &mut impl BufMut) {
        out.put_slice(self.status.as_str().as_bytes());
        if let Some(code) = &self.code {
            out.put_slice(b" [");
            out.put_slice(code.as_str().as_bytes());
            out.put_u8(b']');
        }
        if !self.text.is_empty() {
            out.put_u8(b' ');
            out.put_slice(self.text.as_bytes());
        }
        out.put_slice(b"\r\n");
    }

    /// Decodes one response line from the front of `input` with the RFC's 512-byte limit.
    pub fn decode(input: &[u8]) -> Decoded<Self, ResponseError> {
        Self::decode_with_limit(input, MAX_RESPONSE_LINE)
    }

    /// Decodes one response line, allowing lines of up to `limit` bytes with the CRLF.
    pub fn decode_with_limit(input: &[u8], limit: usize) -> Decoded<Self, ResponseError> {
        match raw_line(input, limit) {
            RawLine::Incomplete => Decoded::Incomplete,
            RawLine::TooLong => Decoded::Invalid {
                error: ResponseError::LineTooLong { limit },
                consumed: input.len(),
            },
            RawLine::Line(line, consumed) => match Self::parse(line) {
                Ok(value) => Decoded::Complete { value, consumed },
                Err(error) => Decoded::Invalid { error, consumed },
            },
        }
    }

    /// Parses a response line without its CRLF.
    pub fn parse(line: &[u8]) -> Result<Self, ResponseError> {
        let Ok((rest, status)) = status(line) else {
            return Err(ResponseError::Status);
        };
        let rest = match rest {
            [] => rest,
            [b' ', rest @ ..] => rest,
            _ => return Err(ResponseError::Status),
        };
        if rest.contains(&b'\r') {
            return Err(ResponseError::BareCr);
        }
        let (text, code) = match response_code(rest) {
            Ok((after, code)) => match after {
                [] => (after, Some(code)),
                [b' ', text @ ..] => (text, Some(code)),
                // "[" not closing a valid code, or a code glued to the text: all text.
                _ => (rest, None),
            },
            Err(_) => (rest, None),
        };
        let text = String::from_utf8_lossy(text).into_owned();
        Ok(Self { status, code, text })
    }
}

impl fmt::Display for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut line = Vec::new();
        self.encode(&mut line);
        line.truncate(line.len() - 2);
        f.write_str(&String::from_utf8_lossy(&line))
    }
}

fn status(input: &[u8]) -> IResult<&[u8], Status> {
    alt((
        value(Status::Ok, tag("+OK")),
        value(Status::Err, tag("-ERR")),
    ))
    .parse(input)
}

fn response_code(input: &[u8]) -> IResult<&[u8], ResponseCode> {
    let levels = separated_list1(tag("/"), take_while1(is_rchar));
    let (rest, _) = delimited(tag("["), levels, tag("]")).parse(input)?;
    let code = &input[1..input.len() - rest.len() - 1];
    Ok((rest, ResponseCode::from_wire(code)))
}

/// A SASL challenge from the server during AUTH: `+ base64` (RFC 5034 §4).
///
/// Returns the base64 text after `"+ "` (possibly empty), or `None` if `line` is not a
/// continuation. `+OK` is not a continuation.
pub fn parse_continuation(line: &[u8]) -> Option<&[u8]> {
    match line {
        [b'+'] => Some(&[]),
        [b'+', b' ', rest @ ..] => Some(rest),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(r: &Response) -> Vec<u8> {
        let mut out = Vec::new();
        r.encode(&mut out);
        out
    }

    #[test]
    fn decodes_the_rfc_2449_in_use_example() {
        let d = Response::decode(b"-ERR [IN-USE] Do you have another POP session running?\r\n");
        let Decoded::Complete { value, consumed } = d else {
            panic!("{d:?}")
        };
        assert_eq!(consumed, 56);
        assert_eq!(value.status(), Status::Err);
        assert_eq!(value.code(), Some(&ResponseCode::InUse));
        assert_eq!(value.text(), "Do you have another POP session running?");
    }

    #[test]
    fn decodes_hierarchical_and_unknown_codes() {
        let r = Response::parse(b"-ERR [sys/temp] try later").unwrap();
        assert_eq!(r.code(), Some(&ResponseCode::SysTemp));
        let r = Response::parse(b"-ERR [X-FOO/BAR]").unwrap();
        assert_eq!(r.code().unwrap().as_str(), "X-FOO/BAR");
        assert_eq!(r.text(), "");
    }

    #[test]
    fn text_that_merely_starts_with_a_bracket_is_text() {
        let r = Response::parse(b"+OK [not a code").unwrap();
        assert_eq!(r.code(), None);
        assert_eq!(r.text(), "[not a code");
        let r = Response::parse(b"+OK [AUTH]glued").unwrap();
        assert_eq!(r.code(), None);
        assert_eq!(r.text(), "[AUTH]glued");
    }

    #[test]
    fn bare_status_lines() {
        assert_eq!(Response::parse(b"+OK").unwrap().text(), "");
        assert_eq!(Response::parse(b"-ERR").unwrap().status(), Status::Err);
        assert_eq!(Response::parse(b"+OKAY"), Err(ResponseError::Status));
        assert_eq!(Response::parse(b"OK fine"), Err(ResponseError::Status));
        assert_eq!(Response::parse(b"+ok"), Err(ResponseError::Status));
    }

    #[test]
    fn incomplete_and_too_long() {
        assert_eq!(Response::decode(b"+OK 2 messages"), Decoded::Incomplete);
        assert_eq!(Response::decode(b"+OK\r"), Decoded::Incomplete);
        let long = vec![b'a'; 600];
        assert_eq!(
            Response::decode(&long),
            Decoded::Invalid {
                error: ResponseError::LineTooLong { limit: 512 },
                consumed: 600
            }
        );
    }

    #[test]
    fn encodes_exact_bytes() {
        let r = Response::with_code(Status::Err, Some(ResponseCode::Auth), "bad password").unwrap();
        assert_eq!(line(&r), b"-ERR [AUTH] bad password\r\n");
        assert_eq!(line(&Response::new(Status::Ok, "").unwrap()), b"+OK\r\n");
        assert_eq!(r.to_string(), "-ERR [AUTH] bad password");
    }

    #[test]
    fn constructors_refuse_what_cannot_round_trip() {
        assert_eq!(
            Response::new(Status::Ok, "a\r\nb"),
            Err(TextError::LineEnding)
        );
        assert!(Response::new(Status::Ok, "[x] y").is_err());
        assert!(matches!(
            Response::new(Status::Ok, "x".repeat(507)),
            Err(TextError::TooLong {
                len: 513,
                limit: 512
            })
        ));
        assert!(Response::new(Status::Ok, "x".repeat(506)).is_ok());
        assert!(ExtensionCode::new("A//B").is_err());
        assert!(ExtensionCode::new("A]").is_err());
        assert_eq!(
            ExtensionCode::new("in-use"),
            Err(TextError::KnownCode("in-use".into()))
        );
    }

    #[test]
    fn continuations() {
        assert_eq!(parse_continuation(b"+ dGVzdA=="), Some(&b"dGVzdA=="[..]));
        assert_eq!(parse_continuation(b"+ "), Some(&b""[..]));
        assert_eq!(parse_continuation(b"+"), Some(&b""[..]));
        assert_eq!(parse_continuation(b"+OK"), None);
    }
}
