//! Tokio for the mailwire sessions: sockets, buffers, timers and TLS, and nothing a session
//! could own.
//!
//! - [`Connection`] drives any [`mailwire_core::Session`] — SMTP, POP3 or IMAP, client or
//!   server — over any `AsyncRead + AsyncWrite` stream: it hands out events with
//!   [`Connection::next_event`], writes what the session sends, reads with the session's
//!   timeout, and upgrades to TLS in place when the session accepts or sends STARTTLS /
//!   STLS. The application answers each event on the session, synchronously or after its
//!   own async work; [`Handler`] packages that for servers.
//! - [`MaybeTlsStream`] and [`Tls`]: a stream that is plaintext or TLS on either side
//!   (tokio-rustls), for STARTTLS upgrades and for implicit TLS (ports 465, 993, 995).
//! - [`codec`]: `tokio_util` decoders and encoders for SMTP, POP3 and IMAP messages.
//! - [`smtp::SmtpClient`], [`pop3::Pop3Client`] and [`imap::ImapClient`]: async clients
//!   that send a message, fetch a maildrop or run IMAP commands through the sans-IO client
//!   sessions. [`smtp::SmtpClient::connect`] connects in one call (port and TLS mode from
//!   the server string, certificates checked against the webpki and platform roots: see [`connect`]),
//!   [`smtp::SmtpClient::send`] takes a `mailwire_mime` message and reads its envelope from
//!   the header, and [`smtp::SmtpPool`] reuses connections for many messages.
//!   [`pop3::Pop3Client::connect`] connects in one call the same way,
//!   [`pop3::Pop3Client::retr`] streams a message into an `AsyncWrite`, and
//!   [`pop3::Pop3Client::new_messages`] keeps mail on the server and fetches only what is new.
//! - [`server::Server`]: accepts connections and runs a session with a handler on each,
//!   in its own task, reporting each connection's outcome as a value.
//!
//! A server session and a client, over an in-memory pipe:
//!
//! ```
//! use mailwire_smtp::server::{Config, Event, Session};
//! use mailwire_smtp::{Domain, ForwardPath, Host, ReversePath};
//! use mailwire_smtp::client::{self, Envelope, TlsPolicy};
//! use mailwire_tokio::{Connection, MaybeTlsStream, Tls};
//! use mailwire_tokio::smtp::SmtpClient;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let (client_io, server_io) = tokio::io::duplex(4096);
//! let server = tokio::spawn(async move {
//!     let session = Session::new(Config::new(Domain::new("mx.example.org").unwrap()));
//!     let conn = Connection::new(MaybeTlsStream::Plain(server_io), session, Tls::None);
//!     let mut body = Vec::new();
//!     conn.run_with(|session, event| match event {
//!         Event::MessageData { chunk } => body.extend_from_slice(&chunk),
//!         Event::Mail { .. } | Event::Rcpt { .. } | Event::Message { .. } => {
//!             session.accept().expect("the event waits for a decision");
//!         }
//!         _ => {}
//!     })
//!     .await
//!     .map(|_| body)
//! });
//!
//! let mut config = client::Config::new(Host::parse("client.example").unwrap());
//! config.tls = TlsPolicy::Never;
//! let mut smtp = SmtpClient::start(MaybeTlsStream::Plain(client_io), config, Tls::None).await?;
//! let message = b"Subject: hi\r\n\r\n.dot\r\n";
//! let to = vec![ForwardPath::parse("<b@mx.example.org>")?];
//! let envelope = Envelope::for_message(ReversePath::parse("<a@client.example>")?, to, message);
//! let results = smtp.send_raw(envelope, &message[..]).await?;
//! assert!(results[0].is_delivered());
//! smtp.quit().await?;
//! assert_eq!(server.await??, message);
//! # Ok(())
//! # }
//! ```
//!
//! # Features
//!
//! - `smtp`, `pop3`, `imap` (all default): each protocol's codecs and async client. The
//!   driver, [`MaybeTlsStream`], [`Tls`] and [`server::Server`] are always there.
//! - `ring` (default) and `aws-lc-rs`: the rustls crypto provider used when the application
//!   has not chosen one (see below). With neither, the application must choose.
//!
//! Only the tokio features the adapter needs are turned on (`io-util`, `macros`, `net`,
//! `rt`, `sync`, `time`); the application picks its runtime flavour.
//!
//! # The crypto provider
//!
//! TLS runs on whichever rustls [`CryptoProvider`](rustls::crypto::CryptoProvider) the
//! application chooses. [`Tls::client_with_provider`] and [`Tls::server_with_provider`]
//! take one explicitly; [`Tls::client_with_roots`] and [`Tls::server_with_certificate`] use
//! [`crypto_provider`]: the process default when one is installed
//! ([`CryptoProvider::install_default`](rustls::crypto::CryptoProvider::install_default)),
//! otherwise *ring* with the `ring` feature, otherwise AWS-LC with `aws-lc-rs`. For a
//! [`Tls::client`] or [`Tls::server`] built from a rustls config, the config's provider is
//! the one used.
//!
//! ```
//! use std::sync::Arc;
//! use mailwire_tokio::Tls;
//! use mailwire_tokio::rustls::{RootCertStore, crypto};
//!
//! let roots = RootCertStore::empty(); // with the certificates to trust, e.g. webpki-roots
//! let provider = Arc::new(crypto::ring::default_provider());
//! let tls = Tls::client_with_provider("mail.example.org", roots, provider)?;
//! assert!(tls.is_available());
//! # Ok::<(), mailwire_tokio::rustls::Error>(())
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(any(feature = "smtp", feature = "pop3", feature = "imap"))]
pub mod codec;
#[cfg(any(feature = "smtp", feature = "pop3", feature = "imap"))]
pub mod connect;
mod driver;
#[cfg(feature = "imap")]
pub mod imap;
#[cfg(feature = "pop3")]
pub mod pop3;
pub mod server;
#[cfg(feature = "smtp")]
pub mod smtp;
mod stream;

pub use driver::{Connection, DEFAULT_READ_BUFFER, Error, Handler, Next};
pub use stream::{MaybeTlsStream, Tls, crypto_provider};

/// The TLS libraries underneath, re-exported so their types match the ones used here.
pub use {rustls, tokio_rustls};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
