//! The dot-unstuffer over arbitrary wire bytes fed in arbitrary chunks.
//!
//! Asserts: no panic; the content, the end offset and the bare line ending count are the
//! same whatever the chunking; the end, if found, lies within the input and is preceded
//! by CRLF `.` CRLF (or is the `.` CRLF at the very start).
//!
//! Input layout: byte 0 picks the policy (bit 0) and the chunk size (bits 1..), the rest
//! is the wire.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailwire_core::dot::{BareLineEnding, DotUnstuffer, Unstuffed};

fn unstuff(policy: BareLineEnding, wire: &[u8], chunk: usize) -> (Vec<u8>, Option<usize>, u64) {
    let mut unstuffer = DotUnstuffer::new().with_bare_line_endings(policy);
    let mut content = Vec::new();
    let mut offset = 0;
    for piece in wire.chunks(chunk) {
        if let Unstuffed::Done { consumed } = unstuffer.decode(piece, &mut content) {
            assert!(consumed <= piece.len());
            return (
                content,
                Some(offset + consumed),
                unstuffer.bare_line_endings(),
            );
        }
        offset += piece.len();
    }
    (content, None, unstuffer.bare_line_endings())
}

fuzz_target!(|data: &[u8]| {
    let [mode, wire @ ..] = data else { return };
    let policy = if mode & 1 == 0 {
        BareLineEnding::Normalize
    } else {
        BareLineEnding::Keep
    };
    let chunk = usize::from(mode >> 1).max(1);
    let whole = unstuff(policy, wire, wire.len().max(1));
    let split = unstuff(policy, wire, chunk);
    assert_eq!(whole, split);
    if let Some(end) = whole.1 {
        assert!(end == 3 || wire[..end].ends_with(b"\r\n.\r\n"));
        assert!(wire[..end].ends_with(b".\r\n"));
    }
});
