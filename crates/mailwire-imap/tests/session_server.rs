//! The server session against an in-memory mailbox: the RFC 3501 §8 sample session,
//! state violations, literals, STARTTLS, AUTHENTICATE, expunge visibility and input
//! splits.

use std::num::NonZeroU32;

use mailwire_core::Secret;
use mailwire_core::{Session as _, Transport};
use mailwire_imap::server::{
    Config, Event, ListEntry, MailboxSnapshot, MailboxUpdate, MessageInfo, Session, StoredMessage,
};
use mailwire_imap::types::{Date, DateTime, Flag, StatusItem};
use mailwire_sasl::{AuthAnswer, AuthError, AuthQuestion, Identity, Mechanism, Method};

const CRAM_MD5: Method = Method::Sasl(Mechanism::CramMd5);
const SCRAM: Method = Method::Sasl(Mechanism::ScramSha256);

/// One mailbox, INBOX, of messages by ascending UID.
struct Store {
    messages: Vec<(u32, Vec<Flag>, Vec<u8>)>,
    recent: Vec<u32>,
    events: Vec<String>,
}

fn internal_date() -> DateTime {
    DateTime::new(Date::new(1996, 7, 17).unwrap(), 2, 44, 25, -7 * 60).unwrap()
}

impl Store {
    /// Answers every event the session has, as a simple server would.
    fn serve(&mut self, s: &mut Session) {
        while let Some(event) = s.poll_event() {
            match event {
                Event::Auth {
                    question:
                        AuthQuestion::Password {
                            authcid, password, ..
                        },
                } => {
                    self.events.push(format!("password {authcid}"));
                    let answer = if password.expose() == "secret" {
                        AuthAnswer::Accept
                    } else {
                        AuthAnswer::Reject
                    };
                    s.answer_auth(answer).unwrap();
                }
                Event::Authenticated { identity, .. } => {
                    self.events
                        .push(format!("logged in {}", identity.acting_as()));
                }
                Event::AuthFailed { user, failures, .. } => {
                    self.events
                        .push(format!("failed {} {failures}", user.unwrap_or_default()));
                }
                Event::Select { .. } => {
                    let snapshot = MailboxSnapshot {
                        uid_validity: NonZeroU32::new(3_857_529_045).unwrap(),
                        uid_next: NonZeroU32::new(self.messages.last().map_or(1, |m| m.0 + 1))
                            .unwrap(),
                        flags: vec![
                            Flag::Answered,
                            Flag::Flagged,
                            Flag::Deleted,
                            Flag::Seen,
                            Flag::Draft,
                        ],
                        keywords_allowed: false,
                        messages: self
                            .messages
                            .iter()
                            .map(|(uid, flags, raw)| MessageInfo {
                                uid: *uid,
                                flags: flags.clone(),
                                recent: self.recent.contains(uid),
                                internal_date: internal_date(),
                                size: u32::try_from(raw.len()).unwrap(),
                            })
                            .collect(),
                    };
                    s.open_mailbox(snapshot).unwrap();
                }
                Event::Messages { uids } => {
                    self.events.push(format!("messages {}", uids.len()));
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
                    let mut stored = Vec::new();
                    for m in self.messages.iter_mut().filter(|m| uids.contains(&m.0)) {
                        m.1 = change.apply(&m.1);
                        self.events.push(format!("flags {} {}", m.0, m.1.len()));
                        stored.push((m.0, m.1.clone()));
                    }
                    s.flags_stored(stored).unwrap();
                }
                Event::Content { uid, offset, len } => {
                    self.events.push(format!("content {uid} {offset} {len}"));
                    let raw = &self.messages.iter().find(|m| m.0 == uid).unwrap().2;
                    let start = usize::try_from(offset).unwrap();
                    let end = start + usize::try_from(len).unwrap();
                    s.send_content(&raw[start..end]).unwrap();
                    s.end_content().unwrap();
                }
                Event::Expunge { uids } => {
                    self.events.push(format!("expunge {uids:?}"));
                    self.messages.retain(|m| !uids.contains(&m.0));
                    s.accept().unwrap();
                }
                Event::List { .. } => {
                    s.list(vec![ListEntry {
                        attributes: vec![],
                        delimiter: mailwire_imap::types::Delimiter::new('/').ok(),
                        mailbox: mailwire_imap::types::Mailbox::Inbox,
                    }])
                    .unwrap();
                }
                Event::Status { .. } => {
                    let n = u32::try_from(self.messages.len()).unwrap();
                    s.status(vec![StatusItem::Messages(n)]).unwrap();
                }
                Event::Copy { uids, .. } => {
                    let copied: Vec<(u32, u32)> = uids.iter().copied().zip(500..).collect();
                    s.accept_copy(NonZeroU32::new(9).unwrap(), &copied).unwrap();
                }
                Event::Append { mailbox, messages } => {
                    let sizes: Vec<usize> = messages.iter().map(|m| m.data.len()).collect();
                    self.events.push(format!("append {mailbox:?} {sizes:?}"));
                    s.accept_append(NonZeroU32::new(9).unwrap(), &[200, 201][..sizes.len()])
                        .unwrap();
                }
                other => {
                    self.events.push(format!("refused {other:?}"));
                    s.reject("Not here").unwrap();
                }
            }
        }
    }
}

/// The message 12 of the RFC 3501 §8 sample, rebuilt from what its FETCH reveals.
fn rfc3501_message() -> Vec<u8> {
    let mut raw = b"Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n\
From: Terry Gray <gray@cac.washington.edu>\r\n\
Subject: IMAP4rev1 WG mtg summary and minutes\r\n\
To: imap@cac.washington.edu\r\n\
cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n\
Message-Id: <B27397-0100000@cac.washington.edu>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\
Content-Transfer-Encoding: 7BIT\r\n\
\r\n"
        .to_vec();
    for _ in 0..91 {
        raw.extend_from_slice(b"0123456789012345678901234567890\r\n");
    }
    raw.extend_from_slice(b"the last line of it all\r\n");
    raw
}

fn short(n: u32) -> Vec<u8> {
    format!("Subject: message {n}\r\nFrom: a@x.test\r\n\r\nbody {n}\r\n").into_bytes()
}

/// 18 messages, UIDs 101..=118; 17 and 18 recent, only 17 and 18 unseen, 12 the RFC's.
fn rfc3501_store() -> Store {
    let messages = (1..=18u32)
        .map(|n| {
            let flags = if n >= 17 { vec![] } else { vec![Flag::Seen] };
            let raw = if n == 12 { rfc3501_message() } else { short(n) };
            (100 + n, flags, raw)
        })
        .collect();
    Store {
        messages,
        recent: vec![117, 118],
        events: vec![],
    }
}

fn plaintext_config() -> Config {
    let mut c = Config::default();
    c.plaintext_auth = true;
    c.starttls = false;
    c
}

/// Feeds `input` in the given chunks, serving events after each, and returns all output.
fn run(store: &mut Store, config: Config, chunks: &[&[u8]]) -> (String, Session) {
    let mut s = Session::new(config);
    let mut out = Vec::new();
    out.extend_from_slice(&s.transmit().unwrap());
    for chunk in chunks {
        s.receive(chunk);
        store.serve(&mut s);
        while let Some(b) = s.transmit() {
            out.extend_from_slice(&b);
        }
    }
    (String::from_utf8(out).unwrap(), s)
}

