//! `TOP msg n`: the header, the empty line, and `n` lines of the body (RFC 1939 §7).

/// Cuts a message streamed in chunks after its header and `n` body lines.
///
/// Lines are counted by their LF, so a bare LF ends a line as it does after
/// normalisation to CRLF. The header ends at the first empty line (CRLF or LF alone).
#[derive(Debug, Clone)]
pub(crate) struct TopFilter {
    in_body: bool,
    /// The current line holds nothing yet, or only a CR.
    line_empty: bool,
    lines_left: u32,
    done: bool,
}

impl TopFilter {
    pub(crate) fn new(lines: u32) -> Self {
        Self {
            in_body: false,
            line_empty: true,
            lines_left: lines,
            done: false,
        }
    }

    /// How many bytes at the front of `chunk` belong to the output.
    pub(crate) fn take(&mut self, chunk: &[u8]) -> usize {
        if self.done {
            return 0;
        }
        for (i, &b) in chunk.iter().enumerate() {
            match b {
                b'\n' => {
                    let ends = if self.in_body {
                        self.lines_left = self.lines_left.saturating_sub(1);
                        self.lines_left == 0
                    } else if self.line_empty {
                        self.in_body = true;
                        self.lines_left == 0
                    } else {
                        false
                    };
                    self.line_empty = true;
                    if ends {
                        self.done = true;
                        return i + 1;
                    }
                }
                b'\r' if self.line_empty => {}
                _ => self.line_empty = false,
            }
        }
        chunk.len()
    }

    /// The wanted lines have all passed.
    pub(crate) fn is_done(&self) -> bool {
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"From: a\r\nSubject: b\r\n\r\nline 1\r\nline 2\r\nline 3\r\n";

    fn top(msg: &[u8], n: u32, chunk: usize) -> Vec<u8> {
        let mut f = TopFilter::new(n);
        let mut out = Vec::new();
        for c in msg.chunks(chunk) {
            let k = f.take(c);
            out.extend_from_slice(&c[..k]);
        }
        out
    }

    #[test]
    fn header_empty_line_and_n_lines_at_every_chunk_size() {
        for chunk in 1..=MSG.len() {
            assert_eq!(top(MSG, 0, chunk), b"From: a\r\nSubject: b\r\n\r\n");
            assert_eq!(
                top(MSG, 2, chunk),
                b"From: a\r\nSubject: b\r\n\r\nline 1\r\nline 2\r\n"
            );
            assert_eq!(top(MSG, 9, chunk), MSG);
        }
    }

    #[test]
    fn a_message_without_body_or_header() {
        assert_eq!(top(b"From: a\r\n", 3, 4), b"From: a\r\n");
        assert_eq!(top(b"\r\nbody\r\nmore\r\n", 1, 3), b"\r\nbody\r\n");
        assert_eq!(top(b"a: b\n\nx\ny\n", 1, 2), b"a: b\n\nx\n");
    }
}
