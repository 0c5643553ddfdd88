//! mailwire: email protocol libraries for Rust.
//!
//! This facade re-exports the mailwire crates, each behind a feature named after it (all
//! on by default). See the repository README for the map.
//!
//! - [`core`]: secrets, CRLF line framing, dot-stuffing, the sans-IO `Session` trait.
//! - `sasl`: SASL mechanisms as sans-IO exchanges.
//! - `mime`: RFC 5322 and MIME messages, parsed and built.
//! - `smtp`: SMTP, ESMTP and LMTP codec with client and server sessions.
//! - `pop3`: POP3 codec with client and server sessions, APOP included.
//! - `imap`: IMAP4rev1 codec, both directions, with the common extensions.
//! - `tokio`: the tokio adapter: connection driver, TLS (rustls), codecs, async clients and
//!   a server helper; each protocol feature turns on its part of it.
//! - `server`: async SMTP / LMTP, POP3 and IMAP servers over storage traits the
//!   application implements, with listeners, TLS, limits, graceful shutdown and an
//!   in-memory reference store.
//! - `maildir`: the Maildir++ store for those servers, laid out as Dovecot lays it out,
//!   so that Dovecot and mailwire can serve one Maildir.
//! - `relay`: outbound mail for those servers: a persistent queue, routes (static or MX),
//!   retries with backoff and delivery status reports.
//! - `ring` (default) and `aws-lc-rs`: the rustls crypto provider the tokio adapter falls
//!   back on (see `mailwire_tokio::crypto_provider`).
//!
//! A command decoded, a reply encoded, and a message parsed, through one dependency:
//!
//! ```
//! # #[cfg(all(feature = "smtp", feature = "mime"))] {
//! use mailwire::mime::Message;
//! use mailwire::smtp::{Command, Decoded, Reply, ReplyCode};
//!
//! let Decoded::Complete { value, .. } = Command::decode(b"RCPT TO:<ann@y.test>\r\n") else {
//!     panic!("a whole line is there");
//! };
//! let Command::Rcpt { to, .. } = value else { panic!("RCPT") };
//! assert_eq!(to.to_string(), "<ann@y.test>");
//!
//! let mut wire = Vec::new();
//! Reply::new(ReplyCode::OK, "Ok").unwrap().encode(&mut wire);
//! assert_eq!(wire, b"250 Ok\r\n");
//!
//! let message = Message::parse(b"Subject: lunch\r\n\r\nAt noon?\r\n");
//! assert_eq!(message.subject().as_deref(), Some("lunch"));
//! assert_eq!(message.text_body().as_deref(), Some("At noon?\r\n"));
//! # }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use mailwire_core as core;
#[cfg(feature = "imap")]
pub use mailwire_imap as imap;
#[cfg(feature = "maildir")]
pub use mailwire_maildir as maildir;
#[cfg(feature = "mime")]
pub use mailwire_mime as mime;
#[cfg(feature = "pop3")]
pub use mailwire_pop3 as pop3;
#[cfg(feature = "relay")]
pub use mailwire_relay as relay;
#[cfg(feature = "sasl")]
pub use mailwire_sasl as sasl;
#[cfg(feature = "server")]
pub use mailwire_server as server;
#[cfg(feature = "smtp")]
pub use mailwire_smtp as smtp;
#[cfg(feature = "tokio")]
pub use mailwire_tokio as tokio;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
