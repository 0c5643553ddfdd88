//! The MIME tree (RFC 2045, RFC 2046): parts with their headers, offsets, sizes, line
//! counts, IMAP part numbers and decoded content.

use std::borrow::Cow;
use std::fmt;
use std::sync::{LazyLock, OnceLock};

use memchr::memmem;

use crate::charset::{Charset, lossy_text};
use crate::defect::Defect;
use crate::header::{
    BODY_PART_FIELDS, Header, HeaderDamage, MESSAGE_FIELDS, parse_header, parse_header_sized,
    trim_wsp, unfold,
};
use crate::limits::Limits;
use crate::param::{ContentDisposition, ContentDispositionRef, ContentType, ContentTypeRef};
use crate::part_number::PartNumber;
use crate::transfer::{self, TransferEncoding, UuFile};

/// What a part contains.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PartKind<'a> {
    /// A leaf: text, image, application data …
    Leaf,
    /// A `multipart/*` with its parts.
    Multipart {
        /// Bytes before the first delimiter line.
        preamble: &'a [u8],
        /// Bytes after the closing delimiter line.
        epilogue: &'a [u8],
        /// The body parts, in order.
        parts: Vec<Part<'a>>,
    },
    /// A `message/rfc822` or `message/global` with the message it encloses.
    Message(Box<Part<'a>>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Content<'a> {
    None,
    Bytes(Cow<'a, [u8]>),
    /// Decoded text; `raw` holds the transfer-decoded bytes when they differ from `text`.
    Text {
        text: Cow<'a, str>,
        raw: Option<Cow<'a, [u8]>>,
    },
}

/// Where a part's content type comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TypeSource<'a> {
    /// The raw value of a readable `Content-Type` field.
    Field(&'a [u8]),
    /// No field, or an unreadable one: `text/plain; charset=us-ascii` (RFC 2045 §5.2).
    Default,
    /// No field in a `multipart/digest`: `message/rfc822` (RFC 2046 §5.1.5).
    Digest,
}

impl<'a> TypeSource<'a> {
    fn read(self) -> ContentTypeRef<'a> {
        // The defaults are read once; a part gets a copy of the view.
        static DEFAULT: OnceLock<ContentTypeRef<'static>> = OnceLock::new();
        static DIGEST: OnceLock<ContentTypeRef<'static>> = OnceLock::new();
        match self {
            TypeSource::Field(raw) => ContentTypeRef::read(unfold(trim_wsp(raw))),
            TypeSource::Default => DEFAULT
                .get_or_init(|| ContentTypeRef::parse(b"text/plain; charset=us-ascii"))
                .clone(),
            TypeSource::Digest => DIGEST
                .get_or_init(|| ContentTypeRef::parse(b"message/rfc822"))
                .clone(),
        }
    }
}

/// A part's content type: the view read from its source while parsing, the owned copy
/// built from it once, on demand.
#[derive(Clone)]
struct TypeField<'a> {
    source: TypeSource<'a>,
    view: ContentTypeRef<'a>,
    /// Boxed: most parts never build it, and every part holds the cell.
    owned: OnceLock<Box<ContentType>>,
}

impl<'a> TypeField<'a> {
    fn new(source: TypeSource<'a>) -> TypeField<'a> {
        TypeField {
            source,
            view: source.read(),
            owned: OnceLock::new(),
        }
    }

    fn owned(&self) -> &ContentType {
        self.owned
            .get_or_init(|| Box::new(self.view.clone().into_owned()))
    }
}

/// The owned copy is a function of the source.
impl PartialEq for TypeField<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for TypeField<'_> {}

/// Shows the owned value, as a part did when it held one.
impl fmt::Debug for TypeField<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.owned(), f)
    }
}

/// One entity of the MIME tree: a whole message, a body part or an enclosed message.
///
/// A message can hold many thousands of parts, so a part keeps what it can derive (its
/// offsets come from its header) and boxes what few parts have.
#[derive(Clone, PartialEq, Eq)]
pub struct Part<'a> {
    number: PartNumber,
    header: Header<'a>,
    content_type: TypeField<'a>,
    encoding: TransferEncoding,
    body: &'a [u8],
    kind: PartKind<'a>,
    content: Content<'a>,
    uuencoded: Box<[UuFile]>,
    defects: Box<[Defect]>,
}

impl fmt::Debug for Part<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Part")
            .field("number", &self.number)
            .field("header", &self.header)
            .field("content_type", &self.content_type)
            .field("encoding", &self.encoding)
            .field("header_offset", &self.header_offset())
            .field("body_offset", &self.body_offset())
            .field("body", &self.body)
            .field("kind", &self.kind)
            .field("content", &self.content)
            .field("uuencoded", &self.uuencoded)
            .field("defects", &self.defects)
            .finish()
    }
}

impl<'a> Part<'a> {
    /// The IMAP part number.
    #[inline]
    pub fn number(&self) -> &PartNumber {
        &self.number
    }

