//! The client side of an SMTP, ESMTP or LMTP conversation, without I/O.
//!
//! [`Session`] reads the greeting, says EHLO (falling back to HELO), upgrades to TLS and
//! authenticates as configured, then reports [`Event::Ready`]. Each message is an
//! [`Envelope`] given to [`Session::send_mail`]; the session picks the MAIL parameters from
//! it and the server's capabilities, pipelines MAIL / RCPT / DATA when the server offers
//! PIPELINING, uses BDAT when it offers CHUNKING, asks for the body with
//! [`Event::SendBody`], dot-stuffs it as it streams, and reports each recipient's outcome.
//!
//! ```
//! use mailwire_smtp::Session as _;
//! use mailwire_smtp::client::{Config, Event, Session};
//! use mailwire_smtp::Host;
//!
//! let mut client = Session::new(Config::new(Host::parse("client.example").unwrap()));
//! client.receive(b"220 mx.example.org ESMTP\r\n");
//! assert_eq!(&client.transmit().unwrap()[..], b"EHLO client.example\r\n");
//! client.receive(b"250-mx.example.org\r\n250 PIPELINING\r\n");
//! assert!(matches!(client.poll_event(), Some(Event::Ready { .. })));
//! ```

mod auth;
mod config;
mod event;

use std::collections::VecDeque;
use std::time::Duration;

use bytes::{BufMut, Bytes};
use mailwire_core::dot::DotStuffer;
use mailwire_core::line::{Frame, LineFramer};
use mailwire_core::{Conduit, Transport};

pub use config::{Config, Credentials, DsnRequest, Envelope, RecipientDsn, Timeouts, TlsPolicy};
pub use event::{Event, Failure, MessageFailure, RecipientResult};

use crate::codec::decode::reply::ReplyAssembler;
use crate::types::capability::{Capability, EhloResponse};
use crate::types::command::{Command, InitialResponse};
use crate::types::grammar::put_u64;
use crate::types::mechanism::Mechanism;
use crate::types::param::{Body, MailParameters, RcptParameters};
use crate::types::reply::{Reply, ReplyCode};
use mailwire_sasl::ClientExchange;

/// The application called a method that does not fit the session's state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `send_mail` or `reset` before [`Event::Ready`], or while a message or a reset is
    /// under way.
    #[error("the session is not ready for a message")]
    NotReady,
    /// `send_mail` with no recipient.
    #[error("the envelope has no recipient")]
    NoRecipients,
    /// `write_body` or `finish_body` before [`Event::SendBody`] or after `finish_body`.
    #[error("the session is not waiting for the body")]
    NotSendingBody,
}

#[derive(Debug)]
enum Phase {
    Greeting,
    Hello { helo: bool },
    StartTls,
    Handshake,
    Auth(Box<ClientExchange>),
    Ready,
    Transaction(Box<Transaction>),
    Reset,
    Quit,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Mail,
    Rcpt(usize),
    Data,
    Bdat { last: bool },
    Final,
    Rset,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyState {
    NotYet,
    Writing,
    /// The server refused a BDAT chunk while the body was being written: no more chunks
    /// go out (RFC 3030 §3), and the transaction is reset.
    Refused,
    Finished,
}

/// What became of a piece of the body given to [`Session::write_body`] or of
/// [`Session::finish_body`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyOutcome {
    /// Queued for sending.
    Queued,
    /// The server already refused a BDAT chunk of this message, so the transaction has
    /// failed and nothing more of the body is sent; [`Event::MessageDone`] reports the
    /// refusal for every accepted recipient once the server has answered the RSET that
    /// ends the transaction.
    TransactionFailed,
}

#[derive(Debug)]
struct Transaction {
    envelope: Envelope,
    params: MailParameters,
    expect: VecDeque<Expect>,
    pipelined: bool,
    chunking: bool,
    mail: Option<Reply>,
    rcpt: Vec<Option<Reply>>,
    body: BodyState,
    stuffer: DotStuffer,
    /// A failure of DATA or of a BDAT chunk, which decides for every accepted recipient.
    data_failure: Option<Reply>,
    finals: Vec<Reply>,
}

