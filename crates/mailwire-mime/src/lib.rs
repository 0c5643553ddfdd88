//! RFC 5322 and MIME messages: a lenient, zero-copy parser and a reproducible builder.
//!
//! [`Message::parse`] reads a message from one byte slice (or [`MessageParser`] from
//! chunks) and never fails: damage becomes a list of [`Defect`]s on the part where it was
//! found. Headers keep their raw bytes; structured fields (addresses, dates, message ids,
//! `Content-Type` with RFC 2231 parameters) are read on demand; RFC 2047 encoded words are
//! decoded; the MIME tree gives every part its header and body offsets, body size, line
//! count and IMAP part number; leaves are transfer-decoded (base64, quoted-printable,
//! uuencode) and `text/*` converted to UTF-8 from its charset.
//!
//! ```
//! use mailwire_mime::Message;
//!
//! let raw = b"From: =?ISO-8859-1?Q?Andr=E9?= Pirard <pirard@vm1.ulg.ac.be>\r\n\
//! Subject: lunch\r\n\
//! MIME-Version: 1.0\r\n\
//! Content-Type: text/plain; charset=iso-8859-1\r\n\
//! Content-Transfer-Encoding: quoted-printable\r\n\
//! \r\n\
//! =C0 midi?\r\n";
//! let msg = Message::parse(raw);
//! assert_eq!(msg.subject().as_deref(), Some("lunch"));
//! let from = &msg.from_mailboxes()[0];
//! assert_eq!(from.name.as_deref(), Some("Andr\u{e9} Pirard"));
//! assert_eq!(msg.text_body().as_deref(), Some("\u{c0} midi?\r\n"));
//! assert_eq!(msg.root().number().to_string(), "1");
//! assert!(msg.defects().is_empty());
//! ```
//!
//! Listing the attachments of an `.eml` file:
//!
//! ```
//! use mailwire_mime::Message;
//!
//! # let dir = std::env::temp_dir().join(format!("mailwire-mime-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! # let path = dir.join("message.eml");
//! # std::fs::write(&path, b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nHi\r\n\
//! # --b\r\nContent-Type: application/pdf; name=menu.pdf\r\nContent-Transfer-Encoding: base64\r\n\
//! # \r\nJVBERi0xLjc=\r\n--b--\r\n")?;
//! let raw = std::fs::read(&path)?;
//! let message = Message::parse(&raw);
//! for part in message.attachments() {
//!     let name = part.filename().unwrap_or_default();
//!     let kind = part.content_type().mime_type();
//!     println!("{name}: {kind}, {} bytes", part.decoded().len());
//! #   assert_eq!((name.as_str(), kind.as_str(), part.decoded()), ("menu.pdf", "application/pdf", &b"%PDF-1.7"[..]));
//! }
//! # assert_eq!(message.attachments().len(), 1);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # For IMAP servers
//!
//! Every [`Part`] knows its IMAP [`PartNumber`] (`1`, `1.2`, `1.2.3`; the parts of an
//! enclosed `message/rfc822` continue its number), the offsets of its header and body in
//! the input ([`Part::header_offset`], [`Part::body_offset`]), the body's size in octets and
//! lines ([`Part::body_size`], [`Part::body_lines`]) and its raw bytes, so `BODY[1.2]`,
//! `BODY[1.2.MIME]`, `BODY[HEADER.FIELDS (...)]` ([`Header::get_all`], [`HeaderField::raw`])
//! and `BODYSTRUCTURE` (parameters, disposition, language, location) need no second
//! parse. [`Envelope`] gathers the `ENVELOPE` fields, addresses as display name, route,
//! local part and domain, groups kept. What RFC 3501 §7.4.2 asks a server to pass on as
//! the message writes it is there undecoded too: display names
//! ([`MailboxRef::name_as_written`]) and parameters
//! ([`ContentTypeRef::params_as_written`], RFC 2231 sections joined).
//!
//! Building is the reverse, and reproducible: the caller supplies `Date`, `Message-ID`
//! and the boundary prefix.
//!
//! ```
//! use mailwire_mime::{DateTime, Mailbox, Message, MessageBuilder};
//!
//! let raw = MessageBuilder::new()
//!     .from(Mailbox::new(Some("Zo\u{eb}"), "zoe@x.test"))
//!     .to(Mailbox::new(None, "ann@y.test"))
//!     .subject("Caf\u{e9} at noon?")
//!     .date(DateTime::from_civil(2024, 5, 1, 9, 30, 0, 120).expect("valid date"))
//!     .message_id("20240501.1@x.test")
//!     .boundary("b1")
//!     .text("See you there.\n")
//!     .html("<p>See you <b>there</b>.</p>")
//!     .attachment("application/pdf", "menu.pdf", b"%PDF-1.7".to_vec())
//!     .build()
//!     .expect("valid message");
//!
//! let msg = Message::parse(&raw);
//! assert_eq!(msg.subject().as_deref(), Some("Caf\u{e9} at noon?"));
//! assert_eq!(msg.text_body().as_deref(), Some("See you there.\r\n"));
//! assert_eq!(msg.html_body(), Some("<p>See you <b>there</b>.</p>"));
//! let numbers: Vec<String> = msg.leaves().map(|p| p.number().to_string()).collect();
//! assert_eq!(numbers, ["1.1", "1.2", "2"]);
//! assert_eq!(msg.attachments()[0].decoded(), b"%PDF-1.7");
//! ```

mod address;
mod body_part;
mod builder;
mod charset;
mod date;
mod defect;
mod encoded_word;
mod folding;
mod header;
mod html;
mod limits;
mod message;
mod msgid;
mod param;
mod part;
mod part_number;
mod stream;
mod structured;
mod transfer;

pub use address::{Address, AddressRef, Group, Mailbox, MailboxRef, mailboxes};
pub use body_part::BodyPart;
pub use builder::{BuildError, MessageBuilder};
pub use charset::Charset;
pub use date::{Civil, DateTime};
pub use defect::Defect;
pub use encoded_word::decode_text as decode_encoded_words;
pub use header::{Header, HeaderField};
pub use html::html_to_text;
pub use limits::Limits;
pub use message::{Envelope, Message, Parts};
pub use param::{
    ContentDisposition, ContentDispositionRef, ContentType, ContentTypeRef, Param, ParamRef,
    Params, WrittenParam, WrittenParams,
};
pub use part::{Part, PartKind};
pub use part_number::PartNumber;
pub use stream::MessageParser;
pub use transfer::{TransferEncoding, UuFile};

/// Parses a message with the default limits; see [`Message::parse`].
pub fn parse(input: &[u8]) -> Message<'_> {
    Message::parse(input)
}

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
