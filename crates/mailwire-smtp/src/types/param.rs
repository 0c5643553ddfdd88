//! ESMTP parameters of MAIL and RCPT (RFC 5321 §4.1.2 and the extensions that define them).
//!
//! ```text
//! Mail-parameters = esmtp-param *(SP esmtp-param)
//! Rcpt-parameters = esmtp-param *(SP esmtp-param)
//! esmtp-param     = esmtp-keyword ["=" esmtp-value]
//! esmtp-keyword   = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
//! esmtp-value     = 1*(%d33-60 / %d62-126)
//! ```
//!
//! Known parameters are decoded into typed fields; any other parameter is kept, in order,
//! in `other` so that the application (or the server session's policy) can decide on it.

use std::fmt;

use crate::types::grammar::{is_atext, is_esmtp_keyword, is_esmtp_value_char, parse_u64};
use crate::types::path::InlineText;
use crate::types::xtext::{XText, XTextRef};

/// Longest `ENVID` value, decoded (RFC 3461 §4.4).
pub const MAX_ENVID_LEN: usize = 100;

/// Why a parameter list was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParamError {
    /// Not a sequence of `keyword[=value]` separated by spaces.
    #[error("malformed parameter list")]
    Syntax,
    /// A known parameter with a value its extension does not allow.
    #[error("invalid value for {keyword}")]
    Value {
        /// The parameter, upper case.
        keyword: &'static str,
    },
    /// A known parameter given twice.
    #[error("{keyword} given twice")]
    Duplicate {
        /// The parameter, upper case.
        keyword: &'static str,
    },
}

/// `BODY=` of MAIL (RFC 6152, RFC 3030).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Body {
    /// `7BIT`
    SevenBit,
    /// `8BITMIME`
    EightBitMime,
    /// `BINARYMIME`: the body may only travel by BDAT.
    BinaryMime,
}

impl Body {
    /// The parameter value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SevenBit => "7BIT",
            Self::EightBitMime => "8BITMIME",
            Self::BinaryMime => "BINARYMIME",
        }
    }
}

/// `RET=` of MAIL (RFC 3461 §4.3): how much of the message a failure DSN returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ret {
    /// `FULL`
    Full,
    /// `HDRS`
    Headers,
}

/// `NOTIFY=` of RCPT (RFC 3461 §4.1): which DSNs to send. All false is `NEVER`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Notify {
    /// `SUCCESS`
    pub success: bool,
    /// `FAILURE`
    pub failure: bool,
    /// `DELAY`
    pub delay: bool,
}

impl Notify {
    /// `NOTIFY=NEVER`
    pub const NEVER: Self = Self {
        success: false,
        failure: false,
        delay: false,
    };

    fn parse(value: &[u8]) -> Option<Self> {
        if value.eq_ignore_ascii_case(b"NEVER") {
            return Some(Self::NEVER);
        }
        let mut notify = Self::NEVER;
        for word in value.split(|&b| b == b',') {
            let flag = if word.eq_ignore_ascii_case(b"SUCCESS") {
                &mut notify.success
            } else if word.eq_ignore_ascii_case(b"FAILURE") {
                &mut notify.failure
            } else if word.eq_ignore_ascii_case(b"DELAY") {
                &mut notify.delay
            } else {
                return None;
            };
            *flag = true;
        }
        Some(notify)
    }
}

/// `ORCPT=addr-type;xtext` of RCPT (RFC 3461 §4.2): the recipient as the sender gave it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OriginalRecipient {
    /// Short (`rfc822`, `utf-8`), so held in place.
    addr_type: InlineText<14>,
    pub(crate) address: XText,
}

impl OriginalRecipient {
    /// An original recipient; `addr_type` is an atom such as `rfc822` or `utf-8`.
    pub fn new(addr_type: impl Into<String>, address: XText) -> Option<Self> {
        let addr_type = addr_type.into();
        is_addr_type(addr_type.as_bytes()).then(|| Self {
            addr_type: InlineText::new(&addr_type),
            address,
        })
    }

