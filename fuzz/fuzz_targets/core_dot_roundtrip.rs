//! Content through the dot-stuffer and back through the unstuffer.
//!
//! Asserts: the wire ends exactly where the unstuffer says it does; unstuffing gives the
//! content back, with its line endings normalised (policy `Normalize`) or untouched
//! (`Keep`), plus a final CRLF if it lacked one; both sides count the same bare line
//! endings.
//!
//! Input layout: byte 0 picks the policy (bit 0) and the chunk size (bits 1..), the rest
//! is the content.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailwire_core::dot::{BareLineEnding, DotStuffer, DotUnstuffer, Unstuffed};

/// The content with every bare CR and bare LF turned into CRLF.
fn normalized(content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len());
    let mut i = 0;
    while i < content.len() {
        match (content[i], content.get(i + 1)) {
            (b'\r', Some(b'\n')) => {
                out.extend_from_slice(b"\r\n");
                i += 2;
                continue;
            }
            (b'\r' | b'\n', _) => out.extend_from_slice(b"\r\n"),
            (b, _) => out.push(b),
        }
        i += 1;
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let [mode, content @ ..] = data else { return };
    let policy = if mode & 1 == 0 {
        BareLineEnding::Normalize
    } else {
        BareLineEnding::Keep
    };
    let chunk = usize::from(mode >> 1).max(1);

    let mut stuffer = DotStuffer::new().with_bare_line_endings(policy);
    let mut wire = Vec::new();
    for piece in content.chunks(chunk) {
        stuffer.encode(piece, &mut wire);
    }
    stuffer.finish(&mut wire);

    let mut unstuffer = DotUnstuffer::new().with_bare_line_endings(policy);
    let mut back = Vec::new();
    let mut end = None;
    let mut offset = 0;
    for piece in wire.chunks(chunk) {
        if let Unstuffed::Done { consumed } = unstuffer.decode(piece, &mut back) {
            end = Some(offset + consumed);
            break;
        }
        offset += piece.len();
    }
    assert_eq!(end, Some(wire.len()));

    let mut expected = match policy {
        BareLineEnding::Normalize => normalized(content),
        _ => content.to_vec(),
    };
    if !expected.is_empty() && !expected.ends_with(b"\r\n") {
        expected.extend_from_slice(b"\r\n");
    }
    assert_eq!(back, expected);
    if policy == BareLineEnding::Normalize {
        assert_eq!(unstuffer.bare_line_endings(), 0);
    } else {
        assert_eq!(unstuffer.bare_line_endings(), stuffer.bare_line_endings());
    }
});
