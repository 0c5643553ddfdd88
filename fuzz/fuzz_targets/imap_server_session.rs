//! The IMAP server session fed arbitrary bytes, in chunks the input chooses, over an
//! in-memory mailbox of three messages whose whole content is streamed in small pieces:
//! it never panics, its unprocessed input stays
//! within its limits, and what it writes stays proportional to what it was asked.
#![no_main]

use std::num::NonZeroU32;

use libfuzzer_sys::fuzz_target;
use mailwire_core::{Session as _, Transport};
use mailwire_imap::codec::Limits;
use mailwire_imap::server::{
    Config, Event, MailboxSnapshot, MailboxUpdate, MessageInfo, Session, StoredMessage,
};
use mailwire_imap::types::{Date, DateTime, Flag, StatusItem};
use mailwire_sasl::{AuthAnswer, AuthQuestionKind};

const MESSAGES: [&[u8]; 3] = [
    b"From: a@x.test\r\nSubject: one\r\n\r\nfirst\r\n",
    b"From: b@y.test\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
Content-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n\
Subject: inner\r\n\r\nx\r\n--b--\r\n",
    b"Subject: =?UTF-8?Q?caf=C3=A9?=\r\n\r\nthird\r\n",
];

fn serve(s: &mut Session, flags: &mut [Vec<Flag>; 3]) {
    while let Some(event) = s.poll_event() {
        let answered = match event {
            Event::Auth { question } => s.answer_auth(match question.kind() {
                AuthQuestionKind::Password => AuthAnswer::Accept,
                AuthQuestionKind::Token => AuthAnswer::AcceptAs("fuzz".into()),
                _ => AuthAnswer::Reject,
            }),
            Event::Select { .. } => s.open_mailbox(MailboxSnapshot {
                uid_validity: NonZeroU32::MIN,
                uid_next: NonZeroU32::new(4).unwrap_or(NonZeroU32::MIN),
                flags: vec![Flag::Seen, Flag::Deleted],
                keywords_allowed: true,
                messages: (0..3u32)
                    .map(|i| MessageInfo {
                        uid: i + 1,
                        flags: flags[i as usize].clone(),
                        recent: i == 2,
                        internal_date: DateTime::new(Date::new(2024, 5, 1).unwrap(), 9, 30, 0, 120)
                            .unwrap(),
                        size: MESSAGES[i as usize].len() as u32,
                    })
                    .collect(),
            }),
            Event::Messages { uids } => s.provide_messages(
                uids.iter()
                    .filter(|&&u| (1..=3).contains(&u))
                    .map(|&uid| StoredMessage {
                        uid,
                        raw: MESSAGES[uid as usize - 1].to_vec().into(),
                    })
                    .collect(),
            ),
            Event::StoreFlags { uids, change } => {
                let mut stored = Vec::new();
                for uid in uids {
                    if let Some(slot) = flags.get_mut((uid as usize).wrapping_sub(1)) {
                        *slot = change.apply(slot);
                        stored.push((uid, slot.clone()));
                    }
                }
                s.flags_stored(stored)
            }
            Event::Content { uid, offset, len } => {
                let raw = MESSAGES[uid as usize - 1];
                let start = usize::try_from(offset).unwrap_or(usize::MAX).min(raw.len());
                let end = start
                    .saturating_add(usize::try_from(len).unwrap_or(usize::MAX))
                    .min(raw.len());
                // The view's sizes are the messages' own: the whole range is there.
                for piece in raw[start..end].chunks(5) {
                    s.send_content(piece).expect("a literal is pending");
                }
                s.end_content()
            }
            Event::Status { .. } => s.status(vec![StatusItem::Messages(3)]),
            Event::List { .. } => s.list(Vec::new()),
            Event::Authenticated { .. } | Event::AuthFailed { .. } => Ok(()),
            _ => s.accept().or_else(|_| s.reject("no")),
        };
        // Every answer above fits the question its event asks.
        answered.expect("the event's question is pending");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&split, data)) = data.split_first() else {
        return;
    };
    let mut config = Config::default();
    config.plaintext_auth = true;
    config.limits = Limits::default().with_max_line(1024).with_max_literal(4096);
    let mut s = Session::new(config);
    let mut flags: [Vec<Flag>; 3] = Default::default();
    let chunk = usize::from(split % 16) + 1;
    for (i, piece) in data.chunks(chunk).enumerate() {
        s.receive(piece);
        serve(&mut s, &mut flags);
        if i % 7 == 3 {
            s.notify(MailboxUpdate::Flags {
                uid: 1,
                flags: vec![Flag::Seen],
            });
        }
        let mut written = 0;
        while let Some(out) = s.transmit() {
            written += out.len();
        }
        // Three small messages and lines of at most 1 KiB: each input byte can complete
        // at most one short command, whose answer is a few KiB at most.
        assert!(
            written <= 256 * 1024 + 1024 * piece.len(),
            "wrote {written}"
        );
        if s.transport() == Transport::StartTls {
            s.tls_established();
        }
        if s.transport() == Transport::Close {
            break;
        }
    }
});
