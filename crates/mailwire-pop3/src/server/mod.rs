//! The server side of a POP3 conversation.
//!
//! [`Session`] runs RFC 1939's three states — AUTHORIZATION, TRANSACTION, UPDATE — and
//! answers every command itself, except where only the application knows: whether
//! credentials are right, which messages a maildrop holds, what a message contains, and
//! whether the deletions went through. Those come out as [`Event`]s, and the application
//! answers through the session's methods:
//!
//! | Event | Answer |
//! | --- | --- |
//! | [`Event::Auth`] (`USER` / `PASS`, `APOP`, `AUTH`) | [`answer_auth`](Session::answer_auth) |
//! | [`Event::OpenMaildrop`] | [`open_maildrop`](Session::open_maildrop) / [`refuse_maildrop`](Session::refuse_maildrop) (`[IN-USE]`, `[SYS/TEMP]` …) |
//! | [`Event::Retrieve`], [`Event::Top`] | [`send_body`](Session::send_body) per chunk, then [`end_body`](Session::end_body); or [`fail_body`](Session::fail_body) |
//! | [`Event::Update`] | [`finish_update`](Session::finish_update) |
//!
//! [`Event::Authenticated`], [`Event::AuthFailed`] and [`Event::Abandoned`] need no answer.
//! Commands pipelined behind a question wait, in order, until it is answered. An answer
//! to a question that is not pending returns [`Error`], with the value given handed back,
//! and leaves the session as it was.
//!
//! `DELE` only marks a message: marked messages vanish from `STAT`, `LIST`, `UIDL`, `RETR`
//! and `TOP`, `RSET` brings them back, and the application hears of them only in
//! [`Event::Update`] after `QUIT`. A connection that ends any other way deletes nothing
//! (RFC 1939 §6) and reports [`Event::Abandoned`] so the maildrop can be unlocked.
//!
//! Every login is an [`AuthQuestion`](mailwire_sasl::AuthQuestion), as in the SMTP and
//! IMAP servers: `USER` / `PASS` a password check with
//! [`Method::Login`], `APOP` a secret lookup with
//! [`Method::Apop`], and `AUTH` whatever its mechanism asks.
//! The session runs SASL exchanges itself with [`mailwire_sasl::ServerExchange`] for the
//! mechanisms in [`Config::sasl_mechanisms`]; CRAM-MD5 and SCRAM-SHA-256 need a nonce
//! from [`Session::set_auth_nonce`]. APOP is off unless [`Config::apop`] is set and a
//! [`Timestamp`] is given for the connection.

mod answer;
mod authorization;
mod config;
mod event;
mod maildrop;
mod question;
mod top;
mod transaction;

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use mailwire_core::{
    Conduit, Transport,
    dot::DotStuffer,
    line::{Frame, LineFramer},
};
use mailwire_sasl::{AuthError, AuthQuestionKind, Identity, Method, ServerExchange};

use self::top::TopFilter;
pub use self::{
    config::{Config, PlaintextLogin},
    event::{BodyFlow, Event, Refusal},
    maildrop::{Deleted, Maildrop, MessageInfo},
    question::{Answer, Error, Question},
};
use crate::{
    codec::encode_capabilities,
    types::apop::{ApopDigest, Timestamp},
    types::argument::{Mechanism, UserName},
    types::capability::Capability,
    types::command::Command,
    types::greeting::Greeting,
    types::response::{Response, ResponseCode, Status},
};

/// A POP3 server session for one connection.
///
/// ```
/// use mailwire_pop3::Session as _;
/// use mailwire_pop3::server::{Config, Event, Maildrop, MessageInfo, PlaintextLogin, Session};
/// use mailwire_pop3::UniqueId;
/// use mailwire_sasl::{AuthAnswer, AuthQuestion, Method};
///
/// let mut config = Config::default();
/// config.plaintext_login = PlaintextLogin::Allow;
/// let mut server = Session::new(config);
/// assert_eq!(&server.transmit().unwrap()[..], b"+OK POP3 server ready\r\n");
///
/// server.receive(b"USER tim\r\nPASS tanstaaf\r\n");
/// assert_eq!(&server.transmit().unwrap()[..], b"+OK send PASS\r\n");
/// let Some(Event::Auth { question }) = server.poll_event() else { panic!() };
/// let AuthQuestion::Password { method: Method::Login, authcid, password, .. } = question else {
///     panic!()
/// };
/// assert_eq!((authcid.as_str(), password.expose().as_str()), ("tim", "tanstaaf"));
/// server.answer_auth(AuthAnswer::Accept)?;
///
/// let Some(Event::Authenticated { method: Method::Login, .. }) = server.poll_event() else {
///     panic!()
/// };
/// let Some(Event::OpenMaildrop { user }) = server.poll_event() else { panic!() };
/// let info = MessageInfo { size: 120, unique_id: UniqueId::new("a1")? };
/// server.open_maildrop(Maildrop::new(vec![info]))?;
/// assert_eq!(&server.transmit().unwrap()[..], b"+OK tim's maildrop has 1 messages (120 octets)\r\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// A driver calls [`new`](Self::new), then any `with_*` method, then, round after round,
/// `poll_event` (answering each event), `transmit`, `transport` and `receive`; see
/// [`mailwire_core::Session`] for the details.
#[derive(Debug)]
pub struct Session {
    config: Arc<Config>,
    timestamp: Option<Timestamp>,
    phase: Phase,
    framer: LineFramer,
    /// Input, output, events and transport.
    conduit: Conduit<Event>,
    tls: bool,
    utf8: bool,
    eof: bool,
    errors: u32,
    failures: u32,
    /// The nonce for the next CRAM-MD5 or SCRAM-SHA-256 exchange.
    auth_nonce: Option<String>,
}

