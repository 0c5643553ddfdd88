//! POP3 without I/O: a codec, and client and server sessions.
//!
//! RFC 1939 with the extensions that matter in practice: `CAPA` and response codes
//! (RFC 2449), `STLS` (RFC 2595), SASL `AUTH` (RFC 5034), `UTF8` (RFC 6856), the `[SYS]` and
//! `[AUTH]` codes (RFC 3206), and APOP.
//!
//! Three layers, as in every mailwire protocol crate:
//!
//! - [`types`]: [`Command`], [`Response`] with its [`ResponseCode`], [`ScanListing`],
//!   [`UniqueIdListing`], [`Capability`], [`Greeting`] and its APOP [`Timestamp`].
//!   Constructors validate, so every value encodes to valid wire bytes.
//! - [`codec`]: decoders ([`decode_command`](codec::decode_command),
//!   [`decode_response`](codec::decode_response), [`decode_scan_listings`] …) take the front
//!   of a buffer and say whether it holds a complete message, needs more input, or is
//!   invalid (and how many bytes to skip); they never panic and never reserve memory for a
//!   number the peer announced. Encoders ([`encode_command`](codec::encode_command),
//!   [`encode_response`](codec::encode_response) …) cannot fail. The types carry the same
//!   operations as methods (`Command::decode`, `Response::encode` …).
//! - **sessions**: [`server::Session`] and [`client::Session`] implement
//!   [`mailwire_core::Session`]: bytes in, bytes and events out, no I/O, no clock.
//!
//! APOP is supported on both sides, and off by default on the server: it needs every
//! user's secret in plaintext there, and MD5 is weak.
//!
//! ```
//!
//! use mailwire_pop3::Session as _;
//! use mailwire_pop3::{
//!     Command, Decoded, MessageNumber, Password, Response, ResponseCode, Status, UniqueId,
//!     UserName, client, server,
//! };
//! use mailwire_sasl::{AuthAnswer, AuthQuestion};
//!
//! // Decode a command from the front of a buffer.
//! let Decoded::Complete { value, consumed } = Command::decode(b"TOP 1 10\r\nQUIT\r\n") else {
//!     panic!("a whole line is there");
//! };
//! assert_eq!(value, Command::Top { message: MessageNumber::new(1)?, lines: 10 });
//! assert_eq!(consumed, 10);
//! assert_eq!(Command::decode(b"QUI"), Decoded::Incomplete);
//!
//! // Encode a response with a code.
//! let busy = Response::with_code(Status::Err, Some(ResponseCode::InUse), "maildrop locked")?;
//! let mut wire = Vec::new();
//! busy.encode(&mut wire);
//! assert_eq!(wire, b"-ERR [IN-USE] maildrop locked\r\n");
//!
//! // A client and a server session, wired to each other in memory (over TLS, say).
//! let mut config = server::Config::default();
//! config.implicit_tls = true;
//! let mut server = server::Session::new(config);
//! let mut client_config = client::Config::default();
//! client_config.implicit_tls = true;
//! let mut client = client::Session::new(client_config);
//! let mut pump = |client: &mut client::Session, server: &mut server::Session| {
//!     while let Some(bytes) = server.transmit() {
//!         client.receive(&bytes);
//!     }
//!     while let Some(bytes) = client.transmit() {
//!         server.receive(&bytes);
//!     }
//! };
//!
//! pump(&mut client, &mut server); // greeting, CAPA
//! pump(&mut client, &mut server);
//! assert!(matches!(client.poll_event(), Some(client::Event::Ready { .. })));
//! client.login(UserName::new("tim")?, Password::new("tanstaaf")?)?;
//! pump(&mut client, &mut server); // USER
//! pump(&mut client, &mut server); // PASS
//!
//! // The application checks the password and opens the maildrop.
//! let Some(server::Event::Auth { question }) = server.poll_event() else { panic!() };
//! let AuthQuestion::Password { authcid, password, .. } = question else { panic!() };
//! assert_eq!((authcid.as_str(), password.expose().as_str()), ("tim", "tanstaaf"));
//! server.answer_auth(AuthAnswer::Accept)?;
//! let Some(server::Event::Authenticated { .. }) = server.poll_event() else { panic!() };
//! let Some(server::Event::OpenMaildrop { .. }) = server.poll_event() else { panic!() };
//! let info = server::MessageInfo { size: 16, unique_id: UniqueId::new("m1")? };
//! server.open_maildrop(server::Maildrop::new(vec![info]))?;
//! pump(&mut client, &mut server);
//! assert!(matches!(client.poll_event(), Some(client::Event::LoggedIn { .. })));
//!
//! // RETR: the server streams the message, the client receives it unstuffed.
//! client.retr(MessageNumber::new(1)?)?;
//! pump(&mut client, &mut server);
//! let Some(server::Event::Retrieve { .. }) = server.poll_event() else { panic!() };
//! server.send_body(b"Subject: hi\r\n\r\n")?;
//! server.send_body(b".\r\n")?;
//! server.end_body()?;
//! pump(&mut client, &mut server);
//! let mut body = Vec::new();
//! while let Some(client::Event::BodyChunk { data, .. }) = client.poll_event() {
//!     body.extend_from_slice(&data);
//! }
//! assert_eq!(body, b"Subject: hi\r\n\r\n.\r\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
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
//! use mailwire_pop3::sasl::{AuthAnswer, AuthQuestion};
//! use mailwire_pop3::server::{Config, Event, Maildrop, MessageInfo, PlaintextLogin, Session};
//! use mailwire_pop3::{Session as _, UniqueId};
//!
//! let mut config = Config::default();
//! config.plaintext_login = PlaintextLogin::Allow; // this example has no TLS
//! let mut server = Session::new(config);
//!
//! server.receive(b"USER fred\r\nPASS secret\r\nSTAT\r\n");
//! while let Some(event) = server.poll_event() {
//!     match event {
//!         Event::Auth { question: AuthQuestion::Password { authcid, password, .. } } => {
//!             let right = authcid == "fred" && password.expose() == "secret";
//!             server.answer_auth(if right { AuthAnswer::Accept } else { AuthAnswer::Reject })?;
//!         }
//!         Event::OpenMaildrop { user } => {
//!             assert_eq!(user, "fred");
//!             let message = MessageInfo { size: 120, unique_id: UniqueId::new("m1")? };
//!             server.open_maildrop(Maildrop::new(vec![message]))?;
//!         }
//!         _ => {}
//!     }
//! }
//! let mut out = Vec::new();
//! while let Some(bytes) = server.transmit() {
//!     out.extend_from_slice(&bytes);
//! }
//! assert!(out.ends_with(b"+OK fred's maildrop has 1 messages (120 octets)\r\n+OK 1 120\r\n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ```
//! use mailwire_pop3::client::{Config, Event, Session, StlsPolicy};
//! use mailwire_pop3::{Password, Session as _, UserName};
//!
//! let mut config = Config::default();
//! config.stls = StlsPolicy::Never;
//! config.plaintext_auth = true; // this example has no TLS
//! let mut client = Session::new(config);
//!
//! client.receive(b"+OK POP3 server ready\r\n");
//! assert_eq!(&client.transmit().unwrap()[..], b"CAPA\r\n");
//! client.receive(b"+OK\r\nUSER\r\n.\r\n");
//! assert!(matches!(client.poll_event(), Some(Event::Ready { .. })));
//! client.login(UserName::new("fred")?, Password::new("secret")?)?;
//! assert_eq!(&client.transmit().unwrap()[..], b"USER fred\r\n");
//! client.receive(b"+OK\r\n");
//! assert_eq!(&client.transmit().unwrap()[..], b"PASS secret\r\n");
//! client.receive(b"+OK maildrop has 1 message\r\n");
//! let mut events = std::iter::from_fn(|| client.poll_event());
//! assert!(events.any(|e| matches!(e, Event::LoggedIn { .. })));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod client;
pub mod codec;
pub mod server;
pub mod types;

