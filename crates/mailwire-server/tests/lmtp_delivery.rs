//! LmtpDelivery: mail taken over SMTP or LMTP is handed on to another LMTP server, the
//! body streamed through, each recipient given that server's own reply; an unreachable
//! server is a temporary failure, and an abandoned message is not delivered.

mod wire;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use mailwire_server::memory::Memory;
use mailwire_server::{
    Accepted, Client, Delivery, LmtpDelivery, LmtpTarget, Security, Service, SmtpServer, Throttle,
    Transaction,
};
use mailwire_smtp::server::Config;
use mailwire_smtp::{Domain, ForwardPath, MailParameters, RcptParameters, Reply, ReversePath};
use mailwire_tokio::{MaybeTlsStream, Tls};
use wire::{PATIENCE, Wire};

/// What the LMTP server behind was given.
#[derive(Debug, Default)]
struct Seen {
    /// Each message: its sender, recipients and body.
    delivered: Vec<(String, Vec<String>, Vec<u8>)>,
    /// Transactions begun (MAIL FROM taken).
    begun: usize,
    /// Transactions dropped without a commit.
    abandoned: usize,
}

/// The LMTP server behind: refuses `nobody@…` at RCPT, and fails `full@…` temporarily
/// once the body is in.
#[derive(Debug, Default, Clone)]
struct Behind(Arc<Mutex<Seen>>);

struct Message {
    seen: Arc<Mutex<Seen>>,
    from: String,
    recipients: Vec<String>,
    body: Vec<u8>,
    committed: bool,
}

fn reply(code: u16, text: &str) -> Reply {
    Reply::new(code, text).unwrap()
}

impl Delivery for Behind {
    type Transaction = Message;

    async fn mail(
        &self,
        _client: &Client,
        from: &ReversePath,
        _params: &MailParameters,
    ) -> Result<Message, Reply> {
        self.0.lock().unwrap().begun += 1;
        Ok(Message {
            seen: Arc::clone(&self.0),
            from: from.to_string(),
            recipients: Vec::new(),
            body: Vec::new(),
            committed: false,
        })
    }
}

impl Transaction for Message {
    async fn rcpt(&mut self, to: &ForwardPath, _params: &RcptParameters) -> Result<(), Reply> {
        let to = to.to_string();
        if to.starts_with("<nobody@") {
            return Err(reply(550, "5.1.1 no such user"));
        }
        self.recipients.push(to);
        Ok(())
    }

    async fn data(&mut self, chunk: Bytes) -> Result<(), Reply> {
        self.body.extend_from_slice(&chunk);
        Ok(())
    }

    async fn commit(mut self) -> Vec<Result<(), Reply>> {
        self.committed = true;
        let results = self
            .recipients
            .iter()
            .map(|r| {
                if r.starts_with("<full@") {
                    Err(reply(452, "4.2.2 mailbox full"))
                } else {
                    Ok(())
                }
            })
            .collect();
        let message = (
            std::mem::take(&mut self.from),
            std::mem::take(&mut self.recipients),
            std::mem::take(&mut self.body),
        );
        self.seen.lock().unwrap().delivered.push(message);
        results
    }
}

impl Drop for Message {
    fn drop(&mut self) {
        if !self.committed {
            self.seen.lock().unwrap().abandoned += 1;
        }
    }
}

fn config(lmtp: bool) -> Config {
    let mut config = Config::new(Domain::new("mx.example.org").unwrap());
    config.lmtp = lmtp;
    config.starttls = false;
    config.auth_mechanisms.clear();
    config
}

fn server<D: Delivery>(lmtp: bool, delivery: D) -> Arc<SmtpServer<Memory, D>> {
    Arc::new(SmtpServer::new(
        config(lmtp),
        Arc::new(Memory::new()),
        Arc::new(delivery),
        Arc::new(Throttle::new()),
    ))
}

