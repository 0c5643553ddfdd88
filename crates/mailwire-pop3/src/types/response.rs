//! Status lines: `+OK` / `-ERR`, an optional response code, and text.

use std::fmt;

use crate::codec::decode::MAX_RESPONSE_LINE;

/// The first token of every response line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// `+OK`: the command succeeded.
    Ok,
    /// `-ERR`: the command failed.
    Err,
}

impl Status {
    /// The status as it appears on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "+OK",
            Self::Err => "-ERR",
        }
    }
}

/// A response code in brackets after the status (RFC 2449 §8, RFC 3206, RFC 6856).
///
/// ```text
/// resp-code  = "[" resp-level *("/" resp-level) "]"
/// resp-level = 1*rchar
/// rchar      = %x21-2E / %x30-5C / %x5E-7F   ; printable ASCII but "/" and "]"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResponseCode {
    /// `[IN-USE]`: the maildrop is locked by another session (RFC 2449 §8.1.1).
    InUse,
    /// `[LOGIN-DELAY]`: logged in too recently (RFC 2449 §8.1.2).
    LoginDelay,
    /// `[SYS/TEMP]`: a temporary system failure, worth retrying (RFC 3206 §4).
    SysTemp,
    /// `[SYS/PERM]`: a permanent system failure (RFC 3206 §4).
    SysPerm,
    /// `[AUTH]`: the credentials are wrong (RFC 3206 §5).
    Auth,
    /// `[UTF8]`: the user name or mailbox needs UTF-8 support (RFC 6856 §3).
    Utf8,
    /// Any other code, as its levels.
    Other(ExtensionCode),
}

/// A response code this crate does not know, kept as its `/`-separated levels.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExtensionCode(String);

/// A response code or text that cannot go on the wire.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TextError {
    /// The text holds a CR or LF.
    #[error("text contains a line ending")]
    LineEnding,
    /// A response code level is empty or holds a character outside `rchar`.
    #[error("invalid response code {0:?}")]
    InvalidCode(String),
    /// The code names one of the known [`ResponseCode`] variants.
    #[error("response code {0:?} has its own variant")]
    KnownCode(String),
    /// The line would pass the 512-byte limit of RFC 2449 §4.
    #[error("response line of {len} bytes exceeds {limit}")]
    TooLong {
        /// Bytes the line would take, CRLF included.
        len: usize,
        /// The limit.
        limit: usize,
    },
}

pub(crate) fn is_rchar(b: u8) -> bool {
    matches!(b, 0x21..=0x2E | 0x30..=0x5C | 0x5E..=0x7F)
}

impl ExtensionCode {
    /// Checks `code` (without brackets, levels separated by `/`) and wraps it.
    pub fn new(code: impl Into<String>) -> Result<Self, TextError> {
        let code = code.into();
        let valid = code
            .split('/')
            .all(|level| !level.is_empty() && level.bytes().all(is_rchar));
        if !valid {
            return Err(TextError::InvalidCode(code));
        }
        if known_code(code.as_bytes()).is_some() {
            return Err(TextError::KnownCode(code));
        }
        Ok(Self(code))
    }

    /// The code without brackets.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn known_code(code: &[u8]) -> Option<ResponseCode> {
    // Response codes are case-insensitive (RFC 2449 §8).
    let known = [
        ("IN-USE", ResponseCode::InUse),
        ("LOGIN-DELAY", ResponseCode::LoginDelay),
        ("SYS/TEMP", ResponseCode::SysTemp),
        ("SYS/PERM", ResponseCode::SysPerm),
        ("AUTH", ResponseCode::Auth),
        ("UTF8", ResponseCode::Utf8),
    ];
    known
        .into_iter()
        .find(|(name, _)| name.as_bytes().eq_ignore_ascii_case(code))
        .map(|(_, c)| c)
}

