//! SEARCH keys (RFC 3501 §6.4.4) evaluated against one message.

use crate::types::{Date, DateTime, Flag, IString, SearchKey};

use super::ParsedMessage;

/// What SEARCH may look at for one message: its place in the mailbox, its flags and
/// dates, and, for keys that read the message, the message itself.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'c, 'a> {
    /// The message sequence number.
    pub seq: u32,
    /// The UID.
    pub uid: u32,
    /// The mailbox's largest sequence number (what `*` means in a sequence set).
    pub largest_seq: u32,
    /// The mailbox's largest UID (what `*` means in a UID set).
    pub largest_uid: u32,
    /// The message's flags.
    pub flags: &'c [Flag],
    /// Whether the message is `\Recent` in this session.
    pub recent: bool,
    /// The internal date.
    pub internal_date: Option<DateTime>,
    /// The size in octets, when known without the message (a server's view of its
    /// mailbox keeps it); otherwise `LARGER` and `SMALLER` measure [`message`](Self::message).
    pub size: Option<u32>,
    /// The parsed message, when a key needs it.
    pub message: Option<&'c ParsedMessage<'a>>,
}

/// Whether any key in `keys` reads the message (header, body or size) rather than only
/// flags, numbers and the internal date.
pub fn needs_message(keys: &[SearchKey]) -> bool {
    keys.iter().any(|k| match k {
        SearchKey::Bcc(_)
        | SearchKey::Body(_)
        | SearchKey::Cc(_)
        | SearchKey::From(_)
        | SearchKey::Header(..)
        | SearchKey::Larger(_)
        | SearchKey::SentBefore(_)
        | SearchKey::SentOn(_)
        | SearchKey::SentSince(_)
        | SearchKey::Smaller(_)
        | SearchKey::Subject(_)
        | SearchKey::Text(_)
        | SearchKey::To(_) => true,
        SearchKey::Not(k) => needs_message(std::slice::from_ref(k)),
        SearchKey::Or(a, b) => needs_message(&[(**a).clone(), (**b).clone()]),
        SearchKey::And(ks) => needs_message(ks),
        _ => false,
    })
}

/// Whether any key in `keys` reads message bodies (`BODY`, `TEXT`), which needs the
/// message parsed with [`ParsedMessage::parse_full`] rather than structure only.
pub fn reads_body(keys: &[SearchKey]) -> bool {
    keys.iter().any(|k| match k {
        SearchKey::Body(_) | SearchKey::Text(_) => true,
        SearchKey::Not(k) => reads_body(std::slice::from_ref(k)),
        SearchKey::Or(a, b) => {
            reads_body(std::slice::from_ref(a)) || reads_body(std::slice::from_ref(b))
        }
        SearchKey::And(ks) => reads_body(ks),
        _ => false,
    })
}

/// Whether the candidate matches every key (SEARCH's implicit AND).
pub fn matches_all(keys: &[SearchKey], c: &Candidate<'_, '_>) -> bool {
    keys.iter().all(|k| matches(k, c))
}

fn has(c: &Candidate<'_, '_>, flag: &Flag) -> bool {
    c.flags.contains(flag)
}

fn ordinal(d: Date) -> u32 {
    u32::from(d.year()) * 10_000 + u32::from(d.month()) * 100 + u32::from(d.day())
}

/// The `Date:` header's day, as written in its own zone (RFC 3501: time and zone are
/// disregarded).
fn sent_date(c: &Candidate<'_, '_>) -> Option<u32> {
    let civil = c.message?.mime().date()?.civil();
    let year = u32::try_from(civil.year).ok()?;
    Some(year * 10_000 + civil.month * 100 + civil.day)
}

fn contains(haystack: &str, needle: &IString) -> bool {
    let needle = String::from_utf8_lossy(needle.as_bytes()).to_lowercase();
    haystack.to_lowercase().contains(&needle)
}

fn header_contains(c: &Candidate<'_, '_>, name: &[u8], needle: &IString) -> bool {
    let Some(m) = c.message else { return false };
    m.mime()
        .header()
        .fields()
        .iter()
        .filter(|f| f.name().as_bytes().eq_ignore_ascii_case(name))
        .any(|f| needle.is_empty() || contains(&f.text(), needle))
}

