//! Arbitrary client messages through every SASL server mechanism.
//!
//! Asserts: no panic; every exchange ends within a bounded number of steps in a typed
//! `Success` or `Failure`, or waits for the next message; once ended, it refuses more
//! messages with `AuthError::UnexpectedMessage`; `pending()` names the question asked, and
//! nothing between questions; an answer that does not fit the pending question is handed
//! back and leaves it pending.
//!
//! Input layout: the first byte picks the mechanism (low bits), whether the first message
//! is an initial response (bit 4), whether messages go through the base64 line decoder
//! (bit 5) and whether the application accepts (bit 6). The rest is split on `0xFF` into
//! the client's messages.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailwire_core::Secret;
use mailwire_sasl::{
    AuthAnswer, AuthError, AuthQuestion, AuthQuestionKind, Mechanism, Method, ScramKeys,
    ServerExchange, ServerStep, WrongAnswer,
};

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
        let pending = server.pending();
        let answered = match step {
            ServerStep::Question(question) => {
                let kind = question.kind();
                assert_eq!(pending, Some(kind));
                assert_eq!(question.method(), Method::Sasl(mechanism));
                // A token proves no identity by itself: a bare accept is handed back, and
                // the question stays pending.
                if kind == AuthQuestionKind::Token {
                    assert_eq!(
                        server.answer(AuthAnswer::Accept),
                        Err(WrongAnswer {
                            pending,
                            answer: AuthAnswer::Accept
                        })
                    );
                    assert_eq!(server.pending(), pending);
                }
                let answer = match question {
                    _ if !yes => AuthAnswer::Reject,
                    AuthQuestion::Password { .. } => AuthAnswer::Accept,
                    // A token's subject is the application's to name.
                    AuthQuestion::Token { .. } => AuthAnswer::AcceptAs("user".into()),
                    AuthQuestion::Secret { .. } => {
                        AuthAnswer::Secret(Secret::new("tanstaaftanstaaf".into()))
                    }
                    AuthQuestion::ScramKeys { .. } => {
                        AuthAnswer::ScramKeys(ScramKeys::derive("pencil", b"salt", 1))
                    }
                    other => unreachable!("a question this target does not know: {other:?}"),
                };
                server.answer(answer)
            }
            ServerStep::Challenge(_) => {
                assert_eq!(pending, None);
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
                assert_eq!(pending, None);
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
