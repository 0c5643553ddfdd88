//! An async POP3 client: connect, log in, list, retrieve (streamed) and delete, through
//! [`mailwire_pop3::client::Session`].
//!
//! Fetching the messages not seen before, and leaving them on the server:
//!
//! ```no_run
//! use mailwire_pop3::{Password, UserName};
//! use mailwire_tokio::pop3::{Pop3Client, SeenIds};
//!
//! # async fn fetch() -> Result<(), Box<dyn std::error::Error>> {
//! let mut seen = SeenIds::parse(&std::fs::read_to_string("seen.txt").unwrap_or_default())?;
//! let mut pop3 = Pop3Client::connect("pop.example.org").await?;
//! pop3.login(UserName::new("ann")?, Password::new("secret")?).await?;
//! for new in pop3.new_messages(&seen).await? {
//!     // A unique-id may hold any printable character but the space, `/` too.
//!     let name = format!("{}.eml", new.unique_id.as_str().replace('/', "%2F"));
//!     let mut file = tokio::fs::File::create(name).await?;
//!     pop3.retr(new.message, &mut file).await?;
//!     seen.insert(new.unique_id);
//! }
//! pop3.quit().await?;
//! std::fs::write("seen.txt", seen.to_string())?;
//! # Ok(())
//! # }
//! ```
//!
//! `host` alone means port 995 and TLS from the start; `host:110` (or any other port) means
//! `STLS`, required; the certificate is checked against the webpki and platform roots (see
//! [`connect`](crate::connect)). The password goes only over TLS, unless
//! [`Config::plaintext_auth`] says otherwise; SCRAM-SHA-256 is used when the server offers
//! it, then SASL `PLAIN`, APOP and `USER` / `PASS`. A message is written to its
//! `AsyncWrite` piece by piece as it arrives: none is held whole.

mod seen;

use std::io;
use std::time::Duration;

use mailwire_pop3::client::{self, Event, LoginMethod, Session, StlsPolicy};
use mailwire_pop3::sasl::{ClientExchange, Mechanism};
use mailwire_pop3::{
    Capability, MessageNumber, Password, Response, ScanListing, UniqueId, UniqueIdListing, UserName,
};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::connect::{BadServer, Endpoint, Ports, Security};
use crate::{Connection, Error, MaybeTlsStream, Tls};

pub use seen::{SeenIds, SeenIdsError};

/// Why a POP3 exchange did not succeed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Pop3Error {
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
    /// `STLS` is required and no TLS settings were given.
    #[error("STLS is required and no TLS settings were given")]
    TlsUnavailable,
    /// The server answered `-ERR` (or refused the connection, or the credentials).
    #[error("the server refused: {0}")]
    Refused(Response),
    /// `QUIT` was answered `-ERR`: some messages marked for deletion were not deleted
    /// (RFC 1939 §6).
    #[error("the server did not delete every marked message: {0}")]
    NotDeleted(Response),
    /// The server did not answer within [`Config::timeout`]; the connection is closed
    /// and nothing marked was deleted.
    #[error("the server did not answer in time")]
    Timeout,
    /// The server broke the protocol, or could not prove itself in SASL.
    #[error("protocol error: {0}")]
    Protocol(&'static str),
    /// The session refused the call in its state, or no login method is both offered and
    /// allowed (a password over a connection without TLS, say).
    #[error(transparent)]
    Usage(#[from] client::Error),
    /// Writing a retrieved message failed. The rest of the message was read and dropped,
    /// so the connection can go on.
    #[error("cannot write the message: {0}")]
    Output(io::Error),
    /// The server closed the connection.
    #[error("the server closed the connection")]
    Closed,
}

/// How [`Pop3Client::connect_with`] reaches the server and logs in.
///
/// ```
/// use std::time::Duration;
/// use mailwire_tokio::connect::Security;
/// use mailwire_tokio::pop3::Config;
///
/// let mut config = Config::default();
/// config.timeout = Duration::from_secs(30);
/// assert_eq!(config.security, Security::Auto);
/// assert!(!config.plaintext_auth);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Implicit TLS, `STLS` or none; [`Security::Auto`] (the default) decides from the
    /// port: implicit TLS on 995 or without a port, `STLS` (required) on any other.
    pub security: Security,
    /// Send the password itself (`USER` / `PASS`, SASL `PLAIN`) over a connection without
    /// TLS. Off: without TLS only SCRAM-SHA-256 and APOP are used, and with neither
    /// offered, [`Pop3Client::login`] fails before sending anything.
    pub plaintext_auth: bool,
    /// Log in with APOP when the greeting offers it and no SASL mechanism serves: it keeps
    /// the password off the wire, but relies on MD5. On by default.
    pub allow_apop: bool,
    /// How long to wait for each answer of the server, and for each piece of a long one
    /// (a message being retrieved): 5 minutes. Past it a call fails with
    /// [`Pop3Error::Timeout`].
    pub timeout: Duration,
    /// How long the TCP connection and an implicit TLS handshake may take: 60 seconds.
    pub connect_timeout: Duration,
    /// TLS settings; `None` (the default) trusts the webpki and platform roots and checks the
    /// certificate against the host name of the server string.
    pub tls: Option<Tls>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            security: Security::Auto,
            plaintext_auth: false,
            allow_apop: true,
            timeout: Duration::from_secs(5 * 60),
            connect_timeout: Duration::from_secs(60),
            tls: None,
        }
    }
}

