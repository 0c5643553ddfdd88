//! Listeners: accepting connections for the protocol servers within limits, running each
//! in its own task and tracing span, and stopping them all gracefully.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use mailwire_tokio::{Connection as Driver, MaybeTlsStream, Next, Tls};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::{Accepted, Security, Service, ShutdownSignal};

/// How long a refused connection is given to take its refusal.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(1);

/// How often a connection that is receiving a command when shutdown is requested looks
/// whether the command has arrived.
const FINISHING_POLL: Duration = Duration::from_millis(10);

/// How long an accept loop pauses after a failed accept (out of file descriptors, say),
/// so that it does not spin while the cause lasts.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// The limits on the connections of all the [`Listeners`] of a process.
///
/// ```
/// use std::time::Duration;
/// use mailwire_server::Limits;
///
/// let mut limits = Limits::default();
/// limits.max_per_ip = 10;
/// limits.shutdown_grace = Duration::from_secs(30);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Connections served at once, over all listeners (1000 by default). A connection
    /// beyond it is told the service's [`refusal`](Service::refusal) and closed.
    pub max_connections: usize,
    /// Connections served at once from one IP address, over all listeners (20 by
    /// default). An IPv4 address mapped into IPv6 counts as the IPv4 address.
    pub max_per_ip: usize,
    /// How long connections are given to end after shutdown is requested (10 s by
    /// default); those still running then are aborted.
    pub shutdown_grace: Duration,
    /// How long an implicit TLS handshake may take (30 s by default).
    pub handshake_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 1000,
            max_per_ip: 20,
            shutdown_grace: Duration::from_secs(10),
            handshake_timeout: Duration::from_secs(30),
        }
    }
}

/// Why a listener could not be added.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ListenError {
    /// A STARTTLS or implicit TLS listener was given [`Tls::None`].
    #[error("a {0:?} listener needs TLS settings")]
    NoTls(Security),
    /// The listener's local address could not be read.
    #[error("listener address: {0}")]
    Address(#[from] io::Error),
}

/// The listeners of a server process, and the connections they accepted.
///
/// All listeners added share one set of [`Limits`], one count of connections (in total
/// and per IP address) and one [`Shutdown`](crate::Shutdown). Each listener runs an accept
/// loop in its own task from [`add`](Self::add) on; each connection runs in a task of its
/// own, inside a `tracing` span named `connection` with the fields `protocol`, `peer`,
/// `tls` (the listener's [`Security`]) and `user`, which is empty until the protocol
/// server records it (`tracing::Span::current().record("user", name)`) after a login. The
/// start and end of each connection, with the error that ended it if any, are logged as
/// events in that span.
///
/// A connection over a limit is told the service's [`refusal`](Service::refusal) and
/// closed (on an implicit TLS listener it is closed without a word: a plaintext line means
/// nothing to a client expecting a TLS handshake, and a handshake is what an overloaded
/// server must not spend). A failed accept — out of file descriptors, say — is logged and
/// retried after a short pause; it never stops the listener.
///
/// Once shutdown is requested, the accept loops close their sockets; each connection's
/// [`Accepted::shutdown`] completes, so that it says goodbye in its protocol; and
/// [`run`](Self::run) returns when every connection has ended, or when
/// [`Limits::shutdown_grace`] has passed and those still running have been aborted.
///
/// Dropping `Listeners` aborts the accept loops and every connection at once.
///
/// ```no_run
/// # use std::sync::Arc;
/// # use mailwire_server::{Limits, Listeners, Security, Service, Shutdown};
/// # async fn f<S: Service>(smtp: Arc<S>, tls: mailwire_tokio::Tls) -> Result<(), Box<dyn std::error::Error>> {
/// let shutdown = Shutdown::new();
/// let mut listeners = Listeners::new(Limits::default(), shutdown.signal());
/// let submission = tokio::net::TcpListener::bind("[::]:587").await?;
/// listeners.add(Arc::clone(&smtp), submission, Security::StartTls, tls.clone())?;
/// let submissions = tokio::net::TcpListener::bind("[::]:465").await?;
/// listeners.add(smtp, submissions, Security::Implicit, tls)?;
/// tokio::spawn(async move {
///     let _ = tokio::signal::ctrl_c().await;
///     shutdown.request();
/// });
/// listeners.run().await;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Listeners {
    shared: Arc<Shared>,
    accept_loops: JoinSet<()>,
    addrs: Vec<SocketAddr>,
}

