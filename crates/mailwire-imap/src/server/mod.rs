//! The IMAP4rev1 server session: RFC 3501's states and rules, without I/O.
//!
//! [`Session`] reads commands from the bytes it [`receive`](mailwire_core::Session::receive)s,
//! answers what it can by itself (CAPABILITY, NOOP, NAMESPACE, FETCH of flags, dates and
//! sizes, SEARCH by flags, dates and sizes, the state machine's refusals) and asks the
//! application, through [`Event`]s, for what only the message store knows. Each question is
//! answered by calling a method on the session; the session then writes the untagged data
//! and the tagged completion in the order RFC 3501 §7 requires. Pipelined commands wait
//! their turn.
//!
//! A whole message is never handed to the session: FETCH of `BODY[]`, `BODY.PEEK[]`,
//! `RFC822` or `BINARY[]` (with or without a partial range) announces a literal whose length
//! comes from the view ([`MessageInfo::size`]) and asks for its bytes with
//! [`Event::Content`], which the application streams through
//! [`send_content`](Session::send_content) chunk by chunk; the session goes on with the
//! FETCH after [`end_content`](Session::end_content). Only items that read the message's
//! structure (`ENVELOPE`, `BODY`, `BODYSTRUCTURE`, `RFC822.HEADER`, `RFC822.TEXT`, body
//! sections other than the whole message) and SEARCH keys that read headers or bodies ask
//! for it whole, with [`Event::Messages`].
//!
//! The session keeps the client's view of the selected mailbox: changes made elsewhere
//! are reported with [`notify`](Session::notify) at any time, and reach the client
//! only when RFC 3501 §5.2 and §7.4.1 allow — new messages and flag changes at the end of
//! any command, expunges never during FETCH, STORE or SEARCH (their UID forms may), and
//! everything at once while the client IDLEs.
//!
//! What a client may cost the server before it has logged in is bounded by [`Config`]:
//! [`max_login_failures`](Config::max_login_failures) failed LOGIN or AUTHENTICATE
//! attempts (3 by default) end the connection with `* BYE`; literals above
//! [`max_preauth_literal`](Config::max_preauth_literal) (8 KiB) are refused, a
//! non-synchronising one by throwing its bytes away as they come; and
//! [`max_errors`](Config::max_errors) bad commands end it too. After login the general
//! [`limits`](Config::limits) apply. To answer [`Event::List`], an application matches
//! its mailbox names with [`ListMailbox::matches`](crate::types::ListMailbox::matches)
//! after [`ListMailbox::under`](crate::types::ListMailbox::under).
//!
//! ```
//! use mailwire_imap::{Session as _, Transport};
//! use mailwire_imap::server::{Config, Event, Session};
//! use mailwire_sasl::{AuthAnswer, AuthQuestion, Method};
//!
//! let mut config = Config::default();
//! config.plaintext_auth = true;
//! let mut s = Session::new(config);
//! assert!(s.transmit().unwrap().starts_with(b"* OK [CAPABILITY IMAP4rev1 "));
//!
//! s.receive(b"a1 LOGIN fred secret\r\n");
//! let Some(Event::Auth { question }) = s.poll_event() else { panic!() };
//! let AuthQuestion::Password { method: Method::Login, authcid, password, .. } = question else {
//!     panic!()
//! };
//! assert_eq!((authcid.as_str(), password.expose().as_str()), ("fred", "secret"));
//! s.answer_auth(AuthAnswer::Accept).expect("a password check is pending");
//! assert!(matches!(s.poll_event(), Some(Event::Authenticated { .. })));
//! assert!(s.transmit().unwrap().starts_with(b"a1 OK [CAPABILITY IMAP4rev1 "));
//!
//! s.receive(b"a2 LOGOUT\r\n");
//! assert_eq!(&s.transmit().unwrap()[..], b"* BYE Logging out\r\na2 OK LOGOUT completed\r\n");
//! assert_eq!(s.transport(), Transport::Close);
//! ```

mod answer;
mod content;
mod dispatch;
mod event;
mod fetch;
mod flags;
mod gate;
mod item_cache;
mod search;
mod view;

use std::time::Duration;

use bytes::Bytes;
use mailwire_core::{Conduit, Transport};
use mailwire_sasl::{AuthError, Mechanism, ServerExchange, ServerStep};