/// The sans-IO session contract, secrets and the misuse error, re-exported so that this
/// crate can be driven without depending on mailwire-core ([`Session`] is the trait a
/// driver pumps; `server::Session` and `client::Session` implement it).
pub use mailwire_core::{Misuse, Secret, Session, Transport};

/// The SASL exchanges AUTH runs on, re-exported for their types ([`sasl::AuthQuestion`],
/// [`sasl::AuthAnswer`], [`sasl::ScramKeys`] …).
pub use mailwire_sasl as sasl;

pub use codec::{
    Decoded, MAX_COMMAND_LINE, MAX_RESPONSE_LINE, decode_capabilities, decode_lines,
    decode_scan_listings, decode_unique_id_listings, encode_capabilities, encode_lines,
    encode_scan_listings, encode_unique_id_listings, parse_continuation,
};
pub use types::{
    ApopDigest, ApopDigestError, ArgumentError, Capability, CapabilityError, Command, CommandError,
    Expire, ExtensionCode, Greeting, Implementation, InitialResponse, ListingError,
    MAX_INITIAL_RESPONSE_LEN, MAX_MECHANISM_LEN, MAX_PASSWORD_LEN, MAX_TIMESTAMP_LEN,
    MAX_UNIQUE_ID_LEN, MAX_USER_NAME_LEN, Mechanism, MessageNumber, OtherCapability, Password,
    Response, ResponseCode, ResponseError, ScanListing, Status, TextError, Timestamp,
    TimestampError, TimestampSequence, UniqueId, UniqueIdError, UniqueIdListing, UserName,
};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
