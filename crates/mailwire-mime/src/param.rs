//! `Content-Type` and `Content-Disposition` with their parameters (RFC 2045 §5.1,
//! RFC 2183, RFC 2231).
//!
//! ```text
//! content    := "Content-Type" ":" type "/" subtype *(";" parameter)
//! parameter  := attribute "=" value
//! value      := token / quoted-string
//! ; RFC 2231
//! extended   := attribute ["*" section] "*" "=" [charset "'" [language] "'"] *(pct-encoded / attr-char)
//! ```
//!
//! Continuations (`name*0`, `name*1*` …) are joined in section order before the charset is
//! applied; section numbers are sorted, never used to size a buffer.

use crate::charset::{Charset, lossy_text};
use crate::encoded_word::decode_text;
use crate::header::trim_wsp;
use crate::structured::strip_comments;

/// One parameter, continuations joined and RFC 2231 / RFC 2047 encoding decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Attribute name, lowercase, without `*` or section number.
    pub name: String,
    /// The decoded value.
    pub value: String,
    /// The charset named by RFC 2231 extended syntax, if any.
    pub charset: Option<String>,
    /// The language named by RFC 2231 extended syntax, if any and non-empty.
    pub language: Option<String>,
}

/// Splits at `;` outside quoted strings.
fn split_params(value: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let mut i = 0;
    while i < value.len() {
        match value[i] {
            b'\\' if quoted => i += 1,
            b'"' => quoted = !quoted,
            b';' if !quoted => {
                out.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(&value[start.min(value.len())..]);
    out
}

fn unquote(v: &[u8]) -> Vec<u8> {
    let v = trim_wsp(v);
    let Some(inner) = v.strip_prefix(b"\"") else {
        return v.to_vec();
    };
    let inner = inner.strip_suffix(b"\"").unwrap_or(inner);
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        if inner[i] == b'\\' && i + 1 < inner.len() {
            i += 1;
        }
        if inner[i] != b'\r' && inner[i] != b'\n' {
            out.push(inner[i]);
        }
        i += 1;
    }
    out
}

fn percent_decode(v: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < v.len() {
        if v[i] == b'%' {
            let h = v.get(i + 1).and_then(|&c| (c as char).to_digit(16));
            let l = v.get(i + 2).and_then(|&c| (c as char).to_digit(16));
            if let (Some(h), Some(l)) = (h, l) {
                out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                i += 3;
                continue;
            }
        }
        out.push(v[i]);
        i += 1;
    }
}

struct Section<'a> {
    index: u32,
    extended: bool,
    value: &'a [u8],
}

/// `name=value` of a segment, both trimmed; `None` without `=` or without a name.
fn name_value(seg: &[u8]) -> Option<(&[u8], &[u8])> {
    let eq = memchr::memchr(b'=', seg)?;
    let name = trim_wsp(&seg[..eq]);
    (!name.is_empty()).then(|| (name, trim_wsp(&seg[eq + 1..])))
}

/// Parses the `;`-separated parameter list after the type.
fn parse_params(segments: &[&[u8]]) -> Vec<Param> {
    // Most lists have no RFC 2231 sections or extended values: each parameter is one
    // segment, the first of a repeated name wins.
    let simple = segments
        .iter()
        .filter_map(|seg| name_value(seg))
        .all(|(name, _)| memchr::memchr(b'*', name).is_none());
    if simple {
        let mut params: Vec<Param> = Vec::with_capacity(segments.len());
        for (raw_name, value) in segments.iter().filter_map(|seg| name_value(seg)) {
            let name = String::from_utf8_lossy(raw_name).to_ascii_lowercase();
            if params.iter().any(|p| p.name == name) {
                continue;
            }
            params.push(Param {
                name,
                // Many mailers put RFC 2047 words in parameters although RFC 2047 §5
                // forbids it.
                value: decode_text(&unquote(value)),
                charset: None,
                language: None,
            });
        }
        return params;
    }
    let mut order: Vec<String> = Vec::new();
    let mut sections: Vec<(String, Section<'_>)> = Vec::new();
    for seg in segments {
        let Some(eq) = memchr::memchr(b'=', seg) else {
            continue;
        };
        let raw_name = trim_wsp(&seg[..eq]);
        let value = trim_wsp(&seg[eq + 1..]);
        if raw_name.is_empty() {
            continue;
        }
        let name = String::from_utf8_lossy(raw_name).to_ascii_lowercase();
        let (base, extended) = match name.strip_suffix('*') {
            Some(b) => (b.to_owned(), true),
            None => (name.clone(), false),
        };
        let (base, index) = match base.rsplit_once('*') {
            Some((b, n)) if !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()) => {
                match n.parse::<u32>() {
                    Ok(i) => (b.to_owned(), i),
                    Err(_) => continue,
                }
            }
            _ => (base, 0),
        };
        if !order.contains(&base) {
            order.push(base.clone());
        }
        sections.push((
            base,
            Section {
                index,
                extended,
                value,
            },
        ));
    }
    let mut params = Vec::with_capacity(order.len());
    for name in order {
        let mut mine: Vec<&Section<'_>> = sections
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, s)| s)
            .collect();
        mine.sort_by_key(|s| s.index);
        mine.dedup_by_key(|s| s.index);
        let mut bytes = Vec::new();
        let mut charset = None;
        let mut language = None;
        let mut any_extended = false;
        for (i, s) in mine.iter().enumerate() {
            if s.extended {
                any_extended = true;
                let mut v = unquote(s.value);
                if i == 0 {
                    let mut parts = v.splitn(3, |&b| b == b'\'');
                    if let (Some(cs), Some(lang), Some(rest)) =
                        (parts.next(), parts.next(), parts.next())
                    {
                        charset =
                            (!cs.is_empty()).then(|| String::from_utf8_lossy(cs).into_owned());
                        language =
                            (!lang.is_empty()).then(|| String::from_utf8_lossy(lang).into_owned());
                        v = rest.to_vec();
                    }
                }
                percent_decode(&v, &mut bytes);
            } else {
                bytes.extend_from_slice(&unquote(s.value));
            }
        }
        let value = if any_extended {
            match charset.as_deref().and_then(Charset::for_label) {
                Some(cs) => cs.decode(&bytes).0.into_owned(),
                None => lossy_text(&bytes).into_owned(),
            }
        } else {
            // Many mailers put RFC 2047 words in parameters although RFC 2047 §5 forbids it.
            decode_text(&bytes)
        };
        params.push(Param {
            name,
            value,
            charset,
            language,
        });
    }
    params
}