impl Transaction {
    fn mail_ok(&self) -> bool {
        self.mail.as_ref().is_some_and(|r| r.code().is_success())
    }

    fn accepted(&self) -> usize {
        self.rcpt
            .iter()
            .flatten()
            .filter(|r| r.code().is_success())
            .count()
    }

    fn all_rcpt_replies_in(&self) -> bool {
        self.rcpt.iter().all(Option::is_some)
    }
}

/// A client conversation. See the [module documentation](self) for the flow, and
/// [`mailwire_core::Session`] for the driver's side.
///
/// A driver calls [`new`](Self::new), then any `with_*` method, then, round after round,
/// `poll_event` (answering each event), `transmit`, `transport` and `receive`; see
/// [`mailwire_core::Session`] for the details.
#[derive(Debug)]
pub struct Session {
    config: std::sync::Arc<Config>,
    phase: Phase,
    /// Input, output, events and transport.
    conduit: Conduit<Event>,
    framer: LineFramer,
    assembler: ReplyAssembler,
    capabilities: Option<EhloResponse>,
    tls: bool,
    tls_refused: bool,
    authenticated: bool,
    /// `quit` was called while a reply the client must wait for was outstanding.
    quit_requested: bool,
}

impl Session {
    /// Starts a conversation; the session waits for the server's greeting.
    pub fn new(config: impl Into<std::sync::Arc<Config>>) -> Self {
        let config = config.into();
        Self {
            framer: LineFramer::new(config.max_reply_line_len),
            tls: config.implicit_tls,
            config,
            phase: Phase::Greeting,
            conduit: Conduit::new(),
            assembler: ReplyAssembler::default(),
            capabilities: None,
            tls_refused: false,
            authenticated: false,
            quit_requested: false,
        }
    }

    /// What the server offered in its last EHLO reply.
    pub fn capabilities(&self) -> Option<&EhloResponse> {
        self.capabilities.as_ref()
    }

    /// Whether the connection is encrypted.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// Starts a message. The session reports each recipient, then [`Event::SendBody`], and
    /// at last [`Event::MessageDone`] — or [`Event::MessageFailed`] if the server cannot
    /// take the message or refuses the sender.
    pub fn send_mail(&mut self, envelope: Envelope) -> Result<(), Error> {
        if !matches!(self.phase, Phase::Ready) {
            return Err(Error::NotReady);
        }
        if envelope.recipients.is_empty() {
            return Err(Error::NoRecipients);
        }
        let params = match self.mail_parameters(&envelope) {
            Ok(params) => params,
            Err(reason) => {
                self.conduit.push_event(Event::MessageFailed { reason });
                return Ok(());
            }
        };
        let has = |c: Capability| self.capabilities.as_ref().is_some_and(|e| e.has(&c));
        let pipelined = has(Capability::Pipelining);
        // BDAT chunks go out back to back, which RFC 3030 allows only with PIPELINING, unless
        // the body is binary and BDAT is the only way.
        let chunking = has(Capability::Chunking) && (pipelined || tx_body_is_binary(&envelope));
        let mut tx = Transaction {
            rcpt: vec![None; envelope.recipients.len()],
            envelope,
            params,
            expect: VecDeque::new(),
            pipelined,
            chunking,
            mail: None,
            body: BodyState::NotYet,
            stuffer: DotStuffer::new(),
            data_failure: None,
            finals: Vec::new(),
        };
        let mail = Command::Mail {
            from: tx.envelope.from.clone(),
            params: tx.params.clone(),
        };
        self.command(&mail);
        tx.expect.push_back(Expect::Mail);
        if pipelined {
            for i in 0..tx.envelope.recipients.len() {
                self.send_rcpt(&mut tx, i);
            }
            if !chunking {
                self.command(&Command::Data);
                tx.expect.push_back(Expect::Data);
            }
        }
        self.phase = Phase::Transaction(Box::new(tx));
        self.process();
        Ok(())
    }

