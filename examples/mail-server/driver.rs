//! One blocking driver loop for any mailwire session, over a `TcpStream`.
//!
//! It follows the order the `Session` trait documents: hand each event to the
//! application, write what the session has to send, act on its transport decision, then
//! read with the protocol's timeout, cut short by the deadline of a command that has begun
//! to arrive (`Session::command_timeout`), so that a client trickling bytes cannot hold a
//! connection thread forever.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use mailwire::core::{Session, Transport};

/// Runs `session` over `stream` until either side closes. `on_event` answers each event,
/// calling back into the session.
pub(crate) fn drive<S: Session>(
    stream: &mut TcpStream,
    session: &mut S,
    mut on_event: impl FnMut(&mut S, S::Event),
) -> io::Result<()> {
    let mut buf = vec![0; 64 * 1024];
    let mut eof = false;
    // When the command now arriving began to arrive.
    let mut command_started: Option<Instant> = None;
    loop {
        while let Some(event) = session.poll_event() {
            on_event(session, event);
        }
        stream.set_write_timeout(session.timeout())?;
        while let Some(bytes) = session.transmit() {
            stream.write_all(&bytes)?;
        }
        match session.transport() {
            Transport::Close => break,
            // This example speaks no TLS, and offers no STARTTLS / STLS.
            Transport::StartTls => break,
            _ => {}
        }
        if eof {
            break;
        }
        if !session.wants_input() {
            // Every event was answered above, so a session that still wants no input has
            // nothing left to do.
            break;
        }
        note_command(session, &mut command_started);
        let limit = read_limit(session, command_started);
        if limit == Some(Duration::ZERO) {
            command_started = None;
            session.timed_out();
            continue;
        }
        stream.set_read_timeout(limit)?;
        match stream.read(&mut buf) {
            Ok(0) => {
                session.receive_eof();
                eof = true;
            }
            Ok(n) => {
                session.receive(&buf[..n]);
                note_command(session, &mut command_started);
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                command_started = None;
                session.timed_out();
            }
            Err(e) => return Err(e),
        }
    }
    stream.flush()?;
    // The peer may already be gone.
    let _ = stream.shutdown(Shutdown::Both);
    Ok(())
}

/// Starts the clock of a command whose first bytes have arrived, or stops it once the
/// session no longer waits for the rest of one.
fn note_command<S: Session>(session: &S, started: &mut Option<Instant>) {
    if session.receiving_command() {
        started.get_or_insert_with(Instant::now);
    } else {
        *started = None;
    }
}

/// The session's timeout, cut short by the deadline of the command now arriving;
/// `Some(ZERO)` once that has passed.
fn read_limit<S: Session>(session: &S, started: Option<Instant>) -> Option<Duration> {
    let per_read = session.timeout();
    let Some(left) = started
        .zip(session.command_timeout())
        .map(|(start, limit)| (start + limit).saturating_duration_since(Instant::now()))
    else {
        return per_read;
    };
    Some(per_read.map_or(left, |per_read| per_read.min(left)))
}
