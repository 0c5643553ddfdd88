//! TLS settings from the PEM files a certificate authority hands out.

use std::path::{Path, PathBuf};

use mailwire_tokio::Tls;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Why [`tls_from_pem_files`] failed, naming the file at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsFileError {
    /// The file could not be read, or is not valid PEM.
    #[error("{}: {source}", path.display())]
    Pem {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: pem::Error,
    },
    /// The chain file holds no `CERTIFICATE` section.
    #[error("{}: no certificate", .0.display())]
    NoCertificate(PathBuf),
    /// The key file holds no private key (`PRIVATE KEY`, `RSA PRIVATE KEY` or
    /// `EC PRIVATE KEY` section).
    #[error("{}: no private key", .0.display())]
    NoKey(PathBuf),
    /// rustls refused the pair: the key does not match the certificate, or is of a kind
    /// the crypto provider does not support.
    #[error("{} and {}: {source}", chain.display(), key.display())]
    Tls {
        /// The chain file.
        chain: PathBuf,
        /// The key file.
        key: PathBuf,
        /// rustls's reason.
        #[source]
        source: rustls::Error,
    },
}

/// Server-side TLS settings from a PEM certificate chain (the server's certificate first,
/// then the intermediates, as Let's Encrypt's `fullchain.pem`) and a PEM private key, with
/// [`Tls::server_with_certificate`]'s defaults.
///
/// ```no_run
/// use std::path::Path;
///
/// let tls = mailwire_server::tls_from_pem_files(
///     Path::new("/etc/mail/fullchain.pem"),
///     Path::new("/etc/mail/privkey.pem"),
/// )?;
/// # Ok::<(), mailwire_server::TlsFileError>(())
/// ```
pub fn tls_from_pem_files(chain: &Path, key: &Path) -> Result<Tls, TlsFileError> {
    let pem_error = |path: &Path| {
        let path = path.to_owned();
        move |source| TlsFileError::Pem { path, source }
    };
    let certificates = CertificateDer::pem_file_iter(chain)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(pem_error(chain))?;
    if certificates.is_empty() {
        return Err(TlsFileError::NoCertificate(chain.to_owned()));
    }
    let private_key = match PrivateKeyDer::from_pem_file(key) {
        Ok(private_key) => private_key,
        Err(pem::Error::NoItemsFound) => return Err(TlsFileError::NoKey(key.to_owned())),
        Err(source) => return Err(pem_error(key)(source)),
    };
    Tls::server_with_certificate(certificates, private_key).map_err(|source| TlsFileError::Tls {
        chain: chain.to_owned(),
        key: key.to_owned(),
        source,
    })
}
