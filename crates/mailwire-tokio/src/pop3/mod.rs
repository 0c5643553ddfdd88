//! An async POP3 client: log in, list, retrieve and delete, through
//! [`mailwire_pop3::client::Session`].

use std::io;

use mailwire_pop3::client::{self, Config, Event, LoginMethod, Session, StlsPolicy};
use mailwire_pop3::{
    Capability, MessageNumber, Password, Response, ScanListing, UniqueIdListing, UserName,
};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, ToSocketAddrs};

use crate::{Connection, Error, MaybeTlsStream, Tls};

/// Why a POP3 exchange did not succeed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Pop3Error {
    /// The connection failed underneath the session.
    #[error(transparent)]
    Connection(#[from] Error),
    /// The TCP connection or the implicit TLS handshake could not be set up.
    #[error("cannot connect: {0}")]
    Connect(io::Error),
    /// `STLS` is required and no TLS settings were given.
    #[error("STLS is required and no TLS settings were given")]
    TlsUnavailable,
    /// The server answered `-ERR` (or refused the connection, or the credentials).
    #[error("the server refused: {0}")]
    Refused(Response),
    /// The server broke the protocol, or could not prove itself in SASL.
    #[error("protocol error: {0}")]
    Protocol(&'static str),
    /// The session refused the call in its state.
    #[error(transparent)]
    Usage(#[from] client::Error),
    /// Writing a retrieved message failed.
    #[error("cannot write the message: {0}")]
    Output(io::Error),
    /// The server closed the connection.
    #[error("the server closed the connection")]
    Closed,
}

/// A connection to a POP3 server.
///
/// ```no_run
/// use mailwire_pop3::client::{Config, StlsPolicy};
/// use mailwire_pop3::{Password, UserName};
/// use mailwire_tokio::Tls;
/// use mailwire_tokio::pop3::Pop3Client;
///
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// // Plaintext, on loopback only: the password crosses the connection in clear.
/// let mut config = Config::default();
/// config.stls = StlsPolicy::Never;
/// config.plaintext_auth = true;
/// let mut pop3 = Pop3Client::connect("127.0.0.1:1110", config, Tls::None, false).await?;
/// pop3.login(UserName::new("user")?, Password::new("password")?).await?;
/// for listing in pop3.list().await? {
///     let mut message = Vec::new();
///     pop3.retr(listing.message, &mut message).await?;
/// }
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
    /// Connects over TCP; with `implicit_tls` the connection is TLS from the start (port
    /// 995), otherwise `STLS` is used as `config.stls` says.
    pub async fn connect(
        addr: impl ToSocketAddrs,
        config: Config,
        tls: Tls,
        implicit_tls: bool,
    ) -> Result<Self, Pop3Error> {
        if implicit_tls && !tls.is_available() {
            return Err(Pop3Error::TlsUnavailable);
        }
        let stream = MaybeTlsStream::connect(addr, &tls, implicit_tls)
            .await
            .map_err(Pop3Error::Connect)?;
        Self::start(stream, config, tls).await
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
        mut config: Config,
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

    /// Logs in with the strongest method both sides allow, and opens the maildrop.
    pub async fn login(
        &mut self,
        user: UserName,
        password: Password,
    ) -> Result<LoginMethod, Pop3Error> {
        self.conn.session_mut().login(user, password)?;
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
        loop {
            match self.next().await? {
                Event::ScanListings { listings } => return Ok(listings),
                other => self.unexpected(other)?,
            }
        }
    }

    /// `UIDL`: every message's number and unique id.
    pub async fn uidl(&mut self) -> Result<Vec<UniqueIdListing>, Pop3Error> {
        self.conn.session_mut().uidl(None)?;
        loop {
            match self.next().await? {
                Event::UniqueIdListings { listings } => return Ok(listings),
                other => self.unexpected(other)?,
            }
        }
    }

    /// `RETR`: writes the message, unstuffed, to `out` as it arrives; returns its size.
    pub async fn retr(
        &mut self,
        message: MessageNumber,
        mut out: impl AsyncWrite + Unpin,
    ) -> Result<u64, Pop3Error> {
        self.conn.session_mut().retr(message)?;
        let mut size = 0u64;
        loop {
            match self.next().await? {
                Event::BodyChunk { data, .. } => {
                    out.write_all(&data).await.map_err(Pop3Error::Output)?;
                    size += data.len() as u64;
                }
                Event::BodyEnd { .. } => {
                    out.flush().await.map_err(Pop3Error::Output)?;
                    return Ok(size);
                }
                other => self.unexpected(other)?,
            }
        }
    }

    /// `DELE`: marks a message for deletion when the session ends with [`quit`](Self::quit).
    pub async fn dele(&mut self, message: MessageNumber) -> Result<(), Pop3Error> {
        self.conn.session_mut().dele(message)?;
        loop {
            match self.next().await? {
                Event::Completed { .. } => return Ok(()),
                other => self.unexpected(other)?,
            }
        }
    }

    /// `QUIT`: deletes the marked messages and closes. Fails with the server's answer if
    /// some could not be deleted.
    pub async fn quit(mut self) -> Result<(), Pop3Error> {
        self.conn.session_mut().quit()?;
        let mut last = None;
        while let Some(event) = self.conn.next_event().await? {
            if let Event::Closed { response } = event {
                last = Some(response);
            }
        }
        match last {
            Some(response) if !response.is_ok() => Err(Pop3Error::Refused(response)),
            Some(_) => Ok(()),
            None => Err(Pop3Error::Closed),
        }
    }

    /// The connection underneath, for what this API does not cover.
    pub fn connection_mut(&mut self) -> &mut Connection<Session, IO> {
        &mut self.conn
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
            Event::ProtocolError { reason } => Err(Pop3Error::Protocol(reason)),
            Event::ServerNotVerified { .. } => Err(Pop3Error::Protocol(
                "the server did not prove it knows the password",
            )),
            _ => Ok(()),
        }
    }
}
