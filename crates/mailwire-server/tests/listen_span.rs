//! The tracing span of each connection: its fields, the user recorded after login, and
//! no secret. Alone in its binary: a subscriber set for one test thread sees every event
//! only if no other test registers the same callsites at the same time.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use mailwire_server::{Limits, Listeners, Security, Shutdown};
use mailwire_smtp::sasl::Mechanism;
use mailwire_tokio::Tls;
use tokio::net::TcpStream;

/// A log buffer for a `tracing_subscriber` writer.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn each_connection_is_traced_in_its_span_without_secrets() {
    let log = Log::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);

    let shutdown = Shutdown::new();
    let mut limits = Limits::default();
    limits.max_connections = 1;
    let mut listeners = Listeners::new(limits, shutdown.signal());
    let mut config = config();
    config.auth_mechanisms = vec![Mechanism::Plain];
    config.plaintext_auth = true;
    let addr = listeners
        .add(Smtp::new(config), bind().await, Security::Plain, Tls::None)
        .unwrap();

    let mut client = greeted(addr).await;
    let peer = client.local_addr().unwrap();
    command(&mut client, "EHLO client.example\r\n").await;
    // "\0fred\0hunter2-secret"
    assert_eq!(
        command(&mut client, "AUTH PLAIN AGZyZWQAaHVudGVyMi1zZWNyZXQ=\r\n").await,
        "235 2.7.0 Authentication successful\r\n"
    );
    let mut refused = TcpStream::connect(addr).await.unwrap();
    assert_eq!(rest(&mut refused).await, REFUSAL);
    assert_eq!(command(&mut client, "QUIT\r\n").await, "221 2.0.0 Bye\r\n");
    until_connections(&listeners, 0).await;
    shutdown.request();
    listeners.run().await;

    let log = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    let span = format!("connection{{protocol=\"smtp\" peer={peer} tls=Plain}}");
    let lines: Vec<&str> = log.lines().collect();
    let accepted = lines
        .iter()
        .find(|l| l.contains("connection accepted"))
        .unwrap();
    assert!(accepted.contains(&span), "{log}");
    // The user the service recorded after login is in the span from then on.
    let closed = lines
        .iter()
        .find(|l| l.contains("connection closed"))
        .unwrap();
    assert!(
        closed.contains(&format!(
            "connection{{protocol=\"smtp\" peer={peer} tls=Plain user=\"fred\"}}"
        )),
        "{log}"
    );
    assert!(
        lines.iter().any(|l| l.contains("connection refused")
            && l.contains("protocol=\"smtp\"")
            && l.contains("limit=\"max_connections\"")),
        "{log}"
    );
    assert!(!log.contains("hunter2"), "{log}");
    assert!(!log.contains("AGZyZWQAaHVudGVyMi1zZWNyZXQ="), "{log}");
}
