//! The test service and client helpers the listener tests share.

#![allow(dead_code, reason = "each test binary uses a different part")]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use mailwire_server::{Accepted, Listeners, Service, ShutdownSignal, next_event_or_shutdown};
use mailwire_smtp::Domain;
use mailwire_smtp::sasl::AuthAnswer;
use mailwire_smtp::server::{Config, Event, Session};
use mailwire_tokio::{Connection, Next};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::Notify;

pub(crate) const GREETING: &[u8] = b"220 mx.example.org ESMTP ready\r\n";
pub(crate) const REFUSAL: &[u8] = b"421 4.7.0 mx.example.org Too many connections, try later\r\n";
pub(crate) const GOODBYE: &[u8] = b"421 4.3.2 mx.example.org Service shutting down\r\n";

/// An SMTP service that accepts every sender, recipient, message and login.
///
/// A recipient whose address starts with `slow` is accepted only once shutdown is
/// requested (a lookup still under way when the request comes), and a sender starting
/// with `stuck` is never answered; `deciding` is notified when either begins.
pub(crate) struct Smtp {
    pub(crate) config: Arc<Config>,
    pub(crate) deciding: Arc<Notify>,
}

impl Smtp {
    pub(crate) fn new(config: Config) -> Arc<Self> {
        Arc::new(Self {
            config: Arc::new(config),
            deciding: Arc::new(Notify::new()),
        })
    }
}

impl Service for Smtp {
    fn protocol(&self) -> &'static str {
        "smtp"
    }

    fn refusal(&self) -> &'static [u8] {
        REFUSAL
    }

    async fn serve<IO>(self: Arc<Self>, accepted: Accepted<IO>) -> Result<(), mailwire_tokio::Error>
    where
        IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let session = Session::new(Arc::clone(&self.config));
        let mut conn = Connection::new(accepted.stream, session, accepted.tls);
        let shutdown = accepted.shutdown;
        loop {
            match next_event_or_shutdown(&mut conn, &shutdown).await? {
                Next::Event(event) => self.answer(&mut conn, event, &shutdown).await,
                Next::Woken(()) => conn.session_mut().shutdown(),
                Next::Closed => return Ok(()),
            }
        }
    }
}

impl Smtp {
    async fn answer<IO: AsyncRead + AsyncWrite + Unpin>(
        &self,
        conn: &mut Connection<Session, IO>,
        event: Event,
        shutdown: &ShutdownSignal,
    ) {
        match event {
            Event::Mail { from, .. } if from.to_string().starts_with("<stuck") => {
                self.deciding.notify_one();
                std::future::pending::<()>().await;
            }
            Event::Rcpt { to, .. } if to.to_string().starts_with("<slow") => {
                self.deciding.notify_one();
                shutdown.requested().await;
                conn.session_mut().accept().unwrap();
            }
            Event::Mail { .. } | Event::Rcpt { .. } | Event::Message { .. } => {
                conn.session_mut().accept().unwrap();
            }
            Event::Auth { .. } => conn.session_mut().answer_auth(AuthAnswer::Accept).unwrap(),
            Event::Authenticated { identity, .. } => {
                tracing::Span::current().record("user", identity.acting_as());
            }
            _ => {}
        }
    }
}

pub(crate) fn config() -> Config {
    Config::new(Domain::new("mx.example.org").unwrap())
}

pub(crate) async fn bind() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").await.unwrap()
}

/// Reads one reply, a single line or the lines of a multiline reply up to its last.
pub(crate) async fn read_reply(io: &mut (impl AsyncRead + Unpin)) -> String {
    let mut out = Vec::new();
    loop {
        let mut byte = [0];
        io.read_exact(&mut byte).await.unwrap();
        out.push(byte[0]);
        if out.ends_with(b"\r\n") {
            let line_start = out[..out.len() - 2]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            if out.get(line_start + 3) == Some(&b' ') {
                return String::from_utf8(out).unwrap();
            }
        }
    }
}

/// Sends a command and reads its reply.
pub(crate) async fn command(io: &mut (impl AsyncRead + AsyncWrite + Unpin), line: &str) -> String {
    io.write_all(line.as_bytes()).await.unwrap();
    read_reply(io).await
}

/// Everything the server still sends until it closes.
pub(crate) async fn rest(io: &mut (impl AsyncRead + Unpin)) -> Vec<u8> {
    let mut out = Vec::new();
    io.read_to_end(&mut out).await.unwrap();
    out
}

/// A connection whose greeting has been read: the server counts it.
pub(crate) async fn greeted(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    assert_eq!(read_reply(&mut stream).await.as_bytes(), GREETING);
    stream
}

/// Connects from the loopback address `from` (any of 127.0.0.0/8).
pub(crate) async fn connect_from(from: [u8; 4], addr: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from((from, 0))).unwrap();
    socket.connect(addr).await.unwrap()
}

/// Waits until the listeners count `n` connections (a closed connection is counted out
/// just after the client sees it close).
pub(crate) async fn until_connections(listeners: &Listeners, n: usize) {
    while listeners.connections() != n {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
