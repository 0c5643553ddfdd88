//! The AUTHORIZATION state (RFC 1939 §4, §7; RFC 2595; RFC 5034; RFC 6856).

use mailwire_core::{Secret, Transport, line::LineFramer};
use mailwire_sasl::line::{self, Response};

use super::{Authenticating, Authorization, Event, Phase, PlaintextLogin, Server};
use crate::{
    argument::Mechanism,
    command::Command,
    response::{ResponseCode, Status},
};

impl Server {
    pub(super) fn plaintext_allowed(&self) -> bool {
        match self.config.plaintext_login {
            PlaintextLogin::Never => false,
            PlaintextLogin::RequireTls => self.tls,
            PlaintextLogin::Allow => true,
        }
    }

    /// Mechanisms that carry the password in clear (PLAIN, LOGIN) follow the `USER` / `PASS`
    /// rule for TLS.
    pub(super) fn mechanism_allowed(&self, mechanism: &Mechanism) -> bool {
        let plaintext = mechanism
            .as_str()
            .parse::<mailwire_sasl::Mechanism>()
            .is_ok_and(mailwire_sasl::Mechanism::sends_plaintext_secret);
        !plaintext || self.tls || self.config.plaintext_login == PlaintextLogin::Allow
    }

    pub(super) fn sasl_line(&mut self, line: &[u8]) {
        // The same line conventions as SMTP and IMAP: `*` cancels, base64 otherwise.
        match line::decode_response(line) {
            Ok(Response::Cancel) => {
                self.err("authentication cancelled");
                self.events.push_back(Event::SaslCancelled);
                self.phase = Phase::Authorization(Authorization::default());
            }
            Ok(Response::Data(data)) => {
                self.phase = Phase::Authenticating(Authenticating::SaslServer);
                self.events.push_back(Event::SaslResponse {
                    data: Secret::new(data),
                });
            }
            Err(_) => self.login_failed(None),
        }
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
                    self.events.push_back(Event::CheckPassword {
                        user: user.clone(),
                        password,
                    });
                    self.phase = Phase::Authenticating(Authenticating::Password { user });
                }
                None => self.error("send USER first"),
            },
            Command::Apop { name, digest } => {
                if self.timestamp.is_none() {
                    return self.error("APOP not supported");
                }
                self.events
                    .push_back(Event::ApopSecret { user: name.clone() });
                self.phase = Phase::Authenticating(Authenticating::Apop { user: name, digest });
            }
            Command::Auth {
                mechanism,
                initial_response,
            } => {
                if !self.config.sasl_mechanisms.contains(&mechanism) {
                    return self.error("unsupported authentication mechanism");
                }
                if !self.mechanism_allowed(&mechanism) {
                    return self.error("mechanism needs TLS");
                }
                let initial_response = initial_response.map(|ir| ir.into_secret());
                self.events.push_back(Event::SaslStart {
                    mechanism,
                    initial_response,
                });
                self.phase = Phase::Authenticating(Authenticating::SaslServer);
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
                self.input.clear();
                self.utf8 = false;
                self.framer = LineFramer::new(self.framer_len());
                self.transport = Transport::StartTls;
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
                self.transport = Transport::Close;
            }
            _ => self.error("command not valid in the AUTHORIZATION state"),
        }
    }

    pub(super) fn framer_len(&self) -> usize {
        self.config.max_command_line.max(self.config.max_sasl_line)
    }
}
