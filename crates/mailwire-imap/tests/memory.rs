//! A literal announced as 4 GiB is a number to check: decoding its announcement costs no
//! more memory than the line itself. The only test in this binary, so that nothing else
//! allocates while it measures.

use std::alloc::System;

use mailwire_imap::codec::{DecodeError, Decoded, Framer, Limits, decode_command};
use mailwire_imap::types::Tag;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[test]
fn a_4gib_literal_costs_no_more_than_its_line() {
    let line = b"a1 APPEND INBOX {4294967295}\r\n";
    let generous = Limits::default()
        .with_max_literal(u32::MAX)
        .with_max_message(usize::MAX);
    let strict = Limits::default();

    let region = Region::new(GLOBAL);
    let announced = decode_command(line, &generous);
    let refused = decode_command(line, &strict);
    let mut framer = Framer::new(generous);
    let framed = framer.next(line);
    let stats = region.change();

    assert_eq!(
        announced,
        Ok(Decoded::LiteralAnnounced {
            tag: Tag::new("a1").unwrap(),
            length: u32::MAX,
            position: line.len()
        })
    );
    assert!(matches!(
        refused,
        Err(DecodeError::LiteralTooLarge {
            length: 4_294_967_295,
            sync: true,
            skip: 30,
            ..
        })
    ));
    assert!(framed.unwrap().is_some());
    // The tags of the two answers and a few small buffers: bounded by the line's length,
    // not by the announced one.
    assert!(
        stats.bytes_allocated <= 4 * line.len(),
        "allocated {} bytes for a {}-byte line",
        stats.bytes_allocated,
        line.len()
    );
}
