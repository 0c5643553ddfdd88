//! The server session on arbitrary client bytes in arbitrary splits, with an application
//! that accepts every login (USER / PASS, APOP and every SASL mechanism) and serves a
//! three-message maildrop. No panic, no answer method misused by a well-behaved
//! application, and nothing read after close.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mailwire_core::{Secret, Session as _, Transport};
use mailwire_pop3::{
    Timestamp, UniqueId,
    server::{BodyFlow, Config, Event, Maildrop, MessageInfo, PlaintextLogin, Session},
};
use mailwire_sasl::{AuthAnswer, AuthQuestion, Mechanism, ScramKeys};

const BODY: &[u8] = b"From: a\r\nSubject: b\r\n\r\n.line\r\n.\r\nlast";
const NONCE: &str = "<1.2@fuzz.example>";

fn answer(s: &mut Session) {
    while let Some(event) = s.poll_event() {
        let r = match event {
            Event::Auth { question } => {
                let answer = match question {
                    AuthQuestion::Password { .. } => AuthAnswer::Accept,
                    AuthQuestion::Token { .. } => AuthAnswer::AcceptAs("u".into()),
                    AuthQuestion::Secret { .. } => {
                        AuthAnswer::Secret(Secret::new("tanstaaf".into()))
                    }
                    AuthQuestion::ScramKeys { .. } => {
                        AuthAnswer::ScramKeys(ScramKeys::derive("pencil", b"salt", 16))
                    }
                    _ => AuthAnswer::Reject,
                };
                s.answer_auth(answer)
            }
            // Every exchange may use the nonce up; give the next one a fresh one.
            Event::Authenticated { .. } | Event::AuthFailed { .. } => {
                s.set_auth_nonce(NONCE);
                Ok(())
            }
            Event::OpenMaildrop { .. } => {
                let infos = (0..3)
                    .map(|i| MessageInfo {
                        size: BODY.len() as u64,
                        unique_id: UniqueId::new(format!("id{i}")).unwrap(),
                    })
                    .collect();
                s.open_maildrop(Maildrop::new(infos))
            }
            Event::Retrieve { .. } | Event::Top { .. } => {
                for chunk in BODY.chunks(5) {
                    let flow = s.send_body(chunk).expect("a body was asked for");
                    if flow == BodyFlow::Enough {
                        break;
                    }
                }
                s.end_body()
            }
            Event::Update { .. } => s.finish_update(true),
            _ => Ok(()),
        };
        r.expect("the session asked for this answer");
    }
}

fuzz_target!(|input: (Vec<u8>, Vec<u8>)| {
    let (data, splits) = input;
    let mut config = Config::default();
    config.plaintext_login = PlaintextLogin::Allow;
    config.apop = true;
    config.stls = true;
    config.utf8 = true;
    config.sasl_mechanisms = vec![
        Mechanism::Plain,
        Mechanism::Login,
        Mechanism::CramMd5,
        Mechanism::XOAuth2,
        Mechanism::OAuthBearer,
        Mechanism::ScramSha256,
    ];
    let ts = Timestamp::from_parts(1, 2, 3, "fuzz.example").unwrap();
    let mut s = Session::new(config).with_apop_timestamp(ts);
    s.set_auth_nonce(NONCE);
    let mut rest = &data[..];
    let mut splits = splits.iter().cycle();
    while !rest.is_empty() {
        let n = usize::from(*splits.next().unwrap_or(&255)).clamp(1, rest.len());
        let (piece, tail) = rest.split_at(n);
        s.receive(piece);
        rest = tail;
        answer(&mut s);
        while s.transmit().is_some() {}
        match s.transport() {
            Transport::StartTls => s.tls_established(),
            Transport::Close => return,
            _ => {}
        }
    }
    s.receive_eof();
    answer(&mut s);
    while s.transmit().is_some() {}
});
