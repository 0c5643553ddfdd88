//! Listeners over real sockets: implicit TLS and STARTTLS, connection limits, the
//! command-arrival limit against slow clients and graceful shutdown. The connection span
//! is tested in `listen_span.rs`, alone in its binary.

mod common;

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use mailwire_server::{
    Limits, ListenError, Listeners, Security, Shutdown, TlsFileError, next_event_or_shutdown,
    tls_from_pem_files,
};
use mailwire_smtp::server::Session;
use mailwire_tokio::{Connection, MaybeTlsStream, Next, Tls};
use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A self-signed certificate for `localhost` as PEM files, and the client's TLS settings.
struct Pem {
    dir: PathBuf,
    chain: PathBuf,
    key: PathBuf,
    client: Tls,
}

impl Pem {
    fn new(name: &str) -> Self {
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let dir = std::env::temp_dir().join(format!(
            "mailwire-server-listen-{}-{name}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let (chain, key) = (dir.join("chain.pem"), dir.join("key.pem"));
        std::fs::write(&chain, pem("CERTIFICATE", certified.cert.der())).unwrap();
        let der = certified.signing_key.serialize_der();
        std::fs::write(&key, pem("PRIVATE KEY", &der)).unwrap();
        let mut roots = RootCertStore::empty();
        let der: CertificateDer<'static> = certified.cert.der().clone();
        roots.add(der).unwrap();
        let client = Tls::client_with_roots("localhost", roots).unwrap();
        Self {
            dir,
            chain,
            key,
            client,
        }
    }
}

/// A PEM section (RFC 7468): base64 in lines of 64 characters between the labels.
fn pem(label: &str, der: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut base64 = Vec::new();
    for chunk in der.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            base64.push(if i <= chunk.len() {
                ALPHABET[(n >> (18 - 6 * i) & 63) as usize]
            } else {
                b'='
            });
        }
    }
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in base64.chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out + &format!("-----END {label}-----\n")
}

impl Drop for Pem {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn implicit_tls_runs_the_handshake_before_the_service() {
    let pem = Pem::new("implicit");
    let server_tls = tls_from_pem_files(&pem.chain, &pem.key).unwrap();
    let shutdown = Shutdown::new();
    let mut listeners = Listeners::new(Limits::default(), shutdown.signal());
    let mut config = config();
    config.implicit_tls = true;
    let addr = listeners
        .add(
            Smtp::new(config),
            bind().await,
            Security::Implicit,
            server_tls,
        )
        .unwrap();
    assert_eq!(listeners.local_addrs(), [addr]);

    let plain = MaybeTlsStream::Plain(TcpStream::connect(addr).await.unwrap());
    let mut tls = plain.upgrade(&pem.client).await.unwrap();
    assert!(tls.is_tls());
    assert_eq!(read_reply(&mut tls).await.as_bytes(), GREETING);
    let ehlo = command(&mut tls, "EHLO client.example\r\n").await;
    assert!(ehlo.starts_with("250-mx.example.org\r\n"), "{ehlo}");
    assert!(!ehlo.contains("STARTTLS"), "{ehlo}");
    assert_eq!(command(&mut tls, "QUIT\r\n").await, "221 2.0.0 Bye\r\n");
    assert_eq!(rest(&mut tls).await, b"");

    shutdown.request();
    listeners.run().await;
}

#[tokio::test]
async fn a_plaintext_client_on_an_implicit_tls_port_gets_nothing() {
    let pem = Pem::new("plaintext");
    let server_tls = tls_from_pem_files(&pem.chain, &pem.key).unwrap();
    let shutdown = Shutdown::new();
    let mut listeners = Listeners::new(Limits::default(), shutdown.signal());
    let addr = listeners
        .add(
            Smtp::new(config()),
            bind().await,
            Security::Implicit,
            server_tls,
        )
        .unwrap();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"EHLO client.example\r\n").await.unwrap();
    // The handshake fails on the first bytes, with a TLS alert record (fatal,
    // decode_error); the service never speaks.
    assert_eq!(rest(&mut stream).await, [21, 3, 3, 0, 2, 2, 50]);
    until_connections(&listeners, 0).await;
    shutdown.request();
    listeners.run().await;
}

