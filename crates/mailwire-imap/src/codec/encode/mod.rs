//! Encoding: types to wire bytes. Validated types always encode; nothing here fails.

mod body;
mod command;
mod response;

use bytes::BufMut;

use crate::types::chars::{is_astring_char, is_quoted_plain, is_text_char};
use crate::types::{
    Atom, Date, DateTime, Flag, FlagFetch, FlagPerm, IString, ListMailbox, Mailbox, NString,
    SequenceSet,
};

pub use command::{encode_authenticate_data, encode_command, encode_done};
pub use response::{encode_greeting, encode_response};

/// How the client announces literals (RFC 7888).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum LiteralMode {
    /// `{n}`: wait for the server's `+` before each literal (RFC 3501).
    #[default]
    Sync,
    /// `{n+}` for every literal: the server announced `LITERAL+`.
    Plus,
    /// `{n+}` for literals of at most 4096 bytes: the server announced `LITERAL-`.
    Minus,
}

/// An encoded command: its bytes, and where its literals are.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Encoded {
    bytes: Vec<u8>,
    literals: Vec<LiteralMark>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LiteralMark {
    start: usize,
    len: usize,
    sync: bool,
}

/// A piece of an encoded command, in sending order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fragment<'a> {
    /// Line bytes, up to and including the CRLF that ends the line or announces a literal.
    Line(&'a [u8]),
    /// A literal's data. When `sync` is true, send it only after the server's `+`.
    Literal {
        /// The data.
        data: &'a [u8],
        /// Whether the literal was announced as synchronising (`{n}` or `~{n}`).
        sync: bool,
    },
}

impl Encoded {
    /// All the bytes, as they would go on the wire with every continuation granted.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Unwraps the bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The pieces to send, in order: the client sends a [`Fragment::Line`], and before a
    /// [`Fragment::Literal`] with `sync` waits for the server's `+`.
    pub fn fragments(&self) -> impl Iterator<Item = Fragment<'_>> {
        let mut out = Vec::with_capacity(self.literals.len() * 2 + 1);
        let mut pos = 0;
        for mark in &self.literals {
            out.push(Fragment::Line(&self.bytes[pos..mark.start]));
            out.push(Fragment::Literal {
                data: &self.bytes[mark.start..mark.start + mark.len],
                sync: mark.sync,
            });
            pos = mark.start + mark.len;
        }
        if pos < self.bytes.len() {
            out.push(Fragment::Line(&self.bytes[pos..]));
        }
        out.into_iter()
    }
}

/// The byte sink the encoders share: a `Vec<u8>` for commands and for callers that keep
/// one, or a session's [`BytesMut`](bytes::BytesMut) output queue, so that a response is
/// encoded where it will be sent from.
pub(crate) struct Writer<B: BufMut = Vec<u8>> {
    pub(crate) out: B,
    /// `out.remaining_mut()` when the writer started, from which a literal's position in
    /// what this writer wrote follows without a length to ask the buffer for.
    origin: usize,
    marks: Vec<LiteralMark>,
    mode: LiteralMode,
}

impl Writer {
    pub(crate) fn new(mode: LiteralMode) -> Self {
        Self {
            mode,
            ..Self::with_buffer(Vec::with_capacity(64))
        }
    }

    pub(crate) fn finish(self) -> Encoded {
        Encoded {
            bytes: self.out,
            literals: self.marks,
        }
    }
}

impl<B: BufMut> Writer<B> {
    pub(crate) fn with_buffer(out: B) -> Self {
        Self {
            origin: out.remaining_mut(),
            out,
            marks: Vec::new(),
            mode: LiteralMode::Sync,
        }
    }

    #[inline]
    pub(crate) fn raw(&mut self, bytes: &[u8]) {
        self.out.put_slice(bytes);
    }

    #[inline]
    pub(crate) fn sp(&mut self) {
        self.out.put_u8(b' ');
    }

    #[inline]
    pub(crate) fn crlf(&mut self) {
        self.out.put_slice(b"\r\n");
    }

