//! How a client connects, and what it sends.

use std::time::Duration;

use mailwire_core::Secret;

use crate::types::param::{Body, Notify, OriginalRecipient, Ret};
use crate::types::path::{ForwardPath, Host, ReversePath};
use crate::types::xtext::XText;

/// When the client upgrades to TLS with STARTTLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TlsPolicy {
    /// Whenever the server offers STARTTLS (the driver must be able to run a handshake).
    #[default]
    Opportunistic,
    /// Always; give up if the server does not offer STARTTLS or refuses it.
    Required,
    /// Never.
    Never,
}

/// What the client authenticates with.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Credentials {
    /// A password: SCRAM-SHA-256 (given a nonce), CRAM-MD5, PLAIN or LOGIN, the strongest
    /// the server offers.
    Password {
        /// The authentication identity.
        username: String,
        /// The password; never printed.
        password: Secret<String>,
        /// The identity to act as, if not the user's own (PLAIN and SCRAM only).
        authzid: Option<String>,
    },
    /// An OAuth 2.0 bearer token: OAUTHBEARER or XOAUTH2.
    Token {
        /// The user the token belongs to.
        username: String,
        /// The token; never printed.
        token: Secret<String>,
    },
}

impl Credentials {
    /// A user name and password.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self::Password {
            username: username.into(),
            password: Secret::new(password.into()),
            authzid: None,
        }
    }

    /// A user name and bearer token.
    pub fn token(username: impl Into<String>, token: impl Into<String>) -> Self {
        Self::Token {
            username: username.into(),
            token: Secret::new(token.into()),
        }
    }
}

/// How the client introduces itself and secures the connection.
///
/// ```
/// use mailwire_smtp::Host;
/// use mailwire_smtp::client::{Config, Credentials, TlsPolicy};
///
/// let mut config = Config::new(Host::parse("client.example.org").unwrap());
/// config.tls = TlsPolicy::Required;
/// config.credentials = Some(Credentials::new("tim", "tanstaaf"));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// The name sent with EHLO / HELO / LHLO.
    pub hostname: Host,
    /// Speak LMTP (RFC 2033): LHLO, and one reply per recipient after the data.
    pub lmtp: bool,
    /// When to use STARTTLS.
    pub tls: TlsPolicy,
    /// The connection is already encrypted (implicit TLS, port 465).
    pub implicit_tls: bool,
    /// Authenticate with these after EHLO (and after TLS, if any).
    pub credentials: Option<Credentials>,
    /// Use mechanisms that send the password or token itself (PLAIN, LOGIN, XOAUTH2,
    /// OAUTHBEARER) over an unencrypted connection. Off by default.
    pub plaintext_auth: bool,
    /// A fresh, unpredictable nonce (printable ASCII without `,`, 18 random bytes in
    /// base64 is usual) that lets the client use SCRAM-SHA-256. The session draws no
    /// random numbers itself.
    pub scram_nonce: Option<String>,
    /// Longest reply line accepted, CRLF included.
    pub max_reply_line_len: usize,
    /// How long to wait for the server at each step.
    pub timeouts: Timeouts,
}

/// How long the client waits for the server, per step of the conversation (RFC 5321
/// §4.5.3.2). Each wait restarts with every byte received.
///
/// ```
/// use std::time::Duration;
/// use mailwire_smtp::client::Timeouts;
///
/// let mut timeouts = Timeouts::default();
/// assert_eq!(timeouts.data_termination, Duration::from_secs(600));
/// timeouts.greeting = Duration::from_secs(30);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// For the 220 greeting: 5 minutes (§4.5.3.2.1).
    pub greeting: Duration,
    /// For the reply to MAIL: 5 minutes (§4.5.3.2.2).
    pub mail: Duration,
    /// For the reply to each RCPT: 5 minutes (§4.5.3.2.3).
    pub rcpt: Duration,
    /// For the 354 that answers DATA: 2 minutes (§4.5.3.2.4).
    pub data_initiation: Duration,
    /// While the body is being written, for the server to take each block: 3 minutes
    /// (§4.5.3.2.5).
    pub data_block: Duration,
    /// For the reply to the final `.` or the last BDAT chunk: 10 minutes (§4.5.3.2.6), as
    /// the server may deliver the message before it answers.
    pub data_termination: Duration,
    /// For the replies to EHLO, STARTTLS, AUTH, RSET, QUIT and BDAT chunks before the
    /// last, which RFC 5321 gives no time of their own: 5 minutes, as for MAIL.
    pub command: Duration,
}

impl Default for Timeouts {
    /// RFC 5321 §4.5.3.2's values.
    fn default() -> Self {
        Self {
            greeting: Duration::from_secs(5 * 60),
            mail: Duration::from_secs(5 * 60),
            rcpt: Duration::from_secs(5 * 60),
            data_initiation: Duration::from_secs(2 * 60),
            data_block: Duration::from_secs(3 * 60),
            data_termination: Duration::from_secs(10 * 60),
            command: Duration::from_secs(5 * 60),
        }
    }
}

impl Config {
    /// Defaults: SMTP, opportunistic STARTTLS, no AUTH, 4096-octet reply lines, RFC 5321's
    /// timeouts.
    pub fn new(hostname: Host) -> Self {
        Self {
            hostname,
            lmtp: false,
            tls: TlsPolicy::Opportunistic,
            implicit_tls: false,
            credentials: None,
            plaintext_auth: false,
            scram_nonce: None,
            max_reply_line_len: 4096,
            timeouts: Timeouts::default(),
        }
    }
}

