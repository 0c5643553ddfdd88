//! The server side of an SMTP, ESMTP or LMTP conversation, without I/O.
//!
//! [`Session`] greets the client, reads its commands, answers what the protocol decides by
//! itself (syntax errors, sequence errors, limits, EHLO), and asks the application about
//! what only it can decide through [`Event`]s: each sender, each recipient, each message,
//! each SASL step. Message bodies stream out in chunks, dot-unstuffed, as they arrive.
//!
//! ```
//! use mailwire_smtp::Session as _;
//! use mailwire_smtp::Domain;
//! use mailwire_smtp::server::{Config, Event, Session};
//!
//! let mut server = Session::new(Config::new(Domain::new("mx.example.org").unwrap()));
//! assert_eq!(&server.transmit().unwrap()[..], b"220 mx.example.org ESMTP ready\r\n");
//!
//! server.receive(b"HELO client.example\r\nMAIL FROM:<a@example.com>\r\n");
//! assert!(matches!(server.poll_event(), Some(Event::Hello { .. })));
//! assert!(matches!(server.poll_event(), Some(Event::Mail { .. })));
//! server.accept().unwrap();
//! assert_eq!(&server.transmit().unwrap()[..], b"250 mx.example.org\r\n250 2.1.0 Ok\r\n");
//! ```

mod auth;
mod body;
mod config;
mod event;

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use mailwire_core::{Conduit, Transport};
use mailwire_sasl::{AuthAnswer, AuthQuestionKind, ServerExchange, ServerStep};

pub use config::{BareLineEndings, Config};
pub use event::{AbortReason, Event};

use crate::types::capability::{Capability, EhloResponse};
use crate::types::command::{Command, CommandError, Verb};
use crate::types::mechanism::Mechanism;
use crate::types::param::{Body, MailParameters, RcptParameters};
use crate::types::path::{ForwardPath, Host, ReversePath};
use crate::types::reply::{Reply, ReplyCode};
use mailwire_core::dot::DotUnstuffer;
use mailwire_core::line::{Frame, LineFramer};

/// How much unprocessed input the session holds while it waits for the application before
/// it asks the driver to stop reading.
const MAX_BUFFERED: usize = 64 * 1024;

/// An answer the session could not take: the question it had pending, if any, and the
/// answer handed back. See [`mailwire_core::Misuse`].
pub type Error = mailwire_core::Misuse<Question, Answer>;

/// The question a server session waits on, as [`Error`] reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Question {
    /// [`Event::Mail`].
    Mail,
    /// [`Event::Rcpt`].
    Rcpt,
    /// [`Event::Message`].
    Message,
    /// [`Event::Auth`].
    Auth(AuthQuestionKind),
}

impl Question {
    /// MAIL, RCPT or the message: answered with `accept`, `accept_with` or `reject`.
    fn is_transaction(self) -> bool {
        matches!(self, Question::Mail | Question::Rcpt | Question::Message)
    }
}

impl fmt::Display for Question {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Question::Mail => f.write_str("MAIL"),
            Question::Rcpt => f.write_str("RCPT"),
            Question::Message => f.write_str("message"),
            Question::Auth(kind) => fmt::Display::fmt(kind, f),
        }
    }
}

/// An answer given to a server session, handed back in [`Error`] when it does not fit.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answer {
    /// [`Session::accept`].
    Accept,
    /// [`Session::accept_with`].
    AcceptWith(Reply),
    /// [`Session::reject`].
    Reject(Reply),
    /// [`Session::respond_per_recipient`].
    PerRecipient(Vec<Reply>),
    /// [`Session::answer_auth`].
    Auth(AuthAnswer),
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Answer::Accept => "accept",
            Answer::AcceptWith(_) => "accept_with",
            Answer::Reject(_) => "reject",
            Answer::PerRecipient(_) => "respond_per_recipient",
            Answer::Auth(_) => "answer_auth",
        })
    }
}

#[derive(Debug)]
enum Phase {
    /// Reading command lines.
    Command,
    /// Waiting for the application's decision; input is held.
    Pending(Pending),
    /// Reading a DATA body.
    Data(DotUnstuffer),
    /// Reading the octets of a BDAT chunk.
    Bdat(BdatChunk),
    /// Reading the client's answer to a SASL challenge.
    AuthResponse(Box<ServerExchange>),
    /// 220 to STARTTLS sent; waiting for the handshake.
    StartTls,
    /// The conversation is over.
    Closed,
}

