//! A parsed message and the accessors readers expect.

use std::borrow::Cow;

use crate::address::{Address, mailboxes};
use crate::date::DateTime;
use crate::defect::Defect;
use crate::header::Header;
use crate::html::html_to_text;
use crate::limits::Limits;
use crate::part::{Part, PartKind, parse_message};
use crate::part_number::PartNumber;
use crate::transfer::UuFile;

/// A parsed message, borrowing from its input.
///
/// Parsing never fails: damage is recorded as [`Defect`]s on the parts where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message<'a> {
    raw: &'a [u8],
    root: Part<'a>,
}

/// The fields IMAP's `ENVELOPE` carries (RFC 3501 §7.4.2), read from one header.
///
/// Fields are as written: an absent `Sender` or `Reply-To` is empty here, and a server
/// applies the RFC 3501 rule (use `From`) itself.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Envelope {
    /// `Date`.
    pub date: Option<DateTime>,
    /// The `Date` field's raw value, unfolded, for servers that echo it as written.
    pub date_raw: Option<String>,
    /// `Subject`, decoded.
    pub subject: Option<String>,
    /// `From`.
    pub from: Vec<Address>,
    /// `Sender`.
    pub sender: Vec<Address>,
    /// `Reply-To`.
    pub reply_to: Vec<Address>,
    /// `To`.
    pub to: Vec<Address>,
    /// `Cc`.
    pub cc: Vec<Address>,
    /// `Bcc`.
    pub bcc: Vec<Address>,
    /// `In-Reply-To` identifiers, without brackets.
    pub in_reply_to: Vec<String>,
    /// `Message-ID`, without brackets.
    pub message_id: Option<String>,
}

impl Envelope {
    /// Reads the envelope fields of a header.
    pub fn from_header(h: &Header<'_>) -> Envelope {
        Envelope {
            date: h.date(),
            date_raw: h
                .get("Date")
                .map(|f| String::from_utf8_lossy(&f.unfolded()).into_owned()),
            subject: h.subject(),
            from: h.addresses("From"),
            sender: h.addresses("Sender"),
            reply_to: h.addresses("Reply-To"),
            to: h.addresses("To"),
            cc: h.addresses("Cc"),
            bcc: h.addresses("Bcc"),
            in_reply_to: h.in_reply_to(),
            message_id: h.message_id(),
        }
    }
}

/// Depth-first, pre-order walk over a part tree, enclosed messages included.
#[derive(Debug, Clone)]
pub struct Parts<'m, 'a> {
    stack: Vec<&'m Part<'a>>,
}

impl<'m, 'a> Iterator for Parts<'m, 'a> {
    type Item = &'m Part<'a>;

    fn next(&mut self) -> Option<&'m Part<'a>> {
        let p = self.stack.pop()?;
        match p.kind() {
            PartKind::Multipart { parts, .. } => self.stack.extend(parts.iter().rev()),
            PartKind::Message(m) => self.stack.push(m),
            _ => {}
        }
        Some(p)
    }
}

fn find_body<'m, 'a>(part: &'m Part<'a>, html: bool) -> Option<&'m Part<'a>> {
    match part.kind() {
        PartKind::Multipart { parts, .. } => {
            let alternative = part.content_type().subtype() == "alternative";
            if alternative {
                // The last alternative is the preferred one (RFC 2046 §5.1.4), but a reader
                // wanting plain text takes plain text wherever it is.
                parts.iter().rev().find_map(|p| find_body(p, html))
            } else {
                parts.iter().find_map(|p| find_body(p, html))
            }
        }
        // An empty part (no header, a blank body: what a delimiter left at the end makes)
        // is no body to show.
        PartKind::Leaf
            if part.header().fields().is_empty()
                && part.raw_body().iter().all(u8::is_ascii_whitespace) =>
        {
            None
        }
        PartKind::Leaf if !part.is_attachment() => {
            let ct = part.content_type();
            let wanted = if html {
                ct.is("text", "html")
            } else {
                ct.is("text", "plain")
            };
            wanted.then_some(part)
        }
        _ => None,
    }
}

