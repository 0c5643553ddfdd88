//! Building messages: headers folded and encoded, transfer encodings chosen from content.
//!
//! The builder reads no clock and draws no random numbers: `Date`, `Message-ID` and the
//! multipart boundary come from the caller, so the same input always gives the same bytes.

use crate::address::Mailbox;
use crate::body_part::{BodyPart, Writer};
use crate::date::DateTime;
use crate::folding::{
    address_tokens, check_name, check_value, msg_id_token, unstructured_tokens, write_folded,
};

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
    fn surrounding_whitespace_is_trimmed_even_when_encoded() {
        let raw = MessageBuilder::new()
            .subject("\t\u{5d2}\t)zSS\t")
            .build()
            .expect("builds");
        assert_eq!(
            Message::parse(&raw).subject().as_deref(),
            Some("\u{5d2}\t)zSS")
        );
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
    fn long_parameters_are_folded_in_sections() {
        let name = format!("{}.txt", "a-rather-long-report-name ".repeat(5).trim_end());
        let raw = MessageBuilder::new()
            .attachment("text/plain", &name, b"x".to_vec())
            .build()
            .expect("builds");
        let text = String::from_utf8(raw.clone()).expect("ascii");
        assert!(text.lines().all(|l| l.len() <= 78), "{text}");
        assert!(
            text.contains("filename*0*=utf-8''a-rather-long-report-name%20"),
            "{text}"
        );
        assert_eq!(Message::parse(&raw).attachments()[0].filename(), Some(name));
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