    pub(crate) fn num(&mut self, n: impl Into<u64>) {
        let mut buf = [0u8; 20];
        let mut n: u64 = n.into();
        let mut i = buf.len();
        loop {
            i -= 1;
            // n % 10 < 10, so the cast keeps every bit.
            #[allow(clippy::cast_possible_truncation, reason = "a decimal digit")]
            {
                buf[i] = b'0' + (n % 10) as u8;
            }
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.out.put_slice(&buf[i..]);
    }

    pub(crate) fn atom(&mut self, atom: &Atom) {
        self.raw(atom.as_str().as_bytes());
    }

    /// `astring`: an atom when the content is one, else a string.
    pub(crate) fn astring(&mut self, s: &[u8]) {
        if !s.is_empty() && s.iter().all(|&b| is_astring_char(b)) {
            self.raw(s);
        } else {
            self.string(s);
        }
    }

    /// `string`: quoted when the content allows it, else a literal.
    pub(crate) fn string(&mut self, s: &[u8]) {
        // Most strings need no backslash: checked and copied as one run.
        match s.iter().position(|&b| !is_quoted_plain(b)) {
            None => self.plain_quoted(s),
            Some(i) if s[i..].iter().all(|&b| is_text_char(b)) => self.quoted(s),
            Some(_) => self.literal(s, false),
        }
    }

    pub(crate) fn istring(&mut self, s: &IString) {
        self.string(s.as_bytes());
    }

    pub(crate) fn nstring(&mut self, s: &NString) {
        match s {
            Some(s) => self.string(s.as_bytes()),
            None => self.raw(b"NIL"),
        }
    }

    /// A quoted string of bytes the caller found to need no backslash.
    #[inline]
    pub(crate) fn plain_quoted(&mut self, s: &[u8]) {
        self.out.put_u8(b'"');
        self.out.put_slice(s);
        self.out.put_u8(b'"');
    }

    pub(crate) fn quoted(&mut self, s: &[u8]) {
        self.out.put_u8(b'"');
        // Runs of plain bytes are copied whole; each other byte starts a run after its
        // backslash.
        let mut run = 0;
        for (i, &b) in s.iter().enumerate() {
            if !is_quoted_plain(b) {
                self.out.put_slice(&s[run..i]);
                self.out.put_u8(b'\\');
                run = i;
            }
        }
        self.out.put_slice(&s[run..]);
        self.out.put_u8(b'"');
    }

    /// A literal; `binary` makes it a `literal8` (RFC 3516).
    pub(crate) fn literal(&mut self, data: &[u8], binary: bool) {
        let sync = match self.mode {
            LiteralMode::Sync => true,
            LiteralMode::Plus => false,
            LiteralMode::Minus => data.len() > 4096,
        };
        if binary {
            self.out.put_u8(b'~');
        }
        self.out.put_u8(b'{');
        self.num(u64::try_from(data.len()).unwrap_or(u64::MAX));
        if !sync {
            self.out.put_u8(b'+');
        }
        self.raw(b"}\r\n");
        self.marks.push(LiteralMark {
            start: self.origin - self.out.remaining_mut(),
            len: data.len(),
            sync,
        });
        self.raw(data);
    }

    pub(crate) fn mailbox(&mut self, mailbox: &Mailbox) {
        self.astring(mailbox.as_bytes());
    }

    pub(crate) fn list_mailbox(&mut self, pattern: &ListMailbox) {
        if pattern.is_bare() {
            self.raw(pattern.as_bytes());
        } else {
            self.istring(pattern.as_istring());
        }
    }

    pub(crate) fn sequence_set(&mut self, set: &SequenceSet) {
        use std::io::Write;
        // Writing into a growable buffer cannot fail.
        let _ = write!((&mut self.out).writer(), "{set}");
    }

    pub(crate) fn date(&mut self, date: Date) {
        self.num(date.day());
        self.out.put_u8(b'-');
        self.raw(date.month_name().as_bytes());
        self.out.put_u8(b'-');
        self.num4(date.year());
    }

    fn num2(&mut self, n: u8) {
        self.out.put_u8(b'0' + n / 10 % 10);
        self.out.put_u8(b'0' + n % 10);
    }

    fn num4(&mut self, n: u16) {
        for d in [1000, 100, 10, 1] {
            // (n / d) % 10 < 10.
            #[allow(clippy::cast_possible_truncation, reason = "a decimal digit")]
            self.out.put_u8(b'0' + (n / d % 10) as u8);
        }
    }

    /// `date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE`
    pub(crate) fn date_time(&mut self, dt: DateTime) {
        let date = dt.date();
        self.out.put_u8(b'"');
        if date.day() < 10 {
            self.out.put_u8(b' ');
            self.num(date.day());
        } else {
            self.num2(date.day());
        }
        self.out.put_u8(b'-');
        self.raw(date.month_name().as_bytes());
        self.out.put_u8(b'-');
        self.num4(date.year());
        let (h, m, s) = dt.time();
        self.sp();
        self.num2(h);
        self.out.put_u8(b':');
        self.num2(m);
        self.out.put_u8(b':');
        self.num2(s);
        self.sp();
        let zone = dt.zone_minutes();
        self.out.put_u8(if zone < 0 { b'-' } else { b'+' });
        let abs = zone.unsigned_abs();
        self.num4(abs / 60 * 100 + abs % 60);
        self.out.put_u8(b'"');
    }

    pub(crate) fn flag(&mut self, flag: &Flag) {
        match flag {
            Flag::Answered => self.raw(b"\\Answered"),
            Flag::Flagged => self.raw(b"\\Flagged"),
            Flag::Deleted => self.raw(b"\\Deleted"),
            Flag::Seen => self.raw(b"\\Seen"),
            Flag::Draft => self.raw(b"\\Draft"),
            Flag::Keyword(atom) => self.atom(atom),
            Flag::Extension(atom) => {
                self.out.put_u8(b'\\');
                self.atom(atom);
            }
        }
    }

    pub(crate) fn flag_fetch(&mut self, flag: &FlagFetch) {
        match flag {
            FlagFetch::Flag(f) => self.flag(f),
            FlagFetch::Recent => self.raw(b"\\Recent"),
        }
    }

    pub(crate) fn flag_perm(&mut self, flag: &FlagPerm) {
        match flag {
            FlagPerm::Flag(f) => self.flag(f),
            FlagPerm::Wildcard => self.raw(b"\\*"),
        }
    }

    /// `"(" [item *(SP item)] ")"`
    pub(crate) fn list<T>(&mut self, items: &[T], each: impl FnMut(&mut Self, &T)) {
        self.out.put_u8(b'(');
        self.join(items, each);
        self.out.put_u8(b')');
    }

    /// `item *(SP item)`
    pub(crate) fn join<T>(&mut self, items: &[T], mut each: impl FnMut(&mut Self, &T)) {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.sp();
            }
            each(self, item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_take_the_lightest_form() {
        let mut w = Writer::new(LiteralMode::Sync);
        w.astring(b"INBOX");
        w.sp();
        w.astring(b"");
        w.sp();
        w.astring(b"a b\"c\\");
        w.sp();
        w.string(b"caf\xc3\xa9");
        assert_eq!(w.out, b"INBOX \"\" \"a b\\\"c\\\\\" {5}\r\ncaf\xc3\xa9");
    }

    #[test]
    fn literal_modes_follow_rfc7888() {
        let big = vec![b'x'; 4097];
        for (mode, small, large) in [
            (LiteralMode::Sync, "{1}", "{4097}"),
            (LiteralMode::Plus, "{1+}", "{4097+}"),
            (LiteralMode::Minus, "{1+}", "{4097}"),
        ] {
            let mut w = Writer::new(mode);
            w.literal(b"\n", false);
            w.literal(&big, false);
            let e = w.finish();
            let frags: Vec<_> = e.fragments().collect();
            assert_eq!(frags.len(), 4);
            assert_eq!(frags[0], Fragment::Line(format!("{small}\r\n").as_bytes()));
            assert_eq!(
                frags[1],
                Fragment::Literal {
                    data: b"\n",
                    sync: small == "{1}"
                }
            );
            assert_eq!(frags[2], Fragment::Line(format!("{large}\r\n").as_bytes()));
            assert!(
                matches!(frags[3], Fragment::Literal { data, sync } if data.len() == 4097 && sync == (large == "{4097}"))
            );
        }
    }

    #[test]
    fn dates_and_numbers() {
        let mut w = Writer::new(LiteralMode::Sync);
        let d = Date::new(1994, 7, 7).unwrap();
        w.date(d);
        w.sp();
        w.date_time(DateTime::new(d, 2, 44, 5, -7 * 60).unwrap());
        w.sp();
        w.num(u64::MAX);
        w.sp();
        w.num(0u32);
        assert_eq!(
            w.out,
            b"7-Jul-1994 \" 7-Jul-1994 02:44:05 -0700\" 18446744073709551615 0"
        );
    }
}
