//! What a server offers and enforces.

use std::time::Duration;

use crate::types::path::Domain;
use crate::types::reply::Reply;
use mailwire_sasl::Mechanism;

/// What a DATA body may contain in place of CRLF line endings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum BareLineEndings {
    /// Bare CR and bare LF become CRLF in the body handed to the application. They never
    /// end the data: only `CRLF . CRLF` does.
    #[default]
    Normalize,
    /// Bare CR and LF pass through unchanged.
    Keep,
    /// A message with a bare CR or LF is refused with `550 5.6.0` once its data ends.
    Reject,
}

/// What the server offers and the limits it enforces.
///
/// ```
/// use mailwire_smtp::Domain;
/// use mailwire_smtp::server::Config;
///
/// let mut config = Config::new(Domain::new("mx.example.org").unwrap());
/// config.max_recipients = 50;
/// config.lmtp = true;
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// The name the server gives in its greeting and EHLO reply.
    pub hostname: Domain,
    /// Text after the name in the 220 greeting.
    pub greeting: String,
    /// Speak LMTP (RFC 2033): LHLO instead of EHLO / HELO, one reply per recipient after
    /// the data.
    pub lmtp: bool,
    /// Longest command line, CRLF included. Longer lines get `500` and are skipped. AUTH
    /// lines may reach 12288 octets (RFC 4954 §4) when AUTH is offered.
    pub max_line_len: usize,
    /// Recipients per transaction; more get `452 4.5.3`.
    pub max_recipients: usize,
    /// Largest message in octets, advertised with SIZE and enforced with `552 5.3.4`;
    /// `None` for no limit.
    pub max_message_size: Option<u64>,
    /// Errors (5xx replies to bad commands) before the server answers `421` and closes.
    pub max_errors: u32,
    /// Largest body chunk reported in one [`Event::MessageData`](super::Event::MessageData).
    pub chunk_size: usize,
    /// Offer PIPELINING (RFC 2920).
    pub pipelining: bool,
    /// Offer 8BITMIME (RFC 6152).
    pub eight_bit_mime: bool,
    /// Offer SMTPUTF8 (RFC 6531).
    pub smtputf8: bool,
    /// Offer CHUNKING (RFC 3030).
    pub chunking: bool,
    /// Offer BINARYMIME (RFC 3030); only together with CHUNKING.
    pub binary_mime: bool,
    /// Offer ENHANCEDSTATUSCODES (RFC 2034) and put enhanced codes in the session's replies.
    pub enhanced_status_codes: bool,
    /// Offer DSN (RFC 3461) and accept its parameters.
    pub dsn: bool,
    /// Offer REQUIRETLS (RFC 8689), over TLS only.
    pub require_tls_extension: bool,
    /// Offer STARTTLS (RFC 3207). Set it only if the driver can run a TLS handshake.
    pub starttls: bool,
    /// The connection is already encrypted (implicit TLS, port 465).
    pub implicit_tls: bool,
    /// Refuse MAIL (`530 5.7.0`) until the connection is encrypted.
    pub require_encryption: bool,
    /// SASL mechanisms offered with AUTH (RFC 4954), run through mailwire-sasl; empty to
    /// offer none. CRAM-MD5 and SCRAM-SHA-256 need a nonce per exchange
    /// ([`Session::set_auth_nonce`](super::Session::set_auth_nonce)).
    pub auth_mechanisms: Vec<Mechanism>,
    /// Offer AUTH on an unencrypted connection too. Off by default: credentials would
    /// cross the network in the clear.
    pub plaintext_auth: bool,
    /// Refuse MAIL (`530 5.7.0`) until the client authenticated.
    pub require_auth: bool,
    /// What to do with bare CR / LF in a DATA body.
    pub bare_line_endings: BareLineEndings,
    /// The answer to VRFY: by default `252 2.5.0`, neither confirming nor denying
    /// (RFC 5321 §3.5.3), so that addresses cannot be harvested.
    pub vrfy_reply: Reply,
    /// The answer to EXPN: by default `502 5.5.1`, not available.
    pub expn_reply: Reply,
    /// The answer to HELP: by default `214 2.0.0`.
    pub help_reply: Reply,
    /// How long the server waits for the client to send anything: 5 minutes, as RFC 5321
    /// §4.5.3.2.7 asks. Restarts with every byte received.
    pub timeout: Duration,
    /// The longest a command may take to arrive, from its first byte to its end, or `None`
    /// for no limit: 2 minutes by default, ample for a 1000-octet line on the slowest link
    /// or typed by hand, and short against [`timeout`](Self::timeout), which a client
    /// sending a byte now and then would otherwise stretch forever.
    ///
    /// A DATA or BDAT body counts as part of its command, its bound growing by one second
    /// for every [`min_transfer_rate`](Self::min_transfer_rate) octets received: RFC 5321
    /// gives a body only per-block timeouts (§4.5.3.2.5), which a trickle never trips.
    pub command_timeout: Option<Duration>,
    /// Octets per second a client must send on average while a command or body arrives
    /// (1024 by default); see [`command_timeout`](Self::command_timeout).
    pub min_transfer_rate: u64,
}

impl Config {
    /// The defaults: ESMTP with PIPELINING, SIZE 50 MiB, 8BITMIME, SMTPUTF8, CHUNKING,
    /// BINARYMIME and ENHANCEDSTATUSCODES; 100 recipients; 1000-octet lines; 10 errors;
    /// 64 KiB body chunks; no TLS, no AUTH; a 5-minute timeout, 2 minutes (plus one second
    /// per KiB) for a command or body to arrive.
    pub fn new(hostname: Domain) -> Self {
        Self {
            hostname,
            greeting: "ESMTP ready".into(),
            lmtp: false,
            max_line_len: 1000,
            max_recipients: 100,
            max_message_size: Some(50 * 1024 * 1024),
            max_errors: 10,
            chunk_size: 64 * 1024,
            pipelining: true,
            eight_bit_mime: true,
            smtputf8: true,
            chunking: true,
            binary_mime: true,
            enhanced_status_codes: true,
            dsn: false,
            require_tls_extension: false,
            starttls: false,
            implicit_tls: false,
            require_encryption: false,
            auth_mechanisms: Vec::new(),
            plaintext_auth: false,
            require_auth: false,
            bare_line_endings: BareLineEndings::Normalize,
            vrfy_reply: Reply::fixed(
                252,
                Some((2, 5, 0)),
                "Cannot VRFY user, but will accept message and attempt delivery",
            ),
            expn_reply: Reply::fixed(502, Some((5, 5, 1)), "EXPN not available"),
            help_reply: Reply::fixed(214, Some((2, 0, 0)), "See RFC 5321"),
            timeout: Duration::from_secs(5 * 60),
            command_timeout: Some(Duration::from_secs(2 * 60)),
            min_transfer_rate: 1024,
        }
    }
}
