//! Building messages: headers folded and encoded, transfer encodings chosen from content.
//!
//! The builder reads no clock and draws no random numbers: `Date`, `Message-ID` and the
//! multipart boundary come from the caller, so the same input always gives the same bytes.

use crate::address::Mailbox;
use crate::date::DateTime;
use crate::encoded_word::{encode_words, looks_encoded};
use crate::transfer::{encode_base64, encode_quoted_printable};

/// Why a message could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A header name with a byte outside printable ASCII, or a colon.
    #[error("invalid header name {name:?}")]
    InvalidHeaderName {
        /// The name given.
        name: String,
    },
    /// A CR, LF or other control byte inside a header value (header injection).
    #[error("forbidden byte {byte:#04x} in {header} at offset {offset}")]
    ForbiddenByte {
        /// The header (or parameter) the value was for.
        header: String,
        /// Offset of the byte in the value.
        offset: usize,
        /// The byte.
        byte: u8,
    },
    /// An address that cannot be written (whitespace or brackets in the domain, empty).
    #[error("invalid address {address:?} in {header}")]
    InvalidAddress {
        /// The header the address was for.
        header: String,
        /// The address given.
        address: String,
    },
    /// A message identifier that is not `left@right` without spaces or brackets.
    #[error("invalid message id {id:?} in {header}")]
    InvalidMessageId {
        /// The header the identifier was for.
        header: String,
        /// The identifier given.
        id: String,
    },
    /// A media type that is not `token/token`.
    #[error("invalid content type {0:?}")]
    InvalidContentType(String),
    /// A boundary longer than 70 characters or with characters RFC 2046 forbids.
    #[error("invalid boundary {0:?}")]
    InvalidBoundary(String),
    /// A boundary that occurs in the content it delimits.
    #[error("boundary {0:?} occurs in the content")]
    BoundaryCollision(String),
}

/// The maximum line length of a folded header (RFC 5322 §2.1.1 recommends 78).
const FOLD_AT: usize = 78;

fn check_value(header: &str, value: &str) -> Result<(), BuildError> {
    match value
        .bytes()
        .enumerate()
        .find(|&(_, b)| (b < 32 && b != b'\t') || b == 127)
    {
        Some((offset, byte)) => Err(BuildError::ForbiddenByte {
            header: header.to_owned(),
            offset,
            byte,
        }),
        None => Ok(()),
    }
}

