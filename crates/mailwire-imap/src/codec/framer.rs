//! Framing: splitting the byte stream into lines and literals before anything is parsed.
//!
//! An IMAP message is a line, unless the line ends with a literal announcement
//! (`{n}`, `{n+}` or `~{n}` just before the CRLF): then `n` bytes of literal data follow,
//! and after them the message goes on with another line. The framer finds these
//! boundaries under [`Limits`], checking each announced length as a number: nothing is
//! reserved for a literal before its bytes arrive.

use thiserror::Error;

/// Size limits applied while framing and parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Longest line, CRLF excluded, literal data not counted.
    pub max_line: usize,
    /// Largest literal.
    pub max_literal: u32,
    /// Deepest nesting of parenthesised structures (BODYSTRUCTURE, search keys).
    pub max_depth: usize,
    /// Largest message: one command or response with its lines and all its literals.
    /// A literal that would take a message past it is refused like an oversized literal,
    /// so a peer cannot grow a message without end by chaining literals.
    pub max_message: usize,
}

impl Default for Limits {
    /// 64 KiB lines (RFC 7162 §4 asks for at least 8192 octets), 64 MiB literals, depth 64,
    /// 128 MiB messages.
    fn default() -> Self {
        Self {
            max_line: 64 * 1024,
            max_literal: 64 * 1024 * 1024,
            max_depth: 64,
            max_message: 128 * 1024 * 1024,
        }
    }
}

impl Limits {
    /// Limits for a client reading a server: lines up to 16 MiB, since a SEARCH or
    /// ESEARCH result for a large mailbox comes as one long line; nesting 128 deep, since
    /// servers describe parts 100 levels deep in BODYSTRUCTURE (Dovecot, and mailwire's
    /// [`ParsedMessage::limits`](crate::message::ParsedMessage::limits)); other limits as
    /// [`Limits::default`].
    pub fn for_client() -> Self {
        Self {
            max_line: 16 * 1024 * 1024,
            max_depth: 128,
            ..Self::default()
        }
    }

    /// Limits with a different largest literal.
    pub fn with_max_literal(mut self, max_literal: u32) -> Self {
        self.max_literal = max_literal;
        self
    }

    /// Limits with a different longest line.
    pub fn with_max_line(mut self, max_line: usize) -> Self {
        self.max_line = max_line;
        self
    }

    /// Limits with a different largest message.
    pub fn with_max_message(mut self, max_message: usize) -> Self {
        self.max_message = max_message;
        self
    }

    /// Limits with a different nesting depth.
    pub fn with_max_depth(mut self, max_depth: usize) -> Self {
        self.max_depth = max_depth;
        self
    }
}

/// A literal announced at the end of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiteralAnnouncement {
    /// Its length in bytes.
    pub length: u32,
    /// `{n}` or `~{n}`: the sender waits for a continuation request.
    pub sync: bool,
    /// `~{n}`: a `literal8` (RFC 3516), which may hold NUL bytes.
    pub binary: bool,
}

/// A stream that cannot be framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum FrameError {
    /// A line is longer than [`Limits::max_line`].
    #[error("line longer than {limit} bytes at {offset}")]
    LineTooLong {
        /// Where the line starts.
        offset: usize,
        /// The limit.
        limit: usize,
    },
    /// A literal is announced larger than [`Limits::max_literal`].
    #[error("literal of {length} bytes exceeds {limit} at {offset}")]
    LiteralTooLarge {
        /// Where the line that announces it starts.
        offset: usize,
        /// The announced length (it may not fit 32 bits).
        length: u64,
        /// The limit.
        limit: u32,
        /// Whether the sender waits for a continuation (if not, the data is on its way).
        sync: bool,
    },
    /// A line ends with LF alone.
    #[error("line ended without CR at {offset}")]
    BareLf {
        /// Where the LF is.
        offset: usize,
    },
}

