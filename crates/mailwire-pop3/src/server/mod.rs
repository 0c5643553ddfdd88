//! The server side of a POP3 conversation.
//!
//! [`Server`] runs RFC 1939's three states — AUTHORIZATION, TRANSACTION, UPDATE — and
//! answers every command itself, except where only the application knows: whether a
//! password is right, which messages a maildrop holds, what a message contains, and
//! whether the deletions went through. Those come out as [`Event`]s, and the application
//! answers through the session's methods:
//!
//! | Event | Answer |
//! | --- | --- |
//! | [`Event::CheckPassword`] | [`accept_credentials`](Server::accept_credentials) / [`reject_credentials`](Server::reject_credentials) |
//! | [`Event::ApopSecret`] | [`apop_secret`](Server::apop_secret) (the session compares the digest) |
//! | [`Event::SaslStart`], [`Event::SaslResponse`] | [`sasl_challenge`](Server::sasl_challenge) / [`accept_sasl`](Server::accept_sasl) / [`reject_credentials`](Server::reject_credentials) |
//! | [`Event::OpenMaildrop`] | [`open_maildrop`](Server::open_maildrop) / [`refuse_maildrop`](Server::refuse_maildrop) (`[IN-USE]`, `[SYS/TEMP]` …) |
//! | [`Event::Retrieve`], [`Event::Top`] | [`send_body`](Server::send_body) per chunk, then [`end_body`](Server::end_body); or [`fail_body`](Server::fail_body) |
//! | [`Event::Update`] | [`finish_update`](Server::finish_update) |
//!
//! [`Event::LoginFailed`], [`Event::SaslCancelled`] and [`Event::Abandoned`] need no answer.
//! Commands pipelined behind a question wait, in order, until it is answered.
//!
//! `DELE` only marks a message: marked messages vanish from `STAT`, `LIST`, `UIDL`, `RETR`
//! and `TOP`, `RSET` brings them back, and the application hears of them only in
//! [`Event::Update`] after `QUIT`. A connection that ends any other way deletes nothing
//! (RFC 1939 §6) and reports [`Event::Abandoned`] so the maildrop can be unlocked.
//!
//! For SASL, the application runs the mechanism (with `mailwire_sasl::ServerExchange`, for
//! example) and the session carries its messages as `+ base64` lines. APOP is off unless
//! [`Config::apop`] is set and a [`Timestamp`] is given for the connection.

mod config;
mod event;
mod maildrop;
mod top;

use std::{collections::VecDeque, sync::Arc, time::Duration};

use base64::{Engine as _, engine::general_purpose::STANDARD};
use bytes::{Bytes, BytesMut};
use mailwire_core::{
    Secret, Session, Transport,
    dot::DotStuffer,
    line::{Frame, LineFramer},
};

use self::top::TopFilter;
pub use self::{
    config::{Config, PlaintextLogin},
    event::{BodyFlow, Event, Refusal, UsageError},
    maildrop::{Deleted, Maildrop, MessageInfo},
};
use crate::{
    apop::{ApopDigest, Timestamp},
    argument::{Mechanism, MessageNumber, UserName},
    capability::{Capability, encode_capabilities},
    command::{Command, decode_base64},
    greeting::Greeting,
    listing::{ScanListing, UniqueIdListing},
    response::{Response, ResponseCode, Status},
};

