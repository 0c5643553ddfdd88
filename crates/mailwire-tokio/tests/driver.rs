//! The driver, the TLS upgrade, the clients and the server helper, over in-memory pipes and
//! loopback TCP.

use std::sync::{Arc, Mutex};

use mailwire_core::Session as _;
use mailwire_pop3::server::{
    BodyFlow, Config as Pop3Config, Event as Pop3Event, Maildrop, MessageInfo, PlaintextLogin,
    Server as Pop3Server,
};
use mailwire_pop3::{MessageNumber, Password, UniqueId, UserName};
use mailwire_smtp::client::{self, Envelope, TlsPolicy};
use mailwire_smtp::server::{Config, Event, Session};
use mailwire_smtp::{Domain, ForwardPath, Host, ReversePath};
use mailwire_tokio::pop3::Pop3Client;
use mailwire_tokio::server::Server;
use mailwire_tokio::smtp::SmtpClient;
use mailwire_tokio::{Connection, Error, Handler, MaybeTlsStream, Tls};
use rustls::RootCertStore;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::net::TcpListener;

const MESSAGE: &[u8] =
    b"From: a@client.example\r\nSubject: test\r\n\r\n.leading dot\r\n..two\r\n.\r\nend\r\n";

fn smtp_config() -> Config {
    let mut config = Config::new(Domain::new("mx.example.org").unwrap());
    config.starttls = false;
    config.auth_mechanisms.clear();
    config
}

fn client_config(tls: TlsPolicy) -> client::Config {
    let mut config = client::Config::new(Host::parse("client.example").unwrap());
    config.tls = tls;
    config
}

fn envelope(recipients: &[&str]) -> Envelope {
    let to = recipients
        .iter()
        .map(|r| ForwardPath::parse(r).unwrap())
        .collect();
    Envelope::for_message(
        ReversePath::parse("<a@client.example>").unwrap(),
        to,
        MESSAGE,
    )
}

/// What an SMTP server saw: senders, and each message's body.
#[derive(Debug, Default, Clone)]
struct Seen {
    senders: Vec<String>,
    bodies: Vec<Vec<u8>>,
    body: Vec<u8>,
}

/// Accepts every sender and recipient except `<refused@…>`, and records what came.
#[derive(Debug, Default, Clone)]
struct Recorder(Arc<Mutex<Seen>>);

impl Recorder {
    fn seen(&self) -> Seen {
        self.0.lock().unwrap().clone()
    }

    fn answer(&self, session: &mut Session, event: Event) {
        let mut seen = self.0.lock().unwrap();
        match event {
            Event::Mail { from, .. } => {
                seen.senders.push(from.to_string());
                session.accept().unwrap();
            }
            Event::Rcpt { to, .. } => {
                if to.to_string().starts_with("<refused@") {
                    let reply = mailwire_smtp::Reply::new(
                        mailwire_smtp::ReplyCode::new(550).unwrap(),
                        "no such user",
                    )
                    .unwrap();
                    session.reject(reply).unwrap();
                } else {
                    session.accept().unwrap();
                }
            }
            Event::VerifyPassword {
                authcid, password, ..
            } => {
                seen.senders.push(format!("auth {authcid}"));
                if password.expose() == "tanstaaf" {
                    session.accept().unwrap();
                } else {
                    let reply = mailwire_smtp::Reply::new(
                        mailwire_smtp::ReplyCode::new(535).unwrap(),
                        "bad credentials",
                    )
                    .unwrap();
                    session.reject(reply).unwrap();
                }
            }
            Event::MessageData { chunk } => seen.body.extend_from_slice(&chunk),
            Event::Message { .. } => {
                let body = std::mem::take(&mut seen.body);
                seen.bodies.push(body);
                session.accept().unwrap();
            }
            _ => {}
        }
    }
}

