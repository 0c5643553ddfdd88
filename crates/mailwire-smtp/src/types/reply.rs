//! Replies: a three-digit code, an optional enhanced status code, one or more lines of
//! text (RFC 5321 §4.2, RFC 2034, RFC 3463).
//!
//! ```text
//! Reply-line = *( Reply-code "-" [ textstring ] CRLF )
//!              Reply-code [ SP textstring ] CRLF
//! Reply-code = %x32-35 %x30-35 %x30-39
//! status-code = class "." subject "." detail    ; RFC 3463, at the start of each line
//! ```

use std::fmt;

use crate::types::grammar::is_text;

/// The most a reply may span when decoded, all lines together. Longer replies are refused
/// rather than buffered.
pub const MAX_REPLY_LEN: usize = 64 * 1024;

/// Why a reply (or the text given to build one) was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// The line does not start with a reply code from 200 to 599.
    #[error("invalid reply code")]
    Code,
    /// The code is followed by something other than SP, `-` or the line end.
    #[error("invalid separator after reply code")]
    Separator,
    /// The lines of a multi-line reply carry different codes.
    #[error("reply lines carry different codes")]
    MixedCodes,
    /// The text holds a control character.
    #[error("invalid reply text")]
    Text,
    /// An enhanced code whose class differs from the reply code's first digit.
    #[error("enhanced status class does not match the reply code")]
    EnhancedClass,
    /// A reply with no line.
    #[error("reply without text lines")]
    Empty,
    /// The reply exceeds [`MAX_REPLY_LEN`].
    #[error("reply longer than {MAX_REPLY_LEN} octets")]
    TooLong,
}

/// A reply code, 200 to 599.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplyCode(pub(crate) u16);

impl ReplyCode {
    /// `220` service ready.
    pub const SERVICE_READY: Self = Self(220);
    /// `221` closing the transmission channel.
    pub const CLOSING: Self = Self(221);
    /// `235` authentication succeeded.
    pub const AUTH_SUCCEEDED: Self = Self(235);
    /// `250` requested action okay.
    pub const OK: Self = Self(250);
    /// `334` continue the SASL exchange.
    pub const AUTH_CONTINUE: Self = Self(334);
    /// `354` start mail input.
    pub const START_MAIL_INPUT: Self = Self(354);
    /// `421` service not available, closing the channel.
    pub const SERVICE_UNAVAILABLE: Self = Self(421);

    /// A code from 200 to 599.
    pub const fn new(code: u16) -> Option<Self> {
        if code >= 200 && code <= 599 {
            Some(Self(code))
        } else {
            None
        }
    }

    /// The number.
    pub const fn get(self) -> u16 {
        self.0
    }

    /// The first digit: 2 success, 3 intermediate, 4 transient failure, 5 permanent failure.
    pub const fn class(self) -> u8 {
        #[allow(clippy::cast_possible_truncation, reason = "self.0 / 100 is 2 to 5")]
        let class = (self.0 / 100) as u8;
        class
    }

    /// A 2xx code.
    pub const fn is_success(self) -> bool {
        self.class() == 2
    }

    /// A 3xx code.
    pub const fn is_intermediate(self) -> bool {
        self.class() == 3
    }

    /// A 4xx or 5xx code.
    pub const fn is_failure(self) -> bool {
        self.class() >= 4
    }
}

impl TryFrom<u16> for ReplyCode {
    type Error = ReplyError;

    /// A code from 200 to 599, else [`ReplyError::Code`].
    fn try_from(code: u16) -> Result<Self, ReplyError> {
        Self::new(code).ok_or(ReplyError::Code)
    }
}

impl From<std::convert::Infallible> for ReplyError {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An enhanced status code `class.subject.detail` (RFC 3463): class 2, 4 or 5; subject and
/// detail up to 999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnhancedCode {
    pub(crate) class: u8,
    pub(crate) subject: u16,
    pub(crate) detail: u16,
}

impl EnhancedCode {
    /// A status code, if it is one RFC 3463 can express.
    ///
    /// ```
    /// use mailwire_smtp::EnhancedCode;
    ///
    /// assert_eq!(EnhancedCode::new(5, 1, 1).unwrap().to_string(), "5.1.1");
    /// assert!(EnhancedCode::new(3, 0, 0).is_none());
    /// ```
    pub const fn new(class: u8, subject: u16, detail: u16) -> Option<Self> {
        if matches!(class, 2 | 4 | 5) && subject <= 999 && detail <= 999 {
            Some(Self {
                class,
                subject,
                detail,
            })
        } else {
            None
        }
    }

    /// 2, 4 or 5.
    pub const fn class(self) -> u8 {
        self.class
    }

    /// The subject (0 to 999).
    pub const fn subject(self) -> u16 {
        self.subject
    }

    /// The detail (0 to 999).
    pub const fn detail(self) -> u16 {
        self.detail
    }
}

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// A server reply.
///
/// The enhanced status code, when present, is written at the start of every line (RFC 2034
/// §4); the `lines` hold the text after it. When decoding, a code at the start of the first
/// line whose class matches the reply code is taken as the enhanced code, and removed from
/// every line that repeats it.
///
/// ```
/// use mailwire_smtp::{EnhancedCode, Reply, ReplyCode};
///
/// let reply = Reply::new(ReplyCode::OK, "Ok\nqueued as 1A2B")
///     .unwrap()
///     .with_enhanced(EnhancedCode::new(2, 0, 0).unwrap())
///     .unwrap();
/// assert_eq!(reply.to_string(), "250-2.0.0 Ok\r\n250 2.0.0 queued as 1A2B\r\n");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Reply {
    pub(crate) code: ReplyCode,
    pub(crate) enhanced: Option<EnhancedCode>,
    /// The text lines in one buffer, joined by `\n` (which no line can hold): a reply of
    /// any number of lines costs one allocation.
    pub(crate) text: String,
}

