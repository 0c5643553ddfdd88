//! Parts of a message being built, and the transfer encoding chosen for each.

use crate::builder::BuildError;
use crate::folding::{
    check_name, check_value, is_token, joined_with_semicolons, msg_id_token, param_tokens,
    unstructured_tokens, write_folded,
};
use crate::transfer::{encode_base64, encode_quoted_printable};

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

pub(crate) fn lines_fit(data: &[u8]) -> bool {
    data.split(|&b| b == b'\n').all(|l| l.len() <= 998)
}

/// Only CRLF line ends, no NUL, no bare CR.
pub(crate) fn clean_lines(data: &[u8]) -> bool {
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

pub(crate) fn to_crlf(text: &str) -> Vec<u8> {
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

pub(crate) struct Writer<'b> {
    pub(crate) boundary: &'b str,
    pub(crate) counter: usize,
}

impl Writer<'_> {
    pub(crate) fn write_part(
        &mut self,
        part: &BodyPart,
        out: &mut Vec<u8>,
    ) -> Result<(), BuildError> {
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
pub(crate) fn encode_content(data: &[u8], text: bool, out: &mut Vec<u8>) -> &'static str {
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
