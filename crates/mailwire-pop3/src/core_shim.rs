//! Stand-ins for `mailwire_core::line` and `mailwire_core::dot`, with the same API, until
//! those modules are available to this crate.

#[allow(
    dead_code,
    reason = "mirrors the whole of mailwire-core's API, which replaces it"
)]
pub(crate) mod line {
    use memchr::memchr;

    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub(crate) enum LineEnding {
        #[default]
        Crlf,
        CrlfOrLf,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum Frame<'a> {
        Line { line: &'a [u8], consumed: usize },
        Incomplete { consumed: usize },
        TooLong { consumed: usize },
    }

    impl Frame<'_> {
        pub(crate) fn consumed(&self) -> usize {
            match *self {
                Frame::Line { consumed, .. }
                | Frame::Incomplete { consumed }
                | Frame::TooLong { consumed } => consumed,
            }
        }
    }

    #[derive(Debug, Clone)]
    pub(crate) struct LineFramer {
        max_len: usize,
        ending: LineEnding,
        skipping: bool,
    }

    impl LineFramer {
        pub(crate) fn new(max_len: usize) -> Self {
            Self {
                max_len: max_len.max(2),
                ending: LineEnding::Crlf,
                skipping: false,
            }
        }

        pub(crate) fn with_line_ending(mut self, ending: LineEnding) -> Self {
            self.ending = ending;
            self
        }

        pub(crate) fn frame<'a>(&mut self, buf: &'a [u8]) -> Frame<'a> {
            let mut from = 0;
            while let Some(i) = memchr(b'\n', &buf[from..]) {
                let lf = from + i;
                let crlf = lf > 0 && buf[lf - 1] == b'\r';
                if crlf || self.ending == LineEnding::CrlfOrLf {
                    if self.skipping {
                        self.skipping = false;
                        return Frame::Incomplete { consumed: lf + 1 };
                    }
                    let end = if crlf { lf - 1 } else { lf };
                    if lf + 1 > self.max_len {
                        return Frame::TooLong { consumed: lf + 1 };
                    }
                    return Frame::Line {
                        line: &buf[..end],
                        consumed: lf + 1,
                    };
                }
                from = lf + 1;
            }
            // Keep a trailing CR: it may start the line ending.
            let keep = usize::from(buf.last() == Some(&b'\r'));
            if self.skipping {
                return Frame::Incomplete {
                    consumed: buf.len() - keep,
                };
            }
            if buf.len() >= self.max_len {
                self.skipping = true;
                return Frame::TooLong {
                    consumed: buf.len() - keep,
                };
            }
            Frame::Incomplete { consumed: 0 }
        }
    }
}

#[allow(
    dead_code,
    reason = "mirrors the whole of mailwire-core's API, which replaces it"
)]
pub(crate) mod dot {
    use bytes::BufMut;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum Unstuffed {
        Partial,
        Done { consumed: usize },
    }

    /// Message content to stuffed wire bytes; bare CR and bare LF become CRLF.
    #[derive(Debug, Clone)]
    pub(crate) struct DotStuffer {
        line_start: bool,
        after_cr: bool,
    }

    impl DotStuffer {
        pub(crate) fn new() -> Self {
            Self {
                line_start: true,
                after_cr: false,
            }
        }

        pub(crate) fn encode(&mut self, input: &[u8], out: &mut impl BufMut) {
            for &b in input {
                if self.after_cr {
                    self.after_cr = false;
                    if b == b'\n' {
                        out.put_u8(b'\n');
                        self.line_start = true;
                        continue;
                    }
                    out.put_u8(b'\n');
                    self.line_start = true;
                }
                match b {
                    b'\r' => {
                        out.put_u8(b'\r');
                        self.after_cr = true;
                    }
                    b'\n' => {
                        out.put_slice(b"\r\n");
                        self.line_start = true;
                    }
                    _ => {
                        if self.line_start && b == b'.' {
                            out.put_u8(b'.');
                        }
                        out.put_u8(b);
                        self.line_start = false;
                    }
                }
            }
        }

        pub(crate) fn finish(&mut self, out: &mut impl BufMut) {
            if self.after_cr {
                out.put_u8(b'\n');
                self.after_cr = false;
                self.line_start = true;
            }
            if !self.line_start {
                out.put_slice(b"\r\n");
            }
            out.put_slice(b".\r\n");
            *self = Self::new();
        }
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum State {
        LineStart,
        Mid,
        Cr,
        Dot,
        DotCr,
    }

    /// Multi-line body to content; only CRLF "." CRLF ends it.
    #[derive(Debug, Clone)]
    pub(crate) struct DotUnstuffer {
        state: State,
    }

    impl DotUnstuffer {
        pub(crate) fn new() -> Self {
            Self {
                state: State::LineStart,
            }
        }

        pub(crate) fn decode(&mut self, input: &[u8], out: &mut impl BufMut) -> Unstuffed {
            for (i, &b) in input.iter().enumerate() {
                self.state = match (self.state, b) {
                    (State::LineStart, b'.') => State::Dot,
                    (State::DotCr, b'\n') => {
                        self.state = State::LineStart;
                        return Unstuffed::Done { consumed: i + 1 };
                    }
                    (State::DotCr, _) => {
                        out.put_u8(b'\r');
                        Self::emit(b, out)
                    }
                    (State::Dot, b'\r') => State::DotCr,
                    (State::Cr, b'\n') => {
                        out.put_u8(b);
                        State::LineStart
                    }
                    (_, _) => Self::emit(b, out),
                };
            }
            Unstuffed::Partial
        }

        fn emit(b: u8, out: &mut impl BufMut) -> State {
            out.put_u8(b);
            if b == b'\r' { State::Cr } else { State::Mid }
        }
    }
}