use crate::codec::decode::leading_tag;
use crate::codec::{FrameError, FrameEvent, Framer, Limits, encode_response};
use crate::types::{
    Capability, Code, Completion, Condition, Continue, IString, NString, NamespaceDescription,
    Response, SearchKey, Status, Tag, Tagged, Text,
};

pub use answer::{Answer, Error, Question};
pub use event::{
    Event, FlagChange, ListEntry, MailboxChange, MailboxSnapshot, MailboxUpdate, MessageInfo,
    StoredMessage,
};
use fetch::FetchJob;
use view::View;

/// How the server presents itself and what it allows.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Line, literal and nesting limits for commands.
    pub limits: Limits,
    /// The connection is already under TLS (port 993).
    pub tls: bool,
    /// Offer STARTTLS while the connection is in plaintext.
    pub starttls: bool,
    /// Allow LOGIN and plaintext SASL mechanisms without TLS (off by default:
    /// LOGINDISABLED is advertised instead).
    pub plaintext_auth: bool,
    /// SASL mechanisms to offer. PLAIN, LOGIN, XOAUTH2 and OAUTHBEARER are offered where
    /// plaintext authentication is allowed; CRAM-MD5 and SCRAM-SHA-256 whenever the
    /// application has given the session a nonce for the next exchange
    /// ([`Session::set_auth_nonce`]). CRAM-MD5 needs the plaintext secret on the
    /// server and rests on MD5: list it only for clients that know nothing better.
    pub mechanisms: Vec<Mechanism>,
    /// Bad commands tolerated before the session says BYE.
    pub max_errors: u32,
    /// Failed LOGIN and AUTHENTICATE attempts after which the session says BYE and closes
    /// (default 3, as the POP3 server: enough for a mistyped password or two, while a
    /// client guessing passwords gets three tries per connection instead of thousands a
    /// second). An attempt fails when the credentials are refused, when the client cancels
    /// an AUTHENTICATE exchange with `*`, or when the exchange breaks down; a LOGIN refused
    /// because plaintext is disabled, or an AUTHENTICATE naming a mechanism not offered,
    /// tests no credentials and is not counted. 0 acts as 1.
    pub max_login_failures: u32,
    /// Largest literal accepted before authentication (default 8 KiB): enough for any user
    /// name and password sent as literals, while an unauthenticated client cannot make the
    /// session buffer up to [`Limits::max_literal`]. A larger synchronising literal gets a
    /// tagged `BAD` and no continuation; a larger non-synchronising one is refused and its
    /// bytes thrown away as they arrive. Once logged in, [`limits`](Self::limits) applies.
    pub max_preauth_literal: u32,
    /// The hierarchy delimiter NAMESPACE reports.
    pub delimiter: char,
    /// Capabilities the application implements beyond the session's (for instance
    /// `CHILDREN` or `SPECIAL-USE`, when its LIST answers carry those attributes).
    pub extra_capabilities: Vec<Capability>,
    /// The server's identification for ID (RFC 2971 §3.3): field and value pairs such
    /// as `name`, `version` and `vendor`. Empty (the default) answers `* ID NIL`; at most
    /// the first 30 pairs are sent, as RFC 2971 allows no more.
    pub id: Vec<(IString, NString)>,
    /// The NAMESPACE answer (RFC 2342). `None` (the default) reports one personal
    /// namespace with an empty prefix and [`delimiter`](Self::delimiter), and no others.
    pub namespaces: Option<Namespaces>,
    /// Bytes of encoded `ENVELOPE`, `BODY` and `BODYSTRUCTURE` items the session keeps
    /// for the selected mailbox, so that fetching them again does not parse the messages
    /// again (default 8 MiB; 0 keeps none). A message's content cannot change under its
    /// UID, so what is kept stays right; it is dropped when another mailbox is selected.
    pub fetch_cache_bytes: usize,
    /// How long the session waits for the client before its autologout: 30 minutes, the
    /// least RFC 3501 §5.4 allows. Restarts with every byte received.
    pub timeout: Duration,
    /// How long the session waits for the client while it IDLEs: 30 minutes by default,
    /// since RFC 2177 §3 has clients re-issue IDLE at least every 29 minutes. Not shorter
    /// than [`timeout`](Self::timeout), or clients following RFC 2177 are cut off.
    pub idle_timeout: Duration,
    /// The longest a command may take to arrive, from its first byte to its last line's
    /// CRLF, or `None` for no limit: 2 minutes by default, ample for a 64 KiB line on a
    /// slow link, and short against [`timeout`](Self::timeout), which a client sending a
    /// byte now and then would otherwise stretch forever. The same bound applies to an
    /// AUTHENTICATE response line and to the `DONE` that ends IDLE.
    ///
    /// Literal data (an APPEND message, say) counts as part of its command, its bound
    /// growing by one second for every [`min_transfer_rate`](Self::min_transfer_rate)
    /// octets received, so that a large message on a slow link arrives and a trickle does
    /// not. The time between a synchronising literal's announcement and its data, while the
    /// client waits for the continuation request, counts too.
    pub command_timeout: Option<Duration>,
    /// Octets per second a client must send on average while a command and its literals
    /// arrive (1024 by default); see [`command_timeout`](Self::command_timeout).
    pub min_transfer_rate: u64,
    /// Ask the application with [`Event::Poll`] before answering NOOP and CHECK in the
    /// selected state, so that it can report changes made elsewhere first (off by
    /// default: NOOP and CHECK then report what the session has been told). RFC 3501
    /// §6.1.2 makes NOOP the client's way to poll for new messages.
    pub poll: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            tls: false,
            starttls: true,
            plaintext_auth: false,
            mechanisms: vec![Mechanism::Plain, Mechanism::Login],
            max_errors: 10,
            max_login_failures: 3,
            max_preauth_literal: 8 * 1024,
            delimiter: '/',
            extra_capabilities: Vec::new(),
            id: Vec::new(),
            namespaces: None,
            fetch_cache_bytes: 8 << 20,
            timeout: Duration::from_secs(30 * 60),
            idle_timeout: Duration::from_secs(30 * 60),
            command_timeout: Some(Duration::from_secs(2 * 60)),
            min_transfer_rate: 1024,
            poll: false,
        }
    }
}

