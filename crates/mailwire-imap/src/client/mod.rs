//! The IMAP4rev1 client session: tags, literals, pipelining and results, without I/O.
//!
//! The application queues commands ([`command`](Session::command),
//! [`login`](Session::login), [`authenticate`](Session::authenticate),
//! [`idle`](Session::idle) …), each getting a tag. The session writes them as the
//! protocol allows — pipelined, except that STARTTLS, AUTHENTICATE and IDLE wait for the
//! commands before them and hold back those after; a synchronising literal waits for the
//! server's `+` unless the server announced `LITERAL+` — and reports each command's
//! completion with the untagged data that answered it. EXISTS, RECENT, EXPUNGE and FETCH
//! that no command asked for come as [`Event::Unsolicited`].
//!
//! A FETCH queued with [`command_streamed`](Session::command_streamed) hands out its
//! answers one by one, and a body literal in them longer than
//! [`Config::stream_literals_over`] (64 KiB) is not held whole: it comes as
//! [`Event::BodyStart`] followed by [`Event::BodyChunk`]s as its bytes are read, so memory
//! holds one read's worth of it at a time.
//!
//! Capabilities are read from the greeting's code or asked for, and asked again after
//! STARTTLS and after login unless the server's OK carries them.
//!
//! ```
//! use mailwire_core::Session as _;
//! use mailwire_imap::client::{Event, Session, Config};
//! use mailwire_imap::types::Completion;
//!
//! let mut config = Config::default();
//! // This example talks to no network; a real client logs in over TLS.
//! config.plaintext_auth = true;
//! let mut c = Session::new(config);
//! c.receive(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n");
//! assert!(matches!(c.poll_event(), Some(Event::Greeting { .. })));
//! let tag = c.login("fred", "secret").unwrap();
//! assert_eq!(&c.transmit().unwrap()[..], b"A1 LOGIN fred secret\r\n");
//! c.receive(b"A1 OK [CAPABILITY IMAP4rev1 IDLE] done\r\n");
//! let completed = std::iter::from_fn(|| c.poll_event())
//!     .find_map(|e| match e {
//!         Event::Completed { tag, completion, .. } => Some((tag, completion)),
//!         _ => None,
//!     });
//! assert_eq!(completed, Some((tag, Completion::Ok)));
//! assert!(c.has_capability(&mailwire_imap::types::Capability::Idle));
//! ```

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::time::Duration;

use bytes::Bytes;
use mailwire_core::{Conduit, Secret, Transport};
use mailwire_sasl::ClientExchange;
use thiserror::Error;

use crate::codec::{
    Decoded, Fragment, FrameEvent, Framer, Limits, LiteralMode, decode_greeting, decode_response,
    encode_command,
};
use crate::types::{
    Capability, Code, Command, CommandBody, Completion, Condition, Data, IString, MessageDataItem,
    NonEmpty, Response, Status, Tag, Text,
};

/// What the client session reports.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// The server's greeting.
    Greeting {
        /// OK, PREAUTH or BYE.
        condition: Condition,
        /// Its text.
        text: Text,
    },
    /// A command completed, with the untagged responses that answered it, in order.
    Completed {
        /// The command's tag.
        tag: Tag,
        /// The command's name (`UID FETCH` …).
        command: &'static str,
        /// OK, NO or BAD.
        completion: Completion,
        /// The tagged response's code.
        code: Option<Code>,
        /// The tagged response's text.
        text: Text,
        /// Untagged data that answered the command.
        data: Vec<Data>,
        /// Untagged status responses (`* OK [UIDVALIDITY …]` …) received meanwhile.
        statuses: Vec<Status>,
    },
    /// Untagged data no pending command asked for: EXISTS, RECENT, EXPUNGE, FETCH of flags
    /// changed elsewhere.
    Unsolicited(Data),
    /// Untagged data answering a command queued with
    /// [`command_streamed`](Session::command_streamed), as soon as it is read; its
    /// [`Event::Completed`] then carries no data.
    Answer {
        /// The command's tag.
        tag: Tag,
        /// The data.
        data: Data,
    },
    /// A body literal longer than [`Config::stream_literals_over`] starts, in FETCH data
    /// answering a command queued with [`command_streamed`](Session::command_streamed):
    /// its `length` bytes follow as [`Event::BodyChunk`]s. The FETCH data, once read to its
    /// end, comes as usual as [`Event::Answer`], with this item's data `NIL`.
    BodyStart {
        /// The FETCH command's tag.
        tag: Tag,
        /// The message sequence number.
        seq: NonZeroU32,
        /// The items of the FETCH data read so far, in order (the UID among them when the
        /// server sent it first); the last is the item whose data now streams, with
        /// data `NIL`.
        items: Vec<MessageDataItem>,
        /// The literal's length in bytes.
        length: u32,
    },
    /// The next bytes of the body an [`Event::BodyStart`] announced; the chunks add up
    /// to its length.
    BodyChunk {
        /// The FETCH command's tag.
        tag: Tag,
        /// The bytes, in the order received.
        data: Bytes,
    },
    /// The server is ready for the data of the `index`-th message (from 0) of an APPEND
    /// queued with [`append_streamed`](Session::append_streamed): write its `length`
    /// bytes with [`write_literal`](Session::write_literal).
    SendLiteral {
        /// The APPEND's tag.
        tag: Tag,
        /// Which message.
        index: usize,
        /// Its length in bytes.
        length: u32,
    },
    /// An untagged status outside any command, such as an `[ALERT]`.
    Status(Status),
    /// The server now advertises these capabilities.
    Capabilities(Vec<Capability>),
    /// The server accepted IDLE: updates follow until [`Session::done`].
    Idling {
        /// The IDLE command's tag.
        tag: Tag,
    },
    /// The server said BYE; the connection closes.
    Bye {
        /// Its text.
        text: Text,
    },
    /// The server sent something that could not be read; it was skipped.
    Malformed {
        /// What was wrong.
        reason: String,
    },
}

/// The application asked for something the session cannot do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// The server advertised LOGINDISABLED.
    #[error("the server disabled LOGIN")]
    LoginDisabled,
    /// The connection is closing or closed.
    #[error("the connection is closed")]
    Closed,
    /// A string holds a byte IMAP cannot carry (NUL).
    #[error("invalid string")]
    InvalidString,
    /// No IDLE is in progress.
    #[error("not idling")]
    NotIdling,
    /// [`Session::write_literal`] when no [`Event::SendLiteral`] waits for data.
    #[error("no literal is wanted now")]
    NoLiteralWanted,
    /// LOGIN, or a SASL mechanism that sends the password or token itself (PLAIN, LOGIN,
    /// XOAUTH2, OAUTHBEARER), over a connection without TLS, and
    /// [`Config::plaintext_auth`] is off.
    #[error("the password would cross the connection in clear")]
    PlaintextNotAllowed,
}