fn check_name(name: &str) -> Result<(), BuildError> {
    if name.is_empty() || !name.bytes().all(|b| (33..=126).contains(&b) && b != b':') {
        return Err(BuildError::InvalidHeaderName {
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// Writes `Name: tok tok tok`, folding before a token that would pass column 78.
fn write_folded(out: &mut Vec<u8>, name: &str, tokens: &[String]) {
    out.extend_from_slice(name.as_bytes());
    out.push(b':');
    let mut col = name.len() + 1;
    for (i, tok) in tokens.iter().enumerate() {
        if i > 0 && col + 1 + tok.len() > FOLD_AT {
            out.extend_from_slice(b"\r\n");
            col = 0;
        }
        out.push(b' ');
        out.extend_from_slice(tok.as_bytes());
        col += 1 + tok.len();
    }
    out.extend_from_slice(b"\r\n");
}

fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b)
}

/// Unstructured text as tokens: plain words as they are, runs of words that need it as
/// RFC 2047 encoded words.
fn unstructured_tokens(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut run: Vec<&str> = Vec::new();
    // Blank words after a run: they join it if another encoded word follows, because a
    // reader drops whitespace between encoded words.
    let mut blanks: Vec<&str> = Vec::new();
    let needs = |w: &str| {
        !w.is_ascii()
            || w.bytes().any(|b| b < 32 && b != b'\t')
            || looks_encoded(w)
            || w.len() > 900
    };
    for word in text.split(' ') {
        if needs(word) {
            run.append(&mut blanks);
            run.push(word);
        } else if !run.is_empty() && word.bytes().all(|b| b == b'\t') {
            blanks.push(word);
        } else {
            if !run.is_empty() {
                tokens.extend(encode_words(&run.join(" ")));
                run.clear();
            }
            tokens.extend(blanks.drain(..).map(str::to_owned));
            tokens.push(word.to_owned());
        }
    }
    if !run.is_empty() {
        tokens.extend(encode_words(&run.join(" ")));
    }
    tokens.extend(blanks.into_iter().map(str::to_owned));
    tokens
}

/// A display name as tokens: atoms, one quoted string, or encoded words.
fn phrase_tokens(name: &str) -> Vec<String> {
    if !name.is_ascii()
        || name.bytes().any(|b| b < 32 || b == 127)
        || looks_encoded(name)
        || name.len() > 900
    {
        return encode_words(name);
    }
    if name
        .split(' ')
        .all(|w| !w.is_empty() && w.bytes().all(is_atext))
    {
        return name.split(' ').map(str::to_owned).collect();
    }
    let mut q = String::from("\"");
    for c in name.chars() {
        if c == '"' || c == '\\' {
            q.push('\\');
        }
        q.push(c);
    }
    q.push('"');
    vec![q]
}

fn address_tokens(header: &str, list: &[Mailbox]) -> Result<Vec<String>, BuildError> {
    let mut tokens: Vec<String> = Vec::new();
    for (i, m) in list.iter().enumerate() {
        let addr = m.address();
        let bad_domain = m
            .domain
            .bytes()
            .any(|b| b <= b' ' || b"<>,;:\"()\\@".contains(&b));
        if m.local_part.is_empty() || m.domain.is_empty() || bad_domain {
            return Err(BuildError::InvalidAddress {
                header: header.to_owned(),
                address: addr,
            });
        }
        check_value(header, &addr)?;
        if let Some(n) = &m.name {
            check_value(header, n)?;
            tokens.extend(phrase_tokens(n));
            tokens.push(format!("<{addr}>"));
        } else {
            tokens.push(addr);
        }
        if i + 1 < list.len()
            && let Some(last) = tokens.last_mut()
        {
            last.push(',');
        }
    }
    Ok(tokens)
}

fn msg_id_token(header: &str, id: &str) -> Result<String, BuildError> {
    let bare = id
        .strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .unwrap_or(id);
    let ok = bare.contains('@')
        && bare
            .bytes()
            .all(|b| b > b' ' && b != 127 && !b"<>\"\\".contains(&b));
    if !ok {
        return Err(BuildError::InvalidMessageId {
            header: header.to_owned(),
            id: id.to_owned(),
        });
    }
    Ok(format!("<{bare}>"))
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b > b' ' && b < 127 && !b"()<>@,;:\\\"/[]?=".contains(&b))
}

fn is_attr_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b)
}

/// A parameter as tokens: `name=value`, `name="value"`, or RFC 2231 sections.
fn param_tokens(name: &str, value: &str, header: &str) -> Result<Vec<String>, BuildError> {
    check_value(header, value)?;
    if value.is_ascii() && !looks_encoded(value) && value.len() <= 900 {
        if is_token(value) {
            return Ok(vec![format!("{name}={value}")]);
        }
        let mut q = format!("{name}=\"");
        for c in value.chars() {
            if c == '"' || c == '\\' {
                q.push('\\');
            }
            q.push(c);
        }
        q.push('"');
        return Ok(vec![q]);
    }
    let mut encoded = Vec::new();
    for b in value.bytes() {
        if is_attr_char(b) {
            encoded.push(char::from(b).to_string());
        } else {
            encoded.push(format!("%{b:02X}"));
        }
    }
    let total: usize = encoded.iter().map(String::len).sum();
    if total + name.len() + 10 <= FOLD_AT - 2 {
        return Ok(vec![format!("{name}*=utf-8''{}", encoded.concat())]);
    }
    let mut sections = Vec::new();
    let mut current = String::from("utf-8''");
    for piece in encoded {
        if current.len() + piece.len() > 50 {
            sections.push(std::mem::take(&mut current));
        }
        current.push_str(&piece);
    }
    sections.push(current);
    let n = sections.len();
    Ok(sections
        .into_iter()
        .enumerate()
        .map(|(i, s)| format!("{name}*{i}*={s}{}", if i + 1 < n { ";" } else { "" }))
        .collect())
}

