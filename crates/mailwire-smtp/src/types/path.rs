//! Mailboxes, domains and the paths of MAIL and RCPT (RFC 5321 §4.1.2, RFC 6531 §3.3).
//!
//! ```text
//! Reverse-path   = Path / "<>"
//! Forward-path   = Path
//! Path           = "<" [ A-d-l ":" ] Mailbox ">"
//! A-d-l          = At-domain *( "," At-domain )   ; source route: accepted, ignored
//! Mailbox        = Local-part "@" ( Domain / address-literal )
//! Local-part     = Dot-string / Quoted-string
//! ```
//!
//! Non-ASCII local parts and U-label domains are accepted (RFC 6531); whether the
//! transaction announced `SMTPUTF8` is for the session to check, with [`Mailbox::is_ascii`].

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::types::grammar::{is_atext, is_ldh, is_qtext_smtp};

/// Longest local part a receiver must accept, in octets (RFC 5321 §4.5.3.1.1).
pub const MAX_LOCAL_PART_LEN: usize = 64;
/// Longest domain, in octets (RFC 5321 §4.5.3.1.2).
pub const MAX_DOMAIN_LEN: usize = 255;
/// Longest reverse or forward path, angle brackets included (RFC 5321 §4.5.3.1.3).
pub const MAX_PATH_LEN: usize = 256;

const MAX_LABEL_LEN: usize = 63;

/// Why a path, mailbox or domain was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    /// The path does not start with `<` or does not end with `>`.
    #[error("path must be enclosed in angle brackets")]
    Brackets,
    /// The local part is neither a dot-string nor a quoted string.
    #[error("invalid local part")]
    LocalPart,
    /// The local part exceeds [`MAX_LOCAL_PART_LEN`].
    #[error("local part longer than 64 octets")]
    LocalPartTooLong,
    /// The mailbox has no `@` between local part and domain.
    #[error("missing @ in mailbox")]
    MissingAt,
    /// The domain is not a sequence of valid labels.
    #[error("invalid domain")]
    Domain,
    /// The domain exceeds [`MAX_DOMAIN_LEN`].
    #[error("domain longer than 255 octets")]
    DomainTooLong,
    /// The address literal is neither IPv4, IPv6 nor a general literal.
    #[error("invalid address literal")]
    AddressLiteral,
    /// The source route (`@a,@b:`) is malformed.
    #[error("invalid source route")]
    SourceRoute,
    /// The path exceeds [`MAX_PATH_LEN`].
    #[error("path longer than 256 octets")]
    PathTooLong,
    /// `<>` where a mailbox is required (a forward path).
    #[error("null path not allowed here")]
    NullPath,
    /// Non-ASCII bytes that are not UTF-8.
    #[error("invalid utf-8")]
    Utf8,
}

/// A domain name: dot-separated labels of letters, digits and inner hyphens, or U-labels
/// (RFC 6531), at most [`MAX_DOMAIN_LEN`] octets.
///
/// ```
/// use mailwire_smtp::Domain;
///
/// assert_eq!(Domain::new("mail.example.org").unwrap().as_str(), "mail.example.org");
/// assert!(Domain::new("bad..example").is_err());
/// assert!(Domain::new("-x.example").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Domain(DomainText);

impl Domain {
    /// Validates a domain name.
    pub fn new(name: impl Into<String>) -> Result<Self, PathError> {
        let name = name.into();
        validate_domain(name.as_bytes())?;
        Ok(Self(DomainText::new(&name)))
    }

