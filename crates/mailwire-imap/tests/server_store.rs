//! The server session over a store that keeps its own flags and hands out content in
//! pieces: flag changes applied to the flags as stored, `\Seen` set by FETCH, and the
//! changes the store reports back to the session.

use std::num::NonZeroU32;

use mailwire_core::{Session as _, Transport};
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
    let mut config = Config::default();
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
fn messages_gone_from_the_store_are_left_out_of_stores_answer() {
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
