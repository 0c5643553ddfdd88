//! What an idle server session holds on the heap: after the greeting, a login and the
//! selection of an empty mailbox, with its output drained. The only test in this binary,
//! so that nothing else allocates while it measures.

use std::alloc::System;
use std::num::NonZeroU32;

use mailwire_core::Session as _;
use mailwire_imap::server::{Config, Event, MailboxSnapshot, Session};
use mailwire_imap::types::Flag;
use mailwire_sasl::AuthAnswer;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[test]
fn an_idle_selected_session_holds_less_than_16_kib() {
    let mut config = Config::default();
    config.plaintext_auth = true;
    let region = Region::new(GLOBAL);
    let mut s = Box::new(Session::new(config));
    s.receive(b"a1 LOGIN fred secret\r\na2 SELECT INBOX\r\n");
    while let Some(e) = s.poll_event() {
        match e {
            Event::Auth { .. } => s.answer_auth(AuthAnswer::Accept).unwrap(),
            Event::Select { .. } => s
                .open_mailbox(MailboxSnapshot {
                    uid_validity: NonZeroU32::MIN,
                    uid_next: NonZeroU32::MIN,
                    flags: vec![Flag::Seen, Flag::Deleted],
                    keywords_allowed: true,
                    messages: Vec::new(),
                })
                .unwrap(),
            _ => {}
        }
    }
    let written = std::iter::from_fn(|| s.transmit())
        .map(|b| b.len())
        .sum::<usize>();
    let stats = region.change();
    assert!(written > 0 && s.selected().is_some());
    let held =
        stats.bytes_allocated as isize - stats.bytes_deallocated as isize + stats.bytes_reallocated;
    assert!(held > 0 && held < 16 * 1024, "holds {held} bytes");
    drop(s);
}
