//! STARTTLS, STLS and implicit TLS on both sides, with certificates made in the test.

mod common;

use common::*;
use std::sync::Arc;

use mailwire_core::Session as _;
use mailwire_pop3::server::{Config as Pop3Config, Session as Pop3Server};
use mailwire_pop3::{MessageNumber, Password, UserName};
use mailwire_smtp::client::{self, TlsPolicy};
use mailwire_smtp::server::Session;
use mailwire_tokio::pop3::Pop3Client;
use mailwire_tokio::server::Server;
use mailwire_tokio::smtp::SmtpClient;
use mailwire_tokio::{Connection, Error, MaybeTlsStream, Tls};
use rustls::RootCertStore;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

#[tokio::test]
async fn smtp_starttls_on_both_sides() {
    let (client_tls, server_tls) = tls_pair();
    let (client_io, server_io) = tokio::io::duplex(4096);
    let mut config = smtp_config();
    config.starttls = true;
    let recorder = Recorder::default();
    let server = spawn_smtp_server(server_io, config, server_tls, recorder.clone());

    let mut smtp = SmtpClient::start(
        MaybeTlsStream::Plain(client_io),
        client_config(TlsPolicy::Required),
        client_tls,
    )
    .await
    .unwrap();
    assert!(smtp.is_tls());
    assert!(matches!(
        smtp.connection_mut().stream(),
        Some(MaybeTlsStream::ClientTls(_))
    ));
    let results = smtp
        .send_raw(envelope(&["<b@mx.example.org>"]), MESSAGE)
        .await
        .unwrap();
    assert!(results[0].is_delivered());
    smtp.quit().await.unwrap();

    let session = server.await.unwrap().unwrap();
    assert!(session.is_tls());
    assert_eq!(recorder.seen().bodies, [MESSAGE.to_vec()]);
}

#[tokio::test]
async fn plaintext_sent_with_starttls_is_discarded() {
    let (client_tls, server_tls) = tls_pair();
    let (mut client_io, server_io) = tokio::io::duplex(4096);
    let mut config = smtp_config();
    config.starttls = true;
    let recorder = Recorder::default();
    let server = spawn_smtp_server(server_io, config, server_tls, recorder.clone());

    assert_eq!(
        read_reply(&mut client_io).await,
        "220 mx.example.org ESMTP ready\r\n"
    );
    client_io
        .write_all(b"EHLO client.example\r\n")
        .await
        .unwrap();
    let ehlo = read_reply(&mut client_io).await;
    assert!(
        ehlo.contains("250-STARTTLS\r\n") || ehlo.contains("250 STARTTLS\r\n"),
        "{ehlo}"
    );
    // An attacker's command injected behind STARTTLS, in the same write.
    client_io
        .write_all(b"STARTTLS\r\nMAIL FROM:<injected@evil.example>\r\n")
        .await
        .unwrap();
    assert_eq!(
        read_reply(&mut client_io).await,
        "220 2.0.0 Ready to start TLS\r\n"
    );

    let Tls::Client {
        connector,
        server_name,
    } = client_tls
    else {
        unreachable!()
    };
    let mut tls = connector.connect(server_name, client_io).await.unwrap();
    tls.write_all(b"EHLO client.example\r\n").await.unwrap();
    let ehlo = read_reply(&mut tls).await;
    // After the upgrade the session no longer offers STARTTLS: it saw tls_established.
    assert!(!ehlo.contains("STARTTLS"), "{ehlo}");
    tls.write_all(b"MAIL FROM:<good@client.example>\r\n")
        .await
        .unwrap();
    assert_eq!(read_reply(&mut tls).await, "250 2.1.0 Ok\r\n");
    tls.write_all(b"QUIT\r\n").await.unwrap();
    assert_eq!(read_reply(&mut tls).await, "221 2.0.0 Bye\r\n");

    let session = server.await.unwrap().unwrap();
    assert!(session.is_tls());
    assert_eq!(recorder.seen().senders, ["<good@client.example>"]);
}

#[tokio::test]
async fn starttls_without_tls_settings_is_an_error() {
    let (mut client_io, server_io) = tokio::io::duplex(4096);
    let mut config = smtp_config();
    config.starttls = true;
    let server = spawn_smtp_server(server_io, config, Tls::None, Recorder::default());
    read_reply(&mut client_io).await;
    client_io
        .write_all(b"EHLO client.example\r\nSTARTTLS\r\n")
        .await
        .unwrap();
    read_reply(&mut client_io).await;
    assert_eq!(
        read_reply(&mut client_io).await,
        "220 2.0.0 Ready to start TLS\r\n"
    );
    let err = server.await.unwrap().unwrap_err();
    assert!(matches!(err, Error::TlsUnavailable), "{err}");
}