#[tokio::test]
async fn over_a_limit_an_implicit_tls_port_closes_without_a_word() {
    let pem = Pem::new("refused");
    let server_tls = tls_from_pem_files(&pem.chain, &pem.key).unwrap();
    let shutdown = Shutdown::new();
    let mut limits = Limits::default();
    limits.max_connections = 1;
    let mut listeners = Listeners::new(limits, shutdown.signal());
    let mut config = config();
    config.implicit_tls = true;
    let addr = listeners
        .add(
            Smtp::new(config),
            bind().await,
            Security::Implicit,
            server_tls,
        )
        .unwrap();

    let plain = MaybeTlsStream::Plain(TcpStream::connect(addr).await.unwrap());
    let mut tls = plain.upgrade(&pem.client).await.unwrap();
    assert_eq!(read_reply(&mut tls).await.as_bytes(), GREETING);
    // A plaintext refusal would be noise to a client starting a handshake.
    let mut refused = TcpStream::connect(addr).await.unwrap();
    assert_eq!(rest(&mut refused).await, b"");

    shutdown.request();
    assert_eq!(
        rest(&mut tls).await,
        b"421 4.3.2 mx.example.org Service shutting down\r\n"
    );
    listeners.run().await;
}

#[tokio::test]
async fn starttls_upgrades_with_the_listeners_settings() {
    let pem = Pem::new("starttls");
    let server_tls = tls_from_pem_files(&pem.chain, &pem.key).unwrap();
    let shutdown = Shutdown::new();
    let mut listeners = Listeners::new(Limits::default(), shutdown.signal());
    let mut config = config();
    config.starttls = true;
    let addr = listeners
        .add(
            Smtp::new(config),
            bind().await,
            Security::StartTls,
            server_tls,
        )
        .unwrap();

    let mut plain = greeted(addr).await;
    let ehlo = command(&mut plain, "EHLO client.example\r\n").await;
    assert!(ehlo.contains("250-STARTTLS\r\n"), "{ehlo}");
    assert_eq!(
        command(&mut plain, "STARTTLS\r\n").await,
        "220 2.0.0 Ready to start TLS\r\n"
    );
    let mut tls = MaybeTlsStream::Plain(plain)
        .upgrade(&pem.client)
        .await
        .unwrap();
    let ehlo = command(&mut tls, "EHLO client.example\r\n").await;
    assert!(!ehlo.contains("STARTTLS"), "{ehlo}");
    assert_eq!(
        command(&mut tls, "MAIL FROM:<a@client.example>\r\n").await,
        "250 2.1.0 Ok\r\n"
    );
    assert_eq!(command(&mut tls, "QUIT\r\n").await, "221 2.0.0 Bye\r\n");
    assert_eq!(rest(&mut tls).await, b"");

    shutdown.request();
    listeners.run().await;
}

#[tokio::test]
async fn tls_listeners_need_tls_settings() {
    let mut listeners = Listeners::new(Limits::default(), Shutdown::new().signal());
    for security in [Security::StartTls, Security::Implicit] {
        let err = listeners
            .add(Smtp::new(config()), bind().await, security, Tls::None)
            .unwrap_err();
        assert!(
            matches!(err, ListenError::NoTls(s) if s == security),
            "{err}"
        );
    }
    assert_eq!(listeners.local_addrs(), []);
}

#[test]
fn pem_errors_name_the_file() {
    let pem = Pem::new("errors");
    let missing = pem.dir.join("missing.pem");
    let err = tls_from_pem_files(&missing, &pem.key).unwrap_err();
    assert!(matches!(&err, TlsFileError::Pem { path, .. } if *path == missing));
    assert!(err.to_string().starts_with(&missing.display().to_string()));

    // A key where the chain belongs, and the other way round.
    let err = tls_from_pem_files(&pem.key, &pem.key).unwrap_err();
    assert!(matches!(&err, TlsFileError::NoCertificate(p) if *p == pem.key));
    assert_eq!(
        err.to_string(),
        format!("{}: no certificate", pem.key.display())
    );
    let err = tls_from_pem_files(&pem.chain, &pem.chain).unwrap_err();
    assert!(matches!(&err, TlsFileError::NoKey(p) if *p == pem.chain));

    // A key that does not belong to the certificate.
    let other = Pem::new("other");
    let err = tls_from_pem_files(&pem.chain, &other.key).unwrap_err();
    assert!(
        matches!(&err, TlsFileError::Tls { chain, key, .. } if *chain == pem.chain && *key == other.key),
        "{err}"
    );
}

