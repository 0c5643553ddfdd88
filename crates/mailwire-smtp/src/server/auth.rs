//! AUTH (RFC 4954) on the server side, run through mailwire-sasl's exchanges.

use mailwire_sasl::{
    AuthAnswer, AuthError, Mechanism as SaslMechanism, Method, ServerExchange, ServerStep, line,
};

use super::{Answer, Error, Event, Pending, Phase, Question, Session};
use crate::types::command::Verb;
use crate::types::mechanism::Mechanism;
use crate::types::reply::Reply;

impl Session {
    /// Answers the pending [`Event::Auth`] question: a password or token check, a secret
    /// lookup (CRAM-MD5) or SCRAM keys. An answer that does not fit the question, or comes
    /// when none is pending, is handed back in the error.
    pub fn answer_auth(&mut self, answer: AuthAnswer) -> Result<(), Error> {
        let Phase::Pending(Pending::Auth(exchange)) = &mut self.phase else {
            return Err(Error {
                pending: self.pending(),
                answer: Answer::Auth(answer),
            });
        };
        let step = exchange.answer(answer).map_err(|wrong| Error {
            pending: wrong.pending.map(Question::Auth),
            answer: Answer::Auth(wrong.answer),
        })?;
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

    /// Acts on what the SASL exchange needs next.
    pub(super) fn auth_step(&mut self, exchange: Box<ServerExchange>, step: ServerStep) {
        let mechanism = exchange.mechanism();
        let method = Method::Sasl(mechanism);
        match step {
            ServerStep::Challenge(challenge) => {
                self.send(Reply::fixed(334, None, &line::encode_challenge(&challenge)));
                self.phase = Phase::AuthResponse(exchange);
            }
            ServerStep::Question(question) => {
                self.auth_user = question.user().map(str::to_owned);
                self.conduit.push_event(Event::Auth { question });
                self.phase = Phase::Pending(Pending::Auth(exchange));
            }
            ServerStep::Success { identity, .. } => {
                self.phase = Phase::Command;
                self.authenticated = true;
                self.auth_user = None;
                self.conduit
                    .push_event(Event::Authenticated { method, identity });
                self.send(Reply::fixed(
                    235,
                    Some((2, 7, 0)),
                    "Authentication successful",
                ));
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
                self.auth_failures = self.auth_failures.saturating_add(1);
                self.conduit.push_event(Event::AuthFailed {
                    method,
                    user: self.auth_user.take(),
                    error,
                    failures: self.auth_failures,
                });
                // Failed attempts count towards the error limit, against guessing.
                self.fail(reply);
            }
        }
    }

    /// The mechanisms AUTH offers now: none once authenticated, and over an unencrypted
    /// connection only those that send no reusable secret, unless allowed.
    pub(super) fn offered_mechanisms(&self) -> impl Iterator<Item = SaslMechanism> + '_ {
        let clear_ok = self.tls || self.config.plaintext_auth;
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