/// What [`scan`] found at the start of its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scan {
    /// A complete message of this many bytes.
    Complete(usize),
    /// The last line is not complete.
    Incomplete,
    /// A literal was announced and its data has not all arrived.
    Literal {
        /// The announcement.
        announcement: LiteralAnnouncement,
        /// How many of its bytes are there.
        have: usize,
        /// Where its data starts.
        position: usize,
    },
}

/// Finds the end of the first complete message in `input`; `responses` says that it comes
/// from a server, whose status responses and continuation requests hold no literal.
pub(crate) fn scan_as(input: &[u8], limits: &Limits, responses: bool) -> Result<Scan, FrameError> {
    let mut pos = 0;
    loop {
        let line = next_line(input, pos, limits)?;
        let Some(end) = line else {
            return Ok(Scan::Incomplete);
        };
        // end is the index of LF.
        let content = &input[pos..end - 1];
        if responses && pos == 0 && is_status_line(content) {
            return Ok(Scan::Complete(end + 1));
        }
        match announcement(content, limits).map_err(|e| with_offset(e, pos))? {
            None => return Ok(Scan::Complete(end + 1)),
            Some(a) => {
                let data_start = end + 1;
                check_budget(data_start, a, limits).map_err(|e| with_offset(e, pos))?;
                let have = input.len() - data_start;
                let len = a.length as usize;
                if have < len {
                    return Ok(Scan::Literal {
                        announcement: a,
                        have,
                        position: data_start,
                    });
                }
                pos = data_start + len;
            }
        }
    }
}

/// Refuses `literal` if, after the `so_far` bytes of its message, it would take the message
/// past [`Limits::max_message`]; the limit reported is what was left.
fn check_budget(
    so_far: usize,
    literal: LiteralAnnouncement,
    limits: &Limits,
) -> Result<(), FrameError> {
    let left = limits.max_message.saturating_sub(so_far);
    if literal.length as usize > left {
        return Err(FrameError::LiteralTooLarge {
            offset: 0,
            length: u64::from(literal.length),
            limit: u32::try_from(left).unwrap_or(u32::MAX),
            sync: literal.sync,
        });
    }
    Ok(())
}

fn with_offset(e: FrameError, offset: usize) -> FrameError {
    match e {
        FrameError::LiteralTooLarge {
            length,
            limit,
            sync,
            ..
        } => FrameError::LiteralTooLarge {
            offset,
            length,
            limit,
            sync,
        },
        other => other,
    }
}

/// The index of the LF ending the line that starts at `pos`, if it is there.
fn next_line(input: &[u8], pos: usize, limits: &Limits) -> Result<Option<usize>, FrameError> {
    let rest = &input[pos..];
    // Look no further than the limit allows: a line of max_line bytes plus CRLF.
    let window = &rest[..rest.len().min(limits.max_line.saturating_add(2))];
    match memchr::memchr(b'\n', window) {
        Some(i) => {
            if i == 0 || window[i - 1] != b'\r' {
                return Err(FrameError::BareLf { offset: pos + i });
            }
            if i - 1 > limits.max_line {
                return Err(FrameError::LineTooLong {
                    offset: pos,
                    limit: limits.max_line,
                });
            }
            Ok(Some(pos + i))
        }
        None if rest.len() > limits.max_line + 1 => Err(FrameError::LineTooLong {
            offset: pos,
            limit: limits.max_line,
        }),
        None => Ok(None),
    }
}

/// Whether `line` is a status response (`tag OK/NO/BAD …`, `* OK/NO/BAD/PREAUTH/BYE …`)
/// or a continuation request: free text that may end in `{n}` without announcing anything.
pub(crate) fn is_status_line(line: &[u8]) -> bool {
    if line.starts_with(b"+") {
        return true;
    }
    let Some(sp) = memchr::memchr(b' ', line) else {
        return false;
    };
    let (tag, rest) = (&line[..sp], &line[sp + 1..]);
    let word_end = memchr::memchr(b' ', rest).unwrap_or(rest.len());
    let word = &rest[..word_end];
    let is = |w: &[u8]| word.eq_ignore_ascii_case(w);
    if tag == b"*" {
        is(b"OK") || is(b"NO") || is(b"BAD") || is(b"PREAUTH") || is(b"BYE")
    } else {
        is(b"OK") || is(b"NO") || is(b"BAD")
    }
}

