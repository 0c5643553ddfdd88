//! Authentication: one trait answers every protocol's login.

use std::future::Future;
use std::net::IpAddr;

use mailwire_sasl::{AuthAnswer, AuthQuestion};

/// Checks credentials for SMTP AUTH, POP3 USER / PASS / APOP / AUTH and IMAP LOGIN /
/// AUTHENTICATE alike.
///
/// Every login method asks one of four [`AuthQuestion`]s — check a password, check a
/// bearer token, look up the plaintext secret (CRAM-MD5, APOP) or the SCRAM keys — and the
/// sessions run the rest of the exchange (digests, proofs, constant-time comparison). An
/// implementation answers the questions it can and [`AuthAnswer::Reject`]s the others;
/// the servers offer only the mechanisms their configuration lists.
///
/// ```
/// use mailwire_sasl::{AuthAnswer, AuthQuestion};
/// use mailwire_server::Authenticator;
///
/// struct OneUser;
///
/// impl Authenticator for OneUser {
///     async fn authenticate(&self, question: AuthQuestion, _peer: std::net::IpAddr) -> AuthAnswer {
///         match question {
///             AuthQuestion::Password { authcid, password, authzid: None, .. }
///                 if authcid == "fred" && password.expose() == "secret" => AuthAnswer::Accept,
///             _ => AuthAnswer::Reject,
///         }
///     }
/// }
/// ```
pub trait Authenticator: Send + Sync + 'static {
    /// Answers `question`, asked on a connection from `peer`.
    fn authenticate(
        &self,
        question: AuthQuestion,
        peer: IpAddr,
    ) -> impl Future<Output = AuthAnswer> + Send;

    /// The account `user` names, as the [`Throttle`](crate::Throttle) counts failed
    /// logins: an implementation that takes several names for one account (`alice`,
    /// `Alice@Example.org`) gives all of them one key, so that spreading guesses over the
    /// names earns no extra attempts. The name as given unless overridden.
    fn account_key(&self, user: &str) -> String {
        user.to_owned()
    }
}
