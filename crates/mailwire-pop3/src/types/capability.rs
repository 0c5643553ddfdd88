//! The `CAPA` list (RFC 2449 §5–§6, RFC 2595 §4, RFC 3206 §6, RFC 6856 §2).

use std::fmt;

use bytes::BufMut;

use crate::{types::argument::Mechanism, types::listing::ListingError};

/// One line of a `CAPA` answer.
///
/// ```text
/// capability = capa-tag *(SP param) CRLF
/// capa-tag   = 1*cchar                    ; case-insensitive
/// param      = 1*pchar
/// cchar      = %x21-2D / %x2F-7F          ; printable ASCII but "."
/// pchar      = %x21-7F
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Capability {
    /// `TOP` is implemented.
    Top,
    /// `USER` / `PASS` are accepted (in the current state and transport).
    User,
    /// `SASL mech*`: `AUTH` with these mechanisms.
    Sasl {
        /// The mechanisms, upper case.
        mechanisms: Vec<Mechanism>,
    },
    /// `RESP-CODES`: `-ERR` lines may carry response codes.
    RespCodes,
    /// `LOGIN-DELAY n [USER]`: minimum seconds between logins.
    LoginDelay {
        /// The delay in seconds.
        seconds: u32,
        /// `USER`: the value may differ per user (announced before login).
        per_user: bool,
    },
    /// `PIPELINING`: the server accepts several commands before answering.
    Pipelining,
    /// `EXPIRE policy [USER]`: how long messages stay once retrieved.
    Expire {
        /// The retention.
        policy: Expire,
        /// `USER`: the value may differ per user.
        per_user: bool,
    },
    /// `UIDL` is implemented.
    Uidl,
    /// `IMPLEMENTATION text`: the server software.
    Implementation(Implementation),
    /// `STLS`: TLS can be started (RFC 2595).
    Stls,
    /// `UTF8 [USER]`: the `UTF8` command (RFC 6856); `USER` means user names and passwords
    /// may be UTF-8 without it.
    Utf8 {
        /// The `USER` parameter.
        user: bool,
    },
    /// `AUTH-RESP-CODE`: `[AUTH]` and `[SYS/*]` codes are used (RFC 3206 §6).
    AuthRespCode,
    /// Anything else, as tag and parameters.
    Other(OtherCapability),
}

/// How long the server keeps messages that were retrieved (RFC 2449 §6.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Expire {
    /// `NEVER`.
    Never,
    /// A number of days; 0 means deleted at the end of the session.
    Days(u32),
}

/// A capability whose parameters cannot go on the wire, or a known tag given as other.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CapabilityError {
    /// The text or a parameter is empty, too long or holds a forbidden character.
    #[error("invalid capability {0:?}")]
    Invalid(String),
    /// The tag names a capability that has its own variant.
    #[error("capability {0:?} has its own variant")]
    Known(String),
}

/// The text of `IMPLEMENTATION`: one line, at most 200 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Implementation(String);

