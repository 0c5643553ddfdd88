//! mailwire: email protocol libraries for Rust.
//!
//! This facade re-exports the mailwire crates, each behind a feature named after it.

pub use mailwire_core as core;
#[cfg(feature = "pop3")]
pub use mailwire_pop3 as pop3;
#[cfg(feature = "sasl")]
pub use mailwire_sasl as sasl;
