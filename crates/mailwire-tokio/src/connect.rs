//! Connecting in one call: the port and the TLS mode from the protocol's conventions, the
//! server's certificate checked against the webpki roots and the platform's.
//!
//! Every client reads its server the same way: `host` alone takes the protocol's
//! implicit-TLS port (RFC 8314 §3.3 prefers it), `host:port` and `[v6]:port` keep the port,
//! and [`Security::Auto`] picks implicit TLS on the implicit-TLS port and a required
//! STARTTLS elsewhere.
//!
//! ```
//! use mailwire_tokio::connect::{Endpoint, Ports, Security};
//!
//! let e = Endpoint::parse("smtp.example.org", Ports::SMTP, Security::Auto)?;
//! assert_eq!((e.host.as_str(), e.port, e.security), ("smtp.example.org", 465, Security::ImplicitTls));
//! let e = Endpoint::parse("smtp.example.org:587", Ports::SMTP, Security::Auto)?;
//! assert_eq!((e.port, e.security), (587, Security::StartTls));
//! let e = Endpoint::parse("[::1]:2525", Ports::SMTP, Security::Plaintext)?;
//! assert_eq!((e.host.as_str(), e.port, e.security), ("::1", 2525, Security::Plaintext));
//! # Ok::<(), mailwire_tokio::connect::BadServer>(())
//! ```

use std::io;
use std::sync::LazyLock;
use std::time::Duration;

use rustls::RootCertStore;
use tokio::net::TcpStream;

use crate::stream::{MaybeTlsStream, Tls};

/// How a client secures its connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Security {
    /// From the port: implicit TLS on the protocol's implicit-TLS port (465, 993, 995),
    /// and on any other port STARTTLS, which the server must offer.
    #[default]
    Auto,
    /// TLS from the first byte.
    ImplicitTls,
    /// Plaintext first, then STARTTLS / STLS, which the server must offer.
    StartTls,
    /// No TLS at all: for a server on loopback or in a test. Passwords still stay unsent
    /// unless the client's config allows plaintext authentication.
    Plaintext,
}

/// A protocol's two well-known ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Ports {
    /// Where the server speaks TLS from the start (465 for submission, 993, 995).
    pub implicit_tls: u16,
    /// Where the server speaks plaintext first and offers STARTTLS (587, 143, 110).
    pub starttls: u16,
}

impl Ports {
    /// Message submission: 465 (RFC 8314) and 587 (RFC 6409).
    pub const SMTP: Ports = Ports::new(465, 587);
    /// IMAP: 993 and 143.
    pub const IMAP: Ports = Ports::new(993, 143);
    /// POP3: 995 and 110.
    pub const POP3: Ports = Ports::new(995, 110);

    /// A protocol's ports.
    pub const fn new(implicit_tls: u16, starttls: u16) -> Self {
        Self {
            implicit_tls,
            starttls,
        }
    }
}

/// A server string that is not `host`, `host:port` or `[v6]:port`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid server {server:?}: expected host, host:port or [v6]:port")]
pub struct BadServer {
    /// What was given.
    pub server: String,
}

/// Where to connect and how to secure the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Endpoint {
    /// The host name or IP address, without brackets; also the name the server's
    /// certificate must carry.
    pub host: String,
    /// The TCP port.
    pub port: u16,
    /// How to secure the connection; never [`Security::Auto`].
    pub security: Security,
}

impl Endpoint {
    /// Reads `server` (`host`, `host:port`, `[v6]` or `[v6]:port`; a bare IPv6 address
    /// has no port) and settles the port and the security as the [module
    /// documentation](self) says: without a port, implicit TLS takes `ports.implicit_tls`
    /// and the others `ports.starttls`.
    pub fn parse(server: &str, ports: Ports, security: Security) -> Result<Self, BadServer> {
        let bad = || BadServer {
            server: server.to_owned(),
        };
        let (host, port) = if let Some(rest) = server.strip_prefix('[') {
            let (host, after) = rest.split_once(']').ok_or_else(bad)?;
            match after {
                "" => (host, None),
                _ => {
                    let port = after.strip_prefix(':').ok_or_else(bad)?;
                    (host, Some(port.parse::<u16>().map_err(|_| bad())?))
                }
            }
        } else {
            match server.split_once(':') {
                // Two colons or more: an IPv6 address without a port.
                Some((_, rest)) if rest.contains(':') => (server, None),
                Some((host, port)) => (host, Some(port.parse::<u16>().map_err(|_| bad())?)),
                None => (server, None),
            }
        };
        if host.is_empty() || host.contains(|c: char| c.is_whitespace() || c == '/') {
            return Err(bad());
        }
        let security = match (security, port) {
            (Security::Auto, Some(port)) if port != ports.implicit_tls => Security::StartTls,
            (Security::Auto, _) => Security::ImplicitTls,
            (chosen, _) => chosen,
        };
        let port = port.unwrap_or(match security {
            Security::ImplicitTls => ports.implicit_tls,
            _ => ports.starttls,
        });
        Ok(Self {
            host: host.to_owned(),
            port,
            security,
        })
    }

