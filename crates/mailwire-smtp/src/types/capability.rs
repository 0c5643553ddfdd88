//! The EHLO reply: the server's name and the service extensions it offers
//! (RFC 5321 §4.1.1.1).
//!
//! ```text
//! ehlo-ok-rsp  = ( "250" SP Domain [ SP ehlo-greet ] CRLF )
//!              / ( "250-" Domain [ SP ehlo-greet ] CRLF
//!                  *( "250-" ehlo-line CRLF )
//!                  "250" SP ehlo-line CRLF )
//! ehlo-line    = ehlo-keyword *( SP ehlo-param )
//! ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
//! ehlo-param   = 1*(%d33-126)
//! ```

use std::fmt;

use bytes::BufMut;

use crate::types::grammar::{is_esmtp_keyword, parse_u64, put_u64};
use crate::types::mechanism::Mechanism;
use crate::types::reply::{Reply, ReplyCode};

/// Why an EHLO reply could not be read as one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CapabilityError {
    /// The reply is not a 250.
    #[error("EHLO reply is not a 250")]
    NotOk,
    /// The first line does not start with the server's name.
    #[error("EHLO reply without a domain")]
    Domain,
    /// A capability line with a malformed keyword or parameter.
    #[error("malformed capability on line {line}")]
    Line {
        /// The line, counting the domain line as 0.
        line: usize,
    },
}

/// One service extension the server offers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Capability {
    /// `PIPELINING` (RFC 2920).
    Pipelining,
    /// `8BITMIME` (RFC 6152).
    EightBitMime,
    /// `SMTPUTF8` (RFC 6531).
    SmtpUtf8,
    /// `CHUNKING`: BDAT (RFC 3030).
    Chunking,
    /// `BINARYMIME` (RFC 3030).
    BinaryMime,
    /// `ENHANCEDSTATUSCODES` (RFC 2034).
    EnhancedStatusCodes,
    /// `DSN` (RFC 3461).
    Dsn,
    /// `STARTTLS` (RFC 3207).
    StartTls,
    /// `REQUIRETLS` (RFC 8689).
    RequireTls,
    /// `HELP`
    Help,
    /// `SIZE [limit]` (RFC 1870); a limit of 0 or none means no fixed limit.
    Size(Option<u64>),
    /// `AUTH mech …` (RFC 4954).
    Auth(Vec<Mechanism>),
    /// Any other extension, as sent.
    Other(OtherCapability),
}

/// An extension this crate has no type for: its keyword and parameters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OtherCapability {
    keyword: String,
    params: Vec<String>,
}

impl OtherCapability {
    /// The keyword as sent.
    pub fn keyword(&self) -> &str {
        &self.keyword
    }

    /// The parameters as sent.
    pub fn params(&self) -> &[String] {
        &self.params
    }
}

impl Capability {
    /// Parses one `ehlo-line`.
    ///
    /// ```
    /// use mailwire_smtp::{Capability, Mechanism};
    ///
    /// assert_eq!(Capability::parse("SIZE 10240000"), Some(Capability::Size(Some(10240000))));
    /// assert_eq!(
    ///     Capability::parse("AUTH PLAIN LOGIN"),
    ///     Some(Capability::Auth(vec![Mechanism::plain(), Mechanism::login()]))
    /// );
    /// let other = Capability::parse("XCLIENT NAME ADDR").unwrap();
    /// assert_eq!(other.to_string(), "XCLIENT NAME ADDR");
    /// ```
    pub fn parse(line: &str) -> Option<Self> {
        Self::parse_bytes(line.as_bytes())
    }

