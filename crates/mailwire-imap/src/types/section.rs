//! Body sections of FETCH (`section`, RFC 3501 §6.4.5).

use std::num::NonZeroU32;

use super::ValidationError;
use super::non_empty::NonEmpty;
use super::string::IString;

/// `section-msgtext` and `MIME`: which text of a part.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SectionText {
    /// `HEADER`
    Header,
    /// `HEADER.FIELDS (name …)`
    HeaderFields(NonEmpty<IString>),
    /// `HEADER.FIELDS.NOT (name …)`
    HeaderFieldsNot(NonEmpty<IString>),
    /// `TEXT`
    Text,
    /// `MIME`: the MIME header of a part; only after a part number.
    Mime,
}

/// `section = "[" [section-spec] "]"`: a part path and an optional text specifier.
///
/// ```
/// use mailwire_imap::types::{Section, SectionText};
///
/// let s = Section::new(vec![4, 2], Some(SectionText::Mime)).unwrap();
/// assert_eq!(s.part(), &[4, 2]);
/// assert!(Section::new(vec![], Some(SectionText::Mime)).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Section {
    part: Vec<u32>,
    text: Option<SectionText>,
}

impl Section {
    /// A section. Part numbers are non-zero; `MIME` needs a part.
    pub fn new(part: Vec<u32>, text: Option<SectionText>) -> Result<Self, ValidationError> {
        if part.contains(&0) {
            return Err(ValidationError::Invalid("section part"));
        }
        if part.is_empty() && text == Some(SectionText::Mime) {
            return Err(ValidationError::Invalid("MIME section without a part"));
        }
        Ok(Self { part, text })
    }

    /// `[]`: the whole message.
    pub fn full() -> Self {
        Self::default()
    }

    /// The part path, such as `[4, 2]` for `4.2`; empty for the message itself.
    pub fn part(&self) -> &[u32] {
        &self.part
    }

    /// The text specifier.
    pub fn text(&self) -> Option<&SectionText> {
        self.text.as_ref()
    }
}

/// `"<" number "." nz-number ">"`: first octet and length of a partial fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Partial {
    /// The first octet, from 0.
    pub offset: u32,
    /// How many octets.
    pub length: NonZeroU32,
}
