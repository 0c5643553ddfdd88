//! Shared plumbing for the mailwire protocol crates.
//!
//! SMTP, POP3 and IMAP are line-oriented dialogues over one byte stream, and share a few
//! mechanisms that this crate implements once:
//!
//! - [`Secret`] keeps passwords and tokens out of `Debug` output and compares digests in
//!   constant time.
//! - [`line::LineFramer`] finds CRLF lines under a length limit and turns an over-long line
//!   into one report, so the session can answer and carry on.
//! - [`dot::DotStuffer`] and [`dot::DotUnstuffer`] apply and undo the dot-stuffing of SMTP
//!   DATA and POP3 multi-line responses, streaming, ending only at CRLF `.` CRLF.
//! - [`Misuse`] is the error of every answer method: the question that was pending, and
//!   the answer handed back.
//! - [`Session`] is the shape of every client and server session: bytes in, bytes and
//!   events out, and a [`Transport`] decision (keep going, upgrade to TLS, close).
//! - [`Conduit`] is the plumbing behind that shape, written once: the input buffer with its
//!   cursor, the batched output, the event queue and the transport state.
//!
//! ```
//! use mailwire_core::dot::{DotStuffer, DotUnstuffer, Unstuffed};
//! use mailwire_core::line::{Frame, LineFramer};
//!
//! // A command line, then a message body as a client sends it after DATA.
//! let mut wire = b"DATA\r\n".to_vec();
//! let mut stuffer = DotStuffer::new();
//! stuffer.encode(b"Subject: hi\r\n\r\n.signature\r\n", &mut wire);
//! stuffer.finish(&mut wire);
//! assert_eq!(&wire[6..], b"Subject: hi\r\n\r\n..signature\r\n.\r\n");
//!
//! // The server frames the command line, then unstuffs the body.
//! let mut framer = LineFramer::new(512);
//! let Frame::Line { line, consumed } = framer.frame(&wire) else { panic!() };
//! assert_eq!(line, b"DATA");
//! let mut body = Vec::new();
//! let done = DotUnstuffer::new().decode(&wire[consumed..], &mut body);
//! assert_eq!(done, Unstuffed::Done { consumed: wire.len() - consumed });
//! assert_eq!(body, b"Subject: hi\r\n\r\n.signature\r\n");
//! ```

mod conduit;
mod decoded;
pub mod dot;
pub mod line;
mod misuse;
mod secret;
mod session;

pub use conduit::{Conduit, KEEP_OUTPUT};
pub use decoded::Decoded;
pub use misuse::Misuse;
pub use secret::{Secret, constant_time_eq};
pub use session::{Session, Transport};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
