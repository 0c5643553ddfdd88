//! The server session fed arbitrary bytes, in arbitrary pieces, with the application
//! accepting or refusing by turns: no panic, and everything it writes is a sequence of
//! well-formed replies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailwire_core::{Secret, Session as _};
use mailwire_smtp::sasl::{AuthAnswer, AuthQuestion, Mechanism as SaslMechanism};
use mailwire_smtp::server::{BareLineEndings, Config, Event, Session};
use mailwire_smtp::{Decoded, Domain, Reply};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let Some((&cut, input)) = rest.split_first() else {
        return;
    };
    let mut config = Config::new(Domain::new("mx.example.org").unwrap());
    config.lmtp = flags & 1 != 0;
    config.pipelining = flags & 2 != 0;
    config.chunking = flags & 4 != 0;
    config.starttls = flags & 8 != 0;
    config.plaintext_auth = flags & 16 != 0;
    config.auth_mechanisms = vec![
        SaslMechanism::Plain,
        SaslMechanism::Login,
        SaslMechanism::ScramSha256,
        SaslMechanism::CramMd5,
    ];
    config.max_line_len = 64 + usize::from(flags >> 5) * 64;
    config.max_message_size = Some(4096);
    config.max_recipients = 3;
    config.chunk_size = 100;
    config.bare_line_endings = match flags % 3 {
        0 => BareLineEndings::Normalize,
        1 => BareLineEndings::Keep,
        _ => BareLineEndings::Reject,
    };
    let mut server = Session::new(config);
    server.set_auth_nonce("fuzznonce0123456789");
    let mut output = Vec::new();
    let mut turn = 0u32;
    let piece = usize::from(cut).max(1);
    for chunk in input.chunks(piece) {
        server.receive(chunk);
        while let Some(event) = server.poll_event() {
            turn += 1;
            let no = Reply::new(535, "no").unwrap();
            match event {
                Event::Mail { .. } | Event::Rcpt { .. } | Event::Message { .. } => {
                    if turn % 3 == 0 {
                        server.reject(no).unwrap();
                    } else {
                        server.accept().unwrap();
                    }
                }
                Event::Auth { question } => {
                    let answer = match question {
                        _ if turn % 3 == 0 => AuthAnswer::Reject,
                        AuthQuestion::Password { .. } => AuthAnswer::Accept,
                        AuthQuestion::Token { .. } => AuthAnswer::AcceptAs("user".into()),
                        AuthQuestion::Secret { .. } => {
                            AuthAnswer::Secret(Secret::new("secret".into()))
                        }
                        _ => AuthAnswer::Reject,
                    };
                    server.answer_auth(answer).unwrap();
                }
                _ => {}
            }
        }
        while let Some(bytes) = server.transmit() {
            output.extend_from_slice(&bytes);
        }
        if turn % 7 == 6 {
            server.tls_established();
        }
    }
    server.receive_eof();
    while let Some(bytes) = server.transmit() {
        output.extend_from_slice(&bytes);
    }
    let mut rest = &output[..];
    while !rest.is_empty() {
        match Reply::decode(rest) {
            Decoded::Complete { consumed, .. } => rest = &rest[consumed..],
            other => panic!(
                "server wrote {:?}: {other:?}",
                String::from_utf8_lossy(rest)
            ),
        }
    }
});