/// A message for [`Session::append_streamed`]: its flags, internal date and length;
/// the application writes its data.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Append {
    /// Flags to set, possibly none.
    pub flags: Vec<crate::types::Flag>,
    /// The internal date to set.
    pub date: Option<crate::types::DateTime>,
    /// The message's length in bytes.
    pub length: u32,
}

impl Append {
    /// A message of `length` bytes, without flags or date.
    pub fn new(length: u32) -> Self {
        Self {
            flags: Vec::new(),
            date: None,
            length,
        }
    }
}

/// How the client reads the server, how long it waits, and what it may send in clear.
///
/// ```
/// use std::time::Duration;
/// use mailwire_imap::client::{Session, Config};
///
/// let mut config = Config::default();
/// config.timeout = Some(Duration::from_secs(60));
/// let session = Session::new(config);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Limits on what the server sends: [`Limits::for_client`] by default, whose 16 MiB
    /// lines take a SEARCH answer for a mailbox of millions of messages (100,000 UIDs
    /// already make a line of over 600 KiB), where the limits a server applies to commands
    /// ([`Limits::default`], 64 KiB lines) are much smaller.
    pub limits: Limits,
    /// How long to wait for the server while the greeting or a response is due: 5 minutes
    /// by default. RFC 3501 sets no client timeout; this is what RFC 5321 §4.5.3.2 gives an
    /// SMTP server to answer most commands. Restarts with every byte received; `None`
    /// waits forever.
    pub timeout: Option<Duration>,
    /// How long to wait for the server during IDLE: 30 minutes by default, as a server may
    /// log out an idle client after 30 minutes (RFC 3501 §5.4) and a client is to re-issue
    /// IDLE within 29 (RFC 2177 §3). `None` waits forever.
    pub idle_timeout: Option<Duration>,
    /// The connection is already under TLS (port 993).
    pub tls: bool,
    /// Allow LOGIN and SASL mechanisms that send the password or token itself over a
    /// connection without TLS. Off by default: [`Session::login`] and
    /// [`Session::authenticate`] then refuse with [`Error::PlaintextNotAllowed`]
    /// until STARTTLS has succeeded. SCRAM-SHA-256 and CRAM-MD5, which do not send the
    /// password, are always allowed.
    pub plaintext_auth: bool,
    /// The longest body literal in FETCH data that is handed out whole: a longer one,
    /// answering a command queued with [`Session::command_streamed`], streams as
    /// [`Event::BodyStart`] and [`Event::BodyChunk`]s. 64 KiB by default; `u32::MAX`
    /// keeps every body whole.
    pub stream_literals_over: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            limits: Limits::for_client(),
            timeout: Some(Duration::from_secs(5 * 60)),
            idle_timeout: Some(Duration::from_secs(30 * 60)),
            tls: false,
            plaintext_auth: false,
            stream_literals_over: 64 * 1024,
        }
    }
}

/// The commands FETCH data answers.
const FETCH_CAUSES: &[&str] = &["FETCH", "UID FETCH", "STORE", "UID STORE"];

/// What a command needs when it completes, or while it runs.
#[derive(Debug)]
enum Kind {
    Plain,
    Barrier,
    StartTls,
    Login,
    Authenticate(Box<ClientExchange>),
    Idle,
    /// The session's own CAPABILITY, not reported as a completion.
    RefreshCapabilities,
}

impl Kind {
    fn is_barrier(&self) -> bool {
        matches!(
            self,
            Kind::Barrier | Kind::StartTls | Kind::Authenticate(_) | Kind::Idle
        )
    }
}

/// What is left to do to send a command.
#[derive(Debug)]
enum Step {
    /// Write these bytes.
    Write(Vec<u8>),
    /// Wait for the server's `+`.
    Continuation,
    /// The application writes a literal of `remaining` more bytes, the data of the
    /// `index`-th message of an APPEND ([`Session::write_literal`]).
    Literal {
        index: usize,
        remaining: u32,
        announced: bool,
    },
}

#[derive(Debug)]
struct Queued {
    tag: Tag,
    name: &'static str,
    kind: Kind,
    streamed: bool,
    /// What to write, and when.
    steps: VecDeque<Step>,
}

#[derive(Debug)]
struct InFlight {
    tag: Tag,
    name: &'static str,
    kind: Kind,
    /// What is left to send of the command.
    steps: VecDeque<Step>,
    /// Answers go out as [`Event::Answer`] instead of being kept in `data`.
    streamed: bool,
    data: Vec<Data>,
    statuses: Vec<Status>,
}

/// An IMAP4rev1 client session for one connection.
///
/// A driver calls [`new`](Self::new), then any `with_*` method, then, round after round,
/// `poll_event` (answering each event), `transmit`, `transport` and `receive`; see
/// [`mailwire_core::Session`] for the details.
#[derive(Debug)]
pub struct Session {
    config: std::sync::Arc<Config>,
    /// Whether the connection is under TLS.
    tls: bool,
    /// The server accepted IDLE and `DONE` has not been sent.
    idling: bool,
    /// Input, output, events and transport.
    conduit: Conduit<Event>,
    /// Bytes at the front of the input already decoded.
    start: usize,
    /// How far `framer` has looked into the input for the end of the next response, so
    /// a response arriving in many pieces is scanned once, not again on every piece.
    scanned: usize,
    framer: Framer,
    /// The start of the response being read whose body literals stream, with `NIL` in
    /// their place; empty when no literal of it streamed.
    held: Vec<u8>,
    /// The tag of the command whose body literal is streaming now.
    streaming: Option<Tag>,
    greeted: bool,
    capabilities: Vec<Capability>,
    next_tag: u64,
    queue: VecDeque<Queued>,
    in_flight: VecDeque<InFlight>,
}

impl Default for Session {
    fn default() -> Self {
        Self::new(Config::default())
    }
}

impl Session {
    /// A session waiting for the server's greeting.
    pub fn new(config: impl Into<std::sync::Arc<Config>>) -> Self {
        let config = config.into();
        let limits = config.limits;
        Self {
            tls: config.tls,
            idling: false,
            config,
            conduit: Conduit::new(),
            start: 0,
            scanned: 0,
            framer: Framer::for_responses(limits),
            held: Vec::new(),
            streaming: None,
            greeted: false,
            capabilities: Vec::new(),
            next_tag: 1,
            queue: VecDeque::new(),
            in_flight: VecDeque::new(),
        }
    }

    /// The server's capabilities as last advertised.
    pub fn capabilities(&self) -> &[Capability] {
        &self.capabilities
    }

    /// Whether the server advertised `cap`.
    pub fn has_capability(&self, cap: &Capability) -> bool {
        self.capabilities.contains(cap)
    }

    /// Whether the connection is under TLS: from the start, or after STARTTLS.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// Whether a password may be sent as it is now: under TLS, once a STARTTLS the server
    /// accepted is upgrading the connection (commands wait for the handshake), or when the
    /// application allowed it.
    fn plaintext_allowed(&self) -> bool {
        self.tls || self.conduit.transport() == Transport::StartTls || self.config.plaintext_auth
    }

