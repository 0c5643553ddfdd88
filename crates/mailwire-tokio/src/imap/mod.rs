//! An async IMAP client: typed methods over [`mailwire_imap::client::Session`].
//!
//! Fetching the unseen messages of INBOX and printing their text:
//!
//! ```
//! use mailwire_tokio::imap::{ImapClient, Items, Search};
//!
//! # include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/doc_support/server.rs"));
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let server = doc_server(&["Subject: lunch\r\n\r\nAt noon?\r\n"]).await;
//! # let imap_server = server.imap.as_str();
//! // imap_server: "imap.example.org", or "host:port"
//! let mut imap = ImapClient::connect(imap_server).await?;
//! imap.login("fred", "secret").await?;
//! imap.select("INBOX").await?;
//! let unseen = imap.uid_search(Search::unseen()).await?;
//! let mut messages = imap.uid_fetch(&unseen, Items::body())?;
//! while let Some(message) = messages.next().await {
//!     let mut message = message?;
//!     messages.buffer_body(&mut message).await?; // a body over 64 KiB streams otherwise
//!     let parsed = mailwire_mime::parse(message.body().unwrap_or_default());
//!     println!("{}", parsed.text_body().unwrap_or_default());
//! #   assert_eq!(parsed.text_body().as_deref(), Some("At noon?\r\n"));
//! }
//! drop(messages);
//! # assert_eq!(unseen.len(), 1);
//! imap.logout().await?;
//! # Ok(())
//! # }
//! ```
//!
//! [`ImapClient::connect`] takes port 993 with implicit TLS when no port is given, and
//! STARTTLS (required) on any other port; the certificate is checked against the webpki and
//! platform roots. LOGIN and the SASL mechanisms that send the password itself are refused
//! without TLS unless [`Config::plaintext_auth`] says otherwise. Every wait for the
//! server is bounded by [`Config::timeout`].
//!
//! [`fetch`](ImapClient::fetch) hands out messages one at a time; a body over 64 KiB
//! ([`Config::stream_literals_over`]) is not held whole but read as it arrives from
//! [`Messages::body`], an `AsyncRead`, unless [`Messages::buffer_body`] asks for it whole.
//!
//! Untagged EXISTS, EXPUNGE and FETCH that no command asked for are kept as
//! [`Update`]s until [`ImapClient::take_updates`]; [`ImapClient::idle`] hands them out as
//! they come.

mod fetch;
mod idle;
mod mailbox;
mod search;

use std::collections::VecDeque;
use std::io;
use std::time::Duration;

use mailwire_imap::client::{self, Event, Session};
use mailwire_imap::codec::Limits;
use mailwire_imap::sasl::ClientExchange;
use mailwire_imap::types::{
    AppendMessage, Capability, Code, CommandBody, Completion, Condition, Data, DateTime, Flag,
    ListMailbox, Mailbox, NonEmpty, StatusAttribute, StoreKind, Tag, Text,
};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpStream, ToSocketAddrs};

use crate::connect::{BadServer, Endpoint, Ports, Security};
use crate::{Connection, Error, MaybeTlsStream, Tls};

pub use fetch::{Body, Ids, Items, Message, Messages};
pub use idle::{IDLE_RENEWAL, Idle};
pub use mailbox::{Listed, MailboxStatus, Selected, Update};
pub use search::Search;

