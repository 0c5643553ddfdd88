//! Commands a client sends (RFC 5321 §4.1.1 and the extensions the crate implements).
//!
//! ```text
//! ehlo = "EHLO" SP ( Domain / address-literal ) CRLF
//! helo = "HELO" SP Domain CRLF                        ; address literals accepted too
//! lhlo = "LHLO" SP ( Domain / address-literal ) CRLF  ; RFC 2033
//! mail = "MAIL FROM:" Reverse-path [SP Mail-parameters] CRLF
//! rcpt = "RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" / Forward-path )
//!        [SP Rcpt-parameters] CRLF
//! data = "DATA" CRLF
//! bdat = "BDAT" SP chunk-size [ SP end-marker ] CRLF  ; RFC 3030
//! rset = "RSET" CRLF
//! vrfy = "VRFY" SP String CRLF
//! expn = "EXPN" SP String CRLF
//! help = "HELP" [ SP String ] CRLF
//! noop = "NOOP" [ SP String ] CRLF
//! quit = "QUIT" CRLF
//! starttls = "STARTTLS" CRLF                         ; RFC 3207
//! auth = "AUTH" SP sasl-mech [SP initial-response] CRLF  ; RFC 4954
//! ```
//!
//! Verbs are matched without regard to case. Decoding is lenient where deployed clients
//! are (a space after `FROM:`, trailing spaces) and strict where leniency would change the
//! meaning (only CRLF ends a line; a bare CR or LF inside one is refused).

use std::fmt;

use mailwire_core::Secret;

use crate::types::grammar::is_text;
use crate::types::mechanism::Mechanism;
use crate::types::param::{
    MailParameters, MailParametersRef, ParamError, RcptParameters, RcptParametersRef,
};
use crate::types::path::{
    ForwardPath, ForwardPathRef, Host, HostRef, PathError, ReversePath, ReversePathRef,
};
use crate::types::reply::Reply;

/// The longest command line a server must accept, CRLF included (RFC 5321 §4.5.3.1.4).
/// Lines with ESMTP parameters may be longer by the parameters' own limits; the server
/// session's default allows for that.
pub const MAX_COMMAND_LINE_LEN: usize = 512;

/// The verb of a command this crate knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Verb {
    /// `HELO`
    Helo,
    /// `EHLO`
    Ehlo,
    /// `LHLO`
    Lhlo,
    /// `MAIL`
    Mail,
    /// `RCPT`
    Rcpt,
    /// `DATA`
    Data,
    /// `BDAT`
    Bdat,
    /// `RSET`
    Rset,
    /// `VRFY`
    Vrfy,
    /// `EXPN`
    Expn,
    /// `HELP`
    Help,
    /// `NOOP`
    Noop,
    /// `QUIT`
    Quit,
    /// `STARTTLS`
    StartTls,
    /// `AUTH`
    Auth,
}

