//! AUTH (RFC 4954) on the server side, run through mailwire-sasl's exchanges.

use mailwire_core::Secret;
use mailwire_sasl::{
    AuthError, Mechanism as SaslMechanism, ScramKeys, ServerExchange, ServerStep, line,
};

use super::{Error, Event, Pending, Phase, Session};
use crate::command::Verb;
use crate::mechanism::Mechanism;
use crate::reply::Reply;

impl Session {
    /// Answers [`Event::LookupSecret`] (CRAM-MD5) with the user's secret.
    pub fn provide_secret(&mut self, secret: &Secret<String>) -> Result<(), Error> {
        let Phase::Pending(Pending::Auth(exchange)) = &mut self.phase else {
            return Err(Error::NotAuthenticating);
        };
        let step = exchange
            .provide_secret(secret)
            .map_err(|_| Error::NotAuthenticating)?;
        self.continue_auth(step)
    }

    /// Answers [`Event::LookupScramKeys`] (SCRAM-SHA-256) with the user's stored keys.
    pub fn provide_scram_keys(&mut self, keys: ScramKeys) -> Result<(), Error> {
        let Phase::Pending(Pending::Auth(exchange)) = &mut self.phase else {
            return Err(Error::NotAuthenticating);
        };
        let step = exchange
            .provide_scram_keys(keys)
            .map_err(|_| Error::NotAuthenticating)?;
        self.continue_auth(step)
    }

    pub(super) fn continue_auth(&mut self, step: ServerStep) -> Result<(), Error> {
        if let Phase::Pending(Pending::Auth(exchange)) =
            std::mem::replace(&mut self.phase, Phase::Command)
        {
            self.auth_step(exchange, step);
        }
        self.process();
        Ok(())
    }

    /// Sets the nonce for the next CRAM-MD5 or SCRAM-SHA-256 exchange (the session draws
    /// no random numbers). Give a fresh one, unpredictable and printable ASCII without
    /// `,`, before each; without one those mechanisms get `454 4.7.0`.
    pub fn set_auth_nonce(&mut self, nonce: impl Into<String>) {
        self.auth_nonce = Some(nonce.into());
    }

    /// Answers [`Event::VerifyToken`] (XOAUTH2, OAUTHBEARER): the token is good, and it
    /// grants access to `subject`, the account the application found it was issued for.
    ///
    /// A bearer token names no verified user by itself, so tokens are accepted with this
    /// method rather than [`accept`](Self::accept).
    pub fn accept_token(&mut self, subject: &str) -> Result<(), Error> {
        let Phase::Pending(Pending::Auth(exchange)) = &mut self.phase else {
            return Err(Error::NotAuthenticating);
        };
        let step = exchange
            .accept_as(subject)
            .map_err(|_| Error::NotAuthenticating)?;
        self.continue_auth(step)
    }

    pub(super) fn accept_auth(&mut self, mut exchange: Box<ServerExchange>) -> Result<(), Error> {
        match exchange.accept() {
            Ok(step) => {
                self.auth_step(exchange, step);
                self.process();
                Ok(())
            }
            Err(_) => {
                // A token waits for `accept_token`; the question stays open.
                self.phase = Phase::Pending(Pending::Auth(exchange));
                Err(Error::NotAuthenticating)
            }
        }
    }