impl Handler<Session> for Recorder {
    async fn handle(&mut self, session: &mut Session, event: Event) {
        // An await point, as a real handler's lookup would have.
        tokio::task::yield_now().await;
        self.answer(session, event);
    }
}

fn spawn_smtp_server(
    io: DuplexStream,
    config: Config,
    tls: Tls,
    recorder: Recorder,
) -> tokio::task::JoinHandle<Result<Session, Error>> {
    tokio::spawn(async move {
        let mut recorder = recorder;
        Connection::new(MaybeTlsStream::Plain(io), Session::new(config), tls)
            .run(&mut recorder)
            .await
    })
}

#[tokio::test]
async fn smtp_delivery_over_a_pipe() {
    let (client_io, server_io) = tokio::io::duplex(1024);
    let recorder = Recorder::default();
    let server = spawn_smtp_server(server_io, smtp_config(), Tls::None, recorder.clone());

    let mut smtp = SmtpClient::start(
        MaybeTlsStream::Plain(client_io),
        client_config(TlsPolicy::Opportunistic),
        Tls::None,
    )
    .await
    .unwrap();
    assert!(!smtp.is_tls());
    let results = smtp
        .send(
            envelope(&["<b@mx.example.org>", "<refused@mx.example.org>"]),
            MESSAGE,
        )
        .await
        .unwrap();
    let outcome: Vec<_> = results
        .iter()
        .map(|r| (r.recipient.to_string(), r.reply.code().get()))
        .collect();
    assert_eq!(
        outcome,
        [
            ("<b@mx.example.org>".to_owned(), 250),
            ("<refused@mx.example.org>".to_owned(), 550)
        ]
    );
    // A second message on the same connection.
    let results = smtp
        .send(
            envelope(&["<c@mx.example.org>"]),
            &b"Subject: 2\r\n\r\nx\r\n"[..],
        )
        .await
        .unwrap();
    assert!(results[0].is_delivered());
    smtp.quit().await.unwrap();

    let session = server.await.unwrap().unwrap();
    assert_eq!(session.transport(), mailwire_core::Transport::Close);
    let seen = recorder.seen();
    assert_eq!(
        seen.bodies,
        [MESSAGE.to_vec(), b"Subject: 2\r\n\r\nx\r\n".to_vec()]
    );
}

/// A self-signed certificate for `localhost`, and TLS settings for both sides.
fn tls_pair() -> (Tls, Tls) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert: CertificateDer<'static> = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let server = Tls::server_with_certificate(vec![cert.clone()], key).unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(cert).unwrap();
    let client = Tls::client_with_roots("localhost", roots).unwrap();
    (client, server)
}

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
        .send(envelope(&["<b@mx.example.org>"]), MESSAGE)
        .await
        .unwrap();
    assert!(results[0].is_delivered());
    smtp.quit().await.unwrap();

    let session = server.await.unwrap().unwrap();
    assert!(session.is_tls());
    assert_eq!(recorder.seen().bodies, [MESSAGE.to_vec()]);
}

