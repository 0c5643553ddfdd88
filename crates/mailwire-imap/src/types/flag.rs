//! Message flags (RFC 3501 §2.3.2) and mailbox attributes of LIST responses.

use super::string::Atom;

/// `flag`: a system flag, a keyword, or a `\`-prefixed extension flag.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Flag {
    /// `\Answered`
    Answered,
    /// `\Flagged`
    Flagged,
    /// `\Deleted`
    Deleted,
    /// `\Seen`
    Seen,
    /// `\Draft`
    Draft,
    /// `flag-keyword = atom`, such as `$Forwarded`.
    Keyword(Atom),
    /// `flag-extension = "\" atom`, other than the system flags; the atom is stored
    /// without the backslash.
    Extension(Atom),
}

impl Flag {
    /// A flag from its wire form: `\Seen` or a keyword.
    ///
    /// ```
    /// use mailwire_imap::types::Flag;
    ///
    /// assert_eq!(Flag::parse("\\SEEN").unwrap(), Flag::Seen);
    /// assert_eq!(Flag::parse("$Junk").unwrap().to_string(), "$Junk");
    /// ```
    pub fn parse(s: &str) -> Result<Self, super::ValidationError> {
        match s.strip_prefix('\\') {
            Some(name) => Ok(Self::system(Atom::new(name)?)),
            None => Ok(Self::Keyword(Atom::new(s)?)),
        }
    }

    /// The flag named by `\name`, with `name` compared case-insensitively.
    pub(crate) fn system(name: Atom) -> Self {
        Self::known(name.as_str().as_bytes()).unwrap_or(Self::Extension(name))
    }

    /// The flag named by `\name`, from bytes the decoder has checked.
    pub(crate) fn system_bytes(name: &[u8]) -> Self {
        Self::known(name).unwrap_or_else(|| Self::Extension(Atom::unchecked(name)))
    }

    fn known(name: &[u8]) -> Option<Self> {
        // By length first: every flag of a FETCH or STORE comes through here.
        let is = |s: &[u8]| name.eq_ignore_ascii_case(s);
        match name.len() {
            4 if is(b"Seen") => Some(Self::Seen),
            5 if is(b"Draft") => Some(Self::Draft),
            7 if is(b"Flagged") => Some(Self::Flagged),
            7 if is(b"Deleted") => Some(Self::Deleted),
            8 if is(b"Answered") => Some(Self::Answered),
            _ => None,
        }
    }
}

impl std::fmt::Display for Flag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Answered => f.write_str("\\Answered"),
            Self::Flagged => f.write_str("\\Flagged"),
            Self::Deleted => f.write_str("\\Deleted"),
            Self::Seen => f.write_str("\\Seen"),
            Self::Draft => f.write_str("\\Draft"),
            Self::Keyword(atom) => f.write_str(atom.as_str()),
            Self::Extension(atom) => write!(f, "\\{atom}"),
        }
    }
}

/// `flag-fetch = flag / "\Recent"`: a flag as FETCH reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FlagFetch {
    /// A flag.
    Flag(Flag),
    /// `\Recent`
    Recent,
}

/// `flag-perm = flag / "\*"`: an entry of PERMANENTFLAGS.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FlagPerm {
    /// A flag.
    Flag(Flag),
    /// `\*`: new keywords may be created.
    Wildcard,
}

/// A mailbox attribute in a LIST or LSUB response (`mbx-list-flags`), including the
/// CHILDREN (RFC 3348), SPECIAL-USE (RFC 6154) and LIST-EXTENDED (RFC 5258) names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MailboxAttribute {
    /// `\Noinferiors`
    NoInferiors,
    /// `\Noselect`
    NoSelect,
    /// `\Marked`
    Marked,
    /// `\Unmarked`
    Unmarked,
    /// `\HasChildren` (RFC 3348)
    HasChildren,
    /// `\HasNoChildren` (RFC 3348)
    HasNoChildren,
    /// `\NonExistent` (RFC 5258)
    NonExistent,
    /// `\Subscribed` (RFC 5258)
    Subscribed,
    /// `\Remote` (RFC 5258)
    Remote,
    /// `\All` (RFC 6154)
    All,
    /// `\Archive` (RFC 6154)
    Archive,
    /// `\Drafts` (RFC 6154)
    Drafts,
    /// `\Flagged` (RFC 6154)
    Flagged,
    /// `\Junk` (RFC 6154)
    Junk,
    /// `\Sent` (RFC 6154)
    Sent,
    /// `\Trash` (RFC 6154)
    Trash,
    /// Any other `\`-prefixed attribute, stored without the backslash.
    Extension(Atom),
}

const ATTRIBUTES: [(&str, MailboxAttribute); 16] = [
    ("Noinferiors", MailboxAttribute::NoInferiors),
    ("Noselect", MailboxAttribute::NoSelect),
    ("Marked", MailboxAttribute::Marked),
    ("Unmarked", MailboxAttribute::Unmarked),
    ("HasChildren", MailboxAttribute::HasChildren),
    ("HasNoChildren", MailboxAttribute::HasNoChildren),
    ("NonExistent", MailboxAttribute::NonExistent),
    ("Subscribed", MailboxAttribute::Subscribed),
    ("Remote", MailboxAttribute::Remote),
    ("All", MailboxAttribute::All),
    ("Archive", MailboxAttribute::Archive),
    ("Drafts", MailboxAttribute::Drafts),
    ("Flagged", MailboxAttribute::Flagged),
    ("Junk", MailboxAttribute::Junk),
    ("Sent", MailboxAttribute::Sent),
    ("Trash", MailboxAttribute::Trash),
];

impl MailboxAttribute {
    pub(crate) fn from_atom(name: Atom) -> Self {
        ATTRIBUTES
            .iter()
            .find(|(n, _)| name.eq_ignore_case(n))
            .map_or(Self::Extension(name), |(_, a)| a.clone())
    }

    /// The attribute's name without the backslash.
    pub fn name(&self) -> &str {
        match self {
            Self::Extension(atom) => atom.as_str(),
            known => ATTRIBUTES
                .iter()
                .find(|(_, a)| a == known)
                .map_or("", |(n, _)| n),
        }
    }
}

/// How STORE changes the flags: `["+" / "-"] "FLAGS"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreKind {
    /// `FLAGS`: replace.
    Replace,
    /// `+FLAGS`: add.
    Add,
    /// `-FLAGS`: remove.
    Remove,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_flags_are_case_insensitive() {
        assert_eq!(Flag::parse("\\answered").unwrap(), Flag::Answered);
        assert_eq!(
            Flag::parse("\\Important").unwrap(),
            Flag::Extension(Atom::new("Important").unwrap())
        );
        assert_eq!(Flag::Extension(Atom::new("X").unwrap()).to_string(), "\\X");
        assert!(Flag::parse("\\").is_err());
    }

    #[test]
    fn attributes_map_both_ways() {
        let junk = MailboxAttribute::from_atom(Atom::new("JUNK").unwrap());
        assert_eq!(junk, MailboxAttribute::Junk);
        assert_eq!(junk.name(), "Junk");
        let other = MailboxAttribute::from_atom(Atom::new("Important").unwrap());
        assert_eq!(other.name(), "Important");
    }
}