#[derive(Debug)]
enum Pending {
    Mail {
        from: ReversePath,
        params: MailParameters,
    },
    Rcpt {
        to: ForwardPath,
    },
    Message,
    Auth(Box<ServerExchange>),
}

#[derive(Debug)]
struct BdatChunk {
    remaining: u64,
    size: u64,
    last: bool,
    /// The reply for a chunk that is read only to be thrown away.
    failure: Option<Reply>,
}

#[derive(Debug)]
struct Transaction {
    from: ReversePath,
    params: MailParameters,
    recipients: Vec<ForwardPath>,
    size: u64,
    used_bdat: bool,
    aborted: Option<AbortReason>,
}

/// A server conversation. See the [module documentation](self) for the flow, and
/// [`mailwire_core::Session`] for the driver's side.
///
/// A driver calls [`new`](Self::new), then any `with_*` method, then, round after round,
/// `poll_event` (answering each event), `transmit`, `transport` and `receive`; see
/// [`mailwire_core::Session`] for the details.
#[derive(Debug)]
pub struct Session {
    config: std::sync::Arc<Config>,
    phase: Phase,
    /// Input, output, events and transport. Its output is marked up to the reply to the
    /// last command that must end a pipelined group: that much may go out while a decision
    /// is pending and more input waits.
    conduit: Conduit<Event>,
    framer: LineFramer,
    hello: Option<Verb>,
    tls: bool,
    authenticated: bool,
    auth_nonce: Option<String>,
    /// The user named in the authentication attempt under way, for [`Event::AuthFailed`].
    auth_user: Option<String>,
    /// Failed authentication attempts on this connection.
    auth_failures: u32,
    tx: Option<Transaction>,
    errors: u32,
    /// Octets received since the command now arriving began.
    arrived: u64,
}

impl Session {
    /// Starts a conversation; the 220 greeting is ready to transmit.
    pub fn new(config: impl Into<std::sync::Arc<Config>>) -> Self {
        let config = config.into();
        let framer = LineFramer::new(frame_limit(&config));
        let mut session = Self {
            phase: Phase::Command,
            conduit: Conduit::new(),
            framer,
            hello: None,
            tls: config.implicit_tls,
            authenticated: false,
            auth_nonce: None,
            auth_user: None,
            auth_failures: 0,
            tx: None,
            errors: 0,
            arrived: 0,
            config,
        };
        let text = format!("{} {}", session.config.hostname, session.config.greeting);
        let greeting = Reply::new(ReplyCode::SERVICE_READY, text.trim_end())
            .unwrap_or_else(|_| Reply::fixed(220, None, session.config.hostname.as_str()));
        session.send(greeting);
        session
    }

    /// Whether the connection is encrypted (implicit TLS, or after STARTTLS).
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// Whether the client authenticated.
    pub fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    /// Received bytes not yet worked through: part of a command line, or what the client
    /// sent while a decision is pending. Never more than a line (at most
    /// [`Config::max_line_len`], or the AUTH line limit when AUTH is offered) unless a
    /// decision is pending, and then [`wants_input`](mailwire_core::Session::wants_input)
    /// turns false past 64 KiB.
    pub fn buffered(&self) -> usize {
        self.conduit.input_len()
    }

    /// The question the session waits on, if any.
    pub fn pending(&self) -> Option<Question> {
        match &self.phase {
            Phase::Pending(Pending::Mail { .. }) => Some(Question::Mail),
            Phase::Pending(Pending::Rcpt { .. }) => Some(Question::Rcpt),
            Phase::Pending(Pending::Message) => Some(Question::Message),
            Phase::Pending(Pending::Auth(exchange)) => exchange.pending().map(Question::Auth),
            _ => None,
        }
    }

