//! CRLF line framing with a length limit.
//!
//! SMTP, POP3 and IMAP commands and replies are lines ending in CRLF, each with a maximum
//! length (RFC 5321 §4.5.3.1.4: 512 octets for a command line; RFC 2449 §4: 255 for a POP3
//! command; IMAP leaves it to the server). [`LineFramer`] finds those lines in a buffer that
//! the caller owns, and turns an over-long line into one [`Frame::TooLong`] report, after
//! which it skips to the next line ending, so the session can answer the peer and carry on
//! with bounded memory.

use memchr::memchr;

/// What ends a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum LineEnding {
    /// Only CRLF ends a line; a bare LF or bare CR is part of the line's content.
    ///
    /// This is what the RFCs prescribe, and what a server should use so that it reads
    /// line boundaries exactly as other strict implementations do.
    #[default]
    Crlf,
    /// CRLF or a bare LF ends a line; a CR right before the LF is not part of the line.
    ///
    /// Useful for reading replies from peers that send bare LF.
    CrlfOrLf,
}

/// What [`LineFramer::frame`] found at the front of the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A complete line.
    Line {
        /// The line without its line ending.
        line: &'a [u8],
        /// Bytes to drop from the front of the buffer: the line, its ending, and any rest
        /// of an earlier over-long line that was skipped first.
        consumed: usize,
    },
    /// No complete line yet: call again once more bytes arrived.
    Incomplete {
        /// Bytes to drop from the front of the buffer; not zero only while the rest of an
        /// over-long line is being skipped.
        consumed: usize,
    },
    /// The line at the front of the buffer is longer than the limit.
    ///
    /// Reported once per over-long line, as soon as the limit is passed. The framer then
    /// skips everything up to and including the next line ending without reporting it.
    TooLong {
        /// Bytes to drop from the front of the buffer.
        consumed: usize,
    },
}

impl Frame<'_> {
    /// Bytes the caller must drop from the front of its buffer before the next call.
    pub fn consumed(&self) -> usize {
        match *self {
            Frame::Line { consumed, .. }
            | Frame::Incomplete { consumed }
            | Frame::TooLong { consumed } => consumed,
        }
    }
}

/// Finds CRLF-terminated lines, up to a maximum length, at the front of a caller's buffer.
///
/// The framer remembers how far it has already searched, so feeding it a buffer that grows
/// a byte at a time costs linear time, not quadratic. Its contract with the caller: between
/// two calls, the buffer keeps its unconsumed bytes in front, minus exactly the
/// [`consumed`](Frame::consumed) count of the last frame, and may only grow at the back.
///
/// ```
/// use mailwire_core::line::{Frame, LineFramer};
///
/// let mut framer = LineFramer::new(16);
/// let mut buf = b"NOOP\r\nQU".to_vec();
/// let frame = framer.frame(&buf);
/// assert_eq!(frame, Frame::Line { line: b"NOOP", consumed: 6 });
/// buf.drain(..frame.consumed());
///
/// assert_eq!(framer.frame(&buf), Frame::Incomplete { consumed: 0 });
/// buf.extend_from_slice(b"IT\r\n");
/// assert_eq!(framer.frame(&buf), Frame::Line { line: b"QUIT", consumed: 6 });
/// ```
#[derive(Debug, Clone)]
pub struct LineFramer {
    max_len: usize,
    ending: LineEnding,
    /// Bytes at the front of the buffer, past any skipped prefix, already searched without
    /// finding a line end.
    searched: usize,
    skip: Skip,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Skip {
    /// Framing lines.
    No,
    /// Dropping the rest of an over-long line.
    Yes,
    /// Dropping the rest of an over-long line, whose last dropped byte was a CR.
    AfterCr,
}

impl LineFramer {
    /// A framer for lines of at most `max_len` bytes, counting the line ending.
    ///
    /// A `max_len` below 2 is raised to 2, the length of an empty line.
    pub fn new(max_len: usize) -> Self {
        Self {
            max_len: max_len.max(2),
            ending: LineEnding::Crlf,
            searched: 0,
            skip: Skip::No,
        }
    }

    /// Sets what ends a line (CRLF only, by default).
    #[must_use]
    pub fn with_line_ending(mut self, ending: LineEnding) -> Self {
        self.ending = ending;
        self
    }

