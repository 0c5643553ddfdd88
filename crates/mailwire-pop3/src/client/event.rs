//! What the client session reports.

use bytes::Bytes;

use crate::{
    types::argument::MessageNumber,
    types::capability::Capability,
    types::command::Command,
    types::greeting::Greeting,
    types::listing::{ScanListing, UniqueIdListing},
    types::response::Response,
};

/// How the client logged in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoginMethod {
    /// `AUTH` with a SASL mechanism (RFC 5034).
    Sasl(mailwire_sasl::Mechanism),
    /// `APOP` (RFC 1939 §7).
    Apop,
    /// `USER` / `PASS` (RFC 1939 §7).
    UserPass,
}

/// An event from [`Session`](super::Session).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Greeting, `CAPA` and any `STLS` are done: call [`login`](super::Session::login).
    Ready {
        /// The greeting (after TLS, the one from before the upgrade).
        greeting: Greeting,
        /// The capabilities; empty if the server does not know `CAPA`.
        capabilities: Vec<Capability>,
    },
    /// The maildrop is open: the TRANSACTION commands may be sent.
    LoggedIn {
        /// The method that worked.
        method: LoginMethod,
    },
    /// The server refused the credentials (or the maildrop); [`login`](super::Session::login)
    /// may be tried again.
    LoginFailed {
        /// The server's answer, with its code (`[AUTH]`, `[IN-USE]`, `[SYS/TEMP]` …).
        response: Response,
    },
    /// The answer to `STAT`.
    Stat {
        /// Messages in the maildrop, not counting those marked deleted.
        count: u32,
        /// Their total size in octets.
        size: u64,
    },
    /// The answer to `LIST` (one entry for `LIST msg`).
    ScanListings {
        /// The listings.
        listings: Vec<ScanListing>,
    },
    /// The answer to `UIDL` (one entry for `UIDL msg`).
    UniqueIdListings {
        /// The listings.
        listings: Vec<UniqueIdListing>,
    },
    /// A piece of the message of `RETR` or `TOP`, unstuffed, in order.
    BodyChunk {
        /// The message.
        message: MessageNumber,
        /// The bytes.
        data: Bytes,
    },
    /// The message of `RETR` or `TOP` is complete.
    BodyEnd {
        /// The message.
        message: MessageNumber,
    },
    /// `DELE`, `RSET` or `NOOP` succeeded.
    Completed {
        /// The command.
        command: Command,
        /// The server's answer.
        response: Response,
    },
    /// The server answered a TRANSACTION command with `-ERR`.
    Failed {
        /// The command.
        command: Command,
        /// The server's answer.
        response: Response,
    },
    /// The session is over: `QUIT` answered (a `-ERR` means some deletions failed), or the
    /// server refused the connection or the required `STLS`.
    Closed {
        /// The server's last answer.
        response: Response,
    },
    /// The server accepted a SASL exchange without proving itself (SCRAM); the connection
    /// is closed without `QUIT`, so nothing is deleted.
    ServerNotVerified {
        /// Why the exchange does not trust the server.
        error: mailwire_sasl::ClientError,
    },
    /// The server sent nothing for [`Config::timeout`](super::Config::timeout) while an
    /// answer was due; the connection is closed without `QUIT`, so nothing is deleted.
    TimedOut,
    /// The server broke the protocol; the connection is closed.
    ProtocolError {
        /// What was wrong.
        reason: &'static str,
    },
}

/// The application called a method the session cannot honour in its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The method needs another state (before `Ready`, after logging in, after close …).
    #[error("{method} is not possible in the current state")]
    WrongState {
        /// The method called.
        method: &'static str,
    },
    /// No login method is both offered by the server and allowed by the configuration.
    #[error("no login method is both offered and allowed")]
    NoLoginMethod,
    /// The server does not offer this SASL mechanism, or it would send a password in clear
    /// over a connection the configuration does not allow it on.
    #[error("SASL mechanism {0} is not offered or not allowed")]
    MechanismNotAllowed(mailwire_sasl::Mechanism),
}