    /// Accepts the pending MAIL, RCPT or message with the usual reply.
    pub fn accept(&mut self) -> Result<(), Error> {
        let reply = match self.pending() {
            Some(Question::Mail) => Reply::fixed(250, Some((2, 1, 0)), "Ok"),
            Some(Question::Rcpt) => Reply::fixed(250, Some((2, 1, 5)), "Ok"),
            Some(Question::Message) => Reply::fixed(250, Some((2, 0, 0)), "Ok: queued"),
            pending => {
                return Err(Error {
                    pending,
                    answer: Answer::Accept,
                });
            }
        };
        if let Some(pending) = self.take_decision() {
            self.decide(pending, Ok(reply));
        }
        Ok(())
    }

    /// Accepts the pending MAIL, RCPT or message with the application's own 2xx reply
    /// (a queue id, say).
    pub fn accept_with(&mut self, reply: Reply) -> Result<(), Error> {
        let pending = self.pending();
        if !reply.code().is_success() || !matches!(pending, Some(q) if q.is_transaction()) {
            return Err(Error {
                pending,
                answer: Answer::AcceptWith(reply),
            });
        }
        if let Some(pending) = self.take_decision() {
            self.decide(pending, Ok(reply));
        }
        Ok(())
    }

    /// Refuses the pending MAIL, RCPT or message with a 4xx or 5xx reply.
    pub fn reject(&mut self, reply: Reply) -> Result<(), Error> {
        let pending = self.pending();
        if !reply.code().is_failure() || !matches!(pending, Some(q) if q.is_transaction()) {
            return Err(Error {
                pending,
                answer: Answer::Reject(reply),
            });
        }
        if let Some(pending) = self.take_decision() {
            self.decide(pending, Err(reply));
        }
        Ok(())
    }

    /// LMTP: answers a [`Event::Message`] with one reply per accepted recipient, in order.
    pub fn respond_per_recipient(&mut self, replies: Vec<Reply>) -> Result<(), Error> {
        let expected = match (&self.phase, &self.tx) {
            (Phase::Pending(Pending::Message), Some(tx)) if self.config.lmtp => tx.recipients.len(),
            _ => 0,
        };
        if expected == 0 || replies.len() != expected {
            return Err(Error {
                pending: self.pending(),
                answer: Answer::PerRecipient(replies),
            });
        }
        self.phase = Phase::Command;
        self.tx = None;
        for reply in replies {
            self.send(reply);
        }
        self.process();
        Ok(())
    }

    /// Says goodbye because the server is shutting down: queues `421 4.3.2 <hostname>
    /// Service shutting down` (RFC 5321 §3.8) and closes. A transaction under way is
    /// abandoned as if the connection were lost ([`Event::MessageAborted`] if its body had
    /// begun); nothing of it may be delivered. Does nothing once the session is closed.
    ///
    /// A driver calls this when no command is under way: between commands, not while a
    /// decision is pending, a command line or a body is arriving
    /// ([`receiving_command`](mailwire_core::Session::receiving_command)), or a STARTTLS
    /// handshake runs.
    pub fn shutdown(&mut self) {
        if matches!(self.phase, Phase::Closed) {
            return;
        }
        let text = format!("{} Service shutting down", self.config.hostname);
        self.send(Reply::fixed(421, Some((4, 3, 2)), &text));
        self.close();
    }

    /// Takes the pending decision out of the phase.
    fn take_decision(&mut self) -> Option<Pending> {
        match std::mem::replace(&mut self.phase, Phase::Command) {
            Phase::Pending(p) => Some(p),
            other => {
                self.phase = other;
                None
            }
        }
    }

    fn decide(&mut self, pending: Pending, outcome: Result<Reply, Reply>) {
        let accepted = outcome.is_ok();
        let reply = outcome.unwrap_or_else(|r| r);
        match pending {
            Pending::Mail { from, params } if accepted => {
                self.tx = Some(Transaction {
                    from,
                    params,
                    recipients: Vec::new(),
                    size: 0,
                    used_bdat: false,
                    aborted: None,
                });
            }
            Pending::Rcpt { to } if accepted => {
                if let Some(tx) = &mut self.tx {
                    tx.recipients.push(to);
                }
            }
            Pending::Message => {
                let count = self.tx.take().map_or(1, |tx| tx.recipients.len());
                let times = if self.config.lmtp { count } else { 1 };
                for _ in 1..times {
                    self.send(reply.clone());
                }
            }
            Pending::Mail { .. } | Pending::Rcpt { .. } | Pending::Auth(_) => {}
        }
        self.send(reply);
        self.process();
    }

