//! Mailbox names (RFC 3501 §5.1) and LIST patterns.

use super::ValidationError;
use super::chars::is_list_char;
use super::string::IString;
use super::utf7::{self, Utf7Error};

/// `mailbox = "INBOX" / astring`; INBOX in any case is the inbox.
///
/// Other names are kept as the wire bytes (modified UTF-7 for non-ASCII names);
/// [`Mailbox::from_utf8`] and [`Mailbox::to_utf8`] convert.
///
/// ```
/// use mailwire_imap::types::Mailbox;
///
/// assert_eq!(Mailbox::new("inbox").unwrap(), Mailbox::Inbox);
/// let drafts = Mailbox::from_utf8("Entwürfe").unwrap();
/// assert_eq!(drafts.as_bytes(), b"Entw&APw-rfe");
/// assert_eq!(drafts.to_utf8().unwrap(), "Entwürfe");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Mailbox {
    /// The inbox.
    Inbox,
    /// Any other mailbox, by its wire name (never a case variant of `INBOX`).
    Other(IString),
}

impl Mailbox {
    /// A mailbox from its wire name.
    pub fn new(name: impl Into<Vec<u8>>) -> Result<Self, ValidationError> {
        Ok(Self::from_string(IString::new(name)?))
    }

    pub(crate) fn from_string(name: IString) -> Self {
        if name.as_bytes().eq_ignore_ascii_case(b"INBOX") {
            Self::Inbox
        } else {
            Self::Other(name)
        }
    }

    /// A mailbox from a Unicode name, encoded in modified UTF-7.
    pub fn from_utf8(name: &str) -> Result<Self, ValidationError> {
        Self::new(utf7::encode(name))
    }

    /// The wire name (`INBOX` for the inbox).
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Inbox => b"INBOX",
            Self::Other(name) => name.as_bytes(),
        }
    }

    /// The name decoded from modified UTF-7.
    pub fn to_utf8(&self) -> Result<String, Utf7Error> {
        utf7::decode(self.as_bytes())
    }
}

/// A LIST or LSUB pattern: `list-mailbox = 1*list-char / string`, where `*` and `%` are
/// wildcards.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListMailbox(IString);

impl ListMailbox {
    /// A pattern from its wire bytes.
    pub fn new(pattern: impl Into<Vec<u8>>) -> Result<Self, ValidationError> {
        Ok(Self(IString::new(pattern)?))
    }

    pub(crate) fn from_string(pattern: IString) -> Self {
        Self(pattern)
    }

    /// The pattern's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    pub(crate) fn as_istring(&self) -> &IString {
        &self.0
    }

    /// Whether the pattern can go on the wire without quotes.
    pub(crate) fn is_bare(&self) -> bool {
        !self.0.is_empty() && self.0.as_bytes().iter().all(|&b| is_list_char(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inbox_is_case_insensitive() {
        assert_eq!(Mailbox::new("InBoX").unwrap(), Mailbox::Inbox);
        assert_eq!(
            Mailbox::new("INBOX.Sent").unwrap(),
            Mailbox::Other(IString::new("INBOX.Sent").unwrap())
        );
        assert_eq!(Mailbox::Inbox.as_bytes(), b"INBOX");
    }

    #[test]
    fn patterns_know_when_they_need_quotes() {
        assert!(ListMailbox::new("*").unwrap().is_bare());
        assert!(ListMailbox::new("~/Mail/%").unwrap().is_bare());
        assert!(!ListMailbox::new("").unwrap().is_bare());
        assert!(!ListMailbox::new("a b").unwrap().is_bare());
    }
}
