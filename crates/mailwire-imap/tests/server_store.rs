//! The server session over a store that keeps its own flags and hands out content in
//! pieces: flag changes applied to the flags as stored, `\Seen` set by FETCH, whole
//! messages streamed as literals, and the changes the store reports back to the session.

use std::num::NonZeroU32;

use mailwire_core::{Session as _, Transport};
use mailwire_imap::codec::Limits;
use mailwire_imap::server::{
    Config, Event, FlagChange, MailboxSnapshot, MailboxUpdate, MessageInfo, Question, Session,
    StoredMessage,
};
use mailwire_imap::types::{Date, DateTime, Flag};
use mailwire_sasl::AuthAnswer;

fn internal_date() -> DateTime {
    DateTime::new(Date::new(2024, 5, 1).unwrap(), 9, 30, 0, 120).unwrap()
}

/// INBOX, of messages by ascending UID, with the flags as stored.
struct Store {
    messages: Vec<(u32, Vec<Flag>, Vec<u8>)>,
    /// What the session asked, in order.
    events: Vec<String>,
    /// The size of the pieces content is sent in.
    chunk: usize,
}

impl Store {
    /// Three messages, UIDs 101 to 103; 101 seen.
    fn new() -> Self {
        Self {
            messages: vec![
                (
                    101,
                    vec![Flag::Seen],
                    b"Subject: one\r\n\r\nfirst\r\n".to_vec(),
                ),
                (102, vec![], b"Subject: two\r\n\r\nsecond\r\n".to_vec()),
                (103, vec![], b"Subject: three\r\n\r\nthird!\r\n".to_vec()),
            ],
            events: Vec::new(),
            chunk: 4,
        }
    }

    fn find(&mut self, uid: u32) -> Option<&mut (u32, Vec<Flag>, Vec<u8>)> {
        self.messages.iter_mut().find(|m| m.0 == uid)
    }

