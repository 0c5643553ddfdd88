//! The OAuth 2.0 bearer-token mechanisms: `OAUTHBEARER` (RFC 7628) and Google's `XOAUTH2`.
//!
//! ```text
//! ; RFC 7628 §3.1
//! client-resp = (gs2-header kvsep *kvpair kvsep) / kvsep
//! kvsep       = %x01
//! kvpair      = key "=" value kvsep       ; auth, host, port, ...
//! auth-value  = "Bearer" 1*SP b64token    ; RFC 6750 §2.1, scheme case-insensitive
//!
//! ; XOAUTH2
//! client-resp = "user=" user %x01 "auth=Bearer " token %x01 %x01
//! ```

use mailwire_core::Secret;

use crate::error::{AuthError, InvalidInput};
use crate::gs2;
use crate::scram::encode_saslname;

/// What a bearer-token client sent, for the application to check.
#[derive(Debug)]
pub(crate) struct TokenRequest {
    pub(crate) user: Option<String>,
    pub(crate) token: Secret<String>,
    pub(crate) host: Option<String>,
    pub(crate) port: Option<u16>,
}

/// An error to report to a bearer-token client when its token is refused, sent as the
/// JSON challenge of RFC 7628 §3.2.2 (OAUTHBEARER) or Google's XOAUTH2 error challenge.
///
/// ```
/// use mailwire_sasl::OAuthError;
///
/// let error = OAuthError::invalid_token()
///     .with_scope("example_scope")
///     .with_openid_configuration("https://example.com/.well-known/openid-configuration");
/// assert_eq!(
///     error.to_json(),
///     r#"{"status":"invalid_token","scope":"example_scope","openid-configuration":"https://example.com/.well-known/openid-configuration"}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    status: String,
    scope: Option<String>,
    openid_configuration: Option<String>,
}

impl OAuthError {
    /// An error with the given `status` (RFC 6749 / RFC 6750 error code, or for XOAUTH2
    /// an HTTP status such as `"401"`).
    pub fn new(status: impl Into<String>) -> Self {
        OAuthError {
            status: status.into(),
            scope: None,
            openid_configuration: None,
        }
    }

    /// `invalid_token`: expired, revoked or unknown (RFC 6750 §3.1).
    pub fn invalid_token() -> Self {
        Self::new("invalid_token")
    }

    /// Adds the scope the token needs.
    pub fn with_scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// Adds the URL of the OpenID Provider Configuration, where a client discovers how to
    /// get a token.
    pub fn with_openid_configuration(mut self, url: impl Into<String>) -> Self {
        self.openid_configuration = Some(url.into());
        self
    }

    /// The JSON object sent to the client.
    pub fn to_json(&self) -> String {
        let mut json = String::from("{");
        push_member(&mut json, "status", &self.status);
        if let Some(scope) = &self.scope {
            json.push(',');
            push_member(&mut json, "scope", scope);
        }
        if let Some(url) = &self.openid_configuration {
            json.push(',');
            push_member(&mut json, "openid-configuration", url);
        }
        json.push('}');
        json
    }

    /// Google's XOAUTH2 flavour: `schemes` after `status`, no OpenID configuration.
    pub(crate) fn to_xoauth2_json(&self) -> String {
        let mut json = String::from("{");
        push_member(&mut json, "status", &self.status);
        json.push(',');
        push_member(&mut json, "schemes", "bearer");
        if let Some(scope) = &self.scope {
            json.push(',');
            push_member(&mut json, "scope", scope);
        }
        json.push('}');
        json
    }
}

fn push_member(json: &mut String, name: &str, value: &str) {
    push_string(json, name);
    json.push(':');
    push_string(json, value);
}

fn push_string(json: &mut String, value: &str) {
    json.push('"');
    for c in value.chars() {
        match c {
            '"' => json.push_str("\\\""),
            '\\' => json.push_str("\\\\"),
            c if u32::from(c) < 0x20 => json.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => json.push(c),
        }
    }
    json.push('"');
}

/// `Bearer <token>`: the scheme is case-insensitive, the token non-empty.
fn bearer_token(auth: &str) -> Option<Secret<String>> {
    let (scheme, token) = auth.split_once(' ')?;
    let token = token.trim_start_matches(' ');
    (scheme.eq_ignore_ascii_case("bearer") && is_b64token(token))
        .then(|| Secret::new(token.to_owned()))
}

/// ```text
/// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="   ; RFC 6750 §2.1
/// ```
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

pub(crate) fn parse_oauthbearer(message: &[u8]) -> Result<TokenRequest, AuthError> {
    let gs2::Gs2 {
        authzid: user,
        rest: pairs,
        ..
    } = gs2::split(message)?;
    let pairs = pairs
        .strip_prefix('\x01')
        .and_then(|pairs| pairs.strip_suffix("\x01\x01"))
        .ok_or(AuthError::malformed("bad key-value separators"))?;
    let (mut token, mut host, mut port) = (None, None, None);
    for pair in pairs.split('\x01') {
        let (key, value) = pair
            .split_once('=')
            .ok_or(AuthError::malformed("bad key-value pair"))?;
        match key {
            "auth" => token = Some(bearer_token(value).ok_or(AuthError::malformed("bad auth"))?),
            "host" => host = Some(value.to_owned()),
            "port" => port = Some(parse_port(value)?),
            _ if !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphabetic()) => {}
            _ => return Err(AuthError::malformed("bad key")),
        }
    }
    let token = token.ok_or(AuthError::malformed("no auth"))?;
    Ok(TokenRequest {
        user,
        token,
        host,
        port,
    })
}

