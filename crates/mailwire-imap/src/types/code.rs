//! Response codes (RFC 3501 §7.1 and extensions) and capabilities.

use std::num::{NonZeroU32, NonZeroU64};

use super::flag::FlagPerm;
use super::sequence::SequenceSet;
use super::string::{Atom, Charset};

/// A `resp-text-code`: the bracketed code of a status response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Code {
    /// `ALERT`
    Alert,
    /// `BADCHARSET [(charset …)]`
    BadCharset(Vec<Charset>),
    /// `CAPABILITY …`
    Capability(Vec<Capability>),
    /// `PARSE`
    Parse,
    /// `PERMANENTFLAGS (…)`
    PermanentFlags(Vec<FlagPerm>),
    /// `READ-ONLY`
    ReadOnly,
    /// `READ-WRITE`
    ReadWrite,
    /// `TRYCREATE`
    TryCreate,
    /// `UIDNEXT n`
    UidNext(NonZeroU32),
    /// `UIDVALIDITY n`
    UidValidity(NonZeroU32),
    /// `UNSEEN n`
    Unseen(NonZeroU32),
    /// `APPENDUID uidvalidity uid-set` (RFC 4315)
    AppendUid {
        /// The mailbox's UIDVALIDITY.
        uid_validity: NonZeroU32,
        /// The UIDs of the appended messages (no `*`).
        uids: SequenceSet,
    },
    /// `COPYUID uidvalidity source-set dest-set` (RFC 4315)
    CopyUid {
        /// The destination's UIDVALIDITY.
        uid_validity: NonZeroU32,
        /// The source UIDs.
        source: SequenceSet,
        /// The destination UIDs, in the same order.
        destination: SequenceSet,
    },
    /// `UIDNOTSTICKY` (RFC 4315)
    UidNotSticky,
    /// `HIGHESTMODSEQ n` (RFC 7162)
    HighestModSeq(NonZeroU64),
    /// `NOMODSEQ` (RFC 7162)
    NoModSeq,
    /// `MODIFIED sequence-set` (RFC 7162)
    Modified(SequenceSet),
    /// `CLOSED` (RFC 7162)
    Closed,
    /// Any other code: an atom and the text up to `]`, if any.
    Other {
        /// The code's name.
        name: Atom,
        /// What follows the name and a space, up to `]`.
        text: Option<String>,
    },
}

/// A capability name, as CAPABILITY, the CAPABILITY code and ENABLE carry them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Capability {
    /// `IMAP4rev1`
    Imap4Rev1,
    /// `STARTTLS`
    StartTls,
    /// `LOGINDISABLED`
    LoginDisabled,
    /// `AUTH=mechanism`
    Auth(Atom),
    /// `SASL-IR` (RFC 4959)
    SaslIr,
    /// `IDLE` (RFC 2177)
    Idle,
    /// `NAMESPACE` (RFC 2342)
    Namespace,
    /// `UIDPLUS` (RFC 4315)
    UidPlus,
    /// `MOVE` (RFC 6851)
    Move,
    /// `ENABLE` (RFC 5161)
    Enable,
    /// `ID` (RFC 2971)
    Id,
    /// `UNSELECT` (RFC 3691)
    Unselect,
    /// `LITERAL+` (RFC 7888)
    LiteralPlus,
    /// `LITERAL-` (RFC 7888)
    LiteralMinus,
    /// `MULTIAPPEND` (RFC 3502)
    MultiAppend,
    /// `SPECIAL-USE` (RFC 6154)
    SpecialUse,
    /// `CHILDREN` (RFC 3348)
    Children,
    /// `CONDSTORE` (RFC 7162)
    CondStore,
    /// `BINARY` (RFC 3516)
    Binary,
    /// Any other capability.
    Other(Atom),
}

const NAMED: [(&str, Capability); 18] = [
    ("IMAP4rev1", Capability::Imap4Rev1),
    ("STARTTLS", Capability::StartTls),
    ("LOGINDISABLED", Capability::LoginDisabled),
    ("SASL-IR", Capability::SaslIr),
    ("IDLE", Capability::Idle),
    ("NAMESPACE", Capability::Namespace),
    ("UIDPLUS", Capability::UidPlus),
    ("MOVE", Capability::Move),
    ("ENABLE", Capability::Enable),
    ("ID", Capability::Id),
    ("UNSELECT", Capability::Unselect),
    ("LITERAL+", Capability::LiteralPlus),
    ("LITERAL-", Capability::LiteralMinus),
    ("MULTIAPPEND", Capability::MultiAppend),
    ("SPECIAL-USE", Capability::SpecialUse),
    ("CHILDREN", Capability::Children),
    ("CONDSTORE", Capability::CondStore),
    ("BINARY", Capability::Binary),
];

impl Capability {
    /// A capability from its name, compared case-insensitively.
    ///
    /// ```
    /// use mailwire_imap::types::{Atom, Capability};
    ///
    /// assert_eq!(Capability::from_atom(Atom::new("imap4REV1").unwrap()), Capability::Imap4Rev1);
    /// assert_eq!(
    ///     Capability::from_atom(Atom::new("AUTH=PLAIN").unwrap()),
    ///     Capability::Auth(Atom::new("PLAIN").unwrap())
    /// );
    /// ```
    pub fn from_atom(atom: Atom) -> Self {
        let s = atom.as_str();
        if let Some((_, c)) = NAMED.iter().find(|(n, _)| s.eq_ignore_ascii_case(n)) {
            return c.clone();
        }
        if s.len() > 5 && s[..5].eq_ignore_ascii_case("AUTH=") {
            return Self::Auth(Atom::unchecked(&s.as_bytes()[5..]));
        }
        Self::Other(atom)
    }
}

impl std::fmt::Display for Capability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Auth(m) => write!(f, "AUTH={m}"),
            Self::Other(a) => f.write_str(a.as_str()),
            known => f.write_str(
                NAMED
                    .iter()
                    .find(|(_, c)| c == known)
                    .map_or("", |(n, _)| n),
            ),
        }
    }
}