    /// Refuses a command that would send a password in clear where that is not allowed.
    fn check_plaintext(&self, body: &CommandBody) -> Result<(), Error> {
        let sends_secret = match body {
            CommandBody::Login { .. } => true,
            CommandBody::Authenticate { mechanism, .. } => mechanism
                .as_str()
                .parse::<mailwire_sasl::Mechanism>()
                .is_ok_and(|m| m.sends_plaintext_secret()),
            _ => false,
        };
        if sends_secret && !self.plaintext_allowed() {
            return Err(Error::PlaintextNotAllowed);
        }
        Ok(())
    }

    fn next_tag(&mut self) -> Tag {
        loop {
            let n = self.next_tag;
            self.next_tag += 1;
            if let Ok(tag) = Tag::new(format!("A{n}")) {
                return tag;
            }
        }
    }

    fn enqueue(&mut self, body: CommandBody, kind: Kind) -> Result<Tag, Error> {
        self.enqueue_with(body, kind, &[])
    }

    /// Queues a command whose last `written.len()` literals (empty in `body`) the
    /// application writes itself, with these lengths.
    fn enqueue_with(
        &mut self,
        body: CommandBody,
        kind: Kind,
        written: &[u32],
    ) -> Result<Tag, Error> {
        if self.conduit.transport() == Transport::Close {
            return Err(Error::Closed);
        }
        let tag = self.next_tag();
        let name = body.name();
        let mode = if self.has_capability(&Capability::LiteralPlus) {
            LiteralMode::Plus
        } else {
            LiteralMode::Sync
        };
        let encoded = encode_command(&Command::new(tag.clone(), body), mode);
        let literals = encoded
            .fragments()
            .filter(|f| matches!(f, Fragment::Literal { .. }))
            .count();
        let first_written = literals.saturating_sub(written.len());
        let mut steps = VecDeque::new();
        let mut current = Vec::new();
        let mut literal: usize = 0;
        for fragment in encoded.fragments() {
            match fragment {
                Fragment::Line(b) => current.extend_from_slice(b),
                Fragment::Literal { data, sync } => {
                    let index = literal.wrapping_sub(first_written);
                    literal += 1;
                    let length = written.get(index).copied();
                    if let Some(length) = length {
                        // `{0}` or `{0+}` announced the empty placeholder.
                        let cut = if sync { 5 } else { 6 };
                        current.truncate(current.len().saturating_sub(cut));
                        let plus = if sync { "" } else { "+" };
                        current.extend_from_slice(format!("{{{length}{plus}}}\r\n").as_bytes());
                    }
                    if sync {
                        steps.push_back(Step::Write(std::mem::take(&mut current)));
                        steps.push_back(Step::Continuation);
                    }
                    match length {
                        Some(length) => {
                            if !current.is_empty() {
                                steps.push_back(Step::Write(std::mem::take(&mut current)));
                            }
                            steps.push_back(Step::Literal {
                                index,
                                remaining: length,
                                announced: false,
                            });
                        }
                        None => current.extend_from_slice(data),
                    }
                }
            }
        }
        steps.push_back(Step::Write(current));
        self.queue.push_back(Queued {
            tag: tag.clone(),
            name,
            kind,
            streamed: false,
            steps,
        });
        self.pump();
        Ok(tag)
    }

    /// Queues any command; returns its tag.
    ///
    /// LOGIN and AUTHENTICATE with PLAIN, LOGIN, XOAUTH2 or OAUTHBEARER are refused
    /// without TLS as [`login`](Self::login) and [`authenticate`](Self::authenticate) say.
    pub fn command(&mut self, body: CommandBody) -> Result<Tag, Error> {
        self.check_plaintext(&body)?;
        let kind = match body {
            CommandBody::StartTls => Kind::StartTls,
            CommandBody::Idle => Kind::Idle,
            CommandBody::Login { .. } => Kind::Login,
            CommandBody::Authenticate { .. } => Kind::Barrier,
            _ => Kind::Plain,
        };
        self.enqueue(body, kind)
    }

    /// Queues any command, as [`command`](Self::command) does, whose answers (FETCH
    /// data for FETCH, say) come one by one as [`Event::Answer`] as soon as each is read,
    /// rather than all together with its completion: memory then holds one answer at a
    /// time, not all of them.
    pub fn command_streamed(&mut self, body: CommandBody) -> Result<Tag, Error> {
        let tag = self.command(body)?;
        let queued = self.queue.iter_mut().find(|q| q.tag == tag);
        match queued {
            Some(q) => q.streamed = true,
            None => {
                if let Some(f) = self.in_flight.iter_mut().find(|f| f.tag == tag) {
                    f.streamed = true;
                }
            }
        }
        Ok(tag)
    }

    /// Queues LOGIN, unless the server disabled it, or the connection is not under TLS
    /// and [`Config::plaintext_auth`] is off ([`Error::PlaintextNotAllowed`]).
    pub fn login(&mut self, username: &str, password: &str) -> Result<Tag, Error> {
        if !self.plaintext_allowed() {
            return Err(Error::PlaintextNotAllowed);
        }
        if self.has_capability(&Capability::LoginDisabled) {
            return Err(Error::LoginDisabled);
        }
        let username = IString::new(username).map_err(|_| Error::InvalidString)?;
        let password = IString::new(password).map_err(|_| Error::InvalidString)?;
        self.enqueue(
            CommandBody::Login {
                username,
                password: Secret::new(password),
            },
            Kind::Login,
        )
    }

    /// Queues AUTHENTICATE for a SASL exchange, with its initial response on the command
    /// line when the server offers SASL-IR (RFC 4959).
    ///
    /// Mechanisms that send the password or token itself (PLAIN, LOGIN, XOAUTH2,
    /// OAUTHBEARER) are refused with [`Error::PlaintextNotAllowed`] when the
    /// connection is not under TLS and [`Config::plaintext_auth`] is off.
    pub fn authenticate(&mut self, mut exchange: ClientExchange) -> Result<Tag, Error> {
        if exchange.mechanism().sends_plaintext_secret() && !self.plaintext_allowed() {
            return Err(Error::PlaintextNotAllowed);
        }
        let mechanism = crate::types::Atom::new(exchange.mechanism().as_str())
            .map_err(|_| Error::InvalidString)?;
        let initial_response = if self.has_capability(&Capability::SaslIr) {
            exchange.initial_response().map(Secret::new)
        } else {
            None
        };
        self.enqueue(
            CommandBody::Authenticate {
                mechanism,
                initial_response,
            },
            Kind::Authenticate(Box::new(exchange)),
        )
    }