fn joined_with_semicolons(mut groups: Vec<Vec<String>>) -> Vec<String> {
    let n = groups.len();
    for (i, g) in groups.iter_mut().enumerate() {
        if i + 1 < n
            && let Some(last) = g.last_mut()
        {
            last.push(';');
        }
    }
    groups.concat()
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Body {
    Text(String),
    Binary(Vec<u8>),
    Multipart(Vec<BodyPart>),
    Message(Vec<u8>),
}

/// One part of a message being built.
///
/// ```
/// use mailwire_mime::BodyPart;
///
/// let logo = BodyPart::binary("image/png", vec![0x89, b'P', b'N', b'G']).inline("logo@x.test");
/// let report = BodyPart::binary("application/pdf", b"%PDF-1.4".to_vec()).attachment("r\u{e9}sum\u{e9}.pdf");
/// let body = BodyPart::multipart("mixed", vec![BodyPart::text("plain", "see attached"), logo, report]);
/// # let _ = body;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyPart {
    media_type: String,
    params: Vec<(String, String)>,
    disposition: Option<(String, Option<String>)>,
    content_id: Option<String>,
    description: Option<String>,
    headers: Vec<(String, String)>,
    body: Body,
}

impl BodyPart {
    fn new(media_type: String, body: Body) -> BodyPart {
        BodyPart {
            media_type,
            params: Vec::new(),
            disposition: None,
            content_id: None,
            description: None,
            headers: Vec::new(),
            body,
        }
    }

    /// A `text/<subtype>; charset=utf-8` part; line ends are written as CRLF.
    pub fn text(subtype: &str, text: impl Into<String>) -> BodyPart {
        let mut p = BodyPart::new(
            format!("text/{}", subtype.to_ascii_lowercase()),
            Body::Text(text.into()),
        );
        p.params.push(("charset".into(), "utf-8".into()));
        p
    }

    /// A part holding bytes as they are, of the given media type (`image/png`).
    pub fn binary(media_type: &str, data: Vec<u8>) -> BodyPart {
        BodyPart::new(media_type.to_ascii_lowercase(), Body::Binary(data))
    }

    /// A `multipart/<subtype>` of the given parts.
    pub fn multipart(subtype: &str, parts: Vec<BodyPart>) -> BodyPart {
        BodyPart::new(
            format!("multipart/{}", subtype.to_ascii_lowercase()),
            Body::Multipart(parts),
        )
    }

    /// A `message/rfc822` part enclosing a complete message.
    pub fn message(raw: Vec<u8>) -> BodyPart {
        BodyPart::new("message/rfc822".into(), Body::Message(raw))
    }

    /// Adds a `Content-Type` parameter.
    #[must_use]
    pub fn param(mut self, name: &str, value: &str) -> BodyPart {
        self.params
            .push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    /// Marks the part as an attachment with this file name (RFC 2231 if not ASCII).
    #[must_use]
    pub fn attachment(mut self, filename: &str) -> BodyPart {
        self.disposition = Some(("attachment".into(), Some(filename.to_owned())));
        self
    }

    /// Marks the part inline with this `Content-ID` (brackets added).
    #[must_use]
    pub fn inline(mut self, content_id: &str) -> BodyPart {
        self.disposition = Some(("inline".into(), None));
        self.content_id = Some(content_id.to_owned());
        self
    }

    /// Sets `Content-Description`.
    #[must_use]
    pub fn description(mut self, text: &str) -> BodyPart {
        self.description = Some(text.to_owned());
        self
    }

    /// Adds a header field with unstructured text as its value.
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> BodyPart {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

fn lines_fit(data: &[u8]) -> bool {
    data.split(|&b| b == b'\n').all(|l| l.len() <= 998)
}

/// Only CRLF line ends, no NUL, no bare CR.
fn clean_lines(data: &[u8]) -> bool {
    let mut prev = 0u8;
    for (i, &b) in data.iter().enumerate() {
        match b {
            0 => return false,
            b'\n' if prev != b'\r' => return false,
            b'\r' if data.get(i + 1) != Some(&b'\n') => return false,
            _ => {}
        }
        prev = b;
    }
    true
}

fn to_crlf(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 32);
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' && (i == 0 || bytes[i - 1] != b'\r') {
            out.push(b'\r');
        }
        if b == b'\r' && bytes.get(i + 1) != Some(&b'\n') {
            out.extend_from_slice(b"\r\n");
            continue;
        }
        out.push(b);
    }
    out
}