const RFC3501_CLIENT: &[u8] = b"a001 login mrc secret\r\n\
a002 select inbox\r\n\
a003 fetch 12 full\r\n\
a004 fetch 12 body[header]\r\n\
a005 store 12 +flags \\deleted\r\n\
a006 logout\r\n";

fn rfc3501_expected() -> String {
    let raw = rfc3501_message();
    let header = &raw[..raw.len() - 3028];
    let caps = "IMAP4rev1 AUTH=PLAIN AUTH=LOGIN SASL-IR LITERAL+ IDLE NAMESPACE UIDPLUS MOVE \
ENABLE ID UNSELECT MULTIAPPEND";
    let authed = "IMAP4rev1 LITERAL+ IDLE NAMESPACE UIDPLUS MOVE ENABLE ID UNSELECT MULTIAPPEND";
    format!(
        "* OK [CAPABILITY {caps}] IMAP4rev1 ready\r\n\
a001 OK [CAPABILITY {authed}] Logged in\r\n\
* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n\
* 18 EXISTS\r\n\
* 2 RECENT\r\n\
* OK [UNSEEN 17] Message 17 is first unseen\r\n\
* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)] Limited\r\n\
* OK [UIDVALIDITY 3857529045] UIDs valid\r\n\
* OK [UIDNEXT 119] Predicted next UID\r\n\
a002 OK [READ-WRITE] SELECT completed\r\n\
* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" RFC822.SIZE {size} \
ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \"IMAP4rev1 WG mtg summary and minutes\" \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((NIL NIL \"imap\" \"cac.washington.edu\")) \
((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) \
NIL NIL \"<B27397-0100000@cac.washington.edu>\") \
BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92))\r\n\
a003 OK FETCH completed\r\n\
* 12 FETCH (BODY[HEADER] {{{hlen}}}\r\n{header})\r\n\
a004 OK FETCH completed\r\n\
* 12 FETCH (FLAGS (\\Seen \\Deleted))\r\n\
a005 OK STORE completed\r\n\
* BYE Logging out\r\n\
a006 OK LOGOUT completed\r\n",
        size = raw.len(),
        hlen = header.len(),
        header = String::from_utf8(header.to_vec()).unwrap(),
    )
}

#[test]
fn rfc3501_section8_sample_session() {
    let mut store = rfc3501_store();
    let (out, s) = run(&mut store, plaintext_config(), &[RFC3501_CLIENT]);
    assert_eq!(out, rfc3501_expected());
    assert_eq!(s.transport(), Transport::Close);
    assert_eq!(
        store.events,
        [
            "password mrc",
            "logged in mrc",
            "messages 1",
            "messages 1",
            "flags 112 2"
        ]
    );
    assert_eq!(store.messages[11].1, [Flag::Seen, Flag::Deleted]);
}

#[test]
fn every_split_gives_the_same_output() {
    let whole = run(&mut rfc3501_store(), plaintext_config(), &[RFC3501_CLIENT]).0;
    for cut in 1..RFC3501_CLIENT.len() {
        let (a, b) = RFC3501_CLIENT.split_at(cut);
        let (out, _) = run(&mut rfc3501_store(), plaintext_config(), &[a, b]);
        assert_eq!(out, whole, "split at {cut}");
    }
    let bytes: Vec<&[u8]> = RFC3501_CLIENT.chunks(1).collect();
    assert_eq!(
        run(&mut rfc3501_store(), plaintext_config(), &bytes).0,
        whole
    );
}

fn lines_after_greeting(out: &str) -> Vec<&str> {
    out.split("\r\n")
        .skip(1)
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn commands_out_of_state_are_refused() {
    let mut store = rfc3501_store();
    let (out, _) = run(
        &mut store,
        plaintext_config(),
        &[
            b"b1 FETCH 1 FLAGS\r\nb2 SELECT INBOX\r\nb3 CLOSE\r\nb4 LOGIN mrc secret\r\n\
b5 LOGIN mrc secret\r\nb6 AUTHENTICATE PLAIN\r\nb7 EXPUNGE\r\nb8 SELECT INBOX\r\n\
b9 STARTTLS\r\nb10 FOO\r\n",
        ],
    );
    let lines = lines_after_greeting(&out);
    let tagged: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with('b'))
        .collect();
    assert_eq!(
        tagged[..5],
        [
            "b1 BAD FETCH not allowed in this state",
            "b2 BAD SELECT not allowed in this state",
            "b3 BAD CLOSE not allowed in this state",
            tagged[3],
            "b5 BAD LOGIN not allowed in this state",
        ]
    );
    assert!(tagged[3].starts_with("b4 OK [CAPABILITY IMAP4rev1 "));
    assert_eq!(tagged[5], "b6 BAD AUTHENTICATE not allowed in this state");
    assert_eq!(tagged[6], "b7 BAD EXPUNGE not allowed in this state");
    assert_eq!(tagged[7], "b8 OK [READ-WRITE] SELECT completed");
    assert_eq!(tagged[8], "b9 BAD STARTTLS not allowed in this state");
    assert!(tagged[9].starts_with("b10 BAD "), "{}", tagged[9]);
}

#[test]
fn repeated_errors_end_with_bye() {
    let mut config = plaintext_config();
    config.max_errors = 3;
    let (out, s) = run(
        &mut rfc3501_store(),
        config,
        &[b"x1 NOPE\r\nx2 FETCH 1 FLAGS\r\n)(\r\nx4 NOOP\r\n"],
    );
    let lines = lines_after_greeting(&out);
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(lines[0].starts_with("x1 BAD "));
    assert_eq!(lines[1], "x2 BAD FETCH not allowed in this state");
    assert!(lines[2].starts_with("* BAD "));
    assert_eq!(lines[3], "* BYE Too many invalid commands");
    assert_eq!(s.transport(), Transport::Close);
}

/// A literal refused for its command's state can be the last error allowed: the session
/// ends there, with the literal's line and everything after it dropped.
#[test]
fn a_refused_literal_that_ends_the_session() {
    let mut config = plaintext_config();
    config.max_errors = 1;
    let (out, s) = run(
        &mut rfc3501_store(),
        config,
        &[b"a1 APPEND INBOX {3}\r\n", b"abc\r\na2 NOOP\r\n"],
    );
    assert_eq!(
        lines_after_greeting(&out),
        [
            "a1 BAD APPEND not allowed in this state",
            "* BYE Too many invalid commands"
        ]
    );
    assert_eq!(s.transport(), Transport::Close);
}

#[test]
fn login_disabled_without_tls_until_starttls() {
    let mut store = rfc3501_store();
    let (out, mut s) = run(
        &mut store,
        Config::default(),
        &[b"t1 CAPABILITY\r\nt2 LOGIN mrc secret\r\nt3 STARTTLS\r\nt4 NOOP\r\n"],
    );
    assert_eq!(
        lines_after_greeting(&out),
        [
            "* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED SASL-IR LITERAL+ IDLE NAMESPACE \
UIDPLUS MOVE ENABLE ID UNSELECT MULTIAPPEND",
            "t1 OK CAPABILITY completed",
            "t2 NO [PRIVACYREQUIRED] Plaintext login disabled; use STARTTLS",
            "t3 OK Begin TLS negotiation now",
        ]
    );
    // The pipelined NOOP was thrown away with the plaintext.
    assert_eq!(s.transport(), Transport::StartTls);
    s.tls_established();
    s.receive(b"t5 CAPABILITY\r\n");
    assert_eq!(
        &s.transmit().unwrap()[..],
        b"* CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=LOGIN SASL-IR LITERAL+ IDLE NAMESPACE \
UIDPLUS MOVE ENABLE ID UNSELECT MULTIAPPEND\r\nt5 OK CAPABILITY completed\r\n"
    );
    assert!(store.events.is_empty());
}

