//! What the measuring programs share: the live-heap counter, the server they measure, and
//! the IMAP client side they run in a child process of their own binary, so that the
//! clients' memory and file descriptors are not counted with the server's.

#![allow(dead_code, reason = "each measuring program uses a part of it")]
use std::alloc::System;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread;

use mailwire_imap::server::Config;
use mailwire_server::memory::Memory;
use mailwire_server::store::NewMessage;
use mailwire_server::{ImapServer, Limits, Listeners, MailStore, Mailboxes, Shutdown, Throttle};
use mailwire_tokio::Tls;
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader as AsyncBufReader};
use tokio::net::TcpStream;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The user the programs log in as.
pub(crate) const USER: &str = "user";
/// Their password.
pub(crate) const PASSWORD: &str = "password";

/// Bytes allocated on the heap and not yet freed, by every thread of this process.
///
/// stats_alloc already adds a reallocation's growth to `bytes_allocated` and its shrinking
/// to `bytes_deallocated`; `bytes_reallocated` is the same change again, so it is left out.
pub(crate) fn live_heap() -> isize {
    let stats = GLOBAL.stats();
    let allocated = isize::try_from(stats.bytes_allocated).unwrap_or(isize::MAX);
    let freed = isize::try_from(stats.bytes_deallocated).unwrap_or(isize::MAX);
    allocated - freed
}

/// A KiB figure with one decimal, for bytes that may be negative.
pub(crate) fn kib(bytes: f64) -> String {
    format!("{:.1} KiB", bytes / 1024.0)
}

/// The IMAP server under measure, on 127.0.0.1 over the memory store, running on a
/// single-threaded runtime in a thread of its own.
#[derive(Debug)]
pub(crate) struct Server {
    /// Where it listens.
    pub(crate) addr: SocketAddr,
    shutdown: Shutdown,
    thread: thread::JoinHandle<()>,
}

impl Server {
    /// Starts the server with one user whose INBOX holds `messages`, admitting
    /// `connections` connections from 127.0.0.1.
    pub(crate) fn start(messages: Vec<Vec<u8>>, connections: usize) -> Self {
        let (tx, rx) = mpsc::channel();
        let shutdown = Shutdown::new();
        let signal = shutdown.signal();
        let thread = thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime");
            runtime.block_on(async move {
                let mut memory = Memory::new();
                memory.max_message_size = usize::MAX;
                let memory = Arc::new(memory);
                memory.add_user(USER, PASSWORD);
                let mailboxes = memory.open(USER).await.expect("the user's mailboxes");
                for content in messages {
                    let message = NewMessage {
                        flags: vec![],
                        internal_date: None,
                        size: u32::try_from(content.len()).expect("a message under 4 GiB"),
                    };
                    mailboxes
                        .append("INBOX", message, &mut &content[..])
                        .await
                        .expect("the message is stored");
                }
                drop(mailboxes);
                let mut config = Config::default();
                config.plaintext_auth = true;
                let server = ImapServer::new(
                    config,
                    Arc::clone(&memory),
                    memory,
                    Arc::new(Throttle::new()),
                );
                let mut limits = Limits::default();
                limits.max_connections = connections + 1;
                limits.max_per_ip = connections + 1;
                let mut listeners = Listeners::new(limits, signal);
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("a listening socket");
                let addr = listeners
                    .add(
                        Arc::new(server),
                        listener,
                        mailwire_server::Security::Plain,
                        Tls::None,
                    )
                    .expect("a plain listener");
                tx.send(addr)
                    .expect("the main thread waits for the address");
                listeners.run().await;
            });
        });
        let addr = rx.recv().expect("the server starts");
        Self {
            addr,
            shutdown,
            thread,
        }
    }

    /// Stops the server and waits for its thread.
    pub(crate) fn stop(self) {
        self.shutdown.request();
        self.thread.join().expect("the server thread ends");
    }
}

/// The clients, running in a child process of this binary (`--clients ...`), and the
/// lines they report on their standard output.
#[derive(Debug)]
pub(crate) struct Clients {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: std::io::Lines<BufReader<ChildStdout>>,
}

impl Clients {
    /// Runs this binary again with `args` after `--clients`.
    pub(crate) fn spawn(args: &[String]) -> Self {
        let exe = std::env::current_exe().expect("the path of this program");
        let mut child = Command::new(exe)
            .arg("--clients")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the client process starts");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("a piped stdout");
        Self {
            child,
            stdin,
            lines: BufReader::new(stdout).lines(),
        }
    }

    /// The next line the clients report; panics if they ended.
    pub(crate) fn line(&mut self) -> String {
        let Some(Ok(line)) = self.lines.next() else {
            panic!("the client process ended early");
        };
        line
    }

    /// Sends the clients a line on their standard input.
    pub(crate) fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("the clients' input is open");
        writeln!(stdin, "{line}").expect("the clients read our lines");
        stdin.flush().expect("the clients read our lines");
    }

    /// Tells the clients to close their connections and waits for them to exit.
    pub(crate) fn finish(mut self) {
        drop(self.stdin.take());
        let status = self.child.wait().expect("the client process ends");
        assert!(status.success(), "the client process failed: {status}");
    }
}

/// In the client process: reports a line to the parent.
pub(crate) fn report(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").expect("the parent reads our reports");
    out.flush().expect("the parent reads our reports");
}

/// In the client process: reads a line the parent sends.
pub(crate) fn read_from_parent() -> String {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .expect("the parent sends a line");
    line.trim_end().to_owned()
}

/// In the client process: waits until the parent closes our standard input.
pub(crate) fn wait_for_parent() {
    let mut rest = Vec::new();
    let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut rest);
}

/// A client connection, logged in and with INBOX selected.
pub(crate) type Conn = AsyncBufReader<TcpStream>;

/// Connects, logs in and selects INBOX.
pub(crate) async fn connect_and_select(addr: SocketAddr) -> std::io::Result<Conn> {
    let mut conn = AsyncBufReader::new(TcpStream::connect(addr).await?);
    read_until_tagged(&mut conn, "*").await?;
    command(&mut conn, "a", &format!("LOGIN {USER} {PASSWORD}")).await?;
    command(&mut conn, "b", "SELECT INBOX").await?;
    Ok(conn)
}

/// Sends a command and reads its response lines up to the tagged OK.
pub(crate) async fn command(conn: &mut Conn, tag: &str, command: &str) -> std::io::Result<()> {
    conn.get_mut()
        .write_all(format!("{tag} {command}\r\n").as_bytes())
        .await?;
    read_until_tagged(conn, tag).await
}

/// Reads lines until one that starts with `tag` (`*` for the greeting), which must say OK.
pub(crate) async fn read_until_tagged(conn: &mut Conn, tag: &str) -> std::io::Result<()> {
    let mut line = String::new();
    loop {
        line.clear();
        if conn.read_line(&mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if let Some(rest) = line.strip_prefix(tag).and_then(|l| l.strip_prefix(' ')) {
            if rest.starts_with("OK") {
                return Ok(());
            }
            return Err(std::io::Error::other(format!(
                "server said: {}",
                line.trim_end()
            )));
        }
    }
}
