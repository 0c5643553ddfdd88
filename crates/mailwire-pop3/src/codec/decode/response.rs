//! Decoding status lines and SASL continuations.

use nom::{
    IResult, Parser,
    branch::alt,
    bytes::complete::{tag, take_while1},
    combinator::value,
    multi::separated_list1,
    sequence::delimited,
};

use crate::codec::decode::{Decoded, MAX_RESPONSE_LINE, RawLine, raw_line};
use crate::types::response::{Response, ResponseCode, ResponseError, Status, is_rchar};

/// Decodes one response line from the front of `input` with the RFC's 512-byte limit.
pub fn decode_response(input: &[u8]) -> Decoded<Response, ResponseError> {
    Response::decode(input)
}

impl Response {
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
    fn continuations() {
        assert_eq!(parse_continuation(b"+ dGVzdA=="), Some(&b"dGVzdA=="[..]));
        assert_eq!(parse_continuation(b"+ "), Some(&b""[..]));
        assert_eq!(parse_continuation(b"+"), Some(&b""[..]));
        assert_eq!(parse_continuation(b"+OK"), None);
    }
}
