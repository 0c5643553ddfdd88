//! A client session and a server session talking to each other in memory.

use mailwire_core::{Session as _, Transport};
use mailwire_smtp::client::{self, Credentials, Envelope, TlsPolicy};
use mailwire_smtp::sasl::{AuthAnswer, AuthQuestion, Mechanism, Method, ScramKeys};
use mailwire_smtp::server::{self, Event as ServerEvent};
use mailwire_smtp::{Domain, ForwardPath, Host, Mailbox, ReversePath};

struct Delivered {
    body: Vec<u8>,
    recipients: Vec<ForwardPath>,
}

struct Outcome {
    client_events: Vec<client::Event>,
    delivered: Vec<Delivered>,
    /// Every write of the client, in order.
    client_writes: Vec<Vec<u8>>,
    authenticated_as: Option<String>,
}

/// Runs one connection: the client sends `message` to `recipients` (refusing "nobody"),
/// in `pieces` body writes, then quits.
fn converse(
    server_config: server::Config,
    client_config: client::Config,
    recipients: &[&str],
    message: &[u8],
    pieces: usize,
) -> Outcome {
    let mut server = server::Session::new(server_config);
    server.set_auth_nonce("c2VydmVyIG5vbmNlIGZvciB0ZXN0cw");
    let mut client = client::Session::new(client_config);
    let envelope = Envelope::for_message(
        ReversePath::Mailbox(Mailbox::parse("sender@client.example").unwrap()),
        recipients
            .iter()
            .map(|r| ForwardPath::Mailbox(Mailbox::parse(r).unwrap()))
            .collect(),
        message,
    );
    let mut outcome = Outcome {
        client_events: Vec::new(),
        delivered: Vec::new(),
        client_writes: Vec::new(),
        authenticated_as: None,
    };
    let mut body = Vec::new();
    for _ in 0..1000 {
        let mut progressed = false;
        while let Some(event) = server.poll_event() {
            progressed = true;
            match event {
                ServerEvent::Rcpt {
                    to: ForwardPath::Mailbox(m),
                    ..
                } if m.local_part() == "nobody" => {
                    server
                        .reject(mailwire_smtp::Reply::new(550, "5.1.1 unknown").unwrap())
                        .unwrap();
                }
                ServerEvent::Mail { .. } | ServerEvent::Rcpt { .. } => server.accept().unwrap(),
                ServerEvent::MessageData { chunk } => body.extend_from_slice(&chunk),
                ServerEvent::Message { recipients, .. } => {
                    outcome.delivered.push(Delivered {
                        body: std::mem::take(&mut body),
                        recipients,
                    });
                    server.accept().unwrap();
                }
                ServerEvent::Auth {
                    question: AuthQuestion::ScramKeys { authcid, .. },
                } => {
                    assert_eq!(authcid, "tim");
                    let keys = ScramKeys::derive("tanstaaf", b"pepper", 4096);
                    server.answer_auth(AuthAnswer::ScramKeys(keys)).unwrap();
                }
                ServerEvent::Authenticated { method, identity } => {
                    let Method::Sasl(mechanism) = method else {
                        panic!("SMTP authenticates with SASL only, not {method}")
                    };
                    let who = format!("{}:{}", identity.authcid, mechanism.as_str());
                    outcome.authenticated_as.get_or_insert(who);
                }
                ServerEvent::Auth {
                    question:
                        AuthQuestion::Password {
                            authcid, password, ..
                        },
                } => {
                    outcome.authenticated_as = Some(format!("{authcid}:{}", password.expose()));
                    server.answer_auth(AuthAnswer::Accept).unwrap();
                }
                _ => {}
            }
        }
        while let Some(event) = client.poll_event() {
            progressed = true;
            match &event {
                client::Event::Ready { .. } => client.send_mail(envelope.clone()).unwrap(),
                client::Event::SendBody => {
                    let size = message.len().div_ceil(pieces).max(1);
                    for piece in message.chunks(size) {
                        client.write_body(piece).unwrap();
                    }
                    client.finish_body().unwrap();
                }
                client::Event::MessageDone { .. } | client::Event::MessageFailed { .. } => {
                    client.quit();
                }
                _ => {}
            }
            outcome.client_events.push(event);
        }
        if let Some(bytes) = server.transmit() {
            client.receive(&bytes);
            progressed = true;
        }
        if let Some(bytes) = client.transmit() {
            outcome.client_writes.push(bytes.to_vec());
            server.receive(&bytes);
            progressed = true;
        }
        if server.transport() == Transport::StartTls && client.transport() == Transport::StartTls {
            server.tls_established();
            client.tls_established();
            progressed = true;
        }
        if server.transport() == Transport::Close && client.transport() == Transport::Close {
            return outcome;
        }
        assert!(progressed, "stalled");
    }
    panic!("no end");
}