    /// The address type (`rfc822`, …).
    pub fn addr_type(&self) -> &str {
        self.addr_type.as_str()
    }

    /// The address, decoded from xtext.
    pub fn address(&self) -> &XText {
        &self.address
    }
}

/// `addr-type = atom` (RFC 3461 §4.2), ASCII only.
fn is_addr_type(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| b.is_ascii() && is_atext(b))
}

/// `ORCPT=addr-type;xtext` as sent: a view into the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OriginalRecipientRef<'a> {
    addr_type: &'a str,
    address: XTextRef<'a>,
}

impl<'a> OriginalRecipientRef<'a> {
    fn parse(value: &'a [u8]) -> Option<Self> {
        // One UTF-8 check for both halves: `;` is ASCII, so the split is at a character
        // boundary. Both halves must be ASCII anyway; the check only makes them `str`s.
        let value = std::str::from_utf8(value).ok()?;
        let (addr_type, address) = value.split_once(';')?;
        if !is_addr_type(addr_type.as_bytes()) {
            return None;
        }
        Some(Self {
            addr_type,
            address: XTextRef::parse_str(address).ok()?,
        })
    }

    /// The address type (`rfc822`, …).
    pub fn addr_type(&self) -> &'a str {
        self.addr_type
    }

    /// The address, still in xtext form.
    pub fn address(&self) -> XTextRef<'a> {
        self.address
    }

    /// The owned value, the address decoded.
    pub fn into_owned(self) -> OriginalRecipient {
        OriginalRecipient {
            addr_type: InlineText::new(self.addr_type),
            address: self.address.into_owned(),
        }
    }
}

/// A parameter this crate has no type for, kept as sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Parameter {
    pub(crate) keyword: String,
    pub(crate) value: Option<String>,
}

impl Parameter {
    /// A parameter with a valid `esmtp-keyword` and `esmtp-value`. Keywords that have a
    /// typed field in [`MailParameters`] or [`RcptParameters`] are refused: set the field.
    ///
    /// ```
    /// use mailwire_smtp::Parameter;
    ///
    /// assert!(Parameter::new("X-TAG", Some("abc")).is_some());
    /// assert!(Parameter::new("X TAG", None).is_none());
    /// assert!(Parameter::new("X-TAG", Some("a=b")).is_none());
    /// assert!(Parameter::new("size", Some("10")).is_none());
    /// ```
    pub fn new(keyword: &str, value: Option<&str>) -> Option<Self> {
        if KNOWN.iter().any(|k| k.eq_ignore_ascii_case(keyword)) {
            return None;
        }
        Self::unchecked_known(keyword.as_bytes(), value.map(str::as_bytes))
    }

    /// Validates syntax only (decoding keeps a known keyword that does not belong to the
    /// command it came with, e.g. SIZE on RCPT).
    fn unchecked_known(keyword: &[u8], value: Option<&[u8]>) -> Option<Self> {
        ParameterRef::parse(keyword, value).map(ParameterRef::into_owned)
    }

    /// The keyword as sent.
    pub fn keyword(&self) -> &str {
        &self.keyword
    }

    /// The value, if any.
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }
}

impl fmt::Display for Parameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, "{}={v}", self.keyword),
            None => f.write_str(&self.keyword),
        }
    }
}

/// A parameter this crate has no type for, as sent: a view into the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ParameterRef<'a> {
    keyword: &'a str,
    value: Option<&'a str>,
}

impl<'a> ParameterRef<'a> {
    /// `esmtp-keyword ["=" esmtp-value]`, syntax only.
    fn parse(keyword: &'a [u8], value: Option<&'a [u8]>) -> Option<Self> {
        if !is_esmtp_keyword(keyword) {
            return None;
        }
        let value = match value {
            Some(v) if !v.is_empty() && v.iter().all(|&b| is_esmtp_value_char(b)) => {
                Some(std::str::from_utf8(v).ok()?)
            }
            Some(_) => return None,
            None => None,
        };
        let keyword = std::str::from_utf8(keyword).ok()?;
        Some(Self { keyword, value })
    }