#[tokio::test]
async fn implicit_tls_with_the_server_helper() {
    let (client_tls, server_tls) = tls_pair();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let recorder = Recorder::default();
    let for_server = recorder.clone();
    let mut server = Server::new(listener, server_tls, true, move |_peer| {
        let mut config = smtp_config();
        config.implicit_tls = true;
        (Session::new(config), for_server.clone())
    });
    let client = tokio::spawn(async move {
        let mut config = mailwire_tokio::smtp::Config::default();
        config.security = mailwire_tokio::connect::Security::ImplicitTls;
        config.tls = Some(client_tls);
        let server = format!("localhost:{}", addr.port());
        let mut smtp = SmtpClient::connect_with(&server, config).await.unwrap();
        assert!(smtp.is_tls());
        let results = smtp
            .send_raw(envelope(&["<b@mx.example.org>"]), MESSAGE)
            .await
            .unwrap();
        smtp.quit().await.unwrap();
        results
    });
    server.next_finished().await.unwrap().result.unwrap();
    assert!(client.await.unwrap()[0].is_delivered());
    assert_eq!(recorder.seen().bodies, [MESSAGE.to_vec()]);
}

#[tokio::test]
async fn an_untrusted_certificate_fails_the_handshake() {
    let (_, server_tls) = tls_pair();
    let (client_io, server_io) = tokio::io::duplex(4096);
    let mut config = smtp_config();
    config.starttls = true;
    let server = spawn_smtp_server(server_io, config, server_tls, Recorder::default());
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let mut roots = RootCertStore::empty();
    // Trusts a different certificate than the server's.
    roots.add(certified.cert.der().clone()).unwrap();
    let client_tls = Tls::client_with_roots("localhost", roots).unwrap();
    let err = SmtpClient::start(
        MaybeTlsStream::Plain(client_io),
        client_config(TlsPolicy::Required),
        client_tls,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            mailwire_tokio::smtp::SmtpError::Connection(Error::Handshake(_))
        ),
        "{err}"
    );
    assert!(server.await.unwrap().is_err());
}

#[tokio::test]
async fn pop3_stls_on_both_sides() {
    let (client_tls, server_tls) = tls_pair();
    let (client_io, server_io) = tokio::io::duplex(4096);
    let maildrop = Maildrop1::default();
    let mut handler = maildrop.clone();
    let server = tokio::spawn(async move {
        let mut config = Pop3Config::default();
        config.stls = true;
        config.sasl_mechanisms.clear();
        // USER / PASS only once encrypted: the default.
        let session = Pop3Server::new(config);
        Connection::new(MaybeTlsStream::Plain(server_io), session, server_tls)
            .run(&mut handler)
            .await
    });
    let config = mailwire_pop3::client::Config::default();
    let mut pop3 = Pop3Client::start(MaybeTlsStream::Plain(client_io), config, client_tls)
        .await
        .unwrap();
    assert!(pop3.is_tls());
    pop3.login(
        UserName::new("tim").unwrap(),
        Password::new("tanstaaf").unwrap(),
    )
    .await
    .unwrap();
    let mut body = Vec::new();
    pop3.retr(MessageNumber::new(1).unwrap(), &mut body)
        .await
        .unwrap();
    assert_eq!(body, MESSAGE);
    pop3.quit().await.unwrap();
    let session = server.await.unwrap().unwrap();
    assert!(session.is_tls());
}

#[tokio::test]
async fn smtp_auth_after_starttls() {
    let (client_tls, server_tls) = tls_pair();
    let (client_io, server_io) = tokio::io::duplex(4096);
    let mut config = smtp_config();
    config.starttls = true;
    config.auth_mechanisms = vec![mailwire_smtp::sasl::Mechanism::Plain];
    config.require_auth = true;
    let recorder = Recorder::default();
    let server = spawn_smtp_server(server_io, config, server_tls, recorder.clone());

    let mut client = client_config(TlsPolicy::Opportunistic);
    client.credentials = Some(client::Credentials::new("tim", "tanstaaf"));
    let mut smtp = SmtpClient::start(MaybeTlsStream::Plain(client_io), client, client_tls)
        .await
        .unwrap();
    assert!(smtp.is_tls());
    let results = smtp
        .send_raw(envelope(&["<b@mx.example.org>"]), MESSAGE)
        .await
        .unwrap();
    assert!(results[0].is_delivered());
    smtp.quit().await.unwrap();
    let session = server.await.unwrap().unwrap();
    assert!(session.is_authenticated());
    assert_eq!(recorder.seen().senders, ["auth tim", "<a@client.example>"]);
}