    /// The header fields.
    #[inline]
    pub fn header(&self) -> &Header<'a> {
        &self.header
    }

    /// The content type, the RFC 2045 default (`text/plain; charset=us-ascii`, or
    /// `message/rfc822` inside a `multipart/digest`) when there is no field.
    ///
    /// A field that cannot be read (no subtype, a type that is not a token …) also gives
    /// `text/plain; charset=us-ascii` (RFC 2045 §5.2), and the part is decoded as that;
    /// [`Defect::MalformedContentType`] is recorded and the field as written stays in
    /// [`Part::header`]. Reports that describe the field itself rather than how the part
    /// is read, such as an IMAP server's BODYSTRUCTURE (RFC 3501 §7.4.2), read it from
    /// there.
    ///
    /// ```
    /// use mailwire_mime::{Defect, Message};
    ///
    /// let msg = Message::parse(b"Content-Type: text\r\n\r\nhi\r\n");
    /// assert_eq!(msg.root().content_type().mime_type(), "text/plain");
    /// assert_eq!(msg.root().defects(), &[Defect::MalformedContentType]);
    /// assert_eq!(msg.root().header().get("Content-Type").unwrap().raw_value(), b" text");
    /// ```
    ///
    /// Built from the field on the first call and kept; [`Part::content_type_ref`] reads
    /// the same values without building owned strings.
    pub fn content_type(&self) -> &ContentType {
        self.content_type.owned()
    }

    /// The content type as [`Part::content_type`] gives it, read without copying:
    /// type, subtype and parameters borrow from the field where they can.
    ///
    /// ```
    /// use mailwire_mime::Message;
    ///
    /// let raw = b"Content-Type: text/plain; charset=utf-8; format=flowed\r\n\r\nhi\r\n";
    /// let msg = Message::parse_structure(raw);
    /// let ct = msg.root().content_type_ref();
    /// assert_eq!(ct.main_type(), "text");
    /// assert_eq!(ct.subtype(), "plain");
    /// let params: Vec<String> = ct.params().map(|p| format!("{}={}", p.name, p.value)).collect();
    /// assert_eq!(params, ["charset=utf-8", "format=flowed"]);
    /// assert_eq!(ct.charset().as_deref(), Some("utf-8"));
    /// assert_eq!(ct.clone().into_owned(), *msg.root().content_type());
    /// ```
    #[inline]
    pub fn content_type_ref(&self) -> &ContentTypeRef<'a> {
        &self.content_type.view
    }

    /// The `Content-Transfer-Encoding` (7bit when absent).
    #[inline]
    pub fn transfer_encoding(&self) -> &TransferEncoding {
        &self.encoding
    }

    /// The `Content-Disposition`, if any.
    pub fn content_disposition(&self) -> Option<ContentDisposition> {
        self.header.content_disposition()
    }

    /// The `Content-Disposition` read without copying, if any; its kind and parameters
    /// are those of [`Part::content_disposition`].
    ///
    /// ```
    /// use mailwire_mime::Message;
    ///
    /// let raw = b"Content-Disposition: ATTACHMENT; filename=\"r.pdf\"\r\n\r\n";
    /// let msg = Message::parse_structure(raw);
    /// let cd = msg.root().content_disposition_ref().expect("a disposition");
    /// assert_eq!(cd.kind(), "attachment");
    /// assert_eq!(cd.filename().as_deref(), Some("r.pdf"));
    /// assert_eq!(cd.params().count(), 1);
    /// ```
    pub fn content_disposition_ref(&self) -> Option<ContentDispositionRef<'a>> {
        self.header.content_disposition_ref()
    }

    /// The `Content-ID`, without angle brackets.
    pub fn content_id(&self) -> Option<String> {
        self.header.content_id()
    }

    /// The file name: the disposition's `filename`, else the type's `name`.
    pub fn filename(&self) -> Option<String> {
        self.content_disposition()
            .and_then(|d| d.filename().map(str::to_owned))
            .or_else(|| self.content_type_ref().param("name").map(Cow::into_owned))
    }

    /// Offset of the first header byte in the parsed input.
    pub fn header_offset(&self) -> usize {
        self.header.offset()
    }

    /// Offset of the first body byte in the parsed input.
    pub fn body_offset(&self) -> usize {
        self.header.offset() + self.header.raw().len()
    }

    /// The body as written (still transfer-encoded); for a body part it excludes the line
    /// end before the next delimiter, as RFC 2046 §5.1.1 says.
    #[inline]
    pub fn raw_body(&self) -> &'a [u8] {
        self.body
    }

    /// Body size in octets, as written (IMAP `body-fld-octets`).
    #[inline]
    pub fn body_size(&self) -> usize {
        self.body.len()
    }

    /// Body size in lines (IMAP `body-fld-lines`): the line ends in the body. A last line
    /// without one is not counted, as Dovecot counts: in a body part the line end before
    /// the next delimiter belongs to the delimiter (RFC 2046 §5.1.1), so such a part ends
    /// in a partial line. Counted on each call (one pass over the body).
    pub fn body_lines(&self) -> usize {
        count_lines(self.body)
    }

    /// What the part contains.
    #[inline]
    pub fn kind(&self) -> &PartKind<'a> {
        &self.kind
    }

    /// The body parts of a multipart; empty otherwise.
    #[inline]
    pub fn parts(&self) -> &[Part<'a>] {
        match &self.kind {
            PartKind::Multipart { parts, .. } => parts,
            _ => &[],
        }
    }

    /// The enclosed message of a `message/rfc822` part.
    #[inline]
    pub fn message(&self) -> Option<&Part<'a>> {
        match &self.kind {
            PartKind::Message(m) => Some(m),
            _ => None,
        }
    }

    /// Whether the part is a multipart.
    pub fn is_multipart(&self) -> bool {
        matches!(self.kind, PartKind::Multipart { .. })
    }

    /// The transfer-decoded content of a leaf (empty for multiparts and messages, and
    /// after [`Message::parse_structure`](crate::Message::parse_structure)).
    pub fn decoded(&self) -> &[u8] {
        match &self.content {
            Content::None => &[],
            Content::Bytes(b) => b,
            Content::Text { raw: Some(r), .. } => r,
            Content::Text { text, raw: None } => text.as_bytes(),
        }
    }

    /// The content of a `text/*` leaf converted to UTF-8, whole (uuencoded blocks in it
    /// are kept, and also offered decoded by [`Part::uuencoded`]); `None` after [`Message::parse_structure`](crate::Message::parse_structure).
    pub fn text(&self) -> Option<&str> {
        match &self.content {
            Content::Text { text, .. } => Some(text),
            _ => None,
        }
    }

    /// Files found uuencoded inside a `text/plain` body (`begin 644 name` … `end`): the
    /// attachments of mailers that predate MIME. The text keeps the blocks.
    pub fn uuencoded(&self) -> &[UuFile] {
        &self.uuencoded
    }

    /// Damage found in this part (not in its children).
    pub fn defects(&self) -> &[Defect] {
        &self.defects
    }

    /// Whether a reader would call this an attachment rather than message text: an
    /// `attachment` disposition, an enclosed message, a named text part not marked inline,
    /// or a non-text leaf without a `Content-ID` that is not marked inline.
    pub fn is_attachment(&self) -> bool {
        let disp = self.content_disposition_ref();
        if disp
            .as_ref()
            .is_some_and(ContentDispositionRef::is_attachment)
        {
            return true;
        }
        let inline = disp.as_ref().is_some_and(ContentDispositionRef::is_inline);
        match &self.kind {
            PartKind::Message(_) => true,
            PartKind::Multipart { .. } => false,
            PartKind::Leaf if self.content_type_ref().main_type() == "text" => {
                !inline && self.filename().is_some()
            }
            PartKind::Leaf => !inline && self.content_id().is_none(),
        }
    }
}