    /// Queues APPEND of messages whose data the application writes itself, in pieces,
    /// so that no message need be held whole: for each message in turn, once the server
    /// is ready for it, [`Event::SendLiteral`] asks for its
    /// [`length`](Append::length) bytes, which go through
    /// [`write_literal`](Self::write_literal). More than one message needs the server's
    /// MULTIAPPEND (RFC 3502). Each is sent as a plain literal (`{n}`, or `{n+}` with
    /// LITERAL+), so it must not hold NUL.
    pub fn append_streamed(
        &mut self,
        mailbox: crate::types::Mailbox,
        messages: NonEmpty<Append>,
    ) -> Result<Tag, Error> {
        let lengths: Vec<u32> = messages.iter().map(|m| m.length).collect();
        let messages = messages.map(|m| crate::types::AppendMessage {
            flags: m.flags,
            date: m.date,
            data: Vec::new(),
        });
        self.enqueue_with(
            CommandBody::Append { mailbox, messages },
            Kind::Plain,
            &lengths,
        )
    }

    /// Writes bytes of the literal [`Event::SendLiteral`] asked for, and returns how
    /// many were taken: all of `data`, or as many as the literal still lacks. Once it has
    /// them all, the command goes on. The bytes are in [`transmit`]'s output at once, so a
    /// driver that transmits after each piece holds one piece at a time.
    ///
    /// [`transmit`]: mailwire_core::Session::transmit
    pub fn write_literal(&mut self, data: &[u8]) -> Result<usize, Error> {
        let Some(f) = self.in_flight.back_mut() else {
            return Err(Error::NoLiteralWanted);
        };
        let Some(Step::Literal {
            remaining,
            announced: true,
            ..
        }) = f.steps.front_mut()
        else {
            return Err(Error::NoLiteralWanted);
        };
        let n = data.len().min(*remaining as usize);
        // n <= remaining, a u32.
        *remaining -= u32::try_from(n).unwrap_or(*remaining);
        let done = *remaining == 0;
        self.conduit.write(&data[..n]);
        if done {
            f.steps.pop_front();
            self.advance();
            self.pump();
        }
        Ok(n)
    }

    /// Sends what the last command in flight has ready, up to the next wait.
    fn advance(&mut self) {
        let Some(f) = self.in_flight.back_mut() else {
            return;
        };
        loop {
            match f.steps.front_mut() {
                Some(Step::Write(bytes)) => {
                    self.conduit.write(bytes);
                    f.steps.pop_front();
                }
                Some(Step::Literal {
                    index,
                    remaining,
                    announced: announced @ false,
                }) => {
                    *announced = true;
                    self.conduit.push_event(Event::SendLiteral {
                        tag: f.tag.clone(),
                        index: *index,
                        length: *remaining,
                    });
                    return;
                }
                _ => return,
            }
        }
    }

    /// Queues IDLE (RFC 2177).
    pub fn idle(&mut self) -> Result<Tag, Error> {
        self.enqueue(CommandBody::Idle, Kind::Idle)
    }

    /// Ends IDLE with `DONE`.
    pub fn done(&mut self) -> Result<(), Error> {
        match self.in_flight.back() {
            Some(f) if matches!(f.kind, Kind::Idle) => {
                self.conduit.write(b"DONE\r\n");
                self.idling = false;
                Ok(())
            }
            _ => Err(Error::NotIdling),
        }
    }

    /// Writes queued commands as far as the protocol allows.
    fn pump(&mut self) {
        // After an accepted STARTTLS nothing more goes out before the handshake.
        if !self.conduit.is_open() {
            return;
        }
        while let Some(front) = self.queue.front() {
            let blocked = self.in_flight.back().is_some_and(|last| {
                !last.steps.is_empty() || last.kind.is_barrier() || front.kind.is_barrier()
            });
            if blocked {
                return;
            }
            let Some(q) = self.queue.pop_front() else {
                return;
            };
            self.in_flight.push_back(InFlight {
                tag: q.tag,
                name: q.name,
                kind: q.kind,
                steps: q.steps,
                streamed: q.streamed,
                data: Vec::new(),
                statuses: Vec::new(),
            });
            self.advance();
        }
    }

    fn refresh_capabilities(&mut self) {
        self.capabilities.clear();
        let _ = self.enqueue(CommandBody::Capability, Kind::RefreshCapabilities);
    }

    fn set_capabilities(&mut self, caps: Vec<Capability>) {
        self.capabilities.clone_from(&caps);
        self.conduit.push_event(Event::Capabilities(caps));
    }

    fn response(&mut self, response: Response) {
        match response {
            Response::Tagged(t) => self.completed(t),
            Response::Continue(c) => self.continued(c.text.as_str().as_bytes()),
            Response::Status(s) => {
                if let Some(Code::Capability(caps)) = &s.code {
                    self.set_capabilities(caps.clone());
                }
                if s.condition == Condition::Bye {
                    // Before LOGOUT's completion the BYE is expected; otherwise the
                    // server is closing on its own.
                    if !self.in_flight.iter().any(|f| f.name == "LOGOUT") {
                        self.close();
                    }
                    self.conduit.push_event(Event::Bye { text: s.text });
                    return;
                }
                match self.in_flight.front_mut() {
                    Some(f) => f.statuses.push(s),
                    None => self.conduit.push_event(Event::Status(s)),
                }
            }
            Response::Data(d) => self.data(d),
        }
    }

    fn data(&mut self, d: Data) {
        if let Data::Capability(caps) = &d {
            self.set_capabilities(caps.clone());
        }
        // The commands whose answer this data is (RFC 3501 §7 names, per response, the
        // commands that cause it). Mailbox-size and message-status updates may also come
        // unbidden (§7.3, §7.4), and so may any data no command in flight asks for.
        let causes: &[&str] = match &d {
            Data::Capability(_) => &["CAPABILITY", "LOGIN", "AUTHENTICATE", "STARTTLS"],
            Data::List { .. } => &["LIST"],
            Data::Lsub { .. } => &["LSUB"],
            Data::Status { .. } => &["STATUS"],
            Data::Search { .. } => &["SEARCH", "UID SEARCH"],
            Data::Flags(_) | Data::Exists(_) | Data::Recent(_) => &["SELECT", "EXAMINE"],
            Data::Expunge(_) => &["EXPUNGE", "UID EXPUNGE", "MOVE", "UID MOVE"],
            Data::Fetch { .. } => FETCH_CAUSES,
            Data::Namespace { .. } => &["NAMESPACE"],
            Data::Id { .. } => &["ID"],
            Data::Enabled { .. } => &["ENABLE"],
            #[allow(unreachable_patterns, reason = "Data is non-exhaustive")]
            _ => &[],
        };
        let owner = if causes.is_empty() {
            self.in_flight.front_mut()
        } else {
            self.in_flight.iter_mut().find(|f| causes.contains(&f.name))
        };
        match owner {
            Some(f) if f.streamed => {
                let tag = f.tag.clone();
                self.conduit.push_event(Event::Answer { tag, data: d });
            }
            Some(f) => f.data.push(d),
            None => self.conduit.push_event(Event::Unsolicited(d)),
        }
    }