/// Why an IMAP exchange did not succeed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImapError {
    /// The connection failed underneath the session.
    #[error(transparent)]
    Connection(#[from] Error),
    /// The server string is not `host`, `host:port` or `[v6]:port`.
    #[error(transparent)]
    BadServer(#[from] BadServer),
    /// The TLS settings could not be made (no crypto provider, or a bad server name).
    #[error("cannot set up TLS: {0}")]
    Tls(rustls::Error),
    /// The TCP connection or the implicit TLS handshake could not be set up.
    #[error("cannot connect: {0}")]
    Connect(io::Error),
    /// Implicit TLS was asked for and no TLS settings were given.
    #[error("implicit TLS needs TLS settings")]
    TlsUnavailable,
    /// The command completed with `NO` or `BAD`.
    #[error("the server refused ({completion:?}): {text}")]
    Refused {
        /// `NO` or `BAD`.
        completion: Completion,
        /// The server's text.
        text: Text,
    },
    /// The server said BYE.
    #[error("the server said BYE: {0}")]
    Bye(Text),
    /// The session refused the call; [`client::Error::PlaintextNotAllowed`] is a password
    /// that would go without TLS.
    #[error(transparent)]
    Usage(#[from] client::Error),
    /// An argument cannot be put on the wire (a string with NUL, message number 0 …).
    #[error("invalid {0}")]
    Invalid(&'static str),
    /// The server did not answer within [`Config::timeout`]; the connection is no longer
    /// usable.
    #[error("the server did not answer within {0:?}")]
    Timeout(Duration),
    /// The server closed the connection.
    #[error("the server closed the connection")]
    Closed,
    /// The content of a message to APPEND could not be read, or ended before its
    /// length; the connection is not usable any more.
    #[error("cannot read the message: {0}")]
    Content(io::Error),
}

/// How much of a message [`ImapClient::append_from`] reads and writes at a time.
const APPEND_PIECE: usize = 64 * 1024;

/// A message for [`ImapClient::append_all_from`]: its content, read as it is sent, its
/// length in bytes, and its flags and internal date.
///
/// ```
/// use mailwire_imap::types::Flag;
/// use mailwire_tokio::imap::NewMessage;
///
/// let text = b"Subject: hi\r\n\r\nHello.\r\n";
/// let mut message = NewMessage::new(&text[..], text.len() as u32);
/// message.flags = vec![Flag::Seen];
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct NewMessage<R> {
    /// The message, read as it is sent.
    pub content: R,
    /// How many bytes of `content` make the message.
    pub length: u32,
    /// Flags to set, possibly none.
    pub flags: Vec<Flag>,
    /// The internal date to set.
    pub date: Option<DateTime>,
}

impl<R> NewMessage<R> {
    /// A message of `length` bytes read from `content`, without flags or date.
    pub fn new(content: R, length: u32) -> Self {
        Self {
            content,
            length,
            flags: Vec::new(),
            date: None,
        }
    }
}

/// How [`ImapClient::connect_with`] reaches the server and how long it waits.
///
/// ```
/// use std::time::Duration;
/// use mailwire_tokio::connect::Security;
/// use mailwire_tokio::imap::Config;
///
/// let mut config = Config::default();
/// config.timeout = Some(Duration::from_secs(30));
/// assert_eq!(config.security, Security::Auto);
/// assert!(!config.plaintext_auth);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Implicit TLS, STARTTLS or none; [`Security::Auto`] (the default) decides from the
    /// port: implicit TLS on 993 or without a port, STARTTLS (required) on any other.
    pub security: Security,
    /// Send LOGIN, or a SASL mechanism that sends the password or token itself, over a
    /// connection without TLS. Off by default: such a call fails with
    /// [`client::Error::PlaintextNotAllowed`] and nothing is sent.
    pub plaintext_auth: bool,
    /// How long each command may wait for the server's next response (and a write for
    /// the server to take it): 5 minutes by default; `None` waits forever. IDLE is not
    /// bounded by it: the server may stay silent until it has news.
    pub timeout: Option<Duration>,
    /// How long the TCP connection and an implicit TLS handshake may take: 60 seconds.
    pub connect_timeout: Duration,
    /// Limits on what the server sends ([`Limits::for_client`]).
    pub limits: Limits,
    /// TLS settings; `None` (the default) trusts the webpki and platform roots and checks the
    /// certificate against the host name of the server string.
    pub tls: Option<Tls>,
    /// The longest body section [`ImapClient::fetch`] hands out whole in
    /// [`Message::sections`]: a longer one streams ([`Message::streaming`]). 64 KiB by
    /// default; `u32::MAX` keeps every body whole.
    pub stream_literals_over: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            security: Security::Auto,
            plaintext_auth: false,
            timeout: Some(Duration::from_secs(5 * 60)),
            connect_timeout: Duration::from_secs(60),
            limits: Limits::for_client(),
            tls: None,
            stream_literals_over: 64 * 1024,
        }
    }
}

impl Config {
    /// The session's configuration; the client applies the timeout itself.
    fn session(&self) -> client::Config {
        let mut session = client::Config::default();
        session.limits = self.limits;
        session.plaintext_auth = self.plaintext_auth;
        session.stream_literals_over = self.stream_literals_over;
        session.timeout = None;
        session
    }
}

/// A command's successful completion and what answered it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Completed {
    /// The tagged response's code (`[READ-WRITE]` …).
    pub code: Option<Code>,
    /// The tagged response's text.
    pub text: Text,
    /// The untagged data that answered the command (`FETCH`, `EXISTS`, `LIST` …).
    pub data: Vec<Data>,
    /// Untagged status responses received while it ran.
    pub statuses: Vec<Status>,
}

use mailwire_imap::types::Status;