    /// The domain as written.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Whether every label is ASCII (no SMTPUTF8 needed).
    pub fn is_ascii(&self) -> bool {
        self.0.as_str().is_ascii()
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

/// Text of a domain or a local part. Nearly all are short, so up to `N` octets are held in
/// place and only longer ones are allocated: decoding MAIL, RCPT or EHLO then rarely
/// allocates for them.
#[derive(Clone)]
pub(crate) enum InlineText<const N: usize> {
    Inline { len: u8, bytes: [u8; N] },
    Heap(Box<str>),
}

/// A local part: as many octets as fit beside the length in the space of a `String`.
type LocalText = InlineText<22>;

/// A domain: as many octets as fit beside the length in six words. Domain names are
/// often longer than local parts (`mail.students.university.example.edu`), and an
/// allocation costs more than moving the larger value.
type DomainText = InlineText<46>;

impl<const N: usize> InlineText<N> {
    /// How many octets are held in place.
    #[cfg(test)]
    const INLINE: usize = N;

    pub(crate) fn new(text: &str) -> Self {
        Self::inline(text.as_bytes()).unwrap_or_else(|| Self::Heap(text.into()))
    }

    /// Text from octets already checked to be UTF-8 ([`check_utf8`]): short text is copied
    /// in place without a second check.
    #[inline]
    fn from_checked(text: &[u8]) -> Self {
        Self::inline(text).unwrap_or_else(|| Self::Heap(as_text(text).into()))
    }

    /// Holds `text`, known to be UTF-8, in place if it fits.
    #[inline]
    fn inline(text: &[u8]) -> Option<Self> {
        match u8::try_from(text.len()) {
            Ok(len) if text.len() <= N => {
                let mut bytes = [0; N];
                copy_short(&mut bytes, text);
                Some(Self::Inline { len, bytes })
            }
            _ => None,
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            // The bytes were copied from a `str`, whole, so the check cannot fail.
            Self::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            Self::Heap(text) => text,
        }
    }
}

/// Copies `src` (at most `N` octets) to the front of `dst` with fixed-size, possibly
/// overlapping moves: a copy of a variable length would be a call to `memcpy`, which costs
/// more than the short copy itself.
#[inline]
fn copy_short<const N: usize>(dst: &mut [u8; N], src: &[u8]) {
    let n = src.len();
    if n >= 32 {
        dst[..32].copy_from_slice(&src[..32]);
        dst[n - 32..n].copy_from_slice(&src[n - 32..]);
    } else if n >= 16 {
        dst[..16].copy_from_slice(&src[..16]);
        dst[n - 16..n].copy_from_slice(&src[n - 16..]);
    } else if n >= 8 {
        dst[..8].copy_from_slice(&src[..8]);
        dst[n - 8..n].copy_from_slice(&src[n - 8..]);
    } else if n >= 4 {
        dst[..4].copy_from_slice(&src[..4]);
        dst[n - 4..n].copy_from_slice(&src[n - 4..]);
    } else {
        for (d, s) in dst.iter_mut().zip(src) {
            *d = *s;
        }
    }
}

impl<const N: usize> PartialEq for InlineText<N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl<const N: usize> Eq for InlineText<N> {}

impl<const N: usize> std::hash::Hash for InlineText<N> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl<const N: usize> fmt::Debug for InlineText<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_str().fmt(f)
    }
}

/// Refuses octets that are not UTF-8. The usual ASCII text costs one `is_ascii` scan; the
/// views keep the octets and turn them into text ([`as_text`]) only when asked.
fn check_utf8(text: &[u8]) -> Result<&[u8], PathError> {
    if text.is_ascii() || std::str::from_utf8(text).is_ok() {
        Ok(text)
    } else {
        Err(PathError::Utf8)
    }
}

/// Octets that passed [`check_utf8`] as text.
fn as_text(text: &[u8]) -> &str {
    // Checked when parsed, so the conversion cannot fail.
    std::str::from_utf8(text).unwrap_or_default()
}

/// A domain name as sent, validated as [`Domain::new`] does: a view into the input.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct DomainRef<'a>(&'a [u8]);

impl<'a> DomainRef<'a> {
    /// The domain as written.
    pub fn as_str(&self) -> &'a str {
        as_text(self.0)
    }

    /// Whether every label is ASCII (no SMTPUTF8 needed).
    pub fn is_ascii(&self) -> bool {
        self.0.is_ascii()
    }

    /// The owned domain.
    #[inline]
    pub fn into_owned(self) -> Domain {
        Domain(DomainText::from_checked(self.0))
    }
}

impl fmt::Debug for DomainRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DomainRef").field(&self.as_str()).finish()
    }
}

/// `Domain = sub-domain *("." sub-domain)`, `sub-domain = Let-dig [Ldh-str] / U-label`,
/// in one pass: labels of 1 to 63 octets that neither start nor end with a hyphen.
fn validate_domain(s: &[u8]) -> Result<(), PathError> {
    if s.len() > MAX_DOMAIN_LEN {
        return Err(PathError::DomainTooLong);
    }
    let mut rest = s;
    loop {
        let len = rest.iter().take_while(|&&b| is_ldh(b)).count();
        let label = &rest[..len];
        let ok = len <= MAX_LABEL_LEN
            && label.first().is_some_and(|&b| b != b'-')
            && label.last().is_some_and(|&b| b != b'-');
        match rest.get(len) {
            _ if !ok => return Err(PathError::Domain),
            None => return Ok(()),
            Some(b'.') => rest = &rest[len + 1..],
            Some(_) => return Err(PathError::Domain),
        }
    }
}

/// Scans a domain from `start` to the first octet that is neither part of a label nor a
/// dot, checking the labels on the way as [`validate_domain`] does; returns where it ends.
/// One pass instead of finding the end and then validating.
fn scan_domain(input: &[u8], start: usize) -> Result<usize, PathError> {
    let mut i = start;
    let mut labels_ok = true;
    loop {
        let label_start = i;
        while input.get(i).is_some_and(|&b| is_ldh(b)) {
            i += 1;
        }
        let label = &input[label_start..i];
        labels_ok &= label.len() <= MAX_LABEL_LEN
            && label.first().is_some_and(|&b| b != b'-')
            && label.last().is_some_and(|&b| b != b'-');
        if input.get(i) != Some(&b'.') {
            break;
        }
        i += 1;
    }
    if i - start > MAX_DOMAIN_LEN {
        Err(PathError::DomainTooLong)
    } else if labels_ok {
        Ok(i)
    } else {
        Err(PathError::Domain)
    }
}

