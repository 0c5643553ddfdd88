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
//!   a server helper (turns on `smtp`, `pop3` and `imap`).

pub use mailwire_core as core;
#[cfg(feature = "imap")]
pub use mailwire_imap as imap;
#[cfg(feature = "mime")]
pub use mailwire_mime as mime;
#[cfg(feature = "pop3")]
pub use mailwire_pop3 as pop3;
#[cfg(feature = "sasl")]
pub use mailwire_sasl as sasl;
#[cfg(feature = "smtp")]
pub use mailwire_smtp as smtp;
#[cfg(feature = "tokio")]
pub use mailwire_tokio as tokio;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