fn server_config() -> server::Config {
    server::Config::new(Domain::new("mx.example.org").unwrap())
}

fn client_config() -> client::Config {
    let mut c = client::Config::new(Host::parse("client.example").unwrap());
    c.tls = TlsPolicy::Never;
    c
}

const MESSAGE: &[u8] =
    b"From: a@client.example\r\nSubject: test\r\n\r\n.leading dot\r\n..two\r\n.\r\nend\r\n";

fn results(outcome: &Outcome) -> Vec<(String, u16)> {
    let Some(client::Event::MessageDone { results }) = outcome
        .client_events
        .iter()
        .find(|e| matches!(e, client::Event::MessageDone { .. }))
    else {
        panic!("{:?}", outcome.client_events)
    };
    results
        .iter()
        .map(|r| (r.recipient.to_string(), r.reply.code().get()))
        .collect()
}

#[test]
fn pipelining_and_chunking_deliver_the_message() {
    let outcome = converse(
        server_config(),
        client_config(),
        &["b@x.org", "nobody@x.org", "c@x.org"],
        MESSAGE,
        3,
    );
    assert_eq!(outcome.delivered.len(), 1);
    assert_eq!(outcome.delivered[0].body, MESSAGE);
    assert_eq!(outcome.delivered[0].recipients.len(), 2);
    assert_eq!(
        results(&outcome),
        [
            ("<b@x.org>".into(), 250),
            ("<nobody@x.org>".into(), 550),
            ("<c@x.org>".into(), 250)
        ]
    );
    // MAIL and all RCPTs went out in one write; the body as BDAT chunks.
    let envelope_write = String::from_utf8(outcome.client_writes[1].clone()).unwrap();
    assert_eq!(
        envelope_write.matches("\r\n").count(),
        4,
        "{envelope_write}"
    );
    assert!(
        outcome
            .client_writes
            .iter()
            .any(|w| w.starts_with(b"BDAT "))
    );
}

#[test]
fn data_with_dot_stuffing_when_chunking_is_off() {
    let mut s = server_config();
    s.chunking = false;
    let outcome = converse(s, client_config(), &["b@x.org"], MESSAGE, 7);
    assert_eq!(outcome.delivered[0].body, MESSAGE);
    let all: Vec<u8> = outcome.client_writes.concat();
    let wire = String::from_utf8(all).unwrap();
    assert!(wire.contains("DATA\r\n"));
    assert!(
        wire.contains("\r\n..leading dot\r\n...two\r\n..\r\nend\r\n.\r\n"),
        "{wire}"
    );
}

#[test]
fn without_pipelining_one_command_at_a_time() {
    let mut s = server_config();
    s.pipelining = false;
    s.chunking = false;
    let outcome = converse(s, client_config(), &["b@x.org", "c@x.org"], MESSAGE, 1);
    assert_eq!(outcome.delivered[0].body, MESSAGE);
    for write in &outcome.client_writes[..4] {
        assert_eq!(
            write.iter().filter(|&&b| b == b'\n').count(),
            1,
            "{:?}",
            String::from_utf8_lossy(write)
        );
    }
}