    fn parse_bytes(line: &[u8]) -> Option<Self> {
        let mut words = line.split(|&b| b == b' ').filter(|w| !w.is_empty());
        let keyword = words.next()?;
        let params: Vec<&[u8]> = words.collect();
        if !params
            .iter()
            .all(|p| p.iter().all(|&b| (33..=126).contains(&b)))
        {
            return None;
        }
        let is = |k: &str| keyword.eq_ignore_ascii_case(k.as_bytes());
        let flag = [
            ("PIPELINING", Self::Pipelining),
            ("8BITMIME", Self::EightBitMime),
            ("SMTPUTF8", Self::SmtpUtf8),
            ("CHUNKING", Self::Chunking),
            ("BINARYMIME", Self::BinaryMime),
            ("ENHANCEDSTATUSCODES", Self::EnhancedStatusCodes),
            ("DSN", Self::Dsn),
            ("STARTTLS", Self::StartTls),
            ("REQUIRETLS", Self::RequireTls),
            ("HELP", Self::Help),
        ]
        .into_iter()
        .find(|(k, _)| is(k));
        let typed = match (flag, params.as_slice()) {
            (Some((_, cap)), []) => Some(cap),
            (Some(_), _) => None,
            (None, []) if is("SIZE") => Some(Self::Size(None)),
            (None, [limit]) if is("SIZE") => parse_u64(limit).map(|n| Self::Size(Some(n))),
            (None, [_, ..]) if is("AUTH") => params
                .iter()
                .map(|m| Mechanism::from_bytes(m))
                .collect::<Option<_>>()
                .map(Self::Auth),
            _ => None,
        };
        if typed.is_some() {
            return typed;
        }
        // Old servers announce `AUTH=LOGIN`, which is no ehlo-keyword; keep it as sent.
        let keyword_ok =
            is_esmtp_keyword(keyword) || keyword.iter().all(|&b| (33..=126).contains(&b));
        if !keyword_ok {
            return None;
        }
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        Some(Self::Other(OtherCapability {
            keyword: text(keyword),
            params: params.iter().map(|p| text(p)).collect(),
        }))
    }

    fn encode(&self, out: &mut impl BufMut) {
        let keyword = match self {
            Self::Pipelining => "PIPELINING",
            Self::EightBitMime => "8BITMIME",
            Self::SmtpUtf8 => "SMTPUTF8",
            Self::Chunking => "CHUNKING",
            Self::BinaryMime => "BINARYMIME",
            Self::EnhancedStatusCodes => "ENHANCEDSTATUSCODES",
            Self::Dsn => "DSN",
            Self::StartTls => "STARTTLS",
            Self::RequireTls => "REQUIRETLS",
            Self::Help => "HELP",
            Self::Size(limit) => {
                out.put_slice(b"SIZE");
                if let Some(n) = limit {
                    out.put_u8(b' ');
                    put_u64(out, *n);
                }
                return;
            }
            Self::Auth(mechanisms) => {
                out.put_slice(b"AUTH");
                for m in mechanisms {
                    out.put_u8(b' ');
                    out.put_slice(m.as_str().as_bytes());
                }
                return;
            }
            Self::Other(other) => {
                out.put_slice(other.keyword.as_bytes());
                for p in &other.params {
                    out.put_u8(b' ');
                    out.put_slice(p.as_bytes());
                }
                return;
            }
        };
        out.put_slice(keyword.as_bytes());
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::new();
        self.encode(&mut out);
        f.write_str(&String::from_utf8_lossy(&out))
    }
}

/// A positive EHLO reply: who the server says it is, and what it offers.
///
/// ```
/// use mailwire_smtp::{Capability, Decoded, EhloResponse, Reply};
///
/// let wire = b"250-foo.com greets bar.com\r\n250-8BITMIME\r\n250-SIZE\r\n250-DSN\r\n250 HELP\r\n";
/// let Decoded::Complete { value: reply, .. } = Reply::decode(wire) else { panic!() };
/// let ehlo = EhloResponse::from_reply(&reply).unwrap();
/// assert_eq!(ehlo.domain(), "foo.com");
/// assert_eq!(ehlo.greeting(), Some("greets bar.com"));
/// assert_eq!(
///     ehlo.capabilities(),
///     [Capability::EightBitMime, Capability::Size(None), Capability::Dsn, Capability::Help]
/// );
/// assert_eq!(ehlo.to_reply().to_string().as_bytes(), wire);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EhloResponse {
    domain: String,
    greeting: Option<String>,
    capabilities: Vec<Capability>,
}