/// An address literal: `[192.0.2.1]`, `[IPv6:2001:db8::1]` or a general literal
/// `[tag:content]` (RFC 5321 §4.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AddressLiteral {
    /// `IPv4-address-literal = Snum 3("."  Snum)`
    Ipv4(Ipv4Addr),
    /// `IPv6-address-literal = "IPv6:" IPv6-addr`
    Ipv6(Ipv6Addr),
    /// `General-address-literal = Standardized-tag ":" 1*dcontent`; boxed because it is
    /// rare and would otherwise double the size of every [`Host`] and [`Mailbox`].
    General(Box<GeneralLiteral>),
}

/// A general address literal's tag and content (RFC 5321 §4.1.3), validated by
/// [`AddressLiteral::general`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GeneralLiteral {
    tag: String,
    content: String,
}

impl GeneralLiteral {
    /// The standardized tag (an `Ldh-str`).
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// The content after the colon: `%d33-90 / %d94-126`.
    pub fn content(&self) -> &str {
        &self.content
    }
}

impl AddressLiteral {
    /// A general address literal, validated.
    pub fn general(tag: impl Into<String>, content: impl Into<String>) -> Result<Self, PathError> {
        let (tag, content) = (tag.into(), content.into());
        if is_general_literal(&tag, &content) {
            Ok(Self::General(Box::new(GeneralLiteral { tag, content })))
        } else {
            Err(PathError::AddressLiteral)
        }
    }
}

/// `General-address-literal = Standardized-tag ":" 1*dcontent`, the tag an `Ldh-str` other
/// than `IPv6`.
fn is_general_literal(tag: &str, content: &str) -> bool {
    let tag_ok = tag
        .as_bytes()
        .first()
        .is_some_and(u8::is_ascii_alphanumeric)
        && tag.as_bytes().last().is_some_and(u8::is_ascii_alphanumeric)
        && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !tag.eq_ignore_ascii_case("IPv6");
    let content_ok =
        !content.is_empty() && content.bytes().all(|b| matches!(b, 33..=90 | 94..=126));
    tag_ok && content_ok
}

/// An address literal as sent: the general literal's text is a view into the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AddressLiteralRef<'a> {
    /// `IPv4-address-literal`
    Ipv4(Ipv4Addr),
    /// `IPv6-address-literal`
    Ipv6(Ipv6Addr),
    /// `General-address-literal = Standardized-tag ":" 1*dcontent`
    General {
        /// The standardized tag.
        tag: &'a str,
        /// The content after the colon.
        content: &'a str,
    },
}

impl<'a> AddressLiteralRef<'a> {
    /// Parses the text between the brackets.
    fn parse_inner(inner: &'a [u8]) -> Result<Self, PathError> {
        if inner.len() > 5 && inner[..5].eq_ignore_ascii_case(b"IPv6:") {
            let text = std::str::from_utf8(&inner[5..]).map_err(|_| PathError::AddressLiteral)?;
            return text
                .parse()
                .map(Self::Ipv6)
                .map_err(|_| PathError::AddressLiteral);
        }
        if let Some(colon) = memchr::memchr(b':', inner) {
            let tag =
                std::str::from_utf8(&inner[..colon]).map_err(|_| PathError::AddressLiteral)?;
            let content =
                std::str::from_utf8(&inner[colon + 1..]).map_err(|_| PathError::AddressLiteral)?;
            return if is_general_literal(tag, content) {
                Ok(Self::General { tag, content })
            } else {
                Err(PathError::AddressLiteral)
            };
        }
        parse_ipv4(inner)
            .map(Self::Ipv4)
            .ok_or(PathError::AddressLiteral)
    }

    /// The owned literal.
    pub fn into_owned(self) -> AddressLiteral {
        match self {
            Self::Ipv4(a) => AddressLiteral::Ipv4(a),
            Self::Ipv6(a) => AddressLiteral::Ipv6(a),
            Self::General { tag, content } => AddressLiteral::General(Box::new(GeneralLiteral {
                tag: tag.to_owned(),
                content: content.to_owned(),
            })),
        }
    }
}

/// `Snum 3("." Snum)`, `Snum = 1*3DIGIT` with a value of 0 to 255 (leading zeros allowed).
fn parse_ipv4(s: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = s.split(|&b| b == b'.');
    for octet in &mut octets {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 3 || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let value = part.iter().fold(0u16, |n, &b| n * 10 + u16::from(b - b'0'));
        *octet = u8::try_from(value).ok()?;
    }
    parts.next().is_none().then_some(Ipv4Addr::from(octets))
}

impl fmt::Display for AddressLiteral {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ipv4(a) => write!(f, "[{a}]"),
            Self::Ipv6(a) => write!(f, "[IPv6:{a}]"),
            Self::General(g) => write!(f, "[{}:{}]", g.tag, g.content),
        }
    }
}

/// What follows the `@` of a mailbox, or the argument of HELO / EHLO / LHLO.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Host {
    /// A domain name.
    Domain(Domain),
    /// An address literal in brackets.
    Literal(AddressLiteral),
}