#[tokio::test]
async fn over_the_total_limit_a_connection_gets_the_refusal() {
    let shutdown = Shutdown::new();
    let mut limits = Limits::default();
    limits.max_connections = 2;
    let mut listeners = Listeners::new(limits, shutdown.signal());
    let service = Smtp::new(config());
    // The limit holds across listeners.
    let first = listeners
        .add(
            Arc::clone(&service),
            bind().await,
            Security::Plain,
            Tls::None,
        )
        .unwrap();
    let second = listeners
        .add(service, bind().await, Security::Plain, Tls::None)
        .unwrap();

    let mut a = greeted(first).await;
    let _b = greeted(second).await;
    assert_eq!(listeners.connections(), 2);
    let mut refused = TcpStream::connect(first).await.unwrap();
    assert_eq!(rest(&mut refused).await, REFUSAL);
    let mut refused = TcpStream::connect(second).await.unwrap();
    assert_eq!(rest(&mut refused).await, REFUSAL);
    assert_eq!(listeners.connections(), 2);

    // A connection that ends makes room for the next.
    assert_eq!(command(&mut a, "QUIT\r\n").await, "221 2.0.0 Bye\r\n");
    assert_eq!(rest(&mut a).await, b"");
    until_connections(&listeners, 1).await;
    let _c = greeted(first).await;
    assert_eq!(listeners.connections(), 2);

    shutdown.request();
    listeners.run().await;
}

#[tokio::test]
async fn over_the_per_ip_limit_a_connection_gets_the_refusal() {
    let shutdown = Shutdown::new();
    let mut limits = Limits::default();
    limits.max_per_ip = 2;
    let mut listeners = Listeners::new(limits, shutdown.signal());
    let addr = listeners
        .add(
            Smtp::new(config()),
            bind().await,
            Security::Plain,
            Tls::None,
        )
        .unwrap();

    let mut a = greeted(addr).await;
    let _b = greeted(addr).await;
    let mut refused = TcpStream::connect(addr).await.unwrap();
    assert_eq!(rest(&mut refused).await, REFUSAL);
    // Another address is not held back by this one's count.
    let mut other = connect_from([127, 0, 0, 2], addr).await;
    assert_eq!(read_reply(&mut other).await.as_bytes(), GREETING);
    assert_eq!(listeners.connections_from([127, 0, 0, 1].into()), 2);
    assert_eq!(listeners.connections_from([127, 0, 0, 2].into()), 1);

    // Counts fall as connections end, and an address with none left is forgotten.
    assert_eq!(command(&mut other, "QUIT\r\n").await, "221 2.0.0 Bye\r\n");
    assert_eq!(command(&mut a, "QUIT\r\n").await, "221 2.0.0 Bye\r\n");
    until_connections(&listeners, 1).await;
    assert_eq!(listeners.connections_from([127, 0, 0, 2].into()), 0);
    assert_eq!(listeners.connections_from([127, 0, 0, 1].into()), 1);
    let _c = greeted(addr).await;

    shutdown.request();
    listeners.run().await;
}

/// Sends `EHLO` one byte every five seconds, reading all the while, and returns what the
/// server sent before it closed.
async fn trickle(addr: SocketAddr) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut bytes = b"EHLO slow.example\r\n".iter();
    let mut every = tokio::time::interval(Duration::from_secs(5));
    let mut got = Vec::new();
    let mut buf = [0; 256];
    loop {
        tokio::select! {
            read = stream.read(&mut buf) => match read.unwrap() {
                0 => return got,
                n => got.extend_from_slice(&buf[..n]),
            },
            _ = every.tick() => {
                if let Some(&byte) = bytes.next() {
                    stream.write_all(&[byte]).await.unwrap();
                }
            }
        }
    }
}

