//! One blocking driver loop for any mailwire session, over a `TcpStream`.
//!
//! It follows the order the `Session` trait documents: hand each event to the
//! application, write what the session has to send, act on its transport decision, then
//! read with the protocol's timeout.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};

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
    loop {
        while let Some(event) = session.poll_event() {
            on_event(session, event);
        }
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
        stream.set_read_timeout(session.timeout())?;
        match stream.read(&mut buf) {
            Ok(0) => {
                session.receive_eof();
                eof = true;
            }
            Ok(n) => session.receive(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
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