    /// Answers every event the session has.
    fn serve(&mut self, s: &mut Session) {
        while let Some(event) = s.poll_event() {
            match event {
                Event::Auth { .. } => s.answer_auth(AuthAnswer::Accept).unwrap(),
                Event::Authenticated { .. } => {}
                Event::Select { .. } => s
                    .open_mailbox(MailboxSnapshot {
                        uid_validity: NonZeroU32::new(7).unwrap(),
                        uid_next: NonZeroU32::new(104).unwrap(),
                        flags: vec![Flag::Seen, Flag::Flagged, Flag::Deleted],
                        keywords_allowed: true,
                        messages: self
                            .messages
                            .iter()
                            .map(|(uid, flags, raw)| MessageInfo {
                                uid: *uid,
                                flags: flags.clone(),
                                recent: false,
                                internal_date: internal_date(),
                                size: u32::try_from(raw.len()).unwrap(),
                            })
                            .collect(),
                    })
                    .unwrap(),
                Event::Messages { uids } => {
                    self.events.push(format!("messages {uids:?}"));
                    let found = self
                        .messages
                        .iter()
                        .filter(|m| uids.contains(&m.0))
                        .map(|(uid, _, raw)| StoredMessage {
                            uid: *uid,
                            raw: raw.clone().into(),
                        })
                        .collect();
                    s.provide_messages(found).unwrap();
                }
                Event::StoreFlags { uids, change } => {
                    self.events.push(format!("store {uids:?} {change:?}"));
                    let mut stored = Vec::new();
                    for uid in uids {
                        if let Some(m) = self.find(uid) {
                            m.1 = change.apply(&m.1);
                            stored.push((uid, m.1.clone()));
                        }
                    }
                    s.flags_stored(stored).unwrap();
                }
                Event::Content { uid, offset, len } => {
                    self.events.push(format!("content {uid} {offset} {len}"));
                    let chunk = self.chunk;
                    let raw = self.find(uid).unwrap().2.clone();
                    let start = usize::try_from(offset).unwrap();
                    let end = start + usize::try_from(len).unwrap();
                    for piece in raw[start..end].chunks(chunk) {
                        s.send_content(piece).unwrap();
                    }
                    s.end_content().unwrap();
                }
                Event::Expunge { uids } => {
                    self.events.push(format!("expunge {uids:?}"));
                    self.messages.retain(|m| !uids.contains(&m.0));
                    s.accept().unwrap();
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }
}

fn drain(s: &mut Session) -> String {
    let mut out = Vec::new();
    while let Some(b) = s.transmit() {
        out.extend_from_slice(&b);
    }
    String::from_utf8(out).unwrap()
}

/// A session logged in with INBOX selected, its output drained.
fn selected(store: &mut Store) -> Session {
    selected_with(store, Config::default())
}

fn selected_with(store: &mut Store, mut config: Config) -> Session {
    config.plaintext_auth = true;
    let mut s = Session::new(config);
    s.receive(b"a1 LOGIN fred secret\r\na2 SELECT INBOX\r\n");
    store.serve(&mut s);
    assert!(drain(&mut s).ends_with("a2 OK [READ-WRITE] SELECT completed\r\n"));
    s
}

/// Feeds `input`, answers from the store, and returns what the session wrote.
fn exchange(s: &mut Session, store: &mut Store, input: &[u8]) -> String {
    s.receive(input);
    store.serve(s);
    drain(s)
}

#[test]
fn store_asks_for_a_change_and_reports_the_flags_as_stored() {
    let mut store = Store::new();
    let mut s = selected(&mut store);
    // Another connection flags 102; this session has not heard of it yet.
    store.find(102).unwrap().1.push(Flag::Flagged);
    assert_eq!(
        exchange(&mut s, &mut store, b"s1 STORE 1:2 +FLAGS (\\Deleted)\r\n"),
        "* 1 FETCH (FLAGS (\\Seen \\Deleted))\r\n\
* 2 FETCH (FLAGS (\\Flagged \\Deleted))\r\ns1 OK STORE completed\r\n"
    );
    assert_eq!(store.events, ["store [101, 102] Add([Deleted])"]);
    // The view holds the stored flags: FETCH FLAGS and SEARCH see \Flagged.
    assert_eq!(
        exchange(
            &mut s,
            &mut store,
            b"s2 FETCH 2 FLAGS\r\ns3 SEARCH FLAGGED\r\n"
        ),
        "* 2 FETCH (FLAGS (\\Flagged \\Deleted))\r\ns2 OK FETCH completed\r\n\
* SEARCH 2\r\ns3 OK SEARCH completed\r\n"
    );
    assert_eq!(
        exchange(&mut s, &mut store, b"s4 UID STORE 103 FLAGS (\\Seen)\r\n"),
        "* 3 FETCH (FLAGS (\\Seen) UID 103)\r\ns4 OK UID STORE completed\r\n"
    );
    assert_eq!(store.events[1], "store [103] Replace([Seen])");
}

#[test]
fn silent_store_reports_only_flags_the_client_did_not_ask_for() {
    let mut store = Store::new();
    let mut s = selected(&mut store);
    store.find(103).unwrap().1.push(Flag::Flagged);
    assert_eq!(
        exchange(
            &mut s,
            &mut store,
            b"q1 STORE 1:3 -FLAGS.SILENT (\\Seen)\r\n"
        ),
        "* 3 FETCH (FLAGS (\\Flagged))\r\nq1 OK STORE completed\r\n"
    );
    assert_eq!(store.events, ["store [101, 102, 103] Remove([Seen])"]);
    assert_eq!(
        exchange(&mut s, &mut store, b"q2 STORE 1 +FLAGS.SILENT (\\Seen)\r\n"),
        "q2 OK STORE completed\r\n"
    );
}

#[test]
fn messages_left_out_of_an_answer_are_gone() {
    let mut store = Store::new();
    let mut s = selected(&mut store);
    store.messages.remove(1);
    assert_eq!(
        exchange(&mut s, &mut store, b"g1 STORE 1:3 +FLAGS (\\Flagged)\r\n"),
        "* 1 FETCH (FLAGS (\\Seen \\Flagged))\r\n* 3 FETCH (FLAGS (\\Flagged))\r\n\
g1 OK STORE completed\r\n"
    );
    // FETCH that sets \Seen leaves out the message the store no longer has.
    assert_eq!(
        exchange(&mut s, &mut store, b"g2 FETCH 2:3 (UID BODY[TEXT])\r\n"),
        "* 3 FETCH (UID 103 BODY[TEXT] {8}\r\nthird!\r\n FLAGS (\\Flagged \\Seen))\r\n\
g2 OK FETCH completed\r\n"
    );
    assert_eq!(
        store.events[1..],
        ["messages [102, 103]", "store [103] Add([Seen])"]
    );
    // Left out, 102 is gone: the client hears of it as soon as it may.
    assert_eq!(
        exchange(&mut s, &mut store, b"g3 NOOP\r\n"),
        "* 2 EXPUNGE\r\ng3 OK NOOP completed\r\n"
    );
    // The same for messages SEARCH reads; the store's own report of it changes nothing.
    store.messages.remove(1);
    assert_eq!(
        exchange(&mut s, &mut store, b"g4 SEARCH TEXT third\r\ng5 CHECK\r\n"),
        "* SEARCH\r\ng4 OK SEARCH completed\r\n* 2 EXPUNGE\r\ng5 OK CHECK completed\r\n"
    );
    s.notify(MailboxUpdate::Expunged { uid: 103 });
    assert_eq!(
        exchange(&mut s, &mut store, b"g6 NOOP\r\n"),
        "g6 OK NOOP completed\r\n"
    );
}

#[test]
fn flag_changes_are_answered_only_while_one_is_pending() {
    let mut store = Store::new();
    let mut s = selected(&mut store);
    let e = s.flags_stored(vec![(101, vec![])]).unwrap_err();
    assert_eq!(e.pending, None);
    assert_eq!(
        e.to_string(),
        "flags_stored answers nothing: no question is pending"
    );
    s.receive(b"r1 STORE 1,3 +FLAGS (\\Deleted)\r\nr2 NOOP\r\n");
    assert_eq!(
        s.poll_event().map(|e| format!("{e:?}")),
        Some(format!(
            "{:?}",
            Event::StoreFlags {
                uids: vec![101, 103],
                change: FlagChange::Add(vec![Flag::Deleted]),
            }
        ))
    );
    let e = s.accept().unwrap_err();
    assert_eq!(e.pending, Some(Question::StoreFlags));
    assert_eq!(
        e.to_string(),
        "accept does not answer the pending flag change"
    );
    assert!(s.provide_messages(Vec::new()).is_err());
    s.reject("Cannot store flags").unwrap();
    assert_eq!(
        drain(&mut s),
        "r1 NO Cannot store flags\r\nr2 OK NOOP completed\r\n"
    );
    // Nothing changed in the view.
    assert_eq!(
        exchange(&mut s, &mut store, b"r3 FETCH 1:3 FLAGS\r\n"),
        "* 1 FETCH (FLAGS (\\Seen))\r\n* 2 FETCH (FLAGS ())\r\n* 3 FETCH (FLAGS ())\r\n\
r3 OK FETCH completed\r\n"
    );
    // A FETCH whose \Seen is refused is answered without it.
    s.receive(b"r4 FETCH 2 (BODY[TEXT])\r\n");
    store.serve_messages_only(&mut s);
    assert!(matches!(
        s.poll_event(),
        Some(Event::StoreFlags { ref uids, change: FlagChange::Add(ref f) })
            if uids == &[102] && f == &[Flag::Seen]
    ));
    s.reject("Not now").unwrap();
    assert_eq!(
        drain(&mut s),
        "* 2 FETCH (BODY[TEXT] {8}\r\nsecond\r\n)\r\nr4 OK FETCH completed\r\n"
    );
    assert_eq!(s.transport(), Transport::Open);
}

#[test]
fn flag_changes_made_elsewhere_reach_the_view() {
    let mut store = Store::new();
    let mut s = selected(&mut store);
    s.notify(MailboxUpdate::Flags {
        uid: 102,
        flags: vec![Flag::Flagged],
    });
    store.find(102).unwrap().1 = vec![Flag::Flagged];
    // STORE reports 102's flags itself; the change from elsewhere is not told twice.
    assert_eq!(
        exchange(&mut s, &mut store, b"n1 STORE 2 +FLAGS (\\Seen)\r\n"),
        "* 2 FETCH (FLAGS (\\Flagged \\Seen))\r\nn1 OK STORE completed\r\n"
    );
}

impl Store {
    /// Answers only [`Event::Messages`], leaving any other question pending.
    fn serve_messages_only(&mut self, s: &mut Session) {
        if let Some(Event::Messages { uids }) = s.poll_event() {
            let found = self
                .messages
                .iter()
                .filter(|m| uids.contains(&m.0))
                .map(|(uid, _, raw)| StoredMessage {
                    uid: *uid,
                    raw: raw.clone().into(),
                })
                .collect();
            s.provide_messages(found).unwrap();
        }
    }
}

/// The event waiting, as its `Debug` text.
fn next_event(s: &mut Session) -> String {
    format!("{:?}", s.poll_event())
}

fn content(uid: u32, offset: u64, len: u64) -> String {
    format!("{:?}", Some(Event::Content { uid, offset, len }))
}

#[test]
fn a_whole_message_is_streamed_as_a_literal_of_the_size_in_the_view() {
    let mut store = Store::new();
    let mut s = selected(&mut store);
    s.receive(b"f1 FETCH 1:2 (BODY.PEEK[]<2.5> FLAGS)\r\nf2 NOOP\r\n");
    assert_eq!(next_event(&mut s), content(101, 2, 5));
    // The line so far goes out at once, before any of the content.
    assert_eq!(drain(&mut s), "* 1 FETCH (BODY[]<2> {5}\r\n");
    s.send_content(b"bj").unwrap();
    assert_eq!(drain(&mut s), "bj");
    // Bytes past the literal's length are dropped.
    s.send_content(b"ect: one").unwrap();
    assert_eq!(drain(&mut s), "ect");
    assert_eq!(next_event(&mut s), "None");
    s.end_content().unwrap();
    assert_eq!(
        drain(&mut s),
        " FLAGS (\\Seen))\r\n* 2 FETCH (BODY[]<2> {5}\r\n"
    );
    assert_eq!(next_event(&mut s), content(102, 2, 5));
    s.send_content(b"bject").unwrap();
    s.end_content().unwrap();
    assert_eq!(
        drain(&mut s),
        "bject FLAGS ())\r\nf1 OK FETCH completed\r\nf2 OK NOOP completed\r\n"
    );
    // Nothing needed the content whole, and PEEK set no flag.
    assert_eq!(store.events, Vec::<String>::new());
}

#[test]
fn streamed_fetches_in_exact_bytes() {
    let mut store = Store::new();
    let mut s = selected(&mut store);
    assert_eq!(
        exchange(
            &mut s,
            &mut store,
            b"w1 FETCH 1:2 (BODY.PEEK[]<2.5> FLAGS)\r\n\
w2 UID FETCH 103 (RFC822.SIZE BINARY.PEEK[] BODY.PEEK[]<20.100> BODY.PEEK[]<40.1>)\r\n\
w3 FETCH 1 (ENVELOPE BODY.PEEK[] BODY.PEEK[TEXT])\r\n"
        ),
        "* 1 FETCH (BODY[]<2> {5}\r\nbject FLAGS (\\Seen))\r\n\
* 2 FETCH (BODY[]<2> {5}\r\nbject FLAGS ())\r\nw1 OK FETCH completed\r\n\
* 3 FETCH (UID 103 RFC822.SIZE 26 BINARY[] ~{26}\r\nSubject: three\r\n\r\nthird!\r\n \
BODY[]<20> {6}\r\nird!\r\n BODY[]<40> {0}\r\n)\r\nw2 OK UID FETCH completed\r\n\
* 1 FETCH (ENVELOPE (NIL \"one\" NIL NIL NIL NIL NIL NIL NIL NIL) \
BODY[] {23}\r\nSubject: one\r\n\r\nfirst\r\n BODY[TEXT] {7}\r\nfirst\r\n)\r\n\
w3 OK FETCH completed\r\n"
    );
    assert_eq!(
        store.events,
        [
            "content 101 2 5",
            "content 102 2 5",
            "content 103 0 26",
            "content 103 20 6",
            "messages [101]",
            "content 101 0 23",
        ]
    );
}

#[test]
fn fetch_body_without_peek_stores_seen_first_and_reports_it() {
    let mut store = Store::new();
    let mut s = selected(&mut store);
    assert_eq!(
        exchange(&mut s, &mut store, b"b1 FETCH 1:2 BODY[]\r\n"),
        "* 1 FETCH (BODY[] {23}\r\nSubject: one\r\n\r\nfirst\r\n)\r\n\
* 2 FETCH (BODY[] {24}\r\nSubject: two\r\n\r\nsecond\r\n FLAGS (\\Seen))\r\n\
b1 OK FETCH completed\r\n"
    );
    // 101 is seen already: only 102 is asked about, before its content.
    assert_eq!(
        store.events,
        [
            "store [102] Add([Seen])",
            "content 101 0 23",
            "content 102 0 24"
        ]
    );
    assert_eq!(store.find(102).unwrap().1, [Flag::Seen]);
    assert_eq!(
        exchange(&mut s, &mut store, b"b2 FETCH 3 (FLAGS RFC822)\r\n"),
        "* 3 FETCH (FLAGS (\\Seen) RFC822 {26}\r\nSubject: three\r\n\r\nthird!\r\n)\r\n\
b2 OK FETCH completed\r\n"
    );
    assert_eq!(
        store.events[3..],
        ["store [103] Add([Seen])", "content 103 0 26"]
    );
}

#[test]
fn a_literal_ended_short_or_failed_closes_the_connection() {
    let mut store = Store::new();
    let mut s = selected(&mut store);
    s.receive(b"c1 FETCH 1 (BODY.PEEK[] FLAGS)\r\nc2 NOOP\r\n");
    assert_eq!(next_event(&mut s), content(101, 0, 23));
    let e = s.reject("gone").unwrap_err();
    assert_eq!(e.pending, Some(Question::Content));
    assert_eq!(
        e.to_string(),
        "reject does not answer the pending message content"
    );
    s.send_content(b"Subject").unwrap();
    s.end_content().unwrap();
    assert_eq!(s.transport(), Transport::Close);
    // What was queued still goes; nothing follows it.
    assert_eq!(drain(&mut s), "* 1 FETCH (BODY[] {23}\r\nSubject");
    s.receive(b"c3 NOOP\r\n");
    assert_eq!(drain(&mut s), "");
    let e = s.send_content(b"x").unwrap_err();
    assert_eq!(
        (e.pending, e.to_string()),
        (
            None,
            "send_content answers nothing: no question is pending".to_owned()
        )
    );

    let mut s = selected(&mut store);
    s.receive(b"c4 FETCH 2 BODY.PEEK[]\r\n");
    assert_eq!(next_event(&mut s), content(102, 0, 24));
    s.fail_content().unwrap();
    assert_eq!(s.transport(), Transport::Close);
    assert_eq!(drain(&mut s), "* 2 FETCH (BODY[] {24}\r\n");
    assert!(s.end_content().is_err());
    assert!(s.fail_content().is_err());
}

#[test]
fn content_is_answered_only_while_a_literal_is_pending() {
    let mut store = Store::new();
    let mut s = selected(&mut store);
    let e = s.end_content().unwrap_err();
    assert_eq!(
        e.to_string(),
        "end_content answers nothing: no question is pending"
    );
    s.receive(b"p1 STORE 1 +FLAGS (\\Flagged)\r\n");
    let e = s.send_content(b"abc").unwrap_err();
    assert_eq!(e.pending, Some(Question::StoreFlags));
    assert_eq!(
        e.answer,
        mailwire_imap::server::Answer::SendContent(b"abc".to_vec())
    );
    assert!(s.fail_content().is_err());
    s.receive(b"");
    store.serve(&mut s);
    s.receive(b"p2 FETCH 1 BODY.PEEK[]\r\n");
    assert_eq!(next_event(&mut s), content(101, 0, 23));
    assert!(s.flags_stored(Vec::new()).is_err());
    assert!(s.provide_messages(Vec::new()).is_err());
    assert!(s.accept().is_err());
}

#[test]
fn a_message_known_to_be_expunged_is_not_streamed() {
    let mut store = Store::new();
    let mut s = selected(&mut store);
    s.notify(MailboxUpdate::Expunged { uid: 102 });
    store.messages.remove(1);
    assert_eq!(
        exchange(
            &mut s,
            &mut store,
            b"x1 FETCH 1:3 (UID BODY.PEEK[]<0.7>)\r\n"
        ),
        "* 1 FETCH (UID 101 BODY[]<0> {7}\r\nSubject)\r\n\
* 3 FETCH (UID 103 BODY[]<0> {7}\r\nSubject)\r\nx1 OK FETCH completed\r\n"
    );
    assert_eq!(store.events, ["content 101 0 7", "content 103 0 7"]);
}

const SPLIT_INPUT: &[u8] = b"a1 LOGIN fred secret\r\na2 SELECT INBOX\r\n\
a3 FETCH 1:3 (BODY.PEEK[]<2.5> FLAGS)\r\na4 STORE 2 +FLAGS (\\Flagged)\r\n\
a5 FETCH 2:3 (UID RFC822 BODY[HEADER])\r\na6 UID FETCH 1:* (BODY[]<10.1000>)\r\n\
a7 LOGOUT\r\n";

/// Feeds `chunks` to a new session over a new store sending content in pieces of
/// `chunk` octets; returns the output and the store's events.
fn split_run(chunks: &[&[u8]], chunk: usize) -> (String, Vec<String>) {
    let mut store = Store::new();
    store.chunk = chunk;
    let mut config = Config::default();
    config.plaintext_auth = true;
    let mut s = Session::new(config);
    let mut out = drain(&mut s);
    for c in chunks {
        s.receive(c);
        store.serve(&mut s);
        out.push_str(&drain(&mut s));
    }
    assert_eq!(s.transport(), Transport::Close);
    (out, store.events)
}

#[test]
fn every_split_of_input_and_content_gives_the_same_events_and_output() {
    let whole = split_run(&[SPLIT_INPUT], 4);
    assert!(
        whole.0.ends_with(
            "a6 OK UID FETCH completed\r\n* BYE Logging out\r\na7 OK LOGOUT completed\r\n"
        )
    );
    assert_eq!(
        whole.1,
        [
            "content 101 2 5",
            "content 102 2 5",
            "content 103 2 5",
            "store [102] Add([Flagged])",
            "messages [102, 103]",
            "store [102, 103] Add([Seen])",
            "content 102 0 24",
            "content 103 0 26",
            "content 101 10 13",
            "content 102 10 14",
            "content 103 10 16",
        ]
    );
    for cut in 1..SPLIT_INPUT.len() {
        let (a, b) = SPLIT_INPUT.split_at(cut);
        assert_eq!(split_run(&[a, b], 4), whole, "split at {cut}");
    }
    let bytes: Vec<&[u8]> = SPLIT_INPUT.chunks(1).collect();
    assert_eq!(split_run(&bytes, 4), whole);
    for chunk in [1, 3, 1000] {
        assert_eq!(
            split_run(&[SPLIT_INPUT], chunk),
            whole,
            "content in {chunk}s"
        );
    }
}

#[test]
fn changes_the_store_reports_back_are_told_only_when_new() {
    let mut store = Store::new();
    let mut s = selected(&mut store);
    assert_eq!(
        exchange(
            &mut s,
            &mut store,
            b"d1 STORE 2 +FLAGS (\\Deleted \\Flagged)\r\nd2 EXPUNGE\r\n"
        ),
        "* 2 FETCH (FLAGS (\\Deleted \\Flagged))\r\nd1 OK STORE completed\r\n\
* 2 EXPUNGE\r\nd2 OK EXPUNGE completed\r\n"
    );
    // The store's change feed reports this session's own changes, in its own order.
    s.notify(MailboxUpdate::Flags {
        uid: 101,
        flags: vec![Flag::Seen],
    });
    s.notify(MailboxUpdate::Flags {
        uid: 102,
        flags: vec![Flag::Flagged, Flag::Deleted],
    });
    s.notify(MailboxUpdate::Expunged { uid: 102 });
    s.notify(MailboxUpdate::Appended {
        uid: 103,
        flags: vec![],
        recent: false,
        internal_date: internal_date(),
        size: 25,
    });
    assert_eq!(
        exchange(&mut s, &mut store, b"d3 NOOP\r\n"),
        "d3 OK NOOP completed\r\n"
    );
    // What is new is told.
    s.notify(MailboxUpdate::Flags {
        uid: 103,
        flags: vec![Flag::Answered],
    });
    s.notify(MailboxUpdate::Appended {
        uid: 104,
        flags: vec![Flag::Seen],
        recent: true,
        internal_date: internal_date(),
        size: 30,
    });
    s.notify(MailboxUpdate::Expunged { uid: 101 });
    assert_eq!(
        exchange(&mut s, &mut store, b"d4 NOOP\r\n"),
        "* 1 EXPUNGE\r\n* 2 EXISTS\r\n* 1 RECENT\r\n* 1 FETCH (FLAGS (\\Answered))\r\n\
d4 OK NOOP completed\r\n"
    );
    assert_eq!(
        exchange(
            &mut s,
            &mut store,
            b"d5 FETCH 2 (UID RFC822.SIZE FLAGS)\r\n"
        ),
        "* 2 FETCH (UID 104 RFC822.SIZE 30 FLAGS (\\Seen \\Recent))\r\nd5 OK FETCH completed\r\n"
    );
}

#[test]
fn a_goodbye_is_not_written_into_a_literal() {
    let mut store = Store::new();
    let mut s = selected(&mut store);
    s.receive(b"t1 FETCH 1 BODY.PEEK[]\r\n");
    assert_eq!(next_event(&mut s), content(101, 0, 23));
    s.send_content(b"Subj").unwrap();
    s.timed_out();
    assert_eq!(s.transport(), Transport::Close);
    assert_eq!(drain(&mut s), "* 1 FETCH (BODY[] {23}\r\nSubj");

    let mut config = Config::default();
    config.limits = Limits::default().with_max_line(1024).with_max_literal(4096);
    let mut s = selected_with(&mut store, config);
    s.receive(b"t2 FETCH 1 BODY.PEEK[]\r\n");
    assert_eq!(next_event(&mut s), content(101, 0, 23));
    // Input beyond what the session holds while it waits ends it, without a word.
    s.receive(&[b'x'; 10_000]);
    assert_eq!(s.transport(), Transport::Close);
    assert_eq!(drain(&mut s), "* 1 FETCH (BODY[] {23}\r\n");
}

#[test]
fn a_fetch_that_reads_content_asks_for_it_a_window_at_a_time() {
    let mut store = Store::new();
    // Three messages of 3 MiB: no two fit in one window of 4 MiB.
    for m in &mut store.messages {
        let text = format!("Subject: {}\r\n\r\n", m.0);
        m.2 = [text.as_bytes(), &vec![b'x'; 3 << 20]].concat();
    }
    let mut s = selected(&mut store);
    let out = exchange(&mut s, &mut store, b"w1 FETCH 1:3 BODY[TEXT]<0.2>\r\n");
    assert_eq!(
        out,
        "* 1 FETCH (BODY[TEXT]<0> \"xx\")\r\n\
* 2 FETCH (BODY[TEXT]<0> \"xx\" FLAGS (\\Seen))\r\n\
* 3 FETCH (BODY[TEXT]<0> \"xx\" FLAGS (\\Seen))\r\n\
w1 OK FETCH completed\r\n"
    );
    // Each window's \Seen is stored before its lines are written.
    assert_eq!(
        store.events,
        [
            "messages [101]",
            "messages [102]",
            "store [102] Add([Seen])",
            "messages [103]",
            "store [103] Add([Seen])",
        ]
    );
}

#[test]
fn small_messages_share_one_window() {
    let mut store = Store::new();
    let mut s = selected(&mut store);
    exchange(&mut s, &mut store, b"w1 FETCH 1:3 ENVELOPE\r\n");
    assert_eq!(store.events, ["messages [101, 102, 103]"]);
}

fn keyword(name: &str) -> Flag {
    Flag::parse(name).unwrap()
}

#[test]
fn a_new_keyword_is_announced_in_flags_before_a_fetch_uses_it() {
    let mut store = Store::new();
    let mut s = selected(&mut store);
    // This session's STORE: FLAGS and PERMANENTFLAGS grow first, once.
    assert_eq!(
        exchange(&mut s, &mut store, b"k1 STORE 2 +FLAGS ($Label1)\r\n"),
        "* FLAGS (\\Seen \\Flagged \\Deleted $Label1)\r\n\
* OK [PERMANENTFLAGS (\\Seen \\Flagged \\Deleted $Label1 \\*)] Limited\r\n\
* 2 FETCH (FLAGS ($Label1))\r\nk1 OK STORE completed\r\n"
    );
    assert_eq!(
        exchange(
            &mut s,
            &mut store,
            b"k2 STORE 3 +FLAGS.SILENT ($Label1)\r\n"
        ),
        "k2 OK STORE completed\r\n"
    );
    // A change made elsewhere, told at the next NOOP.
    s.notify(MailboxUpdate::Flags {
        uid: 101,
        flags: vec![Flag::Seen, keyword("$Label2")],
    });
    assert_eq!(
        exchange(&mut s, &mut store, b"k3 NOOP\r\n"),
        "* FLAGS (\\Seen \\Flagged \\Deleted $Label1 $Label2)\r\n\
* OK [PERMANENTFLAGS (\\Seen \\Flagged \\Deleted $Label1 $Label2 \\*)] Limited\r\n\
* 1 FETCH (FLAGS (\\Seen $Label2))\r\nk3 OK NOOP completed\r\n"
    );
    // A change made elsewhere that a FETCH reports before the change itself is told.
    s.notify(MailboxUpdate::Flags {
        uid: 103,
        flags: vec![keyword("$Label1"), keyword("Work")],
    });
    assert_eq!(
        exchange(&mut s, &mut store, b"k4 FETCH 3 FLAGS\r\n"),
        "* FLAGS (\\Seen \\Flagged \\Deleted $Label1 $Label2 Work)\r\n\
* OK [PERMANENTFLAGS (\\Seen \\Flagged \\Deleted $Label1 $Label2 Work \\*)] Limited\r\n\
* 3 FETCH (FLAGS ($Label1 Work))\r\n* 3 FETCH (FLAGS ($Label1 Work))\r\n\
k4 OK FETCH completed\r\n"
    );
    // A message appended with a keyword: the list grows before EXISTS.
    s.notify(MailboxUpdate::Appended {
        uid: 104,
        flags: vec![keyword("$Junk"), keyword("Work")],
        recent: true,
        internal_date: internal_date(),
        size: 30,
    });
    assert_eq!(
        exchange(&mut s, &mut store, b"k5 NOOP\r\n"),
        "* FLAGS (\\Seen \\Flagged \\Deleted $Label1 $Label2 Work $Junk)\r\n\
* OK [PERMANENTFLAGS (\\Seen \\Flagged \\Deleted $Label1 $Label2 Work $Junk \\*)] Limited\r\n\
* 4 EXISTS\r\n* 1 RECENT\r\nk5 OK NOOP completed\r\n"
    );
    // Keywords the client knows are not announced again.
    s.notify(MailboxUpdate::Flags {
        uid: 102,
        flags: vec![keyword("$Junk")],
    });
    assert_eq!(
        exchange(&mut s, &mut store, b"k6 NOOP\r\n"),
        "* 2 FETCH (FLAGS ($Junk))\r\nk6 OK NOOP completed\r\n"
    );
}

#[test]
fn a_read_only_mailbox_announces_new_keywords_without_permanentflags() {
    let mut store = Store::new();
    // A keyword the store's FLAGS list leaves out is named on SELECT all the same.
    store.find(102).unwrap().1 = vec![keyword("$Forwarded")];
    let mut config = Config::default();
    config.plaintext_auth = true;
    let mut s = Session::new(config);
    s.receive(b"a1 LOGIN fred secret\r\n");
    store.serve(&mut s);
    drain(&mut s);
    assert_eq!(
        exchange(&mut s, &mut store, b"a2 EXAMINE INBOX\r\n"),
        "* FLAGS (\\Seen \\Flagged \\Deleted $Forwarded)\r\n* 3 EXISTS\r\n* 0 RECENT\r\n\
* OK [UNSEEN 2] Message 2 is first unseen\r\n* OK [PERMANENTFLAGS ()] Limited\r\n\
* OK [UIDVALIDITY 7] UIDs valid\r\n* OK [UIDNEXT 104] Predicted next UID\r\n\
a2 OK [READ-ONLY] EXAMINE completed\r\n"
    );
    s.notify(MailboxUpdate::Flags {
        uid: 103,
        flags: vec![keyword("$Label1")],
    });
    assert_eq!(
        exchange(&mut s, &mut store, b"a3 NOOP\r\n"),
        "* FLAGS (\\Seen \\Flagged \\Deleted $Forwarded $Label1)\r\n\
* 3 FETCH (FLAGS ($Label1))\r\na3 OK NOOP completed\r\n"
    );
}

#[test]
fn a_keyword_set_while_a_literal_streams_is_announced_before_it_is_reported() {
    let mut store = Store::new();
    let mut s = selected(&mut store);
    s.receive(b"l1 FETCH 1:2 (BODY.PEEK[] FLAGS)\r\n");
    assert_eq!(next_event(&mut s), content(101, 0, 23));
    s.send_content(b"Subject: one\r\n").unwrap();
    // The FETCH line of message 1 is open: its FLAGS come after the literal.
    s.notify(MailboxUpdate::Flags {
        uid: 101,
        flags: vec![Flag::Seen, keyword("$Label1")],
    });
    s.notify(MailboxUpdate::Flags {
        uid: 102,
        flags: vec![keyword("$Label2")],
    });
    s.send_content(b"\r\nfirst\r\n").unwrap();
    s.end_content().unwrap();
    assert_eq!(next_event(&mut s), content(102, 0, 24));
    s.send_content(b"Subject: two\r\n\r\nsecond\r\n").unwrap();
    s.end_content().unwrap();
    assert_eq!(
        drain(&mut s),
        "* 1 FETCH (BODY[] {23}\r\nSubject: one\r\n\r\nfirst\r\n FLAGS (\\Seen))\r\n\
* FLAGS (\\Seen \\Flagged \\Deleted $Label1 $Label2)\r\n\
* OK [PERMANENTFLAGS (\\Seen \\Flagged \\Deleted $Label1 $Label2 \\*)] Limited\r\n\
* 2 FETCH (BODY[] {24}\r\nSubject: two\r\n\r\nsecond\r\n FLAGS ($Label2))\r\n\
* 1 FETCH (FLAGS (\\Seen $Label1))\r\n* 2 FETCH (FLAGS ($Label2))\r\n\
l1 OK FETCH completed\r\n"
    );
}
