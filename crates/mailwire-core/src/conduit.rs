//! The plumbing every session has: received bytes waiting to be read, replies waiting to
//! be written, events waiting for the application, and the transport decision.

use std::collections::VecDeque;

use bytes::{Buf, Bytes, BytesMut};

use crate::session::Transport;

/// The largest output buffer a [`Conduit`] keeps for reuse once its bytes are handed out.
///
/// Replies and small responses fit many times over; a buffer grown by one large write (a
/// piece of a message streamed to the peer, a long listing) is let go after it, so that a
/// connection that once sent a message does not hold the buffer for as long as it idles.
pub const KEEP_OUTPUT: usize = 8 * 1024;

/// The buffers and queues of one session, written once for every protocol.
///
/// A session owns one `Conduit` and keeps its protocol state beside it. The conduit holds:
///
/// - **input**: bytes received from the peer and not yet worked through. The session reads
///   them with [`input`](Self::input), then [`consume`](Self::consume)s what it used, or
///   [`take_input`](Self::take_input)s a whole command as [`Bytes`]. Neither copies: the
///   buffer moves a cursor past the bytes used, and a taken prefix shares the buffer's
///   memory. The buffer grows only through [`push_input`](Self::push_input) and
///   [`push_input_up_to`](Self::push_input_up_to), so the session keeps its caps.
/// - **output**: bytes for the peer, appended with [`write`](Self::write) or by an
///   encoder given [`output`](Self::output). [`transmit`](Self::transmit) hands out
///   everything queued as one [`Bytes`], so replies to a pipelined batch leave in one write.
///   A session that must hold back the tail of its output (SMTP, while a decision is
///   pending and pipelined commands wait, RFC 2920 §3.2) sets a [`mark`](Self::mark) and
///   calls [`transmit_to_mark`](Self::transmit_to_mark).
/// - **events**: what the application must know or decide, first in, first out.
/// - **transport**: [`Transport::Open`] until the session [`close`](Self::close)s or
///   [`start_tls`](Self::start_tls)es; both drop the buffered input, as RFC 3207 §4.2 and
///   RFC 2595 §3.1 require for an upgrade. [`Transport::Close`] is final.
///
/// A tiny session that echoes each line back, built on it:
///
/// ```
/// use bytes::Bytes;
/// use mailwire_core::{Conduit, Transport};
///
/// /// Echoes every line, reports it, and closes on `QUIT`.
/// #[derive(Debug, Default)]
/// struct Echo {
///     conduit: Conduit<Bytes>,
/// }
///
/// impl Echo {
///     fn receive(&mut self, bytes: &[u8]) {
///         if !self.conduit.is_open() {
///             return;
///         }
///         self.conduit.push_input(bytes);
///         while let Some(end) = self.conduit.input().iter().position(|&b| b == b'\n') {
///             let line = self.conduit.take_input(end + 1);
///             if &line[..] == b"QUIT\r\n" {
///                 self.conduit.write(b"BYE\r\n");
///                 self.conduit.close();
///                 return;
///             }
///             self.conduit.write(&line);
///             self.conduit.push_event(line);
///         }
///     }
/// }
///
/// let mut echo = Echo::default();
/// echo.receive(b"hello\r\nwor");
/// echo.receive(b"ld\r\nQUIT\r\nignored\r\n");
/// assert_eq!(echo.conduit.poll_event(), Some(Bytes::from_static(b"hello\r\n")));
/// assert_eq!(echo.conduit.poll_event(), Some(Bytes::from_static(b"world\r\n")));
/// assert_eq!(echo.conduit.poll_event(), None);
/// let written = echo.conduit.transmit().unwrap();
/// assert_eq!(&written[..], b"hello\r\nworld\r\nBYE\r\n");
/// assert_eq!(echo.conduit.transport(), Transport::Close);
/// assert_eq!(echo.conduit.input_len(), 0);
/// ```
#[derive(Debug)]
pub struct Conduit<E> {
    input: BytesMut,
    output: BytesMut,
    /// How many bytes at the front of `output` may go out while the rest is held back.
    mark: usize,
    events: VecDeque<E>,
    transport: Transport,
}

impl<E> Default for Conduit<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Conduit<E> {
    /// Empty buffers and queues, and an open transport.
    pub fn new() -> Self {
        Self {
            input: BytesMut::new(),
            output: BytesMut::new(),
            mark: 0,
            events: VecDeque::new(),
            transport: Transport::Open,
        }
    }

