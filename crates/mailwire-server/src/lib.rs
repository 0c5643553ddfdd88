//! Async SMTP, POP3 and IMAP servers over storage the application implements.
//!
//! The protocol work is done by the sans-IO sessions of mailwire-smtp, mailwire-pop3 and
//! mailwire-imap, driven over sockets by mailwire-tokio. This crate joins them to the
//! application's storage through four traits:
//!
//! - [`Authenticator`]: one answer to every login question of the three protocols;
//! - [`Delivery`] and [`Transaction`]: what SMTP and LMTP do with an accepted message;
//! - [`MailStore`], [`Mailboxes`] and [`Mailbox`]: mailboxes, messages by UID, flag
//!   changes, content streamed by offset, copy / move / expunge, and each selected
//!   mailbox's change feed ([`Mailbox::wait_changes`]), which wakes a client in IMAP IDLE
//!   at once.
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
pub mod memory;
mod listen;
mod service;
mod shutdown;
pub mod store;
mod tls;

pub use auth::Authenticator;
pub use delivery::{Client, Delivery, Transaction};
pub use listen::{Limits, ListenError, Listeners, next_event_or_shutdown};
pub use service::{Accepted, Security, Service};
pub use shutdown::{Shutdown, ShutdownSignal};
pub use store::{MailStore, Mailbox, Mailboxes, StoreError, StoreResult};
pub use tls::{TlsFileError, tls_from_pem_files};
