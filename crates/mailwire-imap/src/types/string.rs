//! The string forms of RFC 3501 §4.3: atoms, tags, text, and string content.

use std::fmt;

use super::ValidationError;
use super::chars::{is_atom_char, is_tag_char, is_text_char};

/// Bytes the decoder checked to be ASCII (or, for a peer quirk, nearly so) as a `String`.
fn ascii_or_lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `atom = 1*ATOM-CHAR`: a non-empty run of printable ASCII without the atom-specials
/// (`(){ %*"\]` and controls).
///
/// ```
/// use mailwire_imap::types::Atom;
///
/// assert!(Atom::new("IMAP4rev1").is_ok());
/// assert!(Atom::new("two words").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Atom(String);

impl Atom {
    /// Validates an atom.
    pub fn new(value: impl Into<String>) -> Result<Self, ValidationError> {
        let value = value.into();
        if value.is_empty() {
            return Err(ValidationError::Empty("atom"));
        }
        if let Some(pos) = value.bytes().position(|b| !is_atom_char(b)) {
            return Err(ValidationError::Byte {
                what: "atom",
                byte: value.as_bytes()[pos],
            });
        }
        Ok(Self(value))
    }

    /// Wraps bytes the decoder has already checked (or, for a documented peer quirk,
    /// accepted); they are ASCII.
    pub(crate) fn unchecked(bytes: &[u8]) -> Self {
        Self(ascii_or_lossy(bytes))
    }

    /// The atom's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Compares ignoring ASCII case, as IMAP keywords compare.
    pub fn eq_ignore_case(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }
}

impl fmt::Display for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A command tag: `1*<any ASTRING-CHAR except "+">`.
///
/// Tags are short: up to 22 bytes are stored inline, without an allocation of their own.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Tag(TagRepr);

/// Tag bytes are ASCII. A tag of at most [`INLINE`] bytes is always `Inline`, zero
/// padded, so the derived comparisons compare contents.
#[derive(Clone, PartialEq, Eq, Hash)]
enum TagRepr {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(String),
}

impl TagRepr {
    fn from_ascii(bytes: &[u8]) -> Self {
        match u8::try_from(bytes.len()) {
            Ok(len) if bytes.len() <= INLINE => {
                let mut buf = [0u8; INLINE];
                buf[..bytes.len()].copy_from_slice(bytes);
                Self::Inline { len, buf }
            }
            _ => Self::Heap(ascii_or_lossy(bytes)),
        }
    }
}

impl Tag {
    /// Validates a tag.
    ///
    /// ```
    /// use mailwire_imap::types::Tag;
    ///
    /// assert!(Tag::new("a001").is_ok());
    /// assert!(Tag::new("a+1").is_err());
    /// ```
    pub fn new(value: impl Into<String>) -> Result<Self, ValidationError> {
        let value = value.into();
        if value.is_empty() {
            return Err(ValidationError::Empty("tag"));
        }
        if let Some(pos) = value.bytes().position(|b| !is_tag_char(b)) {
            return Err(ValidationError::Byte {
                what: "tag",
                byte: value.as_bytes()[pos],
            });
        }
        Ok(Self(TagRepr::from_ascii(value.as_bytes())))
    }

    /// Wraps bytes the decoder has checked to be tag characters, which are ASCII.
    pub(crate) fn unchecked(bytes: &[u8]) -> Self {
        Self(TagRepr::from_ascii(bytes))
    }

    /// The tag's text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Tag characters are ASCII, so this is never the empty fallback.
            TagRepr::Inline { len, buf } => {
                std::str::from_utf8(&buf[..usize::from(*len)]).unwrap_or_default()
            }
            TagRepr::Heap(s) => s,
        }
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Tag").field(&self.as_str()).finish()
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Human-readable text at the end of a response: `1*TEXT-CHAR`.
///
/// [`Text::new`] accepts only non-empty 7-bit text without CR and LF. The decoder also
/// accepts an empty text (servers that send a response code or `+` with nothing after it)
/// and 8-bit bytes (read as UTF-8, lossily).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Text(String);

