//! Message bodies on the server side: DATA (dot-unstuffed, ending only at CRLF . CRLF) and
//! BDAT chunks (RFC 3030), streamed to the application as they arrive.

use bytes::{Bytes, BytesMut};
use mailwire_core::dot::{BareLineEnding, DotUnstuffer, Unstuffed};

use super::{AbortReason, BareLineEndings, BdatChunk, Event, Pending, Phase, Session};
use crate::types::command::Verb;
use crate::types::param::Body;
use crate::types::reply::Reply;

/// What one pass of the unstuffer gave.
struct Unstuffing {
    body: Bytes,
    used: usize,
    done: bool,
    bare: u64,
}

fn unstuff(unstuffer: &mut DotUnstuffer, input: &[u8]) -> Unstuffing {
    if input.is_empty() {
        return Unstuffing {
            body: Bytes::new(),
            used: 0,
            done: false,
            bare: 0,
        };
    }
    let mut body = BytesMut::with_capacity(input.len());
    let (used, done) = match unstuffer.decode(input, &mut body) {
        Unstuffed::Partial => (input.len(), false),
        Unstuffed::Done { consumed } => (consumed, true),
    };
    Unstuffing {
        body: body.freeze(),
        used,
        done,
        bare: unstuffer.bare_line_endings(),
    }
}

impl Session {
    pub(super) fn on_data(&mut self) {
        let Some(tx) = &self.tx else {
            return self.fail(Reply::fixed(503, Some((5, 5, 1)), "Need MAIL command"));
        };
        if tx.recipients.is_empty() {
            return self.fail(Reply::fixed(554, Some((5, 5, 1)), "No valid recipients"));
        }
        if tx.used_bdat {
            return self.fail(Reply::fixed(
                503,
                Some((5, 5, 1)),
                "DATA not allowed after BDAT",
            ));
        }
        if tx.params.body == Some(Body::BinaryMime) {
            return self.fail(Reply::fixed(
                503,
                Some((5, 5, 1)),
                "BINARYMIME requires BDAT",
            ));
        }
        let policy = match self.config.bare_line_endings {
            BareLineEndings::Normalize => BareLineEnding::Normalize,
            BareLineEndings::Keep | BareLineEndings::Reject => BareLineEnding::Keep,
        };
        self.send(Reply::fixed(354, None, "End data with <CR><LF>.<CR><LF>"));
        self.phase = Phase::Data(DotUnstuffer::new().with_bare_line_endings(policy));
    }

    pub(super) fn on_bdat(&mut self, size: u64, last: bool) {
        if !self.config.chunking {
            return self.fail(Reply::fixed(502, Some((5, 5, 1)), "BDAT not supported"));
        }
        let max = self.config.max_message_size;
        // HELO offered no extensions; the chunk is still read, and dropped.
        let after_helo = self.hello == Some(Verb::Helo);
        let failure = match &mut self.tx {
            _ if after_helo => Some(Reply::fixed(503, Some((5, 5, 1)), "BDAT needs EHLO")),
            None => Some(Reply::fixed(503, Some((5, 5, 1)), "Need MAIL command")),
            Some(tx) if tx.recipients.is_empty() => {
                Some(Reply::fixed(554, Some((5, 5, 1)), "No valid recipients"))
            }
            Some(tx) => {
                tx.used_bdat = true;
                let over = max.is_some_and(|m| tx.size.saturating_add(size) > m);
                if over && tx.aborted.is_none() {
                    tx.aborted = Some(AbortReason::TooBig);
                    self.conduit.push_event(Event::MessageAborted {
                        reason: AbortReason::TooBig,
                    });
                }
                tx.aborted.map(abort_reply)
            }
        };
        self.phase = Phase::Bdat(BdatChunk {
            remaining: size,
            size,
            last,
            failure,
        });
    }