impl Verb {
    /// The verb as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Helo => "HELO",
            Self::Ehlo => "EHLO",
            Self::Lhlo => "LHLO",
            Self::Mail => "MAIL",
            Self::Rcpt => "RCPT",
            Self::Data => "DATA",
            Self::Bdat => "BDAT",
            Self::Rset => "RSET",
            Self::Vrfy => "VRFY",
            Self::Expn => "EXPN",
            Self::Help => "HELP",
            Self::Noop => "NOOP",
            Self::Quit => "QUIT",
            Self::StartTls => "STARTTLS",
            Self::Auth => "AUTH",
        }
    }

    /// Recognises a verb; the four-letter ones by one masked 32-bit compare.
    pub(crate) fn parse(verb: &[u8]) -> Option<Self> {
        const fn word(s: &[u8; 4]) -> u32 {
            u32::from_be_bytes(*s)
        }
        if let Ok(four) = <[u8; 4]>::try_from(verb) {
            // Clearing bit 5 upper-cases letters; no non-letter byte maps onto a letter.
            return Some(match u32::from_be_bytes(four) & 0xDFDF_DFDF {
                w if w == word(b"MAIL") => Self::Mail,
                w if w == word(b"RCPT") => Self::Rcpt,
                w if w == word(b"EHLO") => Self::Ehlo,
                w if w == word(b"DATA") => Self::Data,
                w if w == word(b"BDAT") => Self::Bdat,
                w if w == word(b"QUIT") => Self::Quit,
                w if w == word(b"RSET") => Self::Rset,
                w if w == word(b"HELO") => Self::Helo,
                w if w == word(b"LHLO") => Self::Lhlo,
                w if w == word(b"NOOP") => Self::Noop,
                w if w == word(b"AUTH") => Self::Auth,
                w if w == word(b"VRFY") => Self::Vrfy,
                w if w == word(b"EXPN") => Self::Expn,
                w if w == word(b"HELP") => Self::Help,
                _ => return None,
            });
        }
        verb.eq_ignore_ascii_case(b"STARTTLS")
            .then_some(Self::StartTls)
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A free-text command argument (VRFY, EXPN, HELP, NOOP): printable, no CR or LF, not
/// empty, no trailing space.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Argument(pub(crate) String);

impl Argument {
    /// Validates an argument.
    pub fn new(text: impl Into<String>) -> Option<Self> {
        let text = text.into();
        Self::is_valid(&text).then_some(Self(text))
    }

    pub(crate) fn is_valid(text: &str) -> bool {
        !text.is_empty() && is_text(text.as_bytes()) && !text.ends_with([' ', '\t'])
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The base64 initial response of AUTH (RFC 4954 §4), or `=` for an empty one. Never
/// printed by `Debug`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitialResponse(Secret<String>);

impl InitialResponse {
    /// Validates the base64 alphabet (`A-Z a-z 0-9 + / =`); `=` alone is an empty response.
    pub fn new(base64: impl Into<String>) -> Option<Self> {
        let base64 = base64.into();
        Self::is_valid(base64.as_bytes()).then(|| Self(Secret::new(base64)))
    }

    pub(crate) fn is_valid(base64: &[u8]) -> bool {
        !base64.is_empty()
            && base64
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
    }

    /// The base64 text as sent (`=` for empty).
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

/// An SMTP, ESMTP or LMTP command.
///
/// ```
/// use mailwire_smtp::{Command, Decoded, ForwardPath};
///
/// let Decoded::Complete { value, consumed } = Command::decode(b"RCPT TO:<Postmaster>\r\nQUIT\r\n")
/// else {
///     panic!()
/// };
/// assert_eq!(consumed, 22);
/// assert!(matches!(value, Command::Rcpt { to: ForwardPath::Postmaster, .. }));
/// assert_eq!(value.to_string(), "RCPT TO:<Postmaster>\r\n");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// `HELO host`
    Helo {
        /// The client's name for itself.
        host: Host,
    },
    /// `EHLO host`
    Ehlo {
        /// The client's name for itself.
        host: Host,
    },
    /// `LHLO host` (LMTP, RFC 2033)
    Lhlo {
        /// The client's name for itself.
        host: Host,
    },
    /// `MAIL FROM:<path> params`
    Mail {
        /// The sender, or `<>`.
        from: ReversePath,
        /// ESMTP parameters.
        params: MailParameters,
    },
    /// `RCPT TO:<path> params`
    Rcpt {
        /// The recipient.
        to: ForwardPath,
        /// ESMTP parameters.
        params: RcptParameters,
    },
    /// `DATA`
    Data,
    /// `BDAT size [LAST]` (RFC 3030): `size` octets of message data follow the line.
    Bdat {
        /// The chunk's length in octets: a length to check, never a buffer to reserve.
        size: u64,
        /// Whether this is the last chunk.
        last: bool,
    },
    /// `RSET`
    Rset,
    /// `VRFY string`
    Vrfy {
        /// The user or mailbox to verify.
        query: Argument,
    },
    /// `EXPN string`
    Expn {
        /// The list to expand.
        query: Argument,
    },
    /// `HELP [string]`
    Help {
        /// The topic.
        topic: Option<Argument>,
    },
    /// `NOOP [string]`
    Noop {
        /// Ignored text.
        text: Option<Argument>,
    },
    /// `QUIT`
    Quit,
    /// `STARTTLS` (RFC 3207)
    StartTls,
    /// `AUTH mechanism [initial-response]` (RFC 4954)
    Auth {
        /// The SASL mechanism.
        mechanism: Mechanism,
        /// The first client response, base64.
        initial_response: Option<InitialResponse>,
    },
}

/// Why a command line was refused, with what the server needs to answer it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The verb is not one this crate knows.
    #[error("unrecognized command {verb:?}")]
    Unrecognized {
        /// The verb as sent (at most 32 bytes, lossily decoded).
        verb: String,
    },
    /// The arguments do not follow the command's syntax.
    #[error("syntax error in {verb} arguments")]
    Syntax {
        /// The command.
        verb: Verb,
    },
    /// The MAIL or RCPT path is malformed or too long.
    #[error("invalid {verb} path: {error}")]
    Path {
        /// MAIL or RCPT.
        verb: Verb,
        /// What is wrong with it.
        error: PathError,
    },
    /// The MAIL or RCPT parameters are malformed.
    #[error("invalid {verb} parameters: {error}")]
    Param {
        /// MAIL or RCPT.
        verb: Verb,
        /// What is wrong with them.
        error: ParamError,
    },
    /// The line holds a CR or LF that is not part of its CRLF ending.
    #[error("bare CR or LF in command line")]
    BareLineEnding,
}

impl CommandError {
    /// The reply a server sends for this error.
    ///
    /// ```
    /// use mailwire_smtp::{Command, Decoded};
    ///
    /// let Decoded::Invalid { error, consumed } = Command::decode(b"FOO bar\r\n") else { panic!() };
    /// assert_eq!(consumed, 9);
    /// assert_eq!(error.reply().to_string(), "500 5.5.1 Command unrecognized\r\n");
    /// ```
    pub fn reply(&self) -> Reply {
        match self {
            Self::Unrecognized { .. } => Reply::fixed(500, Some((5, 5, 1)), "Command unrecognized"),
            Self::BareLineEnding => Reply::fixed(
                500,
                Some((5, 5, 2)),
                "Bare CR or LF not allowed in commands",
            ),
            Self::Syntax { .. } => Reply::fixed(
                501,
                Some((5, 5, 4)),
                "Syntax error in parameters or arguments",
            ),
            Self::Path {
                error: PathError::PathTooLong,
                ..
            } => Reply::fixed(501, Some((5, 5, 4)), "Path too long"),
            Self::Path {
                verb: Verb::Mail, ..
            } => Reply::fixed(501, Some((5, 1, 7)), "Bad sender address syntax"),
            Self::Path { .. } => Reply::fixed(501, Some((5, 1, 3)), "Bad recipient address syntax"),
            Self::Param { .. } => Reply::fixed(501, Some((5, 5, 4)), "Invalid parameter"),
        }
    }
}

impl Command {
    /// The command's verb.
    pub fn verb(&self) -> Verb {
        match self {
            Self::Helo { .. } => Verb::Helo,
            Self::Ehlo { .. } => Verb::Ehlo,
            Self::Lhlo { .. } => Verb::Lhlo,
            Self::Mail { .. } => Verb::Mail,
            Self::Rcpt { .. } => Verb::Rcpt,
            Self::Data => Verb::Data,
            Self::Bdat { .. } => Verb::Bdat,
            Self::Rset => Verb::Rset,
            Self::Vrfy { .. } => Verb::Vrfy,
            Self::Expn { .. } => Verb::Expn,
            Self::Help { .. } => Verb::Help,
            Self::Noop { .. } => Verb::Noop,
            Self::Quit => Verb::Quit,
            Self::StartTls => Verb::StartTls,
            Self::Auth { .. } => Verb::Auth,
        }
    }
}

impl fmt::Display for Command {
    /// The wire form, CRLF included. The AUTH initial response is shown as written, so do
    /// not log the `Display` of an AUTH command; `Debug` redacts it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::new();
        crate::codec::encode_command(self, &mut out);
        f.write_str(&String::from_utf8_lossy(&out))
    }
}

/// A command as sent, every text a view into the line it was parsed from: the same grammar,
/// limits and errors as [`Command`], without copying anything.
///
/// [`CommandRef::into_owned`] gives the [`Command`] that [`Command::decode`] would have.
/// Texts that have a canonical form in `Command` are kept as sent here: the AUTH mechanism
/// keeps its case, and xtext parameter values stay encoded ([`XTextRef`](crate::XTextRef)).
///
/// ```
/// use mailwire_smtp::{CommandRef, Decoded, HostRef, ReversePathRef};
///
/// let input = b"MAIL FROM:<Smith@bar.com> SIZE=1024 X-TAG=a\r\nRCPT";
/// let Decoded::Complete { value, consumed } = CommandRef::decode(input) else { panic!() };
/// assert_eq!(consumed, 45);
/// let CommandRef::Mail { from: ReversePathRef::Mailbox(from), params } = &value else {
///     panic!()
/// };
/// assert_eq!(from.local_part(), "Smith");
/// let HostRef::Domain(domain) = from.host() else { panic!() };
/// assert_eq!(domain.as_str(), "bar.com");
/// assert_eq!(params.size, Some(1024));
/// let other: Vec<_> = params.other().map(|p| (p.keyword(), p.value())).collect();
/// assert_eq!(other, [("X-TAG", Some("a"))]);
/// assert_eq!(value.into_owned().to_string(), "MAIL FROM:<Smith@bar.com> SIZE=1024 X-TAG=a\r\n");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CommandRef<'a> {
    /// `HELO host`
    Helo {
        /// The client's name for itself.
        host: HostRef<'a>,
    },
    /// `EHLO host`
    Ehlo {
        /// The client's name for itself.
        host: HostRef<'a>,
    },
    /// `LHLO host` (LMTP, RFC 2033)
    Lhlo {
        /// The client's name for itself.
        host: HostRef<'a>,
    },
    /// `MAIL FROM:<path> params`
    Mail {
        /// The sender, or `<>`.
        from: ReversePathRef<'a>,
        /// ESMTP parameters.
        params: MailParametersRef<'a>,
    },
    /// `RCPT TO:<path> params`
    Rcpt {
        /// The recipient.
        to: ForwardPathRef<'a>,
        /// ESMTP parameters.
        params: RcptParametersRef<'a>,
    },
    /// `DATA`
    Data,
    /// `BDAT size [LAST]` (RFC 3030)
    Bdat {
        /// The chunk's length in octets: a length to check, never a buffer to reserve.
        size: u64,
        /// Whether this is the last chunk.
        last: bool,
    },
    /// `RSET`
    Rset,
    /// `VRFY string`
    Vrfy {
        /// The user or mailbox to verify, valid as an [`Argument`].
        query: &'a str,
    },
    /// `EXPN string`
    Expn {
        /// The list to expand, valid as an [`Argument`].
        query: &'a str,
    },
    /// `HELP [string]`
    Help {
        /// The topic, valid as an [`Argument`].
        topic: Option<&'a str>,
    },
    /// `NOOP [string]`
    Noop {
        /// Ignored text, valid as an [`Argument`].
        text: Option<&'a str>,
    },
    /// `QUIT`
    Quit,
    /// `STARTTLS` (RFC 3207)
    StartTls,
    /// `AUTH mechanism [initial-response]` (RFC 4954)
    Auth {
        /// The SASL mechanism name as sent, valid as a [`Mechanism`]; compare it without
        /// regard to case.
        mechanism: &'a str,
        /// The first client response, base64, valid as an [`InitialResponse`].
        initial_response: Option<Secret<&'a str>>,
    },
}