impl Host {
    /// Parses `Domain / address-literal`.
    ///
    /// ```
    /// use mailwire_smtp::{AddressLiteral, Host};
    ///
    /// assert_eq!(
    ///     Host::parse("[192.0.2.1]").unwrap(),
    ///     Host::Literal(AddressLiteral::Ipv4([192, 0, 2, 1].into()))
    /// );
    /// assert_eq!(Host::parse("foo.com").unwrap().to_string(), "foo.com");
    /// ```
    pub fn parse(s: &str) -> Result<Self, PathError> {
        Self::parse_bytes(s.as_bytes())
    }

    pub(crate) fn parse_bytes(s: &[u8]) -> Result<Self, PathError> {
        HostRef::parse_bytes(s).map(HostRef::into_owned)
    }

    /// Whether the host needs no SMTPUTF8.
    pub fn is_ascii(&self) -> bool {
        match self {
            Self::Domain(d) => d.is_ascii(),
            Self::Literal(_) => true,
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Domain(d) => d.fmt(f),
            Self::Literal(l) => l.fmt(f),
        }
    }
}

/// What follows the `@` of a mailbox, or the argument of HELO / EHLO / LHLO, as sent: a
/// view into the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HostRef<'a> {
    /// A domain name.
    Domain(DomainRef<'a>),
    /// An address literal in brackets.
    Literal(AddressLiteralRef<'a>),
}

impl<'a> HostRef<'a> {
    pub(crate) fn parse_bytes(s: &'a [u8]) -> Result<Self, PathError> {
        match s {
            [b'[', inner @ .., b']'] => AddressLiteralRef::parse_inner(inner).map(Self::Literal),
            _ => {
                validate_domain(s)?;
                Ok(Self::Domain(DomainRef(check_utf8(s)?)))
            }
        }
    }

    /// Whether the host needs no SMTPUTF8.
    pub fn is_ascii(&self) -> bool {
        match self {
            Self::Domain(d) => d.is_ascii(),
            Self::Literal(_) => true,
        }
    }

    /// The owned host.
    #[inline]
    pub fn into_owned(self) -> Host {
        match self {
            Self::Domain(d) => Host::Domain(d.into_owned()),
            Self::Literal(l) => Host::Literal(l.into_owned()),
        }
    }
}

impl From<Domain> for Host {
    fn from(d: Domain) -> Self {
        Self::Domain(d)
    }
}

/// `Mailbox = Local-part "@" ( Domain / address-literal )`.
///
/// A quoted local part is kept exactly as sent, quotes and backslashes included, because
/// only the receiving domain may interpret it (RFC 5321 §2.4).
///
/// ```
/// use mailwire_smtp::Mailbox;
///
/// let m = Mailbox::parse(r#""John \"Q\" Public"@example.com"#).unwrap();
/// assert_eq!(m.local_part(), r#""John \"Q\" Public""#);
/// assert_eq!(m.host().to_string(), "example.com");
/// assert!(Mailbox::parse("no-at-sign").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mailbox {
    local_part: LocalText,
    pub(crate) host: Host,
}

impl Mailbox {
    /// Builds a mailbox from a local part (dot-string or quoted string, as it goes on the wire)
    /// and a host.
    pub fn new(local_part: impl Into<String>, host: Host) -> Result<Self, PathError> {
        let local_part = local_part.into();
        let end = scan_local_part(local_part.as_bytes(), 0)?;
        if end != local_part.len() {
            return Err(PathError::LocalPart);
        }
        if local_part.len() > MAX_LOCAL_PART_LEN {
            return Err(PathError::LocalPartTooLong);
        }
        Ok(Self {
            local_part: LocalText::new(&local_part),
            host,
        })
    }

    /// Parses `local-part@host`.
    pub fn parse(s: &str) -> Result<Self, PathError> {
        let (mailbox, end) = scan_mailbox(s.as_bytes(), 0, |b| b == b'>')?;
        if end != s.len() {
            return Err(PathError::Domain);
        }
        Ok(mailbox.into_owned())
    }

    /// The local part as sent: a dot-string, or a quoted string with its quotes.
    pub fn local_part(&self) -> &str {
        self.local_part.as_str()
    }

    /// The domain or address literal after the `@`.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// Whether the mailbox is all ASCII; a non-ASCII one needs SMTPUTF8 (RFC 6531).
    pub fn is_ascii(&self) -> bool {
        self.local_part().is_ascii() && self.host.is_ascii()
    }
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local_part(), self.host)
    }
}

/// A mailbox as sent: local part and domain are views into the input.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MailboxRef<'a> {
    local_part: &'a [u8],
    host: HostRef<'a>,
}

impl fmt::Debug for MailboxRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailboxRef")
            .field("local_part", &self.local_part())
            .field("host", &self.host)
            .finish()
    }
}

impl<'a> MailboxRef<'a> {
    /// The local part as sent: a dot-string, or a quoted string with its quotes.
    pub fn local_part(&self) -> &'a str {
        as_text(self.local_part)
    }

    /// The domain or address literal after the `@`.
    pub fn host(&self) -> HostRef<'a> {
        self.host
    }

    /// Whether the mailbox is all ASCII; a non-ASCII one needs SMTPUTF8 (RFC 6531).
    pub fn is_ascii(&self) -> bool {
        self.local_part.is_ascii() && self.host.is_ascii()
    }

    /// The owned mailbox.
    #[inline]
    pub fn into_owned(self) -> Mailbox {
        Mailbox {
            local_part: LocalText::from_checked(self.local_part),
            host: self.host.into_owned(),
        }
    }
}

