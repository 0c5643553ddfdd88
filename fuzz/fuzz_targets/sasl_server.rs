//! Arbitrary client messages through every SASL server mechanism.
//!
//! Asserts: no panic; every exchange ends within a bounded number of steps in a typed
//! `Success` or `Failure`, or waits for the next message; once ended, it refuses more
//! messages with `AuthError::UnexpectedMessage`.
//!
//! Input layout: the first byte picks the mechanism (low bits), whether the first message
//! is an initial response (bit 4), whether messages go through the base64 line decoder
//! (bit 5) and whether the application accepts (bit 6). The rest is split on `0xFF` into
//! the client's messages.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailwire_core::Secret;
use mailwire_sasl::{AuthError, Mechanism, ScramKeys, ServerExchange, ServerStep};

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    let mechanism = Mechanism::ALL[usize::from(control & 0x0f) % Mechanism::ALL.len()];
    let initial = control & 0x10 != 0;
    let as_lines = control & 0x20 != 0;
    let yes = control & 0x40 != 0;

    let nonce = match mechanism {
        Mechanism::CramMd5 => "<1896.697170952@postoffice.reston.mci.net>",
        _ => "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
    };
    let mut server = ServerExchange::new(mechanism, nonce).expect("valid nonce");
    let mut messages = rest.split(|&b| b == 0xff);
    let mut step = if initial {
        server.start(messages.next())
    } else {
        server.start(None)
    };

    for _ in 0..64 {
        let answered = match step {
            ServerStep::VerifyPassword { .. } if yes => server.accept(),
            // A token's subject is the application's to name.
            ServerStep::VerifyToken { .. } if yes => server.accept_as("user"),
            ServerStep::LookupSecret { .. } if yes => {
                server.provide_secret(&Secret::new(b"tanstaaftanstaaf"))
            }
            ServerStep::LookupScramKeys { .. } if yes => {
                server.provide_scram_keys(ScramKeys::derive("pencil", b"salt", 1))
            }
            ServerStep::VerifyPassword { .. }
            | ServerStep::VerifyToken { .. }
            | ServerStep::LookupSecret { .. }
            | ServerStep::LookupScramKeys { .. } => server.reject(),
            ServerStep::Challenge(_) => {
                let Some(message) = messages.next() else {
                    return;
                };
                Ok(if as_lines {
                    server.receive_line(message)
                } else {
                    server.receive(message)
                })
            }
            ServerStep::Success { .. } | ServerStep::Failure(_) => {
                assert!(server.is_done());
                assert_eq!(
                    server.receive(b""),
                    ServerStep::Failure(AuthError::UnexpectedMessage)
                );
                return;
            }
        };
        step = answered.expect("the exchange accepts the answer to its own question");
    }
    panic!("the exchange did not end");
});
