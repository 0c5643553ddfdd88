//! The SMTP client session on arbitrary server bytes in arbitrary splits, with an
//! application that sends one message (with credentials, LMTP or SCRAM as the input
//! chooses), says RSET and then quits. No panic; nothing is sent and no event comes after the
//! session closed; what the client writes stays proportional to what it was given.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mailwire_core::{Session as _, Transport};
use mailwire_smtp::client::{Config, Credentials, Envelope, Event, Session, TlsPolicy};
use mailwire_smtp::{ForwardPath, Host, Mailbox, ReversePath};

const BODY: &[u8] = b"Subject: fuzz\r\n\r\n.leading dot\r\nbody\r\n";

fuzz_target!(|input: (Vec<u8>, Vec<u8>, u8)| {
    let (data, splits, mode) = input;
    let mut config = Config::new(Host::parse("client.test").unwrap());
    config.tls = if mode & 1 == 0 {
        TlsPolicy::Opportunistic
    } else {
        TlsPolicy::Never
    };
    config.lmtp = mode & 2 != 0;
    if mode & 4 != 0 {
        config.credentials = Some(Credentials::new("user", "pass"));
        config.plaintext_auth = true;
        config.scram_nonce = Some("fyko+d2lbbFgONRv9qkxdawL".into());
    }
    let mut c = Session::new(config);
    let mut reset = false;
    let mut written = 0usize;
    let mut rest = &data[..];
    let mut splits = splits.iter().cycle();
    while !rest.is_empty() {
        let n = usize::from(*splits.next().unwrap_or(&255)).clamp(1, rest.len());
        let (piece, tail) = rest.split_at(n);
        c.receive(piece);
        rest = tail;
        while let Some(event) = c.poll_event() {
            match event {
                Event::Ready { .. } => {
                    let envelope = Envelope::new(
                        ReversePath::Mailbox(Mailbox::parse("a@x.test").unwrap()),
                        vec![
                            ForwardPath::Mailbox(Mailbox::parse("b@y.test").unwrap()),
                            ForwardPath::Postmaster,
                        ],
                    );
                    let _ = c.send_mail(envelope);
                }
                Event::SendBody => {
                    let _ = c.write_body(BODY);
                    let _ = c.finish_body();
                }
                Event::MessageDone { .. } | Event::MessageFailed { .. } if !reset => {
                    reset = true;
                    if c.reset().is_err() {
                        c.quit();
                    }
                }
                Event::MessageDone { .. } | Event::MessageFailed { .. } | Event::Reset => c.quit(),
                _ => {}
            }
        }
        while let Some(bytes) = c.transmit() {
            written += bytes.len();
        }
        // EHLO, one transaction, AUTH and QUIT: a bounded amount, whatever the server says.
        assert!(written < 4096 + data.len(), "{written} bytes written");
        match c.transport() {
            Transport::StartTls => c.tls_established(),
            Transport::Close => {
                c.receive(b"250 ignored after close\r\n");
                assert!(c.poll_event().is_none());
                assert!(c.transmit().is_none());
                return;
            }
            _ => {}
        }
    }
    c.receive_eof();
});