/// The argument of MAIL FROM as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReversePathRef<'a> {
    /// `<>`
    Null,
    /// `<mailbox>`
    Mailbox(MailboxRef<'a>),
}

impl<'a> ReversePathRef<'a> {
    /// The mailbox, unless this is the null path.
    pub fn mailbox(&self) -> Option<MailboxRef<'a>> {
        match self {
            Self::Null => None,
            Self::Mailbox(m) => Some(*m),
        }
    }

    /// The owned path.
    #[inline]
    pub fn into_owned(self) -> ReversePath {
        match self {
            Self::Null => ReversePath::Null,
            Self::Mailbox(m) => ReversePath::Mailbox(m.into_owned()),
        }
    }

    /// `<Postmaster>` names a recipient, never a sender.
    pub(crate) fn from_scanned(path: Scanned<'a>) -> Result<Self, PathError> {
        match path {
            Scanned::Null => Ok(Self::Null),
            Scanned::Mailbox(m) => Ok(Self::Mailbox(m)),
            Scanned::Postmaster => Err(PathError::MissingAt),
        }
    }
}

/// The argument of RCPT TO as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ForwardPathRef<'a> {
    /// `<Postmaster>` without a domain, in any case.
    Postmaster,
    /// `<mailbox>`
    Mailbox(MailboxRef<'a>),
}

impl<'a> ForwardPathRef<'a> {
    /// The mailbox, unless this is `<Postmaster>`.
    pub fn mailbox(&self) -> Option<MailboxRef<'a>> {
        match self {
            Self::Postmaster => None,
            Self::Mailbox(m) => Some(*m),
        }
    }

    /// The owned path.
    #[inline]
    pub fn into_owned(self) -> ForwardPath {
        match self {
            Self::Postmaster => ForwardPath::Postmaster,
            Self::Mailbox(m) => ForwardPath::Mailbox(m.into_owned()),
        }
    }

    pub(crate) fn from_scanned(path: Scanned<'a>) -> Result<Self, PathError> {
        match path {
            Scanned::Null => Err(PathError::NullPath),
            Scanned::Postmaster => Ok(Self::Postmaster),
            Scanned::Mailbox(m) => Ok(Self::Mailbox(m)),
        }
    }
}

/// The argument of MAIL FROM: a sender mailbox, or `<>` for notifications that must not be
/// answered (bounces).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReversePath {
    /// `<>`
    Null,
    /// `<mailbox>`
    Mailbox(Mailbox),
}

/// The argument of RCPT TO: a mailbox, or the special `<Postmaster>` every server accepts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ForwardPath {
    /// `<Postmaster>` without a domain (RFC 5321 §4.5.1); matched without regard to case.
    Postmaster,
    /// `<mailbox>`
    Mailbox(Mailbox),
}

impl ReversePath {
    /// Parses a reverse path with its angle brackets.
    ///
    /// ```
    /// use mailwire_smtp::ReversePath;
    ///
    /// assert_eq!(ReversePath::parse("<>").unwrap(), ReversePath::Null);
    /// let p = ReversePath::parse("<@hosta.int,@jkl.org:userc@d.bar.org>").unwrap();
    /// assert_eq!(p.to_string(), "<userc@d.bar.org>"); // the source route is dropped
    /// ```
    pub fn parse(s: &str) -> Result<Self, PathError> {
        let (path, end) = scan_path(s.as_bytes())?;
        if end != s.len() {
            return Err(PathError::Brackets);
        }
        ReversePathRef::from_scanned(path).map(ReversePathRef::into_owned)
    }

    /// The mailbox, unless this is the null path.
    pub fn mailbox(&self) -> Option<&Mailbox> {
        match self {
            Self::Null => None,
            Self::Mailbox(m) => Some(m),
        }
    }
}

impl ForwardPath {
    /// Parses a forward path with its angle brackets.
    ///
    /// ```
    /// use mailwire_smtp::ForwardPath;
    ///
    /// assert_eq!(ForwardPath::parse("<postmaster>").unwrap(), ForwardPath::Postmaster);
    /// assert!(ForwardPath::parse("<>").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self, PathError> {
        let (path, end) = scan_path(s.as_bytes())?;
        if end != s.len() {
            return Err(PathError::Brackets);
        }
        ForwardPathRef::from_scanned(path).map(ForwardPathRef::into_owned)
    }

    /// The mailbox, unless this is `<Postmaster>`.
    pub fn mailbox(&self) -> Option<&Mailbox> {
        match self {
            Self::Postmaster => None,
            Self::Mailbox(m) => Some(m),
        }
    }
}

impl From<Mailbox> for ReversePath {
    fn from(m: Mailbox) -> Self {
        Self::Mailbox(m)
    }
}

impl From<Mailbox> for ForwardPath {
    fn from(m: Mailbox) -> Self {
        Self::Mailbox(m)
    }
}