struct Ctx<'a> {
    input: &'a [u8],
    limits: Limits,
    parts: usize,
    /// Entities read by [`scan`] so far.
    scanned: usize,
    /// Whether leaves are transfer-decoded and text converted; off for a structure-only
    /// parse.
    decode: bool,
}

/// Whether `line` (which starts a line) is a delimiter line of `boundary`, comparing as
/// RFC 2046 §5.1.1 asks: `--` and the boundary at its start, "an exact match of the
/// entire candidate line is not required"; `Some(true)` for a close delimiter (`--`
/// after the boundary).
fn delimiter_of(line: &[u8], boundary: &[u8]) -> Option<bool> {
    let rest = line.strip_prefix(b"--")?.strip_prefix(boundary)?;
    Some(rest.starts_with(b"--"))
}

/// Which of the `open` boundaries the line (`--` first) is a delimiter of, as Dovecot
/// chooses: the longest that starts it, the innermost of equals; one that is the whole
/// line (a close delimiter's dashes aside) is taken at once.
fn best_boundary(line: &[u8], open: &[Vec<u8>]) -> Option<usize> {
    let rest = line.strip_prefix(b"--")?;
    let rest = rest.strip_suffix(b"\r").unwrap_or(rest);
    let dashes = rest.len() > 2 && rest.ends_with(b"--");
    let mut best: Option<usize> = None;
    for (level, b) in open.iter().enumerate().rev() {
        // Boundaries often share their first bytes (`----=_Part_`) and seldom their last:
        // that byte turns most lines down without a call to compare.
        let last_matches = b.last().is_none_or(|&l| rest.get(b.len() - 1) == Some(&l));
        if last_matches && rest.starts_with(b) && best.is_none_or(|l| open[l].len() < b.len()) {
            best = Some(level);
            if b.len() == rest.len() || (dashes && b.len() + 2 == rest.len()) {
                break;
            }
        }
    }
    best
}

/// A delimiter line found in `input`: where it starts, which boundary of the open ones it
/// belongs to (their index), and whether it closes.
struct Found {
    line: usize,
    level: usize,
    close: bool,
}

/// The first line in `input[from..to]` (`from` a line start) that is a delimiter of one of
/// the `open` boundaries (innermost last), chosen by [`best_boundary`].
fn next_delimiter(input: &[u8], from: usize, to: usize, open: &[Vec<u8>]) -> Option<Found> {
    if open.is_empty() {
        return None;
    }
    let text = &input[..to];
    let mut at = from;
    loop {
        if text[at..].starts_with(b"--") {
            let eol = memchr::memchr(b'\n', &text[at..]).map_or(to, |i| at + i);
            let line = &text[at..eol];
            if let Some(level) = best_boundary(line, open) {
                let close = delimiter_of(line, &open[level]).unwrap_or(false);
                return Some(Found {
                    line: at,
                    level,
                    close,
                });
            }
        }
        at += LINE_DASHES.find(&text[at..])? + 1;
    }
}

/// Finds a line that starts with `--`: built once, as building a searcher for each search
/// cost more than most searches (parts are short).
static LINE_DASHES: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new(b"\n--"));

/// Where the line after the one starting at `line` starts.
fn after_line(input: &[u8], line: usize, to: usize) -> usize {
    memchr::memchr(b'\n', &input[line..to]).map_or(to, |i| line + i + 1)
}

/// Where the content before the delimiter line at `line` ends: before that line's
/// preceding line end, which belongs to the delimiter (RFC 2046 §5.1.1); not before
/// `start`.
fn content_end(input: &[u8], start: usize, line: usize) -> usize {
    let mut end = line;
    if end > start && input[end - 1] == b'\n' {
        end -= 1;
        if end > start && input[end - 1] == b'\r' {
            end -= 1;
        }
    }
    end
}

/// What the delimiter scan needs of an entity's type.
enum Nesting {
    Leaf,
    Message,
    /// A multipart: its boundary, and whether it is a digest.
    Multipart(Vec<u8>, bool),
}

fn nesting(header: &Header<'_>, digest: bool) -> Nesting {
    let Some(ct) = header.content_type_ref() else {
        return if digest {
            Nesting::Message
        } else {
            Nesting::Leaf
        };
    };
    if ct.is_malformed() {
        return Nesting::Leaf;
    }
    match ct.main_type() {
        "multipart" => match ct.boundary().filter(|b| !b.is_empty()) {
            Some(b) => Nesting::Multipart(b.as_bytes().to_vec(), ct.subtype_is("digest")),
            None => Nesting::Leaf,
        },
        // Transfer-encoded too: Dovecot reads the encoded text as the message's header.
        "message" if matches!(ct.subtype(), "rfc822" | "global") => Nesting::Message,
        _ => Nesting::Leaf,
    }
}