impl EhloResponse {
    /// A response naming the server; `domain` must be non-empty printable ASCII or UTF-8
    /// without spaces, the greeting any printable text.
    pub fn new(
        domain: impl Into<String>,
        greeting: Option<String>,
        capabilities: Vec<Capability>,
    ) -> Result<Self, CapabilityError> {
        let domain = domain.into();
        let domain_ok = !domain.is_empty() && domain.bytes().all(|b| b > b' ' && b != 0x7f);
        let greeting_ok = greeting
            .as_deref()
            .is_none_or(|g| crate::types::grammar::is_text(g.as_bytes()));
        if !domain_ok || !greeting_ok {
            return Err(CapabilityError::Domain);
        }
        Ok(Self {
            domain,
            greeting,
            capabilities,
        })
    }

    /// A response for a server named by a validated domain, which needs no check.
    pub(crate) fn for_domain(
        domain: &crate::types::path::Domain,
        capabilities: Vec<Capability>,
    ) -> Self {
        Self {
            domain: domain.to_string(),
            greeting: None,
            capabilities,
        }
    }

    /// Reads an EHLO reply. The enhanced code, if the server wrongly sent one, is ignored.
    pub fn from_reply(reply: &Reply) -> Result<Self, CapabilityError> {
        if reply.code() != ReplyCode::OK {
            return Err(CapabilityError::NotOk);
        }
        let mut lines = reply.lines();
        let first = lines.next().ok_or(CapabilityError::Domain)?;
        let first = first.trim_start_matches(' ');
        let (domain, greeting) = match first.split_once(' ') {
            Some((d, g)) => (d, Some(g.to_owned())),
            None => (first, None),
        };
        let capabilities = lines
            .enumerate()
            .map(|(i, line)| {
                Capability::parse_bytes(line.as_bytes())
                    .ok_or(CapabilityError::Line { line: i + 1 })
            })
            .collect::<Result<_, _>>()?;
        Self::new(domain, greeting, capabilities)
    }

    /// The 250 reply that carries this response.
    pub fn to_reply(&self) -> Reply {
        let mut first = self.domain.clone();
        if let Some(g) = &self.greeting {
            first.push(' ');
            first.push_str(g);
        }
        let lines = std::iter::once(first).chain(self.capabilities.iter().map(|c| c.to_string()));
        Reply::from_lines(ReplyCode::OK, lines).unwrap_or_else(|_| Reply::fixed(250, None, ""))
    }

    /// The server's name for itself.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The text after the name on the first line.
    pub fn greeting(&self) -> Option<&str> {
        self.greeting.as_deref()
    }

    /// The extensions, in the order offered.
    pub fn capabilities(&self) -> &[Capability] {
        &self.capabilities
    }

    /// Whether an extension without parameters is offered (`Pipelining`, `Chunking`, …).
    pub fn has(&self, capability: &Capability) -> bool {
        self.capabilities.contains(capability)
    }

    /// Whether SIZE (RFC 1870) is offered, with or without a fixed limit.
    pub fn offers_size(&self) -> bool {
        self.capabilities
            .iter()
            .any(|c| matches!(c, Capability::Size(_)))
    }

    /// The fixed SIZE limit in octets, if the server announced one (`SIZE 35882577`); `None`
    /// when SIZE is not offered or offered without a limit (`SIZE`, `SIZE 0`).
    pub fn size_limit(&self) -> Option<u64> {
        self.capabilities.iter().find_map(|c| match c {
            Capability::Size(limit) => limit.filter(|&n| n > 0),
            _ => None,
        })
    }

