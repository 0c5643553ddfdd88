//! The IMAP client session on arbitrary server bytes in arbitrary splits, with an
//! application that logs in after the greeting, selects INBOX, fetches (streamed, with
//! body literals over 8 bytes handed out in chunks), idles and logs out. No panic; the
//! chunks of a streamed body add up to no more than its announced length; nothing is
//! sent and no event comes after the session closed.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mailwire_core::{Session as _, Transport};
use mailwire_imap::client::{Config, Event, Session};
use mailwire_imap::types::{
    CommandBody, FetchAttribute, FetchItems, Mailbox, NonEmpty, Section, SequenceSet,
};

fuzz_target!(|input: (Vec<u8>, Vec<u8>)| {
    let (data, splits) = input;
    let mut config = Config::default();
    config.plaintext_auth = true;
    config.stream_literals_over = 8;
    let mut c = Session::new(config);
    let mut rest = &data[..];
    let mut splits = splits.iter().cycle();
    let mut completions = 0u32;
    // Bytes of the streaming body still announced.
    let mut body_left = 0u64;
    while !rest.is_empty() {
        let n = usize::from(*splits.next().unwrap_or(&255)).clamp(1, rest.len());
        let (piece, tail) = rest.split_at(n);
        c.receive(piece);
        rest = tail;
        while let Some(event) = c.poll_event() {
            match event {
                Event::Greeting { .. } => {
                    let _ = c.login("user", "pass\r\nword");
                    let _ = c.command(CommandBody::Select {
                        mailbox: Mailbox::Inbox,
                        condstore: false,
                    });
                    let _ = c.command_streamed(CommandBody::Fetch {
                        set: SequenceSet::all(),
                        items: FetchItems::Attributes(NonEmpty::new(FetchAttribute::BodySection {
                            peek: true,
                            section: Section::full(),
                            partial: None,
                        })),
                        changed_since: None,
                        uid: false,
                    });
                }
                Event::BodyStart { length, .. } => {
                    assert_eq!(body_left, 0);
                    body_left = u64::from(length);
                }
                Event::BodyChunk { data, .. } => {
                    assert!(!data.is_empty());
                    body_left = body_left
                        .checked_sub(data.len() as u64)
                        .expect("no more than announced");
                }
                Event::Completed { .. } => {
                    completions += 1;
                    match completions {
                        1 => {
                            let _ = c.idle();
                        }
                        2 => {
                            let _ = c.command(CommandBody::Noop);
                            let _ = c.command(CommandBody::Logout);
                        }
                        _ => {}
                    }
                }
                Event::Idling { .. } => {
                    let _ = c.done();
                }
                _ => {}
            }
        }
        while c.transmit().is_some() {}
        match c.transport() {
            Transport::StartTls => c.tls_established(),
            Transport::Close => {
                c.receive(b"* OK ignored after close\r\n");
                assert!(c.poll_event().is_none());
                assert!(c.transmit().is_none());
                return;
            }
            _ => {}
        }
    }
    c.receive_eof();
});
