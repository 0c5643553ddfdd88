//! SEARCH keys (RFC 3501 §6.4.4) evaluated against one message.

use mailwire_mime::Address;

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

/// FROM, TO, CC and BCC: whether a field of that name holds `needle` in its text, or in
/// its addresses as read and written out again (`Name <local@domain>`, a group as
/// `name: members;`), as Dovecot matches them: so `user@example.org` finds
/// `<user (comment)@ example.org>`, and a display name given in a trailing comment is a
/// display name.
fn address_contains(c: &Candidate<'_, '_>, name: &str, needle: &IString) -> bool {
    let Some(m) = c.message else { return false };
    let header = m.mime().header();
    let mut fields = header.get_all(name).peekable();
    if fields.peek().is_none() {
        return false;
    }
    if needle.is_empty() || fields.any(|f| contains(&f.text(), needle)) {
        return true;
    }
    contains(&address_text(&header.addresses(name)), needle)
}

/// An address list written out as read, one address after another.
fn address_text(list: &[Address]) -> String {
    let mut out = String::new();
    for (i, a) in list.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        match a {
            Address::Mailbox(m) => out.push_str(&m.to_string()),
            Address::Group(g) => {
                out.push_str(&g.name);
                out.push_str(": ");
                for (j, m) in g.members.iter().enumerate() {
                    if j > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&m.to_string());
                }
                out.push(';');
            }
        }
    }
    out
}

fn body_contains(c: &Candidate<'_, '_>, needle: &IString) -> bool {
    let Some(m) = c.message else { return false };
    // Bodies are decoded only by a full parse; a structure-only one is redone fully here.
    let full;
    let mime = if m.is_full() {
        m.mime()
    } else {
        full = mailwire_mime::Message::parse_with(m.raw(), ParsedMessage::limits());
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
        SearchKey::Bcc(s) => address_contains(c, "bcc", s),
        SearchKey::Cc(s) => address_contains(c, "cc", s),
        SearchKey::From(s) => address_contains(c, "from", s),
        SearchKey::To(s) => address_contains(c, "to", s),
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

    /// The address forms of Dovecot's imaptest `search-addresses` case.
    const ADDRESSED: [&[u8]; 7] = [
        b"From: user-from@domain.org\r\nTo: user-to@domain.org\r\n\
Cc: user-cc@domain.org\r\nBcc: user-bcc@domain.org\r\n\r\nbody\r\n",
        b"From: RealFrom <user-from@domain.org>\r\nTo: RealTo <user-to@domain.org>\r\n\
Cc: RealCc <user-cc@domain.org>\r\nBcc: RealBcc <user-bcc@domain.org>\r\n\r\nbody2\r\n",
        b"From: <user-from (comment)@ (comment) domain.org>\r\nTo: <user-to@domain.org>\r\n\
Cc: <user-cc@domain.org>\r\nBcc: <user-bcc@domain.org>\r\n\r\nbody3\r\n",
        b"From: user-from@domain.org (RealFrom)\r\nTo: user-to@domain.org (RealTo)\r\n\
Cc: user-cc@domain.org (RealCc)\r\nBcc: user-bcc@domain.org (RealBcc)\r\n\r\nbody4\r\n",
        b"From: user-from1@domain.org, user-from2@domain.org\r\nCc: user-cc@domain.org\r\n\
\r\nbody5\r\n",
        b"From: RealFrom <user-from@domain.org>\r\n\
To: groupname: groupuser1@domain.org, groupuser2@domain.org;,\r\n\
\x20 groupname2: groupuser3@domain.org;\r\n\r\nbody6\r\n",
        b"From: RealFrom <user-from@domain.org>\r\nTo: groupname:;\r\n\r\nbody7\r\n",
    ];

    /// The numbers (from 1) of the messages of [`ADDRESSED`] that `k` matches.
    fn addressed(k: &SearchKey) -> Vec<usize> {
        let mut out = Vec::new();
        for (i, raw) in ADDRESSED.iter().enumerate() {
            let msg = ParsedMessage::parse(raw);
            let c = Candidate {
                seq: 1,
                uid: 1,
                largest_seq: 1,
                largest_uid: 1,
                flags: &[],
                recent: false,
                internal_date: None,
                size: None,
                message: Some(&msg),
            };
            if matches(k, &c) {
                out.push(i + 1);
            }
        }
        out
    }

    #[test]
    fn address_keys_match_addresses_as_read_and_the_field_text() {
        type Key = fn(IString) -> SearchKey;
        let (from, to, cc, bcc): (Key, Key, Key, Key) = (
            SearchKey::From,
            SearchKey::To,
            SearchKey::Cc,
            SearchKey::Bcc,
        );
        let cases: &[(Key, &str, &[usize])] = &[
            // Whole addresses, comments inside the address left out.
            (from, "user-from@domain.org", &[1, 2, 3, 4, 6, 7]),
            (to, "user-to@domain.org", &[1, 2, 3, 4]),
            (cc, "user-cc@domain.org", &[1, 2, 3, 4, 5]),
            (bcc, "USER-BCC@DOMAIN.ORG", &[1, 2, 3, 4]),
            // Display names, also from a trailing comment.
            (from, "realfrom", &[2, 4, 6, 7]),
            (to, "realto", &[2, 4]),
            (cc, "realcc", &[2, 4]),
            (bcc, "realbcc", &[2, 4]),
            // An empty string: the field is there.
            (from, "", &[1, 2, 3, 4, 5, 6, 7]),
            (to, "", &[1, 2, 3, 4, 6, 7]),
            (cc, "", &[1, 2, 3, 4, 5]),
            (bcc, "", &[1, 2, 3, 4]),
            // Substrings of addresses and names.
            (from, "ser-fro", &[1, 2, 3, 4, 5, 6, 7]),
            (to, "ser-t", &[1, 2, 3, 4]),
            (cc, "ser-c", &[1, 2, 3, 4, 5]),
            (bcc, "ser-bc", &[1, 2, 3, 4]),
            (from, "ealfro", &[2, 4, 6, 7]),
            (to, "ealt", &[2, 4]),
            (cc, "ealc", &[2, 4]),
            (bcc, "ealbc", &[2, 4]),
            // Several addresses in one field.
            (from, "user-from1", &[5]),
            (from, "user-from2", &[5]),
            // Groups, their names and members.
            (to, "groupname", &[6, 7]),
            (to, "groupname2", &[6]),
            (to, "groupuser1", &[6]),
            (to, "groupuser2", &[6]),
            (to, "groupuser3", &[6]),
            (to, "groupuser4", &[]),
            // Written out again as read: `Name <address>`, a group closed by `;`.
            (from, "realfrom <user-from@domain.org>", &[2, 4, 6, 7]),
            (to, "groupname2: groupuser3@domain.org;", &[6]),
            (from, "user-from@domain.org, user", &[]),
            (from, "user-from1@domain.org, user-from2", &[5]),
        ];
        for (k, needle, expected) in cases {
            let key = k(IString::new(*needle).unwrap());
            assert_eq!(addressed(&key), *expected, "{key:?}");
        }
    }
}