    /// The keyword as sent.
    pub fn keyword(&self) -> &'a str {
        self.keyword
    }

    /// The value, if any.
    pub fn value(&self) -> Option<&'a str> {
        self.value
    }

    /// The owned parameter.
    pub fn into_owned(self) -> Parameter {
        Parameter {
            keyword: self.keyword.to_owned(),
            value: self.value.map(str::to_owned),
        }
    }
}

const KNOWN: [&str; 9] = [
    "SIZE",
    "BODY",
    "SMTPUTF8",
    "RET",
    "ENVID",
    "AUTH",
    "REQUIRETLS",
    "NOTIFY",
    "ORCPT",
];

/// The parameters of MAIL FROM.
///
/// ```
/// use mailwire_smtp::{Body, MailParameters};
///
/// let mut params = MailParameters::default();
/// params.size = Some(1_000);
/// params.body = Some(Body::EightBitMime);
/// assert_eq!(params.to_string(), " SIZE=1000 BODY=8BITMIME");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct MailParameters {
    /// `SIZE=` (RFC 1870): the sender's estimate of the message size in octets.
    pub size: Option<u64>,
    /// `BODY=` (RFC 6152, RFC 3030).
    pub body: Option<Body>,
    /// `SMTPUTF8` (RFC 6531).
    pub smtputf8: bool,
    /// `RET=` (RFC 3461).
    pub ret: Option<Ret>,
    /// `ENVID=` (RFC 3461), at most [`MAX_ENVID_LEN`] octets.
    pub envid: Option<XText>,
    /// `AUTH=` (RFC 4954 §5): the authenticated submitter, or `<>`.
    pub auth: Option<XText>,
    /// `REQUIRETLS` (RFC 8689).
    pub requiretls: bool,
    /// Every other parameter, in the order sent.
    pub other: Vec<Parameter>,
}

/// The parameters of RCPT TO.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RcptParameters {
    /// `NOTIFY=` (RFC 3461).
    pub notify: Option<Notify>,
    /// `ORCPT=` (RFC 3461).
    pub orcpt: Option<OriginalRecipient>,
    /// Every other parameter, in the order sent.
    pub other: Vec<Parameter>,
}

/// The `keyword[=value]` items of a space-separated list. Extra spaces are tolerated
/// (clients send trailing spaces).
fn params(input: &[u8]) -> impl Iterator<Item = (&[u8], Option<&[u8]>)> {
    input
        .split(|&b| b == b' ')
        .filter(|t| !t.is_empty())
        .map(|token| match token.iter().position(|&b| b == b'=') {
            Some(eq) => (&token[..eq], Some(&token[eq + 1..])),
            None => (token, None),
        })
}

fn set<T>(slot: &mut Option<T>, keyword: &'static str, value: Option<T>) -> Result<(), ParamError> {
    if slot.is_some() {
        return Err(ParamError::Duplicate { keyword });
    }
    *slot = Some(value.ok_or(ParamError::Value { keyword })?);
    Ok(())
}

fn set_flag(
    flag: &mut bool,
    keyword: &'static str,
    value: Option<&[u8]>,
) -> Result<(), ParamError> {
    if value.is_some() {
        return Err(ParamError::Value { keyword });
    }
    if *flag {
        return Err(ParamError::Duplicate { keyword });
    }
    *flag = true;
    Ok(())
}

/// Checks a parameter kept in `other`.
fn other(keyword: &[u8], value: Option<&[u8]>) -> Result<(), ParamError> {
    ParameterRef::parse(keyword, value)
        .map(drop)
        .ok_or(ParamError::Syntax)
}

/// The keywords MAIL has typed fields for.
const MAIL_KNOWN: [&str; 7] = [
    "SIZE",
    "BODY",
    "SMTPUTF8",
    "RET",
    "ENVID",
    "AUTH",
    "REQUIRETLS",
];

/// The keywords RCPT has typed fields for.
const RCPT_KNOWN: [&str; 2] = ["NOTIFY", "ORCPT"];