    /// Checks the envelope against the server's capabilities and picks the parameters.
    fn mail_parameters(&self, envelope: &Envelope) -> Result<MailParameters, MessageFailure> {
        let caps = self.capabilities.as_ref();
        let has = |c: Capability| caps.is_some_and(|e| e.has(&c));
        let mut params = MailParameters::default();
        if caps.is_some_and(EhloResponse::offers_size) {
            if let (Some(limit), Some(size)) =
                (caps.and_then(EhloResponse::size_limit), envelope.size)
                && size > limit
            {
                return Err(MessageFailure::TooBig { limit });
            }
            params.size = envelope.size;
        }
        params.body = match envelope.body {
            Body::SevenBit => None,
            Body::EightBitMime if has(Capability::EightBitMime) => Some(Body::EightBitMime),
            Body::EightBitMime => return Err(MessageFailure::EightBitUnsupported),
            Body::BinaryMime if has(Capability::Chunking) && has(Capability::BinaryMime) => {
                Some(Body::BinaryMime)
            }
            Body::BinaryMime => return Err(MessageFailure::BinaryUnsupported),
        };
        if envelope.needs_smtputf8() {
            if !has(Capability::SmtpUtf8) {
                return Err(MessageFailure::Utf8Unsupported);
            }
            params.smtputf8 = true;
        }
        if envelope.require_tls {
            if !(self.tls && has(Capability::RequireTls)) {
                return Err(MessageFailure::RequireTlsUnsupported);
            }
            params.requiretls = true;
        }
        if has(Capability::Dsn) {
            params.ret = envelope.dsn.ret;
            params.envid.clone_from(&envelope.dsn.envid);
        }
        Ok(params)
    }

    /// Writes the next piece of the body (the message as it should arrive, lines ending
    /// in CRLF). With DATA it is dot-stuffed; with BDAT it becomes one chunk, and the
    /// server's reply to each chunk is read as soon as it arrives: once one refuses a
    /// chunk, this returns [`BodyOutcome::TransactionFailed`] and sends nothing.
    pub fn write_body(&mut self, bytes: &[u8]) -> Result<BodyOutcome, Error> {
        let Phase::Transaction(tx) = &mut self.phase else {
            return Err(Error::NotSendingBody);
        };
        match tx.body {
            BodyState::Writing => {}
            BodyState::Refused => return Ok(BodyOutcome::TransactionFailed),
            BodyState::NotYet | BodyState::Finished => return Err(Error::NotSendingBody),
        }
        if bytes.is_empty() {
            return Ok(BodyOutcome::Queued);
        }
        if tx.chunking {
            let out = self.conduit.output();
            out.put_slice(b"BDAT ");
            put_u64(out, u64::try_from(bytes.len()).unwrap_or(u64::MAX));
            out.put_slice(b"\r\n");
            out.put_slice(bytes);
            tx.expect.push_back(Expect::Bdat { last: false });
            // A reply that came before the application wrote is read now.
            self.process();
        } else {
            tx.stuffer.encode(bytes, self.conduit.output());
        }
        Ok(BodyOutcome::Queued)
    }

    /// Ends the body; [`BodyOutcome::TransactionFailed`] (and nothing sent) if the server
    /// has already refused a BDAT chunk.
    pub fn finish_body(&mut self) -> Result<BodyOutcome, Error> {
        let lmtp = self.config.lmtp;
        let Phase::Transaction(tx) = &mut self.phase else {
            return Err(Error::NotSendingBody);
        };
        match tx.body {
            BodyState::Writing => {}
            BodyState::Refused => return Ok(BodyOutcome::TransactionFailed),
            BodyState::NotYet | BodyState::Finished => return Err(Error::NotSendingBody),
        }
        tx.body = BodyState::Finished;
        let finals = if lmtp { tx.accepted() } else { 1 };
        if tx.chunking {
            self.conduit.write(b"BDAT 0 LAST\r\n");
            if lmtp {
                tx.expect.extend(std::iter::repeat_n(Expect::Final, finals));
            } else {
                tx.expect.push_back(Expect::Bdat { last: true });
            }
        } else {
            tx.stuffer.finish(self.conduit.output());
            tx.expect.extend(std::iter::repeat_n(Expect::Final, finals));
        }
        self.process();
        Ok(BodyOutcome::Queued)
    }