    /// The SASL mechanisms offered with AUTH.
    pub fn auth_mechanisms(&self) -> &[Mechanism] {
        self.capabilities
            .iter()
            .find_map(|c| match c {
                Capability::Auth(m) => Some(m.as_slice()),
                _ => None,
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::Decoded;

    fn decode(wire: &[u8]) -> EhloResponse {
        let Decoded::Complete { value, .. } = Reply::decode(wire) else {
            panic!()
        };
        EhloResponse::from_reply(&value).unwrap()
    }

    #[test]
    fn a_real_world_ehlo_reply() {
        let ehlo = decode(
            b"250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 35882577\r\n250-STARTTLS\r\n\
              250-AUTH LOGIN PLAIN XOAUTH2\r\n250-AUTH=LOGIN PLAIN\r\n250-ENHANCEDSTATUSCODES\r\n\
              250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n",
        );
        assert_eq!(ehlo.domain(), "mx.example.org");
        assert_eq!(ehlo.greeting(), None);
        assert_eq!(ehlo.size_limit(), Some(35_882_577));
        assert!(ehlo.offers_size());
        assert!(ehlo.has(&Capability::Pipelining));
        assert!(ehlo.has(&Capability::Chunking));
        assert!(!ehlo.has(&Capability::BinaryMime));
        let names: Vec<&str> = ehlo
            .auth_mechanisms()
            .iter()
            .map(Mechanism::as_str)
            .collect();
        assert_eq!(names, ["LOGIN", "PLAIN", "XOAUTH2"]);
        let Capability::Other(old_auth) = &ehlo.capabilities()[4] else {
            panic!()
        };
        assert_eq!(
            (old_auth.keyword(), old_auth.params()),
            ("AUTH=LOGIN", &["PLAIN".to_owned()][..])
        );
    }

    #[test]
    fn flags_with_parameters_are_other() {
        let c = Capability::parse("PIPELINING now").unwrap();
        assert!(matches!(&c, Capability::Other(o) if o.keyword() == "PIPELINING"));
        assert_eq!(Capability::parse("SIZE 0"), Some(Capability::Size(Some(0))));
        assert!(matches!(
            Capability::parse("SIZE big"),
            Some(Capability::Other(_))
        ));
        assert!(matches!(
            Capability::parse("AUTH"),
            Some(Capability::Other(_))
        ));
        assert_eq!(Capability::parse(""), None);
        assert_eq!(Capability::parse("SIZE 1\u{e9}"), None);
    }

    #[test]
    fn errors() {
        let not_ok = Reply::new(502, "no").unwrap();
        assert_eq!(
            EhloResponse::from_reply(&not_ok),
            Err(CapabilityError::NotOk)
        );
        let empty = Reply::new(ReplyCode::OK, "").unwrap();
        assert_eq!(
            EhloResponse::from_reply(&empty),
            Err(CapabilityError::Domain)
        );
        let bad = Reply::new(ReplyCode::OK, "x.org\nSIZE 1\n\u{e9}").unwrap();
        assert_eq!(
            EhloResponse::from_reply(&bad),
            Err(CapabilityError::Line { line: 2 })
        );
    }

    fn arb_capability() -> impl Strategy<Value = Capability> {
        prop_oneof![
            Just(Capability::Pipelining),
            Just(Capability::EightBitMime),
            Just(Capability::SmtpUtf8),
            Just(Capability::Chunking),
            Just(Capability::BinaryMime),
            Just(Capability::EnhancedStatusCodes),
            Just(Capability::Dsn),
            Just(Capability::StartTls),
            Just(Capability::RequireTls),
            Just(Capability::Help),
            proptest::option::of(any::<u64>()).prop_map(Capability::Size),
            proptest::collection::vec("[A-Z0-9_-]{1,20}", 1..4)
                .prop_map(|m| Capability::Auth(m.into_iter().filter_map(Mechanism::new).collect())),
            (
                "X[A-Z0-9-]{0,10}",
                proptest::collection::vec("[!-~]{1,8}", 0..3)
            )
                .prop_map(|(k, p)| Capability::Other(OtherCapability {
                    keyword: k,
                    params: p
                })),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn round_trip(
            domain in "[a-z][a-z0-9.-]{0,20}",
            greeting in proptest::option::of("[ -~]{1,20}"),
            caps in proptest::collection::vec(arb_capability(), 0..8),
        ) {
            // A greeting that starts with spaces has no stable form after the domain's SP.
            let greeting = greeting.filter(|g| !g.starts_with(' '));
            let ehlo = EhloResponse::new(domain, greeting, caps).unwrap();
            let mut wire = Vec::new();
            ehlo.to_reply().encode(&mut wire);
            let Decoded::Complete { value, consumed } = Reply::decode(&wire) else {
                return Err(TestCaseError::fail("incomplete"));
            };
            prop_assert_eq!(consumed, wire.len());
            prop_assert_eq!(EhloResponse::from_reply(&value).unwrap(), ehlo);
        }
    }
}
