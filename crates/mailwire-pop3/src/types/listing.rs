//! Scan listings (`LIST`, RFC 1939 §5), unique-id listings (`UIDL`, RFC 1939 §7) and the
//! multi-line framing they share.

use std::fmt;

use bytes::BufMut;
use nom::{
    IResult, Parser,
    bytes::complete::{take_while_m_n, take_while1},
    character::complete::char,
    combinator::map_res,
};

use crate::types::argument::MessageNumber;

/// Why a listing line could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ListingError {
    /// A line passes the limit.
    #[error("listing line exceeds {limit} bytes")]
    LineTooLong {
        /// The limit, CRLF included.
        limit: usize,
    },
    /// A line does not follow the listing grammar.
    #[error("malformed listing line")]
    Malformed,
}

/// One line of a `LIST` answer: `msg SP size` (RFC 1939 §5).
///
/// Anything after the size is allowed by RFC 1939 and ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ScanListing {
    /// The message.
    pub message: MessageNumber,
    /// Its exact size in octets, with CRLF line endings and before dot-stuffing.
    pub size: u64,
}

/// A unique-id: 1 to 70 characters in `0x21..=0x7E` (RFC 1939 §7).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UniqueId(String);

/// A unique-id outside the RFC's rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a unique-id is 1 to 70 printable characters without spaces")]
pub struct UniqueIdError;

/// Longest unique-id (RFC 1939 §7).
pub const MAX_UNIQUE_ID_LEN: usize = 70;

fn is_uid_char(b: u8) -> bool {
    (0x21..=0x7e).contains(&b)
}

