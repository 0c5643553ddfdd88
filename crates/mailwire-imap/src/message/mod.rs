//! A message model that answers FETCH and SEARCH from a raw RFC 5322 message.
//!
//! [`ParsedMessage`] wraps [`mailwire_mime::Message`] and computes what RFC 3501 §7.4.2
//! asks of a server: `ENVELOPE`, `BODY`, `BODYSTRUCTURE` with extension data,
//! `RFC822.SIZE`, and the bytes of `BODY[section]<partial>` for part numbers, `HEADER`,
//! `HEADER.FIELDS`, `HEADER.FIELDS.NOT`, `TEXT` and `MIME`. [`search`] evaluates SEARCH
//! keys over the same model.
//!
//! ```
//! use mailwire_imap::message::ParsedMessage;
//! use mailwire_imap::types::{Section, SectionText};
//!
//! let raw = b"Subject: hi\r\nFrom: a@x.test\r\n\r\nHello\r\n";
//! let msg = ParsedMessage::parse(raw);
//! assert_eq!(msg.size(), 38);
//! let text = Section::new(vec![], Some(SectionText::Text)).unwrap();
//! assert_eq!(msg.section(&text), Some(&b"Hello\r\n"[..]));
//! ```

pub mod search;
mod structure;

use mailwire_mime::{Limits, Message, Part};

/// How many levels of multiparts and enclosed messages are opened ([`ParsedMessage::limits`]).
const MAX_DEPTH: usize = 99;

use crate::codec::encode::Writer;

use crate::types::{
    BodyStructure, Envelope, FetchAttribute, IString, MessageDataItem, Partial, Section,
    SectionText,
};

/// A raw message parsed once, answering the message-derived FETCH items.
#[derive(Debug, Clone)]
pub struct ParsedMessage<'a> {
    message: Message<'a>,
    /// Whether leaves were decoded ([`ParsedMessage::parse_full`]).
    full: bool,
}

/// Where a part path leads: the message itself (or an enclosed one), or a body part.
#[derive(Clone, Copy)]
enum Entity<'m, 'a> {
    Message(&'m Part<'a>),
    Part(&'m Part<'a>),
}

impl<'a> ParsedMessage<'a> {
    /// Parses the structure of `raw`: headers and the MIME tree, which is all that FETCH
    /// needs, leaving bodies undecoded (see [`Message::parse_structure`]). Parsing never
    /// fails: damaged messages are answered as well as their structure allows.
    pub fn parse(raw: &'a [u8]) -> Self {
        Self {
            message: Message::parse_structure_with(raw, Self::limits()),
            full: false,
        }
    }

    /// The limits messages are parsed with: mailwire-mime's defaults, but multiparts and
    /// enclosed messages are opened 99 levels deep, so that parts exist at 100 levels
    /// (the top one included) as Dovecot 2.3 reads them, and the answers of the two
    /// servers agree. A multipart or message at the last level is written as
    /// `"application" "octet-stream"`, as Dovecot writes it.
    ///
    /// ```
    /// use mailwire_imap::message::ParsedMessage;
    /// assert_eq!(ParsedMessage::limits().max_depth, 99);
    /// ```
    pub fn limits() -> Limits {
        Limits::default().with_max_depth(MAX_DEPTH)
    }

    /// Parses `raw` fully, leaves transfer-decoded and text converted to UTF-8, as SEARCH
    /// `BODY` and `TEXT` need. Every FETCH answer is the same as after [`Self::parse`].
    pub fn parse_full(raw: &'a [u8]) -> Self {
        Self {
            message: Message::parse_with(raw, Self::limits()),
            full: true,
        }
    }

    /// Whether bodies were decoded ([`Self::parse_full`]) rather than the structure only.
    pub fn is_full(&self) -> bool {
        self.full
    }

