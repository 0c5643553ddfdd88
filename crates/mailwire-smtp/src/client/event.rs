//! What the client session reports to the application.

use std::fmt;
use std::time::Duration;

use crate::types::capability::EhloResponse;
use crate::types::path::ForwardPath;
use crate::types::reply::Reply;
use mailwire_sasl::Mechanism;

/// What the client session reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The connection is set up (greeting, EHLO, STARTTLS and AUTH as configured): messages
    /// can be sent.
    Ready {
        /// What the server offers; `None` if it only understood HELO.
        capabilities: Option<EhloResponse>,
    },
    /// AUTH succeeded.
    Authenticated {
        /// The mechanism used.
        mechanism: Mechanism,
    },
    /// The server answered one RCPT.
    Recipient {
        /// The recipient.
        recipient: ForwardPath,
        /// The server's reply; 2xx means accepted.
        reply: Reply,
    },
    /// The body may now be written with [`Session::write_body`](super::Session::write_body)
    /// and ended with [`Session::finish_body`](super::Session::finish_body).
    SendBody,
    /// The transaction is over; the session is ready for the next message.
    MessageDone {
        /// One result per recipient of the envelope, in order: the RCPT reply for a refused
        /// recipient, the reply after the data for an accepted one (in LMTP, its own).
        results: Vec<RecipientResult>,
    },
    /// The server answered [`Session::reset`](super::Session::reset): the session is ready
    /// for the next message.
    Reset,
    /// The message was not sent; the session is ready for the next one.
    MessageFailed {
        /// Why.
        reason: MessageFailure,
    },
    /// The connection cannot be used for mail; the session closes it (after QUIT when the
    /// server is still listening).
    Failed {
        /// Why.
        reason: Failure,
    },
}

/// The outcome for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientResult {
    /// The recipient.
    pub recipient: ForwardPath,
    /// The reply that decided it; 2xx means delivered or queued.
    pub reply: Reply,
}

impl RecipientResult {
    /// Whether the server took responsibility for this recipient.
    pub fn is_delivered(&self) -> bool {
        self.reply.code().is_success()
    }
}

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MessageFailure {
    /// The message is larger than the server's SIZE limit; nothing was sent.
    TooBig {
        /// The server's limit.
        limit: u64,
    },
    /// 8-bit content and the server does not offer 8BITMIME; nothing was sent.
    EightBitUnsupported,
    /// Binary content and the server does not offer CHUNKING and BINARYMIME.
    BinaryUnsupported,
    /// The message needs SMTPUTF8 and the server does not offer it.
    Utf8Unsupported,
    /// The envelope asks for REQUIRETLS and the server does not offer it over TLS.
    RequireTlsUnsupported,
    /// The server refused MAIL FROM.
    MailRejected {
        /// Its reply.
        reply: Reply,
    },
}

/// Why the connection cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// The greeting was not 220.
    Greeting {
        /// The server's reply.
        reply: Reply,
    },
    /// Neither EHLO (LHLO) nor HELO was accepted.
    Hello {
        /// The server's last reply.
        reply: Reply,
    },
    /// TLS is required and the server does not offer it or refused STARTTLS.
    TlsUnavailable,
    /// Credentials are configured and the server offers no mechanism the client can use
    /// on this connection.
    NoMechanism,
    /// The server refused the credentials.
    AuthFailed {
        /// Its reply.
        reply: Reply,
    },
    /// The server said AUTH succeeded without proving it knows the password (SCRAM's
    /// server signature was missing or wrong).
    ServerNotVerified,
    /// The server is shutting down (421).
    ServiceClosing {
        /// Its reply.
        reply: Reply,
    },
    /// The server sent something that is not a reply, or a reply nothing asked for.
    Protocol,
    /// The server refused RSET, which it must always accept (RFC 5321 §4.1.1.5).
    ResetRefused {
        /// Its reply.
        reply: Reply,
    },
    /// The connection closed.
    ConnectionLost,
    /// The server said nothing for as long as the step's timeout allows
    /// ([`Timeouts`](super::Timeouts), RFC 5321 §4.5.3.2).
    TimedOut {
        /// The timeout that ran out.
        after: Duration,
    },
}

/// A reply on one line, without its final CRLF: `550 5.1.1 no such user / second line`.
struct OneLine<'a>(&'a Reply);

impl fmt::Display for OneLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_string().trim_end().replace("\r\n", " / "))
    }
}

impl fmt::Display for Failure {
    /// Why the connection cannot be used, in a short lowercase sentence with the server's
    /// reply on one line.
    ///
    /// ```
    /// use mailwire_smtp::Reply;
    /// use mailwire_smtp::client::Failure;
    ///
    /// let reply = Reply::new(535, "go away").unwrap();
    /// assert_eq!(
    ///     Failure::AuthFailed { reply }.to_string(),
    ///     "authentication failed: 535 go away"
    /// );
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Greeting { reply } => write!(f, "the server's greeting was {}", OneLine(reply)),
            Self::Hello { reply } => write!(f, "EHLO and HELO were refused: {}", OneLine(reply)),
            Self::TlsUnavailable => {
                f.write_str("the server does not offer STARTTLS, or refused it")
            }
            Self::NoMechanism => {
                f.write_str("the server offers no AUTH mechanism usable on this connection")
            }
            Self::AuthFailed { reply } => write!(f, "authentication failed: {}", OneLine(reply)),
            Self::ServerNotVerified => {
                f.write_str("the server did not prove it knows the password")
            }
            Self::ServiceClosing { reply } => {
                write!(f, "the server is closing: {}", OneLine(reply))
            }
            Self::Protocol => f.write_str("the server broke the protocol"),
            Self::ResetRefused { reply } => {
                write!(f, "the server refused RSET: {}", OneLine(reply))
            }
            Self::ConnectionLost => f.write_str("the connection closed"),
            Self::TimedOut { after } => write!(f, "no reply within {after:?}"),
        }
    }
}

impl std::error::Error for Failure {}

impl fmt::Display for MessageFailure {
    /// Why the message was not sent, in a short lowercase sentence.
    ///
    /// ```
    /// use mailwire_smtp::client::MessageFailure;
    ///
    /// assert_eq!(
    ///     MessageFailure::TooBig { limit: 1000 }.to_string(),
    ///     "the message is larger than the server's limit of 1000 octets"
    /// );
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooBig { limit } => write!(
                f,
                "the message is larger than the server's limit of {limit} octets"
            ),
            Self::EightBitUnsupported => {
                f.write_str("the message is 8-bit and the server does not offer 8BITMIME")
            }
            Self::BinaryUnsupported => f.write_str(
                "the message is binary and the server does not offer CHUNKING and BINARYMIME",
            ),
            Self::Utf8Unsupported => {
                f.write_str("the message needs SMTPUTF8 and the server does not offer it")
            }
            Self::RequireTlsUnsupported => {
                f.write_str("REQUIRETLS was asked for and the server does not offer it over TLS")
            }
            Self::MailRejected { reply } => {
                write!(f, "the server refused the sender: {}", OneLine(reply))
            }
        }
    }
}

impl std::error::Error for MessageFailure {}

impl fmt::Display for RecipientResult {
    /// The recipient and the reply that decided it: `<b@example.org>: 250 2.0.0 OK`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.recipient, OneLine(&self.reply))
    }
}
