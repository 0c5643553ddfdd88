//! What a listener hands a protocol server, and what every protocol server offers a
//! listener.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use mailwire_tokio::{MaybeTlsStream, Tls};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::ShutdownSignal;

/// How a listener secures its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Security {
    /// Plaintext, with no TLS offered.
    Plain,
    /// Plaintext, with STARTTLS / STLS offered (ports 25, 587, 110, 143).
    StartTls,
    /// TLS from the first byte (ports 465, 993, 995).
    Implicit,
}

/// One accepted connection, handed to a [`Service`]: a TCP stream from a listener, or any
/// other byte stream (an in-memory pipe in tests and fuzzing).
#[derive(Debug)]
#[non_exhaustive]
pub struct Accepted<IO = TcpStream> {
    /// The stream; already under TLS for [`Security::Implicit`].
    pub stream: MaybeTlsStream<IO>,
    /// The client's address.
    pub peer: SocketAddr,
    /// How the listener secures connections.
    pub security: Security,
    /// The TLS settings for a STARTTLS / STLS upgrade ([`Tls::None`] when there is none).
    pub tls: Tls,
    /// Completes when the server is asked to shut down: the service then says goodbye in
    /// its protocol as soon as no command is under way.
    pub shutdown: ShutdownSignal,
}

impl<IO> Accepted<IO> {
    /// A connection for a [`Service`] served outside any listener (a test, an embedding
    /// that accepts its own sockets, a fuzzer's in-memory pipe).
    pub fn new(stream: MaybeTlsStream<IO>, peer: SocketAddr, security: Security, tls: Tls) -> Self {
        Self {
            stream,
            peer,
            security,
            tls,
            shutdown: ShutdownSignal::never(),
        }
    }
}

/// A protocol server: serves one connection at a time per call, any number at once.
pub trait Service: Send + Sync + 'static {
    /// The protocol's name for logs: `smtp`, `lmtp`, `pop3` or `imap`.
    fn protocol(&self) -> &'static str;

    /// What a connection refused for a connection limit is told before it is closed
    /// (`421` for SMTP, `-ERR` for POP3, `* BYE` for IMAP), with its CRLF.
    fn refusal(&self) -> &'static [u8];

    /// Serves one connection to its end.
    fn serve<IO>(
        self: Arc<Self>,
        connection: Accepted<IO>,
    ) -> impl Future<Output = Result<(), mailwire_tokio::Error>> + Send
    where
        IO: AsyncRead + AsyncWrite + Unpin + Send + 'static;
}

/// The streams a service runs over.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

/// One session configuration per kind of listener, built once.
#[derive(Debug)]
pub(crate) struct PerSecurity<C> {
    plain: Arc<C>,
    starttls: Arc<C>,
    implicit: Arc<C>,
}

impl<C> PerSecurity<C> {
    pub(crate) fn new(config: C, adapt: impl Fn(&mut C, Security)) -> Self
    where
        C: Clone,
    {
        let make = |security| {
            let mut c = config.clone();
            adapt(&mut c, security);
            Arc::new(c)
        };
        Self {
            plain: make(Security::Plain),
            starttls: make(Security::StartTls),
            implicit: make(Security::Implicit),
        }
    }

    pub(crate) fn get(&self, security: Security) -> &Arc<C> {
        match security {
            Security::Plain => &self.plain,
            Security::StartTls => &self.starttls,
            Security::Implicit => &self.implicit,
        }
    }
}
