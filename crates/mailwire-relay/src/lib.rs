//! Outbound mail for mailwire servers: a persistent queue, routes, retries and bounces.
//!
//! - [`Queue`]: a directory, one content file and one small envelope file a message, each
//!   written under a temporary name, synced and renamed before the `250` goes out, so an
//!   accepted message survives `kill -9`. [`Queue::inspect`] opens it beside a running
//!   server, whose relay takes in the flushes and deletions made there.
//! - [`Intake`]: the [`Delivery`](mailwire_server::Delivery) an SMTP server hands mail
//!   for other domains to, below the `Received:` field the server adds (RFC 5321 §4.4);
//!   it refuses a message that arrives with more than 100 of them as a loop (§6.3).
//! - [`Relay`]: the task that takes due messages, groups recipients by domain, finds the
//!   servers (static [`Route`]s or MX records, A / AAAA as a fallback, a null MX as a
//!   permanent failure), sends with mailwire-tokio's `SmtpClient` (STARTTLS opportunistic
//!   unless a route requires it), goes on to the next server when one is unreachable or
//!   answers the greeting, EHLO or MAIL with a `4xx`, sends the messages due for one
//!   server over one connection, retries temporary failures with backoff for up to five
//!   days, and sends an RFC 3464 failure report to the sender of what fails for good.
//!
//! An application with mailboxes of its own wraps its local delivery and an [`Intake`] in
//! one [`Delivery`](mailwire_server::Delivery): at MAIL it opens a transaction with each;
//! each RCPT goes to the local one for its own domains and, for a client allowed to relay,
//! to the intake for the others; DATA goes to both; at the end it commits both and gives
//! their results back in the order the recipients were accepted. The [`Relay`] takes the
//! local delivery too, for the reports it sends to local senders and for queued recipients
//! of [`Config::local_domains`].
//!
//! A local delivery that answers per recipient only after the data (LMTP, RFC 2033) cannot
//! give an SMTP client, which gets one reply, a refusal for some recipients and not the
//! others. Such an application hands its local recipients to the [`Intake`] as well (the
//! message is on disk before the `250`), and gives the [`Relay`] a local delivery that
//! delivers without queueing: each recipient's result is then delivered, retried or
//! reported on as a remote server's would be.
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use mailwire_relay::{Config, Intake, Queue, Relay};
//! use mailwire_server::memory::Memory;
//! use mailwire_server::Shutdown;
//! use mailwire_smtp::Domain;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let hostname = Domain::new("mx.example.org")?;
//! let queue = Queue::open("/var/spool/mailwire")?;
//! // The SMTP server's Delivery for recipients at other domains:
//! let intake = Intake::new(queue.clone());
//! # let _ = intake;
//! let mut config = Config::new(hostname);
//! config.routes.insert("example.net".into(), vec!["127.0.0.1:2526".parse()?]);
//! config.local_domains.push("example.org".into());
//! let local = Arc::new(Memory::new());
//! let relay = Relay::new(queue, config, local);
//! let shutdown = Shutdown::new();
//! relay.run(shutdown.signal()).await;
//! # Ok(())
//! # }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod clock;
mod dsn;
mod entry;
mod intake;
mod queue;
mod relay;
mod route;

pub use clock::Clock;
pub use entry::{Entry, Recipient, Status};
pub use intake::{Incoming, Intake, MAX_RECEIVED};
pub use queue::{Queue, QueueError};
pub use relay::{Config, Relay};
pub use route::{Route, SMTP_PORT};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