#[derive(Debug)]
enum Phase {
    Authorization(Authorization),
    Authenticating(Authenticating),
    OpeningMaildrop {
        user: String,
    },
    Transaction(Transaction),
    Sending(Sending),
    /// Waiting for the application to apply the deletions.
    Updating {
        left: usize,
    },
    Closed,
}

#[derive(Debug, Default)]
struct Authorization {
    /// The name of an accepted `USER`, waiting for `PASS`.
    user: Option<UserName>,
}

#[derive(Debug)]
enum Authenticating {
    /// `USER` / `PASS`: the application checks the password.
    Password { user: UserName },
    /// `APOP`: the application looks up the secret.
    Apop { user: UserName, digest: ApopDigest },
    /// The application owes the exchange an answer.
    SaslServer(Sasl),
    /// The client owes a SASL response line.
    SaslClient(Sasl),
}

/// A SASL exchange in progress.
#[derive(Debug)]
struct Sasl {
    exchange: Box<ServerExchange>,
    /// The user the exchange named in a question, for [`Event::AuthFailed`].
    user: Option<String>,
}

#[derive(Debug)]
struct Transaction {
    user: String,
    maildrop: Maildrop,
}

#[derive(Debug)]
struct Sending {
    transaction: Transaction,
    status: Response,
    started: bool,
    stuffer: DotStuffer,
    top: Option<TopFilter>,
}

impl Session {
    /// A session for a new connection; queues the greeting. APOP is not offered until
    /// [`with_apop_timestamp`](Self::with_apop_timestamp) gives the connection its timestamp.
    pub fn new(config: impl Into<Arc<Config>>) -> Self {
        Self::greet(config.into(), None)
    }

    /// The fresh session again, its greeting carrying `timestamp`, so that APOP is offered
    /// and accepted if [`Config::apop`] is on (otherwise the timestamp is dropped).
    ///
    /// The timestamp must differ for every connection (see [`Timestamp::from_parts`]). Call
    /// this before driving the session: it starts the session over from its config, and
    /// the greeting queued by [`new`](Self::new) is replaced.
    pub fn with_apop_timestamp(self, timestamp: Timestamp) -> Self {
        Self::greet(self.config, Some(timestamp))
    }

    fn greet(config: Arc<Config>, timestamp: Option<Timestamp>) -> Self {
        let timestamp = timestamp.filter(|_| config.apop);
        let framer = LineFramer::new(config.max_command_line.max(config.max_sasl_line));
        let mut server = Self {
            tls: config.implicit_tls,
            config,
            timestamp,
            phase: Phase::Authorization(Authorization::default()),
            framer,
            conduit: Conduit::new(),
            utf8: false,
            eof: false,
            errors: 0,
            failures: 0,
            auth_nonce: None,
        };
        let greeting = Greeting::new(&server.config.greeting, server.timestamp.clone())
            .or_else(|_| Greeting::new("POP3 server ready", server.timestamp.clone()));
        if let Ok(greeting) = greeting {
            greeting.encode(server.conduit.output());
        }
        server
    }

    /// Whether the connection is under TLS.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The authenticated user, once the maildrop is open.
    pub fn user(&self) -> Option<&str> {
        match &self.phase {
            Phase::Transaction(tx) => Some(&tx.user),
            Phase::Sending(s) => Some(&s.transaction.user),
            _ => None,
        }
    }

    /// Whether the session is in the TRANSACTION state (a body may be in flight).
    pub fn is_transaction(&self) -> bool {
        matches!(self.phase, Phase::Transaction(_) | Phase::Sending(_))
    }