fn find<'p>(params: &'p [Param], name: &str) -> Option<&'p str> {
    params
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
        .map(|p| p.value.as_str())
}

/// A `Content-Type` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentType {
    main: String,
    sub: String,
    params: Vec<Param>,
    malformed: bool,
}

impl Default for ContentType {
    /// `text/plain; charset=us-ascii`, the RFC 2045 §5.2 default.
    fn default() -> Self {
        ContentType::new("text", "plain").with_param("charset", "us-ascii")
    }
}

impl ContentType {
    /// A type from its two halves (lowercased), no parameters.
    pub fn new(main: &str, sub: &str) -> ContentType {
        ContentType {
            main: main.to_ascii_lowercase(),
            sub: sub.to_ascii_lowercase(),
            params: Vec::new(),
            malformed: false,
        }
    }

    /// Adds (or replaces) a parameter.
    #[must_use]
    pub fn with_param(mut self, name: &str, value: &str) -> ContentType {
        let name = name.to_ascii_lowercase();
        self.params.retain(|p| p.name != name);
        self.params.push(Param {
            name,
            value: value.to_owned(),
            charset: None,
            language: None,
        });
        self
    }

    /// Reads an unfolded `Content-Type` value. A value without `type/subtype` gives
    /// `text/plain` (RFC 2045 §5.2) with [`ContentType::is_malformed`] set.
    ///
    /// ```
    /// use mailwire_mime::ContentType;
    /// let ct = ContentType::parse(b"Text/HTML; Charset=\"ISO-8859-1\" (comment)");
    /// assert_eq!(ct.mime_type(), "text/html");
    /// assert_eq!(ct.charset(), Some("ISO-8859-1"));
    /// ```
    pub fn parse(value: &[u8]) -> ContentType {
        let value = strip_comments(value);
        let mut segments = split_params(&value);
        let mut first = segments.first().map_or(&b""[..], |s| trim_wsp(s));
        // `multipart/mixed boundary=x`: a missing `;` before the first parameter.
        if let Some(ws) = first.iter().position(u8::is_ascii_whitespace)
            && memchr::memchr(b'=', &first[ws..]).is_some()
        {
            let (kind, param) = first.split_at(ws);
            first = trim_wsp(kind);
            segments.insert(1, param);
        }
        let params = parse_params(segments.get(1..).unwrap_or_default());
        let halves = first
            .iter()
            .position(|&b| b == b'/')
            .map(|i| (trim_wsp(&first[..i]), trim_wsp(&first[i + 1..])));
        let is_token = |s: &[u8]| {
            !s.is_empty()
                && s.iter()
                    .all(|&b| b > b' ' && b < 127 && !b"()<>@,;:\\\"/[]?=".contains(&b))
        };
        match halves {
            Some((m, s)) if is_token(m) && is_token(s) => ContentType {
                main: String::from_utf8_lossy(m).to_ascii_lowercase(),
                sub: String::from_utf8_lossy(s).to_ascii_lowercase(),
                params,
                malformed: false,
            },
            _ => ContentType {
                main: "text".into(),
                sub: "plain".into(),
                params,
                malformed: true,
            },
        }
    }