#[test]
fn a_password_mechanism_before_tls_is_refused_as_privacy_required() {
    let mut store = rfc3501_store();
    let (out, s) = run(
        &mut store,
        Config::default(),
        &[b"p1 AUTHENTICATE PLAIN AG1yYwBzZWNyZXQ=\r\np2 AUTHENTICATE LOGIN\r\n"],
    );
    assert_eq!(
        lines_after_greeting(&out),
        [
            "p1 NO [PRIVACYREQUIRED] PLAIN sends the password; use STARTTLS",
            "p2 NO [PRIVACYREQUIRED] LOGIN sends the password; use STARTTLS",
        ]
    );
    assert_eq!(s.user(), None);
    assert!(store.events.is_empty());
}

#[test]
fn authenticate_plain_with_and_without_initial_response() {
    let mut store = rfc3501_store();
    // "\0mrc\0secret" and "\0mrc\0wrong".
    let (out, s) = run(
        &mut store,
        plaintext_config(),
        &[
            b"p1 AUTHENTICATE PLAIN AG1yYwB3cm9uZw==\r\n",
            b"p2 AUTHENTICATE PLAIN\r\n",
            b"AG1yYwBzZWNyZXQ=\r\n",
        ],
    );
    let lines = lines_after_greeting(&out);
    assert_eq!(lines[0], "p1 NO Authentication failed");
    assert_eq!(lines[1], "+ ");
    assert!(lines[2].starts_with("p2 OK [CAPABILITY IMAP4rev1 LITERAL+"));
    assert_eq!(s.user(), Some("mrc"));
    assert_eq!(
        store.events,
        [
            "password mrc",
            "failed mrc 1",
            "password mrc",
            "logged in mrc"
        ]
    );
}

#[test]
fn cancelled_authenticate_is_bad() {
    let (out, s) = run(
        &mut rfc3501_store(),
        plaintext_config(),
        &[b"p1 AUTHENTICATE LOGIN\r\n*\r\np2 AUTHENTICATE CRAM-MD5\r\n"],
    );
    assert_eq!(
        lines_after_greeting(&out),
        [
            "+ VXNlcm5hbWU6",
            "p1 BAD AUTHENTICATE cancelled",
            "p2 NO Unsupported mechanism"
        ]
    );
    assert_eq!(s.user(), None);
}

#[test]
fn synchronising_literal_gets_a_continuation() {
    let mut store = rfc3501_store();
    let (out, s) = run(
        &mut store,
        plaintext_config(),
        &[b"l1 LOGIN {3}\r\n", b"mrc {6}\r\n", b"secret\r\n"],
    );
    let lines = lines_after_greeting(&out);
    assert_eq!(lines[0], "+ Ready for literal data");
    assert_eq!(lines[1], "+ Ready for literal data");
    assert!(lines[2].starts_with("l1 OK [CAPABILITY "));
    assert_eq!(s.user(), Some("mrc"));
}

#[test]
fn oversized_literals_are_refused_and_skipped_unbuffered() {
    let mut config = plaintext_config();
    config.limits = config.limits.with_max_literal(1024);
    let mut s = Session::new(config);
    s.transmit();
    // Synchronising: the client waits, and sends the next command.
    s.receive(b"a1 APPEND INBOX {5000}\r\na2 NOOP\r\n");
    assert_eq!(
        &s.transmit().unwrap()[..],
        b"a1 BAD Literal too large\r\na2 OK NOOP completed\r\n"
    );
    // Non-synchronising: the data comes anyway and is thrown away as it arrives.
    s.receive(b"a3 APPEND INBOX {3000000+}\r\n");
    assert_eq!(&s.transmit().unwrap()[..], b"a3 BAD Literal too large\r\n");
    let chunk = vec![b'x'; 100_000];
    for _ in 0..30 {
        s.receive(&chunk);
        assert!(s.transmit().is_none());
    }
    s.receive(b" (\\Seen)\r\na4 NOOP\r\n");
    assert_eq!(&s.transmit().unwrap()[..], b"a4 OK NOOP completed\r\n");
}

fn select(store: &mut Store) -> Session {
    let (_, s) = run(
        store,
        plaintext_config(),
        &[b"s1 LOGIN mrc secret\r\ns2 SELECT INBOX\r\n"],
    );
    s
}

