//! Our client and our server in memory: the RFC 3501 §8 sample session, step by step and
//! pipelined, and IDLE with an update from elsewhere.

use std::num::NonZeroU32;

use mailwire_core::{Secret, Session, Transport};
use mailwire_imap::client::{Event as ClientEvent, Session as ClientSession};
use mailwire_imap::server::{
    Config, Event, MailboxSnapshot, MailboxUpdate, MessageInfo, Session as ServerSession,
    StoredMessage,
};
use mailwire_imap::types::{
    Capability, CommandBody, Completion, Data, Date, DateTime, FetchItems, Flag, FlagFetch,
    IString, Mailbox, MessageDataItem, NonEmpty, Section, SectionText, StoreKind,
};
use mailwire_sasl::{AuthAnswer, AuthQuestion, ClientExchange};

fn raw(n: u32) -> Vec<u8> {
    format!(
        "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\nFrom: Terry Gray <gray@cac.washington.edu>\r\n\
Subject: message {n}\r\nTo: imap@cac.washington.edu\r\n\r\nbody {n}\r\n"
    )
    .into_bytes()
}

fn internal_date() -> DateTime {
    DateTime::new(Date::new(1996, 7, 17).unwrap(), 2, 44, 25, -420).unwrap()
}

/// 18 messages, UIDs 1..=18, all seen but 17 and 18.
struct Store {
    flags: Vec<Vec<Flag>>,
}

impl Store {
    fn new() -> Self {
        Self {
            flags: (1..=18)
                .map(|n| if n >= 17 { vec![] } else { vec![Flag::Seen] })
                .collect(),
        }
    }

    fn serve(&mut self, s: &mut ServerSession) {
        while let Some(e) = s.poll_event() {
            match e {
                Event::Auth {
                    question: AuthQuestion::Password { password, .. },
                } => {
                    let answer = if password.expose() == "secret" {
                        AuthAnswer::Accept
                    } else {
                        AuthAnswer::Reject
                    };
                    s.answer_auth(answer).unwrap();
                }
                Event::Select { .. } => s
                    .open_mailbox(MailboxSnapshot {
                        uid_validity: NonZeroU32::new(3_857_529_045).unwrap(),
                        uid_next: NonZeroU32::new(19).unwrap(),
                        flags: vec![Flag::Seen, Flag::Deleted],
                        keywords_allowed: false,
                        messages: (1..=18u32)
                            .map(|uid| MessageInfo {
                                uid,
                                flags: self.flags[uid as usize - 1].clone(),
                                recent: uid >= 17,
                                internal_date: internal_date(),
                                size: u32::try_from(raw(uid).len()).unwrap(),
                            })
                            .collect(),
                    })
                    .unwrap(),
                Event::Messages { uids } => {
                    let msgs = uids
                        .iter()
                        .map(|&uid| StoredMessage {
                            uid,
                            raw: raw(uid).into(),
                        })
                        .collect();
                    s.provide_messages(msgs).unwrap();
                }
                Event::StoreFlags { uids, change } => {
                    let mut stored = Vec::new();
                    for uid in uids {
                        let f = &mut self.flags[uid as usize - 1];
                        *f = change.apply(f);
                        stored.push((uid, f.clone()));
                    }
                    s.flags_stored(stored).unwrap();
                }
                _ => {}
            }
        }
    }
}

/// Moves bytes both ways until neither side has anything to say.
fn pump(c: &mut ClientSession, s: &mut ServerSession, store: &mut Store) {
    loop {
        let mut moved = false;
        while let Some(b) = c.transmit() {
            s.receive(&b);
            moved = true;
        }
        store.serve(s);
        while let Some(b) = s.transmit() {
            c.receive(&b);
            moved = true;
        }
        if !moved {
            return;
        }
    }
}

fn completions(c: &mut ClientSession) -> Vec<(String, &'static str, Completion, Vec<Data>)> {
    let mut out = Vec::new();
    while let Some(e) = c.poll_event() {
        if let ClientEvent::Completed {
            tag,
            command,
            completion,
            data,
            ..
        } = e
        {
            out.push((tag.as_str().to_owned(), command, completion, data));
        }
    }
    out
}

/// A client allowed to log in without TLS, as these tests have no TLS.
fn plaintext_client() -> ClientSession {
    let mut config = mailwire_imap::client::Config::default();
    config.plaintext_auth = true;
    ClientSession::new(config)
}

fn pair() -> (ClientSession, ServerSession, Store) {
    let mut config = Config::default();
    config.plaintext_auth = true;
    config.starttls = false;
    (plaintext_client(), ServerSession::new(config), Store::new())
}

fn section8_commands(c: &mut ClientSession) {
    c.login("mrc", "secret").unwrap();
    c.command(CommandBody::Select {
        mailbox: Mailbox::Inbox,
        condstore: false,
    })
    .unwrap();
    c.command(CommandBody::Fetch {
        set: "12".parse().unwrap(),
        items: FetchItems::Full,
        changed_since: None,
        uid: false,
    })
    .unwrap();
    c.command(CommandBody::Fetch {
        set: "12".parse().unwrap(),
        items: FetchItems::Attributes(NonEmpty::from([
            mailwire_imap::types::FetchAttribute::BodySection {
                peek: false,
                section: Section::new(vec![], Some(SectionText::Header)).unwrap(),
                partial: None,
            },
        ])),
        changed_since: None,
        uid: false,
    })
    .unwrap();
    c.command(CommandBody::Store {
        set: "12".parse().unwrap(),
        kind: StoreKind::Add,
        silent: false,
        flags: vec![Flag::Deleted],
        unchanged_since: None,
        uid: false,
    })
    .unwrap();
    c.command(CommandBody::Logout).unwrap();
}