async fn read_reply(io: &mut (impl AsyncReadExt + Unpin)) -> String {
    // Replies here are single lines or end with a line starting "250 ".
    let mut out = Vec::new();
    loop {
        let mut byte = [0];
        io.read_exact(&mut byte).await.unwrap();
        out.push(byte[0]);
        if out.ends_with(b"\r\n") {
            let last = out[..out.len() - 2]
                .rsplit(|&b| b == b'\n')
                .next()
                .unwrap()
                .to_vec();
            if last.get(3) == Some(&b' ') {
                return String::from_utf8(out).unwrap();
            }
        }
    }
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

#[tokio::test(start_paused = true)]
async fn a_silent_client_times_out() {
    let (mut client_io, server_io) = tokio::io::duplex(4096);
    let server = spawn_smtp_server(server_io, smtp_config(), Tls::None, Recorder::default());
    let mut all = Vec::new();
    // The paused clock jumps to the session's timeout as soon as everyone waits.
    client_io.read_to_end(&mut all).await.unwrap();
    assert_eq!(
        String::from_utf8(all).unwrap(),
        "220 mx.example.org ESMTP ready\r\n421 4.4.2 Timeout, closing connection\r\n"
    );
    let session = server.await.unwrap().unwrap();
    assert_eq!(session.transport(), mailwire_core::Transport::Close);
}

#[tokio::test(start_paused = true)]
async fn a_client_that_waits_for_a_silent_server_gives_up() {
    let (client_io, mut server_io) = tokio::io::duplex(4096);
    let client = tokio::spawn(async move {
        SmtpClient::start(
            MaybeTlsStream::Plain(client_io),
            client_config(TlsPolicy::Never),
            Tls::None,
        )
        .await
    });
    let err = client.await.unwrap().unwrap_err();
    assert!(
        matches!(
            err,
            mailwire_tokio::smtp::SmtpError::Failed(client::Failure::ConnectionLost)
        ),
        "{err}"
    );
    // The client sent nothing and closed.
    let mut rest = Vec::new();
    server_io.read_to_end(&mut rest).await.unwrap();
    assert_eq!(rest, b"");
}

#[tokio::test]
async fn eof_from_the_client_ends_the_connection() {
    let (mut client_io, server_io) = tokio::io::duplex(4096);
    let recorder = Recorder::default();
    let server = spawn_smtp_server(server_io, smtp_config(), Tls::None, recorder.clone());
    client_io
        .write_all(b"HELO client.example\r\nMAIL FROM:<a@client.example>\r\n")
        .await
        .unwrap();
    client_io.shutdown().await.unwrap();
    let mut all = Vec::new();
    client_io.read_to_end(&mut all).await.unwrap();
    assert_eq!(
        String::from_utf8(all).unwrap(),
        "220 mx.example.org ESMTP ready\r\n250 mx.example.org\r\n250 2.1.0 Ok\r\n"
    );
    server.await.unwrap().unwrap();
    assert_eq!(recorder.seen().senders, ["<a@client.example>"]);
}

#[tokio::test]
async fn smtp_over_loopback_with_the_server_helper() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let recorder = Recorder::default();
    let for_server = recorder.clone();
    let mut server = Server::new(listener, Tls::None, false, move |_peer| {
        (Session::new(smtp_config()), for_server.clone())
    });
    let client = tokio::spawn(async move {
        let mut smtp = SmtpClient::connect(addr, client_config(TlsPolicy::Never), Tls::None, false)
            .await
            .unwrap();
        let results = smtp
            .send(envelope(&["<b@mx.example.org>"]), MESSAGE)
            .await
            .unwrap();
        smtp.quit().await.unwrap();
        results
    });
    let finished = server.next_finished().await.unwrap();
    finished.result.unwrap();
    assert_eq!(finished.peer.ip(), addr.ip());
    assert_eq!(server.active(), 0);
    assert!(client.await.unwrap()[0].is_delivered());
    assert_eq!(recorder.seen().bodies, [MESSAGE.to_vec()]);
}

/// A one-message POP3 maildrop for `tim` / `tanstaaf`.
#[derive(Debug, Clone, Default)]
struct Maildrop1 {
    deleted: Arc<Mutex<Vec<String>>>,
}

impl Handler<Pop3Server> for Maildrop1 {
    async fn handle(&mut self, server: &mut Pop3Server, event: Pop3Event) {
        match event {
            Pop3Event::CheckPassword { user, password } => {
                if user.as_str() == "tim" && password.secret().expose() == "tanstaaf" {
                    server.accept_credentials().unwrap();
                } else {
                    server.reject_credentials().unwrap();
                }
            }
            Pop3Event::OpenMaildrop { .. } => {
                let info = MessageInfo {
                    size: MESSAGE.len() as u64,
                    unique_id: UniqueId::new("m1").unwrap(),
                };
                server.open_maildrop(Maildrop::new(vec![info])).unwrap();
            }
            Pop3Event::Retrieve { .. } => {
                // Streams in small pieces, as from a file.
                for piece in MESSAGE.chunks(7) {
                    assert_eq!(server.send_body(piece).unwrap(), BodyFlow::More);
                }
                server.end_body().unwrap();
            }
            Pop3Event::Update { deleted } => {
                let mut gone = self.deleted.lock().unwrap();
                gone.extend(deleted.iter().map(|d| d.unique_id.as_str().to_owned()));
                server.finish_update(true).unwrap();
            }
            _ => {}
        }
    }
}

