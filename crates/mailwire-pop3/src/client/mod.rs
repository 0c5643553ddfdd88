//! The client side of a POP3 conversation.
//!
//! [`Session`] reads the greeting, asks for the capabilities, upgrades with `STLS` as the
//! [`Config`] says, and then logs in with the best method that the server offers and the
//! configuration allows: SASL `PLAIN`, then APOP, then `USER` / `PASS` — or with any
//! [`mailwire_sasl::ClientExchange`] the application builds (SCRAM-SHA-256, OAUTHBEARER …).
//! Once logged in it sends the TRANSACTION commands the application asks for — all at once
//! when the server announced `PIPELINING`, one after another otherwise — and reports the
//! answers as [`Event`]s; message bodies arrive unstuffed, chunk by chunk.
//!
//! A body chunk is what the server sent minus the dot-stuffing, bare CR or LF included;
//! memory stays bounded by what one [`receive`](mailwire_core::Session::receive) brings.

mod config;
mod event;
mod login;

use std::{collections::VecDeque, time::Duration};

use base64::{Engine as _, engine::general_purpose::STANDARD};
use bytes::{Bytes, BytesMut};
use mailwire_core::{
    Conduit, Transport,
    dot::{BareLineEnding, DotUnstuffer, Unstuffed},
    line::{Frame, LineFramer},
};
use mailwire_sasl::ClientExchange;

pub use self::{
    config::{Config, StlsPolicy},
    event::{Error, Event, LoginMethod},
};
use crate::{
    codec::parse_continuation,
    types::argument::{MessageNumber, Password, UserName},
    types::capability::Capability,
    types::command::Command,
    types::greeting::Greeting,
    types::listing::{ListingError, ScanListing, UniqueIdListing},
    types::response::Response,
};

/// A POP3 client session for one connection.
///
/// A driver calls [`new`](Self::new), then any `with_*` method, then, round after round,
/// `poll_event` (answering each event), `transmit`, `transport` and `receive`; see
/// [`mailwire_core::Session`] for the details.
#[derive(Debug)]
pub struct Session {
    config: std::sync::Arc<Config>,
    phase: Phase,
    greeting: Option<Greeting>,
    capabilities: Vec<Capability>,
    tls: bool,
    framer: LineFramer,
    /// Input, output, events and transport.
    conduit: Conduit<Event>,
    /// Commands sent and not yet answered, oldest first.
    in_flight: VecDeque<Command>,
    /// Commands waiting for an answer to go out (no `PIPELINING`).
    queued: VecDeque<Command>,
    /// A multi-line answer being read.
    body: Option<Body>,
}

#[derive(Debug)]
enum Phase {
    Greeting,
    /// `CAPA` and `STLS` before login.
    Negotiating,
    /// Waiting for the application to call `login`.
    Ready,
    LoggingIn(Login),
    Transaction,
    Closed,
}

#[derive(Debug)]
enum Login {
    User {
        password: Password,
    },
    Pass,
    Apop,
    Sasl {
        exchange: Box<ClientExchange>,
        /// An initial response too long for the command line, for the first challenge.
        later: Option<Vec<u8>>,
        /// The credentials `login` chose SASL for, to try the next method with.
        fallback: Option<(UserName, Password)>,
    },
}

#[derive(Debug)]
enum Body {
    Capa(Vec<Capability>),
    Scan(Vec<ScanListing>),
    Uids(Vec<UniqueIdListing>),
    Message {
        message: MessageNumber,
        unstuffer: DotUnstuffer,
    },
}

fn wrong(method: &'static str) -> Error {
    Error::WrongState { method }
}

impl Session {
    /// A session for a new connection; it waits for the greeting.
    pub fn new(config: impl Into<std::sync::Arc<Config>>) -> Self {
        let config = config.into();
        Self {
            tls: config.implicit_tls,
            framer: LineFramer::new(config.max_line),
            config,
            phase: Phase::Greeting,
            greeting: None,
            capabilities: Vec::new(),
            conduit: Conduit::new(),
            in_flight: VecDeque::new(),
            queued: VecDeque::new(),
            body: None,
        }
    }

