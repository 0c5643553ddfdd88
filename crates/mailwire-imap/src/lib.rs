//! IMAP4rev1 (RFC 3501) without I/O: types, a codec and client and server sessions.
//!
//! Three layers, as in every mailwire protocol crate: types, codec and the sessions.
//!
//! - [`types`]: the protocol's vocabulary — [`Command`](types::Command),
//!   [`Response`](types::Response), [`SequenceSet`](types::SequenceSet),
//!   [`BodyStructure`](types::BodyStructure) and the rest. Constructors validate, so a value
//!   that exists can be encoded.
//! - [`codec`]: a [`Framer`](codec::Framer) that splits the stream into lines and literals
//!   under [`Limits`](codec::Limits), decoders that tell a complete message from an
//!   incomplete one and from an announced synchronising literal, and encoders that cannot
//!   fail. The command encoder yields [`Fragment`](codec::Fragment)s so that a client can
//!   wait for the server's `+` before each synchronising literal.
//!
//! Decoders take the bytes received so far and return [`Decoded`](codec::Decoded): a
//! complete message and how many bytes it used, `Incomplete` (read more; every prefix of a
//! valid message is incomplete), or — for commands — `LiteralAnnounced` with the tag and
//! length of a synchronising literal, so that a server can answer `+` or refuse before
//! the data is sent. Errors ([`DecodeError`](codec::DecodeError)) carry the tag when one
//! was read, the offset, a reason and how many bytes to skip. No decoder reserves memory
//! for a length the peer announced: a literal is checked against
//! [`Limits::max_literal`](codec::Limits) as a number.
//!
//! Besides RFC 3501 the codec knows the syntax of IDLE, NAMESPACE, UIDPLUS, MOVE, ENABLE,
//! ID, UNSELECT, LITERAL+/LITERAL-, MULTIAPPEND, SPECIAL-USE, CHILDREN, CONDSTORE, SASL-IR
//! and the literal8 of BINARY. Responses are decoded leniently where widely used servers
//! deviate from the grammar; encoding is strict.
//!
//! On top of the codec sit the sessions and the message model:
//!
//! - [`message`]: ENVELOPE, BODY, BODYSTRUCTURE, `BODY[section]<partial>` and SEARCH keys
//!   computed from a raw RFC 5322 message parsed by `mailwire-mime`.
//! - [`server`]: the server session — RFC 3501's states, capabilities, LOGIN and SASL,
//!   STARTTLS, literals, IDLE, and each connection's view of the selected mailbox, with
//!   the application answering [`server::Event`]s. Failed logins per connection and
//!   literals before login are limited ([`server::Config`]); LIST and LSUB patterns are
//!   matched with [`ListMailbox::matches`](types::ListMailbox::matches).
//! - [`client`]: the client session — tags, literals, pipelining, results per command and
//!   unsolicited updates as [`client::Event`]s.
//!
//! ```
//! use mailwire_imap::codec::{
//!     Decoded, Fragment, Limits, LiteralMode, decode_command, decode_response, encode_command,
//!     encode_response,
//! };
//! use mailwire_imap::types::{Command, CommandBody, IString, Response, Tag};
//! use mailwire_core::Secret;
//!
//! let limits = Limits::default();
//!
//! // A server decodes a command...
//! let input = b"a001 LOGIN SMITH SESAME\r\n";
//! let Decoded::Complete { value: command, consumed } = decode_command(input, &limits).unwrap()
//! else { panic!("a whole command") };
//! assert_eq!(consumed, input.len());
//! assert_eq!(command.body, CommandBody::Login {
//!     username: IString::new("SMITH").unwrap(),
//!     password: Secret::new(IString::new("SESAME").unwrap()),
//! });
//!
//! // ...and its answer.
//! let Decoded::Complete { value: reply, .. } =
//!     decode_response(b"a001 OK LOGIN completed\r\n", &limits).unwrap()
//! else { panic!("a whole response") };
//! let mut out = Vec::new();
//! encode_response(&reply, &mut out);
//! assert_eq!(out, b"a001 OK LOGIN completed\r\n");
//!
//! // A client encodes a command whose password needs a literal, and sends it in pieces.
//! let login = Command::new(Tag::new("a002").unwrap(), CommandBody::Login {
//!     username: IString::new("fred").unwrap(),
//!     password: Secret::new(IString::new("two\r\nlines").unwrap()),
//! });
//! let encoded = encode_command(&login, LiteralMode::Sync);
//! let fragments: Vec<_> = encoded.fragments().collect();
//! assert_eq!(fragments, [
//!     Fragment::Line(b"a002 LOGIN fred {10}\r\n"),
//!     Fragment::Literal { data: b"two\r\nlines", sync: true },
//!     Fragment::Line(b"\r\n"),
//! ]);
//! ```
//!
//! # The same program in every protocol crate
//!
//! mailwire-smtp, mailwire-pop3 and mailwire-imap open with the same two programs, so that
//! what one teaches carries over. A server session asks the application to check a password
//! and to decide one command; a client session logs in. The bytes are handed over by hand
//! where a driver (mailwire-tokio) would use a socket.
//!
//! ```
//! use std::num::NonZeroU32;
//!
//! use mailwire_imap::sasl::{AuthAnswer, AuthQuestion};
//! use mailwire_imap::server::{Config, Event, MailboxSnapshot, Session};
//! use mailwire_imap::types::Mailbox;
//! use mailwire_imap::Session as _;
//!
//! let mut config = Config::default();
//! config.plaintext_auth = true; // this example has no TLS
//! let mut server = Session::new(config);
//!
//! server.receive(b"a1 LOGIN fred secret\r\na2 SELECT INBOX\r\n");
//! while let Some(event) = server.poll_event() {
//!     match event {
//!         Event::Auth { question: AuthQuestion::Password { authcid, password, .. } } => {
//!             let right = authcid == "fred" && password.expose() == "secret";
//!             server.answer_auth(if right { AuthAnswer::Accept } else { AuthAnswer::Reject })?;
//!         }
//!         Event::Select { mailbox, .. } => {
//!             assert_eq!(mailbox, Mailbox::Inbox);
//!             server.open_mailbox(MailboxSnapshot {
//!                 uid_validity: NonZeroU32::new(1).unwrap(),
//!                 uid_next: NonZeroU32::new(1).unwrap(),
//!                 flags: Vec::new(),
//!                 keywords_allowed: false,
//!                 messages: Vec::new(),
//!             })?;
//!         }
//!         _ => {}
//!     }
//! }
//! let mut out = Vec::new();
//! while let Some(bytes) = server.transmit() {
//!     out.extend_from_slice(&bytes);
//! }
//! assert!(out.ends_with(b"a2 OK [READ-WRITE] SELECT completed\r\n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ```
//! use mailwire_imap::client::{Config, Event, Session};
//! use mailwire_imap::types::Completion;
//! use mailwire_imap::Session as _;
//!
//! let mut config = Config::default();
//! config.plaintext_auth = true; // this example has no TLS
//! let mut client = Session::new(config);
//!
//! client.receive(b"* OK [CAPABILITY IMAP4rev1] ready\r\n");
//! assert!(matches!(client.poll_event(), Some(Event::Greeting { .. })));
//! let tag = client.login("fred", "secret")?;
//! assert_eq!(&client.transmit().unwrap()[..], b"A1 LOGIN fred secret\r\n");
//! client.receive(b"A1 OK LOGIN completed\r\n");
//! let mut events = std::iter::from_fn(|| client.poll_event());
//! assert!(events.any(|e| matches!(
//!     e,
//!     Event::Completed { tag: t, completion: Completion::Ok, .. } if t == tag
//! )));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

/// The sans-IO session contract, secrets and the misuse error, re-exported so that this
/// crate can be driven without depending on mailwire-core ([`Session`] is the trait a
/// driver pumps; `server::Session` and `client::Session` implement it).
pub use mailwire_core::{Misuse, Secret, Session, Transport};

/// The SASL exchanges AUTHENTICATE runs on, re-exported for their types
/// ([`sasl::AuthQuestion`], [`sasl::AuthAnswer`], [`sasl::ScramKeys`] …).
pub use mailwire_sasl as sasl;

/// The byte buffers stored messages are handed over in (`server::StoredMessage::raw`).
pub use bytes;

pub mod client;
pub mod codec;
pub mod message;
pub mod server;
pub mod types;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
