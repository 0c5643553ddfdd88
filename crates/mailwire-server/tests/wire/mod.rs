//! A line-oriented test client over an in-memory pipe to a [`Service`], and a memory
//! store with one user.

#![allow(dead_code, reason = "each test file uses its own part")]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use mailwire_server::memory::Memory;
use mailwire_server::{Accepted, Security, Service, ShutdownSignal};
use mailwire_tokio::{MaybeTlsStream, Tls};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

/// Longest any test waits for the server: a broken wake-up fails instead of hanging.
pub(crate) const PATIENCE: Duration = Duration::from_secs(10);

pub(crate) fn memory() -> Memory {
    let memory = Memory::new();
    memory.add_user("fred", "secret");
    memory
}

pub(crate) fn peer() -> SocketAddr {
    SocketAddr::from(([192, 0, 2, 7], 40000))
}

/// A client's end of a connection to `service`, which runs in its own task.
pub(crate) struct Wire {
    io: DuplexStream,
    buf: Vec<u8>,
    pub(crate) task: tokio::task::JoinHandle<Result<(), mailwire_tokio::Error>>,
}

impl Wire {
    pub(crate) fn connect<S: Service>(service: &Arc<S>) -> Self {
        Self::connect_until(service, ShutdownSignal::never())
    }

    /// As [`connect`](Self::connect), for a server that stops on `shutdown`.
    pub(crate) fn connect_until<S: Service>(service: &Arc<S>, shutdown: ShutdownSignal) -> Self {
        let (client, server) = tokio::io::duplex(256 * 1024);
        let mut accepted = Accepted::new(
            MaybeTlsStream::Plain(server),
            peer(),
            Security::Plain,
            Tls::None,
        );
        accepted.shutdown = shutdown;
        let task = tokio::spawn(Arc::clone(service).serve(accepted));
        Self {
            io: client,
            buf: Vec::new(),
            task,
        }
    }

    pub(crate) async fn send(&mut self, bytes: impl AsRef<[u8]>) {
        self.io
            .write_all(bytes.as_ref())
            .await
            .expect("the server reads");
    }

    /// Reads until the received bytes end with a line that starts with `prefix`, and
    /// returns everything up to and including that line.
    pub(crate) async fn until(&mut self, prefix: &str) -> String {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(end) = find_line(&self.buf, prefix.as_bytes()) {
                let rest = self.buf.split_off(end);
                let got = std::mem::replace(&mut self.buf, rest);
                return String::from_utf8_lossy(&got).into_owned();
            }
            let mut chunk = vec![0u8; 64 * 1024];
            let n = tokio::time::timeout_at(deadline, self.io.read(&mut chunk))
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "no line starting {prefix:?} within {PATIENCE:?}; got {:?}",
                        String::from_utf8_lossy(&self.buf)
                    )
                })
                .expect("the pipe reads");
            assert!(
                n > 0,
                "closed before {prefix:?}; got {:?}",
                String::from_utf8_lossy(&self.buf)
            );
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Sends a command and reads up to its tagged (IMAP) or final reply line.
    pub(crate) async fn ask(&mut self, command: &str, reply_prefix: &str) -> String {
        self.send(format!("{command}\r\n")).await;
        self.until(reply_prefix).await
    }

    /// Reads until the server closes the connection and returns what came.
    pub(crate) async fn rest(&mut self) -> String {
        let mut all = std::mem::take(&mut self.buf);
        tokio::time::timeout(PATIENCE, self.io.read_to_end(&mut all))
            .await
            .expect("the server closes")
            .expect("the pipe reads");
        String::from_utf8_lossy(&all).into_owned()
    }
}

/// The end of the first line (after its LF) that starts with `prefix`.
fn find_line(buf: &[u8], prefix: &[u8]) -> Option<usize> {
    let mut start = 0;
    while start < buf.len() {
        let end = buf[start..].iter().position(|&b| b == b'\n')? + start + 1;
        if buf[start..end].starts_with(prefix) {
            return Some(end);
        }
        start = end;
    }
    None
}

/// `bytes` below the `Return-Path:` field that final delivery put on top, which must name
/// `sender`, and the `Received:` fields below it, as [`below_received`] checks them.
pub(crate) fn below_trace(bytes: &[u8], sender: &str, hops: &[(&str, &str)]) -> Vec<u8> {
    let field = format!("Return-Path: {sender}\r\n");
    assert!(
        bytes.starts_with(field.as_bytes()),
        "{field}: {}",
        String::from_utf8_lossy(bytes)
    );
    below_received(&bytes[field.len()..], hops)
}

/// `bytes` below the `Received:` fields that SMTP or LMTP servers put on top, one for each
/// of `hops` (outermost first), each checked to name its client (`from`) and its protocol
/// (`with`) and to carry a twelve-digit id.
pub(crate) fn below_received(mut bytes: &[u8], hops: &[(&str, &str)]) -> Vec<u8> {
    for (from, with) in hops {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            text.starts_with(&format!("Received: from {from} (")),
            "{from}: {text}"
        );
        // The field ends at the first line end not followed by a folded line.
        let end = (0..bytes.len())
            .find(|&i| bytes[i..].starts_with(b"\r\n") && bytes.get(i + 2) != Some(&b'\t'))
            .expect("a whole field");
        let field = &text[..end];
        let at = field.find(&format!(" with {with} id ")).expect(field) + with.len() + 10;
        let id = &field[at..at + 12];
        assert!(
            id.bytes().all(|c| matches!(c, b'0'..=b'9' | b'A'..=b'F')),
            "{field}"
        );
        bytes = &bytes[end + 2..];
    }
    bytes.to_vec()
}
