//! Holds many IMAP connections idle on a running server, measures what they cost it, and
//! checks that one delivery reaches them all.
//!
//! ```text
//! ulimit -n 20000   # here and in the server's shell: a descriptor per connection on each side
//! cargo run --example mail-server -- --max-connections 20000 --max-per-ip 20000 &
//! cargo run --example idle-load -- --imap 127.0.0.1:1143 --smtp 127.0.0.1:2525 \
//!     --user user --password password --server-pid "$(pgrep -n mail-server)" --connections 10000
//! ```
//!
//! Each connection logs in (`LOGIN`), selects INBOX and enters `IDLE`, at most
//! `--concurrency` of them being set up at once. Once all are idle, the server's resident
//! set size (`VmRSS` in `/proc/PID/status`) is read again and the growth divided by the
//! number of connections is printed, in KiB. Kernel socket buffers are not in the server's
//! RSS and so are not counted. Then one message is sent over SMTP, and every connection
//! must be told `* N EXISTS` with N one more than SELECT said, within `--timeout` seconds.
//!
//! The exit status is non-zero if a connection fails, a step is refused, or a connection
//! is not told of the new message in time. The figures are printed on standard output.

#![allow(
    clippy::print_stdout,
    reason = "the figures are what the program is for"
)]

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, mpsc, watch};

/// Holds many IMAP connections in IDLE and checks that one delivery reaches them all.
#[derive(Debug, Parser)]
#[command(name = "idle-load")]
struct Args {
    /// The server's IMAP address.
    #[arg(long)]
    imap: SocketAddr,
    /// The server's SMTP address, for the one delivery.
    #[arg(long)]
    smtp: SocketAddr,
    /// The account to log in as.
    #[arg(long)]
    user: String,
    /// The account's password.
    #[arg(long)]
    password: String,
    /// Where the one message is sent: the user name if it is an address, else the name at
    /// localhost.
    #[arg(long)]
    rcpt: Option<String>,
    /// The server's process id, whose resident set size is measured.
    #[arg(long)]
    server_pid: u32,
    /// Connections to hold.
    #[arg(long, default_value_t = 10_000)]
    connections: usize,
    /// Connections being set up at once.
    #[arg(long, default_value_t = 100)]
    concurrency: usize,
    /// Seconds allowed for each phase: setting up the connections, then hearing of the
    /// delivery.
    #[arg(long, default_value_t = 120)]
    timeout: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("idle-load: {e}");
            ExitCode::FAILURE
        }
    }
}

type Error = Box<dyn std::error::Error + Send + Sync>;

async fn run(args: Args) -> Result<(), Error> {
    let phase = Duration::from_secs(args.timeout);
    let before = rss_kib(args.server_pid)?;
    let started = Instant::now();

    let login = format!(
        "a LOGIN {} {}\r\n",
        quoted(&args.user),
        quoted(&args.password)
    );
    let gate = Arc::new(Semaphore::new(args.concurrency));
    let (idle_tx, mut idle_rx) = mpsc::channel::<Result<u32, Error>>(args.connections);
    let (told_tx, mut told_rx) = mpsc::channel::<Result<(), Error>>(args.connections);
    // Connections hold their sockets until this says the measurement is over.
    let (done_tx, done_rx) = watch::channel(false);
    for _ in 0..args.connections {
        let (gate, login) = (Arc::clone(&gate), login.clone());
        let (idle_tx, told_tx, mut done_rx) = (idle_tx.clone(), told_tx.clone(), done_rx.clone());
        let imap = args.imap;
        tokio::spawn(async move {
            let permit = gate.acquire_owned().await.expect("the gate stays open");
            let (mut conn, exists) = match idle(imap, &login).await {
                Ok(idle) => idle,
                Err(e) => {
                    let _ = idle_tx.send(Err(e)).await;
                    return;
                }
            };
            drop(permit);
            let _ = idle_tx.send(Ok(exists)).await;
            let told = tokio::select! {
                told = wait_for_exists(&mut conn, exists + 1) => told,
                _ = done_rx.changed() => return,
            };
            let _ = told_tx.send(told).await;
            // Keep the connection open until every other one has been heard from.
            let _ = done_rx.changed().await;
        });
    }
    drop((idle_tx, told_tx));

    let mut exists = None;
    for n in 0..args.connections {
        let got = tokio::time::timeout_at((started + phase).into(), idle_rx.recv())
            .await
            .map_err(|_| {
                format!(
                    "{n} of {} connections idle after {phase:?}",
                    args.connections
                )
            })?
            .ok_or("a connection task ended")?;
        let count = got.map_err(|e| format!("connection {n}: {e}"))?;
        if *exists.get_or_insert(count) != count {
            return Err(format!("SELECT said {count} EXISTS, and {exists:?} before").into());
        }
    }
    let setup = started.elapsed();
    // Let the server finish what the last connections started before measuring.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_kib(args.server_pid)?;
    let n = args.connections;
    println!(
        "{n} connections in IDLE after {:.1} s; server RSS {before} KiB before, {after} KiB after: {:.1} KiB per connection",
        setup.as_secs_f64(),
        after.saturating_sub(before) as f64 / n as f64
    );

    let sent = Instant::now();
    let rcpt = match args.rcpt {
        Some(rcpt) => rcpt,
        None if args.user.contains('@') => args.user.clone(),
        None => format!("{}@localhost", args.user),
    };
    deliver(args.smtp, &rcpt).await?;
    for told in 0..n {
        let got = tokio::time::timeout_at((sent + phase).into(), told_rx.recv())
            .await
            .map_err(|_| format!("{told} of {n} connections told of the delivery after {phase:?}"))?
            .ok_or("a connection task ended")?;
        got.map_err(|e| format!("after the delivery: {e}"))?;
    }
    println!(
        "all {n} connections told `* {} EXISTS` within {:.2} s of the delivery",
        exists.unwrap_or(0) + 1,
        sent.elapsed().as_secs_f64()
    );
    let _ = done_tx.send(true);
    Ok(())
}