    fn continued(&mut self, text: &[u8]) {
        let Some(f) = self.in_flight.back_mut() else {
            self.conduit.push_event(Event::Malformed {
                reason: "continuation request with no command waiting".into(),
            });
            return;
        };
        if matches!(f.steps.front(), Some(Step::Continuation)) {
            f.steps.pop_front();
            self.advance();
        } else if let Kind::Authenticate(exchange) = &mut f.kind {
            match exchange.respond_line(text) {
                Ok(line) => {
                    self.conduit.write(line.as_bytes());
                    self.conduit.write(b"\r\n");
                }
                Err(_) => self.conduit.write(b"*\r\n"),
            }
        } else if matches!(f.kind, Kind::Idle) {
            self.idling = true;
            let tag = f.tag.clone();
            self.conduit.push_event(Event::Idling { tag });
        }
        self.pump();
    }

    fn completed(&mut self, t: crate::types::Tagged) {
        let Some(i) = self.in_flight.iter().position(|f| f.tag == t.tag) else {
            self.conduit.push_event(Event::Malformed {
                reason: format!("completion for unknown tag {}", t.tag.as_str()),
            });
            return;
        };
        let Some(f) = self.in_flight.remove(i) else {
            return;
        };
        if matches!(f.kind, Kind::Idle) {
            self.idling = false;
        }
        let ok = t.completion == Completion::Ok;
        let caps_in_code = matches!(t.code, Some(Code::Capability(_)));
        if let Some(Code::Capability(caps)) = &t.code {
            self.set_capabilities(caps.clone());
        }
        match f.kind {
            Kind::RefreshCapabilities => {
                self.pump();
                return;
            }
            Kind::StartTls if ok => {
                // Plaintext that followed the reply must not be read as protected data:
                // the conduit drops it.
                self.conduit.start_tls();
                self.advance_to(0);
            }
            Kind::Login | Kind::Authenticate(_) if ok && !caps_in_code => {
                self.refresh_capabilities();
            }
            _ => {}
        }
        if f.name == "LOGOUT" && ok {
            self.close();
        }
        self.conduit.push_event(Event::Completed {
            tag: f.tag,
            command: f.name,
            completion: t.completion,
            code: t.code,
            text: t.text,
            data: f.data,
            statuses: f.statuses,
        });
        self.pump();
    }

    /// Whether a whole response is buffered after `start`: frames forward from where
    /// the last call stopped. A framing error counts as whole, for the decoder to report.
    ///
    /// A body literal that is to stream is taken out of the input as it arrives and
    /// handed out as [`Event::BodyChunk`]s.
    fn response_buffered(&mut self) -> bool {
        loop {
            match self.framer.next(&self.conduit.input()[self.scanned..]) {
                Ok(Some(FrameEvent::Line { len, literal })) => match literal {
                    Some(a) if a.length > self.config.stream_literals_over => {
                        if !self.start_streaming(len, a.length) {
                            self.scanned += len;
                        }
                    }
                    Some(_) => self.scanned += len,
                    None => {
                        self.scanned += len;
                        return true;
                    }
                },
                Ok(Some(FrameEvent::LiteralData { len, remaining })) => match &self.streaming {
                    Some(tag) => {
                        // Streaming began with the input consumed up to the literal, and
                        // nothing is kept since: the chunk is at the front.
                        let tag = tag.clone();
                        let data = self.conduit.take_input(len);
                        self.conduit.push_event(Event::BodyChunk { tag, data });
                        if remaining == 0 {
                            self.streaming = None;
                        }
                    }
                    None => self.scanned += len,
                },
                Ok(None) => return false,
                Err(_) => return true,
            }
        }
    }

    /// Starts streaming the literal of `length` bytes announced by the line of `len`
    /// bytes at `scanned`, if it is the data of a body section in FETCH data answering a
    /// streamed command. The response so far, with `NIL` for the literal, moves to
    /// `held`; the input up to the literal is consumed.
    fn start_streaming(&mut self, len: usize, length: u32) -> bool {
        if !self.greeted {
            return false;
        }
        let input = self.conduit.input();
        let line = &input[self.scanned..self.scanned + len];
        let Some(open) = memchr::memrchr(b'{', line) else {
            return false;
        };
        let open = if open > 0 && line[open - 1] == b'~' {
            open - 1
        } else {
            open
        };
        let mut prefix = self.held.clone();
        prefix.extend_from_slice(&input[self.start..self.scanned + open]);
        prefix.extend_from_slice(b"NIL");
        // The response as it would read if it ended here: what came before the literal,
        // decoded by the one response decoder.
        let mut trial = prefix.clone();
        trial.extend_from_slice(b")\r\n");
        let Ok(Decoded::Complete {
            value: Response::Data(Data::Fetch { seq, items }),
            ..
        }) = decode_response(&trial, &self.config.limits)
        else {
            return false;
        };
        let body = matches!(
            items.as_slice().last(),
            Some(
                MessageDataItem::BodySection { data: None, .. }
                    | MessageDataItem::Binary { data: None, .. }
                    | MessageDataItem::Rfc822(None)
                    | MessageDataItem::Rfc822Header(None)
                    | MessageDataItem::Rfc822Text(None)
            )
        );
        let owner = self
            .in_flight
            .iter()
            .find(|f| FETCH_CAUSES.contains(&f.name));
        let tag = match owner {
            Some(f) if body && f.streamed => f.tag.clone(),
            _ => return false,
        };
        self.conduit.consume(self.scanned + len);
        self.start = 0;
        self.scanned = 0;
        self.held = prefix;
        self.streaming = Some(tag.clone());
        self.conduit.push_event(Event::BodyStart {
            tag,
            seq,
            items: items.into_vec(),
            length,
        });
        true
    }

    /// Closes after the queued output; the input, which nobody will read, is dropped.
    fn close(&mut self) {
        self.conduit.close();
        self.advance_to(0);
    }

    /// Marks the input up to `start` as decoded; framing starts again there.
    fn advance_to(&mut self, start: usize) {
        self.start = start;
        self.scanned = start;
        self.framer = Framer::for_responses(self.config.limits);
        self.held.clear();
        self.streaming = None;
    }