/// `keyword` as spelled in `known`, if it is one of them.
fn known(known: &[&'static str], keyword: &[u8]) -> Option<&'static str> {
    known
        .iter()
        .find(|k| keyword.eq_ignore_ascii_case(k.as_bytes()))
        .copied()
}

/// The other parameters of `list`, owned; no walk over the list when it holds none (the
/// usual command).
fn owned_others<'a>(list: &[u8], other: impl Iterator<Item = ParameterRef<'a>>) -> Vec<Parameter> {
    if list.is_empty() {
        Vec::new()
    } else {
        other.map(ParameterRef::into_owned).collect()
    }
}

/// The parameters of MAIL FROM as sent: typed fields for the known ones, the others
/// through [`MailParametersRef::other`]; every text a view into the command line.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct MailParametersRef<'a> {
    /// `SIZE=` (RFC 1870): the sender's estimate of the message size in octets.
    pub size: Option<u64>,
    /// `BODY=` (RFC 6152, RFC 3030).
    pub body: Option<Body>,
    /// `SMTPUTF8` (RFC 6531).
    pub smtputf8: bool,
    /// `RET=` (RFC 3461).
    pub ret: Option<Ret>,
    /// `ENVID=` (RFC 3461), at most [`MAX_ENVID_LEN`] octets decoded.
    pub envid: Option<XTextRef<'a>>,
    /// `AUTH=` (RFC 4954 §5): the authenticated submitter, or `<>`.
    pub auth: Option<XTextRef<'a>>,
    /// `REQUIRETLS` (RFC 8689).
    pub requiretls: bool,
    /// The whole validated list if it holds other parameters, walked again by `other`;
    /// empty if not, so that the usual command skips that walk.
    list: &'a [u8],
}

impl<'a> MailParametersRef<'a> {
    pub(crate) fn parse(input: &'a [u8]) -> Result<Self, ParamError> {
        let mut p = Self::default();
        // Most commands carry no parameters: skip setting up the walk over the list.
        if input.is_empty() {
            return Ok(p);
        }
        for (keyword, value) in params(input) {
            match known(&MAIL_KNOWN, keyword) {
                Some(k @ "SIZE") => set(&mut p.size, k, value.and_then(parse_u64)),
                Some(k @ "BODY") => {
                    let body = value.and_then(|v| {
                        [Body::SevenBit, Body::EightBitMime, Body::BinaryMime]
                            .into_iter()
                            .find(|b| v.eq_ignore_ascii_case(b.as_str().as_bytes()))
                    });
                    set(&mut p.body, k, body)
                }
                Some(k @ "SMTPUTF8") => set_flag(&mut p.smtputf8, k, value),
                Some(k @ "RET") => {
                    let ret = value.and_then(|v| {
                        if v.eq_ignore_ascii_case(b"FULL") {
                            Some(Ret::Full)
                        } else if v.eq_ignore_ascii_case(b"HDRS") {
                            Some(Ret::Headers)
                        } else {
                            None
                        }
                    });
                    set(&mut p.ret, k, ret)
                }
                Some(k @ "ENVID") => {
                    let envid = value
                        .and_then(|v| XTextRef::parse(v).ok())
                        .filter(|x| (1..=MAX_ENVID_LEN).contains(&x.decoded_len()));
                    set(&mut p.envid, k, envid)
                }
                Some(k @ "AUTH") => {
                    let auth = value
                        .and_then(|v| XTextRef::parse(v).ok())
                        .filter(|x| x.decoded_len() > 0);
                    set(&mut p.auth, k, auth)
                }
                Some(k @ "REQUIRETLS") => set_flag(&mut p.requiretls, k, value),
                _ => {
                    p.list = input;
                    other(keyword, value)
                }
            }?;
        }
        Ok(p)
    }

    /// Every other parameter, in the order sent.
    pub fn other(&self) -> impl Iterator<Item = ParameterRef<'a>> + use<'a> {
        params(self.list)
            .filter(|(keyword, _)| known(&MAIL_KNOWN, keyword).is_none())
            .filter_map(|(keyword, value)| ParameterRef::parse(keyword, value))
    }

