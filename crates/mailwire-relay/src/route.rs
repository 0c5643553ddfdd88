//! Where mail for a domain goes: a static route, or the domain's MX records.

use hickory_resolver::TokioResolver;
use hickory_resolver::proto::rr::RData;
use mailwire_smtp::client::TlsPolicy;
use mailwire_tokio::connect::{BadServer, Endpoint, Ports, Security};

/// The SMTP port between servers.
pub const SMTP_PORT: u16 = 25;

/// A server to hand mail to.
///
/// ```
/// use mailwire_relay::Route;
///
/// let route: Route = "127.0.0.1:2526".parse()?;
/// assert_eq!((route.host.as_str(), route.port), ("127.0.0.1", 2526));
/// let route: Route = "mx.example.net".parse()?;
/// assert_eq!((route.host.as_str(), route.port), ("mx.example.net", 25));
/// # Ok::<(), mailwire_tokio::connect::BadServer>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Route {
    /// The host name or IP address.
    pub host: String,
    /// The port: 25 unless given.
    pub port: u16,
    /// STARTTLS: opportunistic unless this route requires it (or forbids it).
    pub tls: TlsPolicy,
}

impl Route {
    /// A route to `host` on `port`, STARTTLS opportunistic.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            tls: TlsPolicy::Opportunistic,
        }
    }
}

impl std::str::FromStr for Route {
    type Err = BadServer;

    /// `host`, `host:port`, `[v6]` or `[v6]:port`.
    fn from_str(s: &str) -> Result<Self, BadServer> {
        let endpoint = Endpoint::parse(s, Ports::new(SMTP_PORT, SMTP_PORT), Security::Plaintext)?;
        Ok(Self::new(endpoint.host, endpoint.port))
    }
}

/// Why no server could be found for a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NoRoute {
    /// For good (a null MX, a domain that does not exist): status and text.
    Permanent(&'static str, String),
    /// For now (the resolver failed).
    Temporary(&'static str, String),
}

/// The servers for `domain` by its MX records, most preferred first; the domain itself
/// when it has none (RFC 5321 §5.1).
pub(crate) async fn resolve_mx(
    resolver: &TokioResolver,
    domain: &str,
    tls: TlsPolicy,
) -> Result<Vec<Route>, NoRoute> {
    let fqdn = format!("{}.", domain.trim_end_matches('.'));
    let lookup = match resolver.mx_lookup(fqdn.as_str()).await {
        Ok(lookup) => lookup,
        Err(e) if e.is_nx_domain() => {
            return Err(NoRoute::Permanent(
                "5.1.2",
                format!("domain {domain} does not exist"),
            ));
        }
        Err(e) if e.is_no_records_found() => {
            return Ok(vec![Route {
                tls,
                ..Route::new(domain, SMTP_PORT)
            }]);
        }
        Err(e) => {
            return Err(NoRoute::Temporary(
                "4.4.3",
                format!("DNS lookup failed: {e}"),
            ));
        }
    };
    let mut mx: Vec<(u16, String, bool)> = lookup
        .answers()
        .iter()
        .filter_map(|record| match &record.data {
            RData::MX(mx) => Some((
                mx.preference,
                mx.exchange.to_ascii().trim_end_matches('.').to_owned(),
                mx.exchange.is_root(),
            )),
            _ => None,
        })
        .collect();
    // RFC 7505 §3: a single MX of "." says the domain takes no mail.
    if let [(_, _, true)] = mx.as_slice() {
        return Err(NoRoute::Permanent(
            "5.1.10",
            format!("{domain} accepts no mail (null MX)"),
        ));
    }
    mx.retain(|(_, _, root)| !root);
    mx.sort_by_key(|(preference, _, _)| *preference);
    if mx.is_empty() {
        mx.push((0, domain.to_owned(), false));
    }
    Ok(mx
        .into_iter()
        .map(|(_, host, _)| Route {
            tls,
            ..Route::new(host, SMTP_PORT)
        })
        .collect())
}
