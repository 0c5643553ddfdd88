//! The driver and the server helper: timeouts, EOF, stalls, and failing handlers.

mod common;

use common::*;

use mailwire_core::Session as _;
use mailwire_smtp::client::{self, TlsPolicy};
use mailwire_smtp::server::{Event, Session};
use mailwire_tokio::server::Server;
use mailwire_tokio::smtp::SmtpClient;
use mailwire_tokio::{Connection, Error, Handler, MaybeTlsStream, Tls};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

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
            mailwire_tokio::smtp::SmtpError::Failed(client::Failure::TimedOut { after })
                if after == std::time::Duration::from_secs(300)
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
        let mut config = mailwire_tokio::smtp::Config::default();
        config.security = mailwire_tokio::connect::Security::Plaintext;
        config.hostname = Some(mailwire_smtp::Host::parse("client.example").unwrap());
        let mut smtp = SmtpClient::connect_with(&addr.to_string(), config)
            .await
            .unwrap();
        let results = smtp
            .send_raw(envelope(&["<b@mx.example.org>"]), MESSAGE)
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