    /// The owned parameters, xtext values decoded.
    #[inline]
    pub fn into_owned(self) -> MailParameters {
        MailParameters {
            size: self.size,
            body: self.body,
            smtputf8: self.smtputf8,
            ret: self.ret,
            envid: self.envid.map(XTextRef::into_owned),
            auth: self.auth.map(XTextRef::into_owned),
            requiretls: self.requiretls,
            other: owned_others(self.list, self.other()),
        }
    }
}

impl PartialEq for MailParametersRef<'_> {
    /// Equal when the typed fields are and the other parameters are, in the same order.
    fn eq(&self, other: &Self) -> bool {
        (
            self.size,
            self.body,
            self.smtputf8,
            self.ret,
            self.envid,
            self.auth,
            self.requiretls,
        ) == (
            other.size,
            other.body,
            other.smtputf8,
            other.ret,
            other.envid,
            other.auth,
            other.requiretls,
        ) && self.other().eq(other.other())
    }
}

impl Eq for MailParametersRef<'_> {}

/// The parameters of RCPT TO as sent: typed fields for the known ones, the others
/// through [`RcptParametersRef::other`]; every text a view into the command line.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct RcptParametersRef<'a> {
    /// `NOTIFY=` (RFC 3461).
    pub notify: Option<Notify>,
    /// `ORCPT=` (RFC 3461).
    pub orcpt: Option<OriginalRecipientRef<'a>>,
    /// As in [`MailParametersRef`].
    list: &'a [u8],
}

impl<'a> RcptParametersRef<'a> {
    pub(crate) fn parse(input: &'a [u8]) -> Result<Self, ParamError> {
        let mut p = Self::default();
        // Most commands carry no parameters: skip setting up the walk over the list.
        if input.is_empty() {
            return Ok(p);
        }
        for (keyword, value) in params(input) {
            match known(&RCPT_KNOWN, keyword) {
                Some(k @ "NOTIFY") => set(&mut p.notify, k, value.and_then(Notify::parse)),
                Some(k @ "ORCPT") => {
                    set(&mut p.orcpt, k, value.and_then(OriginalRecipientRef::parse))
                }
                _ => {
                    p.list = input;
                    other(keyword, value)
                }
            }?;
        }
        Ok(p)
    }

    /// Every other parameter, in the order sent.
    pub fn other(&self) -> impl Iterator<Item = ParameterRef<'a>> + use<'a> {
        params(self.list)
            .filter(|(keyword, _)| known(&RCPT_KNOWN, keyword).is_none())
            .filter_map(|(keyword, value)| ParameterRef::parse(keyword, value))
    }

    /// The owned parameters, xtext values decoded.
    #[inline]
    pub fn into_owned(self) -> RcptParameters {
        RcptParameters {
            notify: self.notify,
            orcpt: self.orcpt.map(OriginalRecipientRef::into_owned),
            other: owned_others(self.list, self.other()),
        }
    }
}

impl PartialEq for RcptParametersRef<'_> {
    /// Equal when the typed fields are and the other parameters are, in the same order.
    fn eq(&self, other: &Self) -> bool {
        (self.notify, self.orcpt) == (other.notify, other.orcpt) && self.other().eq(other.other())
    }
}

impl Eq for RcptParametersRef<'_> {}

impl MailParameters {
    #[cfg(test)]
    pub(crate) fn parse(input: &[u8]) -> Result<Self, ParamError> {
        MailParametersRef::parse(input).map(MailParametersRef::into_owned)
    }
}
impl RcptParameters {
    #[cfg(test)]
    pub(crate) fn parse(input: &[u8]) -> Result<Self, ParamError> {
        RcptParametersRef::parse(input).map(RcptParametersRef::into_owned)
    }
}

impl fmt::Display for MailParameters {
    /// The wire form, each parameter preceded by a space.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::new();
        self.encode(&mut out);
        f.write_str(&String::from_utf8_lossy(&out))
    }
}