    // ---- input ----

    /// Appends bytes received from the peer.
    ///
    /// This is the only way the input grows besides
    /// [`push_input_up_to`](Self::push_input_up_to): a session that bounds what it holds
    /// checks [`input_len`](Self::input_len) first, or uses that method.
    pub fn push_input(&mut self, bytes: &[u8]) {
        self.input.extend_from_slice(bytes);
    }

    /// Appends as much of `bytes` as keeps the input at most `cap` bytes long, and returns
    /// how many it appended (0 when the input already holds `cap` bytes or more).
    pub fn push_input_up_to(&mut self, bytes: &[u8], cap: usize) -> usize {
        let n = cap.saturating_sub(self.input.len()).min(bytes.len());
        self.input.extend_from_slice(&bytes[..n]);
        n
    }

    /// The received bytes not yet consumed.
    pub fn input(&self) -> &[u8] {
        &self.input
    }

    /// How many received bytes are not yet consumed.
    pub fn input_len(&self) -> usize {
        self.input.len()
    }

    /// How many bytes the input buffer can hold before it must grow: what it costs in
    /// memory, for tests of a session's bounds.
    pub fn input_capacity(&self) -> usize {
        self.input.capacity()
    }

    /// Marks the first `n` bytes of the input as used (all of it if `n` is larger),
    /// without copying the rest.
    pub fn consume(&mut self, n: usize) {
        self.input.advance(n.min(self.input.len()));
    }

    /// Takes the first `n` bytes of the input out (all of it if `n` is larger), without
    /// copying: the bytes returned share the buffer's memory.
    ///
    /// The session can hand them to a decoder while it goes on calling its own `&mut self`
    /// methods, which a borrow of [`input`](Self::input) would forbid.
    pub fn take_input(&mut self, n: usize) -> Bytes {
        self.input.split_to(n.min(self.input.len())).freeze()
    }

    /// Drops all buffered input.
    pub fn clear_input(&mut self) {
        self.input.clear();
    }

    // ---- output ----

    /// Queues bytes for the peer.
    pub fn write(&mut self, bytes: &[u8]) {
        self.output.extend_from_slice(bytes);
    }

    /// The output queue, for encoders that write into a [`BytesMut`]. Bytes appended go out
    /// after those already queued; bytes already queued must be left as they are.
    pub fn output(&mut self) -> &mut BytesMut {
        &mut self.output
    }

    /// How many bytes the output buffer can hold before it must grow: what it costs in
    /// memory while nothing is queued.
    pub fn output_capacity(&self) -> usize {
        self.output.capacity()
    }

    /// How many bytes are queued for the peer.
    pub fn output_len(&self) -> usize {
        self.output.len()
    }

    /// Whether any bytes are queued for the peer.
    pub fn has_output(&self) -> bool {
        !self.output.is_empty()
    }

    /// Lets everything queued so far go out through
    /// [`transmit_to_mark`](Self::transmit_to_mark); what is queued after the mark waits.
    pub fn mark(&mut self) {
        self.mark = self.output.len();
    }

    /// Everything queued, as one buffer, or `None` if nothing is. Nothing is copied.
    ///
    /// The mark goes with it: afterwards nothing is marked. An output buffer that grew
    /// beyond [`KEEP_OUTPUT`] bytes goes with the bytes handed out, and is freed once they
    /// are dropped, rather than kept for the next reply; a smaller one is kept.
    pub fn transmit(&mut self) -> Option<Bytes> {
        self.mark = 0;
        if self.output.is_empty() {
            return None;
        }
        let large = self.output.capacity() > KEEP_OUTPUT;
        let bytes = self.output.split().freeze();
        if large {
            self.output = BytesMut::new();
        }
        Some(bytes)
    }

    /// What was queued up to the [`mark`](Self::mark), as one buffer, or `None` if nothing
    /// was marked; what was queued after the mark stays queued. Nothing is copied.
    ///
    /// A buffer that grew beyond [`KEEP_OUTPUT`] bytes is let go as with
    /// [`transmit`](Self::transmit); what stays queued, if no larger than that, is moved to
    /// a buffer of its own so that it does not keep the large one alive.
    pub fn transmit_to_mark(&mut self) -> Option<Bytes> {
        let ready = std::mem::take(&mut self.mark).min(self.output.len());
        if ready == 0 {
            return None;
        }
        let large = self.output.capacity() > KEEP_OUTPUT;
        let bytes = self.output.split_to(ready).freeze();
        if large && self.output.len() <= KEEP_OUTPUT {
            self.output = BytesMut::from(&self.output[..]);
        }
        Some(bytes)
    }

