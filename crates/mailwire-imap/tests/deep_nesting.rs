//! Nesting is bounded: a message nested far past the limit is read, answered and read back
//! on a thread with a small stack, so neither the parse nor the writing of BODYSTRUCTURE
//! nor the decoding of it can exhaust a server's stack, whatever the message.

use mailwire_imap::codec::{Decoded, Limits, decode_response};
use mailwire_imap::message::ParsedMessage;
use mailwire_imap::types::{BodyStructure, Data, MessageDataItem, Response};

/// `levels` multiparts, each holding a `message/rfc822` part that encloses the next.
fn nested(levels: usize) -> Vec<u8> {
    let mut raw = b"Subject: deep\r\n".to_vec();
    for i in 0..levels {
        raw.extend_from_slice(
            format!(
                "Content-Type: multipart/mixed; boundary=x{i}y\r\n\r\n--x{i}y\r\n\
Content-Type: message/rfc822\r\n\r\nSubject: level {i}\r\n"
            )
            .as_bytes(),
        );
    }
    raw.extend_from_slice(b"Content-Type: text/plain\r\n\r\nleaf\r\n");
    for i in (0..levels).rev() {
        raw.extend_from_slice(format!("\r\n--x{i}y--\r\n").as_bytes());
    }
    raw
}

/// Levels of `BodyStructure` from the top to the deepest part, enclosed messages counted.
fn depth(b: &BodyStructure) -> usize {
    match b {
        BodyStructure::Single { body, .. } => match &body.kind {
            mailwire_imap::types::BodyKind::Message { body, .. } => 1 + depth(body),
            _ => 1,
        },
        BodyStructure::Multi { bodies, .. } => 1 + bodies.iter().map(depth).max().unwrap_or(0),
    }
}

#[test]
fn a_thousand_levels_fit_a_small_stack() {
    // A 2 MiB stack, as Rust and tokio give a thread by default. Measured in a debug
    // build, where frames are largest: the parse, writing and decoding below need between
    // 1 and 1.25 MiB at the 99 levels opened; past the limit the input's depth costs
    // nothing.
    let stack = 2 * 1024 * 1024;
    let raw = nested(1000);
    let levels = std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || {
            for msg in [ParsedMessage::parse(&raw), ParsedMessage::parse_full(&raw)] {
                let mut out = Vec::new();
                msg.write_body_structure(true, &mut out);
                msg.write_envelope(&mut out);
                assert!(!out.is_empty());
            }
            depth(&ParsedMessage::parse(&raw).body_structure(true))
        })
        .unwrap()
        .join()
        .unwrap();
    // 99 levels opened, the 100th part opaque.
    assert_eq!(levels, 100);
}

#[test]
fn a_client_reads_the_deepest_answer() {
    // What a server (mailwire's or Dovecot's) answers for the deepest structure it reads
    // is read by a client with its default limits, on a 2 MiB stack.
    let raw = nested(1000);
    let mut line = b"* 1 FETCH (BODYSTRUCTURE ".to_vec();
    ParsedMessage::parse(&raw).write_body_structure(true, &mut line);
    line.extend_from_slice(b")\r\n");
    let levels = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let decoded = decode_response(&line, &Limits::for_client()).expect("decodes");
            let Decoded::Complete {
                value: Response::Data(Data::Fetch { items, .. }),
                ..
            } = decoded
            else {
                panic!("a FETCH response: {decoded:?}");
            };
            match items.first() {
                MessageDataItem::BodyStructure(b) => depth(b),
                other => panic!("BODYSTRUCTURE: {other:?}"),
            }
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(levels, 100);
}

#[test]
fn a_client_reads_structures_128_deep_and_no_deeper() {
    // `levels - 1` multiparts around one text part: a body nested `levels` deep.
    let response = |levels: usize| {
        let mut line = b"* 1 FETCH (BODYSTRUCTURE ".to_vec();
        line.extend_from_slice("(".repeat(levels - 1).as_bytes());
        line.extend_from_slice(b"(\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1)");
        line.extend_from_slice(" \"mixed\")".repeat(levels - 1).as_bytes());
        line.extend_from_slice(b")\r\n");
        line
    };
    let (deepest, too_deep) = (response(128), response(129));
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let limits = Limits::for_client();
            assert!(matches!(
                decode_response(&deepest, &limits),
                Ok(Decoded::Complete { .. })
            ));
            assert!(decode_response(&too_deep, &limits).is_err());
        })
        .unwrap()
        .join()
        .unwrap();
}
