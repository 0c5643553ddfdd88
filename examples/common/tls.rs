//! TLS settings for the example clients, from their command-line options.

use std::path::Path;

use mailwire::tokio::Tls;
use mailwire::tokio::rustls::RootCertStore;
use mailwire::tokio::rustls::pki_types::CertificateDer;
use mailwire::tokio::rustls::pki_types::pem::PemObject as _;

/// Client TLS for `server` (`host:port`), checking its certificate against `name` (or the
/// host) and the roots in `ca_file` (or the built-in web roots).
pub(crate) fn settings(
    server: &str,
    name: Option<&str>,
    ca_file: Option<&Path>,
) -> Result<Tls, String> {
    let name = name.unwrap_or_else(|| host_of(server));
    let mut roots = RootCertStore::empty();
    match ca_file {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            roots.add_parsable_certificates(certs);
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    Tls::client_with_roots(name, roots).map_err(|e| format!("bad TLS name {name:?}: {e}"))
}

/// The host part of `host:port` or `[v6]:port`.
fn host_of(server: &str) -> &str {
    let host = server.rsplit_once(':').map_or(server, |(host, _)| host);
    host.trim_start_matches('[').trim_end_matches(']')
}
