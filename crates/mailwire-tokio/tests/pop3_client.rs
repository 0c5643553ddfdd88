//! `Pop3Client` against mailwire's own POP3 server (mailwire-server's `Pop3Server` over
//! the memory store) and against scripted servers, over in-memory pipes.

mod common;

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use mailwire_pop3::client::{self, LoginMethod, StlsPolicy};
use mailwire_pop3::server::{Config as ServerConfig, PlaintextLogin};
use mailwire_pop3::{MessageNumber, Password, UserName};
use mailwire_server::memory::Memory;
use mailwire_server::store::NewMessage as StoreMessage;
use mailwire_server::{Accepted, MailStore, Mailboxes, Pop3Server, Security, Service, Throttle};
use mailwire_tokio::pop3::{Pop3Client, Pop3Error, SeenIds};
use mailwire_tokio::{DEFAULT_READ_BUFFER, MaybeTlsStream, Tls};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, ReadBuf};

fn n(n: u32) -> MessageNumber {
    MessageNumber::new(n).unwrap()
}

fn user() -> UserName {
    UserName::new("fred").unwrap()
}

fn password() -> Password {
    Password::new("secret").unwrap()
}

/// A memory store whose user `fred` has `messages` in INBOX, in this order.
async fn store(messages: &[&[u8]]) -> Memory {
    let memory = Memory::new();
    memory.add_user("fred", "secret");
    let mailboxes = memory.open("fred").await.unwrap();
    for content in messages {
        let message = StoreMessage {
            flags: vec![],
            internal_date: None,
            size: u32::try_from(content.len()).unwrap(),
        };
        mailboxes
            .append("INBOX", message, &mut &content[..])
            .await
            .unwrap();
    }
    memory
}

fn pop3_server(memory: &Memory, config: ServerConfig) -> Arc<Pop3Server<Memory, Memory>> {
    Arc::new(Pop3Server::new(
        config,
        Arc::new(memory.clone()),
        Arc::new(memory.clone()),
        Arc::new(Throttle::new()),
    ))
}

fn plaintext_server_config() -> ServerConfig {
    let mut config = ServerConfig::default();
    config.plaintext_login = PlaintextLogin::Allow;
    config
}

/// The client's end of a plaintext connection to `server`, which runs in its own task.
fn connect(server: &Arc<Pop3Server<Memory, Memory>>) -> DuplexStream {
    let (client_io, server_io) = tokio::io::duplex(64 * 1024);
    let peer = SocketAddr::from(([192, 0, 2, 7], 40000));
    let accepted = Accepted::new(
        MaybeTlsStream::Plain(server_io),
        peer,
        Security::Plain,
        Tls::None,
    );
    tokio::spawn(Arc::clone(server).serve(accepted));
    client_io
}

fn plaintext_client(plaintext_auth: bool) -> client::Config {
    let mut config = client::Config::default();
    config.stls = StlsPolicy::Never;
    config.plaintext_auth = plaintext_auth;
    config
}

async fn logged_in<IO: AsyncRead + AsyncWrite + Unpin>(io: IO) -> Pop3Client<IO> {
    let mut pop3 = Pop3Client::start(MaybeTlsStream::Plain(io), plaintext_client(true), Tls::None)
        .await
        .unwrap();
    let method = pop3.login(user(), password()).await.unwrap();
    assert_eq!(method, LoginMethod::UserPass);
    pop3
}

/// An `AsyncWrite` that keeps what it is given and the size of the largest write.
#[derive(Debug, Default)]
struct Sink {
    bytes: Vec<u8>,
    writes: usize,
    largest: usize,
}

