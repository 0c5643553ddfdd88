//! An async SMTP client: connect, say EHLO, upgrade and authenticate as configured, send
//! messages, quit — all decided by [`mailwire_smtp::client::Session`].
//!
//! Sending a message with an attachment over STARTTLS with AUTH:
//!
//! ```
//! use mailwire_mime::{Mailbox, MessageBuilder};
//! use mailwire_smtp::client::Credentials;
//! use mailwire_tokio::smtp::{Config, SmtpClient};
//!
//! # include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/doc_support/server.rs"));
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let server = doc_server(&[]).await;
//! # let smtp_server = server.smtp.as_str();
//! let report = b"%PDF-1.7 ...".to_vec(); // or std::fs::read("report.pdf")?
//! let message = MessageBuilder::new()
//!     .from(Mailbox::new(Some("Ann"), "ann@example.org"))
//!     .to(Mailbox::new(None, "fred@example.org"))
//!     .subject("The report")
//!     .text("Here it is.\n")
//!     .attachment("application/pdf", "report.pdf", report);
//! let mut config = Config::default();
//! config.credentials = Some(Credentials::new("fred", "secret"));
//! // smtp_server: "smtp.example.org:587", or any "host:port" but 465 for STARTTLS
//! let mut smtp = SmtpClient::connect_with(smtp_server, config).await?;
//! for result in smtp.send(message).await? {
//!     println!("{result}");
//! #   assert!(result.is_delivered());
//! }
//! smtp.quit().await?;
//! # let inbox = server.mailbox("INBOX").await;
//! # assert!(String::from_utf8_lossy(&inbox[0]).contains("filename=report.pdf"));
//! # Ok(())
//! # }
//! ```
//!
//! The envelope comes from the header (`Sender` or `From`; `To`, `Cc`, `Bcc`), `Bcc` is
//! not sent, and `Date` and `Message-ID` are added when absent. Port 587 means STARTTLS,
//! required; the certificate is checked against the webpki and platform roots; the password goes only
//! over TLS. [`SmtpPool`] keeps connections open for many messages.
//!
//! The same client speaks LMTP (RFC 2033) to a local delivery agent such as Dovecot's
//! `lmtp`, over TCP or a Unix socket, with one result per recipient:
//!
//! ```no_run
//! use mailwire_tokio::smtp::{Config, SmtpClient};
//!
//! # async fn send(envelope: mailwire_smtp::client::Envelope) -> Result<(), Box<dyn std::error::Error>> {
//! let mut lmtp = SmtpClient::connect_unix("/run/dovecot/lmtp", Config::lmtp()).await?;
//! for result in lmtp.send_raw(envelope, &b"Subject: hi\r\n\r\nhello\r\n"[..]).await? {
//!     println!("{} {}", result.recipient, result.reply);
//! }
//! lmtp.quit().await?;
//! # Ok(())
//! # }
//! ```

mod outgoing;
mod pool;

use std::io;
use std::time::Duration;

use mailwire_smtp::client::{
    self, Credentials, Envelope, Event, Failure, MessageFailure, RecipientResult, Session,
    Timeouts, TlsPolicy,
};
use mailwire_smtp::{EhloResponse, Host};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::net::TcpStream;

use crate::connect::{BadServer, Endpoint, Ports, Security};
use crate::{Connection, Error, MaybeTlsStream, Tls};

pub use outgoing::{MessageError, Outgoing};
pub use pool::SmtpPool;

/// How much of a message body is read and handed to the session at a time.
const BODY_CHUNK: usize = 64 * 1024;

