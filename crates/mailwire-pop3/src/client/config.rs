//! What a client allows itself.

use std::time::Duration;

/// Whether the client upgrades with `STLS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum StlsPolicy {
    /// Never send `STLS`.
    Never,
    /// Send `STLS` when the server advertises it.
    Opportunistic,
    /// Send `STLS` whatever `CAPA` says, and give up if the server refuses (the default).
    #[default]
    Required,
}

/// Client settings, built from [`Config::default`], then fields set:
///
/// ```
/// use mailwire_pop3::client::{Config, StlsPolicy};
///
/// let mut config = Config::default();
/// config.stls = StlsPolicy::Opportunistic;
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// The connection is TLS from the start (port 995); `STLS` is then never sent.
    pub implicit_tls: bool,
    /// The `STLS` policy for a connection that starts in plaintext.
    pub stls: StlsPolicy,
    /// Send a password (`USER` / `PASS`, SASL `PLAIN`) over a connection without TLS.
    pub plaintext_auth: bool,
    /// Log in with APOP when the greeting offers it and SASL is not available. APOP keeps
    /// the password off the wire but relies on MD5.
    pub allow_apop: bool,
    /// Longest line accepted from the server, CRLF included.
    pub max_line: usize,
    /// How long to wait for the server.
    pub timeout: Duration,
    /// Most entries accepted in one `LIST`, `UIDL` or `CAPA` listing; a longer one is a
    /// protocol error, so a hostile server cannot make the client hold unbounded memory.
    pub max_listing_entries: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            implicit_tls: false,
            stls: StlsPolicy::default(),
            plaintext_auth: false,
            allow_apop: true,
            max_line: crate::codec::MAX_RESPONSE_LINE,
            timeout: Duration::from_secs(600),
            max_listing_entries: 250_000,
        }
    }
}