    /// The maximum line length, counting the line ending.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// Sets the maximum line length for the lines that follow, counting the line ending.
    pub fn set_max_len(&mut self, max_len: usize) {
        self.max_len = max_len.max(2);
    }

    /// Whether the rest of an over-long line is being dropped: a line has begun and not
    /// ended, though the caller's buffer may hold none of it.
    pub fn is_skipping(&self) -> bool {
        self.skip != Skip::No
    }

    /// Forgets any partial line, as after a TLS upgrade that discards buffered input.
    pub fn reset(&mut self) {
        self.searched = 0;
        self.skip = Skip::No;
    }

    /// Looks for a line at the front of `buf`, the caller's unconsumed input.
    pub fn frame<'a>(&mut self, buf: &'a [u8]) -> Frame<'a> {
        let Some(start) = self.skip_rest(buf) else {
            return Frame::Incomplete {
                consumed: buf.len(),
            };
        };
        let rest = &buf[start..];
        match self.find_line(rest) {
            Found::Line { content, consumed } => {
                self.searched = 0;
                Frame::Line {
                    line: &rest[..content],
                    consumed: start + consumed,
                }
            }
            Found::Nothing => Frame::Incomplete { consumed: start },
            Found::TooLong => {
                self.searched = 0;
                let consumed = match self.line_end_after(rest, self.max_len) {
                    Some(end) => end,
                    None => {
                        self.skip = self.skip_state_after(rest);
                        rest.len()
                    }
                };
                Frame::TooLong {
                    consumed: start + consumed,
                }
            }
        }
    }

    /// While skipping an over-long line, finds where it ends; returns the offset of the next
    /// line, or `None` when the whole buffer belongs to the skipped line.
    fn skip_rest(&mut self, buf: &[u8]) -> Option<usize> {
        match self.skip {
            Skip::No => return Some(0),
            Skip::AfterCr if buf.first() == Some(&b'\n') => {
                self.skip = Skip::No;
                return Some(1);
            }
            Skip::Yes | Skip::AfterCr => {}
        }
        match self.line_end_after(buf, 0) {
            Some(end) => {
                self.skip = Skip::No;
                Some(end)
            }
            None => {
                if !buf.is_empty() {
                    self.skip = self.skip_state_after(buf);
                }
                None
            }
        }
    }

    fn skip_state_after(&self, dropped: &[u8]) -> Skip {
        if self.ending == LineEnding::Crlf && dropped.last() == Some(&b'\r') {
            Skip::AfterCr
        } else {
            Skip::Yes
        }
    }

    /// The offset just past the first line ending that ends at or after `from`.
    fn line_end_after(&self, buf: &[u8], from: usize) -> Option<usize> {
        let mut at = from;
        while let Some(i) = memchr(b'\n', &buf[at..]) {
            let lf = at + i;
            if self.ending == LineEnding::CrlfOrLf || (lf > 0 && buf[lf - 1] == b'\r') {
                return Some(lf + 1);
            }
            at = lf + 1;
        }
        None
    }

    fn find_line(&mut self, buf: &[u8]) -> Found {
        let window = buf.len().min(self.max_len);
        let mut at = self.searched.min(window);
        while let Some(i) = memchr(b'\n', &buf[at..window]) {
            let lf = at + i;
            let after_cr = lf > 0 && buf[lf - 1] == b'\r';
            match (self.ending, after_cr) {
                (_, true) => {
                    return Found::Line {
                        content: lf - 1,
                        consumed: lf + 1,
                    };
                }
                (LineEnding::CrlfOrLf, false) => {
                    return Found::Line {
                        content: lf,
                        consumed: lf + 1,
                    };
                }
                (LineEnding::Crlf, false) => at = lf + 1,
            }
        }
        if buf.len() >= self.max_len {
            Found::TooLong
        } else {
            self.searched = buf.len();
            Found::Nothing
        }
    }
}

