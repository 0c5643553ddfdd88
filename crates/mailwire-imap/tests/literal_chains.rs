//! A command or response that chains literal after literal is bounded by
//! `Limits::max_message`: the literal that would pass it is refused like an oversized one,
//! and nothing of the chain is kept. The only test that allocates in this binary, so the
//! allocator's counters speak of it alone.

use std::alloc::System;

use mailwire_core::Session;
use mailwire_imap::client::{Event as ClientEvent, Session as ClientSession};
use mailwire_imap::codec::{FrameError, FrameEvent, Framer, Limits};
use mailwire_imap::server::{Config, Greeting, Session as ServerSession};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn drain(s: &mut impl Session) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(b) = s.transmit() {
        out.extend_from_slice(&b);
    }
    out
}

#[test]
fn chained_literals_stop_at_the_message_limit() {
    // The framer: a 60-byte budget takes two 10-byte literals, not the third.
    let limits = Limits::default().with_max_message(60);
    let mut f = Framer::new(limits);
    let mut input: &[u8] = b"a APPEND x {10+}\r\n0123456789 {10+}\r\n0123456789 {10+}\r\n";
    let mut pieces = Vec::new();
    let err = loop {
        match f.next(input) {
            Ok(Some(FrameEvent::Line { len, .. } | FrameEvent::LiteralData { len, .. })) => {
                pieces.push(len);
                input = &input[len..];
            }
            Ok(None) => panic!("more input expected"),
            Err(e) => break e,
        }
    };
    assert_eq!(pieces, [18, 10, 8, 10]);
    assert_eq!(
        err,
        FrameError::LiteralTooLarge {
            offset: 0,
            length: 10,
            // 60 less the 54 bytes before the third literal's data.
            limit: 6,
            sync: false,
        }
    );

    // The server: a MULTIAPPEND-shaped chain of 2,000 literals of 1,000 bytes against a
    // 10,000-byte budget is refused once, and the session keeps nothing of it.
    let mut config = Config::default();
    config.limits = Limits::default().with_max_message(10_000);
    let region = Region::new(GLOBAL);
    let mut s = ServerSession::new(config).with_greeting(Greeting::PreAuth { user: "u".into() });
    drain(&mut s);
    s.receive(b"a APPEND INBOX {1000+}\r\n");
    let data = vec![b'x'; 1000];
    let mut out = Vec::new();
    for _ in 0..2000 {
        s.receive(&data);
        s.receive(b" {1000+}\r\n");
        out.extend(drain(&mut s));
        while s.poll_event().is_some() {}
    }
    let held = region.change();
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.starts_with("a BAD Literal too large\r\n"),
        "{}",
        &text[..text.len().min(200)]
    );
    let net = held.bytes_allocated as isize - held.bytes_deallocated as isize;
    assert!(net < 256 * 1024, "the session holds {net} bytes");
    drop(s);

    // The client: a server response chaining literals past its budget is reported, and
    // not buffered.
    let region = Region::new(GLOBAL);
    let mut config = mailwire_imap::client::Config::default();
    config.limits = Limits::for_client().with_max_message(10_000);
    let mut c = ClientSession::new(config);
    c.receive(b"* OK [CAPABILITY IMAP4rev1 IDLE] hi\r\n");
    while c.poll_event().is_some() {}
    c.receive(b"* 1 FETCH (BODY[1] {1000}\r\n");
    let mut refused = None;
    for _ in 0..2000 {
        c.receive(&data);
        c.receive(b" BODY[2] {1000}\r\n");
        while let Some(e) = c.poll_event() {
            if let ClientEvent::Malformed { reason } = e {
                refused.get_or_insert(reason);
            }
        }
    }
    let reason = refused.expect("the chain was refused");
    assert!(reason.contains("literal"), "{reason}");
    let held = region.change();
    let net = held.bytes_allocated as isize - held.bytes_deallocated as isize;
    assert!(net < 256 * 1024, "the client holds {net} bytes");
}
