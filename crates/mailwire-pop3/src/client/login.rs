//! Choosing and running a login method (RFC 1939 §7, RFC 5034, RFC 6856 §2).

use mailwire_sasl::ClientExchange;

use super::{Error, Login, Phase, Session, wrong};
use crate::{
    types::argument::{InitialResponse, Mechanism, Password, UserName},
    types::capability::Capability,
    types::command::Command,
};

impl Session {
    /// Logs in with the best method offered and allowed: SASL `PLAIN`, APOP, `USER` /
    /// `PASS`. Possible after [`Event::Ready`](super::Event::Ready) or
    /// [`Event::LoginFailed`](super::Event::LoginFailed).
    ///
    /// When the server refuses `AUTH PLAIN` without a response code — a broken or
    /// disabled mechanism rather than bad credentials, which RFC 3206 marks `[AUTH]` —
    /// the next method is tried before the login is reported failed.
    pub fn login(&mut self, user: UserName, password: Password) -> Result<(), Error> {
        if !matches!(self.phase, Phase::Ready) {
            return Err(wrong("login"));
        }
        if !user.is_ascii()
            && self
                .capabilities
                .iter()
                .any(|c| matches!(c, Capability::Utf8 { .. }))
        {
            // RFC 6856 §2: a UTF-8 user name needs UTF8 first. Its answer needs no action: a
            // refusal shows in the login's own answer.
            self.send(Command::Utf8);
        }
        if self.offers(mailwire_sasl::Mechanism::Plain)
            && self.password_allowed()
            && let Ok(exchange) = ClientExchange::plain(None, user.as_str(), password.secret())
        {
            self.authenticate(exchange)?;
            if let Phase::LoggingIn(Login::Sasl { fallback, .. }) = &mut self.phase {
                *fallback = Some((user, password));
            }
            return Ok(());
        }
        self.login_without_sasl(user, password)?;
        self.process();
        Ok(())
    }

    /// Sends APOP, else `USER`, as offered and allowed.
    pub(super) fn login_without_sasl(
        &mut self,
        user: UserName,
        password: Password,
    ) -> Result<(), Error> {
        let password_ok = self.password_allowed();
        let timestamp = self.greeting.as_ref().and_then(|g| g.timestamp()).cloned();
        if let (Some(ts), true) = (timestamp, self.config.allow_apop) {
            let digest = ts.digest(password.secret());
            self.send(Command::Apop { name: user, digest });
            self.phase = Phase::LoggingIn(Login::Apop);
        } else if password_ok && (self.capabilities.is_empty() || self.has(&Capability::User)) {
            self.send(Command::User { name: user });
            self.phase = Phase::LoggingIn(Login::User { password });
        } else {
            return Err(Error::NoLoginMethod);
        }
        Ok(())
    }

    /// Logs in with a SASL exchange the application built, for any mechanism the server
    /// offers in `CAPA` (or any, if the server gave no capabilities). Possible after
    /// [`Event::Ready`](super::Event::Ready) or
    /// [`Event::LoginFailed`](super::Event::LoginFailed).
    ///
    /// Mechanisms that send the password in clear (PLAIN, LOGIN) need TLS unless the
    /// configuration allows plaintext passwords.
    pub fn authenticate(&mut self, mut exchange: ClientExchange) -> Result<(), Error> {
        if !matches!(self.phase, Phase::Ready) {
            return Err(wrong("authenticate"));
        }
        let sasl = exchange.mechanism();
        let offered = self.capabilities.is_empty() || self.offers(sasl);
        if !offered || (sasl.sends_plaintext_secret() && !self.password_allowed()) {
            return Err(Error::MechanismNotAllowed(sasl));
        }
        let mechanism =
            Mechanism::new(sasl.as_str()).map_err(|_| Error::MechanismNotAllowed(sasl))?;
        let (initial_response, later) = match exchange.initial_response() {
            None => (None, None),
            Some(data) => match InitialResponse::new(data.clone()) {
                Ok(ir) => (Some(ir), None),
                // Too long for the command line: it answers the first, empty challenge.
                Err(_) => (None, Some(data)),
            },
        };
        self.send(Command::Auth {
            mechanism,
            initial_response,
        });
        self.phase = Phase::LoggingIn(Login::Sasl {
            exchange: Box::new(exchange),
            later,
            fallback: None,
        });
        self.process();
        Ok(())
    }

    pub(super) fn password_allowed(&self) -> bool {
        self.tls || self.config.plaintext_auth
    }

    fn offers(&self, mechanism: mailwire_sasl::Mechanism) -> bool {
        self.capabilities.iter().any(|c| match c {
            Capability::Sasl { mechanisms } => {
                mechanisms.iter().any(|m| m.as_str() == mechanism.as_str())
            }
            _ => false,
        })
    }
}