    /// Says RSET: the server forgets any transaction it may hold, and the answer shows the
    /// connection still works. Reports [`Event::Reset`] once the server has answered, or
    /// [`Event::Failed`] if it refused or the connection is gone.
    ///
    /// A client that keeps a connection open for many messages calls this before reusing
    /// it after a pause: a server that closed the connection meanwhile is found out before
    /// a message is given to it.
    pub fn reset(&mut self) -> Result<(), Error> {
        if !matches!(self.phase, Phase::Ready) {
            return Err(Error::NotReady);
        }
        self.command(&Command::Rset);
        self.phase = Phase::Reset;
        self.process();
        Ok(())
    }

    /// Ends the conversation politely: QUIT, then close.
    ///
    /// QUIT goes out at once when nothing is under way. Otherwise it waits: for the
    /// greeting, for the reply to EHLO, STARTTLS or AUTH (which may only end a pipelined
    /// group, RFC 2920 §3.1), or for the end of the message being sent.
    pub fn quit(&mut self) {
        match self.phase {
            Phase::Quit | Phase::Closed => {}
            Phase::Ready => {
                self.send_quit();
                self.process();
            }
            _ => self.quit_requested = true,
        }
    }

    fn send_quit(&mut self) {
        self.quit_requested = false;
        self.command(&Command::Quit);
        self.phase = Phase::Quit;
    }

    fn command(&mut self, command: &Command) {
        command.encode(self.conduit.output());
    }

    fn send_rcpt(&mut self, tx: &mut Transaction, i: usize) {
        let mut params = RcptParameters::default();
        let dsn = self
            .capabilities
            .as_ref()
            .is_some_and(|e| e.has(&Capability::Dsn));
        if dsn {
            let (notify, orcpt) = tx.envelope.dsn.for_recipient(i);
            params.notify = notify;
            params.orcpt = orcpt.cloned();
        }
        let rcpt = Command::Rcpt {
            to: tx.envelope.recipients[i].clone(),
            params,
        };
        self.command(&rcpt);
        tx.expect.push_back(Expect::Rcpt(i));
    }

    fn hello(&mut self) {
        let host = self.config.hostname.clone();
        let command = if self.config.lmtp {
            Command::Lhlo { host }
        } else {
            Command::Ehlo { host }
        };
        self.command(&command);
        self.phase = Phase::Hello { helo: false };
    }

    /// Gives up on the connection: QUIT if the server still listens, then close.
    fn fail(&mut self, reason: Failure, quit: bool) {
        self.conduit.push_event(Event::Failed { reason });
        if quit {
            self.command(&Command::Quit);
            self.phase = Phase::Quit;
        } else {
            self.close();
        }
    }

    fn close(&mut self) {
        self.phase = Phase::Closed;
        self.conduit.close();
    }

    /// Whether the session waits for the application (to send a message, or to write the
    /// body) before it reads on: replies buffered meanwhile are taken up afterwards, so any
    /// split of the server's bytes gives the same conversation. Replies to BDAT chunks
    /// already sent are read while the body is written, so that a refusal stops it.
    fn awaiting_application(&self) -> bool {
        match &self.phase {
            Phase::Ready => true,
            Phase::Transaction(tx) => tx.body == BodyState::Writing && tx.expect.is_empty(),
            _ => false,
        }
    }

    fn process(&mut self) {
        while !matches!(self.phase, Phase::Closed | Phase::Handshake)
            && !self.awaiting_application()
        {
            let (consumed, outcome) = match self.framer.frame(self.conduit.input()) {
                Frame::Line { line, consumed } => (consumed, Some(self.assembler.push_line(line))),
                Frame::Incomplete { consumed } => (consumed, None),
                Frame::TooLong { consumed } => (consumed, Some(Err(crate::ReplyError::TooLong))),
            };
            self.conduit.consume(consumed);
            match outcome {
                None if consumed == 0 => return,
                None | Some(Ok(None)) => {}
                Some(Ok(Some(reply))) => self.on_reply(reply),
                Some(Err(_)) => self.fail(Failure::Protocol, false),
            }
        }
    }