/// A message on the server that a [`SeenIds`] does not hold: what
/// [`Pop3Client::new_messages`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewMessage {
    /// Its number in this session.
    pub message: MessageNumber,
    /// Its unique-id, the same in every session.
    pub unique_id: UniqueId,
    /// Its size in octets, as `LIST` gives it (CRLF line ends).
    pub size: u64,
}

/// A connection to a POP3 server.
///
/// Against mailwire's own server over an in-memory pipe, with one message in the maildrop:
///
/// ```
/// # use std::sync::Arc;
/// # use mailwire_server::memory::Memory;
/// # use mailwire_server::store::NewMessage;
/// # use mailwire_server::{Accepted, MailStore, Mailboxes, Pop3Server, Security, Service, Throttle};
/// use mailwire_pop3::client::{Config, StlsPolicy};
/// use mailwire_pop3::{Password, UserName};
/// use mailwire_tokio::pop3::{Pop3Client, SeenIds};
/// use mailwire_tokio::{MaybeTlsStream, Tls};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let memory = Memory::new();
/// # memory.add_user("ann", "secret");
/// # let content = b"Subject: hi\r\n\r\n.a dot\r\n";
/// # let new = NewMessage { flags: vec![], internal_date: None, size: 21 };
/// # memory.open("ann").await?.append("INBOX", new, &mut &content[..]).await?;
/// # let mut server_config = mailwire_pop3::server::Config::default();
/// # server_config.plaintext_login = mailwire_pop3::server::PlaintextLogin::Allow;
/// # let (shared, throttle) = (Arc::new(memory), Arc::new(Throttle::new()));
/// # let server = Arc::new(Pop3Server::new(server_config, shared.clone(), shared, throttle));
/// # let (io, server_io) = tokio::io::duplex(4096);
/// # let peer = ([127, 0, 0, 1], 40000).into();
/// # let accepted = Accepted::new(MaybeTlsStream::Plain(server_io), peer, Security::Plain, Tls::None);
/// # tokio::spawn(server.serve(accepted));
/// let mut config = Config::default();
/// config.stls = StlsPolicy::Never;
/// config.plaintext_auth = true; // an in-memory pipe: nobody listens
/// let mut pop3 = Pop3Client::start(MaybeTlsStream::Plain(io), config, Tls::None).await?;
/// pop3.login(UserName::new("ann")?, Password::new("secret")?).await?;
/// let mut seen = SeenIds::new();
/// for new in pop3.new_messages(&seen).await? {
///     let mut message = Vec::new();
///     pop3.retr(new.message, &mut message).await?;
///     assert_eq!(message, b"Subject: hi\r\n\r\n.a dot\r\n");
///     seen.insert(new.unique_id);
/// }
/// assert!(pop3.new_messages(&seen).await?.is_empty());
/// pop3.quit().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Pop3Client<IO> {
    conn: Connection<Session, IO>,
    capabilities: Vec<Capability>,
}

