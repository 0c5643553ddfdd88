//! IMAP part numbers (RFC 3501 §6.4.5).

use std::fmt;

/// An IMAP part number (RFC 3501 §6.4.5): `1`, `1.2`, `1.2.3`.
///
/// The top-level multipart of a message has the empty number; a single-part message's
/// body is `1`. The message inside a `message/rfc822` part numbered `2` has number `2`
/// when it is multipart (its parts are `2.1`, `2.2` …) and `2.1` when it is not.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct PartNumber(Vec<u32>);

impl PartNumber {
    /// The numbers, outermost first.
    pub fn as_slice(&self) -> &[u32] {
        &self.0
    }

    /// Whether this is the empty number of a top-level multipart.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Reads `1.2.3`; `None` for anything else (the empty string is the empty number).
    pub fn parse(s: &str) -> Option<PartNumber> {
        if s.is_empty() {
            return Some(PartNumber::default());
        }
        s.split('.')
            .map(|n| n.parse::<u32>().ok().filter(|&n| n > 0))
            .collect::<Option<Vec<_>>>()
            .map(PartNumber)
    }

    pub(crate) fn child(&self, n: usize) -> PartNumber {
        let mut v = self.0.clone();
        v.push(u32::try_from(n).unwrap_or(u32::MAX));
        PartNumber(v)
    }
}

impl fmt::Display for PartNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, n) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{n}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_numbers_display_and_parse() {
        assert_eq!(
            PartNumber::parse("1.2.3").map(|n| n.to_string()).as_deref(),
            Some("1.2.3")
        );
        assert_eq!(PartNumber::parse(""), Some(PartNumber::default()));
        assert_eq!(PartNumber::parse("1..2"), None);
        assert_eq!(PartNumber::parse("0"), None);
    }
}