    fn process(&mut self) {
        while self.conduit.is_open() && self.start < self.conduit.input_len() {
            if !self.response_buffered() {
                break;
            }
            let joined;
            let (rest, held) = if self.held.is_empty() {
                (&self.conduit.input()[self.start..], false)
            } else {
                // The response's start was taken out as a literal streamed; its end is
                // framed in the input.
                joined = [
                    &self.held[..],
                    &self.conduit.input()[self.start..self.scanned],
                ]
                .concat();
                (&joined[..], true)
            };
            let decoded = if self.greeted {
                decode_response(rest, &self.config.limits)
            } else {
                decode_greeting(rest, &self.config.limits).map(|d| match d {
                    Decoded::Complete { value, consumed } => Decoded::Complete {
                        value: Response::Status(value),
                        consumed,
                    },
                    Decoded::Incomplete => Decoded::Incomplete,
                    Decoded::LiteralAnnounced {
                        tag,
                        length,
                        position,
                    } => Decoded::LiteralAnnounced {
                        tag,
                        length,
                        position,
                    },
                })
            };
            match decoded {
                Ok(Decoded::Complete { value, .. }) if held => {
                    self.advance_to(self.scanned);
                    self.response(value);
                }
                Ok(_) if held => {
                    self.advance_to(self.scanned);
                    self.conduit.push_event(Event::Malformed {
                        reason: "incomplete response after a streamed literal".into(),
                    });
                }
                Ok(Decoded::Complete { value, consumed }) => {
                    self.advance_to(self.start + consumed.min(rest.len()));
                    if self.greeted {
                        self.response(value);
                    } else if let Response::Status(g) = value {
                        self.greeting(g);
                    }
                }
                Ok(_) => break,
                Err(e) => {
                    let skip = match &e {
                        crate::codec::DecodeError::Syntax { skip, .. }
                        | crate::codec::DecodeError::LiteralTooLarge { skip, .. } => *skip,
                        _ => memchr::memchr(b'\n', rest).map_or(rest.len(), |p| p + 1),
                    };
                    let next = if held {
                        self.scanned
                    } else {
                        self.start + skip.clamp(1, rest.len())
                    };
                    self.advance_to(next);
                    self.conduit.push_event(Event::Malformed {
                        reason: e.to_string(),
                    });
                }
            }
        }
        // Drop what was decoded once per call, not once per response.
        let done = self.start.min(self.conduit.input_len());
        if done > 0 {
            self.conduit.consume(done);
            self.start = 0;
            self.scanned -= done.min(self.scanned);
        }
    }