impl fmt::Display for ReversePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Null => f.write_str("<>"),
            Self::Mailbox(m) => write!(f, "<{m}>"),
        }
    }
}

impl fmt::Display for ForwardPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Postmaster => f.write_str("<Postmaster>"),
            Self::Mailbox(m) => write!(f, "<{m}>"),
        }
    }
}

/// A path as scanned, before the caller decides whether `<>` or `<Postmaster>` is allowed.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scanned<'a> {
    Null,
    Postmaster,
    Mailbox(MailboxRef<'a>),
}

/// Scans `Path / "<>"` at the start of `input`; returns the path and the index after `>`.
// Inlined so that the mailbox is built where the command will hold it, not copied there.
#[inline]
pub(crate) fn scan_path(input: &[u8]) -> Result<(Scanned<'_>, usize), PathError> {
    if input.first() != Some(&b'<') {
        return Err(PathError::Brackets);
    }
    if input.get(1) == Some(&b'>') {
        return Ok((Scanned::Null, 2));
    }
    let mut i = 1;
    if input.get(i) == Some(&b'@') {
        i = skip_source_route(input, i)?;
    }
    let routed = i > 1;
    let local_end = scan_local_part(input, i)?;
    if !routed
        && input.get(local_end) == Some(&b'>')
        && input[i..local_end].eq_ignore_ascii_case(b"postmaster")
    {
        return Ok((Scanned::Postmaster, local_end + 1));
    }
    let (mailbox, end) = mailbox_after_local_part(input, i, local_end, |b| b == b'>')?;
    if input.get(end) != Some(&b'>') {
        return Err(PathError::Brackets);
    }
    if end + 1 > MAX_PATH_LEN {
        return Err(PathError::PathTooLong);
    }
    Ok((Scanned::Mailbox(mailbox), end + 1))
}

/// `A-d-l ":"` where `A-d-l = At-domain *( "," At-domain )`, `At-domain = "@" Domain`.
fn skip_source_route(input: &[u8], mut i: usize) -> Result<usize, PathError> {
    loop {
        if input.get(i) != Some(&b'@') {
            return Err(PathError::SourceRoute);
        }
        let start = i + 1;
        let end = start
            + input[start..]
                .iter()
                .take_while(|&&b| b != b',' && b != b':' && b != b'>')
                .count();
        validate_domain(&input[start..end]).map_err(|_| PathError::SourceRoute)?;
        match input.get(end) {
            Some(b',') => i = end + 1,
            Some(b':') => return Ok(end + 1),
            _ => return Err(PathError::SourceRoute),
        }
    }
}

/// `Local-part = Dot-string / Quoted-string`; returns the index after it.
fn scan_local_part(input: &[u8], start: usize) -> Result<usize, PathError> {
    let mut i = start;
    if input.get(i) == Some(&b'"') {
        i += 1;
        loop {
            match input.get(i) {
                Some(b'"') => return Ok(i + 1),
                Some(b'\\') => match input.get(i + 1) {
                    Some(32..=126) => i += 2,
                    _ => return Err(PathError::LocalPart),
                },
                Some(&b) if is_qtext_smtp(b) => i += 1,
                _ => return Err(PathError::LocalPart),
            }
        }
    }
    loop {
        let atom = input[i..].iter().take_while(|&&b| is_atext(b)).count();
        if atom == 0 {
            return Err(PathError::LocalPart);
        }
        i += atom;
        if input.get(i) == Some(&b'.') {
            i += 1;
        } else {
            return Ok(i);
        }
    }
}

/// Scans `Mailbox` from `start`, stopping before the first byte `is_end` accepts (or the end
/// of input); returns the mailbox and the index after it.
fn scan_mailbox(
    input: &[u8],
    start: usize,
    is_end: impl Fn(u8) -> bool,
) -> Result<(MailboxRef<'_>, usize), PathError> {
    let local_end = scan_local_part(input, start)?;
    mailbox_after_local_part(input, start, local_end, is_end)
}