/// Serves the LMTP server behind on a free TCP port, one connection after another.
async fn behind_on_tcp(behind: &Behind) -> LmtpTarget {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = server(true, behind.clone());
    tokio::spawn(async move {
        while let Ok((stream, peer)) = listener.accept().await {
            let accepted = Accepted::new(
                MaybeTlsStream::Plain(stream),
                peer,
                Security::Plain,
                Tls::None,
            );
            tokio::spawn(Arc::clone(&server).serve(accepted));
        }
    });
    LmtpTarget::Tcp(addr.to_string())
}

/// An SMTP (or LMTP) front whose mail goes to `target`.
fn front(lmtp: bool, target: LmtpTarget) -> Arc<SmtpServer<Memory, LmtpDelivery>> {
    server(lmtp, LmtpDelivery::new(target))
}

async fn hello(w: &mut Wire, lmtp: bool) {
    w.until("220 ").await;
    let verb = if lmtp { "LHLO" } else { "EHLO" };
    w.ask(&format!("{verb} client.example"), "250 ").await;
}

/// Waits (boundedly) until `done` holds of what the server behind saw.
async fn settle(behind: &Behind, done: impl Fn(&Seen) -> bool) {
    let waited = tokio::time::timeout(PATIENCE, async {
        while !done(&behind.0.lock().unwrap()) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "{:?}", behind.0.lock().unwrap());
}

#[tokio::test]
async fn smtp_mail_goes_through_byte_for_byte() {
    let behind = Behind::default();
    let front = front(false, behind_on_tcp(&behind).await);
    let mut w = Wire::connect(&front);
    hello(&mut w, false).await;
    assert_eq!(
        w.ask("MAIL FROM:<ann@example.org>", "250").await,
        "250 2.1.0 Ok\r\n"
    );
    assert_eq!(
        w.ask("RCPT TO:<bob@example.org>", "250").await,
        "250 2.1.5 Ok\r\n"
    );
    w.ask("DATA", "354").await;
    // Big enough to cross in many pieces; lines with dots are stuffed on both hops.
    let mut body = b"Subject: big\r\n\r\n".to_vec();
    for i in 0..20_000 {
        body.extend_from_slice(format!(".line {i} of the body\r\n").as_bytes());
    }
    let mut stuffed = body.clone();
    stuffed = String::from_utf8(stuffed)
        .unwrap()
        .replace("\n.", "\n..")
        .into_bytes();
    w.send(&stuffed).await;
    assert_eq!(w.ask(".", "250").await, "250 2.0.0 Ok: queued\r\n");
    let seen = behind.0.lock().unwrap();
    assert_eq!(seen.delivered.len(), 1);
    let (from, to, got) = &seen.delivered[0];
    assert_eq!(from, "<ann@example.org>");
    assert_eq!(to, &["<bob@example.org>"]);
    // The front's field (from the client, over SMTP) under the LMTP server's own.
    let got = wire::below_received(got, &[("[127.0.0.1]", "LMTP"), ("client.example", "ESMTP")]);
    assert!(got == body, "{} octets, not {}", got.len(), body.len());
}

#[tokio::test]
async fn lmtp_front_passes_each_recipients_reply_on() {
    let behind = Behind::default();
    let front = front(true, behind_on_tcp(&behind).await);
    let mut w = Wire::connect(&front);
    hello(&mut w, true).await;
    w.ask("MAIL FROM:<ann@example.org>", "250").await;
    w.ask("RCPT TO:<bob@example.org>", "250").await;
    w.ask("RCPT TO:<full@example.org>", "250").await;
    w.ask("RCPT TO:<nobody@example.org>", "250").await;
    w.ask("DATA", "354").await;
    w.send("Subject: hi\r\n\r\nhello\r\n.\r\n").await;
    assert_eq!(
        w.until("550").await,
        "250 2.0.0 Delivered\r\n452 4.2.2 mailbox full\r\n550 5.1.1 no such user\r\n"
    );
    let mut seen = behind.0.lock().unwrap().delivered.clone();
    seen[0].2 = wire::below_received(
        &seen[0].2,
        &[("[127.0.0.1]", "LMTP"), ("client.example", "LMTP")],
    );
    assert_eq!(
        seen,
        [(
            "<ann@example.org>".to_owned(),
            vec![
                "<bob@example.org>".to_owned(),
                "<full@example.org>".to_owned()
            ],
            b"Subject: hi\r\n\r\nhello\r\n".to_vec()
        )]
    );
}

#[tokio::test]
async fn a_temporary_failure_stays_temporary_over_smtp() {
    let behind = Behind::default();
    let front = front(false, behind_on_tcp(&behind).await);
    let mut w = Wire::connect(&front);
    hello(&mut w, false).await;
    w.ask("MAIL FROM:<ann@example.org>", "250").await;
    w.ask("RCPT TO:<full@example.org>", "250").await;
    w.ask("DATA", "354").await;
    w.send("Subject: hi\r\n\r\nhello\r\n").await;
    assert_eq!(w.ask(".", "452").await, "452 4.2.2 mailbox full\r\n");
}

#[tokio::test]
async fn an_unreachable_server_is_a_temporary_failure() {
    // A port that was free a moment ago, and nobody listens on now.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let front = front(false, LmtpTarget::Tcp(addr.to_string()));
    let mut w = Wire::connect(&front);
    hello(&mut w, false).await;
    w.ask("MAIL FROM:<ann@example.org>", "250").await;
    w.ask("RCPT TO:<bob@example.org>", "250").await;
    w.ask("DATA", "354").await;
    w.send("Subject: hi\r\n\r\nhello\r\n").await;
    assert_eq!(
        w.ask(".", "451").await,
        "451 4.4.1 mailbox server unreachable, try again later\r\n"
    );
    // The connection goes on: the next message can be tried.
    assert_eq!(
        w.ask("MAIL FROM:<ann@example.org>", "250").await,
        "250 2.1.0 Ok\r\n"
    );
}

#[tokio::test]
async fn an_abandoned_message_is_not_delivered() {
    let behind = Behind::default();
    let front = front(false, behind_on_tcp(&behind).await);
    let mut w = Wire::connect(&front);
    hello(&mut w, false).await;
    w.ask("MAIL FROM:<ann@example.org>", "250").await;
    w.ask("RCPT TO:<bob@example.org>", "250").await;
    w.ask("DATA", "354").await;
    w.send("Subject: hi\r\n\r\nhalf a mess").await;
    // The transaction behind is under way before the client goes away.
    settle(&behind, |seen| seen.begun == 1).await;
    drop(w);
    settle(&behind, |seen| seen.abandoned == 1).await;
    assert!(behind.0.lock().unwrap().delivered.is_empty());
}

#[cfg(unix)]
#[tokio::test]
async fn over_a_unix_socket() {
    let dir = std::env::temp_dir().join(format!("mailwire-lmtp-delivery-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("lmtp");
    let _ = std::fs::remove_file(&path);
    let listener = tokio::net::UnixListener::bind(&path).unwrap();
    let behind = Behind::default();
    let server = server(true, behind.clone());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let accepted = Accepted::new(
                MaybeTlsStream::Plain(stream),
                wire::peer(),
                Security::Plain,
                Tls::None,
            );
            tokio::spawn(Arc::clone(&server).serve(accepted));
        }
    });
    let target: LmtpTarget = format!("unix:{}", path.display()).parse().unwrap();
    let front = front(false, target);
    let mut w = Wire::connect(&front);
    hello(&mut w, false).await;
    w.ask("MAIL FROM:<>", "250").await;
    w.ask("RCPT TO:<bob@example.org>", "250").await;
    w.ask("DATA", "354").await;
    assert_eq!(w.ask("hello\r\n.", "250").await, "250 2.0.0 Ok: queued\r\n");
    let mut seen = behind.0.lock().unwrap().delivered.clone();
    seen[0].2 = wire::below_received(
        &seen[0].2,
        &[("localhost", "LMTP"), ("client.example", "ESMTP")],
    );
    assert_eq!(
        seen,
        [(
            "<>".to_owned(),
            vec!["<bob@example.org>".to_owned()],
            b"hello\r\n".to_vec()
        )]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
