//! APOP (RFC 1939 §7): the greeting's timestamp and the MD5 digest over it.
//!
//! APOP keeps the password off the wire, but the server must hold every user's secret in
//! plaintext and MD5 is weak. The server session therefore offers it only when configured
//! to; prefer SASL or USER / PASS over TLS.

use std::fmt;

use mailwire_core::{Secret, constant_time_eq};
use md5::{Digest as _, Md5};

/// Longest timestamp accepted, brackets included, so that a greeting stays within a line.
pub const MAX_TIMESTAMP_LEN: usize = 256;

/// The `<…@…>` string a server puts in its greeting for APOP.
///
/// RFC 1939 §7 asks that it differ on every connection; the usual form is
/// `<process-ID.clock@hostname>`. This crate reads no clock, process id or host name:
/// [`Timestamp::from_parts`] assembles the string from values the caller supplies, and
/// keeping them unique (a per-process counter next to the clock) is the caller's duty.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Timestamp(String);

/// A timestamp that does not have the `<local@domain>` form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid APOP timestamp {0:?}")]
pub struct TimestampError(pub String);

fn is_timestamp_char(b: u8) -> bool {
    b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b'@')
}

impl Timestamp {
    /// `<process.clock.sequence@host>` from parts the caller supplies.
    ///
    /// ```
    /// use mailwire_pop3::Timestamp;
    ///
    /// let t = Timestamp::from_parts(1896, 697170952, 1, "dbc.mtview.ca.us").unwrap();
    /// assert_eq!(t.as_str(), "<1896.697170952.1@dbc.mtview.ca.us>");
    /// ```
    pub fn from_parts(
        process: u64,
        clock: u64,
        sequence: u64,
        host: &str,
    ) -> Result<Self, TimestampError> {
        Self::parse(&format!("<{process}.{clock}.{sequence}@{host}>"))
    }

    /// Checks a complete timestamp, brackets included.
    pub fn parse(s: &str) -> Result<Self, TimestampError> {
        let invalid = || TimestampError(s.to_owned());
        let inner = s
            .strip_prefix('<')
            .and_then(|s| s.strip_suffix('>'))
            .ok_or_else(invalid)?;
        let (local, domain) = inner.split_once('@').ok_or_else(invalid)?;
        let part_ok = |p: &str| !p.is_empty() && p.bytes().all(is_timestamp_char);
        if s.len() > MAX_TIMESTAMP_LEN || !part_ok(local) || !part_ok(domain) {
            return Err(invalid());
        }
        Ok(Self(s.to_owned()))
    }

    /// Finds the first timestamp in a greeting's text, as a client does.
    ///
    /// ```
    /// use mailwire_pop3::Timestamp;
    ///
    /// let t = Timestamp::find("POP3 server ready <1896.697170952@dbc.mtview.ca.us>").unwrap();
    /// assert_eq!(t.as_str(), "<1896.697170952@dbc.mtview.ca.us>");
    /// assert_eq!(Timestamp::find("POP3 server ready"), None);
    /// ```
    pub fn find(text: &str) -> Option<Self> {
        let mut rest = text;
        while let Some(open) = rest.find('<') {
            let candidate = &rest[open..];
            let close = candidate[1..].find(['<', '>']).map(|i| i + 1)?;
            if candidate.as_bytes()[close] == b'>'
                && let Ok(t) = Self::parse(&candidate[..=close])
            {
                return Some(t);
            }
            rest = &candidate[close..];
        }
        None
    }

    /// The timestamp, brackets included.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digest a client sends for `secret`: lowercase hex MD5 of timestamp ‖ secret.
    pub fn digest(&self, secret: &Secret<String>) -> ApopDigest {
        let mut md5 = Md5::new();
        md5.update(self.0.as_bytes());
        md5.update(secret.expose().as_bytes());
        let raw = md5.finalize();
        let mut hex = [0u8; 32];
        for (pair, byte) in hex.chunks_exact_mut(2).zip(raw.iter()) {
            pair[0] = HEX[usize::from(byte >> 4)];
            pair[1] = HEX[usize::from(byte & 0x0f)];
        }
        ApopDigest(hex)
    }

