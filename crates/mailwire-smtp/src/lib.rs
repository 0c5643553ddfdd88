//! SMTP, ESMTP and LMTP without I/O.
//!
//! Three layers, as in every mailwire protocol crate:
//!
//! - [`types`]: [`Command`], [`Reply`], [`ReversePath`] / [`ForwardPath`] / [`Mailbox`],
//!   [`MailParameters`] / [`RcptParameters`], [`Capability`] and [`EhloResponse`]. Their
//!   constructors validate, so every value encodes to valid wire bytes.
//! - [`codec`]: [`decode_command`](codec::decode_command) and
//!   [`decode_reply`](codec::decode_reply) tell a complete value, an incomplete input and an
//!   invalid one apart ([`Decoded`]); invalid input comes with the reply a server sends for
//!   it. [`encode_command`](codec::encode_command) and [`encode_reply`](codec::encode_reply)
//!   write into any [`bytes::BufMut`] (`Vec<u8>`, `BytesMut`). The types carry the same
//!   operations as methods (`Command::decode`, `Reply::encode` …).
//! - **sessions**: [`server::Session`] and [`client::Session`] implement
//!   [`mailwire_core::Session`]: bytes in, bytes and events out, decisions by method calls.
//!   Message bodies stream through in chunks; only `CRLF . CRLF` ends DATA.
//!
//! The extensions covered: ESMTP (RFC 5321), LMTP (RFC 2033), PIPELINING (RFC 2920), SIZE
//! (RFC 1870), 8BITMIME (RFC 6152), CHUNKING and BINARYMIME (RFC 3030), SMTPUTF8
//! (RFC 6531), DSN (RFC 3461), ENHANCEDSTATUSCODES (RFC 2034, RFC 3463), STARTTLS
//! (RFC 3207), AUTH (RFC 4954) and REQUIRETLS (RFC 8689).
//!
//! Decode what a client sent, encode the answer:
//!
//! ```
//! use mailwire_smtp::{Command, Decoded, EnhancedCode, Reply, ReplyCode, ReversePath};
//!
//! let Decoded::Complete { value, consumed } =
//!     Command::decode(b"MAIL FROM:<Smith@bar.com> SIZE=1024\r\nRCPT")
//! else {
//!     panic!("a whole line was there")
//! };
//! assert_eq!(consumed, 37);
//! let Command::Mail { from, params } = value else { panic!() };
//! assert_eq!(from, ReversePath::parse("<Smith@bar.com>").unwrap());
//! assert_eq!(params.size, Some(1024));
//!
//! let ok = Reply::new(ReplyCode::OK, "Ok")
//!     .unwrap()
//!     .with_enhanced(EnhancedCode::new(2, 1, 0).unwrap())
//!     .unwrap();
//! let mut wire = Vec::new();
//! ok.encode(&mut wire);
//! assert_eq!(wire, b"250 2.1.0 Ok\r\n");
//! ```
//!
//! A server session taking one message; the driver loop (here written out by hand) moves
//! bytes and answers events:
//!
//! ```
//! use mailwire_smtp::Session as _;
//! use mailwire_smtp::Domain;
//! use mailwire_smtp::server::{Config, Event, Session};
//!
//! let mut config = Config::new(Domain::new("mx.example.org").unwrap());
//! config.pipelining = false;
//! config.chunking = false;
//! let mut server = Session::new(config);
//! assert_eq!(&server.transmit().unwrap()[..], b"220 mx.example.org ESMTP ready\r\n");
//!
//! server.receive(b"HELO c.example\r\nMAIL FROM:<a@c.example>\r\nRCPT TO:<b@mx.example.org>\r\n");
//! server.receive(b"DATA\r\nHello\r\n..world\r\n.\r\nQUIT\r\n");
//! let mut body = Vec::new();
//! while let Some(event) = server.poll_event() {
//!     match event {
//!         Event::Mail { .. } | Event::Rcpt { .. } | Event::Message { .. } => server.accept().unwrap(),
//!         Event::MessageData { chunk } => body.extend_from_slice(&chunk),
//!         _ => {}
//!     }
//! }
//! assert_eq!(body, b"Hello\r\n.world\r\n");
//! let out = server.transmit().unwrap();
//! assert_eq!(
//!     std::str::from_utf8(&out).unwrap(),
//!     "250 mx.example.org\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n\
//!      354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued\r\n221 2.0.0 Bye\r\n"
//! );
//! assert_eq!(server.transport(), mailwire_smtp::Transport::Close);
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
//! use mailwire_smtp::sasl::{AuthAnswer, AuthQuestion, Mechanism};
//! use mailwire_smtp::server::{Config, Event, Session};
//! use mailwire_smtp::{Domain, Session as _};
//!
//! let mut config = Config::new(Domain::new("mx.example.org").unwrap());
//! config.auth_mechanisms = vec![Mechanism::Plain];
//! config.plaintext_auth = true; // this example has no TLS
//! let mut server = Session::new(config);
//!
//! // AUTH PLAIN carries "\0fred\0secret".
//! server.receive(b"EHLO c.example\r\nAUTH PLAIN AGZyZWQAc2VjcmV0\r\nMAIL FROM:<fred@c.example>\r\n");
//! while let Some(event) = server.poll_event() {
//!     match event {
//!         Event::Auth { question: AuthQuestion::Password { authcid, password, .. } } => {
//!             let right = authcid == "fred" && password.expose() == "secret";
//!             server.answer_auth(if right { AuthAnswer::Accept } else { AuthAnswer::Reject })?;
//!         }
//!         Event::Mail { from, .. } => {
//!             assert_eq!(from.to_string(), "<fred@c.example>");
//!             server.accept()?;
//!         }
//!         _ => {}
//!     }
//! }
//! let mut out = Vec::new();
//! while let Some(bytes) = server.transmit() {
//!     out.extend_from_slice(&bytes);
//! }
//! assert!(out.ends_with(b"235 2.7.0 Authentication successful\r\n250 2.1.0 Ok\r\n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ```
//! use mailwire_smtp::client::{Config, Credentials, Event, Session};
//! use mailwire_smtp::{Host, Session as _};
//!
//! let mut config = Config::new(Host::parse("c.example").unwrap());
//! config.credentials = Some(Credentials::new("fred", "secret"));
//! config.plaintext_auth = true; // this example has no TLS
//! let mut client = Session::new(config);
//!
//! client.receive(b"220 mx.example.org ESMTP\r\n");
//! assert_eq!(&client.transmit().unwrap()[..], b"EHLO c.example\r\n");
//! client.receive(b"250-mx.example.org\r\n250 AUTH PLAIN\r\n");
//! assert_eq!(&client.transmit().unwrap()[..], b"AUTH PLAIN AGZyZWQAc2VjcmV0\r\n");
//! client.receive(b"235 2.7.0 Authentication successful\r\n");
//! let mut events = std::iter::from_fn(|| client.poll_event());
//! assert!(events.any(|e| matches!(e, Event::Authenticated { .. })));
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod types;