impl Pop3Client<TcpStream> {
    /// Connects to `server` (`host`, `host:port` or `[v6]:port`) with the default
    /// [`Config`]: implicit TLS on port 995 (also when no port is given), `STLS` required
    /// on any other, the certificate checked against the webpki and platform roots.
    pub async fn connect(server: &str) -> Result<Self, Pop3Error> {
        Self::connect_with(server, Config::default()).await
    }

    /// Connects to `server` as `config` says, and returns once the client can
    /// [`login`](Pop3Client::login) (greeting, `CAPA` and `STLS` done).
    pub async fn connect_with(server: &str, config: Config) -> Result<Self, Pop3Error> {
        let endpoint = Endpoint::parse(server, Ports::POP3, config.security)?;
        let tls = match config.tls {
            Some(tls) if endpoint.security != Security::Plaintext => tls,
            _ => endpoint.default_tls().map_err(Pop3Error::Tls)?,
        };
        let stream = endpoint
            .open(&tls, config.connect_timeout)
            .await
            .map_err(Pop3Error::Connect)?;
        let mut session = client::Config::default();
        session.implicit_tls = endpoint.security == Security::ImplicitTls;
        session.stls = match endpoint.security {
            Security::StartTls => StlsPolicy::Required,
            _ => StlsPolicy::Never,
        };
        session.plaintext_auth = config.plaintext_auth;
        session.allow_apop = config.allow_apop;
        session.timeout = config.timeout;
        Self::start(stream, session, tls).await
    }
}

