//! Parsing from chunks as they arrive.

use memchr::memchr;

use crate::header::{Header, parse_header};
use crate::limits::Limits;
use crate::message::Message;

/// Collects a message from chunks of any size and parses it.
///
/// The header section can be read as soon as it is complete ([`MessageParser::header`]),
/// before the body has arrived. The result of [`MessageParser::message`] is the same for
/// every split of the input, because the parser keeps the bytes and parses them whole.
///
/// ```
/// use mailwire_mime::MessageParser;
///
/// let mut p = MessageParser::new();
/// p.push(b"Subject: hi\r\n");
/// assert!(p.header().is_none());
/// p.push(b"\r\nbody");
/// assert_eq!(p.header().and_then(|h| h.subject()).as_deref(), Some("hi"));
/// assert_eq!(p.message().root().text(), Some("body"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct MessageParser {
    buf: Vec<u8>,
    limits: Limits,
    header_end: Option<usize>,
}

impl MessageParser {
    /// A parser with the default limits.
    pub fn new() -> MessageParser {
        MessageParser::default()
    }

    /// A parser with the given limits.
    pub fn with_limits(limits: Limits) -> MessageParser {
        MessageParser {
            limits,
            ..MessageParser::default()
        }
    }

    /// Appends the next chunk.
    pub fn push(&mut self, chunk: &[u8]) {
        let old = self.buf.len();
        self.buf.extend_from_slice(chunk);
        if self.header_end.is_none() {
            // A blank line can straddle chunks: look back two bytes.
            let mut at = old.saturating_sub(2);
            while let Some(i) = memchr(b'\n', &self.buf[at..]) {
                let nl = at + i;
                let rest = &self.buf[nl + 1..];
                if rest.starts_with(b"\n") || rest.starts_with(b"\r\n") {
                    self.header_end = Some(nl + 1 + if rest[0] == b'\n' { 1 } else { 2 });
                    break;
                }
                at = nl + 1;
            }
            if self.buf.starts_with(b"\n") || self.buf.starts_with(b"\r\n") {
                self.header_end = Some(if self.buf[0] == b'\n' { 1 } else { 2 });
            }
        }
    }

    /// Bytes received so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether nothing was received yet.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The header section, once its closing empty line has arrived.
    pub fn header(&self) -> Option<Header<'_>> {
        let end = self.header_end?;
        let mut damage = Vec::new();
        Some(
            parse_header(
                &self.buf[..end],
                0,
                self.limits.max_header_bytes,
                &mut damage,
            )
            .0,
        )
    }

    /// Parses everything received so far as a whole message.
    pub fn message(&self) -> Message<'_> {
        Message::parse_with(&self.buf, self.limits)
    }
}
