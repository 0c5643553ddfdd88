//! The header section: fields split, unfolded on demand, raw bytes kept (RFC 5322 §2.2).

use std::borrow::Cow;
use std::fmt;

use memchr::{memchr, memchr2};

use crate::address::{self, Address, AddressRef};
use crate::date::{self, DateTime};
use crate::encoded_word;
use crate::msgid;
use crate::param::{ContentDisposition, ContentDispositionRef, ContentType, ContentTypeRef};
use crate::transfer::TransferEncoding;

/// One header field as it appeared in the input.
///
/// `raw` is the whole field, name to the line end of its last folded line, so writing
/// every field's `raw` back in order reproduces the header section byte for byte. A line
/// that is not a field (no colon, or a continuation with nothing to continue; recorded as
/// [`crate::Defect::JunkHeaderLine`]) is a field whose name is empty and whose value is
/// the whole line, its continuations included, so that no text of the header is lost.
#[derive(Clone, PartialEq, Eq)]
pub struct HeaderField<'a> {
    raw: &'a [u8],
    offset: usize,
    /// The name is `raw[..name_len]`: printable ASCII (checked when the field was split),
    /// kept as bytes so that splitting a header does not validate UTF-8 once per field.
    /// Lengths inside `raw` are held in 32 bits, as a header has thousands of fields.
    name_len: u32,
    /// The value is `raw[value_start..raw.len() - value_tail]`, the tail being the final
    /// line end.
    value_start: u32,
    value_tail: u8,
    /// Whether the value holds a line end (CR or LF), found while splitting the header, so
    /// that unfolding a field written on one line needs no scan.
    folded: bool,
}

impl<'a> HeaderField<'a> {
    /// A field of `raw` whose name is `raw[..name_len]` and whose value starts at
    /// `value_start` and runs to the final line end; `None` when those do not fit the
    /// 32 bits they are kept in.
    fn new(
        raw: &'a [u8],
        offset: usize,
        name_len: usize,
        value_start: usize,
        folded: bool,
    ) -> Option<HeaderField<'a>> {
        let value_end = strip_line_end(&raw[value_start..]).len() + value_start;
        Some(HeaderField {
            raw,
            offset,
            name_len: u32::try_from(name_len).ok()?,
            value_start: u32::try_from(value_start).ok()?,
            value_tail: u8::try_from(raw.len() - value_end).ok()?,
            folded,
        })
    }

    #[inline]
    fn name_bytes(&self) -> &'a [u8] {
        &self.raw[..self.name_len as usize]
    }

    /// The field name as written (compare with [`str::eq_ignore_ascii_case`]).
    pub fn name(&self) -> &'a str {
        std::str::from_utf8(self.name_bytes()).unwrap_or_default()
    }

    /// Whether the field's name is `name`, compared case-insensitively.
    ///
    /// ```
    /// let msg = mailwire_mime::Message::parse(b"message-id: <a@x>\r\n\r\n");
    /// assert!(msg.header().fields()[0].is_named("Message-ID"));
    /// ```
    // Always: lookups call it for every field, and without the hint it is not inlined
    // into them.
    #[inline(always)]
    pub fn is_named(&self, name: &str) -> bool {
        // Lengths first: most fields of a lookup differ in length.
        let len = self.name_len as usize;
        len == name.len()
            && self
                .raw
                .get(..len)
                .is_some_and(|own| own.eq_ignore_ascii_case(name.as_bytes()))
    }

    /// The value as written: everything after the colon up to, not including, the final
    /// line end; folds (CRLF + whitespace) are still inside.
    #[inline]
    pub fn raw_value(&self) -> &'a [u8] {
        &self.raw[self.value_start as usize..self.raw.len() - usize::from(self.value_tail)]
    }

    /// The whole field as written, including the name and the final line end.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// Offset of the field's first byte in the parsed input.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The value unfolded (RFC 5322 §2.2.3: every line end followed by whitespace removed)
    /// with surrounding whitespace trimmed, a CR outside a line end read as a space.
    /// Borrowed when the field was not folded and holds no such CR.
    #[inline]
    pub fn unfolded(&self) -> Cow<'a, [u8]> {
        if self.folded {
            unfold(trim_wsp(self.raw_value()))
        } else {
            Cow::Borrowed(trim_wsp(self.raw_value()))
        }
    }

    /// Reads the value as an address list, handing each element to `each` as
    /// [`Header::for_each_address`] does for every field of a name.
    pub fn for_each_address(&self, each: impl FnMut(AddressRef<'_>)) {
        address::read_address_list(&self.unfolded(), each);
    }

    /// The value as unstructured text: unfolded, RFC 2047 encoded words decoded, 8-bit
    /// text read as UTF-8 (RFC 6532) or, failing that, as windows-1252.
    pub fn text(&self) -> String {
        encoded_word::decode_text(&self.unfolded())
    }
}

