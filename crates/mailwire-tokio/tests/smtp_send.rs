//! SmtpClient and SmtpPool against mailwire's own SMTP server session: the envelope read
//! from the header, Bcc stripped, Date and Message-ID added only when absent, a result per
//! recipient, one-call connect with STARTTLS and AUTH, connection reuse and reconnection,
//! and no password over plaintext without opt-in.

mod common;

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use common::{client_config, tls_pair};
use mailwire_mime::{Mailbox, Message, MessageBuilder};
use mailwire_sasl::{AuthAnswer, AuthQuestion};
use mailwire_smtp::client::{Credentials, Failure, TlsPolicy};
use mailwire_smtp::server::{Config, Event, Session};
use mailwire_smtp::{Domain, Host};
use mailwire_tokio::connect::Security;
use mailwire_tokio::smtp::{self, MessageError, SmtpClient, SmtpError, SmtpPool};
use mailwire_tokio::{Connection, MaybeTlsStream, Tls};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;

/// Everything the server side saw, over every connection.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Seen {
    connections: usize,
    auth: Vec<String>,
    senders: Vec<String>,
    recipients: Vec<String>,
    /// What the clients sent, all connections one after the other.
    wire: Vec<u8>,
    bodies: Vec<Vec<u8>>,
}

type Shared = Arc<Mutex<Seen>>;

fn server_config() -> Config {
    let mut config = Config::new(Domain::new("mx.example.org").unwrap());
    config.starttls = false;
    config.auth_mechanisms.clear();
    config
}

/// Accepts everything but `<refused@…>` and the password other than `tanstaaf`; `body`
/// gathers the message under way on this connection.
fn answer(seen: &Shared, body: &mut Vec<u8>, session: &mut Session, event: Event) {
    let mut seen = seen.lock().unwrap();
    match event {
        Event::Mail { from, .. } => {
            seen.senders.push(from.to_string());
            session.accept().unwrap();
        }
        Event::Rcpt { to, .. } => {
            seen.recipients.push(to.to_string());
            if to.to_string().starts_with("<refused@") {
                let reply = mailwire_smtp::Reply::new(550, "5.1.1 no such user").unwrap();
                session.reject(reply).unwrap();
            } else {
                session.accept().unwrap();
            }
        }
        Event::Auth {
            question: AuthQuestion::Password {
                authcid, password, ..
            },
        } => {
            seen.auth.push(authcid);
            let ok = password.expose() == "tanstaaf";
            let answer = if ok {
                AuthAnswer::Accept
            } else {
                AuthAnswer::Reject
            };
            session.answer_auth(answer).unwrap();
        }
        Event::MessageData { chunk } => body.extend_from_slice(&chunk),
        Event::Message { .. } => {
            seen.bodies.push(std::mem::take(body));
            session.accept().unwrap();
        }
        _ => {}
    }
}

/// A loopback SMTP server; with `messages_per_connection`, it drops each connection once
/// that many messages have been accepted on it.
async fn serve(config: Config, tls: Tls, messages_per_connection: Option<usize>) -> (u16, Shared) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Shared::default();
    let shared = Arc::clone(&seen);
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            shared.lock().unwrap().connections += 1;
            let (seen, config, tls) = (Arc::clone(&shared), config.clone(), tls.clone());
            tokio::spawn(async move {
                let session = Session::new(config);
                let socket = Tap {
                    io: socket,
                    seen: Arc::clone(&seen),
                };
                let mut conn = Connection::new(MaybeTlsStream::Plain(socket), session, tls);
                let mut messages = 0;
                let mut body = Vec::new();
                while let Ok(Some(event)) = conn.next_event().await {
                    let message = matches!(event, Event::Message { .. });
                    answer(&seen, &mut body, conn.session_mut(), event);
                    messages += usize::from(message);
                    if Some(messages) == messages_per_connection {
                        // Out goes the 250, then the socket closes under the client.
                        conn.flush().await.unwrap();
                        return;
                    }
                }
            });
        }
    });
    (port, seen)
}