/// Where the entity that starts at `start` ends: the start of the first line that is a
/// delimiter of one of the `open` boundaries and that no multipart inside the entity
/// takes for its own, or `end`. Multiparts are read with the boundaries of the ones
/// around them, as Dovecot reads them, so a multipart nested in another with the same
/// boundary, or with one the outer boundary is a prefix of, keeps its delimiters.
///
/// Also whether the line end before that line belongs to the entity, as Dovecot counts
/// it: it does when the line before is a delimiter line or a field of an `enclosed`
/// message's header (whose line ends are theirs), and not when it ends body text, the
/// header's empty line or a field of a body part's header (RFC 2046 §5.1.1 gives it to
/// the delimiter).
fn entity_end(
    ctx: &Ctx<'_>,
    start: usize,
    end: usize,
    open: &mut Vec<Vec<u8>>,
    digest: bool,
    enclosed: bool,
    depth: usize,
) -> (usize, bool) {
    let mut damage = Vec::new();
    let (header, hlen) = parse_header(
        &ctx.input[start..end],
        start,
        ctx.limits.max_header_bytes,
        &mut damage,
    );
    let body = start + hlen;
    // A delimiter line inside the header ends the entity there; an enclosed message's
    // header keeps the line end of its last field, a body part's gives it up.
    if let Some(f) = next_delimiter(ctx.input, start, body, open) {
        return (f.line, enclosed && f.line > start);
    }
    let kind = if depth >= ctx.limits.max_depth {
        Nesting::Leaf
    } else {
        nesting(&header, digest)
    };
    match kind {
        Nesting::Leaf => match next_delimiter(ctx.input, body, end, open) {
            Some(f) => (f.line, false),
            None => (end, false),
        },
        Nesting::Message => entity_end(ctx, body, end, open, false, true, depth + 1),
        Nesting::Multipart(boundary, digest) => {
            let own = open.len();
            open.push(boundary);
            let mut at = body;
            // Whether the line end before `at` is taken (a delimiter line's); the empty
            // line that ends the header gives its line end to a delimiter after it.
            let mut taken = false;
            let mut closed = false;
            let stop = loop {
                let levels = if closed { own } else { own + 1 };
                let Some(f) = next_delimiter(ctx.input, at, end, &open[..levels]) else {
                    break (end, false);
                };
                if f.level < own {
                    break (f.line, taken && f.line == at);
                }
                at = after_line(ctx.input, f.line, end);
                taken = true;
                if f.close {
                    // The epilogue: only the enclosing boundaries end it.
                    closed = true;
                } else {
                    (at, taken) = entity_end(ctx, at, end, open, digest, false, depth + 1);
                }
            };
            open.truncate(own);
            stop
        }
    }
}

fn count_lines(body: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', body).count()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// A whole message (top level or enclosed): a leaf body gets number `base.1`.
    Message,
    /// A body part of a multipart, numbered by its parent.
    BodyPart,
}

fn convert_text<'a>(
    decoded: Cow<'a, [u8]>,
    ct: &ContentTypeRef<'_>,
    defects: &mut Vec<Defect>,
) -> Content<'a> {
    let charset_param = ct.charset();
    let label = charset_param.as_deref().unwrap_or("us-ascii");
    let charset = Charset::for_label(label);
    let ascii_family = charset
        .is_none_or(|c| matches!(c, Charset::Whatwg(e) if e == encoding_rs::WINDOWS_1252))
        && ["us-ascii", "ascii", "us", "ansi_x3.4-1968", ""]
            .iter()
            .any(|l| l.eq_ignore_ascii_case(label.trim()));
    // Undeclared or "us-ascii" 8-bit text is UTF-8 when it validates (RFC 6532 habits);
    // checked once, the text taken as it is.
    let mut decoded = decoded;
    if ascii_family {
        decoded = match decoded {
            Cow::Borrowed(b) => match std::str::from_utf8(b) {
                Ok(text) => {
                    return Content::Text {
                        text: Cow::Borrowed(text),
                        raw: None,
                    };
                }
                Err(_) => Cow::Borrowed(b),
            },
            Cow::Owned(v) => match String::from_utf8(v) {
                Ok(text) => {
                    return Content::Text {
                        text: Cow::Owned(text),
                        raw: None,
                    };
                }
                Err(e) => Cow::Owned(e.into_bytes()),
            },
        };
    }
    let Some(charset) = charset else {
        defects.push(Defect::UnknownCharset(label.to_owned()));
        return match decoded {
            Cow::Borrowed(b) => Content::Text {
                text: lossy_text(b),
                raw: None,
            }
            .normalized(b),
            Cow::Owned(v) => {
                let text = lossy_text(&v).into_owned();
                Content::Text {
                    text: Cow::Owned(text),
                    raw: Some(Cow::Owned(v)),
                }
                .normalized_owned()
            }
        };
    };
    match decoded {
        Cow::Borrowed(b) => {
            let (text, bad) = charset.decode(b);
            if bad {
                defects.push(Defect::InvalidCharsetData(label.to_owned()));
            }
            Content::Text { text, raw: None }.normalized(b)
        }
        Cow::Owned(v) => {
            let reusable = matches!(charset, Charset::Whatwg(e) if e == encoding_rs::UTF_8 || e.is_ascii_compatible() && v.is_ascii());
            if reusable {
                let (text, bad) = charset.decode_vec(v);
                if bad {
                    defects.push(Defect::InvalidCharsetData(label.to_owned()));
                }
                return Content::Text {
                    text: Cow::Owned(text),
                    raw: None,
                };
            }
            let (text, bad) = charset.decode(&v);
            if bad {
                defects.push(Defect::InvalidCharsetData(label.to_owned()));
            }
            let text = text.into_owned();
            Content::Text {
                text: Cow::Owned(text),
                raw: Some(Cow::Owned(v)),
            }
            .normalized_owned()
        }
    }
}

impl<'a> Content<'a> {
    /// Drops `raw` when the text's bytes are the decoded bytes.
    fn normalized(self, decoded: &'a [u8]) -> Content<'a> {
        match self {
            // Text borrowed from the bytes themselves needs no comparison.
            Content::Text { text, raw: None }
                if !std::ptr::eq(text.as_bytes(), decoded) && text.as_bytes() != decoded =>
            {
                Content::Text {
                    text,
                    raw: Some(Cow::Borrowed(decoded)),
                }
            }
            other => other,
        }
    }

    fn normalized_owned(self) -> Content<'a> {
        match self {
            Content::Text { text, raw: Some(r) } if r.as_ref() == text.as_bytes() => {
                Content::Text { text, raw: None }
            }
            other => other,
        }
    }
}

