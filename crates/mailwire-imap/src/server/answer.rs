//! The questions a server session can have pending, the answers the application gives,
//! and the error of an answer that fits no pending question.

use std::fmt;
use std::num::NonZeroU32;

use mailwire_sasl::{AuthAnswer, AuthQuestionKind};

use super::event::{ListEntry, MailboxSnapshot, StoredMessage};
use crate::types::StatusItem;

/// An answer the session could not take, handed back with the question that was pending.
///
/// Every answer method of [`Session`](super::Session) returns it when its
/// answer does not fit: nothing is pending, or another question is. The session is left
/// as it was; the value given comes back in [`answer`](mailwire_core::Misuse::answer).
///
/// ```
/// use mailwire_core::Session as _;
/// use mailwire_imap::server::{Answer, Config, Question, Session};
/// use mailwire_sasl::{AuthAnswer, AuthQuestionKind};
///
/// let mut config = Config::default();
/// config.plaintext_auth = true;
/// let mut s = Session::new(config);
/// let e = s.answer_auth(AuthAnswer::Accept).unwrap_err();
/// assert_eq!((e.pending, e.answer), (None, Answer::Auth(AuthAnswer::Accept)));
///
/// s.receive(b"a1 LOGIN fred secret\r\n");
/// let e = s.reject("Not now").unwrap_err();
/// assert_eq!(e.pending, Some(Question::Auth(AuthQuestionKind::Password)));
/// assert_eq!(e.to_string(), "reject does not answer the pending password check");
/// ```
pub type Error = mailwire_core::Misuse<Question, Answer>;

/// A question the session can have pending, without its data: what an [`Error`] says
/// was pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Question {
    /// [`Event::Auth`](super::Event::Auth), of this kind.
    Auth(AuthQuestionKind),
    /// [`Event::Select`](super::Event::Select).
    Select,
    /// [`Event::Messages`](super::Event::Messages).
    Messages,
    /// [`Event::SetFlags`](super::Event::SetFlags).
    SetFlags,
    /// [`Event::Expunge`](super::Event::Expunge).
    Expunge,
    /// [`Event::Copy`](super::Event::Copy).
    Copy,
    /// [`Event::Append`](super::Event::Append).
    Append,
    /// [`Event::List`](super::Event::List).
    List,
    /// [`Event::Status`](super::Event::Status).
    Status,
    /// [`Event::Manage`](super::Event::Manage).
    Manage,
}

impl fmt::Display for Question {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Question::Auth(kind) => return kind.fmt(f),
            Question::Select => "SELECT",
            Question::Messages => "message lookup",
            Question::SetFlags => "flag update",
            Question::Expunge => "EXPUNGE",
            Question::Copy => "COPY",
            Question::Append => "APPEND",
            Question::List => "LIST",
            Question::Status => "STATUS",
            Question::Manage => "mailbox change",
        })
    }
}

/// An answer given to the session, one variant per answer method, carrying its value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answer {
    /// [`answer_auth`](super::Session::answer_auth).
    Auth(AuthAnswer),
    /// [`open_mailbox`](super::Session::open_mailbox).
    OpenMailbox(MailboxSnapshot),
    /// [`provide_messages`](super::Session::provide_messages).
    Messages(Vec<StoredMessage>),
    /// [`accept`](super::Session::accept).
    Accept,
    /// [`accept_copy`](super::Session::accept_copy).
    AcceptCopy {
        /// The destination's UIDVALIDITY.
        uid_validity: NonZeroU32,
        /// The UIDs the copies got.
        destination_uids: Vec<u32>,
    },
    /// [`accept_append`](super::Session::accept_append).
    AcceptAppend {
        /// The mailbox's UIDVALIDITY.
        uid_validity: NonZeroU32,
        /// The UIDs the messages got.
        uids: Vec<u32>,
    },
    /// [`reject`](super::Session::reject), with its text.
    Reject(String),
    /// [`list`](super::Session::list).
    List(Vec<ListEntry>),
    /// [`status`](super::Session::status).
    Status(Vec<StatusItem>),
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Answer::Auth(_) => "answer_auth",
            Answer::OpenMailbox(_) => "open_mailbox",
            Answer::Messages(_) => "provide_messages",
            Answer::Accept => "accept",
            Answer::AcceptCopy { .. } => "accept_copy",
            Answer::AcceptAppend { .. } => "accept_append",
            Answer::Reject(_) => "reject",
            Answer::List(_) => "list",
            Answer::Status(_) => "status",
        })
    }
}