type Connection = BufReader<TcpStream>;

/// Connects, logs in, selects INBOX and enters IDLE; returns the connection and the
/// number of messages SELECT reported.
async fn idle(imap: SocketAddr, login: &str) -> Result<(Connection, u32), Error> {
    let mut conn = BufReader::new(TcpStream::connect(imap).await?);
    let greeting = line(&mut conn).await?;
    if !greeting.starts_with("* OK") {
        return Err(format!("greeting {greeting:?}").into());
    }
    command(&mut conn, login, "a").await?;
    let lines = command(&mut conn, "b SELECT INBOX\r\n", "b").await?;
    let exists = lines
        .iter()
        .find_map(|l| l.strip_prefix("* ")?.strip_suffix(" EXISTS")?.parse().ok())
        .ok_or("no EXISTS in SELECT's answer")?;
    conn.get_mut().write_all(b"c IDLE\r\n").await?;
    let answer = line(&mut conn).await?;
    if !answer.starts_with('+') {
        return Err(format!("IDLE answered {answer:?}").into());
    }
    Ok((conn, exists))
}

/// Reads untagged lines until `* WANT EXISTS`.
async fn wait_for_exists(conn: &mut Connection, want: u32) -> Result<(), Error> {
    let expected = format!("* {want} EXISTS");
    loop {
        let l = line(conn).await?;
        if l == expected {
            return Ok(());
        }
        if !l.starts_with("* ") {
            return Err(format!("in IDLE: {l:?}").into());
        }
    }
}

/// Sends `text` and reads up to the tagged answer, which must be OK; returns the lines
/// before it.
async fn command(conn: &mut Connection, text: &str, tag: &str) -> Result<Vec<String>, Error> {
    conn.get_mut().write_all(text.as_bytes()).await?;
    let mut lines = Vec::new();
    loop {
        let l = line(conn).await?;
        if let Some(rest) = l.strip_prefix(tag).and_then(|r| r.strip_prefix(' ')) {
            if rest.starts_with("OK") {
                return Ok(lines);
            }
            return Err(format!("{} answered {l:?}", text.trim_end()).into());
        }
        lines.push(l);
    }
}

/// One line without its CRLF; the end of the connection is an error.
async fn line(conn: &mut Connection) -> Result<String, Error> {
    let mut l = String::new();
    if conn.read_line(&mut l).await? == 0 {
        return Err("the server closed the connection".into());
    }
    l.truncate(l.trim_end_matches(['\r', '\n']).len());
    Ok(l)
}

/// An IMAP quoted string.
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Sends one message over SMTP.
async fn deliver(smtp: SocketAddr, rcpt: &str) -> Result<(), Error> {
    let mut conn = BufReader::new(TcpStream::connect(smtp).await?);
    reply(&mut conn, '2').await?;
    let rcpt = format!("RCPT TO:<{rcpt}>\r\n");
    for (send, want) in [
        ("EHLO idle-load.example\r\n", '2'),
        ("MAIL FROM:<load@example.org>\r\n", '2'),
        (rcpt.as_str(), '2'),
        ("DATA\r\n", '3'),
        (
            "From: load@example.org\r\nSubject: to everyone idling\r\n\r\nhello\r\n.\r\n",
            '2',
        ),
        ("QUIT\r\n", '2'),
    ] {
        conn.get_mut().write_all(send.as_bytes()).await?;
        reply(&mut conn, want).await?;
    }
    Ok(())
}

/// Reads an SMTP reply (all its lines); its code must start with `want`.
async fn reply(conn: &mut Connection, want: char) -> Result<(), Error> {
    loop {
        let l = line(conn).await?;
        if !l.starts_with(want) {
            return Err(format!("SMTP answered {l:?}").into());
        }
        if l.as_bytes().get(3) != Some(&b'-') {
            return Ok(());
        }
    }
}

/// The process's resident set size, in KiB.
fn rss_kib(pid: u32) -> Result<u64, Error> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().strip_suffix("kB")?.trim().parse().ok())
        .ok_or_else(|| format!("no VmRSS in /proc/{pid}/status").into())
}
