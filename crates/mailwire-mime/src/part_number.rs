//! IMAP part numbers (RFC 3501 §6.4.5).

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// An IMAP part number (RFC 3501 §6.4.5): `1`, `1.2`, `1.2.3`.
///
/// The top-level multipart of a message has the empty number; a single-part message's
/// body is `1`. The message inside a `message/rfc822` part numbered `2` has number `2`
/// when it is multipart (its parts are `2.1`, `2.2` …) and `2.1` when it is not.
///
/// Numbers up to five levels deep are held without a heap allocation; comparison,
/// ordering and hashing are those of [`PartNumber::as_slice`].
#[derive(Clone)]
pub struct PartNumber(Repr);

/// Levels held inline; deeper numbers go to the heap.
const INLINE: usize = 5;

#[derive(Clone)]
enum Repr {
    Inline { len: u8, nums: [u32; INLINE] },
    Heap(Vec<u32>),
}

impl PartNumber {
    fn from_slice(s: &[u32]) -> PartNumber {
        match u8::try_from(s.len()) {
            Ok(len) if s.len() <= INLINE => {
                let mut nums = [0; INLINE];
                nums[..s.len()].copy_from_slice(s);
                PartNumber(Repr::Inline { len, nums })
            }
            _ => PartNumber(Repr::Heap(s.to_vec())),
        }
    }

    /// The numbers, outermost first.
    pub fn as_slice(&self) -> &[u32] {
        match &self.0 {
            Repr::Inline { len, nums } => &nums[..usize::from(*len)],
            Repr::Heap(v) => v,
        }
    }

    /// Whether this is the empty number of a top-level multipart.
    pub fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }

    /// Reads `1.2.3`; `None` for anything else (the empty string is the empty number).
    pub fn parse(s: &str) -> Option<PartNumber> {
        if s.is_empty() {
            return Some(PartNumber::default());
        }
        s.split('.')
            .map(|n| n.parse::<u32>().ok().filter(|&n| n > 0))
            .collect::<Option<Vec<_>>>()
            .map(|v| PartNumber::from_slice(&v))
    }

    pub(crate) fn child(&self, n: usize) -> PartNumber {
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        match &self.0 {
            Repr::Inline { len, nums } if usize::from(*len) < INLINE => {
                let mut nums = *nums;
                nums[usize::from(*len)] = n;
                PartNumber(Repr::Inline { len: len + 1, nums })
            }
            _ => {
                let mut v = Vec::with_capacity(self.as_slice().len() + 1);
                v.extend_from_slice(self.as_slice());
                v.push(n);
                PartNumber(Repr::Heap(v))
            }
        }
    }
}

impl Default for PartNumber {
    fn default() -> PartNumber {
        PartNumber(Repr::Inline {
            len: 0,
            nums: [0; INLINE],
        })
    }
}

impl PartialEq for PartNumber {
    fn eq(&self, other: &PartNumber) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for PartNumber {}

impl Hash for PartNumber {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl PartialOrd for PartNumber {
    fn partial_cmp(&self, other: &PartNumber) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PartNumber {
    fn cmp(&self, other: &PartNumber) -> Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

impl fmt::Debug for PartNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PartNumber").field(&self.as_slice()).finish()
    }
}

impl fmt::Display for PartNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, n) in self.as_slice().iter().enumerate() {
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

    #[test]
    fn deep_numbers_leave_the_inline_form_unchanged_in_meaning() {
        let mut n = PartNumber::default();
        for i in 1..=8 {
            n = n.child(i);
        }
        assert_eq!(n.as_slice(), &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(n.to_string(), "1.2.3.4.5.6.7.8");
        assert_eq!(PartNumber::parse("1.2.3.4.5.6.7.8"), Some(n.clone()));
        let five = PartNumber::parse("1.2.3.4.5").expect("valid");
        assert_eq!(five.child(6).as_slice(), &[1, 2, 3, 4, 5, 6]);
        assert!(five < n);
        assert!(PartNumber::parse("2").expect("valid") > n);
        assert_eq!(format!("{five:?}"), "PartNumber([1, 2, 3, 4, 5])");
        let hash = |p: &PartNumber| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            p.hash(&mut h);
            h.finish()
        };
        let heap = PartNumber::parse("1.2.3.4.5.6").expect("valid");
        assert_eq!(hash(&five.child(6)), hash(&heap));
        assert_eq!(five.child(6), heap);
    }
}