/// A POP3 server session for one connection.
///
/// ```
/// use std::sync::Arc;
/// use mailwire_core::Session as _;
/// use mailwire_pop3::server::{Config, Event, Maildrop, MessageInfo, PlaintextLogin, Server};
/// use mailwire_pop3::UniqueId;
///
/// let config = Config::default().with_plaintext_login(PlaintextLogin::Allow);
/// let mut server = Server::new(Arc::new(config), None);
/// assert_eq!(&server.transmit().unwrap()[..], b"+OK POP3 server ready\r\n");
///
/// server.receive(b"USER tim\r\nPASS tanstaaf\r\n");
/// assert_eq!(&server.transmit().unwrap()[..], b"+OK send PASS\r\n");
/// let Some(Event::CheckPassword { user, password }) = server.poll_event() else { panic!() };
/// assert_eq!((user.as_str(), password.secret().expose().as_str()), ("tim", "tanstaaf"));
/// server.accept_credentials()?;
///
/// let Some(Event::OpenMaildrop { user }) = server.poll_event() else { panic!() };
/// let info = MessageInfo { size: 120, unique_id: UniqueId::new("a1")? };
/// server.open_maildrop(Maildrop::new(vec![info]))?;
/// assert_eq!(&server.transmit().unwrap()[..], b"+OK tim's maildrop has 1 messages (120 octets)\r\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Server {
    config: Arc<Config>,
    timestamp: Option<Timestamp>,
    phase: Phase,
    framer: LineFramer,
    input: BytesMut,
    output: BytesMut,
    events: VecDeque<Event>,
    transport: Transport,
    tls: bool,
    utf8: bool,
    eof: bool,
    errors: u32,
    failures: u32,
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
    Password {
        user: UserName,
    },
    Apop {
        user: UserName,
        digest: ApopDigest,
    },
    /// The application owes a SASL answer.
    SaslServer,
    /// The client owes a SASL response line.
    SaslClient,
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

fn unexpected(answer: &'static str) -> UsageError {
    UsageError::Unexpected { answer }
}