/// The three kinds of namespace NAMESPACE reports (RFC 2342 §5); an empty list is sent
/// as `NIL`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Namespaces {
    /// The user's own mailboxes.
    pub personal: Vec<NamespaceDescription>,
    /// Other users' mailboxes.
    pub other: Vec<NamespaceDescription>,
    /// Mailboxes shared among users.
    pub shared: Vec<NamespaceDescription>,
}

/// The greeting the session opens with (RFC 3501 §7.1).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Greeting {
    /// `* OK`: the client must authenticate.
    Ready,
    /// `* PREAUTH`: the connection is already authenticated as this user.
    PreAuth {
        /// The user.
        user: String,
    },
    /// `* BYE`: the server refuses the connection.
    Bye,
}

/// RFC 3501 §3.
#[derive(Debug)]
enum State {
    NotAuthenticated,
    Authenticated,
    Selected(Box<View>),
    Logout,
}

/// How the next line is read.
#[derive(Debug)]
enum Mode {
    Command,
    /// Waiting for `DONE`.
    Idle(Tag),
    /// Waiting for an AUTHENTICATE response line; the user the client named so far.
    SaslLine(Tag, Box<ServerExchange>, Option<String>),
}

/// The question the application has not answered yet.
#[derive(Debug, Default)]
enum Pending {
    #[default]
    None,
    /// LOGIN (no exchange) or AUTHENTICATE waiting on [`Event::Auth`]'s answer.
    Credentials {
        tag: Tag,
        /// The user the client named.
        username: Option<String>,
        exchange: Option<Box<ServerExchange>>,
    },
    Select {
        tag: Tag,
        mailbox: crate::types::Mailbox,
        read_only: bool,
    },
    /// FETCH waiting on [`Event::Messages`].
    Fetch(Box<FetchJob>),
    /// FETCH waiting on [`Event::StoreFlags`] for the `\Seen` it sets.
    FetchSeen {
        job: Box<FetchJob>,
        /// The UIDs whose `\Seen` was asked for, ascending.
        asked: Vec<u32>,
    },
    /// FETCH waiting on the bytes of a streamed literal ([`Event::Content`]).
    Content {
        job: Box<FetchJob>,
        /// Octets of the literal still to come.
        left: u64,
    },
    Search {
        tag: Tag,
        keys: Vec<SearchKey>,
        uid: bool,
    },
    Store {
        tag: Tag,
        /// Ascending.
        uids: Vec<u32>,
        change: FlagChange,
        silent: bool,
        uid: bool,
    },
    Expunge {
        tag: Tag,
        uids: Vec<u32>,
        close: bool,
    },
    Copy {
        tag: Tag,
        uids: Vec<u32>,
        remove: bool,
    },
    Append {
        tag: Tag,
    },
    List {
        tag: Tag,
        subscribed: bool,
    },
    Status {
        tag: Tag,
        mailbox: crate::types::Mailbox,
    },
    Manage {
        tag: Tag,
        name: &'static str,
    },
    /// NOOP or CHECK waiting on [`Event::Poll`].
    Poll {
        tag: Tag,
        name: &'static str,
    },
}