impl fmt::Display for RcptParameters {
    /// The wire form, each parameter preceded by a space.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::new();
        self.encode(&mut out);
        f.write_str(&String::from_utf8_lossy(&out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_parameters_decode() {
        let p = MailParameters::parse(
            b" SIZE=12345 body=8bitmime SMTPUTF8 RET=HDRS ENVID=QQ314159 AUTH=<> REQUIRETLS X-A=1 X-B",
        )
        .unwrap();
        assert_eq!(p.size, Some(12345));
        assert_eq!(p.body, Some(Body::EightBitMime));
        assert!(p.smtputf8);
        assert_eq!(p.ret, Some(Ret::Headers));
        assert_eq!(p.envid.as_ref().unwrap().as_bytes(), b"QQ314159");
        assert_eq!(p.auth.as_ref().unwrap().as_bytes(), b"<>");
        assert!(p.requiretls);
        assert_eq!(
            p.other,
            [
                Parameter::new("X-A", Some("1")).unwrap(),
                Parameter::new("X-B", None).unwrap()
            ]
        );
        assert_eq!(
            p.to_string(),
            " SIZE=12345 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=QQ314159 AUTH=<> REQUIRETLS X-A=1 X-B"
        );
    }

    #[test]
    fn mail_parameter_errors() {
        assert_eq!(
            MailParameters::parse(b" SIZE"),
            Err(ParamError::Value { keyword: "SIZE" })
        );
        assert_eq!(
            MailParameters::parse(b" SIZE=1k"),
            Err(ParamError::Value { keyword: "SIZE" })
        );
        assert_eq!(
            MailParameters::parse(b" SIZE=99999999999999999999999"),
            Err(ParamError::Value { keyword: "SIZE" })
        );
        assert_eq!(
            MailParameters::parse(b" SIZE=1 SIZE=2"),
            Err(ParamError::Duplicate { keyword: "SIZE" })
        );
        assert_eq!(
            MailParameters::parse(b" BODY=9BIT"),
            Err(ParamError::Value { keyword: "BODY" })
        );
        assert_eq!(
            MailParameters::parse(b" SMTPUTF8=yes"),
            Err(ParamError::Value {
                keyword: "SMTPUTF8"
            })
        );
        assert_eq!(
            MailParameters::parse(format!(" ENVID={}", "a".repeat(101)).as_bytes()),
            Err(ParamError::Value { keyword: "ENVID" })
        );
        assert_eq!(MailParameters::parse(b" =x"), Err(ParamError::Syntax));
        assert_eq!(MailParameters::parse(b" X-A="), Err(ParamError::Syntax));
        assert_eq!(MailParameters::parse(b" X-A=\x01"), Err(ParamError::Syntax));
    }

    #[test]
    fn rcpt_parameters_rfc_3461() {
        let p = RcptParameters::parse(b" NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob+40example.com")
            .unwrap();
        assert_eq!(
            p.notify,
            Some(Notify {
                success: true,
                failure: true,
                delay: false
            })
        );
        let orcpt = p.orcpt.as_ref().unwrap();
        assert_eq!(orcpt.addr_type(), "rfc822");
        assert_eq!(orcpt.address().as_bytes(), b"Bob@example.com");
        assert_eq!(
            p.to_string(),
            " NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob@example.com"
        );
        let never = RcptParameters::parse(b" NOTIFY=never").unwrap();
        assert_eq!(never.notify, Some(Notify::NEVER));
        assert_eq!(never.to_string(), " NOTIFY=NEVER");
        assert_eq!(
            RcptParameters::parse(b" NOTIFY=NEVER,DELAY"),
            Err(ParamError::Value { keyword: "NOTIFY" })
        );
        assert_eq!(
            RcptParameters::parse(b" ORCPT=rfc822"),
            Err(ParamError::Value { keyword: "ORCPT" })
        );
    }

    #[test]
    fn known_mail_keywords_on_rcpt_are_kept_as_unknown() {
        let p = RcptParameters::parse(b" SIZE=10").unwrap();
        assert_eq!(p.other.len(), 1);
        assert_eq!(p.other[0].keyword(), "SIZE");
        assert_eq!(p.other[0].value(), Some("10"));
        assert_eq!(p.to_string(), " SIZE=10");
    }
}