    fn on_reply(&mut self, reply: Reply) {
        if reply.code() == ReplyCode::SERVICE_UNAVAILABLE && !matches!(self.phase, Phase::Quit) {
            return self.fail(Failure::ServiceClosing { reply }, false);
        }
        match std::mem::replace(&mut self.phase, Phase::Closed) {
            Phase::Greeting if reply.code() == ReplyCode::SERVICE_READY => {
                if self.quit_requested {
                    self.send_quit();
                } else {
                    self.hello();
                }
            }
            Phase::Greeting => self.fail(Failure::Greeting { reply }, true),
            Phase::Hello { helo } => self.on_hello_reply(helo, reply),
            Phase::StartTls if reply.code() == ReplyCode::SERVICE_READY => {
                self.phase = Phase::Handshake;
                self.conduit.start_tls();
            }
            Phase::StartTls => {
                if self.config.tls == TlsPolicy::Required {
                    return self.fail(Failure::TlsUnavailable, true);
                }
                self.tls_refused = true;
                self.after_hello();
            }
            Phase::Auth(mechanism) => self.on_auth_reply(mechanism, reply),
            Phase::Transaction(tx) => self.on_transaction_reply(tx, reply),
            Phase::Reset if reply.code().is_success() => {
                self.phase = Phase::Ready;
                self.conduit.push_event(Event::Reset);
                if self.quit_requested {
                    self.send_quit();
                }
            }
            Phase::Reset => self.fail(Failure::ResetRefused { reply }, true),
            Phase::Quit => self.close(),
            Phase::Ready | Phase::Handshake | Phase::Closed => self.fail(Failure::Protocol, false),
        }
    }

    fn on_hello_reply(&mut self, helo: bool, reply: Reply) {
        if reply.code() == ReplyCode::OK {
            // A 250 that does not parse as a capability list still means "hello"; offer nothing.
            self.capabilities = if helo {
                None
            } else {
                EhloResponse::from_reply(&reply).ok()
            };
            return self.after_hello();
        }
        if helo || self.config.lmtp || !reply.code().is_failure() {
            return self.fail(Failure::Hello { reply }, true);
        }
        if self.quit_requested {
            return self.send_quit();
        }
        // RFC 5321 §3.2: a server that does not know EHLO may know HELO.
        let host = self.config.hostname.clone();
        self.command(&Command::Helo { host });
        self.phase = Phase::Hello { helo: true };
    }

    /// After EHLO: STARTTLS, then AUTH, then ready.
    fn after_hello(&mut self) {
        if self.quit_requested {
            return self.send_quit();
        }
        let offers = |c: Capability| self.capabilities.as_ref().is_some_and(|e| e.has(&c));
        if !self.tls && !self.tls_refused && self.config.tls != TlsPolicy::Never {
            if offers(Capability::StartTls) {
                self.command(&Command::StartTls);
                self.phase = Phase::StartTls;
                return;
            }
            if self.config.tls == TlsPolicy::Required {
                return self.fail(Failure::TlsUnavailable, true);
            }
        }
        if !self.tls && self.config.tls == TlsPolicy::Required {
            return self.fail(Failure::TlsUnavailable, true);
        }
        if let Some(credentials) = &self.config.credentials
            && !self.authenticated
        {
            let offered = self
                .capabilities
                .as_ref()
                .map_or(&[][..], EhloResponse::auth_mechanisms);
            let clear_ok = self.tls || self.config.plaintext_auth;
            let nonce = self.config.scram_nonce.as_deref();
            let Some(mut exchange) = auth::choose(offered, credentials, clear_ok, nonce) else {
                return self.fail(Failure::NoMechanism, true);
            };
            let initial_response = exchange
                .initial_response_line()
                .and_then(InitialResponse::new);
            let mechanism = Mechanism::new(exchange.mechanism().as_str());
            if let Some(mechanism) = mechanism {
                self.command(&Command::Auth {
                    mechanism,
                    initial_response,
                });
            }
            self.phase = Phase::Auth(Box::new(exchange));
            return;
        }
        self.phase = Phase::Ready;
        self.conduit.push_event(Event::Ready {
            capabilities: self.capabilities.clone(),
        });
    }