impl Text {
    /// Validates text.
    pub fn new(value: impl Into<String>) -> Result<Self, ValidationError> {
        let value = value.into();
        if value.is_empty() {
            return Err(ValidationError::Empty("text"));
        }
        if let Some(pos) = value.bytes().position(|b| !is_text_char(b)) {
            return Err(ValidationError::Byte {
                what: "text",
                byte: value.as_bytes()[pos],
            });
        }
        Ok(Self(value))
    }

    pub(crate) fn lenient(bytes: &[u8]) -> Self {
        Self(String::from_utf8_lossy(bytes).into_owned())
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the text is empty (only possible for decoded text).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The content of an IMAP `string` or `astring`: any bytes but NUL.
///
/// The wire form (atom, quoted string or literal) is the encoder's choice, made from the
/// content: an atom where the grammar allows one and the content is an atom, a quoted
/// string for 7-bit content without CR and LF, a literal otherwise. Two strings are equal
/// when their contents are, whatever form they arrived in.
///
/// Short contents (most header fields, names and parameters) are stored inline, without
/// an allocation of their own.
///
/// ```
/// use mailwire_imap::types::IString;
///
/// let s = IString::new("Fred Foobar").unwrap();
/// assert_eq!(s.as_bytes(), b"Fred Foobar");
/// assert!(IString::new(&b"nul\0"[..]).is_err());
/// ```
#[derive(Clone)]
pub struct IString(Repr);

const INLINE: usize = 22;

#[derive(Clone)]
enum Repr {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Vec<u8>),
}

impl IString {
    /// Validates string content (no NUL byte).
    pub fn new(value: impl Into<Vec<u8>>) -> Result<Self, ValidationError> {
        let value = value.into();
        if memchr::memchr(0, &value).is_some() {
            return Err(ValidationError::Byte {
                what: "string",
                byte: 0,
            });
        }
        Ok(Self::unchecked(value))
    }

    pub(crate) fn unchecked(value: Vec<u8>) -> Self {
        if value.len() <= INLINE {
            Self::from_slice(&value)
        } else {
            Self(Repr::Heap(value))
        }
    }

    /// Content the decoder has checked, copied inline when it is short.
    pub(crate) fn from_slice(value: &[u8]) -> Self {
        match u8::try_from(value.len()) {
            Ok(len) if value.len() <= INLINE => {
                let mut buf = [0u8; INLINE];
                buf[..value.len()].copy_from_slice(value);
                Self(Repr::Inline { len, buf })
            }
            _ => Self(Repr::Heap(value.to_vec())),
        }
    }

    /// The content.
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, buf } => &buf[..usize::from(*len)],
            Repr::Heap(v) => v,
        }
    }

    /// The content as UTF-8, if it is.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(self.as_bytes()).ok()
    }

    /// Unwraps the content.
    pub fn into_bytes(self) -> Vec<u8> {
        match self.0 {
            Repr::Inline { .. } => self.as_bytes().to_vec(),
            Repr::Heap(v) => v,
        }
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// Whether the string is empty.
    pub fn is_empty(&self) -> bool {
        self.as_bytes().is_empty()
    }
}

impl Default for IString {
    fn default() -> Self {
        Self::from_slice(b"")
    }
}

