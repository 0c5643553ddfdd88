//! Line framing and dot-unstuffing with the interface mailwire-core is to provide; the
//! sessions switch to mailwire-core's implementations once they are available.

use bytes::BufMut;

/// Which bytes end a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code, reason = "mirrors the mailwire-core interface")]
pub(crate) enum LineEnding {
    Crlf,
}

#[derive(Debug)]
pub(crate) struct LineFramer {
    max_len: usize,
    skipping: bool,
}

#[derive(Debug)]
pub(crate) enum Frame<'a> {
    Line { line: &'a [u8], consumed: usize },
    Incomplete { consumed: usize },
    TooLong { consumed: usize },
}

fn find_crlf(buf: &[u8]) -> Option<usize> {
    memchr::memmem::find(buf, b"\r\n")
}

impl LineFramer {
    pub(crate) fn new(max_len: usize) -> Self {
        Self {
            max_len,
            skipping: false,
        }
    }

    pub(crate) fn frame<'a>(&mut self, buf: &'a [u8]) -> Frame<'a> {
        let keep_cr = usize::from(buf.last() == Some(&b'\r'));
        if self.skipping {
            return match find_crlf(buf) {
                Some(i) => {
                    self.skipping = false;
                    Frame::Incomplete { consumed: i + 2 }
                }
                None => Frame::Incomplete {
                    consumed: buf.len() - keep_cr,
                },
            };
        }
        match find_crlf(buf) {
            Some(i) if i + 2 <= self.max_len => Frame::Line {
                line: &buf[..i],
                consumed: i + 2,
            },
            Some(i) => Frame::TooLong { consumed: i + 2 },
            None if buf.len() >= self.max_len => {
                self.skipping = true;
                Frame::TooLong {
                    consumed: buf.len() - keep_cr,
                }
            }
            None => Frame::Incomplete { consumed: 0 },
        }
    }
}

/// Bare CR / LF in DATA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum BareLineEnding {
    #[default]
    Normalize,
    Keep,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    LineStart,
    Text,
    Cr,
    Dot,
    DotCr,
}

#[derive(Debug)]
pub(crate) struct DotUnstuffer {
    policy: BareLineEnding,
    state: State,
    bare: u64,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Unstuffed {
    Partial,
    Done { consumed: usize },
}

impl DotUnstuffer {
    pub(crate) fn new() -> Self {
        Self {
            policy: BareLineEnding::Normalize,
            state: State::LineStart,
            bare: 0,
        }
    }

    pub(crate) fn with_bare_line_endings(mut self, policy: BareLineEnding) -> Self {
        self.policy = policy;
        self
    }

    pub(crate) fn bare_line_endings(&self) -> u64 {
        self.bare
    }

    fn bare(&mut self, byte: u8, out: &mut impl BufMut) {
        self.bare += 1;
        match self.policy {
            BareLineEnding::Normalize => out.put_slice(b"\r\n"),
            BareLineEnding::Keep => out.put_u8(byte),
        }
    }

    fn text(&mut self, b: u8, out: &mut impl BufMut) {
        match b {
            b'\r' => self.state = State::Cr,
            b'\n' => {
                self.bare(b'\n', out);
                self.state = State::Text;
            }
            _ => {
                out.put_u8(b);
                self.state = State::Text;
            }
        }
    }

    pub(crate) fn decode(&mut self, input: &[u8], out: &mut impl BufMut) -> Unstuffed {
        for (i, &b) in input.iter().enumerate() {
            match self.state {
                State::LineStart if b == b'.' => self.state = State::Dot,
                State::LineStart | State::Text => self.text(b, out),
                State::Cr if b == b'\n' => {
                    out.put_slice(b"\r\n");
                    self.state = State::LineStart;
                }
                State::Cr => {
                    self.bare(b'\r', out);
                    self.text(b, out);
                }
                State::Dot if b == b'\r' => self.state = State::DotCr,
                State::Dot => self.text(b, out),
                State::DotCr if b == b'\n' => {
                    self.state = State::LineStart;
                    return Unstuffed::Done { consumed: i + 1 };
                }
                State::DotCr => {
                    self.bare(b'\r', out);
                    self.text(b, out);
                }
            }
        }
        Unstuffed::Partial
    }
}
