//! A byte stream that is plaintext or TLS, on either side, and can switch in place.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::{TlsAcceptor, TlsConnector, client, server};

/// The rustls crypto provider that [`Tls::client_with_roots`] and
/// [`Tls::server_with_certificate`] use: the process default if the application installed
/// one ([`CryptoProvider::install_default`]), otherwise *ring* with the `ring` feature (on by
/// default), otherwise AWS-LC with the `aws-lc-rs` feature.
///
/// Fails when there is none of these. Nothing is installed as the process default here.
pub fn crypto_provider() -> Result<Arc<CryptoProvider>, rustls::Error> {
    match CryptoProvider::get_default() {
        Some(provider) => Ok(Arc::clone(provider)),
        None => built_in_provider().map(Arc::new).ok_or_else(|| {
            rustls::Error::General(
                "no crypto provider: install a process default or enable `ring` or `aws-lc-rs`"
                    .to_owned(),
            )
        }),
    }
}

#[cfg(feature = "ring")]
fn built_in_provider() -> Option<CryptoProvider> {
    Some(rustls::crypto::ring::default_provider())
}

#[cfg(all(feature = "aws-lc-rs", not(feature = "ring")))]
fn built_in_provider() -> Option<CryptoProvider> {
    Some(rustls::crypto::aws_lc_rs::default_provider())
}

#[cfg(not(any(feature = "ring", feature = "aws-lc-rs")))]
fn built_in_provider() -> Option<CryptoProvider> {
    None
}

/// How a connection may run TLS: which side of the handshake it plays, and with what
/// settings.
///
/// The driver uses it when a session asks for STARTTLS / STLS; the async clients and the
/// server helper also use it for implicit TLS (ports 465, 993, 995).
#[derive(Clone)]
#[non_exhaustive]
pub enum Tls {
    /// No TLS: a session asking for an upgrade is an error.
    None,
    /// The client side: verify the server as `server_name`.
    Client {
        /// The rustls client settings.
        connector: TlsConnector,
        /// The name the server's certificate must carry.
        server_name: ServerName<'static>,
    },
    /// The server side.
    Server(TlsAcceptor),
}

impl Tls {
    /// Client-side TLS for `server_name`.
    pub fn client(connector: TlsConnector, server_name: ServerName<'static>) -> Self {
        Self::Client {
            connector,
            server_name,
        }
    }

    /// Client-side TLS for `server_name` (a DNS name or an IP address), trusting the
    /// certificates in `roots`, with rustls's safe defaults and the [`crypto_provider`].
    pub fn client_with_roots(
        server_name: &str,
        roots: RootCertStore,
    ) -> Result<Self, rustls::Error> {
        Self::client_with_provider(server_name, roots, crypto_provider()?)
    }

    /// Client-side TLS for `server_name`, trusting the certificates in `roots`, with
    /// rustls's safe defaults and the cryptography of `provider`.
    pub fn client_with_provider(
        server_name: &str,
        roots: RootCertStore,
        provider: Arc<CryptoProvider>,
    ) -> Result<Self, rustls::Error> {
        let server_name = ServerName::try_from(server_name.to_owned())
            .map_err(|e| rustls::Error::General(e.to_string()))?;
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self::client(
            TlsConnector::from(Arc::new(config)),
            server_name,
        ))
    }

    /// Server-side TLS.
    pub fn server(acceptor: TlsAcceptor) -> Self {
        Self::Server(acceptor)
    }

    /// Server-side TLS with one certificate chain and its private key, with rustls's safe
    /// defaults and the [`crypto_provider`].
    pub fn server_with_certificate(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Self, rustls::Error> {
        Self::server_with_provider(chain, key, crypto_provider()?)
    }

    /// Server-side TLS with one certificate chain and its private key, with rustls's safe
    /// defaults and the cryptography of `provider`.
    pub fn server_with_provider(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        provider: Arc<CryptoProvider>,
    ) -> Result<Self, rustls::Error> {
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
        Ok(Self::server(TlsAcceptor::from(Arc::new(config))))
    }

    /// Whether a handshake can be run.
    pub fn is_available(&self) -> bool {
        !matches!(self, Self::None)
    }
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Client { server_name, .. } => f
                .debug_struct("Client")
                .field("server_name", server_name)
                .finish_non_exhaustive(),
            Self::Server(_) => f.write_str("Server(..)"),
        }
    }
}

/// A connection that is plaintext, or TLS as client or server.
///
/// [`upgrade`](Self::upgrade) runs the handshake over the plaintext stream and gives back
/// the TLS one, so a driver can swap it in place after STARTTLS. The TLS variants are boxed:
/// a rustls connection is large, and most of a plaintext connection's life is spent before
/// any upgrade.
#[derive(Debug)]
#[non_exhaustive]
pub enum MaybeTlsStream<IO> {
    /// No encryption.
    Plain(IO),
    /// TLS, this side being the client.
    ClientTls(Box<client::TlsStream<IO>>),
    /// TLS, this side being the server.
    ServerTls(Box<server::TlsStream<IO>>),
}

// Only the clients connect by themselves.
#[cfg(any(feature = "smtp", feature = "pop3", feature = "imap"))]
impl MaybeTlsStream<tokio::net::TcpStream> {
    /// Connects over TCP and, with `implicit_tls`, runs the TLS handshake at once (ports
    /// 465, 995, 993). The clients check that `tls` is available before calling.
    pub(crate) async fn connect(
        addr: impl tokio::net::ToSocketAddrs,
        tls: &Tls,
        implicit_tls: bool,
    ) -> io::Result<Self> {
        let stream = Self::Plain(tokio::net::TcpStream::connect(addr).await?);
        if implicit_tls {
            stream.upgrade(tls).await
        } else {
            Ok(stream)
        }
    }
}

impl<IO> MaybeTlsStream<IO>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    /// Whether the stream is encrypted.
    pub fn is_tls(&self) -> bool {
        !matches!(self, Self::Plain(_))
    }

    /// Runs the TLS handshake over a plaintext stream, as `tls` says, and returns the
    /// encrypted stream.
    ///
    /// Fails with [`io::ErrorKind::InvalidInput`] if the stream is already encrypted or
    /// `tls` is [`Tls::None`], and with the handshake's error otherwise.
    pub async fn upgrade(self, tls: &Tls) -> io::Result<Self> {
        let Self::Plain(io) = self else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the stream is already encrypted",
            ));
        };
        match tls {
            Tls::None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "no TLS settings for this connection",
            )),
            Tls::Client {
                connector,
                server_name,
            } => Ok(Self::ClientTls(Box::new(
                connector.connect(server_name.clone(), io).await?,
            ))),
            Tls::Server(acceptor) => Ok(Self::ServerTls(Box::new(acceptor.accept(io).await?))),
        }
    }

    /// The stream underneath the TLS layer, if any.
    pub fn get_ref(&self) -> &IO {
        match self {
            Self::Plain(io) => io,
            Self::ClientTls(s) => s.get_ref().0,
            Self::ServerTls(s) => s.get_ref().0,
        }
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncRead for MaybeTlsStream<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(io) => Pin::new(io).poll_read(cx, buf),
            Self::ClientTls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Self::ServerTls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncWrite for MaybeTlsStream<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(io) => Pin::new(io).poll_write(cx, buf),
            Self::ClientTls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Self::ServerTls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(io) => Pin::new(io).poll_flush(cx),
            Self::ClientTls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Self::ServerTls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(io) => Pin::new(io).poll_shutdown(cx),
            Self::ClientTls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Self::ServerTls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
