//! Commands a client sends (RFC 1939 §4–§7, RFC 2449, RFC 2595, RFC 5034, RFC 6856).

use crate::types::{
    apop::ApopDigest,
    argument::{ArgumentError, InitialResponse, Mechanism, MessageNumber, Password, UserName},
};

/// A POP3 command.
///
/// ```text
/// command = keyword *(SP argument) CRLF   ; 255 octets maximum (RFC 2449 §4)
/// keyword = 3*4 ALPHA                     ; case-insensitive
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// `USER name` (RFC 1939 §7).
    User {
        /// The mailbox.
        name: UserName,
    },
    /// `PASS string` (RFC 1939 §7).
    Pass {
        /// The password.
        password: Password,
    },
    /// `APOP name digest` (RFC 1939 §7).
    Apop {
        /// The mailbox.
        name: UserName,
        /// MD5 of the greeting's timestamp and the shared secret.
        digest: ApopDigest,
    },
    /// `AUTH mechanism [initial-response]` (RFC 5034 §4).
    Auth {
        /// The SASL mechanism.
        mechanism: Mechanism,
        /// The first client response, sent with the command (`=` on the wire when empty).
        initial_response: Option<InitialResponse>,
    },
    /// `STAT` (RFC 1939 §5).
    Stat,
    /// `LIST [msg]` (RFC 1939 §5).
    List {
        /// One message, or all of them.
        message: Option<MessageNumber>,
    },
    /// `RETR msg` (RFC 1939 §5).
    Retr {
        /// The message.
        message: MessageNumber,
    },
    /// `DELE msg` (RFC 1939 §5).
    Dele {
        /// The message.
        message: MessageNumber,
    },
    /// `NOOP` (RFC 1939 §5).
    Noop,
    /// `RSET` (RFC 1939 §5).
    Rset,
    /// `QUIT` (RFC 1939 §4, §6).
    Quit,
    /// `TOP msg n` (RFC 1939 §7).
    Top {
        /// The message.
        message: MessageNumber,
        /// Body lines after the header and the empty line.
        lines: u32,
    },
    /// `UIDL [msg]` (RFC 1939 §7).
    Uidl {
        /// One message, or all of them.
        message: Option<MessageNumber>,
    },
    /// `CAPA` (RFC 2449 §5).
    Capa,
    /// `STLS` (RFC 2595 §4).
    Stls,
    /// `UTF8` (RFC 6856 §2).
    Utf8,
}

/// Why a command line could not be decoded. The server answers it with `-ERR`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// No CRLF within the limit.
    #[error("command line exceeds {limit} bytes")]
    LineTooLong {
        /// The limit, CRLF included.
        limit: usize,
    },
    /// The keyword is not a command this crate knows.
    #[error("unknown command")]
    Unknown,
    /// A required argument is missing.
    #[error("missing argument")]
    MissingArgument,
    /// More arguments than the command takes, or a stray space.
    #[error("unexpected argument")]
    UnexpectedArgument,
    /// A message number or line count is not a decimal number in range.
    #[error("invalid number")]
    InvalidNumber,
    /// The APOP digest is not 32 hexadecimal digits.
    #[error("invalid digest")]
    InvalidDigest,
    /// The initial response is neither `=` nor base64.
    #[error("invalid base64")]
    InvalidBase64,
    /// An argument breaks its own rules.
    #[error(transparent)]
    Argument(#[from] ArgumentError),
}

impl Command {
    /// Whether a `+OK` answer to this command is followed by lines up to `.` CRLF.
    pub fn has_multiline_response(&self) -> bool {
        matches!(
            self,
            Self::List { message: None }
                | Self::Uidl { message: None }
                | Self::Retr { .. }
                | Self::Top { .. }
                | Self::Capa
        )
    }

    /// The command keyword, upper case.
    pub fn keyword(&self) -> &'static str {
        match self {
            Self::User { .. } => "USER",
            Self::Pass { .. } => "PASS",
            Self::Apop { .. } => "APOP",
            Self::Auth { .. } => "AUTH",
            Self::Stat => "STAT",
            Self::List { .. } => "LIST",
            Self::Retr { .. } => "RETR",
            Self::Dele { .. } => "DELE",
            Self::Noop => "NOOP",
            Self::Rset => "RSET",
            Self::Quit => "QUIT",
            Self::Top { .. } => "TOP",
            Self::Uidl { .. } => "UIDL",
            Self::Capa => "CAPA",
            Self::Stls => "STLS",
            Self::Utf8 => "UTF8",
        }
    }
}