impl Server {
    /// A session for a new connection; queues the greeting.
    ///
    /// With [`Config::apop`] on, `timestamp` goes into the greeting and APOP is accepted;
    /// it must differ for every connection (see [`Timestamp::from_parts`]). Without a
    /// timestamp APOP is not offered.
    pub fn new(config: Arc<Config>, timestamp: Option<Timestamp>) -> Self {
        let timestamp = timestamp.filter(|_| config.apop);
        let framer = LineFramer::new(config.max_command_line.max(config.max_sasl_line));
        let mut server = Self {
            tls: config.implicit_tls,
            config,
            timestamp,
            phase: Phase::Authorization(Authorization::default()),
            framer,
            input: BytesMut::new(),
            output: BytesMut::new(),
            events: VecDeque::new(),
            transport: Transport::Open,
            utf8: false,
            eof: false,
            errors: 0,
            failures: 0,
        };
        let greeting = Greeting::new(&server.config.greeting, server.timestamp.clone())
            .or_else(|_| Greeting::new("POP3 server ready", server.timestamp.clone()));
        if let Ok(greeting) = greeting {
            greeting.encode(&mut server.output);
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

    // ---- answers ----

    /// The password of [`Event::CheckPassword`] is right. The session asks for the
    /// maildrop next.
    pub fn accept_credentials(&mut self) -> Result<(), UsageError> {
        match std::mem::replace(&mut self.phase, Phase::Closed) {
            Phase::Authenticating(Authenticating::Password { user }) => {
                self.open(user.to_string());
                Ok(())
            }
            other => {
                self.phase = other;
                Err(unexpected("accept_credentials"))
            }
        }
    }

    /// The credentials of [`Event::CheckPassword`] or of a SASL exchange are wrong.
    pub fn reject_credentials(&mut self) -> Result<(), UsageError> {
        match std::mem::replace(&mut self.phase, Phase::Closed) {
            Phase::Authenticating(Authenticating::Password { user }) => {
                self.login_failed(Some(user.to_string()));
                Ok(())
            }
            Phase::Authenticating(Authenticating::SaslServer) => {
                self.login_failed(None);
                Ok(())
            }
            other => {
                self.phase = other;
                Err(unexpected("reject_credentials"))
            }
        }
    }

    /// The shared secret for [`Event::ApopSecret`], or `None` for an unknown user. The
    /// session checks the digest in constant time.
    pub fn apop_secret(&mut self, secret: Option<Secret<String>>) -> Result<(), UsageError> {
        match std::mem::replace(&mut self.phase, Phase::Closed) {
            Phase::Authenticating(Authenticating::Apop { user, digest }) => {
                let ok = match (&self.timestamp, secret) {
                    (Some(ts), Some(secret)) => ts.verify(&secret, &digest),
                    _ => false,
                };
                if ok {
                    self.open(user.to_string());
                } else {
                    self.login_failed(Some(user.to_string()));
                }
                Ok(())
            }
            other => {
                self.phase = other;
                Err(unexpected("apop_secret"))
            }
        }
    }

    /// Sends a SASL challenge (`+ base64`) and waits for the client's response.
    pub fn sasl_challenge(&mut self, challenge: &[u8]) -> Result<(), UsageError> {
        if !matches!(
            self.phase,
            Phase::Authenticating(Authenticating::SaslServer)
        ) {
            return Err(unexpected("sasl_challenge"));
        }
        self.output.extend_from_slice(b"+ ");
        self.output
            .extend_from_slice(STANDARD.encode(challenge).as_bytes());
        self.output.extend_from_slice(b"\r\n");
        self.phase = Phase::Authenticating(Authenticating::SaslClient);
        self.process();
        Ok(())
    }

    /// The SASL exchange succeeded for `user`. The session asks for the maildrop next.
    pub fn accept_sasl(&mut self, user: impl Into<String>) -> Result<(), UsageError> {
        if !matches!(
            self.phase,
            Phase::Authenticating(Authenticating::SaslServer)
        ) {
            return Err(unexpected("accept_sasl"));
        }
        self.open(user.into());
        Ok(())
    }

    /// The maildrop of [`Event::OpenMaildrop`], locked for this session. Enters TRANSACTION.
    pub fn open_maildrop(&mut self, maildrop: Maildrop) -> Result<(), UsageError> {
        if !matches!(self.phase, Phase::OpeningMaildrop { .. }) {
            return Err(unexpected("open_maildrop"));
        }
        let Phase::OpeningMaildrop { user } = std::mem::replace(&mut self.phase, Phase::Closed)
        else {
            return Err(unexpected("open_maildrop"));
        };
        let (count, size) = maildrop.stat();
        let text = format!("{user}'s maildrop has {count} messages ({size} octets)");
        self.ok(&text);
        self.phase = Phase::Transaction(Transaction { user, maildrop });
        self.process();
        Ok(())
    }

    /// The maildrop of [`Event::OpenMaildrop`] cannot be opened. Back to AUTHORIZATION.
    pub fn refuse_maildrop(&mut self, refusal: Refusal) -> Result<(), UsageError> {
        if !matches!(self.phase, Phase::OpeningMaildrop { .. }) {
            return Err(unexpected("refuse_maildrop"));
        }
        let (code, text) = match refusal {
            Refusal::InUse => (ResponseCode::InUse, "maildrop already locked"),
            Refusal::LoginDelay => (ResponseCode::LoginDelay, "logged in too recently"),
            Refusal::SysTemp => (ResponseCode::SysTemp, "maildrop unavailable, try later"),
            Refusal::SysPerm => (ResponseCode::SysPerm, "maildrop unavailable"),
        };
        self.reply(Status::Err, Some(code), text);
        self.phase = Phase::Authorization(Authorization::default());
        self.process();
        Ok(())
    }

    /// The next chunk of the message of [`Event::Retrieve`] or [`Event::Top`], as stored:
    /// the session dot-stuffs it and turns bare CR or LF into CRLF.
    pub fn send_body(&mut self, chunk: &[u8]) -> Result<BodyFlow, UsageError> {
        let Phase::Sending(sending) = &mut self.phase else {
            return Err(unexpected("send_body"));
        };
        if !sending.started {
            sending.started = true;
            sending.status.encode(&mut self.output);
        }
        let take = sending
            .top
            .as_mut()
            .map_or(chunk.len(), |top| top.take(chunk));
        sending.stuffer.encode(&chunk[..take], &mut self.output);
        Ok(match &sending.top {
            Some(top) if top.is_done() => BodyFlow::Enough,
            _ => BodyFlow::More,
        })
    }

    /// The message is complete; ends the multi-line answer.
    pub fn end_body(&mut self) -> Result<(), UsageError> {
        if !matches!(self.phase, Phase::Sending(_)) {
            return Err(unexpected("end_body"));
        }
        let Phase::Sending(mut sending) = std::mem::replace(&mut self.phase, Phase::Closed) else {
            return Err(unexpected("end_body"));
        };
        if !sending.started {
            sending.status.encode(&mut self.output);
        }
        sending.stuffer.finish(&mut self.output);
        self.phase = Phase::Transaction(sending.transaction);
        self.process();
        Ok(())
    }

    /// The message cannot be read. Before the first chunk the client gets `-ERR`; after it
    /// the answer cannot be ended cleanly, so the connection closes.
    pub fn fail_body(&mut self) -> Result<(), UsageError> {
        if !matches!(self.phase, Phase::Sending(_)) {
            return Err(unexpected("fail_body"));
        }
        let Phase::Sending(sending) = std::mem::replace(&mut self.phase, Phase::Closed) else {
            return Err(unexpected("fail_body"));
        };
        if sending.started {
            self.phase = Phase::Sending(sending);
            self.close();
        } else {
            self.reply(
                Status::Err,
                Some(ResponseCode::SysTemp),
                "message unavailable",
            );
            self.phase = Phase::Transaction(sending.transaction);
            self.process();
        }
        Ok(())
    }

    /// Whether the deletions of [`Event::Update`] were carried out. The session says goodbye
    /// and closes.
    pub fn finish_update(&mut self, removed: bool) -> Result<(), UsageError> {
        let Phase::Updating { left } = self.phase else {
            return Err(unexpected("finish_update"));
        };
        if removed {
            let left = match left {
                0 => "maildrop empty".to_owned(),
                n => format!("{n} messages left"),
            };
            let text = format!("{} POP3 server signing off ({left})", self.config.host);
            self.ok(&text);
        } else {
            self.reply(
                Status::Err,
                Some(ResponseCode::SysTemp),
                "some deleted messages not removed",
            );
        }
        self.phase = Phase::Closed;
        self.transport = Transport::Close;
        Ok(())
    }

    // ---- internals ----

    fn reply(&mut self, status: Status, code: Option<ResponseCode>, text: &str) {
        let response = Response::with_code(status, code.clone(), text)
            .or_else(|_| Response::with_code(status, code, ""));
        if let Ok(response) = response {
            response.encode(&mut self.output);
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
        self.events
            .push_back(Event::OpenMaildrop { user: user.clone() });
        self.phase = Phase::OpeningMaildrop { user };
    }

    fn login_failed(&mut self, user: Option<String>) {
        self.failures += 1;
        self.reply(
            Status::Err,
            Some(ResponseCode::Auth),
            "authentication failed",
        );
        self.events.push_back(Event::LoginFailed {
            user,
            failures: self.failures,
        });
        self.phase = Phase::Authorization(Authorization::default());
        if self.failures >= self.config.max_login_failures {
            self.err("too many failed logins, closing");
            self.close();
        } else {
            self.process();
        }
    }

    /// Ends the session without UPDATE; an opened maildrop is released untouched.
    fn close(&mut self) {
        if matches!(self.phase, Phase::Transaction(_) | Phase::Sending(_)) {
            self.events.push_back(Event::Abandoned);
        }
        self.phase = Phase::Closed;
        self.transport = Transport::Close;
        self.input.clear();
    }

    fn plaintext_allowed(&self) -> bool {
        match self.config.plaintext_login {
            PlaintextLogin::Never => false,
            PlaintextLogin::RequireTls => self.tls,
            PlaintextLogin::Allow => true,
        }
    }

    /// Mechanisms that carry the password in clear (PLAIN, LOGIN) follow the `USER` / `PASS`
    /// rule for TLS.
    fn mechanism_allowed(&self, mechanism: &Mechanism) -> bool {
        let plaintext = mechanism
            .as_str()
            .parse::<mailwire_sasl::Mechanism>()
            .is_ok_and(mailwire_sasl::Mechanism::sends_plaintext_secret);
        !plaintext || self.tls || self.config.plaintext_login == PlaintextLogin::Allow
    }

    fn reads_commands(&self) -> bool {
        self.transport == Transport::Open
            && matches!(
                self.phase,
                Phase::Authorization(_)
                    | Phase::Transaction(_)
                    | Phase::Authenticating(Authenticating::SaslClient)
            )
    }

    /// Handles buffered lines while the session can act on them alone.
    fn process(&mut self) {
        while self.reads_commands() {
            let frame = self.framer.frame(&self.input);
            let consumed = frame.consumed();
            let line = match frame {
                Frame::Line { line, .. } => Some(Ok(line.to_vec())),
                Frame::TooLong { .. } => Some(Err(())),
                Frame::Incomplete { .. } => None,
            };
            let _ = self.input.split_to(consumed);
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
        if matches!(
            self.phase,
            Phase::Authenticating(Authenticating::SaslClient)
        ) {
            self.login_failed(None);
        } else {
            self.error("line too long");
        }
    }

    fn line(&mut self, line: &[u8]) {
        if matches!(
            self.phase,
            Phase::Authenticating(Authenticating::SaslClient)
        ) {
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

    fn sasl_line(&mut self, line: &[u8]) {
        if line == b"*" {
            self.err("authentication cancelled");
            self.events.push_back(Event::SaslCancelled);
            self.phase = Phase::Authorization(Authorization::default());
            return;
        }
        let data = if line.is_empty() {
            Ok(Vec::new())
        } else {
            decode_base64(line)
        };
        match data {
            Ok(data) => {
                self.phase = Phase::Authenticating(Authenticating::SaslServer);
                self.events.push_back(Event::SaslResponse {
                    data: Secret::new(data),
                });
            }
            Err(_) => self.login_failed(None),
        }
    }

    fn authorization(&mut self, mut auth: Authorization, command: Command) {
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
                // Anything the client sent after STLS predates the handshake (RFC 2595 §3.1).
                self.input.clear();
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

    fn framer_len(&self) -> usize {
        self.config.max_command_line.max(self.config.max_sasl_line)
    }

    fn transaction(&mut self, mut tx: Transaction, command: &Command) {
        match *command {
            Command::Stat => {
                let (count, size) = tx.maildrop.stat();
                self.ok(&format!("{count} {size}"));
            }
            Command::List { message: None } => {
                let (count, size) = tx.maildrop.stat();
                self.ok(&format!("{count} messages ({size} octets)"));
                for (message, info) in tx.maildrop.visible() {
                    ScanListing {
                        message,
                        size: info.size,
                    }
                    .encode(&mut self.output);
                    self.output.extend_from_slice(b"\r\n");
                }
                self.output.extend_from_slice(b".\r\n");
            }
            Command::List { message: Some(n) } => match tx.maildrop.get(n) {
                Some(info) => {
                    let text = format!("{n} {}", info.size);
                    self.ok(&text);
                }
                None => self.err("no such message"),
            },
            Command::Uidl { .. } if !self.config.uidl => self.error("UIDL not supported"),
            Command::Uidl { message: None } => {
                self.ok("");
                for (message, info) in tx.maildrop.visible() {
                    UniqueIdListing {
                        message,
                        unique_id: info.unique_id.clone(),
                    }
                    .encode(&mut self.output);
                    self.output.extend_from_slice(b"\r\n");
                }
                self.output.extend_from_slice(b".\r\n");
            }
            Command::Uidl { message: Some(n) } => match tx.maildrop.get(n) {
                Some(info) => {
                    let text = format!("{n} {}", info.unique_id);
                    self.ok(&text);
                }
                None => self.err("no such message"),
            },
            Command::Retr { message } => return self.start_body(tx, message, None),
            Command::Top { .. } if !self.config.top => self.error("TOP not supported"),
            Command::Top { message, lines } => return self.start_body(tx, message, Some(lines)),
            Command::Dele { message } => {
                if tx.maildrop.is_deleted(message) {
                    self.err(&format!("message {message} already deleted"));
                } else if tx.maildrop.get(message).is_some() {
                    tx.maildrop.mark(message);
                    self.ok(&format!("message {message} deleted"));
                } else {
                    self.err("no such message");
                }
            }
            Command::Noop => self.ok(""),
            Command::Rset => {
                tx.maildrop.unmark_all();
                let (count, size) = tx.maildrop.stat();
                self.ok(&format!("maildrop has {count} messages ({size} octets)"));
            }
            Command::Capa => {
                self.phase = Phase::Transaction(tx);
                return self.capa();
            }
            Command::Quit => {
                let deleted = tx.maildrop.marked();
                let (left, _) = tx.maildrop.stat();
                self.events.push_back(Event::Update { deleted });
                self.phase = Phase::Updating { left };
                return;
            }
            _ => self.error("command not valid in the TRANSACTION state"),
        }
        if matches!(self.phase, Phase::Closed) && self.transport == Transport::Open {
            self.phase = Phase::Transaction(tx);
        } else if self.transport == Transport::Close {
            // Too many errors: the maildrop was open, so tell the application to release it.
            self.events.push_back(Event::Abandoned);
        }
    }

    fn start_body(&mut self, tx: Transaction, message: MessageNumber, lines: Option<u32>) {
        let Some(info) = tx.maildrop.get(message) else {
            self.phase = Phase::Transaction(tx);
            return self.err("no such message");
        };
        let unique_id = info.unique_id.clone();
        let (event, status, top) = match lines {
            None => (
                Event::Retrieve { message, unique_id },
                Response::new(Status::Ok, format!("{} octets", info.size)),
                None,
            ),
            Some(lines) => (
                Event::Top {
                    message,
                    unique_id,
                    lines,
                },
                Response::new(Status::Ok, "top of message follows"),
                Some(TopFilter::new(lines)),
            ),
        };
        let Ok(status) = status else {
            self.phase = Phase::Transaction(tx);
            return;
        };
        self.events.push_back(event);
        let stuffer = DotStuffer::new();
        self.phase = Phase::Sending(Sending {
            transaction: tx,
            status,
            started: false,
            stuffer,
            top,
        });
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
            .filter(|m| self.mechanism_allowed(m))
            .cloned()
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
        encode_capabilities(&caps, &mut self.output);
    }
}

impl Session for Server {
    type Event = Event;

    fn receive(&mut self, bytes: &[u8]) {
        if self.transport != Transport::Open {
            // Closed, or plaintext sent after STLS before the handshake: dropped.
            return;
        }
        self.input.extend_from_slice(bytes);
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
        (!self.output.is_empty()).then(|| self.output.split().freeze())
    }

    fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    fn transport(&self) -> Transport {
        self.transport
    }

    fn tls_established(&mut self) {
        if self.transport == Transport::StartTls {
            self.tls = true;
            self.transport = Transport::Open;
            self.process();
        }
    }

    fn timeout(&self) -> Option<Duration> {
        (!matches!(self.phase, Phase::Closed)).then_some(self.config.timeout)
    }

    fn wants_input(&self) -> bool {
        self.transport == Transport::Open
            && !matches!(self.phase, Phase::Closed)
            && (self.reads_commands() || self.input.len() < self.config.max_buffered_input)
    }
}