/// The literal `line` (without its CRLF) announces, if any.
pub(crate) fn announcement(
    line: &[u8],
    limits: &Limits,
) -> Result<Option<LiteralAnnouncement>, FrameError> {
    let Some(inner) = line.strip_suffix(b"}") else {
        return Ok(None);
    };
    let Some(open) = memchr::memrchr(b'{', inner) else {
        return Ok(None);
    };
    let mut digits = &inner[open + 1..];
    let sync = match digits.strip_suffix(b"+") {
        Some(d) => {
            digits = d;
            false
        }
        None => true,
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Ok(None);
    }
    let binary = open > 0 && inner[open - 1] == b'~';
    let length = digits
        .iter()
        .try_fold(0u64, |n, &d| {
            n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })
        .unwrap_or(u64::MAX);
    match u32::try_from(length) {
        Ok(length) if length <= limits.max_literal => Ok(Some(LiteralAnnouncement {
            length,
            sync,
            binary,
        })),
        _ => Err(FrameError::LiteralTooLarge {
            offset: 0,
            length,
            limit: limits.max_literal,
            sync,
        }),
    }
}

/// A piece of the stream, as [`Framer::next`] finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameEvent {
    /// A line of `len` bytes including its CRLF, possibly announcing a literal.
    Line {
        /// Bytes to consume.
        len: usize,
        /// The literal it announces.
        literal: Option<LiteralAnnouncement>,
    },
    /// `len` bytes of literal data; `remaining` more are still to come.
    LiteralData {
        /// Bytes to consume.
        len: usize,
        /// Bytes of the literal after these.
        remaining: u32,
    },
}

/// A streaming framer: lines one at a time, literal data in whatever chunks arrive.
///
/// ```
/// use mailwire_imap::codec::{FrameEvent, Framer, Limits};
///
/// let mut framer = Framer::new(Limits::default());
/// let input = b"a1 LOGIN {3}\r\nfoo bar\r\n";
/// let first = framer.next(input).unwrap().unwrap();
/// assert!(matches!(first, FrameEvent::Line { len: 14, literal: Some(l) } if l.length == 3));
/// assert_eq!(framer.next(&input[14..]).unwrap(), Some(FrameEvent::LiteralData { len: 3, remaining: 0 }));
/// assert_eq!(framer.next(&input[17..]).unwrap(), Some(FrameEvent::Line { len: 6, literal: None }));
/// ```
#[derive(Debug, Clone)]
pub struct Framer {
    limits: Limits,
    literal_remaining: u32,
    responses: bool,
    line_start: bool,
    /// Bytes of the current message framed so far.
    message_len: usize,
}