impl fmt::Debug for HeaderField<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeaderField")
            .field("name", &self.name())
            .field("value", &self.raw_value())
            .field("raw", &self.raw)
            .field("offset", &self.offset)
            .finish()
    }
}

/// Removes the line ends of folds. A CR that is not part of a line end (RFC 5322 §2.2
/// allows none) becomes a space rather than joining the words around it, as Dovecot
/// reads it.
pub(crate) fn unfold(value: &[u8]) -> Cow<'_, [u8]> {
    if memchr2(b'\n', b'\r', value).is_none() {
        return Cow::Borrowed(value);
    }
    let mut out = Vec::with_capacity(value.len());
    for (i, &b) in value.iter().enumerate() {
        match b {
            b'\r' if value.get(i + 1) != Some(&b'\n') => out.push(b' '),
            b'\r' | b'\n' => {}
            _ => out.push(b),
        }
    }
    Cow::Owned(out)
}

#[inline]
pub(crate) fn trim_wsp(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if first.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = s {
        if last.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    s
}

/// A parsed header section.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Header<'a> {
    fields: Vec<HeaderField<'a>>,
    raw: &'a [u8],
    offset: usize,
    /// Bit `n % 64` is set when some field name is `n` bytes long, so that looking up a
    /// name no field has usually ends without comparing names.
    name_lengths: u64,
}

fn length_bit(len: usize) -> u64 {
    1 << (len % 64)
}

impl fmt::Debug for Header<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Header")
            .field("fields", &self.fields)
            .field("raw", &self.raw)
            .field("offset", &self.offset)
            .finish()
    }
}

/// What went wrong while splitting a header section; see [`crate::Defect`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeaderDamage {
    /// A line that is neither a field nor a continuation, at this offset.
    JunkLine(usize),
    /// The section went past the byte limit; fields after it were dropped.
    TooLarge,
    /// The input ended before the empty line that closes the section.
    Unterminated,
}

impl<'a> Header<'a> {
    /// All fields in order.
    pub fn fields(&self) -> &[HeaderField<'a>] {
        &self.fields
    }