/// One message's envelope and what the client needs to know about its content to pick the
/// MAIL parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Envelope {
    /// The sender, or `<>`.
    pub from: ReversePath,
    /// The recipients, at least one.
    pub recipients: Vec<ForwardPath>,
    /// The message size in octets, if known; sent as SIZE= when the server offers SIZE and
    /// checked against its limit before anything is sent.
    pub size: Option<u64>,
    /// What the content holds: 7-bit, 8-bit or binary.
    pub body: Body,
    /// Whether the message needs SMTPUTF8 (UTF-8 in its header). Non-ASCII addresses in the
    /// envelope require it whatever this says.
    pub utf8_headers: bool,
    /// DSN requests (RFC 3461): sent when the server offers DSN, dropped otherwise (the
    /// server then reports as it always does).
    pub dsn: DsnRequest,
    /// REQUIRETLS (RFC 8689): the message must travel over TLS all the way; refused early
    /// unless the server offers REQUIRETLS on an encrypted connection.
    pub require_tls: bool,
}

/// What delivery status notifications the sender asks for (RFC 3461).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DsnRequest {
    /// `RET=`: the whole message or only its headers in a failure report.
    pub ret: Option<Ret>,
    /// `ENVID=`: the sender's identifier for this transaction.
    pub envid: Option<XText>,
    /// `NOTIFY=` for every recipient that does not ask for its own in `recipients`.
    pub notify: Option<Notify>,
    /// What each recipient asks for itself, by position in [`Envelope::recipients`]
    /// (RFC 3461 §4.1 and §4.2 make NOTIFY and ORCPT parameters of each RCPT). A
    /// recipient past the end of this list gets `notify` and no ORCPT.
    pub recipients: Vec<RecipientDsn>,
}

/// The DSN parameters of one RCPT (RFC 3461 §4.1, §4.2).
///
/// ```
/// use mailwire_smtp::client::RecipientDsn;
/// use mailwire_smtp::{Notify, OriginalRecipient, XText};
///
/// let dsn = RecipientDsn::new(
///     Some(Notify { success: true, ..Notify::NEVER }),
///     OriginalRecipient::new("rfc822", XText::new(b"Bob@example.com".to_vec())),
/// );
/// assert_eq!(dsn.orcpt.unwrap().address().to_string(), "Bob@example.com");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecipientDsn {
    /// `NOTIFY=` for this recipient; `None` falls back to [`DsnRequest::notify`].
    pub notify: Option<Notify>,
    /// `ORCPT=addr-type;xtext`: the recipient as the sender first gave it.
    pub orcpt: Option<OriginalRecipient>,
}

impl RecipientDsn {
    /// A recipient's own NOTIFY and ORCPT.
    pub fn new(notify: Option<Notify>, orcpt: Option<OriginalRecipient>) -> Self {
        Self { notify, orcpt }
    }
}

impl DsnRequest {
    /// The NOTIFY and ORCPT parameters for the recipient at `index`.
    pub(crate) fn for_recipient(
        &self,
        index: usize,
    ) -> (Option<Notify>, Option<&OriginalRecipient>) {
        match self.recipients.get(index) {
            Some(own) => (own.notify.or(self.notify), own.orcpt.as_ref()),
            None => (self.notify, None),
        }
    }
}

impl Envelope {
    /// An envelope for a 7-bit message of unknown size.
    pub fn new(from: ReversePath, recipients: Vec<ForwardPath>) -> Self {
        Self {
            from,
            recipients,
            size: None,
            body: Body::SevenBit,
            utf8_headers: false,
            dsn: DsnRequest::default(),
            require_tls: false,
        }
    }

    /// An envelope whose size, body type and header encoding are read from the message:
    /// NUL or a line over 998 octets makes it binary, any other octet over 127 makes it
    /// 8-bit, and one in the header makes it need SMTPUTF8.
    ///
    /// ```
    /// use mailwire_smtp::client::Envelope;
    /// use mailwire_smtp::{Body, ForwardPath, ReversePath};
    ///
    /// let to = vec![ForwardPath::Postmaster];
    /// let e = Envelope::for_message(ReversePath::Null, to, "Subject: caf\u{e9}\r\n\r\nhi\r\n".as_bytes());
    /// assert_eq!((e.size, e.body, e.utf8_headers), (Some(22), Body::EightBitMime, true));
    /// ```
    pub fn for_message(from: ReversePath, recipients: Vec<ForwardPath>, message: &[u8]) -> Self {
        let header_end = memchr::memmem::find(message, b"\r\n\r\n").unwrap_or(message.len());
        let long_line = message.split(|&b| b == b'\n').any(|line| line.len() > 999);
        let body = if long_line || memchr::memchr(0, message).is_some() {
            Body::BinaryMime
        } else if message.iter().any(|&b| b >= 0x80) {
            Body::EightBitMime
        } else {
            Body::SevenBit
        };
        Self {
            from,
            recipients,
            size: u64::try_from(message.len()).ok(),
            body,
            utf8_headers: !message[..header_end].is_ascii(),
            dsn: DsnRequest::default(),
            require_tls: false,
        }
    }

    /// Whether the transaction needs SMTPUTF8.
    pub fn needs_smtputf8(&self) -> bool {
        self.utf8_headers
            || self.from.mailbox().is_some_and(|m| !m.is_ascii())
            || self
                .recipients
                .iter()
                .any(|r| r.mailbox().is_some_and(|m| !m.is_ascii()))
    }
}