fn body_contains(c: &Candidate<'_, '_>, needle: &IString) -> bool {
    let Some(m) = c.message else { return false };
    // Bodies are decoded only by a full parse; a structure-only one is redone fully here.
    let full;
    let mime = if m.is_full() {
        m.mime()
    } else {
        full = mailwire_mime::Message::parse(m.raw());
        &full
    };
    mime.leaves().any(|part| match part.text() {
        Some(text) => contains(text, needle),
        None => contains(&String::from_utf8_lossy(part.decoded()), needle),
    })
}

fn size(c: &Candidate<'_, '_>) -> Option<u32> {
    c.size.or_else(|| c.message.map(ParsedMessage::size))
}

/// Whether the candidate matches `key`.
pub fn matches(key: &SearchKey, c: &Candidate<'_, '_>) -> bool {
    let internal = || c.internal_date.map(|d| ordinal(d.date()));
    match key {
        SearchKey::All => true,
        SearchKey::Answered => has(c, &Flag::Answered),
        SearchKey::Deleted => has(c, &Flag::Deleted),
        SearchKey::Draft => has(c, &Flag::Draft),
        SearchKey::Flagged => has(c, &Flag::Flagged),
        SearchKey::Seen => has(c, &Flag::Seen),
        SearchKey::Unanswered => !has(c, &Flag::Answered),
        SearchKey::Undeleted => !has(c, &Flag::Deleted),
        SearchKey::Undraft => !has(c, &Flag::Draft),
        SearchKey::Unflagged => !has(c, &Flag::Flagged),
        SearchKey::Unseen => !has(c, &Flag::Seen),
        SearchKey::Keyword(k) => has(c, &Flag::Keyword(k.clone())),
        SearchKey::Unkeyword(k) => !has(c, &Flag::Keyword(k.clone())),
        SearchKey::Recent => c.recent,
        SearchKey::New => c.recent && !has(c, &Flag::Seen),
        SearchKey::Old => !c.recent,
        SearchKey::Before(d) => internal().is_some_and(|i| i < ordinal(*d)),
        SearchKey::On(d) => internal() == Some(ordinal(*d)),
        SearchKey::Since(d) => internal().is_some_and(|i| i >= ordinal(*d)),
        SearchKey::SentBefore(d) => sent_date(c).is_some_and(|s| s < ordinal(*d)),
        SearchKey::SentOn(d) => sent_date(c) == Some(ordinal(*d)),
        SearchKey::SentSince(d) => sent_date(c).is_some_and(|s| s >= ordinal(*d)),
        SearchKey::Larger(n) => size(c).is_some_and(|s| s > *n),
        SearchKey::Smaller(n) => size(c).is_some_and(|s| s < *n),
        SearchKey::Bcc(s) => header_contains(c, b"bcc", s),
        SearchKey::Cc(s) => header_contains(c, b"cc", s),
        SearchKey::From(s) => header_contains(c, b"from", s),
        SearchKey::To(s) => header_contains(c, b"to", s),
        SearchKey::Subject(s) => header_contains(c, b"subject", s),
        SearchKey::Header(name, s) => header_contains(c, name.as_bytes(), s),
        SearchKey::Body(s) => body_contains(c, s),
        SearchKey::Text(s) => {
            let in_header = c.message.is_some_and(|m| {
                contains(&String::from_utf8_lossy(m.mime().header().raw()), s)
                    || m.mime()
                        .header()
                        .fields()
                        .iter()
                        .any(|f| contains(&f.text(), s))
            });
            in_header || body_contains(c, s)
        }
        SearchKey::Uid(set) => set.contains(c.uid, c.largest_uid),
        SearchKey::SequenceSet(set) => set.contains(c.seq, c.largest_seq),
        SearchKey::Not(k) => !matches(k, c),
        SearchKey::Or(a, b) => matches(a, c) || matches(b, c),
        SearchKey::And(ks) => matches_all(ks, c),
        // MODSEQ needs CONDSTORE, which this model does not keep.
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Atom, SequenceSet};

    const RAW: &[u8] = b"From: Fred Foobar <foobar@Blurdybloop.example>\r\n\
Subject: =?ISO-8859-1?Q?caf=E9?= afternoon\r\n\
Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n\
To: mooch@owatagu.example\r\n\
\r\n\
Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n";

    fn key(s: &str) -> IString {
        IString::new(s).unwrap()
    }

    fn check(k: &SearchKey, flags: &[Flag], recent: bool) -> bool {
        let msg = ParsedMessage::parse(RAW);
        let c = Candidate {
            seq: 3,
            uid: 40,
            largest_seq: 5,
            largest_uid: 50,
            flags,
            recent,
            internal_date: Some(DateTime::new(Date::new(1994, 2, 8).unwrap(), 6, 0, 0, 0).unwrap()),
            size: None,
            message: Some(&msg),
        };
        matches(k, &c)
    }

    #[test]
    fn flags_and_recent() {
        let seen = [Flag::Seen, Flag::Keyword(Atom::new("$Work").unwrap())];
        assert!(check(&SearchKey::Seen, &seen, false));
        assert!(!check(&SearchKey::Unseen, &seen, false));
        assert!(check(
            &SearchKey::Keyword(Atom::new("$Work").unwrap()),
            &seen,
            false
        ));
        assert!(check(&SearchKey::New, &[], true));
        assert!(!check(&SearchKey::New, &seen, true));
        assert!(check(&SearchKey::Old, &[], false));
    }

    #[test]
    fn dates_compare_days_only() {
        let d = |y, m, day| Date::new(y, m, day).unwrap();
        assert!(check(&SearchKey::On(d(1994, 2, 8)), &[], false));
        assert!(check(&SearchKey::Since(d(1994, 2, 8)), &[], false));
        assert!(!check(&SearchKey::Before(d(1994, 2, 8)), &[], false));
        // The Date: header's own day is the 7th, though it is the 8th in UTC.
        assert!(check(&SearchKey::SentOn(d(1994, 2, 7)), &[], false));
        assert!(check(&SearchKey::SentBefore(d(1994, 2, 8)), &[], false));
        assert!(!check(&SearchKey::SentSince(d(1994, 2, 8)), &[], false));
    }

    #[test]
    fn text_keys_are_case_insensitive_and_decode_words() {
        assert!(check(&SearchKey::From(key("FOOBAR")), &[], false));
        assert!(check(&SearchKey::Subject(key("Caf\u{e9}")), &[], false));
        assert!(!check(&SearchKey::Subject(key("lunch")), &[], false));
        assert!(check(&SearchKey::Body(key("3:30 TOMORROW")), &[], false));
        assert!(!check(&SearchKey::Body(key("mooch")), &[], false));
        assert!(check(&SearchKey::Text(key("mooch")), &[], false));
        assert!(check(&SearchKey::Header(key("to"), key("")), &[], false));
        assert!(!check(&SearchKey::Header(key("cc"), key("")), &[], false));
    }

    #[test]
    fn sizes_numbers_and_logic() {
        let size = u32::try_from(RAW.len()).unwrap();
        assert!(check(&SearchKey::Larger(size - 1), &[], false));
        assert!(!check(&SearchKey::Larger(size), &[], false));
        assert!(check(&SearchKey::Smaller(size + 1), &[], false));
        let set = |s: &str| s.parse::<SequenceSet>().unwrap();
        assert!(check(&SearchKey::SequenceSet(set("2:3")), &[], false));
        assert!(!check(&SearchKey::SequenceSet(set("4:*")), &[], false));
        assert!(check(&SearchKey::Uid(set("40:*")), &[], false));
        let or = SearchKey::Or(Box::new(SearchKey::Seen), Box::new(SearchKey::Recent));
        assert!(check(&or, &[], true));
        assert!(!check(&or, &[], false));
        assert!(check(
            &SearchKey::Not(Box::new(SearchKey::Deleted)),
            &[],
            false
        ));
        assert!(needs_message(&[SearchKey::Not(Box::new(
            SearchKey::Larger(1)
        ))]));
        assert!(!needs_message(&[SearchKey::Seen, SearchKey::All]));
    }
}