/// A socket that copies what it reads into `seen.wire`.
struct Tap {
    io: tokio::net::TcpStream,
    seen: Shared,
}

impl AsyncRead for Tap {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        let read = &buf.filled()[before..];
        self.seen.lock().unwrap().wire.extend_from_slice(read);
        polled
    }
}

impl AsyncWrite for Tap {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

fn plaintext() -> smtp::Config {
    let mut config = smtp::Config::default();
    config.security = Security::Plaintext;
    config
}

/// A client over an in-memory pipe to a server session answering as `answer` does.
async fn client_over_a_pipe() -> (SmtpClient<tokio::io::DuplexStream>, Shared) {
    let (client_io, server_io) = tokio::io::duplex(4096);
    let seen = Shared::default();
    let shared = Arc::clone(&seen);
    tokio::spawn(async move {
        let session = Session::new(server_config());
        let conn = Connection::new(MaybeTlsStream::Plain(server_io), session, Tls::None);
        let mut body = Vec::new();
        conn.run_with(|session, event| answer(&shared, &mut body, session, event))
            .await
    });
    let client = SmtpClient::start(
        MaybeTlsStream::Plain(client_io),
        client_config(TlsPolicy::Never),
        Tls::None,
    )
    .await
    .unwrap();
    (client, seen)
}

const HEADED: &[u8] = b"From: Ann <ann@client.example>\r\n\
To: Bob <bob@mx.example.org>\r\n\
Cc: carol@mx.example.org, Bob <BOB@mx.example.org>\r\n\
Bcc: dave@mx.example.org,\r\n  erin@mx.example.org\r\n\
Subject: plans\r\n\
Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n\
Message-ID: <plans.1@client.example>\r\n\
\r\n\
Bcc: this line is body, not header\r\n";

#[tokio::test]
async fn the_envelope_comes_from_the_header_and_bcc_is_not_sent() {
    let (mut smtp, seen) = client_over_a_pipe().await;
    let results = smtp.send(HEADED).await.unwrap();
    smtp.quit().await.unwrap();

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.senders, ["<ann@client.example>"]);
    assert_eq!(
        seen.recipients,
        [
            "<bob@mx.example.org>",
            "<carol@mx.example.org>",
            "<dave@mx.example.org>",
            "<erin@mx.example.org>"
        ]
    );
    let expected: &[u8] = b"From: Ann <ann@client.example>\r\n\
To: Bob <bob@mx.example.org>\r\n\
Cc: carol@mx.example.org, Bob <BOB@mx.example.org>\r\n\
Subject: plans\r\n\
Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n\
Message-ID: <plans.1@client.example>\r\n\
\r\n\
Bcc: this line is body, not header\r\n";
    assert_eq!(seen.bodies, [expected.to_vec()]);
    let delivered: Vec<_> = results.iter().map(|r| r.is_delivered()).collect();
    assert_eq!(delivered, [true; 4]);
}

#[tokio::test]
async fn date_and_message_id_are_added_only_when_absent() {
    let (mut smtp, seen) = client_over_a_pipe().await;
    let bare: &[u8] = b"From: ann@client.example\r\nTo: bob@mx.example.org\r\n\r\nhi\r\n";
    smtp.send(bare).await.unwrap();
    smtp.send(HEADED).await.unwrap();
    let only_date: &[u8] = b"Message-ID: <own@client.example>\r\n\
From: ann@client.example\r\nTo: bob@mx.example.org\r\n\r\nhi\r\n";
    smtp.send(only_date).await.unwrap();
    smtp.quit().await.unwrap();

    let bodies = seen.lock().unwrap().bodies.clone();
    assert_eq!(bodies.len(), 3);
    // The first got both, in front of the header as it was.
    let first = &bodies[0];
    let parsed = Message::parse(first);
    assert!(parsed.header().date().is_some(), "a readable Date");
    let id = parsed.header().message_id().unwrap();
    let (unique, domain) = id.split_once('@').unwrap();
    assert_eq!(domain, "client.example");
    assert_eq!(unique.len(), 32);
    assert!(
        unique
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    );
    let date_line_end = first.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
    let id_line = format!("Message-ID: <{id}>\r\n");
    assert!(first.starts_with(b"Date: "));
    assert_eq!(
        &first[date_line_end..date_line_end + id_line.len()],
        id_line.as_bytes()
    );
    assert_eq!(&first[date_line_end + id_line.len()..], bare);
    // The second had both: only Bcc went.
    assert!(!bodies[1].windows(5).any(|w| w == b"Bcc: d"));
    assert_eq!(Message::parse(&bodies[1]).header().fields().len(), 6);
    // The third had its Message-ID and got a Date only.
    let third = &bodies[2];
    assert!(third.starts_with(b"Date: "));
    let date_line_end = third.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
    assert_eq!(&third[date_line_end..], only_date);
}

