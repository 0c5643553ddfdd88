//! FETCH attributes (RFC 3501 §6.4.5) and the message data FETCH returns (§7.4.2).

use std::num::{NonZeroU32, NonZeroU64};

use super::ValidationError;
use super::body::BodyStructure;
use super::datetime::DateTime;
use super::envelope::Envelope;
use super::flag::FlagFetch;
use super::non_empty::NonEmpty;
use super::raw::RawValue;
use super::section::{Partial, Section};
use super::string::{Atom, NString};

/// One `fetch-att`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FetchAttribute {
    /// `ENVELOPE`
    Envelope,
    /// `FLAGS`
    Flags,
    /// `INTERNALDATE`
    InternalDate,
    /// `RFC822`
    Rfc822,
    /// `RFC822.HEADER`
    Rfc822Header,
    /// `RFC822.SIZE`
    Rfc822Size,
    /// `RFC822.TEXT`
    Rfc822Text,
    /// `BODY`
    Body,
    /// `BODYSTRUCTURE`
    BodyStructure,
    /// `UID`
    Uid,
    /// `BODY[section]<partial>` or, with `peek`, `BODY.PEEK[section]<partial>`.
    BodySection {
        /// `.PEEK`: do not set `\Seen`.
        peek: bool,
        /// The section.
        section: Section,
        /// The octet range.
        partial: Option<Partial>,
    },
    /// `BINARY[part]<partial>` or `BINARY.PEEK[…]` (RFC 3516).
    Binary {
        /// `.PEEK`
        peek: bool,
        /// The part path.
        part: Vec<u32>,
        /// The octet range.
        partial: Option<Partial>,
    },
    /// `BINARY.SIZE[part]` (RFC 3516).
    BinarySize {
        /// The part path.
        part: Vec<u32>,
    },
    /// `MODSEQ` (RFC 7162).
    ModSeq,
}

/// What FETCH asks for: a macro or a list of attributes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FetchItems {
    /// `ALL` = `(FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)`
    All,
    /// `FAST` = `(FLAGS INTERNALDATE RFC822.SIZE)`
    Fast,
    /// `FULL` = `(FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY)`
    Full,
    /// Attributes; a single one goes on the wire without parentheses.
    Attributes(NonEmpty<FetchAttribute>),
}

/// One item of a FETCH response (`msg-att`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MessageDataItem {
    /// `BODY` (the structure without extension data).
    Body(Box<BodyStructure>),
    /// `BODYSTRUCTURE`
    BodyStructure(Box<BodyStructure>),
    /// `BODY[section]<origin> nstring`
    BodySection {
        /// The section.
        section: Section,
        /// The first octet, for a partial fetch.
        origin: Option<u32>,
        /// The data.
        data: NString,
    },
    /// `BINARY[part]<origin>` with its data (RFC 3516); `None` for NIL.
    Binary {
        /// The part path.
        part: Vec<u32>,
        /// The first octet, for a partial fetch.
        origin: Option<u32>,
        /// The decoded content; it may hold NUL bytes.
        data: Option<Vec<u8>>,
    },
    /// `BINARY.SIZE[part] number` (RFC 3516).
    BinarySize {
        /// The part path.
        part: Vec<u32>,
        /// The decoded size.
        size: u32,
    },
    /// `ENVELOPE`
    Envelope(Box<Envelope>),
    /// `FLAGS`
    Flags(Vec<FlagFetch>),
    /// `INTERNALDATE`
    InternalDate(DateTime),
    /// `RFC822`
    Rfc822(NString),
    /// `RFC822.HEADER`
    Rfc822Header(NString),
    /// `RFC822.TEXT`
    Rfc822Text(NString),
    /// `RFC822.SIZE`
    Rfc822Size(u32),
    /// `UID`
    Uid(NonZeroU32),
    /// `MODSEQ (n)` (RFC 7162).
    ModSeq(NonZeroU64),
    /// An item the codec does not know, such as Gmail's `X-GM-MSGID` or `X-GM-LABELS`.
    Other(OtherItem),
}

/// The names of the FETCH response items the codec decodes itself.
pub(crate) const KNOWN_ITEMS: [&str; 13] = [
    "BODY",
    "BODYSTRUCTURE",
    "ENVELOPE",
    "FLAGS",
    "INTERNALDATE",
    "RFC822",
    "RFC822.HEADER",
    "RFC822.TEXT",
    "RFC822.SIZE",
    "UID",
    "MODSEQ",
    "BINARY",
    "BINARY.SIZE",
];

/// A FETCH item the codec does not know: `name SP value`, the value kept as sent.
///
/// ```
/// use mailwire_imap::types::{Atom, OtherItem, RawValue};
///
/// let labels = OtherItem::new(
///     Atom::new("X-GM-LABELS").unwrap(),
///     RawValue::new(&b"(\\Inbox \"foo\")"[..]).unwrap(),
/// )
/// .unwrap();
/// assert_eq!(labels.name().as_str(), "X-GM-LABELS");
/// // A known item is not an unknown one.
/// let uid = OtherItem::new(Atom::new("uid").unwrap(), RawValue::new(&b"4"[..]).unwrap());
/// assert!(uid.is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherItem {
    name: Atom,
    value: RawValue,
}

impl OtherItem {
    /// An item named `name`, which must be none of the items the codec knows and hold no
    /// `[`, with its value.
    pub fn new(name: Atom, value: RawValue) -> Result<Self, ValidationError> {
        if KNOWN_ITEMS.iter().any(|k| name.eq_ignore_case(k)) {
            return Err(ValidationError::Invalid(
                "a known FETCH item as an unknown one",
            ));
        }
        if name.as_str().contains('[') {
            return Err(ValidationError::Byte {
                what: "FETCH item name",
                byte: b'[',
            });
        }
        Ok(Self { name, value })
    }

    /// An item the decoder has checked.
    pub(crate) fn unchecked(name: Atom, value: RawValue) -> Self {
        Self { name, value }
    }

    /// The item's name.
    pub fn name(&self) -> &Atom {
        &self.name
    }

    /// The item's value, as sent.
    pub fn value(&self) -> &RawValue {
        &self.value
    }
}
