//! What the three protocol servers do alike when a client logs in.

use std::net::IpAddr;
use std::sync::Arc;

use mailwire_sasl::{AuthAnswer, AuthError, AuthQuestion, Identity, Method};

use crate::{Authenticator, Throttle};

/// One connection's logins: asks the [`Authenticator`] after the throttle's delay, and
/// records outcomes in the throttle and the connection's tracing span.
#[derive(Debug)]
pub(crate) struct Login<A> {
    auth: Arc<A>,
    throttle: Arc<Throttle>,
    peer: IpAddr,
}

impl<A: Authenticator> Login<A> {
    pub(crate) fn new(auth: Arc<A>, throttle: Arc<Throttle>, peer: IpAddr) -> Self {
        Self {
            auth,
            throttle,
            peer,
        }
    }

    /// The application's answer to `question`, after any delay earlier failures earned.
    pub(crate) async fn answer(&self, question: AuthQuestion) -> AuthAnswer {
        let key = question.user().map(|user| self.auth.account_key(user));
        let delay = self.throttle.delay(self.peer, key.as_deref());
        if !delay.is_zero() {
            tracing::debug!(?delay, "login attempt delayed after earlier failures");
            tokio::time::sleep(delay).await;
        }
        self.auth.authenticate(question, self.peer).await
    }

    pub(crate) fn succeeded(&self, method: &Method, identity: &Identity) {
        let user = identity.acting_as();
        let key = self.auth.account_key(&identity.authcid);
        self.throttle.succeeded(self.peer, &key);
        tracing::Span::current().record("user", user);
        tracing::info!(%method, authcid = %identity.authcid, user, "authenticated");
    }

    pub(crate) fn failed(
        &self,
        method: &Method,
        user: Option<&str>,
        error: &AuthError,
        failures: u32,
    ) {
        let key = user.map(|user| self.auth.account_key(user));
        self.throttle.failed(self.peer, key.as_deref());
        tracing::warn!(%method, user, %error, failures, "authentication failed");
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Rejects everyone, and names each account by its lower-cased local part.
    struct Names;

    impl Authenticator for Names {
        async fn authenticate(&self, _question: AuthQuestion, _peer: IpAddr) -> AuthAnswer {
            AuthAnswer::Reject
        }

        fn account_key(&self, user: &str) -> String {
            let local = user.split('@').next().unwrap_or(user);
            local.to_ascii_lowercase()
        }
    }

    #[test]
    fn failures_count_against_the_account_whatever_name_the_client_used() {
        let throttle = Arc::new(Throttle::new());
        let first = Login::new(
            Arc::new(Names),
            Arc::clone(&throttle),
            [192, 0, 2, 1].into(),
        );
        first.failed(
            &Method::Login,
            Some("Alice@example.org"),
            &AuthError::Credentials,
            1,
        );
        // Another address, another spelling: the same account, so the same delay.
        let other: IpAddr = [192, 0, 2, 2].into();
        assert_eq!(
            throttle.delay(other, Some("alice")),
            Duration::from_millis(250)
        );
        assert_eq!(throttle.delay(other, Some("bob")), Duration::ZERO);
        let identity = Identity {
            authcid: "alice@example.org".to_owned(),
            authzid: None,
        };
        first.succeeded(&Method::Login, &identity);
        assert_eq!(throttle.delay(other, Some("ALICE")), Duration::ZERO);
    }
}
