//! The streaming framer never panics, always makes progress, and splits the input into
//! pieces that add up to what it consumed, whatever the chunking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailwire_imap::codec::{FrameEvent, Framer, Limits};

fuzz_target!(|data: &[u8]| {
    let Some((&split, data)) = data.split_first() else {
        return;
    };
    let limits = Limits::default().with_max_line(256).with_max_literal(1024);
    // Feed the input in chunks of `split + 1` bytes, the way a socket would.
    let chunk = usize::from(split) + 1;
    let mut framer = Framer::new(limits);
    let mut buf: Vec<u8> = Vec::new();
    let mut fed = 0;
    let mut consumed = 0;
    loop {
        match framer.next(&buf) {
            Ok(Some(FrameEvent::Line { len, .. } | FrameEvent::LiteralData { len, .. })) => {
                assert!(len > 0 && len <= buf.len());
                buf.drain(..len);
                consumed += len;
            }
            Ok(None) if fed < data.len() => {
                let end = (fed + chunk).min(data.len());
                buf.extend_from_slice(&data[fed..end]);
                fed = end;
            }
            Ok(None) | Err(_) => break,
        }
    }
    assert!(consumed <= data.len());
});
