//! What a server offers and its limits.

use std::time::Duration;

use mailwire_sasl::Mechanism;

use crate::types::capability::{Expire, Implementation};

/// When `USER` / `PASS` are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PlaintextLogin {
    /// Never: only APOP or SASL (and SASL PLAIN / LOGIN only over TLS).
    Never,
    /// Only over TLS, implicit or after `STLS` (the default, RFC 2595 §3.1).
    #[default]
    RequireTls,
    /// Also over an unencrypted connection. The password crosses the network in clear.
    Allow,
}

/// Server settings, shared by all connections.
///
/// Built from [`Config::default`], then fields set:
///
/// ```
/// use mailwire_pop3::server::{Config, PlaintextLogin};
///
/// let mut config = Config::default();
/// config.host = "pop.example.org".to_owned();
/// config.plaintext_login = PlaintextLogin::Allow;
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// The host name used in the goodbye line.
    pub host: String,
    /// The greeting's text; an APOP timestamp is appended to it.
    pub greeting: String,
    /// `USER` / `PASS` policy.
    pub plaintext_login: PlaintextLogin,
    /// Offer `APOP` (off by default: the server needs every user's secret in plaintext, and
    /// MD5 is weak). Needs a timestamp per connection, see
    /// [`Session::with_apop_timestamp`](super::Session::with_apop_timestamp).
    pub apop: bool,
    /// SASL mechanisms offered with `AUTH` (RFC 5034) and listed by `CAPA`; the session runs
    /// the exchanges with `mailwire_sasl::ServerExchange` and asks the application only
    /// what each needs ([`Event::Auth`](super::Event::Auth)). Those that carry a reusable
    /// secret (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER) follow [`Config::plaintext_login`]:
    /// before TLS they are offered only with [`PlaintextLogin::Allow`]. CRAM-MD5 and
    /// SCRAM-SHA-256 need a nonce per exchange
    /// ([`Session::set_auth_nonce`](super::Session::set_auth_nonce)); CRAM-MD5 also needs
    /// every user's secret in plaintext on the server and rests on MD5, so list it only
    /// for clients that know nothing better.
    pub sasl_mechanisms: Vec<Mechanism>,
    /// Offer `STLS`; the driver must then be able to start TLS.
    pub stls: bool,
    /// The connection is TLS from the start (port 995).
    pub implicit_tls: bool,
    /// Offer `UTF8` (RFC 6856).
    pub utf8: bool,
    /// Answer `TOP`.
    pub top: bool,
    /// Answer `UIDL`.
    pub uidl: bool,
    /// Announce `PIPELINING`. Commands are always answered in order; this only tells clients
    /// they may send several at once.
    pub pipelining: bool,
    /// Announce `EXPIRE`.
    pub expire: Option<Expire>,
    /// Announce `LOGIN-DELAY` with this many seconds.
    pub login_delay: Option<u32>,
    /// Announce `IMPLEMENTATION`.
    pub implementation: Option<Implementation>,
    /// Failed logins after which the connection is closed.
    pub max_login_failures: u32,
    /// Invalid or misplaced commands after which the connection is closed.
    pub max_errors: u32,
    /// Longest command line, CRLF included (255 per RFC 2449 §4).
    pub max_command_line: usize,
    /// Longest SASL response line during `AUTH`, CRLF included.
    pub max_sasl_line: usize,
    /// Unprocessed input held while waiting for the application, before
    /// [`wants_input`](mailwire_core::Session::wants_input) turns false.
    pub max_buffered_input: usize,
    /// The inactivity timeout; RFC 1939 §3 asks for at least 10 minutes (the default).
    /// Restarts with every byte received.
    pub timeout: Duration,
    /// The longest a command line may take to arrive, from its first byte to its CRLF, or
    /// `None` for no limit: 2 minutes by default, ample for a 255-octet line on the slowest
    /// link or typed by hand, and short against [`timeout`](Self::timeout), which a client
    /// sending a byte now and then would otherwise stretch forever. Like the inactivity
    /// timeout, it closes the connection without a response and without UPDATE.
    pub command_timeout: Option<Duration>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            host: "localhost".to_owned(),
            greeting: "POP3 server ready".to_owned(),
            plaintext_login: PlaintextLogin::default(),
            apop: false,
            sasl_mechanisms: Vec::new(),
            stls: false,
            implicit_tls: false,
            utf8: false,
            top: true,
            uidl: true,
            pipelining: true,
            expire: None,
            login_delay: None,
            implementation: None,
            max_login_failures: 3,
            max_errors: 10,
            max_command_line: crate::codec::MAX_COMMAND_LINE,
            max_sasl_line: 12 * 1024,
            max_buffered_input: 64 * 1024,
            timeout: Duration::from_secs(600),
            command_timeout: Some(Duration::from_secs(2 * 60)),
        }
    }
}