    /// Opens the TCP connection and, for implicit TLS, runs the handshake with `tls`, all
    /// within `timeout` (an [`io::ErrorKind::TimedOut`] error past it). A client then
    /// starts its session over the stream, with STARTTLS if [`Endpoint::security`] says so.
    pub async fn open(
        &self,
        tls: &Tls,
        timeout: Duration,
    ) -> io::Result<MaybeTlsStream<TcpStream>> {
        let implicit = self.security == Security::ImplicitTls;
        let connect = MaybeTlsStream::connect((self.host.as_str(), self.port), tls, implicit);
        tokio::time::timeout(timeout, connect)
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connecting timed out"))?
    }

    /// The TLS settings the clients use unless told otherwise: the webpki roots and the
    /// platform's (see [`Tls::platform`]), the host as the name the certificate must carry.
    /// [`Tls::None`] for [`Security::Plaintext`].
    pub fn default_tls(&self) -> Result<Tls, rustls::Error> {
        match self.security {
            Security::Plaintext => Ok(Tls::None),
            _ => Tls::platform(&self.host),
        }
    }
}

impl Tls {
    /// Client-side TLS for `server_name`, trusting the Mozilla roots that the
    /// `webpki-roots` crate carries, with the [`crypto_provider`](crate::crypto_provider).
    pub fn webpki(server_name: &str) -> Result<Self, rustls::Error> {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        Self::client_with_roots(server_name, roots)
    }

    /// Client-side TLS for `server_name`, trusting the Mozilla roots of [`Tls::webpki`] and
    /// the platform's certificate store (`rustls-native-certs`: the system bundle, or the
    /// files named by `SSL_CERT_FILE` / `SSL_CERT_DIR`), with the
    /// [`crypto_provider`](crate::crypto_provider): what a client needs to talk to a server
    /// with a public certificate, or one signed by a CA the machine trusts, with no setup.
    ///
    /// The platform store is read once per process; certificates it cannot parse are left
    /// out.
    pub fn platform(server_name: &str) -> Result<Self, rustls::Error> {
        Self::client_with_roots(server_name, PLATFORM_ROOTS.clone())
    }
}

/// The webpki roots and the platform's, read at first use.
static PLATFORM_ROOTS: LazyLock<RootCertStore> = LazyLock::new(|| {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    // Missing or unreadable stores leave the webpki roots; each unparsable certificate
    // is skipped.
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    roots
});

#[cfg(any(feature = "smtp", feature = "pop3"))]
/// `N` unpredictable bytes from the crypto provider's random source (for Message-IDs and
/// SCRAM nonces: randomness enters here, never in the sans-IO crates).
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], rustls::Error> {
    let mut bytes = [0; N];
    crate::crypto_provider()?
        .secure_random
        .fill(&mut bytes)
        .map_err(|_| rustls::Error::FailedToGetRandomBytes)?;
    Ok(bytes)
}

/// Lowercase hexadecimal.
#[cfg(any(feature = "smtp", feature = "pop3"))]
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut out, b| {
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(server: &str, security: Security) -> Result<(String, u16, Security), BadServer> {
        Endpoint::parse(server, Ports::SMTP, security).map(|e| (e.host, e.port, e.security))
    }

    #[test]
    fn ports_and_modes() {
        let cases = [
            (
                "mx.test",
                Security::Auto,
                ("mx.test", 465, Security::ImplicitTls),
            ),
            (
                "mx.test:465",
                Security::Auto,
                ("mx.test", 465, Security::ImplicitTls),
            ),
            (
                "mx.test:587",
                Security::Auto,
                ("mx.test", 587, Security::StartTls),
            ),
            (
                "mx.test:25",
                Security::Auto,
                ("mx.test", 25, Security::StartTls),
            ),
            (
                "mx.test",
                Security::StartTls,
                ("mx.test", 587, Security::StartTls),
            ),
            (
                "mx.test",
                Security::Plaintext,
                ("mx.test", 587, Security::Plaintext),
            ),
            (
                "mx.test:465",
                Security::StartTls,
                ("mx.test", 465, Security::StartTls),
            ),
            (
                "127.0.0.1:2525",
                Security::Plaintext,
                ("127.0.0.1", 2525, Security::Plaintext),
            ),
            (
                "[::1]:2525",
                Security::Auto,
                ("::1", 2525, Security::StartTls),
            ),
            ("[::1]", Security::Auto, ("::1", 465, Security::ImplicitTls)),
            ("::1", Security::Auto, ("::1", 465, Security::ImplicitTls)),
        ];
        for (server, security, (host, port, want)) in cases {
            assert_eq!(
                parse(server, security),
                Ok((host.to_owned(), port, want)),
                "{server}"
            );
        }
    }

    #[test]
    fn bad_servers() {
        for server in [
            "",
            ":25",
            "mx.test:",
            "mx.test:99999",
            "[::1",
            "[::1]x",
            "a b:25",
        ] {
            assert_eq!(
                parse(server, Security::Auto),
                Err(BadServer {
                    server: server.to_owned()
                }),
                "{server:?}"
            );
        }
    }

    #[cfg(any(feature = "smtp", feature = "pop3"))]
    #[test]
    fn hex_is_lowercase_and_padded() {
        assert_eq!(hex(&[0, 0x0f, 0xab]), "000fab");
    }
}