fn exchange(s: &mut Session, store: &mut Store, input: &[u8]) -> String {
    s.receive(input);
    store.serve(s);
    let mut out = Vec::new();
    while let Some(b) = s.transmit() {
        out.extend_from_slice(&b);
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn expunges_from_elsewhere_wait_for_a_command_that_allows_them() {
    let mut store = rfc3501_store();
    let mut s = select(&mut store);
    s.notify(MailboxUpdate::Expunged { uid: 102 });
    s.notify(MailboxUpdate::Flags {
        uid: 101,
        flags: vec![Flag::Seen, Flag::Flagged],
    });
    // Nothing is sent while no command is in progress.
    assert!(s.transmit().is_none());
    assert_eq!(
        exchange(&mut s, &mut store, b"f1 FETCH 2:3 FLAGS\r\n"),
        "* 2 FETCH (FLAGS (\\Seen))\r\n* 3 FETCH (FLAGS (\\Seen))\r\n\
* 1 FETCH (FLAGS (\\Seen \\Flagged))\r\nf1 OK FETCH completed\r\n"
    );
    assert_eq!(
        exchange(
            &mut s,
            &mut store,
            b"f2 STORE 18 +FLAGS.SILENT (\\Answered)\r\n"
        ),
        "f2 OK STORE completed\r\n"
    );
    assert_eq!(
        exchange(&mut s, &mut store, b"f3 SEARCH UNSEEN\r\n"),
        "* SEARCH 17 18\r\nf3 OK SEARCH completed\r\n"
    );
    assert_eq!(
        exchange(&mut s, &mut store, b"f4 NOOP\r\n"),
        "* 2 EXPUNGE\r\nf4 OK NOOP completed\r\n"
    );
    // Now message 18 is number 17.
    assert_eq!(
        exchange(&mut s, &mut store, b"f5 FETCH 17 (UID FLAGS)\r\n"),
        "* 17 FETCH (UID 118 FLAGS (\\Answered \\Recent))\r\nf5 OK FETCH completed\r\n"
    );
}

#[test]
fn uid_commands_and_idle_may_carry_expunges_and_new_messages() {
    let mut store = rfc3501_store();
    let mut s = select(&mut store);
    s.notify(MailboxUpdate::Expunged { uid: 118 });
    assert_eq!(
        exchange(&mut s, &mut store, b"u1 UID FETCH 118 FLAGS\r\n"),
        "* 18 FETCH (UID 118 FLAGS (\\Recent))\r\n* 18 EXPUNGE\r\nu1 OK UID FETCH completed\r\n"
    );
    assert_eq!(exchange(&mut s, &mut store, b"u2 IDLE\r\n"), "+ idling\r\n");
    s.notify(MailboxUpdate::Appended {
        uid: 130,
        flags: vec![],
        recent: true,
        internal_date: internal_date(),
        size: 10,
    });
    s.notify(MailboxUpdate::Expunged { uid: 101 });
    let mut pushed = Vec::new();
    while let Some(b) = s.transmit() {
        pushed.extend_from_slice(&b);
    }
    assert_eq!(
        String::from_utf8(pushed).unwrap(),
        "* 18 EXISTS\r\n* 2 RECENT\r\n* 1 EXPUNGE\r\n"
    );
    assert_eq!(
        exchange(&mut s, &mut store, b"DONE\r\nu3 UID SEARCH UID 120:*\r\n"),
        "u2 OK IDLE terminated\r\n* SEARCH 130\r\nu3 OK UID SEARCH completed\r\n"
    );
}

#[test]
fn body_fetch_sets_seen_but_peek_does_not() {
    let mut store = rfc3501_store();
    let mut s = select(&mut store);
    assert_eq!(
        exchange(&mut s, &mut store, b"k1 FETCH 17 BODY.PEEK[TEXT]\r\n"),
        "* 17 FETCH (BODY[TEXT] {9}\r\nbody 17\r\n)\r\nk1 OK FETCH completed\r\n"
    );
    assert!(store.messages[16].1.is_empty());
    assert_eq!(
        exchange(&mut s, &mut store, b"k2 FETCH 17 BODY[1]<0.4>\r\n"),
        "* 17 FETCH (BODY[1]<0> \"body\" FLAGS (\\Seen \\Recent))\r\nk2 OK FETCH completed\r\n"
    );
    assert_eq!(store.messages[16].1, [Flag::Seen]);
}

#[test]
fn dates_and_sizes_come_from_the_view_and_only_content_is_asked_for() {
    let mut store = rfc3501_store();
    let mut s = select(&mut store);
    let before = store.events.len();
    assert_eq!(
        exchange(
            &mut s,
            &mut store,
            b"v1 FETCH 17 FAST\r\nv2 UID FETCH 112 (RFC822.SIZE INTERNALDATE)\r\n\
v3 SEARCH SINCE 1-Jul-1996 LARGER 100\r\nv4 SEARCH NOT BEFORE 17-Jul-1996 SMALLER 100\r\n"
        ),
        "* 17 FETCH (FLAGS (\\Recent) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" \
RFC822.SIZE 48)\r\nv1 OK FETCH completed\r\n\
* 12 FETCH (UID 112 RFC822.SIZE 3403 INTERNALDATE \"17-Jul-1996 02:44:25 -0700\")\r\n\
v2 OK UID FETCH completed\r\n* SEARCH 12\r\nv3 OK SEARCH completed\r\n\
* SEARCH 1 2 3 4 5 6 7 8 9 10 11 13 14 15 16 17 18\r\nv4 OK SEARCH completed\r\n"
    );
    // None of that needed a message's content.
    assert_eq!(store.events.len(), before);
    assert_eq!(
        exchange(
            &mut s,
            &mut store,
            b"v5 FETCH 17 (RFC822.SIZE ENVELOPE)\r\n"
        )
        .lines()
        .last(),
        Some("v5 OK FETCH completed")
    );
    assert_eq!(store.events[before..], ["messages 1"]);
}

#[test]
fn move_reports_copyuid_then_expunges() {
    let mut store = rfc3501_store();
    let mut s = select(&mut store);
    assert_eq!(
        exchange(
            &mut s,
            &mut store,
            b"m1 MOVE 2:3 Archive\r\nm2 FETCH 2 UID\r\n"
        ),
        "* OK [COPYUID 9 102,103 500,501] Moved UIDs\r\n* 2 EXPUNGE\r\n* 2 EXPUNGE\r\n\
m1 OK MOVE completed\r\n* 2 FETCH (UID 104)\r\nm2 OK FETCH completed\r\n"
    );
}

#[test]
fn expunge_close_and_examine() {
    let mut store = rfc3501_store();
    let mut s = select(&mut store);
    assert_eq!(
        exchange(
            &mut s,
            &mut store,
            b"e1 STORE 1,3 +FLAGS.SILENT (\\Deleted)\r\ne2 EXPUNGE\r\n"
        ),
        "e1 OK STORE completed\r\n* 1 EXPUNGE\r\n* 2 EXPUNGE\r\ne2 OK EXPUNGE completed\r\n"
    );
    assert_eq!(store.messages.len(), 16);
    assert_eq!(
        exchange(&mut s, &mut store, b"e3 EXAMINE INBOX\r\n")
            .lines()
            .last(),
        Some("e3 OK [READ-ONLY] EXAMINE completed")
    );
    assert_eq!(
        exchange(
            &mut s,
            &mut store,
            b"e4 STORE 1 +FLAGS (\\Deleted)\r\ne5 CLOSE\r\ne6 FETCH 1 UID\r\n"
        ),
        "e4 NO Mailbox is read-only\r\ne5 OK CLOSE completed\r\n\
e6 BAD FETCH not allowed in this state\r\n"
    );
    assert_eq!(
        exchange(
            &mut s,
            &mut store,
            b"e7 LIST \"\" *\r\ne8 STATUS INBOX (MESSAGES)\r\n"
        ),
        "* LIST () \"/\" INBOX\r\ne7 OK LIST completed\r\n* STATUS INBOX (MESSAGES 16)\r\n\
e8 OK STATUS completed\r\n"
    );
}

#[test]
fn search_with_unknown_charset_names_the_known_ones() {
    let mut store = rfc3501_store();
    let mut s = select(&mut store);
    assert_eq!(
        exchange(&mut s, &mut store, b"c1 SEARCH CHARSET KOI8-R TEXT x\r\n"),
        "c1 NO [BADCHARSET (US-ASCII UTF-8)] Unsupported charset\r\n"
    );
    assert_eq!(
        exchange(
            &mut s,
            &mut store,
            b"c2 SEARCH CHARSET UTF-8 SUBJECT \"message 1\" NOT 10:*\r\n"
        ),
        "* SEARCH 1\r\nc2 OK SEARCH completed\r\n"
    );
}

#[test]
fn append_waits_for_its_literal_and_reports_appenduid() {
    let mut store = rfc3501_store();
    let (out, _) = run(
        &mut store,
        plaintext_config(),
        &[
            b"a1 LOGIN mrc secret\r\na2 APPEND INBOX (\\Seen) {5}\r\n",
            b"hello {3+}\r\nbye\r\na3 CREATE Archive\r\n",
        ],
    );
    let lines = lines_after_greeting(&out);
    assert_eq!(
        lines[1..],
        [
            "+ Ready for literal data",
            "a2 OK [APPENDUID 9 200,201] APPEND completed",
            "a3 NO Not here",
        ]
    );
    assert_eq!(store.events[2], "append Inbox [5, 3]");
    assert!(store.events[3].starts_with("refused Manage(Create"));
}

/// Every message of the store with a MIME tree: nested multiparts and an enclosed message.
fn structured_store() -> Store {
    let mut store = rfc3501_store();
    store.messages[0].2 = b"From: a@x.test\r\nSubject: nested\r\n\
Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: text/plain\r\n\r\n\
first\r\n--o\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\nFrom: b@y.test\r\n\r\n\
old\r\n--o--\r\n"
        .to_vec();
    store
}

#[test]
fn repeated_fetches_are_answered_alike_with_and_without_the_item_cache() {
    const FETCHES: &[u8] = b"f1 FETCH 1:* (ENVELOPE BODYSTRUCTURE)\r\n\
f2 FETCH 1:* (FLAGS ENVELOPE BODY BODYSTRUCTURE UID)\r\n\
f3 UID FETCH 101:103 (BODYSTRUCTURE RFC822.SIZE ENVELOPE)\r\n";
    let answer = |cache_bytes: usize| {
        let mut store = structured_store();
        let mut config = plaintext_config();
        config.fetch_cache_bytes = cache_bytes;
        let (_, mut s) = run(
            &mut store,
            config,
            &[b"s1 LOGIN mrc secret\r\ns2 SELECT INBOX\r\n"],
        );
        let first = exchange(&mut s, &mut store, FETCHES);
        let second = exchange(&mut s, &mut store, FETCHES);
        (first, second)
    };
    let (uncached, uncached_again) = answer(0);
    assert_eq!(uncached, uncached_again);
    // Large enough for everything; then so small that entries are dropped all the time.
    for budget in [1 << 20, 300] {
        let (first, second) = answer(budget);
        assert_eq!(first, uncached, "budget {budget}");
        assert_eq!(second, uncached, "budget {budget}");
    }
    // Checked by hand and against Dovecot 2.3: part 2's body is the 37 octets and 3 line
    // ends from `Subject: inner`; the text parts end in a partial line, which Dovecot does
    // not count; a text part without a charset gets `us-ascii`; names keep the message's
    // case. These are Dovecot's bytes for the message.
    assert!(uncached.starts_with(
        "* 1 FETCH (ENVELOPE (NIL \"nested\" ((NIL NIL \"a\" \"x.test\")) \
((NIL NIL \"a\" \"x.test\")) ((NIL NIL \"a\" \"x.test\")) NIL NIL NIL NIL NIL) \
BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 0 NIL NIL NIL NIL)\
(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 37 (NIL \"inner\" \
((NIL NIL \"b\" \"y.test\")) ((NIL NIL \"b\" \"y.test\")) ((NIL NIL \"b\" \"y.test\")) \
NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 0 \
NIL NIL NIL NIL) 3 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"o\") NIL NIL NIL))\r\n"
    ));
    assert!(uncached.ends_with("f3 OK UID FETCH completed\r\n"));
}

#[test]
fn literals_are_invited_only_for_commands_allowed_in_the_state() {
    let mut store = rfc3501_store();
    let mut s = Session::new(plaintext_config());
    s.transmit();
    let mut say = |input: &[u8]| {
        s.receive(input);
        store.serve(&mut s);
        let mut out = Vec::new();
        while let Some(b) = s.transmit() {
            out.extend_from_slice(&b);
        }
        String::from_utf8(out).unwrap()
    };
    // Not authenticated: APPEND is refused before its literal is asked for, and the
    // client, which sends nothing more for it, goes on with its next command.
    assert_eq!(
        say(b"a1 APPEND INBOX {5}\r\n"),
        "a1 BAD APPEND not allowed in this state\r\n"
    );
    assert_eq!(say(b"a2 NOOP\r\n"), "a2 OK NOOP completed\r\n");
    assert_eq!(
        say(b"a3 uid fetch 1 (BODY[HEADER.FIELDS ({7}\r\n"),
        "a3 BAD UID FETCH not allowed in this state\r\n"
    );
    assert_eq!(say(b"a4 FROB {3}\r\n"), "a4 BAD Unknown command\r\n");
    // Allowed here: the literal is invited.
    assert_eq!(say(b"a5 LOGIN {3}\r\n"), "+ Ready for literal data\r\n");
    assert!(say(b"mrc secret\r\n").starts_with("a5 OK [CAPABILITY IMAP4rev1 "));
    // Authenticated now: LOGIN is refused up front, APPEND invited.
    assert_eq!(
        say(b"a6 LOGIN {3}\r\n"),
        "a6 BAD LOGIN not allowed in this state\r\n"
    );
    assert_eq!(
        say(b"a7 APPEND INBOX {5}\r\n"),
        "+ Ready for literal data\r\n"
    );
}

/// Feeds `input` and returns what the session writes, answering no event.
fn said(s: &mut Session, input: &[u8]) -> String {
    s.receive(input);
    let mut out = Vec::new();
    while let Some(b) = s.transmit() {
        out.extend_from_slice(&b);
    }
    String::from_utf8(out).unwrap()
}

fn challenge_response_config() -> Config {
    let mut c = Config::default();
    c.starttls = false;
    c.mechanisms = vec![Mechanism::ScramSha256, Mechanism::CramMd5];
    c
}

#[test]
fn challenge_response_mechanisms_are_offered_only_with_a_nonce() {
    let mut s = Session::new(challenge_response_config());
    s.transmit();
    assert_eq!(
        said(&mut s, b"c1 CAPABILITY\r\n"),
        "* CAPABILITY IMAP4rev1 LOGINDISABLED SASL-IR LITERAL+ IDLE NAMESPACE UIDPLUS MOVE \
ENABLE ID UNSELECT MULTIAPPEND\r\nc1 OK CAPABILITY completed\r\n"
    );
    assert_eq!(
        said(&mut s, b"c2 AUTHENTICATE CRAM-MD5\r\n"),
        "c2 NO Unsupported mechanism\r\n"
    );
    s.set_auth_nonce("<1896.697170952@postoffice.reston.mci.net>");
    assert_eq!(
        said(&mut s, b"c3 CAPABILITY\r\n"),
        "* CAPABILITY IMAP4rev1 LOGINDISABLED AUTH=SCRAM-SHA-256 AUTH=CRAM-MD5 SASL-IR \
LITERAL+ IDLE NAMESPACE UIDPLUS MOVE ENABLE ID UNSELECT MULTIAPPEND\r\n\
c3 OK CAPABILITY completed\r\n"
    );
}

#[test]
fn authenticate_cram_md5_rfc2195_exchange() {
    let mut s = Session::new(challenge_response_config());
    s.transmit();
    s.set_auth_nonce("<1896.697170952@postoffice.reston.mci.net>");
    // RFC 2195 §2's example, challenge and response in base64.
    assert_eq!(
        said(&mut s, b"a1 AUTHENTICATE CRAM-MD5\r\n"),
        "+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n"
    );
    assert_eq!(
        said(
            &mut s,
            b"dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n"
        ),
        ""
    );
    match s.poll_event() {
        Some(Event::Auth {
            question: AuthQuestion::Secret { method, authcid },
        }) => assert_eq!((method, authcid.as_str()), (CRAM_MD5, "tim")),
        other => panic!("{other:?}"),
    }
    s.answer_auth(AuthAnswer::Secret(Secret::new(
        "tanstaaftanstaaf".to_owned(),
    )))
    .unwrap();
    match s.poll_event() {
        Some(Event::Authenticated { method, identity }) => assert_eq!(
            (method, identity),
            (
                CRAM_MD5,
                Identity {
                    authcid: "tim".into(),
                    authzid: None
                }
            )
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        said(&mut s, b""),
        "a1 OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE NAMESPACE UIDPLUS MOVE ENABLE ID UNSELECT \
MULTIAPPEND] Logged in\r\n"
    );
    assert_eq!(s.user(), Some("tim"));

    // A wrong digest is refused with NO, and the session stays unauthenticated.
    let mut s = Session::new(challenge_response_config());
    s.transmit();
    s.set_auth_nonce("<1896.697170952@postoffice.reston.mci.net>");
    said(&mut s, b"b1 AUTHENTICATE CRAM-MD5\r\n");
    said(
        &mut s,
        b"dGltIDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw\r\n",
    );
    assert!(matches!(
        s.poll_event(),
        Some(Event::Auth {
            question: AuthQuestion::Secret { .. }
        })
    ));
    s.answer_auth(AuthAnswer::Secret(Secret::new(
        "tanstaaftanstaaf".to_owned(),
    )))
    .unwrap();
    assert_eq!(said(&mut s, b""), "b1 NO Authentication failed\r\n");
    match s.poll_event() {
        Some(Event::AuthFailed {
            method,
            user,
            error,
            failures,
        }) => assert_eq!(
            (method, user.as_deref(), error, failures),
            (CRAM_MD5, Some("tim"), AuthError::Credentials, 1)
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(s.user(), None);
    // Each exchange uses up its nonce: without a new one the mechanism is not offered.
    assert_eq!(
        said(&mut s, b"b2 AUTHENTICATE CRAM-MD5\r\n"),
        "b2 NO Unsupported mechanism\r\n"
    );
}

#[test]
fn authenticate_scram_sha256_rfc7677_exchange() {
    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let mut s = Session::new(challenge_response_config());
    s.transmit();
    s.set_auth_nonce("%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
    // RFC 7677 §3's example, driven by the client half of mailwire-sasl.
    let mut client = mailwire_sasl::ClientExchange::scram_sha256(
        None,
        "user",
        &Secret::new("pencil".to_owned()),
        "rOprNGfwEbeRWgbNEkqO",
    )
    .unwrap();
    let first = client.initial_response().unwrap();
    assert_eq!(first, b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
    assert_eq!(
        said(
            &mut s,
            format!("a1 AUTHENTICATE SCRAM-SHA-256 {}\r\n", b64(&first)).as_bytes()
        ),
        ""
    );
    match s.poll_event() {
        Some(Event::Auth {
            question:
                AuthQuestion::ScramKeys {
                    method,
                    authcid,
                    authzid,
                },
        }) => {
            assert_eq!((method, authcid.as_str(), authzid), (SCRAM, "user", None));
        }
        other => panic!("{other:?}"),
    }
    let salt = base64::engine::general_purpose::STANDARD
        .decode("W22ZaJ0SNY7soEsUEjb6gQ==")
        .unwrap();
    s.answer_auth(AuthAnswer::ScramKeys(mailwire_sasl::ScramKeys::derive(
        "pencil", &salt, 4096,
    )))
    .unwrap();
    let server_first =
        b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    assert_eq!(said(&mut s, b""), format!("+ {}\r\n", b64(server_first)));
    let client_final = client.respond(server_first).unwrap();
    assert_eq!(
        client_final,
        b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    );
    let server_final = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
    assert_eq!(
        said(&mut s, format!("{}\r\n", b64(&client_final)).as_bytes()),
        format!("+ {}\r\n", b64(server_final))
    );
    // IMAP4rev1 has no room for data in the tagged OK: the client answers the server's
    // final message with an empty response.
    assert_eq!(client.respond(server_final).unwrap(), b"");
    assert_eq!(
        said(&mut s, b"\r\n"),
        "a1 OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE NAMESPACE UIDPLUS MOVE ENABLE ID UNSELECT \
MULTIAPPEND] Logged in\r\n"
    );
    match s.poll_event() {
        Some(Event::Authenticated { method, identity }) => assert_eq!(
            (method, identity),
            (
                SCRAM,
                Identity {
                    authcid: "user".into(),
                    authzid: None
                }
            )
        ),
        other => panic!("{other:?}"),
    }
    client.finish(None).unwrap();
}

#[test]
fn id_namespace_and_enable_answer_from_the_configuration() {
    use mailwire_imap::server::Namespaces;
    use mailwire_imap::types::{Delimiter, IString, NamespaceDescription};
    let s = |v: &str| IString::new(v).unwrap();
    let ns = |prefix: &str| NamespaceDescription {
        prefix: s(prefix),
        delimiter: Delimiter::new('/').ok(),
        extensions: Vec::new(),
    };
    // The defaults: no identification, one personal namespace.
    let mut store = rfc3501_store();
    let mut session = select(&mut store);
    assert_eq!(
        exchange(
            &mut session,
            &mut store,
            b"i1 ID (\"name\" \"client\")\r\ni2 NAMESPACE\r\ni3 ENABLE CONDSTORE X-UNKNOWN\r\n"
        ),
        "* ID NIL\r\ni1 OK ID completed\r\n\
* NAMESPACE ((\"\" \"/\")) NIL NIL\r\ni2 OK NAMESPACE completed\r\n\
* ENABLED\r\ni3 OK ENABLE completed\r\n"
    );

    let mut config = plaintext_config();
    config.id = vec![
        (s("name"), Some(s("mailwire"))),
        (s("version"), Some(s("0.1"))),
        (s("support-url"), None),
    ];
    config.namespaces = Some(Namespaces {
        personal: vec![ns("")],
        other: vec![ns("~")],
        shared: vec![ns("#shared/"), ns("#public/")],
    });
    let mut store = rfc3501_store();
    let (_, mut session) = run(&mut store, config, &[b"s1 LOGIN mrc secret\r\n"]);
    assert_eq!(
        exchange(&mut session, &mut store, b"i4 ID NIL\r\ni5 NAMESPACE\r\n"),
        "* ID (\"name\" \"mailwire\" \"version\" \"0.1\" \"support-url\" NIL)\r\n\
i4 OK ID completed\r\n\
* NAMESPACE ((\"\" \"/\")) ((\"~\" \"/\")) ((\"#shared/\" \"/\")(\"#public/\" \"/\"))\r\n\
i5 OK NAMESPACE completed\r\n"
    );
}

#[test]
fn id_sends_at_most_thirty_pairs() {
    use mailwire_imap::types::IString;
    let mut config = plaintext_config();
    config.id = (0..31)
        .map(|i| (IString::new(format!("f{i}")).unwrap(), None))
        .collect();
    let mut store = rfc3501_store();
    let (out, _) = run(&mut store, config, &[b"i1 ID NIL\r\n"]);
    let fields: Vec<String> = (0..30).map(|i| format!("\"f{i}\" NIL")).collect();
    assert!(out.ends_with(&format!(
        "* ID ({})\r\ni1 OK ID completed\r\n",
        fields.join(" ")
    )));
}

#[test]
fn a_command_with_its_literal_is_received_from_its_first_byte_to_its_end() {
    use std::time::Duration;
    let mut store = rfc3501_store();
    let mut config = plaintext_config();
    config.min_transfer_rate = 1000;
    let (_, mut s) = run(&mut store, config, &[b"s1 LOGIN mrc secret\r\n"]);
    assert!(!s.receiving_command());
    assert_eq!(exchange(&mut s, &mut store, b"a1 NO"), "");
    assert!(s.receiving_command());
    assert_eq!(
        exchange(&mut s, &mut store, b"OP\r\n"),
        "a1 OK NOOP completed\r\n"
    );
    assert!(!s.receiving_command());
    assert_eq!(
        exchange(&mut s, &mut store, b"a2 APPEND INBOX {3000}\r\n"),
        "+ Ready for literal data\r\n"
    );
    // Waiting for the data after the continuation request is the client's time.
    assert!(s.receiving_command());
    let message = [b'm'; 3000];
    assert_eq!(exchange(&mut s, &mut store, &message[..2000]), "");
    assert!(s.receiving_command());
    // 2024 octets so far at 1000 per second: two seconds more than a bare command.
    assert_eq!(s.command_timeout(), Some(Duration::from_secs(122)));
    assert_eq!(exchange(&mut s, &mut store, &message[2000..]), "");
    assert_eq!(
        exchange(&mut s, &mut store, b"\r\n"),
        "a2 OK [APPENDUID 9 200] APPEND completed\r\n"
    );
    assert!(!s.receiving_command());
}

#[test]
fn idle_waits_its_own_time_and_done_is_a_command() {
    use std::time::Duration;
    let mut store = rfc3501_store();
    let mut config = plaintext_config();
    config.timeout = Duration::from_secs(1800);
    config.idle_timeout = Duration::from_secs(3600);
    let (_, mut s) = run(
        &mut store,
        config,
        &[b"s1 LOGIN mrc secret\r\ns2 SELECT INBOX\r\n"],
    );
    assert_eq!(s.timeout(), Some(Duration::from_secs(1800)));
    assert_eq!(exchange(&mut s, &mut store, b"i1 IDLE\r\n"), "+ idling\r\n");
    assert_eq!(s.timeout(), Some(Duration::from_secs(3600)));
    assert!(!s.receiving_command());
    exchange(&mut s, &mut store, b"DO");
    assert!(s.receiving_command());
    assert_eq!(
        exchange(&mut s, &mut store, b"NE\r\n"),
        "i1 OK IDLE terminated\r\n"
    );
    assert_eq!(s.timeout(), Some(Duration::from_secs(1800)));
}

/// What the session wrote after its greeting.
fn after_greeting(out: &str) -> &str {
    out.split_once("\r\n").unwrap().1
}

#[test]
fn failed_logins_end_the_session_at_the_limit() {
    let mut store = rfc3501_store();
    let config = plaintext_config();
    assert_eq!(config.max_login_failures, 3);
    let (out, mut s) = run(
        &mut store,
        config,
        &[
            b"a1 LOGIN mrc x\r\na2 LOGIN mrc y\r\n",
            b"a3 LOGIN mrc z\r\na4 LOGIN mrc secret\r\n",
        ],
    );
    assert_eq!(
        after_greeting(&out),
        "a1 NO Authentication failed\r\na2 NO Authentication failed\r\na3 NO Authentication failed\r\n\
* BYE Too many failed authentication attempts\r\n"
    );
    // The fourth LOGIN, already received, was never read.
    assert_eq!(
        store.events,
        [
            "password mrc",
            "failed mrc 1",
            "password mrc",
            "failed mrc 2",
            "password mrc",
            "failed mrc 3"
        ]
    );
    assert_eq!(s.transport(), Transport::Close);
    assert_eq!(s.buffered(), 0);
    s.receive(b"a5 LOGIN mrc secret\r\n");
    assert!(s.transmit().is_none());
    assert!(s.poll_event().is_none());
    assert_eq!(s.user(), None);
}

#[test]
fn the_login_failure_limit_is_configurable() {
    let mut store = rfc3501_store();
    let mut config = plaintext_config();
    config.max_login_failures = 5;
    let (out, s) = run(
        &mut store,
        config,
        &[b"a1 LOGIN mrc 1\r\na2 LOGIN mrc 2\r\na3 LOGIN mrc 3\r\na4 LOGIN mrc 4\r\na5 LOGIN mrc secret\r\n"],
    );
    let lines = lines_after_greeting(&out);
    assert_eq!(
        lines[..4],
        [
            "a1 NO Authentication failed",
            "a2 NO Authentication failed",
            "a3 NO Authentication failed",
            "a4 NO Authentication failed"
        ]
    );
    assert!(
        lines[4].starts_with("a5 OK [CAPABILITY IMAP4rev1 "),
        "{}",
        lines[4]
    );
    assert_eq!(lines.len(), 5);
    assert_eq!(s.user(), Some("mrc"));
    assert_eq!(s.transport(), Transport::Open);
}

/// SASL failures count: refused credentials, a cancelled exchange and a broken one. A
/// mechanism that is not offered tests no credentials and does not count.
#[test]
fn sasl_failures_and_cancellations_count_as_failed_logins() {
    let mut store = rfc3501_store();
    let (out, s) = run(
        &mut store,
        plaintext_config(),
        &[
            b"p0 AUTHENTICATE CRAM-MD5\r\n",
            // "\0mrc\0wrong".
            b"p1 AUTHENTICATE PLAIN AG1yYwB3cm9uZw==\r\n",
            b"p2 AUTHENTICATE LOGIN\r\n",
            b"*\r\n",
            b"p3 AUTHENTICATE PLAIN\r\n",
            b"!!!\r\np4 NOOP\r\n",
        ],
    );
    assert_eq!(
        after_greeting(&out),
        "p0 NO Unsupported mechanism\r\n\
p1 NO Authentication failed\r\n\
+ VXNlcm5hbWU6\r\n\
p2 BAD AUTHENTICATE cancelled\r\n\
+ \r\n\
p3 BAD Invalid AUTHENTICATE exchange\r\n\
* BYE Too many failed authentication attempts\r\n"
    );
    assert_eq!(
        store.events,
        ["password mrc", "failed mrc 1", "failed  2", "failed  3"]
    );
    assert_eq!(s.transport(), Transport::Close);
}

/// A failure that is also the last error allowed says BYE once.
#[test]
fn a_failed_login_that_is_also_the_last_error_says_bye_once() {
    let mut config = plaintext_config();
    config.max_errors = 1;
    config.max_login_failures = 1;
    let (out, s) = run(
        &mut rfc3501_store(),
        config,
        &[b"p1 AUTHENTICATE LOGIN\r\n*\r\n"],
    );
    assert_eq!(
        after_greeting(&out),
        "+ VXNlcm5hbWU6\r\np1 BAD AUTHENTICATE cancelled\r\n* BYE Too many invalid commands\r\n"
    );
    assert_eq!(s.transport(), Transport::Close);
}

#[test]
fn before_login_a_large_synchronising_literal_gets_bad_and_no_continuation() {
    let mut store = rfc3501_store();
    let (out, s) = run(
        &mut store,
        plaintext_config(),
        &[
            b"a LOGIN {60000000}\r\n",
            b"b LOGIN {8193}\r\n",
            b"c NOOP\r\n",
        ],
    );
    assert_eq!(
        after_greeting(&out),
        "a BAD Literal too large\r\nb BAD Literal too large\r\nc OK NOOP completed\r\n"
    );
    assert!(store.events.is_empty());
    assert_eq!(s.buffered(), 0);
}

#[test]
fn before_login_literals_up_to_the_small_limit_work_and_after_it_the_general_limit() {
    let mut store = rfc3501_store();
    let user = vec![b'u'; 8192];
    let mut s = Session::new(plaintext_config());
    s.transmit();
    assert_eq!(
        said(&mut s, b"a LOGIN {8192}\r\n"),
        "+ Ready for literal data\r\n"
    );
    s.receive(&user);
    assert_eq!(said(&mut s, b" {6+}\r\nsecret\r\n"), "");
    store.serve(&mut s);
    assert!(said(&mut s, b"").starts_with("a OK [CAPABILITY IMAP4rev1 "));
    assert_eq!(s.user().map(str::len), Some(8192));
    // Logged in: literals up to Limits::max_literal are invited again.
    assert_eq!(
        said(&mut s, b"b APPEND INBOX {60000}\r\n"),
        "+ Ready for literal data\r\n"
    );
}

#[test]
fn before_login_a_large_non_synchronising_literal_is_skipped_unbuffered() {
    let mut store = rfc3501_store();
    let mut s = Session::new(plaintext_config());
    s.transmit();
    let total = 60_000_000usize;
    let chunk = vec![b'x'; 64 * 1024];
    // The announcement and the first bytes of data come in one read.
    let mut first = b"a LOGIN {60000000+}\r\n".to_vec();
    first.extend_from_slice(&chunk);
    assert_eq!(said(&mut s, &first), "a BAD Literal too large\r\n");
    assert_eq!(s.buffered(), 0);
    let mut sent = chunk.len();
    while sent + chunk.len() <= total {
        s.receive(&chunk);
        assert_eq!(s.buffered(), 0);
        assert!(s.transmit().is_none());
        sent += chunk.len();
    }
    // The rest of the data, the rest of the refused command's line, and a command that
    // works.
    let mut last = vec![b'x'; total - sent];
    last.extend_from_slice(b" secret\r\nb LOGIN mrc secret\r\n");
    s.receive(&last);
    store.serve(&mut s);
    assert!(said(&mut s, b"").starts_with("b OK [CAPABILITY IMAP4rev1 "));
    assert_eq!(store.events, ["password mrc", "logged in mrc"]);
}

/// One read much larger than the input cap before login is worked through as smaller
/// reads would be: the refused literal's data skipped, the next command answered.
#[test]
fn before_login_one_large_read_is_worked_through_in_pieces() {
    let mut store = rfc3501_store();
    let mut input = b"a LOGIN {1000000+}\r\n".to_vec();
    input.extend(std::iter::repeat_n(b'x', 1_000_000));
    input.extend_from_slice(b" secret\r\nb LOGIN mrc secret\r\n");
    let (out, s) = run(&mut store, plaintext_config(), &[&input]);
    let lines = lines_after_greeting(&out);
    assert_eq!(lines[0], "a BAD Literal too large");
    assert!(
        lines[1].starts_with("b OK [CAPABILITY IMAP4rev1 "),
        "{}",
        lines[1]
    );
    assert_eq!(s.user(), Some("mrc"));
}

/// With short lines the pre-login input cap is small, yet a LOGIN with two literals at the
/// pre-login limit fits, and a third literal chained on does not.
#[test]
fn before_login_the_input_cap_holds_logins_two_literals() {
    let mut store = rfc3501_store();
    let mut config = plaintext_config();
    config.limits = config.limits.with_max_line(100);
    config.max_preauth_literal = 1000;
    let mut s = Session::new(config.clone());
    s.transmit();
    let mut login = b"a LOGIN {1000+}\r\n".to_vec();
    login.extend(std::iter::repeat_n(b'u', 1000));
    login.extend_from_slice(b" {1000+}\r\n");
    login.extend(std::iter::repeat_n(b'p', 1000));
    login.extend_from_slice(b"\r\n");
    s.receive(&login);
    store.serve(&mut s);
    assert_eq!(said(&mut s, b""), "a NO Authentication failed\r\n");
    let user = "u".repeat(1000);
    assert_eq!(
        store.events,
        [format!("password {user}"), format!("failed {user} 1")]
    );
    // 2 × 100 + 2 × 1000 bytes held at most: the third literal's bytes pass the cap.
    let mut s = Session::new(config);
    s.transmit();
    let mut three = b"b LOGIN {1000+}\r\n".to_vec();
    three.extend(std::iter::repeat_n(b'u', 1000));
    three.extend_from_slice(b" {1000+}\r\n");
    three.extend(std::iter::repeat_n(b'p', 1000));
    three.extend_from_slice(b" {1000+}\r\n");
    three.extend(std::iter::repeat_n(b'x', 1000));
    assert_eq!(said(&mut s, &three), "* BYE Too much input\r\n");
    assert_eq!(s.transport(), Transport::Close);
}

#[test]
fn with_greeting_replaces_the_greeting_new_queued() {
    let ready = Session::new(Config::default()).transmit().unwrap();
    assert_eq!(
        &ready[..],
        b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED SASL-IR LITERAL+ IDLE NAMESPACE \
UIDPLUS MOVE ENABLE ID UNSELECT MULTIAPPEND] IMAP4rev1 ready\r\n"
    );

    let mut s =
        Session::new(Config::default()).with_greeting(mailwire_imap::server::Greeting::PreAuth {
            user: "fred".into(),
        });
    assert_eq!(
        &s.transmit().unwrap()[..],
        b"* PREAUTH [CAPABILITY IMAP4rev1 LITERAL+ IDLE NAMESPACE UIDPLUS MOVE ENABLE ID UNSELECT \
MULTIAPPEND] Logged in\r\n"
    );
    assert_eq!(s.transmit(), None);
    assert_eq!(s.user(), Some("fred"));
    s.receive(b"a1 SELECT INBOX\r\n");
    assert!(matches!(s.poll_event(), Some(Event::Select { .. })));

    let mut s = Session::new(Config::default()).with_greeting(mailwire_imap::server::Greeting::Bye);
    assert_eq!(&s.transmit().unwrap()[..], b"* BYE Service unavailable\r\n");
    assert_eq!(s.transmit(), None);
    assert_eq!(s.transport(), Transport::Close);
}

#[test]
fn sessions_share_one_config() {
    let mut config = Config::default();
    config.plaintext_auth = true;
    let config = std::sync::Arc::new(config);
    let mut first = Session::new(std::sync::Arc::clone(&config));
    let mut second = Session::new(config);
    assert_eq!(first.transmit(), second.transmit());
    second.receive(b"a1 LOGIN fred secret\r\n");
    assert!(matches!(second.poll_event(), Some(Event::Auth { .. })));
}

#[test]
fn noop_and_check_ask_the_application_to_poll_when_configured() {
    let mut store = rfc3501_store();
    let mut config = plaintext_config();
    config.poll = true;
    let (_, mut s) = run(
        &mut store,
        config,
        &[b"s1 LOGIN mrc secret\r\ns2 SELECT INBOX\r\n"],
    );
    s.receive(b"n1 NOOP\r\n");
    assert!(matches!(s.poll_event(), Some(Event::Poll)));
    assert!(s.transmit().is_none(), "answered before the poll");
    // What the store found meanwhile comes before the tagged OK.
    s.notify(MailboxUpdate::Expunged { uid: 102 });
    s.accept().unwrap();
    let mut out = Vec::new();
    while let Some(b) = s.transmit() {
        out.extend_from_slice(&b);
    }
    assert_eq!(out, b"* 2 EXPUNGE\r\nn1 OK NOOP completed\r\n");

    s.receive(b"c1 CHECK\r\n");
    assert!(matches!(s.poll_event(), Some(Event::Poll)));
    s.reject("the mailbox cannot be read").unwrap();
    assert_eq!(
        &s.transmit().unwrap()[..],
        b"c1 NO the mailbox cannot be read\r\n"
    );
    assert!(s.accept().is_err(), "nothing pending");
}

#[test]
fn noop_is_answered_at_once_without_poll_or_outside_a_mailbox() {
    let mut store = rfc3501_store();
    let (out, _) = run(
        &mut store,
        plaintext_config(),
        &[b"s1 LOGIN mrc secret\r\ns2 SELECT INBOX\r\nn1 NOOP\r\n"],
    );
    assert!(out.ends_with("n1 OK NOOP completed\r\n"), "{out}");

    let mut config = plaintext_config();
    config.poll = true;
    let (out, mut s) = run(&mut store, config, &[b"s1 LOGIN mrc secret\r\nn1 NOOP\r\n"]);
    assert!(out.ends_with("n1 OK NOOP completed\r\n"), "{out}");
    assert!(s.poll_event().is_none());
}