/// Why an SMTP exchange did not succeed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SmtpError {
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
    /// TLS is required and no TLS settings were given.
    #[error("TLS is required and no TLS settings were given")]
    TlsUnavailable,
    /// The connection cannot be used for mail.
    #[error("SMTP session failed: {0}")]
    Failed(Failure),
    /// The message was not sent; the connection can take the next one.
    #[error("message not sent: {0}")]
    Message(MessageFailure),
    /// The message cannot be sent as given (no sender, no recipient …); nothing was sent
    /// and the connection can take the next one.
    #[error("cannot send this message: {0}")]
    Invalid(#[from] MessageError),
    /// The session refused the call (see [`client::Error`]).
    #[error(transparent)]
    Usage(#[from] client::Error),
    /// Reading the message to send failed; the connection is no longer usable.
    #[error("cannot read the message: {0}")]
    Body(io::Error),
    /// The server closed the connection.
    #[error("the server closed the connection")]
    Closed,
}

impl SmtpError {
    /// Whether the connection can still take a message after this error: the message was
    /// refused or invalid, but the conversation is intact.
    pub fn connection_usable(&self) -> bool {
        matches!(self, Self::Message(_) | Self::Invalid(_))
    }
}

/// How [`SmtpClient::connect_with`] and [`SmtpPool`] reach the server.
///
/// ```
/// use std::time::Duration;
/// use mailwire_smtp::client::Credentials;
/// use mailwire_tokio::connect::Security;
/// use mailwire_tokio::smtp::Config;
///
/// let mut config = Config::default();
/// config.credentials = Some(Credentials::new("ann", "secret"));
/// config.timeouts.command = Duration::from_secs(30);
/// assert_eq!(config.security, Security::Auto);
/// assert!(!config.plaintext_auth);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Implicit TLS, STARTTLS or none; [`Security::Auto`] (the default) decides from the
    /// port: implicit TLS on 465 or without a port, STARTTLS (required) on any other.
    pub security: Security,
    /// Authenticate with these after EHLO (and after TLS).
    pub credentials: Option<Credentials>,
    /// Send the password or token itself (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER) over an
    /// unencrypted connection. Off: without TLS only mechanisms that do not reveal the
    /// secret are used, and with none offered, connecting fails.
    pub plaintext_auth: bool,
    /// The name to give in EHLO; `None` (the default) gives the address literal of this
    /// end of the connection, as RFC 5321 §4.1.4 asks of a client without a name.
    pub hostname: Option<Host>,
    /// How long to wait for the server at each step (RFC 5321 §4.5.3.2 by default).
    pub timeouts: Timeouts,
    /// How long the TCP connection and an implicit TLS handshake may take: 60 seconds.
    pub connect_timeout: Duration,
    /// TLS settings; `None` (the default) trusts the webpki and platform roots and checks the
    /// certificate against the host name of the server string.
    pub tls: Option<Tls>,
    /// Speak LMTP (RFC 2033) instead of SMTP: LHLO, and after the data one reply per
    /// accepted recipient. Off by default; [`Config::lmtp`] sets it.
    pub lmtp: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            security: Security::Auto,
            credentials: None,
            plaintext_auth: false,
            hostname: None,
            timeouts: Timeouts::default(),
            connect_timeout: Duration::from_secs(60),
            tls: None,
            lmtp: false,
        }
    }
}

impl Config {
    /// For an LMTP server on the same machine or a trusted network: LMTP, no TLS, no
    /// AUTH (a delivery agent such as Dovecot's `lmtp` offers neither by default).
    ///
    /// ```
    /// use mailwire_tokio::connect::Security;
    /// use mailwire_tokio::smtp::Config;
    ///
    /// let config = Config::lmtp();
    /// assert!(config.lmtp);
    /// assert_eq!(config.security, Security::Plaintext);
    /// ```
    pub fn lmtp() -> Self {
        Self {
            security: Security::Plaintext,
            lmtp: true,
            ..Self::default()
        }
    }

    /// The session's configuration for a connection whose own name is `hostname` (unless
    /// the configuration names one), secured as `security` says.
    fn session(self, hostname: Host, security: Security) -> Result<client::Config, SmtpError> {
        let mut session = client::Config::new(self.hostname.unwrap_or(hostname));
        session.lmtp = self.lmtp;
        session.tls = match security {
            Security::StartTls => TlsPolicy::Required,
            _ => TlsPolicy::Never,
        };
        session.implicit_tls = security == Security::ImplicitTls;
        session.credentials = self.credentials;
        session.plaintext_auth = self.plaintext_auth;
        session.timeouts = self.timeouts;
        if session.credentials.is_some() {
            let nonce = crate::connect::random_bytes::<18>().map_err(SmtpError::Tls)?;
            session.scram_nonce = Some(crate::connect::hex(&nonce));
        }
        Ok(session)
    }
}