struct Writer<'b> {
    boundary: &'b str,
    counter: usize,
}

impl Writer<'_> {
    fn write_part(&mut self, part: &BodyPart, out: &mut Vec<u8>) -> Result<(), BuildError> {
        let (main, sub) = part.media_type.split_once('/').unwrap_or(("", ""));
        if !is_token(main) || !is_token(sub) {
            return Err(BuildError::InvalidContentType(part.media_type.clone()));
        }
        let mut params = part.params.clone();
        let mut body = Vec::new();
        let encoding = match &part.body {
            Body::Text(t) => {
                let data = to_crlf(t);
                encode_content(&data, true, &mut body)
            }
            Body::Binary(b) => encode_content(b, false, &mut body),
            Body::Message(m) => {
                body.extend_from_slice(m);
                if m.is_ascii() { "7bit" } else { "8bit" }
            }
            Body::Multipart(parts) => {
                let boundary = format!("{}-{}", self.boundary, self.counter);
                self.counter += 1;
                let mut inner = Vec::new();
                for p in parts {
                    let mut child = Vec::new();
                    self.write_part(p, &mut child)?;
                    if memchr::memmem::find(&child, format!("--{boundary}").as_bytes()).is_some() {
                        return Err(BuildError::BoundaryCollision(boundary));
                    }
                    inner.extend_from_slice(b"--");
                    inner.extend_from_slice(boundary.as_bytes());
                    inner.extend_from_slice(b"\r\n");
                    inner.extend_from_slice(&child);
                    inner.extend_from_slice(b"\r\n");
                }
                inner.extend_from_slice(b"--");
                inner.extend_from_slice(boundary.as_bytes());
                inner.extend_from_slice(b"--\r\n");
                body = inner;
                params.push(("boundary".into(), boundary));
                "7bit"
            }
        };
        let mut groups = vec![vec![part.media_type.clone()]];
        for (n, v) in &params {
            groups.push(param_tokens(n, v, "Content-Type")?);
        }
        write_folded(out, "Content-Type", &joined_with_semicolons(groups));
        if encoding != "7bit" {
            write_folded(out, "Content-Transfer-Encoding", &[encoding.to_owned()]);
        }
        if let Some((kind, filename)) = &part.disposition {
            let mut groups = vec![vec![kind.clone()]];
            if let Some(f) = filename {
                groups.push(param_tokens("filename", f, "Content-Disposition")?);
            }
            write_folded(out, "Content-Disposition", &joined_with_semicolons(groups));
        }
        if let Some(id) = &part.content_id {
            write_folded(out, "Content-ID", &[msg_id_token("Content-ID", id)?]);
        }
        if let Some(d) = &part.description {
            check_value("Content-Description", d)?;
            write_folded(out, "Content-Description", &unstructured_tokens(d));
        }
        for (n, v) in &part.headers {
            check_name(n)?;
            check_value(n, v)?;
            write_folded(out, n, &unstructured_tokens(v));
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&body);
        Ok(())
    }
}

