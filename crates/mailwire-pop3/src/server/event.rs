//! What the server session asks of or tells the application.

use mailwire_sasl::{AuthError, AuthQuestion, Identity, Method};

#[cfg(doc)]
use mailwire_sasl::AuthAnswer;

use super::maildrop::Deleted;
use crate::types::{argument::MessageNumber, listing::UniqueId};

/// An event from [`Session`](super::Session). Those marked *answer* wait for a call on the
/// session; the others are information.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// *Answer* with [`answer_auth`](super::Session::answer_auth): a client is logging in.
    ///
    /// - `USER` then `PASS` ask [`AuthQuestion::Password`] with [`Method::Login`]: answer
    ///   [`AuthAnswer::Accept`], [`AuthAnswer::AcceptAs`] (the account's canonical name)
    ///   or [`AuthAnswer::Reject`].
    /// - `APOP` asks [`AuthQuestion::Secret`] with [`Method::Apop`]: answer
    ///   [`AuthAnswer::Secret`] with the user's shared secret (the session checks the
    ///   digest in constant time) or [`AuthAnswer::Reject`] for an unknown user.
    /// - `AUTH` asks what its SASL mechanism needs, with [`Method::Sasl`]; the session runs
    ///   the exchange itself.
    Auth {
        /// What the application must decide.
        question: AuthQuestion,
    },
    /// The client proved who it is. [`Event::OpenMaildrop`] follows, for
    /// [`Identity::acting_as`].
    Authenticated {
        /// How.
        method: Method,
        /// Who, and as whom they act.
        identity: Identity,
    },
    /// A login attempt failed: wrong credentials, an unknown user, a cancelled or malformed
    /// SASL exchange. The session answered `-ERR`, and closes the connection once
    /// [`Config::max_login_failures`](super::Config::max_login_failures) is reached.
    AuthFailed {
        /// How the client tried.
        method: Method,
        /// The user, when one was named.
        user: Option<String>,
        /// Why it failed.
        error: AuthError,
        /// Failures on this connection so far, this one included: for the application to
        /// slow down or lock out the source.
        failures: u32,
    },
    /// *Answer* with [`open_maildrop`](super::Session::open_maildrop) or
    /// [`refuse_maildrop`](super::Session::refuse_maildrop): the credentials are good; lock
    /// and list the maildrop.
    OpenMaildrop {
        /// The authenticated user (the identity the client acts as).
        user: String,
    },
    /// *Answer* with [`send_body`](super::Session::send_body) and
    /// [`end_body`](super::Session::end_body), or
    /// [`fail_body`](super::Session::fail_body): stream the message for `RETR`.
    Retrieve {
        /// The message.
        message: MessageNumber,
        /// Its unique-id.
        unique_id: UniqueId,
    },
    /// *Answer* as for [`Event::Retrieve`]: stream the message for `TOP`, from its start.
    /// The session passes on the header and `lines` body lines, and
    /// [`send_body`](super::Session::send_body) says when it has enough.
    Top {
        /// The message.
        message: MessageNumber,
        /// Its unique-id.
        unique_id: UniqueId,
        /// Body lines wanted.
        lines: u32,
    },
    /// *Answer* with [`finish_update`](super::Session::finish_update): `QUIT` in the
    /// TRANSACTION state. Remove these messages, release the maildrop.
    Update {
        /// The messages marked with `DELE`.
        deleted: Vec<Deleted>,
    },
    /// The connection ended without `QUIT` after the maildrop was opened: release it and
    /// delete nothing (RFC 1939 §6).
    Abandoned,
}

/// Why a maildrop cannot be opened; becomes the `-ERR` code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// `[IN-USE]`: another session holds the lock.
    InUse,
    /// `[LOGIN-DELAY]`: the user logged in too recently.
    LoginDelay,
    /// `[SYS/TEMP]`: a temporary failure.
    SysTemp,
    /// `[SYS/PERM]`: a permanent failure.
    SysPerm,
}

/// Whether [`send_body`](super::Session::send_body) wants more of the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFlow {
    /// Send the next chunk.
    More,
    /// `TOP` has all its lines: call [`end_body`](super::Session::end_body) now.
    Enough,
}