/// A connection to an SMTP (or LMTP) server, ready for messages.
#[derive(Debug)]
pub struct SmtpClient<IO> {
    conn: Connection<Session, IO>,
    capabilities: Option<EhloResponse>,
}

impl SmtpClient<TcpStream> {
    /// Connects to `server` (`host`, `host:port` or `[v6]:port`) with the default
    /// [`Config`]: implicit TLS on port 465 (also when no port is given), STARTTLS
    /// required on any other, the certificate checked against the webpki and platform roots, no AUTH.
    pub async fn connect(server: &str) -> Result<Self, SmtpError> {
        Self::connect_with(server, Config::default()).await
    }

    /// Connects to `server` as `config` says, and returns once messages can be sent
    /// (greeting, EHLO, STARTTLS and AUTH done).
    pub async fn connect_with(server: &str, config: Config) -> Result<Self, SmtpError> {
        let endpoint = Endpoint::parse(server, Ports::SMTP, config.security)?;
        let tls = match config.tls.clone() {
            Some(tls) if endpoint.security != Security::Plaintext => tls,
            _ => endpoint.default_tls().map_err(SmtpError::Tls)?,
        };
        let stream = endpoint
            .open(&tls, config.connect_timeout)
            .await
            .map_err(SmtpError::Connect)?;
        let hostname = address_literal(stream.get_ref());
        let session = config.session(hostname, endpoint.security)?;
        Self::start(stream, session, tls).await
    }
}

#[cfg(unix)]
impl SmtpClient<tokio::net::UnixStream> {
    /// Connects to the server listening on the Unix socket at `path` (an LMTP delivery
    /// agent, usually: give [`Config::lmtp`]), and returns once messages can be sent.
    ///
    /// The socket is local, so there is no TLS: [`Config::security`] and [`Config::tls`]
    /// are not used, and STARTTLS is never asked for. Without [`Config::hostname`] the
    /// client calls itself `localhost`.
    pub async fn connect_unix(
        path: impl AsRef<std::path::Path>,
        config: Config,
    ) -> Result<Self, SmtpError> {
        let connect = tokio::net::UnixStream::connect(path.as_ref());
        let stream = tokio::time::timeout(config.connect_timeout, connect)
            .await
            .map_err(|_| {
                SmtpError::Connect(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "connecting timed out",
                ))
            })?
            .map_err(SmtpError::Connect)?;
        let localhost = Host::parse("localhost").expect("a valid host name");
        let session = config.session(localhost, Security::Plaintext)?;
        Self::start(MaybeTlsStream::Plain(stream), session, Tls::None).await
    }
}

/// `[192.0.2.1]` or `[IPv6:2001:db8::1]`, from the local end of `stream`; `[127.0.0.1]`
/// if the system cannot tell.
fn address_literal(stream: &TcpStream) -> Host {
    let literal = match stream.local_addr().map(|a| a.ip()) {
        Ok(std::net::IpAddr::V6(ip)) => match ip.to_ipv4_mapped() {
            Some(v4) => format!("[{v4}]"),
            None => format!("[IPv6:{ip}]"),
        },
        Ok(std::net::IpAddr::V4(ip)) => format!("[{ip}]"),
        Err(_) => "[127.0.0.1]".to_owned(),
    };
    Host::parse(&literal).unwrap_or_else(|_| Host::parse("[127.0.0.1]").expect("a valid literal"))
}