enum Found {
    Line { content: usize, consumed: usize },
    Nothing,
    TooLong,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn skipping_lasts_until_the_overlong_line_ends() {
        let mut framer = LineFramer::new(6);
        assert!(!framer.is_skipping());
        assert_eq!(framer.frame(b"ABCDEFGH"), Frame::TooLong { consumed: 8 });
        assert!(framer.is_skipping());
        assert_eq!(framer.frame(b"IJ"), Frame::Incomplete { consumed: 2 });
        assert!(framer.is_skipping());
        assert_eq!(
            framer.frame(b"\r\nOK\r\n"),
            Frame::Line {
                line: b"OK",
                consumed: 6
            }
        );
        assert!(!framer.is_skipping());
    }

    /// Feeds `input` in the given chunk sizes and collects what the framer reports.
    fn run(framer: &mut LineFramer, input: &[u8], chunks: &[usize]) -> Vec<Result<Vec<u8>, ()>> {
        let mut out = Vec::new();
        let mut buf = Vec::new();
        let mut fed = 0;
        let mut sizes = chunks.iter().copied().cycle();
        loop {
            loop {
                let frame = framer.frame(&buf);
                let consumed = frame.consumed();
                match frame {
                    Frame::Line { line, .. } => out.push(Ok(line.to_vec())),
                    Frame::TooLong { .. } => out.push(Err(())),
                    Frame::Incomplete { .. } => {
                        buf.drain(..consumed);
                        break;
                    }
                }
                buf.drain(..consumed);
            }
            if fed == input.len() {
                return out;
            }
            let n = sizes.next().unwrap_or(1).max(1).min(input.len() - fed);
            buf.extend_from_slice(&input[fed..fed + n]);
            fed += n;
        }
    }

    #[test]
    fn splits_crlf_lines() {
        let mut f = LineFramer::new(512);
        assert_eq!(
            run(&mut f, b"EHLO a\r\nMAIL FROM:<>\r\n\r\nQUIT\r\n", &[1000]),
            vec![
                Ok(b"EHLO a".to_vec()),
                Ok(b"MAIL FROM:<>".to_vec()),
                Ok(vec![]),
                Ok(b"QUIT".to_vec())
            ]
        );
    }

    #[test]
    fn strict_mode_keeps_bare_lf_and_cr_inside_the_line() {
        let mut f = LineFramer::new(512);
        assert_eq!(
            f.frame(b"a\nb\rc\r\n"),
            Frame::Line {
                line: b"a\nb\rc",
                consumed: 7
            }
        );
        assert_eq!(f.frame(b"a\nb"), Frame::Incomplete { consumed: 0 });
    }

    #[test]
    fn lenient_mode_ends_lines_at_bare_lf_and_strips_cr() {
        let mut f = LineFramer::new(512).with_line_ending(LineEnding::CrlfOrLf);
        assert_eq!(
            run(&mut f, b"+OK a\n+OK b\r\n\n", &[3]),
            vec![Ok(b"+OK a".to_vec()), Ok(b"+OK b".to_vec()), Ok(vec![])]
        );
    }

    #[test]
    fn a_line_of_exactly_the_limit_passes_one_more_byte_is_too_long() {
        let mut f = LineFramer::new(6);
        assert_eq!(
            f.frame(b"NOOP\r\n"),
            Frame::Line {
                line: b"NOOP",
                consumed: 6
            }
        );
        assert_eq!(
            f.frame(b"NOOPS\r\nQUIT\r\n"),
            Frame::TooLong { consumed: 7 }
        );
        assert_eq!(
            f.frame(b"QUIT\r\n"),
            Frame::Line {
                line: b"QUIT",
                consumed: 6
            }
        );
    }

    #[test]
    fn too_long_is_reported_before_the_line_ends_and_the_rest_is_skipped() {
        let mut f = LineFramer::new(8);
        assert_eq!(f.frame(b"0123456789"), Frame::TooLong { consumed: 10 });
        assert_eq!(f.frame(b"abcdef"), Frame::Incomplete { consumed: 6 });
        assert_eq!(f.frame(b"gh\r"), Frame::Incomplete { consumed: 3 });
        // The CR that ended the last chunk pairs with this LF.
        assert_eq!(
            f.frame(b"\nNOOP\r\n"),
            Frame::Line {
                line: b"NOOP",
                consumed: 7
            }
        );
    }