    /// The capabilities from the last `CAPA`.
    pub fn capabilities(&self) -> &[Capability] {
        &self.capabilities
    }

    /// Whether the connection is under TLS.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    fn has(&self, wanted: &Capability) -> bool {
        self.capabilities.contains(wanted)
    }

    fn pipelining(&self) -> bool {
        self.has(&Capability::Pipelining)
    }

    /// `STAT`.
    pub fn stat(&mut self) -> Result<(), Error> {
        self.transaction(Command::Stat, "stat")
    }

    /// `LIST`, for one message or all.
    pub fn list(&mut self, message: Option<MessageNumber>) -> Result<(), Error> {
        self.transaction(Command::List { message }, "list")
    }

    /// `UIDL`, for one message or all.
    pub fn uidl(&mut self, message: Option<MessageNumber>) -> Result<(), Error> {
        self.transaction(Command::Uidl { message }, "uidl")
    }

    /// `RETR`: the message arrives as [`Event::BodyChunk`]s and an [`Event::BodyEnd`].
    pub fn retr(&mut self, message: MessageNumber) -> Result<(), Error> {
        self.transaction(Command::Retr { message }, "retr")
    }

    /// `TOP`: the header and `lines` body lines, as for [`retr`](Self::retr).
    pub fn top(&mut self, message: MessageNumber, lines: u32) -> Result<(), Error> {
        self.transaction(Command::Top { message, lines }, "top")
    }

    /// `DELE`: marks the message; the server deletes it after `QUIT`.
    pub fn dele(&mut self, message: MessageNumber) -> Result<(), Error> {
        self.transaction(Command::Dele { message }, "dele")
    }

    /// `RSET`: unmarks every message.
    pub fn rset(&mut self) -> Result<(), Error> {
        self.transaction(Command::Rset, "rset")
    }

    /// `NOOP`.
    pub fn noop(&mut self) -> Result<(), Error> {
        self.transaction(Command::Noop, "noop")
    }

    /// `QUIT`: in TRANSACTION the server then deletes the marked messages.
    pub fn quit(&mut self) -> Result<(), Error> {
        match self.phase {
            Phase::Ready | Phase::Transaction => {
                self.send(Command::Quit);
                self.process();
                Ok(())
            }
            _ => Err(wrong("quit")),
        }
    }

    fn transaction(&mut self, command: Command, method: &'static str) -> Result<(), Error> {
        if !matches!(self.phase, Phase::Transaction) {
            return Err(wrong(method));
        }
        self.send(command);
        self.process();
        Ok(())
    }

    /// Writes `command` now, or queues it until the answers in flight are in.
    fn send(&mut self, command: Command) {
        if self.in_flight.is_empty() || (self.pipelining() && self.queued.is_empty()) {
            command.encode(self.conduit.output());
            self.in_flight.push_back(command);
        } else {
            self.queued.push_back(command);
        }
    }

    fn send_queued(&mut self) {
        while let Some(command) = self.queued.front() {
            if !self.in_flight.is_empty() && !self.pipelining() {
                break;
            }
            command.encode(self.conduit.output());
            if let Some(command) = self.queued.pop_front() {
                self.in_flight.push_back(command);
            }
        }
    }

    fn protocol_error(&mut self, reason: &'static str) {
        self.conduit.push_event(Event::ProtocolError { reason });
        self.close();
    }

    fn close(&mut self) {
        self.phase = Phase::Closed;
        self.conduit.close();
        self.queued.clear();
        self.in_flight.clear();
    }

    fn process(&mut self) {
        while self.conduit.is_open() && !matches!(self.phase, Phase::Closed) {
            if self.body.is_none()
                && self.in_flight.is_empty()
                && !matches!(self.phase, Phase::Greeting)
            {
                // Nothing asked: keep what the server sent until the application asks, but
                // not more than a line's worth.
                if self.conduit.input_len() > self.config.max_line {
                    self.protocol_error("data without a command");
                }
                return;
            }
            if let Some(Body::Message { .. }) = self.body {
                if !self.message_body() {
                    return;
                }
                continue;
            }
            let frame = self.framer.frame(self.conduit.input());
            let consumed = frame.consumed();
            let line = match frame {
                Frame::Line { line, .. } => Some(Ok(line.to_vec())),
                Frame::TooLong { .. } => Some(Err(())),
                Frame::Incomplete { .. } => None,
            };
            self.conduit.consume(consumed);
            match line {
                Some(Ok(line)) => {
                    if self.body.is_some() {
                        self.listing_line(&line);
                    } else {
                        self.status_line(&line);
                    }
                    self.send_queued();
                }
                Some(Err(())) => self.protocol_error("line too long"),
                None if consumed > 0 => {}
                None => return,
            }
        }
    }

    /// Feeds input to the unstuffer; false when it needs more.
    fn message_body(&mut self) -> bool {
        let Some(Body::Message { message, unstuffer }) = &mut self.body else {
            return false;
        };
        let message = *message;
        let mut data = BytesMut::new();
        let status = unstuffer.decode(self.conduit.input(), &mut data);
        if !data.is_empty() {
            self.conduit.push_event(Event::BodyChunk {
                message,
                data: data.freeze(),
            });
        }
        match status {
            Unstuffed::Partial => {
                self.conduit.clear_input();
                false
            }
            Unstuffed::Done { consumed } => {
                self.conduit.consume(consumed);
                self.body = None;
                self.in_flight.pop_front();
                self.conduit.push_event(Event::BodyEnd { message });
                self.send_queued();
                true
            }
        }
    }

    fn listing_line(&mut self, line: &[u8]) {
        if line == b"." {
            let body = self.body.take();
            self.in_flight.pop_front();
            match body {
                Some(Body::Capa(capabilities)) => self.capabilities_done(capabilities),
                Some(Body::Scan(listings)) => {
                    self.conduit.push_event(Event::ScanListings { listings });
                }
                Some(Body::Uids(listings)) => {
                    self.conduit
                        .push_event(Event::UniqueIdListings { listings });
                }
                Some(Body::Message { .. }) | None => {}
            }
            return;
        }
        let line = line.strip_prefix(b".").unwrap_or(line);
        let entries = match &self.body {
            Some(Body::Capa(caps)) => caps.len(),
            Some(Body::Scan(l)) => l.len(),
            Some(Body::Uids(l)) => l.len(),
            Some(Body::Message { .. }) | None => 0,
        };
        if entries >= self.config.max_listing_entries {
            return self.protocol_error("listing longer than the configured maximum");
        }
        let parsed: Result<(), ListingError> = match &mut self.body {
            Some(Body::Capa(caps)) => Capability::parse(line).map(|c| caps.push(c)),
            Some(Body::Scan(l)) => ScanListing::parse(line).map(|s| l.push(s)),
            Some(Body::Uids(l)) => UniqueIdListing::parse(line).map(|u| l.push(u)),
            Some(Body::Message { .. }) | None => Ok(()),
        };
        if parsed.is_err() {
            self.protocol_error("malformed listing line");
        }
    }

    fn status_line(&mut self, line: &[u8]) {
        if let Phase::LoggingIn(Login::Sasl {
            exchange, later, ..
        }) = &mut self.phase
            && let Some(challenge) = parse_continuation(line)
        {
            let reply = match later.take() {
                Some(data) => STANDARD.encode(data),
                // A challenge the mechanism cannot answer: cancel, and the server says -ERR.
                None => exchange
                    .respond_line(challenge)
                    .unwrap_or_else(|_| "*".to_owned()),
            };
            self.conduit.write(reply.as_bytes());
            self.conduit.write(b"\r\n");
            return;
        }
        let Ok(response) = Response::parse(line) else {
            return self.protocol_error("invalid status line");
        };
        if matches!(self.phase, Phase::Greeting) {
            return self.greeting(response);
        }
        let Some(command) = self.in_flight.front().cloned() else {
            return self.protocol_error("response without a command");
        };
        if response.is_ok() && command.has_multiline_response() {
            self.body = Some(match command {
                Command::Capa => Body::Capa(Vec::new()),
                Command::List { .. } => Body::Scan(Vec::new()),
                Command::Uidl { .. } => Body::Uids(Vec::new()),
                Command::Retr { message } | Command::Top { message, .. } => Body::Message {
                    message,
                    // Deliver what the server sent, minus the stuffing.
                    unstuffer: DotUnstuffer::new().with_bare_line_endings(BareLineEnding::Keep),
                },
                _ => return self.protocol_error("unexpected multi-line response"),
            });
            return;
        }
        self.in_flight.pop_front();
        self.answer(command, response);
    }

    fn greeting(&mut self, response: Response) {
        match Greeting::from_response(response.clone()) {
            Some(greeting) => {
                self.greeting = Some(greeting);
                self.phase = Phase::Negotiating;
                self.send(Command::Capa);
            }
            None => {
                self.conduit.push_event(Event::Closed { response });
                self.close();
            }
        }
    }

    fn capabilities_done(&mut self, capabilities: Vec<Capability>) {
        self.capabilities = capabilities;
        if !matches!(self.phase, Phase::Negotiating) {
            return;
        }
        let want_stls = !self.tls
            && match self.config.stls {
                StlsPolicy::Never => false,
                StlsPolicy::Opportunistic => self.has(&Capability::Stls),
                StlsPolicy::Required => true,
            };
        if want_stls {
            self.send(Command::Stls);
        } else {
            self.ready();
        }
    }

    fn ready(&mut self) {
        self.phase = Phase::Ready;
        if let Some(greeting) = self.greeting.clone() {
            let capabilities = self.capabilities.clone();
            self.conduit.push_event(Event::Ready {
                greeting,
                capabilities,
            });
        }
    }

    fn answer(&mut self, command: Command, response: Response) {
        match command {
            Command::Capa => {
                // A server without CAPA (RFC 1939 only).
                self.capabilities_done(Vec::new());
            }
            Command::Utf8 => {}
            Command::Stls if response.is_ok() => {
                self.conduit.start_tls();
                self.framer = LineFramer::new(self.config.max_line);
            }
            Command::Stls => match self.config.stls {
                StlsPolicy::Required => {
                    self.conduit.push_event(Event::Closed { response });
                    self.send(Command::Quit);
                    self.phase = Phase::Closed;
                    self.conduit.close();
                }
                _ => self.ready(),
            },
            Command::User { .. } => {
                let phase = std::mem::replace(&mut self.phase, Phase::Ready);
                match (phase, response.is_ok()) {
                    (Phase::LoggingIn(Login::User { password }), true) => {
                        self.send(Command::Pass { password });
                        self.phase = Phase::LoggingIn(Login::Pass);
                    }
                    _ => self.conduit.push_event(Event::LoginFailed { response }),
                }
            }
            Command::Auth { .. } => {
                let phase = std::mem::replace(&mut self.phase, Phase::Ready);
                let Phase::LoggingIn(Login::Sasl {
                    mut exchange,
                    fallback,
                    ..
                }) = phase
                else {
                    return self.protocol_error("AUTH answered outside an exchange");
                };
                if !response.is_ok() {
                    let retried = match fallback {
                        Some((user, password)) if response.code().is_none() => {
                            self.login_without_sasl(user, password).is_ok()
                        }
                        _ => false,
                    };
                    if !retried {
                        self.conduit.push_event(Event::LoginFailed { response });
                    }
                    return;
                }
                match exchange.finish(None) {
                    Ok(()) => {
                        self.phase = Phase::Transaction;
                        let method = LoginMethod::Sasl(exchange.mechanism());
                        self.conduit.push_event(Event::LoggedIn { method });
                    }
                    Err(error) => {
                        self.conduit.push_event(Event::ServerNotVerified { error });
                        self.close();
                    }
                }
            }
            Command::Pass { .. } | Command::Apop { .. } => {
                let method = match command {
                    Command::Pass { .. } => LoginMethod::UserPass,
                    _ => LoginMethod::Apop,
                };
                if response.is_ok() {
                    self.phase = Phase::Transaction;
                    self.conduit.push_event(Event::LoggedIn { method });
                } else {
                    self.phase = Phase::Ready;
                    self.conduit.push_event(Event::LoginFailed { response });
                }
            }
            Command::Quit => {
                self.conduit.push_event(Event::Closed { response });
                self.close();
            }
            command if !response.is_ok() => {
                self.conduit.push_event(Event::Failed { command, response });
            }
            Command::Stat => match parse_stat(response.text()) {
                Some((count, size)) => self.conduit.push_event(Event::Stat { count, size }),
                None => self.protocol_error("malformed STAT answer"),
            },
            Command::List { .. } => match ScanListing::parse(response.text().as_bytes()) {
                Ok(l) => self
                    .conduit
                    .push_event(Event::ScanListings { listings: vec![l] }),
                Err(_) => self.protocol_error("malformed LIST answer"),
            },
            Command::Uidl { .. } => match UniqueIdListing::parse(response.text().as_bytes()) {
                Ok(l) => self
                    .conduit
                    .push_event(Event::UniqueIdListings { listings: vec![l] }),
                Err(_) => self.protocol_error("malformed UIDL answer"),
            },
            command => self
                .conduit
                .push_event(Event::Completed { command, response }),
        }
    }
}