/// The rest of [`scan_mailbox`], once the local part is known to span `start..local_end`.
#[inline]
fn mailbox_after_local_part(
    input: &[u8],
    start: usize,
    local_end: usize,
    is_end: impl Fn(u8) -> bool,
) -> Result<(MailboxRef<'_>, usize), PathError> {
    if local_end - start > MAX_LOCAL_PART_LEN {
        return Err(PathError::LocalPartTooLong);
    }
    if input.get(local_end) != Some(&b'@') {
        return Err(PathError::MissingAt);
    }
    let host_start = local_end + 1;
    if input.get(host_start) == Some(&b'[') {
        let host_end = match memchr::memchr(b']', &input[host_start..]) {
            Some(close) => host_start + close + 1,
            None => return Err(PathError::AddressLiteral),
        };
        let host = HostRef::parse_bytes(&input[host_start..host_end])?;
        let local_part = check_utf8(&input[start..local_end])?;
        return Ok((MailboxRef { local_part, host }, host_end));
    }
    let host_end = scan_domain(input, host_start)?;
    if input.get(host_end).is_some_and(|&b| !is_end(b)) {
        return Err(PathError::Domain);
    }
    // One check for local part and domain together: the `@` between them is ASCII, so no
    // UTF-8 sequence spans it, and the whole is UTF-8 exactly when both parts are.
    check_utf8(&input[start..host_end])?;
    let host = HostRef::Domain(DomainRef(&input[host_start..host_end]));
    Ok((
        MailboxRef {
            local_part: &input[start..local_end],
            host,
        },
        host_end,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mailbox(s: &str) -> Mailbox {
        Mailbox::parse(s).unwrap()
    }

    #[test]
    fn rfc_5321_appendix_d_paths() {
        assert_eq!(
            ReversePath::parse("<Smith@bar.com>").unwrap(),
            ReversePath::Mailbox(mailbox("Smith@bar.com"))
        );
        assert_eq!(mailbox("Smith@bar.com").local_part(), "Smith");
        assert_eq!(
            ForwardPath::parse("<Green@foo.com>")
                .unwrap()
                .mailbox()
                .unwrap()
                .host(),
            &Host::Domain(Domain::new("foo.com").unwrap())
        );
    }

    #[test]
    fn null_and_postmaster() {
        assert_eq!(ReversePath::parse("<>").unwrap(), ReversePath::Null);
        assert_eq!(ForwardPath::parse("<>"), Err(PathError::NullPath));
        assert_eq!(
            ForwardPath::parse("<Postmaster>").unwrap(),
            ForwardPath::Postmaster
        );
        assert_eq!(
            ForwardPath::parse("<POSTMASTER>").unwrap(),
            ForwardPath::Postmaster
        );
        assert_eq!(
            ReversePath::parse("<Postmaster>"),
            Err(PathError::MissingAt)
        );
        assert_eq!(
            ForwardPath::parse("<postmaster@example.org>").unwrap(),
            ForwardPath::Mailbox(mailbox("postmaster@example.org"))
        );
    }

    #[test]
    fn source_routes_are_ignored() {
        let p = ForwardPath::parse("<@hosta.int,@jkl.org:userc@d.bar.org>").unwrap();
        assert_eq!(p, ForwardPath::Mailbox(mailbox("userc@d.bar.org")));
        assert_eq!(
            ForwardPath::parse("<@hosta.int:userc@d.bar.org>").unwrap(),
            p
        );
        assert_eq!(
            ForwardPath::parse("<@:u@d.org>"),
            Err(PathError::SourceRoute)
        );
        assert_eq!(
            ForwardPath::parse("<@a.org,u@d.org>"),
            Err(PathError::SourceRoute)
        );
        // A source route never turns a path into <Postmaster>.
        assert_eq!(
            ForwardPath::parse("<@a.org:Postmaster>"),
            Err(PathError::MissingAt)
        );
    }

    #[test]
    fn quoted_local_parts_are_kept_as_sent() {
        let m = mailbox(r#""a b\"c"@example.com"#);
        assert_eq!(m.local_part(), r#""a b\"c""#);
        assert_eq!(m.to_string(), r#""a b\"c"@example.com"#);
        assert_eq!(
            Mailbox::parse(r#""unterminated@example.com"#),
            Err(PathError::LocalPart)
        );
        assert_eq!(
            Mailbox::parse("\"a\\\u{7f}\"@x.org"),
            Err(PathError::LocalPart)
        );
    }

    #[test]
    fn dot_strings() {
        assert!(Mailbox::parse("a.b.c@x.org").is_ok());
        assert_eq!(Mailbox::parse("a..b@x.org"), Err(PathError::LocalPart));
        assert_eq!(Mailbox::parse(".a@x.org"), Err(PathError::LocalPart));
        assert_eq!(Mailbox::parse("a.@x.org"), Err(PathError::LocalPart));
    }

    #[test]
    fn address_literals() {
        assert_eq!(
            mailbox("u@[192.0.2.1]").host(),
            &Host::Literal(AddressLiteral::Ipv4(Ipv4Addr::new(192, 0, 2, 1)))
        );
        assert_eq!(
            mailbox("u@[IPv6:2001:db8::1]").host(),
            &Host::Literal(AddressLiteral::Ipv6("2001:db8::1".parse().unwrap()))
        );
        assert_eq!(
            mailbox("u@[x-tag:abc]").host(),
            &Host::Literal(AddressLiteral::general("x-tag", "abc").unwrap())
        );
        assert_eq!(mailbox("u@[010.0.0.1]").to_string(), "u@[10.0.0.1]");
        assert_eq!(
            Mailbox::parse("u@[256.0.0.1]"),
            Err(PathError::AddressLiteral)
        );
        assert_eq!(Mailbox::parse("u@[1.2.3]"), Err(PathError::AddressLiteral));
        assert_eq!(
            Mailbox::parse("u@[IPv6:zz]"),
            Err(PathError::AddressLiteral)
        );
        assert_eq!(Mailbox::parse("u@[1.2.3.4"), Err(PathError::AddressLiteral));
    }

    #[test]
    fn internationalised_addresses() {
        let m = mailbox("用户@例子.广告");
        assert!(!m.is_ascii());
        assert_eq!(m.local_part(), "用户");
        assert!(mailbox("user@example.com").is_ascii());
        let p = ReversePath::parse("<δοκιμή@παράδειγμα.δοκιμή>").unwrap();
        assert_eq!(p.to_string(), "<δοκιμή@παράδειγμα.δοκιμή>");
    }

    #[test]
    fn size_limits() {
        let local = "a".repeat(64);
        assert!(Mailbox::parse(&format!("{local}@x.org")).is_ok());
        assert_eq!(
            Mailbox::parse(&format!("a{local}@x.org")),
            Err(PathError::LocalPartTooLong)
        );
        let label = "b".repeat(63);
        let domain = [label.as_str(); 4].join(".");
        assert_eq!(domain.len(), 255);
        assert!(Domain::new(domain.clone()).is_ok());
        assert_eq!(
            Domain::new(format!("{domain}x")),
            Err(PathError::DomainTooLong)
        );
        assert_eq!(
            Domain::new(format!("{}.x", "c".repeat(64))),
            Err(PathError::Domain)
        );
        // 64 + 1 + 189 + 2 = 256 octets: the longest path.
        let host = format!("{}.{}.{}", "d".repeat(63), "e".repeat(63), "f".repeat(61));
        assert_eq!(host.len(), 189);
        assert!(ForwardPath::parse(&format!("<{local}@{host}>")).is_ok());
        assert_eq!(
            ForwardPath::parse(&format!("<{local}@{host}g>")),
            Err(PathError::PathTooLong)
        );
    }

    /// A mailbox's domain is scanned and checked in one pass; it must agree with
    /// [`Domain::new`] on what it refuses.
    #[test]
    fn mailbox_domains_are_checked_like_domains() {
        let label = "b".repeat(63);
        let longest = [label.as_str(); 4].join(".");
        assert_eq!(
            Mailbox::parse(&format!("u@{longest}"))
                .unwrap()
                .host()
                .to_string(),
            longest
        );
        for (domain, error) in [
            (format!("{longest}x"), PathError::DomainTooLong),
            (format!("{}.x", "c".repeat(64)), PathError::Domain),
            ("x..org".into(), PathError::Domain),
            ("x.org.".into(), PathError::Domain),
            ("-x.org".into(), PathError::Domain),
            ("x-.org".into(), PathError::Domain),
            ("x_y.org".into(), PathError::Domain),
            ("x.org y".into(), PathError::Domain),
        ] {
            assert_eq!(Domain::new(domain.clone()), Err(error), "{domain}");
            assert_eq!(
                Mailbox::parse(&format!("u@{domain}")),
                Err(error),
                "{domain}"
            );
            assert_eq!(
                ForwardPath::parse(&format!("<u@{domain}>")),
                Err(error),
                "{domain}"
            );
        }
    }

    #[test]
    fn malformed_paths() {
        assert_eq!(ForwardPath::parse("u@x.org"), Err(PathError::Brackets));
        assert_eq!(ForwardPath::parse("<u@x.org"), Err(PathError::Brackets));
        assert_eq!(ForwardPath::parse("<u@x.org>x"), Err(PathError::Brackets));
        assert_eq!(ForwardPath::parse("<u@>"), Err(PathError::Domain));
        assert_eq!(ForwardPath::parse("<@>"), Err(PathError::SourceRoute));
        assert_eq!(ForwardPath::parse("<"), Err(PathError::LocalPart));
        assert_eq!(ForwardPath::parse(""), Err(PathError::Brackets));
    }

    #[test]
    fn short_and_long_names_read_back_alike() {
        assert_eq!(
            format!("{:?}", mailbox("a@b.org")),
            r#"Mailbox { local_part: "a", host: Domain(Domain("b.org")) }"#
        );
        for len in [LocalText::INLINE, LocalText::INLINE + 1] {
            let local = "l".repeat(len);
            let domain = format!("{}.org", "d".repeat(len));
            let m = mailbox(&format!("{local}@{domain}"));
            assert_eq!((m.local_part(), m.host().to_string()), (&*local, domain));
            assert_eq!(m, Mailbox::new(local, m.host().clone()).unwrap());
        }
        // Every way of copying a short domain, and both sides of the inline limit.
        for len in 1..=DomainText::INLINE + 1 {
            let local = "l".to_owned();
            let domain: String = (b'a'..=b'z').cycle().take(len).map(char::from).collect();
            let m = mailbox(&format!("{local}@{domain}"));
            assert_eq!((m.local_part(), m.host().to_string()), (&*local, domain));
            assert_eq!(m, Mailbox::new(local, m.host().clone()).unwrap());
        }
    }

    #[test]
    fn bytes_that_are_not_utf8_are_refused() {
        let path = |bytes: &[u8]| {
            let mut path = b"<".to_vec();
            path.extend_from_slice(bytes);
            path.push(b'>');
            scan_path(&path).map(|_| ())
        };
        assert_eq!(path(b"\xff@x.org"), Err(PathError::Utf8));
        assert_eq!(path(b"u@\xc3x.org"), Err(PathError::Utf8));
        assert_eq!(path("\u{e9}@\u{e9}.org".as_bytes()), Ok(()));
    }
}