/// Encodes a leaf's content; returns the encoding's name.
fn encode_content(data: &[u8], text: bool, out: &mut Vec<u8>) -> &'static str {
    let printable = |b: &u8| (32..127).contains(b) || matches!(b, b'\t' | b'\r' | b'\n');
    if data.is_ascii()
        && (text || data.iter().all(printable))
        && lines_fit(data)
        && clean_lines(data)
    {
        out.extend_from_slice(data);
        return "7bit";
    }
    let non_ascii = data.iter().filter(|&&b| b >= 128 || b == 0).count();
    if text && non_ascii * 4 <= data.len() {
        encode_quoted_printable(data, out);
        return "quoted-printable";
    }
    encode_base64(data, out);
    "base64"
}

/// Builds a message.
///
/// Set the parts with [`MessageBuilder::text`], [`MessageBuilder::html`],
/// [`MessageBuilder::attachment`] and [`MessageBuilder::inline`] (arranged as
/// `multipart/mixed` › `multipart/related` › `multipart/alternative` as needed), or give
/// a whole tree with [`MessageBuilder::body`].
///
/// ```
/// use mailwire_mime::{DateTime, Mailbox, MessageBuilder};
///
/// let raw = MessageBuilder::new()
///     .from(Mailbox::new(Some("Ann"), "ann@x.test"))
///     .to(Mailbox::new(None, "bob@y.test"))
///     .subject("hello")
///     .date(DateTime::from_timestamp(0, 0))
///     .message_id("1@x.test")
///     .text("hi Bob\n")
///     .build()
///     .expect("valid message");
/// assert_eq!(
///     raw,
///     b"Date: Thu, 1 Jan 1970 00:00:00 +0000\r\nFrom: Ann <ann@x.test>\r\nTo: bob@y.test\r\n\
/// Subject: hello\r\nMessage-ID: <1@x.test>\r\nMIME-Version: 1.0\r\n\
/// Content-Type: text/plain; charset=utf-8\r\n\r\nhi Bob\r\n"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageBuilder {
    date: Option<DateTime>,
    from: Vec<Mailbox>,
    sender: Option<Mailbox>,
    reply_to: Vec<Mailbox>,
    to: Vec<Mailbox>,
    cc: Vec<Mailbox>,
    bcc: Vec<Mailbox>,
    subject: Option<String>,
    message_id: Option<String>,
    in_reply_to: Vec<String>,
    references: Vec<String>,
    headers: Vec<(String, String)>,
    text: Option<String>,
    html: Option<String>,
    inline: Vec<BodyPart>,
    attachments: Vec<BodyPart>,
    body: Option<BodyPart>,
    boundary: String,
}

impl Default for MessageBuilder {
    fn default() -> Self {
        MessageBuilder::new()
    }
}

impl MessageBuilder {
    /// An empty builder; the boundary prefix defaults to `=_mailwire`.
    pub fn new() -> MessageBuilder {
        MessageBuilder {
            date: None,
            from: Vec::new(),
            sender: None,
            reply_to: Vec::new(),
            to: Vec::new(),
            cc: Vec::new(),
            bcc: Vec::new(),
            subject: None,
            message_id: None,
            in_reply_to: Vec::new(),
            references: Vec::new(),
            headers: Vec::new(),
            text: None,
            html: None,
            inline: Vec::new(),
            attachments: Vec::new(),
            body: None,
            boundary: "=_mailwire".into(),
        }
    }

    /// Sets `Date`.
    #[must_use]
    pub fn date(mut self, date: DateTime) -> Self {
        self.date = Some(date);
        self
    }

    /// Adds a `From` mailbox.
    #[must_use]
    pub fn from(mut self, m: Mailbox) -> Self {
        self.from.push(m);
        self
    }

    /// Sets `Sender`.
    #[must_use]
    pub fn sender(mut self, m: Mailbox) -> Self {
        self.sender = Some(m);
        self
    }

    /// Adds a `Reply-To` mailbox.
    #[must_use]
    pub fn reply_to(mut self, m: Mailbox) -> Self {
        self.reply_to.push(m);
        self
    }

