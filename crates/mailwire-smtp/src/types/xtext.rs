//! xtext (RFC 3461 §4): how DSN parameters and `AUTH=` carry arbitrary octets in an
//! ESMTP parameter value.
//!
//! ```text
//! xtext   = *( xchar / hexchar )
//! xchar   = any ASCII CHAR between "!" (33) and "~" (126) inclusive, except "+" and "="
//! hexchar = "+" 2(%x30-39 / %x41-46)   ; "+" and two upper case hexadecimal digits
//! ```

use std::fmt;

use bytes::BufMut;

/// The xtext was malformed: a `+` not followed by two upper case hex digits, or a byte
/// outside `xchar`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid xtext at byte {offset}")]
pub struct XTextError {
    /// Where in the encoded value the problem starts.
    pub offset: usize,
}

/// A value carried as xtext. Holds the decoded octets; encoding escapes what needs it.
///
/// ```
/// use mailwire_smtp::XText;
///
/// let id = XText::decode(b"QQ314159+2Bx+3D").unwrap();
/// assert_eq!(id.as_bytes(), b"QQ314159+x=");
/// assert_eq!(id.to_string(), "QQ314159+2Bx+3D");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default)]
// A boxed slice rather than a `Vec`: the value never grows, and the smaller size keeps the
// MAIL and RCPT commands that carry it small.
pub struct XText(Box<[u8]>);

impl XText {
    /// Wraps decoded octets. Every byte string has an xtext form.
    pub fn new(value: impl Into<Vec<u8>>) -> Self {
        Self(value.into().into_boxed_slice())
    }

    /// Decodes the xtext form.
    pub fn decode(encoded: &[u8]) -> Result<Self, XTextError> {
        // The usual value has no `+` escape: it decodes to itself, in one copy.
        if is_plain(encoded) {
            return Ok(Self(encoded.into()));
        }
        let mut out = Vec::with_capacity(encoded.len());
        walk(encoded, |b| out.push(b))?;
        Ok(Self(out.into_boxed_slice()))
    }

    /// The decoded octets.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Writes the xtext form.
    pub fn encode(&self, out: &mut impl BufMut) {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        for &b in &self.0 {
            if is_xchar(b) {
                out.put_u8(b);
            } else {
                out.put_slice(&[b'+', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]]);
            }
        }
    }
}

/// Walks the xtext form, handing each decoded octet to `octet`: the one place the grammar
/// lives, for decoding and for validating without decoding ([`XTextRef`]).
fn walk(encoded: &[u8], mut octet: impl FnMut(u8)) -> Result<(), XTextError> {
    let mut i = 0;
    while let Some(&b) = encoded.get(i) {
        match b {
            b'+' => {
                let hex = |j: usize| match encoded.get(j) {
                    Some(&d @ b'0'..=b'9') => Some(d - b'0'),
                    Some(&d @ b'A'..=b'F') => Some(d - b'A' + 10),
                    _ => None,
                };
                let (Some(hi), Some(lo)) = (hex(i + 1), hex(i + 2)) else {
                    return Err(XTextError { offset: i });
                };
                octet(hi << 4 | lo);
                i += 3;
            }
            b'=' => return Err(XTextError { offset: i }),
            b'!'..=b'~' => {
                octet(b);
                i += 1;
            }
            _ => return Err(XTextError { offset: i }),
        }
    }
    Ok(())
}

/// An xtext value as sent, validated but not decoded: a view into the command line.
///
/// Equality compares the encoded form, so `A` and `+41` differ here although they decode
/// to the same octet.
///
/// ```
/// use mailwire_smtp::XTextRef;
///
/// let id = XTextRef::parse(b"QQ314159+2Bx+3D").unwrap();
/// assert_eq!(id.as_encoded(), "QQ314159+2Bx+3D");
/// assert_eq!(id.decoded_len(), 11);
/// assert_eq!(id.into_owned().as_bytes(), b"QQ314159+x=");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct XTextRef<'a>(&'a str);

impl<'a> XTextRef<'a> {
    /// Validates the xtext form, with the errors of [`XText::decode`].
    pub fn parse(encoded: &'a [u8]) -> Result<Self, XTextError> {
        // Valid xtext is ASCII, so the conversion fails only where the walk does.
        let text = std::str::from_utf8(encoded).map_err(|e| XTextError {
            offset: e.valid_up_to(),
        });
        if !is_plain(encoded) {
            walk(encoded, |_| {})?;
        }
        text.map(Self)
    }

    /// [`Self::parse`] for text already known to be UTF-8.
    pub(crate) fn parse_str(encoded: &'a str) -> Result<Self, XTextError> {
        if !is_plain(encoded.as_bytes()) {
            walk(encoded.as_bytes(), |_| {})?;
        }
        Ok(Self(encoded))
    }

    /// The xtext form as sent.
    pub fn as_encoded(&self) -> &'a str {
        self.0
    }

    /// How many octets the value decodes to.
    pub fn decoded_len(&self) -> usize {
        if is_plain(self.0.as_bytes()) {
            return self.0.len();
        }
        let mut len = 0;
        // Validated by `parse`, so the walk goes to the end.
        let _ = walk(self.0.as_bytes(), |_| len += 1);
        len
    }

    /// Decodes the value.
    pub fn into_owned(self) -> XText {
        // Validated by `parse`, so decoding cannot fail.
        XText::decode(self.0.as_bytes()).unwrap_or_default()
    }
}

const fn is_xchar(b: u8) -> bool {
    matches!(b, b'!'..=b'~') && b != b'+' && b != b'='
}

/// Whether `encoded` is valid xtext without a `+` escape, so that it decodes to itself: one
/// pass with no branch per byte, which the compiler turns into vector code.
fn is_plain(encoded: &[u8]) -> bool {
    encoded.iter().fold(true, |ok, &b| ok & (is_xchar(b)))
}

impl fmt::Display for XText {
    /// The xtext form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::new();
        self.encode(&mut out);
        f.write_str(&String::from_utf8_lossy(&out))
    }
}

impl fmt::Debug for XText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "XText({:?})", String::from_utf8_lossy(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn rfc_3461_examples() {
        // RFC 3461 §4.2: ORCPT=rfc822;Bob+20Smith@example.com style escapes.
        assert_eq!(
            XText::decode(b"Bob+20Smith").unwrap().as_bytes(),
            b"Bob Smith"
        );
        assert_eq!(XText::new(b"a+b=c".to_vec()).to_string(), "a+2Bb+3Dc");
        assert_eq!(XText::new(vec![0, 0xff]).to_string(), "+00+FF");
    }

    #[test]
    fn malformed_xtext() {
        assert_eq!(XText::decode(b"ab+2"), Err(XTextError { offset: 2 }));
        assert_eq!(XText::decode(b"+2b"), Err(XTextError { offset: 0 }));
        assert_eq!(XText::decode(b"a=b"), Err(XTextError { offset: 1 }));
        assert_eq!(XText::decode(b"a b"), Err(XTextError { offset: 1 }));
        assert_eq!(XText::decode(b"").unwrap().as_bytes(), b"");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn round_trip(value in proptest::collection::vec(any::<u8>(), 0..40)) {
            let x = XText::new(value);
            let mut wire = Vec::new();
            x.encode(&mut wire);
            prop_assert!(wire.iter().all(|&b| (b'!'..=b'~').contains(&b) && b != b'='));
            prop_assert_eq!(XText::decode(&wire).unwrap(), x);
        }
    }
}