impl Implementation {
    /// Checks and wraps the text.
    pub fn new(text: impl Into<String>) -> Result<Self, CapabilityError> {
        let text = text.into();
        if text.is_empty() || text.len() > 200 || text.chars().any(char::is_control) {
            return Err(CapabilityError::Invalid(text));
        }
        Ok(Self(text))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A capability this crate has no variant for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OtherCapability {
    tag: String,
    params: Vec<String>,
}

fn is_cchar(b: u8) -> bool {
    matches!(b, 0x21..=0x2d | 0x2f..=0x7f)
}

fn is_pchar(b: u8) -> bool {
    matches!(b, 0x21..=0x7f)
}

impl OtherCapability {
    /// Checks tag and parameters; the tag must not be one this crate knows.
    pub fn new(tag: impl Into<String>, params: Vec<String>) -> Result<Self, CapabilityError> {
        let tag = tag.into();
        if tag.is_empty() || !tag.bytes().all(is_cchar) || tag.len() > 64 {
            return Err(CapabilityError::Invalid(tag));
        }
        if let Some(bad) = params
            .iter()
            .find(|p| p.is_empty() || p.len() > 200 || !p.bytes().all(is_pchar))
        {
            return Err(CapabilityError::Invalid(bad.clone()));
        }
        if params.len() > 32 {
            return Err(CapabilityError::Invalid(tag));
        }
        let other = Self { tag, params };
        if !matches!(
            Capability::from_parts(&other.tag, &other.params),
            Capability::Other(_)
        ) {
            return Err(CapabilityError::Known(other.tag));
        }
        Ok(other)
    }

    /// The tag as received.
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// The parameters.
    pub fn params(&self) -> &[String] {
        &self.params
    }
}

fn per_user(rest: &[String]) -> Option<bool> {
    match rest {
        [] => Some(false),
        [u] if u.eq_ignore_ascii_case("USER") => Some(true),
        _ => None,
    }
}

impl Capability {
    /// The tag, upper case for the known capabilities.
    pub fn tag(&self) -> &str {
        match self {
            Self::Top => "TOP",
            Self::User => "USER",
            Self::Sasl { .. } => "SASL",
            Self::RespCodes => "RESP-CODES",
            Self::LoginDelay { .. } => "LOGIN-DELAY",
            Self::Pipelining => "PIPELINING",
            Self::Expire { .. } => "EXPIRE",
            Self::Uidl => "UIDL",
            Self::Implementation(_) => "IMPLEMENTATION",
            Self::Stls => "STLS",
            Self::Utf8 { .. } => "UTF8",
            Self::AuthRespCode => "AUTH-RESP-CODE",
            Self::Other(o) => &o.tag,
        }
    }

    fn from_parts(tag: &str, params: &[String]) -> Self {
        let other = || {
            Self::Other(OtherCapability {
                tag: tag.to_owned(),
                params: params.to_vec(),
            })
        };
        let bare = |c: Self| if params.is_empty() { c } else { other() };
        match tag.to_ascii_uppercase().as_str() {
            "TOP" => bare(Self::Top),
            "USER" => bare(Self::User),
            "RESP-CODES" => bare(Self::RespCodes),
            "PIPELINING" => bare(Self::Pipelining),
            "UIDL" => bare(Self::Uidl),
            "STLS" => bare(Self::Stls),
            "AUTH-RESP-CODE" => bare(Self::AuthRespCode),
            "SASL" => params
                .iter()
                .map(|m| Mechanism::new(m))
                .collect::<Result<Vec<_>, _>>()
                .map_or_else(|_| other(), |mechanisms| Self::Sasl { mechanisms }),
            "UTF8" => per_user(params).map_or_else(other, |user| Self::Utf8 { user }),
            "LOGIN-DELAY" => match params {
                [n, rest @ ..] => match (digits(n), per_user(rest)) {
                    (Some(seconds), Some(per_user)) => Self::LoginDelay { seconds, per_user },
                    _ => other(),
                },
                [] => other(),
            },
            "EXPIRE" => match params {
                [p, rest @ ..] => {
                    let policy = if p.eq_ignore_ascii_case("NEVER") {
                        Some(Expire::Never)
                    } else {
                        digits(p).map(Expire::Days)
                    };
                    match (policy, per_user(rest)) {
                        (Some(policy), Some(per_user)) => Self::Expire { policy, per_user },
                        _ => other(),
                    }
                }
                [] => other(),
            },
            "IMPLEMENTATION" => {
                Implementation::new(params.join(" ")).map_or_else(|_| other(), Self::Implementation)
            }
            _ => other(),
        }
    }

    /// Parses one line of a `CAPA` answer, without its CRLF.
    pub fn parse(line: &[u8]) -> Result<Self, ListingError> {
        let line = std::str::from_utf8(line).map_err(|_| ListingError::Malformed)?;
        let (tag, rest) = line.split_once(' ').unwrap_or((line, ""));
        if tag.is_empty() || !tag.bytes().all(is_cchar) {
            return Err(ListingError::Malformed);
        }
        if tag.eq_ignore_ascii_case("IMPLEMENTATION") && !rest.is_empty() {
            // Free text, spaces and all.
            return Implementation::new(rest)
                .map(Self::Implementation)
                .map_err(|_| ListingError::Malformed);
        }
        let params: Vec<String> = if rest.is_empty() {
            Vec::new()
        } else {
            rest.split(' ').map(str::to_owned).collect()
        };
        if params
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(is_pchar))
        {
            return Err(ListingError::Malformed);
        }
        Ok(Self::from_parts(tag, &params))
    }

    /// Writes the line without its CRLF.
    pub fn encode(&self, out: &mut impl BufMut) {
        out.put_slice(self.tag().as_bytes());
        let mut param = |p: &str| {
            out.put_u8(b' ');
            out.put_slice(p.as_bytes());
        };
        match self {
            Self::Sasl { mechanisms } => mechanisms.iter().for_each(|m| param(m.as_str())),
            Self::LoginDelay { seconds, per_user } => {
                param(&seconds.to_string());
                if *per_user {
                    param("USER");
                }
            }
            Self::Expire { policy, per_user } => {
                match policy {
                    Expire::Never => param("NEVER"),
                    Expire::Days(d) => param(&d.to_string()),
                }
                if *per_user {
                    param("USER");
                }
            }
            Self::Utf8 { user: true } => param("USER"),
            Self::Implementation(text) => param(text.as_str()),
            Self::Other(o) => o.params.iter().for_each(|p| param(p)),
            Self::Top
            | Self::User
            | Self::RespCodes
            | Self::Pipelining
            | Self::Uidl
            | Self::Stls
            | Self::Utf8 { user: false }
            | Self::AuthRespCode => {}
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut line = Vec::new();
        self.encode(&mut line);
        f.write_str(&String::from_utf8_lossy(&line))
    }
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 10 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{decode_capabilities, encode_capabilities};

    #[test]
    fn rfc_2449_example_list() {
        let body = b"TOP\r\nUSER\r\nSASL CRAM-MD5 KERBEROS_V4\r\nRESP-CODES\r\nLOGIN-DELAY 900\r\n\
PIPELINING\r\nEXPIRE 60\r\nUIDL\r\nIMPLEMENTATION Shlemazle-Plotz-v302\r\n.\r\n";
        let caps = decode_capabilities(body).complete().unwrap();
        assert_eq!(
            caps,
            vec![
                Capability::Top,
                Capability::User,
                Capability::Sasl {
                    mechanisms: vec![
                        Mechanism::new("CRAM-MD5").unwrap(),
                        Mechanism::new("KERBEROS_V4").unwrap()
                    ]
                },
                Capability::RespCodes,
                Capability::LoginDelay {
                    seconds: 900,
                    per_user: false
                },
                Capability::Pipelining,
                Capability::Expire {
                    policy: Expire::Days(60),
                    per_user: false
                },
                Capability::Uidl,
                Capability::Implementation(Implementation::new("Shlemazle-Plotz-v302").unwrap()),
            ]
        );
        let mut out = Vec::new();
        encode_capabilities(&caps, &mut out);
        assert_eq!(out, body);
    }

    #[test]
    fn parameters_of_known_tags() {
        assert_eq!(
            Capability::parse(b"expire never user"),
            Ok(Capability::Expire {
                policy: Expire::Never,
                per_user: true
            })
        );
        assert_eq!(
            Capability::parse(b"UTF8 USER"),
            Ok(Capability::Utf8 { user: true })
        );
        assert_eq!(Capability::parse(b"stls"), Ok(Capability::Stls));
        assert_eq!(
            Capability::parse(b"IMPLEMENTATION Some Server 1.0"),
            Ok(Capability::Implementation(
                Implementation::new("Some Server 1.0").unwrap()
            ))
        );
        // A known tag with parameters it does not take is kept as other.
        let Ok(Capability::Other(o)) = Capability::parse(b"TOP 3") else {
            panic!()
        };
        assert_eq!((o.tag(), o.params()), ("TOP", &["3".to_owned()][..]));
        let Ok(Capability::Other(o)) = Capability::parse(b"LOGIN-DELAY soon") else {
            panic!()
        };
        assert_eq!(o.tag(), "LOGIN-DELAY");
    }

    #[test]
    fn malformed_lines() {
        assert_eq!(Capability::parse(b""), Err(ListingError::Malformed));
        assert_eq!(Capability::parse(b"TOP  "), Err(ListingError::Malformed));
        assert_eq!(Capability::parse(b"X\x01"), Err(ListingError::Malformed));
    }

    #[test]
    fn other_refuses_known_tags() {
        assert!(matches!(
            OtherCapability::new("uidl", vec![]),
            Err(CapabilityError::Known(_))
        ));
        assert!(OtherCapability::new("X-FOO", vec!["a".into()]).is_ok());
        assert!(OtherCapability::new("X.FOO", vec![]).is_err());
        assert!(OtherCapability::new("X", vec!["a b".into()]).is_err());
    }
}
