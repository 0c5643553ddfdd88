//! SEARCH criteria (`search-key`, RFC 3501 §6.4.4, with CONDSTORE's MODSEQ).

use super::datetime::Date;
use super::non_empty::NonEmpty;
use super::sequence::SequenceSet;
use super::string::{Atom, IString};

/// One `search-key`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SearchKey {
    /// `ALL`
    All,
    /// `ANSWERED`
    Answered,
    /// `BCC string`
    Bcc(IString),
    /// `BEFORE date`
    Before(Date),
    /// `BODY string`
    Body(IString),
    /// `CC string`
    Cc(IString),
    /// `DELETED`
    Deleted,
    /// `DRAFT`
    Draft,
    /// `FLAGGED`
    Flagged,
    /// `FROM string`
    From(IString),
    /// `HEADER field-name string`
    Header(IString, IString),
    /// `KEYWORD flag-keyword`
    Keyword(Atom),
    /// `LARGER number`
    Larger(u32),
    /// `NEW`
    New,
    /// `NOT search-key`
    Not(Box<SearchKey>),
    /// `OLD`
    Old,
    /// `ON date`
    On(Date),
    /// `OR search-key search-key`
    Or(Box<SearchKey>, Box<SearchKey>),
    /// `RECENT`
    Recent,
    /// `SEEN`
    Seen,
    /// `SENTBEFORE date`
    SentBefore(Date),
    /// `SENTON date`
    SentOn(Date),
    /// `SENTSINCE date`
    SentSince(Date),
    /// `SINCE date`
    Since(Date),
    /// `SMALLER number`
    Smaller(u32),
    /// `SUBJECT string`
    Subject(IString),
    /// `TEXT string`
    Text(IString),
    /// `TO string`
    To(IString),
    /// `UID sequence-set`
    Uid(SequenceSet),
    /// `UNANSWERED`
    Unanswered,
    /// `UNDELETED`
    Undeleted,
    /// `UNDRAFT`
    Undraft,
    /// `UNFLAGGED`
    Unflagged,
    /// `UNKEYWORD flag-keyword`
    Unkeyword(Atom),
    /// `UNSEEN`
    Unseen,
    /// A bare `sequence-set`.
    SequenceSet(SequenceSet),
    /// `"(" search-key *(SP search-key) ")"`.
    And(NonEmpty<SearchKey>),
    /// `MODSEQ mod-sequence-valzer` (RFC 7162; the optional entry name is read and
    /// dropped).
    ModSeq(u64),
}
