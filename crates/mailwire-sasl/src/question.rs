//! The question an authenticating server asks its application, and the answers.
//!
//! SMTP AUTH, POP3 USER / PASS, APOP and AUTH, and IMAP LOGIN and AUTHENTICATE all come
//! down to four questions, whatever the protocol: *is this password right*, *is this
//! bearer token good*, *what is this user's plaintext secret* (CRAM-MD5, APOP) and *what
//! are this user's SCRAM keys*. Every mailwire server session asks them as one
//! [`AuthQuestion`] and takes one [`AuthAnswer`].

use std::fmt;

use mailwire_core::Secret;

use crate::mechanism::Mechanism;
use crate::oauth::OAuthError;
use crate::scram::ScramKeys;

/// How a client proves who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// The protocol's own user-and-password command: IMAP `LOGIN` (RFC 3501 §6.2.3), POP3
    /// `USER` / `PASS` (RFC 1939 §7).
    Login,
    /// POP3 `APOP` (RFC 1939 §7): an MD5 digest of the greeting's timestamp and a shared
    /// secret.
    Apop,
    /// A SASL mechanism (SMTP `AUTH`, POP3 `AUTH`, IMAP `AUTHENTICATE`).
    Sasl(Mechanism),
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Method::Login => f.write_str("LOGIN command"),
            Method::Apop => f.write_str("APOP"),
            Method::Sasl(mechanism) => write!(f, "SASL {mechanism}"),
        }
    }
}

/// What a server needs its application to decide before a client is authenticated.
///
/// Each variant names the answers that fit it; any question may be answered with
/// [`AuthAnswer::Reject`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthQuestion {
    /// Check a password (`LOGIN`, `USER` / `PASS`, PLAIN, LOGIN). Answer
    /// [`AuthAnswer::Accept`], or [`AuthAnswer::AcceptAs`] with the account's canonical
    /// name. When `authzid` is given, check also that `authcid` may act as it.
    Password {
        /// How the password came.
        method: Method,
        /// The authentication identity: the user name the client gave.
        authcid: String,
        /// The authorization identity, when the client named one (PLAIN).
        authzid: Option<String>,
        /// The password.
        password: Secret<String>,
    },
    /// Check a bearer token (XOAUTH2, OAUTHBEARER) and find whom it was issued to. Answer
    /// [`AuthAnswer::AcceptAs`] naming that subject, or [`AuthAnswer::RejectToken`] to
    /// send the client a specific error. [`AuthAnswer::Accept`] does not fit: nothing the
    /// client claims proves who it is, only the token does.
    Token {
        /// The mechanism.
        method: Method,
        /// What the client names, which the token does not prove by itself: XOAUTH2's
        /// `user=` (the account the client says the token is for) or OAUTHBEARER's `a=`
        /// (the authorization identity, RFC 7628 §3.1; check that the token's subject may
        /// act as it).
        user: Option<String>,
        /// The token.
        token: Secret<String>,
        /// OAUTHBEARER's `host=`, the server name the client contacted.
        host: Option<String>,
        /// OAUTHBEARER's `port=`.
        port: Option<u16>,
    },
    /// Look up the user's plaintext secret (CRAM-MD5, APOP); the session checks the
    /// client's digest against it in constant time. Answer [`AuthAnswer::Secret`]. Both
    /// methods rest on MD5 and need the secret stored in plaintext: offer them only to
    /// clients that know nothing better.
    Secret {
        /// The mechanism.
        method: Method,
        /// The user name the client gave.
        authcid: String,
    },
    /// Look up the user's stored SCRAM keys (SCRAM-SHA-256); the session checks the
    /// client's proof against them. Answer [`AuthAnswer::ScramKeys`].
    ///
    /// Rejecting here tells the client at once that the user does not exist. To hide which
    /// users exist (RFC 5802 §9), answer with keys derived from a server secret and the
    /// user name instead: the proof then fails one round later, like a wrong password.
    ScramKeys {
        /// The mechanism.
        method: Method,
        /// The user name the client gave.
        authcid: String,
        /// The authorization identity, when the client named one.
        authzid: Option<String>,
    },
}

impl AuthQuestion {
    /// How the client is authenticating.
    pub fn method(&self) -> Method {
        match self {
            AuthQuestion::Password { method, .. }
            | AuthQuestion::Token { method, .. }
            | AuthQuestion::Secret { method, .. }
            | AuthQuestion::ScramKeys { method, .. } => *method,
        }
    }

    /// The user name the client gave (for a token, the user it claims, if any).
    pub fn user(&self) -> Option<&str> {
        match self {
            AuthQuestion::Password { authcid, .. }
            | AuthQuestion::Secret { authcid, .. }
            | AuthQuestion::ScramKeys { authcid, .. } => Some(authcid),
            AuthQuestion::Token { user, .. } => user.as_deref(),
        }
    }

