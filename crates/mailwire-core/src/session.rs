//! The shape every mailwire session has, client or server, of every protocol.

use std::time::Duration;

use bytes::Bytes;

/// What the connection underneath a session must do once the pending output is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transport {
    /// Keep reading and writing.
    Open,
    /// Write everything [`Session::transmit`] yields, run the TLS handshake (as client or
    /// server, whichever side the session plays), then call [`Session::tls_established`].
    ///
    /// Read nothing in between: the session has already thrown away any plaintext that
    /// arrived after the STARTTLS / STLS command (RFC 3207 §4.2, RFC 2595 §3.1), and bytes
    /// read before the handshake would be the attacker's.
    StartTls,
    /// Write everything [`Session::transmit`] yields, then close the connection.
    Close,
}

/// A protocol conversation that does no I/O.
///
/// Each protocol crate's client and server sessions implement this trait, so one driver
/// loop (in `mailwire-tokio`, or your own) can pump a socket through any of them. The
/// methods fall into four groups:
///
/// - **inputs**: [`receive`](Self::receive) bytes read from the peer, in any split;
///   [`receive_eof`](Self::receive_eof) when the peer closes; [`timed_out`](Self::timed_out)
///   when the peer was silent for longer than [`timeout`](Self::timeout), or took longer
///   than [`command_timeout`](Self::command_timeout) to send one command.
/// - **outputs**: [`transmit`](Self::transmit) bytes to write; [`poll_event`](Self::poll_event)
///   what the application must know or decide. The application answers an event by calling
///   the protocol-specific methods of the concrete session (`accept`, `reject`, …), which
///   queue more output.
/// - **lifecycle**: [`transport`](Self::transport) says whether to keep going, upgrade to TLS
///   or close; [`tls_established`](Self::tls_established) reports a finished handshake.
/// - **flow control**: [`wants_input`](Self::wants_input) is false while the session holds as
///   much unprocessed input as its limits allow (typically while it waits for the
///   application's answer to a pipelined command).
/// - **time**: [`timeout`](Self::timeout) bounds each wait for the peer;
///   [`receiving_command`](Self::receiving_command) and
///   [`command_timeout`](Self::command_timeout) bound the whole time one command takes to
///   arrive, which a peer sending a byte now and then would otherwise stretch without end.
///
/// A driver calls them in this order, round after round:
///
/// 1. drain `poll_event`, handling each event (possibly calling back into the session);
/// 2. drain `transmit` and write the bytes;
/// 3. act on `transport`: close, or upgrade and call `tls_established`, then go to 1;
/// 4. if `receiving_command`, note when it first became true (the command's start) unless
///    already noted; if not, forget any start noted;
/// 5. if `wants_input`, read with the `timeout`, cut short so that the read ends no later
///    than the noted start plus `command_timeout` (asked anew each round: it may grow as
///    the command's data arrives); pass what came to `receive` or `receive_eof`, or call
///    `timed_out` if either limit ran out first; after `receive`, do step 4 again, so that
///    a command's start is the arrival of its first bytes; go to 1.
///
/// Sessions read no clock and start no timer: time is the driver's. Mistakes of the peer
/// are answered with the protocol's own replies (`500`, `-ERR`, `BAD`) and never surface as
/// Rust errors; a session that decides the conversation is over queues its goodbye and
/// turns [`Transport::Close`].
///
/// The trait earns its place because the three protocols fit it without strain: SMTP,
/// POP3 and IMAP are all command/response dialogues over one byte stream, with an optional
/// in-band TLS upgrade and a close decided by one side. What differs between them — how
/// the application answers — stays on the concrete session types.
pub trait Session {
    /// What the session reports to the application.
    type Event;

    /// Takes bytes read from the peer. Any split of the stream gives the same events.
    fn receive(&mut self, bytes: &[u8]);

    /// The peer closed its side of the connection.
    fn receive_eof(&mut self);

    /// The peer stayed silent for [`timeout`](Self::timeout).
    ///
    /// The session queues the protocol's goodbye, if it has one, and turns
    /// [`Transport::Close`].
    fn timed_out(&mut self);

    /// The next bytes to write to the peer, if any. Replies to a pipelined batch may come
    /// out as one buffer.
    fn transmit(&mut self) -> Option<Bytes>;

    /// The next event for the application, if any.
    fn poll_event(&mut self) -> Option<Self::Event>;

    /// What the connection must do once the pending output is written.
    fn transport(&self) -> Transport;

    /// The TLS handshake the session asked for with [`Transport::StartTls`] completed.
    fn tls_established(&mut self);

    /// How long the driver waits for the peer in the session's current state, as the
    /// protocol prescribes (RFC 5321 §4.5.3.2, RFC 3501 §5.4, RFC 1939 §3), or `None` for no
    /// limit.
    fn timeout(&self) -> Option<Duration>;

    /// Whether the driver should read more input now.
    fn wants_input(&self) -> bool {
        true
    }

    /// Whether part of a command has arrived and the session waits for the rest of it from
    /// the peer.
    ///
    /// False while the session waits for the application (the application's time is not
    /// the peer's), between commands, and in sessions that bound no command's arrival (the
    /// default). The driver measures [`command_timeout`](Self::command_timeout) from the
    /// moment this turns true.
    fn receiving_command(&self) -> bool {
        false
    }

    /// The longest the peer may take, from the first byte to the last, to send the command
    /// now arriving (see [`receiving_command`](Self::receiving_command)), or `None` for no
    /// limit (the default).
    ///
    /// [`timeout`](Self::timeout) restarts with every byte, so on its own it lets a peer that
    /// sends one byte every few seconds hold a connection forever. When this limit runs out
    /// the driver calls [`timed_out`](Self::timed_out). It may grow while a command's data
    /// arrives (a large literal, say), so the driver asks again before each read.
    fn command_timeout(&self) -> Option<Duration> {
        None
    }
}
