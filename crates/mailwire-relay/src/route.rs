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
    let records = lookup
        .answers()
        .iter()
        .filter_map(|record| match &record.data {
            RData::MX(mx) => Some(Exchange {
                preference: mx.preference,
                host: mx.exchange.to_ascii().trim_end_matches('.').to_owned(),
                root: mx.exchange.is_root(),
            }),
            _ => None,
        })
        .collect();
    mx_routes(domain, records, tls)
}

/// One MX record.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Exchange {
    preference: u16,
    host: String,
    /// The exchange is `.`.
    root: bool,
}

/// The servers the MX records of `domain` name, most preferred first; the domain itself
/// when there are none (RFC 5321 §5.1); none at all for a null MX (RFC 7505).
fn mx_routes(domain: &str, mut mx: Vec<Exchange>, tls: TlsPolicy) -> Result<Vec<Route>, NoRoute> {
    // RFC 7505 §3: a single MX of "." says the domain takes no mail.
    if let [Exchange { root: true, .. }] = mx.as_slice() {
        return Err(NoRoute::Permanent(
            "5.1.10",
            format!("{domain} accepts no mail (null MX)"),
        ));
    }
    mx.retain(|e| !e.root);
    // A stable sort keeps the resolver's (randomised) order among equal preferences.
    mx.sort_by_key(|e| e.preference);
    let hosts: Vec<String> = if mx.is_empty() {
        vec![domain.to_owned()]
    } else {
        mx.into_iter().map(|e| e.host).collect()
    };
    Ok(hosts
        .into_iter()
        .map(|host| Route {
            tls,
            ..Route::new(host, SMTP_PORT)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mx(preference: u16, host: &str) -> Exchange {
        Exchange {
            preference,
            host: host.trim_end_matches('.').to_owned(),
            root: host == ".",
        }
    }

    fn hosts(records: Vec<Exchange>) -> Result<Vec<String>, NoRoute> {
        mx_routes("example.net", records, TlsPolicy::Opportunistic).map(|routes| {
            routes
                .into_iter()
                .map(|r| format!("{}:{}", r.host, r.port))
                .collect()
        })
    }

    #[test]
    fn mx_records_by_preference_and_the_domain_without_them() {
        assert_eq!(
            hosts(vec![
                mx(20, "b.example.net."),
                mx(10, "a.example.net."),
                mx(20, "c.example.net.")
            ]),
            Ok(vec![
                "a.example.net:25".to_owned(),
                "b.example.net:25".to_owned(),
                "c.example.net:25".to_owned()
            ])
        );
        assert_eq!(hosts(vec![]), Ok(vec!["example.net:25".to_owned()]));
    }

    #[test]
    fn a_null_mx_is_a_permanent_failure() {
        assert_eq!(
            hosts(vec![mx(0, ".")]),
            Err(NoRoute::Permanent(
                "5.1.10",
                "example.net accepts no mail (null MX)".into()
            ))
        );
        // A "." beside real exchanges is not a null MX; it is skipped.
        assert_eq!(
            hosts(vec![mx(0, "."), mx(10, "mx.example.net")]),
            Ok(vec!["mx.example.net:25".to_owned()])
        );
    }
}