    /// The header section as written, including the empty line that ends it (if any).
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// Offset of the section's first byte in the parsed input.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The first field with this name (case-insensitive).
    #[inline]
    pub fn get(&self, name: &str) -> Option<&HeaderField<'a>> {
        self.candidates(name).iter().find(|f| f.is_named(name))
    }

    /// Every field with this name (case-insensitive), in order.
    pub fn get_all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s HeaderField<'a>> + 's {
        self.candidates(name)
            .iter()
            .filter(move |f| f.is_named(name))
    }

    /// The fields that may be named `name`: none when no name has its length.
    #[inline]
    fn candidates(&self, name: &str) -> &[HeaderField<'a>] {
        if self.name_lengths & length_bit(name.len()) == 0 {
            &[]
        } else {
            &self.fields
        }
    }

    /// The first field's value as decoded text (see [`HeaderField::text`]).
    pub fn text(&self, name: &str) -> Option<String> {
        self.get(name).map(HeaderField::text)
    }

    /// Addresses of every field with this name, concatenated (a message with two `To`
    /// fields is damaged, but both lists are kept).
    pub fn addresses(&self, name: &str) -> Vec<Address> {
        let mut out = Vec::new();
        for f in self.get_all(name) {
            out.extend(address::parse_address_list(&f.unfolded()));
        }
        out
    }

    /// Reads the addresses of every field with this name, in order, handing each to
    /// `each` borrowed from the field where it can be: the same values as
    /// [`Header::addresses`] without building owned ones.
    ///
    /// ```
    /// use mailwire_mime::{AddressRef, Message};
    ///
    /// let msg = Message::parse(b"To: Ann <ann@x.test>, \"B. Jones\" <bob@y.test>\r\n\r\n");
    /// let mut seen = Vec::new();
    /// msg.header().for_each_address("to", |a| {
    ///     if let AddressRef::Mailbox(m) = a {
    ///         seen.push(format!("{:?} {}@{}", m.name, m.local_part, m.domain));
    ///     }
    /// });
    /// assert_eq!(seen, [r#"Some("Ann") ann@x.test"#, r#"Some("B. Jones") bob@y.test"#]);
    /// ```
    pub fn for_each_address(&self, name: &str, mut each: impl FnMut(AddressRef<'_>)) {
        for f in self.get_all(name) {
            address::read_address_list(&f.unfolded(), &mut each);
        }
    }

    /// The `Subject` field, decoded.
    pub fn subject(&self) -> Option<String> {
        self.text("Subject")
    }

    /// The first readable `Date` field.
    pub fn date(&self) -> Option<DateTime> {
        self.get_all("Date")
            .find_map(|f| date::parse_date(&f.unfolded()))
    }

    /// The `Message-ID` field's identifier, without angle brackets.
    pub fn message_id(&self) -> Option<String> {
        self.get("Message-ID")
            .and_then(|f| msgid::parse_msg_ids(&f.unfolded()).into_iter().next())
    }

    /// The identifiers in `In-Reply-To`, without angle brackets.
    pub fn in_reply_to(&self) -> Vec<String> {
        self.get("In-Reply-To")
            .map(|f| msgid::parse_msg_ids(&f.unfolded()))
            .unwrap_or_default()
    }

    /// The identifiers in `References`, without angle brackets.
    pub fn references(&self) -> Vec<String> {
        self.get("References")
            .map(|f| msgid::parse_msg_ids(&f.unfolded()))
            .unwrap_or_default()
    }

    /// The `Content-Type` field, if present.
    pub fn content_type(&self) -> Option<ContentType> {
        self.content_type_ref().map(ContentTypeRef::into_owned)
    }

    /// The `Content-Type` field read without copying (see [`ContentTypeRef`]), if present.
    pub fn content_type_ref(&self) -> Option<ContentTypeRef<'a>> {
        self.get("Content-Type")
            .map(|f| ContentTypeRef::read(f.unfolded()))
    }

    /// The `Content-Disposition` field, if present (RFC 2183).
    pub fn content_disposition(&self) -> Option<ContentDisposition> {
        self.content_disposition_ref()
            .map(ContentDispositionRef::into_owned)
    }

    /// The `Content-Disposition` field read without copying (see
    /// [`ContentDispositionRef`]), if present.
    pub fn content_disposition_ref(&self) -> Option<ContentDispositionRef<'a>> {
        self.get("Content-Disposition")
            .map(|f| ContentDispositionRef::read(f.unfolded()))
    }

    /// The `Content-Transfer-Encoding` field, if present.
    pub fn content_transfer_encoding(&self) -> Option<TransferEncoding> {
        self.get("Content-Transfer-Encoding")
            .map(|f| TransferEncoding::parse(&f.unfolded()))
    }

    /// The `Content-ID` field's identifier, without angle brackets.
    pub fn content_id(&self) -> Option<String> {
        self.get("Content-ID")
            .and_then(|f| msgid::parse_msg_ids(&f.unfolded()).into_iter().next())
    }

    /// The `Content-Description` field, decoded.
    pub fn content_description(&self) -> Option<String> {
        self.text("Content-Description")
    }

    /// The `Content-Language` field's tags (RFC 3282), as written.
    pub fn content_language(&self) -> Vec<String> {
        self.get("Content-Language")
            .map(|f| {
                let v = f.unfolded();
                crate::structured::strip_comments(&v)
                    .split(|&b| b == b',')
                    .map(|t| String::from_utf8_lossy(trim_wsp(t)).into_owned())
                    .filter(|t| !t.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The `Content-Location` field (RFC 2557), unfolded with whitespace removed.
    pub fn content_location(&self) -> Option<String> {
        self.get("Content-Location").map(|f| {
            let v = f.unfolded();
            let s: Vec<u8> = trim_quotes(&crate::structured::strip_comments(&v))
                .iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            String::from_utf8_lossy(&s).into_owned()
        })
    }

    /// The `MIME-Version` field as `(major, minor)`, comments ignored.
    pub fn mime_version(&self) -> Option<(u32, u32)> {
        let f = self.get("MIME-Version")?;
        let unfolded = f.unfolded();
        let v = crate::structured::strip_comments(&unfolded);
        let s = std::str::from_utf8(&v).ok()?;
        let (major, minor) = s.split_once('.')?;
        let major = major.trim().parse().ok()?;
        let minor = minor.trim().parse().ok()?;
        Some((major, minor))
    }
}

fn trim_quotes(s: &[u8]) -> &[u8] {
    let s = trim_wsp(s);
    match s {
        [b'"', inner @ .., b'"'] => inner,
        _ => s,
    }
}

/// Returns the length of the line starting at `at`, including its line end.
fn line_len(input: &[u8], at: usize) -> usize {
    match memchr(b'\n', &input[at..]) {
        Some(i) => i + 1,
        None => input.len() - at,
    }
}

/// [`line_len`], and whether the line holds a CR other than one just before its LF.
fn line_len_cr(input: &[u8], at: usize) -> (usize, bool) {
    let mut from = at;
    let mut bare_cr = false;
    while let Some(i) = memchr2(b'\r', b'\n', &input[from..]) {
        let i = from + i;
        if input[i] == b'\n' {
            return (i + 1 - at, bare_cr);
        }
        if input.get(i + 1) == Some(&b'\n') {
            return (i + 2 - at, bare_cr);
        }
        bare_cr = true;
        from = i + 1;
    }
    (input.len() - at, bare_cr)
}

fn is_blank_line(line: &[u8]) -> bool {
    line == b"\n" || line == b"\r\n"
}

/// The name of a field line and the offset of its colon: printable ASCII (RFC 5322 §3.6.8)
/// up to the first colon, with whitespace allowed before the colon (RFC 5322 §4.5).
fn field_name(line: &[u8]) -> Option<(&[u8], usize)> {
    // The name is a run of name bytes; only whitespace may stand between it and the colon.
    let end = name_len(line);
    if end == 0 {
        return None;
    }
    let colon = end + line[end..].iter().position(|&b| b != b' ' && b != b'\t')?;
    (line[colon] == b':').then(|| (&line[..end], colon))
}

/// The length of the run of [`NAME`] bytes that starts `line`, looked for eight bytes at a
/// time: names are about ten bytes long, and a byte at a time is most of splitting a line.
fn name_len(line: &[u8]) -> usize {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    let mut at = 0;
    while let Some(chunk) = line.get(at..at + 8) {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        // Each term sets the high bit of the bytes it finds; a borrow or carry can only
        // mark bytes above the first one found, so the lowest mark is exact.
        let below_33 = w.wrapping_sub(ONES * 33) & !w;
        let above_126 = w.wrapping_add(ONES) | w;
        let colon =
            (w ^ (ONES * u64::from(b':'))).wrapping_sub(ONES) & !(w ^ (ONES * u64::from(b':')));
        let marks = (below_33 | above_126 | colon) & HIGH;
        if marks != 0 {
            return at + marks.trailing_zeros() as usize / 8;
        }
        at += 8;
    }
    at + line[at..]
        .iter()
        .position(|&b| !NAME[usize::from(b)])
        .unwrap_or(line.len() - at)
}

/// Bytes of a field name: printable ASCII except the colon (RFC 5322 §3.6.8).
const NAME: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 33;
    while b <= 126 {
        t[b] = b != b':' as usize;
        b += 1;
    }
    t
};

fn strip_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Splits the header section at the start of `input` (whose first byte is at `base` in the
/// whole message). Returns the header and the length of the section, separator included.
pub(crate) fn parse_header<'a>(
    input: &'a [u8],
    base: usize,
    max_bytes: usize,
    damage: &mut Vec<HeaderDamage>,
) -> (Header<'a>, usize) {
    parse_header_sized(input, base, max_bytes, MESSAGE_FIELDS, damage)
}

/// Room for the fields of a typical message header without regrowing.
pub(crate) const MESSAGE_FIELDS: usize = 16;

/// Room for the fields of a typical body part's header: a message can have many
/// thousands of body parts, and room they do not use is memory held.
pub(crate) const BODY_PART_FIELDS: usize = 4;

/// [`parse_header`] with room for `room` fields to start with.
pub(crate) fn parse_header_sized<'a>(
    input: &'a [u8],
    base: usize,
    max_bytes: usize,
    room: usize,
    damage: &mut Vec<HeaderDamage>,
) -> (Header<'a>, usize) {
    let mut fields = Vec::with_capacity(room);
    let mut at = 0;
    let mut terminated = false;
    let mut too_large = false;
    let mut name_lengths = 0;
    // An mbox "From " line before the first field is not part of the header.
    if input.starts_with(b"From ") && field_name(&input[..line_len(input, 0)]).is_none() {
        at += line_len(input, 0);
    }
    while at < input.len() {
        let (len, mut folded) = line_len_cr(input, at);
        let line = &input[at..at + len];
        if is_blank_line(line) {
            at += len;
            terminated = true;
            break;
        }
        let start = at;
        at += len;
        while at < input.len() && (input[at] == b' ' || input[at] == b'\t') {
            folded = true;
            let l = line_len(input, at);
            // A whitespace-only line ends the header in some lenient readers, but RFC 5322
            // treats it as a fold; keep it as a fold.
            at += l;
        }
        let raw = &input[start..at];
        if too_large || at > max_bytes {
            if !too_large {
                damage.push(HeaderDamage::TooLarge);
                too_large = true;
            }
            continue;
        }
        // A name or a run of blanks before the colon too long to keep (4 GiB) is kept
        // with the line as a line that is not a field.
        let field = field_name(line).and_then(|(name, colon)| {
            HeaderField::new(raw, base + start, name.len(), colon + 1, folded)
        });
        match field {
            Some(field) => {
                name_lengths |= length_bit(field.name_len as usize);
                fields.push(field);
            }
            None => {
                // A line without a colon, or a continuation with no field to continue:
                // kept as a field without a name, its text the value, as Dovecot keeps it.
                damage.push(HeaderDamage::JunkLine(base + start));
                name_lengths |= length_bit(0);
                let value_end = strip_line_end(raw).len();
                fields.push(HeaderField {
                    raw,
                    offset: base + start,
                    name_len: 0,
                    value_start: 0,
                    // At most two bytes: CR LF.
                    value_tail: u8::try_from(raw.len() - value_end).unwrap_or(0),
                    folded,
                });
            }
        }
    }
    if !terminated && !input.is_empty() {
        damage.push(HeaderDamage::Unterminated);
    }
    (
        Header {
            fields,
            raw: &input[..at],
            offset: base,
            name_lengths,
        },
        at,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &[u8]) -> (Header<'_>, usize, Vec<HeaderDamage>) {
        let mut d = Vec::new();
        let (h, n) = parse_header(input, 0, usize::MAX, &mut d);
        (h, n, d)
    }

    #[test]
    fn a_bare_cr_in_a_value_is_a_space() {
        // RFC 5322 §2.2 has no CR outside CRLF; Dovecot reads one as a space, and so does
        // every reading of the value here, where dropping it would join two words.
        let input = b"Subject: a\rb\r\n c\r\nTo: Ann\rB <a@x.test>,\rb@y.test\r\n\r\n";
        let (h, _, d) = parse(input);
        assert!(d.is_empty());
        assert_eq!(h.fields()[0].raw_value(), b" a\rb\r\n c");
        assert_eq!(&*h.fields()[0].unfolded(), b"a b c");
        assert_eq!(h.subject().as_deref(), Some("a b c"));
        let to: Vec<(Option<String>, String)> = h
            .addresses("To")
            .iter()
            .flat_map(|a| a.mailboxes())
            .map(|m| (m.name.clone(), m.address()))
            .collect();
        assert_eq!(
            to,
            [
                (Some("Ann B".to_owned()), "a@x.test".to_owned()),
                (None, "b@y.test".to_owned())
            ]
        );
    }

    #[test]
    fn splits_fields_and_keeps_raw_bytes() {
        let input = b"Subject: hello\r\n there\r\nFrom: a@b.c\r\n\r\nbody";
        let (h, n, d) = parse(input);
        assert!(d.is_empty());
        assert_eq!(n, 39);
        assert_eq!(&input[n..], b"body");
        assert_eq!(h.fields().len(), 2);
        assert_eq!(h.fields()[0].raw(), b"Subject: hello\r\n there\r\n");
        assert_eq!(h.fields()[0].raw_value(), b" hello\r\n there");
        assert_eq!(&*h.fields()[0].unfolded(), b"hello there");
        assert_eq!(h.subject().as_deref(), Some("hello there"));
        assert_eq!(h.fields()[1].offset(), 24);
        let rebuilt: Vec<u8> = h
            .fields()
            .iter()
            .flat_map(|f| f.raw().iter().copied())
            .chain(*b"\r\n")
            .collect();
        assert_eq!(rebuilt, h.raw());
    }

    #[test]
    fn accepts_lf_only_and_space_before_colon() {
        let (h, n, d) = parse(b"Subject : x\nX-A: 1\n\nbody");
        assert!(d.is_empty());
        assert_eq!(n, 20);
        assert_eq!(h.get("subject").map(HeaderField::name), Some("Subject"));
        assert_eq!(h.text("x-a").as_deref(), Some("1"));
    }

    #[test]
    fn reports_junk_and_missing_separator() {
        let (h, n, d) = parse(b"Subject: x\r\nnot a field\r\nTo: y");
        assert_eq!(n, 30);
        let names: Vec<&str> = h.fields().iter().map(HeaderField::name).collect();
        assert_eq!(names, ["Subject", "", "To"]);
        assert_eq!(
            d,
            vec![HeaderDamage::JunkLine(12), HeaderDamage::Unterminated]
        );
    }

    #[test]
    fn lines_that_are_not_fields_keep_their_text() {
        // As Dovecot 2.3 reads them: a field without a name, continuations included.
        let input =
            b" lead\r\nSubject: x\r\nno colon here\r\n folded\r\n: no name\r\nTo: y\r\n\r\n";
        let (h, n, d) = parse(input);
        assert_eq!(n, input.len());
        let fields: Vec<(&str, &[u8])> = h
            .fields()
            .iter()
            .map(|f| (f.name(), f.raw_value()))
            .collect();
        assert_eq!(
            fields,
            [
                ("", &b" lead"[..]),
                ("Subject", b" x"),
                ("", b"no colon here\r\n folded"),
                ("", b": no name"),
                ("To", b" y"),
            ]
        );
        assert_eq!(
            d,
            vec![
                HeaderDamage::JunkLine(0),
                HeaderDamage::JunkLine(19),
                HeaderDamage::JunkLine(43)
            ]
        );
        let rebuilt: Vec<u8> = h.fields().iter().flat_map(|f| f.raw().to_vec()).collect();
        assert_eq!(rebuilt, &input[..input.len() - 2]);
    }

    #[test]
    fn size_limit_drops_later_fields() {
        let mut d = Vec::new();
        let (h, n) = parse_header(b"A: 1\r\nB: 2\r\nC: 3\r\n\r\n", 0, 8, &mut d);
        assert_eq!(n, 20);
        assert_eq!(h.fields().len(), 1);
        assert_eq!(d, vec![HeaderDamage::TooLarge]);
    }

    #[test]
    fn eight_bit_header_text() {
        let (h, _, _) = parse("Subject: caf\u{e9} \u{2615}\r\n\r\n".as_bytes());
        assert_eq!(h.subject().as_deref(), Some("caf\u{e9} \u{2615}"));
        let (h, _, _) = parse(b"Subject: caf\xe9\r\n\r\n");
        assert_eq!(h.subject().as_deref(), Some("caf\u{e9}"));
    }

    #[test]
    fn unfolding_knows_every_line_end_in_a_value() {
        let (h, _, _) = parse(b"A: x\ry\r\nB: one\r\nC: fold\r\n ed\nD: lf\r\rE: end\r");
        let unfolded: Vec<(&str, Cow<'_, [u8]>)> = h
            .fields()
            .iter()
            .map(|f| (f.name(), f.unfolded()))
            .collect();
        assert_eq!(
            unfolded,
            [
                ("A", Cow::Owned(b"x y".to_vec())),
                ("B", Cow::Borrowed(&b"one"[..])),
                ("C", Cow::Owned(b"fold ed".to_vec())),
                ("D", Cow::Owned(b"lf  E: end".to_vec())),
            ]
        );
    }

    #[test]
    fn lookups_by_name_length_find_every_field() {
        let long = "X-".to_owned() + &"a".repeat(68);
        let input = format!("To: a\r\n{long}: 1\r\nSubject: s\r\n\r\n");
        let (h, _, _) = parse(input.as_bytes());
        assert_eq!(
            h.get(&long.to_uppercase()).map(HeaderField::raw_value),
            Some(&b" 1"[..])
        );
        assert_eq!(h.get("to").map(HeaderField::raw_value), Some(&b" a"[..]));
        assert_eq!(
            h.get("SUBJECT").map(HeaderField::raw_value),
            Some(&b" s"[..])
        );
        // Same length as the long name modulo 64, and as `Subject`.
        assert!(h.get("Xyzzy-").is_none());
        assert!(h.get("Subjekt").is_none());
        assert!(h.get("From").is_none());
        assert_eq!(h.get_all("subject").count(), 1);
        assert_eq!(h.get_all("from").count(), 0);
    }

    #[test]
    fn name_runs_are_measured_eight_bytes_at_a_time() {
        let slow = |line: &[u8]| {
            line.iter()
                .position(|&b| !NAME[usize::from(b)])
                .unwrap_or(line.len())
        };
        let mut lines: Vec<Vec<u8>> = vec![
            b"Content-Type: text/plain".to_vec(),
            b"X-A-Very-Long-Field-Name-Indeed:".to_vec(),
            b"Subject : x".to_vec(),
            b"To".to_vec(),
            b"".to_vec(),
        ];
        // Every byte value at every place of a 20-byte name, the bytes after it all valid
        // or all invalid.
        for at in 0..20 {
            for b in 0..=255u8 {
                let mut line = vec![b'a'; 20];
                line[at] = b;
                lines.push(line.clone());
                line[at + 1..].fill(b':');
                lines.push(line);
            }
        }
        for line in &lines {
            assert_eq!(name_len(line), slow(line), "{line:?}");
        }
        assert_eq!(name_len(b"Content-Type: text/plain"), 12);
    }

    #[test]
    fn mbox_from_line_is_skipped() {
        let (h, _, d) = parse(b"From jdoe@x.test Mon Jan  1 10:00:00 2024\nFrom : a@b\n\n");
        assert!(d.is_empty());
        assert_eq!(h.fields().len(), 1);
        assert_eq!(h.fields()[0].name(), "From");
    }

    #[test]
    fn mime_version_with_comment() {
        let (h, _, _) = parse(b"MIME-Version: 1.(produced by MetaSend Vx.x)0\r\n\r\n");
        assert_eq!(h.mime_version(), Some((1, 0)));
    }
}