#[tokio::test(start_paused = true)]
async fn slow_clients_are_closed_by_the_command_arrival_limit() {
    let shutdown = Shutdown::new();
    let mut limits = Limits::default();
    limits.max_per_ip = 1000;
    let mut listeners = Listeners::new(limits, shutdown.signal());
    let mut config = config();
    // Each byte comes well within the per-read timeout; the command never within its
    // limit. (Not a multiple of the clients' pace, so no byte and deadline coincide.)
    config.timeout = Duration::from_secs(60);
    config.command_timeout = Some(Duration::from_secs(22));
    let addr = listeners
        .add(Smtp::new(config), bind().await, Security::Plain, Tls::None)
        .unwrap();

    let clients: Vec<_> = (0..100).map(|_| tokio::spawn(trickle(addr))).collect();
    for client in clients {
        assert_eq!(
            client.await.unwrap(),
            b"220 mx.example.org ESMTP ready\r\n421 4.4.2 Timeout, closing connection\r\n"
        );
    }
    until_connections(&listeners, 0).await;

    shutdown.request();
    listeners.run().await;
}

#[tokio::test]
async fn shutdown_lets_a_command_finish_then_says_goodbye() {
    let shutdown = Shutdown::new();
    let mut listeners = Listeners::new(Limits::default(), shutdown.signal());
    let service = Smtp::new(config());
    let addr = listeners
        .add(
            Arc::clone(&service),
            bind().await,
            Security::Plain,
            Tls::None,
        )
        .unwrap();

    let mut busy = greeted(addr).await;
    command(&mut busy, "EHLO client.example\r\n").await;
    assert_eq!(
        command(&mut busy, "MAIL FROM:<a@client.example>\r\n").await,
        "250 2.1.0 Ok\r\n"
    );
    busy.write_all(b"RCPT TO:<slow@mx.example.org>\r\n")
        .await
        .unwrap();
    let mut idle = greeted(addr).await;
    service.deciding.notified().await;

    shutdown.request();
    // The recipient lookup under way completes and is answered, then the goodbye.
    assert_eq!(
        rest(&mut busy).await,
        [&b"250 2.1.5 Ok\r\n"[..], GOODBYE].concat()
    );
    assert_eq!(rest(&mut idle).await, GOODBYE);
    listeners.run().await;
    let refused = TcpStream::connect(addr).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
}

#[tokio::test(start_paused = true)]
async fn a_command_arriving_at_shutdown_is_answered_before_the_goodbye() {
    let (mut client, server_io) = tokio::io::duplex(1024);
    let shutdown = Shutdown::new();
    let signal = shutdown.signal();
    let server = tokio::spawn(async move {
        let session = Session::new(config());
        let mut conn = Connection::new(MaybeTlsStream::Plain(server_io), session, Tls::None);
        loop {
            match next_event_or_shutdown(&mut conn, &signal).await.unwrap() {
                Next::Event(_) => {}
                Next::Woken(()) => conn.session_mut().shutdown(),
                Next::Closed => return,
            }
        }
    });
    assert_eq!(read_reply(&mut client).await.as_bytes(), GREETING);
    client.write_all(b"NOO").await.unwrap();
    // The paused clock moves only once the server has read the bytes and waits for more.
    tokio::time::sleep(Duration::from_secs(1)).await;
    shutdown.request();
    tokio::time::sleep(Duration::from_secs(1)).await;
    client.write_all(b"P\r\n").await.unwrap();
    assert_eq!(
        rest(&mut client).await,
        [&b"250 2.0.0 Ok\r\n"[..], GOODBYE].concat()
    );
    server.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn connections_still_running_after_the_grace_period_are_aborted() {
    let shutdown = Shutdown::new();
    let mut limits = Limits::default();
    limits.shutdown_grace = Duration::from_secs(5);
    let mut listeners = Listeners::new(limits, shutdown.signal());
    let service = Smtp::new(config());
    let addr = listeners
        .add(
            Arc::clone(&service),
            bind().await,
            Security::Plain,
            Tls::None,
        )
        .unwrap();

    let mut stuck = greeted(addr).await;
    command(&mut stuck, "EHLO client.example\r\n").await;
    stuck
        .write_all(b"MAIL FROM:<stuck@client.example>\r\n")
        .await
        .unwrap();
    service.deciding.notified().await;
    assert_eq!(listeners.connections(), 1);

    shutdown.request();
    let run = tokio::spawn(listeners.run());
    // Never answered: the connection is dropped when the grace period ends.
    assert_eq!(rest(&mut stuck).await, b"");
    run.await.unwrap();
}