    fn greeting(&mut self, g: Status) {
        self.greeted = true;
        let caps = match g.code {
            Some(Code::Capability(caps)) => Some(caps),
            _ => None,
        };
        self.conduit.push_event(Event::Greeting {
            condition: g.condition,
            text: g.text,
        });
        if g.condition == Condition::Bye {
            self.close();
            return;
        }
        match caps {
            Some(caps) => self.set_capabilities(caps),
            None => self.refresh_capabilities(),
        }
    }
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
        self.close();
    }

    fn timed_out(&mut self) {
        self.close();
    }

    fn transmit(&mut self) -> Option<Bytes> {
        self.conduit.transmit()
    }

    fn poll_event(&mut self) -> Option<Event> {
        self.conduit.poll_event()
    }

    /// While a body streams, no more is read until its chunks so far are taken.
    fn wants_input(&self) -> bool {
        self.streaming.is_none() || self.conduit.event_count() == 0
    }

    fn transport(&self) -> Transport {
        self.conduit.transport()
    }

    fn tls_established(&mut self) {
        if self.conduit.tls_established() {
            self.tls = true;
            self.refresh_capabilities();
        }
    }

    /// [`Config::timeout`] while the greeting or a response is due, or for a TLS
    /// handshake; [`Config::idle_timeout`] during IDLE; no limit while nothing is asked.
    fn timeout(&self) -> Option<Duration> {
        match self.conduit.transport() {
            Transport::Close => return None,
            Transport::StartTls => return self.config.timeout,
            _ => {}
        }
        if self.idling {
            self.config.idle_timeout
        } else if !self.greeted || !self.in_flight.is_empty() {
            self.config.timeout
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ListMailbox, Mailbox, MessageDataItem, NonEmpty, StatusAttribute};
    use mailwire_core::Session as _;

    /// A client allowed to log in without TLS, as these tests have no TLS.
    fn plaintext() -> Session {
        Session::new(Config {
            plaintext_auth: true,
            ..Config::default()
        })
    }

    fn greeted(caps: &str) -> Session {
        let mut c = plaintext();
        c.receive(format!("* OK [CAPABILITY IMAP4rev1 {caps}] hi\r\n").as_bytes());
        while c.poll_event().is_some() {}
        c
    }

    #[test]
    fn synchronising_literal_waits_for_continuation() {
        let mut c = greeted("AUTH=PLAIN");
        c.login("fred", "two\r\nlines").unwrap();
        assert_eq!(&c.transmit().unwrap()[..], b"A1 LOGIN fred {10}\r\n");
        c.command(CommandBody::Noop).unwrap();
        assert!(c.transmit().is_none());
        c.receive(b"+ go\r\n");
        assert_eq!(&c.transmit().unwrap()[..], b"two\r\nlines\r\nA2 NOOP\r\n");
    }

    #[test]
    fn literal_plus_sends_at_once() {
        let mut c = greeted("LITERAL+");
        c.login("fred", "two\r\nlines").unwrap();
        assert_eq!(
            &c.transmit().unwrap()[..],
            b"A1 LOGIN fred {10+}\r\ntwo\r\nlines\r\n"
        );
    }

    #[test]
    fn untagged_data_goes_with_its_command_or_is_unsolicited() {
        let mut c = greeted("IDLE");
        c.command(CommandBody::Noop).unwrap();
        c.receive(b"* 3 EXPUNGE\r\n* 5 EXISTS\r\nA1 OK done\r\n");
        assert!(
            matches!(c.poll_event(), Some(Event::Unsolicited(Data::Expunge(n))) if n.get() == 3)
        );
        assert!(matches!(
            c.poll_event(),
            Some(Event::Unsolicited(Data::Exists(5)))
        ));
        let Some(Event::Completed { data, .. }) = c.poll_event() else {
            panic!("completion")
        };
        assert!(data.is_empty());
    }

    #[test]
    fn pipelined_answers_go_to_the_commands_that_asked() {
        let mut c = greeted("IDLE");
        let list = c
            .command(CommandBody::List {
                reference: Mailbox::new("").unwrap(),
                pattern: ListMailbox::new("*").unwrap(),
            })
            .unwrap();
        let status = c
            .command(CommandBody::Status {
                mailbox: Mailbox::Inbox,
                attributes: NonEmpty::new(StatusAttribute::Messages),
            })
            .unwrap();
        c.receive(
            b"* STATUS INBOX (MESSAGES 2)\r\n* LIST () \"/\" INBOX\r\n* 4 EXISTS\r\n\
              * SEARCH 1\r\nA1 OK listed\r\nA2 OK status\r\n",
        );
        let mut seen = Vec::new();
        while let Some(e) = c.poll_event() {
            match e {
                Event::Completed { tag, data, .. } => seen.push((Some(tag), data)),
                Event::Unsolicited(d) => seen.push((None, vec![d])),
                other => panic!("unexpected {other:?}"),
            }
        }
        let kinds: Vec<(Option<Tag>, Vec<&str>)> = seen
            .iter()
            .map(|(tag, data)| {
                let names = data
                    .iter()
                    .map(|d| match d {
                        Data::Status { .. } => "STATUS",
                        Data::List { .. } => "LIST",
                        Data::Exists(_) => "EXISTS",
                        Data::Search { .. } => "SEARCH",
                        _ => "other",
                    })
                    .collect();
                (tag.clone(), names)
            })
            .collect();
        assert_eq!(
            kinds,
            [
                (None, vec!["EXISTS"]),
                (None, vec!["SEARCH"]),
                (Some(list), vec!["LIST"]),
                (Some(status), vec!["STATUS"]),
            ]
        );
    }

    #[test]
    fn streamed_answers_come_as_they_are_read() {
        let mut c = greeted("IDLE");
        let tag = c
            .command_streamed(CommandBody::Search {
                charset: None,
                criteria: NonEmpty::new(crate::types::SearchKey::All),
                uid: true,
            })
            .unwrap();
        assert_eq!(&c.transmit().unwrap()[..], b"A1 UID SEARCH ALL\r\n");
        c.receive(b"* SEARCH 4 7\r\n");
        let Some(Event::Answer { tag: t, data }) = c.poll_event() else {
            panic!("answer")
        };
        assert_eq!(t, tag);
        let Data::Search { ids, .. } = data else {
            panic!("search data")
        };
        assert_eq!(ids.iter().map(|n| n.get()).collect::<Vec<_>>(), [4, 7]);
        assert!(c.poll_event().is_none());
        c.receive(b"* 2 EXISTS\r\nA1 OK done\r\n");
        assert!(matches!(
            c.poll_event(),
            Some(Event::Unsolicited(Data::Exists(2)))
        ));
        let Some(Event::Completed { data, .. }) = c.poll_event() else {
            panic!("completion")
        };
        assert!(data.is_empty());
    }

    #[test]
    fn login_disabled_is_refused_locally() {
        let mut c = greeted("LOGINDISABLED STARTTLS");
        assert_eq!(c.login("a", "b"), Err(Error::LoginDisabled));
        c.command(CommandBody::StartTls).unwrap();
        c.command(CommandBody::Noop).unwrap();
        assert_eq!(&c.transmit().unwrap()[..], b"A1 STARTTLS\r\n");
        c.receive(b"A1 OK go\r\n");
        assert_eq!(c.transport(), Transport::StartTls);
        c.tls_established();
        // Capabilities are asked again; the NOOP waits behind STARTTLS no longer.
        assert_eq!(&c.transmit().unwrap()[..], b"A2 NOOP\r\nA3 CAPABILITY\r\n");
        assert!(c.capabilities().is_empty());
    }

    /// The bytes of the `BODY[]` item of the FETCH data received, after the completion.
    fn fetched_body(c: &mut Session) -> Vec<u8> {
        let mut body = None;
        let mut completed = false;
        while let Some(e) = c.poll_event() {
            let data = match e {
                Event::Unsolicited(d) => vec![d],
                Event::Completed { data, .. } => {
                    completed = true;
                    data
                }
                other => panic!("unexpected {other:?}"),
            };
            for d in data {
                let Data::Fetch { items, .. } = d else {
                    panic!("unexpected {d:?}")
                };
                for item in items.iter() {
                    if let MessageDataItem::BodySection { data: Some(s), .. } = item {
                        body = Some(s.as_bytes().to_vec());
                    }
                }
            }
        }
        assert!(completed);
        body.expect("FETCH data with BODY[]")
    }

    #[test]
    fn a_large_literal_arriving_in_pieces_is_decoded_once_whole() {
        let literal: Vec<u8> = (0..1 << 20).map(|i| b"abc\r\n"[i % 5]).collect();
        let mut wire = format!("* 1 FETCH (BODY[] {{{}}}\r\n", literal.len()).into_bytes();
        wire.extend_from_slice(&literal);
        wire.extend_from_slice(b")\r\nA1 OK done\r\n");
        for piece in [1, 7, 4096, 65536] {
            let mut c = greeted("IDLE");
            c.command(CommandBody::Noop).unwrap();
            while c.transmit().is_some() {}
            for chunk in wire.chunks(piece) {
                c.receive(chunk);
            }
            assert_eq!(fetched_body(&mut c), literal, "pieces of {piece}");
            assert!(c.conduit.input().is_empty());
        }
    }

    /// What a streamed FETCH hands out: the BodyStart events (seq, item count, length),
    /// the streamed bytes, and the FETCH answers' items.
    type Streamed = (
        Vec<(u32, usize, u32)>,
        Vec<u8>,
        Vec<Vec<MessageDataItem>>,
        bool,
    );

    fn drain_streamed(c: &mut Session, out: &mut Streamed) {
        while let Some(e) = c.poll_event() {
            match e {
                Event::BodyStart {
                    seq, items, length, ..
                } => out.0.push((seq.get(), items.len(), length)),
                Event::BodyChunk { data, .. } => out.1.extend_from_slice(&data),
                Event::Answer {
                    data: Data::Fetch { items, .. },
                    ..
                } => out.2.push(items.into_vec()),
                Event::Completed { .. } => out.3 = true,
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    fn streamed_fetch(c: &mut Session) {
        c.command_streamed(CommandBody::Fetch {
            set: "1:*".parse().unwrap(),
            items: crate::types::FetchItems::Attributes(NonEmpty::new(
                crate::types::FetchAttribute::Uid,
            )),
            changed_since: None,
            uid: true,
        })
        .unwrap();
        while c.transmit().is_some() {}
    }

    #[test]
    fn a_large_body_literal_streams_in_chunks_and_small_ones_stay_whole() {
        let big: Vec<u8> = (0..300_000).map(|i| b"abc\r\n"[i % 5]).collect();
        let mut wire = format!(
            "* 1 FETCH (UID 7 BODY[HEADER] {{3}}\r\nx\r\n BODY[] {{{}}}\r\n",
            big.len()
        )
        .into_bytes();
        wire.extend_from_slice(&big);
        wire.extend_from_slice(b" FLAGS (\\Seen))\r\n* 2 FETCH (UID 8 RFC822 {2}\r\nok)\r\n");
        wire.extend_from_slice(b"A1 OK done\r\n");
        for piece in [1, 7, 4096, 16384, wire.len()] {
            let mut c = greeted("IDLE");
            streamed_fetch(&mut c);
            let mut out: Streamed = Default::default();
            let mut most_held = 0;
            for chunk in wire.chunks(piece) {
                c.receive(chunk);
                most_held = most_held.max(c.conduit.input_capacity());
                drain_streamed(&mut c, &mut out);
            }
            assert_eq!(out.0, [(1, 3, 300_000)], "pieces of {piece}");
            assert_eq!(out.1, big);
            assert!(out.3);
            // The streamed item is NIL in the answer; the rest is as sent.
            let texts: Vec<String> = out.2.iter().map(|items| format!("{items:?}")).collect();
            assert_eq!(out.2.len(), 2);
            assert!(
                matches!(
                    &out.2[0][..],
                    [
                        MessageDataItem::Uid(u),
                        MessageDataItem::BodySection { data: Some(h), .. },
                        MessageDataItem::BodySection { data: None, .. },
                        MessageDataItem::Flags(f),
                    ] if u.get() == 7 && h.as_bytes() == b"x\r\n" && f.len() == 1
                ),
                "{}",
                texts[0]
            );
            assert!(
                matches!(
                    &out.2[1][..],
                    [MessageDataItem::Uid(u), MessageDataItem::Rfc822(Some(d))]
                        if u.get() == 8 && d.as_bytes() == b"ok"
                ),
                "{}",
                texts[1]
            );
            if piece < wire.len() {
                assert!(most_held < 64 * 1024, "pieces of {piece}: {most_held}");
            }
            assert!(c.conduit.input().is_empty());
        }
    }

    #[test]
    fn a_body_streams_only_for_a_streamed_command() {
        let big = vec![b'x'; 70_000];
        let mut wire = format!("* 1 FETCH (BODY[] {{{}}}\r\n", big.len()).into_bytes();
        wire.extend_from_slice(&big);
        wire.extend_from_slice(b")\r\nA1 OK done\r\n");
        let mut c = greeted("IDLE");
        c.command(CommandBody::Noop).unwrap();
        c.receive(&wire);
        assert_eq!(fetched_body(&mut c), big);
        // Two streamed literals in one response, the second right after the first.
        let mut c = greeted("IDLE");
        streamed_fetch(&mut c);
        let mut wire = format!("* 3 FETCH (BODY[1] {{{}}}\r\n", big.len()).into_bytes();
        wire.extend_from_slice(&big);
        wire.extend_from_slice(format!(" BINARY[2] ~{{{}}}\r\n", big.len()).as_bytes());
        wire.extend_from_slice(&big);
        wire.extend_from_slice(b")\r\nA1 OK done\r\n");
        let mut out: Streamed = Default::default();
        for chunk in wire.chunks(1000) {
            c.receive(chunk);
            drain_streamed(&mut c, &mut out);
        }
        assert_eq!(out.0, [(3, 1, 70_000), (3, 2, 70_000)]);
        assert_eq!(out.1, [&big[..], &big[..]].concat());
        assert_eq!(out.2.len(), 1);
        assert!(matches!(
            &out.2[0][..],
            [
                MessageDataItem::BodySection { data: None, .. },
                MessageDataItem::Binary { data: None, .. },
            ]
        ));
        assert!(out.3);
    }

    fn appended(flags: Vec<crate::types::Flag>, length: u32) -> Append {
        let mut a = Append::new(length);
        a.flags = flags;
        a
    }

    #[test]
    fn a_streamed_append_waits_for_each_continuation_and_takes_its_data_in_pieces() {
        let mut c = greeted("MULTIAPPEND");
        let messages = NonEmpty::from_vec(vec![
            appended(vec![crate::types::Flag::Seen], 10),
            appended(Vec::new(), 0),
        ])
        .unwrap();
        let tag = c.append_streamed(Mailbox::Inbox, messages).unwrap();
        c.command(CommandBody::Noop).unwrap();
        assert_eq!(
            &c.transmit().unwrap()[..],
            b"A1 APPEND INBOX (\\Seen) {10}\r\n"
        );
        assert!(c.poll_event().is_none());
        assert_eq!(c.write_literal(b"early"), Err(Error::NoLiteralWanted));
        c.receive(b"+ go\r\n");
        let Some(Event::SendLiteral {
            tag: t,
            index: 0,
            length: 10,
        }) = c.poll_event()
        else {
            panic!("the first literal is wanted")
        };
        assert_eq!(t, tag);
        assert_eq!(c.write_literal(b"0123"), Ok(4));
        assert_eq!(c.write_literal(b"456789 and more"), Ok(6));
        assert_eq!(&c.transmit().unwrap()[..], b"0123456789 {0}\r\n");
        c.receive(b"+ go\r\n");
        assert!(matches!(
            c.poll_event(),
            Some(Event::SendLiteral {
                index: 1,
                length: 0,
                ..
            })
        ));
        assert_eq!(c.write_literal(b""), Ok(0));
        // The NOOP was held back until the APPEND was all sent.
        assert_eq!(&c.transmit().unwrap()[..], b"\r\nA2 NOOP\r\n");
        assert_eq!(c.write_literal(b"x"), Err(Error::NoLiteralWanted));
    }

    #[test]
    fn a_streamed_append_with_literal_plus_needs_no_continuation() {
        let mut c = greeted("LITERAL+ MULTIAPPEND");
        let messages =
            NonEmpty::from_vec(vec![appended(Vec::new(), 3), appended(Vec::new(), 2)]).unwrap();
        c.append_streamed(Mailbox::new("Sent Items").unwrap(), messages)
            .unwrap();
        assert!(matches!(
            c.poll_event(),
            Some(Event::SendLiteral {
                index: 0,
                length: 3,
                ..
            })
        ));
        c.write_literal(b"abc").unwrap();
        assert!(matches!(
            c.poll_event(),
            Some(Event::SendLiteral {
                index: 1,
                length: 2,
                ..
            })
        ));
        c.write_literal(b"de").unwrap();
        assert_eq!(
            &c.transmit().unwrap()[..],
            b"A1 APPEND \"Sent Items\" {3+}\r\nabc {2+}\r\nde\r\n"
        );
    }

    #[test]
    fn many_responses_in_one_read_and_a_bad_line_between_them() {
        let mut c = greeted("IDLE");
        c.command(CommandBody::Noop).unwrap();
        let mut wire = Vec::new();
        for n in 1..=2000 {
            wire.extend_from_slice(format!("* {n} EXISTS\r\n").as_bytes());
        }
        wire.extend_from_slice(b"* 3 FETCH ()\r\n* 2001 EXISTS\r\nA1 OK done\r\n* 9 RE");
        c.receive(&wire);
        let mut exists = Vec::new();
        let mut malformed = 0;
        let mut completed = 0;
        while let Some(e) = c.poll_event() {
            match e {
                Event::Unsolicited(Data::Exists(n)) => exists.push(n),
                Event::Malformed { .. } => malformed += 1,
                Event::Completed { completion, .. } => {
                    assert_eq!(completion, Completion::Ok);
                    completed += 1;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(exists, (1..=2001).collect::<Vec<u32>>());
        assert_eq!((malformed, completed), (1, 1));
        assert_eq!(c.conduit.input(), b"* 9 RE");
        c.receive(b"CENT\r\n");
        assert!(matches!(
            c.poll_event(),
            Some(Event::Unsolicited(Data::Recent(9)))
        ));
        assert!(c.conduit.input().is_empty());
    }
}