    /// Whether `digest` is the right one for `secret`; compares in constant time.
    pub fn verify(&self, secret: &Secret<String>, digest: &ApopDigest) -> bool {
        constant_time_eq(&self.digest(secret).0, &digest.0)
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Timestamp").field(&self.0).finish()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Hands out a different [`Timestamp`] for every connection of one server process.
///
/// The caller supplies the process id and host name once, and the clock reading for each
/// connection; a counter inside makes two connections in the same clock tick differ.
///
/// ```
/// use mailwire_pop3::TimestampSequence;
///
/// let mut timestamps = TimestampSequence::new(1896, "dbc.mtview.ca.us").unwrap();
/// let a = timestamps.next(697170952);
/// let b = timestamps.next(697170952);
/// assert_eq!(a.as_str(), "<1896.697170952.0@dbc.mtview.ca.us>");
/// assert_ne!(a, b);
/// ```
#[derive(Debug, Clone)]
pub struct TimestampSequence {
    process: u64,
    host: String,
    next: u64,
}

impl TimestampSequence {
    /// A sequence for the process `process` on `host`.
    pub fn new(process: u64, host: &str) -> Result<Self, TimestampError> {
        // The longest numbers must fit too.
        Timestamp::from_parts(u64::MAX, u64::MAX, u64::MAX, host)?;
        Ok(Self {
            process,
            host: host.to_owned(),
            next: 0,
        })
    }

    /// The timestamp for a new connection, with the caller's clock reading.
    pub fn next(&mut self, clock: u64) -> Timestamp {
        let sequence = self.next;
        self.next = self.next.wrapping_add(1);
        // The host was checked with the longest numbers in `new`.
        Timestamp(format!(
            "<{}.{clock}.{sequence}@{}>",
            self.process, self.host
        ))
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The argument of `APOP name digest`: 32 lowercase hexadecimal digits.
///
/// Parsing accepts upper case too and stores lower case. `Debug` hides the value: it is
/// as good as a password for replaying within the same greeting.
#[derive(Clone, PartialEq, Eq)]
pub struct ApopDigest([u8; 32]);

/// A digest that is not 32 hexadecimal digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an APOP digest is 32 hexadecimal digits")]
pub struct ApopDigestError;

impl ApopDigest {
    /// Parses 32 hexadecimal digits.
    pub fn parse(hex: &[u8]) -> Result<Self, ApopDigestError> {
        let digits: [u8; 32] = hex.try_into().map_err(|_| ApopDigestError)?;
        if !digits.iter().all(u8::is_ascii_hexdigit) {
            return Err(ApopDigestError);
        }
        Ok(Self(digits.map(|b| b.to_ascii_lowercase())))
    }

    /// The 32 lowercase hexadecimal digits.
    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for ApopDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApopDigest([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc_timestamp() -> Timestamp {
        Timestamp::parse("<1896.697170952@dbc.mtview.ca.us>").unwrap()
    }

    #[test]
    fn rfc_1939_section_7_known_answer() {
        let digest = rfc_timestamp().digest(&Secret::new("tanstaaf".into()));
        assert_eq!(digest.as_str(), "c4c9334bac560ecc979e58001b3e22fb");
    }

    #[test]
    fn verify_accepts_the_right_digest_only() {
        let t = rfc_timestamp();
        let secret = Secret::new("tanstaaf".to_owned());
        let good = ApopDigest::parse(b"C4C9334BAC560ECC979E58001B3E22FB").unwrap();
        assert!(t.verify(&secret, &good));
        let bad = ApopDigest::parse(b"c4c9334bac560ecc979e58001b3e22fc").unwrap();
        assert!(!t.verify(&secret, &bad));
        assert!(!t.verify(&Secret::new("tanstaaF".into()), &good));
    }

    #[test]
    fn digest_parsing() {
        assert_eq!(ApopDigest::parse(b"c4c9"), Err(ApopDigestError));
        assert_eq!(ApopDigest::parse(&[b'g'; 32]), Err(ApopDigestError));
        assert_eq!(
            format!("{:?}", rfc_timestamp().digest(&Secret::new("x".into()))),
            "ApopDigest([redacted])"
        );
    }

    #[test]
    fn timestamps_from_parts_and_their_validation() {
        let t = Timestamp::from_parts(7, 1_700_000_000, 42, "pop.example.org").unwrap();
        assert_eq!(t.as_str(), "<7.1700000000.42@pop.example.org>");
        assert!(Timestamp::from_parts(1, 2, 3, "bad host").is_err());
        assert!(Timestamp::from_parts(1, 2, 3, "").is_err());
        assert!(Timestamp::parse("1896@host").is_err());
        assert!(Timestamp::parse("<1896host>").is_err());
        assert!(Timestamp::parse("<a@b@c>").is_err());
        assert!(Timestamp::parse(&format!("<a@{}>", "h".repeat(300))).is_err());
    }

    #[test]
    fn sequences_give_valid_distinct_timestamps() {
        let mut seq = TimestampSequence::new(42, "pop.example.org").unwrap();
        let a = seq.next(7);
        let b = seq.next(7);
        assert_eq!(
            (a.as_str(), b.as_str()),
            ("<42.7.0@pop.example.org>", "<42.7.1@pop.example.org>")
        );
        assert_eq!(Timestamp::parse(b.as_str()), Ok(b));
        assert!(TimestampSequence::new(1, "bad host").is_err());
        assert!(TimestampSequence::new(1, &"h".repeat(191)).is_ok());
        assert!(TimestampSequence::new(1, &"h".repeat(192)).is_err());
    }

    #[test]
    fn find_skips_brackets_that_are_not_timestamps() {
        let t = Timestamp::find("<nope> ready <<1.2@h> <3.4@h>").unwrap();
        assert_eq!(t.as_str(), "<1.2@h>");
        assert_eq!(Timestamp::find("ready <1.2@h"), None);
        assert_eq!(Timestamp::find("<a b@c>"), None);
    }
}