fn add_header_damage(damage: &[HeaderDamage], limits: &Limits, defects: &mut Vec<Defect>) {
    for d in damage {
        defects.push(match *d {
            HeaderDamage::JunkLine(offset) => Defect::JunkHeaderLine { offset },
            HeaderDamage::TooLarge => Defect::HeaderTooLarge {
                limit: limits.max_header_bytes,
            },
            HeaderDamage::Unterminated => Defect::UnterminatedHeader,
        });
    }
}

/// Records `Defect::EmptyAddress` for each address field that holds `<>`.
fn empty_addresses(header: &Header<'_>, defects: &mut Vec<Defect>) {
    const FIELDS: [&str; 6] = ["From", "Sender", "Reply-To", "To", "Cc", "Bcc"];
    for f in header.fields() {
        if let Some(&field) = FIELDS.iter().find(|n| f.is_named(n))
            && crate::address::has_empty_angle_addr(f.raw_value())
        {
            defects.push(Defect::EmptyAddress { field });
        }
    }
}

/// What the scan found of an entity besides the part it built: where the entity stops,
/// and where the delimiter lines inside it are, for [`finish`].
struct Scan {
    /// The delimiter line before a body part (0 for other entities).
    line: usize,
    start: usize,
    /// The first line after the entity: a delimiter line of a boundary open around it, or
    /// the end of the input.
    stop: usize,
    /// Whether the line end before `stop` belongs to the entity (see [`entity_end`]).
    taken: bool,
    /// Whether the part was built from the entity's header; not when a delimiter line
    /// cut the header short, or the entity came after the part limit: [`finish`] then
    /// reads it again from its range.
    whole: bool,
    inside: Inside,
}

/// What the scan found inside an entity's body.
enum Inside {
    /// A body read as a leaf.
    Leaf,
    /// An enclosed message.
    Message(Box<Scan>),
    /// A multipart's delimiter lines and body parts.
    Multipart {
        /// The first delimiter line of its own boundary.
        first: Option<usize>,
        /// The body parts, each with the delimiter line before it.
        parts: Vec<Scan>,
        /// The close delimiter line.
        close: Option<usize>,
        /// Whether body parts past the part limit were scanned and not kept.
        more: bool,
    },
}

impl Scan {
    /// An entity the scan kept nothing of.
    fn cut(start: usize, stop: usize, taken: bool) -> Scan {
        Scan {
            line: 0,
            start,
            stop,
            taken,
            whole: false,
            inside: Inside::Leaf,
        }
    }
}

impl Part<'_> {
    /// A part to fill a place until [`finish`] reads it.
    fn placeholder() -> Self {
        Part {
            number: PartNumber::default(),
            header: Header::default(),
            content_type: TypeField::new(TypeSource::Default),
            encoding: TransferEncoding::default(),
            body: &[],
            kind: PartKind::Leaf,
            content: Content::None,
            uuencoded: Box::default(),
            defects: Box::default(),
        }
    }
}

/// How many entities the scan builds parts for. Each part kept counts at least once when
/// [`finish`] comes to it, in the order the scan kept them, so the finish meets the part
/// limit before it runs out of kept parts.
fn scan_limit(limits: &Limits) -> usize {
    limits.max_parts.saturating_add(2)
}