    /// Acts on what the SASL exchange needs next.
    pub(super) fn auth_step(&mut self, exchange: Box<ServerExchange>, step: ServerStep) {
        let mechanism = exchange.mechanism();
        let question = match step {
            ServerStep::Challenge(challenge) => {
                self.send(Reply::fixed(334, None, &line::encode_challenge(&challenge)));
                self.phase = Phase::AuthResponse(exchange);
                return;
            }
            ServerStep::VerifyPassword {
                authcid,
                authzid,
                password,
            } => Event::VerifyPassword {
                mechanism,
                authcid,
                authzid,
                password,
            },
            ServerStep::LookupSecret { authcid } => Event::LookupSecret { authcid },
            ServerStep::LookupScramKeys { authcid, authzid } => {
                Event::LookupScramKeys { authcid, authzid }
            }
            ServerStep::VerifyToken {
                user,
                token,
                host,
                port,
            } => Event::VerifyToken {
                mechanism,
                user,
                token,
                host,
                port,
            },
            ServerStep::Success { identity, .. } => {
                self.phase = Phase::Command;
                self.authenticated = true;
                self.events.push_back(Event::Authenticated {
                    mechanism,
                    identity,
                });
                self.send(Reply::fixed(
                    235,
                    Some((2, 7, 0)),
                    "Authentication successful",
                ));
                return;
            }
            ServerStep::Failure(error) => {
                self.phase = Phase::Command;
                let reply = match error {
                    AuthError::Cancelled => {
                        Reply::fixed(501, Some((5, 0, 0)), "Authentication cancelled")
                    }
                    AuthError::BadEncoding(_) | AuthError::Malformed { .. } => {
                        Reply::fixed(501, Some((5, 5, 2)), "Malformed authentication response")
                    }
                    _ => Reply::fixed(535, Some((5, 7, 8)), "Authentication credentials invalid"),
                };
                self.events
                    .push_back(Event::AuthFailed { mechanism, error });
                return self.fail(reply);
            }
        };
        self.events.push_back(question);
        self.phase = Phase::Pending(Pending::Auth(exchange));
    }

    /// The mechanisms AUTH offers now: none once authenticated, and over an unencrypted
    /// connection only those that send no reusable secret, unless allowed.
    pub(super) fn offered_mechanisms(&self) -> impl Iterator<Item = SaslMechanism> + '_ {
        let clear_ok = self.tls || self.config.auth_without_tls;
        self.config
            .auth_mechanisms
            .iter()
            .copied()
            .filter(move |m| !self.authenticated && (clear_ok || !m.sends_plaintext_secret()))
    }

    pub(super) fn on_auth(&mut self, mechanism: &Mechanism, initial: Option<&str>) {
        if self.config.auth_mechanisms.is_empty() {
            return self.fail(Reply::fixed(502, Some((5, 5, 1)), "AUTH not available"));
        }
        if self.authenticated {
            return self.fail(Reply::fixed(503, Some((5, 5, 1)), "Already authenticated"));
        }
        if self.hello.is_none() {
            return self.fail(Reply::fixed(503, Some((5, 5, 1)), "Send EHLO first"));
        }
        if self.hello == Some(Verb::Helo) {
            return self.fail(Reply::fixed(503, Some((5, 5, 1)), "AUTH needs EHLO"));
        }
        if self.tx.is_some() {
            let text = "AUTH not allowed during a transaction";
            return self.fail(Reply::fixed(503, Some((5, 5, 1)), text));
        }
        let requested = mechanism.as_str().parse::<SaslMechanism>().ok();
        let Some(requested) = requested.filter(|m| self.config.auth_mechanisms.contains(m)) else {
            let text = "Unrecognized authentication type";
            return self.fail(Reply::fixed(504, Some((5, 5, 4)), text));
        };
        if !self.offered_mechanisms().any(|m| m == requested) {
            let text = "Encryption required for requested authentication mechanism";
            return self.fail(Reply::fixed(538, Some((5, 7, 11)), text));
        }
        let needs_nonce = matches!(
            requested,
            SaslMechanism::CramMd5 | SaslMechanism::ScramSha256
        );
        let nonce = if needs_nonce {
            self.auth_nonce.take()
        } else {
            Some(String::new())
        };
        let exchange = nonce.and_then(|n| ServerExchange::new(requested, &n).ok());
        let Some(mut exchange) = exchange else {
            let text = "Temporary authentication failure";
            return self.send(Reply::fixed(454, Some((4, 7, 0)), text));
        };
        let step = exchange.start_line(initial.map(str::as_bytes));
        self.auth_step(Box::new(exchange), step);
    }
}
