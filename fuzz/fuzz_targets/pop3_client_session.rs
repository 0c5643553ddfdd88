//! The client session on arbitrary server bytes in arbitrary splits, with an application
//! that logs in when ready and then asks for everything. No panic, and no event after the
//! session closed.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mailwire_core::{Session as _, Transport};
use mailwire_pop3::{
    MessageNumber, Password, UserName,
    client::{Config, Event, Session},
};

fuzz_target!(|input: (Vec<u8>, Vec<u8>, bool)| {
    let (data, splits, tls) = input;
    let mut config = Config::default();
    config.implicit_tls = tls;
    config.plaintext_auth = true;
    let mut c = Session::new(config);
    let one = MessageNumber::new(1).unwrap();
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
                    let _ = c.login(UserName::new("u").unwrap(), Password::new("p").unwrap());
                }
                Event::LoggedIn { .. } => {
                    let _ = c.stat();
                    let _ = c.list(None);
                    let _ = c.uidl(Some(one));
                    let _ = c.retr(one);
                    let _ = c.top(one, 3);
                    let _ = c.dele(one);
                    let _ = c.quit();
                }
                _ => {}
            }
        }
        while c.transmit().is_some() {}
        match c.transport() {
            Transport::StartTls => c.tls_established(),
            Transport::Close => {
                c.receive(b"+OK ignored after close\r\n");
                assert_eq!(c.poll_event(), None);
                return;
            }
            _ => {}
        }
    }
    c.receive_eof();
});