/// A connection to an IMAP server.
///
/// Commands run one at a time. Untagged data that no command asked for (EXISTS, EXPUNGE,
/// FETCH of flags changed elsewhere) is kept until [`take_updates`](Self::take_updates).
///
/// The unseen messages of INBOX, from mailwire's own IMAP server on loopback (without
/// TLS, hence the opt-in for the password):
///
/// ```
/// use mailwire_tokio::connect::Security;
/// use mailwire_tokio::imap::{Config, ImapClient, Items, Search};
/// # use std::sync::Arc;
/// # use mailwire_server::{memory::Memory, Accepted, ImapServer, Service, Throttle};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let memory = Memory::new();
/// # memory.add_user("fred", "secret");
/// # let mut server = mailwire_imap::server::Config::default();
/// # server.plaintext_auth = true;
/// # let store = Arc::new(memory.clone());
/// # let imapd = Arc::new(ImapServer::new(server, Arc::new(memory), store, Arc::new(Throttle::new())));
/// # let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// # let server = listener.local_addr()?.to_string();
/// # tokio::spawn(async move {
/// #     while let Ok((socket, peer)) = listener.accept().await {
/// #         let plain = mailwire_server::Security::Plain;
/// #         let stream = mailwire_tokio::MaybeTlsStream::Plain(socket);
/// #         let accepted = Accepted::new(stream, peer, plain, mailwire_tokio::Tls::None);
/// #         tokio::spawn(Arc::clone(&imapd).serve(accepted));
/// #     }
/// # });
/// # let mut config = Config::default();
/// # config.security = Security::Plaintext;
/// # config.plaintext_auth = true;
/// # let mut other = ImapClient::connect_with(&server, config).await?;
/// # other.login("fred", "secret").await?;
/// # other.append("INBOX", &[], b"Subject: hi\r\n\r\nHello.\r\n").await?;
/// let mut config = Config::default();
/// config.security = Security::Plaintext;
/// config.plaintext_auth = true;
/// let mut imap = ImapClient::connect_with(&server, config).await?;
/// imap.login("fred", "secret").await?;
/// imap.select("INBOX").await?;
/// let unseen = imap.uid_search(Search::unseen()).await?;
/// let mut texts = Vec::new();
/// let mut messages = imap.uid_fetch(&unseen, Items::body())?;
/// while let Some(message) = messages.next().await {
///     let mut message = message?;
///     messages.buffer_body(&mut message).await?;
///     let parsed = mailwire_mime::parse(message.body().unwrap_or_default());
///     texts.push(parsed.text_body().unwrap_or_default().into_owned());
/// }
/// drop(messages);
/// imap.logout().await?;
/// assert_eq!(texts, ["Hello.\r\n"]);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct ImapClient<IO> {
    conn: Connection<Session, IO>,
    unsolicited: VecDeque<Data>,
    timeout: Option<Duration>,
}

impl ImapClient<TcpStream> {
    /// Connects to `server` (`host`, `host:port` or `[v6]:port`) with the default
    /// [`Config`]: implicit TLS on port 993 (also when no port is given), STARTTLS
    /// required on any other, the certificate checked against the webpki and platform roots.
    pub async fn connect(server: &str) -> Result<Self, ImapError> {
        Self::connect_with(server, Config::default()).await
    }

    /// Connects to `server` as `config` says, and returns once commands can be sent
    /// (greeting read, STARTTLS done if asked for).
    pub async fn connect_with(server: &str, config: Config) -> Result<Self, ImapError> {
        let endpoint = Endpoint::parse(server, Ports::IMAP, config.security)?;
        let tls = match config.tls.clone() {
            Some(tls) if endpoint.security != Security::Plaintext => tls,
            _ => endpoint.default_tls().map_err(ImapError::Tls)?,
        };
        let stream = endpoint
            .open(&tls, config.connect_timeout)
            .await
            .map_err(ImapError::Connect)?;
        let mut client = Self::begin(stream, &config, tls).await?;
        if endpoint.security == Security::StartTls {
            client.starttls().await?;
        }
        Ok(client)
    }

    /// Connects over TCP to `addr` with the session configured by `config`; with
    /// `implicit_tls` the connection is TLS from the start. `tls` is also what
    /// [`starttls`](ImapClient::starttls) uses.
    pub async fn connect_to(
        addr: impl ToSocketAddrs,
        config: client::Config,
        tls: Tls,
        implicit_tls: bool,
    ) -> Result<Self, ImapError> {
        if implicit_tls && !tls.is_available() {
            return Err(ImapError::TlsUnavailable);
        }
        let stream = MaybeTlsStream::connect(addr, &tls, implicit_tls)
            .await
            .map_err(ImapError::Connect)?;
        Self::start(stream, config, tls).await
    }
}