    // ---- events ----

    /// Queues an event for the application, after those already queued.
    pub fn push_event(&mut self, event: E) {
        self.events.push_back(event);
    }

    /// The oldest queued event, taken out.
    pub fn poll_event(&mut self) -> Option<E> {
        self.events.pop_front()
    }

    /// The oldest queued event, left in the queue.
    pub fn peek_event(&self) -> Option<&E> {
        self.events.front()
    }

    /// How many events are queued.
    pub fn event_count(&self) -> usize {
        self.events.len()
    }

    // ---- transport ----

    /// What the connection must do once the queued output is written.
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// Whether the transport is [`Transport::Open`]: neither closing nor upgrading.
    pub fn is_open(&self) -> bool {
        self.transport == Transport::Open
    }

    /// Closes after the queued output, and drops the buffered input, which nobody will
    /// answer. Queued output and events stay. Final: nothing reopens the transport.
    pub fn close(&mut self) {
        self.transport = Transport::Close;
        self.input.clear();
    }

    /// Asks for a TLS handshake after the queued output, and drops the buffered input: it
    /// arrived in plaintext after the command that started the upgrade, so an attacker may
    /// have put it there (RFC 3207 §4.2, RFC 2595 §3.1). Does nothing more once closed.
    pub fn start_tls(&mut self) {
        self.input.clear();
        if self.transport != Transport::Close {
            self.transport = Transport::StartTls;
        }
    }