    pub(super) fn step_bdat(&mut self) -> bool {
        let Phase::Bdat(chunk) = &mut self.phase else {
            return false;
        };
        if chunk.remaining > 0 {
            let available = u64::try_from(self.conduit.input_len()).unwrap_or(u64::MAX);
            let take = chunk.remaining.min(available);
            if take == 0 {
                return false;
            }
            chunk.remaining -= take;
            let discard = chunk.failure.is_some();
            let bytes = self
                .conduit
                .take_input(usize::try_from(take).unwrap_or(usize::MAX));
            if !discard {
                self.deliver(bytes);
            }
            return true;
        }
        let Phase::Bdat(chunk) = std::mem::replace(&mut self.phase, Phase::Command) else {
            return false;
        };
        match chunk.failure {
            Some(reply) => {
                // LMTP answers the end of a message once per accepted recipient (RFC 2033
                // §4.2), refusals included.
                let mut replies = 1;
                if chunk.last {
                    if self.config.lmtp {
                        replies = self.tx.as_ref().map_or(1, |tx| tx.recipients.len().max(1));
                    }
                    self.tx = None;
                }
                for _ in 1..replies {
                    self.send(reply.clone());
                }
                if reply.code().get() == 552 {
                    self.send(reply);
                } else {
                    self.fail(reply);
                }
            }
            None if chunk.last => self.finish_message(),
            None => {
                let text = format!("{} octets received", chunk.size);
                self.send(Reply::fixed(250, Some((2, 0, 0)), &text));
            }
        }
        true
    }

    /// Feeds DATA body bytes, straight from the caller's buffer, through the unstuffer;
    /// returns how many it used.
    pub(super) fn feed_data(&mut self, input: &[u8]) -> usize {
        let Phase::Data(unstuffer) = &mut self.phase else {
            return 0;
        };
        let unstuffed = unstuff(unstuffer, input);
        self.unstuffed(unstuffed)
    }

    /// Feeds the buffered DATA body bytes through the unstuffer and consumes those it used;
    /// returns how many that was.
    pub(super) fn feed_buffered_data(&mut self) -> usize {
        let Phase::Data(unstuffer) = &mut self.phase else {
            return 0;
        };
        let unstuffed = unstuff(unstuffer, self.conduit.input());
        self.conduit.consume(unstuffed.used);
        self.unstuffed(unstuffed)
    }

    /// Delivers what the unstuffer gave, and finishes the message at its end.
    fn unstuffed(&mut self, unstuffed: Unstuffing) -> usize {
        let Unstuffing {
            body,
            used,
            done,
            bare,
        } = unstuffed;
        if used == 0 && !done {
            return 0;
        }
        self.deliver(body);
        if done {
            self.phase = Phase::Command;
            if bare > 0
                && self.config.bare_line_endings == BareLineEndings::Reject
                && let Some(tx) = &mut self.tx
                && tx.aborted.is_none()
            {
                tx.aborted = Some(AbortReason::BareLineEnding);
                self.conduit.push_event(Event::MessageAborted {
                    reason: AbortReason::BareLineEnding,
                });
            }
            self.finish_message();
        }
        used
    }

    /// Hands body bytes to the application, unless the message is over its size.
    pub(super) fn deliver(&mut self, mut bytes: Bytes) {
        let Some(tx) = &mut self.tx else { return };
        tx.size = tx
            .size
            .saturating_add(u64::try_from(bytes.len()).unwrap_or(u64::MAX));
        if tx.aborted.is_none() && self.config.max_message_size.is_some_and(|m| tx.size > m) {
            tx.aborted = Some(AbortReason::TooBig);
            self.conduit.push_event(Event::MessageAborted {
                reason: AbortReason::TooBig,
            });
        }
        if tx.aborted.is_some() {
            return;
        }
        while !bytes.is_empty() {
            let chunk = bytes.split_to(bytes.len().min(self.config.chunk_size.max(1)));
            self.conduit.push_event(Event::MessageData { chunk });
        }
    }