/// What the accept loops and connections of one [`Listeners`] share.
#[derive(Debug)]
struct Shared {
    limits: Limits,
    shutdown: ShutdownSignal,
    counts: Mutex<Counts>,
}

/// Live connections, in total and per address. An address is in `per_ip` only while it
/// has connections, so the map is never larger than `total`.
#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// A limit a connection would break.
#[derive(Debug, Clone, Copy)]
enum Over {
    Total,
    PerIp,
}

impl Over {
    fn name(self) -> &'static str {
        match self {
            Over::Total => "max_connections",
            Over::PerIp => "max_per_ip",
        }
    }
}

/// A connection's place in the counts, given back when it is dropped: when the
/// connection ends, panics or is aborted.
#[derive(Debug)]
struct Slot {
    shared: Arc<Shared>,
    ip: IpAddr,
}

impl Shared {
    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        // Nothing can panic while the lock is held, so poison carries no meaning.
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes a slot for a connection from `ip`, unless that breaks a limit.
    fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Slot, Over> {
        let ip = ip.to_canonical();
        let mut guard = self.counts();
        let counts = &mut *guard;
        if counts.total >= self.limits.max_connections {
            return Err(Over::Total);
        }
        let from_ip = counts.per_ip.entry(ip).or_insert(0);
        if *from_ip >= self.limits.max_per_ip {
            if *from_ip == 0 {
                counts.per_ip.remove(&ip);
            }
            return Err(Over::PerIp);
        }
        *from_ip += 1;
        counts.total += 1;
        Ok(Slot {
            shared: Arc::clone(self),
            ip,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.shared.counts();
        counts.total = counts.total.saturating_sub(1);
        if let Some(n) = counts.per_ip.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.per_ip.remove(&self.ip);
            }
        }
    }
}

impl Listeners {
    /// No listeners yet, sharing `limits`, and stopping when `shutdown` completes.
    pub fn new(limits: Limits, shutdown: ShutdownSignal) -> Self {
        Self {
            shared: Arc::new(Shared {
                limits,
                shutdown,
                counts: Mutex::default(),
            }),
            accept_loops: JoinSet::new(),
            addrs: Vec::new(),
        }
    }

    /// Starts accepting connections on `listener` for `service`, secured as `security`
    /// says, and returns the address it listens on (the port chosen for port 0).
    ///
    /// `tls` is the server's TLS settings, needed by [`Security::StartTls`] (the service
    /// gets them in [`Accepted::tls`] for the upgrade) and [`Security::Implicit`] (the
    /// handshake runs before the service gets the connection); a [`Security::Plain`]
    /// listener ignores them. Must be called within a tokio runtime.
    pub fn add<S: Service>(
        &mut self,
        service: Arc<S>,
        listener: TcpListener,
        security: Security,
        tls: Tls,
    ) -> Result<SocketAddr, ListenError> {
        if security != Security::Plain && !tls.is_available() {
            return Err(ListenError::NoTls(security));
        }
        let addr = listener.local_addr()?;
        let tls = if security == Security::Plain {
            Tls::None
        } else {
            tls
        };
        let accept = AcceptLoop {
            shared: Arc::clone(&self.shared),
            service,
            listener,
            security,
            tls,
            connections: JoinSet::new(),
        };
        self.accept_loops.spawn(accept.run());
        self.addrs.push(addr);
        Ok(addr)
    }

    /// The addresses listened on, in the order the listeners were added.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// The limits.
    pub fn limits(&self) -> &Limits {
        &self.shared.limits
    }