    /// Says goodbye because the server is shutting down: queues `-ERR [SYS/TEMP] server
    /// shutting down` and closes. Does nothing once the session is closed.
    ///
    /// RFC 1939 has no unsolicited response, so a client reads this line as the answer to
    /// whatever it sends next: a failure, with RFC 3206's code telling it to try again
    /// later. In the TRANSACTION state nothing is deleted: [`Event::Abandoned`] follows, as
    /// for a lost connection, never [`Event::Update`].
    ///
    /// A driver calls this when no command is under way: between commands, not while the
    /// application owes an answer, a command line is arriving
    /// ([`receiving_command`](mailwire_core::Session::receiving_command)) or an STLS
    /// handshake runs.
    pub fn shutdown(&mut self) {
        if matches!(self.phase, Phase::Closed) || self.conduit.transport() == Transport::Close {
            return;
        }
        self.reply(
            Status::Err,
            Some(ResponseCode::SysTemp),
            "server shutting down",
        );
        self.close();
    }

    fn reply(&mut self, status: Status, code: Option<ResponseCode>, text: &str) {
        let response = Response::with_code(status, code.clone(), text)
            .or_else(|_| Response::with_code(status, code, ""));
        if let Ok(response) = response {
            response.encode(self.conduit.output());
        }
    }

    fn ok(&mut self, text: &str) {
        self.reply(Status::Ok, None, text);
    }

    fn err(&mut self, text: &str) {
        self.reply(Status::Err, None, text);
    }

    /// A peer mistake: answer it and close after too many.
    fn error(&mut self, text: &str) {
        self.err(text);
        self.errors += 1;
        if self.errors >= self.config.max_errors {
            self.err("too many errors, closing");
            self.close();
        }
    }

    fn open(&mut self, user: String) {
        self.conduit
            .push_event(Event::OpenMaildrop { user: user.clone() });
        self.phase = Phase::OpeningMaildrop { user };
    }

    /// The client proved who it is: tell the application, then ask for the maildrop.
    fn authenticated(&mut self, method: Method, identity: Identity) {
        let user = identity.acting_as().to_owned();
        self.conduit
            .push_event(Event::Authenticated { method, identity });
        self.open(user);
    }

    /// A login attempt failed: answer it, report it, and close after too many. The caller
    /// goes on with the input (the session never recurses into [`Self::process`] here).
    fn auth_failed(&mut self, method: Method, user: Option<String>, error: AuthError) {
        self.failures += 1;
        if error == AuthError::Cancelled {
            self.err("authentication cancelled");
        } else {
            self.reply(
                Status::Err,
                Some(ResponseCode::Auth),
                "authentication failed",
            );
        }
        self.conduit.push_event(Event::AuthFailed {
            method,
            user,
            error,
            failures: self.failures,
        });
        self.phase = Phase::Authorization(Authorization::default());
        if self.failures >= self.config.max_login_failures {
            self.err("too many failed logins, closing");
            self.close();
        }
    }

    /// The question the session waits on, if any.
    fn pending(&self) -> Option<Question> {
        match &self.phase {
            Phase::Authenticating(Authenticating::Password { .. }) => {
                Some(Question::Auth(AuthQuestionKind::Password))
            }
            Phase::Authenticating(Authenticating::Apop { .. }) => {
                Some(Question::Auth(AuthQuestionKind::Secret))
            }
            Phase::Authenticating(Authenticating::SaslServer(sasl)) => {
                sasl.exchange.pending().map(Question::Auth)
            }
            Phase::OpeningMaildrop { .. } => Some(Question::OpenMaildrop),
            Phase::Sending(sending) if sending.top.is_some() => Some(Question::Top),
            Phase::Sending(_) => Some(Question::Retrieve),
            Phase::Updating { .. } => Some(Question::Update),
            Phase::Authorization(_)
            | Phase::Authenticating(Authenticating::SaslClient(_))
            | Phase::Transaction(_)
            | Phase::Closed => None,
        }
    }

    /// The error for `answer` given out of turn.
    fn misuse(&self, answer: Answer) -> Error {
        Error {
            pending: self.pending(),
            answer,
        }
    }

    /// Ends the session without UPDATE; an opened maildrop is released untouched.
    fn close(&mut self) {
        if matches!(self.phase, Phase::Transaction(_) | Phase::Sending(_)) {
            self.conduit.push_event(Event::Abandoned);
        }
        self.phase = Phase::Closed;
        self.conduit.close();
    }

    fn reads_commands(&self) -> bool {
        self.conduit.is_open()
            && matches!(
                self.phase,
                Phase::Authorization(_)
                    | Phase::Transaction(_)
                    | Phase::Authenticating(Authenticating::SaslClient(_))
            )
    }

