//! A client and a server exchanging a command with synchronising literals, through the
//! encoder's fragments and the decoder's announcements only.

use mailwire_core::Secret;
use mailwire_imap::codec::{
    DecodeError, Decoded, Fragment, Limits, LiteralMode, decode_command, decode_response,
    encode_command, encode_response,
};
use mailwire_imap::types::*;

/// What the server does with the bytes it has so far: `Some(reply)` to send, or a decoded
/// command, or nothing yet.
enum Step {
    Continue(Vec<u8>),
    Command(Command),
    Wait,
}

fn server_step(buf: &[u8], answered: &mut Vec<usize>, limits: &Limits) -> Step {
    match decode_command(buf, limits) {
        Ok(Decoded::Complete { value, .. }) => Step::Command(value),
        Ok(Decoded::Incomplete) => Step::Wait,
        Ok(Decoded::LiteralAnnounced { position, .. }) if answered.contains(&position) => {
            Step::Wait
        }
        Ok(Decoded::LiteralAnnounced { position, .. }) => {
            answered.push(position);
            let mut out = Vec::new();
            encode_response(
                &Response::Continue(Continue {
                    code: None,
                    text: Text::new("go ahead").unwrap(),
                }),
                &mut out,
            );
            Step::Continue(out)
        }
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn the_client_waits_for_each_continuation() {
    let command = Command::new(
        Tag::new("A001").unwrap(),
        CommandBody::Login {
            username: IString::new("FRED\r\nFOOBAR").unwrap(),
            password: Secret::new(IString::new("fat\r\nman").unwrap()),
        },
    );
    let encoded = encode_command(&command, LiteralMode::Sync);
    let limits = Limits::default();
    let mut wire = Vec::new();
    let mut answered = Vec::new();
    let mut to_client: Vec<u8> = Vec::new();
    let mut continuations = 0;
    let mut decoded = None;
    for fragment in encoded.fragments() {
        if let Fragment::Literal { sync: true, .. } = fragment {
            // The client may send the literal only after a `+`.
            let Ok(Decoded::Complete {
                value: Response::Continue(_),
                consumed,
            }) = decode_response(&to_client, &limits)
            else {
                panic!("no continuation before a synchronising literal")
            };
            to_client.drain(..consumed);
            continuations += 1;
        }
        let bytes = match fragment {
            Fragment::Line(b) | Fragment::Literal { data: b, .. } => b,
        };
        // The server sees the bytes one at a time.
        for &b in bytes {
            wire.push(b);
            match server_step(&wire, &mut answered, &limits) {
                Step::Continue(reply) => to_client.extend_from_slice(&reply),
                Step::Command(c) => decoded = Some(c),
                Step::Wait => {}
            }
        }
    }
    assert!(to_client.is_empty());
    assert_eq!(continuations, 2);
    assert_eq!(decoded, Some(command));
}

#[test]
fn a_server_refuses_a_literal_over_its_limit_before_the_data() {
    let limits = Limits::default().with_max_literal(1024);
    let err = decode_command(b"A1 APPEND INBOX {2048}\r\n", &limits).unwrap_err();
    assert_eq!(
        err,
        DecodeError::LiteralTooLarge {
            tag: Some(Tag::new("A1").unwrap()),
            length: 2048,
            limit: 1024,
            sync: true,
            skip: 24
        }
    );
    // Under LITERAL+ the data is on its way; the error says so.
    let err = decode_command(b"A2 APPEND INBOX {2048+}\r\nxx", &limits).unwrap_err();
    assert!(matches!(
        err,
        DecodeError::LiteralTooLarge {
            sync: false,
            skip: 25,
            ..
        }
    ));
}