impl UniqueId {
    /// Checks and wraps a unique-id.
    pub fn new(id: impl Into<String>) -> Result<Self, UniqueIdError> {
        let id = id.into();
        if id.is_empty() || id.len() > MAX_UNIQUE_ID_LEN || !id.bytes().all(is_uid_char) {
            return Err(UniqueIdError);
        }
        Ok(Self(id))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UniqueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One line of a `UIDL` answer: `msg SP unique-id` (RFC 1939 §7).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UniqueIdListing {
    /// The message.
    pub message: MessageNumber,
    /// Its unique-id.
    pub unique_id: UniqueId,
}

fn message_number(input: &[u8]) -> IResult<&[u8], MessageNumber, ()> {
    map_res(
        take_while_m_n(1, 10, |b: u8| b.is_ascii_digit()),
        |d: &[u8]| {
            let n: u32 = std::str::from_utf8(d)
                .map_err(|_| ())?
                .parse()
                .map_err(|_| ())?;
            MessageNumber::new(n).map_err(|_| ())
        },
    )
    .parse(input)
}

fn size(input: &[u8]) -> IResult<&[u8], u64, ()> {
    map_res(
        take_while_m_n(1, 20, |b: u8| b.is_ascii_digit()),
        |d: &[u8]| {
            std::str::from_utf8(d)
                .map_err(|_| ())?
                .parse::<u64>()
                .map_err(|_| ())
        },
    )
    .parse(input)
}

impl ScanListing {
    /// Parses `msg SP size [SP anything]`, the form of `LIST`'s lines and of the text of
    /// `+OK` after `LIST msg`.
    pub fn parse(line: &[u8]) -> Result<Self, ListingError> {
        let (rest, (message, _, size)) = (message_number, char(' '), size)
            .parse(line)
            .map_err(|_| ListingError::Malformed)?;
        match rest {
            [] | [b' ', ..] => Ok(Self { message, size }),
            _ => Err(ListingError::Malformed),
        }
    }

    /// Writes `msg SP size`, without a line ending.
    pub fn encode(&self, out: &mut impl BufMut) {
        out.put_slice(format!("{} {}", self.message, self.size).as_bytes());
    }
}

impl UniqueIdListing {
    /// Parses `msg SP unique-id`, the form of `UIDL`'s lines and of the text of `+OK` after
    /// `UIDL msg`.
    pub fn parse(line: &[u8]) -> Result<Self, ListingError> {
        let (rest, (message, _, id)) = (message_number, char(' '), take_while1(is_uid_char))
            .parse(line)
            .map_err(|_: nom::Err<()>| ListingError::Malformed)?;
        if !rest.is_empty() {
            return Err(ListingError::Malformed);
        }
        let id = std::str::from_utf8(id).map_err(|_| ListingError::Malformed)?;
        let unique_id = UniqueId::new(id).map_err(|_| ListingError::Malformed)?;
        Ok(Self { message, unique_id })
    }

    /// Writes `msg SP unique-id`, without a line ending.
    pub fn encode(&self, out: &mut impl BufMut) {
        out.put_slice(self.message.to_string().as_bytes());
        out.put_u8(b' ');
        out.put_slice(self.unique_id.as_str().as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{
        Decoded, decode_lines, decode_scan_listings, decode_unique_id_listings, encode_lines,
        encode_unique_id_listings,
    };

    fn n(n: u32) -> MessageNumber {
        MessageNumber::new(n).unwrap()
    }

    #[test]
    fn rfc_1939_list_example() {
        let body = b"1 120\r\n2 200\r\n.\r\n+OK";
        assert_eq!(
            decode_scan_listings(body),
            Decoded::Complete {
                value: vec![
                    ScanListing {
                        message: n(1),
                        size: 120
                    },
                    ScanListing {
                        message: n(2),
                        size: 200
                    }
                ],
                consumed: 17
            }
        );
    }

    #[test]
    fn rfc_1939_uidl_example() {
        let body = b"1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n.\r\n";
        let Decoded::Complete { value, consumed } = decode_unique_id_listings(body) else {
            panic!()
        };
        assert_eq!(consumed, body.len());
        assert_eq!(value[1].unique_id.as_str(), "QhdPYR:00WBw1Ph7x7");
        let mut out = Vec::new();
        encode_unique_id_listings(&value, &mut out);
        assert_eq!(out, body);
    }

    #[test]
    fn scan_listing_tolerates_extra_information() {
        assert_eq!(
            ScanListing::parse(b"2 200 from=someone"),
            Ok(ScanListing {
                message: n(2),
                size: 200
            })
        );
        assert_eq!(ScanListing::parse(b"2 200x"), Err(ListingError::Malformed));
        assert_eq!(ScanListing::parse(b"0 200"), Err(ListingError::Malformed));
        assert_eq!(ScanListing::parse(b"2"), Err(ListingError::Malformed));
    }

    #[test]
    fn unique_ids() {
        assert!(UniqueId::new("a".repeat(70)).is_ok());
        assert_eq!(UniqueId::new("a".repeat(71)), Err(UniqueIdError));
        assert_eq!(UniqueId::new("a b"), Err(UniqueIdError));
        assert_eq!(UniqueId::new(""), Err(UniqueIdError));
        assert_eq!(
            UniqueIdListing::parse(b"1 a b"),
            Err(ListingError::Malformed)
        );
    }

    #[test]
    fn every_prefix_is_incomplete() {
        let body = b"1 120\r\n2 200\r\n.\r\n";
        for end in 0..body.len() {
            assert_eq!(
                decode_scan_listings(&body[..end]),
                Decoded::Incomplete,
                "{end}"
            );
        }
    }

    #[test]
    fn a_bad_line_skips_the_whole_body() {
        let body = b"1 120\r\nbogus\r\n2 200\r\n.\r\n+OK\r\n";
        assert_eq!(
            decode_scan_listings(body),
            Decoded::Invalid {
                error: ListingError::Malformed,
                consumed: body.len() - 5
            }
        );
    }

    #[test]
    fn lines_are_stuffed_and_unstuffed() {
        let mut out = Vec::new();
        encode_lines([&b".hidden"[..], b"plain"], &mut out);
        assert_eq!(out, b"..hidden\r\nplain\r\n.\r\n");
        let back = decode_lines(&out, 512, |l| Ok(l.to_vec()))
            .complete()
            .unwrap();
        assert_eq!(back, vec![b".hidden".to_vec(), b"plain".to_vec()]);
    }
}
