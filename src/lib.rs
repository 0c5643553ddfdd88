//! mailwire: email protocol libraries for Rust.
//!
//! This facade re-exports the mailwire crates, each behind a feature named after it.

pub use mailwire_core as core;
#[cfg(feature = "imap")]
pub use mailwire_imap as imap;
#[cfg(feature = "sasl")]
pub use mailwire_sasl as sasl;
