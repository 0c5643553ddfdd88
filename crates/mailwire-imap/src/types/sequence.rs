//! Sequence sets (RFC 3501 §9 `sequence-set`).

use std::num::NonZeroU32;

use super::ValidationError;

/// `seq-number = nz-number / "*"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SeqNumber {
    /// A message sequence number or UID.
    Value(NonZeroU32),
    /// `*`: the largest number in use.
    Largest,
}

/// One element of a sequence set: a number or a range (`seq-range`), in either order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SeqRange {
    /// `seq-number`
    Single(SeqNumber),
    /// `seq-number ":" seq-number`
    Range(SeqNumber, SeqNumber),
}

/// `sequence-set`: a non-empty, comma-separated list of numbers and ranges.
///
/// ```
/// use mailwire_imap::types::SequenceSet;
///
/// let set: SequenceSet = "2,4:7,9,12:*".parse().unwrap();
/// assert_eq!(set.to_string(), "2,4:7,9,12:*");
/// assert!(set.contains(5, 20) && set.contains(15, 20) && !set.contains(8, 20));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SequenceSet(Vec<SeqRange>);

impl SequenceSet {
    /// A set of the given ranges.
    pub fn new(ranges: Vec<SeqRange>) -> Result<Self, ValidationError> {
        if ranges.is_empty() {
            return Err(ValidationError::Empty("sequence set"));
        }
        Ok(Self(ranges))
    }

    /// The set of one number.
    pub fn single(n: NonZeroU32) -> Self {
        Self(vec![SeqRange::Single(SeqNumber::Value(n))])
    }

    /// `1:*`, every message.
    pub fn all() -> Self {
        Self(vec![SeqRange::Range(
            SeqNumber::Value(NonZeroU32::MIN),
            SeqNumber::Largest,
        )])
    }

    /// The ranges, in wire order.
    pub fn ranges(&self) -> &[SeqRange] {
        &self.0
    }

    /// Whether `n` is in the set when the largest number in use is `largest`.
    pub fn contains(&self, n: u32, largest: u32) -> bool {
        let value = |s: SeqNumber| match s {
            SeqNumber::Value(v) => v.get(),
            SeqNumber::Largest => largest,
        };
        self.0.iter().any(|r| match *r {
            SeqRange::Single(s) => value(s) == n,
            SeqRange::Range(a, b) => {
                let (lo, hi) = (value(a).min(value(b)), value(a).max(value(b)));
                (lo..=hi).contains(&n)
            }
        })
    }
}

impl std::fmt::Display for SeqNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Value(v) => write!(f, "{v}"),
            Self::Largest => f.write_str("*"),
        }
    }
}

impl std::fmt::Display for SequenceSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, r) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            match r {
                SeqRange::Single(s) => write!(f, "{s}")?,
                SeqRange::Range(a, b) => write!(f, "{a}:{b}")?,
            }
        }
        Ok(())
    }
}

impl std::str::FromStr for SequenceSet {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let number = |t: &str| -> Result<SeqNumber, ValidationError> {
            if t == "*" {
                return Ok(SeqNumber::Largest);
            }
            if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) || t.starts_with('0') {
                return Err(ValidationError::Invalid("sequence set"));
            }
            t.parse::<NonZeroU32>()
                .map(SeqNumber::Value)
                .map_err(|_| ValidationError::Invalid("sequence set"))
        };
        let ranges = s
            .split(',')
            .map(|part| match part.split_once(':') {
                Some((a, b)) => Ok(SeqRange::Range(number(a)?, number(b)?)),
                None => Ok(SeqRange::Single(number(part)?)),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(ranges)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let set: SequenceSet = "*:4,1".parse().unwrap();
        assert_eq!(set.ranges().len(), 2);
        assert_eq!(set.to_string(), "*:4,1");
        assert!(set.contains(7, 9) && set.contains(4, 9) && !set.contains(3, 9));
        assert!("".parse::<SequenceSet>().is_err());
        assert!("0".parse::<SequenceSet>().is_err());
        assert!("1,,2".parse::<SequenceSet>().is_err());
        assert!("4294967296".parse::<SequenceSet>().is_err());
        assert_eq!(SequenceSet::all().to_string(), "1:*");
    }
}