    /// Adds a `To` mailbox.
    #[must_use]
    pub fn to(mut self, m: Mailbox) -> Self {
        self.to.push(m);
        self
    }

    /// Adds a `Cc` mailbox.
    #[must_use]
    pub fn cc(mut self, m: Mailbox) -> Self {
        self.cc.push(m);
        self
    }

    /// Adds a `Bcc` mailbox.
    #[must_use]
    pub fn bcc(mut self, m: Mailbox) -> Self {
        self.bcc.push(m);
        self
    }

    /// Sets `Subject`.
    #[must_use]
    pub fn subject(mut self, s: &str) -> Self {
        self.subject = Some(s.to_owned());
        self
    }

    /// Sets `Message-ID` (`left@right`, brackets optional).
    #[must_use]
    pub fn message_id(mut self, id: &str) -> Self {
        self.message_id = Some(id.to_owned());
        self
    }

    /// Adds an `In-Reply-To` identifier.
    #[must_use]
    pub fn in_reply_to(mut self, id: &str) -> Self {
        self.in_reply_to.push(id.to_owned());
        self
    }

    /// Adds a `References` identifier.
    #[must_use]
    pub fn reference(mut self, id: &str) -> Self {
        self.references.push(id.to_owned());
        self
    }

    /// Adds a header field whose value is unstructured text (encoded words if needed).
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the plain-text body.
    #[must_use]
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }

    /// Sets the HTML body.
    #[must_use]
    pub fn html(mut self, html: impl Into<String>) -> Self {
        self.html = Some(html.into());
        self
    }

    /// Adds an attachment.
    #[must_use]
    pub fn attachment(mut self, media_type: &str, filename: &str, data: Vec<u8>) -> Self {
        self.attachments
            .push(BodyPart::binary(media_type, data).attachment(filename));
        self
    }

    /// Adds an inline part with a `Content-ID` (an image the HTML refers to as `cid:`).
    #[must_use]
    pub fn inline(mut self, media_type: &str, content_id: &str, data: Vec<u8>) -> Self {
        self.inline
            .push(BodyPart::binary(media_type, data).inline(content_id));
        self
    }

    /// Sets the whole body tree, replacing text, HTML, inline parts and attachments.
    #[must_use]
    pub fn body(mut self, part: BodyPart) -> Self {
        self.body = Some(part);
        self
    }

    /// Sets the boundary prefix; multiparts get `<prefix>-0`, `<prefix>-1` … Use a
    /// caller-generated random value to make collisions with content unlikely; a
    /// collision is reported as [`BuildError::BoundaryCollision`].
    #[must_use]
    pub fn boundary(mut self, prefix: &str) -> Self {
        prefix.clone_into(&mut self.boundary);
        self
    }

    fn tree(&self) -> BodyPart {
        if let Some(b) = &self.body {
            return b.clone();
        }
        let text = self
            .text
            .as_ref()
            .map(|t| BodyPart::text("plain", t.clone()));
        let html = self
            .html
            .as_ref()
            .map(|h| BodyPart::text("html", h.clone()));
        let mut main = match (text, html) {
            (Some(t), Some(h)) => BodyPart::multipart("alternative", vec![t, h]),
            (Some(t), None) => t,
            (None, Some(h)) => h,
            (None, None) => BodyPart::text("plain", ""),
        };
        if !self.inline.is_empty() {
            let mut parts = vec![main];
            parts.extend(self.inline.iter().cloned());
            main = BodyPart::multipart("related", parts);
        }
        if !self.attachments.is_empty() {
            let mut parts = vec![main];
            parts.extend(self.attachments.iter().cloned());
            main = BodyPart::multipart("mixed", parts);
        }
        main
    }

    /// Writes the message.
    pub fn build(&self) -> Result<Vec<u8>, BuildError> {
        let b = &self.boundary;
        if b.is_empty()
            || b.len() > 60
            || !b
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"'()+_,-./:=?".contains(&c))
        {
            return Err(BuildError::InvalidBoundary(b.clone()));
        }
        let mut out = Vec::new();
        if let Some(d) = &self.date {
            write_folded(
                &mut out,
                "Date",
                &d.to_rfc5322()
                    .split(' ')
                    .map(str::to_owned)
                    .collect::<Vec<_>>(),
            );
        }
        let lists: [(&str, &[Mailbox]); 3] = [
            ("From", &self.from),
            ("Sender", self.sender.as_slice()),
            ("Reply-To", &self.reply_to),
        ];
        for (name, list) in lists {
            if !list.is_empty() {
                write_folded(&mut out, name, &address_tokens(name, list)?);
            }
        }
        let lists: [(&str, &[Mailbox]); 3] =
            [("To", &self.to), ("Cc", &self.cc), ("Bcc", &self.bcc)];
        for (name, list) in lists {
            if !list.is_empty() {
                write_folded(&mut out, name, &address_tokens(name, list)?);
            }
        }
        if let Some(s) = &self.subject {
            check_value("Subject", s)?;
            write_folded(&mut out, "Subject", &unstructured_tokens(s));
        }
        if let Some(id) = &self.message_id {
            write_folded(&mut out, "Message-ID", &[msg_id_token("Message-ID", id)?]);
        }
        for (name, ids) in [
            ("In-Reply-To", &self.in_reply_to),
            ("References", &self.references),
        ] {
            if !ids.is_empty() {
                let tokens = ids
                    .iter()
                    .map(|i| msg_id_token(name, i))
                    .collect::<Result<Vec<_>, _>>()?;
                write_folded(&mut out, name, &tokens);
            }
        }
        for (n, v) in &self.headers {
            check_name(n)?;
            check_value(n, v)?;
            write_folded(&mut out, n, &unstructured_tokens(v));
        }
        write_folded(&mut out, "MIME-Version", &["1.0".to_owned()]);
        let mut w = Writer {
            boundary: b,
            counter: 0,
        };
        w.write_part(&self.tree(), &mut out)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Message;

    #[test]
    fn folds_long_subjects_at_78_columns() {
        let subject = "word ".repeat(40);
        let raw = MessageBuilder::new()
            .subject(subject.trim_end())
            .build()
            .expect("builds");
        let head = &raw[..memchr::memmem::find(&raw, b"\r\n\r\n").expect("separator")];
        assert!(
            head.split(|&b| b == b'\n').all(|l| l.len() <= 79),
            "{}",
            String::from_utf8_lossy(head)
        );
        assert_eq!(
            Message::parse(&raw).subject().as_deref(),
            Some(subject.trim_end())
        );
    }

    #[test]
    fn spaces_between_encoded_runs_survive() {
        for subject in [
            "\u{a1}  \u{a1}",
            "\u{a1} \t \u{a1}",
            "\u{a1}  x",
            "x \t \u{a1}",
        ] {
            let raw = MessageBuilder::new()
                .subject(subject)
                .build()
                .expect("builds");
            assert_eq!(Message::parse(&raw).subject().as_deref(), Some(subject));
        }
    }

    #[test]
    fn rejects_header_injection() {
        assert_eq!(
            MessageBuilder::new().subject("hi\r\nBcc: x@y").build(),
            Err(BuildError::ForbiddenByte {
                header: "Subject".into(),
                offset: 2,
                byte: b'\r'
            })
        );
        assert_eq!(
            MessageBuilder::new().header("X-A", "a\nb").build(),
            Err(BuildError::ForbiddenByte {
                header: "X-A".into(),
                offset: 1,
                byte: b'\n'
            })
        );
        assert_eq!(
            MessageBuilder::new().header("X A", "v").build(),
            Err(BuildError::InvalidHeaderName { name: "X A".into() })
        );
        assert_eq!(
            MessageBuilder::new()
                .to(Mailbox::new(None, "a@b>c"))
                .build(),
            Err(BuildError::InvalidAddress {
                header: "To".into(),
                address: "a@b>c".into()
            })
        );
        assert_eq!(
            MessageBuilder::new().message_id("no at sign").build(),
            Err(BuildError::InvalidMessageId {
                header: "Message-ID".into(),
                id: "no at sign".into()
            })
        );
    }

    #[test]
    fn non_ascii_names_are_encoded_words_not_quoted() {
        let raw = MessageBuilder::new()
            .from(Mailbox::new(Some("Andr\u{e9}, \"P\""), "a@x.test"))
            .build()
            .expect("builds");
        let text = String::from_utf8(raw.clone()).expect("ascii");
        assert!(text.starts_with("From: =?UTF-8?"), "{text}");
        assert!(!text.contains('"'));
        let msg = Message::parse(&raw);
        assert_eq!(
            msg.from_mailboxes()[0].name.as_deref(),
            Some("Andr\u{e9}, \"P\"")
        );
    }

    #[test]
    fn quoted_ascii_names_and_rfc2231_filenames() {
        let raw = MessageBuilder::new()
            .from(Mailbox::new(Some("Doe, John"), "j@x.test"))
            .attachment(
                "application/octet-stream",
                &"\u{fc}ber-lange-datei-".repeat(4),
                vec![1, 2, 3],
            )
            .build()
            .expect("builds");
        let text = String::from_utf8(raw.clone()).expect("ascii");
        assert!(text.contains("From: \"Doe, John\" <j@x.test>\r\n"));
        assert!(
            text.contains(" filename*0*=utf-8''%C3%BCber-lange-datei-"),
            "{text}"
        );
        assert!(text.lines().all(|l| l.len() <= 78), "{text}");
        let msg = Message::parse(&raw);
        let att = msg.attachments();
        assert_eq!(att.len(), 1);
        assert_eq!(att[0].filename(), Some("\u{fc}ber-lange-datei-".repeat(4)));
        assert_eq!(att[0].decoded(), &[1, 2, 3]);
        assert_eq!(att[0].transfer_encoding().as_str(), "base64");
    }

    #[test]
    fn values_that_would_read_as_encoded_words_are_protected() {
        let long = "x, ".repeat(400);
        let raw = MessageBuilder::new()
            .from(Mailbox::new(Some(&long), "a@x.test"))
            .attachment("text/plain", "=?utf-8?q?a?=", b"x".to_vec())
            .build()
            .expect("builds");
        assert!(raw.split(|&b| b == b'\n').all(|l| l.len() <= 999));
        let msg = Message::parse(&raw);
        assert_eq!(
            msg.from_mailboxes()[0].name.as_deref(),
            Some(long.trim_end())
        );
        assert_eq!(
            msg.attachments()[0].filename().as_deref(),
            Some("=?utf-8?q?a?=")
        );
    }

    #[test]
    fn chooses_transfer_encodings() {
        let long_line = "x".repeat(1200);
        let cases: [(&str, &str); 4] = [
            ("plain ascii\n", "7bit"),
            ("caf\u{e9} au lait", "quoted-printable"),
            ("\u{65e5}\u{672c}\u{8a9e}", "base64"),
            (&long_line, "quoted-printable"),
        ];
        for (text, want) in cases {
            let raw = MessageBuilder::new().text(text).build().expect("builds");
            let msg = Message::parse(&raw);
            assert_eq!(msg.root().transfer_encoding().as_str(), want, "{text}");
            assert_eq!(
                msg.text_body().as_deref(),
                Some(text.replace('\n', "\r\n").as_str())
            );
            assert!(raw.split(|&b| b == b'\n').all(|l| l.len() <= 999));
        }
    }

    #[test]
    fn boundary_collisions_are_errors() {
        let raw = MessageBuilder::new()
            .boundary("b")
            .text("--b-0 inside")
            .html("<p>x</p>")
            .build();
        assert_eq!(raw, Err(BuildError::BoundaryCollision("b-0".into())));
        assert_eq!(
            MessageBuilder::new().boundary("bad boundary").build(),
            Err(BuildError::InvalidBoundary("bad boundary".into()))
        );
    }
}
