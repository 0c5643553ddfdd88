//! Why an exchange failed.

use crate::line::BadBase64;

/// Why a server-side exchange failed.
///
/// Every variant ends the exchange. A protocol answers them all with its "authentication
/// failed" reply (SMTP `535`, POP3 `-ERR`, IMAP `NO`), except [`AuthError::Cancelled`]
/// (SMTP `501`, IMAP `BAD`) and perhaps the malformed cases, which a server may count
/// towards its limit of errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The client's line was not valid base64.
    #[error("invalid base64 in the client's response")]
    BadEncoding(#[from] BadBase64),
    /// The decoded message does not follow the mechanism's grammar.
    #[error("malformed client message: {reason}")]
    Malformed {
        /// What was wrong, for logs.
        reason: &'static str,
    },
    /// The credentials are wrong, the user is unknown, or the application refused them.
    #[error("invalid credentials")]
    Credentials,
    /// The client sent `*`.
    #[error("authentication cancelled by the client")]
    Cancelled,
    /// A SCRAM client asked for channel binding (`p=` in its GS2 header), which this crate
    /// does not implement (it advertises no `-PLUS` mechanism).
    #[error("channel binding is not supported")]
    UnsupportedChannelBinding,
    /// A SCRAM client used a mandatory extension (`m=`) this crate does not know.
    #[error("unsupported SCRAM extension")]
    UnsupportedExtension,
    /// A message arrived when the exchange expected none: after it ended, or while it
    /// waited for the application's answer.
    #[error("unexpected message in the exchange")]
    UnexpectedMessage,
}

impl AuthError {
    pub(crate) const fn malformed(reason: &'static str) -> Self {
        AuthError::Malformed { reason }
    }
}

/// Why a client-side exchange failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server's line was not valid base64.
    #[error("invalid base64 in the server's challenge")]
    BadEncoding(#[from] BadBase64),
    /// The server's challenge does not follow the mechanism's grammar.
    #[error("malformed server challenge: {reason}")]
    Malformed {
        /// What was wrong, for logs.
        reason: &'static str,
    },
    /// A challenge arrived after the mechanism had said everything it has to say.
    #[error("unexpected challenge")]
    UnexpectedChallenge,
    /// The SCRAM server's nonce does not extend the client's.
    #[error("the server's nonce does not extend the client's")]
    NonceMismatch,
    /// The SCRAM server asked for an iteration count of 0 or above
    /// [`MAX_ITERATIONS`](crate::scram::MAX_ITERATIONS).
    #[error("refused SCRAM iteration count {0}")]
    IterationCount(u32),
    /// The SCRAM server asked for fewer iterations than the client's minimum
    /// ([`MIN_ITERATIONS`](crate::scram::MIN_ITERATIONS) unless set with
    /// [`ClientExchange::with_min_iterations`](crate::ClientExchange::with_min_iterations)):
    /// a man in the middle may be trying to make the proof cheap to attack offline.
    #[error("SCRAM iteration count {got} is below the minimum of {minimum}")]
    IterationCountTooLow {
        /// The count the server asked for.
        got: u32,
        /// The client's minimum.
        minimum: u32,
    },
    /// The SCRAM server's signature is wrong: it does not know the password, or someone
    /// is in the middle.
    #[error("the server's signature does not verify")]
    ServerSignature,
    /// The SCRAM server reported an error (`e=` in its final message), such as
    /// `invalid-proof`.
    #[error("the server reported: {0}")]
    ServerError(String),
    /// The server reported success before the mechanism could verify it (a SCRAM server
    /// that never sent its signature).
    #[error("the server reported success without proving its identity")]
    NotVerified,
    /// The server reported success before the client had sent everything the mechanism
    /// needs: PLAIN, XOAUTH2 or OAUTHBEARER before the initial response, LOGIN before
    /// the password, CRAM-MD5 before the challenge was answered.
    #[error("the server reported success before the exchange completed")]
    Incomplete,
    /// The server reported success after it refused the bearer token: RFC 7628 §3.2.3
    /// ends such an exchange in failure. [`ClientExchange::oauth_error`] still gives the
    /// server's error.
    ///
    /// [`ClientExchange::oauth_error`]: crate::ClientExchange::oauth_error
    #[error("the server reported success after refusing the token")]
    TokenRefused,
}

/// A value given to a constructor cannot go into the mechanism's messages.
///
/// - SCRAM nonces must be non-empty printable ASCII without `,` (RFC 5802 §7); CRAM-MD5
///   challenges non-empty printable ASCII (RFC 2195 wants a `msg-id`, such as
///   `<1896.697170952@postoffice.reston.mci.net>`).
/// - PLAIN's identities and password contain no NUL; the authcid and password are not
///   empty (RFC 4616 §2).
/// - Bearer tokens are RFC 6750 `b64token`s; XOAUTH2 and OAUTHBEARER fields contain no
///   `\x01`.
/// - SCRAM user names and authzids are not empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what}")]
pub struct InvalidInput {
    what: &'static str,
}

impl InvalidInput {
    pub(crate) const fn new(what: &'static str) -> Self {
        InvalidInput { what }
    }

    /// Which value was refused: `"nonce"`, `"authcid"`, `"token"`, ….
    pub const fn what(self) -> &'static str {
        self.what
    }
}
