//! How much heap an IMAP connection idle in the SELECTED state costs the server.
//!
//! ```sh
//! cargo run --release -p mailwire-server --example idle_cost -- 1000 10000
//! ```
//!
//! Each argument is a number of connections to measure (10,000 when none is given). For
//! each, the program starts [`ImapServer`](mailwire_server::ImapServer) over the memory
//! store (one user, 20 messages in INBOX) on 127.0.0.1, records the live heap, and runs
//! the clients in a child process of its own binary so that their memory and file
//! descriptors are not counted. Every client logs in and selects INBOX, then idles; once
//! all are selected and the server has settled, the live heap is read again and
//! `(after - before) / N` is printed. Kernel socket buffers are not on the heap and so
//! are not counted. The target is at most 16 KiB per connection. Measuring two numbers
//! shows the cost is linear.
//!
//! Then it measures the parts of a connection one by one in its own process (the
//! driver's read buffer as the IMAP server sets it, the connection task's future, the session's and the
//! store view's heap) and prints them with what is left of the last figure.
//!
//! About 2 × N + 10 file descriptors are needed across the two processes (N each) and
//! N ephemeral ports on loopback.
#![allow(
    clippy::print_stdout,
    reason = "the figures are what the program is for"
)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use mailwire_core::Session as _;
use mailwire_imap::server::{Config, Event, MailboxSnapshot, MessageInfo, Session};
use mailwire_imap::types::Flag;
use mailwire_sasl::AuthAnswer;
use mailwire_server::memory::Memory;
use mailwire_server::store::{NewMessage, Snapshot};
use mailwire_server::{Accepted, ImapServer, MailStore, Mailboxes, Security, Service, Throttle};
use mailwire_tokio::{MaybeTlsStream, Tls};
use support::{Clients, PASSWORD, Server, USER, connect_and_select, kib, live_heap};

/// The connections measured when no number is given.
const DEFAULT_CONNECTIONS: usize = 10_000;
/// Messages in the INBOX each connection selects.
const MESSAGES: usize = 20;
/// Connections being set up at once by the clients.
const CONCURRENCY: usize = 200;
/// The most heap an idle selected connection may cost, in bytes.
const TARGET: f64 = 16.0 * 1024.0;
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
    let mut per = 0.0;
    for n in counts {
        per = measure(n);
    }
    let verdict = if per <= TARGET { "met" } else { "missed" };
    println!("target: at most {} per connection: {verdict}", kib(TARGET));
    breakdown(per);
}

fn measure(n: usize) -> f64 {
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
    per
}

/// Prints where a connection's heap goes, measuring the parts one by one in this process,
/// and what is left of `per_connection` bytes.
fn breakdown(per_connection: f64) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let (future, view, session) = runtime.block_on(async {
        let memory = Arc::new(Memory::new());
        memory.add_user(USER, PASSWORD);
        let mailboxes = memory.open(USER).await.expect("the user's mailboxes");
        for i in 0..MESSAGES {
            let content = message(i);
            let size = u32::try_from(content.len()).expect("a small message");
            let new = NewMessage {
                flags: vec![],
                internal_date: None,
                size,
            };
            mailboxes
                .append("INBOX", new, &mut &content[..])
                .await
                .expect("the message is stored");
        }

        // The serve future is the connection task's state, allocated with the task.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a listening socket");
        let client = tokio::net::TcpStream::connect(listener.local_addr().expect("an address"));
        let (client, accepted) = tokio::join!(client, listener.accept());
        let (socket, peer) = accepted.expect("a connection");
        let server = Arc::new(ImapServer::new(
            imap_config(),
            Arc::clone(&memory),
            Arc::clone(&memory),
            Arc::new(Throttle::new()),
        ));
        let accepted = Accepted::new(
            MaybeTlsStream::Plain(socket),
            peer,
            Security::Plain,
            Tls::None,
        );
        let future = size_of_val(&server.serve(accepted));
        drop(client);

        // The store's view of the selected mailbox, without the snapshot handed over.
        let before = live_heap();
        let (view, snapshot) = mailboxes.select("INBOX", false).await.expect("INBOX opens");
        let view_bytes = live_heap() - before - heap_of(&snapshot);

        // The protocol session's own heap after LOGIN and SELECT, its output written.
        let config = Arc::new(imap_config());
        let before = live_heap();
        let mut session = Box::new(Session::new(Arc::clone(&config)));
        session.receive(b"a LOGIN user password\r\nb SELECT INBOX\r\n");
        while let Some(event) = session.poll_event() {
            match event {
                Event::Auth { .. } => session
                    .answer_auth(AuthAnswer::Accept)
                    .expect("a login waits"),
                Event::Select { .. } => session
                    .open_mailbox(mailbox_snapshot(snapshot.clone()))
                    .expect("a SELECT waits"),
                _ => {}
            }
        }
        while session.transmit().is_some() {}
        assert!(
            session.selected().is_some(),
            "the session has INBOX selected"
        );
        // The struct itself lives in the serve future, counted there.
        let session_bytes = live_heap() - before - size_of::<Session>().cast_signed();
        drop((session, view));
        (future, view_bytes, session_bytes)
    });
    let buffer = ImapServer::<Memory, Memory>::READ_BUFFER;
    #[expect(clippy::cast_precision_loss, reason = "figures to read")]
    let (future, view, session, buffer) =
        (future as f64, view as f64, session as f64, buffer as f64);
    println!("where a connection's heap goes:");
    println!(
        "  (of the future: Session {} B, driver Connection {} B)",
        size_of::<Session>(),
        size_of::<mailwire_tokio::Connection<Session, tokio::net::TcpStream>>()
    );
    println!(
        "  driver read buffer (ImapServer)       {:>10}",
        kib(buffer)
    );
    println!(
        "  connection task's future (serve)      {:>10}",
        kib(future)
    );
    println!(
        "  IMAP session's heap, INBOX selected   {:>10}",
        kib(session)
    );
    println!("  memory store's view's heap            {:>10}", kib(view));
    println!(
        "  the rest (task, socket, listener)     {:>10}",
        kib(per_connection - buffer - future - session - view)
    );
}

/// The session configuration of the measured server.
fn imap_config() -> Config {
    let mut config = Config::default();
    config.plaintext_auth = true;
    config
}

/// The heap a store snapshot holds (its vectors and the flags' names).
fn heap_of(snapshot: &Snapshot) -> isize {
    let before = live_heap();
    let copy = snapshot.clone();
    let bytes = live_heap() - before;
    drop(copy);
    bytes
}

/// What the IMAP server hands the session for a snapshot of the store.
fn mailbox_snapshot(s: Snapshot) -> MailboxSnapshot {
    let mut flags = vec![
        Flag::Answered,
        Flag::Flagged,
        Flag::Deleted,
        Flag::Seen,
        Flag::Draft,
    ];
    for k in s.keywords {
        if !flags.contains(&k) {
            flags.push(k);
        }
    }
    MailboxSnapshot {
        uid_validity: s.uid_validity,
        uid_next: s.uid_next,
        flags,
        keywords_allowed: s.keywords_allowed,
        messages: s
            .messages
            .into_iter()
            .map(|m| MessageInfo {
                uid: m.uid,
                flags: m.flags,
                recent: m.recent,
                internal_date: m.internal_date,
                size: m.size,
            })
            .collect(),
    }
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
        let permits = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..n {
            let permit = Arc::clone(&permits)
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