impl<'a> CommandRef<'a> {
    /// The command's verb.
    pub fn verb(&self) -> Verb {
        match self {
            Self::Helo { .. } => Verb::Helo,
            Self::Ehlo { .. } => Verb::Ehlo,
            Self::Lhlo { .. } => Verb::Lhlo,
            Self::Mail { .. } => Verb::Mail,
            Self::Rcpt { .. } => Verb::Rcpt,
            Self::Data => Verb::Data,
            Self::Bdat { .. } => Verb::Bdat,
            Self::Rset => Verb::Rset,
            Self::Vrfy { .. } => Verb::Vrfy,
            Self::Expn { .. } => Verb::Expn,
            Self::Help { .. } => Verb::Help,
            Self::Noop { .. } => Verb::Noop,
            Self::Quit => Verb::Quit,
            Self::StartTls => Verb::StartTls,
            Self::Auth { .. } => Verb::Auth,
        }
    }

    /// The owned command, as [`Command::parse_line`] gives it.
    #[inline]
    pub fn into_owned(self) -> Command {
        let owned = |arg: &str| Argument(arg.to_owned());
        match self {
            Self::Helo { host } => Command::Helo {
                host: host.into_owned(),
            },
            Self::Ehlo { host } => Command::Ehlo {
                host: host.into_owned(),
            },
            Self::Lhlo { host } => Command::Lhlo {
                host: host.into_owned(),
            },
            Self::Mail { from, params } => Command::Mail {
                from: from.into_owned(),
                params: params.into_owned(),
            },
            Self::Rcpt { to, params } => Command::Rcpt {
                to: to.into_owned(),
                params: params.into_owned(),
            },
            Self::Data => Command::Data,
            Self::Bdat { size, last } => Command::Bdat { size, last },
            Self::Rset => Command::Rset,
            Self::Vrfy { query } => Command::Vrfy {
                query: owned(query),
            },
            Self::Expn { query } => Command::Expn {
                query: owned(query),
            },
            Self::Help { topic } => Command::Help {
                topic: topic.map(owned),
            },
            Self::Noop { text } => Command::Noop {
                text: text.map(owned),
            },
            Self::Quit => Command::Quit,
            Self::StartTls => Command::StartTls,
            Self::Auth {
                mechanism,
                initial_response,
            } => Command::Auth {
                mechanism: Mechanism::from_valid(mechanism),
                initial_response: initial_response
                    .map(|r| InitialResponse(Secret::new((*r.expose()).to_owned()))),
            },
        }
    }
}