    /// The handshake asked for by [`start_tls`](Self::start_tls) finished: the transport
    /// is open again, with no input buffered. Returns whether an upgrade was pending;
    /// if none was, nothing changes.
    pub fn tls_established(&mut self) -> bool {
        if self.transport != Transport::StartTls {
            return false;
        }
        self.input.clear();
        self.transport = Transport::Open;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn consume_and_take_move_a_cursor() {
        let mut c = Conduit::<()>::new();
        c.push_input(b"A1 NOOP\r\nA2 ");
        assert_eq!(c.input(), b"A1 NOOP\r\nA2 ");
        assert_eq!(c.input_len(), 12);
        assert!(c.input_capacity() >= 12);
        c.consume(3);
        assert_eq!(c.input(), b"NOOP\r\nA2 ");
        let taken = c.take_input(6);
        assert_eq!(&taken[..], b"NOOP\r\n");
        assert_eq!(c.input(), b"A2 ");
        c.push_input(b"LOGOUT\r\n");
        assert_eq!(c.input(), b"A2 LOGOUT\r\n");
        // Past the end: everything, no panic.
        assert_eq!(&c.take_input(100)[..], b"A2 LOGOUT\r\n");
        assert_eq!(c.take_input(5), Bytes::new());
        c.push_input(b"xy");
        c.consume(10);
        assert_eq!(c.input(), b"");
        c.push_input(b"left");
        c.clear_input();
        assert_eq!(c.input_len(), 0);
    }

    #[test]
    fn a_large_output_buffer_is_let_go_once_transmitted() {
        let mut c = Conduit::<()>::new();
        c.write(&[b'x'; 64 * 1024]);
        assert!(c.output_capacity() > KEEP_OUTPUT);
        let sent = c.transmit().unwrap();
        assert_eq!(sent.len(), 64 * 1024);
        assert_eq!(c.output_capacity(), 0);
        c.write(b"a1 OK done\r\n");
        assert_eq!(&c.transmit().unwrap()[..], b"a1 OK done\r\n");
        assert_eq!(&sent[..3], b"xxx");
    }

    #[test]
    fn a_small_output_buffer_is_kept_for_the_next_reply() {
        let mut c = Conduit::<()>::new();
        c.write(&[b'*'; 1000]);
        let first = c.transmit().unwrap();
        let at = first.as_ptr();
        drop(first);
        c.write(b"a2 OK\r\n");
        let second = c.transmit().unwrap();
        assert_eq!(&second[..], b"a2 OK\r\n");
        assert_eq!(second.as_ptr(), at);
    }

    #[test]
    fn a_large_output_buffer_is_let_go_by_transmit_to_mark() {
        let mut c = Conduit::<()>::new();
        c.write(&[b'x'; 10 * 1024]);
        c.mark();
        c.write(b"held\r\n");
        assert_eq!(c.transmit_to_mark().unwrap().len(), 10 * 1024);
        // The held tail is still queued, moved to a buffer of its own size.
        assert_eq!(c.output_len(), 6);
        assert_eq!(c.output_capacity(), 6);
        c.mark();
        assert_eq!(&c.transmit_to_mark().unwrap()[..], b"held\r\n");
        assert_eq!(c.transmit_to_mark(), None);
        c.write(&[b'y'; 10 * 1024]);
        c.mark();
        assert_eq!(c.transmit_to_mark().unwrap().len(), 10 * 1024);
        assert_eq!(c.output_capacity(), 0);
    }

    #[test]
    fn taking_input_does_not_copy() {
        let mut c = Conduit::<()>::new();
        c.push_input(b"a1 SELECT INBOX\r\na2 NOOP\r\n");
        let start = c.input().as_ptr();
        let first = c.take_input(17);
        assert_eq!(&first[..], b"a1 SELECT INBOX\r\n");
        assert_eq!(first.as_ptr(), start);
        // The rest stays where it was, right behind the taken command.
        assert_eq!(c.input().as_ptr(), start.wrapping_add(17));
        c.consume(3);
        assert_eq!(c.input().as_ptr(), start.wrapping_add(20));
        let second = c.take_input(7);
        assert_eq!(&second[..], b"NOOP\r\n");
        assert_eq!(second.as_ptr(), start.wrapping_add(20));
    }

    #[test]
    fn input_up_to_a_cap() {
        let mut c = Conduit::<()>::new();
        assert_eq!(c.push_input_up_to(b"abcdef", 4), 4);
        assert_eq!(c.input(), b"abcd");
        assert_eq!(c.push_input_up_to(b"ef", 4), 0);
        assert_eq!(c.push_input_up_to(b"ef", 5), 1);
        assert_eq!(c.input(), b"abcde");
        c.consume(5);
        assert_eq!(c.push_input_up_to(b"", 5), 0);
        assert_eq!(c.push_input_up_to(b"xyz", 5), 3);
        assert_eq!(c.input(), b"xyz");
        // Already over the cap (the cap may shrink between calls): nothing appended.
        assert_eq!(c.push_input_up_to(b"w", 2), 0);
        assert_eq!(c.input(), b"xyz");
    }

    #[test]
    fn transmit_hands_out_everything_once() {
        let mut c = Conduit::<()>::new();
        assert_eq!(c.transmit(), None);
        assert!(!c.has_output());
        c.write(b"250 Ok\r\n");
        c.output().extend_from_slice(b"354 Go\r\n");
        assert!(c.has_output());
        assert_eq!(c.output_len(), 16);
        let batch = c.transmit().unwrap();
        assert_eq!(&batch[..], b"250 Ok\r\n354 Go\r\n");
        assert_eq!(c.transmit(), None);
        assert_eq!(c.output_len(), 0);
    }

    #[test]
    fn transmit_to_mark_holds_the_tail() {
        let mut c = Conduit::<()>::new();
        assert_eq!(c.transmit_to_mark(), None);
        c.write(b"250 a\r\n");
        c.write(b"250 b\r\n");
        c.mark();
        c.write(b"250 c\r\n");
        assert_eq!(&c.transmit_to_mark().unwrap()[..], b"250 a\r\n250 b\r\n");
        // The mark is spent: the tail waits until marked or transmitted.
        assert_eq!(c.transmit_to_mark(), None);
        assert_eq!(c.output_len(), 7);
        c.write(b"250 d\r\n");
        c.mark();
        c.write(b"250 e\r\n");
        assert_eq!(&c.transmit_to_mark().unwrap()[..], b"250 c\r\n250 d\r\n");
        assert_eq!(&c.transmit().unwrap()[..], b"250 e\r\n");
    }

    #[test]
    fn transmit_spends_the_mark() {
        let mut c = Conduit::<()>::new();
        c.write(b"one\r\n");
        c.mark();
        assert_eq!(&c.transmit().unwrap()[..], b"one\r\n");
        c.write(b"two\r\n");
        assert_eq!(c.transmit_to_mark(), None);
        assert_eq!(&c.transmit().unwrap()[..], b"two\r\n");
    }

    #[test]
    fn events_are_first_in_first_out() {
        let mut c = Conduit::new();
        assert_eq!(c.peek_event(), None);
        c.push_event(1);
        c.push_event(2);
        assert_eq!(c.event_count(), 2);
        assert_eq!(c.peek_event(), Some(&1));
        assert_eq!(c.poll_event(), Some(1));
        assert_eq!(c.poll_event(), Some(2));
        assert_eq!(c.poll_event(), None);
        assert_eq!(c.event_count(), 0);
    }

    #[test]
    fn close_drops_input_and_keeps_output() {
        let mut c = Conduit::new();
        assert!(c.is_open());
        assert_eq!(c.transport(), Transport::Open);
        c.push_input(b"MAIL FROM:<>\r\n");
        c.write(b"421 Bye\r\n");
        c.push_event("bye");
        c.close();
        assert_eq!(c.transport(), Transport::Close);
        assert!(!c.is_open());
        assert_eq!(c.input_len(), 0);
        assert_eq!(c.poll_event(), Some("bye"));
        assert_eq!(&c.transmit().unwrap()[..], b"421 Bye\r\n");
        // Close is final.
        c.start_tls();
        assert_eq!(c.transport(), Transport::Close);
        assert!(!c.tls_established());
        assert_eq!(c.transport(), Transport::Close);
    }

    #[test]
    fn start_tls_drops_input_until_the_handshake() {
        let mut c = Conduit::<()>::new();
        c.push_input(b"injected\r\n");
        c.write(b"220 Ready\r\n");
        c.start_tls();
        assert_eq!(c.transport(), Transport::StartTls);
        assert!(!c.is_open());
        assert_eq!(c.input_len(), 0);
        assert_eq!(&c.transmit().unwrap()[..], b"220 Ready\r\n");
        assert!(c.tls_established());
        assert_eq!(c.transport(), Transport::Open);
        // A second report changes nothing.
        c.push_input(b"EHLO\r\n");
        assert!(!c.tls_established());
        assert_eq!(c.input(), b"EHLO\r\n");
        assert_eq!(c.transport(), Transport::Open);
    }

    #[test]
    fn close_during_an_upgrade() {
        let mut c = Conduit::<()>::new();
        c.start_tls();
        c.close();
        assert_eq!(c.transport(), Transport::Close);
        assert!(!c.tls_established());
    }

    /// Frames LF-ended lines out of the conduit, taking the even-numbered ones as `Bytes`
    /// and consuming the odd-numbered ones.
    fn lines(c: &mut Conduit<()>, count: &mut usize, taken: &mut Vec<u8>, consumed: &mut Vec<u8>) {
        while let Some(end) = memchr::memchr(b'\n', c.input()) {
            *count += 1;
            if *count % 2 == 1 {
                taken.extend_from_slice(&c.take_input(end + 1));
            } else {
                consumed.extend_from_slice(&c.input()[..=end]);
                c.consume(end + 1);
            }
        }
    }

    proptest! {
        #[test]
        fn any_split_takes_and_consumes_the_same_bytes(
            data in proptest::collection::vec(
                prop_oneof![Just(b'\n'), Just(b'\r'), Just(b'a'), any::<u8>()], 0..256),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
        ) {
            let mut whole = Conduit::new();
            let (mut whole_count, mut whole_taken, mut whole_consumed) = (0, Vec::new(), Vec::new());
            whole.push_input(&data);
            lines(&mut whole, &mut whole_count, &mut whole_taken, &mut whole_consumed);

            let mut points: Vec<usize> = cuts.iter().map(|i| i.index(data.len() + 1)).collect();
            points.push(0);
            points.push(data.len());
            points.sort_unstable();
            let mut split = Conduit::new();
            let (mut split_count, mut split_taken, mut split_consumed) = (0, Vec::new(), Vec::new());
            for pair in points.windows(2) {
                split.push_input(&data[pair[0]..pair[1]]);
                lines(&mut split, &mut split_count, &mut split_taken, &mut split_consumed);
            }

            prop_assert_eq!(split_count, whole_count);
            prop_assert_eq!(&split_taken, &whole_taken);
            prop_assert_eq!(&split_consumed, &whole_consumed);
            prop_assert_eq!(split.input(), whole.input());
            let rest = data.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
            prop_assert_eq!(whole.input(), &data[rest..]);
            prop_assert_eq!(whole_taken.len() + whole_consumed.len(), rest);
        }
    }
}
