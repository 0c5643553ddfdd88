//! How much heap the IMAP server holds per client while slow clients FETCH a large message.
//!
//! ```sh
//! cargo run --release -p mailwire-server --example fetch_cost -- 8 2
//! ```
//!
//! The arguments are the number of clients (8 when not given) and the rate at which each
//! reads, in MiB/s (2 when not given). The program starts
//! [`ImapServer`](mailwire_server::ImapServer) over the memory store on 127.0.0.1 with one
//! 50 MiB message in INBOX, and runs the clients in a child process of its own binary so
//! that their memory is not counted. Each client logs in, selects INBOX, sends
//! `FETCH 1 BODY.PEEK[]` and reads the answer at the given rate, while the program samples
//! the server's live heap every millisecond. It prints the peak above the heap before the
//! clients connected (the stored message is in that baseline, so it is not counted) and
//! above the heap with every client selected and idle, each divided by the number of
//! clients, and what each connection still holds once the FETCH is over and it idles
//! again. The target is at most 1 MiB per client while reading.
#![allow(
    clippy::print_stdout,
    reason = "the figures are what the program is for"
)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use support::{Clients, Conn, Server, connect_and_select, kib, live_heap, read_until_tagged};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

/// The size of the message fetched.
const MESSAGE_SIZE: usize = 50 * 1024 * 1024;
/// The most heap the server may hold per client while they read, in bytes.
const TARGET: f64 = 1024.0 * 1024.0;
/// How often the live heap is sampled.
const SAMPLE: Duration = Duration::from_millis(1);
/// How long the server is given to settle before a baseline is read.
const SETTLE: Duration = Duration::from_millis(500);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--clients") {
        clients(&args[1..]);
        return;
    }
    let n: usize = args
        .first()
        .map_or(8, |a| a.parse().expect("a number of clients"));
    let rate: f64 = args
        .get(1)
        .map_or(2.0, |a| a.parse().expect("a rate in MiB/s"));

    let server = Server::start(vec![message()], n);
    std::thread::sleep(SETTLE);
    let empty = live_heap();
    let mut clients = Clients::spawn(&[server.addr.to_string(), n.to_string(), rate.to_string()]);
    assert_eq!(clients.line(), format!("selected {n}"));
    std::thread::sleep(SETTLE);
    let selected = live_heap();

    let done = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    clients.send("fetch");
    let waiter = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let line = clients.line();
            done.store(true, Ordering::SeqCst);
            (clients, line)
        })
    };
    let mut peak = selected;
    let mut samples = 0u64;
    while !done.load(Ordering::SeqCst) {
        peak = peak.max(live_heap());
        samples += 1;
        std::thread::sleep(SAMPLE);
    }
    let elapsed = started.elapsed();
    let (clients, line) = waiter.join().expect("the waiting thread ends");
    assert_eq!(line, format!("fetched {n}"));
    std::thread::sleep(SETTLE);
    let idle_again = live_heap();
    clients.finish();
    server.stop();

    #[expect(clippy::cast_precision_loss, reason = "figures to read")]
    let (per_client, per_client_selected) = (
        (peak - empty) as f64 / n as f64,
        (peak - selected) as f64 / n as f64,
    );
    #[expect(clippy::cast_precision_loss, reason = "figures to read")]
    let kept = (idle_again - selected) as f64 / n as f64;
    #[expect(clippy::cast_precision_loss, reason = "figures to read")]
    let (empty, selected, peak) = (empty as f64, selected as f64, peak as f64);
    println!(
        "{n} clients fetched {} MiB each at {rate} MiB/s in {:.1} s ({samples} samples)",
        MESSAGE_SIZE / (1024 * 1024),
        elapsed.as_secs_f64()
    );
    println!("heap with the message stored, no client: {}", kib(empty));
    println!("heap with every client selected, idle:   {}", kib(selected));
    println!("peak heap while they fetched:            {}", kib(peak));
    println!(
        "per client, peak above no client:        {}",
        kib(per_client)
    );
    println!(
        "per client, peak above selected:         {}",
        kib(per_client_selected)
    );
    println!("per client, kept once idle again:        {}", kib(kept));
    let verdict = if per_client <= TARGET {
        "met"
    } else {
        "missed"
    };
    println!("target: at most {} per client: {verdict}", kib(TARGET));
}

/// A message of exactly [`MESSAGE_SIZE`] octets, with CRLF line ends throughout.
fn message() -> Vec<u8> {
    let mut m = b"From: a@example.org\r\nTo: user@example.org\r\nSubject: large\r\n\r\n".to_vec();
    let line = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\r\n";
    while m.len() + line.len() <= MESSAGE_SIZE {
        m.extend_from_slice(line);
    }
    while m.len() + 2 < MESSAGE_SIZE {
        m.push(b'x');
    }
    m.extend_from_slice(b"\r\n");
    m.truncate(MESSAGE_SIZE);
    m
}

/// The client process: `--clients ADDR N RATE`.
fn clients(args: &[String]) {
    let addr: std::net::SocketAddr = args[0].parse().expect("the server's address");
    let n: usize = args[1].parse().expect("a number of clients");
    let rate: f64 = args[2].parse().expect("a rate in MiB/s");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let conns = runtime.block_on(async move {
        let mut conns = Vec::with_capacity(n);
        for _ in 0..n {
            conns.push(
                connect_and_select(addr)
                    .await
                    .expect("a client logs in and selects INBOX"),
            );
        }
        conns
    });
    support::report(&format!("selected {n}"));
    assert_eq!(support::read_from_parent(), "fetch");
    let conns = runtime.block_on(async move {
        let mut tasks = tokio::task::JoinSet::new();
        for conn in conns {
            tasks.spawn(fetch_slowly(conn, rate));
        }
        let mut conns = Vec::with_capacity(n);
        while let Some(done) = tasks.join_next().await {
            conns.push(
                done.expect("a client task ends")
                    .expect("a client fetches the message"),
            );
        }
        conns
    });
    // The connections stay open, idle, until the parent has measured.
    support::report(&format!("fetched {n}"));
    support::wait_for_parent();
    drop(conns);
}

/// Fetches message 1 whole, reading its literal at `rate` MiB/s, and gives the connection
/// back.
async fn fetch_slowly(mut conn: Conn, rate: f64) -> std::io::Result<Conn> {
    conn.get_mut()
        .write_all(b"c FETCH 1 BODY.PEEK[]\r\n")
        .await?;
    let mut line = String::new();
    conn.read_line(&mut line).await?;
    let len: usize = line
        .rsplit_once('{')
        .and_then(|(_, l)| l.trim_end().strip_suffix('}'))
        .and_then(|l| l.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no literal in {line:?}")))?;
    if len != MESSAGE_SIZE {
        return Err(std::io::Error::other(format!("a literal of {len} octets")));
    }
    let bytes_per_sec = rate * 1024.0 * 1024.0;
    let start = tokio::time::Instant::now();
    let mut buf = vec![0; 16 * 1024];
    let mut read = 0;
    while read < len {
        let want = buf.len().min(len - read);
        let got = conn.read(&mut buf[..want]).await?;
        if got == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        read += got;
        #[expect(clippy::cast_precision_loss, reason = "a pace, not a count")]
        let due = Duration::from_secs_f64(read as f64 / bytes_per_sec);
        tokio::time::sleep_until(start + due).await;
    }
    read_until_tagged(&mut conn, "c").await?;
    Ok(conn)
}