#[test]
fn lmtp_pair() {
    let mut s = server_config();
    s.lmtp = true;
    let mut c = client_config();
    c.lmtp = true;
    let outcome = converse(s, c, &["b@x.org", "nobody@x.org", "c@x.org"], MESSAGE, 2);
    assert_eq!(outcome.delivered[0].body, MESSAGE);
    assert_eq!(
        results(&outcome),
        [
            ("<b@x.org>".into(), 250),
            ("<nobody@x.org>".into(), 550),
            ("<c@x.org>".into(), 250)
        ]
    );
}

#[test]
fn starttls_and_auth_then_delivery() {
    let mut s = server_config();
    s.starttls = true;
    s.auth_mechanisms = vec![Mechanism::Plain];
    s.require_auth = true;
    let mut c = client_config();
    c.tls = TlsPolicy::Required;
    c.credentials = Some(Credentials::new("tim", "tanstaaf"));
    let outcome = converse(s, c, &["b@x.org"], MESSAGE, 1);
    assert_eq!(outcome.authenticated_as.as_deref(), Some("tim:tanstaaf"));
    assert_eq!(outcome.delivered[0].body, MESSAGE);
    assert!(
        outcome
            .client_events
            .contains(&client::Event::Authenticated {
                mechanism: Mechanism::Plain
            })
    );
}

#[test]
fn eight_bit_and_utf8_messages_get_their_parameters() {
    let message = "From: a@client.example\r\nSubject: caf\u{e9}\r\n\r\nna\u{ef}ve\r\n".as_bytes();
    let mut s = server_config();
    s.chunking = false;
    let outcome = converse(s, client_config(), &["b@x.org"], message, 1);
    let wire = String::from_utf8(outcome.client_writes.concat()).unwrap();
    assert!(
        wire.contains("MAIL FROM:<sender@client.example> SIZE=50 BODY=8BITMIME SMTPUTF8\r\n"),
        "{wire}"
    );
    assert_eq!(outcome.delivered[0].body, message);
}

#[test]
fn scram_is_preferred_and_verifies_both_sides() {
    let mut s = server_config();
    s.auth_mechanisms = vec![Mechanism::Plain, Mechanism::ScramSha256];
    s.plaintext_auth = true;
    s.require_auth = true;
    let mut c = client_config();
    c.credentials = Some(Credentials::new("tim", "tanstaaf"));
    c.scram_nonce = Some("Y2xpZW50IG5vbmNlIGZvciB0ZXN0cw".into());
    let outcome = converse(s, c, &["b@x.org"], MESSAGE, 1);
    assert_eq!(
        outcome.authenticated_as.as_deref(),
        Some("tim:SCRAM-SHA-256")
    );
    assert!(
        outcome
            .client_events
            .contains(&client::Event::Authenticated {
                mechanism: Mechanism::ScramSha256
            })
    );
    assert_eq!(outcome.delivered[0].body, MESSAGE);
    let wire = String::from_utf8(outcome.client_writes.concat()).unwrap();
    assert!(!wire.contains("tanstaaf"));
}

#[test]
fn a_wrong_scram_password_fails_on_both_sides() {
    let mut s = server_config();
    s.auth_mechanisms = vec![Mechanism::ScramSha256];
    s.require_auth = true;
    let mut c = client_config();
    c.credentials = Some(Credentials::new("tim", "wrong"));
    c.scram_nonce = Some("Y2xpZW50IG5vbmNlIGZvciB0ZXN0cw".into());
    let outcome = converse(s, c, &["b@x.org"], MESSAGE, 1);
    assert!(outcome.delivered.is_empty());
    assert!(matches!(
        outcome.client_events.last(),
        Some(client::Event::Failed {
            reason: client::Failure::AuthFailed { .. }
        })
    ));
}
