//! SmtpClient speaking LMTP (RFC 2033) to mailwire-server's LMTP server: LHLO, one reply
//! per accepted recipient after the data, over an in-memory pipe, TCP and a Unix socket.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use mailwire_server::memory::Memory;
use mailwire_server::{
    Accepted, Client, Delivery, Security, Service, SmtpServer, Throttle, Transaction,
};
use mailwire_smtp::client::{self, Envelope, RecipientResult};
use mailwire_smtp::server::Config;
use mailwire_smtp::{
    Domain, ForwardPath, Host, MailParameters, RcptParameters, Reply, ReversePath,
};
use mailwire_tokio::smtp::{self as smtp, SmtpClient, SmtpError};
use mailwire_tokio::{MaybeTlsStream, Tls};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// What the delivery was given: each message's recipients and body.
type Delivered = Arc<Mutex<Vec<(Vec<String>, Vec<u8>)>>>;

/// Refuses `nobody@…` at RCPT, and fails `full@…` temporarily once the body is in.
#[derive(Debug, Default, Clone)]
struct Mixed(Delivered);

struct Message {
    delivered: Delivered,
    recipients: Vec<String>,
    body: Vec<u8>,
}

fn reply(code: u16, text: &str) -> Reply {
    Reply::new(code, text).unwrap()
}

impl Delivery for Mixed {
    type Transaction = Message;