impl<'a> Message<'a> {
    /// Parses with the default [`Limits`].
    pub fn parse(input: &'a [u8]) -> Message<'a> {
        Message::parse_with(input, Limits::default())
    }

    /// Parses with the given limits.
    pub fn parse_with(input: &'a [u8], limits: Limits) -> Message<'a> {
        Message {
            raw: input,
            root: parse_message(input, limits, true),
        }
    }

    /// Parses the structure only, with the default [`Limits`]: headers and the MIME tree
    /// with offsets, sizes, line counts and parameters, as [`Message::parse`] finds them,
    /// but no leaf is transfer-decoded or converted from its charset.
    ///
    /// [`Part::decoded`] and [`Part::uuencoded`] are empty and [`Part::text`] is `None`
    /// on every part, and damage inside leaf bodies (bad base64, unknown charsets) is not
    /// reported; everything else (headers, structure, offsets, the other defects) is the
    /// same as after a full parse. This is what an IMAP server needs for `ENVELOPE`,
    /// `BODYSTRUCTURE` and `BODY[section]`, at a fraction of the cost.
    ///
    /// ```
    /// use mailwire_mime::Message;
    ///
    /// let raw = b"Subject: hi\r\nContent-Transfer-Encoding: base64\r\n\r\naGk=\r\n";
    /// let full = Message::parse(raw);
    /// let structure = Message::parse_structure(raw);
    /// assert_eq!(full.root().decoded(), b"hi");
    /// assert_eq!(structure.root().decoded(), b"");
    /// assert_eq!(structure.root().raw_body(), b"aGk=\r\n");
    /// assert_eq!(structure.header(), full.header());
    /// ```
    pub fn parse_structure(input: &'a [u8]) -> Message<'a> {
        Message::parse_structure_with(input, Limits::default())
    }

    /// Parses the structure only (see [`Message::parse_structure`]) with the given limits.
    pub fn parse_structure_with(input: &'a [u8], limits: Limits) -> Message<'a> {
        Message {
            raw: input,
            root: parse_message(input, limits, false),
        }
    }

    /// The input.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// The top-level entity: the message header and its body.
    pub fn root(&self) -> &Part<'a> {
        &self.root
    }

    /// The message header.
    pub fn header(&self) -> &Header<'a> {
        self.root.header()
    }

    /// The envelope fields of the message header.
    pub fn envelope(&self) -> Envelope {
        Envelope::from_header(self.header())
    }

    /// `Subject`, decoded.
    pub fn subject(&self) -> Option<String> {
        self.header().subject()
    }

    /// `From`.
    pub fn from(&self) -> Vec<Address> {
        self.header().addresses("From")
    }

    /// `Sender`.
    pub fn sender(&self) -> Vec<Address> {
        self.header().addresses("Sender")
    }

    /// `To`.
    pub fn to(&self) -> Vec<Address> {
        self.header().addresses("To")
    }

    /// `Cc`.
    pub fn cc(&self) -> Vec<Address> {
        self.header().addresses("Cc")
    }

    /// `Bcc`.
    pub fn bcc(&self) -> Vec<Address> {
        self.header().addresses("Bcc")
    }

    /// `Reply-To`.
    pub fn reply_to(&self) -> Vec<Address> {
        self.header().addresses("Reply-To")
    }

    /// `Date`.
    pub fn date(&self) -> Option<DateTime> {
        self.header().date()
    }

    /// `Message-ID`, without brackets.
    pub fn message_id(&self) -> Option<String> {
        self.header().message_id()
    }

    /// `In-Reply-To`, without brackets.
    pub fn in_reply_to(&self) -> Vec<String> {
        self.header().in_reply_to()
    }

    /// `References`, without brackets.
    pub fn references(&self) -> Vec<String> {
        self.header().references()
    }

    /// Every part, depth-first, the root first, enclosed messages' parts included.
    pub fn parts(&self) -> Parts<'_, 'a> {
        // Room for the parts a walk of a common message holds at once, so that it seldom
        // regrows.
        let mut stack = Vec::with_capacity(8);
        stack.push(&self.root);
        Parts { stack }
    }

    /// The leaves (neither multipart nor enclosed message), in order.
    pub fn leaves(&self) -> impl Iterator<Item = &Part<'a>> {
        self.parts().filter(|p| matches!(p.kind(), PartKind::Leaf))
    }

    /// The part with this IMAP number (`"1.2"`); a `message/rfc822` part is found before
    /// the multipart it encloses, which shares its number.
    pub fn part(&self, number: &str) -> Option<&Part<'a>> {
        let n = PartNumber::parse(number)?;
        self.parts().find(|p| *p.number() == n)
    }

    /// The `text/plain` body part that is not an attachment, if there is one.
    pub fn text_part(&self) -> Option<&Part<'a>> {
        find_body(&self.root, false)
    }

    /// The `text/html` body part that is not an attachment, if there is one.
    pub fn html_part(&self) -> Option<&Part<'a>> {
        find_body(&self.root, true)
    }

    /// The message text: the plain-text body, else the HTML body reduced to text.
    pub fn text_body(&self) -> Option<Cow<'_, str>> {
        if let Some(t) = self.text_part().and_then(Part::text) {
            return Some(Cow::Borrowed(t));
        }
        self.html_body().map(|h| Cow::Owned(html_to_text(h)))
    }

    /// The HTML body, if there is one.
    pub fn html_body(&self) -> Option<&str> {
        self.html_part().and_then(Part::text)
    }

    /// Attachments (see [`Part::is_attachment`]); an attached message counts once, its
    /// own parts are not listed. Files uuencoded inside a text body are attachments too,
    /// of another shape: see [`Message::uuencoded`].
    pub fn attachments(&self) -> Vec<&Part<'a>> {
        let mut out = Vec::new();
        let mut stack = vec![&self.root];
        while let Some(p) = stack.pop() {
            if p.is_attachment() {
                out.push(p);
                continue;
            }
            stack.extend(p.parts().iter().rev());
        }
        out
    }

    /// Parts with a `Content-ID` that are not attachments (images of an HTML body).
    pub fn inline_parts(&self) -> Vec<&Part<'a>> {
        self.leaves()
            .filter(|p| !p.is_attachment() && p.content_id().is_some())
            .collect()
    }

    /// The part with this `Content-ID` (brackets and a `cid:` prefix optional).
    pub fn by_content_id(&self, id: &str) -> Option<&Part<'a>> {
        let id = id.strip_prefix("cid:").unwrap_or(id);
        let id = id.trim_start_matches('<').trim_end_matches('>');
        self.parts().find(|p| p.content_id().as_deref() == Some(id))
    }

    /// Files uuencoded inside `text/plain` bodies (old mailers' attachments), with the
    /// number of the part that carried each.
    pub fn uuencoded(&self) -> Vec<(&PartNumber, &UuFile)> {
        self.parts()
            .flat_map(|p| p.uuencoded().iter().map(move |f| (p.number(), f)))
            .collect()
    }

    /// Every defect with the number of the part it was found in.
    pub fn defects(&self) -> Vec<(&PartNumber, &Defect)> {
        self.parts()
            .flat_map(|p| p.defects().iter().map(move |d| (p.number(), d)))
            .collect()
    }

    /// The mailboxes of `From`, group members flattened.
    pub fn from_mailboxes(&self) -> Vec<crate::Mailbox> {
        mailboxes(&self.from()).into_iter().cloned().collect()
    }
}