fn pop3_server_config() -> Arc<Pop3Config> {
    let mut config = Pop3Config::default();
    config.plaintext_login = PlaintextLogin::Allow;
    config.stls = false;
    config.sasl_mechanisms.clear();
    Arc::new(config)
}

#[tokio::test]
async fn pop3_fetch_over_loopback() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let maildrop = Maildrop1::default();
    let for_server = maildrop.clone();
    let mut server = Server::new(listener, Tls::None, false, move |_peer| {
        (
            Pop3Server::new(pop3_server_config(), None),
            for_server.clone(),
        )
    });
    let client = tokio::spawn(async move {
        let config = mailwire_pop3::client::Config::default()
            .with_stls(mailwire_pop3::client::StlsPolicy::Never)
            .with_plaintext_password(true);
        let mut pop3 = Pop3Client::connect(addr, config, Tls::None, false)
            .await
            .unwrap();
        let refused = pop3
            .login(
                UserName::new("tim").unwrap(),
                Password::new("wrong").unwrap(),
            )
            .await;
        assert!(matches!(
            refused,
            Err(mailwire_tokio::pop3::Pop3Error::Refused(_))
        ));
        pop3.login(
            UserName::new("tim").unwrap(),
            Password::new("tanstaaf").unwrap(),
        )
        .await
        .unwrap();
        let stat = pop3.stat().await.unwrap();
        let list = pop3.list().await.unwrap();
        let mut body = Vec::new();
        let one = MessageNumber::new(1).unwrap();
        let size = pop3.retr(one, &mut body).await.unwrap();
        pop3.dele(one).await.unwrap();
        pop3.quit().await.unwrap();
        (stat, list.len(), size, body)
    });
    server.next_finished().await.unwrap().result.unwrap();
    let (stat, listed, size, body) = client.await.unwrap();
    assert_eq!(stat, (1, MESSAGE.len() as u64));
    assert_eq!(listed, 1);
    assert_eq!(size, MESSAGE.len() as u64);
    assert_eq!(body, MESSAGE);
    assert_eq!(*maildrop.deleted.lock().unwrap(), ["m1"]);
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
        let mut smtp = SmtpClient::connect(addr, client_config(TlsPolicy::Never), client_tls, true)
            .await
            .unwrap();
        assert!(smtp.is_tls());
        let results = smtp
            .send(envelope(&["<b@mx.example.org>"]), MESSAGE)
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