    /// Queues a reply, without its enhanced code if the server does not use them.
    fn send(&mut self, reply: Reply) {
        let reply = if self.config.enhanced_status_codes {
            reply
        } else {
            reply.without_enhanced()
        };
        reply.encode(self.conduit.output());
    }

    /// Queues a reply to a client mistake and counts it.
    fn fail(&mut self, reply: Reply) {
        self.send(reply);
        self.errors += 1;
        if self.errors >= self.config.max_errors {
            self.send(Reply::fixed(
                421,
                Some((4, 7, 0)),
                "Too many errors, closing connection",
            ));
            self.close();
        }
    }

    fn close(&mut self) {
        self.abort_body(AbortReason::ConnectionLost);
        self.phase = Phase::Closed;
        self.conduit.close();
    }

    /// Reports a body under way as lost.
    fn abort_body(&mut self, reason: AbortReason) {
        let in_body = matches!(self.phase, Phase::Data(_) | Phase::Bdat(_))
            || self.tx.as_ref().is_some_and(|tx| tx.used_bdat);
        if let Some(tx) = &mut self.tx
            && in_body
            && tx.aborted.is_none()
        {
            tx.aborted = Some(reason);
            self.conduit.push_event(Event::MessageAborted { reason });
        }
    }

    fn reset_transaction(&mut self) {
        if self.tx.is_some() {
            self.abort_body(AbortReason::Reset);
            self.tx = None;
            self.conduit.push_event(Event::Reset);
        }
    }

    /// Works through buffered input until it runs out or a decision is needed.
    fn process(&mut self) {
        loop {
            let progressed = match self.phase {
                Phase::Command | Phase::AuthResponse(_) => self.step_line(),
                Phase::Data(_) => self.feed_buffered_data() > 0,
                Phase::Bdat(_) => self.step_bdat(),
                Phase::Pending(_) | Phase::StartTls | Phase::Closed => false,
            };
            if !progressed {
                return;
            }
        }
    }

    fn step_line(&mut self) -> bool {
        enum Line {
            None,
            TooLong,
            Command(Result<Command, CommandError>),
            Auth(ServerStep),
        }
        let (consumed, line) = match (self.framer.frame(self.conduit.input()), &mut self.phase) {
            (Frame::Line { line, consumed }, Phase::AuthResponse(exchange)) => {
                (consumed, Line::Auth(exchange.receive_line(line)))
            }
            // AUTH lines may be longer than other commands (RFC 4954 §4).
            (Frame::Line { line, consumed }, _)
                if line.len() + 2 > self.config.max_line_len && !is_auth_command(line) =>
            {
                (consumed, Line::TooLong)
            }
            (Frame::Line { line, consumed }, _) => {
                (consumed, Line::Command(Command::parse_line(line)))
            }
            (Frame::Incomplete { consumed }, _) => (consumed, Line::None),
            (Frame::TooLong { consumed }, _) => (consumed, Line::TooLong),
        };
        self.conduit.consume(consumed);
        match line {
            Line::None => return consumed > 0,
            Line::TooLong => {
                if let Phase::AuthResponse(_) = self.phase {
                    self.phase = Phase::Command;
                    self.fail(Reply::fixed(
                        500,
                        Some((5, 5, 6)),
                        "Authentication line too long",
                    ));
                } else {
                    self.fail(Reply::fixed(500, Some((5, 5, 2)), "Line too long"));
                }
            }
            Line::Command(command) => self.handle(command),
            Line::Auth(step) => {
                if let Phase::AuthResponse(exchange) =
                    std::mem::replace(&mut self.phase, Phase::Command)
                {
                    self.auth_step(exchange, step);
                }
            }
        }
        true
    }

    fn handle(&mut self, command: Result<Command, CommandError>) {
        let command = match command {
            Ok(c) => c,
            Err(e) => return self.fail(e.reply()),
        };
        let ends_group = ends_pipelined_group(command.verb());
        self.dispatch(command);
        if ends_group {
            // The client waits for this reply before it sends more (RFC 2920 §3.1).
            self.conduit.mark();
        }
    }

