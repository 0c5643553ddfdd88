//! mailwire: email protocol libraries for Rust.
//!
//! This facade re-exports the mailwire crates, each behind a feature named after it (all
//! on by default). See the repository README for the map.
//!
//! - [`core`]: secrets, CRLF line framing, dot-stuffing, the sans-IO `Session` trait.
//! - `sasl`: SASL mechanisms as sans-IO exchanges.

pub use mailwire_core as core;
#[cfg(feature = "imap")]
pub use mailwire_imap as imap;
#[cfg(feature = "mime")]
pub use mailwire_mime as mime;
#[cfg(feature = "sasl")]
pub use mailwire_sasl as sasl;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
