//! What the protocol servers log: a login, by whom, and never a secret (the connection's
//! span, which names the protocol and peer, is the listener's: see `listen_span.rs`). Alone in its
//! binary, as a subscriber set for one test thread sees every event only if no other test
//! registers the same callsites at the same time.

mod wire;

use std::sync::{Arc, Mutex};

use mailwire_imap::server::Config as ImapConfig;
use mailwire_pop3::server::{Config as Pop3Config, PlaintextLogin};
use mailwire_server::memory::Memory;
use mailwire_server::{ImapServer, Pop3Server, SmtpServer, Throttle};
use mailwire_smtp::Domain;
use mailwire_smtp::sasl::Mechanism;
use mailwire_smtp::server::Config as SmtpConfig;
use wire::Wire;

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

const PASSWORD: &str = "hunter2-secret";
/// `\0fred\0hunter2-secret` in base64, as AUTH PLAIN sends it.
const PLAIN: &str = "AGZyZWQAaHVudGVyMi1zZWNyZXQ=";

#[tokio::test(flavor = "current_thread")]
async fn logins_are_logged_with_the_user_and_without_the_password() {
    let log = Log::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);

    let memory = Arc::new(Memory::new());
    memory.add_user("fred", PASSWORD);
    let throttle = Arc::new(Throttle::new());

    let mut imap = ImapConfig::default();
    imap.plaintext_auth = true;
    let imap = Arc::new(ImapServer::new(
        imap,
        memory.clone(),
        memory.clone(),
        throttle.clone(),
    ));
    let mut pop3 = Pop3Config::default();
    pop3.plaintext_login = PlaintextLogin::Allow;
    let pop3 = Arc::new(Pop3Server::new(
        pop3,
        memory.clone(),
        memory.clone(),
        throttle.clone(),
    ));
    let mut smtp = SmtpConfig::new(Domain::new("mx.example.org").unwrap());
    smtp.plaintext_auth = true;
    smtp.auth_mechanisms = vec![Mechanism::Plain];
    let smtp = Arc::new(SmtpServer::new(
        smtp,
        memory.clone(),
        memory.clone(),
        throttle,
    ));

    {
        let mut w = Wire::connect(&imap);
        w.until("* OK").await;
        let wrong = w.ask(&format!("a LOGIN fred {PASSWORD}x"), "a ").await;
        assert!(wrong.starts_with("a NO"), "{wrong}");
        let ok = w.ask(&format!("b LOGIN fred {PASSWORD}"), "b ").await;
        assert!(ok.starts_with("b OK"), "{ok}");
        w.ask("c LOGOUT", "c ").await;
    }
    {
        let mut w = Wire::connect(&pop3);
        w.until("+OK").await;
        w.ask("USER fred", "+OK").await;
        w.ask(&format!("PASS {PASSWORD}"), "+OK").await;
        w.ask("QUIT", "+OK").await;
    }
    {
        let mut w = Wire::connect(&smtp);
        w.until("220 ").await;
        w.ask("EHLO client.example", "250 ").await;
        let ok = w.ask(&format!("AUTH PLAIN {PLAIN}"), "235").await;
        assert!(ok.starts_with("235"), "{ok}");
        w.ask("QUIT", "221").await;
    }

    let log = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    let authenticated: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("authenticated"))
        .collect();
    assert_eq!(authenticated.len(), 3, "{log}");
    for line in &authenticated {
        assert!(line.contains("user=\"fred\""), "{line}");
    }
    assert!(log.contains("authentication failed"), "{log}");
    assert!(!log.contains("hunter2"), "a password in the log:\n{log}");
    assert!(!log.contains(PLAIN), "a credential in the log:\n{log}");
}
