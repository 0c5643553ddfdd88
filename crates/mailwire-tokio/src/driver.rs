//! The connection driver: one loop that pumps a socket through any mailwire session.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::{Buf, Bytes};
use mailwire_core::{Session, Transport};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::time::Instant;

use crate::stream::{MaybeTlsStream, Tls};

/// The size of the driver's read buffer unless set with [`Connection::with_read_buffer`].
pub const DEFAULT_READ_BUFFER: usize = 16 * 1024;

/// What [`Connection::next_event_or`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next<E, W> {
    /// The session's next event.
    Event(E),
    /// The wake-up future completed first, with this output.
    Woken(W),
    /// The connection is closed.
    Closed,
}

/// Why a connection ended other than by the protocol's own close.
///
/// Mistakes of the peer are answered by the session and are not errors here; these are the
/// failures of the transport, and one misuse of the driver ([`Error::Stalled`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing failed.
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
    /// The peer did not take the bytes written within the session's timeout.
    #[error("write timed out after {0:?}")]
    WriteTimeout(Duration),
    /// The TLS handshake did not complete within the session's timeout.
    #[error("TLS handshake timed out after {0:?}")]
    HandshakeTimeout(Duration),
    /// The TLS handshake failed.
    #[error("TLS handshake failed: {0}")]
    Handshake(io::Error),
    /// The session asked for STARTTLS / STLS and the connection was given no TLS settings.
    #[error("the session asked for TLS and the connection has no TLS settings")]
    TlsUnavailable,
    /// The session wants no input and has nothing to send: an event was left unanswered.
    #[error("the session waits for the application to answer an event")]
    Stalled,
}

/// A session and the stream it talks over.
///
/// [`next_event`](Self::next_event) is the whole loop, in the order the
/// [`Session`] contract gives: it returns the next event for the application, writing what
/// the session transmits, upgrading to TLS or closing when the session says so, and reading
/// (with the session's timeout) whenever the session has nothing else to do. The
/// application answers an event through [`session_mut`](Self::session_mut) — after any
/// async work it needs, such as a database lookup — and calls `next_event` again.
///
/// ```no_run
/// use mailwire_core::Session as _;
/// use mailwire_smtp::server::{Config, Event, Session};
/// use mailwire_smtp::Domain;
/// use mailwire_tokio::{Connection, MaybeTlsStream, Tls};
///
/// # async fn serve(socket: tokio::net::TcpStream) -> Result<(), mailwire_tokio::Error> {
/// let session = Session::new(Config::new(Domain::new("mx.example.org").unwrap()));
/// let mut conn = Connection::new(MaybeTlsStream::Plain(socket), session, Tls::None);
/// while let Some(event) = conn.next_event().await? {
///     match event {
///         Event::Mail { .. } | Event::Rcpt { .. } | Event::Message { .. } => {
///             conn.session_mut().accept().expect("the event waits for a decision");
///         }
///         _ => {}
///     }
/// }
/// # Ok(())
/// # }
/// ```
///
/// The driver holds one read buffer of fixed size and no write buffer: each piece the
/// session transmits is written out before the next is asked for, and input is taken only
/// while [`Session::wants_input`] says so, so memory stays within the session's own limits.
#[derive(Debug)]
pub struct Connection<S, IO> {
    // `None` only while a TLS handshake has the stream, or after one failed.
    stream: Option<MaybeTlsStream<IO>>,
    session: S,
    tls: Tls,
    buf: Box<[u8]>,
    eof: bool,
    closed: bool,
    /// Bytes [`try_flush`](Connection::try_flush) could not write, written first by the
    /// next flush.
    unsent: Bytes,
    /// When the command now arriving began to arrive ([`Session::receiving_command`]).
    command_started: Option<Instant>,
}