    /// The top-level type, lowercase (`text`).
    pub fn main_type(&self) -> &str {
        &self.main
    }

    /// The subtype, lowercase (`plain`).
    pub fn subtype(&self) -> &str {
        &self.sub
    }

    /// `type/subtype`, lowercase.
    pub fn mime_type(&self) -> String {
        format!("{}/{}", self.main, self.sub)
    }

    /// Whether this is `main/sub` (case-insensitive).
    pub fn is(&self, main: &str, sub: &str) -> bool {
        self.main.eq_ignore_ascii_case(main) && self.sub.eq_ignore_ascii_case(sub)
    }

    /// Whether the written value could not be read and the default was used.
    pub fn is_malformed(&self) -> bool {
        self.malformed
    }

    /// All parameters, in order of first appearance.
    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// A parameter's decoded value (name case-insensitive).
    pub fn param(&self, name: &str) -> Option<&str> {
        find(&self.params, name)
    }

    /// The `charset` parameter.
    pub fn charset(&self) -> Option<&str> {
        self.param("charset")
    }

    /// The `boundary` parameter of a multipart.
    pub fn boundary(&self) -> Option<&str> {
        self.param("boundary")
    }
}

/// A `Content-Disposition` value (RFC 2183).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentDisposition {
    kind: String,
    params: Vec<Param>,
}

impl ContentDisposition {
    /// Reads an unfolded value.
    ///
    /// ```
    /// use mailwire_mime::ContentDisposition;
    /// let cd = ContentDisposition::parse(b"attachment; filename*=utf-8''na%C3%AFve.txt");
    /// assert!(cd.is_attachment());
    /// assert_eq!(cd.filename(), Some("na\u{ef}ve.txt"));
    /// ```
    pub fn parse(value: &[u8]) -> ContentDisposition {
        let value = strip_comments(value);
        let segments = split_params(&value);
        let kind = segments
            .first()
            .map(|s| String::from_utf8_lossy(trim_wsp(s)).to_ascii_lowercase())
            .unwrap_or_default();
        ContentDisposition {
            kind,
            params: parse_params(segments.get(1..).unwrap_or_default()),
        }
    }

    /// The disposition type, lowercase (`inline`, `attachment`, …).
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// Whether the type is `attachment`.
    pub fn is_attachment(&self) -> bool {
        self.kind == "attachment"
    }

    /// Whether the type is `inline`.
    pub fn is_inline(&self) -> bool {
        self.kind == "inline"
    }

    /// All parameters.
    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// A parameter's decoded value.
    pub fn param(&self, name: &str) -> Option<&str> {
        find(&self.params, name)
    }

