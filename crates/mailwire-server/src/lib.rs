//! Async SMTP, POP3 and IMAP servers over storage the application implements.
//!
//! The protocol work is done by the sans-IO sessions of mailwire-smtp, mailwire-pop3 and
//! mailwire-imap, driven over sockets by mailwire-tokio. This crate joins them to the
//! application's storage through four traits:
//!
//! - [`Authenticator`]: one answer to every login question of the three protocols;
//! - [`Delivery`] and [`Transaction`]: what SMTP and LMTP do with an accepted message
//!   ([`LmtpDelivery`] hands it on to an LMTP server such as Dovecot's);
//! - [`MailStore`], [`Mailboxes`] and [`Mailbox`]: mailboxes, messages by UID, flag
//!   changes, content streamed by offset, copy / move / expunge, and each selected
//!   mailbox's change feed ([`Mailbox::wait_changes`]), which wakes a client in IMAP IDLE
//!   at once.
//!
//! The protocol servers — [`SmtpServer`] (also LMTP), [`Pop3Server`] and [`ImapServer`] —
//! implement [`Service`], which [`Listeners`] runs on plaintext, STARTTLS and implicit-TLS
//! sockets within [`Limits`], each connection in a `connection` tracing span (protocol,
//! peer, TLS, and the user once logged in; no secret is ever logged). [`Shutdown`] stops
//! them gracefully. Failed logins slow down further attempts through a shared
//! [`Throttle`]. [`memory::Memory`] is the reference store, small enough to read in one
//! sitting.
//!
//! # What the IMAP server needs from a store
//!
//! FLAGS, UID, INTERNALDATE and RFC822.SIZE come from the selected mailbox's
//! [`Snapshot`](store::Snapshot) and change feed. Whole messages (`BODY[]`, `RFC822`,
//! with or without a partial range) are streamed from [`Mailbox::content`] into the
//! literal whose length the snapshot's size gave, one piece at a time, so a 50 MiB message
//! costs the server two 64 KiB buffers per client (the piece read and its copy on the way
//! out). ENVELOPE, BODYSTRUCTURE, header and part sections and content SEARCH need the
//! message parsed, and for those the content is read whole: a FETCH asks for it in windows
//! of messages of up to 4 MiB together (a SEARCH of the text still reads every message of
//! the mailbox at once). A store that kept the header and the MIME structure apart could
//! answer those without the body; that is where this layer goes next.
//!
//! # Generic, not boxed
//!
//! The traits are generic (`async fn` in traits, with `Send` futures) and the servers are
//! generic over them. A server is built once per process, so the cost of generics is one
//! instantiation, while boxing would cost an allocation and a dynamic call on every store
//! access of every FETCH; and generic traits keep the application's own types (its
//! content reader, its transaction) visible to it. An application that wants to choose a
//! store at run time wraps its choices in one enum that implements the traits.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod auth;
mod delivery;
mod imap;
mod listen;
mod lmtp;
mod login;
pub mod memory;
mod nonce;
mod pop3;
mod service;
mod shutdown;
mod smtp;
pub mod store;
mod throttle;
mod tls;
pub mod trace;

pub use auth::Authenticator;
pub use delivery::{Client, Delivery, Transaction};
pub use imap::ImapServer;
pub use listen::{Limits, ListenError, Listeners, next_event_or_shutdown};
pub use lmtp::{BadLmtpTarget, LmtpDelivery, LmtpTarget, ToLmtp};
pub use pop3::Pop3Server;
pub use service::{Accepted, Security, Service};
pub use shutdown::{Shutdown, ShutdownSignal};
pub use smtp::SmtpServer;
pub use store::{MailStore, Mailbox, Mailboxes, StoreError, StoreResult};
pub use throttle::Throttle;
pub use tls::{TlsFileError, tls_from_pem_files};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