    pub(super) fn finish_message(&mut self) {
        let Some(tx) = &self.tx else { return };
        if let Some(reason) = tx.aborted {
            let times = if self.config.lmtp {
                tx.recipients.len()
            } else {
                1
            };
            self.tx = None;
            for _ in 0..times {
                self.send(abort_reply(reason));
            }
            return;
        }
        self.conduit.push_event(Event::Message {
            from: tx.from.clone(),
            recipients: tx.recipients.clone(),
            size: tx.size,
        });
        self.phase = Phase::Pending(Pending::Message);
    }
}

pub(super) fn too_big() -> Reply {
    Reply::fixed(
        552,
        Some((5, 3, 4)),
        "Message size exceeds fixed maximum message size",
    )
}

pub(super) fn abort_reply(reason: AbortReason) -> Reply {
    match reason {
        AbortReason::BareLineEnding => Reply::fixed(
            550,
            Some((5, 6, 0)),
            "Bare CR or LF not allowed in message data",
        ),
        _ => too_big(),
    }
}

#[cfg(test)]
mod tests {
    use mailwire_core::Session as _;

    use super::super::{Config, Event, Phase, Session};
    use crate::types::path::Domain;

    fn in_data(chunk_size: usize) -> Session {
        let mut config = Config::new(Domain::new("mx.example.org").unwrap());
        config.max_message_size = None;
        config.chunk_size = chunk_size;
        let mut server = Session::new(config);
        server
            .receive(b"EHLO c.example\r\nMAIL FROM:<a@c.example>\r\nRCPT TO:<b@x.org>\r\nDATA\r\n");
        while let Some(event) = server.poll_event() {
            if matches!(event, Event::Mail { .. } | Event::Rcpt { .. }) {
                server.accept().unwrap();
            }
        }
        assert!(matches!(server.phase, Phase::Data(_)));
        server
    }

    /// Memory is bounded by what one read brings, whatever the message size: nothing is
    /// buffered between reads, and every chunk is at most `chunk_size`.
    #[test]
    fn a_large_body_streams_without_accumulating() {
        let mut server = in_data(16 * 1024);
        let line = b"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\r\n";
        let read: Vec<u8> = line.iter().copied().cycle().take(64 * 1024).collect();
        let mut total = 0usize;
        for _ in 0..128 {
            server.receive(&read);
            assert_eq!(server.conduit.input_len(), 0);
            while let Some(event) = server.poll_event() {
                let Event::MessageData { chunk } = event else {
                    panic!("{event:?}")
                };
                assert!(chunk.len() <= 16 * 1024);
                total += chunk.len();
            }
        }
        assert_eq!(total, 128 * 64 * 1024);
        // The last read ended mid-line; the terminator needs its own CRLF first.
        server.receive(b"\r\n.\r\n");
        let events: Vec<Event> = std::iter::from_fn(|| server.poll_event()).collect();
        assert!(
            matches!(&events[..], [Event::MessageData { .. }, Event::Message { size, .. }]
            if *size == 128 * 64 * 1024 + 2)
        );
    }

    /// A BDAT chunk's announced size reserves nothing: bytes are handed on as they come.
    #[test]
    fn bdat_streams_as_it_arrives() {
        let mut server = in_data(1024);
        server.receive(b".\r\n");
        while let Some(event) = server.poll_event() {
            if matches!(event, Event::Message { .. }) {
                server.accept().unwrap();
            }
        }
        server.receive(b"MAIL FROM:<a@c.example>\r\nRCPT TO:<b@x.org>\r\n");
        while let Some(event) = server.poll_event() {
            if matches!(event, Event::Mail { .. } | Event::Rcpt { .. }) {
                server.accept().unwrap();
            }
        }
        server.receive(b"BDAT 1000000000 LAST\r\n");
        assert!(server.conduit.input_capacity() < 64 * 1024);
        server.receive(&[b'x'; 5000]);
        assert_eq!(server.conduit.input_len(), 0);
        let delivered: usize = std::iter::from_fn(|| server.poll_event())
            .map(|e| match e {
                Event::MessageData { chunk } => chunk.len(),
                other => panic!("{other:?}"),
            })
            .sum();
        assert_eq!(delivered, 5000);
    }
}