#[tokio::test]
async fn smtp_auth_refused() {
    let (client_tls, server_tls) = tls_pair();
    let (client_io, server_io) = tokio::io::duplex(4096);
    let mut config = smtp_config();
    config.starttls = true;
    config.auth_mechanisms = vec![mailwire_smtp::sasl::Mechanism::Plain];
    let server = spawn_smtp_server(server_io, config, server_tls, Recorder::default());

    let mut client = client_config(TlsPolicy::Required);
    client.credentials = Some(client::Credentials::new("tim", "wrong"));
    let err = SmtpClient::start(MaybeTlsStream::Plain(client_io), client, client_tls)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "SMTP session failed: authentication failed: 535 5.7.8 Authentication credentials invalid"
    );
    let mailwire_tokio::smtp::SmtpError::Failed(client::Failure::AuthFailed { reply }) = err else {
        panic!("{err}")
    };
    assert_eq!(reply.code().get(), 535);
    let session = server.await.unwrap().unwrap();
    assert!(!session.is_authenticated());
}

#[tokio::test]
async fn a_tls_peer_leaving_without_close_notify_is_an_eof() {
    let (client_tls, server_tls) = tls_pair();
    let (client_io, server_io) = tokio::io::duplex(4096);
    let recorder = Recorder::default();
    let server = tokio::spawn(async move {
        let stream = MaybeTlsStream::Plain(server_io)
            .upgrade(&server_tls)
            .await
            .unwrap();
        assert!(stream.is_tls());
        let mut config = smtp_config();
        config.implicit_tls = true;
        let mut recorder = recorder;
        Connection::new(stream, Session::new(config), server_tls)
            .run(&mut recorder)
            .await
    });
    let Tls::Client {
        connector,
        server_name,
    } = client_tls
    else {
        unreachable!()
    };
    let mut tls = connector.connect(server_name, client_io).await.unwrap();
    assert_eq!(
        read_reply(&mut tls).await,
        "220 mx.example.org ESMTP ready\r\n"
    );
    tls.write_all(b"HELO client.example\r\n").await.unwrap();
    assert_eq!(read_reply(&mut tls).await, "250 mx.example.org\r\n");
    // Gone, without a TLS close_notify.
    drop(tls);
    let session = server.await.unwrap().unwrap();
    assert_eq!(session.transport(), mailwire_core::Transport::Close);
}

/// *ring* restricted to one cipher suite that its default provider would not pick first.
fn ring_with_chacha_only() -> Arc<rustls::crypto::CryptoProvider> {
    let mut provider = rustls::crypto::ring::default_provider();
    provider
        .cipher_suites
        .retain(|s| s.suite() == rustls::CipherSuite::TLS13_CHACHA20_POLY1305_SHA256);
    assert_eq!(provider.cipher_suites.len(), 1);
    Arc::new(provider)
}

#[tokio::test]
async fn a_provider_passed_explicitly_is_the_one_used() {
    let (cert, key, roots) = localhost_certificate();
    let server = Tls::server_with_certificate(vec![cert], key).unwrap();

    let default_client = Tls::client_with_roots("localhost", roots.clone()).unwrap();
    assert_eq!(
        negotiated_suite(&default_client, &server).await,
        rustls::CipherSuite::TLS13_AES_256_GCM_SHA384
    );

    let client = Tls::client_with_provider("localhost", roots, ring_with_chacha_only()).unwrap();
    assert_eq!(
        negotiated_suite(&client, &server).await,
        rustls::CipherSuite::TLS13_CHACHA20_POLY1305_SHA256
    );
}

#[tokio::test]
async fn a_server_provider_passed_explicitly_is_the_one_used() {
    let (cert, key, roots) = localhost_certificate();
    let server = Tls::server_with_provider(vec![cert], key, ring_with_chacha_only()).unwrap();
    let client = Tls::client_with_roots("localhost", roots).unwrap();
    assert_eq!(
        negotiated_suite(&client, &server).await,
        rustls::CipherSuite::TLS13_CHACHA20_POLY1305_SHA256
    );
}

#[cfg(feature = "aws-lc-rs")]
#[tokio::test]
async fn aws_lc_rs_on_both_sides() {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let (cert, key, roots) = localhost_certificate();
    let server = Tls::server_with_provider(vec![cert], key, Arc::clone(&provider)).unwrap();
    let client = Tls::client_with_provider("localhost", roots, provider).unwrap();
    assert_eq!(
        negotiated_suite(&client, &server).await,
        rustls::CipherSuite::TLS13_AES_256_GCM_SHA384
    );
}