impl AsyncWrite for Sink {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.bytes.extend_from_slice(buf);
        self.writes += 1;
        self.largest = self.largest.max(buf.len());
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// A message of about 3 MiB whose lines start with dots in every way the stuffing must
/// undo: a lone dot, two dots, a dot and text, and `.\r\n` right where 16 KiB reads split.
fn dotted_message() -> Vec<u8> {
    let mut message = b"From: ann@example.org\r\nSubject: dots\r\n\r\n".to_vec();
    let mut i = 0u32;
    while message.len() < 3 * 1024 * 1024 {
        match i % 5 {
            0 => message.extend_from_slice(b".\r\n"),
            1 => message.extend_from_slice(b"..\r\n"),
            2 => message.extend_from_slice(format!(".line {i} with a leading dot\r\n").as_bytes()),
            3 => message.extend_from_slice(
                format!("plain line {i} {}\r\n", "x".repeat((i % 97) as usize)).as_bytes(),
            ),
            _ => message.extend_from_slice(b"\r\n"),
        }
        i += 1;
    }
    message.extend_from_slice(b"the end\r\n");
    message
}

#[tokio::test]
async fn retr_streams_a_large_dot_stuffed_message_exactly() {
    let message = dotted_message();
    let memory = store(&[b"Subject: small\r\n\r\nhi\r\n", &message]).await;
    let server = pop3_server(&memory, plaintext_server_config());
    let mut pop3 = logged_in(connect(&server)).await;

    assert_eq!(pop3.stat().await.unwrap(), (2, 22 + message.len() as u64));
    assert_eq!(pop3.list_one(n(2)).await.unwrap(), message.len() as u64);
    let mut out = Sink::default();
    let size = pop3.retr(n(2), &mut out).await.unwrap();
    assert_eq!(size, message.len() as u64);
    assert!(out.bytes == message, "the message differs");
    // Written piece by piece as it arrived: no piece larger than one read (and the two
    // bytes the unstuffer may hold back from the read before), so never the whole.
    assert!(out.largest <= DEFAULT_READ_BUFFER + 2, "{}", out.largest);
    assert!(
        out.writes >= message.len() / DEFAULT_READ_BUFFER,
        "{}",
        out.writes
    );

    // The connection goes on in step after the large answer.
    let mut top = Vec::new();
    pop3.top(n(2), 2, &mut top).await.unwrap();
    assert_eq!(
        top,
        b"From: ann@example.org\r\nSubject: dots\r\n\r\n.\r\n..\r\n"
    );
    pop3.noop().await.unwrap();
    pop3.quit().await.unwrap();
}

#[tokio::test]
async fn only_new_messages_by_unique_id_and_deletions_at_quit() {
    let memory = store(&[
        b"Subject: one\r\n\r\n1\r\n",
        b"Subject: two\r\n\r\n22\r\n",
        b"Subject: three\r\n\r\n333\r\n",
    ])
    .await;
    let server = pop3_server(&memory, plaintext_server_config());

    let mut pop3 = logged_in(connect(&server)).await;
    let ids = pop3.uidl().await.unwrap();
    assert_eq!(ids.len(), 3);
    let mut seen = SeenIds::new();
    seen.insert(ids[1].unique_id.clone());
    let new = pop3.new_messages(&seen).await.unwrap();
    let got: Vec<_> = new
        .iter()
        .map(|m| (m.message, m.unique_id.clone(), m.size))
        .collect();
    assert_eq!(
        got,
        [
            (n(1), ids[0].unique_id.clone(), 19),
            (n(3), ids[2].unique_id.clone(), 23)
        ]
    );
    let mut fetched = Vec::new();
    for m in new {
        pop3.retr(m.message, &mut fetched).await.unwrap();
        seen.insert(m.unique_id);
    }
    assert_eq!(
        fetched,
        b"Subject: one\r\n\r\n1\r\nSubject: three\r\n\r\n333\r\n"
    );
    assert_eq!(pop3.uidl_one(n(3)).await.unwrap(), ids[2].unique_id);
    // Marked, unmarked, marked again: only the last counts at QUIT.
    pop3.dele(n(1)).await.unwrap();
    pop3.dele(n(2)).await.unwrap();
    pop3.rset().await.unwrap();
    pop3.dele(n(1)).await.unwrap();
    pop3.quit().await.unwrap();

    // A second session: nothing new, and the state forgets the deleted message.
    let text = seen.to_string();
    let mut seen = SeenIds::parse(&text).unwrap();
    let mut pop3 = logged_in(connect(&server)).await;
    assert_eq!(pop3.new_messages(&seen).await.unwrap(), []);
    let listed = pop3.uidl().await.unwrap();
    seen.retain_listed(&listed);
    let kept: Vec<_> = seen.iter().cloned().collect();
    let mut want = vec![ids[1].unique_id.clone(), ids[2].unique_id.clone()];
    want.sort();
    assert_eq!(kept, want);
    // A failing command is the server's refusal, and the session goes on.
    let err = pop3.retr(n(9), &mut Vec::new()).await.unwrap_err();
    assert!(
        matches!(err, Pop3Error::Refused(ref r) if !r.is_ok()),
        "{err}"
    );
    assert_eq!(pop3.stat().await.unwrap(), (2, 20 + 23));
    pop3.quit().await.unwrap();
}

/// A stream that records what the client writes.
struct Tap {
    io: DuplexStream,
    written: Arc<Mutex<Vec<u8>>>,
}

impl AsyncRead for Tap {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Tap {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            self.written.lock().unwrap().extend_from_slice(&buf[..n]);
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[tokio::test]
async fn no_password_in_clear_without_the_opt_in_but_apop_when_offered() {
    let memory = store(&[b"Subject: x\r\n\r\nx\r\n"]).await;
    let server = pop3_server(&memory, plaintext_server_config());
    let written = Arc::new(Mutex::new(Vec::new()));
    let tap = Tap {
        io: connect(&server),
        written: Arc::clone(&written),
    };
    let mut pop3 = Pop3Client::start(
        MaybeTlsStream::Plain(tap),
        plaintext_client(false),
        Tls::None,
    )
    .await
    .unwrap();
    let err = pop3.login(user(), password()).await.unwrap_err();
    assert!(
        matches!(err, Pop3Error::Usage(client::Error::NoLoginMethod)),
        "{err}"
    );
    assert_eq!(*written.lock().unwrap(), b"CAPA\r\n");
    // Nothing can be done before a login.
    assert!(matches!(
        pop3.stat().await,
        Err(Pop3Error::Usage(client::Error::WrongState { .. }))
    ));

    // A server that offers APOP gets it: the password stays off the wire.
    let mut config = plaintext_server_config();
    config.apop = true;
    let apop_server = pop3_server(&memory, config);
    let written = Arc::new(Mutex::new(Vec::new()));
    let tap = Tap {
        io: connect(&apop_server),
        written: Arc::clone(&written),
    };
    let mut pop3 = Pop3Client::start(
        MaybeTlsStream::Plain(tap),
        plaintext_client(false),
        Tls::None,
    )
    .await
    .unwrap();
    assert_eq!(
        pop3.login(user(), password()).await.unwrap(),
        LoginMethod::Apop
    );
    pop3.quit().await.unwrap();
    let sent = String::from_utf8(written.lock().unwrap().clone()).unwrap();
    assert!(sent.starts_with("CAPA\r\nAPOP fred "), "{sent}");
    assert!(!sent.contains("secret"), "{sent}");
}

#[tokio::test]
async fn connect_with_refuses_a_plaintext_login_on_loopback_unless_opted_in() {
    let memory = store(&[]).await;
    let server = pop3_server(&memory, plaintext_server_config());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accept = {
        let server = Arc::clone(&server);
        tokio::spawn(async move {
            for _ in 0..2 {
                let (socket, peer) = listener.accept().await.unwrap();
                let accepted = Accepted::new(
                    MaybeTlsStream::Plain(socket),
                    peer,
                    Security::Plain,
                    Tls::None,
                );
                tokio::spawn(Arc::clone(&server).serve(accepted));
            }
        })
    };
    let mut config = mailwire_tokio::pop3::Config::default();
    config.security = mailwire_tokio::connect::Security::Plaintext;
    let mut pop3 = Pop3Client::connect_with(&addr.to_string(), config.clone())
        .await
        .unwrap();
    assert!(!pop3.is_tls());
    assert!(matches!(
        pop3.login(user(), password()).await,
        Err(Pop3Error::Usage(client::Error::NoLoginMethod))
    ));
    config.plaintext_auth = true;
    let mut pop3 = Pop3Client::connect_with(&addr.to_string(), config)
        .await
        .unwrap();
    assert_eq!(
        pop3.login(user(), password()).await.unwrap(),
        LoginMethod::UserPass
    );
    assert_eq!(pop3.stat().await.unwrap(), (0, 0));
    pop3.quit().await.unwrap();
    accept.await.unwrap();

    // Without a port the default is port 995 and implicit TLS; a bad server string fails
    // before any connection.
    assert!(matches!(
        Pop3Client::connect("pop.example.org:notaport").await,
        Err(Pop3Error::BadServer(_))
    ));
}

/// A server that reads what the client sends and answers from a script: for each line the
/// client sends (after the greeting), the next answer; `None` is silence from then on.
async fn scripted(mut io: DuplexStream, greeting: &str, answers: Vec<Option<&'static [u8]>>) {
    io.write_all(greeting.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    for answer in answers {
        // One command a read is enough for these scripts: the client waits for each answer.
        let got = io.read(&mut buf).await.unwrap();
        if got == 0 {
            return;
        }
        match answer {
            Some(bytes) => io.write_all(bytes).await.unwrap(),
            None => {
                std::future::pending::<()>().await;
            }
        }
    }
    // Keep the connection open until the client is done.
    let _ = io.read(&mut buf).await;
}

fn short_timeout() -> client::Config {
    let mut config = plaintext_client(true);
    config.timeout = Duration::from_secs(30);
    config
}

#[tokio::test(start_paused = true)]
async fn a_silent_server_times_out_each_call() {
    // Silent after the greeting: connecting fails.
    let (client_io, server_io) = tokio::io::duplex(4096);
    tokio::spawn(scripted(server_io, "+OK hi\r\n", vec![None]));
    let started = tokio::time::Instant::now();
    let err = Pop3Client::start(MaybeTlsStream::Plain(client_io), short_timeout(), Tls::None)
        .await
        .unwrap_err();
    assert!(matches!(err, Pop3Error::Timeout), "{err}");
    assert_eq!(started.elapsed(), Duration::from_secs(30));

    // Silent in the middle of a message: RETR fails, with what came written out.
    let (client_io, server_io) = tokio::io::duplex(4096);
    tokio::spawn(scripted(
        server_io,
        "+OK hi\r\n",
        vec![
            Some(b"-ERR no CAPA\r\n"),
            Some(b"+OK\r\n"),
            Some(b"+OK in\r\n"),
            Some(b"+OK 12 octets\r\nSubject: a\r\n"),
            None,
        ],
    ));
    let mut pop3 = Pop3Client::start(MaybeTlsStream::Plain(client_io), short_timeout(), Tls::None)
        .await
        .unwrap();
    pop3.login(user(), password()).await.unwrap();
    let mut out = Vec::new();
    let started = tokio::time::Instant::now();
    let err = pop3.retr(n(1), &mut out).await.unwrap_err();
    assert!(matches!(err, Pop3Error::Timeout), "{err}");
    assert_eq!(started.elapsed(), Duration::from_secs(30));
    assert_eq!(out, b"Subject: a\r\n");

    // Silent after QUIT: quitting fails with the timeout, not as success.
    let (client_io, server_io) = tokio::io::duplex(4096);
    tokio::spawn(scripted(
        server_io,
        "+OK hi\r\n",
        vec![
            Some(b"-ERR no CAPA\r\n"),
            Some(b"+OK\r\n"),
            Some(b"+OK in\r\n"),
            None,
        ],
    ));
    let mut pop3 = Pop3Client::start(MaybeTlsStream::Plain(client_io), short_timeout(), Tls::None)
        .await
        .unwrap();
    pop3.login(user(), password()).await.unwrap();
    assert!(matches!(pop3.quit().await, Err(Pop3Error::Timeout)));
}

#[tokio::test]
async fn quit_reports_an_update_that_failed() {
    let (client_io, server_io) = tokio::io::duplex(4096);
    tokio::spawn(scripted(
        server_io,
        "+OK hi\r\n",
        vec![
            Some(b"-ERR no CAPA\r\n"),
            Some(b"+OK\r\n"),
            Some(b"+OK in\r\n"),
            Some(b"+OK marked\r\n"),
            Some(b"-ERR [SYS/TEMP] some deleted messages not removed\r\n"),
        ],
    ));
    let mut pop3 = Pop3Client::start(
        MaybeTlsStream::Plain(client_io),
        plaintext_client(true),
        Tls::None,
    )
    .await
    .unwrap();
    pop3.login(user(), password()).await.unwrap();
    pop3.dele(n(1)).await.unwrap();
    let err = pop3.quit().await.unwrap_err();
    let Pop3Error::NotDeleted(response) = err else {
        panic!("{err}")
    };
    assert_eq!(response.text(), "some deleted messages not removed");
}

/// An `AsyncWrite` that fails every write.
struct Broken;

impl AsyncWrite for Broken {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(Err(std::io::Error::other("disk full")))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn a_failed_write_leaves_the_connection_in_step() {
    let message = dotted_message();
    let memory = store(&[&message, b"Subject: two\r\n\r\n2\r\n"]).await;
    let server = pop3_server(&memory, plaintext_server_config());
    let mut pop3 = logged_in(connect(&server)).await;
    let err = pop3.retr(n(1), Broken).await.unwrap_err();
    assert!(
        matches!(err, Pop3Error::Output(ref e) if e.to_string() == "disk full"),
        "{err}"
    );
    let mut two = Vec::new();
    pop3.retr(n(2), &mut two).await.unwrap();
    assert_eq!(two, b"Subject: two\r\n\r\n2\r\n");
    pop3.quit().await.unwrap();
}

/// Serves `server` on loopback, for `connections` connections, each as `security` says:
/// implicit TLS (the handshake first), STLS offered, or plain.
async fn serve_on_loopback(
    server: Arc<Pop3Server<Memory, Memory>>,
    security: Security,
    tls: Tls,
    connections: usize,
) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        for _ in 0..connections {
            let (socket, peer) = listener.accept().await.unwrap();
            let stream = match security {
                Security::Implicit => MaybeTlsStream::Plain(socket).upgrade(&tls).await.unwrap(),
                _ => MaybeTlsStream::Plain(socket),
            };
            let accepted = Accepted::new(stream, peer, security, tls.clone());
            tokio::spawn(Arc::clone(&server).serve(accepted));
        }
    });
    (addr, task)
}

#[tokio::test]
async fn connect_with_implicit_tls_or_stls_from_the_port() {
    let memory = store(&[b"Subject: tls\r\n\r\nsecret stuff\r\n"]).await;
    // USER / PASS only under TLS: the server's default.
    let server = pop3_server(&memory, ServerConfig::default());
    let (client_tls, server_tls) = common::tls_pair();

    // Any port but 995 means STLS, required, with Security::Auto.
    let (addr, task) =
        serve_on_loopback(server.clone(), Security::StartTls, server_tls.clone(), 1).await;
    let mut config = mailwire_tokio::pop3::Config::default();
    config.tls = Some(client_tls.clone());
    let mut pop3 = Pop3Client::connect_with(&addr.to_string(), config.clone())
        .await
        .unwrap();
    assert!(pop3.is_tls());
    assert_eq!(
        pop3.login(user(), password()).await.unwrap(),
        LoginMethod::UserPass
    );
    let mut body = Vec::new();
    pop3.retr(n(1), &mut body).await.unwrap();
    assert_eq!(body, b"Subject: tls\r\n\r\nsecret stuff\r\n");
    pop3.quit().await.unwrap();
    task.await.unwrap();

    // Implicit TLS when asked, whatever the port.
    let (addr, task) =
        serve_on_loopback(server.clone(), Security::Implicit, server_tls.clone(), 1).await;
    config.security = mailwire_tokio::connect::Security::ImplicitTls;
    let mut pop3 = Pop3Client::connect_with(&addr.to_string(), config.clone())
        .await
        .unwrap();
    assert!(pop3.is_tls());
    assert_eq!(
        pop3.login(user(), password()).await.unwrap(),
        LoginMethod::UserPass
    );
    assert_eq!(pop3.stat().await.unwrap(), (1, 30));
    pop3.quit().await.unwrap();
    task.await.unwrap();

    // STLS required and not offered: no login is attempted.
    let (addr, task) = serve_on_loopback(server, Security::Plain, Tls::None, 1).await;
    config.security = mailwire_tokio::connect::Security::Auto;
    let err = Pop3Client::connect_with(&addr.to_string(), config)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Pop3Error::Refused(ref r) if !r.is_ok()),
        "{err}"
    );
    task.await.unwrap();
}