impl ResponseCode {
    /// The code without brackets, as written on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::InUse => "IN-USE",
            Self::LoginDelay => "LOGIN-DELAY",
            Self::SysTemp => "SYS/TEMP",
            Self::SysPerm => "SYS/PERM",
            Self::Auth => "AUTH",
            Self::Utf8 => "UTF8",
            Self::Other(code) => code.as_str(),
        }
    }

    /// Whether trying again later may succeed: `IN-USE`, `LOGIN-DELAY` and `SYS/TEMP`.
    pub fn is_temporary(&self) -> bool {
        matches!(self, Self::InUse | Self::LoginDelay | Self::SysTemp)
    }

    pub(crate) fn from_wire(code: &[u8]) -> Self {
        known_code(code).unwrap_or_else(|| {
            // The parser admitted only rchar and "/", which are ASCII.
            Self::Other(ExtensionCode(String::from_utf8_lossy(code).into_owned()))
        })
    }
}

impl fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `+OK` or `-ERR` line (RFC 1939 §3, RFC 2449 §8).
///
/// ```text
/// single-line = status [SP [resp-code SP] text] CRLF   ; 512 octets maximum
/// ```
///
/// The text is free-form; this crate reads it as UTF-8, replacing invalid sequences.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Response {
    pub(crate) status: Status,
    pub(crate) code: Option<ResponseCode>,
    pub(crate) text: String,
}

/// Why a response line could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// No CRLF within the limit.
    #[error("response line exceeds {limit} bytes")]
    LineTooLong {
        /// The limit, CRLF included.
        limit: usize,
    },
    /// The line starts with neither `+OK` nor `-ERR`.
    #[error("response line starts with neither +OK nor -ERR")]
    Status,
    /// The text holds a bare CR.
    #[error("response text contains a bare CR")]
    BareCr,
}

impl Response {
    /// A response with text and no code; fails if the line would be invalid or too long.
    pub fn new(status: Status, text: impl Into<String>) -> Result<Self, TextError> {
        Self::with_code(status, None, text)
    }

    /// A response with an optional code and text.
    ///
    /// A text that starts with `[` needs a code in front of it, or it would be read back as
    /// one; such a text with no code is refused.
    pub fn with_code(
        status: Status,
        code: Option<ResponseCode>,
        text: impl Into<String>,
    ) -> Result<Self, TextError> {
        let text = text.into();
        if text.contains(['\r', '\n']) {
            return Err(TextError::LineEnding);
        }
        if code.is_none() && text.starts_with('[') {
            return Err(TextError::InvalidCode(text));
        }
        let response = Self { status, code, text };
        let len = response.encoded_len();
        if len > MAX_RESPONSE_LINE {
            return Err(TextError::TooLong {
                len,
                limit: MAX_RESPONSE_LINE,
            });
        }
        Ok(response)
    }

    /// `+OK` or `-ERR`.
    pub fn status(&self) -> Status {
        self.status
    }

    /// Whether the status is `+OK`.
    pub fn is_ok(&self) -> bool {
        self.status == Status::Ok
    }

    /// The response code, if the line carries one.
    pub fn code(&self) -> Option<&ResponseCode> {
        self.code.as_ref()
    }

    /// The text after the status and code.
    pub fn text(&self) -> &str {
        &self.text
    }

    fn encoded_len(&self) -> usize {
        let mut len = self.status.as_str().len() + 2;
        if let Some(code) = &self.code {
            len += code.as_str().len() + 3;
        }
        if !self.text.is_empty() {
            len += self.text.len() + 1;
        }
        len
    }
}

impl fmt::Display for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut line = Vec::new();
        self.encode(&mut line);
        line.truncate(line.len() - 2);
        f.write_str(&String::from_utf8_lossy(&line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_refuse_what_cannot_round_trip() {
        assert_eq!(
            Response::new(Status::Ok, "a\r\nb"),
            Err(TextError::LineEnding)
        );
        assert!(Response::new(Status::Ok, "[x] y").is_err());
        assert!(matches!(
            Response::new(Status::Ok, "x".repeat(507)),
            Err(TextError::TooLong {
                len: 513,
                limit: 512
            })
        ));
        assert!(Response::new(Status::Ok, "x".repeat(506)).is_ok());
        assert!(ExtensionCode::new("A//B").is_err());
        assert!(ExtensionCode::new("A]").is_err());
        assert_eq!(
            ExtensionCode::new("in-use"),
            Err(TextError::KnownCode("in-use".into()))
        );
    }
}