    async fn mail(
        &self,
        _client: &Client,
        _from: &ReversePath,
        _params: &MailParameters,
    ) -> Result<Message, Reply> {
        Ok(Message {
            delivered: Arc::clone(&self.0),
            recipients: Vec::new(),
            body: Vec::new(),
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

    async fn commit(self) -> Vec<Result<(), Reply>> {
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
        self.delivered
            .lock()
            .unwrap()
            .push((self.recipients, self.body));
        results
    }
}

fn server(delivery: &Mixed) -> Arc<SmtpServer<Memory, Mixed>> {
    server_with(delivery, true)
}

/// An LMTP server that offers CHUNKING or not.
fn server_with(delivery: &Mixed, chunking: bool) -> Arc<SmtpServer<Memory, Mixed>> {
    let mut config = Config::new(Domain::new("lmtp.example.org").unwrap());
    config.lmtp = true;
    config.chunking = chunking;
    config.starttls = false;
    config.auth_mechanisms.clear();
    Arc::new(SmtpServer::new(
        config,
        Arc::new(Memory::new()),
        Arc::new(delivery.clone()),
        Arc::new(Throttle::new()),
    ))
}

fn peer() -> SocketAddr {
    "127.0.0.1:40000".parse().unwrap()
}

/// A stream that keeps a copy of what crosses it each way.
struct Tap<IO> {
    io: IO,
    sent: Arc<Mutex<Vec<u8>>>,
    received: Arc<Mutex<Vec<u8>>>,
}

impl<IO: AsyncRead + Unpin> AsyncRead for Tap<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        let fresh = buf.filled()[before..].to_vec();
        self.received.lock().unwrap().extend_from_slice(&fresh);
        polled
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Tap<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            self.sent.lock().unwrap().extend_from_slice(&buf[..n]);
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

/// What the LMTP server's delivery was given below the `Received:` field the server put
/// on top, which must name the client as `hello` and the protocol as LMTP.
fn below_received(bytes: &[u8], hello: &str) -> Vec<u8> {
    let head =
        format!("Received: from {hello} ([127.0.0.1])\r\n\tby lmtp.example.org with LMTP id ");
    assert!(
        bytes.starts_with(head.as_bytes()),
        "{:?}",
        String::from_utf8_lossy(bytes)
    );
    // The field ends at the first line end not followed by a folded line.
    let end = (0..bytes.len())
        .find(|&i| bytes[i..].starts_with(b"\r\n") && bytes.get(i + 2) != Some(&b'\t'))
        .unwrap();
    bytes[end + 2..].to_vec()
}

fn envelope(recipients: &[&str]) -> Envelope {
    Envelope::new(
        ReversePath::parse("<ann@example.org>").unwrap(),
        recipients
            .iter()
            .map(|r| ForwardPath::parse(r).unwrap())
            .collect(),
    )
}

fn replies(results: &[RecipientResult]) -> Vec<String> {
    results
        .iter()
        .map(|r| format!("{} {}", r.recipient, r.reply.to_string().trim_end()))
        .collect()
}

const BODY: &[u8] = b"Subject: hi\r\n\r\n.a dot\r\nbye\r\n";

/// Sends one message to bob, nobody and full over an in-memory pipe, and returns what
/// the client wrote and what it read.
async fn transcript(chunking: bool) -> (String, String) {
    let delivery = Mixed::default();
    let (near, far) = tokio::io::duplex(4096);
    let served = tokio::spawn(server_with(&delivery, chunking).serve(Accepted::new(
        MaybeTlsStream::Plain(far),
        peer(),
        Security::Plain,
        Tls::None,
    )));
    let sent = Arc::new(Mutex::new(Vec::new()));
    let received = Arc::new(Mutex::new(Vec::new()));
    let tap = Tap {
        io: near,
        sent: Arc::clone(&sent),
        received: Arc::clone(&received),
    };
    let mut config = client::Config::new(Host::parse("mx.example.org").unwrap());
    config.lmtp = true;
    let mut lmtp = SmtpClient::start(MaybeTlsStream::Plain(tap), config, Tls::None)
        .await
        .unwrap();
    let results = lmtp
        .send_raw(
            envelope(&[
                "<bob@example.org>",
                "<nobody@example.org>",
                "<full@example.org>",
            ]),
            BODY,
        )
        .await
        .unwrap();
    assert_eq!(
        replies(&results),
        [
            "<bob@example.org> 250 2.0.0 Delivered",
            "<nobody@example.org> 550 5.1.1 no such user",
            "<full@example.org> 452 4.2.2 mailbox full",
        ]
    );
    lmtp.quit().await.unwrap();
    served.await.unwrap().unwrap();
    let mut delivered = delivery.0.lock().unwrap().clone();
    delivered[0].1 = below_received(&delivered[0].1, "mx.example.org");
    assert_eq!(
        delivered,
        [(
            vec![
                "<bob@example.org>".to_owned(),
                "<full@example.org>".to_owned()
            ],
            BODY.to_vec()
        )]
    );
    let text =
        |bytes: &Arc<Mutex<Vec<u8>>>| String::from_utf8(bytes.lock().unwrap().clone()).unwrap();
    (text(&sent), text(&received))
}

#[tokio::test]
async fn one_reply_per_accepted_recipient_after_data() {
    let (sent, received) = transcript(false).await;
    assert_eq!(
        sent,
        "LHLO mx.example.org\r\n\
         MAIL FROM:<ann@example.org>\r\n\
         RCPT TO:<bob@example.org>\r\n\
         RCPT TO:<nobody@example.org>\r\n\
         RCPT TO:<full@example.org>\r\n\
         DATA\r\n\
         Subject: hi\r\n\r\n..a dot\r\nbye\r\n.\r\n\
         QUIT\r\n"
    );
    assert_eq!(
        received,
        "220 lmtp.example.org ESMTP ready\r\n\
         250-lmtp.example.org\r\n\
         250-PIPELINING\r\n\
         250-SIZE 52428800\r\n\
         250-8BITMIME\r\n\
         250-SMTPUTF8\r\n\
         250-ENHANCEDSTATUSCODES\r\n\
         250 HELP\r\n\
         250 2.1.0 Ok\r\n\
         250 2.1.5 Ok\r\n\
         550 5.1.1 no such user\r\n\
         250 2.1.5 Ok\r\n\
         354 End data with <CR><LF>.<CR><LF>\r\n\
         250 2.0.0 Delivered\r\n\
         452 4.2.2 mailbox full\r\n\
         221 2.0.0 Bye\r\n"
    );
}

#[tokio::test]
async fn one_reply_per_accepted_recipient_after_bdat_last() {
    let (sent, received) = transcript(true).await;
    assert_eq!(
        sent,
        "LHLO mx.example.org\r\n\
         MAIL FROM:<ann@example.org>\r\n\
         RCPT TO:<bob@example.org>\r\n\
         RCPT TO:<nobody@example.org>\r\n\
         RCPT TO:<full@example.org>\r\n\
         BDAT 28\r\nSubject: hi\r\n\r\n.a dot\r\nbye\r\n\
         BDAT 0 LAST\r\n\
         QUIT\r\n"
    );
    assert_eq!(
        received,
        "220 lmtp.example.org ESMTP ready\r\n\
         250-lmtp.example.org\r\n\
         250-PIPELINING\r\n\
         250-SIZE 52428800\r\n\
         250-8BITMIME\r\n\
         250-SMTPUTF8\r\n\
         250-CHUNKING\r\n\
         250-BINARYMIME\r\n\
         250-ENHANCEDSTATUSCODES\r\n\
         250 HELP\r\n\
         250 2.1.0 Ok\r\n\
         250 2.1.5 Ok\r\n\
         550 5.1.1 no such user\r\n\
         250 2.1.5 Ok\r\n\
         250 2.0.0 28 octets received\r\n\
         250 2.0.0 Delivered\r\n\
         452 4.2.2 mailbox full\r\n\
         221 2.0.0 Bye\r\n"
    );
}

#[tokio::test]
async fn over_tcp_with_the_lmtp_config() {
    let delivery = Mixed::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = server(&delivery);
    let served = tokio::spawn(async move {
        let (stream, peer) = listener.accept().await.unwrap();
        let accepted = Accepted::new(
            MaybeTlsStream::Plain(stream),
            peer,
            Security::Plain,
            Tls::None,
        );
        server.serve(accepted).await
    });
    let mut lmtp = SmtpClient::connect_with(&addr.to_string(), smtp::Config::lmtp())
        .await
        .unwrap();
    assert!(!lmtp.is_tls());
    let results = lmtp
        .send_raw(envelope(&["<full@example.org>", "<bob@example.org>"]), BODY)
        .await
        .unwrap();
    assert_eq!(
        replies(&results),
        [
            "<full@example.org> 452 4.2.2 mailbox full",
            "<bob@example.org> 250 2.0.0 Delivered",
        ]
    );
    lmtp.quit().await.unwrap();
    served.await.unwrap().unwrap();
}

#[cfg(unix)]
#[tokio::test]
async fn over_a_unix_socket() {
    let dir = std::env::temp_dir().join(format!("mailwire-lmtp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("lmtp");
    let _ = std::fs::remove_file(&path);
    let listener = tokio::net::UnixListener::bind(&path).unwrap();
    let delivery = Mixed::default();
    let server = server(&delivery);
    let served = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let accepted = Accepted::new(
            MaybeTlsStream::Plain(stream),
            peer(),
            Security::Plain,
            Tls::None,
        );
        server.serve(accepted).await
    });
    let mut lmtp = SmtpClient::connect_unix(&path, smtp::Config::lmtp())
        .await
        .unwrap();
    let results = lmtp
        .send_raw(envelope(&["<bob@example.org>"]), BODY)
        .await
        .unwrap();
    assert_eq!(replies(&results), ["<bob@example.org> 250 2.0.0 Delivered"]);
    lmtp.quit().await.unwrap();
    served.await.unwrap().unwrap();
    assert_eq!(
        below_received(&delivery.0.lock().unwrap()[0].1, "localhost"),
        b"Subject: hi\r\n\r\n.a dot\r\nbye\r\n"
    );

    // Nobody listens there any more.
    std::fs::remove_file(&path).unwrap();
    let refused = SmtpClient::connect_unix(&path, smtp::Config::lmtp()).await;
    assert!(
        matches!(&refused, Err(SmtpError::Connect(e)) if e.kind() == std::io::ErrorKind::NotFound),
        "{refused:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