    /// Connections being served now, over all listeners (implicit TLS handshakes under
    /// way included).
    pub fn connections(&self) -> usize {
        self.shared.counts().total
    }

    /// Connections being served now from `ip`.
    pub fn connections_from(&self, ip: IpAddr) -> usize {
        let counts = self.shared.counts();
        counts.per_ip.get(&ip.to_canonical()).copied().unwrap_or(0)
    }

    /// Waits until shutdown is requested and then until every connection has ended, or
    /// until [`Limits::shutdown_grace`] has passed and the connections still running
    /// have been aborted. The listening sockets are closed when it returns.
    pub async fn run(mut self) {
        self.shared.shutdown.requested().await;
        while let Some(done) = self.accept_loops.join_next().await {
            if let Err(e) = done
                && e.is_panic()
            {
                tracing::error!("an accept loop panicked");
            }
        }
    }
}

/// One listener's accept loop, and the connections it accepted.
struct AcceptLoop<S> {
    shared: Arc<Shared>,
    service: Arc<S>,
    listener: TcpListener,
    security: Security,
    tls: Tls,
    connections: JoinSet<()>,
}

impl<S: Service> AcceptLoop<S> {
    async fn run(mut self) {
        let protocol = self.service.protocol();
        let shutdown = self.shared.shutdown.clone();
        loop {
            tokio::select! {
                biased;
                () = shutdown.requested() => break,
                Some(done) = self.connections.join_next(), if !self.connections.is_empty() => {
                    if let Err(e) = done
                        && e.is_panic()
                    {
                        tracing::error!(protocol, "a connection task panicked");
                    }
                }
                accepted = self.listener.accept() => match accepted {
                    Ok((socket, peer)) => self.accepted(socket, peer).await,
                    Err(e) if is_connection_error(&e) => {
                        tracing::debug!(protocol, error = %e, "accept failed");
                    }
                    Err(e) => {
                        tracing::warn!(protocol, error = %e, "accept failed; retrying");
                        tokio::select! {
                            () = shutdown.requested() => break,
                            () = tokio::time::sleep(ACCEPT_RETRY) => {}
                        }
                    }
                },
            }
        }
        self.stop().await;
    }

    async fn accepted(&mut self, socket: TcpStream, peer: SocketAddr) {
        let protocol = self.service.protocol();
        let slot = match self.shared.admit(peer.ip()) {
            Ok(slot) => slot,
            Err(over) => {
                tracing::info!(protocol, peer = %peer, limit = over.name(), "connection refused");
                self.refuse(socket).await;
                return;
            }
        };
        // Replies are written whole; waiting to fill segments only delays them.
        let _ = socket.set_nodelay(true);
        let span = tracing::info_span!(
            "connection",
            protocol,
            peer = %peer,
            tls = ?self.security,
            user = tracing::field::Empty,
        );
        let connection = Connection {
            service: Arc::clone(&self.service),
            socket,
            peer,
            security: self.security,
            tls: self.tls.clone(),
            shutdown: self.shared.shutdown.clone(),
            handshake_timeout: self.shared.limits.handshake_timeout,
        };
        self.connections.spawn(
            async move {
                let _slot = slot;
                tracing::info!("connection accepted");
                match connection.serve().await {
                    Ok(()) => tracing::info!("connection closed"),
                    Err(e) => tracing::info!(error = %e, "connection closed"),
                }
            }
            .instrument(span),
        );
    }

    /// Tells a connection over a limit the service's refusal, and closes it.
    async fn refuse(&self, mut socket: TcpStream) {
        if self.security == Security::Implicit {
            return;
        }
        let refusal = self.service.refusal();
        // The peer has a fresh socket's whole buffer to take a line in, so this waits only
        // for a peer that is already gone; it is bounded all the same.
        let _ = tokio::time::timeout(REFUSAL_TIMEOUT, async {
            socket.write_all(refusal).await?;
            socket.shutdown().await
        })
        .await;
    }