impl Framer {
    /// A framer at the start of a line, for either direction: any line ending in `{n}`
    /// announces a literal.
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            literal_remaining: 0,
            responses: false,
            line_start: true,
            message_len: 0,
        }
    }

    /// A framer for a server's output: a status response or continuation request is free
    /// text, and a `{n}` at its end announces nothing.
    pub fn for_responses(limits: Limits) -> Self {
        Self {
            responses: true,
            ..Self::new(limits)
        }
    }

    /// Whether the framer is inside literal data.
    pub fn in_literal(&self) -> bool {
        self.literal_remaining > 0
    }

    /// The next piece at the start of `input`, or `None` if more input is needed. The
    /// caller consumes the returned length before calling again.
    pub fn next(&mut self, input: &[u8]) -> Result<Option<FrameEvent>, FrameError> {
        if self.literal_remaining > 0 {
            if input.is_empty() {
                return Ok(None);
            }
            let take = input.len().min(self.literal_remaining as usize);
            self.message_len += take;
            // take <= literal_remaining, a u32.
            self.literal_remaining -= u32::try_from(take).unwrap_or(self.literal_remaining);
            return Ok(Some(FrameEvent::LiteralData {
                len: take,
                remaining: self.literal_remaining,
            }));
        }
        let Some(end) = next_line(input, 0, &self.limits)? else {
            return Ok(None);
        };
        let line = &input[..end - 1];
        let literal = if self.responses && self.line_start && is_status_line(line) {
            None
        } else {
            announcement(line, &self.limits)?
        };
        // The next line starts a new message unless this one announced a literal.
        self.line_start = literal.is_none();
        match literal {
            Some(a) => {
                let so_far = self.message_len + end + 1;
                if let Err(e) = check_budget(so_far, a, &self.limits) {
                    self.line_start = true;
                    self.message_len = 0;
                    return Err(e);
                }
                self.message_len = so_far;
                self.literal_remaining = a.length;
            }
            None => self.message_len = 0,
        }
        Ok(Some(FrameEvent::Line {
            len: end + 1,
            literal,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_message_ends_across_literals() {
        let l = Limits::default();
        let msg = b"a LOGIN {3}\r\nfoo {3+}\r\nbar\r\nrest";
        assert_eq!(
            scan_as(msg, &l, false).unwrap(),
            Scan::Complete(msg.len() - 4)
        );
        assert_eq!(scan_as(b"a NOOP", &l, false).unwrap(), Scan::Incomplete);
        assert_eq!(
            scan_as(b"a LOGIN {3}\r\nf", &l, false).unwrap(),
            Scan::Literal {
                announcement: LiteralAnnouncement {
                    length: 3,
                    sync: true,
                    binary: false
                },
                have: 1,
                position: 13
            }
        );
    }

    #[test]
    fn a_4gib_literal_is_a_number_to_check() {
        let l = Limits::default();
        let err = scan_as(b"a APPEND x {4294967295}\r\n", &l, false).unwrap_err();
        assert_eq!(
            err,
            FrameError::LiteralTooLarge {
                offset: 0,
                length: 4_294_967_295,
                limit: l.max_literal,
                sync: true
            }
        );
        let huge = scan_as(b"a APPEND x {99999999999999999999999+}\r\n", &l, false).unwrap_err();
        assert!(matches!(
            huge,
            FrameError::LiteralTooLarge {
                length: u64::MAX,
                sync: false,
                ..
            }
        ));
        // Within the literal limit but past the message limit: refused all the same.
        let big = Limits::default().with_max_literal(u32::MAX);
        assert!(matches!(
            scan_as(b"a APPEND x {4294967295}\r\n", &big, false).unwrap_err(),
            FrameError::LiteralTooLarge {
                length: 4_294_967_295,
                ..
            }
        ));
        let bigger = big.with_max_message(usize::MAX);
        assert!(matches!(
            scan_as(b"a APPEND x {4294967295}\r\n", &bigger, false).unwrap(),
            Scan::Literal { have: 0, .. }
        ));
    }

    #[test]
    fn limits_lines_and_refuses_bare_lf() {
        let l = Limits::default().with_max_line(8);
        assert_eq!(
            scan_as(b"12345678\r\n", &l, false).unwrap(),
            Scan::Complete(10)
        );
        assert_eq!(
            scan_as(b"123456789\r\n", &l, false).unwrap_err(),
            FrameError::LineTooLong {
                offset: 0,
                limit: 8
            }
        );
        assert_eq!(scan_as(b"123456789", &l, false).unwrap(), Scan::Incomplete);
        assert!(scan_as(b"1234567890", &l, false).is_err());
        assert_eq!(
            scan_as(b"ab\ncd", &l, false).unwrap_err(),
            FrameError::BareLf { offset: 2 }
        );
    }

    #[test]
    fn a_client_accepts_long_search_lines() {
        let mut line = b"* SEARCH".to_vec();
        for uid in 1..=100_000u32 {
            line.extend_from_slice(format!(" {uid}").as_bytes());
        }
        line.extend_from_slice(b"\r\n");
        assert!(scan_as(&line, &Limits::default(), true).is_err());
        assert_eq!(
            scan_as(&line, &Limits::for_client(), true).unwrap(),
            Scan::Complete(line.len())
        );
    }

    #[test]
    fn things_that_look_like_literals() {
        let l = Limits::default();
        assert_eq!(announcement(b"* OK {}", &l).unwrap(), None);
        assert_eq!(announcement(b"* OK {x}", &l).unwrap(), None);
        assert_eq!(
            announcement(b"a APPEND b ~{5}", &l).unwrap(),
            Some(LiteralAnnouncement {
                length: 5,
                sync: true,
                binary: true
            })
        );
    }

    #[test]
    fn status_text_ending_in_braces_is_no_literal() {
        let l = Limits::default();
        assert_eq!(
            scan_as(b"* OK see {5}\r\n", &l, true).unwrap(),
            Scan::Complete(14)
        );
        assert_eq!(
            scan_as(b"a1 NO see {5}\r\n", &l, true).unwrap(),
            Scan::Complete(15)
        );
        assert_eq!(scan_as(b"+ {5}\r\n", &l, true).unwrap(), Scan::Complete(7));
        assert!(matches!(
            scan_as(b"* OK see {5}\r\n", &l, false).unwrap(),
            Scan::Literal { .. }
        ));
        assert!(matches!(
            scan_as(b"* 1 FETCH (BODY[] {5}\r\n", &l, true).unwrap(),
            Scan::Literal { .. }
        ));
        let mut f = Framer::for_responses(l);
        assert_eq!(
            f.next(b"* BYE {1}\r\n").unwrap(),
            Some(FrameEvent::Line {
                len: 11,
                literal: None
            })
        );
        let ev = f.next(b"* 1 FETCH (BODY[] {2}\r\n").unwrap().unwrap();
        assert!(matches!(
            ev,
            FrameEvent::Line {
                literal: Some(_),
                ..
            }
        ));
        assert_eq!(
            f.next(b"ab").unwrap(),
            Some(FrameEvent::LiteralData {
                len: 2,
                remaining: 0
            })
        );
        // The rest of the FETCH line is no new message, even if it reads like one.
        let ev = f.next(b" OK {1}\r\n").unwrap().unwrap();
        assert!(matches!(
            ev,
            FrameEvent::Line {
                literal: Some(_),
                ..
            }
        ));
    }

    #[test]
    fn streams_literal_data_in_chunks() {
        let mut f = Framer::new(Limits::default());
        assert_eq!(f.next(b"* 1 FETCH (BODY[] {10}\r").unwrap(), None);
        let ev = f.next(b"* 1 FETCH (BODY[] {10}\r\n0123").unwrap().unwrap();
        assert!(matches!(
            ev,
            FrameEvent::Line {
                len: 24,
                literal: Some(_)
            }
        ));
        assert!(f.in_literal());
        assert_eq!(
            f.next(b"0123").unwrap(),
            Some(FrameEvent::LiteralData {
                len: 4,
                remaining: 6
            })
        );
        assert_eq!(f.next(b"").unwrap(), None);
        assert_eq!(
            f.next(b"456789)\r\n").unwrap(),
            Some(FrameEvent::LiteralData {
                len: 6,
                remaining: 0
            })
        );
        assert_eq!(
            f.next(b")\r\n").unwrap(),
            Some(FrameEvent::Line {
                len: 3,
                literal: None
            })
        );
    }
}
