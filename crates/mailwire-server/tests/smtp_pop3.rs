//! Mail in over SMTP and LMTP, out over POP3, through the memory store, from the wire.

mod wire;

use std::sync::Arc;

use mailwire_pop3::server::{Config as Pop3Config, PlaintextLogin};
use mailwire_server::memory::Memory;
use mailwire_server::{MailStore, Mailbox, Mailboxes, Pop3Server, SmtpServer, Throttle};
use mailwire_smtp::Domain;
use mailwire_smtp::server::Config as SmtpConfig;
use tokio::io::AsyncReadExt;
use wire::{Wire, memory};

fn smtp(memory: &Memory, lmtp: bool) -> Arc<SmtpServer<Memory, Memory>> {
    let mut config = SmtpConfig::new(Domain::new("mx.example.org").unwrap());
    config.lmtp = lmtp;
    Arc::new(SmtpServer::new(
        config,
        Arc::new(memory.clone()),
        Arc::new(memory.clone()),
        Arc::new(Throttle::new()),
    ))
}

fn pop3(memory: &Memory) -> Arc<Pop3Server<Memory, Memory>> {
    let mut config = Pop3Config::default();
    config.plaintext_login = PlaintextLogin::Allow;
    config.apop = true;
    Arc::new(Pop3Server::new(
        config,
        Arc::new(memory.clone()),
        Arc::new(memory.clone()),
        Arc::new(Throttle::new()),
    ))
}

const BODY: &str = "Subject: hello\r\n\r\nHi Fred,\r\n.a line with a dot\r\n";

/// The first message in `user`'s INBOX, as stored.
async fn stored(memory: &Memory, user: &str) -> Vec<u8> {
    let mailboxes = memory.open(user).await.unwrap();
    let (view, snapshot) = mailboxes.select("INBOX", true).await.unwrap();
    let mut content = view
        .content(snapshot.messages[0].uid, 0)
        .await
        .unwrap()
        .unwrap();
    let mut bytes = Vec::new();
    content.read_to_end(&mut bytes).await.unwrap();
    bytes
}

async fn deliver(memory: &Memory) {
    let server = smtp(memory, false);
    let mut w = Wire::connect(&server);
    w.until("220 ").await;
    w.ask("EHLO client.example", "250 ").await;
    assert!(
        w.ask("MAIL FROM:<ann@example.org>", "250")
            .await
            .starts_with("250")
    );
    assert!(
        w.ask("RCPT TO:<fred@mx.example.org>", "250")
            .await
            .starts_with("250")
    );
    let unknown = w.ask("RCPT TO:<nobody@mx.example.org>", "550").await;
    assert!(unknown.starts_with("550 5.1.1"), "{unknown}");
    w.ask("DATA", "354").await;
    // Dot-stuffed on the wire, unstuffed in the store.
    let sent = w
        .ask(
            "Subject: hello\r\n\r\nHi Fred,\r\n..a line with a dot\r\n.",
            "250",
        )
        .await;
    assert!(sent.starts_with("250 "), "{sent}");
    assert!(w.ask("QUIT", "221").await.starts_with("221"));
}

#[tokio::test]
async fn smtp_delivers_and_pop3_retrieves_and_deletes() {
    let memory = memory();
    deliver(&memory).await;

    let server = pop3(&memory);
    let mut w = Wire::connect(&server);
    let greeting = w.until("+OK").await;
    assert!(greeting.contains(" <"), "an APOP timestamp: {greeting}");
    w.ask("USER fred", "+OK").await;
    let pass = w.ask("PASS secret", "").await;
    assert!(pass.starts_with("+OK"), "{pass}");
    // The message is the body below the Return-Path and the server's Received field.
    let stored = stored(&memory, "fred").await;
    let trace = &stored[..stored.len() - BODY.len()];
    assert_eq!(
        wire::below_trace(&stored, "<ann@example.org>", &[("client.example", "ESMTP")]),
        BODY.as_bytes()
    );
    let trace = std::str::from_utf8(trace).unwrap();
    assert_eq!(
        w.ask("STAT", "+OK").await,
        format!("+OK 1 {}\r\n", stored.len())
    );
    let uidl = w.ask("UIDL 1", "+OK").await;
    assert!(uidl.starts_with("+OK 1 00000001"), "{uidl}");
    let retr = w.ask("RETR 1", ".\r").await;
    assert_eq!(
        retr,
        format!(
            "+OK {} octets\r\n{trace}Subject: hello\r\n\r\nHi Fred,\r\n..a line with a dot\r\n.\r\n",
            stored.len()
        )
    );
    let top = w.ask("TOP 1 0", ".\r").await;
    assert_eq!(
        top,
        format!("+OK top of message follows\r\n{trace}Subject: hello\r\n\r\n.\r\n")
    );

    // A second session finds the maildrop locked.
    let mut second = Wire::connect(&server);
    second.until("+OK").await;
    second.ask("USER fred", "+OK").await;
    let locked = second.ask("PASS secret", "-ERR").await;
    assert!(locked.starts_with("-ERR [IN-USE]"), "{locked}");

    w.ask("DELE 1", "+OK").await;
    assert!(w.ask("QUIT", "+OK").await.starts_with("+OK"));

    let mut third = Wire::connect(&server);
    third.until("+OK").await;
    third.ask("USER fred", "+OK").await;
    third.ask("PASS secret", "+OK").await;
    assert_eq!(third.ask("STAT", "+OK").await, "+OK 0 0\r\n");
}

#[tokio::test]
async fn lmtp_answers_each_recipient() {
    let memory = memory();
    memory.add_user("jane", "pw");
    let server = smtp(&memory, true);
    let mut w = Wire::connect(&server);
    w.until("220 ").await;
    w.ask("LHLO client.example", "250 ").await;
    w.ask("MAIL FROM:<ann@example.org>", "250").await;
    w.ask("RCPT TO:<fred@mx.example.org>", "250").await;
    w.ask("RCPT TO:<jane@mx.example.org>", "250").await;
    w.ask("DATA", "354").await;
    w.send(format!("{}.\r\n", BODY.replace("\n.", "\n..")))
        .await;
    let first = w.until("250").await;
    let second = w.until("250").await;
    assert!(first.starts_with("250 2.0.0"), "{first}");
    assert!(second.starts_with("250 2.0.0"), "{second}");

    let pop3 = pop3(&memory);
    let mut p = Wire::connect(&pop3);
    p.until("+OK").await;
    p.ask("USER jane", "+OK").await;
    p.ask("PASS pw", "+OK").await;
    let stored = stored(&memory, "jane").await;
    assert_eq!(
        wire::below_trace(&stored, "<ann@example.org>", &[("client.example", "LMTP")]),
        BODY.as_bytes()
    );
    assert_eq!(
        p.ask("STAT", "+OK").await,
        format!("+OK 1 {}\r\n", stored.len())
    );
}

#[tokio::test]
async fn wrong_passwords_fail_and_are_counted() {
    let memory = memory();
    let server = pop3(&memory);
    let mut w = Wire::connect(&server);
    w.until("+OK").await;
    w.ask("USER fred", "+OK").await;
    let wrong = w.ask("PASS guess", "-ERR").await;
    assert!(wrong.starts_with("-ERR [AUTH]"), "{wrong}");
}