impl PartialEq for IString {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for IString {}

impl std::hash::Hash for IString {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl PartialOrd for IString {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for IString {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl AsRef<[u8]> for IString {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl fmt::Debug for IString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

impl TryFrom<&str> for IString {
    type Error = ValidationError;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

/// `nstring = string / nil`.
pub type NString = Option<IString>;

/// A charset name as SEARCH and BADCHARSET carry it: `astring`, restricted here to
/// printable ASCII so that it always has an atom or quoted form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Charset(String);

impl Charset {
    /// Validates a charset name.
    pub fn new(value: impl Into<String>) -> Result<Self, ValidationError> {
        let value = value.into();
        if value.is_empty() {
            return Err(ValidationError::Empty("charset"));
        }
        if let Some(pos) = value.bytes().position(|b| !is_text_char(b)) {
            return Err(ValidationError::Byte {
                what: "charset",
                byte: value.as_bytes()[pos],
            });
        }
        Ok(Self(value))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A hierarchy delimiter: `QUOTED-CHAR`, one 7-bit character other than CR and LF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Delimiter(u8);

impl Delimiter {
    /// Validates a delimiter.
    pub fn new(value: char) -> Result<Self, ValidationError> {
        match u8::try_from(value) {
            Ok(b) if is_text_char(b) => Ok(Self(b)),
            _ => Err(ValidationError::Invalid("delimiter")),
        }
    }

    pub(crate) fn from_byte(b: u8) -> Option<Self> {
        is_text_char(b).then_some(Self(b))
    }

    /// The character.
    pub fn as_char(self) -> char {
        char::from(self.0)
    }

    pub(crate) fn as_byte(self) -> u8 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_short_and_long_read_back() {
        let long = "t".repeat(40);
        for text in ["a", "A0001", "x".repeat(22).as_str(), long.as_str()] {
            let tag = Tag::new(text).unwrap();
            assert_eq!(tag.as_str(), text);
            assert_eq!(tag.to_string(), text);
            assert_eq!(format!("{tag:?}"), format!("Tag({text:?})"));
            assert_eq!(Tag::unchecked(text.as_bytes()), tag);
        }
        assert_ne!(Tag::new("a1").unwrap(), Tag::new("a10").unwrap());
    }

    #[test]
    fn atoms_reject_specials_and_empty() {
        assert_eq!(Atom::new("").unwrap_err(), ValidationError::Empty("atom"));
        assert_eq!(
            Atom::new("a]b").unwrap_err(),
            ValidationError::Byte {
                what: "atom",
                byte: b']'
            }
        );
        assert_eq!(
            Atom::new("\\Seen").unwrap_err(),
            ValidationError::Byte {
                what: "atom",
                byte: b'\\'
            }
        );
        assert_eq!(Atom::new("$Forwarded").unwrap().as_str(), "$Forwarded");
    }

    #[test]
    fn tags_allow_brackets_but_not_plus() {
        assert_eq!(Tag::new("a]1").unwrap().as_str(), "a]1");
        assert!(Tag::new("+").is_err());
        assert!(Tag::new("*").is_err());
    }

    #[test]
    fn text_refuses_line_breaks_and_8bit() {
        assert!(Text::new("done").is_ok());
        assert!(Text::new("a\r\nb").is_err());
        assert!(Text::new("é").is_err());
        assert!(Text::new("").is_err());
    }

    #[test]
    fn strings_compare_by_content_whatever_their_storage() {
        let short = IString::new("short").unwrap();
        let long = IString::new("a string longer than the inline buffer").unwrap();
        assert_eq!(short.as_bytes(), b"short");
        assert_eq!(long.len(), 38);
        assert_eq!(
            IString::unchecked(b"short".to_vec()),
            IString::from_slice(b"short")
        );
        let boundary = vec![b'x'; INLINE];
        assert_eq!(
            IString::new(boundary.clone()).unwrap().into_bytes(),
            boundary
        );
        let over = vec![b'y'; INLINE + 1];
        assert_eq!(IString::from_slice(&over).as_bytes(), &over[..]);
        assert!(short != long && short > long);
        assert_eq!(IString::default().len(), 0);
    }

    #[test]
    fn delimiter_is_one_ascii_char() {
        assert_eq!(Delimiter::new('/').unwrap().as_char(), '/');
        assert!(Delimiter::new('\n').is_err());
        assert!(Delimiter::new('é').is_err());
    }
}