    fn dispatch(&mut self, command: Command) {
        match command {
            Command::Helo { host } => self.on_hello(Verb::Helo, host),
            Command::Ehlo { host } => self.on_hello(Verb::Ehlo, host),
            Command::Lhlo { host } => self.on_hello(Verb::Lhlo, host),
            Command::Mail { from, params } => self.on_mail(from, params),
            Command::Rcpt { to, params } => self.on_rcpt(to, &params),
            Command::Data => self.on_data(),
            Command::Bdat { size, last } => self.on_bdat(size, last),
            Command::Rset => {
                self.reset_transaction();
                self.send(Reply::fixed(250, Some((2, 0, 0)), "Ok"));
            }
            Command::Noop { .. } => self.send(Reply::fixed(250, Some((2, 0, 0)), "Ok")),
            Command::Help { .. } => self.send(self.config.help_reply.clone()),
            Command::Vrfy { query } => {
                self.conduit.push_event(Event::Query {
                    verb: Verb::Vrfy,
                    query,
                });
                self.send(self.config.vrfy_reply.clone());
            }
            Command::Expn { query } => {
                self.conduit.push_event(Event::Query {
                    verb: Verb::Expn,
                    query,
                });
                self.send(self.config.expn_reply.clone());
            }
            Command::Quit => {
                self.reset_transaction();
                self.send(Reply::fixed(221, Some((2, 0, 0)), "Bye"));
                self.close();
            }
            Command::StartTls => self.on_starttls(),
            Command::Auth {
                mechanism,
                initial_response,
            } => {
                self.on_auth(&mechanism, initial_response.as_ref().map(|r| r.expose()));
            }
        }
    }

    fn on_hello(&mut self, verb: Verb, host: Host) {
        if self.config.lmtp != (verb == Verb::Lhlo) {
            return self.fail(Reply::fixed(500, Some((5, 5, 1)), "Command unrecognized"));
        }
        self.reset_transaction();
        self.hello = Some(verb);
        self.conduit.push_event(Event::Hello { host, verb });
        if verb == Verb::Helo {
            let name = self.config.hostname.to_string();
            self.send(Reply::fixed(250, None, &name));
        } else {
            let reply = self.ehlo_response().to_reply();
            self.send(reply);
        }
    }

    /// The EHLO / LHLO reply for the session's current state.
    pub fn ehlo_response(&self) -> EhloResponse {
        let c = &self.config;
        let mut caps = Vec::new();
        let mut offer = |on: bool, cap: Capability| {
            if on {
                caps.push(cap);
            }
        };
        offer(c.pipelining, Capability::Pipelining);
        offer(
            c.max_message_size.is_some(),
            Capability::Size(c.max_message_size),
        );
        offer(c.eight_bit_mime, Capability::EightBitMime);
        offer(c.smtputf8, Capability::SmtpUtf8);
        offer(c.chunking, Capability::Chunking);
        offer(c.chunking && c.binary_mime, Capability::BinaryMime);
        offer(c.enhanced_status_codes, Capability::EnhancedStatusCodes);
        offer(c.dsn, Capability::Dsn);
        offer(c.starttls && !self.tls, Capability::StartTls);
        offer(c.require_tls_extension && self.tls, Capability::RequireTls);
        let mechanisms: Vec<Mechanism> = self
            .offered_mechanisms()
            .filter_map(|m| Mechanism::new(m.as_str()))
            .collect();
        offer(!mechanisms.is_empty(), Capability::Auth(mechanisms));
        offer(true, Capability::Help);
        EhloResponse::for_domain(&c.hostname, caps)
    }

    fn on_mail(&mut self, from: ReversePath, params: MailParameters) {
        if self.hello.is_none() {
            return self.fail(Reply::fixed(503, Some((5, 5, 1)), "Send EHLO first"));
        }
        if self.tx.is_some() {
            return self.fail(Reply::fixed(503, Some((5, 5, 1)), "Nested MAIL command"));
        }
        if self.config.require_encryption && !self.tls {
            return self.fail(Reply::fixed(
                530,
                Some((5, 7, 0)),
                "Must issue a STARTTLS command first",
            ));
        }
        if self.config.require_auth && !self.authenticated {
            return self.fail(Reply::fixed(
                530,
                Some((5, 7, 0)),
                "Authentication required",
            ));
        }
        if let Some(reply) = self.check_mail(&from, &params) {
            return self.send(reply);
        }
        self.conduit.push_event(Event::Mail {
            from: from.clone(),
            params: params.clone(),
        });
        self.phase = Phase::Pending(Pending::Mail { from, params });
    }