#[tokio::test]
async fn scram_sha256_when_offered_and_the_next_method_when_it_is_refused_without_auth() {
    let memory = store(&[]).await;
    let mut config = plaintext_server_config();
    config.sasl_mechanisms = vec![
        mailwire_pop3::sasl::Mechanism::ScramSha256,
        mailwire_pop3::sasl::Mechanism::Plain,
    ];
    let server = pop3_server(&memory, config);
    let written = Arc::new(Mutex::new(Vec::new()));
    let tap = Tap {
        io: connect(&server),
        written: Arc::clone(&written),
    };
    let mut pop3 = Pop3Client::start(
        MaybeTlsStream::Plain(tap),
        plaintext_client(false),
        Tls::None,
    )
    .await
    .unwrap();
    assert_eq!(
        pop3.login(user(), password()).await.unwrap(),
        LoginMethod::Sasl(mailwire_pop3::sasl::Mechanism::ScramSha256)
    );
    pop3.quit().await.unwrap();
    let sent = String::from_utf8(written.lock().unwrap().clone()).unwrap();
    assert!(sent.starts_with("CAPA\r\nAUTH SCRAM-SHA-256 "), "{sent}");
    assert!(!sent.contains("secret"), "{sent}");

    // A server that offers SCRAM-SHA-256 but cannot run it for this account.
    let (client_io, server_io) = tokio::io::duplex(4096);
    tokio::spawn(scripted(
        server_io,
        "+OK hi\r\n",
        vec![
            Some(b"+OK\r\nSASL SCRAM-SHA-256\r\nUSER\r\n.\r\n"),
            Some(b"-ERR mechanism unavailable\r\n"),
            Some(b"+OK\r\n"),
            Some(b"+OK in\r\n"),
            Some(b"+OK bye\r\n"),
        ],
    ));
    let mut pop3 = Pop3Client::start(
        MaybeTlsStream::Plain(client_io),
        plaintext_client(true),
        Tls::None,
    )
    .await
    .unwrap();
    assert_eq!(
        pop3.login(user(), password()).await.unwrap(),
        LoginMethod::UserPass
    );
    pop3.quit().await.unwrap();

    // Refused with [AUTH]: the credentials are wrong, and no other method is tried.
    let (client_io, server_io) = tokio::io::duplex(4096);
    tokio::spawn(scripted(
        server_io,
        "+OK hi\r\n",
        vec![
            Some(b"+OK\r\nSASL SCRAM-SHA-256\r\nUSER\r\n.\r\n"),
            Some(b"-ERR [AUTH] no\r\n"),
        ],
    ));
    // Were USER sent, the script would not answer it: a timeout, not this refusal.
    let mut pop3 = Pop3Client::start(MaybeTlsStream::Plain(client_io), short_timeout(), Tls::None)
        .await
        .unwrap();
    let err = pop3.login(user(), password()).await.unwrap_err();
    assert!(
        matches!(err, Pop3Error::Refused(ref r) if r.text() == "no"),
        "{err}"
    );
}

#[test]
fn pop3_ports_pick_the_tls_mode() {
    use mailwire_tokio::connect::{Endpoint, Ports, Security as Mode};
    let cases = [
        ("pop.example.org", 995, Mode::ImplicitTls),
        ("pop.example.org:995", 995, Mode::ImplicitTls),
        ("pop.example.org:110", 110, Mode::StartTls),
        ("pop.example.org:1110", 1110, Mode::StartTls),
    ];
    for (server, port, mode) in cases {
        let e = Endpoint::parse(server, Ports::POP3, Mode::Auto).unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.security),
            ("pop.example.org", port, mode)
        );
    }
}
