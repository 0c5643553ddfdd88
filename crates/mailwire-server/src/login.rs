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
        let delay = self.throttle.delay(self.peer, question.user());
        if !delay.is_zero() {
            tracing::debug!(?delay, "login attempt delayed after earlier failures");
            tokio::time::sleep(delay).await;
        }
        self.auth.authenticate(question, self.peer).await
    }

    pub(crate) fn succeeded(&self, method: &Method, identity: &Identity) {
        let user = identity.acting_as();
        self.throttle.succeeded(self.peer, &identity.authcid);
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
        self.throttle.failed(self.peer, user);
        tracing::warn!(%method, user, %error, failures, "authentication failed");
    }
}