/// Scans the entity that starts at `start` as [`entity_end`] does, building its part
/// (and its parts') on the way: each header is split once and each body byte looked at
/// once, however deep the nesting. What depends on where the part ends (its body, the
/// decoded content, a multipart's epilogue, the part limit) is left to [`finish`].
#[allow(clippy::too_many_arguments, reason = "the recursion's state, named")]
fn scan<'a>(
    ctx: &mut Ctx<'a>,
    start: usize,
    limit: usize,
    open: &mut Vec<Vec<u8>>,
    base: &PartNumber,
    role: Role,
    digest: bool,
    enclosed: bool,
    depth: usize,
) -> (Part<'a>, Scan) {
    if ctx.scanned >= scan_limit(&ctx.limits) {
        let (stop, taken) = entity_end(ctx, start, limit, open, digest, enclosed, depth);
        return (Part::placeholder(), Scan::cut(start, stop, taken));
    }
    ctx.scanned += 1;
    let input = ctx.input;
    let mut damage = Vec::new();
    let room = match role {
        Role::Message => MESSAGE_FIELDS,
        Role::BodyPart => BODY_PART_FIELDS,
    };
    let (header, hlen) = parse_header_sized(
        &input[start..limit],
        start,
        ctx.limits.max_header_bytes,
        room,
        &mut damage,
    );
    let body_offset = start + hlen;
    // A delimiter line inside the header ends the entity there; an enclosed message's
    // header keeps the line end of its last field, a body part's gives it up.
    if let Some(f) = next_delimiter(input, start, body_offset, open) {
        return (
            Part::placeholder(),
            Scan::cut(start, f.line, enclosed && f.line > start),
        );
    }
    let mut defects = Vec::new();
    add_header_damage(&damage, &ctx.limits, &mut defects);
    if matches!(role, Role::Message) {
        empty_addresses(&header, &mut defects);
    }
    let mut content_type = TypeField::new(match header.get("Content-Type") {
        Some(f) => TypeSource::Field(f.raw_value()),
        None if digest => TypeSource::Digest,
        None => TypeSource::Default,
    });
    if content_type.view.is_malformed() {
        defects.push(Defect::MalformedContentType);
        content_type = TypeField::new(TypeSource::Default);
    } else if content_type.view.skipped_text() {
        defects.push(Defect::JunkAfterParameter {
            field: "Content-Type",
        });
    }
    if header
        .content_disposition_ref()
        .is_some_and(|d| d.skipped_text())
    {
        defects.push(Defect::JunkAfterParameter {
            field: "Content-Disposition",
        });
    }
    let encoding = header.content_transfer_encoding().unwrap_or_default();
    // Both are lowercase.
    let ct = &content_type.view;
    let (main, sub) = (ct.main_type(), ct.subtype());
    let is_multipart = main == "multipart";
    let is_message = main == "message" && (sub == "rfc822" || sub == "global");
    let nesting = if depth >= ctx.limits.max_depth {
        Nesting::Leaf
    } else if is_multipart {
        match ct.boundary().filter(|b| !b.is_empty()) {
            Some(b) => Nesting::Multipart(b.as_bytes().to_vec(), ct.subtype_is("digest")),
            None => Nesting::Leaf,
        }
    } else if is_message {
        Nesting::Message
    } else {
        Nesting::Leaf
    };
    let number = match role {
        Role::Message if is_multipart => base.clone(),
        Role::Message => base.child(1),
        Role::BodyPart => base.clone(),
    };
    let mut part = Part {
        number,
        header,
        encoding,
        body: &[],
        kind: PartKind::Leaf,
        content: Content::None,
        uuencoded: Box::default(),
        defects: defects.into_boxed_slice(),
        content_type,
    };
    let (inside, stop, taken) = match nesting {
        Nesting::Leaf => match next_delimiter(input, body_offset, limit, open) {
            Some(f) => (Inside::Leaf, f.line, false),
            None => (Inside::Leaf, limit, false),
        },
        // Transfer-encoded too, for where it ends: Dovecot reads the encoded text as the
        // message's header. Only an unencoded one is kept.
        Nesting::Message if !part.encoding.is_identity() => {
            let (stop, taken) = entity_end(ctx, body_offset, limit, open, false, true, depth + 1);
            (Inside::Leaf, stop, taken)
        }
        Nesting::Message => {
            let (inner, scan) = scan(
                ctx,
                body_offset,
                limit,
                open,
                &part.number,
                Role::Message,
                false,
                true,
                depth + 1,
            );
            part.kind = PartKind::Message(Box::new(inner));
            let (stop, taken) = (scan.stop, scan.taken);
            (Inside::Message(Box::new(scan)), stop, taken)
        }
        Nesting::Multipart(boundary, digest) => {
            let own = open.len();
            open.push(boundary);
            let mut at = body_offset;
            // As in `entity_end`.
            let mut taken = false;
            let mut first = None;
            let mut close = None;
            let mut more = false;
            let mut parts = Vec::new();
            let mut scans = Vec::new();
            let (stop, taken) = loop {
                let levels = if close.is_some() { own } else { own + 1 };
                let Some(f) = next_delimiter(input, at, limit, &open[..levels]) else {
                    break (limit, false);
                };
                if f.level < own {
                    break (f.line, taken && f.line == at);
                }
                first.get_or_insert(f.line);
                at = after_line(input, f.line, limit);
                taken = true;
                if f.close {
                    close = Some(f.line);
                } else if ctx.scanned >= scan_limit(&ctx.limits) {
                    more = true;
                    (at, taken) = entity_end(ctx, at, limit, open, digest, false, depth + 1);
                } else {
                    let (child, mut scan) = scan(
                        ctx,
                        at,
                        limit,
                        open,
                        &part.number.child(parts.len() + 1),
                        Role::BodyPart,
                        digest,
                        false,
                        depth + 1,
                    );
                    scan.line = f.line;
                    (at, taken) = (scan.stop, scan.taken);
                    parts.push(child);
                    scans.push(scan);
                }
            };
            open.truncate(own);
            part.kind = PartKind::Multipart {
                preamble: &[],
                epilogue: &[],
                parts,
            };
            let inside = Inside::Multipart {
                first,
                parts: scans,
                close,
                more,
            };
            (inside, stop, taken)
        }
    };
    let scan = Scan {
        line: 0,
        start,
        stop,
        taken,
        whole: true,
        inside,
    };
    (part, scan)
}

/// Parses the entity in `input[start..end]` alone, as if nothing were around it.
fn parse_range<'a>(
    ctx: &mut Ctx<'a>,
    start: usize,
    end: usize,
    base: &PartNumber,
    role: Role,
    digest: bool,
    depth: usize,
) -> Part<'a> {
    // With no boundary open and the header inside the range, the scan keeps the part
    // and the finish takes it as it is. The range has its own count of scanned parts.
    let scanned = std::mem::replace(&mut ctx.scanned, 0);
    let (mut part, scan) = scan(
        ctx,
        start,
        end,
        &mut Vec::new(),
        base,
        role,
        digest,
        false,
        depth,
    );
    finish(ctx, &mut part, scan, start, end, base, role, digest, depth);
    ctx.scanned = scanned;
    part
}