/// Reads one CRLF-terminated line.
async fn read_line(io: &mut (impl AsyncReadExt + Unpin)) -> String {
    let mut out = Vec::new();
    while !out.ends_with(b"\r\n") {
        let mut byte = [0];
        io.read_exact(&mut byte).await.unwrap();
        out.push(byte[0]);
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn imap_login_select_fetch_against_a_transcript() {
    use mailwire_imap::codec::{Limits, decode_command};
    use mailwire_imap::types::{Data, Mailbox, MessageDataItem};
    use mailwire_tokio::imap::ImapClient;

    let (client_io, mut server_io) = tokio::io::duplex(4096);
    let server = tokio::spawn(async move {
        let transcript: [(&str, &[u8]); 5] = [
            (
                "A1 LOGIN fred secret\r\n",
                b"A1 OK [CAPABILITY IMAP4rev1] logged in\r\n",
            ),
            (
                "A2 SELECT INBOX\r\n",
                b"* 1 EXISTS\r\n* OK [UIDVALIDITY 3] ok\r\nA2 OK [READ-WRITE] selected\r\n",
            ),
            (
                "A3 FETCH 1 BODY.PEEK[]\r\n",
                b"* 1 FETCH (BODY[] {7}\r\nhel\r\nlo)\r\n* 2 EXISTS\r\nA3 OK done\r\n",
            ),
            ("A4 NOOP\r\n", b"A4 NO not now\r\n"),
            ("A5 LOGOUT\r\n", b"* BYE bye\r\nA5 OK done\r\n"),
        ];
        server_io
            .write_all(b"* OK [CAPABILITY IMAP4rev1] ready\r\n")
            .await
            .unwrap();
        for (line, answer) in transcript {
            assert_eq!(read_line(&mut server_io).await, line);
            server_io.write_all(answer).await.unwrap();
        }
        let mut rest = Vec::new();
        server_io.read_to_end(&mut rest).await.unwrap();
        rest
    });

    let mut imap = ImapClient::start(MaybeTlsStream::Plain(client_io), Tls::None)
        .await
        .unwrap();
    imap.login("fred", "secret").await.unwrap();
    let selected = imap.select(Mailbox::new("INBOX").unwrap()).await.unwrap();
    assert_eq!(selected.text.to_string(), "selected");
    assert!(selected.data.contains(&Data::Exists(1)), "{selected:?}");

    let fetch = decode_command(b"X FETCH 1 BODY.PEEK[]\r\n", &Limits::default())
        .unwrap()
        .complete()
        .unwrap()
        .0
        .body;
    let fetched = imap.run(fetch).await.unwrap();
    let [Data::Fetch { seq, items }] = &fetched.data[..] else {
        panic!("{fetched:?}")
    };
    assert_eq!(seq.get(), 1);
    let [
        MessageDataItem::BodySection {
            data: Some(body), ..
        },
    ] = &items[..]
    else {
        panic!("{items:?}")
    };
    assert_eq!(body.as_bytes(), b"hel\r\nlo");
    assert_eq!(imap.take_unsolicited(), [Data::Exists(2)]);

    let refused = imap
        .run(mailwire_imap::types::CommandBody::Noop)
        .await
        .unwrap_err();
    assert!(
        matches!(
            &refused,
            mailwire_tokio::imap::ImapError::Refused { completion: mailwire_imap::types::Completion::No, text }
                if text.to_string() == "not now"
        ),
        "{refused}"
    );
    imap.logout().await.unwrap();
    assert_eq!(server.await.unwrap(), b"");
}

#[tokio::test]
async fn an_unanswered_event_stalls_the_driver() {
    let (mut client_io, server_io) = tokio::io::duplex(1 << 20);
    let server = tokio::spawn(async move {
        Connection::new(
            MaybeTlsStream::Plain(server_io),
            Session::new(smtp_config()),
            Tls::None,
        )
        // Answers nothing: MAIL waits for a decision forever.
        .run_with(|_, _| {})
        .await
    });
    // MAIL, then more pipelined commands than the session buffers while it waits.
    let mut input = b"HELO client.example\r\nMAIL FROM:<a@client.example>\r\n".to_vec();
    while input.len() < 80 * 1024 {
        input.extend_from_slice(b"NOOP\r\n");
    }
    client_io.write_all(&input).await.unwrap();
    let err = server.await.unwrap().unwrap_err();
    assert!(matches!(err, Error::Stalled), "{err}");
}

/// Panics on the first MAIL.
#[derive(Debug)]
struct Panics;

impl Handler<Session> for Panics {
    async fn handle(&mut self, _: &mut Session, event: Event) {
        assert!(!matches!(event, Event::Mail { .. }), "handler gave up");
    }
}

#[tokio::test]
async fn a_panicking_handler_is_reported_with_its_peer() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut server = Server::new(listener, Tls::None, false, |_peer| {
        (Session::new(smtp_config()), Panics)
    });
    let client = tokio::spawn(async move {
        let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let local = tcp.local_addr().unwrap();
        tcp.write_all(b"HELO client.example\r\nMAIL FROM:<a@client.example>\r\n")
            .await
            .unwrap();
        let mut rest = Vec::new();
        // The connection drops with the task.
        let _ = tcp.read_to_end(&mut rest).await;
        local
    });
    let finished = server.next_finished().await.unwrap();
    let local = client.await.unwrap();
    assert_eq!(finished.peer, local);
    let Err(Error::Io(e)) = finished.result else {
        panic!("{:?}", finished.result)
    };
    assert_eq!(e.kind(), std::io::ErrorKind::Other);
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
        let session = Pop3Server::new(Arc::new(config), None);
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
async fn a_large_message_streams_through_a_small_pipe() {
    // 300 KiB through a 1 KiB pipe: the client writes each piece before reading the next.
    let mut message = b"Subject: large\r\n\r\n".to_vec();
    let mut i = 0;
    while message.len() < 300 * 1024 {
        message.extend_from_slice(format!(".line {i:06} of the body\r\n").as_bytes());
        i += 1;
    }
    let (client_io, server_io) = tokio::io::duplex(1024);
    let recorder = Recorder::default();
    let server = spawn_smtp_server(server_io, smtp_config(), Tls::None, recorder.clone());
    let mut smtp = SmtpClient::start(
        MaybeTlsStream::Plain(client_io),
        client_config(TlsPolicy::Never),
        Tls::None,
    )
    .await
    .unwrap();
    let to = vec![ForwardPath::parse("<b@mx.example.org>").unwrap()];
    let from = ReversePath::parse("<a@client.example>").unwrap();
    let results = smtp
        .send(Envelope::for_message(from, to, &message), &message[..])
        .await
        .unwrap();
    assert!(results[0].is_delivered());
    smtp.quit().await.unwrap();
    server.await.unwrap().unwrap();
    assert_eq!(recorder.seen().bodies, [message]);
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
        .send(envelope(&["<b@mx.example.org>"]), MESSAGE)
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
        "SMTP session failed: authentication failed: 535 bad credentials"
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

#[tokio::test(start_paused = true)]
async fn bdat_replies_are_read_while_the_body_streams() {
    // Each 64 KiB BDAT chunk gets its own reply; through a 128-byte pipe the server's
    // replies fill it long before the body is sent, unless the client reads them as it
    // goes. (With the paused clock, a deadlock would end in the sessions' timeouts.)
    let mut message = b"Subject: chunks\r\n\r\n".to_vec();
    while message.len() < 1024 * 1024 {
        message.extend_from_slice(b"0123456789abcdef0123456789abcdef0123456789abcdef012345\r\n");
    }
    let (client_io, server_io) = tokio::io::duplex(128);
    let recorder = Recorder::default();
    let server = spawn_smtp_server(server_io, smtp_config(), Tls::None, recorder.clone());
    let mut smtp = SmtpClient::start(
        MaybeTlsStream::Plain(client_io),
        client_config(TlsPolicy::Never),
        Tls::None,
    )
    .await
    .unwrap();
    assert!(
        smtp.capabilities()
            .is_some_and(|c| c.has(&mailwire_smtp::Capability::Chunking))
    );
    let to = vec![ForwardPath::parse("<b@mx.example.org>").unwrap()];
    let from = ReversePath::parse("<a@client.example>").unwrap();
    let results = smtp
        .send(Envelope::for_message(from, to, &message), &message[..])
        .await
        .unwrap();
    assert!(results[0].is_delivered());
    smtp.quit().await.unwrap();
    server.await.unwrap().unwrap();
    assert_eq!(recorder.seen().bodies, [message]);
}
