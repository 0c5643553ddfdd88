//! What the session can wait on, the answers it takes, and the error for an answer that
//! fits nothing pending.

use std::fmt;

use mailwire_sasl::{AuthAnswer, AuthQuestionKind};

#[cfg(doc)]
use super::{Event, Session};
use super::{Maildrop, Refusal};

/// An answer method called when its question is not the one pending: the session is left
/// as it was, and the value given comes back in [`answer`](mailwire_core::Misuse::answer).
///
/// ```
/// use mailwire_pop3::server::{Answer, Config, Maildrop, Session};
///
/// let mut server = Session::new(Config::default());
/// let e = server.open_maildrop(Maildrop::default()).unwrap_err();
/// assert_eq!(e.pending, None);
/// assert!(matches!(e.answer, Answer::OpenMaildrop(_)));
/// assert_eq!(e.to_string(), "open_maildrop answers nothing: no question is pending");
/// ```
pub type Error = mailwire_core::Misuse<Question, Answer>;

/// A question the session can have pending, waiting for the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Question {
    /// [`Event::Auth`], with the kind of its question.
    Auth(AuthQuestionKind),
    /// [`Event::OpenMaildrop`].
    OpenMaildrop,
    /// [`Event::Retrieve`]: the body of a `RETR`.
    Retrieve,
    /// [`Event::Top`]: the start of a message for `TOP`.
    Top,
    /// [`Event::Update`].
    Update,
}

impl fmt::Display for Question {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Question::Auth(kind) => fmt::Display::fmt(kind, f),
            Question::OpenMaildrop => f.write_str("maildrop opening"),
            Question::Retrieve => f.write_str("RETR body"),
            Question::Top => f.write_str("TOP body"),
            Question::Update => f.write_str("UPDATE"),
        }
    }
}

/// An answer given to the session, one variant per answer method of [`Session`], carrying
/// the value given.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answer {
    /// [`Session::answer_auth`].
    Auth(AuthAnswer),
    /// [`Session::open_maildrop`].
    OpenMaildrop(Maildrop),
    /// [`Session::refuse_maildrop`].
    RefuseMaildrop(Refusal),
    /// [`Session::send_body`], with a copy of the chunk.
    SendBody(Vec<u8>),
    /// [`Session::end_body`].
    EndBody,
    /// [`Session::fail_body`].
    FailBody,
    /// [`Session::finish_update`], with whether the deletions went through.
    FinishUpdate(bool),
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Answer::Auth(_) => "answer_auth",
            Answer::OpenMaildrop(_) => "open_maildrop",
            Answer::RefuseMaildrop(_) => "refuse_maildrop",
            Answer::SendBody(_) => "send_body",
            Answer::EndBody => "end_body",
            Answer::FailBody => "fail_body",
            Answer::FinishUpdate(_) => "finish_update",
        })
    }
}