    /// Handles buffered lines while the session can act on them alone.
    fn process(&mut self) {
        while self.reads_commands() {
            let frame = self.framer.frame(self.conduit.input());
            let consumed = frame.consumed();
            let line = match frame {
                Frame::Line { line, .. } => Some(Ok(line.to_vec())),
                Frame::TooLong { .. } => Some(Err(())),
                Frame::Incomplete { .. } => None,
            };
            self.conduit.consume(consumed);
            match line {
                Some(Ok(line)) => self.line(&line),
                Some(Err(())) => self.too_long(),
                None if consumed > 0 => {}
                None => {
                    if self.eof {
                        self.close();
                    }
                    return;
                }
            }
        }
    }

    fn too_long(&mut self) {
        match std::mem::replace(&mut self.phase, Phase::Closed) {
            Phase::Authenticating(Authenticating::SaslClient(sasl)) => {
                let method = Method::Sasl(sasl.exchange.mechanism());
                let error = AuthError::Malformed {
                    reason: "response line too long",
                };
                self.auth_failed(method, sasl.user, error);
            }
            other => {
                self.phase = other;
                self.error("line too long");
            }
        }
    }

    fn line(&mut self, line: &[u8]) {
        if let Phase::Authenticating(Authenticating::SaslClient(_)) = self.phase {
            return self.sasl_line(line);
        }
        if line.len() + 2 > self.config.max_command_line {
            return self.error("line too long");
        }
        let command = match Command::parse(line) {
            Ok(command) => command,
            Err(e) => return self.error(&e.to_string()),
        };
        match std::mem::replace(&mut self.phase, Phase::Closed) {
            Phase::Authorization(auth) => self.authorization(auth, command),
            Phase::Transaction(tx) => self.transaction(tx, &command),
            other => self.phase = other,
        }
    }

    fn capa(&mut self) {
        let authorization = matches!(self.phase, Phase::Authorization(_));
        let config = &self.config;
        let mut caps = Vec::new();
        if config.top {
            caps.push(Capability::Top);
        }
        if authorization && self.plaintext_allowed() {
            caps.push(Capability::User);
        }
        let mechanisms: Vec<Mechanism> = config
            .sasl_mechanisms
            .iter()
            .filter(|&&m| self.mechanism_allowed(m))
            .filter_map(|m| Mechanism::new(m.as_str()).ok())
            .collect();
        if authorization && !mechanisms.is_empty() {
            caps.push(Capability::Sasl { mechanisms });
        }
        caps.push(Capability::RespCodes);
        caps.push(Capability::AuthRespCode);
        if config.pipelining {
            caps.push(Capability::Pipelining);
        }
        if authorization && config.stls && !self.tls {
            caps.push(Capability::Stls);
        }
        if authorization && config.utf8 {
            caps.push(Capability::Utf8 { user: false });
        }
        if let Some(policy) = config.expire {
            caps.push(Capability::Expire {
                policy,
                per_user: false,
            });
        }
        if let Some(seconds) = config.login_delay {
            caps.push(Capability::LoginDelay {
                seconds,
                per_user: false,
            });
        }
        if config.uidl {
            caps.push(Capability::Uidl);
        }
        if let Some(implementation) = &config.implementation {
            caps.push(Capability::Implementation(implementation.clone()));
        }
        self.ok("Capability list follows");
        encode_capabilities(&caps, self.conduit.output());
    }
}

impl mailwire_core::Session for Session {
    type Event = Event;

    fn receive(&mut self, bytes: &[u8]) {
        if !self.conduit.is_open() {
            // Closed, or plaintext sent after STLS before the handshake: dropped.
            return;
        }
        self.conduit.push_input(bytes);
        self.process();
    }

    fn receive_eof(&mut self) {
        // Lines already received still count (a pipelined QUIT must reach UPDATE); the
        // session closes once it runs out of them, after any answer it waits for.
        self.eof = true;
        self.process();
    }

    fn timed_out(&mut self) {
        // RFC 1939 §3: no UPDATE and no response; just close.
        self.close();
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
            self.process();
        }
    }

    fn timeout(&self) -> Option<Duration> {
        (!matches!(self.phase, Phase::Closed)).then_some(self.config.timeout)
    }

    /// A command line or SASL response line has begun and not ended; not while the
    /// application owes an answer.
    fn receiving_command(&self) -> bool {
        self.reads_commands() && (self.conduit.input_len() > 0 || self.framer.is_skipping())
    }

    fn command_timeout(&self) -> Option<Duration> {
        self.config.command_timeout
    }

    fn wants_input(&self) -> bool {
        self.conduit.is_open()
            && !matches!(self.phase, Phase::Closed)
            && (self.reads_commands() || self.conduit.input_len() < self.config.max_buffered_input)
    }
}