#[tokio::test]
async fn each_recipient_gets_its_own_result() {
    let (mut smtp, _seen) = client_over_a_pipe().await;
    let message = b"From: ann@client.example\r\nTo: bob@mx.example.org\r\n\
Cc: refused@mx.example.org\r\nBcc: carol@mx.example.org\r\n\r\nhi\r\n";
    let results = smtp.send(message).await.unwrap();
    let outcome: Vec<String> = results.iter().map(ToString::to_string).collect();
    assert_eq!(
        outcome,
        [
            "<bob@mx.example.org>: 250 2.0.0 Ok: queued",
            "<refused@mx.example.org>: 550 5.1.1 no such user",
            "<carol@mx.example.org>: 250 2.0.0 Ok: queued",
        ]
    );
    // A message that cannot be sent as given leaves the connection usable.
    let err = smtp
        .send(b"From: ann@client.example\r\n\r\nhi\r\n")
        .await
        .unwrap_err();
    assert!(
        matches!(err, SmtpError::Invalid(MessageError::NoRecipients)),
        "{err}"
    );
    assert!(err.connection_usable());
    assert_eq!(
        err.to_string(),
        "cannot send this message: the message has no To, Cc or Bcc address"
    );
    let results = smtp.send(message).await.unwrap();
    assert_eq!(results.len(), 3);
    smtp.quit().await.unwrap();
}

#[tokio::test]
async fn a_built_message_with_an_attachment_over_starttls_with_auth() {
    let (client_tls, server_tls) = tls_pair();
    let mut config = server_config();
    config.starttls = true;
    config.auth_mechanisms = vec![mailwire_smtp::sasl::Mechanism::Plain];
    config.require_auth = true;
    let (port, seen) = serve(config, server_tls, None).await;

    let message = MessageBuilder::new()
        .from(Mailbox::new(Some("Ann"), "ann@client.example"))
        .to(Mailbox::new(None, "bob@mx.example.org"))
        .subject("the report")
        .text("Here it is.\n")
        .attachment("application/pdf", "report.pdf", b"%PDF-1.7 ...".to_vec());
    let mut config = smtp::Config::default();
    config.credentials = Some(Credentials::new("tim", "tanstaaf"));
    config.tls = Some(client_tls);
    let server = format!("localhost:{port}");
    let mut smtp = SmtpClient::connect_with(&server, config).await.unwrap();
    assert!(smtp.is_tls(), "any port but 465 means STARTTLS");
    let results = smtp.send(message).await.unwrap();
    assert!(results[0].is_delivered());
    smtp.quit().await.unwrap();

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.auth, ["tim"]);
    assert_eq!(seen.senders, ["<ann@client.example>"]);
    let received = Message::parse(&seen.bodies[0]);
    assert_eq!(received.subject().as_deref(), Some("the report"));
    assert_eq!(received.attachments()[0].decoded(), b"%PDF-1.7 ...");
    assert!(received.header().get("Date").is_some());
}