    fn on_auth_reply(&mut self, mut exchange: Box<ClientExchange>, reply: Reply) {
        let mechanism = exchange.mechanism();
        if reply.code() == ReplyCode::AUTH_SUCCEEDED {
            // SCRAM: only a server that proved it knows the password is trusted.
            if exchange.finish(None).is_err() {
                return self.fail(Failure::ServerNotVerified, true);
            }
            self.authenticated = true;
            self.conduit.push_event(Event::Authenticated { mechanism });
            return self.after_hello();
        }
        if reply.code() == ReplyCode::AUTH_CONTINUE {
            let challenge = reply.lines().next().map_or("", str::trim);
            match exchange.respond_line(challenge.as_bytes()) {
                Ok(line) => self.conduit.write(line.as_bytes()),
                // Nothing sensible to answer: cancel (RFC 4954 §4); the server replies 501.
                Err(_) => self.conduit.write(b"*"),
            }
            self.conduit.write(b"\r\n");
            self.phase = Phase::Auth(exchange);
            return;
        }
        self.fail(Failure::AuthFailed { reply }, true);
    }

    fn on_transaction_reply(&mut self, mut tx: Box<Transaction>, reply: Reply) {
        let Some(expect) = tx.expect.pop_front() else {
            return self.fail(Failure::Protocol, false);
        };
        match expect {
            Expect::Mail => {
                let ok = reply.code().is_success();
                tx.mail = Some(reply);
                if !tx.pipelined {
                    if !ok {
                        return self.finish_transaction(tx);
                    }
                    self.send_rcpt(&mut tx, 0);
                }
            }
            Expect::Rcpt(i) => {
                let recipient = tx.envelope.recipients[i].clone();
                if tx.mail_ok() {
                    self.conduit.push_event(Event::Recipient {
                        recipient,
                        reply: reply.clone(),
                    });
                }
                tx.rcpt[i] = Some(reply);
                if !tx.pipelined && i + 1 < tx.rcpt.len() {
                    self.send_rcpt(&mut tx, i + 1);
                } else if tx.all_rcpt_replies_in() && tx.mail_ok() {
                    self.after_recipients(&mut tx);
                }
            }
            Expect::Data => {
                if reply.code() == ReplyCode::START_MAIL_INPUT {
                    if tx.mail_ok() && tx.accepted() > 0 {
                        tx.body = BodyState::Writing;
                        self.conduit.push_event(Event::SendBody);
                    } else {
                        // The server wants data for a transaction that failed: end it empty.
                        self.conduit.write(b".\r\n");
                        tx.expect.push_back(Expect::Final);
                    }
                } else {
                    tx.data_failure = Some(reply);
                }
            }
            Expect::Bdat { last } => {
                if !reply.code().is_success() && tx.data_failure.is_none() {
                    tx.data_failure = Some(reply);
                    if tx.body == BodyState::Writing {
                        // RFC 3030 §3: no more chunks. The server discards those already
                        // sent; RSET leaves no doubt about where the transaction stands.
                        tx.body = BodyState::Refused;
                        self.command(&Command::Rset);
                        tx.expect.push_back(Expect::Rset);
                    }
                } else if last {
                    tx.finals.push(reply);
                }
            }
            Expect::Final => tx.finals.push(reply),
            Expect::Rset => {}
        }
        if tx.expect.is_empty() && tx.body != BodyState::Writing {
            return self.finish_transaction(tx);
        }
        self.phase = Phase::Transaction(tx);
    }

    /// Every RCPT reply is in and MAIL succeeded: start the body, or give up with RSET.
    fn after_recipients(&mut self, tx: &mut Transaction) {
        if tx.accepted() == 0 {
            if !tx.pipelined || tx.chunking {
                self.command(&Command::Rset);
                tx.expect.push_back(Expect::Rset);
            }
            return;
        }
        if tx.chunking {
            tx.body = BodyState::Writing;
            self.conduit.push_event(Event::SendBody);
        } else if !tx.pipelined {
            self.command(&Command::Data);
            tx.expect.push_back(Expect::Data);
        }
    }

