//! A crypto provider installed as the process default is the one TLS settings use. Its own
//! test binary, because the default is global to the process.

mod common;

use std::sync::Arc;

use common::{localhost_certificate, negotiated_suite};
use mailwire_tokio::{Tls, crypto_provider};
use rustls::CipherSuite;
use rustls::crypto::CryptoProvider;

#[tokio::test]
async fn the_process_default_provider_is_used() {
    let mut provider = rustls::crypto::ring::default_provider();
    provider
        .cipher_suites
        .retain(|s| s.suite() == CipherSuite::TLS13_CHACHA20_POLY1305_SHA256);
    provider.install_default().unwrap();
    let installed = CryptoProvider::get_default().unwrap();
    assert!(Arc::ptr_eq(&crypto_provider().unwrap(), installed));

    let (cert, key, roots) = localhost_certificate();
    let server = Tls::server_with_certificate(vec![cert], key).unwrap();
    let client = Tls::client_with_roots("localhost", roots).unwrap();
    assert_eq!(
        negotiated_suite(&client, &server).await,
        CipherSuite::TLS13_CHACHA20_POLY1305_SHA256
    );
}
