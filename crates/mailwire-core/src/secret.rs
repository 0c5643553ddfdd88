//! Values that must not leak into logs.

use std::fmt;

use subtle::ConstantTimeEq;

/// A value that is never printed: passwords, tokens, shared secrets, digests.
///
/// `Debug` and `Display` print `[redacted]`, so a `Secret` inside a struct that derives
/// `Debug` (an event, a command) is safe to log. Equality on byte-like secrets runs in
/// constant time with respect to the contents, so comparing a received digest with the
/// expected one reveals nothing through timing but the length.
///
/// The inner value is reached only through [`Secret::expose`] or [`Secret::into_inner`], which
/// makes every place that handles the plaintext easy to find.
///
/// The memory is not wiped on drop.
///
/// ```
/// use mailwire_core::Secret;
///
/// let password = Secret::new(String::from("tanstaaf"));
/// assert_eq!(format!("{password:?}"), "Secret([redacted])");
/// assert_eq!(password.expose(), "tanstaaf");
/// assert_eq!(password, Secret::new(String::from("tanstaaf")));
/// ```
#[derive(Clone, Default)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps a value.
    pub const fn new(value: T) -> Self {
        Self(value)
    }

    /// Borrows the plaintext.
    pub const fn expose(&self) -> &T {
        &self.0
    }

    /// Unwraps the plaintext.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T: AsRef<[u8]>> PartialEq for Secret<T> {
    fn eq(&self, other: &Self) -> bool {
        constant_time_eq(self.0.as_ref(), other.0.as_ref())
    }
}

impl<T: AsRef<[u8]>> Eq for Secret<T> {}

/// Compares two byte strings in time that depends only on their lengths.
///
/// Use it wherever a peer-supplied value is checked against a secret one (digests,
/// passwords, tokens).
///
/// ```
/// assert!(mailwire_core::constant_time_eq(b"c4c9334b", b"c4c9334b"));
/// assert!(!mailwire_core::constant_time_eq(b"c4c9334b", b"c4c9334c"));
/// assert!(!mailwire_core::constant_time_eq(b"c4c9", b"c4c9334b"));
/// ```
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_value() {
        let s = Secret::new(b"hunter2".to_vec());
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
        assert_eq!(format!("{s}"), "[redacted]");
        assert!(!format!("{s:#?}").contains("hunter2"));
    }

    #[test]
    fn a_debug_derive_around_a_secret_hides_it() {
        #[derive(Debug)]
        #[allow(dead_code, reason = "only the Debug output is inspected")]
        struct Login {
            user: String,
            password: Secret<String>,
        }
        let login = Login {
            user: "tim".into(),
            password: Secret::new("tanstaaf".into()),
        };
        assert_eq!(
            format!("{login:?}"),
            r#"Login { user: "tim", password: Secret([redacted]) }"#
        );
    }

    #[test]
    fn equality_compares_contents_and_lengths() {
        assert_eq!(Secret::new("abc"), Secret::new("abc"));
        assert_ne!(Secret::new("abc"), Secret::new("abd"));
        assert_ne!(Secret::new("abc"), Secret::new("ab"));
        assert_ne!(Secret::new(""), Secret::new("a"));
        assert_eq!(Secret::new(""), Secret::new(""));
    }

    #[test]
    fn expose_and_into_inner_give_the_value_back() {
        let s = Secret::from(vec![1u8, 2, 3]);
        assert_eq!(s.expose(), &[1, 2, 3]);
        assert_eq!(s.into_inner(), vec![1, 2, 3]);
    }
}