    fn finish_transaction(&mut self, tx: Box<Transaction>) {
        self.report_transaction(tx);
        if self.quit_requested {
            self.send_quit();
        }
    }

    fn report_transaction(&mut self, tx: Box<Transaction>) {
        self.phase = Phase::Ready;
        if !tx.mail_ok() {
            let reply = tx
                .mail
                .unwrap_or_else(|| Reply::fixed(554, None, "no reply"));
            let reason = MessageFailure::MailRejected { reply };
            self.conduit.push_event(Event::MessageFailed { reason });
            return;
        }
        let mut finals = tx.finals.into_iter();
        let mut last_final = None;
        let results = tx
            .envelope
            .recipients
            .into_iter()
            .zip(tx.rcpt)
            .map(|(recipient, rcpt)| {
                let rcpt = rcpt.unwrap_or_else(|| Reply::fixed(554, None, "no reply"));
                let reply = if !rcpt.code().is_success() {
                    rcpt
                } else if let Some(failure) = &tx.data_failure {
                    failure.clone()
                } else if self.config.lmtp {
                    finals
                        .next()
                        .unwrap_or_else(|| Reply::fixed(554, None, "no reply"))
                } else {
                    last_final
                        .get_or_insert_with(|| {
                            finals
                                .next()
                                .unwrap_or_else(|| Reply::fixed(554, None, "no reply"))
                        })
                        .clone()
                };
                RecipientResult { recipient, reply }
            })
            .collect();
        self.conduit.push_event(Event::MessageDone { results });
    }

    fn timeout_for_phase(&self) -> Option<Duration> {
        // RFC 5321 §4.5.3.2.
        let t = &self.config.timeouts;
        let timeout = match &self.phase {
            Phase::Ready | Phase::Closed | Phase::Handshake => return None,
            Phase::Greeting => t.greeting,
            Phase::Transaction(tx) => match tx.expect.front() {
                Some(Expect::Mail) => t.mail,
                Some(Expect::Rcpt(_)) => t.rcpt,
                Some(Expect::Data) => t.data_initiation,
                Some(Expect::Final | Expect::Bdat { last: true }) => t.data_termination,
                None if tx.body == BodyState::Writing => t.data_block,
                _ => t.command,
            },
            _ => t.command,
        };
        Some(timeout)
    }
}

fn tx_body_is_binary(envelope: &Envelope) -> bool {
    envelope.body == Body::BinaryMime
}

impl mailwire_core::Session for Session {
    type Event = Event;

    fn receive(&mut self, bytes: &[u8]) {
        if matches!(self.phase, Phase::Closed | Phase::Handshake) {
            return;
        }
        self.conduit.push_input(bytes);
        self.process();
        if self.awaiting_application() && self.conduit.input_len() > self.config.max_reply_line_len
        {
            // Nothing was asked: a server that keeps talking is not speaking SMTP, and its
            // bytes must not pile up while the application takes its time.
            self.fail(Failure::Protocol, false);
        }
    }

    fn receive_eof(&mut self) {
        if !matches!(self.phase, Phase::Quit | Phase::Closed) {
            self.conduit.push_event(Event::Failed {
                reason: Failure::ConnectionLost,
            });
        }
        self.close();
    }

    fn timed_out(&mut self) {
        if !matches!(self.phase, Phase::Closed) {
            let after = self.timeout_for_phase().unwrap_or_default();
            self.conduit.push_event(Event::Failed {
                reason: Failure::TimedOut { after },
            });
        }
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
        if !matches!(self.phase, Phase::Handshake) {
            return;
        }
        // RFC 3207 §4.2: forget what the server said before, and say EHLO again.
        self.tls = true;
        self.capabilities = None;
        self.conduit.tls_established();
        self.framer = LineFramer::new(self.config.max_reply_line_len);
        self.assembler = ReplyAssembler::default();
        if self.quit_requested {
            self.send_quit();
        } else {
            self.hello();
        }
    }

    fn timeout(&self) -> Option<Duration> {
        self.timeout_for_phase()
    }

    fn wants_input(&self) -> bool {
        !matches!(self.phase, Phase::Closed | Phase::Handshake)
    }
}