impl<S, IO> Connection<S, IO>
where
    S: Session,
    IO: AsyncRead + AsyncWrite + Unpin,
{
    /// Drives `session` over `stream`. `tls` is used if the session asks for STARTTLS /
    /// STLS; for implicit TLS pass a stream that is already encrypted.
    pub fn new(stream: MaybeTlsStream<IO>, session: S, tls: Tls) -> Self {
        Self {
            stream: Some(stream),
            session,
            tls,
            buf: vec![0; DEFAULT_READ_BUFFER].into_boxed_slice(),
            eof: false,
            closed: false,
            unsent: Bytes::new(),
            command_started: None,
        }
    }

    /// Sets the size of the read buffer (at least one byte).
    #[must_use]
    pub fn with_read_buffer(mut self, size: usize) -> Self {
        self.buf = vec![0; size.max(1)].into_boxed_slice();
        self
    }

    /// The session.
    pub fn session(&self) -> &S {
        &self.session
    }

    /// The session, to answer an event.
    pub fn session_mut(&mut self) -> &mut S {
        &mut self.session
    }

    /// The stream, unless a TLS handshake failed and lost it.
    pub fn stream(&self) -> Option<&MaybeTlsStream<IO>> {
        self.stream.as_ref()
    }

    /// Whether the connection is closed: [`next_event`](Self::next_event) returned `None`.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Takes the session and the stream apart.
    pub fn into_parts(self) -> (S, Option<MaybeTlsStream<IO>>) {
        (self.session, self.stream)
    }

    /// The next event for the application, or `None` once the connection is closed.
    ///
    /// Each call first hands out events already queued; then writes whatever the session
    /// has to send; then acts on [`Session::transport`] (close, or TLS handshake followed
    /// by [`Session::tls_established`]); then, if the session wants input, reads once with
    /// [`Session::timeout`] and passes what came to [`Session::receive`],
    /// [`Session::receive_eof`] or [`Session::timed_out`]; and goes round again until there
    /// is an event or the connection closes. A read also ends, with
    /// [`Session::timed_out`], when the command now arriving has taken
    /// [`Session::command_timeout`] since its first bytes came
    /// ([`Session::receiving_command`]), however steadily its bytes trickle in. While a write waits for the peer to take it,
    /// what the peer sends meanwhile is read and passed on too, as far as the session wants
    /// input, so that two sides writing at once cannot block each other.
    ///
    /// Cancel-safe only between reads: dropping the future while it writes may lose output.
    pub async fn next_event(&mut self) -> Result<Option<S::Event>, Error> {
        match self.next_event_or(std::future::pending::<()>()).await? {
            Next::Event(event) => Ok(Some(event)),
            Next::Closed | Next::Woken(()) => Ok(None),
        }
    }

    /// As [`next_event`](Self::next_event), but also returns when `wake` completes while
    /// the connection waits for the peer: a mail store's change notice, say, that must
    /// reach a client idling in IMAP IDLE at once, or a shutdown request.
    ///
    /// `wake` is polled only while the driver reads (never while it writes), so nothing
    /// queued for the peer is lost when it fires; what the application then gives the
    /// session goes out on the next call. A `wake` that is already complete is taken
    /// before any read.
    pub async fn next_event_or<W: Future>(
        &mut self,
        wake: W,
    ) -> Result<Next<S::Event, W::Output>, Error> {
        let mut wake = std::pin::pin!(wake);
        loop {
            if let Some(event) = self.session.poll_event() {
                return Ok(Next::Event(event));
            }
            if self.closed {
                return Ok(Next::Closed);
            }
            self.flush().await?;
            match self.session.transport() {
                Transport::Close => {
                    self.close().await;
                    continue;
                }
                Transport::StartTls => {
                    self.start_tls().await?;
                    self.session.tls_established();
                    continue;
                }
                _ => {}
            }
            if self.eof {
                // The peer is gone and the session had its say.
                self.close().await;
                continue;
            }
            if !self.session.wants_input() {
                return Err(Error::Stalled);
            }
            tokio::select! {
                biased;
                woken = &mut wake => return Ok(Next::Woken(woken)),
                read = self.read() => read?,
            }
        }
    }

    /// Writes everything the session has to send, now.
    ///
    /// An application streaming a large body (SMTP `write_body`, POP3 `send_body`) calls
    /// this after each piece so that no more than one piece is held in memory.
    pub async fn flush(&mut self) -> Result<(), Error> {
        let timeout = self.session.timeout();
        let Some(stream) = self.stream.as_mut() else {
            return Err(lost_stream());
        };
        let mut wrote = false;
        let unsent = std::mem::take(&mut self.unsent);
        let mut pending = (!unsent.is_empty()).then_some(unsent);
        while let Some(bytes) = pending.take().or_else(|| self.session.transmit()) {
            let write = write_reading(
                stream,
                &mut self.session,
                &mut self.buf,
                &mut self.eof,
                &bytes,
            );
            with_timeout(timeout, write)
                .await
                .ok_or(Error::WriteTimeout(timeout.unwrap_or_default()))??;
            wrote = true;
        }
        if wrote {
            with_timeout(timeout, stream.flush())
                .await
                .ok_or(Error::WriteTimeout(timeout.unwrap_or_default()))??;
        }
        Ok(())
    }

    /// Writes what the session has to send as far as the stream takes it at once,
    /// without waiting: for code that cannot await, such as a `Drop` that must tell the
    /// peer something (IMAP's `DONE`). Returns whether it all went; what the stream did
    /// not take is written first by the next [`flush`](Self::flush) (or
    /// [`next_event`](Self::next_event)). A write error is left for that next write to
    /// meet.
    pub fn try_flush(&mut self) -> bool {
        let Some(stream) = self.stream.as_mut() else {
            return false;
        };
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if self.unsent.is_empty() {
                match self.session.transmit() {
                    Some(bytes) => self.unsent = bytes,
                    None => break,
                }
            }
            match Pin::new(&mut *stream).poll_write(&mut cx, &self.unsent) {
                Poll::Ready(Ok(n)) if n > 0 => self.unsent.advance(n),
                _ => return false,
            }
        }
        matches!(Pin::new(stream).poll_flush(&mut cx), Poll::Ready(Ok(())))
    }

    /// Runs the connection to its end, handing each event to `handler`.
    pub async fn run<H>(mut self, handler: &mut H) -> Result<S, Error>
    where
        H: Handler<S>,
    {
        while let Some(event) = self.next_event().await? {
            handler.handle(&mut self.session, event).await;
        }
        Ok(self.session)
    }

    /// Runs the connection to its end, answering each event synchronously with `on_event`.
    pub async fn run_with(
        mut self,
        mut on_event: impl FnMut(&mut S, S::Event),
    ) -> Result<S, Error> {
        while let Some(event) = self.next_event().await? {
            on_event(&mut self.session, event);
        }
        Ok(self.session)
    }

    /// Starts the clock of a command whose first bytes have arrived, or stops it once the
    /// session no longer waits for the rest of one.
    fn note_command(&mut self) {
        if self.session.receiving_command() {
            self.command_started.get_or_insert_with(Instant::now);
        } else {
            self.command_started = None;
        }
    }

    /// How long the next read may wait: the session's timeout, cut short by the deadline of
    /// the command now arriving. `Some(ZERO)` when that deadline has passed.
    fn read_limit(&self) -> Option<Duration> {
        let per_read = self.session.timeout();
        let Some(left) = self
            .command_started
            .zip(self.session.command_timeout())
            .map(|(start, limit)| (start + limit).saturating_duration_since(Instant::now()))
        else {
            return per_read;
        };
        Some(per_read.map_or(left, |per_read| per_read.min(left)))
    }

    async fn read(&mut self) -> Result<(), Error> {
        self.note_command();
        let timeout = self.read_limit();
        if timeout == Some(Duration::ZERO) {
            self.command_started = None;
            self.session.timed_out();
            return Ok(());
        }
        let Some(stream) = self.stream.as_mut() else {
            return Err(lost_stream());
        };
        match with_timeout(timeout, stream.read(&mut self.buf)).await {
            None => {
                self.command_started = None;
                self.session.timed_out();
            }
            // A TLS peer that closes without close_notify is an EOF too: the session
            // knows whether the conversation was complete (an SMTP body cut short is
            // dropped, not delivered), so a truncation gains an attacker nothing.
            Some(Ok(0)) => {
                self.eof = true;
                self.session.receive_eof();
            }
            Some(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                self.eof = true;
                self.session.receive_eof();
            }
            Some(Ok(n)) => {
                self.session.receive(&self.buf[..n]);
                self.note_command();
            }
            Some(Err(e)) => return Err(e.into()),
        }
        Ok(())
    }

    async fn start_tls(&mut self) -> Result<(), Error> {
        if !self.tls.is_available() {
            return Err(Error::TlsUnavailable);
        }
        let timeout = self.session.timeout();
        let Some(stream) = self.stream.take() else {
            return Err(lost_stream());
        };
        // Nothing was read past the command that asked for TLS except what the session
        // already saw and threw away, so the handshake starts on a clean stream.
        let upgraded = with_timeout(timeout, stream.upgrade(&self.tls))
            .await
            .ok_or(Error::HandshakeTimeout(timeout.unwrap_or_default()))?
            .map_err(Error::Handshake)?;
        self.stream = Some(upgraded);
        Ok(())
    }

    async fn close(&mut self) {
        self.closed = true;
        if let Some(stream) = self.stream.as_mut() {
            // The peer may already be gone; there is nothing left to tell it either way.
            let _ = with_timeout(self.session.timeout(), stream.shutdown()).await;
        }
    }
}