impl Reply {
    /// A reply whose text lines are separated by `\n`, from a code given as a number or a
    /// [`ReplyCode`]. An enhanced status code at the start of the text (`"2.1.0 Ok"`) whose
    /// class matches the reply code becomes the reply's [`enhanced`](Self::enhanced) code,
    /// as it does when a reply is decoded; later lines may repeat it. Control characters
    /// other than HT are refused.
    ///
    /// ```
    /// use mailwire_smtp::{EnhancedCode, Reply};
    ///
    /// let reply = Reply::new(250, "2.1.0 Ok")?;
    /// assert_eq!(reply.enhanced(), EnhancedCode::new(2, 1, 0));
    /// assert_eq!(reply.to_string(), "250 2.1.0 Ok\r\n");
    /// assert!(Reply::new(600, "Ok").is_err());
    /// # Ok::<(), mailwire_smtp::ReplyError>(())
    /// ```
    pub fn new<C>(code: C, text: &str) -> Result<Self, ReplyError>
    where
        C: TryInto<ReplyCode>,
        ReplyError: From<C::Error>,
    {
        Self::from_lines(code, text.split('\n'))
    }

    /// A reply from its text lines (at least one), read as [`new`](Self::new) reads them.
    pub fn from_lines<C, S>(code: C, lines: impl IntoIterator<Item = S>) -> Result<Self, ReplyError>
    where
        C: TryInto<ReplyCode>,
        ReplyError: From<C::Error>,
        S: Into<String>,
    {
        let code = code.try_into()?;
        let mut text = String::new();
        let mut enhanced = None;
        let mut count = 0;
        for line in lines {
            let line = line.into();
            if !is_text(line.as_bytes()) {
                return Err(ReplyError::Text);
            }
            let prefix = EnhancedCode::parse_prefix(line.as_bytes());
            if count == 0 {
                enhanced = prefix.map(|(e, _)| e).filter(|e| e.class == code.class());
            }
            let line = match (enhanced, prefix) {
                (Some(enhanced), Some((e, skip))) if e == enhanced => &line[skip..],
                _ => &line[..],
            };
            if count > 0 {
                text.push('\n');
            }
            text.push_str(line);
            count += 1;
        }
        if count == 0 {
            return Err(ReplyError::Empty);
        }
        Ok(Self {
            code,
            enhanced,
            text,
        })
    }

    /// Adds an enhanced status code; its class must equal the reply code's first digit.
    pub fn with_enhanced(mut self, enhanced: EnhancedCode) -> Result<Self, ReplyError> {
        if enhanced.class != self.code.class() {
            return Err(ReplyError::EnhancedClass);
        }
        self.enhanced = Some(enhanced);
        Ok(self)
    }

    /// A reply built from text this crate writes itself.
    pub(crate) fn fixed(code: u16, enhanced: Option<(u8, u16, u16)>, text: &str) -> Self {
        debug_assert!(ReplyCode::new(code).is_some() && is_text(text.as_bytes()));
        let enhanced = enhanced.and_then(|(c, s, d)| EnhancedCode::new(c, s, d));
        debug_assert!(enhanced.is_none_or(|e| e.class == ReplyCode(code).class()));
        Self {
            code: ReplyCode(code),
            enhanced,
            text: text.to_owned(),
        }
    }

    /// The reply code.
    pub fn code(&self) -> ReplyCode {
        self.code
    }

    /// The enhanced status code, if any.
    pub fn enhanced(&self) -> Option<EnhancedCode> {
        self.enhanced
    }

    /// The text lines, without codes: at least one, possibly empty.
    ///
    /// ```
    /// use mailwire_smtp::{Reply, ReplyCode};
    ///
    /// let reply = Reply::new(ReplyCode::OK, "mx.example.org\nSIZE 1000").unwrap();
    /// assert_eq!(reply.lines().collect::<Vec<_>>(), ["mx.example.org", "SIZE 1000"]);
    /// ```
    pub fn lines(&self) -> std::str::Split<'_, char> {
        self.text.split('\n')
    }

    /// Drops the enhanced code (for a server configured without ENHANCEDSTATUSCODES).
    pub(crate) fn without_enhanced(mut self) -> Self {
        self.enhanced = None;
        self
    }
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("code", &self.code)
            .field("enhanced", &self.enhanced)
            .field("lines", &self.lines().collect::<Vec<_>>())
            .finish()
    }
}

impl fmt::Display for Reply {
    /// The wire form, CRLFs included.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::new();
        crate::codec::encode_reply(self, &mut out);
        f.write_str(&String::from_utf8_lossy(&out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn construction_validates() {
        assert_eq!(Reply::new(ReplyCode::OK, "a\rb"), Err(ReplyError::Text));
        assert_eq!(
            Reply::from_lines(ReplyCode::OK, Vec::<String>::new()),
            Err(ReplyError::Empty)
        );
        assert_eq!(
            Reply::new(ReplyCode::OK, "x")
                .unwrap()
                .with_enhanced(EnhancedCode::new(5, 0, 0).unwrap()),
            Err(ReplyError::EnhancedClass)
        );
        assert_eq!(ReplyCode::new(600), None);
        assert_eq!(ReplyCode::new(199), None);
    }
}