    /// The `filename` parameter.
    pub fn filename(&self) -> Option<&str> {
        self.param("filename")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lists_keep_the_first_of_a_repeated_name() {
        let ct = ContentType::parse(
            b"text/plain; A=1; b=\"x; y\"; a=2; =nameless; noeq; c==?utf-8?q?caf=C3=A9?=",
        );
        let got: Vec<(&str, &str)> = ct
            .params()
            .iter()
            .map(|p| (p.name.as_str(), p.value.as_str()))
            .collect();
        assert_eq!(got, [("a", "1"), ("b", "x; y"), ("c", "caf\u{e9}")]);
    }

    #[test]
    fn rfc2045_examples() {
        let a = ContentType::parse(b"text/plain; charset=us-ascii (Plain text)");
        let b = ContentType::parse(b"text/plain; charset=\"us-ascii\"");
        assert_eq!(a, b);
        assert_eq!(a.charset(), Some("us-ascii"));
        let c = ContentType::parse(b"multipart/mixed; boundary=\"simple boundary\"");
        assert_eq!(c.boundary(), Some("simple boundary"));
    }

    #[test]
    fn rfc2231_section_3_continuations() {
        let ct = ContentType::parse(
            b"message/external-body; access-type=URL;\r\n URL*0=\"ftp://\";\r\n URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"",
        );
        assert_eq!(
            ct.param("url"),
            Some("ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar")
        );
        assert_eq!(ct.param("access-type"), Some("URL"));
        assert_eq!(ct.params().len(), 2);
    }

    #[test]
    fn rfc2231_section_4_charset_and_language() {
        let ct = ContentType::parse(
            b"application/x-stuff;\r\n title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A",
        );
        assert_eq!(
            ct.params(),
            &[Param {
                name: "title".into(),
                value: "This is ***fun***".into(),
                charset: Some("us-ascii".into()),
                language: Some("en-us".into())
            }]
        );
    }

    #[test]
    fn rfc2231_section_4_1_mixed_continuations() {
        let ct = ContentType::parse(
            b"application/x-stuff;\r\n title*0*=us-ascii'en'This%20is%20even%20more%20;\r\n title*1*=%2A%2A%2Afun%2A%2A%2A%20;\r\n title*2=\"isn't it!\"",
        );
        let p = &ct.params()[0];
        assert_eq!(p.value, "This is even more ***fun*** isn't it!");
        assert_eq!(p.language.as_deref(), Some("en"));
    }

    #[test]
    fn out_of_order_sections_and_charsets() {
        let ct = ContentType::parse(b"a/b; n*1*=%A9; n*0*=iso-8859-1''%E9t; n*4294967295=z");
        assert_eq!(ct.param("n"), Some("\u{e9}t\u{a9}z"));
        let ct = ContentType::parse(b"a/b; n*99999999999999999999=z");
        assert_eq!(ct.param("n"), None);
    }

    #[test]
    fn lenient_values() {
        let ct = ContentType::parse(b"multipart/alternative; boundary=----=_Part_1_2.3; x=\"a;b\"");
        assert_eq!(ct.boundary(), Some("----=_Part_1_2.3"));
        assert_eq!(ct.param("x"), Some("a;b"));
        let ct = ContentType::parse(b"application/pdf; name=\"=?UTF-8?B?w6ku?=pdf\"");
        assert_eq!(ct.param("name"), Some("\u{e9}.pdf"));
        let ct = ContentType::parse(b"multipart/mixed\r\n\tboundary=\"b\"");
        assert_eq!(
            (ct.mime_type().as_str(), ct.boundary(), ct.is_malformed()),
            ("multipart/mixed", Some("b"), false)
        );
        let bad = ContentType::parse(b"garbage; charset=utf-8");
        assert!(bad.is_malformed());
        assert_eq!(bad.mime_type(), "text/plain");
        assert_eq!(bad.charset(), Some("utf-8"));
    }

    #[test]
    fn rfc2183_disposition() {
        let cd = ContentDisposition::parse(b"attachment; filename=genome.jpeg;\r\n modification-date=\"Wed, 12 Feb 1997 16:29:51 -0500\";");
        assert!(cd.is_attachment());
        assert_eq!(cd.filename(), Some("genome.jpeg"));
        assert_eq!(
            cd.param("modification-date"),
            Some("Wed, 12 Feb 1997 16:29:51 -0500")
        );
        assert!(ContentDisposition::parse(b"INLINE").is_inline());
    }
}