/// What answers the events of a session of type `S`, possibly after async work.
///
/// Used by [`Connection::run`] and the server helper. The handler answers by calling the
/// concrete session's methods (`accept`, `reject`, `send_body` …) before returning; what
/// the session queues is written once it returns. A handler that streams a large body
/// (a POP3 `RETR`) therefore has it all queued at once: to hold one piece at a time, drive
/// the connection with [`Connection::next_event`] and call [`Connection::flush`] after
/// each piece instead.
///
/// ```
/// use mailwire_smtp::server::{Event, Session};
/// use mailwire_tokio::Handler;
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
/// ```
pub trait Handler<S: Session> {
    /// Handles one event.
    fn handle(&mut self, session: &mut S, event: S::Event) -> impl Future<Output = ()> + Send;
}

/// Writes all of `bytes`, and whenever the peer is not taking them, reads what it sent
/// meanwhile into the session.
///
/// A peer may itself be blocked writing replies we have not read (SMTP answers every BDAT
/// chunk): reading while our write waits keeps both sides moving, and the session's own
/// limits (through [`Session::wants_input`]) still bound what is taken in.
async fn write_reading<S, IO>(
    stream: &mut MaybeTlsStream<IO>,
    session: &mut S,
    buf: &mut [u8],
    eof: &mut bool,
    bytes: &[u8],
) -> io::Result<()>
where
    S: Session,
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let mut written = 0;
    std::future::poll_fn(|cx| {
        loop {
            while written < bytes.len() {
                match Pin::new(&mut *stream).poll_write(cx, &bytes[written..]) {
                    Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                    Poll::Ready(Ok(n)) => written += n,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => break,
                }
            }
            if written == bytes.len() {
                return Poll::Ready(Ok(()));
            }
            if *eof || session.transport() != Transport::Open || !session.wants_input() {
                return Poll::Pending;
            }
            let mut read = ReadBuf::new(buf);
            match Pin::new(&mut *stream).poll_read(cx, &mut read) {
                Poll::Ready(Ok(())) if read.filled().is_empty() => {
                    *eof = true;
                    session.receive_eof();
                }
                Poll::Ready(Ok(())) => session.receive(read.filled()),
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    *eof = true;
                    session.receive_eof();
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
    })
    .await
}

fn lost_stream() -> Error {
    Error::Io(io::Error::new(
        io::ErrorKind::NotConnected,
        "the stream was lost in a failed TLS handshake",
    ))
}

/// Runs `fut` for at most `limit`; `None` if it ran out of time.
async fn with_timeout<F: Future>(limit: Option<Duration>, fut: F) -> Option<F::Output> {
    match limit {
        Some(limit) => tokio::time::timeout(limit, fut).await.ok(),
        None => Some(fut.await),
    }
}
