//! The bound on the time a command may take to arrive, enforced by the driver for the three
//! server sessions: a client that sends one byte every few seconds is closed with the
//! protocol's goodbye when the bound runs out, however often the per-read timeout
//! restarts; a client that sends its commands in time is not affected.

use std::time::Duration;

use mailwire_core::Session;
use mailwire_smtp::Domain;
use mailwire_tokio::{Connection, MaybeTlsStream, Tls};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep};

/// The bound the tests configure: a byte every 5 s gets five bytes in (at 0, 5, 10, 15
/// and 20 s), and no command of six bytes or more completes.
const BOUND: Duration = Duration::from_secs(22);

fn smtp() -> mailwire_smtp::server::Session {
    let mut config = mailwire_smtp::server::Config::new(Domain::new("mx.example.org").unwrap());
    config.command_timeout = Some(BOUND);
    mailwire_smtp::server::Session::new(config)
}

fn pop3() -> mailwire_pop3::server::Session {
    let mut config = mailwire_pop3::server::Config::default();
    config.command_timeout = Some(BOUND);
    mailwire_pop3::server::Session::new(config)
}

fn imap() -> mailwire_imap::server::Session {
    let mut config = mailwire_imap::server::Config::default();
    config.command_timeout = Some(BOUND);
    mailwire_imap::server::Session::new(config)
}

/// Runs `session` over one end of a pipe, ignoring its events (the commands used here
/// raise none that need an answer).
fn serve<S>(session: S) -> (DuplexStream, JoinHandle<()>)
where
    S: Session + Send + 'static,
    S::Event: Send,
{
    let (client, server) = tokio::io::duplex(4096);
    let task = tokio::spawn(async move {
        Connection::new(MaybeTlsStream::Plain(server), session, Tls::None)
            .run_with(|_, _| {})
            .await
            .unwrap();
    });
    (client, task)
}

/// Sends `bytes` one at a time, `every` apart, from now on, until the server is gone;
/// returns everything the server wrote until it closed, and when it closed.
async fn trickle(io: DuplexStream, bytes: &'static [u8], every: Duration) -> (String, Instant) {
    let (mut read, mut write) = tokio::io::split(io);
    let writer = tokio::spawn(async move {
        for &b in bytes {
            if write.write_all(&[b]).await.is_err() {
                return;
            }
            sleep(every).await;
        }
        // Keep the connection open: only the server may end it.
        std::future::pending::<()>().await;
    });
    let mut out = Vec::new();
    read.read_to_end(&mut out).await.unwrap();
    let closed = Instant::now();
    writer.abort();
    (String::from_utf8(out).unwrap(), closed)
}

/// Splits the greeting (the first line) from the rest.
fn after_greeting(out: &str) -> &str {
    out.split_once("\r\n").map_or("", |(_, rest)| rest)
}

#[tokio::test(start_paused = true)]
async fn smtp_closes_a_trickling_command_with_421_at_the_bound() {
    let (io, server) = serve(smtp());
    let start = Instant::now();
    let (out, closed) = trickle(io, b"NOOP\r\n", Duration::from_secs(5)).await;
    assert_eq!(
        after_greeting(&out),
        "421 4.4.2 Timeout, closing connection\r\n"
    );
    assert_eq!(closed - start, BOUND);
    server.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn pop3_closes_a_trickling_command_at_the_bound_without_a_response() {
    // RFC 1939 §3: a timed-out POP3 session closes without a response.
    let (io, server) = serve(pop3());
    let start = Instant::now();
    let (out, closed) = trickle(io, b"CAPA\r\n", Duration::from_secs(5)).await;
    assert_eq!(out, "+OK POP3 server ready\r\n");
    assert_eq!(closed - start, BOUND);
    server.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn imap_closes_a_trickling_command_with_bye_at_the_bound() {
    let (io, server) = serve(imap());
    let start = Instant::now();
    let (out, closed) = trickle(io, b"a NOOP\r\n", Duration::from_secs(5)).await;
    assert_eq!(
        after_greeting(&out),
        "* BYE Autologout; idle for too long\r\n"
    );
    assert_eq!(closed - start, BOUND);
    server.await.unwrap();
}

/// Sends each command slowly but within the bound, pausing between commands for far
/// longer than the bound; returns what the server wrote until it closed.
async fn converse(io: DuplexStream, commands: &[&'static [u8]]) -> String {
    let (mut read, mut write) = tokio::io::split(io);
    let commands: Vec<&'static [u8]> = commands.to_vec();
    let writer = tokio::spawn(async move {
        for command in commands {
            // A byte every 2 s: a ten-byte command takes 18 s, under the 22 s bound.
            for &b in command {
                write.write_all(&[b]).await.unwrap();
                sleep(Duration::from_secs(2)).await;
            }
            // Between commands the bound does not run; the 5-minute timeout does.
            sleep(Duration::from_secs(100)).await;
        }
        std::future::pending::<()>().await;
    });
    let mut out = Vec::new();
    read.read_to_end(&mut out).await.unwrap();
    writer.abort();
    String::from_utf8(out).unwrap()
}

#[tokio::test(start_paused = true)]
async fn commands_sent_within_the_bound_are_answered() {
    let (io, server) = serve(smtp());
    let out = converse(io, &[b"NOOP\r\n", b"NOOP\r\n", b"QUIT\r\n"]).await;
    assert_eq!(
        after_greeting(&out),
        "250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n"
    );
    server.await.unwrap();

    let (io, server) = serve(pop3());
    let out = converse(io, &[b"QUIT\r\n"]).await;
    assert_eq!(
        after_greeting(&out),
        "+OK localhost POP3 server signing off\r\n"
    );
    server.await.unwrap();

    let (io, server) = serve(imap());
    let out = converse(io, &[b"a NOOP\r\n", b"b LOGOUT\r\n"]).await;
    assert_eq!(
        after_greeting(&out),
        "a OK NOOP completed\r\n* BYE Logging out\r\nb OK LOGOUT completed\r\n"
    );
    server.await.unwrap();
}