fn check_section8(done: &[(String, &'static str, Completion, Vec<Data>)]) {
    let names: Vec<(&str, &str, Completion)> = done
        .iter()
        .map(|(t, n, c, _)| (t.as_str(), *n, *c))
        .collect();
    assert_eq!(
        names,
        [
            ("A1", "LOGIN", Completion::Ok),
            ("A2", "SELECT", Completion::Ok),
            ("A3", "FETCH", Completion::Ok),
            ("A4", "FETCH", Completion::Ok),
            ("A5", "STORE", Completion::Ok),
            ("A6", "LOGOUT", Completion::Ok),
        ]
    );
    assert!(done[1].3.contains(&Data::Exists(18)));
    assert!(done[1].3.contains(&Data::Recent(2)));
    let Data::Fetch { seq, items } = &done[2].3[0] else {
        panic!("FETCH data")
    };
    assert_eq!(seq.get(), 12);
    assert_eq!(items.len(), 5);
    let MessageDataItem::Envelope(env) = &items[3] else {
        panic!("envelope")
    };
    assert_eq!(env.subject, Some(IString::new("message 12").unwrap()));
    let Data::Fetch { items, .. } = &done[3].3[0] else {
        panic!("FETCH data")
    };
    let MessageDataItem::BodySection { data, .. } = &items[0] else {
        panic!("section")
    };
    assert_eq!(
        data.as_ref().unwrap().as_bytes(),
        &raw(12)[..raw(12).len() - 9]
    );
    assert_eq!(
        done[4].3,
        [Data::Fetch {
            seq: NonZeroU32::new(12).unwrap(),
            items: NonEmpty::from([MessageDataItem::Flags(vec![
                FlagFetch::Flag(Flag::Seen),
                FlagFetch::Flag(Flag::Deleted)
            ])])
        }]
    );
}

#[test]
fn rfc3501_section8_step_by_step() {
    let (mut c, mut s, mut store) = pair();
    pump(&mut c, &mut s, &mut store);
    assert!(c.has_capability(&Capability::Auth(
        mailwire_imap::types::Atom::new("PLAIN").unwrap()
    )));
    section8_commands(&mut c);
    pump(&mut c, &mut s, &mut store);
    check_section8(&completions(&mut c));
    // After login the capabilities came from the OK's code: no AUTH= any more.
    assert!(
        !c.capabilities()
            .iter()
            .any(|c| matches!(c, Capability::Auth(_)))
    );
    assert_eq!(c.transport(), Transport::Close);
    assert_eq!(s.transport(), Transport::Close);
    assert_eq!(store.flags[11], [Flag::Seen, Flag::Deleted]);
}

#[test]
fn rfc3501_section8_pipelined_before_the_greeting_is_read() {
    let (mut c, mut s, mut store) = pair();
    section8_commands(&mut c);
    pump(&mut c, &mut s, &mut store);
    check_section8(&completions(&mut c));
}

#[test]
fn authenticate_with_initial_response_then_idle_sees_expunge() {
    let (mut c, mut s, mut store) = pair();
    pump(&mut c, &mut s, &mut store);
    let exchange = ClientExchange::plain(None, "mrc", &Secret::new("secret".into())).unwrap();
    c.authenticate(exchange).unwrap();
    c.command(CommandBody::Select {
        mailbox: Mailbox::Inbox,
        condstore: false,
    })
    .unwrap();
    let idle = c.idle().unwrap();
    pump(&mut c, &mut s, &mut store);
    let mut idling = false;
    let mut done = Vec::new();
    while let Some(e) = c.poll_event() {
        match e {
            ClientEvent::Idling { tag } => idling = tag == idle,
            ClientEvent::Completed {
                command,
                completion,
                ..
            } => done.push((command, completion)),
            _ => {}
        }
    }
    assert!(idling);
    assert_eq!(
        done,
        [("AUTHENTICATE", Completion::Ok), ("SELECT", Completion::Ok)]
    );
    s.notify(MailboxUpdate::Expunged { uid: 3 });
    pump(&mut c, &mut s, &mut store);
    assert!(matches!(
        c.poll_event(),
        Some(ClientEvent::Unsolicited(Data::Expunge(n))) if n.get() == 3
    ));
    c.done().unwrap();
    pump(&mut c, &mut s, &mut store);
    let done = completions(&mut c);
    assert_eq!(done.len(), 1);
    assert_eq!((done[0].1, done[0].2), ("IDLE", Completion::Ok));
}

#[test]
fn every_split_of_the_server_stream_gives_the_same_client_events() {
    // Record what the server says to the pipelined §8 commands.
    let (mut c, mut s, mut store) = pair();
    section8_commands(&mut c);
    let mut from_server = Vec::new();
    loop {
        let mut moved = false;
        while let Some(b) = c.transmit() {
            s.receive(&b);
            moved = true;
        }
        store.serve(&mut s);
        while let Some(b) = s.transmit() {
            from_server.extend_from_slice(&b);
            c.receive(&b);
            moved = true;
        }
        if !moved {
            break;
        }
    }
    let events = |chunks: &[&[u8]]| {
        let mut c = plaintext_client();
        section8_commands(&mut c);
        for chunk in chunks {
            c.receive(chunk);
            while c.transmit().is_some() {}
        }
        std::iter::from_fn(|| c.poll_event())
            .map(|e| format!("{e:?}"))
            .collect::<Vec<_>>()
    };
    let whole = events(&[&from_server]);
    assert_eq!(
        whole.iter().filter(|e| e.starts_with("Completed")).count(),
        6
    );
    for cut in (1..from_server.len()).step_by(7) {
        let (a, b) = from_server.split_at(cut);
        assert_eq!(events(&[a, b]), whole, "split at {cut}");
    }
}
