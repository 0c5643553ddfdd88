//! What the driver, TLS and client tests share: session settings, recording handlers,
//! certificates and line readers.

#![allow(dead_code, reason = "each test binary uses a different part")]

use std::sync::{Arc, Mutex};

use mailwire_pop3::UniqueId;
use mailwire_pop3::server::{
    BodyFlow, Config as Pop3Config, Event as Pop3Event, Maildrop, MessageInfo, PlaintextLogin,
    Session as Pop3Server,
};
use mailwire_sasl::{AuthAnswer, AuthQuestion};
use mailwire_smtp::client::{self, Envelope, TlsPolicy};
use mailwire_smtp::server::{Config, Event, Session};
use mailwire_smtp::{Domain, ForwardPath, Host, ReversePath};
use mailwire_tokio::{Connection, Error, Handler, MaybeTlsStream, Tls};
use rustls::RootCertStore;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, DuplexStream};

pub(crate) const MESSAGE: &[u8] =
    b"From: a@client.example\r\nSubject: test\r\n\r\n.leading dot\r\n..two\r\n.\r\nend\r\n";

pub(crate) fn smtp_config() -> Config {
    let mut config = Config::new(Domain::new("mx.example.org").unwrap());
    config.starttls = false;
    config.auth_mechanisms.clear();
    config
}

pub(crate) fn client_config(tls: TlsPolicy) -> client::Config {
    let mut config = client::Config::new(Host::parse("client.example").unwrap());
    config.tls = tls;
    config
}

pub(crate) fn envelope(recipients: &[&str]) -> Envelope {
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
pub(crate) struct Seen {
    pub(crate) senders: Vec<String>,
    pub(crate) bodies: Vec<Vec<u8>>,
    body: Vec<u8>,
}

/// Accepts every sender and recipient except `<refused@…>`, and records what came.
#[derive(Debug, Default, Clone)]
pub(crate) struct Recorder(pub(crate) Arc<Mutex<Seen>>);

impl Recorder {
    pub(crate) fn seen(&self) -> Seen {
        self.0.lock().unwrap().clone()
    }

    pub(crate) fn answer(&self, session: &mut Session, event: Event) {
        let mut seen = self.0.lock().unwrap();
        match event {
            Event::Mail { from, .. } => {
                seen.senders.push(from.to_string());
                session.accept().unwrap();
            }
            Event::Rcpt { to, .. } => {
                if to.to_string().starts_with("<refused@") {
                    let reply = mailwire_smtp::Reply::new(550, "no such user").unwrap();
                    session.reject(reply).unwrap();
                } else {
                    session.accept().unwrap();
                }
            }
            Event::Auth {
                question:
                    AuthQuestion::Password {
                        authcid, password, ..
                    },
            } => {
                seen.senders.push(format!("auth {authcid}"));
                let answer = if password.expose() == "tanstaaf" {
                    AuthAnswer::Accept
                } else {
                    AuthAnswer::Reject
                };
                session.answer_auth(answer).unwrap();
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

pub(crate) fn spawn_smtp_server(
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

/// A self-signed certificate for `localhost`, its key, and roots that trust it.
pub(crate) fn localhost_certificate() -> (
    CertificateDer<'static>,
    PrivateKeyDer<'static>,
    RootCertStore,
) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert: CertificateDer<'static> = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let mut roots = RootCertStore::empty();
    roots.add(cert.clone()).unwrap();
    (cert, key, roots)
}

/// A self-signed certificate for `localhost`, and TLS settings for both sides.
pub(crate) fn tls_pair() -> (Tls, Tls) {
    let (cert, key, roots) = localhost_certificate();
    let server = Tls::server_with_certificate(vec![cert], key).unwrap();
    let client = Tls::client_with_roots("localhost", roots).unwrap();
    (client, server)
}

/// Runs the TLS handshake over an in-memory pipe and returns the cipher suite the client
/// negotiated.
pub(crate) async fn negotiated_suite(client: &Tls, server: &Tls) -> rustls::CipherSuite {
    let (client_io, server_io) = tokio::io::duplex(4096);
    let server = server.clone();
    let accept = tokio::spawn(async move {
        MaybeTlsStream::Plain(server_io)
            .upgrade(&server)
            .await
            .unwrap()
    });
    let stream = MaybeTlsStream::Plain(client_io)
        .upgrade(client)
        .await
        .unwrap();
    let _server_stream = accept.await.unwrap();
    let MaybeTlsStream::ClientTls(tls) = stream else {
        panic!("not a client TLS stream");
    };
    tls.get_ref().1.negotiated_cipher_suite().unwrap().suite()
}

pub(crate) async fn read_reply(io: &mut (impl AsyncReadExt + Unpin)) -> String {
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

/// A one-message POP3 maildrop for `tim` / `tanstaaf`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Maildrop1 {
    pub(crate) deleted: Arc<Mutex<Vec<String>>>,
}

impl Handler<Pop3Server> for Maildrop1 {
    async fn handle(&mut self, server: &mut Pop3Server, event: Pop3Event) {
        match event {
            Pop3Event::Auth { question } => {
                let answer = match question {
                    AuthQuestion::Password {
                        authcid, password, ..
                    } if authcid == "tim" && password.expose() == "tanstaaf" => AuthAnswer::Accept,
                    _ => AuthAnswer::Reject,
                };
                server.answer_auth(answer).unwrap();
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

pub(crate) fn pop3_server_config() -> Arc<Pop3Config> {
    let mut config = Pop3Config::default();
    config.plaintext_login = PlaintextLogin::Allow;
    config.stls = false;
    config.sasl_mechanisms.clear();
    Arc::new(config)
}

/// Reads one CRLF-terminated line.
pub(crate) async fn read_line(io: &mut (impl AsyncReadExt + Unpin)) -> String {
    let mut out = Vec::new();
    while !out.ends_with(b"\r\n") {
        let mut byte = [0];
        io.read_exact(&mut byte).await.unwrap();
        out.push(byte[0]);
    }
    String::from_utf8(out).unwrap()
}