fn parse_port(value: &str) -> Result<u16, AuthError> {
    value.parse().map_err(|_| AuthError::malformed("bad port"))
}

pub(crate) fn parse_xoauth2(message: &[u8]) -> Result<TokenRequest, AuthError> {
    let message = std::str::from_utf8(message).map_err(|_| AuthError::malformed("not UTF-8"))?;
    let pairs = message
        .strip_suffix("\x01\x01")
        .ok_or(AuthError::malformed("bad key-value separators"))?;
    let (user, auth) = pairs
        .split_once('\x01')
        .ok_or(AuthError::malformed("no auth"))?;
    let user = user
        .strip_prefix("user=")
        .filter(|user| !user.is_empty())
        .ok_or(AuthError::malformed("no user"))?;
    let token = auth
        .strip_prefix("auth=")
        .and_then(bearer_token)
        .ok_or(AuthError::malformed("bad auth"))?;
    Ok(TokenRequest {
        user: Some(user.to_owned()),
        token,
        host: None,
        port: None,
    })
}

pub(crate) fn oauthbearer_message(
    user: Option<&str>,
    host: Option<&str>,
    port: Option<u16>,
    token: &str,
) -> Result<Vec<u8>, InvalidInput> {
    if user == Some("") {
        return Err(InvalidInput::new("user"));
    }
    if host.is_some_and(|host| host.is_empty() || host.contains('\x01')) {
        return Err(InvalidInput::new("host"));
    }
    if !is_b64token(token) {
        return Err(InvalidInput::new("token"));
    }
    let mut message = match user {
        Some(user) => format!("n,a={},\x01", encode_saslname(user)),
        None => String::from("n,,\x01"),
    };
    if let Some(host) = host {
        message.push_str(&format!("host={host}\x01"));
    }
    if let Some(port) = port {
        message.push_str(&format!("port={port}\x01"));
    }
    message.push_str(&format!("auth=Bearer {token}\x01\x01"));
    Ok(message.into_bytes())
}

pub(crate) fn xoauth2_message(user: &str, token: &str) -> Result<Vec<u8>, InvalidInput> {
    if user.is_empty() || user.contains('\x01') {
        return Err(InvalidInput::new("user"));
    }
    if !is_b64token(token) {
        return Err(InvalidInput::new("token"));
    }
    Ok(format!("user={user}\x01auth=Bearer {token}\x01\x01").into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_escaped() {
        let error = OAuthError::new("a\"b\\c\nd");
        assert_eq!(error.to_json(), r#"{"status":"a\"b\\c\u000ad"}"#);
    }

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        assert_eq!(
            bearer_token("bearer abc")
                .map(Secret::into_inner)
                .as_deref(),
            Some("abc")
        );
        assert_eq!(
            bearer_token("BEARER  abc")
                .map(Secret::into_inner)
                .as_deref(),
            Some("abc")
        );
        assert!(bearer_token("Basic abc").is_none());
        assert!(bearer_token("Bearer ").is_none());
        assert!(bearer_token("Bearer a b").is_none());
    }

    #[test]
    fn oauthbearer_without_user_or_host() {
        let request = parse_oauthbearer(b"n,,\x01auth=Bearer t\x01\x01").unwrap();
        assert_eq!(request.user, None);
        assert_eq!(request.token.expose(), "t");
        assert_eq!(
            oauthbearer_message(None, None, None, "t"),
            Ok(b"n,,\x01auth=Bearer t\x01\x01".to_vec())
        );
    }

    #[test]
    fn malformed_token_messages() {
        for bad in [
            &b""[..],
            b"\x01",
            b"n,,\x01\x01",
            b"n,,\x01host=h\x01\x01",
            b"n,,\x01auth=Bearer t\x01",
            b"x,,\x01auth=Bearer t\x01\x01",
            b"n,,\x01auth=Bearer t\x01port=x\x01\x01",
            b"n,,\x01auth=Bearer t\x01=\x01\x01",
            b"n,,\x01auth=Bearer t\x01\x01\x01",
            b"n,a=,\x01auth=Bearer t\x01\x01",
        ] {
            assert!(
                matches!(parse_oauthbearer(bad), Err(AuthError::Malformed { .. })),
                "{bad:?}"
            );
        }
        assert_eq!(
            parse_oauthbearer(b"p=tls-unique,,\x01auth=Bearer t\x01\x01").err(),
            Some(AuthError::UnsupportedChannelBinding)
        );
        for bad in [
            &b""[..],
            b"user=\x01auth=Bearer t\x01\x01",
            b"user=u\x01auth=t\x01\x01",
        ] {
            assert!(
                matches!(parse_xoauth2(bad), Err(AuthError::Malformed { .. })),
                "{bad:?}"
            );
        }
    }
}
