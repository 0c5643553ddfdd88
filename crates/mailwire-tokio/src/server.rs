//! Serving a protocol: accept connections, run a session and a [`Handler`] on each in its
//! own task, and report how each ended.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;

use mailwire_core::Session;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{self, JoinSet};

use crate::{Connection, Error, Handler, MaybeTlsStream, Tls};

/// How one connection ended.
#[derive(Debug)]
#[non_exhaustive]
pub struct Finished {
    /// The client's address.
    pub peer: SocketAddr,
    /// `Ok` when the session closed the connection (or the peer did), the failure
    /// otherwise. A task that panicked is reported as an [`Error::Io`] of kind `Other`.
    pub result: Result<(), Error>,
}

/// Accepts connections from a [`TcpListener`] and serves each with a fresh session and
/// handler, made by `make` from the client's address.
///
/// Nothing is printed: [`next_finished`](Self::next_finished) hands out each connection's
/// outcome for the application to log as it likes.
///
/// ```no_run
/// use std::sync::Arc;
///
/// use mailwire_smtp::Domain;
/// use mailwire_smtp::server::{Config, Event, Session};
/// use mailwire_tokio::server::Server;
/// use mailwire_tokio::{Handler, Tls};
///
/// struct AcceptAll;
///
/// impl Handler<Session> for AcceptAll {
///     async fn handle(&mut self, session: &mut Session, event: Event) {
///         if matches!(event, Event::Mail { .. } | Event::Rcpt { .. } | Event::Message { .. }) {
///             session.accept().expect("the event waits for a decision");
///         }
///     }
/// }
///
/// # async fn f() -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:2525").await?;
/// // One config for every connection.
/// let config = Arc::new(Config::new(Domain::new("mx.example.org").unwrap()));
/// let mut server = Server::new(listener, Tls::None, false, move |_peer| {
///     (Session::new(Arc::clone(&config)), AcceptAll)
/// });
/// loop {
///     let done = server.next_finished().await?;
///     if let Err(e) = done.result {
///         eprintln!("{}: {e}", done.peer);
///     }
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct Server<F> {
    listener: TcpListener,
    tls: Tls,
    implicit_tls: bool,
    make: F,
    tasks: JoinSet<Finished>,
    /// Each task's peer, to report a task that panicked.
    peers: HashMap<task::Id, SocketAddr>,
}

impl<F, S, H> Server<F>
where
    F: FnMut(SocketAddr) -> (S, H),
    S: Session + Send + 'static,
    S::Event: Send,
    H: Handler<S> + Send + 'static,
{
    /// Serves connections from `listener`. `tls` is used for STARTTLS / STLS, and with
    /// `implicit_tls` for a handshake as soon as a connection is accepted (ports 465, 993,
    /// 995); the session must then be configured for implicit TLS too.
    pub fn new(listener: TcpListener, tls: Tls, implicit_tls: bool, make: F) -> Self {
        Self {
            listener,
            tls,
            implicit_tls,
            make,
            tasks: JoinSet::new(),
            peers: HashMap::new(),
        }
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// How many connections are being served.
    pub fn active(&self) -> usize {
        self.tasks.len()
    }

    /// Accepts and spawns connections until one of them ends, and returns its outcome.
    ///
    /// An error accepting a connection (out of file descriptors, say) is returned as is;
    /// the server stays usable and the caller decides whether to go on.
    pub async fn next_finished(&mut self) -> io::Result<Finished> {
        loop {
            tokio::select! {
                accepted = self.listener.accept() => {
                    let (socket, peer) = accepted?;
                    self.spawn(socket, peer);
                }
                Some(joined) = self.tasks.join_next_with_id() => {
                    return Ok(match joined {
                        Ok((id, finished)) => {
                            self.peers.remove(&id);
                            finished
                        }
                        Err(e) => Finished {
                            peer: self
                                .peers
                                .remove(&e.id())
                                .unwrap_or(SocketAddr::from(([0, 0, 0, 0], 0))),
                            result: Err(Error::Io(io::Error::other(e.to_string()))),
                        },
                    });
                }
            }
        }
    }

    fn spawn(&mut self, socket: TcpStream, peer: SocketAddr) {
        let (session, mut handler) = (self.make)(peer);
        let tls = self.tls.clone();
        let implicit = self.implicit_tls;
        let handle = self.tasks.spawn(async move {
            let result = serve(socket, session, &mut handler, tls, implicit).await;
            Finished { peer, result }
        });
        self.peers.insert(handle.id(), peer);
    }
}

async fn serve<S, H>(
    socket: TcpStream,
    session: S,
    handler: &mut H,
    tls: Tls,
    implicit_tls: bool,
) -> Result<(), Error>
where
    S: Session,
    H: Handler<S>,
{
    let mut stream = MaybeTlsStream::Plain(socket);
    if implicit_tls {
        let handshake = stream.upgrade(&tls);
        stream = match session.timeout() {
            Some(limit) => tokio::time::timeout(limit, handshake)
                .await
                .map_err(|_| Error::HandshakeTimeout(limit))?,
            None => handshake.await,
        }
        .map_err(Error::Handshake)?;
    }
    Connection::new(stream, session, tls).run(handler).await?;
    Ok(())
}
