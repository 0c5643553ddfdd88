//! How much heap an IMAP connection idle in the SELECTED state costs the server.
//!
//! ```sh
//! cargo run --release -p mailwire-server --example idle_cost -- 10000 1000
//! ```
//!
//! Each argument is a number of connections to measure (10,000 when none is given). For
//! each, the program starts [`ImapServer`](mailwire_server::ImapServer) over the memory
//! store (one user, 20 messages in INBOX) on 127.0.0.1, records the live heap, and runs
//! the clients in a child process of its own binary so that their memory and file
//! descriptors are not counted. Every client logs in and selects INBOX, then idles; once
//! all are selected and the server has settled, the live heap is read again and
//! `(after - before) / N` is printed. Kernel socket buffers are not on the heap and so
//! are not counted. The target is at most 16 KiB per connection.
//!
//! About 2 × N + 10 file descriptors are needed across the two processes (N each) and
//! N ephemeral ports on loopback.
#![allow(clippy::print_stdout, reason = "the figures are what the program is for")]

mod support;

use std::time::Duration;

use support::{Clients, Server, connect_and_select, kib, live_heap};

/// The connections measured when no number is given.
const DEFAULT_CONNECTIONS: usize = 10_000;
/// Messages in the INBOX each connection selects.
const MESSAGES: usize = 20;
/// Connections being set up at once by the clients.
const CONCURRENCY: usize = 200;
/// How long the server is given to settle once every client has its SELECT answered.
const SETTLE: Duration = Duration::from_secs(1);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--clients") {
        clients(&args[1..]);
        return;
    }
    let counts: Vec<usize> = if args.is_empty() {
        vec![DEFAULT_CONNECTIONS]
    } else {
        args.iter()
            .map(|a| a.parse().expect("each argument is a number of connections"))
            .collect()
    };
    println!(
        "{:>8}  {:>12}  {:>12}  {:>14}",
        "clients", "heap before", "heap after", "per connection"
    );
    for n in counts {
        measure(n);
    }
}

fn measure(n: usize) {
    let messages = (0..MESSAGES).map(message).collect();
    let server = Server::start(messages, n);
    // One connection first, so that what the first one alone allocates (the throttle's
    // table, the runtime's first I/O slab page, the view's shared state) is in the
    // baseline rather than spread over the N.
    let mut warm = Clients::spawn(&[server.addr.to_string(), "1".into()]);
    assert_eq!(warm.line(), "ready 1");
    std::thread::sleep(SETTLE);
    warm.finish();
    std::thread::sleep(SETTLE);
    let before = live_heap();
    let mut clients = Clients::spawn(&[server.addr.to_string(), n.to_string()]);
    assert_eq!(clients.line(), format!("ready {n}"));
    std::thread::sleep(SETTLE);
    let after = live_heap();
    #[expect(clippy::cast_precision_loss, reason = "a figure to read")]
    let per = (after - before) as f64 / n as f64;
    println!(
        "{n:>8}  {:>12}  {:>12}  {:>14}",
        kib(before as f64),
        kib(after as f64),
        kib(per)
    );
    clients.finish();
    server.stop();
}

/// A small message of about 1 KiB.
fn message(i: usize) -> Vec<u8> {
    let mut m = format!(
        "From: a@example.org\r\nTo: user@example.org\r\nSubject: message {i}\r\n\
         Message-ID: <{i}@example.org>\r\n\r\n"
    )
    .into_bytes();
    while m.len() < 1000 {
        m.extend_from_slice(b"The quick brown fox jumps over the lazy dog.\r\n");
    }
    m
}

/// The client process: `--clients ADDR N`.
fn clients(args: &[String]) {
    let addr: std::net::SocketAddr = args[0].parse().expect("the server's address");
    let n: usize = args[1].parse().expect("a number of clients");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let conns = runtime.block_on(async move {
        let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..n {
            let permit = std::sync::Arc::clone(&permits)
                .acquire_owned()
                .await
                .expect("the semaphore stays open");
            tasks.spawn(async move {
                let conn = connect_and_select(addr).await;
                drop(permit);
                conn
            });
        }
        let mut conns = Vec::with_capacity(n);
        while let Some(done) = tasks.join_next().await {
            conns.push(
                done.expect("a client task ends")
                    .expect("a client logs in and selects INBOX"),
            );
        }
        conns
    });
    support::report(&format!("ready {}", conns.len()));
    support::wait_for_parent();
    drop(conns);
}
