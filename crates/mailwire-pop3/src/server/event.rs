//! What the server session asks of or tells the application.

use mailwire_core::Secret;

use super::maildrop::Deleted;
use crate::{
    argument::{Mechanism, MessageNumber, Password, UserName},
    listing::UniqueId,
};

/// An event from [`Server`](super::Server). Those marked *answer* wait for a call on the
/// session; the others are information.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// *Answer* with [`accept_credentials`](super::Server::accept_credentials) or
    /// [`reject_credentials`](super::Server::reject_credentials): `USER` then `PASS`.
    CheckPassword {
        /// The mailbox.
        user: UserName,
        /// The password.
        password: Password,
    },
    /// *Answer* with [`apop_secret`](super::Server::apop_secret): the session compares the
    /// digest itself.
    ApopSecret {
        /// The mailbox.
        user: UserName,
    },
    /// *Answer* with [`sasl_challenge`](super::Server::sasl_challenge),
    /// [`accept_sasl`](super::Server::accept_sasl) or
    /// [`reject_credentials`](super::Server::reject_credentials): `AUTH` started.
    SaslStart {
        /// One of the configured mechanisms.
        mechanism: Mechanism,
        /// The initial response, if the client sent one (empty for `=`).
        initial_response: Option<Secret<Vec<u8>>>,
    },
    /// *Answer* as for [`Event::SaslStart`]: the client's response to a challenge.
    SaslResponse {
        /// The decoded response.
        data: Secret<Vec<u8>>,
    },
    /// The client cancelled the SASL exchange with `*`; the session answered `-ERR`.
    SaslCancelled,
    /// A login failed. Counted so the application can slow down or lock out the source.
    LoginFailed {
        /// The user, when one was named.
        user: Option<String>,
        /// Failures on this connection so far.
        failures: u32,
    },
    /// *Answer* with [`open_maildrop`](super::Server::open_maildrop) or
    /// [`refuse_maildrop`](super::Server::refuse_maildrop): the credentials are good; lock
    /// and list the maildrop.
    OpenMaildrop {
        /// The authenticated user.
        user: String,
    },
    /// *Answer* with [`send_body`](super::Server::send_body) and
    /// [`end_body`](super::Server::end_body), or
    /// [`fail_body`](super::Server::fail_body): stream the message for `RETR`.
    Retrieve {
        /// The message.
        message: MessageNumber,
        /// Its unique-id.
        unique_id: UniqueId,
    },
    /// *Answer* as for [`Event::Retrieve`]: stream the message for `TOP`, from its start.
    /// The session passes on the header and `lines` body lines, and
    /// [`send_body`](super::Server::send_body) says when it has enough.
    Top {
        /// The message.
        message: MessageNumber,
        /// Its unique-id.
        unique_id: UniqueId,
        /// Body lines wanted.
        lines: u32,
    },
    /// *Answer* with [`finish_update`](super::Server::finish_update): `QUIT` in the
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

/// Whether [`send_body`](super::Server::send_body) wants more of the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFlow {
    /// Send the next chunk.
    More,
    /// `TOP` has all its lines: call [`end_body`](super::Server::end_body) now.
    Enough,
}

/// The application called an answer the session is not waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UsageError {
    /// No event asked for this answer.
    #[error("{answer} called while the session waits for no such answer")]
    Unexpected {
        /// The method called.
        answer: &'static str,
    },
}
