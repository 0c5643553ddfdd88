//! SASL mechanism names as AUTH and the EHLO `AUTH` capability carry them (RFC 4422 §3.1).
//!
//! ```text
//! sasl-mech = 1*20mech-char
//! mech-char = UPPER-ALPHA / DIGIT / HYPHEN / UNDERSCORE
//! ```

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
pub struct Mechanism(String);

impl Mechanism {
    /// `PLAIN` (RFC 4616).
    pub fn plain() -> Self {
        Self("PLAIN".into())
    }

    /// `LOGIN` (draft-murchison-sasl-login).
    pub fn login() -> Self {
        Self("LOGIN".into())
    }

    /// Validates a mechanism name and folds it to upper case.
    pub fn new(name: impl Into<String>) -> Option<Self> {
        let mut name = name.into();
        Self::is_valid(name.as_bytes()).then(|| {
            name.make_ascii_uppercase();
            Self(name)
        })
    }

    pub(crate) fn from_bytes(name: &[u8]) -> Option<Self> {
        Self::is_valid(name).then(|| Self(String::from_utf8_lossy(name).to_ascii_uppercase()))
    }

    fn is_valid(name: &[u8]) -> bool {
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
