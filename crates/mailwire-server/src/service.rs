//! What a listener hands a protocol server, and what every protocol server offers a
//! listener.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use mailwire_tokio::{MaybeTlsStream, Tls};
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

/// One accepted connection, handed to a [`Service`].
#[derive(Debug)]
#[non_exhaustive]
pub struct Accepted {
    /// The stream; already under TLS for [`Security::Implicit`].
    pub stream: MaybeTlsStream<TcpStream>,
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

impl Accepted {
    /// A connection for a [`Service`] served outside any listener (a test, an embedding
    /// that accepts its own sockets).
    pub fn new(
        stream: MaybeTlsStream<TcpStream>,
        peer: SocketAddr,
        security: Security,
        tls: Tls,
    ) -> Self {
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
    fn serve(
        self: Arc<Self>,
        connection: Accepted,
    ) -> impl Future<Output = Result<(), mailwire_tokio::Error>> + Send;
}