/// `count SP size [SP anything]` (RFC 1939 §5, the drop listing).
fn parse_stat(text: &str) -> Option<(u32, u64)> {
    let mut words = text.split(' ');
    let count = words.next()?;
    let size = words.next()?;
    let digits = |s: &str| !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(count) || !digits(size) {
        return None;
    }
    Some((count.parse().ok()?, size.parse().ok()?))
}

impl mailwire_core::Session for Session {
    type Event = Event;

    fn receive(&mut self, bytes: &[u8]) {
        if !self.conduit.is_open() {
            return;
        }
        self.conduit.push_input(bytes);
        self.process();
    }

    fn receive_eof(&mut self) {
        if !matches!(self.phase, Phase::Closed) {
            self.protocol_error("connection closed by the server");
        }
    }

    fn timed_out(&mut self) {
        if !matches!(self.phase, Phase::Closed) {
            self.conduit.push_event(Event::TimedOut);
            self.close();
        }
    }

    fn transmit(&mut self) -> Option<Bytes> {
        self.conduit.transmit()
    }

    fn poll_event(&mut self) -> Option<Event> {
        self.conduit.poll_event()
    }

    fn transport(&self) -> Transport {
        self.conduit.transport()
    }

    fn tls_established(&mut self) {
        if self.conduit.tls_established() {
            self.tls = true;
            // RFC 2595 §4: forget what was learnt before TLS, ask again.
            self.capabilities.clear();
            self.send(Command::Capa);
        }
    }

    fn timeout(&self) -> Option<Duration> {
        (!matches!(self.phase, Phase::Closed)).then_some(self.config.timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_answers() {
        assert_eq!(parse_stat("2 320"), Some((2, 320)));
        assert_eq!(parse_stat("2 320 extra"), Some((2, 320)));
        assert_eq!(parse_stat("2"), None);
        assert_eq!(parse_stat("-2 320"), None);
        assert_eq!(parse_stat("99999999999 1"), None);
    }
}
