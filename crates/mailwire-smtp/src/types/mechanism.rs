//! SASL mechanism names as AUTH and the EHLO `AUTH` capability carry them (RFC 4422 §3.1).
//!
//! ```text
//! sasl-mech = 1*20mech-char
//! mech-char = UPPER-ALPHA / DIGIT / HYPHEN / UNDERSCORE
//! ```

use std::borrow::Cow;
use std::fmt;

/// A SASL mechanism name, upper case (lower case input is folded).
///
/// ```
/// use mailwire_smtp::Mechanism;
///
/// assert_eq!(Mechanism::new("scram-sha-256").unwrap().as_str(), "SCRAM-SHA-256");
/// assert!(Mechanism::new("X".repeat(21)).is_none());
/// assert!(Mechanism::new("A B").is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mechanism(Cow<'static, str>);

/// Names common enough that decoding them should not allocate.
const WELL_KNOWN: [&str; 7] = [
    "PLAIN",
    "LOGIN",
    "XOAUTH2",
    "OAUTHBEARER",
    "SCRAM-SHA-256",
    "SCRAM-SHA-1",
    "CRAM-MD5",
];

impl Mechanism {
    /// `PLAIN` (RFC 4616).
    pub fn plain() -> Self {
        Self(Cow::Borrowed("PLAIN"))
    }

    /// `LOGIN` (draft-murchison-sasl-login).
    pub fn login() -> Self {
        Self(Cow::Borrowed("LOGIN"))
    }

    /// Validates a mechanism name and folds it to upper case.
    pub fn new(name: impl Into<String>) -> Option<Self> {
        let mut name = name.into();
        Self::is_valid(name.as_bytes()).then(|| {
            name.make_ascii_uppercase();
            Self(Cow::Owned(name))
        })
    }

    pub(crate) fn from_bytes(name: &[u8]) -> Option<Self> {
        if !Self::is_valid(name) {
            return None;
        }
        std::str::from_utf8(name).ok().map(Self::from_valid)
    }

    /// A name already checked by [`Self::is_valid`], folded to upper case.
    pub(crate) fn from_valid(name: &str) -> Self {
        match WELL_KNOWN.iter().find(|k| k.eq_ignore_ascii_case(name)) {
            Some(known) => Self(Cow::Borrowed(known)),
            None => Self(Cow::Owned(name.to_ascii_uppercase())),
        }
    }

    pub(crate) fn is_valid(name: &[u8]) -> bool {
        (1..=20).contains(&name.len())
            && name
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
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