/// Completes the part the scan built for `input[start..end]`: its body, the part limit,
/// the defects of its structure, and its content.
///
/// The range is the one its parent gives it, which can end before the scan's stop: the
/// line end before a delimiter belongs to the delimiter (RFC 2046 §5.1.1), and the last
/// body part of a multipart that is not closed ends where its parent does. What the scan
/// read stays true inside the range unless the range cuts the header short or starts
/// elsewhere (a delimiter line without its line end): then the part is read again from
/// its range alone, as is one the scan kept nothing of.
#[allow(clippy::too_many_arguments, reason = "the recursion's state, named")]
fn finish<'a>(
    ctx: &mut Ctx<'a>,
    part: &mut Part<'a>,
    scan: Scan,
    start: usize,
    end: usize,
    base: &PartNumber,
    role: Role,
    digest: bool,
    depth: usize,
) {
    if !scan.whole || scan.start != start || part.body_offset() > end {
        *part = parse_range(ctx, start, end, base, role, digest, depth);
        return;
    }
    ctx.parts += 1;
    let body_offset = part.body_offset();
    part.body = &ctx.input[body_offset..end];
    let ct = &part.content_type.view;
    let (main, sub) = (ct.main_type(), ct.subtype());
    let is_multipart = main == "multipart";
    let is_message = main == "message" && (sub == "rfc822" || sub == "global");
    let composite = is_multipart || is_message;
    let mut defects = std::mem::take(&mut part.defects).into_vec();
    let mut as_leaf = true;
    if composite && depth >= ctx.limits.max_depth {
        defects.push(Defect::NestingTooDeep {
            limit: ctx.limits.max_depth,
        });
    } else if composite && ctx.parts >= ctx.limits.max_parts {
        defects.push(Defect::TooManyParts {
            limit: ctx.limits.max_parts,
        });
        part.kind = PartKind::Leaf;
    } else if is_multipart {
        if !part.encoding.is_identity() {
            defects.push(Defect::EncodedCompositePart(part.encoding.clone()));
        }
        // The scan read a multipart wherever there is a boundary to read it by.
        match scan.inside {
            Inside::Multipart {
                first,
                parts,
                close,
                more,
            } => {
                as_leaf = false;
                let digest = ct.subtype_is("digest");
                let found = Delimiters {
                    first,
                    parts,
                    close,
                    more,
                };
                finish_multipart(ctx, part, found, digest, depth, &mut defects);
            }
            _ => defects.push(Defect::MissingBoundaryParameter),
        }
    } else if is_message {
        if part.encoding.is_identity() {
            as_leaf = false;
            let number = &part.number;
            match (scan.inside, &mut part.kind) {
                (Inside::Message(scan), PartKind::Message(inner)) => finish(
                    ctx,
                    inner,
                    *scan,
                    body_offset,
                    end,
                    number,
                    Role::Message,
                    false,
                    depth + 1,
                ),
                (_, kind) => {
                    let inner = parse_range(
                        ctx,
                        body_offset,
                        end,
                        number,
                        Role::Message,
                        false,
                        depth + 1,
                    );
                    *kind = PartKind::Message(Box::new(inner));
                }
            }
        } else {
            defects.push(Defect::EncodedCompositePart(part.encoding.clone()));
        }
    }
    if as_leaf && ctx.decode {
        let ct = part.content_type.view.clone();
        decode_leaf(part, &ct, &mut defects);
    }
    part.defects = defects.into_boxed_slice();
}

/// What the scan found of a multipart's delimiter lines (see [`Inside::Multipart`]).
struct Delimiters {
    first: Option<usize>,
    parts: Vec<Scan>,
    close: Option<usize>,
    more: bool,
}

fn finish_multipart<'a>(
    ctx: &mut Ctx<'a>,
    part: &mut Part<'a>,
    found: Delimiters,
    digest: bool,
    depth: usize,
    defects: &mut Vec<Defect>,
) {
    let body = part.body;
    let body_offset = part.body_offset();
    let body_end = body_offset + body.len();
    let input = ctx.input;
    let number = &part.number;
    let PartKind::Multipart {
        preamble,
        epilogue,
        parts,
    } = &mut part.kind
    else {
        return;
    };
    let Some(first) = found.first else {
        defects.push(Defect::BoundaryNotFound);
        *preamble = body;
        parts.clear();
        return;
    };
    *preamble = &input[body_offset..content_end(input, body_offset, first)];
    let count = found.parts.len();
    let mut complete = true;
    for (i, scan) in found.parts.into_iter().enumerate() {
        if ctx.parts >= ctx.limits.max_parts {
            defects.push(Defect::TooManyParts {
                limit: ctx.limits.max_parts,
            });
            parts.truncate(i);
            complete = false;
            break;
        }
        let start = after_line(input, scan.line, body_end);
        // A part followed by a delimiter of this multipart ends before that line (and its
        // line end, unless the part takes it); the last part of an unclosed multipart
        // ends with it.
        let followed = i + 1 < count || found.more || found.close.is_some();
        let stop = if followed {
            scan.stop.min(body_end)
        } else {
            body_end
        };
        let end = if stop < body_end && !scan.taken {
            content_end(input, start, stop)
        } else {
            stop
        };
        finish(
            ctx,
            &mut parts[i],
            scan,
            start,
            end,
            &number.child(i + 1),
            Role::BodyPart,
            digest,
            depth + 1,
        );
    }
    // Parts the scan did not keep come after the limit.
    if complete && found.more {
        defects.push(Defect::TooManyParts {
            limit: ctx.limits.max_parts,
        });
        complete = false;
    }
    *epilogue = match found.close {
        Some(line) if complete => &input[after_line(input, line, body_end)..body_end],
        _ => {
            defects.push(Defect::MissingClosingBoundary);
            &[][..]
        }
    };
}

fn decode_leaf<'a>(part: &mut Part<'a>, ct: &ContentTypeRef<'_>, defects: &mut Vec<Defect>) {
    let (decoded, damage, after_padding) = transfer::decode(&part.encoding, part.body);
    if damage > 0 {
        defects.push(match part.encoding {
            TransferEncoding::Base64 => Defect::InvalidBase64 { count: damage },
            TransferEncoding::QuotedPrintable => Defect::InvalidQuotedPrintable { count: damage },
            _ => Defect::InvalidUuencode { count: damage },
        });
    }
    if after_padding {
        defects.push(Defect::DataAfterBase64Padding);
    }
    if let TransferEncoding::Other(name) = &part.encoding {
        defects.push(Defect::UnknownTransferEncoding(name.clone()));
    }
    if ct.main_type() != "text" {
        part.content = Content::Bytes(decoded);
        return;
    }
    let content = convert_text(decoded, ct, defects);
    // Inline uuencoded files are offered as well, and the text keeps them: what the sender
    // wrote stays whole, as the part's size counts it.
    if ct.subtype() == "plain"
        && let Content::Text { text, .. } = &content
        && transfer::UU_BEGIN.find(text.as_bytes()).is_some()
    {
        part.uuencoded = transfer::find_uu_blocks(text.as_bytes())
            .into_iter()
            .map(|(_, _, file)| file)
            .collect();
    }
    part.content = content;
}