impl<IO> Pop3Client<IO>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    /// Reads the greeting and capabilities (and upgrades with `STLS` as `config` says) over
    /// `stream`, and returns once the client can log in.
    ///
    /// With [`Tls::None`], an opportunistic `STLS` policy becomes "never" and a required
    /// one (the default) fails at once; a stream that is already TLS counts as implicit TLS.
    pub async fn start(
        stream: MaybeTlsStream<IO>,
        mut config: client::Config,
        tls: Tls,
    ) -> Result<Self, Pop3Error> {
        config.implicit_tls |= stream.is_tls();
        if !tls.is_available() && !config.implicit_tls {
            match config.stls {
                StlsPolicy::Required => return Err(Pop3Error::TlsUnavailable),
                _ => config.stls = StlsPolicy::Never,
            }
        }
        let mut client = Self {
            conn: Connection::new(stream, Session::new(config), tls),
            capabilities: Vec::new(),
        };
        loop {
            match client.next().await? {
                Event::Ready { capabilities, .. } => {
                    client.capabilities = capabilities;
                    return Ok(client);
                }
                other => client.unexpected(other)?,
            }
        }
    }

    /// The server's capabilities; empty if it does not know `CAPA`.
    pub fn capabilities(&self) -> &[Capability] {
        &self.capabilities
    }

    /// Whether the connection is encrypted.
    pub fn is_tls(&self) -> bool {
        self.conn.session().is_tls()
    }

    /// Logs in and opens the maildrop, with the strongest method both sides allow:
    /// SCRAM-SHA-256 when the server offers it, then SASL `PLAIN`, APOP, `USER` / `PASS`
    /// (the password itself only over TLS unless [`Config::plaintext_auth`]).
    ///
    /// A refusal ([`Pop3Error::Refused`]) leaves the client able to try again.
    pub async fn login(
        &mut self,
        user: UserName,
        password: Password,
    ) -> Result<LoginMethod, Pop3Error> {
        if self.offers(Mechanism::ScramSha256) {
            let nonce = crate::connect::random_bytes::<18>().map_err(Pop3Error::Tls)?;
            let nonce = crate::connect::hex(&nonce);
            if let Ok(exchange) =
                ClientExchange::scram_sha256(None, user.as_str(), password.secret(), &nonce)
            {
                match self.authenticate(exchange).await {
                    // Refused without `[AUTH]` (RFC 3206): not the credentials but the
                    // mechanism (an account without SCRAM keys, say); the next method may do.
                    Err(Pop3Error::Refused(response)) if response.code().is_none() => {}
                    other => return other,
                }
            }
        }
        self.conn.session_mut().login(user, password)?;
        self.logged_in().await
    }

    /// Logs in with a SASL exchange built by the application (OAUTHBEARER, XOAUTH2,
    /// SCRAM-SHA-256 with an authorization identity …), which the server must offer.
    pub async fn authenticate(
        &mut self,
        exchange: ClientExchange,
    ) -> Result<LoginMethod, Pop3Error> {
        self.conn.session_mut().authenticate(exchange)?;
        self.logged_in().await
    }

    async fn logged_in(&mut self) -> Result<LoginMethod, Pop3Error> {
        loop {
            match self.next().await? {
                Event::LoggedIn { method } => return Ok(method),
                Event::LoginFailed { response } => return Err(Pop3Error::Refused(response)),
                other => self.unexpected(other)?,
            }
        }
    }

    /// `STAT`: the number of messages and their total size in octets.
    pub async fn stat(&mut self) -> Result<(u32, u64), Pop3Error> {
        self.conn.session_mut().stat()?;
        loop {
            match self.next().await? {
                Event::Stat { count, size } => return Ok((count, size)),
                other => self.unexpected(other)?,
            }
        }
    }

    /// `LIST`: every message's number and size.
    pub async fn list(&mut self) -> Result<Vec<ScanListing>, Pop3Error> {
        self.conn.session_mut().list(None)?;
        self.scan_listings().await
    }

    /// `LIST msg`: one message's size.
    pub async fn list_one(&mut self, message: MessageNumber) -> Result<u64, Pop3Error> {
        self.conn.session_mut().list(Some(message))?;
        let listings = self.scan_listings().await?;
        match listings.as_slice() {
            [one] if one.message == message => Ok(one.size),
            _ => Err(Pop3Error::Protocol("LIST answered for another message")),
        }
    }

    async fn scan_listings(&mut self) -> Result<Vec<ScanListing>, Pop3Error> {
        loop {
            match self.next().await? {
                Event::ScanListings { listings } => return Ok(listings),
                other => self.unexpected(other)?,
            }
        }
    }

    /// `UIDL`: every message's number and unique-id.
    pub async fn uidl(&mut self) -> Result<Vec<UniqueIdListing>, Pop3Error> {
        self.conn.session_mut().uidl(None)?;
        self.unique_id_listings().await
    }

    /// `UIDL msg`: one message's unique-id.
    pub async fn uidl_one(&mut self, message: MessageNumber) -> Result<UniqueId, Pop3Error> {
        self.conn.session_mut().uidl(Some(message))?;
        let mut listings = self.unique_id_listings().await?;
        match listings.pop() {
            Some(one) if one.message == message && listings.is_empty() => Ok(one.unique_id),
            _ => Err(Pop3Error::Protocol("UIDL answered for another message")),
        }
    }

    async fn unique_id_listings(&mut self) -> Result<Vec<UniqueIdListing>, Pop3Error> {
        loop {
            match self.next().await? {
                Event::UniqueIdListings { listings } => return Ok(listings),
                other => self.unexpected(other)?,
            }
        }
    }

    /// The messages whose unique-id `seen` does not hold, in maildrop order, with their
    /// sizes (`UIDL` then `LIST`): "keep on the server, fetch only what is new".
    ///
    /// Retrieve each with [`retr`](Self::retr) and add its id to `seen` once it is safely
    /// stored; [`SeenIds::retain_listed`] then forgets the ids the server no longer has.
    pub async fn new_messages(&mut self, seen: &SeenIds) -> Result<Vec<NewMessage>, Pop3Error> {
        let ids = self.uidl().await?;
        let sizes = self.list().await?;
        Ok(seen.new_messages(&ids, &sizes))
    }

    /// `RETR`: writes the message, unstuffed, to `out` piece by piece as it arrives, and
    /// returns its size. Nothing else is added or taken out: the bytes are the server's,
    /// CRLF line ends included.
    ///
    /// If writing to `out` fails, the rest of the message is read and dropped before
    /// [`Pop3Error::Output`] is returned, so the connection stays usable. Dropping the
    /// future before it completes leaves the connection out of step: drop the client too.
    pub async fn retr(
        &mut self,
        message: MessageNumber,
        out: impl AsyncWrite + Unpin,
    ) -> Result<u64, Pop3Error> {
        self.conn.session_mut().retr(message)?;
        self.body(out).await
    }

    /// `TOP`: writes the header and the first `lines` lines of the body to `out`, as
    /// [`retr`](Self::retr) does, and returns the number of octets written.
    pub async fn top(
        &mut self,
        message: MessageNumber,
        lines: u32,
        out: impl AsyncWrite + Unpin,
    ) -> Result<u64, Pop3Error> {
        self.conn.session_mut().top(message, lines)?;
        self.body(out).await
    }

    async fn body(&mut self, mut out: impl AsyncWrite + Unpin) -> Result<u64, Pop3Error> {
        let mut size = 0u64;
        let mut failed = None;
        loop {
            match self.next().await? {
                Event::BodyChunk { data, .. } => {
                    if failed.is_none() {
                        match out.write_all(&data).await {
                            Ok(()) => size += data.len() as u64,
                            Err(e) => failed = Some(e),
                        }
                    }
                }
                Event::BodyEnd { .. } => {
                    if failed.is_none()
                        && let Err(e) = out.flush().await
                    {
                        failed = Some(e);
                    }
                    return match failed {
                        Some(e) => Err(Pop3Error::Output(e)),
                        None => Ok(size),
                    };
                }
                other => self.unexpected(other)?,
            }
        }
    }

    /// `DELE`: marks a message for deletion when the session ends with [`quit`](Self::quit).
    pub async fn dele(&mut self, message: MessageNumber) -> Result<(), Pop3Error> {
        self.conn.session_mut().dele(message)?;
        self.completed().await
    }

    /// `RSET`: unmarks every message marked for deletion.
    pub async fn rset(&mut self) -> Result<(), Pop3Error> {
        self.conn.session_mut().rset()?;
        self.completed().await
    }

    /// `NOOP`: checks that the server is still there.
    pub async fn noop(&mut self) -> Result<(), Pop3Error> {
        self.conn.session_mut().noop()?;
        self.completed().await
    }

    async fn completed(&mut self) -> Result<(), Pop3Error> {
        loop {
            match self.next().await? {
                Event::Completed { .. } => return Ok(()),
                other => self.unexpected(other)?,
            }
        }
    }

    /// `QUIT`: the server enters the UPDATE state, deletes the marked messages and closes.
    /// Fails with [`Pop3Error::NotDeleted`] if it could not delete them all.
    pub async fn quit(mut self) -> Result<(), Pop3Error> {
        self.conn.session_mut().quit()?;
        let mut last = None;
        while let Some(event) = self.conn.next_event().await? {
            match event {
                Event::Closed { response } => last = Some(response),
                Event::TimedOut => return Err(Pop3Error::Timeout),
                _ => {}
            }
        }
        match last {
            Some(response) if !response.is_ok() => Err(Pop3Error::NotDeleted(response)),
            Some(_) => Ok(()),
            None => Err(Pop3Error::Closed),
        }
    }

    /// The connection underneath, for what this API does not cover.
    pub fn connection_mut(&mut self) -> &mut Connection<Session, IO> {
        &mut self.conn
    }

    fn offers(&self, mechanism: Mechanism) -> bool {
        self.capabilities.iter().any(|c| match c {
            Capability::Sasl { mechanisms } => {
                mechanisms.iter().any(|m| m.as_str() == mechanism.as_str())
            }
            _ => false,
        })
    }

    async fn next(&mut self) -> Result<Event, Pop3Error> {
        self.conn.next_event().await?.ok_or(Pop3Error::Closed)
    }

    /// Turns an event the caller was not waiting for into an error, or lets it pass.
    fn unexpected(&self, event: Event) -> Result<(), Pop3Error> {
        match event {
            Event::Failed { response, .. }
            | Event::Closed { response }
            | Event::LoginFailed { response } => Err(Pop3Error::Refused(response)),
            Event::TimedOut => Err(Pop3Error::Timeout),
            Event::ProtocolError { reason } => Err(Pop3Error::Protocol(reason)),
            Event::ServerNotVerified { .. } => Err(Pop3Error::Protocol(
                "the server did not prove it knows the password",
            )),
            _ => Ok(()),
        }
    }
}