    fn check_mail(&self, from: &ReversePath, params: &MailParameters) -> Option<Reply> {
        let c = &self.config;
        let unsupported = |text: &str| Some(Reply::fixed(555, Some((5, 5, 4)), text));
        if self.hello == Some(Verb::Helo) && *params != MailParameters::default() {
            return unsupported("Parameters need EHLO");
        }
        if let (Some(size), Some(max)) = (params.size, c.max_message_size)
            && size > max
        {
            return Some(body::too_big());
        }
        match params.body {
            Some(Body::EightBitMime) if !c.eight_bit_mime => {
                return unsupported("BODY=8BITMIME not supported");
            }
            Some(Body::BinaryMime) if !(c.chunking && c.binary_mime) => {
                return unsupported("BODY=BINARYMIME not supported");
            }
            _ => {}
        }
        if params.smtputf8 && !c.smtputf8 {
            return unsupported("SMTPUTF8 not supported");
        }
        if (params.ret.is_some() || params.envid.is_some()) && !c.dsn {
            return unsupported("DSN not supported");
        }
        if params.requiretls && !(c.require_tls_extension && self.tls) {
            return unsupported("REQUIRETLS not supported");
        }
        if let Some(p) = params.other.first() {
            return unsupported(&format!("Unsupported parameter {}", p.keyword()));
        }
        if from.mailbox().is_some_and(|m| !m.is_ascii()) && !params.smtputf8 {
            return Some(Reply::fixed(
                553,
                Some((5, 6, 7)),
                "Non-ASCII address needs SMTPUTF8",
            ));
        }
        None
    }

    fn on_rcpt(&mut self, to: ForwardPath, params: &RcptParameters) {
        let Some(tx) = &self.tx else {
            return self.fail(Reply::fixed(503, Some((5, 5, 1)), "Need MAIL before RCPT"));
        };
        if tx.recipients.len() >= self.config.max_recipients {
            return self.send(Reply::fixed(452, Some((4, 5, 3)), "Too many recipients"));
        }
        let unsupported = |text: &str| Reply::fixed(555, Some((5, 5, 4)), text);
        if self.hello == Some(Verb::Helo) && *params != RcptParameters::default() {
            return self.send(unsupported("Parameters need EHLO"));
        }
        if (params.notify.is_some() || params.orcpt.is_some()) && !self.config.dsn {
            return self.send(unsupported("DSN not supported"));
        }
        if let Some(p) = params.other.first() {
            return self.send(unsupported(&format!(
                "Unsupported parameter {}",
                p.keyword()
            )));
        }
        if to.mailbox().is_some_and(|m| !m.is_ascii()) && !tx.params.smtputf8 {
            return self.send(Reply::fixed(
                553,
                Some((5, 6, 7)),
                "Non-ASCII address needs SMTPUTF8",
            ));
        }
        self.conduit.push_event(Event::Rcpt {
            to: to.clone(),
            params: params.clone(),
        });
        self.phase = Phase::Pending(Pending::Rcpt { to });
    }

    fn on_starttls(&mut self) {
        if !self.config.starttls {
            return self.fail(Reply::fixed(502, Some((5, 5, 1)), "STARTTLS not available"));
        }
        if self.tls {
            return self.fail(Reply::fixed(503, Some((5, 5, 1)), "TLS already active"));
        }
        self.send(Reply::fixed(220, Some((2, 0, 0)), "Ready to start TLS"));
        self.phase = Phase::StartTls;
        // RFC 3207 §4.2: anything the client pipelined after STARTTLS is plaintext an
        // attacker may have injected; the conduit drops it.
        self.conduit.start_tls();
    }
}

/// The longest line an AUTH exchange may send, CRLF included (RFC 4954 §4).
const MAX_AUTH_LINE_LEN: usize = 12288;

/// Lines are framed up to the AUTH limit when AUTH is offered; other commands are held to
/// `max_line_len` once framed.
fn frame_limit(config: &Config) -> usize {
    if config.auth_mechanisms.is_empty() {
        config.max_line_len
    } else {
        config.max_line_len.max(MAX_AUTH_LINE_LEN)
    }
}