    /// The MIME parse of the message (structure only unless made by [`Self::parse_full`]).
    pub fn mime(&self) -> &Message<'a> {
        &self.message
    }

    /// The message as stored.
    pub fn raw(&self) -> &'a [u8] {
        self.message.raw()
    }

    /// `RFC822.SIZE`: the message's length in octets.
    pub fn size(&self) -> u32 {
        u32::try_from(self.raw().len()).unwrap_or(u32::MAX)
    }

    /// `ENVELOPE`.
    pub fn envelope(&self) -> Envelope {
        structure::envelope(self.message.header())
    }

    /// `BODYSTRUCTURE` when `extended`, else `BODY`.
    pub fn body_structure(&self, extended: bool) -> BodyStructure {
        structure::body_structure(self.message.root(), extended)
    }

    /// Appends `ENVELOPE`'s value to `out` as a FETCH response carries it: the bytes the
    /// codec would encode [`Self::envelope`] to, written with no intermediate value.
    ///
    /// ```
    /// use mailwire_imap::message::ParsedMessage;
    ///
    /// let msg = ParsedMessage::parse(b"Subject: hi\r\nFrom: Ann <a@x.test>\r\n\r\nHello\r\n");
    /// let mut out = Vec::new();
    /// msg.write_envelope(&mut out);
    /// assert_eq!(
    ///     out,
    ///     b"(NIL \"hi\" ((\"Ann\" NIL \"a\" \"x.test\")) ((\"Ann\" NIL \"a\" \"x.test\")) \
    /// ((\"Ann\" NIL \"a\" \"x.test\")) NIL NIL NIL NIL NIL)"
    /// );
    /// ```
    pub fn write_envelope(&self, out: &mut Vec<u8>) {
        let mut w = Writer::with_buffer(std::mem::take(out));
        structure::write_envelope(&mut w, self.message.header());
        *out = w.out;
    }

    /// Appends `BODYSTRUCTURE`'s value (`extended`) or `BODY`'s to `out`: bytes that decode
    /// to [`Self::body_structure`]. Names keep the case the message writes them in, as
    /// Dovecot writes them, also the type of text parts, which the typed value does not
    /// keep (the codec writes `"TEXT"` and `"MESSAGE" "RFC822"`).
    ///
    /// RFC 3501 §7.4.2 describes the body type fields as the part's `Content-Type`, so a
    /// field that cannot be read is written as Dovecot writes it, not as the RFC 2045 §5.2
    /// default `text/plain` that mailwire-mime reads the part as
    /// ([`Part::content_type`](mailwire_mime::Part::content_type)): `"" ""` without
    /// parameters, or the type alone with an empty subtype (`"text" ""`, which as a text
    /// type gets the default charset and a line count).
    ///
    /// ```
    /// use mailwire_imap::message::ParsedMessage;
    ///
    /// let msg = ParsedMessage::parse(b"Content-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n");
    /// let mut out = Vec::new();
    /// msg.write_body_structure(false, &mut out);
    /// assert_eq!(out, b"(\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 7 1)");
    ///
    /// let msg = ParsedMessage::parse(b"Content-Type: text; charset=utf-8\r\n\r\nHello\r\n");
    /// let mut out = Vec::new();
    /// msg.write_body_structure(false, &mut out);
    /// assert_eq!(out, b"(\"\" \"\" NIL NIL NIL \"7bit\" 7)");
    /// ```
    pub fn write_body_structure(&self, extended: bool, out: &mut Vec<u8>) {
        let mut w = Writer::with_buffer(std::mem::take(out));
        structure::write_body_structure(&mut w, self.message.root(), extended);
        *out = w.out;
    }

    /// Follows a part path (RFC 3501 §6.4.5): a multipart's parts are numbered from 1; a
    /// non-multipart message has the single part 1; the parts of a `message/rfc822` part
    /// are those of the message it encloses.
    fn entity(&self, path: &[u32]) -> Option<Entity<'_, 'a>> {
        let mut at = Entity::Message(self.message.root());
        for &n in path {
            let index = usize::try_from(n).ok()?.checked_sub(1)?;
            at = loop {
                match at {
                    Entity::Message(m) if structure::is_multipart(m) => {
                        break Entity::Part(m.parts().get(index)?);
                    }
                    Entity::Message(m) => {
                        break if index == 0 {
                            Entity::Part(m)
                        } else {
                            return None;
                        };
                    }
                    Entity::Part(p) if structure::is_multipart(p) => {
                        break Entity::Part(p.parts().get(index)?);
                    }
                    Entity::Part(p) => at = Entity::Message(p.message()?),
                }
            };
        }
        Some(at)
    }

    /// The bytes of `BODY[section]`, or `None` when the message has no such part.
    pub fn section(&self, section: &Section) -> Option<&'a [u8]> {
        let at = self.entity(section.part())?;
        // HEADER, HEADER.FIELDS and TEXT address a message: the top-level one, or the one
        // a message/rfc822 part encloses.
        let message_of = |e: Entity<'_, 'a>| match e {
            Entity::Message(m) => Some(m.clone()),
            Entity::Part(p) => p.message().cloned(),
        };
        match section.text() {
            None => match at {
                Entity::Message(_) if section.part().is_empty() => Some(self.raw()),
                Entity::Message(m) | Entity::Part(m) => Some(m.raw_body()),
            },
            Some(SectionText::Header) => message_of(at).map(|m| m.header().raw()),
            Some(SectionText::Text) => message_of(at).map(|m| m.raw_body()),
            Some(SectionText::Mime) => match at {
                Entity::Message(m) | Entity::Part(m) => Some(m.header().raw()),
            },
            Some(SectionText::HeaderFields(_) | SectionText::HeaderFieldsNot(_)) => None,
        }
    }

    /// The bytes of `BODY[section]` as an owned buffer: header field selections are
    /// assembled here; other sections are copied.
    pub fn section_bytes(&self, section: &Section) -> Option<Vec<u8>> {
        let (names, keep) = match section.text() {
            Some(SectionText::HeaderFields(names)) => (names, true),
            Some(SectionText::HeaderFieldsNot(names)) => (names, false),
            _ => return self.section(section).map(<[u8]>::to_vec),
        };
        let at = self.entity(section.part())?;
        let message = match at {
            Entity::Message(m) => m,
            Entity::Part(p) => p.message()?,
        };
        Some(header_fields(message, names, keep))
    }

    /// Answers one message-derived FETCH attribute; `None` for attributes that come from
    /// the store rather than the message (`FLAGS`, `UID`, `INTERNALDATE`, `MODSEQ`) and
    /// for the BINARY extension.
    pub fn fetch(&self, attribute: &FetchAttribute) -> Option<MessageDataItem> {
        let nstring = |b: &[u8]| IString::new(b).ok();
        Some(match attribute {
            FetchAttribute::Envelope => MessageDataItem::Envelope(Box::new(self.envelope())),
            FetchAttribute::Body => MessageDataItem::Body(Box::new(self.body_structure(false))),
            FetchAttribute::BodyStructure => {
                MessageDataItem::BodyStructure(Box::new(self.body_structure(true)))
            }
            FetchAttribute::Rfc822 => MessageDataItem::Rfc822(nstring(self.raw())),
            FetchAttribute::Rfc822Header => {
                MessageDataItem::Rfc822Header(nstring(self.message.header().raw()))
            }
            FetchAttribute::Rfc822Text => {
                MessageDataItem::Rfc822Text(nstring(self.message.root().raw_body()))
            }
            FetchAttribute::Rfc822Size => MessageDataItem::Rfc822Size(self.size()),
            FetchAttribute::BodySection {
                section, partial, ..
            } => {
                let data = self
                    .section_bytes(section)
                    .map(|d| partial_range(&d, *partial).to_vec())
                    .unwrap_or_default();
                MessageDataItem::BodySection {
                    section: section.clone(),
                    origin: partial.map(|p| p.offset),
                    data: nstring(&data),
                }
            }
            _ => return None,
        })
    }
}