    #[test]
    fn an_empty_buffer_does_not_lose_a_pending_cr() {
        let mut f = LineFramer::new(4);
        assert_eq!(f.frame(b"abcd\r"), Frame::TooLong { consumed: 5 });
        assert_eq!(f.frame(b""), Frame::Incomplete { consumed: 0 });
        assert_eq!(
            f.frame(b"\nok\r\n"),
            Frame::Line {
                line: b"ok",
                consumed: 5
            }
        );
    }

    #[test]
    fn skipping_ignores_bare_lf_in_strict_mode() {
        let mut f = LineFramer::new(4);
        assert_eq!(f.frame(b"abcd"), Frame::TooLong { consumed: 4 });
        assert_eq!(
            f.frame(b"x\ny\r\nOK\r\n"),
            Frame::Line {
                line: b"OK",
                consumed: 9
            }
        );
    }

    #[test]
    fn a_second_over_long_line_is_reported_again() {
        let mut f = LineFramer::new(4);
        assert_eq!(
            run(&mut f, b"abcdef\r\nok\r\nghijkl\r\n", &[2]),
            vec![Err(()), Ok(b"ok".to_vec()), Err(())]
        );
    }

    #[test]
    fn reset_forgets_a_skip_in_progress() {
        let mut f = LineFramer::new(4);
        assert_eq!(f.frame(b"abcdef"), Frame::TooLong { consumed: 6 });
        f.reset();
        assert_eq!(
            f.frame(b"ok\r\n"),
            Frame::Line {
                line: b"ok",
                consumed: 4
            }
        );
    }

    #[test]
    fn byte_at_a_time_feeding_finds_the_same_lines() {
        let input = b"A1 LOGIN a b\r\nA2 NOOP\r\n";
        let mut f = LineFramer::new(100);
        assert_eq!(
            run(&mut f, input, &[1]),
            vec![Ok(b"A1 LOGIN a b".to_vec()), Ok(b"A2 NOOP".to_vec())]
        );
    }

    /// The lines a strict framer must report, computed the obvious way.
    fn reference(input: &[u8], max_len: usize) -> Vec<Result<Vec<u8>, ()>> {
        let mut out = Vec::new();
        let mut rest = input;
        while let Some(end) = rest.windows(2).position(|w| w == b"\r\n") {
            let line = &rest[..end];
            out.push(if end + 2 <= max_len {
                Ok(line.to_vec())
            } else {
                Err(())
            });
            rest = &rest[end + 2..];
        }
        if rest.len() >= max_len {
            out.push(Err(()));
        }
        out
    }

    /// The lines a lenient framer must report: any LF ends a line, a CR before it is
    /// dropped, and the limit counts the line's raw bytes with its ending.
    fn lenient_reference(input: &[u8], max_len: usize) -> Vec<Result<Vec<u8>, ()>> {
        let mut out = Vec::new();
        let mut rest = input;
        while let Some(lf) = rest.iter().position(|&b| b == b'\n') {
            let line = &rest[..lf];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            out.push(if lf < max_len {
                Ok(line.to_vec())
            } else {
                Err(())
            });
            rest = &rest[lf + 1..];
        }
        if rest.len() >= max_len {
            out.push(Err(()));
        }
        out
    }

    proptest! {
        #[test]
        fn lenient_every_split_gives_the_reference_lines(
            input in proptest::collection::vec(
                prop_oneof![Just(b'\r'), Just(b'\n'), Just(b'a'), Just(b' ')], 0..300),
            max_len in 2usize..24,
            chunks in proptest::collection::vec(1usize..9, 1..6),
        ) {
            let mut f = LineFramer::new(max_len).with_line_ending(LineEnding::CrlfOrLf);
            prop_assert_eq!(run(&mut f, &input, &chunks), lenient_reference(&input, max_len));
        }

        #[test]
        fn every_split_gives_the_reference_lines(
            input in proptest::collection::vec(
                prop_oneof![Just(b'\r'), Just(b'\n'), Just(b'a'), Just(b' ')], 0..200),
            max_len in 2usize..24,
            chunks in proptest::collection::vec(1usize..9, 1..6),
        ) {
            let mut f = LineFramer::new(max_len);
            prop_assert_eq!(run(&mut f, &input, &chunks), reference(&input, max_len));
        }
    }
}
