//! Shared plumbing for the mailwire protocol crates.
//!
//! SMTP, POP3 and IMAP are line-oriented dialogues over one byte stream, and share a few
//! mechanisms that this crate implements once:
//!
//! - [`Secret`] keeps passwords and tokens out of `Debug` output and compares digests in
//!   constant time.
//! - [`Session`] is the shape of every client and server session: bytes in, bytes and
//!   events out, and a [`Transport`] decision (keep going, upgrade to TLS, close).
#![cfg_attr(docsrs, feature(doc_cfg))]

mod secret;
mod session;

pub use secret::{Secret, constant_time_eq};
pub use session::{Session, Transport};