/// An IMAP4rev1 server session for one connection.
///
/// Drive it through the [`Session`](mailwire_core::Session) trait; answer its [`Event`]s with
/// the methods below.
///
/// A driver calls [`new`](Self::new), then any `with_*` method, then, round after round,
/// `poll_event` (answering each event), `transmit`, `transport` and `receive`; see
/// [`mailwire_core::Session`] for the details.
#[derive(Debug)]
pub struct Session {
    config: std::sync::Arc<Config>,
    state: State,
    tls: bool,
    mode: Mode,
    pending: Pending,
    /// Input, output, events and transport.
    conduit: Conduit<Event>,
    framer: Framer,
    /// Bytes of the input already framed as part of the message being read.
    scanned: usize,
    /// Literal bytes of a refused command still to be thrown away as they arrive.
    skip_bytes: u64,
    /// Throw away input up to the next line end.
    skip_line: bool,
    errors: u32,
    /// Failed LOGIN and AUTHENTICATE attempts.
    auth_failures: u32,
    user: Option<String>,
    /// The nonce for the next CRAM-MD5 or SCRAM-SHA-256 exchange.
    auth_nonce: Option<String>,
    /// Octets received since the command now arriving began.
    arrived: u64,
}

impl Session {
    /// A session for a new connection; queues the [`Greeting::Ready`] greeting.
    pub fn new(config: impl Into<std::sync::Arc<Config>>) -> Self {
        Self::greet(config.into(), Greeting::Ready)
    }

    /// The fresh session again, opening with `greeting` instead.
    ///
    /// Call this before driving the session: it starts the session over from its config,
    /// and the greeting queued by [`new`](Self::new) is replaced.
    pub fn with_greeting(self, greeting: Greeting) -> Self {
        Self::greet(self.config, greeting)
    }

    fn greet(config: std::sync::Arc<Config>, greeting: Greeting) -> Self {
        let mut s = Self {
            framer: Framer::new(config.limits),
            tls: config.tls,
            config,
            state: State::NotAuthenticated,
            mode: Mode::Command,
            pending: Pending::None,
            conduit: Conduit::new(),
            scanned: 0,
            skip_bytes: 0,
            skip_line: false,
            errors: 0,
            auth_failures: 0,
            user: None,
            auth_nonce: None,
            arrived: 0,
        };
        match greeting {
            Greeting::Ready => {
                let caps = s.capabilities();
                s.untagged(
                    Condition::Ok,
                    Some(Code::Capability(caps)),
                    "IMAP4rev1 ready",
                );
            }
            Greeting::PreAuth { user } => {
                s.state = State::Authenticated;
                s.user = Some(user);
                let caps = s.capabilities();
                s.untagged(
                    Condition::PreAuth,
                    Some(Code::Capability(caps)),
                    "Logged in",
                );
            }
            Greeting::Bye => {
                s.untagged(Condition::Bye, None, "Service unavailable");
                s.close();
            }
        }
        // The state decides the literal limit.
        s.reset_framer();
        s
    }

    // ---- getters ----

    /// The authenticated user, once logged in.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// Received bytes not yet worked through: part of a command, or what the client sent
    /// while a question is pending. Bounded by the line and literal limits in force: before
    /// authentication, literals count at most [`Config::max_preauth_literal`] bytes; the
    /// bytes of a refused literal are dropped as they arrive, never held.
    pub fn buffered(&self) -> usize {
        self.conduit.input_len()
    }

