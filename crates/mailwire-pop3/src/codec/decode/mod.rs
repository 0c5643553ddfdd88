//! The outcome of decoding one message from the front of a buffer, and the line limits.

pub(crate) mod command;
pub(crate) mod listing;
pub(crate) mod response;

use memchr::memchr;

pub use command::decode_command;
pub use listing::{
    decode_capabilities, decode_lines, decode_scan_listings, decode_unique_id_listings,
};
pub use response::{decode_response, parse_continuation};

/// Longest command line, CRLF included (RFC 2449 §4).
pub const MAX_COMMAND_LINE: usize = 255;

/// Longest first line of a response, CRLF included (RFC 2449 §4).
pub const MAX_RESPONSE_LINE: usize = 512;

/// What a decoder found at the front of its input (shared by every mailwire codec).
pub use mailwire_core::Decoded;

/// One CRLF-terminated line at the front of `input`, limited to `max_len` bytes including
/// the CRLF.
pub(crate) enum RawLine<'a> {
    /// The line without its CRLF, and the bytes it took with it.
    Line(&'a [u8], usize),
    Incomplete,
    /// No CRLF within the limit; the caller drops `input.len()` bytes.
    TooLong,
}

pub(crate) fn raw_line(input: &[u8], max_len: usize) -> RawLine<'_> {
    let window = &input[..input.len().min(max_len)];
    let mut from = 0;
    while let Some(i) = memchr(b'\n', &window[from..]) {
        let lf = from + i;
        if lf > 0 && window[lf - 1] == b'\r' {
            return RawLine::Line(&input[..lf - 1], lf + 1);
        }
        from = lf + 1;
    }
    if input.len() >= max_len {
        RawLine::TooLong
    } else {
        RawLine::Incomplete
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(input: &[u8], max: usize) -> Option<(&[u8], usize)> {
        match raw_line(input, max) {
            RawLine::Line(l, n) => Some((l, n)),
            _ => None,
        }
    }

    #[test]
    fn finds_the_first_crlf() {
        assert_eq!(line(b"STAT\r\nNOOP\r\n", 255), Some((&b"STAT"[..], 6)));
        assert_eq!(line(b"\r\n", 255), Some((&b""[..], 2)));
    }

    #[test]
    fn a_bare_lf_does_not_end_a_line() {
        assert!(matches!(raw_line(b"ST\nAT", 255), RawLine::Incomplete));
        assert_eq!(line(b"ST\nAT\r\n", 255), Some((&b"ST\nAT"[..], 7)));
    }

    #[test]
    fn the_limit_counts_the_crlf() {
        assert_eq!(line(b"abc\r\n", 5), Some((&b"abc"[..], 5)));
        assert!(matches!(raw_line(b"abcd\r\n", 5), RawLine::TooLong));
        assert!(matches!(raw_line(b"abcd", 5), RawLine::Incomplete));
        assert!(matches!(raw_line(b"abcde", 5), RawLine::TooLong));
    }
}
