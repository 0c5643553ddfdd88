//! Mailbox names (RFC 3501 §5.1) and LIST patterns.

use super::ValidationError;
use super::chars::is_list_char;
use super::string::{Delimiter, IString};
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

    /// Whether `mailbox` matches the pattern (RFC 3501 §6.3.8): `*` matches any bytes,
    /// `%` any bytes but `delimiter` (with no delimiter, a flat namespace, it matches as
    /// `*` does), and every other byte itself.
    ///
    /// Names compare byte for byte, as their wire form (modified UTF-7), except the inbox:
    /// RFC 3501 §5.1 makes `INBOX` case-insensitive, so against [`Mailbox::Inbox`] letters
    /// compare without regard to case (`inbox` and `In%` match it). Names below the inbox
    /// (`INBOX/Sent`) compare exactly, as their case is the server's choice.
    ///
    /// The pattern is matched as it stands; combine it with the LIST reference argument
    /// first with [`under`](Self::under). An empty pattern matches only an empty name:
    /// LIST answers it with the hierarchy delimiter instead, so check for it before.
    ///
    /// A match takes at most O(len(name) × len(pattern)) steps and O(len(pattern))
    /// memory, without recursion: no pattern a client sends can make it slow or deep.
    ///
    /// ```
    /// use mailwire_imap::types::{Delimiter, ListMailbox, Mailbox};
    ///
    /// let slash = Delimiter::new('/').ok();
    /// let name = Mailbox::new("Archive/2024").unwrap();
    /// assert!(ListMailbox::new("*").unwrap().matches(&name, slash));
    /// assert!(ListMailbox::new("Archive/%").unwrap().matches(&name, slash));
    /// assert!(!ListMailbox::new("%").unwrap().matches(&name, slash));
    /// assert!(ListMailbox::new("%").unwrap().matches(&name, None));
    /// assert!(ListMailbox::new("inbox").unwrap().matches(&Mailbox::Inbox, slash));
    /// ```
    pub fn matches(&self, mailbox: &Mailbox, delimiter: Option<Delimiter>) -> bool {
        super::wildcard::matches(
            self.as_bytes(),
            mailbox.as_bytes(),
            delimiter.map(Delimiter::as_byte),
            matches!(mailbox, Mailbox::Inbox),
        )
    }

    /// The pattern as it reads under a LIST or LSUB `reference` (RFC 3501 §6.3.8): the
    /// reference followed by the pattern, the canonical form of a server without a
    /// current directory; a pattern that starts with `#` names a namespace (RFC 3501
    /// §5.1.2), breaks out of the reference and stands alone.
    ///
    /// RFC 3501 leaves the reading of a reference that does not end with the hierarchy
    /// delimiter to the server; here it is always joined as it is (`foo` and `bar%` give
    /// `foobar%`). The empty pattern is no pattern but a request for the delimiter and the
    /// reference's root, and is not joined: it comes back empty.
    ///
    /// ```
    /// use mailwire_imap::types::{ListMailbox, Mailbox};
    ///
    /// let reference = Mailbox::new("~smith/Mail/").unwrap();
    /// let pattern = ListMailbox::new("foo.*").unwrap().under(&reference);
    /// assert_eq!(pattern.as_bytes(), b"~smith/Mail/foo.*");
    /// let news = ListMailbox::new("#news.comp.mail.*").unwrap().under(&reference);
    /// assert_eq!(news.as_bytes(), b"#news.comp.mail.*");
    /// assert_eq!(ListMailbox::new("").unwrap().under(&reference).as_bytes(), b"");
    /// ```
    pub fn under(&self, reference: &Mailbox) -> ListMailbox {
        let pattern = self.as_bytes();
        if pattern.is_empty() || pattern.starts_with(b"#") {
            return self.clone();
        }
        let mut joined = reference.as_bytes().to_vec();
        joined.extend_from_slice(pattern);
        // Neither part holds a NUL byte, so neither does the whole.
        Self(IString::unchecked(joined))
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
    fn the_inbox_matches_without_case_and_other_names_exactly() {
        let slash = Delimiter::new('/').ok();
        let p = |s: &str| ListMailbox::new(s).unwrap();
        for pattern in ["INBOX", "inbox", "iNbOx", "IN%", "in*", "*x", "%"] {
            assert!(p(pattern).matches(&Mailbox::Inbox, slash), "{pattern}");
        }
        assert!(!p("inbox/%").matches(&Mailbox::Inbox, slash));
        let sent = Mailbox::new("INBOX/Sent").unwrap();
        assert!(p("INBOX/%").matches(&sent, slash));
        assert!(!p("inbox/%").matches(&sent, slash));
        assert!(!p("inbox").matches(&Mailbox::new("Inboxes").unwrap(), slash));
    }

    #[test]
    fn patterns_under_a_reference() {
        let p = |s: &str| ListMailbox::new(s).unwrap();
        let archive = Mailbox::new("archive/").unwrap();
        assert_eq!(p("%").under(&archive), p("archive/%"));
        assert_eq!(p("*").under(&Mailbox::new("").unwrap()), p("*"));
        assert_eq!(p("#shared/*").under(&archive), p("#shared/*"));
        assert_eq!(p("").under(&archive), p(""));
        assert_eq!(p("/%").under(&Mailbox::Inbox), p("INBOX/%"));
        let slash = Delimiter::new('/').ok();
        let y2024 = Mailbox::new("archive/2024").unwrap();
        assert!(p("%").under(&archive).matches(&y2024, slash));
        assert!(!p("%").matches(&y2024, slash));
    }

    #[test]
    fn patterns_know_when_they_need_quotes() {
        assert!(ListMailbox::new("*").unwrap().is_bare());
        assert!(ListMailbox::new("~/Mail/%").unwrap().is_bare());
        assert!(!ListMailbox::new("").unwrap().is_bare());
        assert!(!ListMailbox::new("a b").unwrap().is_bare());
    }
}