    /// The selected mailbox, if any.
    pub fn selected(&self) -> Option<&crate::types::Mailbox> {
        match &self.state {
            State::Selected(view) => Some(&view.mailbox),
            _ => None,
        }
    }

    /// Whether the client may log in with a plaintext password now.
    fn plaintext_allowed(&self) -> bool {
        self.tls || self.config.plaintext_auth
    }

    fn mechanism_offered(&self, m: Mechanism) -> bool {
        self.config.mechanisms.contains(&m)
            && if m.sends_plaintext_secret() {
                self.plaintext_allowed()
            } else {
                // CRAM-MD5 and SCRAM-SHA-256: the session makes no nonce itself.
                self.auth_nonce.is_some()
            }
    }

    /// Sets the nonce for the next CRAM-MD5 or SCRAM-SHA-256 exchange: the session reads
    /// no randomness, so the application gives it one, fresh and unpredictable, printable
    /// ASCII without `,`. Each exchange uses up the nonce it starts with; those two
    /// mechanisms are advertised and accepted only while a nonce is set.
    pub fn set_auth_nonce(&mut self, nonce: impl Into<String>) {
        self.auth_nonce = Some(nonce.into());
    }

    /// The capabilities for the current state and connection (RFC 3501 §6.1.1).
    pub fn capabilities(&self) -> Vec<Capability> {
        let mut caps = vec![Capability::Imap4Rev1];
        if matches!(self.state, State::NotAuthenticated) {
            if !self.tls && self.config.starttls {
                caps.push(Capability::StartTls);
            }
            if !self.plaintext_allowed() {
                caps.push(Capability::LoginDisabled);
            }
            for &m in &self.config.mechanisms {
                if let (true, Ok(atom)) = (
                    self.mechanism_offered(m),
                    crate::types::Atom::new(m.as_str()),
                ) {
                    caps.push(Capability::Auth(atom));
                }
            }
            caps.push(Capability::SaslIr);
        }
        caps.extend([
            Capability::LiteralPlus,
            Capability::Idle,
            Capability::Namespace,
            Capability::UidPlus,
            Capability::Move,
            Capability::Enable,
            Capability::Id,
            Capability::Unselect,
            Capability::MultiAppend,
        ]);
        caps.extend(self.config.extra_capabilities.iter().cloned());
        caps
    }

    // ---- output helpers ----

    fn write(&mut self, response: &Response) {
        // Inside a streamed literal nothing else may be written: a goodbye (a timeout, too
        // much input) would become part of the message. The connection closes all the same.
        if matches!(self.pending, Pending::Content { .. }) {
            return;
        }
        encode_response(response, self.conduit.output());
    }

