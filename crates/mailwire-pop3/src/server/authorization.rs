//! The AUTHORIZATION state (RFC 1939 §4, §7; RFC 2595; RFC 5034; RFC 6856).

use mailwire_core::line::LineFramer;
use mailwire_sasl::{
    AuthQuestion, Mechanism, Method, ServerExchange, ServerStep, line::encode_challenge,
};

use super::{Authenticating, Authorization, Event, Phase, PlaintextLogin, Sasl, Session};
use crate::{
    types::command::Command,
    types::response::{ResponseCode, Status},
};

impl Session {
    pub(super) fn plaintext_allowed(&self) -> bool {
        match self.config.plaintext_login {
            PlaintextLogin::Never => false,
            PlaintextLogin::RequireTls => self.tls,
            PlaintextLogin::Allow => true,
        }
    }

    /// Mechanisms that carry a reusable secret in clear (PLAIN, LOGIN, XOAUTH2,
    /// OAUTHBEARER) follow the `USER` / `PASS` rule for TLS.
    pub(super) fn mechanism_allowed(&self, mechanism: Mechanism) -> bool {
        !mechanism.sends_plaintext_secret()
            || self.tls
            || self.config.plaintext_login == PlaintextLogin::Allow
    }

    /// The client's response to a challenge: the same line conventions as SMTP and IMAP,
    /// `*` cancels and base64 otherwise.
    pub(super) fn sasl_line(&mut self, line: &[u8]) {
        match std::mem::replace(&mut self.phase, Phase::Closed) {
            Phase::Authenticating(Authenticating::SaslClient(mut sasl)) => {
                let step = sasl.exchange.receive_line(line);
                self.sasl_step(sasl, step);
            }
            other => self.phase = other,
        }
    }

    /// Acts on what the SASL exchange needs next.
    pub(super) fn sasl_step(&mut self, mut sasl: Sasl, step: ServerStep) {
        let method = Method::Sasl(sasl.exchange.mechanism());
        match step {
            ServerStep::Challenge(challenge) => {
                self.conduit.write(b"+ ");
                self.conduit.write(encode_challenge(&challenge).as_bytes());
                self.conduit.write(b"\r\n");
                self.phase = Phase::Authenticating(Authenticating::SaslClient(sasl));
            }
            ServerStep::Question(question) => {
                if let Some(user) = question.user() {
                    sasl.user = Some(user.to_owned());
                }
                self.conduit.push_event(Event::Auth { question });
                self.phase = Phase::Authenticating(Authenticating::SaslServer(sasl));
            }
            ServerStep::Success { identity, .. } => self.authenticated(method, identity),
            ServerStep::Failure(error) => self.auth_failed(method, sasl.user, error),
        }
    }

    /// `AUTH` (RFC 5034): starts an exchange for a configured mechanism.
    fn auth(&mut self, mechanism: &crate::Mechanism, initial_response: Option<&[u8]>) {
        let configured = mechanism
            .as_str()
            .parse::<Mechanism>()
            .ok()
            .filter(|m| self.config.sasl_mechanisms.contains(m));
        let Some(mechanism) = configured else {
            return self.error("unsupported authentication mechanism");
        };
        if !self.mechanism_allowed(mechanism) {
            return self.error("mechanism needs TLS");
        }
        let nonce = match mechanism {
            Mechanism::CramMd5 | Mechanism::ScramSha256 => self.auth_nonce.take(),
            _ => Some(String::new()),
        };
        let Some(mut exchange) = nonce.and_then(|n| ServerExchange::new(mechanism, &n).ok()) else {
            // Not the client's fault: the application gave no (usable) nonce.
            return self.reply(
                Status::Err,
                Some(ResponseCode::SysTemp),
                "authentication unavailable, try later",
            );
        };
        let step = exchange.start(initial_response);
        let sasl = Sasl {
            exchange: Box::new(exchange),
            user: None,
        };
        self.sasl_step(sasl, step);
    }

    pub(super) fn authorization(&mut self, mut auth: Authorization, command: Command) {
        self.phase = Phase::Authorization(Authorization::default());
        match command {
            Command::User { name } => {
                if !self.plaintext_allowed() {
                    let text = match self.config.plaintext_login {
                        PlaintextLogin::Never => "USER not supported",
                        _ if self.config.stls => "USER needs TLS, use STLS first",
                        _ => "USER needs TLS",
                    };
                    return self.error(text);
                }
                if !name.is_ascii() && !self.utf8 {
                    return self.reply(Status::Err, Some(ResponseCode::Utf8), "use UTF8 first");
                }
                self.ok("send PASS");
                self.phase = Phase::Authorization(Authorization { user: Some(name) });
            }
            Command::Pass { password } => match auth.user.take() {
                Some(user) => {
                    let question = AuthQuestion::Password {
                        method: Method::Login,
                        authcid: user.to_string(),
                        authzid: None,
                        password: password.into_secret(),
                    };
                    self.conduit.push_event(Event::Auth { question });
                    self.phase = Phase::Authenticating(Authenticating::Password { user });
                }
                None => self.error("send USER first"),
            },
            Command::Apop { name, digest } => {
                if self.timestamp.is_none() {
                    return self.error("APOP not supported");
                }
                let question = AuthQuestion::Secret {
                    method: Method::Apop,
                    authcid: name.to_string(),
                };
                self.conduit.push_event(Event::Auth { question });
                self.phase = Phase::Authenticating(Authenticating::Apop { user: name, digest });
            }
            Command::Auth {
                mechanism,
                initial_response,
            } => {
                let initial_response = initial_response.map(|ir| ir.into_secret());
                self.auth(
                    &mechanism,
                    initial_response.as_ref().map(|ir| ir.expose().as_slice()),
                );
            }
            Command::Capa => {
                self.phase = Phase::Authorization(auth);
                self.capa();
            }
            Command::Stls => {
                if !self.config.stls || self.tls {
                    return self.error("STLS not available");
                }
                self.ok("Begin TLS negotiation");
                // Anything the client sent after STLS predates the handshake (RFC 2595 §3.1),
                // and nothing said in plaintext carries over into TLS.
                self.conduit.start_tls();
                self.utf8 = false;
                self.framer = LineFramer::new(self.framer_len());
            }
            Command::Utf8 => {
                if !self.config.utf8 {
                    return self.error("UTF8 not supported");
                }
                self.utf8 = true;
                self.ok("UTF8 enabled");
            }
            Command::Quit => {
                let text = format!("{} POP3 server signing off", self.config.host);
                self.ok(&text);
                self.phase = Phase::Closed;
                self.conduit.close();
            }
            _ => self.error("command not valid in the AUTHORIZATION state"),
        }
    }

    pub(super) fn framer_len(&self) -> usize {
        self.config.max_command_line.max(self.config.max_sasl_line)
    }
}
