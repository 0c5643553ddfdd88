//! The CRLF line framer over arbitrary bytes fed in arbitrary chunks.
//!
//! Asserts: no panic; every frame consumes no more than the buffer holds; every line fits
//! the limit; the lines found are the same whatever the chunking (compared with feeding
//! the input whole).
//!
//! Input layout: byte 0 sets the limit (2 to 257), byte 1 the line-ending mode (bit 0)
//! and the chunk size (bits 1..), the rest is the stream.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailwire_core::line::{Frame, LineEnding, LineFramer};

fn frames(framer: &mut LineFramer, input: &[u8], chunk: usize) -> Vec<Option<Vec<u8>>> {
    let mut found = Vec::new();
    let mut buf = Vec::new();
    for piece in input.chunks(chunk) {
        buf.extend_from_slice(piece);
        loop {
            let frame = framer.frame(&buf);
            let consumed = frame.consumed();
            assert!(consumed <= buf.len(), "consumed more than the buffer holds");
            let more = match frame {
                Frame::Line { line, .. } => {
                    assert!(line.len() < framer.max_len(), "line over the limit");
                    found.push(Some(line.to_vec()));
                    true
                }
                Frame::TooLong { .. } => {
                    found.push(None);
                    true
                }
                Frame::Incomplete { .. } => false,
            };
            buf.drain(..consumed);
            if !more {
                break;
            }
        }
    }
    found
}

fuzz_target!(|data: &[u8]| {
    let [limit, mode, stream @ ..] = data else {
        return;
    };
    let max_len = usize::from(*limit) + 2;
    let ending = if mode & 1 == 0 {
        LineEnding::Crlf
    } else {
        LineEnding::CrlfOrLf
    };
    let chunk = usize::from(mode >> 1).max(1);
    let whole = frames(
        &mut LineFramer::new(max_len).with_line_ending(ending),
        stream,
        stream.len().max(1),
    );
    let split = frames(
        &mut LineFramer::new(max_len).with_line_ending(ending),
        stream,
        chunk,
    );
    assert_eq!(whole, split);
});
