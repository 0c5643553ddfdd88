//! Validated command arguments: message numbers, user names, passwords, SASL mechanisms.

use std::{fmt, num::NonZeroU32};

use mailwire_core::Secret;

/// An argument that cannot go on the wire.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ArgumentError {
    /// Message numbers start at 1 (RFC 1939 §3).
    #[error("message numbers start at 1")]
    ZeroMessageNumber,
    /// The argument is empty.
    #[error("{what} is empty")]
    Empty {
        /// Which argument.
        what: &'static str,
    },
    /// The argument holds a byte its grammar forbids.
    #[error("{what} contains a forbidden character")]
    ForbiddenCharacter {
        /// Which argument.
        what: &'static str,
    },
    /// The argument would push the command past 255 bytes (RFC 2449 §4).
    #[error("{what} is longer than {limit} bytes")]
    TooLong {
        /// Which argument.
        what: &'static str,
        /// Its limit.
        limit: usize,
    },
}

/// The number of a message in the maildrop, counted from 1 (RFC 1939 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageNumber(NonZeroU32);

impl MessageNumber {
    /// Wraps a number; 0 is refused.
    pub const fn new(n: u32) -> Result<Self, ArgumentError> {
        match NonZeroU32::new(n) {
            Some(n) => Ok(Self(n)),
            None => Err(ArgumentError::ZeroMessageNumber),
        }
    }

    /// The number.
    pub const fn get(self) -> u32 {
        self.0.get()
    }
}

impl fmt::Display for MessageNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Longest user name: `APOP name digest` must fit in 255 bytes.
pub const MAX_USER_NAME_LEN: usize = 200;
/// Longest password: `PASS password` must fit in 255 bytes.
pub const MAX_PASSWORD_LEN: usize = 248;
/// Longest SASL mechanism name (RFC 4422 §3.1).
pub const MAX_MECHANISM_LEN: usize = 20;
/// Longest initial response, before base64, that fits in an `AUTH` line (RFC 5034 §4).
pub const MAX_INITIAL_RESPONSE_LEN: usize = 168;

/// The mailbox name of `USER` and `APOP`: printable, no spaces; UTF-8 once `UTF8` is on
/// (RFC 6856 §2), which this type allows always.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserName(String);