impl<IO> ImapClient<IO>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    /// Reads the server's greeting over `stream` with a client configured by `config`
    /// (its `tls` field is not used: STARTTLS is [`starttls`](Self::starttls), and a
    /// stream that is already TLS counts as implicit TLS).
    pub async fn begin(
        stream: MaybeTlsStream<IO>,
        config: &Config,
        tls: Tls,
    ) -> Result<Self, ImapError> {
        let mut session = config.session();
        session.tls = stream.is_tls();
        Self::greeted(stream, session, tls, config.timeout).await
    }

    /// Reads the server's greeting over `stream`, with the session configured by `config`;
    /// a stream that is already TLS counts as implicit TLS. The session's
    /// [`timeout`](client::Config::timeout) bounds every wait, as [`Config::timeout`] does.
    pub async fn start(
        stream: MaybeTlsStream<IO>,
        mut config: client::Config,
        tls: Tls,
    ) -> Result<Self, ImapError> {
        config.tls |= stream.is_tls();
        let timeout = config.timeout.take();
        Self::greeted(stream, config, tls, timeout).await
    }

    async fn greeted(
        stream: MaybeTlsStream<IO>,
        session: client::Config,
        tls: Tls,
        timeout: Option<Duration>,
    ) -> Result<Self, ImapError> {
        let mut client = Self {
            conn: Connection::new(stream, Session::new(session), tls),
            unsolicited: VecDeque::new(),
            timeout,
        };
        loop {
            match client.next().await? {
                Event::Greeting {
                    condition: Condition::Bye,
                    text,
                } => return Err(ImapError::Bye(text)),
                Event::Greeting { .. } => return Ok(client),
                other => client.aside(other)?,
            }
        }
    }

    /// Upgrades the connection with STARTTLS, and returns once the TLS handshake is done
    /// and the server has told its capabilities again.
    ///
    /// Without TLS settings the connection fails with [`Error::TlsUnavailable`] once the
    /// server accepts; a certificate that does not check out fails the handshake
    /// ([`Error::Handshake`]).
    pub async fn starttls(&mut self) -> Result<Completed, ImapError> {
        let done = self.run(CommandBody::StartTls).await?;
        // The handshake runs as the next event is awaited; the session then asks for the
        // capabilities, which may have changed (RFC 3501 §6.2.1).
        loop {
            match self.next().await? {
                Event::Capabilities(_) if self.is_tls() => return Ok(done),
                other => self.aside(other)?,
            }
        }
    }

    /// Whether the connection is under TLS: from the start, or after STARTTLS.
    pub fn is_tls(&self) -> bool {
        self.conn.session().is_tls()
    }

    /// The server's capabilities as last advertised (asked again after STARTTLS and
    /// login; empty until the answer is in).
    pub fn capabilities(&self) -> &[Capability] {
        self.conn.session().capabilities()
    }

    /// Asks the server for its capabilities.
    pub async fn refresh_capabilities(&mut self) -> Result<&[Capability], ImapError> {
        self.run(CommandBody::Capability).await?;
        Ok(self.capabilities())
    }

    /// `LOGIN`; refused with [`client::Error::PlaintextNotAllowed`] before TLS unless
    /// [`Config::plaintext_auth`] is set.
    pub async fn login(&mut self, username: &str, password: &str) -> Result<Completed, ImapError> {
        let tag = self.conn.session_mut().login(username, password)?;
        self.complete(&tag).await
    }

    /// `AUTHENTICATE` with any mailwire-sasl mechanism, the initial response on the
    /// command line when the server offers SASL-IR. PLAIN, LOGIN, XOAUTH2 and OAUTHBEARER
    /// are refused without TLS as [`login`](Self::login) is.
    pub async fn authenticate(&mut self, exchange: ClientExchange) -> Result<Completed, ImapError> {
        let tag = self.conn.session_mut().authenticate(exchange)?;
        self.complete(&tag).await
    }

    /// `SELECT`: opens `mailbox` (a UTF-8 name) read-write.
    pub async fn select(&mut self, mailbox: &str) -> Result<Selected, ImapError> {
        let mailbox = mailbox_name(mailbox)?;
        let done = self
            .run(CommandBody::Select {
                mailbox,
                condstore: false,
            })
            .await?;
        Ok(Selected::read(
            done.code.as_ref(),
            &done.data,
            &done.statuses,
        ))
    }

    /// `EXAMINE`: opens `mailbox` read-only.
    pub async fn examine(&mut self, mailbox: &str) -> Result<Selected, ImapError> {
        let mailbox = mailbox_name(mailbox)?;
        let done = self
            .run(CommandBody::Examine {
                mailbox,
                condstore: false,
            })
            .await?;
        let mut selected = Selected::read(done.code.as_ref(), &done.data, &done.statuses);
        selected.read_only = true;
        Ok(selected)
    }

    /// `CREATE`: makes a mailbox.
    pub async fn create(&mut self, mailbox: &str) -> Result<(), ImapError> {
        let mailbox = mailbox_name(mailbox)?;
        self.run(CommandBody::Create { mailbox }).await.map(drop)
    }

    /// `DELETE`: removes a mailbox.
    pub async fn delete(&mut self, mailbox: &str) -> Result<(), ImapError> {
        let mailbox = mailbox_name(mailbox)?;
        self.run(CommandBody::Delete { mailbox }).await.map(drop)
    }

    /// `RENAME`
    pub async fn rename(&mut self, from: &str, to: &str) -> Result<(), ImapError> {
        let (from, to) = (mailbox_name(from)?, mailbox_name(to)?);
        self.run(CommandBody::Rename { from, to }).await.map(drop)
    }

    /// `SUBSCRIBE`
    pub async fn subscribe(&mut self, mailbox: &str) -> Result<(), ImapError> {
        let mailbox = mailbox_name(mailbox)?;
        self.run(CommandBody::Subscribe { mailbox }).await.map(drop)
    }

    /// `UNSUBSCRIBE`
    pub async fn unsubscribe(&mut self, mailbox: &str) -> Result<(), ImapError> {
        let mailbox = mailbox_name(mailbox)?;
        self.run(CommandBody::Unsubscribe { mailbox })
            .await
            .map(drop)
    }

    /// `CLOSE`: closes the selected mailbox, removing the messages flagged `\Deleted`.
    pub async fn close(&mut self) -> Result<(), ImapError> {
        self.run(CommandBody::Close).await.map(drop)
    }

    /// `UNSELECT` (RFC 3691): closes the selected mailbox and removes nothing.
    pub async fn unselect(&mut self) -> Result<(), ImapError> {
        self.run(CommandBody::Unselect).await.map(drop)
    }

    /// `LIST reference pattern`: the mailboxes whose names match `pattern` (`*` any
    /// suffix, `%` one level); `list("", "*")` names them all.
    pub async fn list(&mut self, reference: &str, pattern: &str) -> Result<Vec<Listed>, ImapError> {
        let body = CommandBody::List {
            reference: mailbox_name(reference)?,
            pattern: list_pattern(pattern)?,
        };
        self.listed(body).await
    }

    /// `LSUB reference pattern`: the subscribed mailboxes matching `pattern`.
    pub async fn lsub(&mut self, reference: &str, pattern: &str) -> Result<Vec<Listed>, ImapError> {
        let body = CommandBody::Lsub {
            reference: mailbox_name(reference)?,
            pattern: list_pattern(pattern)?,
        };
        self.listed(body).await
    }

    async fn listed(&mut self, body: CommandBody) -> Result<Vec<Listed>, ImapError> {
        let done = self.run(body).await?;
        Ok(done
            .data
            .into_iter()
            .filter_map(Listed::from_data)
            .collect())
    }

    /// `STATUS mailbox (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)`.
    pub async fn status(&mut self, mailbox: &str) -> Result<MailboxStatus, ImapError> {
        let attributes = NonEmpty::from_vec(vec![
            StatusAttribute::Messages,
            StatusAttribute::Recent,
            StatusAttribute::UidNext,
            StatusAttribute::UidValidity,
            StatusAttribute::Unseen,
        ])
        .ok_or(ImapError::Invalid("status attributes"))?;
        let done = self
            .run(CommandBody::Status {
                mailbox: mailbox_name(mailbox)?,
                attributes,
            })
            .await?;
        let items = done.data.iter().find_map(|d| match d {
            Data::Status { items, .. } => Some(items.as_slice()),
            _ => None,
        });
        Ok(MailboxStatus::read(items.unwrap_or_default()))
    }

    /// `SEARCH`: the sequence numbers of the messages matching `criteria`, ascending.
    pub async fn search(&mut self, criteria: Search) -> Result<Vec<u32>, ImapError> {
        self.searched(criteria, false).await
    }

    /// `UID SEARCH`: the UIDs of the messages matching `criteria`, ascending.
    pub async fn uid_search(&mut self, criteria: Search) -> Result<Vec<u32>, ImapError> {
        self.searched(criteria, true).await
    }

    async fn searched(&mut self, criteria: Search, uid: bool) -> Result<Vec<u32>, ImapError> {
        let (charset, criteria, invalid) = criteria.into_parts();
        if invalid {
            return Err(ImapError::Invalid("search string"));
        }
        let done = self
            .run(CommandBody::Search {
                charset,
                criteria,
                uid,
            })
            .await?;
        let mut ids: Vec<u32> = done
            .data
            .iter()
            .filter_map(|d| match d {
                Data::Search { ids, .. } => Some(ids.iter().map(|n| n.get())),
                _ => None,
            })
            .flatten()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// `FETCH`: the messages `ids` names (sequence numbers), one by one as the server
    /// sends them. The command is sent at once; the messages are read as the stream is
    /// polled. A body section longer than [`Config::stream_literals_over`] streams: see
    /// [`Messages`]. Dropping the stream early leaves the rest to be read and dropped by
    /// the next call.
    pub fn fetch(&mut self, ids: impl Ids, items: Items) -> Result<Messages<'_>, ImapError>
    where
        IO: Send,
    {
        self.fetched(ids, items, false)
    }

    /// `UID FETCH`: as [`fetch`](Self::fetch), naming messages by UID.
    pub fn uid_fetch(&mut self, ids: impl Ids, items: Items) -> Result<Messages<'_>, ImapError>
    where
        IO: Send,
    {
        self.fetched(ids, items, true)
    }

    fn fetched(&mut self, ids: impl Ids, items: Items, uid: bool) -> Result<Messages<'_>, ImapError>
    where
        IO: Send,
    {
        let tag =
            match ids.into_set()? {
                Some(set) => Some(self.conn.session_mut().command_streamed(
                    CommandBody::Fetch {
                        set,
                        items: items.into_items(),
                        changed_since: None,
                        uid,
                    },
                )?),
                None => None,
            };
        Ok(Messages::new(self, tag))
    }

    /// `STORE`: changes the flags of the messages `ids` names (sequence numbers) —
    /// [`StoreKind::Add`], [`Remove`](StoreKind::Remove) or
    /// [`Replace`](StoreKind::Replace) — and returns their flags as the server now has
    /// them.
    pub async fn store(
        &mut self,
        ids: impl Ids,
        kind: StoreKind,
        flags: &[Flag],
    ) -> Result<Vec<Message>, ImapError> {
        self.stored(ids, kind, flags, false).await
    }

    /// `UID STORE`: as [`store`](Self::store), naming messages by UID.
    pub async fn uid_store(
        &mut self,
        ids: impl Ids,
        kind: StoreKind,
        flags: &[Flag],
    ) -> Result<Vec<Message>, ImapError> {
        self.stored(ids, kind, flags, true).await
    }

    async fn stored(
        &mut self,
        ids: impl Ids,
        kind: StoreKind,
        flags: &[Flag],
        uid: bool,
    ) -> Result<Vec<Message>, ImapError> {
        let Some(set) = ids.into_set()? else {
            return Ok(Vec::new());
        };
        let done = self
            .run(CommandBody::Store {
                set,
                kind,
                silent: false,
                flags: flags.to_vec(),
                unchanged_since: None,
                uid,
            })
            .await?;
        Ok(done
            .data
            .into_iter()
            .filter_map(|d| match d {
                Data::Fetch { seq, items } => Some(Message::from_items(seq, items)),
                _ => None,
            })
            .collect())
    }

    /// `COPY`: copies the messages `ids` names to `mailbox`.
    pub async fn copy(&mut self, ids: impl Ids, mailbox: &str) -> Result<(), ImapError> {
        self.transfer(ids, mailbox, false, false).await
    }

    /// `UID COPY`
    pub async fn uid_copy(&mut self, ids: impl Ids, mailbox: &str) -> Result<(), ImapError> {
        self.transfer(ids, mailbox, true, false).await
    }

    /// `MOVE` (RFC 6851): moves the messages `ids` names to `mailbox`; their expunges
    /// are kept as [`Update::Expunge`].
    pub async fn mv(&mut self, ids: impl Ids, mailbox: &str) -> Result<(), ImapError> {
        self.transfer(ids, mailbox, false, true).await
    }

    /// `UID MOVE`
    pub async fn uid_mv(&mut self, ids: impl Ids, mailbox: &str) -> Result<(), ImapError> {
        self.transfer(ids, mailbox, true, true).await
    }

    async fn transfer(
        &mut self,
        ids: impl Ids,
        mailbox: &str,
        uid: bool,
        moved: bool,
    ) -> Result<(), ImapError> {
        let Some(set) = ids.into_set()? else {
            return Ok(());
        };
        let mailbox = mailbox_name(mailbox)?;
        let body = if moved {
            CommandBody::Move { set, mailbox, uid }
        } else {
            CommandBody::Copy { set, mailbox, uid }
        };
        let done = self.run(body).await?;
        // MOVE answers with the expunges of the moved messages.
        for d in done.data {
            self.unsolicited.push_back(d);
        }
        Ok(())
    }

    /// `EXPUNGE`: removes the messages flagged `\Deleted`; returns the sequence numbers
    /// the server reported, in its order (each as numbered when it was removed).
    pub async fn expunge(&mut self) -> Result<Vec<u32>, ImapError> {
        let done = self.run(CommandBody::Expunge).await?;
        Ok(expunged(&done.data))
    }

    /// `UID EXPUNGE` (RFC 4315): removes those of the messages `ids` names that are
    /// flagged `\Deleted`.
    pub async fn uid_expunge(&mut self, ids: impl Ids) -> Result<Vec<u32>, ImapError> {
        let Some(uids) = ids.into_set()? else {
            return Ok(Vec::new());
        };
        let done = self.run(CommandBody::UidExpunge { uids }).await?;
        Ok(expunged(&done.data))
    }

    /// `APPEND`: adds `message` to `mailbox` with `flags`; returns the UID the server
    /// gave it when it says (`APPENDUID`, RFC 4315).
    pub async fn append(
        &mut self,
        mailbox: &str,
        flags: &[Flag],
        message: &[u8],
    ) -> Result<Option<u32>, ImapError> {
        let uids = self
            .append_all(mailbox, [(flags, None, message)].into_iter())
            .await?;
        Ok(uids.into_iter().next())
    }

    /// `APPEND` of a message read from `content` as it is sent, `length` bytes of it, so
    /// that it is never held whole: the literal is announced, and (after the server's
    /// `+`, or at once with LITERAL+) the bytes are copied in pieces of 64 KiB. Returns
    /// the UID the server gave it when it says (`APPENDUID`).
    ///
    /// The message goes as a plain literal, so it must not hold NUL. If `content` fails or
    /// ends before `length` bytes ([`ImapError::Content`]), the command cannot be finished
    /// and the connection is not usable any more.
    pub async fn append_from<R>(
        &mut self,
        mailbox: &str,
        flags: &[Flag],
        content: R,
        length: u32,
    ) -> Result<Option<u32>, ImapError>
    where
        R: AsyncRead + Unpin,
    {
        let mut message = NewMessage::new(content, length);
        message.flags = flags.to_vec();
        let uids = self.append_all_from(mailbox, vec![message]).await?;
        Ok(uids.into_iter().next())
    }

    /// `APPEND` of several messages in one command (MULTIAPPEND, RFC 3502, which the
    /// server must offer for more than one), each with its flags and internal date;
    /// returns the UIDs the server gave them when it says.
    pub async fn append_all<'m>(
        &mut self,
        mailbox: &str,
        messages: impl Iterator<Item = (&'m [Flag], Option<DateTime>, &'m [u8])>,
    ) -> Result<Vec<u32>, ImapError> {
        let messages: Vec<(&[Flag], Option<DateTime>, &[u8])> = messages.collect();
        if messages.iter().any(|(_, _, data)| data.contains(&0)) {
            // NUL needs a literal8 (RFC 3516), whose form the encoder picks from the data.
            return self.append_encoded(mailbox, messages).await;
        }
        let mut all = Vec::with_capacity(messages.len());
        for (flags, date, data) in messages {
            let length =
                u32::try_from(data.len()).map_err(|_| ImapError::Invalid("message size"))?;
            let mut message = NewMessage::new(data, length);
            message.flags = flags.to_vec();
            message.date = date;
            all.push(message);
        }
        self.append_all_from(mailbox, all).await
    }

    async fn append_encoded(
        &mut self,
        mailbox: &str,
        messages: Vec<(&[Flag], Option<DateTime>, &[u8])>,
    ) -> Result<Vec<u32>, ImapError> {
        let messages: Vec<AppendMessage> = messages
            .into_iter()
            .map(|(flags, date, data)| AppendMessage {
                flags: flags.to_vec(),
                date,
                data: data.to_vec(),
            })
            .collect();
        let Some(messages) = NonEmpty::from_vec(messages) else {
            return Ok(Vec::new());
        };
        let done = self
            .run(CommandBody::Append {
                mailbox: mailbox_name(mailbox)?,
                messages,
            })
            .await?;
        Ok(match done.code {
            Some(Code::AppendUid { uids, .. }) => uids_in(&uids),
            _ => Vec::new(),
        })
    }

    /// `APPEND` of several messages, each read from its content as it is sent, as
    /// [`append_from`](Self::append_from) does; more than one needs MULTIAPPEND.
    /// Returns the UIDs the server gave them when it says.
    pub async fn append_all_from<R>(
        &mut self,
        mailbox: &str,
        messages: Vec<NewMessage<R>>,
    ) -> Result<Vec<u32>, ImapError>
    where
        R: AsyncRead + Unpin,
    {
        let mailbox = mailbox_name(mailbox)?;
        let mut contents = Vec::with_capacity(messages.len());
        let mut headers = Vec::with_capacity(messages.len());
        for m in messages {
            let mut header = client::Append::new(m.length);
            header.flags = m.flags;
            header.date = m.date;
            headers.push(header);
            contents.push(m.content);
        }
        let Some(headers) = NonEmpty::from_vec(headers) else {
            return Ok(Vec::new());
        };
        let tag = self.conn.session_mut().append_streamed(mailbox, headers)?;
        let mut buf = vec![0; APPEND_PIECE];
        loop {
            match self.next().await? {
                Event::SendLiteral {
                    tag: t,
                    index,
                    length,
                } if t == tag => {
                    let content = contents
                        .get_mut(index)
                        .ok_or(ImapError::Invalid("message index"))?;
                    self.send_literal(content, length, &mut buf).await?;
                }
                Event::Completed {
                    tag: t,
                    completion,
                    code,
                    text,
                    ..
                } if t == tag => {
                    return match completion {
                        Completion::Ok => Ok(match code {
                            Some(Code::AppendUid { uids, .. }) => uids_in(&uids),
                            _ => Vec::new(),
                        }),
                        _ => Err(ImapError::Refused { completion, text }),
                    };
                }
                other => self.aside(other)?,
            }
        }
    }

    /// Copies `length` bytes of `content` into the literal the session asked for, one
    /// piece at a time, each written out before the next is read.
    async fn send_literal<R>(
        &mut self,
        content: &mut R,
        length: u32,
        buf: &mut [u8],
    ) -> Result<(), ImapError>
    where
        R: AsyncRead + Unpin,
    {
        use tokio::io::AsyncReadExt;

        let mut left = length as usize;
        if left == 0 {
            self.conn.session_mut().write_literal(&[])?;
        }
        while left > 0 {
            let want = left.min(buf.len());
            let n = content
                .read(&mut buf[..want])
                .await
                .map_err(ImapError::Content)?;
            if n == 0 {
                return Err(ImapError::Content(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the message ended before its length",
                )));
            }
            left -= self.conn.session_mut().write_literal(&buf[..n])?;
            self.flush().await?;
        }
        Ok(())
    }

    /// Writes what the session has to send, within the timeout.
    async fn flush(&mut self) -> Result<(), ImapError> {
        match self.timeout {
            Some(limit) => tokio::time::timeout(limit, self.conn.flush())
                .await
                .map_err(|_| ImapError::Timeout(limit))??,
            None => self.conn.flush().await?,
        }
        Ok(())
    }

    /// `NOOP`: lets the server tell what changed (see [`take_updates`](Self::take_updates)).
    pub async fn noop(&mut self) -> Result<(), ImapError> {
        self.run(CommandBody::Noop).await.map(drop)
    }

    /// `IDLE` (RFC 2177): a stream of what changes in the selected mailbox, as the server
    /// tells it. `DONE` is written when the stream is dropped, without waiting for the
    /// next command (see [`Idle`]); IDLE is renewed every 29 minutes, before a server may
    /// log out an idle client.
    pub async fn idle(&mut self) -> Result<Idle<'_>, ImapError>
    where
        IO: Send,
    {
        idle::start(self).await
    }

    /// Runs any command and waits for its completion.
    pub async fn run(&mut self, body: CommandBody) -> Result<Completed, ImapError> {
        let tag = self.conn.session_mut().command(body)?;
        self.complete(&tag).await
    }

    /// `LOGOUT`, then waits for the server to close.
    pub async fn logout(mut self) -> Result<(), ImapError> {
        self.conn.session_mut().command(CommandBody::Logout)?;
        loop {
            match self.next().await {
                Ok(_) => {}
                Err(ImapError::Closed) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }

    /// What the server told about the selected mailbox without being asked, oldest
    /// first; the queue is emptied.
    pub fn take_updates(&mut self) -> Vec<Update> {
        self.unsolicited.drain(..).map(Update::from).collect()
    }

    /// As [`take_updates`](Self::take_updates), as the codec's data.
    pub fn take_unsolicited(&mut self) -> Vec<Data> {
        self.unsolicited.drain(..).collect()
    }

    /// The connection underneath, for what this API does not cover.
    pub fn connection_mut(&mut self) -> &mut Connection<Session, IO> {
        &mut self.conn
    }

    async fn complete(&mut self, wanted: &Tag) -> Result<Completed, ImapError> {
        loop {
            match self.next().await? {
                Event::Completed {
                    tag,
                    completion,
                    code,
                    text,
                    data,
                    statuses,
                    ..
                } if &tag == wanted => {
                    return match completion {
                        Completion::Ok => Ok(Completed {
                            code,
                            text,
                            data,
                            statuses,
                        }),
                        _ => Err(ImapError::Refused { completion, text }),
                    };
                }
                other => self.aside(other)?,
            }
        }
    }

    /// The session's next event, within the timeout.
    async fn next(&mut self) -> Result<Event, ImapError> {
        let event = match self.timeout {
            Some(limit) => tokio::time::timeout(limit, self.conn.next_event())
                .await
                .map_err(|_| ImapError::Timeout(limit))??,
            None => self.conn.next_event().await?,
        };
        event.ok_or(ImapError::Closed)
    }

    /// Keeps or drops an event nobody waits for; BYE ends the conversation.
    fn aside(&mut self, event: Event) -> Result<(), ImapError> {
        match event {
            Event::Unsolicited(data) => self.unsolicited.push_back(data),
            Event::Bye { text } => return Err(ImapError::Bye(text)),
            _ => {}
        }
        Ok(())
    }
}

fn mailbox_name(name: &str) -> Result<Mailbox, ImapError> {
    Mailbox::from_utf8(name).map_err(|_| ImapError::Invalid("mailbox name"))
}

fn list_pattern(pattern: &str) -> Result<ListMailbox, ImapError> {
    let encoded = mailwire_imap::types::utf7::encode(pattern);
    ListMailbox::new(encoded).map_err(|_| ImapError::Invalid("list pattern"))
}

fn expunged(data: &[Data]) -> Vec<u32> {
    data.iter()
        .filter_map(|d| match d {
            Data::Expunge(n) => Some(n.get()),
            _ => None,
        })
        .collect()
}

/// The numbers of a set without `*` (as APPENDUID gives them).
fn uids_in(set: &mailwire_imap::types::SequenceSet) -> Vec<u32> {
    use mailwire_imap::types::{SeqNumber, SeqRange};
    let value = |s: SeqNumber| match s {
        SeqNumber::Value(v) => Some(v.get()),
        SeqNumber::Largest => None,
    };
    let mut out = Vec::new();
    for r in set.ranges() {
        match *r {
            SeqRange::Single(s) => out.extend(value(s)),
            SeqRange::Range(a, b) => {
                if let (Some(a), Some(b)) = (value(a), value(b)) {
                    out.extend(a.min(b)..=a.max(b));
                }
            }
        }
    }
    out
}