/// Commands that may only be the last of a pipelined group (RFC 2920 §3.1, with STARTTLS
/// by RFC 3207 §4.2 and AUTH, whose exchange needs the reply): the client waits for
/// their reply.
fn ends_pipelined_group(verb: Verb) -> bool {
    matches!(
        verb,
        Verb::Ehlo
            | Verb::Helo
            | Verb::Lhlo
            | Verb::Data
            | Verb::Vrfy
            | Verb::Expn
            | Verb::Quit
            | Verb::Noop
            | Verb::StartTls
            | Verb::Auth
    )
}

fn is_auth_command(line: &[u8]) -> bool {
    line.get(..5)
        .is_some_and(|verb| verb.eq_ignore_ascii_case(b"AUTH "))
}

impl mailwire_core::Session for Session {
    type Event = Event;

    fn receive(&mut self, bytes: &[u8]) {
        if matches!(self.phase, Phase::StartTls | Phase::Closed) {
            return;
        }
        if !mailwire_core::Session::receiving_command(self) {
            self.arrived = 0;
        }
        self.arrived = self.arrived.saturating_add(bytes.len() as u64);
        if matches!(self.phase, Phase::Data(_)) && self.conduit.input_len() == 0 {
            // The body's fast path: unstuff straight from the caller's buffer.
            let used = self.feed_data(bytes);
            if matches!(self.phase, Phase::StartTls | Phase::Closed) {
                return;
            }
            self.conduit.push_input(&bytes[used..]);
        } else {
            self.conduit.push_input(bytes);
        }
        self.process();
    }

    fn receive_eof(&mut self) {
        self.close();
    }

    fn timed_out(&mut self) {
        if !matches!(self.phase, Phase::Closed) {
            self.send(Reply::fixed(
                421,
                Some((4, 4, 2)),
                "Timeout, closing connection",
            ));
        }
        self.close();
    }

    fn transmit(&mut self) -> Option<Bytes> {
        // Replies to a pipelined batch go out together, once the batch is processed
        // (RFC 2920 §3.2): all of them when the input is used up (nothing but part of a
        // line is left), even if a decision is pending; while one is pending with more
        // commands waiting behind it, only those up to a command that ends a group, whose
        // client waits for them.
        match self.phase {
            Phase::Pending(_) if memchr::memchr(b'\n', self.conduit.input()).is_some() => {
                self.conduit.transmit_to_mark()
            }
            _ => self.conduit.transmit(),
        }
    }

    fn poll_event(&mut self) -> Option<Event> {
        self.conduit.poll_event()
    }

    fn transport(&self) -> Transport {
        self.conduit.transport()
    }

    fn tls_established(&mut self) {
        if !matches!(self.phase, Phase::StartTls) {
            return;
        }
        // RFC 3207 §4.2: forget everything learnt before the handshake.
        self.tls = true;
        self.hello = None;
        self.reset_transaction();
        self.authenticated = false;
        self.conduit.tls_established();
        self.framer = LineFramer::new(frame_limit(&self.config));
        self.phase = Phase::Command;
    }

    fn timeout(&self) -> Option<Duration> {
        Some(self.config.timeout)
    }

    /// A command line, a SASL response line or a message body (after DATA, or a BDAT
    /// chunk's octets) has begun and not ended; not while a decision is pending.
    fn receiving_command(&self) -> bool {
        match self.phase {
            Phase::Command | Phase::AuthResponse(_) => {
                self.conduit.input_len() > 0 || self.framer.is_skipping()
            }
            Phase::Data(_) | Phase::Bdat(_) => true,
            Phase::Pending(_) | Phase::StartTls | Phase::Closed => false,
        }
    }

    fn command_timeout(&self) -> Option<Duration> {
        let earned = self.arrived / self.config.min_transfer_rate.max(1);
        self.config
            .command_timeout
            .map(|limit| limit.saturating_add(Duration::from_secs(earned)))
    }

    fn wants_input(&self) -> bool {
        match self.phase {
            Phase::StartTls | Phase::Closed => false,
            Phase::Pending(_) => self.conduit.input_len() < MAX_BUFFERED,
            _ => true,
        }
    }
}
