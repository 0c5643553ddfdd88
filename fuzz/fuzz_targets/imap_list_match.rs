//! LIST / LSUB pattern matching agrees with RFC 3501 §6.3.8's definition, read literally
//! (every split tried), on short patterns and names; on any input it returns without
//! panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailwire_imap::types::{Delimiter, ListMailbox, Mailbox};

/// The definition: `*` takes any bytes, `%` any bytes without the delimiter. Exponential,
/// so for short inputs only.
fn naive(pattern: &[u8], name: &[u8], delimiter: Option<u8>) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => (0..=name.len()).any(|i| naive(rest, &name[i..], delimiter)),
        Some((b'%', rest)) => (0..=name.len())
            .take_while(|&i| i == 0 || Some(name[i - 1]) != delimiter)
            .any(|i| naive(rest, &name[i..], delimiter)),
        Some((&c, rest)) => name
            .split_first()
            .is_some_and(|(&n, tail)| n == c && naive(rest, tail, delimiter)),
    }
}

fuzz_target!(|data: &[u8]| {
    // [delimiter] [pattern length] pattern name
    let [d, len, rest @ ..] = data else {
        return;
    };
    let split = usize::from(*len).min(rest.len());
    let (pattern, name) = rest.split_at(split);
    let delimiter = Delimiter::new(char::from(*d)).ok();
    let d = delimiter.map(|_| *d);
    let (Ok(list), Ok(mailbox)) = (ListMailbox::new(pattern), Mailbox::new(name)) else {
        return;
    };
    let found = list.matches(&mailbox, delimiter);
    // The inbox compares without case; its wire name is always `INBOX`.
    if mailbox == Mailbox::Inbox {
        let upper = pattern.to_ascii_uppercase();
        if upper.len() <= 12 {
            assert_eq!(found, naive(&upper, b"INBOX", d));
        }
        return;
    }
    let wildcards = pattern.iter().filter(|&&b| b == b'*' || b == b'%').count();
    if pattern.len() <= 16 && name.len() <= 24 && wildcards <= 6 {
        assert_eq!(found, naive(pattern, name, d), "{pattern:?} {name:?} {d:?}");
    }
});