impl UserName {
    /// Checks and wraps a user name.
    pub fn new(name: impl Into<String>) -> Result<Self, ArgumentError> {
        let name = name.into();
        const WHAT: &str = "user name";
        if name.is_empty() {
            return Err(ArgumentError::Empty { what: WHAT });
        }
        if name.len() > MAX_USER_NAME_LEN {
            return Err(ArgumentError::TooLong {
                what: WHAT,
                limit: MAX_USER_NAME_LEN,
            });
        }
        if name.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(ArgumentError::ForbiddenCharacter { what: WHAT });
        }
        Ok(Self(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the name is plain ASCII (RFC 6856 needs `UTF8` for anything else).
    pub fn is_ascii(&self) -> bool {
        self.0.is_ascii()
    }
}

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The argument of `PASS`, which may contain spaces (RFC 1939 §7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Password(Secret<String>);

impl Password {
    /// Checks and wraps a password: no control characters, at most
    /// [`MAX_PASSWORD_LEN`] bytes.
    pub fn new(password: impl Into<String>) -> Result<Self, ArgumentError> {
        let password = password.into();
        const WHAT: &str = "password";
        if password.is_empty() {
            return Err(ArgumentError::Empty { what: WHAT });
        }
        if password.len() > MAX_PASSWORD_LEN {
            return Err(ArgumentError::TooLong {
                what: WHAT,
                limit: MAX_PASSWORD_LEN,
            });
        }
        if password.bytes().any(|b| b < b' ' || b == 0x7f) {
            return Err(ArgumentError::ForbiddenCharacter { what: WHAT });
        }
        Ok(Self(Secret::new(password)))
    }

    /// The password, still wrapped.
    pub fn secret(&self) -> &Secret<String> {
        &self.0
    }

    /// Unwraps into the secret.
    pub fn into_secret(self) -> Secret<String> {
        self.0
    }
}

/// A SASL mechanism name, upper case (RFC 4422 §3.1: `1*20(ALPHA / DIGIT / "-" / "_")`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mechanism(String);

impl Mechanism {
    /// Checks a name and upper-cases it.
    pub fn new(name: &str) -> Result<Self, ArgumentError> {
        const WHAT: &str = "mechanism";
        if name.is_empty() {
            return Err(ArgumentError::Empty { what: WHAT });
        }
        if name.len() > MAX_MECHANISM_LEN {
            return Err(ArgumentError::TooLong {
                what: WHAT,
                limit: MAX_MECHANISM_LEN,
            });
        }
        if !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(ArgumentError::ForbiddenCharacter { what: WHAT });
        }
        Ok(Self(name.to_ascii_uppercase()))
    }

    /// The name, upper case.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The optional initial response of `AUTH` (RFC 5034 §4), before base64.
///
/// Hidden from `Debug`: for PLAIN it holds the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitialResponse(Secret<Vec<u8>>);

impl InitialResponse {
    /// Wraps data that fits in a command line once base64-encoded; longer data must be
    /// sent after an empty challenge instead (RFC 5034 §4).
    pub fn new(data: impl Into<Vec<u8>>) -> Result<Self, ArgumentError> {
        let data = data.into();
        if data.len() > MAX_INITIAL_RESPONSE_LEN {
            return Err(ArgumentError::TooLong {
                what: "initial response",
                limit: MAX_INITIAL_RESPONSE_LEN,
            });
        }
        Ok(Self(Secret::new(data)))
    }

    /// The data, still wrapped.
    pub fn secret(&self) -> &Secret<Vec<u8>> {
        &self.0
    }

    /// Unwraps into the secret.
    pub fn into_secret(self) -> Secret<Vec<u8>> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_numbers() {
        assert_eq!(MessageNumber::new(0), Err(ArgumentError::ZeroMessageNumber));
        let n = MessageNumber::new(3).unwrap();
        assert_eq!((n.get(), n.to_string()), (3, "3".to_owned()));
    }

    #[test]
    fn user_names() {
        assert!(UserName::new("mrose").is_ok());
        assert!(UserName::new("jörg@example.org").is_ok());
        assert!(!UserName::new("jörg").unwrap().is_ascii());
        assert_eq!(
            UserName::new(""),
            Err(ArgumentError::Empty { what: "user name" })
        );
        assert_eq!(
            UserName::new("a b"),
            Err(ArgumentError::ForbiddenCharacter { what: "user name" })
        );
        assert!(UserName::new("a".repeat(200)).is_ok());
        assert!(UserName::new("a".repeat(201)).is_err());
    }

    #[test]
    fn passwords_may_hold_spaces_but_no_controls() {
        assert_eq!(
            Password::new("two words").unwrap().secret().expose(),
            "two words"
        );
        assert!(Password::new("a\rb").is_err());
        assert!(Password::new("a".repeat(249)).is_err());
        assert_eq!(
            format!("{:?}", Password::new("x").unwrap()),
            "Password(Secret([redacted]))"
        );
    }

    #[test]
    fn mechanisms_are_upper_cased() {
        assert_eq!(
            Mechanism::new("scram-sha-256").unwrap().as_str(),
            "SCRAM-SHA-256"
        );
        assert!(Mechanism::new("PLAIN LOGIN").is_err());
        assert!(Mechanism::new(&"A".repeat(21)).is_err());
    }

    #[test]
    fn initial_response_limit() {
        assert!(InitialResponse::new(vec![0; 168]).is_ok());
        assert!(InitialResponse::new(vec![0; 169]).is_err());
    }
}