    /// After the shutdown request: stops listening, then gives the connections the grace
    /// period to end, and aborts those that did not.
    async fn stop(self) {
        let Self {
            listener,
            service,
            mut connections,
            shared,
            ..
        } = self;
        drop(listener);
        let protocol = service.protocol();
        tracing::info!(
            protocol,
            connections = connections.len(),
            "listener stopped"
        );
        let drained = tokio::time::timeout(shared.limits.shutdown_grace, async {
            while connections.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                protocol,
                connections = connections.len(),
                "aborting connections after the shutdown grace period"
            );
            connections.shutdown().await;
        }
    }
}

/// The next event of a connection, or [`Next::Woken`] once shutdown is requested and no
/// command is under way: the moment for the protocol's goodbye (`shutdown()` on the
/// SMTP, POP3 and IMAP server sessions), after which the loop goes on until
/// [`Next::Closed`].
///
/// A command that has begun to arrive when shutdown is requested is let finish (the
/// session's command timeout still bounds it) and answered first. A decision the
/// application owes is its own: the event is returned, and the application answers before
/// it calls again, so a lookup under way completes and its reply goes out before the
/// goodbye. The goodbye must close the session: while it is open, this returns
/// [`Next::Woken`] again at once.
///
/// ```no_run
/// use mailwire_server::{Accepted, next_event_or_shutdown};
/// use mailwire_smtp::server::{Config, Event, Session};
/// use mailwire_tokio::{Connection, Next};
///
/// # async fn serve(accepted: Accepted, config: std::sync::Arc<Config>) -> Result<(), mailwire_tokio::Error> {
/// let mut conn = Connection::new(accepted.stream, Session::new(config), accepted.tls);
/// loop {
///     match next_event_or_shutdown(&mut conn, &accepted.shutdown).await? {
///         Next::Event(Event::Mail { .. } | Event::Rcpt { .. } | Event::Message { .. }) => {
///             conn.session_mut().accept().expect("the event waits for a decision");
///         }
///         Next::Event(_) => {}
///         Next::Woken(()) => conn.session_mut().shutdown(),
///         Next::Closed => return Ok(()),
///     }
/// }
/// # }
/// ```
pub async fn next_event_or_shutdown<S, IO>(
    conn: &mut Driver<S, IO>,
    shutdown: &ShutdownSignal,
) -> Result<Next<S::Event, ()>, mailwire_tokio::Error>
where
    S: mailwire_core::Session,
    IO: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        // The driver cannot say when a command has arrived in full, only hand back
        // control: while one arrives after the request, it is asked now and then.
        let finishing = shutdown.is_requested() && conn.session().receiving_command();
        let wake = async {
            if finishing {
                tokio::time::sleep(FINISHING_POLL).await;
            } else {
                shutdown.requested().await;
            }
        };
        match conn.next_event_or(wake).await? {
            Next::Woken(()) if conn.session().receiving_command() => {}
            next => return Ok(next),
        }
    }
}

/// An accepted connection within the limits, before its TLS handshake.
struct Connection<S> {
    service: Arc<S>,
    socket: TcpStream,
    peer: SocketAddr,
    security: Security,
    tls: Tls,
    shutdown: ShutdownSignal,
    handshake_timeout: Duration,
}

impl<S: Service> Connection<S> {
    async fn serve(self) -> Result<(), mailwire_tokio::Error> {
        let mut stream = MaybeTlsStream::Plain(self.socket);
        let mut tls = self.tls;
        if self.security == Security::Implicit {
            let limit = self.handshake_timeout;
            stream = tokio::time::timeout(limit, stream.upgrade(&tls))
                .await
                .map_err(|_| mailwire_tokio::Error::HandshakeTimeout(limit))?
                .map_err(mailwire_tokio::Error::Handshake)?;
            // Under TLS already: there is nothing left to upgrade.
            tls = Tls::None;
        }
        self.service
            .serve(Accepted {
                stream,
                peer: self.peer,
                security: self.security,
                tls,
                shutdown: self.shutdown,
            })
            .await
    }
}

/// A failed accept that concerns one connection only: the next accept may succeed at
/// once.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
    )
}