pub mod client;
pub mod codec;
pub mod server;

pub use types::{
    AddressLiteral, AddressLiteralRef, Argument, Body, Capability, CapabilityError, Command,
    CommandError, CommandRef, Domain, DomainRef, EhloResponse, EnhancedCode, ForwardPath,
    ForwardPathRef, GeneralLiteral, Host, HostRef, InitialResponse, MAX_COMMAND_LINE_LEN,
    MAX_DOMAIN_LEN, MAX_ENVID_LEN, MAX_LOCAL_PART_LEN, MAX_PATH_LEN, MAX_REPLY_LEN, MailParameters,
    MailParametersRef, Mailbox, MailboxRef, Mechanism, Notify, OriginalRecipient,
    OriginalRecipientRef, OtherCapability, ParamError, Parameter, ParameterRef, PathError,
    RcptParameters, RcptParametersRef, Reply, ReplyCode, ReplyError, Ret, ReversePath,
    ReversePathRef, Verb, XText, XTextError, XTextRef,
};

/// The sans-IO session contract, secrets and the misuse error, re-exported so that this
/// crate can be driven without depending on mailwire-core ([`Session`] is the trait a
/// driver pumps; `server::Session` and `client::Session` implement it).
pub use mailwire_core::{Misuse, Secret, Session, Transport};

/// The SASL mechanisms AUTH runs on, re-exported for their types ([`sasl::Mechanism`],
/// [`sasl::ScramKeys`], [`sasl::Identity`] …).
pub use mailwire_sasl as sasl;

/// The outcome of decoding a value from the front of a buffer (shared by every mailwire
/// codec).
pub use mailwire_core::Decoded;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