    /// Response text from `s`, with anything RFC 3501's `TEXT-CHAR` forbids replaced.
    fn text(s: &str) -> Option<Text> {
        let clean: String = s
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() || c == ' ' {
                    c
                } else {
                    '?'
                }
            })
            .collect();
        Text::new(if clean.is_empty() {
            "-".to_owned()
        } else {
            clean
        })
        .ok()
    }

    fn tagged(&mut self, tag: Tag, completion: Completion, code: Option<Code>, text: &str) {
        match Self::text(text) {
            Some(text) => self.write(&Response::Tagged(Tagged {
                tag,
                completion,
                code,
                text,
            })),
            None => {
                let word: &[u8] = match completion {
                    Completion::Ok => b" OK -\r\n",
                    Completion::No => b" NO -\r\n",
                    Completion::Bad => b" BAD -\r\n",
                };
                self.conduit.write(tag.as_str().as_bytes());
                self.conduit.write(word);
            }
        }
    }

    fn untagged(&mut self, condition: Condition, code: Option<Code>, text: &str) {
        if let Some(text) = Self::text(text) {
            self.write(&Response::Status(Status {
                condition,
                code,
                text,
            }));
        }
    }

    fn continuation(&mut self, text: &str) {
        if let Some(text) = Self::text(text) {
            self.write(&Response::Continue(Continue { code: None, text }));
        }
    }

    fn close(&mut self) {
        self.state = State::Logout;
        self.pending = Pending::None;
        self.conduit.close();
    }

    /// A BAD reply; too many of them end the session.
    fn bad(&mut self, tag: Option<Tag>, text: &str) {
        self.errors = self.errors.saturating_add(1);
        match tag {
            Some(tag) => self.tagged(tag, Completion::Bad, None, text),
            None => self.untagged(Condition::Bad, None, text),
        }
        if self.errors >= self.config.max_errors {
            self.untagged(Condition::Bye, None, "Too many invalid commands");
            self.close();
        }
    }

    /// Ends the session once too many LOGIN or AUTHENTICATE attempts have failed; called
    /// after a failure's tagged answer.
    fn enforce_auth_limit(&mut self) {
        // The answer may have ended the session already (too many errors).
        if self.conduit.is_open() && self.auth_failures >= self.config.max_login_failures {
            self.untagged(
                Condition::Bye,
                None,
                "Too many failed authentication attempts",
            );
            self.close();
        }
    }

    // ---- input ----

    /// A framer at the start of a message, under the limits of the current state. Called
    /// after every message and when the state changes (which happens only between
    /// messages), so the literal limit follows the state.
    fn reset_framer(&mut self) {
        self.framer = Framer::new(self.limits());
        self.scanned = 0;
    }

    /// The limits for reading the client's messages in the current state: before
    /// authentication, literals are held to [`Config::max_preauth_literal`].
    fn limits(&self) -> Limits {
        let mut limits = self.config.limits;
        if matches!(self.state, State::NotAuthenticated) {
            limits.max_literal = limits.max_literal.min(self.config.max_preauth_literal);
        }
        limits
    }

    /// Largest amount of unprocessed input held while the application decides.
    /// Before authentication it follows the small literal limit, with room for LOGIN's
    /// two literals (user name and password), the only command then that carries any.
    fn input_cap(&self) -> usize {
        let limits = self.limits();
        let literals = if matches!(self.state, State::NotAuthenticated) {
            2
        } else {
            1
        };
        let literal = usize::try_from(limits.max_literal).unwrap_or(usize::MAX);
        limits
            .max_line
            .saturating_mul(2)
            .saturating_add(literal.saturating_mul(literals))
    }

    /// Reads and handles messages until input runs out or a question is pending.
    fn process(&mut self) {
        loop {
            if !matches!(self.pending, Pending::None) || !self.conduit.is_open() {
                return;
            }
            if self.skip_bytes > 0 {
                let n = usize::try_from(self.skip_bytes)
                    .unwrap_or(usize::MAX)
                    .min(self.conduit.input_len());
                self.conduit.consume(n);
                self.skip_bytes -= n as u64;
                if self.skip_bytes > 0 {
                    return;
                }
                continue;
            }
            if self.skip_line {
                match memchr::memchr(b'\n', self.conduit.input()) {
                    Some(p) => {
                        self.conduit.consume(p + 1);
                        self.skip_line = false;
                        continue;
                    }
                    None => {
                        self.conduit.clear_input();
                        return;
                    }
                }
            }
            match self.framer.next(&self.conduit.input()[self.scanned..]) {
                Ok(None) => return,
                Ok(Some(FrameEvent::LiteralData { len, .. })) => self.scanned += len,
                Ok(Some(FrameEvent::Line { len, literal })) => {
                    self.scanned += len;
                    match literal {
                        None => {
                            // The message leaves the buffer without a copy; the rest
                            // stays behind it.
                            let message = self.conduit.take_input(self.scanned);
                            self.reset_framer();
                            self.message(&message);
                        }
                        Some(l) if l.sync && matches!(self.mode, Mode::Command) => {
                            let line = self.conduit.input()[..self.scanned].to_vec();
                            if self.literal_allowed(&line) {
                                self.continuation("Ready for literal data");
                            } else {
                                // The refusal may have ended the session (too many errors),
                                // which drops the input already.
                                self.conduit.consume(self.scanned);
                                self.reset_framer();
                            }
                        }
                        Some(_) => {}
                    }
                }
                Err(e) => self.frame_error(e),
            }
        }
    }

    fn frame_error(&mut self, e: FrameError) {
        let tag = leading_tag(self.conduit.input());
        let start = self.scanned;
        self.reset_framer();
        match e {
            FrameError::LineTooLong { .. } => {
                self.conduit.consume(start);
                self.skip_line = true;
                self.bad(tag, "Line too long");
            }
            FrameError::LiteralTooLarge {
                offset,
                length,
                sync,
                ..
            } => {
                let input = self.conduit.input();
                let from = (start + offset).min(input.len());
                let end =
                    memchr::memchr(b'\n', &input[from..]).map_or(input.len(), |p| from + p + 1);
                self.conduit.consume(end);
                if !sync {
                    // The data is on its way: throw it away as it comes, then the rest of
                    // the command's line.
                    self.skip_bytes = length;
                    self.skip_line = true;
                }
                self.bad(tag, "Literal too large");
            }
            FrameError::BareLf { offset } => {
                self.conduit.consume(start + offset + 1);
                self.bad(tag, "Line ended without CR");
            }
        }
    }

    /// One complete message from the client, read according to the mode.
    fn message(&mut self, message: &[u8]) {
        let limits = self.config.limits;
        match std::mem::replace(&mut self.mode, Mode::Command) {
            Mode::Command => match crate::codec::decode_command(message, &limits) {
                Ok(crate::codec::Decoded::Complete { value, .. }) => self.command(value),
                Ok(_) => self.bad(leading_tag(message), "Incomplete command"),
                Err(e) => {
                    let tag = e.tag().cloned();
                    let text = match e {
                        crate::codec::DecodeError::Syntax { reason, .. } => reason,
                        _ => "Invalid command",
                    };
                    self.bad(tag, text);
                }
            },
            Mode::Idle(tag) => match crate::codec::decode_idle_done(message, &limits) {
                Ok(crate::codec::Decoded::Complete { .. }) => {
                    self.finish(tag, "IDLE terminated", true);
                }
                _ => self.bad(Some(tag), "Expected DONE"),
            },
            Mode::SaslLine(tag, mut exchange, user) => {
                let step = match crate::codec::decode_authenticate_data(message, &limits) {
                    Ok(crate::codec::Decoded::Complete { value, .. }) => match value {
                        crate::types::AuthenticateData::Response(data) => {
                            exchange.receive(data.expose())
                        }
                        crate::types::AuthenticateData::Cancel => {
                            ServerStep::Failure(AuthError::Cancelled)
                        }
                    },
                    _ => ServerStep::Failure(AuthError::Malformed {
                        reason: "invalid AUTHENTICATE response",
                    }),
                };
                self.sasl_step(tag, exchange, user, step);
            }
        }
    }

    /// Writes what the selected mailbox's changes allow now, then the tagged OK.
    fn finish(&mut self, tag: Tag, text: &str, allow_expunge: bool) {
        self.announce(allow_expunge);
        self.tagged(tag, Completion::Ok, None, text);
    }

    /// Tells the FLAGS list again if it grew (see [`flags::write_grown_flags`]).
    fn tell_flag_list(&mut self) {
        // Nothing may be written inside a streamed literal; the list is told later.
        if matches!(self.pending, Pending::Content { .. }) {
            return;
        }
        if let State::Selected(view) = &mut self.state {
            flags::write_grown_flags(view, self.conduit.output());
        }
    }

    fn announce(&mut self, allow_expunge: bool) {
        let State::Selected(view) = &mut self.state else {
            return;
        };
        let a = view.announce(allow_expunge);
        let flag_lines: Vec<Response> = a
            .flags
            .iter()
            .filter_map(|&seq| flags::flags_response(view, seq, None))
            .collect();
        for seq in a.expunged {
            if let Some(n) = std::num::NonZeroU32::new(seq) {
                self.write(&Response::Data(crate::types::Data::Expunge(n)));
            }
        }
        self.tell_flag_list();
        if let Some(n) = a.exists {
            self.write(&Response::Data(crate::types::Data::Exists(n)));
        }
        if let Some(n) = a.recent {
            self.write(&Response::Data(crate::types::Data::Recent(n)));
        }
        for line in &flag_lines {
            self.write(line);
        }
    }

    // ---- mutators: the application's answers and notices ----

    /// Reports a change to the selected mailbox made elsewhere. It reaches the client
    /// when the rules allow: at once during IDLE, otherwise at the end of a command.
    /// Ignored when no mailbox is selected. While a literal streams
    /// ([`Event::Content`]), the change is taken in once its FETCH line is closed, so
    /// that the rest of the line shows nothing FLAGS has not announced.
    ///
    /// A store's change feed may report every change, this session's own included: what
    /// the session knows already is ignored — a new message whose UID is not above every
    /// UID it knows, the expunge of a UID not in its view, flags equal to those in its
    /// view (in any order).
    pub fn notify(&mut self, update: MailboxUpdate) {
        if let State::Selected(view) = &mut self.state {
            if matches!(self.pending, Pending::Content { .. }) {
                view.hold(update);
                return;
            }
            view.update(update);
            if matches!(self.mode, Mode::Idle(_)) {
                self.announce(true);
            }
        }
    }

    /// Says goodbye because the server is shutting down: queues `* BYE Server shutting
    /// down` (RFC 3501 §7.1.5) and closes, in any state, IDLE included. Does nothing once
    /// the session is closed or while a STARTTLS handshake is due.
    ///
    /// A driver calls this when no command is under way: between commands or during IDLE,
    /// not while the application owes an answer or a command is arriving
    /// ([`receiving_command`](mailwire_core::Session::receiving_command)).
    pub fn shutdown(&mut self) {
        self.bye("Server shutting down");
    }

    /// Says `* BYE` with `text` and closes: the connection cannot go on, for a reason of
    /// the application's (the selected mailbox was deleted by another connection, say).
    /// Called, as [`shutdown`](Self::shutdown), when no command is under way.
    pub fn bye(&mut self, text: &str) {
        if self.conduit.is_open() {
            self.untagged(Condition::Bye, None, text);
            self.close();
        }
    }
}

