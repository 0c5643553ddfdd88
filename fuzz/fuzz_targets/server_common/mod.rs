//! What the mailwire-server targets share: a runtime whose clock is paused, client
//! connections over in-memory pipes whose output is drained as it comes, and the reading of
//! an input as chunks tagged with the connection they go to.
//!
//! `SERVER_FUZZ_ECHO=1 cargo +nightly fuzz run TARGET INPUT` shows what the servers
//! answer to an input, each piece prefixed by the client's port.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use mailwire_server::{Accepted, Security, Service};
use mailwire_tokio::{MaybeTlsStream, Tls};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream, WriteHalf};
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

/// The longest, in virtual time, that a server may keep a client waiting: to take its next
/// bytes, or to end once the client has closed. Longer than any login throttle delay
/// (8 s) a few times over, and shorter than any timeout of the sessions (2 minutes for a
/// command to arrive), so a server that ends only because a timeout fired still counts as
/// hung.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// The virtual time given to the servers after each chunk: with the clock paused and
/// auto-advancing, the sleep ends only once every other task waits, so each chunk is
/// handled to its end before the next one is sent, and a run is reproducible.
const SETTLE: Duration = Duration::from_millis(1);

/// The capacity of each direction of a pipe: small, so a server that writes much while
/// the client writes too meets back-pressure.
const PIPE: usize = 16 * 1024;

/// A current-thread runtime with its clock paused, built per input.
pub fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a current-thread runtime builds")
}

/// The chunks of `data`, each with the index (below `connections`) of the connection it
/// goes to: a chunk is a tag byte, whose value modulo `connections` picks the connection
/// and whose value divided by `connections` is the chunk's length less one, then that
/// many bytes (fewer at the end of the input).
pub fn chunks(mut data: &[u8], connections: u8) -> impl Iterator<Item = (usize, &[u8])> {
    std::iter::from_fn(move || {
        let (&tag, rest) = data.split_first()?;
        let len = usize::from(tag / connections) + 1;
        let (chunk, rest) = rest.split_at(len.min(rest.len()));
        data = rest;
        Some((usize::from(tag % connections), chunk))
    })
}

/// A client connection to a server task over an in-memory pipe.
pub struct Client {
    /// The client's writing end; `None` once the server stopped reading for good.
    writer: Option<WriteHalf<DuplexStream>>,
    server: JoinHandle<Result<(), mailwire_tokio::Error>>,
    /// Reads everything the server writes and throws it away (or, with `SERVER_FUZZ_ECHO`
    /// set in the environment, writes it to stderr to show what a crashing input does);
    /// gives the count.
    reader: JoinHandle<u64>,
}

impl Client {
    /// Connects to `service` from port `port` of the client address; must be called
    /// within the runtime.
    pub fn connect<S: Service>(service: &Arc<S>, port: u16) -> Self {
        let (client, server) = tokio::io::duplex(PIPE);
        let accepted = Accepted::new(
            MaybeTlsStream::Plain(server),
            SocketAddr::from(([192, 0, 2, 1], port)),
            Security::Plain,
            Tls::None,
        );
        let server = tokio::spawn(Arc::clone(service).serve(accepted));
        let (mut read, writer) = tokio::io::split(client);
        let echo = std::env::var_os("SERVER_FUZZ_ECHO").is_some();
        let reader = tokio::spawn(async move {
            let mut buf = vec![0; PIPE];
            let mut total = 0;
            loop {
                let n = read.read(&mut buf).await.expect("an in-memory pipe reads");
                if n == 0 {
                    return total;
                }
                total += n as u64;
                if echo {
                    eprint!("[{port}] {}", String::from_utf8_lossy(&buf[..n]));
                }
            }
        });
        Self {
            writer: Some(writer),
            server,
            reader,
        }
    }

    /// Sends `bytes` and lets the servers handle them; once the server has closed, does
    /// nothing.
    pub async fn send(&mut self, bytes: &[u8]) {
        if let Some(writer) = &mut self.writer {
            match tokio::time::timeout(PATIENCE, writer.write_all(bytes)).await {
                Err(_) => panic!("the server took no input for {PATIENCE:?}"),
                // The server closed its end: what the client sends is lost, as on a socket.
                Ok(Err(_)) => self.writer = None,
                Ok(Ok(())) => {}
            }
        }
        tokio::time::sleep(SETTLE).await;
    }

    /// Closes the client's end, and waits for the server to end and its output to be
    /// read; returns how many bytes the server wrote.
    pub async fn close(mut self) -> u64 {
        if let Some(mut writer) = self.writer.take() {
            // The end of the stream, as a client's FIN.
            let _ = writer.shutdown().await;
        }
        let ended = tokio::time::timeout(PATIENCE, &mut self.server)
            .await
            .unwrap_or_else(|_| panic!("the server did not end within {PATIENCE:?} of EOF"));
        // A panic in the server task aborts the process on its own (libFuzzer's hook).
        let result = ended.expect("the server task ran to its end");
        // An in-memory pipe whose output is read fails no read or write, and no timeout
        // fires within the patience: any error is the server's own.
        if let Err(e) = result {
            panic!("the server ended with an error: {e}");
        }
        tokio::time::timeout(PATIENCE, self.reader)
            .await
            .expect("the output ends with the server")
            .expect("the reader ran to its end")
    }
}
