//! Decoding multi-line bodies: `LIST`, `UIDL` and `CAPA` answers.

use crate::codec::decode::{Decoded, MAX_RESPONSE_LINE, RawLine, raw_line};
use crate::types::capability::Capability;
use crate::types::listing::{ListingError, ScanListing, UniqueIdListing};

/// Reads the lines of a multi-line body (after the `+OK` line) up to `.` CRLF, undoing
/// dot-stuffing, and parses each with `parse`.
///
/// Suited to the short bodies of `LIST`, `UIDL` and `CAPA`; message bodies go through
/// `mailwire_core::dot::DotUnstuffer` instead. Each line is limited to `limit` bytes; the
/// returned list grows with the lines actually received, never with a number the peer
/// announced.
pub fn decode_lines<T>(
    input: &[u8],
    limit: usize,
    mut parse: impl FnMut(&[u8]) -> Result<T, ListingError>,
) -> Decoded<Vec<T>, ListingError> {
    let mut values = Vec::new();
    let mut at = 0;
    loop {
        match raw_line(&input[at..], limit) {
            RawLine::Incomplete => return Decoded::Incomplete,
            RawLine::TooLong => {
                return Decoded::Invalid {
                    error: ListingError::LineTooLong { limit },
                    consumed: input.len(),
                };
            }
            RawLine::Line(b".", n) => {
                return Decoded::Complete {
                    value: values,
                    consumed: at + n,
                };
            }
            RawLine::Line(line, n) => {
                at += n;
                let line = line.strip_prefix(b".").unwrap_or(line);
                match parse(line) {
                    Ok(v) => values.push(v),
                    Err(error) => {
                        // Skip the rest of the body so the next response lines up.
                        let consumed =
                            body_end(&input[at..], limit).map_or(input.len(), |n| at + n);
                        return Decoded::Invalid { error, consumed };
                    }
                }
            }
        }
    }
}

/// Bytes up to and including the `.` CRLF that ends a body, if it is in `input`.
fn body_end(input: &[u8], limit: usize) -> Option<usize> {
    let mut at = 0;
    loop {
        match raw_line(&input[at..], limit) {
            RawLine::Line(b".", n) => return Some(at + n),
            RawLine::Line(_, n) => at += n,
            RawLine::Incomplete | RawLine::TooLong => return None,
        }
    }
}

/// Decodes the body of a `LIST` answer.
pub fn decode_scan_listings(input: &[u8]) -> Decoded<Vec<ScanListing>, ListingError> {
    decode_lines(input, MAX_RESPONSE_LINE, ScanListing::parse)
}

/// Decodes the body of a `UIDL` answer.
pub fn decode_unique_id_listings(input: &[u8]) -> Decoded<Vec<UniqueIdListing>, ListingError> {
    decode_lines(input, MAX_RESPONSE_LINE, UniqueIdListing::parse)
}

/// Decodes the body of a `CAPA` answer, up to and including `.` CRLF.
pub fn decode_capabilities(input: &[u8]) -> Decoded<Vec<Capability>, ListingError> {
    decode_lines(input, MAX_RESPONSE_LINE, Capability::parse)
}