#[tokio::test]
async fn a_server_without_starttls_is_refused_on_the_submission_port() {
    let (client_tls, _) = tls_pair();
    let (port, seen) = serve(server_config(), Tls::None, None).await;
    let mut config = smtp::Config::default();
    config.tls = Some(client_tls);
    let err = SmtpClient::connect_with(&format!("localhost:{port}"), config)
        .await
        .unwrap_err();
    assert!(
        matches!(err, SmtpError::Failed(Failure::TlsUnavailable)),
        "{err}"
    );
    assert_eq!(seen.lock().unwrap().senders, Vec::<String>::new());
}

#[tokio::test]
async fn no_password_over_plaintext_unless_allowed() {
    let mut config = server_config();
    config.auth_mechanisms = vec![mailwire_smtp::sasl::Mechanism::Plain];
    config.plaintext_auth = true;
    let (port, seen) = serve(config, Tls::None, None).await;
    let server = format!("127.0.0.1:{port}");

    let mut client = plaintext();
    client.credentials = Some(Credentials::new("tim", "tanstaaf"));
    let err = SmtpClient::connect_with(&server, client.clone())
        .await
        .unwrap_err();
    assert!(
        matches!(err, SmtpError::Failed(Failure::NoMechanism)),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "SMTP session failed: the server offers no AUTH mechanism usable on this connection"
    );
    assert_eq!(seen.lock().unwrap().auth, Vec::<String>::new());

    client.plaintext_auth = true;
    let smtp = SmtpClient::connect_with(&server, client).await.unwrap();
    assert!(!smtp.is_tls());
    smtp.quit().await.unwrap();
    assert_eq!(seen.lock().unwrap().auth, ["tim"]);
}

#[tokio::test]
async fn the_pool_sends_many_messages_over_one_connection() {
    let (port, seen) = serve(server_config(), Tls::None, None).await;
    let mut config = plaintext();
    config.hostname = Some(Host::parse("client.example").unwrap());
    let pool = SmtpPool::new(format!("127.0.0.1:{port}"), config, 2);
    for i in 0..5 {
        let message = format!(
            "From: ann@client.example\r\nTo: bob@mx.example.org\r\nSubject: {i}\r\n\r\nhi\r\n"
        );
        let results = pool.send(message.into_bytes()).await.unwrap();
        assert!(results[0].is_delivered());
    }
    assert_eq!(pool.idle_connections(), 1);
    pool.close().await;
    assert_eq!(pool.idle_connections(), 0);

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.connections, 1);
    assert_eq!(seen.bodies.len(), 5);
    // RSET before each reuse.
    let commands = String::from_utf8_lossy(&seen.wire);
    let verbs: Vec<&str> = commands
        .split("\r\n")
        .filter(|l| {
            ["RSET", "MAIL", "QUIT", "EHLO"]
                .iter()
                .any(|v| l.starts_with(v))
        })
        .map(|l| &l[..4])
        .collect();
    assert_eq!(
        verbs,
        [
            "EHLO", "MAIL", "RSET", "MAIL", "RSET", "MAIL", "RSET", "MAIL", "RSET", "MAIL", "QUIT"
        ]
    );
}

#[tokio::test]
async fn the_pool_reconnects_after_the_server_dropped_a_connection() {
    let (port, seen) = serve(server_config(), Tls::None, Some(1)).await;
    let pool = SmtpPool::new(format!("127.0.0.1:{port}"), plaintext(), 1);
    for subject in ["one", "two", "three"] {
        let message = format!(
            "From: ann@client.example\r\nTo: bob@mx.example.org\r\nSubject: {subject}\r\n\r\nhi\r\n"
        );
        let results = pool.send(message).await.unwrap();
        assert!(results[0].is_delivered(), "{subject}");
    }
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.connections, 3);
    let subjects: Vec<_> = seen
        .bodies
        .iter()
        .map(|b| Message::parse(b).subject().unwrap())
        .collect();
    assert_eq!(subjects, ["one", "two", "three"]);
}