impl<IO> SmtpClient<IO>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    /// Runs the start of the conversation over `stream` (greeting, EHLO, STARTTLS and AUTH
    /// as `config` says) and returns once messages can be sent.
    ///
    /// With [`Tls::None`], an opportunistic STARTTLS policy becomes "never" and a required
    /// one fails at once; a stream that is already TLS counts as implicit TLS.
    pub async fn start(
        stream: MaybeTlsStream<IO>,
        mut config: client::Config,
        tls: Tls,
    ) -> Result<Self, SmtpError> {
        config.implicit_tls |= stream.is_tls();
        if !tls.is_available() && !config.implicit_tls {
            match config.tls {
                TlsPolicy::Required => return Err(SmtpError::TlsUnavailable),
                _ => config.tls = TlsPolicy::Never,
            }
        }
        let mut conn = Connection::new(stream, Session::new(config), tls);
        loop {
            match conn.next_event().await? {
                Some(Event::Ready { capabilities }) => {
                    return Ok(Self { conn, capabilities });
                }
                Some(Event::Failed { reason }) => {
                    wind_down(&mut conn).await;
                    return Err(SmtpError::Failed(reason));
                }
                Some(_) => {}
                None => return Err(SmtpError::Closed),
            }
        }
    }

    /// What the server offered in its EHLO reply; `None` if it only knew HELO.
    pub fn capabilities(&self) -> Option<&EhloResponse> {
        self.capabilities.as_ref()
    }

    /// Whether the connection is encrypted.
    pub fn is_tls(&self) -> bool {
        self.conn.session().is_tls()
    }

    /// Sends one message with the envelope taken from its header, and returns the outcome
    /// for each recipient, in the order `To`, `Cc`, `Bcc` name them (each address once).
    ///
    /// The reverse path is `Sender`, or else the first `From` mailbox. `Bcc` fields are
    /// not sent; a header without `Date` or `Message-ID` gets one (the time now in UTC, and
    /// a random identifier at the sender's domain). The message is otherwise sent as it is:
    /// its lines should end in CRLF.
    ///
    /// A refused message ([`SmtpError::Message`]) or one that cannot be sent as given
    /// ([`SmtpError::Invalid`]) leaves the connection ready for the next.
    pub async fn send<'a>(
        &mut self,
        message: impl Into<Outgoing<'a>>,
    ) -> Result<Vec<RecipientResult>, SmtpError> {
        let prepared = message.into().prepare()?;
        self.send_raw(prepared.envelope, &prepared.bytes[..]).await
    }

    /// Sends one message exactly as read from `message` (lines ending in CRLF, as it should
    /// arrive), with the envelope given, and returns the outcome for each recipient of
    /// `envelope`, in order. Nothing is added or taken out.
    ///
    /// The body streams through in pieces of 64 KiB, each written before the next is read.
    pub async fn send_raw(
        &mut self,
        envelope: Envelope,
        mut message: impl AsyncRead + Unpin,
    ) -> Result<Vec<RecipientResult>, SmtpError> {
        self.conn.session_mut().send_mail(envelope)?;
        loop {
            match self.conn.next_event().await? {
                Some(Event::SendBody) => {
                    let mut chunk = vec![0; BODY_CHUNK];
                    loop {
                        let n = message.read(&mut chunk).await.map_err(SmtpError::Body)?;
                        if n == 0 {
                            break;
                        }
                        self.conn.session_mut().write_body(&chunk[..n])?;
                        self.conn.flush().await?;
                    }
                    self.conn.session_mut().finish_body()?;
                }
                Some(Event::MessageDone { results }) => return Ok(results),
                Some(Event::MessageFailed { reason }) => return Err(SmtpError::Message(reason)),
                Some(Event::Failed { reason }) => {
                    wind_down(&mut self.conn).await;
                    return Err(SmtpError::Failed(reason));
                }
                Some(_) => {}
                None => return Err(SmtpError::Closed),
            }
        }
    }

    /// Says RSET and waits for the answer: the server forgets any transaction, and the
    /// connection is known to work (a pool checks this before reusing one).
    pub async fn reset(&mut self) -> Result<(), SmtpError> {
        self.conn.session_mut().reset()?;
        loop {
            match self.conn.next_event().await? {
                Some(Event::Reset) => return Ok(()),
                Some(Event::Failed { reason }) => {
                    wind_down(&mut self.conn).await;
                    return Err(SmtpError::Failed(reason));
                }
                Some(_) => {}
                None => return Err(SmtpError::Closed),
            }
        }
    }

    /// Says QUIT and waits for the server to close.
    pub async fn quit(mut self) -> Result<(), SmtpError> {
        self.conn.session_mut().quit();
        while self.conn.next_event().await?.is_some() {}
        Ok(())
    }

    /// The connection underneath, for what this API does not cover.
    pub fn connection_mut(&mut self) -> &mut Connection<Session, IO> {
        &mut self.conn
    }
}

/// Lets a session that gave up send its QUIT and close, so the server sees a clean end.
async fn wind_down<IO>(conn: &mut Connection<Session, IO>)
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    // The connection is being abandoned: a failure here changes nothing for the caller.
    while let Ok(Some(_)) = conn.next_event().await {}
}