/// The `<offset.length>` range of `data` (RFC 3501 §6.4.5): empty when the offset is past
/// the end, cut short at the end.
pub fn partial_range(data: &[u8], partial: Option<Partial>) -> &[u8] {
    let Some(p) = partial else { return data };
    let start = usize::try_from(p.offset)
        .unwrap_or(usize::MAX)
        .min(data.len());
    let len = usize::try_from(p.length.get()).unwrap_or(usize::MAX);
    &data[start..start.saturating_add(len).min(data.len())]
}

/// The fields of `message`'s header whose names are (`keep`) or are not in `names`,
/// followed by the empty line, as RFC 3501 §6.4.5 asks for `HEADER.FIELDS`.
fn header_fields(message: &Part<'_>, names: &[IString], keep: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for field in message.header().fields() {
        let listed = names
            .iter()
            .any(|n| n.as_bytes().eq_ignore_ascii_case(field.name().as_bytes()));
        if listed == keep {
            out.extend_from_slice(field.raw());
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use super::*;
    use crate::types::NonEmpty;

    const NESTED: &[u8] = b"From: a@x.test\r\n\
Subject: nested\r\n\
Content-Type: multipart/mixed; boundary=outer\r\n\
\r\n\
--outer\r\n\
Content-Type: text/plain\r\n\
\r\n\
first\r\n\
--outer\r\n\
Content-Type: message/rfc822\r\n\
\r\n\
Subject: inner\r\n\
Content-Type: multipart/alternative; boundary=in\r\n\
\r\n\
--in\r\n\
Content-Type: text/plain\r\n\
\r\n\
plain\r\n\
--in\r\n\
Content-Type: text/html\r\n\
\r\n\
<p>html</p>\r\n\
--in--\r\n\
--outer--\r\n";

    fn section(part: &[u32], text: Option<SectionText>) -> Section {
        Section::new(part.to_vec(), text).unwrap()
    }

    #[test]
    fn part_paths_reach_enclosed_messages() {
        let msg = ParsedMessage::parse(NESTED);
        assert_eq!(msg.section(&section(&[1], None)), Some(&b"first"[..]));
        assert_eq!(msg.section(&section(&[2, 1], None)), Some(&b"plain"[..]));
        assert_eq!(
            msg.section(&section(&[2, 2], None)),
            Some(&b"<p>html</p>"[..])
        );
        assert_eq!(
            msg.section(&section(&[2, 2], Some(SectionText::Mime))),
            Some(&b"Content-Type: text/html\r\n\r\n"[..])
        );
        assert_eq!(
            msg.section(&section(&[2], Some(SectionText::Header))),
            Some(
                &b"Subject: inner\r\nContent-Type: multipart/alternative; boundary=in\r\n\r\n"[..]
            )
        );
        assert_eq!(msg.section(&section(&[3], None)), None);
        assert_eq!(msg.section(&section(&[1, 1], None)), None);
        assert_eq!(msg.section(&section(&[1], Some(SectionText::Header))), None);
        assert_eq!(msg.section(&Section::full()), Some(NESTED));
    }

    #[test]
    fn single_part_message_has_part_one() {
        let raw = b"Subject: x\r\n\r\nbody\r\n";
        let msg = ParsedMessage::parse(raw);
        assert_eq!(msg.section(&section(&[1], None)), Some(&b"body\r\n"[..]));
        assert_eq!(msg.section(&section(&[2], None)), None);
    }

    #[test]
    fn header_fields_keep_order_and_end_with_blank_line() {
        let msg = ParsedMessage::parse(NESTED);
        let names = NonEmpty::from([
            IString::new("subject").unwrap(),
            IString::new("FROM").unwrap(),
        ]);
        assert_eq!(
            msg.section_bytes(&section(
                &[],
                Some(SectionText::HeaderFields(names.clone()))
            )),
            Some(b"From: a@x.test\r\nSubject: nested\r\n\r\n".to_vec())
        );
        assert_eq!(
            msg.section_bytes(&section(&[], Some(SectionText::HeaderFieldsNot(names)))),
            Some(b"Content-Type: multipart/mixed; boundary=outer\r\n\r\n".to_vec())
        );
    }

    #[test]
    fn line_ends_before_delimiters_are_shared_as_dovecot_shares_them() {
        let raw = b"Content-Type: multipart/mixed; boundary=f\r\n\r\n--f\r\n\
Content-Type: message/rfc822\r\n\r\nSubject: in\r\n\
Content-Type: multipart/alternative; boundary=ii\r\n\r\n--ii\r\n\r\nx\r\n--ii--\r\n\
--f\r\nContent-Type: text/plain\r\nX-Last: no blank line\r\n\
--f\r\nContent-Type: message/rfc822\r\n\r\n--f--\r\n";
        let msg = ParsedMessage::parse(raw);
        let mut body = Vec::new();
        msg.write_body_structure(true, &mut body);
        // Dovecot 2.3 gives these bytes: the enclosed message keeps the line end after
        // its close delimiter (84 octets, 7 lines); a header cut short by a delimiter, and
        // an empty enclosed message, give theirs to the delimiter.
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 84 (NIL \"in\" NIL NIL NIL NIL NIL NIL NIL NIL) \
((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0 NIL NIL NIL NIL) \
\"alternative\" (\"boundary\" \"ii\") NIL NIL NIL) 7 NIL NIL NIL NIL)\
(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)\
(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 0 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) \
(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL) 0 \
NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"f\") NIL NIL NIL)"
        );
        assert!(
            msg.section(&section(&[1], None))
                .unwrap()
                .ends_with(b"--ii--\r\n")
        );
        assert_eq!(
            msg.section(&section(&[2], Some(SectionText::Mime))),
            Some(&b"Content-Type: text/plain\r\nX-Last: no blank line"[..])
        );
        assert_eq!(
            msg.section(&section(&[3], Some(SectionText::Mime))),
            Some(&b"Content-Type: message/rfc822\r\n"[..])
        );
    }

    #[test]
    fn lines_without_a_colon_stay_in_the_header() {
        let raw = b"From: a@x.test\r\nThis line has no colon\r\n folded onto it\r\n\
Subject: after junk\r\n\r\nbody\r\n";
        let msg = ParsedMessage::parse(raw);
        let subject = NonEmpty::from([IString::new("Subject").unwrap()]);
        // Dovecot 2.3 gives these bytes.
        assert_eq!(
            msg.section_bytes(&section(&[], Some(SectionText::HeaderFieldsNot(subject)))),
            Some(b"From: a@x.test\r\nThis line has no colon\r\n folded onto it\r\n\r\n".to_vec())
        );
        let mut envelope = Vec::new();
        msg.write_envelope(&mut envelope);
        assert_eq!(
            envelope,
            b"(NIL \"after junk\" ((NIL NIL \"a\" \"x.test\")) ((NIL NIL \"a\" \"x.test\")) \
((NIL NIL \"a\" \"x.test\")) NIL NIL NIL NIL NIL)"
        );
        assert_eq!(
            msg.mime().root().defects(),
            &[mailwire_mime::Defect::JunkHeaderLine { offset: 16 }]
        );
    }

    #[test]
    fn partial_ranges_clip() {
        let p = |offset, length| {
            Some(Partial {
                offset,
                length: NonZeroU32::new(length).unwrap(),
            })
        };
        assert_eq!(partial_range(b"abcdef", p(2, 3)), b"cde");
        assert_eq!(partial_range(b"abcdef", p(4, 10)), b"ef");
        assert_eq!(partial_range(b"abcdef", p(9, 1)), b"");
        assert_eq!(partial_range(b"abcdef", None), b"abcdef");
    }
}
