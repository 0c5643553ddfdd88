//! SASL mechanisms as sans-IO exchanges, for SMTP, POP3 and IMAP sessions.
//!
//! Each exchange is a state machine over the mechanism's messages: it takes the peer's
//! message (already base64-decoded, or as the raw line) and returns the next message to
//! send or the outcome. It does no I/O, reads no clock and draws no random numbers:
//! CRAM-MD5 challenges and SCRAM nonces come from the caller.
//!
//! | Mechanism | RFC | Client | Server asks the application |
//! | --- | --- | --- | --- |
//! | `PLAIN` | 4616 | [`ClientExchange::plain`] | [`AuthQuestion::Password`] |
//! | `LOGIN` | draft-murchison-sasl-login | [`ClientExchange::login`] | [`AuthQuestion::Password`] |
//! | `CRAM-MD5` | 2195 | [`ClientExchange::cram_md5`] | [`AuthQuestion::Secret`] |
//! | `XOAUTH2` | Google | [`ClientExchange::xoauth2`] | [`AuthQuestion::Token`] |
//! | `OAUTHBEARER` | 7628 | [`ClientExchange::oauthbearer`] | [`AuthQuestion::Token`] |
//! | `SCRAM-SHA-256` | 5802, 7677 | [`ClientExchange::scram_sha256`] | [`AuthQuestion::ScramKeys`] |
//!
//! - [`Mechanism`] names the mechanisms, case-insensitively.
//! - [`line`](mod@line) holds the base64 line helpers SMTP, POP3 and IMAP share: the empty response
//!   `=`, the cancelling `*`, a typed error for bad base64.
//! - [`ServerExchange`] yields [`ServerStep`]s: challenges to send, questions for the
//!   application as one [`AuthQuestion`] (check this password or token, look up this
//!   secret or these keys) answered with one [`AuthAnswer`], and the outcome — an [`Identity`] (authcid and authzid) or a typed [`AuthError`]. The
//!   application decides credentials; the exchange checks digests and proofs, in constant
//!   time.
//! - [`ClientExchange`] builds the initial response, answers challenges, and succeeds in
//!   [`ClientExchange::finish`] only once the exchange has completed and, for SCRAM, the
//!   server has proved itself.
//! - [`ScramKeys`] is what a SCRAM server stores instead of the password.
//! - [`AuthQuestion`] and [`AuthAnswer`] are also what every mailwire server session asks
//!   and takes for its protocol's own logins (IMAP `LOGIN`, POP3 `USER` / `PASS` and
//!   `APOP`, with [`Method`] telling which), so an application answers authentication
//!   one way for SMTP, POP3 and IMAP.
//!
//! Passwords and tokens are [`mailwire_core::Secret`]s, so they stay out of `Debug` output.
//!
//! # Example: PLAIN
//!
//! Over lines, as an SMTP client and server exchange them:
//!
//! ```
//! use mailwire_core::Secret;
//! use mailwire_sasl::{
//!     AuthAnswer, AuthQuestion, ClientExchange, Identity, Mechanism, ServerExchange, ServerStep,
//! };
//!
//! let mut client =
//!     ClientExchange::plain(Some("Ursel"), "Kurt", &Secret::new("xipj3plmq".into())).unwrap();
//!
//! // C: AUTH PLAIN VXJzZWwAS3VydAB4aXBqM3BsbXE=
//! let line = client.initial_response_line().unwrap();
//! assert_eq!(line, "VXJzZWwAS3VydAB4aXBqM3BsbXE=");
//!
//! // The server session parses the command and starts the exchange with its argument.
//! let mechanism: Mechanism = "plain".parse().unwrap();
//! let mut server = ServerExchange::new(mechanism, "").unwrap();
//! let step = server.start_line(Some(line.as_bytes()));
//! let ServerStep::Question(AuthQuestion::Password { authcid, authzid, password, .. }) = step
//! else {
//!     panic!()
//! };
//! assert_eq!((authcid.as_str(), authzid.as_deref()), ("Kurt", Some("Ursel")));
//!
//! // The application checks the password, and that Kurt may act as Ursel.
//! assert_eq!(password.expose(), "xipj3plmq");
//! let step = server.answer(AuthAnswer::Accept).unwrap();
//! assert_eq!(
//!     step,
//!     ServerStep::Success {
//!         identity: Identity { authcid: "Kurt".into(), authzid: Some("Ursel".into()) },
//!         additional_data: None,
//!     }
//! );
//!
//! // S: 235 2.7.0 Authentication successful
//! client.finish(None).unwrap();
//! ```
//!
//! # Example: SCRAM-SHA-256
//!
//! The server stores [`ScramKeys`], never the password. The nonces would be random.
//!
//! ```
//! use mailwire_core::Secret;
//! use mailwire_sasl::{AuthAnswer, AuthQuestion, ClientExchange, ScramKeys, ServerExchange, ServerStep};
//!
//! // When the password is set:
//! let stored = ScramKeys::derive("pencil", b"a random salt", 4096);
//!
//! let mut client = ClientExchange::scram_sha256(
//!     None,
//!     "user",
//!     &Secret::new("pencil".into()),
//!     "rOprNGfwEbeRWgbNEkqO",
//! )
//! .unwrap();
//! let mut server = ServerExchange::scram_sha256("%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0").unwrap();
//!
//! // C: AUTH SCRAM-SHA-256 <client-first>
//! let client_first = client.initial_response().unwrap();
//! let step = server.start(Some(&client_first));
//! let ServerStep::Question(AuthQuestion::ScramKeys { authcid, .. }) = step else {
//!     panic!()
//! };
//! assert_eq!(authcid, "user");
//!
//! // S: 334 <server-first>     C: <client-final>
//! let step = server.answer(AuthAnswer::ScramKeys(stored)).unwrap();
//! let ServerStep::Challenge(server_first) = step else {
//!     panic!()
//! };
//! let client_final = client.respond(&server_first).unwrap();
//!
//! // S: 334 <server-final>     C: (empty), which the client sends only if it verified
//! let ServerStep::Challenge(server_final) = server.receive(&client_final) else { panic!() };
//! assert!(server_final.starts_with(b"v="));
//! let ack = client.respond(&server_final).unwrap();
//! assert!(ack.is_empty());
//!
//! // S: 235 2.7.0 Authentication successful
//! let ServerStep::Success { identity, .. } = server.receive(&ack) else { panic!() };
//! assert_eq!(identity.authcid, "user");
//! client.finish(None).unwrap();
//! ```
#![forbid(unsafe_code)]

mod client;
mod error;
mod gs2;
pub mod line;
mod mechanism;
mod oauth;
mod question;
pub mod scram;
mod server;

pub use client::ClientExchange;
pub use error::{AuthError, ClientError, InvalidInput};
pub use mechanism::{Mechanism, UnknownMechanism};
pub use oauth::OAuthError;
pub use question::{AuthAnswer, AuthQuestion, AuthQuestionKind, Method, WrongAnswer};
pub use scram::ScramKeys;
pub use server::{Identity, ServerExchange, ServerStep};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