/// Parses a whole message; leaves are decoded only when `decode` is true.
pub(crate) fn parse_message(input: &[u8], limits: Limits, decode: bool) -> Part<'_> {
    let mut ctx = Ctx {
        input,
        limits,
        parts: 0,
        scanned: 0,
        decode,
    };
    parse_range(
        &mut ctx,
        0,
        input.len(),
        &PartNumber::default(),
        Role::Message,
        false,
        0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_are_line_starts_compared_as_prefixes() {
        // RFC 2046 §5.1.1: the boundary need only start the line.
        let body = b"pre\r\n--b\r\nA\r\nx --b\r\n--bc\r\nB\r\n--b--x\r\nepi";
        let open = [b"b".to_vec()];
        let mut found = Vec::new();
        let mut at = 0;
        while let Some(f) = next_delimiter(body, at, body.len(), &open) {
            found.push((f.line, f.close));
            at = after_line(body, f.line, body.len());
        }
        assert_eq!(found, [(5, false), (20, false), (29, true)]);
        assert_eq!(&body[..content_end(body, 0, 5)], b"pre");
        assert_eq!(&body[10..content_end(body, 10, 20)], b"A\r\nx --b");
    }

    #[test]
    fn an_inner_boundary_is_tried_first() {
        // The inner multipart reuses the outer boundary, then one the outer boundary is a
        // prefix of; each keeps its delimiters, as Dovecot 2.3 reads them.
        let raw = b"Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n\
Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n\r\none\r\n--a--\r\n\
--a\r\nContent-Type: multipart/mixed; boundary=aa\r\n\r\n--aa\r\n\r\ntwo\r\n--aa--\r\n\
--a--\r\n";
        let root = parse_message(raw, Limits::default(), false);
        // The first inner multipart takes the `--a` lines up to its close; the `--aa`
        // lines, which start with `--a`, are the second one's.
        assert_eq!(root.parts().len(), 2);
        let bodies: Vec<Vec<&[u8]>> = root
            .parts()
            .iter()
            .map(|p| p.parts().iter().map(Part::raw_body).collect())
            .collect();
        assert_eq!(bodies, [[&b"one"[..]], [&b"two"[..]]]);
        assert!(root.defects().is_empty());
    }

    #[test]
    fn long_boundaries_are_found_too() {
        let boundary = "b".repeat(100);
        let raw = format!(
            "Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n--{boundary}\r\n\r\nA\r\n--{boundary}--\r\n"
        );
        let root = parse_message(raw.as_bytes(), Limits::default(), false);
        assert_eq!(root.parts().len(), 1);
        assert_eq!(root.parts()[0].raw_body(), b"A");
        assert!(root.defects().is_empty());
    }

    #[test]
    fn parts_can_be_shared_between_threads() {
        fn shareable<T: Send + Sync>(_: &T) {}
        let root = parse_message(
            b"Content-Type: text/plain\r\n\r\nx",
            Limits::default(),
            false,
        );
        shareable(&root);
        assert_eq!(root.content_type().main_type(), "text");
    }

    #[test]
    fn line_counts() {
        assert_eq!(count_lines(b""), 0);
        // A last line without a line end is not counted, as Dovecot counts.
        assert_eq!(count_lines(b"a"), 0);
        assert_eq!(count_lines(b"a\r\n"), 1);
        assert_eq!(count_lines(b"a\r\nb"), 1);
        assert_eq!(count_lines(b"a\nb\n\r\n"), 3);
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn parts_stay_small() {
        // A message can hold a part for every few hundred bytes of its input.
        assert_eq!(size_of::<Part<'_>>(), 488);
        assert_eq!(size_of::<crate::HeaderField<'_>>(), 40);
    }

    /// Each part's number, header offset, body offset and length, and defects.
    fn outline(raw: &[u8]) -> Vec<(String, usize, usize, usize, Vec<Defect>)> {
        let root = parse_message(raw, Limits::default(), true);
        let mut out = Vec::new();
        let mut stack = vec![&root];
        while let Some(p) = stack.pop() {
            out.push((
                p.number().to_string(),
                p.header_offset(),
                p.body_offset(),
                p.body_size(),
                p.defects().to_vec(),
            ));
            stack.extend(p.parts().iter().rev());
            stack.extend(p.message());
        }
        out
    }

    #[test]
    fn a_delimiter_in_a_header_ends_the_part_there() {
        // The second part's header is cut by the next delimiter line; the part is read
        // again from what is left of it, a header without its empty line.
        let raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\none\r\n\
--b\r\nContent-Type: text/html\r\n--b\r\n\r\ntwo\r\n--b--\r\n";
        assert_eq!(
            outline(raw),
            [
                (String::new(), 0, 45, 61, vec![]),
                ("1".into(), 50, 52, 3, vec![]),
                ("2".into(), 62, 85, 0, vec![Defect::UnterminatedHeader]),
                ("3".into(), 92, 94, 3, vec![]),
            ]
        );
    }

    #[test]
    fn a_delimiter_can_take_the_empty_line_of_a_header() {
        // The line end before a delimiter is the delimiter's: the first part keeps its
        // field, not the empty line after it.
        let raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nX-A: 1\r\n\r\n\
--b\r\n\r\ntwo\r\n--b--\r\n";
        assert_eq!(
            outline(raw),
            [
                (String::new(), 0, 45, 34, vec![]),
                ("1".into(), 50, 58, 0, vec![Defect::UnterminatedHeader]),
                ("2".into(), 65, 67, 3, vec![]),
            ]
        );
    }

    #[test]
    fn limits_turn_deep_nesting_into_leaves() {
        let mut msg = Vec::new();
        for _ in 0..5 {
            msg.extend_from_slice(b"Content-Type: message/rfc822\r\n\r\n");
        }
        msg.extend_from_slice(b"Subject: deep\r\n\r\nbody");
        let root = parse_message(&msg, Limits::default().with_max_depth(2), true);
        let inner = root.message().and_then(Part::message).expect("two levels");
        assert!(inner.message().is_none());
        assert_eq!(inner.defects(), &[Defect::NestingTooDeep { limit: 2 }]);
    }
}
