//! SASL mechanism names.

use std::fmt;
use std::str::FromStr;

/// A SASL mechanism this crate implements.
///
/// Names compare case-insensitively, as RFC 4422 §3.1 asks: `"plain"`, `"Plain"` and
/// `"PLAIN"` all parse to [`Mechanism::Plain`]. [`Mechanism::as_str`] gives the registered,
/// upper-case spelling to advertise (`AUTH PLAIN LOGIN` in EHLO, `AUTH=PLAIN` in an IMAP
/// capability, `SASL PLAIN` in a POP3 CAPA).
///
/// ```
/// use mailwire_sasl::Mechanism;
///
/// let mechanism: Mechanism = "scram-sha-256".parse().unwrap();
/// assert_eq!(mechanism, Mechanism::ScramSha256);
/// assert_eq!(mechanism.as_str(), "SCRAM-SHA-256");
/// assert!("SCRAM-SHA-256-PLUS".parse::<Mechanism>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mechanism {
    /// `PLAIN`, RFC 4616: authzid, authcid and password in one message.
    Plain,
    /// `LOGIN`, draft-murchison-sasl-login: user name and password in two answers.
    Login,
    /// `CRAM-MD5`, RFC 2195: an HMAC-MD5 of a server challenge. The server needs the
    /// plaintext secret, and MD5 is weak: leave it off unless clients need it.
    CramMd5,
    /// `XOAUTH2`, Google's pre-standard OAuth 2.0 bearer-token mechanism.
    XOAuth2,
    /// `OAUTHBEARER`, RFC 7628: an OAuth 2.0 bearer token.
    OAuthBearer,
    /// `SCRAM-SHA-256`, RFC 5802 and RFC 7677, without channel binding.
    ScramSha256,
}

impl Mechanism {
    /// Every mechanism, strongest first: the order a server might advertise them in.
    pub const ALL: [Mechanism; 6] = [
        Mechanism::ScramSha256,
        Mechanism::OAuthBearer,
        Mechanism::XOAuth2,
        Mechanism::Plain,
        Mechanism::Login,
        Mechanism::CramMd5,
    ];

    /// The registered name, upper case.
    pub const fn as_str(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Login => "LOGIN",
            Mechanism::CramMd5 => "CRAM-MD5",
            Mechanism::XOAuth2 => "XOAUTH2",
            Mechanism::OAuthBearer => "OAUTHBEARER",
            Mechanism::ScramSha256 => "SCRAM-SHA-256",
        }
    }

    /// Whether the client speaks first (RFC 4422 §3.3), so that it can send an initial
    /// response with the command (SMTP `AUTH PLAIN <ir>`, IMAP SASL-IR, POP3 `AUTH`).
    ///
    /// For the others (`LOGIN`, `CRAM-MD5`) the server speaks first, and a client sends
    /// no initial response.
    pub const fn client_first(self) -> bool {
        !matches!(self, Mechanism::Login | Mechanism::CramMd5)
    }

    /// Whether the mechanism sends a reusable secret (a password or a bearer token) in
    /// the clear, so it belongs only on a TLS-protected connection.
    pub const fn sends_plaintext_secret(self) -> bool {
        matches!(
            self,
            Mechanism::Plain | Mechanism::Login | Mechanism::XOAuth2 | Mechanism::OAuthBearer
        )
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name given to [`Mechanism::from_str`] is not a mechanism this crate implements.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported SASL mechanism")]
pub struct UnknownMechanism;

impl FromStr for Mechanism {
    type Err = UnknownMechanism;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Mechanism::ALL
            .into_iter()
            .find(|mechanism| mechanism.as_str().eq_ignore_ascii_case(name))
            .ok_or(UnknownMechanism)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_in_any_case_and_print_upper_case() {
        for mechanism in Mechanism::ALL {
            let name = mechanism.as_str();
            assert_eq!(name.parse::<Mechanism>(), Ok(mechanism));
            assert_eq!(
                name.to_ascii_lowercase().parse::<Mechanism>(),
                Ok(mechanism)
            );
            assert_eq!(mechanism.to_string(), name);
        }
        assert_eq!("Cram-Md5".parse::<Mechanism>(), Ok(Mechanism::CramMd5));
        assert_eq!("xoauth2".parse::<Mechanism>(), Ok(Mechanism::XOAuth2));
    }

    #[test]
    fn unknown_names_are_refused() {
        for name in [
            "",
            "GSSAPI",
            "PLAIN ",
            "SCRAM-SHA-1",
            "SCRAM-SHA-256-PLUS",
            "PLAİN",
        ] {
            assert_eq!(name.parse::<Mechanism>(), Err(UnknownMechanism), "{name:?}");
        }
    }

    #[test]
    fn client_first_mechanisms() {
        let first: Vec<_> = Mechanism::ALL
            .into_iter()
            .filter(|m| m.client_first())
            .collect();
        assert_eq!(
            first,
            [
                Mechanism::ScramSha256,
                Mechanism::OAuthBearer,
                Mechanism::XOAuth2,
                Mechanism::Plain
            ]
        );
    }
}
