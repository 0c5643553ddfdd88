//! The IMAP client session on arbitrary server bytes in arbitrary splits, with an
//! application that logs in after the greeting, selects INBOX, fetches, idles and logs
//! out. No panic; nothing is sent and no event comes after the session closed.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mailwire_core::{Session as _, Transport};
use mailwire_imap::client::{Config, Event, Session};
use mailwire_imap::types::{CommandBody, Mailbox};

fuzz_target!(|input: (Vec<u8>, Vec<u8>)| {
    let (data, splits) = input;
    let mut config = Config::default();
    config.plaintext_auth = true;
    let mut c = Session::new(config);
    let mut rest = &data[..];
    let mut splits = splits.iter().cycle();
    let mut completions = 0u32;
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