    /// Which of the four questions this is.
    pub fn kind(&self) -> AuthQuestionKind {
        match self {
            AuthQuestion::Password { .. } => AuthQuestionKind::Password,
            AuthQuestion::Token { .. } => AuthQuestionKind::Token,
            AuthQuestion::Secret { .. } => AuthQuestionKind::Secret,
            AuthQuestion::ScramKeys { .. } => AuthQuestionKind::ScramKeys,
        }
    }
}

/// The four questions of [`AuthQuestion`], without their data: what a misuse error says
/// was pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthQuestionKind {
    /// [`AuthQuestion::Password`].
    Password,
    /// [`AuthQuestion::Token`].
    Token,
    /// [`AuthQuestion::Secret`].
    Secret,
    /// [`AuthQuestion::ScramKeys`].
    ScramKeys,
}

impl fmt::Display for AuthQuestionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AuthQuestionKind::Password => "password check",
            AuthQuestionKind::Token => "token check",
            AuthQuestionKind::Secret => "secret lookup",
            AuthQuestionKind::ScramKeys => "SCRAM key lookup",
        })
    }
}

/// The application's answer to an [`AuthQuestion`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthAnswer {
    /// [`AuthQuestion::Password`]: the password is right; the identity is the one the client
    /// gave.
    Accept,
    /// [`AuthQuestion::Password`] or [`AuthQuestion::Token`]: the credentials are good, for
    /// this account — the user's canonical name, or the subject the token was issued to.
    /// The authorization identity stays the one the client asked for.
    AcceptAs(String),
    /// [`AuthQuestion::Secret`]: the user's plaintext secret.
    Secret(Secret<String>),
    /// [`AuthQuestion::ScramKeys`]: the user's stored keys.
    ScramKeys(ScramKeys),
    /// Any question: wrong credentials, an unknown user, or an authzid the user may not act
    /// as. A token is refused with the mechanism's generic error challenge.
    Reject,
    /// [`AuthQuestion::Token`]: refused, with this error sent to the client as the
    /// mechanism's JSON challenge.
    RejectToken(OAuthError),
}

impl AuthAnswer {
    /// Whether this answer fits `question`.
    pub fn fits(&self, question: AuthQuestionKind) -> bool {
        matches!(
            (self, question),
            (AuthAnswer::Reject, _)
                | (AuthAnswer::Accept, AuthQuestionKind::Password)
                | (
                    AuthAnswer::AcceptAs(_),
                    AuthQuestionKind::Password | AuthQuestionKind::Token
                )
                | (AuthAnswer::Secret(_), AuthQuestionKind::Secret)
                | (AuthAnswer::ScramKeys(_), AuthQuestionKind::ScramKeys)
                | (AuthAnswer::RejectToken(_), AuthQuestionKind::Token)
        )
    }
}

impl fmt::Display for AuthAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AuthAnswer::Accept => "accept",
            AuthAnswer::AcceptAs(_) => "accept as",
            AuthAnswer::Secret(_) => "a secret",
            AuthAnswer::ScramKeys(_) => "SCRAM keys",
            AuthAnswer::Reject => "reject",
            AuthAnswer::RejectToken(_) => "reject token",
        })
    }
}

/// An [`AuthAnswer`] that does not fit the question pending (or came when none was),
/// handed back with what was pending. The exchange is left as it was.
pub type WrongAnswer = mailwire_core::Misuse<AuthQuestionKind, AuthAnswer>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_fit_their_questions() {
        use AuthQuestionKind as K;
        let keys = ScramKeys::derive("pencil", b"salt", 4096);
        let all = [K::Password, K::Token, K::Secret, K::ScramKeys];
        let cases = [
            (AuthAnswer::Accept, vec![K::Password]),
            (
                AuthAnswer::AcceptAs("kurt".into()),
                vec![K::Password, K::Token],
            ),
            (AuthAnswer::Secret(Secret::new("s".into())), vec![K::Secret]),
            (AuthAnswer::ScramKeys(keys), vec![K::ScramKeys]),
            (AuthAnswer::Reject, all.to_vec()),
            (
                AuthAnswer::RejectToken(OAuthError::invalid_token()),
                vec![K::Token],
            ),
        ];
        for (answer, fitting) in cases {
            for kind in all {
                assert_eq!(
                    answer.fits(kind),
                    fitting.contains(&kind),
                    "{answer} / {kind}"
                );
            }
        }
    }

    #[test]
    fn wrong_answer_says_what_was_pending() {
        let e = WrongAnswer {
            pending: Some(AuthQuestionKind::Token),
            answer: AuthAnswer::Accept,
        };
        assert_eq!(
            e.to_string(),
            "accept does not answer the pending token check"
        );
        let e = WrongAnswer {
            pending: None,
            answer: AuthAnswer::Reject,
        };
        assert_eq!(
            e.to_string(),
            "reject answers nothing: no question is pending"
        );
    }
}