impl mailwire_core::Session for Session {
    type Event = Event;

    fn receive(&mut self, mut bytes: &[u8]) {
        if !self.conduit.is_open() {
            return;
        }
        if !self.receiving_command() {
            self.arrived = 0;
        }
        self.arrived = self.arrived.saturating_add(bytes.len() as u64);
        // Taken in pieces that fit the input cap, so that one large read is worked through
        // as the same bytes in smaller reads would be (a refused literal's data skipped,
        // pipelined commands answered); only input held beyond the cap ends the session.
        loop {
            if !self.conduit.is_open() {
                return;
            }
            if self.skip_bytes > 0 && self.conduit.input_len() == 0 {
                let n = usize::try_from(self.skip_bytes)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len());
                bytes = &bytes[n..];
                self.skip_bytes -= n as u64;
            }
            let room = self.input_cap().saturating_sub(self.conduit.input_len());
            if room == 0 && !bytes.is_empty() {
                self.untagged(Condition::Bye, None, "Too much input");
                self.close();
                return;
            }
            let (piece, rest) = bytes.split_at(room.min(bytes.len()));
            self.conduit.push_input(piece);
            bytes = rest;
            self.process();
            if bytes.is_empty() {
                return;
            }
        }
    }

    fn receive_eof(&mut self) {
        self.close();
    }

    fn timed_out(&mut self) {
        if self.conduit.is_open() {
            self.untagged(Condition::Bye, None, "Autologout; idle for too long");
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
        }
    }

    fn timeout(&self) -> Option<Duration> {
        match self.mode {
            Mode::Idle(_) => Some(self.config.idle_timeout),
            _ => Some(self.config.timeout),
        }
    }

    /// A command (with its literals), an AUTHENTICATE response or `DONE` has begun and
    /// not ended, including the rest of a refused line or literal being thrown away; not
    /// while the application owes an answer.
    fn receiving_command(&self) -> bool {
        self.conduit.is_open()
            && matches!(self.pending, Pending::None)
            && (self.conduit.input_len() > 0 || self.skip_bytes > 0 || self.skip_line)
    }

    fn command_timeout(&self) -> Option<Duration> {
        let earned = self.arrived / self.config.min_transfer_rate.max(1);
        self.config
            .command_timeout
            .map(|limit| limit.saturating_add(Duration::from_secs(earned)))
    }

    fn wants_input(&self) -> bool {
        self.conduit.is_open()
            && (matches!(self.pending, Pending::None)
                || self.conduit.input_len() < self.config.limits.max_line)
    }
}
