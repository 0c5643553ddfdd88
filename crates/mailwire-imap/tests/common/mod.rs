//! Helpers shared by the integration tests.
#![allow(dead_code, reason = "each test file uses a different subset")]

use mailwire_imap::codec::{
    Decoded, Limits, LiteralMode, decode_command, decode_response, encode_command, encode_response,
};
use mailwire_imap::types::{Command, Response};

/// Decodes exactly one whole command from `input`.
pub(crate) fn command(input: &[u8]) -> Command {
    match decode_command(input, &Limits::default()) {
        Ok(Decoded::Complete { value, consumed }) => {
            assert_eq!(consumed, input.len(), "{}", String::from_utf8_lossy(input));
            value
        }
        other => panic!("{:?} for {:?}", other, String::from_utf8_lossy(input)),
    }
}

/// Decodes exactly one whole response from `input`.
pub(crate) fn response(input: &[u8]) -> Response {
    match decode_response(input, &Limits::default()) {
        Ok(Decoded::Complete { value, consumed }) => {
            assert_eq!(consumed, input.len(), "{}", String::from_utf8_lossy(input));
            value
        }
        other => panic!("{:?} for {:?}", other, String::from_utf8_lossy(input)),
    }
}

pub(crate) fn encode_cmd(c: &Command) -> Vec<u8> {
    encode_command(c, LiteralMode::Sync).into_bytes()
}

pub(crate) fn encode_resp(r: &Response) -> Vec<u8> {
    let mut out = Vec::new();
    encode_response(r, &mut out);
    out
}

/// The command decodes, re-encodes to the same bytes, and every proper prefix is
/// incomplete (or, right after a synchronising literal's announcement, announced).
pub(crate) fn canonical_command(input: &[u8]) -> Command {
    let c = command(input);
    assert_eq!(
        String::from_utf8_lossy(&encode_cmd(&c)),
        String::from_utf8_lossy(input),
        "re-encoding"
    );
    command_prefixes_are_incomplete(input);
    c
}

/// The command decodes, and what it re-encodes to decodes to the same value.
pub(crate) fn stable_command(input: &[u8]) -> Command {
    let c = command(input);
    assert_eq!(command(&encode_cmd(&c)), c);
    command_prefixes_are_incomplete(input);
    c
}

pub(crate) fn canonical_response(input: &[u8]) -> Response {
    let r = response(input);
    assert_eq!(
        String::from_utf8_lossy(&encode_resp(&r)),
        String::from_utf8_lossy(input),
        "re-encoding"
    );
    response_prefixes_are_incomplete(input);
    r
}

pub(crate) fn stable_response(input: &[u8]) -> Response {
    let r = response(input);
    assert_eq!(response(&encode_resp(&r)), r);
    response_prefixes_are_incomplete(input);
    r
}

pub(crate) fn command_prefixes_are_incomplete(input: &[u8]) {
    for n in 0..input.len() {
        match decode_command(&input[..n], &Limits::default()) {
            Ok(Decoded::Incomplete) => {}
            Ok(Decoded::LiteralAnnounced { position, .. }) => assert_eq!(position, n),
            other => panic!("prefix of {n} bytes: {other:?}"),
        }
    }
}

pub(crate) fn response_prefixes_are_incomplete(input: &[u8]) {
    for n in 0..input.len() {
        let got = decode_response(&input[..n], &Limits::default());
        assert_eq!(got, Ok(Decoded::Incomplete), "prefix of {n} bytes");
    }
}

pub(crate) fn s(text: &str) -> mailwire_imap::types::IString {
    mailwire_imap::types::IString::new(text).unwrap()
}

pub(crate) fn atom(text: &str) -> mailwire_imap::types::Atom {
    mailwire_imap::types::Atom::new(text).unwrap()
}

pub(crate) fn nz(n: u32) -> std::num::NonZeroU32 {
    std::num::NonZeroU32::new(n).unwrap()
}