#[tokio::test]
async fn the_pool_refuses_a_message_without_sender_before_connecting() {
    let (port, seen) = serve(server_config(), Tls::None, None).await;
    let pool = SmtpPool::new(format!("127.0.0.1:{port}"), plaintext(), 1);
    let err = pool
        .send(b"To: bob@mx.example.org\r\n\r\nhi\r\n")
        .await
        .unwrap_err();
    assert!(
        matches!(err, SmtpError::Invalid(MessageError::NoSender)),
        "{err}"
    );
    assert_eq!(seen.lock().unwrap().connections, 0);
}

#[tokio::test]
async fn bad_server_strings_fail_before_connecting() {
    let err = SmtpClient::connect("mx.example.org:smtp")
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid server \"mx.example.org:smtp\": expected host, host:port or [v6]:port"
    );
}

#[tokio::test]
async fn a_silent_server_fails_the_send_after_the_configured_timeout() {
    // Greets and answers EHLO, then hears MAIL and says nothing.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut socket, _) = listener.accept().await.unwrap();
        socket.write_all(b"220 mx ready\r\n").await.unwrap();
        let mut heard = Vec::new();
        let mut buf = [0; 512];
        while !heard.ends_with(b"\r\n") {
            let n = socket.read(&mut buf).await.unwrap();
            heard.extend_from_slice(&buf[..n]);
        }
        socket.write_all(b"250 mx\r\n").await.unwrap();
        // Keep the connection open, silent, until the client goes.
        loop {
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => heard.extend_from_slice(&buf[..n]),
            }
        }
        heard
    });
    let mut config = plaintext();
    config.timeouts.mail = std::time::Duration::from_secs(42);
    let mut smtp = SmtpClient::connect_with(&format!("127.0.0.1:{port}"), config)
        .await
        .unwrap();

    tokio::time::pause();
    let start = tokio::time::Instant::now();
    let err = smtp
        .send(b"From: a@client.example\r\nTo: b@mx.example.org\r\n\r\nhi\r\n")
        .await
        .unwrap_err();
    let waited = start.elapsed();
    assert!(
        matches!(err, SmtpError::Failed(Failure::TimedOut { after }) if after == std::time::Duration::from_secs(42)),
        "{err}"
    );
    assert_eq!(err.to_string(), "SMTP session failed: no reply within 42s");
    // The configured 42 seconds, not RFC 5321's five minutes.
    assert!(
        waited >= std::time::Duration::from_secs(42) && waited < std::time::Duration::from_secs(43),
        "{waited:?}"
    );
    drop(smtp);
    let heard = String::from_utf8(server.await.unwrap()).unwrap();
    assert_eq!(
        heard,
        "EHLO [127.0.0.1]\r\nMAIL FROM:<a@client.example>\r\n"
    );
}

#[tokio::test]
async fn the_pool_opens_no_more_connections_than_its_size() {
    let (port, seen) = serve(server_config(), Tls::None, None).await;
    let pool = Arc::new(SmtpPool::new(format!("127.0.0.1:{port}"), plaintext(), 2));
    let sends: Vec<_> = (0..6)
        .map(|i| {
            let pool = Arc::clone(&pool);
            tokio::spawn(async move {
                let message = format!(
                    "From: ann@client.example\r\nTo: bob@mx.example.org\r\nSubject: {i}\r\n\r\nhi\r\n"
                );
                pool.send(message).await
            })
        })
        .collect();
    for send in sends {
        assert!(send.await.unwrap().unwrap()[0].is_delivered());
    }
    let seen = seen.lock().unwrap().clone();
    assert!((1..=2).contains(&seen.connections), "{}", seen.connections);
    assert_eq!(seen.connections, pool.idle_connections());
    let mut subjects: Vec<_> = seen
        .bodies
        .iter()
        .map(|b| Message::parse(b).subject().unwrap())
        .collect();
    subjects.sort();
    assert_eq!(subjects, ["0", "1", "2", "3", "4", "5"]);
}
