//! What the server session reports to the application.

use bytes::Bytes;

use crate::types::command::{Argument, Verb};
use crate::types::param::{MailParameters, RcptParameters};
use crate::types::path::{ForwardPath, Host, ReversePath};
use mailwire_sasl::{AuthError, AuthQuestion, Identity, Method};

/// What the server session reports. Events marked *decide* wait for the application's
/// answer ([`Session::accept`](super::Session::accept),
/// [`Session::reject`](super::Session::reject), [`Session::answer_auth`](super::Session::answer_auth)
/// …); the session reads no further command until it has it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The client introduced itself (HELO, EHLO or LHLO). Any transaction was reset.
    Hello {
        /// The client's name for itself (unverified).
        host: Host,
        /// Which greeting command it used.
        verb: Verb,
    },
    /// *Decide*: MAIL FROM. The session has already checked the parameters against what
    /// it offers.
    Mail {
        /// The sender.
        from: ReversePath,
        /// The parameters.
        params: MailParameters,
    },
    /// *Decide*: RCPT TO.
    Rcpt {
        /// The recipient.
        to: ForwardPath,
        /// The parameters.
        params: RcptParameters,
    },
    /// A piece of the message body, dot-unstuffed (DATA) or as sent (BDAT), in order.
    MessageData {
        /// The bytes, at most [`Config::chunk_size`](super::Config::chunk_size).
        chunk: Bytes,
    },
    /// *Decide*: the body is complete. In LMTP mode answer with
    /// [`Session::respond_per_recipient`](super::Session::respond_per_recipient) or let
    /// `accept` / `reject` answer for every recipient alike.
    Message {
        /// The sender.
        from: ReversePath,
        /// The accepted recipients, in order.
        recipients: Vec<ForwardPath>,
        /// Body octets received.
        size: u64,
    },
    /// The message under way was dropped; discard what [`Event::MessageData`] delivered.
    /// The session answers the client itself.
    MessageAborted {
        /// Why.
        reason: AbortReason,
    },
    /// The transaction was reset (RSET, or a new EHLO / HELO) before it completed.
    Reset,
    /// *Decide* (AUTH): the SASL exchange asks the application to check a password or a
    /// bearer token, or to look up a secret (CRAM-MD5) or SCRAM keys. Answer with
    /// [`Session::answer_auth`](super::Session::answer_auth).
    Auth {
        /// The question.
        question: AuthQuestion,
    },
    /// AUTH succeeded.
    Authenticated {
        /// How.
        method: Method,
        /// Who authenticated, and as whom they act.
        identity: Identity,
    },
    /// AUTH failed (wrong credentials, cancelled, malformed); the session answered the
    /// client. Failed attempts count towards [`Config::max_errors`](super::Config::max_errors).
    AuthFailed {
        /// How.
        method: Method,
        /// The user the client named, when it got that far.
        user: Option<String>,
        /// Why.
        error: AuthError,
        /// Failed attempts on this connection so far, this one included.
        failures: u32,
    },
    /// VRFY or EXPN, answered by the session with the configured reply
    /// ([`Config::vrfy_reply`](super::Config::vrfy_reply), `252` by default; `expn_reply`,
    /// `502`); reported for logging.
    Query {
        /// VRFY or EXPN.
        verb: Verb,
        /// The argument.
        query: Argument,
    },
}

/// Why a message was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AbortReason {
    /// The body grew past the size limit (`552 5.3.4`).
    TooBig,
    /// The body held a bare CR or LF and the policy is to reject (`550 5.6.0`).
    BareLineEnding,
    /// The client sent RSET between BDAT chunks.
    Reset,
    /// The connection closed, timed out or failed before the body ended.
    ConnectionLost,
}
